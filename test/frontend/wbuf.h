/* wbuf.h - test helpers for test/frontend: a growable byte buffer to
 * hand-assemble modules (LEB128, names, sections whose size is computed),
 * decoding that must succeed or fail, and an assertion on moat_error (code,
 * offset, message prefix). Buffers use libc malloc, never the Moat
 * allocator hook. Include after cmocka.h.
 */
#ifndef MOAT_TEST_WBUF_H
#define MOAT_TEST_WBUF_H

#include <stddef.h>
#include <stdint.h>

#include "module.h"

/* Section ids (binary 5.5.2). */
enum {
    S_CUSTOM, S_TYPE, S_IMPORT, S_FUNC, S_TABLE, S_MEM, S_GLOBAL, S_EXPORT,
    S_START, S_ELEM, S_CODE, S_DATA, S_DATACOUNT
};

typedef struct Buf {
    uint8_t *p;
    size_t   len, cap;
} Buf;

void moatT_byte(Buf *b, uint8_t x);
void moatT_bytes(Buf *b, const void *p, size_t n);
void moatT_u32(Buf *b, uint32_t v);             /* unsigned LEB128 */
void moatT_name(Buf *b, const char *s);         /* length, then bytes */
void moatT_header(Buf *b);                      /* magic and version 1 */
/* Appends id, size and c; returns the offset of c's first byte in mod. */
size_t moatT_section(Buf *mod, uint8_t id, const Buf *c);
size_t moatT_sec(Buf *mod, uint8_t id, const uint8_t *p, size_t n);
void moatT_free(Buf *b);
/* Type 0 = [] -> [], and n functions of it with empty bodies. */
void moatT_void_funcs(Buf *mod, uint8_t n);

/* moatD_module on b: must succeed (free the result), or must fail with
 * *out left NULL (returns the error). */
Module *moatT_decode(const Buf *b);
moat_error moatT_reject(const Buf *b);

#define BYTES(b, ...)                                                   \
    moatT_bytes((b), (const uint8_t[]){ __VA_ARGS__ },                  \
                sizeof((const uint8_t[]){ __VA_ARGS__ }))

/* Appends a section with these content bytes; its content offset. */
#define SEC(mod, id, ...)                                               \
    moatT_sec((mod), (id), (const uint8_t[]){ __VA_ARGS__ },            \
              sizeof((const uint8_t[]){ __VA_ARGS__ }))

/* Fails the test unless e has this code and offset and its message starts
 * with prefix; prints the whole error first when it does not. */
#define assert_error(e, c, off, prefix)                                 \
    moatT_check_error((e), (c), (off), (prefix), __FILE__, __LINE__)

void moatT_check_error(moat_error e, moat_status code, uint64_t off,
                       const char *prefix, const char *file, int line);

#endif
