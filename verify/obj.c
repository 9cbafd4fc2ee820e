/* obj.c - reads a Moat object for the checker: ELF64 little-endian
 * relocatable x86-64, its sections, symbols, RELA relocations and the
 * functions (STT_FUNC symbols with a size in executable sections). Every
 * header, string and index is checked against the file before use; what
 * the checker cannot read whole is a K_OBJECT violation, never skipped.
 * Only the record layouts come from runtime/elfload.h; the loading code
 * here is the checker's own (gABI "Object Files", x86-64 psABI 4).
 */
#include <stdlib.h>   /* qsort */
#include <string.h>

#include "elfload.h"
#include "verify.h"

#define EM_X86_64 62

static bool
bad(KCheck *c, uint64_t off, const char *what)
{
    moatK_violation(c, K_OBJECT, off, "%s", what);
    return false;
}

static const char *
str_at(const uint8_t *bytes, const ElfShdr *tab, uint64_t off)
{
    if (off >= tab->size)
        return NULL;
    const char *s = (const char *)bytes + tab->offset + off;
    return memchr(s, 0, tab->size - off) ? s : NULL;
}

static bool
in_file(size_t len, uint64_t off, uint64_t size)
{
    return off <= len && size <= len - off;
}

static int
rel_cmp(const void *a, const void *b)
{
    const KRel *x = a, *y = b;

    return (x->off > y->off) - (x->off < y->off);
}

static int
fn_cmp(const void *a, const void *b)
{
    const KFunc *x = a, *y = b;

    if (x->sec != y->sec)
        return x->sec < y->sec ? -1 : 1;
    return (x->lo > y->lo) - (x->lo < y->lo);
}

/* The RELA section h (index i) into the section it patches. */
static bool
read_rela(KCheck *c, const uint8_t *bytes, const ElfShdr *sh, uint32_t i,
          KObj *o)
{
    const ElfShdr *h = &sh[i];
    uint64_t       n = h->size / sizeof(ElfRela);

    if (h->entsize != sizeof(ElfRela) || h->size % sizeof(ElfRela) ||
        h->info == 0 || h->info >= o->nsec || h->link >= o->nsec ||
        sh[h->link].type != ELF_SHT_SYMTAB)
        return bad(c, h->offset, "malformed relocation section");
    KSec *to = &o->sec[h->info];
    if (to->rel)
        return bad(c, h->offset, "two relocation sections for one section");
    if (n > UINT32_MAX || !(to->rel = moatU_calloc(n ? n : 1, sizeof(KRel))))
        return bad(c, h->offset, "out of memory");
    for (uint64_t k = 0; k < n; k++) {
        ElfRela r;
        memcpy(&r, bytes + h->offset + k * sizeof r, sizeof r);
        KRel *d = &to->rel[k];
        d->off = r.offset;
        d->type = (uint32_t)r.info;
        d->sym = (uint32_t)(r.info >> 32);
        d->addend = r.addend;
        if (d->sym >= o->nsym || d->off >= to->size ||
            (d->type == K_R_64 ? 8 : 4) > to->size - d->off)
            return bad(c, h->offset + k * sizeof r,
                       "relocation outside its section or symbol table");
    }
    to->nrel = (uint32_t)n;
    qsort(to->rel, n, sizeof(KRel), rel_cmp);
    for (uint64_t k = 1; k < n; k++)
        if (to->rel[k].off < to->rel[k - 1].off +
                                 (to->rel[k - 1].type == K_R_64 ? 8u : 4u))
            return bad(c, h->offset, "overlapping relocations");
    return true;
}

static bool
read_syms(KCheck *c, const uint8_t *bytes, size_t len, const ElfShdr *sh,
          uint32_t i, KObj *o)
{
    const ElfShdr *h = &sh[i];

    if (h->entsize != sizeof(ElfSym) || h->size % sizeof(ElfSym) ||
        h->link >= o->nsec || sh[h->link].type != ELF_SHT_STRTAB ||
        !in_file(len, sh[h->link].offset, sh[h->link].size))
        return bad(c, h->offset, "malformed symbol table");
    uint64_t n = h->size / sizeof(ElfSym);
    if (n > UINT32_MAX || !(o->sym = moatU_calloc(n ? n : 1, sizeof(KSym))))
        return bad(c, h->offset, "out of memory");
    o->nsym = (uint32_t)n;
    for (uint64_t k = 0; k < n; k++) {
        ElfSym s;
        memcpy(&s, bytes + h->offset + k * sizeof s, sizeof s);
        KSym *d = &o->sym[k];
        d->name = str_at(bytes, &sh[h->link], s.name);
        d->value = s.value;
        d->size = s.size;
        d->shndx = s.shndx;
        d->type = s.info & 0xf;
        d->bind = s.info >> 4;
        if (!d->name)
            return bad(c, h->offset + k * sizeof s, "symbol name outside "
                       "the string table");
        if (d->shndx == ELF_SHN_XINDEX ||
            (d->shndx >= o->nsec && d->shndx < ELF_SHN_LORESERVE))
            return bad(c, h->offset + k * sizeof s, "symbol section index "
                       "the checker does not read");
    }
    return true;
}

/* Functions: STT_FUNC symbols of code sections, inside them, disjoint. */
static bool
read_funcs(KCheck *c, KObj *o)
{
    if (!(o->fn = moatU_calloc(o->nsym ? o->nsym : 1, sizeof(KFunc))))
        return bad(c, 0, "out of memory");
    for (uint32_t k = 0; k < o->nsym; k++) {
        const KSym *s = &o->sym[k];
        bool in_code = s->shndx > 0 && s->shndx < o->nsec &&
                       o->sec[s->shndx].is_code;
        if (s->type == ELF_STT_FUNC && !in_code)
            return bad(c, 0, "function symbol outside code");
        if (s->type != ELF_STT_FUNC)
            continue;
        const KSec *sec = &o->sec[s->shndx];
        if (s->value > sec->size || s->size > sec->size - s->value)
            return bad(c, s->value, "function extends past its section");
        if (s->size == 0)
            continue;       /* nothing to run; calls to it are refused */
        o->fn[o->nfn++] = (KFunc){ s->shndx, s->value, s->value + s->size,
                                   s->name };
    }
    qsort(o->fn, o->nfn, sizeof(KFunc), fn_cmp);
    for (uint32_t k = 1; k < o->nfn; k++)
        if (o->fn[k].sec == o->fn[k - 1].sec &&
            o->fn[k].lo < o->fn[k - 1].hi)
            return bad(c, o->fn[k].lo, "overlapping functions");
    return true;
}

static bool
read_sections(KCheck *c, const uint8_t *bytes, size_t len, const ElfEhdr *e,
              ElfShdr *sh, KObj *o)
{
    const ElfShdr *names = &sh[e->shstrndx];

    for (uint32_t i = 0; i < o->nsec; i++) {
        const ElfShdr *h = &sh[i];
        KSec          *s = &o->sec[i];
        s->name = str_at(bytes, names, h->name);
        s->type = h->type;
        s->flags = h->flags;
        s->size = h->size;
        if (!s->name)
            return bad(c, e->shoff + i * sizeof *h, "section name");
        if (h->type == ELF_SHT_REL)
            return bad(c, h->offset, "REL relocations (only RELA read)");
        if (h->type != ELF_SHT_NOBITS && h->type != ELF_SHT_NULL) {
            if (!in_file(len, h->offset, h->size))
                return bad(c, e->shoff + i * sizeof *h,
                           "section outside the file");
            s->data = bytes + h->offset;
        }
        s->is_code = (h->flags & ELF_SHF_ALLOC) &&
                     (h->flags & ELF_SHF_EXECINSTR);
        if (s->is_code && (!s->data || (h->flags & ELF_SHF_WRITE)))
            return bad(c, h->offset, "code section writable or without "
                                     "bytes");
    }
    return true;
}

bool
moatK_obj_read(KCheck *c, const uint8_t *bytes, size_t len, KObj *o)
{
    ElfEhdr e;

    memset(o, 0, sizeof *o);
    if (len < sizeof e)
        return bad(c, 0, "not an ELF object: too short");
    memcpy(&e, bytes, sizeof e);
    if (memcmp(e.ident, "\177ELF", 4) || e.ident[4] != ELF_CLASS64 ||
        e.ident[5] != ELF_DATA2LSB || e.type != ELF_ET_REL ||
        e.machine != EM_X86_64)
        return bad(c, 0, "not an x86-64 ELF64 relocatable object");
    if (e.shentsize != sizeof(ElfShdr) || e.shnum == 0 ||
        e.shstrndx >= e.shnum ||
        !in_file(len, e.shoff, (uint64_t)e.shnum * sizeof(ElfShdr)))
        return bad(c, 0, "section headers outside the file");
    o->nsec = e.shnum;
    ElfShdr *sh = moatU_calloc(o->nsec, sizeof *sh);
    o->sec = moatU_calloc(o->nsec, sizeof(KSec));
    if (!sh || !o->sec) {
        moatU_free(sh);
        return bad(c, 0, "out of memory");
    }
    memcpy(sh, bytes + e.shoff, o->nsec * sizeof *sh);
    bool ok = in_file(len, sh[e.shstrndx].offset, sh[e.shstrndx].size) &&
              read_sections(c, bytes, len, &e, sh, o);
    if (!ok && c->nviol == 0)
        bad(c, 0, "section names outside the file");
    uint32_t nsymtab = 0;
    for (uint32_t i = 0; ok && i < o->nsec; i++)
        if (sh[i].type == ELF_SHT_SYMTAB) {
            ok = ++nsymtab == 1 ? read_syms(c, bytes, len, sh, i, o)
                                : bad(c, sh[i].offset, "two symbol tables");
        }
    for (uint32_t i = 0; ok && i < o->nsec; i++)
        if (sh[i].type == ELF_SHT_RELA)
            ok = read_rela(c, bytes, sh, i, o);
    ok = ok && read_funcs(c, o);
    moatU_free(sh);
    return ok;
}

void
moatK_obj_free(KObj *o)
{
    for (uint32_t i = 0; o->sec && i < o->nsec; i++)
        moatU_free(o->sec[i].rel);
    moatU_free(o->sec);
    moatU_free(o->sym);
    moatU_free(o->fn);
    memset(o, 0, sizeof *o);
}

const KFunc *
moatK_func_at(const KObj *o, uint32_t sec, uint64_t off)
{
    size_t lo = 0, hi = o->nfn;

    while (lo < hi) {
        size_t       mid = lo + (hi - lo) / 2;
        const KFunc *f = &o->fn[mid];
        if (f->sec == sec && f->lo == off)
            return f;
        if (f->sec < sec || (f->sec == sec && f->lo < off))
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const KRel *
moatK_rels_in(const KSec *s, uint64_t lo, uint64_t hi, uint32_t *n)
{
    uint32_t a = 0, b = s->nrel;

    /* first relocation whose field ends after lo (fields are <= 8 bytes) */
    while (a < b) {
        uint32_t mid = a + (b - a) / 2;
        if (s->rel[mid].off + 8 <= lo)
            a = mid + 1;
        else
            b = mid;
    }
    uint32_t first = a;
    while (first < s->nrel &&
           s->rel[first].off + (s->rel[first].type == K_R_64 ? 8u : 4u) <=
               lo)
        first++;
    uint32_t end = first;
    while (end < s->nrel && s->rel[end].off < hi)
        end++;
    *n = end - first;
    return s->rel ? s->rel + first : s->rel;    /* NULL + 0 is undefined */
}
