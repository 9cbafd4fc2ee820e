/* log.c - the server's log (stderr) and the access log: every line is
 * formatted first and written with one write(2), so lines of different
 * workers never interleave (the access log file is opened O_APPEND).
 * Guest bytes are escaped: a handler cannot forge log lines.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "serve.h"

static int access_fd = -1;

bool
serve_log_open(const char *access_log)
{
    if (!access_log) {
        access_fd = -1;
        return true;
    }
    if (!strcmp(access_log, "-")) {
        access_fd = 2;
        return true;
    }
    access_fd = open(access_log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
                     0640);
    if (access_fd < 0) {
        fprintf(stderr, "moat serve: %s: cannot open the access log: %s\n",
                access_log, strerror(errno));
        return false;
    }
    return true;
}

static void
write_line(int fd, char *line, size_t n, size_t cap)
{
    if (n >= cap)
        n = cap - 1;
    line[n++] = '\n';
    while (n) {
        ssize_t w = write(fd, line, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        line += w;
        n -= (size_t)w;
    }
}

void
serve_log(const char *fmt, ...)
{
    char    line[1024];
    va_list ap;
    int     n = snprintf(line, sizeof line, "moat serve: ");

    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    if (m < 0)
        return;
    write_line(2, line, (size_t)n + (size_t)m, sizeof line);
}

/* Printable ASCII as is, anything else as \xHH; what does not fit ends
 * in "..." (a log line is cut, never silently). */
static size_t
escape(char *dst, size_t cap, const char *s, size_t n)
{
    size_t o = 0, i = 0;

    for (; i < n && o + 8 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '\\')
            dst[o++] = (char)c;
        else
            o += (size_t)snprintf(dst + o, cap - o, "\\x%02x", c);
    }
    if (i < n)
        o += (size_t)snprintf(dst + o, cap - o, "...");
    dst[o] = 0;
    return o;
}

void
serve_log_guest(uint64_t id, const char *text, size_t len)
{
    char line[4096 + 64];
    int  n = snprintf(line, sizeof line, "moat serve: [%llx] stderr: ",
                      (unsigned long long)id);

    n += (int)escape(line + n, sizeof line - (size_t)n - 1, text, len);
    write_line(2, line, (size_t)n, sizeof line);
}

void
serve_log_access(const Req *r, unsigned status, uint64_t dur_ns)
{
    char      line[2048], uri[600], stamp[32];
    struct tm tm;
    time_t    t = time(NULL);

    if (access_fd < 0)
        return;
    gmtime_r(&t, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    escape(uri, sizeof uri, r->raw_uri, strlen(r->raw_uri));
    int n = snprintf(line, sizeof line,
        "%s id=%llx method=%s uri=%s route=%s status=%u dur_us=%llu "
        "inst_us=%llu in=%llu out=%llu%s%s%s", stamp,
        (unsigned long long)r->id, r->method ? r->method : "-", uri,
        r->route ? r->route->cfg->pattern : "-", status,
        (unsigned long long)(dur_ns / 1000),
        (unsigned long long)(r->inst_ns / 1000),
        (unsigned long long)r->body_bytes, (unsigned long long)r->out_bytes,
        r->is_trap ? " trap=1" : "", r->is_deadline ? " deadline=1" : "",
        status ? "" : " refused-by-http-layer=1");
    if (n > 0)
        write_line(access_fd, line, (size_t)n, sizeof line);
}
