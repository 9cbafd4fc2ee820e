/* stack.c - unbounded recursion that is no tail call: the call stack is
 * exhausted; the backtrace keeps the innermost frames only. */
__attribute__((noinline)) int
down(int n)
{
    volatile char buf[64];

    buf[n % 64] = (char)n;
    return down(n + 1) + buf[(n + 1) % 64];
}

int
main(int argc, char **argv)
{
    (void)argv;
    return down(argc);
}
