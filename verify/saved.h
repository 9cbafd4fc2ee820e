/* saved.h - rule saved's abstract values (saved_val.c), for its flow
 * (saved.c). Internal to verify/. */
#ifndef MOAT_VERIFY_SAVED_H
#define MOAT_VERIFY_SAVED_H

#include <Zydis/Zydis.h>
#include <stdbool.h>
#include <stdint.h>

#include "verify.h"

#define K_SV_SLOTS 24u
#define K_SV_RSP   4
#define K_SV_RBP   5
/* rbx, rbp, r12-r15: the C ABI's callee-saved registers */
#define K_CALLEE_SAVED 0xf028u
/* sp offsets past this are not followed (sums stay far from overflow) */
#define K_SV_FAR   (INT64_C(1) << 40)

enum { K_A_UNK, K_A_ORIG /* entry value of reg */, K_A_SP /* entry sp + c */,
       K_A_SPX /* sp + unknown */ };

typedef struct KAVal {
    uint8_t kind, reg;
    int64_t c, d;           /* K_A_SP: in [entry sp + c - d, entry sp + c]
                             * (d > 0 after `and $-2^k, %rsp`; K_SV_FAR:
                             * unbounded below; sp arithmetic is taken
                             * not to wrap around the address space) */
} KAVal;

typedef struct KASlot {
    int64_t off;            /* entry sp + off, 8 bytes */
    KAVal    v;
} KASlot;

typedef struct KAState {
    bool     seen;
    uint8_t  nslot;
    KAVal     r[16];
    KASlot    slot[K_SV_SLOTS];
} KAState;

bool moatK_sv_same(KAVal a, KAVal b);
/* to = the meet of to and in; true when to changed */
bool moatK_sv_meet(KAState *to, const KAState *in);
/* drops the slots a write of size bytes at entry sp + off may overlap
 * (all of them when !known) */
void moatK_sv_slot_drop(KAState *st, bool known, int64_t off, int64_t size);
KAVal moatK_sv_slot_get(const KAState *st, int64_t off);
/* an instruction other than push, pop, leave, call, ret, jumps */
void moatK_sv_step_plain(KAState *st, const ZydisDecodedInstruction *in,
                         const ZydisDecodedOperand *ops);
void moatK_sv_step_stack(KAState *st, const ZydisDecodedInstruction *in,
                         const ZydisDecodedOperand *ops);
/* at a ret or tail jump: a violation (one per function: *failed) unless
 * rsp is at the return address and rbx, rbp, r12-r15 as on entry */
void moatK_sv_check_exit(KCheck *c, uint64_t off, const KAState *st,
                         const char *what, bool *failed);

#endif
