/* request.c - one HTTP request through libmicrohttpd's callbacks: the
 * route, the environment, the body fed to the guest as it arrives (with
 * backpressure), and the response: whole when the guest has finished,
 * streamed (chunked) when it waits with its CGI headers written. MHD only
 * lets a response be queued from inside its access callback, so whoever
 * makes a response ready resumes the connection and the next callback
 * queues it. The guest itself is sandbox.c's.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "serve.h"

/* Request body bytes kept for a guest that has not read them: past this
 * MHD stops reading from the client until the guest catches up. */
#define IN_HIGH ((size_t)256 << 10)
#define MAX_HEADERS 256

void *
serve_req_uri_log(void *cls, const char *uri, struct MHD_Connection *c)
{
    Worker *w = cls;
    Req    *r = calloc(1, sizeof *r);

    if (!r)
        return NULL;
    r->raw_uri = strdup(uri ? uri : "");
    if (!r->raw_uri) {
        free(r);
        return NULL;
    }
    r->w = w;
    r->conn = c;
    r->id = atomic_fetch_add(&w->next_id, (uint64_t)w->cfg->workers);
    r->t_start = serve_now_ns();
    r->heap_idx = SIZE_MAX;
    w->inflight++;
    serve_metrics_inflight(w->metrics, 1);
    r->all_next = w->all;
    if (w->all)
        w->all->all_prev = r;
    w->all = r;
    return r;
}

/* ---- responses ---- */

static const char *
status_text(unsigned s)
{
    switch (s) {
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 413: return "Content Too Large";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default:  return "Error";
    }
}

static void
add_common(Req *r, struct MHD_Response *resp)
{
    char id[32];

    snprintf(id, sizeof id, "%llx", (unsigned long long)r->id);
    MHD_add_response_header(resp, "X-Request-Id", id);
    if (atomic_load(&r->w->is_draining))
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
}

static enum MHD_Result
queue(Req *r, unsigned status, struct MHD_Response *resp)
{
    enum MHD_Result ok;

    if (!resp)
        return MHD_NO;
    add_common(r, resp);
    ok = MHD_queue_response(r->conn, status, resp);
    MHD_destroy_response(resp);
    r->is_responded = true;
    r->status = status;
    return ok;
}

static enum MHD_Result
respond_error(Req *r, unsigned status)
{
    char body[512];
    int  n = snprintf(body, sizeof body, "%u %s\nrequest %llx: %s\n",
                      status, status_text(status),
                      (unsigned long long)r->id,
                      r->reason[0] ? r->reason : status_text(status));
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        (size_t)n, body, MHD_RESPMEM_MUST_COPY);

    if (resp)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                                "text/plain; charset=utf-8");
    return queue(r, status, resp);
}

/* Headers a handler may not set: the HTTP layer owns framing. */
static bool
is_hop_header(const char *name)
{
    static const char *const hop[] = {
        "Content-Length", "Transfer-Encoding", "Connection", "Keep-Alive",
        "Upgrade", "TE", "Trailer", "Proxy-Connection"
    };
    for (size_t i = 0; i < sizeof hop / sizeof hop[0]; i++)
        if (!strcasecmp(name, hop[i]))
            return true;
    return false;
}

static void
add_cgi_headers(Req *r, struct MHD_Response *resp)
{
    bool has_type = false;

    for (size_t i = 0; i < r->cgi.nheaders; i++) {
        const ServeHeader *h = &r->cgi.headers[i];
        if (is_hop_header(h->name))
            continue;
        if (!strcasecmp(h->name, "Content-Type"))
            has_type = true;
        MHD_add_response_header(resp, h->name, h->value);
    }
    if (!has_type)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                                "application/octet-stream");
}

static ssize_t
stream_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    Req   *r = cls;
    size_t avail = r->out.len - r->out.pos;

    (void)pos;
    if (avail) {
        size_t n = avail < max ? avail : max;
        memcpy(buf, r->out.data + r->out.pos, n);
        r->out.pos += n;
        r->out_bytes += n;
        if (r->guest == G_WAITING && serve_sandbox_can_go(r, 0))
            serve_worker_runnable(r->w, r);
        return (ssize_t)n;
    }
    if (r->guest == G_DONE)
        return r->is_trap || r->is_deadline || r->status >= 500
                   ? MHD_CONTENT_READER_END_WITH_ERROR
                   : MHD_CONTENT_READER_END_OF_STREAM;
    MHD_suspend_connection(r->conn);
    r->is_suspended = true;
    return 0;
}

/* The guest's own response: whole when it is done, else streamed. */
static enum MHD_Result
respond_guest(Req *r)
{
    struct MHD_Response *resp;
    unsigned             status = r->cgi.status;

    if (r->guest == G_DONE) {
        size_t n = r->out.len - r->out.pos;
        resp = MHD_create_response_from_buffer(n, r->out.data + r->out.pos,
                                               MHD_RESPMEM_MUST_COPY);
        r->out_bytes += n;
        r->out.pos = r->out.len;
    } else {
        resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 65536,
                                                 stream_reader, r, NULL);
        r->is_streaming = true;
    }
    if (resp)
        add_cgi_headers(r, resp);
    enum MHD_Result ok = queue(r, status, resp);
    r->status = status;
    return ok;
}

/* Queues a response if one is ready; at the end of the request (is_final)
 * suspends the connection until there is one. */
static enum MHD_Result
maybe_respond(Req *r, bool is_final)
{
    if (r->is_responded)
        return MHD_YES;
    if (r->status)
        return respond_error(r, r->status);
    if (r->cgi_state < 0 && r->guest == G_DONE) {
        snprintf(r->reason, sizeof r->reason, "malformed CGI output: %s",
                 r->cgi_why ? r->cgi_why : "?");
        return respond_error(r, 502);
    }
    if (r->cgi_state > 0 && (r->guest == G_DONE || r->guest == G_WAITING))
        return respond_guest(r);
    if (r->cgi_state == 0 && r->guest == G_DONE) {
        snprintf(r->reason, sizeof r->reason, "the handler wrote no "
                 "complete CGI header block");
        return respond_error(r, 502);
    }
    if (is_final && !r->is_suspended) {
        MHD_suspend_connection(r->conn);
        r->is_suspended = true;
    }
    return MHD_YES;
}

/* ---- the request's description for the environment ---- */

typedef struct HeaderList {
    ServeHeader v[MAX_HEADERS];
    size_t      n;
} HeaderList;

static enum MHD_Result
collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
               const char *value)
{
    HeaderList *l = cls;

    (void)kind;
    if (l->n < MAX_HEADERS)
        l->v[l->n++] = (ServeHeader){ key, value ? value : "" };
    return MHD_YES;
}

static void
client_address(struct MHD_Connection *c, char *buf, size_t n)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
        c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

    snprintf(buf, n, "unknown");
    if (!ci || !ci->client_addr)
        return;
    if (ci->client_addr->sa_family == AF_INET)
        inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)
                             ci->client_addr)->sin_addr, buf, (socklen_t)n);
    else if (ci->client_addr->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)(void *)
                              ci->client_addr)->sin6_addr, buf,
                  (socklen_t)n);
}

/* SERVER_NAME and SERVER_PORT: the Host header's, else the listen
 * address's. */
static void
server_name(Req *r, char *name, size_t n, unsigned *port)
{
    const char *host = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
                                                   "Host");
    const char *listen = r->w->cfg->listen;
    const char *src = host && *host ? host : listen;
    const char *colon = strrchr(src, ':');
    const char *close = strrchr(src, ']');

    if (colon && close && colon < close)
        colon = NULL;           /* "[::1]" without a port */
    size_t len = colon ? (size_t)(colon - src) : strlen(src);
    snprintf(name, n, "%.*s", (int)len, src);
    *port = colon ? (unsigned)strtoul(colon + 1, NULL, 10) : 80;
    if (host && *host && !colon)
        *port = 80;
    if (!host || !*host) {
        const char *lc = strrchr(listen, ':');
        *port = lc ? (unsigned)strtoul(lc + 1, NULL, 10) : 80;
    }
}

/* The environment and argv. body_len >= 0: a chunked body read whole,
 * whose length becomes CONTENT_LENGTH (RFC 3875 4.1.2). */
static bool
build_env(Req *r, const char *url, const char *version,
          const char *path_info, long long body_len)
{
    HeaderList        headers;          /* on the worker's own stack */
    HeaderList       *hl = &headers;
    char              addr[64], name[256], clen[32];
    unsigned          port;
    const char       *q = strchr(r->raw_uri, '?');
    char             *raw = strndup(r->raw_uri, q ? (size_t)(q - r->raw_uri)
                                                  : strlen(r->raw_uri));

    if (!raw)
        return false;
    hl->n = 0;
    MHD_get_connection_values(r->conn, MHD_HEADER_KIND, collect_header, hl);
    if (body_len >= 0 && hl->n < MAX_HEADERS) {
        snprintf(clen, sizeof clen, "%lld", body_len);
        hl->v[hl->n++] = (ServeHeader){ MHD_HTTP_HEADER_CONTENT_LENGTH,
                                        clen };
    }
    client_address(r->conn, addr, sizeof addr);
    server_name(r, name, sizeof name, &port);

    ServeRequestInfo ri = {
        .method = r->method, .raw_path = raw, .path = url,
        .query = q ? q + 1 : "", .protocol = version,
        .server_name = name, .server_port = port, .remote_addr = addr,
        .headers = hl->v, .nheaders = hl->n, .route = r->route->cfg,
        .path_info = path_info, .scheme = "http",
    };
    size_t n;
    r->env = serve_cgi_env(&ri, &n);
    r->argv = serve_cgi_argv(&ri, &n);
    free(raw);
    return r->env && r->argv;
}

static enum MHD_Result refuse(Req *r, unsigned status);

/* Instantiates and runs the guest until it finishes or waits. */
static enum MHD_Result
start_guest(Req *r, const char *url, const char *version,
            const char *path_info, long long body_len)
{
    if (!build_env(r, url, version, path_info, body_len)) {
        snprintf(r->reason, sizeof r->reason, "out of memory");
        return refuse(r, 503);
    }
    if (r->route->native)
        return MHD_YES;         /* runs once the body is in */
    if (!serve_sandbox_start(r))
        return refuse(r, r->status);
    serve_sandbox_run(r);
    serve_req_progress(r);
    return MHD_YES;
}

/* ---- the callbacks ---- */

static bool
is_metrics(Req *r, const char *url)
{
    const char *p = r->w->cfg->metrics_path;
    return p && !strcmp(url, p);
}

static enum MHD_Result
respond_metrics(Req *r)
{
    int             n;
    Worker *const  *ws = serve_all_workers(&n);
    size_t          len;
    char           *text = serve_metrics_text(ws, n, &len);

    if (!text)
        return respond_error(r, 500);
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        len, text, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            "text/plain; version=0.0.4");
    return queue(r, 200, resp);
}

static bool
content_length_too_big(Req *r)
{
    const char *cl = MHD_lookup_connection_value(
        r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    char       *end;

    if (!cl)
        return false;
    unsigned long long v = strtoull(cl, &end, 10);
    return *end == 0 && v > r->w->cfg->max_body;
}

static bool
has_body(Req *r)
{
    const char *cl = MHD_lookup_connection_value(
        r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    const char *te = MHD_lookup_connection_value(
        r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);

    return te || (cl && strcmp(cl, "0"));
}

/* An error decided on the headers. MHD takes a response only now (the
 * headers just processed) or once the whole request is in: with a body
 * to come, answer now (MHD then closes the connection, as it must: the
 * body is not read); without one, at the end, so the connection lives. */
static enum MHD_Result
refuse(Req *r, unsigned status)
{
    if (has_body(r))
        return respond_error(r, status);
    r->status = status;
    return MHD_YES;
}

/* First call: the request line and headers are in. */
static enum MHD_Result
on_headers(Req *r, const char *url, const char *version)
{
    const char *path_info = "";

    if (is_metrics(r, url)) {
        if (has_body(r))
            return respond_metrics(r);
        r->is_metrics = true;
        return MHD_YES;         /* answered at the end of the request */
    }
    if (!strcmp(version, MHD_HTTP_VERSION_1_1) &&
        !MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Host")) {
        snprintf(r->reason, sizeof r->reason, "HTTP/1.1 needs a Host "
                 "header (RFC 9112, 3.2)");
        return refuse(r, 400);
    }
    r->rs = serve_routeset_acquire();
    r->route = r->rs ? serve_routeset_match(r->rs, url, &path_info) : NULL;
    if (!r->route) {
        snprintf(r->reason, sizeof r->reason, "no route for this path");
        return refuse(r, 404);
    }
    if (content_length_too_big(r)) {
        snprintf(r->reason, sizeof r->reason, "the body is larger than "
                 "%llu bytes", (unsigned long long)r->w->cfg->max_body);
        return respond_error(r, 413);   /* now: the body is not read */
    }
    r->deadline_at = r->t_start + r->route->timeout_ns;
    /* A chunked body has no length until it is in, and CGI handlers read
     * CONTENT_LENGTH bytes: such a guest starts once the body is read. */
    if (MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
                                    MHD_HTTP_HEADER_TRANSFER_ENCODING) &&
        !MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
                                     MHD_HTTP_HEADER_CONTENT_LENGTH)) {
        r->is_deferred = true;
        return MHD_YES;
    }
    /* Not answered here even when the guest is done: MHD takes a
     * response queued before the request is read to the end as an early
     * one and closes the connection after it. */
    return start_guest(r, url, version, path_info, -1);
}

/* The body of a request already refused mid-way (a chunked body past the
 * limit): MHD cannot answer until it has read the body, so read and drop
 * up to DISCARD_MAX more, then close the connection instead. */
#define DISCARD_MAX ((uint64_t)8 << 20)

static enum MHD_Result
discard(Req *r, size_t *size)
{
    r->discarded += *size;
    *size = 0;
    if (r->discarded > DISCARD_MAX) {
        serve_log("request %llx: %s; closing the connection",
                  (unsigned long long)r->id, r->reason);
        return MHD_NO;
    }
    return MHD_YES;
}

static enum MHD_Result
on_upload(Req *r, const char *data, size_t *size)
{
    size_t held = r->in.len - r->in.pos;
    size_t take = *size;

    if (r->body_bytes + take > r->w->cfg->max_body) {
        snprintf(r->reason, sizeof r->reason, "the body is larger than "
                 "%llu bytes", (unsigned long long)r->w->cfg->max_body);
        serve_worker_unqueue(r->w, r);
        serve_sandbox_free(r);
        r->status = 413;
        return discard(r, size);
    }
    if (!r->route->native && !r->is_deferred && held + take > IN_HIGH)
        take = held < IN_HIGH ? IN_HIGH - held : 0;
    if (take) {
        if (r->in.pos && r->in.pos == r->in.len)
            r->in.pos = r->in.len = 0;
        if (r->in.len + take > r->in.cap) {
            size_t cap = r->in.cap ? r->in.cap : 16384;
            while (cap < r->in.len + take)
                cap *= 2;
            char *p = realloc(r->in.data, cap);
            if (!p) {
                snprintf(r->reason, sizeof r->reason, "out of memory");
                return respond_error(r, 503);
            }
            r->in.data = p;
            r->in.cap = cap;
        }
        memcpy(r->in.data + r->in.len, data, take);
        r->in.len += take;
        r->body_bytes += take;
        *size -= take;
    }
    if (*size && !r->is_suspended) {    /* the guest has enough unread */
        MHD_suspend_connection(r->conn);
        r->is_suspended = true;
        r->is_upload_held = true;
    }
    if (r->guest == G_WAITING && serve_sandbox_can_go(r, 0))
        serve_worker_runnable(r->w, r);
    return MHD_YES;             /* MHD takes no response mid-body */
}

static void
run_native(Req *r);

enum MHD_Result
serve_req_access(void *cls, struct MHD_Connection *c, const char *url,
                 const char *method, const char *version,
                 const char *upload, size_t *upload_size, void **ptr)
{
    Req *r = *ptr;

    (void)cls;
    if (!r)                     /* no memory for it at all */
        return MHD_NO;
    r->is_suspended = false;    /* MHD calls us: not suspended now */
    r->is_upload_held = false;
    if (!r->is_started) {
        r->is_started = true;
        r->conn = c;
        r->method = method;
        return on_headers(r, url, version);
    }
    if (r->is_responded) {      /* the rest of a body we answered early */
        *upload_size = 0;
        return MHD_YES;
    }
    if (*upload_size && r->status)
        return discard(r, upload_size);
    if (*upload_size)
        return on_upload(r, upload, upload_size);
    if (r->is_metrics)
        return respond_metrics(r);
    if (r->status)              /* decided already: no route, no guest */
        return maybe_respond(r, true);
    if (!r->in_eof && r->is_deferred) {
        const char *path_info = "";
        r->in_eof = true;
        serve_routeset_match(r->rs, url, &path_info);
        enum MHD_Result ok = start_guest(r, url, version, path_info,
                                         (long long)r->body_bytes);
        if (ok != MHD_YES || r->status)
            return ok == MHD_YES ? maybe_respond(r, true) : ok;
        if (r->route->native)
            run_native(r);
    } else if (!r->in_eof) {
        r->in_eof = true;
        if (r->route->native)
            run_native(r);
        else if (r->guest == G_WAITING &&
                 serve_sandbox_can_go(r, serve_now_ns())) {
            /* the answer usually needs only this: run it now */
            serve_worker_unqueue(r->w, r);
            serve_sandbox_run(r);
            serve_req_progress(r);
        }
    }
    if (r->in_rq && r->guest == G_RUNNABLE && !r->is_responded) {
        serve_worker_unqueue(r->w, r);
        serve_sandbox_run(r);
        serve_req_progress(r);
    }
    return maybe_respond(r, true);
}

/* ---- after the guest ran ---- */

static void
wake_connection(Req *r)
{
    if (r->is_suspended) {
        r->is_suspended = false;
        r->is_upload_held = false;
        MHD_resume_connection(r->conn);
    }
}

void
serve_req_progress(Req *r)
{
    Worker  *w = r->w;
    uint64_t now = serve_now_ns();

    if (r->guest == G_WAITING) {
        if (serve_sandbox_can_go(r, now))
            serve_worker_runnable(w, r);
        else
            serve_worker_timer(w, r, r->wait_until < r->deadline_at
                                         ? r->wait_until
                                         : r->deadline_at);
    }
    bool has_news = r->guest == G_DONE || r->status ||
                    (!r->is_responded && r->cgi_state != 0 &&
                     r->guest == G_WAITING) ||
                    (r->is_streaming && r->out.len > r->out.pos) ||
                    (r->is_upload_held && r->in.len - r->in.pos < IN_HIGH / 2);
    if (has_news)
        wake_connection(r);
}

/* A native handler (benchmarks): the whole body in, the output out. */
static void
native_write(void *ctx, const void *p, size_t n)
{
    serve_sandbox_take_output(ctx, p, n);
}

static void
run_native(Req *r)
{
    ServeNativeIO io = {
        .env = r->env, .argv = r->argv,
        .body = (const uint8_t *)r->in.data + r->in.pos,
        .body_len = r->in.len - r->in.pos,
        .write = native_write, .ctx = r,
    };
    uint64_t t0 = serve_now_ns();

    r->route->native(&io);
    r->inst_ns += serve_now_ns() - t0;
    r->guest = G_DONE;
    serve_sandbox_finish_output(r);
}

void
serve_req_completed(void *cls, struct MHD_Connection *c, void **ptr,
                    enum MHD_RequestTerminationCode toe)
{
    Req     *r = *ptr;
    Worker  *w = cls;
    uint64_t dur = 0;

    (void)c;
    if (!r)
        return;
    *ptr = NULL;
    dur = serve_now_ns() - r->t_start;
    if (!r->is_started)
        r->status = 0;          /* MHD refused it (400, 414, 431, 505...)
                                 * before any route: it does not say which */
    else if (!r->is_responded || toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
        r->out_closed = true;
    serve_log_access(r, r->status, dur);
    serve_metrics_request(w->metrics, r->route ? r->route->cfg->pattern : "",
                          r->status, dur, r->is_trap, r->is_deadline);
    serve_worker_unqueue(w, r);
    serve_sandbox_free(r);
    serve_routeset_release(r->rs);
    serve_strv_free(r->env);
    serve_strv_free(r->argv);
    free(r->in.data);
    free(r->out.data);
    free(r->err.data);
    free(r->hdrbuf);
    free(r->raw_uri);
    w->inflight--;
    serve_metrics_inflight(w->metrics, -1);
    if (r->all_prev)
        r->all_prev->all_next = r->all_next;
    else
        w->all = r->all_next;
    if (r->all_next)
        r->all_next->all_prev = r->all_prev;
    free(r);
}

void
serve_req_cut(Req *r)
{
    if (r->in_eof || !r->is_started)
        return;
    MHD_set_connection_option(r->conn, MHD_CONNECTION_OPTION_TIMEOUT, 1u);
    wake_connection(r);
}

void
serve_req_resume_all(Worker *w)
{
    for (Req *r = w->all; r; r = r->all_next) {
        if (r->guest != G_DONE && r->guest != G_NONE) {
            serve_worker_unqueue(w, r);
            serve_sandbox_free(r);
            if (!r->is_responded && !r->status) {
                r->status = 503;
                snprintf(r->reason, sizeof r->reason, "the server is "
                         "shutting down");
            }
        }
        wake_connection(r);
    }
}
