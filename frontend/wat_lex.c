/* wat_lex.c - splits WebAssembly text into tokens (spec 6.2): parentheses,
 * keywords, $ids, numbers, strings and reserved words, each with its line
 * and column. Whitespace, line and nested block comments and annotations
 * `(@id ...)` (ignored, per the annotations proposal) are skipped here.
 * Numbers and strings are checked and decoded later (wat_num.c).
 */
#include <string.h>

#include "wat.h"
#include "util.h"

typedef struct Lexer {
    const char *p, *end;
    uint32_t    line, col;
    moat_error *err;
} Lexer;

static bool
is_idchar(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return true;
    if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
        return true;
    return c && strchr("!#$%&'*+-./:<=>?@\\^_`|~", c) != NULL;
}

static bool
lex_fail(Lexer *lx, const char *what)
{
    return moatU_fail(lx->err, MOAT_NO_OFFSET, MOAT_ERR_MALFORMED,
                      "%u:%u: %s", lx->line, lx->col, what);
}

/* One byte forward; a UTF-8 continuation byte does not count as a column. */
static void
adv(Lexer *lx)
{
    unsigned char c = (unsigned char)*lx->p++;

    if (c == '\n') {
        lx->line++;
        lx->col = 1;
    } else if ((c & 0xc0) != 0x80) {
        lx->col++;
    }
}

/* A block comment `(; ... ;)`, nested ones included; p is at "(;". */
static bool
block_comment(Lexer *lx)
{
    uint32_t depth = 0;

    do {
        if (lx->p + 1 >= lx->end)
            return lex_fail(lx, "unclosed block comment");
        if (lx->p[0] == '(' && lx->p[1] == ';') {
            depth++;
            adv(lx);
        } else if (lx->p[0] == ';' && lx->p[1] == ')') {
            depth--;
            adv(lx);
        }
        adv(lx);
    } while (depth > 0);
    return true;
}

/* Skips whitespace and comments. */
static bool
skip_space(Lexer *lx)
{
    while (lx->p < lx->end) {
        char c = *lx->p;
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            adv(lx);
        } else if (c == ';' && lx->p + 1 < lx->end && lx->p[1] == ';') {
            while (lx->p < lx->end && *lx->p != '\n')
                adv(lx);
        } else if (c == '(' && lx->p + 1 < lx->end && lx->p[1] == ';') {
            if (!block_comment(lx))
                return false;
        } else {
            return true;
        }
    }
    return true;
}

/* A string token; checks the characters and escapes (6.3.3). */
static bool
lex_string(Lexer *lx)
{
    adv(lx);
    for (;;) {
        if (lx->p >= lx->end)
            return lex_fail(lx, "unclosed string");
        unsigned char c = (unsigned char)*lx->p;
        if (c == '"') {
            adv(lx);
            return true;
        }
        if (c < 0x20 || c == 0x7f)
            return lex_fail(lx, "control character in string");
        if (c != '\\') {
            adv(lx);
            continue;
        }
        adv(lx);
        if (lx->p >= lx->end)
            return lex_fail(lx, "unclosed string");
        c = (unsigned char)*lx->p;
        if (strchr("tnr\"'\\", c) && c) {
            adv(lx);
        } else if (c == 'u') {
            adv(lx);
            if (lx->p >= lx->end || *lx->p != '{')
                return lex_fail(lx, "malformed \\u escape in string");
            while (lx->p < lx->end && *lx->p != '}' && *lx->p != '"')
                adv(lx);
            if (lx->p >= lx->end || *lx->p != '}')
                return lex_fail(lx, "malformed \\u escape in string");
            adv(lx);
        } else if (lx->p + 1 < lx->end && strchr("0123456789abcdefABCDEF", c)
                   && c && lx->p[1] && strchr("0123456789abcdefABCDEF",
                                              lx->p[1])) {
            adv(lx);
            adv(lx);
        } else {
            return lex_fail(lx, "unknown escape in string");
        }
    }
}

/* An annotation `(@id ...)`: skipped with everything it holds, balanced. */
static bool
skip_annotation(Lexer *lx)
{
    uint32_t depth = 0;

    do {
        if (!skip_space(lx))
            return false;
        if (lx->p >= lx->end)
            return lex_fail(lx, "unclosed annotation");
        char c = *lx->p;
        if (c == '"') {
            if (!lex_string(lx))
                return false;
            continue;
        }
        if (c == '(')
            depth++;
        else if (c == ')')
            depth--;
        adv(lx);
    } while (depth > 0);
    return true;
}

static TokKind
classify(const char *p, uint32_t len)
{
    const char *s = p;
    uint32_t    n = len;

    if (p[0] == '$')
        return len > 1 ? TK_ID : TK_RESERVED;
    if (p[0] == '+' || p[0] == '-') {
        s++;
        n--;
    }
    if (n > 0 && s[0] >= '0' && s[0] <= '9')
        return TK_NUM;
    if ((n == 3 && !memcmp(s, "inf", 3)) || (n == 3 && !memcmp(s, "nan", 3))
        || (n > 6 && !memcmp(s, "nan:0x", 6)))
        return TK_NUM;
    if (p[0] >= 'a' && p[0] <= 'z')
        return TK_KEYWORD;
    return TK_RESERVED;
}

static bool
push(TokList *l, Tok t)
{
    if (l->n == l->cap) {
        uint32_t cap = l->cap ? l->cap * 2 : 256;
        Tok     *nt = moatU_realloc(l->t, (size_t)cap * sizeof *nt);
        if (!nt || cap < l->cap)
            return false;
        l->t = nt;
        l->cap = cap;
    }
    l->t[l->n++] = t;
    return true;
}

static bool
lex_one(Lexer *lx, Tok *t)
{
    const char *start = lx->p;
    char        c = *lx->p;

    t->p = start;
    t->line = lx->line;
    t->col = lx->col;
    if (c == '(' || c == ')') {
        t->kind = c == '(' ? TK_LPAR : TK_RPAR;
        adv(lx);
    } else if (c == '"') {
        if (!lex_string(lx))
            return false;
        t->kind = TK_STRING;
    } else if (is_idchar((unsigned char)c)) {
        while (lx->p < lx->end && is_idchar((unsigned char)*lx->p))
            adv(lx);
        t->kind = (uint8_t)classify(start, (uint32_t)(lx->p - start));
    } else {
        return lex_fail(lx, "unexpected character");
    }
    if ((size_t)(lx->p - start) > UINT32_MAX)
        return lex_fail(lx, "token too long");
    /* tokens other than parentheses need space between them (6.2.1):
     * `(data"a")` and `"a""b"` are malformed */
    if (t->kind != TK_LPAR && t->kind != TK_RPAR && lx->p < lx->end &&
        (*lx->p == '"' || is_idchar((unsigned char)*lx->p)))
        return lex_fail(lx, "unknown operator (tokens must be separated "
                            "by space)");
    t->len = (uint32_t)(lx->p - start);
    return true;
}

bool
moatX_lex(const char *text, size_t len, TokList *out, moat_error *err)
{
    Lexer lx = { text, text + len, 1, 1, err };
    Tok   t = { 0 };

    *out = (TokList){ 0 };
    for (;;) {
        if (!skip_space(&lx))
            goto fail;
        if (lx.p >= lx.end)
            break;
        if (lx.p[0] == '(' && lx.p + 1 < lx.end && lx.p[1] == '@') {
            if (!skip_annotation(&lx))
                goto fail;
            continue;
        }
        if (!lex_one(&lx, &t))
            goto fail;
        if (!push(out, t))
            goto oom;
    }
    t = (Tok){ lx.p, 0, lx.line, lx.col, TK_EOF };
    if (push(out, t))
        return true;
oom:
    moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_NOMEM, "out of memory");
fail:
    moatX_toks_free(out);
    return false;
}

void
moatX_toks_free(TokList *l)
{
    moatU_free(l->t);
    *l = (TokList){ 0 };
}

bool
moatX_tok_is(const Tok *t, const char *kw)
{
    size_t n = strlen(kw);

    return t->kind == TK_KEYWORD && t->len == n && !memcmp(t->p, kw, n);
}
