/* wasi_args.c - args_get, args_sizes_get, environ_get, environ_sizes_get:
 * the arguments and environment strings of the moat_wasi, copied into
 * guest memory as an array of pointers plus NUL-terminated strings
 * (WASI preview 1 `args_*`, `environ_*`).
 */
#include "wasi_impl.h"

/* Bytes the n strings take with their NULs; false when over 4 GiB (the
 * guest could not address them). */
static bool
strings_size(char *const *v, uint32_t n, uint32_t *out)
{
    uint64_t total = 0;

    for (uint32_t i = 0; i < n; i++)
        total += strlen(v[i]) + 1;
    if (total > UINT32_MAX)
        return false;
    *out = (uint32_t)total;
    return true;
}

static uint32_t
sizes_get(moat_caller *c, char *const *v, uint32_t n, uint32_t count_ptr,
          uint32_t size_ptr)
{
    uint8_t *pc = moatW_mem(c, count_ptr, 4);
    uint8_t *ps = moatW_mem(c, size_ptr, 4);
    uint32_t size;

    if (!pc || !ps)
        return WASI_EFAULT;
    if (!strings_size(v, n, &size))
        return WASI_EOVERFLOW;
    moatW_put_u32(pc, n);
    moatW_put_u32(ps, size);
    return WASI_ESUCCESS;
}

/* Writes v[i]'s address at ptrs + 4 i and the strings one after the other
 * from buf. Everything is checked before the first byte is written. */
static uint32_t
strings_get(moat_caller *c, char *const *v, uint32_t n, uint32_t ptrs,
            uint32_t buf)
{
    uint32_t size;

    if (!strings_size(v, n, &size))
        return WASI_EOVERFLOW;
    uint8_t *pp = moatW_mem(c, ptrs, (uint64_t)n * 4);
    uint8_t *pb = moatW_mem(c, buf, size);
    if (!pp || !pb)
        return WASI_EFAULT;
    uint32_t at = 0;
    for (uint32_t i = 0; i < n; i++) {
        size_t len = strlen(v[i]) + 1;
        moatW_put_u32(pp + 4 * (size_t)i, buf + at);
        memcpy(pb + at, v[i], len);
        at += (uint32_t)len;
    }
    return WASI_ESUCCESS;
}

uint32_t
moatW_args_sizes_get(moat_caller *c, uint32_t argc, uint32_t argv_buf_size)
{
    moat_wasi *w = moatW_wasi(c);
    return sizes_get(c, w->argv, w->nargs, argc, argv_buf_size);
}

uint32_t
moatW_args_get(moat_caller *c, uint32_t argv, uint32_t argv_buf)
{
    moat_wasi *w = moatW_wasi(c);
    return strings_get(c, w->argv, w->nargs, argv, argv_buf);
}

uint32_t
moatW_environ_sizes_get(moat_caller *c, uint32_t environc,
                        uint32_t environ_buf_size)
{
    moat_wasi *w = moatW_wasi(c);
    return sizes_get(c, w->env, w->nenv, environc, environ_buf_size);
}

uint32_t
moatW_environ_get(moat_caller *c, uint32_t environ, uint32_t environ_buf)
{
    moat_wasi *w = moatW_wasi(c);
    return strings_get(c, w->env, w->nenv, environ, environ_buf);
}
