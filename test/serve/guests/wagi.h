/* wagi.h - helpers shared by the WAGI test handlers of test/serve: the
 * query string's NAME=VALUE parameters and a scan of the whole linear
 * memory for a byte pattern. Handlers read their request from the
 * environment and stdin and write CGI headers, a blank line and the body
 * to stdout (docs/serve.md).
 */
#ifndef MOAT_TEST_WAGI_H
#define MOAT_TEST_WAGI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline int
hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The %-decoded value of query parameter NAME ('+' is a space), in a
 * static buffer; NULL when absent. */
static inline const char *
query_get(const char *name)
{
    static char value[4096];
    const char *q = getenv("QUERY_STRING");
    size_t      n = strlen(name);

    while (q && *q) {
        const char *end = strchr(q, '&');
        if (!end)
            end = q + strlen(q);
        if ((size_t)(end - q) > n && !strncmp(q, name, n) && q[n] == '=') {
            size_t o = 0;
            for (const char *p = q + n + 1; p < end && o + 1 < sizeof value;
                 p++) {
                if (*p == '%' && p + 2 < end + 1 && hexval(p[1]) >= 0 &&
                    hexval(p[2]) >= 0) {
                    value[o++] = (char)(hexval(p[1]) * 16 + hexval(p[2]));
                    p += 2;
                } else {
                    value[o++] = *p == '+' ? ' ' : *p;
                }
            }
            value[o] = 0;
            return value;
        }
        q = *end ? end + 1 : end;
    }
    return NULL;
}

static inline long
query_long(const char *name, long dflt)
{
    const char *v = query_get(name);
    return v ? strtol(v, NULL, 10) : dflt;
}

/* The marker every planted secret starts with, stored XOR-ed with 0x5a
 * so that the handler's own data segment never holds it in the clear;
 * the scan compares without decoding it into memory. "MOATSECRET-". */
static const unsigned char secret_marker_x[] = {
    'M' ^ 0x5a, 'O' ^ 0x5a, 'A' ^ 0x5a, 'T' ^ 0x5a, 'S' ^ 0x5a, 'E' ^ 0x5a,
    'C' ^ 0x5a, 'R' ^ 0x5a, 'E' ^ 0x5a, 'T' ^ 0x5a, '-' ^ 0x5a,
};

/* The first address in [0, memory size) where the marker starts, or -1;
 * *scanned gets the bytes looked at. Reads through a volatile pointer so
 * the whole memory is really read, address 0 included. */
static inline long
scan_memory(size_t *scanned)
{
    size_t                  size = __builtin_wasm_memory_size(0) * 65536;
    const size_t            m = sizeof secret_marker_x;
    volatile unsigned char *mem = (volatile unsigned char *)(uintptr_t)0;

    *scanned = size;
    for (size_t i = 0; i + m <= size; i++) {
        size_t j = 0;
        while (j < m && (mem[i + j] ^ 0x5a) == secret_marker_x[j])
            j++;
        if (j == m)
            return (long)i;
    }
    return -1;
}

#endif
