/* verify_corpus.c - runs the machine-code checker over honest objects
 * (FILE.o arguments, or a file listing one path per line after -l) and
 * prints the counts: objects and functions checked, per rule how many
 * units passed and were rejected, the violations of rejected objects, and
 * `N passed, N failed` over objects. Exit 1 when any object is rejected:
 * honest code must verify (docs/verify.md). With --memory it also runs
 * the memory, indirect-call and stack rules and counts each on a line
 * of its own, outside passed/failed (not all honest code is provable by
 * them yet).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verify.h"
#include "util.h"

static bool memory;

static int
check_one(const char *path, KReport *total, uint64_t *pass, uint64_t *fail)
{
    uint8_t   *bytes;
    size_t     len;
    moat_error err = { 0 };

    if (!moatU_read_file(path, UINT64_C(1) << 31, &bytes, &len, &err)) {
        fprintf(stderr, "%s: cannot read: %s\n", path, err.msg);
        (*fail)++;
        return 1;
    }
    KReport *one = calloc(1, sizeof *one);
    if (!one) {
        moatU_free(bytes);
        return 1;
    }
    one->check_memory = memory;
    moatK_verify(bytes, len, one);
    moatU_free(bytes);
    uint64_t n = 0;
    for (int r = 0; r < K_NRULES; r++)
        n += moatK_flow_rule(r) ? 0 : one->failed[r];
    if (n) {
        moatK_print_violations(stdout, path, one);
        (*fail)++;
    } else {
        (*pass)++;
    }
    total->nobjs += one->nobjs;
    total->nfuncs += one->nfuncs;
    total->ninsns += one->ninsns;
    total->nviol += one->nviol;
    total->nindirect_calls += one->nindirect_calls;
    for (int r = 0; r < K_NRULES; r++) {
        total->checked[r] += one->checked[r];
        total->failed[r] += one->failed[r];
    }
    free(one);
    return 0;
}

int
main(int argc, char **argv)
{
    KReport *total = calloc(1, sizeof *total);
    uint64_t pass = 0, fail = 0;

    if (!total)
        return 1;
    total->check_memory = memory = argc > 1 && !strcmp(argv[1], "--memory");
    for (int i = 1 + memory; i < argc; i++) {
        if (strcmp(argv[i], "-l") || i + 1 == argc) {
            check_one(argv[i], total, &pass, &fail);
            continue;
        }
        FILE *f = fopen(argv[++i], "r");
        char  line[4096];
        if (!f) {
            perror(argv[i]);
            return 2;
        }
        while (fgets(line, sizeof line, f)) {
            line[strcspn(line, "\n")] = 0;
            if (line[0])
                check_one(line, total, &pass, &fail);
        }
        fclose(f);
    }
    moatK_print_rule_counts(stdout, total);
    for (int r = 0; memory && r < K_NRULES; r++)
        if (moatK_flow_rule(r))
            printf("%s rule (not in passed/failed): %llu of %llu "
                   "functions proven\n", moatK_rule_name[r],
                   (unsigned long long)(total->checked[r] - total->failed[r]),
                   (unsigned long long)total->checked[r]);
    moatK_print_summary(stdout, "total", total);
    printf("%llu passed, %llu failed\n", (unsigned long long)pass,
           (unsigned long long)fail);
    free(total);
    return fail ? 1 : 0;
}
