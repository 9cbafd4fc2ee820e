/* wat.c - the text front-end's entry: WebAssembly text (a module, spec
 * chapter 6) to binary module bytes. Lexing (wat_lex.c), then the module
 * parser (wat_module.c); validation is left to the decoder, which reads
 * the bytes as it reads any binary.
 */
#include <string.h>

#include "moat_compile.h"
#include "wat.h"
#include "util.h"

static void
wat_free(Wat *w)
{
    for (int i = 0; i < NSPACE; i++)
        moatX_name_free(&w->names[i]);
    moatX_name_free(&w->locals);
    moatX_name_free(&w->ops);
    for (uint32_t i = 0; i < w->ntypes; i++)
        moatU_free(w->types[i].types);
    moatU_free(w->types);
    moatU_free(w->labels);
    moatU_free(w->marks);
}

/* Translates; with w->want_pos set, w keeps the positions (the caller
 * frees w with wat_free). */
static bool
translate(Wat *w, const char *text, size_t len, uint8_t **out,
          size_t *outlen, moat_error *err)
{
    TokList toks;
    Buf     bin = { 0 };
    bool    ok;

    *out = NULL;
    *outlen = 0;
    if (!text)                  /* NULL with len 0: no text at all */
        text = "";
    if (!moatX_lex(text, len, &toks, err))
        return false;
    w->t = toks.t;
    w->ntok = toks.n;
    w->err = err;
    ok = moatX_ops_init(w) && moatX_module(w, &bin);
    if (ok && moatX_peek(w, 0)->kind != TK_EOF)
        ok = moatX_fail(w, moatX_peek(w, 0), "expected end of input");
    if (ok && (bin.is_oom || w->is_oom))
        ok = moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_NOMEM, "out of memory");
    w->t = NULL;
    moatX_toks_free(&toks);
    if (!ok) {
        moatX_buf_free(&bin);
        return false;
    }
    *out = bin.p;
    *outlen = bin.n;
    return true;
}

bool
moatX_wat_to_wasm(const char *text, size_t len, uint8_t **out,
                  size_t *outlen, moat_error *err)
{
    Wat  w = { 0 };
    bool ok = translate(&w, text, len, out, outlen, err);

    wat_free(&w);
    return ok;
}

moat_status
moat_wasm_wat_position(const char *text, size_t len, uint64_t offset,
                       uint32_t *line, uint32_t *col)
{
    Wat        w = { .want_pos = true };
    moat_error err = { 0 };
    uint8_t   *bin;
    size_t     n;
    const Pos *best = NULL;

    *line = *col = 0;
    if (!translate(&w, text, len, &bin, &n, &err)) {
        wat_free(&w);
        return err.code != MOAT_OK ? err.code : MOAT_ERR_MALFORMED;
    }
    moatU_free(bin);
    /* the last construct that starts at or before offset */
    for (uint32_t i = 0; i < w.nmarks; i++)
        if (w.marks[i].off <= offset && (!best || w.marks[i].off >= best->off))
            best = &w.marks[i];
    if (best) {
        *line = best->line;
        *col = best->col;
    }
    wat_free(&w);
    return MOAT_OK;
}

moat_status
moat_wasm_from_wat(const char *text, size_t len, uint8_t **out,
                   size_t *out_len, moat_error *err)
{
    moat_error local = { 0 };
    moat_error *e = err ? err : &local;

    if (!moatX_wat_to_wasm(text, len, out, out_len, e))
        return e->code != MOAT_OK ? e->code : MOAT_ERR_MALFORMED;
    return MOAT_OK;
}
