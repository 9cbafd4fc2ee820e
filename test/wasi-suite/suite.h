/* suite.h - the WASI testsuite runner (test/wasi-suite): one section per
 * file. Test-only code, plain libc and POSIX (it drives `moat run` as a
 * child process and links nothing of Moat); externs use the moatT_ prefix.
 */
#ifndef MOAT_TEST_WASI_SUITE_H
#define MOAT_TEST_WASI_SUITE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* A test's JSON specification, in the simple form of the testsuite's
 * README (`args`, `env`, `root`, `exit_code`, `stdout`, `stderr`) plus the
 * older `dirs`. Every string is heap-owned and NUL-terminated; the
 * expected outputs may hold NULs, so they carry lengths. */
typedef struct Spec {
    char  **args;
    size_t  nargs;
    char  **env;                /* "NAME=VALUE", the complete guest env */
    size_t  nenv;
    char   *root;               /* NULL: no preopened root */
    char  **dirs;               /* legacy: each preopened under its name */
    size_t  ndirs;
    long    exit_code;
    char   *want_out;           /* NULL: stdout not checked */
    size_t  want_outlen;
    char   *want_err;           /* NULL: stderr not checked */
    size_t  want_errlen;
    char    skip[200];          /* non-empty: this spec cannot be followed */
} Spec;

/* spec_json.c: reads text[0..len) into *s (zeroed first). false with a
 * message in why[0..nwhy) when the text is not JSON or not the format; a
 * well-formed spec that asks for something the runner cannot do (an
 * unknown key, the operation-based form, an env name with '=') returns
 * true with s->skip set. moatT_spec_free frees what *s holds. */
bool moatT_spec_parse(const char *text, size_t len, Spec *s, char *why,
                      size_t nwhy);
void moatT_spec_free(Spec *s);

/* fixture.c: copies the tree at src (files, directories, symbolic links)
 * into dst, which must not exist; the copies are writable by the owner
 * even where the source is read-only. Removes a tree (a missing one is
 * fine). Both return false with errno-based text in why. */
bool moatT_tree_copy(const char *src, const char *dst, char *why,
                     size_t nwhy);
bool moatT_tree_remove(const char *path, char *why, size_t nwhy);

/* child.c: what a finished child did. Output beyond CHILD_MAX_OUT bytes per
 * stream is read and dropped (so the child never blocks on a full pipe). */
enum { CHILD_MAX_OUT = 1 << 20 };

typedef struct ChildResult {
    bool    is_started;         /* false: spawn failed (see why) */
    bool    is_timed_out;       /* killed after the deadline */
    bool    is_signaled;
    int     code;               /* exit status, or the signal number */
    char   *out;                /* heap, NUL-terminated, outlen bytes */
    size_t  outlen;
    char   *err;
    size_t  errlen;
    double  seconds;            /* wall time */
    char    why[200];
} ChildResult;

/* Runs argv (argv[0] a path) with exactly envp as its environment, stdin
 * from /dev/null, stdout and stderr captured; kills its process group after
 * timeout_s seconds. Safe to call from several threads at once. */
void moatT_child_run(char *const argv[], char *const envp[],
                     double timeout_s, ChildResult *r);
void moatT_child_free(ChildResult *r);

/* run_test.c: how to run tests, one test, and what came of it. */
typedef struct Config {
    const char  *moat;          /* the `moat` executable */
    const char  *suite;         /* the wasi-testsuite checkout */
    const char  *work;          /* where private fixture copies go */
    const char  *cache;         /* MOAT_CACHE_DIR for every run */
    const char **moat_args;     /* extra words after `moat run` (-O1) */
    size_t       nmoat_args;
    double       timeout_s;
    bool         is_verbose;
    bool         is_keep;       /* keep fixture copies (debugging) */
} Config;

typedef enum Outcome { OUT_PASS, OUT_FAIL, OUT_SKIP, NOUT } Outcome;

typedef struct Test {
    char    *name;              /* "rust/fd_readdir" */
    char    *wasm;              /* path of the module */
    char    *json;              /* path of its spec, NULL if none */
    Outcome  outcome;
    char    *reason;            /* heap; why it failed or was skipped */
    char    *detail;            /* heap, verbose only: command + output */
    double   seconds;
} Test;

void moatT_test_run(const Config *c, Test *t);

#endif
