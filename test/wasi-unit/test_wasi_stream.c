/* test_wasi_stream.c - streamed stdio (moat_wasi_set_stream): descriptors
 * 0, 1, 2 on host callbacks, and every wait of the guest through the
 * host's wait(), which here yields the call (moat_caller_yield) as `moat
 * serve` does. A driver calls an export of wasi.wat and, each time the
 * call yields, changes the fake stream (feeds input, makes room, closes,
 * lets time pass) before resuming it. alarm() is the watchdog: a wait
 * that blocks the thread instead of yielding kills the test.
 */
#include "wasi_fx.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef WASI_WASM
#error "WASI_WASM: path of the compiled guest"
#endif

enum {
    NONBLOCK = 4, WATCHDOG_S = 20, E_PIPE = 64,
    WAIT_READ = MOAT_WASI_WAIT_READ, WAIT_WRITE = MOAT_WASI_WAIT_WRITE,
    HANGUP = 1,
    /* guest memory */
    RESULT = 8, IOVS = 64, STAT = 512, SUBS = 1024, EVENTS = 2048,
    BUF = 4096
};
/* rights (spec bit numbers) */
#define R_READ     (UINT64_C(1) << 1)
#define R_SETFLAGS (UINT64_C(1) << 3)
#define R_WRITE    (UINT64_C(1) << 6)
#define R_FILESTAT (UINT64_C(1) << 21)
#define R_POLL     (UINT64_C(1) << 27)

/* The host side of the stream. */
typedef struct Fake {
    char     in[256];           /* input not read yet: [in_pos, in_len) */
    size_t   in_len, in_pos;
    bool     is_eof;            /* after in_len: the end */
    char     out[3][256];       /* what fds 1 and 2 wrote */
    size_t   out_len[3];
    size_t   room;              /* bytes the output takes before it is
                                 * full */
    bool     is_closed;         /* the output is closed */
    int      nwaits;
    unsigned what;              /* the last wait's */
    uint64_t deadline;
    uint64_t deadlines[8];
} Fake;

static long
fake_read(void *data, void *buf, size_t len)
{
    Fake  *fk = data;
    size_t n = fk->in_len - fk->in_pos;

    if (n == 0)
        return fk->is_eof ? 0 : -1;
    if (n > len)
        n = len;
    memcpy(buf, fk->in + fk->in_pos, n);
    fk->in_pos += n;
    return (long)n;
}

static long
fake_write(void *data, int fd, const void *buf, size_t len)
{
    Fake *fk = data;

    assert_true(fd == 1 || fd == 2);
    if (fk->is_closed)
        return -1;
    size_t n = len < fk->room ? len : fk->room;
    assert_true(fk->out_len[fd] + n <= sizeof fk->out[fd]);
    memcpy(fk->out[fd] + fk->out_len[fd], buf, n);
    fk->out_len[fd] += n;
    fk->room -= n;
    return (long)n;
}

static long
fake_ready(void *data, int fd)
{
    Fake *fk = data;

    if (fd == 0)
        return fk->in_len > fk->in_pos ? (long)(fk->in_len - fk->in_pos)
                                       : fk->is_eof ? 0 : -1;
    return fk->is_closed ? -1 : (long)fk->room;
}

static void
fake_wait(void *data, moat_caller *c, unsigned what, uint64_t deadline)
{
    Fake    *fk = data;
    moat_val v = { .type = MOAT_I32 };

    if (fk->nwaits < 8)
        fk->deadlines[fk->nwaits] = deadline;
    fk->nwaits++;
    fk->what = what;
    fk->deadline = deadline;
    moat_caller_yield(c, v);
}

static uint64_t
mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
start(Fx *fx, Fake *fk)
{
    moat_error       err = { 0 };
    moat_wasi_stream s = { .data = fk, .read = fake_read,
                           .write = fake_write, .ready = fake_ready,
                           .wait = fake_wait };

    alarm(WATCHDOG_S);
    memset(fk, 0, sizeof *fk);
    fx_new(fx);
    assert_int_equal(moat_wasi_set_stream(fx->w, &s, &err), MOAT_OK);
    fx_start(fx);
}

/* What the driver does while the call is suspended (k: yields so far). */
typedef void Step(Fake *fk, int k);

/* Calls export `name` (i32 arguments, i32 result) and resumes it after
 * each yield, having run step; at most 64 yields. */
static uint32_t
drive(Fx *fx, Fake *fk, Step *step, const char *name, int n,
      const uint32_t *a)
{
    moat_val   args[8], res = { 0 }, none = { .type = MOAT_I32 };
    moat_error err = { 0 };

    for (int i = 0; i < n; i++)
        args[i] = (moat_val){ .type = MOAT_I32, .of.i32 = a[i] };
    moat_status st = moat_instance_call(fx->inst, name, args, (size_t)n,
                                        &res, 1, &err);
    for (int k = 0; st == MOAT_YIELDED; k++) {
        assert_true(k < 64);
        assert_true(moat_instance_is_suspended(fx->inst));
        if (step)
            step(fk, k);
        st = moat_instance_resume(fx->inst, none, &res, 1, &err);
    }
    if (st != MOAT_OK)
        fail_msg("%s: status %d: %s", name, (int)st, err.msg);
    return res.of.i32;
}

static uint32_t
drive_rw(Fx *fx, Fake *fk, Step *step, const char *name, uint32_t fd,
         uint32_t niovs)
{
    const uint32_t a[] = { fd, IOVS, niovs, RESULT };
    return drive(fx, fk, step, name, 4, a);
}

static void
feed(Fake *fk, const char *s, bool is_eof)
{
    size_t n = strlen(s);
    assert_true(fk->in_len + n <= sizeof fk->in);
    memcpy(fk->in + fk->in_len, s, n);
    fk->in_len += n;
    fk->is_eof = is_eof;
}

static void
feed_pieces(Fake *fk, int k)
{
    static const char *const pieces[] = { "hello, ", "streamed ", "world" };
    assert_int_equal(fk->what, WAIT_READ);
    assert_true(fk->deadline == UINT64_MAX);
    (void)k;                            /* per call; nwaits: in all */
    if (fk->nwaits <= 3)
        feed(fk, pieces[fk->nwaits - 1], false);
    else
        fk->is_eof = true;
}

/* Input that comes in pieces, with yields between them, reaches the guest
 * whole and in order, then the end of input. */
static void
read_waits_for_input(void **state)
{
    (void)state;
    Fx   fx = { 0 };
    Fake fk;
    char got[128] = "";

    start(&fx, &fk);
    for (;;) {
        fx_iovec(&fx, IOVS, BUF, 64);
        assert_int_equal(drive_rw(&fx, &fk, feed_pieces, "fd_read", 0, 1),
                         E_SUCCESS);
        uint32_t n = fx_get32(&fx, RESULT);
        if (n == 0)
            break;
        assert_true(strlen(got) + n < sizeof got);
        fx_read(&fx, BUF, got + strlen(got), n);
    }
    assert_string_equal(got, "hello, streamed world");
    assert_int_equal(fk.nwaits, 4);     /* three pieces, then the end */
    /* the end stays the end, without waiting */
    assert_int_equal(drive_rw(&fx, &fk, NULL, "fd_read", 0, 1), E_SUCCESS);
    assert_int_equal(fx_get32(&fx, RESULT), 0);
    assert_int_equal(fk.nwaits, 4);
    fx_free(&fx);
}

/* Iovecs fill in order; a short read ends the call. */
static void
read_fills_iovecs_in_order(void **state)
{
    (void)state;
    Fx   fx = { 0 };
    Fake fk;
    char got[16] = "";

    start(&fx, &fk);
    feed(&fk, "0123456789", false);
    fx_iovec(&fx, IOVS, BUF, 4);
    fx_iovec(&fx, IOVS + 8, BUF + 100, 0);
    fx_iovec(&fx, IOVS + 16, BUF + 200, 100);
    fx_iovec(&fx, IOVS + 24, BUF + 300, 100);
    assert_int_equal(drive_rw(&fx, &fk, NULL, "fd_read", 0, 4), E_SUCCESS);
    assert_int_equal(fx_get32(&fx, RESULT), 10);
    fx_read(&fx, BUF, got, 4);
    fx_read(&fx, BUF + 200, got + 4, 6);
    assert_string_equal(got, "0123456789");
    assert_int_equal(fk.nwaits, 0);
    fx_free(&fx);
}

static void
make_room(Fake *fk, int k)
{
    (void)k;
    assert_int_equal(fk->what, WAIT_WRITE);
    fk->room += 3;
}

/* A write blocks while the output has no room (yields), then every byte
 * of every iovec arrives, in order. */
static void
write_waits_for_room(void **state)
{
    (void)state;
    Fx   fx = { 0 };
    Fake fk;

    start(&fx, &fk);
    fx_write(&fx, BUF, "abcdefghij", 10);
    fx_iovec(&fx, IOVS, BUF, 3);
    fx_iovec(&fx, IOVS + 8, BUF + 3, 5);
    fx_iovec(&fx, IOVS + 16, BUF + 8, 2);
    assert_int_equal(drive_rw(&fx, &fk, make_room, "fd_write", 1, 3),
                     E_SUCCESS);
    assert_int_equal(fx_get32(&fx, RESULT), 10);
    assert_int_equal(fk.out_len[1], 10);
    assert_memory_equal(fk.out[1], "abcdefghij", 10);
    assert_int_equal(fk.nwaits, 4);     /* 3 + 3 + 3 + 1 */
    /* fd 2 writes to its own output */
    fk.room = 100;
    assert_int_equal(drive_rw(&fx, &fk, NULL, "fd_write", 2, 1), E_SUCCESS);
    assert_int_equal(fk.out_len[2], 3);
    assert_memory_equal(fk.out[2], "abc", 3);
    fx_free(&fx);
}

static void
close_output(Fake *fk, int k)
{
    (void)k;
    fk->is_closed = true;
}

/* A closed output: EPIPE when nothing went, else the count so far. */
static void
write_to_closed_output(void **state)
{
    (void)state;
    Fx   fx = { 0 };
    Fake fk;

    start(&fx, &fk);
    fx_write(&fx, BUF, "abcdefghij", 10);
    fx_iovec(&fx, IOVS, BUF, 10);
    fk.room = 4;
    assert_int_equal(drive_rw(&fx, &fk, close_output, "fd_write", 1, 1),
                     E_SUCCESS);
    assert_int_equal(fx_get32(&fx, RESULT), 4);
    assert_int_equal(fk.nwaits, 1);
    assert_int_equal(drive_rw(&fx, &fk, NULL, "fd_write", 1, 1), E_PIPE);
    assert_int_equal(fk.nwaits, 1);
    fx_free(&fx);
}

/* With the guest's NONBLOCK, nothing waits: EAGAIN, or a partial write. */
static void
nonblock_gives_eagain(void **state)
{
    (void)state;
    Fx   fx = { 0 };
    Fake fk;

    start(&fx, &fk);
    for (uint32_t fd = 0; fd < 2; fd++)
        assert_int_equal(fx_call(&fx, "fd_fdstat_set_flags", "ii", fd,
                                 NONBLOCK), E_SUCCESS);
    fx_iovec(&fx, IOVS, BUF, 10);
    assert_int_equal(drive_rw(&fx, &fk, NULL, "fd_read", 0, 1), E_AGAIN);
    assert_int_equal(drive_rw(&fx, &fk, NULL, "fd_write", 1, 1), E_AGAIN);
    fk.room = 3;
    assert_int_equal(drive_rw(&fx, &fk, NULL, "fd_write", 1, 1), E_SUCCESS);
    assert_int_equal(fx_get32(&fx, RESULT), 3);
    feed(&fk, "xy", false);
    assert_int_equal(drive_rw(&fx, &fk, NULL, "fd_read", 0, 1), E_SUCCESS);
    assert_int_equal(fx_get32(&fx, RESULT), 2);
    assert_int_equal(fk.nwaits, 0);
    assert_int_equal(fx_call(&fx, "fd_fdstat_get", "ii", 0, STAT), 0);
    assert_int_equal(fx_get32(&fx, STAT) >> 16, NONBLOCK);
    fx_free(&fx);
}

/* A pipe: filetype unknown (not a terminal), read or write rights, no
 * seek (ESPIPE), a filestat of zeros. */
static void
descriptors_look_like_pipes(void **state)
{
    (void)state;
    Fx   fx = { 0 };
    Fake fk;
    const uint64_t common = R_POLL | R_SETFLAGS | R_FILESTAT;

    start(&fx, &fk);
    for (uint32_t fd = 0; fd < 3; fd++) {
        assert_int_equal(fx_call(&fx, "fd_fdstat_get", "ii", fd, STAT), 0);
        assert_int_equal(fx_get32(&fx, STAT) & 0xff, 0);
        assert_true(fx_get64(&fx, STAT + 8) ==
                    (common | (fd == 0 ? R_READ : R_WRITE)));
        assert_true(fx_get64(&fx, STAT + 16) == 0);
        fx_write(&fx, STAT, "\xff\xff\xff\xff\xff\xff\xff\xff", 8);
        assert_int_equal(fx_call(&fx, "fd_filestat_get", "ii", fd, STAT), 0);
        for (uint32_t off = 0; off < 64; off += 8)
            assert_true(fx_get64(&fx, STAT + off) == 0);
        assert_int_equal(fx_call(&fx, "fd_seek", "iIii", fd, 0, 0, RESULT),
                         E_SPIPE);
        assert_int_equal(fx_call(&fx, "fd_tell", "ii", fd, RESULT), E_SPIPE);
    }
    fx_iovec(&fx, IOVS, BUF, 4);
    assert_int_equal(fx_call(&fx, "fd_pread", "iiiIi", 0, IOVS, 1, 0,
                             RESULT), E_SPIPE);
    assert_int_equal(fx_call(&fx, "fd_pwrite", "iiiIi", 1, IOVS, 1, 0,
                             RESULT), E_SPIPE);
    /* read-only and write-only */
    assert_int_equal(fx_call(&fx, "fd_write", "iiii", 0, IOVS, 1, RESULT),
                     E_NOTCAPABLE);
    assert_int_equal(fx_call(&fx, "fd_read", "iiii", 1, IOVS, 1, RESULT),
                     E_NOTCAPABLE);
    fx_free(&fx);
}

/* The stream moves with fd_renumber; fd_close closes the guest's only. */
static void
renumber_and_close(void **state)
{
    (void)state;
    Fx   fx = { 0 };
    Fake fk;
    moat_error err = { 0 };

    start(&fx, &fk);
    fk.room = 100;
    fx_write(&fx, BUF, "abc", 3);
    fx_iovec(&fx, IOVS, BUF, 3);
    /* a descriptor to renumber onto */
    assert_int_equal(fx_call(&fx, "fd_renumber", "ii", 2, 1), 0);
    assert_int_equal(drive_rw(&fx, &fk, NULL, "fd_write", 2, 1), E_BADF);
    assert_int_equal(drive_rw(&fx, &fk, NULL, "fd_write", 1, 1), 0);
    assert_int_equal(fk.out_len[1], 0);
    assert_int_equal(fk.out_len[2], 3);     /* it still is stderr's */
    assert_int_equal(fx_call(&fx, "fd_close", "i", 0), 0);
    assert_int_equal(drive_rw(&fx, &fk, NULL, "fd_read", 0, 1), E_BADF);
    /* the host takes a descriptor back: a capture again */
    assert_int_equal(moat_wasi_capture(fx.w, 1, &err), MOAT_OK);
    assert_int_equal(drive_rw(&fx, &fk, NULL, "fd_write", 1, 1), 0);
    size_t len;
    assert_string_equal(moat_wasi_captured(fx.w, 1, &len), "abc");
    assert_int_equal(fk.out_len[2], 3);
    fx_free(&fx);
}

/* Lets time pass until the wait's deadline, as a server's timer would. */
static void
sleep_until_deadline(Fake *fk, int k)
{
    (void)k;
    struct timespec ts = { .tv_sec = (time_t)(fk->deadline / 1000000000u),
                           .tv_nsec = (long)(fk->deadline % 1000000000u) };
    assert_true(fk->deadline != UINT64_MAX);
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

/* Subscription i at SUBS: a clock, relative, of ns on `clock`. */
static void
sub_clock(Fx *fx, uint32_t i, uint32_t clock, uint64_t ns)
{
    uint8_t s[48] = { 0 };
    s[0] = (uint8_t)(100 + i);          /* userdata */
    s[8] = 0;                           /* eventtype clock */
    s[16] = (uint8_t)clock;
    for (int b = 0; b < 8; b++)
        s[24 + b] = (uint8_t)(ns >> (8 * b));
    fx_write(fx, SUBS + 48 * i, s, sizeof s);
}

static void
sub_fd(Fx *fx, uint32_t i, uint8_t type, uint32_t fd)
{
    uint8_t s[48] = { 0 };
    s[0] = (uint8_t)(100 + i);
    s[8] = type;                        /* 1 fd_read, 2 fd_write */
    s[16] = (uint8_t)fd;
    fx_write(fx, SUBS + 48 * i, s, sizeof s);
}

static uint32_t
guest_poll(Fx *fx, Fake *fk, Step *step, uint32_t n)
{
    const uint32_t a[] = { SUBS, EVENTS, n, RESULT };
    return drive(fx, fk, step, "poll_oneoff", 4, a);
}

/* A 50 ms sleep waits with a deadline 50 ms ahead (no thread blocked) and
 * ends with the clock's event once it passed. */
static void
poll_clock_waits_through_the_host(void **state)
{
    (void)state;
    Fx   fx = { 0 };
    Fake fk;
    const uint64_t ms = 1000000;

    start(&fx, &fk);
    sub_clock(&fx, 0, 1, 50 * ms);
    uint64_t t0 = mono_ns();
    assert_int_equal(guest_poll(&fx, &fk, sleep_until_deadline, 1), E_SUCCESS);
    uint64_t t1 = mono_ns();
    assert_true(fk.nwaits >= 1);
    assert_true(fk.deadlines[0] >= t0 + 50 * ms);
    assert_true(fk.deadlines[0] <= t0 + 50 * ms + (t1 - t0));
    assert_true(t1 >= t0 + 50 * ms);
    assert_int_equal(fk.what, 0);
    assert_int_equal(fx_get32(&fx, RESULT), 1);
    assert_true(fx_get64(&fx, EVENTS) == 100);
    assert_int_equal(fx_get32(&fx, EVENTS + 8), 0);     /* ok, clock */
    fx_free(&fx);
}

static void
feed_xyz(Fake *fk, int k)
{
    (void)k;
    assert_int_equal(fk->what, WAIT_READ);
    assert_true(fk->deadline == UINT64_MAX);
    feed(fk, "xyz", false);
}

/* fd 0's readiness: a wait for it when nothing is there, then the bytes
 * ready; at once when they are there; the end is a hang-up. An fd_write
 * subscription on a closed output is EPIPE. */
static void
poll_stream_readiness(void **state)
{
    (void)state;
    Fx   fx = { 0 };
    Fake fk;

    start(&fx, &fk);
    sub_fd(&fx, 0, 1, 0);
    assert_int_equal(guest_poll(&fx, &fk, feed_xyz, 1), E_SUCCESS);
    assert_int_equal(fk.nwaits, 1);
    assert_int_equal(fx_get32(&fx, RESULT), 1);
    assert_int_equal(fx_get32(&fx, EVENTS + 8), 1 << 16);   /* fd_read */
    assert_true(fx_get64(&fx, EVENTS + 16) == 3);
    /* ready already: no wait */
    assert_int_equal(guest_poll(&fx, &fk, NULL, 1), E_SUCCESS);
    assert_int_equal(fk.nwaits, 1);
    assert_true(fx_get64(&fx, EVENTS + 16) == 3);
    /* the end of input */
    fk.in_pos = fk.in_len;
    fk.is_eof = true;
    assert_int_equal(guest_poll(&fx, &fk, NULL, 1), E_SUCCESS);
    assert_true(fx_get64(&fx, EVENTS + 16) == 0);
    assert_int_equal(fx_get32(&fx, EVENTS + 24) & 0xffff, HANGUP);
    /* stdout with room, then closed; stdin and a clock not ready */
    fk.in_len = fk.in_pos = 0;
    fk.is_eof = false;
    sub_fd(&fx, 1, 2, 1);
    sub_clock(&fx, 2, 1, 10ull * 1000000000);
    fk.room = 7;
    assert_int_equal(guest_poll(&fx, &fk, NULL, 3), E_SUCCESS);
    assert_int_equal(fx_get32(&fx, RESULT), 1);
    assert_true(fx_get64(&fx, EVENTS) == 101);
    assert_true(fx_get64(&fx, EVENTS + 16) == 7);
    fk.is_closed = true;
    assert_int_equal(guest_poll(&fx, &fk, NULL, 3), E_SUCCESS);
    assert_int_equal(fx_get32(&fx, RESULT), 1);
    assert_true(fx_get64(&fx, EVENTS) == 101);
    assert_int_equal(fx_get32(&fx, EVENTS + 8), E_PIPE | 2 << 16);
    assert_int_equal(fk.nwaits, 1);
    fx_free(&fx);
}

static void
no_step(Fake *fk, int k)
{
    (void)fk;
    (void)k;
}

/* Nothing ready: one wait for both streams' bits and the clock. */
static void
poll_waits_for_all_at_once(void **state)
{
    (void)state;
    Fx   fx = { 0 };
    Fake fk;

    start(&fx, &fk);
    sub_fd(&fx, 0, 1, 0);
    sub_fd(&fx, 1, 2, 1);
    sub_clock(&fx, 2, 1, 1000000);          /* 1 ms */
    uint64_t t0 = mono_ns();
    assert_int_equal(guest_poll(&fx, &fk, sleep_until_deadline, 3),
                     E_SUCCESS);
    assert_true(fk.nwaits >= 1);
    assert_true(fk.deadlines[0] >= t0 + 1000000);
    assert_int_equal(fk.what, WAIT_READ | WAIT_WRITE);
    assert_int_equal(fx_get32(&fx, RESULT), 1);
    assert_true(fx_get64(&fx, EVENTS) == 102);
    /* the existing checks stay: no subscription is EINVAL */
    assert_int_equal(guest_poll(&fx, &fk, NULL, 0), E_INVAL);
    fx_free(&fx);
}

static int pipe_w = -1;                 /* poll_host_descriptors' */

static void
write_pipe(Fake *fk, int k)
{
    (void)k;
    assert_int_equal(fk->what, WAIT_READ);
    assert_int_equal(write(pipe_w, "p", 1), 1);
}

/* A host descriptor among the subscriptions (fd 2 taken back with
 * set_stdio): the host is never told when it becomes ready, so each wait
 * lasts at most 10 ms, and a later pass finds it with a ppoll that does
 * not wait. */
static void
poll_host_descriptors(void **state)
{
    (void)state;
    Fx         fx = { 0 };
    Fake       fk;
    moat_error err = { 0 };
    int        p[2];

    assert_int_equal(pipe(p), 0);
    pipe_w = p[1];
    start(&fx, &fk);
    assert_int_equal(moat_wasi_set_stdio(fx.w, 2, p[0], &err), MOAT_OK);
    sub_fd(&fx, 0, 1, 0);               /* stream fd 0: nothing yet */
    sub_fd(&fx, 1, 1, 2);               /* the pipe: empty */
    uint64_t t0 = mono_ns();
    assert_int_equal(guest_poll(&fx, &fk, write_pipe, 2), E_SUCCESS);
    assert_int_equal(fk.nwaits, 1);
    assert_true(fk.deadlines[0] > t0);
    assert_true(fk.deadlines[0] <= mono_ns() + 10000000);
    assert_int_equal(fx_get32(&fx, RESULT), 1);
    assert_true(fx_get64(&fx, EVENTS) == 101);
    assert_true(fx_get64(&fx, EVENTS + 16) == 1);       /* one byte */
    fx_free(&fx);
    close(p[0]);
    close(p[1]);
}

/* sched_yield waits once, for nothing, until now. */
static void
sched_yield_yields_once(void **state)
{
    (void)state;
    Fx   fx = { 0 };
    Fake fk;

    start(&fx, &fk);
    uint64_t t0 = mono_ns();
    assert_int_equal(drive(&fx, &fk, no_step, "sched_yield", 0, NULL), 0);
    assert_int_equal(fk.nwaits, 1);
    assert_int_equal(fk.what, 0);
    assert_true(fk.deadline >= t0 && fk.deadline <= mono_ns());
    fx_free(&fx);
}

/* Freed while suspended in fd_write with more iovecs than WasiIov holds
 * inline: nothing may leak (the ASan build's leak check). */
static void
free_while_suspended(void **state)
{
    (void)state;
    Fx   fx = { 0 };
    Fake fk;
    moat_error err = { 0 };
    moat_val   args[4], res;

    start(&fx, &fk);
    fx_write(&fx, BUF, "abcdefghijklmnopqrstuvwxyz", 26);
    for (uint32_t i = 0; i < 26; i++)
        fx_iovec(&fx, IOVS + 8 * i, BUF + i, 1);
    const uint32_t a[] = { 1, IOVS, 26, RESULT };
    for (int i = 0; i < 4; i++)
        args[i] = (moat_val){ .type = MOAT_I32, .of.i32 = a[i] };
    fk.room = 5;
    assert_int_equal(moat_instance_call(fx.inst, "fd_write", args, 4, &res,
                                        1, &err), MOAT_YIELDED);
    assert_true(moat_instance_is_suspended(fx.inst));
    assert_int_equal(fk.out_len[1], 5);
    fx_free(&fx);                       /* the instance goes first */
}

static void
bad_streams_are_refused(void **state)
{
    (void)state;
    Fake       fk;
    moat_wasi *w;
    moat_error err = { 0 };
    moat_wasi_stream s = { .data = &fk, .read = fake_read,
                           .write = fake_write, .ready = fake_ready };

    assert_int_equal(moat_wasi_new(&w, &err), MOAT_OK);
    assert_int_equal(moat_wasi_set_stream(w, &s, &err), MOAT_ERR_LIMIT);
    assert_non_null(strstr(err.msg, "NULL"));
    assert_int_equal(moat_wasi_set_stream(w, NULL, &err), MOAT_ERR_LIMIT);
    moat_wasi_free(w);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(read_waits_for_input),
        cmocka_unit_test(read_fills_iovecs_in_order),
        cmocka_unit_test(write_waits_for_room),
        cmocka_unit_test(write_to_closed_output),
        cmocka_unit_test(nonblock_gives_eagain),
        cmocka_unit_test(descriptors_look_like_pipes),
        cmocka_unit_test(renumber_and_close),
        cmocka_unit_test(poll_clock_waits_through_the_host),
        cmocka_unit_test(poll_stream_readiness),
        cmocka_unit_test(poll_waits_for_all_at_once),
        cmocka_unit_test(poll_host_descriptors),
        cmocka_unit_test(sched_yield_yields_once),
        cmocka_unit_test(free_while_suspended),
        cmocka_unit_test(bad_streams_are_refused),
    };
    return cmocka_run_group_tests(tests, fx_group_setup, fx_group_teardown);
}
