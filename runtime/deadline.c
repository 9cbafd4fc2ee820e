/* deadline.c - stopping guest code that runs too long (moat.h,
 * "deadlines"): the helper the compiled checks call (moatR_epoch_check),
 * per-call timeouts through one timer thread per engine, interruption and
 * preemption (a yield at the next check) from any thread, and the engine
 * epoch. The checks are lowered by llvm-lower/lower_epoch.c;
 * docs/runtime.md, "Deadlines", says why the pieces are shaped so.
 */
#include <signal.h>
#include <string.h>
#include <time.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "runtime.h"

#define NS_PER_S UINT64_C(1000000000)

/* One per engine, started by the first moat_instance_set_deadline. It
 * sleeps until the earliest armed call is due, then marks that call
 * overrun and zeroes its deadline word. */
typedef struct DeadlineTimer {
    pthread_mutex_t lock;
    pthread_cond_t  wake;       /* on CLOCK_MONOTONIC */
    pthread_t       thread;
    Deadline       *armed;      /* earliest due first */
    uint64_t        wake_at;    /* when the thread wakes by itself */
    bool            stop;
} DeadlineTimer;

static pthread_mutex_t start_lock = PTHREAD_MUTEX_INITIALIZER;

static uint64_t
now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

static uint64_t
add_sat(uint64_t a, uint64_t b)
{
    return a + b < a ? UINT64_MAX : a + b;
}

/* ---- the deadline word compiled code reads ---- */

static void
store_word(moat_instance *inst, uint64_t v)
{
    __atomic_store_n((uint64_t *)(void *)(inst->ctx + MOAT_CTX_DEADLINE), v,
                     __ATOMIC_SEQ_CST);
}

static uint64_t
engine_epoch(const moat_engine *e)
{
    return __atomic_load_n(&e->epoch, __ATOMIC_SEQ_CST);
}

/* Recomputes the word from the fields. It stores, then reads the flags:
 * whoever raises a flag (interrupt, timer, preempt) raises it first and
 * zeroes the word after, so a flag this call misses is followed by a zero
 * written after our store. A new epoch deadline set meanwhile makes us go
 * again. */
static void
refresh_word(moat_instance *inst)
{
    Deadline *d = &inst->deadline;
    uint64_t  epoch_not;

    do {
        epoch_not = atomic_load(&d->epoch_not);
        store_word(inst, ~epoch_not);
        if (atomic_load(&d->interrupt) || atomic_load(&d->timed_out) ||
            atomic_load(&d->preempt))
            store_word(inst, 0);
    } while (atomic_load(&d->epoch_not) != epoch_not);
}

static bool
epoch_passed(const moat_instance *inst)
{
    uint64_t deadline = ~atomic_load(&inst->deadline.epoch_not);

    return engine_epoch(inst->module->engine) >= deadline;
}

/* Whether the running call can be suspended here: only the run that
 * switched to inst's own stack can (moat_caller_yield's rule), not a call
 * made in place back into a running instance, nor a start function. */
static bool
can_yield(const moat_instance *inst)
{
    const Activation *a = moatR_tls.act;

    return a && a->fiber == inst->fiber && !inst->fiber->no_yield;
}

/* moat_instance_preempt's yield. Once resumed (maybe on another thread:
 * inst and the word are not thread-local), the guest goes on from its
 * check. This frame and the switch are a helper's share of the stack
 * reserve, less than a host function that yields takes. */
static void
yield_preempted(moat_instance *inst)
{
    moat_val none;

    memset(&none, 0, sizeof none);
    inst->fiber->preempted = true;
    (void)moatR_fiber_yield(inst->fiber, none);
    refresh_word(inst);
}

/* Whether the running call of ctx's instance has a reason to stop (an
 * interrupt, its timeout, the epoch), without using it up: for helpers
 * that block (atomic_wait.c), which then call moatR_epoch_check. */
bool
moatR_stop_pending(void *ctx)
{
    moat_instance *inst = moatR_ctx_instance(ctx);
    Deadline      *d = &inst->deadline;

    return atomic_load(&d->interrupt) || atomic_load(&d->timed_out) ||
           epoch_passed(inst);
}

/* Called by compiled code when the epoch reached the deadline word: stop
 * the call if it has a reason to stop, else yield if a preemption is
 * pending and the call can yield, else (the reason went away, e.g. an
 * interrupt already used, or a preemption where no yield is possible,
 * which is dropped) set the word right and go on. A stop wins: the
 * preemption it leaves pending is dropped by the next call's start. */
void
moatR_epoch_check(void *ctx)
{
    moat_instance *inst = moatR_ctx_instance(ctx);
    Deadline      *d = &inst->deadline;
    bool           is_due = atomic_exchange(&d->interrupt, false) ||
                            atomic_load(&d->timed_out) || epoch_passed(inst);
    bool           is_preempt = !is_due && atomic_load(&d->preempt) &&
                                atomic_exchange(&d->preempt, false);

    refresh_word(inst);
    if (is_due)
        moatR_unwind_here(MOAT_TRAP_INTERRUPTED);
    if (is_preempt && can_yield(inst))
        yield_preempted(inst);
}

/* ---- the timer thread ---- */

static void
fire(DeadlineTimer *t, Deadline *d)
{
    t->armed = d->next;
    d->next = NULL;
    d->is_armed = false;
    atomic_store(&d->timed_out, true);
    store_word(d->inst, 0);
}

static void *
timer_main(void *arg)
{
    DeadlineTimer *t = arg;

#ifdef __linux__
    /* wake when asked, not up to the default 50 us later */
    prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
#endif
    pthread_mutex_lock(&t->lock);
    while (!t->stop) {
        Deadline *d = t->armed;
        if (!d) {
            t->wake_at = UINT64_MAX;
            pthread_cond_wait(&t->wake, &t->lock);
        } else if (now_ns() >= d->due) {
            fire(t, d);
        } else {
            struct timespec ts = { .tv_sec = (time_t)(d->due / NS_PER_S),
                                   .tv_nsec = (long)(d->due % NS_PER_S) };
            t->wake_at = d->due;
            pthread_cond_timedwait(&t->wake, &t->lock, &ts);
        }
    }
    pthread_mutex_unlock(&t->lock);
    return NULL;
}

static void
timer_free(DeadlineTimer *t)
{
    pthread_cond_destroy(&t->wake);
    pthread_mutex_destroy(&t->lock);
    moatU_free(t);
}

/* The thread blocks every signal: they are the host's threads' business. */
static DeadlineTimer *
timer_new(moat_error *err)
{
    DeadlineTimer     *t = moatU_calloc(1, sizeof *t);
    pthread_condattr_t ca;
    sigset_t           all, old;
    int                rc;

    if (!t)
        return moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_NOMEM,
                          "out of memory"), NULL;
    t->wake_at = 0;             /* until it sleeps: wake it for anything */
    pthread_mutex_init(&t->lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&t->wake, &ca);
    pthread_condattr_destroy(&ca);
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rc = pthread_create(&t->thread, NULL, timer_main, t);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        timer_free(t);
        return moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_NOMEM,
                          "cannot start the deadline timer thread"), NULL;
    }
    return t;
}

static DeadlineTimer *
timer_get(moat_engine *e, moat_error *err)
{
    DeadlineTimer *t = atomic_load_explicit(&e->timer, memory_order_acquire);

    if (t)
        return t;
    pthread_mutex_lock(&start_lock);
    t = atomic_load_explicit(&e->timer, memory_order_acquire);
    if (!t && (t = timer_new(err)) != NULL)
        atomic_store_explicit(&e->timer, t, memory_order_release);
    pthread_mutex_unlock(&start_lock);
    return t;
}

void
moatR_deadline_engine_fini(moat_engine *e)
{
    DeadlineTimer *t = atomic_load(&e->timer);

    if (!t)
        return;
    pthread_mutex_lock(&t->lock);
    t->stop = true;
    pthread_cond_signal(&t->wake);
    pthread_mutex_unlock(&t->lock);
    pthread_join(t->thread, NULL);
    timer_free(t);
    atomic_store(&e->timer, NULL);
}

/* ---- arming around calls (call.c) ---- */

static void
arm(DeadlineTimer *t, Deadline *d, uint64_t due)
{
    Deadline **at = &t->armed;

    pthread_mutex_lock(&t->lock);
    d->due = due;
    while (*at && (*at)->due <= due)
        at = &(*at)->next;
    d->next = *at;
    *at = d;
    d->is_armed = true;
    /* Wake the thread only when it would sleep past the new deadline: a
     * stream of calls with the same timeout costs it one wake-up per
     * timeout period, not one per call. */
    if (due < t->wake_at)
        pthread_cond_signal(&t->wake);
    pthread_mutex_unlock(&t->lock);
}

static void
disarm(DeadlineTimer *t, Deadline *d)
{
    pthread_mutex_lock(&t->lock);
    if (d->is_armed) {
        Deadline **at = &t->armed;
        while (*at != d)
            at = &(*at)->next;
        *at = d->next;
        d->next = NULL;
        d->is_armed = false;
    }
    pthread_mutex_unlock(&t->lock);
}

bool
moatR_deadline_enter(moat_instance *inst, moat_error *err)
{
    Deadline *d = &inst->deadline;

    if (d->depth++ > 0)         /* a host function called back in */
        return true;
    /* meant for a call that is over (or suspended): not carried over */
    if (atomic_load(&d->preempt) && atomic_exchange(&d->preempt, false))
        refresh_word(inst);
    if (atomic_load(&d->interrupt) && atomic_exchange(&d->interrupt, false)) {
        d->depth--;
        refresh_word(inst);
        if (err && err->code == MOAT_OK) {
            moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_TRAP, "%s",
                       moat_trap_string(MOAT_TRAP_INTERRUPTED));
            err->trap = MOAT_TRAP_INTERRUPTED;
        }
        return false;
    }
    uint64_t ns = atomic_load_explicit(&d->timeout_ns, memory_order_relaxed);
    DeadlineTimer *t = atomic_load_explicit(&inst->module->engine->timer,
                                            memory_order_acquire);
    if (ns != 0 && t) {
        d->inst = inst;
        arm(t, d, add_sat(now_ns(), ns));
        d->was_armed = true;
    }
    return true;
}

void
moatR_deadline_leave(moat_instance *inst)
{
    Deadline *d = &inst->deadline;

    if (--d->depth > 0 || !d->was_armed)
        return;
    d->was_armed = false;
    disarm(atomic_load_explicit(&inst->module->engine->timer,
                                memory_order_acquire), d);
    /* the timer may have fired after the call's last check */
    if (atomic_exchange(&d->timed_out, false))
        refresh_word(inst);
}

/* ---- public API ---- */

int
moat_module_is_interruptible(const moat_module *m)
{
    return (m->desc->flags & MOAT_DESC_F_EPOCH) != 0;
}

moat_status
moat_instance_set_deadline(moat_instance *inst, uint64_t timeout_ns,
                           moat_error *err)
{
    moat_error e = { 0 };

    if (timeout_ns != 0 && !moat_module_is_interruptible(inst->module))
        moatU_fail(&e, MOAT_NO_OFFSET, MOAT_ERR_LIMIT,
                   "deadline needs interruption checks: the module was "
                   "compiled without them (moat compile --interruptible)");
    else if (timeout_ns == 0 || timer_get(inst->module->engine, &e))
        atomic_store_explicit(&inst->deadline.timeout_ns, timeout_ns,
                              memory_order_relaxed);
    return moatR_report(err, &e);
}

void
moat_instance_interrupt(moat_instance *inst)
{
    if (!moat_module_is_interruptible(inst->module))
        return;                 /* nothing would ever clear the flag */
    atomic_store(&inst->deadline.interrupt, true);
    store_word(inst, 0);
}

void
moat_instance_preempt(moat_instance *inst)
{
    if (!moat_module_is_interruptible(inst->module))
        return;                 /* nothing would ever clear the flag */
    atomic_store(&inst->deadline.preempt, true);
    store_word(inst, 0);
}

void
moat_engine_increment_epoch(moat_engine *e)
{
    __atomic_fetch_add(&e->epoch, 1, __ATOMIC_SEQ_CST);
}

void
moat_instance_set_epoch_deadline(moat_instance *inst, uint64_t ticks_from_now)
{
    uint64_t deadline = ticks_from_now == UINT64_MAX
                            ? UINT64_MAX
                            : add_sat(engine_epoch(inst->module->engine),
                                      ticks_from_now);

    atomic_store(&inst->deadline.epoch_not, ~deadline);
    refresh_word(inst);
}
