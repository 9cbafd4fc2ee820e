/* pool.c - instance slots carved from large PROT_NONE reservations
 * (design.md, "The layout contract"; docs/runtime-scale.md has the
 * arithmetic). An engine's pool reserves address space in chunks as
 * instances need it and registers each chunk once with the fault handler;
 * a slot, once used, keeps its read-write pages, so that instantiating
 * into a free slot makes no system call. Releasing a slot zeroes exactly
 * what may have been written: the heap pages opened so far (the fault
 * handler opens them on first touch, see moatR_pool_fault), the part of
 * the meta area that was carved, the stack pages runs wrote.
 */
#include <string.h>
#include <sys/mman.h>

#include "runtime.h"

#define OS_PAGE        UINT64_C(4096)
#define META_CAP       (UINT64_C(1) << 20)   /* instance + context area */
#define KEEP_OPEN      (UINT64_C(1) << 20)   /* heap a free slot keeps RW */
#define OPEN_STEP      (UINT64_C(16) << 10)  /* opened per heap fault */
#define HUGE_STEP      (UINT64_C(2) << 20)   /* the same, huge pages */
#define MAX_CHUNKS     64
#define CHUNK_MAX      2048                  /* slots per reservation */
#define DEFAULT_SLOTS  16384u
#define REG_MAX        512

/* One reservation: [stack guard][slot 0][slot 1]...; the stack guard of
 * slot i > 0 is the top of slot i - 1's heap guard. */
typedef struct Chunk {
    uintptr_t lo, hi;           /* the whole mapping */
    uintptr_t first;            /* slot 0 */
    uint32_t  nslots;
    Slot     *slots;
    Pool     *pool;
} Chunk;

struct Pool {
    pthread_mutex_t lock;
    uint64_t        stack_cap, reserve, guard, stride;
    uint32_t        max_slots, nreserved, nlive;
    Chunk          *chunks[MAX_CHUNKS];
    uint32_t        nchunks;
    Slot           *free;       /* last released first: warm pages */
};

/* ---- the registry the fault handler reads without a lock: chunks are
 * published with a release store and unpublished (NULL) before they go */

static Chunk *_Atomic   reg[REG_MAX];
static _Atomic uint32_t nreg;
static pthread_mutex_t  reg_lock = PTHREAD_MUTEX_INITIALIZER;

static bool
publish(Chunk *c)
{
    bool ok = false;

    pthread_mutex_lock(&reg_lock);
    uint32_t n = atomic_load(&nreg);
    for (uint32_t i = 0; i < n && !ok; i++)
        if (!atomic_load(&reg[i])) {
            atomic_store_explicit(&reg[i], c, memory_order_release);
            ok = true;
        }
    if (!ok && n < REG_MAX) {
        atomic_store_explicit(&reg[n], c, memory_order_release);
        atomic_store_explicit(&nreg, n + 1, memory_order_release);
        ok = true;
    }
    pthread_mutex_unlock(&reg_lock);
    return ok;
}

static void
unpublish(Chunk *c)
{
    pthread_mutex_lock(&reg_lock);
    for (uint32_t i = 0; i < atomic_load(&nreg); i++)
        if (atomic_load(&reg[i]) == c)
            atomic_store(&reg[i], NULL);
    pthread_mutex_unlock(&reg_lock);
}

static Slot *
slot_at(uintptr_t addr)
{
    uint32_t n = atomic_load_explicit(&nreg, memory_order_acquire);

    for (uint32_t i = 0; i < n; i++) {
        Chunk *c = atomic_load_explicit(&reg[i], memory_order_acquire);
        if (c && addr >= c->first && addr < c->hi) {
            uint64_t k = (addr - c->first) / c->pool->stride;
            return k < c->nslots ? &c->slots[k] : NULL;
        }
    }
    return NULL;
}

/* ---- geometry ---- */

static uint64_t
round_up(uint64_t n, uint64_t to)
{
    return (n + to - 1) / to * to;
}

size_t
moatR_pool_meta_need(const moat_module *m)
{
    const MoatDescriptor *d = m->desc;
    uint64_t              n = 0;

#define ADD(x) (n += round_up((uint64_t)(x), 16))
    ADD(sizeof(moat_instance));
    ADD((d->nimports + 1) * sizeof(Extern));
    ADD((d->ntables + 1) * sizeof(Table *));
    ADD((d->nfuncs + 1) * sizeof(MoatFuncRef));
    ADD((d->nelems + d->ndatas) / 8 + 1);
    ADD((d->nfunc_imports + 1) * sizeof(moat_caller));
    ADD(sizeof(Memory));
#undef ADD
    return (size_t)(n + round_up(m->layout.size, OS_PAGE));
}

bool
moatR_pool_fits(moat_engine *e, const moat_module *m)
{
    return e->max_instances != 0 &&
           m->desc->heap_reserve == MOAT_HEAP_RESERVE &&
           m->desc->heap_guard == MOAT_HEAP_GUARD &&
           moatR_pool_meta_need(m) <= META_CAP;
}

static Pool *
pool_new(moat_engine *e)
{
    Pool *p = moatU_calloc(1, sizeof *p);

    if (!p)
        return NULL;
    pthread_mutex_init(&p->lock, NULL);
    uint64_t stack = moatR_stack_size();
    p->stack_cap = round_up(stack > MOAT_STACK_SIZE ? stack : MOAT_STACK_SIZE,
                            UINT64_C(64) << 10);
    p->reserve = MOAT_HEAP_RESERVE;
    p->guard = MOAT_HEAP_GUARD;
    p->stride = p->stack_cap + META_CAP + p->reserve + p->guard;
    p->max_slots = e->max_instances;
    return p;
}

static Pool *
pool_get(moat_engine *e, moat_error *err)
{
    static pthread_mutex_t make_lock = PTHREAD_MUTEX_INITIALIZER;
    Pool *p = atomic_load_explicit(&e->pool, memory_order_acquire);

    if (p)
        return p;
    pthread_mutex_lock(&make_lock);
    p = atomic_load(&e->pool);
    if (!p && (p = pool_new(e)) != NULL)
        atomic_store_explicit(&e->pool, p, memory_order_release);
    pthread_mutex_unlock(&make_lock);
    if (!p)
        moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_NOMEM, "out of memory");
    return p;
}

/* Reserves n slots (fewer when the address space is fragmented), under
 * the pool lock; their Slots go on the free list, lowest address first. */
static bool
chunk_new(Pool *p, uint32_t n, moat_error *err)
{
    void *map = MAP_FAILED;
    size_t len = 0;

    if (p->nchunks == MAX_CHUNKS)
        n = 0;
    for (; n > 0; n /= 2) {
        len = (size_t)(MOAT_STACK_GUARD + (uint64_t)n * p->stride);
        map = mmap(NULL, len, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (map != MAP_FAILED)
            break;
    }
    if (map == MAP_FAILED)
        return moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_NOMEM,
                          "out of address space for instance slots (%u "
                          "reserved, %llu GiB each)", p->nreserved,
                          (unsigned long long)(p->stride >> 30));
    Chunk *c = moatU_calloc(1, sizeof *c);
    Slot  *s = moatU_calloc(n, sizeof *s);
    /* registered as a reservation: faults of compiled code in it are
     * out-of-bounds accesses (signal.c) */
    if (!c || !s || !moatR_resv_add(c, (uintptr_t)map,
                                    (uintptr_t)map + len)) {
        moatU_free(c);
        moatU_free(s);
        munmap(map, len);
        return moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_NOMEM,
                          "out of memory: instance slots");
    }
    c->lo = (uintptr_t)map;
    c->hi = c->lo + len;
    c->first = c->lo + (uintptr_t)MOAT_STACK_GUARD;
    c->nslots = n;
    c->slots = s;
    c->pool = p;
    for (uint32_t i = n; i-- > 0;) {
        Slot *x = &s[i];
        x->pool = p;
        x->stack_lo = (uint8_t *)(c->first + (uintptr_t)(i * p->stride));
        x->meta = x->stack_lo + p->stack_cap;
        x->base = x->meta + META_CAP;
        moatR_fiber_init(&x->fiber, (uintptr_t)x->stack_lo,
                         (uintptr_t)x->meta);
        x->next_free = p->free;
        p->free = x;
    }
    if (!publish(c)) {
        p->free = s[n - 1].next_free;
        moatR_resv_remove(c);
        munmap(map, len);
        moatU_free(s);
        moatU_free(c);
        return moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_LIMIT,
                          "too many instance slot reservations");
    }
    p->chunks[p->nchunks++] = c;
    p->nreserved += n;
    return true;
}

/* Reservations double (16, 16, 32, ... CHUNK_MAX slots) up to the limit:
 * few mappings, little address space held beyond what is used. */
static uint32_t
chunk_slots(const Pool *p)
{
    uint32_t n = p->nreserved < 16 ? 16 : p->nreserved;

    if (n > CHUNK_MAX)
        n = CHUNK_MAX;
    if (p->max_slots > p->nreserved && n > p->max_slots - p->nreserved)
        n = p->max_slots - p->nreserved;
    return n;
}

/* ---- slots ---- */

Slot *
moatR_pool_acquire(moat_engine *e, moat_error *err)
{
    Pool *p = pool_get(e, err);
    Slot *s = NULL;

    if (!p)
        return NULL;
    pthread_mutex_lock(&p->lock);
    p->max_slots = e->max_instances;
    if (p->nlive >= p->max_slots) {
        moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_LIMIT,
                   "instance limit reached: %u instances alive (see "
                   "moat_engine_set_instance_limit)", p->nlive);
    } else if (p->free || chunk_new(p, chunk_slots(p), err)) {
        s = p->free;
        p->free = s->next_free;
        s->next_free = NULL;
        p->nlive++;
    }
    pthread_mutex_unlock(&p->lock);
    /* first use: stack and meta read-write (the heap opens on demand) */
    if (s && !s->is_ready) {
        if (mprotect(s->stack_lo, (size_t)(s->base - s->stack_lo),
                     PROT_READ | PROT_WRITE) != 0) {
            moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_NOMEM,
                       "out of memory: instance slot (too many mappings?)");
            moatR_pool_release(s);
            return NULL;
        }
        moatR_fiber_register(&s->fiber);
        s->is_ready = true;
    }
    return s;
}

/* Zeroes the pages of [p, p + len) that are not zero already: pages
 * opened ahead of the guest's accesses and never written stay what they
 * are (not resident), instead of costing memory in every free slot. */
static void
zero_written(uint8_t *p, uint64_t len)
{
    for (uint64_t off = 0; off < len; off += OS_PAGE)
        if (!moatR_page_is_zero(p + off))
            memset(p + off, 0, (size_t)OS_PAGE);
}

/* [0, open) of the heap; the pages the runtime wrote without looking. */
static void
zero_heap(Slot *s, uint64_t open)
{
    uint64_t lo = s->wrote_lo & ~(OS_PAGE - 1);
    uint64_t hi = round_up(s->wrote_hi, OS_PAGE);

    if (hi > open)
        hi = open;
    if (lo >= hi) {
        zero_written(s->base, open);
    } else {
        zero_written(s->base, lo);
        memset(s->base + lo, 0, (size_t)(hi - lo));
        zero_written(s->base + hi, open - hi);
    }
    s->wrote_lo = s->wrote_hi = 0;
}

void
moatR_slot_scrub_heap(Slot *s)
{
    uint64_t open = atomic_load(&s->open);

    if (open <= KEEP_OPEN) {
        zero_heap(s, open);
        return;
    }
    /* a large heap: give its pages back rather than write them all */
    zero_heap(s, KEEP_OPEN);
    madvise(s->base + KEEP_OPEN, (size_t)(open - KEEP_OPEN), MADV_DONTNEED);
    moatR_slot_close(s, KEEP_OPEN);
}

void
moatR_pool_release(Slot *s)
{
    Pool *p = s->pool;

    atomic_store(&s->mem, NULL);
    moatR_slot_scrub_heap(s);
    memset(s->meta, 0, s->meta_used);
    memset(s->base - s->ctx_used, 0, s->ctx_used);
    s->meta_used = s->ctx_used = 0;
    moatR_fiber_scrub(&s->fiber);
    pthread_mutex_lock(&p->lock);
    s->next_free = p->free;
    p->free = s;
    p->nlive--;
    pthread_mutex_unlock(&p->lock);
}

bool
moatR_slot_open(Slot *s, uint64_t end)
{
    uint64_t open = atomic_load(&s->open);

    end = round_up(end, OS_PAGE);
    while (open < end) {
        if (mprotect(s->base + open, (size_t)(end - open),
                     PROT_READ | PROT_WRITE) != 0)
            return false;
        if (atomic_compare_exchange_weak(&s->open, &open, end))
            break;
    }
    return true;
}

bool
moatR_slot_close(Slot *s, uint64_t end)
{
    uint64_t open = atomic_load(&s->open);

    if (open <= end)
        return true;
    if (mprotect(s->base + end, (size_t)(open - end), PROT_NONE) != 0)
        return false;
    atomic_store(&s->open, end);
    return true;
}

/* In a signal handler: only arithmetic, atomics and mprotect. */
bool
moatR_pool_fault(uintptr_t addr)
{
    Slot *s = slot_at(addr);

    if (!s)
        return false;
    Memory  *mem = atomic_load_explicit(&s->mem, memory_order_acquire);
    uintptr_t base = (uintptr_t)s->base;
    if (!mem || addr < base + atomic_load(&s->open) ||
        addr >= base + mem->m.size)
        return false;
    /* a memory with huge pages opens whole 2 MiB pages of the address
     * space (the kernel backs only those with one) */
    uint64_t want = atomic_load_explicit(&mem->is_huge, memory_order_acquire)
                        ? round_up(addr + 1, HUGE_STEP) - base
                        : round_up(addr - base + 1, OPEN_STEP);
    return moatR_slot_open(s, want < mem->m.size ? want : mem->m.size);
}

void
moatR_pool_free(moat_engine *e)
{
    Pool *p = atomic_load(&e->pool);

    if (!p)
        return;
    if (p->nlive == 0) {        /* else leaked instances keep their pages */
        for (uint32_t i = 0; i < p->nchunks; i++) {
            Chunk *c = p->chunks[i];
            for (uint32_t k = 0; k < c->nslots; k++)
                if (c->slots[k].is_ready) {
                    moatR_fiber_unregister(&c->slots[k].fiber);
                    moatR_fiber_unpoison(&c->slots[k].fiber);
                }
            unpublish(c);
            moatR_resv_remove(c);
            munmap((void *)c->lo, c->hi - c->lo);
            moatU_free(c->slots);
            moatU_free(c);
        }
        pthread_mutex_destroy(&p->lock);
        moatU_free(p);
    }
    atomic_store(&e->pool, NULL);
}

/* ---- public: limits and numbers ---- */

void
moat_engine_set_instance_limit(moat_engine *e, uint32_t n)
{
    e->max_instances = n;
}

void
moat_engine_pool_stats(moat_engine *e, moat_pool_stats *out)
{
    Pool *p = atomic_load(&e->pool);

    memset(out, 0, sizeof *out);
    out->limit = e->max_instances;
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    out->live = p->nlive;
    out->reserved = p->nreserved;
    out->reservations = p->nchunks;
    out->slot_bytes = p->stride;
    for (uint32_t i = 0; i < p->nchunks; i++)
        out->address_space += p->chunks[i]->hi - p->chunks[i]->lo;
    pthread_mutex_unlock(&p->lock);
}

uint32_t
moatR_pool_default_slots(void)
{
    return DEFAULT_SLOTS;
}
