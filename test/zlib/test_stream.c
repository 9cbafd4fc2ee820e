/* test_stream.c - the stream API, damaged input and traps, each checked
 * against native zlib in the same process (test_zlib.h). The native
 * reference (native.c) feeds its stream in the same chunks as the
 * sandbox, so the two outputs must be byte-identical.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "native.h"
#include "test_zlib.h"
#include "zlibwasm.h"

static void
stream_case(ZBox *b, const Input *in, const ZParams *p, size_t chunk)
{
    uint8_t *box = NULL, *nat = NULL, *back = NULL;
    size_t   nbox = 0, nnat = 0, nback = 0;
    char     name[96];

    snprintf(name, sizeof name, "%s deflate(%d,%d,%d,%d) chunk %zu",
             in->name, p->level, p->window_bits, p->mem_level, p->strategy,
             chunk);
    check(native_deflate(p, in->p, in->len, chunk, &nat, &nnat) == Z_OK,
          "native deflate", name);
    check(zbox_deflate(b, p, in->p, in->len, chunk, &box, &nbox) == Z_OK,
          "sandbox deflate", name);
    check(same_bytes(box, nbox, nat, nnat), "byte-identical to native",
          name);
    check(zbox_inflate(b, p->window_bits, box, nbox, chunk, in->len, &back,
                       &nback) == Z_OK &&
              same_bytes(back, nback, in->p, in->len),
          "sandbox inflate gives the input back", name);
    free(back);
    free(nat);
    free(box);
}

void
streams(ZBox *b, const Input *in)
{
    static const ZParams params[] = {
        { 6, 15, 8, Z_DEFAULT_STRATEGY }, { 1, 15, 8, Z_FILTERED },
        { 9, 15, 9, Z_HUFFMAN_ONLY },     { 6, 15, 8, Z_RLE },
        { 6, 15, 8, Z_FIXED },            { 6, 9, 1, Z_DEFAULT_STRATEGY },
        { 6, -15, 8, Z_DEFAULT_STRATEGY }, /* raw deflate */
        { 6, 31, 8, Z_DEFAULT_STRATEGY }, /* gzip wrapper */
        { 0, 15, 8, Z_DEFAULT_STRATEGY }, { 9, 15, 8, Z_DEFAULT_STRATEGY },
    };

    for (size_t i = 0; i < sizeof params / sizeof params[0]; i++) {
        if (in->len <= 64)
            stream_case(b, in, &params[i], 1);
        stream_case(b, in, &params[i], 999);
        stream_case(b, in, &params[i], 65536);
    }
}

/* Sandbox and native uncompress of src: same status, same output. */
static int
uncompress_agrees(ZBox *b, const uint8_t *src, size_t len, size_t room)
{
    uint8_t *x = malloc(room + 1), *y = malloc(room + 1);
    uLongf   nx = (uLongf)room;
    size_t   ny = room;
    int      rx = uncompress(x, &nx, src, (uLong)len);
    int      ry = zbox_uncompress(b, y, &ny, src, len);
    int      ok = rx == ry && (rx != Z_OK || same_bytes(x, nx, y, ny));

    if (!ok)
        printf("native %d (%lu bytes), sandbox %d (%zu bytes)\n", rx,
               (unsigned long)nx, ry, ny);
    free(y);
    free(x);
    return ok;
}

/* Stream inflate of bad input: Z_DATA_ERROR and zlib's own message. */
static void
stream_error(ZBox *b, const uint8_t *src, size_t len, const char *msg,
             const char *name)
{
    uint8_t *out = NULL;
    size_t   nout = 0;
    int      rc = zbox_inflate(b, 15, src, len, 512, 1 << 20, &out, &nout);

    check(rc == Z_DATA_ERROR, "stream inflate: Z_DATA_ERROR", name);
    check(strcmp(zbox_error(b)->msg, msg) == 0, msg, name);
    free(out);
}

void
corrupt(ZBox *b)
{
    uint8_t *text = corpus_make(CORPUS_TEXT, 4000, 7), z[8192];
    uLongf   nz = sizeof z;
    uint8_t  bad[8192];
    unsigned disagree = 0;

    if (!text || compress2(z, &nz, text, 4000, 6) != Z_OK)
        abort();
    memcpy(bad, z, nz);
    bad[0] ^= 1;
    check(uncompress_agrees(b, bad, nz, 4000), "header byte 0 flipped",
          "corrupt");
    stream_error(b, bad, nz, "incorrect header check", "corrupt header");
    memcpy(bad, z, nz);
    bad[2] = 0x06;                  /* BFINAL 0, BTYPE 11: reserved */
    check(uncompress_agrees(b, bad, nz, 4000), "reserved block type",
          "corrupt");
    stream_error(b, bad, nz, "invalid block type", "corrupt block type");
    memcpy(bad, z, nz);
    bad[nz - 1] ^= 0x80;
    check(uncompress_agrees(b, bad, nz, 4000), "adler32 trailer damaged",
          "corrupt");
    stream_error(b, bad, nz, "incorrect data check", "corrupt trailer");
    for (size_t cut = 0; cut < nz; cut += 37)
        disagree += !uncompress_agrees(b, z, cut, 4000);
    check(disagree == 0, "every truncation: same status", "truncated");
    /* every byte of the stream damaged in turn, each bit pattern once */
    disagree = 0;
    for (size_t at = 0; at < nz; at++) {
        memcpy(bad, z, nz);
        bad[at] ^= (uint8_t)(1u << (at % 8)) | 0x20;
        disagree += !uncompress_agrees(b, bad, nz, 4000);
    }
    check(disagree == 0, "every damaged byte: same status and output",
          "corrupt sweep");
    /* foreign bytes: random data and text, none of it zlib's */
    disagree = 0;
    for (uint32_t seed = 1; seed <= 300; seed++) {
        size_t   n = seed * 7 % 3000;
        uint8_t *r = corpus_make(seed % 2 ? CORPUS_RANDOM : CORPUS_TEXT, n,
                                 seed);

        if (n >= 2 && seed % 3 == 0) {  /* a valid header, random body */
            r[0] = 0x78;
            r[1] = 0x9c;
        }
        disagree += !uncompress_agrees(b, r, n, 65536);
        free(r);
    }
    check(disagree == 0, "300 foreign inputs: same status", "garbage");
    free(text);
}

/* The code of the last typed call on inst. */
static moat_status
last(moat_instance *inst)
{
    return moat_instance_last_error(inst)->code;
}

void
containment(ZBox *b)
{
    moat_instance *inst = zbox_instance(b);
    uint32_t       s;
    uint8_t        out[64];
    size_t         nout = sizeof out;
    int            ok;

    /* The host hands the guest an input pointer past its memory: zlib
     * reads it, the sandbox traps, the host goes on. */
    s = zlibwasm_zs_new(inst);
    ok = last(inst) == MOAT_OK && s != 0;
    ok = ok && zlibwasm_zs_inflate_init(inst, s, 15) == Z_OK;
    zlibwasm_zs_set_in(inst, s, 0xfffff000u, 4096);
    ok = ok && last(inst) == MOAT_OK;
    zlibwasm_zs_set_out(inst, s, s, 16);
    check(ok && last(inst) == MOAT_OK,
          "stream set up with a bad input pointer", "containment");
    zlibwasm_zs_inflate(inst, s, Z_NO_FLUSH);
    check(last(inst) == MOAT_ERR_TRAP,
          "inflate reading past guest memory traps", "containment");
    check(moat_instance_last_error(inst)->trap == MOAT_TRAP_MEMORY_OOB,
          "as out of bounds memory access", "containment");
    zlibwasm_uncompress(inst, 0xffff0000u, 0xfffffff0u, 0, 100);
    check(last(inst) == MOAT_ERR_TRAP,
          "uncompress with pointers past guest memory traps", "containment");
    check(zbox_compress2(b, out, &nout, (const uint8_t *)"after", 5, 9) ==
                  Z_OK && nout > 5,
          "the box works after the traps", "containment");
}
