/* scan.c - takes as much memory as secret.c (same static buffer, same
 * heap allocation, untouched) and scans its whole linear memory, from
 * address 0 to memory.size * 64 KiB, for the secret marker of wagi.h;
 * answers "FOUND at ADDR" or "NOT FOUND", then "scanned N". A fresh
 * sandbox must never find what another request planted.
 */
#include "wagi.h"

enum { STATIC_BYTES = 1 << 20, HEAP_BYTES = 4 << 20 };

static char big_static[STATIC_BYTES];

int
main(void)
{
    size_t scanned;
    char  *heap = malloc(HEAP_BYTES);

    /* one volatile store a page keeps the buffers (and the memory they
     * take) from being optimised away */
    for (size_t o = 0; o < STATIC_BYTES; o += 4096)
        ((volatile char *)big_static)[o] = 0;
    for (size_t o = 0; heap && o < HEAP_BYTES; o += 4096)
        ((volatile char *)heap)[o] = 0;
    long at = scan_memory(&scanned);

    printf("Content-Type: text/plain\n\n");
    if (at >= 0)
        printf("FOUND at %ld\n", at);
    else
        printf("NOT FOUND\n");
    /* use both buffers so neither is dropped */
    printf("scanned %zu static %d heap %d\n", scanned, big_static[7],
           heap ? heap[7] : -1);
    return 0;
}
