/* worker.c - one worker thread: its own libmicrohttpd daemon on the shared
 * listening socket, driven from this thread's epoll loop (MHD's external
 * polling mode), a run queue of guests that can go on and a timer heap of
 * guests that wait (a sleep, a deadline). Everything of one connection
 * happens on one worker, so requests need no locks; only the eventfd is
 * touched from other threads (drain, reload).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "serve.h"

uint64_t
serve_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- run queue ---- */

void
serve_worker_runnable(Worker *w, Req *r)
{
    if (r->in_rq)
        return;
    serve_worker_timer(w, r, UINT64_MAX);
    r->in_rq = true;
    r->rq_next = NULL;
    r->rq_prev = w->rq_tail;
    if (w->rq_tail)
        w->rq_tail->rq_next = r;
    else
        w->rq_head = r;
    w->rq_tail = r;
    r->guest = G_RUNNABLE;
}

void
serve_worker_unqueue(Worker *w, Req *r)
{
    if (r->in_rq) {
        if (r->rq_prev)
            r->rq_prev->rq_next = r->rq_next;
        else
            w->rq_head = r->rq_next;
        if (r->rq_next)
            r->rq_next->rq_prev = r->rq_prev;
        else
            w->rq_tail = r->rq_prev;
        r->in_rq = false;
    }
    serve_worker_timer(w, r, UINT64_MAX);
}

/* ---- timer heap (binary, earliest wake_at on top) ---- */

static void
heap_set(Worker *w, size_t i, Req *r)
{
    w->heap[i] = r;
    r->heap_idx = i;
}

static void
heap_up(Worker *w, size_t i)
{
    Req *r = w->heap[i];

    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (w->heap[p]->wake_at <= r->wake_at)
            break;
        heap_set(w, i, w->heap[p]);
        i = p;
    }
    heap_set(w, i, r);
}

static void
heap_down(Worker *w, size_t i)
{
    Req *r = w->heap[i];

    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= w->nheap)
            break;
        if (c + 1 < w->nheap && w->heap[c + 1]->wake_at < w->heap[c]->wake_at)
            c++;
        if (w->heap[c]->wake_at >= r->wake_at)
            break;
        heap_set(w, i, w->heap[c]);
        i = c;
    }
    heap_set(w, i, r);
}

static void
heap_remove(Worker *w, Req *r)
{
    size_t i = r->heap_idx;
    Req   *last = w->heap[--w->nheap];

    r->heap_idx = SIZE_MAX;
    if (i == w->nheap)
        return;
    heap_set(w, i, last);
    heap_up(w, i);
    heap_down(w, last->heap_idx);
}

void
serve_worker_timer(Worker *w, Req *r, uint64_t at)
{
    if (r->heap_idx != SIZE_MAX)
        heap_remove(w, r);
    if (at == UINT64_MAX)
        return;
    if (w->nheap == w->capheap) {
        size_t n = w->capheap ? 2 * w->capheap : 256;
        Req  **h = realloc(w->heap, n * sizeof *h);
        if (!h) {               /* no timer: the request's own deadline
                                 * cannot fire; end it now instead */
            serve_worker_runnable(w, r);
            return;
        }
        w->heap = h;
        w->capheap = n;
    }
    r->wake_at = at;
    w->heap[w->nheap++] = r;
    r->heap_idx = w->nheap - 1;
    heap_up(w, w->nheap - 1);
}

/* ---- the loop ---- */

/* Guests whose timer is due go to the run queue; the run queue runs. */
static void
run_guests(Worker *w)
{
    uint64_t now = serve_now_ns();

    while (w->nheap && w->heap[0]->wake_at <= now)
        serve_worker_runnable(w, w->heap[0]);
    /* Each guest runs once per turn: those made runnable while this turn
     * runs wait for the next one, after MHD has had its go. */
    Req *last = w->rq_tail;
    while (w->rq_head) {
        Req *r = w->rq_head;
        serve_worker_unqueue(w, r);
        serve_sandbox_run(r);
        serve_req_progress(r);
        if (r == last)
            break;
    }
}

static int
loop_timeout_ms(Worker *w)
{
    if (w->rq_head)
        return 0;
    uint64_t             at = w->nheap ? w->heap[0]->wake_at : UINT64_MAX;
    MHD_UNSIGNED_LONG_LONG mhd_ms;
    int                  ms = -1;

    if (MHD_get_timeout(w->daemon, &mhd_ms) == MHD_YES)
        ms = mhd_ms > 60000 ? 60000 : (int)mhd_ms;
    if (at != UINT64_MAX) {
        uint64_t now = serve_now_ns();
        int      t = at <= now ? 0 : (int)((at - now + 999999) / 1000000);
        if (ms < 0 || t < ms)
            ms = t;
    }
    return ms < 0 ? 1000 : ms;
}

static void
drain_eventfd(Worker *w)
{
    uint64_t v;

    while (read(w->evfd, &v, sizeof v) == sizeof v)
        ;
}

static void *
worker_main(void *arg)
{
    Worker            *w = arg;
    struct epoll_event ev[16];
    bool               is_quiet = false;
    uint64_t           drain_until = 0;

    for (;;) {
        if (atomic_load(&w->is_draining) && !is_quiet) {
            int fd = MHD_quiesce_daemon(w->daemon);
            if (fd >= 0)
                close(fd);          /* our dup of the listening socket */
            is_quiet = true;
            drain_until = serve_now_ns() + w->cfg->drain_ns;
        }
        if (is_quiet && (w->inflight == 0 || serve_now_ns() >= drain_until)) {
            /* MHD ends suspended connections only once resumed */
            serve_req_resume_all(w);
            MHD_run(w->daemon);
            break;
        }
        int ms = loop_timeout_ms(w);
        if (is_quiet && ms > 50)
            ms = 50;            /* look at the drain clock now and then */
        int n = epoll_wait(w->epfd, ev, 16, ms);
        for (int i = 0; i < n; i++)
            if (ev[i].data.fd == w->evfd)
                drain_eventfd(w);
        MHD_run(w->daemon);
        run_guests(w);
        MHD_run(w->daemon);     /* send what the guests produced now */
    }
    return NULL;
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
    char line[512];

    (void)cls;
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    while (n && line[n - 1] == '\n')
        line[--n] = 0;
    serve_log("http: %s", line);
}

static struct MHD_Daemon *
start_daemon(Worker *w, const ServeConfig *c, int listen_fd)
{
    unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_ERROR_LOG;
    unsigned idle = (unsigned)((c->idle_timeout_ns + 999999999u) /
                               1000000000u);
    /* MHD's per-connection memory holds the request line, the headers
     * and the read buffer, and stays resident while the connection lives
     * (bench/serve/httplib/RESULTS.md: 32 KiB a connection at 16 + 16):
     * the header limit, plus a little room to read. */
    size_t mem = (size_t)c->max_header + 4096;

    return MHD_start_daemon(flags, 0, NULL, NULL,
        serve_req_access, w,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, w,
        MHD_OPTION_LISTEN_SOCKET, listen_fd,
        MHD_OPTION_CONNECTION_TIMEOUT, idle,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, mem,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)c->max_inflight,
        MHD_OPTION_URI_LOG_CALLBACK, serve_req_uri_log, w,
        MHD_OPTION_NOTIFY_COMPLETED,
        serve_req_completed, w,
        MHD_OPTION_END);
}

int
serve_worker_start(Worker *w, const ServeConfig *c, int listen_fd, int index)
{
    struct epoll_event ev = { .events = EPOLLIN };
    const union MHD_DaemonInfo *info;
    int lfd = fcntl(listen_fd, F_DUPFD_CLOEXEC, 3);

    memset(w, 0, sizeof *w);
    w->index = index;
    w->cfg = c;
    w->epfd = w->evfd = -1;
    atomic_init(&w->is_draining, false);
    pthread_mutex_init(&w->run_lock, NULL);
    atomic_init(&w->next_id, (uint64_t)index + 1);
    if (lfd < 0 || !(w->metrics = serve_metrics_new()))
        goto fail;
    if (!(w->daemon = start_daemon(w, c, lfd))) {
        serve_log("worker %d: cannot start the HTTP daemon", index);
        goto fail;
    }
    lfd = -1;                   /* the daemon's now */
    info = MHD_get_daemon_info(w->daemon, MHD_DAEMON_INFO_EPOLL_FD);
    w->epfd = epoll_create1(EPOLL_CLOEXEC);
    w->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (!info || w->epfd < 0 || w->evfd < 0)
        goto fail;
    ev.data.fd = info->epoll_fd;
    if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, info->epoll_fd, &ev))
        goto fail;
    ev.data.fd = w->evfd;
    if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->evfd, &ev))
        goto fail;
    if (pthread_create(&w->thread, NULL, worker_main, w)) {
        serve_log("worker %d: cannot start its thread", index);
        goto fail;
    }
    return 0;
fail:
    if (lfd >= 0)
        close(lfd);
    if (w->daemon)
        MHD_stop_daemon(w->daemon);
    if (w->epfd >= 0)
        close(w->epfd);
    if (w->evfd >= 0)
        close(w->evfd);
    serve_metrics_free(w->metrics);
    w->daemon = NULL;
    return -1;
}

void
serve_worker_drain(Worker *w)
{
    uint64_t one = 1;

    atomic_store(&w->is_draining, true);
    if (write(w->evfd, &one, sizeof one) < 0 && errno != EAGAIN)
        serve_log("worker %d: cannot wake it: %s", w->index, strerror(errno));
}

void
serve_worker_join(Worker *w)
{
    pthread_join(w->thread, NULL);
    /* Requests still in flight past the drain time end here: MHD calls
     * the completion callback for each, which frees its guest. */
    MHD_stop_daemon(w->daemon);
    close(w->epfd);
    close(w->evfd);
    free(w->heap);
}
