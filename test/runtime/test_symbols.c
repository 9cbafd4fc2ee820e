/* test_symbols.c - symbols.c, the allow-list: every runtime helper of
 * MOAT_HELPERS, memcpy/memmove/memset and the listed libm functions
 * resolve to the very functions the host links; nothing else does; a
 * fixture object loads and runs through it, a disallowed one does not.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "abi.h"
#include "elfload.h"
#include "elf_fx.h"

#define DECLARE(id, name, ret, params) \
    MOAT_HELPER_PROTO(name, ret, params);
MOAT_HELPERS(DECLARE)
#undef DECLARE

typedef struct Want {
    const char *name;
    AnyFn       fn;
} Want;

#define HELPER(id, name, ret, params) { #name, (AnyFn)name },
#define FN(name) { #name, (AnyFn)name }

/* The list as the loader's brief gives it, written out independently. */
static const Want wanted[] = {
    MOAT_HELPERS(HELPER)
    FN(memcpy), FN(memmove), FN(memset),
    FN(ceil), FN(ceilf), FN(floor), FN(floorf), FN(trunc), FN(truncf),
    FN(nearbyint), FN(nearbyintf), FN(rint), FN(rintf), FN(roundeven),
    FN(roundevenf), FN(sqrt), FN(sqrtf), FN(fmin), FN(fminf), FN(fmax),
    FN(fmaxf), FN(fabs), FN(fabsf), FN(copysign), FN(copysignf), FN(fmod),
    FN(fmodf),
};

static void
allows_the_list(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof wanted / sizeof wanted[0]; i++) {
        void *p = moatR_resolve_symbol(wanted[i].name);

        if (p != fx_fn_addr(wanted[i].fn))
            fail_msg("%s resolves to %p", wanted[i].name, p);
    }
}

static void
refuses_the_rest(void **state)
{
    static const char *const refused[] = {
        "system", "puts", "printf", "malloc", "free", "dlopen", "dlsym",
        "mmap", "mprotect", "execve", "syscall", "exit", "abort", "longjmp",
        "__stack_chk_fail", "_GLOBAL_OFFSET_TABLE_", "moatR_run",
        "moatR_memory_grow_by", "moat_module_load", "", "memcpy ",
        "MEMCPY", "sqrtl", "memcpy@GLIBC_2.14", "moatR_trap\n",
    };

    (void)state;
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        if (moatR_resolve_symbol(refused[i]))
            fail_msg("'%s' is allowed", refused[i]);
    assert_null(moatR_resolve_symbol(NULL));
}

static void
loads_a_fixture_through_it(void **state)
{
    Blob      b = fx_read("fx_pic.o");
    ElfImage *img = fx_load_ok(&b, moatR_resolve_symbol);
    double (*scale)(int, double);
    size_t (*copy)(const char *, size_t);
    const char *(*buf)(void);
    void *p;

    (void)state;
    p = moatR_elf_symbol(img, "fx_scale");
    memcpy(&scale, &p, sizeof p);
    p = moatR_elf_symbol(img, "fx_copy");
    memcpy(&copy, &p, sizeof p);
    p = moatR_elf_symbol(img, "fx_buf");
    memcpy(&buf, &p, sizeof p);
    assert_true(scale(2, 9.0) == 7.5);
    assert_int_equal(copy("allowed", 7), 7);
    assert_string_equal(buf(), "allowed");
    moatR_elf_free(img);
    free(b.p);
}

static void
refuses_a_fixture_calling_puts(void **state)
{
    Blob       b = fx_read("fx_bad.o");
    ElfImage  *img = NULL;
    moat_error err = { 0 };

    (void)state;
    assert_false(moatR_elf_load(b.p, b.len, moatR_resolve_symbol, &img,
                                &err));
    assert_int_equal(err.code, MOAT_ERR_CONTRACT);
    assert_string_equal(err.msg, "undefined symbol 'puts' is not allowed");
    assert_int_equal(err.offset, fx_find_symbol(&b, "puts"));
    free(b.p);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(allows_the_list),
        cmocka_unit_test(refuses_the_rest),
        cmocka_unit_test(loads_a_fixture_through_it),
        cmocka_unit_test(refuses_a_fixture_calling_puts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
