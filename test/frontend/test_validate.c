/* test_validate.c - the function-body validator (valid_func.c, valid_ops.c)
 * per instruction class: numeric, control, calls, variables, select,
 * memory, SIMD lanes, references, tables, bulk memory; and the rule that a
 * module both invalid and malformed is malformed (validation 3.3, binary
 * 5.4). One table row per body; each row is its own cmocka test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "moat_compile.h"
#include "wbuf.h"

/* Opcodes and types, so that bodies read like the text format. */
#define UNREACHABLE 0x00
#define BLOCK 0x02
#define LOOP 0x03
#define IF 0x04
#define ELSE 0x05
#define END 0x0b
#define BR 0x0c
#define BR_IF 0x0d
#define BR_TABLE 0x0e
#define RETURN 0x0f
#define CALL 0x10
#define CALL_INDIRECT 0x11
#define DROP 0x1a
#define SELECT 0x1b
#define SELECT_T 0x1c
#define LOCAL_GET 0x20
#define LOCAL_SET 0x21
#define LOCAL_TEE 0x22
#define GLOBAL_GET 0x23
#define GLOBAL_SET 0x24
#define TABLE_GET 0x25
#define TABLE_SET 0x26
#define I32_LOAD 0x28
#define I64_LOAD8_S 0x30
#define I32_STORE 0x36
#define MEMORY_SIZE 0x3f
#define MEMORY_GROW 0x40
#define I32_CONST 0x41
#define I64_CONST 0x42
#define F32_CONST 0x43
#define F64_CONST 0x44
#define I32_EQZ 0x45
#define I32_ADD 0x6a
#define I64_ADD 0x7c
#define F32_ADD 0x92
#define F64_ADD 0xa0
#define I32_TRUNC_F32_S 0xa8
#define I64_EXTEND_I32_U 0xad
#define F64_PROMOTE_F32 0xbb
#define REF_NULL 0xd0
#define REF_IS_NULL 0xd1
#define REF_FUNC 0xd2
#define I32_TRUNC_SAT_F32_S 0xfc, 0x00
#define MEMORY_INIT 0xfc, 0x08
#define DATA_DROP 0xfc, 0x09
#define MEMORY_COPY 0xfc, 0x0a
#define MEMORY_FILL 0xfc, 0x0b
#define TABLE_INIT 0xfc, 0x0c
#define ELEM_DROP 0xfc, 0x0d
#define TABLE_COPY 0xfc, 0x0e
#define TABLE_GROW 0xfc, 0x0f
#define TABLE_SIZE 0xfc, 0x10
#define TABLE_FILL 0xfc, 0x11
#define V128_LOAD 0xfd, 0x00
#define V128_CONST 0xfd, 0x0c
#define I8X16_SHUFFLE 0xfd, 0x0d
#define I32X4_SPLAT 0xfd, 0x11
#define I8X16_EXTRACT_LANE_S 0xfd, 0x15
#define I64X2_REPLACE_LANE 0xfd, 0x1e
#define V128_LOAD8_LANE 0xfd, 0x54
#define V128_LOAD64_LANE 0xfd, 0x57
#define I8X16_ADD 0xfd, 0x6e
#define I32 0x7f
#define I64 0x7e
#define F32 0x7d
#define F64 0x7c
#define V128 0x7b
#define FUNCREF 0x70
#define EXTERNREF 0x6f
#define EMPTY 0x40
#define Z4 0, 0, 0, 0
#define Z8 Z4, Z4
#define Z16 Z8, Z8
#define V0 V128_CONST, Z16                      /* 18 bytes */
#define I0 I32_CONST, 0

/* The module around each body (build()):
 *   types  0 [] -> []          1 [] -> [i32]        2 [i32] -> [i32]
 *          3 [i32 i32] -> [i32]  4 [] -> [i32 i64]  5 [i32 i64] -> [i64 i32]
 *   funcs  0 the body (type row.type), locals i32 i64 f32 f64 v128 funcref
 *          externref after the params; 1 type 2; 2, 3 type 0
 *   tables 0 funcref, 1 externref; memory 0 (unless NO_MEM)
 *   globals 0 immutable i32, 1 mutable i64; export "f3" = func 3
 *   elems  0 passive funcref [func 2], 1 passive externref [null]
 *   data count (unless NO_DATACOUNT); data 0 passive "x" (unless NO_DATA)
 * So function 2 is declared through an element segment, 3 through an
 * export, and 0 and 1 not at all. */
enum {
    NO_MEM = 1, NO_DATACOUNT = 2, NO_DATA = 4,
    BAD_EXPORT = 8,             /* export of unknown function 9: invalid */
    BAD_DATA = 16,              /* data segment flags 3: malformed */
};

typedef struct Case {
    const char    *name;
    uint8_t        type, flags;
    const uint8_t *body;        /* instructions, the final end included */
    size_t         len;
    moat_status    code;        /* MOAT_OK: must validate */
    size_t         at;          /* error offset: in the body, or in the
                                 * data section's content with BAD_DATA */
    const char    *msg;         /* message prefix */
} Case;

#define B(...) (const uint8_t[]){ __VA_ARGS__ },                        \
               sizeof((const uint8_t[]){ __VA_ARGS__ })
#define OK MOAT_OK, 0, NULL
#define INV(at, msg) MOAT_ERR_INVALID, at, msg
#define MAL(at, msg) MOAT_ERR_MALFORMED, at, msg
#define TM "type mismatch"

static const Case cases[] = {
    /* ---- numeric: typed from opcodes.def ---- */
    { "i32.add", 0, 0, B(I0, I32_CONST, 2, I32_ADD, DROP, END), OK },
    { "operand of the wrong type", 0, 0,
      B(I32_CONST, 1, I64_CONST, 2, I32_ADD, DROP, END),
      INV(4, "type mismatch: needs i32, got i64") },
    { "operand missing", 0, 0, B(I32_ADD, DROP, END),
      INV(0, "type mismatch: needs i32, stack is empty") },
    { "all four number types", 0, 0,
      B(F32_CONST, Z4, F64_PROMOTE_F32, F64_CONST, Z8, F64_ADD, DROP, I0,
        I64_EXTEND_I32_U, I64_CONST, 0, I64_ADD, DROP, F32_CONST, Z4,
        I32_TRUNC_F32_S, F32_CONST, Z4, I32_TRUNC_SAT_F32_S, I32_ADD, DROP,
        END), OK },
    { "conversion of the wrong type", 0, 0,
      B(F64_CONST, Z8, I32_TRUNC_F32_S, DROP, END),
      INV(9, "type mismatch: needs f32, got f64") },
    { "value left at the end", 0, 0, B(I32_CONST, 1, END),
      INV(2, "type mismatch: 1 values left") },
    { "result missing", 1, 0, B(END), INV(0, TM) },
    { "vector ops", 0, 0, B(V0, V0, I8X16_ADD, DROP, I0, I32X4_SPLAT, DROP,
                            END), OK },
    { "splat of the wrong type", 0, 0, B(I64_CONST, 0, I32X4_SPLAT, DROP,
                                         END),
      INV(2, "type mismatch: needs i32, got i64") },
    { "first invalid error wins", 0, 0,
      B(I64_CONST, 0, I32_EQZ, DROP, F32_ADD, END), INV(2, TM) },

    /* ---- control ---- */
    { "block with a result", 0, 0, B(BLOCK, I32, I0, END, DROP, END), OK },
    { "multi-value block by type index", 0, 0,
      B(BLOCK, 4, I0, I64_CONST, 0, END, DROP, DROP, END), OK },
    { "block with params", 0, 0,
      B(I0, I64_CONST, 0, BLOCK, 5, DROP, DROP, I64_CONST, 0, I0, END, DROP,
        DROP, END), OK },
    { "block results in the wrong order", 0, 0,
      B(BLOCK, 4, I64_CONST, 0, I0, END, DROP, DROP, END),
      INV(6, "type mismatch: needs i64, got i32") },
    { "block params missing", 0, 0,
      B(BLOCK, 5, DROP, DROP, I64_CONST, 0, I0, END, DROP, DROP, END),
      INV(0, "type mismatch: needs i64, stack is empty") },
    { "unknown block type", 0, 0, B(BLOCK, 0xe3, 0x00, END, END),
      INV(0, "unknown type 99") },
    { "block type i32 in two bytes", 0, 0,
      B(BLOCK, 0xff, 0x7f, I0, END, DROP, END),
      MOAT_ERR_MALFORMED, 1, "malformed block type" },
    { "block type 0x40 in two bytes", 0, 0, B(BLOCK, 0xc0, 0x7f, END, END),
      MOAT_ERR_MALFORMED, 1, "malformed block type" },
    { "block type that is no value type", 0, 0, B(BLOCK, 0x60, END, END),
      MAL(1, "malformed block type") },
    { "loop label takes the params", 0, 0,
      B(I0, LOOP, 2, BR, 0, END, DROP, END), OK },
    { "br to a loop with the wrong type", 0, 0,
      B(I0, LOOP, 2, DROP, I64_CONST, 0, BR, 0, END, DROP, END),
      INV(7, "type mismatch: needs i32, got i64") },
    { "if else with a result", 0, 0,
      B(I32_CONST, 1, IF, I32, I32_CONST, 2, ELSE, I32_CONST, 3, END, DROP,
        END), OK },
    { "if without else changes the type", 0, 0,
      B(I32_CONST, 1, IF, I32, I32_CONST, 2, END, DROP, END),
      INV(6, "type mismatch: if without else") },
    { "if without else of type [i32] -> [i32]", 0, 0,
      B(I32_CONST, 1, I0, IF, 2, END, DROP, END), OK },
    { "if needs a condition", 0, 0, B(IF, EMPTY, END, END),
      INV(0, "type mismatch: needs i32, stack is empty") },
    { "else without if", 0, 0, B(BLOCK, EMPTY, ELSE, END, END),
      MAL(2, "END opcode expected") },
    { "br without the label's value", 0, 0,
      B(BLOCK, I32, BR, 0, END, DROP, END),
      INV(2, "type mismatch: needs i32, stack is empty") },
    { "br_if keeps the values", 0, 0,
      B(BLOCK, I32, I32_CONST, 1, I0, BR_IF, 0, END, DROP, END), OK },
    { "br_if without the label's value", 0, 0,
      B(BLOCK, I32, I0, BR_IF, 0, I32_CONST, 1, END, DROP, END),
      INV(4, "type mismatch: needs i32, stack is empty") },
    { "br_table", 0, 0,
      B(BLOCK, EMPTY, BLOCK, EMPTY, I0, BR_TABLE, 2, 0, 1, 1, END, END,
        END), OK },
    { "br_table arity mismatch", 0, 0,
      B(BLOCK, I32, BLOCK, EMPTY, I0, BR_TABLE, 1, 0, 1, END, I0, END, DROP,
        END),
      INV(6, "type mismatch: br_table target 0 takes 0 values, default "
             "takes 1") },
    { "unknown label", 0, 0, B(BR, 5, END), INV(0, "unknown label 5") },
    { "unreachable then i32.add", 0, 0, B(UNREACHABLE, I32_ADD, DROP, END),
      OK },
    { "unreachable then end with results", 4, 0, B(UNREACHABLE, END), OK },
    { "unreachable still types what it pushes", 0, 0,
      B(UNREACHABLE, I32_ADD, I64_ADD, DROP, END),
      INV(2, "type mismatch: needs i64, got i32") },
    { "code after br is unreachable", 0, 0,
      B(BLOCK, EMPTY, BR, 0, I32_ADD, DROP, END, END), OK },
    { "return of the wrong type", 1, 0, B(I64_CONST, 0, RETURN, END),
      INV(2, "type mismatch: needs i32, got i64") },
    { "return then end", 1, 0, B(I32_CONST, 1, RETURN, END), OK },

    /* ---- calls ---- */
    { "call", 0, 0, B(I32_CONST, 1, CALL, 1, DROP, END), OK },
    { "call without its argument", 0, 0, B(CALL, 1, DROP, END),
      INV(0, "type mismatch: needs i32, stack is empty") },
    { "call of an unknown function", 0, 0, B(CALL, 9, END),
      INV(0, "unknown function 9") },
    { "call_indirect", 0, 0,
      B(I32_CONST, 1, I0, CALL_INDIRECT, 2, 0, DROP, END), OK },
    { "call_indirect through externref", 0, 0,
      B(I32_CONST, 1, I0, CALL_INDIRECT, 2, 1, DROP, END),
      INV(4, "type mismatch: call_indirect through a table of externref") },
    { "call_indirect unknown table", 0, 0,
      B(I32_CONST, 1, I0, CALL_INDIRECT, 2, 5, DROP, END),
      INV(4, "unknown table 5") },
    { "call_indirect unknown type", 0, 0,
      B(I32_CONST, 1, I0, CALL_INDIRECT, 99, 0, DROP, END),
      INV(4, "unknown type 99") },

    /* ---- locals and globals ---- */
    { "locals of every type", 0, 0,
      B(LOCAL_GET, 0, LOCAL_SET, 0, LOCAL_GET, 4, LOCAL_TEE, 4, DROP,
        LOCAL_GET, 6, DROP, END), OK },
    { "params come first", 2, 0, B(LOCAL_GET, 0, LOCAL_GET, 1, I32_ADD,
                                   LOCAL_GET, 7, DROP, END), OK },
    { "local.set of the wrong type", 0, 0, B(I64_CONST, 0, LOCAL_SET, 0,
                                             END),
      INV(2, "type mismatch: needs i32, got i64") },
    { "unknown local", 0, 0, B(LOCAL_GET, 7, DROP, END),
      INV(0, "unknown local 7") },
    { "globals", 0, 0, B(GLOBAL_GET, 0, DROP, I64_CONST, 1, GLOBAL_SET, 1,
                         END), OK },
    { "global.set of an immutable global", 0, 0,
      B(I32_CONST, 1, GLOBAL_SET, 0, END), INV(2, "global is immutable") },
    { "unknown global", 0, 0, B(GLOBAL_GET, 9, DROP, END),
      INV(0, "unknown global 9") },

    /* ---- select ---- */
    { "select", 0, 0, B(I32_CONST, 1, I32_CONST, 2, I0, SELECT, DROP, END),
      OK },
    { "untyped select of references", 0, 0,
      B(REF_NULL, FUNCREF, REF_NULL, FUNCREF, I0, SELECT, DROP, END),
      INV(6, "type mismatch: select without a type") },
    { "typed select of references", 0, 0,
      B(REF_NULL, FUNCREF, REF_NULL, FUNCREF, I0, SELECT_T, 1, FUNCREF,
        DROP, END), OK },
    { "typed select with two types", 0, 0,
      B(I32_CONST, 1, I32_CONST, 2, I0, SELECT_T, 2, I32, I32, DROP, END),
      INV(6, "invalid result arity") },
    { "select of different types", 0, 0,
      B(I32_CONST, 1, I64_CONST, 2, I0, SELECT, DROP, END),
      INV(6, "type mismatch: select of") },
    { "select in unreachable code", 0, 0, B(UNREACHABLE, SELECT, DROP, END),
      OK },

    /* ---- memory ---- */
    { "load and store", 0, 0,
      B(I0, I0, I32_STORE, 2, 0, I0, I32_LOAD, 2, 0, DROP, END), OK },
    { "alignment larger than natural", 0, 0,
      B(I0, I32_LOAD, 3, 0, DROP, END),
      INV(2, "alignment must not be larger than natural") },
    { "i64.load8_s alignment 2", 0, 0, B(I0, I64_LOAD8_S, 1, 0, DROP, END),
      INV(2, "alignment must not be larger than natural") },
    { "v128.load alignment 16, then 32", 0, 0,
      B(I0, V128_LOAD, 4, 0, DROP, I0, V128_LOAD, 5, 0, DROP, END),
      INV(9, "alignment must not be larger than natural") },
    { "v128.load8_lane alignment 2", 0, 0,
      B(I0, V0, V128_LOAD8_LANE, 1, 0, 0, DROP, END),
      INV(20, "alignment must not be larger than natural") },
    { "alignment exponent 32", 0, 0, B(I0, I32_LOAD, 32, 0, DROP, END),
      MAL(3, "malformed memop flags") },
    { "load without memory", 0, NO_MEM, B(I0, I32_LOAD, 2, 0, DROP, END),
      INV(2, "unknown memory") },
    { "memory.size without memory", 0, NO_MEM, B(MEMORY_SIZE, 0, DROP, END),
      INV(0, "unknown memory") },
    { "memory.grow", 0, 0, B(I32_CONST, 1, MEMORY_GROW, 0, DROP, END), OK },
    { "memory.size reserved byte", 0, 0, B(MEMORY_SIZE, 1, DROP, END),
      MAL(1, "zero byte expected") },

    /* ---- vector lanes ---- */
    { "extract lane 15 of 16", 0, 0,
      B(V0, I8X16_EXTRACT_LANE_S, 15, DROP, END), OK },
    { "extract lane 16 of 16", 0, 0,
      B(V0, I8X16_EXTRACT_LANE_S, 16, DROP, END),
      INV(18, "invalid lane index 16") },
    { "replace lane 2 of 2", 0, 0,
      B(V0, I64_CONST, 0, I64X2_REPLACE_LANE, 2, DROP, END),
      INV(20, "invalid lane index 2") },
    { "load64_lane lane 2", 0, 0,
      B(I0, V0, V128_LOAD64_LANE, 3, 0, 2, DROP, END),
      INV(20, "invalid lane index 2") },
    { "shuffle lane 31", 0, 0,
      B(V0, V0, I8X16_SHUFFLE, Z8, Z4, 0, 0, 0, 31, DROP, END), OK },
    { "shuffle lane 32", 0, 0,
      B(V0, V0, I8X16_SHUFFLE, Z8, Z4, 0, 0, 0, 32, DROP, END),
      INV(36, "invalid lane index 32") },

    /* ---- references ---- */
    { "ref.func declared by an element segment", 0, 0,
      B(REF_FUNC, 2, DROP, END), OK },
    { "ref.func declared by an export", 0, 0, B(REF_FUNC, 3, DROP, END),
      OK },
    { "ref.func undeclared", 0, 0, B(REF_FUNC, 1, DROP, END),
      INV(0, "undeclared function reference") },
    { "ref.func unknown", 0, 0, B(REF_FUNC, 9, DROP, END),
      INV(0, "unknown function 9") },
    { "ref.is_null of i32", 0, 0, B(I0, REF_IS_NULL, DROP, END),
      INV(2, TM) },
    { "ref.null extern", 0, 0, B(REF_NULL, EXTERNREF, REF_IS_NULL, DROP,
                                 END), OK },
    { "ref.null of a number type", 0, 0, B(REF_NULL, I32, DROP, END),
      MAL(1, "malformed reference type") },

    /* ---- tables ---- */
    { "table.get and set", 0, 0,
      B(I0, I0, TABLE_GET, 0, TABLE_SET, 0, END), OK },
    { "table.set of the wrong type", 0, 0,
      B(I0, REF_NULL, EXTERNREF, TABLE_SET, 0, END),
      INV(4, "type mismatch: needs funcref, got externref") },
    { "table.copy", 0, 0, B(I0, I0, I0, TABLE_COPY, 1, 1, END), OK },
    { "table.copy between types", 0, 0,
      B(I0, I0, I0, TABLE_COPY, 0, 1, END),
      INV(6, "type mismatch: table.copy") },
    { "table.init and elem.drop", 0, 0,
      B(I0, I0, I0, TABLE_INIT, 0, 0, ELEM_DROP, 1, END), OK },
    { "table.init unknown elem", 0, 0,
      B(I0, I0, I0, TABLE_INIT, 5, 0, END),
      INV(6, "unknown elem segment 5") },
    { "table.init of externref into funcref", 0, 0,
      B(I0, I0, I0, TABLE_INIT, 1, 0, END),
      INV(6, "type mismatch: table.init") },
    { "elem.drop unknown", 0, 0, B(ELEM_DROP, 2, END),
      INV(0, "unknown elem segment 2") },
    { "table.grow, size and fill", 0, 0,
      B(REF_NULL, EXTERNREF, I32_CONST, 1, TABLE_GROW, 1, DROP, TABLE_SIZE,
        1, DROP, I0, REF_NULL, EXTERNREF, I32_CONST, 1, TABLE_FILL, 1, END),
      OK },

    /* ---- bulk memory and the data count section ---- */
    { "memory.init and data.drop", 0, 0,
      B(I0, I0, I0, MEMORY_INIT, 0, 0, DATA_DROP, 0, END), OK },
    { "memory.init unknown segment", 0, 0,
      B(I0, I0, I0, MEMORY_INIT, 1, 0, END),
      INV(6, "unknown data segment 1") },
    { "memory.init without data count", 0, NO_DATACOUNT,
      B(I0, I0, I0, MEMORY_INIT, 0, 0, END),
      MAL(6, "data count section required") },
    { "data.drop without data count or data", 0, NO_DATACOUNT | NO_DATA,
      B(DATA_DROP, 0, END), INV(0, "unknown data segment 0") },
    { "memory.copy and fill", 0, 0,
      B(I0, I0, I0, MEMORY_COPY, 0, 0, I0, I0, I0, MEMORY_FILL, 0, END),
      OK },
    { "memory.copy without memory", 0, NO_MEM,
      B(I0, I0, I0, MEMORY_COPY, 0, 0, END), INV(6, "unknown memory") },
    { "memory.init reserved byte", 0, 0,
      B(I0, I0, I0, MEMORY_INIT, 0, 1, END), MAL(9, "zero byte expected") },

    /* ---- invalid early, malformed later: malformed ---- */
    { "invalid, then an illegal opcode", 0, 0, B(I32_ADD, DROP, 0xff, END),
      MAL(2, "illegal opcode") },
    { "invalid, then else without if", 0, 0,
      B(I32_ADD, DROP, BLOCK, EMPTY, ELSE, END, END),
      MAL(4, "END opcode expected") },
    { "invalid, then the body ends early", 0, 0, B(I32_ADD, DROP),
      MAL(2, "unexpected end") },
    { "invalid, then a malformed data section", 0, BAD_DATA,
      B(I32_ADD, DROP, END), MAL(1, "malformed data segment kind") },
    { "invalid, then memory.init without data count", 0, NO_DATACOUNT,
      B(I32_ADD, DROP, I0, I0, I0, MEMORY_INIT, 0, 0, END),
      MOAT_ERR_MALFORMED, 8, "data count section required" },
    { "invalid export, then memory.init without data count", 0,
      NO_DATACOUNT | BAD_EXPORT, B(I0, I0, I0, MEMORY_INIT, 0, 0, END),
      MOAT_ERR_MALFORMED, 6, "data count section required" },
};

typedef struct Built {
    size_t body;                /* offset of function 0's first instruction */
    size_t data;                /* offset of the data section's content */
} Built;

static size_t
code_section(Buf *b, const Case *c)
{
    Buf code = { 0 };
    moatT_u32(&code, 4);
    moatT_u32(&code, (uint32_t)(15 + c->len));
    BYTES(&code, 0x07, 1, I32, 1, I64, 1, F32, 1, F64, 1, V128, 1, FUNCREF,
          1, EXTERNREF);
    size_t at = code.len;
    moatT_bytes(&code, c->body, c->len);
    BYTES(&code, 0x04, 0x00, LOCAL_GET, 0, END, 0x02, 0x00, END, 0x02, 0x00,
          END);
    at += moatT_section(b, S_CODE, &code);
    moatT_free(&code);
    return at;
}

static Built
build(Buf *b, const Case *c)
{
    Built   at = { 0, 0 };
    uint8_t ndata = (c->flags & NO_DATA) ? 0 : 1;

    moatT_header(b);
    SEC(b, S_TYPE, 0x06, 0x60, 0, 0, 0x60, 0, 1, I32, 0x60, 1, I32, 1, I32,
        0x60, 2, I32, I32, 1, I32, 0x60, 0, 2, I32, I64,
        0x60, 2, I32, I64, 2, I64, I32);
    moatT_sec(b, S_FUNC, (const uint8_t[]){ 4, c->type, 2, 0, 0 }, 5);
    SEC(b, S_TABLE, 2, FUNCREF, 0, 1, EXTERNREF, 0, 1);
    if (!(c->flags & NO_MEM))
        SEC(b, S_MEM, 1, 0, 1);
    SEC(b, S_GLOBAL, 2, I32, 0, I0, END, I64, 1, I64_CONST, 0, END);
    SEC(b, S_EXPORT, 1, 2, 'f', '3', 0, (c->flags & BAD_EXPORT) ? 9 : 3);
    SEC(b, S_ELEM, 2, 0x01, 0x00, 1, 2, 0x05, EXTERNREF, 1, REF_NULL,
        EXTERNREF, END);
    if (!(c->flags & NO_DATACOUNT))
        moatT_sec(b, S_DATACOUNT, &ndata, 1);
    at.body = code_section(b, c);
    if (ndata)
        at.data = SEC(b, S_DATA, 1, (c->flags & BAD_DATA) ? 3 : 1, 1, 'x');
    return at;
}

static void
run_case(void **state)
{
    const Case *c = *state;
    Buf         b = { 0 };
    Built       at = build(&b, c);
    moat_error  err = { 0 };

    moat_status st = moat_wasm_validate(b.p, b.len, &err);
    moatT_free(&b);
    if (c->code == MOAT_OK) {
        if (st != MOAT_OK)
            fail_msg("rejected at %llu: %s", (unsigned long long)err.offset,
                     err.msg);
        return;
    }
    assert_int_equal(st, c->code);
    assert_error(err, c->code,
                 ((c->flags & BAD_DATA) ? at.data : at.body) + c->at, c->msg);
}

int
main(void)
{
    enum { N = sizeof cases / sizeof cases[0] };
    struct CMUnitTest tests[N];

    for (size_t i = 0; i < N; i++)
        tests[i] = (struct CMUnitTest){ .name = cases[i].name,
                                        .test_func = run_case,
                                        .initial_state = (void *)&cases[i] };
    return _cmocka_run_group_tests("validate", tests, N, NULL, NULL);
}
