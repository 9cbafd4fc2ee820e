/* zbox_call.c - zbox_call.h through moat_instance_call, by export name,
 * with the plugin loaded from the object file named by $ZBOX_OBJECT.
 * (Stand-in until typed static plugins exist.)
 */
#include "zbox_call.h"

#include <stdlib.h>
#include <string.h>

static _Thread_local moat_error last;

static moat_status
call(moat_instance *inst, const char *name, const uint32_t *args, size_t n,
     uint32_t *out)
{
    moat_val    a[8] = { 0 }, r;
    moat_status st;

    for (size_t i = 0; i < n; i++)
        a[i] = (moat_val){ .type = MOAT_I32, .of.i32 = args[i] };
    memset(&last, 0, sizeof last);
    st = moat_instance_call(inst, name, a, n, &r, out ? 1 : 0, &last);
    if (st == MOAT_OK && out)
        *out = r.of.i32;
    return st;
}

#define ARGS(...) (const uint32_t[]){ __VA_ARGS__ }, \
    sizeof((const uint32_t[]){ __VA_ARGS__ }) / sizeof(uint32_t)

moat_status
zboxC_module(moat_engine *e, moat_module **out, moat_error *err)
{
    const char *path = getenv("ZBOX_OBJECT");

    return moat_module_load_file(e, path ? path : "zlibwasm.o", out, err);
}

const moat_error *
zboxC_error(moat_instance *inst)
{
    (void)inst;
    return &last;
}

moat_status
zboxC_initialize(moat_instance *inst)
{
    return call(inst, "_initialize", NULL, 0, NULL);
}

moat_status
zboxC_malloc(moat_instance *inst, uint32_t n, uint32_t *out)
{
    return call(inst, "malloc", ARGS(n), out);
}

moat_status
zboxC_free(moat_instance *inst, uint32_t p)
{
    return call(inst, "free", ARGS(p), NULL);
}

moat_status
zboxC_zlibVersion(moat_instance *inst, uint32_t *out)
{
    return call(inst, "zlibVersion", NULL, 0, out);
}

moat_status
zboxC_compressBound(moat_instance *inst, uint32_t len, uint32_t *out)
{
    return call(inst, "compressBound", ARGS(len), out);
}

moat_status
zboxC_compress2(moat_instance *inst, uint32_t dst, uint32_t dst_len,
                uint32_t src, uint32_t len, int32_t level, int32_t *out)
{
    return call(inst, "compress2",
                ARGS(dst, dst_len, src, len, (uint32_t)level),
                (uint32_t *)out);
}

moat_status
zboxC_uncompress(moat_instance *inst, uint32_t dst, uint32_t dst_len,
                 uint32_t src, uint32_t len, int32_t *out)
{
    return call(inst, "uncompress", ARGS(dst, dst_len, src, len),
                (uint32_t *)out);
}

moat_status
zboxC_crc32(moat_instance *inst, uint32_t sum, uint32_t p, uint32_t len,
            uint32_t *out)
{
    return call(inst, "crc32", ARGS(sum, p, len), out);
}

moat_status
zboxC_adler32(moat_instance *inst, uint32_t sum, uint32_t p, uint32_t len,
              uint32_t *out)
{
    return call(inst, "adler32", ARGS(sum, p, len), out);
}

moat_status
zboxC_zs_new(moat_instance *inst, uint32_t *out)
{
    return call(inst, "zs_new", NULL, 0, out);
}

moat_status
zboxC_zs_free(moat_instance *inst, uint32_t s)
{
    return call(inst, "zs_free", ARGS(s), NULL);
}

moat_status
zboxC_zs_deflate_init(moat_instance *inst, uint32_t s, int32_t level,
                      int32_t window_bits, int32_t mem_level,
                      int32_t strategy, int32_t *out)
{
    return call(inst, "zs_deflate_init",
                ARGS(s, (uint32_t)level, (uint32_t)window_bits,
                     (uint32_t)mem_level, (uint32_t)strategy),
                (uint32_t *)out);
}

moat_status
zboxC_zs_inflate_init(moat_instance *inst, uint32_t s, int32_t window_bits,
                      int32_t *out)
{
    return call(inst, "zs_inflate_init", ARGS(s, (uint32_t)window_bits),
                (uint32_t *)out);
}

moat_status
zboxC_zs_set_in(moat_instance *inst, uint32_t s, uint32_t p, uint32_t len)
{
    return call(inst, "zs_set_in", ARGS(s, p, len), NULL);
}

moat_status
zboxC_zs_set_out(moat_instance *inst, uint32_t s, uint32_t p, uint32_t len)
{
    return call(inst, "zs_set_out", ARGS(s, p, len), NULL);
}

moat_status
zboxC_zs_deflate(moat_instance *inst, uint32_t s, int32_t flush,
                 int32_t *out)
{
    return call(inst, "zs_deflate", ARGS(s, (uint32_t)flush),
                (uint32_t *)out);
}

moat_status
zboxC_zs_inflate(moat_instance *inst, uint32_t s, int32_t flush,
                 int32_t *out)
{
    return call(inst, "zs_inflate", ARGS(s, (uint32_t)flush),
                (uint32_t *)out);
}

moat_status
zboxC_zs_avail_out(moat_instance *inst, uint32_t s, uint32_t *out)
{
    return call(inst, "zs_avail_out", ARGS(s), out);
}

moat_status
zboxC_zs_msg(moat_instance *inst, uint32_t s, uint32_t *out)
{
    return call(inst, "zs_msg", ARGS(s), out);
}

moat_status
zboxC_zs_deflate_end(moat_instance *inst, uint32_t s, int32_t *out)
{
    return call(inst, "zs_deflate_end", ARGS(s), (uint32_t *)out);
}

moat_status
zboxC_zs_inflate_end(moat_instance *inst, uint32_t s, int32_t *out)
{
    return call(inst, "zs_inflate_end", ARGS(s), (uint32_t *)out);
}

moat_status
zboxC_zs_example(moat_instance *inst, uint32_t path, int32_t *out)
{
    return call(inst, "zs_example", ARGS(path), (uint32_t *)out);
}

moat_status
zboxC_zs_infcover(moat_instance *inst, int32_t *out)
{
    return call(inst, "zs_infcover", NULL, 0, (uint32_t *)out);
}
