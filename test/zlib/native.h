/* native.h - native zlib's stream API driven exactly as zbox.c drives the
 * sandboxed one (native.c): the same chunking, the same limits, the same
 * statuses, so that the two can be compared byte for byte. */
#ifndef NATIVE_H
#define NATIVE_H

#include <stddef.h>
#include <stdint.h>

#include "zbox.h"

/* As zbox_deflate. */
int native_deflate(const ZParams *p, const uint8_t *src, size_t len,
                   size_t chunk, uint8_t **out, size_t *out_len);
/* As zbox_inflate; zlib's message for an error into msg (n bytes). */
int native_inflate(int window_bits, const uint8_t *src, size_t len,
                   size_t chunk, size_t max_out, uint8_t **out,
                   size_t *out_len, char *msg, size_t n);

#endif
