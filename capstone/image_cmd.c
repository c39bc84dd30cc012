/*
 * image_cmd.c - `podrun image`: load, list, inspect and remove images in the
 * store ($PODRUN_IMAGES, else $PODRUN_DATA/images, default
 * /var/lib/podrun/images): the store podrun runs every container's image from.
 *
 *   podrun image load [--tag REF] [--max-layer-size BYTES] [--max-entries N] PATH
 *   podrun image ls
 *   podrun image inspect REF
 *   podrun image rm REF...
 *
 * References are normalised as Kubernetes does: busybox is
 * docker.io/library/busybox:latest.
 */
#include "image_cmd.h"

#include "common.h"
#include "image.h"

#include <getopt.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

static char **(*images_in_use)(void);

void image_cmd_set_in_use(char **(*in_use)(void))
{
	images_in_use = in_use;
}

static void usage(FILE *f)
{
	fprintf(f,
	        "Usage: podrun image COMMAND [OPTIONS] [ARGS]\n"
	        "Manage the image store: $PODRUN_IMAGES, else $PODRUN_DATA/images\n"
	        "(default /var/lib/podrun/images). Pods run their images from it.\n"
	        "\nCommands:\n"
	        "  load [OPTIONS] PATH  load an OCI layout directory, an OCI archive or a\n"
	        "                       docker/podman save archive\n"
	        "  ls                   list the loaded references\n"
	        "  inspect REF          the image's config, layers and overlay lowerdir (JSON)\n"
	        "  rm REF...            remove references; unused layers go with the last one\n"
	        "\nOptions of load:\n"
	        "  --tag REF               name the image REF (when the archive names none)\n"
	        "  --max-layer-size BYTES  refuse a layer larger than this uncompressed (default "
	        "%llu)\n"
	        "  --max-entries N         refuse a layer with more entries (default %llu)\n"
	        "  -h, --help              this help\n",
	        IMG_DEFAULT_LAYER_BYTES, IMG_DEFAULT_LAYER_ENTRIES);
}

/* Options of every subcommand; each accepts only its own. */
static int next_opt(int argc, char **argv, bool is_load)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'},
	                                     {"tag", required_argument, NULL, 't'},
	                                     {"max-layer-size", required_argument, NULL, 's'},
	                                     {"max-entries", required_argument, NULL, 'n'},
	                                     {NULL, 0, NULL, 0}};
	int c = getopt_long(argc, argv, "+:h", opts, NULL);
	if (c == 'h') {
		usage(stdout);
		exit(0);
	}
	if (c == '?' || c == ':')
		die_bad_option(c, argv);
	if (c > 0 && !is_load)
		die_usage("image %s: option %s does not apply", argv[0], argv[optind - 1]);
	return c;
}

static uint64_t parse_count(const char *what, const char *s)
{
	long v;
	if (parse_long(s, 1, LONG_MAX, &v) < 0)
		die_usage("%s: '%s' is not a positive number", what, s);
	return (uint64_t)v;
}

static int image_load(int argc, char **argv)
{
	struct img_limits lim = {0};
	const char *tag = NULL;
	int c;
	while ((c = next_opt(argc, argv, true)) != -1) {
		if (c == 't')
			tag = optarg;
		else if (c == 's')
			lim.max_layer_bytes = parse_count("--max-layer-size", optarg);
		else if (c == 'n')
			lim.max_layer_entries = parse_count("--max-entries", optarg);
	}
	if (optind != argc - 1)
		die_usage("image load: expected one PATH");
	if (tag) {
		struct img_ref r;
		if (img_ref_parse(tag, &r) < 0)
			die_usage("--tag: %s", last_error());
	}
	char **refs;
	if (img_load(img_store_default(), argv[optind], tag, &lim, &refs) < 0)
		die("image load %s: %s", argv[optind], last_error());
	for (char **r = refs; *r; r++)
		printf("Loaded image: %s\n", *r);
	img_strv_free(refs);
	return 0;
}

static int image_ls(int argc, char **argv)
{
	while (next_opt(argc, argv, false) != -1)
		;
	if (optind != argc)
		die_usage("image ls: takes no arguments");
	char **refs;
	const char *store = img_store_default();
	if (img_list(store, &refs) < 0)
		die_last();
	printf("%-50s %-12s %s\n", "REFERENCE", "IMAGE ID", "LAYERS");
	for (char **r = refs; *r; r++) {
		struct img_image img;
		if (img_get(store, *r, &img) < 0) {
			warn("%s", last_error());
			continue;
		}
		printf("%-50s %.12s %zu\n", img.ref, img.id + 7, img.n_layers);
		img_image_free(&img);
	}
	img_strv_free(refs);
	return 0;
}

static json_object *json_strv(char **v)
{
	if (!v)
		return NULL; /* JSON null: the image does not set it */
	json_object *a = json_object_new_array();
	for (; *v; v++)
		json_object_array_add(a, json_object_new_string(*v));
	return a;
}

static json_object *json_str(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static int image_inspect(int argc, char **argv)
{
	while (next_opt(argc, argv, false) != -1)
		;
	if (optind != argc - 1)
		die_usage("image inspect: expected one REF");
	const char *store = img_store_default();
	struct img_image img;
	if (img_get(store, argv[optind], &img) < 0)
		die_last();
	char lower[4096];
	if (img_lowerdir(store, argv[optind], lower, sizeof(lower)) < 0)
		die_last();
	json_object *o = json_object_new_object(), *cfg = json_object_new_object();
	json_object *layers = json_object_new_array();
	json_object_object_add(o, "Reference", json_object_new_string(img.ref));
	json_object_object_add(o, "Id", json_object_new_string(img.id));
	json_object_object_add(o, "ManifestDigest",
	                       json_str(img.manifest[0] ? img.manifest : NULL));
	json_object_object_add(cfg, "Entrypoint", json_strv(img.config.entrypoint));
	json_object_object_add(cfg, "Cmd", json_strv(img.config.cmd));
	json_object_object_add(cfg, "Env", json_strv(img.config.env));
	json_object_object_add(cfg, "WorkingDir", json_str(img.config.working_dir));
	json_object_object_add(cfg, "User", json_str(img.config.user));
	json_object_object_add(cfg, "StopSignal", json_str(img.config.stop_signal));
	json_object_object_add(o, "Config", cfg);
	for (size_t i = 0; i < img.n_layers; i++)
		json_object_array_add(layers, json_object_new_string(img.layers[i]));
	json_object_object_add(o, "Layers", layers);
	json_object_object_add(o, "LowerDir", json_object_new_string(lower));
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
	                                                     JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	img_image_free(&img);
	return 0;
}

/* img_remove asks once it holds the store's lock. */
static char **ask_in_use(void *arg)
{
	(void)arg;
	return images_in_use ? images_in_use() : NULL;
}

static int image_rm(int argc, char **argv)
{
	while (next_opt(argc, argv, false) != -1)
		;
	if (optind >= argc)
		die_usage("image rm: expected REF...");
	int rc = 0;
	for (int i = optind; i < argc; i++) {
		if (img_remove(img_store_default(), argv[i], ask_in_use, NULL) < 0) {
			warn("%s", last_error());
			rc = 1;
			continue;
		}
		printf("Deleted: %s\n", argv[i]);
	}
	return rc;
}

int cmd_image(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} subs[] = {
	    {"load", image_load}, {"ls", image_ls}, {"inspect", image_inspect}, {"rm", image_rm}};
	if (argc < 2)
		die_usage("image: expected a command (load, ls, inspect, rm)");
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(subs); i++)
		if (!strcmp(argv[1], subs[i].name)) {
			optind = 1; /* getopt starts again, at the subcommand's options */
			return subs[i].fn(argc - 1, argv + 1);
		}
	die_usage("image: unknown command '%s'", argv[1]);
}
