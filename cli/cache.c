/* cache.c - the compile cache of `moat run`: compiled objects named by a
 * SHA-256 key over the module bytes, the compiler build, the options and
 * the host CPU (docs/cli.md, "compile cache"). A hit reads one file and
 * loads it; nothing here loads the compiler. Entries are filled
 * atomically (a unique temporary file, fsync, rename), so concurrent
 * fills of one entry are safe: each rename installs a complete object.
 * The loader's contract check and the module hash in the descriptor catch
 * an entry that is damaged or belongs to another module; the caller then
 * recompiles and replaces it. The cache holds native code: a directory or
 * entry that another user could have written is refused (docs/cli.md),
 * and an entry runs unverified only with this user's tag (cache_tag.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "compiler_id.h"        /* generated: MOAT_COMPILER_ID */
#include "abi.h"                /* MOAT_ABI_VERSION, in the key */
#include "util.h"               /* moatU_sha256 */

/* Bumped when the key or the entry format changes. 2: the tag of format 2
 * (cache_tag.c); entries of format 1 are missed and replaced once, rather
 * than run through the checker at every hit. */
#define KEY_FORMAT "moat-cache-2"

bool
moat_cli_cache_dir(char *buf, size_t n)
{
    const char *dir = getenv("MOAT_CACHE_DIR");
    const char *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    int         len;

    if (dir && dir[0])
        len = snprintf(buf, n, "%s", dir);
    else if (xdg && xdg[0] == '/')      /* XDG: relative values are void */
        len = snprintf(buf, n, "%s/moat", xdg);
    else if (home && home[0])
        len = snprintf(buf, n, "%s/.cache/moat", home);
    else
        return false;
    return len > 0 && (size_t)len < n;
}

/* A compiler library named by $MOAT_COMPILER_LIB is not the one whose
 * digest is MOAT_COMPILER_ID: name it by path, size and time instead. */
static int
compiler_override(char *buf, size_t n)
{
    const char *lib = getenv("MOAT_COMPILER_LIB");
    struct stat st;

    if (!lib || !lib[0] || stat(lib, &st) != 0)
        return snprintf(buf, n, "-");
    return snprintf(buf, n, "%s %lld %lld.%09ld", lib, (long long)st.st_size,
                    (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

void
moat_cli_cache_key(const uint8_t *bytes, size_t len, int opt_level,
                   bool interruptible, CacheKey *k)
{
    char    head[1024 + 32];
    uint8_t key[32];

    moatU_sha256(bytes, len, k->module_hash);
    int n = snprintf(head, 1024, KEY_FORMAT "\n%s\nabi %u\nhost %s\n"
                     "-O%d interruptible %d\nlib ", MOAT_COMPILER_ID,
                     MOAT_ABI_VERSION, moat_cli_host_id(), opt_level,
                     interruptible ? 1 : 0);
    if (n > 0 && n < 1024)
        n += compiler_override(head + n, (size_t)(1024 - n));
    if (n < 0 || n >= 1024)
        n = 1023;                       /* only an absurd path gets here */
    memcpy(head + n, k->module_hash, 32);
    moatU_sha256(head, (size_t)n + 32, key);
    for (int i = 0; i < 32; i++)
        snprintf(k->hex + 2 * i, 3, "%02x", key[i]);
}

/* ---- trust: the cache holds native code we will run ----
 * A directory or entry that another user can write is code that user
 * chose: the directory must be ours and writable by nobody else, and an
 * entry must be a regular file of ours that nobody else can write. Each
 * check is made on an open descriptor (fstat), and entries are opened
 * relative to the checked directory's descriptor, so nothing can be
 * swapped between the check and the use. */

/* Why st (of a directory or entry) is not to be trusted, or NULL. */
static const char *
distrust(const struct stat *st, char *why, size_t n)
{
    if (st->st_uid != geteuid()) {
        snprintf(why, n, "it is owned by uid %lu, not by you (uid %lu)",
                 (unsigned long)st->st_uid, (unsigned long)geteuid());
        return why;
    }
    if (st->st_mode & (S_IWGRP | S_IWOTH)) {
        snprintf(why, n, "it is writable by %s (mode %04o)",
                 (st->st_mode & S_IWOTH) ? "others" : "its group",
                 (unsigned)(st->st_mode & 07777));
        return why;
    }
    return NULL;
}

/* mkdir -p, new directories 0700. */
static bool
make_dirs(const char *dir)
{
    char path[4096];
    int  n = snprintf(path, sizeof path, "%s", dir);

    if (n <= 0 || (size_t)n >= sizeof path)
        return errno = ENAMETOOLONG, false;
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(path, 0700) != 0 && errno != EEXIST)
            return false;
        *p = '/';
    }
    return mkdir(path, 0700) == 0 || errno == EEXIST;
}

int
moat_cli_cache_open(const char *dir)
{
    char        why[128];
    struct stat st;

    if (!make_dirs(dir)) {
        fprintf(stderr, "moat: warning: cannot create cache directory %s: "
                        "%s; compiling without the cache\n", dir,
                strerror(errno));
        return -1;
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) != 0) {
        fprintf(stderr, "moat: warning: cannot open cache directory %s: %s; "
                        "compiling without the cache\n", dir,
                strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    if (distrust(&st, why, sizeof why)) {
        fprintf(stderr, "moat: warning: not using cache directory %s: %s, "
                        "and it holds code moat runs; compiling without the "
                        "cache\n", dir, why);
        close(fd);
        return -1;
    }
    return fd;
}

static bool
entry_name(char *buf, size_t n, const CacheKey *k, const char *suffix)
{
    int len = snprintf(buf, n, "%s.o%s", k->hex, suffix);
    return len > 0 && (size_t)len < n;
}

/* The whole of an open regular file, mapped read-only; NULL on failure. */
static uint8_t *
map_fd(int fd, const struct stat *st, size_t *len)
{
    if (!S_ISREG(st->st_mode) || st->st_size <= 0 ||
        (uint64_t)st->st_size > MOAT_FILE_LIMIT)
        return NULL;
    void *p = mmap(NULL, (size_t)st->st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED)
        return NULL;
    *len = (size_t)st->st_size;
    return p;
}

/* The entry's open descriptor, or -1: a miss, or (with a warning) an
 * entry that is not a regular file of ours that only we can write. */
static int
open_entry(int dfd, const char *dir, const char *name, struct stat *st)
{
    char why[128];
    /* O_NONBLOCK: a FIFO planted as an entry must not block the open */
    int  fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
                                    O_CLOEXEC);

    if (fd < 0) {
        if (errno != ENOENT)
            fprintf(stderr, "moat: warning: cache entry %s/%s cannot be "
                            "opened (%s); recompiling\n", dir, name,
                    strerror(errno));
        return -1;
    }
    const char *bad = fstat(fd, st) != 0 ? "it cannot be examined"
                      : !S_ISREG(st->st_mode)
                          ? "it is not a regular file"
                          : distrust(st, why, sizeof why);
    if (bad) {
        fprintf(stderr, "moat: warning: ignoring cache entry %s/%s: %s; "
                        "recompiling\n", dir, name, bad);
        close(fd);
        return -1;
    }
    return fd;
}

bool
moat_cli_cache_load(moat_engine *e, int dfd, const char *dir,
                    const CacheKey *k, moat_module **out)
{
    char        name[128];
    struct stat st;
    int         fd = entry_name(name, sizeof name, k, "")
                         ? open_entry(dfd, dir, name, &st)
                         : -1;

    *out = NULL;
    if (fd < 0)
        return false;                   /* a miss, or refused */
    size_t      len = 0;
    uint8_t    *obj = map_fd(fd, &st, &len);
    moat_error  err = { 0 };
    moat_status sts = MOAT_ERR_IO;
    close(fd);
    if (obj) {
        /* tagged by this user's moat: verified when it was stored */
        bool   is_verified;
        size_t objlen = moat_cli_cache_untag(dfd, obj, len, &is_verified);
        sts = moat_module_load_object_flags(e, obj, objlen,
                                            is_verified ? MOAT_LOAD_TRUSTED
                                                        : 0, out, &err);
        munmap(obj, len);
    } else {
        snprintf(err.msg, sizeof err.msg,
                 "empty, larger than %llu bytes, or cannot be mapped",
                 (unsigned long long)MOAT_FILE_LIMIT);
    }
    if (sts == MOAT_OK && memcmp(moat_module_hash(*out), k->module_hash, 32)) {
        moat_module_free(*out);
        *out = NULL;
        snprintf(err.msg, sizeof err.msg, "compiled from another module");
        sts = MOAT_ERR_CONTRACT;
    }
    if (sts != MOAT_OK)
        fprintf(stderr, "moat: warning: cache entry %s/%s is unusable (%s); "
                        "recompiling\n", dir, name, err.msg);
    return sts == MOAT_OK;
}

static void
warn_once(const char *what, const char *dir, const char *name)
{
    static bool has_warned;

    if (!has_warned)
        fprintf(stderr, "moat: warning: %s %s/%s: %s; the compiled code is "
                        "not cached\n", what, dir, name, strerror(errno));
    has_warned = true;
}

void
moat_cli_cache_store(int dfd, const char *dir, const CacheKey *k,
                     const uint8_t *obj, size_t len)
{
    char     name[128], tmp[192], suffix[64];
    uint32_t rnd = 0;

    if (getrandom(&rnd, sizeof rnd, GRND_NONBLOCK) != sizeof rnd)
        rnd = (uint32_t)(uintptr_t)&rnd ^ (uint32_t)getpid();
    snprintf(suffix, sizeof suffix, ".tmp.%ld.%08x", (long)getpid(), rnd);
    if (!entry_name(name, sizeof name, k, "") ||
        !entry_name(tmp, sizeof tmp, k, suffix))
        return;                         /* cannot happen: fixed lengths */
    int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
                                  O_CLOEXEC, 0600);
    if (fd < 0) {
        warn_once("cannot write into cache directory", dir, tmp);
        return;
    }
    /* 0600 whatever the umask said (a umask only takes bits away) */
    uint8_t trailer[MOAT_CLI_TAG_LEN];
    bool    is_tagged = moat_cli_cache_tag(dfd, obj, len, trailer);
    bool    ok = fchmod(fd, 0600) == 0 && moatU_write_all(fd, obj, len) &&
                 (!is_tagged ||
                  moatU_write_all(fd, trailer, sizeof trailer)) &&
                 fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    if (ok && renameat(dfd, tmp, dfd, name) == 0)
        return;
    int saved = errno;
    unlinkat(dfd, tmp, 0);
    errno = saved;
    warn_once("cannot write cache entry", dir, name);
}
