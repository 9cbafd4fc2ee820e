/* hello.c - the program of the start-up benchmark (bench/hello/bench),
 * built natively and for wasm32-wasi from this one source. */
#include <stdio.h>

int
main(void)
{
    printf("Hello, world!\n");
    return 0;
}
