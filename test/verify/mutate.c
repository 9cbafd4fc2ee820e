/* mutate.c - the mutation score (docs/verify.md "Mutation score"):
 *
 *     mutate [--min-escapes N] [--permille P] OBJ...
 *
 * Each OBJ is an honest object (`moat compile` output). It must pass the
 * default rules; the functions the memory rule proves are then mutated
 * at every site where a mutation of mutate_sites.c applies (functions
 * the memory rule already rejects are skipped and counted: a mutant of
 * one would be "rejected" for nothing). Each mutant is checked with
 * every rule (KReport.check_memory) and is rejected when some rule fails
 * for more units than in the honest object. Prints per class: mutants,
 * rejected, passing, the rules that rejected, and samples of passing
 * mutants (MT_SAMPLES, default 3 per class); then the score over the
 * escape classes and `N passed, N failed` over the checks: each honest
 * object, the number of escape mutants, the share rejected. Exits 1
 * when an honest object fails a default rule, when there are fewer than
 * N escape mutants (default 10000), or when fewer than P per mille of
 * them (default 999) are rejected.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mutate.h"
#include "util.h"

#define MT_MAX_CLASSES 64

typedef struct MClass {
    const char *name;
    int         kind;
    uint64_t    n, rejected;
    uint64_t    by[K_NRULES];       /* rejected: the first rule that did */
    unsigned    samples;
} MClass;

static MClass   classes[MT_MAX_CLASSES];
static unsigned nclasses, max_samples = 3;
static uint8_t *mbuf;               /* the mutant: a copy of the object */
static uint64_t honest_failed;      /* units failed in the honest object */
static uint64_t honest_by[K_NRULES];
static KReport *mrep;

static MClass *
class_of(const char *name, int kind)
{
    for (unsigned i = 0; i < nclasses; i++)
        if (!strcmp(classes[i].name, name))
            return &classes[i];
    if (nclasses == MT_MAX_CLASSES) {
        fprintf(stderr, "mutate: more than %d classes\n", MT_MAX_CLASSES);
        exit(2);
    }
    classes[nclasses] = (MClass){ .name = strdup(name), .kind = kind };
    return &classes[nclasses++];
}

static void
print_insn(const char *what, const uint8_t *b, uint64_t len, uint64_t ip)
{
    ZydisDisassembledInstruction d;

    printf("      %s:", what);
    if (ZYAN_SUCCESS(ZydisDisassembleATT(ZYDIS_MACHINE_MODE_LONG_64, ip, b,
                                         len, &d))) {
        for (unsigned k = 0; k < d.info.length; k++)
            printf(" %02x", b[k]);
        printf("  %s\n", d.text);
    } else {
        printf(" (does not decode)\n");
    }
}

/* A passing mutant: where, and the instruction before and after. */
static void
print_sample(const MFunc *F, const MClass *c, uint32_t i, uint64_t at,
             size_t n)
{
    const MInsn *s = &F->insn[i];
    uint64_t     ioff = F->code_off + s->off;

    printf("    PASSING %s: %s %s+0x%llx (file 0x%llx, %zu bytes)\n",
           c->name, F->label, F->f->name,
           (unsigned long long)(s->off - F->f->lo),
           (unsigned long long)at, n);
    uint64_t lim = F->code_off + F->f->hi - ioff;
    print_insn("before", F->bytes + ioff, lim, s->off);
    if (at >= ioff && at < ioff + lim)
        print_insn("after ", mbuf + ioff, lim, s->off);
    if (i + 1 < F->ninsn)
        print_insn("next  ", mbuf + F->code_off + F->insn[i + 1].off,
                   F->code_off + F->f->hi - F->code_off -
                       F->insn[i + 1].off, F->insn[i + 1].off);
}

void
mt_emit(const MFunc *F, const char *cls, int kind, uint32_t i, uint64_t at,
        const uint8_t *code, size_t n)
{
    MClass  *c = class_of(cls, kind);
    uint64_t failed = 0;

    if (n == 0 || at + n > F->len || !memcmp(F->bytes + at, code, n))
        return;                         /* no change: not a mutant */
    memcpy(mbuf + at, code, n);
    memset(mrep, 0, sizeof *mrep);
    mrep->check_memory = true;
    moatK_verify(mbuf, F->len, mrep);
    for (int k = 0; k < K_NRULES; k++)
        failed += mrep->failed[k];
    c->n++;
    if (failed > honest_failed) {
        c->rejected++;
        for (int k = 0; k < K_NRULES; k++)
            if (mrep->failed[k] > honest_by[k]) {
                c->by[k]++;
                break;
            }
    } else if (c->samples < max_samples) {
        c->samples++;
        print_sample(F, c, i, at, n);
    }
    memcpy(mbuf + at, F->bytes + at, n);
}

/* The functions the memory rule rejects in the honest object (by name, in
 * kept violations); false when more were found than kept (then which
 * ones is unknown and the object is skipped). */
static bool
dirty_functions(const KReport *r, const KFunc *f, uint8_t *dirty,
                uint32_t nfn)
{
    if (r->nviol > r->nkept)
        return false;
    for (uint32_t k = 0; k < r->nkept; k++)
        for (uint32_t j = 0; j < nfn; j++)
            if (!strcmp(r->kept[k].func, f[j].name))
                dirty[j] = 1;
    return true;
}

static void
mutate_function(MFunc *F, MInsn *buf)
{
    const KSec  *s = &F->o->sec[F->f->sec];
    ZydisDecoder d;
    uint32_t     n = 0;

    ZydisDecoderInit(&d, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
    for (uint64_t off = F->f->lo; off < F->f->hi; n++) {
        MInsn   *m = &buf[n];
        uint32_t nrel;
        m->off = off;
        if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&d, s->data + off,
                                                 F->f->hi - off, &m->in,
                                                 m->ops)))
            return;                 /* honest code decodes: not reached */
        moatK_rels_in(s, off, off + m->in.length, &nrel);
        m->has_rel = nrel > 0;
        off += m->in.length;
    }
    F->insn = buf;
    F->ninsn = n;
    for (uint32_t i = 0; i < n; i++)
        mt_mutate_insn(F, i);
}

/* Mutates every function of the object at path that the honest object
 * proves; false when the honest object fails a default rule. */
static bool
mutate_object(const char *path, uint64_t *nskipped_fn)
{
    moat_error err = { 0 };
    uint8_t   *b;
    size_t     len;
    KCheck     c = { 0 };
    KObj       o;
    bool       ok = true;

    if (!moatU_read_file(path, UINT64_C(1) << 30, &b, &len, &err)) {
        fprintf(stderr, "mutate: %s: %s\n", path, err.msg);
        return false;
    }
    memset(mrep, 0, sizeof *mrep);
    if (moatK_verify(b, len, mrep) != 0) {
        moatK_print_violations(stderr, path, mrep);
        fprintf(stderr, "mutate: %s: the honest object fails a default "
                        "rule\n", path);
        moatU_free(b);
        return false;
    }
    memset(mrep, 0, sizeof *mrep);
    mrep->check_memory = true;
    moatK_verify(b, len, mrep);
    honest_failed = 0;
    for (int k = 0; k < K_NRULES; k++) {
        honest_by[k] = mrep->failed[k];
        honest_failed += mrep->failed[k];
    }
    c.rep = mrep;
    if (!moatK_obj_read(&c, b, len, &o)) {
        moatU_free(b);
        return false;
    }
    uint8_t *dirty = calloc(o.nfn + 1, 1);
    mbuf = malloc(len);
    if (!dirty || !mbuf) {
        fprintf(stderr, "mutate: out of memory\n");
        exit(2);
    }
    if (!dirty_functions(mrep, o.fn, dirty, o.nfn)) {
        printf("  %s: skipped: %llu memory-rule violations, more than "
               "the %u kept\n", path, (unsigned long long)mrep->nviol,
               K_MAX_KEPT);
        *nskipped_fn += o.nfn;
        memset(dirty, 1, o.nfn);
    }
    memcpy(mbuf, b, len);
    for (uint32_t j = 0; j < o.nfn; j++) {
        const KFunc *f = &o.fn[j];
        if (dirty[j]) {
            *nskipped_fn += 1;
            continue;
        }
        MInsn *buf = malloc((f->hi - f->lo) * sizeof *buf);
        if (!buf) {
            fprintf(stderr, "mutate: out of memory\n");
            exit(2);
        }
        MFunc F = { .bytes = b, .len = len, .o = &o, .f = f,
                    .code_off = (uint64_t)(o.sec[f->sec].data - b),
                    .label = path };
        mutate_function(&F, buf);
        free(buf);
    }
    free(mbuf);
    free(dirty);
    moatK_obj_free(&o);
    moatU_free(b);
    return ok;
}

/* The rule of docs/verify.md a class's escapes are for, when it is one
 * the checker does not claim yet (moatK_unchecked, but for "memory",
 * which runs here): call through a register and the type check are the
 * indirect-call rule's, sp moves the stack rule's. NULL: claimed. Such
 * classes are counted and printed but kept out of the threshold until
 * their rule leaves moatK_unchecked; then they count by themselves. */
static const char *
unclaimed_rule(const char *cls)
{
    const char *rule = NULL;
    if (!strncmp(cls, "call-reg", 8) || strstr(cls, ":type"))
        rule = "indirect-call";
    else if (!strncmp(cls, "rsp-", 4))
        rule = "stack";
    for (const char *const *u = moatK_unchecked; rule && *u; u++)
        if (!strcmp(*u, rule))
            return rule;
    return NULL;
}

static void
print_table(uint64_t *esc_n, uint64_t *esc_rej, uint64_t *un_n,
            uint64_t *un_rej)
{
    printf("\n%-34s %5s %9s %9s %8s  rejected by\n", "class", "kind",
           "mutants", "rejected", "passing");
    for (int kind = MT_ESCAPE; kind >= MT_NOT_ESCAPE; kind--)
        for (unsigned i = 0; i < nclasses; i++) {
            const MClass *c = &classes[i];
            if (c->kind != kind)
                continue;
            const char *un = kind == MT_ESCAPE ? unclaimed_rule(c->name)
                                               : NULL;
            printf("%-34s %5s %9llu %9llu %8llu ", c->name,
                   un ? "esc*" : kind == MT_ESCAPE ? "esc" : "other",
                   (unsigned long long)c->n,
                   (unsigned long long)c->rejected,
                   (unsigned long long)(c->n - c->rejected));
            for (int k = 0; k < K_NRULES; k++)
                if (c->by[k])
                    printf(" %s:%llu", moatK_rule_name[k],
                           (unsigned long long)c->by[k]);
            printf("\n");
            if (un) {
                *un_n += c->n;
                *un_rej += c->rejected;
            } else if (kind == MT_ESCAPE) {
                *esc_n += c->n;
                *esc_rej += c->rejected;
            }
        }
}

int
main(int argc, char **argv)
{
    uint64_t min_escapes = 10000, permille = 999, nskipped = 0;
    int      a = 1, nobjs = 0, bad = 0;
    clock_t  t0 = clock();

    for (; a + 1 < argc && argv[a][0] == '-'; a += 2) {
        if (!strcmp(argv[a], "--min-escapes"))
            min_escapes = strtoull(argv[a + 1], NULL, 10);
        else if (!strcmp(argv[a], "--permille"))
            permille = strtoull(argv[a + 1], NULL, 10);
        else
            break;
    }
    if (a >= argc || argv[a][0] == '-') {
        fprintf(stderr, "usage: mutate [--min-escapes N] [--permille P] "
                        "OBJ...\n");
        return 2;
    }
    if (getenv("MT_SAMPLES"))
        max_samples = (unsigned)strtoul(getenv("MT_SAMPLES"), NULL, 10);
    mrep = calloc(1, sizeof *mrep);
    if (!mrep)
        return 2;
    for (; a < argc; a++, nobjs++)
        if (!mutate_object(argv[a], &nskipped))
            bad++;
    uint64_t n = 0, rej = 0, un = 0, unrej = 0;
    print_table(&n, &rej, &un, &unrej);
    printf("\nesc*: escapes to a rule the checker does not claim yet "
           "(NOT checked:");
    for (const char *const *u = moatK_unchecked; *u; u++)
        if (strcmp(*u, "memory"))
            printf(" %s", *u);
    printf("): %llu mutants, %llu rejected (%.3f%%), %llu passing; all "
           "escapes: %.3f%% rejected\n", (unsigned long long)un,
           (unsigned long long)unrej,
           un ? 100.0 * (double)unrej / (double)un : 0.0,
           (unsigned long long)(un - unrej),
           n + un ? 100.0 * (double)(rej + unrej) / (double)(n + un) : 0.0);
    printf("\n%d objects (%d failed a default rule honest); %llu functions "
           "not mutated (skipped: the memory rule does not prove them "
           "honest); %.1f s CPU\n", nobjs, bad,
           (unsigned long long)nskipped,
           (double)(clock() - t0) / CLOCKS_PER_SEC);
    printf("score (escapes to the rules checked): %llu mutants, %llu "
           "rejected (%.3f%%), %llu passing; need >= %llu mutants and "
           ">= %.1f%%\n",
           (unsigned long long)n, (unsigned long long)rej,
           n ? 100.0 * (double)rej / (double)n : 0.0,
           (unsigned long long)(n - rej), (unsigned long long)min_escapes,
           (double)permille / 10.0);
    /* the checks: each honest object passes the default rules, enough
     * escape mutants, enough of them rejected */
    int few = n < min_escapes, low = rej * 1000 < n * permille;
    if (few)
        printf("FAILED: fewer than %llu escape mutants\n",
               (unsigned long long)min_escapes);
    if (low)
        printf("FAILED: fewer than %.1f%% of the escape mutants rejected\n",
               (double)permille / 10.0);
    printf("%d passed, %d failed\n", nobjs - bad + !few + !low,
           bad + few + low);
    free(mrep);
    return bad || few || low ? 1 : 0;
}
