/* rt_fake.h - modules written in C for the runtime tests: a descriptor
 * built by hand (Fake) whose "compiled code" is C functions of the native
 * signature results fn(void *ctx, params...), marked WASM so that they sit
 * in one section the fault handler is told is compiled code.
 */
#ifndef MOAT_TEST_RT_FAKE_H
#define MOAT_TEST_RT_FAKE_H

#include <stdint.h>

#include "runtime.h"

#define WASM __attribute__((section("moat_test_code"), noinline, used))
#define LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Short names for abi.h's kinds. */
enum {
    K_FUNC = MOAT_DESC_EXT_FUNC, K_TABLE = MOAT_DESC_EXT_TABLE,
    K_MEMORY = MOAT_DESC_EXT_MEMORY, K_GLOBAL = MOAT_DESC_EXT_GLOBAL
};
enum {
    C_I32 = MOAT_DESC_CONST_I32, C_I64 = MOAT_DESC_CONST_I64,
    C_F32 = MOAT_DESC_CONST_F32, C_F64 = MOAT_DESC_CONST_F64,
    C_V128 = MOAT_DESC_CONST_V128, C_NULL = MOAT_DESC_CONST_REF_NULL,
    C_FUNC = MOAT_DESC_CONST_REF_FUNC, C_GLOBAL = MOAT_DESC_CONST_GLOBAL_GET
};
enum {
    S_ACTIVE = MOAT_DESC_SEG_ACTIVE, S_PASSIVE = MOAT_DESC_SEG_PASSIVE,
    S_DECLARATIVE = MOAT_DESC_SEG_DECLARATIVE
};
enum { FAKE_MAX = 16 };

typedef struct Fake {
    MoatDescriptor d;
    MoatDescType   types[FAKE_MAX];
    MoatDescFunc   funcs[FAKE_MAX];
    MoatDescImport imports[FAKE_MAX];
    MoatDescExport exports[FAKE_MAX];
    MoatDescGlobal globals[FAKE_MAX];
    MoatDescLimits tables[FAKE_MAX], mems[1];
    MoatDescElem   elems[FAKE_MAX];
    MoatDescData   datas[FAKE_MAX];
    MoatDescConst  items[FAKE_MAX][FAKE_MAX];
} Fake;

/* An empty module: right magic and version, default reservation. */
void     fake_init(Fake *f);
/* A type from a signature "params:results" in letters i I f F (i32 i64
 * f32 f64), e.g. "ii:i"; only the signatures fake.c has trampolines for. */
uint32_t fake_type(Fake *f, const char *sig);
/* A defined function of signature sig; code is its C function. */
uint32_t fake_func(Fake *f, const char *sig, void (*code)(void));
uint32_t fake_import_func(Fake *f, const char *mod, const char *name,
                          const char *sig);
void     fake_export(Fake *f, const char *name, uint64_t kind, uint64_t idx);
/* Limits; max UINT64_MAX: none. Memories: the module's own memory 0. */
uint32_t fake_table(Fake *f, uint8_t elem_type, uint64_t min, uint64_t max);
void     fake_memory(Fake *f, uint64_t min, uint64_t max);
uint32_t fake_import_table(Fake *f, const char *mod, const char *name,
                           uint8_t elem_type, uint64_t min, uint64_t max);
void     fake_import_memory(Fake *f, const char *mod, const char *name,
                            uint64_t min, uint64_t max);
uint32_t fake_global(Fake *f, uint8_t type, int is_mut, MoatDescConst init);
uint32_t fake_import_global(Fake *f, const char *mod, const char *name,
                            uint8_t type, int is_mut);
/* Segments; mode S_ACTIVE (at offset), S_PASSIVE, S_DECLARATIVE. Element
 * items are function indexes (UINT32_MAX: ref.null). */
uint32_t fake_elem(Fake *f, uint64_t mode, uint64_t table, uint32_t offset,
                   const uint32_t *funcs, uint32_t n);
uint32_t fake_data(Fake *f, uint64_t mode, uint32_t offset, const char *bytes,
                   uint32_t n);
MoatDescConst fake_i32(uint32_t v);

/* The module of f; fails the test on error. */
moat_module *fake_module(moat_engine *e, Fake *f);

/* Tells the fault handler that the WASM section is compiled code. */
void fake_register_code(void);

/* Function pointers as the void * of moat.h and back. */
void *fake_fn(void (*fn)(void));

/* Argument and result values. */
moat_val fake_val_i32(uint32_t v);
moat_val fake_val_i64(uint64_t v);

/* Asserts err is a trap with code t and the spec's text. */
void fake_assert_trap(const moat_error *err, moat_trap t);
/* Asserts st / err: code and a message starting with prefix. */
void fake_assert_err(moat_status st, const moat_error *err, moat_status code,
                     const char *prefix);

#endif
