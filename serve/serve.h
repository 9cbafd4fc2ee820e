/* serve.h - internal header of serve/: `moat serve`, a WAGI server that
 * runs every HTTP request in a fresh sandbox (docs/serve.md). Sectioned by
 * file. HTTP itself is libmicrohttpd's; nothing here parses HTTP.
 */
#ifndef MOAT_SERVE_H
#define MOAT_SERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- routes.c: the route table (command line and route file) ---- */

/* One route as configured. Pattern "/a/b" matches that path only;
 * "/a/..." matches "/a" and everything under "/a/". */
typedef struct ServeRoute {
    char     *pattern;          /* as written, e.g. "/api/..." (owned) */
    char     *prefix;           /* pattern without a trailing "/...", e.g.
                                 * "/api" ("" for "/..."); owned */
    bool      is_wildcard;      /* pattern ended in "/..." */
    char     *module;           /* .wasm, .o or .so path (owned); or
                                 * "native:NAME" (bench builds only) */
    char    **dirs;             /* preopens "HOST[::GUEST]" (owned) */
    int       ndirs;
    char    **envs;             /* extra environment "NAME=VALUE" (owned) */
    int       nenvs;
    uint64_t  timeout_ns;       /* request deadline; 0: server default */
    uint64_t  max_memory;       /* linear memory cap, bytes; 0: default */
} ServeRoute;

typedef struct ServeRoutes {
    ServeRoute *v;
    size_t      n, cap;
} ServeRoutes;

/* Appends the routes of an INI route file (docs/serve-routes.md, read
 * with inih). false with "FILE:LINE: reason" in err on any error; routes
 * are then unchanged. */
bool serve_routes_load_file(ServeRoutes *r, const char *path, char *err,
                            size_t errlen);
/* Appends a route from a `--route PATH=MODULE` argument. */
bool serve_routes_add_arg(ServeRoutes *r, const char *arg, char *err,
                          size_t errlen);
/* The route for a request path, or NULL: an exact pattern wins, then the
 * wildcard with the longest prefix. *path_info is the rest of the path
 * after a wildcard's prefix ("" for an exact match, "/x" for "/a/x"
 * under "/a/..."), pointing into path. */
const ServeRoute *serve_routes_match(const ServeRoutes *r, const char *path,
                                     const char **path_info);
void serve_routes_free(ServeRoutes *r);

/* ---- cgi_env.c: the WAGI environment of one request ---- */

typedef struct ServeHeader {
    const char *name, *value;
} ServeHeader;

/* What the environment is built from; all borrowed. */
typedef struct ServeRequestInfo {
    const char        *method;          /* "GET" */
    const char        *raw_path;        /* URL path as sent, %-escapes kept */
    const char        *path;            /* ... decoded (MHD's url) */
    const char        *query;           /* after '?', raw; "" when none */
    const char        *protocol;        /* "HTTP/1.1" */
    const char        *server_name;     /* Host header without port, else
                                         * the listen address */
    unsigned           server_port;
    const char        *remote_addr;     /* "127.0.0.1" */
    const ServeHeader *headers;         /* as received, in order */
    size_t             nheaders;
    const ServeRoute  *route;
    const char        *path_info;       /* from serve_routes_match */
    const char        *scheme;          /* "http" */
} ServeRequestInfo;

/* A NULL-terminated array of "NAME=VALUE" strings, each name once, and
 * the argv (as WAGI: argv[0] = the raw request path, then the query's
 * '&'-separated words, %-decoded with '+' as a space; a word that would
 * decode to a NUL is passed as sent), all in one allocation each; *n is
 * the count; free with serve_strv_free. The route's own envs come last
 * and win. CONTENT_TYPE and CONTENT_LENGTH come from their headers (no
 * HTTP_ entry for them; "" and "0" without); each other header becomes
 * HTTP_<NAME> upper-cased with '-' as '_'; a repeated header is joined
 * with ", "; Proxy (httpoxy), names with '_' and non-tokens are dropped.
 * docs/serve-routes.md lists every variable. NULL on allocation
 * failure. */
char **serve_cgi_env(const ServeRequestInfo *ri, size_t *n);
char **serve_cgi_argv(const ServeRequestInfo *ri, size_t *n);
void   serve_strv_free(char **v);

/* ---- cgi_out.c: the CGI header block at the start of a handler's
 * stdout ---- */

enum { SERVE_CGI_MAX_HEADERS = 64, SERVE_CGI_HEADER_BYTES = 16384 };

typedef struct ServeCgiOut {
    unsigned     status;        /* from Status:, 302 with Location:, else
                                 * 200 */
    ServeHeader  headers[SERVE_CGI_MAX_HEADERS];   /* point into the
                                                    * parsed buffer; Status
                                                    * not included */
    size_t       nheaders;
    size_t       body_offset;   /* where the body starts in the buffer */
} ServeCgiOut;

/* Parses the header block at the start of buf[0..len): lines "Name:
 * value" ended by LF or CRLF, up to an empty line. Writes NULs into buf
 * (it ends names and values). Returns 1 when the block is complete (out
 * filled), 0 when more output is needed, -1 when it is malformed (no
 * colon, a bad status, a name that is not a token, a value with CR/LF or
 * NUL, more than SERVE_CGI_MAX_HEADERS headers or more than
 * SERVE_CGI_HEADER_BYTES before the blank line) with the reason in
 * *why (static string). */
int serve_cgi_parse(char *buf, size_t len, ServeCgiOut *out,
                    const char **why);

/* ---- native.c: handlers compiled into a server binary, for benchmarks
 * (what the sandbox costs, bench/serve) ---- */

typedef struct ServeNativeIO {
    char *const   *env;         /* as serve_cgi_env */
    char *const   *argv;
    const uint8_t *body;        /* the whole request body */
    size_t         body_len;
    /* Appends to the handler's stdout (CGI headers, blank line, body). */
    void         (*write)(void *ctx, const void *p, size_t n);
    void          *ctx;
} ServeNativeIO;

typedef void (*ServeNativeFn)(const ServeNativeIO *io);

/* Routes with module "native:NAME" call fn; registered before serve_main. */
void serve_native_register(const char *name, ServeNativeFn fn);
ServeNativeFn serve_native_find(const char *name);

/* ---- the server itself (everything below is the lead's) ---- */

#include <pthread.h>
#include <stdatomic.h>

#include "moat.h"
#include "moat_wasi.h"

#include <microhttpd.h>

/* options.c: the command line. Durations in ns, sizes in bytes. */
typedef struct ServeConfig {
    const char  *listen;            /* "ADDR:PORT" */
    int          workers;
    const char  *routes_file;       /* NULL: --route only */
    const char **route_args;
    int          nroute_args;
    uint64_t     timeout_ns;        /* route default deadline */
    uint64_t     max_memory;        /* route default memory cap */
    uint64_t     max_body;
    uint64_t     max_header;
    uint64_t     idle_timeout_ns;
    uint64_t     drain_ns;          /* SIGTERM: longest wait for requests */
    const char  *metrics_path;      /* NULL: no metrics endpoint */
    const char  *access_log;        /* NULL: none; "-": stderr; a file */
    int          opt_level;         /* -O of compiled routes */
    uint32_t     max_inflight;      /* per worker; more get 503 */
    bool         is_help;
} ServeConfig;

/* EXIT_OK (0), or 2 after printing why. */
int  serve_options(int argc, char **argv, ServeConfig *c);
void serve_options_free(ServeConfig *c);
void serve_usage(FILE *f);

/* routeset.c: the routes with their modules loaded, shared by every
 * worker; SIGHUP builds a new one and swaps it in. Reference-counted: a
 * request keeps the set it started with. */
typedef struct LoadedRoute {
    const ServeRoute *cfg;
    moat_engine      *engine;       /* one per route: its memory cap */
    moat_module      *module;
    moat_linker      *linker;       /* WASI, bound per instance */
    ServeNativeFn     native;       /* native:NAME routes (no module) */
    uint64_t          timeout_ns, max_memory;
} LoadedRoute;

typedef struct RouteSet {
    atomic_uint  refs;
    ServeRoutes  routes;
    LoadedRoute *v;                 /* routes.n entries */
    uint64_t     generation;
} RouteSet;

/* Loads a module for a route: 0 and *out, or non-zero after printing
 * why. The CLI's loader compiles .wasm through the compile cache; the
 * default loads .o and .so only. */
typedef int (*ServeLoadFn)(moat_engine *e, const char *path, int opt_level,
                           moat_module **out);
void serve_set_loader(ServeLoadFn fn);
/* NULL after printing why. */
RouteSet *serve_routeset_build(const ServeConfig *c);
RouteSet *serve_routeset_acquire(void);       /* the current one, +1 */
void      serve_routeset_release(RouteSet *rs);
void      serve_routeset_publish(RouteSet *rs);   /* takes the reference */
const LoadedRoute *serve_routeset_match(const RouteSet *rs, const char *path,
                                        const char **path_info);

/* ---- request.c and sandbox.c: one request ---- */

typedef struct ServeBuf {
    char   *data;
    size_t  len, cap, pos;          /* pos: first byte not yet consumed */
} ServeBuf;

typedef struct Worker Worker;
typedef struct Req    Req;

enum ReqGuest {                     /* where the request's guest is */
    G_NONE,                         /* not started (or native) */
    G_RUNNABLE,                     /* on the worker's run queue */
    G_WAITING,                      /* suspended in a wait */
    G_DONE                          /* returned, trapped, exited, killed */
};

struct Req {
    Worker               *w;
    struct MHD_Connection *conn;
    uint64_t              id;
    char                 *raw_uri;      /* as sent (URI log callback) */
    RouteSet             *rs;
    const LoadedRoute    *route;
    const char           *method;       /* MHD's, valid while conn is */
    bool                  is_started;   /* first access call seen */
    bool                  is_metrics;   /* the metrics endpoint */
    bool                  is_deferred;  /* chunked: the guest starts once
                                         * the body is in */
    bool                  is_responded; /* a response is queued */
    bool                  is_streaming; /* ... and it is the guest's */
    bool                  is_suspended; /* we suspended conn */
    bool                  is_upload_held; /* data left unconsumed */
    bool                  in_eof;
    bool                  has_called;   /* _start was called */
    bool                  out_closed;   /* client gone: writes fail */
    ServeBuf              in, out, err;
    uint64_t              body_bytes, out_bytes;
    uint64_t              err_total;    /* stderr bytes written */
    uint64_t              discarded;    /* body bytes dropped after 413 */
    ServeCgiOut           cgi;          /* points into hdrbuf */
    char                 *hdrbuf;       /* the CGI header block, copied */
    int                   cgi_state;    /* 0 more, 1 parsed, -1 bad */
    const char           *cgi_why;
    enum ReqGuest         guest;
    moat_instance        *inst;
    moat_wasi            *wasi;
    char                **env, **argv;
    unsigned              wait_what;    /* MOAT_WASI_WAIT_* */
    uint64_t              wait_until;   /* monotonic ns */
    unsigned              status;       /* decided final status, 0: none */
    char                  reason[320];  /* why, for error bodies and logs */
    bool                  is_trap, is_deadline;
    uint64_t              t_start, deadline_at, inst_ns;
    Req                  *all_next, *all_prev;  /* the worker's requests */
    /* run queue and timer heap membership */
    Req                  *rq_next, *rq_prev;
    bool                  in_rq;
    size_t                heap_idx;     /* SIZE_MAX: not in the heap */
    uint64_t              wake_at;
};

/* request.c: the MHD callbacks */
void *serve_req_uri_log(void *cls, const char *uri,
                        struct MHD_Connection *c);
enum MHD_Result serve_req_access(void *cls, struct MHD_Connection *c, const char *url,
                       const char *method, const char *version,
                       const char *upload, size_t *upload_size, void **ptr);
void  serve_req_completed(void *cls, struct MHD_Connection *c, void **ptr,
                          enum MHD_RequestTerminationCode toe);
/* request_env.c: r->env and r->argv (body_len >= 0: a chunked body read
 * whole, whose length becomes CONTENT_LENGTH); false when out of memory. */
bool serve_req_env(Req *r, const char *url, const char *version,
                   const char *path_info, long long body_len);
/* response.c: an error page (status, r->reason); at the end of the
 * request the response if one is ready, else the connection suspended
 * until there is one; the metrics page. */
enum MHD_Result serve_respond_error(Req *r, unsigned status);
enum MHD_Result serve_maybe_respond(Req *r);
enum MHD_Result serve_respond_metrics(Req *r);
/* The guest stopped running (done or waiting): respond or stream. */
void  serve_req_progress(Req *r);
/* The guest's deadline passed before the whole body was read: MHD can
 * answer only then, so the connection is closed instead (its timeout cut
 * to a second). */
void  serve_req_cut(Req *r);
/* Ends every guest of w still running (503 where nothing was sent yet)
 * and resumes every suspended connection, so that MHD can end them: it
 * refuses to stop with a connection suspended. */
void  serve_req_resume_all(Worker *w);

/* sandbox.c: the guest of one request */
/* Instantiates the route's module with the request's WASI system;
 * false with r->status and r->reason set. */
bool serve_sandbox_start(Req *r);
/* Runs (or resumes) the guest until it returns or waits. */
void serve_sandbox_run(Req *r);
/* Frees the instance, whatever state it is in. */
void serve_sandbox_free(Req *r);
/* Whether the wait r is in can end now (data, room, time; now 0: data
 * and room only). */
bool serve_sandbox_can_go(const Req *r, uint64_t now);
/* What the guest (or a native handler) wrote to stdout: appended, the CGI
 * header block parsed off as soon as it is complete. The count taken
 * (all of it for native handlers; less when the buffer is full). */
size_t serve_sandbox_take_output(Req *r, const void *p, size_t n);
/* The guest is done: a last attempt at the header block, stderr's last
 * line to the log. */
void serve_sandbox_finish_output(Req *r);

/* ---- worker.c: a thread with its own MHD daemon and event loop ---- */

typedef struct ServeMetrics ServeMetrics;

struct Worker {
    int                 index;
    const ServeConfig  *cfg;
    struct MHD_Daemon  *daemon;
    int                 epfd, evfd;
    pthread_t           thread;
    Req                *rq_head, *rq_tail;  /* runnable guests */
    Req                *all;                /* every live request */
    Req               **heap;               /* timers, earliest first */
    size_t              nheap, capheap;
    uint32_t            inflight;
    atomic_bool         is_draining;
    ServeMetrics       *metrics;
    _Atomic(uint64_t)   next_id;
    /* the guest running now, for the slicer thread (main.c), which
     * preempts one that has run longer than a slice; under run_lock */
    pthread_mutex_t     run_lock;
    moat_instance      *running;
    uint64_t            running_since;
};

int  serve_worker_start(Worker *w, const ServeConfig *c, int listen_fd,
                        int index);
void serve_worker_drain(Worker *w);      /* from another thread */
void serve_worker_join(Worker *w);
void serve_worker_runnable(Worker *w, Req *r);
void serve_worker_unqueue(Worker *w, Req *r);
void serve_worker_timer(Worker *w, Req *r, uint64_t at); /* UINT64_MAX: off */
uint64_t serve_now_ns(void);

/* How long a guest runs before it is preempted (moat_instance_preempt) so
 * that the others on its worker get their turn. */
#define SERVE_SLICE_NS (UINT64_C(10) * 1000000u)

/* main.c: every worker, for the metrics endpoint. */
Worker *const *serve_all_workers(int *n);

/* ---- metrics.c ---- */

ServeMetrics *serve_metrics_new(void);
void serve_metrics_free(ServeMetrics *m);
void serve_metrics_request(ServeMetrics *m, const char *route,
                           unsigned status, uint64_t ns, bool is_trap,
                           bool is_deadline);
/* The Prometheus text of every worker's metrics; malloc'ed. */
char *serve_metrics_text(Worker *const *ws, int n, size_t *len);
void serve_metrics_inflight(ServeMetrics *m, int delta);

/* ---- log.c ---- */

/* Opens the access log (NULL: none; "-": stderr). */
bool serve_log_open(const char *access_log);
/* One line to stderr: "moat serve: ..." (one write). */
void serve_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void serve_log_access(const Req *r, unsigned status, uint64_t dur_ns);
/* A line a guest wrote to stderr, with its request id. */
void serve_log_guest(uint64_t id, const char *line, size_t len);

/* ---- main.c ---- */

/* `moat serve ARGS...` (argv[0] is "serve"); the process exit status. */
int serve_main(int argc, char **argv);

#endif
