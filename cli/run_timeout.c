/* run_timeout.c - the last resort of `moat run --timeout`: a process
 * timer that prints the timeout line and ends the process. It enforces
 * the timeout for code compiled without interruption checks (a .o or .so
 * built without --interruptible), and backs up the runtime's deadline for
 * a guest blocked in a host call, which no check in guest code can stop.
 * Only async-signal-safe calls in the handler: write() and _exit().
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "cli.h"

static char   line[512];
static size_t line_len;

static void
on_alarm(int sig)
{
    (void)sig;
    ssize_t w = write(STDERR_FILENO, line, line_len);
    (void)w;
    _exit(EXIT_TIMEOUT);
}

void
moat_cli_arm_alarm(uint64_t ns, const char *text, const char *where)
{
    int n = snprintf(line, sizeof line,
                     "moat: trap: interrupted (timeout after %s)%s\n", text,
                     where);
    line_len = n < 0 ? 0 : (size_t)n < sizeof line ? (size_t)n
                                                   : sizeof line - 1;

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sa.sa_flags = SA_ONSTACK;           /* the guest's stack may be full */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);

    struct itimerval it;
    memset(&it, 0, sizeof it);
    it.it_value.tv_sec = (time_t)(ns / 1000000000u);
    it.it_value.tv_usec = (suseconds_t)(ns % 1000000000u / 1000u);
    if (!it.it_value.tv_sec && !it.it_value.tv_usec)
        it.it_value.tv_usec = 1;
    setitimer(ITIMER_REAL, &it, NULL);
}

void
moat_cli_disarm_alarm(void)
{
    struct itimerval it;

    memset(&it, 0, sizeof it);
    setitimer(ITIMER_REAL, &it, NULL);
}
