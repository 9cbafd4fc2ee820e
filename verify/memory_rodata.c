/* memory_rodata.c - reads of read-only data through a register (the
 * memory rule). LLVM turns a switch that picks constants into a lookup
 * table in .rodata: `lea T(%rip),%r9` ... `movslq (%r9,%rdx,4),%rdx` with
 * rdx bounded by the switch's compare (`cmp $0x4c,%rdx; ja`). A direct
 * `T(%rip)` read was already proven (memory.c); a register that holds
 * such an address is followed here, as a section and an offset in it:
 * the lea's relocation names a symbol of a section that is allocated, not
 * writable and not code (code is read by no one: rule codeptr), and the
 * address lies in it. A read [T + i * scale + disp] is proven when i is
 * at most B and [T + disp, T + disp + B * scale + size) lies in that
 * section; nothing is ever written through it.
 */
#include "elfload.h"
#include "memory.h"

AVal
moatK_rodata_lea(const MS *ms, uint64_t off, const ZydisDecodedInstruction *in)
{
    uint32_t    n;
    const KRel *r = moatK_rels_in(ms->s, off, off + in->length, &n);
    const KObj *o = &ms->c->obj;

    if (n != 1 || in->address_width != 64)
        return moatK_top();
    const KSym *s = &o->sym[r->sym];
    if (s->shndx == 0 || s->shndx >= o->nsec)
        return moatK_top();
    const KSec *t = &o->sec[s->shndx];
    /* unsigned sums: a damaged addend must not overflow (fuzz_verify) */
    uint64_t at = s->value + (uint64_t)r->addend + (off + in->length - r->off);
    if (t->is_code || !(t->flags & ELF_SHF_ALLOC) ||
        (t->flags & ELF_SHF_WRITE) || at > t->size || t->size > U32MAX)
        return moatK_top();
    return (AVal){ A_RODATA, (int64_t)((uint64_t)s->shndx << 32 | at) };
}

/* (%idx,%table,1) is the same sum as (%table,%idx,1). */
static Addr
table_first(const Addr *in)
{
    Addr a = *in;

    if (a.has_b && a.has_i && a.scale == 1 && a.i.k == A_RODATA) {
        a.i = in->b;
        a.b = in->i;
    }
    return a;
}

bool
moatK_rodata_ok(const MS *ms, const Addr *in, int64_t size, bool write)
{
    Addr s = table_first(in), *a = &s;

    if (write || !a->has_b || a->b.k != A_RODATA)
        return false;
    const KObj *o = &ms->c->obj;
    uint64_t    sec = (uint64_t)a->b.c >> 32;
    int64_t     lo = (int64_t)((uint64_t)a->b.c & U32MAX) + a->disp;
    int64_t     reach = 0;

    if (sec >= o->nsec || a->disp < -(int64_t)U32MAX ||
        a->disp > (int64_t)U32MAX)
        return false;
    if (a->has_i) {
        AVal i = moatK_as_bnd(a->i);
        if (i.k != A_BND || i.c > (int64_t)U32MAX)
            return false;
        reach = i.c * a->scale;
    }
    return lo >= 0 && lo + reach + size <= (int64_t)o->sec[sec].size;
}

/* Element k of [p, p + w) little-endian, sign-extended when sx. */
static uint64_t
element(const uint8_t *p, unsigned w, bool sx)
{
    uint64_t v = 0;

    for (unsigned b = 0; b < w; b++)
        v |= (uint64_t)p[b] << (8 * b);
    if (sx && w < 8 && (v >> (8 * w - 1) & 1))
        v |= ~UINT64_C(0) << (8 * w);
    return v;
}

bool
moatK_rodata_load(const MS *ms, const AState *st,
                  const ZydisDecodedInstruction *in,
                  const ZydisDecodedOperand *ops, AVal *out)
{
    ZydisMnemonic m = in->mnemonic;
    bool sx = m == ZYDIS_MNEMONIC_MOVSX || m == ZYDIS_MNEMONIC_MOVSXD;

    if ((m != ZYDIS_MNEMONIC_MOV && m != ZYDIS_MNEMONIC_MOVZX && !sx) ||
        ops[1].type != ZYDIS_OPERAND_TYPE_MEMORY ||
        ops[1].mem.base == ZYDIS_REGISTER_RIP ||
        (ops[0].size != 32 && ops[0].size != 64))
        return false;
    Addr     ma = moatK_addr_of(st, &ops[1]), a = table_first(&ma);
    unsigned w = ops[1].size / 8;
    if (!a.has_b || a.b.k != A_RODATA || w == 0 || w > 8 ||
        !moatK_rodata_ok(ms, &a, w, false))
        return false;
    /* proven inside the section: its entries are what may be read, unless
     * a relocation patches them (then unknown) */
    const KSec *t = &ms->c->obj.sec[(uint64_t)a.b.c >> 32];
    uint64_t    lo = ((uint64_t)a.b.c & U32MAX) + (uint64_t)a.disp;
    uint64_t    count = a.has_i ? (uint64_t)moatK_as_bnd(a.i).c + 1 : 1;
    uint64_t    step = a.has_i ? a.scale : 0, max = 0;
    uint32_t    nrel;
    if (!t->data || count > 65536 ||
        (moatK_rels_in(t, lo, lo + (count - 1) * step + w, &nrel), nrel))
        return false;
    for (uint64_t k = 0; k < count; k++) {
        uint64_t v = element(t->data + lo + k * step, w, sx);
        if (ops[0].size == 32)
            v &= U32MAX;                /* a 32-bit write zero-extends */
        max = v > max ? v : max;
    }
    *out = max <= (uint64_t)REACH ? moatK_bnd((int64_t)max) : moatK_top();
    return true;
}
