/* memory.c - the memory rule (partial; docs/verify.md): a forward
 * dataflow over the function's basic blocks gives each general register,
 * and each 8-byte slot of the frame, an abstract value (ctx, a value
 * below a bound, the entry stack pointer plus a constant, a pointer
 * loaded from a fixed place of the context area, ...); then every memory
 * operand must match one allowed shape:
 *   heap     heap base + value <= B + disp, B + disp + size within the
 *            reservation (MOAT_HEAP_RESERVE + MOAT_HEAP_GUARD)
 *   context  ctx + constant inside the context area (moatA_layout of the
 *            descriptor); writes only to own mutable globals' slots
 *   frame    entry sp + constant, between sp - 128 (red zone) and the
 *            return address; reads of incoming stack arguments; the
 *            stack-exhaustion probe at sp - MOAT_STACK_TRAP_ROOM
 *   fixed    %fs:(stack limit offset from ctx) read; MoatMemory fields and
 *            the epoch word read; read-only data through RIP; the entry
 *            load of a proven jump table; a trampoline's vals slots
 * and every ret must find the stack pointer at the return address with
 * the callee-saved registers restored, every direct call must pass ctx
 * first. Anything else (explicit bounds checks, call_indirect's table
 * loads, loops that walk a heap pointer, memcpy) is not proven: the
 * function is rejected under this rule.
 */
#include <Zydis/Zydis.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abi.h"
#include "elfload.h"
#include "verify.h"

enum { A_TOP, A_CTX, A_BND, A_FRAME, A_STKLIM, A_MEMPTR, A_HEAPB, A_EPOCH,
       A_ENTRY, A_HEAPPTR, A_VALS };

typedef struct AVal {
    uint8_t k;
    int64_t c;      /* BND, HEAPPTR: bound; FRAME: offset; ENTRY: reg */
} AVal;

#define NSLOTS    48u
#define U32MAX    INT64_C(0xffffffff)
#define RED_ZONE  128
#define ARGS_MAX  (8 + 64 * 16)     /* incoming stack arguments */
#define REACH     ((int64_t)(MOAT_HEAP_RESERVE + MOAT_HEAP_GUARD))

typedef struct AState {
    bool     seen;
    AVal     r[16];
    uint32_t nslot;
    int64_t  soff[NSLOTS];
    AVal     sval[NSLOTS];
} AState;

typedef struct MS {
    KCheck        *c;
    const KFunc   *f;
    const KFuncMap *m;
    const KDesc   *d;
    const KSec    *s;
    bool           mem_is_ctx;
    uint64_t       vals;        /* trampoline: bytes of vals */
    bool           failed;
    const struct AState *dbg;   /* MOAT_VERIFY_DEBUG: the state */
} MS;

static const int callee_saved[] = { 3, 5, 12, 13, 14, 15 };

static int
gpr(ZydisRegister r)
{
    ZydisRegister big = ZydisRegisterGetLargestEnclosing(
        ZYDIS_MACHINE_MODE_LONG_64, r);

    if (big >= ZYDIS_REGISTER_RAX && big <= ZYDIS_REGISTER_R15)
        return (int)(big - ZYDIS_REGISTER_RAX);
    return -1;
}

static AVal
top(void)
{
    return (AVal){ A_TOP, 0 };
}

static AVal
bnd(int64_t max)
{
    return max >= 0 && max <= REACH ? (AVal){ A_BND, max } : top();
}

static bool
same(AVal a, AVal b)
{
    return a.k == b.k && a.c == b.c;
}

/* Join: equal values stay; bounds of one kind take the larger bound while
 * it stays 32-bit (so a walking pointer widens to top); else top. */
static AVal
join(AVal a, AVal b)
{
    if (same(a, b))
        return a;
    if (a.k == b.k && (a.k == A_BND || a.k == A_HEAPPTR)) {
        int64_t mx = a.c > b.c ? a.c : b.c;
        return mx <= U32MAX ? (AVal){ a.k, mx } : top();
    }
    return top();
}

static bool
is_heap_base(const MS *ms, AVal v)
{
    return (v.k == A_CTX && ms->mem_is_ctx) || v.k == A_HEAPB;
}

static AVal *
slot(AState *st, int64_t off)
{
    for (uint32_t i = 0; i < st->nslot; i++)
        if (st->soff[i] == off)
            return &st->sval[i];
    return NULL;
}

/* Drops slots overlapping [lo, hi) (frame offsets). */
static void
slot_drop(AState *st, int64_t lo, int64_t hi)
{
    for (uint32_t i = 0; i < st->nslot;)
        if (st->soff[i] < hi && lo < st->soff[i] + 8) {
            st->nslot--;
            st->soff[i] = st->soff[st->nslot];
            st->sval[i] = st->sval[st->nslot];
        } else {
            i++;
        }
}

static void
slot_set(AState *st, int64_t off, AVal v)
{
    slot_drop(st, off, off + 8);
    if (v.k != A_TOP && st->nslot < NSLOTS) {
        st->soff[st->nslot] = off;
        st->sval[st->nslot++] = v;
    }
}

/* Merges `in` into *to; true when *to changed. */
static bool
merge(AState *to, const AState *in)
{
    bool changed = false;

    if (!to->seen) {
        *to = *in;
        return true;
    }
    for (int r = 0; r < 16; r++) {
        AVal j = join(to->r[r], in->r[r]);
        changed |= !same(j, to->r[r]);
        to->r[r] = j;
    }
    for (uint32_t i = 0; i < to->nslot;) {
        AVal *o = slot((AState *)in, to->soff[i]);
        AVal  j = o ? join(to->sval[i], *o) : top();
        if (j.k == A_TOP) {
            to->nslot--;
            to->soff[i] = to->soff[to->nslot];
            to->sval[i] = to->sval[to->nslot];
            changed = true;
            continue;
        }
        changed |= !same(j, to->sval[i]);
        to->sval[i++] = j;
    }
    return changed;
}

static void
fail(MS *ms, uint64_t off, const char *fmt, const char *what)
{
    if (getenv("MOAT_VERIFY_DEBUG") && ms->dbg) {
        fprintf(stderr, "at 0x%" PRIx64 ":", off);
        for (int r = 0; r < 16; r++)
            fprintf(stderr, " r%d=%d/%" PRId64, r, ms->dbg->r[r].k,
                    ms->dbg->r[r].c);
        for (uint32_t i = 0; i < ms->dbg->nslot; i++)
            fprintf(stderr, " [%" PRId64 "]=%d/%" PRId64, ms->dbg->soff[i],
                    ms->dbg->sval[i].k, ms->dbg->sval[i].c);
        fprintf(stderr, "\n");
    }
    ms->failed = true;
    moatK_violation(ms->c, K_MEMORY, off, fmt, what);
}

/* The address [b + i * scale + disp] of operand o as abstract values. */
typedef struct Addr {
    AVal    b, i;
    bool    has_b, has_i;
    uint8_t scale;
    int64_t disp;
} Addr;

static Addr
addr_of(const AState *st, const ZydisDecodedOperand *o)
{
    Addr a = { .scale = o->mem.scale, .disp = o->mem.disp.value };

    if (o->mem.base != ZYDIS_REGISTER_NONE) {
        a.has_b = true;
        a.b = gpr(o->mem.base) >= 0 ? st->r[gpr(o->mem.base)] : top();
    }
    if (o->mem.index != ZYDIS_REGISTER_NONE) {
        a.has_i = true;
        a.i = gpr(o->mem.index) >= 0 ? st->r[gpr(o->mem.index)] : top();
    }
    return a;
}

/* Heap shapes: heap base + bounded (+ bounded) + disp within REACH. */
static bool
heap_ok(const MS *ms, const Addr *a, int64_t size)
{
    int64_t sum = a->disp;
    int     nbase = 0;
    AVal    parts[2] = { a->b, a->i };
    bool    has[2] = { a->has_b, a->has_i };

    if (a->disp < 0 || (a->has_i && a->scale != 1))
        return false;
    for (int k = 0; k < 2; k++) {
        if (!has[k])
            continue;
        if (is_heap_base(ms, parts[k]))
            nbase++;
        else if (parts[k].k == A_HEAPPTR) {
            nbase++;
            sum += parts[k].c;
        } else if (parts[k].k == A_BND)
            sum += parts[k].c;
        else
            return false;
    }
    return nbase == 1 && sum + size <= REACH;
}

static bool
ctx_ok(const MS *ms, const Addr *a, int64_t size, bool write)
{
    const KDesc *d = ms->d;

    if (!a->has_b || a->has_i || a->b.k != A_CTX)
        return false;
    if (a->disp < -(int64_t)d->layout.size || a->disp + size > 0)
        return false;
    if (!write)
        return true;
    int64_t g = a->disp - d->layout.globals;
    if (g < 0 || (uint64_t)g / 16 >= d->nglobals || g % 16 + size > 16)
        return false;
    return d->gwritable[g / 16];
}

static bool
frame_ok(const AState *st, const Addr *a, int64_t size, bool write)
{
    AVal sp = st->r[4];

    if (!a->has_b || a->has_i || a->b.k != A_FRAME || sp.k != A_FRAME)
        return false;
    int64_t at = a->b.c + a->disp;
    if (!write && at == sp.c - (int64_t)MOAT_STACK_TRAP_ROOM && size == 1)
        return true;                            /* the exhaustion probe */
    if (at >= sp.c - RED_ZONE && at + size <= 0)
        return true;
    return !write && at >= 8 && at + size <= ARGS_MAX;
}

static bool
fixed_ok(const MS *ms, uint64_t off, const ZydisDecodedInstruction *in,
         const Addr *a, int64_t size, bool write)
{
    if (a->has_i || !a->has_b || write)
        return false;
    if (a->b.k == A_MEMPTR)
        return a->disp >= 0 && a->disp + size <= (int64_t)sizeof(MoatMemory);
    if (a->b.k == A_EPOCH)
        return a->disp == 0 && size <= 8;
    (void)ms, (void)off, (void)in;
    return false;
}

static bool
rip_ok(const MS *ms, uint64_t off, const ZydisDecodedInstruction *in,
       int64_t size, bool write)
{
    uint32_t    n;
    const KRel *r = moatK_rels_in(ms->s, off, off + in->length, &n);
    const KObj *o = &ms->c->obj;

    if (write || n != 1)
        return false;
    const KSym *s = &o->sym[r->sym];
    if (s->shndx == 0 || s->shndx >= o->nsec)
        return false;
    const KSec *t = &o->sec[s->shndx];
    int64_t at = (int64_t)s->value + r->addend +
                 (int64_t)(off + in->length - r->off);
    return !t->is_code && (t->flags & ELF_SHF_ALLOC) &&
           !(t->flags & ELF_SHF_WRITE) && at >= 0 &&
           (uint64_t)at + (uint64_t)size <= t->size;
}

static const char *const kind_name[] = {
    "?", "ctx", "bound", "frame", "stacklimit", "memory*", "heapbase",
    "epoch*", "saved", "heap+bound", "vals"
};

/* "load 4 [ctx + bound(0xffffffff) + 0x8]" for messages. */
static void
describe(char *out, size_t n, const ZydisDecodedInstruction *in,
         const Addr *a, bool write, int64_t size)
{
    int k = snprintf(out, n, "%s %s %" PRId64 " [",
                     ZydisMnemonicGetString(in->mnemonic),
                     write ? "store" : "load", size);
    if (a->has_b && k > 0 && (size_t)k < n)
        k += snprintf(out + k, n - (size_t)k, "%s(%" PRId64 ")",
                      kind_name[a->b.k], a->b.c);
    if (a->has_i && k > 0 && (size_t)k < n)
        k += snprintf(out + k, n - (size_t)k, " + %s(%" PRId64 ")*%u",
                      kind_name[a->i.k], a->i.c, a->scale);
    if (k > 0 && (size_t)k < n)
        snprintf(out + k, n - (size_t)k, " %+" PRId64 "]", a->disp);
}

static void
check_access(MS *ms, const AState *st, uint64_t off,
             const ZydisDecodedInstruction *in, const ZydisDecodedOperand *o)
{
    bool    write = o->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE;
    int64_t size = o->size / 8 ? o->size / 8 : 1;
    Addr    a = addr_of(st, o);

    if (o->mem.type != ZYDIS_MEMOP_TYPE_MEM) {
        fail(ms, off, "%s: gather, scatter or other memory form",
             ZydisMnemonicGetString(in->mnemonic));
        return;
    }
    if (o->mem.segment == ZYDIS_REGISTER_FS) {
        if (!write && a.has_b && !a.has_i && a.b.k == A_STKLIM &&
            a.disp == 0)
            return;
        fail(ms, off, "%s: fs access other than the stack limit read",
             ZydisMnemonicGetString(in->mnemonic));
        return;
    }
    if (o->mem.base == ZYDIS_REGISTER_RIP) {
        if (!rip_ok(ms, off, in, size, write))
            fail(ms, off, "%s: RIP-relative access outside read-only data",
                 ZydisMnemonicGetString(in->mnemonic));
        return;
    }
    if (ms->m->is_tload[off - ms->f->lo] && !write)
        return;
    if (a.has_b && !a.has_i && a.b.k == A_VALS &&
        a.disp >= 0 && (uint64_t)(a.disp + size) <= ms->vals)
        return;
    if (heap_ok(ms, &a, size) || ctx_ok(ms, &a, size, write) ||
        frame_ok(st, &a, size, write) ||
        fixed_ok(ms, off, in, &a, size, write))
        return;
    char what[160];
    describe(what, sizeof what, in, &a, write, size);
    fail(ms, off, "%s: not proven (not heap, context area, frame or a fixed "
         "place)", what);
}


/* What a load of 8 bytes from a gives: pointers at fixed places. */
static AVal
load_kind(const MS *ms, const AState *st, const Addr *a)
{
    if (a->has_i || !a->has_b)
        return top();
    if (a->b.k == A_CTX) {
        if (a->disp == MOAT_CTX_STACK_LIMIT)
            return (AVal){ A_STKLIM, 0 };
        if (a->disp == MOAT_CTX_MEMORY)
            return (AVal){ A_MEMPTR, 0 };
        if (a->disp == MOAT_CTX_EPOCH_PTR)
            return (AVal){ A_EPOCH, 0 };
    }
    if (a->b.k == A_MEMPTR && a->disp == offsetof(MoatMemory, base))
        return (AVal){ A_HEAPB, 0 };
    if (a->b.k == A_FRAME) {
        AVal *v = slot((AState *)st, a->b.c + a->disp);
        return v ? *v : top();
    }
    (void)ms;
    return top();
}

/* a + b for add/lea (64-bit): bounds add, frames move, heap base plus a
 * bound is a heap pointer. */
static AVal
add_vals(const MS *ms, AVal a, AVal b)
{
    if (b.k == A_BND && (a.k == A_HEAPPTR || is_heap_base(ms, a)))
        return (AVal){ A_HEAPPTR, a.k == A_HEAPPTR ? a.c + b.c : b.c };
    if (a.k == A_BND && (b.k == A_HEAPPTR || is_heap_base(ms, b)))
        return add_vals(ms, b, a);
    if (a.k == A_BND && b.k == A_BND)
        return bnd(a.c + b.c);
    return top();
}

static AVal
add_const(const MS *ms, AVal a, int64_t k)
{
    if (a.k == A_FRAME)
        return (AVal){ A_FRAME, a.c + k };
    if (k < 0)
        return top();
    if (a.k == A_BND)
        return bnd(a.c + k);
    if (a.k == A_HEAPPTR)
        return a.c + k <= REACH ? (AVal){ A_HEAPPTR, a.c + k } : top();
    if (is_heap_base(ms, a))
        return k <= REACH ? (AVal){ A_HEAPPTR, k } : top();
    return top();
}

/* The value an instruction writes to its first operand, a 64-bit GPR,
 * when it is a shape followed; else top. */
static AVal
result64(const MS *ms, const AState *st, const ZydisDecodedInstruction *in,
         const ZydisDecodedOperand *ops)
{
    const ZydisDecodedOperand *src = &ops[1];
    int                        rs = src->type == ZYDIS_OPERAND_TYPE_REGISTER
                                        ? gpr(src->reg.value) : -1;
    AVal dst = st->r[gpr(ops[0].reg.value)];

    switch (in->mnemonic) {
    case ZYDIS_MNEMONIC_MOV:
        if (rs >= 0)
            return st->r[rs];
        if (src->type == ZYDIS_OPERAND_TYPE_MEMORY && src->size == 64) {
            Addr a = addr_of(st, src);
            return load_kind(ms, st, &a);
        }
        if (src->type == ZYDIS_OPERAND_TYPE_IMMEDIATE)
            return bnd((int64_t)src->imm.value.u);
        return top();
    case ZYDIS_MNEMONIC_MOVZX:
        return bnd(src->size == 8 ? 0xff : 0xffff);
    case ZYDIS_MNEMONIC_CMOVB: case ZYDIS_MNEMONIC_CMOVBE:
    case ZYDIS_MNEMONIC_CMOVL: case ZYDIS_MNEMONIC_CMOVLE:
    case ZYDIS_MNEMONIC_CMOVNB: case ZYDIS_MNEMONIC_CMOVNBE:
    case ZYDIS_MNEMONIC_CMOVNL: case ZYDIS_MNEMONIC_CMOVNLE:
    case ZYDIS_MNEMONIC_CMOVNZ: case ZYDIS_MNEMONIC_CMOVZ:
    case ZYDIS_MNEMONIC_CMOVS: case ZYDIS_MNEMONIC_CMOVNS:
        return rs >= 0 ? join(dst, st->r[rs]) : top();
    case ZYDIS_MNEMONIC_LEA: {
        Addr a = addr_of(st, src);
        if (src->mem.base == ZYDIS_REGISTER_RIP || (a.has_i && a.scale != 1))
            return top();
        AVal v = a.has_b ? a.b : bnd(0);
        if (a.has_i)
            v = add_vals(ms, v, a.i);
        return add_const(ms, v, a.disp);
    }
    case ZYDIS_MNEMONIC_ADD:
        if (src->type == ZYDIS_OPERAND_TYPE_IMMEDIATE)
            return add_const(ms, dst, src->imm.value.s);
        return rs >= 0 ? add_vals(ms, dst, st->r[rs]) : top();
    case ZYDIS_MNEMONIC_SUB:
        if (src->type == ZYDIS_OPERAND_TYPE_IMMEDIATE && dst.k == A_FRAME)
            return add_const(ms, dst, -src->imm.value.s);
        return top();
    default:
        return top();
    }
}

/* The entry state: ctx first (wasm functions) or second (trampolines:
 * code, ctx, vals); sp at the return address; callee-saved registers
 * hold their callers' values. */
static void
entry_state(AState *st, bool tramp)
{
    memset(st, 0, sizeof *st);
    st->seen = true;
    for (int r = 0; r < 16; r++)
        st->r[r] = top();
    for (size_t k = 0; k < sizeof callee_saved / sizeof callee_saved[0];
         k++)
        st->r[callee_saved[k]] = (AVal){ A_ENTRY, callee_saved[k] };
    st->r[4] = (AVal){ A_FRAME, 0 };
    if (tramp) {
        st->r[6] = (AVal){ A_CTX, 0 };          /* rsi */
        st->r[2] = (AVal){ A_VALS, 0 };         /* rdx */
    } else {
        st->r[7] = (AVal){ A_CTX, 0 };          /* rdi */
    }
}

/* A direct call: ctx must be the first argument of a call into the module
 * or a runtime helper (they trust it); memcpy and the like are not
 * proven. Then the caller-saved registers and the callee's argument area
 * are gone. */
static void
call_effects(MS *ms, AState *st, uint64_t off,
             const ZydisDecodedInstruction *in, bool check)
{
    uint32_t    n;
    const KRel *r = moatK_rels_in(ms->s, off, off + in->length, &n);
    const KObj *o = &ms->c->obj;

    if (check && in->raw.imm[0].is_relative) {
        const char *name = n == 1 && o->sym[r->sym].shndx == ELF_SHN_UNDEF
                               ? o->sym[r->sym].name : NULL;
        bool is_mem = name && (!strcmp(name, "memcpy") ||
                               !strcmp(name, "memmove") ||
                               !strcmp(name, "memset"));
        bool is_libm = name && strncmp(name, "moatR_", 6) && !is_mem;
        if (is_mem)
            fail(ms, off, "call to %s: its pointers are not proven", name);
        else if (!is_libm && st->r[7].k != A_CTX)
            fail(ms, off, "%s: a direct call without ctx as its first "
                 "argument", "call");
        if (!name && n == 0) {
            uint64_t to = off + in->length +
                          (uint64_t)in->raw.imm[0].value.s;
            const KFunc *g = moatK_func_at(o, ms->f->sec, to);
            if (g && (ms->d->role[g - o->fn] & K_ROLE_TRAMP))
                fail(ms, off, "%s: a direct call to a trampoline", "call");
        }
    }
    static const int clobbered[] = { 0, 1, 2, 6, 7, 8, 9, 10, 11 };
    for (size_t k = 0; k < sizeof clobbered / sizeof clobbered[0]; k++)
        st->r[clobbered[k]] = top();
    if (st->r[4].k == A_FRAME)
        slot_drop(st, INT64_MIN / 2, st->r[4].c);
    else
        st->nslot = 0;
}

/* ret: sp at the return address, callee-saved registers restored. */
static void
check_ret(MS *ms, const AState *st, uint64_t off)
{
    if (st->r[4].k != A_FRAME || st->r[4].c != 0)
        fail(ms, off, "%s with the stack pointer not at the return address",
             "ret");
    for (size_t k = 0; k < sizeof callee_saved / sizeof callee_saved[0];
         k++) {
        AVal v = st->r[callee_saved[k]];
        if (v.k != A_ENTRY || v.c != callee_saved[k]) {
            fail(ms, off, "%s without the callee-saved registers restored",
                 "ret");
            return;
        }
    }
}

/* push/pop move sp by 8 and store/load the slot there. */
static bool
push_pop(AState *st, const ZydisDecodedInstruction *in,
         const ZydisDecodedOperand *ops)
{
    AVal sp = st->r[4];
    bool is_push = in->mnemonic == ZYDIS_MNEMONIC_PUSH;

    if (!is_push && in->mnemonic != ZYDIS_MNEMONIC_POP)
        return false;
    if (sp.k != A_FRAME) {
        st->r[4] = top();
        return true;
    }
    int r = ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER
                ? gpr(ops[0].reg.value) : -1;
    if (is_push) {
        st->r[4].c -= 8;
        slot_set(st, st->r[4].c, r >= 0 ? st->r[r] : top());
        return true;
    }
    AVal *v = slot(st, sp.c);
    st->r[4].c += 8;
    if (r >= 0 && r != 4)
        st->r[r] = v ? *v : top();
    return true;
}

static bool
is_noreturn_call(const MS *ms, uint64_t off,
                 const ZydisDecodedInstruction *in)
{
    uint32_t    n;
    const KRel *r = moatK_rels_in(ms->s, off, off + in->length, &n);
    const KObj *o = &ms->c->obj;

    return in->mnemonic == ZYDIS_MNEMONIC_CALL && n == 1 &&
           o->sym[r->sym].shndx == ELF_SHN_UNDEF &&
           moatK_symbol_noreturn(o->sym[r->sym].name);
}

/* One instruction: with check, its memory operands first (in the state
 * before it), then its effect on the state. */
static void
transfer(MS *ms, AState *st, uint64_t off, const ZydisDecodedInstruction *in,
         const ZydisDecodedOperand *ops, bool check)
{
    bool stack_op = in->mnemonic == ZYDIS_MNEMONIC_PUSH ||
                    in->mnemonic == ZYDIS_MNEMONIC_POP ||
                    in->meta.category == ZYDIS_CATEGORY_CALL ||
                    in->meta.category == ZYDIS_CATEGORY_RET;

    bool is_nop = in->meta.category == ZYDIS_CATEGORY_NOP ||
                  in->meta.category == ZYDIS_CATEGORY_WIDENOP;

    for (uint8_t i = 0; check && !is_nop && i < in->operand_count; i++) {
        const ZydisDecodedOperand *o = &ops[i];
        if (o->type != ZYDIS_OPERAND_TYPE_MEMORY || !o->actions ||
            o->mem.type == ZYDIS_MEMOP_TYPE_AGEN ||
            (stack_op && o->visibility == ZYDIS_OPERAND_VISIBILITY_HIDDEN))
            continue;
        ms->dbg = st;
        check_access(ms, st, off, in, o);
    }
    if (in->meta.category == ZYDIS_CATEGORY_RET) {
        if (check)
            check_ret(ms, st, off);
        return;
    }
    if (in->meta.category == ZYDIS_CATEGORY_CALL) {
        call_effects(ms, st, off, in, check);
        return;
    }
    if (push_pop(st, in, ops))
        return;
    for (uint8_t i = 0; i < in->operand_count; i++) {
        const ZydisDecodedOperand *o = &ops[i];
        if (!(o->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE))
            continue;
        if (o->type == ZYDIS_OPERAND_TYPE_MEMORY) {
            Addr a = addr_of(st, o);
            if (a.has_b && !a.has_i && a.b.k == A_FRAME) {
                int64_t at = a.b.c + a.disp;
                int     rs = ops[1].type == ZYDIS_OPERAND_TYPE_REGISTER
                                 ? gpr(ops[1].reg.value) : -1;
                if (in->mnemonic == ZYDIS_MNEMONIC_MOV && i == 0 &&
                    o->size == 64 && rs >= 0)
                    slot_set(st, at, st->r[rs]);
                else
                    slot_drop(st, at, at + (o->size / 8 ? o->size / 8 : 1));
            }
            /* other stores are proven (or rejected) to be outside the
             * stack: heap, context area, vals */
            continue;
        }
        int r = o->type == ZYDIS_OPERAND_TYPE_REGISTER ? gpr(o->reg.value)
                                                        : -1;
        if (r < 0)
            continue;
        if (i == 0 && o->size == 64 &&
            o->visibility != ZYDIS_OPERAND_VISIBILITY_HIDDEN)
            st->r[r] = result64(ms, st, in, ops);
        else if (o->size == 32)
            st->r[r] = bnd(U32MAX);
        else if (o->size < 32 && st->r[r].k == A_BND &&
                 st->r[r].c <= U32MAX)
            st->r[r] = bnd(U32MAX);     /* low bits changed, high zero */
        else
            st->r[r] = top();
    }
}

typedef struct Block {
    uint32_t first, end;        /* instruction indices [first, end) */
    AState   in;
} Block;

static bool
decode_at(const MS *ms, const ZydisDecoder *d, uint64_t off,
          ZydisDecodedInstruction *in, ZydisDecodedOperand *ops)
{
    return ZYAN_SUCCESS(ZydisDecoderDecodeFull(d, ms->s->data + off,
                                               ms->f->hi - off, in, ops));
}

/* Block index of the instruction at section offset `to`. */
static uint32_t
block_of(const Block *b, uint32_t nb, const uint64_t *insn, uint64_t to)
{
    uint32_t lo = 0, hi = nb;

    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (insn[b[mid].first] <= to)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* Propagates the state at a block's end to its successors; pushes the
 * changed ones on the worklist. */
static void
propagate(MS *ms, Block *b, uint32_t nb, uint32_t k, const AState *st,
          const ZydisDecodedInstruction *last, uint64_t off, uint32_t *work,
          uint32_t *nwork, uint8_t *queued)
{
    const uint64_t *insn = ms->m->insn;
    uint32_t        succ[2], ns = 0;
    bool            falls = k + 1 < nb;
    uint8_t         cat = (uint8_t)last->meta.category;

    if (cat == ZYDIS_CATEGORY_RET || cat == ZYDIS_CATEGORY_UNCOND_BR ||
        is_noreturn_call(ms, off, last))
        falls = false;
    if ((cat == ZYDIS_CATEGORY_UNCOND_BR || cat == ZYDIS_CATEGORY_COND_BR) &&
        last->raw.imm[0].is_relative) {
        uint64_t to = off + last->length +
                      (uint64_t)last->raw.imm[0].value.s;
        if (to >= ms->f->lo && to < ms->f->hi)
            succ[ns++] = block_of(b, nb, insn, to);
    }
    if (falls)
        succ[ns++] = k + 1;
    bool ijmp = cat == ZYDIS_CATEGORY_UNCOND_BR &&
                !last->raw.imm[0].is_relative;
    for (uint32_t j = 0; j < nb + ns; j++) {
        uint32_t t;
        if (j < ns)
            t = succ[j];
        else if (ijmp && (ms->m->is_target[insn[b[j - ns].first] -
                                           ms->f->lo] & K_TABLE_TARGET))
            t = j - ns;
        else
            continue;
        if (merge(&b[t].in, st) && !queued[t]) {
            queued[t] = 1;
            work[(*nwork)++] = t;
        }
    }
}

/* Runs the dataflow to its fixpoint, then checks every instruction in
 * the state before it. */
static void
analyse(MS *ms, Block *b, uint32_t nb, bool tramp, uint32_t *work,
        uint8_t *queued)
{
    ZydisDecoder d;
    uint32_t     nwork = 0, rounds = 0;
    AState       st;

    ZydisDecoderInit(&d, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
    for (uint32_t k = 0; k < nb; k++)
        b[k].in.seen = false;
    entry_state(&b[0].in, tramp);
    work[nwork++] = 0;
    queued[0] = 1;
    for (int pass = 0; pass < 2; pass++) {
        for (uint32_t k = 0; pass == 1 ? k < nb : nwork > 0; k++) {
            uint32_t bk = pass ? k : work[--nwork];
            if (!pass && ++rounds > 64 * nb + 64) {
                fail(ms, ms->f->lo, "%s: the analysis did not settle",
                     "memory");
                return;
            }
            if (!pass)
                queued[bk] = 0;
            if (!b[bk].in.seen)
                continue;       /* unreachable: nothing runs there */
            st = b[bk].in;
            ZydisDecodedInstruction in;
            ZydisDecodedOperand     ops[ZYDIS_MAX_OPERAND_COUNT];
            uint64_t                off = 0;
            for (uint32_t i = b[bk].first; i < b[bk].end; i++) {
                off = ms->m->insn[i];
                if (!decode_at(ms, &d, off, &in, ops))
                    return;     /* decoded before */
                transfer(ms, &st, off, &in, ops, pass == 1);
            }
            if (!pass)
                propagate(ms, b, nb, bk, &st, &in, off, work, &nwork,
                          queued);
        }
    }
}

/* Blocks: a new one at each branch target and after each branch. */
static uint32_t
make_blocks(const MS *ms, Block *b)
{
    ZydisDecoder d;
    uint32_t     nb = 0;
    bool         cut = true;

    ZydisDecoderInit(&d, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
    for (uint32_t i = 0; i < ms->m->ninsn; i++) {
        uint64_t                off = ms->m->insn[i];
        ZydisDecodedInstruction in;
        if (cut || ms->m->is_target[off - ms->f->lo]) {
            if (nb)
                b[nb - 1].end = i;
            b[nb++].first = i;
        }
        if (!ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(
                &d, NULL, ms->s->data + off, ms->f->hi - off, &in)))
            return 0;
        uint8_t cat = (uint8_t)in.meta.category;
        cut = cat == ZYDIS_CATEGORY_RET || cat == ZYDIS_CATEGORY_COND_BR ||
              cat == ZYDIS_CATEGORY_UNCOND_BR ||
              is_noreturn_call(ms, off, &in);
    }
    if (nb)
        b[nb - 1].end = ms->m->ninsn;
    return nb;
}

void
moatK_check_memory(KCheck *c, const KFunc *f, const KFuncMap *m,
                   const KDesc *d)
{
    MS       ms = { .c = c, .f = f, .m = m, .d = d,
                    .s = &c->obj.sec[f->sec] };
    size_t   idx = (size_t)(f - c->obj.fn);
    Block   *b = moatU_calloc(m->ninsn ? m->ninsn : 1, sizeof *b);
    uint32_t *work = moatU_calloc(m->ninsn + 1, sizeof *work);
    uint8_t *queued = moatU_calloc(m->ninsn + 1, 1);

    if (!d->ok) {
        moatK_violation(c, K_MEMORY, f->lo, "the descriptor could not be "
                        "read: nothing is proven");
    } else if (!b || !work || !queued) {
        moatK_violation(c, K_MEMORY, f->lo, "out of memory");
    } else {
        uint32_t nb = make_blocks(&ms, b);
        ms.mem_is_ctx = d->flags & MOAT_DESC_F_MEM_IS_CTX;
        ms.vals = d->vals[idx];
        if (nb && (d->role[idx] & K_ROLE_TRAMP))
            analyse(&ms, b, nb, true, work, queued);
        if (nb && (!(d->role[idx] & K_ROLE_TRAMP) ||
                   (d->role[idx] & K_ROLE_WASM)))
            analyse(&ms, b, nb, false, work, queued);
    }
    moatU_free(b);
    moatU_free(work);
    moatU_free(queued);
}
