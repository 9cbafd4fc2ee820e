/* wasi_suite.c - the WASI testsuite runner: finds every test module under
 * SUITE/tests/{c,rust,assemblyscript}/testsuite/wasm32-wasip1/, runs each
 * through `moat run` (run_test.c) on --jobs threads, prints a line per
 * failure and per skip with its reason, and the totals
 * "N passed, N failed, N skipped". Exit 1 on any failure, 77 (skip) when
 * the suite is absent, 2 on bad usage.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "suite.h"

enum { EXIT_SKIP = 77, EXIT_USAGE = 2, MAX_JOBS = 64, MAX_MOAT_ARGS = 16 };

static const char *const langs[] = { "c", "rust", "assemblyscript" };

typedef struct Runner {
    const Config    *cfg;
    Test            *tests;
    size_t           ntests;
    atomic_size_t    next;
    pthread_mutex_t  print;
} Runner;

static int
usage(void)
{
    fprintf(stderr,
            "usage: wasi_suite --moat PATH --suite DIR [--cache DIR] "
            "[--work DIR]\n"
            "                  [--jobs N] [--filter SUBSTR] [--timeout S] "
            "[--moat-arg ARG]...\n"
            "                  [--verbose] [--keep]\n");
    return EXIT_USAGE;
}

static int
by_name(const void *a, const void *b)
{
    return strcmp(((const Test *)a)->name, ((const Test *)b)->name);
}

static bool
add_test(Runner *R, const char *lang, const char *dir, const char *file)
{
    Test  *nt = realloc(R->tests, (R->ntests + 1) * sizeof *nt);
    size_t base = strlen(file) - strlen(".wasm");
    char  *json = NULL;

    if (!nt)
        return false;
    R->tests = nt;
    Test *t = &nt[R->ntests];
    memset(t, 0, sizeof *t);
    if (asprintf(&t->name, "%s/%.*s", lang, (int)base, file) < 0 ||
        asprintf(&t->wasm, "%s/%s", dir, file) < 0 ||
        asprintf(&json, "%s/%.*s.json", dir, (int)base, file) < 0)
        return false;
    if (access(json, F_OK) == 0)
        t->json = json;
    else
        free(json);
    R->ntests++;
    return true;
}

/* Every *.wasm of one language's directory that matches the filter.
 * false: the directory is missing (or memory ran out). */
static bool
find_tests(Runner *R, const char *suite, const char *lang,
           const char *filter)
{
    char *dir = NULL;
    if (asprintf(&dir, "%s/tests/%s/testsuite/wasm32-wasip1", suite,
                 lang) < 0)
        return false;
    DIR *d = opendir(dir);
    bool ok = d != NULL;
    for (struct dirent *e; ok && (e = readdir(d)) != NULL;) {
        size_t n = strlen(e->d_name);
        if (n <= 5 || strcmp(e->d_name + n - 5, ".wasm") != 0)
            continue;
        char name[512];
        snprintf(name, sizeof name, "%s/%s", lang, e->d_name);
        if (filter && !strstr(name, filter))
            continue;
        ok = add_test(R, lang, dir, e->d_name);
    }
    if (d)
        closedir(d);
    free(dir);
    return ok;
}

static void
report(Runner *R, const Test *t)
{
    static const char *const word[NOUT] = { "PASS", "FAIL", "SKIP" };

    pthread_mutex_lock(&R->print);
    if (t->outcome != OUT_PASS || R->cfg->is_verbose)
        printf("%s %s (%.2f s): %s\n", word[t->outcome], t->name,
               t->seconds, t->reason ? t->reason : "out of memory");
    if (t->detail && (t->outcome != OUT_PASS || R->cfg->is_verbose))
        fputs(t->detail, stdout);
    fflush(stdout);
    pthread_mutex_unlock(&R->print);
}

static void *
worker(void *arg)
{
    Runner *R = arg;

    for (;;) {
        size_t i = atomic_fetch_add(&R->next, 1);
        if (i >= R->ntests)
            return NULL;
        moatT_test_run(R->cfg, &R->tests[i]);
        report(R, &R->tests[i]);
    }
}

static void
run_all(Runner *R, unsigned jobs)
{
    pthread_t th[MAX_JOBS];
    unsigned  n = 0;

    for (; n < jobs; n++)
        if (pthread_create(&th[n], NULL, worker, R) != 0)
            break;
    if (n == 0)
        worker(R);              /* no thread to be had: run them here */
    for (unsigned i = 0; i < n; i++)
        pthread_join(th[i], NULL);
}

static bool
make_dir(const char *path)
{
    if (mkdir(path, 0755) == 0 || errno == EEXIST)
        return true;
    fprintf(stderr, "wasi_suite: mkdir %s: %s\n", path, strerror(errno));
    return false;
}

static double
now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Totals per language and overall; returns the number of failures. */
static size_t
totals(const Runner *R, double seconds)
{
    size_t all[NOUT] = { 0 };

    for (size_t l = 0; l < sizeof langs / sizeof langs[0]; l++) {
        size_t n[NOUT] = { 0 }, len = strlen(langs[l]);
        for (size_t i = 0; i < R->ntests; i++)
            if (!strncmp(R->tests[i].name, langs[l], len) &&
                R->tests[i].name[len] == '/')
                n[R->tests[i].outcome]++;
        printf("  %-15s %zu passed, %zu failed, %zu skipped\n", langs[l],
               n[OUT_PASS], n[OUT_FAIL], n[OUT_SKIP]);
    }
    for (size_t i = 0; i < R->ntests; i++)
        all[R->tests[i].outcome]++;
    printf("wasi-testsuite: %zu tests in %.1f s\n", R->ntests, seconds);
    printf("%zu passed, %zu failed, %zu skipped\n", all[OUT_PASS],
           all[OUT_FAIL], all[OUT_SKIP]);
    return all[OUT_FAIL];
}

/* Reads the options into c; returns -1 when all is well, else an exit
 * status. */
static int
options(int argc, char **argv, Config *c, unsigned *jobs,
        const char **filter)
{
    static const char *moat_args[MAX_MOAT_ARGS];

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--verbose") || !strcmp(a, "-v")) {
            c->is_verbose = true;
            continue;
        }
        if (!strcmp(a, "--keep")) {
            c->is_keep = true;
            continue;
        }
        if (!v)
            return usage();
        i++;
        if (!strcmp(a, "--moat"))
            c->moat = v;
        else if (!strcmp(a, "--suite"))
            c->suite = v;
        else if (!strcmp(a, "--cache"))
            c->cache = v;
        else if (!strcmp(a, "--work"))
            c->work = v;
        else if (!strcmp(a, "--filter"))
            *filter = v;
        else if (!strcmp(a, "--jobs") && atoi(v) > 0 && atoi(v) <= MAX_JOBS)
            *jobs = (unsigned)atoi(v);
        else if (!strcmp(a, "--timeout") && atof(v) > 0)
            c->timeout_s = atof(v);
        else if (!strcmp(a, "--moat-arg") && c->nmoat_args < MAX_MOAT_ARGS)
            moat_args[c->nmoat_args++] = v;
        else
            return usage();
    }
    c->moat_args = moat_args;
    if (!c->moat || !c->suite)
        return usage();
    if (access(c->moat, X_OK) != 0) {
        fprintf(stderr, "wasi_suite: %s is not executable\n", c->moat);
        return EXIT_USAGE;
    }
    return -1;
}

int
main(int argc, char **argv)
{
    Config      c = { .timeout_s = 60, .work = "/tmp" };
    unsigned    jobs = 2;
    const char *filter = NULL;
    Runner      R = { .cfg = &c, .print = PTHREAD_MUTEX_INITIALIZER };
    int         rc = options(argc, argv, &c, &jobs, &filter);
    struct stat st;

    if (rc >= 0)
        return rc;
    if (stat(c.suite, &st) != 0 || !S_ISDIR(st.st_mode)) {
        printf("SKIP wasi-testsuite: %s not found (the suite lives in "
               "../shared/wasi-testsuite beside the source tree)\n",
               c.suite);
        return EXIT_SKIP;
    }
    if (!c.cache)
        c.cache = c.work;
    if (!make_dir(c.work) || !make_dir(c.cache))
        return EXIT_USAGE;
    for (size_t l = 0; l < sizeof langs / sizeof langs[0]; l++)
        if (!find_tests(&R, c.suite, langs[l], filter)) {
            printf("FAIL %s: no tests/%s/testsuite/wasm32-wasip1 in %s\n",
                   langs[l], langs[l], c.suite);
            return 1;
        }
    if (R.ntests == 0) {
        printf("no test matches '%s'\n", filter ? filter : "");
        return 1;
    }
    qsort(R.tests, R.ntests, sizeof *R.tests, by_name);
    printf("wasi-testsuite: %zu tests from %s, %u jobs, moat %s\n",
           R.ntests, c.suite, jobs, c.moat);
    fflush(stdout);
    double t0 = now();
    run_all(&R, jobs);
    size_t nfail = totals(&R, now() - t0);
    for (size_t i = 0; i < R.ntests; i++) {
        free(R.tests[i].name);
        free(R.tests[i].wasm);
        free(R.tests[i].json);
        free(R.tests[i].reason);
        free(R.tests[i].detail);
    }
    free(R.tests);
    return nfail ? 1 : 0;
}
