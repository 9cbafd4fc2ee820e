/* guest_c.c - a C plugin with libc, built as a WASI reactor
 * (clang --target=wasm32-wasi -mexec-model=reactor): _initialize runs the
 * constructors, then the exports use malloc and printf (docs/plugins.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *prefix;

__attribute__((constructor)) static void
init(void)
{
    prefix = malloc(8);
    strcpy(prefix, "sum");
}

__attribute__((export_name("sum_to"))) long long
sum_to(int n)
{
    long long s = 0;
    for (int i = 1; i <= n; i++)
        s += i;
    printf("%s %d = %lld\n", prefix ? prefix : "(no constructor)", n, s);
    fflush(stdout);
    return s;
}
