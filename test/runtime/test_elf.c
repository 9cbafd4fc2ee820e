/* test_elf.c - elf.c and reloc_x86_64.c on real compiler output: objects
 * compiled from fx_code.c at build time (gcc PIC, gcc large model, clang
 * PIC) are loaded and run, and their groups are sealed RX / R / RW;
 * non-PIC small-model code and large-model PIC are refused with their
 * reason, as are disallowed symbols. Corrupt input: test_elf_corrupt.c.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "elfload.h"
#include "elf_fx.h"

#define GET(fn, img, name) get_fn(&(fn), sizeof(fn), (img), (name))

static void
get_fn(void *dst, size_t n, const ElfImage *img, const char *name)
{
    void *p = moatR_elf_symbol(img, name);

    if (!p)
        fail_msg("no symbol %s", name);
    assert_int_equal(n, sizeof p);
    memcpy(dst, &p, n);
}

/* "r-x", "r--", "rw-" of the mapping holding p, from /proc/self/maps. */
static void
perms_of(const void *p, char out[4])
{
    FILE              *f = fopen("/proc/self/maps", "r");
    char               line[512], perm[5];
    unsigned long long lo, hi;

    assert_non_null(f);
    strcpy(out, "?");
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "%llx-%llx %4s", &lo, &hi, perm) == 3
            && (uintptr_t)p >= lo && (uintptr_t)p < hi) {
            memcpy(out, perm, 3);
            out[3] = 0;
            break;
        }
    fclose(f);
}

static void
check_perms(const void *p, const char *want)
{
    char got[4];

    perms_of(p, got);
    assert_string_equal(got, want);
}

/* ---- loading and running ---- */

static void
check_calls(ElfImage *img)
{
    double (*scale)(int, double);
    double (*fmod_)(double, double);
    size_t (*copy)(const char *, size_t);
    const char *(*buf)(void);
    static const char text[] = "relocated and running";

    GET(scale, img, "fx_scale");
    GET(fmod_, img, "fx_fmod");
    GET(copy, img, "fx_copy");
    GET(buf, img, "fx_buf");
    assert_true(scale(1, 16.0) == 6.0);
    assert_true(scale(6, 4.0) == 5.0);
    assert_true(isnan(scale(0, -1.0)));         /* sqrt's slow path */
    assert_true(fmod_(7.5, 2.0) == 1.5);
    assert_int_equal(copy(text, sizeof text - 1), sizeof text - 1);
    assert_string_equal(buf(), text);
}

static void
check_data(ElfImage *img)
{
    int (*bump)(void), (*apply)(int, int), (*capply)(int, int);
    uintptr_t (*page)(void);
    void (*trap)(void *);
    int                *counter = moatR_elf_symbol(img, "counter");
    void *const        *ops = moatR_elf_symbol(img, "ops");
    const char *const *greeting = moatR_elf_symbol(img, "fx_greeting");

    GET(bump, img, "fx_bump");
    GET(apply, img, "fx_apply");
    GET(capply, img, "fx_capply");
    GET(page, img, "fx_page");
    GET(trap, img, "fx_trap");
    assert_non_null(counter);
    assert_int_equal(*counter, 40);
    assert_int_equal(bump(), 41);               /* through the GOT */
    assert_int_equal(*counter, 41);
    assert_int_equal(apply(0, 5), 6);
    assert_int_equal(apply(1, 5), 10);
    assert_int_equal(apply(2, 5), -5);
    assert_int_equal(capply(0, 5), -5);
    assert_int_equal(capply(1, 5), 6);
    assert_ptr_equal(ops[1], moatR_elf_symbol(img, "fx_twice"));
    assert_string_equal(*greeting, "hello, loader");
    uintptr_t pg = page();
    assert_true(pg != 0 && pg % 4096 == 0);     /* zeroed, aligned .bss */
    assert_int_equal(page(), 0);
    fx_trapped = 0;
    trap(NULL);
    assert_int_equal(fx_trapped, 3);
}

static void
check_symbols_and_perms(ElfImage *img)
{
    void *code = moatR_elf_symbol(img, "fx_scale");
    void *counter = moatR_elf_symbol(img, "counter");
    void *cops = moatR_elf_symbol(img, "cops");
    const char *const *greeting = moatR_elf_symbol(img, "fx_greeting");
    void *host = fx_fn_addr((AnyFn)check_perms);

    assert_null(moatR_elf_symbol(img, "add1"));         /* local */
    assert_null(moatR_elf_symbol(img, "scale"));
    assert_null(moatR_elf_symbol(img, "sqrt"));         /* undefined */
    assert_null(moatR_elf_symbol(img, "no_such_symbol"));
    assert_null(moatR_elf_symbol(NULL, "fx_scale"));
    assert_true(moatR_elf_contains_pc(img, (uintptr_t)code));
    assert_false(moatR_elf_contains_pc(img, (uintptr_t)counter));
    assert_false(moatR_elf_contains_pc(img, (uintptr_t)greeting));
    assert_false(moatR_elf_contains_pc(img, (uintptr_t)host));
    assert_false(moatR_elf_contains_pc(NULL, (uintptr_t)code));
    check_perms(code, "r-x");
    check_perms(*greeting, "r--");
    check_perms(greeting, "r--");               /* .data.rel.ro: sealed */
    check_perms(cops, "r--");
    check_perms(counter, "rw-");
}

static void
run_fixture(const char *name)
{
    Blob      b = fx_read(name);
    ElfImage *img = fx_load_ok(&b, fx_resolve);

    free(b.p);                  /* the image must not need the bytes */
    check_calls(img);
    check_data(img);
    check_symbols_and_perms(img);
    moatR_elf_free(img);
    moatR_elf_free(NULL);
}

static void
loads_gcc_pic(void **state)
{
    (void)state;
    run_fixture("fx_pic.o");
}

static void
loads_gcc_large_model(void **state)
{
    (void)state;
    run_fixture("fx_large.o");
}

static void
loads_clang_pic(void **state)
{
    (void)state;
#if FX_HAVE_CLANG
    run_fixture("fx_clang.o");
#else
    skip();
#endif
}

/* ---- refusals of whole objects ---- */

static void
refuses_small_model_absolute_code(void **state)
{
    Blob b = fx_read("fx_nopic.o");

    (void)state;
    fx_load_fails(&b, "relocation out of range: R_X86_64_32", UINT64_MAX);
    free(b.p);
}

static void
refuses_large_model_pic(void **state)
{
    Blob b = fx_read("fx_piclarge.o");

    (void)state;
    fx_load_fails(&b, "unsupported relocation type R_X86_64_GOTPC64",
                  UINT64_MAX);
    free(b.p);
}

static void
refuses_disallowed_symbol(void **state)
{
    Blob b = fx_read("fx_bad.o");

    (void)state;
    fx_load_fails(&b, "undefined symbol 'puts' is not allowed",
               fx_find_symbol(&b, "puts"));
    free(b.p);
}

static void
refuses_everything_without_resolver(void **state)
{
    Blob       b = fx_read("fx_pic.o");
    ElfImage  *img = NULL;
    moat_error err = { 0 };

    (void)state;
    assert_false(moatR_elf_load(b.p, b.len, NULL, &img, &err));
    assert_int_equal(err.code, MOAT_ERR_CONTRACT);
    assert_non_null(strstr(err.msg, "is not allowed"));
    free(b.p);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(loads_gcc_pic),
        cmocka_unit_test(loads_gcc_large_model),
        cmocka_unit_test(loads_clang_pic),
        cmocka_unit_test(refuses_small_model_absolute_code),
        cmocka_unit_test(refuses_large_model_pic),
        cmocka_unit_test(refuses_disallowed_symbol),
        cmocka_unit_test(refuses_everything_without_resolver),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
