/* mutate_wat.c - the text front-end must end on any input with a module
 * or an error, never a crash, a leak or a hang (run under ASan/UBSan in
 * build-asan/). Random byte mutations of valid .wat files (seeded, so a
 * failure reproduces): replaced, inserted and deleted bytes, biased to
 * the text format's own characters. Every module that translates is also
 * given to the validator. A watchdog alarm fails a hang.
 *   mutate_wat SEED ROUNDS FILE.wat...
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "moat_compile.h"
#include "util.h"

static uint64_t rng;

static uint32_t
next(uint32_t bound)
{
    rng ^= rng << 13;           /* xorshift64 */
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % bound);
}

static const char alphabet[] = "()\"\\;$_.-+0123456789abcdefxnpi=@ \n\t\x7f"
                               "\xff\xc3";

/* One mutant of src (n bytes) into dst (room for n + 16). */
static size_t
mutate(const uint8_t *src, size_t n, uint8_t *dst)
{
    size_t m = n;

    memcpy(dst, src, n);
    for (uint32_t k = 1 + next(4); k > 0 && m > 0; k--) {
        size_t   at = next((uint32_t)m);
        uint8_t  c = next(4) ? (uint8_t)alphabet[next(sizeof alphabet - 1)]
                             : (uint8_t)next(256);
        switch (next(3)) {
        case 0:
            dst[at] = c;
            break;
        case 1:
            if (m < n + 16) {
                memmove(dst + at + 1, dst + at, m - at);
                dst[at] = c;
                m++;
            }
            break;
        default: {
            size_t len = 1 + next(8);
            if (len > m - at)
                len = m - at;
            memmove(dst + at, dst + at + len, m - at - len);
            m -= len;
        }
        }
    }
    return m;
}

int
main(int argc, char **argv)
{
    unsigned long ok = 0, valid = 0, rejected = 0;

    if (argc < 4) {
        fprintf(stderr, "usage: mutate_wat SEED ROUNDS FILE.wat...\n");
        return 2;
    }
    rng = strtoull(argv[1], NULL, 10) | 1;
    unsigned long rounds = strtoul(argv[2], NULL, 10);
    alarm(600);                 /* a hang fails by SIGALRM */
    for (int i = 3; i < argc; i++) {
        uint8_t   *src, *dst;
        size_t     n;
        moat_error err = { 0 };
        if (!moatU_read_file(argv[i], MOAT_FILE_LIMIT, &src, &n, &err)) {
            fprintf(stderr, "%s: %s\n", argv[i], err.msg);
            return 1;
        }
        dst = malloc(n + 16);
        for (unsigned long r = 0; r < rounds; r++) {
            size_t   m = mutate(src, n, dst);
            uint8_t *bin = NULL;
            size_t   len;
            err = (moat_error){ 0 };
            if (moat_wasm_from_wat((const char *)dst, m, &bin, &len, &err) !=
                MOAT_OK) {
                rejected++;
                if (err.code != MOAT_ERR_MALFORMED || !err.msg[0]) {
                    fprintf(stderr, "%s round %lu: status %d, \"%s\"\n",
                            argv[i], r, err.code, err.msg);
                    return 1;
                }
                continue;
            }
            ok++;
            err = (moat_error){ 0 };
            if (moat_wasm_validate(bin, len, &err) == MOAT_OK) {
                valid++;
            } else {
                uint32_t line, col;     /* the text position of the error */
                if (moat_wasm_wat_position((const char *)dst, m, err.offset,
                                           &line, &col) != MOAT_OK) {
                    fprintf(stderr, "%s round %lu: no position\n", argv[i],
                            r);
                    return 1;
                }
            }
            moat_free(bin);
        }
        free(dst);
        moatU_free(src);
    }
    printf("%lu mutants: %lu translated (%lu valid), %lu rejected with an "
           "error\n", ok + rejected, ok, valid, rejected);
    return 0;
}
