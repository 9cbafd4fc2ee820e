/* guest_fx.c - see guest_fx.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "guest_fx.h"
#include "moat_compile.h"

uint8_t *
moatT_compile_file(const char *path, int opt_level, size_t *len)
{
    return moatT_compile_file_with(path, opt_level, 0, len);
}

uint8_t *
moatT_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    assert_true(n > 0);
    rewind(f);
    uint8_t *buf = malloc((size_t)n);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

uint8_t *
moatT_compile_file_with(const char *path, int opt_level,
                        int is_interruptible, size_t *len)
{
    size_t   n;
    uint8_t *wasm = moatT_read_file(path, &n);
    assert_true(n > 8);

    moat_compile_config *cfg;
    moat_error           err = { 0 };
    uint8_t             *obj = NULL;
    assert_int_equal(moat_compile_config_new(&cfg, &err), MOAT_OK);
    moat_compile_config_set_opt_level(cfg, opt_level);
    moat_compile_config_set_interruptible(cfg, is_interruptible);
    if (moat_compile(cfg, wasm, n, &obj, len, &err) != MOAT_OK)
        fail_msg("%s does not compile: %s", path, err.msg);
    moat_compile_config_free(cfg);
    free(wasm);
    return obj;
}
