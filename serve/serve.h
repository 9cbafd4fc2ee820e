/* serve.h - internal header of serve/: `moat serve`, a WAGI server that
 * runs every HTTP request in a fresh sandbox (docs/serve.md). Sectioned by
 * file. HTTP itself is libmicrohttpd's; nothing here parses HTTP.
 */
#ifndef MOAT_SERVE_H
#define MOAT_SERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

/* ---- main.c ---- */

/* `moat serve ARGS...` (argv[0] is "serve"); the process exit status. */
int serve_main(int argc, char **argv);

#endif
