/* oob.c - a store out of bounds of linear memory, three calls deep. */
__attribute__((noinline)) void
level3(int *p)
{
    *(volatile int *)p = 1;
}

__attribute__((noinline)) void
level2(int *p)
{
    level3(p + 1);
    __asm__ volatile("" ::: "memory");  /* not a tail call */
}

__attribute__((noinline)) void
level1(int *p)
{
    level2(p + 1);
    __asm__ volatile("" ::: "memory");
}

int
main(int argc, char **argv)
{
    (void)argv;
    level1((int *)(0xfffffff0u + (unsigned)argc));
    return 0;
}
