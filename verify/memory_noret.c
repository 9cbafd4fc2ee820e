/* memory_noret.c - which functions of the object never return, known
 * before the flow rules run (they run function by function, as each is
 * decoded; ends.c learns the same only after the last one). LLVM at -O3
 * places other code right after a call of a function that always traps:
 * the dataflow fell from the call into it, with the caller-saved
 * registers (ctx in rdi) gone, and rejected what followed (a helper
 * called without ctx, a funcref's ctx unknown).
 *
 * A light pass decodes each function's instructions (no operands) and
 * fills ends.c's records as decode.c does: g exits when it has a `ret`,
 * a jump out of it, an indirect jump (a table's stays inside, but this
 * pass does not prove tables: taken to exit), or a byte that does not
 * decode; its last instruction ends it when it cannot fall on (a jump,
 * `ret`, a call of a helper that never returns); else its last call of a
 * function of the object is followed. ends.c's solver then gives the
 * least set of functions that never return. Only calls relative to a
 * function's start count (rule call rejects any other direct call).
 */
#include "util.h"
#include "verify.h"

#include <Zydis/Zydis.h>

#include "elfload.h"

/* A direct branch or call at off: its target function (or NULL), and
 * whether it leaves f; a helper's symbol: *helper_noret. */
static const KFunc *
branch_target(const KObj *o, const KSec *s, const KFunc *f, uint64_t off,
              const ZydisDecodedInstruction *in, bool *leaves,
              bool *helper_noret)
{
    uint32_t    n;
    const KRel *r = moatK_rels_in(s, off, off + in->length, &n);
    uint64_t    next = off + in->length, to;
    uint32_t    sec = f->sec;

    *leaves = true;
    *helper_noret = false;
    if (n > 0) {
        const KSym *sym = &o->sym[r->sym];
        if (sym->shndx == ELF_SHN_UNDEF || sym->shndx >= o->nsec) {
            *helper_noret = sym->shndx == ELF_SHN_UNDEF &&
                            moatK_symbol_noreturn(sym->name);
            return NULL;
        }
        sec = sym->shndx;
        to = sym->value + (uint64_t)r->addend + (next - r->off);
    } else {
        to = next + (uint64_t)in->raw.imm[0].value.s;
    }
    *leaves = sec != f->sec || to < f->lo || to >= f->hi;
    return sec < o->nsec ? moatK_func_at(o, sec, to) : NULL;
}

/* Function f's record (exits, local, call), as decode.c makes it. */
static KEnd
scan(const KObj *o, const KFunc *f, const ZydisDecoder *d)
{
    const KSec *s = &o->sec[f->sec];
    KEnd        e = { .exits = false, .call = UINT32_MAX };
    const KFunc *called = NULL;
    bool        local = false;

    for (uint64_t off = f->lo; off < f->hi;) {
        ZydisDecodedInstruction in;
        if (!ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(
                d, NULL, s->data + off, f->hi - off, &in)))
            return (KEnd){ .exits = true, .call = UINT32_MAX };
        uint8_t cat = (uint8_t)in.meta.category;
        bool    is_jmp = cat == ZYDIS_CATEGORY_UNCOND_BR;
        local = false;
        called = NULL;
        if (cat == ZYDIS_CATEGORY_RET ||
            in.meta.branch_type == ZYDIS_BRANCH_TYPE_FAR) {
            e.exits = local = true;
        } else if ((cat == ZYDIS_CATEGORY_CALL || is_jmp ||
                    cat == ZYDIS_CATEGORY_COND_BR) &&
                   in.raw.imm[0].is_relative) {
            bool leaves, noret;
            const KFunc *g = branch_target(o, s, f, off, &in, &leaves,
                                           &noret);
            bool is_call = cat == ZYDIS_CATEGORY_CALL;
            e.exits |= !is_call && leaves;
            called = is_call ? g : NULL;
            local = is_jmp || (is_call && noret);
        } else if (is_jmp) {            /* through a register or memory */
            e.exits = local = true;
        }
        off += in.length;
    }
    e.local = local;
    e.call = called && !local ? (uint32_t)(called - o->fn) : UINT32_MAX;
    return e;
}

bool
moatK_noret_prepass(KCheck *c)
{
    ZydisDecoder d;
    uint32_t     n = c->obj.nfn;

    c->noret = moatU_calloc(n + 1, 1);
    if (!c->noret || !c->ends)
        return false;
    ZydisDecoderInit(&d, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
    for (uint32_t i = 0; i < n; i++)
        c->ends[i] = scan(&c->obj, &c->obj.fn[i], &d);
    bool ok = moatK_ends_solve(c);
    for (uint32_t i = 0; ok && i < n; i++)
        c->noret[i] = c->ends[i].noret;
    moatK_ends_init(c);                 /* decode.c fills them again */
    return ok;
}
