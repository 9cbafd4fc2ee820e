/* test_cgi_env.c - cgi_env.c: each WAGI variable of a request, headers
 * as HTTP_* (joined, dropped: httpoxy, '_', non-tokens, Content-*), the
 * route's env winning, X_RAW_PATH_INFO against escapes, X_FULL_URL, the
 * argv from the query (decoding, %00 kept as sent), and many headers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../../serve/serve.h"

/* A route as routes.c would make it (borrowed strings; not freed). */
static ServeRoute
route(const char *pattern, char **envs, int nenvs)
{
    size_t     n = strlen(pattern);
    ServeRoute rt = { .pattern = (char *)pattern, .module = "m.wasm",
                      .envs = envs, .nenvs = nenvs };
    static char prefix[8][128];
    static int  k;

    rt.is_wildcard = n >= 4 && !strcmp(pattern + n - 4, "/...");
    rt.prefix = prefix[k++ % 8];
    snprintf(rt.prefix, 128, "%.*s", (int)(rt.is_wildcard ? n - 4 : n),
             pattern);
    return rt;
}

static ServeRequestInfo
request(const ServeRoute *rt, const char *raw_path, const char *path,
        const char *path_info, const char *query)
{
    return (ServeRequestInfo){
        .method = "GET", .raw_path = raw_path, .path = path,
        .query = query, .protocol = "HTTP/1.1", .server_name = "example.com",
        .server_port = 8080, .remote_addr = "10.0.0.7", .route = rt,
        .path_info = path_info, .scheme = "http",
    };
}

/* The value of NAME in env, checking it is there exactly once; NULL if
 * absent. */
static const char *
get(char **env, const char *name)
{
    size_t      n = strlen(name);
    const char *found = NULL;

    for (char **e = env; *e; e++)
        if (!strncmp(*e, name, n) && (*e)[n] == '=') {
            if (found)
                fail_msg("%s set twice", name);
            found = *e + n + 1;
        }
    return found;
}

static void
expect_var(char **env, const char *name, const char *want)
{
    const char *got = get(env, name);
    if (!want && got)
        fail_msg("%s=%s, want it absent", name, got);
    if (want && (!got || strcmp(got, want)))
        fail_msg("%s=%s, want %s", name, got ? got : "(absent)", want);
}

static void
every_cgi_variable(void **state)
{
    (void)state;
    ServeRoute        rt = route("/api/...", NULL, 0);
    ServeHeader       h[] = {
        { "Host", "example.com:8080" },
        { "Content-Type", "text/plain" },
        { "Content-Length", "5" },
        { "User-Agent", "curl/8" },
    };
    ServeRequestInfo  ri = request(&rt, "/api/a%20b/c", "/api/a b/c",
                                   NULL, "x=1&y=2");
    ri.path_info = ri.path + 4;
    ri.method = "POST";
    ri.headers = h;
    ri.nheaders = 4;
    size_t n = 0;
    char **env = serve_cgi_env(&ri, &n);

    assert_non_null(env);
    expect_var(env, "REQUEST_METHOD", "POST");
    expect_var(env, "PATH_INFO", "/a b/c");
    expect_var(env, "PATH_TRANSLATED", "/a b/c");
    expect_var(env, "X_RAW_PATH_INFO", "/a%20b/c");
    expect_var(env, "QUERY_STRING", "x=1&y=2");
    expect_var(env, "CONTENT_TYPE", "text/plain");
    expect_var(env, "CONTENT_LENGTH", "5");
    expect_var(env, "SERVER_NAME", "example.com");
    expect_var(env, "SERVER_PORT", "8080");
    expect_var(env, "SERVER_PROTOCOL", "HTTP/1.1");
    expect_var(env, "SERVER_SOFTWARE", "Moat/0.1");
    expect_var(env, "REMOTE_ADDR", "10.0.0.7");
    expect_var(env, "REMOTE_HOST", "10.0.0.7");
    expect_var(env, "GATEWAY_INTERFACE", "CGI/1.1");
    expect_var(env, "SCRIPT_NAME", "/api");
    expect_var(env, "AUTH_TYPE", "");
    expect_var(env, "REMOTE_USER", "");
    expect_var(env, "X_FULL_URL", "http://example.com:8080/api/a%20b/c?"
                                  "x=1&y=2");
    expect_var(env, "X_MATCHED_ROUTE", "/api/...");
    expect_var(env, "HTTP_HOST", "example.com:8080");
    expect_var(env, "HTTP_USER_AGENT", "curl/8");
    expect_var(env, "HTTP_CONTENT_TYPE", NULL);
    expect_var(env, "HTTP_CONTENT_LENGTH", NULL);
    size_t count = 0;
    for (char **e = env; *e; e++)
        count++;
    assert_int_equal(count, n);
    assert_int_equal(n, 21);
    serve_strv_free(env);
    serve_strv_free(NULL);
}

static void
exact_and_catch_all_routes(void **state)
{
    (void)state;
    ServeRoute       rt = route("/hello", NULL, 0);
    ServeRequestInfo ri = request(&rt, "/hello", "/hello", "", "");
    size_t           n;
    char           **env = serve_cgi_env(&ri, &n);

    expect_var(env, "PATH_INFO", "");
    expect_var(env, "X_RAW_PATH_INFO", "");
    expect_var(env, "SCRIPT_NAME", "/hello");
    expect_var(env, "X_MATCHED_ROUTE", "/hello");
    expect_var(env, "QUERY_STRING", "");
    expect_var(env, "CONTENT_LENGTH", "0");     /* no body: as WAGI */
    expect_var(env, "CONTENT_TYPE", "");
    expect_var(env, "X_FULL_URL", "http://example.com:8080/hello");
    serve_strv_free(env);

    rt = route("/...", NULL, 0);
    ri = request(&rt, "/x%2Fy", "/x/y", NULL, "");
    ri.path_info = ri.path;
    env = serve_cgi_env(&ri, &n);
    expect_var(env, "SCRIPT_NAME", "");
    expect_var(env, "PATH_INFO", "/x/y");
    expect_var(env, "X_RAW_PATH_INFO", "/x%2Fy");
    serve_strv_free(env);
}

/* The raw PATH_INFO starts where the raw path has decoded to the route's
 * prefix, escapes in the prefix included. */
static void
raw_path_info(void **state)
{
    (void)state;
    static const struct {
        const char *pattern, *raw, *path, *raw_info;
        size_t      prefix_len;
    } rows[] = {
        { "/api/...", "/api%2Fx", "/api/x", "%2Fx", 4 },
        { "/api/...", "/ap%69/x%3By", "/api/x;y", "/x%3By", 4 },
        { "/a b/...", "/a%20b/c", "/a b/c", "/c", 4 },
        { "/a b/...", "/a%20b", "/a b", "", 4 },
        { "/p/...", "/p/%zz", "/p/%zz", "/%zz", 2 },
        { "/p/...", "/p/%4", "/p/%4", "/%4", 2 },
        /* a raw path that does not decode to the path: PATH_INFO */
        { "/p/...", "/q/x", "/p/x", "/x", 2 },
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ServeRoute       rt = route(rows[i].pattern, NULL, 0);
        ServeRequestInfo ri = request(&rt, rows[i].raw, rows[i].path, NULL,
                                      "");
        size_t           n;
        ri.path_info = ri.path + rows[i].prefix_len;
        char **env = serve_cgi_env(&ri, &n);
        assert_non_null(env);
        expect_var(env, "X_RAW_PATH_INFO", rows[i].raw_info);
        serve_strv_free(env);
    }
}

static void
full_url(void **state)
{
    (void)state;
    static const struct {
        const char *scheme, *host;
        unsigned    port;
        const char *query, *want;
    } rows[] = {
        { "http", "h", 80, "", "http://h/p%20q" },
        { "http", "h", 443, "a", "http://h:443/p%20q?a" },
        { "https", "h", 443, "", "https://h/p%20q" },
        { "https", "h", 80, "", "https://h:80/p%20q" },
        { "http", "::1", 8080, "q=1", "http://[::1]:8080/p%20q?q=1" },
        { "http", "[::1]", 8080, "", "http://[::1]:8080/p%20q" },
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ServeRoute       rt = route("/p q", NULL, 0);
        ServeRequestInfo ri = request(&rt, "/p%20q", "/p q", "",
                                      rows[i].query);
        size_t           n;
        ri.scheme = rows[i].scheme;
        ri.server_name = rows[i].host;
        ri.server_port = rows[i].port;
        char **env = serve_cgi_env(&ri, &n);
        expect_var(env, "X_FULL_URL", rows[i].want);
        serve_strv_free(env);
    }
}

static void
headers_become_http_vars(void **state)
{
    (void)state;
    ServeRoute       rt = route("/", NULL, 0);
    ServeHeader      h[] = {
        { "Accept", "text/html" },
        { "X-Forwarded-For", "1.2.3.4" },
        { "accept", "*/*" },            /* the same header, other case */
        { "Proxy", "http://evil:8080" }, /* httpoxy */
        { "PROXY", "http://evil:8081" },
        { "X_Forwarded_For", "6.6.6.6" }, /* would pose as the one above */
        { "Bad Name", "x" },
        { "", "empty name" },
        { "B\xc3\xa4" "d", "x" },
        { "X.Odd~Token!", "fine" },
        { "Content-type", "application/json" },
        { "content-type", "ignored/second" },
        { "Cookie", "a=1" },
        { "Cookie", "b=2" },
        { "Accept", "image/png" },
        { "Authorization", "Bearer t" },
        { "Proxy-Authorization", "kept" },
        { "Empty", "" },
    };
    ServeRequestInfo ri = request(&rt, "/", "/", "", "");
    ri.headers = h;
    ri.nheaders = sizeof h / sizeof h[0];
    size_t n;
    char **env = serve_cgi_env(&ri, &n);

    assert_non_null(env);
    expect_var(env, "HTTP_ACCEPT", "text/html, */*, image/png");
    expect_var(env, "HTTP_X_FORWARDED_FOR", "1.2.3.4");
    expect_var(env, "HTTP_PROXY", NULL);
    expect_var(env, "HTTP_BAD NAME", NULL);
    expect_var(env, "HTTP_", NULL);
    expect_var(env, "HTTP_X.ODD~TOKEN!", "fine");
    expect_var(env, "CONTENT_TYPE", "application/json");
    expect_var(env, "HTTP_CONTENT_TYPE", NULL);
    expect_var(env, "HTTP_COOKIE", "a=1, b=2");
    expect_var(env, "HTTP_AUTHORIZATION", "Bearer t");
    expect_var(env, "HTTP_PROXY_AUTHORIZATION", "kept");
    expect_var(env, "HTTP_EMPTY", "");
    for (char **e = env; *e; e++) {
        assert_null(strstr(*e, "evil"));
        assert_null(strstr(*e, "6.6.6.6"));
        assert_null(strstr(*e, "\xc3\xa4"));
    }
    assert_int_equal(n, 19 + 7);
    serve_strv_free(env);
}

static void
route_env_wins(void **state)
{
    (void)state;
    char            *envs[] = {
        "GREETING=hi", "SERVER_SOFTWARE=mine", "GREETING=hello",
        "HTTP_ACCEPT=forced", "EMPTY=", "EQ=a=b",
    };
    ServeRoute       rt = route("/", envs, 6);
    ServeHeader      h[] = { { "Accept", "text/html" } };
    ServeRequestInfo ri = request(&rt, "/", "/", "", "");
    ri.headers = h;
    ri.nheaders = 1;
    size_t n;
    char **env = serve_cgi_env(&ri, &n);

    expect_var(env, "GREETING", "hello");
    expect_var(env, "SERVER_SOFTWARE", "mine");
    expect_var(env, "HTTP_ACCEPT", "forced");
    expect_var(env, "EMPTY", "");
    expect_var(env, "EQ", "a=b");
    assert_int_equal(n, 19 + 4);
    serve_strv_free(env);
}

/* Thousands of headers, most repeated: all there, in linear-ish time. */
static void
many_headers(void **state)
{
    (void)state;
    enum { N = 20000 };
    ServeHeader *h = calloc(N, sizeof *h);
    char (*names)[16] = calloc(N, sizeof *names);
    ServeRoute   rt = route("/", NULL, 0);

    assert_non_null(h);
    assert_non_null(names);
    for (size_t i = 0; i < N; i++) {
        snprintf(names[i], sizeof names[i], "X-H%zu", i % 1000);
        h[i] = (ServeHeader){ names[i], "v" };
    }
    ServeRequestInfo ri = request(&rt, "/", "/", "", "");
    ri.headers = h;
    ri.nheaders = N;
    size_t n;
    char **env = serve_cgi_env(&ri, &n);
    assert_non_null(env);
    assert_int_equal(n, 19 + 1000);
    const char *v = get(env, "HTTP_X_H7");
    assert_non_null(v);
    assert_int_equal(strlen(v), 20 * 3 - 2);    /* "v, v, ..., v" */
    serve_strv_free(env);
    free(names);
    free(h);
}

static void
expect_argv(const char *raw_path, const char *query,
            const char *const *want, size_t nwant)
{
    ServeRoute       rt = route("/...", NULL, 0);
    ServeRequestInfo ri = request(&rt, raw_path, raw_path, raw_path, query);
    size_t           n = 99;
    char           **v = serve_cgi_argv(&ri, &n);

    assert_non_null(v);
    if (n != nwant + 1)
        fail_msg("query \"%s\": %zu args, want %zu", query, n, nwant + 1);
    assert_string_equal(v[0], raw_path);
    for (size_t i = 0; i < nwant; i++)
        assert_memory_equal(v[i + 1], want[i], strlen(want[i]) + 1);
    assert_null(v[n]);
    serve_strv_free(v);
}

static void
argv_from_the_query(void **state)
{
    (void)state;
    expect_argv("/env", "", NULL, 0);
    expect_argv("/env", "greet=matt&foo=bar",
                (const char *const[]){ "greet=matt", "foo=bar" }, 2);
    expect_argv("/a%20b", "x+y&%41%3d%26&%2B",
                (const char *const[]){ "x y", "A=&", "+" }, 3);
    expect_argv("/", "a&&b&", (const char *const[]){ "a", "b" }, 2);
    expect_argv("/", "&", NULL, 0);
    /* bad escapes stay as they are */
    expect_argv("/", "%zz&%4&50%&%%41",
                (const char *const[]){ "%zz", "%4", "50%", "%A" }, 4);
    /* a word that would decode to a NUL is passed as sent */
    expect_argv("/", "a%00b&ok%21&%00",
                (const char *const[]){ "a%00b", "ok!", "%00" }, 3);
    /* bytes above 0x7f decode too */
    expect_argv("/", "caf%C3%A9", (const char *const[]){ "caf\xc3\xa9" }, 1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_cgi_variable),
        cmocka_unit_test(exact_and_catch_all_routes),
        cmocka_unit_test(raw_path_info),
        cmocka_unit_test(full_url),
        cmocka_unit_test(headers_become_http_vars),
        cmocka_unit_test(route_env_wins),
        cmocka_unit_test(many_headers),
        cmocka_unit_test(argv_from_the_query),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
