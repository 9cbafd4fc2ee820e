/* spec_wast.c - reads a .wast script itself, so the runner needs no
 * wast2json: each command becomes the JSON wast2json would write (the
 * same fields; spec_cmd.c runs them), and each module a file in a
 * scratch folder: text modules translated by the text front-end
 * (moat_wasm_from_wat) to .wasm, `(module binary ...)` written as its
 * bytes, quoted modules in assertions written as .wat text, which
 * spec_cmd.c translates. Script syntax: the spec interpreter's README.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "moat_compile.h"
#include "spec.h"
#include "util.h"
#include "wat.h"

typedef struct W2J {
    const Tok  *t;              /* the script's tokens */
    uint32_t    n;
    Buf         json;
    const char *dir, *base;     /* scratch folder, file name stem */
    unsigned    nfile, ncmd;
    char       *why;
    size_t      nwhy;
    bool        ok;
} W2J;

/* t[i], or the closing EOF token past the end: scripts may be cut short */
static const Tok *
tok(const W2J *j, uint32_t i)
{
    return &j->t[i < j->n ? i : j->n - 1];
}

static void
put(W2J *j, const char *fmt, ...)
{
    char    buf[256];
    va_list ap;

    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    moatX_bytes(&j->json, buf, n < 0 ? 0 : (size_t)n);
}

/* bytes as a JSON string */
static void
put_str(W2J *j, const uint8_t *p, size_t n)
{
    moatX_byte(&j->json, '"');
    for (size_t i = 0; i < n; i++) {
        if (p[i] < 0x20 || p[i] == '"' || p[i] == '\\')
            put(j, "\\u%04x", p[i]);
        else
            moatX_byte(&j->json, p[i]);
    }
    moatX_byte(&j->json, '"');
}

/* A string token, decoded, as a JSON string (an $id as it is). */
static void
put_tok(W2J *j, const Tok *t)
{
    size_t n = 0;

    if (t->kind == TK_ID || !moatX_string(t, NULL, 0, &n)) {
        put_str(j, (const uint8_t *)t->p, t->len);
        return;
    }
    uint8_t *p = moatU_alloc(n + 1);
    if (!p) {
        j->json.is_oom = true;
        return;
    }
    moatX_string(t, p, n, &n);
    put_str(j, p, n);
    moatU_free(p);
}

/* Index after the s-expression that opens at i. */
static uint32_t
end_of(const W2J *j, uint32_t i)
{
    uint32_t depth = 0;

    do {
        depth += tok(j, i)->kind == TK_LPAR;
        depth -= tok(j, i)->kind == TK_RPAR;
        i++;
    } while (depth > 0 && i + 1 < j->n);
    return i;
}

/* The strings t[i..end) concatenated; NULL on OOM or a non-string. */
static uint8_t *
strings(const W2J *j, uint32_t i, uint32_t end, size_t *len)
{
    Buf b = { 0 };

    for (; i < end; i++) {
        size_t n;
        if (tok(j, i)->kind != TK_STRING || !moatX_string(tok(j, i), NULL, 0, &n))
            break;
        uint8_t *p = moatU_alloc(n + 1);
        if (!p)
            break;
        moatX_string(tok(j, i), p, n, &n);
        moatX_bytes(&b, p, n);
        moatU_free(p);
    }
    if (i < end || b.is_oom) {
        moatX_buf_free(&b);
        return NULL;
    }
    *len = b.n;
    return b.p ? b.p : moatU_alloc(1);
}

static bool
write_file(W2J *j, const char *ext, const void *p, size_t n, char *name,
           size_t cap)
{
    char path[4096];

    snprintf(name, cap, "%s.%u.%s", j->base, j->nfile++, ext);
    snprintf(path, sizeof path, "%s/%s", j->dir, name);
    FILE *f = fopen(path, "wb");
    bool  ok = f && fwrite(p, 1, n, f) == n;
    if (f && fclose(f) != 0)
        ok = false;
    if (!ok)
        snprintf(j->why, j->nwhy, "cannot write %s", path);
    return ok;
}

/* The module that opens at t[i] (its "(") into a file: "filename" and
 * "module_type" fields, and "name" when it has one. as_text: a quoted
 * module stays text (assertions), else it is translated. */
static void
module(W2J *j, uint32_t i, bool as_text)
{
    uint32_t    end = end_of(j, i), k = i + 2;
    const Tok  *open = tok(j, i), *close = tok(j, end - 1);
    char        name[256];
    uint8_t    *bytes = NULL, *bin = NULL;
    size_t      len = 0, n;
    bool        is_text = false;
    moat_error  err = { 0 };
    size_t      span = (size_t)(close->p + 1 - open->p);

    if (tok(j, k)->kind == TK_ID) {
        put(j, ", \"name\": ");
        put_tok(j, tok(j, k));
        k++;
    }
    if (moatX_tok_is(tok(j, k), "binary")) {
        bin = strings(j, k + 1, end - 1, &n);
    } else if (moatX_tok_is(tok(j, k), "quote")) {
        bytes = strings(j, k + 1, end - 1, &len);
        is_text = as_text;
        if (bytes && !as_text &&
            moat_wasm_from_wat((const char *)bytes, len, &bin, &n, &err) !=
                MOAT_OK)
            is_text = true;         /* the runner reports it */
    } else if (moat_wasm_from_wat(open->p, span, &bin, &n, &err) !=
               MOAT_OK) {
        is_text = true;             /* the runner translates it again */
        if ((bytes = moatU_alloc(span)) != NULL)
            memcpy(bytes, open->p, len = span);
    }
    if (is_text ? !bytes : !bin) {
        j->json.is_oom = true;
    } else if (is_text ? write_file(j, "wat", bytes, len, name, sizeof name)
                       : write_file(j, "wasm", bin, n, name, sizeof name)) {
        put(j, ", \"filename\": \"%s\", \"module_type\": \"%s\"", name,
            is_text ? "text" : "binary");
    } else {
        j->ok = false;
    }
    moatU_free(bytes);
    moat_free(bin);
}

static bool
bad(W2J *j, const Tok *t, const char *what)
{
    snprintf(j->why, j->nwhy, "line %u:%u: %s", t->line, t->col, what);
    j->ok = false;
    return false;
}

/* One float: a NaN pattern as it is, else its bits in decimal. */
static bool
float_value(W2J *j, const Tok *t, bool is_f32)
{
    uint32_t f;
    uint64_t d;

    if (moatX_tok_is(t, "nan:canonical") || moatX_tok_is(t, "nan:arithmetic"))
        put(j, "\"%.*s\"", (int)t->len, t->p);
    else if (is_f32 && moatX_f32(t, &f))
        put(j, "\"%u\"", f);
    else if (!is_f32 && moatX_f64(t, &d))
        put(j, "\"%llu\"", (unsigned long long)d);
    else
        return bad(j, t, "bad float");
    return true;
}

static bool
v128_value(W2J *j, uint32_t i)
{
    static const struct { const char *shape, *lane; unsigned n, bits; } sh[] = {
        { "i8x16", "i8", 16, 8 }, { "i16x8", "i16", 8, 16 },
        { "i32x4", "i32", 4, 32 }, { "i64x2", "i64", 2, 64 },
        { "f32x4", "f32", 4, 32 }, { "f64x2", "f64", 2, 64 },
    };
    size_t k = 0;

    while (k < 6 && !moatX_tok_is(tok(j, i), sh[k].shape))
        k++;
    if (k == 6)
        return bad(j, tok(j, i), "bad v128 shape");
    put(j, "{\"type\": \"v128\", \"lane_type\": \"%s\", \"value\": [",
        sh[k].lane);
    for (unsigned l = 0; l < sh[k].n; l++) {
        const Tok *t = tok(j, i + 1 + l);
        uint64_t   v;
        if (l)
            put(j, ", ");
        if (sh[k].lane[0] == 'f') {
            if (!float_value(j, t, sh[k].bits == 32))
                return false;
        } else if (moatX_int(t, sh[k].bits, &v)) {
            put(j, "\"%llu\"", (unsigned long long)v);
        } else {
            return bad(j, t, "bad v128 lane");
        }
    }
    put(j, "]}");
    return true;
}

/* A value `(T.const X)` or reference at t[i]. */
static bool
value(W2J *j, uint32_t i)
{
    const Tok *kw = tok(j, i + 1), *x = tok(j, i + 2);
    uint64_t   v;

    if (tok(j, i)->kind != TK_LPAR)
        return bad(j, tok(j, i), "expected a value");
    if (moatX_tok_is(kw, "i32.const") || moatX_tok_is(kw, "i64.const")) {
        bool is32 = kw->p[1] == '3';
        if (!moatX_int(x, is32 ? 32 : 64, &v))
            return bad(j, x, "bad integer");
        put(j, "{\"type\": \"%s\", \"value\": \"%llu\"}", is32 ? "i32" : "i64",
            (unsigned long long)v);
    } else if (moatX_tok_is(kw, "f32.const") ||
               moatX_tok_is(kw, "f64.const")) {
        put(j, "{\"type\": \"%s\", \"value\": ", kw->p[1] == '3' ? "f32"
                                                                  : "f64");
        if (!float_value(j, x, kw->p[1] == '3'))
            return false;
        put(j, "}");
    } else if (moatX_tok_is(kw, "v128.const")) {
        return v128_value(j, i + 2);
    } else if (moatX_tok_is(kw, "ref.null")) {
        put(j, "{\"type\": \"%s\", \"value\": \"null\"}",
            moatX_tok_is(x, "func") ? "funcref" : "externref");
    } else if (moatX_tok_is(kw, "ref.extern") && moatX_u64(x, &v)) {
        put(j, "{\"type\": \"externref\", \"value\": \"%llu\"}",
            (unsigned long long)v);
    } else if (moatX_tok_is(kw, "ref.extern") ||
               moatX_tok_is(kw, "ref.func")) {
        put(j, "{\"type\": \"%s\"}", kw->p[4] == 'e' ? "externref"
                                                      : "funcref");
    } else {
        return bad(j, kw, "unknown value");
    }
    return true;
}

/* Values from t[i] up to end: a JSON array. */
static bool
values(W2J *j, uint32_t i, uint32_t end)
{
    put(j, "[");
    for (bool first = true; i < end && tok(j, i)->kind == TK_LPAR;
         first = false) {
        if (!first)
            put(j, ", ");
        if (!value(j, i))
            return false;
        i = end_of(j, i);
    }
    put(j, "]");
    return true;
}

/* `(invoke $M? "name" value*)` or `(get $M? "name")` at t[i]. */
static bool
action(W2J *j, uint32_t i)
{
    uint32_t   end = end_of(j, i), k = i + 2;
    const Tok *kw = tok(j, i + 1);
    bool       is_get = moatX_tok_is(kw, "get");

    if (!is_get && !moatX_tok_is(kw, "invoke"))
        return bad(j, kw, "expected invoke or get");
    put(j, ", \"action\": {\"type\": \"%s\"", is_get ? "get" : "invoke");
    if (tok(j, k)->kind == TK_ID) {
        put(j, ", \"module\": ");
        put_tok(j, tok(j, k++));
    }
    put(j, ", \"field\": ");
    put_tok(j, tok(j, k++));
    if (!is_get) {
        put(j, ", \"args\": ");
        if (!values(j, k, end - 1))
            return false;
    }
    put(j, "}");
    return true;
}

/* The "text" of an assertion: the string after the module or action. */
static void
text_after(W2J *j, uint32_t i)
{
    if (tok(j, i)->kind == TK_STRING) {
        put(j, ", \"text\": ");
        put_tok(j, tok(j, i));
    }
}

/* One command at t[i]; returns the index after it. */
static uint32_t
command(W2J *j, uint32_t i)
{
    uint32_t    end = end_of(j, i), sub = i + 2;
    const Tok  *kw = tok(j, i + 1);
    const char *type = NULL;
    static const char *const module_asserts[] = { "assert_malformed",
        "assert_invalid", "assert_unlinkable", "assert_uninstantiable" };

    if (tok(j, i)->kind != TK_LPAR || kw->kind != TK_KEYWORD)
        return bad(j, tok(j, i), "expected a command"), end;
    bool is_module_cmd = sub < end && tok(j, sub)->kind == TK_LPAR &&
                         moatX_tok_is(tok(j, sub + 1), "module");
    for (size_t k = 0; k < 4; k++)
        if (moatX_tok_is(kw, module_asserts[k]))
            type = module_asserts[k];
    if (moatX_tok_is(kw, "assert_trap") && is_module_cmd)
        type = "assert_uninstantiable";
    put(j, "%s\n  {\"type\": \"", j->ncmd++ ? "," : "");
    if (moatX_tok_is(kw, "module")) {
        put(j, "module\", \"line\": %u", kw->line);
        module(j, i, false);
    } else if (type) {
        put(j, "%s\", \"line\": %u", type, kw->line);
        module(j, sub, true);
        text_after(j, end_of(j, sub));
    } else if (moatX_tok_is(kw, "register")) {
        put(j, "register\", \"line\": %u, \"as\": ", kw->line);
        put_tok(j, tok(j, sub));
        if (tok(j, sub + 1)->kind == TK_ID) {
            put(j, ", \"name\": ");
            put_tok(j, tok(j, sub + 1));
        }
    } else if (moatX_tok_is(kw, "invoke") || moatX_tok_is(kw, "get")) {
        put(j, "action\", \"line\": %u", kw->line);
        action(j, i);
        put(j, ", \"expected\": []");
    } else if (moatX_tok_is(kw, "assert_return") ||
               moatX_tok_is(kw, "assert_trap") ||
               moatX_tok_is(kw, "assert_exhaustion")) {
        put(j, "%.*s\", \"line\": %u", (int)kw->len, kw->p, kw->line);
        if (action(j, sub)) {
            uint32_t after = end_of(j, sub);
            text_after(j, after);
            put(j, ", \"expected\": ");
            if (kw->len == 13)      /* assert_return */
                values(j, after, end - 1);
            else
                put(j, "[]");
        }
    } else {
        put(j, "%.*s\", \"line\": %u", (int)kw->len, kw->p, kw->line);
    }
    put(j, "}");
    return end;
}

/* A script may be one module's fields alone (inline-module.wast). */
static bool
is_field(const Tok *kw)
{
    static const char *const kws[] = { "type", "import", "func", "table",
        "memory", "global", "export", "start", "elem", "data" };

    for (size_t i = 0; i < sizeof kws / sizeof kws[0]; i++)
        if (moatX_tok_is(kw, kws[i]))
            return true;
    return false;
}

static void
inline_module(W2J *j, const char *text, size_t len)
{
    uint8_t   *bin = NULL;
    size_t     n;
    moat_error err = { 0 };
    char       name[256];

    put(j, "\n  {\"type\": \"module\", \"line\": 1");
    if (moat_wasm_from_wat(text, len, &bin, &n, &err) != MOAT_OK) {
        if (write_file(j, "wat", text, len, name, sizeof name))
            put(j, ", \"filename\": \"%s\", \"module_type\": \"text\"",
                name);
    } else if (write_file(j, "wasm", bin, n, name, sizeof name)) {
        put(j, ", \"filename\": \"%s\", \"module_type\": \"binary\"",
            name);
    }
    put(j, "}");
    moat_free(bin);
}

bool
moatT_wast_to_json(const char *path, const char *text, size_t len,
                   const char *dir, char **json, size_t *jlen, char *why,
                   size_t nwhy)
{
    TokList    toks;
    moat_error err = { 0 };
    const char *slash = strrchr(path, '/');
    char       base[200];
    W2J        j = { .dir = dir, .base = base, .why = why, .nwhy = nwhy,
                     .ok = true };

    snprintf(base, sizeof base, "%s", slash ? slash + 1 : path);
    if (strchr(base, '.'))
        *strrchr(base, '.') = 0;
    if (!moatX_lex(text, len, &toks, &err)) {
        snprintf(why, nwhy, "%s", err.msg);
        return false;
    }
    j.t = toks.t;
    j.n = toks.n;
    put(&j, "{\"source_filename\": ");
    put_str(&j, (const uint8_t *)path, strlen(path));
    put(&j, ",\n \"commands\": [");
    if (toks.n > 2 && is_field(&toks.t[1]))
        inline_module(&j, text, len);
    else
        for (uint32_t i = 0; j.ok && i + 1 < toks.n;)
            i = command(&j, i);
    put(&j, "]}\n");
    moatX_toks_free(&toks);
    if (j.json.is_oom && j.ok) {
        snprintf(why, nwhy, "out of memory");
        j.ok = false;
    }
    if (!j.ok) {
        moatX_buf_free(&j.json);
        return false;
    }
    *json = (char *)j.json.p;
    *jlen = j.json.n;
    return true;
}
