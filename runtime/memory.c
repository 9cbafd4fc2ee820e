/* memory.c - linear memories (spec 4.2.8 memory instances, 4.5.3.5
 * growmem). One mmap reservation per memory: [prefix][reserve][guard],
 * PROT_NONE except the prefix (the context area of an instance whose ctx
 * is the heap base) and the pages in use. The base never moves; growing
 * only opens more pages. Out-of-bounds accesses fault in the PROT_NONE
 * part and become traps in signal.c.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "runtime.h"

#define OS_PAGE 4096u

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

void
moatR_memory_free(Memory *mem)
{
    if (!mem)
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

uint32_t
moatR_memory_grow_by(MoatMemory *m, uint32_t delta)
{
    uint32_t old = moatR_memory_pages(m);

    if ((uint64_t)old + delta > m->max_pages)
        return UINT32_MAX;
    if (delta == 0)
        return old;
    uint64_t add = (uint64_t)delta * MOAT_PAGE_SIZE;
    if (mprotect(m->base + m->size, (size_t)add, PROT_READ | PROT_WRITE) != 0)
        return UINT32_MAX;
    m->size += add;
    return old;
}
