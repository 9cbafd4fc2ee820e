/* units.c - durations ("500ms", "2s") and sizes ("64K", "16M") as the
 * command line and the `moat serve` route file write them. Kept apart from
 * the rest of the CLI so that serve/ can use them alone.
 */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "units.h"

/* Digits with an optional fraction: value * scale, rounded down; false on
 * anything else or overflow. */
static bool
scaled(const char *s, const char *end, uint64_t scale, uint64_t *out)
{
    uint64_t whole = 0, frac = 0, frac_div = 1;
    bool     has_digit = false, in_frac = false;

    for (const char *p = s; p < end; p++) {
        if (*p == '.' && !in_frac) {
            in_frac = true;
            continue;
        }
        if (*p < '0' || *p > '9')
            return false;
        unsigned d = (unsigned)(*p - '0');
        has_digit = true;
        if (!in_frac) {
            if (whole > (UINT64_MAX - d) / 10)
                return false;
            whole = whole * 10 + d;
        } else if (frac_div <= UINT64_MAX / 100) {  /* ignore past 1e-17 */
            frac = frac * 10 + d;
            frac_div *= 10;
        }
    }
    if (!has_digit || (whole && whole > UINT64_MAX / scale))
        return false;
    uint64_t part = frac ? (uint64_t)((double)frac / (double)frac_div *
                                      (double)scale)
                         : 0;
    if (whole * scale > UINT64_MAX - part)
        return false;
    *out = whole * scale + part;
    return true;
}

/* The unit ending s (one of names), its scale in *scale; NULL if none. */
static const char *
split_unit(const char *s, const char *const *names, const uint64_t *scales,
           size_t n, uint64_t dflt, uint64_t *scale)
{
    size_t len = strlen(s);
    for (size_t i = 0; i < n; i++) {
        size_t k = strlen(names[i]);
        if (k < len && !strcasecmp(s + len - k, names[i])) {
            *scale = scales[i];
            return s + len - k;
        }
    }
    *scale = dflt;
    return s + len;
}

bool
moat_cli_parse_duration(const char *s, uint64_t *ns)
{
    /* longest first, so that "ms" is not taken for "s" */
    static const char *const names[] = { "ns", "us", "ms", "s", "m", "h" };
    static const uint64_t    scales[] = {
        1, 1000, 1000000, 1000000000, UINT64_C(60000000000),
        UINT64_C(3600000000000),
    };
    uint64_t    scale;
    const char *end = split_unit(s, names, scales, 6, scales[3], &scale);
    return scaled(s, end, scale, ns) && *ns > 0;
}

bool
moat_cli_parse_size(const char *s, uint64_t *bytes)
{
    static const char *const names[] = { "KiB", "MiB", "GiB", "KB", "MB",
                                         "GB",  "K",   "M",   "G",  "B" };
    static const uint64_t    scales[] = {
        1 << 10, 1 << 20, 1 << 30, 1 << 10, 1 << 20, 1 << 30,
        1 << 10, 1 << 20, 1 << 30, 1,
    };
    uint64_t    scale;
    const char *end = split_unit(s, names, scales, 10, 1, &scale);
    return scaled(s, end, scale, bytes) && *bytes > 0;
}
