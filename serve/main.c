/* main.c - `moat serve`: options, routes, the listening socket (ours, or
 * systemd's through sd_listen_fds), the workers, then the main thread
 * waits for signals: SIGHUP reloads the routes, SIGTERM and SIGINT drain
 * the requests in flight and exit. The main thread serves no request.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "serve.h"

static Worker  *workers;
static Worker **worker_ptrs;
static int      nworkers;

Worker *const *
serve_all_workers(int *n)
{
    *n = nworkers;
    return worker_ptrs;
}

/* Thousands of connections need thousands of descriptors. */
static void
raise_fd_limit(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

/* "ADDR:PORT" or "[V6]:PORT" -> a listening socket; -1 after logging. */
static int
listen_on(const char *spec, char *shown, size_t n)
{
    char             host[256];
    const char      *colon = strrchr(spec, ':');
    struct addrinfo  hints = { .ai_family = AF_UNSPEC,
                               .ai_socktype = SOCK_STREAM,
                               .ai_flags = AI_PASSIVE | AI_NUMERICSERV },
                    *ai = NULL;
    int              fd = -1, one = 1;

    snprintf(host, sizeof host, "%.*s", (int)(colon - spec), spec);
    if (host[0] == '[') {
        memmove(host, host + 1, strlen(host));
        host[strcspn(host, "]")] = 0;
    }
    int rc = getaddrinfo(host[0] ? host : NULL, colon + 1, &hints, &ai);
    if (rc) {
        serve_log("--listen %s: %s", spec, gai_strerror(rc));
        return -1;
    }
    fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 4096)) {
        serve_log("--listen %s: %s", spec, strerror(errno));
        if (fd >= 0)
            close(fd);
        freeaddrinfo(ai);
        return -1;
    }
    freeaddrinfo(ai);
    struct sockaddr_storage ss;
    socklen_t               sl = sizeof ss;
    char                    h[128], p[16];
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0 &&
        getnameinfo((struct sockaddr *)&ss, sl, h, sizeof h, p, sizeof p,
                    NI_NUMERICHOST | NI_NUMERICSERV) == 0)
        snprintf(shown, n, strchr(h, ':') ? "[%s]:%s" : "%s:%s", h, p);
    else
        snprintf(shown, n, "%s", spec);
    return fd;
}

/* systemd socket activation: the first socket it passed, else -1. */
static int
systemd_socket(void)
{
    int n = sd_listen_fds(1);

    if (n <= 0)
        return -1;
    if (n > 1)
        serve_log("systemd passed %d sockets; serving on the first", n);
    int fd = SD_LISTEN_FDS_START;
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

/* The slicer: a guest that has run a slice is preempted at its next
 * check, so a loop holds its worker for a slice, not until its deadline.
 * Holding the worker's run_lock keeps the instance alive meanwhile. */
static atomic_bool slicer_stop;

static void *
slicer_main(void *arg)
{
    struct timespec tick = { 0, (long)(SERVE_SLICE_NS / 4) };

    (void)arg;
    while (!atomic_load(&slicer_stop)) {
        nanosleep(&tick, NULL);
        uint64_t now = serve_now_ns();
        for (int i = 0; i < nworkers; i++) {
            Worker *w = worker_ptrs[i];
            pthread_mutex_lock(&w->run_lock);
            if (w->running && now - w->running_since >= SERVE_SLICE_NS)
                moat_instance_preempt(w->running);
            pthread_mutex_unlock(&w->run_lock);
        }
    }
    return NULL;
}

static void
reload(const ServeConfig *c)
{
    RouteSet *rs = serve_routeset_build(c);

    if (!rs) {
        serve_log("reload failed; the routes in force stay");
        return;
    }
    serve_log("reloaded: %zu routes", rs->routes.n);
    serve_routeset_publish(rs);
}

static int
wait_signals(const ServeConfig *c, const sigset_t *set)
{
    for (;;) {
        int sig = sigwaitinfo(set, NULL);
        if (sig < 0)
            continue;
        if (sig == SIGHUP) {
            reload(c);
            continue;
        }
        serve_log("%s: draining %s", sig == SIGTERM ? "SIGTERM" : "SIGINT",
                  "requests in flight, then exiting");
        sd_notify(0, "STOPPING=1");
        return 0;
    }
}

static int
run(ServeConfig *c)
{
    static char shown[300];
    sigset_t    set;
    RouteSet   *rs;
    int         lfd, rc = 0;

    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);     /* workers inherit it */
    signal(SIGPIPE, SIG_IGN);
    raise_fd_limit();
    if (!serve_log_open(c->access_log) || !(rs = serve_routeset_build(c)))
        return 1;
    size_t nroutes = rs->routes.n;
    serve_routeset_publish(rs);
    if ((lfd = systemd_socket()) >= 0)
        snprintf(shown, sizeof shown, "the socket systemd passed");
    else if ((lfd = listen_on(c->listen, shown, sizeof shown)) < 0)
        return 1;
    else
        c->listen = shown;
    workers = calloc((size_t)c->workers, sizeof *workers);
    worker_ptrs = calloc((size_t)c->workers, sizeof *worker_ptrs);
    if (!workers || !worker_ptrs)
        return 1;
    for (int i = 0; i < c->workers; i++) {
        if (serve_worker_start(&workers[i], c, lfd, i)) {
            rc = 1;
            break;
        }
        worker_ptrs[i] = &workers[i];
        nworkers = i + 1;
    }
    close(lfd);                 /* each daemon has its own duplicate */
    pthread_t slicer;
    bool      has_slicer = !rc && !pthread_create(&slicer, NULL, slicer_main,
                                                   NULL);
    if (!rc) {
        serve_log("listening on http://%s (%d workers, %zu routes)", shown,
                  nworkers, nroutes);
        sd_notify(0, "READY=1");
        rc = wait_signals(c, &set);
    }
    for (int i = 0; i < nworkers; i++)
        serve_worker_drain(&workers[i]);
    for (int i = 0; i < nworkers; i++)
        serve_worker_join(&workers[i]);
    atomic_store(&slicer_stop, true);
    if (has_slicer)
        pthread_join(slicer, NULL);
    for (int i = 0; i < nworkers; i++)
        serve_metrics_free(workers[i].metrics);
    serve_routeset_publish(NULL);
    free(workers);
    free(worker_ptrs);
    return rc;
}

int
serve_main(int argc, char **argv)
{
    ServeConfig c;
    int         rc = serve_options(argc, argv, &c);

    if (!rc && !c.is_help)
        rc = run(&c);
    serve_options_free(&c);
    return rc;
}
