/* fileio.c - file I/O under one directory (argv[1]; under Moat a
 * preopened one): create, write, read back, append, seek, pread/pwrite,
 * truncate, rename, unlink, mkdir/rmdir, a 1 MiB file, and the errors of
 * the usual mistakes. Prints a transcript that must be the same natively
 * and under WASI; leaves DIR/result.txt ("done\n") for the driver to see.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest.h"

static const char *dir;
static int         nfail;

static const char *
at(const char *name)
{
    static char buf[4][512];
    static int  next;
    char       *b = buf[next++ % 4];

    snprintf(b, sizeof buf[0], "%s/%s", dir, name);
    return b;
}

static void
check(int ok, const char *what)
{
    printf("%s %s\n", ok ? "ok" : "FAIL", what);
    if (!ok)
        nfail++;
}

/* An operation expected to fail: prints the errno name it failed with. */
static void
expect_error(int rc, const char *what)
{
    printf("%s -> %s\n", what, rc == -1 ? errno_name(errno) : "succeeded");
}

static long
file_size(const char *name)
{
    struct stat st;
    return stat(at(name), &st) == 0 ? (long)st.st_size : -1;
}

static void
write_read_append(void)
{
    char  line[128];
    FILE *f = fopen(at("sub/a.txt"), "w");

    check(f != NULL, "fopen w sub/a.txt");
    if (!f)
        return;
    for (int i = 1; i <= 3; i++)
        fprintf(f, "line %d of the file\n", i);
    check(fclose(f) == 0, "fclose after write");
    f = fopen(at("sub/a.txt"), "r");
    check(f != NULL, "fopen r");
    while (f && fgets(line, sizeof line, f))
        printf("read: %s", line);
    if (f)
        fclose(f);
    f = fopen(at("sub/a.txt"), "a");
    check(f != NULL && fputs("appended\n", f) >= 0 && fclose(f) == 0,
          "append");
    printf("size after append: %ld\n", file_size("sub/a.txt"));
}

static void
seek_and_positional(void)
{
    char buf[32] = { 0 };
    int  fd = open(at("sub/a.txt"), O_RDWR);

    check(fd >= 0, "open O_RDWR");
    printf("lseek SET 5 -> %ld\n", (long)lseek(fd, 5, SEEK_SET));
    check(write(fd, "XY", 2) == 2, "write at 5");
    printf("lseek CUR 0 -> %ld\n", (long)lseek(fd, 0, SEEK_CUR));
    printf("lseek END 0 -> %ld\n", (long)lseek(fd, 0, SEEK_END));
    printf("lseek END -9 -> %ld\n", (long)lseek(fd, -9, SEEK_END));
    check(read(fd, buf, 8) == 8, "read 8 at END-9");
    printf("read: [%s]\n", buf);
    memset(buf, 0, sizeof buf);
    check(pread(fd, buf, 12, 0) == 12, "pread 12 at 0");
    printf("pread: [%s]\n", buf);
    check(pwrite(fd, "PW", 2, 1) == 2, "pwrite at 1");
    printf("position after pread/pwrite: %ld\n", (long)lseek(fd, 0, SEEK_CUR));
    check(ftruncate(fd, 10) == 0, "ftruncate 10");
    struct stat st;
    check(fstat(fd, &st) == 0 && st.st_size == 10 && S_ISREG(st.st_mode),
          "fstat: regular, 10 bytes");
    memset(buf, 0, sizeof buf);
    check(pread(fd, buf, sizeof buf - 1, 0) == 10, "pread whole");
    printf("content: [%s]\n", buf);
    expect_error((int)lseek(fd, -1, SEEK_SET), "lseek to -1");
    close(fd);
}

/* 1 MiB in uneven chunks, read back in other chunks, checksummed. */
static void
big_file(void)
{
    enum { SIZE = 1 << 20 };
    unsigned char *buf = malloc(SIZE);
    uint32_t       sum = 0, back = 0;
    int            fd = open(at("big.bin"), O_CREAT | O_WRONLY | O_TRUNC,
                             0644);

    check(buf && fd >= 0, "create big.bin");
    if (!buf || fd < 0)
        return;
    for (uint32_t i = 0; i < SIZE; i++) {
        buf[i] = (unsigned char)(i * 2654435761u >> 24);
        sum = sum * 31 + buf[i];
    }
    for (size_t off = 0; off < SIZE;) {
        size_t n = SIZE - off < 7777 ? SIZE - off : 7777;
        ssize_t w = write(fd, buf + off, n);
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    close(fd);
    printf("big.bin size: %ld\n", file_size("big.bin"));
    memset(buf, 0, SIZE);
    fd = open(at("big.bin"), O_RDONLY);
    size_t got = 0;
    for (ssize_t n; fd >= 0 && (n = read(fd, buf + got, 65536 + 3)) > 0;)
        got += (size_t)n;
    if (fd >= 0)
        close(fd);
    for (size_t i = 0; i < got; i++)
        back = back * 31 + buf[i];
    check(got == SIZE && back == sum, "big.bin reads back the same bytes");
    check(unlink(at("big.bin")) == 0, "unlink big.bin");
    free(buf);
}

static void
rename_unlink_errors(void)
{
    check(rename(at("sub/a.txt"), at("sub/b.txt")) == 0, "rename a -> b");
    expect_error(access(at("sub/a.txt"), F_OK), "access a after rename");
    check(access(at("sub/b.txt"), F_OK) == 0, "access b after rename");
    expect_error(open(at("missing/x"), O_RDONLY), "open missing/x");
    expect_error(mkdir(at("sub"), 0755), "mkdir existing sub");
    expect_error(rmdir(at("sub")), "rmdir non-empty sub");
    expect_error(open(at("sub/b.txt/x"), O_RDONLY), "open through a file");
    expect_error(open(at("sub/b.txt"), O_CREAT | O_EXCL | O_WRONLY, 0644),
                 "O_EXCL on existing");
    expect_error(rmdir(at("sub/b.txt")), "rmdir a file");
    check(unlink(at("sub/b.txt")) == 0, "unlink b");
    expect_error(unlink(at("sub/b.txt")), "unlink b again");
    check(rmdir(at("sub")) == 0, "rmdir empty sub");
    expect_error(access(at("sub"), F_OK), "access sub after rmdir");
}

int
main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: fileio DIR\n");
        return 2;
    }
    dir = argv[1];
    check(mkdir(at("sub"), 0755) == 0, "mkdir sub");
    write_read_append();
    seek_and_positional();
    big_file();
    rename_unlink_errors();
    FILE *f = fopen(at("result.txt"), "w");
    check(f && fputs("done\n", f) >= 0 && fclose(f) == 0, "result.txt");
    printf("%d failed\n", nfail);
    return nfail != 0;
}
