/* wasm2c_driver.c - runner for a kernel translated by wasm2c (Debian's
 * wabt) and compiled by clang: `K-w2c nop` calls nop(), `K-w2c run N`
 * calls run(N), through the header wasm2c generated for module name
 * "kernel" (WASM2C_HEADER names it). Prints like driver.c: the result on
 * stdout, the time of the call on stderr; a trap exits 1 with its name.
 * The runtime (wasm-rt-impl.c) uses guard pages for bounds checks. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include WASM2C_HEADER
#include "wasm-rt-impl.h"

static double
now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int
main(int argc, char **argv)
{
    static Z_kernel_instance_t inst;
    int64_t r = 0;
    int     is_run = argc == 3 && !strcmp(argv[1], "run");

    if (!is_run && !(argc == 2 && !strcmp(argv[1], "nop"))) {
        fprintf(stderr, "usage: %s nop | run N\n", argv[0]);
        return 2;
    }
    wasm_rt_init();
    Z_kernel_init_module();
    Z_kernel_instantiate(&inst);
    int n = is_run ? atoi(argv[2]) : 0;
    double t0 = now();
    wasm_rt_trap_t trap = wasm_rt_impl_try();
    if (trap != WASM_RT_TRAP_NONE) {
        fprintf(stderr, "%s: trap: %s\n", argv[0], wasm_rt_strerror(trap));
        return 1;
    }
    r = (int64_t)(is_run ? Z_kernelZ_run(&inst, (u32)n) : Z_kernelZ_nop(&inst));
    double t = now() - t0;
    printf("%" PRId64 "\n", r);
    fprintf(stderr, "time %.6f\n", t);
    Z_kernel_free(&inst);
    wasm_rt_free();
    return 0;
}
