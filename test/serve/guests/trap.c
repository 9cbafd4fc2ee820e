/* trap.c - traps (unreachable) before writing anything; with after=1 it
 * writes a complete header block and a line of body first.
 */
#include "wagi.h"

int
main(void)
{
    if (query_long("after", 0)) {
        printf("Content-Type: text/plain\n\nbefore the trap\n");
        fflush(stdout);
    }
    __builtin_trap();
}
