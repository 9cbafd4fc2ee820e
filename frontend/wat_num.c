/* wat_num.c - the text format's numbers and strings (spec 6.3): integers
 * in decimal or hex with `_` separators and range checks, floats in every
 * form (decimal, hex, inf, nan, nan:0x...), rounded to nearest even by the
 * C library's strtof/strtod on a cleaned copy, and string escapes.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "wat.h"

enum { NUMBUF = 4096 };

static int
digit_val(char c, bool hex)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (hex && (c | 0x20) >= 'a' && (c | 0x20) <= 'f')
        return (c | 0x20) - 'a' + 10;
    return -1;
}

/* Copies a run of digits from s[*i], `_` allowed only between two digits,
 * into out[*o]. Returns the number of digits, or -1 on a misplaced `_`. */
static int
digits(const char *s, uint32_t n, uint32_t *i, bool hex, char *out,
       uint32_t *o)
{
    int count = 0;

    while (*i < n) {
        char c = s[*i];
        if (c == '_') {
            if (count == 0 || *i + 1 >= n || digit_val(s[*i + 1], hex) < 0)
                return -1;
            (*i)++;
            continue;
        }
        if (digit_val(c, hex) < 0)
            break;
        if (*o + 1 >= NUMBUF)
            return -1;
        out[(*o)++] = c;
        (*i)++;
        count++;
    }
    return count;
}

/* Unsigned magnitude of a uN body (after any sign): decimal or 0x hex. */
static bool
magnitude(const char *s, uint32_t n, uint64_t *out)
{
    char     buf[NUMBUF];
    uint32_t i = 0, o = 0;
    bool     hex = n > 2 && s[0] == '0' && s[1] == 'x';
    uint64_t v = 0, base = hex ? 16 : 10;

    if (hex)
        i = 2;
    if (digits(s, n, &i, hex, buf, &o) <= 0 || i != n)
        return false;
    for (uint32_t k = 0; k < o; k++) {
        uint64_t d = (uint64_t)digit_val(buf[k], hex);
        if (v > (UINT64_MAX - d) / base)
            return false;
        v = v * base + d;
    }
    *out = v;
    return true;
}

bool
moatX_u64(const Tok *t, uint64_t *out)
{
    return t->kind == TK_NUM && t->p[0] != '+' && t->p[0] != '-' &&
           magnitude(t->p, t->len, out);
}

bool
moatX_u32(const Tok *t, uint32_t *out)
{
    uint64_t v;

    if (!moatX_u64(t, &v) || v > UINT32_MAX)
        return false;
    *out = (uint32_t)v;
    return true;
}

bool
moatX_int(const Tok *t, unsigned bits, uint64_t *out)
{
    uint64_t mag, half = UINT64_C(1) << (bits - 1);
    uint64_t mask = bits == 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;
    char     sign = t->p[0];

    if (t->kind != TK_NUM)
        return false;
    if (sign != '+' && sign != '-') {
        if (!magnitude(t->p, t->len, &mag) || mag > mask)
            return false;
        *out = mag;
        return true;
    }
    if (!magnitude(t->p + 1, t->len - 1, &mag))
        return false;
    if (sign == '+' ? mag > half - 1 : mag > half)
        return false;
    *out = (sign == '-' ? (uint64_t)0 - mag : mag) & mask;
    return true;
}

/* Checks a float's shape (6.3.2) and writes a C-parsable copy, without
 * sign and underscores, into buf. */
static bool
clean_float(const char *s, uint32_t n, char *buf)
{
    uint32_t i = 0, o = 0;
    bool     hex = n > 2 && s[0] == '0' && s[1] == 'x';

    if (hex) {
        memcpy(buf, "0x", 2);
        i = o = 2;
    }
    if (digits(s, n, &i, hex, buf, &o) <= 0)
        return false;
    if (i < n && s[i] == '.') {
        buf[o++] = s[i++];
        if (i < n && digit_val(s[i], hex) >= 0 &&
            digits(s, n, &i, hex, buf, &o) < 0)
            return false;
    }
    if (i < n && (s[i] | 0x20) == (hex ? 'p' : 'e')) {
        buf[o++] = s[i++];
        if (i < n && (s[i] == '+' || s[i] == '-'))
            buf[o++] = s[i++];
        if (digits(s, n, &i, false, buf, &o) <= 0)
            return false;
    }
    if (hex && !memchr(buf, 'p', o) && !memchr(buf, 'P', o)) {
        memcpy(buf + o, "p0", 2);      /* strtod needs no exponent, but
                                        * "0x1." reads more plainly so */
        o += 2;
    }
    buf[o] = 0;
    return i == n;
}

/* Sign, then inf / nan / nan:0xN / a number. *kind: 0 number (buf holds
 * it), 1 inf, 2 nan with *payload (0: canonical). */
static bool
float_parts(const Tok *t, bool *neg, int *kind, uint64_t *payload,
            char *buf)
{
    const char *s = t->p;
    uint32_t    n = t->len;

    if (t->kind != TK_NUM)
        return false;
    *neg = s[0] == '-';
    if (s[0] == '+' || s[0] == '-') {
        s++;
        n--;
    }
    *payload = 0;
    if (n == 3 && !memcmp(s, "inf", 3)) {
        *kind = 1;
        return true;
    }
    if (n == 3 && !memcmp(s, "nan", 3)) {
        *kind = 2;
        return true;
    }
    if (n > 4 && !memcmp(s, "nan:", 4)) {
        *kind = 2;
        return magnitude(s + 4, n - 4, payload) && *payload != 0 &&
               s[4] == '0' && s[5] == 'x';
    }
    *kind = 0;
    return clean_float(s, n, buf);
}

bool
moatX_num_shape(const Tok *t)
{
    char     buf[NUMBUF];
    uint32_t i = 0, o = 0, n = t->len;
    const char *s = t->p;
    bool     neg, hex;
    int      kind;
    uint64_t payload;

    if (t->kind != TK_NUM)
        return false;
    if (s[0] == '+' || s[0] == '-') {
        s++;
        n--;
    }
    hex = n > 2 && s[0] == '0' && s[1] == 'x';
    i = hex ? 2 : 0;
    if (digits(s, n, &i, hex, buf, &o) > 0 && i == n)
        return true;                    /* an integer of some size */
    return float_parts(t, &neg, &kind, &payload, buf) &&
           (kind != 2 || payload != 0 || !memchr(t->p, ':', t->len));
}

bool
moatX_f32(const Tok *t, uint32_t *out)
{
    char     buf[NUMBUF];
    bool     neg;
    int      kind;
    uint64_t payload;
    uint32_t bits;

    if (!float_parts(t, &neg, &kind, &payload, buf))
        return false;
    if (kind == 1) {
        bits = 0x7f800000u;
    } else if (kind == 2) {
        if (payload >= (UINT64_C(1) << 23))
            return false;
        bits = 0x7f800000u | (payload ? (uint32_t)payload : 0x400000u);
    } else {
        errno = 0;
        float f = strtof(buf, NULL);
        if (isinf(f))
            return false;       /* "constant out of range" */
        memcpy(&bits, &f, sizeof bits);
    }
    *out = bits | (neg ? 0x80000000u : 0);
    return true;
}

bool
moatX_f64(const Tok *t, uint64_t *out)
{
    char     buf[NUMBUF];
    bool     neg;
    int      kind;
    uint64_t payload, bits;
    uint64_t inf = UINT64_C(0x7ff0000000000000);

    if (!float_parts(t, &neg, &kind, &payload, buf))
        return false;
    if (kind == 1) {
        bits = inf;
    } else if (kind == 2) {
        if (payload >= (UINT64_C(1) << 52))
            return false;
        bits = inf | (payload ? payload : UINT64_C(1) << 51);
    } else {
        double d = strtod(buf, NULL);
        if (isinf(d))
            return false;
        memcpy(&bits, &d, sizeof bits);
    }
    *out = bits | (neg ? UINT64_C(1) << 63 : 0);
    return true;
}

/* Writes the UTF-8 encoding of code point c; false for surrogates and
 * values above U+10FFFF (6.3.3). */
static bool
put_utf8(uint64_t c, uint8_t *buf, size_t cap, size_t *n)
{
    uint8_t u[4];
    size_t  k;

    if (c >= 0xd800 && c < 0xe000)
        return false;
    if (c < 0x80) {
        u[0] = (uint8_t)c;
        k = 1;
    } else if (c < 0x800) {
        u[0] = (uint8_t)(0xc0 | (c >> 6));
        u[1] = (uint8_t)(0x80 | (c & 0x3f));
        k = 2;
    } else if (c < 0x10000) {
        u[0] = (uint8_t)(0xe0 | (c >> 12));
        u[1] = (uint8_t)(0x80 | ((c >> 6) & 0x3f));
        u[2] = (uint8_t)(0x80 | (c & 0x3f));
        k = 3;
    } else if (c < 0x110000) {
        u[0] = (uint8_t)(0xf0 | (c >> 18));
        u[1] = (uint8_t)(0x80 | ((c >> 12) & 0x3f));
        u[2] = (uint8_t)(0x80 | ((c >> 6) & 0x3f));
        u[3] = (uint8_t)(0x80 | (c & 0x3f));
        k = 4;
    } else {
        return false;
    }
    for (size_t j = 0; j < k; j++, (*n)++)
        if (*n < cap)
            buf[*n] = u[j];
    return true;
}

/* Decodes one escape at s[*i] (just after the backslash). */
static bool
escape(const char *s, uint32_t end, uint32_t *i, uint8_t *buf, size_t cap,
       size_t *n)
{
    static const char from[] = "tnr\"'\\", to[] = "\t\n\r\"'\\";
    char              c = s[*i];
    const char       *at = c ? strchr(from, c) : NULL;

    if (at) {
        (*i)++;
        return put_utf8((uint64_t)(unsigned char)to[at - from], buf, cap, n);
    }
    if (c == 'u') {
        char     tmp[NUMBUF];
        uint32_t j = *i + 2, o = 0, close = *i + 2;
        uint64_t cp = 0;
        while (close < end && s[close] != '}')
            close++;
        if (close >= end || s[*i + 1] != '{' ||
            digits(s, close, &j, true, tmp, &o) <= 0 || j != close)
            return false;
        for (uint32_t k = 0; k < o; k++) {
            cp = cp * 16 + (uint64_t)digit_val(tmp[k], true);
            if (cp > 0x10ffff)
                return false;
        }
        *i = close + 1;
        return put_utf8(cp, buf, cap, n);
    }
    if (*i + 1 < end && digit_val(c, true) >= 0 &&
        digit_val(s[*i + 1], true) >= 0) {
        uint8_t b = (uint8_t)(digit_val(c, true) * 16 +
                              digit_val(s[*i + 1], true));
        if (*n < cap)
            buf[*n] = b;
        (*n)++;
        *i += 2;
        return true;
    }
    return false;
}

bool
moatX_string(const Tok *t, uint8_t *buf, size_t cap, size_t *n)
{
    uint32_t end = t->len - 1;          /* the closing quote */

    if (t->kind != TK_STRING)
        return false;
    *n = 0;
    for (uint32_t i = 1; i < end;) {
        if (t->p[i] != '\\') {
            if (*n < cap)
                buf[*n] = (uint8_t)t->p[i];
            (*n)++;
            i++;
            continue;
        }
        i++;
        if (!escape(t->p, end, &i, buf, cap, n))
            return false;
    }
    return true;
}
