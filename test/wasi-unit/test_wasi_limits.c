/* test_wasi_limits.c - what a guest call can make the host allocate is
 * bounded (docs/wasi.md, "Host memory"): poll_oneoff with millions of
 * subscriptions costs the host no memory per subscription (peak RSS is
 * measured around the call), iovec arrays stop at IOV_MAX (EINVAL), a
 * capture buffer at 64 MiB (EFBIG), the descriptor table at 4096 slots
 * (EMFILE), and fd_readdir keeps no buffer per open directory. The limits
 * are written out here on purpose: the test checks wasi/, not reuses it.
 */
#include "wasi_fx.h"

#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef WASI_WASM
#error "WASI_WASM: path of the compiled guest"
#endif

enum {
    FD_MAX = 4096,                      /* guest descriptor table slots */
    CAPTURE_MAX = 64 << 20,             /* bytes kept per capture */
    NSUBS = 4 << 20,                    /* 192 MiB of subscriptions */
    PAGE = 65536,
    R_FD_READDIR = 1 << 14
};
#define MIB (1024L * 1024L)

/* A field of /proc/self/status in KiB (VmRSS, VmHWM), -1 if missing. */
static long
status_kib(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    char  line[256];
    long  v = -1;
    size_t n = strlen(key);

    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, key, n) == 0 && line[n] == ':')
            v = strtol(line + n + 1, NULL, 10);
    if (f)
        fclose(f);
    return v;
}

/* Resets the peak RSS (VmHWM) to the current RSS (Linux 4.0+). */
static bool
reset_peak(void)
{
    int  fd = open("/proc/self/clear_refs", O_WRONLY);
    bool ok = fd >= 0 && write(fd, "5", 1) == 1;

    if (fd >= 0)
        close(fd);
    return ok && status_kib("VmHWM") >= 0;
}

/* At least n descriptors for this process, or a skip with the reason. */
static void
need_descriptors(rlim_t n, struct rlimit *old)
{
    struct rlimit r;

    assert_int_equal(getrlimit(RLIMIT_NOFILE, old), 0);
    if (old->rlim_cur >= n)
        return;
    r = *old;
    r.rlim_cur = n;
    if (r.rlim_max < n || setrlimit(RLIMIT_NOFILE, &r) != 0) {
        printf("skipped: needs %lu descriptors, hard limit %lu\n",
               (unsigned long)n, (unsigned long)old->rlim_max);
        skip();
    }
}

static void
put_sub(uint8_t *s, uint64_t userdata, uint8_t type, uint32_t fd_or_clock,
        uint64_t timeout)
{
    memset(s, 0, 48);
    for (int i = 0; i < 8; i++) {
        s[i] = (uint8_t)(userdata >> (8 * i));
        s[24 + i] = (uint8_t)(timeout >> (8 * i));
    }
    s[8] = type;
    for (int i = 0; i < 4; i++)
        s[16 + i] = (uint8_t)(fd_or_clock >> (8 * i));
}

/* Subscription i of the big poll: reads of an empty pipe and one-hour
 * clocks, except #1 (stdout, writable) and the last (a clock due now). */
static void
big_sub(uint8_t *s, uint32_t i)
{
    if (i == 1)
        put_sub(s, i, 2, 1, 0);                 /* FD_WRITE on 1 */
    else if (i == NSUBS - 1)
        put_sub(s, i, 0, 1, 0);                 /* monotonic, now */
    else if (i % 2 == 0)
        put_sub(s, i, 1, 0, 0);                 /* FD_READ on 0 */
    else
        put_sub(s, i, 0, 1, 3600000000000u);    /* monotonic, 1 h */
}

static void
poll_many_subscriptions_costs_no_host_memory(void **state)
{
    Fx         fx;
    moat_error err = { 0 };
    int        in[2], out[2];
    enum { CHUNK = 4096 };
    static uint8_t buf[CHUNK * 48];

    (void)state;
    assert_int_equal(pipe(in), 0);
    assert_int_equal(pipe(out), 0);
    fx_new(&fx);
    assert_int_equal(moat_wasi_set_stdio(fx.w, 0, in[0], &err), MOAT_OK);
    assert_int_equal(moat_wasi_set_stdio(fx.w, 1, out[1], &err), MOAT_OK);
    fx_start(&fx);
    uint32_t pages = (uint32_t)((uint64_t)NSUBS * 48 / PAGE + 1);
    assert_int_equal(fx_call(&fx, "memory_grow", "i", pages), 1);
    for (uint32_t i = 0; i < NSUBS; i += CHUNK) {
        for (uint32_t k = 0; k < CHUNK; k++)
            big_sub(buf + 48 * k, i + k);
        fx_write(&fx, PAGE + 48 * i, buf, sizeof buf);
    }
    long rss = status_kib("VmRSS");
    if (!reset_peak()) {
        printf("skipped: /proc/self/clear_refs cannot reset VmHWM\n");
        skip();
    }
    /* events written over the subscriptions (in == out) */
    assert_int_equal(fx_call(&fx, "poll_oneoff", "iiii", PAGE, PAGE, NSUBS,
                             8), 0);
    long grew = status_kib("VmHWM") - rss;
    printf("poll_oneoff of %d subscriptions: peak RSS +%ld KiB\n", NSUBS,
           grew);
    assert_int_equal(fx_get32(&fx, 8), 2);
    assert_int_equal(fx_get64(&fx, PAGE), 1);
    assert_int_equal(fx_get32(&fx, PAGE + 8), 2 << 16);  /* ok, FD_WRITE */
    assert_int_equal(fx_get64(&fx, PAGE + 32), NSUBS - 1);
    assert_int_equal(fx_get32(&fx, PAGE + 40), 0);       /* ok, CLOCK */
    assert_true(grew < 16 * 1024);
    /* out above in and overlapping: subscriptions would be overwritten
     * before they are read */
    put_sub(buf, 7, 0, 1, 0);
    put_sub(buf + 48, 8, 0, 1, 0);
    fx_write(&fx, 1000, buf, 96);
    assert_int_equal(fx_call(&fx, "poll_oneoff", "iiii", 1000, 1016, 2, 8),
                     E_INVAL);
    /* out below in: fine, events go behind what is still to read */
    assert_int_equal(fx_call(&fx, "poll_oneoff", "iiii", 1000, 990, 2, 8),
                     0);
    assert_int_equal(fx_get32(&fx, 8), 2);
    assert_int_equal(fx_get64(&fx, 990), 7);
    assert_int_equal(fx_get64(&fx, 1022), 8);
    fx_free(&fx);
    close(in[0]);
    close(in[1]);
    close(out[0]);
    close(out[1]);
}

static void
iovec_count_is_capped(void **state)
{
    Fx         fx;
    moat_error err = { 0 };

    (void)state;
    fx_new(&fx);
    assert_int_equal(moat_wasi_capture(fx.w, 1, &err), MOAT_OK);
    fx_start(&fx);
    assert_int_equal(fx_call(&fx, "memory_grow", "i", 1), 1);
    fx_write(&fx, 100, "x", 1);
    for (uint32_t i = 0; i <= IOV_MAX; i++)
        fx_iovec(&fx, PAGE + 8 * i, 100, 1);
    assert_int_equal(fx_call(&fx, "fd_write", "iiii", 1, PAGE, IOV_MAX + 1,
                             8), E_INVAL);
    assert_int_equal(fx_call(&fx, "fd_write", "iiii", 1, PAGE, IOV_MAX, 8),
                     0);
    assert_int_equal(fx_get32(&fx, 8), IOV_MAX);
    fx_free(&fx);
}

/* 128 iovecs on the same 1 MiB of guest memory ask for 128 MiB: the
 * capture keeps 64 MiB, then EFBIG. */
static void
capture_is_capped(void **state)
{
    Fx         fx;
    moat_error err = { 0 };
    size_t     len = 0;

    (void)state;
    fx_new(&fx);
    assert_int_equal(moat_wasi_capture(fx.w, 1, &err), MOAT_OK);
    fx_start(&fx);
    assert_int_equal(fx_call(&fx, "memory_grow", "i", 16), 1);
    for (uint32_t i = 0; i < 128; i++)
        fx_iovec(&fx, 1024 + 8 * i, PAGE, 1 << 20);
    assert_int_equal(fx_call(&fx, "fd_write", "iiii", 1, 1024, 128, 8), 0);
    assert_int_equal(fx_get32(&fx, 8), CAPTURE_MAX);
    moat_wasi_captured(fx.w, 1, &len);
    assert_int_equal(len, CAPTURE_MAX);
    assert_int_equal(fx_call(&fx, "fd_write", "iiii", 1, 1024, 1, 8), E_FBIG);
    moat_wasi_captured(fx.w, 1, &len);
    assert_int_equal(len, CAPTURE_MAX);
    /* a new capture starts empty and has room again */
    assert_int_equal(moat_wasi_capture(fx.w, 1, &err), MOAT_OK);
    assert_int_equal(fx_call(&fx, "fd_write", "iiii", 1, 1024, 1, 8), 0);
    fx_free(&fx);
}

/* path_open of "." until the table is full: EMFILE at FD_MAX slots,
 * whatever the process's own limit. */
static void
descriptor_table_is_capped(void **state)
{
    Fx            fx;
    moat_error    err = { 0 };
    struct rlimit old;
    char          dir[256];
    uint32_t      n = 0, e;

    (void)state;
    need_descriptors(FD_MAX + 256, &old);
    fx_tmpdir(dir, sizeof dir);
    fx_new(&fx);
    assert_int_equal(moat_wasi_preopen(fx.w, dir, "/d", &err), MOAT_OK);
    fx_start(&fx);
    fx_write(&fx, 300, ".", 1);
    while ((e = fx_call(&fx, "path_open", "iiiiiIIii", 3, 0, 300, 1, 2,
                        (uint64_t)R_FD_READDIR, 0, 0, 8)) == 0 &&
           n < 4 * FD_MAX)
        n++;
    assert_int_equal(e, E_MFILE);
    assert_int_equal(n, FD_MAX - 4);            /* 0-2 and the preopen */
    assert_int_equal(fx_call(&fx, "fd_close", "i", 100), 0);
    assert_int_equal(fx_call(&fx, "path_open", "iiiiiIIii", 3, 0, 300, 1, 2,
                             (uint64_t)R_FD_READDIR, 0, 0, 8), 0);
    assert_int_equal(fx_get32(&fx, 8), 100);
    fx_free(&fx);
    fx_rmtree(dir);
    setrlimit(RLIMIT_NOFILE, &old);
}

/* Entries in one fd_readdir result; *next: the cookie after the last
 * whole one. */
static uint32_t
count_entries(Fx *fx, uint32_t at, uint32_t used, uint64_t *next)
{
    uint32_t n = 0, pos = 0;

    while (pos + 24 <= used) {
        uint32_t namlen = fx_get32(fx, at + pos + 16);
        if (pos + 24 + namlen > used)
            break;                              /* cut: asked again */
        *next = fx_get64(fx, at + pos);
        n++;
        pos += 24 + namlen;
    }
    return n;
}

/* 1000 descriptors on a directory with 84 KB of entries, each read once:
 * no per-descriptor stream buffer (glibc's DIR holds 32 KiB), and every
 * entry is listed exactly once through the cookies. */
static void
readdir_keeps_no_buffer_per_descriptor(void **state)
{
    enum { NFILES = 1500, NDIRS = 1000, BUF = 4096 };
    Fx            fx;
    moat_error    err = { 0 };
    struct rlimit old;
    char          dir[256], path[400];

    (void)state;
    need_descriptors(NDIRS + 256, &old);
    fx_tmpdir(dir, sizeof dir);
    for (int i = 0; i < NFILES; i++) {
        snprintf(path, sizeof path, "%s/file-with-a-rather-long-name-%04d",
                 dir, i);
        int fd = open(path, O_CREAT | O_WRONLY, 0644);
        assert_true(fd >= 0);
        close(fd);
    }
    fx_new(&fx);
    assert_int_equal(moat_wasi_preopen(fx.w, dir, "/d", &err), MOAT_OK);
    fx_start(&fx);
    fx_write(&fx, 300, ".", 1);
    for (int i = 0; i < NDIRS; i++)
        assert_int_equal(fx_call(&fx, "path_open", "iiiiiIIii", 3, 0, 300, 1,
                                 2, (uint64_t)R_FD_READDIR, 0, 0, 8), 0);
    long rss = status_kib("VmRSS");
    bool peak = reset_peak();
    for (uint32_t fd = 4; fd < 4 + NDIRS; fd++) {
        assert_int_equal(fx_call(&fx, "fd_readdir", "iiiIi", fd, 1024, BUF,
                                 0, 8), 0);
        assert_int_equal(fx_get32(&fx, 8), BUF);
    }
    long grew = status_kib(peak ? "VmHWM" : "VmRSS") - rss;
    printf("fd_readdir on %d descriptors: RSS +%ld KiB\n", NDIRS, grew);
    assert_true(grew < 8 * 1024);
    uint64_t cookie = 0;
    uint32_t total = 0, used;
    do {
        assert_int_equal(fx_call(&fx, "fd_readdir", "iiiIi", 4, 1024, BUF,
                                 cookie, 8), 0);
        used = fx_get32(&fx, 8);
        total += count_entries(&fx, 1024, used, &cookie);
    } while (used == BUF);
    assert_int_equal(total, NFILES + 2);        /* with . and .. */
    fx_free(&fx);
    fx_rmtree(dir);
    setrlimit(RLIMIT_NOFILE, &old);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(poll_many_subscriptions_costs_no_host_memory),
        cmocka_unit_test(iovec_count_is_capped),
        cmocka_unit_test(capture_is_capped),
        cmocka_unit_test(descriptor_table_is_capped),
        cmocka_unit_test(readdir_keeps_no_buffer_per_descriptor),
    };
    return cmocka_run_group_tests(tests, fx_group_setup, fx_group_teardown);
}
