/* saved.c - rule "saved": every function returns (`ret`, or a tail jump
 * to a function) with rsp at its return address and rbx, rbp, r12-r15
 * holding what they held on entry, so the table rule may trust these
 * registers across a call of it (table_base.c keeps a jump table's
 * address in rbx across calls at -O2).
 *
 * A forward must-analysis over the function's blocks (branch targets,
 * proven jump tables' targets, fall-through), to a fixpoint, gives each
 * general register an abstract value: the entry value of register k, the
 * entry sp + c, an sp-derived value of unknown offset, or unknown; and
 * each 8-byte frame slot at entry sp + c the abstract value stored there.
 * `push`/`pop`, `mov` between registers and to/from frame slots, `lea`
 * and `add`/`sub` of a constant on sp-derived values, and `leave` are
 * followed; any other write makes the register unknown (sp-derived if it
 * read an sp-derived register). A store through an sp-derived register
 * drops the frame slots it may overlap (all of them when its offset is
 * not known). A call keeps rsp, rbx, rbp, r12-r15 when
 * moatK_call_keeps_saved says so, else loses them all; it drops the slots
 * below sp (the callee's frame).
 *
 * Assumed, not proven here: a store through a pointer that is not
 * sp-derived in this function does not reach its frame. The memory rule
 * proves that (every store goes to the heap, the context's globals, a
 * global cell, `vals` or its own frame); the default rules do not check
 * stores at all, so under them a store may already reach a return
 * address, and this rule adds no weaker link.
 */
#include <Zydis/Zydis.h>
#include <inttypes.h>
#include <string.h>

#include "elfload.h"
#include "regs.h"
#include "verify.h"

#define NSLOT 24u
#define RSP   4
#define RBP   5
/* rbx, rbp, r12-r15: the C ABI's callee-saved registers */
#define CALLEE_SAVED 0xf028u
/* sp offsets past this are not followed (sums stay far from overflow) */
#define FAR   (INT64_C(1) << 40)

enum { A_UNK, A_ORIG /* entry value of reg */, A_SP /* entry sp + c */,
       A_SPX /* sp + unknown */ };

typedef struct AVal {
    uint8_t kind, reg;
    int64_t c, d;           /* A_SP: in [entry sp + c - d, entry sp + c]
                             * (d > 0 after `and $-2^k, %rsp`; FAR:
                             * unbounded below; sp arithmetic is taken
                             * not to wrap around the address space) */
} AVal;

typedef struct ASlot {
    int64_t off;            /* entry sp + off, 8 bytes */
    AVal    v;
} ASlot;

typedef struct AState {
    bool     seen;
    uint8_t  nslot;
    AVal     r[16];
    ASlot    slot[NSLOT];
} AState;

static bool
is_sp(AVal v)
{
    return v.kind == A_SP || v.kind == A_SPX;
}

static bool
same(AVal a, AVal b)
{
    return a.kind == b.kind && a.reg == b.reg && a.c == b.c && a.d == b.d;
}

/* The meet of two values: equal; two frame addresses: at most the
 * higher, unbounded below (a stack probe loop moves sp down a page per
 * turn: widened at once, so loops converge); else an sp-derived one stays
 * sp-derived (of unknown offset); else unknown. */
static AVal
meet_val(AVal a, AVal b)
{
    if (same(a, b))
        return a;
    if (a.kind == A_SP && b.kind == A_SP)
        return (AVal){ A_SP, 0, a.c > b.c ? a.c : b.c, FAR };
    if (is_sp(a) || is_sp(b))
        return (AVal){ A_SPX, 0, 0, 0 };
    return (AVal){ A_UNK, 0, 0, 0 };
}

static bool
meet(AState *to, const AState *in)
{
    bool changed = false;

    if (!in->seen)
        return false;
    if (!to->seen) {
        *to = *in;
        return true;
    }
    for (int r = 0; r < 16; r++) {
        AVal v = meet_val(to->r[r], in->r[r]);
        changed |= !same(v, to->r[r]);
        to->r[r] = v;
    }
    uint8_t n = 0;
    for (uint8_t i = 0; i < to->nslot; i++) {
        const ASlot *o = NULL;
        for (uint8_t k = 0; k < in->nslot && !o; k++)
            if (in->slot[k].off == to->slot[i].off)
                o = &in->slot[k];
        if (!o) {
            changed = true;
            continue;
        }
        ASlot s = { to->slot[i].off, meet_val(to->slot[i].v, o->v) };
        changed |= !same(s.v, to->slot[i].v);
        to->slot[n++] = s;
    }
    to->nslot = n;
    return changed;
}

/* A write of size bytes at entry sp + off (known: false when the offset
 * is not): drops the slots it may overlap. */
static void
slot_drop(AState *st, bool known, int64_t off, int64_t size)
{
    uint8_t n = 0;

    for (uint8_t i = 0; i < st->nslot; i++)
        if (known && (st->slot[i].off + 8 <= off ||
                      off + size <= st->slot[i].off))
            st->slot[n++] = st->slot[i];
    st->nslot = n;
}

static void
slot_put(AState *st, int64_t off, AVal v)
{
    slot_drop(st, true, off, 8);
    if (st->nslot < NSLOT && v.kind != A_UNK)
        st->slot[st->nslot++] = (ASlot){ off, v };
}

static AVal
slot_get(const AState *st, int64_t off)
{
    for (uint8_t i = 0; i < st->nslot; i++)
        if (st->slot[i].off == off)
            return st->slot[i].v;
    return (AVal){ A_UNK, 0, 0, 0 };
}

/* The frame address of a memory operand: sp-derived, *known when in
 * [entry sp + *off - *d, entry sp + *off]; false when not sp-derived. */
static bool
frame_addr(const AState *st, const ZydisDecodedOperand *o, bool *known,
           int64_t *off, int64_t *d)
{
    int b = moatK_gpr(o->mem.base), x = moatK_gpr(o->mem.index);
    bool sp_b = b >= 0 && is_sp(st->r[b]), sp_x = x >= 0 &&
                                                  is_sp(st->r[x]);

    if (!sp_b && !sp_x)
        return false;
    *known = sp_b && st->r[b].kind == A_SP && o->mem.index ==
             ZYDIS_REGISTER_NONE && o->mem.segment != ZYDIS_REGISTER_FS &&
             o->mem.segment != ZYDIS_REGISTER_GS;
    *off = *known ? st->r[b].c + o->mem.disp.value : 0;
    *d = *known ? st->r[b].d : 0;
    return true;
}

static AVal
reg_val(const AState *st, const ZydisDecodedOperand *o)
{
    int r = o->type == ZYDIS_OPERAND_TYPE_REGISTER ? moatK_gpr(o->reg.value)
                                                   : -1;
    return r >= 0 && o->size == 64 ? st->r[r] : (AVal){ A_UNK, 0, 0, 0 };
}

/* What a written 64-bit register gets from mov, lea, add/sub imm. */
static bool
model(const AState *st, const ZydisDecodedInstruction *in,
      const ZydisDecodedOperand *ops, AVal *v)
{
    const ZydisDecodedOperand *d = &ops[0], *s = &ops[1];
    bool    known;
    int64_t off, spread;

    if (d->size != 64 || d->type != ZYDIS_OPERAND_TYPE_REGISTER)
        return false;
    if (in->mnemonic == ZYDIS_MNEMONIC_MOV &&
        s->type == ZYDIS_OPERAND_TYPE_REGISTER) {
        *v = reg_val(st, s);
        return true;
    }
    if (in->mnemonic == ZYDIS_MNEMONIC_MOV &&
        s->type == ZYDIS_OPERAND_TYPE_MEMORY && s->size == 64 &&
        frame_addr(st, s, &known, &off, &spread) && known && !spread) {
        *v = slot_get(st, off);
        return true;
    }
    if (in->mnemonic == ZYDIS_MNEMONIC_LEA && in->address_width == 64 &&
        frame_addr(st, s, &known, &off, &spread)) {
        *v = known ? (AVal){ A_SP, 0, off, spread }
                   : (AVal){ A_SPX, 0, 0, 0 };
        return true;
    }
    AVal a = st->r[moatK_gpr(d->reg.value)];
    if ((in->mnemonic == ZYDIS_MNEMONIC_ADD ||
         in->mnemonic == ZYDIS_MNEMONIC_SUB) && a.kind == A_SP &&
        s->type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
        int64_t k = s->imm.value.s;
        int64_t c = in->mnemonic == ZYDIS_MNEMONIC_ADD ? a.c + k : a.c - k;
        *v = c > -FAR && c < FAR ? (AVal){ A_SP, 0, c, a.d } /* no overflow */
                                 : (AVal){ A_SPX, 0, 0, 0 };
        return true;
    }
    /* `and $-2^k`: rounds down by less than 2^k (a realigned frame) */
    if (in->mnemonic == ZYDIS_MNEMONIC_AND && a.kind == A_SP &&
        s->type == ZYDIS_OPERAND_TYPE_IMMEDIATE && s->imm.value.s < 0 &&
        s->imm.value.s > -4096 &&
        (s->imm.value.u & (~s->imm.value.u + 1)) == (uint64_t)-s->imm.value.s
        ) {
        *v = (AVal){ A_SP, 0, a.c, a.d - s->imm.value.s - 1 };
        v->d = v->d < FAR ? v->d : FAR;
        return true;
    }
    return false;
}

/* Registers and frame slots after one ordinary instruction (not push,
 * pop, leave, call, ret). */
static void
step_plain(AState *st, const ZydisDecodedInstruction *in,
           const ZydisDecodedOperand *ops)
{
    AVal    v;
    bool    known = model(st, in, ops, &v), reads_sp = false, fk;
    int64_t off, spread;

    for (uint8_t i = 0; i < in->operand_count; i++)
        if (ops[i].type == ZYDIS_OPERAND_TYPE_REGISTER &&
            (ops[i].actions & ZYDIS_OPERAND_ACTION_MASK_READ) &&
            moatK_gpr(ops[i].reg.value) >= 0 &&
            is_sp(st->r[moatK_gpr(ops[i].reg.value)]))
            reads_sp = true;
    for (uint8_t i = 0; i < in->operand_count; i++) {
        const ZydisDecodedOperand *o = &ops[i];
        if (!(o->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE))
            continue;
        if (o->type == ZYDIS_OPERAND_TYPE_MEMORY &&
            frame_addr(st, o, &fk, &off, &spread)) {
            fk = fk && o->size > 0;
            slot_drop(st, fk, off - spread, spread + o->size / 8);
            if (fk && !spread && in->mnemonic == ZYDIS_MNEMONIC_MOV &&
                i == 0 && o->size == 64)
                slot_put(st, off, reg_val(st, &ops[1]));
            continue;
        }
        int r = o->type == ZYDIS_OPERAND_TYPE_REGISTER
                    ? moatK_gpr(o->reg.value) : -1;
        if (r < 0)
            continue;
        if (i == 0 && known)
            st->r[r] = v;
        else            /* a value cut to 32 bits is not a frame address:
                         * as an address it is a heap index, the memory
                         * rule's */
            st->r[r] = (AVal){ reads_sp && o->size == 64 ? A_SPX : A_UNK,
                               0, 0, 0 };
    }
}

/* push and pop: through rsp at a known offset, else rsp is lost. */
static void
step_stack(AState *st, const ZydisDecodedInstruction *in,
           const ZydisDecodedOperand *ops)
{
    AVal sp = st->r[RSP];
    bool push = in->mnemonic == ZYDIS_MNEMONIC_PUSH;
    int  r = ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER
                 ? moatK_gpr(ops[0].reg.value) : -1;

    if (sp.kind != A_SP || in->operand_width != 64) {
        slot_drop(st, false, 0, 0);
        st->r[RSP] = (AVal){ A_SPX, 0, 0, 0 };
        if (!push && r >= 0)
            st->r[r] = (AVal){ A_UNK, 0, 0, 0 };
        return;
    }
    if (push) {
        if (sp.d)
            slot_drop(st, true, sp.c - 8 - sp.d, sp.d + 8);
        else
            slot_put(st, sp.c - 8, reg_val(st, &ops[0]));
        st->r[RSP].c -= 8;
        return;
    }
    AVal v = sp.d ? (AVal){ A_UNK, 0, 0, 0 } : slot_get(st, sp.c);
    st->r[RSP].c += 8;
    if (r >= 0 && r != RSP)
        st->r[r] = v;
    else if (r < 0)         /* pop to memory: anywhere in the frame */
        slot_drop(st, false, 0, 0);
}

/* At a ret or a tail jump: rsp at the return address, the callee-saved
 * registers as on entry. */
static void
check_exit(KCheck *c, uint64_t off, const AState *st, const char *what,
           bool *failed)
{
    if (*failed)
        return;         /* one violation per function */
    if (st->r[RSP].kind != A_SP || st->r[RSP].c != 0 || st->r[RSP].d) {
        moatK_violation(c, K_SAVED, off, "%s with rsp not proven at the "
                        "return address", what);
        *failed = true;
        return;
    }
    for (int r = 0; r < 16; r++)
        if ((CALLEE_SAVED >> r & 1) &&
            (st->r[r].kind != A_ORIG || st->r[r].reg != r)) {
            moatK_violation(c, K_SAVED, off, "%s with %s not proven "
                            "restored", what, ZydisRegisterGetString(
                                (ZydisRegister)(ZYDIS_REGISTER_RAX + r)));
            *failed = true;
            return;
        }
}

/* ---- control flow ---- */

typedef struct SFlow {
    KCheck         *c;
    const KFunc    *f;
    const KSec     *s;
    const KFuncMap *m;
    bool            tramp, failed;
    uint32_t       *first;      /* per block: its first instruction */
    uint32_t        nb;
    uint32_t       *blk;        /* per instruction: its block */
    AState         *in;         /* per block, at its entry */
    uint32_t       *work, nwork;
    uint8_t        *queued;
    uint64_t       *tt;         /* proven tables' targets */
    uint32_t        ntt;
    uint64_t        budget;     /* instruction steps left */
} SFlow;

static bool
decode(const SFlow *fl, const ZydisDecoder *d, uint32_t i,
       ZydisDecodedInstruction *in, ZydisDecodedOperand *ops)
{
    uint64_t off = fl->m->insn[i];

    return ZYAN_SUCCESS(ZydisDecoderDecodeFull(d, fl->s->data + off,
                                               fl->f->hi - off, in, ops));
}

static uint32_t
index_of(const KFuncMap *m, uint64_t to)
{
    uint32_t lo = 0, hi = m->ninsn;

    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (m->insn[mid] <= to)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* Meets st into the entry of the block starting at section offset to. */
static void
edge(SFlow *fl, uint64_t to, const AState *st)
{
    if (to < fl->f->lo || to >= fl->f->hi || !fl->m->is_insn[to - fl->f->lo])
        return;     /* rule jump's */
    uint32_t b = fl->blk[index_of(fl->m, to)];
    if (meet(&fl->in[b], st) && !fl->queued[b]) {
        fl->queued[b] = 1;
        fl->work[fl->nwork++] = b;
    }
}

/* Where a direct branch goes: true with *to when inside the function,
 * false when it leaves it (a tail call: rule jump/call checked where). */
static bool
branch_to(const SFlow *fl, uint64_t off, const ZydisDecodedInstruction *in,
          uint64_t *to)
{
    const KObj *o = &fl->c->obj;
    uint64_t    next = off + in->length;
    uint32_t    n;
    const KRel *r = moatK_rels_in(fl->s, off, next, &n);

    *to = next + (uint64_t)in->raw.imm[0].value.s;
    if (n == 1) {
        const KSym *s = &o->sym[r->sym];
        if (s->shndx != fl->f->sec)
            return false;
        *to = s->value + (uint64_t)r->addend + (next - r->off);
    }
    return *to >= fl->f->lo && *to < fl->f->hi;
}

/* The last instruction of a block: its exits and edges (no fall-through
 * edge when nofall: the function's last block, or a call that never
 * returns). */
static void
block_end(SFlow *fl, uint32_t i, const ZydisDecodedInstruction *in,
          const AState *st, bool nofall, const int *eq)
{
    uint64_t      off = fl->m->insn[i], to;
    uint8_t       cat = (uint8_t)in->meta.category;
    bool          rel = in->raw.imm[0].is_relative;
    AState        same_st = *st;
    const AState *fall = st;

    if (cat == ZYDIS_CATEGORY_RET) {
        if (in->operand_count_visible > 0)
            moatK_violation(fl->c, K_SAVED, off, "ret with an immediate "
                            "moves the caller's sp");
        check_exit(fl->c, off, st, "ret", &fl->failed);
        return;
    }
    if (cat == ZYDIS_CATEGORY_COND_BR && rel) {
        /* after `cmp a, b`, the edge where a == b knows both (the exit of
         * a stack probe loop: `cmp %r11, %rsp; jne`) */
        bool jz = in->mnemonic == ZYDIS_MNEMONIC_JZ;
        const AState *taken = st;
        if ((jz || in->mnemonic == ZYDIS_MNEMONIC_JNZ) && eq[0] >= 0) {
            AVal a = st->r[eq[0]], b = st->r[eq[1]];
            bool pa = a.kind == A_SP && !a.d, pb = b.kind == A_SP && !b.d;
            if (pa && pb)       /* both known: equal, or never taken */
                same_st.seen = same(a, b);
            else if (pa)
                same_st.r[eq[1]] = a;
            else if (pb)
                same_st.r[eq[0]] = b;
            if (jz)
                taken = &same_st;
            else
                fall = &same_st;
        }
        if (branch_to(fl, off, in, &to))
            edge(fl, to, taken);
        else if (taken->seen)
            check_exit(fl->c, off, taken, "conditional tail jump",
                       &fl->failed);
    }
    if (cat == ZYDIS_CATEGORY_UNCOND_BR && rel) {
        if (branch_to(fl, off, in, &to))
            edge(fl, to, st);
        else
            check_exit(fl->c, off, st, "tail jump", &fl->failed);
        return;
    }
    if (cat == ZYDIS_CATEGORY_UNCOND_BR) {
        if (fl->tramp) {        /* `jmp *code`: an indirect tail call */
            check_exit(fl->c, off, st, "indirect tail jump", &fl->failed);
            return;
        }
        for (uint32_t k = 0; k < fl->ntt; k++)  /* a table's targets */
            edge(fl, fl->tt[k], st);
        return;
    }
    if (!nofall)
        edge(fl, fl->m->insn[i] + in->length, fall);
}

/* One instruction; true when it is a call that never returns. */
static bool
step(SFlow *fl, uint64_t off, const ZydisDecodedInstruction *in,
     const ZydisDecodedOperand *ops, AState *st)
{
    bool noreturn = false;

    if (in->meta.category == ZYDIS_CATEGORY_RET ||
        in->meta.category == ZYDIS_CATEGORY_COND_BR ||
        in->meta.category == ZYDIS_CATEGORY_UNCOND_BR)
        return false;       /* only rip: block_end checks the state */
    switch (in->mnemonic) {
    case ZYDIS_MNEMONIC_PUSH: case ZYDIS_MNEMONIC_POP:
        step_stack(st, in, ops);
        return false;
    case ZYDIS_MNEMONIC_LEAVE:      /* mov %rbp, %rsp; pop %rbp */
        st->r[RSP] = st->r[RBP];
        if (st->r[RSP].kind == A_SP && !st->r[RSP].d) {
            st->r[RBP] = slot_get(st, st->r[RSP].c);
            st->r[RSP].c += 8;
        } else {
            st->r[RBP] = (AVal){ A_UNK, 0, 0, 0 };
            st->r[RSP] = (AVal){ A_SPX, 0, 0, 0 };
        }
        return false;
    case ZYDIS_MNEMONIC_CALL: {
        bool keeps = moatK_call_keeps_saved(fl->c, off, in, K_TRUST_SAVED,
                                            &noreturn);
        for (int r = 0; r < 16; r++)
            if (!keeps || !(CALLEE_SAVED >> r & 1 || r == RSP))
                st->r[r] = (AVal){ A_UNK, 0, 0, 0 };
        if (!keeps) {
            st->r[RSP] = (AVal){ A_SPX, 0, 0, 0 };
            slot_drop(st, false, 0, 0);
        } else if (st->r[RSP].kind == A_SP) {   /* the callee's frame */
            slot_drop(st, true, -FAR * 2, st->r[RSP].c + FAR * 2);
        } else {
            slot_drop(st, false, 0, 0);
        }
        return noreturn;
    }
    default:
        step_plain(st, in, ops);
        return false;
    }
}

/* Runs block k from its entry and meets its exit into its successors. */
static bool
run_block(SFlow *fl, const ZydisDecoder *d, uint32_t k)
{
    AState                  st = fl->in[k];
    uint32_t                end = k + 1 < fl->nb ? fl->first[k + 1]
                                                 : fl->m->ninsn;
    ZydisDecodedInstruction in = { 0 };
    ZydisDecodedOperand     ops[ZYDIS_MAX_OPERAND_COUNT];
    bool                    noreturn = false;
    int                     eq[2] = { -1, -1 };    /* `cmp a, b` last */

    for (uint32_t i = fl->first[k]; i < end; i++) {
        if (fl->budget-- == 0 || !decode(fl, d, i, &in, ops))
            return false;
        if (in.meta.category == ZYDIS_CATEGORY_COND_BR)
            break;      /* the block's last: flags and registers as they
                         * were */
        noreturn = step(fl, fl->m->insn[i], &in, ops, &st);
        bool cmp = in.mnemonic == ZYDIS_MNEMONIC_CMP && ops[0].size == 64 &&
                   ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER &&
                   ops[1].type == ZYDIS_OPERAND_TYPE_REGISTER;
        eq[0] = cmp ? moatK_gpr(ops[0].reg.value) : -1;
        eq[1] = cmp ? moatK_gpr(ops[1].reg.value) : -1;
        if (eq[1] < 0)
            eq[0] = -1;
    }
    block_end(fl, end - 1, &in, &st, k + 1 == fl->nb || noreturn, eq);
    return true;
}

/* Blocks: cut at branch targets (proven tables' included) and after
 * branches and returns. */
static bool
cut_blocks(SFlow *fl, const ZydisDecoder *d)
{
    const KFuncMap *m = fl->m;
    bool            cut = true;

    for (uint32_t i = 0; i < m->ninsn; i++) {
        ZydisDecodedInstruction in;
        ZydisDecodedOperand     ops[ZYDIS_MAX_OPERAND_COUNT];
        if (cut || m->is_target[m->insn[i] - fl->f->lo])
            fl->first[fl->nb++] = i;
        fl->blk[i] = fl->nb - 1;
        if (!decode(fl, d, i, &in, ops))
            return false;
        cut = in.meta.category == ZYDIS_CATEGORY_RET ||
              in.meta.category == ZYDIS_CATEGORY_COND_BR ||
              in.meta.category == ZYDIS_CATEGORY_UNCOND_BR;
    }
    return true;
}

static bool
solve(SFlow *fl)
{
    const KFuncMap *m = fl->m;
    ZydisDecoder    d;
    uint32_t        n = m->ninsn + 1;

    ZydisDecoderInit(&d, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
    fl->first = moatU_calloc(n, sizeof *fl->first);
    fl->blk = moatU_calloc(n, sizeof *fl->blk);
    if (!fl->first || !fl->blk || m->ninsn == 0 || !cut_blocks(fl, &d))
        return false;
    fl->in = moatU_calloc(fl->nb, sizeof *fl->in);
    fl->work = moatU_calloc(fl->nb, sizeof *fl->work);
    fl->queued = moatU_calloc(fl->nb, 1);
    fl->tt = moatU_calloc(fl->nb, sizeof *fl->tt);
    bool ok = fl->in && fl->work && fl->queued && fl->tt;
    if (!ok)
        return false;
    for (uint32_t b = 0; b < fl->nb; b++) {     /* each starts a block */
        uint64_t a = m->insn[fl->first[b]];
        if (m->is_target[a - fl->f->lo] & K_TABLE_TARGET)
            fl->tt[fl->ntt++] = a;
    }
    AState *e = &fl->in[0];                 /* entry */
    e->seen = true;
    for (int r = 0; r < 16; r++)
        e->r[r] = (AVal){ A_ORIG, (uint8_t)r, 0, 0 };
    e->r[RSP] = (AVal){ A_SP, 0, 0, 0 };
    fl->work[fl->nwork++] = 0;
    fl->queued[0] = 1;
    fl->budget = 64 * ((uint64_t)m->ninsn + fl->nb);
    while (ok && fl->nwork > 0) {
        uint32_t k = fl->work[--fl->nwork];
        fl->queued[k] = 0;
        ok = run_block(fl, &d, k);
    }
    return ok;
}

void
moatK_check_saved(KCheck *c, const KFunc *f, const KFuncMap *m, bool tramp)
{
    SFlow fl = { .c = c, .f = f, .s = &c->obj.sec[f->sec], .m = m,
                 .tramp = tramp };

    if (!solve(&fl) && !fl.failed)
        moatK_violation(c, K_SAVED, f->lo, "not proven: %s",
                        fl.budget == 0 ? "the analysis ran out of its work "
                                         "budget" : "out of memory, or no "
                                         "instructions");
    if (c->broke[K_SAVED])
        c->nsaved_failed++;
    moatU_free(fl.first);
    moatU_free(fl.blk);
    moatU_free(fl.in);
    moatU_free(fl.work);
    moatU_free(fl.queued);
    moatU_free(fl.tt);
}

bool
moatK_call_keeps_saved(KCheck *c, uint64_t off,
                       const ZydisDecodedInstruction *in, uint8_t rule,
                       bool *noreturn)
{
    const KObj  *o = &c->obj;
    const KFunc *f = c->fn;
    uint64_t     next = off + in->length, to;
    uint32_t     n;

    *noreturn = false;
    if (!f || !c->trust)
        return false;
    size_t fi = (size_t)(f - o->fn);
    const KRel *r = moatK_rels_in(&o->sec[f->sec], off, next, &n);
    if (!in->raw.imm[0].is_relative) {
        c->trust[fi] |= rule;       /* a function of the object */
        return true;
    }
    if (n == 0) {
        to = next + (uint64_t)in->raw.imm[0].value.s;
        if (!moatK_func_at(o, f->sec, to))
            return false;
    } else {
        const KSym *s = &o->sym[r->sym];
        if (n != 1 || r->off != off + in->raw.imm[0].offset)
            return false;
        if (s->shndx == ELF_SHN_UNDEF) {    /* a C function: C ABI */
            *noreturn = moatK_symbol_noreturn(s->name);
            return moatK_symbol_allowed(s->name);
        }
        to = s->value + (uint64_t)r->addend + (next - r->off);
        if (s->shndx >= o->nsec || !moatK_func_at(o, s->shndx, to))
            return false;
    }
    c->trust[fi] |= rule;
    return true;
}

/* Rejects one proof that trusted calls (rule: K_TABLE or K_SAVED). */
static void
distrust(KCheck *c, KRule rule, uint32_t fi)
{
    c->fn = &c->obj.fn[fi];
    moatK_violation(c, rule, c->fn->lo, "the proof keeps registers across "
                    "a call, and %" PRIu64 " function%s of the object fail "
                    "rule saved", c->nsaved_failed,
                    c->nsaved_failed == 1 ? "" : "s");
    c->rep->failed[rule]++;
    c->broke[rule] = false;
    c->fn = NULL;
}

void
moatK_saved_settle(KCheck *c)
{
    if (!c->nsaved_failed || !c->trust)
        return;
    for (uint32_t i = 0; i < c->obj.nfn; i++) {
        uint8_t t = c->trust[i];
        if ((t & K_TRUST_TABLE) && !(t & K_FAILED_TABLE))
            distrust(c, K_TABLE, i);
        if ((t & K_TRUST_SAVED) && !(t & K_FAILED_SAVED))
            distrust(c, K_SAVED, i);
    }
}
