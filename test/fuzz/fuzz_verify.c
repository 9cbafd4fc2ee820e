/* fuzz_verify.c - libFuzzer target over the machine-code checker
 * (verify/, docs/verify.md). An input that starts with the ELF magic is a
 * whole object (the seeds are honest objects moat compiled; libFuzzer's
 * mutations of them are damaged objects); any other input is machine
 * code: it is written over the code section of a template object (an
 * honest object named by MOAT_FUZZ_VERIFY_TEMPLATE; without one it is
 * checked as a whole object too), so that the decoder, the control flow
 * and the memory rule's dataflow see random instructions inside a valid
 * object with its descriptor. Each input is checked with the default
 * rules and with the memory rule; the report must be consistent. A crash,
 * a hang (the checker's work budgets) or an inconsistent report is a
 * finding. Built by build-fuzz.sh; run by smoke.sh and as in
 * docs/verify.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "verify.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t *tmpl, *work;
static size_t   tmpl_len;
static uint64_t code_lo, code_hi;   /* file offsets of the code to fill */
static KReport *rep;
static FILE    *devnull;

/* The template's code: from its first function to its last one's end. */
static void
load_template(const char *path)
{
    moat_error err = { 0 };
    KCheck     c = { 0 };
    KObj       o;

    if (!moatU_read_file(path, UINT64_C(1) << 28, &tmpl, &tmpl_len, &err)) {
        fprintf(stderr, "fuzz_verify: %s: %s\n", path, err.msg);
        exit(1);
    }
    c.rep = rep;
    if (!moatK_obj_read(&c, tmpl, tmpl_len, &o) || o.nfn == 0) {
        fprintf(stderr, "fuzz_verify: %s: not an object with code\n", path);
        exit(1);
    }
    const KSec *s = &o.sec[o.fn[0].sec];
    code_lo = (uint64_t)(s->data - tmpl) + o.fn[0].lo;
    code_hi = code_lo;
    for (uint32_t i = 0; i < o.nfn; i++)
        if (o.fn[i].sec == o.fn[0].sec &&
            (uint64_t)(s->data - tmpl) + o.fn[i].hi > code_hi)
            code_hi = (uint64_t)(s->data - tmpl) + o.fn[i].hi;
    moatK_obj_free(&o);
    work = malloc(tmpl_len);
    if (!work)
        exit(1);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    rep = calloc(1, sizeof *rep);
    devnull = fopen("/dev/null", "w");
    if (!rep || !devnull)
        exit(1);
    const char *t = getenv("MOAT_FUZZ_VERIFY_TEMPLATE");
    if (t && *t)
        load_template(t);
    return 0;
}

/* The report agrees with itself: what it returns is what it counted, no
 * more kept than counted, each kept violation names a rule. */
static void
check(const uint8_t *b, size_t len, bool memory)
{
    memset(rep, 0, sizeof *rep);
    rep->check_memory = memory;
    uint64_t n = moatK_verify(b, len, rep);
    uint64_t failed = 0;
    if (n != rep->nviol || rep->nkept > K_MAX_KEPT || rep->nkept > n ||
        rep->nobjs != 1)
        __builtin_trap();
    for (uint32_t k = 0; k < rep->nkept; k++)
        if (rep->kept[k].rule >= K_NRULES || !memchr(rep->kept[k].msg, 0,
                                                     sizeof rep->kept[k].msg))
            __builtin_trap();
    for (int k = 0; k < K_NRULES; k++) {
        if (rep->failed[k] > rep->checked[k])
            __builtin_trap();
        failed += rep->failed[k];
    }
    if ((n == 0) != (failed == 0))
        __builtin_trap();
    moatK_print_violations(devnull, "fuzz", rep);
    moatK_print_summary(devnull, "fuzz", rep);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bool elf = size >= 4 && !memcmp(data, "\177ELF", 4);

    if (elf || !tmpl) {
        check(data, size, false);
        check(data, size, true);
        return 0;
    }
    size_t n = code_hi - code_lo;
    memcpy(work, tmpl, tmpl_len);
    memcpy(work + code_lo, data, size < n ? size : n);
    check(work, tmpl_len, false);
    check(work, tmpl_len, true);
    return 0;
}
