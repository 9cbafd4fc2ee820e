/* decode.c - module driver: header, section framing and order, then the
 * checks that span sections (binary 5.5, validation 3.4). Each section's
 * contents are read by sec_<name>.c; function bodies by valid_func.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "frontend.h"
#include "moat_compile.h"

enum {
    SEC_CUSTOM = 0, SEC_TYPE, SEC_IMPORT, SEC_FUNCTION, SEC_TABLE,
    SEC_MEMORY, SEC_GLOBAL, SEC_EXPORT, SEC_START, SEC_ELEM, SEC_CODE,
    SEC_DATA, SEC_DATACOUNT, NSEC
};

typedef bool (*SecFn)(Decode *);

/* rank: the position each section must take (data count sits before code) */
static const struct { uint8_t rank; SecFn fn; const char *name; } secs[NSEC] = {
    [SEC_TYPE] = { 1, moatD_sec_type, "type" },
    [SEC_IMPORT] = { 2, moatD_sec_import, "import" },
    [SEC_FUNCTION] = { 3, moatD_sec_function, "function" },
    [SEC_TABLE] = { 4, moatD_sec_table, "table" },
    [SEC_MEMORY] = { 5, moatD_sec_memory, "memory" },
    [SEC_GLOBAL] = { 6, moatD_sec_global, "global" },
    [SEC_EXPORT] = { 7, moatD_sec_export, "export" },
    [SEC_START] = { 8, moatD_sec_start, "start" },
    [SEC_ELEM] = { 9, moatD_sec_elem, "element" },
    [SEC_DATACOUNT] = { 10, moatD_sec_datacount, "data count" },
    [SEC_CODE] = { 11, moatD_sec_code, "code" },
    [SEC_DATA] = { 12, moatD_sec_data, "data" },
};

void
moatD_invalid(Decode *d, uint64_t off, const char *fmt, ...)
{
    if (d->inv.code != MOAT_OK)
        return;
    char    buf[sizeof d->inv.msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    moatU_fail(&d->inv, off, MOAT_ERR_INVALID, "%s", buf);
}

bool
moatD_is_dead(const Decode *d)
{
    return d->inv.code != MOAT_OK;
}

bool
moatD_nomem(Decode *d)
{
    return moatU_fail(d->r->err, moatD_off(d->r), MOAT_ERR_NOMEM,
                      "out of memory");
}

void *
moatD_array(Decode *d, size_t n, size_t size)
{
    void *p = moatU_arena_array(&d->m->arena, n, size);
    if (!p)
        moatD_nomem(d);
    return p;
}

static bool
read_header(Reader *r)
{
    static const uint8_t magic[4] = { 0x00, 0x61, 0x73, 0x6d };
    static const uint8_t version[4] = { 0x01, 0x00, 0x00, 0x00 };

    if ((size_t)(r->end - r->p) < 4)
        return moatD_malformed(r, 0, "unexpected end: no magic header");
    if (memcmp(r->p, magic, 4) != 0)
        return moatD_malformed(r, 0, "magic header not detected");
    r->p += 4;
    if ((size_t)(r->end - r->p) < 4)
        return moatD_malformed(r, 4, "unexpected end: no binary version");
    if (memcmp(r->p, version, 4) != 0)
        return moatD_malformed(r, 4, "unknown binary version");
    r->p += 4;
    return true;
}

static bool
read_custom(Decode *d, uint64_t off, uint32_t size)
{
    Name name;
    if (!moatD_name(d->r, &name))
        return false;
    return moatD_sec_custom(d, name, off, size);
}

/* One section: id, size, contents that must fill the size exactly. */
static bool
read_section(Decode *d, uint8_t *last_rank)
{
    Reader  *r = d->r;
    uint64_t at = moatD_off(r);
    uint8_t  id;
    uint32_t size;

    if (!moatD_byte(r, &id))
        return false;
    const char *text, *feature;
    if (id >= NSEC && (feature = moatD_future_byte(FUTURE_SECTION, id, &text)))
        return moatD_malformed(r, at, "malformed section id %u: the %s (%s, "
                               "WebAssembly 3.0) is not supported yet", id,
                               text, feature);
    if (id >= NSEC)
        return moatD_malformed(r, at, "malformed section id %u", id);
    if (!moatD_u32(r, &size))
        return false;
    uint64_t body = moatD_off(r);
    if ((uint64_t)(r->end - r->p) < size)
        return moatD_malformed(r, body, "length out of bounds: section size "
                               "%u, %zu bytes remain", size,
                               (size_t)(r->end - r->p));
    if (id != SEC_CUSTOM) {
        if (secs[id].rank <= *last_rank)
            return moatD_malformed(r, at, "unexpected content after last "
                                   "section: %s section out of order or "
                                   "repeated", secs[id].name);
        *last_rank = secs[id].rank;
    }
    const uint8_t *end = r->end;
    r->end = r->p + size;                       /* confine the section */
    r->in_section = true;
    bool ok = id == SEC_CUSTOM ? read_custom(d, body, size) : secs[id].fn(d);
    r->in_section = false;
    if (ok && r->p != r->end)
        ok = moatD_malformed(r, moatD_off(r), "section size mismatch: %s "
                             "section has %zu bytes left over",
                             id == SEC_CUSTOM ? "custom" : secs[id].name,
                             (size_t)(r->end - r->p));
    r->end = end;
    return ok;
}

/* memory.init and data.drop need a data count section (binary 5.5.16).
 * Deviation, see docs/frontend.md: when the index would be out of range
 * anyway, the module is called invalid ("unknown data segment") rather than
 * malformed, since wast2json drops the data count section of modules that
 * have no data segments. */
static bool
check_data_uses(Decode *d)
{
    if (!d->uses_data)
        return true;
    if (d->max_data_use < d->m->ndatas)
        return moatD_malformed(d->r, d->data_use_off, "data count section "
                               "required");
    moatD_invalid(d, d->data_use_off, "unknown data segment %u",
                  d->max_data_use);
    return true;
}

/* Rules that need all sections read (validation 3.4.10). */
static bool
check_module(Decode *d)
{
    Module *m = d->m;
    Reader *r = d->r;

    if (m->nfuncs - m->nfunc_imports != d->nfunc_decls ||
        (d->nfunc_decls > 0 && m->funcs[m->nfuncs - 1].code == NULL))
        return moatD_malformed(r, moatD_off(r), "function and code section "
                               "have inconsistent lengths");
    if (m->has_datacount && m->datacount != m->ndatas)
        return moatD_malformed(r, moatD_off(r), "data count and data section "
                               "have inconsistent lengths");
    return check_data_uses(d);
}

static void
decode_free_scratch(Decode *d)
{
    moatU_free(d->opd);
    moatU_free(d->ctrl);
    moatU_free(d->locals);
    moatU_free(d->declared_refs);
}

bool
moatD_module(const uint8_t *bytes, size_t len, Module **out, moat_error *err)
{
    moat_error local = { 0 };
    moat_error *e = err ? err : &local;
    *out = NULL;

    /* the size and the header are judged on the borrowed bytes: a module
     * refused for either is never copied */
    Reader pre = moatD_reader(bytes, len, e);
    if (!moatD_limit(&pre, LIM_MODULE_SIZE_MAX, LIM_MODULE_SIZE, len) ||
        !read_header(&pre))
        return false;
    Module *m = moatU_calloc(1, sizeof *m);
    if (!m || !(m->bytes = moatU_alloc(len))) {
        moatU_free(m);
        return moatU_fail(e, MOAT_NO_OFFSET, MOAT_ERR_NOMEM, "out of memory");
    }
    memcpy(m->bytes, bytes, len);
    m->len = len;
    moatU_arena_init(&m->arena);

    Reader r = moatD_reader(m->bytes, len, e);
    Decode d = { .r = &r, .m = m };
    bool   ok = read_header(&r);
    uint8_t last = 0;
    while (ok && !moatD_eof(&r))
        ok = read_section(&d, &last);
    ok = ok && check_module(&d);
    if (ok && d.inv.code != MOAT_OK) {
        if (e->code == MOAT_OK)
            *e = d.inv;
        ok = false;
    }
    decode_free_scratch(&d);
    if (!ok) {
        moatD_module_free(m);
        return false;
    }
    *out = m;
    return true;
}

void
moatD_module_free(Module *m)
{
    if (!m)
        return;
    moatU_arena_fini(&m->arena);
    moatU_free(m->bytes);
    moatU_free(m);
}

static const Name *
find_name(const NameEntry *e, uint32_t n, uint32_t idx)
{
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (e[mid].idx == idx)
            return &e[mid].name;
        if (e[mid].idx < idx)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const Name *
moatD_func_name(const Module *m, uint32_t idx)
{
    return find_name(m->func_names, m->nfunc_names, idx);
}

const Name *
moatD_local_name(const Module *m, uint32_t func, uint32_t local)
{
    for (uint32_t i = 0; i < m->nlocal_names; i++)   /* few entries */
        if (m->local_names[i].func == func)
            return find_name(m->local_names[i].names, m->local_names[i].n,
                             local);
    return NULL;
}

const char *
moatD_valtype_text(uint8_t t)
{
    switch (t) {
    case T_I32: return "i32";
    case T_I64: return "i64";
    case T_F32: return "f32";
    case T_F64: return "f64";
    case T_V128: return "v128";
    case T_FUNCREF: return "funcref";
    case T_EXTERNREF: return "externref";
    case T_ANY: return "unknown";
    default: return "?";
    }
}

const char *
moatD_extern_text(uint8_t kind)
{
    static const char *const names[] = { "function", "table", "memory",
                                         "global" };
    return kind < 4 ? names[kind] : "?";
}

moat_status
moat_wasm_validate(const uint8_t *bytes, size_t len, moat_error *err)
{
    moat_error local = { 0 };
    moat_error *e = err ? err : &local;
    Module     *m;

    if (!moatD_module(bytes, len, &m, e))
        return e->code;
    moatD_module_free(m);
    return MOAT_OK;
}
