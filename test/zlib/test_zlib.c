/* test_zlib.c - zlib's own tests and test vectors through the sandbox.
 * Runs zlib's test/example.c, test/minigzip.c and test/infcover.c inside
 * the plugin, then checks the sandboxed zlib against the native one
 * (Debian's zlib1g, linked into this same host): compress2 output
 * byte-identical at every level, round trips both ways, the stream API
 * over strategies, window sizes and chunkings, checksums, corrupt and
 * truncated input (zlib's error, never a crash), and a trap inside the
 * guest leaving the host and the box usable. Prints `N passed, N
 * failed`; exit 1 on a failure.
 * Usage: test_zlib TMPDIR (the guest's /work: example.c's and minigzip's
 * files).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "test_zlib.h"

static unsigned npassed, nfailed;

void
check(int ok, const char *what, const char *name)
{
    if (ok) {
        npassed++;
    } else {
        nfailed++;
        printf("FAIL: %s: %s\n", name, what);
    }
}

int
same_bytes(const uint8_t *a, size_t na, const uint8_t *b, size_t nb)
{
    return na == nb && (na == 0 || memcmp(a, b, na) == 0);
}

/* zlib's example.c and infcover.c, unchanged, inside the sandbox. */
static void
own_tests(ZBox *b)
{
    int         code = -1;
    size_t      n;
    const char *out;

    check(zbox_example(b, "/work/foo.gz", &code) == 0 && code == 0,
          "example.c exits with 0", "example");
    out = zbox_output(b, 1, &n);
    check(out && strstr(out, "uncompress(): hello, hello!") &&
              strstr(out, "inflate with dictionary: hello, hello!"),
          "example.c printed its checks", "example");
    if (code != 0 && out)
        fputs(out, stdout);
    check(zbox_infcover(b) == 0, "infcover.c returns 0", "infcover");
    out = zbox_output(b, 2, &n);
    check(out && strstr(out, "inflate_table not enough errors") &&
              !strstr(out, "**"),
          "infcover.c ran to the end, no leak or error line", "infcover");
}

/* The whole file at path into *out (malloc'ed); its length, or -1. */
static long
slurp(const char *path, uint8_t **out, int gz)
{
    size_t   cap = 1 << 16, n = 0;
    uint8_t *p = malloc(cap);
    gzFile   z = gz ? gzopen(path, "rb") : NULL;
    FILE    *f = gz ? NULL : fopen(path, "rb");
    int      got = 1;

    while (p && (z || f) && got > 0) {
        if (n == cap && !(p = realloc(p, cap *= 2)))
            break;
        got = z ? gzread(z, p + n, (unsigned)(cap - n))
                : (int)fread(p + n, 1, cap - n, f);
        n += got > 0 ? (size_t)got : 0;
    }
    if (z)
        gzclose(z);
    if (f)
        fclose(f);
    if (!p || got < 0 || (!z && !f)) {
        free(p);
        return -1;
    }
    *out = p;
    return (long)n;
}

/* zlib's minigzip.c in the sandbox on a file of the preopened directory:
 * its .gz must read back natively, and a native .gz must come back. */
static void
minigzip(ZBox *b, const char *dir, const Input *in)
{
    char     path[4096], gz[4100];
    FILE    *f;
    gzFile   z;
    uint8_t *back = NULL;
    long     n;
    int      code = -1;

    snprintf(path, sizeof path, "%s/data.txt", dir);
    snprintf(gz, sizeof gz, "%s.gz", path);
    if (!(f = fopen(path, "wb")) || fwrite(in->p, 1, in->len, f) != in->len)
        abort();                        /* the test's own file: no test */
    fclose(f);
    check(zbox_minigzip(b, "-9", "/work/data.txt", &code) == 0 && code == 0,
          "minigzip -9 FILE exits with 0", "minigzip");
    check(slurp(path, &back, 0) < 0, "minigzip removed FILE", "minigzip");
    n = slurp(gz, &back, 1);
    check(n >= 0 && same_bytes(back, (size_t)n, in->p, in->len),
          "native gzread of its FILE.gz gives FILE back", "minigzip");
    free(back);
    /* now a .gz written by native zlib, for minigzip -d */
    if (!(z = gzopen(gz, "wb6")) ||
        gzwrite(z, in->p, (unsigned)in->len) != (int)in->len ||
        gzclose(z) != Z_OK)
        abort();
    code = -1;
    check(zbox_minigzip(b, "-d", "/work/data.txt.gz", &code) == 0 &&
              code == 0,
          "minigzip -d FILE.gz exits with 0", "minigzip");
    n = slurp(path, &back, 0);
    check(n >= 0 && same_bytes(back, (size_t)n, in->p, in->len),
          "minigzip -d of a native .gz gives FILE back", "minigzip");
    free(back);
    remove(path);
    remove(gz);
}

/* One input at one level: the sandbox against native zlib. */
static void
one_shot(ZBox *b, const Input *in, int level)
{
    uLongf   nlen = compressBound((uLong)in->len);
    size_t   blen = nlen, bound = 0, back_len = in->len;
    uint8_t *nat = malloc(nlen), *box = malloc(nlen);
    uint8_t *back = malloc(in->len + 1);
    char     name[64];

    snprintf(name, sizeof name, "%s level %d", in->name, level);
    check(zbox_compress_bound(b, in->len, &bound) == 0 && bound == nlen,
          "compressBound equal", name);
    check(compress2(nat, &nlen, in->p, (uLong)in->len, level) == Z_OK,
          "native compress2", name);
    check(zbox_compress2(b, box, &blen, in->p, in->len, level) == Z_OK,
          "sandbox compress2 Z_OK", name);
    check(same_bytes(nat, nlen, box, blen), "byte-identical to native", name);
    check(zbox_uncompress(b, back, &back_len, box, blen) == Z_OK &&
              same_bytes(back, back_len, in->p, in->len),
          "sandbox uncompress gives the input back", name);
    /* one byte too few room: zlib's status, the native one */
    if (in->len > 0) {
        uLongf nback = (uLongf)in->len - 1;
        int    want = uncompress(back, &nback, nat, nlen);

        back_len = in->len - 1;
        check(zbox_uncompress(b, back, &back_len, nat, nlen) == want,
              "uncompress into one byte too few: native's status", name);
    }
    free(back);
    free(box);
    free(nat);
}

static void
checksums(ZBox *b, const Input *in)
{
    uint32_t c = 0, a = 1, c2 = 0x12345678, a2 = 0x9abcdef0;
    uLong    half = (uLong)in->len / 2;

    check(zbox_crc32(b, &c, in->p, in->len) == 0 &&
              c == crc32(0, in->p, (uInt)in->len),
          "crc32 equal", in->name);
    check(zbox_adler32(b, &a, in->p, in->len) == 0 &&
              a == adler32(1, in->p, (uInt)in->len),
          "adler32 equal", in->name);
    /* continued from an arbitrary value, as a caller chaining buffers */
    check(zbox_crc32(b, &c2, in->p + half, in->len - half) == 0 &&
              c2 == crc32(0x12345678, in->p + half,
                          (uInt)(in->len - half)),
          "crc32 continued equal", in->name);
    check(zbox_adler32(b, &a2, in->p + half, in->len - half) == 0 &&
              a2 == adler32(0x9abcdef0, in->p + half,
                            (uInt)(in->len - half)),
          "adler32 continued equal", in->name);
}

int
main(int argc, char **argv)
{
    char         ver[32];
    ZBox        *b;
    const Input *corpus;
    size_t       ncorpus;

    if (argc != 2)
        return fprintf(stderr, "usage: test_zlib TMPDIR\n"), 2;
    if (!(b = zbox_open(argv[1], UINT64_C(1) << 30)))
        return 1;
    check(zbox_version(b, ver, sizeof ver) == 0 &&
              strcmp(ver, zlibVersion()) == 0,
          "sandbox zlibVersion() equals the native one", "version");
    printf("zlib %s in the sandbox, native %s\n", ver, zlibVersion());
    own_tests(b);
    corpus = corpus_get(&ncorpus);
    minigzip(b, argv[1], &corpus[3]);
    for (size_t i = 0; i < ncorpus; i++) {
        static const int levels[] = { Z_DEFAULT_COMPRESSION, 0, 1, 6, 9 };

        for (size_t l = 0; l < sizeof levels / sizeof levels[0]; l++)
            one_shot(b, &corpus[i], levels[l]);
        checksums(b, &corpus[i]);
        streams(b, &corpus[i]);
    }
    corrupt(b);
    containment(b);
    zbox_close(b);
    printf("%u passed, %u failed\n", npassed, nfailed);
    return nfailed ? 1 : 0;
}
