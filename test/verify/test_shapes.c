/* test_shapes.c - rules table, saved and end on hand-assembled objects
 * (shapes.S; argv: the object with no defect, then BREAK=1..17): the
 * shapes of honest -O2/-O3 code the default rules used to reject (an
 * index zero-extended in an earlier block, a table address kept in a
 * callee-saved register across calls of a function of the object and of
 * a runtime helper, a block that ends in `call moatR_trap`, a function
 * that ends in a call of one that never returns, an index bounded by its
 * arithmetic, spilled and reloaded across a call, set by several
 * predecessors, compared through a copy, two jumps proven together, a
 * table target found late in another jump's sequence; a heap index
 * computed from an sp-derived value) verify with no violation, and each
 * defect is rejected by the rule it breaks, at the function it is in.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util.h"
#include "verify.h"
#include "verify_testutil.h"

#define NOBJ 18
static const char *paths[NOBJ];

static KReport *
check(int which)
{
    return moatVT_verify_file(paths[which]);
}

/* Some kept violation of rule in function fn whose message has text. */
static bool
has(const KReport *r, KRule rule, const char *fn, const char *text)
{
    for (uint32_t i = 0; i < r->nkept; i++)
        if (r->kept[i].rule == rule && !strcmp(r->kept[i].func, fn) &&
            strstr(r->kept[i].msg, text))
            return true;
    return false;
}

static void
honest_shapes_verify(void **state)
{
    (void)state;
    KReport *r = check(0);
    assert_int_equal(r->nviol, 0);
    assert_int_equal(r->checked[K_TABLE], 15);
    assert_int_equal(r->checked[K_SAVED], 15);
    assert_int_equal(r->failed[K_SAVED], 0);
    free(r);
}

static void
index_written_64_bits_rejected(void **state)
{
    (void)state;
    KReport *r = check(1);
    assert_true(has(r, K_TABLE, "f_zx", "not proven"));
    assert_int_equal(r->failed[K_TABLE], 1);
    assert_int_equal(r->failed[K_SAVED], 0);
    free(r);
}

/* g breaks rule saved: so do the proofs that trusted a call of a
 * function of the object (of g, or of any: the rule does not track
 * which callee a proof relied on). */
static void
callee_breaks_saved(int which, const char *why)
{
    KReport *r = check(which);
    assert_true(has(r, K_SAVED, "g", why));
    assert_true(has(r, K_TABLE, "f_keep", "fail rule saved"));
    assert_true(has(r, K_TABLE, "f_win", "fail rule saved"));
    assert_true(has(r, K_TABLE, "f_spill", "fail rule saved"));
    assert_int_equal(r->failed[K_TABLE], 3);
    assert_true(has(r, K_SAVED, "f_end", "fail rule saved"));
    /* g, f_keep, f_win, f_end, f_spill */
    assert_int_equal(r->failed[K_SAVED], 5);
    free(r);
}

static void
rbx_clobbered_rejected(void **state)
{
    (void)state;
    callee_breaks_saved(2, "rbx not proven restored");
}

static void
rsp_off_rejected(void **state)
{
    (void)state;
    callee_breaks_saved(3, "rsp not proven at the return address");
}

static void
saved_slot_overwritten_rejected(void **state)
{
    (void)state;
    callee_breaks_saved(4, "rbx not proven restored");
}

static void
caller_saved_across_helper_rejected(void **state)
{
    (void)state;
    KReport *r = check(5);
    assert_true(has(r, K_TABLE, "h", "not proven"));
    assert_int_equal(r->failed[K_TABLE], 1);
    assert_int_equal(r->failed[K_SAVED], 0);
    free(r);
}

static void
ret_imm_rejected(void **state)
{
    (void)state;
    callee_breaks_saved(6, "ret with an immediate");
}

static void
may_return_callee_rejected(void **state)
{
    (void)state;
    KReport *r = check(7);
    assert_true(has(r, K_END, "f_end", "t_trap, which is not proven never "
                                       "to return"));
    assert_int_equal(r->failed[K_END], 1);
    assert_int_equal(r->nviol, 1);
    free(r);
}

static void
returning_helper_falls_on_rejected(void **state)
{
    (void)state;
    KReport *r = check(8);
    assert_true(has(r, K_TABLE, "f_trapblk", "not proven"));
    assert_int_equal(r->failed[K_TABLE], 1);
    free(r);
}

/* BREAK=9..12: one table jump of fn rejected, nothing else of the rules
 * over functions (codeptr then names the table's unproven entries). */
static void
one_jump_rejected(int which, const char *fn)
{
    KReport *r = check(which);
    assert_true(has(r, K_TABLE, fn, ""));
    assert_int_equal(r->failed[K_TABLE], 1);
    assert_int_equal(r->failed[K_SAVED] + r->failed[K_END], 0);
    free(r);
}

static void
arithmetic_past_table_rejected(void **state)
{
    (void)state;
    one_jump_rejected(9, "f_range");
}

static void
spill_of_64_bits_rejected(void **state)
{
    (void)state;
    one_jump_rejected(10, "f_spill");
}

static void
table_register_clobbered_rejected(void **state)
{
    (void)state;
    one_jump_rejected(11, "f_two");
}

static void
join_past_table_rejected(void **state)
{
    (void)state;
    one_jump_rejected(12, "f_join");
}

static void
sp_derived_store_rejected(void **state)
{
    (void)state;
    KReport *r = check(13);
    assert_true(has(r, K_SAVED, "s_trunc", "rbx not proven restored"));
    free(r);
}

static void
spill_below_sp_rejected(void **state)
{
    (void)state;
    one_jump_rejected(14, "f_spill");
}

static void
entry_past_check_rejected(void **state)
{
    (void)state;
    one_jump_rejected(15, "f_late");
}

static void
spill_overwritten_by_pointer_rejected(void **state)
{
    (void)state;
    one_jump_rejected(16, "f_spill");
}

static void
copy_changed_rejected(void **state)
{
    (void)state;
    one_jump_rejected(17, "f_copy");
}

int
main(int argc, char **argv)
{
    if (argc != NOBJ + 1) {
        fprintf(stderr, "usage: %s SHAPES0.o ... SHAPES17.o\n", argv[0]);
        return 2;
    }
    for (int i = 0; i < NOBJ; i++)
        paths[i] = argv[i + 1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(honest_shapes_verify),
        cmocka_unit_test(index_written_64_bits_rejected),
        cmocka_unit_test(rbx_clobbered_rejected),
        cmocka_unit_test(rsp_off_rejected),
        cmocka_unit_test(saved_slot_overwritten_rejected),
        cmocka_unit_test(caller_saved_across_helper_rejected),
        cmocka_unit_test(ret_imm_rejected),
        cmocka_unit_test(may_return_callee_rejected),
        cmocka_unit_test(returning_helper_falls_on_rejected),
        cmocka_unit_test(arithmetic_past_table_rejected),
        cmocka_unit_test(spill_of_64_bits_rejected),
        cmocka_unit_test(table_register_clobbered_rejected),
        cmocka_unit_test(join_past_table_rejected),
        cmocka_unit_test(sp_derived_store_rejected),
        cmocka_unit_test(spill_below_sp_rejected),
        cmocka_unit_test(entry_past_check_rejected),
        cmocka_unit_test(spill_overwritten_by_pointer_rejected),
        cmocka_unit_test(copy_changed_rejected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
