/* run_test.c - one wasi-testsuite test, as its spec says: a private copy of
 * the `root` fixture preopened as "/", the spec's env as the complete
 * guest environment (passed with --env, never --inherit-env), its args,
 * then the exit code and a prefix match of stdout and stderr (the
 * reference runner reads as many characters as the expected text has).
 * Finding tests and scheduling them is wasi_suite.c's job.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "suite.h"

enum { EXCERPT = 240 };         /* bytes of output quoted in a reason */

/* A NULL-terminated vector of heap strings (argv or envp). */
typedef struct Words {
    char  **v;
    size_t  n;
    size_t  cap;
    bool    is_nomem;
} Words;

static void
add(Words *w, const char *fmt, ...)
{
    va_list ap;
    char   *s = NULL;

    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0)
        s = NULL;
    va_end(ap);
    if (s && w->n + 2 > w->cap) {
        size_t cap = w->cap ? 2 * w->cap : 16;
        char **nv = realloc(w->v, cap * sizeof *nv);
        if (!nv) {
            free(s);
            s = NULL;
        } else {
            w->v = nv;
            w->cap = cap;
        }
    }
    if (!s) {
        w->is_nomem = true;
        return;
    }
    w->v[w->n++] = s;
    w->v[w->n] = NULL;
}

static void
words_free(Words *w)
{
    for (size_t i = 0; i < w->n; i++)
        free(w->v[i]);
    free(w->v);
}

static void
set(Test *t, Outcome o, const char *fmt, ...)
{
    va_list ap;

    t->outcome = o;
    free(t->reason);
    va_start(ap, fmt);
    if (vasprintf(&t->reason, fmt, ap) < 0)
        t->reason = NULL;
    va_end(ap);
}

/* Text as a C-style quoted string, cut after max bytes ("..." added). */
static char *
quote(const char *s, size_t len, size_t max)
{
    char  *o = malloc(4 * (len < max ? len : max) + 8);
    size_t n = 0;

    if (!o)
        return NULL;
    o[n++] = '"';
    for (size_t i = 0; i < len && i < max; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n' || c == '\t' || c == '"' || c == '\\') {
            o[n++] = '\\';
            o[n++] = c == '\n' ? 'n' : c == '\t' ? 't' : (char)c;
        } else if (c < 0x20 || c == 0x7f) {
            n += (size_t)sprintf(o + n, "\\x%02x", c);
        } else {
            o[n++] = (char)c;
        }
    }
    o[n++] = '"';
    if (len > max)
        n += (size_t)sprintf(o + n, "...");
    o[n] = '\0';
    return o;
}

static bool
read_text(const char *path, char **out, size_t *len, char *why,
          size_t nwhy)
{
    FILE *f = fopen(path, "rbe");
    char *buf = NULL;
    long  n = -1;

    if (f && fseek(f, 0, SEEK_END) == 0)
        n = ftell(f);
    if (n >= 0 && fseek(f, 0, SEEK_SET) == 0)
        buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) == (size_t)n) {
        buf[n] = '\0';
        *out = buf;
        *len = (size_t)n;
        fclose(f);
        return true;
    }
    snprintf(why, nwhy, "cannot read %s: %s", path, strerror(errno));
    free(buf);
    if (f)
        fclose(f);
    return false;
}

/* No spec file: every default (no args, no env, no root, exit 0). */
static bool
load_spec(const Test *t, Spec *s, char *why, size_t nwhy)
{
    char  *text;
    size_t len;

    memset(s, 0, sizeof *s);
    if (!t->json)
        return true;
    if (!read_text(t->json, &text, &len, why, nwhy))
        return false;
    bool ok = moatT_spec_parse(text, len, s, why, nwhy);
    free(text);
    return ok;
}

/* dir of the spec + "/" + rel, or rel itself when absolute */
static char *
beside(const char *json, const char *rel)
{
    char       *p = NULL;
    const char *slash = strrchr(json, '/');

    if (rel[0] == '/' || !slash)
        return strdup(rel);
    if (asprintf(&p, "%.*s/%s", (int)(slash - json), json, rel) < 0)
        return NULL;
    return p;
}

/* Copies one fixture into tmp/name and adds its --dir option. */
static bool
preopen(const Test *t, const char *tmp, const char *name, const char *rel,
        const char *guest, Words *argv, char *why, size_t nwhy)
{
    char *src = beside(t->json, rel);
    char  dst[PATH_MAX];
    bool  ok = false;

    if (!src)
        snprintf(why, nwhy, "out of memory");
    else if (snprintf(dst, sizeof dst, "%s/%s", tmp, name) >= PATH_MAX)
        snprintf(why, nwhy, "path too long: %s/%s", tmp, name);
    else
        ok = moatT_tree_copy(src, dst, why, nwhy);
    if (ok) {
        add(argv, "--dir");
        add(argv, "%s::%s", dst, guest);
    }
    free(src);
    return ok;
}

static bool
build_argv(const Config *c, const Test *t, const Spec *s, const char *tmp,
           Words *argv, char *why, size_t nwhy)
{
    add(argv, "%s", c->moat);
    add(argv, "run");
    for (size_t i = 0; i < c->nmoat_args; i++)
        add(argv, "%s", c->moat_args[i]);
    if (s->root && !preopen(t, tmp, "root", s->root, "/", argv, why, nwhy))
        return false;
    for (size_t i = 0; i < s->ndirs; i++) {
        char name[32];
        snprintf(name, sizeof name, "dir%zu", i);
        if (!preopen(t, tmp, name, s->dirs[i], s->dirs[i], argv, why, nwhy))
            return false;
    }
    for (size_t i = 0; i < s->nenv; i++) {
        add(argv, "--env");
        add(argv, "%s", s->env[i]);
    }
    add(argv, "%s", t->wasm);
    for (size_t i = 0; i < s->nargs; i++)
        add(argv, "%s", s->args[i]);
    if (argv->is_nomem)
        snprintf(why, nwhy, "out of memory");
    return !argv->is_nomem;
}

/* The host process's environment: the cache, and what a sanitizer build
 * or the compiler's tools need. The guest sees none of it. */
static void
build_envp(const Config *c, Words *envp)
{
    static const char *const pass[] = { "PATH", "ASAN_OPTIONS",
                                        "UBSAN_OPTIONS", "LSAN_OPTIONS" };

    add(envp, "MOAT_CACHE_DIR=%s", c->cache);
    for (size_t i = 0; i < sizeof pass / sizeof pass[0]; i++) {
        const char *v = getenv(pass[i]);
        if (v)
            add(envp, "%s=%s", pass[i], v);
    }
}

static bool
has_prefix(const char *got, size_t glen, const char *want, size_t wlen)
{
    return glen >= wlen && memcmp(got, want, wlen) == 0;
}

static void
fail_output(Test *t, const char *stream, const char *got, size_t glen,
            const char *want, size_t wlen)
{
    char *g = quote(got, glen, EXCERPT), *w = quote(want, wlen, EXCERPT);
    set(t, OUT_FAIL, "%s %s does not start with %s", stream,
        g ? g : "?", w ? w : "?");
    free(g);
    free(w);
}

/* Exit statuses are 8 bits on the host: 33 is 33, 256 would read 0. */
static void
judge(const Config *c, const Spec *s, const ChildResult *r, Test *t)
{
    long  want = s->exit_code & 0xff;
    char *err = quote(r->err, r->errlen, EXCERPT);

    if (!r->is_started)
        set(t, OUT_FAIL, "%s", r->why);
    else if (r->is_timed_out)
        set(t, OUT_FAIL, "timed out after %.0f s; stderr %s", c->timeout_s,
            err ? err : "?");
    else if (r->is_signaled)
        set(t, OUT_FAIL, "moat killed by signal %d (%s); stderr %s", r->code,
            strsignal(r->code), err ? err : "?");
    else if (r->code != want)
        set(t, OUT_FAIL, "exit code %d, expected %ld; stderr %s", r->code,
            s->exit_code, err ? err : "?");
    else if (s->want_out &&
             !has_prefix(r->out, r->outlen, s->want_out, s->want_outlen))
        fail_output(t, "stdout", r->out, r->outlen, s->want_out,
                    s->want_outlen);
    else if (s->want_err &&
             !has_prefix(r->err, r->errlen, s->want_err, s->want_errlen))
        fail_output(t, "stderr", r->err, r->errlen, s->want_err,
                    s->want_errlen);
    else
        set(t, OUT_PASS, "exit code %d", r->code);
    free(err);
}

/* Verbose report: the command (shell-quoted, runnable as printed, with
 * the fixture copy kept under --keep) and both streams in full. */
static void
describe(const Words *argv, const ChildResult *r, Test *t)
{
    char  *buf = NULL;
    size_t len = 0;
    FILE  *f = open_memstream(&buf, &len);

    if (!f)
        return;
    fprintf(f, "  command:");
    for (size_t i = 0; i < argv->n; i++) {
        fputs(" '", f);
        for (const char *p = argv->v[i]; *p; p++)
            if (*p == '\'')
                fputs("'\\''", f);
            else
                fputc(*p, f);
        fputc('\'', f);
    }
    fprintf(f, "\n  stdout (%zu bytes):\n%s", r->outlen, r->out);
    if (r->outlen && r->out[r->outlen - 1] != '\n')
        fputc('\n', f);
    fprintf(f, "  stderr (%zu bytes):\n%s", r->errlen, r->err);
    if (r->errlen && r->err[r->errlen - 1] != '\n')
        fputc('\n', f);
    fclose(f);
    t->detail = buf;
}

void
moatT_test_run(const Config *c, Test *t)
{
    Spec        s;
    Words       argv = { 0 }, envp = { 0 };
    ChildResult r = { 0 };
    char        why[512], tmp[PATH_MAX];

    if (!load_spec(t, &s, why, sizeof why)) {
        set(t, OUT_FAIL, "bad spec %s: %s", t->json, why);
        return;
    }
    if (s.skip[0]) {
        set(t, OUT_SKIP, "%s", s.skip);
        moatT_spec_free(&s);
        return;
    }
    snprintf(tmp, sizeof tmp, "%s/wasi-XXXXXX", c->work);
    if (!mkdtemp(tmp)) {
        set(t, OUT_FAIL, "mkdtemp %s: %s", tmp, strerror(errno));
        moatT_spec_free(&s);
        return;
    }
    if (!build_argv(c, t, &s, tmp, &argv, why, sizeof why)) {
        set(t, OUT_FAIL, "setting up: %s", why);
    } else {
        build_envp(c, &envp);
        moatT_child_run(argv.v, envp.v, c->timeout_s, &r);
        t->seconds = r.seconds;
        judge(c, &s, &r, t);
        if (c->is_verbose)
            describe(&argv, &r, t);
    }
    if (!c->is_keep && !moatT_tree_remove(tmp, why, sizeof why) &&
        t->outcome == OUT_PASS)
        set(t, OUT_FAIL, "cleaning up: %s", why);
    moatT_child_free(&r);
    words_free(&argv);
    words_free(&envp);
    moatT_spec_free(&s);
}
