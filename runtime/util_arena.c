/* util_arena.c - bump allocator for data that lives and dies together (one
 * decoded Module, one function's scratch state). Blocks grow geometrically.
 */
#include <string.h>

#include "util.h"

struct ArenaBlock {
    ArenaBlock *next;
    size_t      size;
    _Alignas(16) char data[];
};

enum { ARENA_MIN_BLOCK = 4096, ARENA_ALIGN = 16 };

void
moatU_arena_init(Arena *a)
{
    a->head = NULL;
    a->p = a->end = NULL;
}

void
moatU_arena_fini(Arena *a)
{
    ArenaBlock *b = a->head;
    while (b) {
        ArenaBlock *next = b->next;
        moatU_free(b);
        b = next;
    }
    moatU_arena_init(a);
}

void *
moatU_arena_alloc(Arena *a, size_t size)
{
    size = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (size == 0)
        size = ARENA_ALIGN;
    if ((size_t)(a->end - a->p) < size) {
        size_t want = a->head ? a->head->size * 2 : ARENA_MIN_BLOCK;
        if (want < size)
            want = size;
        if (want > SIZE_MAX - sizeof(ArenaBlock))
            return NULL;
        ArenaBlock *b = moatU_alloc(sizeof(ArenaBlock) + want);
        if (!b)
            return NULL;
        b->next = a->head;
        b->size = want;
        a->head = b;
        a->p = b->data;
        a->end = b->data + want;
    }
    void *r = a->p;
    a->p += size;
    return r;
}

void *
moatU_arena_array(Arena *a, size_t n, size_t size)
{
    if (size != 0 && n > (SIZE_MAX >> 1) / size)
        return NULL;
    void *p = moatU_arena_alloc(a, n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}
