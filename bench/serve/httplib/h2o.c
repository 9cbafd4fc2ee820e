/* h2o.c - h2o's evloop library (libh2o-evloop 2.2.5): one h2o_evloop and
 * h2o_context per thread, each accepting on the shared listening socket. */
#include <pthread.h>

#include <h2o.h>

#include "common.h"

static h2o_globalconf_t config;
static int              listen_fd;

static int
on_hello(h2o_handler_t *self, h2o_req_t *req)
{
    (void)self;
    if (!h2o_memis(req->path_normalized.base, req->path_normalized.len,
                   H2O_STRLIT("/hello")))
        return -1;
    req->res.status = 200;
    req->res.reason = "OK";
    req->res.content_length = BODY_LEN;     /* else h2o answers chunked */
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE,
                   NULL, H2O_STRLIT("text/plain"));
    h2o_send_inline(req, H2O_STRLIT(BODY));
    return 0;
}

typedef struct Worker {
    h2o_context_t    ctx;
    h2o_accept_ctx_t accept;
} Worker;

static void
on_accept(h2o_socket_t *listener, const char *err)
{
    Worker       *w = listener->data;
    h2o_socket_t *sock;

    if (err)
        return;
    while ((sock = h2o_evloop_socket_accept(listener)) != NULL)
        h2o_accept(&w->accept, sock);
}

static void *
worker_main(void *arg)
{
    Worker       *w = arg;
    h2o_socket_t *ls;

    h2o_context_init(&w->ctx, h2o_evloop_create(), &config);
    w->accept.ctx = &w->ctx;
    w->accept.hosts = config.hosts;
    ls = h2o_evloop_socket_create(w->ctx.loop,
                                  fcntl(listen_fd, F_DUPFD_CLOEXEC, 3),
                                  H2O_SOCKET_FLAG_DONT_READ);
    ls->data = w;
    h2o_socket_read_start(ls, on_accept);
    while (h2o_evloop_run(w->ctx.loop, INT32_MAX) == 0)
        ;
    return NULL;
}

int
main(int argc, char **argv)
{
    static Worker w[NTHREADS];
    pthread_t th[NTHREADS];
    h2o_hostconf_t *host;
    h2o_pathconf_t *path;

    if (argc < 2)
        return 2;
    raise_nofile();
    listen_fd = listen_loopback(argv[1]);
    h2o_config_init(&config);
    config.http1.req_timeout = 60000;   /* idle keep-alive: 60 s, as the
                                         * others (h2o's default is 10 s) */
    host = h2o_config_register_host(&config, h2o_iovec_init(H2O_STRLIT("default")),
                                    65535);
    path = h2o_config_register_path(host, "/", 0);
    h2o_create_handler(path, sizeof(h2o_handler_t))->on_req = on_hello;
    for (int i = 0; i < NTHREADS; i++)
        pthread_create(&th[i], NULL, worker_main, &w[i]);
    printf("ready\n");
    fflush(stdout);
    pthread_join(th[0], NULL);
    return 0;
}
