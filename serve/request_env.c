/* request_env.c - what a request tells its handler: the headers as MHD
 * parsed them, the client's address, the server name and port (the Host
 * header's, else the listen address's), the raw path, and the WAGI
 * environment and argv built from them by cgi_env.c.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "serve.h"

/* Every header MHD parsed (as many as the head limit let in: none is
 * dropped), and room for one more. */
typedef struct HeaderList {
    ServeHeader *v;
    size_t       n, cap;
} HeaderList;

static enum MHD_Result
collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
               const char *value)
{
    HeaderList *l = cls;

    (void)kind;
    if (l->n < l->cap)
        l->v[l->n++] = (ServeHeader){ key, value ? value : "" };
    return MHD_YES;
}

static void
client_address(struct MHD_Connection *c, char *buf, size_t n)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
        c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

    snprintf(buf, n, "unknown");
    if (!ci || !ci->client_addr)
        return;
    if (ci->client_addr->sa_family == AF_INET)
        inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)
                             ci->client_addr)->sin_addr, buf, (socklen_t)n);
    else if (ci->client_addr->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)(void *)
                              ci->client_addr)->sin6_addr, buf,
                  (socklen_t)n);
}

/* SERVER_NAME and SERVER_PORT: the Host header's, else the listen
 * address's. */
static char *
server_name(Req *r, unsigned *port)
{
    const char *host = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
                                                   "Host");
    const char *listen = r->w->cfg->listen;
    const char *src = host && *host ? host : listen;
    const char *colon = strrchr(src, ':');
    const char *close = strrchr(src, ']');

    if (colon && close && colon < close)
        colon = NULL;           /* "[::1]" without a port */
    size_t len = colon ? (size_t)(colon - src) : strlen(src);
    *port = colon ? (unsigned)strtoul(colon + 1, NULL, 10) : 80;
    if (host && *host && !colon)
        *port = 80;
    if (!host || !*host) {
        const char *lc = strrchr(listen, ':');
        *port = lc ? (unsigned)strtoul(lc + 1, NULL, 10) : 80;
    }
    return strndup(src, len);
}

/* The environment and argv. body_len >= 0: a chunked body read whole,
 * whose length becomes CONTENT_LENGTH (RFC 3875 4.1.2). */
bool
serve_req_env(Req *r, const char *url, const char *version,
              const char *path_info, long long body_len)
{
    HeaderList  hl = { 0 };
    char        addr[64], clen[32];
    unsigned    port;
    const char *q = strchr(r->raw_uri, '?');
    char       *raw = strndup(r->raw_uri, q ? (size_t)(q - r->raw_uri)
                                            : strlen(r->raw_uri));
    char       *name = server_name(r, &port);
    int         nh = MHD_get_connection_values(r->conn, MHD_HEADER_KIND,
                                               NULL, NULL);

    hl.cap = (size_t)(nh > 0 ? nh : 0) + 1;
    hl.v = malloc(hl.cap * sizeof *hl.v);
    if (!raw || !name || !hl.v) {
        free(raw);
        free(name);
        free(hl.v);
        return false;
    }
    MHD_get_connection_values(r->conn, MHD_HEADER_KIND, collect_header, &hl);
    if (body_len >= 0) {        /* the room for one more */
        snprintf(clen, sizeof clen, "%lld", body_len);
        hl.v[hl.n++] = (ServeHeader){ MHD_HTTP_HEADER_CONTENT_LENGTH, clen };
    }
    client_address(r->conn, addr, sizeof addr);

    ServeRequestInfo ri = {
        .method = r->method, .raw_path = raw, .path = url,
        .query = q ? q + 1 : "", .protocol = version,
        .server_name = name, .server_port = port, .remote_addr = addr,
        .headers = hl.v, .nheaders = hl.n, .route = r->route->cfg,
        .path_info = path_info, .scheme = "http",
    };
    size_t n;
    r->env = serve_cgi_env(&ri, &n);
    r->argv = serve_cgi_argv(&ri, &n);
    free(raw);
    free(name);
    free(hl.v);
    return r->env && r->argv;
}

