/* elf_fx.c - what the ELF loader's tests share: reading the fixture objects
 * built into FX_DIR, a resolver for them, load-and-expect helpers, and
 * lookups of sections and symbols in a test's own copy of an object.
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

#include "elf_fx.h"

Blob
fx_read(const char *name)
{
    char  path[4096];
    Blob  b = { NULL, 0 };
    FILE *f;
    long  n;

    snprintf(path, sizeof path, "%s/%s", FX_DIR, name);
    f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    rewind(f);
    assert_true(n > 0);
    b.len = (size_t)n;
    b.p = malloc(b.len);
    assert_non_null(b.p);
    assert_int_equal(fread(b.p, 1, b.len, f), b.len);
    fclose(f);
    return b;
}

Blob
fx_copy_blob(const Blob *b)
{
    Blob c = { malloc(b->len), b->len };

    assert_non_null(c.p);
    memcpy(c.p, b->p, b->len);
    return c;
}

void *
fx_fn_addr(AnyFn f)
{
    void *p;

    memcpy(&p, &f, sizeof p);
    return p;
}

uint32_t fx_trapped;

static void
fx_fake_trap(void *ctx, uint32_t code)
{
    (void)ctx;
    fx_trapped = code;
}

/* What the fixtures may call: not the runtime's allow-list (symbols.c has
 * its own test), so that moatR_trap can be observed. */
void *
fx_resolve(const char *name)
{
    static const struct {
        const char *name;
        AnyFn       fn;
    } ok[] = {
        { "memcpy", (AnyFn)memcpy },   { "memmove", (AnyFn)memmove },
        { "memset", (AnyFn)memset },   { "sqrt", (AnyFn)sqrt },
        { "fmod", (AnyFn)fmod },       { "moatR_trap", (AnyFn)fx_fake_trap },
    };

    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (strcmp(ok[i].name, name) == 0)
            return fx_fn_addr(ok[i].fn);
    return NULL;
}

/* Loads or fails the test with the loader's message. */
ElfImage *
fx_load_ok(const Blob *b, ElfResolveFn resolve)
{
    ElfImage  *img = NULL;
    moat_error err = { 0 };

    if (!moatR_elf_load(b->p, b->len, resolve, &img, &err))
        fail_msg("load failed at 0x%llx: %s",
                 (unsigned long long)err.offset, err.msg);
    assert_non_null(img);
    return img;
}

/* A failing load: code, message prefix and (unless UINT64_MAX) offset. */
void
fx_load_fails(const Blob *b, const char *prefix, uint64_t off)
{
    ElfImage  *img = (ElfImage *)1;
    moat_error err = { 0 };

    assert_false(moatR_elf_load(b->p, b->len, fx_resolve, &img, &err));
    assert_null(img);
    assert_int_equal(err.code, MOAT_ERR_CONTRACT);
    if (strncmp(err.msg, prefix, strlen(prefix)) != 0)
        fail_msg("got \"%s\", want \"%s...\"", err.msg, prefix);
    if (off != UINT64_MAX)
        assert_int_equal(err.offset, off);
}

ElfShdr
fx_shdr(const Blob *b, uint32_t i, uint64_t *at)
{
    ElfEhdr h;
    ElfShdr s;

    memcpy(&h, b->p, sizeof h);
    *at = h.shoff + (uint64_t)i * sizeof s;
    memcpy(&s, b->p + *at, sizeof s);
    return s;
}

/* Index of the section called name; fails the test if there is none. */
uint32_t
fx_find_section(const Blob *b, const char *name, ElfShdr *out, uint64_t *at)
{
    ElfEhdr h;
    ElfShdr names;

    memcpy(&h, b->p, sizeof h);
    names = fx_shdr(b, h.shstrndx, at);
    for (uint32_t i = 0; i < h.shnum; i++) {
        *out = fx_shdr(b, i, at);
        if (strcmp((char *)b->p + names.offset + out->name, name) == 0)
            return i;
    }
    fail_msg("no section %s", name);
    return 0;
}

/* File offset of the symbol table entry called name. */
uint64_t
fx_find_symbol(const Blob *b, const char *name)
{
    ElfShdr  tab, str;
    uint64_t at;
    ElfSym   y;

    fx_find_section(b, ".symtab", &tab, &at);
    str = fx_shdr(b, tab.link, &at);
    for (uint64_t off = tab.offset; off < tab.offset + tab.size;
         off += sizeof y) {
        memcpy(&y, b->p + off, sizeof y);
        if (strcmp((char *)b->p + str.offset + y.name, name) == 0)
            return off;
    }
    fail_msg("no symbol %s", name);
    return 0;
}

