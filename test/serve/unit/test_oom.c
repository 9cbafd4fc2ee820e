/* test_oom.c - allocation failures in routes.c and cgi_env.c: the k-th
 * allocation fails, k = 1, 2, ... until the call succeeds; each failure
 * must be reported (false with "out of memory", or NULL), leave the
 * route table as it was, and leak nothing (ASan's leak check, in the
 * sanitizer build). The allocator is swapped with the linker's --wrap,
 * which reaches the calls made by serve/'s objects and this file only.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../../serve/serve.h"

/* ---- the failing allocator ---- */

static long fail_at;            /* 0: never fail */
static long nallocs;

static bool
fails(void)
{
    return fail_at && ++nallocs == fail_at;
}

void *__real_malloc(size_t n);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);
int   __wrap_asprintf(char **s, const char *fmt, ...);

void *
__wrap_malloc(size_t n)
{
    return fails() ? NULL : __real_malloc(n);
}

void *
__wrap_realloc(void *p, size_t n)
{
    return fails() ? NULL : __real_realloc(p, n);
}

char *
__wrap_strdup(const char *s)
{
    return fails() ? NULL : __real_strdup(s);
}

char *
__wrap_strndup(const char *s, size_t n)
{
    return fails() ? NULL : __real_strndup(s, n);
}

int
__wrap_asprintf(char **s, const char *fmt, ...)
{
    if (fails())
        return -1;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(s, fmt, ap);
    va_end(ap);
    return n;
}

/* Arms the allocator to fail its k-th allocation from now. */
static void
arm(long k)
{
    nallocs = 0;
    fail_at = k;
}

/* ---- the loops ---- */

static const char ini[] =
    "[defaults]\n"
    "timeout = 10s\n"
    "env = A=1\n"
    "dir = shared\n"
    "[route \"/hello\"]\n"
    "module = hello.wasm\n"
    "env = B=2\n"
    "dir = data::/data\n"
    "dir = /abs\n"
    "[route \"/api/...\"]\n"
    "module = api.wasm\n"
    "[route \"/b\"]\n"
    "module = b.wasm\n"
    "[route \"/c\"]\n"
    "module = c.wasm\n"
    "[route \"/d\"]\n"
    "module = d.wasm\n"
    "[route \"/e\"]\n"
    "module = e.wasm\n"
    "[route \"/f\"]\n"
    "module = f.wasm\n"
    "[route \"/g\"]\n"
    "module = g.wasm\n"
    "[route \"/h\"]\n"
    "module = h.wasm\n";

static void
route_file_oom(void **state)
{
    (void)state;
    char  dir[] = "/tmp/moat-oom-XXXXXX", path[64], err[256];
    long  k;

    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/r.ini", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(ini, f);
    fclose(f);
    for (k = 1;; k++) {
        ServeRoutes r = { 0 };
        assert_true(serve_routes_add_arg(&r, "/x=x.wasm", err, sizeof err));
        arm(k);
        bool ok = serve_routes_load_file(&r, path, err, sizeof err);
        arm(0);
        if (ok) {
            assert_true(nallocs < k);
            assert_int_equal(r.n, 10);
            assert_int_equal(r.v[1].nenvs, 2);
            serve_routes_free(&r);
            break;
        }
        if (!strstr(err, "out of memory"))
            fail_msg("allocation %ld: \"%s\"", k, err);
        assert_int_equal(r.n, 1);
        serve_routes_free(&r);
    }
    assert_true(k > 20);
    unlink(path);
    rmdir(dir);
}

static void
route_arg_oom(void **state)
{
    (void)state;
    char err[256];
    long k;

    for (k = 1;; k++) {
        ServeRoutes r = { 0 };
        arm(k);
        bool ok = serve_routes_add_arg(&r, "/a/...=a.wasm", err, sizeof err);
        arm(0);
        if (ok) {
            assert_int_equal(r.n, 1);
            serve_routes_free(&r);
            break;
        }
        assert_non_null(strstr(err, "out of memory"));
        assert_int_equal(r.n, 0);
        serve_routes_free(&r);
    }
    assert_true(k > 3);
}

static void
env_and_argv_oom(void **state)
{
    (void)state;
    char            *envs[] = { "A=1", "B=2" };
    ServeRoute       rt = { .pattern = "/api/...", .prefix = "/api",
                            .is_wildcard = true, .module = "m",
                            .envs = envs, .nenvs = 2 };
    ServeHeader      h[] = { { "Accept", "a" }, { "Accept", "b" },
                             { "Host", "h" } };
    ServeRequestInfo ri = {
        .method = "GET", .raw_path = "/api/x", .path = "/api/x",
        .query = "a=1&b", .protocol = "HTTP/1.1", .server_name = "h",
        .server_port = 80, .remote_addr = "1.2.3.4", .headers = h,
        .nheaders = 3, .route = &rt, .path_info = "/x", .scheme = "http",
    };
    long k;

    for (k = 1;; k++) {
        size_t n = 0;
        arm(k);
        char **env = serve_cgi_env(&ri, &n);
        arm(0);
        if (env) {
            assert_int_equal(n, 19 + 4);
            serve_strv_free(env);
            break;
        }
    }
    assert_true(k > 3);
    arm(1);
    size_t n = 0;
    assert_null(serve_cgi_argv(&ri, &n));
    arm(0);
    char **v = serve_cgi_argv(&ri, &n);
    assert_non_null(v);
    assert_int_equal(n, 3);
    serve_strv_free(v);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(route_file_oom),
        cmocka_unit_test(route_arg_oom),
        cmocka_unit_test(env_and_argv_oom),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
