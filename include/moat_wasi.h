/* moat_wasi.h - WASI preview 1 (wasi_snapshot_preview1) for libmoat.
 *
 * A moat_wasi is the system a guest sees: its arguments, environment,
 * standard streams and preopened directories, and the table of file
 * descriptors it opens. Capabilities only: the guest reaches the host's
 * file system through the preopened directories and nothing else; `..`,
 * absolute paths and symbolic links never lead out of them.
 *
 * One moat_wasi serves one instance at a time (its descriptor table is the
 * guest's). Same ownership rules as moat.h: strings and arrays are copied.
 *
 *     moat_wasi *w;
 *     moat_wasi_new(&w, &err);
 *     moat_wasi_set_args(w, argc, argv, &err);
 *     moat_wasi_preopen(w, "/srv/data", "/data", &err);
 *     moat_wasi_define(linker, w, &err);      // every preview 1 import
 *     moat_instance_new(linker, module, &inst, &err);
 *     st = moat_instance_call(inst, "_start", NULL, 0, NULL, 0, &err);
 *     // st == MOAT_ERR_EXIT: err.exit_code is the guest's exit status
 */
#ifndef MOAT_WASI_H
#define MOAT_WASI_H

#include "moat.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct moat_wasi moat_wasi;

/* A fresh system: no arguments, empty environment, stdin/stdout/stderr are
 * the process's descriptors 0, 1, 2, no preopened directory. *out is the
 * caller's (moat_wasi_free), and must outlive every instance linked with
 * it. */
MOAT_API moat_status moat_wasi_new(moat_wasi **out, moat_error *err);
MOAT_API void moat_wasi_free(moat_wasi *w);               /* NULL: no-op */

/* argv[0] is the program name the guest sees. Replaces earlier args. */
MOAT_API moat_status moat_wasi_set_args(moat_wasi *w, int argc,
                                        const char *const *argv,
                                        moat_error *err);
/* Adds one "NAME=VALUE" to the environment. */
MOAT_API moat_status moat_wasi_add_env(moat_wasi *w, const char *name_value,
                                       moat_error *err);
/* Preopens host directory host_path as guest_path (the next descriptor,
 * from 3 on). The directory is opened now: MOAT_ERR_IO when it cannot be. */
MOAT_API moat_status moat_wasi_preopen(moat_wasi *w, const char *host_path,
                                       const char *guest_path,
                                       moat_error *err);
/* Guest descriptor 0, 1 or 2 uses host descriptor host_fd (not owned, not
 * closed by Moat; -1: the guest's descriptor is closed). Its WASI filetype
 * comes from fstat; a terminal has no seek/tell rights (that is what makes
 * the guest's isatty() true). Its open file description stays the host's:
 * the guest's APPEND and NONBLOCK are emulated, never set on it. */
MOAT_API moat_status moat_wasi_set_stdio(moat_wasi *w, int guest_fd,
                                         int host_fd, moat_error *err);
/* Guest descriptor 1 or 2 writes into a growing buffer instead (each call
 * starts it empty again, keeping its allocation); moat_wasi_captured
 * returns what was written so far (borrowed, valid until the next write or
 * moat_wasi_free; a NUL follows the len bytes, "" when nothing was
 * written, NULL for another descriptor) and its length. A capture keeps
 * at most MOAT_WASI_CAPTURE_MAX bytes: a write that does not fit is cut
 * there, the next one fails with EFBIG. */
#define MOAT_WASI_CAPTURE_MAX ((size_t)64 << 20)
MOAT_API moat_status moat_wasi_capture(moat_wasi *w, int guest_fd,
                                       moat_error *err);
MOAT_API const char *moat_wasi_captured(const moat_wasi *w, int guest_fd,
                                        size_t *len);

/* Streamed stdio, for servers that run many guests on few threads
 * (docs/wasi.md "Streamed stdio"): guest descriptor 0 reads from, 1 and 2
 * write to, callbacks of the host; a guest that would block waits through
 * `wait`, which may yield the call (moat_caller_yield) so that the thread
 * can run other instances. Moat holds no allocation across a wait, so the
 * embedder may free or reset an instance suspended there. */
enum { MOAT_WASI_WAIT_READ = 1, MOAT_WASI_WAIT_WRITE = 2 };
typedef struct moat_wasi_stream {
    void *data;
    /* Up to len bytes of input into buf: the count (> 0), 0 at the end of
     * the input, -1 when nothing is there yet. */
    long (*read)(void *data, void *buf, size_t len);
    /* Takes up to len bytes the guest wrote to fd (1 or 2): the count
     * (> 0), 0 when there is no room now, -1 when the output is closed. */
    long (*write)(void *data, int fd, const void *buf, size_t len);
    /* What a read or write would find now, without doing it: for fd 0 the
     * bytes ready (> 0), 0 at end of input, -1 nothing yet; for 1 and 2
     * the room (> 0), 0 none now, -1 closed. */
    long (*ready)(void *data, int fd);
    /* The guest must wait until fd 0 may be readable (what has
     * MOAT_WASI_WAIT_READ), fd 1/2 writable (MOAT_WASI_WAIT_WRITE), or
     * CLOCK_MONOTONIC reaches deadline_ns (UINT64_MAX: no deadline); it may
     * return early (Moat looks again and waits again if need be). Called
     * inside a WASI host function with its caller: may
     * moat_caller_yield(c, ...). what == 0 with deadline now: a plain
     * yield (sched_yield). */
    void (*wait)(void *data, moat_caller *c, unsigned what,
                 uint64_t deadline_ns);
} moat_wasi_stream;
/* Guest descriptors 0, 1 and 2 become the stream *s (copied; s->data must
 * outlive the instance's calls), replacing what set_stdio or capture set;
 * a later set_stdio or capture takes that descriptor back. Also makes
 * every wait of poll_oneoff and sched_yield go through s->wait, from now
 * on. MOAT_ERR_LIMIT (bad argument, as the other setters) when s or a
 * callback is NULL. */
MOAT_API moat_status moat_wasi_set_stream(moat_wasi *w,
                                          const moat_wasi_stream *s,
                                          moat_error *err);

/* Defines every function of wasi_snapshot_preview1 in l, bound to w.
 * With w NULL they use the state bound to the calling instance instead
 * (moat_wasi_bind): one linker serves many instances, each with its own
 * descriptors, arguments and output. A WASI call from an instance with no
 * state bound traps (MOAT_TRAP_HOST). */
MOAT_API moat_status moat_wasi_define(moat_linker *l, moat_wasi *w,
                                      moat_error *err);
/* Binds w to inst for WASI functions defined with NULL; w must outlive the
 * instance's calls (not owned). Bind after moat_instance_new and before
 * calling _start (a start section that calls WASI would trap). */
MOAT_API moat_status moat_wasi_bind(moat_instance *inst, moat_wasi *w,
                                    moat_error *err);

#ifdef __cplusplus
}
#endif
#endif
