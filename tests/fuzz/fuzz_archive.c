/*
 * fuzz_archive - a whole image archive, as `podrun image load FILE` reads
 * it: a `docker save` archive (manifest.json, the configs, the layers) or an
 * OCI archive (a tar of an OCI layout), compressed or not. lab 03's img_load
 * unpacks the archive's own files beneath a directory of its own, reads its
 * JSON (index.json and docker's manifest.json are nobody's digest), then
 * unpacks each layer, whose digest is checked as it is read.
 *
 * The input is the archive's bytes, its tar headers' checksums set right
 * (the layers in it keep theirs, and their digests); the promises checked
 * are fuzz_image.h's.
 */
#include "fuzz_image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_image_init();
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/image.tar", fuzz_image_base);
	uint8_t *tar = fuzz_image_fix_tar(data, size);
	if (!tar)
		return 0;
	fuzz_image_write(path, tar, size);
	free(tar);
	char **refs = NULL;
	int rc = img_load(fuzz_image_store, path, NULL, &fuzz_image_limits, &refs);
	fuzz_image_after_load(rc, refs, "image.tar");
	return 0;
}
