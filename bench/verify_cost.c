/* verify_cost.c - what verification costs (docs/verify.md, "Cost of
 * verification"): for each object given, the CPU time of the machine-code
 * checker with the default rules and with --memory (the flow rules), and
 * what a compile-cache hit pays instead: the entry opened, mapped and its
 * tag checked (cli/cache_tag.c, under a key in a fresh cache directory),
 * the tag alone over the object in memory (the key read and the hash: the
 * rest of a hit is the mapping and its page faults) and, for comparison,
 * the format-1 tag (HMAC-SHA-256 of the whole entry in one stream).
 * Times are this thread's CPU time (user + system: page faults count; on
 * a shared machine wall time counts the waits for a core), the minimum
 * and the median of N runs, in ms and ms per MB of code (the executable
 * sections; MB = 10^6 bytes).
 *
 * Usage: verify_cost [-n N] [--tag-only] FILE.o...
 * The last line per file is `cost: NAME code_mb V M H` (checker default
 * ms, --memory ms, hit ms: minima; -1 when not run), for bench/compile.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"                /* moat_cli_cache_tag, _untag */
#include "util.h"
#include "verify.h"             /* moatK_verify */

typedef struct Times {
    double min, median;
} Times;

static double
cpu_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static Times
summary(double *t, int n)
{
    qsort(t, (size_t)n, sizeof *t, cmp_double);
    return (Times){ t[0], t[n / 2] };
}

/* The size of the object's code: its executable sections. */
static double
code_mb(const uint8_t *b, size_t len)
{
    uint64_t shoff, total = 0;
    uint16_t shnum;

    if (len < 64)
        return 0;
    memcpy(&shoff, b + 0x28, 8);
    memcpy(&shnum, b + 0x3c, 2);
    for (uint16_t i = 0; i < shnum && shoff + 64u * (i + 1u) <= len; i++) {
        uint64_t flags, size;
        memcpy(&flags, b + shoff + 64u * i + 8, 8);
        memcpy(&size, b + shoff + 64u * i + 32, 8);
        if (flags & 4)
            total += size;
    }
    return (double)total / 1e6;
}

/* The checker over the object, n times; violations are counted, not
 * printed (an object rejected today costs the checker all the same). */
static Times
time_checker(const uint8_t *b, size_t len, bool memory, int n, double *t,
             uint64_t *nviol)
{
    for (int i = 0; i < n; i++) {
        KReport *rep = calloc(1, sizeof *rep);
        if (!rep)
            exit(1);
        rep->check_memory = memory;
        double t0 = cpu_ms();
        moatK_verify(b, len, rep);
        t[i] = cpu_ms() - t0;
        *nviol = rep->nviol;
        free(rep);
    }
    return summary(t, n);
}

/* A cache hit's part before the load: open the entry, map it, check its
 * tag (reading the key), unmap. false: the tag did not check. */
static bool
hit_once(int dfd, double *ms)
{
    double      t0 = cpu_ms();
    int         fd = openat(dfd, "entry.o", O_RDONLY | O_CLOEXEC);
    struct stat st;
    bool        ok = false;

    if (fd >= 0 && fstat(fd, &st) == 0) {
        size_t len = (size_t)st.st_size;
        void  *p = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p != MAP_FAILED) {
            moat_cli_cache_untag(dfd, p, len, &ok);
            munmap(p, len);
        }
    }
    if (fd >= 0)
        close(fd);
    *ms = cpu_ms() - t0;
    return ok;
}

/* A cache directory of our own with the object stored tagged in it. */
static int
make_entry(char *dir, const uint8_t *b, size_t len)
{
    uint8_t trailer[MOAT_CLI_TAG_LEN];
    int     dfd = mkdtemp(dir) ? open(dir, O_RDONLY | O_DIRECTORY) : -1;
    int     fd = dfd >= 0 ? openat(dfd, "entry.o", O_WRONLY | O_CREAT,
                                   0600)
                          : -1;
    bool    ok = fd >= 0 && moat_cli_cache_tag(dfd, b, len, trailer) &&
              moatU_write_all(fd, b, len) &&
              moatU_write_all(fd, trailer, sizeof trailer);

    if (fd >= 0)
        close(fd);
    return ok ? dfd : -1;
}

static void
remove_entry(const char *dir, int dfd)
{
    unlinkat(dfd, "entry.o", 0);
    unlinkat(dfd, "verified.key", 0);
    close(dfd);
    rmdir(dir);
}

/* A whole hit (*hit) and the tag alone over the object in memory, the
 * key read and the hash, no file mapped (*mem); false: a stored entry's
 * tag did not check. */
static bool
time_tags(const uint8_t *b, size_t len, int n, double *t, Times *hit,
          Times *mem)
{
    char dir[] = "/tmp/moat-verify-cost-XXXXXX";
    int  dfd = make_entry(dir, b, len);
    bool ok = dfd >= 0;

    for (int i = 0; ok && i < n; i++)
        ok = hit_once(dfd, &t[i]);
    if (dfd >= 0)
        remove_entry(dir, dfd);
    if (!ok)
        return false;
    *hit = summary(t, n);
    uint8_t trailer[MOAT_CLI_TAG_LEN];
    dfd = mkdtemp(strcpy(dir, "/tmp/moat-verify-cost-XXXXXX"))
              ? open(dir, O_RDONLY | O_DIRECTORY)
              : -1;
    for (int i = 0; i < n; i++) {
        double t0 = cpu_ms();
        ok = dfd >= 0 && moat_cli_cache_tag(dfd, b, len, trailer) && ok;
        t[i] = cpu_ms() - t0;
    }
    if (dfd >= 0)
        remove_entry(dir, dfd);
    *mem = summary(t, n);
    return ok;
}

static int
one_file(const char *path, int n, bool tag_only, double *t)
{
    size_t   len;
    uint8_t *b = moat_cli_read_file(path, &len);
    if (!b)
        return 1;
    const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    double      mb = code_mb(b, len);
    Times       v = { -1, -1 }, m = { -1, -1 }, h, h1, h2;
    uint64_t    nv = 0, nm = 0;
    if (!tag_only) {
        v = time_checker(b, len, false, n, t, &nv);
        m = time_checker(b, len, true, n, t, &nm);
    }
    bool ok = time_tags(b, len, n, t, &h, &h2);
    if (!ok) {
        fprintf(stderr, "verify_cost: %s: the tag of a stored entry did "
                "not check\n", path);
        moat_cli_free_file(b);
        return 1;
    }
    uint8_t key[32] = { 1 }, tag[32];
    for (int i = 0; i < n; i++) {
        double t0 = cpu_ms();
        moatU_hmac_sha256(key, b, len, tag);
        t[i] = cpu_ms() - t0;
    }
    h1 = summary(t, n);
    printf("%s: code %.3f MB, file %.3f MB\n", name, mb, (double)len / 1e6);
    if (!tag_only) {
        printf("  checker, default rules: %8.2f ms min %8.2f median "
               "%7.2f ms/MB of code (%llu violations)\n", v.min, v.median,
               v.min / mb, (unsigned long long)nv);
        printf("  checker, --memory:      %8.2f ms min %8.2f median "
               "%7.2f ms/MB of code (%llu violations)\n", m.min, m.median,
               m.min / mb, (unsigned long long)nm);
    }
    printf("  cache hit (map + tag):  %8.3f ms min %8.3f median "
           "%7.3f ms/MB of code\n", h.min, h.median, h.min / mb);
    printf("  tag in memory (key+hash):%7.3f ms min %8.3f median "
           "%7.3f ms/MB of code\n", h2.min, h2.median, h2.min / mb);
    printf("  format-1 tag (1 lane):  %8.3f ms min %8.3f median "
           "%7.3f ms/MB of code\n", h1.min, h1.median, h1.min / mb);
    printf("cost: %s %.4f %.3f %.3f %.4f\n", name, mb, v.min, m.min, h.min);
    moat_cli_free_file(b);
    return 0;
}

int
main(int argc, char **argv)
{
    int  n = 5, i = 1, rc = 0;
    bool tag_only = false;

    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "-n") && i + 1 < argc)
            n = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--tag-only"))
            tag_only = true;
        else
            break;
    }
    if (i >= argc || n < 1 || n > 1000) {
        fprintf(stderr, "usage: verify_cost [-n N] [--tag-only] FILE.o...\n");
        return 2;
    }
    double *t = calloc((size_t)n, sizeof *t);
    if (!t)
        return 1;
    for (; i < argc; i++)
        rc |= one_file(argv[i], n, tag_only, t);
    free(t);
    return rc;
}
