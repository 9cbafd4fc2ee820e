/* fib.c - calls: naive doubly recursive Fibonacci, fib(n). (clang turns
 * one of the two calls into a loop, on every target alike.) */
#include "bench.h"

static int64_t
fib(int n)
{
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

int64_t
run(int n)
{
    return fib(n);
}
