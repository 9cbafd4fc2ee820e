/* loop.c - a handler that never returns: bench/serve/soak.sh sends it 1%
 * of its requests; the server's deadline (--timeout) stops it and the
 * server answers 504. The volatile keeps the loop from being removed
 * (an infinite loop without side effects is undefined in C). */
int
main(void)
{
    volatile unsigned n = 0;

    for (;;)
        n++;
}
