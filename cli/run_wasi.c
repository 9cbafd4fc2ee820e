/* run_wasi.c - the system a `moat run` guest sees (moat_wasi.h): argv is
 * PROG as given and the words after it; the environment is empty unless
 * --inherit-env copies ours, and --env entries are added (a later entry
 * replaces an earlier one, or an inherited one, of the same NAME); each
 * --dir HOST[::GUEST] is preopened. Standard streams are the process's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

extern char **environ;

static bool
same_name(const char *a, const char *b)
{
    size_t n = strcspn(a, "=");
    return strcspn(b, "=") == n && !strncmp(a, b, n);
}

/* Whether some --env after index `from` names the variable of s. */
static bool
is_overridden(const RunOptions *o, int from, const char *s)
{
    for (int i = from; i < o->nenvs; i++)
        if (same_name(o->envs[i], s))
            return true;
    return false;
}

static moat_status
add_env(const RunOptions *o, moat_wasi *w, moat_error *err)
{
    moat_status st = MOAT_OK;

    for (char **p = environ; o->inherit_env && p && *p && !st; p++)
        if (strchr(*p, '=') && !is_overridden(o, 0, *p))
            st = moat_wasi_add_env(w, *p, err);
    for (int i = 0; i < o->nenvs && !st; i++)
        if (!is_overridden(o, i + 1, o->envs[i]))
            st = moat_wasi_add_env(w, o->envs[i], err);
    return st;
}

static moat_status
set_args(const RunOptions *o, moat_wasi *w, moat_error *err)
{
    const char **argv = calloc((size_t)o->nargs + 1, sizeof *argv);
    if (!argv) {
        snprintf(err->msg, sizeof err->msg, "out of memory");
        return err->code = MOAT_ERR_NOMEM;
    }
    argv[0] = o->prog;
    for (int i = 0; i < o->nargs; i++)
        argv[i + 1] = o->args[i];
    moat_status st = moat_wasi_set_args(w, o->nargs + 1, argv, err);
    free(argv);
    return st;
}

/* --dir HOST[::GUEST]: split at the first "::". */
static int
preopen(const char *spec, moat_wasi *w)
{
    char        host[4096];
    const char *sep = strstr(spec, "::");
    const char *guest = sep ? sep + 2 : spec;
    size_t      n = sep ? (size_t)(sep - spec) : strlen(spec);
    moat_error  err = { 0 };

    if (n >= sizeof host || !guest[0]) {
        fprintf(stderr, "moat run: --dir '%s': want HOST[::GUEST]\n", spec);
        return EXIT_USAGE;
    }
    memcpy(host, spec, n);
    host[n] = 0;
    if (moat_wasi_preopen(w, host, guest, &err) != MOAT_OK) {
        fprintf(stderr, "moat run: --dir '%s': %s\n", spec, err.msg);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

int
moat_cli_wasi_setup(const RunOptions *o, moat_linker *l, moat_wasi **out)
{
    moat_wasi *w = NULL;
    moat_error err = { 0 };
    int        rc = EXIT_OK;

    *out = NULL;
    if (moat_wasi_new(&w, &err) != MOAT_OK ||
        set_args(o, w, &err) != MOAT_OK || add_env(o, w, &err) != MOAT_OK) {
        fprintf(stderr, "moat run: %s\n", err.msg);
        rc = EXIT_BAD_INPUT;
    }
    for (int i = 0; rc == EXIT_OK && i < o->ndirs; i++)
        rc = preopen(o->dirs[i], w);
    if (rc == EXIT_OK && moat_wasi_define(l, w, &err) != MOAT_OK) {
        fprintf(stderr, "moat run: %s\n", err.msg);
        rc = EXIT_BAD_INPUT;
    }
    if (rc != EXIT_OK) {
        moat_wasi_free(w);
        return rc;
    }
    *out = w;
    return EXIT_OK;
}
