/* test_dispatch.c - the lowering dispatch table against opcodes.def:
 * every instruction the decoder and validator accept has a handler, the
 * handler the dispatcher (llvm-lower/func.c) holds for an op is the one
 * the op's row names in its `lower` column, and every instruction, each in
 * a function of its own, lowers to IR that LLVM's verifier accepts.
 * The compile-time half (a row names a LowerFn, never NULL) is a
 * _Static_assert per row in func.c, repeated here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lower.h"
#include "moat_compile.h"
#include "wbuf.h"

/* This test's own reading of the column, by the same X-macro. */
#define OP(name, prefix, code, text, imm, a, b, c, r, n, lower) \
    _Static_assert(_Generic(&(lower), LowerFn: 1, default: 0), \
                   "opcodes.def: " #name ": " #lower " is not a LowerFn");
#include "../../frontend/opcodes.def"
#undef OP

static const LowerFn column[NOP_COUNT] = {
#define OP(name, prefix, code, text, imm, a, b, c, r, n, lower) \
    [OP_##name] = lower,
#include "../../frontend/opcodes.def"
#undef OP
};

static const char *const column_name[NOP_COUNT] = {
#define OP(name, prefix, code, text, imm, a, b, c, r, n, lower) \
    [OP_##name] = #lower,
#include "../../frontend/opcodes.def"
#undef OP
};

/* Every encoding the decoder knows (all 2^8 codes of each prefix; no
 * instruction of wasm 2.0 has a prefixed code above 255) maps to an op
 * with a handler, and every op is reached by exactly one encoding. */
static void
test_every_encoding_has_a_handler(void **state)
{
    static const uint8_t prefixes[4] = { 0, 0xfc, 0xfd, 0xfe };
    unsigned seen[NOP_COUNT] = { 0 };
    unsigned nenc = 0, nnull = 0;

    (void)state;
    for (int p = 0; p < 4; p++) {
        for (uint32_t code = 0; code < 1024; code++) {
            int op = moatD_op_lookup(prefixes[p], code);
            if (op < 0)
                continue;
            assert_true(code < 256);
            assert_int_equal(moatD_ops[op].prefix, prefixes[p]);
            assert_int_equal(moatD_ops[op].code, code);
            seen[op]++;
            nenc++;
            if (!moatL_ops_table[op]) {
                print_error("%s (0x%02x 0x%02x): no handler\n",
                            moatD_op_text(op), prefixes[p], code);
                nnull++;
            }
        }
    }
    assert_int_equal(nnull, 0);
    assert_int_equal(nenc, NOP_COUNT);
    for (int op = 0; op < NOP_COUNT; op++)
        assert_int_equal(seen[op], 1);
}

/* The dispatcher's table is the column, entry by entry. */
static void
test_dispatch_is_the_column(void **state)
{
    unsigned nwrong = 0;

    (void)state;
    for (int op = 0; op < NOP_COUNT; op++) {
        assert_non_null(column[op]);
        if (moatL_ops_table[op] != column[op]) {
            print_error("%s: the dispatcher does not call %s, the handler "
                        "opcodes.def names\n", moatD_op_text(op),
                        column_name[op]);
            nwrong++;
        }
    }
    assert_int_equal(nwrong, 0);
}

/* ---- every instruction lowered, in a function of its own ---- */

/* Instructions whose operands opcodes.def does not give (control,
 * variables, references, tables, bulk memory): a body of type [] -> []
 * using them, the locals vector first, the final end included. The
 * module (below) has function 0 of type 0 = [] -> [], in table 0 and in
 * passive element segment 0, a mutable i32 global, a memory and passive
 * data segment 0. */
typedef struct Snippet {
    int            op;
    uint8_t        len;
    const uint8_t *body;
} Snippet;

#define B(...) sizeof((const uint8_t[]){ __VA_ARGS__ }), \
               (const uint8_t[]){ __VA_ARGS__ }
#define I0 0x41, 0x00                   /* i32.const 0 */
#define NULLREF 0xd0, 0x70              /* ref.null func */

static const Snippet snippets[] = {
    { OP_UNREACHABLE, B(0x00, 0x00, 0x0b) },
    { OP_NOP, B(0x00, 0x01, 0x0b) },
    { OP_BLOCK, B(0x00, 0x02, 0x40, 0x0b, 0x0b) },
    { OP_LOOP, B(0x00, 0x03, 0x40, 0x0b, 0x0b) },
    { OP_IF, B(0x00, I0, 0x04, 0x40, 0x0b, 0x0b) },
    { OP_ELSE, B(0x00, I0, 0x04, 0x40, 0x05, 0x0b, 0x0b) },
    { OP_END, B(0x00, 0x0b) },
    { OP_BR, B(0x00, 0x0c, 0x00, 0x0b) },
    { OP_BR_IF, B(0x00, I0, 0x0d, 0x00, 0x0b) },
    { OP_BR_TABLE, B(0x00, I0, 0x0e, 0x01, 0x00, 0x00, 0x0b) },
    { OP_RETURN, B(0x00, 0x0f, 0x0b) },
    { OP_CALL, B(0x00, 0x10, 0x00, 0x0b) },
    { OP_CALL_INDIRECT, B(0x00, I0, 0x11, 0x00, 0x00, 0x0b) },
    { OP_DROP, B(0x00, I0, 0x1a, 0x0b) },
    { OP_SELECT, B(0x00, I0, I0, I0, 0x1b, 0x1a, 0x0b) },
    { OP_SELECT_T, B(0x00, I0, I0, I0, 0x1c, 0x01, 0x7f, 0x1a, 0x0b) },
    { OP_LOCAL_GET, B(0x01, 0x01, 0x7f, 0x20, 0x00, 0x1a, 0x0b) },
    { OP_LOCAL_SET, B(0x01, 0x01, 0x7f, I0, 0x21, 0x00, 0x0b) },
    { OP_LOCAL_TEE, B(0x01, 0x01, 0x7f, I0, 0x22, 0x00, 0x1a, 0x0b) },
    { OP_GLOBAL_GET, B(0x00, 0x23, 0x00, 0x1a, 0x0b) },
    { OP_GLOBAL_SET, B(0x00, I0, 0x24, 0x00, 0x0b) },
    { OP_TABLE_GET, B(0x00, I0, 0x25, 0x00, 0x1a, 0x0b) },
    { OP_TABLE_SET, B(0x00, I0, NULLREF, 0x26, 0x00, 0x0b) },
    { OP_REF_NULL, B(0x00, NULLREF, 0x1a, 0x0b) },
    { OP_REF_IS_NULL, B(0x00, NULLREF, 0xd1, 0x1a, 0x0b) },
    { OP_REF_FUNC, B(0x00, 0xd2, 0x00, 0x1a, 0x0b) },
    { OP_MEMORY_INIT, B(0x00, I0, I0, I0, 0xfc, 0x08, 0x00, 0x00, 0x0b) },
    { OP_DATA_DROP, B(0x00, 0xfc, 0x09, 0x00, 0x0b) },
    { OP_MEMORY_COPY, B(0x00, I0, I0, I0, 0xfc, 0x0a, 0x00, 0x00, 0x0b) },
    { OP_MEMORY_FILL, B(0x00, I0, I0, I0, 0xfc, 0x0b, 0x00, 0x0b) },
    { OP_TABLE_INIT, B(0x00, I0, I0, I0, 0xfc, 0x0c, 0x00, 0x00, 0x0b) },
    { OP_ELEM_DROP, B(0x00, 0xfc, 0x0d, 0x00, 0x0b) },
    { OP_TABLE_COPY, B(0x00, I0, I0, I0, 0xfc, 0x0e, 0x00, 0x00, 0x0b) },
    { OP_TABLE_GROW, B(0x00, NULLREF, I0, 0xfc, 0x0f, 0x00, 0x1a, 0x0b) },
    { OP_TABLE_SIZE, B(0x00, 0xfc, 0x10, 0x00, 0x1a, 0x0b) },
    { OP_TABLE_FILL, B(0x00, I0, NULLREF, I0, 0xfc, 0x11, 0x00, 0x0b) },
    { OP_ATOMIC_FENCE, B(0x00, 0xfe, 0x03, 0x00, 0x0b) },
};

static const Snippet *
snippet(int op)
{
    for (size_t i = 0; i < sizeof snippets / sizeof snippets[0]; i++)
        if (snippets[i].op == op)
            return &snippets[i];
    return NULL;
}

/* The encoding of op's opcode. */
static void
opcode(Buf *b, int op)
{
    const OpInfo *oi = &moatD_ops[op];
    if (oi->prefix)
        moatT_byte(b, oi->prefix);
    moatT_u32(b, oi->code);
}

/* Zero-valued immediates that every instruction of the kind accepts:
 * alignment 1 (an atomic's natural one), offset 0, lane 0, shuffle
 * lanes 0-15, constants 0. */
static void
immediates(Buf *b, int op)
{
    switch (moatD_ops[op].imm) {
    case IMM_NONE: break;
    case IMM_MEMARG:                    /* atomics: exactly natural */
        moatT_byte(b, moatD_ops[op].prefix == 0xfe ? moatD_ops[op].n : 0);
        moatT_byte(b, 0x00);
        break;
    case IMM_MEMARG_LANE: BYTES(b, 0x00, 0x00, 0x00); break;
    case IMM_LANE: case IMM_MEMIDX: case IMM_I32: case IMM_I64:
        moatT_byte(b, 0x00);
        break;
    case IMM_F32: BYTES(b, 0, 0, 0, 0); break;
    case IMM_F64: BYTES(b, 0, 0, 0, 0, 0, 0, 0, 0); break;
    case IMM_V128: BYTES(b, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        break;
    case IMM_SHUFFLE:
        for (uint8_t i = 0; i < 16; i++)
            moatT_byte(b, i);
        break;
    default:
        fail_msg("%s: immediate kind %d has no generator",
                 moatD_op_text(op), moatD_ops[op].imm);
    }
}

/* A row typed by opcodes.def: type (params pop) -> (push); body
 * local.get of each param, the instruction, end. */
static void
typed(Buf *types, Buf *code, int op)
{
    const OpInfo *oi = &moatD_ops[op];
    uint8_t       np = 0;
    Buf           body = { 0 };

    while (np < 3 && oi->pop[np] != T__)
        np++;
    if (np == 0 && oi->push == T__)
        fail_msg("%s: no operand types in opcodes.def and no snippet",
                 oi->text);
    moatT_byte(types, 0x60);
    moatT_u32(types, np);
    moatT_bytes(types, oi->pop, np);
    moatT_u32(types, oi->push != T__);
    if (oi->push != T__)
        moatT_byte(types, oi->push);
    moatT_byte(&body, 0x00);                    /* no locals */
    for (uint8_t i = 0; i < np; i++)
        BYTES(&body, 0x20, i);
    opcode(&body, op);
    immediates(&body, op);
    moatT_byte(&body, 0x0b);
    moatT_u32(code, (uint32_t)body.len);
    moatT_bytes(code, body.p, body.len);
    moatT_free(&body);
}

/* Function 0 of type 0 = [] -> [] (empty), then function 1 + op for each
 * op: a snippet of type 0, or a type of its own (index 1 + op). */
static void
every_op_module(Buf *mod)
{
    Buf types = { 0 }, funcs = { 0 }, code = { 0 };

    moatT_u32(&types, 1 + NOP_COUNT);
    BYTES(&types, 0x60, 0x00, 0x00);
    moatT_u32(&funcs, 1 + NOP_COUNT);
    moatT_byte(&funcs, 0x00);
    moatT_u32(&code, 1 + NOP_COUNT);
    BYTES(&code, 0x02, 0x00, 0x0b);
    for (int op = 0; op < NOP_COUNT; op++) {
        const Snippet *s = snippet(op);
        if (s) {
            BYTES(&types, 0x60, 0x00, 0x00);    /* unused: keeps 1 + op */
            moatT_u32(&funcs, 0);
            moatT_u32(&code, s->len);
            moatT_bytes(&code, s->body, s->len);
        } else {
            moatT_u32(&funcs, 1 + (uint32_t)op);
            typed(&types, &code, op);
        }
    }
    moatT_header(mod);
    moatT_section(mod, S_TYPE, &types);
    moatT_section(mod, S_FUNC, &funcs);
    SEC(mod, S_TABLE, 0x01, 0x70, 0x00, 0x01);          /* funcref, min 1 */
    SEC(mod, S_MEM, 0x01, 0x00, 0x01);                  /* min 1 page */
    SEC(mod, S_GLOBAL, 0x01, 0x7f, 0x01, 0x41, 0x00, 0x0b);
    /* passive, elemkind funcref, [function 0] */
    SEC(mod, S_ELEM, 0x01, 0x01, 0x00, 0x01, 0x00);
    SEC(mod, S_DATACOUNT, 0x01);
    moatT_section(mod, S_CODE, &code);
    SEC(mod, S_DATA, 0x01, 0x01, 0x01, 'x');            /* passive */
    moatT_free(&types);
    moatT_free(&funcs);
    moatT_free(&code);
}

static void
test_every_op_lowers(void **state)
{
    Buf                  mod = { 0 };
    moat_compile_config *cfg = NULL;
    moat_error           err = { 0 };
    uint8_t             *out = NULL;
    size_t               len = 0;
    unsigned             nsnip = 0;

    (void)state;
    for (int op = 0; op < NOP_COUNT; op++)
        nsnip += snippet(op) != NULL;
    assert_int_equal(nsnip, sizeof snippets / sizeof snippets[0]);
    every_op_module(&mod);
    assert_int_equal(moat_wasm_validate(mod.p, mod.len, &err), MOAT_OK);
    assert_int_equal(moat_compile_config_new(&cfg, &err), MOAT_OK);
    moat_compile_config_set_opt_level(cfg, 0);
    moat_compile_config_set_threads(cfg, 1);
    moat_compile_config_set_output(cfg, MOAT_OUTPUT_LLVM_IR);
    moat_status st = moat_compile(cfg, mod.p, mod.len, &out, &len, &err);
    if (st != MOAT_OK)
        fail_msg("compile: %s", err.msg);
    /* every op's function is defined in the IR (dead code is not
     * lowered, but nothing here is dead before its instruction) */
    char *ir = malloc(len + 1);
    assert_non_null(ir);
    memcpy(ir, out, len);
    ir[len] = 0;
    for (int op = 0; op < NOP_COUNT; op++) {
        char name[48];
        snprintf(name, sizeof name, "@wasm_f%d(", 1 + op);
        if (!strstr(ir, name))
            fail_msg("%s: function %d not in the IR", moatD_op_text(op),
                     1 + op);
    }
    printf("%d instructions lowered and verified, %u of them by a "
           "snippet\n", NOP_COUNT, nsnip);
    free(ir);
    moat_free(out);
    moat_compile_config_free(cfg);
    moatT_free(&mod);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_encoding_has_a_handler),
        cmocka_unit_test(test_dispatch_is_the_column),
        cmocka_unit_test(test_every_op_lowers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
