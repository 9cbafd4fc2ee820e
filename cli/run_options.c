/* run_options.c - the command line of `moat run`: options, then PROG, then
 * the guest's arguments. Everything after PROG goes to the guest as it is,
 * even words that look like options; `--` ends the options early. Values
 * are checked here (durations, sizes, NAME=VALUE), so that a bad one is a
 * usage error before any work is done.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void
moat_cli_run_usage(FILE *f)
{
    fprintf(f,
        "usage: moat run [OPTIONS] PROG.wasm|PROG.wat|PROG.o|PROG.so "
        "[ARGS...]\n"
        "       moat run [OPTIONS] --invoke NAME PROG [VALUES...]\n"
        "options:\n"
        "  --dir HOST[::GUEST]  preopen directory HOST as GUEST "
        "(default: HOST)\n"
        "  --env NAME=VALUE     add to the guest's environment\n"
        "  --inherit-env        pass this process's environment "
        "(--env overrides)\n"
        "  --timeout DURATION   stop the guest after 500ms, 2s, 1m, ... "
        "(exit 124;\n"
        "                       running only: compiling has its own cap)\n"
        "  --compile-timeout DURATION|none\n"
        "                       stop compiling a .wasm after DURATION "
        "(exit 3; default\n"
        "                       300 s + 300 s per MB of wasm)\n"
        "  --compile-memory SIZE|none\n"
        "                       cap the compiler's memory (exit 3; default "
        "2G + 1G per MB)\n"
        "  --max-memory SIZE    limit the guest's memory (bytes, K, M, G)\n"
        "  --stack-size SIZE    size of the guest's stack\n"
        "  --profile=LIST       tell tools where guest code is: perfmap "
        "(/tmp/perf-PID.map\n"
        "                       for perf), gdb (GDB JIT interface), none; "
        "a comma list\n"
        "                       (default: $MOAT_PROFILE, else gdb)\n"
        "  -O0..-O3             optimisation of the compile step "
        "(default -O2)\n"
        "  --no-cache           compile in memory, bypass the cache\n"
        "  --no-verify          load a .o or .so without the checker of "
        "its machine code:\n"
        "                       trusted like an executable\n"
        "  --invoke NAME        call export NAME with typed VALUES "
        "instead of _start\n"
        "A .wasm is compiled and sandboxed. A .o is native code: moat "
        "checks its structure\n"
        "and its machine code against the sandbox rules (docs/verify.md) "
        "before running\n"
        "any of it, and refuses what the checker rejects (exit 1). A .so "
        "cannot be\n"
        "checked: it runs only with --no-verify.\n");
}

/* "--name VALUE" or "--name=VALUE": the value (advancing *i), else NULL. */
static const char *
value_of(int argc, char **argv, int *i, const char *name, bool *is_missing)
{
    const char *s = argv[*i];
    size_t      n = strlen(name);

    if (strncmp(s, name, n))
        return NULL;
    if (s[n] == '=')
        return s + n + 1;
    if (s[n])
        return NULL;
    if (*i + 1 >= argc) {
        *is_missing = true;
        return NULL;
    }
    return argv[++*i];
}

static int
bad(const char *opt, const char *val, const char *want)
{
    fprintf(stderr, "moat run: %s '%s': %s\n", opt, val, want);
    moat_cli_run_usage(stderr);
    return EXIT_USAGE;
}

/* --profile: "perfmap", "gdb", "none", comma-separated. */
static bool
parse_profile(const char *v, unsigned *out)
{
    unsigned flags = 0;

    for (;;) {
        size_t n = strcspn(v, ",");
        if (n == 7 && !strncmp(v, "perfmap", 7))
            flags |= MOAT_PROFILER_PERFMAP;
        else if (n == 3 && !strncmp(v, "gdb", 3))
            flags |= MOAT_PROFILER_GDB;
        else if (n != 4 || strncmp(v, "none", 4))
            return false;
        if (!v[n])
            break;
        v += n + 1;
    }
    *out = flags;
    return true;
}

/* One option at argv[*i]; EXIT_OK, or EXIT_USAGE after printing. */
static int
option(int argc, char **argv, int *i, RunOptions *o)
{
    const char *s = argv[*i], *v;
    bool        is_missing = false;

    if ((v = value_of(argc, argv, i, "--dir", &is_missing))) {
        if (!v[0] || !strncmp(v, "::", 2))
            return bad("--dir", v, "want HOST[::GUEST]");
        o->dirs[o->ndirs++] = v;
    } else if ((v = value_of(argc, argv, i, "--env", &is_missing))) {
        if (v[0] == '=' || !strchr(v, '='))
            return bad("--env", v, "want NAME=VALUE");
        o->envs[o->nenvs++] = v;
    } else if ((v = value_of(argc, argv, i, "--timeout", &is_missing))) {
        if (!moat_cli_parse_duration(v, &o->timeout_ns))
            return bad("--timeout", v, "want a duration such as 500ms, 2s, "
                                       "1m (a plain number is seconds)");
        o->timeout_text = v;
    } else if ((v = value_of(argc, argv, i, "--compile-timeout",
                             &is_missing))) {
        o->has_compile_timeout = true;
        if (strcmp(v, "none") &&
            !moat_cli_parse_duration(v, &o->compile_timeout_ns))
            return bad("--compile-timeout", v, "want a duration such as "
                       "30s, 5m, or none");
        if (!strcmp(v, "none"))
            o->compile_timeout_ns = 0;
    } else if ((v = value_of(argc, argv, i, "--compile-memory",
                             &is_missing))) {
        o->has_compile_memory = true;
        if (strcmp(v, "none") && !moat_cli_parse_size(v, &o->compile_memory))
            return bad("--compile-memory", v, "want a size such as 512M, "
                       "4G, or none");
        if (!strcmp(v, "none"))
            o->compile_memory = 0;
    } else if ((v = value_of(argc, argv, i, "--max-memory", &is_missing))) {
        if (!moat_cli_parse_size(v, &o->max_memory))
            return bad("--max-memory", v, "want a size such as 65536, 64K, "
                                          "16M, 1G");
        o->max_memory_text = v;
    } else if ((v = value_of(argc, argv, i, "--stack-size", &is_missing))) {
        if (!moat_cli_parse_size(v, &o->stack_size))
            return bad("--stack-size", v, "want a size such as 64K, 8M");
    } else if ((v = value_of(argc, argv, i, "--profile", &is_missing))) {
        if (!parse_profile(v, &o->profilers))
            return bad("--profile", v, "want perfmap, gdb or none, "
                                       "comma-separated");
        o->has_profile = true;
    } else if ((v = value_of(argc, argv, i, "--invoke", &is_missing))) {
        o->invoke = v;
    } else if (is_missing) {
        return bad(s, "", "needs a value");
    } else if (!strcmp(s, "--help") || !strcmp(s, "-h")) {
        o->is_help = true;
    } else if (!strcmp(s, "--inherit-env")) {
        o->inherit_env = true;
    } else if (!strcmp(s, "--no-cache")) {
        o->no_cache = true;
    } else if (!strcmp(s, "--no-verify")) {
        o->is_unverified = true;
    } else if (s[1] == 'O' && s[2] >= '0' && s[2] <= '3' && !s[3]) {
        o->opt_level = s[2] - '0';
    } else {
        fprintf(stderr, "moat run: unknown option '%s'\n", s);
        moat_cli_run_usage(stderr);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

int
moat_cli_run_options(int argc, char **argv, RunOptions *o)
{
    *o = (RunOptions){ .opt_level = 2 };
    o->dirs = calloc((size_t)argc, sizeof *o->dirs);
    o->envs = calloc((size_t)argc, sizeof *o->envs);
    if (!o->dirs || !o->envs) {
        fprintf(stderr, "moat run: out of memory\n");
        return EXIT_USAGE;
    }
    int i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
        if (!strcmp(argv[i], "--")) {
            i++;
            break;
        }
        int rc = option(argc, argv, &i, o);
        if (rc != EXIT_OK)
            return rc;
        if (o->is_help) {
            moat_cli_run_usage(stdout);
            return EXIT_OK;
        }
    }
    if (i >= argc) {
        fprintf(stderr, "moat run: no program given\n");
        moat_cli_run_usage(stderr);
        return EXIT_USAGE;
    }
    o->prog = argv[i];
    o->args = argv + i + 1;
    o->nargs = argc - i - 1;
    return EXIT_OK;
}

void
moat_cli_run_options_free(RunOptions *o)
{
    free(o->dirs);
    free(o->envs);
}
