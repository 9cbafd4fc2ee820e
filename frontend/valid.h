/* valid.h - state shared by the function-body validator's files:
 * valid_func.c (stacks, driver) and valid_ops.c (per-instruction rules).
 */
#ifndef MOAT_FRONTEND_VALID_H
#define MOAT_FRONTEND_VALID_H

#include <stdarg.h>
#include <stdio.h>

#include "frontend.h"

typedef struct Ctrl {
    int            op;          /* OP_BLOCK (also the function), LOOP, IF, ELSE */
    bool           unreachable;
    uint32_t       height;      /* operand stack height at entry */
    const uint8_t *params, *results;
    uint32_t       nparams, nresults;
} Ctrl;

typedef struct Valid {
    Decode     *d;
    uint32_t    func;
    uint32_t    nlocals;        /* parameters included; types in d->locals */
    const Insn *in;             /* instruction being checked */
} Valid;

/* Returns false; an invalid error is recorded unless one already was. */
bool moatV_fail(Valid *v, const char *fmt, ...) MOAT_PRINTF(2, 3);
bool moatV_is_dead(const Valid *v);

bool moatV_push(Valid *v, uint8_t t);
bool moatV_pop(Valid *v, uint8_t want, uint8_t *got);
bool moatV_pop_expect(Valid *v, uint8_t want);
bool moatV_pop_list(Valid *v, const uint8_t *types, uint32_t n);
bool moatV_push_list(Valid *v, const uint8_t *types, uint32_t n);
Ctrl *moatV_top(Valid *v);
bool moatV_push_ctrl(Valid *v, int op, const uint8_t *params, uint32_t np,
                     const uint8_t *results, uint32_t nr);
bool moatV_pop_ctrl(Valid *v, Ctrl *out);
void moatV_set_unreachable(Valid *v);
bool moatV_blocktype(Valid *v, const Insn *in, const uint8_t **p,
                     uint32_t *np, const uint8_t **r, uint32_t *nr);

/* valid_ops.c: rules for instructions whose typing needs more than their
 * opcodes.def row. A checker of a control instruction always updates the
 * control stack, even when it reports a type error. */
typedef bool (*CheckFn)(Valid *v, const Insn *in);
extern const CheckFn moatV_checks[NOP_COUNT];
/* Binary-format rules that need context (else placement, data count). */
bool moatV_check_encoding(Valid *v, const Insn *in);

#endif
