/* test_routes.c - routes.c: the route file (a full example, paths made
 * relative to the file, [defaults], what inih alone would get wrong:
 * long section names, empty sections, indented keys), every error with
 * its "FILE:LINE: reason", `--route` arguments, and matching precedence.
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

static char tmpdir[] = "/tmp/moat-routes-XXXXXX";
static char ini_path[64];

/* Writes text (n bytes, or strlen) as the route file. */
static void
write_ini(const char *text, size_t n)
{
    FILE *f = fopen(ini_path, "w");
    assert_non_null(f);
    if (!n)
        n = strlen(text);
    assert_int_equal(fwrite(text, 1, n, f), n);
    fclose(f);
}

static bool
load(ServeRoutes *r, const char *text, char *err, size_t errlen)
{
    write_ini(text, 0);
    err[0] = '\0';
    return serve_routes_load_file(r, ini_path, err, errlen);
}

/* The file fails with "FILE:line: " then a reason starting with want,
 * and leaves the table as it was. */
static void
expect_error_n(const char *text, size_t n, int line, const char *want)
{
    ServeRoutes r = { 0 };
    char        err[512], head[128];

    assert_true(serve_routes_add_arg(&r, "/taken=t.wasm", err, sizeof err));
    write_ini(text, n);
    if (serve_routes_load_file(&r, ini_path, err, sizeof err))
        fail_msg("loaded, want line %d: %s\n%s", line, want, text);
    snprintf(head, sizeof head, "%s:%d: ", ini_path, line);
    if (strncmp(err, head, strlen(head)) ||
        strncmp(err + strlen(head), want, strlen(want)))
        fail_msg("got \"%s\", want \"%s%s...\"", err, head, want);
    assert_int_equal(r.n, 1);
    serve_routes_free(&r);
}

static void
expect_error(const char *text, int line, const char *want)
{
    expect_error_n(text, 0, line, want);
}

static char *
in_dir(const char *rel)
{
    static char buf[4][128];
    static int  k;
    char       *s = buf[k++ % 4];
    snprintf(s, sizeof buf[0], "%s/%s", tmpdir, rel);
    return s;
}

static void
full_example(void **state)
{
    (void)state;
    ServeRoutes r = { 0 };
    char        err[512];

    assert_true(load(&r,
        "# defaults for every route (optional section)\n"
        "[defaults]\n"
        "timeout = 10s\n"
        "max-memory = 64M\n"
        "env = WHO=defaults\n"
        "\n"
        "[route \"/hello\"]\n"
        "module = hello.wasm            ; relative to the file's dir\n"
        "env = GREETING=hi              ; repeatable\n"
        "env = WHO=route\n"
        "dir = /srv/static::/static     ; HOST[::GUEST]\n"
        "dir = data\n"
        "dir = sub/x::/x\n"
        "timeout = 2s\n"
        "max-memory = 32M\n"
        "\n"
        "[route \"/api/...\"]             ; a prefix\n"
        "module = /abs/api.so\n"
        "[route \"/...\"]\n"
        "module = native:hello\n",
        err, sizeof err));
    assert_string_equal(err, "");
    assert_int_equal(r.n, 3);

    const ServeRoute *h = &r.v[0];
    assert_string_equal(h->pattern, "/hello");
    assert_string_equal(h->prefix, "/hello");
    assert_false(h->is_wildcard);
    assert_string_equal(h->module, in_dir("hello.wasm"));
    assert_int_equal(h->nenvs, 3);      /* defaults first: the route wins */
    assert_string_equal(h->envs[0], "WHO=defaults");
    assert_string_equal(h->envs[1], "GREETING=hi");
    assert_string_equal(h->envs[2], "WHO=route");
    assert_int_equal(h->ndirs, 3);
    assert_string_equal(h->dirs[0], "/srv/static::/static");
    char want[160];
    snprintf(want, sizeof want, "%s::data", in_dir("data"));
    assert_string_equal(h->dirs[1], want);
    snprintf(want, sizeof want, "%s::/x", in_dir("sub/x"));
    assert_string_equal(h->dirs[2], want);
    assert_true(h->timeout_ns == UINT64_C(2000000000));
    assert_true(h->max_memory == UINT64_C(32) << 20);

    const ServeRoute *a = &r.v[1];
    assert_string_equal(a->pattern, "/api/...");
    assert_string_equal(a->prefix, "/api");
    assert_true(a->is_wildcard);
    assert_string_equal(a->module, "/abs/api.so");
    assert_true(a->timeout_ns == UINT64_C(10000000000));
    assert_true(a->max_memory == UINT64_C(64) << 20);
    assert_int_equal(a->nenvs, 1);
    assert_int_equal(a->ndirs, 0);

    assert_string_equal(r.v[2].prefix, "");
    assert_true(r.v[2].is_wildcard);
    assert_string_equal(r.v[2].module, "native:hello");
    serve_routes_free(&r);
    serve_routes_free(&r);              /* emptied: a no-op */
}

/* What inih alone gets wrong: section names past 50 bytes, lines that
 * start with blanks (continuations), a byte order mark; comments longer
 * than its line buffer. */
static void
inih_edges(void **state)
{
    (void)state;
    ServeRoutes r = { 0 };
    char        err[512], text[1024], comment[601], pattern[160];

    memset(pattern, 'p', sizeof pattern);
    pattern[0] = '/';
    strcpy(pattern + 120, "/...");
    memset(comment, '#', 600);
    comment[600] = '\0';
    snprintf(text, sizeof text,
             "\xef\xbb\xbf[route \"%s\"]\n"     /* 1 */
             "    module = a.wasm\n"               /* 2: indented keys */
             "    env = A=1\n"                     /* 3 */
             "\tenv = B=2\n"                       /* 4 */
             "%s\n"                                /* 5: 600 bytes */
             "  [ route \"/b\" ]  ; blanks are fine\n"
             "module=b.wasm\n", pattern, comment);
    assert_true(load(&r, text, err, sizeof err));
    assert_int_equal(r.n, 2);
    assert_string_equal(r.v[0].pattern, pattern);
    assert_string_equal(r.v[0].module, in_dir("a.wasm"));
    assert_int_equal(r.v[0].nenvs, 2);
    assert_string_equal(r.v[0].envs[0], "A=1");
    assert_string_equal(r.v[0].envs[1], "B=2");
    assert_string_equal(r.v[1].pattern, "/b");
    serve_routes_free(&r);
    /* lines are counted across all that */
    strcat(text, "module2 = x\n");
    expect_error(text, 8, "unknown key 'module2'");
    /* a byte order mark only counts on line 1 */
    expect_error("# c\n\xef\xbb\xbf[route \"/a\"]\nmodule = a\n", 2,
                 "want NAME = VALUE");
}

static void
syntax_errors(void **state)
{
    (void)state;
    expect_error("[route \"/a\"]\nmodule a.wasm\n", 2, "want NAME = VALUE");
    expect_error("\n\n; c\n[route \"/a\"\nmodule = a\n", 4,
                 "section header without a closing ']'");
    expect_error("[route /a]\nmodule = a\n", 1, "want [route \"PATH\"] with");
    expect_error("[route \"/a]\nmodule = a\n", 1, "want [route \"PATH\"] with");
    expect_error("[route\"/a\"]\nmodule = a\n", 1, "unknown section");
    expect_error("[routes \"/a\"]\nmodule = a\n", 1, "unknown section "
                 "[routes \"/a\"]");
    expect_error("[default]\n", 1, "unknown section [default]");
    expect_error("[defaults] x\n", 1, "text after the section's closing");
    expect_error("[route \"/a\"]]\n", 1, "want [route \"PATH\"] with");
    expect_error("module = a\n[route \"/a\"]\n", 1, "'module' outside a "
                 "section");
    char long_line[300];
    memset(long_line, 'x', sizeof long_line);
    memcpy(long_line, "[route \"/a\"]\nmodule = ", 22);
    strcpy(long_line + 250, "\n");
    expect_error(long_line, 2, "line longer than");
    static const char nul[] = "[route \"/a\"]\nmodule = a\0b\n";
    expect_error_n(nul, sizeof nul - 1, 2, "NUL byte");
    expect_error("", 1, "no [route \"PATH\"] section");
    expect_error("[defaults]\ntimeout = 1s\n", 2, "no [route \"PATH\"] "
                 "section");
}

static void
section_errors(void **state)
{
    (void)state;
    expect_error("[route \"a\"]\nmodule = a\n", 1,
                 "a route pattern must start with '/': \"a\"");
    expect_error("[route \"\"]\nmodule = a\n", 1,
                 "a route pattern must start with '/'");
    expect_error("[route \"/a/.../b\"]\nmodule = a\n", 1,
                 "\"/...\" may only end a route pattern");
    expect_error("[route \"/a/...x\"]\nmodule = a\n", 1, "\"/...\" may only");
    expect_error("[route \"/.../...\"]\nmodule = a\n", 1, "\"/...\" may only");
    expect_error("[route \"/a b\"]\nmodule = a\n", 1, "a route pattern "
                 "cannot contain spaces");
    expect_error("[route \"/a?b\"]\nmodule = a\n", 1, "a route pattern "
                 "cannot contain '?'");
    expect_error("[route \"/a\"]\nmodule = a\n\n[route \"/a\"]\n", 4,
                 "route \"/a\" given twice (first at line 1)");
    expect_error("[route \"/taken\"]\nmodule = a\n", 1,
                 "route \"/taken\" is already defined");
    expect_error("[defaults]\n[defaults]\n[route \"/a\"]\nmodule = a\n", 2,
                 "[defaults] given twice (first at line 1)");
    /* a route needs a module, even an empty section */
    expect_error("[route \"/a\"]\nmodule = a\n# x\n[route \"/b\"]\n", 4,
                 "route \"/b\" has no module");
    expect_error("[route \"/b\"]\nenv = A=1\n[route \"/a\"]\nmodule = a\n", 1,
                 "route \"/b\" has no module");
    /* keys of a bad section are not reported: its header is */
    expect_error("[bad]\nnonsense = 1\n", 1, "unknown section [bad]");
}

static void
key_errors(void **state)
{
    (void)state;
    expect_error("[route \"/a\"]\nmodule = a\nmodul = b\n", 3,
                 "unknown key 'modul' (want module, env, dir, timeout or "
                 "max-memory)");
    expect_error("[route \"/a\"]\nmodule =\n", 2,
                 "module = : want the path");
    expect_error("[route \"/a\"]\nmodule = a\nmodule = b\n", 3,
                 "'module' given twice in this section");
    expect_error("[route \"/a\"]\nmodule = a\ntimeout = 1s\ntimeout = 2s\n",
                 4, "'timeout' given twice");
    expect_error("[route \"/a\"]\nmodule = a\ntimeout = 2x\n", 3,
                 "timeout = 2x: want a duration such as 500ms, 2s or 1m");
    expect_error("[route \"/a\"]\nmodule = a\ntimeout = 0\n", 3,
                 "timeout = 0: want a duration");
    expect_error("[route \"/a\"]\nmodule = a\ntimeout =\n", 3,
                 "timeout = : want a duration");
    expect_error("[route \"/a\"]\nmodule = a\nmax-memory = lots\n", 3,
                 "max-memory = lots: want a size such as 65536, 64K, 16M "
                 "or 1G");
    expect_error("[route \"/a\"]\nmodule = a\nmax-memory = -1\n", 3,
                 "max-memory = -1: want a size");
    expect_error("[route \"/a\"]\nmodule = a\nenv = NOEQUALS\n", 3,
                 "env = NOEQUALS: want NAME=VALUE");
    expect_error("[route \"/a\"]\nmodule = a\nenv = =v\n", 3,
                 "env = =v: want NAME=VALUE");
    expect_error("[route \"/a\"]\nmodule = a\ndir = ::/g\n", 3,
                 "dir = ::/g: want HOST[::GUEST] with a HOST");
    expect_error("[route \"/a\"]\nmodule = a\ndir = h::\n", 3,
                 "dir = h::: want HOST[::GUEST] with a GUEST");
    expect_error("[defaults]\nmodule = a\n[route \"/a\"]\nmodule = a\n", 2,
                 "'module' is not allowed in [defaults]");
    expect_error("[defaults]\ntimeout = soon\n[route \"/a\"]\nmodule = a\n",
                 2, "timeout = soon");
    /* the first error in the file is the one reported */
    expect_error("[route \"/a\"]\nmodule = a\nx = 1\ny = 2\n", 3,
                 "unknown key 'x'");
    expect_error("[route \"/b\"]\nenv = A=1\n[route \"/a\"]\nmodule = a\n"
                 "junk\n", 5, "want NAME = VALUE");
}

static void
file_errors_and_plain_names(void **state)
{
    (void)state;
    ServeRoutes r = { 0 };
    char        err[512], cwd[512];

    assert_false(serve_routes_load_file(&r, "/nonexistent/routes.ini", err,
                                        sizeof err));
    assert_string_equal(err, "/nonexistent/routes.ini: No such file or "
                             "directory");
    assert_int_equal(r.n, 0);
    /* a file named without a directory: its paths are left as written */
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(tmpdir), 0);
    write_ini("[route \"/a\"]\nmodule = a.wasm\ndir = d\n", 0);
    assert_true(serve_routes_load_file(&r, "routes.ini", err, sizeof err));
    assert_int_equal(chdir(cwd), 0);
    assert_string_equal(r.v[0].module, "a.wasm");
    assert_string_equal(r.v[0].dirs[0], "d::d");
    /* a second file appends; its patterns may not repeat the first's */
    assert_false(load(&r, "[route \"/a\"]\nmodule = b.wasm\n", err,
                      sizeof err));
    assert_true(load(&r, "[route \"/b\"]\nmodule = b.wasm\n", err,
                     sizeof err));
    assert_int_equal(r.n, 2);
    serve_routes_free(&r);
}

static void
route_args(void **state)
{
    (void)state;
    ServeRoutes r = { 0 };
    char        err[256];

    assert_true(serve_routes_add_arg(&r, "/hello=hello.wasm", err,
                                     sizeof err));
    assert_true(serve_routes_add_arg(&r, "/api/...=api/a=b.o", err,
                                     sizeof err));
    assert_int_equal(r.n, 2);
    assert_string_equal(r.v[0].module, "hello.wasm");  /* as written */
    assert_string_equal(r.v[1].pattern, "/api/...");
    assert_string_equal(r.v[1].prefix, "/api");
    assert_string_equal(r.v[1].module, "api/a=b.o");
    assert_int_equal(r.v[1].nenvs, 0);
    assert_true(r.v[1].timeout_ns == 0);

    static const struct {
        const char *arg, *err;
    } bad[] = {
        { "/hello", "--route '/hello': want PATH=MODULE" },
        { "=x.wasm", "--route '=x.wasm': want PATH=MODULE" },
        { "/x=", "--route '/x=': no module after '='" },
        { "x=x.wasm", "--route 'x=x.wasm': a route pattern must start "
                      "with '/'" },
        { "/a/.../b=x", "--route '/a/.../b=x': \"/...\" may only end a "
                        "route pattern" },
        { "/hello=other.wasm", "--route '/hello=other.wasm': this route "
                               "pattern is given twice" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_false(serve_routes_add_arg(&r, bad[i].arg, err, sizeof err));
        assert_string_equal(err, bad[i].err);
    }
    assert_int_equal(r.n, 2);
    serve_routes_free(&r);
}

static void
expect_match(const ServeRoutes *r, const char *path, const char *pattern,
             const char *info)
{
    const char       *pi = "untouched";
    const ServeRoute *rt = serve_routes_match(r, path, &pi);
    if (!pattern) {
        if (rt)
            fail_msg("%s matched %s, want no match", path, rt->pattern);
        assert_string_equal(pi, "untouched");
        return;
    }
    if (!rt)
        fail_msg("%s: no match, want %s", path, pattern);
    assert_string_equal(rt->pattern, pattern);
    assert_string_equal(pi, info);
    assert_true(pi >= path && pi <= path + strlen(path));
}

/* Exact first, then the longest wildcard prefix, whatever the order. */
static void
matching(void **state)
{
    (void)state;
    static const char *const pats[] = {
        "/api/...", "/api/v1/...", "/api/v1/users", "/", "/static/...",
        "/exact",
    };
    for (int order = 0; order < 2; order++) {
        ServeRoutes r = { 0 };
        char        err[256], arg[64];
        for (size_t i = 0; i < 6; i++) {
            size_t k = order ? 5 - i : i;
            snprintf(arg, sizeof arg, "%s=m%zu.wasm", pats[k], k);
            assert_true(serve_routes_add_arg(&r, arg, err, sizeof err));
        }
        expect_match(&r, "/api", "/api/...", "");
        expect_match(&r, "/api/", "/api/...", "/");
        expect_match(&r, "/api/x/y", "/api/...", "/x/y");
        expect_match(&r, "/apix", NULL, NULL);
        expect_match(&r, "/api/v1", "/api/v1/...", "");
        expect_match(&r, "/api/v1/users", "/api/v1/users", "");
        expect_match(&r, "/api/v1/users/7", "/api/v1/...", "/users/7");
        expect_match(&r, "/api/v10", "/api/...", "/v10");
        expect_match(&r, "/", "/", "");
        expect_match(&r, "/exact", "/exact", "");
        expect_match(&r, "/exact/", NULL, NULL);
        expect_match(&r, "/exactly", NULL, NULL);
        expect_match(&r, "/static/a.css", "/static/...", "/a.css");
        expect_match(&r, "/other", NULL, NULL);
        expect_match(&r, "", NULL, NULL);
        /* a catch-all takes what nothing else does */
        assert_true(serve_routes_add_arg(&r, "/...=all.wasm", err,
                                         sizeof err));
        expect_match(&r, "/other", "/...", "/other");
        expect_match(&r, "/apix", "/...", "/apix");
        expect_match(&r, "/", "/", "");
        expect_match(&r, "/api/x", "/api/...", "/x");
        serve_routes_free(&r);
    }
    ServeRoutes r = { 0 };
    char        err[256];
    assert_true(serve_routes_add_arg(&r, "/...=all.wasm", err, sizeof err));
    expect_match(&r, "/", "/...", "/");
    serve_routes_free(&r);
    expect_match(&r, "/", NULL, NULL);  /* an empty table */
}

static int
setup(void **state)
{
    (void)state;
    if (!mkdtemp(tmpdir))
        return -1;
    snprintf(ini_path, sizeof ini_path, "%s/routes.ini", tmpdir);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    unlink(ini_path);
    return rmdir(tmpdir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(full_example),
        cmocka_unit_test(inih_edges),
        cmocka_unit_test(syntax_errors),
        cmocka_unit_test(section_errors),
        cmocka_unit_test(key_errors),
        cmocka_unit_test(file_errors_and_plain_names),
        cmocka_unit_test(route_args),
        cmocka_unit_test(matching),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
