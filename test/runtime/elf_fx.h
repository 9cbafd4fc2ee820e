/* elf_fx.h - helpers shared by the ELF loader's tests (elf_fx.c). */
#ifndef MOAT_TEST_ELF_FX_H
#define MOAT_TEST_ELF_FX_H

#include <stdint.h>

#include "elfload.h"

#ifndef FX_DIR
#error "FX_DIR: the build directory holding the fixture objects"
#endif

/* A file's bytes (malloc'ed; free p). */
typedef struct Blob {
    uint8_t *p;
    size_t   len;
} Blob;

typedef void (*AnyFn)(void);

Blob  fx_read(const char *name);              /* FX_DIR/name */
Blob  fx_copy_blob(const Blob *b);
void *fx_fn_addr(AnyFn f);

/* The fixtures' resolver: memcpy, memmove, memset, sqrt, fmod, and
 * moatR_trap as a fake that stores its code in fx_trapped. */
extern uint32_t fx_trapped;
void *fx_resolve(const char *name);

/* Loads b or fails the test with the loader's message. */
ElfImage *fx_load_ok(const Blob *b, ElfResolveFn resolve);
/* Expects MOAT_ERR_CONTRACT, a message starting with prefix and, unless
 * off is UINT64_MAX, that offset. */
void      fx_load_fails(const Blob *b, const char *prefix, uint64_t off);

/* Section header i and its file offset (*at); the index of the section
 * called name; the file offset of the symbol called name. Fail the test
 * when there is none. */
ElfShdr  fx_shdr(const Blob *b, uint32_t i, uint64_t *at);
uint32_t fx_find_section(const Blob *b, const char *name, ElfShdr *out,
                         uint64_t *at);
uint64_t fx_find_symbol(const Blob *b, const char *name);

#endif
