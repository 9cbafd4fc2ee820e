/* regs.h - general-purpose registers as numbers 0-15 (rax .. r15), for
 * every rule that tracks register contents (table.c, table_base.c, the
 * memory rule). */
#ifndef MOAT_VERIFY_REGS_H
#define MOAT_VERIFY_REGS_H

#include <Zydis/Zydis.h>
#include <stdbool.h>

/* The 64-bit register r is part of, as 0-15; -1 for any other. */
static inline int
moatK_gpr(ZydisRegister r)
{
    ZydisRegister big = ZydisRegisterGetLargestEnclosing(
        ZYDIS_MACHINE_MODE_LONG_64, r);

    if (big >= ZYDIS_REGISTER_RAX && big <= ZYDIS_REGISTER_R15)
        return (int)(big - ZYDIS_REGISTER_RAX);
    return -1;
}

/* What a write of operand o of `in` (a general register) does to bits
 * 63:32 of the register: 1 clears them (a 32-bit write zero-extends, and
 * CMOVcc's does even when the condition is false), 0 keeps them (8- and
 * 16-bit writes; a 32-bit write that may not happen: CMPXCHG's, and
 * BSF/BSR's, which leave the register as it was when the source is 0,
 * keep them zero if they were), -1 unknown (64-bit writes). */
static inline int
moatK_upper_after(const ZydisDecodedInstruction *in,
                  const ZydisDecodedOperand *o)
{
    bool cmov = in->meta.category == ZYDIS_CATEGORY_CMOV;

    if (o->size == 8 || o->size == 16)
        return 0;
    if (o->size != 32)
        return -1;
    if (in->mnemonic == ZYDIS_MNEMONIC_BSF ||
        in->mnemonic == ZYDIS_MNEMONIC_BSR)
        return 0;
    return cmov || (o->actions & ZYDIS_OPERAND_ACTION_WRITE) ? 1 : 0;
}

#endif
