/* sleep.c - the handler burst.c times: sleeps one second (wasi-libc's
 * sleep() is poll_oneoff on a relative clock, so the server parks the
 * request's fiber instead of a thread) then answers "slept". */
#include <stdio.h>
#include <unistd.h>

int
main(void)
{
    sleep(1);
    printf("Content-Type: text/plain\n\nslept\n");
    return 0;
}
