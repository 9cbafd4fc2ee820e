/* desc_shape.h - the descriptor structs of runtime/abi.h as field lists,
 * for the lowering that emits them (descriptor.c), the checks of their
 * LLVM shape (desc_shape.c) and its unit test. A list names each member
 * in abi.h's order with a field code (desc_shape.c): F(struct, member,
 * code). Changing a struct in abi.h means changing its list here, or the
 * lowering does not compile.
 */
#ifndef MOAT_LLVM_LOWER_DESC_SHAPE_H
#define MOAT_LLVM_LOWER_DESC_SHAPE_H

#include "lower.h"

#define BYTES_FIELDS(F) F(MoatDescBytes, p, ptr) F(MoatDescBytes, len, i64)
#define CONST_FIELDS(F) \
    F(MoatDescConst, kind, i64) F(MoatDescConst, idx, i64) \
    F(MoatDescConst, lo, i64) F(MoatDescConst, hi, i64)
#define TYPE_FIELDS(F) \
    F(MoatDescType, nparams, i64) F(MoatDescType, nresults, i64) \
    F(MoatDescType, types, ptr) F(MoatDescType, tramp, ptr)
#define IMPORT_FIELDS(F) \
    F(MoatDescImport, module, bytes) F(MoatDescImport, name, bytes) \
    F(MoatDescImport, kind, i64) F(MoatDescImport, idx, i64)
#define EXPORT_FIELDS(F) \
    F(MoatDescExport, name, bytes) F(MoatDescExport, kind, i64) \
    F(MoatDescExport, idx, i64)
#define FUNC_FIELDS(F) \
    F(MoatDescFunc, type_idx, i64) F(MoatDescFunc, code, ptr) \
    F(MoatDescFunc, name, bytes)
#define GLOBAL_FIELDS(F) \
    F(MoatDescGlobal, type, i64) F(MoatDescGlobal, is_mut, i64) \
    F(MoatDescGlobal, is_import, i64) F(MoatDescGlobal, init, cnst)
#define LIMITS_FIELDS(F) \
    F(MoatDescLimits, min, i64) F(MoatDescLimits, max, i64) \
    F(MoatDescLimits, has_max, i64) F(MoatDescLimits, elem_type, i64) \
    F(MoatDescLimits, flags, i64)
#define ELEM_FIELDS(F) \
    F(MoatDescElem, mode, i64) F(MoatDescElem, table, i64) \
    F(MoatDescElem, elem_type, i64) F(MoatDescElem, offset, cnst) \
    F(MoatDescElem, count, i64) F(MoatDescElem, items, ptr)
#define DATA_FIELDS(F) \
    F(MoatDescData, mode, i64) F(MoatDescData, mem, i64) \
    F(MoatDescData, offset, cnst) F(MoatDescData, bytes, bytes)
#define SECTION_FIELDS(F) \
    F(MoatDescSection, name, bytes) F(MoatDescSection, bytes, bytes)
#define DESCRIPTOR_FIELDS(F) \
    F(MoatDescriptor, magic, i32) F(MoatDescriptor, abi_version, i32) \
    F(MoatDescriptor, flags, i64) F(MoatDescriptor, heap_reserve, i64) \
    F(MoatDescriptor, heap_guard, i64) F(MoatDescriptor, ntypes, i64) \
    F(MoatDescriptor, nimports, i64) F(MoatDescriptor, nexports, i64) \
    F(MoatDescriptor, nfuncs, i64) F(MoatDescriptor, nfunc_imports, i64) \
    F(MoatDescriptor, nglobals, i64) F(MoatDescriptor, ntables, i64) \
    F(MoatDescriptor, nmems, i64) F(MoatDescriptor, nelems, i64) \
    F(MoatDescriptor, ndatas, i64) F(MoatDescriptor, start, i64) \
    F(MoatDescriptor, types, ptr) F(MoatDescriptor, imports, ptr) \
    F(MoatDescriptor, exports, ptr) F(MoatDescriptor, funcs, ptr) \
    F(MoatDescriptor, globals, ptr) F(MoatDescriptor, tables, ptr) \
    F(MoatDescriptor, mems, ptr) F(MoatDescriptor, elems, ptr) \
    F(MoatDescriptor, datas, ptr) F(MoatDescriptor, cpu, ptr) \
    F(MoatDescriptor, features, ptr) F(MoatDescriptor, code_lo, ptr) \
    F(MoatDescriptor, code_hi, ptr) F(MoatDescriptor, hash, hash) \
    F(MoatDescriptor, code_start, i64) F(MoatDescriptor, ndebug, i64) \
    F(MoatDescriptor, debug, ptr)

/* One row per struct, each after the structs it contains:
 * X(struct, DS_ name, field list). */
#define DESC_STRUCTS(X) \
    X(MoatDescBytes, BYTES, BYTES_FIELDS) \
    X(MoatDescConst, CONST, CONST_FIELDS) \
    X(MoatDescType, TYPE, TYPE_FIELDS) \
    X(MoatDescImport, IMPORT, IMPORT_FIELDS) \
    X(MoatDescExport, EXPORT, EXPORT_FIELDS) \
    X(MoatDescFunc, FUNC, FUNC_FIELDS) \
    X(MoatDescGlobal, GLOBAL, GLOBAL_FIELDS) \
    X(MoatDescLimits, LIMITS, LIMITS_FIELDS) \
    X(MoatDescElem, ELEM, ELEM_FIELDS) \
    X(MoatDescData, DATA, DATA_FIELDS) \
    X(MoatDescSection, SECTION, SECTION_FIELDS) \
    X(MoatDescriptor, DESCRIPTOR, DESCRIPTOR_FIELDS)

enum {
#define DS_ENUM(S, ds, list) DS_##ds,
    DESC_STRUCTS(DS_ENUM)
#undef DS_ENUM
    NDESC_STRUCTS
};

/* MoatDescriptor's members by name: descriptor.c fills f[DF_<member>]. */
enum {
#define DF_ENUM(S, m, code) DF_##m,
    DESCRIPTOR_FIELDS(DF_ENUM)
#undef DF_ENUM
    NDESC_FIELDS
};

/* What abi.h's compiler says of each struct: its size, and per member
 * the field code and offset. */
typedef struct DescShape {
    const char    *name;
    size_t         size;
    unsigned       nfields;
    const uint8_t *codes;
    const size_t  *offsets;
} DescShape;

extern const DescShape moatL_desc_shapes[NDESC_STRUCTS];

/* The LLVM struct type of each, by DS_*, in L's context. */
void moatL_desc_types(Lower *L, LLVMTypeRef out[NDESC_STRUCTS]);
/* The first DS_* whose LLVM size or member offsets under td differ from
 * abi.h's, or -1. */
int  moatL_desc_check(LLVMTargetDataRef td,
                      const LLVMTypeRef t[NDESC_STRUCTS]);

#endif
