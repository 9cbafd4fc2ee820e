/* evhttp.c - libevent 2.1 evhttp: one event_base + evhttp per thread,
 * each accepting on the shared listening socket. */
#include <pthread.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "common.h"

static void
on_hello(struct evhttp_request *req, void *arg)
{
    struct evbuffer *out = evhttp_request_get_output_buffer(req);

    (void)arg;
    evhttp_add_header(evhttp_request_get_output_headers(req),
                      "Content-Type", "text/plain");
    evbuffer_add_reference(out, BODY, BODY_LEN, NULL, NULL);
    evhttp_send_reply(req, HTTP_OK, "OK", NULL);
}

static void *
worker_main(void *arg)
{
    event_base_dispatch(arg);
    return NULL;
}

int
main(int argc, char **argv)
{
    pthread_t th[NTHREADS];
    int lfd;

    if (argc < 2)
        return 2;
    raise_nofile();
    lfd = listen_loopback(argv[1]);
    for (int i = 0; i < NTHREADS; i++) {
        struct event_base *base = event_base_new();
        struct evhttp *http = evhttp_new(base);

        evhttp_set_cb(http, "/hello", on_hello, NULL);
        evhttp_set_timeout(http, 60);
        evhttp_set_max_headers_size(http, 16384);
        if (!evhttp_accept_socket_with_handle(
                http, fcntl(lfd, F_DUPFD_CLOEXEC, 3)))
            return 1;
        pthread_create(&th[i], NULL, worker_main, base);
    }
    printf("ready\n");
    fflush(stdout);
    pthread_join(th[0], NULL);
    return 0;
}
