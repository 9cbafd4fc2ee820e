/* test_mutants.c - the checker against hand-made mutants of honest
 * objects (honest.wat compiled at -O0 and -O2; paths in argv): the honest
 * objects must verify with no violation, and every mutant must be
 * rejected by the rule it breaks: a syscall, int3 or segment write patched
 * over an instruction, bytes that do not decode, a function size that cuts
 * an instruction, a jump into the middle of an instruction or out of its
 * function, a call to an absolute address or into a function, a symbol
 * off the allow-list, an unbounded table jump, a relocation moved off its
 * field, a descriptor code pointer off a function start, a function that
 * runs off its end. Each test prints how many mutants it made.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <Zydis/Zydis.h>
#include <cmocka.h>

#include "elfload.h"
#include "util.h"
#include "verify.h"
#include "verify_testutil.h"

static const char *paths[2], *hoisted_path;

typedef struct Obj {
    uint8_t *bytes;
    size_t   len;
    KObj     o;
    KReport  rep;
    KCheck   c;
} Obj;

static void
load(Obj *x, int which)
{
    moat_error err = { 0 };

    memset(x, 0, sizeof *x);
    assert_true(moatU_read_file(paths[which], UINT64_C(1) << 30, &x->bytes,
                                &x->len, &err));
    x->c.rep = &x->rep;
    assert_true(moatK_obj_read(&x->c, x->bytes, x->len, &x->o));
}

static void
unload(Obj *x)
{
    moatK_obj_free(&x->o);
    moatU_free(x->bytes);
}

/* Checks a mutant copy; true when rule `want` rejected it. */
static bool
rejected(const uint8_t *m, size_t len, KRule want)
{
    KReport *r = calloc(1, sizeof *r);
    assert_non_null(r);
    uint64_t n = moatK_verify(m, len, r);
    bool     ok = n > 0 && r->failed[want] > 0;
    if (!ok) {
        fprintf(stderr, "mutant not rejected by %s (%llu violations):\n",
                moatK_rule_name[want], (unsigned long long)n);
        moatK_print_violations(stderr, "mutant", r);
    }
    free(r);
    return ok;
}

static uint64_t
file_off(const Obj *x, uint32_t sec, uint64_t off)
{
    return (uint64_t)(x->o.sec[sec].data - x->bytes) + off;
}

typedef struct Site {
    uint64_t off;               /* section offset */
    ZydisDecodedInstruction in;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
} Site;

/* Calls fn on every instruction of every function; fn returns how many
 * mutants it made and checked. */
typedef unsigned (*SiteFn)(Obj *x, const KFunc *f, const Site *s);

static unsigned
each_site(Obj *x, SiteFn fn)
{
    ZydisDecoder d;
    unsigned     n = 0;

    ZydisDecoderInit(&d, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
    for (uint32_t i = 0; i < x->o.nfn; i++) {
        const KFunc *f = &x->o.fn[i];
        const KSec  *s = &x->o.sec[f->sec];
        for (uint64_t off = f->lo; off < f->hi;) {
            Site st = { .off = off };
            assert_true(ZYAN_SUCCESS(ZydisDecoderDecodeFull(
                &d, s->data + off, f->hi - off, &st.in, st.ops)));
            n += fn(x, f, &st);
            off += st.in.length;
        }
    }
    return n;
}

/* Writes code over the instruction (padded with nops to its length) and
 * checks rule want rejects the copy. */
static unsigned
overwrite(Obj *x, const KFunc *f, const Site *s, const uint8_t *code,
          size_t n, KRule want)
{
    uint32_t nrel;

    /* an instruction with a relocation: the reloc rule would reject the
     * mutant first, and this mutant is about rule want */
    moatK_rels_in(&x->o.sec[f->sec], s->off, s->off + s->in.length, &nrel);
    if (n > s->in.length || nrel)
        return 0;
    uint8_t *m = malloc(x->len);
    assert_non_null(m);
    memcpy(m, x->bytes, x->len);
    uint64_t at = file_off(x, f->sec, s->off);
    memset(m + at, 0x90, s->in.length);
    memcpy(m + at, code, n);
    assert_true(rejected(m, x->len, want));
    free(m);
    return 1;
}

static unsigned
put_syscall(Obj *x, const KFunc *f, const Site *s)
{
    static const uint8_t c[] = { 0x0f, 0x05 };
    return overwrite(x, f, s, c, sizeof c, K_INSN);
}

static unsigned
put_int3(Obj *x, const KFunc *f, const Site *s)
{
    static const uint8_t c[] = { 0xcc };
    static const uint8_t popf[] = { 0x9d };
    static const uint8_t ldmxcsr[] = { 0x0f, 0xae, 0x10 };  /* (%rax) */
    static const uint8_t fxrstor[] = { 0x0f, 0xae, 0x08 };  /* (%rax) */
    return overwrite(x, f, s, c, sizeof c, K_INSN) +
           overwrite(x, f, s, popf, sizeof popf, K_INSN) +
           overwrite(x, f, s, ldmxcsr, sizeof ldmxcsr, K_INSN) +
           overwrite(x, f, s, fxrstor, sizeof fxrstor, K_INSN);
}

static unsigned
put_bad_byte(Obj *x, const KFunc *f, const Site *s)
{
    static const uint8_t c[] = { 0x06 };        /* push es: not in 64-bit */
    return overwrite(x, f, s, c, sizeof c, K_DECODE);
}

static unsigned
put_fs_write(Obj *x, const KFunc *f, const Site *s)
{
    static const uint8_t mov_fs[] = { 0x8e, 0xe0 };      /* mov %eax,%fs */
    static const uint8_t gs_store[] = { 0x65, 0x89, 0x00 };
    static const uint8_t wrfsbase[] = { 0xf3, 0x48, 0x0f, 0xae, 0xd0 };
    return overwrite(x, f, s, mov_fs, sizeof mov_fs, K_SEGMENT) +
           overwrite(x, f, s, gs_store, sizeof gs_store, K_SEGMENT) +
           overwrite(x, f, s, wrfsbase, sizeof wrfsbase, K_SEGMENT);
}

/* call rel32 to an address outside the code, and to a function + 1 */
static unsigned
put_bad_call(Obj *x, const KFunc *f, const Site *s)
{
    uint8_t  c[5] = { 0xe8 };
    int32_t  rel = 0x7ff00000;
    unsigned n = 0;

    memcpy(c + 1, &rel, 4);
    n += overwrite(x, f, s, c, sizeof c, K_CALL);
    rel = (int32_t)(f->lo + 1 - (s->off + 5));
    memcpy(c + 1, &rel, 4);
    return n + overwrite(x, f, s, c, sizeof c, K_CALL);
}

/* A direct jump whose target moves one byte on (into the instruction
 * there, when it is longer than a byte) or before the function. */
static unsigned
bend_jump(Obj *x, const KFunc *f, const Site *s)
{
    const ZydisDecodedInstruction *in = &s->in;
    ZydisDecoder d;
    ZydisDecodedInstruction t;

    if (!in->raw.imm[0].is_relative || in->mnemonic == ZYDIS_MNEMONIC_CALL ||
        in->raw.imm[0].size != 8)
        return 0;
    uint64_t to = s->off + in->length + (uint64_t)in->raw.imm[0].value.s;
    if (to < f->lo || to >= f->hi)
        return 0;
    ZydisDecoderInit(&d, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
    assert_true(ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(
        &d, NULL, x->o.sec[f->sec].data + to, f->hi - to, &t)));
    uint8_t *m = malloc(x->len);
    unsigned n = 0;
    assert_non_null(m);
    uint64_t imm = file_off(x, f->sec, s->off + in->raw.imm[0].offset);
    if (t.length > 1 && in->raw.imm[0].value.s < 127) {
        memcpy(m, x->bytes, x->len);
        m[imm]++;
        assert_true(rejected(m, x->len, K_JUMP));
        n++;
    }
    int64_t out = (int64_t)f->lo - 1 - (int64_t)(s->off + in->length);
    if (out >= -128) {
        memcpy(m, x->bytes, x->len);
        m[imm] = (uint8_t)(int8_t)out;
        assert_true(rejected(m, x->len, K_JUMP));
        n++;
    }
    free(m);
    return n;
}

/* The bound check of a table jump removed: ja/jae rel8 made two nops in
 * a function that has an indirect jump. */
static unsigned
drop_bound(Obj *x, const KFunc *f, const Site *s)
{
    static const uint8_t nops[] = { 0x66, 0x90 };
    ZydisDecoder d;
    bool has_ijmp = false;

    if ((s->in.mnemonic != ZYDIS_MNEMONIC_JNBE &&
         s->in.mnemonic != ZYDIS_MNEMONIC_JNB) || s->in.length != 2)
        return 0;
    ZydisDecoderInit(&d, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
    for (uint64_t off = s->off; off < f->hi;) {
        ZydisDecodedInstruction in;
        assert_true(ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(
            &d, NULL, x->o.sec[f->sec].data + off, f->hi - off, &in)));
        if (in.mnemonic == ZYDIS_MNEMONIC_JMP && !in.raw.imm[0].is_relative)
            has_ijmp = true;
        off += in.length;
    }
    return has_ijmp ? overwrite(x, f, s, nops, sizeof nops, K_TABLE) : 0;
}

/* The last ret made a nop: the function runs off its end. */
static unsigned
drop_ret(Obj *x, const KFunc *f, const Site *s)
{
    static const uint8_t nop[] = { 0x90 };
    if (s->in.mnemonic != ZYDIS_MNEMONIC_RET || s->off + 1 != f->hi)
        return 0;
    return overwrite(x, f, s, nop, sizeof nop, K_END);
}

static void
honest_objects_verify(void **state)
{
    (void)state;
    for (int i = 0; i < 2; i++) {
        Obj x;
        load(&x, i);
        assert_true(x.o.nfn >= 5);
        assert_int_equal(moatK_verify(x.bytes, x.len, &x.rep), 0);
        unload(&x);
    }
}

static void
run_sites(const char *what, SiteFn fn)
{
    unsigned n = 0;
    for (int i = 0; i < 2; i++) {
        Obj x;
        load(&x, i);
        n += each_site(&x, fn);
        unload(&x);
    }
    printf("%s: %u mutants, all rejected\n", what, n);
    assert_true(n > 0);
}

static void
syscall_rejected(void **s)
{
    (void)s;
    run_sites("syscall", put_syscall);
}
static void
int3_rejected(void **s)
{
    (void)s;
    run_sites("int3, popf, ldmxcsr, fxrstor", put_int3);
}
static void
bad_byte_rejected(void **s)
{
    (void)s;
    run_sites("undecodable", put_bad_byte);
}
static void
segment_rejected(void **s)
{
    (void)s;
    run_sites("segment", put_fs_write);
}
static void
bad_call_rejected(void **s)
{
    (void)s;
    run_sites("call", put_bad_call);
}
static void
bent_jump_rejected(void **s)
{
    (void)s;
    run_sites("jump", bend_jump);
}
static void
unbounded_table_rejected(void **s)
{
    (void)s;
    run_sites("table", drop_bound);
}
static void
no_ret_rejected(void **s)
{
    (void)s;
    run_sites("end", drop_ret);
}

/* Section header i of the file, copied. */
static ElfShdr
shdr(const Obj *x, uint32_t i)
{
    ElfEhdr e;
    ElfShdr h;
    memcpy(&e, x->bytes, sizeof e);
    memcpy(&h, x->bytes + e.shoff + i * sizeof h, sizeof h);
    return h;
}

/* Relocation and symbol mutants, over the file's own records. */
static void
records_rejected(void **state)
{
    (void)state;
    unsigned n = 0;
    for (int w = 0; w < 2; w++) {
        Obj x;
        load(&x, w);
        uint8_t *m = malloc(x.len);
        uint32_t code_sym = 0;              /* the code section's symbol */
        assert_non_null(m);
        for (uint32_t k = 0; k < x.o.nsym; k++)
            if (x.o.sym[k].type == ELF_STT_SECTION &&
                x.o.sym[k].shndx < x.o.nsec &&
                x.o.sec[x.o.sym[k].shndx].is_code)
                code_sym = k;
        for (uint32_t i = 0; i < x.o.nsec; i++) {
            ElfShdr h = shdr(&x, i);
            const KSec *to = &x.o.sec[h.info];
            for (uint64_t k = 0; h.type == ELF_SHT_RELA &&
                                 k < h.size / sizeof(ElfRela); k++) {
                ElfRela r;
                uint64_t at = h.offset + k * sizeof r;
                memcpy(&r, x.bytes + at, sizeof r);
                const KSym *sym = &x.o.sym[r.info >> 32];
                memcpy(m, x.bytes, x.len);
                if (to->is_code && (uint32_t)r.info == K_R_PLT32) {
                    r.offset--;             /* onto the call's opcode */
                    memcpy(m + at, &r, sizeof r);
                    assert_true(rejected(m, x.len, K_RELOC));
                    n++;
                } else if (to->is_code && (uint32_t)r.info == K_R_PC32 &&
                           code_sym) {
                    /* a RIP-relative operand made to name code inside a
                     * function instead of read-only data */
                    r.info = (uint64_t)code_sym << 32 | K_R_PC32;
                    r.addend = 1;
                    memcpy(m + at, &r, sizeof r);
                    assert_true(rejected(m, x.len, K_CODEPTR));
                    n++;
                } else if (!to->is_code && (to->flags & ELF_SHF_ALLOC) &&
                           strcmp(to->name, ".eh_frame") &&
                           (uint32_t)r.info == K_R_64 && sym->shndx &&
                           sym->shndx < x.o.nsec &&
                           x.o.sec[sym->shndx].is_code) {
                    r.addend++;             /* a function's address + 1 */
                    memcpy(m + at, &r, sizeof r);
                    assert_true(rejected(m, x.len, K_CODEPTR));
                    n++;
                }
            }
            if (h.type != ELF_SHT_STRTAB)
                continue;
            /* moatR_trap renamed: a symbol off the allow-list */
            for (uint64_t k = 0; k + 11 <= h.size; k++)
                if (!memcmp(x.bytes + h.offset + k, "moatR_trap", 11)) {
                    memcpy(m, x.bytes, x.len);
                    memcpy(m + h.offset + k, "system\0\0\0\0", 11);
                    assert_true(rejected(m, x.len, K_EXTERN));
                    assert_true(rejected(m, x.len, K_CALL));
                    n++;
                }
        }
        free(m);
        unload(&x);
    }
    printf("relocations and symbols: %u mutants, all rejected\n", n);
    assert_true(n > 10);
}

/* A function symbol whose size cuts its last instruction. */
static void
cut_function_rejected(void **state)
{
    (void)state;
    unsigned n = 0;
    for (int w = 0; w < 2; w++) {
        Obj x;
        load(&x, w);
        uint8_t *m = malloc(x.len);
        assert_non_null(m);
        for (uint32_t i = 0; i < x.o.nsec; i++) {
            ElfShdr h = shdr(&x, i);
            for (uint64_t k = 1; h.type == ELF_SHT_SYMTAB &&
                                 k < h.size / sizeof(ElfSym); k++) {
                ElfSym s;
                uint64_t at = h.offset + k * sizeof s;
                memcpy(&s, x.bytes + at, sizeof s);
                if ((s.info & 0xf) != ELF_STT_FUNC || s.size < 2)
                    continue;
                memcpy(m, x.bytes, x.len);
                s.size--;
                memcpy(m + at, &s, sizeof s);
                KReport *r = calloc(1, sizeof *r);
                assert_non_null(r);
                assert_true(moatK_verify(m, x.len, r) > 0);
                /* a cut ret leaves a function that runs off its end */
                assert_true(r->failed[K_DECODE] + r->failed[K_END] > 0);
                free(r);
                n++;
            }
        }
        free(m);
        unload(&x);
    }
    printf("cut functions: %u mutants, all rejected\n", n);
    assert_true(n > 0);
}

/* Random bytes: into the code of each function, and anywhere in the file
 * (headers, symbols, relocations). The checker must not crash or hang
 * (ASan in the debug build); what it says is counted, not asserted: a
 * random change may be harmless (padding, debug data). Fixed seed. */
static void
random_bytes_survive(void **state)
{
    (void)state;
    unsigned long long nrej = 0, nmem = 0, n = 0;
    unsigned long long seed = 0x9e3779b97f4a7c15ull;
    for (int w = 0; w < 2; w++) {
        Obj x;
        load(&x, w);
        uint8_t *m = malloc(x.len);
        assert_non_null(m);
        for (int it = 0; it < 4000; it++, n++) {
            memcpy(m, x.bytes, x.len);
            for (int k = 0; k < 1 + it % 8; k++) {
                seed = seed * 6364136223846793005ull + 1442695040888963407ull;
                uint64_t r = seed >> 17;
                uint64_t at;
                if (it % 2) {
                    const KFunc *f = &x.o.fn[r % x.o.nfn];
                    at = file_off(&x, f->sec, f->lo + (r >> 20) %
                                                          (f->hi - f->lo));
                } else {
                    at = (r >> 8) % x.len;
                }
                m[at] = (uint8_t)(r >> 40);
            }
            KReport *rep = calloc(1, sizeof *rep);
            assert_non_null(rep);
            rep->check_memory = true;
            moatK_verify(m, x.len, rep);
            uint64_t other = 0;
            for (int r = 0; r < K_NRULES; r++)
                other += r == K_MEMORY ? 0 : rep->failed[r];
            nrej += other > 0;
            nmem += other == 0 && rep->failed[K_MEMORY] > 0;
            if (getenv("MOAT_VERIFY_DUMP") && other == 0 &&
                rep->failed[K_MEMORY] == 0)
                for (size_t k = 0; k < x.len; k++)
                    if (m[k] != x.bytes[k])
                        printf("passing mutant %d/%d: file offset 0x%zx: "
                               "%02x -> %02x\n", w, it, k, x.bytes[k], m[k]);
            free(rep);
        }
        free(m);
        unload(&x);
    }
    printf("random bytes: %llu objects, %llu rejected by the rules checked "
           "by default, %llu more by the partial memory rule, %llu pass "
           "every rule (MOAT_VERIFY_DUMP=1 lists their changed bytes; "
           "docs/verify.md)\n", n, nrej, nmem, n - nrej - nmem);
}

/* hoisted.wat at -O2: `lea T(%rip), %rcx` before the loop, the table jump
 * in it. Honest: proven (table_base.c). The base register overwritten in
 * the loop, or on one path into it: rejected. Found by the honest bytes,
 * so that other code from the compiler fails here instead of skipping. */
static void
hoisted_table_base(void **state)
{
    (void)state;
    static const struct {
        const char   *what;
        const uint8_t from[8], to[8];
        size_t        n;
    } muts[] = {
        { "rcx cleared in the loop (inc %esi -> xor %ecx,%ecx)",
          { 0xff, 0xc6, 0x39, 0xd6 }, { 0x31, 0xc9, 0x39, 0xd6 }, 4 },
        { "rcx overwritten on one path (lea -> mov %eax,%ecx)",
          { 0x8d, 0x04, 0x40, 0x8d }, { 0x89, 0xc1, 0x90, 0x8d }, 4 },
    };
    uint8_t   *b;
    size_t     len;
    moat_error err = { 0 };
    KReport   *r = calloc(1, sizeof *r);

    assert_non_null(r);
    assert_true(moatU_read_file(hoisted_path, 1u << 30, &b, &len, &err));
    assert_int_equal(moatK_verify(b, len, r), 0);
    for (size_t i = 0; i < sizeof muts / sizeof muts[0]; i++) {
        uint8_t *at = memmem(b, len, muts[i].from, muts[i].n);
        assert_non_null(at);
        uint8_t *m = malloc(len);
        assert_non_null(m);
        memcpy(m, b, len);
        memcpy(m + (at - b), muts[i].to, muts[i].n);
        memset(r, 0, sizeof *r);
        assert_true(moatK_verify(m, len, r) > 0);
        assert_true(r->failed[K_TABLE] > 0);
        printf("hoisted table base: %s: rejected\n", muts[i].what);
        free(m);
    }
    moatU_free(b);
    free(r);
}

/* Relocation addends near INT64_MAX (fuzz_verify found the first): a
 * call's PLT32 to moatR_trap, and every PC32 in code, must be rejected
 * without a signed overflow in the checker (UBSan in build-asan/). */
static void
huge_addends(void **state)
{
    (void)state;
    unsigned n = 0;
    for (int w = 0; w < 2; w++) {
        Obj x;
        load(&x, w);
        uint8_t *m = malloc(x.len);
        assert_non_null(m);
        for (uint32_t i = 0; i < x.o.nsec; i++) {
            ElfShdr h = shdr(&x, i);
            if (h.type != ELF_SHT_RELA || !x.o.sec[h.info].is_code)
                continue;
            for (uint64_t k = 0; k < h.size / sizeof(ElfRela); k++) {
                ElfRela r;
                uint64_t at = h.offset + k * sizeof r;
                memcpy(&r, x.bytes + at, sizeof r);
                if ((uint32_t)r.info != K_R_PLT32 &&
                    (uint32_t)r.info != K_R_PC32)
                    continue;
                memcpy(m, x.bytes, x.len);
                r.addend = INT64_MAX - 3;
                memcpy(m + at, &r, sizeof r);
                KReport *rep = calloc(1, sizeof *rep);
                assert_non_null(rep);
                rep->check_memory = true;
                assert_true(moatK_verify(m, x.len, rep) > 0);
                free(rep);
                n++;
            }
        }
        free(m);
        unload(&x);
    }
    printf("huge addends: %u mutants, all rejected\n", n);
    assert_true(n > 10);
}

/* The descriptor's nglobals and ntables set to 2^32 - 1 (fuzz_verify
 * found it): the checker must reject the object without allocating by
 * those counts (it allocated 4 GiB and 32 GiB, seconds under ASan). */
static void
huge_descriptor_counts(void **state)
{
    (void)state;
    Obj x;
    load(&x, 1);
    size_t nsuf = strlen(MOAT_DESC_SUFFIX);
    const KSym *d = NULL;
    for (uint32_t i = 0; i < x.o.nsym; i++) {
        size_t n = strlen(x.o.sym[i].name);
        if (n >= nsuf && !strcmp(x.o.sym[i].name + n - nsuf, MOAT_DESC_SUFFIX))
            d = &x.o.sym[i];
    }
    assert_non_null(d);
    uint8_t *m = malloc(x.len);
    assert_non_null(m);
    memcpy(m, x.bytes, x.len);
    uint64_t at = file_off(&x, d->shndx, d->value), big = UINT32_MAX;
    memcpy(m + at + offsetof(MoatDescriptor, nglobals), &big, 8);
    memcpy(m + at + offsetof(MoatDescriptor, ntables), &big, 8);
    KReport *r = calloc(1, sizeof *r);
    assert_non_null(r);
    r->check_memory = true;
    moatVT_biggest = 0;
    moat_set_allocator(moatVT_track_alloc, NULL);
    uint64_t n = moatK_verify(m, x.len, r);
    moat_set_allocator(NULL, NULL);
    printf("huge descriptor counts: %llu violations, largest allocation "
           "%zu bytes (object %zu bytes)\n", (unsigned long long)n,
           moatVT_biggest, x.len);
    assert_true(n > 0 && r->failed[K_MEMORY] > 0);
    assert_true(moatVT_biggest <= 64 * x.len);
    free(r);
    free(m);
    unload(&x);
}

int
main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: test_mutants HONEST_O0.o HONEST_O2.o "
                        "HOISTED_O2.o\n");
        return 2;
    }
    paths[0] = argv[1];
    paths[1] = argv[2];
    hoisted_path = argv[3];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(honest_objects_verify),
        cmocka_unit_test(syscall_rejected),
        cmocka_unit_test(int3_rejected),
        cmocka_unit_test(bad_byte_rejected),
        cmocka_unit_test(segment_rejected),
        cmocka_unit_test(bad_call_rejected),
        cmocka_unit_test(bent_jump_rejected),
        cmocka_unit_test(unbounded_table_rejected),
        cmocka_unit_test(no_ret_rejected),
        cmocka_unit_test(records_rejected),
        cmocka_unit_test(cut_function_rejected),
        cmocka_unit_test(random_bytes_survive),
        cmocka_unit_test(hoisted_table_base),
        cmocka_unit_test(huge_descriptor_counts),
        cmocka_unit_test(huge_addends),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
