/* path_ops.c - the path_* functions of WASI preview 1 but path_open
 * (path_open.c): create_directory, filestat_get, filestat_set_times, link,
 * readlink, remove_directory, rename, symlink, unlink_file. Each resolves
 * its path(s) with path_resolve.c and then makes one *at() call on (parent
 * directory, last name) that never follows a symbolic link. A path that
 * ended in '/' reaches us without the slash (the kernel would follow a link
 * there), so its "must be a directory" rule is checked here, giving the
 * errno Linux gives for the same path.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "path_resolve.h"
#include "wasi_impl.h"

uint16_t
moatW_path_lookup(moat_caller *c, uint32_t fd, uint64_t rights,
                  uint32_t path, uint32_t path_len, bool follow,
                  WasiPath *out)
{
    uint16_t e;
    WasiFd  *d = moatW_fd_get(moatW_wasi(c), fd, 0, &e);

    out->dirfd = -1;
    out->owns_dirfd = false;
    if (!d)
        return e;
    if (d->filetype != WASI_FILETYPE_DIRECTORY || d->host_fd < 0)
        return WASI_ENOTDIR;
    if ((d->rights_base & rights) != rights)
        return WASI_ENOTCAPABLE;
    const uint8_t *p = moatW_mem(c, path, path_len);
    if (!p)
        return WASI_EFAULT;
    return moatW_path_resolve(d->host_fd, (const char *)p, path_len, follow,
                              out);
}

static uint16_t
host_err(void)
{
    return moatW_errno(errno);
}

static uint16_t
check_lookupflags(uint32_t flags)
{
    return (flags & ~(uint32_t)WASI_LOOKUP_SYMLINK_FOLLOW) ? WASI_EINVAL
                                                           : WASI_ESUCCESS;
}

/* lstat of the resolved object: 0, or the errno (ENOENT...). */
static uint16_t
stat_at(const WasiPath *p, struct stat *st)
{
    if (fstatat(p->dirfd, p->name, st, AT_SYMLINK_NOFOLLOW) != 0)
        return host_err();
    return WASI_ESUCCESS;
}

/* "name/" where an existing directory is wanted (a source, an object to
 * stat): ENOTDIR when it is something else. */
static uint16_t
want_dir(const WasiPath *p)
{
    struct stat st;

    if (!p->is_dir_only)
        return WASI_ESUCCESS;
    uint16_t e = stat_at(p, &st);
    if (e == WASI_ESUCCESS && !S_ISDIR(st.st_mode))
        e = WASI_ENOTDIR;
    return e;
}

/* "name/" where a new entry is to be made that is not a directory (link,
 * symlink): EEXIST for a directory, ENOTDIR for another object, else
 * ENOENT (a new non-directory cannot end in '/'). */
static uint16_t
want_new_nondir(const WasiPath *p)
{
    struct stat st;

    if (!p->is_dir_only)
        return WASI_ESUCCESS;
    uint16_t e = stat_at(p, &st);
    if (e != WASI_ESUCCESS)
        return e;
    return S_ISDIR(st.st_mode) ? WASI_EEXIST : WASI_ENOTDIR;
}

/* A symbolic link that rename or link gives a name in `to` must keep the
 * rule path_symlink applies there (moatW_link_text_check): otherwise
 * making "sub/l -> ../x" and moving it to the top would lead out. A
 * source that is not a link, or is gone, is for the call itself. */
static uint16_t
check_moved_link(const WasiPath *from, const WasiPath *to)
{
    struct stat st;
    char        text[MOATW_PATH_MAX];

    if (fstatat(from->dirfd, from->name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
        !S_ISLNK(st.st_mode))
        return WASI_ESUCCESS;
    ssize_t n = readlinkat(from->dirfd, from->name, text, sizeof text);
    if (n < 0)
        return host_err();
    if ((size_t)n == sizeof text)
        return WASI_ENOTCAPABLE;        /* no guest could have made it */
    return moatW_link_text_check(text, (size_t)n, to->depth);
}

/* Result of a syscall that returns 0 or -1 with errno. */
static uint16_t
done(WasiPath *p, int rc)
{
    uint16_t e = rc == 0 ? WASI_ESUCCESS : host_err();

    moatW_path_done(p);
    return e;
}

uint32_t
moatW_path_create_directory(moat_caller *c, uint32_t fd, uint32_t path,
                            uint32_t path_len)
{
    WasiPath p;
    uint16_t e = moatW_path_lookup(c, fd, WASI_RIGHT_PATH_CREATE_DIRECTORY,
                                   path, path_len, false, &p);
    if (e != WASI_ESUCCESS)
        return e;
    return done(&p, mkdirat(p.dirfd, p.name, 0777));
}

uint32_t
moatW_path_filestat_get(moat_caller *c, uint32_t fd, uint32_t flags,
                        uint32_t path, uint32_t path_len, uint32_t buf)
{
    WasiPath    p;
    struct stat st;
    uint16_t    e = check_lookupflags(flags);

    if (e == WASI_ESUCCESS)
        e = moatW_path_lookup(c, fd, WASI_RIGHT_PATH_FILESTAT_GET, path,
                              path_len, flags != 0, &p);
    if (e != WASI_ESUCCESS)
        return e;
    e = stat_at(&p, &st);
    moatW_path_done(&p);
    if (e == WASI_ESUCCESS && p.is_dir_only && !S_ISDIR(st.st_mode))
        e = WASI_ENOTDIR;
    if (e != WASI_ESUCCESS)
        return e;
    uint8_t *dst = moatW_mem(c, buf, WASI_FILESTAT_SIZE);
    if (!dst)
        return WASI_EFAULT;
    moatW_put_filestat(dst, &st);
    return WASI_ESUCCESS;
}

uint32_t
moatW_path_filestat_set_times(moat_caller *c, uint32_t fd, uint32_t flags,
                              uint32_t path, uint32_t path_len,
                              uint64_t atim, uint64_t mtim,
                              uint32_t fst_flags)
{
    WasiPath        p;
    struct timespec ts[2];
    uint16_t        e = check_lookupflags(flags);

    if (e == WASI_ESUCCESS)
        e = moatW_timespecs(atim, mtim, fst_flags, ts);
    if (e == WASI_ESUCCESS)
        e = moatW_path_lookup(c, fd, WASI_RIGHT_PATH_FILESTAT_SET_TIMES,
                              path, path_len, flags != 0, &p);
    if (e != WASI_ESUCCESS)
        return e;
    if ((e = want_dir(&p)) != WASI_ESUCCESS) {
        moatW_path_done(&p);
        return e;
    }
    return done(&p, utimensat(p.dirfd, p.name, ts, AT_SYMLINK_NOFOLLOW));
}

uint32_t
moatW_path_link(moat_caller *c, uint32_t old_fd, uint32_t old_flags,
                uint32_t old_path, uint32_t old_path_len, uint32_t new_fd,
                uint32_t new_path, uint32_t new_path_len)
{
    WasiPath from, to;
    uint16_t e = check_lookupflags(old_flags);

    if (e == WASI_ESUCCESS)
        e = moatW_path_lookup(c, old_fd, WASI_RIGHT_PATH_LINK_SOURCE,
                              old_path, old_path_len, old_flags != 0, &from);
    if (e != WASI_ESUCCESS)
        return e;
    e = moatW_path_lookup(c, new_fd, WASI_RIGHT_PATH_LINK_TARGET, new_path,
                          new_path_len, false, &to);
    if (e == WASI_ESUCCESS && (e = want_dir(&from)) == WASI_ESUCCESS &&
        from.is_dir_only)
        e = WASI_EPERM;                 /* "dir/": no links to directories */
    if (e == WASI_ESUCCESS)
        e = want_new_nondir(&to);
    if (e == WASI_ESUCCESS)
        e = check_moved_link(&from, &to);
    /* Flags 0: if `from` became a link since we resolved it, the new name
     * is a link to that link, never to what it points at. */
    if (e == WASI_ESUCCESS &&
        linkat(from.dirfd, from.name, to.dirfd, to.name, 0) != 0)
        e = host_err();
    moatW_path_done(&from);
    moatW_path_done(&to);
    return e;
}

uint32_t
moatW_path_readlink(moat_caller *c, uint32_t fd, uint32_t path,
                    uint32_t path_len, uint32_t buf, uint32_t buf_len,
                    uint32_t bufused)
{
    WasiPath p;
    char     text[MOATW_PATH_MAX];
    uint16_t e = moatW_path_lookup(c, fd, WASI_RIGHT_PATH_READLINK, path,
                                   path_len, false, &p);
    if (e != WASI_ESUCCESS)
        return e;
    if ((e = want_dir(&p)) == WASI_ESUCCESS && p.is_dir_only)
        e = WASI_EINVAL;                /* "x/" is a directory, not a link */
    ssize_t n = -1;
    if (e == WASI_ESUCCESS &&
        (n = readlinkat(p.dirfd, p.name, text, sizeof text)) < 0)
        e = host_err();
    moatW_path_done(&p);
    if (e != WASI_ESUCCESS)
        return e;
    /* A target longer than the buffer is cut to it (the testsuite's
     * readlink expects that rather than ERANGE). */
    size_t   len = (size_t)n < buf_len ? (size_t)n : buf_len;
    uint8_t *dst = moatW_mem(c, buf, buf_len);
    uint8_t *used = moatW_mem(c, bufused, 4);
    if (!dst || !used)
        return WASI_EFAULT;
    memcpy(dst, text, len);
    moatW_put_u32(used, (uint32_t)len);
    return WASI_ESUCCESS;
}

uint32_t
moatW_path_remove_directory(moat_caller *c, uint32_t fd, uint32_t path,
                            uint32_t path_len)
{
    WasiPath p;
    uint16_t e = moatW_path_lookup(c, fd, WASI_RIGHT_PATH_REMOVE_DIRECTORY,
                                   path, path_len, false, &p);
    if (e != WASI_ESUCCESS)
        return e;
    /* "x/" changes nothing: rmdir takes directories only anyway. */
    return done(&p, unlinkat(p.dirfd, p.name, AT_REMOVEDIR));
}

uint32_t
moatW_path_rename(moat_caller *c, uint32_t fd, uint32_t old_path,
                  uint32_t old_path_len, uint32_t new_fd, uint32_t new_path,
                  uint32_t new_path_len)
{
    WasiPath from, to;
    uint16_t e = moatW_path_lookup(c, fd, WASI_RIGHT_PATH_RENAME_SOURCE,
                                   old_path, old_path_len, false, &from);
    if (e != WASI_ESUCCESS)
        return e;
    e = moatW_path_lookup(c, new_fd, WASI_RIGHT_PATH_RENAME_TARGET, new_path,
                          new_path_len, false, &to);
    /* A '/' at the end of either name: only a directory may move. */
    if (e == WASI_ESUCCESS && (from.is_dir_only || to.is_dir_only)) {
        from.is_dir_only = true;
        e = want_dir(&from);
    }
    /* A directory needs no check: its links stay at depth >= 1. */
    if (e == WASI_ESUCCESS)
        e = check_moved_link(&from, &to);
    if (e == WASI_ESUCCESS &&
        renameat(from.dirfd, from.name, to.dirfd, to.name) != 0)
        e = host_err();
    moatW_path_done(&from);
    moatW_path_done(&to);
    return e;
}

/* The target text of a new symbolic link, NUL-terminated into t, for a
 * link made `depth` directories below the start. Following it from the
 * guest goes through the resolver anyway; the rule is for host programs,
 * which follow it with the kernel: no absolute text, at most one leading
 * "..", none at the top (moatW_link_text_check). The testsuite's
 * symlink_create expects an absolute target to fail. */
static uint16_t
link_target(moat_caller *c, uint32_t ptr, uint32_t len, uint32_t depth,
            char t[MOATW_PATH_MAX])
{
    const uint8_t *p = moatW_mem(c, ptr, len);

    if (!p)
        return WASI_EFAULT;
    if (memchr(p, '\0', len) != NULL)
        return WASI_EINVAL;
    if (len >= MOATW_PATH_MAX)
        return WASI_ENAMETOOLONG;
    uint16_t e = moatW_link_text_check((const char *)p, len, depth);
    if (e != WASI_ESUCCESS)
        return e;
    memcpy(t, p, len);
    t[len] = '\0';
    return WASI_ESUCCESS;
}

uint32_t
moatW_path_symlink(moat_caller *c, uint32_t old_path, uint32_t old_path_len,
                   uint32_t fd, uint32_t new_path, uint32_t new_path_len)
{
    WasiPath p;
    char     target[MOATW_PATH_MAX];
    uint16_t e = moatW_path_lookup(c, fd, WASI_RIGHT_PATH_SYMLINK, new_path,
                                   new_path_len, false, &p);
    if (e != WASI_ESUCCESS)
        return e;
    e = link_target(c, old_path, old_path_len, p.depth, target);
    if (e == WASI_ESUCCESS)
        e = want_new_nondir(&p);
    if (e != WASI_ESUCCESS) {
        moatW_path_done(&p);
        return e;
    }
    return done(&p, symlinkat(target, p.dirfd, p.name));
}

uint32_t
moatW_path_unlink_file(moat_caller *c, uint32_t fd, uint32_t path,
                       uint32_t path_len)
{
    WasiPath    p;
    struct stat st;
    uint16_t    e = moatW_path_lookup(c, fd, WASI_RIGHT_PATH_UNLINK_FILE,
                                      path, path_len, false, &p);
    if (e != WASI_ESUCCESS)
        return e;
    if (p.is_dir_only) {            /* "x/": never a file to unlink */
        e = stat_at(&p, &st);
        if (e == WASI_ESUCCESS)
            e = S_ISDIR(st.st_mode) ? WASI_EISDIR : WASI_ENOTDIR;
        moatW_path_done(&p);
        return e;
    }
    return done(&p, unlinkat(p.dirfd, p.name, 0));
}
