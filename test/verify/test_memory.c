/* test_memory.c - the (partial) memory rule against mutants of honest.wat
 * at -O2 that would escape the sandbox: a heap index widened to 64 bits
 * or scaled, a constant past the guard, the heap base register
 * overwritten, the stack pointer moved by an unknown amount, a store over
 * the return address or into the context header, a helper called without
 * ctx, a callee-saved register not restored, an fs read of another word.
 * Each mutant is found by its honest bytes (so a compiler that emits
 * other code fails this test instead of skipping it), must verify without
 * the memory rule's violations before the change and be rejected by it
 * after. The honest objects at -O0 and -O2 must pass the rule.
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

static const char *paths[2];

static uint64_t
memory_failures(const uint8_t *b, size_t len, uint64_t *other)
{
    KReport *r = calloc(1, sizeof *r);
    assert_non_null(r);
    r->check_memory = true;
    moatK_verify(b, len, r);
    uint64_t n = r->failed[K_MEMORY];
    *other = 0;
    for (int k = 0; k < K_NRULES; k++)
        *other += k == K_MEMORY ? 0 : r->failed[k];
    if (n == 0)
        moatK_print_violations(stderr, "mutant", r);
    for (uint32_t k = 0; k < r->nkept; k++)
        if (r->kept[k].rule == K_MEMORY) {
            printf("  -> %s+0x%llx: %s\n", r->kept[k].func,
                   (unsigned long long)r->kept[k].func_off, r->kept[k].msg);
            break;
        }
    free(r);
    return n;
}

/* -O0 and -O2: every function proven. At -O0 the call_indirect
 * function spills its index to a 4-byte frame slot and its funcref to an
 * 8-byte one before the bound and null checks of the registers, and
 * reloads them after: the slots are followed as equal to the registers
 * (before that, this function was rejected). */
static void
honest_objects_pass_memory(void **state)
{
    (void)state;
    for (int i = 0; i < 2; i++) {
        uint8_t   *b;
        size_t     len;
        moat_error err = { 0 };
        uint64_t   other;
        assert_true(moatU_read_file(paths[i], 1u << 30, &b, &len, &err));
        assert_int_equal(memory_failures(b, len, &other), 0);
        assert_int_equal(other, 0);
        moatU_free(b);
    }
}

typedef struct Mutant {
    const char   *what;
    const uint8_t from[16], to[16];
    size_t        n;
} Mutant;

/* Bytes of honest-O2.o's functions (x86-64, LLVM 19) and their change. */
static const Mutant mutants[] = {
    { "heap index widened to 64 bits (rcx -> rdx, not zero-extended)",
      { 0x03, 0x44, 0x0f, 0x08 }, { 0x03, 0x44, 0x17, 0x08 }, 4 },
    { "heap index scaled by 8",
      { 0x03, 0x44, 0x0f, 0x08 }, { 0x03, 0x44, 0xcf, 0x08 }, 4 },
    { "a constant past the guard (disp 0x7fffffff)",
      { 0x89, 0xf1, 0x03, 0x44, 0x0f, 0x08, 0x83, 0xc6, 0x04 },
      { 0x89, 0xf1, 0x03, 0x84, 0x0f, 0xff, 0xff, 0xff, 0x7f }, 9 },
    { "the heap base register overwritten (mov %esi,%edi)",
      { 0x89, 0xf1, 0x03, 0x44 }, { 0x89, 0xf7, 0x03, 0x44 }, 4 },
    { "the stack pointer moved by an unknown amount (sub %rax,%rsp)",
      { 0x48, 0x89, 0xe5, 0x48, 0x8b, 0x47, 0xe8, 0x64, 0x48, 0x3b, 0x20,
        0x72, 0x15 },
      { 0x48, 0x29, 0xc4, 0x48, 0x8b, 0x47, 0xe8, 0x64, 0x48, 0x3b, 0x20,
        0x72, 0x15 }, 13 },
    { "a store over the return address (mov %rax,0x8(%rbp))",
      { 0x48, 0x8b, 0x47, 0xe8, 0x64, 0x48, 0x3b, 0x20, 0x72, 0x07 },
      { 0x48, 0x89, 0x45, 0x08, 0x64, 0x48, 0x3b, 0x20, 0x72, 0x07 }, 10 },
    { "a store into the context header (mov %rax,-0x8(%rdi))",
      { 0x48, 0x8b, 0x47, 0xe8, 0x64, 0x48, 0x3b, 0x20, 0x72, 0x07 },
      { 0x48, 0x89, 0x47, 0xf8, 0x64, 0x48, 0x3b, 0x20, 0x72, 0x07 }, 10 },
    { "a helper called without ctx (xor %edi,%edi)",
      { 0x64, 0x48, 0x3b, 0x20, 0x72, 0x07, 0xe8 },
      { 0x31, 0xff, 0x90, 0x90, 0x72, 0x07, 0xe8 }, 7 },
    { "a callee-saved register not restored (xor %ebx,%ebx)",
      { 0x31, 0xc0, 0x89, 0xf1 }, { 0x31, 0xdb, 0x89, 0xf1 }, 4 },
    { "call_indirect's bound check dropped (jae made nops)",
      { 0x83, 0xfe, 0x04, 0x73, 0x4a }, { 0x83, 0xfe, 0x04, 0x66, 0x90 },
      5 },
    { "call_indirect's bound past the table (cmp $4 made cmp $5)",
      { 0x83, 0xfe, 0x04, 0x73, 0x4a }, { 0x83, 0xfe, 0x05, 0x73, 0x4a },
      5 },
    { "call_indirect's null check dropped (je made nops)",
      { 0x48, 0x85, 0xc0, 0x74, 0x41 }, { 0x48, 0x85, 0xc0, 0x66, 0x90 },
      5 },
    { "an fs read of another word (the epoch pointer's)",
      { 0x48, 0x8b, 0x47, 0xe8, 0x64, 0x48, 0x3b, 0x20, 0x72, 0x15 },
      { 0x48, 0x8b, 0x47, 0xe0, 0x64, 0x48, 0x3b, 0x20, 0x72, 0x15 }, 10 },
};

static void
escapes_rejected(void **state)
{
    (void)state;
    uint8_t   *b;
    size_t     len;
    moat_error err = { 0 };

    assert_true(moatU_read_file(paths[1], 1u << 30, &b, &len, &err));
    for (size_t i = 0; i < sizeof mutants / sizeof mutants[0]; i++) {
        const Mutant *mu = &mutants[i];
        uint8_t *at = memmem(b, len, mu->from, mu->n);
        uint64_t other;
        printf("%s\n", mu->what);
        assert_non_null(at);            /* the honest shape is there */
        uint8_t *m = malloc(len);
        assert_non_null(m);
        memcpy(m, b, len);
        memcpy(m + (at - b), mu->to, mu->n);
        assert_true(memory_failures(m, len, &other) > 0);
        free(m);
    }
    printf("%zu memory mutants, all rejected\n",
           sizeof mutants / sizeof mutants[0]);
    moatU_free(b);
}

int
main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: test_memory HONEST_O0.o HONEST_O2.o\n");
        return 2;
    }
    paths[0] = argv[1];
    paths[1] = argv[2];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(honest_objects_pass_memory),
        cmocka_unit_test(escapes_rejected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
