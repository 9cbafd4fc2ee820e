/* wasi_stream.c - streamed stdio (moat_wasi_set_stream): guest descriptors
 * 0, 1, 2 read from and write to callbacks of the host, and a guest that
 * would block waits through the host's wait(), which may yield the call so
 * that one thread runs many guests. A yield may never return (the embedder
 * may free or reset the suspended instance), so nothing here holds heap
 * memory or host pointers into guest memory across a wait: each pass looks
 * the descriptor and the iovecs up again. poll_oneoff's loop over wait()
 * is wasi_poll.c's; fd_read / fd_write reach here from wasi_fd_io.c.
 */
#include "util.h"
#include "wasi_impl.h"

/* A pipe, so that the guest's libc buffers stdout fully and isatty() is
 * false (a character device without seek rights would be a terminal). */
static void
set_stream_fd(moat_wasi *w, uint32_t fd)
{
    moatW_fd_release(w, fd);
    w->fds[fd] = (WasiFd){
        .is_open = true, .stream = (int)fd + 1, .host_fd = -1,
        .filetype = WASI_FILETYPE_UNKNOWN,
        .rights_base = (fd == 0 ? WASI_RIGHT_FD_READ : WASI_RIGHT_FD_WRITE) |
                       WASI_RIGHT_POLL_FD_READWRITE |
                       WASI_RIGHT_FD_FDSTAT_SET_FLAGS |
                       WASI_RIGHT_FD_FILESTAT_GET
    };
}

moat_status
moat_wasi_set_stream(moat_wasi *w, const moat_wasi_stream *s,
                     moat_error *err)
{
    if (!s || !s->read || !s->write || !s->ready || !s->wait) {
        moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_LIMIT,
                   "moat_wasi_set_stream: %s", s ? "a callback is NULL"
                                                 : "no stream");
        return MOAT_ERR_LIMIT;
    }
    w->stream = *s;
    w->has_stream = true;
    for (uint32_t fd = 0; fd < 3; fd++)   /* moat_wasi_new reserved them */
        set_stream_fd(w, fd);
    return MOAT_OK;
}

moat_wasi *
moatW_stream_of(moat_caller *c)
{
    moat_wasi *w = moat_caller_data(c);

    if (!w)
        w = moatW_instance_wasi(moat_caller_instance(c));
    return w && w->has_stream ? w : NULL;
}

/* The stream descriptor fd with `right` again after a wait (the host may
 * have taken it back meanwhile: EBADF). */
static WasiFd *
stream_fd(moat_wasi *w, uint32_t fd, uint64_t right, uint16_t *e)
{
    WasiFd *f = moatW_fd_get(w, fd, right, e);

    if (f && !f->stream) {
        *e = WASI_EBADF;
        return NULL;
    }
    return f;
}

/* A callback's count, never more than was asked (a broken host). */
static long
clamp(long r, size_t len)
{
    return r > 0 && (size_t)r > len ? (long)len : r;
}

/* Stores a byte count at guest address `at` (checked before the I/O,
 * looked up again: host pointers are not kept across a wait). */
static uint32_t
put_count(moat_caller *c, uint32_t at, size_t n)
{
    uint8_t *p = moatW_mem(c, at, 4);

    if (!p)
        return WASI_EFAULT;
    moatW_put_u32(p, (uint32_t)n);
    return WASI_ESUCCESS;
}

/* One pass of fd_read: fills the iovecs in order until a read comes back
 * short, at the end, or empty. *r: the last read()'s result. */
static uint16_t
read_pass(moat_caller *c, moat_wasi *w, uint32_t iovs, uint32_t iovs_len,
          size_t *done, long *r)
{
    WasiIov  iov;
    uint16_t e = moatW_iov_get(c, iovs, iovs_len, &iov);

    *done = 0;
    *r = 0;
    if (e != WASI_ESUCCESS)
        return e;
    for (int i = 0; i < iov.n; i++) {
        size_t len = iov.v[i].iov_len;
        if (len == 0)
            continue;
        *r = clamp(w->stream.read(w->stream.data, iov.v[i].iov_base, len),
                   len);
        if (*r <= 0)
            break;
        *done += (size_t)*r;
        if ((size_t)*r < len)
            break;
    }
    moatW_iov_free(&iov);
    return WASI_ESUCCESS;
}

uint32_t
moatW_stream_read(moat_caller *c, uint32_t fd, uint32_t iovs,
                  uint32_t iovs_len, uint32_t nread)
{
    moat_wasi *w = moatW_wasi(c);

    for (;;) {
        uint16_t e;
        WasiFd  *f = stream_fd(w, fd, WASI_RIGHT_FD_READ, &e);
        if (!f)
            return e;
        bool   is_nonblock = f->fdflags & WASI_FDFLAG_NONBLOCK;
        size_t done;
        long   r;
        if (!moatW_mem(c, nread, 4))
            return WASI_EFAULT;
        if ((e = read_pass(c, w, iovs, iovs_len, &done, &r)) != WASI_ESUCCESS)
            return e;
        if (done > 0 || r >= 0)         /* data, end of input, or len 0 */
            return put_count(c, nread, done);
        if (is_nonblock)
            return WASI_EAGAIN;
        w->stream.wait(w->stream.data, c, MOAT_WASI_WAIT_READ, UINT64_MAX);
    }
}

/* One pass of fd_write: writes the iovecs' bytes from offset *done on
 * until they are all taken or write() takes none (*r: 0 no room, -1
 * closed). */
static uint16_t
write_pass(moat_caller *c, moat_wasi *w, int role, uint32_t iovs,
           uint32_t iovs_len, size_t *done, size_t *total, long *r)
{
    WasiIov  iov;
    uint16_t e = moatW_iov_get(c, iovs, iovs_len, &iov);
    size_t   skip = *done;

    *r = 1;
    if (e != WASI_ESUCCESS)
        return e;
    *total = iov.total;
    for (int i = 0; i < iov.n && *r > 0; i++) {
        const char *p = iov.v[i].iov_base;
        size_t      len = iov.v[i].iov_len;
        if (skip >= len) {              /* written in an earlier pass */
            skip -= len;
            continue;
        }
        p += skip;
        len -= skip;
        skip = 0;
        while (len > 0) {
            *r = clamp(w->stream.write(w->stream.data, role, p, len), len);
            if (*r <= 0)
                break;
            p += *r;
            len -= (size_t)*r;
            *done += (size_t)*r;
        }
    }
    moatW_iov_free(&iov);
    return WASI_ESUCCESS;
}

/* Blocking semantics: every byte goes out, waiting while there is no
 * room, unless the guest set NONBLOCK (then a partial count, or EAGAIN
 * when nothing went). A closed output: EPIPE, or the count so far. */
uint32_t
moatW_stream_write(moat_caller *c, uint32_t fd, uint32_t iovs,
                   uint32_t iovs_len, uint32_t nwritten)
{
    moat_wasi *w = moatW_wasi(c);
    size_t     done = 0;

    for (;;) {
        uint16_t e;
        WasiFd  *f = stream_fd(w, fd, WASI_RIGHT_FD_WRITE, &e);
        if (!f && done > 0)             /* taken back while waiting */
            return put_count(c, nwritten, done);
        if (!f)
            return e;
        bool   is_nonblock = f->fdflags & WASI_FDFLAG_NONBLOCK;
        size_t total = 0;
        long   r;
        if (!moatW_mem(c, nwritten, 4))
            return WASI_EFAULT;
        e = write_pass(c, w, f->stream - 1, iovs, iovs_len, &done, &total,
                       &r);
        if (e != WASI_ESUCCESS)
            return e;
        if (r < 0 && done == 0)
            return WASI_EPIPE;
        if (done < total && r == 0 && is_nonblock && done == 0)
            return WASI_EAGAIN;
        if (done >= total || r < 0 || is_nonblock)
            return put_count(c, nwritten, done);
        w->stream.wait(w->stream.data, c, MOAT_WASI_WAIT_WRITE, UINT64_MAX);
    }
}

WasiEvent
moatW_stream_event(const moat_wasi *w, const WasiFd *f, bool is_write)
{
    int  role = f->stream - 1;
    long n;

    if (is_write != (role != 0))        /* input polled for writing, ... */
        return (WasiEvent){ .is_ready = true, .error = WASI_EBADF };
    n = w->stream.ready(w->stream.data, role);
    if (n > 0)
        return (WasiEvent){ .is_ready = true, .nbytes = (uint64_t)n };
    if (role == 0 && n == 0)
        return (WasiEvent){ .is_ready = true,
                            .flags = WASI_EVENT_FD_READWRITE_HANGUP };
    if (role != 0 && n < 0)
        return (WasiEvent){ .is_ready = true, .error = WASI_EPIPE };
    return (WasiEvent){ .is_ready = false };
}
