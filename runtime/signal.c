/* signal.c - turning faults of compiled code into traps (design.md,
 * "Running code"). SIGSEGV/SIGBUS/SIGFPE/SIGILL handlers, installed while
 * an engine lives, run on the per-thread alternate stack (stack.c). A
 * fault becomes a trap only inside a moat call on this thread, and only
 * when its PC is in loaded compiled code: touching the running stack's
 * guard, or a memory reservation, or dividing by zero, or ud2. A first
 * touch of a pool slot's memory page is not a fault at all: it opens the
 * page (pool.c). Anything else goes to the handler that was there before
 * us: we never swallow a host fault, nor unwind host frames.
 */
#include <signal.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

#include "runtime.h"

/* ---- registries of code ranges and memory reservations ----
 * The handler reads them under the lock. It never waits on itself: the
 * faulting thread runs compiled code, which holds no lock, and reg_held
 * catches a fault inside the runtime while the lock is taken. */

typedef struct Range {
    const void        *key;
    const moat_module *mod;     /* the module whose code this is, or NULL */
    const ElfImage    *img;
    uintptr_t       lo, hi;
} Range;

typedef struct Ranges {
    Range *v;
    size_t n, cap;
} Ranges;

static pthread_mutex_t       reg_lock = PTHREAD_MUTEX_INITIALIZER;
static _Thread_local bool    reg_held;
static Ranges                codes, resvs;

static void
reg_enter(void)
{
    pthread_mutex_lock(&reg_lock);
    reg_held = true;
}

static void
reg_leave(void)
{
    reg_held = false;
    pthread_mutex_unlock(&reg_lock);
}

static bool
ranges_add(Ranges *r, Range x)
{
    bool ok = true;

    reg_enter();
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        Range *v = moatU_realloc(r->v, cap * sizeof *v);
        if (v) {
            r->v = v;
            r->cap = cap;
        }
        ok = v != NULL;
    }
    if (ok)
        r->v[r->n++] = x;
    reg_leave();
    return ok;
}

static void
ranges_remove(Ranges *r, const void *key)
{
    reg_enter();
    for (size_t i = 0; i < r->n;)
        if (r->v[i].key == key)
            r->v[i] = r->v[--r->n];
        else
            i++;
    if (r->n == 0) {
        moatU_free(r->v);
        r->v = NULL;
        r->cap = 0;
    }
    reg_leave();
}

static const Range *
ranges_find(const Ranges *r, uintptr_t a)
{
    for (size_t i = 0; i < r->n; i++) {
        const Range *x = &r->v[i];
        if (x->img ? moatR_elf_contains_pc(x->img, a)
                   : a >= x->lo && a < x->hi)
            return x;
    }
    return NULL;
}

bool
moatR_code_add(const void *key, const ElfImage *img, uintptr_t lo,
               uintptr_t hi)
{
    return ranges_add(&codes, (Range){ key, NULL, img, lo, hi });
}

bool
moatR_code_add_module(const moat_module *m, const ElfImage *img,
                      uintptr_t lo, uintptr_t hi)
{
    return ranges_add(&codes, (Range){ m, m, img, lo, hi });
}

void
moatR_code_remove(const void *key)
{
    ranges_remove(&codes, key);
}

/* Called after a trap has unwound (not from the handler): the lock is
 * free, and the module cannot go away while its call is being reported. */
const moat_module *
moatR_code_module(uintptr_t pc)
{
    reg_enter();
    const Range       *x = ranges_find(&codes, pc);
    const moat_module *m = x ? x->mod : NULL;
    reg_leave();
    return m;
}

bool
moatR_code_span(uintptr_t pc, uintptr_t *lo, uintptr_t *hi)
{
    reg_enter();
    const Range *x = ranges_find(&codes, pc);
    bool         has = x != NULL;
    if (x && x->img)
        has = moatR_elf_code_span(x->img, pc, lo, hi);
    else if (x) {
        *lo = x->lo;
        *hi = x->hi;
    }
    reg_leave();
    return has;
}

bool
moatR_resv_add(const void *key, uintptr_t lo, uintptr_t hi)
{
    return ranges_add(&resvs, (Range){ key, NULL, NULL, lo, hi });
}

void
moatR_resv_remove(const void *key)
{
    ranges_remove(&resvs, key);
}

/* ---- classifying a fault ---- */

static bool
in(uintptr_t a, uintptr_t lo, uintptr_t hi)
{
    return a >= lo && a < hi;
}

/* What a fault is: not ours (the host's, passed on), a trap, or host code
 * that ran out of the wasm stack's reserve (passed on too, after a line
 * on stderr). */
typedef enum Fault { F_NOT_OURS, F_TRAP, F_HOST_OVERFLOW } Fault;

/* Only a PC in compiled code makes a trap. Unwinding from anywhere else
 * would leave host frames half done: a helper or host function in malloc
 * would leave its arena locked, and the host deadlocks on its next
 * allocation. So a fault in the guard of the wasm stack is "call stack
 * exhausted" only when compiled code touched it; compiled code leaves
 * host code the reserve (abi.h, "the stack limit"), and host code that
 * needs more is the host's bug. */
static Fault
classify(int sig, int si_code, uintptr_t addr, uintptr_t pc, uintptr_t sp,
         moat_trap *trap)
{
    const ThreadState *ts = &moatR_tls;
    bool is_mem = sig == SIGSEGV || sig == SIGBUS;
    bool on_guard = is_mem && ts->fiber &&
                    in(addr, ts->guard_lo, ts->guard_hi);
    /* host code ran out of this stack (rather than touching it from
     * another one) */
    bool overflow = on_guard && in(sp, ts->guard_lo, ts->stack_hi);

    if (!ts->act)
        return F_NOT_OURS;
    if (reg_held)               /* the registry code itself faulted */
        return overflow ? F_HOST_OVERFLOW : F_NOT_OURS;
    reg_enter();
    bool in_code = ranges_find(&codes, pc) != NULL;
    bool in_resv = is_mem && in_code && ranges_find(&resvs, addr) != NULL;
    reg_leave();
    if (!in_code)
        return overflow ? F_HOST_OVERFLOW : F_NOT_OURS;
    if (on_guard)
        *trap = MOAT_TRAP_STACK_EXHAUSTED;
    else if (in_resv)
        *trap = MOAT_TRAP_MEMORY_OOB;
    else if (sig == SIGFPE)     /* x86 reports INT_MIN / -1 as INTDIV too */
        *trap = si_code == FPE_INTDIV   ? MOAT_TRAP_DIV_ZERO
                : si_code == FPE_INTOVF ? MOAT_TRAP_INT_OVERFLOW
                                        : MOAT_TRAP_NONE;
    else if (sig == SIGILL)     /* ud2: llvm.trap */
        *trap = MOAT_TRAP_UNREACHABLE;
    return *trap != MOAT_TRAP_NONE ? F_TRAP : F_NOT_OURS;
}

/* ---- one line on stderr, from the handler (async-signal-safe) ---- */

typedef struct Line {
    char   buf[384];
    size_t n;
} Line;

static void
put(Line *l, const char *s)
{
    while (*s && l->n < sizeof l->buf)
        l->buf[l->n++] = *s++;
}

static void
put_num(Line *l, uint64_t v, unsigned base)
{
    char     d[24];
    unsigned n = 0;

    do {
        d[n++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    if (base == 16)
        put(l, "0x");
    while (n && l->n < sizeof l->buf)
        l->buf[l->n++] = d[--n];
}

static void
report_overflow(uintptr_t addr, uintptr_t pc)
{
    const ThreadState *ts = &moatR_tls;
    Line               l = { .n = 0 };
    uintptr_t          reserve = moatR_stack_limit > ts->guard_hi
                                     ? moatR_stack_limit - ts->guard_hi
                                     : 0;

    put(&l, "moat: host code overflowed the stack reserve of ");
    put_num(&l, reserve >> 10, 10);
    put(&l, " KiB on the wasm stack (fault at ");
    put_num(&l, addr, 16);
    put(&l, " in the guard, pc ");
    put_num(&l, pc, 16);
    put(&l, " outside compiled code): a host function, helper or WASI "
            "call needs more stack (moat_engine_set_stack_reserve); not a "
            "wasm trap, passing the signal on\n");
    for (size_t at = 0; at < l.n;) {
        ssize_t k = write(2, l.buf + at, l.n - at);
        if (k <= 0)
            break;
        at += (size_t)k;
    }
}

/* ---- the handlers ---- */

static const int        sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL };
enum { NSIGS = sizeof sigs / sizeof sigs[0] };
static struct sigaction prev[NSIGS];
static pthread_mutex_t  install_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned         ninstalled;

/* Hands the signal to whoever had it before us. */
static void
chain(int sig, siginfo_t *si, void *uc)
{
    const struct sigaction *p = NULL;

    for (int i = 0; i < NSIGS; i++)
        if (sigs[i] == sig)
            p = &prev[i];
    if (p && (p->sa_flags & SA_SIGINFO) && p->sa_sigaction) {
        p->sa_sigaction(sig, si, uc);
        return;
    }
    if (p && p->sa_handler != SIG_DFL && p->sa_handler != SIG_IGN) {
        p->sa_handler(sig);
        return;
    }
    if (p && p->sa_handler == SIG_IGN && si->si_code <= 0)
        return;                 /* sent, not raised by a fault: ignored */
    /* Default action: restore it; a fault re-executes and takes it, a
     * sent signal is sent again. */
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigaction(sig, &dfl, NULL);
    if (si->si_code <= 0)
        raise(sig);
}

static void
handler(int sig, siginfo_t *si, void *ucv)
{
    ThreadState *ts = &moatR_tls;
    ucontext_t  *uc = ucv;

    /* a first touch of a pool slot's memory page, by any code on any
     * thread: the page is opened and the access goes on (pool.c) */
    if (sig == SIGSEGV && si->si_code == SEGV_ACCERR &&
        moatR_pool_fault((uintptr_t)si->si_addr))
        return;
    if (ts->act && !ts->in_handler) {
        ts->in_handler = true;
        uintptr_t pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
        uintptr_t addr = (uintptr_t)si->si_addr;
        moat_trap t = MOAT_TRAP_NONE;
        Fault     f = classify(sig, si->si_code, addr, pc,
                               (uintptr_t)uc->uc_mcontext.gregs[REG_RSP],
                               &t);
        ts->in_handler = false;
        if (f == F_TRAP)
            moatR_unwind_at((int)t, pc,
                            (uintptr_t)uc->uc_mcontext.gregs[REG_RBP],
                            false);
        if (f == F_HOST_OVERFLOW)
            report_overflow(addr, pc);
    }
    chain(sig, si, ucv);
}

bool
moatR_signals_install(moat_error *err)
{
    bool ok = true;

    pthread_mutex_lock(&install_lock);
    if (ninstalled == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = handler;
        sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
        sigemptyset(&sa.sa_mask);
        for (int i = 0; i < NSIGS && ok; i++)
            ok = sigaction(sigs[i], &sa, &prev[i]) == 0;
        if (!ok)
            for (int i = 0; i < NSIGS; i++)
                sigaction(sigs[i], &prev[i], NULL);
    }
    if (ok)
        ninstalled++;
    pthread_mutex_unlock(&install_lock);
    if (!ok)
        moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_LIMIT,
                   "cannot install signal handlers");
    return ok;
}

/* The last engine puts back the handlers we replaced (unless someone
 * replaced ours meanwhile) and frees this thread's stacks. */
void
moatR_signals_uninstall(void)
{
    pthread_mutex_lock(&install_lock);
    if (ninstalled > 0 && --ninstalled == 0) {
        for (int i = 0; i < NSIGS; i++) {
            struct sigaction cur;
            if (sigaction(sigs[i], NULL, &cur) == 0 &&
                (cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == handler)
                sigaction(sigs[i], &prev[i], NULL);
        }
        moatR_thread_release();
    }
    pthread_mutex_unlock(&install_lock);
}
