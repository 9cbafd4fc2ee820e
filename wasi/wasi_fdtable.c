/* wasi_fdtable.c - the guest's descriptor table (lookup with a rights check,
 * insertion, release), host errno -> WASI errno, guest memory bounds checks
 * and the filestat record. The functions that use them live in the other
 * wasi_*.c files. WASI preview 1: `fd`, `rights`, `errno`, `filestat`.
 */
#include <errno.h>
#include <unistd.h>

#include "util.h"
#include "wasi_impl.h"

WasiFd *
moatW_fd_get(moat_wasi *w, uint32_t fd, uint64_t rights, uint16_t *err)
{
    if (fd < w->nfds && w->fds[fd].undescribed)
        moatW_fd_describe(&w->fds[fd]);
    if (fd >= w->nfds || !w->fds[fd].is_open) {
        *err = WASI_EBADF;
        return NULL;
    }
    WasiFd *f = &w->fds[fd];
    if ((f->rights_base & rights) != rights) {
        *err = WASI_ENOTCAPABLE;
        return NULL;
    }
    *err = WASI_ESUCCESS;
    return f;
}

/* Makes room for slot `fd` (closed slots up to it). */
uint16_t
moatW_fd_reserve(moat_wasi *w, uint32_t fd)
{
    if (fd < w->nfds)
        return WASI_ESUCCESS;
    if (fd >= MOATW_FD_MAX)
        return WASI_EMFILE;             /* bounds the table's memory */
    if (fd >= w->capfds) {
        uint32_t cap = w->capfds ? w->capfds : 8;
        while (cap <= fd)
            cap *= 2;
        if (cap > MOATW_FD_MAX)
            cap = MOATW_FD_MAX;
        WasiFd *n = moatU_realloc(w->fds, (size_t)cap * sizeof *n);
        if (!n)
            return WASI_ENOMEM;
        w->fds = n;
        w->capfds = cap;
    }
    memset(&w->fds[w->nfds], 0, (size_t)(fd + 1 - w->nfds) * sizeof *w->fds);
    for (uint32_t i = w->nfds; i <= fd; i++)
        w->fds[i].host_fd = -1;
    w->nfds = fd + 1;
    return WASI_ESUCCESS;
}

uint64_t
moatW_rights_of(uint8_t filetype)
{
    switch (filetype) {
    case WASI_FILETYPE_DIRECTORY:     return WASI_RIGHTS_DIR;
    case WASI_FILETYPE_SOCKET_DGRAM:
    case WASI_FILETYPE_SOCKET_STREAM: return WASI_RIGHTS_SOCKET;
    default:                          return WASI_RIGHTS_FILE;
    }
}

uint16_t
moatW_fd_insert(moat_wasi *w, int host_fd, uint8_t filetype,
                uint64_t rights_base, uint64_t rights_inheriting,
                uint16_t fdflags, uint32_t *out_fd)
{
    uint32_t fd = 3;

    while (fd < w->nfds && w->fds[fd].is_open)  /* lowest free, like POSIX */
        fd++;
    uint16_t e = moatW_fd_reserve(w, fd);
    if (e != WASI_ESUCCESS) {
        close(host_fd);
        return e;
    }
    w->fds[fd] = (WasiFd){
        .is_open = true, .is_owned = true, .host_fd = host_fd,
        .filetype = filetype, .fdflags = fdflags,
        .rights_base = rights_base & moatW_rights_of(filetype),
        .rights_inheriting = rights_inheriting
    };
    *out_fd = fd;
    return WASI_ESUCCESS;
}

void
moatW_fd_release(moat_wasi *w, uint32_t fd)
{
    if (fd >= w->nfds || !w->fds[fd].is_open)
        return;
    WasiFd *f = &w->fds[fd];
    if (f->is_owned && f->host_fd >= 0)
        close(f->host_fd);              /* EINTR: the fd is gone anyway */
    moatU_free(f->preopen_path);
    *f = (WasiFd){ .host_fd = -1 };
}

uint8_t
moatW_filetype(mode_t mode)
{
    switch (mode & S_IFMT) {
    case S_IFREG:  return WASI_FILETYPE_REGULAR_FILE;
    case S_IFDIR:  return WASI_FILETYPE_DIRECTORY;
    case S_IFCHR:  return WASI_FILETYPE_CHARACTER_DEVICE;
    case S_IFBLK:  return WASI_FILETYPE_BLOCK_DEVICE;
    case S_IFLNK:  return WASI_FILETYPE_SYMBOLIC_LINK;
    case S_IFSOCK: return WASI_FILETYPE_SOCKET_STREAM;
    default:       return WASI_FILETYPE_UNKNOWN;    /* FIFOs have no type */
    }
}

/* Host errno values with a WASI equivalent of the same meaning. */
static const struct { int host; uint16_t wasi; } errno_map[] = {
    { E2BIG, WASI_E2BIG }, { EACCES, WASI_EACCES },
    { EADDRINUSE, WASI_EADDRINUSE }, { EADDRNOTAVAIL, WASI_EADDRNOTAVAIL },
    { EAFNOSUPPORT, WASI_EAFNOSUPPORT }, { EAGAIN, WASI_EAGAIN },
    { EALREADY, WASI_EALREADY }, { EBADF, WASI_EBADF },
    { EBADMSG, WASI_EBADMSG }, { EBUSY, WASI_EBUSY },
    { ECANCELED, WASI_ECANCELED }, { ECHILD, WASI_ECHILD },
    { ECONNABORTED, WASI_ECONNABORTED }, { ECONNREFUSED, WASI_ECONNREFUSED },
    { ECONNRESET, WASI_ECONNRESET }, { EDEADLK, WASI_EDEADLK },
    { EDESTADDRREQ, WASI_EDESTADDRREQ }, { EDOM, WASI_EDOM },
    { EDQUOT, WASI_EDQUOT }, { EEXIST, WASI_EEXIST }, { EFAULT, WASI_EFAULT },
    { EFBIG, WASI_EFBIG }, { EHOSTUNREACH, WASI_EHOSTUNREACH },
    { EIDRM, WASI_EIDRM }, { EILSEQ, WASI_EILSEQ },
    { EINPROGRESS, WASI_EINPROGRESS }, { EINTR, WASI_EINTR },
    { EINVAL, WASI_EINVAL }, { EIO, WASI_EIO }, { EISCONN, WASI_EISCONN },
    { EISDIR, WASI_EISDIR }, { ELOOP, WASI_ELOOP }, { EMFILE, WASI_EMFILE },
    { EMLINK, WASI_EMLINK }, { EMSGSIZE, WASI_EMSGSIZE },
    { EMULTIHOP, WASI_EMULTIHOP }, { ENAMETOOLONG, WASI_ENAMETOOLONG },
    { ENETDOWN, WASI_ENETDOWN }, { ENETRESET, WASI_ENETRESET },
    { ENETUNREACH, WASI_ENETUNREACH }, { ENFILE, WASI_ENFILE },
    { ENOBUFS, WASI_ENOBUFS }, { ENODEV, WASI_ENODEV },
    { ENOENT, WASI_ENOENT }, { ENOEXEC, WASI_ENOEXEC },
    { ENOLCK, WASI_ENOLCK }, { ENOLINK, WASI_ENOLINK },
    { ENOMEM, WASI_ENOMEM }, { ENOMSG, WASI_ENOMSG },
    { ENOPROTOOPT, WASI_ENOPROTOOPT }, { ENOSPC, WASI_ENOSPC },
    { ENOSYS, WASI_ENOSYS }, { ENOTCONN, WASI_ENOTCONN },
    { ENOTDIR, WASI_ENOTDIR }, { ENOTEMPTY, WASI_ENOTEMPTY },
    { ENOTRECOVERABLE, WASI_ENOTRECOVERABLE }, { ENOTSOCK, WASI_ENOTSOCK },
    { ENOTSUP, WASI_ENOTSUP }, { ENOTTY, WASI_ENOTTY }, { ENXIO, WASI_ENXIO },
    { EOVERFLOW, WASI_EOVERFLOW }, { EOWNERDEAD, WASI_EOWNERDEAD },
    { EPERM, WASI_EPERM }, { EPIPE, WASI_EPIPE }, { EPROTO, WASI_EPROTO },
    { EPROTONOSUPPORT, WASI_EPROTONOSUPPORT },
    { EPROTOTYPE, WASI_EPROTOTYPE }, { ERANGE, WASI_ERANGE },
    { EROFS, WASI_EROFS }, { ESPIPE, WASI_ESPIPE }, { ESRCH, WASI_ESRCH },
    { ESTALE, WASI_ESTALE }, { ETIMEDOUT, WASI_ETIMEDOUT },
    { ETXTBSY, WASI_ETXTBSY }, { EXDEV, WASI_EXDEV },
};

uint16_t
moatW_errno(int host_errno)
{
    if (host_errno == 0)
        return WASI_ESUCCESS;
#if EWOULDBLOCK != EAGAIN
    if (host_errno == EWOULDBLOCK)
        return WASI_EAGAIN;
#endif
#if EOPNOTSUPP != ENOTSUP
    if (host_errno == EOPNOTSUPP)
        return WASI_ENOTSUP;
#endif
    for (size_t i = 0; i < sizeof errno_map / sizeof *errno_map; i++)
        if (errno_map[i].host == host_errno)
            return errno_map[i].wasi;
    return WASI_EIO;
}

/* The state the definition was bound to, else the one bound to the
 * calling instance (moat_wasi_define with NULL, moat_wasi_bind). */
moat_wasi *
moatW_wasi(moat_caller *c)
{
    moat_wasi *w = moat_caller_data(c);

    if (!w)
        w = moatW_instance_wasi(moat_caller_instance(c));
    if (!w)
        moat_caller_trap(c, "WASI call from an instance without a WASI "
                            "state (moat_wasi_bind)");
    return w;
}

uint8_t *
moatW_mem(moat_caller *c, uint32_t ptr, uint64_t len)
{
    uint64_t size = 0;
    uint8_t *base = moat_caller_memory(c, &size);

    if (!base || ptr > size || len > size - ptr)     /* no overflow: u64 */
        return NULL;
    return base + ptr;
}

static uint64_t
ns_of(struct timespec ts)
{
    if (ts.tv_sec < 0)
        return 0;                       /* before 1970: WASI time is u64 */
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void
moatW_put_filestat(uint8_t *dst, const struct stat *st)
{
    memset(dst, 0, WASI_FILESTAT_SIZE);
    moatW_put_u64(dst + 0, (uint64_t)st->st_dev);
    moatW_put_u64(dst + 8, (uint64_t)st->st_ino);
    dst[16] = moatW_filetype(st->st_mode);
    moatW_put_u64(dst + 24, (uint64_t)st->st_nlink);
    moatW_put_u64(dst + 32, (uint64_t)st->st_size);
    moatW_put_u64(dst + 40, ns_of(st->st_atim));
    moatW_put_u64(dst + 48, ns_of(st->st_mtim));
    moatW_put_u64(dst + 56, ns_of(st->st_ctim));
}

WasiFd *
moatW_fd_file(moat_wasi *w, uint32_t fd, uint64_t rights, uint16_t *err)
{
    WasiFd *f = moatW_fd_get(w, fd, 0, err);

    if (!f)
        return NULL;
    if (f->filetype == WASI_FILETYPE_DIRECTORY) {
        *err = WASI_EBADF;
        return NULL;
    }
    return moatW_fd_get(w, fd, rights, err);
}
