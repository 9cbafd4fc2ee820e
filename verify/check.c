/* check.c - drives the checker over one object: reads it (obj.c), checks
 * each function (decode.c), then the object-wide rules: every undefined
 * symbol is on the runtime's allow-list ("extern"), and every code
 * address held outside code (descriptor entries, trampolines, jump
 * tables, lea of a function) is a function start or an entry of a jump
 * table proven in a function ("codeptr"). Keeps the report: counts per
 * rule, violations with their function and offset.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "elfload.h"
#include "verify.h"

const char *const moatK_rule_name[K_NRULES] = {
    [K_OBJECT] = "object", [K_DECODE] = "decode", [K_RELOC] = "reloc",
    [K_JUMP] = "jump", [K_END] = "end", [K_CALL] = "call",
    [K_EXTERN] = "extern", [K_TABLE] = "table", [K_CODEPTR] = "codeptr",
    [K_INSN] = "insn", [K_SEGMENT] = "segment", [K_SAVED] = "saved",
    [K_MEMORY] = "memory", [K_ICALL] = "indirect-call", [K_STACK] = "stack",
};

const char *const moatK_unchecked[] = {
    "memory", "indirect-call", "stack", NULL
};

void
moatK_violation(KCheck *c, KRule rule, uint64_t off, const char *fmt, ...)
{
    KReport *rep = c->rep;
    va_list  ap;

    c->nviol++;
    rep->nviol++;
    c->broke[rule] = true;
    if (rep->nkept >= K_MAX_KEPT)
        return;
    KViolation *v = &rep->kept[rep->nkept++];
    v->rule = rule;
    v->off = off;
    v->func_off = c->fn && off >= c->fn->lo ? off - c->fn->lo : off;
    snprintf(v->func, sizeof v->func, "%s", c->fn ? c->fn->name : "-");
    va_start(ap, fmt);
    vsnprintf(v->msg, sizeof v->msg, fmt, ap);
    va_end(ap);
}

void
moatK_table_entry_used(KCheck *c, uint32_t sec, uint32_t i)
{
    if (c->table_used && c->table_used[sec])
        c->table_used[sec][i / 64] |= UINT64_C(1) << (i % 64);
}

/* Counts a unit (a function, or the object) against the rules in
 * [lo, hi) of the KRule order, then clears what it broke. */
static void
count_unit(KCheck *c, const KRule *rules, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        c->rep->checked[rules[i]]++;
        if (c->broke[rules[i]])
            c->rep->failed[rules[i]]++;
        c->broke[rules[i]] = false;
    }
}

static const KRule func_rules[] = { K_DECODE, K_RELOC, K_JUMP, K_END,
                                    K_CALL, K_TABLE, K_INSN, K_SEGMENT,
                                    K_SAVED, K_MEMORY, K_ICALL, K_STACK };
/* the last three (moatK_flow_rule) only with check_memory */
#define NFUNC_RULES(c) (sizeof func_rules / sizeof func_rules[0] - \
                        ((c)->rep->check_memory ? 0u : 3u))
static const KRule obj_rules[] = { K_OBJECT, K_EXTERN, K_CODEPTR };

/* __start_SEC / __stop_SEC: the bounds of the object's own section SEC,
 * which the system linker defines (a plugin's descriptor names its code
 * range so: `moat compile --name`, docs/plugins.md). */
static bool
is_own_section_bound(const KObj *o, const char *name)
{
    const char *sec = !strncmp(name, "__start_", 8)  ? name + 8
                      : !strncmp(name, "__stop_", 7) ? name + 7
                                                     : NULL;

    for (uint32_t i = 0; sec && *sec && i < o->nsec; i++)
        if (o->sec[i].name && !strcmp(o->sec[i].name, sec))
            return true;
    return false;
}

static void
check_externs(KCheck *c)
{
    const KObj *o = &c->obj;

    for (uint32_t i = 0; i < o->nsym; i++) {
        const KSym *s = &o->sym[i];
        if (i == 0 || s->shndx != ELF_SHN_UNDEF)
            continue;
        if (!moatK_symbol_allowed(s->name) &&
            !is_own_section_bound(o, s->name))
            moatK_violation(c, K_EXTERN, 0, "undefined symbol %s is not on "
                            "the runtime's allow-list", *s->name ? s->name
                                                                : "(empty)");
    }
}

/* Rule codeptr, over relocations of allocated data sections (.eh_frame,
 * read by the unwinder only, and debug sections are not code's). */
static void
check_code_pointers(KCheck *c)
{
    const KObj *o = &c->obj;

    for (uint32_t i = 0; i < o->nsec; i++) {
        const KSec *s = &o->sec[i];
        if (s->is_code || !(s->flags & ELF_SHF_ALLOC) ||
            !strcmp(s->name, ".eh_frame"))
            continue;
        for (uint32_t k = 0; k < s->nrel; k++) {
            const KRel *r = &s->rel[k];
            const KSym *sym = &o->sym[r->sym];
            if (sym->shndx == ELF_SHN_UNDEF || sym->shndx >= o->nsec ||
                !o->sec[sym->shndx].is_code)
                continue;
            uint64_t to = sym->value + (uint64_t)r->addend;
            if (r->type == K_R_64 && moatK_func_at(o, sym->shndx, to))
                continue;
            if (r->type == K_R_PC32 && c->table_used[i] &&
                (c->table_used[i][k / 64] >> (k % 64) & 1))
                continue;
            moatK_violation(c, K_CODEPTR, r->off, "%s+0x%" PRIx64 " holds "
                            "code address %s+0x%" PRIx64 " (type %" PRIu32
                            "), not a function start or a proven jump table "
                            "entry", s->name, r->off, o->sec[sym->shndx].name,
                            to, r->type);
        }
    }
}

static bool
alloc_tables(KCheck *c)
{
    const KObj *o = &c->obj;

    c->table_used = moatU_calloc(o->nsec, sizeof *c->table_used);
    if (!c->table_used)
        return false;
    for (uint32_t i = 0; i < o->nsec; i++) {
        if (o->sec[i].nrel == 0)
            continue;
        c->table_used[i] = moatU_calloc(o->sec[i].nrel / 64 + 1,
                                        sizeof(uint64_t));
        if (!c->table_used[i])
            return false;
    }
    return true;
}

uint64_t
moatK_verify(const uint8_t *bytes, size_t len, KReport *rep)
{
    KCheck c = { .rep = rep };

    rep->nobjs++;
    if (moatK_obj_read(&c, bytes, len, &c.obj)) {
        {   /* roles (trampolines) for the table rule, the rest for the
             * memory rule */
            c.desc.role = moatU_calloc(c.obj.nfn + 1, 1);
            c.desc.vals = moatU_calloc(c.obj.nfn + 1, sizeof(uint64_t));
            c.desc.args = moatU_calloc(c.obj.nfn + 1, sizeof(uint64_t));
            if (c.desc.role && c.desc.vals && c.desc.args)
                moatK_desc_read(&c.obj, &c.desc);
        }
        c.trust = moatU_calloc(c.obj.nfn + 1, 1);
        c.ends = moatU_calloc(c.obj.nfn + 1, sizeof *c.ends);
        c.noret = moatU_calloc(c.obj.nfn + 1, 1);   /* NULL: none known */
        moatK_ends_init(&c);
        if (!alloc_tables(&c) || !c.trust || !c.ends || !c.noret) {
            moatK_violation(&c, K_OBJECT, 0, "out of memory");
        } else {
            for (uint32_t i = 0; i < c.obj.nfn; i++) {
                c.fn = &c.obj.fn[i];
                moatK_check_func(&c, c.fn);
                rep->nfuncs++;
                c.trust[i] |= (uint8_t)((c.broke[K_TABLE] ? K_FAILED_TABLE
                                                          : 0) |
                                        (c.broke[K_SAVED] ? K_FAILED_SAVED
                                                          : 0));
                count_unit(&c, func_rules, NFUNC_RULES(&c));
            }
            c.fn = NULL;
            moatK_ends_settle(&c);
            moatK_saved_settle(&c);
            check_externs(&c);
            check_code_pointers(&c);
        }
    }
    count_unit(&c, obj_rules, sizeof obj_rules / sizeof obj_rules[0]);
    for (uint32_t i = 0; c.table_used && i < c.obj.nsec; i++)
        moatU_free(c.table_used[i]);
    moatU_free(c.table_used);
    moatU_free(c.trust);
    moatU_free(c.ends);
    moatU_free(c.noret);
    moatU_free(c.noret_now);
    moatU_free(c.desc.role);
    moatU_free(c.desc.vals);
    moatU_free(c.desc.args);
    moatU_free(c.desc.gwritable);
    moatU_free(c.desc.gimport);
    moatU_free(c.desc.tmin);
    moatU_free(c.desc.textern);
    moatU_free(c.desc.tarea);
    moatU_free(c.desc.ftype);
    moatU_free(c.desc.ttype);
    moatU_free(c.desc.wtype);
    moatK_obj_free(&c.obj);
    return c.nviol;
}
