/* escape_guest.c - the escape battery's guest, built for wasm32-wasi. It
 * calls the wasi_snapshot_preview1 path functions directly (its own
 * imports, so wasi-libc's path handling cannot hide anything and paths may
 * hold NUL bytes) and tries every way out of the preopened directory (fd 3)
 * we know. run_escape.c lays out, below a temporary directory T:
 *     T/secret ("TOPSECRET\n")  T/outside/ (empty)   <- outside
 *     T/box/ = fd 3             T/box/inside.txt ("hello\n")  T/box/sub/
 *     T/box/planted_abs -> T/secret (absolute)   T/box/planted_rel -> ../secret
 *     T/box/planted_dir -> ../outside            T/box/planted_root -> /
 *     T/box/planted_etc -> /etc                  T/box/sub/planted_up -> ../../secret
 *     T/box/g_up -> ..   T/box/g_upup -> ../..   T/box/sub/g_esc -> ../../secret
 *     T/box/c3 -> ../secret   T/box/c5 -> sub/../../secret
 *     T/box/g_long -> ./ (2000 times) ../secret
 * (the last six have texts the guest may not write itself any more)
 * One line per attempt: "ok NAME" (blocked with the expected errno, or a
 * control that must work did), "ESCAPED NAME" (an attempt to get out
 * succeeded), "WRONG NAME got E want W" (blocked, but not as expected);
 * last "done N" with N the number of attempts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape_guest.h"

static int nattempts;

/* got: what the call returned; want: the errno that blocks it (ok), or 0
 * for a control that must succeed. want2: another accepted errno or ANY. */
void
expect(const char *name, int got, int want, int want2)
{
    nattempts++;
    if (got == want || (want2 != ANY && got == want2))
        printf("ok %s\n", name);
    else if (got == 0)
        printf("ESCAPED %s\n", name);
    else
        printf("WRONG %s got %d want %d\n", name, got, want);
}

/* A control: the call must work (a failure here is no escape, but a
 * resolver that refuses everything must not pass the battery). */
void
control(const char *name, int got)
{
    nattempts++;
    if (got == 0)
        printf("ok %s\n", name);
    else
        printf("WRONG %s got %d want 0\n", name, got);
}

int
open_at(int dir, int lookup, const char *path, int oflags, uint64_t base,
        uint64_t inh, int *fd)
{
    *fd = -1;
    return raw_open(dir, lookup, path, (uint32_t)strlen(path), oflags, base,
                    inh, 0, fd);
}

/* Opens, and closes again what should never have opened. */
int
try_open(int dir, int lookup, const char *path, int oflags, uint64_t base)
{
    int fd, e = open_at(dir, lookup, path, oflags, base, 0, &fd);
    if (e == 0)
        raw_close(fd);
    return e;
}

int
symlink_at(const char *target, int dir, const char *path)
{
    return raw_symlink(target, (uint32_t)strlen(target), dir, path,
                       (uint32_t)strlen(path));
}

int
link_at(int dir, int lookup, const char *from, int to_dir, const char *to)
{
    return raw_link(dir, lookup, from, (uint32_t)strlen(from), to_dir, to,
                    (uint32_t)strlen(to));
}

int
rename_at(int dir, const char *from, int to_dir, const char *to)
{
    return raw_rename(dir, from, (uint32_t)strlen(from), to_dir, to,
                      (uint32_t)strlen(to));
}

int
unlink_at(int dir, const char *p)
{
    return raw_unlink(dir, p, (uint32_t)strlen(p));
}

int
rmdir_at(int dir, const char *p)
{
    return raw_rmdir(dir, p, (uint32_t)strlen(p));
}

int
mkdir_at(int dir, const char *p)
{
    return raw_mkdir(dir, p, (uint32_t)strlen(p));
}

int
stat_at(int dir, int lookup, const char *p, uint8_t st[64])
{
    return raw_stat(dir, lookup, p, (uint32_t)strlen(p), st);
}

int
times_at(int dir, int lookup, const char *p)
{
    return raw_times(dir, lookup, p, (uint32_t)strlen(p), 0, 0,
                     __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM);
}

int
readlink_at(int dir, const char *p, char *buf, uint32_t n, uint32_t *used)
{
    return raw_readlink(dir, p, (uint32_t)strlen(p), buf, n, used);
}

/* Reads what path holds into buf (NUL-terminated); 0 or the errno. */
int
read_file(int dir, int lookup, const char *path, char *buf, uint32_t n)
{
    int fd, e = open_at(dir, lookup, path, 0, R_READ, 0, &fd);
    if (e != 0)
        return e;
    struct { char *p; uint32_t len; } iov = { buf, n - 1 };
    uint32_t got = 0;
    e = raw_read(fd, &iov, 1, &got);
    raw_close(fd);
    buf[e == 0 ? got : 0] = '\0';
    return e;
}

int
main(void)
{
    uint8_t st[64];
    int     e = stat_at(BOX, 0, ".", st);

    if (e != 0 || st[16] != __WASI_FILETYPE_DIRECTORY) {
        printf("WRONG setup: fd 3 is no directory (%d)\n", e);
        return 1;
    }
    dotdot_escapes();
    absolute_paths();
    guest_made_links();
    link_texts();
    planted_links();
    hard_links();
    renames();
    dir_fd_roots();
    trailing_slashes();
    nul_bytes();
    long_paths();
    rights();
    printf("done %d\n", nattempts);
    return 0;
}
