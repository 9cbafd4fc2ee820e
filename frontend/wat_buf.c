/* wat_buf.c - the binary writer of the text front-end: a growable byte
 * buffer and the encodings of binary 5.2 (LEB128, names, sections). An
 * allocation failure sets is_oom and later appends do nothing, so the
 * parser checks once, at the end.
 */
#include <string.h>

#include "wat.h"
#include "util.h"

static bool
reserve(Buf *b, size_t more)
{
    if (b->is_oom)
        return false;
    if (b->cap - b->n >= more)
        return true;
    size_t cap = b->cap ? b->cap : 64;
    while (cap - b->n < more) {
        if (cap > SIZE_MAX / 2) {
            b->is_oom = true;
            return false;
        }
        cap *= 2;
    }
    uint8_t *p = moatU_realloc(b->p, cap);
    if (!p) {
        b->is_oom = true;
        return false;
    }
    b->p = p;
    b->cap = cap;
    return true;
}

void
moatX_bytes(Buf *b, const void *p, size_t n)
{
    if (n == 0 || !reserve(b, n))
        return;
    memcpy(b->p + b->n, p, n);
    b->n += n;
}

void
moatX_byte(Buf *b, uint8_t v)
{
    moatX_bytes(b, &v, 1);
}

void
moatX_uleb(Buf *b, uint64_t v)
{
    do {
        uint8_t c = (uint8_t)(v & 0x7f);
        v >>= 7;
        moatX_byte(b, (uint8_t)(c | (v ? 0x80 : 0)));
    } while (v);
}

size_t
moatX_uleb_len(uint64_t v)
{
    size_t n = 1;

    while (v >>= 7)
        n++;
    return n;
}

void
moatX_sleb(Buf *b, int64_t v)
{
    for (;;) {
        uint8_t c = (uint8_t)((uint64_t)v & 0x7f);
        v >>= 7;                /* arithmetic shift: gcc and clang */
        bool done = (v == 0 && !(c & 0x40)) || (v == -1 && (c & 0x40));
        moatX_byte(b, (uint8_t)(c | (done ? 0 : 0x80)));
        if (done)
            return;
    }
}

void
moatX_name(Buf *b, const uint8_t *p, size_t n)
{
    moatX_uleb(b, n);
    moatX_bytes(b, p, n);
}

void
moatX_section(Buf *out, uint8_t id, const Buf *body)
{
    if (body->is_oom)
        out->is_oom = true;
    moatX_byte(out, id);
    moatX_uleb(out, body->n);
    moatX_bytes(out, body->p, body->n);
}

void
moatX_buf_free(Buf *b)
{
    moatU_free(b->p);
    *b = (Buf){ 0 };
}
