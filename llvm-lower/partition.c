/* partition.c - one compilation, possibly in parallel: a large module's
 * functions are split into partitions by code size, each lowered,
 * optimised and emitted by its own thread with its own LLVM context and
 * target machine; the objects are then merged into one relocatable object
 * with the system's LLVM linker (ld.lld -r). Partition 0 also carries the
 * trampolines and the descriptor. Small modules and textual outputs use a
 * single partition in the calling thread.
 *
 * Huge functions (more than HUGE_FUNC_CODE bytes or weight of wasm, or a
 * run weighing more than HUGE_RUN without control flow; weight counts
 * the values a call moves) go to a partition
 * of their own compiled at -O0 whatever the level asked: at -O1 and above
 * LLVM's register allocation and scheduling are superlinear in the size
 * of a function, and the SLP vectoriser and two-address pass in the size
 * of a basic block (70 KB of straight-line code took 40 s at -O2, 0.4 s
 * at -O0; docs/compiler.md, "Huge functions").
 */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "emit.h"

enum {
    MAX_PARTS = 8,
    PARALLEL_MIN_CODE = 256 * 1024,     /* bytes of code before splitting */
    HUGE_FUNC_CODE = 256 * 1024,        /* bytes (or weight) of a function */
    HUGE_RUN = 4096,                    /* weight between branches */
};

typedef struct Part {
    const CompileJob *job;
    const uint8_t    *owner;            /* NULL: one partition */
    int               self;
    bool              is_cheap;         /* huge functions: -O0 */
    const uint8_t    *optnone;          /* textual output: per function,
                                         * 1 = huge, marked optnone */
    uint8_t          *out;
    size_t            len;
    moat_error        err;
    bool              ok;
} Part;

/* Per function: 1 when it is huge (an object output compiles it in the
 * -O0 partition; a textual one marks it optnone). NULL when none is. */
static uint8_t *
huge_funcs(const CompileJob *job)
{
    const Module *m = job->m;
    uint8_t      *huge = NULL;

    for (uint32_t i = m->nfunc_imports; i < m->nfuncs; i++) {
        const Func *f = &m->funcs[i];
        if (f->code_len <= HUGE_FUNC_CODE) {
            /* a function of fewer bytes than HUGE_RUN / 2001 cannot weigh
             * more (2,001: the heaviest instruction per byte, a call) */
            if (f->code_len * 2001 <= HUGE_RUN)
                continue;
            FuncFacts x = moatL_func_facts(m, f);
            if (x.weight <= HUGE_FUNC_CODE && x.longest_run <= HUGE_RUN)
                continue;
        }
        if (!huge && !(huge = moatU_calloc(m->nfuncs + 1, 1)))
            abort();
        huge[i] = 1;
    }
    return huge;
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

static bool
run_part(Part *p)
{
    const CompileJob    *job = p->job;
    LLVMTargetMachineRef tm = NULL;
    Lower                L;
    moat_output          kind = job->output;
    EmitOptions          emit = job->emit;

    if (p->is_cheap)
        emit.opt_level = 0;
    if (!moatL_target_machine(&emit, &tm, &p->err))
        return false;
    char             *triple = LLVMGetTargetMachineTriple(tm);
    LLVMTargetDataRef layout = LLVMCreateTargetDataLayout(tm);
    LowerTarget       t = { triple, layout, job->emit.cpu,
                            job->emit.features, p->owner, p->self,
                            job->is_interruptible };
    moatL_init(&L, job->m, &t);
    LLVMDisposeMessage(triple);
    LLVMDisposeTargetData(layout);
    for (uint32_t i = job->m->nfunc_imports; i < job->m->nfuncs; i++)
        if (!p->owner || p->owner[i] == p->self)
            moatL_func(&L, i);
    for (uint32_t i = 0; p->optnone && i < job->m->nfuncs; i++)
        if (p->optnone[i])
            mark_optnone(&L, L.funcs[i]);
    if (p->self == 0) {         /* trampolines, then what points at them */
        LLVMValueRef *tramps = moatL_trampolines(&L);
        moatL_descriptor(&L, tramps, job->hash, job->emit.cpu,
                         job->required, job->name, job->is_debug_kept);
        moatU_free(tramps);
    }
    moatL_fini(&L);
    bool ok = moatL_verify(L.mod, &p->err);
    bool is_ir = kind == MOAT_OUTPUT_LLVM_IR || kind == MOAT_OUTPUT_LLVM_BC;
    if (ok && (!is_ir || emit.opt_level > 0))
        ok = moatL_optimize(L.mod, tm, emit.opt_level, &p->err);
    if (ok)
        moatL_nan_finish(L.mod);        /* before any output (nan.c) */
    if (ok && job->name)
        place_code(L.mod, job->name);
    ok = ok && moatL_emit(L.mod, tm, kind, &p->out, &p->len, &p->err);
    LLVMDisposeModule(L.mod);
    LLVMContextDispose(L.llctx);
    LLVMDisposeTargetMachine(tm);
    return ok;
}

static void *
part_thread(void *arg)
{
    Part *p = arg;
    p->ok = run_part(p);
    return NULL;
}

/* Greedy split by code size: each function to the lightest partition;
 * huge ones to partition `cheap` when it is not -1. */
static uint8_t *
split(const Module *m, int nparts, int cheap, const uint8_t *huge)
{
    uint8_t *owner = moatU_calloc(m->nfuncs + 1, 1);
    uint64_t load[MAX_PARTS] = { 0 };
    if (!owner)
        return NULL;
    for (uint32_t i = m->nfunc_imports; i < m->nfuncs; i++) {
        if (huge && huge[i]) {
            owner[i] = (uint8_t)cheap;
            continue;
        }
        int best = 0;
        for (int k = 1; k < nparts; k++)
            if (load[k] < load[best])
                best = k;
        owner[i] = (uint8_t)best;
        load[best] += m->funcs[i].code_len + 16;
    }
    return owner;
}

static int
parts_for(const CompileJob *job, const uint8_t *huge)
{
    uint64_t code = 0;
    uint32_t nfuncs = 0;
    for (uint32_t i = job->m->nfunc_imports; i < job->m->nfuncs; i++)
        if (!huge || !huge[i]) {        /* those go to their own */
            code += job->m->funcs[i].code_len;
            nfuncs++;
        }
    if (job->output != MOAT_OUTPUT_OBJECT || job->threads == 1)
        return 1;
    if (job->threads > 1) {             /* asked for: as many as fit */
        int n = job->threads > MAX_PARTS ? MAX_PARTS : job->threads;
        return nfuncs >= (uint32_t)n ? n : 1;
    }
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    if (code < PARALLEL_MIN_CODE || cpus < 2 || nfuncs < 2)
        return 1;
    return cpus > MAX_PARTS ? MAX_PARTS : (int)cpus;
}

/* Runs the partitions: in threads, or one after the other with -j1. */
static int
run_parts(const CompileJob *job, Part *parts, int n)
{
    pthread_t tid[MAX_PARTS];
    int       started = 0;

    if (job->threads == 1) {
        for (int k = 0; k < n; k++)
            parts[k].ok = run_part(&parts[k]);
        return n;
    }
    for (int k = 0; k < n; k++) {
        if (pthread_create(&tid[k], NULL, part_thread, &parts[k]) != 0)
            break;
        started++;
    }
    for (int k = 0; k < started; k++)
        pthread_join(tid[k], NULL);
    return started;
}

bool
moatL_compile_job(const CompileJob *job, uint8_t **out, size_t *len,
                  moat_error *err)
{
    uint8_t *huge = huge_funcs(job);
    bool     is_obj = job->output == MOAT_OUTPUT_OBJECT;
    int      n = parts_for(job, is_obj ? huge : NULL);
    int      cheap = -1;
    Part     parts[MAX_PARTS];

    if (huge && is_obj) {               /* huge functions: one more part */
        n = n < MAX_PARTS ? n : MAX_PARTS - 1;
        cheap = n++;
    }
    if (n == 1) {
        parts[0] = (Part){ .job = job, .optnone = huge };
        bool ok = run_part(&parts[0]);
        moatU_free(huge);
        if (!ok)
            return moatU_fail(err, parts[0].err.offset, parts[0].err.code,
                              "%s", parts[0].err.msg);
        *out = parts[0].out;
        *len = parts[0].len;
        return true;
    }
    uint8_t *owner = split(job->m, cheap >= 0 ? n - 1 : n, cheap, huge);
    moatU_free(huge);
    int      started = 0;
    bool     ok = owner != NULL;
    for (int k = 0; ok && k < n; k++)
        parts[k] = (Part){ .job = job, .owner = owner, .self = k,
                           .is_cheap = k == cheap };
    if (ok)
        started = run_parts(job, parts, n);
    ok = ok && started == n;
    for (int k = 0; ok && k < n; k++)
        if (!parts[k].ok) {
            ok = moatU_fail(err, parts[k].err.offset, parts[k].err.code,
                            "%s", parts[k].err.msg);
        }
    if (!owner || started < n)
        moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_NOMEM,
                   "cannot start the compiler threads");
    if (ok) {
        const uint8_t *objs[MAX_PARTS];
        size_t         lens[MAX_PARTS];
        for (int k = 0; k < n; k++) {
            objs[k] = parts[k].out;
            lens[k] = parts[k].len;
        }
        ok = moatL_merge_objects(objs, lens, n, job->name != NULL, out,
                                 len, err);
    }
    for (int k = 0; k < started; k++)
        moatU_free(parts[k].out);
    moatU_free(owner);
    return ok;
}
