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

struct ElfImage {
    uint8_t   *base;            /* the mapping */
    size_t     size;
    ElfSpan    spans[ELF_MAX_SPANS];    /* offsets from base */
    uint32_t   nspans;
    ElfExport *exports;         /* global symbols, sorted by name */
    uint32_t   nexports;
    char      *names;           /* their names */
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

bool
moatR_elf_check_header(ElfLoad *L, ElfEhdr *h, uint16_t type)
{
    if (L->len < 4 || memcmp(L->bytes, "\177ELF", 4) != 0)
        return moatR_elf_fail(L, 0, "not an ELF file");
    if (L->len < sizeof *h)
        return moatR_elf_fail(L, L->len, "unexpected end of ELF header");
    memcpy(h, L->bytes, sizeof *h);
    if (h->ident[4] != ELF_CLASS64)
        return moatR_elf_fail(L, 4, "not ELF64");
    if (h->ident[5] != ELF_DATA2LSB)
        return moatR_elf_fail(L, 5, "not little-endian");
    if (h->ident[6] != ELF_EV_CURRENT)
        return moatR_elf_fail(L, 6, "unknown ELF version");
    if (h->type != type)
        return moatR_elf_fail(L, 16, type == ELF_ET_REL
                                         ? "not a relocatable object"
                                         : "not a shared object");
    if (!L->arch)
        return moatR_elf_fail(L, 18, "no loader for this host");
    if (h->machine != L->arch->machine)
        return moatR_elf_fail(L, 18, "not %s (machine %u)", L->arch->name,
                              h->machine);
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
    if (!collect_exports(L, img)) {
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

void
moatR_elf_free(ElfImage *img)
{
    if (!img)
        return;
    if (img->base)
        munmap(img->base, img->size);
    moatU_free(img->exports);
    moatU_free(img->names);
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
