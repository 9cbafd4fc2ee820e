/* opcodes.c - the instruction table built from opcodes.def, and lookup from
 * an encoding (prefix, code) to an Op. Both are compile-time constants.
 */
#include "frontend.h"

const OpInfo moatD_ops[NOP_COUNT] = {
#define OP(name, prefix, code, text, imm, a, b, c, r, n, lower) \
    [OP_##name] = { text, prefix, code, IMM_##imm, { T_##a, T_##b, T_##c }, \
                    T_##r, n },
#include "opcodes.def"
#undef OP
};

/* Key space: one-byte opcodes, then 0xfc, 0xfd and 0xfe codes. */
#define SLOT(prefix) \
    ((prefix) == 0 ? 0 : (prefix) == 0xfc ? 1 : (prefix) == 0xfd ? 2 : 3)
enum { NCODES = 256 };

static const int16_t op_by_code[4 * NCODES] = {
#define OP(name, prefix, code, text, imm, a, b, c, r, n, lower) \
    [SLOT(prefix) * NCODES + (code)] = OP_##name + 1,
#include "opcodes.def"
#undef OP
};

int
moatD_op_lookup(uint8_t prefix, uint32_t code)
{
    if (code >= NCODES ||
        (prefix != 0 && prefix != 0xfc && prefix != 0xfd && prefix != 0xfe))
        return -1;
    return op_by_code[(uint32_t)SLOT(prefix) * NCODES + code] - 1;
}

const char *
moatD_op_text(int op)
{
    if (op < 0 || op >= NOP_COUNT)
        return "?";
    return moatD_ops[op].text;
}
