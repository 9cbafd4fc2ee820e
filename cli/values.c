/* values.c - wasm values on the command line: parsing arguments of
 * `moat run --invoke` and printing results, floats bit-exact (shortest
 * round-tripping decimal, inf, nan, nan:0xPAYLOAD).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static bool
parse_int(const char *s, int bits, uint64_t *out)
{
    char *end;
    errno = 0;
    if (s[0] == '-') {
        long long v = strtoll(s, &end, 0);
        if (errno || *end || (bits == 32 && v < INT32_MIN))
            return false;
        *out = (uint64_t)v;
    } else {
        unsigned long long v = strtoull(s[0] == '+' ? s + 1 : s, &end, 0);
        if (errno || *end || (bits == 32 && v > UINT32_MAX))
            return false;
        *out = v;
    }
    if (bits == 32)
        *out &= 0xffffffffu;
    return *s != 0;
}

/* nan, nan:0xPAYLOAD, inf with an optional sign; else strtod/strtof (both
 * read C99 hex floats). */
static bool
parse_float(const char *s, int bits, uint64_t *out)
{
    bool     neg = s[0] == '-';
    const char *p = (s[0] == '-' || s[0] == '+') ? s + 1 : s;
    uint64_t sign = neg ? (bits == 32 ? 0x80000000u : 0x8000000000000000u)
                        : 0;
    uint64_t exp = bits == 32 ? 0x7f800000u : 0x7ff0000000000000u;
    uint64_t quiet = bits == 32 ? 0x00400000u : 0x0008000000000000u;
    uint64_t frac = bits == 32 ? 0x007fffffu : 0x000fffffffffffffu;
    char    *end;

    if (!strcmp(p, "inf") || !strcmp(p, "infinity")) {
        *out = sign | exp;
        return true;
    }
    if (!strcmp(p, "nan")) {
        *out = sign | exp | quiet;
        return true;
    }
    if (!strncmp(p, "nan:0x", 6)) {
        unsigned long long pl = strtoull(p + 6, &end, 16);
        if (*end || pl == 0 || pl > frac)
            return false;
        *out = sign | exp | pl;
        return true;
    }
    errno = 0;
    if (bits == 32) {
        float f = strtof(s, &end);
        uint32_t b;
        memcpy(&b, &f, 4);
        *out = b;
    } else {
        double d = strtod(s, &end);
        memcpy(out, &d, 8);
    }
    return *s && !*end;
}

static bool
parse_v128(const char *s, uint8_t out[16])
{
    if (strncmp(s, "0x", 2) || strlen(s) != 34)
        return false;
    for (int i = 0; i < 16; i++) {     /* last two digits are byte 0 */
        unsigned b;
        char     two[3] = { s[2 + 2 * (15 - i)], s[3 + 2 * (15 - i)], 0 };
        if (sscanf(two, "%2x", &b) != 1 || !strchr("0123456789abcdefABCDEF",
                                                 two[1]))
            return false;
        out[i] = (uint8_t)b;
    }
    return true;
}

bool
moat_cli_parse_value(const char *s, uint8_t type, moat_val *out)
{
    uint64_t v = 0;
    memset(out, 0, sizeof *out);
    out->type = type;
    switch (type) {
    case MOAT_I32: if (!parse_int(s, 32, &v)) return false;
                   out->of.i32 = (uint32_t)v; return true;
    case MOAT_I64: return parse_int(s, 64, &out->of.i64);
    case MOAT_F32: if (!parse_float(s, 32, &v)) return false;
                   out->of.i32 = (uint32_t)v; return true;
    case MOAT_F64: return parse_float(s, 64, &out->of.i64);
    case MOAT_V128: return parse_v128(s, out->of.v128);
    default: return !strcmp(s, "null");        /* references: null only */
    }
}

static void
print_float(uint64_t bits, int nbits)
{
    uint64_t sign = bits >> (nbits - 1);
    uint64_t exp = nbits == 32 ? (bits >> 23) & 0xff : (bits >> 52) & 0x7ff;
    uint64_t frac = nbits == 32 ? bits & 0x7fffff : bits & 0xfffffffffffff;
    uint64_t emax = nbits == 32 ? 0xff : 0x7ff;
    uint64_t canon = nbits == 32 ? 0x400000 : 0x8000000000000;

    if (exp == emax) {
        const char *sg = sign ? "-" : "";
        if (frac == 0)
            printf("%sinf\n", sg);
        else if (frac == canon)
            printf("%snan\n", sg);
        else
            printf("%snan:0x%llx\n", sg, (unsigned long long)frac);
        return;
    }
    char buf[64];
    for (int prec = 1; prec <= 17; prec++) {   /* shortest that reads back */
        if (nbits == 32) {
            float f, g;
            uint32_t b32 = (uint32_t)bits;
            memcpy(&f, &b32, 4);
            snprintf(buf, sizeof buf, "%.*g", prec, (double)f);
            g = strtof(buf, NULL);
            if (memcmp(&f, &g, 4) == 0)
                break;
        } else {
            double d, e;
            memcpy(&d, &bits, 8);
            snprintf(buf, sizeof buf, "%.*g", prec, d);
            e = strtod(buf, NULL);
            if (memcmp(&d, &e, 8) == 0)
                break;
        }
    }
    printf("%s\n", buf);
}

void
moat_cli_print_value(const moat_val *v)
{
    switch (v->type) {
    case MOAT_I32: printf("%d\n", (int32_t)v->of.i32); break;
    case MOAT_I64: printf("%lld\n", (long long)(int64_t)v->of.i64); break;
    case MOAT_F32: print_float(v->of.i32, 32); break;
    case MOAT_F64: print_float(v->of.i64, 64); break;
    case MOAT_V128:
        printf("0x");
        for (int i = 15; i >= 0; i--)
            printf("%02x", v->of.v128[i]);
        printf("\n");
        break;
    default: printf("%s\n", v->of.ref ? "ref" : "null");
    }
}

const char *
moat_cli_type_name(uint8_t type)
{
    switch (type) {
    case MOAT_I32: return "i32";
    case MOAT_I64: return "i64";
    case MOAT_F32: return "f32";
    case MOAT_F64: return "f64";
    case MOAT_V128: return "v128 (0x and 32 hex digits)";
    case MOAT_FUNCREF: return "funcref (null)";
    default: return "externref (null)";
    }
}
