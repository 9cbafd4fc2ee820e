/* spec_json.c - reads a wasi-testsuite test specification (<test>.json)
 * straight into a Spec: a small recursive-descent JSON reader (RFC 8259
 * strings with \u escapes and surrogate pairs, integers) that knows the
 * keys of the simple form. Which keys mean what: the testsuite's README.
 * Running the test is wasi_suite.c's job.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suite.h"

enum { MAX_DEPTH = 64 };        /* nesting of values we only skip */

typedef struct Parser {
    const char *base;
    const char *p;
    const char *end;
    char       *why;
    size_t      nwhy;
} Parser;

static bool
fail(Parser *P, const char *fmt, ...)
{
    va_list ap;
    int     n = snprintf(P->why, P->nwhy, "offset %zu: ",
                         (size_t)(P->p - P->base));

    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < P->nwhy)
        vsnprintf(P->why + n, P->nwhy - (size_t)n, fmt, ap);
    va_end(ap);
    return false;
}

static void
ws(Parser *P)
{
    while (P->p < P->end && (*P->p == ' ' || *P->p == '\t' ||
                             *P->p == '\n' || *P->p == '\r'))
        P->p++;
}

/* Consumes c after white space; false (no message) if it is not there. */
static bool
eat(Parser *P, char c)
{
    ws(P);
    if (P->p < P->end && *P->p == c) {
        P->p++;
        return true;
    }
    return false;
}

static bool
expect(Parser *P, char c)
{
    return eat(P, c) || fail(P, "expected '%c'", c);
}

static bool
hex4(Parser *P, uint32_t *out)
{
    uint32_t v = 0;

    if (P->end - P->p < 4)
        return fail(P, "short \\u escape");
    for (int i = 0; i < 4; i++) {
        char c = *P->p++;
        int  d = c >= '0' && c <= '9'   ? c - '0'
                 : c >= 'a' && c <= 'f' ? c - 'a' + 10
                 : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                        : -1;
        if (d < 0)
            return fail(P, "bad hex digit in \\u escape");
        v = v << 4 | (uint32_t)d;
    }
    *out = v;
    return true;
}

/* One \uXXXX (or a surrogate pair) as UTF-8 into o; returns bytes. */
static bool
unicode_escape(Parser *P, char *o, size_t *n)
{
    uint32_t cp, lo;

    if (!hex4(P, &cp))
        return false;
    if (cp >= 0xd800 && cp < 0xdc00) {
        if (P->end - P->p < 2 || P->p[0] != '\\' || P->p[1] != 'u')
            return fail(P, "lone high surrogate");
        P->p += 2;
        if (!hex4(P, &lo))
            return false;
        if (lo < 0xdc00 || lo > 0xdfff)
            return fail(P, "bad low surrogate");
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
    } else if (cp >= 0xdc00 && cp <= 0xdfff) {
        return fail(P, "lone low surrogate");
    }
    if (cp < 0x80) {
        o[0] = (char)cp;
        *n = 1;
    } else if (cp < 0x800) {
        o[0] = (char)(0xc0 | cp >> 6);
        o[1] = (char)(0x80 | (cp & 0x3f));
        *n = 2;
    } else if (cp < 0x10000) {
        o[0] = (char)(0xe0 | cp >> 12);
        o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
        o[2] = (char)(0x80 | (cp & 0x3f));
        *n = 3;
    } else {
        o[0] = (char)(0xf0 | cp >> 18);
        o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
        o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
        o[3] = (char)(0x80 | (cp & 0x3f));
        *n = 4;
    }
    return true;
}

static bool
simple_escape(Parser *P, char c, char *o)
{
    static const char from[] = "\"\\/bfnrt";
    static const char to[] = "\"\\/\b\f\n\r\t";
    const char       *at = c ? strchr(from, c) : NULL;

    if (!at)
        return fail(P, "bad escape '\\%c'", c);
    *o = to[at - from];
    return true;
}

/* A JSON string into a new heap buffer (NUL-terminated; *len excludes the
 * NUL). Decoded text is never longer than its source. */
static bool
string(Parser *P, char **out, size_t *len)
{
    if (!expect(P, '"'))
        return false;
    char  *buf = malloc((size_t)(P->end - P->p) + 1);
    size_t n = 0;
    if (!buf)
        return fail(P, "out of memory");
    while (P->p < P->end && *P->p != '"') {
        unsigned char c = (unsigned char)*P->p;
        size_t        k = 1;
        if (c < 0x20) {
            free(buf);
            return fail(P, "control character in string");
        }
        P->p++;
        if (c != '\\') {
            buf[n++] = (char)c;
            continue;
        }
        if (P->p == P->end)
            break;
        char e = *P->p++;
        bool ok = e == 'u' ? unicode_escape(P, buf + n, &k)
                           : simple_escape(P, e, buf + n);
        if (!ok) {
            free(buf);
            return false;
        }
        n += k;
    }
    if (P->p == P->end) {
        free(buf);
        return fail(P, "unterminated string");
    }
    P->p++;
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return true;
}

/* An integer (the exit code): optional '-', digits, nothing else. */
static bool
integer(Parser *P, long *out)
{
    ws(P);
    const char *s = P->p;
    if (P->p < P->end && *P->p == '-')
        P->p++;
    const char *digits = P->p;
    while (P->p < P->end && *P->p >= '0' && *P->p <= '9')
        P->p++;
    if (P->p == digits)
        return fail(P, "expected an integer");
    if (P->p < P->end && (*P->p == '.' || *P->p == 'e' || *P->p == 'E'))
        return fail(P, "expected an integer, got a fraction or exponent");
    char tmp[32];
    if ((size_t)(P->p - s) >= sizeof tmp)
        return fail(P, "integer too long");
    memcpy(tmp, s, (size_t)(P->p - s));
    tmp[P->p - s] = '\0';
    errno = 0;
    *out = strtol(tmp, NULL, 10);
    return errno == 0 || fail(P, "integer out of range");
}

/* Any JSON value, checked and dropped (for keys we do not follow). */
static bool
skip_value(Parser *P, int depth)
{
    char  *s;
    size_t n;

    if (depth > MAX_DEPTH)
        return fail(P, "nesting too deep");
    ws(P);
    if (P->p == P->end)
        return fail(P, "unexpected end");
    char c = *P->p;
    if (c == '"') {
        if (!string(P, &s, &n))
            return false;
        free(s);
        return true;
    }
    if (c == '[' || c == '{') {
        char close = c == '[' ? ']' : '}';
        P->p++;
        if (eat(P, close))
            return true;
        do {
            if (c == '{') {
                if (!string(P, &s, &n))
                    return false;
                free(s);
                if (!expect(P, ':'))
                    return false;
            }
            if (!skip_value(P, depth + 1))
                return false;
        } while (eat(P, ','));
        return expect(P, close);
    }
    static const char *const words[] = { "true", "false", "null" };
    for (size_t i = 0; i < 3; i++) {
        size_t wl = strlen(words[i]);
        if ((size_t)(P->end - P->p) >= wl && !memcmp(P->p, words[i], wl)) {
            P->p += wl;
            return true;
        }
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
        /* loosely: a value we drop need not be checked digit by digit */
        while (P->p < P->end && *P->p && strchr("0123456789.eE+-", *P->p))
            P->p++;
        return true;
    }
    return fail(P, "unexpected character '%c'", c);
}

static void
set_skip(Spec *s, const char *fmt, const char *arg)
{
    if (!s->skip[0])
        snprintf(s->skip, sizeof s->skip, fmt, arg);
}

static bool
push(char ***v, size_t *n, char *item)
{
    char **nv = realloc(*v, (*n + 1) * sizeof **v);
    if (!nv)
        return false;
    nv[(*n)++] = item;
    *v = nv;
    return true;
}

/* ["a", "b", ...]; a NUL inside a string cannot reach a command line. */
static bool
string_array(Parser *P, Spec *s, char ***v, size_t *n, const char *key)
{
    if (!expect(P, '['))
        return false;
    if (eat(P, ']'))
        return true;
    do {
        char  *str;
        size_t len;
        if (!string(P, &str, &len))
            return false;
        if (strlen(str) != len)
            set_skip(s, "a string in '%s' holds a NUL byte", key);
        if (!push(v, n, str)) {
            free(str);
            return fail(P, "out of memory");
        }
    } while (eat(P, ','));
    return expect(P, ']');
}

static bool
read_args(Parser *P, Spec *s)
{
    return string_array(P, s, &s->args, &s->nargs, "args");
}

static bool
read_dirs(Parser *P, Spec *s)
{
    return string_array(P, s, &s->dirs, &s->ndirs, "dirs");
}

/* {"NAME": "VALUE", ...} into "NAME=VALUE" strings. */
static bool
read_env(Parser *P, Spec *s)
{
    if (!expect(P, '{'))
        return false;
    if (eat(P, '}'))
        return true;
    do {
        char  *name, *value;
        size_t nlen, vlen;
        if (!string(P, &name, &nlen))
            return false;
        if (!expect(P, ':') || !string(P, &value, &vlen)) {
            free(name);
            return false;
        }
        if (nlen == 0 || strchr(name, '=') || strlen(name) != nlen ||
            strlen(value) != vlen)
            set_skip(s, "environment variable '%s' cannot be passed as "
                        "NAME=VALUE", name);
        char *nv = malloc(nlen + vlen + 2);
        if (nv)
            snprintf(nv, nlen + vlen + 2, "%s=%s", name, value);
        free(name);
        free(value);
        if (!nv || !push(&s->env, &s->nenv, nv)) {
            free(nv);
            return fail(P, "out of memory");
        }
    } while (eat(P, ','));
    return expect(P, '}');
}

static bool
read_root(Parser *P, Spec *s)
{
    size_t len;
    if (!string(P, &s->root, &len))
        return false;
    if (strlen(s->root) != len || len == 0)
        set_skip(s, "%s", "'root' is empty or holds a NUL byte");
    return true;
}

static bool
read_exit_code(Parser *P, Spec *s)
{
    return integer(P, &s->exit_code);
}

static bool
read_stdout(Parser *P, Spec *s)
{
    return string(P, &s->want_out, &s->want_outlen);
}

static bool
read_stderr(Parser *P, Spec *s)
{
    return string(P, &s->want_err, &s->want_errlen);
}

/* The operation-based form (sockets, HTTP): read, not followed. */
static bool
read_operations(Parser *P, Spec *s)
{
    set_skip(s, "%s", "operation-based spec (proposals/operations) is not "
                      "supported by this runner");
    return skip_value(P, 0);
}

static const struct {
    const char *key;
    bool (*read)(Parser *, Spec *);
} keys[] = {
    { "args", read_args },          { "env", read_env },
    { "root", read_root },          { "dirs", read_dirs },
    { "exit_code", read_exit_code }, { "stdout", read_stdout },
    { "stderr", read_stderr },      { "proposals", read_operations },
    { "operations", read_operations },
};

/* One "key": value member of the top-level object. seen: bit per key. */
static bool
member(Parser *P, Spec *s, unsigned *seen)
{
    char  *key;
    size_t klen;
    if (!string(P, &key, &klen))
        return false;
    if (!expect(P, ':')) {
        free(key);
        return false;
    }
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        if (strcmp(key, keys[i].key) != 0)
            continue;
        if (*seen & 1u << i) {
            fail(P, "duplicate key '%s'", key);
            free(key);
            return false;
        }
        *seen |= 1u << i;
        free(key);
        return keys[i].read(P, s);
    }
    set_skip(s, "unknown spec key '%s'", key);
    free(key);
    return skip_value(P, 0);
}

bool
moatT_spec_parse(const char *text, size_t len, Spec *s, char *why,
                 size_t nwhy)
{
    Parser   P = { text, text, text + len, why, nwhy };
    unsigned seen = 0;
    bool     ok;

    memset(s, 0, sizeof *s);
    ok = expect(&P, '{');
    if (ok && !eat(&P, '}')) {
        do
            ok = member(&P, s, &seen);
        while (ok && eat(&P, ','));
        ok = ok && expect(&P, '}');
    }
    ws(&P);
    if (ok && P.p != P.end)
        ok = fail(&P, "text after the object");
    if (!ok)
        moatT_spec_free(s);
    return ok;
}

static void
free_strings(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void
moatT_spec_free(Spec *s)
{
    free_strings(s->args, s->nargs);
    free_strings(s->env, s->nenv);
    free_strings(s->dirs, s->ndirs);
    free(s->root);
    free(s->want_out);
    free(s->want_err);
    memset(s, 0, sizeof *s);
}
