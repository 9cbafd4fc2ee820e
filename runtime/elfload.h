/* elfload.h - the loaders of compiled artifacts: relocatable ELF objects
 * (ELF64, ET_REL) that LLVM emits for a compiled module, and the shared
 * objects (ET_DYN) `moat compile -shared` links from them; no LLVM, no
 * dynamic linker, and no code of the file runs while it loads. elf.c
 * validates and maps an object, elf_dyn.c a shared object, elf_image.c
 * holds what both share (header checks, the loaded image), reloc_<arch>.c
 * applies relocations, symbols.c is the allow-list of what compiled code
 * may reference outside itself.
 *
 * Beware: with -Iruntime this file shadows the system <elf.h> (and breaks
 * <link.h>, which includes it), so it defines the few ELF64 records it
 * needs itself (System V gABI, "Object Files").
 */
#ifndef MOAT_ELF_H
#define MOAT_ELF_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* Loaded code and data of one object, with its global symbols. Owned: free
 * with moatR_elf_free. Immutable once loaded; shared by instances. */
typedef struct ElfImage ElfImage;

/* Returns the address of an undefined symbol, or NULL if it is not allowed
 * (the load then fails). */
typedef void *(*ElfResolveFn)(const char *name);

/* elf.c (ET_REL) and elf_dyn.c (ET_DYN): bytes are read only during the
 * call. On success *out is the caller's; on failure *out is NULL and err
 * says why (MOAT_ERR_CONTRACT with the byte offset in the file, or
 * MOAT_ERR_NOMEM). resolve may be NULL: nothing is allowed. */
bool  moatR_elf_load(const uint8_t *bytes, size_t len, ElfResolveFn resolve,
                     ElfImage **out, moat_error *err);
bool  moatR_elf_load_shared(const uint8_t *bytes, size_t len,
                            ElfResolveFn resolve, ElfImage **out,
                            moat_error *err);

/* elf_image.c */
/* Address of a defined global (or weak) symbol, NULL if there is none.
 * Borrowed: valid until moatR_elf_free. */
void *moatR_elf_symbol(const ElfImage *img, const char *name);
/* The address of the image's only global symbol when its name ends with
 * suffix, else NULL (a named plugin's NAME_descriptor). */
void *moatR_elf_only_symbol(const ElfImage *img, const char *suffix);
/* Whether pc lies in the image's executable code (async-signal-safe). */
bool  moatR_elf_contains_pc(const ElfImage *img, uintptr_t pc);
/* The span of executable code holding pc, [*lo, *hi); false if none. */
bool  moatR_elf_code_span(const ElfImage *img, uintptr_t pc, uintptr_t *lo,
                          uintptr_t *hi);
/* Whether [p, p + n) lies in one span of the image's data (not code). */
bool  moatR_elf_has_data(const ElfImage *img, const void *p, uint64_t n);
/* Bytes of data from p to the end of its span; 0 if p is not in data. */
size_t moatR_elf_data_left(const ElfImage *img, const void *p);
/* For profilers and debuggers (profile.c, gdbjit.c): the size the symbol
 * table gives the function whose code starts at code, 0 when the loader
 * kept none (shared objects keep only their dynamic symbols); the
 * loaded, relocated .eh_frame (false if the object has none). */
uint64_t moatR_elf_func_size(const ElfImage *img, const void *code);
bool  moatR_elf_eh_frame(const ElfImage *img, const uint8_t **p, size_t *n);
void  moatR_elf_free(ElfImage *img);                     /* NULL: no-op */

/* elf_debug.c: what an object keeps for trap backtraces
 * (docs/backtraces.md): a trimmed copy of the file (its DWARF, the
 * relocations and symbols that DWARF needs, the section headers; every
 * other section SHT_NOBITS) and the load address of each section. */
typedef struct ElfDebug {
    uint8_t        *elf;        /* the copy, len bytes */
    size_t          len;
    uint64_t       *addr;       /* per section: its address, 0 = none */
    uint32_t        nsh;
    uint64_t        lo, hi;     /* the loaded sections' span */
    bool            is_dyn;     /* a shared object's: DWARF linked, */
    uint64_t        bias;       /* at runtime address - bias */
    pthread_mutex_t lock;       /* libdwfl is not thread-safe */
    struct DwState *dw;         /* backtrace_dw.c, made on first use */
} ElfDebug;
void moatR_elf_debug_free(ElfDebug *d);                 /* NULL: no-op */
/* backtrace_dw.c */
void moatR_dw_free(struct DwState *dw);                 /* NULL: no-op */
/* The image's debug copy, NULL when it has none. */
const ElfDebug *moatR_elf_debug(const ElfImage *img);

/* symbols.c: the allow-list, an ElfResolveFn. */
void *moatR_resolve_symbol(const char *name);

/* ---- internal to the loader: elf.c and reloc_<arch>.c ---- */

/* ELF64 records as they lie in the file (little-endian, copied out with
 * memcpy since the caller's bytes need not be aligned). */
typedef struct ElfEhdr {
    uint8_t  ident[16];
    uint16_t type, machine;
    uint32_t version;
    uint64_t entry, phoff, shoff;
    uint32_t flags;
    uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
} ElfEhdr;

typedef struct ElfShdr {
    uint32_t name, type;
    uint64_t flags, addr, offset, size;
    uint32_t link, info;
    uint64_t addralign, entsize;
} ElfShdr;

typedef struct ElfSym {
    uint32_t name;
    uint8_t  info, other;
    uint16_t shndx;
    uint64_t value, size;
} ElfSym;

typedef struct ElfRela {
    uint64_t offset, info;      /* info: symbol << 32 | type */
    int64_t  addend;
} ElfRela;

typedef struct ElfPhdr {
    uint32_t type, flags;
    uint64_t offset, vaddr, paddr, filesz, memsz, align;
} ElfPhdr;

typedef struct ElfDyn {
    int64_t  tag;
    uint64_t val;
} ElfDyn;

_Static_assert(sizeof(ElfEhdr) == 64, "Elf64_Ehdr layout");
_Static_assert(sizeof(ElfShdr) == 64, "Elf64_Shdr layout");
_Static_assert(sizeof(ElfSym) == 24, "Elf64_Sym layout");
_Static_assert(sizeof(ElfRela) == 24, "Elf64_Rela layout");
_Static_assert(sizeof(ElfPhdr) == 56, "Elf64_Phdr layout");
_Static_assert(sizeof(ElfDyn) == 16, "Elf64_Dyn layout");

enum {
    ELF_CLASS64 = 2, ELF_DATA2LSB = 1, ELF_EV_CURRENT = 1, ELF_ET_REL = 1,
    ELF_ET_DYN = 3,
    ELF_SHT_NULL = 0, ELF_SHT_PROGBITS = 1, ELF_SHT_SYMTAB = 2,
    ELF_SHT_STRTAB = 3, ELF_SHT_RELA = 4, ELF_SHT_NOTE = 7,
    ELF_SHT_NOBITS = 8, ELF_SHT_REL = 9, ELF_SHT_SYMTAB_SHNDX = 18,
    ELF_SHT_LOPROC = 0x70000000,
    ELF_SHF_WRITE = 0x1, ELF_SHF_ALLOC = 0x2, ELF_SHF_EXECINSTR = 0x4,
    ELF_SHF_TLS = 0x400,
    ELF_SHN_UNDEF = 0, ELF_SHN_LORESERVE = 0xff00, ELF_SHN_ABS = 0xfff1,
    ELF_SHN_COMMON = 0xfff2, ELF_SHN_XINDEX = 0xffff,
    ELF_STB_LOCAL = 0, ELF_STB_GLOBAL = 1, ELF_STB_WEAK = 2,
    ELF_STT_FUNC = 2, ELF_STT_SECTION = 3, ELF_STT_COMMON = 5, ELF_STT_TLS = 6,
    ELF_STT_GNU_IFUNC = 10
};

/* How a relocation's value is computed (psABI notation): S symbol, A
 * addend, P place, L call target (a stub for external symbols, else S),
 * G + GOT the symbol's GOT slot. 0 = known but unsupported. */
enum {
    ELF_CALC_UNSUPPORTED, ELF_CALC_NONE, ELF_CALC_ABS /* S + A */,
    ELF_CALC_PC /* S + A - P */, ELF_CALC_PLT /* L + A - P */,
    ELF_CALC_GOTPC /* G + GOT + A - P */
};

/* How a dynamic relocation (in a shared object) is computed: B the load
 * bias, S, A. 0 = not accepted in a shared object. */
enum {
    ELF_DCALC_UNSUPPORTED, ELF_DCALC_NONE, ELF_DCALC_RELATIVE /* B + A */,
    ELF_DCALC_ABS /* S + A */, ELF_DCALC_SYM /* S: GOT and PLT slots */
};

typedef struct ElfRelocType {
    const char *name;           /* NULL: unknown type */
    uint8_t     calc;           /* ELF_CALC_*, in a relocatable object */
    uint8_t     dcalc;          /* ELF_DCALC_*, in a shared object */
    uint8_t     field;          /* the arch's field kind, for patch() */
    uint8_t     size;           /* bytes patched at r_offset */
} ElfRelocType;

/* One target architecture (QBE's Target): its relocation table, the stub
 * that reaches external functions, and how a field is written. */
typedef struct ElfArch {
    uint16_t            machine;    /* e_machine */
    const char         *name;       /* in "not x86-64" */
    const ElfRelocType *types;      /* indexed by relocation type */
    uint32_t            ntypes;
    uint32_t            stub_size;  /* bytes per stub, a multiple of 16 */
    void (*write_stub)(uint8_t *at, uint64_t target);
    /* Writes v into the field at `at`; false if v does not fit. */
    bool (*patch)(uint8_t *at, uint8_t field, uint64_t v);
} ElfArch;

extern const ElfArch moatR_elf_x86_64;
extern const ElfArch *const moatR_elf_host_arch;    /* NULL: none */

#define ELF_NONE UINT32_MAX     /* no GOT slot, no stub */

/* SYM_EXTERNAL: resolved by the caller; SYM_GOT_BASE: the undefined
 * _GLOBAL_OFFSET_TABLE_, which stands for our GOT. */
enum { SYM_HAS_ADDR = 1, SYM_EXTERNAL = 2, SYM_GOT_BASE = 4 };

/* What the loader knows of each symbol. */
typedef struct ElfSymInfo {
    uint64_t addr;              /* once mapped (external: when resolved) */
    uint32_t got, stub;         /* slot numbers or ELF_NONE */
    uint8_t  flags;             /* SYM_* */
} ElfSymInfo;

/* The state of one load. Offsets `at` are from the start of the image. */
typedef struct ElfLoad {
    const uint8_t *bytes;
    size_t         len;
    moat_error    *err;
    const ElfArch *arch;
    ElfResolveFn   resolve;
    uint64_t       shoff;       /* file offset of the section headers */
    ElfShdr       *sh;          /* copies of the section headers */
    uint32_t       nsh;
    uint16_t       shstrndx;
    const char    *shstr;       /* section names */
    uint64_t       nshstr;
    uint8_t       *group;       /* per section: ELF_G_* or ELF_G_NONE */
    uint64_t      *at;          /* per loaded section: offset in image */
    uint32_t       symtab;      /* its section index, 0 if none */
    uint64_t       symoff;      /* file offset of the symbols (messages) */
    ElfSym        *sym;         /* copies of the symbols */
    uint32_t       nsym;
    ElfSymInfo    *si;
    const char    *str;         /* the symbols' string table */
    uint64_t       nstr;
    uint32_t       ngot, nstub;
    uint64_t       got_at, stub_at;
    uint8_t       *base;        /* the mapping, once made */
    uint64_t       eh_at, eh_size;  /* .eh_frame in the image, if any */
} ElfLoad;

enum { ELF_G_CODE, ELF_G_RO, ELF_G_RW, ELF_NGROUP, ELF_G_NONE = 0xff };

/* A part of the image, as offsets from its base: code, or data. */
typedef struct ElfSpan {
    uint64_t lo, hi;
    bool     is_code;
} ElfSpan;

#define ELF_MAX_SPANS 8

/* elf_image.c: records a MOAT_ERR_CONTRACT error at file offset off;
 * false. */
bool moatR_elf_fail(ElfLoad *L, uint64_t off, const char *fmt, ...)
    MOAT_PRINTF(3, 4);
bool moatR_elf_nomem(ElfLoad *L);
/* The string at off in a table of n bytes, or NULL if not terminated. */
const char *moatR_elf_str(const char *tab, uint64_t n, uint64_t off);
/* Symbol i's name (its entry at file offset off), after the checks both
 * loaders make: in the string table, not TLS or IFUNC, a known binding.
 * NULL with the error recorded. */
const char *moatR_elf_checked_sym(ElfLoad *L, uint32_t i, uint64_t off);
uint64_t moatR_elf_page_size(void);
/* Copies the ELF header into *h and checks it is ELF64 little-endian of
 * the given e_type for the host's machine. */
bool moatR_elf_check_header(ElfLoad *L, ElfEhdr *h, uint16_t type);
/* Wraps L->base (size bytes) with its spans and L's global symbols (sym,
 * si, str, symoff) into *out, which then owns the mapping. On failure the
 * caller still owns it. */
bool moatR_elf_make_image(ElfLoad *L, size_t size, const ElfSpan *spans,
                          uint32_t nspans, ElfImage **out);
/* elf.c: names for messages; never NULL. */
const char *moatR_elf_sec_name(const ElfLoad *L, uint32_t i);
const char *moatR_elf_sym_name(const ElfLoad *L, uint32_t i);

/* reloc_x86_64.c: the passes over the RELA sections. scan validates every
 * entry and assigns GOT slots and stubs; apply patches the mapped image
 * (symbol addresses, GOT and stubs filled in). */
bool moatR_elf_scan_relocs(ElfLoad *L);
/* elf_debug.c: the debug copy of a mapped object (*out NULL when it has
 * no .debug_info); false when out of memory. */
bool moatR_elf_keep_debug(const ElfLoad *L, ElfDebug **out);
/* The same for a mapped shared object, whose section headers are read
 * here (bounds-checked; a file without usable ones keeps no copy);
 * bias = where its vaddr 0 was mapped. */
bool moatR_elf_keep_debug_dyn(const ElfLoad *L, uint64_t bias,
                              ElfDebug **out);
/* elf_image.c: gives the image its debug copy (owned from then on). */
void moatR_elf_set_debug(ElfImage *img, ElfDebug *d);
bool moatR_elf_apply_relocs(ElfLoad *L);

#endif
