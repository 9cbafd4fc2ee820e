/* insn.c - reads one instruction: its opcode and immediates (binary 5.4).
 * Only the encoding is checked here; what the immediates refer to is the
 * validator's business. Shared by the validator, constant expressions and
 * the lowering.
 */
#include <stdio.h>

#include "frontend.h"

static bool
zero_byte(Reader *r)
{
    uint64_t at = moatD_off(r);
    uint8_t  b;
    if (!moatD_byte(r, &b))
        return false;
    if (b != 0)
        return moatD_malformed(r, at, "zero byte expected");
    return true;
}

static bool
read_blocktype(Reader *r, Insn *in)
{
    uint64_t at = moatD_off(r);
    int64_t  v;
    if (!moatD_s33(r, &v))
        return false;
    if (v < 0 && moatD_off(r) - at != 1)        /* a value type is one byte */
        return moatD_malformed(r, at, "malformed block type: value type "
                               "encoded in %u bytes",
                               (unsigned)(moatD_off(r) - at));
    if (v >= 0) {
        in->bt_kind = BT_TYPEIDX;
        in->a = (uint32_t)v;
        return true;
    }
    uint8_t b = (uint8_t)(v & 0x7f);
    if (b == 0x40) {
        in->bt_kind = BT_EMPTY;
        return true;
    }
    if (v < -64 || !moatD_is_valtype(b))
        return moatD_malformed(r, at, "malformed block type 0x%02x", b);
    in->bt_kind = BT_VALTYPE;
    in->a = b;
    return true;
}

/* In wasm 2.0 the alignment exponent must stay below 32; larger flags are
 * reserved (later: multi-memory) and so malformed. */
static bool
read_memarg(Reader *r, Insn *in)
{
    uint64_t at = moatD_off(r);
    if (!moatD_u32(r, &in->a))
        return false;
    if (in->a >= 32)
        return moatD_malformed(r, at, "malformed memop flags 0x%x", in->a);
    return moatD_u32(r, &in->b);
}

static bool
read_br_table(Reader *r, Insn *in)
{
    uint64_t at = moatD_off(r);
    if (!moatD_count(r, 1, &in->b) || !moatD_limit(r, at, LIM_BR_TABLE, in->b))
        return false;
    in->targets = r->p;
    for (uint32_t i = 0; i < in->b; i++) {
        uint32_t l;
        if (!moatD_u32(r, &l))
            return false;
    }
    return moatD_u32(r, &in->a);                /* default label */
}

static bool
read_select_t(Reader *r, Insn *in)
{
    if (!moatD_count(r, 1, &in->b))             /* b = number of types */
        return false;
    in->a = T_ANY;
    for (uint32_t i = 0; i < in->b; i++) {
        uint8_t t;
        if (!moatD_valtype(r, &t))
            return false;
        if (i == 0)
            in->a = t;
    }
    return true;
}

static bool
read_imm(Reader *r, Insn *in, Imm imm)
{
    const uint8_t *p;
    int32_t        s32;
    int64_t        s64;

    switch (imm) {
    case IMM_NONE: return true;
    case IMM_BLOCKTYPE: return read_blocktype(r, in);
    case IMM_LABEL: case IMM_FUNC: case IMM_LOCAL: case IMM_GLOBAL:
    case IMM_TABLE: case IMM_ELEM: case IMM_DATA:
        return moatD_u32(r, &in->a);
    case IMM_BR_TABLE: return read_br_table(r, in);
    case IMM_CALL_INDIRECT: case IMM_TABLE_COPY: case IMM_TABLE_INIT:
        return moatD_u32(r, &in->a) && moatD_u32(r, &in->b);
    case IMM_MEMARG: return read_memarg(r, in);
    case IMM_MEMARG_LANE:
        return read_memarg(r, in) && moatD_byte(r, &in->lane);
    case IMM_MEMIDX: return zero_byte(r);
    case IMM_MEMORY_INIT: return moatD_u32(r, &in->a) && zero_byte(r);
    case IMM_MEMORY_COPY: return zero_byte(r) && zero_byte(r);
    case IMM_I32:
        if (!moatD_s32(r, &s32))
            return false;
        in->bits = (uint64_t)(uint32_t)s32;
        return true;
    case IMM_I64:
        if (!moatD_s64(r, &s64))
            return false;
        in->bits = (uint64_t)s64;
        return true;
    case IMM_F32: {
        uint32_t f;
        if (!moatD_f32(r, &f))
            return false;
        in->bits = f;
        return true;
    }
    case IMM_F64: return moatD_f64(r, &in->bits);
    case IMM_V128: case IMM_SHUFFLE:
        if (!moatD_bytes(r, 16, &p))
            return false;
        in->bytes = p;
        return true;
    case IMM_LANE: return moatD_byte(r, &in->lane);
    case IMM_SELECT_T: return read_select_t(r, in);
    case IMM_REFTYPE: {
        uint64_t at = moatD_off(r);
        uint8_t  t;
        if (!moatD_byte(r, &t))
            return false;
        if (!moatD_is_ref(t))
            return moatD_malformed(r, at, "malformed reference type 0x%02x",
                                   t);
        in->a = t;
        return true;
    }
    }
    MOAT_UNREACHABLE();
}

/* An encoding that is no instruction; named with its WebAssembly 3.0
 * feature when it has one (future.def). */
static bool
illegal_opcode(Reader *r, uint64_t off, uint8_t b, uint8_t prefix,
               uint32_t code)
{
    char        enc[32];
    const char *text, *feature;

    if (prefix)
        snprintf(enc, sizeof enc, "0x%02x 0x%x", prefix, code);
    else
        snprintf(enc, sizeof enc, "0x%02x", b);
    if (!moatD_future_op(prefix, code, &text, &feature))
        return moatD_malformed(r, off, "illegal opcode %s", enc);
    if (!text)
        return moatD_malformed(r, off, "illegal opcode %s: an instruction "
                               "of %s (WebAssembly 3.0), not supported yet",
                               enc, feature);
    return moatD_malformed(r, off, "illegal opcode %s: %s (%s, WebAssembly "
                           "3.0) is not supported yet", enc, text, feature);
}

bool
moatD_insn(Reader *r, Insn *in)
{
    uint8_t  b;
    uint32_t code;

    in->off = moatD_off(r);
    if (!moatD_byte(r, &b))
        return false;
    uint8_t prefix = 0;
    code = b;
    if (b == 0xfc || b == 0xfd || b == 0xfb || b == 0xfe) {
        prefix = b;
        if (!moatD_u32(r, &code))
            return false;
    }
    int op = moatD_op_lookup(prefix, code);
    if (op < 0)
        return illegal_opcode(r, in->off, b, prefix, code);
    in->op = op;
    return read_imm(r, in, (Imm)moatD_ops[op].imm);
}
