/* mhd.c - libmicrohttpd in external-polling epoll mode, as moat serve's
 * serve/worker.c: one daemon per thread on the shared listening socket,
 * MHD_run from our own epoll loop. Mode "direct" (default) queues the
 * response in the final access-handler call; mode "suspend" suspends the
 * connection there and resumes it from the loop before queueing, the path
 * every moat serve request takes while its sandboxed handler runs.
 * argv[3]: MHD_OPTION_CONNECTION_MEMORY_LIMIT (default 32768, as moat
 * serve's default: 16 KiB of headers + 16 KiB). */
#include <pthread.h>
#include <string.h>
#include <sys/epoll.h>

#include <microhttpd.h>

#include "common.h"

typedef struct Worker {
    struct MHD_Daemon      *d;
    int                     epfd;
    struct MHD_Connection  *pending[4096];  /* suspended, to resume */
    size_t                  npending;
} Worker;

static int is_suspend_mode;
static struct MHD_Response *hello;

/* con_cls: 0 = new request, 1 = headers seen, 2 = suspended once. */
static enum MHD_Result
on_access(void *cls, struct MHD_Connection *c, const char *url,
          const char *method, const char *version, const char *upload,
          size_t *upload_size, void **con_cls)
{
    Worker *w = cls;
    uintptr_t st = (uintptr_t)*con_cls;

    (void)url; (void)method; (void)version; (void)upload;
    if (st == 0) {
        *con_cls = (void *)1;
        return MHD_YES;
    }
    if (*upload_size) {
        *upload_size = 0;
        return MHD_YES;
    }
    if (is_suspend_mode && st == 1 && w->npending < 4096) {
        *con_cls = (void *)2;
        w->pending[w->npending++] = c;
        MHD_suspend_connection(c);
        return MHD_YES;
    }
    return MHD_queue_response(c, MHD_HTTP_OK, hello);
}

static void
on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
             enum MHD_RequestTerminationCode toe)
{
    (void)cls; (void)c; (void)toe;
    *con_cls = NULL;
}

static void *
worker_main(void *arg)
{
    Worker *w = arg;
    struct epoll_event ev[16];

    for (;;) {
        MHD_UNSIGNED_LONG_LONG mhd_ms;
        int ms = 1000;

        if (w->npending)
            ms = 0;
        else if (MHD_get_timeout(w->d, &mhd_ms) == MHD_YES)
            ms = mhd_ms > 1000 ? 1000 : (int)mhd_ms;
        epoll_wait(w->epfd, ev, 16, ms);
        MHD_run(w->d);
        /* the "handler" finished: resume, MHD calls on_access again */
        for (size_t i = 0; i < w->npending; i++)
            MHD_resume_connection(w->pending[i]);
        w->npending = 0;
        MHD_run(w->d);
    }
    return NULL;
}

int
main(int argc, char **argv)
{
    static Worker w[NTHREADS];
    pthread_t th[NTHREADS];
    int lfd;

    if (argc < 2)
        return 2;
    is_suspend_mode = argc > 2 && !strcmp(argv[2], "suspend");
    size_t mem = argc > 3 ? (size_t)atol(argv[3]) : 32768;
    raise_nofile();
    lfd = listen_loopback(argv[1]);
    hello = MHD_create_response_from_buffer(BODY_LEN, (void *)BODY,
                                            MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(hello, MHD_HTTP_HEADER_CONTENT_TYPE,
                            "text/plain");
    for (int i = 0; i < NTHREADS; i++) {
        struct epoll_event ev = { .events = EPOLLIN };
        const union MHD_DaemonInfo *info;

        w[i].d = MHD_start_daemon(
            MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG,
            0, NULL, NULL, on_access, &w[i],
            MHD_OPTION_LISTEN_SOCKET, fcntl(lfd, F_DUPFD_CLOEXEC, 3),
            MHD_OPTION_CONNECTION_TIMEOUT, 60u,
            /* moat serve: max_header (default 16 KiB) + 16 KiB */
            MHD_OPTION_CONNECTION_MEMORY_LIMIT, mem,
            MHD_OPTION_CONNECTION_LIMIT, 20000u,
            MHD_OPTION_NOTIFY_COMPLETED, on_completed, &w[i],
            MHD_OPTION_END);
        if (!w[i].d)
            return 1;
        info = MHD_get_daemon_info(w[i].d, MHD_DAEMON_INFO_EPOLL_FD);
        w[i].epfd = epoll_create1(EPOLL_CLOEXEC);
        ev.data.fd = info->epoll_fd;
        epoll_ctl(w[i].epfd, EPOLL_CTL_ADD, info->epoll_fd, &ev);
        pthread_create(&th[i], NULL, worker_main, &w[i]);
    }
    printf("ready\n");
    fflush(stdout);
    pthread_join(th[0], NULL);
    return 0;
}
