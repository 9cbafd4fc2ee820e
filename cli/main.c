/* main.c - `moat` entry point: dispatches to a subcommand, and the file
 * reading and error printing every subcommand shares.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "util.h"             /* moatU_read_file */

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *help;
} cmds[] = {
    { "validate", moat_cmd_validate, "FILE.wasm   check a module against the "
                                     "WebAssembly 2.0 spec" },
    { "inspect", moat_cmd_inspect, "FILE.wasm    list a module's imports, "
                                   "exports and sections" },
    { "run", moat_cmd_run, "[OPTIONS] PROG [ARGS...]   run a WASI program "
                           "(.wasm, .o, .so; see --help)" },
    { "compile", moat_cmd_compile, "[-O0..3] IN.wasm -o OUT   compile to a "
                                   "native object (see --help)" },
    { "serve", moat_cmd_serve, "[OPTIONS] [ROUTES_FILE]   serve HTTP, a "
                               "fresh sandbox per request (see --help)" },
    { "cache", moat_cmd_cache, "dir|clean   where the compile cache is; "
                               "empty it" },
};

static void
usage(FILE *f)
{
    fprintf(f, "usage: moat COMMAND [ARGS...]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        fprintf(f, "  %s %s\n", cmds[i].name, cmds[i].help);
    fprintf(f, "  version              print the version\n");
}

uint64_t
moat_cli_file_limit(void)
{
    const char *s = getenv("MOAT_TEST_FILE_LIMIT");
    char       *end;
    uint64_t    n;

    if (!s || !*s)
        return MOAT_FILE_LIMIT;
    errno = 0;
    n = strtoull(s, &end, 10);
    return errno || *end || n > MOAT_FILE_LIMIT ? MOAT_FILE_LIMIT : n;
}

uint8_t *
moat_cli_read_file(const char *path, size_t *len)
{
    uint8_t   *buf = NULL;
    moat_error err = { 0 };

    if (!moatU_read_file(path, moat_cli_file_limit(), &buf, len, &err)) {
        fprintf(stderr, "moat: %s\n", err.msg);
        return NULL;
    }
    return buf;
}

int
moat_cli_status_exit(moat_status st)
{
    return st == MOAT_ERR_LIMIT ? EXIT_LIMIT : EXIT_BAD_INPUT;
}

void
moat_cli_free_file(uint8_t *bytes)
{
    moatU_free(bytes);
}

void
moat_cli_report(const char *path, const moat_error *err)
{
    const char *what = moat_status_string(err->code);
    size_t      n = strlen(what);
    /* the runtime's own messages may already open with the status's
     * words ("contract violation: ..."): say them once */
    bool        has_what = !strncmp(err->msg, what, n) && err->msg[n] == ':';
    const char *sep = has_what ? "" : ": ";

    if (has_what)
        what = "";
    if (err->offset == MOAT_NO_OFFSET)
        fprintf(stderr, "%s: error: %s%s%s\n", path, what, sep, err->msg);
    else
        fprintf(stderr, "%s:0x%llx: error: %s%s%s\n", path,
                (unsigned long long)err->offset, what, sep, err->msg);
}

int
main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
        !strcmp(argv[1], "help")) {
        usage(stdout);
        return EXIT_OK;
    }
    if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
        printf("moat %s\n", moat_version());
        return EXIT_OK;
    }
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (!strcmp(argv[1], cmds[i].name))
            return cmds[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "moat: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return EXIT_USAGE;
}
