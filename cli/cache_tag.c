/* cache_tag.c - what lets a cache hit skip the machine-code checker
 * (docs/verify.md, "Where verification runs"). Every entry this user's
 * moat writes has passed the checker when it was compiled (the runtime
 * verified it as it loaded); the entry then carries a tag, HMAC-SHA-256
 * of its bytes under a key only this user can read (verified.key in the
 * cache directory: 32 random bytes, mode 0600). A hit whose tag matches
 * is an object this user's moat verified, byte for byte: it is loaded
 * trusted, at the cost of hashing it (SHA-NI, four lanes interleaved:
 * tag_of) instead of decoding all of it. An entry with no tag or a wrong
 * one is verified as it loads, like any object. The key guards against entries
 * that did not come from this user's moat (copied in, restored, written
 * by another program); another user cannot write the directory at all
 * (cache.c).
 *
 * Entry layout: OBJECT | tag (32 bytes) | "MOATTAG2". An entry of format
 * 1 ("MOATTAG1", an older moat's) loads as untagged: the checker runs.
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
static const char magic[8] = "MOATTAG2";
/* format 1 (HMAC of the whole object, one stream): read as untagged */
static const char magic1[8] = "MOATTAG1";

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

/* The tag of format 2: the object in MOATU_SHA256_LANES lanes (contiguous
 * runs of whole 64-byte blocks, the last ones shorter or empty), hashed
 * interleaved, and HMAC over their digests:
 *
 *   HMAC-SHA-256(key, "MOATTAG2" || le64(len) || SHA-256(lane 0) || ...
 *                     || SHA-256(lane 3) || MOAT_VERIFY_ENTRY)
 *
 * Every byte of the object is in exactly one lane; the lengths follow from
 * len, which is hashed. The lanes are hashed without the key: the HMAC
 * binds their digests, SHA-256's collision resistance binds the bytes
 * (a changed object passes only with a forged HMAC or a collision of
 * SHA-256). Four lanes fill the latency of SHA-NI's rounds that one
 * stream leaves idle (docs/verify.md, "Cost"). The domain names the
 * checker interface, so that another interface's entries never count as
 * verified by this one. */
static void
tag_of(const uint8_t key[32], const uint8_t *obj, size_t len,
       uint8_t tag[32])
{
    static const char domain[] = MOAT_VERIFY_ENTRY;
    enum { L = MOATU_SHA256_LANES };
    uint8_t           msg[8 + 8 + 32 * L + sizeof domain - 1];
    const uint8_t    *lane[L];
    size_t            lanelen[L];
    size_t            chunk = (len + 64 * L - 1) / (64 * L) * 64, at = 0;

    for (int i = 0; i < L; i++) {
        lane[i] = obj + at;
        lanelen[i] = len - at < chunk ? len - at : chunk;
        at += lanelen[i];
    }
    memcpy(msg, magic, 8);
    for (int i = 0; i < 8; i++)
        msg[8 + i] = (uint8_t)((uint64_t)len >> (8 * i));
    moatU_sha256_lanes(lane, lanelen, (uint8_t (*)[32])(msg + 16));
    memcpy(msg + 16 + 32 * L, domain, sizeof domain - 1);
    moatU_hmac_sha256(key, msg, sizeof msg, tag);
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
    if (len < MOAT_CLI_TAG_LEN)
        return len;                     /* no tag: an object as it is */
    if (!memcmp(entry + len - sizeof magic, magic1, sizeof magic1))
        return len - MOAT_CLI_TAG_LEN;  /* an older moat's: verified */
    if (memcmp(entry + len - sizeof magic, magic, sizeof magic))
        return len;
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
