/* path_resolve.c - resolves a guest path inside one directory descriptor
 * without trusting the kernel to confine it (no openat2/RESOLVE_BENEATH):
 * the walk opens one component at a time with O_PATH|O_NOFOLLOW, counts
 * its own depth so ".." never rises above the start, and expands symbolic
 * links itself. Each step is relative to a descriptor we hold, so a rename
 * on the host while we walk cannot lead out either. The operations on the
 * result are path_ops.c's. WASI preview 1 has no words on this; the rules
 * are POSIX path resolution (XBD 4.13) minus anything that escapes.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "path_resolve.h"
#include "wasi_impl.h"

/* Identity of a directory we walked through, to check that ".." leads
 * back to it (and not to where a concurrent rename moved it). */
typedef struct DirId {
    dev_t dev;
    ino_t ino;
} DirId;

/* One resolution. The text still to walk is buf[pos..MOATW_PATH_PENDING):
 * it is kept at the end of buf so that a link's target can be put in front
 * of the rest by moving pos back. */
typedef struct Walk {
    int      start;             /* borrowed: depth 0 */
    int      cur;               /* owned when depth > 0 */
    uint32_t depth;
    uint32_t nlinks;            /* links expanded so far */
    size_t   pos;
    char     buf[MOATW_PATH_PENDING];
    DirId    ids[MOATW_DEPTH_MAX + 1];  /* ids[k]: the directory at depth k
                                         * (k >= 1; depth 0 is start) */
} Walk;

/* A component of the pending text, and what follows it. */
typedef struct Comp {
    const char *s;
    size_t      len;
    bool        is_last;        /* only slashes (or nothing) follow */
    bool        has_slash;      /* ... and there is at least one */
} Comp;

enum { OPEN_DIR = O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC };

static bool
next_comp(Walk *wk, Comp *c)
{
    size_t i = wk->pos;

    while (i < MOATW_PATH_PENDING && wk->buf[i] == '/')
        i++;
    if (i == MOATW_PATH_PENDING)
        return false;
    size_t end = i;
    while (end < MOATW_PATH_PENDING && wk->buf[end] != '/')
        end++;
    size_t after = end;
    while (after < MOATW_PATH_PENDING && wk->buf[after] == '/')
        after++;
    c->s = wk->buf + i;
    c->len = end - i;
    c->is_last = after == MOATW_PATH_PENDING;
    c->has_slash = end != MOATW_PATH_PENDING;
    wk->pos = end;              /* consumed; the slashes stay pending */
    return true;
}

static bool
comp_is(const Comp *c, const char *lit)
{
    return c->len == strlen(lit) && memcmp(c->s, lit, c->len) == 0;
}

static uint16_t
host_err(void)
{
    return moatW_errno(errno);
}

/* Makes fd (a directory at depth + 1) the current one. */
static uint16_t
push_dir(Walk *wk, int fd)
{
    struct stat st;

    if (wk->depth == MOATW_DEPTH_MAX) {
        close(fd);
        return WASI_ENAMETOOLONG;
    }
    if (fstat(fd, &st) != 0) {
        uint16_t e = host_err();
        close(fd);
        return e;
    }
    if (wk->depth > 0)
        close(wk->cur);
    wk->cur = fd;
    wk->depth++;
    wk->ids[wk->depth] = (DirId){ st.st_dev, st.st_ino };
    return WASI_ESUCCESS;
}

/* "..": back to the directory we came from, never above the start. */
static uint16_t
pop_dir(Walk *wk)
{
    struct stat st;

    if (wk->depth == 0)
        return WASI_ENOTCAPABLE;
    if (wk->depth == 1) {
        close(wk->cur);
        wk->cur = wk->start;
        wk->depth = 0;
        return WASI_ESUCCESS;
    }
    int fd = openat(wk->cur, "..", OPEN_DIR);
    if (fd < 0)
        return host_err();
    const DirId *want = &wk->ids[wk->depth - 1];
    if (fstat(fd, &st) != 0 || st.st_dev != want->dev ||
        st.st_ino != want->ino) {
        close(fd);                  /* moved under us: refuse */
        return WASI_ENOTCAPABLE;
    }
    close(wk->cur);
    wk->cur = fd;
    wk->depth--;
    return WASI_ESUCCESS;
}

/* c is a symbolic link with target text t[0..n): walk t instead of c. */
static uint16_t
splice_link(Walk *wk, const Comp *c, const char *t, size_t n)
{
    if (++wk->nlinks > MOATW_SYMLINK_MAX)
        return WASI_ELOOP;
    if (n == 0)
        return WASI_ENOENT;
    if (t[0] == '/')
        return WASI_ENOTCAPABLE;    /* absolute target: always outside */
    size_t cstart = (size_t)(c->s - wk->buf);
    if (n > cstart + c->len)
        return WASI_ENAMETOOLONG;
    wk->pos = cstart + c->len - n;
    memmove(wk->buf + wk->pos, t, n);
    return WASI_ESUCCESS;
}

/* Reads link name in the current directory: 1 when it is one (spliced),
 * 0 when it is not (or does not exist), or -(WASI errno). */
static int
try_link(Walk *wk, const Comp *c, const char *name)
{
    char    t[MOATW_PATH_MAX];
    ssize_t n = readlinkat(wk->cur, name, t, sizeof t);

    if (n < 0)
        return errno == EINVAL || errno == ENOENT ? 0 : -(int)host_err();
    if ((size_t)n == sizeof t)
        return -WASI_ENAMETOOLONG;
    uint16_t e = splice_link(wk, c, t, (size_t)n);
    return e ? -(int)e : 1;
}

/* An intermediate component: a directory to enter or a link to expand. */
static uint16_t
enter(Walk *wk, const Comp *c, const char *name)
{
    int fd = openat(wk->cur, name, OPEN_DIR);

    if (fd >= 0)
        return push_dir(wk, fd);
    int e = errno;
    if (e != ENOTDIR && e != ELOOP)
        return moatW_errno(e);
    int r = try_link(wk, c, name);
    if (r < 0)
        return (uint16_t)-r;
    return r ? WASI_ESUCCESS : WASI_ENOTDIR;
}

static void
finish(Walk *wk, WasiPath *out, const char *name, bool is_dir_only)
{
    out->dirfd = wk->cur;
    out->owns_dirfd = wk->depth > 0;
    out->is_dir_only = is_dir_only;
    out->depth = wk->depth;
    strcpy(out->name, name);
    wk->depth = 0;                  /* out owns cur now */
}

/* One step of the walk; *done once out is filled. */
static uint16_t
step(Walk *wk, const Comp *c, bool follow_last, WasiPath *out, bool *done)
{
    char name[NAME_MAX + 1];

    if (c->len > NAME_MAX)
        return WASI_ENAMETOOLONG;
    memcpy(name, c->s, c->len);
    name[c->len] = '\0';
    if (comp_is(c, ".") || comp_is(c, "..")) {
        uint16_t e = WASI_ESUCCESS;
        if (c->len == 2)
            e = pop_dir(wk);
        if (e == WASI_ESUCCESS && c->is_last) {
            finish(wk, out, ".", true);
            *done = true;
        }
        return e;
    }
    if (!c->is_last)
        return enter(wk, c, name);
    if (follow_last || c->has_slash) {
        int r = try_link(wk, c, name);
        if (r < 0)
            return (uint16_t)-r;
        if (r > 0)
            return WASI_ESUCCESS;   /* walk the link's target */
    }
    finish(wk, out, name, c->has_slash);
    *done = true;
    return WASI_ESUCCESS;
}

static uint16_t
check_path(const char *path, size_t len)
{
    if (len == 0)
        return WASI_ENOENT;
    if (memchr(path, '\0', len) != NULL)
        return WASI_EINVAL;
    if (len >= MOATW_PATH_MAX)
        return WASI_ENAMETOOLONG;
    if (path[0] == '/')
        return WASI_ENOTCAPABLE;
    return WASI_ESUCCESS;
}

uint16_t
moatW_path_resolve(int start_fd, const char *path, size_t len,
                   bool follow_last, WasiPath *out)
{
    out->dirfd = -1;
    out->owns_dirfd = false;
    out->depth = 0;
    uint16_t e = check_path(path, len);
    if (e != WASI_ESUCCESS)
        return e;

    Walk walk, *wk = &walk;         /* not zeroed: 16 KiB, written as used */
    wk->start = wk->cur = start_fd;
    wk->depth = wk->nlinks = 0;
    wk->pos = MOATW_PATH_PENDING - len;
    memcpy(wk->buf + wk->pos, path, len);

    bool done = false;
    Comp c;
    while (e == WASI_ESUCCESS && !done) {
        if (!next_comp(wk, &c)) {
            e = WASI_ENOENT;        /* a link to "" or "///" only */
            break;
        }
        e = step(wk, &c, follow_last, out, &done);
    }
    if (wk->depth > 0)
        close(wk->cur);
    return e;
}

void
moatW_path_done(WasiPath *p)
{
    if (p != NULL && p->owns_dirfd && p->dirfd >= 0)
        close(p->dirfd);
    if (p != NULL) {
        p->dirfd = -1;
        p->owns_dirfd = false;
    }
}

uint16_t
moatW_link_text_check(const char *t, size_t n, uint32_t depth)
{
    uint32_t up = 0;
    bool     named = false;

    if (n == 0)
        return WASI_ENOENT;
    if (t[0] == '/')
        return WASI_ENOTCAPABLE;
    for (size_t i = 0; i < n;) {
        size_t end = i;
        while (end < n && t[end] != '/')
            end++;
        size_t len = end - i;
        if (len == 2 && t[i] == '.' && t[i + 1] == '.') {
            if (named || ++up > MOATW_LINK_UP_MAX || up > depth)
                return WASI_ENOTCAPABLE;
        } else if (len > 0 && !(len == 1 && t[i] == '.')) {
            named = true;
        }
        i = end + 1;
    }
    return WASI_ESUCCESS;
}
