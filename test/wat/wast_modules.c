/* wast_modules.c - for the text-format conformance test: reads a .wast
 * script and writes each top-level `(module ...)` command in text form
 * through moat_wasm_from_wat to OUTDIR/LINE.wasm (LINE: the line of its
 * `module` keyword, as wast2json counts), then checks the bytes with moat_wasm_validate. Prints one
 * line per command: "ok LINE", "skip LINE REASON" (binary and quoted
 * modules: not text modules) or "fail LINE MESSAGE". run-wat-spec.py
 * compares the files with wast2json's.
 *   wast_modules FILE.wast OUTDIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "moat_compile.h"
#include "util.h"
#include "wat.h"

static void
one_module(const char *text, const Tok *open, const Tok *close,
           const char *outdir)
{
    const Tok *kw = open + 2;           /* after "(module" and any $id */
    uint8_t   *bin;
    size_t     n;
    moat_error err = { 0 };
    char       path[4096];

    if (kw->kind == TK_ID)
        kw++;
    if (moatX_tok_is(kw, "binary") || moatX_tok_is(kw, "quote")) {
        printf("skip %u (module %.*s ...) is not a text module\n",
               open[1].line, (int)kw->len, kw->p);
        return;
    }
    size_t len = (size_t)(close->p + 1 - open->p);
    (void)text;
    if (moat_wasm_from_wat(open->p, len, &bin, &n, &err) != MOAT_OK) {
        printf("fail %u text: %s\n", open[1].line, err.msg);
        return;
    }
    if (moat_wasm_validate(bin, n, &err) != MOAT_OK) {
        printf("fail %u validate: 0x%llx: %s\n", open[1].line,
               (unsigned long long)err.offset, err.msg);
    } else {
        snprintf(path, sizeof path, "%s/%u.wasm", outdir, open[1].line);
        FILE *f = fopen(path, "wb");
        if (!f || fwrite(bin, 1, n, f) != n || fclose(f) != 0)
            printf("fail %u cannot write %s\n", open[1].line, path);
        else
            printf("ok %u\n", open[1].line);
    }
    moatU_free(bin);
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
        uint32_t depth = 0, j = i;
        do {
            depth += toks.t[j].kind == TK_LPAR;
            depth -= toks.t[j].kind == TK_RPAR;
            j++;
        } while (depth > 0 && j + 1 < toks.n);
        if (toks.t[i].kind == TK_LPAR && moatX_tok_is(&toks.t[i + 1], "module")
            && depth == 0)
            one_module((const char *)text, &toks.t[i], &toks.t[j - 1],
                       argv[2]);
        i = j;
    }
    moatX_toks_free(&toks);
    moatU_free(text);
    return 0;
}
