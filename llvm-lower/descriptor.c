/* descriptor.c - emits the MOAT_DESC_SYMBOL constant (runtime/abi.h; NAME
 * MOAT_DESC_SUFFIX for a plugin compiled with --name NAME): the
 * contract the runtime checks before it runs any code. Each struct is an
 * LLVM struct of desc_shape.c's types, checked against abi.h there; each
 * value built here is checked against its type (cstruct).
 * It only points at code: the trampolines it lists are tramp.c's, emitted
 * by the compile pipeline before it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "desc_shape.h"

/* The descriptor carries the frontend's kinds, modes and value types as
 * they are: the two enums must agree (frontend/module.h vs abi.h). */
#define SAME(a, b) ((int)(a) == (int)(b))
_Static_assert(SAME(EXT_FUNC, MOAT_DESC_EXT_FUNC) &&
               SAME(EXT_TABLE, MOAT_DESC_EXT_TABLE) &&
               SAME(EXT_MEM, MOAT_DESC_EXT_MEMORY) &&
               SAME(EXT_GLOBAL, MOAT_DESC_EXT_GLOBAL),
               "ExternKind disagrees with MOAT_DESC_EXT_*");
_Static_assert(SAME(CONST_I32, MOAT_DESC_CONST_I32) &&
               SAME(CONST_I64, MOAT_DESC_CONST_I64) &&
               SAME(CONST_F32, MOAT_DESC_CONST_F32) &&
               SAME(CONST_F64, MOAT_DESC_CONST_F64) &&
               SAME(CONST_V128, MOAT_DESC_CONST_V128) &&
               SAME(CONST_REF_NULL, MOAT_DESC_CONST_REF_NULL) &&
               SAME(CONST_REF_FUNC, MOAT_DESC_CONST_REF_FUNC) &&
               SAME(CONST_GLOBAL_GET, MOAT_DESC_CONST_GLOBAL_GET) &&
               SAME(CONST_EXPR, MOAT_DESC_CONST_EXPR) &&
               SAME(CONST_I32_ADD, MOAT_DESC_CONST_I32_ADD) &&
               SAME(CONST_I32_SUB, MOAT_DESC_CONST_I32_SUB) &&
               SAME(CONST_I32_MUL, MOAT_DESC_CONST_I32_MUL) &&
               SAME(CONST_I64_ADD, MOAT_DESC_CONST_I64_ADD) &&
               SAME(CONST_I64_SUB, MOAT_DESC_CONST_I64_SUB) &&
               SAME(CONST_I64_MUL, MOAT_DESC_CONST_I64_MUL) &&
               SAME(LIM_CONST_OPS_MAX, MOAT_DESC_CONST_MAX_OPS),
               "ConstKind disagrees with MOAT_DESC_CONST_*");
_Static_assert(SAME(SEG_ACTIVE, MOAT_DESC_SEG_ACTIVE) &&
               SAME(SEG_PASSIVE, MOAT_DESC_SEG_PASSIVE) &&
               SAME(SEG_DECLARATIVE, MOAT_DESC_SEG_DECLARATIVE),
               "SegMode disagrees with MOAT_DESC_SEG_*");
_Static_assert(SAME(T_I32, MOAT_ABI_T_I32) && SAME(T_I64, MOAT_ABI_T_I64) &&
               SAME(T_F32, MOAT_ABI_T_F32) && SAME(T_F64, MOAT_ABI_T_F64) &&
               SAME(T_V128, MOAT_ABI_T_V128) &&
               SAME(T_FUNCREF, MOAT_ABI_T_FUNCREF) &&
               SAME(T_EXTERNREF, MOAT_ABI_T_EXTERNREF),
               "ValType disagrees with MOAT_ABI_T_*");
#undef SAME

typedef struct Desc {
    Lower      *L;
    LLVMTypeRef t[NDESC_STRUCTS];       /* by DS_* */
    LLVMValueRef names;         /* function names, NUL after each */
    uint64_t    *name_at;       /* offset of function i's name */
    LLVMValueRef typebytes;     /* every type's valtypes, one blob */
    uint64_t    *type_at;       /* offset of type i's valtypes in it */
    LLVMValueRef const *tramps; /* per type index: trampoline or NULL */
} Desc;

/* A constant of struct ds (DS_*) from its n members, in abi.h's order:
 * a member missing or of another type is a broken invariant. */
static LLVMValueRef
cstruct(Desc *D, int ds, LLVMValueRef *f, unsigned n)
{
    LLVMTypeRef t = D->t[ds];

    assert(n == LLVMCountStructElementTypes(t));
    for (unsigned i = 0; i < n; i++)
        assert(f[i] && LLVMTypeOf(f[i]) == LLVMStructGetTypeAtIndex(t, i));
    return LLVMConstNamedStruct(t, f, n);
}

static LLVMValueRef
u64(Desc *D, uint64_t v)
{
    return moatL_const_i64(D->L, v);
}

/* A private constant global holding bytes (NUL-terminated for names). */
static LLVMValueRef
blob(Desc *D, const void *p, size_t n, bool nul)
{
    Lower       *L = D->L;
    LLVMValueRef init = LLVMConstStringInContext(L->llctx, p, (unsigned)n,
                                                 !nul);
    LLVMValueRef g = LLVMAddGlobal(L->mod, LLVMTypeOf(init), "desc.bytes");
    LLVMSetInitializer(g, init);
    LLVMSetGlobalConstant(g, true);
    LLVMSetLinkage(g, LLVMPrivateLinkage);
    return g;
}

static LLVMValueRef
bytes(Desc *D, const void *p, size_t n)
{
    LLVMValueRef f[2] = { blob(D, p, n, true), u64(D, n) };
    return cstruct(D, DS_BYTES, f, 2);
}

/* A private constant array of structs of type t, or NULL when empty. */
static LLVMValueRef
array(Desc *D, LLVMTypeRef t, LLVMValueRef *items, uint64_t n)
{
    Lower *L = D->L;
    if (n == 0)
        return LLVMConstPointerNull(L->ptr);
    LLVMValueRef init = LLVMConstArray2(t, items, n);
    LLVMValueRef g = LLVMAddGlobal(L->mod, LLVMTypeOf(init), "desc.array");
    LLVMSetInitializer(g, init);
    LLVMSetGlobalConstant(g, true);
    LLVMSetLinkage(g, LLVMPrivateLinkage);
    return g;
}

static LLVMValueRef *
items(uint64_t n)
{
    LLVMValueRef *v = moatU_calloc(n + 1, sizeof *v);
    if (!v)
        abort();
    return v;
}

/* One descriptor table: entry(D, i) for i < n, as a constant array. */
typedef LLVMValueRef (*EntryFn)(Desc *D, uint32_t i);

static LLVMValueRef
table(Desc *D, LLVMTypeRef t, uint32_t n, EntryFn entry)
{
    LLVMValueRef *v = items(n);
    for (uint32_t i = 0; i < n; i++)
        v[i] = entry(D, i);
    LLVMValueRef a = array(D, t, v, n);
    moatU_free(v);
    return a;
}

static LLVMValueRef const_expr(Desc *D, const ConstExpr *c);

/* An extended constant expression: its instructions as a private array,
 * whose address goes in lo (a relocation, like every descriptor
 * pointer). */
static LLVMValueRef
const_program(Desc *D, const ConstExpr *c)
{
    LLVMValueRef *v = items(c->idx);
    for (uint32_t k = 0; k < c->idx; k++)
        v[k] = const_expr(D, &c->u.ops[k]);
    LLVMValueRef a = array(D, D->t[DS_CONST], v, c->idx);
    moatU_free(v);
    LLVMValueRef f[4] = { u64(D, c->kind), u64(D, c->idx),
                          LLVMConstPtrToInt(a, D->L->i64), u64(D, 0) };
    return cstruct(D, DS_CONST, f, 4);
}

static LLVMValueRef
const_expr(Desc *D, const ConstExpr *c)
{
    uint64_t lo = 0, hi = 0, idx = c->idx;
    if (c->kind == CONST_EXPR)
        return const_program(D, c);
    switch (c->kind) {
    case CONST_I32: case CONST_F32: lo = c->u.i32; break;
    case CONST_I64: case CONST_F64: lo = c->u.i64; break;
    case CONST_V128:
        memcpy(&lo, c->u.v128, 8);
        memcpy(&hi, c->u.v128 + 8, 8);
        break;
    case CONST_REF_NULL: idx = c->type; break;
    default: break;
    }
    LLVMValueRef f[4] = { u64(D, c->kind), u64(D, idx), u64(D, lo),
                          u64(D, hi) };
    return cstruct(D, DS_CONST, f, 4);
}

static LLVMValueRef
type_entry(Desc *D, uint32_t i)
{
    const FuncType *ft = &D->L->m->types[i];
    LLVMValueRef    at = u64(D, D->type_at[i]);
    LLVMValueRef    f[4] = {
        u64(D, ft->nparams), u64(D, ft->nresults),
        LLVMConstInBoundsGEP2(D->L->i8, D->typebytes, &at, 1),
        D->tramps[i] ? D->tramps[i] : LLVMConstPointerNull(D->L->ptr)
    };
    return cstruct(D, DS_TYPE, f, 4);
}

/* All types' valtypes in one blob: a module may declare 1,000,000 types,
 * and a global each would cost more than the rest of the descriptor. */
static void
make_typebytes(Desc *D)
{
    const Module *m = D->L->m;
    size_t        len = 0;

    D->type_at = moatU_calloc(m->ntypes + 1, sizeof *D->type_at);
    for (uint32_t i = 0; i < m->ntypes; i++)
        len += m->types[i].nparams + m->types[i].nresults;
    uint8_t *buf = moatU_alloc(len + 1);
    if (!buf || !D->type_at)
        abort();
    len = 0;
    for (uint32_t i = 0; i < m->ntypes; i++) {
        const FuncType *ft = &m->types[i];
        D->type_at[i] = len;
        memcpy(buf + len, ft->types, ft->nparams + ft->nresults);
        len += ft->nparams + ft->nresults;
    }
    buf[len] = 0;
    D->typebytes = blob(D, buf, len + 1, false);
    moatU_free(buf);
}

static LLVMValueRef
import_entry(Desc *D, uint32_t i)
{
    const Import *im = &D->L->m->imports[i];
    LLVMValueRef  f[4] = { bytes(D, im->module.s, im->module.len),
                           bytes(D, im->name.s, im->name.len),
                           u64(D, im->kind), u64(D, im->idx) };
    return cstruct(D, DS_IMPORT, f, 4);
}

static LLVMValueRef
export_entry(Desc *D, uint32_t i)
{
    const Export *e = &D->L->m->exports[i];
    LLVMValueRef  f[3] = { bytes(D, e->name.s, e->name.len),
                           u64(D, e->kind), u64(D, e->idx) };
    return cstruct(D, DS_EXPORT, f, 3);
}

/* The name section's function names in one blob, so that a trap can name
 * its function without a global per function. */
static void
make_names(Desc *D)
{
    const Module *m = D->L->m;
    size_t        len = 0;

    for (uint32_t i = 0; i < m->nfunc_names; i++)
        len += m->func_names[i].name.len + 1;
    char *buf = moatU_alloc(len + 1);
    D->name_at = moatU_calloc(m->nfuncs + 1, sizeof *D->name_at);
    if (!buf || !D->name_at)
        abort();
    len = 0;
    for (uint32_t i = 0; i < m->nfunc_names; i++) {
        const NameEntry *e = &m->func_names[i];
        if (e->idx < m->nfuncs)
            D->name_at[e->idx] = len;
        memcpy(buf + len, e->name.s, e->name.len);
        len += e->name.len;
        buf[len++] = 0;
    }
    D->names = len ? blob(D, buf, len, false) : NULL;
    moatU_free(buf);
}

static LLVMValueRef
func_entry(Desc *D, uint32_t i)
{
    Lower       *L = D->L;
    const Name  *nm = moatD_func_name(L->m, i);
    LLVMValueRef name[2] = { LLVMConstPointerNull(L->ptr), u64(D, 0) };

    if (nm && D->names) {
        LLVMValueRef at = u64(D, D->name_at[i]);
        name[0] = LLVMConstInBoundsGEP2(L->i8, D->names, &at, 1);
        name[1] = u64(D, nm->len);
    }
    LLVMValueRef f[3] = { u64(D, L->m->funcs[i].type_idx),
                          L->funcs[i] ? L->funcs[i]
                                      : LLVMConstPointerNull(L->ptr),
                          cstruct(D, DS_BYTES, name, 2) };
    return cstruct(D, DS_FUNC, f, 3);
}

static LLVMValueRef
global_entry(Desc *D, uint32_t i)
{
    const Global *g = &D->L->m->globals[i];
    LLVMValueRef  f[4] = { u64(D, g->type.type), u64(D, g->type.is_mut),
                           u64(D, g->is_import), const_expr(D, &g->init) };
    return cstruct(D, DS_GLOBAL, f, 4);
}

static LLVMValueRef
limits(Desc *D, const Limits *l, uint8_t elem)
{
    LLVMValueRef f[5] = { u64(D, l->min), u64(D, l->max), u64(D, l->has_max),
                          u64(D, elem),
                          u64(D, l->shared ? MOAT_DESC_LIM_SHARED : 0) };
    return cstruct(D, DS_LIMITS, f, 5);
}

static LLVMValueRef
table_entry(Desc *D, uint32_t i)
{
    const TableType *t = &D->L->m->tables[i];
    return limits(D, &t->limits, t->elem);
}

static LLVMValueRef
mem_entry(Desc *D, uint32_t i)
{
    return limits(D, &D->L->m->mems[i], MOAT_ABI_T_NONE);
}

static LLVMValueRef
elem_entry(Desc *D, uint32_t i)
{
    const Elem   *e = &D->L->m->elems[i];
    LLVMValueRef *it = items(e->count);
    for (uint32_t k = 0; k < e->count; k++)
        it[k] = const_expr(D, &e->items[k]);
    LLVMValueRef f[6] = { u64(D, e->mode), u64(D, e->table),
                          u64(D, e->type), const_expr(D, &e->offset),
                          u64(D, e->count),
                          array(D, D->t[DS_CONST], it, e->count) };
    moatU_free(it);
    return cstruct(D, DS_ELEM, f, 6);
}

static LLVMValueRef
data_entry(Desc *D, uint32_t i)
{
    const Data  *seg = &D->L->m->datas[i];
    LLVMValueRef f[4] = { u64(D, seg->mode), u64(D, seg->mem),
                          const_expr(D, &seg->offset),
                          bytes(D, seg->bytes, seg->len) };
    return cstruct(D, DS_DATA, f, 4);
}

/* The module's DWARF: every custom section named .debug_*, in order.
 * Other custom sections (name, producers, ...) are not carried: the
 * function names already are, in funcs[]. */
static bool
is_debug(const Custom *c)
{
    return c->name.len > 7 && memcmp(c->name.s, ".debug_", 7) == 0;
}

static LLVMValueRef
debug_sections(Desc *D, bool is_kept, uint64_t *n)
{
    const Module *m = D->L->m;
    LLVMValueRef *v = items(m->ncustoms);

    *n = 0;
    for (uint32_t i = 0; is_kept && i < m->ncustoms; i++) {
        const Custom *c = &m->customs[i];
        if (!is_debug(c) || *n == MOAT_DESC_MAX_DEBUG)
            continue;
        LLVMValueRef f[2] = { bytes(D, c->name.s, c->name.len),
                              bytes(D, c->data, c->len) };
        v[(*n)++] = cstruct(D, DS_SECTION, f, 2);
    }
    LLVMValueRef a = array(D, D->t[DS_SECTION], v, *n);
    moatU_free(v);
    return a;
}

/* A named plugin's code bounds: the linker's __start_/__stop_ symbols of
 * its code section (hidden: they resolve inside the program). */
static LLVMValueRef
code_bound(Desc *D, const char *name, const char *which)
{
    Lower *L = D->L;
    char   sym[160];

    if (!name)
        return LLVMConstPointerNull(L->ptr);
    snprintf(sym, sizeof sym, "__%s_%s%s", which, MOAT_CODE_SECTION, name);
    LLVMValueRef g = LLVMAddGlobal(L->mod, L->i8, sym);
    LLVMSetVisibility(g, LLVMHiddenVisibility);
    return g;
}

/* The counts, flags and tables of the module: f[DF_flags .. DF_datas]. */
static void
module_fields(Desc *D, LLVMValueRef f[NDESC_FIELDS])
{
    Lower        *L = D->L;
    const Module *m = L->m;

    f[DF_flags] = u64(D, (L->mem_is_ctx ? MOAT_DESC_F_MEM_IS_CTX : 0) |
                             (L->is_interruptible ? MOAT_DESC_F_EPOCH : 0));
    f[DF_heap_reserve] = u64(D, MOAT_HEAP_RESERVE);
    f[DF_heap_guard] = u64(D, L->guard);
    f[DF_ntypes] = u64(D, m->ntypes);
    f[DF_nimports] = u64(D, m->nimports);
    f[DF_nexports] = u64(D, m->nexports);
    f[DF_nfuncs] = u64(D, m->nfuncs);
    f[DF_nfunc_imports] = u64(D, m->nfunc_imports);
    f[DF_nglobals] = u64(D, m->nglobals);
    f[DF_ntables] = u64(D, m->ntables);
    f[DF_nmems] = u64(D, m->nmems);
    f[DF_nelems] = u64(D, m->nelems);
    f[DF_ndatas] = u64(D, m->ndatas);
    f[DF_start] = u64(D, m->has_start ? m->start : MOAT_DESC_NO_START);
    f[DF_types] = table(D, D->t[DS_TYPE], m->ntypes, type_entry);
    f[DF_imports] = table(D, D->t[DS_IMPORT], m->nimports, import_entry);
    f[DF_exports] = table(D, D->t[DS_EXPORT], m->nexports, export_entry);
    f[DF_funcs] = table(D, D->t[DS_FUNC], m->nfuncs, func_entry);
    f[DF_globals] = table(D, D->t[DS_GLOBAL], m->nglobals, global_entry);
    f[DF_tables] = table(D, D->t[DS_LIMITS], m->ntables, table_entry);
    f[DF_mems] = table(D, D->t[DS_LIMITS], m->nmems, mem_entry);
    f[DF_elems] = table(D, D->t[DS_ELEM], m->nelems, elem_entry);
    f[DF_datas] = table(D, D->t[DS_DATA], m->ndatas, data_entry);
}

void
moatL_descriptor(Lower *L, LLVMValueRef const *tramps,
                 const uint8_t hash[32], const char *cpu,
                 const char *features, const char *name, bool is_debug_kept)
{
    Desc         D = { .L = L, .tramps = tramps };
    LLVMValueRef f[NDESC_FIELDS] = { 0 };       /* by DF_<member> */
    uint64_t     ndebug;

    moatL_desc_types(L, D.t);
    assert(moatL_desc_check(LLVMGetModuleDataLayout(L->mod), D.t) < 0);
    make_names(&D);
    make_typebytes(&D);
    f[DF_magic] = LLVMConstInt(L->i32, MOAT_ABI_MAGIC, false);
    f[DF_abi_version] = LLVMConstInt(L->i32, MOAT_ABI_VERSION, false);
    module_fields(&D, f);
    f[DF_cpu] = blob(&D, cpu, strlen(cpu), true);
    f[DF_features] = blob(&D, features, strlen(features), true);
    f[DF_code_lo] = code_bound(&D, name, "start");
    f[DF_code_hi] = code_bound(&D, name, "stop");
    f[DF_hash] = LLVMConstStringInContext(L->llctx, (const char *)hash, 32,
                                          true);
    f[DF_debug] = debug_sections(&D, is_debug_kept, &ndebug);
    f[DF_code_start] = u64(&D, ndebug ? L->m->code_start : 0);
    f[DF_ndebug] = u64(&D, ndebug);
    LLVMValueRef init = cstruct(&D, DS_DESCRIPTOR, f, NDESC_FIELDS);
    char sym[160];
    if (name)
        snprintf(sym, sizeof sym, "%s" MOAT_DESC_SUFFIX, name);
    else
        snprintf(sym, sizeof sym, "%s", MOAT_DESC_SYMBOL);
    LLVMValueRef g = LLVMAddGlobal(L->mod, D.t[DS_DESCRIPTOR], sym);
    LLVMSetInitializer(g, init);
    LLVMSetGlobalConstant(g, true);
    LLVMSetAlignment(g, 8);
    moatU_free(D.name_at);
    moatU_free(D.type_at);
}
