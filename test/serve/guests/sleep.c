/* sleep.c - sleeps ms=N milliseconds (usleep: WASI poll_oneoff, during
 * which the server should run other requests), then answers "slept N".
 */
#include <unistd.h>

#include "wagi.h"

int
main(void)
{
    long ms = query_long("ms", 100);

    usleep((useconds_t)(ms * 1000));
    printf("Content-Type: text/plain\n\nslept %ld\n", ms);
    return 0;
}
