/* zbox.c - the host side of the zlib plugin (zbox.h): one Moat instance
 * of the linked-in plugin (zlibwasm.o, its typed wrappers in the generated
 * zlibwasm.h), the host's buffers copied through guest malloc, every
 * guest call checked. What the guest computes is zlib's; this file only
 * moves bytes across the boundary and turns traps into ZBOX_FAILED.
 */
#include "zbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>                 /* the Z_ constants: same zlib version */

#include "moat_wasi.h"
#include "zlibwasm.h"             /* moat compile --header, build.sh */

struct ZBox {
    moat_engine   *engine;
    moat_module   *module;
    moat_linker   *linker;
    moat_wasi     *wasi;
    moat_instance *inst;
    moat_error     err;
    char          *out[3];      /* guest stdout/stderr of the last program */
    size_t         nout[3];
};

ZBox *
zbox_open(const char *dir, uint64_t max_memory)
{
    ZBox *b = calloc(1, sizeof *b);
    moat_error *err;

    if (!b)
        return NULL;
    err = &b->err;
    if (moat_engine_new(&b->engine, err) != MOAT_OK)
        goto fail;
    if (max_memory)
        moat_engine_set_max_memory(b->engine, max_memory);
    if (moat_module_from_descriptor(b->engine, &zlibwasm_descriptor,
                                    &b->module, err) != MOAT_OK ||
        moat_wasi_new(&b->wasi, err) != MOAT_OK ||
        moat_wasi_capture(b->wasi, 1, err) != MOAT_OK ||
        moat_wasi_capture(b->wasi, 2, err) != MOAT_OK ||
        (dir && moat_wasi_preopen(b->wasi, dir, "/work", err) != MOAT_OK) ||
        moat_linker_new(b->engine, &b->linker, err) != MOAT_OK ||
        moat_wasi_define(b->linker, b->wasi, err) != MOAT_OK ||
        moat_instance_new(b->linker, b->module, &b->inst, err) != MOAT_OK)
        goto fail;
    /* A reactor: wasi-libc's constructors run once, before any export. */
    zlibwasm__initialize(b->inst);
    if (moat_instance_last_error(b->inst)->code != MOAT_OK) {
        *err = *moat_instance_last_error(b->inst);
        goto fail;
    }
    return b;
fail:
    fprintf(stderr, "zbox: %s: %s\n", moat_status_string(b->err.code),
            b->err.msg);
    zbox_close(b);
    return NULL;
}

void
zbox_close(ZBox *b)
{
    if (!b)
        return;
    free(b->out[1]);
    free(b->out[2]);
    moat_instance_free(b->inst);
    moat_linker_free(b->linker);
    moat_wasi_free(b->wasi);
    moat_module_free(b->module);
    moat_engine_free(b->engine);
    free(b);
}

moat_instance *
zbox_instance(ZBox *b)
{
    return b->inst;
}

const moat_error *
zbox_error(const ZBox *b)
{
    return &b->err;
}

const char *
zbox_output(ZBox *b, int fd, size_t *len)
{
    if (fd != 1 && fd != 2)
        return NULL;
    *len = b->nout[fd];
    return b->out[fd] ? b->out[fd] : "";
}

/* Keeps what the guest wrote during the call that just returned (the
 * capture starts again with the next call). */
static void
keep_output(ZBox *b)
{
    for (int fd = 1; fd <= 2; fd++) {
        size_t      n = 0;
        const char *s = moat_wasi_captured(b->wasi, fd, &n);

        free(b->out[fd]);
        b->out[fd] = malloc(n + 1);
        b->nout[fd] = b->out[fd] ? n : 0;
        if (b->out[fd]) {
            memcpy(b->out[fd], s ? s : "", n);
            b->out[fd][n] = '\0';
        }
    }
}

/* one_shot's level for uncompress: no zlib level. */
#define UNCOMPRESS INT32_MIN

/* Whether the last typed call returned; if not (a trap, an exit), why
 * goes to b->err. */
static int
returned(ZBox *b)
{
    const moat_error *e = moat_instance_last_error(b->inst);

    if (e->code == MOAT_OK)
        return 1;
    b->err = *e;
    return 0;
}

static int
fail_msg(ZBox *b, moat_status code, const char *msg)
{
    memset(&b->err, 0, sizeof b->err);
    b->err.code = code;
    snprintf(b->err.msg, sizeof b->err.msg, "%s", msg);
    return ZBOX_FAILED;
}

/* A guest buffer of n bytes (n = 0 still gets one), holding src when
 * given; 0 when the guest has no room or trapped (b->err says which). */
static uint32_t
guest_alloc(ZBox *b, const void *src, size_t n)
{
    uint32_t p = 0;

    if (n > UINT32_MAX - 16) {
        fail_msg(b, MOAT_ERR_LIMIT, "buffer larger than guest memory");
        return 0;
    }
    p = zlibwasm_malloc(b->inst, (uint32_t)(n ? n : 1));
    if (!returned(b))
        return 0;
    if (p == 0) {
        fail_msg(b, MOAT_ERR_NOMEM, "guest malloc returned NULL");
        return 0;
    }
    if (src && n && moat_instance_memory_write(b->inst, p, src, n,
                                               &b->err) != MOAT_OK)
        return 0;
    return p;
}

static void
guest_free(ZBox *b, uint32_t p)
{
    if (p)
        zlibwasm_free(b->inst, p);
}

static int
read_guest(ZBox *b, uint32_t p, void *dst, size_t n)
{
    if (n && moat_instance_memory_read(b->inst, p, dst, n, &b->err) !=
                 MOAT_OK)
        return ZBOX_FAILED;
    return 0;
}

int
zbox_version(ZBox *b, char *buf, size_t n)
{
    uint32_t p;
    size_t   i;

    p = zlibwasm_zlibVersion(b->inst);
    if (!returned(b))
        return ZBOX_FAILED;
    for (i = 0; i + 1 < n; i++) {
        if (read_guest(b, p + (uint32_t)i, &buf[i], 1) != 0)
            return ZBOX_FAILED;
        if (buf[i] == '\0')
            return 0;
    }
    buf[i] = '\0';
    return 0;
}

/* compress2 and uncompress share their shape: (dst, &dst_len, src, len). */
static int
one_shot(ZBox *b, int level, uint8_t *dst, size_t *dst_len,
         const uint8_t *src, size_t len)
{
    uint32_t gsrc = 0, gdst = 0, glen = 0, room;
    int32_t  zrc;
    int      rc = ZBOX_FAILED;

    if (*dst_len > UINT32_MAX - 16 || len > UINT32_MAX - 16)
        return fail_msg(b, MOAT_ERR_LIMIT, "buffer larger than 4 GiB");
    room = (uint32_t)*dst_len;
    if (!(gsrc = guest_alloc(b, src, len)) ||
        !(gdst = guest_alloc(b, NULL, room)) ||
        !(glen = guest_alloc(b, &room, sizeof room)))
        goto out;
    if (level == UNCOMPRESS)
        zrc = (int32_t)zlibwasm_uncompress(b->inst, gdst, glen, gsrc,
                                           (uint32_t)len);
    else
        zrc = (int32_t)zlibwasm_compress2(b->inst, gdst, glen, gsrc,
                                          (uint32_t)len, (uint32_t)level);
    if (!returned(b))
        goto out;
    if (read_guest(b, glen, &room, sizeof room) != 0)
        goto out;
    if (room > *dst_len) {            /* the guest may write anything */
        rc = fail_msg(b, MOAT_ERR_TRAP, "guest reported a length past dst");
        goto out;
    }
    if (read_guest(b, gdst, dst, room) != 0)
        goto out;
    *dst_len = room;
    rc = zrc;
out:
    guest_free(b, glen);
    guest_free(b, gdst);
    guest_free(b, gsrc);
    return rc;
}

int
zbox_compress2(ZBox *b, uint8_t *dst, size_t *dst_len, const uint8_t *src,
               size_t len, int level)
{
    if (level == UNCOMPRESS)
        return Z_STREAM_ERROR;          /* what compress2 says to -1000 */
    return one_shot(b, level, dst, dst_len, src, len);
}

int
zbox_uncompress(ZBox *b, uint8_t *dst, size_t *dst_len, const uint8_t *src,
                size_t len)
{
    return one_shot(b, UNCOMPRESS, dst, dst_len, src, len);
}

int
zbox_compress_bound(ZBox *b, size_t len, size_t *out)
{
    uint32_t r;

    if (len > UINT32_MAX)
        return fail_msg(b, MOAT_ERR_LIMIT, "input larger than 4 GiB");
    r = zlibwasm_compressBound(b->inst, (uint32_t)len);
    if (!returned(b))
        return ZBOX_FAILED;
    *out = r;
    return 0;
}

/* zlibwasm_crc32 or zlibwasm_adler32: (sum, buf, len) -> sum. */
typedef uint32_t (*Checksum)(moat_instance *, uint32_t, uint32_t, uint32_t);

static int
checksum(ZBox *b, Checksum fn, uint32_t *sum, const uint8_t *src, size_t len)
{
    uint32_t g = guest_alloc(b, src, len), r;
    int      rc = ZBOX_FAILED;

    if (!g)
        return ZBOX_FAILED;
    r = fn(b->inst, *sum, g, (uint32_t)len);
    if (returned(b)) {
        *sum = r;
        rc = 0;
    }
    guest_free(b, g);
    return rc;
}

int
zbox_crc32(ZBox *b, uint32_t *sum, const uint8_t *src, size_t len)
{
    return checksum(b, zlibwasm_crc32, sum, src, len);
}

int
zbox_adler32(ZBox *b, uint32_t *sum, const uint8_t *src, size_t len)
{
    return checksum(b, zlibwasm_adler32, sum, src, len);
}

/* The end of a test program's run: its main's value r when the call
 * returned (ok), its status when it exited; else ZBOX_FAILED. */
static int
program_end(ZBox *b, int ok, uint32_t r, int *exit_code)
{
    if (ok) {
        *exit_code = (int)r;
        return 0;
    }
    if (b->err.code == MOAT_ERR_EXIT) {         /* exit(1) on a failure */
        *exit_code = (int)b->err.exit_code;
        return 0;
    }
    return ZBOX_FAILED;
}

int
zbox_example(ZBox *b, const char *path, int *exit_code)
{
    uint32_t g = guest_alloc(b, path, strlen(path) + 1), r;
    int      ok;

    if (!g)
        return ZBOX_FAILED;
    r = zlibwasm_zs_example(b->inst, g);
    ok = returned(b);
    keep_output(b);
    guest_free(b, g);
    return program_end(b, ok, r, exit_code);
}

int
zbox_minigzip(ZBox *b, const char *option, const char *path,
              int *exit_code)
{
    uint32_t go = guest_alloc(b, option, strlen(option) + 1), gp = 0, r = 0;
    int      ok = 0;

    if (go && (gp = guest_alloc(b, path, strlen(path) + 1))) {
        r = zlibwasm_zs_minigzip(b->inst, go, gp);
        ok = returned(b);
        keep_output(b);
    }
    guest_free(b, gp);
    guest_free(b, go);
    if (!go || !gp)
        return ZBOX_FAILED;
    return program_end(b, ok, r, exit_code);
}

int
zbox_infcover(ZBox *b)
{
    int32_t r = (int32_t)zlibwasm_zs_infcover(b->inst);
    int     ok = returned(b);

    keep_output(b);
    return ok ? r : ZBOX_FAILED;
}

/* A host buffer that grows as a stream's output arrives. */
typedef struct Out {
    uint8_t *p;
    size_t   n, cap;
} Out;

/* Appends the `have` bytes at guest address g to o; 0 or ZBOX_FAILED. */
static int
take_output(ZBox *b, Out *o, uint32_t g, size_t have)
{
    if (have == 0)                  /* o->p may still be NULL */
        return 0;
    if (o->n + have > o->cap) {
        size_t   cap = o->cap ? o->cap : 4096;
        uint8_t *p;

        while (cap < o->n + have)
            cap *= 2;
        if (!(p = realloc(o->p, cap)))
            return fail_msg(b, MOAT_ERR_NOMEM, "host out of memory");
        o->p = p;
        o->cap = cap;
    }
    if (read_guest(b, g, o->p + o->n, have) != 0)
        return ZBOX_FAILED;
    o->n += have;
    return 0;
}

/* One stream in the sandbox: the z_stream and its two chunk buffers. */
typedef struct Stream {
    uint32_t s, in, out, chunk;
} Stream;

static int
stream_open(ZBox *b, Stream *st, size_t chunk)
{
    memset(st, 0, sizeof *st);
    if (chunk == 0 || chunk > (1u << 30))
        return fail_msg(b, MOAT_ERR_LIMIT, "chunk size out of range");
    st->chunk = (uint32_t)chunk;
    st->s = zlibwasm_zs_new(b->inst);
    if (!returned(b))
        return ZBOX_FAILED;
    if (!st->s)
        return fail_msg(b, MOAT_ERR_NOMEM, "guest calloc returned NULL");
    if (!(st->in = guest_alloc(b, NULL, chunk)) ||
        !(st->out = guest_alloc(b, NULL, chunk)))
        return ZBOX_FAILED;
    return 0;
}

static void
stream_close(ZBox *b, Stream *st)
{
    guest_free(b, st->out);
    guest_free(b, st->in);
    if (st->s)
        zlibwasm_zs_free(b->inst, st->s);
}

/* Feeds the next at most chunk bytes of src[*pos..len) to the stream. */
static int
stream_feed(ZBox *b, Stream *st, const uint8_t *src, size_t len,
            size_t *pos)
{
    size_t n = len - *pos < st->chunk ? len - *pos : st->chunk;

    if (n && moat_instance_memory_write(b->inst, st->in, src + *pos, n,
                                        &b->err) != MOAT_OK)
        return ZBOX_FAILED;
    zlibwasm_zs_set_in(b->inst, st->s, st->in, (uint32_t)n);
    if (!returned(b))
        return ZBOX_FAILED;
    *pos += n;
    return 0;
}

/* zlibwasm_zs_deflate or zlibwasm_zs_inflate: (stream, flush) -> status */
typedef uint32_t (*Step)(moat_instance *, uint32_t, uint32_t);

/* One deflate or inflate call with a fresh output chunk; the output goes
 * to o. *full: the chunk was filled (call again). 1 when o would grow
 * past max_out. */
static int
stream_step(ZBox *b, Stream *st, Step fn, int32_t flush, Out *o,
            size_t max_out, int *zrc, int *full)
{
    uint32_t avail;
    int32_t  r;

    zlibwasm_zs_set_out(b->inst, st->s, st->out, st->chunk);
    if (!returned(b))
        return ZBOX_FAILED;
    r = (int32_t)fn(b->inst, st->s, (uint32_t)flush);
    if (!returned(b))
        return ZBOX_FAILED;
    avail = zlibwasm_zs_avail_out(b->inst, st->s);
    if (!returned(b))
        return ZBOX_FAILED;
    if (avail > st->chunk)              /* the guest may write anything */
        return fail_msg(b, MOAT_ERR_TRAP, "guest avail_out past its chunk");
    if (o->n + (st->chunk - avail) > max_out)
        return 1;
    *zrc = r;
    *full = avail == 0;
    return take_output(b, o, st->out, st->chunk - avail);
}

int
zbox_deflate(ZBox *b, const ZParams *p, const uint8_t *src, size_t len,
             size_t chunk, uint8_t **out, size_t *out_len)
{
    Stream  st;
    Out     o = { 0 };
    size_t  pos = 0;
    int32_t init;
    int     rc, zrc = Z_OK, full, flush;

    if ((rc = stream_open(b, &st, chunk)) != 0)
        goto out;
    init = (int32_t)zlibwasm_zs_deflate_init(
        b->inst, st.s, (uint32_t)p->level, (uint32_t)p->window_bits,
        (uint32_t)p->mem_level, (uint32_t)p->strategy);
    if (!returned(b)) {
        rc = ZBOX_FAILED;
        goto out;
    }
    if ((rc = init) != Z_OK)
        goto out;
    do {
        if ((rc = stream_feed(b, &st, src, len, &pos)) != 0)
            goto end;
        flush = pos == len ? Z_FINISH : Z_NO_FLUSH;
        do {
            if ((rc = stream_step(b, &st, zlibwasm_zs_deflate, flush, &o,
                                  SIZE_MAX, &zrc, &full)) != 0)
                goto end;
            if (zrc != Z_OK && zrc != Z_STREAM_END && zrc != Z_BUF_ERROR) {
                rc = zrc;
                goto end;
            }
        } while (full);
    } while (flush != Z_FINISH);
    rc = zrc == Z_STREAM_END ? Z_OK : Z_STREAM_ERROR;
end:
    zlibwasm_zs_deflate_end(b->inst, st.s);
    if (!returned(b) && rc >= 0)
        rc = ZBOX_FAILED;
out:
    stream_close(b, &st);
    if (rc == Z_OK) {
        *out = o.p;
        *out_len = o.n;
    } else {
        free(o.p);
    }
    return rc;
}

/* zlib's message for the stream's last error into b->err.msg. */
static void
stream_msg(ZBox *b, const Stream *st)
{
    uint32_t m;
    size_t   i;

    memset(&b->err, 0, sizeof b->err);
    m = zlibwasm_zs_msg(b->inst, st->s);
    if (!returned(b) || m == 0)
        return;
    for (i = 0; i + 1 < sizeof b->err.msg; i++)
        if (read_guest(b, m + (uint32_t)i, &b->err.msg[i], 1) != 0 ||
            b->err.msg[i] == '\0')
            break;
    b->err.msg[i] = '\0';
    b->err.code = MOAT_OK;
}

int
zbox_inflate(ZBox *b, int window_bits, const uint8_t *src, size_t len,
             size_t chunk, size_t max_out, uint8_t **out, size_t *out_len)
{
    Stream  st;
    Out     o = { 0 };
    size_t  pos = 0;
    int32_t init;
    int     rc, zrc = Z_OK, full;

    if ((rc = stream_open(b, &st, chunk)) != 0)
        goto out;
    init = (int32_t)zlibwasm_zs_inflate_init(b->inst, st.s,
                                             (uint32_t)window_bits);
    if (!returned(b)) {
        rc = ZBOX_FAILED;
        goto out;
    }
    if ((rc = init) != Z_OK)
        goto out;
    do {
        if (pos == len) {               /* the input ended early */
            rc = Z_BUF_ERROR;
            goto end;
        }
        if ((rc = stream_feed(b, &st, src, len, &pos)) != 0)
            goto end;
        do {
            rc = stream_step(b, &st, zlibwasm_zs_inflate, Z_NO_FLUSH, &o,
                             max_out, &zrc, &full);
            if (rc == 1)
                rc = Z_BUF_ERROR;
            if (rc != 0)
                goto end;
            if (zrc == Z_NEED_DICT)
                zrc = Z_DATA_ERROR;
            if (zrc != Z_OK && zrc != Z_STREAM_END && zrc != Z_BUF_ERROR) {
                stream_msg(b, &st);
                rc = zrc;
                goto end;
            }
        } while (full && zrc != Z_STREAM_END);
    } while (zrc != Z_STREAM_END);
    rc = Z_OK;
end:
    zlibwasm_zs_inflate_end(b->inst, st.s);
    if (!returned(b) && rc >= 0)
        rc = ZBOX_FAILED;
out:
    stream_close(b, &st);
    if (rc == Z_OK) {
        *out = o.p;
        *out_len = o.n;
    } else {
        free(o.p);
    }
    return rc;
}
