/* valid_func.c - validates one function body while reading it: operand and
 * control stacks, as in the spec's validation algorithm (appendix A.3).
 * Instructions with plain operand types are checked from opcodes.def; the
 * rest have a checker each in valid_ops.c. After the first validation error
 * the body is still read to its end (decode only), see frontend.h.
 */
#include <string.h>

#include "valid.h"

/* One-element type lists for block types that are a single value type. */
static const uint8_t single_type[256] = {
    [T_I32] = T_I32, [T_I64] = T_I64, [T_F32] = T_F32, [T_F64] = T_F64,
    [T_V128] = T_V128, [T_FUNCREF] = T_FUNCREF, [T_EXTERNREF] = T_EXTERNREF,
};

bool
moatV_fail(Valid *v, const char *fmt, ...)
{
    char    buf[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    moatD_invalid(v->d, v->in->off, "%s in function %u at %s", buf,
                  v->func, moatD_op_text(v->in->op));
    return false;
}

bool
moatV_push(Valid *v, uint8_t t)
{
    Decode *d = v->d;
    if (d->nopd == d->capopd) {
        uint32_t cap = d->capopd ? d->capopd * 2 : 256;
        uint8_t *p = moatU_realloc(d->opd, cap);
        if (!p)
            return moatD_nomem(d);
        d->opd = p;
        d->capopd = cap;
    }
    d->opd[d->nopd++] = t;
    return true;
}

bool
moatV_pop(Valid *v, uint8_t want, uint8_t *got)
{
    Decode *d = v->d;
    Ctrl   *c = moatV_top(v);

    if (d->nopd == c->height) {
        if (c->unreachable) {
            *got = want;
            return true;
        }
        return moatV_fail(v, "type mismatch: needs %s, stack is empty",
                          moatD_valtype_text(want));
    }
    uint8_t t = d->opd[--d->nopd];
    if (t != want && t != T_ANY && want != T_ANY)
        return moatV_fail(v, "type mismatch: needs %s, got %s",
                          moatD_valtype_text(want), moatD_valtype_text(t));
    *got = t == T_ANY ? want : t;
    return true;
}

bool
moatV_pop_expect(Valid *v, uint8_t want)
{
    uint8_t got;
    return moatV_pop(v, want, &got);
}

/* Pops types[n-1] .. types[0]. */
bool
moatV_pop_list(Valid *v, const uint8_t *types, uint32_t n)
{
    for (uint32_t i = n; i-- > 0;)
        if (!moatV_pop_expect(v, types[i]))
            return false;
    return true;
}

bool
moatV_push_list(Valid *v, const uint8_t *types, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (!moatV_push(v, types[i]))
            return false;
    return true;
}

Ctrl *
moatV_top(Valid *v)
{
    return &((Ctrl *)v->d->ctrl)[v->d->nctrl - 1];
}

bool
moatV_push_ctrl(Valid *v, int op, const uint8_t *params, uint32_t np,
                const uint8_t *results, uint32_t nr)
{
    Decode *d = v->d;
    if (d->nctrl == d->capctrl) {
        uint32_t cap = d->capctrl ? d->capctrl * 2 : 64;
        Ctrl    *p = moatU_realloc(d->ctrl, cap * sizeof *p);
        if (!p)
            return moatD_nomem(d);
        d->ctrl = p;
        d->capctrl = cap;
    }
    Ctrl *c = &((Ctrl *)d->ctrl)[d->nctrl++];
    *c = (Ctrl){ .op = op, .params = params, .nparams = np,
                 .results = results, .nresults = nr, .height = d->nopd };
    return moatV_is_dead(v) || moatV_push_list(v, params, np);
}

/* Pops the innermost frame, checking that exactly its results remain. */
bool
moatV_pop_ctrl(Valid *v, Ctrl *out)
{
    Decode *d = v->d;
    Ctrl   *c = moatV_top(v);
    bool    ok = true;

    *out = *c;
    if (!moatV_is_dead(v)) {
        ok = moatV_pop_list(v, c->results, c->nresults);
        if (ok && d->nopd != c->height)
            ok = moatV_fail(v, "type mismatch: %u values left on the stack "
                            "at the end of a block", d->nopd - c->height);
    }
    d->nopd = c->height;
    d->nctrl--;
    return ok;
}

void
moatV_set_unreachable(Valid *v)
{
    Ctrl *c = moatV_top(v);
    v->d->nopd = c->height;
    c->unreachable = true;
}

bool
moatV_is_dead(const Valid *v)
{
    return moatD_is_dead(v->d);
}

/* Block type to parameter and result lists (validation 3.2.2). */
bool
moatV_blocktype(Valid *v, const Insn *in, const uint8_t **p, uint32_t *np,
                const uint8_t **r, uint32_t *nr)
{
    Module *m = v->d->m;

    *p = *r = NULL;
    *np = *nr = 0;
    if (in->bt_kind == BT_VALTYPE) {
        *r = &single_type[in->a];
        *nr = 1;
    } else if (in->bt_kind == BT_TYPEIDX) {
        if (in->a >= m->ntypes)
            return moatV_fail(v, "unknown type %u", in->a);
        const FuncType *ft = &m->types[in->a];
        *p = ft->types;
        *np = ft->nparams;
        *r = ft->types + ft->nparams;
        *nr = ft->nresults;
    }
    return true;
}

/* Typing straight from opcodes.def: pop c, b, a; push r. */
static bool
check_plain(Valid *v, const OpInfo *oi)
{
    for (int i = 2; i >= 0; i--)
        if (oi->pop[i] != T__ && !moatV_pop_expect(v, oi->pop[i]))
            return false;
    return oi->push == T__ || moatV_push(v, oi->push);
}

static bool
check_insn(Valid *v, const Insn *in)
{
    const OpInfo *oi = &moatD_ops[in->op];
    CheckFn       fn = moatV_checks[in->op];

    if (fn && !fn(v, in))
        return false;
    if (moatV_is_dead(v))
        return true;
    return check_plain(v, oi);
}

/* Decode-only mode after an error: keep the nesting right so that the body
 * still has to end where its size says. */
static bool
track_structure(Valid *v, const Insn *in)
{
    Ctrl c;
    switch (in->op) {
    case OP_BLOCK: case OP_LOOP: case OP_IF:
        return moatV_push_ctrl(v, in->op, NULL, 0, NULL, 0);
    case OP_ELSE:
        moatV_pop_ctrl(v, &c);
        return moatV_push_ctrl(v, OP_ELSE, NULL, 0, NULL, 0);
    case OP_END:
        return moatV_pop_ctrl(v, &c);
    default:
        return true;
    }
}

static bool
setup_locals(Valid *v, const Func *f)
{
    Decode         *d = v->d;
    const FuncType *ft = &d->m->types[f->type_idx];
    uint32_t        n = ft->nparams + f->nlocals;

    v->nlocals = n;
    if (n == 0)
        return true;                    /* d->locals may still be NULL */
    if (n > d->caplocals) {
        uint8_t *p = moatU_realloc(d->locals, n);
        if (!p)
            return moatD_nomem(d);
        d->locals = p;
        d->caplocals = n;
    }
    memcpy(d->locals, ft->types, ft->nparams);
    uint8_t *l = d->locals + ft->nparams;
    for (uint32_t i = 0; i < f->nruns; i++) {
        memset(l, f->runs[i].type, f->runs[i].count);
        l += f->runs[i].count;
    }
    return true;
}

bool
moatV_func(Decode *d, uint32_t func_idx)
{
    Reader     *r = d->r;
    const Func *f = &d->m->funcs[func_idx];
    Insn        in = { 0 };
    Valid       v = { .d = d, .func = func_idx, .in = &in };

    d->nopd = d->nctrl = 0;
    if (moatD_is_dead(d)) {
        if (!moatV_push_ctrl(&v, OP_BLOCK, NULL, 0, NULL, 0))
            return false;
    } else {
        const FuncType *ft = &d->m->types[f->type_idx];
        if (!setup_locals(&v, f) ||
            !moatV_push_ctrl(&v, OP_BLOCK, NULL, 0,
                             ft->types + ft->nparams, ft->nresults))
            return false;
    }
    while (d->nctrl > 0) {
        if (!moatD_insn(r, &in) || !moatV_check_encoding(&v, &in))
            return false;
        if (moatD_is_dead(d)) {
            if (!track_structure(&v, &in))
                return false;
        } else if (!check_insn(&v, &in) && moatU_failed(r->err)) {
            return false;                       /* malformed or NOMEM */
        }                                       /* invalid: go on decoding */
    }
    return true;
}
