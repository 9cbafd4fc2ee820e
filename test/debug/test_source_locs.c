/* test_source_locs.c - moat_module_source_locs on guests built with
 * clang-19 -g (divide.c in C, ratio.cc in C++ with libc++), at -O0 and
 * -O2. Each case finds a division instruction in a named function by
 * decoding the module (frontend), compiles the module, loads the artifact
 * and checks that the division's offset maps to the source line marked
 * "@NAME" in the guest's source (found by grepping it), with the
 * function and, where clang inlined, the caller's frame at the call line.
 * Then: -j partitions, --strip-debug, a module without DWARF, offsets no
 * code covers, concurrent first queries, and DWARF damaged at random
 * (never a crash). Prints "N passed, N failed"; exit 77 with --skip.
 *
 * usage: test_source_locs SRCDIR C-O0 C-O2 CXX-O0 CXX-O2 PLAIN C-O2-DWARF5
 * (wasm files; clang-19 emits DWARF 4 unless told -gdwarf-5)
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "moat_compile.h"
#include "../../frontend/frontend.h"

static int npassed, nfailed;

#define CHECK(cond, ...)                                                    \
    do {                                                                    \
        if (cond) {                                                         \
            npassed++;                                                      \
        } else {                                                            \
            nfailed++;                                                      \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);                     \
            printf(__VA_ARGS__);                                            \
            printf("\n");                                                   \
        }                                                                   \
    } while (0)

static const char *srcdir;
static moat_engine *engine;

static uint8_t *
read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        printf("cannot open %s\n", path);
        exit(1);
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    uint8_t *p = malloc((size_t)n + 1);
    if (!p || fread(p, 1, (size_t)n, f) != (size_t)n)
        exit(1);
    fclose(f);
    *len = (size_t)n;
    return p;
}

/* The line of file (in srcdir) holding "@marker" (followed by a space
 * or the line's end), or 0. */
static uint32_t
marker_line(const char *file, const char *marker)
{
    char  path[1024], line[1024], want[64];
    FILE *f;

    snprintf(path, sizeof path, "%s/%s", srcdir, file);
    snprintf(want, sizeof want, "@%s", marker);
    if (!(f = fopen(path, "r")))
        return 0;
    for (uint32_t n = 1; fgets(line, sizeof line, f); n++) {
        const char *p = strstr(line, want);
        if (p && (p[strlen(want)] == ' ' || p[strlen(want)] == '\n')) {
            fclose(f);
            return n;
        }
    }
    fclose(f);
    return 0;
}

/* Module offset of the first i32.div_s in the function whose name-section
 * name starts with fname, or 0. */
static uint64_t
div_offset(const uint8_t *wasm, size_t len, const char *fname)
{
    Module    *m;
    moat_error err = { 0 };
    uint64_t   off = 0;

    if (!moatD_module(wasm, len, &m, &err))
        return 0;
    for (uint32_t i = m->nfunc_imports; i < m->nfuncs && !off; i++) {
        const Name *n = moatD_func_name(m, i);
        if (!n || n->len < strlen(fname) ||
            memcmp(n->s, fname, strlen(fname)) != 0)
            continue;
        Reader r = moatD_reader(m->bytes, m->len, &err);
        r.p = m->funcs[i].code;
        r.end = r.p + m->funcs[i].code_len;
        Insn in;
        while (r.p < r.end && moatD_insn(&r, &in))
            if (in.op == OP_I32_DIV_S) {
                off = in.off;
                break;
            }
    }
    moatD_module_free(m);
    return off;
}

static moat_module *
compile_load(const uint8_t *wasm, size_t len, int opt, int threads,
             int strip)
{
    moat_compile_config *cfg;
    moat_error           err = { 0 };
    uint8_t             *obj = NULL;
    size_t               objlen = 0;
    moat_module         *m = NULL;

    moat_compile_config_new(&cfg, &err);
    moat_compile_config_set_opt_level(cfg, opt);
    moat_compile_config_set_threads(cfg, threads);
    moat_compile_config_set_strip_debug(cfg, strip);
    if (moat_compile(cfg, wasm, len, &obj, &objlen, &err) != MOAT_OK ||
        moat_module_load_object(engine, obj, objlen, &m, &err) != MOAT_OK)
        printf("compile/load failed: %s\n", err.msg);
    moat_compile_config_free(cfg);
    moat_free(obj);
    return m;
}

static bool
ends_with(const char *s, const char *tail)
{
    size_t n = s ? strlen(s) : 0, k = strlen(tail);
    return n >= k && strcmp(s + n - k, tail) == 0;
}

/* One expected frame: function, source file's tail, marker. */
typedef struct Want {
    const char *function, *file, *marker;
} Want;

static void
check_frames(const char *what, moat_module *m, uint64_t off,
             const Want *want, size_t nwant)
{
    moat_source_loc loc[8];
    size_t          n = m ? moat_module_source_locs(m, off, loc, 8) : 0;

    CHECK(off != 0, "%s: no division found", what);
    CHECK(n == nwant, "%s: %zu frames at 0x%llx, want %zu", what, n,
          (unsigned long long)off, nwant);
    for (size_t i = 0; i < n && i < nwant && i < 8; i++) {
        uint32_t line = marker_line(want[i].file, want[i].marker);
        CHECK(line && loc[i].line == line,
              "%s frame %zu: line %u, want %u (@%s)", what, i, loc[i].line,
              line, want[i].marker);
        CHECK(loc[i].function && !strcmp(loc[i].function, want[i].function),
              "%s frame %zu: function %s, want %s", what, i,
              loc[i].function ? loc[i].function : "(null)",
              want[i].function);
        CHECK(ends_with(loc[i].file, want[i].file),
              "%s frame %zu: file %s", what, i,
              loc[i].file ? loc[i].file : "(null)");
        CHECK(loc[i].column > 0, "%s frame %zu: no column", what, i);
    }
}

typedef struct Case {
    const char *what;
    int         arg;            /* argv index of the wasm */
    int         opt;
    const char *fname;          /* name section prefix */
    Want        want[2];
    size_t      nwant;
} Case;

static const Case cases[] = {
    { "C -O0 divide", 2, 0, "divide",
      { { "divide", "divide.c", "DIV" } }, 1 },
    { "C -O0 scale (not inlined)", 2, 0, "scale",
      { { "scale", "divide.c", "INNER" } }, 1 },
    { "C -O2 divide", 3, 2, "divide",
      { { "divide", "divide.c", "DIV" } }, 1 },
    { "C -O2 scale inlined into apply", 3, 2, "apply",
      { { "scale", "divide.c", "INNER" }, { "apply", "divide.c", "CALL" } },
      2 },
    { "C -O2 DWARF 5 scale inlined into apply", 7, 2, "apply",
      { { "scale", "divide.c", "INNER" }, { "apply", "divide.c", "CALL" } },
      2 },
    { "C++ -O0 Ratio::per", 4, 0, "calc::Ratio::per(",
      { { "calc::Ratio::per", "ratio.cc", "CXX_INNER" } }, 1 },
    { "C++ -O2 per inlined into average", 5, 2, "calc::average(",
      { { "calc::Ratio::per", "ratio.cc", "CXX_INNER" },
        { "calc::average", "ratio.cc", "CXX_CALL" } }, 2 },
};

/* ---- concurrency: the first queries race to open the reader ---- */

typedef struct Racer {
    moat_module *m;
    uint64_t     off;
    size_t       n;
    uint32_t     line;
} Racer;

static void *
race(void *arg)
{
    Racer          *r = arg;
    moat_source_loc loc[4];

    r->n = moat_module_source_locs(r->m, r->off, loc, 4);
    r->line = r->n ? loc[0].line : 0;
    return NULL;
}

static void
check_threads(const uint8_t *wasm, size_t len, uint64_t off)
{
    moat_module *m = compile_load(wasm, len, 2, 1, 0);
    pthread_t    t[4];
    Racer        r[4];

    for (int i = 0; i < 4; i++) {
        r[i] = (Racer){ m, off, 0, 0 };
        pthread_create(&t[i], NULL, race, &r[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        CHECK(r[i].n == 2 && r[i].line == marker_line("divide.c", "INNER"),
              "thread %d: %zu frames, line %u", i, r[i].n, r[i].line);
    }
    moat_module_free(m);
}

/* ---- damaged DWARF: the artifact's copy of the .debug_* bytes is
 * mutated in place (the descriptor stays valid), then queried; libdw must
 * refuse or answer, never crash or hang (the alarm). ---- */

static uint8_t *
find(uint8_t *hay, size_t n, const uint8_t *needle, size_t k)
{
    for (size_t i = 0; k && i + k <= n; i++)
        if (hay[i] == needle[0] && !memcmp(hay + i, needle, k))
            return hay + i;
    return NULL;
}

static void
check_damaged(const uint8_t *wasm, size_t len, uint64_t off)
{
    moat_compile_config *cfg;
    moat_error           err = { 0 };
    uint8_t             *obj = NULL;
    size_t               objlen = 0;
    Module              *mod;

    moat_compile_config_new(&cfg, &err);
    moat_compile(cfg, wasm, len, &obj, &objlen, &err);
    moat_compile_config_free(cfg);
    if (!obj || !moatD_module(wasm, len, &mod, &err)) {
        CHECK(0, "damaged: no artifact");
        return;
    }
    /* where each DWARF section's bytes sit in the object */
    uint8_t *at[16];
    uint32_t sz[16], nsec = 0;
    for (uint32_t i = 0; i < mod->ncustoms && nsec < 16; i++) {
        const Custom *c = &mod->customs[i];
        uint32_t      k = c->len < 64 ? c->len : 64;
        uint8_t      *p;
        if (c->name.len > 7 && !memcmp(c->name.s, ".debug_", 7) &&
            (p = find(obj, objlen, c->data, k)))
            at[nsec] = p, sz[nsec++] = c->len;
    }
    CHECK(nsec >= 4, "damaged: found %u DWARF sections in the object", nsec);
    if (nsec == 0) {
        moatD_module_free(mod);
        moat_free(obj);
        return;
    }
    uint8_t    *copy = malloc(objlen);
    const char *env = getenv("MOAT_TEST_DAMAGE_ROUNDS");   /* longer runs */
    int         nrounds = env ? atoi(env) : 150;
    srand(12345);
    int rounds = 0, answered = 0;
    for (int round = 0; round < nrounds; round++) {
        memcpy(copy, obj, objlen);
        uint32_t s = (uint32_t)rand() % nsec;
        uint8_t *base = copy + (at[s] - obj);
        int      nmut = 1 + rand() % 16;
        for (int k = 0; k < nmut; k++) {
            uint32_t i = (uint32_t)rand() % sz[s];
            base[i] = round % 3 == 0 ? (uint8_t)rand() : (uint8_t)(base[i] ^
                                                        (1u << (rand() % 8)));
        }
        if (round % 10 == 0)            /* a zeroed unit header */
            memset(base, round % 20 ? 0xff : 0, sz[s] < 16 ? sz[s] : 16);
        moat_module *m = NULL;
        if (moat_module_load_object(engine, copy, objlen, &m, NULL) != MOAT_OK)
            continue;
        moat_source_loc loc[8];
        size_t          nframes = 0;
        for (uint64_t o = off / 2; o < off * 4; o += 5)
            nframes += moat_module_source_locs(m, o, loc, 8);
        moat_module_free(m);
        rounds++;
        answered += nframes > 0;
    }
    CHECK(rounds == nrounds, "damaged: %d of %d rounds loaded", rounds,
          nrounds);
    printf("damaged DWARF: %d of %d rounds still gave frames\n", answered,
           nrounds);
    free(copy);
    moatD_module_free(mod);
    moat_free(obj);
}

static void
check_no_dwarf(const uint8_t *plain, size_t plen, const uint8_t *wasm,
               size_t len, uint64_t off)
{
    moat_source_loc loc[4];
    moat_module    *m = compile_load(plain, plen, 2, 1, 0);
    uint64_t        poff = div_offset(plain, plen, "divide");

    CHECK(m && moat_module_debug_size(m) == 0, "plain module has DWARF");
    CHECK(poff && m && moat_module_source_locs(m, poff, loc, 4) == 0,
          "plain module: frames at the division");
    moat_module_free(m);
    m = compile_load(wasm, len, 2, 1, 1);
    CHECK(m && moat_module_debug_size(m) == 0, "--strip-debug kept DWARF");
    CHECK(m && moat_module_source_locs(m, off, loc, 4) == 0,
          "stripped module: frames");
    moat_module_free(m);
    m = compile_load(wasm, len, 2, 1, 0);
    CHECK(m && moat_module_debug_size(m) > 1000, "DWARF not carried");
    CHECK(m && moat_module_source_locs(m, 0, loc, 4) == 0,
          "offset 0 has frames");
    CHECK(m && moat_module_source_locs(m, len + 100, loc, 4) == 0,
          "offset past the module has frames");
    CHECK(m && moat_module_source_locs(m, UINT64_MAX, loc, 4) == 0,
          "offset UINT64_MAX has frames");
    CHECK(m && moat_module_source_locs(m, off, NULL, 0) == 2,
          "max 0 does not count the frames");
    moat_module_free(m);
}

int
main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "--skip")) {
        printf("skipped: %s\n0 passed, 0 failed, 1 skipped\n", argv[2]);
        return 77;
    }
    if (argc != 8) {
        fprintf(stderr, "usage: test_source_locs SRCDIR C-O0.wasm "
                "C-O2.wasm CXX-O0.wasm CXX-O2.wasm PLAIN.wasm "
                "C-O2-DWARF5.wasm\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    alarm(300);                         /* a hang in libdw fails */
    srcdir = argv[1];
    moat_error err = { 0 };
    if (moat_engine_new(&engine, &err) != MOAT_OK)
        return printf("engine: %s\n", err.msg), 1;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const Case *c = &cases[i];
        size_t      len;
        uint8_t    *wasm = read_all(argv[c->arg], &len);
        uint64_t    off = div_offset(wasm, len, c->fname);
        moat_module *m = compile_load(wasm, len, c->opt, 1, 0);
        check_frames(c->what, m, off, c->want, c->nwant);
        moat_module_free(m);
        /* -j: the descriptor (and DWARF) in partition 0 of 2 */
        m = compile_load(wasm, len, c->opt, 2, 0);
        check_frames(c->what, m, off, c->want, c->nwant);
        moat_module_free(m);
        free(wasm);
    }
    size_t   len, plen;
    uint8_t *wasm = read_all(argv[3], &len);
    uint8_t *plain = read_all(argv[6], &plen);
    uint64_t off = div_offset(wasm, len, "apply");
    check_no_dwarf(plain, plen, wasm, len, off);
    check_threads(wasm, len, off);
    check_damaged(wasm, len, off);
    uint8_t *cxx = read_all(argv[5], &len);     /* namespaces, classes */
    check_damaged(cxx, len, div_offset(cxx, len, "calc::average("));
    free(cxx);
    free(wasm);
    free(plain);
    moat_engine_free(engine);
    printf("%d passed, %d failed\n", npassed, nfailed);
    return nfailed ? 1 : 0;
}
