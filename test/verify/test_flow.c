/* test_flow.c - the rules proven on the memory rule's dataflow (memory,
 * indirect-call, stack; docs/verify.md) on flow.wat and honest.wat at -O0
 * and -O2 and shapes2.wat at -O0, -O2 and -O3. Every function of the
 * honest objects must be proven: each shape of flow.wat and shapes2.wat
 * was rejected before its proof (a growable table's size check, results
 * areas, a wide parameter list, frames past a page, a frame realigned to
 * 32 bytes, -O0's spills of call_indirect's values; merged call_indirect
 * sites, code after calls of functions that never return, a spilled
 * import's code called through its slot). Then mutants that would
 * escape, each found by its honest bytes (a compiler that emits other
 * code fails this test instead of skipping it) and rejected by the rule
 * named.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "memory.h"
#include "util.h"
#include "verify.h"
#include "verify_testutil.h"

enum { FLOW_O0, FLOW_O2, HONEST_O0, HONEST_O2, SHAPES2_O0, SHAPES2_O2,
       SHAPES2_O3, NOBJ };
static const char *paths[NOBJ];

static KReport *
check(const uint8_t *b, size_t len)
{
    return moatVT_verify_bytes(b, len, true);
}

static void
honest_objects_pass(void **state)
{
    (void)state;
    for (int i = 0; i < NOBJ; i++) {
        uint8_t   *b;
        size_t     len;
        moat_error err = { 0 };
        assert_true(moatU_read_file(paths[i], 1u << 30, &b, &len, &err));
        KReport *r = check(b, len);
        if (r->nviol)
            moatK_print_violations(stderr, paths[i], r);
        printf("%s: %llu functions, %llu indirect calls\n", paths[i],
               (unsigned long long)r->nfuncs,
               (unsigned long long)r->nindirect_calls);
        for (int k = 0; k < K_NRULES; k++)
            assert_int_equal(r->failed[k], 0);
        assert_int_equal(r->checked[K_ICALL], r->nfuncs);
        assert_int_equal(r->checked[K_STACK], r->nfuncs);
        free(r);
        moatU_free(b);
    }
}

/* The n bytes `from` found in object obj; `to` written over them, or
 * (nto) nto bytes at `shift` from where they start. */
typedef struct Mutant {
    int           obj;
    KRule         rule;
    const char   *what;
    const uint8_t from[16], to[16];
    size_t        n;
    int           shift;
    size_t        nto;
} Mutant;

/* Bytes of flow-O*.o and honest-O0.o (x86-64, LLVM 19). */
static const Mutant mutants[] = {
    { FLOW_O2, K_MEMORY, "a result written past the results area (0x20 -> "
      "0x30)", { 0x48, 0x89, 0x4a, 0x20 }, { 0x48, 0x89, 0x4a, 0x30 }, 4,
      0, 0 },
    { FLOW_O2, K_MEMORY, "a direct call passes an area over the return "
      "address (lea -0x30(%rbp) -> -0x20)", { 0x48, 0x8d, 0x55, 0xd0, 0xe8 },
      { 0x48, 0x8d, 0x55, 0xe0, 0xe8 }, 5, 0, 0 },
    { FLOW_O2, K_MEMORY, "call_indirect passes an area over the return "
      "address", { 0x48, 0x8d, 0x55, 0xd0, 0xff, 0xd1 },
      { 0x48, 0x8d, 0x55, 0xe0, 0xff, 0xd1 }, 6, 0, 0 },
    { FLOW_O2, K_MEMORY, "a growable table's size check dropped (jbe made "
      "nops)", { 0x39, 0x71, 0x08, 0x76, 0x51 },
      { 0x39, 0x71, 0x08, 0x66, 0x90 }, 5, 0, 0 },
    { FLOW_O2, K_MEMORY, "the index compared with the table's max, not its "
      "size", { 0x39, 0x71, 0x08, 0x76, 0x51 },
      { 0x39, 0x71, 0x0c, 0x76, 0x51 }, 5, 0, 0 },
    { FLOW_O0, K_MEMORY, "a write past the function's stack arguments "
      "(0x18(%rbp) -> 0x20(%rbp))", { 0x03, 0x45, 0xfc, 0x89, 0x45, 0x18 },
      { 0x03, 0x45, 0xfc, 0x89, 0x45, 0x20 }, 6, 0, 0 },
    { FLOW_O0, K_MEMORY, "a caller's frame without room for the callee's "
      "stack arguments (sub $0x30,%rsp -> $0)",
      { 0x48, 0x83, 0xec, 0x30, 0x48, 0x89, 0x7d, 0xf0, 0x89, 0x75, 0xfc },
      { 0x48, 0x83, 0xec, 0x00, 0x48, 0x89, 0x7d, 0xf0, 0x89, 0x75, 0xfc },
      11, 0, 0 },
    { FLOW_O2, K_ICALL, "call_indirect's type check dropped (jne made nops)",
      { 0x45, 0x39, 0xd1, 0x75, 0x46 }, { 0x45, 0x39, 0xd1, 0x66, 0x90 },
      5, 0, 0 },
    { FLOW_O2, K_ICALL, "the expected type id read from another word of "
      "the context area (the stack limit's, -0x18)",
      { 0x44, 0x8b, 0x50, 0x10, 0x48, 0x8b, 0x10, 0x45, 0x39, 0xd1 },
      { 0xe8 }, 10, -1, 1 },
    { FLOW_O2, K_ICALL, "the funcref's type id read from its kind field",
      { 0x44, 0x8b, 0x50, 0x10, 0x48, 0x8b, 0x10, 0x45, 0x39, 0xd1 },
      { 0x44, 0x8b, 0x50, 0x14, 0x48, 0x8b, 0x10, 0x45, 0x39, 0xd1 }, 10,
      0, 0 },
    { FLOW_O2, K_ICALL, "a call of the funcref itself, not its code (call "
      "*%rcx -> *%rax)", { 0x48, 0x8d, 0x55, 0xd0, 0xff, 0xd1 },
      { 0x48, 0x8d, 0x55, 0xd0, 0xff, 0xd0 }, 6, 0, 0 },
    { FLOW_O2, K_ICALL, "the caller's own ctx passed, not the funcref's "
      "(mov 0x8(%rax),%rdi -> mov %rdi,%rdi)",
      { 0x48, 0x8b, 0x78, 0x08, 0x48, 0x8d, 0x55, 0xd0, 0xff, 0xd1 },
      { 0x48, 0x89, 0xff, 0x90, 0x48, 0x8d, 0x55, 0xd0, 0xff, 0xd1 }, 10,
      0, 0 },
    { HONEST_O0, K_ICALL, "-O0: the type check's flag not inverted (xor "
      "$0xff made nops)", { 0x34, 0xff, 0xa8, 0x01 },
      { 0x66, 0x90, 0xa8, 0x01 }, 4, 0, 0 },
    { HONEST_O0, K_ICALL, "-O0: the type check's flag replaced by the hint's "
      "(and %dl,%cl -> mov)", { 0x20, 0xd1, 0xf6, 0xc1, 0x01 },
      { 0x88, 0xd1, 0xf6, 0xc1, 0x01 }, 5, 0, 0 },
    { FLOW_O0, K_STACK, "a probe step of two pages (sub $0x2000,%rsp)",
      { 0x48, 0x81, 0xec, 0x00, 0x10, 0x00, 0x00, 0x48, 0xc7, 0x04, 0x24 },
      { 0x48, 0x81, 0xec, 0x00, 0x20, 0x00, 0x00, 0x48, 0xc7, 0x04, 0x24 },
      11, 0, 0 },
    { FLOW_O0, K_STACK, "the rest of a frame past a page unprobed (sub "
      "$0x568 -> $0x10568)", { 0x48, 0x81, 0xec, 0x68, 0x05, 0x00, 0x00 },
      { 0x48, 0x81, 0xec, 0x68, 0x05, 0x01, 0x00 }, 7, 0, 0 },
    { FLOW_O0, K_STACK, "a probe loop's end not a whole number of pages "
      "(sub $0x9008,%r11)", { 0x49, 0x81, 0xeb, 0x00, 0x90, 0x00, 0x00 },
      { 0x49, 0x81, 0xeb, 0x08, 0x90, 0x00, 0x00 }, 7, 0, 0 },
    { FLOW_O0, K_STACK, "a probe loop's write dropped (movq made a nop)",
      { 0x48, 0xc7, 0x04, 0x24, 0x00, 0x00, 0x00, 0x00, 0x4c, 0x39, 0xdc },
      { 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00, 0x4c, 0x39, 0xdc },
      11, 0, 0 },
    { FLOW_O2, K_STACK, "rsp realigned by an unknown mask (and %rax,%rsp)",
      { 0x48, 0x83, 0xe4, 0xe0, 0x48, 0x81, 0xec },
      { 0x48, 0x21, 0xc4, 0x90, 0x48, 0x81, 0xec }, 7, 0, 0 },
    { FLOW_O2, K_MEMORY, "a spill past the realigned frame (0x80(%rsp) -> "
      "0x400(%rsp))", { 0xc5, 0xfd, 0x7f, 0x8c, 0x24, 0x80, 0x00, 0x00 },
      { 0xc5, 0xfd, 0x7f, 0x8c, 0x24, 0x00, 0x04, 0x00 }, 8, 0, 0 },
    { HONEST_O0, K_STACK, "sp moved by an unknown amount (sub %rax,%rsp)",
      { 0x48, 0x83, 0xec, 0x60 }, { 0x48, 0x29, 0xc4, 0x90 }, 4, 0, 0 },
    /* shapes2.wat's merged call_indirect at -O2: edges A (first load),
     * B (second load, its type check at 0xa0, its hint compare at 0xad),
     * B's hint mismatch (0x111: the type again, then jmp to the ctx load
     * at 0xb2) and the hint's edge (0xaf: mov %rsi,%rdx) */
    { SHAPES2_O2, K_ICALL, "merged call: the type check missing on one "
      "edge (jne made nops)", { 0x45, 0x39, 0xc8, 0x75, 0x6f },
      { 0x45, 0x39, 0xc8, 0x66, 0x90 }, 5, 0, 0 },
    { SHAPES2_O2, K_ICALL, "merged call: the type check of the hint "
      "mismatch's edge missing", { 0x45, 0x39, 0xc8, 0x75, 0x0f, 0xeb, 0x9a },
      { 0x45, 0x39, 0xc8, 0x66, 0x90, 0xeb, 0x9a }, 7, 0, 0 },
    { SHAPES2_O2, K_ICALL, "merged call: one edge calls the stale hint with "
      "the funcref's ctx (jmp 0xb2 -> 0xaf)", { 0x75, 0x0f, 0xeb, 0x9a },
      { 0x75, 0x0f, 0xeb, 0x97 }, 4, 0, 0 },
    { SHAPES2_O2, K_ICALL, "merged call: one edge skips the ctx load (jmp "
      "0xb2 -> 0xb6: the table pointer in rdi)", { 0x75, 0x0f, 0xeb, 0x9a },
      { 0x75, 0x0f, 0xeb, 0x9e }, 4, 0, 0 },
    /* shapes2.wat at -O3: $fail (wasm_f3 at 0x140, the first of two
     * functions that end so) made to return; its callers have code after
     * their calls of it, which the dataflow now falls into */
    { SHAPES2_O3, K_MEMORY, "a function that never returned made to return "
      "(pop %rbp; ret before its trap)",
      { 0x89, 0x77, 0x3c, 0xbe, 0x01, 0x00, 0x00, 0x00, 0xe8 },
      { 0x5d, 0xc3, 0x90 }, 9, 0, 3 },
    { SHAPES2_O3, K_MEMORY, "a function that never returned made to tail "
      "call one that returns (pop %rbp; jmp wasm_f1, at 0)",
      { 0x89, 0x77, 0x3c, 0xbe, 0x01, 0x00, 0x00, 0x00, 0xe8 },
      { 0x5d, 0xe9, 0x0f, 0xfe, 0xff, 0xff, 0x90, 0x90 }, 9, 0, 8 },
    /* shapes2.wat's spill at -O2: the import's ctx at -0x40(%rbp), its
     * code at -0x48, the caller's own ctx at -0x30 */
    { SHAPES2_O2, K_ICALL, "a spilled import called with the caller's ctx "
      "(mov -0x40(%rbp),%rdi -> -0x30)",
      { 0x48, 0x8b, 0x7d, 0xc0, 0xff, 0x55, 0xb8 },
      { 0x48, 0x8b, 0x7d, 0xd0, 0xff, 0x55, 0xb8 }, 7, 0, 0 },
    { SHAPES2_O2, K_ICALL, "a call through the slot of the caller's ctx "
      "(call *-0x48(%rbp) -> *-0x30)",
      { 0x48, 0x8b, 0x7d, 0xc0, 0xff, 0x55, 0xb8 },
      { 0x48, 0x8b, 0x7d, 0xc0, 0xff, 0x55, 0xd0 }, 7, 0, 0 },
    /* lookup: `cmp $0x9,%esi; ja` then `lea T(%rip),%r8` and `mov
     * (%r8,%rax,4),%eax`; lookup2: its table of 8-byte indices (7, 6, 2,
     * ...) picks elems[i] of the 16-element table, no bounds check */
    { SHAPES2_O2, K_MEMORY, "a lookup table's bound check dropped (ja made "
      "nops)", { 0x83, 0xfe, 0x09, 0x77, 0x23 },
      { 0x83, 0xfe, 0x09, 0x66, 0x90 }, 5, 0, 0 },
    { SHAPES2_O2, K_MEMORY, "a store through the lookup table's address",
      { 0x41, 0x8b, 0x04, 0x80 }, { 0x41, 0x89, 0x04, 0x80 }, 4, 0, 0 },
    { SHAPES2_O2, K_MEMORY, "a lookup table's entry past the funcref table "
      "(7 -> 16 in .rodata)",
      { 7, 0, 0, 0, 0, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0 },
      { 16, 0, 0, 0, 0, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0 }, 16, 0, 0 },
    { SHAPES2_O2, K_MEMORY, "the lookup's default index not zeroed (xor "
      "%ecx,%ecx -> xor %eax,%ecx)", { 0xeb, 0x02, 0x31, 0xc9 },
      { 0xeb, 0x02, 0x31, 0xc1 }, 4, 0, 0 },
    /* pick: `cmove %rsi,%rax` of two heap pointers; clamp: `cmp $0xf,%esi;
     * mov $0xf,%ecx; cmovb %esi,%ecx` then elems[rcx] of 16 */
    { SHAPES2_O2, K_MEMORY, "cmov of a register that is not a heap pointer "
      "(cmove %rsi,%rax -> %rdx,%rax)", { 0x48, 0x0f, 0x44, 0xc6 },
      { 0x48, 0x0f, 0x44, 0xc2 }, 4, 0, 0 },
    { SHAPES2_O2, K_MEMORY, "a clamp one past the table (cmp $0xf -> $0x11)",
      { 0x83, 0xfe, 0x0f, 0xb9, 0x0f, 0, 0, 0, 0x0f, 0x42, 0xce },
      { 0x83, 0xfe, 0x11, 0xb9, 0x0f, 0, 0, 0, 0x0f, 0x42, 0xce }, 11, 0,
      0 },
    { SHAPES2_O2, K_MEMORY, "a clamp's condition inverted (cmovb -> cmovae)",
      { 0x83, 0xfe, 0x0f, 0xb9, 0x0f, 0, 0, 0, 0x0f, 0x42, 0xce },
      { 0x83, 0xfe, 0x0f, 0xb9, 0x0f, 0, 0, 0, 0x0f, 0x43, 0xce }, 11, 0,
      0 },
    { SHAPES2_O2, K_MEMORY, "a clamp's constant past the table (mov $0xf -> "
      "$0x10)", { 0x83, 0xfe, 0x0f, 0xb9, 0x0f, 0, 0, 0, 0x0f, 0x42, 0xce },
      { 0x83, 0xfe, 0x0f, 0xb9, 0x10, 0, 0, 0, 0x0f, 0x42, 0xce }, 11, 0,
      0 },
    /* xset: `mov -0x80(%rdi),%rax` (table $x), `cmp %esi,0x8(%rax); jbe`,
     * `mov %rdx,(%rax,%rcx,8)` */
    { SHAPES2_O2, K_MEMORY, "an externref table.set's bound check dropped "
      "(jbe made nops)", { 0x39, 0x70, 0x08, 0x76, 0x1d },
      { 0x39, 0x70, 0x08, 0x66, 0x90 }, 5, 0, 0 },
    { SHAPES2_O2, K_MEMORY, "xset1's constant index past the table's "
      "minimum and its check (element 1 -> 2)",
      { 0x83, 0x78, 0x08, 0x01, 0x76, 0x1b, 0x48, 0x8b, 0x00, 0x48, 0x89,
        0x70, 0x08 },
      { 0x83, 0x78, 0x08, 0x01, 0x76, 0x1b, 0x48, 0x8b, 0x00, 0x48, 0x89,
        0x70, 0x10 }, 13, 0, 0 },
};

static void
escapes_rejected(void **state)
{
    (void)state;
    uint8_t   *b[NOBJ];
    size_t     len[NOBJ];
    moat_error err = { 0 };

    for (int i = 0; i < NOBJ; i++)
        assert_true(moatU_read_file(paths[i], 1u << 30, &b[i], &len[i],
                                    &err));
    for (size_t i = 0; i < sizeof mutants / sizeof mutants[0]; i++) {
        const Mutant *mu = &mutants[i];
        uint8_t *at = memmem(b[mu->obj], len[mu->obj], mu->from, mu->n);
        printf("%s: ", mu->what);
        assert_non_null(at);            /* the honest shape is there */
        uint8_t *m = malloc(len[mu->obj]);
        assert_non_null(m);
        memcpy(m, b[mu->obj], len[mu->obj]);
        if (mu->nto)
            memcpy(m + (at - b[mu->obj]) + mu->shift, mu->to, mu->nto);
        else
            memcpy(m + (at - b[mu->obj]), mu->to, mu->n);
        KReport *r = check(m, len[mu->obj]);
        for (uint32_t k = 0; k < r->nkept; k++)
            if (r->kept[k].rule == mu->rule) {
                printf("%s: %s\n", moatK_rule_name[mu->rule],
                       r->kept[k].msg);
                break;
            }
        /* sp off at a ret: rule saved (a default rule) may see it first,
         * and then the flow rules do not examine the function */
        bool by_saved = mu->rule == K_STACK && r->failed[K_SAVED] > 0;
        if (by_saved && r->failed[mu->rule] == 0)
            printf("saved (before stack): the function breaks rule saved\n");
        assert_true(r->failed[mu->rule] > 0 || by_saved);
        free(r);
        free(m);
    }
    printf("%zu mutants, all rejected by the rule named\n",
           sizeof mutants / sizeof mutants[0]);
    for (int i = 0; i < NOBJ; i++)
        moatU_free(b[i]);
}

/* A random funcref value of id 1..3 (or the phi id 9) in a register or
 * slot; or not a funcref. */
static AVal
random_ref(unsigned *seed)
{
    static const uint8_t kinds[] = { A_REF, A_RCODE, A_RCTX, A_RTYPE };
    unsigned r = (unsigned)rand_r(seed);

    if (r % 5 == 0)
        return (AVal){ A_BND, 7, 0 };
    int64_t id = r / 5 % 4 == 3 ? 9 : r / 5 % 4 + 1;
    return (AVal){ kinds[r / 20 % 4], id | (r / 80 % 2 ? REF_TYPED : 0),
                   0 };
}

static void
random_state(AState *st, unsigned *seed)
{
    memset(st, 0, sizeof *st);
    st->seen = true;
    for (int r = 0; r < 16; r++)
        st->r[r] = random_ref(seed);
    st->nslot = 4;
    for (uint32_t i = 0; i < 4; i++) {
        st->soff[i] = -8 * (int64_t)(4 - i);
        st->ssize[i] = 8;
        st->sval[i] = random_ref(seed);
        st->seq[i] = -1;
    }
}

static int64_t
id_of(AVal v)
{
    return v.k == A_BND ? -1 : v.c & ID_MASK;
}

/* Joins of two random states at a block whose phi id is 9: in the result,
 * two positions with one id (not 0) held one id each on each side, so
 * they name one funcref on every path (a code and a ctx of different
 * funcrefs never share an id); typed only where both sides were. */
static void
phi_keeps_funcrefs_apart(void **state)
{
    (void)state;
    unsigned seed = 11, merged_ids = 0;
    AState  *to = malloc(sizeof *to), *in = malloc(sizeof *in);
    AState  *a = malloc(sizeof *a), *scratch = malloc(sizeof *scratch);

    assert_true(to && in && a && scratch);
    for (int n = 0; n < 20000; n++) {
        bool changed;
        random_state(a, &seed);
        random_state(in, &seed);
        *to = *a;
        const AState *m = moatK_ref_phi(to, in, 9, scratch, &changed);
        moatK_merge(to, m);
        AVal res[20], av[20], bv[20];
        for (int r = 0; r < 16; r++) {
            res[r] = to->r[r];
            av[r] = a->r[r];
            bv[r] = in->r[r];
        }
        for (uint32_t i = 0; i < 4; i++) {
            int k = moatK_slot_find(to, a->soff[i], 8);
            res[16 + i] = k >= 0 ? to->sval[k] : moatK_top();
            av[16 + i] = a->sval[i];
            bv[16 + i] = in->sval[i];
        }
        for (int p = 0; p < 20; p++) {
            int64_t id = res[p].k == A_TOP ? 0 : id_of(res[p]);
            if (id <= 0)
                continue;
            if (res[p].c & REF_TYPED)
                assert_true((av[p].c & bv[p].c & REF_TYPED) != 0);
            merged_ids += id == 9 && id_of(av[p]) != id_of(bv[p]);
            for (int q = 0; q < 20; q++)
                if (q != p && res[q].k != A_TOP && id_of(res[q]) == id) {
                    assert_int_equal(id_of(av[p]), id_of(av[q]));
                    assert_int_equal(id_of(bv[p]), id_of(bv[q]));
                }
        }
    }
    printf("20000 random joins: %u positions of two funcrefs got the phi "
           "id, none paired across funcrefs\n", merged_ids);
    assert_true(merged_ids > 1000);     /* the proof does happen */
    free(to);
    free(in);
    free(a);
    free(scratch);
}

int
main(int argc, char **argv)
{
    if (argc != 1 + NOBJ) {
        fprintf(stderr, "usage: test_flow FLOW_O0.o FLOW_O2.o HONEST_O0.o "
                "HONEST_O2.o SHAPES2_O0.o SHAPES2_O2.o SHAPES2_O3.o\n");
        return 2;
    }
    for (int i = 0; i < NOBJ; i++)
        paths[i] = argv[1 + i];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(honest_objects_pass),
        cmocka_unit_test(escapes_rejected),
        cmocka_unit_test(phi_keeps_funcrefs_apart),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
