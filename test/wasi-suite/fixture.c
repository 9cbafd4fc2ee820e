/* fixture.c - gives each test a private copy of its `root` fixture
 * directory (the shared testsuite is read-only and tests write into their
 * root), and removes the copy afterwards. Regular files, directories and
 * symbolic links are copied; anything else (a FIFO, a socket) is refused.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "suite.h"

static bool
sys_fail(char *why, size_t nwhy, const char *what, const char *path)
{
    snprintf(why, nwhy, "%s %s: %s", what, path, strerror(errno));
    return false;
}

static bool
join(char *out, const char *dir, const char *name, char *why, size_t nwhy)
{
    int n = snprintf(out, PATH_MAX, "%s/%s", dir, name);
    if (n < 0 || n >= PATH_MAX) {
        snprintf(why, nwhy, "path too long: %s/%s", dir, name);
        return false;
    }
    return true;
}

static bool
copy_file(const char *src, const char *dst, mode_t mode, char *why,
          size_t nwhy)
{
    int  in = open(src, O_RDONLY | O_CLOEXEC);
    int  out = -1;
    bool ok = false;

    if (in < 0)
        return sys_fail(why, nwhy, "open", src);
    out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
               (mode & 0777) | 0600);
    if (out < 0) {
        sys_fail(why, nwhy, "create", dst);
        goto done;
    }
    for (;;) {
        char    buf[65536];
        ssize_t n = read(in, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            sys_fail(why, nwhy, "read", src);
            goto done;
        }
        if (n == 0)
            break;
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0) {
                sys_fail(why, nwhy, "write", dst);
                goto done;
            }
            off += w;
        }
    }
    ok = true;
done:
    if (out >= 0 && close(out) != 0 && ok)
        ok = sys_fail(why, nwhy, "close", dst);
    close(in);
    return ok;
}

static bool
copy_link(const char *src, const char *dst, char *why, size_t nwhy)
{
    char    target[PATH_MAX];
    ssize_t n = readlink(src, target, sizeof target - 1);

    if (n < 0)
        return sys_fail(why, nwhy, "readlink", src);
    target[n] = '\0';
    return symlink(target, dst) == 0 || sys_fail(why, nwhy, "symlink", dst);
}

bool
moatT_tree_copy(const char *src, const char *dst, char *why, size_t nwhy)
{
    struct stat st;

    if (lstat(src, &st) != 0)
        return sys_fail(why, nwhy, "stat", src);
    if (S_ISREG(st.st_mode))
        return copy_file(src, dst, st.st_mode, why, nwhy);
    if (S_ISLNK(st.st_mode))
        return copy_link(src, dst, why, nwhy);
    if (!S_ISDIR(st.st_mode)) {
        snprintf(why, nwhy, "%s: not a file, directory or link", src);
        return false;
    }
    if (mkdir(dst, 0755) != 0)
        return sys_fail(why, nwhy, "mkdir", dst);
    DIR *d = opendir(src);
    if (!d)
        return sys_fail(why, nwhy, "opendir", src);
    bool           ok = true;
    struct dirent *e;
    while (ok && (e = readdir(d)) != NULL) {
        char s[PATH_MAX], t[PATH_MAX];
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        ok = join(s, src, e->d_name, why, nwhy) &&
             join(t, dst, e->d_name, why, nwhy) &&
             moatT_tree_copy(s, t, why, nwhy);
    }
    closedir(d);
    return ok;
}

bool
moatT_tree_remove(const char *path, char *why, size_t nwhy)
{
    struct stat st;

    if (lstat(path, &st) != 0)
        return errno == ENOENT || sys_fail(why, nwhy, "stat", path);
    if (!S_ISDIR(st.st_mode))
        return unlink(path) == 0 || sys_fail(why, nwhy, "unlink", path);
    /* a test may leave a directory without write or search permission */
    chmod(path, 0700);
    DIR *d = opendir(path);
    if (!d)
        return sys_fail(why, nwhy, "opendir", path);
    bool           ok = true;
    struct dirent *e;
    while (ok && (e = readdir(d)) != NULL) {
        char p[PATH_MAX];
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        ok = join(p, path, e->d_name, why, nwhy) &&
             moatT_tree_remove(p, why, nwhy);
    }
    closedir(d);
    return ok && (rmdir(path) == 0 || sys_fail(why, nwhy, "rmdir", path));
}
