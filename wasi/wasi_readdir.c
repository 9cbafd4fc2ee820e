/* wasi_readdir.c - fd_readdir (WASI preview 1): directory entries as
 * dirent records (d_next, d_ino, d_namlen, d_type) each followed by its
 * name. The cookie of an entry is its index in the stream, so d_next of
 * entry i is i + 1 and any cookie resumes there. As the spec says, the
 * last entry is cut at the end of the buffer when it does not fit; the
 * guest sees bufused == buf_len and asks again from the last whole entry.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "wasi_impl.h"

/* The stream of f, positioned at entry `cookie`. Cookies count from the
 * start; going back rewinds (which also shows entries created since). */
static uint16_t
dir_at(WasiFd *f, uint64_t cookie)
{
    if (!f->dir) {
        int dfd = fcntl(f->host_fd, F_DUPFD_CLOEXEC, 0);
        if (dfd < 0)
            return moatW_errno(errno);
        if (!(f->dir = fdopendir(dfd))) {
            int e = errno;
            close(dfd);
            return moatW_errno(e);
        }
        f->dir_pos = 0;
        rewinddir(f->dir);
    }
    if (cookie < f->dir_pos || cookie == 0) {
        rewinddir(f->dir);
        f->dir_pos = 0;
    }
    while (f->dir_pos < cookie) {
        errno = 0;
        if (!readdir(f->dir))
            return errno ? moatW_errno(errno) : WASI_ESUCCESS;   /* past end */
        f->dir_pos++;
    }
    return WASI_ESUCCESS;
}

static uint8_t
dirent_type(DIR *dir, const struct dirent *de)
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
        if (fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
            return moatW_filetype(st.st_mode);
        return WASI_FILETYPE_UNKNOWN;
    default:      return WASI_FILETYPE_UNKNOWN;
    }
}

/* Appends the record of de to buf[*used..len), cut at len. */
static void
put_entry(uint8_t *buf, uint32_t len, uint32_t *used, uint64_t next,
          DIR *dir, const struct dirent *de)
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
    if ((e = dir_at(f, cookie)) != WASI_ESUCCESS)
        return e;
    uint32_t used = 0;
    while (f->dir_pos == cookie && used < buf_len) {
        long pos = telldir(f->dir);
        errno = 0;
        struct dirent *de = readdir(f->dir);
        if (!de) {
            if (errno)
                return moatW_errno(errno);
            break;
        }
        put_entry(pb, buf_len, &used, cookie + 1, f->dir, de);
        if (used == buf_len && pos >= 0) {
            seekdir(f->dir, pos);       /* maybe cut: give it again next */
            break;
        }
        f->dir_pos = ++cookie;
    }
    moatW_put_u32(pu, used);
    return WASI_ESUCCESS;
}
