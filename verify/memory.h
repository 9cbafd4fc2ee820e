/* memory.h - the memory rule's shared parts (verify/memory*.c, internal
 * to verify/): abstract values and states. memory_val.c has the values,
 * joins and what instructions compute; memory.c the allowed access
 * shapes; memory_flow.c the dataflow over a function's blocks.
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
       A_NKINDS };

/* What the flags say, for refining a register on a branch's edges. */
enum { FK_NONE, FK_CMP /* cmp reg, imm (unsigned) */,
       FK_ZERO /* test reg, reg */ };

typedef struct AVal {
    uint8_t k;
    int64_t c;      /* BND, HEAPPTR: bound; FRAME: offset; ENTRY: reg */
} AVal;

#define NSLOTS    48u
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
    uint8_t  fk, fwidth;    /* FK_*, compare width in bits */
    int8_t   freg;
    uint64_t fimm;
} AState;

typedef struct MS {
    KCheck        *c;
    const KFunc   *f;
    const KFuncMap *m;
    const KDesc   *d;
    const KSec    *s;
    bool           mem_is_ctx;
    uint64_t       vals;        /* trampoline: bytes of vals */
    uint64_t       args;        /* bytes of stack arguments it may read */
    bool           failed;
    const struct AState *dbg;   /* MOAT_VERIFY_DEBUG: the state */
} MS;

/* The address [b + i * scale + disp] of operand o as abstract values. */
typedef struct Addr {
    AVal    b, i;
    bool    has_b, has_i;
    uint8_t scale;
    int64_t disp;
} Addr;


static inline AVal
moatK_top(void)
{
    return (AVal){ A_TOP, 0 };
}

static inline bool
moatK_same(AVal a, AVal b)
{
    return a.k == b.k && a.c == b.c;
}

static inline bool
moatK_is_heap_base(const MS *ms, AVal v)
{
    return (v.k == A_CTX && ms->mem_is_ctx) || v.k == A_HEAPB;
}

/* memory_val.c */
AVal  moatK_bnd(int64_t max);
AVal  moatK_join(AVal a, AVal b);
const AVal *moatK_slot(const AState *st, int64_t off);
void  moatK_slot_drop(AState *st, int64_t lo, int64_t hi);
void  moatK_slot_set(AState *st, int64_t off, AVal v);
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
void  moatK_flags(AState *st, const ZydisDecodedInstruction *in,
                  const ZydisDecodedOperand *ops);
/* st as it is on the taken (or fall-through) edge of jcc m. */
void  moatK_refine(AState *st, ZydisMnemonic m, bool taken);

/* memory.c: checks one memory operand in the state before it. */
void  moatK_check_access(MS *ms, const AState *st, uint64_t off,
                         const ZydisDecodedInstruction *in,
                         const ZydisDecodedOperand *o);

#endif
