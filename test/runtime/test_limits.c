/* test_limits.c - the engine's memory limit is one budget per instance
 * (runtime/limits.c): linear memory, tables and the instance data a
 * module's counts decide all draw on it. Eight tables filled to a
 * million elements each stay bounded under a 64 KiB limit (the process's
 * RSS, measured in a child); memory and tables take from the same
 * budget; a reset gives back what grew; modules with many tables, large
 * table minimums or a million tables (a descriptor made by hand, as an
 * artifact not from our compiler could be) are refused at instantiation,
 * the error naming what exceeded which limit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "guest_fx.h"
#include "moat_compile.h"
#include "rt_fake.h"

#ifndef TABLES8_WASM
#error "TABLES8_WASM: path of the guest"
#endif

static uint8_t *t8_obj;
static size_t   t8_len;

static int
compile_guests(void **state)
{
    (void)state;
    t8_obj = moatT_compile_file(TABLES8_WASM, 2, &t8_len);
    return 0;
}

static int
free_guests(void **state)
{
    (void)state;
    moat_free(t8_obj);
    return 0;
}

typedef struct World {
    moat_engine   *e;
    moat_module   *m;
    moat_linker   *l;
    moat_instance *inst;
} World;

/* An engine with the limit (0: none) and the module from obj; inst is
 * NULL when instantiation fails (err says why). */
static void
world_new(World *w, uint64_t max_memory, const uint8_t *obj, size_t len,
          moat_error *err)
{
    memset(err, 0, sizeof *err);
    assert_int_equal(moat_engine_new(&w->e, err), MOAT_OK);
    if (max_memory)
        moat_engine_set_max_memory(w->e, max_memory);
    assert_int_equal(moat_module_load_object(w->e, obj, len, &w->m, err),
                     MOAT_OK);
    assert_int_equal(moat_linker_new(w->e, &w->l, err), MOAT_OK);
    w->inst = NULL;
    moat_instance_new(w->l, w->m, &w->inst, err);
}

static void
world_free(World *w)
{
    moat_instance_free(w->inst);
    moat_linker_free(w->l);
    moat_module_free(w->m);
    moat_engine_free(w->e);
}

/* name(arg) -> i32. */
static uint32_t
call1(moat_instance *inst, const char *name, uint32_t arg)
{
    moat_val   a = { .type = MOAT_I32, .of.i32 = arg }, r;
    moat_error err = { 0 };

    if (moat_instance_call(inst, name, &a, 1, &r, 1, &err) != MOAT_OK)
        fail_msg("%s: %s", name, err.msg);
    return r.of.i32;
}

/* ---- RSS, measured in a child ---- */

static uint64_t
rss_bytes(void)
{
    unsigned long size = 0, resident = 0;
    FILE         *f = fopen("/proc/self/statm", "r");

    if (!f)
        return 0;
    if (fscanf(f, "%lu %lu", &size, &resident) != 2)
        resident = 0;
    fclose(f);
    return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

/* In a child: grow_all(1,000,000) under the limit; exits with the number
 * of grows that worked times 16 plus the RSS it grew by in 8 MiB steps
 * (at most 15). */
static int
grow_in_child(uint64_t max_memory)
{
    pid_t pid = fork();

    assert_true(pid >= 0);
    if (pid == 0) {
        World      w;
        moat_error err;
        uint64_t   before = rss_bytes();
        world_new(&w, max_memory, t8_obj, t8_len, &err);
        if (!w.inst)
            _exit(255);
        uint32_t ok = call1(w.inst, "grow_all", 1000000);
        uint64_t grew = (rss_bytes() - before) >> 23;
        _exit((int)(ok * 16 + (grew > 15 ? 15 : grew)));
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static void
eight_filled_tables_are_bounded(void **state)
{
    (void)state;
    int r = grow_in_child(0);           /* no limit: 8 x 8 MB */
    assert_int_equal(r / 16, 8);
    assert_true(r % 16 >= 7);           /* grew >= 56 MiB */
    r = grow_in_child(128 << 10);       /* memory, then no grow fits */
    assert_int_equal(r / 16, 0);
    assert_int_equal(r % 16, 0);        /* grew < 8 MiB */
}

static void
memory_and_tables_share_one_budget(void **state)
{
    World      w;
    moat_error err;

    (void)state;
    /* a funcref element costs 16 bytes: the reference and its code hint
     * (runtime/abi.h, MoatTable) */
    world_new(&w, 1870 << 10, t8_obj, t8_len, &err);
    assert_non_null(w.inst);
    assert_int_equal(call1(w.inst, "grow0", 100000), 0);      /* 1563 KiB */
    assert_int_equal(call1(w.inst, "mem_grow", 4), UINT32_MAX);
    assert_int_equal(call1(w.inst, "mem_grow", 1), 1);        /* 64 KiB */
    assert_int_equal(call1(w.inst, "grow0", 100000), UINT32_MAX);
    /* about 180 KiB left: 8 x 16,000 bytes of tables fit, then not the
     * next 64 KiB page */
    assert_int_equal(call1(w.inst, "grow_all", 1000), 8);
    assert_int_equal(call1(w.inst, "mem_grow", 1), UINT32_MAX);
    /* a reset gives the memory's growth back (the tables keep theirs) */
    assert_int_equal(moat_instance_reset(w.inst, &err), MOAT_OK);
    assert_int_equal(call1(w.inst, "mem_grow", 1), 1);
    assert_int_equal(call1(w.inst, "mem_grow", 1), UINT32_MAX);
    world_free(&w);
}

/* ---- modules written here: n tables of min elements each ---- */

static size_t
leb(uint8_t *p, uint32_t v)
{
    size_t n = 0;

    do {
        uint8_t b = v & 0x7f;
        v >>= 7;
        p[n++] = (uint8_t)(b | (v ? 0x80 : 0));
    } while (v);
    return n;
}

static uint8_t *
tables_module(uint32_t ntables, uint32_t min, size_t *len)
{
    size_t   body_max = 5 + (size_t)ntables * 7;
    uint8_t *body = malloc(body_max), *wasm = malloc(body_max + 16);
    size_t   n = leb(body, ntables), k = 0;

    assert_non_null(body);
    assert_non_null(wasm);
    for (uint32_t i = 0; i < ntables; i++) {
        body[n++] = 0x70;               /* funcref */
        body[n++] = 0x00;               /* no maximum */
        n += leb(body + n, min);
    }
    memcpy(wasm, "\0asm\1\0\0\0", 8);
    k = 8;
    wasm[k++] = 4;                      /* table section */
    k += leb(wasm + k, (uint32_t)n);
    memcpy(wasm + k, body, n);
    free(body);
    *len = k + n;
    return wasm;
}

static uint8_t *
compile_bytes(const uint8_t *wasm, size_t n, size_t *len)
{
    moat_compile_config *cfg;
    moat_error           err = { 0 };
    uint8_t             *obj = NULL;

    assert_int_equal(moat_compile_config_new(&cfg, &err), MOAT_OK);
    if (moat_compile(cfg, wasm, n, &obj, len, &err) != MOAT_OK)
        fail_msg("does not compile: %s", err.msg);
    moat_compile_config_free(cfg);
    return obj;
}

static void
many_tables_are_refused(void **state)
{
    World      w;
    moat_error err;
    size_t     n, len;
    uint8_t   *wasm = tables_module(10000, 0, &n);
    uint8_t   *obj = compile_bytes(wasm, n, &len);

    (void)state;
    world_new(&w, 64 << 10, obj, len, &err);
    assert_null(w.inst);
    assert_int_equal(err.code, MOAT_ERR_LIMIT);
    assert_non_null(strstr(err.msg, "instance data for 0 functions, 0 "
                                    "globals, 10000 tables"));
    assert_non_null(strstr(err.msg, "exceeds the memory limit of 64 KiB"));
    world_free(&w);
    world_new(&w, 0, obj, len, &err);   /* no limit: the host's choice */
    assert_non_null(w.inst);
    world_free(&w);
    moat_free(obj);
    free(wasm);
}

static void
large_table_minimums_are_refused(void **state)
{
    World      w;
    moat_error err;
    size_t     n, len;
    uint8_t   *wasm = tables_module(100, 1000, &n);    /* 16 KB each */
    uint8_t   *obj = compile_bytes(wasm, n, &len);

    (void)state;
    world_new(&w, 256 << 10, obj, len, &err);
    assert_null(w.inst);
    assert_int_equal(err.code, MOAT_ERR_LIMIT);
    assert_non_null(strstr(err.msg, "of 1000 elements (16 KiB) exceeds the "
                                    "memory limit of 256 KiB"));
    assert_true(strncmp(err.msg, "table ", 6) == 0);
    world_free(&w);
    world_new(&w, 2 << 20, obj, len, &err);
    assert_non_null(w.inst);
    world_free(&w);
    moat_free(obj);
    free(wasm);
}

/* An artifact our compiler would not make (the decoder refuses so many
 * tables) but the contract accepts: the budget refuses it before anything
 * is allocated. */
static void
a_million_tables_from_elsewhere(void **state)
{
    enum { N = 1000000 };
    Fake           *f = calloc(1, sizeof *f);
    MoatDescLimits *tabs = calloc(N, sizeof *tabs);
    moat_engine    *e;
    moat_linker    *l;
    moat_instance  *inst = NULL;
    moat_error      err = { 0 };

    (void)state;
    assert_non_null(f);
    assert_non_null(tabs);
    for (uint32_t i = 0; i < N; i++)
        tabs[i] = (MoatDescLimits){ 0, 0, 0, MOAT_FUNCREF, 0 };
    fake_init(f);
    f->d.tables = tabs;
    f->d.ntables = N;
    assert_int_equal(moat_engine_new(&e, &err), MOAT_OK);
    moat_engine_set_max_memory(e, 8 << 20);
    moat_module *m = fake_module(e, f);
    assert_int_equal(moat_linker_new(e, &l, &err), MOAT_OK);
    assert_int_equal(moat_instance_new(l, m, &inst, &err), MOAT_ERR_LIMIT);
    assert_non_null(strstr(err.msg, "instance data for 0 functions, 0 "
                                    "globals, 1000000 tables"));
    assert_non_null(strstr(err.msg, "exceeds the memory limit of 8192 "
                                    "KiB"));
    moat_linker_free(l);
    moat_module_free(m);
    moat_engine_free(e);
    free(tabs);
    free(f);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(eight_filled_tables_are_bounded),
        cmocka_unit_test(memory_and_tables_share_one_budget),
        cmocka_unit_test(many_tables_are_refused),
        cmocka_unit_test(large_table_minimums_are_refused),
        cmocka_unit_test(a_million_tables_from_elsewhere),
    };
    return cmocka_run_group_tests(tests, compile_guests, free_guests);
}
