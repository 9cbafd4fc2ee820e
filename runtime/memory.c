/* memory.c - linear memories (spec 4.2.8 memory instances, 4.5.3.5
 * growmem). A memory lives either in an instance's pool slot (pool.c), or
 * in one mmap reservation of its own: [prefix][reserve][guard], PROT_NONE
 * except the prefix (the context area of an instance whose ctx is the
 * heap base) and the pages in use. The base never moves; growing only
 * makes more pages accessible. Out-of-bounds accesses fault in the
 * PROT_NONE part and become traps in signal.c. In a slot, pages are
 * opened on first touch instead (moatR_pool_fault), so that a slot's
 * next tenant only needs the touched pages zeroed.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>

#include "runtime.h"

#define OS_PAGE 4096u
#define HUGE_PAGE (UINT64_C(2) << 20)

static uint64_t
round_os(uint64_t n)
{
    return (n + OS_PAGE - 1) & ~(uint64_t)(OS_PAGE - 1);
}

static Memory *
fail_nomem(moat_error *err, const char *what)
{
    moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_NOMEM,
               "out of memory: %s (%s)", what, strerror(errno));
    return NULL;
}

/* prefix: bytes of context area before the heap (rounded up to OS pages);
 * reserve: bytes the heap may grow to; guard: PROT_NONE bytes after. */
Memory *
moatR_memory_new(size_t prefix, uint32_t min, uint32_t max, bool has_max,
                 uint64_t reserve, uint64_t guard, moat_error *err)
{
    uint64_t pre = round_os(prefix);
    uint64_t size = (uint64_t)min * MOAT_PAGE_SIZE;

    if (size > reserve || reserve % MOAT_PAGE_SIZE || guard % OS_PAGE) {
        moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_LIMIT,
                   "memory of %u pages does not fit its reservation", min);
        return NULL;
    }
    Memory *mem = moatU_calloc(1, sizeof *mem);
    if (!mem)
        return fail_nomem(err, "memory");
    mem->maplen = (size_t)(pre + reserve + guard);
    void *map = mmap(NULL, mem->maplen, PROT_NONE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (map == MAP_FAILED) {
        moatU_free(mem);
        return fail_nomem(err, "memory reservation");
    }
    mem->map = map;
    if ((pre + size && mprotect(map, (size_t)(pre + size),
                                PROT_READ | PROT_WRITE) != 0) ||
        !moatR_resv_add(mem, (uintptr_t)map,
                        (uintptr_t)map + mem->maplen)) {
        munmap(map, mem->maplen);
        moatU_free(mem);
        return fail_nomem(err, "memory pages");
    }
    uint64_t cap = reserve / MOAT_PAGE_SIZE;
    if (cap > MOAT_MAX_PAGES)
        cap = MOAT_MAX_PAGES;
    mem->m.base = mem->map + pre;
    mem->m.size = size;
    mem->m.max_pages = has_max && max < cap ? max : cap;
    mem->m.reserve = reserve;
    mem->guard = guard;
    mem->decl_max = max;
    mem->has_max = has_max;
    return mem;
}

bool
moatR_memory_in_slot(Memory *mem, Slot *s, uint32_t min, uint32_t max,
                     bool has_max, moat_error *err)
{
    uint64_t size = (uint64_t)min * MOAT_PAGE_SIZE;

    if (size > MOAT_HEAP_RESERVE)
        return moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_LIMIT,
                          "memory of %u pages does not fit its reservation",
                          min);
    /* the last tenant may have opened more than this one's size: those
     * pages are zero, but must fault again */
    if (!moatR_slot_close(s, size))
        return moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_NOMEM,
                          "out of memory: memory pages (%s)",
                          strerror(errno));
    mem->m.base = s->base;
    mem->m.size = size;
    mem->m.max_pages = has_max && max < MOAT_MAX_PAGES ? max : MOAT_MAX_PAGES;
    mem->m.reserve = MOAT_HEAP_RESERVE;
    mem->guard = MOAT_HEAP_GUARD;
    mem->decl_max = max;
    mem->has_max = has_max;
    mem->slot = s;
    atomic_store_explicit(&s->mem, mem, memory_order_release);
    return true;
}

/* MADV_HUGEPAGE over the 2 MiB-aligned part of the reservation, once per
 * memory (and per slot: the advice stays on the slot's mapping, so that a
 * later large tenant finds it; a small one opens 16 KiB at a time, never a
 * whole 2 MiB, and keeps 4 KiB pages). The advice splits the mapping at
 * its two ends: a slot that held a large memory keeps 2 more mappings.
 * Without transparent huge pages in the kernel madvise fails (EINVAL) and
 * the memory works as before. */
void
moatR_memory_advise_huge(Memory *mem)
{
    if (!mem->huge_at || mem->m.size < mem->huge_at ||
        atomic_load_explicit(&mem->is_huge, memory_order_relaxed))
        return;
    uintptr_t lo = (uintptr_t)mem->m.base;
    uintptr_t hi = lo + mem->m.reserve;
    Slot     *s = mem->slot;

    lo = (lo + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1);
    hi &= ~(uintptr_t)(HUGE_PAGE - 1);
    if ((!s || !s->is_huge) && lo < hi)
        (void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
    if (s)
        s->is_huge = true;
    atomic_store_explicit(&mem->is_huge, true, memory_order_release);
}

bool
moatR_memory_will_write(MoatMemory *m, uint64_t lo, uint64_t hi)
{
    Slot *s = ((Memory *)m)->slot;

    if (!s)
        return true;
    if (s->wrote_hi == 0 || lo < s->wrote_lo)
        s->wrote_lo = lo;
    if (hi > s->wrote_hi)
        s->wrote_hi = hi;
    return moatR_slot_open(s, hi);
}

void
moatR_memory_expose(MoatMemory *m)
{
    Memory *mem = (Memory *)m;

    if (!mem->slot || mem->is_exposed)
        return;
    mem->is_exposed = moatR_slot_open(mem->slot, m->size);
}

/* Zeroes the accessible pages and takes the size back to min pages. */
bool
moatR_memory_reset(Memory *mem, uint32_t min, moat_error *err)
{
    uint64_t size = (uint64_t)min * MOAT_PAGE_SIZE;

    if (mem->m.size > size)
        moatR_budget_refund(mem->budget, mem->m.size - size);

    if (mem->slot) {
        moatR_slot_scrub_heap(mem->slot);
        mem->m.size = size;
        mem->is_exposed = false;
        return moatR_slot_close(mem->slot, size) ||
               moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_NOMEM,
                          "out of memory: memory pages");
    }
    uint8_t *base = mem->m.base;
    if (madvise(base, (size_t)mem->m.size, MADV_DONTNEED) != 0)
        memset(base, 0, (size_t)mem->m.size);
    if (mem->m.size > size &&
        mprotect(base + size, (size_t)(mem->m.size - size), PROT_NONE) != 0)
        return moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_NOMEM,
                          "out of memory: memory pages");
    mem->m.size = size;
    return true;
}

void
moatR_memory_free(Memory *mem)
{
    if (!mem || mem->slot)      /* a slot's memory goes with the slot */
        return;
    moatR_resv_remove(mem);
    munmap(mem->map, mem->maplen);
    moatU_free(mem);
}

uint32_t
moatR_memory_pages(const MoatMemory *m)
{
    return (uint32_t)(m->size / MOAT_PAGE_SIZE);
}

static uint32_t grow_by(MoatMemory *m, uint32_t delta);

uint32_t
moatR_memory_grow_by(MoatMemory *m, uint32_t delta)
{
    /* a shared memory (threads) may grow from several threads at once:
     * one grow at a time reads the size, charges and opens pages */
    static pthread_mutex_t shared_grow = PTHREAD_MUTEX_INITIALIZER;
    if (!((Memory *)m)->shared)
        return grow_by(m, delta);
    pthread_mutex_lock(&shared_grow);
    uint32_t r = grow_by(m, delta);
    pthread_mutex_unlock(&shared_grow);
    return r;
}

static uint32_t
grow_by(MoatMemory *m, uint32_t delta)
{
    uint32_t old = moatR_memory_pages(m);

    if ((uint64_t)old + delta > m->max_pages)
        return UINT32_MAX;
    if (delta == 0)
        return old;
    uint64_t add = (uint64_t)delta * MOAT_PAGE_SIZE;
    Memory  *mem = (Memory *)m;
    if (!moatR_budget_charge(mem->budget, add))     /* limits.c */
        return UINT32_MAX;
    /* in a slot, pages open on first touch unless the host holds the
     * base pointer */
    bool ok = mem->slot ? !mem->is_exposed ||
                          moatR_slot_open(mem->slot, m->size + add)
                        : mprotect(m->base + m->size, (size_t)add,
                                   PROT_READ | PROT_WRITE) == 0;
    if (!ok) {
        moatR_budget_refund(mem->budget, add);
        return UINT32_MAX;
    }
    __atomic_store_n(&m->size, m->size + add, __ATOMIC_RELEASE);
    moatR_memory_advise_huge(mem);
    return old;
}
