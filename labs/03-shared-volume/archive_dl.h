/*
 * archive_dl.h - libarchive, opened with dlopen(3) the first time an archive
 * is read, instead of linked.
 *
 * Why: libarchive needs libxml2 (for one format, xar), which needs ICU and
 * libstdc++. Every program linked to it has the dynamic loader map and
 * relocate all of them at each start: about 1.5 ms, and 270 kB of private
 * memory per process - in podrun, at every pod start and in every pod's
 * supervisor. Yet only `podrun image load` and step7_image read archives.
 * (systemd opens libarchive the same way, and for the same reason.)
 *
 * image.c keeps libarchive's own names: this header makes each a call
 * through a pointer, which img_archive_open fills in with dlsym(3).
 */
#ifndef PODLAB_ARCHIVE_DL_H
#define PODLAB_ARCHIVE_DL_H

#include <archive.h>
#include <archive_entry.h>

/* Open libarchive, once: 0, or -1 with an error naming the library and
 * dlerror()'s reason. Call it before the first libarchive function. */
int img_archive_open(void);

/* What image.c calls: */
#define ARCHIVE_DL_FUNCS(X)                                                                        \
	X(archive_entry_atime)                                                                     \
	X(archive_entry_atime_is_set)                                                              \
	X(archive_entry_atime_nsec)                                                                \
	X(archive_entry_filetype)                                                                  \
	X(archive_entry_gid)                                                                       \
	X(archive_entry_hardlink)                                                                  \
	X(archive_entry_mtime)                                                                     \
	X(archive_entry_mtime_nsec)                                                                \
	X(archive_entry_pathname)                                                                  \
	X(archive_entry_perm)                                                                      \
	X(archive_entry_size)                                                                      \
	X(archive_entry_size_is_set)                                                               \
	X(archive_entry_symlink)                                                                   \
	X(archive_entry_uid)                                                                       \
	X(archive_entry_xattr_next)                                                                \
	X(archive_entry_xattr_reset)                                                               \
	X(archive_error_string)                                                                    \
	X(archive_read_data)                                                                       \
	X(archive_read_data_block)                                                                 \
	X(archive_read_free)                                                                       \
	X(archive_read_new)                                                                        \
	X(archive_read_next_header)                                                                \
	X(archive_read_open)                                                                       \
	X(archive_read_open_filename)                                                              \
	X(archive_read_support_filter_bzip2)                                                       \
	X(archive_read_support_filter_gzip)                                                        \
	X(archive_read_support_filter_xz)                                                          \
	X(archive_read_support_filter_zstd)                                                        \
	X(archive_read_support_format_raw)                                                         \
	X(archive_read_support_format_tar)                                                         \
	X(archive_set_error)

#define ARCHIVE_DL_DECLARE(f) extern __typeof__(f) *img_dl_##f;
ARCHIVE_DL_FUNCS(ARCHIVE_DL_DECLARE)
#undef ARCHIVE_DL_DECLARE

#ifndef ARCHIVE_DL_REAL_NAMES
#define archive_entry_atime               img_dl_archive_entry_atime
#define archive_entry_atime_is_set        img_dl_archive_entry_atime_is_set
#define archive_entry_atime_nsec          img_dl_archive_entry_atime_nsec
#define archive_entry_filetype            img_dl_archive_entry_filetype
#define archive_entry_gid                 img_dl_archive_entry_gid
#define archive_entry_hardlink            img_dl_archive_entry_hardlink
#define archive_entry_mtime               img_dl_archive_entry_mtime
#define archive_entry_mtime_nsec          img_dl_archive_entry_mtime_nsec
#define archive_entry_pathname            img_dl_archive_entry_pathname
#define archive_entry_perm                img_dl_archive_entry_perm
#define archive_entry_size                img_dl_archive_entry_size
#define archive_entry_size_is_set         img_dl_archive_entry_size_is_set
#define archive_entry_symlink             img_dl_archive_entry_symlink
#define archive_entry_uid                 img_dl_archive_entry_uid
#define archive_entry_xattr_next          img_dl_archive_entry_xattr_next
#define archive_entry_xattr_reset         img_dl_archive_entry_xattr_reset
#define archive_error_string              img_dl_archive_error_string
#define archive_read_data                 img_dl_archive_read_data
#define archive_read_data_block           img_dl_archive_read_data_block
#define archive_read_free                 img_dl_archive_read_free
#define archive_read_new                  img_dl_archive_read_new
#define archive_read_next_header          img_dl_archive_read_next_header
#define archive_read_open                 img_dl_archive_read_open
#define archive_read_open_filename        img_dl_archive_read_open_filename
#define archive_read_support_filter_bzip2 img_dl_archive_read_support_filter_bzip2
#define archive_read_support_filter_gzip  img_dl_archive_read_support_filter_gzip
#define archive_read_support_filter_xz    img_dl_archive_read_support_filter_xz
#define archive_read_support_filter_zstd  img_dl_archive_read_support_filter_zstd
#define archive_read_support_format_raw   img_dl_archive_read_support_format_raw
#define archive_read_support_format_tar   img_dl_archive_read_support_format_tar
#define archive_set_error                 img_dl_archive_set_error
#endif

#endif
