/* exit.c - exits with code=N (default 0); with out=1 it first writes a
 * complete response ("exiting N").
 */
#include "wagi.h"

int
main(void)
{
    long code = query_long("code", 0);

    if (query_long("out", 0)) {
        printf("Content-Type: text/plain\n\nexiting %ld\n", code);
        fflush(stdout);
    }
    exit((int)code);
}
