/* read.c - the bounded byte cursor: bytes, LEB128 integers, floats, names
 * (binary 5.2). Every read checks the bytes that remain; nothing here
 * allocates. Error words follow the spec tests ("unexpected end", ...).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "frontend.h"

Reader
moatD_reader(const uint8_t *p, size_t len, moat_error *err)
{
    Reader r = { .base = p, .p = p, .end = p + len, .limit = p + len,
                 .err = err };
    return r;
}

uint64_t
moatD_off(const Reader *r)
{
    return (uint64_t)(r->p - r->base);
}

bool
moatD_eof(const Reader *r)
{
    return r->p >= r->end;
}

bool
moatD_malformed(Reader *r, uint64_t off, const char *fmt, ...)
{
    moat_error *err = r->err;
    if (!err || err->code != MOAT_OK)
        return false;
    char    buf[sizeof err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return moatU_fail(err, off, MOAT_ERR_MALFORMED, "%s", buf);
}

static bool
unexpected_end(Reader *r)
{
    if (r->in_section || r->end < r->limit)
        return moatD_malformed(r, moatD_off(r),
                               "unexpected end of section or function");
    return moatD_malformed(r, moatD_off(r), "unexpected end");
}

bool
moatD_byte(Reader *r, uint8_t *out)
{
    if (r->p >= r->end)
        return unexpected_end(r);
    *out = *r->p++;
    return true;
}

bool
moatD_bytes(Reader *r, size_t n, const uint8_t **out)
{
    if ((size_t)(r->end - r->p) < n)
        return unexpected_end(r);
    *out = r->p;
    r->p += n;
    return true;
}

bool
moatD_u32(Reader *r, uint32_t *out)
{
    uint64_t at = moatD_off(r);
    uint32_t v = 0;

    for (unsigned shift = 0; shift < 35; shift += 7) {
        if (r->p >= r->end)
            return unexpected_end(r);
        uint8_t b = *r->p++;
        if (shift == 28 && (b & 0x70) != 0) {
            if (b & 0x80)
                return moatD_malformed(r, at,
                                       "integer representation too long");
            return moatD_malformed(r, at, "integer too large");
        }
        v |= (uint32_t)(b & 0x7f) << shift;
        if ((b & 0x80) == 0) {
            *out = v;
            return true;
        }
    }
    return moatD_malformed(r, at, "integer representation too long");
}

/* Signed LEB128 of `bits` bits. In the last allowed byte, the bits above the
 * value must all repeat its sign bit (binary 5.2.2). */
static bool
read_sleb(Reader *r, unsigned bits, int64_t *out)
{
    uint64_t at = moatD_off(r);
    uint64_t v = 0;
    unsigned shift = 0;

    for (;;) {
        if (r->p >= r->end)
            return unexpected_end(r);
        uint8_t b = *r->p++;
        if (shift + 7 >= bits) {                /* last allowed byte */
            if (b & 0x80)
                return moatD_malformed(r, at,
                                       "integer representation too long");
            unsigned used = bits - shift;       /* 1..7 value bits */
            unsigned high = (b & 0x7fu) >> (used - 1);
            unsigned ones = 0x7fu >> (used - 1);
            if (high != 0 && high != ones)
                return moatD_malformed(r, at, "integer too large");
        }
        v |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
        if ((b & 0x80) == 0)
            break;
    }
    if (shift < 64 && (v >> (shift - 1)) & 1)   /* sign-extend */
        v |= ~(uint64_t)0 << shift;
    *out = (int64_t)v;
    return true;
}

bool
moatD_s32(Reader *r, int32_t *out)
{
    int64_t v;
    if (!read_sleb(r, 32, &v))
        return false;
    *out = (int32_t)v;
    return true;
}

bool
moatD_s33(Reader *r, int64_t *out)
{
    return read_sleb(r, 33, out);
}

bool
moatD_s64(Reader *r, int64_t *out)
{
    return read_sleb(r, 64, out);
}

bool
moatD_f32(Reader *r, uint32_t *out)
{
    const uint8_t *p = NULL;
    if (!moatD_bytes(r, 4, &p))
        return false;
    memcpy(out, p, 4);                          /* wasm is little-endian */
    return true;
}

bool
moatD_f64(Reader *r, uint64_t *out)
{
    const uint8_t *p = NULL;
    if (!moatD_bytes(r, 8, &p))
        return false;
    memcpy(out, p, 8);
    return true;
}

/* UTF-8 as Unicode scalar values: no overlongs, no surrogates, <= U+10FFFF. */
bool
moatD_utf8_valid(const uint8_t *s, size_t len)
{
    size_t i = 0;

    while (i < len) {
        uint8_t c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t   n;
        uint32_t cp, min;
        if ((c & 0xe0) == 0xc0) {
            n = 2, cp = c & 0x1fu, min = 0x80;
        } else if ((c & 0xf0) == 0xe0) {
            n = 3, cp = c & 0x0fu, min = 0x800;
        } else if ((c & 0xf8) == 0xf0) {
            n = 4, cp = c & 0x07u, min = 0x10000;
        } else {
            return false;
        }
        if (len - i < n)
            return false;
        for (size_t k = 1; k < n; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3fu);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += n;
    }
    return true;
}

bool
moatD_name(Reader *r, Name *out)
{
    uint32_t len;
    if (!moatD_u32(r, &len))
        return false;
    uint64_t       at = moatD_off(r);
    const uint8_t *p = NULL;
    if ((size_t)(r->end - r->p) < len)
        return moatD_malformed(r, at, "length out of bounds: name of %u "
                               "bytes, %zu remain", len,
                               (size_t)(r->end - r->p));
    p = r->p;
    r->p += len;
    if (!moatD_utf8_valid(p, len))
        return moatD_malformed(r, at, "malformed UTF-8 encoding");
    out->s = (const char *)p;
    out->len = len;
    return true;
}

bool
moatD_count(Reader *r, size_t min_size, uint32_t *out)
{
    uint64_t at = moatD_off(r);
    uint32_t n;
    if (!moatD_u32(r, &n))
        return false;
    if ((uint64_t)n * min_size > (uint64_t)(r->end - r->p))
        return moatD_malformed(r, at, "length out of bounds: %u items of at "
                               "least %zu bytes, %zu bytes remain", n,
                               min_size, (size_t)(r->end - r->p));
    *out = n;
    return true;
}
