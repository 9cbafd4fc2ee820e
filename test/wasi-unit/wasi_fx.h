/* wasi_fx.h - fixture of the WASI unit tests: a guest (wasi.wat, whose
 * exports forward to the WASI function of the same name) compiled once
 * per test program, instantiated against a moat_wasi the test prepares,
 * plus helpers to call it and to read and write its memory.
 */
#ifndef WASI_FX_H
#define WASI_FX_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "moat.h"
#include "moat_wasi.h"

/* WASI values the tests name (spec numbers, written out on purpose: the
 * tests check wasi_impl.h rather than reuse it). */
enum {
    E_SUCCESS = 0, E_AGAIN = 6, E_BADF = 8, E_EXIST = 20, E_FAULT = 21,
    E_FBIG = 22, E_INVAL = 28, E_MFILE = 33, E_NAMETOOLONG = 37,
    E_NOSYS = 52, E_NOTDIR = 54, E_NOTSOCK = 57, E_NOTSUP = 58,
    E_SPIPE = 70, E_NOTCAPABLE = 76
};

typedef struct Fx {
    moat_engine   *e;
    moat_module   *m;
    moat_linker   *l;
    moat_wasi     *w;
    moat_instance *inst;
} Fx;

/* cmocka group setup/teardown: compile wasm file `path` once. */
int  fx_compile(const char *path);
void fx_uncompile(void);
/* The same for the guest WASI_WASM each test program is built with. */
int  fx_group_setup(void **state);
int  fx_group_teardown(void **state);

/* A temporary file holding `text`, open read-write (plus extra open
 * flags), already unlinked: a host descriptor to hand the guest. */
int  fx_temp_file(const char *text, int extra);

/* A fresh moat_wasi in fx->w (configure it, then fx_start). */
void fx_new(Fx *fx);
/* Loads the compiled guest into fx->m (fx->e made by the caller). */
void fx_load(Fx *fx);
/* Defines WASI in a linker and instantiates the compiled guest. */
void fx_start(Fx *fx);
void fx_free(Fx *fx);

/* Calls export `name`; sig has one letter per argument, 'i' (i32) or 'I'
 * (i64), the arguments follow as uint64_t. Asserts the call returned and
 * gives its i32 result (a WASI errno). */
uint32_t fx_call(Fx *fx, const char *name, const char *sig, ...);
/* Same, but returns the status and fills *err (for proc_exit). */
moat_status fx_call_status(Fx *fx, const char *name, uint32_t arg,
                           moat_error *err);

void     fx_write(Fx *fx, uint32_t at, const void *p, size_t n);
void     fx_read(Fx *fx, uint32_t at, void *p, size_t n);
void     fx_put32(Fx *fx, uint32_t at, uint32_t v);
uint32_t fx_get32(Fx *fx, uint32_t at);
uint64_t fx_get64(Fx *fx, uint32_t at);
/* Writes one iovec {buf, len} at `at` (8 bytes). */
void     fx_iovec(Fx *fx, uint32_t at, uint32_t buf, uint32_t len);

/* A fresh empty directory under $TMPDIR (path in buf, n bytes), and its
 * removal with everything in it. */
void fx_tmpdir(char *buf, size_t n);
void fx_rmtree(const char *path);

#endif
