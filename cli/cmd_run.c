/* cmd_run.c - `moat run`: the launcher, read as its pipeline. Options
 * (run_options.c), the module through the compile cache (run_load.c),
 * the guest's WASI system (run_wasi.c), instantiation with the engine's
 * limits, then `_start` (or one export with --invoke, run_invoke.c), and
 * the exit status (run_report.c). --timeout uses the runtime's deadline
 * when the code has interruption checks, else the process alarm
 * (run_timeout.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* How much later than --timeout the process alarm ends a guest that the
 * deadline cannot stop: one blocked in a host call (a read, a sleep) or
 * running its start function. */
#define BACKSTOP_NS UINT64_C(250000000)

static void
arm_timeout(const RunOptions *o, const moat_module *m)
{
    if (!o->timeout_ns)
        return;
    if (moat_module_is_interruptible(m)) {
        moat_cli_arm_alarm(o->timeout_ns + BACKSTOP_NS, o->timeout_text, "");
        return;
    }
    fprintf(stderr, "moat: warning: %s has no interruption checks; "
                    "--timeout %s ends the whole process\n", o->prog,
            o->timeout_text);
    moat_cli_arm_alarm(o->timeout_ns, o->timeout_text, "");
}

static int
run_start(moat_instance *inst, const RunOptions *o)
{
    moat_error err = { 0 };
    uint32_t   idx;

    if (moat_instance_export_index(inst, "_start", 6, &idx, &err) !=
        MOAT_OK) {
        fprintf(stderr, "moat: %s: no _start function (not a WASI command; "
                        "--invoke NAME calls an export)\n", o->prog);
        return EXIT_BAD_INPUT;
    }
    moat_status st = moat_instance_call_index(inst, idx, NULL, 0, NULL, 0,
                                              &err);
    return moat_cli_outcome(inst, o, st, &err);
}

/* Sanitizer builds tear everything down, so that their leak and use
 * checks cover the frees. */
#if defined(__SANITIZE_ADDRESS__)
#define IS_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define IS_SANITIZED 1
#endif
#endif
#ifndef IS_SANITIZED
#define IS_SANITIZED 0
#endif

/* After the guest's run the process ends: exit now rather than free the
 * instance, linker, WASI state, module and engine first. The release of
 * an instance zeroes the memory pages its guest may have written (for
 * hello.wasm about 30 page faults, reading pages it never touched), the
 * engine unmaps its pool; all of it is work the exit does anyway. Nothing
 * of them is owed to the outside: WASI writes straight to the
 * descriptors, profilers write their maps as modules load. */
static void
exit_without_teardown(int rc)
{
    if (IS_SANITIZED)
        return;
    fflush(NULL);
    exit(rc);
}

static int
run(const RunOptions *o)
{
    moat_engine   *e = NULL;
    moat_linker   *l = NULL;
    moat_module   *m = NULL;
    moat_wasi     *w = NULL;
    moat_instance *inst = NULL;
    moat_error     err = { 0 };
    int            rc = EXIT_BAD_INPUT;

    if (moat_engine_new(&e, &err) != MOAT_OK) {
        moat_cli_report(o->prog, &err);
        return rc;
    }
    if (o->max_memory)
        moat_engine_set_max_memory(e, o->max_memory);
    if (o->stack_size)
        moat_engine_set_stack_size(e, o->stack_size);
    if (o->has_profile)
        moat_engine_set_profiler(e, o->profilers);
    /* one instance per process: huge pages for a memory of 2 MiB or more
     * cost no density here (docs/runtime-scale.md, "Huge pages") */
    moat_engine_set_huge_pages(e, MOAT_HUGE_PAGES_RUN);
    rc = moat_cli_load(e, o, o->timeout_ns != 0, &m);
    if (rc == EXIT_OK && moat_linker_new(e, &l, &err) != MOAT_OK) {
        moat_cli_report(o->prog, &err);
        rc = EXIT_BAD_INPUT;
    }
    if (rc == EXIT_OK)
        rc = moat_cli_wasi_setup(o, l, &w);
    if (rc == EXIT_OK) {
        arm_timeout(o, m);
        moat_status st = moat_instance_new(l, m, &inst, &err);
        if (st != MOAT_OK)
            rc = moat_cli_outcome(NULL, o, st, &err);
    }
    if (rc == EXIT_OK && o->timeout_ns && moat_module_is_interruptible(m) &&
        moat_instance_set_deadline(inst, o->timeout_ns, &err) != MOAT_OK) {
        moat_cli_report(o->prog, &err);
        rc = EXIT_BAD_INPUT;
    }
    if (rc == EXIT_OK)
        rc = o->invoke ? moat_cli_invoke(inst, m, o) : run_start(inst, o);
    if (o->timeout_ns)
        moat_cli_disarm_alarm();
    if (inst)
        exit_without_teardown(rc);
    moat_instance_free(inst);
    moat_linker_free(l);
    moat_wasi_free(w);
    moat_module_free(m);
    moat_engine_free(e);
    return rc;
}

int
moat_cmd_run(int argc, char **argv)
{
    RunOptions o;
    int        rc = moat_cli_run_options(argc, argv, &o);

    if (rc == EXIT_OK && !o.is_help)
        rc = run(&o);
    moat_cli_run_options_free(&o);
    return rc;
}
