/* desc_shape.c - the LLVM shape of each descriptor struct of runtime/abi.h
 * (MoatDescBytes .. MoatDescriptor), built from one field list per struct.
 * The same list declares a mirror C struct whose members are checked at
 * compile time against abi.h's, one by one (type, size, offset), so a
 * member added, removed, moved or retyped in abi.h without the list
 * following does not compile. moatL_desc_check compares the LLVM types
 * with abi.h's sizes and offsets through the target's data layout.
 * descriptor.c fills the structs; this file only says what they are.
 */
#include <stdlib.h>

#include "desc_shape.h"

/* Field codes: the C type of the member, and the LLVM type it becomes.
 *   i32 uint32_t, i64 uint64_t, ptr any pointer, hash uint8_t[32],
 *   bytes MoatDescBytes, cnst MoatDescConst */
#define CT_i32         uint32_t
#define CT_i64         uint64_t
#define CT_ptr         const void *
#define CT_hash        uint8_t
#define CT_bytes       MoatDescBytes
#define CT_cnst        MoatDescConst
#define DIM_hash       [32]
#define DIM_i32
#define DIM_i64
#define DIM_ptr
#define DIM_bytes
#define DIM_cnst

/* Whether an expression has the code's kind of type (a pointer: anything
 * but the other codes' types; an array decays to a pointer). */
#define KIND_i32(x)    _Generic((x), uint32_t: 1, default: 0)
#define KIND_i64(x)    _Generic((x), uint64_t: 1, default: 0)
#define KIND_ptr(x) \
    _Generic((x), uint32_t: 0, uint64_t: 0, uint8_t *: 0, \
             MoatDescBytes: 0, MoatDescConst: 0, default: 1)
#define KIND_hash(x)   _Generic((x), uint8_t *: 1, default: 0)
#define KIND_bytes(x)  _Generic((x), MoatDescBytes: 1, default: 0)
#define KIND_cnst(x)   _Generic((x), MoatDescConst: 1, default: 0)

/* ---- compile time: a mirror of each struct, laid out from its list,
 * must match abi.h member by member ---- */

#define MIRROR_MEMBER(S, m, code) CT_##code m DIM_##code;
#define MIRROR(S, ds, list) typedef struct Mirror_##S { list(MIRROR_MEMBER) } \
    Mirror_##S;
DESC_STRUCTS(MIRROR)

#define CHECK_MEMBER(S, m, code) \
    _Static_assert(KIND_##code(((S *)0)->m), #S "." #m ": not " #code); \
    _Static_assert(sizeof(((S *)0)->m) == sizeof(((Mirror_##S *)0)->m), \
                   #S "." #m ": size"); \
    _Static_assert(offsetof(S, m) == offsetof(Mirror_##S, m), \
                   #S "." #m ": offset (members out of order?)");
#define CHECK(S, ds, list) \
    list(CHECK_MEMBER) \
    _Static_assert(sizeof(S) == sizeof(Mirror_##S), \
                   #S ": a member abi.h has and desc_shape.c lacks");
DESC_STRUCTS(CHECK)

/* ---- run time: the LLVM types, and their check ---- */

enum { FC_i32, FC_i64, FC_ptr, FC_hash, FC_bytes, FC_cnst };

#define CODE(S, m, code) FC_##code,
#define OFFSET(S, m, code) offsetof(S, m),
#define CODES(S, ds, list) static const uint8_t codes_##ds[] = { list(CODE) };
#define OFFSETS(S, ds, list) \
    static const size_t offsets_##ds[] = { list(OFFSET) };
DESC_STRUCTS(CODES)
DESC_STRUCTS(OFFSETS)

const DescShape moatL_desc_shapes[NDESC_STRUCTS] = {
#define SHAPE(S, ds, list) \
    [DS_##ds] = { #S, sizeof(S), sizeof codes_##ds, codes_##ds, \
                  offsets_##ds },
    DESC_STRUCTS(SHAPE)
#undef SHAPE
};

_Static_assert(sizeof codes_DESCRIPTOR == NDESC_FIELDS,
               "lower.h's DF_* and the MoatDescriptor list disagree");

/* The type of struct ds; the structs it contains come before it in
 * DESC_STRUCTS, so out[] already holds them. */
static LLVMTypeRef
shape_type(Lower *L, int ds, const LLVMTypeRef *out)
{
    const DescShape *s = &moatL_desc_shapes[ds];
    LLVMTypeRef      t[NDESC_FIELDS];

    for (unsigned i = 0; i < s->nfields; i++) {
        switch (s->codes[i]) {
        case FC_i32: t[i] = L->i32; break;
        case FC_i64: t[i] = L->i64; break;
        case FC_ptr: t[i] = L->ptr; break;
        case FC_hash: t[i] = LLVMArrayType2(L->i8, 32); break;
        case FC_bytes: t[i] = out[DS_BYTES]; break;
        default: t[i] = out[DS_CONST]; break;
        }
    }
    return LLVMStructTypeInContext(L->llctx, t, s->nfields, false);
}

void
moatL_desc_types(Lower *L, LLVMTypeRef out[NDESC_STRUCTS])
{
    for (int ds = 0; ds < NDESC_STRUCTS; ds++)
        out[ds] = shape_type(L, ds, out);
}

/* The first struct whose LLVM size or member offsets under td differ
 * from abi.h's, or -1. */
int
moatL_desc_check(LLVMTargetDataRef td, const LLVMTypeRef t[NDESC_STRUCTS])
{
    for (int ds = 0; ds < NDESC_STRUCTS; ds++) {
        const DescShape *s = &moatL_desc_shapes[ds];
        if (LLVMABISizeOfType(td, t[ds]) != s->size ||
            LLVMCountStructElementTypes(t[ds]) != s->nfields)
            return ds;
        for (unsigned i = 0; i < s->nfields; i++)
            if (LLVMOffsetOfElement(td, t[ds], i) != s->offsets[i])
                return ds;
    }
    return -1;
}
