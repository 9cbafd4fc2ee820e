/* options.c - `moat serve`'s command line (docs/serve.md). Values are
 * checked here, before anything listens: a bad one is a usage error.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "serve.h"

void
serve_usage(FILE *f)
{
    fprintf(f,
"usage: moat serve [OPTIONS] [ROUTES_FILE]\n"
"Serves HTTP; every request runs in a fresh sandbox of its route's module\n"
"(WAGI: CGI over WASI preview 1). docs/serve.md has the details.\n"
"  --listen ADDR:PORT     where to listen (default 127.0.0.1:8080; port 0:\n"
"                         any free port); ignored under systemd socket\n"
"                         activation\n"
"  --workers N            worker threads (default: the number of CPUs)\n"
"  --route PATH=MODULE    a route (repeatable); PATH \"/a/...\" matches /a\n"
"                         and everything under it; MODULE .wasm, .o, .so\n"
"  --timeout DUR          a request's deadline, unless its route sets one\n"
"                         (default 30s)\n"
"  --max-memory SIZE      a handler's memory cap, unless its route sets one\n"
"                         (default 128M)\n"
"  --max-body SIZE        largest request body (default 16M; 413 past it)\n"
"  --max-header SIZE      largest request head (default 8K; 431 past it)\n"
"  --idle-timeout DUR     close a connection idle that long (default 30s)\n"
"  --drain-timeout DUR    on SIGTERM, wait that long for requests in\n"
"                         flight (default 30s)\n"
"  --metrics PATH|none    the Prometheus endpoint (default /metrics)\n"
"  --access-log FILE|-|none  one line per request (default -: stderr)\n"
"  -O0..-O3               optimisation of routes compiled from .wasm (-O2)\n"
"Signals: SIGTERM/SIGINT drain and exit, SIGHUP reloads the routes.\n");
}

static bool
value(int argc, char **argv, int *i, const char **v)
{
    const char *a = argv[*i];
    const char *eq = strchr(a, '=');

    if (eq && a[0] == '-' && a[1] == '-') {
        *v = eq + 1;
        return true;
    }
    if (*i + 1 >= argc) {
        fprintf(stderr, "moat serve: %s needs a value\n", a);
        return false;
    }
    *v = argv[++*i];
    return true;
}

static bool
is_opt(const char *a, const char *name)
{
    size_t n = strlen(name);
    return !strncmp(a, name, n) && (a[n] == 0 || a[n] == '=');
}

static int
bad(const char *opt, const char *v, const char *what)
{
    fprintf(stderr, "moat serve: %s %s: %s\n", opt, v, what);
    return 2;
}

static int
one_option(ServeConfig *c, int argc, char **argv, int *i)
{
    const char *a = argv[*i], *v = NULL;

    if (is_opt(a, "--listen")) {
        if (!value(argc, argv, i, &v))
            return 2;
        if (!strchr(v, ':'))
            return bad(a, v, "want ADDR:PORT");
        c->listen = v;
    } else if (is_opt(a, "--workers")) {
        if (!value(argc, argv, i, &v))
            return 2;
        char *end;
        long  n = strtol(v, &end, 10);
        if (*end || n < 1 || n > 256)
            return bad(a, v, "want 1..256");
        c->workers = (int)n;
    } else if (is_opt(a, "--route")) {
        if (!value(argc, argv, i, &v))
            return 2;
        const char **p = realloc(c->route_args, (size_t)(c->nroute_args + 1)
                                                    * sizeof *p);
        if (!p)
            return bad(a, v, "out of memory");
        c->route_args = p;
        c->route_args[c->nroute_args++] = v;
    } else if (is_opt(a, "--timeout")) {
        if (!value(argc, argv, i, &v))
            return 2;
        if (!moat_cli_parse_duration(v, &c->timeout_ns))
            return bad(a, v, "want a duration like 500ms, 2s");
    } else if (is_opt(a, "--max-memory")) {
        if (!value(argc, argv, i, &v))
            return 2;
        if (!moat_cli_parse_size(v, &c->max_memory))
            return bad(a, v, "want a size like 64M");
    } else if (is_opt(a, "--max-body")) {
        if (!value(argc, argv, i, &v))
            return 2;
        if (!moat_cli_parse_size(v, &c->max_body))
            return bad(a, v, "want a size like 16M");
    } else if (is_opt(a, "--max-header")) {
        if (!value(argc, argv, i, &v))
            return 2;
        if (!moat_cli_parse_size(v, &c->max_header) || c->max_header < 1024
            || c->max_header > ((uint64_t)1 << 20))
            return bad(a, v, "want a size from 1K to 1M");
    } else if (is_opt(a, "--idle-timeout")) {
        if (!value(argc, argv, i, &v))
            return 2;
        if (!moat_cli_parse_duration(v, &c->idle_timeout_ns))
            return bad(a, v, "want a duration like 30s");
    } else if (is_opt(a, "--drain-timeout")) {
        if (!value(argc, argv, i, &v))
            return 2;
        if (!moat_cli_parse_duration(v, &c->drain_ns))
            return bad(a, v, "want a duration like 30s");
    } else if (is_opt(a, "--metrics")) {
        if (!value(argc, argv, i, &v))
            return 2;
        if (strcmp(v, "none") && v[0] != '/')
            return bad(a, v, "want a path starting with / or none");
        c->metrics_path = strcmp(v, "none") ? v : NULL;
    } else if (is_opt(a, "--access-log")) {
        if (!value(argc, argv, i, &v))
            return 2;
        c->access_log = strcmp(v, "none") ? v : NULL;
    } else if (a[0] == '-' && a[1] == 'O' && a[2] >= '0' && a[2] <= '3' &&
               !a[3]) {
        c->opt_level = a[2] - '0';
    } else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
        serve_usage(stdout);
        c->is_help = true;
    } else if (a[0] == '-') {
        fprintf(stderr, "moat serve: unknown option %s (moat serve --help)"
                        "\n", a);
        return 2;
    } else if (!c->routes_file) {
        c->routes_file = a;
    } else {
        fprintf(stderr, "moat serve: one route file only (%s, %s)\n",
                c->routes_file, a);
        return 2;
    }
    return 0;
}

int
serve_options(int argc, char **argv, ServeConfig *c)
{
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

    *c = (ServeConfig){
        .listen = "127.0.0.1:8080",
        .workers = ncpu > 0 ? (int)(ncpu > 64 ? 64 : ncpu) : 2,
        .timeout_ns = UINT64_C(30) * 1000000000u,
        .max_memory = (uint64_t)128 << 20,
        .max_body = (uint64_t)16 << 20,
        .max_header = (uint64_t)8 << 10,
        .idle_timeout_ns = UINT64_C(30) * 1000000000u,
        .drain_ns = UINT64_C(30) * 1000000000u,
        .metrics_path = "/metrics",
        .access_log = "-",
        .opt_level = 2,
        .max_inflight = 20000,
    };
    for (int i = 1; i < argc; i++) {
        int rc = one_option(c, argc, argv, &i);
        if (rc)
            return rc;
        if (c->is_help)
            return 0;
    }
    return 0;
}

void
serve_options_free(ServeConfig *c)
{
    free(c->route_args);
    c->route_args = NULL;
}
