/* wast_modules.c - for the text-format conformance test: reads a .wast
 * script and writes each top-level `(module ...)` command in text form
 * through moat_wasm_from_wat to OUTDIR/LINE.wasm (LINE: the line of its
 * `module` keyword, as wast2json counts), then checks the bytes with
 * moat_wasm_validate. Text modules inside assert_invalid (which the
 * validator must then reject), assert_unlinkable, assert_uninstantiable,
 * assert_trap and assert_exhaustion are done too, marked "nested".
 * Prints one line per module: "ok LINE [nested]", "skip LINE REASON"
 * (binary and quoted top-level modules: not text modules) or "fail LINE
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
    const Tok *kw = open + 2;           /* after "(module" and any $id */
    uint8_t   *bin;
    size_t     n;
    moat_error err = { 0 };
    char       path[4096];
    unsigned   line = open[1].line;

    if (kw->kind == TK_ID)
        kw++;
    if (moatX_tok_is(kw, "binary") || moatX_tok_is(kw, "quote")) {
        if (ctx == TOP)
            printf("skip %u (module %.*s ...) is not a text module\n", line,
                   (int)kw->len, kw->p);
        return;
    }
    size_t len = (size_t)(close->p + 1 - open->p);
    if (moat_wasm_from_wat(open->p, len, &bin, &n, &err) != MOAT_OK) {
        printf("fail %u text: %s\n", line, err.msg);
        return;
    }
    moat_status st = moat_wasm_validate(bin, n, &err);
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
