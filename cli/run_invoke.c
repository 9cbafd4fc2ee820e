/* run_invoke.c - `moat run --invoke NAME PROG VALUES...`: calls one export
 * of any signature with values parsed from the command line (values.c)
 * and prints its results, one per line. Every word after PROG is a value,
 * even one that starts with '-'.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static bool
find_export(const moat_module *m, const char *name, moat_extern_info *info)
{
    for (size_t i = 0; i < moat_module_export_count(m); i++)
        if (moat_module_export(m, i, info) == MOAT_OK &&
            !strcmp(info->name, name))
            return info->kind == MOAT_EXTERN_FUNC;
    return false;
}

static int
parse_args(const moat_extern_info *fn, const RunOptions *o, moat_val *args)
{
    if ((uint32_t)o->nargs != fn->nparams) {
        fprintf(stderr, "moat run: %s takes %u arguments, got %d\n",
                o->invoke, fn->nparams, o->nargs);
        return EXIT_USAGE;
    }
    for (int i = 0; i < o->nargs; i++)
        if (!moat_cli_parse_value(o->args[i], fn->params[i], &args[i])) {
            fprintf(stderr, "moat run: argument %d: '%s' is not a valid %s\n",
                    i + 1, o->args[i], moat_cli_type_name(fn->params[i]));
            return EXIT_USAGE;
        }
    return EXIT_OK;
}

int
moat_cli_invoke(moat_instance *inst, const moat_module *m,
                const RunOptions *o)
{
    moat_extern_info fn;

    if (!find_export(m, o->invoke, &fn)) {
        fprintf(stderr, "moat run: %s: no exported function '%s'\n", o->prog,
                o->invoke);
        return EXIT_USAGE;
    }
    moat_val  *args = calloc(fn.nparams + 1, sizeof *args);
    moat_val  *res = calloc(fn.nresults + 1, sizeof *res);
    moat_error err = { 0 };
    int        rc = EXIT_USAGE;

    if (!args || !res)
        fprintf(stderr, "moat run: out of memory\n");
    else
        rc = parse_args(&fn, o, args);
    if (rc == EXIT_OK) {
        moat_status st = moat_instance_call(inst, o->invoke, args,
                                            fn.nparams, res, fn.nresults,
                                            &err);
        rc = moat_cli_outcome(inst, o, st, &err);
        for (uint32_t i = 0; st == MOAT_OK && i < fn.nresults; i++)
            moat_cli_print_value(&res[i]);
    }
    free(args);
    free(res);
    return rc;
}
