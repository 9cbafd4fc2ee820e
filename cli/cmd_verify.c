/* cmd_verify.c - `moat verify FILE.o...`: runs the machine-code checker
 * (verify/, docs/verify.md) over compiled objects. Prints each violation
 * with function, offset and rule, then per file one summary line that
 * names the rules checked and the rules NOT checked yet: it never prints
 * a bare "ok". Exit 0 when no checked rule is broken, 1 when one is, 2
 * when a file cannot be read. Runs in `moat-verify` (verify_main.c), so
 * that `moat` itself does not map the decoder library.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "verify.h"

int
moat_cmd_verify(int argc, char **argv)
{
    int  rc = EXIT_OK;
    bool memory = argc > 1 && !strcmp(argv[1], "--memory");

    if (memory) {
        argc--;
        argv++;
    }
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        fprintf(argc < 2 ? stderr : stdout,
                "usage: moat verify [--memory] FILE.o...\n\n"
                "Checks the machine code of objects `moat compile` wrote\n"
                "against the sandbox rules of docs/verify.md. Prints each\n"
                "violation (function+offset: rule: what) and a summary per\n"
                "file naming the rules checked and those not checked yet.\n"
                "Exit 0: no violation of a checked rule; 1: violations;\n"
                "2: a file cannot be read.\n\n"
                "  --memory  also run the memory, indirect call and stack\n"
                "            rules (one dataflow); they reject what they\n"
                "            cannot prove, and some honest code is not\n"
                "            provable yet (docs/verify.md)\n");
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    for (int i = 1; i < argc; i++) {
        size_t   len;
        uint8_t *bytes = moat_cli_read_file(argv[i], &len);
        if (!bytes) {
            rc = EXIT_USAGE;
            continue;
        }
        KReport *rep = calloc(1, sizeof *rep);
        if (!rep) {
            moat_cli_free_file(bytes);
            fprintf(stderr, "moat: out of memory\n");
            return EXIT_BAD_INPUT;
        }
        rep->check_memory = memory;
        moatK_verify(bytes, len, rep);
        moat_cli_free_file(bytes);
        moatK_print_violations(stdout, argv[i], rep);
        moatK_print_summary(stdout, argv[i], rep);
        if (rep->nviol && rc == EXIT_OK)
            rc = EXIT_BAD_INPUT;
        free(rep);
    }
    return rc;
}
