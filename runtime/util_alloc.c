/* util_alloc.c - the allocator hook. Every allocation in Moat passes here, so
 * an embedder can meter memory and tests can inject failures.
 */
#include <stdlib.h>
#include <string.h>

#include "util.h"

static void *
default_alloc(void *ud, void *ptr, size_t size)
{
    (void)ud;
    if (size == 0) {
        free(ptr);
        return NULL;
    }
    return realloc(ptr, size);
}

static moat_alloc_fn alloc_fn = default_alloc;
static void         *alloc_ud;

void
moat_set_allocator(moat_alloc_fn fn, void *ud)
{
    alloc_fn = fn ? fn : default_alloc;
    alloc_ud = fn ? ud : NULL;
}

void *
moatU_alloc(size_t size)
{
    return alloc_fn(alloc_ud, NULL, size ? size : 1);
}

void *
moatU_realloc(void *p, size_t size)
{
    return alloc_fn(alloc_ud, p, size ? size : 1);
}

void *
moatU_calloc(size_t n, size_t size)
{
    if (size != 0 && n > SIZE_MAX / size)
        return NULL;
    void *p = moatU_alloc(n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

char *
moatU_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char  *p = moatU_alloc(n);

    if (p)
        memcpy(p, s, n);
    return p;
}

void
moatU_free(void *p)
{
    if (p)
        alloc_fn(alloc_ud, p, 0);
}
