/* debuginfo.c - debug information that maps native code back to wasm, for
 * trap backtraces (docs/backtraces.md): one compile unit, one subprogram
 * per compiled function named like its symbol (wasm_fN; trampolines
 * moat_tramp), and on every instruction a location whose line is the byte
 * offset in the module of the wasm instruction it came from. LLVM keeps
 * these through optimisation, inlining included (inlinedAt chains become
 * DW_TAG_inlined_subroutine with DW_AT_call_line = the offset of the
 * call). The runtime reads them back with libdw (runtime/backtrace_dw.c).
 * Source lines of the module's own DWARF are another matter (not here).
 */
#include <string.h>

#include <llvm-c/DebugInfo.h>

#include "lower.h"

void
moatL_di_init(Lower *L)
{
    LLVMDIBuilderRef d = LLVMCreateDIBuilder(L->mod);
    static const char producer[] = "moat";

    L->di = d;
    L->di_file = LLVMDIBuilderCreateFile(d, "wasm", 4, "", 0);
    /* line tables only: locations, subprograms and inlined subroutines,
     * no types or variables (a fraction of the size of full info). "For
     * profiling" makes LLVM write the subprogram of every function, not
     * only of those that inlined something: the runtime tells
     * trampolines from wasm functions by it. */
    L->di_cu = LLVMDIBuilderCreateCompileUnit(
        d, LLVMDWARFSourceLanguageC, L->di_file, producer,
        sizeof producer - 1, true, "", 0, 0, "", 0,
        LLVMDWARFEmissionLineTablesOnly, 0, false, true, "", 0, "", 0);
    L->di_type = LLVMDIBuilderCreateSubroutineType(d, L->di_file, NULL, 0,
                                                   LLVMDIFlagZero);
    LLVMAddModuleFlag(L->mod, LLVMModuleFlagBehaviorWarning,
                      "Debug Info Version", 18,
                      LLVMValueAsMetadata(moatL_const_i32(
                          L, LLVMDebugMetadataVersion())));
    LLVMAddModuleFlag(L->mod, LLVMModuleFlagBehaviorWarning, "Dwarf Version",
                      13, LLVMValueAsMetadata(moatL_const_i32(L, 4)));
}

/* Gives fn a subprogram called name starting at line (a wasm offset) and
 * makes it the scope of the locations set from now on. */
void
moatL_di_func(Lower *L, LLVMValueRef fn, const char *name, unsigned line)
{
    LLVMMetadataRef sp = LLVMDIBuilderCreateFunction(
        L->di, L->di_file, name, strlen(name), "", 0, L->di_file, line,
        L->di_type, true, true, line, LLVMDIFlagZero, true);

    LLVMSetSubprogram(fn, sp);
    L->di_scope = sp;
    L->di_line = UINT32_MAX;
    moatL_di_at(L, line);
}

/* Instructions built from now on come from the wasm instruction at byte
 * offset off of the module. */
void
moatL_di_at(Lower *L, uint64_t off)
{
    unsigned line = (unsigned)off;      /* modules are < 4 GiB */

    if (line == L->di_line)
        return;
    L->di_line = line;
    LLVMSetCurrentDebugLocation2(
        L->b, LLVMDIBuilderCreateDebugLocation(L->llctx, line, 0,
                                               L->di_scope, NULL));
}

/* The builder goes on to code of no function (or another one). */
void
moatL_di_leave(Lower *L)
{
    LLVMSetCurrentDebugLocation2(L->b, NULL);
    L->di_scope = NULL;
    L->di_line = UINT32_MAX;
}

void
moatL_di_fini(Lower *L)
{
    LLVMDIBuilderFinalize(L->di);
    LLVMDisposeDIBuilder(L->di);
    L->di = NULL;
}
