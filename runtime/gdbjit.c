/* gdbjit.c - the GDB JIT interface (GDB manual, "JIT Compilation
 * Interface"): for each loaded module, a small in-memory ELF file that
 * names its functions at the addresses where they were loaded (symbols
 * only, the code itself is not copied: .text is SHT_NOBITS) plus the
 * module's relocated .eh_frame, so that gdb can unwind guest frames; it
 * is linked into the list gdb reads and gdb is told through its breakpoint
 * on __jit_debug_register_code. profile.c decides when; the list and the
 * call are under one lock, as gdb stops the process there.
 */
#include <stdio.h>
#include <string.h>

#include "runtime.h"

/* ---- the documented ABI: these two names and layouts are gdb's ---- */

enum { JIT_NOACTION = 0, JIT_REGISTER_FN = 1, JIT_UNREGISTER_FN = 2 };

typedef struct JitCodeEntry {
    struct JitCodeEntry *next_entry, *prev_entry;
    const char          *symfile_addr;
    uint64_t             symfile_size;
} JitCodeEntry;

typedef struct JitDescriptor {
    uint32_t      version;
    uint32_t      action_flag;
    JitCodeEntry *relevant_entry;
    JitCodeEntry *first_entry;
} JitDescriptor;

/* gdb puts a breakpoint on __jit_debug_register_code and then reads
 * __jit_debug_descriptor of the same object file. LLVM's shared library
 * (loaded with libmoat-compiler) defines both names too: we use them only
 * through these file-local names, so that neither our writes nor our
 * call can be bound to another library's copy, and export the gdb names
 * as aliases. The asm keeps the empty call from being optimised away. */
static __attribute__((noinline, used)) void
register_code(void)
{
    __asm__ volatile("" ::: "memory");
}

static JitDescriptor descriptor = { 1, JIT_NOACTION, NULL, NULL };

MOAT_API void __jit_debug_register_code(void)
    __attribute__((alias("register_code")));
MOAT_API extern JitDescriptor __jit_debug_descriptor
    __attribute__((alias("descriptor")));

static pthread_mutex_t jit_lock = PTHREAD_MUTEX_INITIALIZER;

/* A registered module: gdb's entry, then the file. */
struct JitEntry {
    JitCodeEntry ce;
    size_t       len;
    uint8_t      file[];
};

/* ---- the symbol file ---- */

enum { SEC_NULL, SEC_TEXT, SEC_EH, SEC_SYMTAB, SEC_STRTAB, SEC_SHSTRTAB,
       NSEC };
enum { ELF_ET_EXEC = 2, ELF_STT_FILE = 4, ELF_SHN_ABS_ = 0xfff1 };

static const char shstr[] =
    "\0.text\0.eh_frame\0.symtab\0.strtab\0.shstrtab";
static const uint32_t shname[NSEC] = { 0, 1, 7, 17, 25, 33 };

typedef struct SymFile {
    uint64_t eh_off, sym_off, str_off, shstr_off, sh_off, len;
    uint64_t nstr;
    const uint8_t *eh;
    size_t         neh;
} SymFile;

static uint64_t
align8(uint64_t n)
{
    return (n + 7) & ~(uint64_t)7;
}

static void
plan(const moat_module *m, const CodeSyms *s, SymFile *f)
{
    memset(f, 0, sizeof *f);
    if (!moatR_elf_eh_frame(m->img, &f->eh, &f->neh))
        f->neh = 0;
    f->nstr = 1 + strlen("wasm[]") + strlen(s->tag) + 1;
    for (uint32_t i = 0; i < s->n; i++)
        f->nstr += strlen(s->v[i].name) + 1;
    f->eh_off = sizeof(ElfEhdr);
    f->sym_off = align8(f->eh_off + f->neh);
    f->str_off = f->sym_off + (uint64_t)(s->n + 2) * sizeof(ElfSym);
    f->shstr_off = f->str_off + f->nstr;
    f->sh_off = align8(f->shstr_off + sizeof shstr);
    f->len = f->sh_off + NSEC * sizeof(ElfShdr);
}

static void
write_header(uint8_t *out, const SymFile *f)
{
    ElfEhdr h = { .ident = { 0x7f, 'E', 'L', 'F', ELF_CLASS64, ELF_DATA2LSB,
                             ELF_EV_CURRENT },
                  .type = ELF_ET_EXEC,
                  .machine = moatR_elf_host_arch->machine,
                  .version = ELF_EV_CURRENT,
                  .shoff = f->sh_off,
                  .ehsize = sizeof(ElfEhdr),
                  .shentsize = sizeof(ElfShdr),
                  .shnum = NSEC,
                  .shstrndx = SEC_SHSTRTAB };

    memcpy(out, &h, sizeof h);
}

/* A FILE symbol naming the module, then one global function per piece of
 * code, at its absolute address (an executable's symbols are). */
static void
write_symbols(uint8_t *out, const CodeSyms *s, const SymFile *f)
{
    char    *str = (char *)out + f->str_off;
    uint32_t at = 1;
    ElfSym   y = { 0 };

    str[0] = '\0';
    memcpy(out + f->sym_off, &y, sizeof y);
    at += (uint32_t)sprintf(str + at, "wasm[%s]", s->tag) + 1;
    y = (ElfSym){ .name = 1, .info = ELF_STT_FILE, .shndx = ELF_SHN_ABS_ };
    memcpy(out + f->sym_off + sizeof y, &y, sizeof y);
    for (uint32_t i = 0; i < s->n; i++) {
        size_t n = strlen(s->v[i].name) + 1;
        y = (ElfSym){ .name = at,
                      .info = ELF_STB_GLOBAL << 4 | ELF_STT_FUNC,
                      .shndx = SEC_TEXT,
                      .value = s->v[i].addr,
                      .size = s->v[i].size };
        memcpy(out + f->sym_off + (i + 2) * sizeof y, &y, sizeof y);
        memcpy(str + at, s->v[i].name, n);
        at += (uint32_t)n;
    }
}

static void
write_sections(uint8_t *out, const CodeSyms *s, const SymFile *f)
{
    const CodeSym *last = &s->v[s->n - 1];
    ElfShdr        sh[NSEC] = {
        [SEC_TEXT] = { .type = ELF_SHT_NOBITS,
                       .flags = ELF_SHF_ALLOC | ELF_SHF_EXECINSTR,
                       .addr = s->v[0].addr, .offset = f->eh_off,
                       .size = last->addr + last->size - s->v[0].addr,
                       .addralign = 16 },
        [SEC_EH] = { .type = ELF_SHT_PROGBITS, .flags = ELF_SHF_ALLOC,
                     .addr = (uintptr_t)f->eh, .offset = f->eh_off,
                     .size = f->neh, .addralign = 8 },
        [SEC_SYMTAB] = { .type = ELF_SHT_SYMTAB, .offset = f->sym_off,
                         .size = (uint64_t)(s->n + 2) * sizeof(ElfSym),
                         .link = SEC_STRTAB, .info = 2, .addralign = 8,
                         .entsize = sizeof(ElfSym) },
        [SEC_STRTAB] = { .type = ELF_SHT_STRTAB, .offset = f->str_off,
                         .size = f->nstr, .addralign = 1 },
        [SEC_SHSTRTAB] = { .type = ELF_SHT_STRTAB, .offset = f->shstr_off,
                           .size = sizeof shstr, .addralign = 1 },
    };

    if (!f->neh)                        /* no unwind tables: no section */
        sh[SEC_EH] = (ElfShdr){ .type = ELF_SHT_NULL };
    for (int i = 0; i < NSEC; i++)
        sh[i].name = shname[i];
    if (f->neh)
        memcpy(out + f->eh_off, f->eh, f->neh);
    memcpy(out + f->shstr_off, shstr, sizeof shstr);
    memcpy(out + f->sh_off, sh, sizeof sh);
}

/* ---- registering ---- */

/* False only when out of memory. */
bool
moatR_gdbjit_register(moat_module *m, const CodeSyms *s)
{
    SymFile          f;
    struct JitEntry *j;

    if (!s->n || !moatR_elf_host_arch)
        return true;                    /* nothing to tell */
    plan(m, s, &f);
    if (!(j = moatU_calloc(1, sizeof *j + (size_t)f.len)))
        return false;
    j->len = (size_t)f.len;
    write_header(j->file, &f);
    write_symbols(j->file, s, &f);
    write_sections(j->file, s, &f);
    j->ce.symfile_addr = (const char *)j->file;
    j->ce.symfile_size = f.len;
    pthread_mutex_lock(&jit_lock);
    j->ce.next_entry = descriptor.first_entry;
    if (j->ce.next_entry)
        j->ce.next_entry->prev_entry = &j->ce;
    descriptor.first_entry = &j->ce;
    descriptor.relevant_entry = &j->ce;
    descriptor.action_flag = JIT_REGISTER_FN;
    register_code();
    descriptor.action_flag = JIT_NOACTION;
    pthread_mutex_unlock(&jit_lock);
    m->jit = j;
    return true;
}

void
moatR_gdbjit_unregister(moat_module *m)
{
    struct JitEntry *j = m->jit;

    if (!j)
        return;
    pthread_mutex_lock(&jit_lock);
    if (j->ce.prev_entry)
        j->ce.prev_entry->next_entry = j->ce.next_entry;
    else
        descriptor.first_entry = j->ce.next_entry;
    if (j->ce.next_entry)
        j->ce.next_entry->prev_entry = j->ce.prev_entry;
    descriptor.relevant_entry = &j->ce;
    descriptor.action_flag = JIT_UNREGISTER_FN;
    register_code();
    descriptor.action_flag = JIT_NOACTION;
    pthread_mutex_unlock(&jit_lock);
    m->jit = NULL;
    moatU_free(j);
}
