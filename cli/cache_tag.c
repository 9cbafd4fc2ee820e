/* cache_tag.c - what lets a cache hit skip the machine-code checker
 * (docs/verify.md, "Where verification runs"). Every entry this user's
 * moat writes has passed the checker when it was compiled (the runtime
 * verified it as it loaded); the entry then carries a tag, HMAC-SHA-256
 * of its bytes under a key only this user can read (verified.key in the
 * cache directory: 32 random bytes, mode 0600). A hit whose tag matches
 * is an object this user's moat verified, byte for byte: it is loaded
 * trusted, at the cost of hashing it (SHA-NI: well under 1 ms per MB)
 * instead of decoding all of it. An entry with no tag or a wrong one is
 * verified as it loads, like any object. The key guards against entries
 * that did not come from this user's moat (copied in, restored, written
 * by another program); another user cannot write the directory at all
 * (cache.c).
 *
 * Entry layout: OBJECT | tag (32 bytes) | "MOATTAG1".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "util.h"               /* moatU_hmac_sha256 */
#include "verify_iface.h"       /* MOAT_VERIFY_ENTRY: the checker's kind */

#define KEY_NAME "verified.key"
static const char magic[8] = "MOATTAG1";

/* Reads the key: a regular file of ours, 32 bytes, that nobody else can
 * read or write. */
static bool
read_key(int dfd, uint8_t key[32])
{
    struct stat st;
    int fd = openat(dfd, KEY_NAME, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
                                       O_CLOEXEC);
    bool ok = fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
              st.st_uid == geteuid() && !(st.st_mode & 077) &&
              st.st_size == 32 && read(fd, key, 32) == 32;

    if (fd >= 0)
        close(fd);
    return ok;
}

/* The key, made on first use (O_EXCL: of two processes making it at
 * once, one writes it and both read that one). */
static bool
get_key(int dfd, uint8_t key[32], bool may_create)
{
    if (read_key(dfd, key))
        return true;
    if (!may_create)
        return false;
    uint8_t fresh[32];
    if (getrandom(fresh, sizeof fresh, 0) != sizeof fresh)
        return false;
    char tmp[64];
    snprintf(tmp, sizeof tmp, KEY_NAME ".tmp.%ld", (long)getpid());
    int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
                                  O_CLOEXEC, 0600);
    if (fd < 0)
        return false;
    bool ok = fchmod(fd, 0600) == 0 && moatU_write_all(fd, fresh, 32) &&
              fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    /* link, not rename: an existing key (another process's) is kept */
    if (ok && linkat(dfd, tmp, dfd, KEY_NAME, 0) != 0 && errno != EEXIST)
        ok = false;
    unlinkat(dfd, tmp, 0);
    return ok && read_key(dfd, key);
}

static void
tag_of(const uint8_t key[32], const uint8_t *obj, size_t len,
       uint8_t tag[32])
{
    /* the domain: what kind of checker passed it, so that another
     * interface's entries never count as verified by this one */
    static const char domain[] = MOAT_VERIFY_ENTRY;
    uint8_t           inner[32], both[64];

    moatU_hmac_sha256(key, obj, len, inner);
    memcpy(both, inner, 32);
    moatU_sha256(domain, sizeof domain, both + 32);
    moatU_hmac_sha256(key, both, sizeof both, tag);
}

bool
moat_cli_cache_tag(int dfd, const uint8_t *obj, size_t len,
                   uint8_t trailer[MOAT_CLI_TAG_LEN])
{
    uint8_t key[32];

    if (!get_key(dfd, key, true))
        return false;
    tag_of(key, obj, len, trailer);
    memcpy(trailer + 32, magic, sizeof magic);
    return true;
}

size_t
moat_cli_cache_untag(int dfd, const uint8_t *entry, size_t len,
                     bool *is_verified)
{
    uint8_t key[32], tag[32];

    *is_verified = false;
    if (len < MOAT_CLI_TAG_LEN ||
        memcmp(entry + len - sizeof magic, magic, sizeof magic))
        return len;                     /* no tag: an object as it is */
    len -= MOAT_CLI_TAG_LEN;
    if (!get_key(dfd, key, false))
        return len;
    tag_of(key, entry, len, tag);
    unsigned diff = 0;                  /* in constant time */
    for (int i = 0; i < 32; i++)
        diff |= (unsigned)(tag[i] ^ entry[len + (size_t)i]);
    *is_verified = diff == 0;
    return len;
}
