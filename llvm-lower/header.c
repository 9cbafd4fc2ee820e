/* header.c - the typed C header of a plugin (`moat compile --header`,
 * moat_compile_header), made from the validated module's types: for each
 * exported function a static inline wrapper that calls it through
 * moat_instance_call_typed, for each imported function the native
 * prototype moat_linker_define_func calls (abi.h, "how every function is
 * called") and a NAME_define_imports that defines them all. Valid C99 and
 * C++ (test/plugins). Names: header_names.c; docs/plugins.md.
 */
#include <stdio.h>
#include <string.h>

#include "abi.h"
#include "header.h"

void
moatL_hput(HeaderOut *o, const char *fmt, ...)
{
    va_list ap;

    if (o->is_oom)
        return;
    va_start(ap, fmt);
    int n = vsnprintf(o->p ? o->p + o->len : NULL,
                      o->p ? o->cap - o->len : 0, fmt, ap);
    va_end(ap);
    if (n < 0 || (o->p && (size_t)n < o->cap - o->len)) {
        o->len += n > 0 ? (size_t)n : 0;
        return;
    }
    size_t cap = (o->cap ? o->cap : 4096);
    while (cap - o->len <= (size_t)n)
        cap *= 2;
    char *p = moatU_realloc(o->p, cap);
    if (!p) {
        o->is_oom = true;
        return;
    }
    o->p = p;
    o->cap = cap;
    va_start(ap, fmt);
    vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
    va_end(ap);
    o->len += (size_t)n;
}

/* ---- types ---- */

static const char *
ctype(uint8_t t, bool is_import)
{
    switch (t) {
    case T_I32: return "uint32_t";
    case T_I64: return "uint64_t";
    case T_F32: return "float";
    case T_F64: return "double";
    case T_V128: return is_import ? "__m128i" : "moat_v128";
    default: return "void *";
    }
}

static const char *
vtname(uint8_t t)
{
    switch (t) {
    case T_I32: return "i32";
    case T_I64: return "i64";
    case T_F32: return "f32";
    case T_F64: return "f64";
    case T_V128: return "v128";
    case T_FUNCREF: return "funcref";
    default: return "externref";
    }
}

static const char *
moat_type(uint8_t t)
{
    switch (t) {
    case T_I32: return "MOAT_I32";
    case T_I64: return "MOAT_I64";
    case T_F32: return "MOAT_F32";
    case T_F64: return "MOAT_F64";
    case T_V128: return "MOAT_V128";
    case T_FUNCREF: return "MOAT_FUNCREF";
    default: return "MOAT_EXTERNREF";
    }
}

/* "(i32, i64) -> (f32)" */
static void
put_sig(HeaderOut *o, const FuncType *ft)
{
    moatL_hput(o, "(");
    for (uint32_t i = 0; i < ft->nparams; i++)
        moatL_hput(o, "%s%s", i ? ", " : "", vtname(ft->types[i]));
    moatL_hput(o, ") -> (");
    for (uint32_t i = 0; i < ft->nresults; i++)
        moatL_hput(o, "%s%s", i ? ", " : "",
                   vtname(ft->types[ft->nparams + i]));
    moatL_hput(o, ")");
}

/* A wasm name in a comment: printable ASCII, but not what could end the
 * comment, open a nested one or make a trigraph ("??/" + newline splices
 * lines in C99). */
static void
put_comment_name(HeaderOut *o, const Name *n)
{
    moatL_hput(o, "\"");
    for (uint32_t i = 0; i < n->len; i++) {
        unsigned char c = (unsigned char)n->s[i];
        bool ok = c >= 0x20 && c < 0x7f && c != '\\' && c != '*' &&
                  c != '/' && c != '?';
        moatL_hput(o, ok ? "%c" : "\\x%02x", c);
    }
    moatL_hput(o, "\"");
}

/* A wasm name as a C string literal (octal escapes: they end after three
 * digits, so the next character never joins them). */
static void
put_c_string(HeaderOut *o, const Name *n)
{
    moatL_hput(o, "\"");
    for (uint32_t i = 0; i < n->len; i++) {
        unsigned char c = (unsigned char)n->s[i];
        bool ok = c >= 0x20 && c < 0x7f && c != '\\' && c != '"' &&
                  c != '?';
        moatL_hput(o, ok ? "%c" : "\\%03o", c);
    }
    moatL_hput(o, "\"");
}

/* ---- exports ---- */

static void
put_param(HeaderOut *o, const Name *nm, uint32_t i)
{
    if (nm)
        moatL_hput(o, "%.*s", (int)nm->len, nm->s);
    else
        moatL_hput(o, "p%u", i);
}

/* moat_a[i] = param i */
static void
put_arg(HeaderOut *o, uint8_t t, uint32_t i, const Name *nm)
{
    moatL_hput(o, "    moat_a[%u].type = %s;\n    ", i, moat_type(t));
    switch (t) {
    case T_I32: case T_I64:
        moatL_hput(o, "moat_a[%u].of.%s = ", i, vtname(t));
        put_param(o, nm, i);
        break;
    case T_F32: case T_F64: case T_V128:
        moatL_hput(o, "memcpy(%smoat_a[%u].of.%s, &", t == T_V128 ? "" : "&",
                   i, t == T_F32 ? "i32" : t == T_F64 ? "i64" : "v128");
        put_param(o, nm, i);
        moatL_hput(o, ", %d)", t == T_F32 ? 4 : t == T_F64 ? 8 : 16);
        break;
    default:
        moatL_hput(o, "moat_a[%u].of.ref = ", i);
        put_param(o, nm, i);
    }
    moatL_hput(o, ";\n");
}

/* *ptr = result i (ptr: "&moat_v" or a pointer parameter) */
static void
put_result(HeaderOut *o, uint8_t t, uint32_t i, const char *ptr)
{
    const char *lv = ptr[0] == '&' ? ptr + 1 : ptr;
    const char *star = ptr[0] == '&' ? "" : "*";

    switch (t) {
    case T_I32: case T_I64:
        moatL_hput(o, "%s%s = moat_r[%u].of.%s;\n", star, lv, i, vtname(t));
        break;
    case T_F32: case T_F64: case T_V128:
        moatL_hput(o, "memcpy(%s, %smoat_r[%u].of.%s, %d);\n", ptr,
                   t == T_V128 ? "" : "&", i,
                   t == T_F32 ? "i32" : t == T_F64 ? "i64" : "v128",
                   t == T_F32 ? 4 : t == T_F64 ? 8 : 16);
        break;
    default:
        moatL_hput(o, "%s%s = moat_r[%u].of.ref;\n", star, lv, i);
    }
}

static bool
is_ref(uint8_t t)
{
    return t == T_FUNCREF || t == T_EXTERNREF;
}

/* "static inline RET NAME_EXPORT(moat_instance *inst, params, outs)" */
static void
put_export_decl(HeaderOut *o, const Export *ex, const FuncType *ft,
                const char *pre, const Name **names)
{
    const uint8_t *res = ft->types + ft->nparams;

    moatL_hput(o, "\n/* export ");
    put_comment_name(o, &ex->name);
    moatL_hput(o, ": ");
    put_sig(o, ft);
    moatL_hput(o, " */\nstatic inline %s\n%s_",
               ft->nresults == 1 ? ctype(res[0], false) : "void", pre);
    moatL_export_cname(o, ex->name.s, ex->name.len);
    moatL_hput(o, "(moat_instance *inst");
    for (uint32_t i = 0; i < ft->nparams; i++) {
        moatL_hput(o, ", %s%s", ctype(ft->types[i], false),
                   is_ref(ft->types[i]) ? "" : " ");
        put_param(o, names[i], i);
    }
    for (uint32_t i = 0; ft->nresults > 1 && i < ft->nresults; i++)
        moatL_hput(o, ", %s%s*out%u", ctype(res[i], false),
                   is_ref(res[i]) ? "" : " ", i);
    moatL_hput(o, ")\n");
}

static void
put_export(HeaderOut *o, const Module *m, const char *pre, uint32_t e)
{
    const Export   *ex = &m->exports[e];
    const FuncType *ft = &m->types[m->funcs[ex->idx].type_idx];
    const uint8_t  *res = ft->types + ft->nparams;
    const Name    **names = moatU_calloc(ft->nparams + 1, sizeof *names);

    if (!names) {
        o->is_oom = true;
        return;
    }
    moatL_param_names(m, ex->idx, ft->nparams, names);
    put_export_decl(o, ex, ft, pre, names);
    moatL_hput(o, "{\n");
    if (ft->nparams)
        moatL_hput(o, "    moat_val moat_a[%u];\n", ft->nparams);
    if (ft->nresults)
        moatL_hput(o, "    moat_val moat_r[%u];\n", ft->nresults);
    if (ft->nresults == 1)
        moatL_hput(o, "    %s%smoat_v;\n", ctype(res[0], false),
                   is_ref(res[0]) ? "" : " ");
    for (uint32_t i = 0; i < ft->nparams; i++)
        put_arg(o, ft->types[i], i, names[i]);
    moatL_hput(o, "    moat_instance_call_typed(inst, %s_module_hash(),\n"
               "                             %s_export_", pre, pre);
    moatL_export_cname(o, ex->name.s, ex->name.len);
    moatL_hput(o, ",\n                             %s, %u, %s, %u);\n",
               ft->nparams ? "moat_a" : "NULL",
               ft->nparams, ft->nresults ? "moat_r" : "NULL", ft->nresults);
    if (ft->nresults == 1) {
        moatL_hput(o, "    ");
        put_result(o, res[0], 0, "&moat_v");
        moatL_hput(o, "    return moat_v;\n");
    }
    for (uint32_t i = 0; ft->nresults > 1 && i < ft->nresults; i++) {
        char dst[32];
        snprintf(dst, sizeof dst, "out%u", i);
        moatL_hput(o, "    if (out%u)\n        ", i);
        put_result(o, res[i], i, dst);
    }
    moatL_hput(o, "}\n");
    moatU_free(names);
}

/* ---- imports ---- */

static bool
is_wasi(const Import *im)
{
    static const char w[] = "wasi_snapshot_preview1";
    return im->module.len == sizeof w - 1 &&
           memcmp(im->module.s, w, sizeof w - 1) == 0;
}

/* A function import moat_linker_define_func can define: a native
 * function has at most MOAT_WIDE_PARAMS parameters, names are C strings. */
static bool
is_definable(const Module *m, const Import *im)
{
    const FuncType *ft = &m->types[m->funcs[im->idx].type_idx];
    return im->kind == EXT_FUNC && !is_wasi(im) &&
           ft->nparams <= MOAT_WIDE_PARAMS &&
           !memchr(im->module.s, 0, im->module.len) &&
           !memchr(im->name.s, 0, im->name.len);
}

static void
put_import(HeaderOut *o, const Module *m, const char *pre, const Import *im)
{
    static const char *const kinds[] = { "function", "table", "memory",
                                         "global" };
    moatL_hput(o, "\n/* import ");
    put_comment_name(o, &im->module);
    moatL_hput(o, " ");
    put_comment_name(o, &im->name);
    if (im->kind != EXT_FUNC || !is_definable(m, im)) {
        moatL_hput(o, ": a %s the host defines with moat_linker_define_*",
                   kinds[im->kind]);
        moatL_hput(o, im->kind == EXT_FUNC ? " (not as a native function: "
                   "a NUL in its name or more than 64 parameters) */\n"
                   : " */\n");
        return;
    }
    const FuncType *ft = &m->types[m->funcs[im->idx].type_idx];
    moatL_hput(o, ": ");
    put_sig(o, ft);
    moatL_hput(o, ";\n * host_ctx: what %s_define_imports was given%s */\n",
               pre, ft->nresults > 1 ? "; write result i into the low bytes of "
               "(char *)results + 16 * i" : "");
    moatL_hput(o, "%s %s_", ft->nresults == 1
               ? ctype(ft->types[ft->nparams], true) : "void", pre);
    moatL_import_cname(o, im->module.s, im->module.len, im->name.s,
                       im->name.len);
    moatL_hput(o, "(void *host_ctx");
    for (uint32_t i = 0; i < ft->nparams; i++)
        moatL_hput(o, ", %s%sp%u", ctype(ft->types[i], true),
                   is_ref(ft->types[i]) ? "" : " ", i);
    moatL_hput(o, "%s);\n", ft->nresults > 1 ? ", void *results" : "");
}

static void
put_define_imports(HeaderOut *o, const Module *m, const char *pre)
{
    moatL_hput(o, "\n/* Defines every function import above in l, each "
               "called with host_ctx.\n * The host writes the functions; "
               "WASI imports come from moat_wasi_define,\n * other kinds "
               "from moat_linker_define_*. */\nstatic inline moat_status\n"
               "%s_define_imports(moat_linker *l, void *host_ctx, "
               "moat_error *err)\n{\n    moat_status st = MOAT_OK;\n\n"
               "    (void)l;\n    (void)host_ctx;\n    (void)err;\n", pre);
    for (uint32_t k = 0; k < m->nimports; k++) {
        const Import *im = &m->imports[k];
        if (!is_definable(m, im))
            continue;
        const FuncType *ft = &m->types[m->funcs[im->idx].type_idx];
        uint32_t        n = ft->nparams + ft->nresults;
        if (n) {
            moatL_hput(o, "    static const uint8_t t%u[] = {", k);
            for (uint32_t i = 0; i < n; i++)
                moatL_hput(o, "%s %s", i ? "," : "", moat_type(ft->types[i]));
            moatL_hput(o, " };\n");
        }
        moatL_hput(o, "    if (st == MOAT_OK)\n        st = "
                   "moat_linker_define_func(l, ");
        put_c_string(o, &im->module);
        moatL_hput(o, ", ");
        put_c_string(o, &im->name);
        char tv[24];
        snprintf(tv, sizeof tv, "t%u", k);
        moatL_hput(o, ",\n            %s, %u, ", n ? tv : "NULL", ft->nparams);
        if (ft->nresults)
            moatL_hput(o, "%s + %u", tv, ft->nparams);
        else
            moatL_hput(o, "NULL");
        moatL_hput(o, ", %u,\n            (moat_native_fn)%s_", ft->nresults,
                   pre);
        moatL_import_cname(o, im->module.s, im->module.len, im->name.s,
                           im->name.len);
        moatL_hput(o, ",\n            host_ctx, err);\n");
    }
    moatL_hput(o, "    return st;\n}\n");
}

/* ---- the header ---- */

static bool
uses_import_v128(const Module *m)
{
    for (uint32_t k = 0; k < m->nimports; k++) {
        const Import *im = &m->imports[k];
        if (im->kind != EXT_FUNC || !is_definable(m, im))
            continue;
        const FuncType *ft = &m->types[m->funcs[im->idx].type_idx];
        for (uint32_t i = 0; i < ft->nparams + ft->nresults; i++)
            if (ft->types[i] == T_V128)
                return true;
    }
    return false;
}

static void
put_prologue(HeaderOut *o, const Module *m, const uint8_t hash[32],
             const char *pre, bool has_desc)
{
    moatL_hput(o, "/* %s.h - typed interface of the Moat plugin %s, made by "
               "`moat compile\n * --header` from the wasm module with "
               "SHA-256\n * ", pre, pre);
    for (int i = 0; i < 32; i++)
        moatL_hput(o, "%02x", hash[i]);
    moatL_hput(o, ".\n * Do not edit. Types, names and errors: Moat's "
               "docs/plugins.md. */\n#ifndef MOAT_PLUGIN_%s_H\n"
               "#define MOAT_PLUGIN_%s_H\n\n#include <stdint.h>\n"
               "#include <string.h>\n\n#include <moat.h>\n", pre, pre);
    if (uses_import_v128(m))
        moatL_hput(o, "#include <emmintrin.h>\n");
    moatL_hput(o, "\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n"
               "#ifndef MOAT_V128_DEFINED\n#define MOAT_V128_DEFINED\n"
               "/* A v128 value, lane 0 first (little-endian). */\n"
               "typedef struct moat_v128 {\n    uint8_t bytes[16];\n"
               "} moat_v128;\n#endif\n");
    if (has_desc)
        moatL_hput(o, "\n/* The plugin, linked into the program: "
                   "moat_module_from_descriptor(engine,\n * &%s_descriptor, "
                   "&module, &err) makes its module. Static data of the\n"
                   " * program, borrowed forever. */\n"
                   "extern const moat_descriptor %s_descriptor;\n", pre, pre);
    moatL_hput(o, "\n/* The module's SHA-256: a typed call refuses an instance "
               "of another module. */\nstatic inline const uint8_t *\n"
               "%s_module_hash(void)\n{\n    static const uint8_t h[32] = {",
               pre);
    for (int i = 0; i < 32; i++)
        moatL_hput(o, "%s%s0x%02x", i ? "," : "", i % 8 ? " " : "\n        ",
                   hash[i]);
    moatL_hput(o, "\n    };\n    return h;\n}\n");
}

static void
put_export_indices(HeaderOut *o, const Module *m, const char *pre)
{
    if (!m->nexports)
        return;
    moatL_hput(o, "\n/* Export indices, as moat_instance_export_index gives "
               "them and\n * moat_instance_call_index takes them. */\n"
               "enum {\n");
    for (uint32_t e = 0; e < m->nexports; e++) {
        moatL_hput(o, "    %s_export_", pre);
        moatL_export_cname(o, m->exports[e].name.s, m->exports[e].name.len);
        moatL_hput(o, " = %u,\n", e);
    }
    moatL_hput(o, "};\n");
}

bool
moatL_header(const Module *m, const uint8_t hash[32], const char *pre,
             bool has_desc, HeaderOut *o)
{
    bool has_wasi = false;

    put_prologue(o, m, hash, pre, has_desc);
    put_export_indices(o, m, pre);
    moatL_hput(o, "\n/* ---- exported functions: a failed call (trap, wrong "
               "instance, ...)\n * returns zeroes; "
               "moat_instance_last_error(inst) says what happened. ---- */\n");
    for (uint32_t e = 0; e < m->nexports; e++)
        if (m->exports[e].kind == EXT_FUNC)
            put_export(o, m, pre, e);
    moatL_hput(o, "\n/* ---- imports: the functions the host provides "
               "(native signatures,\n * as moat_linker_define_func calls "
               "them) ---- */\n");
    for (uint32_t k = 0; k < m->nimports; k++) {
        if (is_wasi(&m->imports[k]))
            has_wasi = true;
        else
            put_import(o, m, pre, &m->imports[k]);
    }
    if (has_wasi)
        moatL_hput(o, "\n/* WASI imports (wasi_snapshot_preview1): define "
                   "them with moat_wasi_define\n * (moat_wasi.h). */\n");
    put_define_imports(o, m, pre);
    moatL_hput(o, "\n#ifdef __cplusplus\n}\n#endif\n#endif\n");
    return !o->is_oom;
}
