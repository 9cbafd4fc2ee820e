/* argsenv.c - prints its arguments after argv[0] (whose form is the
 * launcher's choice) and its whole environment, sorted, one per line;
 * with "--exit N" as the first argument it then exits with status N.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

static int
by_text(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int
main(int argc, char **argv)
{
    size_t n = 0;

    printf("argc %d\n", argc);
    for (int i = 1; i < argc; i++)
        printf("argv[%d] [%s]\n", i, argv[i]);
    while (environ && environ[n])
        n++;
    char **env = malloc((n + 1) * sizeof *env);
    if (!env)
        return 3;
    memcpy(env, environ, n * sizeof *env);
    qsort(env, n, sizeof *env, by_text);
    printf("environ %zu\n", n);
    for (size_t i = 0; i < n; i++)
        printf("env [%s]\n", env[i]);
    free(env);
    fflush(stdout);
    if (argc >= 3 && !strcmp(argv[1], "--exit"))
        return atoi(argv[2]);
    return 0;
}
