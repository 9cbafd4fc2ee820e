/* elf.c - loads a relocatable ELF object (ET_REL) into one mapping. Checks
 * every header, section, string and symbol against the file before using
 * it; lays the SHF_ALLOC sections out in three page-aligned groups (code and
 * call stubs, read-only data and the GOT, writable data), resolves undefined
 * symbols through the caller's allow-list and seals the groups RX, R, RW.
 * Relocations are reloc_<arch>.c's; the header check and the image,
 * elf_image.c's. (gABI "Object Files"; x86-64 psABI 4.)
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "abi.h"
#include "elfload.h"

/* Keeps every PC-relative reference inside the image within +-2 GiB. */
#define MAX_IMAGE ((uint64_t)1 << 30)
#define MAX_SYMS  ((uint32_t)1 << 28)

#define str_at moatR_elf_str
#define nomem  moatR_elf_nomem

const char *
moatR_elf_sec_name(const ElfLoad *L, uint32_t i)
{
    const char *s = NULL;

    if (i < L->nsh)
        s = str_at(L->shstr, L->nshstr, L->sh[i].name);
    return s ? s : "?";
}

const char *
moatR_elf_sym_name(const ElfLoad *L, uint32_t i)
{
    const char *s = NULL;

    if (i >= L->nsym)
        return "?";
    if ((L->sym[i].info & 0xf) == ELF_STT_SECTION)
        return moatR_elf_sec_name(L, L->sym[i].shndx);
    s = str_at(L->str, L->nstr, L->sym[i].name);
    return s ? s : "?";
}

static uint64_t
shdr_off(const ElfLoad *L, uint32_t i)
{
    return L->shoff + (uint64_t)i * sizeof(ElfShdr);
}

static uint64_t
align_up(uint64_t v, uint64_t a)
{
    return (v + a - 1) & ~(a - 1);
}

#define page_size moatR_elf_page_size

/* ---- headers and sections ---- */

static bool
read_header(ElfLoad *L, uint16_t *shstrndx)
{
    ElfEhdr h;

    if (!moatR_elf_check_header(L, &h, ELF_ET_REL))
        return false;
    if (h.shentsize != sizeof(ElfShdr))
        return moatR_elf_fail(L, 58, "bad section header size %u",
                              h.shentsize);
    if (h.shnum == 0)
        return moatR_elf_fail(L, 60, "no section headers");
    if (h.shoff > L->len || (L->len - h.shoff) / sizeof(ElfShdr) < h.shnum)
        return moatR_elf_fail(L, 40, "section headers out of file");
    if (h.shstrndx >= h.shnum)
        return moatR_elf_fail(L, 62, "section name table out of range");
    L->shoff = h.shoff;
    L->nsh = h.shnum;
    *shstrndx = h.shstrndx;
    L->sh = moatU_calloc(L->nsh, sizeof *L->sh);
    L->group = moatU_calloc(L->nsh, 1);
    L->at = moatU_calloc(L->nsh, sizeof *L->at);
    if (!L->sh || !L->group || !L->at)
        return nomem(L);
    memcpy(L->sh, L->bytes + h.shoff, L->nsh * sizeof *L->sh);
    return true;
}

static bool
check_bounds(ElfLoad *L, uint32_t i)
{
    const ElfShdr *s = &L->sh[i];

    if (s->type != ELF_SHT_NOBITS && s->type != ELF_SHT_NULL
        && (s->offset > L->len || s->size > L->len - s->offset))
        return moatR_elf_fail(L, shdr_off(L, i), "section out of file");
    if (s->addralign & (s->addralign - 1))
        return moatR_elf_fail(L, shdr_off(L, i),
                              "section alignment not a power of two");
    return true;
}

static bool
check_names(ElfLoad *L, uint16_t shstrndx)
{
    const ElfShdr *t = &L->sh[shstrndx];

    if (t->type != ELF_SHT_STRTAB)
        return moatR_elf_fail(L, shdr_off(L, shstrndx),
                              "section name table is not a string table");
    L->shstr = (const char *)L->bytes + t->offset;
    L->nshstr = t->size;
    for (uint32_t i = 0; i < L->nsh; i++)
        if (!str_at(L->shstr, L->nshstr, L->sh[i].name))
            return moatR_elf_fail(L, shdr_off(L, i),
                                  "section name out of table");
    return true;
}

/* Which group a section goes to. Relocated constants (.data.rel.ro) are
 * sealed read-only after relocation, like RELRO. */
static bool
classify(ElfLoad *L, uint32_t i)
{
    const ElfShdr *s = &L->sh[i];
    const char    *name = moatR_elf_sec_name(L, i);
    uint64_t       off = shdr_off(L, i);

    L->group[i] = ELF_G_NONE;
    if (s->type == ELF_SHT_SYMTAB_SHNDX)
        return moatR_elf_fail(L, off, "extended section indexes are not "
                              "supported");
    if (i == 0 || !(s->flags & ELF_SHF_ALLOC) || s->type == ELF_SHT_NULL)
        return true;
    if (s->flags & ELF_SHF_TLS)
        return moatR_elf_fail(L, off, "thread-local section '%.80s' is not "
                              "supported", name);
    if (s->type != ELF_SHT_PROGBITS && s->type != ELF_SHT_NOBITS
        && s->type != ELF_SHT_NOTE && s->type < ELF_SHT_LOPROC)
        return moatR_elf_fail(L, off, "unsupported section type 0x%x of "
                              "'%.80s'", s->type, name);
    if ((s->flags & ELF_SHF_WRITE) && (s->flags & ELF_SHF_EXECINSTR))
        return moatR_elf_fail(L, off, "section '%.80s' is writable and "
                              "executable", name);
    if (s->addralign > page_size())
        return moatR_elf_fail(L, off, "section alignment too large");
    if (s->flags & ELF_SHF_EXECINSTR)
        L->group[i] = ELF_G_CODE;
    else if (!(s->flags & ELF_SHF_WRITE)
             || strncmp(name, ".data.rel.ro", 12) == 0)
        L->group[i] = ELF_G_RO;
    else
        L->group[i] = ELF_G_RW;
    return true;
}

static bool
read_sections(ElfLoad *L)
{
    uint16_t shstrndx = 0;

    if (!read_header(L, &shstrndx))
        return false;
    for (uint32_t i = 0; i < L->nsh; i++)
        if (!check_bounds(L, i))
            return false;
    if (!check_names(L, shstrndx))
        return false;
    L->shstrndx = shstrndx;
    for (uint32_t i = 0; i < L->nsh; i++) {
        if (!classify(L, i))
            return false;
        if (L->sh[i].type != ELF_SHT_SYMTAB)
            continue;
        if (L->symtab)
            return moatR_elf_fail(L, shdr_off(L, i),
                                  "more than one symbol table");
        L->symtab = i;
    }
    return true;
}

/* ---- symbols ---- */

static bool
resolve_symbol(ElfLoad *L, uint32_t i, uint64_t off, const char *name)
{
    void *p;

    if ((L->sym[i].info >> 4) == ELF_STB_LOCAL)
        return moatR_elf_fail(L, off, "undefined local symbol '%.80s'", name);
    if (!name[0])
        return moatR_elf_fail(L, off, "undefined symbol without a name");
    if (strcmp(name, "_GLOBAL_OFFSET_TABLE_") == 0) {
        L->si[i].flags = SYM_HAS_ADDR | SYM_GOT_BASE;   /* gcc names it */
        return true;
    }
    /* a named plugin's code bounds (abi.h MOAT_CODE_SECTION): for the
     * linker; loaded here, the descriptor gets NULL and the loader uses
     * the image's own code spans */
    if (!strncmp(name, "__start_" MOAT_CODE_SECTION,
                 sizeof "__start_" MOAT_CODE_SECTION - 1) ||
        !strncmp(name, "__stop_" MOAT_CODE_SECTION,
                 sizeof "__stop_" MOAT_CODE_SECTION - 1)) {
        L->si[i].addr = 0;
        L->si[i].flags = SYM_HAS_ADDR | SYM_EXTERNAL;
        return true;
    }
    p = L->resolve ? L->resolve(name) : NULL;
    if (!p)
        return moatR_elf_fail(L, off, "undefined symbol '%.80s' is not "
                              "allowed", name);
    L->si[i].addr = (uintptr_t)p;
    L->si[i].flags = SYM_HAS_ADDR | SYM_EXTERNAL;
    return true;
}

static bool
check_symbol(ElfLoad *L, uint32_t i)
{
    const ElfSym *y = &L->sym[i];
    uint64_t      off = L->sh[L->symtab].offset + (uint64_t)i * sizeof *y;
    const char   *name = moatR_elf_checked_sym(L, i, off);
    unsigned      type = y->info & 0xf;

    if (!name)
        return false;
    if (y->shndx == ELF_SHN_UNDEF)
        return resolve_symbol(L, i, off, name);
    if (y->shndx == ELF_SHN_COMMON || type == ELF_STT_COMMON)
        return moatR_elf_fail(L, off, "common symbol '%.80s' is not "
                              "supported", name);
    if (y->shndx == ELF_SHN_ABS) {
        L->si[i].addr = y->value;
        L->si[i].flags = SYM_HAS_ADDR;
        return true;
    }
    if (y->shndx >= ELF_SHN_LORESERVE || y->shndx >= L->nsh)
        return moatR_elf_fail(L, off, "symbol '%.80s' in section 0x%x, out "
                              "of range", name, y->shndx);
    if (L->group[y->shndx] == ELF_G_NONE)
        return true;            /* debug info and the like: no address */
    if (y->value > L->sh[y->shndx].size)
        return moatR_elf_fail(L, off, "symbol '%.80s' out of its section",
                              name);
    L->si[i].flags = SYM_HAS_ADDR;
    return true;
}

static bool
read_symbols(ElfLoad *L)
{
    const ElfShdr *s = &L->sh[L->symtab];
    const ElfShdr *t;
    uint64_t       off = shdr_off(L, L->symtab);

    if (!L->symtab)
        return true;
    if (s->entsize != sizeof(ElfSym) || s->size % sizeof(ElfSym) != 0)
        return moatR_elf_fail(L, off, "bad symbol table entry size");
    if (s->size / sizeof(ElfSym) > MAX_SYMS)
        return moatR_elf_fail(L, off, "too many symbols");
    if (s->link == 0 || s->link >= L->nsh
        || L->sh[s->link].type != ELF_SHT_STRTAB)
        return moatR_elf_fail(L, off, "symbol string table out of range");
    t = &L->sh[s->link];
    L->symoff = s->offset;
    L->str = (const char *)L->bytes + t->offset;
    L->nstr = t->size;
    L->nsym = (uint32_t)(s->size / sizeof(ElfSym));
    L->sym = moatU_calloc(L->nsym, sizeof *L->sym);
    L->si = moatU_calloc(L->nsym, sizeof *L->si);
    if (!L->sym || !L->si)
        return nomem(L);
    memcpy(L->sym, L->bytes + s->offset, L->nsym * sizeof *L->sym);
    for (uint32_t i = 0; i < L->nsym; i++)      /* the null symbol: 0 */
        L->si[i] = (ElfSymInfo){ 0, ELF_NONE, ELF_NONE, i ? 0 : SYM_HAS_ADDR };
    for (uint32_t i = 1; i < L->nsym; i++)
        if (!check_symbol(L, i))
            return false;
    return true;
}

/* ---- layout, mapping, sealing ---- */

/* start[g] is group g's offset in the image, start[ELF_NGROUP] its size. */
static bool
layout(ElfLoad *L, uint64_t *start)
{
    uint64_t cur[ELF_NGROUP] = { 0 };
    uint64_t page = page_size();

    for (uint32_t i = 1; i < L->nsh; i++) {
        const ElfShdr *s = &L->sh[i];
        uint8_t        g = L->group[i];

        if (g == ELF_G_NONE)
            continue;
        cur[g] = align_up(cur[g], s->addralign ? s->addralign : 1);
        L->at[i] = cur[g];
        if (s->size > MAX_IMAGE || (cur[g] += s->size) > MAX_IMAGE)
            return moatR_elf_fail(L, shdr_off(L, i), "image too large");
    }
    cur[ELF_G_CODE] = align_up(cur[ELF_G_CODE], 16);
    L->stub_at = cur[ELF_G_CODE];
    cur[ELF_G_CODE] += (uint64_t)L->nstub * L->arch->stub_size;
    cur[ELF_G_RO] = align_up(cur[ELF_G_RO], 8);
    L->got_at = cur[ELF_G_RO];
    cur[ELF_G_RO] += (uint64_t)L->ngot * 8;
    start[0] = 0;
    for (int g = 0; g < ELF_NGROUP; g++)
        start[g + 1] = start[g] + align_up(cur[g], page);
    if (start[ELF_NGROUP] > MAX_IMAGE)
        return moatR_elf_fail(L, MOAT_NO_OFFSET, "image too large");
    for (uint32_t i = 1; i < L->nsh; i++)
        if (L->group[i] != ELF_G_NONE)
            L->at[i] += start[L->group[i]];
    L->stub_at += start[ELF_G_CODE];
    L->got_at += start[ELF_G_RO];
    return true;
}

static bool
map_image(ElfLoad *L, size_t size)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    if (p == MAP_FAILED)
        return moatU_fail(L->err, MOAT_NO_OFFSET, MOAT_ERR_NOMEM,
                          "out of memory: cannot map %zu bytes", size);
    L->base = p;
    for (uint32_t i = 1; i < L->nsh; i++) {
        const ElfShdr *s = &L->sh[i];

        if (L->group[i] != ELF_G_NONE && s->type != ELF_SHT_NOBITS
            && s->size)
            memcpy(L->base + L->at[i], L->bytes + s->offset, s->size);
    }
    return true;
}

/* Symbol addresses, and the GOT slots and stubs that hold them. */
static void
place_symbols(ElfLoad *L)
{
    uint32_t stub_size = L->arch->stub_size;

    for (uint32_t i = 0; i < L->nsym; i++) {
        ElfSymInfo   *si = &L->si[i];
        const ElfSym *y = &L->sym[i];

        if (si->flags & SYM_GOT_BASE)
            si->addr = (uintptr_t)L->base + L->got_at;
        else if (i && (si->flags & SYM_HAS_ADDR)
                 && !(si->flags & SYM_EXTERNAL) && y->shndx != ELF_SHN_ABS)
            si->addr = (uintptr_t)L->base + L->at[y->shndx] + y->value;
        if (si->got != ELF_NONE)
            memcpy(L->base + L->got_at + (uint64_t)si->got * 8, &si->addr, 8);
        if (si->stub != ELF_NONE)
            L->arch->write_stub(L->base + L->stub_at
                                    + (uint64_t)si->stub * stub_size,
                                si->addr);
    }
}

/* Where the unwind tables landed, for gdbjit.c (a debugger unwinds guest
 * frames with them). */
static void
find_eh_frame(ElfLoad *L)
{
    for (uint32_t i = 1; i < L->nsh; i++)
        if (L->group[i] == ELF_G_RO && L->sh[i].type != ELF_SHT_NOBITS
            && strcmp(moatR_elf_sec_name(L, i), ".eh_frame") == 0) {
            L->eh_at = L->at[i];
            L->eh_size = L->sh[i].size;
            return;
        }
}

/* Never writable and executable at once: the mapping was RW until now. */
static bool
seal(ElfLoad *L, const uint64_t *start)
{
    static const int prot[] = {
        [ELF_G_CODE] = PROT_READ | PROT_EXEC, [ELF_G_RO] = PROT_READ
    };

    __builtin___clear_cache((char *)L->base,
                            (char *)L->base + start[ELF_G_RO]);
    for (int g = ELF_G_CODE; g <= ELF_G_RO; g++) {
        size_t n = (size_t)(start[g + 1] - start[g]);

        if (n && mprotect(L->base + start[g], n, prot[g]) != 0)
            return moatU_fail(L->err, MOAT_NO_OFFSET, MOAT_ERR_NOMEM,
                              "out of memory: cannot protect the image");
    }
    return true;
}

bool
moatR_elf_load(const uint8_t *bytes, size_t len, ElfResolveFn resolve,
               ElfImage **out, moat_error *err)
{
    ElfLoad  L = { .bytes = bytes, .len = len, .err = err,
                   .arch = moatR_elf_host_arch, .resolve = resolve };
    uint64_t start[ELF_NGROUP + 1] = { 0 };
    size_t   size = 0;
    ElfDebug *debug = NULL;
    bool     ok;

    *out = NULL;
    ok = read_sections(&L) && read_symbols(&L)
         && moatR_elf_scan_relocs(&L) && layout(&L, start);
    if (ok) {
        size = (size_t)start[ELF_NGROUP];
        size = size ? size : (size_t)page_size();
        ok = map_image(&L, size);
    }
    if (ok) {
        place_symbols(&L);
        find_eh_frame(&L);
        ElfSpan spans[2] = {
            { start[ELF_G_CODE], start[ELF_G_RO], true },
            { start[ELF_G_RO], start[ELF_NGROUP], false },
        };
        ok = moatR_elf_apply_relocs(&L) && seal(&L, start)
             && moatR_elf_keep_debug(&L, &debug)
             && moatR_elf_make_image(&L, size, spans, 2, out);
    }
    if (ok)
        moatR_elf_set_debug(*out, debug);
    else
        moatR_elf_debug_free(debug);
    if (!ok && L.base)
        munmap(L.base, size);
    moatU_free(L.sh);
    moatU_free(L.group);
    moatU_free(L.at);
    moatU_free(L.sym);
    moatU_free(L.si);
    return ok;
}
