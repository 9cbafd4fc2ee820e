/* badcgi.c - output that is not a valid CGI response, by mode=:
 * "noblank" (headers, then end of output without the blank line),
 * "nocolon" (a header line without a colon), "badstatus" (Status: abc),
 * "badname" (a header name with a space), "empty" (no output at all).
 */
#include "wagi.h"

int
main(void)
{
    const char *mode = query_get("mode");

    if (!mode)
        mode = "noblank";
    if (!strcmp(mode, "noblank"))
        printf("Content-Type: text/plain\nX-Other: 1\n");
    else if (!strcmp(mode, "nocolon"))
        printf("Content-Type: text/plain\nthis is not a header\n\nbody\n");
    else if (!strcmp(mode, "badstatus"))
        printf("Status: abc\nContent-Type: text/plain\n\nbody\n");
    else if (!strcmp(mode, "badname"))
        printf("Bad Name: x\nContent-Type: text/plain\n\nbody\n");
    return 0;
}
