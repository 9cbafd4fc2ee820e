/* mhd_queue_probe.c - when does libmicrohttpd (the installed version)
 * accept MHD_queue_response? Internal-thread mode, one path per case;
 * the client (probe.py) sends a POST whose body arrives in two parts.
 *   /early    queue in the first call (headers only, body still to come)
 *   /mid      queue in a call that carries body data (upload_size > 0)
 *   /suspmid  suspend in a call that carries body data, queue from another
 *             thread while suspended, then resume
 *   /suspfinal suspend in the final call (whole body in), queue from
 *             another thread while suspended, then resume (moat serve's way)
 *   /final    queue in the final call (upload_size == 0), the normal case
 * Each answer's body says what MHD_queue_response returned at the point
 * tried ("mid=0" = MHD_NO) and how many body bytes the handler saw. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

typedef struct St {
    int    calls;
    size_t seen;
    int    tried;           /* -1 not tried, else MHD_queue_response's result */
    int    is_done;
    struct MHD_Connection *c;
    char   url[16];
} St;

static struct MHD_Response *
text(St *s)
{
    char buf[128];
    int  n = snprintf(buf, sizeof buf, "%s tried=%d seen=%zu calls=%d\n",
                      s->url, s->tried, s->seen, s->calls);

    return MHD_create_response_from_buffer((size_t)n, buf,
                                           MHD_RESPMEM_MUST_COPY);
}

static enum MHD_Result
queue_text(St *s, struct MHD_Connection *c)
{
    struct MHD_Response *r = text(s);
    enum MHD_Result ok = MHD_queue_response(c, 200, r);

    MHD_destroy_response(r);
    return ok;
}

static void *
later(void *arg)
{
    St *s = arg;

    usleep(100000);
    s->tried = queue_text(s, s->c) == MHD_YES;
    fprintf(stderr, "%s: queue while suspended -> %d\n", s->url, s->tried);
    MHD_resume_connection(s->c);
    return NULL;
}

static enum MHD_Result
on_access(void *cls, struct MHD_Connection *c, const char *url,
          const char *method, const char *version, const char *up,
          size_t *up_size, void **con_cls)
{
    St *s = *con_cls;

    (void)cls; (void)method; (void)version; (void)up;
    if (!s) {
        s = calloc(1, sizeof *s);
        s->tried = -1;
        s->c = c;
        snprintf(s->url, sizeof s->url, "%s", url);
        *con_cls = s;
        s->calls = 1;
        if (!strcmp(url, "/early"))
            return queue_text(s, c);
        return MHD_YES;
    }
    s->calls++;
    if (*up_size) {
        s->seen += *up_size;
        *up_size = 0;
        if (!strcmp(url, "/mid") && s->tried < 0) {
            s->tried = queue_text(s, c) == MHD_YES;
            fprintf(stderr, "mid: queue with upload data -> %d\n", s->tried);
        } else if (!strcmp(url, "/suspmid") && !s->is_done) {
            pthread_t t;
            s->is_done = 1;
            MHD_suspend_connection(c);
            pthread_create(&t, NULL, later, s);
            pthread_detach(t);
        }
        return MHD_YES;
    }
    if (!strcmp(url, "/suspfinal") && !s->is_done) {
        pthread_t t;
        s->is_done = 1;
        MHD_suspend_connection(c);
        pthread_create(&t, NULL, later, s);
        pthread_detach(t);
        return MHD_YES;
    }
    return queue_text(s, c);
}

static void
on_done(void *cls, struct MHD_Connection *c, void **con_cls,
        enum MHD_RequestTerminationCode toe)
{
    (void)cls; (void)c;
    fprintf(stderr, "completed: toe=%d\n", (int)toe);
    free(*con_cls);
    *con_cls = NULL;
}

int
main(int argc, char **argv)
{
    struct MHD_Daemon *d;

    if (argc < 2)
        return 2;
    d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
                         MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG,
                         (uint16_t)atoi(argv[1]), NULL, NULL, on_access, NULL,
                         MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL,
                         MHD_OPTION_END);
    if (!d)
        return 1;
    printf("ready %s\n", MHD_get_version());
    fflush(stdout);
    pause();
    return 0;
}
