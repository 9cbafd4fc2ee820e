/* test_cgi_out.c - serve_cgi_parse: the CGI header block of a handler's
 * stdout. Good blocks (LF, CRLF, Status, Location, trimming, empty
 * values and bodies), every malformation with its reason, the limits at
 * their boundaries, and calls on a buffer growing a byte at a time.
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

/* Parses a copy of s (n bytes; strlen when n is 0). */
static int
parse(const char *s, size_t n, ServeCgiOut *out, const char **why,
      char **copy)
{
    if (!n)
        n = strlen(s);
    *copy = malloc(n + 1);
    assert_non_null(*copy);
    memcpy(*copy, s, n + 1);
    *why = NULL;
    return serve_cgi_parse(*copy, n, out, why);
}

static void
expect_ok(const char *s, unsigned status, size_t nheaders,
          size_t body_offset)
{
    ServeCgiOut out;
    const char *why;
    char       *buf;

    assert_int_equal(parse(s, 0, &out, &why, &buf), 1);
    assert_int_equal(out.status, status);
    assert_int_equal(out.nheaders, nheaders);
    assert_int_equal(out.body_offset, body_offset);
    free(buf);
}

/* s (n bytes, or strlen) is malformed, for a reason starting with want. */
static void
expect_bad(const char *s, size_t n, const char *want)
{
    ServeCgiOut out;
    const char *why;
    char       *buf;

    int rc = parse(s, n, &out, &why, &buf);
    if (rc != -1 || !why || strncmp(why, want, strlen(want)))
        fail_msg("\"%s\": got %d (%s), want -1 (%s)", s, rc,
                 why ? why : "no reason", want);
    free(buf);
}

static void
simple_lf_and_crlf(void **state)
{
    (void)state;
    ServeCgiOut out;
    const char *why;
    char       *buf;

    assert_int_equal(parse("Content-Type: text/plain\n\nhello", 0, &out,
                           &why, &buf), 1);
    assert_int_equal(out.status, 200);
    assert_int_equal(out.nheaders, 1);
    assert_string_equal(out.headers[0].name, "Content-Type");
    assert_string_equal(out.headers[0].value, "text/plain");
    assert_string_equal(buf + out.body_offset, "hello");
    free(buf);

    assert_int_equal(parse("A: 1\r\nB: 2\n\r\nbody\r\n", 0, &out, &why,
                           &buf), 1);
    assert_int_equal(out.nheaders, 2);
    assert_string_equal(out.headers[0].name, "A");
    assert_string_equal(out.headers[0].value, "1");
    assert_string_equal(out.headers[1].name, "B");
    assert_string_equal(out.headers[1].value, "2");
    assert_string_equal(buf + out.body_offset, "body\r\n");
    free(buf);
}

static void
status_and_location(void **state)
{
    (void)state;
    ServeCgiOut out;
    const char *why;
    char       *buf;

    assert_int_equal(parse("Status: 404 Not Found\nContent-Type: x\n\n", 0,
                           &out, &why, &buf), 1);
    assert_int_equal(out.status, 404);
    assert_int_equal(out.nheaders, 1);      /* Status is not passed on */
    assert_string_equal(out.headers[0].name, "Content-Type");
    free(buf);

    expect_ok("status:503\n\n", 503, 0, 12);
    expect_ok("Status: 100\n\n", 100, 0, 13);
    expect_ok("Status: 599\todd reason\n\n", 599, 0, 24);
    expect_ok("Location: /elsewhere\n\n", 302, 1, 22);
    expect_ok("LOCATION: http://x/\n\n", 302, 1, 21);
    expect_ok("Location: /a\nStatus: 301\n\n", 301, 1, 26);
    expect_ok("Status: 307\nLocation: /a\n\n", 307, 1, 26);
    expect_ok("Status: 201 Created\n\n", 201, 0, 21);
}

static void
values_are_trimmed(void **state)
{
    (void)state;
    ServeCgiOut out;
    const char *why;
    char       *buf;

    assert_int_equal(parse("X:   a  b \t\r\nEmpty:\nBlank: \t \n"
                           "Tab:\tv\n\n", 0, &out, &why, &buf), 1);
    assert_int_equal(out.nheaders, 4);
    assert_string_equal(out.headers[0].value, "a  b");
    assert_string_equal(out.headers[1].name, "Empty");
    assert_string_equal(out.headers[1].value, "");
    assert_string_equal(out.headers[2].value, "");
    assert_string_equal(out.headers[3].value, "v");
    free(buf);
    /* obs-text and every token character are fine */
    expect_ok("X-!#$%&'*+.^_`|~09az: caf\xc3\xa9\n\n", 200, 1, 29);
}

static void
empty_blocks_and_bodies(void **state)
{
    (void)state;
    expect_ok("\nbody", 200, 0, 1);
    expect_ok("\r\nbody", 200, 0, 2);
    expect_ok("\n", 200, 0, 1);
    expect_ok("A: b\n\n", 200, 1, 6);
    expect_ok("A: b\r\n\r\n", 200, 1, 8);
    /* the body may hold anything, even what would be a bad header */
    expect_ok("A: b\n\nno colon\n\0\r", 200, 1, 6);
}

static void
malformed_lines(void **state)
{
    (void)state;
    expect_bad("Content-Type text/plain\n\n", 0, "header line without");
    expect_bad("Bad Name: x\n\n", 0, "header name is not a token");
    expect_bad("Name : x\n\n", 0, "header name is not a token");
    expect_bad("A: b\n continued\n\n", 0, "header line starts with a blank");
    expect_bad("\tX: y\n\n", 0, "header line starts with a blank");
    expect_bad(": x\n\n", 0, "empty header name");
    expect_bad("N\xc3\xa9: x\n\n", 0, "header name is not a token");
    expect_bad("A\"b: x\n\n", 0, "header name is not a token");
    expect_bad("A: b\rc\n\n", 0, "control character");
    expect_bad("A: b\r\r\n\n", 0, "control character");
    expect_bad("A: b\x01\n\n", 0, "control character");
    expect_bad("A: b\x7f\n\n", 0, "control character");
    expect_bad("A: b\0c\n\n", sizeof "A: b\0c\n\n" - 1,
               "control character");
    expect_bad("A\0: b\n\n", sizeof "A\0: b\n\n" - 1,
               "header name is not a token");
    expect_bad("Location:\n\n", 0, "empty Location");
    expect_bad("Location:  \n\n", 0, "empty Location");
}

static void
malformed_status(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "Status: abc\n\n", "Status: 99\n\n",  "Status: 099\n\n",
        "Status: 600\n\n", "Status: 4040\n\n", "Status: 404x\n\n",
        "Status:\n\n",     "Status: 2OO\n\n", "Status: -200\n\n",
        "Status: 20\n\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_bad(bad[i], 0, "Status is not a code");
    expect_bad("Status: 200\nStatus: 404\n\n", 0, "Status given twice");
}

/* A block of n headers "H<i>: v", then the empty line. */
static char *
many_headers(size_t n)
{
    char  *s = malloc(n * 16 + 2);
    size_t k = 0;

    assert_non_null(s);
    for (size_t i = 0; i < n; i++)
        k += (size_t)sprintf(s + k, "H%zu: v\n", i);
    s[k++] = '\n';
    s[k] = '\0';
    return s;
}

static void
header_count_limit(void **state)
{
    (void)state;
    char *s = many_headers(SERVE_CGI_MAX_HEADERS);
    expect_ok(s, 200, SERVE_CGI_MAX_HEADERS, strlen(s));
    free(s);
    s = many_headers(SERVE_CGI_MAX_HEADERS + 1);
    expect_bad(s, 0, "too many headers");
    free(s);
    /* Status does not count */
    s = many_headers(SERVE_CGI_MAX_HEADERS);
    char *t = malloc(strlen(s) + 16);
    assert_non_null(t);
    sprintf(t, "Status: 404\n%s", s);
    expect_ok(t, 404, SERVE_CGI_MAX_HEADERS, strlen(t));
    free(t);
    free(s);
}

/* One header whose line (with its LF) is total bytes long, then
 * the empty line and a body. */
static char *
long_header(size_t total)
{
    char *s = malloc(total + 8);

    assert_non_null(s);
    memcpy(s, "X: ", 3);
    memset(s + 3, 'v', total - 4);
    strcpy(s + total - 1, "\n\nbody");
    return s;
}

static void
header_bytes_limit(void **state)
{
    (void)state;
    char *s = long_header(SERVE_CGI_HEADER_BYTES);
    expect_ok(s, 200, 1, SERVE_CGI_HEADER_BYTES + 1);
    free(s);
    /* CRLF: the empty line's two bytes are not counted either */
    s = long_header(SERVE_CGI_HEADER_BYTES);
    s[SERVE_CGI_HEADER_BYTES - 2] = '\r';
    memcpy(s + SERVE_CGI_HEADER_BYTES, "\r\nbody", 7);
    expect_ok(s, 200, 1, SERVE_CGI_HEADER_BYTES + 2);
    free(s);
    s = long_header(SERVE_CGI_HEADER_BYTES + 1);
    expect_bad(s, 0, "header block too large");
    free(s);
    /* no empty line yet: too large as soon as the line that has begun
     * cannot end within the limit, not before */
    size_t n = SERVE_CGI_HEADER_BYTES + 3;
    char  *b = malloc(n);
    assert_non_null(b);
    memcpy(b, "X: ", 3);
    memset(b + 3, 'v', n - 3);
    ServeCgiOut out;
    const char *why = NULL;
    assert_int_equal(serve_cgi_parse(b, SERVE_CGI_HEADER_BYTES - 1, &out,
                                     &why), 0);
    assert_int_equal(serve_cgi_parse(b, SERVE_CGI_HEADER_BYTES, &out,
                                     &why), -1);
    assert_non_null(why);
    assert_int_equal(serve_cgi_parse(b, n, &out, &why), -1);
    /* a complete line then "\r", which may still become the empty line */
    memcpy(b + SERVE_CGI_HEADER_BYTES - 1, "\n\r", 2);
    assert_int_equal(serve_cgi_parse(b, SERVE_CGI_HEADER_BYTES + 1, &out,
                                     &why), 0);
    /* ... but not another header: it cannot fit */
    b[SERVE_CGI_HEADER_BYTES] = 'Y';
    assert_int_equal(serve_cgi_parse(b, SERVE_CGI_HEADER_BYTES + 1, &out,
                                     &why), -1);
    b[SERVE_CGI_HEADER_BYTES] = '\r';
    b[SERVE_CGI_HEADER_BYTES + 1] = '\n';
    assert_int_equal(serve_cgi_parse(b, SERVE_CGI_HEADER_BYTES + 2, &out,
                                     &why), 1);
    assert_int_equal(out.body_offset, SERVE_CGI_HEADER_BYTES + 2);
    free(b);
}

static void
incomplete_needs_more(void **state)
{
    (void)state;
    static const char *const part[] = {
        "", "\r", "C", "Content-Type: text", "Content-Type: text/plain\n",
        "Content-Type: text/plain\r\n", "Content-Type: text/plain\r\n\r",
        "Status: 404\n", "A: b\nC: d\n",
    };
    for (size_t i = 0; i < sizeof part / sizeof part[0]; i++) {
        ServeCgiOut out;
        const char *why = NULL;
        char        buf[64];
        size_t      n = strlen(part[i]);
        memcpy(buf, part[i], n + 1);
        assert_int_equal(serve_cgi_parse(buf, n, &out, &why), 0);
        assert_memory_equal(buf, part[i], n + 1);
    }
}

/* The whole of s, delivered a byte at a time into one buffer: each
 * call before the last says "more", leaves the bytes alone, and the
 * last gives what one call on all of it gives. */
static void
grow(const char *s, size_t n, int final)
{
    char       *buf = malloc(n + 1);
    ServeCgiOut out;
    const char *why = NULL;
    int         rc = 0;
    size_t      len = 0;

    assert_non_null(buf);
    while (len < n && rc == 0) {
        buf[len] = s[len];
        len++;
        rc = serve_cgi_parse(buf, len, &out, &why);
        if (rc == 0)
            assert_memory_equal(buf, s, len);
    }
    assert_int_equal(rc, final);
    free(buf);
}

static void
growing_buffer(void **state)
{
    (void)state;
    static const char ok[] = "Status: 404 Not Found\r\nContent-Type: "
                             "text/html\r\nX-A:  b \r\n\r\n<p>gone</p>";
    grow(ok, sizeof ok - 1, 1);

    /* the same, parsed at once after growing: still correct */
    char        buf[sizeof ok];
    ServeCgiOut out;
    const char *why;
    size_t      end = (size_t)(strstr(ok, "\r\n\r\n") + 4 - ok);
    for (size_t len = 0; len < sizeof ok - 1; len++) {
        memcpy(buf, ok, sizeof ok);
        int rc = serve_cgi_parse(buf, len, &out, &why);
        assert_int_equal(rc, len >= end ? 1 : 0);
        if (rc == 0)
            assert_memory_equal(buf, ok, sizeof ok);
    }
    memcpy(buf, ok, sizeof ok);
    assert_int_equal(serve_cgi_parse(buf, sizeof ok - 1, &out, &why), 1);
    assert_int_equal(out.status, 404);
    assert_int_equal(out.nheaders, 2);
    assert_string_equal(out.headers[1].name, "X-A");
    assert_string_equal(out.headers[1].value, "b");
    assert_string_equal(buf + out.body_offset, "<p>gone</p>");

    /* a bad line is reported when it ends, before the block does */
    static const char bad[] = "A: b\nno colon here\nC: d\n\n";
    grow(bad, sizeof bad - 1, -1);
    char b2[sizeof bad];
    memcpy(b2, bad, sizeof bad);
    size_t lf = (size_t)(strchr(bad + 5, '\n') - bad);   /* ends line 2 */
    assert_int_equal(serve_cgi_parse(b2, lf, &out, &why), 0);
    assert_int_equal(serve_cgi_parse(b2, lf + 1, &out, &why), -1);
    assert_string_equal(why, "header line without a colon");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(simple_lf_and_crlf),
        cmocka_unit_test(status_and_location),
        cmocka_unit_test(values_are_trimmed),
        cmocka_unit_test(empty_blocks_and_bodies),
        cmocka_unit_test(malformed_lines),
        cmocka_unit_test(malformed_status),
        cmocka_unit_test(header_count_limit),
        cmocka_unit_test(header_bytes_limit),
        cmocka_unit_test(incomplete_needs_more),
        cmocka_unit_test(growing_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
