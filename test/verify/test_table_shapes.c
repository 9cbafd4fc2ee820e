/* test_table_shapes.c - rule table on hand-assembled objects
 * (table_shapes.S; argv: the object with no defect, then BREAK=1..18):
 * the jump-table shapes of the real-world programs at -O2/-O3 that the
 * rule rejected (an index compared through a copy of its low half, through
 * a spill and its reload, through a frame slot, through a stack argument
 * reloaded in a loop; a table address kept in a callee-saved register
 * across a call; 16- and 8-bit compares; a join that must not widen; a
 * call that never returns; a spill across pushed stack arguments; a
 * jump proven only once another jump's targets are known, and a chain of
 * six such; a bound from `jne` and from `je`; a narrow compare of a value that fits; a
 * spill reloaded after a call in the window; the 33rd spill of a frame)
 * verify with no
 * violation, and each defect is rejected by rule table in the function
 * it is in, and by nothing else.
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

#define NOBJ 19
static const char *paths[NOBJ];

static KReport *
check(int which)
{
    return moatVT_verify_file(paths[which]);
}

/* Some kept violation of rule table in function fn. */
static bool
has_table(const KReport *r, const char *fn)
{
    for (uint32_t i = 0; i < r->nkept; i++)
        if (r->kept[i].rule == K_TABLE && !strcmp(r->kept[i].func, fn))
            return true;
    return false;
}

static void
honest_table_shapes_verify(void **state)
{
    (void)state;
    KReport *r = check(0);
    assert_int_equal(r->nviol, 0);
    assert_int_equal(r->checked[K_TABLE], 18);
    assert_int_equal(r->failed[K_TABLE], 0);
    free(r);
}

/* BREAK=which: fn's jump rejected by rule table, no other function and
 * no other rule over functions (codeptr then names the table's unproven
 * entries: an object rule). */
static void
rejected_in(int which, const char *fn)
{
    KReport *r = check(which);
    assert_true(has_table(r, fn));
    assert_int_equal(r->failed[K_TABLE], 1);
    assert_int_equal(r->failed[K_SAVED] + r->failed[K_END] +
                     r->failed[K_JUMP] + r->failed[K_CALL], 0);
    free(r);
}

#define DEFECT(name, n, fn)                                                  \
    static void name(void **state)                                           \
    {                                                                        \
        (void)state;                                                         \
        rejected_in(n, fn);                                                  \
    }

DEFECT(low_half_of_another_register_rejected, 1, "c_low")
DEFECT(reload_of_another_slot_rejected, 2, "c_spill")
DEFECT(slot_bound_one_too_large_rejected, 3, "c_slot")
DEFECT(index_from_another_argument_rejected, 4, "c_arg")
DEFECT(table_in_caller_saved_register_rejected, 5, "c_tcopy")
DEFECT(movzwl_of_another_register_rejected, 6, "c_w16")
DEFECT(byte_bound_one_too_large_rejected, 7, "c_w8")
DEFECT(callee_that_returns_rejected, 8, "c_noret")
DEFECT(spill_under_a_push_rejected, 9, "c_push")
DEFECT(spill_past_the_table_rejected, 10, "c_chain")
DEFECT(equal_not_below_rejected, 11, "c_ne")
DEFECT(value_that_does_not_fit_rejected, 12, "c_fit")
DEFECT(last_link_past_the_table_rejected, 13, "c_deep")
DEFECT(spill_overwritten_in_the_window_rejected, 14, "c_store")
DEFECT(spill_address_passed_rejected, 15, "c_store")
DEFECT(equal_falls_through_rejected, 16, "c_je")
DEFECT(unbounded_spill_rejected, 17, "c_many")
DEFECT(spill_address_pushed_rejected, 18, "c_push")

int
main(int argc, char **argv)
{
    if (argc != NOBJ + 1) {
        fprintf(stderr, "usage: %s TABLE_SHAPES0.o ... TABLE_SHAPES18.o\n",
                argv[0]);
        return 2;
    }
    for (int i = 0; i < NOBJ; i++)
        paths[i] = argv[i + 1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(honest_table_shapes_verify),
        cmocka_unit_test(low_half_of_another_register_rejected),
        cmocka_unit_test(reload_of_another_slot_rejected),
        cmocka_unit_test(slot_bound_one_too_large_rejected),
        cmocka_unit_test(index_from_another_argument_rejected),
        cmocka_unit_test(table_in_caller_saved_register_rejected),
        cmocka_unit_test(movzwl_of_another_register_rejected),
        cmocka_unit_test(byte_bound_one_too_large_rejected),
        cmocka_unit_test(callee_that_returns_rejected),
        cmocka_unit_test(spill_under_a_push_rejected),
        cmocka_unit_test(spill_past_the_table_rejected),
        cmocka_unit_test(equal_not_below_rejected),
        cmocka_unit_test(value_that_does_not_fit_rejected),
        cmocka_unit_test(last_link_past_the_table_rejected),
        cmocka_unit_test(spill_overwritten_in_the_window_rejected),
        cmocka_unit_test(spill_address_passed_rejected),
        cmocka_unit_test(equal_falls_through_rejected),
        cmocka_unit_test(unbounded_spill_rejected),
        cmocka_unit_test(spill_address_pushed_rejected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
