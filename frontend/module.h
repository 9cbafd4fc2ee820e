/* module.h - the decoded and validated Module: what the front-end hands to
 * llvm-lower/ and the CLI. The only frontend header other parts include.
 *
 * Index spaces follow the spec (binary 5.5): imported entities come first,
 * so funcs[i], tables[i], mems[i], globals[i] cover the whole index space and
 * say whether they are imported. A Module owns a copy of the input bytes;
 * names, code bodies and data segments point into that copy.
 */
#ifndef MOAT_FRONTEND_MODULE_H
#define MOAT_FRONTEND_MODULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "moat.h"
#include "../runtime/util.h"

/* Value types carry their binary encoding; T_ANY is the validator's unknown
 * type (an operand popped from unreachable code). */
typedef enum ValType {
    T_ANY = 0x00,
    T_I32 = 0x7f,
    T_I64 = 0x7e,
    T_F32 = 0x7d,
    T_F64 = 0x7c,
    T_V128 = 0x7b,
    T_FUNCREF = 0x70,
    T_EXTERNREF = 0x6f,
} ValType;

typedef enum ExternKind {
    EXT_FUNC = 0, EXT_TABLE = 1, EXT_MEM = 2, EXT_GLOBAL = 3
} ExternKind;

typedef struct Name {
    const char *s;              /* into the module's bytes; not NUL-ended */
    uint32_t    len;
} Name;

typedef struct FuncType {
    uint32_t nparams, nresults;
    uint8_t *types;             /* ValType: params, then results */
} FuncType;

typedef struct Limits {
    uint32_t min, max;          /* pages or elements */
    bool     has_max;
    bool     shared;            /* memories: shared (threads proposal) */
} Limits;

typedef struct TableType {
    uint8_t elem;               /* T_FUNCREF or T_EXTERNREF */
    Limits  limits;
} TableType;

typedef struct GlobalType {
    uint8_t type;
    bool    is_mut;
} GlobalType;

/* A constant expression is one instruction and `end` (WebAssembly 2.0),
 * or (3.0's extended constant expressions) a sequence of i32/i64 consts,
 * global.gets and i32/i64 add, sub and mul: CONST_EXPR, whose ops are
 * those instructions in order, each a ConstExpr of a kind below. */
typedef enum ConstKind {
    CONST_I32, CONST_I64, CONST_F32, CONST_F64, CONST_V128,
    CONST_REF_NULL, CONST_REF_FUNC, CONST_GLOBAL_GET,
    CONST_EXPR,
    CONST_I32_ADD, CONST_I32_SUB, CONST_I32_MUL,
    CONST_I64_ADD, CONST_I64_SUB, CONST_I64_MUL
} ConstKind;

typedef struct ConstExpr {
    uint8_t  kind;              /* ConstKind */
    uint8_t  type;              /* ValType the expression produces */
    uint32_t idx;               /* func (ref.func) or global (global.get);
                                 * CONST_EXPR: the number of ops */
    union {
        uint32_t i32;           /* also f32 bits */
        uint64_t i64;           /* also f64 bits */
        uint8_t  v128[16];
        struct ConstExpr *ops;  /* CONST_EXPR, in the decoder's arena */
    } u;
} ConstExpr;

typedef struct Import {
    Name     module, name;
    uint8_t  kind;              /* ExternKind */
    uint32_t idx;               /* index in the kind's space */
} Import;

typedef struct Export {
    Name     name;
    uint64_t off;               /* of the export entry, for errors */
    uint8_t  kind;
    uint32_t idx;
} Export;

typedef struct LocalRun {
    uint32_t count;
    uint8_t  type;
} LocalRun;

typedef struct Func {
    uint32_t       type_idx;
    bool           is_import;
    /* defined functions only: */
    uint32_t       nlocals;     /* declared locals, parameters excluded */
    uint32_t       nruns;
    LocalRun      *runs;
    const uint8_t *code;        /* first instruction .. final `end` */
    size_t         code_len;
    uint64_t       code_off;    /* offset of `code` in the input */
    uint64_t       body_off;    /* offset of the body's size field */
} Func;

typedef struct Global {
    GlobalType type;
    bool       is_import;
    ConstExpr  init;            /* defined globals only */
} Global;

typedef enum SegMode { SEG_ACTIVE, SEG_PASSIVE, SEG_DECLARATIVE } SegMode;

typedef struct Elem {
    uint8_t    mode;            /* SegMode */
    uint8_t    type;            /* T_FUNCREF or T_EXTERNREF */
    uint32_t   table;
    ConstExpr  offset;          /* active only */
    uint32_t   count;
    ConstExpr *items;           /* each CONST_REF_FUNC / REF_NULL / GLOBAL_GET */
} Elem;

typedef struct Data {
    uint8_t        mode;        /* SEG_ACTIVE or SEG_PASSIVE */
    uint32_t       mem;
    ConstExpr      offset;
    const uint8_t *bytes;
    uint32_t       len;
} Data;

typedef struct Custom {
    Name           name;
    uint64_t       off;         /* of the section's content */
    uint32_t       size;        /* content size, name included */
    const uint8_t *data;        /* the content after the name */
    uint32_t       len;
} Custom;

typedef struct NameEntry {
    uint32_t idx;
    Name     name;
} NameEntry;

typedef struct LocalNames {
    uint32_t   func;
    uint32_t   n;
    NameEntry *names;           /* sorted by local index */
} LocalNames;

typedef struct Module {
    Arena          arena;
    uint8_t       *bytes;       /* owned copy of the input */
    size_t         len;

    uint32_t ntypes, nimports, nfuncs, ntables, nmems, nglobals;
    uint32_t nexports, nelems, ndatas, ncustoms;
    uint32_t nfunc_imports, ntable_imports, nmem_imports, nglobal_imports;

    FuncType *types;
    Import   *imports;
    Func     *funcs;
    TableType *tables;
    Limits   *mems;
    Global   *globals;
    Export   *exports;
    Elem     *elems;
    Data     *datas;
    Custom   *customs;

    bool     has_start;
    uint32_t start;
    bool     has_datacount;
    uint32_t datacount;
    /* offset of the code section's content (its body count), 0 if none:
     * wasm DWARF code addresses count from it */
    uint64_t code_start;

    /* `name` section (ignored if malformed, as the spec allows) */
    Name       module_name;
    uint32_t   nfunc_names;
    NameEntry *func_names;      /* sorted by idx */
    uint32_t   nlocal_names;
    LocalNames *local_names;    /* sorted by func */
} Module;

/* decode.c: decodes and validates bytes (copied) into a new Module. On
 * failure returns false, *out stays NULL and err says where and why. */
bool moatD_module(const uint8_t *bytes, size_t len, Module **out,
                  moat_error *err);
void moatD_module_free(Module *m);

/* Names from the name section, or NULL. */
const Name *moatD_func_name(const Module *m, uint32_t idx);
const Name *moatD_local_name(const Module *m, uint32_t func, uint32_t local);

const char *moatD_valtype_text(uint8_t t);
const char *moatD_extern_text(uint8_t kind);

#endif
