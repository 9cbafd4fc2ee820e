/* guest.c - a WASI command for the `moat run` tests (run-cli-tests.sh):
 * argv[1] picks what it does, so one module covers every check.
 *   args            prints argc, then each argv[i] between brackets
 *   env             prints the environment, one NAME=VALUE a line
 *   cat [FILE]      copies FILE (or stdin) to stdout
 *   exit N          exit(N)
 *   spin            loops forever (for --timeout)
 *   alloc MIB       tries to allocate MIB MiB, says whether it could
 *   hello           prints "hello"
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

static int
cat(const char *path)
{
    FILE *f = path ? fopen(path, "rb") : stdin;
    char  buf[4096];
    size_t n;

    if (!f) {
        perror(path);
        return 1;
    }
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        fwrite(buf, 1, n, stdout);
    return 0;
}

static volatile unsigned sink;

int
main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "hello";

    if (!strcmp(what, "args")) {
        printf("argc=%d\n", argc);
        for (int i = 0; i < argc; i++)
            printf("[%s]\n", argv[i]);
    } else if (!strcmp(what, "env")) {
        for (char **p = environ; *p; p++)
            printf("%s\n", *p);
    } else if (!strcmp(what, "cat")) {
        return cat(argc > 2 ? argv[2] : NULL);
    } else if (!strcmp(what, "exit")) {
        exit(argc > 2 ? atoi(argv[2]) : 0);
    } else if (!strcmp(what, "spin")) {
        for (unsigned i = 0;; i++)
            sink = i;
    } else if (!strcmp(what, "alloc")) {
        size_t         mib = argc > 2 ? (size_t)atoi(argv[2]) : 1;
        char *volatile p = malloc(mib << 20);  /* volatile: not elided */
        if (p)
            p[(mib << 20) - 1] = 1;
        printf("alloc %zu MiB: %s\n", mib, p ? "ok" : "failed");
    } else {
        printf("hello\n");
    }
    return 0;
}
