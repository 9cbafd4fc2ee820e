/* table.c - proves an indirect jump is a bounded jump-table jump (rule
 * "table"), the shape LLVM gives a switch at -O0 and -O2:
 *
 *     cmp $N, %esi            (or sub $N, %rax at -O0, the index spilled)
 *     ja  default             (or jae: bound N - 1; or and $N, %esi)
 *     lea T(%rip), %rcx       (PC32 relocation to a data section)
 *     mov %esi, %eax
 *     movslq (%rcx,%rax,4), %rax
 *     add %rcx, %rax
 *     jmp *%rax
 *
 * It executes the straight-line run of instructions before the jump
 * symbolically (every register write is a fresh value unless it copies
 * one; stack slots at constant rbp/rsp offsets are tracked, a slot read
 * before any write holds one value; a bound comes from the
 * compare-and-branch of a register's low 8, 16, 32 bits or all of it or
 * of a frame slot, `and`, `shr`, `bextr`; a call keeps rbx, rbp, r12-r15
 * when the callee does, rule saved), starting from what table_base.c
 * knows there (table addresses, bounds of registers and spills, which of
 * them hold equal values: one symbol each; a spill only while the run
 * has not written it, table_dirty.c), then checks each of the N + 1 table
 * entries (table_entries.c): a PC32 relocation whose target is an
 * instruction of the same function. The
 * jumps of a function are proven together (moatK_prove_tables). decode.c
 * then checks that no branch enters the run past its start. Anything
 * else is not proven, so rejected.
 */
#include <Zydis/Zydis.h>
#include <inttypes.h>
#include <string.h>

#include "regs.h"
#include "util.h"
#include "verify.h"

#define WINDOW 32u          /* instructions before the jump we look at */
#define NSLOT  16u
#define NFACT  64u
#define MAX_GUESS   16u     /* guess rounds while the guess grows: a chain
                             * of jumps, each reached from the targets of
                             * the one before, grows by one a round */
#define MAX_ROUNDS  4u      /* of moatK_prove_tables: each recomputes
                             * table_base.c's analysis */

enum { R_NO, R_OK };            /* a jump: not proven, proven */

enum { V_SYM, V_TABLE, V_ENTRY, V_TARGET, V_CONST /* value n */ };

/* How a register holds a symbol's value: whole, or zero-extended from its
 * low 32, 16 or 8 bits (each narrower form is at most the wider ones). */
enum { F_FULL, F_ZX32, F_ZX16, F_ZX8 };

typedef struct Val {
    uint8_t  kind;
    uint8_t  form;          /* V_SYM: F_* */
    uint32_t sym;
    uint32_t tsec;          /* tables: section and offset of entry 0 */
    uint64_t toff, n;       /* entries 0..n */
} Val;

typedef struct Slot {
    bool     used;
    uint8_t  base;          /* register index: rsp or rbp */
    int64_t  disp;
    uint8_t  size;
    Val      v;
} Slot;

typedef struct Fact {
    uint32_t sym;
    uint8_t  form;
    uint64_t max;           /* value <= max */
} Fact;

typedef struct Sym {
    KCheck      *c;
    const KFunc *f;
    Val          reg[16];
    Slot         slot[NSLOT];
    Fact         fact[NFACT];
    uint32_t     nfact, next_sym;
    bool         has_cmp;   /* flags are `cmp val, imm` */
    Val          cmp_val;
    uint8_t      cmp_form;  /* the compare's width as a form */
    uint64_t     cmp_imm;
    const KRange *g;        /* table_range.c's bounds at the start */
    uint32_t     csym[64];  /* per rep32 class of g: its symbol + 1 */
    KDirty       dirty;     /* the frame the run wrote (table_dirty.c) */
    uint8_t      cfull[64]; /* the rep class whose value it is in full */
} Sym;

static Val
fresh(Sym *s, bool zx32)
{
    return (Val){ .kind = V_SYM, .form = zx32 ? F_ZX32 : F_FULL,
                  .sym = s->next_sym++ };
}

/* al, cl, ... r15b: the low byte (ah, bh, ch, dh are not). */
static bool
low_byte(ZydisRegister r)
{
    return ZydisRegisterGetWidth(ZYDIS_MACHINE_MODE_LONG_64, r) == 8 &&
           r != ZYDIS_REGISTER_AH && r != ZYDIS_REGISTER_BH &&
           r != ZYDIS_REGISTER_CH && r != ZYDIS_REGISTER_DH;
}

static bool
bounded(const Sym *s, const Val *v, uint64_t *max)
{
    bool found = false;

    if (v->kind != V_SYM)
        return false;
    for (uint32_t i = 0; i < s->nfact; i++)      /* the tightest bound */
        if (s->fact[i].sym == v->sym && s->fact[i].form == v->form &&
            (!found || s->fact[i].max < *max)) {
            *max = s->fact[i].max;
            found = true;
        }
    return found;
}

/* value <= max for sym in form, and so in every narrower form */
static void
add_fact(Sym *s, uint32_t sym, uint8_t form, uint64_t max)
{
    for (uint8_t f = form; f <= F_ZX8; f++)
        if (s->nfact < NFACT)
            s->fact[s->nfact++] = (Fact){ sym, f, max };
}

/* The fall-through of ja/jae/jne/je after `cmp v, imm`: v <= imm (ja,
 * jne) or v <= imm - 1 (jae; je when v is known at most imm). A compare of the low 32, 16 or 8 bits bounds the
 * value in that form, unless the register already holds a narrower one
 * or is known to fit in those bits (then the compare saw all of it). */
static void
branch_fact(Sym *s, ZydisMnemonic m)
{
    static const uint64_t fits[] = { UINT64_MAX, 0xffffffffu, 0xffff,
                                     0xff };
    uint64_t max = s->cmp_imm, b;

    if (!s->has_cmp || s->cmp_val.kind != V_SYM)
        return;
    bool    has_b = bounded(s, &s->cmp_val, &b);
    uint8_t form = s->cmp_form > s->cmp_val.form ? s->cmp_form
                                                 : s->cmp_val.form;
    if (has_b && b <= fits[s->cmp_form])
        form = s->cmp_val.form;
    if (m == ZYDIS_MNEMONIC_JZ) {       /* not equal: a bound of imm drops */
        if (form != s->cmp_val.form || !has_b || b != max || max == 0)
            return;
        max--;
    } else if (m == ZYDIS_MNEMONIC_JNB) {
        if (max == 0)
            return;
        max--;
    } else if (m != ZYDIS_MNEMONIC_JNBE && m != ZYDIS_MNEMONIC_JNZ) {
        return;                         /* (jne falls through: equal) */
    }
    add_fact(s, s->cmp_val.sym, form, max);
}

static Slot *
slot_at(Sym *s, int base, int64_t disp)
{
    for (uint32_t i = 0; i < NSLOT; i++)
        if (s->slot[i].used && s->slot[i].base == base &&
            s->slot[i].disp == disp)
            return &s->slot[i];
    return NULL;
}

/* A write of size bytes at [base + disp] (base -1: anywhere in the
 * frame, -2: anywhere but the frame): drops what it overlaps, and what g
 * says of it. */
static void
slot_clobber(Sym *s, int base, int64_t disp, uint16_t size)
{
    if (base != -2)             /* -2: a store assumed not to the frame */
        moatK_dirty_write(&s->dirty, base, disp, size);
    for (uint32_t i = 0; i < NSLOT; i++) {
        Slot *t = &s->slot[i];
        if (t->used && (base < 0 || (t->base == base &&
                                     t->disp < disp + size &&
                                     disp < t->disp + t->size)))
            t->used = false;
    }
}

/* The value of a register or slot at the window's start that
 * table_range.c puts in copy classes rep, rep32 (0: none) with bound max:
 * one symbol per rep32 class, so that equal values are one symbol; a
 * member whose upper half is zero is its zero-extended low half, one rep
 * class of the others the symbol itself; other members fresh. */
static Val
class_val(Sym *s, uint8_t rep, uint8_t rep32, uint64_t max)
{
    Val v = fresh(s, max <= UINT32_MAX);

    if (rep32 && rep32 < 64 && (max <= UINT32_MAX ||
                                (rep && (!s->cfull[rep32] ||
                                         s->cfull[rep32] == rep)))) {
        if (!s->csym[rep32])
            s->csym[rep32] = fresh(s, false).sym + 1;
        v.sym = s->csym[rep32] - 1;
        if (max > UINT32_MAX)
            s->cfull[rep32] = rep;
    }
    if (max < UINT64_MAX)       /* table_range.c's bound, in v's form */
        add_fact(s, v.sym, v.form, max);
    return v;
}

/* Whether g (the window's start) still says what [rbp + disp, + size)
 * holds: the run has not written it. */
static bool
start_holds(const Sym *s, int base, int64_t disp, uint8_t size)
{
    return base == 5 && s->g && moatK_dirty_holds(&s->dirty, disp, size);
}

/* A slot the run has not written, loaded: a value it then holds until
 * written (so two loads of it are the same value), what table_range.c
 * knows of an rbp slot if the run has not written it since. NULL when no
 * slot is free. */
static Slot *
slot_first_load(Sym *s, int base, int64_t disp, uint8_t size)
{
    bool          held = start_holds(s, base, disp, size);
    uint64_t      max = held ? moatK_range_slot(s->g, disp, size)
                             : UINT64_MAX;
    const KRSlot *t = held ? moatK_copy_slot((KRange *)s->g, disp, size)
                           : NULL;

    if (!t && size == 4 && held)                /* a low half */
        t = moatK_copy_slot((KRange *)s->g, disp, 8);
    for (uint32_t i = 0; i < NSLOT; i++)
        if (!s->slot[i].used) {
            uint8_t rep = t && t->size == size ? t->rep : 0;
            Val     v = class_val(s, rep, t ? t->rep32 : 0,
                                  size == 4 && max > UINT32_MAX ? UINT32_MAX
                                                                : max);
            s->slot[i] = (Slot){ true, (uint8_t)base, disp, size, v };
            return &s->slot[i];
        }
    return NULL;
}

static bool
is_frame_mem(const ZydisDecodedOperand *o, int *base)
{
    *base = moatK_gpr(o->mem.base);
    return o->type == ZYDIS_OPERAND_TYPE_MEMORY &&
           o->mem.index == ZYDIS_REGISTER_NONE &&
           o->mem.segment != ZYDIS_REGISTER_FS &&
           o->mem.segment != ZYDIS_REGISTER_GS &&
           (*base == 4 || *base == 5);          /* rsp, rbp */
}

/* What a mov/movsxd/lea computes, when it is a shape we follow. */
static bool
model_move(Sym *s, uint64_t off, const ZydisDecodedInstruction *in,
           const ZydisDecodedOperand *ops, Val *out)
{
    const ZydisDecodedOperand *d = &ops[0], *src = &ops[1];
    int                        base;

    if (in->mnemonic == ZYDIS_MNEMONIC_MOV &&
        src->type == ZYDIS_OPERAND_TYPE_REGISTER &&
        moatK_gpr(src->reg.value) >= 0) {
        Val v = s->reg[moatK_gpr(src->reg.value)];
        if (d->size == 64)
            *out = v;
        else if (d->size == 32 && v.kind == V_SYM)
            *out = (Val){ .kind = V_SYM, .sym = v.sym,
                          .form = v.form > F_ZX32 ? v.form : F_ZX32 };
        else
            return false;
        return true;
    }
    if (in->mnemonic == ZYDIS_MNEMONIC_MOV &&
        src->type == ZYDIS_OPERAND_TYPE_IMMEDIATE &&
        (d->size == 32 || d->size == 64)) {
        *out = (Val){ .kind = V_CONST,
                      .n = src->imm.value.u &
                           (d->size == 32 ? 0xffffffffu : UINT64_MAX) };
        return true;
    }
    if (in->mnemonic == ZYDIS_MNEMONIC_MOVZX &&
        src->type == ZYDIS_OPERAND_TYPE_REGISTER &&
        (low_byte(src->reg.value) || src->size == 16) &&
        moatK_gpr(src->reg.value) >= 0 &&
        s->reg[moatK_gpr(src->reg.value)].kind == V_SYM) {
        Val v = s->reg[moatK_gpr(src->reg.value)];
        uint8_t form = src->size == 16 ? F_ZX16 : F_ZX8;
        *out = (Val){ .kind = V_SYM, .form = v.form > form ? v.form : form,
                      .sym = v.sym };
        return true;
    }
    if (in->mnemonic == ZYDIS_MNEMONIC_MOV && is_frame_mem(src, &base)) {
        Slot *t = slot_at(s, base, src->mem.disp.value);
        if (!t && (d->size == 64 || d->size == 32))
            t = slot_first_load(s, base, src->mem.disp.value,
                                (uint8_t)(d->size / 8));
        if (!t || (d->size != 64 && d->size != 32) || t->size * 8 != d->size)
            return false;
        *out = t->v;
        if (d->size == 32) {
            if (t->v.kind != V_SYM)
                return false;
            out->form = t->v.form > F_ZX32 ? t->v.form : F_ZX32;
        }
        return true;
    }
    if (in->address_width != 64)    /* a 32-bit address is cut short */
        return false;
    if (in->mnemonic == ZYDIS_MNEMONIC_MOVSXD && d->size == 64 &&
        src->type == ZYDIS_OPERAND_TYPE_MEMORY && src->size == 32 &&
        src->mem.scale == 4 && src->mem.disp.value == 0 &&
        src->mem.segment != ZYDIS_REGISTER_FS &&
        src->mem.segment != ZYDIS_REGISTER_GS &&
        moatK_gpr(src->mem.base) >= 0 &&
        moatK_gpr(src->mem.index) >= 0) {
        Val      t = s->reg[moatK_gpr(src->mem.base)];
        uint64_t max;
        if (t.kind != V_TABLE ||
            !bounded(s, &s->reg[moatK_gpr(src->mem.index)], &max))
            return false;
        *out = t;
        out->kind = V_ENTRY;
        out->n = max;
        return true;
    }
    if (in->mnemonic == ZYDIS_MNEMONIC_LEA && d->size == 64 &&
        src->mem.base == ZYDIS_REGISTER_RIP) {
        uint32_t    n;
        const KSec *sec = &s->c->obj.sec[s->f->sec];
        const KRel *r = moatK_rels_in(sec, off, off + in->length, &n);
        const KObj *o = &s->c->obj;
        if (n != 1 || r->type != K_R_PC32 ||
            o->sym[r->sym].shndx == 0 || o->sym[r->sym].shndx >= o->nsec ||
            o->sec[o->sym[r->sym].shndx].is_code)
            return false;
        *out = (Val){ .kind = V_TABLE, .tsec = o->sym[r->sym].shndx,
                      .toff = o->sym[r->sym].value + (uint64_t)r->addend +
                              (off + in->length - r->off) };
        return true;
    }
    return false;
}

/* `add a, b` of a table's base and one of its entries. */
static bool
model_add(Sym *s, const ZydisDecodedInstruction *in,
          const ZydisDecodedOperand *ops, Val *out)
{
    if (in->mnemonic != ZYDIS_MNEMONIC_ADD || ops[0].size != 64 ||
        ops[0].type != ZYDIS_OPERAND_TYPE_REGISTER ||
        moatK_gpr(ops[0].reg.value) < 0 ||
        ops[1].type != ZYDIS_OPERAND_TYPE_REGISTER ||
        moatK_gpr(ops[1].reg.value) < 0)
        return false;
    Val a = s->reg[moatK_gpr(ops[0].reg.value)];
    Val b = s->reg[moatK_gpr(ops[1].reg.value)];
    if (a.kind == V_TABLE && b.kind == V_ENTRY) {
        Val t = a;
        a = b;
        b = t;
    }
    if (a.kind != V_ENTRY || b.kind != V_TABLE || a.tsec != b.tsec ||
        a.toff != b.toff)
        return false;
    *out = a;
    out->kind = V_TARGET;
    return true;
}

/* Records `cmp r, imm` / `sub r, imm` (unsigned, r read before), and
 * `cmp imm, disp(%rbp)` of a 4- or 8-byte frame slot. */
static void
model_flags(Sym *s, const ZydisDecodedInstruction *in,
            const ZydisDecodedOperand *ops)
{
    bool writes = in->cpu_flags && in->cpu_flags->modified;
    int  base;

    if (!writes)
        return;
    s->has_cmp = false;
    if (in->mnemonic == ZYDIS_MNEMONIC_CMP && is_frame_mem(&ops[0], &base) &&
        (ops[0].size == 32 || ops[0].size == 64) &&
        ops[1].type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
        Slot *t = slot_at(s, base, ops[0].mem.disp.value);
        if (!t)
            t = slot_first_load(s, base, ops[0].mem.disp.value,
                                (uint8_t)(ops[0].size / 8));
        if (!t || t->size * 8 != ops[0].size || t->v.kind != V_SYM)
            return;
        s->has_cmp = true;
        s->cmp_val = t->v;
        s->cmp_form = ops[0].size == 64 ? F_FULL : F_ZX32;
        s->cmp_imm = ops[1].imm.value.u &
                     (ops[0].size == 32 ? 0xffffffffu : UINT64_MAX);
        return;
    }
    if ((in->mnemonic == ZYDIS_MNEMONIC_CMP ||
         in->mnemonic == ZYDIS_MNEMONIC_SUB) &&
        ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER &&
        moatK_gpr(ops[0].reg.value) >= 0 &&
        (ops[0].size == 32 || ops[0].size == 64 || ops[0].size == 16 ||
         (ops[0].size == 8 && low_byte(ops[0].reg.value))) &&
        ops[1].type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
        s->has_cmp = true;
        s->cmp_val = s->reg[moatK_gpr(ops[0].reg.value)];
        s->cmp_form = ops[0].size == 64   ? F_FULL
                      : ops[0].size == 32 ? F_ZX32
                      : ops[0].size == 16 ? F_ZX16 : F_ZX8;
        s->cmp_imm = ops[1].imm.value.u;
        if (ops[0].size == 32)
            s->cmp_imm &= 0xffffffffu;
        if (ops[0].size == 16)
            s->cmp_imm &= 0xffffu;
        if (ops[0].size == 8)
            s->cmp_imm &= 0xffu;
    }
}

/* `and r, imm` with imm >= 0: the result (fresh) is at most imm; `shr r,
 * imm`: at most the register's all-ones >> imm. */
static void
mask_fact(Sym *s, const ZydisDecodedInstruction *in,
          const ZydisDecodedOperand *ops, const Val *before, const Val *res)
{
    if ((in->mnemonic != ZYDIS_MNEMONIC_AND &&
         in->mnemonic != ZYDIS_MNEMONIC_SHR) ||
        ops[1].type != ZYDIS_OPERAND_TYPE_IMMEDIATE ||
        (ops[0].size != 32 && ops[0].size != 64))
        return;
    uint64_t imm = ops[1].imm.value.u;
    if (in->mnemonic == ZYDIS_MNEMONIC_SHR) {
        uint64_t w = ops[0].size == 32 ? UINT32_MAX : UINT64_MAX, b;
        if (bounded(s, before, &b) && b < w)
            w = b;
        add_fact(s, res->sym, ops[0].size == 32 ? F_ZX32 : F_FULL,
                 w >> (imm & (ops[0].size == 32 ? 31 : 63)));
        return;
    }
    if (ops[0].size == 32)
        add_fact(s, res->sym, F_ZX32, imm & 0xffffffffu);
    else if ((int64_t)imm >= 0)
        add_fact(s, res->sym, F_FULL, imm);
}

/* `bextr d, src, ctrl` with ctrl a known constant: d (fresh) has at most
 * ctrl[15:8] bits. */
static void
bextr_fact(Sym *s, const ZydisDecodedInstruction *in,
           const ZydisDecodedOperand *ops, const Val *res)
{
    if (in->mnemonic != ZYDIS_MNEMONIC_BEXTR ||
        ops[2].type != ZYDIS_OPERAND_TYPE_REGISTER ||
        moatK_gpr(ops[2].reg.value) < 0 ||
        (ops[0].size != 32 && ops[0].size != 64))
        return;
    const Val *ctrl = &s->reg[moatK_gpr(ops[2].reg.value)];
    uint64_t   len = ctrl->kind == V_CONST ? (ctrl->n >> 8) & 0xff : 64;
    if (len < 32)
        add_fact(s, res->sym, ops[0].size == 32 ? F_ZX32 : F_FULL,
                 (UINT64_C(1) << len) - 1);
}

/* One instruction of the run: effects on flags, registers, slots. */
static void
step(Sym *s, uint64_t off, const ZydisDecodedInstruction *in,
     const ZydisDecodedOperand *ops)
{
    Val  v;
    bool known = model_move(s, off, in, ops, &v) || model_add(s, in, ops, &v);
    int  base;

    if (in->meta.category == ZYDIS_CATEGORY_COND_BR)
        branch_fact(s, in->mnemonic);
    if (in->meta.category == ZYDIS_CATEGORY_CALL) {
        /* rbx, rbp, r12-r15 kept if the callee restores them (rule
         * saved); the frame slots are not followed across it */
        bool noreturn, keeps = moatK_call_keeps_saved(
                           s->c, off, in, K_TRUST_TABLE, &noreturn);
        memset(s->slot, 0, sizeof s->slot);
        moatK_dirty_call(&s->dirty, keeps);
        for (int r = 0; r < 16; r++)
            if (!keeps || (0x0fc7u >> r & 1))
                s->reg[r] = fresh(s, false);
    }
    model_flags(s, in, ops);
    int r0 = ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER
                 ? moatK_gpr(ops[0].reg.value) : -1;
    Val before = r0 >= 0 ? s->reg[r0] : (Val){ 0 };     /* what shr reads */
    for (uint8_t i = 0; i < in->operand_count; i++) {
        const ZydisDecodedOperand *o = &ops[i];
        if (!(o->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE))
            continue;
        if (o->type == ZYDIS_OPERAND_TYPE_REGISTER &&
            moatK_gpr(o->reg.value) >= 0) {
            int r = moatK_gpr(o->reg.value);
            s->reg[r] = (i == 0 && known)
                            ? v : fresh(s, moatK_upper_after(in, o) > 0);
            if (i == 0 && !known) {
                mask_fact(s, in, ops, &before, &s->reg[r]);
                bextr_fact(s, in, ops, &s->reg[r]);
            }
            if (r == 4 || r == 5)       /* rsp, rbp moved: their slots */
                for (uint32_t k = 0; k < NSLOT; k++)
                    if (s->slot[k].base == r)
                        s->slot[k].used = false;
        } else if (o->type == ZYDIS_OPERAND_TYPE_MEMORY) {
            if (in->mnemonic == ZYDIS_MNEMONIC_PUSH ||
                in->meta.category == ZYDIS_CATEGORY_CALL) {
                slot_clobber(s, -2, 0, 0);      /* below sp: */
                moatK_dirty_push(&s->dirty);    /* not followed */
                continue;
            }
            if (!is_frame_mem(o, &base)) {
                /* not through rsp or rbp: not the frame, unless a register
                 * may hold a frame address (the assumption table_range.c
                 * makes: docs/verify.md) */
                int b = moatK_gpr(o->mem.base), x = moatK_gpr(o->mem.index);
                bool framey = b == 4 || b == 5 || x == 4 || x == 5 ||
                              (b >= 0 && (s->dirty.fd >> b & 1)) ||
                              (x >= 0 && (s->dirty.fd >> x & 1));
                slot_clobber(s, framey ? -1 : -2, 0, 0);
                continue;
            }
            slot_clobber(s, base, o->mem.disp.value, o->size / 8);
            if (in->mnemonic == ZYDIS_MNEMONIC_MOV && i == 0 &&
                ops[1].type == ZYDIS_OPERAND_TYPE_REGISTER &&
                moatK_gpr(ops[1].reg.value) >= 0 &&
                (o->size == 64 || o->size == 32))
                for (uint32_t k = 0; k < NSLOT; k++)
                    if (!s->slot[k].used) {
                        int src = moatK_gpr(ops[1].reg.value);
                        s->slot[k] = (Slot){ true, (uint8_t)base,
                                             o->mem.disp.value,
                                             (uint8_t)(o->size / 8),
                                             s->reg[src] };
                        break;
                    }
        }
    }
}

/* Runs the window [start, at] from registers that hold what `base` says
 * (a table address per register, sec 0: unknown). 1: proven, 0: not a
 * table jump in this window, -1: a table with bad entries (recorded). */
static int
run_window(KCheck *c, const KFunc *f, KFuncMap *m, uint32_t start,
           uint32_t at, const uint32_t *bsec, const uint64_t *boff,
           const KRange *g, KJumpTab *tab, bool quiet)
{
    Sym          s = { .c = c, .f = f, .g = g };

    moatK_dirty_init(&s.dirty, g);
    ZydisDecoder d;
    const KSec  *sec = &c->obj.sec[f->sec];
    uint64_t     jmp = m->insn[at], tload = UINT64_MAX;
    Val          tval = { 0 };

    for (int r = 0; r < 16; r++) {
        s.reg[r] = g ? class_val(&s, g->rep[r], g->rep32[r], g->max[r])
                     : fresh(&s, false);
        if (bsec && bsec[r])
            s.reg[r] = (Val){ .kind = V_TABLE, .tsec = bsec[r],
                              .toff = boff[r] };
    }
    ZydisDecoderInit(&d, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
    for (uint32_t k = start; k <= at; k++) {
        ZydisDecodedInstruction in;
        ZydisDecodedOperand     ops[ZYDIS_MAX_OPERAND_COUNT];
        uint64_t                off = m->insn[k];
        if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&d, sec->data + off,
                                                 f->hi - off, &in, ops)))
            return 0;       /* decoded before: cannot happen */
        if (k < at) {
            step(&s, off, &in, ops);
            moatK_dirty_step(&s.dirty, &in, ops);
            if (in.mnemonic == ZYDIS_MNEMONIC_MOVSXD &&
                moatK_gpr(ops[0].reg.value) >= 0 &&
                s.reg[moatK_gpr(ops[0].reg.value)].kind == V_ENTRY) {
                tload = off;
                tval = s.reg[moatK_gpr(ops[0].reg.value)];
            }
            continue;
        }
        int  r0 = moatK_gpr(ops[0].reg.value);
        Val *t = r0 >= 0 ? &s.reg[r0] : NULL;
        if (!t || t->kind != V_TARGET)
            return 0;
        *tab = (KJumpTab){ jmp, t->tsec, t->toff, t->n };
        if (!moatK_table_entries(c, f, m, tab, quiet))
            return -1;
        /* the entry load marked proven reads this table, within it */
        if (tload != UINT64_MAX && tval.tsec == t->tsec &&
            tval.toff == t->toff && tval.n == t->n)
            m->is_tload[tload - f->lo] = 1;
        return 1;
    }
    return 0;
}

/* 1: the jump at insn index `at` is proven (its targets marked), 0: not,
 * -1: its table has bad entries (recorded unless quiet). */
static int
prove_one(KCheck *c, const KFunc *f, KFuncMap *m, uint32_t at,
          uint64_t *win_lo, KJumpTab *tab, bool quiet)
{
    uint32_t start = at, bsec[16];
    uint64_t boff[16];
    KRange   g;

    while (start > 0 && at - start < WINDOW &&
           !(m->is_target[m->insn[start] - f->lo] & (1 | K_TABLE_TARGET)))
        start--;
    *win_lo = m->insn[start];
    /* first from nothing (quiet: a bound found here may be looser than
     * one from before the window); then, unless proven, from what the
     * table's address may have been loaded before the window (LLVM
     * hoists it out of loops) and what bounds registers there */
    int rc = run_window(c, f, m, start, at, NULL, NULL, NULL, tab, true);
    if (rc != 1 && moatK_table_bases(c, f, m, start, bsec, boff, &g)) {
        rc = run_window(c, f, m, start, at, bsec, boff, &g, tab, quiet);
        if (rc != 1 && !quiet)
            moatK_table_debug(f, *win_lo, m->insn[at], &g);
    } else if (rc != 1) {
        rc = run_window(c, f, m, start, at, NULL, NULL, NULL, tab, quiet);
        if (rc != 1 && !quiet)
            moatK_table_debug(f, *win_lo, m->insn[at], NULL);
    }
    return rc;
}

/* One round: table_base.c's analysis in `mode` (KFuncMap.jmode) with
 * the tables of the guess m->jt, then every jump, into got[]. Quiet: a
 * jump a round does not prove may be proven by a later one (its window
 * not reached yet, or a bound too loose from an unreached one); the
 * last round's failures are recorded (moatK_prove_tables). Returns whether the round is
 * self-consistent: each jump the guess gave a table proven again with
 * that same table. */
static bool
round_of(KCheck *c, const KFunc *f, KFuncMap *m, const uint32_t *jmp,
         uint8_t mode, uint8_t *res, uint64_t *win_lo, KJumpTab *got)
{
    bool ok = true;

    moatK_table_bases_free(m->bases);
    m->bases = NULL;
    m->jmode = mode;
    /* the memory rule trusts the entry loads of the proofs that stand:
     * this round's (a jump is proven again in every round) */
    memset(m->is_tload, 0, f->hi - f->lo);
    for (uint32_t k = 0; k < m->njt; k++) {
        got[k] = (KJumpTab){ m->insn[jmp[k]], 0, 0, 0 };
        int rc = prove_one(c, f, m, jmp[k], &win_lo[k], &got[k], true);
        res[k] = rc == 1 ? R_OK : R_NO;
        if (res[k] != R_OK)
            got[k].tsec = 0;
        ok &= !m->jt[k].tsec || (got[k].tsec == m->jt[k].tsec &&
                                 got[k].toff == m->jt[k].toff &&
                                 got[k].n == m->jt[k].n);
    }
    return ok;
}

void
moatK_prove_tables(KCheck *c, const KFunc *f, KFuncMap *m,
                   const uint32_t *jmp, uint32_t n, uint64_t *win_lo,
                   bool *proven)
{
    uint8_t  *res = moatU_calloc(n ? n : 1, 1);
    KJumpTab *got = moatU_calloc(n ? n : 1, sizeof *got);
    bool      done = false;

    m->jt = moatU_calloc(n ? n : 1, sizeof *m->jt);
    m->njt = n;
    if (!res || !got || !m->jt) {
        moatK_violation(c, K_TABLE, f->lo, "out of memory");
        goto out;
    }
    /* Two jumps whose registers the other's state would clobber (each
     * leads anywhere until proven) are proven together: guess, starting
     * from no jump leading anywhere, the tables that the jumps proven in
     * the round before have (rounds until that is self-consistent), then
     * check the guess with the jumps it does not give a table leading
     * anywhere, dropping what a round does not prove again, until a round
     * is self-consistent: by induction on the execution, its proofs hold
     * (the last resort gives no jump a table). */
    for (uint32_t r = 0; r < MAX_GUESS; r++) {
        uint32_t marked = m->nmarked;
        bool     same = round_of(c, f, m, jmp, 1, res, win_lo, got);
        bool     grew = false;
        /* every window proved alone (no guess), and from every target
         * (a window stops at one: decode.c checks none is inside it) */
        if (!m->bases && m->nmarked == marked) {
            done = true;
            break;
        }
        for (uint32_t k = 0; k < n; k++)
            grew |= got[k].tsec && !m->jt[k].tsec;
        memcpy(m->jt, got, n * sizeof *got);
        if (same && !grew)
            break;
    }
    for (uint32_t r = 0; r < MAX_ROUNDS && !done; r++) {
        done = round_of(c, f, m, jmp, 0, res, win_lo, got);
        for (uint32_t k = 0; k < n; k++)    /* keep what held */
            if (got[k].tsec != m->jt[k].tsec || got[k].toff != m->jt[k].toff
                || got[k].n != m->jt[k].n)
                m->jt[k].tsec = 0;
    }
    if (!done) {
        memset(m->jt, 0, n * sizeof *m->jt);
        round_of(c, f, m, jmp, 0, res, win_lo, got);
    }
    for (uint32_t k = 0; k < n; k++) {
        KJumpTab t;
        proven[k] = res[k] == R_OK;
        /* why, from the last round's analysis (still cached): a bad table
         * (recorded by prove_one), or none found */
        if (res[k] != R_OK &&
            prove_one(c, f, m, jmp[k], &win_lo[k], &t, false) >= 0)
            moatK_violation(c, K_TABLE, m->insn[jmp[k]], "indirect jump "
                            "not proven to be a bounded table jump");
    }
out:
    moatU_free(res);
    moatU_free(got);
    moatU_free(m->jt);
    m->jt = NULL;
    m->njt = 0;
}
