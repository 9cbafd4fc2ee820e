/* wasi_proc.c - proc_exit, proc_raise, sched_yield (WASI preview 1).
 * proc_exit ends the running call with MOAT_ERR_EXIT through the runtime
 * (moat_caller_exit); the host process itself never exits. sched_yield
 * goes through the host's wait() with streamed stdio (wasi_stream.c).
 */
#include <sched.h>

#include "wasi_impl.h"

void
moatW_proc_exit(moat_caller *c, uint32_t rval)
{
    moat_caller_exit(c, rval);
}

/* proc_raise: "Send a signal to the process of the calling thread." The
 * guest is not a host process and a host signal would reach the embedder,
 * so signals are not delivered: signal 0 (the spec's "no signal", reserved
 * for kill(pid, 0)-style probing) succeeds, the other defined signals
 * (1-30) give ENOSYS, and anything else is not a `signal` value: EINVAL. */
uint32_t
moatW_proc_raise(moat_caller *c, uint32_t sig)
{
    (void)c;
    if (sig == 0)
        return WASI_ESUCCESS;
    return sig <= 30 ? WASI_ENOSYS : WASI_EINVAL;
}

/* With streamed stdio the host's wait() yields instead, so that the
 * thread runs another guest (moat_wasi_set_stream). */
uint32_t
moatW_sched_yield(moat_caller *c)
{
    moat_wasi *w = moatW_stream_of(c);
    uint64_t   now = 0;

    if (!w) {
        sched_yield();
        return WASI_ESUCCESS;
    }
    moatW_clock_now(WASI_CLOCK_MONOTONIC, &now);
    w->stream.wait(w->stream.data, c, 0, now);
    return WASI_ESUCCESS;
}
