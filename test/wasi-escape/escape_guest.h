/* escape_guest.h - what the two files of the escape battery's guest share:
 * the wasi_snapshot_preview1 imports it calls directly, and the helpers of
 * escape_guest.c that the cases in escape_cases.c use.
 */
#ifndef ESCAPE_GUEST_H
#define ESCAPE_GUEST_H

#include <stdint.h>
#include <wasi/api.h>

#define WASI_IMPORT(name)                                                   \
    __attribute__((import_module("wasi_snapshot_preview1"),                 \
                   import_name(name)))

WASI_IMPORT("path_open") int32_t
raw_open(int32_t fd, int32_t lookup, const char *path, uint32_t len,
         int32_t oflags, uint64_t base, uint64_t inheriting, int32_t fdflags,
         int32_t *out);
WASI_IMPORT("path_symlink") int32_t
raw_symlink(const char *target, uint32_t tlen, int32_t fd, const char *path,
            uint32_t len);
WASI_IMPORT("path_link") int32_t
raw_link(int32_t fd, int32_t lookup, const char *path, uint32_t len,
         int32_t new_fd, const char *new_path, uint32_t new_len);
WASI_IMPORT("path_rename") int32_t
raw_rename(int32_t fd, const char *path, uint32_t len, int32_t new_fd,
           const char *new_path, uint32_t new_len);
WASI_IMPORT("path_unlink_file") int32_t
raw_unlink(int32_t fd, const char *path, uint32_t len);
WASI_IMPORT("path_remove_directory") int32_t
raw_rmdir(int32_t fd, const char *path, uint32_t len);
WASI_IMPORT("path_create_directory") int32_t
raw_mkdir(int32_t fd, const char *path, uint32_t len);
WASI_IMPORT("path_readlink") int32_t
raw_readlink(int32_t fd, const char *path, uint32_t len, char *buf,
             uint32_t buf_len, uint32_t *used);
WASI_IMPORT("path_filestat_get") int32_t
raw_stat(int32_t fd, int32_t lookup, const char *path, uint32_t len,
         uint8_t *buf);
WASI_IMPORT("path_filestat_set_times") int32_t
raw_times(int32_t fd, int32_t lookup, const char *path, uint32_t len,
          uint64_t atim, uint64_t mtim, int32_t fst_flags);
WASI_IMPORT("fd_close") int32_t raw_close(int32_t fd);
WASI_IMPORT("fd_read") int32_t
raw_read(int32_t fd, const void *iovs, uint32_t niovs, uint32_t *nread);
WASI_IMPORT("fd_write") int32_t
raw_write(int32_t fd, const void *iovs, uint32_t niovs, uint32_t *nwritten);

enum {
    BOX = 3,
    FOLLOW = __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW,
    CREAT = __WASI_OFLAGS_CREAT, DIR = __WASI_OFLAGS_DIRECTORY,
    EXCL = __WASI_OFLAGS_EXCL, TRUNC = __WASI_OFLAGS_TRUNC,
    NC = __WASI_ERRNO_NOTCAPABLE, ANY = -1
};
#define R_READ   __WASI_RIGHTS_FD_READ
#define R_RW     (__WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE)
#define R_DIR                                                               \
    (__WASI_RIGHTS_PATH_OPEN | __WASI_RIGHTS_PATH_CREATE_FILE |             \
     __WASI_RIGHTS_FD_READDIR | __WASI_RIGHTS_PATH_FILESTAT_GET)

/* Reporting: one line per attempt (see escape_guest.c). */
void expect(const char *name, int got, int want, int want2);
void control(const char *name, int got);

/* The path calls with NUL-terminated paths; each returns 0 or the errno. */
int  open_at(int dir, int lookup, const char *path, int oflags,
             uint64_t base, uint64_t inh, int *fd);
int  try_open(int dir, int lookup, const char *path, int oflags,
              uint64_t base);
int  symlink_at(const char *target, int dir, const char *path);
int  link_at(int dir, int lookup, const char *from, int to_dir,
             const char *to);
int  rename_at(int dir, const char *from, int to_dir, const char *to);
int  unlink_at(int dir, const char *path);
int  rmdir_at(int dir, const char *path);
int  mkdir_at(int dir, const char *path);
int  stat_at(int dir, int lookup, const char *path, uint8_t st[64]);
int  times_at(int dir, int lookup, const char *path);
int  readlink_at(int dir, const char *path, char *buf, uint32_t n,
                 uint32_t *used);
int  read_file(int dir, int lookup, const char *path, char *buf,
               uint32_t n);

/* escape_cases.c: one function per family of attempts. */
void dotdot_escapes(void);
void absolute_paths(void);
void guest_made_links(void);
void link_texts(void);              /* escape_links.c */
void planted_links(void);
void hard_links(void);
void renames(void);
void dir_fd_roots(void);
void trailing_slashes(void);
void nul_bytes(void);
void long_paths(void);
void rights(void);

#endif
