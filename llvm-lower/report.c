/* report.c - progress and timing of a compilation, to the observer of
 * moat_compile_config_set_observer: each phase's wall and thread CPU
 * time (CPU time shows a partition's own work on a loaded machine), and
 * the count of functions compiled so far. Partitions report from their
 * threads; one lock keeps the observer's calls from overlapping.
 */
#include <time.h>

#include "emit.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static double
seconds(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void
moatL_phase_begin(Phase *ph)
{
    ph->wall = seconds(CLOCK_MONOTONIC);
    ph->cpu = seconds(CLOCK_THREAD_CPUTIME_ID);
}

void
moatL_phase_end(Reporter *r, const Phase *ph, const char *name,
                int partition, uint32_t funcs)
{
    if (!r || !r->fn)
        return;
    moat_compile_event ev = {
        .phase = name, .partition = partition,
        .seconds = seconds(CLOCK_MONOTONIC) - ph->wall,
        .cpu_seconds = seconds(CLOCK_THREAD_CPUTIME_ID) - ph->cpu,
        .funcs_total = r->funcs_total,
    };
    pthread_mutex_lock(&lock);
    r->funcs_done += funcs;
    ev.funcs_done = r->funcs_done;
    r->fn(r->user, &ev);
    pthread_mutex_unlock(&lock);
}
