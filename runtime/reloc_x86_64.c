/* reloc_x86_64.c - x86-64 relocations (System V psABI x86-64, 4.4): the
 * table of relocation types the loader accepts, how a field is written and
 * the stub that reaches an external function anywhere in the address
 * space; then the two passes over the RELA sections. The passes read only
 * the ElfArch table: an aarch64 port adds reloc_aarch64.c (ADRP pages,
 * veneers for BL's +-128 MiB) and moves them to a shared reloc.c.
 * GOT-relative loads are not relaxed: every GOTPCREL gets a real slot.
 */
#include <inttypes.h>
#include <string.h>

#include "elfload.h"

#define EM_X86_64 62

/* Field kinds: what patch() writes. */
enum { F_NONE, F_W64, F_U32, F_S32 };

/* psABI x86-64, table 4.9 (names only matter for messages). */
enum {
    R_X86_64_NONE = 0, R_X86_64_64, R_X86_64_PC32, R_X86_64_GOT32,
    R_X86_64_PLT32, R_X86_64_COPY, R_X86_64_GLOB_DAT, R_X86_64_JUMP_SLOT,
    R_X86_64_RELATIVE, R_X86_64_GOTPCREL, R_X86_64_32, R_X86_64_32S,
    R_X86_64_16, R_X86_64_PC16, R_X86_64_8, R_X86_64_PC8,
    R_X86_64_DTPMOD64, R_X86_64_DTPOFF64, R_X86_64_TPOFF64, R_X86_64_TLSGD,
    R_X86_64_TLSLD, R_X86_64_DTPOFF32, R_X86_64_GOTTPOFF, R_X86_64_TPOFF32,
    R_X86_64_PC64, R_X86_64_GOTOFF64, R_X86_64_GOTPC32, R_X86_64_GOT64,
    R_X86_64_GOTPCREL64, R_X86_64_GOTPC64, R_X86_64_GOTPLT64,
    R_X86_64_PLTOFF64, R_X86_64_SIZE32, R_X86_64_SIZE64,
    R_X86_64_GOTPC32_TLSDESC, R_X86_64_TLSDESC_CALL, R_X86_64_TLSDESC,
    R_X86_64_IRELATIVE, R_X86_64_RELATIVE64,
    R_X86_64_GOTPCRELX = 41, R_X86_64_REX_GOTPCRELX, NTYPES
};

#define T(t, calc, dcalc, field, size) \
    [t] = { #t, ELF_CALC_##calc, ELF_DCALC_##dcalc, field, size }
#define NO(t) T(t, UNSUPPORTED, UNSUPPORTED, F_NONE, 0)

/* What LLVM's x86-64 backend emits for PIC and the small code model (and
 * the absolute forms of non-PIC code), what the linker leaves in a shared
 * object linked from that (RELATIVE, 64, GLOB_DAT and JUMP_SLOT, bound at
 * load), and the rest by name for errors. IRELATIVE would run a resolver
 * of the file; COPY and the TLS types need a dynamic linker's data. */
static const ElfRelocType types[NTYPES] = {
    T(R_X86_64_NONE, NONE, NONE, F_NONE, 0),
    T(R_X86_64_64, ABS, ABS, F_W64, 8),
    T(R_X86_64_PC32, PC, UNSUPPORTED, F_S32, 4),
    T(R_X86_64_PLT32, PLT, UNSUPPORTED, F_S32, 4),
    T(R_X86_64_GOTPCREL, GOTPC, UNSUPPORTED, F_S32, 4),
    T(R_X86_64_32, ABS, UNSUPPORTED, F_U32, 4),
    T(R_X86_64_32S, ABS, UNSUPPORTED, F_S32, 4),
    T(R_X86_64_PC64, PC, UNSUPPORTED, F_W64, 8),
    T(R_X86_64_GOTPCRELX, GOTPC, UNSUPPORTED, F_S32, 4),
    T(R_X86_64_REX_GOTPCRELX, GOTPC, UNSUPPORTED, F_S32, 4),
    T(R_X86_64_GLOB_DAT, UNSUPPORTED, SYM, F_W64, 8),
    T(R_X86_64_JUMP_SLOT, UNSUPPORTED, SYM, F_W64, 8),
    T(R_X86_64_RELATIVE, UNSUPPORTED, RELATIVE, F_W64, 8),
    NO(R_X86_64_GOT32), NO(R_X86_64_COPY), NO(R_X86_64_16),
    NO(R_X86_64_PC16), NO(R_X86_64_8), NO(R_X86_64_PC8),
    NO(R_X86_64_DTPMOD64), NO(R_X86_64_DTPOFF64), NO(R_X86_64_TPOFF64),
    NO(R_X86_64_TLSGD), NO(R_X86_64_TLSLD), NO(R_X86_64_DTPOFF32),
    NO(R_X86_64_GOTTPOFF), NO(R_X86_64_TPOFF32), NO(R_X86_64_GOTOFF64),
    NO(R_X86_64_GOTPC32), NO(R_X86_64_GOT64), NO(R_X86_64_GOTPCREL64),
    NO(R_X86_64_GOTPC64), NO(R_X86_64_GOTPLT64), NO(R_X86_64_PLTOFF64),
    NO(R_X86_64_SIZE32), NO(R_X86_64_SIZE64), NO(R_X86_64_GOTPC32_TLSDESC),
    NO(R_X86_64_TLSDESC_CALL), NO(R_X86_64_TLSDESC), NO(R_X86_64_IRELATIVE),
    NO(R_X86_64_RELATIVE64),
};

static bool
patch(uint8_t *at, uint8_t field, uint64_t v)
{
    int64_t  s = (int64_t)v;
    uint32_t w = (uint32_t)v;

    switch (field) {
    case F_W64:
        memcpy(at, &v, sizeof v);
        return true;
    case F_U32:
        if (v > UINT32_MAX)
            return false;
        break;
    case F_S32:
        if (s < INT32_MIN || s > INT32_MAX)
            return false;
        break;
    default:
        return true;
    }
    memcpy(at, &w, sizeof w);
    return true;
}

/* jmp *0(%rip); .quad target; int3 padding to 16 bytes. Reaches anywhere,
 * clobbers no register. */
static void
write_stub(uint8_t *at, uint64_t target)
{
    static const uint8_t jmp[6] = { 0xff, 0x25, 0, 0, 0, 0 };

    memcpy(at, jmp, sizeof jmp);
    memcpy(at + 6, &target, sizeof target);
    at[14] = at[15] = 0xcc;
}

const ElfArch moatR_elf_x86_64 = {
    .machine = EM_X86_64,
    .name = "x86-64",
    .types = types,
    .ntypes = NTYPES,
    .stub_size = 16,
    .write_stub = write_stub,
    .patch = patch,
};

/* ---- the passes (arch-independent: they use only L->arch) ---- */

typedef bool (*RelaFn)(ElfLoad *L, uint32_t target, uint64_t off,
                       const ElfRela *r);

/* Sets *target to the loaded section a RELA section patches, or 0 when it
 * patches something not loaded (debug info) or is no RELA section. */
static bool
check_rela(ElfLoad *L, uint32_t i, uint32_t *target)
{
    const ElfShdr *s = &L->sh[i];
    uint64_t       off = L->shoff + (uint64_t)i * sizeof *s;

    *target = 0;
    if (s->type != ELF_SHT_RELA && s->type != ELF_SHT_REL)
        return true;
    if (s->info >= L->nsh)
        return moatR_elf_fail(L, off, "relocation section '%.80s' targets "
                              "section %u, out of range",
                              moatR_elf_sec_name(L, i), s->info);
    if (s->info == 0 || L->group[s->info] == ELF_G_NONE)
        return true;
    if (s->type == ELF_SHT_REL)
        return moatR_elf_fail(L, off, "REL relocations are not supported");
    if (s->entsize != sizeof(ElfRela) || s->size % sizeof(ElfRela) != 0)
        return moatR_elf_fail(L, off, "bad relocation entry size");
    if (!L->symtab || s->link != L->symtab)
        return moatR_elf_fail(L, off, "relocation section does not use the "
                              "symbol table");
    if (L->sh[s->info].type == ELF_SHT_NOBITS)
        return moatR_elf_fail(L, off, "relocations in section '%.80s' "
                              "without data",
                              moatR_elf_sec_name(L, s->info));
    *target = s->info;
    return true;
}

static bool
each_rela(ElfLoad *L, RelaFn fn)
{
    for (uint32_t i = 1; i < L->nsh; i++) {
        const ElfShdr *s = &L->sh[i];
        uint32_t       target;

        if (!check_rela(L, i, &target))
            return false;
        for (uint64_t k = 0; target && k < s->size / sizeof(ElfRela); k++) {
            uint64_t off = s->offset + k * sizeof(ElfRela);
            ElfRela  r;

            memcpy(&r, L->bytes + off, sizeof r);
            if (!fn(L, target, off, &r))
                return false;
        }
    }
    return true;
}

static const ElfRelocType *
reloc_type(const ElfLoad *L, const ElfRela *r)
{
    uint32_t type = (uint32_t)r->info;

    return type < L->arch->ntypes ? &L->arch->types[type] : NULL;
}

/* Validates one entry; gives its symbol a GOT slot or a stub if needed. */
static bool
scan_one(ElfLoad *L, uint32_t target, uint64_t off, const ElfRela *r)
{
    const ElfRelocType *t = reloc_type(L, r);
    uint32_t            sym = (uint32_t)(r->info >> 32);
    uint64_t            size = L->sh[target].size;
    ElfSymInfo         *si;

    if (!t || !t->name)
        return moatR_elf_fail(L, off, "unsupported relocation type %" PRIu32,
                              (uint32_t)r->info);
    if (t->calc == ELF_CALC_UNSUPPORTED)
        return moatR_elf_fail(L, off, "unsupported relocation type %s",
                              t->name);
    if (r->offset > size || size - r->offset < t->size)
        return moatR_elf_fail(L, off, "relocation offset out of section");
    if (sym >= L->nsym)
        return moatR_elf_fail(L, off, "relocation symbol out of range");
    si = &L->si[sym];
    if (!(si->flags & SYM_HAS_ADDR))
        return moatR_elf_fail(L, off, "relocation against '%.80s', which is "
                              "not loaded", moatR_elf_sym_name(L, sym));
    if (t->calc == ELF_CALC_GOTPC && si->got == ELF_NONE)
        si->got = L->ngot++;
    if (t->calc == ELF_CALC_PLT && (si->flags & SYM_EXTERNAL)
        && si->stub == ELF_NONE)
        si->stub = L->nstub++;
    return true;
}

/* Computes and writes one validated entry into the mapped image. */
static bool
apply_one(ElfLoad *L, uint32_t target, uint64_t off, const ElfRela *r)
{
    const ElfRelocType *t = reloc_type(L, r);
    uint32_t            sym = (uint32_t)(r->info >> 32);
    const ElfSymInfo   *si = &L->si[sym];
    uint8_t            *p = L->base + L->at[target] + r->offset;
    uint64_t            P = (uintptr_t)p, A = (uint64_t)r->addend;
    uint64_t            S = si->addr, v;

    switch (t->calc) {
    case ELF_CALC_ABS:
        v = S + A;
        break;
    case ELF_CALC_PC:
        v = S + A - P;
        break;
    case ELF_CALC_PLT:
        if (si->stub != ELF_NONE)
            S = (uintptr_t)L->base + L->stub_at
                + (uint64_t)si->stub * L->arch->stub_size;
        v = S + A - P;
        break;
    case ELF_CALC_GOTPC:
        v = (uintptr_t)L->base + L->got_at + (uint64_t)si->got * 8 + A - P;
        break;
    default:
        return true;            /* NONE */
    }
    if (!L->arch->patch(p, t->field, v))
        return moatR_elf_fail(L, off, "relocation out of range: %s at "
                              "%.40s+0x%" PRIx64 " against '%.80s'",
                              t->name, moatR_elf_sec_name(L, target),
                              r->offset, moatR_elf_sym_name(L, sym));
    return true;
}

bool
moatR_elf_scan_relocs(ElfLoad *L)
{
    return each_rela(L, scan_one);
}

bool
moatR_elf_apply_relocs(ElfLoad *L)
{
    return each_rela(L, apply_one);
}
