/* spec_value.c - wast2json values to moat_val and back: arguments, and
 * expected results with their NaN patterns (nan:canonical,
 * nan:arithmetic) and v128 lanes. Numbers arrive as the unsigned decimal
 * of their bits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec.h"

static const struct {
    const char *name;
    uint8_t     type;
} types[] = {
    { "i32", MOAT_I32 }, { "i64", MOAT_I64 }, { "f32", MOAT_F32 },
    { "f64", MOAT_F64 }, { "v128", MOAT_V128 }, { "funcref", MOAT_FUNCREF },
    { "externref", MOAT_EXTERNREF },
};

static bool
type_of(const char *name, uint8_t *out)
{
    for (size_t i = 0; name && i < sizeof types / sizeof *types; i++)
        if (!strcmp(types[i].name, name)) {
            *out = types[i].type;
            return true;
        }
    return false;
}

static bool
parse_u64(const char *s, uint64_t *out)
{
    char *end;
    if (!s || !*s)
        return false;
    *out = strtoull(s, &end, 10);
    return *end == '\0';
}

/* Lane width in bytes of a v128 lane_type. */
static unsigned
lane_bytes(const char *lt)
{
    if (!lt)
        return 0;
    if (!strcmp(lt, "i8"))
        return 1;
    if (!strcmp(lt, "i16"))
        return 2;
    if (!strcmp(lt, "i32") || !strcmp(lt, "f32"))
        return 4;
    if (!strcmp(lt, "i64") || !strcmp(lt, "f64"))
        return 8;
    return 0;
}

/* externref N is a host reference: Moat carries it as the pointer N + 1,
 * so that ref.extern 0 is not null. */
static void *
extern_ref(uint64_t n)
{
    return (void *)(uintptr_t)(n + 1);
}

bool
moatT_value(const JsonValue *j, moat_val *out)
{
    const char      *tn = moatT_json_str(moatT_json_get(j, "type"));
    const JsonValue *v = moatT_json_get(j, "value");
    uint64_t         bits;

    memset(out, 0, sizeof *out);
    if (!type_of(tn, &out->type))
        return false;
    if (out->type == MOAT_V128) {
        const char *lt = moatT_json_str(moatT_json_get(j, "lane_type"));
        unsigned    w = lane_bytes(lt);
        if (!w || !v || moatT_json_len(v) != 16 / w)
            return false;
        for (unsigned i = 0; i < 16 / w; i++) {
            if (!parse_u64(moatT_json_str(moatT_json_at(v, i)), &bits))
                return false;
            memcpy(out->of.v128 + i * w, &bits, w);   /* little-endian */
        }
        return true;
    }
    const char *s = moatT_json_str(v);
    if (out->type == MOAT_FUNCREF || out->type == MOAT_EXTERNREF) {
        if (s && !strcmp(s, "null"))
            return true;
        if (!parse_u64(s, &bits))
            return false;
        out->of.ref = extern_ref(bits);
        return true;
    }
    if (!parse_u64(s, &bits))
        return false;
    if (out->type == MOAT_I32 || out->type == MOAT_F32)
        out->of.i32 = (uint32_t)bits;
    else
        out->of.i64 = bits;
    return true;
}

/* A float of `bytes` bytes against an expected text: bits, or a NaN
 * pattern. */
static bool
float_matches(const char *want, uint64_t got, unsigned bytes)
{
    uint64_t exp_mask = bytes == 4 ? 0x7f800000u : 0x7ff0000000000000u;
    uint64_t quiet = bytes == 4 ? 0x00400000u : 0x0008000000000000u;
    uint64_t frac = bytes == 4 ? 0x007fffffu : 0x000fffffffffffffu;
    uint64_t bits;

    if (!strcmp(want, "nan:canonical"))
        return (got & exp_mask) == exp_mask && (got & frac) == quiet;
    if (!strcmp(want, "nan:arithmetic"))
        return (got & exp_mask) == exp_mask && (got & quiet);
    return parse_u64(want, &bits) && bits == got;
}

static bool
lanes_match(const JsonValue *j, const moat_val *got)
{
    const char      *lt = moatT_json_str(moatT_json_get(j, "lane_type"));
    const JsonValue *v = moatT_json_get(j, "value");
    unsigned         w = lane_bytes(lt);
    bool             is_float = lt && lt[0] == 'f';

    if (!w || !v || moatT_json_len(v) != 16 / w)
        return false;
    for (unsigned i = 0; i < 16 / w; i++) {
        const char *s = moatT_json_str(moatT_json_at(v, i));
        uint64_t    lane = 0, want;
        memcpy(&lane, got->of.v128 + i * w, w);
        if (!s)
            return false;
        if (is_float ? !float_matches(s, lane, w)
                     : !parse_u64(s, &want) || want != lane)
            return false;
    }
    return true;
}

bool
moatT_value_matches(const JsonValue *j, const moat_val *got)
{
    const char *tn = moatT_json_str(moatT_json_get(j, "type"));
    const char *s = moatT_json_str(moatT_json_get(j, "value"));
    uint8_t     t;
    uint64_t    bits;

    if (!type_of(tn, &t) || t != got->type)
        return false;
    switch (t) {
    case MOAT_V128: return lanes_match(j, got);
    case MOAT_F32: return s && float_matches(s, got->of.i32, 4);
    case MOAT_F64: return s && float_matches(s, got->of.i64, 8);
    case MOAT_I32: return parse_u64(s, &bits) && (uint32_t)bits == got->of.i32;
    case MOAT_I64: return parse_u64(s, &bits) && bits == got->of.i64;
    default:
        if (s && !strcmp(s, "null"))
            return got->of.ref == NULL;
        if (t == MOAT_FUNCREF)
            return got->of.ref != NULL;         /* any function */
        return parse_u64(s, &bits) && got->of.ref == extern_ref(bits);
    }
}

void
moatT_value_text(const moat_val *v, char *buf, size_t n)
{
    switch (v->type) {
    case MOAT_I32: case MOAT_F32:
        snprintf(buf, n, "%s:0x%08x", v->type == MOAT_I32 ? "i32" : "f32",
                 v->of.i32);
        break;
    case MOAT_I64: case MOAT_F64:
        snprintf(buf, n, "%s:0x%016llx", v->type == MOAT_I64 ? "i64" : "f64",
                 (unsigned long long)v->of.i64);
        break;
    case MOAT_V128: {
        uint64_t lo, hi;
        memcpy(&lo, v->of.v128, 8);
        memcpy(&hi, v->of.v128 + 8, 8);
        snprintf(buf, n, "v128:0x%016llx%016llx", (unsigned long long)hi,
                 (unsigned long long)lo);
        break;
    }
    default:
        snprintf(buf, n, "ref:%p", v->of.ref);
    }
}
