/* guest_fx.h - for cmocka tests that run a guest: compile a .wasm file
 * (built from .wat at build time) with the compiler library. */
#ifndef GUEST_FX_H
#define GUEST_FX_H

#include <stddef.h>
#include <stdint.h>

/* The whole file at path (malloc'd; *len its size). Fails the running
 * test when it cannot be opened or read whole, or is empty. */
uint8_t *moatT_read_file(const char *path, size_t *len);
/* The object compiled at opt_level from the wasm file at path; *len its
 * size. Fails the running test when the file cannot be read whole or does
 * not compile. Free with moat_free. */
uint8_t *moatT_compile_file(const char *path, int opt_level, size_t *len);
/* The same, with interruption checks compiled in when is_interruptible. */
uint8_t *moatT_compile_file_with(const char *path, int opt_level,
                                 int is_interruptible, size_t *len);

#endif
