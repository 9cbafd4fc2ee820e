/* wasi_hostio.c - reads, writes, sends, receives and accepts on a guest
 * descriptor's host fd with the guest's fdflags, and those flags
 * themselves. A descriptor Moat opened (path_open, sock_accept, preopens)
 * owns its open file description, so APPEND and NONBLOCK are set on it
 * with fcntl. One the host gave (stdio, moat_wasi_set_stdio) shares its
 * description with the host's processes: a flag set there would outlive
 * the guest (a shell's terminal left non-blocking), so the guest's flags
 * live in WasiFd.fdflags and are emulated per call: NONBLOCK by looking
 * with poll() before a call that could wait (or MSG_DONTWAIT on sockets),
 * APPEND with pwritev2(RWF_APPEND); a guest that clears the host's own
 * O_NONBLOCK waits with poll() on EAGAIN. The calls are wasi_fd_io.c's,
 * wasi_fd_meta.c's and wasi_sock.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "wasi_impl.h"

static bool
is_socket(const WasiFd *f)
{
    return f->filetype == WASI_FILETYPE_SOCKET_STREAM ||
           f->filetype == WASI_FILETYPE_SOCKET_DGRAM;
}

/* Regular files, block devices and directories never make a call wait:
 * O_NONBLOCK means nothing for them. */
static bool
may_wait(const WasiFd *f)
{
    return f->filetype != WASI_FILETYPE_REGULAR_FILE &&
           f->filetype != WASI_FILETYPE_BLOCK_DEVICE &&
           f->filetype != WASI_FILETYPE_DIRECTORY;
}

/* The guest asked for NONBLOCK on a description that is not ours. */
static bool
emulate_nonblock(const WasiFd *f)
{
    return moatW_fd_shared(f) && (f->fdflags & WASI_FDFLAG_NONBLOCK) &&
           may_wait(f);
}

/* poll() on one descriptor: 1 ready (or hung up, in error: the call that
 * follows says which), 0 not ready within timeout_ms, or -errno. */
static int
poll_one(int fd, short events, int timeout_ms)
{
    struct pollfd p = { .fd = fd, .events = events };

    for (;;) {
        int r = poll(&p, 1, timeout_ms);
        if (r >= 0)
            return r;
        if (errno != EINTR)
            return -errno;
    }
}

/* After the kernel said EAGAIN: a blocking guest on a shared description
 * the host made non-blocking waits for readiness. True: try again. */
static bool
wait_again(const WasiFd *f, short events, int err)
{
    if ((err != EAGAIN && err != EWOULDBLOCK) || !moatW_fd_shared(f) ||
        (f->fdflags & WASI_FDFLAG_NONBLOCK))
        return false;
    return poll_one(f->host_fd, events, -1) >= 0;
}

/* Before a call that could wait, for an emulated NONBLOCK: EAGAIN when
 * the descriptor is not ready, else 0. Sockets use MSG_DONTWAIT instead,
 * which leaves no window for another reader to empty it in between. */
static uint16_t
nonblock_gate(const WasiFd *f, short events)
{
    if (!emulate_nonblock(f) || is_socket(f))
        return WASI_ESUCCESS;
    int r = poll_one(f->host_fd, events, 0);
    return r > 0 ? WASI_ESUCCESS : r == 0 ? WASI_EAGAIN : moatW_errno(-r);
}

static int
dontwait(const WasiFd *f)
{
    return emulate_nonblock(f) ? MSG_DONTWAIT : 0;
}

static ssize_t
read_once(const WasiFd *f, struct iovec *v, int n, int64_t off,
          int msg_flags, int *out_flags)
{
    if (is_socket(f)) {
        struct msghdr m = { .msg_iov = v, .msg_iovlen = (size_t)n };
        ssize_t r = recvmsg(f->host_fd, &m, msg_flags | dontwait(f));
        *out_flags = m.msg_flags;
        return r;
    }
    return off < 0 ? readv(f->host_fd, v, n) : preadv(f->host_fd, v, n, off);
}

static uint16_t
read_with_flags(const WasiFd *f, struct iovec *v, int n, int64_t off,
                int msg_flags, size_t *done, int *out_flags)
{
    uint16_t e = nonblock_gate(f, POLLIN);

    *done = 0;
    *out_flags = 0;
    if (e != WASI_ESUCCESS)
        return e;
    for (;;) {
        ssize_t r = read_once(f, v, n, off, msg_flags, out_flags);
        if (r >= 0) {
            *done = (size_t)r;
            return WASI_ESUCCESS;
        }
        int err = errno;
        if (err != EINTR && !wait_again(f, POLLIN, err))
            return moatW_errno(err);
    }
}

uint16_t
moatW_host_read(const WasiFd *f, struct iovec *v, int n, int64_t off,
                size_t *done)
{
    int out_flags;
    return read_with_flags(f, v, n, off, 0, done, &out_flags);
}

uint16_t
moatW_host_recv(const WasiFd *f, struct iovec *v, int n, int msg_flags,
                size_t *done, int *out_flags)
{
    return read_with_flags(f, v, n, -1, msg_flags, done, out_flags);
}

/* writev/pwritev, or pwritev2(RWF_APPEND) for an emulated APPEND on a
 * seekable file (at the end whatever the offset, as Linux writes through
 * an O_APPEND description; off -1 moves the position there too). A kernel
 * before 4.16 lacks the flag: then seek to the end and write, which is not
 * atomic against other writers. */
static ssize_t
file_write(const WasiFd *f, const struct iovec *v, int n, int64_t off)
{
    if (moatW_fd_shared(f) && (f->fdflags & WASI_FDFLAG_APPEND) &&
        !may_wait(f)) {
        ssize_t r = pwritev2(f->host_fd, v, n, off < 0 ? -1 : off,
                             RWF_APPEND);
        if (r >= 0 || (errno != EOPNOTSUPP && errno != ENOSYS))
            return r;
        if (lseek(f->host_fd, 0, SEEK_END) < 0)
            return -1;
        return writev(f->host_fd, v, n);
    }
    return off < 0 ? writev(f->host_fd, v, n)
                   : pwritev(f->host_fd, v, n, off);
}

/* One write with SIGPIPE held back: the signal, if the kernel raises it,
 * stays pending and is consumed here (sockets: MSG_NOSIGNAL). */
static ssize_t
write_once(const WasiFd *f, const struct iovec *v, int n, int64_t off)
{
    if (is_socket(f)) {
        struct msghdr m = { .msg_iov = (struct iovec *)v,
                            .msg_iovlen = (size_t)n };
        return sendmsg(f->host_fd, &m, MSG_NOSIGNAL | dontwait(f));
    }
    if (f->filetype == WASI_FILETYPE_REGULAR_FILE)
        return file_write(f, v, n, off);
    sigset_t pipe_set, old;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    ssize_t r = file_write(f, v, n, off);
    int     saved = errno;
    if (r < 0 && errno == EPIPE && !sigismember(&old, SIGPIPE)) {
        struct timespec zero = { 0, 0 };
        sigtimedwait(&pipe_set, NULL, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    errno = saved;
    return r;
}

/* Drops the first `done` bytes of iov (after a partial transfer). */
static void
iov_advance(WasiIov *iov, size_t done, int *first)
{
    while (*first < iov->n && done >= iov->v[*first].iov_len)
        done -= iov->v[(*first)++].iov_len;
    if (*first < iov->n) {
        iov->v[*first].iov_base = (uint8_t *)iov->v[*first].iov_base + done;
        iov->v[*first].iov_len -= done;
    }
}

/* An emulated non-blocking write to a pipe, FIFO, terminal or device:
 * while poll() says writable, PIPE_BUF bytes at a time (a pipe reports
 * POLLOUT when at least that much fits, so each write completes without
 * waiting); stops at the first "not ready". */
static uint16_t
write_nonblock(const WasiFd *f, WasiIov *iov, int64_t off, size_t *written)
{
    char buf[PIPE_BUF];
    int  first = 0;

    while (*written < iov->total) {
        int r = poll_one(f->host_fd, POLLOUT, 0);
        if (r <= 0) {
            if (*written)
                break;
            return r == 0 ? WASI_EAGAIN : moatW_errno(-r);
        }
        size_t len = 0;
        for (int i = first; i < iov->n && len < sizeof buf; i++) {
            size_t k = iov->v[i].iov_len < sizeof buf - len
                           ? iov->v[i].iov_len : sizeof buf - len;
            memcpy(buf + len, iov->v[i].iov_base, k);
            len += k;
        }
        struct iovec one = { .iov_base = buf, .iov_len = len };
        ssize_t      w = write_once(f, &one, 1,
                                    off < 0 ? -1 : off + (int64_t)*written);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return *written ? WASI_ESUCCESS : moatW_errno(errno);
        if (w == 0)
            break;
        *written += (size_t)w;
        iov_advance(iov, (size_t)w, &first);
    }
    return WASI_ESUCCESS;
}

/* Writes all of iov unless the descriptor is non-blocking or an error
 * comes after some bytes (then the count so far is the result, as for a
 * short write). */
uint16_t
moatW_host_write(const WasiFd *f, WasiIov *iov, int64_t off, size_t *written)
{
    int first = 0;

    *written = 0;
    if (emulate_nonblock(f) && !is_socket(f))
        return write_nonblock(f, iov, off, written);
    while (*written < iov->total) {
        ssize_t r = write_once(f, iov->v + first, iov->n - first,
                               off < 0 ? -1 : off + (int64_t)*written);
        if (r < 0) {
            int err = errno;
            if (err == EINTR || wait_again(f, POLLOUT, err))
                continue;
            return *written ? WASI_ESUCCESS : moatW_errno(err);
        }
        if (r == 0)
            break;
        *written += (size_t)r;
        iov_advance(iov, (size_t)r, &first);
    }
    return WASI_ESUCCESS;
}

uint16_t
moatW_host_send(const WasiFd *f, struct iovec *v, int n, size_t *done)
{
    /* one sendmsg: a short send is the guest's to resume */
    for (;;) {
        ssize_t r = write_once(f, v, n, -1);
        if (r >= 0) {
            *done = (size_t)r;
            return WASI_ESUCCESS;
        }
        int err = errno;
        if (err != EINTR && !wait_again(f, POLLOUT, err))
            return moatW_errno(err);
    }
}

/* accept has no MSG_DONTWAIT: an emulated NONBLOCK looks first. */
int
moatW_host_accept(const WasiFd *f, int flags)
{
    if (emulate_nonblock(f)) {
        int r = poll_one(f->host_fd, POLLIN, 0);
        if (r <= 0)
            return r == 0 ? -EAGAIN : r;
    }
    for (;;) {
        int h = accept4(f->host_fd, NULL, NULL, flags);
        if (h >= 0)
            return h;
        int err = errno;
        if (err != EINTR && !wait_again(f, POLLIN, err))
            return -err;
    }
}

uint16_t
moatW_fdflags_of(int fl, uint16_t asked)
{
    uint16_t r = 0;

    if (fl & O_APPEND)
        r |= WASI_FDFLAG_APPEND;
    if (fl & O_NONBLOCK)
        r |= WASI_FDFLAG_NONBLOCK;
    if ((fl & O_SYNC) == O_SYNC)            /* O_SYNC includes O_DSYNC */
        r |= WASI_FDFLAG_SYNC;
    else if (fl & O_DSYNC)
        r |= WASI_FDFLAG_DSYNC;
    if ((fl & O_RSYNC) && (asked & WASI_FDFLAG_RSYNC))
        r |= WASI_FDFLAG_RSYNC;             /* O_RSYNC == O_SYNC on Linux */
    return r;
}

/* A shared description's flags are what the guest set (starting from the
 * host's, moatW_fd_describe); a private one's are the kernel's. */
uint16_t
moatW_fdflags_get(const WasiFd *f)
{
    if (f->host_fd < 0 || moatW_fd_shared(f))
        return f->fdflags;
    int fl = fcntl(f->host_fd, F_GETFL);
    return fl < 0 ? f->fdflags : moatW_fdflags_of(fl, f->fdflags);
}

/* Linux changes only O_APPEND and O_NONBLOCK of an open file; the sync
 * flags are fixed at open, so changing them is ENOTSUP. On a shared
 * description nothing changes in the kernel, and the host's own O_APPEND
 * cannot be undone (the kernel would append anyway): ENOTSUP. */
uint16_t
moatW_fdflags_set(WasiFd *f, uint16_t flags)
{
    const uint16_t sync_flags =
        WASI_FDFLAG_DSYNC | WASI_FDFLAG_RSYNC | WASI_FDFLAG_SYNC;

    if ((flags & sync_flags) != (moatW_fdflags_get(f) & sync_flags))
        return WASI_ENOTSUP;
    if (f->host_fd >= 0) {
        int fl = fcntl(f->host_fd, F_GETFL);
        if (fl < 0)
            return moatW_errno(errno);
        if (moatW_fd_shared(f)) {
            if ((fl & O_APPEND) && !(flags & WASI_FDFLAG_APPEND))
                return WASI_ENOTSUP;
        } else {
            fl &= ~(O_APPEND | O_NONBLOCK);
            if (flags & WASI_FDFLAG_APPEND)
                fl |= O_APPEND;
            if (flags & WASI_FDFLAG_NONBLOCK)
                fl |= O_NONBLOCK;
            if (fcntl(f->host_fd, F_SETFL, fl) != 0)
                return moatW_errno(errno);
        }
    }
    f->fdflags = flags;
    return WASI_ESUCCESS;
}
