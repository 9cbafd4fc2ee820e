/* memory_flow.c - the memory rule's dataflow: the entry state (ctx in
 * the first argument, or a trampoline's code, ctx, vals), the effect of
 * each instruction (calls, push and pop, stores to frame slots, register
 * writes), basic blocks and the worklist to a fixpoint, then one checking
 * pass (memory.c's shapes; ret and call conditions here).
 */
#include <inttypes.h>
#include <string.h>

#include "elfload.h"
#include "memory.h"

static const int callee_saved[] = { 3, 5, 12, 13, 14, 15 };

/* The entry state: ctx first (wasm functions) or second (trampolines:
 * code, ctx, vals); sp at the return address; callee-saved registers
 * hold their callers' values. */
static void
entry_state(AState *st, bool tramp)
{
    memset(st, 0, sizeof *st);
    st->seen = true;
    for (int r = 0; r < 16; r++)
        st->r[r] = moatK_top();
    for (size_t k = 0; k < sizeof callee_saved / sizeof callee_saved[0];
         k++)
        st->r[callee_saved[k]] = (AVal){ A_ENTRY, callee_saved[k], 0 };
    st->r[4] = (AVal){ A_FRAME, 0, 0 };
    if (tramp) {
        st->r[7] = (AVal){ A_TCODE, 0, 0 };        /* rdi */
        st->r[6] = (AVal){ A_CTX, 0, 0 };          /* rsi */
        st->r[2] = (AVal){ A_VALS, 0, 0 };         /* rdx */
    } else {
        st->r[7] = (AVal){ A_CTX, 0, 0 };          /* rdi */
    }
}

/* The type of the module function a direct call or jump reaches (by its
 * rel32, or a relocation to a symbol defined in code); -2: none (a
 * runtime helper, libm). */
static int64_t
direct_type(const MS *ms, uint64_t off, const ZydisDecodedInstruction *in)
{
    const KObj  *o = &ms->c->obj;
    const KFunc *g = moatK_direct_callee(ms->c, ms->s, ms->f->sec, off, in);

    if (!g)
        return -2;
    uint32_t t = ms->d->ftype[g - o->fn];
    return t ? (int64_t)t - 1 : -2;
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
            moatK_mfail(ms, off, "call to %s: its pointers are not proven",
                        name);
        else if (!is_libm && st->r[7].k != A_CTX)
            moatK_mfail(ms, off, "%s: a direct call without ctx as its first "
                 "argument", "call");
        if (!name && n == 0) {
            uint64_t to = off + in->length +
                          (uint64_t)in->raw.imm[0].value.s;
            const KFunc *g = moatK_func_at(o, ms->f->sec, to);
            if (g && (ms->d->role[g - o->fn] & K_ROLE_TRAMP))
                moatK_mfail(ms, off, "%s: a direct call to a trampoline",
                            "call");
        }
    }
    if (in->raw.imm[0].is_relative) {
        int64_t t = direct_type(ms, off, in);
        if (t >= 0) {
            moatK_area_call(ms, st, off, t, check);
            moatK_stack_args(ms, st, off, moatK_callee_stack(ms, t), false,
                             check);
        }
    }
    static const int clobbered[] = { 0, 1, 2, 6, 7, 8, 9, 10, 11 };
    for (size_t k = 0; k < sizeof clobbered / sizeof clobbered[0]; k++) {
        st->r[clobbered[k]] = moatK_top();
        moatK_slot_unalias(st, clobbered[k]);
    }
    /* a call may grow a table: its elems and codes move (realloc), so
     * neither survives in a callee-saved register or a slot */
    for (int k = 0; k < 16; k++)
        if (st->r[k].k == A_ELEMS || st->r[k].k == A_CODES)
            st->r[k] = moatK_top();
    for (uint32_t i = 0; i < st->nslot; i++)
        if (st->sval[i].k == A_ELEMS || st->sval[i].k == A_CODES)
            st->sval[i] = moatK_top();
    int64_t hi;
    if (moatK_sp_high(st, &hi))         /* the callee's frame: below sp */
        moatK_slot_drop(st, INT64_MIN / 2, hi);
    else
        st->nslot = 0;
}

/* ret: sp at the return address, callee-saved registers restored. */
static void
check_ret(MS *ms, const AState *st, uint64_t off)
{
    if (st->r[4].k != A_FRAME || st->r[4].c != 0)
        moatK_mfail(ms, off, "%s with the stack pointer not at the return "
                    "address",
             "ret");
    for (size_t k = 0; k < sizeof callee_saved / sizeof callee_saved[0];
         k++) {
        AVal v = st->r[callee_saved[k]];
        if (v.k != A_ENTRY || v.c != callee_saved[k]) {
            moatK_mfail(ms, off, "%s without the callee-saved registers "
                        "restored",
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
    int r = ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER
                ? moatK_gpr(ops[0].reg.value) : -1;
    if (sp.k == A_FRAMES && r != 4) {   /* a realigned frame: a range */
        if (is_push) {
            st->r[4].c -= 8;            /* the slot somewhere in the range */
            moatK_slot_drop(st, st->r[4].c - st->sp_slack, st->r[4].c + 8);
        } else {
            st->r[4].c += 8;
            if (r >= 0) {
                st->r[r] = moatK_top();
                moatK_slot_unalias(st, r);
            }
        }
        return true;
    }
    if (sp.k != A_FRAME) {
        st->r[4] = moatK_top();
        return true;
    }
    if (is_push) {
        AVal v = r >= 0 ? st->r[r] : moatK_top();   /* push %rsp: old sp */
        st->r[4].c -= 8;
        moatK_slot_set(st, st->r[4].c, v);
        return true;
    }
    const AVal *v = moatK_slot(st, sp.c);
    st->r[4].c += 8;
    if (r >= 0) {                                   /* pop %rsp: loaded */
        st->r[r] = v ? *v : moatK_top();
        moatK_slot_unalias(st, r);
    }
    return true;
}

/* A call of a helper or of a function of the object that never returns
 * (memory_noret.c): nothing falls through it. */
static bool
is_noreturn_call(const MS *ms, uint64_t off,
                 const ZydisDecodedInstruction *in)
{
    return moatK_call_noreturn(ms->c, ms->s, ms->f->sec, off, in);
}

/* A 32-bit write: below 2^32, and a 32-bit copy keeps a smaller bound;
 * a load of a type id is followed (memory_call.c). */
static AVal
move32(const MS *ms, const AState *st, const ZydisDecodedInstruction *in,
       const ZydisDecodedOperand *ops)
{
    int rs = ops[1].type == ZYDIS_OPERAND_TYPE_REGISTER
                 ? moatK_gpr(ops[1].reg.value) : -1;

    if (in->meta.category == ZYDIS_CATEGORY_CMOV)
        return moatK_cmov(ms, st, in, ops);
    if (in->mnemonic == ZYDIS_MNEMONIC_MOV &&
        ops[1].type == ZYDIS_OPERAND_TYPE_IMMEDIATE)
        return moatK_bnd((int64_t)(ops[1].imm.value.u & U32MAX));
    if ((in->mnemonic == ZYDIS_MNEMONIC_XOR ||
         in->mnemonic == ZYDIS_MNEMONIC_SUB) && rs >= 0 &&
        ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER &&
        ops[0].reg.value == ops[1].reg.value)
        return moatK_bnd(0);            /* zeroing idiom */
    if (in->mnemonic == ZYDIS_MNEMONIC_MOV &&
        ops[1].type == ZYDIS_OPERAND_TYPE_MEMORY &&
        ops[1].mem.base != ZYDIS_REGISTER_RIP) {
        Addr a = moatK_addr_of(st, &ops[1]);
        AVal v = moatK_load32_kind(ms, &a);
        if (v.k != A_TOP)
            return v;
    }
    if (in->mnemonic == ZYDIS_MNEMONIC_MOV && rs >= 0 &&
        (st->r[rs].k == A_BND || st->r[rs].k == A_LOW32) &&
        st->r[rs].c <= U32MAX)
        return moatK_bnd(st->r[rs].c);
    if (in->mnemonic == ZYDIS_MNEMONIC_MOV && rs >= 0 &&
        (st->r[rs].k == A_TIDX || st->r[rs].k == A_TLOW ||
         st->r[rs].k == A_TSIZE))     /* the low half, zero-extended */
        return (AVal){ st->r[rs].k == A_TSIZE ? A_TSIZE : A_TIDX,
                       st->r[rs].c, 0 };
    if (in->mnemonic == ZYDIS_MNEMONIC_MOV && rs >= 0 &&
        (st->r[rs].k == A_TYPEID || st->r[rs].k == A_RTYPE))
        return st->r[rs];               /* 32-bit values: copied whole */
    return moatK_bnd(U32MAX);
}

/* A direct jump out of the function (decode.c allowed only a function
 * start or an allowed symbol there): a tail call. */
static bool
is_tail_jump(const MS *ms, uint64_t off, const ZydisDecodedInstruction *in)
{
    uint32_t n;

    if ((in->meta.category != ZYDIS_CATEGORY_UNCOND_BR &&
         in->meta.category != ZYDIS_CATEGORY_COND_BR) ||
        !in->raw.imm[0].is_relative)
        return false;
    moatK_rels_in(ms->s, off, off + in->length, &n);
    uint64_t to = off + in->length + (uint64_t)in->raw.imm[0].value.s;
    return n > 0 || to < ms->f->lo || to >= ms->f->hi;
}

/* Returns, tail calls and calls: their checks and effects; true when
 * the instruction is done with (ret, call). */
static bool
control(MS *ms, AState *st, uint64_t off, const ZydisDecodedInstruction *in,
        const ZydisDecodedOperand *ops, bool check)
{
    if (in->meta.category == ZYDIS_CATEGORY_RET) {
        if (check)
            check_ret(ms, st, off);
        return true;
    }
    if (check && in->meta.category == ZYDIS_CATEGORY_UNCOND_BR &&
        !in->raw.imm[0].is_relative &&
        ms->d->role[ms->f - ms->c->obj.fn] == K_ROLE_TRAMP) {
        check_ret(ms, st, off);         /* a trampoline's tail call */
        moatK_check_icall(ms, st, off, in, ops);
        moatK_stack_args(ms, st, off, moatK_callee_stack(ms, -2), true,
                         check);
    }
    if (check && is_tail_jump(ms, off, in)) {
        int64_t t = direct_type(ms, off, in);
        if (t >= 0) {
            moatK_area_call(ms, st, off, t, check);
            moatK_stack_args(ms, st, off, moatK_callee_stack(ms, t), true,
                             check);
        }
        check_ret(ms, st, off);         /* the callee returns for us */
        if (st->r[7].k != A_CTX)
            moatK_mfail(ms, off, "%s: a tail call without ctx as its first "
                        "argument", ZydisMnemonicGetString(in->mnemonic));
    }
    if (in->meta.category != ZYDIS_CATEGORY_CALL)
        return false;
    if (!in->raw.imm[0].is_relative) {
        int64_t t = moatK_icall_type(ms, st, ops);
        if (check)
            moatK_check_icall(ms, st, off, in, ops);
        if (t != -2 && t != -3)
            moatK_area_call(ms, st, off, t, check);
        if (t != -3)
            moatK_stack_args(ms, st, off, moatK_callee_stack(ms, t), false,
                             check);
    }
    int64_t hi;
    if (moatK_sp_high(st, &hi))                 /* the return address */
        moatK_stack_touch(st, hi - 8);
    call_effects(ms, st, off, in, check);
    st->fk = FK_NONE;
    return true;
}

/* Register r written by operand i of in (flag: a flag byte's value). */
static void
write_reg(const MS *ms, AState *st, const ZydisDecodedInstruction *in,
          const ZydisDecodedOperand *ops, uint8_t i, const AVal *flag)
{
    const ZydisDecodedOperand *o = &ops[i];
    int r = o->type == ZYDIS_OPERAND_TYPE_REGISTER ? moatK_gpr(o->reg.value)
                                                    : -1;
    if (r < 0)
        return;
    moatK_slot_unalias(st, r);
    AVal tab;
    if (i == 0 && o->visibility != ZYDIS_OPERAND_VISIBILITY_HIDDEN &&
        moatK_rodata_load(ms, st, in, ops, &tab)) {
        st->r[r] = tab;                 /* memory_int.c: a lookup table */
    } else if (i == 0 && o->size == 64 &&
        o->visibility != ZYDIS_OPERAND_VISIBILITY_HIDDEN) {
        st->r[r] = moatK_result64(ms, st, in, ops);
        moatK_ref_fresh(ms, st, r);
    } else if (o->size == 32) {
        AVal v = moatK_bnd(U32MAX);
        bool known = i == 0 &&
                     o->visibility != ZYDIS_OPERAND_VISIBILITY_HIDDEN &&
                     moatK_int32(st, in, ops, &v);
        st->r[r] = move32(ms, st, in, ops);
        if (known && st->r[r].k == A_BND)   /* both hold: intersect */
            st->r[r] = moatK_ival(v.lo > st->r[r].lo ? v.lo : st->r[r].lo,
                                  v.c < st->r[r].c ? v.c : st->r[r].c);
    } else if (i == 0 && o->size == 8 && flag) {
        st->r[r] = *flag;
    } else if (o->size < 32 && st->r[r].k == A_BND && st->r[r].c <= U32MAX) {
        /* the low 8 or 16 bits written, the rest kept: below c's upper
         * bits plus the most the write puts there (a setcc: 1) */
        bool    high = o->reg.value == ZYDIS_REGISTER_AH ||
                       o->reg.value == ZYDIS_REGISTER_BH ||
                       o->reg.value == ZYDIS_REGISTER_CH ||
                       o->reg.value == ZYDIS_REGISTER_DH;
        int64_t mask = o->size == 8 ? 0xff : 0xffff;
        int64_t put = in->meta.category == ZYDIS_CATEGORY_SETCC ? 1 : mask;
        st->r[r] = high || o->size > 16
                       ? moatK_bnd(U32MAX)
                       : moatK_bnd((st->r[r].c & ~mask) + put);
    } else {
        st->r[r] = moatK_top();
    }
    if (st->r[r].k == A_FRAMES && r != 4)
        st->r[r] = moatK_top();         /* a range: rsp's alone */
    if (i == 0 && (o->size == 32 || o->size == 64))
        moatK_frame_load(st, in, ops, r);
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
    AVal sp = st->r[4], flag;
    bool is_flag = moatK_bool_op(st, in, ops, &flag);

    ms->at = off;
    for (uint8_t i = 0; check && !is_nop && i < in->operand_count; i++) {
        const ZydisDecodedOperand *o = &ops[i];
        if (o->type != ZYDIS_OPERAND_TYPE_MEMORY || !o->actions ||
            o->mem.type == ZYDIS_MEMOP_TYPE_AGEN ||
            (stack_op && o->visibility == ZYDIS_OPERAND_VISIBILITY_HIDDEN))
            continue;
        ms->dbg = st;
        moatK_check_access(ms, st, off, in, o);
    }
    /* an access that did not fault bounds its registers (memory_loop.c):
     * the fixpoint needs it too, and the check pass rejects the function
     * if the access was not proven */
    for (uint8_t i = 0; !is_nop && i < in->operand_count; i++)
        if (!(stack_op && ops[i].visibility == ZYDIS_OPERAND_VISIBILITY_HIDDEN))
            moatK_access_refine(ms, st, in, &ops[i]);
    moatK_pair_write(st, in, ops);
    moatK_flags(ms, st, in, ops);
    if (control(ms, st, off, in, ops, check))
        return;
    if (moatK_stack_align(st, in, ops)) {
        moatK_stack_moved(ms, st, off, check);
        return;
    }
    if (push_pop(st, in, ops)) {
        moatK_stack_moved(ms, st, off, check);
        if (in->mnemonic == ZYDIS_MNEMONIC_PUSH &&
            (st->r[4].k == A_FRAME || st->r[4].k == A_FRAMES))
            moatK_stack_touch(st, st->r[4].c);  /* FRAMES: its highest */
        return;
    }
    for (uint8_t i = 0; i < in->operand_count; i++) {
        const ZydisDecodedOperand *o = &ops[i];
        if (!(o->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE))
            continue;
        if (o->type != ZYDIS_OPERAND_TYPE_MEMORY) {
            write_reg(ms, st, in, ops, i, is_flag ? &flag : NULL);
            continue;
        }
        /* stores elsewhere are proven (or rejected) to be outside the
         * stack: heap, context area, vals, areas of callers */
        Addr a = moatK_addr_of(st, o);
        if (a.has_b && !a.has_i && a.b.k == A_FRAME) {
            moatK_frame_store(st, in, ops, a.b.c + a.disp, i);
            moatK_stack_touch(st, a.b.c + a.disp);
        } else if (a.has_b && !a.has_i && a.b.k == A_FRAMES) {
            int64_t hi = a.b.c + a.disp;        /* somewhere below hi */
            moatK_slot_drop(st, hi - st->sp_slack,
                            hi + (o->size / 8 ? o->size / 8 : 1));
            moatK_stack_touch(st, hi);
        }
    }
    if (st->r[4].k != A_FRAMES)
        st->sp_slack = 0;               /* exact again */
    if (!moatK_same(st->r[4], sp))
        moatK_stack_moved(ms, st, off, check);
}

/* The worklist: a min-heap of block indices, so that blocks run in
 * address order (for structured code, each block after the blocks that
 * reach it): a chain of if/else joins is then followed once, where a
 * stack order re-ran the rest of the chain after each join's second
 * input (quadratic). */
static void
work_push(uint32_t *work, uint32_t *n, uint32_t b)
{
    uint32_t i = (*n)++;

    for (; i > 0 && work[(i - 1) / 2] > b; i = (i - 1) / 2)
        work[i] = work[(i - 1) / 2];
    work[i] = b;
}

static uint32_t
work_pop(uint32_t *work, uint32_t *n)
{
    uint32_t top = work[0], last = work[--(*n)], i = 0;

    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= *n)
            break;
        if (c + 1 < *n && work[c + 1] < work[c])
            c++;
        if (work[c] >= last)
            break;
        work[i] = work[c];
        i = c;
    }
    if (*n)
        work[i] = last;
    return top;
}

typedef struct Block {
    uint32_t first, end;        /* instruction indices [first, end) */
    bool     ends_ijmp;         /* in a table jump: an edge to each target */
    AState  *in;        /* its state on entry (nb of them, apart) */
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
    AState edge[2] = { *st, *st };      /* taken, fall-through */
    AState scratch;                     /* memory_phi.c's */
    if (cat == ZYDIS_CATEGORY_COND_BR) {
        moatK_refine(&edge[0], last->mnemonic, true);
        moatK_refine(&edge[1], last->mnemonic, false);
    }
    bool ijmp = cat == ZYDIS_CATEGORY_UNCOND_BR &&
                !last->raw.imm[0].is_relative;
    for (uint32_t j = 0; j < nb + ns; j++) {
        uint32_t      t;
        const AState *in = st;
        if (j < ns) {
            t = succ[j];
            if (cat == ZYDIS_CATEGORY_COND_BR)
                in = &edge[falls && j == ns - 1 ? 1 : 0];
        }
        else if (ijmp && (ms->m->is_target[insn[b[j - ns].first] -
                                           ms->f->lo] & K_TABLE_TARGET))
            t = j - ns;
        else
            continue;
        if (!in->seen)
            continue;           /* the edge cannot be taken (refine) */
        uint64_t at = insn[b[t].first] - ms->f->lo + 1;
        bool     renamed;
        in = moatK_ref_phi(b[t].in, in, at < (uint64_t)PHI_ID
                                            ? PHI_ID + (int64_t)at : 0,
                           &scratch, &renamed);
        if ((moatK_merge(b[t].in, in) || renamed) && !queued[t]) {
            queued[t] = 1;
            work_push(work, nwork, t);
        }
    }
}

/* Runs block bk from st (its input): its instructions' effects (and
 * checks, with check), then, in the fixpoint, its successors' inputs.
 * false: an instruction did not decode (it did before). */
static bool
run_block(MS *ms, const ZydisDecoder *d, Block *b, uint32_t nb, uint32_t bk,
          AState *st, bool check, uint32_t *work, uint32_t *nwork,
          uint8_t *queued)
{
    ZydisDecodedInstruction in;
    ZydisDecodedOperand     ops[ZYDIS_MAX_OPERAND_COUNT];
    uint64_t                off = 0;

    if (moatK_probe_loop(ms, d, b[bk].first, b[bk].end, st)) {
        if (!check && bk + 1 < nb && moatK_merge(b[bk + 1].in, st) &&
            !queued[bk + 1]) {
            queued[bk + 1] = 1;     /* only the way out */
            work_push(work, nwork, bk + 1);
        }
        return true;
    }
    for (uint32_t i = b[bk].first; i < b[bk].end; i++) {
        off = ms->m->insn[i];
        if (!decode_at(ms, d, off, &in, ops))
            return false;
        transfer(ms, st, off, &in, ops, check);
    }
    if (!check)
        propagate(ms, b, nb, bk, st, &in, off, work, nwork, queued);
    return true;
}

/* The worklist to a fixpoint (states only grow; joins widen); false when
 * the budget ran out (the three rules then reject the function). */
static bool
fixpoint(MS *ms, const ZydisDecoder *d, Block *b, uint32_t nb,
         uint32_t *work, uint32_t *nwork, uint8_t *queued, uint64_t *budget)
{
    AState st;

    while (*nwork > 0) {
        uint32_t bk = work_pop(work, nwork);
        uint64_t cost = b[bk].end - b[bk].first + 1 +
                        (b[bk].ends_ijmp ? nb : 0);
        if (*budget < cost || (*budget -= cost) == 0) {
            for (int r = K_MEMORY; r <= K_STACK; r++)
                moatK_rfail(ms, (KRule)r, ms->f->lo, "%s: the analysis "
                            "did not settle within its budget", "memory");
            return false;
        }
        queued[bk] = 0;
        if (!b[bk].in->seen)
            continue;           /* unreachable: nothing runs there */
        st = *b[bk].in;
        if (!run_block(ms, d, b, nb, bk, &st, false, work, nwork, queued))
            return false;
    }
    return true;
}

#define NARROW_MAX_BLOCKS 2048u

/* Narrowing (memory_loop.c's loops): widening may have jumped a loop's
 * counter past what its accesses then bound it to (a counter from 0 at
 * 2^32 - 1 where each access cuts it to 2^30); a round that recomputes
 * every block's input from its predecessors' outputs, from the widened
 * fixpoint, gives inputs that still hold and are tighter. Each round
 * replaces the inputs; then the worklist runs again from every block, so
 * that what the check pass reads is a fixpoint whatever the round did
 * (it only grows from there). fresh: nb states. */
static bool
narrow(MS *ms, const ZydisDecoder *d, Block *b, uint32_t nb, bool tramp,
       AState *fresh, uint32_t *work, uint8_t *queued, uint64_t *budget)
{
    uint32_t nwork = 0;
    AState   st;

    for (int round = 0; round < 2; round++) {
        uint64_t cost = 0;
        for (uint32_t k = 0; k < nb; k++)
            cost += b[k].end - b[k].first + 1 + (b[k].ends_ijmp ? nb : 0);
        if (*budget < cost)
            break;              /* the widened fixpoint stands */
        *budget -= cost;
        AState *old = b[0].in;
        for (uint32_t k = 0; k < nb; k++) {
            fresh[k].seen = false;
            b[k].in = &fresh[k];
        }
        entry_state(&fresh[0], tramp);
        fresh[0].thr = ms->thr;
        fresh[0].nthr = ms->nthr;
        if (!tramp)
            moatK_area_entry(ms, &fresh[0]);
        for (uint32_t k = 0; k < nb; k++) {
            if (!old[k].seen)
                continue;
            st = old[k];
            if (!run_block(ms, d, b, nb, k, &st, false, work, &nwork,
                           queued))
                return false;
        }
        memcpy(old, fresh, nb * sizeof *old);
        for (uint32_t k = 0; k < nb; k++)
            b[k].in = &old[k];
        nwork = 0;
        memset(queued, 0, nb);
    }
    for (uint32_t k = 0; k < nb; k++) {     /* a fixpoint again */
        queued[k] = 1;
        work_push(work, &nwork, k);
    }
    return fixpoint(ms, d, b, nb, work, &nwork, queued, budget);
}

/* Checks every instruction in the state before it (the fixpoint's). */
static void
check_pass(MS *ms, const ZydisDecoder *d, Block *b, uint32_t nb,
           uint32_t *work, uint8_t *queued)
{
    uint32_t nwork = 0;

    for (uint32_t k = 0; k < nb; k++) {
        if (!b[k].in->seen)
            continue;           /* unreachable: nothing runs there */
        AState st = *b[k].in;
        if (!run_block(ms, d, b, nb, k, &st, true, work, &nwork, queued))
            return;
    }
}

/* Runs the dataflow to its fixpoint, then checks every instruction in
 * the state before it. */
static void
analyse(MS *ms, Block *b, uint32_t nb, bool tramp, uint32_t *work,
        uint8_t *queued)
{
    ZydisDecoder d;
    uint32_t     nwork = 0;
    /* work (instructions run, edges followed) in proportion to the size:
     * hostile code cannot make the fixpoint take quadratic time; past the
     * budget the function is rejected */
    uint64_t     budget = 64 * ((uint64_t)ms->m->ninsn + nb) + 4096;

    ZydisDecoderInit(&d, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
    for (uint32_t k = 0; k < nb; k++)
        b[k].in->seen = false;
    entry_state(b[0].in, tramp);
    b[0].in->thr = ms->thr;             /* every state descends from it */
    b[0].in->nthr = ms->nthr;
    if (!tramp)
        moatK_area_entry(ms, b[0].in);
    work_push(work, &nwork, 0);
    queued[0] = 1;
    if (!fixpoint(ms, &d, b, nb, work, &nwork, queued, &budget))
        return;
    bool widened = false;
    for (uint32_t k = 0; k < nb && !widened; k++)
        widened = b[k].in->nchange >= WIDEN_AFTER;
    /* narrowing only where the widened fixpoint does not prove the
     * function: a check pass that reports nothing says so (it costs 60%
     * more time and memory on sqlite3 when run for every widened one) */
    bool proven = false;
    if (widened) {
        ms->dry = true;
        ms->failed = false;
        check_pass(ms, &d, b, nb, work, queued);
        ms->dry = false;
        proven = !ms->failed;
    }
    if (proven)
        return;                 /* the check pass would report nothing */
    /* (a second state per block: not for the largest functions, whose
     * states are tens of MB; they stay with the widened fixpoint) */
    AState *fresh = widened && nb <= NARROW_MAX_BLOCKS
                        ? moatU_calloc(nb, sizeof *fresh) : NULL;
    bool    ok = !fresh || narrow(ms, &d, b, nb, tramp, fresh, work, queued,
                                  &budget);
    moatU_free(fresh);
    if (ok)
        check_pass(ms, &d, b, nb, work, queued);
}

/* Blocks: a new one at each branch target and after each branch. */
static uint32_t
make_blocks(MS *ms, Block *b)
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
        moatK_note_threshold(ms, &in);
        uint8_t cat = (uint8_t)in.meta.category;
        b[nb - 1].ends_ijmp = cat == ZYDIS_CATEGORY_UNCOND_BR &&
                              !in.raw.imm[0].is_relative;
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
    AState  *states = NULL;

    if (!d->ok) {
        for (int r = K_MEMORY; r <= K_STACK; r++)
            moatK_violation(c, (KRule)r, f->lo, "the descriptor could not "
                            "be read: nothing is proven");
    } else if (!b || !work || !queued) {
        for (int r = K_MEMORY; r <= K_STACK; r++)
            moatK_violation(c, (KRule)r, f->lo, "out of memory");
    } else {
        uint32_t nb = make_blocks(&ms, b);
        /* states only for the blocks: they are large (frame slots) */
        states = nb ? moatU_calloc(nb, sizeof *states) : NULL;
        for (uint32_t k = 0; states && k < nb; k++)
            b[k].in = &states[k];
        if (!states || !nb) {   /* decoded before: 0 only without memory */
            for (int r = K_MEMORY; r <= K_STACK; r++)
                moatK_violation(c, (KRule)r, f->lo, "out of memory");
            nb = 0;
        }
        ms.mem_is_ctx = d->flags & MOAT_DESC_F_MEM_IS_CTX;
        ms.vals = d->vals[idx];
        ms.args = d->args[idx];
        ms.own_stack = d->ftype[idx]
                           ? d->tarea[d->ftype[idx] - 1].stack_args : 0;
        if (nb && (d->role[idx] & K_ROLE_TRAMP)) {
            ms.args = 0;        /* the runtime passes three registers */
            ms.tramp = true;
            uint64_t own = ms.own_stack;
            ms.own_stack = 0;
            analyse(&ms, b, nb, true, work, queued);
            ms.tramp = false;
            ms.own_stack = own;
            ms.args = d->args[idx];
        }
        if (nb && (!(d->role[idx] & K_ROLE_TRAMP) ||
                   (d->role[idx] & K_ROLE_WASM)))
            analyse(&ms, b, nb, false, work, queued);
    }
    moatU_free(states);
    moatU_free(b);
    moatU_free(work);
    moatU_free(queued);
}
