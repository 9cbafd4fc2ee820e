/* cgi_out.c - the CGI header block at the start of a handler's stdout
 * (RFC 3875 6.2-6.3, as WAGI reads it): "Name: value" lines ended by LF or
 * CRLF, up to an empty line. Status and Location are understood; every
 * other header is handed on. Which headers the server sends, adds or
 * refuses is main.c's business.
 *
 * The buffer is only read until the block is known complete and good, so
 * that the server may call again as output arrives; each call reads at
 * most SERVE_CGI_HEADER_BYTES + 2 bytes.
 */
#include <string.h>
#include <strings.h>

#include "serve.h"

_Static_assert(SERVE_CGI_HEADER_BYTES == 16384, "the message says 16384");

/* tchar of RFC 7230 3.2.6: what a header name is made of. */
static bool
is_tchar(unsigned char c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
        (c >= 'A' && c <= 'Z'))
        return true;
    return c && strchr("!#$%&'*+-.^_`|~", c);
}

static bool
is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* A header line's parts, as offsets in the buffer. */
typedef struct Field {
    size_t name, colon, value, value_end;
} Field;

/* The parse so far: fields to be cut out on success. */
typedef struct Block {
    Field    f[SERVE_CGI_MAX_HEADERS];
    size_t   n;
    unsigned status;            /* 0 until a Status line */
    bool     has_location;
} Block;

/* "404" or "404 Not Found": 100..599, the reason phrase ignored. */
static bool
parse_status(const char *s, size_t n, unsigned *status)
{
    if (n < 3 || (n > 3 && !is_blank(s[3])))
        return false;
    unsigned v = 0;
    for (int i = 0; i < 3; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    if (v < 100 || v > 599)
        return false;
    *status = v;
    return true;
}

/* One non-empty header line buf[at..end) (line ending removed). NULL
 * when taken, else why it is malformed. */
static const char *
take_line(const char *buf, size_t at, size_t end, Block *b)
{
    size_t p = at;

    if (is_blank(buf[at]))
        return "header line starts with a blank (folded lines are not "
               "allowed)";
    while (p < end && is_tchar((unsigned char)buf[p]))
        p++;
    if (p == end || buf[p] != ':')
        return memchr(buf + at, ':', end - at)
                   ? "header name is not a token"
                   : "header line without a colon";
    if (p == at)
        return "empty header name";
    Field fl = { .name = at, .colon = p, .value = p + 1, .value_end = end };
    while (fl.value < end && is_blank(buf[fl.value]))
        fl.value++;
    while (fl.value_end > fl.value && is_blank(buf[fl.value_end - 1]))
        fl.value_end--;
    for (size_t i = fl.value; i < fl.value_end; i++) {
        unsigned char c = (unsigned char)buf[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return "control character (CR, NUL, ...) in a header value";
    }
    size_t nname = p - at, nvalue = fl.value_end - fl.value;
    if (nname == 6 && !strncasecmp(buf + at, "Status", 6)) {
        if (b->status)
            return "Status given twice";
        if (!parse_status(buf + fl.value, nvalue, &b->status))
            return "Status is not a code 100..599 with an optional reason";
        return NULL;
    }
    if (nname == 8 && !strncasecmp(buf + at, "Location", 8)) {
        if (!nvalue)
            return "empty Location";
        b->has_location = true;
    }
    if (b->n == SERVE_CGI_MAX_HEADERS)
        return "too many headers";
    b->f[b->n++] = fl;
    return NULL;
}

/* Cuts names and values out of buf (NULs at the colon and after the
 * value) and fills out. */
static void
fill(char *buf, const Block *b, size_t body_offset, ServeCgiOut *out)
{
    out->status = b->status ? b->status : b->has_location ? 302 : 200;
    out->nheaders = b->n;
    out->body_offset = body_offset;
    for (size_t i = 0; i < b->n; i++) {
        const Field *fl = &b->f[i];
        buf[fl->colon] = '\0';
        buf[fl->value_end] = '\0';
        out->headers[i].name = buf + fl->name;
        out->headers[i].value = buf + fl->value;
    }
}

int
serve_cgi_parse(char *buf, size_t len, ServeCgiOut *out, const char **why)
{
    /* The header lines may take SERVE_CGI_HEADER_BYTES, the empty line
     * after them 2 more: nothing beyond can be part of a good block. */
    size_t lim = len < SERVE_CGI_HEADER_BYTES + 2 ? len
                                                  : SERVE_CGI_HEADER_BYTES + 2;
    Block  b = { .n = 0 };
    size_t at = 0;

    for (;;) {
        const char *nl = memchr(buf + at, '\n', lim - at);
        if (!nl)
            break;
        size_t end = (size_t)(nl - buf), next = end + 1;
        if (end > at && buf[end - 1] == '\r')
            end--;
        if (end == at) {                        /* the empty line */
            if (at > SERVE_CGI_HEADER_BYTES)
                break;
            fill(buf, &b, next, out);
            return 1;
        }
        const char *bad = take_line(buf, at, end, &b);
        if (bad) {
            *why = bad;
            return -1;
        }
        at = next;
    }
    /* Incomplete. The header lines have at least the complete ones'
     * bytes, and the partial line's plus its LF unless it may yet be the
     * empty line ("" or "\r"). */
    size_t rest = lim - at, least = at;
    if (rest > 1 || (rest == 1 && buf[at] != '\r'))
        least += rest + 1;
    if (least > SERVE_CGI_HEADER_BYTES) {
        *why = "header block too large (no empty line in the first "
               "16384 bytes)";
        return -1;
    }
    return 0;
}
