/* corpus.c - deterministic test and bench inputs (corpus.h): a xorshift
 * generator, no files, so every run compresses the same bytes.
 */
#include "corpus.h"

#include <stdlib.h>
#include <string.h>

static uint32_t
next(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static void
text(uint8_t *p, size_t len, uint32_t *s)
{
    static const char *const words[] = {
        "the", "of", "and", "a", "to", "in", "is", "you", "that", "it",
        "he", "was", "for", "on", "are", "as", "with", "his", "they", "at",
        "be", "this", "have", "from", "or", "one", "had", "by", "word",
        "but", "not", "what", "all", "were", "we", "when", "your", "can",
        "said", "there", "use", "an", "each", "which", "she", "do", "how",
        "their", "if", "will", "up", "other", "about", "out", "many",
        "then", "them", "these", "so", "some", "her", "would", "make",
        "compression", "sandbox", "stream", "window", "deflate", "buffer",
    };
    size_t n = sizeof words / sizeof words[0], at = 0, col = 0;

    while (at < len) {
        uint32_t    r = next(s);
        const char *w = words[(r >> 8) % n];
        size_t      wl = strlen(w);

        for (size_t i = 0; i < wl && at < len; i++, col++)
            p[at++] = (uint8_t)w[i];
        if (at < len && r % 11 == 0)
            p[at++] = ',';
        if (at < len)
            p[at++] = col > 64 ? '\n' : ' ';
        if (col > 64)
            col = 0;
    }
}

static void
binary(uint8_t *p, size_t len, uint32_t *s)
{
    uint32_t id = 1000, t = 0, v = 0;

    for (size_t at = 0; at < len; at++) {
        if (at % 16 == 0) {
            id++;
            t += 1 + next(s) % 4;
            v += next(s) % 64 - 32;
        }
        uint32_t f = at % 16 < 4 ? id : at % 16 < 8 ? t : at % 16 < 12 ? v
                                                                       : 0;
        p[at] = (uint8_t)(f >> (8 * (at % 4)));
    }
}

uint8_t *
corpus_make(CorpusKind kind, size_t len, uint32_t seed)
{
    uint8_t *p = malloc(len ? len : 1);
    uint32_t s = seed ? seed : 0x2545f491;

    if (!p)
        return NULL;
    switch (kind) {
    case CORPUS_TEXT:
        text(p, len, &s);
        break;
    case CORPUS_BINARY:
        binary(p, len, &s);
        break;
    case CORPUS_RANDOM:
        for (size_t i = 0; i < len; i++)
            p[i] = (uint8_t)(next(&s) >> 11);
        break;
    case CORPUS_ZEROS:
        memset(p, 0, len);
        break;
    }
    return p;
}

const Input *
corpus_get(size_t *n)
{
    static Input in[] = {
        { "empty", NULL, 0 },        { "one-byte", NULL, 1 },
        { "hello", NULL, 14 },       { "text-100K", NULL, 100000 },
        { "binary-256K", NULL, 262144 },
        { "random-64K", NULL, 65536 },
        { "zeros-1M+1", NULL, 1048577 },
        { "text-1.5M", NULL, 1572864 },
    };
    static const CorpusKind kind[] = {
        CORPUS_TEXT, CORPUS_RANDOM, CORPUS_TEXT, CORPUS_TEXT,
        CORPUS_BINARY, CORPUS_RANDOM, CORPUS_ZEROS, CORPUS_TEXT,
    };

    *n = sizeof in / sizeof in[0];
    if (in[0].p)
        return in;
    for (size_t i = 0; i < *n; i++) {
        in[i].p = corpus_make(kind[i], in[i].len, (uint32_t)i + 1);
        if (!in[i].p)
            abort();                    /* a test host: nothing to save */
    }
    memcpy(in[2].p, "hello, hello!", 14);
    return in;
}
