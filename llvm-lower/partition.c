/* partition.c - one compilation, possibly in parallel: a large module's
 * functions are split by code size into PARTS_PER_THREAD partitions per
 * thread, each lowered, optimised and emitted (compile.c) with its own
 * LLVM context and target machine by whichever worker thread takes it
 * next; the objects are then merged into one relocatable object with the
 * system's LLVM linker (ld.lld -r). Small partitions keep every thread
 * busy to the end, hold less IR in memory at a time and report progress
 * more often; at -O2 they cost no code quality (no inliner runs across
 * functions, compile.c). Partition 0 also carries the trampolines and the
 * descriptor. Small modules and textual outputs use a single partition in
 * the calling thread.
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
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "emit.h"

enum {
    MAX_PARTS = MOATL_MAX_PARTS,
    PARTS_PER_THREAD = 4,               /* smaller parts balance better */
    PARALLEL_MIN_CODE = 256 * 1024,     /* bytes of code before splitting */
    HUGE_FUNC_CODE = 256 * 1024,        /* bytes (or weight) of a function */
    HUGE_RUN = 4096,                    /* weight between branches */
};

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

typedef struct Queue {
    Part       *parts;
    int         n;
    atomic_int  next;                   /* the next partition to take */
} Queue;

static void *
worker(void *arg)
{
    Queue *q = arg;
    for (int k; (k = atomic_fetch_add(&q->next, 1)) < q->n;)
        q->parts[k].ok = moatL_compile_part(&q->parts[k]);
    return NULL;
}

static const Module *sort_module;     /* for by_size_desc (under qsort) */

static int
by_size_desc(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    uint32_t lx = sort_module->funcs[x].code_len;
    uint32_t ly = sort_module->funcs[y].code_len;
    return lx != ly ? (lx < ly ? 1 : -1) : (x > y) - (x < y);
}

/* Split by code size, largest function first, each to the lightest
 * partition (LPT scheduling, so that no partition ends up with the
 * largest functions on top of its share); huge ones to partition `cheap`
 * when it is not -1. */
static uint8_t *
split(const Module *m, int nparts, int cheap, const uint8_t *huge)
{
    static pthread_mutex_t sort_lock = PTHREAD_MUTEX_INITIALIZER;
    uint8_t  *owner = moatU_calloc(m->nfuncs + 1, 1);
    uint32_t *order = moatU_calloc(m->nfuncs + 1, sizeof *order);
    uint32_t  n = 0;
    uint64_t  load[MAX_PARTS] = { 0 };

    if (!owner || !order) {
        moatU_free(order);
        moatU_free(owner);
        return NULL;
    }
    for (uint32_t i = m->nfunc_imports; i < m->nfuncs; i++)
        if (huge && huge[i])
            owner[i] = (uint8_t)cheap;
        else
            order[n++] = i;
    pthread_mutex_lock(&sort_lock);
    sort_module = m;
    qsort(order, n, sizeof *order, by_size_desc);
    pthread_mutex_unlock(&sort_lock);
    for (uint32_t j = 0; j < n; j++) {
        int best = 0;
        for (int k = 1; k < nparts; k++)
            if (load[k] < load[best])
                best = k;
        owner[order[j]] = (uint8_t)best;
        load[best] += m->funcs[order[j]].code_len + 16;
    }
    moatU_free(order);
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

/* Runs the partitions: with -j1 one after the other, else `threads`
 * workers take the next partition not yet taken until none is left. */
static int
run_parts(const CompileJob *job, Part *parts, int n, int threads)
{
    pthread_t tid[MAX_PARTS];
    Queue     q = { parts, n, 0 };
    int       started = 0;

    if (job->threads == 1) {
        for (int k = 0; k < n; k++)
            parts[k].ok = moatL_compile_part(&parts[k]);
        return n;
    }
    for (int k = 0; k < threads && k < n; k++) {
        if (pthread_create(&tid[k], NULL, worker, &q) != 0)
            break;
        started++;
    }
    if (!started)
        return 0;
    for (int k = 0; k < started; k++)
        pthread_join(tid[k], NULL);
    return n;
}

bool
moatL_compile_job(const CompileJob *job, uint8_t **out, size_t *len,
                  moat_error *err)
{
    uint8_t *huge = huge_funcs(job);
    bool     is_obj = job->output == MOAT_OUTPUT_OBJECT;
    int      threads = parts_for(job, is_obj ? huge : NULL);
    int      n = threads > 1 ? threads * PARTS_PER_THREAD : 1;
    int      cheap = -1;
    Part     parts[MAX_PARTS];
    uint32_t nfuncs = job->m->nfuncs - job->m->nfunc_imports;

    if (n > MAX_PARTS - 1)
        n = MAX_PARTS - 1;
    if ((uint32_t)n > nfuncs)           /* and one for none */
        n = nfuncs ? (int)nfuncs : 1;
    if (huge && is_obj) {               /* huge functions: one more part */
        cheap = n++;
        threads++;
    }
    if (n == 1) {
        parts[0] = (Part){ .job = job, .optnone = huge,
                           .nfuncs = job->m->nfuncs - job->m->nfunc_imports };
        bool ok = moatL_compile_part(&parts[0]);
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
    for (uint32_t i = job->m->nfunc_imports; ok && i < job->m->nfuncs; i++)
        parts[owner[i]].nfuncs++;
    if (ok)
        started = run_parts(job, parts, n, threads);
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
        Phase ph;
        moatL_phase_begin(&ph);
        ok = moatL_merge_objects(objs, lens, n, job->name != NULL, out,
                                 len, err);
        moatL_phase_end(job->report, &ph, "merge", -1, 0);
    }
    for (int k = 0; k < started; k++)
        moatU_free(parts[k].out);
    moatU_free(owner);
    return ok;
}
