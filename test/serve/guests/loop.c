/* loop.c - never returns and never calls the host: only the request
 * deadline can stop it.
 */
int
main(void)
{
    volatile unsigned long n = 0;

    for (;;)
        n++;
}
