/* backtrace_dw.c - native code address to wasm frames, through the DWARF
 * the compiler put in the artifact (llvm-lower/debuginfo.c: a
 * subprogram wasm_fN per function, line = wasm byte offset), read with
 * elfutils: libdwfl for an object, which applies its relocations to its
 * debug sections against the addresses the loader gave each section;
 * libdw alone for a shared object, already linked. Made on
 * the first trap that needs it (loading never pays for it); one per
 * image, under the image's lock (libdwfl is not thread-safe).
 */
#include <dwarf.h>
#include <elfutils/libdwfl.h>
#include <stdlib.h>
#include <string.h>

#include "runtime.h"

struct DwState {
    Dwfl       *dwfl;           /* an object's: relocates its DWARF */
    Elf        *elf;            /* a shared object's (needs no relocation) */
    Dwarf      *dbg;            /* NULL: the DWARF could not be read */
    Dwarf_Addr  bias;           /* runtime address - DWARF address */
};

static int
find_elf(Dwfl_Module *mod, void **userdata, const char *modname,
         Dwarf_Addr base, char **file_name, Elf **elfp)
{
    const ElfDebug *d = *userdata;

    (void)mod, (void)modname, (void)base;
    *file_name = NULL;
    *elfp = elf_memory((char *)d->elf, d->len);
    return -1;
}

/* Where the loader put section shndx; -1: not loaded (libdwfl's word). */
static int
section_address(Dwfl_Module *mod, void **userdata, const char *modname,
                Dwarf_Addr base, const char *secname, GElf_Word shndx,
                const GElf_Shdr *shdr, Dwarf_Addr *addr)
{
    const ElfDebug *d = *userdata;

    (void)mod, (void)modname, (void)base, (void)secname, (void)shdr;
    *addr = shndx < d->nsh && d->addr[shndx] ? d->addr[shndx]
                                             : (Dwarf_Addr)-1;
    return DWARF_CB_OK;
}

/* The DWARF is in the copy itself: never look on disk. */
static int
find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname,
               Dwarf_Addr base, const char *file_name,
               const char *debuglink_file, GElf_Word debuglink_crc,
               char **debuginfo_file_name)
{
    (void)mod, (void)userdata, (void)modname, (void)base, (void)file_name;
    (void)debuglink_file, (void)debuglink_crc;
    *debuginfo_file_name = NULL;
    return -1;
}

static const Dwfl_Callbacks callbacks = {
    .find_elf = find_elf,
    .find_debuginfo = find_debuginfo,
    .section_address = section_address,
};

/* An object: libdwfl applies its debug sections' relocations against
 * the sections' load addresses (section_address), as for kernel
 * modules. */
static void
open_rel(DwState *dw, const ElfDebug *d)
{
    dw->dwfl = dwfl_begin(&callbacks);
    if (!dw->dwfl || d->lo >= d->hi)
        return;
    dwfl_report_begin(dw->dwfl);
    Dwfl_Module *mod = dwfl_report_module(dw->dwfl, "wasm", d->lo, d->hi);
    void       **ud = NULL;
    if (mod && dwfl_module_info(mod, &ud, NULL, NULL, NULL, NULL, NULL,
                                NULL) && ud)
        *ud = (void *)d;
    dwfl_report_end(dw->dwfl, NULL, NULL);
    if (mod && ud)
        dw->dbg = dwfl_module_getdwarf(mod, &dw->bias);
}

/* A shared object: linked, its DWARF holds link-time addresses. */
static void
open_dyn(DwState *dw, const ElfDebug *d)
{
    dw->elf = elf_memory((char *)d->elf, d->len);
    if (dw->elf)
        dw->dbg = dwarf_begin_elf(dw->elf, DWARF_C_READ, NULL);
    dw->bias = d->bias;
}

static DwState *
dw_open(const ElfDebug *d)
{
    DwState *dw = moatU_calloc(1, sizeof *dw);

    if (!dw)
        return NULL;
    elf_version(EV_CURRENT);
    if (d->is_dyn)
        open_dyn(dw, d);
    else
        open_rel(dw, d);
    return dw;
}

void
moatR_dw_free(DwState *dw)
{
    if (!dw)
        return;
    if (dw->dwfl)
        dwfl_end(dw->dwfl);         /* ends its Dwarf and Elf too */
    if (dw->elf) {
        if (dw->dbg)
            dwarf_end(dw->dbg);
        elf_end(dw->elf);
    }
    moatU_free(dw);
}

/* The wasm function of a subprogram named wasm_fN; MOAT_NO_FUNC for
 * anything else (a trampoline). */
static uint32_t
die_func(Dwarf_Die *die)
{
    Dwarf_Attribute a;
    const char     *name = dwarf_formstring(
        dwarf_attr_integrate(die, DW_AT_name, &a));
    char           *end;

    if (!name || strncmp(name, "wasm_f", 6) != 0 || !name[6])
        return MOAT_NO_FUNC;
    unsigned long v = strtoul(name + 6, &end, 10);
    return *end || v >= MOAT_NO_FUNC ? MOAT_NO_FUNC : (uint32_t)v;
}

static uint64_t
call_line(Dwarf_Die *die)
{
    Dwarf_Attribute a;
    Dwarf_Word      v;

    if (dwarf_formudata(dwarf_attr(die, DW_AT_call_line, &a), &v) != 0
        || v == 0)
        return MOAT_NO_OFFSET;
    return v;
}

/* The line of pc (cu-relative address) in its unit's line table. */
static uint64_t
pc_line(Dwarf_Die *cu, Dwarf_Addr pc)
{
    Dwarf_Line *l = dwarf_getsrc_die(cu, pc);
    int         line = 0;

    if (!l || dwarf_lineno(l, &line) != 0 || line <= 0)
        return MOAT_NO_OFFSET;
    return (uint64_t)line;
}

/* The compile unit holding pc (a DWARF address). Not
 * dwfl_module_addrdie: before elfutils 0.189 it reads only
 * .debug_aranges, which LLVM does not write; a module has one unit per
 * partition (llvm-lower/partition.c), so a walk is short. */
static bool
unit_of(Dwarf *dbg, Dwarf_Addr pc, Dwarf_Die *cu)
{
    Dwarf_Off off = 0, next;
    size_t    hsize;

    while (dwarf_nextcu(dbg, off, &next, &hsize, NULL, NULL, NULL) == 0) {
        if (dwarf_offdie(dbg, off + hsize, cu) && dwarf_haspc(cu, pc) > 0)
            return true;
        off = next;
    }
    return false;
}

/* The frames of pc, innermost first. dwarf_getscopes finds the innermost
 * scope holding pc, but climbs from an inlined instance into its
 * abstract origin's scopes; the physical nesting (inlined subroutine in
 * subroutine in subprogram) is that DIE's parents (dwarf_getscopes_die,
 * as eu-addr2line -i does). Each inlined subroutine is a frame whose
 * caller's offset is its call line. */
static int
scope_frames(Dwarf *dbg, Dwarf_Addr pc, moat_frame *out, size_t max)
{
    Dwarf_Die  cu;
    Dwarf_Die *scopes = NULL, *chain = NULL;
    bool       has_cu = unit_of(dbg, pc, &cu);
    int        n = has_cu ? dwarf_getscopes(&cu, pc, &scopes) : 0;
    int        nchain = n > 0 ? dwarf_getscopes_die(&scopes[0], &chain) : 0;
    uint64_t   off = has_cu ? pc_line(&cu, pc) : MOAT_NO_OFFSET;
    size_t     k = 0;

    if (nchain <= 0) {
        free(scopes);
        return -1;
    }
    for (int i = 0; i < nchain && k < max; i++) {
        int tag = dwarf_tag(&chain[i]);
        if (tag != DW_TAG_inlined_subroutine && tag != DW_TAG_subprogram)
            continue;
        uint32_t f = die_func(&chain[i]);
        if (f == MOAT_NO_FUNC)
            break;              /* a trampoline: the entry of the call */
        out[k++] = (moat_frame){ NULL, f, tag == DW_TAG_inlined_subroutine,
                                 off };
        if (tag == DW_TAG_subprogram)
            break;
        off = call_line(&chain[i]);
    }
    free(scopes);
    free(chain);
    return (int)k;
}

int
moatR_dw_frames(const ElfImage *img, uintptr_t pc, moat_frame *out,
                size_t max)
{
    ElfDebug *d = (ElfDebug *)moatR_elf_debug(img);
    int       n = -1;

    if (!d || max == 0)
        return -1;
    pthread_mutex_lock(&d->lock);
    if (!d->dw)
        d->dw = dw_open(d);
    if (d->dw && d->dw->dbg)
        n = scope_frames(d->dw->dbg, pc - d->dw->bias, out, max);
    pthread_mutex_unlock(&d->lock);
    return n;
}
