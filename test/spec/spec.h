/* spec.h - internal header of the spec test runner (test/spec/), sectioned
 * by file. Test-only code: moatT_ prefix.
 */
#ifndef MOAT_TEST_SPEC_H
#define MOAT_TEST_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json.h"
#include "moat.h"

typedef struct Exec Exec;

typedef enum Outcome { OUT_PASS, OUT_FAIL, OUT_SKIP, NOUTCOME } Outcome;

typedef struct Counts {
    unsigned long n[NOUTCOME];
} Counts;

typedef struct Skip {
    char         *reason;
    unsigned long count;
} Skip;

typedef struct Runner {
    bool          is_verbose;
    Counts        total, file;
    Skip         *skips;            /* grouped by reason, first-seen order */
    size_t        nskips, capskips;
    unsigned long nmsg_differs;     /* right category, other message */
    unsigned long nvalid_ok, nvalid_wrong;  /* binary modules validated */
    Exec         *exec;                     /* spec_exec.c */
    bool          is_exec_ready;            /* set up for this file */
} Runner;

/* One command of a .json file. The strings are borrowed from its JsonDoc. */
typedef struct Cmd {
    const JsonValue *json;
    const char      *type;
    const char      *wast;          /* source_filename, for messages */
    const char      *dir;           /* folder holding the module files */
    int64_t          line;
} Cmd;

/* A handler returns the outcome; for OUT_FAIL it writes the message
 * ("expected ..., got ...") and for OUT_SKIP the reason into why. */
typedef Outcome (*CmdFn)(Runner *R, const Cmd *c, char *why, size_t nwhy);

enum { WHY_MAX = 512 };

/* spec_cmd.c: runs one command through the table of command types. */
Outcome moatT_spec_command(Runner *R, const Cmd *c, char *why, size_t nwhy);

/* spec_runner.c: file helpers. read_file returns an owned buffer (free with
 * moatU_free) with a NUL after the last byte; on failure it writes why and
 * leaves *out untouched. join_path returns an owned "a/b" or NULL (OOM). */
bool  moatT_spec_read_file(const char *path, char **out, size_t *len,
                           char *why, size_t nwhy);
char *moatT_spec_join_path(const char *a, const char *b);
bool  moatT_spec_ends_with(const char *s, const char *suffix);

/* spec_exec.c: the runtime side, per .json file. */
typedef enum ActionKind {
    ACT_PLAIN, ACT_RETURN, ACT_TRAP, ACT_EXHAUSTION
} ActionKind;

bool    moatT_exec_begin(Runner *R, char *why, size_t nwhy);
void    moatT_exec_end(Runner *R);
void    moatT_exec_free(Runner *R);
/* want: MOAT_OK (module), MOAT_ERR_LINK (assert_unlinkable) or
 * MOAT_ERR_TRAP (assert_uninstantiable). */
Outcome moatT_exec_module(Runner *R, const Cmd *c, moat_status want,
                          char *why, size_t nwhy);
Outcome moatT_exec_register(Runner *R, const Cmd *c, char *why, size_t nwhy);
/* The named instance, or the current one when name is NULL. */
bool    moatT_exec_instance(Runner *R, const char *name,
                            moat_instance **inst, moat_module **mod);

/* spec_wast.c: a .wast script (text, len bytes, read from path) as the
 * JSON wast2json writes, module files written into dir. On success *json
 * is owned (moatU_free); else why says what is wrong. */
bool moatT_wast_to_json(const char *path, const char *text, size_t len,
                        const char *dir, char **json, size_t *jlen,
                        char *why, size_t nwhy);

/* spec_action.c */
Outcome moatT_exec_action(Runner *R, const Cmd *c, ActionKind kind,
                          char *why, size_t nwhy);

/* spec_value.c */
bool moatT_value(const JsonValue *j, moat_val *out);
bool moatT_value_matches(const JsonValue *j, const moat_val *got);
void moatT_value_text(const moat_val *v, char *buf, size_t n);

/* spec_host.c */
moat_status moatT_define_spectest(moat_linker *l, moat_error *err);

#endif
