/* test_zlib.h - the parts of the zlib test host (test_zlib.c, the
 * counting and the one-shot checks; test_stream.c, the stream API, bad
 * input and traps). */
#ifndef TEST_ZLIB_H
#define TEST_ZLIB_H

#include "corpus.h"
#include "zbox.h"

/* Counts one check; prints `FAIL: name: what` when !ok. */
void check(int ok, const char *what, const char *name);
/* The two byte strings are equal. */
int same_bytes(const uint8_t *a, size_t na, const uint8_t *b, size_t nb);
/* The stream API over strategies, windows, levels and chunkings. */
void streams(ZBox *b, const Input *in);
/* Damaged and foreign input: zlib's errors, the native ones. */
void corrupt(ZBox *b);
/* Traps inside the guest end the call, never the host. */
void containment(ZBox *b);

#endif
