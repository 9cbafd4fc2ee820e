/* divide.c - guest for test_source_locs.c: each division sits on a line
 * marked "@NAME" that the test finds by grepping this file. scale() is
 * inlined into apply() at -O2 (static, one caller) and not at -O0. */
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) int
divide(int a, int b)
{
    return a / b;                                       /* @DIV */
}

static int
scale(int x, int d)
{
    return x / d + 1;                                   /* @INNER */
}

__attribute__((noinline)) int
apply(int x, int d)
{
    return scale(x, d) * 3;                             /* @CALL */
}

int
main(int argc, char **argv)
{
    int d = argc > 1 ? atoi(argv[1]) : 1;

    printf("%d %d\n", divide(100, d), apply(50, d));
    return 0;
}
