/* test_wasi_fd.c - WASI preview 1 descriptors: bad descriptors (EBADF),
 * rights (ENOTCAPABLE, only ever dropped), seek/tell/pread/pwrite on a
 * host file handed in as stdin, fdstat flags, filestat, renumber, preopen
 * names, fd_readdir cookies with buffers that cut entries, operations on
 * directories, poll_oneoff with clocks and descriptors, and sockets.
 */
#include "wasi_fx.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef WASI_WASM
#error "WASI_WASM: path of the compiled guest"
#endif

enum {
    R_FD_READ = 1 << 1, R_FD_SEEK = 1 << 2, R_FD_TELL = 1 << 5,
    R_FD_WRITE = 1 << 6, R_FD_READDIR = 1 << 14
};

/* Reads n bytes of guest fd `fd` into out (NUL-terminated); the errno. */
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

static void
bad_descriptors_are_ebadf(void **state)
{
    Fx fx;

    (void)state;
    fx_new(&fx);
    fx_start(&fx);
    fx_iovec(&fx, 16, 64, 4);
    assert_int_equal(fx_call(&fx, "fd_write", "iiii", 99, 16, 1, 8), E_BADF);
    assert_int_equal(fx_call(&fx, "fd_read", "iiii", 3, 16, 1, 8), E_BADF);
    assert_int_equal(fx_call(&fx, "fd_close", "i", 0xffffffff), E_BADF);
    assert_int_equal(fx_call(&fx, "fd_seek", "iIii", 1234, 0, 0, 8), E_BADF);
    assert_int_equal(fx_call(&fx, "fd_tell", "ii", 7, 8), E_BADF);
    assert_int_equal(fx_call(&fx, "fd_fdstat_get", "ii", 5, 64), E_BADF);
    assert_int_equal(fx_call(&fx, "fd_filestat_get", "ii", 5, 64), E_BADF);
    assert_int_equal(fx_call(&fx, "fd_prestat_get", "ii", 3, 64), E_BADF);
    assert_int_equal(fx_call(&fx, "fd_renumber", "ii", 40, 1), E_BADF);
    assert_int_equal(fx_call(&fx, "fd_readdir", "iiiIi", 9, 64, 64, 0, 8),
                     E_BADF);
    assert_int_equal(fx_call(&fx, "fd_sync", "i", 77), E_BADF);
    assert_int_equal(fx_call(&fx, "sock_shutdown", "ii", 77, 3), E_BADF);
    /* the guest closes a stdio descriptor: later calls see it closed */
    assert_int_equal(fx_call(&fx, "fd_close", "i", 0), 0);
    assert_int_equal(fx_call(&fx, "fd_close", "i", 0), E_BADF);
    fx_free(&fx);
}

static void
seek_tell_pread_pwrite(void **state)
{
    Fx         fx;
    moat_error err = { 0 };
    char       buf[64];
    int        hfd = fx_temp_file("0123456789", 0);

    (void)state;
    fx_new(&fx);
    assert_int_equal(moat_wasi_set_stdio(fx.w, 0, hfd, &err), MOAT_OK);
    fx_start(&fx);
    assert_int_equal(fx_call(&fx, "fd_seek", "iIii", 0, 3, 0, 8), 0);
    assert_int_equal(fx_get64(&fx, 8), 3);
    assert_int_equal(guest_read(&fx, 0, buf, 4), 0);
    assert_string_equal(buf, "3456");
    assert_int_equal(fx_call(&fx, "fd_tell", "ii", 0, 8), 0);
    assert_int_equal(fx_get64(&fx, 8), 7);
    assert_int_equal(fx_call(&fx, "fd_seek", "iIii", 0, (uint64_t)-2, 1, 8),
                     0);
    assert_int_equal(fx_get64(&fx, 8), 5);
    assert_int_equal(fx_call(&fx, "fd_seek", "iIii", 0, 0, 2, 8), 0);
    assert_int_equal(fx_get64(&fx, 8), 10);
    assert_int_equal(fx_call(&fx, "fd_seek", "iIii", 0, 0, 3, 8), E_INVAL);
    assert_int_equal(fx_call(&fx, "fd_seek", "iIii", 0, (uint64_t)-20, 0, 8),
                     E_INVAL);
    /* pread/pwrite leave the position alone */
    assert_int_equal(fx_call(&fx, "fd_seek", "iIii", 0, 2, 0, 8), 0);
    fx_iovec(&fx, 16, 1024, 3);
    assert_int_equal(fx_call(&fx, "fd_pread", "iiiIi", 0, 16, 1, 1, 8), 0);
    assert_int_equal(fx_get32(&fx, 8), 3);
    fx_read(&fx, 1024, buf, 3);
    assert_memory_equal(buf, "123", 3);
    fx_write(&fx, 1100, "AB", 2);
    fx_iovec(&fx, 16, 1100, 2);
    assert_int_equal(fx_call(&fx, "fd_pwrite", "iiiIi", 0, 16, 1, 8, 8), 0);
    assert_int_equal(fx_get32(&fx, 8), 2);
    assert_int_equal(fx_call(&fx, "fd_tell", "ii", 0, 8), 0);
    assert_int_equal(fx_get64(&fx, 8), 2);
    assert_int_equal(pread(hfd, buf, 10, 0), 10);
    assert_memory_equal(buf, "01234567AB", 10);
    /* reads past the end: 0 bytes, no error */
    assert_int_equal(fx_call(&fx, "fd_pread", "iiiIi", 0, 16, 1, 100, 8), 0);
    assert_int_equal(fx_get32(&fx, 8), 0);
    assert_int_equal(fx_call(&fx, "fd_pread", "iiiIi", 0, 16, 1,
                             (uint64_t)-1, 8), E_INVAL);
    fx_free(&fx);
    close(hfd);
}

static void
rights_are_checked_and_only_dropped(void **state)
{
    Fx         fx;
    moat_error err = { 0 };
    char       buf[16];
    int        hfd = fx_temp_file("abcdef", 0);

    (void)state;
    fx_new(&fx);
    assert_int_equal(moat_wasi_set_stdio(fx.w, 0, hfd, &err), MOAT_OK);
    fx_start(&fx);
    assert_int_equal(fx_call(&fx, "fd_fdstat_get", "ii", 0, 200), 0);
    uint64_t base = fx_get64(&fx, 208), inh = fx_get64(&fx, 216);
    assert_int_equal(fx_get32(&fx, 200) & 0xff, 4);     /* regular file */
    assert_true(base & R_FD_READ);
    /* dropping is allowed, and then the call needs the right */
    assert_int_equal(fx_call(&fx, "fd_fdstat_set_rights", "iII", 0,
                             base & ~(uint64_t)R_FD_READ, inh), 0);
    assert_int_equal(guest_read(&fx, 0, buf, 2), E_NOTCAPABLE);
    assert_int_equal(fx_call(&fx, "fd_pread", "iiiIi", 0, 16, 1, 0, 8),
                     E_NOTCAPABLE);
    /* regaining is not */
    assert_int_equal(fx_call(&fx, "fd_fdstat_set_rights", "iII", 0, base,
                             inh), E_NOTCAPABLE);
    assert_int_equal(fx_call(&fx, "fd_fdstat_set_rights", "iII", 0,
                             base & ~(uint64_t)R_FD_READ, inh | 1u << 29),
                     E_NOTCAPABLE);
    /* tell survives dropping seek; seek does not */
    assert_int_equal(fx_call(&fx, "fd_fdstat_set_rights", "iII", 0,
                             base & ~(uint64_t)(R_FD_READ | R_FD_SEEK), inh),
                     0);
    assert_int_equal(fx_call(&fx, "fd_tell", "ii", 0, 8), 0);
    assert_int_equal(fx_call(&fx, "fd_seek", "iIii", 0, 0, 1, 8), 0);
    assert_int_equal(fx_call(&fx, "fd_seek", "iIii", 0, 1, 0, 8),
                     E_NOTCAPABLE);
    assert_int_equal(fx_call(&fx, "fd_fdstat_set_rights", "iII", 0, 0, 0), 0);
    assert_int_equal(fx_call(&fx, "fd_tell", "ii", 0, 8), E_NOTCAPABLE);
    assert_int_equal(fx_call(&fx, "fd_filestat_get", "ii", 0, 200),
                     E_NOTCAPABLE);
    assert_int_equal(fx_call(&fx, "fd_fdstat_get", "ii", 0, 200), 0);
    assert_int_equal(fx_get64(&fx, 208), 0);
    fx_free(&fx);
    close(hfd);
}

static void
fdstat_flags_and_filestat(void **state)
{
    Fx         fx;
    moat_error err = { 0 };
    char       buf[16];
    int        hfd = fx_temp_file("xyz", 0);

    (void)state;
    fx_new(&fx);
    assert_int_equal(moat_wasi_set_stdio(fx.w, 0, hfd, &err), MOAT_OK);
    fx_start(&fx);
    assert_int_equal(fx_call(&fx, "fd_filestat_get", "ii", 0, 200), 0);
    assert_int_equal(fx_get64(&fx, 232), 3);                /* size */
    assert_int_equal(fx_get32(&fx, 216) & 0xff, 4);         /* filetype */
    assert_int_equal(fx_call(&fx, "fd_filestat_set_size", "iI", 0, 1), 0);
    assert_int_equal(fx_call(&fx, "fd_filestat_get", "ii", 0, 200), 0);
    assert_int_equal(fx_get64(&fx, 232), 1);
    /* times: set mtim to 5 s after the epoch, then "now" and set is bad */
    assert_int_equal(fx_call(&fx, "fd_filestat_set_times", "iIIi", 0, 0,
                             5000000000u, 4), 0);
    assert_int_equal(fx_call(&fx, "fd_filestat_get", "ii", 0, 200), 0);
    assert_int_equal(fx_get64(&fx, 248), 5000000000u);
    assert_int_equal(fx_call(&fx, "fd_filestat_set_times", "iIIi", 0, 0, 0,
                             4 | 8), E_INVAL);
    /* append: writes go to the end whatever the position */
    assert_int_equal(fx_call(&fx, "fd_fdstat_set_flags", "ii", 0, 1), 0);
    assert_int_equal(fx_call(&fx, "fd_fdstat_get", "ii", 0, 200), 0);
    assert_int_equal(fx_get32(&fx, 200) >> 16, 1);
    fx_write(&fx, 1100, "QQ", 2);
    fx_iovec(&fx, 16, 1100, 2);
    assert_int_equal(fx_call(&fx, "fd_seek", "iIii", 0, 0, 0, 8), 0);
    assert_int_equal(fx_call(&fx, "fd_write", "iiii", 0, 16, 1, 8), 0);
    assert_int_equal(pread(hfd, buf, 8, 0), 3);
    assert_memory_equal(buf, "xQQ", 3);
    assert_int_equal(fx_call(&fx, "fd_fdstat_set_flags", "ii", 0, 0), 0);
    assert_int_equal(fcntl(hfd, F_GETFL) & O_APPEND, 0);
    /* sync flags cannot change after open; unknown bits are invalid */
    assert_int_equal(fx_call(&fx, "fd_fdstat_set_flags", "ii", 0, 16), 58);
    assert_int_equal(fx_call(&fx, "fd_fdstat_set_flags", "ii", 0, 64),
                     E_INVAL);
    assert_int_equal(fx_call(&fx, "fd_sync", "i", 0), 0);
    assert_int_equal(fx_call(&fx, "fd_datasync", "i", 0), 0);
    assert_int_equal(fx_call(&fx, "fd_advise", "iIIi", 0, 0, 0, 1), 0);
    assert_int_equal(fx_call(&fx, "fd_advise", "iIIi", 0, 0, 0, 6), E_INVAL);
    assert_int_equal(fx_call(&fx, "fd_allocate", "iII", 0, 0, 100), 0);
    assert_int_equal(fx_call(&fx, "fd_filestat_get", "ii", 0, 200), 0);
    assert_int_equal(fx_get64(&fx, 232), 100);
    fx_free(&fx);
    close(hfd);
}

static void
preopen_names_and_renumber(void **state)
{
    Fx         fx;
    moat_error err = { 0 };
    char       d1[256], d2[256], name[16] = { 0 };

    (void)state;
    fx_tmpdir(d1, sizeof d1);
    fx_tmpdir(d2, sizeof d2);
    fx_new(&fx);
    assert_int_equal(moat_wasi_preopen(fx.w, d1, "/sandbox", &err), MOAT_OK);
    assert_int_equal(moat_wasi_preopen(fx.w, d2, "tmp", &err), MOAT_OK);
    assert_int_equal(moat_wasi_preopen(fx.w, "/nonexistent/moat", "x", &err),
                     MOAT_ERR_IO);
    fx_start(&fx);
    assert_int_equal(fx_call(&fx, "fd_prestat_get", "ii", 3, 64), 0);
    assert_int_equal(fx_get32(&fx, 64) & 0xff, 0);          /* dir */
    assert_int_equal(fx_get32(&fx, 68), 8);
    assert_int_equal(fx_call(&fx, "fd_prestat_dir_name", "iii", 3, 100, 3),
                     E_NAMETOOLONG);
    assert_int_equal(fx_call(&fx, "fd_prestat_dir_name", "iii", 3, 100, 9),
                     0);
    fx_read(&fx, 100, name, 8);
    assert_string_equal(name, "/sandbox");
    assert_int_equal(fx_call(&fx, "fd_prestat_get", "ii", 4, 64), 0);
    assert_int_equal(fx_get32(&fx, 68), 3);
    assert_int_equal(fx_call(&fx, "fd_prestat_get", "ii", 5, 64), E_BADF);
    assert_int_equal(fx_call(&fx, "fd_prestat_get", "ii", 1, 64), E_BADF);
    assert_int_equal(fx_call(&fx, "fd_fdstat_get", "ii", 3, 200), 0);
    assert_int_equal(fx_get32(&fx, 200) & 0xff, 3);         /* directory */
    /* renumber 3 over 4: 4 is now "/sandbox", 3 is free */
    assert_int_equal(fx_call(&fx, "fd_renumber", "ii", 3, 4), 0);
    assert_int_equal(fx_call(&fx, "fd_fdstat_get", "ii", 3, 200), E_BADF);
    assert_int_equal(fx_call(&fx, "fd_prestat_get", "ii", 4, 64), 0);
    assert_int_equal(fx_get32(&fx, 68), 8);
    assert_int_equal(fx_call(&fx, "fd_renumber", "ii", 4, 3), E_BADF);
    assert_int_equal(fx_call(&fx, "fd_renumber", "ii", 4, 4), 0);
    /* stdio can be renumbered too; the capture follows the entry */
    assert_int_equal(fx_call(&fx, "fd_renumber", "ii", 2, 1), 0);
    assert_int_equal(fx_call(&fx, "fd_fdstat_get", "ii", 2, 200), E_BADF);
    assert_int_equal(fx_call(&fx, "fd_close", "i", 4), 0);
    assert_int_equal(fx_call(&fx, "fd_prestat_get", "ii", 4, 64), E_BADF);
    fx_free(&fx);
    fx_rmtree(d1);
    fx_rmtree(d2);
}

static void
directories_refuse_file_operations(void **state)
{
    Fx         fx;
    moat_error err = { 0 };
    char       d[256];

    (void)state;
    fx_tmpdir(d, sizeof d);
    fx_new(&fx);
    assert_int_equal(moat_wasi_preopen(fx.w, d, "/", &err), MOAT_OK);
    fx_start(&fx);
    fx_iovec(&fx, 16, 1024, 8);
    assert_int_equal(fx_call(&fx, "fd_read", "iiii", 3, 16, 1, 8), E_BADF);
    assert_int_equal(fx_call(&fx, "fd_write", "iiii", 3, 16, 1, 8), E_BADF);
    assert_int_equal(fx_call(&fx, "fd_pread", "iiiIi", 3, 16, 1, 0, 8),
                     E_BADF);
    assert_int_equal(fx_call(&fx, "fd_seek", "iIii", 3, 0, 1, 8), E_BADF);
    assert_int_equal(fx_call(&fx, "fd_tell", "ii", 3, 8), E_BADF);
    assert_int_equal(fx_call(&fx, "fd_allocate", "iII", 3, 0, 1), E_BADF);
    assert_int_equal(fx_call(&fx, "fd_filestat_set_size", "iI", 3, 0),
                     E_BADF);
    assert_int_equal(fx_call(&fx, "fd_filestat_get", "ii", 3, 200), 0);
    assert_int_equal(fx_get32(&fx, 216) & 0xff, 3);
    /* and readdir refuses what is not a directory */
    assert_int_equal(fx_call(&fx, "fd_readdir", "iiiIi", 1, 64, 64, 0, 8),
                     E_NOTDIR);
    fx_free(&fx);
    fx_rmtree(d);
}

/* Reads the whole directory at guest fd 3 with a buf_len-byte buffer,
 * following cookies; counts each name of seen[] it meets. */
static int
read_dir(Fx *fx, uint32_t buf_len, const char *const *names, int *seen,
         int nnames)
{
    uint64_t cookie = 0;
    int      total = 0;

    for (int round = 0; round < 1000; round++) {
        assert_int_equal(fx_call(fx, "fd_readdir", "iiiIi", 3, 4096, buf_len,
                                 cookie, 8), 0);
        uint32_t used = fx_get32(fx, 8), at = 0;
        assert_true(used <= buf_len);
        while (used - at >= 24) {
            uint64_t next = fx_get64(fx, 4096 + at);
            uint32_t namlen = fx_get32(fx, 4096 + at + 16);
            if (used - at - 24 < namlen)
                break;                          /* cut: ask again */
            char name[64] = { 0 };
            assert_true(namlen < sizeof name);
            fx_read(fx, 4096 + at + 24, name, namlen);
            for (int i = 0; i < nnames; i++)
                seen[i] += strcmp(name, names[i]) == 0;
            assert_true(next > cookie);
            cookie = next;
            total++;
            at += 24 + namlen;
        }
        if (used < buf_len)
            return total;
    }
    fail_msg("fd_readdir never reached the end");
    return -1;
}

static void
readdir_cookies_resume(void **state)
{
    static const char *const names[] = {
        ".", "..", "f00", "f01", "f02", "f03", "f04", "f05", "f06", "f07",
        "f08", "f09", "f10", "f11", "f12", "f13", "f14", "f15", "f16",
        "long-name-long-name-long-name",
    };
    enum { N = sizeof names / sizeof *names };
    Fx         fx;
    moat_error err = { 0 };
    char       d[256], p[300];

    (void)state;
    fx_tmpdir(d, sizeof d);
    for (int i = 2; i < N; i++) {
        snprintf(p, sizeof p, "%s/%s", d, names[i]);
        close(open(p, O_CREAT | O_WRONLY, 0600));
    }
    snprintf(p, sizeof p, "%s/f05", d);
    unlink(p);
    assert_int_equal(mkdir(p, 0700), 0);                /* one directory */
    fx_new(&fx);
    assert_int_equal(moat_wasi_preopen(fx.w, d, "d", &err), MOAT_OK);
    fx_start(&fx);
    /* 53 bytes: just the longest entry (24 + 29) */
    static const uint32_t sizes[] = { 4096, 53, 54, 64, 100, 200 };
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
        int seen[N] = { 0 };
        assert_int_equal(read_dir(&fx, sizes[s], names, seen, N), N);
        for (int i = 0; i < N; i++)
            assert_int_equal(seen[i], 1);
    }
    /* small buffers: every entry still comes exactly once */
    for (uint32_t len = 27; len < 60; len += 7) {
        int seen[N] = { 0 };
        uint64_t cookie = 0;
        int      total = 0;
        for (int round = 0; round < 200; round++) {
            assert_int_equal(fx_call(&fx, "fd_readdir", "iiiIi", 3, 4096, len,
                                     cookie, 8), 0);
            uint32_t used = fx_get32(&fx, 8);
            uint32_t namlen = fx_get32(&fx, 4096 + 16);
            if (used == 0)
                break;
            if (used >= 24 && 24 + namlen <= used) {
                char name[64] = { 0 };
                fx_read(&fx, 4096 + 24, name, namlen);
                for (int i = 0; i < N; i++)
                    seen[i] += strcmp(name, names[i]) == 0;
                total++;
                cookie = fx_get64(&fx, 4096);
            } else {
                assert_int_equal(used, len);   /* cut, so it says "full" */
                /* the guest would grow its buffer: do it once */
                assert_int_equal(fx_call(&fx, "fd_readdir", "iiiIi", 3, 4096,
                                         4096, cookie, 8), 0);
                namlen = fx_get32(&fx, 4096 + 16);
                char name[64] = { 0 };
                fx_read(&fx, 4096 + 24, name, namlen);
                for (int i = 0; i < N; i++)
                    seen[i] += strcmp(name, names[i]) == 0;
                total++;
                cookie = fx_get64(&fx, 4096);
            }
        }
        assert_int_equal(total, N);
        for (int i = 0; i < N; i++)
            assert_int_equal(seen[i], 1);
    }
    /* types and a cookie past the end */
    assert_int_equal(fx_call(&fx, "fd_readdir", "iiiIi", 3, 4096, 4096,
                             1000, 8), 0);
    assert_int_equal(fx_get32(&fx, 8), 0);
    assert_int_equal(fx_call(&fx, "fd_readdir", "iiiIi", 3, 4096, 10, 0, 8),
                     0);
    assert_int_equal(fx_get32(&fx, 8), 10);     /* not even a header fits */
    assert_int_equal(fx_call(&fx, "fd_readdir", "iiiIi", 3, 65530, 100, 0,
                             8), E_FAULT);
    fx_free(&fx);
    fx_rmtree(d);
}

static uint64_t
mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A subscription at `at`: clock (fd unused) or fd_read / fd_write. */
static void
put_sub(Fx *fx, uint32_t at, uint64_t userdata, uint8_t type, uint32_t fd,
        uint64_t timeout, uint16_t flags)
{
    uint8_t s[48] = { 0 };
    for (int i = 0; i < 8; i++) {
        s[i] = (uint8_t)(userdata >> (8 * i));
        s[24 + i] = (uint8_t)(timeout >> (8 * i));
    }
    s[8] = type;
    s[16] = (uint8_t)fd;                /* clock id or descriptor */
    s[40] = (uint8_t)flags;
    fx_write(fx, at, s, sizeof s);
}

static void
poll_oneoff_clocks_and_fds(void **state)
{
    Fx         fx;
    moat_error err = { 0 };
    int        p[2];

    (void)state;
    assert_int_equal(pipe(p), 0);
    fx_new(&fx);
    assert_int_equal(moat_wasi_set_stdio(fx.w, 0, p[0], &err), MOAT_OK);
    assert_int_equal(moat_wasi_capture(fx.w, 1, &err), MOAT_OK);
    fx_start(&fx);
    /* a relative 50 ms monotonic timeout waits about that long */
    put_sub(&fx, 1000, 0xabcdef, 0, 1, 50000000, 0);
    uint64_t t0 = mono_ms();
    assert_int_equal(fx_call(&fx, "poll_oneoff", "iiii", 1000, 2000, 1, 8),
                     0);
    uint64_t dt = mono_ms() - t0;
    assert_true(dt >= 50);
    assert_true(dt < 2000);
    assert_int_equal(fx_get32(&fx, 8), 1);
    assert_int_equal(fx_get64(&fx, 2000), 0xabcdef);
    assert_int_equal(fx_get32(&fx, 2008), 0);           /* error 0, CLOCK */
    /* an absolute realtime deadline in the past: at once */
    put_sub(&fx, 1000, 1, 0, 0, 1000, 1);
    t0 = mono_ms();
    assert_int_equal(fx_call(&fx, "poll_oneoff", "iiii", 1000, 2000, 1, 8),
                     0);
    assert_true(mono_ms() - t0 < 1000);
    assert_int_equal(fx_get32(&fx, 8), 1);
    /* stdout (captured) is writable now; the 10 s clock does not fire */
    put_sub(&fx, 1000, 2, 0, 1, 10000000000u, 0);
    put_sub(&fx, 1048, 3, 2, 1, 0, 0);
    t0 = mono_ms();
    assert_int_equal(fx_call(&fx, "poll_oneoff", "iiii", 1000, 2000, 2, 8),
                     0);
    assert_true(mono_ms() - t0 < 5000);
    assert_int_equal(fx_get32(&fx, 8), 1);
    assert_int_equal(fx_get64(&fx, 2000), 3);
    assert_int_equal(fx_get32(&fx, 2008) >> 16 & 0xff, 2);  /* FD_WRITE */
    /* the pipe becomes readable with 3 bytes */
    assert_int_equal(write(p[1], "xyz", 3), 3);
    put_sub(&fx, 1000, 4, 1, 0, 0, 0);
    put_sub(&fx, 1048, 5, 0, 1, 10000000000u, 0);
    assert_int_equal(fx_call(&fx, "poll_oneoff", "iiii", 1000, 2000, 2, 8),
                     0);
    assert_int_equal(fx_get32(&fx, 8), 1);
    assert_int_equal(fx_get64(&fx, 2000), 4);
    assert_int_equal(fx_get64(&fx, 2016), 3);           /* nbytes */
    /* a bad descriptor completes at once, with its error in the event */
    put_sub(&fx, 1000, 6, 1, 42, 0, 0);
    assert_int_equal(fx_call(&fx, "poll_oneoff", "iiii", 1000, 2000, 1, 8),
                     0);
    assert_int_equal(fx_get32(&fx, 8), 1);
    assert_int_equal(fx_get32(&fx, 2008) & 0xffff, E_BADF);
    /* an unknown clock: EINVAL in the event; no subscription: EINVAL */
    put_sub(&fx, 1000, 7, 0, 9, 1, 0);
    assert_int_equal(fx_call(&fx, "poll_oneoff", "iiii", 1000, 2000, 1, 8),
                     0);
    assert_int_equal(fx_get32(&fx, 2008) & 0xffff, E_INVAL);
    assert_int_equal(fx_call(&fx, "poll_oneoff", "iiii", 1000, 2000, 0, 8),
                     E_INVAL);
    /* the writer hangs up: a read event with the hangup flag */
    close(p[1]);
    char buf[8];
    assert_int_equal(read(p[0], buf, 3), 3);
    put_sub(&fx, 1000, 8, 1, 0, 0, 0);
    assert_int_equal(fx_call(&fx, "poll_oneoff", "iiii", 1000, 2000, 1, 8),
                     0);
    assert_int_equal(fx_get32(&fx, 8), 1);
    assert_int_equal(fx_get32(&fx, 2024) & 0xffff, 1);  /* HANGUP */
    fx_free(&fx);
    close(p[0]);
}

static void
sockets(void **state)
{
    Fx         fx;
    moat_error err = { 0 };
    int        sv[2];
    char       buf[16] = { 0 };

    (void)state;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    fx_new(&fx);
    assert_int_equal(moat_wasi_set_stdio(fx.w, 0, sv[0], &err), MOAT_OK);
    fx_start(&fx);
    assert_int_equal(fx_call(&fx, "fd_fdstat_get", "ii", 0, 200), 0);
    assert_int_equal(fx_get32(&fx, 200) & 0xff, 6);     /* socket stream */
    fx_write(&fx, 1100, "ping", 4);
    fx_iovec(&fx, 16, 1100, 4);
    assert_int_equal(fx_call(&fx, "sock_send", "iiiii", 0, 16, 1, 0, 8), 0);
    assert_int_equal(fx_get32(&fx, 8), 4);
    assert_int_equal(read(sv[1], buf, sizeof buf), 4);
    assert_memory_equal(buf, "ping", 4);
    assert_int_equal(write(sv[1], "pong!", 5), 5);
    fx_iovec(&fx, 16, 1200, 16);
    assert_int_equal(fx_call(&fx, "sock_recv", "iiiiii", 0, 16, 1, 1, 8, 12),
                     0);                                /* PEEK */
    assert_int_equal(fx_get32(&fx, 8), 5);
    assert_int_equal(fx_call(&fx, "sock_recv", "iiiiii", 0, 16, 1, 0, 8, 12),
                     0);
    assert_int_equal(fx_get32(&fx, 8), 5);
    fx_read(&fx, 1200, buf, 5);
    assert_memory_equal(buf, "pong!", 5);
    assert_int_equal(fx_call(&fx, "sock_recv", "iiiiii", 0, 16, 1, 4, 8, 12),
                     E_INVAL);
    assert_int_equal(fx_call(&fx, "sock_shutdown", "ii", 0, 0), E_INVAL);
    assert_int_equal(fx_call(&fx, "sock_shutdown", "ii", 0, 2), 0);
    assert_int_equal(read(sv[1], buf, sizeof buf), 0);  /* EOF */
    /* a write after the peer left: EPIPE, and no SIGPIPE kills us */
    close(sv[1]);
    assert_int_equal(fx_call(&fx, "fd_write", "iiii", 0, 16, 1, 8), 64);
    /* not a socket */
    assert_int_equal(fx_call(&fx, "sock_shutdown", "ii", 1, 3), E_NOTSOCK);
    assert_int_equal(fx_call(&fx, "sock_send", "iiiii", 2, 16, 1, 0, 8),
                     E_NOTSOCK);
    assert_int_equal(fx_call(&fx, "sock_accept", "iii", 1, 0, 8), E_NOTSOCK);
    fx_free(&fx);
    close(sv[0]);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bad_descriptors_are_ebadf),
        cmocka_unit_test(seek_tell_pread_pwrite),
        cmocka_unit_test(rights_are_checked_and_only_dropped),
        cmocka_unit_test(fdstat_flags_and_filestat),
        cmocka_unit_test(preopen_names_and_renumber),
        cmocka_unit_test(directories_refuse_file_operations),
        cmocka_unit_test(readdir_cookies_resume),
        cmocka_unit_test(poll_oneoff_clocks_and_fds),
        cmocka_unit_test(sockets),
    };
    return cmocka_run_group_tests(tests, fx_group_setup, fx_group_teardown);
}
