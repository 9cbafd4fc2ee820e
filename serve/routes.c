/* routes.c - the route table of `moat serve`: `--route PATH=MODULE`
 * arguments and the INI route file (docs/serve-routes.md), read with
 * inih. Matching: an exact pattern first, then the wildcard with the
 * longest prefix. Running what a route names is main.c's business.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "../cli/units.h"
#include "serve.h"

/* ---- routes and the table ---- */

/* Why pattern p cannot be a route, or NULL when it can. */
static const char *
pattern_problem(const char *p)
{
    if (p[0] != '/')
        return "a route pattern must start with '/'";
    for (const char *s = p; *s; s++) {
        if ((unsigned char)*s <= ' ' || *s == 0x7f)
            return "a route pattern cannot contain spaces or control "
                   "characters";
        if (*s == '?' || *s == '#')
            return "a route pattern cannot contain '?' or '#'";
    }
    const char *w = strstr(p, "/...");
    if (w && w[4])
        return "\"/...\" may only end a route pattern";
    return NULL;
}

static void
route_fini(ServeRoute *rt)
{
    free(rt->pattern);
    free(rt->prefix);
    free(rt->module);
    for (int i = 0; i < rt->ndirs; i++)
        free(rt->dirs[i]);
    free(rt->dirs);
    for (int i = 0; i < rt->nenvs; i++)
        free(rt->envs[i]);
    free(rt->envs);
    memset(rt, 0, sizeof *rt);
}

/* A route with a checked pattern and nothing else; false if out of
 * memory. */
static bool
route_init(ServeRoute *rt, const char *pattern)
{
    size_t n = strlen(pattern);

    memset(rt, 0, sizeof *rt);
    rt->is_wildcard = n >= 4 && !strcmp(pattern + n - 4, "/...");
    rt->pattern = strdup(pattern);
    rt->prefix = strndup(pattern, rt->is_wildcard ? n - 4 : n);
    if (!rt->pattern || !rt->prefix) {
        route_fini(rt);
        return false;
    }
    return true;
}

/* Appends a copy of s to the list (*v, *n); false if out of memory. */
static bool
strv_push(char ***v, int *n, const char *s)
{
    char **nv = realloc(*v, ((size_t)*n + 1) * sizeof **v);
    if (!nv)
        return false;
    *v = nv;
    if (!(nv[*n] = strdup(s)))
        return false;
    (*n)++;
    return true;
}

/* Moves *rt to the end of r (rt is then empty); false if out of memory. */
static bool
routes_push(ServeRoutes *r, ServeRoute *rt)
{
    if (r->n == r->cap) {
        size_t      cap = r->cap ? 2 * r->cap : 8;
        ServeRoute *v = realloc(r->v, cap * sizeof *v);
        if (!v)
            return false;
        r->v = v;
        r->cap = cap;
    }
    r->v[r->n++] = *rt;
    memset(rt, 0, sizeof *rt);
    return true;
}

static const ServeRoute *
find_pattern(const ServeRoutes *r, const char *pattern)
{
    for (size_t i = 0; i < r->n; i++)
        if (!strcmp(r->v[i].pattern, pattern))
            return &r->v[i];
    return NULL;
}

void
serve_routes_free(ServeRoutes *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++)
        route_fini(&r->v[i]);
    free(r->v);
    memset(r, 0, sizeof *r);
}

const ServeRoute *
serve_routes_match(const ServeRoutes *r, const char *path,
                   const char **path_info)
{
    const ServeRoute *best = NULL;
    size_t            best_len = 0;

    for (size_t i = 0; i < r->n; i++) {
        const ServeRoute *rt = &r->v[i];
        if (!rt->is_wildcard) {
            if (!strcmp(rt->pattern, path)) {   /* patterns are unique */
                *path_info = path + strlen(path);
                return rt;
            }
            continue;
        }
        /* "/api" covers "/api" and "/api/x", never "/apix" */
        size_t k = strlen(rt->prefix);
        if (strncmp(path, rt->prefix, k) || (path[k] && path[k] != '/'))
            continue;
        if (!best || k > best_len) {
            best = rt;
            best_len = k;
        }
    }
    if (best)
        *path_info = path + best_len;
    return best;
}

bool
serve_routes_add_arg(ServeRoutes *r, const char *arg, char *err,
                     size_t errlen)
{
    const char *eq = strchr(arg, '=');
    const char *why = NULL;
    ServeRoute  rt;

    if (!eq || eq == arg) {
        snprintf(err, errlen, "--route '%s': want PATH=MODULE", arg);
        return false;
    }
    if (!eq[1]) {
        snprintf(err, errlen, "--route '%s': no module after '='", arg);
        return false;
    }
    char *pattern = strndup(arg, (size_t)(eq - arg));
    if (!pattern)
        why = "out of memory";
    else if (!(why = pattern_problem(pattern)) && find_pattern(r, pattern))
        why = "this route pattern is given twice";
    if (!why && (!route_init(&rt, pattern) || !(rt.module = strdup(eq + 1)) ||
                 !routes_push(r, &rt))) {
        route_fini(&rt);
        why = "out of memory";
    }
    free(pattern);
    if (why)
        snprintf(err, errlen, "--route '%s': %s", arg, why);
    return !why;
}

/* ---- the route file ---- */

enum { SEC_NONE, SEC_DEFAULTS, SEC_ROUTE, SEC_BAD };

/* Keys, as bits of Loader.seen: a single-valued key may appear once per
 * section. */
enum { K_MODULE = 1, K_TIMEOUT = 2, K_MAX_MEMORY = 4 };

typedef struct Loader {
    FILE              *f;
    const char        *path;        /* the route file, for messages */
    char              *dir;         /* its directory with a trailing '/',
                                     * or "" */
    const ServeRoutes *existing;    /* for duplicate patterns */
    char              *buf;         /* getline's */
    size_t             cap;
    int                lineno;      /* of the line inih is parsing */
    int                sec;         /* SEC_*: the section of that line */
    unsigned           seen;        /* K_* given in this section */
    ServeRoutes        tmp;         /* the file's routes, until all is
                                     * well */
    int               *lines;       /* line of each tmp route's header */
    ServeRoute         defaults;    /* pattern unused */
    int                defaults_line;
    int                err_line;    /* 0: no error yet */
    char              *err;
    size_t             errlen;
} Loader;

/* Records an error at line; the first in file order wins. Returns 1 (the
 * inih handler's "go on": errors are counted here, not by inih). */
static int
fail(Loader *ld, int line, const char *fmt, ...)
{
    if (ld->err_line && ld->err_line <= line)
        return 1;
    int n = snprintf(ld->err, ld->errlen, "%s:%d: ", ld->path, line);
    if (n >= 0 && (size_t)n < ld->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ld->err + n, ld->errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    ld->err_line = line;
    return 1;
}

/* Path p of the file, relative to the file's directory unless absolute. */
static char *
resolve(const Loader *ld, const char *p)
{
    size_t nd = strlen(ld->dir), np = strlen(p);
    char  *s = malloc(nd + np + 1);

    if (p[0] == '/')
        nd = 0;
    if (s) {
        memcpy(s, ld->dir, nd);
        memcpy(s + nd, p, np + 1);
    }
    return s;
}

static bool
is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* A [route "PATTERN"] header: the route is created now, so that an empty
 * section is still seen (and found to lack a module). */
static void
route_section(Loader *ld, const char *pattern)
{
    const char *why = pattern_problem(pattern);
    ServeRoute  rt;

    if (why) {
        fail(ld, ld->lineno, "%s: \"%s\"", why, pattern);
        return;
    }
    for (size_t i = 0; i < ld->tmp.n; i++)
        if (!strcmp(ld->tmp.v[i].pattern, pattern)) {
            fail(ld, ld->lineno, "route \"%s\" given twice (first at "
                 "line %d)", pattern, ld->lines[i]);
            return;
        }
    if (find_pattern(ld->existing, pattern)) {
        fail(ld, ld->lineno, "route \"%s\" is already defined (by --route "
             "or an earlier route file)", pattern);
        return;
    }
    int *lines = realloc(ld->lines, (ld->tmp.n + 1) * sizeof *lines);
    if (lines)
        ld->lines = lines;
    if (!lines || !route_init(&rt, pattern)) {
        fail(ld, ld->lineno, "out of memory");
        return;
    }
    if (!routes_push(&ld->tmp, &rt)) {
        route_fini(&rt);
        fail(ld, ld->lineno, "out of memory");
        return;
    }
    ld->lines[ld->tmp.n - 1] = ld->lineno;
    ld->sec = SEC_ROUTE;
}

/* A section header (line starts with '['), seen by the reader before inih
 * parses it: inih cuts section names at 50 bytes and never reports an
 * empty section, so sections are tracked here and its name is ignored. */
static void
on_section(Loader *ld, const char *line)
{
    size_t len = strlen(line);

    ld->sec = SEC_BAD;          /* until proven good: its keys are skipped */
    ld->seen = 0;
    for (size_t i = 1; i < len; i++)    /* inih's inline comment: " ;" */
        if (line[i] == ';' && is_blank(line[i - 1])) {
            len = i;
            break;
        }
    while (len && is_blank(line[len - 1]))
        len--;
    if (len < 2 || line[len - 1] != ']') {
        fail(ld, ld->lineno, memchr(line, ']', len)
                                 ? "text after the section's closing ']'"
                                 : "section header without a closing ']'");
        return;
    }
    const char *s = line + 1;
    size_t      n = len - 2;
    while (n && is_blank(*s))
        s++, n--;
    while (n && is_blank(s[n - 1]))
        n--;
    if (n == 8 && !memcmp(s, "defaults", 8)) {
        if (ld->defaults_line) {
            fail(ld, ld->lineno, "[defaults] given twice (first at line "
                 "%d)", ld->defaults_line);
            return;
        }
        ld->defaults_line = ld->lineno;
        ld->sec = SEC_DEFAULTS;
    } else if (n > 5 && !memcmp(s, "route", 5) && is_blank(s[5])) {
        for (s += 5, n -= 5; is_blank(*s); s++, n--)
            ;
        if (n < 2 || s[0] != '"' || s[n - 1] != '"') {
            fail(ld, ld->lineno, "want [route \"PATH\"] with PATH in "
                 "double quotes");
            return;
        }
        char *pattern = strndup(s + 1, n - 2);
        if (!pattern)
            fail(ld, ld->lineno, "out of memory");
        else
            route_section(ld, pattern);
        free(pattern);
    } else {
        fail(ld, ld->lineno, "unknown section %.*s (want [defaults] or "
             "[route \"PATH\"])", (int)len, line);
    }
}

/* ---- keys: each returns NULL when set, else why not ---- */

static const char *
set_module(Loader *ld, ServeRoute *rt, const char *v)
{
    if (!*v)
        return "want the path of a .wasm, .o or .so";
    rt->module = strncmp(v, "native:", 7) ? resolve(ld, v) : strdup(v);
    return rt->module ? NULL : "out of memory";
}

static const char *
set_env(Loader *ld, ServeRoute *rt, const char *v)
{
    (void)ld;
    const char *eq = strchr(v, '=');
    if (!eq || eq == v)
        return "want NAME=VALUE";
    return strv_push(&rt->envs, &rt->nenvs, v) ? NULL : "out of memory";
}

/* HOST[::GUEST]; a relative HOST is the file's, and then GUEST defaults
 * to HOST as written (not to the resolved path). */
static const char *
set_dir(Loader *ld, ServeRoute *rt, const char *v)
{
    const char *sep = strstr(v, "::");
    size_t      nhost = sep ? (size_t)(sep - v) : strlen(v);

    if (!nhost)
        return "want HOST[::GUEST] with a HOST";
    if (sep && !sep[2])
        return "want HOST[::GUEST] with a GUEST after '::'";
    if (v[0] == '/')
        return strv_push(&rt->dirs, &rt->ndirs, v) ? NULL : "out of memory";
    char *host = strndup(v, nhost);
    char *full = host ? resolve(ld, host) : NULL;
    char *s = NULL;
    if (full && asprintf(&s, "%s::%s", full, sep ? sep + 2 : host) < 0)
        s = NULL;
    bool ok = s && strv_push(&rt->dirs, &rt->ndirs, s);
    free(host);
    free(full);
    free(s);
    return ok ? NULL : "out of memory";
}

static const char *
set_timeout(Loader *ld, ServeRoute *rt, const char *v)
{
    (void)ld;
    return moat_cli_parse_duration(v, &rt->timeout_ns)
               ? NULL
               : "want a duration such as 500ms, 2s or 1m";
}

static const char *
set_max_memory(Loader *ld, ServeRoute *rt, const char *v)
{
    (void)ld;
    return moat_cli_parse_size(v, &rt->max_memory)
               ? NULL
               : "want a size such as 65536, 64K, 16M or 1G";
}

typedef const char *(*SetFn)(Loader *ld, ServeRoute *rt, const char *v);

static const struct {
    const char *name;
    unsigned    once;           /* K_* bit, 0: may repeat */
    bool        in_defaults;
    SetFn       set;
} keys[] = {
    { "module", K_MODULE, false, set_module },
    { "env", 0, true, set_env },
    { "dir", 0, true, set_dir },
    { "timeout", K_TIMEOUT, true, set_timeout },
    { "max-memory", K_MAX_MEMORY, true, set_max_memory },
};

/* inih's handler: one NAME = VALUE of the current section. */
static int
on_key(void *user, const char *section, const char *name, const char *value)
{
    Loader *ld = user;
    size_t  k = 0;

    (void)section;              /* cut at 50 bytes: on_section's is used */
    if (!name)
        return 1;               /* a new section, if inih was built to say */
    if (!value)                 /* a bare name, if inih was built to allow */
        return fail(ld, ld->lineno, "want NAME = VALUE");
    if (ld->sec == SEC_BAD)
        return 1;               /* its header is the error */
    if (ld->sec == SEC_NONE)
        return fail(ld, ld->lineno, "'%s' outside a section (want "
                    "[defaults] or [route \"PATH\"] before it)", name);
    while (k < sizeof keys / sizeof keys[0] && strcmp(keys[k].name, name))
        k++;
    if (k == sizeof keys / sizeof keys[0])
        return fail(ld, ld->lineno, "unknown key '%s' (want module, env, "
                    "dir, timeout or max-memory)", name);
    if (ld->sec == SEC_DEFAULTS && !keys[k].in_defaults)
        return fail(ld, ld->lineno, "'%s' is not allowed in [defaults]",
                    name);
    if (ld->seen & keys[k].once)
        return fail(ld, ld->lineno, "'%s' given twice in this section",
                    name);
    ld->seen |= keys[k].once;
    ServeRoute *rt = ld->sec == SEC_DEFAULTS ? &ld->defaults
                                             : &ld->tmp.v[ld->tmp.n - 1];
    const char *why = keys[k].set(ld, rt, value);
    if (why)
        return fail(ld, ld->lineno, "%s = %s: %s", name, value, why);
    return 1;
}

/* ---- reading the file ---- */

/* inih's reader: the next line, without its leading blanks (so that an
 * indented key is a key, never the continuation of the value before it),
 * counted, and with its section header seen first. Comments may be of
 * any length; other lines must fit inih's buffer of num bytes. NULL at
 * the end, or on an error (recorded). */
static char *
read_line(char *str, int num, void *stream)
{
    Loader *ld = stream;

    if (ld->err_line)
        return NULL;            /* the first error is all that is said */
    errno = 0;
    ssize_t got = getline(&ld->buf, &ld->cap, ld->f);
    if (got < 0) {
        if (ferror(ld->f))
            fail(ld, ld->lineno + 1, "cannot read: %s", strerror(errno));
        return NULL;
    }
    ld->lineno++;
    char  *s = ld->buf;
    size_t len = (size_t)got;
    if (memchr(s, '\0', len)) {
        fail(ld, ld->lineno, "NUL byte in the line");
        return NULL;
    }
    if (ld->lineno == 1 && len >= 3 && !memcmp(s, "\xef\xbb\xbf", 3))
        s += 3, len -= 3;       /* a UTF-8 byte order mark */
    while (len && (s[len - 1] == '\n' || s[len - 1] == '\r'))
        len--;
    while (len && is_blank(*s))
        s++, len--;
    if (len && (*s == ';' || *s == '#'))
        len = 1;
    if (len >= (size_t)num) {
        fail(ld, ld->lineno, "line longer than %d bytes", num - 1);
        return NULL;
    }
    memcpy(str, s, len);
    str[len] = '\0';
    if (*str == '[')
        on_section(ld, str);
    return str;
}

/* Prepends copies of pre[0..npre) to the list (*v, *n). */
static bool
strv_prepend(char ***v, int *n, char *const *pre, int npre)
{
    if (!npre)
        return true;
    char **nv = malloc(((size_t)*n + (size_t)npre) * sizeof *nv);
    if (!nv)
        return false;
    for (int k = 0; k < npre; k++)
        if (!(nv[k] = strdup(pre[k]))) {
            while (k--)
                free(nv[k]);
            free(nv);
            return false;
        }
    if (*n)
        memcpy(nv + npre, *v, (size_t)*n * sizeof *nv);
    free(*v);
    *v = nv;
    *n += npre;
    return true;
}

/* After a clean parse: every route has a module; [defaults] fills what a
 * route leaves unset (its env and dir come before the route's, so that
 * the route's env wins). */
static void
finish(Loader *ld)
{
    const ServeRoute *d = &ld->defaults;

    if (!ld->tmp.n) {
        fail(ld, ld->lineno ? ld->lineno : 1, "no [route \"PATH\"] "
             "section");
        return;
    }
    for (size_t i = 0; i < ld->tmp.n; i++) {
        ServeRoute *rt = &ld->tmp.v[i];
        if (!rt->module) {
            fail(ld, ld->lines[i], "route \"%s\" has no module",
                 rt->pattern);
            continue;
        }
        if (!rt->timeout_ns)
            rt->timeout_ns = d->timeout_ns;
        if (!rt->max_memory)
            rt->max_memory = d->max_memory;
        if (!strv_prepend(&rt->envs, &rt->nenvs, d->envs, d->nenvs) ||
            !strv_prepend(&rt->dirs, &rt->ndirs, d->dirs, d->ndirs))
            fail(ld, ld->lines[i], "out of memory");
    }
}

/* Moves the file's routes to r, all or none. */
static bool
adopt(ServeRoutes *r, ServeRoutes *tmp)
{
    if (r->n + tmp->n > r->cap) {
        size_t      cap = r->n + tmp->n;
        ServeRoute *v = realloc(r->v, cap * sizeof *v);
        if (!v)
            return false;
        r->v = v;
        r->cap = cap;
    }
    for (size_t i = 0; i < tmp->n; i++)
        routes_push(r, &tmp->v[i]);     /* cannot fail: room was made */
    return true;
}

bool
serve_routes_load_file(ServeRoutes *r, const char *path, char *err,
                       size_t errlen)
{
    Loader      ld = { .path = path, .existing = r, .err = err,
                       .errlen = errlen };
    const char *slash = strrchr(path, '/');

    if (!(ld.f = fopen(path, "r"))) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return false;
    }
    ld.dir = strndup(path, slash ? (size_t)(slash - path) + 1 : 0);
    if (!ld.dir)
        fail(&ld, 1, "out of memory");
    /* inih's own errors: a line that is neither a key, a section nor a
     * comment (its handler never fails: errors are recorded by fail) */
    int bad = ld.dir ? ini_parse_stream(read_line, &ld, on_key, &ld) : 0;
    if (bad > 0)
        fail(&ld, bad, "want NAME = VALUE, a [section] or a comment");
    else if (bad < 0)
        fail(&ld, ld.lineno + 1, "out of memory");
    if (!ld.err_line)
        finish(&ld);
    if (!ld.err_line && !adopt(r, &ld.tmp))
        fail(&ld, 1, "out of memory");
    fclose(ld.f);
    free(ld.buf);
    free(ld.dir);
    free(ld.lines);
    route_fini(&ld.defaults);
    serve_routes_free(&ld.tmp);
    return !ld.err_line;
}
