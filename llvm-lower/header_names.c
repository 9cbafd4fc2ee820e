/* header_names.c - C names for a plugin header's exports, imports and
 * parameters (header.c; docs/plugins.md, "Names"). Wasm names are any
 * UTF-8 (NUL included); a C name must be an identifier, so names that are
 * not are escaped, reversibly:
 *   enc(s): ASCII letters and digits as they are, every other byte as
 *           "_" and two lowercase hex digits ("a.b" -> "a_2eb").
 *   export: the name itself when it is a C identifier that does not
 *           start with "x_", "import_" or "export_" and is not one of the
 *           header's own names; else "x_" enc(name).
 *   import: "import_" module "_" name when the module is letters and
 *           digits (starting with a letter) and the name an identifier;
 *           else "import__" enc(module) "__" enc(name) (enc never makes
 *           "__", so the first "__" ends the module).
 * Export names are unique in a module and the encodings are injective, so
 * no two exports (nor two imports) get the same C name.
 */
#include <stdio.h>
#include <string.h>

#include "header.h"

static bool
is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
is_alnum(unsigned char c)
{
    return is_alpha(c) || (c >= '0' && c <= '9');
}

bool
moatL_is_c_ident(const char *s, size_t n)
{
    if (n == 0 || !(is_alpha((unsigned char)s[0]) || s[0] == '_'))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!is_alnum((unsigned char)s[i]) && s[i] != '_')
            return false;
    return true;
}

static bool
has_prefix(const char *s, size_t n, const char *p)
{
    size_t k = strlen(p);
    return n >= k && memcmp(s, p, k) == 0;
}

static bool
is_exactly(const char *s, size_t n, const char *w)
{
    return strlen(w) == n && memcmp(s, w, n) == 0;
}

static void
enc(HeaderOut *o, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (is_alnum(c))
            moatL_hput(o, "%c", c);
        else
            moatL_hput(o, "_%02x", c);
    }
}

/* The header's own names after NAME_ (header.c). */
static const char *const reserved[] = {
    "descriptor", "define_imports", "module_hash",
};

void
moatL_export_cname(HeaderOut *o, const char *s, size_t n)
{
    bool plain = moatL_is_c_ident(s, n) && !has_prefix(s, n, "x_") &&
                 !has_prefix(s, n, "import_") && !has_prefix(s, n, "export_");
    for (size_t i = 0; plain && i < sizeof reserved / sizeof *reserved; i++)
        plain = !is_exactly(s, n, reserved[i]);
    if (plain) {
        moatL_hput(o, "%.*s", (int)n, s);
        return;
    }
    moatL_hput(o, "x_");
    enc(o, s, n);
}

void
moatL_import_cname(HeaderOut *o, const char *mod, size_t nmod,
                   const char *name, size_t nname)
{
    bool plain = nmod > 0 && is_alpha((unsigned char)mod[0]) &&
                 moatL_is_c_ident(name, nname);
    for (size_t i = 0; plain && i < nmod; i++)
        plain = is_alnum((unsigned char)mod[i]);
    if (plain) {
        moatL_hput(o, "import_%.*s_%.*s", (int)nmod, mod, (int)nname, name);
        return;
    }
    moatL_hput(o, "import__");
    enc(o, mod, nmod);
    moatL_hput(o, "__");
    enc(o, name, nname);
}

/* C and C++ keywords and the wrappers' own names: a parameter named so
 * becomes pN. */
static const char *const keywords[] = {
    "alignas", "alignof", "and", "and_eq", "asm", "auto", "bitand", "bitor",
    "bool", "break", "case", "catch", "char", "char8_t", "char16_t",
    "char32_t", "class", "co_await", "co_return", "co_yield", "compl",
    "concept", "const", "consteval", "constexpr", "constinit", "const_cast",
    "continue", "decltype", "default", "delete", "do", "double",
    "dynamic_cast", "else", "enum", "explicit", "export", "extern", "false",
    "float", "for", "friend", "goto", "if", "inline", "int", "long",
    "mutable", "namespace", "new", "noexcept", "not", "not_eq", "nullptr",
    "operator", "or", "or_eq", "private", "protected", "public", "register",
    "reinterpret_cast", "requires", "restrict", "return", "short", "signed",
    "sizeof", "static", "static_assert", "static_cast", "struct", "switch",
    "template", "this", "thread_local", "throw", "true", "try", "typedef",
    "typeid", "typename", "union", "unsigned", "using", "virtual", "void",
    "volatile", "wchar_t", "while", "xor", "xor_eq", "inst", "host_ctx",
    "results", "main",
};

/* A local name usable as a C parameter name as it is. */
static bool
is_param_name(const Name *nm)
{
    if (!nm || !moatL_is_c_ident(nm->s, nm->len) || nm->s[0] == '_' ||
        has_prefix(nm->s, nm->len, "moat_") ||
        has_prefix(nm->s, nm->len, "out") ||
        (nm->len >= 2 && nm->s[0] == 'p' && nm->s[1] >= '0' &&
         nm->s[1] <= '9'))
        return false;
    for (size_t i = 0; i < sizeof keywords / sizeof *keywords; i++)
        if (is_exactly(nm->s, nm->len, keywords[i]))
            return false;
    return true;
}

static const Name *
local_name(const Module *m, uint32_t func, uint32_t idx)
{
    uint32_t lo = 0, hi = m->nlocal_names;
    while (lo < hi) {                   /* sorted by function */
        uint32_t mid = lo + (hi - lo) / 2;
        if (m->local_names[mid].func < func)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == m->nlocal_names || m->local_names[lo].func != func)
        return NULL;
    const LocalNames *ln = &m->local_names[lo];
    for (uint32_t i = 0; i < ln->n; i++)
        if (ln->names[i].idx == idx)
            return &ln->names[i].name;
    return NULL;
}

/* Parameter names of function func: its local names when every one is
 * usable and they differ, else p0, p1, ... (names[i] NULL). */
void
moatL_param_names(const Module *m, uint32_t func, uint32_t nparams,
                  const Name **names)
{
    bool ok = true;
    for (uint32_t i = 0; i < nparams; i++) {
        names[i] = local_name(m, func, i);
        ok = ok && is_param_name(names[i]);
        for (uint32_t j = 0; ok && j < i; j++)
            ok = names[j]->len != names[i]->len ||
                 memcmp(names[j]->s, names[i]->s, names[i]->len) != 0;
    }
    for (uint32_t i = 0; !ok && i < nparams; i++)
        names[i] = NULL;
}
