/* stderr.c - writes n=N lines "stderr line I tag=TAG" to stderr (the
 * server's log, each prefixed with the request id), then answers "OK".
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
        fprintf(stderr, "stderr line %ld tag=%s\n", i, t);
    printf("Content-Type: text/plain\n\nOK\n");
    return 0;
}
