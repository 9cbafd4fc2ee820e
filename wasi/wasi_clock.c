/* wasi_clock.c - clock_res_get, clock_time_get for the four WASI clocks
 * (realtime, monotonic, process and thread CPU time) and random_get from
 * the kernel's CSPRNG (WASI preview 1 `clockid`, `random_get`). The
 * precision argument of clock_time_get is a hint; the host clock is always
 * read at its best resolution.
 */
#include <errno.h>
#include <sys/random.h>

#include "wasi_impl.h"

static bool
host_clock(uint32_t id, clockid_t *out)
{
    static const clockid_t map[] = {
        [WASI_CLOCK_REALTIME] = CLOCK_REALTIME,
        [WASI_CLOCK_MONOTONIC] = CLOCK_MONOTONIC,
        [WASI_CLOCK_PROCESS_CPUTIME_ID] = CLOCK_PROCESS_CPUTIME_ID,
        [WASI_CLOCK_THREAD_CPUTIME_ID] = CLOCK_THREAD_CPUTIME_ID,
    };
    if (id >= sizeof map / sizeof *map)
        return false;
    *out = map[id];
    return true;
}

static uint64_t
ts_ns(struct timespec ts)
{
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

bool
moatW_clock_now(uint32_t id, uint64_t *ns)
{
    clockid_t       hc;
    struct timespec ts;

    if (!host_clock(id, &hc) || clock_gettime(hc, &ts) != 0 || ts.tv_sec < 0)
        return false;
    *ns = ts_ns(ts);
    return true;
}

uint32_t
moatW_clock_res_get(moat_caller *c, uint32_t id, uint32_t resolution)
{
    clockid_t       hc;
    struct timespec ts;
    uint8_t        *p = moatW_mem(c, resolution, 8);

    if (!host_clock(id, &hc))
        return WASI_EINVAL;
    if (!p)
        return WASI_EFAULT;
    if (clock_getres(hc, &ts) != 0)
        return moatW_errno(errno);
    uint64_t ns = ts_ns(ts);
    moatW_put_u64(p, ns ? ns : 1);      /* a resolution is never 0 */
    return WASI_ESUCCESS;
}

uint32_t
moatW_clock_time_get(moat_caller *c, uint32_t id, uint64_t precision,
                     uint32_t time)
{
    uint8_t *p = moatW_mem(c, time, 8);
    uint64_t ns;

    (void)precision;
    if (id > WASI_CLOCK_THREAD_CPUTIME_ID)
        return WASI_EINVAL;
    if (!p)
        return WASI_EFAULT;
    if (!moatW_clock_now(id, &ns))
        return moatW_errno(errno);
    moatW_put_u64(p, ns);
    return WASI_ESUCCESS;
}

uint32_t
moatW_random_get(moat_caller *c, uint32_t buf, uint32_t buf_len)
{
    uint8_t *p = moatW_mem(c, buf, buf_len);

    if (!p)
        return WASI_EFAULT;
    for (size_t done = 0; done < buf_len;) {
        ssize_t n = getrandom(p + done, buf_len - done, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return moatW_errno(errno);
        }
        done += (size_t)n;
    }
    return WASI_ESUCCESS;
}
