/* decode.c - checks one function: decodes it from its first byte to its
 * last with Zydis (rule "decode": every byte decodes and the instructions
 * tile [lo, hi) exactly), checks that each relocation in it patches only a
 * branch target or a RIP-relative displacement ("reloc"), that direct
 * jumps land on an instruction of the function ("jump"), that direct calls
 * reach a function start or an allowed runtime symbol ("call"), that the
 * function cannot run off its end ("end"), and has table.c prove every
 * indirect jump ("table"). Instruction rules are insn.c's.
 */
#include <Zydis/Zydis.h>
#include <inttypes.h>

#include "elfload.h"
#include "verify.h"

typedef struct Branch {
    uint64_t from, to;          /* section offsets; to inside f */
} Branch;

typedef struct FnState {
    KCheck      *c;
    const KFunc *f;
    const KSec  *s;
    KFuncMap     m;
    uint64_t    *insn;
    Branch      *br;
    uint32_t     nbr;
    uint32_t    *ijmp;          /* indices in insn of indirect jumps */
    uint32_t     nijmp;
    bool         ends_ok;       /* the last instruction cannot fall on */
    bool         exits;         /* a ret or a jump out of the function */
    const KFunc *called;        /* by the last instruction, if a direct
                                 * call of a function of the object */
} FnState;

/* A relocation on the branch target or displacement of an instruction. */
typedef struct Patch {
    const KRel *rel;            /* NULL: none */
    bool        on_imm;         /* else on the displacement */
} Patch;

static const char *
sym_name(const KObj *o, uint32_t sym)
{
    const char *n = o->sym[sym].name;

    if (o->sym[sym].type == ELF_STT_SECTION && o->sym[sym].shndx < o->nsec)
        n = o->sec[o->sym[sym].shndx].name;
    return n && *n ? n : "?";
}

/* Rule "reloc": each relocation overlapping the instruction must cover
 * exactly its rel32 branch target or its 32-bit RIP-relative
 * displacement, with a PC-relative type; the bytes there are then only
 * an address the loader computes, and the instruction's length and kind
 * stay as decoded. */
static bool
check_relocs(FnState *st, uint64_t off, const ZydisDecodedInstruction *in,
             const ZydisDecodedOperand *ops, Patch *p)
{
    uint32_t    n;
    const KRel *r = moatK_rels_in(st->s, off, off + in->length, &n);
    bool        rip = false;

    p->rel = NULL;
    for (uint8_t i = 0; i < in->operand_count; i++)
        if (ops[i].type == ZYDIS_OPERAND_TYPE_MEMORY &&
            ops[i].mem.base == ZYDIS_REGISTER_RIP)
            rip = true;
    for (uint32_t k = 0; k < n; k++) {
        bool pc = r[k].type == K_R_PC32 || r[k].type == K_R_PLT32;
        bool got = r[k].type == K_R_GOTPCREL ||
                   r[k].type == K_R_GOTPCRELX ||
                   r[k].type == K_R_REX_GOTPCRELX;
        bool imm = in->raw.imm[0].is_relative && in->raw.imm[0].size == 32 &&
                   r[k].off == off + in->raw.imm[0].offset;
        bool disp = rip && in->raw.disp.size == 32 &&
                    r[k].off == off + in->raw.disp.offset;
        if (p->rel || !((imm && pc) || (disp && (pc || got)))) {
            moatK_violation(st->c, K_RELOC, r[k].off, "relocation (type %"
                            PRIu32 ", %s) patches bytes of %s that are not "
                            "its branch target or displacement", r[k].type,
                            sym_name(&st->c->obj, r[k].sym),
                            ZydisMnemonicGetString(in->mnemonic));
            return false;
        }
        p->rel = &r[k];
        p->on_imm = imm;
    }
    return true;
}

/* Where a patched field points: its symbol's section and offset; false for
 * undefined and absolute symbols (*sec = 0, *to = 0). The field's value is
 * S + A - P and the CPU adds the next instruction's address, so the target
 * is S + A + (next - P). */
static bool
patched_target(const KObj *o, const KRel *r, uint64_t next, uint32_t *sec,
               uint64_t *to)
{
    const KSym *s = &o->sym[r->sym];

    *sec = 0;
    *to = 0;
    if (s->shndx == ELF_SHN_UNDEF || s->shndx >= o->nsec)
        return false;
    *sec = s->shndx;
    *to = s->value + (uint64_t)r->addend + (next - r->off);
    return true;
}

/* A call, or a jump that leaves f, through a relocation: to an allowed
 * runtime symbol exactly, or to the start of a function of the object. */
static void
check_patched_call(FnState *st, uint64_t off, const KRel *r, uint64_t next,
                   bool is_call, bool *noreturn)
{
    const KObj *o = &st->c->obj;
    const KSym *s = &o->sym[r->sym];
    uint32_t    sec;
    uint64_t    to;

    if (s->shndx == ELF_SHN_UNDEF) {
        if (!moatK_symbol_allowed(s->name))
            moatK_violation(st->c, K_CALL, off, "call to %s, which is not "
                            "on the runtime's allow-list", sym_name(o, r->sym));
        else if ((next - r->off) + (uint64_t)r->addend != 0)
            moatK_violation(st->c, K_CALL, off, "call to %s%+" PRId64
                            " (not the symbol itself)", s->name,
                            (int64_t)((next - r->off) + (uint64_t)r->addend));
        *noreturn = moatK_symbol_noreturn(s->name);
        return;
    }
    if (!patched_target(o, r, next, &sec, &to) || !o->sec[sec].is_code) {
        moatK_violation(st->c, K_CALL, off, "call to %s, which is not code "
                        "of the object", sym_name(o, r->sym));
        return;
    }
    if (!is_call && sec == st->f->sec && to >= st->f->lo && to < st->f->hi) {
        st->br[st->nbr++] = (Branch){ off, to };
        return;
    }
    st->exits |= !is_call;
    st->called = is_call ? moatK_func_at(o, sec, to) : NULL;
    if (!moatK_func_at(o, sec, to))
        moatK_violation(st->c, K_CALL, off, "call to %s+0x%" PRIx64 ", not "
                        "the start of a function", o->sec[sec].name, to);
}

/* A direct branch or call (relative immediate). */
static void
check_direct(FnState *st, uint64_t off, const ZydisDecodedInstruction *in,
             const Patch *p, bool *noreturn)
{
    const KFunc *f = st->f;
    uint64_t     next = off + in->length;
    bool         is_call = in->mnemonic == ZYDIS_MNEMONIC_CALL;

    if (p->rel && p->on_imm) {
        check_patched_call(st, off, p->rel, next, is_call, noreturn);
        return;
    }
    uint64_t to = next + (uint64_t)in->raw.imm[0].value.s;
    if (!is_call && to >= f->lo && to < f->hi) {
        st->br[st->nbr++] = (Branch){ off, to };
        return;
    }
    st->exits |= !is_call;
    st->called = is_call && to < st->s->size
                     ? moatK_func_at(&st->c->obj, f->sec, to) : NULL;
    if (to >= st->s->size)
        moatK_violation(st->c, is_call ? K_CALL : K_JUMP, off, "%s to an "
                        "address outside the object's code (0x%" PRIx64 ")",
                        is_call ? "call" : "jump", to);
    else if (!moatK_func_at(&st->c->obj, f->sec, to))
        moatK_violation(st->c, is_call ? K_CALL : K_JUMP, off,
                        is_call ? "call to 0x%" PRIx64 ", not the start of a "
                                  "function"
                                : "jump outside the function (to 0x%" PRIx64
                                  ")", to);
}

/* Control flow of one instruction: records what decode must check once
 * all instructions are known. */
static void
flow(FnState *st, uint32_t idx, const ZydisDecodedInstruction *in,
     const ZydisDecodedOperand *ops, const Patch *p)
{
    uint64_t off = st->insn[idx];
    bool     noreturn = false;
    bool     is_jmp = in->meta.category == ZYDIS_CATEGORY_UNCOND_BR;

    st->ends_ok = false;
    st->called = NULL;
    if ((in->meta.category == ZYDIS_CATEGORY_RET ||
         in->meta.category == ZYDIS_CATEGORY_COND_BR ||
         in->meta.category == ZYDIS_CATEGORY_UNCOND_BR) &&
        off + in->length < st->f->hi)   /* the analyses' blocks end */
        st->m.is_target[off + in->length - st->f->lo] |= K_AFTER_BRANCH;
    if (in->meta.branch_type == ZYDIS_BRANCH_TYPE_FAR) {
        moatK_violation(st->c, K_SEGMENT, off, "%s: far control transfer",
                        ZydisMnemonicGetString(in->mnemonic));
        return;
    }
    if (in->meta.category == ZYDIS_CATEGORY_RET) {
        st->ends_ok = st->exits = true;
        return;
    }
    bool is_branch = in->meta.category == ZYDIS_CATEGORY_CALL || is_jmp ||
                     in->meta.category == ZYDIS_CATEGORY_COND_BR;
    if (!is_branch)
        return;
    if (in->raw.imm[0].is_relative) {
        check_direct(st, off, in, p, &noreturn);
        st->ends_ok = is_jmp || noreturn;
        return;
    }
    if (in->meta.category == ZYDIS_CATEGORY_CALL) {
        st->c->rep->nindirect_calls++;      /* rule not implemented */
        return;
    }
    st->ends_ok = is_jmp;
    st->exits |= is_jmp && ops[0].type != ZYDIS_OPERAND_TYPE_REGISTER;
    if (is_jmp && ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER)
        st->ijmp[st->nijmp++] = idx;
    else
        moatK_violation(st->c, K_TABLE, off, "%s through memory: not a "
                        "bounded table jump", ZydisMnemonicGetString(
                            in->mnemonic));
}

/* Rule codeptr inside code: a RIP-relative operand that names code (with
 * a relocation or without) is a `lea` of a function's start, never a load
 * or store of code bytes or an address inside a function. */
static void
check_rip(FnState *st, uint64_t off, const ZydisDecodedInstruction *in,
          const ZydisDecodedOperand *ops, const Patch *p)
{
    const KObj *o = &st->c->obj;
    uint64_t    next = off + in->length;

    for (uint8_t i = 0; i < in->operand_count; i++) {
        if (ops[i].type != ZYDIS_OPERAND_TYPE_MEMORY ||
            ops[i].mem.base != ZYDIS_REGISTER_RIP)
            continue;
        uint32_t sec = st->f->sec;
        uint64_t to = next + (uint64_t)ops[i].mem.disp.value;
        if (p->rel && !p->on_imm) {
            const KSym *s = &o->sym[p->rel->sym];
            bool        got = p->rel->type != K_R_PC32;
            if (s->shndx == ELF_SHN_UNDEF || s->shndx >= o->nsec)
                return;                 /* extern: rule extern */
            sec = s->shndx;
            to = got ? s->value               /* the GOT slot holds S */
                     : s->value + (uint64_t)p->rel->addend +
                           (next - p->rel->off);
        }
        if (!o->sec[sec].is_code)
            return;
        if (in->mnemonic != ZYDIS_MNEMONIC_LEA &&
            !(p->rel && p->rel->type != K_R_PC32))
            moatK_violation(st->c, K_CODEPTR, off, "%s reads or writes "
                            "code bytes (%s+0x%" PRIx64 ")",
                            ZydisMnemonicGetString(in->mnemonic),
                            o->sec[sec].name, to);
        else if (!moatK_func_at(o, sec, to))
            moatK_violation(st->c, K_CODEPTR, off, "address of %s+0x%" PRIx64
                            ", not the start of a function",
                            o->sec[sec].name, to);
        return;
    }
}

/* Decodes [lo, hi); false when a byte does not decode (then nothing more
 * of the function is checked: its instructions are not known). */
static bool
decode_all(FnState *st)
{
    ZydisDecoder d;
    uint64_t     off = st->f->lo;

    ZydisDecoderInit(&d, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
    while (off < st->f->hi) {
        ZydisDecodedInstruction in;
        ZydisDecodedOperand     ops[ZYDIS_MAX_OPERAND_COUNT];
        ZyanStatus rc = ZydisDecoderDecodeFull(&d, st->s->data + off,
                                               st->f->hi - off, &in, ops);
        if (rc == ZYDIS_STATUS_NO_MORE_DATA) {
            moatK_violation(st->c, K_DECODE, off, "the last instruction "
                            "crosses the end of the function");
            return false;
        }
        if (!ZYAN_SUCCESS(rc)) {
            moatK_violation(st->c, K_DECODE, off, "bytes that do not decode "
                            "(%02x ...)", st->s->data[off]);
            return false;
        }
        uint32_t idx = st->m.ninsn++;
        Patch    p;
        st->insn[idx] = off;
        st->m.is_insn[off - st->f->lo] = 1;
        moatK_check_insn(st->c, off, &in, ops);
        if (check_relocs(st, off, &in, ops, &p)) {
            check_rip(st, off, &in, ops, &p);
            flow(st, idx, &in, ops, &p);
        }
        off += in.length;
    }
    return true;
}

/* After decoding: branch targets, then tables, then that no target enters
 * a proven table sequence past its bounds check. */
static void
check_targets(FnState *st)
{
    const KFunc *f = st->f;
    uint64_t    *win = moatU_calloc(st->nijmp ? st->nijmp : 1,
                                    sizeof *win);
    bool        *proven = moatU_calloc(st->nijmp ? st->nijmp : 1, 1);

    if (!win || !proven) {
        moatK_violation(st->c, K_TABLE, f->lo, "out of memory");
        goto out;
    }
    for (uint32_t k = 0; k < st->nbr; k++) {
        uint64_t to = st->br[k].to - f->lo;
        if (!st->m.is_insn[to])
            moatK_violation(st->c, K_JUMP, st->br[k].from, "jump into the "
                            "middle of an instruction (to 0x%" PRIx64 ")",
                            st->br[k].to);
        st->m.is_target[to] = 1;
    }
    size_t fi = (size_t)(f - st->c->obj.fn);
    bool   tramp_only = st->c->desc.ok && st->c->desc.role &&
                        st->c->desc.role[fi] == K_ROLE_TRAMP;
    if (tramp_only) {
        /* a trampoline's `jmp *code`: a tail call of the code the runtime
         * passed, an indirect call (rule not checked) */
        st->c->rep->nindirect_calls += st->nijmp;
        st->exits |= st->nijmp > 0;
    } else {
        moatK_prove_tables(st->c, f, &st->m, st->ijmp, st->nijmp, win,
                           proven);
    }
    for (uint32_t k = 0; k < st->nijmp; k++) {
        uint64_t jmp = st->insn[st->ijmp[k]];
        for (uint64_t a = win[k] + 1; proven[k] && a <= jmp; a++)
            if (st->m.is_target[a - f->lo] & (1 | K_TABLE_TARGET)) {
                moatK_violation(st->c, K_TABLE, jmp, "a branch enters the "
                                "table jump's sequence at 0x%" PRIx64
                                ", past its bounds check", a);
                break;
            }
    }
out:
    moatU_free(win);
    moatU_free(proven);
}

/* The memory rule, on a function that keeps every other rule: its
 * instructions and control flow are then known. */
static void
check_memory(FnState *st)
{
    for (int r = 0; r < K_NRULES; r++)
        if (st->c->broke[r]) {
            for (int k = K_MEMORY; k <= K_STACK; k++)
                moatK_violation(st->c, (KRule)k, st->f->lo, "not examined: "
                                "the function breaks rule %s",
                                moatK_rule_name[r]);
            return;
        }
    moatK_check_memory(st->c, st->f, &st->m, &st->c->desc);
}

void
moatK_check_func(KCheck *c, const KFunc *f)
{
    uint64_t n = f->hi - f->lo;
    FnState  st = { .c = c, .f = f, .s = &c->obj.sec[f->sec] };

    st.m.is_insn = moatU_calloc(n, 1);
    st.m.is_target = moatU_calloc(n, 1);
    st.m.is_tload = moatU_calloc(n, 1);
    st.insn = moatU_calloc(n, sizeof *st.insn);
    st.br = moatU_calloc(n, sizeof *st.br);
    st.ijmp = moatU_calloc(n, sizeof *st.ijmp);
    st.m.insn = st.insn;
    if (!st.m.is_insn || !st.m.is_target || !st.m.is_tload || !st.insn ||
        !st.br || !st.ijmp)
        moatK_violation(c, K_DECODE, f->lo, "out of memory");
    else if (decode_all(&st)) {
        c->rep->ninsns += st.m.ninsn;
        check_targets(&st);
        /* a last call of a function of the object: ends.c decides once
         * every function is known whether that one never returns */
        KEnd *e = c->ends ? &c->ends[f - c->obj.fn] : NULL;
        if (e)
            *e = (KEnd){ .exits = st.exits, .local = st.ends_ok,
                         .last = st.insn[st.m.ninsn - 1],
                         .call = st.called && !st.ends_ok
                                     ? (uint32_t)(st.called - c->obj.fn)
                                     : UINT32_MAX };
        if (!st.ends_ok && (!e || e->call == UINT32_MAX))
            moatK_violation(c, K_END, st.insn[st.m.ninsn - 1], "the function "
                            "can run past its last instruction");
        size_t fi = (size_t)(f - c->obj.fn);
        moatK_check_saved(c, f, &st.m, c->desc.ok && c->desc.role &&
                                           c->desc.role[fi] == K_ROLE_TRAMP);
    }
    if (c->rep->check_memory)
        check_memory(&st);
    moatU_free(st.m.is_insn);
    moatU_free(st.m.is_target);
    moatU_free(st.m.is_tload);
    moatK_table_bases_free(st.m.bases);
    moatU_free(st.insn);
    moatU_free(st.br);
    moatU_free(st.ijmp);
}

uint32_t
moatK_insn_index(const KFuncMap *m, uint64_t to)
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
