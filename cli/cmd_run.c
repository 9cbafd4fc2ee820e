/* cmd_run.c - `moat run --invoke NAME FILE [ARGS...]`: loads a module
 * (.wasm compiled in memory, .o or .so), instantiates it with no imports
 * and calls one export with arguments given on the command line. Every
 * word after FILE is an argument value, even one that starts with '-'.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int
usage(void)
{
    fprintf(stderr, "usage: moat run --invoke NAME FILE.wasm|FILE.o|FILE.so "
                    "[ARGS...]\n");
    return EXIT_USAGE;
}

static moat_status
load_module(moat_engine *e, const char *path, moat_module **out,
            moat_error *err)
{
    size_t   len;
    uint8_t *bytes = moat_cli_read_file(path, &len);
    if (!bytes)
        return MOAT_ERR_IO;
    moat_status st;
    if (len >= 4 && !memcmp(bytes, "\0asm", 4)) {
        moat_compile_config *cfg = NULL;
        uint8_t             *obj = NULL;
        size_t               objlen = 0;
        st = moat_compile_config_new(&cfg, err);
        if (st == MOAT_OK)
            st = moat_compile(cfg, bytes, len, &obj, &objlen, err);
        if (st == MOAT_OK)
            st = moat_module_load_object(e, obj, objlen, out, err);
        moat_free(obj);
        moat_compile_config_free(cfg);
    } else {
        st = moat_module_load_file(e, path, out, err);
    }
    free(bytes);
    return st;
}

static bool
find_export(const moat_module *m, const char *name, moat_extern_info *info)
{
    for (size_t i = 0; i < moat_module_export_count(m); i++)
        if (moat_module_export(m, i, info) == MOAT_OK &&
            !strcmp(info->name, name))
            return info->kind == 0;
    return false;
}

static int
invoke(moat_instance *inst, const moat_extern_info *fn, const char *name,
       int argc, char **argv)
{
    moat_val   *args = calloc(fn->nparams + 1, sizeof *args);
    moat_val   *res = calloc(fn->nresults + 1, sizeof *res);
    moat_error  err = { 0 };
    int         rc = EXIT_OK;

    if (!args || !res) {
        fprintf(stderr, "moat run: out of memory\n");
        rc = EXIT_USAGE;
    } else if ((uint32_t)argc != fn->nparams) {
        fprintf(stderr, "moat run: %s takes %u arguments, got %d\n", name,
                fn->nparams, argc);
        rc = EXIT_USAGE;
    }
    for (int i = 0; rc == EXIT_OK && i < argc; i++)
        if (!moat_cli_parse_value(argv[i], fn->params[i], &args[i])) {
            fprintf(stderr, "moat run: argument %d: '%s' is not a valid %s\n",
                    i + 1, argv[i], moat_cli_type_name(fn->params[i]));
            rc = EXIT_USAGE;
        }
    if (rc == EXIT_OK) {
        moat_status st = moat_instance_call(inst, name, args, fn->nparams,
                                            res, fn->nresults, &err);
        if (st == MOAT_ERR_TRAP) {
            fprintf(stderr, "trap: %s\n", moat_trap_string(err.trap));
            rc = EXIT_TRAP;
        } else if (st != MOAT_OK) {
            fprintf(stderr, "moat run: %s: %s\n", name, err.msg);
            rc = EXIT_BAD_INPUT;
        }
        for (uint32_t i = 0; rc == EXIT_OK && i < fn->nresults; i++)
            moat_cli_print_value(&res[i]);
    }
    free(args);
    free(res);
    return rc;
}

int
moat_cmd_run(int argc, char **argv)
{
    if (argc < 4 || strcmp(argv[1], "--invoke"))
        return usage();
    const char      *name = argv[2], *path = argv[3];
    moat_engine     *e = NULL;
    moat_linker     *l = NULL;
    moat_module     *m = NULL;
    moat_instance   *inst = NULL;
    moat_error       err = { 0 };
    moat_extern_info fn;
    int              rc = EXIT_BAD_INPUT;

    if (moat_engine_new(&e, &err) == MOAT_OK &&
        load_module(e, path, &m, &err) == MOAT_OK &&
        moat_linker_new(e, &l, &err) == MOAT_OK) {
        moat_status st = moat_instance_new(l, m, &inst, &err);
        if (st == MOAT_ERR_TRAP) {
            fprintf(stderr, "trap: %s\n", moat_trap_string(err.trap));
            rc = EXIT_TRAP;
        } else if (st != MOAT_OK) {
            moat_cli_report(path, &err);
        } else if (!find_export(m, name, &fn)) {
            fprintf(stderr, "moat run: %s: no exported function '%s'\n",
                    path, name);
            rc = EXIT_USAGE;
        } else {
            rc = invoke(inst, &fn, name, argc - 4, argv + 4);
        }
    } else if (err.code != MOAT_OK) {
        moat_cli_report(path, &err);
    } else {
        rc = EXIT_USAGE;                        /* file unreadable */
    }
    moat_instance_free(inst);
    moat_linker_free(l);
    moat_module_free(m);
    moat_engine_free(e);
    return rc;
}
