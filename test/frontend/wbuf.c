/* wbuf.c - the byte buffer and error assertion of wbuf.h. Out of memory in
 * a test helper is a broken test machine: it aborts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wbuf.h"

static void
reserve(Buf *b, size_t n)
{
    if (b->cap - b->len >= n)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap - b->len < n)
        cap *= 2;
    uint8_t *p = realloc(b->p, cap);
    if (!p)
        abort();
    b->p = p;
    b->cap = cap;
}

void
moatT_byte(Buf *b, uint8_t x)
{
    reserve(b, 1);
    b->p[b->len++] = x;
}

void
moatT_bytes(Buf *b, const void *p, size_t n)
{
    if (n == 0)
        return;
    reserve(b, n);
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

void
moatT_u32(Buf *b, uint32_t v)
{
    do {
        uint8_t x = v & 0x7f;
        v >>= 7;
        moatT_byte(b, (uint8_t)(x | (v ? 0x80 : 0)));
    } while (v);
}

void
moatT_name(Buf *b, const char *s)
{
    size_t n = strlen(s);
    moatT_u32(b, (uint32_t)n);
    moatT_bytes(b, s, n);
}

void
moatT_header(Buf *b)
{
    BYTES(b, 0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00);
}

size_t
moatT_section(Buf *mod, uint8_t id, const Buf *c)
{
    moatT_byte(mod, id);
    moatT_u32(mod, (uint32_t)c->len);
    size_t at = mod->len;
    moatT_bytes(mod, c->p, c->len);
    return at;
}

size_t
moatT_sec(Buf *mod, uint8_t id, const uint8_t *p, size_t n)
{
    Buf c = { 0 };
    moatT_bytes(&c, p, n);
    size_t at = moatT_section(mod, id, &c);
    moatT_free(&c);
    return at;
}

void
moatT_void_funcs(Buf *mod, uint8_t n)
{
    Buf f = { 0 }, c = { 0 };
    SEC(mod, S_TYPE, 0x01, 0x60, 0x00, 0x00);
    moatT_u32(&f, n);
    moatT_u32(&c, n);
    for (uint8_t i = 0; i < n; i++) {
        moatT_byte(&f, 0x00);
        BYTES(&c, 0x02, 0x00, 0x0b);
    }
    moatT_section(mod, S_FUNC, &f);
    moatT_section(mod, S_CODE, &c);
    moatT_free(&f);
    moatT_free(&c);
}

Module *
moatT_decode(const Buf *b)
{
    moat_error err = { 0 };
    Module    *m = NULL;
    if (!moatD_module(b->p, b->len, &m, &err))
        fail_msg("rejected at %llu: %s", (unsigned long long)err.offset,
                 err.msg);
    assert_non_null(m);
    return m;
}

moat_error
moatT_reject(const Buf *b)
{
    static Module sentinel;
    moat_error    err = { 0 };
    Module       *m = &sentinel;                /* must be reset to NULL */
    assert_false(moatD_module(b->p, b->len, &m, &err));
    assert_null(m);
    assert_int_not_equal(err.code, MOAT_OK);
    return err;
}

void
moatT_free(Buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

void
moatT_check_error(moat_error e, moat_status code, uint64_t off,
                  const char *prefix, const char *file, int line)
{
    bool ok = e.code == code && e.offset == off &&
              strncmp(e.msg, prefix, strlen(prefix)) == 0;
    if (ok)
        return;
    print_error("got code %d offset %llu \"%s\"\n"
                "want code %d offset %llu \"%s...\"\n", (int)e.code,
                (unsigned long long)e.offset, e.msg, (int)code,
                (unsigned long long)off, prefix);
    _fail(file, line);
}
