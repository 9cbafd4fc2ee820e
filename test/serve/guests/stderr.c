/* stderr.c - writes n=N lines "stderr line I tag=TAG" to stderr (the
 * server's log, each prefixed with the request id), then answers "OK".
 * With ctl=1 each line also carries ESC, CR and BEL, which the server
 * must not pass to its log raw (a handler must not forge log lines).
 */
#include "wagi.h"

int
main(void)
{
    long        n = query_long("n", 3);
    const char *tag = query_get("tag");
    char        t[256];

    snprintf(t, sizeof t, "%s", tag ? tag : "none");
    for (long i = 0; i < n; i++)
        fprintf(stderr, "stderr line %ld tag=%s%s\n", i, t,
                query_long("ctl", 0) ? " \x1b[31m\r\a" : "");
    printf("Content-Type: text/plain\n\nOK\n");
    return 0;
}
