/* descriptor.c - emits the MOAT_DESC_SYMBOL constant (runtime/abi.h; NAME
 * MOAT_DESC_SUFFIX for a plugin compiled with --name NAME): the
 * contract the runtime checks before it runs any code. Every struct in the
 * descriptor has only 8-byte members (pointers and uint64_t), so each is
 * emitted as an LLVM struct of i64/ptr fields in declaration order.
 * It only points at code: the trampolines it lists are tramp.c's, emitted
 * by the compile pipeline before it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lower.h"

/* MoatDescriptor's members (runtime/abi.h): magic and abi_version, 3
 * u64, 10 counts, start, 9 arrays, cpu and features, code_lo and
 * code_hi, hash, code_start, ndebug, debug. The sizes agree with the
 * contract's own size assertion (8 bytes each but the two uint32_t and
 * the 32-byte hash), checked here at compile time. */
enum { DESC_FIELDS = 33 };
_Static_assert(sizeof(MoatDescriptor) ==
               2 * 4 + (DESC_FIELDS - 3) * 8 + 32,
               "descriptor.c's member count disagrees with abi.h");

typedef struct Desc {
    Lower      *L;
    LLVMTypeRef bytes_t, const_t, type_t, import_t, export_t, func_t;
    LLVMTypeRef global_t, limits_t, elem_t, data_t;
    LLVMValueRef names;         /* function names, NUL after each */
    uint64_t    *name_at;       /* offset of function i's name */
    LLVMValueRef typebytes;     /* every type's valtypes, one blob */
    uint64_t    *type_at;       /* offset of type i's valtypes in it */
    LLVMValueRef const *tramps; /* per type index: trampoline or NULL */
} Desc;

/* A struct type of n fields; spec: 'i' i64, 'p' ptr. */
static LLVMTypeRef
fields(Lower *L, const char *spec)
{
    LLVMTypeRef t[16];
    unsigned    n = (unsigned)strlen(spec);
    for (unsigned i = 0; i < n; i++)
        t[i] = spec[i] == 'i' ? L->i64 : L->ptr;
    return LLVMStructTypeInContext(L->llctx, t, n, false);
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
    return LLVMConstNamedStruct(D->bytes_t, f, 2);
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

static LLVMValueRef
const_expr(Desc *D, const ConstExpr *c)
{
    uint64_t lo = 0, hi = 0, idx = c->idx;
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
    return LLVMConstNamedStruct(D->const_t, f, 4);
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
    return LLVMConstNamedStruct(D->type_t, f, 4);
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
    return LLVMConstNamedStruct(D->import_t, f, 4);
}

static LLVMValueRef
export_entry(Desc *D, uint32_t i)
{
    const Export *e = &D->L->m->exports[i];
    LLVMValueRef  f[3] = { bytes(D, e->name.s, e->name.len),
                           u64(D, e->kind), u64(D, e->idx) };
    return LLVMConstNamedStruct(D->export_t, f, 3);
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
                          LLVMConstNamedStruct(D->bytes_t, name, 2) };
    return LLVMConstNamedStruct(D->func_t, f, 3);
}

static LLVMValueRef
global_entry(Desc *D, uint32_t i)
{
    const Global *g = &D->L->m->globals[i];
    LLVMValueRef  f[4] = { u64(D, g->type.type), u64(D, g->type.is_mut),
                           u64(D, g->is_import), const_expr(D, &g->init) };
    return LLVMConstNamedStruct(D->global_t, f, 4);
}

static LLVMValueRef
limits(Desc *D, const Limits *l, uint8_t elem)
{
    LLVMValueRef f[4] = { u64(D, l->min), u64(D, l->max), u64(D, l->has_max),
                          u64(D, elem) };
    return LLVMConstNamedStruct(D->limits_t, f, 4);
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
    return limits(D, &D->L->m->mems[i], 0);
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
                          array(D, D->const_t, it, e->count) };
    moatU_free(it);
    return LLVMConstNamedStruct(D->elem_t, f, 6);
}

static LLVMValueRef
data_entry(Desc *D, uint32_t i)
{
    const Data  *seg = &D->L->m->datas[i];
    LLVMValueRef f[4] = { u64(D, seg->mode), u64(D, seg->mem),
                          const_expr(D, &seg->offset),
                          bytes(D, seg->bytes, seg->len) };
    return LLVMConstNamedStruct(D->data_t, f, 4);
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
    LLVMTypeRef   t[2] = { D->bytes_t, D->bytes_t };
    LLVMTypeRef   sec_t = LLVMStructTypeInContext(D->L->llctx, t, 2, false);
    LLVMValueRef *v = items(m->ncustoms);

    *n = 0;
    for (uint32_t i = 0; is_kept && i < m->ncustoms; i++) {
        const Custom *c = &m->customs[i];
        if (!is_debug(c) || *n == MOAT_DESC_MAX_DEBUG)
            continue;
        LLVMValueRef f[2] = { bytes(D, c->name.s, c->name.len),
                              bytes(D, c->data, c->len) };
        v[(*n)++] = LLVMConstNamedStruct(sec_t, f, 2);
    }
    LLVMValueRef a = array(D, sec_t, v, *n);
    moatU_free(v);
    return a;
}

static void
make_types(Desc *D)
{
    Lower *L = D->L;
    LLVMTypeRef t[6];
    D->bytes_t = fields(L, "pi");
    D->const_t = fields(L, "iiii");
    D->type_t = fields(L, "iipp");
    t[0] = t[1] = D->bytes_t;
    t[2] = t[3] = L->i64;
    D->import_t = LLVMStructTypeInContext(L->llctx, t, 4, false);
    t[0] = D->bytes_t;
    t[1] = t[2] = L->i64;
    D->export_t = LLVMStructTypeInContext(L->llctx, t, 3, false);
    LLVMTypeRef ft[3] = { L->i64, L->ptr, D->bytes_t };
    D->func_t = LLVMStructTypeInContext(L->llctx, ft, 3, false);
    t[0] = t[1] = t[2] = L->i64;
    t[3] = D->const_t;
    D->global_t = LLVMStructTypeInContext(L->llctx, t, 4, false);
    D->limits_t = fields(L, "iiii");
    t[0] = t[1] = t[2] = L->i64;
    t[3] = D->const_t;
    t[4] = L->i64;
    t[5] = L->ptr;
    D->elem_t = LLVMStructTypeInContext(L->llctx, t, 6, false);
    t[0] = t[1] = L->i64;
    t[2] = D->const_t;
    t[3] = D->bytes_t;
    D->data_t = LLVMStructTypeInContext(L->llctx, t, 4, false);
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

void
moatL_descriptor(Lower *L, LLVMValueRef const *tramps,
                 const uint8_t hash[32], const char *cpu,
                 const char *features, const char *name, bool is_debug_kept)
{
    const Module *m = L->m;
    Desc          D = { .L = L, .tramps = tramps };
    /* one per MoatDescriptor member (the two uint32_t and the hash count
     * one each); checked below against the layout contract */
    LLVMValueRef  f[DESC_FIELDS];
    unsigned      n = 0;

    make_types(&D);
    make_names(&D);
    make_typebytes(&D);
    f[n++] = LLVMConstInt(L->i32, MOAT_ABI_MAGIC, false);
    f[n++] = LLVMConstInt(L->i32, MOAT_ABI_VERSION, false);
    f[n++] = u64(&D, (L->mem_is_ctx ? MOAT_DESC_F_MEM_IS_CTX : 0) |
                         (L->is_interruptible ? MOAT_DESC_F_EPOCH : 0));
    f[n++] = u64(&D, MOAT_HEAP_RESERVE);
    f[n++] = u64(&D, L->guard);
    uint64_t counts[10] = { m->ntypes, m->nimports, m->nexports, m->nfuncs,
                            m->nfunc_imports, m->nglobals, m->ntables,
                            m->nmems, m->nelems, m->ndatas };
    for (int i = 0; i < 10; i++)
        f[n++] = u64(&D, counts[i]);
    f[n++] = u64(&D, m->has_start ? m->start : UINT64_MAX);
    f[n++] = table(&D, D.type_t, m->ntypes, type_entry);
    f[n++] = table(&D, D.import_t, m->nimports, import_entry);
    f[n++] = table(&D, D.export_t, m->nexports, export_entry);
    f[n++] = table(&D, D.func_t, m->nfuncs, func_entry);
    f[n++] = table(&D, D.global_t, m->nglobals, global_entry);
    f[n++] = table(&D, D.limits_t, m->ntables, table_entry);
    f[n++] = table(&D, D.limits_t, m->nmems, mem_entry);
    f[n++] = table(&D, D.elem_t, m->nelems, elem_entry);
    f[n++] = table(&D, D.data_t, m->ndatas, data_entry);
    f[n++] = blob(&D, cpu, strlen(cpu), true);
    f[n++] = blob(&D, features, strlen(features), true);
    f[n++] = code_bound(&D, name, "start");
    f[n++] = code_bound(&D, name, "stop");
    f[n++] = LLVMConstStringInContext(L->llctx, (const char *)hash, 32,
                                      true);
    uint64_t     ndebug;
    LLVMValueRef debug = debug_sections(&D, is_debug_kept, &ndebug);
    f[n++] = u64(&D, ndebug ? m->code_start : 0);
    f[n++] = u64(&D, ndebug);
    f[n++] = debug;
    if (n != DESC_FIELDS)       /* a member added to abi.h, not here */
        abort();
    LLVMValueRef init = LLVMConstStructInContext(L->llctx, f, n, false);
    char sym[160];
    if (name)
        snprintf(sym, sizeof sym, "%s" MOAT_DESC_SUFFIX, name);
    else
        snprintf(sym, sizeof sym, "%s", MOAT_DESC_SYMBOL);
    LLVMValueRef g = LLVMAddGlobal(L->mod, LLVMTypeOf(init), sym);
    LLVMSetInitializer(g, init);
    LLVMSetGlobalConstant(g, true);
    LLVMSetAlignment(g, 8);
    moatU_free(D.name_at);
    moatU_free(D.type_at);
}
