/* verify_testutil.h - what the checker's cmocka tests share: running the
 * checker over bytes or a file, and an allocator that records the largest
 * request (tests that damaged counts allocate nothing by them). */
#ifndef MOAT_VERIFY_TESTUTIL_H
#define MOAT_VERIFY_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "verify.h"

/* The checker over b[0..len) (memory: the flow rules too); a report the
 * caller frees with moatK_report_free and free. */
KReport *moatVT_verify_bytes(const uint8_t *b, size_t len, bool memory);
/* The default rules over the file at path (read or the test fails); its
 * violations printed to stdout. */
KReport *moatVT_verify_file(const char *path);

/* A moat_set_allocator hook that records the largest request in
 * moatVT_biggest (reset it before use). */
extern size_t moatVT_biggest;
void *moatVT_track_alloc(void *ud, void *ptr, size_t size);

#endif
