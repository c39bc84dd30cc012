/*
 * fuzz_layer - one image layer, a tar: what lab 03's img_load unpacks
 * beneath the store for every image a node pulls, entry by entry (paths,
 * symlinks, hard links, whiteouts, owners, modes, attributes).
 *
 * The input is the layer's bytes, its tar headers' checksums set right
 * (fuzz_image.h). The target writes an OCI layout around it (a config
 * naming it, a manifest, index.json), with the digests it needs, and loads
 * it: a tar that unpacks is loaded, its layer checked (fuzz_image.h) and
 * removed again. A compressed input unpacks too, then fails its diffID,
 * which is the uncompressed tar's digest.
 */
#include "fuzz_image.h"

#include <nettle/sha2.h>

/* "sha256:HEX" of n bytes. */
static void digest_of(const void *p, size_t n, char out[IMG_DIGEST_MAX])
{
	struct sha256_ctx c;
	uint8_t d[SHA256_DIGEST_SIZE];
	sha256_init(&c);
	sha256_update(&c, n, p);
	sha256_digest(&c, sizeof(d), d);
	strcpy(out, "sha256:");
	for (size_t i = 0; i < sizeof(d); i++)
		sprintf(out + 7 + 2 * i, "%02x", d[i]);
}

static void write_blob(const char *layout, const void *p, size_t n, char digest[IMG_DIGEST_MAX])
{
	digest_of(p, n, digest);
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/blobs/sha256/%s", layout, digest + 7);
	fuzz_image_write(path, p, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_image_init();
	char layout[PATH_MAX / 2 + 16], p[PATH_MAX];
	snprintf(layout, sizeof(layout), "%s/layout", fuzz_image_base);
	rm_rf(layout);
	snprintf(p, sizeof(p), "%s/blobs/sha256", layout);
	FUZZ_CHECK(mkdir_p(p, 0755) == 0);
	snprintf(p, sizeof(p), "%s/oci-layout", layout);
	static const char oci_layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
	fuzz_image_write(p, oci_layout, strlen(oci_layout));

	char layer[IMG_DIGEST_MAX], config[IMG_DIGEST_MAX], manifest[IMG_DIGEST_MAX];
	uint8_t *tar = fuzz_image_fix_tar(data, size);
	if (!tar)
		return 0;
	write_blob(layout, tar, size, layer);
	free(tar);
	char json[1024];
	int n = snprintf(json, sizeof(json),
	                 "{\"os\":\"linux\",\"config\":{\"Cmd\":[\"/bin/sh\"]},"
	                 "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"%s\"]}}",
	                 layer);
	write_blob(layout, json, (size_t)n, config);
	size_t config_len = (size_t)n;
	n = snprintf(json, sizeof(json),
	             "{\"schemaVersion\":2,\"config\":{\"mediaType\":"
	             "\"application/vnd.oci.image.config.v1+json\",\"digest\":\"%s\",\"size\":%zu},"
	             "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\","
	             "\"digest\":\"%s\",\"size\":%zu}]}",
	             config, config_len, layer, size);
	write_blob(layout, json, (size_t)n, manifest);
	size_t manifest_len = (size_t)n;
	n = snprintf(
	    json, sizeof(json),
	    "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":"
	    "\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"%s\",\"size\":%zu,"
	    "\"annotations\":{\"io.containerd.image.name\":\"fuzz/layer:1\"}}]}",
	    manifest, manifest_len);
	snprintf(p, sizeof(p), "%s/index.json", layout);
	fuzz_image_write(p, json, (size_t)n);

	char **refs = NULL;
	int rc = img_load(fuzz_image_store, layout, NULL, &fuzz_image_limits, &refs);
	fuzz_image_after_load(rc, refs, "layout");
	return 0;
}
