/* path_resolve.h - the sandboxed path resolver shared by path_resolve.c,
 * path_ops.c and the resolver's unit test. Internal to wasi/ (kept apart
 * from wasi_impl.h so the resolver and its test need nothing else).
 */
#ifndef MOAT_PATH_RESOLVE_H
#define MOAT_PATH_RESOLVE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "moat.h"

/* Limits of one resolution. A guest path is at most MOATW_PATH_MAX - 1
 * bytes; with the symbolic links spliced into it, the text still to walk
 * must fit MOATW_PATH_PENDING bytes. At most MOATW_SYMLINK_MAX links are
 * expanded (then ELOOP, like Linux's 40) and the walk goes at most
 * MOATW_DEPTH_MAX directories below its start (then ENAMETOOLONG). */
enum {
    MOATW_PATH_MAX = 4096,
    MOATW_PATH_PENDING = 2 * MOATW_PATH_MAX,
    MOATW_SYMLINK_MAX = 40,
    MOATW_DEPTH_MAX = 512
};

/* A resolved guest path: the directory that holds its last component and
 * that component's name, ready for one *at() call that does not follow a
 * symbolic link (AT_SYMLINK_NOFOLLOW, O_NOFOLLOW, ...). */
typedef struct WasiPath {
    int  dirfd;                 /* O_PATH directory, or the start fd */
    bool owns_dirfd;            /* moatW_path_done closes it */
    bool is_dir_only;           /* the path ended in '/': the object must
                                 * be a directory (the name is given without
                                 * the slash, which would make the kernel
                                 * follow a symbolic link) */
    uint32_t depth;             /* dirfd's depth below the start */
    char name[NAME_MAX + 1];    /* never empty, never contains '/'; "."
                                 * when the path names dirfd itself */
} WasiPath;

/* Resolves path[0..len) (not NUL-terminated, read only during the call)
 * below the directory start_fd without ever leaving it: the walk goes one
 * component at a time with openat(O_NOFOLLOW), keeps its own depth so that
 * ".." stops at start_fd, and reads symbolic links itself, splicing their
 * text into the rest of the path. A final symbolic link is followed when
 * follow_last is set or the path ends in '/'.
 * Returns 0 (WASI_ESUCCESS) with *out filled, or a WASI errno:
 * ENOTCAPABLE for an absolute path or link, or ".." above start_fd;
 * EINVAL for a NUL byte; ENOENT for an empty path or link; ENAMETOOLONG;
 * ELOOP; ENOTDIR, ENOENT, EACCES... from the walk. */
uint16_t moatW_path_resolve(int start_fd, const char *path, size_t len,
                            bool follow_last, WasiPath *out);
/* Closes what the resolution opened (NULL or a failed one: no-op). */
void     moatW_path_done(WasiPath *p);

/* Whether a symbolic link with text t[0..n) may be made, or moved by
 * rename or link, in a directory `depth` levels below the start. Host
 * programs follow it with the kernel, not with our resolver, so its text
 * must keep them inside wherever the guest can later move it: at most
 * MOATW_LINK_UP_MAX leading ".." (none at depth 0), and no ".." after a
 * name (a name may be a link itself, and ".." after it goes up from
 * wherever that link leads, not lexically). A directory holding such a
 * link always stays at depth >= 1 whatever the guest renames, which is why
 * one level is the most that stays safe: a link made with "../.." at
 * depth 2 would lead out once its directory is moved to depth 1.
 * 0, ENOTCAPABLE (also for an absolute text), ENOENT (empty). */
enum { MOATW_LINK_UP_MAX = 1 };
uint16_t moatW_link_text_check(const char *t, size_t n, uint32_t depth);

/* path_ops.c: the guest's directory descriptor fd, which must hold every
 * right in `rights`, and the guest's path (path, path_len) resolved in it.
 * EBADF, ENOTDIR (fd is no directory), ENOTCAPABLE, EFAULT, or what
 * moatW_path_resolve returns. */
uint16_t moatW_path_lookup(moat_caller *c, uint32_t fd, uint64_t rights,
                           uint32_t path, uint32_t path_len, bool follow,
                           WasiPath *out);

#endif
