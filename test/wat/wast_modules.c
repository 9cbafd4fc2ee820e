/* wast_modules.c - for the text-format conformance test: reads a .wast
 * script and writes each top-level `(module ...)` command in text form
 * through moat_wasm_from_wat to OUTDIR/LINE.wasm (LINE: the line of its
 * `module` keyword, as wast2json counts), then checks the bytes with
 * moat_wasm_validate. Text modules inside assert_invalid (which the
 * validator must then reject), assert_unlinkable, assert_uninstantiable,
 * assert_trap and assert_exhaustion are done too, marked "nested".
 * Prints one line per module: "ok LINE [nested]", "skip LINE REASON"
 * (binary modules in assert_malformed: the decoder's tests) or "fail LINE
 * MESSAGE". run-wat-spec.py compares the files with wast2json's.
 *   wast_modules FILE.wast OUTDIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "moat_compile.h"
#include "util.h"
#include "wat.h"

/* What the command around a module says of it. */
enum { TOP, INVALID, VALID };

static void
one_module(const Tok *open, const Tok *close, int ctx, const char *outdir)
{
    uint8_t   *bin;
    size_t     n;
    moat_error err = { 0 };
    char       path[4096];
    unsigned   line = open[1].line;

    /* binary and quoted modules translate too: to their strings' bytes */
    size_t len = (size_t)(close->p + 1 - open->p);
    if (moat_wasm_from_wat(open->p, len, &bin, &n, &err) != MOAT_OK) {
        printf("fail %u text: %s\n", line, err.msg);
        return;
    }
    moat_status st = moat_wasm_validate(bin, n, &err);
    uint32_t    eline = 0, ecol = 0;
    if (st != MOAT_OK &&
        moat_wasm_wat_position(open->p, len, err.offset, &eline, &ecol) !=
            MOAT_OK) {
        printf("fail %u no text position for the validator's error\n", line);
        moatU_free(bin);
        return;
    }
    if (ctx != INVALID && st != MOAT_OK) {
        printf("fail %u validate: 0x%llx: %s\n", line,
               (unsigned long long)err.offset, err.msg);
    } else if (ctx == INVALID && st == MOAT_OK) {
        printf("fail %u the validator accepts an assert_invalid module\n",
               line);
    } else {
        snprintf(path, sizeof path, "%s/%u.wasm", outdir, line);
        FILE *f = fopen(path, "wb");
        if (!f || fwrite(bin, 1, n, f) != n || fclose(f) != 0)
            printf("fail %u cannot write %s\n", line, path);
        else
            printf("ok %u%s\n", line, ctx == TOP ? "" : " nested");
    }
    moatU_free(bin);
}

/* `(assert_malformed (module quote "..."*) "why")`: the strings' text,
 * concatenated, must be rejected by the text front-end. */
static void
quoted_malformed(unsigned line, const Tok *first, const Tok *close)
{
    size_t cap = 0, len = 0;
    char  *text = NULL;

    for (const Tok *t = first; t < close; t++) {
        size_t n;
        if (t->kind != TK_STRING || !moatX_string(t, NULL, 0, &n)) {
            printf("fail %u a quoted module holds a non-string\n", line);
            free(text);
            return;
        }
        if (len + n + 1 > cap) {
            cap = 2 * (len + n + 1);
            text = realloc(text, cap);
        }
        moatX_string(t, (uint8_t *)text + len, n, &n);
        len += n;
    }
    uint8_t   *bin = NULL;
    size_t     n;
    moat_error err = { 0 };
    if (moat_wasm_from_wat(text ? text : "", len, &bin, &n, &err) == MOAT_OK)
        printf("fail %u the text front-end accepts an assert_malformed "
               "module: %.*s\n", line, (int)(len < 200 ? len : 200), text);
    else
        printf("ok %u malformed\n", line);
    moatU_free(bin);
    free(text);
}

/* The end of the s-expression that opens at t[i]: index after it. */
static uint32_t
sexpr_end(const TokList *toks, uint32_t i)
{
    uint32_t depth = 0;

    do {
        depth += toks->t[i].kind == TK_LPAR;
        depth -= toks->t[i].kind == TK_RPAR;
        i++;
    } while (depth > 0 && i + 1 < toks->n);
    return i;
}

/* A command: a module, or an assertion holding a text module (then the
 * module is checked too: "nested"). */
static void
command(const TokList *toks, uint32_t i, uint32_t end, const char *outdir)
{
    static const char *const holders[] = { "assert_invalid",
        "assert_unlinkable", "assert_uninstantiable", "assert_trap",
        "assert_exhaustion" };
    const Tok *t = toks->t;

    if (t[i].kind != TK_LPAR || t[end - 1].kind != TK_RPAR)
        return;
    if (moatX_tok_is(&t[i + 1], "module")) {
        one_module(&t[i], &t[end - 1], TOP, outdir);
        return;
    }
    if (moatX_tok_is(&t[i + 1], "assert_malformed") && i + 4 < end &&
        t[i + 2].kind == TK_LPAR && moatX_tok_is(&t[i + 3], "module")) {
        uint32_t e = sexpr_end(toks, i + 2);
        const Tok *kw = &t[i + 4];
        if (kw->kind == TK_ID)
            kw++;
        if (moatX_tok_is(kw, "quote"))
            quoted_malformed(t[i + 3].line, kw + 1, &t[e - 1]);
        else
            printf("skip %u (module binary ...) in assert_malformed tests the "
                   "binary decoder (test/spec)\n", t[i + 3].line);
        return;
    }
    for (size_t k = 0; k < sizeof holders / sizeof holders[0]; k++)
        if (moatX_tok_is(&t[i + 1], holders[k]) && i + 3 < end &&
            t[i + 2].kind == TK_LPAR && moatX_tok_is(&t[i + 3], "module")) {
            uint32_t e = sexpr_end(toks, i + 2);
            one_module(&t[i + 2], &t[e - 1], k == 0 ? INVALID : VALID,
                       outdir);
        }
}

int
main(int argc, char **argv)
{
    uint8_t   *text;
    size_t     len;
    moat_error err = { 0 };
    TokList    toks;

    if (argc != 3) {
        fprintf(stderr, "usage: wast_modules FILE.wast OUTDIR\n");
        return 2;
    }
    if (!moatU_read_file(argv[1], MOAT_FILE_LIMIT, &text, &len, &err) ||
        !moatX_lex((const char *)text, len, &toks, &err)) {
        fprintf(stderr, "%s: %s\n", argv[1], err.msg);
        return 1;
    }
    for (uint32_t i = 0; i + 1 < toks.n;) {
        uint32_t end = sexpr_end(&toks, i);
        command(&toks, i, end, argv[2]);
        i = end;
    }
    moatX_toks_free(&toks);
    moatU_free(text);
    return 0;
}
