/* env.c - answers with its whole environment and argv, one per line:
 * "argc N", "argv[I]=VALUE", "env NAME=VALUE", so that the runner can
 * check every WAGI variable exactly.
 */
#include <stdio.h>

extern char **environ;

int
main(int argc, char **argv)
{
    printf("Content-Type: text/plain\n\n");
    printf("argc %d\n", argc);
    for (int i = 0; i < argc; i++)
        printf("argv[%d]=%s\n", i, argv[i]);
    for (char **e = environ; e && *e; e++)
        printf("env %s\n", *e);
    return 0;
}
