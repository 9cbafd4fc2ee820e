/* memory_cmov.c - a conditional move (the memory rule): the register gets
 * one of two values present at that one point, so its abstract value is
 * the larger of two bounds of one kind, however large, up to what a heap
 * access may reach. A join where paths meet caps heap pointers at 2^32 - 1
 * (a pointer walking in a loop must widen, memory_val.c); a cmov runs
 * once per execution of its instruction, so it needs no such cap.
 * `lea 0x10(%rdi,%rbx,1),%rcx; lea 0x14(%rdi,%rbx,1),%r15; cmove %rcx,%r15`
 * (wasi-libc's malloc at -O2) picks one of two heap pointers.
 */
#include "memory.h"

static bool
heapish(const MS *ms, AVal *v)
{
    if (moatK_is_heap_base(ms, *v))
        *v = moatK_heapptr(0, 0);
    return v->k == A_HEAPPTR;
}

AVal
moatK_select(const MS *ms, AVal a, AVal b)
{
    if (moatK_same(a, b))
        return a;
    if (heapish(ms, &a) && heapish(ms, &b))
        return moatK_heapptr(a.lo < b.lo ? a.lo : b.lo,   /* both ends */
                             a.c > b.c ? a.c : b.c);
    AVal r = moatK_ref_join(a, b);      /* one funcref's, or none */
    if (r.k != A_TOP)
        return r;
    a = moatK_as_bnd(a);
    b = moatK_as_bnd(b);
    if (a.k == A_BND && b.k == A_BND)
        return moatK_bnd(a.c > b.c ? a.c : b.c);
    if ((a.k == A_BND || a.k == A_LOW32) && (b.k == A_BND || b.k == A_LOW32))
        return (AVal){ A_LOW32, a.c > b.c ? a.c : b.c, 0 };
    return moatK_top();
}

/* The branch that tests what cmov m tests. */
static ZydisMnemonic
jcc_of(ZydisMnemonic m)
{
    static const ZydisMnemonic map[][2] = {
        { ZYDIS_MNEMONIC_CMOVB, ZYDIS_MNEMONIC_JB },
        { ZYDIS_MNEMONIC_CMOVBE, ZYDIS_MNEMONIC_JBE },
        { ZYDIS_MNEMONIC_CMOVL, ZYDIS_MNEMONIC_JL },
        { ZYDIS_MNEMONIC_CMOVLE, ZYDIS_MNEMONIC_JLE },
        { ZYDIS_MNEMONIC_CMOVNB, ZYDIS_MNEMONIC_JNB },
        { ZYDIS_MNEMONIC_CMOVNBE, ZYDIS_MNEMONIC_JNBE },
        { ZYDIS_MNEMONIC_CMOVNL, ZYDIS_MNEMONIC_JNL },
        { ZYDIS_MNEMONIC_CMOVNLE, ZYDIS_MNEMONIC_JNLE },
        { ZYDIS_MNEMONIC_CMOVNZ, ZYDIS_MNEMONIC_JNZ },
        { ZYDIS_MNEMONIC_CMOVZ, ZYDIS_MNEMONIC_JZ },
    };

    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (map[i][0] == m)
            return map[i][1];
    return ZYDIS_MNEMONIC_INVALID;      /* no refinement */
}

AVal
moatK_cmov(const MS *ms, const AState *st, const ZydisDecodedInstruction *in,
           const ZydisDecodedOperand *ops)
{
    int rd = moatK_gpr(ops[0].reg.value);
    int rs = ops[1].type == ZYDIS_OPERAND_TYPE_REGISTER
                 ? moatK_gpr(ops[1].reg.value) : -1;

    if (rd < 0 || rs < 0)
        return ops[0].size == 32 ? moatK_bnd(U32MAX) : moatK_top();
    /* the source when the condition holds, the destination when not: the
     * compare that set the flags bounds either (cmp $0xa2,%eax; cmovb
     * %eax,%ecx: eax below 0xa2) */
    AState        t = *st;
    ZydisMnemonic j = jcc_of(in->mnemonic);
    if (j != ZYDIS_MNEMONIC_INVALID)
        moatK_refine(&t, j, true);
    AVal vs = t.r[rs];
    t = *st;
    if (j != ZYDIS_MNEMONIC_INVALID)
        moatK_refine(&t, j, false);
    AVal vd = t.r[rd];
    if (ops[0].size == 64)
        return moatK_select(ms, vd, vs);
    vd = moatK_low32(moatK_as_bnd(vd));         /* 32-bit: both bounds */
    vs = moatK_low32(moatK_as_bnd(vs));
    return moatK_bnd(vd.c > vs.c ? vd.c : vs.c);
}
