/* desc_check.c - moat_module_from_descriptor refuses what the loader
 * refuses: a changed copy of a linked-in descriptor (magic, ABI version,
 * code bounds, CPU features) is a contract violation, an unchanged copy
 * makes a module. Part of host.c's test (C: it reads runtime/abi.h for the
 * descriptor's layout, which C++ cannot include).
 */
#include <stdio.h>
#include <string.h>

#include "abi.h"
#include "alpha.h"
#include "beta.h"

void plugin_desc_checks(moat_engine *e, int *pass, int *fail);

static int *npass, *nfail;

#define CHECK(x) ((x) ? (void)(*npass)++ \
                      : (void)((*nfail)++, printf("FAIL line %d: %s\n", \
                                                  __LINE__, #x)))

static moat_status
from_changed(moat_engine *e, const void *desc, size_t off, const void *val,
             size_t n, moat_error *err)
{
    static MoatDescriptor copy;
    moat_module          *m = NULL;

    memcpy(&copy, desc, sizeof copy);
    memcpy((char *)&copy + off, val, n);
    memset(err, 0, sizeof *err);
    moat_status st = moat_module_from_descriptor(
        e, (const moat_descriptor *)(const void *)&copy, &m, err);
    moat_module_free(m);
    return st;
}

void
plugin_desc_checks(moat_engine *e, int *pass, int *fail)
{
    moat_error     err;
    const uint32_t bad = 1, ver = MOAT_ABI_VERSION - 1;
    const void    *null = NULL;
    const char    *feat = "+no-such-feature";

    npass = pass;
    nfail = fail;
    CHECK(from_changed(e, &alpha_descriptor, offsetof(MoatDescriptor, magic),
                       &bad, 4, &err) == MOAT_ERR_CONTRACT &&
          strstr(err.msg, "magic"));
    CHECK(from_changed(e, &alpha_descriptor,
                       offsetof(MoatDescriptor, abi_version), &ver, 4,
                       &err) == MOAT_ERR_CONTRACT &&
          strstr(err.msg, "ABI version"));
    CHECK(from_changed(e, &alpha_descriptor,
                       offsetof(MoatDescriptor, code_lo), &null, 8,
                       &err) == MOAT_ERR_CONTRACT &&
          strstr(err.msg, "code bounds"));
    /* the code needs what this host cannot give */
    CHECK(from_changed(e, &alpha_descriptor,
                       offsetof(MoatDescriptor, features), &feat, 8,
                       &err) == MOAT_ERR_CONTRACT);
    /* a function pointer outside the plugin's code */
    MoatDescFunc funcs[64];
    const MoatDescriptor *a = (const MoatDescriptor *)(const void *)
        &alpha_descriptor;
    const MoatDescFunc *fp = funcs;
    CHECK(a->nfuncs > 0 && a->nfuncs <= 64);
    memcpy(funcs, a->funcs, a->nfuncs * sizeof *funcs);
    funcs[0].code = (void *)(uintptr_t)a->code_hi;
    CHECK(from_changed(e, &alpha_descriptor, offsetof(MoatDescriptor, funcs),
                       &fp, 8, &err) == MOAT_ERR_CONTRACT &&
          strstr(err.msg, "outside the plugin's code"));
    CHECK(from_changed(e, &beta_descriptor, 0, &beta_descriptor, 0, &err) ==
          MOAT_OK);                             /* an unchanged copy */
}
