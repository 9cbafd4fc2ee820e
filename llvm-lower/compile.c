/* compile.c - libmoatc's public entry: validate, lower every function,
 * add trampolines and the descriptor, optimise, emit (moat_compile.h).
 */
#include <string.h>

#include "emit.h"
#include "header.h"

struct moat_compile_config {
    int         opt_level;
    int         threads;
    char       *triple, *cpu;
    char       *name;               /* --name: a plugin to link; or NULL */
    moat_output output;
    bool        is_interruptible;
    bool        is_debug_stripped;  /* drop the module's DWARF */
    uint64_t    time_limit_ms;      /* 0: none (capped.c) */
    uint64_t    mem_limit;          /* bytes; 0: none */
};

moat_status
moat_compile_config_new(moat_compile_config **out, moat_error *err)
{
    moat_compile_config *c = moatU_calloc(1, sizeof *c);
    *out = NULL;
    if (!c)
        return moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_NOMEM,
                          "out of memory"), MOAT_ERR_NOMEM;
    c->opt_level = 2;
    *out = c;
    return MOAT_OK;
}

void
moat_compile_config_free(moat_compile_config *c)
{
    if (!c)
        return;
    moatU_free(c->triple);
    moatU_free(c->cpu);
    moatU_free(c->name);
    moatU_free(c);
}

void
moat_compile_config_set_opt_level(moat_compile_config *c, int level)
{
    c->opt_level = level < 0 ? 0 : level > 3 ? 3 : level;
}

static moat_status
set_string(char **slot, const char *s)
{
    char *copy = NULL;
    if (s) {
        size_t n = strlen(s) + 1;
        if (!(copy = moatU_alloc(n)))
            return MOAT_ERR_NOMEM;
        memcpy(copy, s, n);
    }
    moatU_free(*slot);
    *slot = copy;
    return MOAT_OK;
}

/* A value LLVM would not take is kept all the same, so that moat_compile
 * fails with the message (these setters have no moat_error) rather than
 * quietly compiling for something else. */
moat_status
moat_compile_config_set_target(moat_compile_config *c, const char *triple)
{
    moat_status st = set_string(&c->triple, triple);
    if (st == MOAT_OK && !moatL_check_triple(triple, NULL))
        st = MOAT_ERR_OPTION;
    return st;
}

moat_status
moat_compile_config_set_cpu(moat_compile_config *c, const char *cpu)
{
    moat_status st = set_string(&c->cpu, cpu);
    if (st == MOAT_OK && !moatL_check_cpu(cpu, NULL))
        st = MOAT_ERR_OPTION;
    return st;
}

moat_status
moat_compile_config_set_name(moat_compile_config *c, const char *name)
{
    if (name && (strlen(name) > MOAT_PLUGIN_NAME_MAX ||
                 !moatL_is_c_ident(name, strlen(name))))
        return MOAT_ERR_INVALID;
    return set_string(&c->name, name);
}

void
moat_compile_config_set_output(moat_compile_config *c, moat_output kind)
{
    c->output = kind;
}

void
moat_compile_config_set_threads(moat_compile_config *c, int n)
{
    c->threads = n < 0 ? 0 : n;
}

void
moat_compile_config_set_interruptible(moat_compile_config *c, int on)
{
    c->is_interruptible = on != 0;
}

void
moat_compile_config_set_strip_debug(moat_compile_config *c, int on)
{
    c->is_debug_stripped = on != 0;
}

void
moat_compile_config_set_time_limit(moat_compile_config *c, uint64_t ms)
{
    c->time_limit_ms = ms;
}

void
moat_compile_config_set_memory_limit(moat_compile_config *c, uint64_t bytes)
{
    c->mem_limit = bytes;
}

void
moat_free(void *p)
{
    moatU_free(p);
}

/* Features the runtime can check on the host CPU (runtime/module.c); the
 * descriptor lists those the code was compiled with. */
static const char *const checkable[] = {
    "cmov", "cx8", "fxsr", "mmx", "sse", "sse2", "popcnt", "sse3", "ssse3",
    "sse4.1", "sse4.2", "avx", "avx2", "sse4a", "fma4", "xop", "fma", "bmi",
    "bmi2", "aes", "pclmul", "avx512f", "avx512vl", "avx512bw", "avx512dq",
    "avx512cd", "avx512vbmi", "avx512ifma", "avx512vpopcntdq",
    "avx512vbmi2", "avx512vnni", "avx512bitalg", "avx512bf16", "gfni",
    "vpclmulqdq", "cx16", "sahf", "lzcnt", "prfchw", "movbe", "xsave", "f16c",
    "rdrnd", "rdseed", "adx", "sha", "vaes",
};

static bool
is_checkable(const char *name, size_t n)
{
    for (size_t i = 0; i < sizeof checkable / sizeof *checkable; i++)
        if (strlen(checkable[i]) == n && !strncmp(checkable[i], name, n))
            return true;
    return false;
}

/* The "+name" entries of LLVM's feature list that the runtime checks. */
static void
required_features(const char *all, char *out, size_t cap)
{
    size_t used = 0;

    out[0] = 0;
    for (const char *p = all; *p;) {
        const char *comma = strchr(p, ',');
        size_t      n = comma ? (size_t)(comma - p) : strlen(p);
        if (n > 1 && p[0] == '+' && is_checkable(p + 1, n - 1) &&
            used + n + 2 < cap) {
            used += (size_t)snprintf(out + used, cap - used, "%s%.*s",
                                     used ? "," : "", (int)n, p);
        }
        p += n + (comma != NULL);
    }
}

/* The host's features, tuned for wasm (docs/compiler.md): no AVX-512 (wasm's
 * 32-bit address arithmetic hides strides, and the loop vectoriser then
 * builds 64-wide index vectors, 1.8x slower than scalar on a sieve), and
 * no gathers (the SLP vectoriser turns table lookups on a dependency chain
 * into vpgather, 2x slower on crc32). */
static void
tuned_features(const char *host, char *out, size_t cap)
{
    size_t used = 0;

    out[0] = 0;
    for (const char *p = host; *p;) {
        const char *comma = strchr(p, ',');
        size_t      n = comma ? (size_t)(comma - p) : strlen(p);
        bool        is_512 = n > 7 && !strncmp(p + 1, "avx512", 6);
        if (n > 0 && !is_512 && used + n + 2 < cap)
            used += (size_t)snprintf(out + used, cap - used, "%s%.*s",
                                     used ? "," : "", (int)n, p);
        p += n + (comma != NULL);
    }
    if (used + 64 < cap)
        snprintf(out + used, cap - used, "%s-avx512f,+prefer-no-gather,"
                 "+prefer-no-scatter", used ? "," : "");
}

typedef struct CompileArgs {
    const moat_compile_config *c;
    const uint8_t             *bytes;
    size_t                     len;
} CompileArgs;

static moat_status compile_now(const void *arg, uint8_t **out,
                               size_t *out_len, moat_error *e);

moat_status
moat_compile(const moat_compile_config *c, const uint8_t *bytes, size_t len,
             uint8_t **out, size_t *out_len, moat_error *err)
{
    moat_error  local = { 0 };
    moat_error *e = err ? err : &local;
    CompileArgs a = { c, bytes, len };

    *out = NULL;
    /* before LLVM sees them: it aborts on some (target.c) */
    if (!moatL_check_triple(c->triple, e) || !moatL_check_cpu(c->cpu, e))
        return e->code;
    if (!c->time_limit_ms && !c->mem_limit)
        return compile_now(&a, out, out_len, e);
    CappedCompile cc = { compile_now, &a, c->time_limit_ms, c->mem_limit };
    return moatL_compile_capped(&cc, out, out_len, e);
}

static moat_status
compile_now(const void *arg, uint8_t **out, size_t *out_len, moat_error *e)
{
    const CompileArgs         *a = arg;
    const moat_compile_config *c = a->c;
    const uint8_t             *bytes = a->bytes;
    size_t                     len = a->len;
    Module                    *m;
    uint8_t                    hash[32];

    *out = NULL;
    if (!moatD_module(bytes, len, &m, e))
        return e->code;
    moatU_sha256(bytes, len, hash);

    /* Default, and "native": the host's CPU and features. With --target
     * alone, x86-64-v2 (SSE4.2, POPCNT), the baseline Moat supports:
     * below it, rounding and SIMD swizzles would need libcalls and stack
     * shuffles. A named CPU gets no feature list: LLVM's C API cannot
     * tell what it implies, so the runtime cannot check it either. */
    char *host_cpu = LLVMGetHostCPUName();
    char *host_feat = LLVMGetHostCPUFeatures();
    bool  is_native = c->cpu ? !strcmp(c->cpu, "native") : !c->triple;
    const char *cpu = is_native ? host_cpu : c->cpu ? c->cpu : "x86-64-v2";
    char        tuned[4096], req[1024];
    tuned_features(host_feat, tuned, sizeof tuned);
    const char *feat = is_native ? tuned : "";
    required_features(feat, req, sizeof req);

    CompileJob job = {
        .m = m, .hash = hash, .required = req, .output = c->output,
        .threads = c->threads, .is_interruptible = c->is_interruptible,
        .name = c->name,
        .is_debug_kept = !c->is_debug_stripped,
        .emit = { c->opt_level, c->triple, cpu, feat },
    };
    bool ok = moatL_compile_job(&job, out, out_len, e);
    LLVMDisposeMessage(host_cpu);
    LLVMDisposeMessage(host_feat);
    moatD_module_free(m);
    return ok ? MOAT_OK : e->code;
}

moat_status
moat_compile_header(const moat_compile_config *c, const uint8_t *bytes,
                    size_t len, const char *prefix, char **out,
                    size_t *out_len, moat_error *err)
{
    moat_error  local = { 0 };
    moat_error *e = err ? err : &local;
    Module     *m;
    uint8_t     hash[32];
    HeaderOut   o = { 0 };

    *out = NULL;
    *out_len = 0;
    if (!prefix)
        prefix = c->name;
    if (!prefix || strlen(prefix) > MOAT_PLUGIN_NAME_MAX ||
        !moatL_is_c_ident(prefix, strlen(prefix)))
        return moatU_fail(e, MOAT_NO_OFFSET, MOAT_ERR_INVALID,
                          "the header's name must be a C identifier of at "
                          "most %d characters", MOAT_PLUGIN_NAME_MAX),
               MOAT_ERR_INVALID;
    if (!moatD_module(bytes, len, &m, e))
        return e->code;
    moatU_sha256(bytes, len, hash);
    bool ok = moatL_header(m, hash, prefix, c->name != NULL, &o);
    moatD_module_free(m);
    if (!ok) {
        moatU_free(o.p);
        return moatU_fail(e, MOAT_NO_OFFSET, MOAT_ERR_NOMEM,
                          "out of memory"), MOAT_ERR_NOMEM;
    }
    *out = o.p;
    *out_len = o.len;
    return MOAT_OK;
}
