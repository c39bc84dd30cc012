/*
 * image.h - OCI images: a config and a stack of tar layers, each layer
 * unpacked once into a content-addressed directory, a container's root an
 * overlay of those directories.
 *
 * The store (one directory, $PODRUN_DATA/images by default) holds:
 *
 *   layers/HEX/        one unpacked layer, named by its diffID (the sha256 of
 *                      the uncompressed tar), shared by every image using it
 *   configs/HEX.json   an image's config blob, named by its digest: the image ID.
 *                      Its rootfs.diff_ids list the image's layers, bottom first.
 *   refs/HASH          one file per reference: "REF\nIMAGE-ID\nMANIFEST-DIGEST\n"
 *                      (HASH = sha256 of REF, so any reference is a safe name)
 *   tmp/               loads in progress; renamed into place when verified
 *   lock               flock(2): one load or rm at a time
 *
 * Loading reads an OCI image layout directory, an OCI archive (a tar of one)
 * or a `docker save`/`podman save` archive. Every blob's digest is checked,
 * every layer is unpacked beneath its own directory and nothing else.
 *
 * The pod start path needs three calls: img_lowerdir (the overlay's
 * lowerdir=), img_get (the config) and img_container_argv/img_container_env
 * (Kubernetes' rules for command, args and env).
 */
#ifndef PODLAB_IMAGE_H
#define PODLAB_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define IMG_DIGEST_MAX 72 /* "sha256:" + 64 hex digits + NUL */
#define IMG_REF_MAX    512

/* A reference, normalised as Kubernetes (and docker) do:
 * "busybox" -> docker.io/library/busybox:latest. */
struct img_ref {
	char name[IMG_REF_MAX];      /* docker.io/library/busybox */
	char tag[130];               /* "latest"; "" when only a digest was given */
	char digest[IMG_DIGEST_MAX]; /* "sha256:HEX" or "" */
	char full[IMG_REF_MAX];      /* name[:tag][@digest] */
};

/* Parse and normalise a reference: name, name:tag, registry[:port]/name:tag,
 * name@sha256:HEX. EINVAL with the reason for anything else. */
int img_ref_parse(const char *s, struct img_ref *out);

/* What the image config says about running it (the OCI config's "config").
 * Arrays are NULL-terminated; NULL when the image does not set the field. */
struct img_config {
	char **entrypoint;
	char **cmd;
	char **env; /* "KEY=VALUE" */
	char *working_dir;
	char *user;
	/* StopSignal: the signal that asks the container to stop, as the
	 * image says it ("SIGQUIT", "QUIT", "3"; NULL: none, SIGTERM).
	 * containerd and CRI-O send it instead of SIGTERM: nginx stops
	 * gracefully on SIGQUIT and at once on SIGTERM. */
	char *stop_signal;
	int stop_signo; /* its number (img_signal_parse); 0: none */
};

struct img_image {
	char ref[IMG_REF_MAX];         /* the reference it was found by, normalised */
	char id[IMG_DIGEST_MAX];       /* the config's digest: the image ID */
	char manifest[IMG_DIGEST_MAX]; /* the manifest's digest, "" for docker archives */
	size_t n_layers;
	char (*layers)[IMG_DIGEST_MAX]; /* diffIDs, bottom layer first */
	struct img_config config;
};

/* Bounds on what a load may write. Zero fields take the defaults below. */
struct img_limits {
	uint64_t max_layer_bytes;   /* uncompressed bytes of one layer */
	uint64_t max_layer_entries; /* tar entries of one layer */
	uint64_t max_archive_bytes; /* bytes of an archive's unpacked files */
};
#define IMG_DEFAULT_LAYER_BYTES   (16ULL << 30)
#define IMG_DEFAULT_LAYER_ENTRIES 1000000ULL
#define IMG_DEFAULT_ARCHIVE_BYTES (64ULL << 30)
#define IMG_MAX_LAYERS            128 /* overlayfs stacks up to 500; the option page is the limit */

/* $PODRUN_IMAGES if set, else $PODRUN_DATA/images, else /var/lib/podrun/images. */
const char *img_store_default(void);

/* Load every image of PATH (a directory: an OCI layout; a file: an OCI or
 * docker archive, compressed or not) into store. tag, when not NULL, names
 * the image (required when the archive names none; the archive must then
 * hold one image). On success *refs is a NULL-terminated array of the
 * references loaded (free with img_strv_free). On failure nothing of this
 * load is left in the store. */
int img_load(const char *store, const char *path, const char *tag, const struct img_limits *lim,
             char ***refs);

/* The image a reference names. ENOENT names the reference when it is not loaded. */
int img_get(const char *store, const char *ref, struct img_image *out);
void img_image_free(struct img_image *img);

/* Every reference in the store, sorted; NULL-terminated (img_strv_free). */
int img_list(const char *store, char ***refs);

/* The overlay lowerdir for an image: "STORE/layers/TOP:...:STORE/layers/BOTTOM"
 * (overlayfs takes the leftmost lower as the uppermost). Each directory must exist. */
int img_lowerdir(const char *store, const char *ref, char *out, size_t len);

/* Remove a reference; when it was the image's last one, the config and every
 * layer no other image uses go too. in_use, when not NULL, is asked for the
 * images pods use (NULL-terminated references, freed here with
 * img_strv_free; NULL: none): removing one fails with EBUSY. It is asked
 * under the store's lock, after any pod that holds the store
 * (img_store_hold) has let it go: a pod's answer never comes too early. */
int img_remove(const char *store, const char *ref, char **(*in_use)(void *arg), void *arg);

/* Keep the store as it is while a pod looks its images up and records them
 * where img_remove's in_use finds them: a shared lock (flock LOCK_SH) on the
 * store's lock file, which load and rm take exclusive. Returns the fd, to
 * close once the pod's state names its images; -1 with errno ENOENT and no
 * message when there is no store yet (nothing to hold, nothing to find). */
int img_store_hold(const char *store);

/* Kubernetes' rule: `command` replaces the Entrypoint (and drops the Cmd),
 * `args` replaces the Cmd. command/args NULL or empty mean "not given".
 * *argv is a new NULL-terminated array (img_strv_free); EINVAL when nothing
 * is left to run. */
int img_container_argv(const struct img_config *cfg, char *const *command, char *const *args,
                       char ***argv);

/* The image's Env with the container's env over it: a container variable
 * replaces the image's of the same name, in place; new ones follow. */
int img_container_env(const struct img_config *cfg, char *const *env, char ***out);

void img_strv_free(char **v);

/* A signal as containerd reads an image's StopSignal (moby's ParseSignal):
 * a number, or a name with or without "SIG" in any case, RTMIN+N and
 * RTMAX-N included. EINVAL for anything else, 0 and numbers past SIGRTMAX
 * too. */
int img_signal_parse(const char *s, int *sig);
/* Its name as Kubernetes spells it ("SIGQUIT", "SIGRTMIN+3", "SIGRTMAX-2"):
 * what a container status reports. EINVAL for a number no name has (0, the
 * two real-time signals glibc keeps, past SIGRTMAX). */
int img_signal_name(int sig, char *buf, size_t len);

/* The numbers an image's User ("uid", "uid:gid", "name", "name:group",
 * "uid:group") stands for, as runc reads them: a name from the image's own
 * /etc/passwd or /etc/group, a uid's primary group from /etc/passwd when no
 * group is given (0 when the uid has no line there). lowerdir is the image's
 * stack (img_lowerdir); the files are read beneath a read-only overlay of it
 * that is mounted nowhere (fsmount), with RESOLVE_IN_ROOT: a symlink in the
 * image never leads to a file of the host. want_uid/want_gid: which of the
 * two the caller needs (the pod may set the other); only what is needed is
 * looked up. ENOENT names the user or group the image lacks. Needs
 * CAP_SYS_ADMIN and Linux 6.8 (lowerdir+) for an image of several layers. */
int img_resolve_user(const char *lowerdir, const char *user, bool want_uid, bool want_gid,
                     uid_t *uid, gid_t *gid);

/* The supplementary groups the image gives its user, as containerd adds
 * them (WithAdditionalGIDs) under a pod's supplementalGroupsPolicy Merge,
 * Kubernetes' default. user is the user part of the container's user (a
 * uid in decimal, or a name): a uid stands for the name of its first line
 * in the image's /etc/passwd - none there, or no such file, and it has no
 * groups. The groups are those of the image's /etc/group whose member list
 * (the fourth field, comma-separated) holds that name, except one named as
 * the user itself. *out is malloc'd, sorted, each gid once (NULL when *n is
 * 0); no /etc/group, no groups. The files are read as img_resolve_user
 * reads them (RESOLVE_IN_ROOT beneath the image's layers). Blank and '#'
 * lines are skipped, as are lines that do not list the user; one that lists
 * it but is not name:password:GID:members is EINVAL (containerd would give
 * its bad GID as 0, the root group); more than NGROUPS_MAX groups is E2BIG;
 * a file over 4 MiB EFBIG. Each message names the image's file. */
int img_user_groups(const char *lowerdir, const char *user, gid_t **out, size_t *n);

/* The overlayfs form of one layer entry name (the last component of its
 * path): ".wh..wh..opq" makes its directory opaque (IMG_WH_OPAQUE), ".wh.NAME"
 * hides NAME of the lower layers (IMG_WH_FILE, *hidden = "NAME"), any other
 * ".wh..wh.*" is a marker of aufs that overlayfs has no use for (IMG_WH_IGNORE),
 * and every other name is a plain entry (IMG_WH_NONE). */
enum img_wh { IMG_WH_NONE, IMG_WH_FILE, IMG_WH_OPAQUE, IMG_WH_IGNORE };
enum img_wh img_whiteout_kind(const char *name, const char **hidden);

/* Turn the whiteout name into its overlay form in dirfd: for IMG_WH_FILE a
 * 0:0 character device named hidden, for IMG_WH_OPAQUE the xattr
 * trusted.overlay.opaque=y on dirfd itself. */
int img_whiteout_apply(int dirfd, enum img_wh kind, const char *hidden);

#endif
