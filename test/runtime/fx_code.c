/* fx_code.c - not part of any executable: compiled to relocatable objects
 * at build time (PIC, non-PIC, large model; gcc and clang) and loaded by
 * test_elf.c. Exercises calls to libc and libm through stubs, a runtime
 * helper, .rodata, .data, .bss with a page alignment, function pointers
 * in writable data (R_X86_64_64) and in relocated constants (.data.rel.ro),
 * and GOT loads of global data.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

void moatR_trap(void *ctx, uint32_t code);

static const double scale[4] = { 0.5, 1.5, 2.5, 3.5 };
int counter = 40;
static char buf[256];
static _Alignas(4096) unsigned char page[100];

__attribute__((noinline)) static int
add1(int x)
{
    return x + 1;
}

int
fx_twice(int x)
{
    return 2 * x;
}

__attribute__((noinline)) static int
negate(int x)
{
    return -x;
}

int (*ops[3])(int) = { add1, fx_twice, negate };
int (*const cops[2])(int) = { negate, add1 };
const char *const fx_greeting = "hello, loader";

double
fx_scale(int i, double x)
{
    return scale[i & 3] * sqrt(x);
}

double
fx_fmod(double a, double b)
{
    return fmod(a, b);
}

/* n unbounded (the caller keeps it below sizeof buf): a memcpy call. */
size_t
fx_copy(const char *s, size_t n)
{
    memcpy(buf, s, n);
    buf[n] = 0;
    return n;
}

const char *
fx_buf(void)
{
    return buf;
}

int
fx_bump(void)
{
    return ++counter;
}

int
fx_apply(int i, int x)
{
    return ops[i % 3](x);
}

int
fx_capply(int i, int x)
{
    return cops[i & 1](x);
}

/* Returns the page-aligned .bss array after checking it was zero. */
uintptr_t
fx_page(void)
{
    unsigned sum = 0;

    for (size_t i = 0; i < sizeof page; i++)
        sum += page[i];
    page[0] = 1;
    return sum ? 0 : (uintptr_t)page;
}

void
fx_trap(void *ctx)
{
    moatR_trap(ctx, 3);
}
