/* guests.c - plugins built from C (a WASI reactor), C++ and Rust, linked
 * with this host and the static libmoat (test/plugins/meson.build): their
 * typed exports, WASI output and a Rust panic, which traps. Prints `N
 * passed, N failed, N skipped` (a guest whose toolchain is missing is
 * skipped, saying why). */
#include <stdio.h>
#include <string.h>

#include <moat_wasi.h>

#include "guest_c.h"
#ifdef HAVE_CPP_GUEST
#include "guest_cpp.h"
#endif
#ifdef HAVE_RUST_GUEST
#include "guest_rs.h"
#endif

static int npass, nfail, nskip;

#define CHECK(x) ((x) ? (void)npass++ \
                      : (void)(nfail++, printf("FAIL line %d: %s\n", \
                                               __LINE__, #x)))

static moat_instance *
instantiate(moat_engine *e, moat_linker *l, const moat_descriptor *d)
{
    moat_module   *m = NULL;
    moat_instance *i = NULL;
    moat_error     err = { 0 };

    if (moat_module_from_descriptor(e, d, &m, &err) != MOAT_OK ||
        moat_instance_new(l, m, &i, &err) != MOAT_OK)
        printf("setup: %s\n", err.msg);
    moat_module_free(m);        /* the instance keeps it */
    return i;
}

int
main(void)
{
    moat_engine *e = NULL;
    moat_linker *l = NULL;
    moat_wasi   *w = NULL;
    moat_error   err = { 0 };
    size_t       n = 0;

    CHECK(moat_engine_new(&e, &err) == MOAT_OK);
    CHECK(moat_linker_new(e, &l, &err) == MOAT_OK);
    CHECK(moat_wasi_new(&w, &err) == MOAT_OK);
    CHECK(moat_wasi_capture(w, 1, &err) == MOAT_OK);
    CHECK(moat_wasi_define(l, w, &err) == MOAT_OK);

    moat_instance *c = instantiate(e, l, &guest_c_descriptor);
    CHECK(c != NULL);
    guest_c__initialize(c);                 /* the reactor's constructors */
    CHECK(moat_instance_last_error(c)->code == MOAT_OK);
    CHECK(guest_c_sum_to(c, 100) == 5050);
    const char *out = moat_wasi_captured(w, 1, &n);
    CHECK(out && n == 15 && !memcmp(out, "sum 100 = 5050\n", 15));
    moat_instance_free(c);
#ifdef HAVE_CPP_GUEST
    moat_instance *p = instantiate(e, l, &guest_cpp_descriptor);
    CHECK(p != NULL);
    CHECK(guest_cpp_label_length(p) == 0);  /* before the constructors */
    guest_cpp__initialize(p);
    CHECK(guest_cpp_label_length(p) == 5 && guest_cpp_total(p, 100) == 5050);
    moat_instance_free(p);
#else
    nskip++;
    printf("skipped: the C++ guest (no clang++-19 or libc++ for wasm32-wasi: "
           "apt-get install libc++-19-dev-wasm32 libc++abi-19-dev-wasm32)\n");
#endif
#ifdef HAVE_RUST_GUEST
    moat_instance *r = instantiate(e, l, &guest_rs_descriptor);
    CHECK(r != NULL);
    CHECK(guest_rs_sum_squares(r, 10) == 385);
    CHECK(guest_rs_checked_div(r, 42, 6) == 7);
    CHECK(guest_rs_checked_div(r, 1, 0) == 0 &&
          moat_instance_last_error(r)->code == MOAT_ERR_TRAP);
    CHECK(guest_rs_sum_squares(r, 3) == 14);        /* usable after it */
    moat_instance_free(r);
#else
    nskip++;
    printf("skipped: the Rust guest (no /usr/bin/rustc with wasm32-wasi "
           "std: apt-get install rustc libstd-rust-dev-wasm32)\n");
#endif
    moat_linker_free(l);
    moat_wasi_free(w);
    moat_engine_free(e);
    printf("%d passed, %d failed, %d skipped\n", npass, nfail, nskip);
    return nfail != 0;
}
