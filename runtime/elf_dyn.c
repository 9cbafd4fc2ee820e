/* elf_dyn.c - loads a shared object (ET_DYN, x86-64) as `moat compile
 * -shared` links it, without the dynamic linker, so that no code of the
 * file runs before the contract is checked: dlopen would run DT_INIT,
 * DT_INIT_ARRAY and IFUNC resolvers first, and load whatever DT_NEEDED
 * names. Here the PT_LOAD segments are copied into one mapping, the
 * dynamic section read, the relocations the linker leaves (RELATIVE, 64,
 * GLOB_DAT, JUMP_SLOT) bound at once against the file's own symbols and
 * the allow-list (symbols.c), and the segments sealed R, RX or RW (RELRO
 * read-only). Initialisers and finalisers are never run: a Moat artifact
 * needs none, and the toolchain's are harmless when not called. Every
 * table is read from the file through the segment that maps it, with its
 * bounds checked. (gABI "Program Loading", "Dynamic Linking".)
 */
#include <inttypes.h>
#include <string.h>
#include <sys/mman.h>

#include "elfload.h"

#define MAX_IMAGE ((uint64_t)1 << 30)
#define MAX_SYMS  ((uint32_t)1 << 24)

enum { PT_LOAD = 1, PT_DYNAMIC = 2, PT_INTERP = 3, PT_TLS = 7,
       PT_GNU_EH_FRAME = 0x6474e550, PT_GNU_RELRO = 0x6474e552 };
enum { PF_X = 1, PF_W = 2 };

/* Dynamic tags (gABI, and the GNU extensions linkers emit). */
enum {
    DT_NULL = 0, DT_NEEDED = 1, DT_PLTRELSZ = 2, DT_HASH = 4, DT_STRTAB = 5,
    DT_SYMTAB = 6, DT_RELA = 7, DT_RELASZ = 8, DT_RELAENT = 9, DT_STRSZ = 10,
    DT_SYMENT = 11, DT_PLTREL = 20, DT_JMPREL = 23,
    DT_GNU_HASH = 0x6ffffef5
};

/* Tags with no effect here: the PLT's GOT, names and paths, flags,
 * symbol versions, the count of RELATIVE entries, and the initialisers
 * and finalisers, which are never run (above). */
static const int64_t ignored_tags[] = {
    3 /* PLTGOT */, 12 /* INIT */, 13 /* FINI */, 14 /* SONAME */,
    15 /* RPATH */, 16 /* SYMBOLIC */, 21 /* DEBUG */, 22 /* TEXTREL */,
    24 /* BIND_NOW */, 25 /* INIT_ARRAY */, 26 /* FINI_ARRAY */,
    27 /* INIT_ARRAYSZ */, 28 /* FINI_ARRAYSZ */, 29 /* RUNPATH */,
    30 /* FLAGS */, 32 /* PREINIT_ARRAY */, 33 /* PREINIT_ARRAYSZ */,
    0x6ffffdf5 /* GNU_PRELINKED */, 0x6ffffdf8 /* CHECKSUM */,
    0x6ffffff0 /* VERSYM */, 0x6ffffff9 /* RELACOUNT */,
    0x6ffffffb /* FLAGS_1 */, 0x6ffffffc /* VERDEF */,
    0x6ffffffd /* VERDEFNUM */, 0x6ffffffe /* VERNEED */,
    0x6fffffff /* VERNEEDNUM */,
};

/* The values of the tags we use, indexed by slot. */
enum { T_HASH, T_GNU_HASH, T_STRTAB, T_STRSZ, T_SYMTAB, T_SYMENT, T_RELA,
       T_RELASZ, T_RELAENT, T_JMPREL, T_PLTRELSZ, T_PLTREL, T_NEEDED, NT };
static const int64_t used_tags[NT] = {
    DT_HASH, DT_GNU_HASH, DT_STRTAB, DT_STRSZ, DT_SYMTAB, DT_SYMENT,
    DT_RELA, DT_RELASZ, DT_RELAENT, DT_JMPREL, DT_PLTRELSZ, DT_PLTREL,
    DT_NEEDED
};

typedef struct DynLoad {
    ElfLoad  L;                 /* bytes, err, arch, symbols, base */
    ElfPhdr  load[ELF_MAX_SPANS];
    uint32_t nload;
    ElfPhdr  dyn, relro, eh_hdr;
    bool     has_dyn, has_relro, has_eh_hdr;
    uint64_t lo, size;          /* the image: vaddr of its first byte */
    uint64_t tag[NT];
    bool     has[NT];
    uint64_t dyn_off;           /* file offset of the dynamic section */
    uint64_t relro_off;         /* of the RELRO program header */
} DynLoad;

static uint64_t
page_floor(uint64_t v)
{
    return v & ~(moatR_elf_page_size() - 1);
}

static uint64_t
page_ceil(uint64_t v)
{
    return page_floor(v + moatR_elf_page_size() - 1);
}

/* The file offset of [va, va + n) when it lies in the file part of one
 * PT_LOAD segment. */
static bool
file_at(const DynLoad *D, uint64_t va, uint64_t n, uint64_t *off)
{
    for (uint32_t i = 0; i < D->nload; i++) {
        const ElfPhdr *p = &D->load[i];

        if (va >= p->vaddr && va - p->vaddr <= p->filesz
            && n <= p->filesz - (va - p->vaddr)) {
            *off = p->offset + (va - p->vaddr);
            return true;
        }
    }
    return false;
}

static bool
read_u32(const DynLoad *D, uint64_t va, uint32_t *v)
{
    uint64_t off;

    if (!file_at(D, va, 4, &off))
        return false;
    memcpy(v, D->L.bytes + off, 4);
    return true;
}

/* ---- program headers and layout ---- */

static bool
add_segment(DynLoad *D, const ElfPhdr *p, uint64_t off)
{
    ElfLoad *L = &D->L;

    if (D->nload == ELF_MAX_SPANS)
        return moatR_elf_fail(L, off, "more than %d loadable segments",
                              ELF_MAX_SPANS);
    if (p->filesz > p->memsz || p->offset > L->len
        || p->filesz > L->len - p->offset)
        return moatR_elf_fail(L, off, "segment out of file");
    if (p->vaddr > MAX_IMAGE || p->memsz > MAX_IMAGE - p->vaddr)
        return moatR_elf_fail(L, off, "segment too large");
    if ((p->flags & PF_W) && (p->flags & PF_X))
        return moatR_elf_fail(L, off, "segment is writable and executable");
    if (D->nload
        && page_floor(p->vaddr)
               < page_ceil(D->load[D->nload - 1].vaddr
                           + D->load[D->nload - 1].memsz))
        return moatR_elf_fail(L, off, "segments out of order or sharing a "
                              "page");
    D->load[D->nload++] = *p;
    return true;
}

static bool
one_header(DynLoad *D, const ElfPhdr *p, uint64_t off)
{
    ElfLoad *L = &D->L;

    switch (p->type) {
    case PT_LOAD:
        return p->memsz == 0 || add_segment(D, p, off);
    case PT_DYNAMIC:
        if (D->has_dyn)
            return moatR_elf_fail(L, off, "more than one dynamic section");
        D->dyn = *p;
        D->has_dyn = true;
        D->dyn_off = off;       /* its header, until the section is found */
        return true;
    case PT_GNU_RELRO:
        if (D->has_relro)
            return moatR_elf_fail(L, off, "more than one RELRO segment");
        D->relro = *p;
        D->has_relro = true;
        D->relro_off = off;
        return true;
    case PT_GNU_EH_FRAME:
        D->eh_hdr = *p;
        D->has_eh_hdr = true;
        return true;
    case PT_TLS:
        return moatR_elf_fail(L, off, "thread-local storage is not "
                              "supported");
    case PT_INTERP:
        return moatR_elf_fail(L, off, "a program (it names an interpreter), "
                              "not a shared object");
    default:
        return true;            /* notes, stack flags, unwind tables */
    }
}

static bool
read_segments(DynLoad *D)
{
    ElfLoad *L = &D->L;
    ElfEhdr  h;

    if (!moatR_elf_check_header(L, &h, ELF_ET_DYN))
        return false;
    if (h.phentsize != sizeof(ElfPhdr))
        return moatR_elf_fail(L, 54, "bad program header size %u",
                              h.phentsize);
    if (h.phoff > L->len || (L->len - h.phoff) / sizeof(ElfPhdr) < h.phnum)
        return moatR_elf_fail(L, 32, "program headers out of file");
    for (uint32_t i = 0; i < h.phnum; i++) {
        uint64_t off = h.phoff + (uint64_t)i * sizeof(ElfPhdr);
        ElfPhdr  p;

        memcpy(&p, L->bytes + off, sizeof p);
        if (!one_header(D, &p, off))
            return false;
    }
    if (D->nload == 0)
        return moatR_elf_fail(L, 32, "no loadable segment");
    if (!D->has_dyn)
        return moatR_elf_fail(L, 32, "no dynamic section");
    D->lo = page_floor(D->load[0].vaddr);
    D->size = page_ceil(D->load[D->nload - 1].vaddr
                        + D->load[D->nload - 1].memsz) - D->lo;
    return true;
}

/* One anonymous mapping, read-write until sealed; bss stays zero. */
static bool
map_segments(DynLoad *D)
{
    ElfLoad *L = &D->L;
    void    *p = mmap(NULL, (size_t)D->size, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    if (p == MAP_FAILED)
        return moatU_fail(L->err, MOAT_NO_OFFSET, MOAT_ERR_NOMEM,
                          "out of memory: cannot map %" PRIu64 " bytes",
                          D->size);
    L->base = p;
    for (uint32_t i = 0; i < D->nload; i++) {
        const ElfPhdr *s = &D->load[i];

        if (s->filesz)
            memcpy(L->base + (s->vaddr - D->lo), L->bytes + s->offset,
                   (size_t)s->filesz);
    }
    return true;
}

/* ---- the dynamic section ---- */

static bool
one_tag(DynLoad *D, const ElfDyn *d, uint64_t off)
{
    for (int k = 0; k < NT; k++)
        if (d->tag == used_tags[k]) {
            if (k == T_NEEDED && D->has[k])
                return true;    /* the first names the library */
            D->tag[k] = d->val;
            D->has[k] = true;
            return true;
        }
    for (size_t k = 0; k < sizeof ignored_tags / sizeof ignored_tags[0]; k++)
        if (d->tag == ignored_tags[k])
            return true;
    return moatR_elf_fail(&D->L, off, "unsupported dynamic tag 0x%" PRIx64,
                          (uint64_t)d->tag);
}

static bool
read_dynamic(DynLoad *D)
{
    ElfLoad *L = &D->L;
    uint64_t n = D->dyn.filesz / sizeof(ElfDyn), off;

    if (!file_at(D, D->dyn.vaddr, n * sizeof(ElfDyn), &off))
        return moatR_elf_fail(L, D->dyn_off, "dynamic section out of its "
                              "segment");
    D->dyn_off = off;
    for (uint64_t i = 0; i < n; i++) {
        ElfDyn d;

        memcpy(&d, L->bytes + off + i * sizeof d, sizeof d);
        if (d.tag == DT_NULL)
            return true;
        if (!one_tag(D, &d, off + i * sizeof d))
            return false;
    }
    return moatR_elf_fail(L, off, "dynamic section without DT_NULL");
}

/* ---- symbols ---- */

/* The number of symbols: DT_HASH's nchain, else the last chain of
 * DT_GNU_HASH followed to its end (the table has no count). */
static bool
count_symbols(DynLoad *D, uint32_t *n)
{
    uint32_t h[4] = { 0 }, max = 0, c = 0;
    uint64_t va = D->tag[T_GNU_HASH];
    bool     ok = true;

    if (D->has[T_HASH])
        return read_u32(D, D->tag[T_HASH] + 4, n);
    if (!D->has[T_GNU_HASH])
        return false;
    for (int i = 0; i < 4 && ok; i++)
        ok = read_u32(D, va + 4 * (uint64_t)i, &h[i]);
    if (!ok || h[0] > MAX_SYMS || h[1] > MAX_SYMS || h[2] > MAX_SYMS)
        return false;
    uint64_t buckets = va + 16 + (uint64_t)h[2] * 8;
    for (uint32_t b = 0; b < h[0] && ok; b++) {
        ok = read_u32(D, buckets + 4 * (uint64_t)b, &c);
        max = c > max ? c : max;
    }
    if (!ok || max == 0) {
        *n = h[1];
        return ok;
    }
    if (max < h[1] || max >= MAX_SYMS)
        return false;
    uint64_t chain = buckets + 4 * (uint64_t)h[0];
    for (*n = max; *n < MAX_SYMS; ++*n)
        if (!read_u32(D, chain + 4 * (uint64_t)(*n - h[1]), &c))
            return false;
        else if (c & 1)
            return ++*n, true;
    return false;
}

static bool
check_symbol(DynLoad *D, uint32_t i)
{
    ElfLoad      *L = &D->L;
    const ElfSym *y = &L->sym[i];
    uint64_t      off = L->symoff + (uint64_t)i * sizeof *y;
    const char   *name = moatR_elf_checked_sym(L, i, off);
    unsigned      bind = y->info >> 4, type = y->info & 0xf;

    if (!name)
        return false;
    if (y->shndx == ELF_SHN_UNDEF) {
        void *p = name[0] && bind != ELF_STB_LOCAL && L->resolve
                      ? L->resolve(name)
                      : NULL;
        if (!p)
            return moatR_elf_fail(L, off, "undefined symbol '%.80s' is not "
                                  "allowed", name);
        L->si[i] = (ElfSymInfo){ (uintptr_t)p, ELF_NONE, ELF_NONE,
                                 SYM_HAS_ADDR | SYM_EXTERNAL };
        return true;
    }
    if (y->shndx == ELF_SHN_COMMON || type == ELF_STT_COMMON)
        return moatR_elf_fail(L, off, "common symbol '%.80s' is not "
                              "supported", name);
    uint64_t at = y->value;
    if (y->shndx != ELF_SHN_ABS) {
        if (y->value < D->lo || y->value - D->lo > D->size)
            return moatR_elf_fail(L, off, "symbol '%.80s' out of the image",
                                  name);
        at = (uintptr_t)L->base + (y->value - D->lo);
    }
    L->si[i] = (ElfSymInfo){ at, ELF_NONE, ELF_NONE, SYM_HAS_ADDR };
    return true;
}

/* DT_NEEDED: a library we would have to load; Moat provides none. */
static bool
check_needed(DynLoad *D)
{
    const char *name;

    if (!D->has[T_NEEDED])
        return true;
    name = moatR_elf_str(D->L.str, D->L.nstr, D->tag[T_NEEDED]);
    return moatR_elf_fail(&D->L, D->dyn_off, "needs library '%.80s'; an "
                          "artifact may need none", name ? name : "?");
}

static bool
read_symbols(DynLoad *D)
{
    ElfLoad *L = &D->L;
    uint64_t off;
    uint32_t n = 0;

    if (!D->has[T_SYMTAB] || !D->has[T_STRTAB] || !D->has[T_STRSZ])
        return moatR_elf_fail(L, D->dyn_off, "no dynamic symbol table");
    if (D->has[T_SYMENT] && D->tag[T_SYMENT] != sizeof(ElfSym))
        return moatR_elf_fail(L, D->dyn_off, "bad symbol entry size");
    if (!file_at(D, D->tag[T_STRTAB], D->tag[T_STRSZ], &off))
        return moatR_elf_fail(L, D->dyn_off, "string table out of image");
    L->str = (const char *)L->bytes + off;
    L->nstr = D->tag[T_STRSZ];
    if (!check_needed(D))
        return false;
    if (!count_symbols(D, &n) || n > MAX_SYMS)
        return moatR_elf_fail(L, D->dyn_off, "bad symbol hash table");
    if (!file_at(D, D->tag[T_SYMTAB], (uint64_t)n * sizeof(ElfSym), &off))
        return moatR_elf_fail(L, D->dyn_off, "symbol table out of image");
    L->symoff = off;
    L->nsym = n;
    L->sym = moatU_calloc(n ? n : 1, sizeof *L->sym);
    L->si = moatU_calloc(n ? n : 1, sizeof *L->si);
    if (!L->sym || !L->si)
        return moatR_elf_nomem(L);
    memcpy(L->sym, L->bytes + off, (size_t)n * sizeof *L->sym);
    for (uint32_t i = 1; i < n; i++)
        if (!check_symbol(D, i))
            return false;
    return true;
}

/* ---- relocations ---- */

/* The writable segment holding [va, va + n); NULL otherwise. */
static const ElfPhdr *
writable_at(const DynLoad *D, uint64_t va, uint64_t n, bool *is_ro)
{
    for (uint32_t i = 0; i < D->nload; i++) {
        const ElfPhdr *p = &D->load[i];

        if (va >= p->vaddr && va - p->vaddr <= p->memsz
            && n <= p->memsz - (va - p->vaddr)) {
            *is_ro = !(p->flags & PF_W);
            return *is_ro ? NULL : p;
        }
    }
    *is_ro = false;
    return NULL;
}

static bool
apply_one(DynLoad *D, const ElfRela *r, uint64_t off)
{
    ElfLoad            *L = &D->L;
    uint32_t            type = (uint32_t)r->info, sym = (uint32_t)(r->info
                                                                   >> 32);
    const ElfRelocType *t = type < L->arch->ntypes ? &L->arch->types[type]
                                                   : NULL;
    bool                is_ro;
    uint64_t            v;

    if (!t || !t->name)
        return moatR_elf_fail(L, off, "unsupported relocation type %" PRIu32,
                              type);
    if (t->dcalc == ELF_DCALC_UNSUPPORTED)
        return moatR_elf_fail(L, off, "unsupported relocation type %s in a "
                              "shared object", t->name);
    if (t->dcalc == ELF_DCALC_NONE)
        return true;
    if (!writable_at(D, r->offset, t->size, &is_ro))
        return moatR_elf_fail(L, off, is_ro ? "relocation in a read-only "
                                              "segment (text relocation)"
                                            : "relocation out of the image");
    if (sym >= L->nsym)
        return moatR_elf_fail(L, off, "relocation symbol out of range");
    if ((t->dcalc == ELF_DCALC_RELATIVE) != (sym == 0))
        return moatR_elf_fail(L, off, "%s relocation %s a symbol", t->name,
                              sym ? "with" : "without");
    if (t->dcalc == ELF_DCALC_RELATIVE)
        v = (uintptr_t)L->base - D->lo + (uint64_t)r->addend;
    else if (t->dcalc == ELF_DCALC_ABS)
        v = L->si[sym].addr + (uint64_t)r->addend;
    else
        v = L->si[sym].addr;
    if (!L->arch->patch(L->base + (r->offset - D->lo), t->field, v))
        return moatR_elf_fail(L, off, "relocation out of range");
    return true;
}

/* One table of RELA entries: DT_RELA/RELASZ or DT_JMPREL/PLTRELSZ. */
static bool
apply_table(DynLoad *D, int at, int size)
{
    ElfLoad *L = &D->L;
    uint64_t n = D->tag[size], off;

    if (!D->has[at])
        return true;
    if (n % sizeof(ElfRela) || !file_at(D, D->tag[at], n, &off))
        return moatR_elf_fail(L, D->dyn_off, "relocation table out of "
                              "image");
    for (uint64_t k = 0; k < n / sizeof(ElfRela); k++) {
        ElfRela r;

        memcpy(&r, L->bytes + off + k * sizeof r, sizeof r);
        if (!apply_one(D, &r, off + k * sizeof r))
            return false;
    }
    return true;
}

static bool
apply_relocs(DynLoad *D)
{
    if (D->has[T_RELAENT] && D->tag[T_RELAENT] != sizeof(ElfRela))
        return moatR_elf_fail(&D->L, D->dyn_off, "bad relocation entry "
                              "size");
    if (D->has[T_JMPREL] && D->tag[T_PLTREL] != DT_RELA)
        return moatR_elf_fail(&D->L, D->dyn_off, "PLT relocations are not "
                              "RELA");
    return apply_table(D, T_RELA, T_RELASZ)
           && apply_table(D, T_JMPREL, T_PLTRELSZ);
}

/* ---- sealing: each segment's pages as its flags say, gaps none ---- */

static bool
protect(DynLoad *D, uint64_t lo, uint64_t hi, int prot)
{
    if (hi > lo && mprotect(D->L.base + lo, (size_t)(hi - lo), prot) != 0)
        return moatU_fail(D->L.err, MOAT_NO_OFFSET, MOAT_ERR_NOMEM,
                          "out of memory: cannot protect the image");
    return true;
}

static bool
seal(DynLoad *D, ElfSpan *spans)
{
    uint64_t end = 0;

    for (uint32_t i = 0; i < D->nload; i++) {
        const ElfPhdr *p = &D->load[i];
        uint64_t       lo = page_floor(p->vaddr) - D->lo;
        uint64_t       hi = page_ceil(p->vaddr + p->memsz) - D->lo;
        int            prot = PROT_READ | (p->flags & PF_X ? PROT_EXEC : 0)
                   | (p->flags & PF_W ? PROT_WRITE : 0);

        if (p->flags & PF_X)
            __builtin___clear_cache((char *)D->L.base + lo,
                                    (char *)D->L.base + hi);
        if (!protect(D, end, lo, PROT_NONE) || !protect(D, lo, hi, prot))
            return false;
        end = hi;
        spans[i] = (ElfSpan){ p->vaddr - D->lo, p->vaddr + p->memsz - D->lo,
                              (p->flags & PF_X) != 0 };
    }
    if (!D->has_relro)
        return true;
    const ElfPhdr *r = &D->relro;
    if (r->vaddr < D->lo || r->vaddr - D->lo > D->size
        || r->memsz > D->size - (r->vaddr - D->lo))
        return moatR_elf_fail(&D->L, D->relro_off, "RELRO segment out of "
                              "the image");
    return protect(D, page_floor(r->vaddr) - D->lo,
                   page_floor(r->vaddr + r->memsz) - D->lo, PROT_READ);
}

/* Where .eh_frame lies, for gdbjit.c (a debugger unwinds guest frames
 * with it): PT_GNU_EH_FRAME holds .eh_frame_hdr (LSB, "Exception Frame
 * Header"), whose eh_frame_ptr, PC-relative sdata4 as linkers write it,
 * gives its start; its records run to a zero terminator or the end of the
 * segment. Optional: anything unexpected leaves none. */
static void
find_eh_frame(DynLoad *D)
{
    uint64_t hdr, off, va, end = 0, at;
    int32_t  rel;
    uint32_t n;

    if (!D->has_eh_hdr || !file_at(D, D->eh_hdr.vaddr, 8, &hdr)
        || D->L.bytes[hdr] != 1 || D->L.bytes[hdr + 1] != 0x1b)
        return;
    memcpy(&rel, D->L.bytes + hdr + 4, 4);
    va = D->eh_hdr.vaddr + 4 + (uint64_t)(int64_t)rel;
    if (!file_at(D, va, 4, &off))
        return;
    end = off;
    for (uint32_t i = 0; i < D->nload; i++)
        if (va >= D->load[i].vaddr && va - D->load[i].vaddr < D->load[i].filesz)
            end = D->load[i].offset + D->load[i].filesz;
    for (at = off; end - at >= 4; at += 4 + (uint64_t)n) {
        memcpy(&n, D->L.bytes + at, 4);
        if (n == 0 || n == UINT32_MAX || n > end - at - 4)
            break;          /* the terminator; 64-bit lengths: not ours */
    }
    D->L.eh_at = va - D->lo;
    D->L.eh_size = at - off;
}

bool
moatR_elf_load_shared(const uint8_t *bytes, size_t len, ElfResolveFn resolve,
                      ElfImage **out, moat_error *err)
{
    DynLoad D = { .L = { .bytes = bytes, .len = len, .err = err,
                         .arch = moatR_elf_host_arch, .resolve = resolve } };
    ElfSpan   spans[ELF_MAX_SPANS];
    ElfDebug *debug = NULL;
    bool      ok;

    *out = NULL;
    ok = read_segments(&D) && map_segments(&D) && read_dynamic(&D)
         && read_symbols(&D) && apply_relocs(&D)
         && seal(&D, spans)
         && moatR_elf_keep_debug_dyn(&D.L, (uintptr_t)D.L.base - D.lo,
                                     &debug);
    if (ok)
        find_eh_frame(&D);
    ok = ok && moatR_elf_make_image(&D.L, (size_t)D.size, spans, D.nload, out);
    if (ok)
        moatR_elf_set_debug(*out, debug);
    else
        moatR_elf_debug_free(debug);
    if (!ok && D.L.base)
        munmap(D.L.base, (size_t)D.size);
    moatU_free(D.L.sym);
    moatU_free(D.L.si);
    return ok;
}
