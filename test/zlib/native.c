/* native.c - native zlib driven like the sandboxed one (native.h): the
 * loops of zbox_deflate and zbox_inflate, on a z_stream in this process.
 */
#include "native.h"

#include <stdio.h>
#include <stdlib.h>

#include <zlib.h>

int
native_deflate(const ZParams *p, const uint8_t *src, size_t len,
               size_t chunk, uint8_t **out, size_t *out_len)
{
    z_stream s = { 0 };
    size_t   cap, pos = 0, n = 0;
    uint8_t *o;
    int      rc = Z_OK, flush;

    if ((rc = deflateInit2(&s, p->level, Z_DEFLATED, p->window_bits,
                           p->mem_level, p->strategy)) != Z_OK)
        return rc;
    cap = deflateBound(&s, (uLong)len) + chunk;
    if (!(o = malloc(cap)))
        abort();                        /* test code: nothing to save */
    do {
        size_t in = len - pos < chunk ? len - pos : chunk;

        s.next_in = (Bytef *)(uintptr_t)(src + pos);
        s.avail_in = (uInt)in;
        pos += in;
        flush = pos == len ? Z_FINISH : Z_NO_FLUSH;
        do {
            s.next_out = o + n;
            s.avail_out = (uInt)chunk;
            rc = deflate(&s, flush);
            n += chunk - s.avail_out;
        } while (s.avail_out == 0);
    } while (flush != Z_FINISH);
    deflateEnd(&s);
    if (rc != Z_STREAM_END) {
        free(o);
        return Z_STREAM_ERROR;
    }
    *out = o;
    *out_len = n;
    return Z_OK;
}

/* One inflate call into a fresh chunk at the end of *o (grown as
 * needed); 1 when the output would pass max_out, as stream_step. */
static int
inflate_step(z_stream *s, uint8_t **o, size_t *n, size_t *cap, size_t chunk,
             size_t max_out, int *zrc)
{
    uint8_t *tmp = malloc(chunk);
    size_t   have;

    if (!tmp)
        abort();
    s->next_out = tmp;
    s->avail_out = (uInt)chunk;
    *zrc = inflate(s, Z_NO_FLUSH);
    have = chunk - s->avail_out;
    if (*n + have > max_out) {
        free(tmp);
        return 1;
    }
    if (*n + have > *cap) {
        *cap = (*n + have) * 2;
        if (!(*o = realloc(*o, *cap)))
            abort();
    }
    for (size_t i = 0; i < have; i++)
        (*o)[*n + i] = tmp[i];
    *n += have;
    free(tmp);
    return 0;
}

int
native_inflate(int window_bits, const uint8_t *src, size_t len,
               size_t chunk, size_t max_out, uint8_t **out,
               size_t *out_len, char *msg, size_t nmsg)
{
    z_stream s = { 0 };
    uint8_t *o = NULL;
    size_t   n = 0, cap = 0, pos = 0;
    int      rc, zrc = Z_OK;

    if ((rc = inflateInit2(&s, window_bits)) != Z_OK)
        return rc;
    do {
        size_t in = len - pos < chunk ? len - pos : chunk;

        if (pos == len) {
            rc = Z_BUF_ERROR;
            goto end;
        }
        s.next_in = (Bytef *)(uintptr_t)(src + pos);
        s.avail_in = (uInt)in;
        pos += in;
        do {
            if (inflate_step(&s, &o, &n, &cap, chunk, max_out, &zrc)) {
                rc = Z_BUF_ERROR;
                goto end;
            }
            if (zrc == Z_NEED_DICT)
                zrc = Z_DATA_ERROR;
            if (zrc != Z_OK && zrc != Z_STREAM_END && zrc != Z_BUF_ERROR) {
                snprintf(msg, nmsg, "%s", s.msg ? s.msg : "");
                rc = zrc;
                goto end;
            }
        } while (s.avail_out == 0 && zrc != Z_STREAM_END);
    } while (zrc != Z_STREAM_END);
    rc = Z_OK;
end:
    inflateEnd(&s);
    if (rc == Z_OK) {
        *out = o;
        *out_len = n;
    } else {
        free(o);
    }
    return rc;
}
