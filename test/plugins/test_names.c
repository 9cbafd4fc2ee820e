/* test_names.c - the C names of a plugin header (llvm-lower/header_names.c,
 * docs/plugins.md "Names"): every name comes out a C identifier, the
 * documented decoding gives the wasm name back, and so no two names of a
 * set collide; the header's own names are never taken by an export.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../llvm-lower/header.h"

static int
hex(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                                                  : -1;
}

/* enc^-1 of s[0..n) into out; false when s is no encoding */
static bool
dec(const char *s, size_t n, char *out, size_t *len)
{
    *len = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '_') {
            out[(*len)++] = s[i];
            continue;
        }
        if (i + 2 >= n || hex(s[i + 1]) < 0 || hex(s[i + 2]) < 0)
            return false;
        out[(*len)++] = (char)(hex(s[i + 1]) * 16 + hex(s[i + 2]));
        i += 2;
    }
    return true;
}

static char *
export_name(const char *s, size_t n)
{
    HeaderOut o = { 0 };
    moatL_export_cname(&o, s, n);
    moatL_hput(&o, "%s", "");           /* NUL-terminates */
    assert_false(o.is_oom);
    return o.p;
}

/* The decoding of docs/plugins.md: "x_" + enc, else as it is. */
static void
decode_export(const char *c, char *out, size_t *len)
{
    size_t n = strlen(c);
    if (n >= 2 && !memcmp(c, "x_", 2)) {
        assert_true(dec(c + 2, n - 2, out, len));
        return;
    }
    memcpy(out, c, n);
    *len = n;
}

static const struct {
    const char *s;
    size_t      n;
} names[] = {
    { "fib", 3 }, { "_start", 6 }, { "_initialize", 11 }, { "x_y", 3 },
    { "x_", 2 }, { "x", 1 }, { "", 0 }, { "v.add", 5 }, { "a b", 3 },
    { "descriptor", 10 }, { "define_imports", 14 }, { "module_hash", 11 },
    { "import_f", 8 }, { "export_f", 8 }, { "9lives", 6 }, { "a\0b", 3 },
    { "\xc3\xa9t\xc3\xa9", 6 }, { "__", 2 }, { "a__b", 4 }, { "*/", 2 },
    { "x_x_5fy", 7 }, { "x__5f", 5 }, { "Z", 1 }, { "my_func", 7 },
};
enum { NNAMES = sizeof names / sizeof names[0] };

static void
exports_round_trip(void **state)
{
    char  *c[NNAMES];
    char   back[64];
    size_t len;

    (void)state;
    for (size_t i = 0; i < NNAMES; i++) {
        c[i] = export_name(names[i].s, names[i].n);
        /* prefixed with "NAME_" it is an identifier */
        char full[128];
        snprintf(full, sizeof full, "p_%s", c[i]);
        assert_true(moatL_is_c_ident(full, strlen(full)));
        decode_export(c[i], back, &len);
        assert_int_equal(len, names[i].n);
        assert_memory_equal(back, names[i].s, len);
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(c[i], c[j]);
    }
    assert_string_equal(c[0], "fib");               /* identifiers stay */
    assert_string_equal(c[1], "_start");
    assert_string_equal(c[23], "my_func");
    assert_string_equal(c[7], "x_v_2eadd");
    assert_string_equal(c[9], "x_descriptor");      /* the header's own */
    assert_string_equal(c[12], "x_import_5ff");
    for (size_t i = 0; i < NNAMES; i++)
        moatU_free(c[i]);
}

static char *
import_name(const char *m, size_t nm, const char *n, size_t nn)
{
    HeaderOut o = { 0 };
    moatL_import_cname(&o, m, nm, n, nn);
    moatL_hput(&o, "%s", "");
    return o.p;
}

/* "import_" M "_" N (M without '_'), or "import__" enc(M) "__" enc(N) */
static void
decode_import(const char *c, char *m, size_t *nm, char *n, size_t *nn)
{
    assert_memory_equal(c, "import_", 7);
    c += 7;
    if (c[0] != '_') {
        const char *us = strchr(c, '_');
        assert_non_null(us);
        *nm = (size_t)(us - c);
        memcpy(m, c, *nm);
        *nn = strlen(us + 1);
        memcpy(n, us + 1, *nn);
        return;
    }
    const char *sep = strstr(c + 1, "__");
    assert_non_null(sep);
    assert_true(dec(c + 1, (size_t)(sep - c - 1), m, nm));
    assert_true(dec(sep + 2, strlen(sep + 2), n, nn));
}

static void
imports_round_trip(void **state)
{
    char  *c[NNAMES * 3];
    size_t k = 0;

    (void)state;
    for (size_t i = 0; i < NNAMES; i++)
        for (size_t j = 0; j < 3; j++) {
            const char *mods[] = { "env", "host.lib", "wasi_unstable" };
            char        m[64], n[64];
            size_t      nm, nn;
            c[k] = import_name(mods[j], strlen(mods[j]), names[i].s,
                               names[i].n);
            assert_true(moatL_is_c_ident(c[k], strlen(c[k])));
            decode_import(c[k], m, &nm, n, &nn);
            assert_int_equal(nm, strlen(mods[j]));
            assert_memory_equal(m, mods[j], nm);
            assert_int_equal(nn, names[i].n);
            assert_memory_equal(n, names[i].s, nn);
            for (size_t q = 0; q < k; q++)
                assert_string_not_equal(c[k], c[q]);
            k++;
        }
    assert_string_equal(c[0], "import_env_fib");
    assert_string_equal(c[1], "import__host_2elib__fib");
    for (size_t q = 0; q < k; q++)
        moatU_free(c[q]);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(exports_round_trip),
        cmocka_unit_test(imports_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
