/* verify.h - the machine-code checker (docs/verify.md): reads a Moat
 * object (the ELF .o `moat compile` writes), decodes every compiled
 * function with Zydis and checks sandbox rules on the machine code itself,
 * trusting neither LLVM nor llvm-lower/ (it shares no code with them).
 * Internal (moatK_ prefix); cli/ and test/verify/ use it.
 *
 * Sections, as in frontend.h: obj.c reads the ELF file; decode.c decodes a
 * function and checks each instruction's relocations and direct control
 * flow; table.c proves indirect jumps are bounded table jumps, with
 * table_base.c for table addresses loaded before its window; insn.c is
 * the instruction allow-list; desc.c reads the descriptor; memory*.c are
 * the (partial) memory rule (memory.h); saved*.c prove callee-saved
 * registers restored (and say which calls keep them), ends.c which
 * functions never return; check.c drives it all and keeps
 * the report, report.c prints it; allow.c is the runtime's symbol
 * allow-list as the checker sees it.
 */
#ifndef MOAT_VERIFY_H
#define MOAT_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "abi.h"            /* MoatLayout */

/* The rules the checker proves. Each violation names one; the summary
 * names every rule checked and every rule NOT checked (moatK_unchecked). */
typedef enum KRule {
    K_OBJECT,       /* the ELF object is one the checker can read whole */
    K_DECODE,       /* every byte decodes; instructions tile the function */
    K_RELOC,        /* relocations in code patch only checked fields */
    K_JUMP,         /* direct jumps land on an instruction of the function */
    K_END,          /* no falling off the end of a function */
    K_CALL,         /* direct calls go to a function or an allowed symbol */
    K_EXTERN,       /* every undefined symbol is on the allow-list */
    K_TABLE,        /* indirect jumps are bounded jump-table jumps */
    K_CODEPTR,      /* code addresses outside code are function starts or
                     * entries of proven jump tables */
    K_INSN,         /* only allowed instructions */
    K_SEGMENT,      /* no segment writes; fs only read, gs never */
    K_SAVED,        /* rsp and the callee-saved registers restored at
                     * every ret and tail jump (saved.c) */
    K_MEMORY,       /* every memory access proven in bounds (partial:
                     * only with KReport.check_memory, docs/verify.md) */
    K_ICALL,        /* "indirect-call": every call through a register or
                     * memory calls a funcref's code after the table's
                     * bound, null and type checks, an import's code, or a
                     * trampoline's code argument (with check_memory) */
    K_STACK,        /* sp moves by bounded amounts; frames past a page
                     * only after the stack limit check (with
                     * check_memory) */
    K_NRULES
} KRule;

/* The rules proven on the memory rule's dataflow: checked only with
 * KReport.check_memory (else listed as not checked). */
static inline bool
moatK_flow_rule(int r)
{
    return r == K_MEMORY || r == K_ICALL || r == K_STACK;
}

/* Names printed in violations and summaries ("decode", "jump", ...). */
extern const char *const moatK_rule_name[K_NRULES];
/* Rules of docs/verify.md checked only with KReport.check_memory (the
 * moatK_flow_rule ones): every summary without it lists them as not
 * checked, so that no output claims them. NULL-terminated. */
extern const char *const moatK_unchecked[];

typedef struct KViolation {
    KRule    rule;
    uint64_t off;           /* in its section (readelf/objdump offsets) */
    uint64_t func_off;      /* off from the function's start */
    char     func[64];      /* function symbol, or "-" (object-level) */
    char     msg[160];
} KViolation;

#define K_MAX_KEPT 64u      /* violations kept with text; all are counted */

/* What one or more checks found. Rules over functions count functions;
 * K_OBJECT, K_EXTERN and K_CODEPTR count objects. Zero it to start;
 * moatK_verify adds to it, so one report can sum many objects. */
typedef struct KReport {
    bool       check_memory;    /* input: run the (partial) memory rule */
    uint64_t   nobjs, nfuncs, ninsns;
    uint64_t   checked[K_NRULES], failed[K_NRULES];
    uint64_t   nviol;       /* all violations, kept or not */
    uint64_t   nindirect_calls;    /* seen (proven only with check_memory:
                                    * rule indirect-call) */
    uint32_t   nkept;
    KViolation kept[K_MAX_KEPT];
} KReport;

/* check.c: checks the object bytes[0..len) (borrowed during the call).
 * Returns the number of violations found in it (0: every rule of
 * moatK_rule_name holds for every function; the rules of moatK_unchecked
 * were not examined). Never fails otherwise: an object it cannot read is
 * a K_OBJECT violation. Out of memory also counts as one (a check that
 * cannot finish is a rejection, never a pass). */
uint64_t moatK_verify(const uint8_t *bytes, size_t len, KReport *rep);

/* report.c: prints the kept violations, one per line
 * `label: FUNC+0xOFF: RULE: message` (object-level ones `label:
 * SECTION-OFFSET 0xOFF`), and how many were not kept. */
#include <stdio.h>
void moatK_print_violations(FILE *f, const char *label, const KReport *r);
/* One line naming every rule checked and every rule NOT checked, with the
 * counts: never a bare "ok". */
void moatK_print_summary(FILE *f, const char *label, const KReport *r);
/* Per rule: units checked, passed, rejected (the test tool's table). */
void moatK_print_rule_counts(FILE *f, const KReport *r);

/* ---- internal to verify/ ---- */

/* obj.c */
typedef struct KRel {
    uint64_t off;           /* in the section it patches */
    uint32_t type, sym;
    int64_t  addend;
} KRel;

typedef struct KSec {
    const char    *name;
    const uint8_t *data;    /* NULL for SHT_NOBITS */
    uint64_t       size, flags;
    uint32_t       type;
    bool           is_code; /* SHF_ALLOC | SHF_EXECINSTR */
    KRel          *rel;     /* sorted by off */
    uint32_t       nrel;
} KSec;

typedef struct KSym {
    const char *name;
    uint64_t    value, size;
    uint32_t    shndx;
    uint8_t     type, bind;
} KSym;

typedef struct KFunc {
    uint32_t    sec;
    uint64_t    lo, hi;     /* [lo, hi) in the section */
    const char *name;
} KFunc;

typedef struct KObj {
    KSec    *sec;
    uint32_t nsec;
    KSym    *sym;
    uint32_t nsym;
    KFunc   *fn;            /* sorted by (sec, lo), not overlapping */
    uint32_t nfn;
} KObj;

struct KCheck;
/* Reads bytes into o (arrays owned by o; strings and data borrowed from
 * bytes); false with a K_OBJECT violation recorded. */
bool moatK_obj_read(struct KCheck *c, const uint8_t *bytes, size_t len,
                    KObj *o);
void moatK_obj_free(KObj *o);
/* The function starting exactly at (sec, off), or NULL. */
const KFunc *moatK_func_at(const KObj *o, uint32_t sec, uint64_t off);
/* The relocations of sec overlapping [lo, hi): *n of them from the
 * returned pointer. */
const KRel *moatK_rels_in(const KSec *s, uint64_t lo, uint64_t hi,
                          uint32_t *n);

enum {
    K_R_64 = 1, K_R_PC32 = 2, K_R_PLT32 = 4, K_R_GOTPCREL = 9,
    K_R_GOTPCRELX = 41, K_R_REX_GOTPCRELX = 42
};

/* desc.c: the descriptor, for the memory rule. */
enum { K_ROLE_WASM = 1, K_ROLE_TRAMP = 2 };
/* A function type's pointer arguments (desc_area.c): the register (0-15)
 * of the results area pointer and of a wide list's args pointer. */
enum { K_AREA_NONE = -1, K_AREA_STACK = -2 };
typedef struct KArea {
    int8_t   res_reg, args_reg;     /* K_AREA_* or a register */
    uint64_t res_size, args_size;   /* bytes */
    uint64_t res_stack;             /* K_AREA_STACK: its offset from sp
                                     * at the call */
    uint64_t stack_args;            /* bytes of arguments on the stack */
} KArea;
typedef struct KDesc {
    bool       ok;              /* read whole; else nothing is proven */
    uint64_t   flags;           /* MOAT_DESC_F_* */
    MoatLayout layout;          /* the context area (moatA_layout) */
    uint64_t   nglobals;
    uint8_t   *gwritable;       /* per global: own and mutable */
    uint8_t   *gimport;         /* per global: 1 imported, 3 imported
                                 * and mutable */
    uint64_t   ntables, nfuncs, ntypes;
    uint64_t  *tmin;            /* per table: elements it has at least,
                                 * 0 for an externref table */
    uint64_t  *textern;         /* per table: 0 funcref, else an externref
                                 * table (opaque host references, never
                                 * called) with textern - 1 elements at
                                 * least */
    uint8_t   *role;            /* per function of KObj.fn: K_ROLE_* */
    uint64_t  *vals;            /* trampolines: bytes of vals they may use */
    uint64_t  *args;            /* wasm functions: bytes of stack arguments
                                 * they may read (at most) */
    uint64_t   nmems;           /* memory 0 exists: ctx[-8] is not NULL */
    uint64_t   heap_room;       /* heap_reserve + heap_guard */
    KArea     *tarea;           /* per type */
    bool       any_area;        /* some type has one */
    uint64_t   max_stack_args;  /* the most stack_args of a type */
    uint32_t  *ttype;           /* per function of KObj.fn: the type + 1
                                 * it is the trampoline of, 0: none */
    uint32_t  *ftype;           /* per function of KObj.fn: its type + 1,
                                 * 0: not a wasm function */
    uint32_t  *wtype;           /* per wasm function index: its type */
} KDesc;
bool moatK_desc_read(const KObj *o, KDesc *d);
/* desc_area.c: d->tarea from the types array at (tsec, toff); ptr reads
 * a pointer field as an offset in section *sec (0: NULL). */
bool moatK_desc_areas(const KObj *o, KDesc *d, uint32_t tsec, uint64_t toff,
                      uint64_t (*ptr)(const KObj *, uint32_t, uint64_t,
                                      uint32_t *));

/* check.c: the state of one moatK_verify call. */
typedef struct KCheck {
    KReport     *rep;
    KObj         obj;
    uint64_t     nviol;             /* in this object */
    bool         broke[K_NRULES];   /* by the current unit */
    const KFunc *fn;                /* being checked, or NULL */
    uint64_t   **table_used;        /* per section: bitmap of its relocs
                                     * that proven tables read */
    KDesc        desc;              /* with rep->check_memory */
    uint8_t     *trust;             /* per function: K_TRUST_* bits, the
                                     * rules whose proof kept registers
                                     * across a call (saved.c) */
    uint64_t     nsaved_failed;     /* functions that fail rule saved */
    struct KEnd *ends;              /* per function: how it ends (ends.c) */
    uint8_t     *noret;             /* per function: never returns, for
                                     * the memory rule (memory_noret.c) */
    uint8_t     *noret_now;         /* per function: moatK_ends_now's */
} KCheck;

/* How a function ends, for rule end across functions (ends.c). */
typedef struct KEnd {
    bool     exits;     /* has a ret or a jump out (or was not decoded) */
    bool     local;     /* its last instruction cannot fall on */
    bool     ends, noret;       /* settled: it ends; it never returns */
    uint8_t  state;
    uint32_t call;      /* its last instruction calls this function of the
                         * object (index), or UINT32_MAX */
    uint64_t last;      /* section offset of its last instruction */
} KEnd;
/* ends.c: every function as not decoded; after every function: rule end
 * for the functions that end in a call of a function of the object. */
void moatK_ends_init(KCheck *c);
void moatK_ends_settle(KCheck *c);
/* ends.c: settles .ends and .noret of every function (false: out of
 * memory). */
bool moatK_ends_solve(KCheck *c);
/* Whether function g never returns, from its code alone (for the table
 * rule, before g is checked; a stricter test than rule end's). */
bool moatK_ends_now(KCheck *c, const KFunc *g);
struct ZydisDecodedInstruction_;
/* The direct call at off of the function being checked goes to a
 * function of the object that moatK_ends_now says never returns. */
bool moatK_call_ends_now(KCheck *c, uint64_t off,
                         const struct ZydisDecodedInstruction_ *in);
/* K_FAILED_*: the function failed that rule (check.c sets them) */
enum { K_TRUST_TABLE = 1, K_TRUST_SAVED = 2, K_FAILED_TABLE = 0x10,
       K_FAILED_SAVED = 0x20 };

void moatK_violation(KCheck *c, KRule rule, uint64_t off, const char *fmt,
                     ...) __attribute__((format(printf, 4, 5)));
/* Marks relocation i of section sec as a proven jump-table entry. */
void moatK_table_entry_used(KCheck *c, uint32_t sec, uint32_t i);

/* decode.c: checks function f (rules decode, reloc, jump, end, call,
 * table via table.c, insn and segment via insn.c). */
void moatK_check_func(KCheck *c, const KFunc *f);

/* insn.c: the instruction allow-list and the segment rule for one
 * decoded instruction at section offset off. The Zydis types stay in
 * decode.c, insn.c and table.c, which include <Zydis/Zydis.h>. */
struct ZydisDecodedInstruction_;
struct ZydisDecodedOperand_;
void moatK_check_insn(KCheck *c, uint64_t off,
                      const struct ZydisDecodedInstruction_ *in,
                      const struct ZydisDecodedOperand_ *ops);

/* table.c: the jump table proof. insn offsets of f, boundary and target
 * bitmaps over [f->lo, f->hi); proves the n indirect jumps at instruction
 * indices jmp[] (proven[k], the window's first offset win_lo[k]) and
 * marks their targets; a violation for each it cannot prove. */
struct KRange;
typedef struct KFuncMap {
    const uint64_t *insn;       /* offsets of the instructions, in order */
    uint32_t        ninsn;
    uint8_t        *is_insn;    /* per byte of f: an instruction starts */
    uint8_t        *is_target;  /* per byte of f: a branch lands there;
                                 * bit 1: a jump table's entry does */
    uint8_t        *is_tload;   /* per byte of f: the entry load of a
                                 * proven table jump starts there */
    void           *bases;      /* table_base.c's analysis, or NULL */
    uint8_t         jmode;      /* for it: a jump with a table in jt
                                 * leads to its entries; one without, 1:
                                 * nowhere (a guess table.c checks), 0:
                                 * anywhere */
    uint32_t        nmarked;    /* table targets marked so far */
    struct KJumpTab *jt;        /* per indirect jump: its table as the
                                 * current guess has it (table.c) */
    uint32_t        njt;
} KFuncMap;
/* An indirect jump's table: entries 0..n at (tsec, toff); tsec 0: none. */
typedef struct KJumpTab {
    uint64_t jmp;               /* section offset of the jump */
    uint32_t tsec;
    uint64_t toff, n;
} KJumpTab;
#define K_TABLE_TARGET 2u
/* decode.c: the index in m->insn (sorted) of the instruction at section
 * offset to, or of the last one before it. */
uint32_t moatK_insn_index(const KFuncMap *m, uint64_t to);
#define K_AFTER_BRANCH 8u       /* is_target: the instruction before is a
                                 * ret or a jump (a block starts here) */
void moatK_prove_tables(KCheck *c, const KFunc *f, KFuncMap *m,
                        const uint32_t *jmp, uint32_t n, uint64_t *win_lo,
                        bool *proven);
/* table_base.c: at instruction `at` of f, the registers that certainly
 * hold a jump table's address: sec[r] its section (0: none), off[r] its
 * offset; *range: upper bounds of registers and spilled values
 * (table_range.c). false when it cannot tell (then none). */
bool moatK_table_bases(KCheck *c, const KFunc *f, KFuncMap *m,
                       uint32_t at, uint32_t *sec, uint64_t *off,
                       struct KRange *range);
/* table_range.c: upper bounds (UINT64_MAX: unknown) of the 16 general
 * registers and of values spilled to the frame at rbp + disp, for
 * table_base.c. */
#define K_RSLOTS 40u
typedef struct KRSlot {
    int64_t  disp;              /* at rbp + disp */
    uint8_t  size;              /* 4 or 8 bytes */
    uint8_t  rep, rep32;        /* copy classes (table_copy.c) */
    uint64_t max;
} KRSlot;
typedef struct KRange {
    uint64_t max[16];
    uint32_t nslot;
    KRSlot   slot[K_RSLOTS];
    bool     spk_ok;            /* rsp = rbp + spk */
    int64_t  spk;
    uint16_t fd;                /* bit r: r may hold a frame address */
    bool     esc;               /* a frame address was stored to memory */
    uint8_t  rep[16];           /* copy classes of the whole value and */
    uint8_t  rep32[16];         /* of its low half (table_copy.c); 0: none */
} KRange;
/* A compare `cmp r, imm` or `cmp imm, disp(%rbp)`: */
typedef struct KCmp {
    int      reg;               /* -1: the frame slot at rbp + disp */
    uint8_t  width;             /* 32 or 64 */
    uint64_t imm;
    int64_t  disp;
} KCmp;
struct ZydisDecodedInstruction_;
struct ZydisDecodedOperand_;
void moatK_range_unknown(KRange *g);
/* a call: caller-saved registers unknown (all when !keeps), no slot */
void moatK_range_call(KRange *g, bool keeps);
void moatK_range_step(const struct ZydisDecodedInstruction_ *in,
                      const struct ZydisDecodedOperand_ *ops, KRange *g);
bool moatK_range_cmp(const struct ZydisDecodedInstruction_ *in,
                     const struct ZydisDecodedOperand_ *ops, KCmp *cmp);
/* m: the jump's ZydisMnemonic */
void moatK_range_edge(const KCmp *cmp, int m, bool taken, KRange *g);
/* to = the join of to and in (widened to 2^k - 1 when widen); true when
 * to changed */
bool moatK_range_meet(KRange *to, const KRange *in, bool widen);
/* the join's bound: the next 2^k - 1 */
uint64_t moatK_range_widen(uint64_t m);
/* the bound of a load of size bytes from rbp + disp, or UINT64_MAX */
uint64_t moatK_range_slot(const KRange *g, int64_t disp, uint8_t size);
/* table_copy.c: registers and rbp slots holding equal values (whole or
 * low half), for table_range.c. */
void moatK_copy_forget(KRange *g, int r);                   /* r written */
KRSlot *moatK_copy_slot(KRange *g, int64_t disp, uint8_t size);
/* `in` copies a register or slot into ops[0]: the classes it gets */
bool moatK_copy_of(KRange *g, const struct ZydisDecodedInstruction_ *in,
                   const struct ZydisDecodedOperand_ *ops, uint8_t *rep,
                   uint8_t *rep32);
void moatK_copy_store(KRange *g, KRSlot *t, int src);   /* mov src, t */
/* the compare says its value (the whole, or its low bits) <= v, or, ne,
 * that it is not v */
void moatK_copy_bound(KRange *g, const KCmp *cmp, bool ne, uint64_t v);
bool moatK_copy_meet(KRange *to, const KRange *in);
/* table_dirty.c: what table.c's window wrote of the frame since its
 * start (KRange: table_range.c's state there; NULL: none). */
#define K_NDIRTY 16u
typedef struct KDirtyRange {
    int64_t lo, hi;             /* [rbp + lo, rbp + hi) */
} KDirtyRange;
typedef struct KDirty {
    KDirtyRange r[K_NDIRTY];
    uint32_t    n;
    bool        all;            /* all of the frame */
    bool        spk_ok;         /* rsp = rbp + spk */
    int64_t     spk;
    uint16_t    fd;             /* bit r: r may hold a frame address */
    bool        esc;            /* one may be in memory */
} KDirty;
void moatK_dirty_init(KDirty *d, const KRange *g);
/* a store of size bytes at base + disp (base: 4 rsp, 5 rbp, else any) */
void moatK_dirty_write(KDirty *d, int base, int64_t disp, uint16_t size);
/* a push or a call: the 8 bytes below sp; a call: all below sp */
void moatK_dirty_push(KDirty *d);
void moatK_dirty_call(KDirty *d, bool keeps);
void moatK_dirty_step(KDirty *d, const struct ZydisDecodedInstruction_ *in,
                      const struct ZydisDecodedOperand_ *ops);
/* the start's state still says what rbp + disp holds (size bytes) */
bool moatK_dirty_holds(const KDirty *d, int64_t disp, uint8_t size);
/* table_entries.c: checks the entries 0..t->n of t (each a PC32
 * relocation to an instruction of f), then marks their targets; quiet:
 * records no violation (a bound from a first try may be too loose). */
bool moatK_table_entries(KCheck *c, const KFunc *f, KFuncMap *m,
                         const KJumpTab *t, bool quiet);
/* MOAT_VERIFY_DEBUG: g (NULL: not known) at the window [lo, jmp] */
void moatK_table_debug(const KFunc *f, uint64_t lo, uint64_t jmp,
                       const KRange *g);
/* Frees what moatK_table_bases left in KFuncMap.bases; NULL: no-op. */
void moatK_table_bases_free(void *cache);


/* saved.c: rule saved for f (after its tables are proven: their targets
 * are edges), tramp: f is a trampoline (its `jmp *reg` is a tail call). */
void moatK_check_saved(KCheck *c, const KFunc *f, const KFuncMap *m,
                       bool tramp);
/* Whether the call at off (decoded as in) returns with rsp and rbx, rbp,
 * r12-r15 as they were: a call of an allowed runtime symbol (C ABI), of a
 * function of the object or through a register or memory (a function of
 * the object, reached through a table). The last two hold only if every
 * function of the object passes rule saved: the caller's function is
 * marked with `rule` (K_TRUST_*) and moatK_saved_settle rejects its proof
 * when one does not. *noreturn: the callee never returns. */
bool moatK_call_keeps_saved(KCheck *c, uint64_t off,
                            const struct ZydisDecodedInstruction_ *in,
                            uint8_t rule, bool *noreturn);
/* After every function: when one fails rule saved, the proofs that
 * trusted calls are rejected too (violations, counts adjusted). */
void moatK_saved_settle(KCheck *c);

/* memory.c: the memory rule for f (after decode.c's checks passed). */
void moatK_check_memory(KCheck *c, const KFunc *f, const KFuncMap *m,
                        const KDesc *d);

/* allow.c */
bool moatK_symbol_allowed(const char *name);
/* The runtime's resolver, asked by moatK_symbol_allowed: allow_static.c
 * (linked with the runtime) or entry.c (libmoat-verify.so). */
bool moatK_allow_resolve(const char *name);
bool moatK_symbol_noreturn(const char *name);

#endif
