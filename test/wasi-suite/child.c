/* child.c - runs one command the way the testsuite's reference runner
 * does: stdin from /dev/null, stdout and stderr through pipes, a deadline.
 * posix_spawn with close-on-exec pipes, so that tests started at the same
 * time from other threads never inherit each other's pipe ends (a pipe
 * held open elsewhere would never report end of file).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "suite.h"

typedef struct Sink {
    int     fd;                 /* -1 once at end of file */
    char   *buf;
    size_t  len;
    size_t  cap;
} Sink;

static double
now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Reads what is there; keeps at most CHILD_MAX_OUT bytes. */
static void
drain(Sink *s)
{
    char    tmp[65536];
    ssize_t n = read(s->fd, tmp, sizeof tmp);

    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (n <= 0) {
        close(s->fd);
        s->fd = -1;
        return;
    }
    size_t keep = (size_t)n;
    if (keep > CHILD_MAX_OUT - s->len)
        keep = CHILD_MAX_OUT - s->len;
    if (s->len + keep + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 4096;
        while (cap < s->len + keep + 1)
            cap *= 2;
        char *nb = realloc(s->buf, cap);
        if (!nb)
            return;             /* dropped, like output past the limit */
        s->buf = nb;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, tmp, keep);
    s->len += keep;
}

static bool
spawn(char *const argv[], char *const envp[], int outw, int errw,
      pid_t *pid, char *why, size_t nwhy)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t          at;
    int                        rc;

    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&at);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, outw, 1);
    posix_spawn_file_actions_adddup2(&fa, errw, 2);
    /* own process group: the deadline kills whatever the child started */
    posix_spawnattr_setpgroup(&at, 0);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP);
    rc = posix_spawn(pid, argv[0], &fa, &at, argv, envp);
    posix_spawnattr_destroy(&at);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        snprintf(why, nwhy, "cannot start %s: %s", argv[0], strerror(rc));
    return rc == 0;
}

/* Reads both pipes until both close or the deadline passes. */
static void
collect(Sink *s, pid_t pid, double deadline, ChildResult *r)
{
    while (s[0].fd >= 0 || s[1].fd >= 0) {
        struct pollfd pf[2];
        nfds_t        n = 0;
        for (int i = 0; i < 2; i++)
            if (s[i].fd >= 0)
                pf[n++] = (struct pollfd){ .fd = s[i].fd, .events = POLLIN };
        double left = deadline - now();
        if (left <= 0 && !r->is_timed_out) {
            r->is_timed_out = true;
            kill(-pid, SIGKILL);
            left = 5;           /* a killed group closes its pipes soon */
            deadline = now() + left;
        } else if (left <= 0) {
            break;              /* a grandchild holds the pipe: give up */
        }
        int rc = poll(pf, n, (int)(left * 1000) + 1);
        if (rc < 0 && errno != EINTR)
            break;
        for (nfds_t i = 0; rc > 0 && i < n; i++) {
            if (!(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            Sink *k = pf[i].fd == s[0].fd ? &s[0] : &s[1];
            drain(k);
        }
    }
}

void
moatT_child_run(char *const argv[], char *const envp[], double timeout_s,
                ChildResult *r)
{
    int    out[2] = { -1, -1 }, err[2] = { -1, -1 };
    pid_t  pid;
    Sink   s[2] = { { .fd = -1 }, { .fd = -1 } };
    double t0 = now();

    memset(r, 0, sizeof *r);
    if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
        snprintf(r->why, sizeof r->why, "pipe: %s", strerror(errno));
        goto done;
    }
    r->is_started = spawn(argv, envp, out[1], err[1], &pid, r->why,
                          sizeof r->why);
    close(out[1]);
    close(err[1]);
    out[1] = err[1] = -1;
    if (!r->is_started)
        goto done;
    s[0].fd = out[0];
    s[1].fd = err[0];
    out[0] = err[0] = -1;
    collect(s, pid, t0 + timeout_s, r);
    int  st = 0;
    bool is_reaped = false;
    if (!r->is_timed_out) {
        /* pipes closed: the child is exiting, but may still be running */
        for (double dl = t0 + timeout_s; !is_reaped && now() < dl;) {
            pid_t w = waitpid(pid, &st, WNOHANG);
            if (w < 0 && errno != EINTR)
                break;
            is_reaped = w == pid;
            if (!is_reaped)
                usleep(1000);
        }
        r->is_timed_out = !is_reaped;
    }
    if (!is_reaped) {
        kill(-pid, SIGKILL);
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
            ;
    }
    r->is_signaled = WIFSIGNALED(st);
    r->code = r->is_signaled ? WTERMSIG(st) : WEXITSTATUS(st);
done:
    for (int i = 0; i < 2; i++) {
        if (s[i].fd >= 0)
            close(s[i].fd);
        if (!s[i].buf)
            s[i].buf = calloc(1, 1);
        else
            s[i].buf[s[i].len] = '\0';
    }
    for (int i = 0; i < 2; i++) {
        if (out[i] >= 0)
            close(out[i]);
        if (err[i] >= 0)
            close(err[i]);
    }
    r->out = s[0].buf;
    r->outlen = s[0].buf ? s[0].len : 0;
    r->err = s[1].buf;
    r->errlen = s[1].buf ? s[1].len : 0;
    r->seconds = now() - t0;
}

void
moatT_child_free(ChildResult *r)
{
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}
