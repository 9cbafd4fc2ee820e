/* impl_limits.h - Moat's implementation limits, in one table that every check
 * uses (docs/limits.md). The spec allows up to 2^32-1 of most things; a
 * compiler must bound what one module can make it do. These are the
 * limits the web engines agreed on (V8 src/wasm/wasm-limits.h, the JS API
 * "Implementation-defined limits"), so a module that runs in a browser is
 * never refused here. Exceeding one is MOAT_ERR_LIMIT with the limit's
 * name and the value, at the offset of the count or size that crossed it.
 */
#ifndef MOAT_FRONTEND_IMPL_LIMITS_H
#define MOAT_FRONTEND_IMPL_LIMITS_H

/* X(enum name, maximum, what is counted) */
#define MOAT_LIMIT_TABLE(X)                                                  \
    X(LIM_MODULE_SIZE, 1073741824u, "bytes in a module")                     \
    X(LIM_TYPES, 1000000u, "types")                                          \
    X(LIM_FUNCS, 1000000u, "functions (imported and defined)")               \
    X(LIM_IMPORTS, 100000u, "imports")                                       \
    X(LIM_EXPORTS, 100000u, "exports")                                       \
    X(LIM_GLOBALS, 1000000u, "globals (imported and defined)")               \
    X(LIM_DATA_SEGMENTS, 100000u, "data segments")                           \
    X(LIM_ELEM_SEGMENTS, 10000000u, "element segments")                      \
    X(LIM_ELEM_ENTRIES, 10000000u, "entries in an element segment")          \
    X(LIM_TABLES, 100000u, "tables (imported and defined)")                  \
    X(LIM_TABLE_SIZE, 10000000u, "elements of a table's initial size")       \
    X(LIM_PARAMS, 1000u, "parameters of a function type")                    \
    X(LIM_RESULTS, 1000u, "results of a function type")                      \
    X(LIM_LOCALS, 50000u, "locals of a function (parameters included)")      \
    X(LIM_BODY_SIZE, 7654321u, "bytes in a function body")                   \
    X(LIM_BR_TABLE, 65520u, "br_table targets")                             \
    X(LIM_CONST_OPS, 256u, "instructions in a constant expression")

typedef enum Limit {
#define LIMIT_ENUM(name, max, what) name,
    MOAT_LIMIT_TABLE(LIMIT_ENUM)
#undef LIMIT_ENUM
    NLIMITS
} Limit;

/* The maxima as constants, for sizes and static checks: LIM_TYPES_MAX... */
enum {
#define LIMIT_MAX(name, max, what) name##_MAX = max,
    MOAT_LIMIT_TABLE(LIMIT_MAX)
#undef LIMIT_MAX
};

/* Memory pages: a validation rule of the spec (3.2.1), not ours. */
#define MAX_PAGES 65536u
/* Table limits are u32 in wasm 2.0; a declared maximum above
 * LIM_TABLE_SIZE is allowed (V8 too): growth stops at the engine's cap. */
#define MAX_TABLE 0xffffffffu

#endif
