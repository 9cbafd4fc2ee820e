/* burst.c - N concurrent HTTP/1.1 requests on N connections, one epoll
 * loop, to measure a server rather than the client: the python asyncio
 * client (../concurrency.py) spent ~3 s of CPU per 10,000 requests on the
 * same two cores as the server. Opens every connection first (timed on
 * its own: that is accept work, not request work), then writes every GET
 * back to back (time zero = first write) and reads each reply to EOF.
 *   burst -n N -c BATCH --host H --port P --path /p [--timeout S]
 *         [--expect STR]
 * Prints key=value lines for run.sh; exit 0 when all N succeeded. */
#define _GNU_SOURCE /* memmem */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* The first HEAD bytes of a reply are kept: enough for the status line and
 * the small bodies of the bench handlers; later bytes are counted only. */
enum { HEAD = 1024, MAX_TRIES = 50 };

/* Why a request failed; the order is the order of the printed counts. */
enum { F_CONNECT, F_SEND, F_RESET, F_EMPTY, F_STATUS, F_BODY, F_TIMEOUT,
       NFAIL };
static const char *fail_name[NFAIL] = {
    "connect", "send", "reset", "empty", "status", "body", "timeout"
};

typedef struct Conn {
    int    fd;       /* -1 once finished (or never connected) */
    int    tries;    /* connect attempts so far */
    int    up;       /* handshake done */
    double t_send, t_done;
    size_t len;      /* bytes kept in head (at most HEAD) */
    char   head[HEAD];
} Conn;

static struct sockaddr_in addr;
static int    epfd;
static Conn  *conns;

static double
now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* Each connection needs a descriptor; the default soft limit (1024) is far
 * below N, so take all the hard limit allows and say whether it suffices. */
static void
raise_nofile(long need)
{
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
    printf("nofile=%llu hard=%llu need=%ld\n", (unsigned long long)rl.rlim_cur,
           (unsigned long long)rl.rlim_max, need);
    if ((long long)rl.rlim_cur < need) {
        fprintf(stderr, "burst: RLIMIT_NOFILE %llu < %ld: lower -n\n",
                (unsigned long long)rl.rlim_cur, need);
        exit(2);
    }
}

/* Refused: the listen queue overflowed; EAGAIN: no local port free for a
 * moment. Both pass, so retry after a pause growing with the attempt. */
static int
retryable(Conn *c, int err)
{
    if ((err != ECONNREFUSED && err != EAGAIN) || c->tries >= MAX_TRIES)
        return 0;
    usleep((useconds_t)(1000 * c->tries));
    return 1;
}

/* Starts a non-blocking connect; the epoll event (EPOLLOUT) reports its
 * outcome. Returns 0 on an immediate error that retrying did not cure. */
static int
start_connect(Conn *c, int i)
{
again:
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        return 0;
    c->tries++;
    if (connect(c->fd, (struct sockaddr *)&addr, sizeof addr) &&
        errno != EINPROGRESS) {
        int e = errno;
        close(c->fd);
        c->fd = -1;
        if (retryable(c, e))
            goto again;
        return 0;
    }
    struct epoll_event ev = { .events = EPOLLOUT, .data.u32 = (uint32_t)i };
    epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev);
    return 1;
}

/* Connects conns[lo, hi) and waits for every handshake (or the deadline:
 * what is still pending then is closed, a connect failure). */
static void
connect_batch(int lo, int hi, double deadline)
{
    int pending = 0;
    for (int i = lo; i < hi; i++)
        pending += start_connect(&conns[i], i);
    struct epoll_event ev[256];
    while (pending > 0 && now() < deadline) {
        int k = epoll_wait(epfd, ev, 256, 100);
        for (int j = 0; j < k; j++) {
            Conn *c = &conns[ev[j].data.u32];
            if (c->up)
                continue; /* an early reply or close: the read loop's */
            int err = 0;
            socklen_t sl = sizeof err;
            getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &sl);
            pending--;
            if (err == 0) {
                c->up = 1;
                /* Level-triggered EPOLLIN from now on: the reply. */
                struct epoll_event in = { .events = EPOLLIN,
                                          .data = ev[j].data };
                epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &in);
                continue;
            }
            close(c->fd);
            c->fd = -1;
            if (retryable(c, err))
                pending += start_connect(c, (int)ev[j].data.u32);
        }
    }
    for (int i = lo; i < hi; i++) {
        if (conns[i].fd >= 0 && !conns[i].up) {
            close(conns[i].fd);
            conns[i].fd = -1;
        }
    }
}

/* A reply is good when it is a 200 and, if asked, holds the expected text
 * (looked for in the kept head: the bench bodies are small). */
static int
classify(const Conn *c, const char *expect)
{
    static const char ok[] = "HTTP/1.1 200";
    if (c->len == 0)
        return F_EMPTY;
    if (c->len < sizeof ok - 1 || memcmp(c->head, ok, sizeof ok - 1))
        return F_STATUS;
    if (*expect && !memmem(c->head, c->len, expect, strlen(expect)))
        return F_BODY;
    return -1;
}

/* Reads what is there; returns -1 while the reply goes on, else a fail
 * kind or NFAIL for success. Bytes past HEAD are read and dropped. */
static int
read_some(Conn *c, const char *expect)
{
    char drop[4096];
    for (;;) {
        char  *dst = c->len < HEAD ? c->head + c->len : drop;
        size_t cap = c->len < HEAD ? HEAD - c->len : sizeof drop;
        ssize_t r = read(c->fd, dst, cap);
        if (r > 0) {
            if (dst != drop)
                c->len += (size_t)r;
            continue;
        }
        if (r < 0 && (errno == EAGAIN || errno == EINTR))
            return -1;
        if (r < 0)
            return F_RESET;
        int f = classify(c, expect);
        return f < 0 ? NFAIL : f;
    }
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double
pct(const double *v, int n, double p)
{
    return n ? v[(int)(p * (n - 1) + 0.5)] : 0;
}

int
main(int argc, char **argv)
{
    int n = 1000, batch = 500, port = 0;
    const char *host = "127.0.0.1", *path = "/", *expect = "";
    double timeout = 30;
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (!strcmp(k, "-n")) n = atoi(v);
        else if (!strcmp(k, "-c")) batch = atoi(v);
        else if (!strcmp(k, "--host")) host = v;
        else if (!strcmp(k, "--port")) port = atoi(v);
        else if (!strcmp(k, "--path")) path = v;
        else if (!strcmp(k, "--timeout")) timeout = atof(v);
        else if (!strcmp(k, "--expect")) expect = v;
        else { fprintf(stderr, "burst: unknown option %s\n", k); return 2; }
    }
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    if (n < 1 || batch < 1 || !port || inet_pton(AF_INET, host,
                                                 &addr.sin_addr) != 1) {
        fprintf(stderr, "usage: burst -n N -c BATCH --host IPv4 --port P "
                "--path /p [--timeout S] [--expect STR]\n");
        return 2;
    }
    raise_nofile(n + 16L);
    epfd = epoll_create1(EPOLL_CLOEXEC);
    conns = calloc((size_t)n, sizeof *conns);
    char req[512];
    int reqlen = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: x\r\n"
                          "Connection: close\r\n\r\n", path);
    int nfail[NFAIL] = { 0 }, retries = 0, live = 0;

    double t0 = now(), cpu0 = cpu_seconds();
    for (int lo = 0; lo < n; lo += batch)
        connect_batch(lo, lo + batch < n ? lo + batch : n,
                                 t0 + timeout);
    for (int i = 0; i < n; i++) {
        retries += conns[i].tries - 1;
        if (conns[i].fd < 0)
            nfail[F_CONNECT]++;
        else
            live++;
    }
    printf("connect_s=%.3f connected=%d retries=%d\n", now() - t0, live,
           retries);
    fflush(stdout); /* run.sh waits for this line to start perf */

    /* Every GET back to back: the burst the server must absorb. */
    double cpu1 = cpu_seconds(), tstart = now(), tlast = tstart;
    for (int i = 0; i < n; i++) {
        Conn *c = &conns[i];
        if (c->fd < 0)
            continue;
        c->t_send = now();
        if (write(c->fd, req, (size_t)reqlen) != reqlen) {
            nfail[F_SEND]++;
            close(c->fd);
            c->fd = -1;
            live--;
        }
    }
    double tsent = now();
    double *lat = malloc((size_t)n * sizeof *lat);
    int nok = 0;
    struct epoll_event ev[1024];
    while (live > 0 && now() < tstart + timeout) {
        int k = epoll_wait(epfd, ev, 1024, 100);
        for (int j = 0; j < k; j++) {
            Conn *c = &conns[ev[j].data.u32];
            int f = read_some(c, expect);
            if (f < 0)
                continue;
            c->t_done = tlast = now();
            close(c->fd);
            c->fd = -1;
            live--;
            if (f == NFAIL)
                lat[nok++] = c->t_done - c->t_send;
            else
                nfail[f]++;
        }
    }
    nfail[F_TIMEOUT] = live;
    double cpu2 = cpu_seconds();

    qsort(lat, (size_t)nok, sizeof *lat, cmp_double);
    printf("n=%d ok=%d", n, nok);
    for (int f = 0; f < NFAIL; f++)
        printf(" %s=%d", fail_name[f], nfail[f]);
    printf("\nsend_s=%.3f wall_s=%.3f p50_s=%.3f p99_s=%.3f max_s=%.3f\n",
           tsent - tstart, tlast - tstart, pct(lat, nok, 0.5), pct(lat, nok, 0.99),
           nok ? lat[nok - 1] : 0);
    printf("client_cpu_s=%.3f connect_cpu_s=%.3f\n", cpu2 - cpu1,
           cpu1 - cpu0);
    return nok == n ? 0 : 1;
}
