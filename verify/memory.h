/* memory.h - the memory rule's shared parts (verify/memory*.c, internal
 * to verify/): abstract values and states. memory_val.c has the values,
 * joins and what instructions compute; memory_slot.c the frame slots;
 * memory.c the allowed access shapes; memory_area.c results areas and
 * args pointers; memory_flow.c the dataflow over a function's blocks;
 * memory_loop.c the loops (intervals, the refinement an access gives,
 * pairs, counted loops); memory_int.c integer intervals and lookup
 * tables; memory_noret.c calls that never return. The indirect-call
 * (memory_call.c) and stack (memory_stack.c) rules are checked on the
 * same dataflow.
 */
#ifndef MOAT_VERIFY_MEMORY_H
#define MOAT_VERIFY_MEMORY_H

#include <Zydis/Zydis.h>

#include "regs.h"

#include "abi.h"
#include "verify.h"

enum { A_TOP, A_CTX, A_BND, A_FRAME, A_STKLIM, A_MEMPTR, A_HEAPB, A_EPOCH,
       A_ENTRY, A_HEAPPTR, A_VALS,
       A_TABLE,     /* MoatTable * of table c (from the context area) */
       A_ELEMS,     /* its elems (c = table) */
       A_CODES,     /* its codes: code pointers, as many as elems */
       A_REFNULL,   /* a funcref table's element: MoatFuncRef * or NULL */
       A_REF,       /* the same, known not NULL */
       A_FUNCS,     /* the instance's MoatFuncRef array */
       A_GPTR,      /* an imported global's cell (c = global) */
       A_LOW32,     /* low 32 bits <= c, high bits unknown (a 32-bit
                     * compare of a wasm i32 argument) */
       A_RCODE,     /* a funcref's code (c: its id, memory_call.c) */
       A_RTYPE,     /* a funcref's type id (c: its id) */
       A_RCTX,      /* a funcref's ctx, its callee's (c: its id) */
       A_IMPCTX,    /* imported function c's ctx */
       A_HINT,      /* codes[i] of table c: a hint, not yet a target */
       A_TYPEID,    /* canonical type id c of the context area */
       A_IMPCODE,   /* imported function c's code */
       A_TCODE,     /* a trampoline's code argument */
       A_TSIZE,     /* table c's size, loaded now (it never shrinks) */
       A_TIDX,      /* below table c's size (64 bits) */
       A_TLOW,      /* low 32 bits below table c's size, high unknown */
       A_AREA,      /* a results area or args pointer of c bytes */
       A_FRAMES,    /* rsp only, after `and $-2^k,%rsp`: between entry sp
                     * + c - AState.sp_slack and entry sp + c */
       A_BOOL,      /* a byte whose bit 0 set means facts c hold */
       A_NBOOL,     /* a byte whose bit 0 clear means facts c hold */
       A_RODATA,    /* read-only data: section c, offset lo (a lookup
                     * table's `lea T(%rip)`, memory_int.c) */
       A_SINT,      /* a 64-bit integer in [lo, c], lo < 0 (a counter up
                     * to 0: `mov $-N, %rcx`; memory_loop.c) */
       A_NKINDS };

/* A_REFNULL, A_REF, A_RCODE, A_RTYPE, A_RCTX: c = id | REF_TYPED once an equal
 * compare of the funcref's type id with a canonical one was seen; A_HINT:
 * c = id. Ids are below 2^ID_BITS (memory_call.c). A_BOOL, A_NBOOL: c =
 * X | h << ID_BITS | Y << 2 * ID_BITS: funcref X's type was checked, hint
 * h equals funcref Y's code (0: no such fact). */
#define ID_BITS   20
#define ID_MASK   ((INT64_C(1) << ID_BITS) - 1)
/* Ids of loads are below PHI_ID; a block's phi id (memory_phi.c) is
 * PHI_ID + its offset + 1. */
#define PHI_ID    (INT64_C(1) << (ID_BITS - 1))
#define REF_TYPED (INT64_C(1) << 62)

/* What the flags say, for refining a register on a branch's edges. */
enum { FK_NONE, FK_CMP /* cmp reg, imm (unsigned) */,
       FK_ZERO /* test reg, reg */, FK_CMPREG /* cmp reg, reg2 */,
       FK_BIT0 /* test $1, reg8: fa its value */,
       FK_RESULT /* ZF of freg's new value (and, or, xor, add, sub, test
                  * r32, r32: memory_loop.c) */ };

typedef struct AVal {
    uint8_t k;
    int64_t c;      /* BND, HEAPPTR: bound; FRAME: offset; ENTRY: reg */
    int64_t lo;     /* BND (>= 0), HEAPPTR (may be < 0): the lowest value
                     * (heap offset); 0 for every other kind */
} AVal;

#define NSLOTS    128u
#define NTMAP     8
#define NPAIR     4
#define NTHR      16
#define U32MAX    INT64_C(0xffffffff)
#define RED_ZONE  128
/* Frames: every access and sp itself within a page below the entry sp.
 * The guard below a wasm stack (64 KiB, docs/runtime.md) is larger than
 * a page plus the exhaustion probe's MOAT_STACK_TRAP_ROOM, so stepping
 * down a page at a time (each call writes its return address) cannot
 * pass it, whether or not the function checked the stack limit. */
#define FRAME_MAX 4096
#define REACH     ((int64_t)(MOAT_HEAP_RESERVE + MOAT_HEAP_GUARD))

typedef struct AState {
    bool     seen;
    AVal     r[16];
    uint32_t nslot;
    int64_t  soff[NSLOTS];
    AVal     sval[NSLOTS];
    uint8_t  ssize[NSLOTS];     /* 4 or 8 bytes */
    int8_t   seq[NSLOTS];       /* equal to this register, or -1 */
    uint8_t  fk, fwidth;    /* FK_*, compare width in bits */
    int8_t   freg, freg2;   /* FK_CMPREG: the registers, or -1 (memory) */
    AVal     fa, fb;        /* FK_CMPREG: the values compared */
    int64_t  touched;       /* lowest frame offset written (stack rule) */
    int64_t  sp_slack;      /* rsp A_FRAMES: how much lower it may be */
    uint64_t fimm;
    uint8_t  nchange;       /* block inputs: times merged with a change */
    /* sums (memory_loop.c): heap offset of r[pa] + r[pb] * ps <= pc */
    uint8_t  npair;
    int8_t   pa[NPAIR], pb[NPAIR];
    uint8_t  ps[NPAIR];
    int64_t  pc[NPAIR];
    const int64_t *thr;     /* the function's widening thresholds (MS) */
    uint8_t  nthr;
    uint8_t  ntm;           /* funcref id -> the type compared with */
    int64_t  tm_id[NTMAP];
    int64_t  tm_type[NTMAP];
} AState;

/* Merges into a block's input that changed it this often widen (join). */
#define WIDEN_AFTER 3u

typedef struct MS {
    KCheck        *c;
    const KFunc   *f;
    const KFuncMap *m;
    const KDesc   *d;
    const KSec    *s;
    bool           mem_is_ctx;
    uint64_t       vals;        /* trampoline: bytes of vals */
    uint64_t       args;        /* bytes of stack arguments it may read */
    uint64_t       own_stack;   /* ... and write (its own, exactly) */
    bool           failed;
    bool           dry;         /* a check pass that only sets failed */
    bool           tramp;       /* analysed as a trampoline */
    uint64_t       at;          /* the instruction being followed */
    const struct AState *dbg;   /* MOAT_VERIFY_DEBUG: the state */
    int64_t        thr[NTHR];   /* compare constants (memory_loop.c) */
    uint8_t        nthr;
} MS;

/* The address [b + i * scale + disp] of operand o as abstract values. */
typedef struct Addr {
    AVal    b, i;
    bool    has_b, has_i;
    uint8_t scale;
    int64_t disp;
    int64_t sum;    /* b + i * scale is at most this (a pair's bound, of
                     * memory_loop.c), or INT64_MAX */
} Addr;


static inline AVal
moatK_top(void)
{
    return (AVal){ A_TOP, 0, 0 };
}

static inline bool
moatK_same(AVal a, AVal b)
{
    return a.k == b.k && a.c == b.c && a.lo == b.lo;
}

/* Values the indirect-call rule names (a table's size, an index below
 * it, type ids) are 32-bit values zero-extended: for arithmetic and
 * bounds, a value below 2^32. */
static inline AVal
moatK_as_bnd(AVal v)
{
    if (v.k == A_TSIZE || v.k == A_TIDX || v.k == A_RTYPE ||
        v.k == A_TYPEID)
        return (AVal){ A_BND, INT64_C(0xffffffff), 0 };
    return v;
}

static inline bool
moatK_is_heap_base(const MS *ms, AVal v)
{
    return (v.k == A_CTX && ms->mem_is_ctx) || v.k == A_HEAPB;
}

/* memory_val.c (and the slots: memory_slot.c) */
AVal  moatK_bnd(int64_t max);
AVal  moatK_join(AVal a, AVal b);
const AVal *moatK_slot(const AState *st, int64_t off);
void  moatK_slot_drop(AState *st, int64_t lo, int64_t hi);
void  moatK_slot_remove(AState *st, uint32_t i);
bool  moatK_slot_merge(AState *to, const AState *in, bool widen);
void  moatK_slot_compact(AState *st);
AVal  moatK_join_w(AVal a, AVal b, bool widen);
void  moatK_slot_set(AState *st, int64_t off, AVal v);
int   moatK_slot_find(const AState *st, int64_t off, uint32_t size);
void  moatK_slot_put(AState *st, int64_t off, AVal v, uint32_t size, int eq);
void  moatK_slot_unalias(AState *st, int r);
AVal  moatK_low32(AVal v);
/* memory_slot.c: a store to the frame at `at` by operand i of in, a mov
 * from a frame slot into register r (already written). */
void  moatK_frame_store(AState *st, const ZydisDecodedInstruction *in,
                        const ZydisDecodedOperand *ops, int64_t at,
                        uint8_t i);
void  moatK_frame_load(AState *st, const ZydisDecodedInstruction *in,
                       const ZydisDecodedOperand *ops, int r);
bool  moatK_merge(AState *to, const AState *in);
void  moatK_mfail(MS *ms, uint64_t off, const char *fmt, const char *what);
Addr  moatK_addr_of(const AState *st, const ZydisDecodedOperand *o);
/* The value a 64-bit write to ops[0] gives, when a followed shape. */
AVal  moatK_result64(const MS *ms, const AState *st,
                     const ZydisDecodedInstruction *in,
                     const ZydisDecodedOperand *ops);

/* What a load of 8 bytes from a gives (pointers at known places). */
AVal  moatK_load_kind(const MS *ms, const AState *st, const Addr *a);
/* The flags an instruction leaves (FK_*), after its register writes. */
void  moatK_flags(const MS *ms, AState *st,
                  const ZydisDecodedInstruction *in,
                  const ZydisDecodedOperand *ops);
/* st as it is on the taken (or fall-through) edge of jcc m. */
void  moatK_refine(AState *st, ZydisMnemonic m, bool taken);

/* memory_call.c: the indirect-call rule's values and check. */
AVal  moatK_ref_join(AVal a, AVal b);
AVal  moatK_ref_loaded(const MS *ms);
void  moatK_ref_fresh(const MS *ms, AState *st, int r);
AVal  moatK_load32_kind(const MS *ms, const Addr *a);
AVal  moatK_load_code(const MS *ms, const Addr *a);
void  moatK_refine_equal(AState *st);
/* The edge of `cmp fa, fb` (FK_CMPREG) where fa < fb (unsigned), or
 * fa <= fb with or_equal: an index below a table's size. */
void  moatK_refine_below(AState *st, bool a_first, bool or_equal);
/* st with the facts of a byte flag (A_BOOL, A_NBOOL c) known to hold */
void  moatK_facts_hold(AState *st, int64_t c);
/* The value an 8-bit write of in gives its first operand when it is a
 * flag byte (setz/setnz after a followed compare, and, xor, mov); false
 * when it is not one. */
bool  moatK_bool_op(const AState *st, const ZydisDecodedInstruction *in,
                    const ZydisDecodedOperand *ops, AVal *out);
/* The callee's type of an indirect call (the checked funcref's, an
 * import's), -1 unknown, -2 a trampoline's code (vals, by contract), -3
 * not a target the indirect-call rule proves (it rejects the function;
 * the memory rule's facts after a call assume the callees it proves). */
int64_t moatK_icall_type(const MS *ms, const AState *st,
                         const ZydisDecodedOperand *ops);
/* memory_phi.c: in to be merged into block input to, whose phi id is
 * phi (0: none): the values of one funcref on each side get id phi, in
 * to and in a copy of in (scratch, returned; else in itself); changed
 * when to changed. */
const AState *moatK_ref_phi(AState *to, const AState *in, int64_t phi,
                            AState *scratch, bool *changed);
void  moatK_check_icall(MS *ms, const AState *st, uint64_t off,
                        const ZydisDecodedInstruction *in,
                        const ZydisDecodedOperand *ops);
/* memory_val.c: a violation of rule (memory, indirect-call, stack). */
void  moatK_rfail(MS *ms, KRule rule, uint64_t off, const char *fmt,
                  const char *what);

/* memory_area.c: results areas and args pointers. */
void  moatK_area_entry(const MS *ms, AState *st);
bool  moatK_area_ok(const Addr *a, int64_t size);
void  moatK_area_call(MS *ms, AState *st, uint64_t off, int64_t type,
                      bool check);
uint64_t moatK_callee_stack(const MS *ms, int64_t type);
void  moatK_stack_args(MS *ms, AState *st, uint64_t off, uint64_t n,
                       bool tail, bool check);
void  moatK_tmap_note(AState *st, int64_t id, int64_t type);
void  moatK_tmap_forget(AState *st, int64_t id);
int64_t moatK_tmap_type(const AState *st, int64_t id);
bool  moatK_tmap_merge(AState *to, const AState *in);

/* memory_stack.c: the stack rule. */
void  moatK_stack_touch(AState *st, int64_t at);
void  moatK_stack_moved(MS *ms, const AState *st, uint64_t off, bool check);
bool  moatK_probe_loop(const MS *ms, const ZydisDecoder *d, uint32_t first,
                       uint32_t end, AState *st);
/* `and $-2^k,%rsp` (k <= 12): rsp becomes A_FRAMES; true if it was one. */
bool  moatK_stack_align(AState *st, const ZydisDecodedInstruction *in,
                        const ZydisDecodedOperand *ops);
/* An access at disp from rsp A_FRAMES: within the frame whatever the
 * alignment took. */
bool  moatK_frames_ok(const AState *st, const Addr *a, int64_t size,
                      bool write);
/* The highest sp may be (A_FRAME or A_FRAMES), false if unknown. */
bool  moatK_sp_high(const AState *st, int64_t *c);

/* memory_loop.c: intervals of heap offsets and integers (the loops
 * that walk a heap pointer or a 64-bit induction variable). */
#define HEAP_LO_MIN (-(INT64_C(1) << 32))  /* HEAPPTR: lowest lo kept */
AVal  moatK_heapptr(int64_t lo, int64_t hi);
AVal  moatK_ival(int64_t lo, int64_t hi);
/* [lo, hi] signed: A_BND when lo >= 0, else A_SINT (down to -2^32) */
AVal  moatK_sint(int64_t lo, int64_t hi);
static inline bool
moatK_is_int(AVal v)
{
    return v.k == A_BND || v.k == A_SINT;
}
AVal  moatK_ival_join(AVal a, AVal b, bool widen, const AState *w);
void  moatK_refine_eq(AState *st, bool equal);
/* ZF after in is that of its register destination's new value (32 or
 * 64 bits), for FK_RESULT; the edge where it is zero or not. */
bool  moatK_sets_zf(const ZydisDecodedInstruction *in,
                    const ZydisDecodedOperand *ops);
void  moatK_refine_zero(AState *st, bool zero);
/* `test r, r` (FK_ZERO, 64 bits): r is negative (neg) or not. */
void  moatK_refine_sign(AState *st, bool neg);
/* The compared register (FK_CMP) is at least min on this edge. */
void  moatK_refine_lo(AState *st, uint64_t min);
void  moatK_note_threshold(MS *ms, const ZydisDecodedInstruction *in);
/* st after a faulting access through operand o that did not fault: the
 * heap offset it reached is below 2^32 (the memory's size). */
void  moatK_access_refine(const MS *ms, AState *st,
                          const ZydisDecodedInstruction *in,
                          const ZydisDecodedOperand *o);

/* Pairs: the bound of r[a] + r[b] * s (INT64_MAX: none); registers an
 * instruction writes move or drop their pairs (before its effects); a
 * call drops them all; block joins keep the larger bound. */
int64_t moatK_pair_bound(const AState *st, int a, int b, int s);
void  moatK_pair_write(AState *st, const ZydisDecodedInstruction *in,
                       const ZydisDecodedOperand *ops);
bool  moatK_pair_merge(AState *to, const AState *in, bool widen);

/* The interval a 32-bit write of in gives its first operand, when it
 * is an integer shape memory_int.c follows. */
bool  moatK_int32(const AState *st, const ZydisDecodedInstruction *in,
                  const ZydisDecodedOperand *ops, AVal *out);
AVal  moatK_int64(const AState *st, const ZydisDecodedInstruction *in,
                  const ZydisDecodedOperand *ops);

/* memory_noret.c: the function a direct call or jump reaches, and
 * whether a call is of a helper or function that never returns. */
const KFunc *moatK_direct_callee(const KCheck *c, const KSec *s, uint32_t sec,
                                 uint64_t off,
                                 const ZydisDecodedInstruction *in);
bool  moatK_call_noreturn(KCheck *c, const KSec *s, uint32_t sec,
                          uint64_t off, const ZydisDecodedInstruction *in);

/* memory_int.c: `lea T(%rip)` into read-only data (its relocation), and
 * reads of T[index * scale + disp] within that section. */
AVal  moatK_rip_lea(const MS *ms, const ZydisDecodedInstruction *in);
bool  moatK_rodata_ok(const MS *ms, const Addr *a, int64_t size, bool write);
/* A load (mov, movzx, movsx) into ops[0] from such a table: the interval
 * of the entries it may read; false when not one (or too many entries, a
 * relocation over one, a negative value made 64-bit). */
bool  moatK_rodata_load(const MS *ms, const AState *st,
                        const ZydisDecodedInstruction *in,
                        const ZydisDecodedOperand *ops, AVal *out);

/* memory_cmov.c: what a conditional move of b over a leaves. */
AVal  moatK_select(const MS *ms, AVal a, AVal b);
/* The value cmovCC (32 or 64 bits) writes to ops[0]: its two inputs as
 * the flags bound them on each side of the condition. */
AVal  moatK_cmov(const MS *ms, const AState *st,
                 const ZydisDecodedInstruction *in,
                 const ZydisDecodedOperand *ops);

/* memory.c: the heap shape of an address (its kinds) and its bounds
 * within the reservation; checks one memory operand in the state before
 * it. */
bool  moatK_heap_shape(const MS *ms, const Addr *a);
bool  moatK_heap_ok(const MS *ms, const Addr *a, int64_t size);
void  moatK_check_access(MS *ms, const AState *st, uint64_t off,
                         const ZydisDecodedInstruction *in,
                         const ZydisDecodedOperand *o);

#endif
