/* capped.c - a compilation under a time and a memory cap. LLVM offers no
 * way to stop a compilation or bound its memory, so the capped one runs
 * in a child process: fork, RLIMIT_AS = what the child already maps plus
 * the memory cap, compile, send the status and the object back through a
 * pipe. The parent waits with a deadline and kills the child (SIGKILL)
 * when it passes, or when the child's resident memory grows by more than
 * the cap (checked every WATCH_MS: an allocator that reserves its heap up
 * front, as AddressSanitizer's does, escapes RLIMIT_AS). Whatever the child does, the caller's process keeps its
 * memory and its threads; the only cost is the fork (docs/compiler.md,
 * "Compile caps").
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "emit.h"

enum { WATCH_MS = 20 };

/* What the parent watches while it waits for the reply. */
typedef struct Watch {
    pid_t    pid;
    uint64_t deadline;          /* ms, CLOCK_MONOTONIC; 0: none */
    uint64_t rss_limit;         /* bytes; 0: none */
    bool     is_late, is_over;  /* why the wait ended early */
} Watch;

/* What the child sends first; the object's bytes follow. */
typedef struct Reply {
    moat_status st;
    moat_error  err;
    uint64_t    len;
} Reply;

static uint64_t
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Bytes a process maps (VmSize, field 0 of statm) or has resident
 * (field 1); 0 when /proc cannot tell. */
static uint64_t
statm_bytes(pid_t pid, int field)
{
    unsigned long long v[2] = { 0, 0 };
    char               path[64], buf[128] = { 0 };
    snprintf(path, sizeof path, "/proc/%d/statm", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t n = read(fd, buf, sizeof buf - 1);
        if (n > 0 && sscanf(buf, "%llu %llu", &v[0], &v[1]) != 2)
            v[0] = v[1] = 0;
        close(fd);
    }
    return (uint64_t)v[field] * (uint64_t)sysconf(_SC_PAGESIZE);
}

static void
write_all(int fd, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n > 0) {
        ssize_t w = write(fd, b, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            _exit(3);
        b += w;
        n -= (size_t)w;
    }
}

static _Noreturn void
child(int fd, const CappedCompile *cc)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);   /* the parent gone: stop */
    /* LLVM reports through err; what reaches stderr here is the C++
     * runtime dying of bad_alloc at the memory cap, which the parent
     * reports in its own words */
    int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (null >= 0) {
        dup2(null, STDERR_FILENO);
        close(null);
    }
    if (cc->mem_limit) {
        struct rlimit rl;
        rl.rlim_cur = rl.rlim_max = statm_bytes(getpid(), 0) + cc->mem_limit;
        setrlimit(RLIMIT_AS, &rl);
    }
    Reply    r = { 0 };
    uint8_t *out = NULL;
    size_t   len = 0;
    r.st = cc->fn(cc->arg, &out, &len, &r.err);
    r.len = r.st == MOAT_OK ? len : 0;
    write_all(fd, &r, sizeof r);
    if (r.len)
        write_all(fd, out, len);
    _exit(0);
}

/* Reads n bytes into p; false on end or error, or when w's deadline
 * passes (w->is_late) or the child's memory its limit (w->is_over). */
static bool
read_until(int fd, void *p, size_t n, Watch *w)
{
    uint8_t *b = p;
    while (n > 0) {
        int wait = w->rss_limit ? WATCH_MS : 60000;
        if (w->deadline) {
            uint64_t t = now_ms();
            if (t >= w->deadline)
                return w->is_late = true, false;
            if (w->deadline - t < (uint64_t)wait)
                wait = (int)(w->deadline - t);
        }
        if (w->rss_limit && statm_bytes(w->pid, 1) > w->rss_limit)
            return w->is_over = true, false;
        struct pollfd pfd = { fd, POLLIN, 0 };
        int           k = poll(&pfd, 1, wait);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return false;
        if (k == 0)
            continue;                   /* the deadline is checked above */
        ssize_t got = read(fd, b, n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return false;
        b += got;
        n -= (size_t)got;
    }
    return true;
}

static void
describe_ms(uint64_t ms, char *buf, size_t n)
{
    if (ms % 1000 == 0)
        snprintf(buf, n, "%llu s", (unsigned long long)(ms / 1000));
    else
        snprintf(buf, n, "%.3g s", (double)ms / 1000.0);
}

static moat_status
over_memory(const CappedCompile *cc, moat_error *err)
{
    return moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_LIMIT, "compilation "
                      "exceeded the memory limit of %llu MiB",
                      (unsigned long long)(cc->mem_limit >> 20)),
           MOAT_ERR_LIMIT;
}

/* The child ended without a whole reply: why, in words. */
static moat_status
child_died(const CappedCompile *cc, int status, moat_error *err)
{
    /* out of address space, LLVM aborts ("LLVM ERROR: out of memory")
     * or a thread or mapping fails: with a memory cap, say so */
    if (cc->mem_limit && (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
        return over_memory(cc, err);
    if (WIFSIGNALED(status))
        return moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_NOMEM, "the "
                          "compiler process died of signal %d",
                          WTERMSIG(status)), MOAT_ERR_NOMEM;
    return moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_NOMEM, "the compiler "
                      "process ended without a result (status %d)",
                      WIFEXITED(status) ? WEXITSTATUS(status) : -1),
           MOAT_ERR_NOMEM;
}

/* Reads the reply; the child is reaped by the caller. */
static moat_status
receive(int fd, const CappedCompile *cc, Watch *w, uint8_t **out,
        size_t *out_len, moat_error *err, bool *is_whole)
{
    Reply r;
    *is_whole = false;
    if (!read_until(fd, &r, sizeof r, w))
        return MOAT_ERR_NOMEM;
    if (r.st != MOAT_OK) {
        *is_whole = true;
        if (r.st == MOAT_ERR_NOMEM && cc->mem_limit)
            return over_memory(cc, err);
        if (err)
            *err = r.err;
        return r.st;
    }
    uint8_t *buf = moatU_alloc(r.len ? r.len : 1);
    if (!buf)
        return *is_whole = true, moatU_fail(err, MOAT_NO_OFFSET,
                                            MOAT_ERR_NOMEM, "out of memory"),
               MOAT_ERR_NOMEM;
    if (!read_until(fd, buf, r.len, w)) {
        moatU_free(buf);
        return MOAT_ERR_NOMEM;
    }
    *is_whole = true;
    *out = buf;
    *out_len = r.len;
    return MOAT_OK;
}

moat_status
moatL_compile_capped(const CappedCompile *cc, uint8_t **out, size_t *out_len,
                     moat_error *err)
{
    int fds[2];
    *out = NULL;
    if (pipe2(fds, O_CLOEXEC) != 0)
        return moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_IO, "cannot start "
                          "the compiler process: %s", strerror(errno)),
               MOAT_ERR_IO;
    Watch w = { 0 };
    w.deadline = cc->time_limit_ms ? now_ms() + cc->time_limit_ms : 0;
    /* the child starts resident with what this process has now */
    w.rss_limit = cc->mem_limit ? statm_bytes(getpid(), 1) + cc->mem_limit
                                : 0;
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        child(fds[1], cc);
    }
    close(fds[1]);
    if (pid < 0) {
        close(fds[0]);
        return moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_IO, "cannot start "
                          "the compiler process: %s", strerror(errno)),
               MOAT_ERR_IO;
    }
    w.pid = pid;
    bool        is_whole;
    moat_status st = receive(fds[0], cc, &w, out, out_len, err, &is_whole);
    close(fds[0]);
    if (w.is_late || w.is_over)
        kill(pid, SIGKILL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (w.is_over)
        return over_memory(cc, err);
    if (w.is_late) {
        char t[32];
        describe_ms(cc->time_limit_ms, t, sizeof t);
        return moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_LIMIT, "compilation "
                          "exceeded the time limit of %s", t),
               MOAT_ERR_LIMIT;
    }
    return is_whole ? st : child_died(cc, status, err);
}
