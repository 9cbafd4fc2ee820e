/* cmd_inspect.c - `moat inspect FILE.wasm`: what a module imports, exports
 * and declares, in a readable layout. Reads the validated Module directly
 * (frontend/module.h): the CLI is part of Moat, not an external user. An
 * artifact (`moat compile` output) is loaded with libmoat, and inspect
 * shows what its descriptor says.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "../frontend/module.h"

static void
print_functype(const Module *m, uint32_t ti)
{
    const FuncType *ft = &m->types[ti];
    printf("(");
    for (uint32_t i = 0; i < ft->nparams; i++)
        printf("%s%s", i ? ", " : "", moatD_valtype_text(ft->types[i]));
    printf(") -> (");
    for (uint32_t i = 0; i < ft->nresults; i++)
        printf("%s%s", i ? ", " : "",
               moatD_valtype_text(ft->types[ft->nparams + i]));
    printf(")");
}

static void
print_limits(const Limits *l, const char *unit)
{
    printf("min %" PRIu32 " %s", l->min, unit);
    if (l->has_max)
        printf(", max %" PRIu32, l->max);
}

/* One entity of kind k: its type, as inspect shows it everywhere. */
static void
print_entity(const Module *m, uint8_t k, uint32_t idx)
{
    switch (k) {
    case EXT_FUNC:
        printf("func %" PRIu32 " ", idx);
        print_functype(m, m->funcs[idx].type_idx);
        const Name *n = moatD_func_name(m, idx);
        if (n)
            printf(" $%.*s", (int)n->len, n->s);
        break;
    case EXT_TABLE:
        printf("table %" PRIu32 " %s ", idx,
               moatD_valtype_text(m->tables[idx].elem));
        print_limits(&m->tables[idx].limits, "elements");
        break;
    case EXT_MEM:
        printf("memory %" PRIu32 " ", idx);
        print_limits(&m->mems[idx], "pages");
        break;
    case EXT_GLOBAL:
        printf("global %" PRIu32 " %s%s", idx,
               m->globals[idx].type.is_mut ? "mut " : "",
               moatD_valtype_text(m->globals[idx].type.type));
        break;
    }
}

static void
print_imports_exports(const Module *m)
{
    printf("imports: %" PRIu32 "\n", m->nimports);
    for (uint32_t i = 0; i < m->nimports; i++) {
        const Import *im = &m->imports[i];
        printf("  \"%.*s\" \"%.*s\": ", (int)im->module.len, im->module.s,
               (int)im->name.len, im->name.s);
        print_entity(m, im->kind, im->idx);
        printf("\n");
    }
    printf("exports: %" PRIu32 "\n", m->nexports);
    for (uint32_t i = 0; i < m->nexports; i++) {
        const Export *e = &m->exports[i];
        printf("  \"%.*s\": ", (int)e->name.len, e->name.s);
        print_entity(m, e->kind, e->idx);
        printf("\n");
    }
}

static void
print_definitions(const Module *m)
{
    uint64_t code = 0, data = 0;
    for (uint32_t i = m->nfunc_imports; i < m->nfuncs; i++)
        code += m->funcs[i].code_len;
    for (uint32_t i = 0; i < m->ndatas; i++)
        data += m->datas[i].len;
    printf("types: %" PRIu32 "\n", m->ntypes);
    printf("functions: %" PRIu32 " (%" PRIu32 " imported, %" PRIu64
           " bytes of code)\n", m->nfuncs, m->nfunc_imports, code);
    printf("tables: %" PRIu32 "\n", m->ntables);
    for (uint32_t i = 0; i < m->ntables; i++) {
        printf("  ");
        print_entity(m, EXT_TABLE, i);
        printf("%s\n", i < m->ntable_imports ? " (imported)" : "");
    }
    printf("memories: %" PRIu32 "\n", m->nmems);
    for (uint32_t i = 0; i < m->nmems; i++) {
        printf("  ");
        print_entity(m, EXT_MEM, i);
        printf("%s\n", i < m->nmem_imports ? " (imported)" : "");
    }
    printf("globals: %" PRIu32 " (%" PRIu32 " imported)\n", m->nglobals,
           m->nglobal_imports);
    if (m->has_start)
        printf("start: func %" PRIu32 "\n", m->start);
    printf("element segments: %" PRIu32 "\n", m->nelems);
    printf("data segments: %" PRIu32 " (%" PRIu64 " bytes)\n", m->ndatas,
           data);
}

static void
print_customs(const Module *m)
{
    printf("custom sections: %" PRIu32 "\n", m->ncustoms);
    for (uint32_t i = 0; i < m->ncustoms; i++) {
        const Custom *c = &m->customs[i];
        printf("  \"%.*s\" at 0x%" PRIx64 ", %" PRIu32 " bytes\n",
               (int)c->name.len, c->name.s, c->off, c->size);
    }
    if (m->module_name.s)
        printf("module name: %.*s\n", (int)m->module_name.len,
               m->module_name.s);
}

/* The .debug_* sections moat compile carries into the artifact. */
static void
print_dwarf(const Module *m)
{
    uint64_t bytes = 0;
    uint32_t n = 0;

    for (uint32_t i = 0; i < m->ncustoms; i++) {
        const Custom *c = &m->customs[i];
        if (c->name.len > 7 && !memcmp(c->name.s, ".debug_", 7))
            n++, bytes += c->len;
    }
    if (n)
        printf("DWARF: %" PRIu32 " sections, %" PRIu64 " bytes (kept by "
               "moat compile unless --strip-debug)\n", n, bytes);
    else
        printf("DWARF: none\n");
}

/* An artifact: its exports, imports and DWARF, from libmoat. Loaded
 * trusted: inspecting runs none of its code, so the checker (which
 * `moat verify` runs) is not in the way of looking at a rejected one. */
static int
inspect_artifact(const char *path)
{
    moat_engine *e = NULL;
    moat_module *mod = NULL;
    moat_error   err = { 0 };

    if (moat_engine_new(&e, &err) != MOAT_OK ||
        moat_module_load_file_flags(e, path, MOAT_LOAD_TRUSTED, &mod,
                                    &err) != MOAT_OK) {
        moat_cli_report(path, &err);
        moat_engine_free(e);
        return EXIT_BAD_INPUT;
    }
    printf("artifact: %s\nmodule sha256: ", path);
    for (int i = 0; i < 32; i++)
        printf("%02x", moat_module_hash(mod)[i]);
    printf("\nimports: %zu\n", moat_module_import_count(mod));
    printf("exports: %zu\n", moat_module_export_count(mod));
    for (size_t i = 0; i < moat_module_export_count(mod); i++) {
        moat_extern_info x;
        if (moat_module_export(mod, i, &x) == MOAT_OK)
            printf("  \"%s\": %s\n", x.name, moatD_extern_text(x.kind));
    }
    uint64_t dw = moat_module_debug_size(mod);
    if (dw)
        printf("DWARF: %" PRIu64 " bytes (source locations)\n", dw);
    else
        printf("DWARF: none\n");
    moat_module_free(mod);
    moat_engine_free(e);
    return EXIT_OK;
}

int
moat_cmd_inspect(int argc, char **argv)
{
    if (argc != 2 || argv[1][0] == '-') {
        fprintf(stderr, "usage: moat inspect FILE.wasm|FILE.wat|ARTIFACT\n");
        return EXIT_USAGE;
    }
    size_t   len;
    uint8_t *bytes = moat_cli_read_file(argv[1], &len);
    if (!bytes)
        return EXIT_USAGE;
    if (len >= 4 && !memcmp(bytes, "\177ELF", 4)) {
        moat_cli_free_file(bytes);
        return inspect_artifact(argv[1]);
    }
    if (moat_cli_is_text(bytes, len)) {
        uint8_t *bin = moat_cli_from_text(argv[1], bytes, &len);
        moat_cli_free_file(bytes);
        if (!bin)
            return EXIT_BAD_INPUT;
        bytes = bin;
    }
    moat_error err = { 0 };
    Module    *m;
    bool       ok = moatD_module(bytes, len, &m, &err);
    moat_cli_free_file(bytes);
    if (!ok) {
        moat_cli_report(argv[1], &err);
        return EXIT_BAD_INPUT;
    }
    printf("module: %s (%zu bytes)\n", argv[1], len);
    print_definitions(m);
    print_imports_exports(m);
    print_customs(m);
    print_dwarf(m);
    moatD_module_free(m);
    return EXIT_OK;
}
