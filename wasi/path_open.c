/* path_open.c - WASI preview 1 path_open: rights, oflags and fdflags to a
 * host openat() on the path path_resolve.c resolved, and the new guest
 * descriptor. Rights are capabilities: what the new descriptor may do must
 * be among what its directory lets descriptors opened through it inherit,
 * else ENOTCAPABLE (wasi-libc asks for its wishes intersected with that set
 * already). The host descriptor is opened for reading and/or writing as the
 * rights say; the guest never gets an O_PATH descriptor.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "path_resolve.h"
#include "wasi_impl.h"

/* Rights that only work on a host descriptor open for writing. */
#define WRITE_RIGHTS                                                        \
    (WASI_RIGHT_FD_WRITE | WASI_RIGHT_FD_ALLOCATE |                         \
     WASI_RIGHT_FD_FILESTAT_SET_SIZE)
#define READ_RIGHTS (WASI_RIGHT_FD_READ | WASI_RIGHT_FD_READDIR)

static const struct { uint16_t wasi; int host; } oflag_map[] = {
    { WASI_O_CREAT, O_CREAT }, { WASI_O_DIRECTORY, O_DIRECTORY },
    { WASI_O_EXCL, O_EXCL }, { WASI_O_TRUNC, O_TRUNC },
};

static const struct { uint16_t wasi; int host; } fdflag_map[] = {
    { WASI_FDFLAG_APPEND, O_APPEND }, { WASI_FDFLAG_DSYNC, O_DSYNC },
    { WASI_FDFLAG_NONBLOCK, O_NONBLOCK }, { WASI_FDFLAG_RSYNC, O_RSYNC },
    { WASI_FDFLAG_SYNC, O_SYNC },
};

/* EINVAL for bits the spec does not define or that contradict. */
static uint16_t
check_flags(uint32_t dirflags, uint32_t oflags, uint32_t fdflags)
{
    if ((dirflags & ~(uint32_t)WASI_LOOKUP_SYMLINK_FOLLOW) != 0 ||
        (oflags & ~(uint32_t)0xf) != 0 || (fdflags & ~(uint32_t)0x1f) != 0)
        return WASI_EINVAL;
    /* O_CREAT|O_DIRECTORY has no meaning (Linux: EINVAL); a directory
     * cannot be truncated or created exclusively by path_open either. */
    if ((oflags & WASI_O_DIRECTORY) &&
        (oflags & (WASI_O_CREAT | WASI_O_EXCL | WASI_O_TRUNC)))
        return WASI_EINVAL;
    return WASI_ESUCCESS;
}

/* The rights the directory itself needs for this open. */
static uint64_t
dir_rights(uint32_t oflags)
{
    uint64_t r = WASI_RIGHT_PATH_OPEN;

    if (oflags & WASI_O_CREAT)
        r |= WASI_RIGHT_PATH_CREATE_FILE;
    if (oflags & WASI_O_TRUNC)
        r |= WASI_RIGHT_PATH_FILESTAT_SET_SIZE;
    return r;
}

/* What the new descriptor will hold must be inheritable from the
 * directory, the sync flags included (they act like fd_sync on every
 * write). */
static uint16_t
check_rights(moat_caller *c, uint32_t fd, uint64_t base, uint64_t inherit,
             uint32_t fdflags)
{
    uint16_t e;
    WasiFd  *d = moatW_fd_get(moatW_wasi(c), fd, 0, &e);

    if (!d)
        return e;
    uint64_t need = base | inherit;
    if (fdflags & WASI_FDFLAG_DSYNC)
        need |= WASI_RIGHT_FD_DATASYNC;
    if (fdflags & (WASI_FDFLAG_RSYNC | WASI_FDFLAG_SYNC))
        need |= WASI_RIGHT_FD_SYNC;
    if (d->filetype == WASI_FILETYPE_DIRECTORY &&
        (need & ~d->rights_inheriting) != 0)
        return WASI_ENOTCAPABLE;
    return WASI_ESUCCESS;
}

static int
host_flags(uint32_t oflags, uint32_t fdflags, uint64_t base)
{
    int  fl = O_NOFOLLOW | O_CLOEXEC | O_NOCTTY;
    bool wr = (base & WRITE_RIGHTS) != 0;
    bool rd = (base & READ_RIGHTS) != 0 || !wr;

    fl |= rd && wr ? O_RDWR : wr ? O_WRONLY : O_RDONLY;
    for (size_t i = 0; i < sizeof oflag_map / sizeof *oflag_map; i++)
        if (oflags & oflag_map[i].wasi)
            fl |= oflag_map[i].host;
    for (size_t i = 0; i < sizeof fdflag_map / sizeof *fdflag_map; i++)
        if (fdflags & fdflag_map[i].wasi)
            fl |= fdflag_map[i].host;
    return fl;
}

/* openat on the resolved path; the host descriptor or -(WASI errno). */
static int
open_at(const WasiPath *p, int fl, uint64_t base)
{
    if (p->is_dir_only) {
        if (fl & O_CREAT)
            return -WASI_EISDIR;        /* "new/": only a directory fits */
        fl |= O_DIRECTORY;
    }
    int h = openat(p->dirfd, p->name, fl, 0666);
    /* A directory opened with rights like FD_ALLOCATE but not FD_WRITE:
     * they do not apply to it (the spec lets us drop them), so open it
     * for reading like any directory. */
    if (h < 0 && errno == EISDIR && (fl & O_ACCMODE) != O_RDONLY &&
        !(base & WASI_RIGHT_FD_WRITE))
        h = openat(p->dirfd, p->name, (fl & ~O_ACCMODE) | O_RDONLY, 0666);
    return h >= 0 ? h : -(int)moatW_errno(errno);
}

uint32_t
moatW_path_open(moat_caller *c, uint32_t fd, uint32_t dirflags,
                uint32_t path, uint32_t path_len, uint32_t oflags,
                uint64_t fs_rights_base, uint64_t fs_rights_inheriting,
                uint32_t fdflags, uint32_t opened_fd)
{
    WasiPath    p;
    struct stat st;
    uint16_t    e = check_flags(dirflags, oflags, fdflags);

    if (e == WASI_ESUCCESS)
        e = moatW_path_lookup(c, fd, dir_rights(oflags), path, path_len,
                              dirflags != 0, &p);
    if (e != WASI_ESUCCESS)
        return e;
    e = check_rights(c, fd, fs_rights_base, fs_rights_inheriting, fdflags);
    uint8_t *out = moatW_mem(c, opened_fd, 4);
    if (e == WASI_ESUCCESS && !out)
        e = WASI_EFAULT;                /* before anything is created */
    int h = -1;
    if (e == WASI_ESUCCESS) {
        h = open_at(&p, host_flags(oflags, fdflags, fs_rights_base),
                    fs_rights_base);
        if (h < 0)
            e = (uint16_t)-h;
    }
    moatW_path_done(&p);
    if (e != WASI_ESUCCESS)
        return e;
    if (fstat(h, &st) != 0) {
        e = moatW_errno(errno);
        close(h);
        return e;
    }
    uint32_t nfd;
    e = moatW_fd_insert(moatW_wasi(c), h, moatW_filetype(st.st_mode),
                        fs_rights_base, fs_rights_inheriting,
                        (uint16_t)fdflags, &nfd);
    if (e == WASI_ESUCCESS)
        moatW_put_u32(out, nfd);
    return e;
}
