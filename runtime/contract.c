/* contract.c - what an artifact may ask of the runtime (design.md, "the
 * layout contract"): checks a descriptor before any of its code runs.
 * Magic and ABI version, the heap reservation and guard, the CPU features
 * its code uses, and that every count, index and pointer is sane, so that
 * the rest of the runtime can trust the descriptor. The wasm-level
 * validity of the source module is the compiler's business.
 */
#include <string.h>

#include "runtime.h"

/* runtime.h: types, functions, segments, ...; params or results of one
 * type */
enum { MAX_ITEMS = MOAT_DESC_MAX_ITEMS, MAX_ARITY = MOAT_DESC_MAX_ARITY };
#define MAX_RESERVE (UINT64_C(64) << 30)   /* heap_reserve + heap_guard */

static bool
fail(moat_error *err, const char *what)
{
    return moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_CONTRACT,
                      "contract violation: %s", what);
}

/* The rest of the runtime hands descriptor kinds and types to the public
 * API as they are. */
#define SAME(a, b) ((int)(a) == (int)(b))
_Static_assert(SAME(MOAT_ABI_T_I32, MOAT_I32) &&
               SAME(MOAT_ABI_T_I64, MOAT_I64) &&
               SAME(MOAT_ABI_T_F32, MOAT_F32) &&
               SAME(MOAT_ABI_T_F64, MOAT_F64) &&
               SAME(MOAT_ABI_T_V128, MOAT_V128) &&
               SAME(MOAT_ABI_T_FUNCREF, MOAT_FUNCREF) &&
               SAME(MOAT_ABI_T_EXTERNREF, MOAT_EXTERNREF),
               "abi.h value types disagree with moat_valtype");
_Static_assert(SAME(MOAT_DESC_EXT_FUNC, MOAT_EXTERN_FUNC) &&
               SAME(MOAT_DESC_EXT_TABLE, MOAT_EXTERN_TABLE) &&
               SAME(MOAT_DESC_EXT_MEMORY, MOAT_EXTERN_MEMORY) &&
               SAME(MOAT_DESC_EXT_GLOBAL, MOAT_EXTERN_GLOBAL),
               "abi.h external kinds disagree with moat_extern_kind");
#undef SAME

static bool
is_valtype(uint64_t t)
{
    return t == MOAT_ABI_T_I32 || t == MOAT_ABI_T_I64 ||
           t == MOAT_ABI_T_F32 || t == MOAT_ABI_T_F64 ||
           t == MOAT_ABI_T_V128 || t == MOAT_ABI_T_FUNCREF ||
           t == MOAT_ABI_T_EXTERNREF;
}

static bool
is_reftype(uint64_t t)
{
    return t == MOAT_ABI_T_FUNCREF || t == MOAT_ABI_T_EXTERNREF;
}

bool
moatR_check_header(const MoatDescriptor *d, moat_error *err)
{
    if (d->magic != MOAT_ABI_MAGIC)
        return fail(err, "bad descriptor magic");
    if (d->abi_version != MOAT_ABI_VERSION)
        return moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_CONTRACT,
                          "contract violation: ABI version %u, runtime "
                          "has %u", d->abi_version, MOAT_ABI_VERSION);
    if (d->flags & ~(uint64_t)MOAT_DESC_F_KNOWN)
        return fail(err, "unknown descriptor flags");
    uint64_t counts[] = { d->ntypes, d->nimports, d->nexports, d->nfuncs,
                          d->nglobals, d->ntables, d->nelems, d->ndatas };
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++)
        if (counts[i] > MAX_ITEMS)
            return fail(err, "count beyond implementation limit");
    if (d->nmems > 1)
        return fail(err, "more than one memory");
    if (d->nfunc_imports > d->nfuncs)
        return fail(err, "more imported functions than functions");
    if ((d->ntypes && !d->types) || (d->nimports && !d->imports) ||
        (d->nexports && !d->exports) || (d->nfuncs && !d->funcs) ||
        (d->nglobals && !d->globals) || (d->ntables && !d->tables) ||
        (d->nmems && !d->mems) || (d->nelems && !d->elems) ||
        (d->ndatas && !d->datas) || (d->ndebug && !d->debug))
        return fail(err, "NULL array");
    return true;
}

/* DWARF sections: only .debug_* ones, each of wasm custom section size.
 * What they hold is read later, by libdw, which refuses what it cannot
 * read (runtime/dwarf.c). */
static bool
check_debug(const MoatDescriptor *d, moat_error *err)
{
    if (d->ndebug > MOAT_DESC_MAX_DEBUG)
        return fail(err, "more DWARF sections than the limit");
    for (uint64_t i = 0; i < d->ndebug; i++) {
        const MoatDescSection *s = &d->debug[i];
        if (!s->name.p || s->name.len < 8 || s->name.len > 64 ||
            memcmp(s->name.p, ".debug_", 7) != 0 ||
            memchr(s->name.p, 0, (size_t)s->name.len))
            return fail(err, "bad DWARF section name");
        if (s->bytes.len > UINT32_MAX || (s->bytes.len && !s->bytes.p))
            return fail(err, "bad DWARF section");
    }
    if (d->ndebug && d->code_start > UINT32_MAX)
        return fail(err, "code section offset beyond 4 GiB");
    return true;
}

static bool
check_heap(const MoatDescriptor *d, moat_error *err)
{
    if (d->nmems == 0)
        return true;
    if (d->heap_reserve % MOAT_PAGE_SIZE || d->heap_guard % 4096)
        return fail(err, "heap reserve or guard not page-aligned");
    if (d->heap_reserve > MAX_RESERVE || d->heap_guard > MAX_RESERVE ||
        d->heap_reserve + d->heap_guard > MAX_RESERVE)
        return fail(err, "heap reserve and guard exceed what we provide");
    const MoatDescLimits *l = &d->mems[0];
    if (l->min > MOAT_MAX_PAGES || (l->has_max && l->max > MOAT_MAX_PAGES) ||
        (l->has_max && l->max < l->min) ||
        (l->flags & ~(uint64_t)MOAT_DESC_LIM_KNOWN) ||
        ((l->flags & MOAT_DESC_LIM_SHARED) && !l->has_max))
        return fail(err, "bad memory limits");
    if (l->min * MOAT_PAGE_SIZE > d->heap_reserve)
        return fail(err, "memory minimum beyond heap reserve");
    return true;
}

static bool
check_types(const MoatDescriptor *d, moat_error *err)
{
    for (uint64_t i = 0; i < d->ntypes; i++) {
        const MoatDescType *t = &d->types[i];
        if (t->nparams > MAX_ARITY || t->nresults > MAX_ARITY)
            return fail(err, "type arity beyond implementation limit");
        if (t->nparams + t->nresults && !t->types)     /* tramp: exports */
            return fail(err, "type without valtypes");
        for (uint64_t k = 0; k < t->nparams + t->nresults; k++)
            if (!is_valtype(t->types[k]))
                return fail(err, "bad valtype in function type");
    }
    for (uint64_t i = 0; i < d->nfuncs; i++) {
        const MoatDescFunc *f = &d->funcs[i];
        if (f->type_idx >= d->ntypes)
            return fail(err, "function type index out of range");
        if (i >= d->nfunc_imports && !f->code)
            return fail(err, "defined function without code");
    }
    if (d->start != MOAT_DESC_NO_START) {
        if (d->start >= d->nfuncs)
            return fail(err, "start function out of range");
        const MoatDescType *t = &d->types[d->funcs[d->start].type_idx];
        if (t->nparams || t->nresults || !t->tramp)
            return fail(err, "start function type is not [] -> [] or has "
                        "no trampoline");
    }
    return true;
}

/* The number of imports of each kind. */
static bool
check_imports(const MoatDescriptor *d, uint64_t nimp[MOAT_DESC_EXT_NKINDS],
              moat_error *err)
{
    uint64_t spaces[MOAT_DESC_EXT_NKINDS] = {
        [MOAT_DESC_EXT_FUNC] = d->nfuncs, [MOAT_DESC_EXT_TABLE] = d->ntables,
        [MOAT_DESC_EXT_MEMORY] = d->nmems,
        [MOAT_DESC_EXT_GLOBAL] = d->nglobals
    };

    memset(nimp, 0, MOAT_DESC_EXT_NKINDS * sizeof nimp[0]);
    for (uint64_t i = 0; i < d->nimports; i++) {
        const MoatDescImport *im = &d->imports[i];
        if (im->kind >= MOAT_DESC_EXT_NKINDS)
            return fail(err, "bad import kind");
        if (im->idx != nimp[im->kind] || im->idx >= spaces[im->kind])
            return fail(err, "import index out of order or range");
        if ((im->module.len && !im->module.p) || (im->name.len && !im->name.p))
            return fail(err, "NULL import name");
        nimp[im->kind]++;
    }
    if (nimp[MOAT_DESC_EXT_FUNC] != d->nfunc_imports)
        return fail(err, "imported function count mismatch");
    bool own_mem = d->nmems == 1 && nimp[MOAT_DESC_EXT_MEMORY] == 0;
    if (own_mem != ((d->flags & MOAT_DESC_F_MEM_IS_CTX) != 0))
        return fail(err, "MEM_IS_CTX flag disagrees with memory 0");
    for (uint64_t i = 0; i < d->nglobals; i++)
        if ((d->globals[i].is_import != 0) !=
            (i < nimp[MOAT_DESC_EXT_GLOBAL]))
            return fail(err, "global import flag out of order");
    for (uint64_t i = 0; i < d->nexports; i++) {
        const MoatDescExport *x = &d->exports[i];
        if (x->kind >= MOAT_DESC_EXT_NKINDS || x->idx >= spaces[x->kind])
            return fail(err, "export out of range");
        if (x->kind == MOAT_DESC_EXT_FUNC &&
            !d->types[d->funcs[x->idx].type_idx].tramp)
            return fail(err, "exported function without trampoline");
        if (x->name.len && !x->name.p)
            return fail(err, "NULL export name");
    }
    return true;
}

static bool check_const(const MoatDescriptor *d, const MoatDescConst *c,
                        uint64_t t, uint64_t nglobals_before,
                        uint64_t nglobal_imports);

/* An extended constant expression (MOAT_DESC_CONST_EXPR): its program,
 * run on types, leaves one value of type t. */
static bool
check_program(const MoatDescriptor *d, const MoatDescConst *c, uint64_t t,
              uint64_t nglobals_before, uint64_t nglobal_imports)
{
    const MoatDescConst *ops;
    uint8_t              types[MOAT_DESC_CONST_MAX_OPS];
    uint64_t             depth = 0;

    if (c->idx < 2 || c->idx > MOAT_DESC_CONST_MAX_OPS || !c->lo)
        return false;
    memcpy(&ops, &c->lo, sizeof ops);   /* relocated by the loader */
    for (uint64_t k = 0; k < c->idx; k++) {
        uint64_t kind = ops[k].kind;
        uint8_t  want;
        switch (kind) {
        case MOAT_DESC_CONST_I32_ADD: case MOAT_DESC_CONST_I32_SUB:
        case MOAT_DESC_CONST_I32_MUL:
        case MOAT_DESC_CONST_I64_ADD: case MOAT_DESC_CONST_I64_SUB:
        case MOAT_DESC_CONST_I64_MUL:
            want = kind <= MOAT_DESC_CONST_I32_MUL ? MOAT_ABI_T_I32
                                                   : MOAT_ABI_T_I64;
            if (depth < 2 || types[depth - 1] != want ||
                types[depth - 2] != want)
                return false;
            depth--;                    /* pops two, pushes one */
            break;
        case MOAT_DESC_CONST_I32: case MOAT_DESC_CONST_I64:
        case MOAT_DESC_CONST_GLOBAL_GET:
            want = kind == MOAT_DESC_CONST_I32 ? MOAT_ABI_T_I32
                 : kind == MOAT_DESC_CONST_I64 ? MOAT_ABI_T_I64
                 : ops[k].idx < d->nglobals
                     ? (uint8_t)d->globals[ops[k].idx].type
                     : MOAT_ABI_T_NONE;
            if ((want != MOAT_ABI_T_I32 && want != MOAT_ABI_T_I64) ||
                !check_const(d, &ops[k], want, nglobals_before,
                             nglobal_imports))
                return false;
            types[depth++] = want;
            break;
        default:
            return false;               /* nested EXPR, floats, refs */
        }
    }
    return depth == 1 && types[0] == t;
}

/* A constant of type t that may use globals below nglobals_before. */
static bool
check_const(const MoatDescriptor *d, const MoatDescConst *c, uint64_t t,
            uint64_t nglobals_before, uint64_t nglobal_imports)
{
    static const uint8_t kind_type[] = {
        [MOAT_DESC_CONST_I32] = MOAT_ABI_T_I32,
        [MOAT_DESC_CONST_I64] = MOAT_ABI_T_I64,
        [MOAT_DESC_CONST_F32] = MOAT_ABI_T_F32,
        [MOAT_DESC_CONST_F64] = MOAT_ABI_T_F64,
        [MOAT_DESC_CONST_V128] = MOAT_ABI_T_V128,
    };
    switch (c->kind) {
    case MOAT_DESC_CONST_I32: case MOAT_DESC_CONST_I64:
    case MOAT_DESC_CONST_F32: case MOAT_DESC_CONST_F64:
    case MOAT_DESC_CONST_V128:
        return kind_type[c->kind] == t;
    case MOAT_DESC_CONST_REF_NULL:
        return is_reftype(t);
    case MOAT_DESC_CONST_REF_FUNC:
        return t == MOAT_ABI_T_FUNCREF && c->idx < d->nfuncs;
    case MOAT_DESC_CONST_GLOBAL_GET:
        return c->idx < nglobals_before && c->idx < nglobal_imports &&
               d->globals[c->idx].type == t;
    case MOAT_DESC_CONST_EXPR:
        return check_program(d, c, t, nglobals_before, nglobal_imports);
    default:
        return false;
    }
}

static bool
check_globals_tables(const MoatDescriptor *d,
                     const uint64_t nimp[MOAT_DESC_EXT_NKINDS],
                     moat_error *err)
{
    for (uint64_t i = 0; i < d->nglobals; i++) {
        const MoatDescGlobal *g = &d->globals[i];
        if (!is_valtype(g->type))
            return fail(err, "bad global type");
        if (!g->is_import &&
            !check_const(d, &g->init, g->type, i,
                         nimp[MOAT_DESC_EXT_GLOBAL]))
            return fail(err, "bad global initialiser");
    }
    for (uint64_t i = 0; i < d->ntables; i++) {
        const MoatDescLimits *l = &d->tables[i];
        if (!is_reftype(l->elem_type) || l->flags || l->min > UINT32_MAX ||
            (l->has_max && (l->max > UINT32_MAX || l->max < l->min)))
            return fail(err, "bad table type");
        if (l->min > MOAT_TABLE_LIMIT)
            return moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_LIMIT,
                              "table minimum beyond implementation limit");
    }
    return true;
}

static bool
check_segments(const MoatDescriptor *d,
               const uint64_t nimp[MOAT_DESC_EXT_NKINDS], moat_error *err)
{
    uint64_t nglobal_imports = nimp[MOAT_DESC_EXT_GLOBAL];

    for (uint64_t i = 0; i < d->nelems; i++) {
        const MoatDescElem *e = &d->elems[i];
        if (e->mode > MOAT_DESC_SEG_DECLARATIVE ||
            !is_reftype(e->elem_type) ||
            e->count > UINT32_MAX || (e->count && !e->items))
            return fail(err, "bad element segment");
        if (e->mode == MOAT_DESC_SEG_ACTIVE &&
            (e->table >= d->ntables ||
             d->tables[e->table].elem_type != e->elem_type ||
             !check_const(d, &e->offset, MOAT_ABI_T_I32, d->nglobals,
                          nglobal_imports)))
            return fail(err, "bad active element segment");
        for (uint64_t k = 0; k < e->count; k++)
            if (e->items[k].kind < MOAT_DESC_CONST_REF_NULL ||
                !check_const(d, &e->items[k], e->elem_type, d->nglobals,
                             nglobal_imports))
                return fail(err, "bad element segment item");
    }
    for (uint64_t i = 0; i < d->ndatas; i++) {
        const MoatDescData *s = &d->datas[i];
        if (s->mode > MOAT_DESC_SEG_PASSIVE || s->bytes.len > UINT32_MAX ||
            (s->bytes.len && !s->bytes.p))
            return fail(err, "bad data segment");
        if (s->mode == MOAT_DESC_SEG_ACTIVE &&
            (s->mem >= d->nmems ||
             !check_const(d, &s->offset, MOAT_ABI_T_I32, d->nglobals,
                          nglobal_imports)))
            return fail(err, "bad active data segment");
    }
    return true;
}

bool
moatR_check_contract(const MoatDescriptor *d, moat_error *err)
{
    uint64_t nimp[MOAT_DESC_EXT_NKINDS];

    if (!d)
        return fail(err, "no descriptor");
    return moatR_check_header(d, err) && check_heap(d, err) &&
           check_types(d, err) && check_imports(d, nimp, err) &&
           check_globals_tables(d, nimp, err) &&
           check_segments(d, nimp, err) && check_debug(d, err) &&
           moatR_check_cpu(d->cpu, d->features, err);
}

/* ---- CPU features: "+avx2,+sse4.1,-avx512f" (LLVM syntax). A "+" entry
 * must be present on this host; one we cannot check is an error; a "-"
 * entry asks for nothing. ---- */

typedef struct Feature {
    const char *name;
    bool        has;
} Feature;

/* CPUID bit: leaf among 1, 7 (subleaf 0), 0x71 (leaf 7 subleaf 1) and
 * 0x80000001, register (0 eax .. 3 edx), bit; from the words read once per
 * process (util_cpuid.c). */
static bool
cpuid_bit(const MoatCpuid *c, unsigned leaf, int reg, unsigned bit)
{
    const unsigned *r = leaf == 1 ? c->l1 : leaf == 7 ? c->l7
                      : leaf == 0x71 ? c->l71 : c->e1;

    return (r[reg] >> bit) & 1u;
}

/* Filled on each call from util_cpuid.c's words, as libgcc's
 * __builtin_cpu_supports decides (test_contract compares the two): AVX
 * and what needs its registers only when the OS saves them (XCR0 bits 1-2,
 * OSXSAVE set), AVX-512 when it saves the mask and upper ZMM state too
 * (bits 5-7). Not __builtin_cpu_supports itself: its initialiser runs as a
 * constructor in every process that links it and executes a dozen CPUIDs,
 * each an exit to the hypervisor in a virtual machine (docs/bench-hello.md).
 */
static size_t
host_features(Feature *f, size_t cap)
{
    const MoatCpuid *c = moatU_cpuid();
    bool osx = cpuid_bit(c, 1, 2, 27);
    bool avx = osx && (c->xcr0 & 0x6) == 0x6;
    bool a512 = avx && (c->xcr0 & 0xe0) == 0xe0;
#define L1C(n, b) { n, cpuid_bit(c, 1, 2, b) }
#define L7B(n, b) { n, cpuid_bit(c, 7, 1, b) }
#define L7C(n, b) { n, cpuid_bit(c, 7, 2, b) }
#define E1C(n, b) { n, cpuid_bit(c, 0x80000001u, 2, b) }
    Feature all[] = {
        { "64bit", true }, { "x87", true }, { "cmov", true },
        { "cx8", true }, { "fxsr", true }, { "mmx", true },
        { "sse", true }, { "sse2", true },
        L1C("popcnt", 23), L1C("sse3", 0), L1C("ssse3", 9),
        L1C("sse4.1", 19), L1C("sse4.2", 20), L1C("aes", 25),
        L1C("pclmul", 1), L1C("cx16", 13), L1C("movbe", 22),
        L1C("xsave", 26), L1C("rdrnd", 30),
        { "avx", avx && cpuid_bit(c, 1, 2, 28) },
        { "fma", avx && cpuid_bit(c, 1, 2, 12) },
        { "f16c", avx && cpuid_bit(c, 1, 2, 29) },
        { "avx2", avx && cpuid_bit(c, 7, 1, 5) },
        { "vaes", avx && cpuid_bit(c, 7, 2, 9) },
        { "vpclmulqdq", avx && cpuid_bit(c, 7, 2, 10) },
        { "fma4", avx && cpuid_bit(c, 0x80000001u, 2, 16) },
        { "xop", avx && cpuid_bit(c, 0x80000001u, 2, 11) },
        L7B("bmi", 3), L7B("bmi2", 8), L7B("rdseed", 18), L7B("adx", 19),
        L7B("sha", 29), L7C("gfni", 8),
        E1C("sahf", 0), E1C("lzcnt", 5), E1C("sse4a", 6), E1C("prfchw", 8),
        { "avx512f", a512 && cpuid_bit(c, 7, 1, 16) },
        { "avx512dq", a512 && cpuid_bit(c, 7, 1, 17) },
        { "avx512ifma", a512 && cpuid_bit(c, 7, 1, 21) },
        { "avx512cd", a512 && cpuid_bit(c, 7, 1, 28) },
        { "avx512bw", a512 && cpuid_bit(c, 7, 1, 30) },
        { "avx512vl", a512 && cpuid_bit(c, 7, 1, 31) },
        { "avx512vbmi", a512 && cpuid_bit(c, 7, 2, 1) },
        { "avx512vbmi2", a512 && cpuid_bit(c, 7, 2, 6) },
        { "avx512vnni", a512 && cpuid_bit(c, 7, 2, 11) },
        { "avx512bitalg", a512 && cpuid_bit(c, 7, 2, 12) },
        { "avx512vpopcntdq", a512 && cpuid_bit(c, 7, 2, 14) },
        { "avx512bf16", a512 && cpuid_bit(c, 0x71, 0, 5) },
    };
#undef L1C
#undef L7B
#undef L7C
#undef E1C
    size_t n = sizeof all / sizeof all[0];

    if (n > cap)
        n = cap;
    memcpy(f, all, n * sizeof *f);
    return n;
}

/* 1: present, 0: absent, -1: a feature we cannot check. */
static int
host_has(const Feature *f, size_t nf, const char *name, size_t len)
{
    for (size_t i = 0; i < nf; i++)
        if (strlen(f[i].name) == len && memcmp(f[i].name, name, len) == 0)
            return f[i].has;
    return -1;
}

static bool
check_features(const Feature *f, size_t nf, const char *s, moat_error *err)
{
    while (*s) {
        const char *end = strchr(s, ',');
        size_t      len = end ? (size_t)(end - s) : strlen(s);
        if (len < 2 || (s[0] != '+' && s[0] != '-'))
            return moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_CONTRACT,
                              "contract violation: bad feature entry "
                              "'%.*s'", (int)len, s);
        int has = s[0] == '+' ? host_has(f, nf, s + 1, len - 1) : 1;
        if (has != 1)
            return moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_CONTRACT,
                              "contract violation: CPU feature %.*s %s",
                              (int)len - 1, s + 1,
                              has ? "cannot be checked"
                                  : "missing on this host");
        s += len + (end != NULL);
    }
    return true;
}

/* The features each x86-64 micro-architecture level adds (psABI). */
static const char *const level_features[] = {
    "+cx16,+sahf,+popcnt,+sse3,+sse4.1,+sse4.2,+ssse3",
    "+avx,+avx2,+bmi,+bmi2,+f16c,+fma,+lzcnt,+movbe,+xsave",
    "+avx512f,+avx512bw,+avx512cd,+avx512dq,+avx512vl",
};

bool
moatR_check_cpu(const char *cpu, const char *features, moat_error *err)
{
    Feature f[64];
    size_t  nf = host_features(f, sizeof f / sizeof f[0]);

    if (cpu && *cpu && strcmp(cpu, "generic") != 0 &&
        strcmp(cpu, "x86-64") != 0) {
        int level = strncmp(cpu, "x86-64-v", 8) == 0 && cpu[8] >= '2' &&
                            cpu[8] <= '4' && cpu[9] == '\0'
                        ? cpu[8] - '1'
                        : 0;
        /* another CPU name (the host's, say "znver4") is fine when the
         * artifact lists the features its code uses: they are checked */
        if (level == 0 && (!features || !*features))
            return moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_CONTRACT,
                              "contract violation: target CPU '%s' cannot "
                              "be checked (use x86-64[-vN] and features)",
                              cpu);
        for (int i = 0; i < level; i++)
            if (!check_features(f, nf, level_features[i], err))
                return false;
    }
    return !features || check_features(f, nf, features, err);
}
