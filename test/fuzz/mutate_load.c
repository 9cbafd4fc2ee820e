/* mutate_load.c - the loader's mutation count: damages compiled artifacts
 * (.o or .so) N ways and loads each mutant in a child process, so that a
 * crash is counted instead of ending the run. Prints, per file and in
 * total, how many mutants loaded, were refused with an error, or crashed
 * (a signal, or an exit other than the child's own codes). Built with the
 * suite's sanitizers, a child's ASan report counts as a crash.
 *
 *   mutate_load [-n N] [-s SEED] [-k KEEP_DIR] [-v] FILE...
 *
 * Half the mutants flip 1-4 random bytes anywhere; the other half flip
 * bytes inside one structure the loader reads (the ELF header, program or
 * section headers, a symbol, string or relocation table, a dynamic
 * section, the allocated data), found through the file's section headers.
 * Loaded mutants are split by where their flipped bytes lie: only in
 * code (SHF_EXECINSTR sections: nothing but a machine-code verifier could
 * tell), touching allocated data (constants, data segments, names: they
 * load with other values), or elsewhere (headers, tables, unused bytes).
 * Exit status: 0 when no mutant crashed, 1 otherwise, 2 on bad usage.
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "moat.h"

enum { LOADED = 10, REFUSED = 11, BADERR = 12 };
enum { NOUTCOME = 4 };
static const char *const outcome_name[NOUTCOME] = {
    "loaded", "refused", "crashed", "bad error"
};

typedef struct Region {
    size_t lo, hi;
} Region;

typedef struct Blob {
    uint8_t *p;
    size_t   len;
} Blob;

/* Where a flipped byte lies: bit 0 code, bit 1 allocated data, bit 2
 * anything else. */
enum { IN_CODE = 1, IN_DATA = 2, IN_META = 4 };

static const Blob *clean;       /* the file being mutated */

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t
rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static Blob
read_all(const char *path)
{
    Blob  b = { 0 };
    FILE *f = fopen(path, "rb");
    long  n;

    if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) <= 0
        || fseek(f, 0, SEEK_SET) != 0) {
        fprintf(stderr, "mutate_load: %s: cannot read\n", path);
        exit(2);
    }
    b.len = (size_t)n;
    b.p = malloc(b.len);
    if (!b.p || fread(b.p, 1, b.len, f) != b.len) {
        fprintf(stderr, "mutate_load: %s: cannot read\n", path);
        exit(2);
    }
    fclose(f);
    return b;
}

static uint64_t
rd(const Blob *b, size_t off, int n)
{
    uint64_t v = 0;

    if (off > b->len || b->len - off < (size_t)n)
        return 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | b->p[off + (size_t)i];
    return v;
}

static void
add(Region *r, size_t *n, size_t cap, const Blob *b, uint64_t lo,
    uint64_t size)
{
    if (*n < cap && size && lo < b->len && size <= b->len - lo)
        r[(*n)++] = (Region){ (size_t)lo, (size_t)(lo + size) };
}

/* The structures of the (clean) file, from its ELF64 headers. */
static size_t
regions(const Blob *b, Region *r, size_t cap)
{
    size_t   n = 0;
    uint64_t phoff = rd(b, 32, 8), shoff = rd(b, 40, 8);
    uint64_t phnum = rd(b, 56, 2), shnum = rd(b, 60, 2);

    add(r, &n, cap, b, 0, 64);
    add(r, &n, cap, b, phoff, phnum * 56);
    add(r, &n, cap, b, shoff, shnum * 64);
    for (uint64_t i = 0; i < shnum; i++) {
        size_t   at = (size_t)(shoff + i * 64);
        uint64_t type = rd(b, at + 4, 4), flags = rd(b, at + 8, 8);
        uint64_t off = rd(b, at + 24, 8), size = rd(b, at + 32, 8);

        /* symbols, strings, relocations, dynamic, hash; data, not code */
        if ((type >= 2 && type <= 6) || type == 11 || type == 0x6ffffff6
            || (type == 1 && (flags & 2) && !(flags & 4)))
            add(r, &n, cap, b, off, size);
    }
    return n;
}

/* What the clean file's section headers say lies at byte off. */
static unsigned
where(size_t off)
{
    const Blob *b = clean;
    uint64_t    shoff = rd(b, 40, 8), shnum = rd(b, 60, 2);

    for (uint64_t i = 1; i < shnum; i++) {
        size_t   at = (size_t)(shoff + i * 64);
        uint64_t type = rd(b, at + 4, 4), flags = rd(b, at + 8, 8);
        uint64_t o = rd(b, at + 24, 8), size = rd(b, at + 32, 8);

        if (type == 8 || off < o || off - o >= size || !(flags & 2))
            continue;
        return flags & 4 ? IN_CODE : type == 1 ? IN_DATA : IN_META;
    }
    return IN_META;
}

static unsigned
mutate(Blob *c, const Region *r, size_t nr)
{
    unsigned touched = 0;
    size_t lo = 0, hi = c->len;
    int    k = 1 + (int)(rng() % 4);

    if (nr && rng() % 2) {
        const Region *x = &r[rng() % nr];
        lo = x->lo;
        hi = x->hi;
    }
    while (k--) {
        uint64_t v = rng();
        size_t   at = lo + v % (hi - lo);
        c->p[at] ^= (uint8_t)(1 + (v >> 40) % 255);
        touched |= where(at);
    }
    return touched;
}

/* In the child: load the mutant, exit with its outcome. A .so goes
 * through a file, as moat_module_load_file reads it. */
static void
child(const Blob *c, const char *tmp)
{
    moat_engine *e = NULL;
    moat_module *m = NULL;
    moat_error   err = { 0 };
    moat_status  st;

    if (moat_engine_new(&e, &err) != MOAT_OK)
        _exit(BADERR);
    if (tmp) {
        int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd < 0 || write(fd, c->p, c->len) != (ssize_t)c->len)
            _exit(BADERR);
        close(fd);
        st = moat_module_load_file_flags(e, tmp, MOAT_LOAD_TRUSTED, &m, &err);
    } else {    /* trusted: the loader is under test, not the checker */
        st = moat_module_load_object_flags(e, c->p, c->len, MOAT_LOAD_TRUSTED,
                                           &m, &err);
    }
    if (st == MOAT_OK) {
        for (size_t i = 0; i < moat_module_export_count(m); i++) {
            moat_extern_info info;
            if (moat_module_export(m, i, &info) != MOAT_OK || !info.name)
                _exit(BADERR);
            (void)strlen(info.name);
        }
        moat_module_free(m);
    }
    moat_engine_free(e);
    if (st != MOAT_OK && (!err.msg[0] || err.code != st || m))
        _exit(BADERR);
    _exit(st == MOAT_OK ? LOADED : REFUSED);
}

static int
classify(int ws)
{
    if (WIFEXITED(ws) && WEXITSTATUS(ws) == LOADED)
        return 0;
    if (WIFEXITED(ws) && WEXITSTATUS(ws) == REFUSED)
        return 1;
    if (WIFEXITED(ws) && WEXITSTATUS(ws) == BADERR)
        return 3;
    return 2;
}

static void
keep(const char *dir, const char *path, unsigned i, const Blob *c)
{
    char        name[4096];
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    FILE       *f;

    snprintf(name, sizeof name, "%s/crash-%s-%u", dir, base, i);
    if ((f = fopen(name, "wb"))) {
        fwrite(c->p, 1, c->len, f);
        fclose(f);
    }
}

static void
run_file(const char *path, unsigned n, const char *keep_dir, bool verbose,
         unsigned *total)
{
    Blob     b = read_all(path);
    Region   r[256];
    size_t   nr = regions(&b, r, 256);
    unsigned count[NOUTCOME] = { 0 }, nloaded[3] = { 0 };
    bool     is_shared = b.len > 17 && b.p[16] == 3;
    char     tmp[] = "/tmp/moat-mutant-XXXXXX";
    int      fd = is_shared ? mkstemp(tmp) : -1;

    if (is_shared && fd < 0) {
        perror("mutate_load: temporary file");
        exit(2);
    }
    if (fd >= 0)
        close(fd);
    for (unsigned i = 0; i < n; i++) {
        Blob  c = { malloc(b.len), b.len };
        pid_t pid;
        int   ws = 0;

        memcpy(c.p, b.p, b.len);
        clean = &b;
        unsigned touched = mutate(&c, r, nr);
        fflush(NULL);
        pid = fork();
        if (pid == 0)
            child(&c, is_shared ? tmp : NULL);
        if (pid < 0 || waitpid(pid, &ws, 0) < 0) {
            perror("mutate_load: fork");
            exit(2);
        }
        int o = classify(ws);
        count[o]++;
        if (o == 0)
            nloaded[touched == IN_CODE ? 0 : (touched & IN_DATA) ? 1 : 2]++;
        if (o >= 2 && verbose)
            fprintf(stderr, "mutant %u of %s: %s (status 0x%x)\n", i, path,
                    outcome_name[o], ws);
        if (o >= 2 && keep_dir)
            keep(keep_dir, path, i, &c);
        free(c.p);
    }
    if (is_shared)
        unlink(tmp);
    printf("%s: %u mutants:", path, n);
    for (int o = 0; o < NOUTCOME; o++) {
        printf(" %u %s%s", count[o], outcome_name[o], o + 1 < NOUTCOME ? ","
                                                                        : "");
        total[o] += count[o];
    }
    printf(" (loaded: %u code only, %u data, %u other)\n", nloaded[0],
           nloaded[1], nloaded[2]);
    for (int k = 0; k < 3; k++)
        total[NOUTCOME + k] += nloaded[k];
    free(b.p);
}

int
main(int argc, char **argv)
{
    unsigned    n = 500, total[NOUTCOME + 3] = { 0 };
    const char *keep_dir = NULL;
    bool        verbose = false;
    int         opt;

    while ((opt = getopt(argc, argv, "n:s:k:v")) != -1) {
        if (opt == 'n')
            n = (unsigned)strtoul(optarg, NULL, 0);
        else if (opt == 's')
            rng_state = strtoull(optarg, NULL, 0) | 1;
        else if (opt == 'k')
            keep_dir = optarg;
        else if (opt == 'v')
            verbose = true;
        else
            return 2;
    }
    if (optind >= argc) {
        fprintf(stderr, "usage: mutate_load [-n N] [-s SEED] [-k DIR] [-v] "
                        "FILE...\n");
        return 2;
    }
    for (int i = optind; i < argc; i++)
        run_file(argv[i], n, keep_dir, verbose, total);
    printf("total:");
    for (int o = 0; o < NOUTCOME; o++)
        printf(" %u %s%s", total[o], outcome_name[o],
               o + 1 < NOUTCOME ? "," : "");
    printf(" (loaded: %u code only, %u data, %u other)\n",
           total[NOUTCOME], total[NOUTCOME + 1], total[NOUTCOME + 2]);
    return total[2] || total[3] ? 1 : 0;
}
