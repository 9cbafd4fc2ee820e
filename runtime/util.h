/* util.h - helpers shared by every part of Moat: the allocator hook, an
 * arena, error recording. Internal (moatU_ prefix); not a public header.
 */
#ifndef MOAT_UTIL_H
#define MOAT_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "moat.h"

#define MOAT_UNREACHABLE() __builtin_unreachable()
#define MOAT_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* util_alloc.c: all heap memory goes through the hook set with
 * moat_set_allocator, so tests can fail the N-th allocation. */
void *moatU_alloc(size_t size);
void *moatU_realloc(void *p, size_t size);
void *moatU_calloc(size_t n, size_t size);      /* NULL on n*size overflow */
void  moatU_free(void *p);
char *moatU_strdup(const char *s);              /* through the hook */

/* util_arena.c: bump allocator; everything is freed at once. */
typedef struct ArenaBlock ArenaBlock;
typedef struct Arena {
    ArenaBlock *head;
    char       *p, *end;
} Arena;

void  moatU_arena_init(Arena *a);
void  moatU_arena_fini(Arena *a);
void *moatU_arena_alloc(Arena *a, size_t size);  /* 16-aligned, NULL on OOM */
void *moatU_arena_array(Arena *a, size_t n, size_t size); /* zeroed */

/* util_error.c: records the first error only; always returns false so that
 * a failure reads `return moatU_fail(err, off, code, "...")`. */
bool moatU_fail(moat_error *err, uint64_t off, moat_status code,
                const char *fmt, ...) MOAT_PRINTF(4, 5);
bool moatU_failed(const moat_error *err);
/* Copies text into out (n bytes, n > 0), cut to fit, control characters
 * and bytes that are not UTF-8 written as \xNN. */
void moatU_printable(char *out, size_t n, const char *text);

/* util_sha256.c */
void moatU_sha256(const void *data, size_t len, uint8_t out[32]);
/* HMAC-SHA-256 with a 32-byte key (the compile cache's entry tags). */
void moatU_hmac_sha256(const uint8_t key[32], const void *data, size_t len,
                       uint8_t out[32]);
/* SHA-256 of each of MOATU_SHA256_LANES messages, their blocks hashed
 * interleaved (with SHA-NI about as fast as one message of the length of
 * the longest: the cache tag's lanes, cli/cache_tag.c). */
#define MOATU_SHA256_LANES 4
void moatU_sha256_lanes(const uint8_t *const data[MOATU_SHA256_LANES],
                        const size_t len[MOATU_SHA256_LANES],
                        uint8_t out[MOATU_SHA256_LANES][32]);

/* util_cpuid.c: the host's CPUID words (zero where a leaf is missing, and
 * all zero on other architectures), read once per process. */
typedef struct MoatCpuid {
    unsigned l0[4];             /* eax: highest basic leaf; vendor */
    unsigned l1[4], l7[4];      /* leaf 1, leaf 7 subleaf 0 */
    unsigned l71[4];            /* leaf 7 subleaf 1 */
    unsigned e1[4];             /* leaf 0x80000001 */
    uint64_t xcr0;              /* XGETBV(0) when the OS enables it */
} MoatCpuid;
const MoatCpuid *moatU_cpuid(void);

/* util_io.c: reads the whole of path into *out (free with moatU_free),
 * at most limit bytes (MOAT_FILE_LIMIT, or less). A regular file above it
 * is refused before reading, a pipe after limit + 1 bytes (MOAT_ERR_LIMIT,
 * naming the file and the limit); a directory or device is refused
 * (MOAT_ERR_IO). Opening a FIFO waits for a writer, as any reader does. */
bool moatU_read_file(const char *path, uint64_t limit, uint8_t **out,
                     size_t *len, moat_error *err);
/* util_io.c: writes all n bytes (retrying short writes and EINTR). */
bool moatU_write_all(int fd, const uint8_t *p, size_t n);

#endif
