/* atomic_wait.c - memory.atomic.wait32/64 and memory.atomic.notify
 * (threads proposal), the helpers compiled code calls for them.
 *
 * Waiters are kept in one process-wide list under one mutex, keyed by
 * (memory, address): a shared memory may be imported by instances on
 * other threads, so the key is the memory, not the instance. Each waiter
 * sleeps on its own condition variable; notify wakes the oldest first,
 * as the proposal requires (FIFO). A wait never sleeps longer than a
 * slice: between slices it leaves the lock and runs the deadline check,
 * so an interrupted or timed-out call ends even while it waits (a guest
 * must not be able to hang its host by waiting for a notify that never
 * comes). Waiting on an unshared memory traps, as the proposal says; on
 * one the guest alone can see it could only time out or hang.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "runtime.h"

#define NS_PER_S  UINT64_C(1000000000)
#define SLICE_NS  (10 * UINT64_C(1000000))  /* deadline checks, 10 ms */

typedef struct Waiter {
    struct Waiter *next;
    const Memory  *mem;
    uint64_t       addr;
    pthread_cond_t cond;
    bool           woken;
} Waiter;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static Waiter         *waiters;         /* oldest first */

/* The alignment trap is compiled in before the call; bounds are ours. */
static Memory *
checked(void *ctx, uint64_t addr, uint32_t bytes)
{
    Memory *mem = moatR_ctx_memory(ctx);
    if (addr + bytes > __atomic_load_n(&mem->m.size, __ATOMIC_ACQUIRE))
        moatR_unwind_here(MOAT_TRAP_MEMORY_OOB);
    return mem;
}

static uint64_t
now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * NS_PER_S + (uint64_t)t.tv_nsec;
}

static void
unlink_waiter(Waiter *w)
{
    for (Waiter **p = &waiters; *p; p = &(*p)->next)
        if (*p == w) {
            *p = w->next;
            return;
        }
}

/* Sleeps until woken, due (0 and 2), or a slice has passed (-1). Called
 * and returns with the lock held. */
static int
sleep_slice(Waiter *w, uint64_t due)
{
    uint64_t        now = now_ns();
    uint64_t        until = due - now < SLICE_NS ? due : now + SLICE_NS;
    struct timespec ts;
    struct timespec real;

    if (now >= due)
        return 2;
    /* condition variables time out against CLOCK_REALTIME by default */
    clock_gettime(CLOCK_REALTIME, &real);
    uint64_t abs = (uint64_t)real.tv_sec * NS_PER_S +
                   (uint64_t)real.tv_nsec + (until - now);
    ts.tv_sec = (time_t)(abs / NS_PER_S);
    ts.tv_nsec = (long)(abs % NS_PER_S);
    while (!w->woken)
        if (pthread_cond_timedwait(&w->cond, &lock, &ts) == ETIMEDOUT)
            break;
    if (w->woken)
        return 0;
    return now_ns() >= due ? 2 : -1;
}

uint32_t
moatR_atomic_wait(void *ctx, uint64_t addr, uint64_t expected,
                  uint64_t timeout, uint32_t bytes)
{
    Memory  *mem = checked(ctx, addr, bytes);
    uint64_t due = (int64_t)timeout < 0 ? UINT64_MAX
                 : now_ns() + timeout;
    Waiter   w = { .mem = mem, .addr = addr };
    int      r;

    if (!mem->shared)
        moatR_unwind_here(MOAT_TRAP_UNSHARED_WAIT);
    if (due < timeout)                  /* overflow: as good as forever */
        due = UINT64_MAX;
    pthread_mutex_lock(&lock);
    /* read under the lock: a notify after this read cannot be missed */
    uint8_t *p = mem->m.base + addr;  /* aligned: checked in compiled code */
    uint64_t now_value = bytes == 4
        ? __atomic_load_n((uint32_t *)(void *)p, __ATOMIC_SEQ_CST)
        : __atomic_load_n((uint64_t *)(void *)p, __ATOMIC_SEQ_CST);
    if (now_value != expected) {
        pthread_mutex_unlock(&lock);
        return 1;                       /* "not-equal" */
    }
    pthread_cond_init(&w.cond, NULL);
    Waiter **tail = &waiters;
    while (*tail)
        tail = &(*tail)->next;
    *tail = &w;
    while ((r = sleep_slice(&w, due)) < 0) {
        if (!moatR_stop_pending(ctx))
            continue;
        /* out of the list before the check unwinds past w's frame */
        unlink_waiter(&w);
        pthread_mutex_unlock(&lock);
        pthread_cond_destroy(&w.cond);
        moatR_epoch_check(ctx);
        return 2;                       /* the reason went away: timed out */
    }
    if (!w.woken)
        unlink_waiter(&w);
    pthread_mutex_unlock(&lock);
    pthread_cond_destroy(&w.cond);
    return (uint32_t)r;                 /* 0 "ok", 2 "timed-out" */
}

uint32_t
moatR_atomic_notify(void *ctx, uint64_t addr, uint32_t count)
{
    Memory  *mem = checked(ctx, addr, 4);
    uint32_t n = 0;

    if (!mem->shared)
        return 0;                       /* nobody can wait on it */
    pthread_mutex_lock(&lock);
    for (Waiter **p = &waiters; *p && n < count;) {
        Waiter *w = *p;
        if (w->mem == mem && w->addr == addr) {
            *p = w->next;               /* woken waiters leave the list */
            w->woken = true;
            pthread_cond_signal(&w->cond);
            n++;
        } else {
            p = &w->next;
        }
    }
    pthread_mutex_unlock(&lock);
    return n;
}
