/* init.c - an instance's contents: reading its context area (tables,
 * funcrefs, globals, exports), constant expressions, and the steps of spec
 * 4.5.4 after allocation: globals from their initialisers, then element
 * and data segments one by one (a trap leaves earlier writes in place, as
 * wasm 2.0 says and linking.wast checks), each active or declarative
 * segment dropped once applied. table.init and memory.init (spec 4.4.6,
 * 4.4.7) are shared with the helpers.
 */
#include <string.h>

#include "runtime.h"

static void *
get_ptr(const uint8_t *at)
{
    void *p;

    memcpy(&p, at, sizeof p);
    return p;
}

MoatTable *
moatR_inst_table(const moat_instance *inst, uint32_t i)
{
    return get_ptr(inst->ctx + moatA_table_at(&inst->module->layout, i));
}

MoatFuncRef *
moatR_inst_funcref(const moat_instance *inst, uint32_t i)
{
    return get_ptr(inst->ctx + moatA_funcref_at(&inst->module->layout, i));
}

/* The MOAT_CTX_GLOBAL_SLOT bytes of global i: its slot, or an imported
 * global's. */
uint8_t *
moatR_inst_global(const moat_instance *inst, uint32_t i)
{
    uint8_t *slot = inst->ctx + moatA_global_at(&inst->module->layout, i);

    return i < inst->module->nimp[MOAT_DESC_EXT_GLOBAL] ? get_ptr(slot) : slot;
}

/* The instance whose storage global i is (NULL: the host's), for the
 * reference counts of funcref globals (funcref.c). */
const moat_instance *
moatR_global_owner(const moat_instance *inst, uint32_t i)
{
    const MoatDescriptor *d = inst->module->desc;

    if (i >= inst->module->nimp[MOAT_DESC_EXT_GLOBAL])
        return inst;
    for (uint64_t k = 0; k < d->nimports; k++)
        if (d->imports[k].kind == MOAT_DESC_EXT_GLOBAL &&
            d->imports[k].idx == i)
            return inst->imports[k].inst;
    return NULL;
}

void
moatR_inst_extern(moat_instance *inst, const MoatDescExport *x, Extern *out)
{
    uint32_t i = (uint32_t)x->idx;

    memset(out, 0, sizeof *out);
    out->kind = (uint8_t)x->kind;
    out->owner = &inst->o;      /* keeps what inst imported alive too */
    switch (x->kind) {
    case MOAT_DESC_EXT_FUNC: out->u.func = moatR_inst_funcref(inst, i); break;
    case MOAT_DESC_EXT_TABLE:
        out->u.table = (Table *)moatR_inst_table(inst, i);
        break;
    case MOAT_DESC_EXT_MEMORY: out->u.mem = (Memory *)inst->mem; break;
    default:                    /* MOAT_DESC_EXT_GLOBAL */
        out->inst = moatR_global_owner(inst, i);
        out->u.global.cell = moatR_inst_global(inst, i);
        out->u.global.type = (uint8_t)inst->module->desc->globals[i].type;
        out->u.global.is_mut = inst->module->desc->globals[i].is_mut != 0;
    }
}

const MoatDescExport *
moatR_inst_export(const moat_instance *inst, const char *name)
{
    const moat_module *m = inst->module;

    for (uint64_t i = 0; i < m->desc->nexports; i++)
        if (strcmp(m->exports[i].name, name) == 0)
            return &m->desc->exports[i];
    return NULL;
}

/* ---- segments ---- */

static size_t
seg_bit(const moat_instance *inst, bool is_data, uint32_t i)
{
    return (is_data ? (size_t)inst->module->desc->nelems : 0) + i;
}

bool
moatR_seg_dropped(const moat_instance *inst, bool is_data, uint32_t i)
{
    size_t b = seg_bit(inst, is_data, i);

    return (inst->dropped[b / 8] >> (b % 8)) & 1;
}

void
moatR_seg_drop(moat_instance *inst, bool is_data, uint32_t i)
{
    size_t b = seg_bit(inst, is_data, i);

    inst->dropped[b / 8] |= (uint8_t)(1u << (b % 8));
}

/* An extended constant expression (checked by contract.c: each operator
 * finds two values of its type, one value is left), in uint64_t slots;
 * i32 arithmetic wraps at 32 bits. */
static uint64_t
run_program(const moat_instance *inst, const MoatDescConst *c)
{
    const MoatDescConst *ops;
    uint64_t             v[MOAT_DESC_CONST_MAX_OPS];
    uint32_t             n = 0;

    memcpy(&ops, &c->lo, sizeof ops);
    for (uint64_t k = 0; k < c->idx; k++) {
        const MoatDescConst *o = &ops[k];
        switch (o->kind) {
        case MOAT_DESC_CONST_I32: v[n++] = (uint32_t)o->lo; continue;
        case MOAT_DESC_CONST_I64: v[n++] = o->lo; continue;
        case MOAT_DESC_CONST_GLOBAL_GET:
            memcpy(&v[n++], moatR_inst_global(inst, (uint32_t)o->idx), 8);
            continue;
        default: break;
        }
        uint64_t a = v[n - 2], b = v[n - 1];  /* an operator: n >= 2 */
        switch (o->kind) {
        case MOAT_DESC_CONST_I32_ADD: a = (uint32_t)(a + b); break;
        case MOAT_DESC_CONST_I32_SUB: a = (uint32_t)(a - b); break;
        case MOAT_DESC_CONST_I32_MUL: a = (uint32_t)(a * b); break;
        case MOAT_DESC_CONST_I64_ADD: a += b; break;
        case MOAT_DESC_CONST_I64_SUB: a -= b; break;
        default:                      a *= b; break;  /* I64_MUL */
        }
        v[--n - 1] = a;
    }
    return v[0];
}

/* Constant expressions: 16 bytes, little-endian, unused bytes zero. */
static void
const_bits(const moat_instance *inst, const MoatDescConst *c, uint8_t *out)
{
    uint32_t v32 = (uint32_t)c->lo;
    void    *p;

    memset(out, 0, MOAT_CTX_GLOBAL_SLOT);
    switch (c->kind) {
    case MOAT_DESC_CONST_I32: case MOAT_DESC_CONST_F32:
        memcpy(out, &v32, 4);
        break;
    case MOAT_DESC_CONST_I64: case MOAT_DESC_CONST_F64:
        memcpy(out, &c->lo, 8);
        break;
    case MOAT_DESC_CONST_V128:
        memcpy(out, &c->lo, 8);
        memcpy(out + 8, &c->hi, 8);
        break;
    case MOAT_DESC_CONST_REF_FUNC:
        p = moatR_inst_funcref(inst, (uint32_t)c->idx);
        memcpy(out, &p, sizeof p);
        break;
    case MOAT_DESC_CONST_GLOBAL_GET:
        memcpy(out, moatR_inst_global(inst, (uint32_t)c->idx),
               MOAT_CTX_GLOBAL_SLOT);
        break;
    case MOAT_DESC_CONST_EXPR: {
        uint64_t v = run_program(inst, c);
        memcpy(out, &v, 8);             /* an i32 is zero-extended */
        break;
    }
    default: break;                     /* MOAT_DESC_CONST_REF_NULL */
    }
}

void *
moatR_const_ref(const moat_instance *inst, const MoatDescConst *c)
{
    uint8_t b[MOAT_CTX_GLOBAL_SLOT];

    const_bits(inst, c, b);
    return get_ptr(b);
}

static uint32_t
const_i32(const moat_instance *inst, const MoatDescConst *c)
{
    uint8_t  b[MOAT_CTX_GLOBAL_SLOT];
    uint32_t v;

    const_bits(inst, c, b);
    memcpy(&v, b, 4);
    return v;
}

moat_trap
moatR_table_init_at(moat_instance *inst, uint32_t t, uint32_t seg,
                    uint32_t d, uint32_t s, uint32_t n)
{
    const MoatDescElem *e = &inst->module->desc->elems[seg];
    uint64_t            len = moatR_seg_dropped(inst, false, seg) ? 0
                                                                   : e->count;
    Table              *tab = (Table *)moatR_inst_table(inst, t);

    if ((uint64_t)s + n > len || (uint64_t)d + n > tab->t.size)
        return MOAT_TRAP_TABLE_OOB;
    for (uint32_t k = 0; k < n; k++) {
        moat_trap r = moatR_table_set_at(tab, d + k,
                                         moatR_const_ref(inst,
                                                         &e->items[s + k]));
        if (r != MOAT_TRAP_NONE)
            return r;
    }
    return MOAT_TRAP_NONE;
}

moat_trap
moatR_memory_init_at(moat_instance *inst, uint32_t seg, uint32_t d,
                     uint32_t s, uint32_t n)
{
    const MoatDescData *ds = &inst->module->desc->datas[seg];
    uint64_t len = moatR_seg_dropped(inst, true, seg) ? 0 : ds->bytes.len;
    MoatMemory *m = inst->mem;

    if ((uint64_t)s + n > len || !m || (uint64_t)d + n > m->size)
        return MOAT_TRAP_MEMORY_OOB;
    if (n && !moatR_memory_will_write(m, d, (uint64_t)d + n))
        return MOAT_TRAP_MEMORY_OOB;    /* cannot open pages (no memory) */
    if (n)
        memcpy(m->base + d, ds->bytes.p + s, n);
    return MOAT_TRAP_NONE;
}

static bool
trapped(moat_error *err, moat_trap t)
{
    if (t == MOAT_TRAP_NOMEM)
        return moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_NOMEM,
                          "out of memory: function reference");
    if (err && err->code == MOAT_OK) {
        moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_TRAP, "%s",
                   moat_trap_string(t));
        err->trap = t;
    }
    return false;
}

/* A funcref global's value is counted like a table element (funcref.c):
 * another instance's function is held through its proxy. */
bool
moatR_init_globals(moat_instance *inst, moat_error *err)
{
    const MoatDescriptor *d = inst->module->desc;

    for (uint64_t i = inst->module->nimp[MOAT_DESC_EXT_GLOBAL];
         i < d->nglobals; i++) {
        uint8_t *cell = moatR_inst_global(inst, (uint32_t)i);
        const_bits(inst, &d->globals[i].init, cell);
        if (d->globals[i].type != MOAT_FUNCREF)
            continue;
        void *v = get_ptr(cell), *h = moatR_ref_hold(v, inst, 1);
        if (v && !h) {
            memset(cell, 0, MOAT_CTX_GLOBAL_SLOT);
            return trapped(err, MOAT_TRAP_NOMEM);
        }
        memcpy(cell, &h, sizeof h);
    }
    return true;
}

void
moatR_drop_globals(moat_instance *inst)
{
    const MoatDescriptor *d = inst->module->desc;

    for (uint64_t i = inst->module->nimp[MOAT_DESC_EXT_GLOBAL];
         i < d->nglobals; i++) {
        if (d->globals[i].type != MOAT_FUNCREF)
            continue;
        uint8_t *cell = moatR_inst_global(inst, (uint32_t)i);
        moatR_ref_drop(get_ptr(cell), inst, 1);
        memset(cell, 0, MOAT_CTX_GLOBAL_SLOT);
    }
}

bool
moatR_init_segments(moat_instance *inst, moat_error *err)
{
    const MoatDescriptor *d = inst->module->desc;

    for (uint32_t i = 0; i < d->nelems; i++) {
        const MoatDescElem *e = &d->elems[i];
        if (e->mode == MOAT_DESC_SEG_ACTIVE) {
            moat_trap t = moatR_table_init_at(inst, (uint32_t)e->table, i,
                                              const_i32(inst, &e->offset), 0,
                                              (uint32_t)e->count);
            if (t != MOAT_TRAP_NONE)
                return trapped(err, t);
        }
        if (e->mode != MOAT_DESC_SEG_PASSIVE)
            moatR_seg_drop(inst, false, i);
    }
    for (uint32_t i = 0; i < d->ndatas; i++) {
        const MoatDescData *s = &d->datas[i];
        if (s->mode != MOAT_DESC_SEG_ACTIVE)
            continue;
        moat_trap t = moatR_memory_init_at(inst, i,
                                           const_i32(inst, &s->offset), 0,
                                           (uint32_t)s->bytes.len);
        if (t != MOAT_TRAP_NONE)
            return trapped(err, t);
        moatR_seg_drop(inst, true, i);
    }
    return true;
}
