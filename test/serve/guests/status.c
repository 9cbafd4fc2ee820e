/* status.c - answers with what the query asks: status=N (a Status:
 * line), location=URL (Location:), ct=TYPE (Content-Type, default
 * text/plain; "none": no Content-Type line), h=NAME:VALUE (one custom
 * header), body=TEXT.
 */
#include "wagi.h"

int
main(void)
{
    const char *v;

    if ((v = query_get("status")))
        printf("Status: %s\n", v);
    if ((v = query_get("location")))
        printf("Location: %s\n", v);
    if ((v = query_get("h")))
        printf("%s\n", v);
    v = query_get("ct");
    if (!v || strcmp(v, "none"))
        printf("Content-Type: %s\n", v ? v : "text/plain");
    printf("\n");
    v = query_get("body");
    printf("%s", v ? v : "status handler\n");
    return 0;
}
