/* spec_action.c - invoke and get actions, and the assertions on them:
 * assert_return (values, NaN patterns, lanes), assert_trap and
 * assert_exhaustion (the spec's trap wording), plain actions.
 */
#include <stdio.h>
#include <string.h>

#include "spec.h"

enum { MAX_VALUES = 64 };

typedef struct Target {
    moat_instance *inst;
    moat_module   *mod;
    const char    *field, *type;
    size_t         field_len;       /* names may hold NUL */
    const JsonValue *action;
} Target;

static bool
target(Runner *R, const Cmd *c, Target *t, char *why, size_t nwhy)
{
    const char *name;
    t->action = moatT_json_get(c->json, "action");
    t->type = moatT_json_str(moatT_json_get(t->action, "type"));
    t->field = moatT_json_str(moatT_json_get(t->action, "field"));
    t->field_len = moatT_json_str_len(moatT_json_get(t->action, "field"));
    name = moatT_json_str(moatT_json_get(t->action, "module"));
    if (!moatT_exec_instance(R, name, &t->inst, &t->mod) || !t->field ||
        !t->type) {
        snprintf(why, nwhy, "action on %s: no such instance or field",
                 name ? name : "the current module");
        return false;
    }
    return true;
}

static size_t
export_results(const moat_module *m, const char *field)
{
    moat_extern_info info;
    for (size_t i = 0; i < moat_module_export_count(m); i++)
        if (moat_module_export(m, i, &info) == MOAT_OK &&
            !strcmp(info.name, field))
            return info.kind == MOAT_EXTERN_FUNC ? info.nresults : 1;
    return 0;
}

/* Runs the action; results in out[*nout]. */
static moat_status
perform(const Target *t, const JsonValue *expected, moat_val *out,
        size_t *nout, moat_error *err, char *why, size_t nwhy)
{
    moat_val args[MAX_VALUES];
    const JsonValue *ja = moatT_json_get(t->action, "args");
    size_t   nargs = ja ? moatT_json_len(ja) : 0;

    *nout = expected ? moatT_json_len(expected)
                     : export_results(t->mod, t->field);
    if (!strcmp(t->type, "get")) {
        *nout = 1;
        return moat_instance_global(t->inst, t->field, out, err);
    }
    if (nargs > MAX_VALUES || *nout > MAX_VALUES)
        return snprintf(why, nwhy, "too many values"), MOAT_ERR_LIMIT;
    for (size_t i = 0; i < nargs; i++)
        if (!moatT_value(moatT_json_at(ja, i), &args[i]))
            return snprintf(why, nwhy, "argument %zu: bad value", i),
                   MOAT_ERR_IO;
    uint32_t    idx;
    moat_status st = moat_instance_export_index(t->inst, t->field,
                                                t->field_len, &idx, err);
    if (st != MOAT_OK)
        return st;
    return moat_instance_call_index(t->inst, idx, args, nargs, out, *nout,
                                    err);
}

static Outcome
check_results(const JsonValue *expected, const moat_val *got, size_t n,
              char *why, size_t nwhy)
{
    for (size_t i = 0; i < n; i++) {
        const JsonValue *e = moatT_json_at(expected, i);
        if (!moatT_value_matches(e, &got[i])) {
            char txt[64];
            moatT_value_text(&got[i], txt, sizeof txt);
            const char *ev = moatT_json_str(moatT_json_get(e, "value"));
            snprintf(why, nwhy, "result %zu: got %s, expected %s %s", i, txt,
                     moatT_json_str(moatT_json_get(e, "type")),
                     ev ? ev : "(lanes)");
            return OUT_FAIL;
        }
    }
    return OUT_PASS;
}

Outcome
moatT_exec_action(Runner *R, const Cmd *c, ActionKind kind, char *why,
                  size_t nwhy)
{
    Target           t;
    moat_val         out[MAX_VALUES];
    size_t           nout = 0;
    moat_error       err = { 0 };
    const JsonValue *expected = kind == ACT_RETURN
                                    ? moatT_json_get(c->json, "expected")
                                    : NULL;

    if (!target(R, c, &t, why, nwhy))
        return OUT_FAIL;
    why[0] = 0;
    moat_status st = perform(&t, expected, out, &nout, &err, why, nwhy);
    if (kind == ACT_RETURN || kind == ACT_PLAIN) {
        if (st != MOAT_OK) {
            if (!why[0])
                snprintf(why, nwhy, "%s \"%s\": %s", t.type, t.field,
                         err.msg);
            return OUT_FAIL;
        }
        return kind == ACT_PLAIN ? OUT_PASS
                                 : check_results(expected, out, nout, why,
                                                 nwhy);
    }
    const char *text = moatT_json_str(moatT_json_get(c->json, "text"));
    if (st != MOAT_ERR_TRAP) {
        snprintf(why, nwhy, "expected trap \"%s\", got status %d %s",
                 text ? text : "", st, err.msg);
        return OUT_FAIL;
    }
    const char *ours = moat_trap_string(err.trap);
    if (!text || strncmp(text, ours, strlen(ours)) != 0) {
        snprintf(why, nwhy, "expected trap \"%s\", got \"%s\"",
                 text ? text : "", ours);
        return OUT_FAIL;
    }
    return OUT_PASS;
}
