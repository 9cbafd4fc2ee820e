/* compile.c - the compile pipeline: moat_compile (moat_compile.h)
 * decodes and validates, picks the target, and hands the module to
 * partition.c, which runs moatL_compile_part (below) on each partition:
 * lower every function, add trampolines and the descriptor, verify,
 * optimise with the IR pass pipeline, finish the NaN marks, emit.
 */
#include <stdio.h>
#include <string.h>

#include <llvm-c/Error.h>
#include <llvm-c/Transforms/PassBuilder.h>

#include "emit.h"
#include "header.h"

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

/* Assembly and IR cannot be merged from partitions: a huge function is
 * kept from the IR passes instead (its codegen stays at the level). */
static void
mark_optnone(Lower *L, LLVMValueRef fn)
{
    static const char *const names[] = { "optnone", "noinline" };
    for (int k = 0; k < 2; k++)
        LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex,
                                moatL_attr(L, names[k]));
}

/* A named plugin (--name): every function with a body, trampolines and
 * whatever the optimiser made included, goes into the plugin's own code
 * section, whose bounds the descriptor holds (abi.h MOAT_CODE_SECTION). */
static void
place_code(LLVMModuleRef mod, const char *name)
{
    char sec[160];

    snprintf(sec, sizeof sec, MOAT_CODE_SECTION "%s", name);
    for (LLVMValueRef fn = LLVMGetFirstFunction(mod); fn;
         fn = LLVMGetNextFunction(fn))
        if (LLVMCountBasicBlocks(fn) > 0)
            LLVMSetSection(fn, sec);
}

/* The IR pass pipeline at -O2, for IR lowered from wasm. The producer
 * (clang, rustc, emscripten, wasm-opt) has already inlined, propagated
 * constants and simplified the program, so clang's default<O2> did most of
 * its work a second time: on quickjs 11.5 of 29 CPU seconds, InstCombine
 * (six rounds) 23%, the inliner 9%, IPSCCP 6% (docs/bench-compile.md).
 * This pipeline is default<O2>'s function passes, run once, in its order,
 * with the same options: locals in allocas, repeated address arithmetic
 * and context loads, loops in wasm's shape (test at the bottom, 32-bit
 * induction variables) still need them, and 12 of bench/kernels' 13
 * kernels compile to the same code as with default<O2>. Left out: the
 * inliner and the module passes (IPSCCP, global opt, function attributes,
 * dead argument elimination, ...): inlining across wasm functions is the
 * producer's decision, and without it the parallel partitions lose
 * nothing (partition.c). A leaner list (one simplification round, 3
 * instcombines) saved another 2 of 6 CPU s on quickjs but changed 10 of
 * the 13 kernels (sieve 1.17x slower). */
#define IC "instcombine<no-verify-fixpoint>"
#define SIMPLIFYCFG                                                         \
    "simplifycfg<bonus-inst-threshold=1;no-forward-switch-cond;"            \
    "switch-range-to-icmp;no-switch-to-lookup;keep-loops;"                  \
    "no-hoist-common-insts;no-sink-common-insts;speculate-blocks;"          \
    "simplify-cond-branch>"

static const char *const wasm_o2[] = {
    /* function simplification, once (default<O2> runs it per SCC inside
     * the inliner, and again after inlining) */
    "sroa<modify-cfg>",                 /* locals -> SSA values */
    "early-cse<memssa>",                /* repeated ctx loads, addresses */
    SIMPLIFYCFG, IC, "correlated-propagation", SIMPLIFYCFG, "reassociate",
    /* loop canonical form: invariant code out, rotated (guard + bottom
     * test) */
    "loop-mssa(loop-instsimplify,loop-simplifycfg,"
    "licm<no-allowspeculation>,"
    "loop-rotate<header-duplication;no-prepare-for-lto>)",
    SIMPLIFYCFG, IC,
    /* induction variables widened and simplified, memset/memcpy loops */
    "loop(loop-idiom,indvars,loop-deletion,loop-unroll-full)",
    "sroa<modify-cfg>", "mldst-motion", "gvn", "sccp", "bdce", IC, "adce",
    "memcpyopt", "dse", "loop-mssa(licm<allowspeculation>)",
    "simplifycfg<bonus-inst-threshold=1;no-forward-switch-cond;"
    "switch-range-to-icmp;no-switch-to-lookup;keep-loops;"
    "hoist-common-insts;sink-common-insts;speculate-blocks;"
    "simplify-cond-branch>",
    IC,
    /* the vectorisers and the loop passes they need (loop-vectorize
     * simplifies loops and forms LCSSA itself); another change may tune
     * loops for them: keep them together */
    "float2int", "loop-rotate<header-duplication;no-prepare-for-lto>",
    "loop-vectorize<no-interleave-forced-only;no-vectorize-forced-only>",
    "loop-load-elim", IC,
    "simplifycfg<bonus-inst-threshold=1;forward-switch-cond;"
    "switch-range-to-icmp;switch-to-lookup;no-keep-loops;"
    "hoist-common-insts;sink-common-insts;speculate-blocks;"
    "simplify-cond-branch>",
    "slp-vectorizer", "vector-combine", IC,
    /* unrolling, and the clean-up after it */
    "loop-unroll<O2>", IC, "loop-mssa(licm<allowspeculation>)",
    "alignment-from-assumptions", "loop-sink", "instsimplify",
    "div-rem-pairs", SIMPLIFYCFG,
};

#undef IC
#undef SIMPLIFYCFG

/* The pipeline's text for a level: -O2 the one above, -O1 and -O3
 * clang's. MOAT_LLVM_PASSES, when set, replaces it at every level above 0
 * (for measuring other pipelines without a rebuild). */
static bool
pipeline(int opt_level, char *buf, size_t cap)
{
    const char *env = getenv("MOAT_LLVM_PASSES");
    size_t      used = 0;

    if (env && env[0])
        return (size_t)snprintf(buf, cap, "%s", env) < cap;
    if (opt_level != 2)
        return (size_t)snprintf(buf, cap, "default<O%d>",
                                opt_level < 0 ? 0 : opt_level) < cap;
    used = (size_t)snprintf(buf, cap, "function(");
    for (size_t i = 0; i < sizeof wasm_o2 / sizeof *wasm_o2; i++)
        used += (size_t)snprintf(buf + used, used < cap ? cap - used : 0,
                                 "%s%s", i ? "," : "", wasm_o2[i]);
    used += (size_t)snprintf(buf + used, used < cap ? cap - used : 0, ")");
    return used < cap;
}

static bool
optimize(LLVMModuleRef mod, LLVMTargetMachineRef tm, int opt_level,
         moat_error *err)
{
    char passes[4096];
    if (!pipeline(opt_level, passes, sizeof passes))
        return moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_OPTION,
                          "the pass pipeline is longer than %zu bytes",
                          sizeof passes);
    LLVMPassBuilderOptionsRef po = LLVMCreatePassBuilderOptions();
    LLVMErrorRef e = LLVMRunPasses(mod, passes, tm, po);
    LLVMDisposePassBuilderOptions(po);
    if (e) {
        char *msg = LLVMGetErrorMessage(e);
        moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_CONTRACT,
                   "optimisation failed: %s", msg);
        LLVMDisposeErrorMessage(msg);
        return false;
    }
    return true;
}

/* The lowering of a partition's functions, its descriptor (partition 0)
 * and the IR check; L is set up for the partition's target. */
static bool
lower_part(Part *p, Lower *L)
{
    const CompileJob *job = p->job;
    Phase             ph;

    moatL_phase_begin(&ph);
    for (uint32_t i = job->m->nfunc_imports; i < job->m->nfuncs; i++)
        if (!p->owner || p->owner[i] == p->self)
            moatL_func(L, i);
    for (uint32_t i = 0; p->optnone && i < job->m->nfuncs; i++)
        if (p->optnone[i])
            mark_optnone(L, L->funcs[i]);
    moatL_phase_end(job->report, &ph, "lower", p->self, 0);
    moatL_phase_begin(&ph);
    if (p->self == 0) {         /* trampolines, then what points at them */
        LLVMValueRef *tramps = moatL_trampolines(L);
        moatL_descriptor(L, tramps, job->hash, job->emit.cpu,
                         job->required, job->name, job->is_debug_kept);
        moatU_free(tramps);
    }
    moatL_fini(L);
    moatL_phase_end(job->report, &ph, "descriptor", p->self, 0);
    moatL_phase_begin(&ph);
    bool ok = moatL_verify(L->mod, &p->err);
    moatL_phase_end(job->report, &ph, "verify", p->self, 0);
    return ok;
}

/* One partition, start to end: its own target machine and LLVM context,
 * so that partitions run in threads (partition.c). */
bool
moatL_compile_part(Part *p)
{
    const CompileJob    *job = p->job;
    LLVMTargetMachineRef tm = NULL;
    Lower                L;
    moat_output          kind = job->output;
    EmitOptions          emit = job->emit;
    Phase                ph;

    if (p->is_cheap)
        emit.opt_level = 0;
    if (!moatL_target_machine(&emit, &tm, &p->err))
        return false;
    char             *triple = LLVMGetTargetMachineTriple(tm);
    LLVMTargetDataRef layout = LLVMCreateTargetDataLayout(tm);
    LowerTarget       t = { triple, layout, job->emit.cpu,
                            job->emit.features, p->owner, p->self,
                            job->is_interruptible, job->is_provable };
    moatL_init(&L, job->m, &t);
    LLVMDisposeMessage(triple);
    LLVMDisposeTargetData(layout);
    bool ok = lower_part(p, &L);
    bool is_ir = kind == MOAT_OUTPUT_LLVM_IR || kind == MOAT_OUTPUT_LLVM_BC;
    moatL_phase_begin(&ph);
    if (ok && (!is_ir || emit.opt_level > 0))
        ok = optimize(L.mod, tm, emit.opt_level, &p->err);
    if (ok)
        moatL_nan_finish(L.mod);        /* before any output (nan.c) */
    if (ok && job->name)
        place_code(L.mod, job->name);
    moatL_phase_end(job->report, &ph, "optimise", p->self, 0);
    moatL_phase_begin(&ph);
    ok = ok && moatL_emit(L.mod, tm, kind, &p->out, &p->len, &p->err);
    moatL_phase_end(job->report, &ph, "codegen", p->self, p->nfuncs);
    LLVMDisposeModule(L.mod);
    LLVMContextDispose(L.llctx);
    LLVMDisposeTargetMachine(tm);
    return ok;
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

    Phase                      ph;
    Reporter                   rep = { c->observer, c->observer_user, 0, 0 };

    *out = NULL;
    moatL_phase_begin(&ph);
    if (!moatD_module(bytes, len, &m, e))
        return e->code;
    moatU_sha256(bytes, len, hash);
    rep.funcs_total = m->nfuncs - m->nfunc_imports;
    moatL_phase_end(&rep, &ph, "decode", -1, 0);

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
        .is_provable = c->is_provable,
        .name = c->name,
        .is_debug_kept = !c->is_debug_stripped,
        .emit = { c->opt_level, c->triple, cpu, feat },
        .report = &rep,
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
