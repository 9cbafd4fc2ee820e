/* table_entries.c - a jump table's entries, for table.c once a jump's
 * bound is proven: each of the n + 1 entries a PC32 relocation to an
 * instruction of the same function (then its target is marked, and the
 * relocation counted as a proven entry for rule codeptr); and what
 * MOAT_VERIFY_DEBUG prints of a window whose jump is not proven.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "verify.h"

#define MAX_ENTRIES (1u << 20)

/* Entry i of table t: its target in f (*to), and its relocation (*rel);
 * false when it is not a PC32 relocation to an instruction of f. */
static bool
entry_at(const KCheck *c, const KFunc *f, const KFuncMap *m,
         const KJumpTab *t, uint64_t i, uint64_t *to, uint32_t *rel)
{
    const KObj *o = &c->obj;
    const KSec *ts = &o->sec[t->tsec];
    uint64_t    at = t->toff + 4 * i;
    uint32_t    n;
    const KRel *r = moatK_rels_in(ts, at, at + 4, &n);
    const KSym *sym = n == 1 ? &o->sym[r->sym] : NULL;

    if (!sym || r->off != at || r->type != K_R_PC32 || sym->shndx != f->sec)
        return false;
    *to = sym->value + (uint64_t)r->addend - 4 * i;
    *rel = (uint32_t)(r - ts->rel);
    return *to >= f->lo && *to < f->hi && m->is_insn[*to - f->lo];
}

bool
moatK_table_entries(KCheck *c, const KFunc *f, KFuncMap *m,
                    const KJumpTab *t, bool quiet)
{
    uint64_t    jmp = t->jmp;
    const KSec *ts = &c->obj.sec[t->tsec];
    uint64_t    to;
    uint32_t    rel;

    if (t->n >= MAX_ENTRIES || t->toff > ts->size ||
        (t->n + 1) * 4 > ts->size - t->toff) {
        if (!quiet)
            moatK_violation(c, K_TABLE, jmp, "jump table of %" PRIu64
                            " entries at %s+0x%" PRIx64 " outside its "
                            "section", t->n + 1, ts->name, t->toff);
        return false;
    }
    for (uint64_t i = 0; i <= t->n; i++)
        if (!entry_at(c, f, m, t, i, &to, &rel)) {
            if (!quiet)
                moatK_violation(c, K_TABLE, jmp, "jump table entry %" PRIu64
                                " (%s+0x%" PRIx64 ") is not an instruction "
                                "of the function", i, ts->name,
                                t->toff + 4 * i);
            return false;
        }
    for (uint64_t i = 0; i <= t->n; i++) {
        entry_at(c, f, m, t, i, &to, &rel);
        m->nmarked += !(m->is_target[to - f->lo] & K_TABLE_TARGET);
        m->is_target[to - f->lo] |= 1 | K_TABLE_TARGET;
        moatK_table_entry_used(c, t->tsec, rel);
    }
    return true;
}

/* MOAT_VERIFY_DEBUG: what table_range.c knows at the start of a window
 * whose jump is not proven (stderr; g NULL: table_base.c's analysis ran
 * out of its budget). */
void
moatK_table_debug(const KFunc *f, uint64_t lo, uint64_t jmp, const KRange *g)
{
    if (!getenv("MOAT_VERIFY_DEBUG"))
        return;
    fprintf(stderr, "table: %s+0x%" PRIx64 " window from +0x%" PRIx64 ":",
            f->name, jmp - f->lo, lo - f->lo);
    if (!g) {
        fprintf(stderr, " the function's analysis did not complete\n");
        return;
    }
    for (int r = 0; r < 16; r++)
        if (g->max[r] < UINT64_MAX || g->rep[r] || g->rep32[r])
            fprintf(stderr, " r%d<=%#" PRIx64 "/c%u/l%u", r, g->max[r],
                    g->rep[r], g->rep32[r]);
    for (uint32_t i = 0; i < g->nslot; i++)
        fprintf(stderr, " [rbp%+" PRId64 "]%u<=%#" PRIx64 "/c%u/l%u",
                g->slot[i].disp, g->slot[i].size, g->slot[i].max,
                g->slot[i].rep, g->slot[i].rep32);
    fprintf(stderr, "\n");
}

