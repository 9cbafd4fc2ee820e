/* partition.c - one compilation, possibly in parallel: a large module's
 * functions are split into partitions by code size, each lowered,
 * optimised and emitted by its own thread with its own LLVM context and
 * target machine; the objects are then merged into one relocatable object
 * with the system's LLVM linker (ld.lld -r). Partition 0 also carries the
 * trampolines and the descriptor. Small modules and textual outputs use a
 * single partition in the calling thread.
 */
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "emit.h"

enum {
    MAX_PARTS = 8,
    PARALLEL_MIN_CODE = 256 * 1024,     /* bytes of code before splitting */
};

typedef struct Part {
    const CompileJob *job;
    const uint8_t    *owner;            /* NULL: one partition */
    int               self;
    uint8_t          *out;
    size_t            len;
    moat_error        err;
    bool              ok;
} Part;

static bool
run_part(Part *p)
{
    const CompileJob    *job = p->job;
    LLVMTargetMachineRef tm = NULL;
    Lower                L;
    moat_output          kind = job->output;

    if (!moatL_target_machine(&job->emit, &tm, &p->err))
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
    if (p->self == 0)
        moatL_descriptor(&L, job->hash, job->emit.cpu, job->required);
    moatL_fini(&L);
    bool ok = moatL_verify(L.mod, &p->err);
    bool is_ir = kind == MOAT_OUTPUT_LLVM_IR || kind == MOAT_OUTPUT_LLVM_BC;
    if (ok && (!is_ir || job->emit.opt_level > 0))
        ok = moatL_optimize(L.mod, tm, job->emit.opt_level, &p->err);
    if (ok)
        moatL_nan_finish(L.mod);        /* before any output (nan.c) */
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

/* Greedy split by code size: each function to the lightest partition. */
static uint8_t *
split(const Module *m, int nparts)
{
    uint8_t *owner = moatU_calloc(m->nfuncs + 1, 1);
    uint64_t load[MAX_PARTS] = { 0 };
    if (!owner)
        return NULL;
    for (uint32_t i = m->nfunc_imports; i < m->nfuncs; i++) {
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
parts_for(const CompileJob *job)
{
    uint64_t code = 0;
    uint32_t nfuncs = job->m->nfuncs - job->m->nfunc_imports;
    for (uint32_t i = job->m->nfunc_imports; i < job->m->nfuncs; i++)
        code += job->m->funcs[i].code_len;
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

bool
moatL_compile_job(const CompileJob *job, uint8_t **out, size_t *len,
                  moat_error *err)
{
    int  n = parts_for(job);
    Part parts[MAX_PARTS];

    if (n == 1) {
        parts[0] = (Part){ .job = job };
        if (!run_part(&parts[0]))
            return moatU_fail(err, parts[0].err.offset, parts[0].err.code,
                              "%s", parts[0].err.msg);
        *out = parts[0].out;
        *len = parts[0].len;
        return true;
    }
    uint8_t  *owner = split(job->m, n);
    pthread_t tid[MAX_PARTS];
    int       started = 0;
    bool      ok = owner != NULL;
    for (int k = 0; ok && k < n; k++) {
        parts[k] = (Part){ .job = job, .owner = owner, .self = k };
        if (pthread_create(&tid[k], NULL, part_thread, &parts[k]) != 0)
            ok = false;
        else
            started++;
    }
    for (int k = 0; k < started; k++)
        pthread_join(tid[k], NULL);
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
        ok = moatL_merge_objects(objs, lens, n, out, len, err);
    }
    for (int k = 0; k < started; k++)
        moatU_free(parts[k].out);
    moatU_free(owner);
    return ok;
}
