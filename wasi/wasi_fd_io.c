/* wasi_fd_io.c - fd_read, fd_write, fd_pread, fd_pwrite, fd_seek, fd_tell
 * (WASI preview 1): scatter/gather through host iovecs built from the
 * guest's (at most IOV_MAX), every buffer bounds-checked. Writes to
 * captured stdout/stderr append to the moat_wasi's buffers, up to
 * MOAT_WASI_CAPTURE_MAX bytes. The host I/O itself, with the guest's
 * APPEND and NONBLOCK and SIGPIPE held back, is wasi_hostio.c's.
 */
#include <errno.h>
#include <limits.h>
#include <unistd.h>

#include "util.h"
#include "wasi_impl.h"

uint16_t
moatW_iov_get(moat_caller *c, uint32_t iovs, uint32_t iovs_len,
              WasiIov *out)
{
    const uint8_t *arr = moatW_mem(c, iovs, (uint64_t)iovs_len * 8);
    uint32_t       n = iovs_len;

    out->v = out->small;
    out->n = 0;
    out->total = 0;
    if (!arr)
        return WASI_EFAULT;
    if (n > IOV_MAX)
        return WASI_EINVAL;             /* as readv: bounds the copy */
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

/* Appends iov to capture buffer `which`, at most up to
 * MOAT_WASI_CAPTURE_MAX bytes in all: a write that does not fit is cut
 * there (*done says how much went in), one with no room left is EFBIG, as
 * a file at its size limit. */
static uint16_t
capture_append(moat_wasi *w, int which, const WasiIov *iov, size_t *done)
{
    WasiBuf *b = &w->capture[which];
    size_t   take = MOAT_WASI_CAPTURE_MAX - b->len;

    *done = 0;
    if (iov->total == 0)
        return WASI_ESUCCESS;
    if (take == 0)
        return WASI_EFBIG;
    if (take > iov->total)
        take = iov->total;
    if (take + 1 > b->cap - b->len || !b->data) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap - b->len < take + 1)
            cap *= 2;
        if (cap > MOAT_WASI_CAPTURE_MAX + 1)
            cap = MOAT_WASI_CAPTURE_MAX + 1;
        char *d = moatU_realloc(b->data, cap);
        if (!d)
            return WASI_ENOMEM;
        b->data = d;
        b->cap = cap;
    }
    for (int i = 0; i < iov->n && *done < take; i++) {
        size_t k = iov->v[i].iov_len;
        if (k > take - *done)
            k = take - *done;
        memcpy(b->data + b->len, iov->v[i].iov_base, k);
        b->len += k;
        *done += k;
    }
    b->data[b->len] = '\0';             /* convenient for tests and CLIs */
    return WASI_ESUCCESS;
}

/* A stream descriptor (wasi_stream.c) has no seek rights, being a pipe:
 * positioned I/O and seeking on it is ESPIPE rather than ENOTCAPABLE.
 * e: the rights check's error. */
static bool
is_stream(moat_wasi *w, uint32_t fd, uint16_t e)
{
    WasiFd *f = e == WASI_ENOTCAPABLE ? moatW_fd_get(w, fd, 0, &e) : NULL;

    return f && f->stream;
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
        return off >= 0 && is_stream(w, fd, e) ? WASI_ESPIPE : e;
    if (f->stream && off < 0)           /* wasi_stream.c: may wait */
        return is_write ? moatW_stream_write(c, fd, iovs, iovs_len, result)
                        : moatW_stream_read(c, fd, iovs, iovs_len, result);
    uint8_t *pr = moatW_mem(c, result, 4);
    WasiIov  iov;
    if (!pr)
        return WASI_EFAULT;
    if ((e = moatW_iov_get(c, iovs, iovs_len, &iov)) != WASI_ESUCCESS)
        return e;
    size_t done = 0;
    if (f->capture && is_write)
        e = off >= 0 ? WASI_ESPIPE : capture_append(w, f->capture, &iov,
                                                    &done);
    else if (f->host_fd < 0)
        e = WASI_EBADF;
    else if (is_write)
        e = moatW_host_write(f, &iov, off, &done);
    else
        e = moatW_host_read(f, iov.v, iov.n, off, &done);
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
        return is_stream(moatW_wasi(c), fd, e) ? WASI_ESPIPE : e;
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
