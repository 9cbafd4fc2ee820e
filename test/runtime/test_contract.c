/* test_contract.c - contract.c: descriptors the runtime must refuse
 * (magic, ABI version, flags, counts, NULL arrays, indexes out of range,
 * bad constants, a heap it cannot provide) and the CPU check (features
 * this host lacks, ones nobody can check, CPU names).
 */
#include <cpuid.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "rt_fake.h"

WASM static void nop(void *ctx) { (void)ctx; }

/* A valid module using every part of the descriptor. */
static void
good(Fake *f)
{
    fake_init(f);
    fake_import_func(f, "env", "f", "i:i");
    fake_import_global(f, "env", "g", MOAT_I32, 0);
    fake_memory(f, 1, 2);
    fake_table(f, MOAT_FUNCREF, 1, 2);
    uint32_t fn = fake_func(f, ":", (void (*)(void))nop);
    fake_global(f, MOAT_I32, 1, (MoatDescConst){ C_GLOBAL, 0, 0, 0 });
    fake_export(f, "nop", K_FUNC, fn);
    uint32_t items[] = { fn, UINT32_MAX };
    fake_elem(f, S_ACTIVE, 0, 0, items, 2);
    fake_data(f, S_PASSIVE, 0, "x", 1);
    f->d.start = fn;
    f->d.cpu = "x86-64";
    f->d.features = "+sse2,+cx8,-avx512f";
}

static void
refuses(Fake *f, moat_status code, const char *prefix)
{
    moat_engine *e;
    moat_module *m = (moat_module *)1;
    moat_error   err = { 0 };

    assert_int_equal(moat_engine_new(&e, NULL), MOAT_OK);
    assert_false(moatR_module_from_desc(e, &f->d, &m, &err));
    assert_null(m);
    fake_assert_err(err.code, &err, code, prefix);
    moat_engine_free(e);
}

static void
a_good_descriptor_loads(void **state)
{
    Fake         f;
    moat_engine *e;

    (void)state;
    good(&f);
    assert_int_equal(moat_engine_new(&e, NULL), MOAT_OK);
    moat_module *m = fake_module(e, &f);
    assert_int_equal(m->layout.size,
                     (uint64_t)-moatA_layout(&(MoatLayoutIn){ 1, 2, 2, 1, 2 })
                         .funcrefs);
    assert_int_equal(m->nimp[0], 1);
    assert_int_equal(m->nimp[3], 1);
    moat_module_free(m);
    moat_engine_free(e);
}

/* The compiler makes trampolines only for types the host can call: the
 * imported function's type has none, and the module still loads. */
static void
unused_types_need_no_trampoline(void **state)
{
    Fake         f;
    moat_engine *e;

    (void)state;
    good(&f);
    f.types[f.funcs[0].type_idx].tramp = NULL;  /* the import's type */
    assert_int_equal(moat_engine_new(&e, NULL), MOAT_OK);
    moat_module_free(fake_module(e, &f));
    moat_engine_free(e);
}

typedef void (*Break)(Fake *f);

static void b_magic(Fake *f) { f->d.magic ^= 1; }
static void b_version(Fake *f) { f->d.abi_version++; }
static void b_flags(Fake *f) { f->d.flags |= 0x80; }
static void b_ctx_flag(Fake *f) { f->d.flags &= ~(uint64_t)1; }
static void b_count(Fake *f) { f->d.nelems = 2000000; }
static void b_mems(Fake *f) { f->d.nmems = 2; }
static void b_null(Fake *f) { f->d.datas = NULL; }
static void b_fimports(Fake *f) { f->d.nfunc_imports = 3; }
static void b_type_idx(Fake *f) { f->funcs[1].type_idx = 9; }
static void b_no_code(Fake *f) { f->funcs[1].code = NULL; }
/* Every type without a trampoline: the start function's and the
 * export's need one (the runtime calls them through it). */
static void
b_no_tramp(Fake *f)
{
    for (uint64_t i = 0; i < f->d.ntypes; i++)
        f->types[i].tramp = NULL;
}

static void
b_no_tramp_export(Fake *f)
{
    b_no_tramp(f);
    f->d.start = UINT64_MAX;
}
static void
b_valtype(Fake *f)
{
    static const uint8_t bad[] = { 0x40, MOAT_I32 };
    f->types[0].types = bad;
}

static void b_start(Fake *f) { f->d.start = 0; }   /* (i32) -> i32 */
static void b_start_oob(Fake *f) { f->d.start = 7; }
static void b_imp_kind(Fake *f) { f->imports[0].kind = 4; }
static void b_imp_idx(Fake *f) { f->imports[1].idx = 1; }
static void b_exp(Fake *f) { f->exports[0].idx = 2; }
static void b_gtype(Fake *f) { f->globals[1].type = 0x40; }
static void b_ginit(Fake *f) { f->globals[1].init.kind = C_I64; }
static void b_gget(Fake *f) { f->globals[1].init.idx = 1; }  /* itself */
static void b_gimp(Fake *f) { f->globals[1].is_import = 1; }

/* Extended constant expressions (MOAT_DESC_CONST_EXPR): a program in
 * global 1's initialiser, which must leave one i32. */
enum { C_EXPR = MOAT_DESC_CONST_EXPR };
static MoatDescConst prog[8];
static void
set_prog(Fake *f, const MoatDescConst *ops, uint64_t n)
{
    memcpy(prog, ops, n * sizeof *ops);
    MoatDescConst c = { C_EXPR, n, 0, 0 };
    const MoatDescConst *p = prog;
    memcpy(&c.lo, &p, sizeof p);
    f->globals[1].init = c;
}
#define ADD32 { MOAT_DESC_CONST_I32_ADD, 0, 0, 0 }
#define I32(v) { C_I32, 0, v, 0 }
static void b_prog_short(Fake *f)
{
    set_prog(f, (const MoatDescConst[]){ I32(1) }, 1);
}
static void b_prog_under(Fake *f)
{
    set_prog(f, (const MoatDescConst[]){ I32(1), ADD32 }, 2);
}
static void b_prog_type(Fake *f)
{
    set_prog(f, (const MoatDescConst[]){ I32(1), { C_I64, 0, 2, 0 }, ADD32 },
             3);
}
static void b_prog_two(Fake *f)
{
    set_prog(f, (const MoatDescConst[]){ I32(1), I32(2) }, 2);
}
static void b_prog_nest(Fake *f)
{
    set_prog(f, (const MoatDescConst[]){ I32(1), { C_EXPR, 2, 0, 0 }, ADD32 },
             3);
}
static void b_prog_self(Fake *f)       /* global.get of itself */
{
    set_prog(f, (const MoatDescConst[]){ { C_GLOBAL, 1, 0, 0 }, I32(1),
                                         ADD32 }, 3);
}
static void b_prog_null(Fake *f)
{
    set_prog(f, (const MoatDescConst[]){ I32(1), I32(2), ADD32 }, 3);
    f->globals[1].init.lo = 0;
}
static void b_prog_long(Fake *f)
{
    set_prog(f, (const MoatDescConst[]){ I32(1), I32(2), ADD32 }, 3);
    f->globals[1].init.idx = MOAT_DESC_CONST_MAX_OPS + 1;
}
static void b_table(Fake *f) { f->tables[0].elem_type = MOAT_I32; }
static void b_tmax(Fake *f) { f->tables[0].max = 0; }
static void b_emode(Fake *f) { f->elems[0].mode = 3; }
static void b_etable(Fake *f) { f->elems[0].table = 1; }
static void b_eitem(Fake *f) { f->items[0][0].idx = 9; }
static void b_eitem_kind(Fake *f) { f->items[0][1].kind = C_I32; }
static void b_eoffset(Fake *f) { f->elems[0].offset.kind = C_I64; }
static void b_dmode(Fake *f) { f->datas[0].mode = 2; }
static void b_dbytes(Fake *f) { f->datas[0].bytes.p = NULL; }
static void b_reserve(Fake *f) { f->d.heap_reserve = 12345; }
static void b_huge(Fake *f) { f->d.heap_guard = UINT64_C(1) << 40; }
static void
b_mmin(Fake *f)
{
    f->d.heap_reserve = MOAT_PAGE_SIZE;
    f->mems[0].min = 2;
}

static void b_mmax(Fake *f) { f->mems[0].max = 0; }

/* DWARF sections (abi.h, MoatDescSection) */
static MoatDescSection dwarf_sec[1];

static void
set_dwarf(Fake *f, const char *name, const uint8_t *p, uint64_t len)
{
    dwarf_sec[0] = (MoatDescSection){ { (const uint8_t *)name,
                                        strlen(name) }, { p, len } };
    f->d.ndebug = 1;
    f->d.debug = dwarf_sec;
}

static void b_dw_null(Fake *f) { f->d.ndebug = 1; }
static void
b_dw_count(Fake *f)
{
    set_dwarf(f, ".debug_info", NULL, 0);
    f->d.ndebug = MOAT_DESC_MAX_DEBUG + 1;
}
static void b_dw_name(Fake *f) { set_dwarf(f, "producers", NULL, 0); }
static void b_dw_bytes(Fake *f) { set_dwarf(f, ".debug_info", NULL, 10); }

/* A well-formed program in an initialiser: global.get of the import,
 * then a const, then i32.add, loads. */
static void
a_good_program_loads(void **state)
{
    Fake         f;
    moat_engine *e;

    (void)state;
    good(&f);
    set_prog(&f, (const MoatDescConst[]){ { C_GLOBAL, 0, 0, 0 }, I32(5),
                                          ADD32 }, 3);
    assert_int_equal(moat_engine_new(&e, NULL), MOAT_OK);
    moat_module_free(fake_module(e, &f));
    moat_engine_free(e);
}

static void
broken_descriptors_are_refused(void **state)
{
    static const struct {
        Break       brk;
        const char *msg;
    } cases[] = {
        { b_magic, "bad descriptor magic" },
        { b_version, "ABI version 8, runtime has 7" },
        { b_dw_null, "NULL array" },
        { b_dw_count, "more DWARF sections than the limit" },
        { b_dw_name, "bad DWARF section name" },
        { b_dw_bytes, "bad DWARF section" },
        { b_flags, "unknown descriptor flags" },
        { b_ctx_flag, "MEM_IS_CTX flag disagrees" },
        { b_count, "count beyond implementation limit" },
        { b_mems, "more than one memory" },
        { b_null, "NULL array" },
        { b_fimports, "more imported functions than functions" },
        { b_type_idx, "function type index out of range" },
        { b_no_code, "defined function without code" },
        { b_no_tramp, "start function type is not [] -> [] or has no "
                      "trampoline" },
        { b_no_tramp_export, "exported function without trampoline" },
        { b_valtype, "bad valtype in function type" },
        { b_start, "start function type is not [] -> []" },
        { b_start_oob, "start function out of range" },
        { b_imp_kind, "bad import kind" },
        { b_imp_idx, "import index out of order or range" },
        { b_exp, "export out of range" },
        { b_gtype, "bad global type" },
        { b_ginit, "bad global initialiser" },
        { b_gget, "bad global initialiser" },
        { b_gimp, "global import flag out of order" },
        { b_prog_short, "bad global initialiser" },
        { b_prog_under, "bad global initialiser" },
        { b_prog_type, "bad global initialiser" },
        { b_prog_two, "bad global initialiser" },
        { b_prog_nest, "bad global initialiser" },
        { b_prog_self, "bad global initialiser" },
        { b_prog_null, "bad global initialiser" },
        { b_prog_long, "bad global initialiser" },
        { b_table, "bad table type" },
        { b_tmax, "bad table type" },
        { b_emode, "bad element segment" },
        { b_etable, "bad active element segment" },
        { b_eitem, "bad element segment item" },
        { b_eitem_kind, "bad element segment item" },
        { b_eoffset, "bad active element segment" },
        { b_dmode, "bad data segment" },
        { b_dbytes, "bad data segment" },
        { b_reserve, "heap reserve or guard not page-aligned" },
        { b_huge, "heap reserve and guard exceed" },
        { b_mmin, "memory minimum beyond heap reserve" },
        { b_mmax, "bad memory limits" },
    };
    char prefix[128];

    (void)state;
    for (size_t i = 0; i < LEN(cases); i++) {
        Fake f;
        good(&f);
        cases[i].brk(&f);
        snprintf(prefix, sizeof prefix, "contract violation: %s",
                 cases[i].msg);
        refuses(&f, MOAT_ERR_CONTRACT, prefix);
    }
}

/* The runtime reads the features from its own CPUID words
 * (util_cpuid.c); on this host it must agree with libgcc's
 * __builtin_cpu_supports on every feature both know. */
#define SAME(f) { f, __builtin_cpu_supports(f) != 0 }

static void
cpu_features_as_libgcc(void **state)
{
    const struct {
        const char *name;
        bool        has;
    } libgcc[] = {
        SAME("popcnt"), SAME("sse3"), SAME("ssse3"), SAME("sse4.1"),
        SAME("sse4.2"), SAME("avx"), SAME("avx2"), SAME("sse4a"),
        SAME("fma4"), SAME("xop"), SAME("fma"), SAME("bmi"), SAME("bmi2"),
        SAME("aes"), SAME("pclmul"), SAME("avx512f"), SAME("avx512vl"),
        SAME("avx512bw"), SAME("avx512dq"), SAME("avx512cd"),
        SAME("avx512vbmi"), SAME("avx512ifma"), SAME("avx512vpopcntdq"),
        SAME("avx512vbmi2"), SAME("avx512vnni"), SAME("avx512bitalg"),
        SAME("avx512bf16"), SAME("gfni"), SAME("vpclmulqdq"), SAME("vaes"),
        SAME("f16c"), SAME("movbe"), SAME("rdrnd"), SAME("rdseed"),
        SAME("adx"), SAME("sha"),
        SAME("xsave"),
    };
    char buf[64];
    int  n_has = 0;

    (void)state;
    for (size_t i = 0; i < sizeof libgcc / sizeof libgcc[0]; i++) {
        moat_error err = { 0 };
        snprintf(buf, sizeof buf, "+%s", libgcc[i].name);
        bool has = moatR_check_cpu(NULL, buf, &err);
        if (has != libgcc[i].has)
            fail_msg("%s: runtime says %d, libgcc %d", libgcc[i].name, has,
                     libgcc[i].has);
        n_has += has;
    }
    assert_true(n_has > 0);         /* sse3 at least, on any x86-64-v2 */
}

/* util_cpuid.c's words (some copied from glibc's start-up CPUID) are
 * those CPUID gives here and now. */
static void
cpuid_words_are_cpuids(void **state)
{
    const MoatCpuid *c = moatU_cpuid();
    unsigned         r[4], max;

    (void)state;
    __cpuid(0, max, r[1], r[2], r[3]);
    assert_int_equal(c->l0[0], max);
    assert_memory_equal(c->l0 + 1, r + 1, 3 * sizeof r[0]);
    __cpuid(1, r[0], r[1], r[2], r[3]);
    /* leaf 1 ebx bits 24-31: the APIC id of the CPU that ran it */
    assert_int_equal(c->l1[0], r[0]);
    assert_int_equal(c->l1[1] & 0xffffffu, r[1] & 0xffffffu);
    assert_memory_equal(c->l1 + 2, r + 2, 2 * sizeof r[0]);
    if (max >= 7) {
        __cpuid_count(7, 0, r[0], r[1], r[2], r[3]);
        assert_memory_equal(c->l7, r, sizeof r);
        __cpuid_count(7, 1, r[0], r[1], r[2], r[3]);
        assert_memory_equal(c->l71, r, sizeof r);
    }
    __cpuid(0x80000001u, r[0], r[1], r[2], r[3]);
    assert_memory_equal(c->e1, r, sizeof r);
}

static void
cpu_features(void **state)
{
    moat_error err = { 0 };

    (void)state;
    assert_true(moatR_check_cpu(NULL, NULL, &err));
    assert_true(moatR_check_cpu("", "", &err));
    assert_true(moatR_check_cpu("generic", "+sse2,+sse,+64bit", &err));
    assert_true(moatR_check_cpu("x86-64", "-avx512f,-amx-tile", &err));
    assert_int_equal(moatR_check_cpu("x86-64", "+avx2", &err),
                     __builtin_cpu_supports("avx2") != 0);
    memset(&err, 0, sizeof err);
    assert_int_equal(moatR_check_cpu("x86-64", "+sse4.1,+popcnt", &err),
                     __builtin_cpu_supports("sse4.1") &&
                         __builtin_cpu_supports("popcnt"));
    memset(&err, 0, sizeof err);
    assert_int_equal(moatR_check_cpu("x86-64-v2", NULL, &err),
                     __builtin_cpu_supports("sse4.2") != 0);
    memset(&err, 0, sizeof err);
    if (!__builtin_cpu_supports("xop")) {
        assert_false(moatR_check_cpu(NULL, "+sse2,+xop", &err));
        assert_string_equal(err.msg, "contract violation: CPU feature xop "
                                     "missing on this host");
    }
    memset(&err, 0, sizeof err);
    assert_false(moatR_check_cpu(NULL, "+sse2,+frobnicate", &err));
    assert_int_equal(err.code, MOAT_ERR_CONTRACT);
    assert_string_equal(err.msg, "contract violation: CPU feature "
                                 "frobnicate cannot be checked");
    memset(&err, 0, sizeof err);
    assert_false(moatR_check_cpu(NULL, "sse2", &err));
    assert_string_equal(err.msg, "contract violation: bad feature entry "
                                 "'sse2'");
    memset(&err, 0, sizeof err);
    assert_false(moatR_check_cpu(NULL, "+sse2,,+sse", &err));
    memset(&err, 0, sizeof err);
    assert_false(moatR_check_cpu("haswell", NULL, &err));
    assert_string_equal(err.msg, "contract violation: target CPU 'haswell' "
                                 "cannot be checked (use x86-64[-vN] and "
                                 "features)");
    memset(&err, 0, sizeof err);
    assert_false(moatR_check_cpu("x86-64-v5", NULL, &err));

    Fake f;
    good(&f);
    f.d.features = "+frobnicate";
    refuses(&f, MOAT_ERR_CONTRACT, "contract violation: CPU feature");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_good_descriptor_loads),
        cmocka_unit_test(a_good_program_loads),
        cmocka_unit_test(unused_types_need_no_trampoline),
        cmocka_unit_test(broken_descriptors_are_refused),
        cmocka_unit_test(cpu_features),
        cmocka_unit_test(cpu_features_as_libgcc),
        cmocka_unit_test(cpuid_words_are_cpuids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
