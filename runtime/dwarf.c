/* dwarf.c - source locations from a module's own DWARF: the .debug_*
 * custom sections of a module built with -g, which the compiler carries in
 * the descriptor (abi.h, MoatDescSection). Read with libdw (elfutils):
 * on the first query an ELF image holding copies of the sections is built
 * in memory and opened with elf_memory + dwarf_begin_elf. Wasm DWARF
 * code addresses are offsets from the start of the code section's content
 * (WebAssembly tool-conventions, Debugging.md), so a module offset is
 * translated by MoatDescriptor.code_start. Frame walking is not here.
 */
#include <elf.h>
#include <libelf.h>
#include <string.h>

#include "debuginfo.h"

/* Code covered by one compilation unit. libdw's dwarf_addrdie wants
 * .debug_aranges, which clang does not emit for wasm: the units' own
 * ranges (DW_AT_low_pc/high_pc or DW_AT_ranges) are collected instead. */
typedef struct CuRange {
    Dwarf_Addr lo, hi;
    size_t     unit;            /* in units[] */
} CuRange;

struct DebugInfo {
    uint8_t   *image;           /* the ELF image libdw reads */
    Elf       *elf;
    Dwarf     *dbg;
    CuRange   *ranges;
    size_t     nranges, capranges;
    DwarfUnit *units;
    size_t     nunits, capunits;
};

static pthread_once_t elf_once = PTHREAD_ONCE_INIT;
static bool           is_elf_ready;

static void
elf_init(void)
{
    is_elf_ready = elf_version(EV_CURRENT) != EV_NONE;
}

/* ---- the in-memory ELF image ----
 * ELFCLASS32 little-endian (wasm32's address size is 4; libdw takes it
 * from each unit's header anyway), ET_EXEC so that libdw applies no
 * relocations, EM_NONE: libdw reads DWARF without an architecture
 * backend. Layout: header, section contents, .shstrtab, section headers
 * (null, one per DWARF section, .shstrtab). */

static uint8_t *
build_image(const MoatDescriptor *d, size_t *len)
{
    static const char shstrtab[] = ".shstrtab";
    uint64_t          n = d->ndebug, at = sizeof(Elf32_Ehdr), names = 1;

    for (uint64_t i = 0; i < n; i++) {
        at += d->debug[i].bytes.len;
        names += d->debug[i].name.len + 1;
    }
    names += sizeof shstrtab;
    uint64_t shoff = (at + names + 3) & ~(uint64_t)3;
    uint64_t total = shoff + (n + 2) * sizeof(Elf32_Shdr);
    if (total > UINT32_MAX)
        return NULL;
    uint8_t *img = moatU_calloc(1, (size_t)total);
    if (!img)
        return NULL;

    Elf32_Ehdr eh = { .e_type = ET_EXEC, .e_machine = EM_NONE,
                      .e_version = EV_CURRENT, .e_shoff = (Elf32_Off)shoff,
                      .e_ehsize = sizeof eh,
                      .e_shentsize = sizeof(Elf32_Shdr),
                      .e_shnum = (Elf32_Half)(n + 2),
                      .e_shstrndx = (Elf32_Half)(n + 1) };
    memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS32;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    memcpy(img, &eh, sizeof eh);

    Elf32_Shdr *sh = (Elf32_Shdr *)(void *)(img + shoff);
    uint64_t    data = sizeof eh, name = at + 1;    /* name 0: "" */
    for (uint64_t i = 0; i < n; i++) {
        const MoatDescSection *s = &d->debug[i];
        sh[i + 1] = (Elf32_Shdr){ .sh_name = (Elf32_Word)(name - at),
                                  .sh_type = SHT_PROGBITS,
                                  .sh_offset = (Elf32_Off)data,
                                  .sh_size = (Elf32_Word)s->bytes.len,
                                  .sh_addralign = 1 };
        if (s->bytes.len)
            memcpy(img + data, s->bytes.p, (size_t)s->bytes.len);
        memcpy(img + name, s->name.p, (size_t)s->name.len);
        data += s->bytes.len;
        name += s->name.len + 1;
    }
    sh[n + 1] = (Elf32_Shdr){ .sh_name = (Elf32_Word)(name - at),
                              .sh_type = SHT_STRTAB,
                              .sh_offset = (Elf32_Off)at,
                              .sh_size = (Elf32_Word)names,
                              .sh_addralign = 1 };
    memcpy(img + name, shstrtab, sizeof shstrtab);
    *len = (size_t)total;
    return img;
}

void
moatR_debug_free(moat_module *m)
{
    struct DebugInfo *di = m->debug;

    if (!di)
        return;
    if (di->dbg)
        dwarf_end(di->dbg);
    if (di->elf)
        elf_end(di->elf);
    moatU_free(di->image);
    moatU_free(di->ranges);
    for (size_t i = 0; i < di->nunits; i++)
        moatR_dwarf_unit_free(&di->units[i]);
    moatU_free(di->units);
    moatU_free(di);
    m->debug = NULL;
}

/* arr (n elements of size bytes used, *cap allocated) with room for one
 * more: arr itself, or a larger copy (arr freed); NULL when out of
 * memory (arr kept). */
static void *
grow(void *arr, size_t n, size_t *cap, size_t size)
{
    if (n < *cap)
        return arr;
    size_t c = *cap ? 2 * *cap : 64;
    void  *p = moatU_calloc(c, size);
    if (!p)
        return NULL;
    if (n)
        memcpy(p, arr, n * size);
    moatU_free(arr);
    *cap = c;
    return p;
}

static bool
add_range(struct DebugInfo *di, Dwarf_Addr lo, Dwarf_Addr hi)
{
    if (lo >= hi)                       /* empty, or a dead function's */
        return true;
    CuRange *r = grow(di->ranges, di->nranges, &di->capranges, sizeof *r);
    if (!r)
        return false;
    di->ranges = r;
    di->ranges[di->nranges++] = (CuRange){ lo, hi, di->nunits - 1 };
    return true;
}

/* Every unit's code ranges. A unit whose ranges libdw cannot read is left
 * out; running out of memory gives up. */
static bool
index_units(struct DebugInfo *di)
{
    Dwarf_Off off = 0, next;
    size_t    hsize;

    while (dwarf_nextcu(di->dbg, off, &next, &hsize, NULL, NULL, NULL) == 0) {
        Dwarf_Die  cu;
        Dwarf_Addr base, lo, hi;
        ptrdiff_t  at = 0;
        if (!dwarf_offdie(di->dbg, off + hsize, &cu)) {
            off = next;
            continue;
        }
        DwarfUnit *u = grow(di->units, di->nunits, &di->capunits,
                            sizeof *u);
        if (!u)
            return false;
        di->units = u;
        di->units[di->nunits++] = (DwarfUnit){ .die = off + hsize };
        while ((at = dwarf_ranges(&cu, at, &base, &lo, &hi)) > 0)
            if (!add_range(di, lo, hi))
                return false;
        off = next;
    }
    return true;
}

/* The reader, opened on first use; NULL when there is no DWARF or libdw
 * refuses it (then it is not tried again). Called with debug_lock held. */
static struct DebugInfo *
open_debug(moat_module *m)
{
    size_t len;

    if (m->is_debug_tried)
        return m->debug;
    m->is_debug_tried = true;
    pthread_once(&elf_once, elf_init);
    struct DebugInfo *di = moatU_calloc(1, sizeof *di);
    if (!is_elf_ready || !di)
        return moatU_free(di), NULL;
    m->debug = di;
    if (!(di->image = build_image(m->desc, &len)) ||
        !(di->elf = elf_memory((char *)di->image, len)) ||
        !(di->dbg = dwarf_begin_elf(di->elf, DWARF_C_READ, NULL)) ||
        !index_units(di)) {
        moatR_debug_free(m);
        return NULL;
    }
    return di;
}

/* ---- one query ---- */

/* The first unit covering addr that knows it. Units may overlap: a
 * linker that gives dead functions address 0 leaves their ranges over
 * live code. */
static size_t
lookup(struct DebugInfo *di, Dwarf_Addr addr, moat_source_loc *out,
       size_t max)
{
    for (size_t i = 0; i < di->nranges; i++) {
        const CuRange *r = &di->ranges[i];
        if (addr < r->lo || addr >= r->hi)
            continue;
        size_t n = moatR_dwarf_frames(di->dbg, &di->units[r->unit], addr,
                                      out, max);
        if (n)
            return n;
    }
    return 0;
}

size_t
moat_module_source_locs(const moat_module *m, uint64_t offset,
                        moat_source_loc *out, size_t max)
{
    const MoatDescriptor *d = m->desc;
    moat_module          *mm = (moat_module *)m;   /* the lazy reader */
    size_t                n = 0;

    if (!d->ndebug || offset < d->code_start ||
        offset - d->code_start > UINT32_MAX)
        return 0;
    pthread_mutex_lock(&mm->debug_lock);
    struct DebugInfo *di = open_debug(mm);
    if (di)
        n = lookup(di, offset - d->code_start, out, max);
    pthread_mutex_unlock(&mm->debug_lock);
    return n;
}

uint64_t
moat_module_debug_size(const moat_module *m)
{
    uint64_t n = 0;

    for (uint64_t i = 0; i < m->desc->ndebug; i++)
        n += m->desc->debug[i].bytes.len;
    return n;
}
