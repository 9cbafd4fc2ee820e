/* json.h - a small DOM JSON parser for the spec runner (wast2json output).
 * Test-only code (moatT_ prefix). One arena per document, freed as a unit.
 */
#ifndef MOAT_TEST_JSON_H
#define MOAT_TEST_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "moat.h"
#include "util.h"

typedef enum JsonKind {
    JSON_NULL,
    JSON_FALSE,
    JSON_TRUE,
    JSON_NUMBER,
    JSON_STRING,
    JSON_ARRAY,
    JSON_OBJECT
} JsonKind;

typedef struct JsonValue  JsonValue;
typedef struct JsonMember JsonMember;

/* Strings hold the decoded bytes plus a NUL; they may contain "\u0000", so
 * use len. Bytes >= 0x80 are copied unchecked (wast2json writes names raw).
 * Numbers keep their source text (RFC 8259 grammar checked), e.g. "-1.5e3". */
struct JsonValue {
    JsonKind kind;
    size_t   len;               /* bytes (string/number), items, members */
    union {
        const char  *text;      /* JSON_STRING, JSON_NUMBER */
        JsonValue  **items;     /* JSON_ARRAY */
        JsonMember  *members;   /* JSON_OBJECT, in source order */
    } u;
};

struct JsonMember {
    const char *key;            /* decoded, NUL-terminated */
    size_t      keylen;
    JsonValue  *value;
};

/* Owns every value reachable from root. */
typedef struct JsonDoc {
    Arena      arena;
    JsonValue *root;
} JsonDoc;

enum { JSON_MAX_DEPTH = 256 };  /* deeper nesting is rejected, not recursed */

/* json.c: parses text[0..len) (no NUL needed). On success fills *doc, which
 * the caller frees with moatT_json_free. On failure *doc is empty (root NULL;
 * moatT_json_free is still allowed) and err (may be NULL) holds
 * MOAT_ERR_MALFORMED or MOAT_ERR_NOMEM with the byte offset in text. */
bool moatT_json_parse(JsonDoc *doc, const char *text, size_t len,
                      moat_error *err);
void moatT_json_free(JsonDoc *doc);

/* Accessors: all take NULL or a value of the wrong kind and then return
 * NULL / false, so lookups chain without checks in between. */
const JsonValue *moatT_json_get(const JsonValue *obj, const char *key);
const JsonValue *moatT_json_at(const JsonValue *arr, size_t i);
size_t           moatT_json_len(const JsonValue *arr_or_obj);
const char      *moatT_json_str(const JsonValue *v);        /* strings only */
size_t           moatT_json_str_len(const JsonValue *v);    /* bytes */
bool             moatT_json_int(const JsonValue *v, int64_t *out);
const char      *moatT_json_kind_name(JsonKind k);

/* 1-based line of byte offset off in text (for error messages). */
unsigned long moatT_json_line(const char *text, size_t len, uint64_t off);

#endif
