/* memory_noret.c - which functions of the object never return, for the
 * memory rule's control flow: at -O3 LLVM ends a path in a call of a
 * module function that always traps (an abort), and the bytes after the
 * call belong to other paths, with other registers (no ctx in rdi). The
 * rule's blocks used to fall through such a call (-O3: 827 functions of
 * the WASI and real-world corpora rejected for it, docs/verify.md).
 *
 * g never returns when it has no `ret`, no direct jump or branch out of
 * it (a tail call), is not a trampoline (its `jmp *code` is a tail call),
 * and its last instruction does not fall on: a jump, a call of a helper
 * that never returns, or a call of a function that never returns (the
 * same question, at most NORET_DEPTH deep; a cycle counts as returning).
 * An indirect `jmp` of g is a table jump, whose targets rule table proves
 * inside g; that g does not run off its end is rule end's: an object that
 * breaks either is rejected whatever this rule says. Each function is
 * scanned once per object (KCheck.noret), so the work is linear.
 */
#include "elfload.h"
#include "memory.h"

#define NORET_DEPTH 8

enum { NR_UNKNOWN, NR_BUSY, NR_RETURNS, NR_NEVER };

/* The function of the object a direct call or jump at off reaches (by
 * its rel32, or a relocation to a symbol defined in code), or NULL. */
const KFunc *
moatK_direct_callee(const KCheck *c, const KSec *s, uint32_t sec,
                    uint64_t off, const ZydisDecodedInstruction *in)
{
    uint32_t    n;
    const KRel *r = moatK_rels_in(s, off, off + in->length, &n);
    const KObj *o = &c->obj;

    if (!in->raw.imm[0].is_relative)
        return NULL;
    if (n == 0)
        return moatK_func_at(o, sec, off + in->length +
                                         (uint64_t)in->raw.imm[0].value.s);
    if (n == 1 && o->sym[r->sym].shndx != ELF_SHN_UNDEF &&
        o->sym[r->sym].shndx < o->nsec) {
        uint64_t to = o->sym[r->sym].value + (uint64_t)r->addend +
                      (off + in->length - r->off);
        return moatK_func_at(o, o->sym[r->sym].shndx, to);
    }
    return NULL;
}

static bool
helper_noreturn(const KCheck *c, const KSec *s, uint64_t off,
                const ZydisDecodedInstruction *in)
{
    uint32_t    n;
    const KRel *r = moatK_rels_in(s, off, off + in->length, &n);

    return in->mnemonic == ZYDIS_MNEMONIC_CALL && n == 1 &&
           c->obj.sym[r->sym].shndx == ELF_SHN_UNDEF &&
           moatK_symbol_noreturn(c->obj.sym[r->sym].name);
}

static bool
never_returns(KCheck *c, const KFunc *g, int depth)
{
    size_t   i = (size_t)(g - c->obj.fn);
    uint8_t *memo = c->noret;

    if (!memo)
        return false;
    if (memo[i] != NR_UNKNOWN)
        return memo[i] == NR_NEVER;
    if (depth > NORET_DEPTH || (c->desc.role && (c->desc.role[i] &
                                                 K_ROLE_TRAMP)))
        return false;           /* (not memoised when too deep) */
    memo[i] = NR_BUSY;          /* a cycle: returns */
    const KSec  *s = &c->obj.sec[g->sec];
    ZydisDecoder d;
    ZydisDecodedInstruction in = { 0 };
    uint64_t     off = g->lo, last = g->lo;
    bool         ok = s->data != NULL && g->hi > g->lo;

    ZydisDecoderInit(&d, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
    while (ok && off < g->hi) {
        if (!ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(
                &d, NULL, s->data + off, g->hi - off, &in))) {
            ok = false;
            break;
        }
        uint8_t cat = (uint8_t)in.meta.category;
        if (cat == ZYDIS_CATEGORY_RET)
            ok = false;
        else if ((cat == ZYDIS_CATEGORY_UNCOND_BR ||
                  cat == ZYDIS_CATEGORY_COND_BR) &&
                 in.raw.imm[0].is_relative) {
            uint32_t n;
            moatK_rels_in(s, off, off + in.length, &n);
            uint64_t to = off + in.length + (uint64_t)in.raw.imm[0].value.s;
            ok = n == 0 && to >= g->lo && to < g->hi;
        }
        last = off;
        off += in.length;
    }
    if (ok) {                   /* the last instruction must not fall on */
        uint8_t cat = (uint8_t)in.meta.category;
        const KFunc *h = cat == ZYDIS_CATEGORY_CALL
                             ? moatK_direct_callee(c, s, g->sec, last, &in)
                             : NULL;
        ok = cat == ZYDIS_CATEGORY_UNCOND_BR ||
             (cat == ZYDIS_CATEGORY_CALL &&
              (helper_noreturn(c, s, last, &in) ||
               (h && never_returns(c, h, depth + 1))));
    }
    memo[i] = ok ? NR_NEVER : NR_RETURNS;
    return ok;
}

bool
moatK_call_noreturn(KCheck *c, const KSec *s, uint32_t sec, uint64_t off,
                    const ZydisDecodedInstruction *in)
{
    if (in->mnemonic != ZYDIS_MNEMONIC_CALL)
        return false;
    if (helper_noreturn(c, s, off, in))
        return true;
    const KFunc *g = moatK_direct_callee(c, s, sec, off, in);
    return g && never_returns(c, g, 0);
}
