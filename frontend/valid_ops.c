/* valid_ops.c - typing rules of the instructions that opcodes.def cannot
 * type alone: control, calls, variables, select, references, tables, bulk
 * memory, and the immediates of memory and lane instructions (validation
 * 3.3). Everything else is typed from its table row by valid_func.c.
 */
#include "valid.h"

/* ---- control (3.3.8) ---- */

static bool
check_block(Valid *v, const Insn *in)
{
    const uint8_t *p, *r;
    uint32_t       np, nr;
    bool           ok = moatV_blocktype(v, in, &p, &np, &r, &nr);

    if (ok && in->op == OP_IF)
        ok = moatV_pop_expect(v, T_I32);
    if (ok)
        ok = moatV_pop_list(v, p, np);
    return moatV_push_ctrl(v, in->op, p, np, r, nr) && ok;
}

static bool
check_else(Valid *v, const Insn *in)
{
    Ctrl c;
    bool ok = moatV_pop_ctrl(v, &c);
    (void)in;
    return moatV_push_ctrl(v, OP_ELSE, c.params, c.nparams, c.results,
                           c.nresults) && ok;
}

static bool
same_types(const uint8_t *a, uint32_t na, const uint8_t *b, uint32_t nb)
{
    if (na != nb)
        return false;
    for (uint32_t i = 0; i < na; i++)
        if (a[i] != b[i])
            return false;
    return true;
}

static bool
check_end(Valid *v, const Insn *in)
{
    Ctrl c;
    (void)in;
    if (!moatV_pop_ctrl(v, &c))
        return false;
    if (c.op == OP_IF &&
        !same_types(c.params, c.nparams, c.results, c.nresults))
        return moatV_fail(v, "type mismatch: if without else must leave "
                          "its parameters as its results");
    return v->d->nctrl == 0 || moatV_push_list(v, c.results, c.nresults);
}

static Ctrl *
label(Valid *v, uint32_t l)
{
    if (l >= v->d->nctrl) {
        moatV_fail(v, "unknown label %u", l);
        return NULL;
    }
    return moatV_top(v) - l;
}

static void
label_types(const Ctrl *c, const uint8_t **t, uint32_t *n)
{
    if (c->op == OP_LOOP) {
        *t = c->params;
        *n = c->nparams;
    } else {
        *t = c->results;
        *n = c->nresults;
    }
}

static bool
check_br(Valid *v, const Insn *in)
{
    const uint8_t *t;
    uint32_t       n;
    Ctrl          *c = label(v, in->a);

    if (!c)
        return false;
    label_types(c, &t, &n);
    if (!moatV_pop_list(v, t, n))
        return false;
    moatV_set_unreachable(v);
    return true;
}

static bool
check_br_if(Valid *v, const Insn *in)
{
    const uint8_t *t;
    uint32_t       n;
    Ctrl          *c;

    if (!moatV_pop_expect(v, T_I32) || !(c = label(v, in->a)))
        return false;
    label_types(c, &t, &n);
    return moatV_pop_list(v, t, n) && moatV_push_list(v, t, n);
}

/* Each target must take the default's arity; the operands are checked
 * against every target (the stack may be polymorphic). */
static bool
check_br_table(Valid *v, const Insn *in)
{
    Decode        *d = v->d;
    Reader         tr = *d->r;
    const uint8_t *dt, *t;
    uint32_t       dn, n, l;
    Ctrl          *c;

    if (!moatV_pop_expect(v, T_I32) || !(c = label(v, in->a)))
        return false;
    label_types(c, &dt, &dn);
    tr.p = in->targets;
    for (uint32_t i = 0; i < in->b; i++) {
        moatD_u32(&tr, &l);                     /* read before: cannot fail */
        if (!(c = label(v, l)))
            return false;
        label_types(c, &t, &n);
        if (n != dn)
            return moatV_fail(v, "type mismatch: br_table target %u takes %u"
                              " values, default takes %u", l, n, dn);
        uint32_t h = d->nopd;
        if (!moatV_pop_list(v, t, n))
            return false;
        d->nopd = h;            /* popped values stay: keep the stack as is */
    }
    if (!moatV_pop_list(v, dt, dn))
        return false;
    moatV_set_unreachable(v);
    return true;
}

static bool
check_return(Valid *v, const Insn *in)
{
    const Ctrl *fn = (const Ctrl *)v->d->ctrl;
    (void)in;
    if (!moatV_pop_list(v, fn->results, fn->nresults))
        return false;
    moatV_set_unreachable(v);
    return true;
}

static bool
check_unreachable(Valid *v, const Insn *in)
{
    (void)in;
    moatV_set_unreachable(v);
    return true;
}

/* ---- calls (3.3.8) ---- */

static bool
call_type(Valid *v, const FuncType *ft)
{
    return moatV_pop_list(v, ft->types, ft->nparams) &&
           moatV_push_list(v, ft->types + ft->nparams, ft->nresults);
}

static bool
check_call(Valid *v, const Insn *in)
{
    Module *m = v->d->m;
    if (in->a >= m->nfuncs)
        return moatV_fail(v, "unknown function %u", in->a);
    return call_type(v, &m->types[m->funcs[in->a].type_idx]);
}

static bool
check_call_indirect(Valid *v, const Insn *in)
{
    Module *m = v->d->m;
    if (in->b >= m->ntables)
        return moatV_fail(v, "unknown table %u", in->b);
    if (m->tables[in->b].elem != T_FUNCREF)
        return moatV_fail(v, "type mismatch: call_indirect through a table "
                          "of %s", moatD_valtype_text(m->tables[in->b].elem));
    if (in->a >= m->ntypes)
        return moatV_fail(v, "unknown type %u", in->a);
    return moatV_pop_expect(v, T_I32) && call_type(v, &m->types[in->a]);
}

/* ---- parametric (3.3.4) ---- */

static bool
check_drop(Valid *v, const Insn *in)
{
    uint8_t t = T_ANY;
    (void)in;
    return moatV_pop(v, T_ANY, &t);
}

static bool
check_select(Valid *v, const Insn *in)
{
    uint8_t t1, t2;
    (void)in;
    if (!moatV_pop_expect(v, T_I32) || !moatV_pop(v, T_ANY, &t1) ||
        !moatV_pop(v, T_ANY, &t2))
        return false;
    if ((t1 != T_ANY && !moatD_is_num_or_vec(t1)) ||
        (t2 != T_ANY && !moatD_is_num_or_vec(t2)))
        return moatV_fail(v, "type mismatch: select without a type needs "
                          "numeric or vector operands");
    if (t1 != t2 && t1 != T_ANY && t2 != T_ANY)
        return moatV_fail(v, "type mismatch: select of %s and %s",
                          moatD_valtype_text(t1), moatD_valtype_text(t2));
    return moatV_push(v, t1 == T_ANY ? t2 : t1);
}

static bool
check_select_t(Valid *v, const Insn *in)
{
    if (in->b != 1)
        return moatV_fail(v, "invalid result arity: select takes one type, "
                          "got %u", in->b);
    return moatV_pop_expect(v, T_I32) && moatV_pop_expect(v, (uint8_t)in->a) &&
           moatV_pop_expect(v, (uint8_t)in->a) && moatV_push(v, (uint8_t)in->a);
}

/* ---- variables (3.3.5) ---- */

static bool
local_type(Valid *v, uint32_t idx, uint8_t *t)
{
    if (idx >= v->nlocals)
        return moatV_fail(v, "unknown local %u", idx);
    *t = v->d->locals[idx];
    return true;
}

static bool
check_local_get(Valid *v, const Insn *in)
{
    uint8_t t = T_ANY;
    return local_type(v, in->a, &t) && moatV_push(v, t);
}

static bool
check_local_set(Valid *v, const Insn *in)
{
    uint8_t t = T_ANY;
    return local_type(v, in->a, &t) && moatV_pop_expect(v, t);
}

static bool
check_local_tee(Valid *v, const Insn *in)
{
    uint8_t t = T_ANY;
    return local_type(v, in->a, &t) && moatV_pop_expect(v, t) &&
           moatV_push(v, t);
}

static bool
check_global_get(Valid *v, const Insn *in)
{
    Module *m = v->d->m;
    if (in->a >= m->nglobals)
        return moatV_fail(v, "unknown global %u", in->a);
    return moatV_push(v, m->globals[in->a].type.type);
}

static bool
check_global_set(Valid *v, const Insn *in)
{
    Module *m = v->d->m;
    if (in->a >= m->nglobals)
        return moatV_fail(v, "unknown global %u", in->a);
    if (!m->globals[in->a].type.is_mut)
        return moatV_fail(v, "global is immutable: global %u", in->a);
    return moatV_pop_expect(v, m->globals[in->a].type.type);
}

/* ---- memory (3.3.7) ---- */

static bool
has_memory(Valid *v)
{
    if (v->d->m->nmems == 0)
        return moatV_fail(v, "unknown memory 0");
    return true;
}

static bool
check_memarg(Valid *v, const Insn *in)
{
    const OpInfo *oi = &moatD_ops[in->op];
    uint32_t      natural = oi->n;

    if (oi->imm == IMM_MEMARG_LANE)             /* n = lanes of 16 bytes */
        natural = oi->n == 16 ? 0 : oi->n == 8 ? 1 : oi->n == 4 ? 2 : 3;
    if (!has_memory(v))
        return false;
    if (in->a > natural)
        return moatV_fail(v, "alignment must not be larger than natural: "
                          "2**%u > %u", in->a, 1u << natural);
    if (oi->prefix == 0xfe && in->a != natural)     /* threads: atomics */
        return moatV_fail(v, "atomic alignment must be natural: 2**%u != %u",
                          in->a, 1u << natural);
    if (oi->imm == IMM_MEMARG_LANE && in->lane >= oi->n)
        return moatV_fail(v, "invalid lane index %u", in->lane);
    return true;
}

static bool
check_memory(Valid *v, const Insn *in)
{
    (void)in;
    return has_memory(v);
}

/* Without a data count section the index is checked once the data section
 * has been read (moatV_check_encoding, decode.c). */
static bool
check_data_idx(Valid *v, const Insn *in)
{
    Decode *d = v->d;
    if (!d->m->has_datacount)
        return true;
    if (in->a >= d->m->datacount)
        return moatV_fail(v, "unknown data segment %u", in->a);
    return true;
}

static bool
check_memory_init(Valid *v, const Insn *in)
{
    return check_data_idx(v, in) && has_memory(v) &&
           moatV_pop_expect(v, T_I32) && moatV_pop_expect(v, T_I32) &&
           moatV_pop_expect(v, T_I32);
}

static bool
check_data_drop(Valid *v, const Insn *in)
{
    return check_data_idx(v, in);
}

static bool
check_memory_bulk(Valid *v, const Insn *in)
{
    (void)in;
    return has_memory(v) && moatV_pop_expect(v, T_I32) &&
           moatV_pop_expect(v, T_I32) && moatV_pop_expect(v, T_I32);
}

/* ---- vector lanes (3.3.3) ---- */

static bool
check_lane(Valid *v, const Insn *in)
{
    if (in->lane >= moatD_ops[in->op].n)
        return moatV_fail(v, "invalid lane index %u", in->lane);
    return true;
}

static bool
check_shuffle(Valid *v, const Insn *in)
{
    for (int i = 0; i < 16; i++)
        if (in->bytes[i] >= 32)
            return moatV_fail(v, "invalid lane index %u", in->bytes[i]);
    return true;
}

/* ---- references (3.3.2) ---- */

static bool
check_ref_null(Valid *v, const Insn *in)
{
    return moatV_push(v, (uint8_t)in->a);
}

static bool
check_ref_is_null(Valid *v, const Insn *in)
{
    uint8_t t = T_ANY;
    (void)in;
    if (!moatV_pop(v, T_ANY, &t))
        return false;
    if (t != T_ANY && !moatD_is_ref(t))
        return moatV_fail(v, "type mismatch: ref.is_null of %s",
                          moatD_valtype_text(t));
    return moatV_push(v, T_I32);
}

static bool
check_ref_func(Valid *v, const Insn *in)
{
    Decode *d = v->d;
    if (in->a >= d->m->nfuncs)
        return moatV_fail(v, "unknown function %u", in->a);
    if (!d->declared_refs || !d->declared_refs[in->a])
        return moatV_fail(v, "undeclared function reference %u", in->a);
    return moatV_push(v, T_FUNCREF);
}

/* ---- tables (3.3.6) ---- */

static bool
table_elem(Valid *v, uint32_t idx, uint8_t *t)
{
    if (idx >= v->d->m->ntables)
        return moatV_fail(v, "unknown table %u", idx);
    *t = v->d->m->tables[idx].elem;
    return true;
}

static bool
check_table_get(Valid *v, const Insn *in)
{
    uint8_t t = T_ANY;
    return table_elem(v, in->a, &t) && moatV_pop_expect(v, T_I32) &&
           moatV_push(v, t);
}

static bool
check_table_set(Valid *v, const Insn *in)
{
    uint8_t t = T_ANY;
    return table_elem(v, in->a, &t) && moatV_pop_expect(v, t) &&
           moatV_pop_expect(v, T_I32);
}

static bool
check_table_size(Valid *v, const Insn *in)
{
    uint8_t t = T_ANY;
    return table_elem(v, in->a, &t) && moatV_push(v, T_I32);
}

static bool
check_table_grow(Valid *v, const Insn *in)
{
    uint8_t t = T_ANY;
    return table_elem(v, in->a, &t) && moatV_pop_expect(v, T_I32) &&
           moatV_pop_expect(v, t) && moatV_push(v, T_I32);
}

static bool
check_table_fill(Valid *v, const Insn *in)
{
    uint8_t t = T_ANY;
    return table_elem(v, in->a, &t) && moatV_pop_expect(v, T_I32) &&
           moatV_pop_expect(v, t) && moatV_pop_expect(v, T_I32);
}

static bool
pop3_i32(Valid *v)
{
    return moatV_pop_expect(v, T_I32) && moatV_pop_expect(v, T_I32) &&
           moatV_pop_expect(v, T_I32);
}

static bool
check_table_copy(Valid *v, const Insn *in)
{
    uint8_t dst = T_ANY, src = T_ANY;
    if (!table_elem(v, in->a, &dst) || !table_elem(v, in->b, &src))
        return false;
    if (dst != src)
        return moatV_fail(v, "type mismatch: table.copy from %s to %s",
                          moatD_valtype_text(src), moatD_valtype_text(dst));
    return pop3_i32(v);
}

static bool
check_table_init(Valid *v, const Insn *in)
{
    Module *m = v->d->m;
    uint8_t t = T_ANY;
    if (!table_elem(v, in->b, &t))
        return false;
    if (in->a >= m->nelems)
        return moatV_fail(v, "unknown elem segment %u", in->a);
    if (m->elems[in->a].type != t)
        return moatV_fail(v, "type mismatch: table.init of %s into %s",
                          moatD_valtype_text(m->elems[in->a].type),
                          moatD_valtype_text(t));
    return pop3_i32(v);
}

static bool
check_elem_drop(Valid *v, const Insn *in)
{
    if (in->a >= v->d->m->nelems)
        return moatV_fail(v, "unknown elem segment %u", in->a);
    return true;
}

bool
moatV_check_encoding(Valid *v, const Insn *in)
{
    Reader *r = v->d->r;

    if (in->op == OP_ELSE && moatV_top(v)->op != OP_IF)
        return moatD_malformed(r, in->off, "END opcode expected: else "
                               "without if");
    if ((in->op == OP_MEMORY_INIT || in->op == OP_DATA_DROP) &&
        !v->d->m->has_datacount) {
        Decode *d = v->d;
        if (!d->uses_data || in->a > d->max_data_use) {
            d->max_data_use = in->a;
            d->data_use_off = in->off;
        }
        d->uses_data = true;
    }
    return true;
}

/* Memory and lane instructions get their immediate checks by Imm kind. */
#define IMMCHECK_MEMARG(name)      [OP_##name] = check_memarg,
#define IMMCHECK_MEMARG_LANE(name) [OP_##name] = check_memarg,
#define IMMCHECK_LANE(name)        [OP_##name] = check_lane,
#define IMMCHECK_NONE(name)
#define IMMCHECK_BLOCKTYPE(name)
#define IMMCHECK_LABEL(name)
#define IMMCHECK_BR_TABLE(name)
#define IMMCHECK_FUNC(name)
#define IMMCHECK_CALL_INDIRECT(name)
#define IMMCHECK_LOCAL(name)
#define IMMCHECK_GLOBAL(name)
#define IMMCHECK_MEMIDX(name)
#define IMMCHECK_I32(name)
#define IMMCHECK_I64(name)
#define IMMCHECK_F32(name)
#define IMMCHECK_F64(name)
#define IMMCHECK_V128(name)
#define IMMCHECK_SHUFFLE(name)
#define IMMCHECK_SELECT_T(name)
#define IMMCHECK_REFTYPE(name)
#define IMMCHECK_TABLE(name)
#define IMMCHECK_TABLE_COPY(name)
#define IMMCHECK_TABLE_INIT(name)
#define IMMCHECK_ELEM(name)
#define IMMCHECK_MEMORY_INIT(name)
#define IMMCHECK_DATA(name)
#define IMMCHECK_MEMORY_COPY(name)

const CheckFn moatV_checks[NOP_COUNT] = {
    [OP_UNREACHABLE] = check_unreachable,
    [OP_BLOCK] = check_block, [OP_LOOP] = check_block, [OP_IF] = check_block,
    [OP_ELSE] = check_else, [OP_END] = check_end,
    [OP_BR] = check_br, [OP_BR_IF] = check_br_if,
    [OP_BR_TABLE] = check_br_table, [OP_RETURN] = check_return,
    [OP_CALL] = check_call, [OP_CALL_INDIRECT] = check_call_indirect,
    [OP_DROP] = check_drop, [OP_SELECT] = check_select,
    [OP_SELECT_T] = check_select_t,
    [OP_LOCAL_GET] = check_local_get, [OP_LOCAL_SET] = check_local_set,
    [OP_LOCAL_TEE] = check_local_tee,
    [OP_GLOBAL_GET] = check_global_get, [OP_GLOBAL_SET] = check_global_set,
    [OP_TABLE_GET] = check_table_get, [OP_TABLE_SET] = check_table_set,
    [OP_MEMORY_SIZE] = check_memory, [OP_MEMORY_GROW] = check_memory,
    [OP_REF_NULL] = check_ref_null, [OP_REF_IS_NULL] = check_ref_is_null,
    [OP_REF_FUNC] = check_ref_func,
    [OP_MEMORY_INIT] = check_memory_init, [OP_DATA_DROP] = check_data_drop,
    [OP_MEMORY_COPY] = check_memory_bulk, [OP_MEMORY_FILL] = check_memory_bulk,
    [OP_TABLE_INIT] = check_table_init, [OP_ELEM_DROP] = check_elem_drop,
    [OP_TABLE_COPY] = check_table_copy, [OP_TABLE_GROW] = check_table_grow,
    [OP_TABLE_SIZE] = check_table_size, [OP_TABLE_FILL] = check_table_fill,
    [OP_I8X16_SHUFFLE] = check_shuffle,
#define OP(name, prefix, code, text, imm, a, b, c, r, n, lower) \
    IMMCHECK_##imm(name)
#include "opcodes.def"
#undef OP
};
