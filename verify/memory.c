/* memory.c - the memory rule (partial; docs/verify.md): a forward
 * dataflow over the function's basic blocks gives each general register,
 * and each slot of the frame, an abstract value (ctx, a value
 * below a bound, the entry stack pointer plus a constant, a pointer
 * loaded from a fixed place of the context area, ...); then every memory
 * operand must match one allowed shape:
 *   heap     heap base + value <= B + disp, B + disp + size within the
 *            reservation (MOAT_HEAP_RESERVE + MOAT_HEAP_GUARD)
 *   context  ctx + constant inside the context area (moatA_layout of the
 *            descriptor); writes only to own mutable globals' slots
 *   frame    entry sp + constant, between sp - 128 (red zone) and the
 *            return address; reads of incoming stack arguments; the
 *            stack-exhaustion probe at sp - MOAT_STACK_TRAP_ROOM
 *   fixed    %fs:(stack limit offset from ctx) read; MoatMemory fields and
 *            the epoch word read; read-only data through RIP; the entry
 *            load of a proven jump table; a trampoline's vals slots
 *   table    elems[i] / codes[i] of a table, i below its minimum size or
 *            its size loaded at run time (memory_call.c)
 *   area     a results area or wide args pointer of the function's type
 *            (memory_area.c)
 * and every ret must find the stack pointer at the return address with
 * the callee-saved registers restored, every direct call must pass ctx
 * first. Anything else (loops that walk a heap pointer, table.set,
 * memcpy, ...) is not proven: the function is rejected under this rule.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "elfload.h"
#include "memory.h"

Addr
moatK_addr_of(const AState *st, const ZydisDecodedOperand *o)
{
    Addr a = { .scale = o->mem.scale, .disp = o->mem.disp.value,
               .sum = INT64_MAX };

    if (o->mem.base != ZYDIS_REGISTER_NONE && o->mem.index !=
        ZYDIS_REGISTER_NONE)
        a.sum = moatK_pair_bound(st, moatK_gpr(o->mem.base),
                                 moatK_gpr(o->mem.index),
                                 o->mem.scale ? o->mem.scale : 1);
    if (o->mem.base != ZYDIS_REGISTER_NONE) {
        a.has_b = true;
        int r = moatK_gpr(o->mem.base);
        a.b = r >= 0 ? st->r[r] : moatK_top();
    }
    if (o->mem.index != ZYDIS_REGISTER_NONE) {
        a.has_i = true;
        int r = moatK_gpr(o->mem.index);
        a.i = r >= 0 ? st->r[r] : moatK_top();
    }
    return a;
}

/* heap base or heap pointer + integer * scale, or heap base + heap
 * pointer (no bounds looked at). */
bool
moatK_heap_shape(const MS *ms, const Addr *a)
{
    int  nbase = 0;
    AVal parts[2] = { a->b, a->i };
    bool has[2] = { a->has_b, a->has_i };

    /* a memory, with the reservation the bounds assume (the runtime maps
     * what the descriptor asks for) */
    if (ms->d->nmems == 0 || ms->d->heap_room < (uint64_t)REACH)
        return false;
    for (int k = 0; k < 2; k++) {
        bool scaled = k == 1 && a->scale > 1;
        if (!has[k])
            continue;
        AVal v = moatK_as_bnd(parts[k]);
        if ((moatK_is_heap_base(ms, v) || v.k == A_HEAPPTR) && !scaled)
            nbase++;
        else if (!moatK_is_int(v))
            return false;
    }
    return nbase == 1;
}

/* Heap shapes: heap base + offsets in intervals (a heap pointer heap +
 * [lo, c], an integer [lo, c] times the scale) + disp, from heap + 0 to
 * within REACH (memory_loop.c has the intervals). */
bool
moatK_heap_ok(const MS *ms, const Addr *a, int64_t size)
{
    int64_t lo = a->disp, hi = a->disp;
    int     nbase = 0;
    AVal    parts[2] = { a->b, a->i };
    bool    has[2] = { a->has_b, a->has_i };

    if (!moatK_heap_shape(ms, a))
        return false;
    for (int k = 0; k < 2; k++) {
        int64_t s = k == 1 && a->scale ? a->scale : 1;
        if (!has[k])
            continue;
        parts[k] = moatK_as_bnd(parts[k]);
        if (moatK_is_heap_base(ms, parts[k]) && s == 1)
            nbase++;
        else if (parts[k].k == A_HEAPPTR && s == 1) {
            nbase++;
            lo += parts[k].lo;
            hi += parts[k].c;
        } else if (moatK_is_int(parts[k])) {
            lo += parts[k].lo * s;      /* |c|, |lo| <= REACH, s <= 8 */
            hi += parts[k].c * s;
        } else
            return false;
    }
    if (a->sum != INT64_MAX && a->sum + a->disp < hi)
        hi = a->sum + a->disp;          /* a pair bounds the sum */
    return nbase == 1 && lo >= 0 && hi + size <= REACH;
}

static bool
ctx_ok(const MS *ms, const Addr *a, int64_t size, bool write)
{
    const KDesc *d = ms->d;

    if (!a->has_b || a->has_i || a->b.k != A_CTX)
        return false;
    if (a->disp < -(int64_t)d->layout.size || a->disp + size > 0)
        return false;
    if (!write)
        return true;
    int64_t g = a->disp - d->layout.globals;
    if (g < 0 || (uint64_t)g / 16 >= d->nglobals || g % 16 + size > 16)
        return false;
    return d->gwritable[g / 16];
}

static bool
frame_ok(const AState *st, const Addr *a, int64_t size, bool write,
         uint64_t args, uint64_t own)
{
    AVal sp = st->r[4];

    /* after a realignment, the highest sp may be (for the red zone) */
    if (!a->has_b || a->has_i || a->b.k != A_FRAME ||
        (sp.k != A_FRAME && sp.k != A_FRAMES))
        return false;
    int64_t at = a->b.c + a->disp;
    if (!write && at == sp.c - (int64_t)MOAT_STACK_TRAP_ROOM && size == 1)
        return true;                            /* the exhaustion probe */
    /* within a page and the red zone of what the function wrote (the
     * stack rule keeps sp there) */
    if (at >= sp.c - RED_ZONE && at >= st->touched - FRAME_MAX - RED_ZONE &&
        at + size <= 0)
        return true;
    /* its incoming stack arguments: read (at most 16 bytes a param),
     * written only where they are (the C convention gives them to it) */
    return at >= 8 && at + size <= 8 + (int64_t)(write ? own : args);
}

static bool
fixed_ok(const MS *ms, uint64_t off, const ZydisDecodedInstruction *in,
         const Addr *a, int64_t size, bool write)
{
    if (a->has_i || !a->has_b || write)
        return false;
    if (a->b.k == A_MEMPTR)         /* ctx[-8] is NULL without memory */
        return ms->d->nmems > 0 && a->disp >= 0 &&
               a->disp + size <= (int64_t)sizeof(MoatMemory);
    if (a->b.k == A_EPOCH)
        return a->disp == 0 && size <= 8;
    if (a->b.k == A_TABLE)
        return a->disp >= 0 && a->disp + size <= (int64_t)sizeof(MoatTable);
    if (a->b.k == A_REF)
        return a->disp >= 0 &&
               a->disp + size <= (int64_t)sizeof(MoatFuncRef);
    if (a->b.k == A_FUNCS)
        return a->disp >= 0 && (uint64_t)(a->disp + size) <=
                                   ms->d->nfuncs * sizeof(MoatFuncRef);
    (void)off, (void)in;
    return false;
}

/* Table elements: elems[i] with i (or a constant) below the table's
 * minimum size, read only. Stores into tables are not proven. */
/* table.set into an externref table: an element below its size loaded
 * at run time or below its minimum. Any value: an externref is opaque to
 * the runtime and never called (the same value reaches the table through
 * moatR_table_set unchecked). */
static bool
extern_store_ok(const MS *ms, const Addr *a, int64_t size)
{
    int64_t last = a->disp;

    if (size != 8 || a->disp < 0 || a->disp % 8)
        return false;
    if (a->has_i && a->i.k == A_TIDX && a->i.c == a->b.c && a->scale == 8)
        return a->disp == 0;
    if (a->has_i) {
        if (a->i.k != A_BND || a->scale != 8)
            return false;
        last += a->i.c * 8;
    }
    return last + 8 <= (int64_t)((ms->d->textern[a->b.c] - 1) * 8);
}

static bool
elems_ok(const MS *ms, const Addr *a, int64_t size, bool write)
{
    if (write && a->has_b && a->b.k == A_ELEMS && ms->d->textern[a->b.c])
        return extern_store_ok(ms, a, size);
    if (write || !a->has_b || (a->b.k != A_ELEMS && a->b.k != A_CODES) ||
        a->disp < 0 || size > 8)
        return false;
    int64_t last = a->disp;
    if (a->has_i && a->i.k == A_TIDX && a->i.c == a->b.c && a->scale == 8 &&
        a->disp == 0)
        return true;            /* below the size: below cap (abi.h) */
    if (a->has_i) {
        if (a->i.k != A_BND || a->scale != 8)
            return false;
        last += a->i.c * 8;
    }
    return last + 8 <= (int64_t)(ms->d->tmin[a->b.c] * 8);
}

/* An imported global's cell: read, and written when mutable. */
static bool
gptr_ok(const MS *ms, const Addr *a, int64_t size, bool write)
{
    if (!a->has_b || a->has_i || a->b.k != A_GPTR || a->disp < 0 ||
        a->disp + size > 16)
        return false;
    return !write || (ms->d->gimport[a->b.c] & 2);
}

static bool
rip_ok(const MS *ms, uint64_t off, const ZydisDecodedInstruction *in,
       int64_t size, bool write)
{
    uint32_t    n;
    const KRel *r = moatK_rels_in(ms->s, off, off + in->length, &n);
    const KObj *o = &ms->c->obj;

    if (write || n != 1)
        return false;
    const KSym *s = &o->sym[r->sym];
    if (s->shndx == 0 || s->shndx >= o->nsec)
        return false;
    const KSec *t = &o->sec[s->shndx];
    /* unsigned: a damaged addend must not overflow (fuzz_verify) */
    int64_t at = (int64_t)(s->value + (uint64_t)r->addend +
                           (off + in->length - r->off));
    return !t->is_code && (t->flags & ELF_SHF_ALLOC) &&
           !(t->flags & ELF_SHF_WRITE) && at >= 0 &&
           (uint64_t)at + (uint64_t)size <= t->size;
}

static const char *const kind_name[] = {
    "?", "ctx", "bound", "frame", "stacklimit", "memory*", "heapbase",
    "epoch*", "saved", "heap+bound", "vals", "table*", "elems", "codes",
    "funcref?", "funcref", "funcs*", "global*", "low32", "code", "typeid",
    "refctx", "importctx",
    "codehint", "ctxtypeid", "importcode", "trampcode", "tablesize",
    "<tablesize", "low32<tablesize", "area", "frame~", "flag", "!flag",
    "rodata", "int"
};
_Static_assert(sizeof kind_name / sizeof kind_name[0] == A_NKINDS,
               "a name for every abstract value's kind");

/* "load 4 [ctx + bound(0xffffffff) + 0x8]" for messages. */
static void
describe(char *out, size_t n, const ZydisDecodedInstruction *in,
         const Addr *a, bool write, int64_t size)
{
    int k = snprintf(out, n, "%s %s %" PRId64 " [",
                     ZydisMnemonicGetString(in->mnemonic),
                     write ? "store" : "load", size);
    if (a->has_b && k > 0 && (size_t)k < n)
        k += snprintf(out + k, n - (size_t)k, "%s(%" PRId64 ")",
                      kind_name[a->b.k], a->b.c);
    if (a->has_i && k > 0 && (size_t)k < n)
        k += snprintf(out + k, n - (size_t)k, " + %s(%" PRId64 ")*%u",
                      kind_name[a->i.k], a->i.c, a->scale);
    if (k > 0 && (size_t)k < n)
        snprintf(out + k, n - (size_t)k, " %+" PRId64 "]", a->disp);
}

void
moatK_check_access(MS *ms, const AState *st, uint64_t off,
             const ZydisDecodedInstruction *in, const ZydisDecodedOperand *o)
{
    bool    write = o->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE;
    int64_t size = o->size / 8 ? o->size / 8 : 1;
    Addr    a = moatK_addr_of(st, o);

    if (in->address_width != 64) {
        moatK_mfail(ms, off, "%s: 32-bit address (cut to 4 GiB, no base)",
                    ZydisMnemonicGetString(in->mnemonic));
        return;
    }
    if (in->meta.category == ZYDIS_CATEGORY_STRINGOP &&
        (in->attributes & (ZYDIS_ATTRIB_HAS_REP | ZYDIS_ATTRIB_HAS_REPE |
                           ZYDIS_ATTRIB_HAS_REPNE))) {
        moatK_mfail(ms, off, "%s: repeated string operation",
                    ZydisMnemonicGetString(in->mnemonic));
        return;
    }
    if (in->meta.category == ZYDIS_CATEGORY_BITBYTE && o->id == 0 &&
        in->operand_count_visible > 1 &&
        o[1].type == ZYDIS_OPERAND_TYPE_REGISTER) {     /* o is ops[0] */
        /* bt, bts, btr, btc with a register bit offset address the byte
         * at operand + offset / 8 (signed, to +-256 MiB), not the operand */
        moatK_mfail(ms, off, "%s: a bit string instruction with a register "
                    "offset reaches past its operand",
                    ZydisMnemonicGetString(in->mnemonic));
        return;
    }
    if (o->mem.type != ZYDIS_MEMOP_TYPE_MEM) {
        moatK_mfail(ms, off, "%s: gather, scatter or other memory form",
                    ZydisMnemonicGetString(in->mnemonic));
        return;
    }
    if (o->mem.segment == ZYDIS_REGISTER_FS) {
        if (!write && a.has_b && !a.has_i && a.b.k == A_STKLIM &&
            a.disp == 0)
            return;
        moatK_mfail(ms, off, "%s: fs access other than the stack limit "
                    "read", ZydisMnemonicGetString(in->mnemonic));
        return;
    }
    if (o->mem.base == ZYDIS_REGISTER_RIP) {
        if (!rip_ok(ms, off, in, size, write))
            moatK_mfail(ms, off, "%s: RIP-relative access outside "
                        "read-only data",
                        ZydisMnemonicGetString(in->mnemonic));
        return;
    }
    if (ms->m->is_tload[off - ms->f->lo] && !write)
        return;
    if (a.has_b && !a.has_i && a.b.k == A_VALS &&
        a.disp >= 0 && (uint64_t)(a.disp + size) <= ms->vals)
        return;
    if (moatK_heap_ok(ms, &a, size) || ctx_ok(ms, &a, size, write) ||
        moatK_area_ok(&a, size) || moatK_frames_ok(st, &a, size, write) ||
        frame_ok(st, &a, size, write, ms->args, ms->own_stack) ||
        fixed_ok(ms, off, in, &a, size, write) ||
        elems_ok(ms, &a, size, write) || gptr_ok(ms, &a, size, write) ||
        moatK_rodata_ok(ms, &a, size, write))
        return;
    char what[160];
    describe(what, sizeof what, in, &a, write, size);
    if (ms->d->nmems && ms->d->heap_room < (uint64_t)REACH)
        moatK_mfail(ms, off, "%s: not proven (the descriptor's heap "
                    "reservation and guard are below 6 GiB)", what);
    else
        moatK_mfail(ms, off, "%s: not proven (not heap, context area, "
                    "frame or a fixed place)", what);
}
