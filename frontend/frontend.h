/* frontend.h - internal header of the front-end (decoder and validator).
 * Sectioned by file, like QBE's all.h. Other folders include module.h only.
 */
#ifndef MOAT_FRONTEND_H
#define MOAT_FRONTEND_H

#include "module.h"

#include "impl_limits.h"

/* read.c: a bounded cursor over the input, LEB128 and UTF-8 (binary 5.2). */
typedef struct Reader {
    const uint8_t *base;        /* start of the whole input: offsets */
    const uint8_t *p, *end;     /* end: of the section or body being read */
    const uint8_t *limit;       /* end of the whole input */
    bool           in_section;  /* end is a section's: words for errors */
    moat_error    *err;
} Reader;

Reader moatD_reader(const uint8_t *p, size_t len, moat_error *err);
uint64_t moatD_off(const Reader *r);
bool moatD_eof(const Reader *r);
bool moatD_byte(Reader *r, uint8_t *out);
bool moatD_bytes(Reader *r, size_t n, const uint8_t **out);
bool moatD_u32(Reader *r, uint32_t *out);
bool moatD_s32(Reader *r, int32_t *out);
bool moatD_s33(Reader *r, int64_t *out);
bool moatD_s64(Reader *r, int64_t *out);
bool moatD_f32(Reader *r, uint32_t *out);
bool moatD_f64(Reader *r, uint64_t *out);
bool moatD_name(Reader *r, Name *out);
bool moatD_utf8_valid(const uint8_t *s, size_t len);
/* A count of items each at least min_size bytes: fails with "unexpected end"
 * (or "length out of bounds") before anything is allocated for them. */
bool moatD_count(Reader *r, size_t min_size, uint32_t *out);
bool moatD_malformed(Reader *r, uint64_t off, const char *fmt, ...)
    MOAT_PRINTF(3, 4);

/* limits.c: true when value is within limit l (impl_limits.h); else fails with
 * MOAT_ERR_LIMIT at off: "N WHAT, more than the limit of MAX". */
bool moatD_limit(Reader *r, uint64_t off, Limit l, uint64_t value);

/* opcodes.def / opcodes.c: one table drives decoding and typing. */
typedef enum Imm {
    IMM_NONE,
    IMM_BLOCKTYPE,      /* block, loop, if: s33 block type */
    IMM_LABEL,          /* br, br_if: u32 label */
    IMM_BR_TABLE,       /* vec(u32) labels, default u32 */
    IMM_FUNC,           /* call, ref.func: u32 funcidx */
    IMM_CALL_INDIRECT,  /* u32 typeidx, u32 tableidx */
    IMM_LOCAL,          /* u32 localidx */
    IMM_GLOBAL,         /* u32 globalidx */
    IMM_MEMARG,         /* u32 align, u32 offset */
    IMM_MEMIDX,         /* memory.size/grow/fill: one byte 0x00 */
    IMM_I32,            /* s32 */
    IMM_I64,            /* s64 */
    IMM_F32,            /* 4 bytes */
    IMM_F64,            /* 8 bytes */
    IMM_V128,           /* 16 bytes */
    IMM_SHUFFLE,        /* 16 lane bytes, each < 32 */
    IMM_LANE,           /* one lane byte, < lanes column */
    IMM_MEMARG_LANE,    /* memarg, then one lane byte */
    IMM_SELECT_T,       /* vec(valtype), length must be 1 */
    IMM_REFTYPE,        /* ref.null: one reftype byte */
    IMM_TABLE,          /* u32 tableidx */
    IMM_TABLE_COPY,     /* u32 dst tableidx, u32 src tableidx */
    IMM_TABLE_INIT,     /* u32 elemidx, u32 tableidx */
    IMM_ELEM,           /* u32 elemidx */
    IMM_MEMORY_INIT,    /* u32 dataidx, byte 0x00 */
    IMM_DATA,           /* u32 dataidx */
    IMM_MEMORY_COPY,    /* bytes 0x00 0x00 */
} Imm;

typedef enum Op {
#define OP(name, prefix, code, text, imm, a, b, c, r, n, lower) OP_##name,
#include "opcodes.def"
#undef OP
    NOP_COUNT
} Op;

/* Operand type "_" in opcodes.def: none. */
enum { T__ = 0 };

typedef struct OpInfo {
    const char *text;
    uint8_t     prefix;         /* 0, 0xfc, 0xfd or 0xfe */
    uint32_t    code;
    uint8_t     imm;            /* Imm */
    uint8_t     pop[3];         /* deepest first; T__ = none */
    uint8_t     push;           /* T__ = none */
    uint8_t     n;              /* log2 natural alignment, or lane count */
} OpInfo;

extern const OpInfo moatD_ops[NOP_COUNT];
/* Op for an encoding, or -1 when the encoding is not an instruction. */
int moatD_op_lookup(uint8_t prefix, uint32_t code);
const char *moatD_op_text(int op);

/* future.c: the WebAssembly 3.0 feature an encoding Moat does not
 * implement belongs to (future.def), for error messages. */
typedef enum FutureKind {
    FUTURE_VALTYPE, FUTURE_TYPEFORM, FUTURE_SECTION, FUTURE_EXTERN
} FutureKind;
/* true when (prefix, code) is such an instruction: *feature names the
 * feature, *text the instruction (NULL inside a range without names). */
bool moatD_future_op(uint8_t prefix, uint32_t code, const char **text,
                     const char **feature);
/* The feature of byte where kind appears, or NULL; *text names it. */
const char *moatD_future_byte(FutureKind kind, uint8_t byte,
                              const char **text);
/* The feature of a limits flag past 2.0's 0 and 1, or NULL. */
const char *moatD_future_limits(uint8_t flag);
/* sec_types.c: false, after a malformed error for type byte t of what
 * ("value", "reference"), naming its 3.0 feature if it has one. */
bool moatD_future_type(Reader *r, uint64_t at, const char *what, uint8_t t);

/* insn.c: one instruction, decoded but not validated. */
typedef enum BlockKind { BT_EMPTY, BT_VALTYPE, BT_TYPEIDX } BlockKind;

typedef struct Insn {
    int            op;
    uint64_t       off;         /* of the opcode in the input */
    uint32_t       a, b;        /* index immediates, in encoding order;
                                 * memarg: a = align, b = offset;
                                 * blocktype: a = valtype or type index;
                                 * br_table: a = default, b = count;
                                 * select t: a = first type, b = count */
    uint8_t        bt_kind;     /* BlockKind */
    uint8_t        lane;
    uint64_t       bits;        /* i32/i64/f32/f64 constant bits */
    const uint8_t *bytes;       /* v128.const and shuffle: 16 bytes */
    const uint8_t *targets;     /* br_table: the label vector */
} Insn;

bool moatD_insn(Reader *r, Insn *in);

/* decode.c drives the sections (sec_*.c). A malformed input stops decoding
 * at once (r->err). A validation failure is recorded in `inv` and decoding
 * goes on, since the spec decodes the whole module before it validates:
 * a module that is both invalid and malformed is malformed. Once `inv` is
 * set, later checks only decode. */
typedef struct Decode {
    Reader     *r;
    Module     *m;
    moat_error  inv;
    uint32_t    nfunc_decls;    /* functions declared by the function section */
    uint8_t    *declared_refs;  /* C.refs: one byte per function (ref.func) */
    /* memory.init / data.drop without a data count section: judged once
     * the data section is known (decode.c, check_data_uses) */
    bool        uses_data;
    uint32_t    max_data_use;
    uint64_t    data_use_off;
    /* validator scratch, reused by every body (valid_func.c) */
    uint8_t    *opd;
    uint32_t    nopd, capopd;
    void       *ctrl;
    uint32_t    nctrl, capctrl;
    uint8_t    *locals;
    uint32_t    caplocals;
} Decode;

void moatD_invalid(Decode *d, uint64_t off, const char *fmt, ...)
    MOAT_PRINTF(3, 4);
bool moatD_is_dead(const Decode *d);
bool moatD_nomem(Decode *d);
bool moatD_declare_ref(Decode *d, uint32_t func);     /* adds to C.refs */
void *moatD_array(Decode *d, size_t n, size_t size);   /* arena, zeroed */

bool moatD_sec_type(Decode *d);
bool moatD_sec_import(Decode *d);
bool moatD_sec_function(Decode *d);
bool moatD_sec_table(Decode *d);
bool moatD_sec_memory(Decode *d);
bool moatD_sec_global(Decode *d);
bool moatD_sec_export(Decode *d);
bool moatD_sec_start(Decode *d);
bool moatD_sec_elem(Decode *d);
bool moatD_sec_datacount(Decode *d);
bool moatD_sec_code(Decode *d);
bool moatD_sec_data(Decode *d);
bool moatD_sec_custom(Decode *d, Name name, uint64_t off, uint32_t size);

/* sec_types.c: shared pieces of several sections. */
bool moatD_valtype(Reader *r, uint8_t *out);
bool moatD_reftype(Reader *r, uint8_t *out);
bool moatD_is_valtype(uint8_t t);
bool moatD_limits(Decode *d, Limits *out, uint64_t bound, const char *what);
bool moatD_tabletype(Decode *d, TableType *out);
bool moatD_globaltype(Reader *r, GlobalType *out);
bool moatD_is_num_or_vec(uint8_t t);
bool moatD_is_ref(uint8_t t);
/* Decodes a constant expression and checks it against want (T_ANY: any
 * type); nglobals = globals visible to it (imports only, in wasm 2.0). */
bool moatD_const_expr(Decode *d, ConstExpr *out, uint8_t want,
                      uint32_t nglobals);

/* valid_func.c: validates one function body (spec 3.3, appendix A.3). */
bool moatV_func(Decode *d, uint32_t func_idx);

#endif
