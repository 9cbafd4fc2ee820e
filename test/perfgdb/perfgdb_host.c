/* perfgdb_host.c - the host of the perfgdb tests (docs/profiling.md).
 *   perfgdb_host map GUEST.wasm   checks the perf map and the GDB JIT
 *                                 entries against where the runtime put
 *                                 the code; prints "N passed, N failed"
 *   perfgdb_host gdb GUEST.wasm   calls mid(5), which reaches the host
 *                                 function perfgdb_host_fn: run-gdb.sh
 *                                 stops there and reads gdb's bt
 *   perfgdb_host gdb GUEST.so     the same with a shared-object artifact
 * The guest (guest.wat): host <- leaf <- mid (through the table), anon,
 * and function 4 with no name.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "moat_compile.h"
#include "runtime.h"

static int npass, nfail;

#define CHECK(cond, ...)                                                \
    do {                                                                \
        if (cond) {                                                     \
            npass++;                                                    \
        } else {                                                        \
            nfail++;                                                    \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);                 \
            printf(__VA_ARGS__);                                        \
            printf("\n");                                               \
        }                                                               \
    } while (0)

/* The GDB JIT interface as gdb reads it (GDB manual). */
struct jit_code_entry {
    struct jit_code_entry *next_entry, *prev_entry;
    const char            *symfile_addr;
    uint64_t               symfile_size;
};
struct jit_descriptor {
    uint32_t               version, action_flag;
    struct jit_code_entry *relevant_entry, *first_entry;
};
extern struct jit_descriptor __jit_debug_descriptor;

static uintptr_t host_ret;      /* where the host function returns to */

uint32_t perfgdb_host_fn(void *ctx, uint32_t x);

__attribute__((noinline)) uint32_t
perfgdb_host_fn(void *ctx, uint32_t x)
{
    (void)ctx;
    host_ret = (uintptr_t)__builtin_return_address(0);
    __asm__ volatile("" ::: "memory");
    return x + 1;
}

static uint8_t *
read_all(const char *path, size_t *len)
{
    FILE    *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    long     n = -1;

    if (f && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0
        && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n))
        && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    if (f)
        fclose(f);
    *len = n > 0 ? (size_t)n : 0;
    return buf;
}

static uint8_t *obj;            /* the guest, compiled once */
static size_t   objlen;

static bool
compile_guest(const char *wasm_path)
{
    size_t               len;
    uint8_t             *wasm = read_all(wasm_path, &len);
    moat_compile_config *cfg = NULL;
    moat_error           err = { 0 };
    bool                 ok = wasm
                              && moat_compile_config_new(&cfg, &err) == MOAT_OK
                              && moat_compile(cfg, wasm, len, &obj, &objlen,
                                              &err) == MOAT_OK;

    if (!ok)
        fprintf(stderr, "perfgdb_host: %s: %s\n", wasm_path,
                wasm ? err.msg : "cannot read");
    moat_compile_config_free(cfg);
    free(wasm);
    return ok;
}

static moat_module *
load_guest(moat_engine *e)
{
    moat_module *m = NULL;
    moat_error   err = { 0 };

    if (moat_module_load_object(e, obj, objlen, &m, &err) != MOAT_OK)
        fprintf(stderr, "perfgdb_host: load: %s\n", err.msg);
    return m;
}

/* Instantiates m with the host function and calls mid(5) = 14. */
static uint32_t
call_mid(moat_engine *e, moat_module *m)
{
    static const uint8_t i32[] = { MOAT_I32 };
    moat_linker         *l = NULL;
    moat_instance       *inst = NULL;
    moat_error           err = { 0 };
    moat_val             arg = { .type = MOAT_I32, .of.i32 = 5 };
    moat_val             res = { 0 };

    if (moat_linker_new(e, &l, &err) != MOAT_OK
        || moat_linker_define_func(l, "env", "host", i32, 1, i32, 1,
                                   (moat_native_fn)perfgdb_host_fn, NULL,
                                   &err) != MOAT_OK
        || moat_instance_new(l, m, &inst, &err) != MOAT_OK
        || moat_instance_call(inst, "mid", &arg, 1, &res, 1, &err) != MOAT_OK)
        fprintf(stderr, "perfgdb_host: mid: %s\n", err.msg);
    moat_instance_free(inst);
    moat_linker_free(l);
    return res.of.i32;
}

static int
gdb_main(const char *wasm)
{
    moat_engine *e = NULL;
    moat_error   err = { 0 };
    moat_module *m;
    uint32_t     r = 0;

    size_t       n = strlen(wasm);
    bool         is_so = n > 3 && strcmp(wasm + n - 3, ".so") == 0;

    if ((!is_so && !compile_guest(wasm))
        || moat_engine_new(&e, &err) != MOAT_OK)
        return fprintf(stderr, "engine: %s\n", err.msg), 1;
    /* a .so cannot be verified: trusted, as `moat run --no-verify` */
    if (is_so && moat_module_load_file_flags(e, wasm, MOAT_LOAD_TRUSTED, &m,
                                              &err) != MOAT_OK)
        fprintf(stderr, "perfgdb_host: %s: %s\n", wasm, err.msg);
    if (is_so ? m != NULL : (m = load_guest(e)) != NULL)
        r = call_mid(e, m);
    printf("mid(5) = %u\n", r);
    moat_module_free(m);
    moat_engine_free(e);
    return r == 14 ? 0 : 1;
}

/* ---- the perf map ---- */

typedef struct MapLine {
    uintptr_t lo;
    uint64_t  size;
    char      name[256];
} MapLine;

enum { MAX_LINES = 64 };

static void
map_path(pid_t pid, char *buf, size_t n)
{
    snprintf(buf, n, "/tmp/perf-%ld.map", (long)pid);
}

/* The lines of this process's map; -1 when there is no file. */
static int
read_map(MapLine *v)
{
    char  path[64], line[512];
    FILE *f;
    int   n = 0;

    map_path(getpid(), path, sizeof path);
    if (!(f = fopen(path, "r")))
        return -1;
    while (n < MAX_LINES && fgets(line, sizeof line, f)) {
        unsigned long lo, size;
        int           k = 0;
        if (sscanf(line, "%lx %lx %n", &lo, &size, &k) != 2 || !k
            || !strchr(line, '\n')) {
            CHECK(0, "malformed map line '%s'", line);
            continue;
        }
        line[strcspn(line, "\n")] = '\0';
        v[n] = (MapLine){ lo, size, "" };
        snprintf(v[n++].name, sizeof v[0].name, "%s", line + k);
    }
    fclose(f);
    return n;
}

static const MapLine *
line_at(const MapLine *v, int n, uintptr_t lo)
{
    for (int i = 0; i < n; i++)
        if (v[i].lo == lo)
            return &v[i];
    return NULL;
}

static void
tag_of(const moat_module *m, char *prefix, size_t n)
{
    const uint8_t *h = moat_module_hash(m);

    snprintf(prefix, n, "wasm[%02x%02x%02x%02x]::", h[0], h[1], h[2], h[3]);
}

/* Every function at its code address, with its name and its symbol's
 * size; every trampoline; nothing overlaps. */
static void
check_funcs(const moat_module *m, const MapLine *v, int n)
{
    static const char *want[] = { NULL, "leaf", "mid", "anon",
                                  "wasm-function[4]" };
    const MoatDescriptor *d = m->desc;
    char                  prefix[32], name[300];

    tag_of(m, prefix, sizeof prefix);
    CHECK(d->nfuncs == 5, "guest has %lu functions", (unsigned long)d->nfuncs);
    for (uint64_t i = d->nfunc_imports; i < d->nfuncs && i < 5; i++) {
        const MapLine *l = line_at(v, n, (uintptr_t)d->funcs[i].code);
        snprintf(name, sizeof name, "%s%s", prefix, want[i]);
        CHECK(l != NULL, "no map line at function %lu", (unsigned long)i);
        if (!l)
            continue;
        CHECK(strcmp(l->name, name) == 0, "function %lu named '%s', want "
              "'%s'", (unsigned long)i, l->name, name);
        CHECK(l->size && l->size == moatR_elf_func_size(m->img, d->funcs[i]
                                                                   .code),
              "%s: size %lx", l->name, (unsigned long)l->size);
    }
    snprintf(name, sizeof name, "%strampoline[(i32) -> (i32)]", prefix);
    for (uint64_t t = 0; t < d->ntypes; t++) {
        const MapLine *l = line_at(v, n, (uintptr_t)d->types[t].tramp);
        CHECK(!d->types[t].tramp || (l && !strncmp(l->name, name,
                                                   strlen(prefix) + 11)),
              "trampoline of type %lu: %s", (unsigned long)t,
              l ? l->name : "no line");
    }
    CHECK(line_at(v, n, (uintptr_t)d->types[0].tramp)
              && !strcmp(line_at(v, n, (uintptr_t)d->types[0].tramp)->name,
                         name), "no line '%s'", name);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            CHECK(i == j || v[i].lo + v[i].size <= v[j].lo
                      || v[j].lo + v[j].size <= v[i].lo,
                  "'%s' overlaps '%s'", v[i].name, v[j].name);
}

/* The return address of the host function lies in leaf's line. */
static void
check_return_address(const moat_module *m, const MapLine *v, int n)
{
    char prefix[32], name[64];
    int  hits = 0;

    tag_of(m, prefix, sizeof prefix);
    snprintf(name, sizeof name, "%sleaf", prefix);
    for (int i = 0; i < n; i++)
        if (host_ret >= v[i].lo && host_ret < v[i].lo + v[i].size) {
            hits++;
            CHECK(strcmp(v[i].name, name) == 0, "host returns into '%s'",
                  v[i].name);
        }
    CHECK(hits == 1, "host returns to %lx: %d lines hold it",
          (unsigned long)host_ret, hits);
}

/* ---- the GDB JIT entry: an ELF file whose function symbols are the
 * map's lines ---- */

static void
check_symfile(const moat_module *m, const MapLine *v, int n)
{
    const struct jit_code_entry *ce = __jit_debug_descriptor.first_entry;
    char                         prefix[32], name[300];
    ElfEhdr                      h;
    int                          nfunc = 0;

    tag_of(m, prefix, sizeof prefix);
    CHECK(__jit_debug_descriptor.version == 1, "descriptor version");
    CHECK(ce && ce->symfile_size >= sizeof h, "no JIT entry");
    if (!ce || ce->symfile_size < sizeof h)
        return;
    CHECK(ce->next_entry == NULL, "one module, one entry");
    memcpy(&h, ce->symfile_addr, sizeof h);
    CHECK(memcmp(h.ident, "\177ELF", 4) == 0 && h.shentsize == sizeof(ElfShdr)
          && h.shoff + h.shnum * sizeof(ElfShdr) <= ce->symfile_size,
          "not an ELF file");
    const ElfShdr *sh = (const ElfShdr *)(ce->symfile_addr + h.shoff);
    for (unsigned i = 0; i < h.shnum; i++) {
        if (sh[i].type != ELF_SHT_SYMTAB)
            continue;
        const ElfSym *y = (const ElfSym *)(ce->symfile_addr + sh[i].offset);
        const char   *str = ce->symfile_addr + sh[sh[i].link].offset;
        for (uint64_t k = 0; k < sh[i].size / sizeof *y; k++) {
            if ((y[k].info & 0xf) != ELF_STT_FUNC)
                continue;
            const MapLine *l = line_at(v, n, (uintptr_t)y[k].value);
            snprintf(name, sizeof name, "%s%s", prefix, str + y[k].name);
            nfunc++;
            CHECK(l && l->size == y[k].size && !strcmp(l->name, name),
                  "symbol %s at %lx: map says %s", name,
                  (unsigned long)y[k].value, l ? l->name : "nothing");
        }
    }
    CHECK(nfunc == n, "%d function symbols, %d map lines", nfunc, n);
}

/* ---- the whole scenario, and the dangers of a shared /tmp ---- */

static moat_module *
load_with(moat_engine **e, unsigned profilers)
{
    moat_error err = { 0 };

    if (moat_engine_new(e, &err) != MOAT_OK)
        return NULL;
    if (profilers != ~0u)
        moat_engine_set_profiler(*e, profilers);
    return load_guest(*e);
}

static void
check_loaded(void)
{
    char         path[64];
    MapLine      v[MAX_LINES];
    moat_engine *e = NULL;
    moat_module *m = load_with(&e, MOAT_PROFILER_PERFMAP | MOAT_PROFILER_GDB);
    struct stat  st;
    int          n;

    CHECK(m != NULL, "load");
    if (!m)
        return;
    CHECK(call_mid(e, m) == 14, "mid(5)");
    map_path(getpid(), path, sizeof path);
    CHECK(lstat(path, &st) == 0 && S_ISREG(st.st_mode)
          && (st.st_mode & 0777) == 0600 && st.st_uid == geteuid(),
          "%s: mode %o", path, (unsigned)st.st_mode);
    n = read_map(v);
    CHECK(n >= 5, "%d map lines", n);
    check_funcs(m, v, n);
    check_return_address(m, v, n);
    check_symfile(m, v, n);
    moat_module_free(m);
    CHECK(__jit_debug_descriptor.first_entry == NULL, "entry left after "
          "moat_module_free");
    moat_engine_free(e);
    unlink(path);
}

/* Runs fn in a child (its own pid, so its own map path): its exit status
 * is the number of its failures (255: crashed or hung). */
static int
in_child(int (*fn)(void))
{
    int   status = 0;
    pid_t pid = fork();

    if (pid == 0) {
        alarm(20);                      /* a FIFO must not block us */
        _exit(fn());
    }
    if (pid < 0 || waitpid(pid, &status, 0) != pid)
        return 255;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 255;
}

static int
load_and_free(unsigned profilers)
{
    moat_engine *e = NULL;
    moat_module *m = load_with(&e, profilers);
    int          bad = m == NULL;

    moat_module_free(m);
    moat_engine_free(e);
    return bad;
}

static off_t
size_of(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 ? st.st_size : -1;
}

/* A symlink at our path: not followed, its target untouched. */
static int
child_symlink(void)
{
    char path[64], target[] = "/tmp/perfgdb-target-XXXXXX";
    int  fd = mkstemp(target), bad = 0;
    struct stat st;

    map_path(getpid(), path, sizeof path);
    if (fd < 0 || symlink(target, path) != 0)
        return 100;
    bad += load_and_free(MOAT_PROFILER_PERFMAP);
    bad += size_of(target) != 0;
    bad += lstat(path, &st) != 0 || !S_ISLNK(st.st_mode);
    unlink(path);
    unlink(target);
    close(fd);
    return bad;
}

/* A file of another user, a hard link, a FIFO: refused, left as it was. */
static int
child_foreign(void)
{
    char path[64];
    int  fd, bad = 0;

    map_path(getpid(), path, sizeof path);
    if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644)) < 0
        || write(fd, "x\n", 2) != 2 || fchown(fd, 65534, 65534) != 0)
        return 100;
    close(fd);
    bad += load_and_free(MOAT_PROFILER_PERFMAP);
    bad += size_of(path) != 2;
    unlink(path);
    return bad;
}

static int
child_hardlink(void)
{
    char path[64], other[] = "/tmp/perfgdb-link-XXXXXX";
    int  fd = mkstemp(other), bad = 0;

    map_path(getpid(), path, sizeof path);
    if (fd < 0 || write(fd, "x\n", 2) != 2 || link(other, path) != 0)
        return 100;
    bad += load_and_free(MOAT_PROFILER_PERFMAP);
    bad += size_of(other) != 2;
    unlink(path);
    unlink(other);
    close(fd);
    return bad;
}

static int
child_fifo(void)
{
    char path[64];
    int  bad;

    map_path(getpid(), path, sizeof path);
    if (mkfifo(path, 0644) != 0)
        return 100;
    bad = load_and_free(MOAT_PROFILER_PERFMAP);     /* must not block */
    unlink(path);
    return bad;
}

/* Our own file left by an earlier process with our pid: emptied first. */
static int
child_stale(void)
{
    char    path[64];
    MapLine v[MAX_LINES];
    int     fd, n, bad = 0;

    map_path(getpid(), path, sizeof path);
    if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644)) < 0
        || write(fd, "1000 10 stale\n", 14) != 14)
        return 100;
    close(fd);
    bad += load_and_free(MOAT_PROFILER_PERFMAP);
    n = read_map(v);
    bad += n < 5;
    for (int i = 0; i < n; i++)
        bad += strstr(v[i].name, "stale") != NULL;
    unlink(path);
    return bad;
}

/* No map unless asked: by the API, or by MOAT_PROFILE for hosts that
 * cannot change. */
static int
child_default(void)
{
    char path[64];
    int  bad = 0;

    map_path(getpid(), path, sizeof path);
    bad += load_and_free(~0u);
    bad += size_of(path) != -1;
    setenv("MOAT_PROFILE", "perfmap", 1);
    bad += load_and_free(~0u);
    bad += size_of(path) <= 0;
    unlink(path);
    return bad;
}

static void
map_checks(void)
{
    static const struct {
        const char *what;
        int       (*fn)(void);
    } cases[] = {
        { "a symlink at the map's path", child_symlink },
        { "another user's file at the map's path", child_foreign },
        { "a hard link at the map's path", child_hardlink },
        { "a FIFO at the map's path", child_fifo },
        { "a stale map of our own", child_stale },
        { "no map by default, one with MOAT_PROFILE", child_default },
    };

    umask(022);
    unsetenv("MOAT_PROFILE");
    check_loaded();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = in_child(cases[i].fn);
        CHECK(rc == 0, "%s: %d failure(s)%s", cases[i].what, rc,
              rc == 100 ? " (could not set up)" : "");
    }
}

int
main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "gdb") == 0)
        return gdb_main(argv[2]);
    if (argc == 3 && strcmp(argv[1], "map") == 0) {
        if (compile_guest(argv[2]))
            map_checks();
        else
            nfail++;
        printf("%d passed, %d failed\n", npass, nfail);
        return nfail ? 1 : 0;
    }
    fprintf(stderr, "usage: perfgdb_host map|gdb GUEST.wasm\n");
    return 2;
}
