/* sandbox.c - the guest of one request: a fresh instance of the route's
 * module from the engine's pool, a WASI system whose stdio is the request
 * (moat_wasi_set_stream: stdin the body as it arrives, stdout the
 * response, stderr the server log), run until it returns or waits, resumed
 * by the worker when what it waits for is there, stopped at the route's
 * deadline. How its end maps to an HTTP status is docs/serve.md's table.
 */
#include <stdlib.h>
#include <string.h>

#include "serve.h"

/* Output kept before the client takes it: a guest that writes more waits
 * (its fiber yields) until the response drains below half of it. */
#define OUT_HIGH ((size_t)256 << 10)
/* A request's stderr reaches the log up to this much; the rest is
 * counted and dropped, so that one guest cannot flood the log. */
#define ERR_LOG_MAX ((size_t)64 << 10)
#define ERR_LINE_MAX 2048

/* ---- stdout ---- */

/* MHD sends no response before it has read the whole request, so a
 * handler that answers as it reads (an echo) must be able to write as
 * much as it reads until then: the body limit more. */
static size_t
out_limit(const Req *r)
{
    return r->in_eof || r->is_responded
               ? OUT_HIGH
               : OUT_HIGH + (size_t)r->w->cfg->max_body;
}

static bool
buf_reserve(ServeBuf *b, size_t more)
{
    if (b->pos && b->pos == b->len)
        b->pos = b->len = 0;
    if (b->len + more <= b->cap)
        return true;
    if (b->pos > b->cap / 2) {          /* slide the unread part down */
        memmove(b->data, b->data + b->pos, b->len - b->pos);
        b->len -= b->pos;
        b->pos = 0;
        if (b->len + more <= b->cap)
            return true;
    }
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + more)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p)
        return false;
    b->data = p;
    b->cap = cap;
    return true;
}

/* The header block is parsed from a copy, which it then lives in: the
 * output buffer moves as it grows. */
static void
parse_headers(Req *r)
{
    size_t n = r->out.len - r->out.pos;
    char  *copy;

    if (n > SERVE_CGI_HEADER_BYTES + 4)
        n = SERVE_CGI_HEADER_BYTES + 4;
    if (!(copy = malloc(n + 1))) {
        r->cgi_state = -1;
        r->cgi_why = "out of memory";
        return;
    }
    memcpy(copy, r->out.data + r->out.pos, n);
    copy[n] = 0;
    int rc = serve_cgi_parse(copy, n, &r->cgi, &r->cgi_why);
    if (rc > 0) {
        r->hdrbuf = copy;
        r->out.pos += r->cgi.body_offset;
        r->cgi_state = 1;
        return;
    }
    free(copy);
    if (rc < 0)
        r->cgi_state = -1;
}

size_t
serve_sandbox_take_output(Req *r, const void *p, size_t n)
{
    size_t unsent = r->out.len - r->out.pos;
    size_t take = n;

    if (!r->route->native) {
        size_t lim = out_limit(r);
        if (unsent >= lim)
            return 0;
        if (take > lim - unsent)
            take = lim - unsent;
    }
    if (!buf_reserve(&r->out, take))
        return 0;
    memcpy(r->out.data + r->out.len, p, take);
    r->out.len += take;
    if (r->cgi_state == 0 && !r->route->native)
        parse_headers(r);
    return take;
}

/* ---- stderr ---- */

static void
log_err_lines(Req *r, bool is_final)
{
    ServeBuf *b = &r->err;
    char     *nl;

    while ((nl = memchr(b->data + b->pos, '\n', b->len - b->pos))) {
        serve_log_guest(r->id, b->data + b->pos,
                        (size_t)(nl - (b->data + b->pos)));
        b->pos = (size_t)(nl - b->data) + 1;
    }
    if (b->len - b->pos >= ERR_LINE_MAX || (is_final && b->len > b->pos)) {
        serve_log_guest(r->id, b->data + b->pos, b->len - b->pos);
        b->pos = b->len;
    }
}

static void
take_stderr(Req *r, const void *p, size_t n)
{
    static const char note[] = "(more stderr dropped)";

    if (r->err_total >= ERR_LOG_MAX)
        return;
    r->err_total += n;
    if (r->err_total > ERR_LOG_MAX) {
        n -= r->err_total - ERR_LOG_MAX;
        serve_log_guest(r->id, note, sizeof note - 1);
    }
    if (!buf_reserve(&r->err, n))
        return;
    memcpy(r->err.data + r->err.len, p, n);
    r->err.len += n;
    log_err_lines(r, false);
}

void
serve_sandbox_finish_output(Req *r)
{
    if (r->cgi_state == 0 && r->out.len > r->out.pos)
        parse_headers(r);
    if (r->cgi_state == 0 && r->route->native) {
        r->cgi_state = -1;
        r->cgi_why = "no blank line after the headers";
    }
    if (r->err.len > r->err.pos)
        log_err_lines(r, true);
}

/* ---- the stream WASI calls ---- */

static long
s_read(void *data, void *buf, size_t len)
{
    Req   *r = data;
    size_t avail = r->in.len - r->in.pos;

    if (!avail)
        return r->in_eof ? 0 : -1;
    if (len > avail)
        len = avail;
    if (len > (size_t)1 << 30)
        len = (size_t)1 << 30;
    memcpy(buf, r->in.data + r->in.pos, len);
    r->in.pos += len;
    return (long)len;
}

static long
s_write(void *data, int fd, const void *buf, size_t len)
{
    Req *r = data;

    if (len > (size_t)1 << 30)
        len = (size_t)1 << 30;
    if (fd == 2) {
        take_stderr(r, buf, len);
        return (long)len;
    }
    if (r->out_closed || r->cgi_state < 0)
        return -1;              /* nobody reads it: EPIPE */
    return (long)serve_sandbox_take_output(r, buf, len);
}

static long
s_ready(void *data, int fd)
{
    Req   *r = data;
    size_t unsent = r->out.len - r->out.pos;

    if (fd == 0) {
        size_t avail = r->in.len - r->in.pos;
        return avail ? (long)(avail > ((size_t)1 << 30) ? (size_t)1 << 30
                                                         : avail)
                     : r->in_eof ? 0 : -1;
    }
    if (fd == 2)
        return 65536;
    if (r->out_closed || r->cgi_state < 0)
        return -1;
    size_t lim = out_limit(r);
    return unsent >= lim ? 0 : (long)(lim - unsent);
}

static void
s_wait(void *data, moat_caller *c, unsigned what, uint64_t deadline_ns)
{
    Req     *r = data;
    moat_val none;

    memset(&none, 0, sizeof none);
    none.type = MOAT_I32;
    r->wait_what = what;
    r->wait_until = deadline_ns;
    moat_caller_yield(c, none);
}

bool
serve_sandbox_can_go(const Req *r, uint64_t now)
{
    if ((r->wait_what & MOAT_WASI_WAIT_READ) &&
        (r->in.len > r->in.pos || r->in_eof))
        return true;
    if ((r->wait_what & MOAT_WASI_WAIT_WRITE) &&
        (r->out_closed || r->out.len - r->out.pos <= out_limit(r) / 2))
        return true;
    return now && (now >= r->wait_until || now >= r->deadline_at);
}

/* ---- the instance ---- */

static bool
fail(Req *r, unsigned status, const char *what, const moat_error *err)
{
    snprintf(r->reason, sizeof r->reason, "%s%s%s", what,
             err && err->msg[0] ? ": " : "", err ? err->msg : "");
    r->status = status;
    r->guest = G_DONE;
    serve_log("request %llx: %s", (unsigned long long)r->id, r->reason);
    serve_sandbox_free(r);
    return false;
}

static bool
preopen(Req *r, const char *spec, moat_error *err)
{
    const char *sep = strstr(spec, "::");
    char        host[4096];

    if (!sep)
        return moat_wasi_preopen(r->wasi, spec, spec, err) == MOAT_OK;
    snprintf(host, sizeof host, "%.*s", (int)(sep - spec), spec);
    return moat_wasi_preopen(r->wasi, host, sep + 2, err) == MOAT_OK;
}

static bool
setup_wasi(Req *r, moat_error *err)
{
    const ServeRoute *cfg = r->route->cfg;
    moat_wasi_stream  s = { r, s_read, s_write, s_ready, s_wait };
    int               argc = 0;

    if (moat_wasi_new(&r->wasi, err) != MOAT_OK)
        return false;
    while (r->argv[argc])
        argc++;
    if (moat_wasi_set_args(r->wasi, argc, (const char *const *)r->argv,
                           err) != MOAT_OK)
        return false;
    for (char **e = r->env; *e; e++)
        if (moat_wasi_add_env(r->wasi, *e, err) != MOAT_OK)
            return false;
    for (int i = 0; i < cfg->ndirs; i++)
        if (!preopen(r, cfg->dirs[i], err))
            return false;
    return moat_wasi_set_stream(r->wasi, &s, err) == MOAT_OK;
}

bool
serve_sandbox_start(Req *r)
{
    moat_error err = { 0 };

    if (!setup_wasi(r, &err))
        return fail(r, 500, "cannot set up the handler's WASI system", &err);
    moat_status st = moat_instance_new(r->route->linker, r->route->module,
                                       &r->inst, &err);
    if (st == MOAT_ERR_LIMIT || st == MOAT_ERR_NOMEM)
        return fail(r, 503, "cannot instantiate the handler", &err);
    if (st != MOAT_OK)
        return fail(r, 500, "cannot instantiate the handler", &err);
    if (moat_wasi_bind(r->inst, r->wasi, &err) != MOAT_OK)
        return fail(r, 500, "cannot bind WASI", &err);
    r->guest = G_RUNNABLE;
    return true;
}

static void
deadline_hit(Req *r)
{
    r->is_deadline = true;
    if (!r->is_responded) {
        r->status = 504;
        snprintf(r->reason, sizeof r->reason, "the handler ran past its "
                 "deadline of %llu ms",
                 (unsigned long long)(r->route->timeout_ns / 1000000));
    }
    serve_log("request %llx: deadline of %llu ms reached",
              (unsigned long long)r->id,
              (unsigned long long)(r->route->timeout_ns / 1000000));
    r->guest = G_DONE;
    serve_sandbox_finish_output(r);
    serve_sandbox_free(r);
    serve_req_cut(r);
}

static void
ended(Req *r, moat_status st, const moat_error *err)
{
    r->guest = G_DONE;
    serve_sandbox_finish_output(r);
    if (st == MOAT_ERR_TRAP && err->trap == MOAT_TRAP_INTERRUPTED) {
        deadline_hit(r);
        return;
    }
    if (st == MOAT_ERR_TRAP) {
        r->is_trap = true;
        serve_log("request %llx: trap: %s", (unsigned long long)r->id,
                  err->msg);
        if (!r->is_responded) {
            r->status = 500;
            snprintf(r->reason, sizeof r->reason, "the handler trapped");
        }
    } else if (st == MOAT_ERR_EXIT && err->exit_code && r->cgi_state <= 0 &&
               !r->is_responded) {
        r->status = 500;
        snprintf(r->reason, sizeof r->reason, "the handler exited with "
                 "status %u", err->exit_code);
    } else if (st != MOAT_OK && st != MOAT_ERR_EXIT && !r->is_responded) {
        r->status = 500;
        snprintf(r->reason, sizeof r->reason, "the handler failed: %s",
                 err->msg);
    }
    serve_sandbox_free(r);
}

/* What the slicer may preempt (main.c). */
static void
set_running(Worker *w, moat_instance *inst, uint64_t since)
{
    pthread_mutex_lock(&w->run_lock);
    w->running = inst;
    w->running_since = since;
    pthread_mutex_unlock(&w->run_lock);
}

void
serve_sandbox_run(Req *r)
{
    moat_error  err = { 0 };
    moat_status st;
    moat_val    none;
    uint64_t    now = serve_now_ns();

    if (!r->inst || r->guest == G_DONE)
        return;
    if (now >= r->deadline_at) {
        deadline_hit(r);
        return;
    }
    memset(&none, 0, sizeof none);
    none.type = MOAT_I32;
    moat_instance_set_deadline(r->inst, r->deadline_at - now, &err);
    /* a preempted guest (no wait of its own) can go on at once */
    r->wait_what = 0;
    r->wait_until = 0;
    set_running(r->w, r->inst, now);
    if (!r->has_called) {
        r->has_called = true;
        st = moat_instance_call(r->inst, "_start", NULL, 0, NULL, 0, &err);
    } else {
        st = moat_instance_resume(r->inst, none, NULL, 0, &err);
    }
    set_running(r->w, NULL, 0);
    r->inst_ns += serve_now_ns() - now;
    if (st == MOAT_YIELDED) {
        r->guest = G_WAITING;
        return;
    }
    ended(r, st, &err);
}

void
serve_sandbox_free(Req *r)
{
    if (r->inst) {
        moat_instance_free(r->inst);
        r->inst = NULL;
    }
    if (r->wasi) {
        moat_wasi_free(r->wasi);
        r->wasi = NULL;
    }
    if (r->guest != G_NONE)
        r->guest = G_DONE;
}
