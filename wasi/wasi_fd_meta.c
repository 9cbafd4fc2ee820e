/* wasi_fd_meta.c - the fd_* calls about a descriptor rather than its bytes
 * (WASI preview 1): fdstat get/set flags/rights, filestat get/set
 * size/times, advise, allocate, datasync, sync, close, renumber and the
 * preopen queries prestat_get / prestat_dir_name. Directories refuse the
 * calls about file contents with EBADF (moatW_fd_file).
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "wasi_impl.h"

uint32_t
moatW_fd_advise(moat_caller *c, uint32_t fd, uint64_t offset, uint64_t len,
                uint32_t advice)
{
    static const int host_advice[] = {
        [WASI_ADVICE_NORMAL] = POSIX_FADV_NORMAL,
        [WASI_ADVICE_SEQUENTIAL] = POSIX_FADV_SEQUENTIAL,
        [WASI_ADVICE_RANDOM] = POSIX_FADV_RANDOM,
        [WASI_ADVICE_WILLNEED] = POSIX_FADV_WILLNEED,
        [WASI_ADVICE_DONTNEED] = POSIX_FADV_DONTNEED,
        [WASI_ADVICE_NOREUSE] = POSIX_FADV_NOREUSE,
    };
    uint16_t e;
    WasiFd  *f = moatW_fd_file(moatW_wasi(c), fd, WASI_RIGHT_FD_ADVISE, &e);

    if (!f)
        return e;
    if (advice > WASI_ADVICE_NOREUSE || offset > INT64_MAX || len > INT64_MAX)
        return WASI_EINVAL;
    if (f->host_fd < 0)
        return WASI_ESPIPE;
    int r = posix_fadvise(f->host_fd, (off_t)offset, (off_t)len,
                          host_advice[advice]);
    return r == 0 ? WASI_ESUCCESS : moatW_errno(r);
}

uint32_t
moatW_fd_allocate(moat_caller *c, uint32_t fd, uint64_t offset,
                  uint64_t len)
{
    uint16_t e;
    WasiFd  *f = moatW_fd_file(moatW_wasi(c), fd, WASI_RIGHT_FD_ALLOCATE, &e);

    if (!f)
        return e;
    if (offset > INT64_MAX || len > INT64_MAX)
        return WASI_EINVAL;
    if (offset + len > INT64_MAX)
        return WASI_EFBIG;
    if (f->host_fd < 0)
        return WASI_ESPIPE;
    int r = posix_fallocate(f->host_fd, (off_t)offset, (off_t)len);
    return r == 0 ? WASI_ESUCCESS : moatW_errno(r);
}

uint32_t
moatW_fd_close(moat_caller *c, uint32_t fd)
{
    moat_wasi *w = moatW_wasi(c);
    uint16_t   e;

    if (!moatW_fd_get(w, fd, 0, &e))
        return e;
    moatW_fd_release(w, fd);                /* preopens too, as POSIX */
    return WASI_ESUCCESS;
}

static uint32_t
sync_fd(moat_caller *c, uint32_t fd, uint64_t right, int (*fn)(int))
{
    uint16_t e;
    WasiFd  *f = moatW_fd_get(moatW_wasi(c), fd, right, &e);

    if (!f)
        return e;
    if (f->host_fd < 0)
        return WASI_ESUCCESS;               /* a capture buffer is "synced" */
    return fn(f->host_fd) == 0 ? WASI_ESUCCESS : moatW_errno(errno);
}

uint32_t
moatW_fd_datasync(moat_caller *c, uint32_t fd)
{
    return sync_fd(c, fd, WASI_RIGHT_FD_DATASYNC, fdatasync);
}

uint32_t
moatW_fd_sync(moat_caller *c, uint32_t fd)
{
    return sync_fd(c, fd, WASI_RIGHT_FD_SYNC, fsync);
}

uint32_t
moatW_fd_fdstat_get(moat_caller *c, uint32_t fd, uint32_t buf)
{
    uint16_t e;
    WasiFd  *f = moatW_fd_get(moatW_wasi(c), fd, 0, &e);

    if (!f)
        return e;
    uint8_t *p = moatW_mem(c, buf, WASI_FDSTAT_SIZE);
    if (!p)
        return WASI_EFAULT;
    memset(p, 0, WASI_FDSTAT_SIZE);
    p[0] = f->filetype;
    moatW_put_u16(p + 2, moatW_fdflags_get(f));
    moatW_put_u64(p + 8, f->rights_base);
    moatW_put_u64(p + 16, f->rights_inheriting);
    return WASI_ESUCCESS;
}

/* The flags are moatW_fdflags_set's (wasi_hostio.c): real on what Moat
 * opened, emulated on what the host gave. */
uint32_t
moatW_fd_fdstat_set_flags(moat_caller *c, uint32_t fd, uint32_t flags)
{
    uint16_t e;
    WasiFd  *f = moatW_fd_get(moatW_wasi(c), fd,
                              WASI_RIGHT_FD_FDSTAT_SET_FLAGS, &e);

    if (!f)
        return e;
    if (flags > 0x1f)
        return WASI_EINVAL;
    return moatW_fdflags_set(f, (uint16_t)flags);
}

/* Rights only shrink: a descriptor never gains a capability. */
uint32_t
moatW_fd_fdstat_set_rights(moat_caller *c, uint32_t fd, uint64_t rights_base,
                           uint64_t rights_inheriting)
{
    uint16_t e;
    WasiFd  *f = moatW_fd_get(moatW_wasi(c), fd, 0, &e);

    if (!f)
        return e;
    if ((rights_base & ~f->rights_base) != 0 ||
        (rights_inheriting & ~f->rights_inheriting) != 0)
        return WASI_ENOTCAPABLE;
    f->rights_base = rights_base;
    f->rights_inheriting = rights_inheriting;
    return WASI_ESUCCESS;
}

uint32_t
moatW_fd_filestat_get(moat_caller *c, uint32_t fd, uint32_t buf)
{
    uint16_t    e;
    WasiFd     *f = moatW_fd_get(moatW_wasi(c), fd,
                                 WASI_RIGHT_FD_FILESTAT_GET, &e);
    struct stat st;

    if (!f)
        return e;
    uint8_t *p = moatW_mem(c, buf, WASI_FILESTAT_SIZE);
    if (!p)
        return WASI_EFAULT;
    if (f->host_fd < 0) {                   /* a capture buffer, stream */
        memset(p, 0, WASI_FILESTAT_SIZE);
        p[16] = f->filetype;
        if (!f->stream)
            moatW_put_u64(p + 24, 1);
        return WASI_ESUCCESS;
    }
    if (fstat(f->host_fd, &st) != 0)
        return moatW_errno(errno);
    moatW_put_filestat(p, &st);
    return WASI_ESUCCESS;
}

uint32_t
moatW_fd_filestat_set_size(moat_caller *c, uint32_t fd, uint64_t size)
{
    uint16_t e;
    WasiFd  *f = moatW_fd_file(moatW_wasi(c), fd,
                               WASI_RIGHT_FD_FILESTAT_SET_SIZE, &e);

    if (!f)
        return e;
    if (size > INT64_MAX)
        return WASI_EINVAL;
    if (f->host_fd < 0)
        return WASI_EINVAL;
    return ftruncate(f->host_fd, (off_t)size) == 0 ? WASI_ESUCCESS
                                                   : moatW_errno(errno);
}

static void
set_ts(struct timespec *ts, uint64_t ns, bool set, bool now)
{
    if (now) {
        *ts = (struct timespec){ .tv_nsec = UTIME_NOW };
    } else if (set) {
        ts->tv_sec = (time_t)(ns / 1000000000u);
        ts->tv_nsec = (long)(ns % 1000000000u);
    } else {
        *ts = (struct timespec){ .tv_nsec = UTIME_OMIT };
    }
}

uint16_t
moatW_timespecs(uint64_t atim, uint64_t mtim, uint32_t fst_flags,
                struct timespec ts[2])
{
    const uint32_t atim_both = WASI_FSTFLAG_ATIM | WASI_FSTFLAG_ATIM_NOW;
    const uint32_t mtim_both = WASI_FSTFLAG_MTIM | WASI_FSTFLAG_MTIM_NOW;

    if (fst_flags > 0xf || (fst_flags & atim_both) == atim_both ||
        (fst_flags & mtim_both) == mtim_both)
        return WASI_EINVAL;
    set_ts(&ts[0], atim, fst_flags & WASI_FSTFLAG_ATIM,
           fst_flags & WASI_FSTFLAG_ATIM_NOW);
    set_ts(&ts[1], mtim, fst_flags & WASI_FSTFLAG_MTIM,
           fst_flags & WASI_FSTFLAG_MTIM_NOW);
    return WASI_ESUCCESS;
}

uint32_t
moatW_fd_filestat_set_times(moat_caller *c, uint32_t fd, uint64_t atim,
                            uint64_t mtim, uint32_t fst_flags)
{
    uint16_t        e;
    WasiFd         *f = moatW_fd_get(moatW_wasi(c), fd,
                                     WASI_RIGHT_FD_FILESTAT_SET_TIMES, &e);
    struct timespec ts[2];

    if (!f)
        return e;
    if ((e = moatW_timespecs(atim, mtim, fst_flags, ts)) != WASI_ESUCCESS)
        return e;
    if (f->host_fd < 0)
        return WASI_ESUCCESS;               /* a capture buffer has none */
    return futimens(f->host_fd, ts) == 0 ? WASI_ESUCCESS
                                         : moatW_errno(errno);
}

uint32_t
moatW_fd_prestat_get(moat_caller *c, uint32_t fd, uint32_t buf)
{
    uint16_t e;
    WasiFd  *f = moatW_fd_get(moatW_wasi(c), fd, 0, &e);

    if (!f)
        return e;
    if (!f->preopen_path)
        return WASI_EBADF;      /* wasi-libc scans fds until it sees EBADF */
    uint8_t *p = moatW_mem(c, buf, WASI_PRESTAT_SIZE);
    if (!p)
        return WASI_EFAULT;
    memset(p, 0, WASI_PRESTAT_SIZE);
    p[0] = WASI_PREOPENTYPE_DIR;
    moatW_put_u32(p + 4, (uint32_t)strlen(f->preopen_path));
    return WASI_ESUCCESS;
}

/* Writes the name without a NUL; a buffer shorter than the name is
 * ENAMETOOLONG, a longer one keeps its extra bytes. */
uint32_t
moatW_fd_prestat_dir_name(moat_caller *c, uint32_t fd, uint32_t path,
                          uint32_t path_len)
{
    uint16_t e;
    WasiFd  *f = moatW_fd_get(moatW_wasi(c), fd, 0, &e);

    if (!f)
        return e;
    if (!f->preopen_path)
        return WASI_EBADF;
    size_t   n = strlen(f->preopen_path);
    uint8_t *p = moatW_mem(c, path, path_len);
    if (!p)
        return WASI_EFAULT;
    if (path_len < n)
        return WASI_ENAMETOOLONG;
    memcpy(p, f->preopen_path, n);
    return WASI_ESUCCESS;
}

/* Both must be open; `to` is closed first (a preopen too), then `fd`'s
 * entry moves there and `fd` becomes free. */
uint32_t
moatW_fd_renumber(moat_caller *c, uint32_t fd, uint32_t to)
{
    moat_wasi *w = moatW_wasi(c);
    uint16_t   e;

    if (!moatW_fd_get(w, fd, 0, &e) || !moatW_fd_get(w, to, 0, &e))
        return e;
    if (fd == to)
        return WASI_ESUCCESS;
    moatW_fd_release(w, to);
    w->fds[to] = w->fds[fd];
    w->fds[fd] = (WasiFd){ .host_fd = -1 };
    return WASI_ESUCCESS;
}
