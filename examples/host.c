/* host.c - a complete Moat host: load a compiled plugin (`moat compile
 * plugin.wasm -o plugin.o`), give it a host function, call an export,
 * survive a trap. It needs libmoat only:
 * `cc host.c $(pkg-config --cflags --libs moat)` (docs/install.md);
 * compile_in_process.c compiles a .wasm in the host instead. Build: see
 * examples/meson.build; run: host PLUGIN.o [--trusted]. The runtime
 * verifies the plugin's machine code as it loads it (docs/verify.md).
 * Every object made here is freed with its _free function, in reverse.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "moat.h"

/* The host function: native signature of (i32) -> (), ctx first. */
static void
log_number(void *ctx, uint32_t n)
{
    unsigned *calls = ctx;
    (*calls)++;
    printf("guest says: %u\n", n);
}

static int
run(moat_instance *inst, unsigned *calls)
{
    moat_val   arg = { .type = MOAT_I32, .of.i32 = 100 }, res;
    moat_val   div[2] = { { .type = MOAT_I32, .of.i32 = 7 },
                          { .type = MOAT_I32, .of.i32 = 0 } };
    moat_error err = { 0 };

    if (moat_instance_call(inst, "sum_to", &arg, 1, &res, 1, &err) != MOAT_OK)
        return fprintf(stderr, "sum_to: %s\n", err.msg), 1;
    printf("sum_to(100) = %llu after %u host call(s)\n",
           (unsigned long long)res.of.i64, *calls);
    if (res.of.i64 != 5050 || *calls != 1)      /* the test suite runs us */
        return fprintf(stderr, "wrong result\n"), 1;

    /* A trap ends the call, never the host; the instance stays usable. */
    moat_status st = moat_instance_call(inst, "divide", div, 2, &res, 1,
                                        &err);
    if (st != MOAT_ERR_TRAP)
        return fprintf(stderr, "divide by zero did not trap\n"), 1;
    printf("divide(7, 0) trapped: %s\n", moat_trap_string(err.trap));
    div[1].of.i32 = 2;
    memset(&err, 0, sizeof err);
    if (moat_instance_call(inst, "divide", div, 2, &res, 1, &err) != MOAT_OK)
        return fprintf(stderr, "divide: %s\n", err.msg), 1;
    printf("divide(7, 2) = %u\n", res.of.i32);
    return res.of.i32 == 3 ? 0 : 1;
}

int
main(int argc, char **argv)
{
    moat_engine   *e = NULL;
    moat_linker   *l = NULL;
    moat_module   *m = NULL;
    moat_instance *inst = NULL;
    moat_error     err = { 0 };
    unsigned       calls = 0;
    static const uint8_t i32[] = { MOAT_I32 };
    int            rc = 1;

    /* --trusted: skip the machine-code checker, for an artifact you
     * compiled yourself when the checker's library cannot be loaded (a
     * program linked with cc -static) */
    bool is_trusted = argc == 3 && !strcmp(argv[2], "--trusted");
    if (argc != 2 && !is_trusted)
        return fprintf(stderr, "usage: host PLUGIN.o [--trusted]\n"), 2;
    if (moat_engine_new(&e, &err) == MOAT_OK &&
        moat_module_load_file_flags(e, argv[1],
                                    is_trusted ? MOAT_LOAD_TRUSTED : 0, &m,
                                    &err) == MOAT_OK &&
        moat_linker_new(e, &l, &err) == MOAT_OK &&
        moat_linker_define_func(l, "env", "log_number", i32, 1, NULL, 0,
                                (moat_native_fn)log_number, &calls,
                                &err) == MOAT_OK &&
        moat_instance_new(l, m, &inst, &err) == MOAT_OK)
        rc = run(inst, &calls);
    else
        fprintf(stderr, "host: %s: %s\n", moat_status_string(err.code),
                err.msg);
    moat_instance_free(inst);
    moat_linker_free(l);
    moat_module_free(m);
    moat_engine_free(e);
    return rc;
}
