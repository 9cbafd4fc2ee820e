/* cmd_compile.c - `moat compile`: a wasm module to a native object (or
 * assembly, LLVM IR, bitcode, a shared object), with LLVM-tool options so
 * it drops into make, meson and CMake rules. The compiler is the shared
 * library compiler_dl.c loads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "compile_report.h"

typedef struct CompileArgs {
    const char *in, *out;
    int         opt;
    const char *triple, *cpu;
    moat_output kind;
    int         is_shared;
    int         threads;
    int         is_interruptible;   /* --interruptible: epoch checks */
    int         is_provable;        /* --provable: heap indices as moves */
    int         is_help;            /* --help: print it, nothing else */
    int         is_debug_stripped;  /* --strip-debug: no DWARF */
    int         is_time_report;     /* --time-report: phases to stderr */
    int         is_unverified;      /* --no-verify: skip the checker */
    uint64_t    time_ms, memory;    /* --compile-timeout/-memory; 0: none */
    char        out_buf[4096];      /* the default output name */
    const char *name;               /* --name: a plugin to link */
    const char *header;             /* --header: its typed C header */
    const char *name_for_header;    /* the header's prefix without --name */
} CompileArgs;

static void
help(FILE *f)
{
    fprintf(f,
"usage: moat compile [OPTIONS] IN.wasm|IN.wat [-o OUT]\n"
"\n"
"Compiles a WebAssembly module to native x86-64 code for `moat run` and\n"
"libmoat (docs/cli.md). IN may be - (standard input, up to 1 GiB), and\n"
"WebAssembly text (.wat: whatever does not start with \\0asm).\n"
"\n"
"Output (default: an object):\n"
"  -o OUT            write OUT; - is standard output (binary output is\n"
"                    refused when that is a terminal). Without -o, like\n"
"                    cc: IN's file name with .wasm (.wat) replaced by the\n"
"                    kind's suffix, in the current directory\n"
"  -c                ELF relocatable object (IN.o)\n"
"  -shared           shared object, linked with cc (IN.so)\n"
"  -S                assembly (IN.s)\n"
"  --emit-llvm       LLVM IR text (IN.ll)\n"
"  --emit-bc         LLVM bitcode (IN.bc)\n"
"Code:\n"
"  -O0 .. -O3        optimisation (default -O2)\n"
"  -mcpu=CPU         native (the default: this host's CPU and features,\n"
"                    which the runtime checks on load), x86-64-v2 ..\n"
"                    x86-64-v4, or another x86-64 CPU of LLVM's (compiles,\n"
"                    but the runtime cannot check it and refuses to run\n"
"                    it); -mcpu=help lists them\n"
"  --target TRIPLE   x86_64-linux-gnu or another x86_64 Linux/ELF triple:\n"
"                    an object for other x86-64 machines, for CPU\n"
"                    x86-64-v2 unless -mcpu says otherwise. The runtime\n"
"                    runs x86-64 Linux objects only: other architectures\n"
"                    are refused (exit 2)\n"
"  --interruptible   deadline checks at function entries and loop headers\n"
"  --strip-debug     leave out the module's DWARF (source locations)\n"
"  --provable        heap addresses in the shape the checker's memory rule\n"
"                    proves locally (moat verify --memory), at some cost\n"
"                    in speed (docs/verify.md, \"Item 2\")\n"
"  --name NAME       a plugin to link: the only global symbol is\n"
"                    NAME_descriptor (docs/plugins.md)\n"
"  --header NAME.h   also write its typed C header\n"
"  -jN               compile in N threads (default: by the module's size)\n"
"  --time-report     print the time of each phase, and LLVM's per-pass\n"
"                    timers, to standard error\n"
"Checking:\n"
"  --no-verify       write the object without running the checker of\n"
"                    machine code over it (by default a rejected object\n"
"                    is not written, exit 1: docs/verify.md); the\n"
"                    runtime still verifies it when it loads it\n"
"Limits:\n"
"  --compile-timeout DURATION   stop compiling after DURATION (exit 3)\n"
"  --compile-memory SIZE        cap the memory the compiler adds (exit 3)\n"
"  -h, --help        print this help\n"
"\n"
"Exit status: 0 done; 1 the module cannot be compiled, or the checker\n"
"rejected the code; 2 bad command\n"
"line, unknown CPU or target, unreadable input; 3 an implementation\n"
"limit or compile cap.\n");
}

static int
usage(void)
{
    fprintf(stderr,
            "usage: moat compile [-O0|-O1|-O2|-O3] [--target TRIPLE] "
            "[-mcpu=CPU] [-jN] [--interruptible] [--provable]\n"
            "                    [--name NAME] [--header NAME.h]\n"
            "                    [--strip-debug] "
            "(drop the module's DWARF) [--time-report] [--no-verify]\n"
            "                    [--compile-timeout DURATION] "
            "[--compile-memory SIZE]\n"
            "                    [-c | -S | -shared | --emit-llvm | "
            "--emit-bc] IN.wasm|IN.wat [-o OUT]\n"
            "       moat compile --help\n");
    return EXIT_USAGE;
}

/* No -o: a name made from IN's; -o -: refused on a terminal for binary
 * output, which would only garble it. */
static int
default_output(CompileArgs *a)
{
    if (!a->out) {
        if (!moat_cli_default_output(a->in, a->kind, a->is_shared,
                                     a->out_buf, sizeof a->out_buf))
            return fprintf(stderr, "moat compile: no output name for '%s':"
                           " give -o OUT\n", a->in), EXIT_USAGE;
        a->out = a->out_buf;
    }
    if (!strcmp(a->out, "-") && isatty(STDOUT_FILENO) &&
        !moat_cli_is_text_output(a->kind, a->is_shared))
        return fprintf(stderr, "moat compile: not writing binary output to "
                       "a terminal (redirect it, or give -o FILE)\n"),
               EXIT_USAGE;
    return EXIT_OK;
}

static bool
is_c_ident(const char *s)
{
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
        return false;
    for (s++; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              (*s >= '0' && *s <= '9') || *s == '_'))
            return false;
    return true;
}

/* --name must be a C identifier; --header without --name takes its
 * prefix from the header's file name (foo.h: foo). */
static int
check_plugin_args(CompileArgs *a)
{
    static char prefix[MOAT_PLUGIN_NAME_MAX + 1];

    if (a->name && (!is_c_ident(a->name) ||
                    strlen(a->name) > MOAT_PLUGIN_NAME_MAX)) {
        fprintf(stderr, "moat compile: --name '%s' is not a C identifier "
                "(letters, digits, '_', not starting with a digit, at most "
                "%d characters)\n", a->name, MOAT_PLUGIN_NAME_MAX);
        return EXIT_USAGE;
    }
    if (a->name && a->is_shared) {
        fprintf(stderr, "moat compile: --name makes an object to link into "
                        "a program; it does not go with -shared\n");
        return EXIT_USAGE;
    }
    if (!a->header || a->name)
        return EXIT_OK;
    const char *base = strrchr(a->header, '/');
    base = base ? base + 1 : a->header;
    size_t n = strcspn(base, ".");
    if (n <= MOAT_PLUGIN_NAME_MAX) {
        memcpy(prefix, base, n);
        prefix[n] = 0;
    }
    if (n > MOAT_PLUGIN_NAME_MAX || !is_c_ident(prefix)) {
        fprintf(stderr, "moat compile: --header %s: without --name the "
                "file name must be a C identifier (NAME.h)\n", a->header);
        return EXIT_USAGE;
    }
    a->name_for_header = prefix;
    return EXIT_OK;
}

static int
parse(int argc, char **argv, CompileArgs *a)
{
    *a = (CompileArgs){ .opt = 2, .kind = MOAT_OUTPUT_OBJECT };
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (!strcmp(s, "-o") && i + 1 < argc)
            a->out = argv[++i];
        else if (s[0] == '-' && s[1] == 'O' && s[2] >= '0' && s[2] <= '3' &&
                 !s[3])
            a->opt = s[2] - '0';
        else if (!strcmp(s, "--target") && i + 1 < argc)
            a->triple = argv[++i];
        else if (!strncmp(s, "--target=", 9))
            a->triple = s + 9;
        else if (!strncmp(s, "-mcpu=", 6))
            a->cpu = s + 6;
        else if (!strcmp(s, "-c"))
            a->kind = MOAT_OUTPUT_OBJECT;
        else if (!strcmp(s, "-S"))
            a->kind = MOAT_OUTPUT_ASM;
        else if (!strcmp(s, "--emit-llvm"))
            a->kind = MOAT_OUTPUT_LLVM_IR;
        else if (!strcmp(s, "--emit-bc"))
            a->kind = MOAT_OUTPUT_LLVM_BC;
        else if (!strcmp(s, "-shared"))
            a->is_shared = 1;
        else if (!strcmp(s, "--name") && i + 1 < argc)
            a->name = argv[++i];
        else if (!strcmp(s, "--header") && i + 1 < argc)
            a->header = argv[++i];
        else if (!strcmp(s, "--interruptible"))
            a->is_interruptible = 1;
        else if (!strcmp(s, "--provable"))
            a->is_provable = 1;
        else if (!strcmp(s, "-h") || !strcmp(s, "--help"))
            a->is_help = 1;
        else if (!strcmp(s, "--strip-debug"))
            a->is_debug_stripped = 1;
        else if (!strcmp(s, "--time-report"))
            a->is_time_report = 1;
        else if (!strcmp(s, "--no-verify"))
            a->is_unverified = 1;
        else if (!strcmp(s, "--compile-timeout") && i + 1 < argc) {
            uint64_t ns;
            if (!moat_cli_parse_duration(argv[++i], &ns))
                return fprintf(stderr, "moat compile: bad duration '%s'\n",
                               argv[i]), usage();
            a->time_ms = ns / 1000000u ? ns / 1000000u : 1;
        } else if (!strcmp(s, "--compile-memory") && i + 1 < argc) {
            if (!moat_cli_parse_size(argv[++i], &a->memory))
                return fprintf(stderr, "moat compile: bad size '%s'\n",
                               argv[i]), usage();
        }
        else if (!strncmp(s, "-j", 2) && s[2] >= '0' && s[2] <= '9')
            a->threads = atoi(s + 2);
        else if (s[0] == '-' && s[1])
            return fprintf(stderr, "moat compile: unknown option '%s'\n", s),
                   usage();
        else if (!a->in)
            a->in = s;
        else
            return fprintf(stderr, "moat compile: more than one input\n"),
                   usage();
    }
    if (a->is_help || (a->cpu && !strcmp(a->cpu, "help")))
        return EXIT_OK;
    if (!a->in)
        return usage();
    int rc = check_plugin_args(a);
    return rc != EXIT_OK ? rc : default_output(a);
}

/* -shared: link the object with the system linker (cc -shared). */
static int
link_shared(const char *obj, const char *out)
{
    pid_t pid = fork();
    if (pid == 0) {
        execlp("cc", "cc", "-shared", "-nostdlib", "-o", out, obj,
               (char *)NULL);
        perror("moat compile: cc");
        _exit(127);
    }
    int st = 0;
    if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) ||
        WEXITSTATUS(st) != 0) {
        fprintf(stderr, "moat compile: linking %s failed\n", out);
        return EXIT_BAD_INPUT;
    }
    return EXIT_OK;
}

static moat_status
option_ok(moat_status st)
{
    return st == MOAT_ERR_OPTION ? MOAT_OK : st;
}

static double
cpu_s(clockid_t clock)
{
    struct timespec ts;

    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The checker over the object before it is written (docs/verify.md): a
 * rejected object is not written at all. Text and LLVM outputs are not
 * machine code; -shared verifies the object it links. --time-report adds
 * its CPU time (it runs in this thread) against the process's CPU time
 * so far: the compile, all of LLVM's threads (docs/verify.md, "Cost"). */
static int
verify_output(const CompileArgs *a, const char *out, const uint8_t *obj,
              size_t len)
{
    moat_error err = { 0 };

    if (a->kind != MOAT_OUTPUT_OBJECT)
        return EXIT_OK;
    if (a->is_unverified) {
        fprintf(stderr, "moat compile: warning: %s: machine code not "
                "verified (--no-verify)\n", a->is_shared ? a->out : out);
        return EXIT_OK;
    }
    double cpu0 = cpu_s(CLOCK_PROCESS_CPUTIME_ID);
    double t0 = cpu_s(CLOCK_THREAD_CPUTIME_ID), w0 = cpu_s(CLOCK_MONOTONIC);
    moat_status st = moat_artifact_verify(obj, len, &err);
    if (a->is_time_report) {
        double t = cpu_s(CLOCK_THREAD_CPUTIME_ID) - t0;
        fprintf(stderr, "moat compile: machine-code checker (default "
                "rules): %.3f s cpu, %.3f s wall; %.0f%% of the compile's "
                "%.3f s cpu before it\n", t, cpu_s(CLOCK_MONOTONIC) - w0,
                cpu0 > 0 ? 100 * t / cpu0 : 0, cpu0);
    }
    if (st == MOAT_OK)
        return EXIT_OK;
    moat_cli_report(strcmp(a->in, "-") ? a->in : "<stdin>", &err);
    fprintf(stderr, "moat compile: nothing written: the compiled code "
            "breaks a sandbox rule (a compiler bug: please report it)\n");
    return EXIT_BAD_INPUT;
}

static int
compile_to(const CompileArgs *a, const uint8_t *bytes, size_t len,
           const char *out)
{
    const MoatCompiler  *cc = moat_cli_compiler();
    moat_compile_config *cfg = NULL;
    moat_error           err = { 0 };
    uint8_t             *obj = NULL;
    size_t               objlen = 0;
    char                *hdr = NULL;
    size_t               hdrlen = 0;

    if (!cc)
        return EXIT_BAD_INPUT;
    if (a->is_interruptible && !cc->set_interruptible) {
        fprintf(stderr, "moat compile: this compiler library has no "
                        "--interruptible\n");
        return EXIT_BAD_INPUT;
    }
    if (a->is_provable && !cc->set_provable) {
        fprintf(stderr, "moat compile: this compiler library has no "
                        "--provable\n");
        return EXIT_BAD_INPUT;
    }
    if (a->is_debug_stripped && !cc->set_strip_debug) {
        fprintf(stderr, "moat compile: this compiler library has no "
                        "--strip-debug\n");
        return EXIT_BAD_INPUT;
    }
    moat_status st = cc->config_new(&cfg, &err);
    if (st == MOAT_OK) {
        cc->set_opt_level(cfg, a->opt);
        cc->set_output(cfg, a->kind);
        cc->set_threads(cfg, a->threads);
        if (cc->set_interruptible)
            cc->set_interruptible(cfg, a->is_interruptible);
        if (a->is_debug_stripped)
            cc->set_strip_debug(cfg, 1);
        if (a->is_provable)
            cc->set_provable(cfg, 1);
        if ((a->time_ms || a->memory) &&
            (!cc->set_time_limit || !cc->set_memory_limit))
            st = MOAT_ERR_LIMIT, snprintf(err.msg, sizeof err.msg,
                                          "this compiler library has no "
                                          "compile caps");
        else if (cc->set_time_limit) {
            cc->set_time_limit(cfg, a->time_ms);
            cc->set_memory_limit(cfg, a->memory);
        }
        /* a value the library does not take is kept, and moat_compile
         * fails with a message naming it */
        if (st == MOAT_OK && (a->name || a->header) &&
            (!cc->set_name || !cc->header))
            st = MOAT_ERR_LIMIT, snprintf(err.msg, sizeof err.msg,
                                          "this compiler library has no "
                                          "--name and --header");
        if (st == MOAT_OK && a->name)
            st = cc->set_name(cfg, a->name);
        if (st == MOAT_OK && a->triple)
            st = option_ok(cc->set_target(cfg, a->triple));
        if (st == MOAT_OK && a->cpu)
            st = option_ok(cc->set_cpu(cfg, a->cpu));
        if (st == MOAT_OK) {
            CompileReport rep;
            moat_cli_report_begin(&rep, cc, cfg, a->is_time_report);
            st = cc->compile(cfg, bytes, len, &obj, &objlen, &err);
            moat_cli_report_end(&rep);
        }
        if (st == MOAT_OK && a->header)
            st = cc->header(cfg, bytes, len, a->name ? a->name
                            : a->name_for_header, &hdr, &hdrlen, &err);
    }
    cc->config_free(cfg);
    if (st == MOAT_ERR_OPTION) {
        fprintf(stderr, "moat compile: %s\n", err.msg);
        return EXIT_USAGE;
    }
    if (st != MOAT_OK) {
        if (!err.code)
            err.code = st, err.offset = MOAT_NO_OFFSET;
        moat_cli_report(strcmp(a->in, "-") ? a->in : "<stdin>", &err);
        cc->free(obj);
        return moat_cli_status_exit(st);
    }
    int rc = verify_output(a, out, obj, objlen);
    if (rc == EXIT_OK)
        rc = moat_cli_write_output(out, obj, objlen);
    if (rc == EXIT_OK && hdr)
        rc = moat_cli_write_output(a->header, (const uint8_t *)hdr,
                                   hdrlen);
    cc->free(obj);
    cc->free(hdr);
    return rc;
}

/* -mcpu=help: the names the compiler library takes. */
static int
list_cpus(void)
{
    const MoatCompiler *cc = moat_cli_compiler();
    const char         *name;

    if (!cc)
        return EXIT_BAD_INPUT;
    if (!cc->cpu_name) {
        fprintf(stderr, "moat compile: this compiler library cannot list "
                        "CPUs\n");
        return EXIT_BAD_INPUT;
    }
    printf("x86-64 CPUs for -mcpu (native: this host's CPU and features):\n");
    for (size_t i = 0; (name = cc->cpu_name(i)); i++)
        printf("  %s\n", name);
    return EXIT_OK;
}

/* -shared: an object in a temporary file, linked into the output (for
 * -o -, into a second temporary file copied to standard output). */
static int
compile_shared(CompileArgs *a, const uint8_t *bytes, size_t len)
{
    char obj[] = "/tmp/moat-XXXXXX.o", so[] = "/tmp/moat-XXXXXX.so";
    bool is_stdout = !strcmp(a->out, "-");
    int  fd = mkstemps(obj, 2), fd2 = is_stdout ? mkstemps(so, 3) : -2;
    int  rc = EXIT_USAGE;

    if (fd < 0 || fd2 == -1) {
        perror("moat compile: temporary file");
    } else {
        a->kind = MOAT_OUTPUT_OBJECT;
        rc = compile_to(a, bytes, len, obj);
        if (rc == EXIT_OK)
            rc = link_shared(obj, is_stdout ? so : a->out);
        if (rc == EXIT_OK && is_stdout)
            rc = moat_cli_copy_to_stdout(so);
    }
    if (fd >= 0)
        close(fd), unlink(obj);
    if (fd2 >= 0)
        close(fd2), unlink(so);
    return rc;
}

int
moat_cmd_compile(int argc, char **argv)
{
    CompileArgs a;
    int         rc = parse(argc, argv, &a);
    if (rc != EXIT_OK)
        return rc;
    if (a.is_help) {
        help(stdout);
        return EXIT_OK;
    }
    if (a.cpu && !strcmp(a.cpu, "help"))
        return list_cpus();
    size_t   len;
    uint8_t *bytes = moat_cli_read_module(strcmp(a.in, "-") ? a.in
                                                            : "/dev/stdin",
                                          &len, &rc);
    if (!bytes)
        return rc;
    if (!a.is_shared)
        rc = compile_to(&a, bytes, len, a.out);
    else
        rc = compile_shared(&a, bytes, len);
    moat_cli_free_file(bytes);
    return rc;
}
