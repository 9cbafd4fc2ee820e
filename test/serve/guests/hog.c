/* hog.c - allocates (and touches) 1 MiB blocks until malloc returns NULL,
 * which happens when the route's memory cap makes memory.grow fail. Then,
 * by mode=: "trap" (default) traps, "exit" exits 1, "report" answers 200
 * with "got N MiB".
 */
#include "wagi.h"

int
main(void)
{
    const char *mode = query_get("mode");
    long        n = 0;
    char       *p;
    static char *volatile head;

    if (!mode)
        mode = "trap";
    /* the blocks form a list from a volatile head, so the compiler can
     * neither drop the allocations nor assume they succeed */
    while ((p = malloc(1 << 20))) {
        memset(p, 0xa5, 1 << 20);
        *(char *volatile *)p = (char *)head;
        head = p;
        n++;
    }
    if (!strcmp(mode, "report")) {
        printf("Content-Type: text/plain\n\ngot %ld MiB\n", n);
        return 0;
    }
    if (!strcmp(mode, "exit"))
        exit(1);
    __builtin_trap();
}
