/* json.c - strict RFC 8259 JSON parser building a DOM in one arena; enough
 * for wast2json output (the spec runner's input). It does not interpret
 * numbers (their text is kept) nor check UTF-8 in raw string bytes.
 * Nesting is bounded by JSON_MAX_DEPTH; every allocation is checked.
 */
#include <stdio.h>
#include <string.h>

#include "json.h"

typedef struct Parser {
    const char *base, *p, *end;
    Arena      *arena;
    moat_error *err;
    unsigned    depth;
    JsonMember *scratch;        /* pending items/members of open containers */
    size_t      nscratch, capscratch;
} Parser;

static bool parse_value(Parser *P, JsonValue **out);

static bool
fail_at(Parser *P, const char *at, moat_status code, const char *what)
{
    return moatU_fail(P->err, (uint64_t)(at - P->base), code, "%s", what);
}

static bool
fail_char(Parser *P, const char *what)
{
    char msg[96];

    if (P->p == P->end)
        return fail_at(P, P->p, MOAT_ERR_MALFORMED, "unexpected end");
    unsigned char c = (unsigned char)*P->p;
    if (c >= 0x20 && c < 0x7f)
        snprintf(msg, sizeof msg, "%s, got '%c'", what, c);
    else
        snprintf(msg, sizeof msg, "%s, got byte 0x%02x", what, c);
    return fail_at(P, P->p, MOAT_ERR_MALFORMED, msg);
}

static void *
alloc(Parser *P, size_t n, size_t size)
{
    void *p = moatU_arena_array(P->arena, n, size);
    if (!p)
        fail_at(P, P->p, MOAT_ERR_NOMEM, "out of memory");
    return p;
}

static JsonValue *
new_value(Parser *P, JsonKind kind)
{
    JsonValue *v = alloc(P, 1, sizeof *v);
    if (v)
        v->kind = kind;
    return v;
}

static void
skip_ws(Parser *P)
{
    while (P->p < P->end && (*P->p == ' ' || *P->p == '\t' ||
                             *P->p == '\n' || *P->p == '\r'))
        P->p++;
}

static bool
eat(Parser *P, char c)
{
    skip_ws(P);
    if (P->p < P->end && *P->p == c) {
        P->p++;
        return true;
    }
    return false;
}

static bool
parse_literal(Parser *P, const char *word, JsonKind kind, JsonValue **out)
{
    size_t n = strlen(word);

    if ((size_t)(P->end - P->p) < n || memcmp(P->p, word, n) != 0)
        return fail_char(P, "expected a value");
    P->p += n;
    return (*out = new_value(P, kind)) != NULL;
}

static bool
digits(Parser *P)
{
    const char *start = P->p;

    while (P->p < P->end && *P->p >= '0' && *P->p <= '9')
        P->p++;
    return P->p > start || fail_char(P, "expected a digit");
}

/* -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
static bool
parse_number(Parser *P, JsonValue **out)
{
    const char *start = P->p;

    if (P->p < P->end && *P->p == '-')
        P->p++;
    if (P->p < P->end && *P->p == '0') {
        P->p++;
        if (P->p < P->end && *P->p >= '0' && *P->p <= '9')
            return fail_at(P, P->p, MOAT_ERR_MALFORMED,
                           "leading zero in number");
    } else if (!digits(P)) {
        return false;
    }
    if (P->p < P->end && *P->p == '.') {
        P->p++;
        if (!digits(P))
            return false;
    }
    if (P->p < P->end && (*P->p == 'e' || *P->p == 'E')) {
        P->p++;
        if (P->p < P->end && (*P->p == '+' || *P->p == '-'))
            P->p++;
        if (!digits(P))
            return false;
    }
    size_t     n = (size_t)(P->p - start);
    char      *text = alloc(P, n + 1, 1);
    JsonValue *v = text ? new_value(P, JSON_NUMBER) : NULL;
    if (!v)
        return false;
    memcpy(text, start, n);
    v->u.text = text;
    v->len = n;
    *out = v;
    return true;
}

static int
hex4(const char *s)
{
    int v = 0;

    for (int i = 0; i < 4; i++) {
        char c = s[i];
        int  d = (c >= '0' && c <= '9') ? c - '0'
               : (c >= 'a' && c <= 'f') ? c - 'a' + 10
               : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

static char *
put_utf8(char *d, unsigned long cp)
{
    if (cp < 0x80) {
        *d++ = (char)cp;
    } else if (cp < 0x800) {
        *d++ = (char)(0xc0 | (cp >> 6));
        *d++ = (char)(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        *d++ = (char)(0xe0 | (cp >> 12));
        *d++ = (char)(0x80 | ((cp >> 6) & 0x3f));
        *d++ = (char)(0x80 | (cp & 0x3f));
    } else {
        *d++ = (char)(0xf0 | (cp >> 18));
        *d++ = (char)(0x80 | ((cp >> 12) & 0x3f));
        *d++ = (char)(0x80 | ((cp >> 6) & 0x3f));
        *d++ = (char)(0x80 | (cp & 0x3f));
    }
    return d;
}

/* P->p is just past "\u"; a high surrogate must be followed by \u + low. */
static bool
unicode_escape(Parser *P, char **dst)
{
    const char *at = P->p - 2;
    int         hi = P->end - P->p >= 4 ? hex4(P->p) : -1;

    if (hi < 0)
        return fail_at(P, at, MOAT_ERR_MALFORMED, "invalid \\u escape");
    P->p += 4;
    unsigned long cp = (unsigned long)hi;
    if (hi >= 0xdc00 && hi <= 0xdfff)
        return fail_at(P, at, MOAT_ERR_MALFORMED, "lone low surrogate");
    if (hi >= 0xd800 && hi <= 0xdbff) {
        int lo = (P->end - P->p >= 6 && P->p[0] == '\\' && P->p[1] == 'u')
                     ? hex4(P->p + 2) : -1;
        if (lo < 0xdc00 || lo > 0xdfff)
            return fail_at(P, at, MOAT_ERR_MALFORMED, "lone high surrogate");
        P->p += 6;
        cp = 0x10000 + (((unsigned long)hi - 0xd800) << 10) +
             ((unsigned long)lo - 0xdc00);
    }
    *dst = put_utf8(*dst, cp);
    return true;
}

static bool
escape(Parser *P, char **dst)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    const char       *at = P->p++;             /* at the backslash */

    if (P->p == P->end)
        return fail_at(P, P->p, MOAT_ERR_MALFORMED, "unexpected end");
    char c = *P->p++;
    if (c == 'u')
        return unicode_escape(P, dst);
    const char *hit = c ? strchr(from, c) : NULL;
    if (!hit)
        return fail_at(P, at, MOAT_ERR_MALFORMED, "invalid escape");
    *(*dst)++ = to[hit - from];
    return true;
}

/* P->p is at the opening quote. Decoded text never outgrows its source, so
 * one allocation of the source length suffices. */
static bool
parse_string(Parser *P, const char **text, size_t *len)
{
    const char *q = ++P->p;

    while (q < P->end && *q != '"')
        q += (*q == '\\' && q + 1 < P->end) ? 2 : 1;
    if (q >= P->end)
        return fail_at(P, P->end, MOAT_ERR_MALFORMED, "unterminated string");
    char *buf = alloc(P, (size_t)(q - P->p) + 1, 1), *d = buf;
    if (!buf)
        return false;
    while (*P->p != '"') {
        if ((unsigned char)*P->p < 0x20)
            return fail_at(P, P->p, MOAT_ERR_MALFORMED,
                           "control character in string");
        if (*P->p != '\\')
            *d++ = *P->p++;
        else if (!escape(P, &d))
            return false;
    }
    P->p++;
    *d = '\0';
    *text = buf;
    *len = (size_t)(d - buf);
    return true;
}

static bool
push_scratch(Parser *P, const char *key, size_t keylen, JsonValue *v)
{
    if (P->nscratch == P->capscratch) {
        size_t cap = P->capscratch ? P->capscratch * 2 : 64;
        void  *s = cap <= SIZE_MAX / sizeof *P->scratch
                       ? moatU_realloc(P->scratch, cap * sizeof *P->scratch)
                       : NULL;
        if (!s)
            return fail_at(P, P->p, MOAT_ERR_NOMEM, "out of memory");
        P->scratch = s;
        P->capscratch = cap;
    }
    P->scratch[P->nscratch++] = (JsonMember){ key, keylen, v };
    return true;
}

/* Moves scratch[mark..] into the arena as v's items or members. */
static bool
close_container(Parser *P, JsonValue *v, size_t mark)
{
    size_t n = P->nscratch - mark;

    v->len = n;
    if (v->kind == JSON_ARRAY) {
        JsonValue **items = alloc(P, n, sizeof *items);
        if (!items)
            return false;
        for (size_t i = 0; i < n; i++)
            items[i] = P->scratch[mark + i].value;
        v->u.items = items;
    } else {
        JsonMember *m = alloc(P, n, sizeof *m);
        if (!m)
            return false;
        if (n)
            memcpy(m, P->scratch + mark, n * sizeof *m);
        v->u.members = m;
    }
    P->nscratch = mark;
    return true;
}

static bool
member(Parser *P, bool is_object)
{
    const char *key = NULL;
    size_t      keylen = 0;
    JsonValue  *v;

    if (is_object) {
        skip_ws(P);
        if (P->p == P->end || *P->p != '"')
            return fail_char(P, "expected a string key");
        if (!parse_string(P, &key, &keylen))
            return false;
        if (!eat(P, ':'))
            return fail_char(P, "expected ':'");
    }
    return parse_value(P, &v) && push_scratch(P, key, keylen, v);
}

/* P->p is at '[' or '{'. */
static bool
parse_container(Parser *P, JsonValue **out)
{
    bool       is_object = *P->p == '{';
    char       close = is_object ? '}' : ']';
    size_t     mark = P->nscratch;
    JsonValue *v = new_value(P, is_object ? JSON_OBJECT : JSON_ARRAY);

    if (!v)
        return false;
    if (P->depth >= JSON_MAX_DEPTH)
        return fail_at(P, P->p, MOAT_ERR_MALFORMED, "nesting too deep");
    P->depth++;
    P->p++;
    if (!eat(P, close)) {
        do {
            if (!member(P, is_object))
                return false;
        } while (eat(P, ','));
        if (!eat(P, close))
            return fail_char(P, is_object ? "expected ',' or '}'"
                                          : "expected ',' or ']'");
    }
    P->depth--;
    *out = v;
    return close_container(P, v, mark);
}

static bool
parse_value(Parser *P, JsonValue **out)
{
    skip_ws(P);
    if (P->p == P->end)
        return fail_at(P, P->p, MOAT_ERR_MALFORMED, "unexpected end");
    switch (*P->p) {
    case '{':
    case '[':
        return parse_container(P, out);
    case '"': {
        JsonValue *v = new_value(P, JSON_STRING);
        *out = v;
        return v && parse_string(P, &v->u.text, &v->len);
    }
    case 't': return parse_literal(P, "true", JSON_TRUE, out);
    case 'f': return parse_literal(P, "false", JSON_FALSE, out);
    case 'n': return parse_literal(P, "null", JSON_NULL, out);
    default:
        if (*P->p == '-' || (*P->p >= '0' && *P->p <= '9'))
            return parse_number(P, out);
        return fail_char(P, "expected a value");
    }
}

bool
moatT_json_parse(JsonDoc *doc, const char *text, size_t len, moat_error *err)
{
    Parser     P = { .base = text, .p = text, .end = text + len, .err = err,
                     .arena = &doc->arena };
    JsonValue *root = NULL;

    moatU_arena_init(&doc->arena);
    doc->root = NULL;
    bool ok = parse_value(&P, &root);
    if (ok) {
        skip_ws(&P);
        if (P.p != P.end)
            ok = fail_char(&P, "expected end of input after the value");
    }
    moatU_free(P.scratch);
    if (!ok) {
        moatU_arena_fini(&doc->arena);
        return false;
    }
    doc->root = root;
    return true;
}

void
moatT_json_free(JsonDoc *doc)
{
    if (!doc)
        return;
    moatU_arena_fini(&doc->arena);
    doc->root = NULL;
}

const JsonValue *
moatT_json_get(const JsonValue *obj, const char *key)
{
    if (!obj || obj->kind != JSON_OBJECT || !key)
        return NULL;
    size_t n = strlen(key);
    for (size_t i = 0; i < obj->len; i++) {
        const JsonMember *m = &obj->u.members[i];
        if (m->keylen == n && memcmp(m->key, key, n) == 0)
            return m->value;                    /* first one wins */
    }
    return NULL;
}

const JsonValue *
moatT_json_at(const JsonValue *arr, size_t i)
{
    if (!arr || arr->kind != JSON_ARRAY || i >= arr->len)
        return NULL;
    return arr->u.items[i];
}

size_t
moatT_json_len(const JsonValue *v)
{
    if (!v || (v->kind != JSON_ARRAY && v->kind != JSON_OBJECT))
        return 0;
    return v->len;
}

size_t
moatT_json_str_len(const JsonValue *v)
{
    if (!v || v->kind != JSON_STRING)
        return 0;
    return v->len;
}

const char *
moatT_json_str(const JsonValue *v)
{
    return v && v->kind == JSON_STRING ? v->u.text : NULL;
}

/* Integers only: no fraction or exponent; fails on int64 overflow. */
bool
moatT_json_int(const JsonValue *v, int64_t *out)
{
    if (!v || v->kind != JSON_NUMBER || v->len == 0)
        return false;
    const char *s = v->u.text;
    bool        is_neg = *s == '-';
    uint64_t    mag = 0, limit = is_neg ? (uint64_t)INT64_MAX + 1 : INT64_MAX;

    for (s += is_neg; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        unsigned d = (unsigned)(*s - '0');
        if (mag > (limit - d) / 10)
            return false;
        mag = mag * 10 + d;
    }
    if (is_neg)
        *out = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
    else
        *out = (int64_t)mag;
    return true;
}

const char *
moatT_json_kind_name(JsonKind k)
{
    static const char *const names[] = {
        [JSON_NULL] = "null",     [JSON_FALSE] = "false",
        [JSON_TRUE] = "true",     [JSON_NUMBER] = "number",
        [JSON_STRING] = "string", [JSON_ARRAY] = "array",
        [JSON_OBJECT] = "object",
    };
    if ((unsigned)k < sizeof names / sizeof names[0])
        return names[k];
    return "unknown";
}

unsigned long
moatT_json_line(const char *text, size_t len, uint64_t off)
{
    unsigned long line = 1;

    for (size_t i = 0; i < len && i < off; i++)
        line += text[i] == '\n';
    return line;
}
