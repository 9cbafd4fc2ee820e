/* module.c - loading compiled artifacts: a relocatable ELF object (elf.c)
 * or a shared object (elf_dyn.c), both through Moat's own loader, which
 * runs no code of the file; then the descriptor MOAT_DESC_SYMBOL is
 * found, its pointers checked against the image (contract_bounds.c), its
 * contract checked (contract.c) and its code registered for the fault
 * handler. Also the export/import descriptions of moat.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime.h"

static void
module_destroy(Owner *o)
{
    moat_module *m = (moat_module *)o;

    moatR_profile_freed(m);
    moatR_code_remove(m);
    moatR_debug_free(m);
    pthread_mutex_destroy(&m->debug_lock);
    if (m->img)
        moatR_elf_free(m->img);
    moatU_arena_fini(&m->arena);
    moatU_free(m->type_ids);
    moatU_free(m->by_code);
    moatU_free(m);
}

/* ---- which function a pc is in, to name it in trap messages ---- */

static const MoatDescriptor *sort_desc;     /* qsort has no context */
static pthread_mutex_t       sort_lock = PTHREAD_MUTEX_INITIALIZER;

static int
by_address(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)sort_desc->funcs[*(const uint32_t *)a].code;
    uintptr_t y = (uintptr_t)sort_desc->funcs[*(const uint32_t *)b].code;

    return x < y ? -1 : x > y;
}

static bool
index_code(moat_module *m)
{
    const MoatDescriptor *d = m->desc;
    uint64_t              n = d->nfuncs - d->nfunc_imports;

    if (!(m->by_code = moatU_calloc(n + 1, sizeof(uint32_t))))
        return false;
    for (uint64_t i = 0; i < n; i++)
        m->by_code[i] = (uint32_t)(d->nfunc_imports + i);
    m->nby_code = (uint32_t)n;
    pthread_mutex_lock(&sort_lock);
    sort_desc = d;
    qsort(m->by_code, n, sizeof(uint32_t), by_address);
    pthread_mutex_unlock(&sort_lock);
    return true;
}

/* The name section's name (the compiler puts a NUL after it), else the
 * first export name of the function, else "#idx" in buf. */
const char *
moatR_func_name(const moat_module *m, uint32_t idx, char *buf, size_t n)
{
    const MoatDescriptor *d = m->desc;

    if (idx < d->nfuncs && d->funcs[idx].name.p && d->funcs[idx].name.len)
        return (const char *)d->funcs[idx].name.p;
    for (uint64_t i = 0; i < d->nexports; i++)
        if (d->exports[i].kind == MOAT_DESC_EXT_FUNC &&
            d->exports[i].idx == idx)
            return m->exports[i].name;
    if (n)
        snprintf(buf, n, "#%u", idx);
    return buf;
}

uint32_t
moatR_module_func_at(const moat_module *m, uintptr_t pc)
{
    const MoatDescFunc *f = m->desc->funcs;
    uint32_t            lo = 0, hi = m->nby_code;    /* first code > pc */

    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if ((uintptr_t)f[m->by_code[mid]].code <= pc)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo ? m->by_code[lo - 1] : MOAT_NO_FUNC;
}

static const char *
arena_str(Arena *a, const MoatDescBytes *b)
{
    char *s = moatU_arena_alloc(a, (size_t)b->len + 1);

    if (s) {
        if (b->len)
            memcpy(s, b->p, (size_t)b->len);
        s[b->len] = '\0';
    }
    return s;
}

/* Fills the parts of info that depend on what (kind, idx) names. */
static void
extern_type(const MoatDescriptor *d, uint64_t kind, uint64_t idx,
            moat_extern_info *info)
{
    info->kind = (uint8_t)kind;
    if (kind == MOAT_DESC_EXT_FUNC) {
        const MoatDescType *t = &d->types[d->funcs[idx].type_idx];
        info->nparams = (uint32_t)t->nparams;
        info->nresults = (uint32_t)t->nresults;
        info->params = t->types;
        info->results = t->types ? t->types + t->nparams : NULL;
    } else if (kind == MOAT_DESC_EXT_GLOBAL) {
        info->global_type = (uint8_t)d->globals[idx].type;
        info->global_mut = (uint8_t)(d->globals[idx].is_mut != 0);
    }
}

static bool
build_infos(moat_module *m)
{
    const MoatDescriptor *d = m->desc;

    m->imports = moatU_arena_array(&m->arena, d->nimports, sizeof *m->imports);
    m->exports = moatU_arena_array(&m->arena, d->nexports, sizeof *m->exports);
    if (!m->imports || !m->exports)
        return false;
    for (uint64_t i = 0; i < d->nimports; i++) {
        const MoatDescImport *im = &d->imports[i];
        moat_extern_info     *info = &m->imports[i];
        info->module = arena_str(&m->arena, &im->module);
        info->name = arena_str(&m->arena, &im->name);
        if (!info->module || !info->name)
            return false;
        extern_type(d, im->kind, im->idx, info);
        m->nimp[im->kind]++;
    }
    for (uint64_t i = 0; i < d->nexports; i++) {
        moat_extern_info *info = &m->exports[i];
        info->name = arena_str(&m->arena, &d->exports[i].name);
        if (!info->name)
            return false;
        extern_type(d, d->exports[i].kind, d->exports[i].idx, info);
    }
    return true;
}

static bool
intern_types(moat_module *m)
{
    const MoatDescriptor *d = m->desc;

    m->type_ids = moatU_calloc(d->ntypes ? d->ntypes : 1, sizeof(uint32_t));
    if (!m->type_ids)
        return false;
    for (uint64_t i = 0; i < d->ntypes; i++) {
        const MoatDescType *t = &d->types[i];
        m->type_ids[i] = moatR_type_id(m->engine, t->types,
                                       (uint32_t)t->nparams,
                                       t->types ? t->types + t->nparams : NULL,
                                       (uint32_t)t->nresults);
        if (m->type_ids[i] == 0)
            return false;
    }
    return true;
}

bool
moatR_module_from_desc(moat_engine *e, const MoatDescriptor *d,
                       moat_module **out, moat_error *err)
{
    *out = NULL;
    if (!moatR_check_contract(d, err))
        return false;
    moat_module *m = moatU_calloc(1, sizeof *m);
    if (!m)
        return moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_NOMEM,
                          "out of memory");
    atomic_init(&m->o.refs, 1);
    m->o.destroy = module_destroy;
    m->engine = e;
    m->desc = d;
    pthread_mutex_init(&m->debug_lock, NULL);
    moatU_arena_init(&m->arena);
    MoatLayoutIn in = { (uint32_t)d->nfunc_imports, (uint32_t)d->ntypes,
                        (uint32_t)d->nglobals, (uint32_t)d->ntables,
                        (uint32_t)d->nfuncs };
    m->layout = moatA_layout(&in);
    if (!intern_types(m) || !build_infos(m) || !index_code(m)) {
        moatR_release(&m->o);
        return moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_NOMEM,
                          "out of memory");
    }
    *out = m;
    return true;
}

/* Either kind of artifact: ET_REL or ET_DYN, by the ELF header's e_type
 * (little-endian at byte 16); the loader checks the rest. */
static bool
load_image(const uint8_t *bytes, size_t len, ElfImage **img, moat_error *err)
{
    unsigned type = len >= 18 ? bytes[16] | (unsigned)bytes[17] << 8 : 0;

    if (type == ELF_ET_DYN)
        return moatR_elf_load_shared(bytes, len, moatR_resolve_symbol, img,
                                     err);
    return moatR_elf_load(bytes, len, moatR_resolve_symbol, img, err);
}

/* Verification comes after the loader's own checks (their errors name
 * the malformed part more precisely than the checker's "object" rule) and
 * before the module exists: no code of an artifact that fails it is ever
 * registered, let alone called. A shared object is refused before the
 * loader sees it: the checker reads relocatable objects only. */
static bool
load_object(moat_engine *e, const uint8_t *bytes, size_t len, unsigned flags,
            moat_module **out, moat_error *err)
{
    ElfImage *img;
    bool      is_trusted = flags & MOAT_LOAD_TRUSTED;

    *out = NULL;
    if (!is_trusted && len >= 18 && (bytes[16] | bytes[17] << 8) == ELF_ET_DYN)
        return moatU_fail(err, 0, MOAT_ERR_VERIFY, "a shared object cannot "
                          "be verified (the checker reads the relocatable "
                          "objects `moat compile` writes by default): "
                          "load it as trusted, or use the .o");
    if (!load_image(bytes, len, &img, err))
        return false;
    if (!is_trusted && !moatR_verify(bytes, len, err)) {
        moatR_elf_free(img);
        return false;
    }
    const MoatDescriptor *d = moatR_elf_symbol(img, MOAT_DESC_SYMBOL);
    if (!d)                     /* a plugin compiled with --name NAME */
        d = moatR_elf_only_symbol(img, MOAT_DESC_SUFFIX);
    if (!d) {
        moatR_elf_free(img);
        return moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_CONTRACT,
                          "contract violation: no symbol %s",
                          MOAT_DESC_SYMBOL);
    }
    if (!moatR_check_desc_bounds(d, img, err)
        || !moatR_module_from_desc(e, d, out, err)) {
        moatR_elf_free(img);
        return false;
    }
    (*out)->img = img;
    if (!moatR_code_add_module(*out, img, 0, 0)
        || !moatR_profile_loaded(*out)) {
        moatR_release(&(*out)->o);
        *out = NULL;
        return moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_NOMEM,
                          "out of memory");
    }
    return true;
}

moat_status
moat_module_load_object_flags(moat_engine *e, const uint8_t *bytes,
                              size_t len, unsigned flags, moat_module **out,
                              moat_error *err)
{
    moat_error ee = { 0 };

    load_object(e, bytes, len, flags, out, &ee);
    return moatR_report(err, &ee);
}

moat_status
moat_module_load_object(moat_engine *e, const uint8_t *bytes, size_t len,
                        moat_module **out, moat_error *err)
{
    return moat_module_load_object_flags(e, bytes, len, 0, out, err);
}

void
moat_module_free(moat_module *m)
{
    if (m)
        moatR_release(&m->o);
}

const uint8_t *
moat_module_hash(const moat_module *m)
{
    return m->desc->hash;
}

size_t
moat_module_export_count(const moat_module *m)
{
    return (size_t)m->desc->nexports;
}

size_t
moat_module_import_count(const moat_module *m)
{
    return (size_t)m->desc->nimports;
}

moat_status
moat_module_export(const moat_module *m, size_t i, moat_extern_info *out)
{
    if (i >= m->desc->nexports)
        return MOAT_ERR_LIMIT;
    *out = m->exports[i];
    return MOAT_OK;
}

moat_status
moat_module_import(const moat_module *m, size_t i, moat_extern_info *out)
{
    if (i >= m->desc->nimports)
        return MOAT_ERR_LIMIT;
    *out = m->imports[i];
    return MOAT_OK;
}

/* ---- files ---- */

moat_status
moat_module_load_file_flags(moat_engine *e, const char *path, unsigned flags,
                            moat_module **out, moat_error *err)
{
    moat_error ee = { 0 };
    uint8_t   *bytes = NULL;
    size_t     len = 0;

    *out = NULL;
    if (moatU_read_file(path, MOAT_FILE_LIMIT, &bytes, &len, &ee)) {
        /* ELF header: magic, then e_type (little-endian) at 16 */
        bool is_elf = len >= 64 && memcmp(bytes, "\177ELF", 4) == 0;
        unsigned type = is_elf ? bytes[16] | (unsigned)bytes[17] << 8 : 0;
        if (type == ELF_ET_REL || type == ELF_ET_DYN)
            load_object(e, bytes, len, flags, out, &ee);
        else
            moatU_fail(&ee, 0, MOAT_ERR_MALFORMED,
                       "%s: not an ELF object or shared object", path);
        moatU_free(bytes);
    }
    return moatR_report(err, &ee);
}

moat_status
moat_module_load_file(moat_engine *e, const char *path, moat_module **out,
                      moat_error *err)
{
    return moat_module_load_file_flags(e, path, 0, out, err);
}
