/* emit.h - the compiler's internal interfaces: the configuration, target
 * setup and emission (emit.c), the pipeline of one partition (compile.c),
 * partitions (partition.c), progress and timing reports (report.c). */
#ifndef MOAT_EMIT_H
#define MOAT_EMIT_H

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <llvm-c/TargetMachine.h>

#include "lower.h"
#include "moat_compile.h"

/* config.c: the options of moat_compile (moat_compile.h). */
struct moat_compile_config {
    int         opt_level;
    int         threads;
    char       *triple, *cpu;
    char       *name;               /* --name: a plugin to link; or NULL */
    moat_output output;
    bool        is_interruptible;
    bool        is_provable;        /* heap indices as explicit moves */
    bool        is_debug_stripped;  /* drop the module's DWARF */
    uint64_t    time_limit_ms;      /* 0: none (capped.c) */
    uint64_t    mem_limit;          /* bytes; 0: none */
    moat_compile_observer observer;
    void       *observer_user;
};

typedef struct EmitOptions {
    int         opt_level;      /* 0..3 */
    const char *triple;         /* NULL: the host's */
    const char *cpu;
    const char *features;
} EmitOptions;

/* Registers LLVM's targets, once per process. */
void moatL_init_targets(void);
bool moatL_target_machine(const EmitOptions *o, LLVMTargetMachineRef *out,
                          moat_error *err);
bool moatL_verify(LLVMModuleRef mod, moat_error *err);
bool moatL_emit(LLVMModuleRef mod, LLVMTargetMachineRef tm, moat_output kind,
                uint8_t **out, size_t *len, moat_error *err);

/* target.c: MOAT_ERR_OPTION unless triple (NULL: the host's) is an
 * x86_64 Linux/ELF triple LLVM knows, or cpu (NULL or "native": the
 * host's) an x86-64 CPU of LLVM's. */
bool moatL_check_triple(const char *triple, moat_error *err);
bool moatL_check_cpu(const char *cpu, moat_error *err);

/* partition.c: lowers, optimises and emits a module, in parallel
 * partitions when it is large and the output is an object. */
/* report.c: progress and timing events to the configuration's observer
 * (moat_compile_set_observer), one call at a time whatever the thread. */
typedef struct Reporter {
    moat_compile_observer fn;
    void                 *user;
    uint32_t              funcs_total;
    uint32_t              funcs_done;   /* under the reporter's lock */
} Reporter;

/* A phase under way: moatL_phase_begin starts its clocks (wall and this
 * thread's CPU time), moatL_phase_end reports it with funcs more functions
 * done (0 but at the end of a partition). */
typedef struct Phase {
    double wall, cpu;
} Phase;

void moatL_phase_begin(Phase *ph);
void moatL_phase_end(Reporter *r, const Phase *ph, const char *name,
                     int partition, uint32_t funcs);

typedef struct CompileJob {
    const Module   *m;
    const uint8_t  *hash;           /* 32 bytes */
    const char     *required;       /* features the runtime checks */
    moat_output     output;
    int             threads;        /* moat_compile_config_set_threads */
    bool            is_interruptible;   /* epoch checks (lower_epoch.c) */
    bool            is_provable;    /* moat_compile_config_set_provable */
    const char     *name;           /* --name: a plugin to link; or NULL */
    bool            is_debug_kept;  /* DWARF into the descriptor */
    EmitOptions     emit;
    Reporter       *report;
} CompileJob;

bool moatL_compile_job(const CompileJob *job, uint8_t **out, size_t *len,
                       moat_error *err);

/* One partition of a compilation (partition.c makes them, compile.c's
 * moatL_compile_part runs one): the functions with owner[i] == self, or
 * all of them when owner is NULL; partition 0 also gets the trampolines
 * and the descriptor. */
typedef struct Part {
    const CompileJob *job;
    const uint8_t    *owner;            /* NULL: one partition */
    int               self;
    bool              is_cheap;         /* huge functions: -O0 */
    const uint8_t    *optnone;          /* textual output: per function,
                                         * 1 = huge, marked optnone */
    uint32_t          nfuncs;           /* functions it compiles */
    uint8_t          *out;
    size_t            len;
    moat_error        err;
    bool              ok;
} Part;

/* compile.c: lower, verify, optimise (the wasm pass pipeline), finish the
 * NaN marks, emit. p->ok is not set; the result is. */
bool moatL_compile_part(Part *p);

/* capped.c: runs fn(arg, out, out_len, err) in a child process killed
 * after time_limit_ms (0: none), with mem_limit bytes (0: none) of address
 * space beyond what it starts with; over either, MOAT_ERR_LIMIT. */
typedef struct CappedCompile {
    moat_status (*fn)(const void *arg, uint8_t **out, size_t *out_len,
                      moat_error *err);
    const void *arg;
    uint64_t    time_limit_ms;
    uint64_t    mem_limit;
} CappedCompile;

moat_status moatL_compile_capped(const CappedCompile *cc, uint8_t **out,
                                 size_t *out_len, moat_error *err);

/* A compile is split into at most this many partitions (partition.c),
 * which merge.c links into one object. */
enum { MOATL_MAX_PARTS = 32 };

/* merge.c: n (at most MOATL_MAX_PARTS) relocatable objects into one
 * (ld.lld -r). localize: then
 * make every hidden symbol local (llvm-objcopy --localize-hidden), so
 * that a named plugin defines no global symbol but its descriptor. */
bool moatL_merge_objects(const uint8_t *const *objs, const size_t *lens,
                         int n, bool localize, uint8_t **out, size_t *len,
                         moat_error *err);

#endif
