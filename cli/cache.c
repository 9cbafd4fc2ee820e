/* cache.c - the compile cache of `moat run`: compiled objects named by a
 * SHA-256 key over the module bytes, the compiler build, the options and
 * the host CPU (docs/cli.md, "compile cache"). A hit reads one file and
 * loads it; nothing here loads the compiler. Entries are filled
 * atomically (a unique temporary file, fsync, rename), so concurrent
 * fills of one entry are safe: each rename installs a complete object.
 * The loader's contract check and the module hash in the descriptor catch
 * an entry that is damaged or belongs to another module; the caller then
 * recompiles and replaces it.
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

/* Bumped when the key or the entry format changes. */
#define KEY_FORMAT "moat-cache-1"

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

static bool
entry_path(char *buf, size_t n, const char *dir, const CacheKey *k)
{
    int len = snprintf(buf, n, "%s/%s.o", dir, k->hex);
    return len > 0 && (size_t)len < n;
}

/* The whole of an open regular file, mapped read-only; NULL on failure. */
static uint8_t *
map_fd(int fd, size_t *len)
{
    struct stat st;

    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0)
        return NULL;
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED)
        return NULL;
    *len = (size_t)st.st_size;
    return p;
}

bool
moat_cli_cache_load(moat_engine *e, const char *dir, const CacheKey *k,
                    moat_module **out)
{
    char path[4096];
    int  fd = entry_path(path, sizeof path, dir, k)
                  ? open(path, O_RDONLY | O_CLOEXEC)
                  : -1;

    *out = NULL;
    if (fd < 0)
        return false;                   /* a miss */
    size_t      len = 0;
    uint8_t    *obj = map_fd(fd, &len);
    moat_error  err = { 0 };
    moat_status st = MOAT_ERR_IO;
    close(fd);
    if (obj) {
        st = moat_module_load_object(e, obj, len, out, &err);
        munmap(obj, len);
    } else {
        snprintf(err.msg, sizeof err.msg, "cannot read it");
    }
    if (st == MOAT_OK && memcmp(moat_module_hash(*out), k->module_hash, 32)) {
        moat_module_free(*out);
        *out = NULL;
        snprintf(err.msg, sizeof err.msg, "compiled from another module");
        st = MOAT_ERR_CONTRACT;
    }
    if (st != MOAT_OK)
        fprintf(stderr, "moat: warning: cache entry %s is unusable (%s); "
                        "recompiling\n", path, err.msg);
    return st == MOAT_OK;
}

/* mkdir -p, new directories 0700 (the cache holds code we will run). */
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

static void
warn_once(const char *what, const char *path)
{
    static bool has_warned;

    if (!has_warned)
        fprintf(stderr, "moat: warning: %s %s: %s; the compiled code is not "
                        "cached\n", what, path, strerror(errno));
    has_warned = true;
}

void
moat_cli_cache_store(const char *dir, const CacheKey *k, const uint8_t *obj,
                     size_t len)
{
    char     path[4096], tmp[4096 + 64];
    uint32_t rnd = 0;

    if (!entry_path(path, sizeof path, dir, k)) {
        errno = ENAMETOOLONG;
        warn_once("cannot use cache directory", dir);
        return;
    }
    if (!make_dirs(dir)) {
        warn_once("cannot create cache directory", dir);
        return;
    }
    if (getrandom(&rnd, sizeof rnd, GRND_NONBLOCK) != sizeof rnd)
        rnd = (uint32_t)(uintptr_t)&rnd ^ (uint32_t)getpid();
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld.%08x", path, (long)getpid(), rnd);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        warn_once("cannot write into cache directory", dir);
        return;
    }
    bool ok = moatU_write_all(fd, obj, len) && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    if (ok && rename(tmp, path) == 0)
        return;
    int saved = errno;
    unlink(tmp);
    errno = saved;
    warn_once("cannot write cache entry", path);
}
