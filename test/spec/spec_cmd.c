/* spec_cmd.c - what each wast2json command means for Moat: a table from
 * command type to handler. Modules are validated (moat_wasm_validate),
 * text ones (quoted modules, which wast2json writes as .wat) translated by
 * the text front-end first (moat_wasm_from_wat); the rest runs through
 * spec_exec.c. Counting and printing is spec_runner.c's job.
 */
#include <stdio.h>
#include <string.h>

#include "moat_compile.h"
#include "spec.h"


static const char *
status_name(moat_status s)
{
    static const char *const names[] = {
        [MOAT_OK] = "MOAT_OK",
        [MOAT_ERR_MALFORMED] = "MOAT_ERR_MALFORMED",
        [MOAT_ERR_INVALID] = "MOAT_ERR_INVALID",
        [MOAT_ERR_CONTRACT] = "MOAT_ERR_CONTRACT",
        [MOAT_ERR_LINK] = "MOAT_ERR_LINK",
        [MOAT_ERR_NOMEM] = "MOAT_ERR_NOMEM",
        [MOAT_ERR_LIMIT] = "MOAT_ERR_LIMIT",
        [MOAT_ERR_IO] = "MOAT_ERR_IO",
        [MOAT_ERR_TRAP] = "MOAT_ERR_TRAP",
    };
    if ((unsigned)s < sizeof names / sizeof names[0] && names[s])
        return names[s];
    return "unknown moat_status";
}

/* Writes "expected WANT ("text"), got GOT at 0xOFF: msg" into why. */
static void
describe_mismatch(moat_status want, const char *text, moat_status got,
                  const moat_error *err, char *why, size_t nwhy)
{
    char   expected[WHY_MAX / 2];
    size_t n;

    /* the text of an assert_unlinkable names the link error: not shown */
    if (text && want != MOAT_OK)
        snprintf(expected, sizeof expected, "%s (\"%s\")", status_name(want),
                 text);
    else
        snprintf(expected, sizeof expected, "%s", status_name(want));
    if (got == MOAT_OK) {
        snprintf(why, nwhy, "expected %s, got MOAT_OK (module accepted)",
                 expected);
        return;
    }
    snprintf(why, nwhy, "expected %s, got %s%s", expected, status_name(got),
             want != MOAT_OK ? " (wrong category)" : "");
    if (err->offset != MOAT_NO_OFFSET && (n = strlen(why)) < nwhy)
        snprintf(why + n, nwhy - n, " at 0x%llx",
                 (unsigned long long)err->offset);
    if (err->msg[0] && (n = strlen(why)) < nwhy)
        snprintf(why + n, nwhy - n, ": %.*s", (int)sizeof err->msg,
                 err->msg);
    if (err->code != got && (n = strlen(why)) < nwhy)
        snprintf(why + n, nwhy - n, " [but err->code is %s]",
                 status_name(err->code));
}

/* Validates the command's module file (is_text: WebAssembly text) and
 * compares with want. A rejection in the right category whose message does
 * not start with the spec's text still passes; it is counted, and why says
 * so for --verbose. */
static Outcome
expect_status(Runner *R, const Cmd *c, bool is_text, moat_status want,
              char *why, size_t nwhy)
{
    const char *file = moatT_json_str(moatT_json_get(c->json, "filename"));
    const char *text = moatT_json_str(moatT_json_get(c->json, "text"));
    char        problem[WHY_MAX / 2], *bytes, *path;
    size_t      len;
    moat_error  err = { .code = MOAT_OK, .offset = MOAT_NO_OFFSET };

    if (!file) {
        snprintf(why, nwhy, "command has no \"filename\"");
        return OUT_FAIL;
    }
    if (!(path = moatT_spec_join_path(c->dir, file))) {
        snprintf(why, nwhy, "out of memory");
        return OUT_FAIL;
    }
    bool is_read = moatT_spec_read_file(path, &bytes, &len, problem,
                                        sizeof problem);
    moatU_free(path);
    if (!is_read) {
        snprintf(why, nwhy, "module file %s: %s", file, problem);
        return OUT_FAIL;
    }
    moat_status got;
    if (is_text) {          /* translated, then validated */
        uint8_t *bin = NULL;
        size_t   n;
        got = moat_wasm_from_wat(bytes, len, &bin, &n, &err);
        if (got == MOAT_OK)
            got = moat_wasm_validate(bin, n, &err);
        moat_free(bin);
    } else {
        got = moat_wasm_validate((const uint8_t *)bytes, len, &err);
    }
    moatU_free(bytes);
    if (got != want) {
        R->nvalid_wrong++;
        describe_mismatch(want, text, got, &err, why, nwhy);
        return OUT_FAIL;
    }
    R->nvalid_ok++;
    const char *msg = err.msg;
    unsigned    line, col;
    int         at = 0;
    /* the text front-end's messages open with "LINE:COL: " */
    if (is_text && sscanf(msg, "%u:%u: %n", &line, &col, &at) == 2 && at)
        msg += at;
    if (want != MOAT_OK && text && strncmp(msg, text, strlen(text))) {
        R->nmsg_differs++;
        snprintf(why, nwhy, "message \"%.*s\" does not start with \"%s\"",
                 (int)sizeof err.msg, err.msg, text);
    }
    return OUT_PASS;
}

/* module_type is "binary" or "text"; a missing one is taken as binary when
 * the file name says so. Returns false (and writes why) for anything else. */
static bool
is_binary_module(const Cmd *c, bool *is_binary, char *why, size_t nwhy)
{
    const char *type = moatT_json_str(moatT_json_get(c->json, "module_type"));
    const char *file = moatT_json_str(moatT_json_get(c->json, "filename"));

    if (type && strcmp(type, "binary") == 0) {
        *is_binary = true;
    } else if (type && strcmp(type, "text") == 0) {
        *is_binary = false;
    } else if (!type && file && moatT_spec_ends_with(file, ".wasm")) {
        *is_binary = true;
    } else {
        snprintf(why, nwhy, "unexpected module_type \"%s\" for file \"%s\"",
                 type ? type : "(none)", file ? file : "(none)");
        return false;
    }
    return true;
}

static Outcome
run_module(Runner *R, const Cmd *c, char *why, size_t nwhy)
{
    const char *file = moatT_json_str(moatT_json_get(c->json, "filename"));
    bool        is_binary;

    if (!file) {
        snprintf(why, nwhy, "command has no \"filename\"");
        return OUT_FAIL;
    }
    if (!is_binary_module(c, &is_binary, why, nwhy))
        return OUT_FAIL;
    if (!is_binary || !moatT_spec_ends_with(file, ".wasm")) {
        snprintf(why, nwhy, "expected a binary module (.wasm), got \"%s\"",
                 file);
        return OUT_FAIL;
    }
    Outcome out = expect_status(R, c, false, MOAT_OK, why, nwhy);
    return out == OUT_PASS ? moatT_exec_module(R, c, MOAT_OK, why, nwhy)
                           : out;
}

static Outcome
expect_rejected(Runner *R, const Cmd *c, moat_status want, char *why,
                size_t nwhy)
{
    bool is_binary;

    if (!is_binary_module(c, &is_binary, why, nwhy))
        return OUT_FAIL;
    return expect_status(R, c, !is_binary, want, why, nwhy);
}

static Outcome
run_assert_malformed(Runner *R, const Cmd *c, char *why, size_t nwhy)
{
    return expect_rejected(R, c, MOAT_ERR_MALFORMED, why, nwhy);
}

static Outcome
run_assert_invalid(Runner *R, const Cmd *c, char *why, size_t nwhy)
{
    return expect_rejected(R, c, MOAT_ERR_INVALID, why, nwhy);
}

/* The module must validate, then fail to link or to instantiate. */
static Outcome
validate_then_expect(Runner *R, const Cmd *c, moat_status want, char *why,
                     size_t nwhy)
{
    Outcome out = expect_rejected(R, c, MOAT_OK, why, nwhy);
    return out == OUT_PASS ? moatT_exec_module(R, c, want, why, nwhy) : out;
}

static Outcome
run_assert_unlinkable(Runner *R, const Cmd *c, char *why, size_t nwhy)
{
    return validate_then_expect(R, c, MOAT_ERR_LINK, why, nwhy);
}

static Outcome
run_assert_uninstantiable(Runner *R, const Cmd *c, char *why, size_t nwhy)
{
    return validate_then_expect(R, c, MOAT_ERR_TRAP, why, nwhy);
}

static Outcome
run_register(Runner *R, const Cmd *c, char *why, size_t nwhy)
{
    return moatT_exec_register(R, c, why, nwhy);
}

static Outcome
run_action(Runner *R, const Cmd *c, char *why, size_t nwhy)
{
    return moatT_exec_action(R, c, ACT_PLAIN, why, nwhy);
}

static Outcome
run_assert_return(Runner *R, const Cmd *c, char *why, size_t nwhy)
{
    return moatT_exec_action(R, c, ACT_RETURN, why, nwhy);
}

static Outcome
run_assert_trap(Runner *R, const Cmd *c, char *why, size_t nwhy)
{
    return moatT_exec_action(R, c, ACT_TRAP, why, nwhy);
}

static Outcome
run_assert_exhaustion(Runner *R, const Cmd *c, char *why, size_t nwhy)
{
    return moatT_exec_action(R, c, ACT_EXHAUSTION, why, nwhy);
}

/* Command type -> handler. Execution will replace run_needs_runtime. */
static const struct {
    const char *type;
    CmdFn       fn;
} handlers[] = {
    { "module", run_module },
    { "assert_malformed", run_assert_malformed },
    { "assert_invalid", run_assert_invalid },
    { "assert_unlinkable", run_assert_unlinkable },
    { "assert_uninstantiable", run_assert_uninstantiable },
    { "register", run_register },
    { "action", run_action },
    { "assert_return", run_assert_return },
    { "assert_trap", run_assert_trap },
    { "assert_exhaustion", run_assert_exhaustion },
};

Outcome
moatT_spec_command(Runner *R, const Cmd *c, char *why, size_t nwhy)
{
    size_t i = 0, n = sizeof handlers / sizeof handlers[0];

    if (!c->type) {
        snprintf(why, nwhy, "command has no \"type\" string");
        return OUT_FAIL;
    }
    while (i < n && strcmp(handlers[i].type, c->type) != 0)
        i++;
    if (i < n)
        return handlers[i].fn(R, c, why, nwhy);
    snprintf(why, nwhy, "unknown command type \"%s\" (spec_runner cannot "
             "run it)", c->type);
    return OUT_SKIP;
}
