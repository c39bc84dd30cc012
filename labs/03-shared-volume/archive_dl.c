/*
 * archive_dl.c - libarchive through dlopen(3) (see archive_dl.h).
 */
#define ARCHIVE_DL_REAL_NAMES
#include "archive_dl.h"

#include "common.h"

#include <dlfcn.h>

#define ARCHIVE_DL_SONAME "libarchive.so.13" /* the ABI image.c is compiled against */

#define ARCHIVE_DL_DEFINE(f) __typeof__(f) *img_dl_##f;
ARCHIVE_DL_FUNCS(ARCHIVE_DL_DEFINE)
#undef ARCHIVE_DL_DEFINE

/* dlsym returns a void *: POSIX has it stored into a function pointer
 * through the pointer's address, which C allows. */
#define ARCHIVE_DL_LOOKUP(f)                                                                       \
	if (!(*(void **)&img_dl_##f = dlsym(h, #f))) {                                             \
		fail_msg(ENOENT, "dlsym(%s, %s): %s", ARCHIVE_DL_SONAME, #f, dlerror());           \
		dlclose(h);                                                                        \
		return -1;                                                                         \
	}

int img_archive_open(void)
{
	static void *lib;
	if (lib)
		return 0;
	void *h = dlopen(ARCHIVE_DL_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return fail_msg(ENOENT, "dlopen(%s): %s", ARCHIVE_DL_SONAME, dlerror());
	ARCHIVE_DL_FUNCS(ARCHIVE_DL_LOOKUP)
	lib = h; /* kept open: its functions are called until the process ends */
	return 0;
}
