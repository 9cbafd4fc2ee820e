/* wasi_compat.h - the two POSIX calls SQLite's shell (shell.c) uses that
 * wasi-libc leaves out: WASI has no permission bits (chmod) and no
 * absolute host paths (realpath). Force-included (-include) when the
 * shell is built for wasm32-wasi; wasi_compat.c defines them.
 */
#ifndef MOAT_BENCH_WASI_COMPAT_H
#define MOAT_BENCH_WASI_COMPAT_H
#ifdef __wasi__
#include <sys/types.h>

int   chmod(const char *path, mode_t mode);
char *realpath(const char *restrict path, char *restrict resolved);

#endif
#endif
