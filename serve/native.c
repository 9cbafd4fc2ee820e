/* native.c - handlers compiled into a server binary: bench/serve's
 * serve-native registers the benchmark handlers to measure what the
 * sandbox costs. `moat serve` itself registers none.
 */
#include <string.h>

#include "serve.h"

#define MAX_NATIVE 16

typedef struct Native {
    const char   *name;
    ServeNativeFn fn;
} Native;

static Native natives[MAX_NATIVE];
static int nnatives;

void
serve_native_register(const char *name, ServeNativeFn fn)
{
    if (nnatives < MAX_NATIVE)
        natives[nnatives++] = (Native){ name, fn };
}

ServeNativeFn
serve_native_find(const char *name)
{
    for (int i = 0; i < nnatives; i++)
        if (!strcmp(natives[i].name, name))
            return natives[i].fn;
    return NULL;
}
