/* stdflags.c - what a program does to the standard streams it inherits:
 * fcntl(F_SETFL) adds O_NONBLOCK (and O_APPEND on stdout and stderr).
 * Under Moat the guest must see its flags and get their effect (a read of
 * an empty stdin gives EAGAIN, a write after a seek to 0 still appends)
 * while the descriptions it shares with the launching shell stay as they
 * were: run-programs.py checks them with F_GETFL after the run. Prints its
 * checks on stderr ("N failed" last); exit 1 on a failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "guest.h"

static int nfailed;

static void
check(const char *what, int ok)
{
    char line[128];
    int  n = snprintf(line, sizeof line, "%s %s\n", ok ? "ok" : "FAILED",
                      what);
    if (!ok)
        nfailed++;
    if (write(2, line, (size_t)n) < 0)
        nfailed++;
}

int
main(void)
{
    char line[64];

    for (int fd = 0; fd < 3; fd++) {
        int want = O_NONBLOCK | (fd ? O_APPEND : 0);
        int fl = fcntl(fd, F_GETFL);
        snprintf(line, sizeof line, "set flags on %d", fd);
        check(line, fl >= 0 && fcntl(fd, F_SETFL, fl | want) == 0);
        fl = fcntl(fd, F_GETFL);
        snprintf(line, sizeof line, "flags seen on %d", fd);
        check(line, fl >= 0 && (fl & want) == want);
    }
    char    c;
    ssize_t r = read(0, &c, 1);
    snprintf(line, sizeof line, "read of empty stdin: %zd %s", r,
             errno_name(r < 0 ? errno : 0));
    check(line, r < 0 && errno == EAGAIN);
    check("seek stdout to 0", lseek(1, 0, SEEK_SET) == 0);
    check("write tail", write(1, "tail\n", 5) == 5);
    off_t end = lseek(1, 0, SEEK_CUR);
    snprintf(line, sizeof line, "position after append: %lld",
             (long long)end);
    check(line, end == 10);             /* "head\n" + "tail\n" */
    snprintf(line, sizeof line, "%d failed\n", nfailed);
    if (write(2, line, strlen(line)) < 0)
        return 1;
    return nfailed ? 1 : 0;
}
