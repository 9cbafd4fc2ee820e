/* secret.c - plants the secret s=TEXT (which starts with the marker of
 * wagi.h) in a large static buffer, in heap memory and on the stack, and
 * answers "OK". With check=1 it then scans its own memory the way scan.c
 * does and answers "FOUND" or "NOT FOUND": proof that the scan works.
 */
#include "wagi.h"

enum { STATIC_BYTES = 1 << 20, HEAP_BYTES = 4 << 20 };

static char big_static[STATIC_BYTES];

/* copies of s every 4 KiB of [p, p+n), through a volatile pointer so the
 * stores stay */
static void
plant(volatile char *p, size_t n, const char *s)
{
    size_t len = strlen(s);

    for (size_t o = 0; o + len <= n; o += 4096)
        for (size_t i = 0; i < len; i++)
            p[o + i] = s[i];
}

int
main(void)
{
    const char *s = query_get("s");
    char        stack_copy[256];

    if (!s || strlen(s) >= sizeof stack_copy) {
        printf("Status: 400\nContent-Type: text/plain\n\nwant s=SECRET\n");
        return 0;
    }
    plant(big_static, sizeof big_static, s);
    char *heap = malloc(HEAP_BYTES);
    if (!heap) {
        printf("Status: 500\nContent-Type: text/plain\n\nno heap\n");
        return 0;
    }
    plant(heap, HEAP_BYTES, s);
    plant(stack_copy, sizeof stack_copy, s);
    if (query_long("check", 0)) {
        size_t scanned;
        long   at = scan_memory(&scanned);
        printf("Content-Type: text/plain\n\n%s\n",
               at >= 0 ? "FOUND" : "NOT FOUND");
        return 0;
    }
    printf("Content-Type: text/plain\n\nOK\n");
    return 0;
}
