/* report.c - prints what the checker found: violations with function,
 * offset and rule, and summaries that name the rules checked and the rules
 * not checked (docs/verify.md), so that no output claims an unchecked
 * rule.
 */
#include <inttypes.h>
#include <stdio.h>

#include "verify.h"

void
moatK_print_violations(FILE *f, const char *label, const KReport *r)
{
    for (uint32_t i = 0; i < r->nkept; i++) {
        const KViolation *v = &r->kept[i];
        if (v->func[0] == '-' && !v->func[1])
            fprintf(f, "%s: offset 0x%" PRIx64 ": %s: %s\n", label, v->off,
                    moatK_rule_name[v->rule], v->msg);
        else
            fprintf(f, "%s: %s+0x%" PRIx64 " (section offset 0x%" PRIx64
                    "): %s: %s\n", label, v->func, v->func_off, v->off,
                    moatK_rule_name[v->rule], v->msg);
    }
    if (r->nviol > r->nkept)
        fprintf(f, "%s: %" PRIu64 " more violations not shown\n", label,
                r->nviol - r->nkept);
}

static void
print_rules(FILE *f, const KReport *r)
{
    fprintf(f, "rules checked:");
    for (int i = 0; i < K_NRULES; i++)
        if (!moatK_flow_rule(i) || r->check_memory)
            fprintf(f, " %s%s", moatK_rule_name[i],
                    i == K_MEMORY ? " (partial: rejects what it cannot "
                                    "prove)" : "");
    if (r->check_memory)
        return;
    fprintf(f, "; NOT checked:");
    for (int i = 0; moatK_unchecked[i]; i++)
        fprintf(f, " %s", moatK_unchecked[i]);
}

void
moatK_print_summary(FILE *f, const char *label, const KReport *r)
{
    fprintf(f, "%s: %" PRIu64 " functions, %" PRIu64 " instructions, %"
            PRIu64 " indirect calls%s: %" PRIu64 " violation%s; ",
            label, r->nfuncs, r->ninsns, r->nindirect_calls,
            r->check_memory ? "" : " (unchecked)", r->nviol,
            r->nviol == 1 ? "" : "s");
    print_rules(f, r);
    fprintf(f, "\n");
}

void
moatK_print_rule_counts(FILE *f, const KReport *r)
{
    fprintf(f, "%-10s %-10s %10s %10s %10s\n", "rule", "unit", "checked",
            "passed", "rejected");
    for (int i = 0; i < K_NRULES; i++) {
        if (moatK_flow_rule(i) && !r->check_memory)
            continue;
        bool obj = i == K_OBJECT || i == K_EXTERN || i == K_CODEPTR;
        fprintf(f, "%-10s %-10s %10" PRIu64 " %10" PRIu64 " %10" PRIu64 "\n",
                moatK_rule_name[i], obj ? "objects" : "functions",
                r->checked[i], r->checked[i] - r->failed[i], r->failed[i]);
    }
    for (int i = 0; !r->check_memory && moatK_unchecked[i]; i++)
        fprintf(f, "%-10s not checked (docs/verify.md)\n",
                moatK_unchecked[i]);
}
