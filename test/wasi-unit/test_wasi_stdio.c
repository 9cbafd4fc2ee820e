/* test_wasi_stdio.c - descriptors the host hands to the guest (stdio from
 * moat_wasi_set_stdio) share their open file description with the host:
 * fd_fdstat_set_flags must never change it (no fcntl(F_SETFL) that would
 * outlive the guest, as O_NONBLOCK on a shell's terminal did). The guest's
 * APPEND and NONBLOCK are kept per guest descriptor and emulated: reads
 * and writes that would wait give EAGAIN, writes append, fd_fdstat_get
 * reports them; a guest that clears the host's O_NONBLOCK waits instead.
 * Each test arms alarm() as its watchdog: an emulation that blocks kills
 * the test instead of hanging it.
 */
#include "wasi_fx.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef WASI_WASM
#error "WASI_WASM: path of the compiled guest"
#endif

enum { APPEND = 1, NONBLOCK = 4, WATCHDOG_S = 20 };

/* The status flags of the host's open file description that matter. */
static int
host_flags(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    assert_true(fl >= 0);
    return fl & (O_APPEND | O_NONBLOCK);
}

/* The fdflags the guest sees for fd (fd_fdstat_get). */
static uint32_t
guest_flags(Fx *fx, uint32_t fd)
{
    assert_int_equal(fx_call(fx, "fd_fdstat_get", "ii", fd, 200), 0);
    return fx_get32(fx, 200) >> 16;
}

static uint32_t
guest_read(Fx *fx, uint32_t fd, char *out, uint32_t n)
{
    fx_iovec(fx, 16, 1024, n);
    uint32_t e = fx_call(fx, "fd_read", "iiii", fd, 16, 1, 8);
    if (e == 0) {
        uint32_t got = fx_get32(fx, 8);
        fx_read(fx, 1024, out, got);
        out[got] = '\0';
    }
    return e;
}

static uint32_t
guest_write(Fx *fx, uint32_t fd, const char *text)
{
    fx_write(fx, 1100, text, strlen(text));
    fx_iovec(fx, 16, 1100, (uint32_t)strlen(text));
    return fx_call(fx, "fd_write", "iiii", fd, 16, 1, 8);
}

static void
file_is(int fd, const char *want)
{
    char buf[64] = { 0 };
    assert_int_equal(pread(fd, buf, sizeof buf - 1, 0), (ssize_t)strlen(want));
    assert_string_equal(buf, want);
}

/* NONBLOCK and APPEND on a pipe, a file and a socket given as stdio: the
 * guest sees and gets them, the host's descriptions never change. */
static void
shared_stdio_keeps_host_flags(void **state)
{
    Fx         fx;
    moat_error err = { 0 };
    int        p[2], sv[2];
    char       buf[16];

    (void)state;
    assert_int_equal(pipe(p), 0);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    int f = fx_temp_file("AAAA", 0);
    fx_new(&fx);
    assert_int_equal(moat_wasi_set_stdio(fx.w, 0, p[0], &err), MOAT_OK);
    assert_int_equal(moat_wasi_set_stdio(fx.w, 1, f, &err), MOAT_OK);
    assert_int_equal(moat_wasi_set_stdio(fx.w, 2, sv[0], &err), MOAT_OK);
    fx_start(&fx);
    alarm(WATCHDOG_S);
    for (uint32_t fd = 0; fd < 3; fd++)
        assert_int_equal(guest_flags(&fx, fd), 0);
    assert_int_equal(fx_call(&fx, "fd_fdstat_set_flags", "ii", 0, NONBLOCK),
                     0);
    assert_int_equal(fx_call(&fx, "fd_fdstat_set_flags", "ii", 1,
                             APPEND | NONBLOCK), 0);
    assert_int_equal(fx_call(&fx, "fd_fdstat_set_flags", "ii", 2,
                             APPEND | NONBLOCK), 0);
    assert_int_equal(host_flags(p[0]), 0);
    assert_int_equal(host_flags(f), 0);
    assert_int_equal(host_flags(sv[0]), 0);
    assert_int_equal(guest_flags(&fx, 0), NONBLOCK);
    assert_int_equal(guest_flags(&fx, 1), APPEND | NONBLOCK);
    assert_int_equal(guest_flags(&fx, 2), APPEND | NONBLOCK);
    /* nothing to read: EAGAIN at once, from the pipe and the socket */
    assert_int_equal(guest_read(&fx, 0, buf, 8), E_AGAIN);
    fx_iovec(&fx, 16, 1024, 8);
    assert_int_equal(fx_call(&fx, "sock_recv", "iiiiii", 2, 16, 1, 0, 8, 12),
                     E_AGAIN);
    assert_int_equal(guest_read(&fx, 2, buf, 8), E_AGAIN);
    assert_int_equal(write(p[1], "hi", 2), 2);
    assert_int_equal(guest_read(&fx, 0, buf, 8), 0);
    assert_string_equal(buf, "hi");
    /* append: at the end whatever the position, which ends up there */
    assert_int_equal(fx_call(&fx, "fd_seek", "iIii", 1, 0, 0, 8), 0);
    assert_int_equal(guest_write(&fx, 1, "BB"), 0);
    assert_int_equal(fx_get32(&fx, 8), 2);
    file_is(f, "AAAABB");
    assert_int_equal(fx_call(&fx, "fd_tell", "ii", 1, 8), 0);
    assert_int_equal(fx_get64(&fx, 8), 6);
    /* pwrite appends too, as Linux does for an O_APPEND description */
    fx_write(&fx, 1100, "CC", 2);
    fx_iovec(&fx, 16, 1100, 2);
    assert_int_equal(fx_call(&fx, "fd_pwrite", "iiiIi", 1, 16, 1, 0, 8), 0);
    file_is(f, "AAAABBCC");
    /* cleared again: writes go where the position is */
    assert_int_equal(fx_call(&fx, "fd_fdstat_set_flags", "ii", 1, 0), 0);
    assert_int_equal(guest_flags(&fx, 1), 0);
    assert_int_equal(fx_call(&fx, "fd_seek", "iIii", 1, 0, 0, 8), 0);
    assert_int_equal(guest_write(&fx, 1, "Z"), 0);
    file_is(f, "ZAAABBCC");
    /* the socket still sends */
    assert_int_equal(guest_write(&fx, 2, "ping"), 0);
    assert_int_equal(read(sv[1], buf, 4), 4);
    alarm(0);
    fx_free(&fx);
    assert_int_equal(host_flags(p[0]), 0);
    assert_int_equal(host_flags(f), 0);
    assert_int_equal(host_flags(sv[0]), 0);
    close(p[0]);
    close(p[1]);
    close(sv[0]);
    close(sv[1]);
    close(f);
}

/* An emulated non-blocking write to a full pipe gives EAGAIN; to a pipe
 * with room it writes what fits and returns, never waiting. */
static void
nonblocking_writes_never_block(void **state)
{
    Fx         fx;
    moat_error err = { 0 };
    int        q[2];
    char       chunk[4096];

    (void)state;
    assert_int_equal(pipe(q), 0);
    int cap = fcntl(q[1], F_GETPIPE_SZ);
    assert_true(cap > 0);
    /* fill it (our own description, made non-blocking only for this) */
    assert_int_equal(fcntl(q[1], F_SETFL, O_NONBLOCK), 0);
    memset(chunk, 'x', sizeof chunk);
    while (write(q[1], chunk, sizeof chunk) > 0)
        ;
    assert_int_equal(fcntl(q[1], F_SETFL, 0), 0);
    fx_new(&fx);
    assert_int_equal(moat_wasi_set_stdio(fx.w, 1, q[1], &err), MOAT_OK);
    fx_start(&fx);
    assert_int_equal(fx_call(&fx, "memory_grow", "i", 2), 1);
    alarm(WATCHDOG_S);
    assert_int_equal(fx_call(&fx, "fd_fdstat_set_flags", "ii", 1, NONBLOCK),
                     0);
    fx_iovec(&fx, 16, 65536, 100000);
    assert_int_equal(fx_call(&fx, "fd_write", "iiii", 1, 16, 1, 8), E_AGAIN);
    for (int got = 0; got < cap;) {
        ssize_t r = read(q[0], chunk, sizeof chunk);
        assert_true(r > 0);
        got += (int)r;
    }
    assert_int_equal(fx_call(&fx, "fd_write", "iiii", 1, 16, 1, 8), 0);
    uint32_t n = fx_get32(&fx, 8);
    assert_true(n > 0 && n <= (uint32_t)cap);
    assert_int_equal(fx_call(&fx, "fd_write", "iiii", 1, 16, 1, 8), E_AGAIN);
    alarm(0);
    fx_free(&fx);
    assert_int_equal(host_flags(q[1]), 0);
    close(q[0]);
    close(q[1]);
}

static uint64_t
mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The host's description is non-blocking (stdin) or appending (stdout):
 * the guest sees that; clearing NONBLOCK makes its reads wait (emulated),
 * clearing the host's APPEND is ENOTSUP (the kernel would append anyway),
 * and the host keeps its flags. */
static void
host_flags_stay_the_hosts(void **state)
{
    Fx         fx;
    moat_error err = { 0 };
    int        r[2];
    char       buf[16];

    (void)state;
    assert_int_equal(pipe(r), 0);
    assert_int_equal(fcntl(r[0], F_SETFL, O_NONBLOCK), 0);
    int a = fx_temp_file("log\n", O_APPEND);
    fx_new(&fx);
    assert_int_equal(moat_wasi_set_stdio(fx.w, 0, r[0], &err), MOAT_OK);
    assert_int_equal(moat_wasi_set_stdio(fx.w, 1, a, &err), MOAT_OK);
    fx_start(&fx);
    alarm(WATCHDOG_S);
    assert_int_equal(guest_flags(&fx, 0), NONBLOCK);
    assert_int_equal(guest_flags(&fx, 1), APPEND);
    assert_int_equal(guest_read(&fx, 0, buf, 8), E_AGAIN);
    assert_int_equal(fx_call(&fx, "fd_fdstat_set_flags", "ii", 0, 0), 0);
    assert_int_equal(guest_flags(&fx, 0), 0);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        struct timespec d = { 0, 200 * 1000000 };
        nanosleep(&d, NULL);
        _exit(write(r[1], "late", 4) == 4 ? 0 : 1);
    }
    uint64_t t0 = mono_ms();
    assert_int_equal(guest_read(&fx, 0, buf, 8), 0);    /* waited */
    assert_string_equal(buf, "late");
    assert_true(mono_ms() - t0 >= 100);
    int status = 0;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_int_equal(host_flags(r[0]), O_NONBLOCK);
    /* the host's O_APPEND */
    assert_int_equal(fx_call(&fx, "fd_fdstat_set_flags", "ii", 1, 0),
                     E_NOTSUP);
    assert_int_equal(fx_call(&fx, "fd_fdstat_set_flags", "ii", 1,
                             APPEND | NONBLOCK), 0);
    assert_int_equal(guest_flags(&fx, 1), APPEND | NONBLOCK);
    assert_int_equal(guest_write(&fx, 1, "more\n"), 0);
    file_is(a, "log\nmore\n");
    alarm(0);
    fx_free(&fx);
    assert_int_equal(host_flags(r[0]), O_NONBLOCK);
    assert_int_equal(host_flags(a), O_APPEND);
    close(r[0]);
    close(r[1]);
    close(a);
}

/* A listening socket handed in: an emulated NONBLOCK accept gives EAGAIN
 * with no connection waiting, accepts one that is; the host's socket
 * stays blocking. */
static void
nonblocking_accept(void **state)
{
    Fx                 fx;
    moat_error         err = { 0 };
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    char               dir[256];

    (void)state;
    fx_tmpdir(dir, sizeof dir);
    assert_true(strlen(dir) + 3 <= sizeof a.sun_path);
    memcpy(a.sun_path, dir, strlen(dir));
    memcpy(a.sun_path + strlen(dir), "/s", 3);
    int l = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_true(l >= 0);
    assert_int_equal(bind(l, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(l, 4), 0);
    fx_new(&fx);
    assert_int_equal(moat_wasi_set_stdio(fx.w, 0, l, &err), MOAT_OK);
    fx_start(&fx);
    alarm(WATCHDOG_S);
    assert_int_equal(fx_call(&fx, "fd_fdstat_set_flags", "ii", 0, NONBLOCK),
                     0);
    assert_int_equal(fx_call(&fx, "sock_accept", "iii", 0, 0, 8), E_AGAIN);
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_int_equal(connect(c, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(fx_call(&fx, "sock_accept", "iii", 0, 0, 8), 0);
    assert_true(fx_get32(&fx, 8) >= 3);
    alarm(0);
    fx_free(&fx);
    assert_int_equal(host_flags(l), 0);
    close(c);
    close(l);
    fx_rmtree(dir);
}

/* What the guest opens itself is its own: flags change for real. */
static void
private_descriptors_use_real_flags(void **state)
{
    Fx         fx;
    moat_error err = { 0 };
    char       dir[256], path[300];

    (void)state;
    fx_tmpdir(dir, sizeof dir);
    fx_new(&fx);
    assert_int_equal(moat_wasi_preopen(fx.w, dir, "/d", &err), MOAT_OK);
    fx_start(&fx);
    fx_write(&fx, 300, "f", 1);
    /* path_open(3, 0, "f", CREAT, FD_READ|FD_WRITE|FD_SEEK|FD_TELL|
     * FD_FDSTAT_SET_FLAGS, 0, 0, &fd at 8) */
    assert_int_equal(fx_call(&fx, "path_open", "iiiiiIIii", 3, 0, 300, 1, 1,
                             (uint64_t)(2 | 4 | 8 | 32 | 64), 0, 0, 8), 0);
    uint32_t fd = fx_get32(&fx, 8);
    assert_int_equal(guest_write(&fx, fd, "abc"), 0);
    assert_int_equal(fx_call(&fx, "fd_fdstat_set_flags", "ii", fd, APPEND),
                     0);
    assert_int_equal(guest_flags(&fx, fd), APPEND);
    assert_int_equal(fx_call(&fx, "fd_seek", "iIii", fd, 0, 0, 8), 0);
    assert_int_equal(guest_write(&fx, fd, "d"), 0);
    fx_free(&fx);
    snprintf(path, sizeof path, "%s/f", dir);
    int h = open(path, O_RDONLY);
    assert_true(h >= 0);
    file_is(h, "abcd");
    close(h);
    fx_rmtree(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(shared_stdio_keeps_host_flags),
        cmocka_unit_test(nonblocking_writes_never_block),
        cmocka_unit_test(host_flags_stay_the_hosts),
        cmocka_unit_test(nonblocking_accept),
        cmocka_unit_test(private_descriptors_use_real_flags),
    };
    return cmocka_run_group_tests(tests, fx_group_setup, fx_group_teardown);
}
