/* test_elf_corrupt.c - elf.c and reloc_x86_64.c on broken objects: every
 * truncation, every byte of several objects flipped, random multi-byte
 * damage (all must fail with MOAT_ERR_CONTRACT or load, never crash; run
 * under ASan/UBSan too), crafted corruptions of headers, sections,
 * symbols and relocations checked for message and offset, and an OOM loop.
 */
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

static const char *const fixtures[] = {
    "fx_pic.o", "fx_large.o", "fx_nopic.o", "fx_bad.o", "fx_debug.o",
#if FX_HAVE_CLANG
    "fx_clang.o",
#endif
};
#define NFIXTURES (sizeof fixtures / sizeof fixtures[0])

/* Loads b; a failure must be a contract error with a message. */
static bool
load_any(const Blob *b)
{
    ElfImage  *img = (ElfImage *)1;
    moat_error err = { 0 };

    if (moatR_elf_load(b->p, b->len, fx_resolve, &img, &err)) {
        assert_non_null(img);
        moatR_elf_free(img);
        return true;
    }
    assert_null(img);
    if (err.code != MOAT_ERR_CONTRACT || !err.msg[0])
        fail_msg("code %d: %s", err.code, err.msg);
    return false;
}

static void
every_truncation_fails(void **state)
{
    (void)state;
    for (size_t f = 0; f < NFIXTURES; f++) {
        Blob b = fx_read(fixtures[f]);

        for (size_t n = 0; n < b.len; n++) {
            Blob c = { malloc(n ? n : 1), n };    /* exact size for ASan */

            memcpy(c.p, b.p, n);
            if (load_any(&c))
                fail_msg("%s truncated to %zu bytes loaded", fixtures[f], n);
            free(c.p);
        }
        free(b.p);
    }
}

static void
every_byte_flipped(void **state)
{
    static const uint8_t masks[] = { 0xff, 0x01, 0x80 };
    unsigned             nfail = 0, n = 0;

    (void)state;
    for (size_t f = 0; f < NFIXTURES; f++) {
        Blob b = fx_read(fixtures[f]);
        Blob c = fx_copy_blob(&b);

        for (size_t i = 0; i < b.len; i++)
            for (size_t m = 0; m < sizeof masks; m++) {
                c.p[i] ^= masks[m];
                nfail += !load_any(&c);
                n++;
                c.p[i] = b.p[i];
            }
        free(c.p);
        free(b.p);
    }
    print_message("%u of %u flipped objects refused\n", nfail, n);
    assert_true(nfail > 0);
}

static uint64_t
xorshift(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void
random_damage(void **state)
{
    uint64_t seed = 0x9e3779b97f4a7c15u;

    (void)state;
    for (size_t f = 0; f < NFIXTURES; f++) {
        Blob b = fx_read(fixtures[f]);

        for (int round = 0; round < 300; round++) {
            Blob     c = fx_copy_blob(&b);
            unsigned k = 1 + (unsigned)(xorshift(&seed) % 8);

            while (k--) {
                uint64_t r = xorshift(&seed);
                c.p[r % c.len] ^= (uint8_t)(1 + (r >> 32) % 255);
            }
            load_any(&c);
            free(c.p);
        }
        free(b.p);
    }
}

/* ---- crafted corruptions of fx_pic.o ---- */

enum { AT_FILE, AT_SEC, AT_SYM, AT_RELA };

typedef struct Craft {
    const char *name;           /* the section or symbol */
    int         where;          /* AT_*: which record is changed */
    size_t      field, size;    /* in the record (AT_FILE: file offset) */
    uint64_t    value;
    const char *value_sec;      /* value: this section's index instead */
    bool        any_off;        /* error offset: any (else the record's) */
    const char *msg;            /* prefix of the message */
} Craft;

#define SH(f) AT_SEC, offsetof(ElfShdr, f), sizeof(((ElfShdr *)0)->f)
#define SY(f) AT_SYM, offsetof(ElfSym, f), sizeof(((ElfSym *)0)->f)
#define FILE_AT(off, n) NULL, AT_FILE, off, n
#define RTYPE ".rela.text", AT_RELA, 8, 4
#define RSYM ".rela.text", AT_RELA, 12, 4
#define ROFF ".rela.text", AT_RELA, 0, 8

static const Craft crafts[] = {
    { FILE_AT(0, 1), 'X', NULL, false, "not an ELF file" },
    { FILE_AT(4, 1), 1, NULL, false, "not ELF64" },
    { FILE_AT(5, 1), 2, NULL, false, "not little-endian" },
    { FILE_AT(6, 1), 9, NULL, false, "unknown ELF version" },
    { FILE_AT(16, 2), 2, NULL, false, "not a relocatable object" },
    { FILE_AT(18, 2), 183, NULL, false, "not x86-64: an object for AArch64 (ELF machine 183)" },
    { FILE_AT(58, 2), 40, NULL, false, "bad section header size 40" },
    { FILE_AT(60, 2), 0, NULL, false, "no section headers" },
    { FILE_AT(40, 8), 1u << 20, NULL, false, "section headers out of file" },
    { FILE_AT(62, 2), 0xffff, NULL, false, "section name table out of" },
    { ".text", SH(offset), 1u << 30, NULL, false, "section out of file" },
    { ".text", SH(size), 1ull << 62, NULL, false, "section out of file" },
    { ".text", SH(name), 1u << 30, NULL, false, "section name out of table" },
    { ".text", SH(addralign), 3, NULL, false, "section alignment not a" },
    { ".bss", SH(addralign), 1u << 20, NULL, false, "section alignment too" },
    { ".bss", SH(size), 1ull << 40, NULL, false, "image too large" },
    { ".text", SH(flags), 7, NULL, false,
      "section '.text' is writable and executable" },
    { ".data", SH(flags), 0x403, NULL, false, "thread-local section '.data'" },
    { ".data", SH(type), 14, NULL, false, "unsupported section type 0xe" },
    { ".comment", SH(type), 18, NULL, false, "extended section indexes" },
    { ".comment", SH(type), 2, NULL, true, "more than one symbol table" },
    { ".symtab", SH(entsize), 16, NULL, false, "bad symbol table entry" },
    { ".symtab", SH(link), 0, NULL, false, "symbol string table out of" },
    { ".rela.text", SH(entsize), 16, NULL, false, "bad relocation entry" },
    { ".rela.text", SH(type), 9, NULL, false, "REL relocations are not" },
    { ".rela.text", SH(link), 0, NULL, false, "relocation section does not" },
    { ".rela.text", SH(info), 0xfff0, NULL, false,
      "relocation section '.rela.text' targets section 65520" },
    { ".rela.text", SH(info), 0, ".bss", false,
      "relocations in section '.bss' without data" },
    { "counter", SY(name), 1u << 30, NULL, false, "symbol name out of" },
    { "counter", SY(shndx), 0xfff2, NULL, false,
      "common symbol 'counter' is not supported" },
    { "counter", SY(shndx), 0xfe00, NULL, false,
      "symbol 'counter' in section 0xfe00" },
    { "counter", SY(value), 1ull << 40, NULL, false,
      "symbol 'counter' out of its section" },
    { "counter", SY(info), 0x16, NULL, false,
      "symbol 'counter' of unsupported type 6" },
    { "counter", SY(info), 0xa1, NULL, false,
      "symbol 'counter' of unsupported binding 10" },
    { "counter", SY(shndx), 0, ".comment", true,
      "relocation against 'counter', which is not loaded" },
    { "sqrt", SY(info), 0x00, NULL, false, "undefined local symbol 'sqrt'" },
    { "sqrt", SY(name), 0, NULL, false, "undefined symbol without a name" },
    { ROFF, 1u << 31, NULL, false, "relocation offset out of section" },
    { RTYPE, 25, NULL, false, "unsupported relocation type R_X86_64_GOTOFF64" },
    { RTYPE, 200, NULL, false, "unsupported relocation type 200" },
    { RTYPE, 11, NULL, false, "relocation out of range: R_X86_64_32S" },
    { RSYM, 0xffffff, NULL, false, "relocation symbol out of range" },
};

/* Changes the record c names in b; returns the record's file offset. */
static uint64_t
apply_craft(Blob *b, const Craft *c)
{
    uint64_t at = 0, v = c->value;
    ElfShdr  s;

    if (c->value_sec)
        v = fx_find_section(b, c->value_sec, &s, &at);
    switch (c->where) {
    case AT_FILE:
        at = 0;
        break;
    case AT_SEC:
        fx_find_section(b, c->name, &s, &at);
        break;
    case AT_SYM:
        at = fx_find_symbol(b, c->name);
        break;
    default:
        fx_find_section(b, c->name, &s, &at);
        at = s.offset;          /* its first entry */
        break;
    }
    memcpy(b->p + at + c->field, &v, c->size);
    return c->where == AT_FILE ? c->field : at;
}

static void
crafted_corruptions(void **state)
{
    Blob b = fx_read("fx_pic.o");

    (void)state;
    for (size_t i = 0; i < sizeof crafts / sizeof crafts[0]; i++) {
        Blob     c = fx_copy_blob(&b);
        uint64_t at = apply_craft(&c, &crafts[i]);

        fx_load_fails(&c, crafts[i].msg, crafts[i].any_off ? UINT64_MAX : at);
        free(c.p);
    }
    free(b.p);
}

/* An object with DWARF keeps a copy of its .debug_* sections for
 * backtraces (elf_debug.c). elf.c checks only sections with bytes
 * against the file, so a .debug_info turned SHT_NULL may claim any size:
 * it must be ignored, not copied (fuzz_load once made the copy ask for
 * 2^62 bytes, which ASan aborts on). A real .debug_* section past the
 * end of the file is refused. */
static void
debug_sections_crafted(void **state)
{
    Blob     b = fx_read("fx_debug.o");
    ElfShdr  s;
    uint64_t at;

    (void)state;
    assert_true(load_any(&b));
    fx_find_section(&b, ".debug_info", &s, &at);
    for (int t = 0; t < 2; t++) {
        Blob     c = fx_copy_blob(&b);
        uint32_t type = 0;
        uint64_t size = 1ull << 62, off = 1ull << 40;

        if (t == 0) {
            memcpy(c.p + at + offsetof(ElfShdr, type), &type, sizeof type);
            memcpy(c.p + at + offsetof(ElfShdr, offset), &off, sizeof off);
        }
        memcpy(c.p + at + offsetof(ElfShdr, size), &size, sizeof size);
        if (t == 0)
            assert_true(load_any(&c));
        else
            fx_load_fails(&c, "section out of file", at);
        free(c.p);
    }
    free(b.p);
}

/* ---- allocation failures ---- */

static int fail_at, nallocs;

static void *
failing_alloc(void *ud, void *ptr, size_t size)
{
    (void)ud;
    if (size == 0) {
        free(ptr);
        return NULL;
    }
    if (++nallocs == fail_at)
        return NULL;
    return realloc(ptr, size);
}

static void
oom_loop(void **state)
{
    Blob b = fx_read("fx_pic.o");
    bool ok = false;

    (void)state;
    for (fail_at = 1; !ok && fail_at < 100; fail_at++) {
        ElfImage  *img = (ElfImage *)1;
        moat_error err = { 0 };

        nallocs = 0;
        moat_set_allocator(failing_alloc, NULL);
        ok = moatR_elf_load(b.p, b.len, fx_resolve, &img, &err);
        moat_set_allocator(NULL, NULL);
        if (ok) {
            moatR_elf_free(img);
            break;
        }
        assert_null(img);
        assert_int_equal(err.code, MOAT_ERR_NOMEM);
    }
    assert_true(ok);
    assert_true(fail_at > 3);
    free(b.p);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(crafted_corruptions),
        cmocka_unit_test(debug_sections_crafted),
        cmocka_unit_test(every_truncation_fails),
        cmocka_unit_test(every_byte_flipped),
        cmocka_unit_test(random_damage),
        cmocka_unit_test(oom_loop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
