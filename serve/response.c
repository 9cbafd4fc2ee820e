/* response.c - the responses of `moat serve`: error pages, the guest's
 * own response (whole, or streamed from its output through a content
 * reader that suspends the connection while the guest has nothing new),
 * the metrics page. MHD takes a response only inside its access callback,
 * right after the headers or once the whole request is in (request.c
 * calls serve_maybe_respond then).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <microhttpd.h>

#include "serve.h"


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

enum MHD_Result
serve_respond_error(Req *r, unsigned status)
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

/* At the end of the request: queues a response if one is ready, else
 * suspends the connection until there is one. */
enum MHD_Result
serve_maybe_respond(Req *r)
{
    if (r->is_responded)
        return MHD_YES;
    if (r->status)
        return serve_respond_error(r, r->status);
    if (r->cgi_state < 0 && r->guest == G_DONE) {
        snprintf(r->reason, sizeof r->reason, "malformed CGI output: %s",
                 r->cgi_why ? r->cgi_why : "?");
        return serve_respond_error(r, 502);
    }
    if (r->cgi_state > 0 && (r->guest == G_DONE || r->guest == G_WAITING))
        return respond_guest(r);
    if (r->cgi_state == 0 && r->guest == G_DONE) {
        snprintf(r->reason, sizeof r->reason, "the handler wrote no "
                 "complete CGI header block");
        return serve_respond_error(r, 502);
    }
    if (!r->is_suspended) {
        MHD_suspend_connection(r->conn);
        r->is_suspended = true;
    }
    return MHD_YES;
}

enum MHD_Result
serve_respond_metrics(Req *r)
{
    int             n;
    Worker *const  *ws = serve_all_workers(&n);
    size_t          len;
    char           *text = serve_metrics_text(ws, n, &len);

    if (!text)
        return serve_respond_error(r, 500);
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
