/* clockrand.c - clocks and randomness: the monotonic clock never goes
 * back and advances, its resolution is sane, nanosleep(50 ms) sleeps
 * between 45 ms and 1 s, the real-time clock agrees with the host's time
 * given as argv[1] (seconds since the epoch) within 60 s, getentropy and
 * arc4random give bytes that vary. Prints "ok CHECK" or "FAIL CHECK: why"
 * per check (no numbers, so native and WASI output compare equal).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int nfail;

static void
check(int ok, const char *what, const char *fmt, double value)
{
    if (ok) {
        printf("ok %s\n", what);
        return;
    }
    printf("FAIL %s: ", what);
    printf(fmt, value);
    printf("\n");
    nfail++;
}

static double
seconds(clockid_t id)
{
    struct timespec ts = { 0, 0 };
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
monotonic(void)
{
    struct timespec prev, cur, res = { 0, 0 };
    int             back = 0;

    clock_gettime(CLOCK_MONOTONIC, &prev);
    double first = (double)prev.tv_sec + (double)prev.tv_nsec / 1e9;
    for (int i = 0; i < 10000; i++) {
        clock_gettime(CLOCK_MONOTONIC, &cur);
        back += cur.tv_sec < prev.tv_sec ||
                (cur.tv_sec == prev.tv_sec && cur.tv_nsec < prev.tv_nsec);
        prev = cur;
    }
    check(back == 0, "monotonic never goes back", "%g steps back", back);
    double last = (double)cur.tv_sec + (double)cur.tv_nsec / 1e9;
    check(last > first, "monotonic advances", "%g s", last - first);
    check(clock_getres(CLOCK_MONOTONIC, &res) == 0 && res.tv_sec == 0 &&
              res.tv_nsec > 0 && res.tv_nsec <= 1000000,
          "monotonic resolution in (0, 1 ms]", "%g ns", (double)res.tv_nsec);
}

static void
sleeping(void)
{
    struct timespec req = { 0, 50 * 1000 * 1000 };
    double          t0 = seconds(CLOCK_MONOTONIC);

    check(nanosleep(&req, NULL) == 0, "nanosleep returns 0", "%g", 0);
    double ms = (seconds(CLOCK_MONOTONIC) - t0) * 1e3;
    check(ms >= 45 && ms < 1000, "nanosleep 50 ms sleeps 45..1000 ms",
          "slept %g ms", ms);
    t0 = seconds(CLOCK_MONOTONIC);
    usleep(20000);
    ms = (seconds(CLOCK_MONOTONIC) - t0) * 1e3;
    check(ms >= 18 && ms < 1000, "usleep 20 ms sleeps 18..1000 ms",
          "slept %g ms", ms);
}

static void
realtime(double host_now)
{
    double now = seconds(CLOCK_REALTIME);
    check(now - host_now > -60 && now - host_now < 60,
          "realtime within 60 s of the host's", "off by %g s",
          now - host_now);
    double t = (double)time(NULL);
    check(t - host_now > -60 && t - host_now < 60,
          "time() within 60 s of the host's", "off by %g s", t - host_now);
}

static void
randomness(void)
{
    unsigned char a[32], b[32], zero[32] = { 0 };
    uint32_t      r[16];
    int           distinct = 0;

    check(getentropy(a, sizeof a) == 0 && getentropy(b, sizeof b) == 0,
          "getentropy succeeds", "%g", 0);
    check(memcmp(a, b, sizeof a) != 0, "getentropy varies", "%g", 0);
    check(memcmp(a, zero, sizeof a) != 0, "getentropy not all zero", "%g",
          0);
    for (int i = 0; i < 16; i++) {
        r[i] = arc4random();
        distinct += i > 0 && r[i] != r[i - 1];
    }
    check(distinct >= 14, "arc4random varies", "%g changes in 15",
          distinct);
    uint32_t u = arc4random_uniform(10);
    check(u < 10, "arc4random_uniform(10) < 10", "%g", u);
}

int
main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: clockrand HOST_EPOCH_SECONDS\n");
        return 2;
    }
    monotonic();
    sleeping();
    realtime(strtod(argv[1], NULL));
    randomness();
    printf("%d failed\n", nfail);
    return nfail != 0;
}
