/* corpus.h - inputs for the zlib tests and bench (corpus.c), generated
 * from a fixed seed: the same bytes on every run and machine. */
#ifndef CORPUS_H
#define CORPUS_H

#include <stddef.h>
#include <stdint.h>

typedef struct Input {
    const char *name;
    uint8_t    *p;          /* owned by the corpus */
    size_t      len;
} Input;

typedef enum CorpusKind {
    CORPUS_TEXT,            /* English-like words, lines, punctuation */
    CORPUS_BINARY,          /* records of slowly changing integers */
    CORPUS_RANDOM,          /* incompressible */
    CORPUS_ZEROS,
} CorpusKind;

/* len bytes of the given kind (malloc'ed, the caller's); NULL if out of
 * memory. seed varies the content. */
uint8_t *corpus_make(CorpusKind kind, size_t len, uint32_t seed);
/* The test corpus: empty, one byte, tiny, text, binary, random, 1 MiB+
 * of zeros and 1.5 MiB of text. Made on the first call; *n entries. */
const Input *corpus_get(size_t *n);

#endif
