/* debuginfo.h - shared by dwarf.c (the reader: ELF image, units, public API)
 * and dwarf_scope.c (functions and scopes of one unit). Only these two
 * files see libdw. */
#ifndef MOAT_RUNTIME_DEBUGINFO_H
#define MOAT_RUNTIME_DEBUGINFO_H

#include <dwarf.h>
#include <elfutils/libdw.h>

#include "runtime.h"

/* The code of one subprogram (one of its ranges). */
typedef struct FuncRange {
    Dwarf_Addr lo, hi;
    Dwarf_Off  die;
} FuncRange;

/* A compilation unit; its functions are indexed on its first query. */
typedef struct DwarfUnit {
    Dwarf_Off  die;             /* offset of the unit's DIE */
    bool       is_indexed;
    FuncRange *funcs;
    size_t     nfuncs, capfuncs;
} DwarfUnit;

/* dwarf_scope.c: the source frames of u at addr, innermost first; writes
 * at most max, returns how many (0: u does not know addr). */
size_t moatR_dwarf_frames(Dwarf *dbg, DwarfUnit *u, Dwarf_Addr addr,
                          moat_source_loc *out, size_t max);

#endif
