/* fiber.c - instance stacks: where each one lives (a pool slot, or a
 * mapping of its own), the first frame of a run, switching in and out of
 * it (a run ends, yields with moat_caller_yield, or is resumed), and
 * zeroing what a tenant left on it. The activations that catch traps are
 * stack.c's; the switch itself is switch_x86_64.S. docs/runtime-scale.md
 * says why a stack is scrubbed the way it is.
 */
#include <signal.h>
#include <string.h>
#include <sys/mman.h>

#include "runtime.h"

#ifdef MOAT_ASAN
#include <sanitizer/asan_interface.h>
#endif

#define OS_PAGE 4096u

/* switch_x86_64.S's unwind rule for moatR_fiber_start reads it there. */
_Static_assert(offsetof(Fiber, ret_sp) == 8, "FIBER_RET_SP");

void
moatR_fiber_init(Fiber *f, uintptr_t lo, uintptr_t hi)
{
    memset(f, 0, sizeof *f);
    atomic_init(&f->state, MOAT_FIBER_IDLE);
    f->lo = lo;
    f->cap_hi = hi;
}

/* Under ASan: whatever maps these addresses next must not inherit the
 * redzones of frames that never returned. */
void
moatR_fiber_unpoison(Fiber *f)
{
#ifdef MOAT_ASAN
    if (f->cap_hi > f->lo)
        ASAN_UNPOISON_MEMORY_REGION((void *)f->lo, f->cap_hi - f->lo);
#else
    (void)f;
#endif
}

void
moatR_fiber_fini(Fiber *f)
{
    if (f->map) {
        moatR_fiber_unpoison(f);
        munmap(f->map, f->maplen);
    }
    f->map = NULL;
}

/* An own stack of the current size (when it has none or a smaller one).
 * Fibers of a pool slot have a fixed capacity: a larger stack size is
 * capped there (docs/embedding.md). */
bool
moatR_fiber_ready(Fiber *f, bool own, moat_error *err)
{
    uint64_t size = moatR_stack_size();

    if (own && f->cap_hi - f->lo < size) {
        moatR_fiber_fini(f);
        size_t len = (size_t)(MOAT_STACK_GUARD + size);
        void  *p = mmap(NULL, len, PROT_NONE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p == MAP_FAILED ||
            mprotect((uint8_t *)p + MOAT_STACK_GUARD, (size_t)size,
                     PROT_READ | PROT_WRITE) != 0) {
            if (p != MAP_FAILED)
                munmap(p, len);
            f->lo = f->cap_hi = 0;
            return moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_NOMEM,
                              "out of memory: instance stack");
        }
        f->map = p;
        f->maplen = len;
        f->lo = (uintptr_t)p + MOAT_STACK_GUARD;
        f->cap_hi = f->lo + (uintptr_t)size;
        f->ntops = 0;
        f->scrub_all = false;
    }
    f->top = f->lo + (uintptr_t)(size < f->cap_hi - f->lo ? size
                                                          : f->cap_hi - f->lo);
    for (uint32_t i = 0; i < f->ntops; i++)
        if (f->tops[i] == f->top)
            return true;
    if (f->ntops < sizeof f->tops / sizeof f->tops[0])
        f->tops[f->ntops++] = f->top;
    else
        f->scrub_all = true;
    return true;
}

/* ---- AddressSanitizer: every switch is a fiber switch, so that it knows
 * which stack it is on (google/sanitizers#189). No-ops without it. ---- */

static void
asan_start(void **fake, const void *bottom, size_t size)
{
#ifdef MOAT_ASAN
    __sanitizer_start_switch_fiber(fake, bottom, size);
#else
    (void)fake, (void)bottom, (void)size;
#endif
}

static void
asan_finish(void *fake, const void **bottom, size_t *size)
{
#ifdef MOAT_ASAN
    __sanitizer_finish_switch_fiber(fake, bottom, size);
#else
    (void)fake, (void)bottom, (void)size;
#endif
}

/* ---- runs ---- */

/* The body of a fresh run, on the fiber's stack. It never returns: the
 * frame below it is moatR_fiber_start's. */
static void
fiber_main(void *p)
{
    Fiber *f = p;

    asan_finish(NULL, &f->caller_bottom, &f->caller_size);
    f->fn(f->arg);
    f->result = MOAT_RUN_DONE;
    asan_start(NULL, f->caller_bottom, f->caller_size);   /* run is over */
    moatR_fiber_switch(&f->sp, f->ret_sp);      /* f->sp: unused now */
    __builtin_unreachable();
}

/* What moatR_fiber_switch pops, at the top of a fresh stack: callee-saved
 * registers (r12 = fiber_main, r13 = f), the control words, and
 * moatR_fiber_start as the return address. */
static void
prepare(Fiber *f)
{
    uint64_t *w = (uint64_t *)f->top;
    uint32_t  mxcsr;
    uint16_t  fpcw;

#ifdef MOAT_ASAN
    /* the last run's fiber_main never returned to unpoison its frame */
    ASAN_UNPOISON_MEMORY_REGION((void *)(f->top - OS_PAGE), OS_PAGE);
#endif
    __asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
    __asm__ volatile("fnstcw %0" : "=m"(fpcw));
    w[-1] = (uint64_t)(uintptr_t)moatR_fiber_start;
    w[-2] = 0;                                      /* rbp */
    w[-3] = 0;                                      /* rbx */
    w[-4] = (uint64_t)(uintptr_t)fiber_main;        /* r12 */
    w[-5] = (uint64_t)(uintptr_t)f;                 /* r13 */
    w[-6] = 0;                                      /* r14 */
    w[-7] = 0;                                      /* r15 */
    w[-8] = (uint64_t)mxcsr | (uint64_t)fpcw << 32;
    f->sp = &w[-8];
}

void
moatR_fiber_enter(Activation *a, Fiber *f, bool is_resume)
{
    if (!is_resume)
        prepare(f);
    asan_start(&a->asan_fake, (const void *)f->lo, f->top - f->lo);
    moatR_fiber_switch(&f->ret_sp, f->sp);
    asan_finish(a->asan_fake, NULL, NULL);
}

void
moatR_fiber_landed(Activation *a, Fiber *f)
{
#ifdef MOAT_ASAN
    asan_finish(a->asan_fake, NULL, NULL);
    /* frames abandoned by the trap leave their redzones behind: on the
     * instance stack, and on the entering stack below this frame (the
     * switch), which the longjmp interceptor does not see */
    ASAN_UNPOISON_MEMORY_REGION((void *)f->lo, f->top - f->lo);
    char *here = __builtin_frame_address(0);
    ASAN_UNPOISON_MEMORY_REGION(here - 65536, 65536);
#else
    (void)a, (void)f;
#endif
}

void
moatR_fiber_abandon(Fiber *f)
{
#ifdef MOAT_ASAN
    ASAN_UNPOISON_MEMORY_REGION((void *)f->lo, f->top - f->lo);
#endif
    if (f->vals != f->local)
        moatU_free(f->vals);
    f->vals = NULL;
    f->preempted = false;
    atomic_store(&f->since, 0);
    atomic_store(&f->state, MOAT_FIBER_IDLE);
}

/* ---- the registry funcref.c's quarantine scans ---- */

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static Fiber          *reg_head;
static uint32_t        nreg;

void
moatR_fiber_register(Fiber *f)
{
    pthread_mutex_lock(&reg_lock);
    f->reg_prev = NULL;
    f->reg_next = reg_head;
    if (reg_head)
        reg_head->reg_prev = f;
    reg_head = f;
    f->is_registered = true;
    nreg++;
    pthread_mutex_unlock(&reg_lock);
}

void
moatR_fiber_unregister(Fiber *f)
{
    pthread_mutex_lock(&reg_lock);
    if (f->is_registered) {
        if (f->reg_prev)
            f->reg_prev->reg_next = f->reg_next;
        else
            reg_head = f->reg_next;
        if (f->reg_next)
            f->reg_next->reg_prev = f->reg_prev;
        f->is_registered = false;
        nreg--;
    }
    pthread_mutex_unlock(&reg_lock);
}

uint64_t
moatR_fibers_oldest_run(uint32_t *nfibers)
{
    uint64_t oldest = UINT64_MAX;

    pthread_mutex_lock(&reg_lock);
    for (const Fiber *f = reg_head; f; f = f->reg_next) {
        uint64_t since = atomic_load(&f->since);
        if (since && since < oldest)
            oldest = since;
    }
    *nfibers = nreg;
    pthread_mutex_unlock(&reg_lock);
    return oldest;
}

/* ---- yield: inside a host function or an interruption check, on the
 * instance's stack ---- */

moat_val
moat_caller_yield(moat_caller *c, moat_val v)
{
    Activation *a = moatR_tls.act;
    Fiber      *f = c->inst->fiber;

    /* only the run that switched to this instance's stack can be
     * suspended: a call made in place (back into a running instance) has
     * frames of its caller's run below it */
    if (!a || a->fiber != f)
        moat_caller_trap(c, "cannot yield: the instance is not running on "
                            "its own stack (a nested call)");
    if (f->no_yield)
        moat_caller_trap(c, "cannot yield: start functions cannot");
    return moatR_fiber_yield(f, v);
}

/* Also deadline.c's, for moat_instance_preempt. The entering frame may be
 * on another thread when the run is resumed: nothing here is kept in a
 * thread-local across the switch. */
moat_val
moatR_fiber_yield(Fiber *f, moat_val v)
{
    f->yield_val = v;
    f->result = MOAT_RUN_YIELD;
    asan_start(&f->asan_fake, f->caller_bottom, f->caller_size);
    moatR_fiber_switch(&f->sp, f->ret_sp);
    asan_finish(f->asan_fake, &f->caller_bottom, &f->caller_size);
    return f->resume_val;
}

/* ---- scrubbing: a tenant's stack contents never reach the next ---- */

/* Reads only (ASan: the stack may hold redzones of abandoned frames). */
__attribute__((no_sanitize("address"))) bool
moatR_page_is_zero(const uint8_t *p)
{
    const uint64_t *w = (const uint64_t *)(const void *)p;
    uint64_t        acc = 0;

    for (size_t i = 0; i < OS_PAGE / 8; i += 8)
        acc |= w[i] | w[i + 1] | w[i + 2] | w[i + 3] | w[i + 4] | w[i + 5] |
               w[i + 6] | w[i + 7];
    return acc == 0;
}

/* From top down, every page that is not zero, up to the first zero page:
 * a run writes its stack downwards without gaps (each call pushes a
 * return address; larger frames are probed page by page), so the first
 * zero page is below everything the runs wrote. */
static void
scrub_from(uintptr_t top, uintptr_t lo)
{
    for (uintptr_t p = top - OS_PAGE; p >= lo; p -= OS_PAGE) {
        if (moatR_page_is_zero((const uint8_t *)p))
            break;
#ifdef MOAT_ASAN
        ASAN_UNPOISON_MEMORY_REGION((void *)p, OS_PAGE);
#endif
        memset((void *)p, 0, OS_PAGE);
    }
}

void
moatR_fiber_scrub(Fiber *f)
{
    if (f->scrub_all && f->cap_hi > f->lo) {
        size_t len = f->cap_hi - f->lo;
#ifdef MOAT_ASAN
        ASAN_UNPOISON_MEMORY_REGION((void *)f->lo, len);
#endif
        if (madvise((void *)f->lo, len, MADV_DONTNEED) != 0)
            memset((void *)f->lo, 0, len);
    } else {
        for (uint32_t i = 0; i < f->ntops; i++)
            scrub_from(f->tops[i], f->lo);
    }
    f->ntops = 0;
    f->scrub_all = false;
}
