/* verify_testutil.c - see verify_testutil.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "util.h"
#include "verify_testutil.h"

KReport *
moatVT_verify_bytes(const uint8_t *b, size_t len, bool memory)
{
    KReport *r = calloc(1, sizeof *r);

    assert_non_null(r);
    r->check_memory = memory;
    moatK_verify(b, len, r);
    return r;
}

KReport *
moatVT_verify_file(const char *path)
{
    moat_error err = { 0 };
    uint8_t   *bytes;
    size_t     len;

    assert_true(moatU_read_file(path, UINT64_C(1) << 24, &bytes, &len,
                                &err));
    KReport *r = moatVT_verify_bytes(bytes, len, false);
    moatU_free(bytes);
    moatK_print_violations(stdout, path, r);
    return r;
}

size_t moatVT_biggest;

void *
moatVT_track_alloc(void *ud, void *ptr, size_t size)
{
    (void)ud;
    if (size == 0) {
        free(ptr);
        return NULL;
    }
    if (size > moatVT_biggest)
        moatVT_biggest = size;
    return realloc(ptr, size);
}
