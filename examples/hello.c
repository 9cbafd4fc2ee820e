/* hello.c - the sample WASI program scripts/setup.sh runs with
 * `moat run`: prints a greeting, its arguments and one environment
 * variable, and exits with the number of arguments it got. */
#include <stdio.h>
#include <stdlib.h>

int
main(int argc, char **argv)
{
    const char *who = getenv("WHO");

    printf("hello from wasm, %s\n", who ? who : "world");
    for (int i = 1; i < argc; i++)
        printf("arg %d: %s\n", i, argv[i]);
    return argc - 1;
}
