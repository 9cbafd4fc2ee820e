/* cmd_wast.c - `moat wast [-v] FILE.wast...`: runs WebAssembly spec
 * scripts (the reference interpreter's script format): module (text,
 * binary, quote), register, invoke and get, assert_return (values, NaN
 * patterns, v128 lanes, references), assert_trap, assert_exhaustion,
 * assert_invalid, assert_malformed, assert_unlinkable and
 * assert_uninstantiable. Prints failures, then "N passed, N failed, N
 * skipped"; exit 1 on any failure. The tokens come from the text
 * front-end's lexer (frontend/wat.h); running is wast_exec.c's.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "util.h"
#include "wat.h"

enum { MAX_VALUES = 64, WHY = 512 };

typedef struct Wast {
    const Tok    *t;
    uint32_t      n;
    const char   *path;
    bool          is_verbose;
    WastRun       run;
    unsigned long pass, fail, skip;
} Wast;

/* An expected value: exact bits, or per lane a NaN pattern */
typedef struct Expect {
    moat_val v;
    uint8_t  nan[16];           /* per lane: 0 exact, 1 canonical, 2 any */
    uint8_t  lane;              /* lane bytes (4 or 8 for floats) */
    bool     is_any_ref;        /* (ref.extern) / (ref.func): non-null */
} Expect;

static const Tok *
tok(const Wast *s, uint32_t i)
{
    return &s->t[i < s->n ? i : s->n - 1];
}

static uint32_t
end_of(const Wast *s, uint32_t i)
{
    uint32_t depth = 0;

    do {
        depth += tok(s, i)->kind == TK_LPAR;
        depth -= tok(s, i)->kind == TK_RPAR;
        i++;
    } while (depth > 0 && i + 1 < s->n);
    return i;
}

static void
outcome(Wast *s, const Tok *at, bool ok, const char *fmt, ...)
{
    char    why[WHY];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    if (ok)
        s->pass++;
    else
        s->fail++;
    if (!ok || s->is_verbose)
        printf("%s:%u: %s%s\n", s->path, at->line, ok ? "pass: " : "", why);
}

/* A string or $id token's text (decoded), NUL-terminated, owned. */
static char *
text_of(const Tok *t, size_t *len)
{
    size_t n = t->len;

    if (t->kind == TK_STRING && !moatX_string(t, NULL, 0, &n))
        return NULL;
    char *p = moatU_alloc(n + 1);
    if (!p)
        return NULL;
    if (t->kind == TK_STRING)
        moatX_string(t, (uint8_t *)p, n, &n);
    else
        memcpy(p, t->p, n);
    p[n] = 0;
    if (len)
        *len = n;
    return p;
}

/* The module at t[i] ("(module ...)") as binary bytes: text translated,
 * `binary` strings as they are, `quote` strings translated. */
static moat_status
module_bytes(Wast *s, uint32_t i, uint8_t **wasm, size_t *len, char **name,
             moat_error *err)
{
    const Tok *open = tok(s, i), *close = tok(s, end_of(s, i) - 1);
    const Tok *id = tok(s, i + 2);

    *name = id->kind == TK_ID ? text_of(id, NULL) : NULL;
    return moat_wasm_from_wat(open->p, (size_t)(close->p + 1 - open->p),
                              wasm, len, err);
}

static bool
parse_float(const Tok *t, bool is32, uint64_t *bits, uint8_t *nan)
{
    uint32_t f;

    *bits = 0;
    *nan = moatX_tok_is(t, "nan:canonical") ? 1
         : moatX_tok_is(t, "nan:arithmetic") ? 2 : 0;
    if (*nan)
        return true;
    if (is32) {
        if (!moatX_f32(t, &f))
            return false;
        *bits = f;
        return true;
    }
    return moatX_f64(t, bits);
}

static bool
parse_v128(Wast *s, uint32_t i, Expect *e)
{
    static const struct { const char *shape; unsigned n, bytes; } sh[] = {
        { "i8x16", 16, 1 }, { "i16x8", 8, 2 }, { "i32x4", 4, 4 },
        { "i64x2", 2, 8 }, { "f32x4", 4, 4 }, { "f64x2", 2, 8 },
    };
    size_t k = 0;

    while (k < 6 && !moatX_tok_is(tok(s, i), sh[k].shape))
        k++;
    if (k == 6)
        return false;
    e->v.type = MOAT_V128;
    for (unsigned l = 0; l < sh[k].n; l++) {
        const Tok *t = tok(s, i + 1 + l);
        uint64_t   bits = 0;
        uint8_t    nan = 0;
        bool ok = k >= 4 ? parse_float(t, k == 4, &bits, &nan)
                         : moatX_int(t, sh[k].bytes * 8, &bits);
        if (!ok)
            return false;
        e->nan[l] = nan;
        memcpy(e->v.of.v128 + l * sh[k].bytes, &bits, sh[k].bytes);
    }
    e->lane = k >= 4 ? (uint8_t)sh[k].bytes : 0;
    return true;
}

/* `(T.const X)` or a reference at t[i]; patterns allowed in e. */
static bool
parse_value(Wast *s, uint32_t i, Expect *e)
{
    const Tok *kw = tok(s, i + 1), *x = tok(s, i + 2);
    uint64_t   bits;

    memset(e, 0, sizeof *e);
    if (tok(s, i)->kind != TK_LPAR)
        return false;
    if (moatX_tok_is(kw, "i32.const") || moatX_tok_is(kw, "i64.const")) {
        bool is32 = kw->p[1] == '3';
        if (!moatX_int(x, is32 ? 32 : 64, &bits))
            return false;
        e->v.type = is32 ? MOAT_I32 : MOAT_I64;
        if (is32)
            e->v.of.i32 = (uint32_t)bits;
        else
            e->v.of.i64 = bits;
        return true;
    }
    if (moatX_tok_is(kw, "f32.const") || moatX_tok_is(kw, "f64.const")) {
        bool is32 = kw->p[1] == '3';
        if (!parse_float(x, is32, &bits, &e->nan[0]))
            return false;
        e->v.type = is32 ? MOAT_F32 : MOAT_F64;
        e->lane = is32 ? 4 : 8;
        if (is32)
            e->v.of.i32 = (uint32_t)bits;
        else
            e->v.of.i64 = bits;
        return true;
    }
    if (moatX_tok_is(kw, "v128.const"))
        return parse_v128(s, i + 2, e);
    if (moatX_tok_is(kw, "ref.null")) {
        e->v.type = moatX_tok_is(x, "func") ? MOAT_FUNCREF : MOAT_EXTERNREF;
        return true;
    }
    if (moatX_tok_is(kw, "ref.extern") || moatX_tok_is(kw, "ref.func")) {
        e->v.type = kw->p[4] == 'e' ? MOAT_EXTERNREF : MOAT_FUNCREF;
        if (kw->p[4] == 'e' && moatX_u64(x, &bits)) /* host ref N: N + 1 */
            e->v.of.ref = (void *)(uintptr_t)(bits + 1);
        else
            e->is_any_ref = true;
        return true;
    }
    return false;
}

/* A value for messages: its type and bits (lanes: the 16 bytes). */
static void
val_text(const moat_val *v, char *buf, size_t n)
{
    uint64_t hi, lo;

    switch (v->type) {
    case MOAT_I32: case MOAT_F32:
        snprintf(buf, n, "%s:0x%08x", v->type == MOAT_I32 ? "i32" : "f32",
                 v->of.i32);
        break;
    case MOAT_I64: case MOAT_F64:
        snprintf(buf, n, "%s:0x%016llx", v->type == MOAT_I64 ? "i64" : "f64",
                 (unsigned long long)v->of.i64);
        break;
    case MOAT_V128:
        memcpy(&lo, v->of.v128, 8);
        memcpy(&hi, v->of.v128 + 8, 8);
        snprintf(buf, n, "v128:0x%016llx%016llx", (unsigned long long)hi,
                 (unsigned long long)lo);
        break;
    default:
        snprintf(buf, n, "ref:%p", v->of.ref);
    }
}

static bool
float_ok(uint64_t got, uint64_t want, uint8_t nan, unsigned bytes)
{
    uint64_t exp = bytes == 4 ? 0x7f800000u : 0x7ff0000000000000u;
    uint64_t quiet = bytes == 4 ? 0x00400000u : 0x0008000000000000u;
    uint64_t frac = bytes == 4 ? 0x007fffffu : 0x000fffffffffffffu;

    if (nan == 1)
        return (got & exp) == exp && (got & frac) == quiet;
    if (nan == 2)
        return (got & exp) == exp && (got & quiet);
    return got == want;
}

static bool
matches(const Expect *e, const moat_val *got)
{
    if (got->type != e->v.type)
        return false;
    switch (got->type) {
    case MOAT_I32: return got->of.i32 == e->v.of.i32;
    case MOAT_I64: return got->of.i64 == e->v.of.i64;
    case MOAT_F32: return float_ok(got->of.i32, e->v.of.i32, e->nan[0], 4);
    case MOAT_F64: return float_ok(got->of.i64, e->v.of.i64, e->nan[0], 8);
    case MOAT_V128:
        if (!e->lane)
            return !memcmp(got->of.v128, e->v.of.v128, 16);
        for (unsigned l = 0; l < 16u / e->lane; l++) {
            uint64_t a = 0, b = 0;
            memcpy(&a, got->of.v128 + l * e->lane, e->lane);
            memcpy(&b, e->v.of.v128 + l * e->lane, e->lane);
            if (!float_ok(a, b, e->nan[l], e->lane))
                return false;
        }
        return true;
    default:
        return e->is_any_ref ? got->of.ref != NULL
                             : got->of.ref == e->v.of.ref;
    }
}

/* The number of results of export field, or 0. */
static size_t
export_results(const moat_module *m, const char *field)
{
    moat_extern_info info;

    for (size_t i = 0; m && i < moat_module_export_count(m); i++)
        if (moat_module_export(m, i, &info) == MOAT_OK &&
            !strcmp(info.name, field))
            return info.kind == 0 ? info.nresults : 1;
    return 0;
}

/* `(invoke $M? "name" value*)` or `(get $M? "name")` at t[i]; nwant:
 * the results expected (SIZE_MAX: as the export says). */
static moat_status
action(Wast *s, uint32_t i, moat_val *out, size_t *nout, size_t nwant,
       moat_error *err, char *why)
{
    uint32_t        end = end_of(s, i), k = i + 2;
    bool            is_get = moatX_tok_is(tok(s, i + 1), "get");
    char           *name = NULL, *field;
    size_t          flen, nargs = 0;
    moat_val        args[MAX_VALUES];
    moat_status     st = MOAT_ERR_IO;
    const WastInst *wi;

    if (tok(s, k)->kind == TK_ID)
        name = text_of(tok(s, k++), NULL);
    field = text_of(tok(s, k++), &flen);
    wi = moat_wast_find(&s->run, name);
    if (!field || !wi || !wi->inst) {
        snprintf(why, WHY, "no instance %s to act on", name ? name : "");
    } else if (is_get) {
        *nout = 1;
        st = moat_instance_global(wi->inst, field, out, err);
    } else {
        for (; k < end - 1 && tok(s, k)->kind == TK_LPAR && nargs < MAX_VALUES;
             k = end_of(s, k)) {
            Expect e;
            if (!parse_value(s, k, &e)) {
                snprintf(why, WHY, "argument %zu: bad value", nargs);
                goto done;
            }
            args[nargs++] = e.v;
        }
        *nout = nwant != SIZE_MAX ? nwant : export_results(wi->mod, field);
        uint32_t idx;
        if (*nout > MAX_VALUES) {
            snprintf(why, WHY, "too many results");
        } else if ((st = moat_instance_export_index(wi->inst, field, flen,
                                                    &idx, err)) == MOAT_OK) {
            st = moat_instance_call_index(wi->inst, idx, args, nargs, out,
                                          *nout, err);
        }
    }
done:
    moatU_free(name);
    moatU_free(field);
    return st;
}

static void
assert_return(Wast *s, uint32_t i, const Tok *at)
{
    uint32_t   act = i + 2, end = end_of(s, i), k = end_of(s, act);
    Expect     want[MAX_VALUES];
    size_t     nwant = 0, nout = 0;
    moat_val   got[MAX_VALUES];
    moat_error err = { 0 };
    char       why[WHY] = "";

    for (; k < end - 1 && nwant < MAX_VALUES; k = end_of(s, k))
        if (!parse_value(s, k, &want[nwant++])) {
            outcome(s, at, false, "assert_return: bad value");
            return;
        }
    moat_status st = action(s, act, got, &nout, nwant, &err, why);
    if (st != MOAT_OK) {
        outcome(s, at, false, "assert_return: %s", why[0] ? why : err.msg);
        return;
    }
    for (size_t r = 0; r < nwant && r < nout; r++)
        if (!matches(&want[r], &got[r])) {
            char        g[64], w[64];
            const Expect *e = &want[r];
            val_text(&got[r], g, sizeof g);
            val_text(&e->v, w, sizeof w);
            if (e->v.type != MOAT_V128 && e->nan[0])
                snprintf(w, sizeof w, "%s", e->nan[0] == 1 ? "nan:canonical"
                                                           : "nan:arithmetic");
            bool lane_nan = e->v.type == MOAT_V128 &&
                            (memchr(e->nan, 1, 16) || memchr(e->nan, 2, 16));
            outcome(s, at, false, "assert_return: result %zu is %s, "
                    "expected %s%s", r, g, w,
                    lane_nan ? " (lanes with NaN patterns)" : "");
            return;
        }
    outcome(s, at, nout == nwant, "assert_return");
}

/* assert_trap / assert_exhaustion on an action: the trap's spec text */
static void
assert_trap(Wast *s, uint32_t i, const Tok *at)
{
    uint32_t   act = i + 2;
    const Tok *text = tok(s, end_of(s, act));
    moat_val   got[MAX_VALUES];
    size_t     nout;
    moat_error err = { 0 };
    char       why[WHY] = "", *want = text_of(text, NULL);
    moat_status st = action(s, act, got, &nout, SIZE_MAX, &err, why);
    const char *ours = moat_trap_string(err.trap);

    if (st != MOAT_ERR_TRAP)
        outcome(s, at, false, "expected trap \"%s\", got status %d %s",
                want ? want : "", st, why[0] ? why : err.msg);
    else
        outcome(s, at, want && !strncmp(want, ours, strlen(ours)),
                "trap \"%s\" (expected \"%s\")", ours, want ? want : "");
    moatU_free(want);
}

/* A module command, or an assertion on a module at t[i]: the status
 * translation, validation and instantiation end with must be want. */
static void
module_cmd(Wast *s, uint32_t i, const Tok *at, moat_status want)
{
    uint8_t    *wasm = NULL;
    size_t      len;
    char       *name = NULL;
    moat_error  err = { 0 };
    moat_status st = module_bytes(s, i, &wasm, &len, &name, &err);

    if (st == MOAT_OK && (want == MOAT_ERR_MALFORMED ||
                          want == MOAT_ERR_INVALID))
        st = moat_wasm_validate(wasm, len, &err);
    else if (st == MOAT_OK)
        st = moat_wast_instantiate(&s->run, wasm, len, name, &err);
    outcome(s, at, st == want, "%.*s: %s%s%s (expected %s)", (int)at->len,
            at->p, moat_status_string(st), st != MOAT_OK ? ": " : "",
            st != MOAT_OK ? err.msg : "", moat_status_string(want));
    moatU_free(wasm);
    moatU_free(name);
}

static void
skip(Wast *s, const Tok *at, const char *why)
{
    s->skip++;
    if (s->is_verbose)
        printf("%s:%u: skipped: %s\n", s->path, at->line, why);
}

/* One command at t[i]; returns the index after it. */
static uint32_t
command(Wast *s, uint32_t i)
{
    static const struct { const char *kw; moat_status want; } on_module[] = {
        { "module", MOAT_OK }, { "assert_invalid", MOAT_ERR_INVALID },
        { "assert_malformed", MOAT_ERR_MALFORMED },
        { "assert_unlinkable", MOAT_ERR_LINK },
        { "assert_uninstantiable", MOAT_ERR_TRAP },
        { "assert_trap", MOAT_ERR_TRAP },
    };
    uint32_t   end = end_of(s, i);
    const Tok *kw = tok(s, i + 1);
    bool on_mod = tok(s, i + 2)->kind == TK_LPAR &&
                  moatX_tok_is(tok(s, i + 3), "module");
    char       why[WHY] = "";

    if (tok(s, i)->kind != TK_LPAR || kw->kind != TK_KEYWORD) {
        outcome(s, tok(s, i), false, "expected a command");
        return end;
    }
    if (moatX_tok_is(kw, "module")) {
        module_cmd(s, i, kw, MOAT_OK);
        return end;
    }
    for (size_t k = 1; on_mod && k < sizeof on_module / sizeof *on_module;
         k++)
        if (moatX_tok_is(kw, on_module[k].kw)) {
            module_cmd(s, i + 2, kw, on_module[k].want);
            return end;
        }
    if (moatX_tok_is(kw, "register")) {
        char *as = text_of(tok(s, i + 2), NULL);
        char *name = tok(s, i + 3)->kind == TK_ID
                         ? text_of(tok(s, i + 3), NULL) : NULL;
        bool  ok = as && moat_wast_register(&s->run, as, name, why, WHY);
        outcome(s, kw, ok, "register%s%s", ok ? "" : ": ", why);
        moatU_free(as);
        moatU_free(name);
    } else if (moatX_tok_is(kw, "invoke") || moatX_tok_is(kw, "get")) {
        moat_val   out[MAX_VALUES];
        size_t     nout;
        moat_error err = { 0 };
        moat_status st = action(s, i, out, &nout, SIZE_MAX, &err, why);
        outcome(s, kw, st == MOAT_OK, "%.*s%s%s", (int)kw->len, kw->p,
                st == MOAT_OK ? "" : ": ", why[0] ? why : err.msg);
    } else if (moatX_tok_is(kw, "assert_return")) {
        assert_return(s, i, kw);
    } else if (moatX_tok_is(kw, "assert_trap") ||
               moatX_tok_is(kw, "assert_exhaustion")) {
        assert_trap(s, i, kw);
    } else {
        skip(s, kw, "a command moat wast does not know");
    }
    return end;
}

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

/* One script; a file that cannot be read or set up counts as failed. */
static void
run_file(Wast *s, const char *path)
{
    uint8_t      *text;
    size_t        len;
    moat_error    err = { 0 };
    TokList       toks;
    char          why[WHY];
    unsigned long p0 = s->pass, f0 = s->fail, s0 = s->skip;

    s->path = path;
    if (!moatU_read_file(path, moat_cli_file_limit(), &text, &len, &err)) {
        printf("%s: error: %s\n", path, err.msg);
        s->fail++;
        return;
    }
    if (!moatX_lex((const char *)text, len, &toks, &err)) {
        printf("%s:%s\n", path, err.msg);
        s->fail++;
    } else if (!moat_wast_begin(&s->run, why, sizeof why)) {
        printf("%s: error: %s\n", path, why);
        s->fail++;
        moatX_toks_free(&toks);
    } else {
        s->t = toks.t;
        s->n = toks.n;
        /* a script of bare module fields is one module (inline-module) */
        if (toks.n > 2 && is_field(&toks.t[1])) {
            uint8_t   *wasm;
            size_t     n;
            moat_status st = moat_wasm_from_wat((const char *)text, len,
                                                &wasm, &n, &err);
            if (st == MOAT_OK)
                st = moat_wast_instantiate(&s->run, wasm, n, NULL, &err);
            outcome(s, &toks.t[0], st == MOAT_OK, "module: %s", err.msg);
            moatU_free(wasm);
        } else {
            for (uint32_t i = 0; i + 1 < toks.n;)
                i = command(s, i);
        }
        moat_wast_end(&s->run);
        moatX_toks_free(&toks);
    }
    moatU_free(text);
    printf("%s: %lu passed, %lu failed, %lu skipped\n", path, s->pass - p0,
           s->fail - f0, s->skip - s0);
}

int
moat_cmd_wast(int argc, char **argv)
{
    Wast s = { 0 };
    int  first = 1;

    if (argc > 1 && (!strcmp(argv[1], "-v") || !strcmp(argv[1], "--verbose"))) {
        s.is_verbose = true;
        first = 2;
    }
    if (first >= argc || argv[first][0] == '-') {
        fprintf(stderr, "usage: moat wast [-v] FILE.wast...\n");
        return EXIT_USAGE;
    }
    for (int i = first; i < argc; i++)
        run_file(&s, argv[i]);
    printf("%lu passed, %lu failed, %lu skipped\n", s.pass, s.fail, s.skip);
    return s.fail ? EXIT_BAD_INPUT : EXIT_OK;
}
