/* cgi_env.c - the environment and arguments of one request, as WAGI sets
 * them (RFC 3875 4.1 with WAGI's X_ additions; docs/serve-routes.md says
 * what each holds and where Moat differs). Pure: a ServeRequestInfo in,
 * string vectors out. HTTP parsing and limits are libmicrohttpd's: every
 * input here is a C string whose size the server has already bounded, and
 * the work is linear in it (plus a sort of the headers).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "serve.h"

/* ---- a growing byte buffer; an allocation failure sticks ---- */

typedef struct Buf {
    char  *p;
    size_t n, cap;
    bool   is_oom;
} Buf;

static void
buf_add(Buf *b, const char *s, size_t n)
{
    if (b->is_oom)
        return;
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->n + n)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->is_oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
}

static void
buf_str(Buf *b, const char *s)
{
    buf_add(b, s, strlen(s));
}

static void
buf_char(Buf *b, char c)
{
    buf_add(b, &c, 1);
}

/* ---- variables: "NAME=VALUE\0" strings in one Buf ---- */

typedef struct Var {
    size_t off, nname;          /* where the string starts; NAME's length */
    size_t seq;                 /* order of setting: the last one wins */
} Var;

typedef struct Env {
    Buf    b;
    Var   *v;
    size_t n, cap;
} Env;

/* Ends the variable started at off (NAME has nname bytes). */
static void
var_done(Env *e, size_t off, size_t nname)
{
    buf_char(&e->b, '\0');
    if (e->b.is_oom)
        return;
    if (e->n == e->cap) {
        size_t cap = e->cap ? 2 * e->cap : 64;
        Var   *v = realloc(e->v, cap * sizeof *v);
        if (!v) {
            e->b.is_oom = true;
            return;
        }
        e->v = v;
        e->cap = cap;
    }
    e->v[e->n] = (Var){ off, nname, e->n };
    e->n++;
}

static void
put(Env *e, const char *name, const char *value)
{
    size_t off = e->b.n;
    buf_str(&e->b, name);
    buf_char(&e->b, '=');
    buf_str(&e->b, value);
    var_done(e, off, strlen(name));
}

/* ---- request headers ---- */

/* tchar of RFC 7230 3.2.6. */
static bool
is_tchar(unsigned char c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
        (c >= 'A' && c <= 'Z'))
        return true;
    return c && strchr("!#$%&'*+-.^_`|~", c);
}

/* Whether header name becomes an HTTP_ variable. Not: a name that is not
 * a token; one with '_' (as Apache: "X_Y" would pose as "X-Y", which a
 * proxy in front may have vouched for); Content-Type and Content-Length
 * (they are CONTENT_*); Proxy (httpoxy: HTTP_PROXY is read as the proxy
 * to use by many HTTP clients). */
static bool
is_passed(const char *name)
{
    if (!*name)
        return false;
    for (const char *s = name; *s; s++)
        if (!is_tchar((unsigned char)*s) || *s == '_')
            return false;
    return strcasecmp(name, "Content-Type") &&
           strcasecmp(name, "Content-Length") && strcasecmp(name, "Proxy");
}

typedef struct Hdr {
    const char *name, *value;
    size_t      idx;            /* order received: kept within a name */
} Hdr;

static int
hdr_cmp(const void *pa, const void *pb)
{
    const Hdr *a = pa, *b = pb;
    int        c = strcasecmp(a->name, b->name);
    return c ? c : (a->idx > b->idx) - (a->idx < b->idx);
}

/* One HTTP_<NAME> per header name (case-insensitive), repeated headers
 * joined with ", " in the order received. Sorted, not searched, so that
 * many headers cost n log n. */
static void
put_headers(Env *e, const ServeHeader *h, size_t nh)
{
    Hdr   *v = nh ? malloc(nh * sizeof *v) : NULL;
    size_t n = 0;

    if (nh && !v) {
        e->b.is_oom = true;
        return;
    }
    for (size_t i = 0; i < nh; i++)
        if (is_passed(h[i].name))
            v[n++] = (Hdr){ h[i].name, h[i].value, i };
    if (n)
        qsort(v, n, sizeof *v, hdr_cmp);
    for (size_t i = 0, j; i < n; i = j) {
        size_t off = e->b.n;
        buf_str(&e->b, "HTTP_");
        for (const char *s = v[i].name; *s; s++)
            buf_char(&e->b, *s == '-' ? '_' : (char)toupper((unsigned char)*s));
        size_t nname = e->b.n - off;
        buf_char(&e->b, '=');
        for (j = i; j < n && !strcasecmp(v[j].name, v[i].name); j++) {
            if (j > i)
                buf_add(&e->b, ", ", 2);
            buf_str(&e->b, v[j].value);
        }
        var_done(e, off, nname);
    }
    free(v);
}

/* The first value of header name, or NULL. */
static const char *
header(const ServeRequestInfo *ri, const char *name)
{
    for (size_t i = 0; i < ri->nheaders; i++)
        if (!strcasecmp(ri->headers[i].name, name))
            return ri->headers[i].value;
    return NULL;
}

/* ---- paths ---- */

static int
hex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)(c | 0x20);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The part of raw (escapes kept) after the bytes that decode to prefix,
 * or NULL if raw does not decode to something starting with prefix. */
static const char *
raw_after(const char *raw, const char *prefix)
{
    for (; *prefix; prefix++) {
        int c;
        if (raw[0] == '%' && hex(raw[1]) >= 0 && hex(raw[2]) >= 0) {
            c = hex(raw[1]) * 16 + hex(raw[2]);
            raw += 3;
        } else if (*raw) {
            c = (unsigned char)*raw++;
        } else {
            return NULL;
        }
        if (c != (unsigned char)*prefix)
            return NULL;
    }
    return raw;
}

/* scheme://host[:port]/raw/path[?query]; the port only when not the
 * scheme's own, an IPv6 address in brackets. */
static void
put_full_url(Env *e, const ServeRequestInfo *ri)
{
    const char *host = ri->server_name;
    bool        is_v6 = strchr(host, ':') && host[0] != '[';
    bool        is_dflt = (!strcmp(ri->scheme, "http") &&
                           ri->server_port == 80) ||
                          (!strcmp(ri->scheme, "https") &&
                           ri->server_port == 443);
    char        port[16] = "";
    size_t      off = e->b.n;

    if (!is_dflt)
        snprintf(port, sizeof port, ":%u", ri->server_port);
    buf_str(&e->b, "X_FULL_URL=");
    buf_str(&e->b, ri->scheme);
    buf_str(&e->b, is_v6 ? "://[" : "://");
    buf_str(&e->b, host);
    buf_str(&e->b, is_v6 ? "]" : "");
    buf_str(&e->b, port);
    buf_str(&e->b, ri->raw_path);
    if (*ri->query) {
        buf_char(&e->b, '?');
        buf_str(&e->b, ri->query);
    }
    var_done(e, off, strlen("X_FULL_URL"));
}

/* The variables every request gets, as WAGI sets them. */
static void
put_cgi(Env *e, const ServeRequestInfo *ri)
{
    const ServeRoute *rt = ri->route;
    const char       *ctype = header(ri, "Content-Type");
    const char       *clen = header(ri, "Content-Length");
    /* PATH_INFO is the decoded path's; the raw one is cut where the
     * raw path decodes to the route's prefix (exact routes: nothing) */
    const char *raw_info = *ri->path_info ? raw_after(ri->raw_path,
                                                      rt->prefix)
                                          : "";
    char        port[16];

    snprintf(port, sizeof port, "%u", ri->server_port);
    put(e, "AUTH_TYPE", "");
    put(e, "CONTENT_LENGTH", clen ? clen : "0");
    put(e, "CONTENT_TYPE", ctype ? ctype : "");
    put(e, "GATEWAY_INTERFACE", "CGI/1.1");
    put(e, "PATH_INFO", ri->path_info);
    put(e, "PATH_TRANSLATED", ri->path_info);
    put(e, "QUERY_STRING", ri->query);
    put(e, "REMOTE_ADDR", ri->remote_addr);
    put(e, "REMOTE_HOST", ri->remote_addr);
    put(e, "REMOTE_USER", "");
    put(e, "REQUEST_METHOD", ri->method);
    put(e, "SCRIPT_NAME", rt->prefix);
    put(e, "SERVER_NAME", ri->server_name);
    put(e, "SERVER_PORT", port);
    put(e, "SERVER_PROTOCOL", ri->protocol);
    put(e, "SERVER_SOFTWARE", "Moat/0.1");
    put_full_url(e, ri);
    put(e, "X_MATCHED_ROUTE", rt->pattern);
    put(e, "X_RAW_PATH_INFO", raw_info ? raw_info : ri->path_info);
}

/* By name, then by when set (qsort_r: b is the strings' buffer). */
static int
var_cmp(const void *pa, const void *pb, void *pbuf)
{
    const Var *x = pa, *y = pb;
    const Buf *b = pbuf;
    size_t n = x->nname < y->nname ? x->nname : y->nname;
    int    c = memcmp(b->p + x->off, b->p + y->off, n);
    if (c)
        return c;
    if (x->nname != y->nname)
        return x->nname < y->nname ? -1 : 1;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

/* The last-set variable of each name, as one allocation: the pointer
 * array, then the strings. */
static char **
finish_env(Env *e, size_t *count)
{
    size_t k = 0, bytes = 0;

    qsort_r(e->v, e->n, sizeof *e->v, var_cmp, &e->b);
    for (size_t i = 0; i < e->n; i++) {
        const Var *x = &e->v[i];
        if (i + 1 < e->n && x->nname == e->v[i + 1].nname &&
            !memcmp(e->b.p + x->off, e->b.p + e->v[i + 1].off, x->nname))
            continue;                   /* set again later: that one wins */
        e->v[k++] = *x;
        bytes += strlen(e->b.p + x->off) + 1;
    }
    char **out = malloc((k + 1) * sizeof *out + bytes);
    if (!out)
        return NULL;
    char *s = (char *)(out + k + 1);
    for (size_t i = 0; i < k; i++) {
        size_t n = strlen(e->b.p + e->v[i].off) + 1;
        out[i] = memcpy(s, e->b.p + e->v[i].off, n);
        s += n;
    }
    out[k] = NULL;
    *count = k;
    return out;
}

char **
serve_cgi_env(const ServeRequestInfo *ri, size_t *n)
{
    Env    e = { .n = 0 };
    char **out = NULL;

    put_cgi(&e, ri);
    put_headers(&e, ri->headers, ri->nheaders);
    for (int i = 0; i < ri->route->nenvs; i++) {
        const char *s = ri->route->envs[i], *eq = strchr(s, '=');
        if (!eq || eq == s)
            continue;                   /* routes.c lets none through */
        size_t off = e.b.n;
        buf_str(&e.b, s);
        var_done(&e, off, (size_t)(eq - s));
    }
    if (!e.b.is_oom)
        out = finish_env(&e, n);
    free(e.b.p);
    free(e.v);
    return out;
}

/* ---- arguments ---- */

/* Decodes a query word s[0..n) into out ('+' is a space, %XX a byte, a
 * '%' not followed by two hex digits itself); its length, or SIZE_MAX if
 * it decodes to a NUL. */
static size_t
decode_word(const char *s, size_t n, char *out)
{
    size_t k = 0;

    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%' && i + 2 < n && hex(s[i + 1]) >= 0 &&
                   hex(s[i + 2]) >= 0) {
            c = (char)(hex(s[i + 1]) * 16 + hex(s[i + 2]));
            i += 2;
        }
        if (!c)
            return SIZE_MAX;
        out[k++] = c;
    }
    return k;
}

char **
serve_cgi_argv(const ServeRequestInfo *ri, size_t *n)
{
    const char *q = ri->query;
    size_t      nq = strlen(q), np = strlen(ri->raw_path), words = 0;

    for (const char *s = q, *amp;; s = amp + 1) {
        amp = strchr(s, '&');
        if ((amp ? (size_t)(amp - s) : strlen(s)) > 0)
            words++;
        if (!amp)
            break;
    }
    /* a word decodes to no more bytes than it has; each gets a NUL */
    char **v = malloc((words + 2) * sizeof *v + np + 1 + nq + words);
    if (!v)
        return NULL;
    char  *out = (char *)(v + words + 2);
    size_t k = 0;
    v[k++] = memcpy(out, ri->raw_path, np + 1);
    out += np + 1;
    for (const char *s = q, *amp;; s = amp + 1) {
        amp = strchr(s, '&');
        size_t len = amp ? (size_t)(amp - s) : strlen(s);
        if (len) {
            size_t m = decode_word(s, len, out);
            if (m == SIZE_MAX)          /* a NUL: the word as sent */
                memcpy(out, s, m = len);
            out[m] = '\0';
            v[k++] = out;
            out += m + 1;
        }
        if (!amp)
            break;
    }
    v[k] = NULL;
    *n = k;
    return v;
}

void
serve_strv_free(char **v)
{
    free(v);
}
