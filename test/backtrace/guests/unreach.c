/* unreach.c - wasm's unreachable (__builtin_trap) in a called function. */
__attribute__((noinline)) void
boom(int x)
{
    if (x == 1)
        __builtin_trap();
}

int
main(int argc, char **argv)
{
    (void)argv;
    boom(argc);
    return 0;
}
