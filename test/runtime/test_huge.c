/* test_huge.c - huge pages for linear memory (memory.c,
 * moat_engine_set_huge_pages): a memory that reaches the engine's
 * threshold has its reservation advised MADV_HUGEPAGE (the "hg" flag of
 * its mapping in /proc/self/smaps) and, in a pool slot, opens 2 MiB at a
 * time; below it, or with the option off (the default), nothing is
 * advised and pages open 16 KiB at a time. Whether the kernel then gives 2 MiB pages is its
 * business (transparent_hugepage "madvise" here), so not asserted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "guest_fx.h"
#include "moat_compile.h"
#include "runtime.h"

#define MIB   (UINT64_C(1) << 20)
#define PAGES (65536u)

static uint8_t *huge_obj;
static size_t   huge_len;

static int
compile_guest(void **state)
{
    (void)state;
    huge_obj = moatT_compile_file(HUGE_WASM, 0, &huge_len);
    return 0;
}

static int
free_guest(void **state)
{
    (void)state;
    moat_free(huge_obj);
    return 0;
}

/* 1 when the mapping holding addr has the "hg" VmFlag (MADV_HUGEPAGE),
 * 0 when not, -1 when no mapping holds it. */
static int
is_advised(const void *addr)
{
    FILE     *f = fopen("/proc/self/smaps", "r");
    char      line[512], perms[8];
    uintptr_t a = (uintptr_t)addr;
    unsigned long lo, hi;
    bool      is_in = false;
    int       found = -1;

    assert_non_null(f);
    while (found < 0 && fgets(line, sizeof line, f)) {
        if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) == 3)
            is_in = a >= lo && a < hi;     /* a mapping's first line */
        else if (is_in && !strncmp(line, "VmFlags:", 8))
            found = strstr(line, " hg") != NULL;
    }
    fclose(f);
    return found;
}

typedef struct Guest {
    moat_engine   *e;
    moat_module   *m;
    moat_linker   *l;
    moat_instance *inst;
} Guest;

static void
guest_new(Guest *g, bool is_pooled, uint64_t huge_at)
{
    moat_error err = { 0 };

    assert_int_equal(moat_engine_new(&g->e, &err), MOAT_OK);
    if (!is_pooled)
        moat_engine_set_instance_limit(g->e, 0);
    if (huge_at != UINT64_MAX)                  /* else the default */
        moat_engine_set_huge_pages(g->e, huge_at);
    assert_int_equal(moat_module_load_object(g->e, huge_obj, huge_len,
                                             &g->m, &err), MOAT_OK);
    assert_int_equal(moat_linker_new(g->e, &g->l, &err), MOAT_OK);
    assert_int_equal(moat_instance_new(g->l, g->m, &g->inst, &err), MOAT_OK);
    assert_int_equal(g->inst->slot != NULL, is_pooled);
}

static void
guest_free(Guest *g)
{
    moat_instance_free(g->inst);
    moat_linker_free(g->l);
    moat_module_free(g->m);
    moat_engine_free(g->e);
}

static int32_t
grow(Guest *g, uint32_t pages)
{
    moat_val   arg = moat_val_i32(pages), res;
    moat_error err = { 0 };

    assert_int_equal(moat_instance_call(g->inst, "grow", &arg, 1, &res, 1,
                                        &err), MOAT_OK);
    return (int32_t)res.of.i32;
}

static void
put(Guest *g, uint64_t addr)
{
    moat_val   args[2] = { moat_val_i32((uint32_t)addr), moat_val_i32(7) };
    moat_error err = { 0 };

    assert_int_equal(moat_instance_call(g->inst, "put", args, 2, NULL, 0,
                                        &err), MOAT_OK);
}

/* An address of the memory 2 MiB-aligned, at least `from` bytes in. */
static uint8_t *
aligned_in(Guest *g, uint64_t from)
{
    uintptr_t p = (uintptr_t)g->inst->mem->base + from;

    return (uint8_t *)((p + 2 * MIB - 1) & ~(uintptr_t)(2 * MIB - 1));
}

static void
pooled_above_the_threshold(void **state)
{
    Guest g;

    (void)state;
    guest_new(&g, true, 4 * MIB);
    assert_int_equal(is_advised(aligned_in(&g, 0)), 0);
    assert_int_equal(grow(&g, (uint32_t)(2 * MIB / PAGES)), 1);  /* 2 MiB */
    assert_int_equal(is_advised(aligned_in(&g, 0)), 0);
    assert_false(g.inst->own_mem->is_huge);
    assert_true(grow(&g, (uint32_t)(6 * MIB / PAGES)) > 0);     /* 8 MiB */
    assert_true(g.inst->own_mem->is_huge);
    uint8_t *a = aligned_in(&g, 2 * MIB);
    assert_int_equal(is_advised(a), 1);
    /* a touch opens the whole 2 MiB page it lies in */
    uint64_t off = (uint64_t)(a - g.inst->mem->base) + 4096;
    put(&g, off);
    assert_true(atomic_load(&g.inst->slot->open) >= off - 4096 + 2 * MIB);
    guest_free(&g);
}

static void
pooled_below_the_threshold_or_off(void **state)
{
    Guest g;

    (void)state;
    guest_new(&g, true, 16 * MIB);
    assert_true(grow(&g, (uint32_t)(8 * MIB / PAGES)) > 0);     /* 8 MiB */
    uint8_t *a = aligned_in(&g, 2 * MIB);
    assert_int_equal(is_advised(a), 0);
    uint64_t off = (uint64_t)(a - g.inst->mem->base) + 4096;
    put(&g, off);
    /* 16 KiB steps: the page touched and the rest of its step */
    assert_true(atomic_load(&g.inst->slot->open) <= off + 16384);
    guest_free(&g);

    for (int i = 0; i < 2; i++) {               /* off; the default */
        guest_new(&g, true, i ? UINT64_MAX : 0);
        assert_true(grow(&g, (uint32_t)(64 * MIB / PAGES)) > 0);
        assert_int_equal(is_advised(aligned_in(&g, 2 * MIB)), 0);
        assert_false(g.inst->own_mem->is_huge);
        guest_free(&g);
    }
}

static void
own_mapping_above_the_threshold(void **state)
{
    Guest g;

    (void)state;
    guest_new(&g, false, 4 * MIB);
    assert_int_equal(is_advised(aligned_in(&g, 0)), 0);
    assert_true(grow(&g, (uint32_t)(8 * MIB / PAGES)) > 0);
    assert_int_equal(is_advised(aligned_in(&g, 2 * MIB)), 1);
    put(&g, (uint64_t)(aligned_in(&g, 2 * MIB) - g.inst->mem->base));
    guest_free(&g);
}

/* A slot keeps its advice, but a small next tenant opens 16 KiB steps and
 * so never a whole 2 MiB page: its RSS stays that of 4 KiB pages. */
static void
small_tenant_after_a_large_one(void **state)
{
    Guest      g;
    moat_error err = { 0 };

    (void)state;
    guest_new(&g, true, 4 * MIB);
    assert_true(grow(&g, (uint32_t)(8 * MIB / PAGES)) > 0);
    Slot *s = g.inst->slot;
    assert_true(s->is_huge);
    moat_instance_free(g.inst);
    assert_int_equal(moat_instance_new(g.l, g.m, &g.inst, &err), MOAT_OK);
    assert_ptr_equal(g.inst->slot, s);                  /* last released */
    assert_false(g.inst->own_mem->is_huge);
    put(&g, 100);
    assert_true(atomic_load(&s->open) <= 16384);
    guest_free(&g);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pooled_above_the_threshold),
        cmocka_unit_test(pooled_below_the_threshold_or_off),
        cmocka_unit_test(own_mapping_above_the_threshold),
        cmocka_unit_test(small_tenant_after_a_large_one),
    };
    return cmocka_run_group_tests(tests, compile_guest, free_guest);
}
