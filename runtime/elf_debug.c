/* elf_debug.c - what a loaded artifact keeps for its trap backtraces
 * (docs/backtraces.md): a trimmed copy of the file holding only the
 * DWARF the compiler wrote (.debug_* and their RELA sections), the
 * symbol and string tables those relocations name, and the section
 * headers, every other section turned SHT_NOBITS; plus the address each
 * loaded section got. Nothing is parsed here: libdwfl reads the copy
 * the first time a trap needs it (backtrace_dw.c). The section headers
 * were checked by elf.c before this runs.
 */
#include <pthread.h>
#include <string.h>

#include "elfload.h"

#define str_at moatR_elf_str

static bool
has_prefix(const char *s, const char *p)
{
    return s && strncmp(s, p, strlen(p)) == 0;
}

static bool
is_kept(const ElfLoad *L, uint32_t i)
{
    const ElfShdr *s = &L->sh[i];
    const char    *name = moatR_elf_sec_name(L, i);

    /* elf.c checks only sections with bytes against the file: an
     * SHT_NULL entry may name any offset and size, so it has none. The
     * bounds are checked again here because a copy sized from an
     * unchecked entry would be a huge allocation (fuzz_load found one). */
    if (i == 0 || s->type == ELF_SHT_NOBITS || s->type == ELF_SHT_NULL
        || s->offset > L->len || s->size > L->len - s->offset)
        return false;
    if (i == L->shstrndx || (L->symtab && i == L->symtab)
        || (L->symtab && i == L->sh[L->symtab].link))
        return true;
    if (s->flags & ELF_SHF_ALLOC)
        return false;
    if (has_prefix(name, ".debug_"))
        return true;
    return s->type == ELF_SHT_RELA && s->info < L->nsh
           && has_prefix(moatR_elf_sec_name(L, s->info), ".debug_");
}

static bool
has_debug_info(const ElfLoad *L)
{
    for (uint32_t i = 1; i < L->nsh; i++)
        if (strcmp(moatR_elf_sec_name(L, i), ".debug_info") == 0)
            return true;
    return false;
}

static uint64_t
align8(uint64_t v)
{
    return (v + 7) & ~(uint64_t)7;
}

/* Writes the copy into d->elf: the ELF header, the kept sections 8-byte
 * aligned, then the section headers. */
static void
write_copy(const ElfLoad *L, ElfDebug *d, uint64_t shoff)
{
    ElfEhdr  h;
    uint64_t at = sizeof h;

    memcpy(&h, L->bytes, sizeof h);
    h.phoff = 0;
    h.phnum = 0;
    h.shoff = shoff;
    memcpy(d->elf, &h, sizeof h);
    for (uint32_t i = 0; i < L->nsh; i++) {
        ElfShdr s = L->sh[i];
        if (is_kept(L, i)) {
            at = align8(at);
            memcpy(d->elf + at, L->bytes + s.offset, s.size);
            s.offset = at;
            at += s.size;
        } else if (i != 0) {
            s.type = ELF_SHT_NOBITS;    /* its bytes are the image's */
            s.offset = 0;
        }
        memcpy(d->elf + shoff + (uint64_t)i * sizeof s, &s, sizeof s);
    }
}

/* The copy of L's kept sections, or NULL (out of memory: recorded). */
static ElfDebug *
make_copy(const ElfLoad *L)
{
    uint64_t size = sizeof(ElfEhdr);

    for (uint32_t i = 0; i < L->nsh; i++)
        if (is_kept(L, i))
            size = align8(size) + L->sh[i].size;
    uint64_t shoff = align8(size);
    size = shoff + (uint64_t)L->nsh * sizeof(ElfShdr);
    ElfDebug *d = moatU_calloc(1, sizeof *d);
    if (d) {
        d->elf = moatU_calloc(1, (size_t)size);
        d->addr = moatU_calloc(L->nsh, sizeof *d->addr);
    }
    if (!d || !d->elf || !d->addr) {
        moatR_elf_debug_free(d);
        moatR_elf_nomem((ElfLoad *)L);
        return NULL;
    }
    d->len = (size_t)size;
    d->nsh = L->nsh;
    pthread_mutex_init(&d->lock, NULL);
    write_copy(L, d, shoff);
    return d;
}

bool
moatR_elf_keep_debug(const ElfLoad *L, ElfDebug **out)
{
    *out = NULL;
    if (!has_debug_info(L))
        return true;                    /* not ours to explain: no DWARF */
    ElfDebug *d = make_copy(L);
    if (!d)
        return false;
    d->lo = UINTPTR_MAX;
    for (uint32_t i = 1; i < L->nsh; i++) {
        if (L->group[i] == ELF_G_NONE)
            continue;
        d->addr[i] = (uintptr_t)L->base + L->at[i];
        if (d->addr[i] < d->lo)
            d->lo = d->addr[i];
        if (d->addr[i] + L->sh[i].size > d->hi)
            d->hi = d->addr[i] + L->sh[i].size;
    }
    *out = d;
    return true;
}

/* A shared object's section headers, which its loader never needed:
 * read into S (its sh, nsh, shstr), false when there are none usable
 * (*nomem when that is for want of memory). */
static bool
dyn_sections(const ElfLoad *L, ElfLoad *S, bool *nomem)
{
    ElfEhdr h;

    memcpy(&h, L->bytes, sizeof h);     /* checked by elf_dyn.c */
    if (h.shnum == 0 || h.shentsize != sizeof(ElfShdr)
        || h.shstrndx >= h.shnum || h.shoff > L->len
        || (L->len - h.shoff) / sizeof(ElfShdr) < h.shnum)
        return false;
    S->sh = moatU_calloc(h.shnum, sizeof *S->sh);
    *nomem = S->sh == NULL;
    if (!S->sh)
        return false;
    S->nsh = h.shnum;
    memcpy(S->sh, L->bytes + h.shoff, S->nsh * sizeof *S->sh);
    for (uint32_t i = 1; i < S->nsh; i++) {
        const ElfShdr *s = &S->sh[i];
        if (s->type != ELF_SHT_NOBITS
            && (s->offset > L->len || s->size > L->len - s->offset))
            return false;
    }
    const ElfShdr *t = &S->sh[h.shstrndx];
    if (t->type != ELF_SHT_STRTAB)
        return false;
    S->shstrndx = h.shstrndx;
    S->shstr = (const char *)L->bytes + t->offset;
    S->nshstr = t->size;
    return true;
}

bool
moatR_elf_keep_debug_dyn(const ElfLoad *L, uint64_t bias, ElfDebug **out)
{
    ElfLoad S = { .bytes = L->bytes, .len = L->len, .err = L->err };
    bool    nomem = false, ok = true;
    bool    has = dyn_sections(L, &S, &nomem);

    *out = NULL;
    if (nomem)
        ok = moatR_elf_nomem(&S);
    else if (has && has_debug_info(&S)) {
        *out = make_copy(&S);
        ok = *out != NULL;
        if (ok) {
            (*out)->is_dyn = true;
            (*out)->bias = bias;
        }
    }
    moatU_free(S.sh);
    return ok;
}

void
moatR_elf_debug_free(ElfDebug *d)
{
    if (!d)
        return;
    moatR_dw_free(d->dw);
    if (d->elf)
        pthread_mutex_destroy(&d->lock);
    moatU_free(d->elf);
    moatU_free(d->addr);
    moatU_free(d);
}
