/* zbox_call.h - the plugin's exports as typed C calls (zbox_call.c): one
 * function per export of zlib.wasm, guest pointers as uint32_t, the
 * result through the last parameter. MOAT_OK or the status of a trap or
 * exit, whose details zboxC_error gives. zbox.c calls the guest only
 * through these.
 */
#ifndef ZBOX_CALL_H
#define ZBOX_CALL_H

#include <stdint.h>

#include "moat.h"

/* The linked-in plugin as a module of e; *out is the caller's. */
moat_status zboxC_module(moat_engine *e, moat_module **out, moat_error *err);
/* The error of the last call on inst that did not return MOAT_OK. */
const moat_error *zboxC_error(moat_instance *inst);

moat_status zboxC_initialize(moat_instance *inst);
moat_status zboxC_malloc(moat_instance *inst, uint32_t n, uint32_t *out);
moat_status zboxC_free(moat_instance *inst, uint32_t p);
moat_status zboxC_zlibVersion(moat_instance *inst, uint32_t *out);
moat_status zboxC_compressBound(moat_instance *inst, uint32_t len,
                                uint32_t *out);
moat_status zboxC_compress2(moat_instance *inst, uint32_t dst,
                            uint32_t dst_len, uint32_t src, uint32_t len,
                            int32_t level, int32_t *out);
moat_status zboxC_uncompress(moat_instance *inst, uint32_t dst,
                             uint32_t dst_len, uint32_t src, uint32_t len,
                             int32_t *out);
moat_status zboxC_crc32(moat_instance *inst, uint32_t sum, uint32_t p,
                        uint32_t len, uint32_t *out);
moat_status zboxC_adler32(moat_instance *inst, uint32_t sum, uint32_t p,
                          uint32_t len, uint32_t *out);

moat_status zboxC_zs_new(moat_instance *inst, uint32_t *out);
moat_status zboxC_zs_free(moat_instance *inst, uint32_t s);
moat_status zboxC_zs_deflate_init(moat_instance *inst, uint32_t s,
                                  int32_t level, int32_t window_bits,
                                  int32_t mem_level, int32_t strategy,
                                  int32_t *out);
moat_status zboxC_zs_inflate_init(moat_instance *inst, uint32_t s,
                                  int32_t window_bits, int32_t *out);
moat_status zboxC_zs_set_in(moat_instance *inst, uint32_t s, uint32_t p,
                            uint32_t len);
moat_status zboxC_zs_set_out(moat_instance *inst, uint32_t s, uint32_t p,
                             uint32_t len);
moat_status zboxC_zs_deflate(moat_instance *inst, uint32_t s, int32_t flush,
                             int32_t *out);
moat_status zboxC_zs_inflate(moat_instance *inst, uint32_t s, int32_t flush,
                             int32_t *out);
moat_status zboxC_zs_avail_out(moat_instance *inst, uint32_t s,
                               uint32_t *out);
moat_status zboxC_zs_msg(moat_instance *inst, uint32_t s, uint32_t *out);
moat_status zboxC_zs_deflate_end(moat_instance *inst, uint32_t s,
                                 int32_t *out);
moat_status zboxC_zs_inflate_end(moat_instance *inst, uint32_t s,
                                 int32_t *out);
moat_status zboxC_zs_example(moat_instance *inst, uint32_t path,
                             int32_t *out);
moat_status zboxC_zs_infcover(moat_instance *inst, int32_t *out);

#endif
