/* mutate.h - the mutation-score tool (test/verify/mutate.c, the driver;
 * mutate_sites.c, the mutations; docs/verify.md "Mutation score"). It
 * breaks honest objects at every site where a mutation applies, checks
 * each mutant with every rule the checker has (the memory rule on) and
 * counts per class of mutation: mutants, rejected, passing.
 */
#ifndef MOAT_TEST_MUTATE_H
#define MOAT_TEST_MUTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <Zydis/Zydis.h>

#include "verify.h"

/* Whether a class's mutants are escapes by construction. A class of
 * MT_ESCAPE counts in the score; a passing mutant of it is either a
 * checker bug or needs the argument of docs/verify.md. MT_NOT_ESCAPE
 * classes (a dropped division check) are counted and printed apart. */
enum { MT_ESCAPE = 1, MT_NOT_ESCAPE = 0 };

/* One decoded instruction of the function being mutated. */
typedef struct MInsn {
    uint64_t                off;        /* section offset */
    ZydisDecodedInstruction in;
    ZydisDecodedOperand     ops[ZYDIS_MAX_OPERAND_COUNT];
    bool                    has_rel;    /* a relocation overlaps it */
} MInsn;

/* The object and function being mutated. */
typedef struct MFunc {
    const uint8_t *bytes;       /* the honest object */
    size_t         len;
    const KObj    *o;
    const KFunc   *f;
    const MInsn   *insn;
    uint32_t       ninsn;
    uint64_t       code_off;    /* file offset of f's section */
    const char    *label;       /* the object's path, for samples */
} MFunc;

/* mutate.c: checks the mutant that writes code[0..n) at file offset at
 * (n <= 16) and counts it in class cls (its name; created on first use,
 * with kind MT_ESCAPE or MT_NOT_ESCAPE). */
void mt_emit(const MFunc *F, const char *cls, int kind, uint32_t i,
             uint64_t at, const uint8_t *code, size_t n);

/* mutate_sites.c: every mutation of instruction i of F->f. */
void mt_mutate_insn(const MFunc *F, uint32_t i);

#endif
