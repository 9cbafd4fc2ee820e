/* metrics.c - counters for the Prometheus text format (exposition format
 * 0.0.4): requests by route and status, a latency histogram, requests in
 * flight, traps, deadline hits, and the pools' occupancy. Each worker
 * counts in its own table with relaxed atomics, so counting takes no
 * lock; the endpoint sums the tables when scraped.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve.h"

#define MAX_SERIES 256
#define ROUTE_MAX 128

/* Upper bounds of the latency buckets, in seconds. */
static const double bucket_s[] = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
    0.25, 0.5, 1, 2.5, 5, 10, 30
};
#define NBUCKETS (sizeof bucket_s / sizeof bucket_s[0])

typedef struct Series {
    char              route[ROUTE_MAX];
    unsigned          status;
    _Atomic(uint64_t) count;
} Series;

struct ServeMetrics {
    Series            series[MAX_SERIES];
    atomic_uint       nseries;      /* filled entries, published last */
    _Atomic(uint64_t) bucket[NBUCKETS + 1];     /* last: +Inf */
    _Atomic(uint64_t) sum_ns, traps, deadlines;
    atomic_int        inflight;
};

ServeMetrics *
serve_metrics_new(void)
{
    return calloc(1, sizeof(ServeMetrics));
}

void
serve_metrics_free(ServeMetrics *m)
{
    free(m);
}

static Series *
series_of(ServeMetrics *m, const char *route, unsigned status)
{
    unsigned n = atomic_load_explicit(&m->nseries, memory_order_relaxed);

    for (unsigned i = 0; i < n; i++)
        if (m->series[i].status == status &&
            !strncmp(m->series[i].route, route, ROUTE_MAX - 1))
            return &m->series[i];
    if (n == MAX_SERIES)        /* past it: counted under the last one */
        return &m->series[MAX_SERIES - 1];
    Series *s = &m->series[n];
    snprintf(s->route, sizeof s->route, "%s", route);
    s->status = status;
    atomic_store_explicit(&m->nseries, n + 1, memory_order_release);
    return s;
}

void
serve_metrics_request(ServeMetrics *m, const char *route, unsigned status,
                      uint64_t ns, bool is_trap, bool is_deadline)
{
    size_t b = 0;
    double s = (double)ns / 1e9;

    atomic_fetch_add_explicit(&series_of(m, route, status)->count, 1,
                              memory_order_relaxed);
    while (b < NBUCKETS && s > bucket_s[b])
        b++;
    atomic_fetch_add_explicit(&m->bucket[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->sum_ns, ns, memory_order_relaxed);
    if (is_trap)
        atomic_fetch_add_explicit(&m->traps, 1, memory_order_relaxed);
    if (is_deadline)
        atomic_fetch_add_explicit(&m->deadlines, 1, memory_order_relaxed);
}

void
serve_metrics_inflight(ServeMetrics *m, int delta)
{
    atomic_fetch_add_explicit(&m->inflight, delta, memory_order_relaxed);
}

/* ---- the text ---- */

typedef struct Out {
    char  *p;
    size_t len, cap;
    bool   is_bad;
} Out;

static void
put(Out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
put(Out *o, const char *fmt, ...)
{
    va_list ap;

    for (;;) {
        va_start(ap, fmt);
        int n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            o->is_bad = true;
            return;
        }
        if ((size_t)n < o->cap - o->len) {
            o->len += (size_t)n;
            return;
        }
        char *p = realloc(o->p, o->cap * 2 + (size_t)n);
        if (!p) {
            o->is_bad = true;
            return;
        }
        o->p = p;
        o->cap = o->cap * 2 + (size_t)n;
    }
}

/* A label value: backslash, quote and newline escaped. */
static void
put_label(Out *o, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\' || *s == '"')
            put(o, "\\%c", *s);
        else if (*s == '\n')
            put(o, "\\n");
        else
            put(o, "%c", *s);
    }
}

/* One line per (route, status): the workers' tables summed. */
static void
put_requests(Out *o, Worker *const *ws, int n)
{
    const Series *seen[MAX_SERIES];
    uint64_t      sum[MAX_SERIES];
    unsigned      k = 0;

    for (int i = 0; i < n; i++) {
        ServeMetrics *m = ws[i]->metrics;
        unsigned      c = atomic_load_explicit(&m->nseries,
                                               memory_order_acquire);
        for (unsigned j = 0; j < c; j++) {
            const Series *s = &m->series[j];
            unsigned      x = 0;
            while (x < k && !(seen[x]->status == s->status &&
                              !strcmp(seen[x]->route, s->route)))
                x++;
            if (x == k) {
                if (k == MAX_SERIES)
                    x = k - 1;          /* the rest lumped together */
                else
                    seen[k] = s, sum[k++] = 0;
            }
            sum[x] += atomic_load_explicit(&s->count, memory_order_relaxed);
        }
    }
    put(o, "# HELP moat_requests_total Requests answered, by route and "
           "status.\n# TYPE moat_requests_total counter\n");
    for (unsigned x = 0; x < k; x++) {
        put(o, "moat_requests_total{route=\"");
        put_label(o, seen[x]->route);
        put(o, "\",status=\"%u\"} %llu\n", seen[x]->status,
            (unsigned long long)sum[x]);
    }
}

static void
put_histogram(Out *o, Worker *const *ws, int n)
{
    uint64_t total[NBUCKETS + 1] = { 0 }, sum = 0, cum = 0;

    for (int i = 0; i < n; i++) {
        for (size_t b = 0; b <= NBUCKETS; b++)
            total[b] += atomic_load(&ws[i]->metrics->bucket[b]);
        sum += atomic_load(&ws[i]->metrics->sum_ns);
    }
    put(o, "# HELP moat_request_duration_seconds Time from the request's "
           "first line to its end.\n"
           "# TYPE moat_request_duration_seconds histogram\n");
    for (size_t b = 0; b < NBUCKETS; b++) {
        cum += total[b];
        put(o, "moat_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
            bucket_s[b], (unsigned long long)cum);
    }
    cum += total[NBUCKETS];
    put(o, "moat_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n"
           "moat_request_duration_seconds_sum %.9f\n"
           "moat_request_duration_seconds_count %llu\n",
        (unsigned long long)cum, (double)sum / 1e9,
        (unsigned long long)cum);
}

static void
put_pools(Out *o)
{
    RouteSet *rs = serve_routeset_acquire();

    put(o, "# HELP moat_pool_instances Pooled instances alive (in flight), "
           "by route.\n# TYPE moat_pool_instances gauge\n"
           "# HELP moat_pool_limit Instances a route's pool may hold.\n"
           "# TYPE moat_pool_limit gauge\n");
    for (size_t i = 0; rs && i < rs->routes.n; i++) {
        moat_pool_stats st;
        if (!rs->v[i].engine)
            continue;
        moat_engine_pool_stats(rs->v[i].engine, &st);
        put(o, "moat_pool_instances{route=\"");
        put_label(o, rs->v[i].cfg->pattern);
        put(o, "\"} %u\nmoat_pool_limit{route=\"", st.live);
        put_label(o, rs->v[i].cfg->pattern);
        put(o, "\"} %u\n", st.limit);
    }
    serve_routeset_release(rs);
}

char *
serve_metrics_text(Worker *const *ws, int n, size_t *len)
{
    Out      o = { malloc(8192), 0, 8192, false };
    uint64_t traps = 0, deadlines = 0;
    long     inflight = 0;

    if (!o.p)
        return NULL;
    for (int i = 0; i < n; i++) {
        traps += atomic_load(&ws[i]->metrics->traps);
        deadlines += atomic_load(&ws[i]->metrics->deadlines);
        inflight += atomic_load(&ws[i]->metrics->inflight);
    }
    put_requests(&o, ws, n);
    put_histogram(&o, ws, n);
    put(&o, "# HELP moat_requests_in_flight Requests begun and not ended."
            "\n# TYPE moat_requests_in_flight gauge\n"
            "moat_requests_in_flight %ld\n"
            "# HELP moat_traps_total Handlers that trapped.\n"
            "# TYPE moat_traps_total counter\nmoat_traps_total %llu\n"
            "# HELP moat_deadline_hits_total Handlers stopped at their "
            "deadline.\n# TYPE moat_deadline_hits_total counter\n"
            "moat_deadline_hits_total %llu\n",
        inflight, (unsigned long long)traps, (unsigned long long)deadlines);
    put_pools(&o);
    if (o.is_bad) {
        free(o.p);
        return NULL;
    }
    *len = o.len;
    return o.p;
}
