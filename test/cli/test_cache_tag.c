/* test_cache_tag.c - the compile cache's entry tag (cli/cache_tag.c,
 * docs/verify.md "A cache hit"): a tagged object verifies; changing any
 * one byte of it, in any of the four lanes, or of its tag, or cutting it
 * short, does not; another key's tag does not; an entry of format 1 loads
 * as untagged (its trailer cut off, not verified) whatever its tag; an
 * object with no tag is returned whole. Lengths around the lanes' and the
 * blocks' boundaries, 0 included. (Python recomputes the tag in
 * run-launcher-tests.sh: cache-tag.py.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli.h"

static char dir[] = "/tmp/moat-test-tag-XXXXXX";
static int  dfd = -1;

static int
setup(void **state)
{
    (void)state;
    if (!mkdtemp(dir))
        return -1;
    dfd = open(dir, O_RDONLY | O_DIRECTORY);
    return dfd >= 0 ? 0 : -1;
}

static int
teardown(void **state)
{
    (void)state;
    unlinkat(dfd, "verified.key", 0);
    close(dfd);
    rmdir(dir);
    return 0;
}

/* An entry of len pseudo-random object bytes and its trailer. */
static uint8_t *
make_entry(size_t len, uint32_t seed)
{
    uint8_t *e = malloc(len + MOAT_CLI_TAG_LEN);

    assert_non_null(e);
    for (size_t i = 0; i < len; i++) {
        seed = seed * 1103515245u + 12345u;
        e[i] = (uint8_t)(seed >> 16);
    }
    assert_true(moat_cli_cache_tag(dfd, e, len, e + len));
    return e;
}

static bool
verifies(const uint8_t *e, size_t n, size_t want_len)
{
    bool ok;

    assert_int_equal(moat_cli_cache_untag(dfd, e, n, &ok), want_len);
    return ok;
}

static void
every_byte_counts(void **state)
{
    (void)state;
    static const size_t lens[] = { 0,   1,   63,  64,  65,  255, 256,
                                   257, 511, 512, 513, 1000, 4099 };
    for (size_t k = 0; k < sizeof lens / sizeof *lens; k++) {
        size_t   len = lens[k], n = len + MOAT_CLI_TAG_LEN;
        uint8_t *e = make_entry(len, (uint32_t)k);
        assert_true(verifies(e, n, len));
        /* every byte of the object and of the tag (not the magic: a
         * changed magic is an untagged object, checked below) */
        for (size_t i = 0; i < len + 32; i++) {
            e[i] ^= 0x01;
            if (verifies(e, n, len))
                fail_msg("length %zu: byte %zu changed, still verified",
                         len, i);
            e[i] ^= 0x01;
        }
        assert_true(verifies(e, n, len));
        /* one block dropped from the end: the length is hashed */
        if (len >= 64) {
            memmove(e + len - 64, e + len, MOAT_CLI_TAG_LEN);
            assert_false(verifies(e, n - 64, len - 64));
        }
        free(e);
    }
}

static void
other_key_and_formats(void **state)
{
    (void)state;
    size_t   len = 5000, n = len + MOAT_CLI_TAG_LEN;
    uint8_t *e = make_entry(len, 7);
    uint8_t  key[32];
    int      fd = openat(dfd, "verified.key", O_RDONLY);

    assert_true(fd >= 0 && read(fd, key, 32) == 32);
    close(fd);
    /* format 1: the trailer cut off, never verified */
    memcpy(e + len + 32, "MOATTAG1", 8);
    assert_false(verifies(e, n, len));
    /* no magic: an object as it is */
    memcpy(e + len + 32, "MOATTAGX", 8);
    assert_false(verifies(e, n, n));
    memcpy(e + len + 32, "MOATTAG2", 8);
    assert_true(verifies(e, n, len));
    /* another key (a file of another moat's cache): not verified */
    key[0] ^= 1;
    unlinkat(dfd, "verified.key", 0);
    fd = openat(dfd, "verified.key", O_WRONLY | O_CREAT | O_EXCL, 0600);
    assert_true(fd >= 0 && write(fd, key, 32) == 32);
    close(fd);
    assert_false(verifies(e, n, len));
    /* no key at all: not made by an untag, not verified */
    unlinkat(dfd, "verified.key", 0);
    assert_false(verifies(e, n, len));
    assert_int_equal(faccessat(dfd, "verified.key", F_OK, 0), -1);
    free(e);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_byte_counts),
        cmocka_unit_test(other_key_and_formats),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
