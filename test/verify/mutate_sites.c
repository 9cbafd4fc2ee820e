/* mutate_sites.c - the mutations of the mutation score (mutate.c;
 * docs/verify.md "Mutation score"), each applied at every instruction
 * where it fits, length-preserving (padding with nops), never over bytes
 * a relocation patches (the reloc rule would reject those for another
 * reason). The classes, as issue 11 names them:
 *   trap checks  a conditional branch to `call moatR_trap` dropped or
 *                inverted, its compare's immediate raised by one or the
 *                compare dropped; named by the trap code passed in esi
 *                (bounds, null, type: escapes; arith, stack: not, see
 *                the class comments)
 *   widening     a 32-bit register write made 64-bit (REX.W), a
 *                zero-extension (`mov %eX,%eX`) dropped, a heap index
 *                replaced by the base pointer register
 *   constants    a memory displacement set to 0x7fffffff or moved 2 GiB
 *   calls        a direct call moved one byte on or far away, `call
 *                *%rax`, `mov $c,%eax; call *%rax`
 *   jumps        a direct branch into the middle of an instruction or
 *                before its function
 *   stack        `sub %rax,%rsp`, `sub $1 GiB,%rsp`, `add $0x40,%rsp`,
 *                `mov %rax,%rsp`
 *   base         the base register of a memory access zeroed just
 *                before it (the heap base written)
 *   system       syscall, int $0x80, sysenter, wrfsbase, mov to ds/fs
 */
#include <stdio.h>
#include <string.h>

#include "mutate.h"

static bool dead_padding(const MFunc *F, uint32_t i);
static int  trap_code(const MFunc *F, int i);

/* Writes code over instruction i, nops after it; skipped where it does
 * not fit or a relocation overlaps the instruction. */
static void
over(const MFunc *F, const char *cls, int kind, uint32_t i,
     const uint8_t *code, size_t n)
{
    const MInsn *s = &F->insn[i];
    uint8_t      b[16];

    char         dead[64];

    if (s->has_rel || n > s->in.length)
        return;
    if (kind == MT_ESCAPE && dead_padding(F, i)) {
        snprintf(dead, sizeof dead, "%s:dead-padding", cls);
        cls = dead;
        kind = MT_NOT_ESCAPE;
    } else if (!strncmp(cls, "rsp-", 4) && trap_code(F, (int)i + 1) >= 0) {
        /* still an escape: the call writes its return address at the
         * new sp, and moatR_trap runs its frame there */
        snprintf(dead, sizeof dead, "%s:before-trap", cls);
        cls = dead;
    }
    memset(b, 0x90, s->in.length);
    memcpy(b, code, n);
    mt_emit(F, cls, kind, i, F->code_off + s->off, b, s->in.length);
}

/* Instruction i's bytes with the byte at k xor x. */
static void
flip(const MFunc *F, const char *cls, int kind, uint32_t i, unsigned k,
     uint8_t x)
{
    const MInsn *s = &F->insn[i];
    uint8_t      b[16];

    memcpy(b, F->bytes + F->code_off + s->off, s->in.length);
    b[k] ^= x;
    mt_emit(F, cls, kind, i, F->code_off + s->off, b, s->in.length);
}

static int
index_at(const MFunc *F, uint64_t off)
{
    uint32_t lo = 0, hi = F->ninsn;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (F->insn[mid].off < off)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < F->ninsn && F->insn[lo].off == off ? (int)lo : -1;
}

static bool
is_branch(const MInsn *s)
{
    ZydisInstructionCategory c = s->in.meta.category;
    return c == ZYDIS_CATEGORY_COND_BR || c == ZYDIS_CATEGORY_UNCOND_BR ||
           c == ZYDIS_CATEGORY_CALL || c == ZYDIS_CATEGORY_RET;
}

/* The symbol a relocation in instruction s names, or "". */
static const char *
rel_symbol(const MFunc *F, const MInsn *s)
{
    uint32_t    n;
    const KRel *r = moatK_rels_in(&F->o->sec[F->f->sec], s->off,
                                  s->off + s->in.length, &n);
    if (n != 1 || r->sym >= F->o->nsym || !F->o->sym[r->sym].name)
        return "";
    return F->o->sym[r->sym].name;
}

/* When the straight-line code from instruction i calls moatR_trap: the
 * trap code moved into esi before it (0 when none was seen); else -1. */
static int
trap_code(const MFunc *F, int i)
{
    int code = 0;
    for (int k = 0; i >= 0 && k < 8 && (uint32_t)i < F->ninsn; k++, i++) {
        const MInsn *s = &F->insn[i];
        if (s->in.mnemonic == ZYDIS_MNEMONIC_CALL)
            return !strcmp(rel_symbol(F, s), "moatR_trap") ? code : -1;
        if (is_branch(s))
            return -1;
        if (s->in.mnemonic == ZYDIS_MNEMONIC_MOV &&
            s->ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER &&
            s->ops[0].reg.value == ZYDIS_REGISTER_ESI &&
            s->ops[1].type == ZYDIS_OPERAND_TYPE_IMMEDIATE)
            code = (int)s->ops[1].imm.value.s;
    }
    return -1;
}

/* A trap code's class name and whether dropping its check escapes:
 * bounds (memory, table, call_indirect's index), a null funcref, a
 * signature mismatch: escapes. Division, overflow, conversion,
 * unreachable, alignment of atomics: the check keeps wasm's semantics,
 * not the sandbox (a dropped division check faults with #DE, a host
 * signal the runtime turns into a trap). Stack exhaustion: the memory
 * rule bounds every frame to 4 KiB below the entry sp and the wasm
 * stack has a 64 KiB guard below it, so the check only names the trap
 * earlier (abi.h, MOAT_STACK_TRAP_ROOM). */
static const char *
trap_class(int code, int *kind, const char *what)
{
    static char buf[64];
    const char *k;

    *kind = MT_ESCAPE;
    switch (code) {
    case 2: case 6: case 12: k = "bounds"; break;
    case 7: k = "null"; break;
    case 8: k = "type"; break;
    case 9: k = "stack"; *kind = MT_NOT_ESCAPE; break;
    case 0: k = "unknown"; break;
    default: k = "arith"; *kind = MT_NOT_ESCAPE; break;
    }
    snprintf(buf, sizeof buf, "%s:%s", what, k);
    return buf;
}

/* The compare (or test) that sets the flags of branch i, if it is the
 * instruction just before it. */
static int
flag_setter(const MFunc *F, uint32_t i)
{
    if (i == 0)
        return -1;
    ZydisMnemonic m = F->insn[i - 1].in.mnemonic;
    return m == ZYDIS_MNEMONIC_CMP || m == ZYDIS_MNEMONIC_TEST ||
                   m == ZYDIS_MNEMONIC_SUB || m == ZYDIS_MNEMONIC_AND
               ? (int)i - 1 : -1;
}

/* A conditional branch to a trap (taken, or on the fall-through): made
 * never to trap (nops, or an unconditional jump over the trap), inverted,
 * its compare's immediate raised by one, its compare dropped. */
static void
trap_checks(const MFunc *F, uint32_t i)
{
    const MInsn *s = &F->insn[i];
    int          kind;

    if (s->in.meta.category != ZYDIS_CATEGORY_COND_BR ||
        !s->in.raw.imm[0].is_relative || s->has_rel)
        return;
    uint64_t to = s->off + s->in.length + (uint64_t)s->in.raw.imm[0].value.s;
    int      taken = trap_code(F, index_at(F, to));
    int      fall = trap_code(F, (int)i + 1);
    if (taken < 0 && fall < 0)
        return;
    unsigned      len = s->in.length, isz = s->in.raw.imm[0].size / 8;
    unsigned      op = len - isz - (isz == 1 ? 1 : 2);  /* 7x or 0f 8x */
    const uint8_t *b = F->bytes + F->code_off + s->off;
    uint8_t       m[16];
    const char   *cls = trap_class(taken >= 0 ? taken : fall, &kind,
                                   "trap-check-dropped");
    if (taken >= 0) {
        memset(m, 0x90, len);
    } else if (isz == 1) {                  /* jmp rel8 over the trap */
        m[0] = 0xeb;
        m[1] = b[len - 1];
    } else {                                /* nop; jmp rel32 */
        memset(m, 0x90, len);
        m[len - 5] = 0xe9;
        memcpy(m + len - 4, b + len - 4, 4);
    }
    mt_emit(F, cls, kind, i, F->code_off + s->off, m, len);
    flip(F, trap_class(taken >= 0 ? taken : fall, &kind,
                       "trap-check-inverted"), kind, i,
         op + (isz == 1 ? 0 : 1), 1);
    int c = flag_setter(F, i);
    if (c < 0)
        return;
    const MInsn *cs = &F->insn[c];
    cls = trap_class(taken >= 0 ? taken : fall, &kind, "trap-cmp-dropped");
    m[0] = 0x90;
    over(F, cls, kind, (uint32_t)c, m, 1);
    const struct ZydisDecodedInstructionRawImm_ *imm = &cs->in.raw.imm[0];
    if (imm->size == 0 || imm->is_relative || cs->has_rel)
        return;
    memcpy(m, F->bytes + F->code_off + cs->off, cs->in.length);
    int64_t v = imm->value.s + 1;
    if ((imm->size == 8 && v > 127) || (imm->size == 32 && v > INT32_MAX))
        return;
    if (imm->size == 8)
        m[imm->offset] = (uint8_t)v;
    else if (imm->size == 32) {
        int32_t v32 = (int32_t)v;
        memcpy(m + imm->offset, &v32, 4);
    } else
        return;
    mt_emit(F, trap_class(taken >= 0 ? taken : fall, &kind,
                          "trap-bound-plus-one"), kind, (uint32_t)c,
            F->code_off + cs->off, m, cs->in.length);
}

static ZydisRegister
gpr64(ZydisRegister r)
{
    ZydisRegisterClass c = ZydisRegisterGetClass(r);
    if (c != ZYDIS_REGCLASS_GPR64 && c != ZYDIS_REGCLASS_GPR32 &&
        c != ZYDIS_REGCLASS_GPR16 && c != ZYDIS_REGCLASS_GPR8)
        return ZYDIS_REGISTER_NONE;
    return ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, r);
}

/* An access to memory (not lea, a nop or a prefetch, which touch none). */
static bool
accesses_memory(const MInsn *s, unsigned k)
{
    ZydisMnemonic m = s->in.mnemonic;
    return s->ops[k].type == ZYDIS_OPERAND_TYPE_MEMORY &&
           s->ops[k].visibility == ZYDIS_OPERAND_VISIBILITY_EXPLICIT &&
           m != ZYDIS_MNEMONIC_LEA && m != ZYDIS_MNEMONIC_NOP &&
           s->in.meta.category != ZYDIS_CATEGORY_PREFETCH;
}

/* Whether the value of register r after instruction i reaches an address
 * (base or index of an access) in the straight-line code after it, with
 * its upper half: it flows through 64-bit writes (mov, add, lea ...);
 * a 32-bit write clears the upper half, and stops it. */
static bool
reaches_address(const MFunc *F, uint32_t i, ZydisRegister r)
{
    uint32_t live = 1u << ZydisRegisterGetId(r);

    for (uint32_t j = i + 1; j < F->ninsn && j < i + 24 && live; j++) {
        const MInsn *s = &F->insn[j];
        bool         reads = false;
        for (unsigned k = 0; k < s->in.operand_count; k++) {
            const ZydisDecodedOperand *o = &s->ops[k];
            if (o->type == ZYDIS_OPERAND_TYPE_MEMORY) {
                ZydisRegister b = gpr64(o->mem.base), x = gpr64(o->mem.index);
                bool u = (b && (live >> ZydisRegisterGetId(b) & 1)) ||
                         (x && (live >> ZydisRegisterGetId(x) & 1));
                if (u && accesses_memory(s, k))
                    return true;
                reads |= u;
            } else if (o->type == ZYDIS_OPERAND_TYPE_REGISTER &&
                       (o->actions & ZYDIS_OPERAND_ACTION_MASK_READ) &&
                       gpr64(o->reg.value) &&
                       (live >> ZydisRegisterGetId(gpr64(o->reg.value)) & 1))
                reads = true;
        }
        const ZydisDecodedOperand *d = &s->ops[0];
        if (is_branch(s))
            return false;
        if (d->type == ZYDIS_OPERAND_TYPE_REGISTER &&
            (d->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE) &&
            gpr64(d->reg.value)) {
            uint32_t bit = 1u << ZydisRegisterGetId(gpr64(d->reg.value));
            if (reads && d->size == 64)
                live |= bit;
            else
                live &= ~bit;
        }
    }
    return false;
}

/* Instruction i is alignment padding no path reaches: a run of nops
 * right after a jmp, a ret or a call of moatR_trap (which does not
 * return). Branches land after the padding, not in it. */
static bool
dead_padding(const MFunc *F, uint32_t i)
{
    while (i > 0 && F->insn[i].in.mnemonic == ZYDIS_MNEMONIC_NOP)
        i--;
    if (F->insn[i + (i + 1 < F->ninsn)].in.mnemonic != ZYDIS_MNEMONIC_NOP)
        return false;
    const MInsn *s = &F->insn[i];
    return s->in.mnemonic == ZYDIS_MNEMONIC_JMP ||
           s->in.mnemonic == ZYDIS_MNEMONIC_RET ||
           (s->in.mnemonic == ZYDIS_MNEMONIC_CALL &&
            !strcmp(rel_symbol(F, s), "moatR_trap"));
}

/* Whether register r's upper half is zero before instruction i: its last
 * write in the straight-line code before i was a 32-bit one (which
 * zero-extends). Unknown (false) past a branch or 24 instructions. */
static bool
upper_zero_before(const MFunc *F, uint32_t i, ZydisRegister r)
{
    for (uint32_t j = i; j-- > 0 && j + 24 > i;) {
        const MInsn *s = &F->insn[j];
        if (is_branch(s))
            return false;
        for (unsigned k = 0; k < s->in.operand_count; k++) {
            const ZydisDecodedOperand *o = &s->ops[k];
            if (o->type == ZYDIS_OPERAND_TYPE_REGISTER &&
                (o->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE) &&
                gpr64(o->reg.value) == r)
                return ZydisRegisterGetClass(o->reg.value) ==
                       ZYDIS_REGCLASS_GPR32;
        }
    }
    return false;
}

/* A 32-bit register write with a REX prefix made 64-bit (REX.W), where
 * the result reaches an address: the index's upper half is no longer
 * cleared. A zero-extension `mov %eX,%eX` dropped where the register
 * then reaches an address. Writes whose value reaches no address in the
 * straight-line code after them are a class apart, not escapes by
 * construction (an arithmetic result made 64-bit). */
static void
widen(const MFunc *F, uint32_t i)
{
    const MInsn *s = &F->insn[i];
    const ZydisDecodedOperand *d = &s->ops[0];

    if (s->has_rel || d->type != ZYDIS_OPERAND_TYPE_REGISTER ||
        !(d->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE) ||
        ZydisRegisterGetClass(d->reg.value) != ZYDIS_REGCLASS_GPR32)
        return;
    bool esc = reaches_address(F, i, gpr64(d->reg.value));
    const ZydisDecodedOperand *src = &s->ops[1];
    bool src_zero = src->type == ZYDIS_OPERAND_TYPE_REGISTER &&
                    gpr64(src->reg.value) &&
                    upper_zero_before(F, i, gpr64(src->reg.value));
    if (s->in.mnemonic == ZYDIS_MNEMONIC_MOV &&
        src->type == ZYDIS_OPERAND_TYPE_REGISTER &&
        src->reg.value == d->reg.value) {
        static const uint8_t nop = 0x90;
        const char *cls = !esc ? "zext-dropped:no-address"
                          : src_zero ? "zext-dropped:upper-already-zero"
                          : "zext-dropped";
        over(F, cls, esc && !src_zero ? MT_ESCAPE : MT_NOT_ESCAPE, i, &nop,
             1);
        return;
    }
    /* movzx stays a zero-extension when made 64-bit; a mov of a register
     * whose upper half is zero copies a value below 2^32 either way; an
     * `and` with a non-negative immediate and `xor`/`sub` of a register
     * with itself give the same value at either width (same-value) */
    bool same_value =
        (s->in.mnemonic == ZYDIS_MNEMONIC_AND &&
         src->type == ZYDIS_OPERAND_TYPE_IMMEDIATE && src->imm.value.s >= 0) ||
        ((s->in.mnemonic == ZYDIS_MNEMONIC_XOR ||
          s->in.mnemonic == ZYDIS_MNEMONIC_SUB) &&
         src->type == ZYDIS_OPERAND_TYPE_REGISTER &&
         src->reg.value == d->reg.value);
    if (s->in.mnemonic == ZYDIS_MNEMONIC_MOVZX ||
        (s->in.mnemonic == ZYDIS_MNEMONIC_MOV && src_zero) || same_value)
        esc = false;
    if (!(s->in.attributes & ZYDIS_ATTRIB_HAS_REX) || s->in.raw.rex.W)
        return;
    uint8_t b[16];
    ZydisDecoder dec;
    ZydisDecodedInstruction t;
    ZydisDecodedOperand to[ZYDIS_MAX_OPERAND_COUNT];
    memcpy(b, F->bytes + F->code_off + s->off, s->in.length);
    b[s->in.raw.rex.offset] |= 8;
    ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
    if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, b, s->in.length, &t, to))
        || t.length != s->in.length || to[0].size != 64)
        return;
    mt_emit(F, same_value ? "widen-32-to-64:same-value"
               : esc ? "widen-32-to-64" : "widen-32-to-64:no-address",
            esc ? MT_ESCAPE : MT_NOT_ESCAPE, i, F->code_off + s->off, b,
            s->in.length);
}

/* Memory accesses: a 32-bit displacement set to 0x7fffffff (past the
 * guard from an index near 2^32 only) or moved by 2 GiB; the index replaced by the base
 * register (a 64-bit pointer: base * 2 + disp); the base register zeroed
 * by the instruction before (an absolute address: the heap base
 * written). */
static void
memory_sites(const MFunc *F, uint32_t i)
{
    const MInsn *s = &F->insn[i];
    const uint8_t *ib = F->bytes + F->code_off + s->off;
    uint8_t b[16];

    for (unsigned k = 0; k < s->in.operand_count; k++) {
        const ZydisDecodedOperand *o = &s->ops[k];
        if (!accesses_memory(s, k) || o->mem.base == ZYDIS_REGISTER_RIP ||
            s->has_rel)
            continue;
        ZydisRegister base = gpr64(o->mem.base), idx = gpr64(o->mem.index);
        uint64_t      at = F->code_off + s->off;
        if (s->in.raw.disp.size == 32) {
            /* not escapes by construction: with the base only, the base
             * may be heap + a constant, and 0x7fffffff more stays in the
             * reservation; with an index, heap + index + 0x7fffffff + n
             * passes the 6 GiB only for an index within n - 2 of 2^32,
             * and the checker bounds indices (an access at index + d
             * that did not fault: index < 2^32 - d; an `and`): whether
             * it escapes depends on the index's range (docs/verify.md) */
            int32_t v = INT32_MAX;
            memcpy(b, ib, s->in.length);
            memcpy(b + s->in.raw.disp.offset, &v, 4);
            mt_emit(F, idx ? "disp-0x7fffffff:index"
                           : "disp-0x7fffffff:base-only",
                    MT_NOT_ESCAPE, i, at, b, s->in.length);
            memcpy(b, ib, s->in.length);
            b[s->in.raw.disp.offset + 3] ^= 0x80;
            if (o->mem.disp.value >= 0)
                mt_emit(F, "disp-minus-2gib", MT_ESCAPE, i, at, b,
                        s->in.length);
        }
        if (base && idx && base != idx &&
            (s->in.attributes & ZYDIS_ATTRIB_HAS_SIB) &&
            base != ZYDIS_REGISTER_RSP && base != ZYDIS_REGISTER_RBP &&
            base != ZYDIS_REGISTER_R13) {
            unsigned id = ZydisRegisterGetId(base);
            bool rex = s->in.attributes & ZYDIS_ATTRIB_HAS_REX;
            if (id < 8 || rex) {
                memcpy(b, ib, s->in.length);
                uint8_t *sib = b + s->in.raw.sib.offset;
                *sib = (uint8_t)((*sib & 0xc7) | (id & 7) << 3);
                if (rex)
                    b[s->in.raw.rex.offset] = (uint8_t)(
                        (b[s->in.raw.rex.offset] & ~2) | (id >> 3) << 1);
                mt_emit(F, "index-made-pointer", MT_ESCAPE, i,
                        F->code_off + s->off, b, s->in.length);
            }
        }
        if (base && base != ZYDIS_REGISTER_RSP && i > 0 &&
            !is_branch(&F->insn[i - 1])) {
            /* with an index of scale 1 either register may be the heap
             * base: both are zeroed (the address is then absolute) */
            ZydisRegister zero[2] = { base, idx };
            unsigned      n = 0;
            for (int z = 0; z < 2 && zero[z]; z++) {
                unsigned id = ZydisRegisterGetId(zero[z]);
                if (id >= 8)
                    b[n++] = 0x45;
                b[n++] = 0x31;
                b[n++] = (uint8_t)(0xc0 | (id & 7) << 3 | (id & 7));
            }
            over(F, "base-reg-zeroed", MT_ESCAPE, i - 1, b, n);
        }
    }
}

/* Direct calls moved: one byte into their target, or 0x7ff00000 bytes
 * away (through the relocation's addend when there is one; the RELA
 * record is found by its bytes). */
static void
calls(const MFunc *F, uint32_t i)
{
    const MInsn *s = &F->insn[i];
    if (s->in.mnemonic != ZYDIS_MNEMONIC_CALL ||
        !s->in.raw.imm[0].is_relative)
        return;
    const KSec *sec = &F->o->sec[F->f->sec];
    uint32_t    n;
    const KRel *r = moatK_rels_in(sec, s->off, s->off + s->in.length, &n);
    static const int32_t moves[2] = { 1, 0x7ff00000 };
    static const char *const names[2] = { "call-into-insn", "call-far" };
    if (n == 1) {
        uint64_t rec[3] = { r->off, (uint64_t)r->sym << 32 | r->type,
                            (uint64_t)r->addend };
        const uint8_t *at = memmem(F->bytes, F->len, rec, sizeof rec);
        for (int k = 0; at && k < 2; k++) {
            uint64_t a = rec[2] + (uint64_t)moves[k];
            mt_emit(F, names[k], MT_ESCAPE, i,
                    (uint64_t)(at - F->bytes) + 16, (uint8_t *)&a, 8);
        }
        return;
    }
    if (n)
        return;
    uint8_t b[16];
    const uint8_t *ib = F->bytes + F->code_off + s->off;
    for (int k = 0; k < 2; k++) {
        int32_t v;
        memcpy(b, ib, s->in.length);
        memcpy(&v, b + s->in.raw.imm[0].offset, 4);
        v = (int32_t)((uint32_t)v + (uint32_t)moves[k]);
        memcpy(b + s->in.raw.imm[0].offset, &v, 4);
        mt_emit(F, names[k], MT_ESCAPE, i, F->code_off + s->off, b,
                s->in.length);
    }
}

/* A direct branch into the middle of the instruction it targets, or to
 * the byte before its function. */
static void
jumps(const MFunc *F, uint32_t i)
{
    const MInsn *s = &F->insn[i];
    ZydisInstructionCategory c = s->in.meta.category;
    if ((c != ZYDIS_CATEGORY_COND_BR && c != ZYDIS_CATEGORY_UNCOND_BR) ||
        !s->in.raw.imm[0].is_relative || s->has_rel)
        return;
    unsigned isz = s->in.raw.imm[0].size / 8, io = s->in.raw.imm[0].offset;
    int64_t  end = (int64_t)(s->off + s->in.length);
    int64_t  rel = s->in.raw.imm[0].value.s;
    int      t = index_at(F, (uint64_t)(end + rel));
    int64_t  out = (int64_t)F->f->lo - 1 - end;
    uint8_t  b[16];
    const uint8_t *ib = F->bytes + F->code_off + s->off;
    int64_t  want[2] = { rel + 1, out };
    for (int k = 0; k < 2; k++) {
        if (k == 0 && (t < 0 || F->insn[t].in.length < 2))
            continue;
        if (isz == 1 && (want[k] < -128 || want[k] > 127))
            continue;
        memcpy(b, ib, s->in.length);
        if (isz == 1)
            b[io] = (uint8_t)(int8_t)want[k];
        else {
            int32_t v = (int32_t)want[k];
            memcpy(b + io, &v, 4);
        }
        mt_emit(F, k ? "jump-out-of-function" : "jump-into-insn", MT_ESCAPE,
                i, F->code_off + s->off, b, s->in.length);
    }
}

/* Code written over the instruction, wherever it fits. */
static void
overwrites(const MFunc *F, uint32_t i)
{
    static const struct {
        const char *cls;
        uint8_t     code[8];
        size_t      n;
    } w[] = {
        { "rsp-sub-reg", { 0x48, 0x29, 0xc4 }, 3 },
        { "rsp-sub-1gib", { 0x48, 0x81, 0xec, 0, 0, 0, 0x40 }, 7 },
        { "rsp-add", { 0x48, 0x83, 0xc4, 0x40 }, 4 },
        { "rsp-set", { 0x48, 0x89, 0xc4 }, 3 },
        { "call-reg", { 0xff, 0xd0 }, 2 },
        { "call-reg-const", { 0xb8, 0x41, 0x41, 0x41, 0x41, 0xff, 0xd0 }, 7 },
        { "syscall", { 0x0f, 0x05 }, 2 },
        { "int-0x80", { 0xcd, 0x80 }, 2 },
        { "sysenter", { 0x0f, 0x34 }, 2 },
        { "wrfsbase", { 0xf3, 0x48, 0x0f, 0xae, 0xd0 }, 5 },
        { "mov-to-ds", { 0x8e, 0xd8 }, 2 },
        { "mov-to-fs", { 0x8e, 0xe0 }, 2 },
    };
    for (size_t k = 0; k < sizeof w / sizeof w[0]; k++)
        over(F, w[k].cls, MT_ESCAPE, i, w[k].code, w[k].n);
}

void
mt_mutate_insn(const MFunc *F, uint32_t i)
{
    trap_checks(F, i);
    widen(F, i);
    memory_sites(F, i);
    calls(F, i);
    jumps(F, i);
    overwrites(F, i);
}
