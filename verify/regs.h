/* regs.h - general-purpose registers as numbers 0-15 (rax .. r15), for
 * every rule that tracks register contents (table.c, table_base.c, the
 * memory rule). */
#ifndef MOAT_VERIFY_REGS_H
#define MOAT_VERIFY_REGS_H

#include <Zydis/Zydis.h>

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

#endif
