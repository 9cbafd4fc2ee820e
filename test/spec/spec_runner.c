/* spec_runner.c - spec_runner [--verbose] DIR_OR_JSON_OR_WAST...: runs
 * wast2json command files, or .wast scripts read directly (spec_wast.c),
 * against Moat, then prints per-file counts, skip reasons and "N passed,
 * N failed, N skipped".
 * What a command means is spec_cmd.c's job; converting .wast files is
 * run-spec.sh's; JSON parsing is json.c's.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spec.h"

enum { MAX_DIR_DEPTH = 16 };

static const char *
base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

bool
moatT_spec_ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

char *
moatT_spec_join_path(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    char  *p = moatU_alloc(na + nb + 2);

    if (p) {
        memcpy(p, a, na);
        p[na] = '/';
        memcpy(p + na + 1, b, nb + 1);
    }
    return p;
}

bool
moatT_spec_read_file(const char *path, char **out, size_t *len, char *why,
                     size_t nwhy)
{
    FILE  *f = fopen(path, "rb");
    char  *buf = NULL;
    size_t n = 0, cap = 0;

    if (!f) {
        snprintf(why, nwhy, "cannot open: %s", strerror(errno));
        return false;
    }
    for (;;) {
        if (cap - n < 2) {
            size_t want = cap ? cap * 2 : 65536;
            char  *p = want > cap ? moatU_realloc(buf, want) : NULL;
            if (!p) {
                snprintf(why, nwhy, "cannot read: out of memory");
                break;
            }
            buf = p;
            cap = want;
        }
        n += fread(buf + n, 1, cap - n - 1, f);
        if (ferror(f)) {
            snprintf(why, nwhy, "cannot read: %s", strerror(errno));
            break;
        }
        if (feof(f)) {
            fclose(f);
            buf[n] = '\0';
            *out = buf;
            *len = n;
            return true;
        }
    }
    fclose(f);
    moatU_free(buf);
    return false;
}

static void
add_skip(Runner *R, const char *reason)
{
    for (size_t i = 0; i < R->nskips; i++) {
        if (strcmp(R->skips[i].reason, reason) == 0) {
            R->skips[i].count++;
            return;
        }
    }
    if (R->nskips == R->capskips) {
        size_t cap = R->capskips ? R->capskips * 2 : 8;
        Skip  *s = moatU_realloc(R->skips, cap * sizeof *s);
        if (!s)
            return;         /* the skip still counts; only its reason is lost */
        R->skips = s;
        R->capskips = cap;
    }
    size_t n = strlen(reason) + 1;
    char  *copy = moatU_alloc(n);
    if (!copy)
        return;
    memcpy(copy, reason, n);
    R->skips[R->nskips++] = (Skip){ copy, 1 };
}

static void
record(Runner *R, const Cmd *c, Outcome out, const char *why)
{
    const char *file = moatT_json_str(moatT_json_get(c->json, "filename"));
    const char *type = c->type ? c->type : "(no type)";

    R->file.n[out]++;
    R->total.n[out]++;
    if (out == OUT_SKIP)
        add_skip(R, why);
    if (out == OUT_FAIL)
        printf("%s:%lld: %s: %s\n", c->wast, (long long)c->line, type, why);
    else if (R->is_verbose)
        printf("%s:%lld: %s%s%s: %s%s%s%s\n", c->wast, (long long)c->line,
               type, file ? " " : "", file ? file : "",
               out == OUT_PASS ? "pass" : "skipped",
               why[0] ? " (" : "", why, why[0] ? ")" : "");
}

static void
fail_file(Runner *R, const char *what, const char *why)
{
    R->file.n[OUT_FAIL]++;
    R->total.n[OUT_FAIL]++;
    printf("%s: error: %s\n", what, why);
}

/* Expectations of proposal tests that WebAssembly 2.0 overturned: the
 * threads proposal's tests were written against 1.0, where a module with
 * two tables is invalid; reference types (2.0) made it valid. Such a
 * command is counted as skipped with this reason, never as passed. */
static const char *
outdated(const Cmd *c)
{
    const char *text = moatT_json_str(moatT_json_get(c->json, "text"));
    if (strstr(c->wast, "proposals/threads/") && c->type &&
        !strcmp(c->type, "assert_invalid") && text &&
        !strcmp(text, "multiple tables"))
        return "threads proposal test written for 1.0: several tables are "
               "valid since 2.0 (reference types)";
    return NULL;
}

static void
run_command(Runner *R, const Cmd *c)
{
    char        why[WHY_MAX] = "";
    const char *old = outdated(c);
    if (old) {
        record(R, c, OUT_SKIP, old);
        return;
    }
    Outcome out = moatT_spec_command(R, c, why, sizeof why);

    record(R, c, out, why);
}

static void
print_counts(const char *prefix, const Counts *n)
{
    printf("%s%lu passed, %lu failed, %lu skipped\n", prefix, n->n[OUT_PASS],
           n->n[OUT_FAIL], n->n[OUT_SKIP]);
}

/* Runs every command of a parsed file; the root must be
 * {"source_filename": "...", "commands": [...]}. */
static void
run_doc(Runner *R, const char *path, const JsonValue *root, const char *dir)
{
    const JsonValue *cmds = moatT_json_get(root, "commands");
    const char      *wast = moatT_json_str(moatT_json_get(root,
                                                          "source_filename"));
    Cmd              c = { .wast = wast ? wast : path, .dir = dir };

    char             why[WHY_MAX];

    if (!cmds || cmds->kind != JSON_ARRAY) {
        fail_file(R, path, "no \"commands\" array at the top level");
        return;
    }
    if (!moatT_exec_begin(R, why, sizeof why)) {
        fail_file(R, path, why);
        return;
    }
    for (size_t i = 0; i < cmds->len; i++) {
        c.json = moatT_json_at(cmds, i);
        c.type = moatT_json_str(moatT_json_get(c.json, "type"));
        if (!moatT_json_int(moatT_json_get(c.json, "line"), &c.line))
            c.line = 0;
        run_command(R, &c);
    }
    moatT_exec_end(R);
}

static void
print_file_counts(const Runner *R, const char *name)
{
    printf("  %s: ", name);
    print_counts("", &R->file);
}

static void
run_json_text(Runner *R, const char *path, const char *text, size_t len,
              const char *dir)
{
    JsonDoc    doc;
    moat_error err = { .code = MOAT_OK };
    char       why[WHY_MAX];

    if (!moatT_json_parse(&doc, text, len, &err)) {
        snprintf(why, sizeof why, "bad JSON at line %lu (offset %llu): %s",
                 moatT_json_line(text, len, err.offset),
                 (unsigned long long)err.offset, err.msg);
        fail_file(R, path, why);
        print_file_counts(R, base_name(path));
        return;
    }
    const char *wast = moatT_json_str(moatT_json_get(doc.root,
                                                     "source_filename"));
    run_doc(R, path, doc.root, dir);
    print_file_counts(R, base_name(wast ? wast : path));
    moatT_json_free(&doc);
}

/* Module files are looked up beside the .json file. */
static void
run_json_file(Runner *R, const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t      n = slash ? (size_t)(slash - path) : 1, len;
    char        why[WHY_MAX], *text, *dir = moatU_alloc(n + 1);

    R->file = (Counts){ { 0 } };
    if (!dir) {
        fail_file(R, path, "out of memory");
        print_file_counts(R, base_name(path));
        return;
    }
    memcpy(dir, slash ? path : ".", n);
    dir[n] = '\0';
    if (moatT_spec_read_file(path, &text, &len, why, sizeof why)) {
        run_json_text(R, path, text, len, dir);
        moatU_free(text);
    } else {
        fail_file(R, path, why);
        print_file_counts(R, base_name(path));
    }
    moatU_free(dir);
}

static int
compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted entry names of dir, except those starting with '.'. On success
 * *out is owned (free each name and the array with moatU_free). */
static bool
list_dir(const char *dir, char ***out, size_t *count)
{
    DIR    *d = opendir(dir);
    char  **names = NULL;
    size_t  n = 0, cap = 0;

    if (!d)
        return false;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **p = moatU_realloc(names, cap * sizeof *names);
            if (!p)
                goto oom;
            names = p;
        }
        size_t len = strlen(e->d_name) + 1;
        if (!(names[n] = moatU_alloc(len)))
            goto oom;
        memcpy(names[n++], e->d_name, len);
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof *names, compare_names);
    *out = names;
    *count = n;
    return true;
oom:
    closedir(d);
    while (n > 0)
        moatU_free(names[--n]);
    moatU_free(names);
    errno = ENOMEM;
    return false;
}

/* A .wast script read directly (spec_wast.c): its modules go to a
 * scratch folder that is removed afterwards. */
static void
run_wast_file(Runner *R, const char *path)
{
    const char *tmp = getenv("TMPDIR");
    char        dir[4096], why[WHY_MAX], *text, *json;
    size_t      len, jlen;

    R->file = (Counts){ { 0 } };
    snprintf(dir, sizeof dir, "%s/moat-wast-XXXXXX", tmp && *tmp ? tmp
                                                                : "/tmp");
    if (!moatT_spec_read_file(path, &text, &len, why, sizeof why)) {
        fail_file(R, path, why);
    } else if (!mkdtemp(dir)) {
        snprintf(why, sizeof why, "mkdtemp: %s", strerror(errno));
        fail_file(R, path, why);
        moatU_free(text);
    } else {
        if (moatT_wast_to_json(path, text, len, dir, &json, &jlen, why,
                               sizeof why)) {
            run_json_text(R, path, json, jlen, dir);
            moatU_free(json);
        } else {
            fail_file(R, path, why);
            print_file_counts(R, base_name(path));
        }
        moatU_free(text);
        char **names;
        size_t n;
        if (list_dir(dir, &names, &n)) {
            for (size_t i = 0; i < n; i++) {
                char *p = moatT_spec_join_path(dir, names[i]);
                if (p)
                    remove(p);
                moatU_free(p);
                moatU_free(names[i]);
            }
            moatU_free(names);
        }
        rmdir(dir);
        return;
    }
    print_file_counts(R, base_name(path));
}

/* Runs every *.json below dir in name order (symlinked folders are not
 * entered, so there are no loops); returns how many it found. */
static unsigned long
run_dir(Runner *R, const char *dir, int depth)
{
    char          why[WHY_MAX], **names;
    size_t        n;
    unsigned long found = 0;

    if (depth > MAX_DIR_DEPTH) {
        fail_file(R, dir, "directories nested too deep");
        return 0;
    }
    if (!list_dir(dir, &names, &n)) {
        snprintf(why, sizeof why, "cannot list directory: %s",
                 strerror(errno));
        fail_file(R, dir, why);
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        char       *path = moatT_spec_join_path(dir, names[i]);
        struct stat st;
        if (!path) {
            fail_file(R, dir, "out of memory");
        } else if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
            found += run_dir(R, path, depth + 1);
        } else if (moatT_spec_ends_with(names[i], ".json")) {
            found++;
            run_json_file(R, path);
        } else if (moatT_spec_ends_with(names[i], ".wast")) {
            found++;
            run_wast_file(R, path);
        }
        moatU_free(path);
        moatU_free(names[i]);
    }
    moatU_free(names);
    return found;
}

static void
run_arg(Runner *R, const char *arg)
{
    struct stat st;

    if (stat(arg, &st) == 0 && S_ISDIR(st.st_mode)) {
        if (run_dir(R, arg, 0) == 0)
            fail_file(R, arg, "no .json files found");
    } else if (moatT_spec_ends_with(arg, ".wast")) {
        run_wast_file(R, arg);
    } else {
        run_json_file(R, arg);      /* reports a missing file itself */
    }
}

static int
compare_skips(const void *a, const void *b)
{
    const Skip *x = a, *y = b;

    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return strcmp(x->reason, y->reason);
}

static void
print_summary(Runner *R)
{
    unsigned long grouped = 0;

    if (R->nskips)
        qsort(R->skips, R->nskips, sizeof *R->skips, compare_skips);
    for (size_t i = 0; i < R->nskips; i++) {
        printf("skipped %lu: %s\n", R->skips[i].count, R->skips[i].reason);
        grouped += R->skips[i].count;
    }
    if (grouped < R->total.n[OUT_SKIP])
        printf("skipped %lu: (reason lost: out of memory)\n",
               R->total.n[OUT_SKIP] - grouped);
    printf("validation of binary modules (module, assert_malformed, "
           "assert_invalid, assert_unlinkable, assert_uninstantiable): "
           "%lu right, %lu wrong\n", R->nvalid_ok, R->nvalid_wrong);
    if (R->nmsg_differs)
        printf("note: %lu rejections had the right category but a message "
               "not starting with the spec's text (see --verbose)\n",
               R->nmsg_differs);
    print_counts("", &R->total);
}

static int
usage(void)
{
    fprintf(stderr, "usage: spec_runner [--verbose] DIR_OR_JSON_OR_WAST...\n"
            "Runs wast2json output (foo.json with its module files beside "
            "it)\nor .wast scripts directly (no wast2json); a DIR is "
            "searched for *.json\nand *.wast. Exit status 1 if any "
            "command failed.\n");
    return 2;
}

int
main(int argc, char **argv)
{
    Runner R = { .is_verbose = false };
    int    ninputs = 0;
    bool   is_opt_done = false;

    for (int i = 1; i < argc; i++) {
        if (is_opt_done || argv[i][0] != '-')
            ninputs++;
        else if (strcmp(argv[i], "--") == 0)
            is_opt_done = true;
        else if (strcmp(argv[i], "--verbose") == 0 ||
                 strcmp(argv[i], "-v") == 0)
            R.is_verbose = true;
        else
            return usage();
    }
    if (ninputs == 0)
        return usage();
    is_opt_done = false;
    for (int i = 1; i < argc; i++) {
        if (is_opt_done || argv[i][0] != '-')
            run_arg(&R, argv[i]);
        else if (strcmp(argv[i], "--") == 0)
            is_opt_done = true;
    }
    print_summary(&R);
    moatT_exec_free(&R);
    for (size_t i = 0; i < R.nskips; i++)
        moatU_free(R.skips[i].reason);
    moatU_free(R.skips);
    return R.total.n[OUT_FAIL] ? 1 : 0;
}

