/* emit.c - LLVM target machine and emission of an object file, assembly,
 * textual IR or bitcode into memory.
 * The only lowering code that can fail: errors carry LLVM's message.
 */
#include <string.h>

#include <llvm-c/Analysis.h>
#include <llvm-c/Support.h>
#include <llvm-c/BitWriter.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>

#include "emit.h"

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

/* LLVM options set once per process, before the first compile (they are
 * LLVM's globals, read by every thread's codegen):
 * - no instruction-referencing variable locations: Moat emits line
 *   tables only (debuginfo.c), no variables, yet x86's default
 *   (instruction referencing) makes Live DEBUG_VALUE analysis rebuild
 *   every function's value map for nothing: 6.5% of -O2 codegen on
 *   quickjs, 2% with this; the objects are byte-identical
 *   (docs/bench-compile.md). */
static void
set_llvm_options(void)
{
    const char *const argv[] = {
        "moat", "-experimental-debug-variable-locations=false",
    };
    LLVMParseCommandLineOptions((int)(sizeof argv / sizeof argv[0]), argv,
                                NULL);
}

static void
init_targets(void)
{
    set_llvm_options();
    LLVMInitializeAllTargetInfos();
    LLVMInitializeAllTargets();
    LLVMInitializeAllTargetMCs();
    LLVMInitializeAllAsmPrinters();
    LLVMInitializeAllAsmParsers();   /* inline asm (the provable heap index) */
}

void
moatL_init_targets(void)
{
    pthread_once(&init_once, init_targets);
}

static bool
fail_llvm(moat_error *err, const char *what, char *msg)
{
    moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_CONTRACT, "%s: %s", what,
               msg ? msg : "unknown LLVM error");
    if (msg)
        LLVMDisposeMessage(msg);
    return false;
}

bool
moatL_target_machine(const EmitOptions *o, LLVMTargetMachineRef *out,
                     moat_error *err)
{
    char          *triple = o->triple ? strdup(o->triple)
                                      : LLVMGetDefaultTargetTriple();
    char          *msg = NULL;
    LLVMTargetRef  target;
    LLVMCodeGenOptLevel lvl = o->opt_level <= 0 ? LLVMCodeGenLevelNone
                            : o->opt_level == 1 ? LLVMCodeGenLevelLess
                            : o->opt_level == 2 ? LLVMCodeGenLevelDefault
                                                : LLVMCodeGenLevelAggressive;

    moatL_init_targets();
    if (LLVMGetTargetFromTriple(triple, &target, &msg)) {
        free(triple);
        return fail_llvm(err, "unknown target", msg);
    }
    *out = LLVMCreateTargetMachine(target, triple, o->cpu, o->features, lvl,
                                   LLVMRelocPIC, LLVMCodeModelSmall);
    free(triple);
    if (!*out)
        return moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_CONTRACT,
                          "cannot create a target machine for %s",
                          o->cpu);
    return true;
}

bool
moatL_verify(LLVMModuleRef mod, moat_error *err)
{
    char *msg = NULL;
    if (LLVMVerifyModule(mod, LLVMReturnStatusAction, &msg))
        return fail_llvm(err, "internal error: invalid LLVM IR", msg);
    LLVMDisposeMessage(msg);
    return true;
}

/* Copies a memory buffer into an owned allocation. */
static bool
take_buffer(LLVMMemoryBufferRef buf, uint8_t **out, size_t *len,
            moat_error *err)
{
    size_t n = LLVMGetBufferSize(buf);
    *out = moatU_alloc(n);
    if (!*out) {
        LLVMDisposeMemoryBuffer(buf);
        return moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_NOMEM,
                          "out of memory");
    }
    memcpy(*out, LLVMGetBufferStart(buf), n);
    *len = n;
    LLVMDisposeMemoryBuffer(buf);
    return true;
}

bool
moatL_emit(LLVMModuleRef mod, LLVMTargetMachineRef tm, moat_output kind,
           uint8_t **out, size_t *len, moat_error *err)
{
    LLVMMemoryBufferRef buf;
    char               *msg = NULL;

    if (kind == MOAT_OUTPUT_LLVM_IR) {
        char *s = LLVMPrintModuleToString(mod);
        size_t n = strlen(s);
        *out = moatU_alloc(n);
        if (*out)
            memcpy(*out, s, n);
        LLVMDisposeMessage(s);
        *len = n;
        return *out || moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_NOMEM,
                                  "out of memory");
    }
    if (kind == MOAT_OUTPUT_LLVM_BC)
        return take_buffer(LLVMWriteBitcodeToMemoryBuffer(mod), out, len,
                           err);
    if (LLVMTargetMachineEmitToMemoryBuffer(tm, mod,
                                            kind == MOAT_OUTPUT_ASM
                                                ? LLVMAssemblyFile
                                                : LLVMObjectFile,
                                            &msg, &buf))
        return fail_llvm(err, "code generation failed", msg);
    return take_buffer(buf, out, len, err);
}
