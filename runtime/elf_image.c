/* elf_image.c - what the two ELF loaders share: the ELF header checks,
 * error records, string lookups, and the loaded image they both make (one
 * mapping, its code and data spans, its global symbols sorted by name).
 * elf.c loads relocatable objects (ET_REL), elf_dyn.c shared objects
 * (ET_DYN); neither runs any code of the file. (gABI "Object Files".)
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "elfload.h"

typedef struct ElfExport {
    const char *name;
    void       *addr;
    uint32_t    sym;            /* its index, for messages */
} ElfExport;

/* A function symbol with a size, for profilers and debuggers. */
typedef struct ElfFunc {
    uintptr_t addr;
    uint64_t  size;
} ElfFunc;

struct ElfImage {
    uint8_t   *base;            /* the mapping */
    size_t     size;
    ElfSpan    spans[ELF_MAX_SPANS];    /* offsets from base */
    uint32_t   nspans;
    ElfExport *exports;         /* global symbols, sorted by name */
    uint32_t   nexports;
    char      *names;           /* their names */
    ElfFunc   *funcs;           /* sized STT_FUNC symbols, by address */
    uint32_t   nfuncs;
    uint64_t   eh_at, eh_size;  /* .eh_frame, offsets from base */
    ElfDebug  *debug;           /* elf_debug.c, or NULL */
};

#if defined(__x86_64__)
const ElfArch *const moatR_elf_host_arch = &moatR_elf_x86_64;
#else
const ElfArch *const moatR_elf_host_arch = NULL;   /* aarch64: not yet */
#endif

bool
moatR_elf_fail(ElfLoad *L, uint64_t off, const char *fmt, ...)
{
    char    msg[sizeof L->err->msg];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return moatU_fail(L->err, off, MOAT_ERR_CONTRACT, "%s", msg);
}

bool
moatR_elf_nomem(ElfLoad *L)
{
    return moatU_fail(L->err, MOAT_NO_OFFSET, MOAT_ERR_NOMEM,
                      "out of memory loading an object");
}

const char *
moatR_elf_str(const char *tab, uint64_t n, uint64_t off)
{
    if (!tab || off >= n || !memchr(tab + off, 0, n - off))
        return NULL;
    return tab + off;
}

const char *
moatR_elf_checked_sym(ElfLoad *L, uint32_t i, uint64_t off)
{
    const ElfSym *y = &L->sym[i];
    const char   *name = moatR_elf_str(L->str, L->nstr, y->name);
    unsigned      bind = y->info >> 4, type = y->info & 0xf;

    if (!name)
        return moatR_elf_fail(L, off, "symbol name out of string table"),
               NULL;
    if (type == ELF_STT_TLS || type == ELF_STT_GNU_IFUNC)
        return moatR_elf_fail(L, off, "symbol '%.80s' of unsupported type "
                              "%u", name, type), NULL;
    if (bind != ELF_STB_LOCAL && bind != ELF_STB_GLOBAL
        && bind != ELF_STB_WEAK)
        return moatR_elf_fail(L, off, "symbol '%.80s' of unsupported "
                              "binding %u", name, bind), NULL;
    return name;
}

uint64_t
moatR_elf_page_size(void)
{
    long n = sysconf(_SC_PAGESIZE);

    return n > 0 ? (uint64_t)n : 4096;
}

/* Names of machines whose objects `moat compile --target` used to make,
 * for a refusal that says what the file is for. */
static const char *
machine_name(uint16_t m)
{
    static const struct {
        uint16_t    machine;
        const char *name;
    } names[] = {
        { 3, "i386" }, { 8, "MIPS" }, { 20, "PowerPC" }, { 21, "PowerPC64" },
        { 22, "s390x" }, { 40, "ARM" }, { 62, "x86-64" }, { 183, "AArch64" },
        { 243, "RISC-V" }, { 247, "BPF" }, { 258, "LoongArch" },
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].machine == m)
            return names[i].name;
    return "another machine";
}

bool
moatR_elf_check_header(ElfLoad *L, ElfEhdr *h, uint16_t type)
{
    if (L->len < 4 || memcmp(L->bytes, "\177ELF", 4) != 0)
        return moatR_elf_fail(L, 0, "not an ELF file");
    if (L->len < sizeof *h)
        return moatR_elf_fail(L, L->len, "unexpected end of ELF header");
    memcpy(h, L->bytes, sizeof *h);
    if (h->ident[4] != ELF_CLASS64)
        return moatR_elf_fail(L, 4, "not ELF64: an object for a 32-bit "
                              "machine (this runtime runs x86-64 objects "
                              "only)");
    if (h->ident[5] != ELF_DATA2LSB)
        return moatR_elf_fail(L, 5, "not little-endian: an object for "
                              "another machine (this runtime runs x86-64 "
                              "objects only)");
    if (h->ident[6] != ELF_EV_CURRENT)
        return moatR_elf_fail(L, 6, "unknown ELF version");
    if (h->type != type)
        return moatR_elf_fail(L, 16, type == ELF_ET_REL
                                         ? "not a relocatable object"
                                         : "not a shared object");
    if (!L->arch)
        return moatR_elf_fail(L, 18, "no loader for this host");
    if (h->machine != L->arch->machine)
        return moatR_elf_fail(L, 18, "not %s: an object for %s (ELF "
                              "machine %u); this runtime runs %s objects "
                              "only", L->arch->name, machine_name(h->machine),
                              h->machine, L->arch->name);
    if (h->version != ELF_EV_CURRENT)
        return moatR_elf_fail(L, 20, "unknown ELF version");
    return true;
}

/* ---- the image and its global symbols ---- */

static int
cmp_export(const void *a, const void *b)
{
    return strcmp(((const ElfExport *)a)->name, ((const ElfExport *)b)->name);
}

static bool
is_export(const ElfLoad *L, uint32_t i)
{
    unsigned bind = L->sym[i].info >> 4;

    return (bind == ELF_STB_GLOBAL || bind == ELF_STB_WEAK)
           && L->sym[i].shndx != ELF_SHN_UNDEF
           && (L->si[i].flags & SYM_HAS_ADDR) && L->str[L->sym[i].name];
}

/* Every symbol name was checked to lie in L->str, NUL-terminated. */
static bool
collect_exports(ElfLoad *L, ElfImage *img)
{
    size_t   nbytes = 0;
    uint32_t n = 0;
    char    *p;

    for (uint32_t i = 1; i < L->nsym; i++)
        if (is_export(L, i)) {
            n++;
            nbytes += strlen(L->str + L->sym[i].name) + 1;
        }
    img->exports = moatU_calloc(n ? n : 1, sizeof *img->exports);
    img->names = p = moatU_alloc(nbytes ? nbytes : 1);
    if (!img->exports || !img->names)
        return moatR_elf_nomem(L);
    for (uint32_t i = 1; i < L->nsym; i++) {
        size_t k;

        if (!is_export(L, i))
            continue;
        k = strlen(L->str + L->sym[i].name) + 1;
        memcpy(p, L->str + L->sym[i].name, k);
        img->exports[img->nexports++] =
            (ElfExport){ p, (void *)(uintptr_t)L->si[i].addr, i };
        p += k;
    }
    qsort(img->exports, n, sizeof *img->exports, cmp_export);
    for (uint32_t i = 1; i < n; i++)
        if (strcmp(img->exports[i - 1].name, img->exports[i].name) == 0)
            return moatR_elf_fail(L, L->symoff
                                         + (uint64_t)img->exports[i].sym
                                               * sizeof(ElfSym),
                                  "duplicate symbol '%.80s'",
                                  img->exports[i].name);
    return true;
}

static int
cmp_func(const void *a, const void *b)
{
    uintptr_t x = ((const ElfFunc *)a)->addr, y = ((const ElfFunc *)b)->addr;

    return x < y ? -1 : x > y;
}

static bool
is_sized_func(const ElfLoad *L, uint32_t i)
{
    return (L->sym[i].info & 0xf) == ELF_STT_FUNC && L->sym[i].size
           && (L->si[i].flags & SYM_HAS_ADDR)
           && !(L->si[i].flags & SYM_EXTERNAL);
}

/* Sizes of the functions, local ones included: the wasm functions and
 * trampolines of a compiled module are local symbols. */
static bool
collect_funcs(ElfLoad *L, ElfImage *img)
{
    uint32_t n = 0;

    for (uint32_t i = 1; i < L->nsym; i++)
        n += is_sized_func(L, i);
    img->funcs = moatU_calloc(n ? n : 1, sizeof *img->funcs);
    if (!img->funcs)
        return moatR_elf_nomem(L);
    for (uint32_t i = 1; i < L->nsym; i++)
        if (is_sized_func(L, i))
            img->funcs[img->nfuncs++] =
                (ElfFunc){ (uintptr_t)L->si[i].addr, L->sym[i].size };
    qsort(img->funcs, n, sizeof *img->funcs, cmp_func);
    return true;
}

bool
moatR_elf_make_image(ElfLoad *L, size_t size, const ElfSpan *spans,
                     uint32_t nspans, ElfImage **out)
{
    ElfImage *img = moatU_calloc(1, sizeof *img);

    if (!img)
        return moatR_elf_nomem(L);
    if (nspans > ELF_MAX_SPANS)
        nspans = ELF_MAX_SPANS;         /* the loaders never pass more */
    memcpy(img->spans, spans, nspans * sizeof *spans);
    img->nspans = nspans;
    img->eh_at = L->eh_at;
    img->eh_size = L->eh_size;
    if (!collect_exports(L, img) || !collect_funcs(L, img)) {
        moatR_elf_free(img);            /* base is NULL: the caller unmaps */
        return false;
    }
    img->base = L->base;
    img->size = size;
    *out = img;
    return true;
}

void *
moatR_elf_symbol(const ElfImage *img, const char *name)
{
    ElfExport        key = { name, NULL, 0 };
    const ElfExport *e;

    if (!img || !name)
        return NULL;
    e = bsearch(&key, img->exports, img->nexports, sizeof key, cmp_export);
    return e ? e->addr : NULL;
}

void *
moatR_elf_only_symbol(const ElfImage *img, const char *suffix)
{
    size_t k = strlen(suffix);

    if (!img || img->nexports != 1)
        return NULL;
    size_t n = strlen(img->exports[0].name);
    return n > k && strcmp(img->exports[0].name + n - k, suffix) == 0
               ? img->exports[0].addr : NULL;
}

/* The span of kind is_code holding [p, p + n), or NULL. */
static const ElfSpan *
span_of(const ElfImage *img, uintptr_t p, uint64_t n, bool is_code)
{
    if (!img || p < (uintptr_t)img->base)
        return NULL;
    uint64_t off = p - (uintptr_t)img->base;
    for (uint32_t i = 0; i < img->nspans; i++) {
        const ElfSpan *s = &img->spans[i];
        if (s->is_code == is_code && off >= s->lo && off < s->hi
            && n <= s->hi - off)
            return s;
    }
    return NULL;
}

bool
moatR_elf_contains_pc(const ElfImage *img, uintptr_t pc)
{
    return span_of(img, pc, 1, true) != NULL;
}

bool
moatR_elf_code_span(const ElfImage *img, uintptr_t pc, uintptr_t *lo,
                    uintptr_t *hi)
{
    const ElfSpan *s = span_of(img, pc, 1, true);

    if (!s)
        return false;
    *lo = (uintptr_t)img->base + s->lo;
    *hi = (uintptr_t)img->base + s->hi;
    return true;
}

bool
moatR_elf_has_data(const ElfImage *img, const void *p, uint64_t n)
{
    return span_of(img, (uintptr_t)p, n ? n : 1, false) != NULL;
}

size_t
moatR_elf_data_left(const ElfImage *img, const void *p)
{
    const ElfSpan *s = span_of(img, (uintptr_t)p, 1, false);

    return s ? (size_t)(s->hi - ((uintptr_t)p - (uintptr_t)img->base)) : 0;
}

uint64_t
moatR_elf_func_size(const ElfImage *img, const void *code)
{
    ElfFunc        key = { (uintptr_t)code, 0 };
    const ElfFunc *f;

    if (!img || !img->nfuncs)
        return 0;
    f = bsearch(&key, img->funcs, img->nfuncs, sizeof key, cmp_func);
    return f ? f->size : 0;
}

bool
moatR_elf_eh_frame(const ElfImage *img, const uint8_t **p, size_t *n)
{
    if (!img || !img->eh_size)
        return false;
    *p = img->base + img->eh_at;
    *n = (size_t)img->eh_size;
    return true;
}

void
moatR_elf_free(ElfImage *img)
{
    if (!img)
        return;
    if (img->base)
        munmap(img->base, img->size);
    moatU_free(img->exports);
    moatU_free(img->names);
    moatU_free(img->funcs);
    moatR_elf_debug_free(img->debug);
    moatU_free(img);
}

void
moatR_elf_set_debug(ElfImage *img, ElfDebug *d)
{
    img->debug = d;
}

const ElfDebug *
moatR_elf_debug(const ElfImage *img)
{
    return img ? img->debug : NULL;
}
