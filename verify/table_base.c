/* table_base.c - what table.c's window before an indirect jump does not
 * see: which registers certainly hold a jump table's address (LLVM hoists
 * `lea T(%rip), %r11` out of a loop, or keeps it in a callee-saved
 * register across calls) and which certainly have bits 63:32 zero (an
 * index cleared by a 32-bit write in an earlier block, compared in the
 * window with `cmp $N, %edx`). A forward must-analysis over the
 * function's blocks: a fact holds on entry to a block only if it holds on
 * every edge into it. `lea T(%rip)` (a PC32 relocation to read-only data)
 * sets a table fact, any other write clears it; a 32-bit write sets the
 * zero-upper fact, a 64-bit one clears it, narrower ones keep it
 * (moatK_upper_after). A call clears the caller-saved registers, and all
 * of them unless moatK_call_keeps_saved says the callee restores rbx,
 * rbp, r12-r15 (rule saved). Edges: branches and fall-through; an
 * indirect jump may land on any instruction (no table target is trusted
 * before it is proven), so the state after every instruction is met with
 * J, the meet of the states at all indirect jumps. Computed once per
 * function (cached in KFuncMap), with a worklist: each block runs again
 * only when its entry or J loses a fact (a bound grows: table_range.c
 * widens it to the next 2^k - 1), within a budget of 64 instruction steps
 * per instruction and block, past which nothing is known there (the
 * jumps that needed it are rejected).
 */
#include <Zydis/Zydis.h>
#include <string.h>

#include "elfload.h"
#include "regs.h"
#include "verify.h"

typedef struct Base {
    bool     ok;                /* holds a table address */
    uint32_t sec;
    uint64_t off;
} Base;

typedef struct BState {
    bool     seen;
    uint8_t  nmeet;             /* joins that changed it (a block entry) */
    KRange   g;                 /* upper bounds (table_range.c) */
    Base     r[16];
} BState;

/* rax, rcx, rdx, rsi, rdi, r8-r11: a call may change them */
#define CALLER_SAVED 0x0fc7u

/* `lea T(%rip), %r64` with one PC32 relocation to read-only data. */
static bool
table_lea(const KCheck *c, const KSec *s, uint64_t off,
          const ZydisDecodedInstruction *in, const ZydisDecodedOperand *ops,
          Base *b)
{
    uint32_t    n;
    const KObj *o = &c->obj;

    if (in->mnemonic != ZYDIS_MNEMONIC_LEA || ops[0].size != 64 ||
        ops[1].mem.base != ZYDIS_REGISTER_RIP || in->address_width != 64)
        return false;
    const KRel *r = moatK_rels_in(s, off, off + in->length, &n);
    if (n != 1 || r->type != K_R_PC32)
        return false;
    const KSym *sym = &o->sym[r->sym];
    if (sym->shndx == 0 || sym->shndx >= o->nsec)
        return false;
    const KSec *t = &o->sec[sym->shndx];
    if (t->is_code || !(t->flags & ELF_SHF_ALLOC) ||
        (t->flags & ELF_SHF_WRITE))
        return false;
    *b = (Base){ true, sym->shndx,
                 sym->value + (uint64_t)r->addend + (off + in->length -
                                                      r->off) };
    return true;
}

/* One instruction; true when it is a call that never returns. */
static bool
step(KCheck *c, const KSec *s, uint64_t off,
     const ZydisDecodedInstruction *in, const ZydisDecodedOperand *ops,
     BState *st)
{
    Base b;
    bool noreturn;

    if (in->meta.category == ZYDIS_CATEGORY_CALL) {
        bool     keeps = moatK_call_keeps_saved(c, off, in, K_TRUST_TABLE,
                                                &noreturn);
        /* a function of the object that never returns (LLVM keeps values
         * in caller-saved registers across the call: ends.c) */
        noreturn |= keeps && moatK_call_ends_now(c, off, in);
        uint16_t lost = keeps ? CALLER_SAVED : 0xffffu;
        for (int r = 0; r < 16; r++)
            if (lost >> r & 1)
                st->r[r] = (Base){ 0 };
        moatK_range_call(&st->g, keeps);
        return noreturn;
    }
    bool is_lea = table_lea(c, s, off, in, ops, &b);
    /* a table address copied whole (LLVM keeps it in a callee-saved
     * register across a call: `mov %r8, %r12` ... `mov %r12, %r8`) */
    if (!is_lea && in->mnemonic == ZYDIS_MNEMONIC_MOV && ops[0].size == 64 &&
        ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER &&
        ops[1].type == ZYDIS_OPERAND_TYPE_REGISTER &&
        moatK_gpr(ops[0].reg.value) >= 0 && moatK_gpr(ops[1].reg.value) >= 0 &&
        st->r[moatK_gpr(ops[1].reg.value)].ok) {
        b = st->r[moatK_gpr(ops[1].reg.value)];
        is_lea = true;
    }
    for (uint8_t i = 0; i < in->operand_count; i++)
        if (ops[i].type == ZYDIS_OPERAND_TYPE_REGISTER &&
            (ops[i].actions & ZYDIS_OPERAND_ACTION_MASK_WRITE) &&
            moatK_gpr(ops[i].reg.value) >= 0)
            st->r[moatK_gpr(ops[i].reg.value)] = (Base){ 0 };
    moatK_range_step(in, ops, &st->g);
    if (is_lea)
        st->r[moatK_gpr(ops[0].reg.value)] = b;
    return false;
}

/* to met with in; a block entry or J (kept: widen) counts its changes,
 * a state within a block run met with J does not (it is not iterated). */
static bool
meet(BState *to, const BState *in, bool kept)
{
    bool changed = false;

    if (!to->seen) {
        *to = *in;
        to->nmeet = 0;
        return true;
    }
    for (int r = 0; r < 16; r++)
        if (to->r[r].ok && (!in->r[r].ok || in->r[r].sec != to->r[r].sec ||
                            in->r[r].off != to->r[r].off)) {
            to->r[r].ok = false;
            changed = true;
        }
    /* bounds join exactly twice, then widen (so that loops converge):
     * `cmp $6, %cl; ja` on one edge, a smaller bound on the other */
    changed |= moatK_range_meet(&to->g, &in->g, kept && to->nmeet >= 2);
    if (changed && to->nmeet < UINT8_MAX)
        to->nmeet++;
    return changed;
}

typedef struct Flow {
    KCheck         *c;
    const KFunc    *f;
    const KSec     *s;
    const KFuncMap *m;
    uint32_t       *first;      /* per block: its first instruction */
    uint32_t        nb;
    uint32_t       *blk;        /* per instruction: its block */
    BState         *in;         /* per block, at its entry */
    BState          j;          /* met from every indirect jump */
    bool            ok;         /* computed */
} Flow;

static bool
decode(const Flow *fl, const ZydisDecoder *d, uint32_t i,
       ZydisDecodedInstruction *in, ZydisDecodedOperand *ops)
{
    uint64_t off = fl->m->insn[i];

    return ZYAN_SUCCESS(ZydisDecoderDecodeFull(d, fl->s->data + off,
                                               fl->f->hi - off, in, ops));
}

static void
push(uint32_t *work, uint32_t *nwork, uint8_t *queued, uint32_t b)
{
    if (!queued[b]) {
        queued[b] = 1;
        work[(*nwork)++] = b;
    }
}

/* A block's entry: also J, once an indirect jump is reachable (it may
 * land at any instruction, so a block no branch reaches runs from J). */
static void
entry_met(const Flow *fl, BState *st)
{
    if (fl->j.seen)
        meet(st, &fl->j, false);
}

/* Whether, after `in`, the flags are still those of a `cmp r, imm` or a
 * `cmp imm, disp(%rbp)` (*cmp): set by one, kept by what writes neither
 * the flags nor what was compared. */
static bool
after_cmp(const ZydisDecodedInstruction *in, const ZydisDecodedOperand *ops,
          bool had, KCmp *cmp)
{
    if (moatK_range_cmp(in, ops, cmp))
        return true;
    if (!had || (in->cpu_flags && in->cpu_flags->modified) ||
        in->meta.category == ZYDIS_CATEGORY_CALL)
        return false;
    /* a compared slot: any memory write may be to it, and rbp moves it */
    for (uint8_t i = 0; i < in->operand_count; i++)
        if ((ops[i].actions & ZYDIS_OPERAND_ACTION_MASK_WRITE) &&
            ((ops[i].type == ZYDIS_OPERAND_TYPE_REGISTER &&
              moatK_gpr(ops[i].reg.value) == (cmp->reg >= 0 ? cmp->reg : 5))
             || (cmp->reg < 0 && ops[i].type == ZYDIS_OPERAND_TYPE_MEMORY)))
            return false;
    return true;
}

/* Meets st into the block at entry i of table t (its PC32 relocation to
 * an instruction of f: as table.c checked); false when that entry is not
 * a block's start (then the caller makes the jump lead anywhere). */
static bool
entry_edge(Flow *fl, const KJumpTab *t, uint64_t i, const BState *st,
           uint32_t *work, uint32_t *nwork, uint8_t *queued)
{
    const KObj *o = &fl->c->obj;
    const KSec *ts = &o->sec[t->tsec];
    uint64_t    at = t->toff + 4 * i;
    uint32_t    n;
    const KRel *r = moatK_rels_in(ts, at, at + 4, &n);

    if (n != 1 || r->off != at || o->sym[r->sym].shndx != fl->f->sec)
        return false;
    uint64_t to = o->sym[r->sym].value + (uint64_t)r->addend - 4 * i;
    if (to < fl->f->lo || to >= fl->f->hi || !fl->m->is_insn[to - fl->f->lo])
        return false;
    uint32_t b = fl->blk[moatK_insn_index(fl->m, to)];
    if (fl->m->insn[fl->first[b]] != to)
        return false;
    if (meet(&fl->in[b], st, true))
        push(work, nwork, queued, b);
    return true;
}

/* Runs block k from its entry (met with J after each instruction) and
 * meets its exit into its successors, queueing those that changed; true
 * when J changed (then every block must run again). */
static bool
run_block(Flow *fl, const ZydisDecoder *d, uint32_t k, uint32_t *work,
          uint32_t *nwork, uint8_t *queued)
{
    BState                  st = fl->in[k];
    uint32_t                end = k + 1 < fl->nb ? fl->first[k + 1]
                                                 : fl->m->ninsn;
    ZydisDecodedInstruction in;
    ZydisDecodedOperand     ops[ZYDIS_MAX_OPERAND_COUNT];
    bool                    noreturn = false, has_cmp = false;
    KCmp                    cmp;

    entry_met(fl, &st);
    if (!st.seen)
        return false;
    for (uint32_t i = fl->first[k]; i < end; i++) {
        if (fl->j.seen)
            meet(&st, &fl->j, false);
        if (!decode(fl, d, i, &in, ops))
            return false;       /* decoded before: cannot happen */
        noreturn = step(fl->c, fl->s, fl->m->insn[i], &in, ops, &st);
        has_cmp = after_cmp(&in, ops, has_cmp, &cmp);
    }
    uint8_t cat = (uint8_t)in.meta.category;
    bool    rel = in.raw.imm[0].is_relative;
    BState  taken = st, fall = st;      /* what the compare says on each */
    if (cat == ZYDIS_CATEGORY_COND_BR && has_cmp) {
        moatK_range_edge(&cmp, in.mnemonic, true, &taken.g);
        moatK_range_edge(&cmp, in.mnemonic, false, &fall.g);
    }
    if ((cat == ZYDIS_CATEGORY_UNCOND_BR || cat == ZYDIS_CATEGORY_COND_BR) &&
        rel) {
        uint64_t to = fl->m->insn[end - 1] + in.length +
                      (uint64_t)in.raw.imm[0].value.s;
        if (to >= fl->f->lo && to < fl->f->hi &&
            fl->m->is_insn[to - fl->f->lo]) {
            uint32_t b = fl->blk[moatK_insn_index(fl->m, to)];
            if (meet(&fl->in[b], &taken, true))
                push(work, nwork, queued, b);
        }
    }
    if (cat != ZYDIS_CATEGORY_RET && cat != ZYDIS_CATEGORY_UNCOND_BR &&
        !noreturn && k + 1 < fl->nb && meet(&fl->in[k + 1], &fall, true))
        push(work, nwork, queued, k + 1);   /* moatR_trap does not return */
    if (cat != ZYDIS_CATEGORY_UNCOND_BR || rel)
        return false;
    /* an indirect jump: to its table's entries if the guess gives it one,
     * else nowhere (jmode 1) or anywhere (J) */
    const KJumpTab *t = NULL;
    for (uint32_t i = 0; i < fl->m->njt && !t; i++)
        if (fl->m->jt[i].jmp == fl->m->insn[end - 1] && fl->m->jt[i].tsec)
            t = &fl->m->jt[i];
    bool placed = t != NULL;
    for (uint64_t i = 0; t && i <= t->n; i++)
        placed &= entry_edge(fl, t, i, &st, work, nwork, queued);
    if (placed || fl->m->jmode == 1)
        return false;
    return meet(&fl->j, &st, true);
}

/* Blocks (cut at branch targets known now and after branches; any other
 * entry is J's) and the fixpoint. */
static bool
solve(Flow *fl)
{
    const KFuncMap *m = fl->m;
    ZydisDecoder    d;
    bool            cut = true;
    uint32_t       *work = moatU_calloc(m->ninsn + 1, sizeof *work);
    uint8_t        *queued = moatU_calloc(m->ninsn + 1, 1);
    uint32_t        nwork = 0;

    fl->first = moatU_calloc(m->ninsn + 1, sizeof *fl->first);
    fl->blk = moatU_calloc(m->ninsn + 1, sizeof *fl->blk);
    ZydisDecoderInit(&d, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
    bool ok = work && queued && fl->first && fl->blk && m->ninsn > 0;
    for (uint32_t i = 0; ok && i < m->ninsn; i++) {
        if (cut || m->is_target[m->insn[i] - fl->f->lo])
            fl->first[fl->nb++] = i;        /* decode.c marked the ends */
        fl->blk[i] = fl->nb - 1;
        cut = false;
    }
    fl->in = ok ? moatU_calloc(fl->nb + 1, sizeof *fl->in) : NULL;
    ok &= fl->in != NULL;
    if (ok) {
        fl->in[0].seen = true;                  /* entry: nothing known */
        moatK_range_unknown(&fl->in[0].g);
        push(work, &nwork, queued, 0);
    }
    /* each entry loses a fact at most 16 + 16 x 64 + 16 x 65 times */
    uint64_t budget = 64 * ((uint64_t)m->ninsn + fl->nb);
    while (ok && nwork > 0) {
        uint32_t k = work[--nwork];
        queued[k] = 0;
        uint32_t len = (k + 1 < fl->nb ? fl->first[k + 1] : m->ninsn) -
                       fl->first[k];
        if (budget < len) {
            ok = false;         /* not known: no jump proven from it */
            break;
        }
        budget -= len;
        if (run_block(fl, &d, k, work, &nwork, queued))
            for (uint32_t b = 0; b < fl->nb; b++)   /* J lost a fact */
                push(work, &nwork, queued, b);
    }
    moatU_free(work);
    moatU_free(queued);
    return ok;
}

void
moatK_table_bases_free(void *cache)
{
    Flow *fl = cache;

    if (!fl)
        return;
    moatU_free(fl->first);
    moatU_free(fl->blk);
    moatU_free(fl->in);
    moatU_free(fl);
}

bool
moatK_table_bases(KCheck *c, const KFunc *f, KFuncMap *m,
                  uint32_t at, uint32_t *sec, uint64_t *off, KRange *range)
{
    Flow        *fl = m->bases;
    ZydisDecoder d;

    if (!fl) {
        if (!(fl = moatU_calloc(1, sizeof *fl)))
            return false;
        *fl = (Flow){ .c = c, .f = f, .s = &c->obj.sec[f->sec], .m = m };
        fl->ok = solve(fl);
        m->bases = fl;
    }
    if (!fl->ok)
        return false;
    /* the state at instruction `at`: its block's entry, then on */
    ZydisDecoderInit(&d, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
    BState st = fl->in[fl->blk[at]];
    entry_met(fl, &st);
    for (uint32_t i = fl->first[fl->blk[at]]; st.seen; i++) {
        ZydisDecodedInstruction in;
        ZydisDecodedOperand     ops[ZYDIS_MAX_OPERAND_COUNT];
        if (fl->j.seen)
            meet(&st, &fl->j, false);
        if (i == at)
            break;
        if (!decode(fl, &d, i, &in, ops))
            return false;
        step(c, fl->s, m->insn[i], &in, ops, &st);
    }
    for (int r = 0; r < 16; r++) {
        sec[r] = st.seen && st.r[r].ok ? st.r[r].sec : 0;
        off[r] = st.r[r].off;
    }
    if (st.seen)
        *range = st.g;
    else
        moatK_range_unknown(range);
    return st.seen;
}
