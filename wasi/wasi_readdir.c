/* wasi_readdir.c - fd_readdir (WASI preview 1): directory entries as
 * dirent records (d_next, d_ino, d_namlen, d_type) each followed by its
 * name. The cookie of an entry is its index in the stream, so d_next of
 * entry i is i + 1 and any cookie resumes there. As the spec says, the
 * last entry is cut at the end of the buffer when it does not fit; the
 * guest sees bufused == buf_len and asks again from the last whole entry.
 * The directory is read with getdents64 into a buffer on the stack: no
 * stream or buffer is kept per descriptor (glibc's DIR holds 32 KiB to
 * 1 MiB), only where the guest is: an entry index and the host's offset
 * of that entry (lseek), as seekdir does.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "wasi_impl.h"

enum { DENTS_BUF = 8192 };      /* one getdents64; a record is <= 280 */

static uint8_t
dirent_type(int dir, const struct dirent64 *de)
{
    struct stat st;

    switch (de->d_type) {
    case DT_REG:  return WASI_FILETYPE_REGULAR_FILE;
    case DT_DIR:  return WASI_FILETYPE_DIRECTORY;
    case DT_LNK:  return WASI_FILETYPE_SYMBOLIC_LINK;
    case DT_CHR:  return WASI_FILETYPE_CHARACTER_DEVICE;
    case DT_BLK:  return WASI_FILETYPE_BLOCK_DEVICE;
    case DT_SOCK: return WASI_FILETYPE_SOCKET_STREAM;
    case DT_UNKNOWN:            /* some file systems do not say: ask */
        if (fstatat(dir, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
            return moatW_filetype(st.st_mode);
        return WASI_FILETYPE_UNKNOWN;
    default:      return WASI_FILETYPE_UNKNOWN;
    }
}

/* Appends the record of de to buf[*used..len), cut at len. */
static void
put_entry(uint8_t *buf, uint32_t len, uint32_t *used, uint64_t next,
          int dir, const struct dirent64 *de)
{
    uint8_t  rec[WASI_DIRENT_SIZE] = { 0 };
    size_t   namlen = strlen(de->d_name);
    uint32_t room = len - *used;

    moatW_put_u64(rec + 0, next);
    moatW_put_u64(rec + 8, (uint64_t)de->d_ino);
    moatW_put_u32(rec + 16, (uint32_t)namlen);
    rec[20] = dirent_type(dir, de);
    uint32_t n = room < WASI_DIRENT_SIZE ? room : WASI_DIRENT_SIZE;
    memcpy(buf + *used, rec, n);
    *used += n;
    room -= n;
    n = room < namlen ? room : (uint32_t)namlen;
    memcpy(buf + *used, de->d_name, n);
    *used += n;
}

/* Where the guest wants to read: entry `cookie`. Going back (or to 0,
 * which also shows entries created since) starts over; going forward
 * from where we are skips entries as they are read. */
static uint16_t
seek_entry(WasiFd *f, uint64_t cookie)
{
    if (cookie == 0 || cookie < f->dir_pos) {
        f->dir_pos = 0;
        f->dir_off = 0;
    }
    if (lseek(f->host_fd, (off_t)f->dir_off, SEEK_SET) < 0)
        return moatW_errno(errno);
    return WASI_ESUCCESS;
}

/* Fills pb[0..buf_len) from entry `cookie` on; *used: bytes written. An
 * entry that ends exactly at buf_len may be cut: it is not counted as
 * read, so the next call gives it again. */
static uint16_t
fill(WasiFd *f, uint64_t cookie, uint8_t *pb, uint32_t buf_len,
     uint32_t *used)
{
    _Alignas(struct dirent64) char dents[DENTS_BUF];

    *used = 0;
    while (*used < buf_len) {
        ssize_t n = getdents64(f->host_fd, dents, sizeof dents);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return moatW_errno(errno);
        if (n == 0)
            break;                              /* end of the directory */
        for (ssize_t at = 0; at < n && *used < buf_len;) {
            const struct dirent64 *de = (const void *)(dents + at);
            at += de->d_reclen;
            if (f->dir_pos == cookie) {
                put_entry(pb, buf_len, used, cookie + 1, f->host_fd, de);
                if (*used == buf_len)
                    break;                      /* maybe cut: again next */
                cookie++;
            }
            f->dir_pos++;
            f->dir_off = de->d_off;
        }
    }
    return WASI_ESUCCESS;
}

uint32_t
moatW_fd_readdir(moat_caller *c, uint32_t fd, uint32_t buf, uint32_t buf_len,
                 uint64_t cookie, uint32_t bufused)
{
    uint16_t e;
    WasiFd  *f = moatW_fd_get(moatW_wasi(c), fd, 0, &e);

    if (!f)
        return e;
    if (f->filetype != WASI_FILETYPE_DIRECTORY)
        return WASI_ENOTDIR;
    if (!moatW_fd_get(moatW_wasi(c), fd, WASI_RIGHT_FD_READDIR, &e))
        return e;
    uint8_t *pb = moatW_mem(c, buf, buf_len);
    uint8_t *pu = moatW_mem(c, bufused, 4);
    if (!pb || !pu)
        return WASI_EFAULT;
    uint32_t used = 0;
    if (buf_len > 0) {
        if ((e = seek_entry(f, cookie)) != WASI_ESUCCESS ||
            (e = fill(f, cookie, pb, buf_len, &used)) != WASI_ESUCCESS)
            return e;
    }
    moatW_put_u32(pu, used);
    return WASI_ESUCCESS;
}
