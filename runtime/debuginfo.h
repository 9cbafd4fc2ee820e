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

/* A function's qualified name ("calc::Ratio::per"), made once. */
typedef struct QualName {
    Dwarf_Off die;              /* the DIE holding DW_AT_name */
    char     *name;
} QualName;

/* A compilation unit; its functions are indexed on its first query. */
typedef struct DwarfUnit {
    Dwarf_Off  die;             /* offset of the unit's DIE */
    bool       is_indexed;
    FuncRange *funcs;
    size_t     nfuncs, capfuncs;
    QualName  *names;           /* C++ and Rust units */
    size_t     nnames, capnames;
} DwarfUnit;

/* dwarf_scope.c: frees what u holds (not u). */
void moatR_dwarf_unit_free(DwarfUnit *u);

/* dwarf_scope.c: the source frames of u at addr, innermost first; writes
 * at most max, returns how many (0: u does not know addr). */
size_t moatR_dwarf_frames(Dwarf *dbg, DwarfUnit *u, Dwarf_Addr addr,
                          moat_source_loc *out, size_t max);

#endif
