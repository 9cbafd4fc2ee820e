/* wasi_fd_io.c - fd_read, fd_write, fd_pread, fd_pwrite, fd_seek, fd_tell
 * (WASI preview 1): scatter/gather through host iovecs built from the
 * guest's, every buffer bounds-checked. Writes to captured stdout/stderr
 * append to the moat_wasi's buffers. A write to a pipe or socket whose
 * reader is gone gives EPIPE, never a SIGPIPE in the host.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util.h"
#include "wasi_impl.h"

uint16_t
moatW_iov_get(moat_caller *c, uint32_t iovs, uint32_t iovs_len,
              WasiIov *out)
{
    const uint8_t *arr = moatW_mem(c, iovs, (uint64_t)iovs_len * 8);
    uint32_t       n = iovs_len < IOV_MAX ? iovs_len : IOV_MAX;

    out->v = out->small;
    out->n = 0;
    out->total = 0;
    if (!arr)
        return WASI_EFAULT;
    if (n > sizeof out->small / sizeof *out->small &&
        !(out->v = moatU_calloc(n, sizeof *out->v))) {
        out->v = out->small;
        return WASI_ENOMEM;
    }
    for (uint32_t i = 0; i < iovs_len; i++) {
        uint32_t ptr = moatW_get_u32(arr + 8 * (size_t)i);
        uint32_t len = moatW_get_u32(arr + 8 * (size_t)i + 4);
        uint8_t *p = moatW_mem(c, ptr, len);
        if (!p) {
            moatW_iov_free(out);
            return WASI_EFAULT;
        }
        if (i >= n)
            continue;               /* checked, but beyond what we move */
        if (len > UINT32_MAX - out->total)
            len = (uint32_t)(UINT32_MAX - out->total);
        out->v[out->n++] = (struct iovec){ .iov_base = p, .iov_len = len };
        out->total += len;
    }
    return WASI_ESUCCESS;
}

void
moatW_iov_free(WasiIov *iov)
{
    if (iov->v != iov->small)
        moatU_free(iov->v);
    iov->v = iov->small;
    iov->n = 0;
}

static uint16_t
capture_append(moat_wasi *w, int which, const WasiIov *iov)
{
    WasiBuf *b = &w->capture[which];

    if (iov->total + 1 > b->cap - b->len || !b->data) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap - b->len < iov->total + 1)
            cap *= 2;
        char *d = moatU_realloc(b->data, cap);
        if (!d)
            return WASI_ENOMEM;
        b->data = d;
        b->cap = cap;
    }
    for (int i = 0; i < iov->n; i++) {
        memcpy(b->data + b->len, iov->v[i].iov_base, iov->v[i].iov_len);
        b->len += iov->v[i].iov_len;
    }
    b->data[b->len] = '\0';             /* convenient for tests and CLIs */
    return WASI_ESUCCESS;
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

/* One writev/pwritev/sendmsg with SIGPIPE held back: the signal, if the
 * kernel raises it, stays pending and is consumed here. */
static ssize_t
write_once(const WasiFd *f, const struct iovec *v, int n, int64_t off)
{
    if (f->filetype == WASI_FILETYPE_SOCKET_STREAM ||
        f->filetype == WASI_FILETYPE_SOCKET_DGRAM) {
        struct msghdr m = { .msg_iov = (struct iovec *)v,
                            .msg_iovlen = (size_t)n };
        return sendmsg(f->host_fd, &m, MSG_NOSIGNAL);
    }
    if (f->filetype == WASI_FILETYPE_REGULAR_FILE)
        return off < 0 ? writev(f->host_fd, v, n)
                       : pwritev(f->host_fd, v, n, off);
    sigset_t pipe_set, old;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    ssize_t r = off < 0 ? writev(f->host_fd, v, n)
                        : pwritev(f->host_fd, v, n, off);
    int saved = errno;
    if (r < 0 && errno == EPIPE && !sigismember(&old, SIGPIPE)) {
        struct timespec zero = { 0, 0 };
        sigtimedwait(&pipe_set, NULL, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    errno = saved;
    return r;
}

/* Writes all of iov unless an error comes after some bytes (then the count
 * so far is the result, as for a short write). off < 0: at the position. */
static uint16_t
write_all(const WasiFd *f, WasiIov *iov, int64_t off, size_t *written)
{
    int first = 0;

    *written = 0;
    while (*written < iov->total) {
        ssize_t r = write_once(f, iov->v + first, iov->n - first,
                               off < 0 ? -1 : off + (int64_t)*written);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return *written ? WASI_ESUCCESS : moatW_errno(errno);
        }
        if (r == 0)
            break;
        *written += (size_t)r;
        iov_advance(iov, (size_t)r, &first);
    }
    return WASI_ESUCCESS;
}

static uint16_t
read_once(const WasiFd *f, WasiIov *iov, int64_t off, size_t *nread)
{
    for (;;) {
        ssize_t r = off < 0 ? readv(f->host_fd, iov->v, iov->n)
                            : preadv(f->host_fd, iov->v, iov->n, off);
        if (r >= 0) {
            *nread = (size_t)r;
            return WASI_ESUCCESS;
        }
        if (errno != EINTR)
            return moatW_errno(errno);
    }
}

/* The common body of the four calls. off < 0: current position. */
static uint32_t
transfer(moat_caller *c, uint32_t fd, uint32_t iovs, uint32_t iovs_len,
         int64_t off, uint32_t result, bool is_write)
{
    moat_wasi *w = moatW_wasi(c);
    uint64_t   rights = is_write ? WASI_RIGHT_FD_WRITE : WASI_RIGHT_FD_READ;
    uint16_t   e;

    if (off >= 0)
        rights |= WASI_RIGHT_FD_SEEK;
    WasiFd *f = moatW_fd_file(w, fd, rights, &e);
    if (!f)
        return e;
    uint8_t *pr = moatW_mem(c, result, 4);
    WasiIov  iov;
    if (!pr)
        return WASI_EFAULT;
    if ((e = moatW_iov_get(c, iovs, iovs_len, &iov)) != WASI_ESUCCESS)
        return e;
    size_t done = 0;
    if (f->capture && is_write) {
        e = off >= 0 ? WASI_ESPIPE : capture_append(w, f->capture, &iov);
        done = iov.total;
    } else if (f->host_fd < 0) {
        e = WASI_EBADF;
    } else if (is_write) {
        e = write_all(f, &iov, off, &done);
    } else {
        e = read_once(f, &iov, off, &done);
    }
    moatW_iov_free(&iov);
    if (e == WASI_ESUCCESS)
        moatW_put_u32(pr, (uint32_t)done);
    return e;
}

uint32_t
moatW_fd_read(moat_caller *c, uint32_t fd, uint32_t iovs, uint32_t iovs_len,
              uint32_t nread)
{
    return transfer(c, fd, iovs, iovs_len, -1, nread, false);
}

uint32_t
moatW_fd_write(moat_caller *c, uint32_t fd, uint32_t iovs,
               uint32_t iovs_len, uint32_t nwritten)
{
    return transfer(c, fd, iovs, iovs_len, -1, nwritten, true);
}

uint32_t
moatW_fd_pread(moat_caller *c, uint32_t fd, uint32_t iovs,
               uint32_t iovs_len, uint64_t offset, uint32_t nread)
{
    if (offset > INT64_MAX)
        return WASI_EINVAL;
    return transfer(c, fd, iovs, iovs_len, (int64_t)offset, nread, false);
}

uint32_t
moatW_fd_pwrite(moat_caller *c, uint32_t fd, uint32_t iovs,
                uint32_t iovs_len, uint64_t offset, uint32_t nwritten)
{
    if (offset > INT64_MAX)
        return WASI_EINVAL;
    return transfer(c, fd, iovs, iovs_len, (int64_t)offset, nwritten, true);
}

static uint32_t
seek(moat_caller *c, uint32_t fd, int64_t delta, int whence, uint64_t right,
     uint32_t result)
{
    uint16_t e;
    WasiFd  *f = moatW_fd_file(moatW_wasi(c), fd, right, &e);

    if (!f)
        return e;
    uint8_t *p = moatW_mem(c, result, 8);
    if (!p)
        return WASI_EFAULT;
    if (f->host_fd < 0)
        return WASI_ESPIPE;                     /* a capture buffer */
    off_t pos = lseek(f->host_fd, (off_t)delta, whence);
    if (pos < 0)
        return moatW_errno(errno);
    moatW_put_u64(p, (uint64_t)pos);
    return WASI_ESUCCESS;
}

uint32_t
moatW_fd_seek(moat_caller *c, uint32_t fd, uint64_t offset, uint32_t whence,
              uint32_t newoffset)
{
    static const int host_whence[] = {
        [WASI_WHENCE_SET] = SEEK_SET, [WASI_WHENCE_CUR] = SEEK_CUR,
        [WASI_WHENCE_END] = SEEK_END,
    };
    int64_t delta = (int64_t)offset;            /* filedelta is s64 */

    if (whence > WASI_WHENCE_END)
        return WASI_EINVAL;
    /* Asking for the position only needs the tell right (as fd_tell). */
    uint64_t right = WASI_RIGHT_FD_SEEK;
    uint16_t e;
    WasiFd  *f = moatW_fd_get(moatW_wasi(c), fd, 0, &e);
    if (f && whence == WASI_WHENCE_CUR && delta == 0 &&
        (f->rights_base & WASI_RIGHT_FD_TELL))
        right = WASI_RIGHT_FD_TELL;
    return seek(c, fd, delta, host_whence[whence], right, newoffset);
}

uint32_t
moatW_fd_tell(moat_caller *c, uint32_t fd, uint32_t offset)
{
    return seek(c, fd, 0, SEEK_CUR, WASI_RIGHT_FD_TELL, offset);
}
