/* driver.c - native runner: `K nop` calls nop(), `K run N` calls run(N);
 * prints the result on stdout and the time of the call (seconds, measured
 * in the process) on stderr. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int64_t run(int n);
int64_t nop(void);

static double
now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int
main(int argc, char **argv)
{
    int64_t r;
    double  t0 = now();

    if (argc == 2 && !strcmp(argv[1], "nop"))
        r = nop();
    else if (argc == 3 && !strcmp(argv[1], "run"))
        r = run(atoi(argv[2]));
    else {
        fprintf(stderr, "usage: %s nop | run N\n", argv[0]);
        return 2;
    }
    double t = now() - t0;
    printf("%" PRId64 "\n", r);
    fprintf(stderr, "time %.6f\n", t);
    return 0;
}
