/* insn.c - the instruction allow-list (rule "insn") and the segment rule
 * (rule "segment") for one decoded instruction. An allow-list, by Zydis
 * category: the arithmetic, logic, data movement, branch and vector
 * families compiled wasm needs; everything else (system calls, software
 * interrupts, I/O, privileged and system instructions, segment loads,
 * fs/gs base access, CPUID, x87, transactional memory...) is refused and
 * named. Memory operands are not judged here (the memory rule is not
 * implemented yet: docs/verify.md); control flow is decode.c's.
 */
#include <Zydis/Zydis.h>

#include "verify.h"

/* Categories compiled code may use; true = allowed. */
static const bool allowed_cat[ZYDIS_CATEGORY_MAX_VALUE + 1] = {
    [ZYDIS_CATEGORY_ADOX_ADCX] = true, [ZYDIS_CATEGORY_AES] = true,
    [ZYDIS_CATEGORY_AVX] = true, [ZYDIS_CATEGORY_AVX2] = true,
    [ZYDIS_CATEGORY_AVX2GATHER] = true, [ZYDIS_CATEGORY_AVX512] = true,
    [ZYDIS_CATEGORY_AVX512_BITALG] = true,
    [ZYDIS_CATEGORY_AVX512_VBMI] = true, [ZYDIS_CATEGORY_BINARY] = true,
    [ZYDIS_CATEGORY_BITBYTE] = true, [ZYDIS_CATEGORY_BLEND] = true,
    [ZYDIS_CATEGORY_BMI1] = true, [ZYDIS_CATEGORY_BMI2] = true,
    [ZYDIS_CATEGORY_BROADCAST] = true, [ZYDIS_CATEGORY_CALL] = true,
    [ZYDIS_CATEGORY_CMOV] = true, [ZYDIS_CATEGORY_COMPRESS] = true,
    [ZYDIS_CATEGORY_COND_BR] = true, [ZYDIS_CATEGORY_CONFLICT] = true,
    [ZYDIS_CATEGORY_CONVERT] = true, [ZYDIS_CATEGORY_DATAXFER] = true,
    [ZYDIS_CATEGORY_EXPAND] = true, [ZYDIS_CATEGORY_FP16] = true,
    [ZYDIS_CATEGORY_GATHER] = true, [ZYDIS_CATEGORY_GFNI] = true,
    [ZYDIS_CATEGORY_IFMA] = true, [ZYDIS_CATEGORY_KMASK] = true,
    [ZYDIS_CATEGORY_LOGICAL] = true, [ZYDIS_CATEGORY_LOGICAL_FP] = true,
    [ZYDIS_CATEGORY_LZCNT] = true, [ZYDIS_CATEGORY_NOP] = true,
    [ZYDIS_CATEGORY_PCLMULQDQ] = true, [ZYDIS_CATEGORY_POP] = true,
    [ZYDIS_CATEGORY_PUSH] = true, [ZYDIS_CATEGORY_RET] = true,
    [ZYDIS_CATEGORY_ROTATE] = true, [ZYDIS_CATEGORY_SETCC] = true,
    [ZYDIS_CATEGORY_SHA] = true, [ZYDIS_CATEGORY_SHIFT] = true,
    [ZYDIS_CATEGORY_SSE] = true, [ZYDIS_CATEGORY_STTNI] = true,
    [ZYDIS_CATEGORY_UNCOND_BR] = true, [ZYDIS_CATEGORY_VAES] = true,
    [ZYDIS_CATEGORY_VBMI2] = true, [ZYDIS_CATEGORY_VFMA] = true,
    [ZYDIS_CATEGORY_VPCLMULQDQ] = true, [ZYDIS_CATEGORY_WIDENOP] = true,
    [ZYDIS_CATEGORY_SEMAPHORE] = true, [ZYDIS_CATEGORY_PREFETCH] = true,
    [ZYDIS_CATEGORY_FLAGOP] = false,    /* std, popf: see below */
};

/* MISC is a mixed bag: only these of it. */
static bool
misc_allowed(ZydisMnemonic m)
{
    switch (m) {
    case ZYDIS_MNEMONIC_LEA: case ZYDIS_MNEMONIC_LEAVE:
    case ZYDIS_MNEMONIC_PAUSE: case ZYDIS_MNEMONIC_LFENCE:
    case ZYDIS_MNEMONIC_MFENCE: case ZYDIS_MNEMONIC_SFENCE:
        return true;
    default:
        return false;
    }
}

/* Members of allowed categories that are not: popf loads the flags (the
 * direction flag would run the host's string operations backwards, the
 * trap and alignment flags fault in host code), ldmxcsr and fxrstor the
 * SSE control word (an unmasked exception faults in host code). */
static const char *
denied(ZydisMnemonic m)
{
    switch (m) {
    case ZYDIS_MNEMONIC_POPF: case ZYDIS_MNEMONIC_POPFD:
    case ZYDIS_MNEMONIC_POPFQ:
        return "loads the flags register";
    case ZYDIS_MNEMONIC_LDMXCSR: case ZYDIS_MNEMONIC_VLDMXCSR:
    case ZYDIS_MNEMONIC_FXRSTOR: case ZYDIS_MNEMONIC_FXRSTOR64:
        return "loads the SSE control register";
    default:
        return NULL;
    }
}

/* Why a refused instruction is refused, in the words of the rule. */
static const char *
refusal(const ZydisDecodedInstruction *in)
{
    if (denied(in->mnemonic))
        return denied(in->mnemonic);
    switch (in->meta.category) {
    case ZYDIS_CATEGORY_SYSCALL: case ZYDIS_CATEGORY_SYSRET:
        return "system call instruction";
    case ZYDIS_CATEGORY_INTERRUPT:
        return "software interrupt instruction";
    case ZYDIS_CATEGORY_IO: case ZYDIS_CATEGORY_IOSTRINGOP:
        return "I/O instruction";
    case ZYDIS_CATEGORY_SYSTEM: case ZYDIS_CATEGORY_VTX:
    case ZYDIS_CATEGORY_SGX:
        return "system instruction";
    default:
        break;
    }
    if (in->attributes & ZYDIS_ATTRIB_IS_PRIVILEGED)
        return "privileged instruction";
    return "instruction not on the allow-list";
}

/* Segment rule: no segment register written (mov/pop to a segment, far
 * transfers), no fs/gs base read or written, memory through gs never and
 * through fs only read (the stack limit word, runtime/abi.h). */
static void
check_segments(KCheck *c, uint64_t off, const ZydisDecodedInstruction *in,
               const ZydisDecodedOperand *ops)
{
    const char *name = ZydisMnemonicGetString(in->mnemonic);

    if (in->meta.category == ZYDIS_CATEGORY_RDWRFSGS ||
        in->meta.category == ZYDIS_CATEGORY_SEGOP) {
        moatK_violation(c, K_SEGMENT, off, "%s: segment instruction", name);
        return;
    }
    for (uint8_t i = 0; i < in->operand_count; i++) {
        const ZydisDecodedOperand *o = &ops[i];
        if (o->type == ZYDIS_OPERAND_TYPE_REGISTER &&
            ZydisRegisterGetClass(o->reg.value) == ZYDIS_REGCLASS_SEGMENT &&
            (o->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE)) {
            moatK_violation(c, K_SEGMENT, off, "%s: writes a segment "
                            "register", name);
            return;
        }
        if (o->type != ZYDIS_OPERAND_TYPE_MEMORY)
            continue;
        if (o->mem.segment == ZYDIS_REGISTER_GS) {
            moatK_violation(c, K_SEGMENT, off, "%s: memory through gs",
                            name);
            return;
        }
        if (o->mem.segment == ZYDIS_REGISTER_FS &&
            (o->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE)) {
            moatK_violation(c, K_SEGMENT, off, "%s: writes memory through "
                            "fs", name);
            return;
        }
    }
}

void
moatK_check_insn(KCheck *c, uint64_t off,
                 const struct ZydisDecodedInstruction_ *in,
                 const struct ZydisDecodedOperand_ *ops)
{
    ZydisInstructionCategory cat = in->meta.category;
    bool ok = cat <= ZYDIS_CATEGORY_MAX_VALUE && allowed_cat[cat];

    if (cat == ZYDIS_CATEGORY_MISC)
        ok = misc_allowed(in->mnemonic);
    if ((in->attributes & ZYDIS_ATTRIB_IS_PRIVILEGED) || denied(in->mnemonic))
        ok = false;
    if (!ok)
        moatK_violation(c, K_INSN, off, "%s: %s",
                        ZydisMnemonicGetString(in->mnemonic), refusal(in));
    check_segments(c, off, in, ops);
}
