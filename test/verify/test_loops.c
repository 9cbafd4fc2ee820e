/* test_loops.c - the memory rule's loops (verify/memory_loop.c): honest
 * loops.wat at -O2 is proven (main's checker rejected its nested counted
 * loops and its scaled index), and each body of loops.S (argv[2]),
 * written over the body of loops.wat's `mat` (after its stack check,
 * before its trap call; nops after), is proven (ok_*) or rejected by the
 * memory rule in that function (bad_*): a walk up to a register bound, a
 * 64-bit induction variable, scaled indices, nested loops, a call of a
 * function that never returns (nothing falls through it), the integer
 * shapes of ok_arith; and the
 * mutants the rule must keep rejecting: a stride past the guard, no
 * access on one path around the loop, a walk down with no lower bound,
 * the loop's access a prefetch, a 64-bit index with no bound, a scaled
 * index with its `and` dropped or its cmov min made a max, the call of
 * one that returns instead, a counter from below the heap, tzcnt of a
 * value that may be 0, `bt` with a register bit offset; a
 * descriptor that asks for a smaller
 * heap reservation than the rule assumes; a lookup table's entry made a
 * heap offset of 8 GiB; a descriptor's function count of 2^32 - 1 (no
 * allocation by it). MOAT_LOOPS_DUMP=DIR writes each patched
 * object there (to check them with another checker: docs/verify.md).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "abi.h"
#include "moat.h"
#include "util.h"
#include "verify.h"
#include "verify_testutil.h"

static const char *paths[2];    /* loops-O2.o, loops.o (assembled) */
static uint8_t    *wasm_obj, *shapes;
static size_t      wasm_len, shapes_len;

/* The prologue `mat` starts with (push rbp, mov rsp to rbp, the stack
 * check ending in jb rel32) and its trap site's first instruction. */
static const uint8_t prologue[] = { 0x55, 0x48, 0x89, 0xe5, 0x48, 0x8b,
                                    0x47, 0xe8, 0x64, 0x48, 0x3b, 0x20,
                                    0x0f, 0x82 };
static const uint8_t trap_site[] = { 0x0f, 0xb6, 0x84, 0x24, 0x00, 0xc0,
                                     0xff, 0xff };

/* The symbol's [file offset, size) in an object; false if absent. */
static bool
find_symbol(const uint8_t *b, size_t len, const char *name, uint64_t *at,
            uint64_t *size)
{
    KReport rep = { 0 };
    KCheck  c = { .rep = &rep };
    KObj    obj;
    bool    found = false;

    if (!moatK_obj_read(&c, b, len, &obj))
        return false;
    for (uint32_t i = 0; i < obj.nsym && !found; i++) {
        const KSym *s = &obj.sym[i];
        if (strcmp(s->name, name) || s->shndx == 0 || s->shndx >= obj.nsec ||
            !obj.sec[s->shndx].data)
            continue;
        *at = (uint64_t)(obj.sec[s->shndx].data - b) + s->value;
        *size = s->size;
        found = true;
    }
    moatK_obj_free(&obj);
    return found;
}

static KReport *
check(const uint8_t *b, size_t len)
{
    return moatVT_verify_bytes(b, len, true);
}

/* loops-O2.o with body `name` of loops.S over mat's body: the report. */
static KReport *
patched(const char *name)
{
    uint64_t f, fsize, s, ssize;

    assert_true(find_symbol(wasm_obj, wasm_len, "wasm_f1", &f, &fsize));
    assert_true(find_symbol(shapes, shapes_len, name, &s, &ssize));
    assert_memory_equal(wasm_obj + f, prologue, sizeof prologue);
    uint64_t body = f + sizeof prologue + 4, trap = 0;
    for (uint64_t k = body; k + sizeof trap_site <= f + fsize; k++)
        if (!memcmp(wasm_obj + k, trap_site, sizeof trap_site))
            trap = k;
    assert_true(trap > body && ssize <= trap - body);
    uint8_t *b = malloc(wasm_len);
    assert_non_null(b);
    memcpy(b, wasm_obj, wasm_len);
    memset(b + body, 0x90, trap - body);
    memcpy(b + body, shapes + s, ssize);
    /* calls of functions of the object: a marker for the rel32 */
    static const char *const mark[2] = { "NORT", "RETS" };
    static const char *const to[2] = { "wasm_f4", "wasm_f2" };
    for (uint64_t k = body; k + 4 <= body + ssize; k++)
        for (int m = 0; m < 2; m++) {
            uint64_t g, gsize;
            if (memcmp(b + k, mark[m], 4))
                continue;
            assert_true(find_symbol(wasm_obj, wasm_len, to[m], &g, &gsize));
            int32_t rel = (int32_t)((int64_t)g - (int64_t)(k + 4));
            memcpy(b + k, &rel, 4);
        }
    const char *dir = getenv("MOAT_LOOPS_DUMP");
    if (dir) {
        char  p[512];
        snprintf(p, sizeof p, "%s/%s.o", dir, name);
        FILE *out = fopen(p, "wb");
        if (out) {
            fwrite(b, 1, wasm_len, out);
            fclose(out);
        }
    }
    KReport *r = check(b, wasm_len);
    free(b);
    moatK_print_violations(stdout, name, r);
    return r;
}

static bool
memory_in(const KReport *r, const char *fn)
{
    for (uint32_t i = 0; i < r->nkept; i++)
        if (r->kept[i].rule == K_MEMORY && !strcmp(r->kept[i].func, fn))
            return true;
    return false;
}

static void
honest_loops_proven(void **state)
{
    (void)state;
    KReport *r = check(wasm_obj, wasm_len);
    moatK_print_violations(stdout, paths[0], r);
    assert_int_equal(r->nviol, 0);
    assert_true(r->checked[K_MEMORY] >= 4);
    free(r);
}

static void
proven(const char *name)
{
    KReport *r = patched(name);
    assert_int_equal(r->nviol, 0);
    free(r);
}

/* Rejected by the memory rule in mat (wasm_f1), by nothing else. */
static void
rejected(const char *name)
{
    KReport *r = patched(name);
    assert_true(memory_in(r, "wasm_f1"));
    assert_int_equal(r->failed[K_MEMORY], 1);
    for (int k = 0; k < K_MEMORY; k++)
        assert_int_equal(r->failed[k], 0);
    free(r);
}

/* The descriptor asks the runtime for a 64 KiB reservation and no
 * guard: no heap shape holds (the runtime would map only that). */
static void
small_reservation_rejected(void **state)
{
    (void)state;
    uint64_t d, dsize;
    uint64_t small[2] = { 65536, 0 };

    assert_true(find_symbol(wasm_obj, wasm_len, MOAT_DESC_SYMBOL, &d,
                            &dsize));
    uint8_t *b = malloc(wasm_len);
    assert_non_null(b);
    memcpy(b, wasm_obj, wasm_len);
    memcpy(b + d + offsetof(MoatDescriptor, heap_reserve), small,
           sizeof small);
    KReport *r = check(b, wasm_len);
    free(b);
    moatK_print_violations(stdout, "small-reservation", r);
    bool named = false;
    for (uint32_t i = 0; i < r->nkept; i++)
        named |= r->kept[i].rule == K_MEMORY &&
                 strstr(r->kept[i].msg, "reservation and guard are below");
    assert_true(named);
    assert_true(r->failed[K_MEMORY] >= 3);
    free(r);
}

/* lut's table in read-only data with one entry made 8 GiB: the load
 * from it is an index past the reservation. */
static void
lut_entry_past_reservation_rejected(void **state)
{
    (void)state;
    static const uint64_t entries[4] = { 416, 44, 1216, 196 };
    uint64_t              big = UINT64_C(8) << 30;
    size_t                at = 0;

    for (size_t k = 0; k + sizeof entries <= wasm_len && !at; k++)
        if (!memcmp(wasm_obj + k, entries, sizeof entries))
            at = k;
    assert_true(at > 0);
    uint8_t *b = malloc(wasm_len);
    assert_non_null(b);
    memcpy(b, wasm_obj, wasm_len);
    memcpy(b + at + 16, &big, sizeof big);
    KReport *r = check(b, wasm_len);
    free(b);
    moatK_print_violations(stdout, "lut-entry", r);
    assert_true(memory_in(r, "wasm_f3"));
    assert_int_equal(r->failed[K_MEMORY], 1);
    free(r);
}

/* The descriptor's nfuncs and ntypes set to 2^32 - 1 (fuzz_verify found
 * nfuncs, 2026-12-06): the object is rejected without allocating by those
 * counts (the checker asked for 16 GiB). */
static void
huge_function_count_rejected(void **state)
{
    (void)state;
    uint64_t d, dsize, big = UINT32_MAX;

    assert_true(find_symbol(wasm_obj, wasm_len, MOAT_DESC_SYMBOL, &d,
                            &dsize));
    uint8_t *b = malloc(wasm_len);
    assert_non_null(b);
    memcpy(b, wasm_obj, wasm_len);
    memcpy(b + d + offsetof(MoatDescriptor, nfuncs), &big, 8);
    memcpy(b + d + offsetof(MoatDescriptor, ntypes), &big, 8);
    moatVT_biggest = 0;
    moat_set_allocator(moatVT_track_alloc, NULL);
    KReport *r = check(b, wasm_len);
    moat_set_allocator(NULL, NULL);
    free(b);
    printf("huge function count: largest allocation %zu bytes (object %zu "
           "bytes)\n", moatVT_biggest, wasm_len);
    assert_true(r->failed[K_MEMORY] > 0);
    assert_true(moatVT_biggest <= 64 * wasm_len);
    free(r);
}

static void ok_up(void **s) { (void)s; proven("ok_up"); }
static void ok_after(void **s) { (void)s; proven("ok_after"); }
static void ok_iv64(void **s) { (void)s; proven("ok_iv64"); }
static void ok_scaled(void **s) { (void)s; proven("ok_scaled"); }
static void ok_nested(void **s) { (void)s; proven("ok_nested"); }
static void bad_stride(void **s) { (void)s; rejected("bad_stride"); }
static void bad_path(void **s) { (void)s; rejected("bad_path"); }
static void bad_down(void **s) { (void)s; rejected("bad_down"); }
static void bad_prefetch(void **s) { (void)s; rejected("bad_prefetch"); }
static void bad_iv64(void **s) { (void)s; rejected("bad_iv64"); }
static void bad_scaled(void **s) { (void)s; rejected("bad_scaled"); }
static void bad_bt(void **s) { (void)s; rejected("bad_bt"); }
static void bad_cmov(void **s) { (void)s; rejected("bad_cmov"); }
static void ok_noret(void **s) { (void)s; proven("ok_noret"); }
static void ok_arith(void **s) { (void)s; proven("ok_arith"); }
static void bad_sint(void **s) { (void)s; rejected("bad_sint"); }
static void bad_tzcnt(void **s) { (void)s; rejected("bad_tzcnt"); }
static void bad_noret(void **s) { (void)s; rejected("bad_noret"); }

int
main(int argc, char **argv)
{
    moat_error err = { 0 };

    if (argc != 3) {
        fprintf(stderr, "usage: test_loops LOOPS-O2.o LOOPS.o\n");
        return 2;
    }
    paths[0] = argv[1];
    paths[1] = argv[2];
    if (!moatU_read_file(paths[0], UINT64_C(1) << 24, &wasm_obj, &wasm_len,
                         &err) ||
        !moatU_read_file(paths[1], UINT64_C(1) << 24, &shapes, &shapes_len,
                         &err)) {
        fprintf(stderr, "test_loops: %s\n", err.msg);
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(honest_loops_proven),
        cmocka_unit_test(ok_up),
        cmocka_unit_test(ok_after),
        cmocka_unit_test(ok_iv64),
        cmocka_unit_test(ok_scaled),
        cmocka_unit_test(ok_nested),
        cmocka_unit_test(bad_stride),
        cmocka_unit_test(bad_path),
        cmocka_unit_test(bad_down),
        cmocka_unit_test(bad_prefetch),
        cmocka_unit_test(bad_iv64),
        cmocka_unit_test(bad_scaled),
        cmocka_unit_test(bad_bt),
        cmocka_unit_test(bad_cmov),
        cmocka_unit_test(ok_noret),
        cmocka_unit_test(bad_noret),
        cmocka_unit_test(ok_arith),
        cmocka_unit_test(bad_sint),
        cmocka_unit_test(bad_tzcnt),
        cmocka_unit_test(small_reservation_rejected),
        cmocka_unit_test(lut_entry_past_reservation_rejected),
        cmocka_unit_test(huge_function_count_rejected),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    moatU_free(wasm_obj);
    moatU_free(shapes);
    return rc;
}
