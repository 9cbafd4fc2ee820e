/* host.c - two plugins (alpha.wat, beta.wat, compiled with `moat compile
 * --name --header`) linked into this one executable with the static
 * libmoat (test/plugins/meson.build): modules from their descriptors,
 * typed calls of every value type, two and three results, traps (explicit
 * and memory faults: the fault handler must know the plugin's code) that
 * leave the instance usable, a wrong instance refused, host imports, and
 * the descriptor checks. Compiled as C and as C++ (host.cc includes this
 * file). Prints `N passed, N failed`.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "alpha.h"
#include "beta.h"

static int npass, nfail;

static void
check(int ok, const char *what, int line)
{
    if (ok) {
        npass++;
        return;
    }
    nfail++;
    printf("FAIL line %d: %s\n", line, what);
}

#define CHECK(x) check((x) ? 1 : 0, #x, __LINE__)

typedef struct HostState {
    int nlog;
} HostState;

/* the native prototypes beta.h declares (extern "C" there) */
uint32_t
beta_import_env_log(void *host_ctx, uint32_t p0)
{
    ((HostState *)host_ctx)->nlog++;
    return p0 + 1;
}

void
beta_import__host_2elib__pair(void *host_ctx, uint64_t p0, void *results)
{
    uint64_t a = p0 * 10, b = p0 + 1;

    (void)host_ctx;
    memcpy((char *)results, &a, 8);
    memcpy((char *)results + 16, &b, 8);
}

static int
last_ok(moat_instance *inst)
{
    return moat_instance_last_error(inst)->code == MOAT_OK;
}

static void
alpha_calls_typed(moat_instance *a)
{
    uint32_t q = 99, r = 99;
    double   d = 0;
    uint64_t i = 0;
    float    f = 0;

    CHECK(alpha_fib(a, 20) == 6765 && last_ok(a));
    alpha_divmod(a, 17, 5, &q, &r);
    CHECK(q == 3 && r == 2 && last_ok(a));
    alpha_mix(a, UINT64_C(0x100000000), 1.5f, 2.25, &d, &i, &f);
    CHECK(d == 3.75 && i == UINT64_C(0x300000000) && f == -1.5f);
    alpha_mix(a, 1, NAN, 0, &d, NULL, &f);      /* NULL out: skipped */
    CHECK(isnan(d) && isnan(f));

    moat_v128 x, y, z;
    for (int k = 0; k < 16; k++)
        x.bytes[k] = (uint8_t)k, y.bytes[k] = (uint8_t)(k == 4 ? 255 : 1);
    z = alpha_x_v_2eadd(a, x, y);      /* i32x4.add: lane 1 carries */
    CHECK(z.bytes[0] == 1 && z.bytes[4] == 3 && z.bytes[5] == 7 &&
          z.bytes[15] == 16);
    int token;
    CHECK(alpha_same_ref(a, &token) == &token && last_ok(a));
    /* exports whose names are not plain C identifiers */
    CHECK(alpha_x_descriptor(a) == 7 && alpha_x_x_5fy(a) == 8 &&
          alpha_x_(a) == 9);
    CHECK(alpha_x__2a_2f_20_22_3f_3f_2f_5c(a) == 10);
}

static void
alpha_traps(moat_instance *a)
{
    uint32_t q = 99, r = 99;

    alpha_boom(a);
    const moat_error *e = moat_instance_last_error(a);
    CHECK(e->code == MOAT_ERR_TRAP && e->trap == MOAT_TRAP_UNREACHABLE);
    CHECK(alpha_fib(a, 10) == 55 && last_ok(a));    /* still usable */
    alpha_divmod(a, 1, 0, &q, &r);                  /* zeroed results */
    e = moat_instance_last_error(a);
    CHECK(e->code == MOAT_ERR_TRAP && e->trap == MOAT_TRAP_DIV_ZERO &&
          q == 0 && r == 0);
    /* a memory fault in the plugin's code: the handler knows the code */
    CHECK(alpha_load(a, 0xfffffff0u) == 0);
    e = moat_instance_last_error(a);
    CHECK(e->code == MOAT_ERR_TRAP && e->trap == MOAT_TRAP_MEMORY_OOB);
    CHECK(strstr(e->msg, "load") != NULL);          /* names the function */
    CHECK(alpha_load(a, 0) == 0 && last_ok(a));
}

static void
wrong_instance(moat_instance *a, moat_instance *b)
{
    moat_val arg, res;

    CHECK(alpha_fib(b, 5) == 0);
    const moat_error *e = moat_instance_last_error(b);
    CHECK(e->code == MOAT_ERR_LINK && strstr(e->msg, "wrong instance"));
    /* by index alone the call would be made: the same index and type */
    arg.type = MOAT_I32;
    arg.of.i32 = 5;
    CHECK(moat_instance_call_index(b, alpha_export_fib, &arg, 1, &res, 1,
                                   NULL) == MOAT_OK);
    CHECK(beta_twice(a, 1) == 0 &&
          moat_instance_last_error(a)->code == MOAT_ERR_LINK);
    CHECK(alpha_fib(NULL, 5) == 0 &&
          moat_instance_last_error(NULL)->code != MOAT_OK);
}

/* The header's export indices are the runtime's. */
static void
export_indices(moat_instance *a, moat_module *am)
{
    uint32_t idx = 0;

    CHECK(moat_instance_export_index(a, "fib", 3, &idx, NULL) == MOAT_OK &&
          idx == alpha_export_fib);
    CHECK(moat_instance_export_index(a, "v.add", 5, &idx, NULL) == MOAT_OK &&
          idx == alpha_export_x_v_2eadd);
    CHECK(moat_instance_export_index(a, "", 0, &idx, NULL) == MOAT_OK &&
          idx == alpha_export_x_);
    CHECK(moat_module_export_count(am) == 13);
}

static void
beta_calls(moat_instance *b, HostState *hs)
{
    int before = hs->nlog;

    CHECK(beta_twice(b, 5) == 12 && hs->nlog == before + 1 && last_ok(b));
    CHECK(beta_sum_pair(b, 7) == 78 && last_ok(b));
}

/* moat_module_from_descriptor checks what the loader checks. */
static moat_status
from_changed(moat_engine *e, const void *desc, size_t off, const void *val,
             size_t n, moat_error *err)
{
    /* MoatDescriptor (runtime/abi.h): 8 * 28 + 32 bytes, 8-aligned */
    static uint64_t copy[(8 * 28 + 32) / 8];
    moat_module    *m = NULL;

    memcpy(copy, desc, sizeof copy);
    memcpy((char *)copy + off, val, n);
    memset(err, 0, sizeof *err);
    moat_status st = moat_module_from_descriptor(
        e, (const moat_descriptor *)(const void *)copy, &m, err);
    moat_module_free(m);
    return st;
}

static void
descriptor_checks(moat_engine *e)
{
    moat_error     err;
    const uint32_t bad = 1;
    const void    *null = NULL;
    const char    *feat = "+no-such-feature";

    CHECK(from_changed(e, &alpha_descriptor, 0, &bad, 4, &err) ==
              MOAT_ERR_CONTRACT && strstr(err.msg, "magic"));
    const uint32_t ver = 3;
    CHECK(from_changed(e, &alpha_descriptor, 4, &ver, 4, &err) ==
              MOAT_ERR_CONTRACT && strstr(err.msg, "ABI version"));
    /* code_lo is field 26 (8 bytes each; magic and version share one) */
    CHECK(from_changed(e, &alpha_descriptor, 8 * 26, &null, 8, &err) ==
              MOAT_ERR_CONTRACT && strstr(err.msg, "code bounds"));
    /* features, field 25: the code needs what this host cannot give */
    CHECK(from_changed(e, &alpha_descriptor, 8 * 25, &feat, 8, &err) ==
              MOAT_ERR_CONTRACT);
    CHECK(from_changed(e, &beta_descriptor, 0, &beta_descriptor, 0, &err) ==
              MOAT_OK);                         /* an unchanged copy */
}

int
main(void)
{
    moat_engine   *e = NULL;
    moat_linker   *l = NULL;
    moat_module   *am = NULL, *bm = NULL;
    moat_instance *a = NULL, *b = NULL;
    moat_error     err;
    HostState      hs = { 0 };

    memset(&err, 0, sizeof err);
    CHECK(moat_engine_new(&e, &err) == MOAT_OK);
    CHECK(moat_module_from_descriptor(e, &alpha_descriptor, &am, &err) ==
          MOAT_OK);
    CHECK(moat_module_from_descriptor(e, &beta_descriptor, &bm, &err) ==
          MOAT_OK);
    CHECK(moat_linker_new(e, &l, &err) == MOAT_OK);
    CHECK(beta_define_imports(l, &hs, &err) == MOAT_OK);
    CHECK(alpha_define_imports(l, NULL, &err) == MOAT_OK);
    CHECK(moat_instance_new(l, am, &a, &err) == MOAT_OK);
    CHECK(moat_instance_new(l, bm, &b, &err) == MOAT_OK);
    if (!a || !b) {
        printf("setup failed: %s\n", err.msg);
        printf("%d passed, %d failed\n", npass, nfail + 1);
        return 1;
    }
    CHECK(last_ok(a));                  /* before any typed call */
    alpha_calls_typed(a);
    alpha_traps(a);
    wrong_instance(a, b);
    export_indices(a, am);
    beta_calls(b, &hs);
    descriptor_checks(e);
    moat_instance_free(a);
    moat_instance_free(b);
    moat_linker_free(l);
    moat_module_free(am);
    moat_module_free(bm);
    moat_engine_free(e);
    printf("%d passed, %d failed\n", npass, nfail);
    return nfail != 0;
}
