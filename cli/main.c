/* main.c - `moat` entry point: dispatches to a subcommand (the file
 * reading and error printing they share is files.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "abi.h"              /* MOAT_ABI_VERSION */
#include "cli.h"

/* help: the usage `moat CMD --help` prints for commands that do not
 * parse --help themselves (NULL: the command does). */
static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *summary;
    const char *help;
} cmds[] = {
    { "validate", moat_cmd_validate, "FILE.wasm   check a module against the "
                                     "WebAssembly 2.0 spec",
      "usage: moat validate FILE.wasm|FILE.wat\n\n"
      "Checks FILE against the WebAssembly 2.0 spec: silent with exit 0\n"
      "when valid; `FILE:0xOFF: error: ...` and exit 1 when not, 3 past\n"
      "an implementation limit, 2 when FILE cannot be read. FILE may be\n"
      "text (.wat: whatever does not start with \\0asm); its syntax\n"
      "errors read `FILE:LINE:COL: error: ...`.\n" },
    { "inspect", moat_cmd_inspect, "FILE.wasm    list a module's imports, "
                                   "exports and sections",
      "usage: moat inspect FILE.wasm|FILE.wat|ARTIFACT\n\n"
      "Prints a valid module's imports, exports, memories, tables, globals\n"
      "and sections. Exit 1 when FILE is not a valid module.\n" },
    { "wast", moat_cmd_wast, "[-v] FILE.wast...   run WebAssembly spec "
                             "scripts",
      "usage: moat wast [-v] FILE.wast...\n\n"
      "Runs spec test scripts (module, register, invoke, get and the\n"
      "assert_* commands; spectest imports provided). Prints each\n"
      "failure (-v: each command), per file and in all `N passed, N\n"
      "failed, N skipped`; exit 1 when a command failed.\n" },
    { "run", moat_cmd_run, "[OPTIONS] PROG [ARGS...]   run a WASI program "
                           "(.wasm, .wat, .o, .so; see --help)", NULL },
    { "compile", moat_cmd_compile, "[OPTIONS] IN.wasm [-o OUT]   compile to "
                                   "native code (see --help)", NULL },
    { "serve", moat_cmd_serve, "[OPTIONS] [ROUTES_FILE]   serve HTTP, a "
                               "fresh sandbox per request (see --help)",
      NULL },
    { "verify", moat_cmd_verify_exec, "FILE.o...   check compiled machine "
                                      "code against the sandbox rules",
      NULL },
    { "cache", moat_cmd_cache, "dir|clean   where the compile cache is; "
                               "empty it",
      "usage: moat cache dir|clean\n\n"
      "  dir     print the compile cache's directory ($MOAT_CACHE_DIR,\n"
      "          else $XDG_CACHE_HOME/moat, else ~/.cache/moat)\n"
      "  clean   remove the cache's entries (docs/cli.md)\n" },
};

static void
usage(FILE *f)
{
    fprintf(f, "usage: moat COMMAND [ARGS...]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        fprintf(f, "  %s %s\n", cmds[i].name, cmds[i].summary);
    fprintf(f, "  version              print the versions and the host "
               "target (also --version, -V)\n\n"
               "`moat COMMAND --help` describes a command.\n");
}

static bool
is_help(const char *s)
{
    return !strcmp(s, "-h") || !strcmp(s, "--help");
}

/* moat --version: ours, the layout contract's, LLVM's when the compiler
 * library loads, and the target the compiler makes code for by default. */
static int
version(void)
{
    char                why[1024];
    const MoatCompiler *cc = moat_cli_compiler_quiet(why, sizeof why);
    struct utsname      u;

    printf("moat %s\nABI version %u (objects made for another are "
           "refused)\n", moat_version(), MOAT_ABI_VERSION);
    if (cc && cc->llvm_version && cc->llvm_triple && cc->llvm_host_cpu &&
        cc->llvm_dispose) {
        unsigned maj, min, patch;
        char    *triple = cc->llvm_triple(), *cpu = cc->llvm_host_cpu();
        cc->llvm_version(&maj, &min, &patch);
        printf("LLVM %u.%u.%u\nhost target %s, CPU %s\n", maj, min, patch,
               triple, cpu);
        cc->llvm_dispose(triple);
        cc->llvm_dispose(cpu);
    } else {
        printf("LLVM unknown: cannot load the compiler (libmoat-compiler.so)"
               ": %s\n", cc ? "it does not name its LLVM" : why);
        if (uname(&u) == 0)
            printf("host %s %s\n", u.machine, u.sysname);
    }
    printf("runs objects for x86_64 Linux\n");
    return EXIT_OK;
}

int
main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (is_help(argv[1]) || !strcmp(argv[1], "help")) {
        usage(stdout);
        return EXIT_OK;
    }
    if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version") ||
        !strcmp(argv[1], "-V"))
        return version();
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        if (strcmp(argv[1], cmds[i].name) != 0)
            continue;
        if (cmds[i].help && argc > 2 && is_help(argv[2])) {
            fputs(cmds[i].help, stdout);
            return EXIT_OK;
        }
        return cmds[i].fn(argc - 1, argv + 1);
    }
    fprintf(stderr, "moat: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return EXIT_USAGE;
}
