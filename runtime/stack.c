/* stack.c - activations: every moat call runs inside one, which catches
 * its traps (siglongjmp back to the frame that made it) and remembers
 * which stack the thread was on. Calls switch to the instance's own stack
 * (fiber.c); a call back into an instance that is already running on this
 * thread runs in place. Also the per-thread state: the alternate signal
 * stack the fault handler runs on (signal.c) and a spare stack for calls
 * into an instance whose own stack is busy on another thread.
 */
#include <signal.h>
#include <string.h>
#include <sys/mman.h>

#include "runtime.h"

#ifdef MOAT_ASAN
#include <sanitizer/asan_interface.h>
#endif

_Thread_local ThreadState moatR_tls;
_Thread_local uintptr_t   moatR_stack_limit
    __attribute__((tls_model("initial-exec")));

static _Atomic uint64_t stack_size = MOAT_STACK_SIZE;
static _Atomic uint64_t stack_reserve = MOAT_STACK_RESERVE;

static uint64_t
round_page(uint64_t bytes)
{
    return (bytes + 4095) & ~(uint64_t)4095;
}

void
moatR_set_stack_size(uint64_t bytes)
{
    atomic_store(&stack_size, round_page(bytes));
}

/* Whatever was asked, a stack has room for the reserve and some wasm. */
uint64_t
moatR_stack_size(void)
{
    uint64_t size = atomic_load(&stack_size);
    uint64_t least = moatR_stack_reserve() + MOAT_STACK_MIN_WASM;

    return size < least ? least : size;
}

void
moatR_set_stack_reserve(uint64_t bytes)
{
    bytes = round_page(bytes);
    if (bytes < MOAT_STACK_RESERVE_MIN)
        bytes = MOAT_STACK_RESERVE_MIN;
    if (bytes > MOAT_STACK_RESERVE_MAX)
        bytes = MOAT_STACK_RESERVE_MAX;
    atomic_store(&stack_reserve, bytes);
}

uint64_t
moatR_stack_reserve(void)
{
    return atomic_load(&stack_reserve);
}

/* x86-64: the thread pointer is the %fs base, and the TCB's first word
 * holds it (the TLS ABI; glibc and musl). An initial-exec variable sits
 * at the same offset from it in every thread. */
int64_t
moatR_stack_limit_offset(void)
{
#if defined(__x86_64__)
    uintptr_t tp;

    __asm__("movq %%fs:0, %0" : "=r"(tp));
    return (int64_t)((uintptr_t)&moatR_stack_limit - tp);
#else
#error "moatR_stack_limit_offset: no thread pointer for this target"
#endif
}

static pthread_key_t  exit_key;
static pthread_once_t exit_once = PTHREAD_ONCE_INIT;

static void
thread_exit(void *p)
{
    (void)p;
    moatR_thread_release();
}

static void
make_exit_key(void)
{
    pthread_key_create(&exit_key, thread_exit);
}

/* Installs our alternate signal stack unless one big enough is there. */
static bool
alt_init(ThreadState *ts, moat_error *err)
{
    stack_t cur;

    if (sigaltstack(NULL, &cur) == 0 && !(cur.ss_flags & SS_DISABLE) &&
        cur.ss_size >= MOAT_ALTSTACK_SIZE) {
        ts->alt_len = 1;        /* someone's: checked, not ours to free */
        return true;
    }
    void *p = mmap(NULL, MOAT_ALTSTACK_SIZE, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_NOMEM,
                          "out of memory: signal stack");
    stack_t ss = { .ss_sp = p, .ss_size = MOAT_ALTSTACK_SIZE, .ss_flags = 0 };
    if (sigaltstack(&ss, NULL) != 0) {
        munmap(p, MOAT_ALTSTACK_SIZE);
        return moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_NOMEM,
                          "cannot install the signal stack");
    }
    ts->alt = p;
    ts->alt_len = MOAT_ALTSTACK_SIZE;
    pthread_once(&exit_once, make_exit_key);
    pthread_setspecific(exit_key, ts);
    return true;
}

Fiber *
moatR_spare_fiber(moat_error *err)
{
    ThreadState *ts = &moatR_tls;
    int          idle = MOAT_FIBER_IDLE;

    if (!ts->spare) {
        ts->spare = moatU_calloc(1, sizeof *ts->spare);
        if (!ts->spare) {
            moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_NOMEM, "out of memory");
            return NULL;
        }
        moatR_fiber_init(ts->spare, 0, 0);
        moatR_fiber_register(ts->spare);
        ts->spare->no_yield = true;
        pthread_once(&exit_once, make_exit_key);
        pthread_setspecific(exit_key, ts);
    }
    if (!atomic_compare_exchange_strong(&ts->spare->state, &idle,
                                        MOAT_FIBER_RUNNING))
        return NULL;
    if (!moatR_fiber_ready(ts->spare, true, err)) {
        atomic_store(&ts->spare->state, MOAT_FIBER_IDLE);
        return NULL;
    }
    return ts->spare;
}

void
moatR_thread_release(void)
{
    ThreadState *ts = &moatR_tls;
    stack_t      cur;

    if (ts->act || ts->fiber)
        return;                 /* called from inside a moat call */
    if (ts->alt) {
        /* Only take ours down; whoever replaced it owns the new one. */
        if (sigaltstack(NULL, &cur) == 0 && cur.ss_sp == ts->alt) {
            stack_t off = { .ss_sp = NULL, .ss_size = 0,
                            .ss_flags = SS_DISABLE };
            sigaltstack(&off, NULL);
            munmap(ts->alt, ts->alt_len);
        }
    }
    if (ts->spare) {
        moatR_fiber_unregister(ts->spare);
        moatR_fiber_fini(ts->spare);
        moatU_free(ts->spare);
    }
    memset(ts, 0, sizeof *ts);
    moatR_stack_limit = 0;
}

void
moatR_stack_leaving(Activation *a)
{
#ifdef MOAT_ASAN
    if (a->fiber)
        __sanitizer_start_switch_fiber(NULL, a->fiber->caller_bottom,
                                       a->fiber->caller_size);
#else
    (void)a;
#endif
}

/* The thread is now on f, and compiled code leaves the reserve of it to
 * host code (abi.h, "the stack limit"). A nested call in place keeps the
 * stack and the limit it is on. */
static void
set_stack(ThreadState *ts, Fiber *f)
{
    ts->fiber = f;
    ts->guard_lo = f->lo - (uintptr_t)MOAT_STACK_GUARD;
    ts->guard_hi = f->lo;
    ts->stack_hi = f->top;
    moatR_stack_limit = f->lo + (uintptr_t)moatR_stack_reserve();
}

static void
restore_stack(ThreadState *ts, const Activation *a)
{
    ts->fiber = a->prev_fiber;
    ts->guard_lo = a->prev_guard_lo;
    ts->guard_hi = a->prev_guard_hi;
    ts->stack_hi = a->prev_stack_hi;
    moatR_stack_limit = a->prev_limit;
}

/* A run on f records when it began (funcref.c's quarantine keeps what it
 * may hold): the reference epoch for a fresh run, or the time it was
 * first started for a resumed one; a run started or resumed from inside
 * another (a host function) may have been handed that one's references,
 * so it is as old as that one. */
static void
run_begins(ThreadState *ts, Fiber *f, bool is_resume)
{
    uint64_t s = is_resume ? atomic_load(&f->since) : moatR_ref_epoch();

    if (ts->fiber) {
        uint64_t outer = atomic_load(&ts->fiber->since);
        if (outer && outer < s)
            s = outer;
    }
    /* seq_cst: visible to a quarantine scan before this run reads any
     * table (a store must not wait in the store buffer past our loads) */
    atomic_store(&f->since, s);
}

/* A run of f (fresh unless is_resume), or fn(arg) in place when f is
 * NULL. The activation lives in this frame, on the entering stack. */
static int
activate(Fiber *f, bool is_resume, void (*fn)(void *), void *arg,
         moat_error *err)
{
    ThreadState *ts = &moatR_tls;
    Activation   act;
    volatile int result = MOAT_RUN_DONE;

    if (!ts->alt_len && !alt_init(ts, err))
        return MOAT_RUN_TRAP;
    memset(&act, 0, sizeof act);
    act.prev = ts->act;
    act.trap = MOAT_TRAP_NONE;
    act.fiber = f;
    act.prev_fiber = ts->fiber;
    act.prev_guard_lo = ts->guard_lo;
    act.prev_guard_hi = ts->guard_hi;
    act.prev_stack_hi = ts->stack_hi;
    act.prev_limit = moatR_stack_limit;
    if (sigsetjmp(act.env, 0) == 0) {
        ts->act = &act;
        if (!f) {
            fn(arg);
        } else {
            f->thread = ts;
            f->fn = fn;
            f->arg = arg;
            run_begins(ts, f, is_resume);
            set_stack(ts, f);
            moatR_fiber_enter(&act, f, is_resume);
            result = f->result;
        }
    } else {
        if (f)
            moatR_fiber_landed(&act, f);
        result = MOAT_RUN_TRAP;
    }
    ts->act = act.prev;
    restore_stack(ts, &act);
    if (f && result != MOAT_RUN_YIELD)
        atomic_store_explicit(&f->since, 0, memory_order_release);
    if (result == MOAT_RUN_TRAP) {
        moatR_activation_error(&act, err);
        moatU_free(act.host_msg);
    }
    return result;
}

int
moatR_run(Fiber *f, void (*fn)(void *), void *arg, moat_error *err)
{
    return activate(f, false, fn, arg, err);
}

int
moatR_resume(Fiber *f, moat_error *err)
{
    return activate(f, true, f->fn, f->arg, err);
}
