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
#include "saved.h"
#include "verify.h"

typedef struct SFlow {
    KCheck         *c;
    const KFunc    *f;
    const KSec     *s;
    const KFuncMap *m;
    bool            tramp, failed;
    uint32_t       *first;      /* per block: its first instruction */
    uint32_t        nb;
    uint32_t       *blk;        /* per instruction: its block */
    KAState         *in;         /* per block, at its entry */
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

/* Meets st into the entry of the block starting at section offset to. */
static void
edge(SFlow *fl, uint64_t to, const KAState *st)
{
    if (to < fl->f->lo || to >= fl->f->hi || !fl->m->is_insn[to - fl->f->lo])
        return;     /* rule jump's */
    uint32_t b = fl->blk[moatK_insn_index(fl->m, to)];
    if (moatK_sv_meet(&fl->in[b], st) && !fl->queued[b]) {
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
          const KAState *st, bool nofall, const int *eq)
{
    uint64_t      off = fl->m->insn[i], to;
    uint8_t       cat = (uint8_t)in->meta.category;
    bool          rel = in->raw.imm[0].is_relative;
    KAState        same_st = *st;
    const KAState *fall = st;

    if (cat == ZYDIS_CATEGORY_RET) {
        if (in->operand_count_visible > 0)
            moatK_violation(fl->c, K_SAVED, off, "ret with an immediate "
                            "moves the caller's sp");
        moatK_sv_check_exit(fl->c, off, st, "ret", &fl->failed);
        return;
    }
    if (cat == ZYDIS_CATEGORY_COND_BR && rel) {
        /* after `cmp a, b`, the edge where a == b knows both (the exit of
         * a stack probe loop: `cmp %r11, %rsp; jne`) */
        bool jz = in->mnemonic == ZYDIS_MNEMONIC_JZ;
        const KAState *taken = st;
        if ((jz || in->mnemonic == ZYDIS_MNEMONIC_JNZ) && eq[0] >= 0) {
            KAVal a = st->r[eq[0]], b = st->r[eq[1]];
            bool pa = a.kind == K_A_SP && !a.d, pb = b.kind == K_A_SP && !b.d;
            if (pa && pb)       /* both known: equal, or never taken */
                same_st.seen = moatK_sv_same(a, b);
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
            moatK_sv_check_exit(fl->c, off, taken, "conditional tail jump",
                       &fl->failed);
    }
    if (cat == ZYDIS_CATEGORY_UNCOND_BR && rel) {
        if (branch_to(fl, off, in, &to))
            edge(fl, to, st);
        else
            moatK_sv_check_exit(fl->c, off, st, "tail jump", &fl->failed);
        return;
    }
    if (cat == ZYDIS_CATEGORY_UNCOND_BR) {
        if (fl->tramp) {        /* `jmp *code`: an indirect tail call */
            moatK_sv_check_exit(fl->c, off, st, "indirect tail jump",
                                &fl->failed);
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
     const ZydisDecodedOperand *ops, KAState *st)
{
    bool noreturn = false;

    if (in->meta.category == ZYDIS_CATEGORY_RET ||
        in->meta.category == ZYDIS_CATEGORY_COND_BR ||
        in->meta.category == ZYDIS_CATEGORY_UNCOND_BR)
        return false;       /* only rip: block_end checks the state */
    switch (in->mnemonic) {
    case ZYDIS_MNEMONIC_PUSH: case ZYDIS_MNEMONIC_POP:
        moatK_sv_step_stack(st, in, ops);
        return false;
    case ZYDIS_MNEMONIC_LEAVE:      /* mov %rbp, %rsp; pop %rbp */
        st->r[K_SV_RSP] = st->r[K_SV_RBP];
        if (st->r[K_SV_RSP].kind == K_A_SP && !st->r[K_SV_RSP].d) {
            st->r[K_SV_RBP] = moatK_sv_slot_get(st, st->r[K_SV_RSP].c);
            st->r[K_SV_RSP].c += 8;
        } else {
            st->r[K_SV_RBP] = (KAVal){ K_A_UNK, 0, 0, 0 };
            st->r[K_SV_RSP] = (KAVal){ K_A_SPX, 0, 0, 0 };
        }
        return false;
    case ZYDIS_MNEMONIC_CALL: {
        bool keeps = moatK_call_keeps_saved(fl->c, off, in, K_TRUST_SAVED,
                                            &noreturn);
        for (int r = 0; r < 16; r++)
            if (!keeps || !(K_CALLEE_SAVED >> r & 1 || r == K_SV_RSP))
                st->r[r] = (KAVal){ K_A_UNK, 0, 0, 0 };
        if (!keeps) {
            st->r[K_SV_RSP] = (KAVal){ K_A_SPX, 0, 0, 0 };
            moatK_sv_slot_drop(st, false, 0, 0);
        } else if (st->r[K_SV_RSP].kind == K_A_SP) {   /* the callee's frame */
            moatK_sv_slot_drop(st, true, -K_SV_FAR * 2,
                               st->r[K_SV_RSP].c + K_SV_FAR * 2);
        } else {
            moatK_sv_slot_drop(st, false, 0, 0);
        }
        return noreturn;
    }
    default:
        moatK_sv_step_plain(st, in, ops);
        return false;
    }
}

/* Runs block k from its entry and meets its exit into its successors. */
static bool
run_block(SFlow *fl, const ZydisDecoder *d, uint32_t k)
{
    KAState                  st = fl->in[k];
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
cut_blocks(SFlow *fl)
{
    const KFuncMap *m = fl->m;

    for (uint32_t i = 0; i < m->ninsn; i++) {   /* decode.c marked them */
        if (i == 0 || m->is_target[m->insn[i] - fl->f->lo])
            fl->first[fl->nb++] = i;
        fl->blk[i] = fl->nb - 1;
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
    if (!fl->first || !fl->blk || m->ninsn == 0 || !cut_blocks(fl))
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
    KAState *e = &fl->in[0];                 /* entry */
    e->seen = true;
    for (int r = 0; r < 16; r++)
        e->r[r] = (KAVal){ K_A_ORIG, (uint8_t)r, 0, 0 };
    e->r[K_SV_RSP] = (KAVal){ K_A_SP, 0, 0, 0 };
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
