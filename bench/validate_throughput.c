/* validate_throughput.c - in-process validation throughput: loads every
 * named module into memory, then calls moat_wasm_validate on all of them as
 * one batch, again and again, and prints the median batch time and MB/s
 * (MB = 10^6 bytes). No process start-up or file I/O is timed; bench/validate
 * runs it beside the CLI timings.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "moat_compile.h"

#define MAX_RUNS 100000

typedef struct Input {
    char       *path;       /* owned copy */
    uint8_t    *bytes;
    size_t      len;
} Input;

typedef struct Inputs {
    Input *v;
    size_t n, cap;
} Inputs;

static void
usage(FILE *f)
{
    fprintf(f, "usage: validate_throughput [-t SECONDS] [-n MIN_RUNS] "
               "[-l LISTFILE] [FILE.wasm...]\n"
               "  Validates all files as one batch per run, for at least\n"
               "  SECONDS (default 1) and MIN_RUNS runs (default 5); prints\n"
               "  the median batch time. LISTFILE names one file a line.\n");
}

static double
now_sec(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* Reads the whole file at path into a malloc'd buffer; NULL and a message
 * on failure. */
static uint8_t *
read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    long  size;

    if (!f || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) != 0) {
        fprintf(stderr, "validate_throughput: %s: %s\n", path,
                strerror(errno));
        if (f)
            fclose(f);
        return NULL;
    }
    uint8_t *buf = malloc(size > 0 ? (size_t)size : 1);
    if (!buf || fread(buf, 1, (size_t)size, f) != (size_t)size) {
        fprintf(stderr, "validate_throughput: %s: %s\n", path,
                buf ? "read error" : "out of memory");
        free(buf);
        fclose(f);
        return NULL;
    }
    fclose(f);
    *len = (size_t)size;
    return buf;
}

static int
add_input(Inputs *in, const char *path)
{
    if (in->n == in->cap) {
        size_t cap = in->cap ? in->cap * 2 : 64;
        Input *v = realloc(in->v, cap * sizeof *v);
        if (!v) {
            fprintf(stderr, "validate_throughput: out of memory\n");
            return -1;
        }
        in->v = v;
        in->cap = cap;
    }
    Input *it = &in->v[in->n];
    it->path = strdup(path);
    it->bytes = it->path ? read_file(path, &it->len) : NULL;
    if (!it->bytes) {
        free(it->path);
        return -1;
    }
    in->n++;
    return 0;
}

/* Adds every non-empty line of the list file as a path. */
static int
add_list(Inputs *in, const char *list)
{
    FILE *f = fopen(list, "r");
    char  line[4096];

    if (!f) {
        fprintf(stderr, "validate_throughput: %s: %s\n", list,
                strerror(errno));
        return -1;
    }
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '\0')
            continue;
        if (add_input(in, line) != 0) {
            fclose(f);
            return -1;
        }
    }
    fclose(f);
    return 0;
}

/* One run: validates every input once. Returns the number that failed and
 * prints the first error of each when loud. */
static size_t
validate_all(const Inputs *in, int loud)
{
    size_t nbad = 0;

    for (size_t i = 0; i < in->n; i++) {
        moat_error  err = { 0 };
        moat_status st = moat_wasm_validate(in->v[i].bytes, in->v[i].len,
                                            &err);
        if (st != MOAT_OK) {
            nbad++;
            if (loud)
                fprintf(stderr, "validate_throughput: %s:0x%llx: %s: %s\n",
                        in->v[i].path, (unsigned long long)err.offset,
                        moat_status_string(st), err.msg);
        }
    }
    return nbad;
}

static int
parse_args(int argc, char **argv, Inputs *in, double *secs, long *min_runs)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int         has_val = i + 1 < argc;

        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            exit(0);
        } else if (strcmp(a, "-t") == 0 && has_val) {
            *secs = strtod(argv[++i], NULL);
        } else if (strcmp(a, "-n") == 0 && has_val) {
            *min_runs = strtol(argv[++i], NULL, 10);
        } else if (strcmp(a, "-l") == 0 && has_val) {
            if (add_list(in, argv[++i]) != 0)
                return -1;
        } else if (a[0] == '-') {
            usage(stderr);
            return -1;
        } else if (add_input(in, a) != 0) {
            return -1;
        }
    }
    if (in->n == 0 || *secs < 0 || *min_runs < 1 || *min_runs > MAX_RUNS) {
        usage(stderr);
        return -1;
    }
    return 0;
}

int
main(int argc, char **argv)
{
    Inputs in = { 0 };
    double secs = 1.0;
    long   min_runs = 5;

    if (parse_args(argc, argv, &in, &secs, &min_runs) != 0)
        return 2;
    size_t total = 0;
    for (size_t i = 0; i < in.n; i++)
        total += in.v[i].len;
    if (validate_all(&in, 1) != 0)      /* also the warm-up run */
        return 1;

    double *times = malloc(MAX_RUNS * sizeof *times);
    if (!times) {
        fprintf(stderr, "validate_throughput: out of memory\n");
        return 2;
    }
    long   nruns = 0;
    double start = now_sec();
    while (nruns < MAX_RUNS && (nruns < min_runs || now_sec() - start < secs)) {
        double t0 = now_sec();
        validate_all(&in, 0);
        times[nruns++] = now_sec() - t0;
    }
    qsort(times, (size_t)nruns, sizeof *times, cmp_double);
    double med = nruns % 2 ? times[nruns / 2]
                           : (times[nruns / 2 - 1] + times[nruns / 2]) / 2;
    double mb = (double)total / 1e6;
    printf("validate_throughput: %zu files, %.3f MB, median %.3f ms over %ld "
           "runs, %.1f MB/s\n",
           in.n, mb, med * 1e3, nruns, med > 0 ? mb / med : 0.0);

    for (size_t i = 0; i < in.n; i++) {
        free(in.v[i].path);
        free(in.v[i].bytes);
    }
    free(in.v);
    free(times);
    return 0;
}
