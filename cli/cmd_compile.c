/* cmd_compile.c - `moat compile`: a wasm module to a native object (or
 * assembly, LLVM IR, bitcode, a shared object), with LLVM-tool options so
 * it drops into make, meson and CMake rules. The compiler is the shared
 * library compiler_dl.c loads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"

typedef struct CompileArgs {
    const char *in, *out;
    int         opt;
    const char *triple, *cpu;
    moat_output kind;
    int         is_shared;
    int         threads;
    int         is_interruptible;   /* --interruptible: epoch checks */
    int         is_debug_stripped;  /* --strip-debug: no DWARF */
    uint64_t    time_ms, memory;    /* --compile-timeout/-memory; 0: none */
} CompileArgs;

static int
usage(void)
{
    fprintf(stderr,
            "usage: moat compile [-O0|-O1|-O2|-O3] [--target TRIPLE] "
            "[-mcpu=CPU] [-jN] [--interruptible]\n"
            "                    [--strip-debug] "
            "(drop the module's DWARF)\n"
            "                    [--compile-timeout DURATION] "
            "[--compile-memory SIZE]\n"
            "                    [-c | -S | -shared | --emit-llvm | "
            "--emit-bc] IN.wasm -o OUT\n");
    return EXIT_USAGE;
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
        else if (!strcmp(s, "--interruptible"))
            a->is_interruptible = 1;
        else if (!strcmp(s, "--strip-debug"))
            a->is_debug_stripped = 1;
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
    if (!a->in || !a->out)
        return usage();
    return EXIT_OK;
}

static int
write_file(const char *path, const uint8_t *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
        perror(path);
        if (f)
            fclose(f);
        return EXIT_USAGE;
    }
    return EXIT_OK;
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

static int
compile_to(const CompileArgs *a, const uint8_t *bytes, size_t len,
           const char *out)
{
    const MoatCompiler  *cc = moat_cli_compiler();
    moat_compile_config *cfg = NULL;
    moat_error           err = { 0 };
    uint8_t             *obj = NULL;
    size_t               objlen = 0;

    if (!cc)
        return EXIT_BAD_INPUT;
    if (a->is_interruptible && !cc->set_interruptible) {
        fprintf(stderr, "moat compile: this compiler library has no "
                        "--interruptible\n");
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
        if ((a->time_ms || a->memory) &&
            (!cc->set_time_limit || !cc->set_memory_limit))
            st = MOAT_ERR_LIMIT, snprintf(err.msg, sizeof err.msg,
                                          "this compiler library has no "
                                          "compile caps");
        else if (cc->set_time_limit) {
            cc->set_time_limit(cfg, a->time_ms);
            cc->set_memory_limit(cfg, a->memory);
        }
        if (st == MOAT_OK && a->triple)
            st = cc->set_target(cfg, a->triple);
        if (st == MOAT_OK && a->cpu)
            st = cc->set_cpu(cfg, a->cpu);
        if (st == MOAT_OK)
            st = cc->compile(cfg, bytes, len, &obj, &objlen, &err);
    }
    cc->config_free(cfg);
    if (st != MOAT_OK) {
        if (!err.code)
            err.code = st, err.offset = MOAT_NO_OFFSET;
        moat_cli_report(a->in, &err);
        return moat_cli_status_exit(st);
    }
    int rc = write_file(out, obj, objlen);
    cc->free(obj);
    return rc;
}

int
moat_cmd_compile(int argc, char **argv)
{
    CompileArgs a;
    int         rc = parse(argc, argv, &a);
    if (rc != EXIT_OK)
        return rc;
    size_t   len;
    uint8_t *bytes = moat_cli_read_file(a.in, &len);
    if (!bytes)
        return EXIT_USAGE;
    if (!a.is_shared) {
        rc = compile_to(&a, bytes, len, a.out);
    } else {
        char tmp[] = "/tmp/moat-XXXXXX.o";
        int  fd = mkstemps(tmp, 2);
        if (fd < 0) {
            perror("moat compile: temporary file");
            rc = EXIT_USAGE;
        } else {
            close(fd);
            a.kind = MOAT_OUTPUT_OBJECT;
            rc = compile_to(&a, bytes, len, tmp);
            if (rc == EXIT_OK)
                rc = link_shared(tmp, a.out);
            unlink(tmp);
        }
    }
    moat_cli_free_file(bytes);
    return rc;
}
