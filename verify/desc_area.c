/* desc_area.c - the pointer arguments of the calling convention (abi.h,
 * "how every function is called"), per function type of the descriptor:
 * a function with two or more results takes a results area pointer as its
 * last argument (MOAT_RESULT_SLOT bytes per result), one with more than
 * MOAT_WIDE_PARAMS params an args pointer second (16 bytes per param).
 * The memory rule treats them in the callee as areas of that size, and
 * proves at each call site that the caller passes one (memory_area.c).
 * Which register carries the results pointer follows the x86-64 C
 * convention: integer and reference params take rdi (ctx), rsi, rdx,
 * rcx, r8, r9 in order, float and vector params xmm0-7; the rest go on
 * the stack in order, 8 bytes each (a vector 16, aligned): a results
 * pointer past the sixth integer argument is there (K_AREA_STACK, at
 * res_stack from sp at the call). stack_args: the bytes of arguments on
 * the stack, which the callee owns (the C convention lets it write
 * them): the caller's frame must hold them, and forgets what it stored
 * there.
 */
#include <string.h>

#include "abi.h"
#include "util.h"
#include "verify.h"

static const int8_t int_regs[6] = { 7, 6, 2, 1, 8, 9 };

static bool
byte_at(const KObj *o, uint32_t sec, uint64_t off, uint8_t *v)
{
    const KSec *s = &o->sec[sec];

    if (!s->data || off >= s->size)
        return false;
    *v = s->data[off];
    return true;
}

/* Type i's areas from its params' classes; false: unreadable. */
static bool
type_area(const KObj *o, uint32_t tsec, uint64_t at, KArea *a,
          uint64_t (*ptr)(const KObj *, uint32_t, uint64_t, uint32_t *))
{
    uint64_t np, nr, boff;
    uint32_t bsec;

    memcpy(&np, o->sec[tsec].data + at + offsetof(MoatDescType, nparams), 8);
    memcpy(&nr, o->sec[tsec].data + at + offsetof(MoatDescType, nresults), 8);
    a->res_reg = a->args_reg = K_AREA_NONE;
    if (np > MOAT_WIDE_PARAMS) {
        a->args_reg = 6;                        /* f(ctx, args, ...) */
        a->args_size = 16 * np;
        if (nr >= 2) {
            a->res_reg = 2;
            a->res_size = MOAT_RESULT_SLOT * nr;
        }
        return true;
    }
    a->res_size = MOAT_RESULT_SLOT * nr;
    boff = ptr(o, tsec, at + offsetof(MoatDescType, types), &bsec);
    if (np && !bsec)
        return false;
    uint32_t nint = 1, nsse = 0;                /* ctx */
    uint64_t stack = 0;
    for (uint64_t k = 0; k < np; k++) {
        uint8_t t;
        if (!byte_at(o, bsec, boff + k, &t))
            return false;
        bool is_int = t == MOAT_ABI_T_I32 || t == MOAT_ABI_T_I64 ||
                      t == MOAT_ABI_T_FUNCREF || t == MOAT_ABI_T_EXTERNREF;
        if (is_int ? nint++ < 6 : nsse++ < 8)
            continue;                           /* in a register */
        if (t == MOAT_ABI_T_V128)
            stack = (stack + 15) & ~(uint64_t)15;
        stack += t == MOAT_ABI_T_V128 ? 16 : 8;
    }
    if (nr >= 2) {
        a->res_reg = nint < 6 ? int_regs[nint] : K_AREA_STACK;
        a->res_stack = stack;
        stack += a->res_reg == K_AREA_STACK ? 8 : 0;
    }
    a->stack_args = stack;
    return true;
}

bool
moatK_desc_areas(const KObj *o, KDesc *d, uint32_t tsec, uint64_t toff,
                 uint64_t (*ptr)(const KObj *, uint32_t, uint64_t,
                                 uint32_t *))
{
    /* the types array must fit in its section before its count sizes an
     * allocation (a damaged count asked for 160 GiB: fuzz_verify) */
    if (tsec >= o->nsec || toff > o->sec[tsec].size ||
        d->ntypes > (o->sec[tsec].size - toff) / sizeof(MoatDescType))
        return false;
    d->tarea = moatU_calloc(d->ntypes + 1, sizeof *d->tarea);
    if (!d->tarea)
        return false;
    for (uint64_t i = 0; i < d->ntypes; i++) {
        uint64_t at = toff + i * sizeof(MoatDescType);
        if (o->sec[tsec].size < at + sizeof(MoatDescType) ||
            !o->sec[tsec].data || !type_area(o, tsec, at, &d->tarea[i], ptr))
            return false;
        d->any_area |= d->tarea[i].res_reg != K_AREA_NONE ||
                       d->tarea[i].args_reg != K_AREA_NONE;
        if (d->tarea[i].stack_args > d->max_stack_args)
            d->max_stack_args = d->tarea[i].stack_args;
    }
    return true;
}
