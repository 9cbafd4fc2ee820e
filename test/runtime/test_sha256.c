/* test_sha256.c - SHA-256 (runtime/util_sha256.c): the standard's
 * examples, HMAC with a 32-byte key (what the cache uses) against the
 * value Python's hmac computes,
 * and the interleaved lanes of the cache tag against one message at a
 * time, at every length where the padding or the lanes' common blocks
 * change (SHA-NI's interleaved path is taken only where the CPU has it:
 * the test says which it ran).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util.h"

static void
hex(const uint8_t d[32], char out[65])
{
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void
known_answers(void **state)
{
    (void)state;
    uint8_t d[32];
    char    h[65];

    moatU_sha256("", 0, d);
    hex(d, h);
    assert_string_equal(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934c"
                           "a495991b7852b855");
    moatU_sha256("abc", 3, d);
    hex(d, h);
    assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9c"
                           "b410ff61f20015ad");
    static const char two[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmn"
                              "lmnomnopnopq";
    moatU_sha256(two, sizeof two - 1, d);
    hex(d, h);
    assert_string_equal(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167"
                           "f6ecedd419db06c1");
}

/* key 0x00..0x1f, message "moat": python3 -c 'import hmac;
 * print(hmac.new(bytes(range(32)), b"moat", "sha256").hexdigest())' */
#define HMAC_MOAT "2fd66e88b3b7a38bf472f381ab20d9c1af66c352ef0a4f15a7073f6" \
                  "8339f19c3"
static void
hmac_answer(void **state)
{
    (void)state;
    uint8_t key[32], d[32];
    char    h[65];

    for (int i = 0; i < 32; i++)
        key[i] = (uint8_t)i;
    moatU_hmac_sha256(key, "moat", 4, d);
    hex(d, h);
    assert_string_equal(h, HMAC_MOAT);
}

/* Four lanes of lengths a, b, c, d from one buffer of pseudo-random
 * bytes, each against moatU_sha256 of the same bytes. */
static void
check_lanes(const uint8_t *buf, const size_t len[4])
{
    const uint8_t *p[4];
    uint8_t        got[4][32], want[32];
    size_t         at = 0;

    for (int l = 0; l < 4; l++) {
        p[l] = buf + at;
        at += len[l];
    }
    moatU_sha256_lanes(p, len, got);
    for (int l = 0; l < 4; l++) {
        moatU_sha256(p[l], len[l], want);
        if (memcmp(got[l], want, 32))
            fail_msg("lane %d of lengths %zu %zu %zu %zu differs", l,
                     len[0], len[1], len[2], len[3]);
    }
}

static void
lanes_match_single(void **state)
{
    (void)state;
    static const size_t lens[] = { 0,   1,   55,  56,  63,  64,  65,
                                   119, 120, 127, 128, 129, 1000, 4096,
                                   65537 };
    enum { N = sizeof lens / sizeof lens[0] };
    uint8_t *buf = malloc(4 * 65537);
    uint32_t x = 12345;

    assert_non_null(buf);
    for (size_t i = 0; i < 4 * 65537; i++) {
        x = x * 1103515245u + 12345u;
        buf[i] = (uint8_t)(x >> 16);
    }
    const MoatCpuid *c = moatU_cpuid();
    printf("lanes: %s\n", (c->l7[1] >> 29 & 1) ? "SHA-NI, interleaved"
                                               : "portable, no SHA-NI");
    /* equal lengths (the cache's lanes), and every mix of four */
    for (size_t i = 0; i < N; i++)
        check_lanes(buf, (size_t[4]){ lens[i], lens[i], lens[i], lens[i] });
    for (size_t i = 0; i < N; i++)
        for (size_t j = 0; j < N; j++)
            check_lanes(buf, (size_t[4]){ lens[i], lens[j], lens[(i + j) % N],
                                          lens[(i * 7 + j) % N] });
    free(buf);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(known_answers),
        cmocka_unit_test(hmac_answer),
        cmocka_unit_test(lanes_match_single),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
