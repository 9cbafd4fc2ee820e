/* stack.c - running wasm on its own stack (design.md, "Running code").
 * Each thread that runs wasm gets, on first use, a wasm stack (8 MiB with
 * a PROT_NONE guard below it, where runaway recursion faults) and an
 * alternate signal stack on which the fault handler can still run. Every
 * moat call is an Activation; traps siglongjmp back to the innermost one.
 * The switch itself is switch_x86_64.S; what faults mean is signal.c.
 */
#include <signal.h>
#include <string.h>
#include <sys/mman.h>

#include "runtime.h"

#if defined(__SANITIZE_ADDRESS__)
#define MOAT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MOAT_ASAN 1
#endif
#endif
#ifdef MOAT_ASAN
#include <sanitizer/asan_interface.h>
#endif

_Thread_local ThreadState moatR_tls;

static _Atomic uint64_t stack_size = MOAT_STACK_SIZE;

void
moatR_set_stack_size(uint64_t bytes)
{
    ThreadState *ts = &moatR_tls;

    bytes = (bytes + 4095) & ~(uint64_t)4095;
    if (bytes < (UINT64_C(64) << 10))
        bytes = UINT64_C(64) << 10;
    atomic_store(&stack_size, bytes);
    if (ts->stack_map && !ts->act && !ts->on_stack &&
        ts->stack_len != MOAT_STACK_GUARD + bytes) {
        munmap(ts->stack_map, ts->stack_len);
        ts->stack_map = NULL;
    }
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
alt_init(ThreadState *ts)
{
    stack_t cur;

    if (sigaltstack(NULL, &cur) == 0 && !(cur.ss_flags & SS_DISABLE) &&
        cur.ss_size >= MOAT_ALTSTACK_SIZE)
        return true;
    void *p = mmap(NULL, MOAT_ALTSTACK_SIZE, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return false;
    stack_t ss = { .ss_sp = p, .ss_size = MOAT_ALTSTACK_SIZE, .ss_flags = 0 };
    if (sigaltstack(&ss, NULL) != 0) {
        munmap(p, MOAT_ALTSTACK_SIZE);
        return false;
    }
    ts->alt = p;
    ts->alt_len = MOAT_ALTSTACK_SIZE;
    return true;
}

static bool
thread_init(ThreadState *ts, moat_error *err)
{
    size_t len = (size_t)(MOAT_STACK_GUARD + atomic_load(&stack_size));
    void  *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK,
                    -1, 0);

    if (p == MAP_FAILED)
        return moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_NOMEM,
                          "out of memory: wasm stack");
    if (mprotect(p, (size_t)MOAT_STACK_GUARD, PROT_NONE) != 0 ||
        !alt_init(ts)) {
        munmap(p, len);
        return moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_NOMEM,
                          "out of memory: wasm stack guard or signal stack");
    }
    ts->stack_map = p;
    ts->stack_len = len;
    ts->guard_lo = (uintptr_t)p;
    ts->guard_hi = ts->guard_lo + (uintptr_t)MOAT_STACK_GUARD;
    ts->stack_hi = ts->guard_lo + len;
    pthread_once(&exit_once, make_exit_key);
    pthread_setspecific(exit_key, ts);
    return true;
}

void
moatR_thread_release(void)
{
    ThreadState *ts = &moatR_tls;
    stack_t      cur;

    if (ts->act || ts->on_stack)
        return;                 /* called from inside a moat call */
    if (ts->alt) {
        /* Only take ours down; whoever replaced it owns the new one. */
        if (sigaltstack(NULL, &cur) == 0 && cur.ss_sp == ts->alt) {
            stack_t off = { .ss_sp = NULL, .ss_size = 0,
                            .ss_flags = SS_DISABLE };
            sigaltstack(&off, NULL);
            munmap(ts->alt, ts->alt_len);
        }
        ts->alt = NULL;
    }
    if (ts->stack_map)
        munmap(ts->stack_map, ts->stack_len);
    memset(ts, 0, sizeof *ts);
}

/* ---- AddressSanitizer: the switch is a fiber switch, so that it knows
 * which stack it is on (google/sanitizers#189). No-ops without it. ---- */

typedef struct Enter {
    void      (*fn)(void *);
    void       *arg;
    Activation *act;
} Enter;

static void
on_wasm_stack(void *p)
{
    Enter *en = p;

#ifdef MOAT_ASAN
    __sanitizer_finish_switch_fiber(NULL, &en->act->host_bottom,
                                    &en->act->host_size);
#endif
    en->fn(en->arg);
#ifdef MOAT_ASAN
    __sanitizer_start_switch_fiber(NULL, en->act->host_bottom,
                                   en->act->host_size);
#endif
}

static void
enter(ThreadState *ts, Activation *act, void (*fn)(void *), void *arg)
{
    Enter en = { fn, arg, act };

    ts->on_stack = true;
#ifdef MOAT_ASAN
    __sanitizer_start_switch_fiber(&act->asan_fake, (void *)ts->guard_hi,
                                   ts->stack_hi - ts->guard_hi);
#endif
    moatR_stack_call((void *)ts->stack_hi, on_wasm_stack, &en);
#ifdef MOAT_ASAN
    __sanitizer_finish_switch_fiber(act->asan_fake, NULL, NULL);
#endif
}

void
moatR_stack_leaving(Activation *a)
{
#ifdef MOAT_ASAN
    if (a->is_switch)
        __sanitizer_start_switch_fiber(NULL, a->host_bottom, a->host_size);
#else
    (void)a;
#endif
}

/* Back on the host stack after a trap. */
static void
landed(ThreadState *ts, Activation *a)
{
#ifdef MOAT_ASAN
    if (!a->is_switch)
        return;
    __sanitizer_finish_switch_fiber(a->asan_fake, NULL, NULL);
    /* frames abandoned by the trap leave their redzones behind: on the
     * wasm stack, and on the host stack below this frame (enter() and the
     * switch), which the longjmp interceptor does not see */
    ASAN_UNPOISON_MEMORY_REGION((void *)ts->guard_hi,
                                ts->stack_hi - ts->guard_hi);
    char *here = __builtin_frame_address(0);
    ASAN_UNPOISON_MEMORY_REGION(here - 65536, 65536);
#else
    (void)ts, (void)a;
#endif
}

bool
moatR_run(void (*fn)(void *), void *arg, moat_error *err)
{
    ThreadState *ts = &moatR_tls;
    bool         was_on = ts->on_stack;
    Activation   act;

    if (!ts->stack_map && !thread_init(ts, err))
        return false;
    memset(&act, 0, sizeof act);
    act.prev = ts->act;
    act.trap = MOAT_TRAP_NONE;
    act.is_switch = !was_on;
    if (sigsetjmp(act.env, 0) == 0) {
        ts->act = &act;
        if (was_on)
            fn(arg);
        else
            enter(ts, &act, fn, arg);
    } else {
        landed(ts, &act);
    }
    ts->act = act.prev;
    ts->on_stack = was_on;
    if (act.trap == MOAT_TRAP_NONE)
        return true;
    moatR_activation_error(&act, err);
    moatU_free(act.host_msg);
    return false;
}
