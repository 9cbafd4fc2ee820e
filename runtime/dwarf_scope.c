/* dwarf_scope.c - the source frames of one compilation unit at an address:
 * which subprogram holds it (from the unit's function index, built on the
 * unit's first query), the inlined subroutines inside it, and each frame's
 * function name and file:line:column. The unit is found, and the reader
 * opened, by dwarf.c.
 */
#include <stdlib.h>
#include <string.h>

#include "debuginfo.h"

/* Depth and DIEs visited are capped: a malformed sibling chain could
 * otherwise loop, and malformed nesting recurse without end. */
enum { MAX_SCOPES = 64, MAX_VISITS = 1 << 20 };

static bool
is_container(int tag)
{
    return tag == DW_TAG_namespace || tag == DW_TAG_class_type ||
           tag == DW_TAG_structure_type || tag == DW_TAG_union_type ||
           tag == DW_TAG_module;
}

/* ---- the unit's function index ---- */

static bool
add_func(DwarfUnit *u, Dwarf_Addr lo, Dwarf_Addr hi, Dwarf_Off die)
{
    if (lo >= hi)                       /* empty, or a dead function's */
        return true;
    if (u->nfuncs == u->capfuncs) {
        size_t     cap = u->capfuncs ? 2 * u->capfuncs : 64;
        FuncRange *f = moatU_calloc(cap, sizeof *f);
        if (!f)
            return false;
        if (u->nfuncs)
            memcpy(f, u->funcs, u->nfuncs * sizeof *f);
        moatU_free(u->funcs);
        u->funcs = f;
        u->capfuncs = cap;
    }
    u->funcs[u->nfuncs++] = (FuncRange){ lo, hi, die };
    return true;
}

/* Subprograms with code among parent's children, looking into
 * namespaces and classes (C++ defines methods there). */
static bool
index_funcs(DwarfUnit *u, Dwarf_Die *parent, int level, long *visits)
{
    Dwarf_Die c;

    if (level >= MAX_SCOPES || dwarf_child(parent, &c) != 0)
        return true;
    do {
        if (++*visits > MAX_VISITS)
            return true;
        int tag = dwarf_tag(&c);
        if (tag == DW_TAG_subprogram) {
            Dwarf_Addr base, lo, hi;
            ptrdiff_t  at = 0;
            while ((at = dwarf_ranges(&c, at, &base, &lo, &hi)) > 0)
                if (!add_func(u, lo, hi, dwarf_dieoffset(&c)))
                    return false;
        } else if (is_container(tag) &&
                   !index_funcs(u, &c, level + 1, visits)) {
            return false;
        }
    } while (dwarf_siblingof(&c, &c) == 0);
    return true;
}

/* ---- the scopes inside a subprogram ---- */

typedef struct Walk {
    Dwarf_Addr addr;
    Dwarf_Die  chain[MAX_SCOPES];   /* outermost first: the subprogram */
    int        depth;
    long       visits;
} Walk;

/* Appends the innermost child of parent holding addr, and its own. */
static void
walk(Walk *w, Dwarf_Die *parent)
{
    Dwarf_Die c;

    if (w->depth == MAX_SCOPES || dwarf_child(parent, &c) != 0)
        return;
    do {
        if (++w->visits > MAX_VISITS)
            return;
        if (dwarf_haspc(&c, w->addr) == 1) {
            w->chain[w->depth++] = c;
            walk(w, &w->chain[w->depth - 1]);
            return;
        }
    } while (dwarf_siblingof(&c, &c) == 0);
}

/* ---- frames ---- */

static const char *
die_name(Dwarf_Die *die)
{
    static const unsigned attrs[] = { DW_AT_name, DW_AT_linkage_name,
                                      DW_AT_MIPS_linkage_name };
    Dwarf_Attribute a;

    /* _integrate follows DW_AT_abstract_origin (an inlined instance) and
     * DW_AT_specification (a C++ member defined out of its class) */
    for (size_t i = 0; i < sizeof attrs / sizeof attrs[0]; i++) {
        const char *s = dwarf_formstring(dwarf_attr_integrate(die, attrs[i],
                                                              &a));
        if (s && *s)
            return s;
    }
    return NULL;
}

static uint32_t
die_udata(Dwarf_Die *die, unsigned attr)
{
    Dwarf_Attribute a;
    Dwarf_Word      v;

    if (!dwarf_attr(die, attr, &a) || dwarf_formudata(&a, &v) != 0 ||
        v > UINT32_MAX)
        return 0;
    return (uint32_t)v;
}

/* ---- qualified names for C++ and Rust: the enclosing namespaces and
 * classes of the DIE that holds the name, joined by "::". Made once per
 * function (dwarf_getscopes_die walks the unit from its start) and kept
 * in the unit until the reader is freed. ---- */

static bool
is_qualified_lang(int lang)
{
    return lang == DW_LANG_C_plus_plus || lang == DW_LANG_C_plus_plus_03 ||
           lang == DW_LANG_C_plus_plus_11 || lang == DW_LANG_C_plus_plus_14 ||
           lang == DW_LANG_Rust;
}

/* The DIE that holds die's DW_AT_name, following DW_AT_abstract_origin
 * and DW_AT_specification (a few steps: a loop in bad DWARF ends). */
static bool
named_die(Dwarf_Die *die, Dwarf_Die *out)
{
    Dwarf_Attribute a;

    *out = *die;
    for (int i = 0; i < 8; i++) {
        if (dwarf_hasattr(out, DW_AT_name))
            return true;
        if ((!dwarf_attr(out, DW_AT_abstract_origin, &a) &&
             !dwarf_attr(out, DW_AT_specification, &a)) ||
            !dwarf_formref_die(&a, out))
            return false;
    }
    return false;
}

/* "a::b::base" from scopes[1..n-2] (scopes[0] is the named DIE, the last
 * the unit), outermost first; NULL without enclosing names or memory. */
static char *
join_scopes(Dwarf_Die *scopes, int n, const char *base)
{
    size_t len = strlen(base) + 1;
    int    nparts = 0;

    for (int i = 1; i < n - 1; i++)
        if (is_container(dwarf_tag(&scopes[i]))) {
            const char *s = dwarf_diename(&scopes[i]);
            len += strlen(s ? s : "(anonymous namespace)") + 2;
            nparts++;
        }
    char *q = nparts ? moatU_alloc(len) : NULL;
    if (!q)
        return NULL;
    q[0] = 0;
    for (int i = n - 2; i >= 1; i--)
        if (is_container(dwarf_tag(&scopes[i]))) {
            const char *s = dwarf_diename(&scopes[i]);
            strcat(strcat(q, s ? s : "(anonymous namespace)"), "::");
        }
    return strcat(q, base);
}

static const char *
qualified_name(DwarfUnit *u, Dwarf_Die *cu, Dwarf_Die *die)
{
    const char *base = die_name(die);
    Dwarf_Die   named, *scopes = NULL;

    if (!base || !is_qualified_lang(dwarf_srclang(cu)) ||
        !named_die(die, &named))
        return base;
    Dwarf_Off off = dwarf_dieoffset(&named);
    for (size_t i = 0; i < u->nnames; i++)
        if (u->names[i].die == off)
            return u->names[i].name ? u->names[i].name : base;
    if (u->nnames == u->capnames) {
        size_t    cap = u->capnames ? 2 * u->capnames : 16;
        QualName *q = moatU_calloc(cap, sizeof *q);
        if (!q)
            return base;
        if (u->nnames)
            memcpy(q, u->names, u->nnames * sizeof *q);
        moatU_free(u->names);
        u->names = q;
        u->capnames = cap;
    }
    int   n = dwarf_getscopes_die(&named, &scopes);
    char *q = n > 1 ? join_scopes(scopes, n, base) : NULL;
    free(scopes);                       /* libdw's malloc */
    u->names[u->nnames++] = (QualName){ off, q };   /* NULL: base */
    return q ? q : base;
}

void
moatR_dwarf_unit_free(DwarfUnit *u)
{
    for (size_t i = 0; i < u->nnames; i++)
        moatU_free(u->names[i].name);
    moatU_free(u->names);
    moatU_free(u->funcs);
}

/* Where an inlined subroutine was called from: its DW_AT_call_*. */
static moat_source_loc
call_site(Dwarf_Die *cu, Dwarf_Die *inl)
{
    moat_source_loc l = { 0 };
    Dwarf_Files    *files;
    size_t          nfiles;
    Dwarf_Attribute a;
    Dwarf_Word      idx;

    if (dwarf_attr(inl, DW_AT_call_file, &a) &&
        dwarf_formudata(&a, &idx) == 0 &&
        dwarf_getsrcfiles(cu, &files, &nfiles) == 0 && idx < nfiles)
        l.file = dwarf_filesrc(files, idx, NULL, NULL);
    l.line = die_udata(inl, DW_AT_call_line);
    l.column = die_udata(inl, DW_AT_call_column);
    return l;
}

/* The line table's row for addr, as the innermost frame's place. */
static moat_source_loc
line_at(Dwarf_Die *cu, Dwarf_Addr addr)
{
    moat_source_loc l = { 0 };
    Dwarf_Line     *line = dwarf_getsrc_die(cu, addr);
    int             n;

    if (!line)
        return l;
    l.file = dwarf_linesrc(line, NULL, NULL);
    if (dwarf_lineno(line, &n) == 0 && n > 0)
        l.line = (uint32_t)n;
    if (dwarf_linecol(line, &n) == 0 && n > 0)
        l.column = (uint32_t)n;
    return l;
}

/* Frames innermost first from w's chain: each inlined subroutine, then
 * the subprogram; a frame's place is the line table's for the innermost,
 * the call site of the scope inside it for the others. */
static size_t
chain_frames(DwarfUnit *u, Walk *w, Dwarf_Die *cu, moat_source_loc at,
             moat_source_loc *out, size_t max)
{
    size_t n = 0;

    for (int i = w->depth - 1; i >= 0; i--) {
        Dwarf_Die *scope = &w->chain[i];
        int        tag = dwarf_tag(scope);
        if (tag != DW_TAG_inlined_subroutine && tag != DW_TAG_subprogram)
            continue;                   /* lexical blocks */
        at.function = qualified_name(u, cu, scope);
        if (n < max)
            out[n] = at;
        n++;
        if (tag == DW_TAG_subprogram)
            break;
        at = call_site(cu, scope);
    }
    return n;
}

size_t
moatR_dwarf_frames(Dwarf *dbg, DwarfUnit *u, Dwarf_Addr addr,
                   moat_source_loc *out, size_t max)
{
    Dwarf_Die cu, sub;
    long      visits = 0;

    if (!dwarf_offdie(dbg, u->die, &cu))
        return 0;
    if (!u->is_indexed) {
        u->is_indexed = true;
        if (!index_funcs(u, &cu, 0, &visits))
            u->nfuncs = 0;              /* out of memory: no functions */
    }
    moat_source_loc at = line_at(&cu, addr);
    Walk           *w = moatU_calloc(1, sizeof *w);
    size_t          n = 0;
    for (size_t i = 0; w && n == 0 && i < u->nfuncs; i++) {
        const FuncRange *f = &u->funcs[i];
        if (addr < f->lo || addr >= f->hi || !dwarf_offdie(dbg, f->die, &sub))
            continue;
        *w = (Walk){ .addr = addr, .depth = 1 };
        w->chain[0] = sub;
        walk(w, &w->chain[0]);
        n = chain_frames(u, w, &cu, at, out, max);
    }
    moatU_free(w);
    if (n == 0 && at.file) {            /* a line, but no function DIE */
        if (max)
            out[0] = at;
        n = 1;
    }
    return n;
}
