/* sleep.c - a handler that sleeps one second (wasi-libc's sleep() is
 * poll_oneoff on a relative clock) then answers "slept": what
 * bench/serve/concurrency.py runs 10,000 times at once. */
#include <stdio.h>
#include <unistd.h>

int
main(void)
{
    sleep(1);
    fputs("Content-Type: text/plain\n\nslept\n", stdout);
    return 0;
}
