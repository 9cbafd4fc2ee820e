/* request.c - one HTTP request through libmicrohttpd's callbacks: the
 * route, the body fed to the guest as it arrives (with backpressure),
 * waking the connection when the guest has news, and the request's end.
 * MHD only lets a response be queued from inside its access callback, so
 * whoever makes a response ready resumes the connection and the next
 * callback queues it (response.c). The environment is request_env.c's,
 * the guest sandbox.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "serve.h"

/* Request body bytes kept for a guest that has not read them: past this
 * MHD stops reading from the client until the guest catches up. */
#define IN_HIGH ((size_t)256 << 10)

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

static enum MHD_Result refuse(Req *r, unsigned status);

/* Instantiates and runs the guest until it finishes or waits. */
static enum MHD_Result
start_guest(Req *r, const char *url, const char *version,
            const char *path_info, long long body_len)
{
    if (!serve_req_env(r, url, version, path_info, body_len)) {
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
        return serve_respond_error(r, status);
    r->status = status;
    return MHD_YES;
}

/* MHD decodes the path into a C string, so "/h%00x" would reach routing
 * as "/h": a route must never match a path other than the one sent. */
static bool
has_encoded_nul(const char *raw)
{
    for (const char *p = raw; *p && *p != '?'; p++)
        if (p[0] == '%' && p[1] == '0' && p[2] == '0')
            return true;
    return false;
}

/* First call: the request line and headers are in. */
static enum MHD_Result
on_headers(Req *r, const char *url, const char *version)
{
    const char *path_info = "";

    if (is_metrics(r, url)) {
        if (has_body(r))
            return serve_respond_metrics(r);
        r->is_metrics = true;
        return MHD_YES;         /* answered at the end of the request */
    }
    if (!strcmp(version, MHD_HTTP_VERSION_1_1) &&
        !MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Host")) {
        snprintf(r->reason, sizeof r->reason, "HTTP/1.1 needs a Host "
                 "header (RFC 9112, 3.2)");
        return refuse(r, 400);
    }
    if (has_encoded_nul(r->raw_uri)) {
        snprintf(r->reason, sizeof r->reason, "the path holds an encoded "
                 "NUL (%%00)");
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
        return serve_respond_error(r, 413);   /* now: the body is not read */
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
                return serve_respond_error(r, 503);
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
        return serve_respond_metrics(r);
    if (r->status)              /* decided already: no route, no guest */
        return serve_maybe_respond(r);
    if (!r->in_eof && r->is_deferred) {
        const char *path_info = "";
        r->in_eof = true;
        serve_routeset_match(r->rs, url, &path_info);
        enum MHD_Result ok = start_guest(r, url, version, path_info,
                                         (long long)r->body_bytes);
        if (ok != MHD_YES || r->status)
            return ok == MHD_YES ? serve_maybe_respond(r) : ok;
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
    return serve_maybe_respond(r);
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
