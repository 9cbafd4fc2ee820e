/* util_error.c - error recording (first error wins), status names and the
 * library version string. Messages quote names from modules and artifacts
 * (exports, imports, the name section, CPU feature strings): untrusted
 * bytes that reach a terminal or a log. Control characters and bytes that
 * are not UTF-8 are written as \xNN, so a message is always one line of
 * printable text.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

/* Length of the UTF-8 sequence at s (at most n bytes), 0 when invalid:
 * overlong forms, surrogates and values above U+10FFFF included. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t        len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
    uint32_t      v;

    if (c >= 0xf5 || len == 0 || len > n)
        return 0;
    v = c & (0x7fu >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        v = v << 6 | (s[i] & 0x3fu);
    }
    if ((len == 3 && (v < 0x800 || (v >= 0xd800 && v <= 0xdfff))) ||
        (len == 4 && (v < 0x10000 || v > 0x10ffff)))
        return 0;
    return len;
}

void
moatU_printable(char *out, size_t n, const char *text)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t               len = strlen(text), o = 0;

    for (size_t i = 0; i < len;) {
        size_t k = s[i] >= 0x80 ? utf8_len(s + i, len - i) : 1;
        bool   is_ok = k > 1 || (k == 1 && s[i] >= 0x20 && s[i] != 0x7f);
        size_t need = is_ok ? k : 4;
        if (o + need >= n)
            break;
        if (is_ok) {
            memcpy(out + o, s + i, k);
            i += k;
        } else {
            snprintf(out + o, 5, "\\x%02x", s[i]);
            i++;
        }
        o += need;
    }
    out[o] = 0;
}

bool
moatU_fail(moat_error *err, uint64_t off, moat_status code,
           const char *fmt, ...)
{
    if (!err || err->code != MOAT_OK)
        return false;
    err->code = code;
    err->trap = MOAT_TRAP_NONE;
    err->offset = off;
    err->exit_code = 0;
    err->func = MOAT_NO_FUNC;
    err->nframes = 0;
    err->nframes_dropped = 0;
    char    raw[sizeof err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    moatU_printable(err->msg, sizeof err->msg, raw);
    return false;
}

bool
moatU_failed(const moat_error *err)
{
    return err && err->code != MOAT_OK;
}

const char *
moat_status_string(moat_status s)
{
    static const char *const names[] = {
        [MOAT_OK] = "ok",
        [MOAT_ERR_MALFORMED] = "malformed module",
        [MOAT_ERR_INVALID] = "invalid module",
        [MOAT_ERR_CONTRACT] = "contract violation",
        [MOAT_ERR_LINK] = "link error",
        [MOAT_ERR_NOMEM] = "out of memory",
        [MOAT_ERR_LIMIT] = "implementation limit exceeded",
        [MOAT_ERR_IO] = "i/o error",
        [MOAT_ERR_TRAP] = "trap",
        [MOAT_ERR_EXIT] = "exit",
        [MOAT_YIELDED] = "yielded",
        [MOAT_ERR_OPTION] = "bad option",
        [MOAT_ERR_VERIFY] = "machine code not verified",
    };
    if ((unsigned)s < sizeof names / sizeof names[0] && names[s])
        return names[s];
    return "unknown status";
}

const char *
moat_version(void)
{
#define STR2(x) #x
#define STR(x) STR2(x)
    return STR(MOAT_VERSION_MAJOR) "." STR(MOAT_VERSION_MINOR);
}
