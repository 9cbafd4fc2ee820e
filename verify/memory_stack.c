/* memory_stack.c - the stack rule (docs/verify.md), on the memory rule's
 * dataflow: every write of the stack pointer leaves it at a known offset
 * from the entry sp, never more than a page (FRAME_MAX) below the lowest
 * frame address the function has written (AState.touched: the return
 * address at entry, then pushes, calls' return addresses, stores into the
 * frame). Each page of a frame is then written before the next one is
 * used, so the guard below a wasm stack (64 KiB, more than a page plus
 * the red zone) cannot be stepped over, whatever the frame's size. Frames
 * larger than a page are LLVM's inline stack probes ("probe-stack" =
 * "inline-asm", set by llvm-lower/module.c): `sub $0x1000,%rsp; movq
 * $0,(%rsp)` unrolled, which the rule follows as it is, or the loop
 *     mov %rsp,%r11; sub $N,%r11
 *   L: sub $0x1000,%rsp; movq $0x0,(%rsp); cmp %r11,%rsp; jne L
 * which moatK_probe_loop takes as one step: sp goes to r11, and every
 * page on the way was written.
 */
#include "memory.h"

void
moatK_stack_touch(AState *st, int64_t at)
{
    if (at < st->touched)
        st->touched = at;
}

bool
moatK_sp_high(const AState *st, int64_t *c)
{
    *c = st->r[4].c;
    return st->r[4].k == A_FRAME || st->r[4].k == A_FRAMES;
}

void
moatK_stack_moved(MS *ms, const AState *st, uint64_t off, bool check)
{
    AVal sp = st->r[4];

    if (!check)
        return;
    if (sp.k != A_FRAME && sp.k != A_FRAMES)
        moatK_rfail(ms, K_STACK, off, "%s moved by an unknown amount",
                    "stack pointer");
    else if (sp.c > 0)      /* the next push or call would write over the
                             * return address or the caller's frame */
        moatK_rfail(ms, K_STACK, off, "%s moved above the return address",
                    "stack pointer");
    else if (sp.c - (sp.k == A_FRAMES ? st->sp_slack : 0) <
             st->touched - FRAME_MAX)
        moatK_rfail(ms, K_STACK, off, "%s moved more than a page below "
                    "the lowest frame address written", "stack pointer");
}

/* Stack realignment (32-byte spills of AVX registers): rsp rounded down
 * to 2^k, k <= 12, so at most 2^k - 1 lower: followed as a range until
 * rsp is set from an exact value again (`lea -N(%rbp),%rsp`). */
bool
moatK_stack_align(AState *st, const ZydisDecodedInstruction *in,
                  const ZydisDecodedOperand *ops)
{
    AVal    sp = st->r[4];
    int64_t m;

    if (in->mnemonic != ZYDIS_MNEMONIC_AND || ops[0].size != 64 ||
        ops[0].type != ZYDIS_OPERAND_TYPE_REGISTER ||
        ops[0].reg.value != ZYDIS_REGISTER_RSP ||
        ops[1].type != ZYDIS_OPERAND_TYPE_IMMEDIATE)
        return false;
    m = -ops[1].imm.value.s;                    /* 2^k */
    if (m <= 0 || m > FRAME_MAX || (m & (m - 1)) ||
        (sp.k != A_FRAME && sp.k != A_FRAMES)) {
        st->r[4] = moatK_top();
        return true;
    }
    st->sp_slack = (sp.k == A_FRAMES ? st->sp_slack : 0) + m - 1;
    st->r[4] = (AVal){ A_FRAMES, sp.c, 0 };
    return true;
}

bool
moatK_frames_ok(const AState *st, const Addr *a, int64_t size, bool write)
{
    if (!a->has_b || a->has_i || a->b.k != A_FRAMES ||
        st->r[4].k != A_FRAMES || a->b.c != st->r[4].c)
        return false;
    if (!write && size == 1 && a->disp == -(int64_t)MOAT_STACK_TRAP_ROOM)
        return true;                            /* the exhaustion probe */
    int64_t hi = a->b.c + a->disp, lo = hi - st->sp_slack;
    return a->disp >= -RED_ZONE && hi + size <= 0 &&
           lo >= st->touched - FRAME_MAX - RED_ZONE;
}

static bool
is_rsp(const ZydisDecodedOperand *o)
{
    return o->type == ZYDIS_OPERAND_TYPE_REGISTER &&
           o->reg.value == ZYDIS_REGISTER_RSP;
}

/* The four instructions of the probe loop, from the block's first. */
static bool
probe_shape(const MS *ms, const ZydisDecoder *d, uint32_t first,
            uint32_t end, int *lim)
{
    ZydisDecodedInstruction in;
    ZydisDecodedOperand     o[ZYDIS_MAX_OPERAND_COUNT];
    const uint64_t         *at = ms->m->insn;

    if (end - first != 4)
        return false;
    for (uint32_t i = 0; i < 4; i++) {
        uint64_t off = at[first + i];
        if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(d, ms->s->data + off,
                                                 ms->f->hi - off, &in, o)))
            return false;
        bool ok = false;
        switch (i) {
        case 0:
            ok = in.mnemonic == ZYDIS_MNEMONIC_SUB && is_rsp(&o[0]) &&
                 o[1].type == ZYDIS_OPERAND_TYPE_IMMEDIATE &&
                 o[1].imm.value.u == FRAME_MAX;
            break;
        case 1:
            ok = in.mnemonic == ZYDIS_MNEMONIC_MOV &&
                 o[0].type == ZYDIS_OPERAND_TYPE_MEMORY &&
                 o[0].mem.base == ZYDIS_REGISTER_RSP &&
                 o[0].mem.index == ZYDIS_REGISTER_NONE &&
                 o[0].mem.segment == ZYDIS_REGISTER_SS &&
                 o[0].mem.disp.value == 0 && o[0].size == 64 &&
                 o[1].type == ZYDIS_OPERAND_TYPE_IMMEDIATE;
            break;
        case 2:
            ok = in.mnemonic == ZYDIS_MNEMONIC_CMP && is_rsp(&o[0]) &&
                 o[1].type == ZYDIS_OPERAND_TYPE_REGISTER &&
                 o[1].size == 64 && (*lim = moatK_gpr(o[1].reg.value)) >= 0;
            break;
        case 3:
            ok = in.mnemonic == ZYDIS_MNEMONIC_JNZ &&
                 in.raw.imm[0].is_relative &&
                 off + in.length + (uint64_t)in.raw.imm[0].value.s ==
                     at[first];
            break;
        }
        if (!ok)
            return false;
    }
    return true;
}

bool
moatK_probe_loop(const MS *ms, const ZydisDecoder *d, uint32_t first,
                 uint32_t end, AState *st)
{
    int  lim = -1;
    AVal sp = st->r[4];

    if (!probe_shape(ms, d, first, end, &lim) || lim == 4)
        return false;
    AVal to = st->r[lim];
    /* each step: a page down from a written address, then written */
    if (sp.k != A_FRAME || to.k != A_FRAME || to.c >= sp.c ||
        (sp.c - to.c) % FRAME_MAX != 0 || sp.c < st->touched)
        return false;
    st->r[4] = to;
    moatK_stack_touch(st, to.c);
    moatK_slot_drop(st, to.c, sp.c);
    st->fk = FK_NONE;
    return true;
}
