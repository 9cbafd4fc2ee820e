/* test_path_resolve.c - the sandboxed path resolver (wasi/path_resolve.c)
 * on a real temporary tree, natively: which directory and name each path
 * resolves to, and the WASI errno of every path that must not resolve
 * (escapes, loops, limits). The tree, below a fresh mkdtemp() directory T:
 *     T/secret                     outside the start directory
 *     T/box/                       the start directory
 *     T/box/file, T/box/d/e/f
 *     T/box/l_file -> file         T/box/l_d -> d
 *     T/box/l_abs -> T/secret      T/box/l_up -> ..
 *     T/box/l_loop -> l_loop       T/box/l_a -> l_b -> l_a
 *     T/box/l_c1 -> l_c2 -> d/e    T/box/d/l_back -> ../d/e
 *     T/box/d/l_esc -> ../../secret
 *     T/box/n0 -> n1 -> ... -> n40 -> file   (41 links)
 *     T/box/deep/a/a/.../a         (MOATW_DEPTH_MAX + 1 levels)
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../wasi/path_resolve.h"
#include "../../wasi/wasi_impl.h"

static char root[PATH_MAX];         /* T */
static int  box_fd = -1;            /* T/box, O_RDONLY|O_DIRECTORY */

static void
mkpath(const char *rel, char *out, size_t n)
{
    if (snprintf(out, n, "%s/%s", root, rel) >= (int)n)
        fail_msg("path too long: %s/%s", root, rel);
}

static void
mk_dir(const char *rel)
{
    char p[PATH_MAX];
    mkpath(rel, p, sizeof p);
    assert_int_equal(mkdir(p, 0755), 0);
}

static void
mk_file(const char *rel)
{
    char p[PATH_MAX];
    mkpath(rel, p, sizeof p);
    int fd = open(p, O_CREAT | O_WRONLY | O_EXCL, 0644);
    assert_true(fd >= 0);
    close(fd);
}

static void
mk_link(const char *target, const char *rel)
{
    char p[PATH_MAX];
    mkpath(rel, p, sizeof p);
    assert_int_equal(symlink(target, p), 0);
}

static int
setup(void **state)
{
    (void)state;
    char p[PATH_MAX];

    snprintf(root, sizeof root, "%s/moat-resolve-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(root))
        return -1;
    mk_file("secret");
    mk_dir("box");
    mk_file("box/file");
    mk_dir("box/d");
    mk_dir("box/d/e");
    mk_file("box/d/e/f");
    mk_link("file", "box/l_file");
    mk_link("d", "box/l_d");
    mkpath("secret", p, sizeof p);
    mk_link(p, "box/l_abs");
    mk_link("..", "box/l_up");
    mk_link("l_loop", "box/l_loop");
    mk_link("l_b", "box/l_a");
    mk_link("l_a", "box/l_b");
    mk_link("l_c2", "box/l_c1");
    mk_link("d/e", "box/l_c2");
    mk_link("../d/e", "box/d/l_back");
    mk_link("../../secret", "box/d/l_esc");
    for (int i = 0; i <= MOATW_SYMLINK_MAX; i++) {
        char name[32], target[32];
        snprintf(name, sizeof name, "box/n%d", i);
        if (i == MOATW_SYMLINK_MAX)
            snprintf(target, sizeof target, "file");
        else
            snprintf(target, sizeof target, "n%d", i + 1);
        mk_link(target, name);
    }
    mkpath("box/deep", p, sizeof p);
    assert_int_equal(mkdir(p, 0755), 0);
    for (int i = 0; i <= MOATW_DEPTH_MAX; i++) {
        strcat(p, "/a");
        assert_int_equal(mkdir(p, 0755), 0);
    }
    mkpath("box", p, sizeof p);
    box_fd = open(p, O_RDONLY | O_DIRECTORY);
    return box_fd >= 0 ? 0 : -1;
}

static int
teardown(void **state)
{
    (void)state;
    char cmd[PATH_MAX + 16];

    close(box_fd);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    return system(cmd) == 0 ? 0 : -1;
}

/* Resolves path in box (NUL-terminated, len from strlen). */
static uint16_t
resolve(const char *path, bool follow, WasiPath *out)
{
    return moatW_path_resolve(box_fd, path, strlen(path), follow, out);
}

/* path resolves to (T/dir_rel, name); dir_rel "box" is the start itself. */
static void
expect_at(const char *path, bool follow, const char *dir_rel,
          const char *name, bool is_dir_only)
{
    WasiPath    p;
    struct stat got, want;
    char        dir[PATH_MAX];

    uint16_t e = resolve(path, follow, &p);
    if (e != WASI_ESUCCESS)
        fail_msg("%s: errno %u, expected success", path, e);
    assert_string_equal(p.name, name);
    assert_int_equal(p.is_dir_only, is_dir_only);
    assert_int_equal(p.owns_dirfd, strcmp(dir_rel, "box") != 0);
    assert_int_equal(fstat(p.dirfd, &got), 0);
    mkpath(dir_rel, dir, sizeof dir);
    assert_int_equal(stat(dir, &want), 0);
    assert_true(got.st_dev == want.st_dev && got.st_ino == want.st_ino);
    moatW_path_done(&p);
    assert_int_equal(p.dirfd, -1);
}

static void
expect_err(const char *path, bool follow, uint16_t want)
{
    WasiPath p;
    uint16_t e = resolve(path, follow, &p);

    if (e != want)
        fail_msg("%s: errno %u, expected %u", path, e, want);
    moatW_path_done(&p);                /* a failed one: no-op */
}

static void
plain_paths(void **state)
{
    (void)state;
    expect_at("file", false, "box", "file", false);
    expect_at("d/e/f", false, "box/d/e", "f", false);
    expect_at("d/./e/../e//f", false, "box/d/e", "f", false);
    expect_at("./d//e///f", true, "box/d/e", "f", false);
    expect_at("missing", false, "box", "missing", false);
    expect_at("d/missing", false, "box/d", "missing", false);
}

static void
dots_and_trailing_slashes(void **state)
{
    (void)state;
    expect_at(".", false, "box", ".", true);
    expect_at("./", false, "box", ".", true);
    expect_at("d/..", false, "box", ".", true);
    expect_at("d/e/../../d/e/../../file", false, "box", "file", false);
    expect_at("d/.", false, "box/d", ".", true);
    expect_at("d/e/", false, "box/d", "e", true);
    expect_at("d/e///", false, "box/d", "e", true);
    expect_at("file/", false, "box", "file", true);   /* op says ENOTDIR */
}

static void
escapes_are_not_capable(void **state)
{
    (void)state;
    expect_err("..", false, WASI_ENOTCAPABLE);
    expect_err("../secret", false, WASI_ENOTCAPABLE);
    expect_err("d/../..", false, WASI_ENOTCAPABLE);
    expect_err("d/e/../../../secret", false, WASI_ENOTCAPABLE);
    expect_err("./../box/file", false, WASI_ENOTCAPABLE);
    expect_err("/", false, WASI_ENOTCAPABLE);
    expect_err("/etc/passwd", false, WASI_ENOTCAPABLE);
    expect_err("//file", false, WASI_ENOTCAPABLE);
}

static void
links_are_walked_inside(void **state)
{
    (void)state;
    expect_at("l_file", false, "box", "l_file", false);  /* not followed */
    expect_at("l_file", true, "box", "file", false);
    expect_at("l_d/e/f", false, "box/d/e", "f", false);
    expect_at("l_d/", false, "box", "d", true);        /* '/' follows */
    expect_at("l_c1/f", false, "box/d/e", "f", false);
    expect_at("l_c1", true, "box/d", "e", false);
    expect_at("d/l_back/f", false, "box/d/e", "f", false);
    expect_at("l_abs", false, "box", "l_abs", false);  /* readlink works */
    expect_at("l_up", false, "box", "l_up", false);
}

static void
links_never_lead_out(void **state)
{
    (void)state;
    expect_err("l_abs", true, WASI_ENOTCAPABLE);
    expect_err("l_abs/", false, WASI_ENOTCAPABLE);
    expect_err("l_abs/x", false, WASI_ENOTCAPABLE);
    expect_err("l_up", true, WASI_ENOTCAPABLE);
    expect_err("l_up/", false, WASI_ENOTCAPABLE);
    expect_err("l_up/secret", false, WASI_ENOTCAPABLE);
    expect_err("l_up/box/file", false, WASI_ENOTCAPABLE);
    expect_err("d/l_esc", true, WASI_ENOTCAPABLE);
    expect_err("l_d/l_esc", true, WASI_ENOTCAPABLE);
}

static void
loops_and_link_limit(void **state)
{
    (void)state;
    expect_err("l_loop", true, WASI_ELOOP);
    expect_err("l_loop/x", false, WASI_ELOOP);
    expect_err("l_a", true, WASI_ELOOP);
    expect_err("l_a/", false, WASI_ELOOP);
    expect_at("l_loop", false, "box", "l_loop", false);
    expect_at("n1", true, "box", "file", false);       /* 40 links: ok */
    expect_err("n0", true, WASI_ELOOP);                 /* 41 */
}

static void
bad_components(void **state)
{
    (void)state;
    WasiPath p;
    char     name[NAME_MAX + 2];

    expect_err("", false, WASI_ENOENT);
    expect_err("file/x", false, WASI_ENOTDIR);
    expect_err("missing/x", false, WASI_ENOENT);
    assert_int_equal(moatW_path_resolve(box_fd, "file\0../x", 9, false, &p),
                     WASI_EINVAL);
    assert_int_equal(moatW_path_resolve(box_fd, "\0", 1, false, &p),
                     WASI_EINVAL);
    memset(name, 'x', NAME_MAX + 1);
    name[NAME_MAX + 1] = '\0';
    expect_err(name, false, WASI_ENAMETOOLONG);
    name[NAME_MAX] = '\0';
    expect_at(name, false, "box", name, false);
}

static void
length_and_depth_limits(void **state)
{
    (void)state;
    static char path[2 * MOATW_PATH_MAX], dir[2 * MOATW_PATH_MAX];
    size_t      n = 0;

    while (n < MOATW_PATH_MAX - 4) {                   /* "./" * 2046 */
        path[n++] = '.';
        path[n++] = '/';
    }
    strcpy(path + n, "file");                          /* 4096 bytes */
    expect_err(path, false, WASI_ENAMETOOLONG);
    strcpy(path + n - 2, "file");                      /* 4094 bytes */
    expect_at(path, false, "box", "file", false);

    strcpy(path, "deep");           /* 1 + 512 components: enters 512 */
    strcpy(dir, "box/deep");
    for (int i = 0; i < MOATW_DEPTH_MAX; i++) {
        strcat(path, "/a");
        if (i > 0)
            strcat(dir, "/a");
    }
    expect_at(path, false, dir, "a", false);
    strcat(path, "/a");                                /* enters 513 */
    expect_err(path, false, WASI_ENAMETOOLONG);
}

/* Two long links within each other overflow what may remain to walk. */
static void
spliced_text_is_bounded(void **state)
{
    (void)state;
    static char t1[MOATW_PATH_MAX], t2[MOATW_PATH_MAX], path[MOATW_PATH_MAX];

    strcpy(t2, ".");
    while (strlen(t2) < MOATW_PATH_MAX - 16)
        strcat(t2, "/.");
    strcpy(t1, "big2");
    strcat(t1, t2 + 1);                 /* "big2/./././..." */
    strcat(t2, "/file");
    mk_link(t1, "box/big1");
    mk_link(t2, "box/big2");
    expect_at("big2", true, "box", "file", false);
    strcpy(path, "big1");
    strcat(path, t2 + 1);               /* big1/./.../file */
    expect_err(path, false, WASI_ENAMETOOLONG);
}

/* A directory descriptor below the preopen is a root of its own. */
static void
start_below_the_preopen(void **state)
{
    (void)state;
    WasiPath p;
    int      d = openat(box_fd, "d", O_RDONLY | O_DIRECTORY);

    assert_true(d >= 0);
    assert_int_equal(moatW_path_resolve(d, "..", 2, false, &p),
                     WASI_ENOTCAPABLE);
    assert_int_equal(moatW_path_resolve(d, "../file", 7, false, &p),
                     WASI_ENOTCAPABLE);
    assert_int_equal(moatW_path_resolve(d, "l_back", 6, true, &p),
                     WASI_ENOTCAPABLE);         /* ../d/e: up from d */
    assert_int_equal(moatW_path_resolve(d, "e/..", 4, false, &p),
                     WASI_ESUCCESS);
    assert_string_equal(p.name, ".");
    moatW_path_done(&p);
    assert_int_equal(moatW_path_resolve(d, "e/../..", 7, false, &p),
                     WASI_ENOTCAPABLE);
    close(d);
}

/* The texts a guest may give a symbolic link it makes (or moves) at a
 * depth below the start (moatW_link_text_check), and the resolver's depth
 * of the directory that would hold it. */
static void
link_texts_by_depth(void **state)
{
    static const struct {
        const char *t;
        uint32_t    depth;
        uint16_t    want;
    } cases[] = {
        { "x", 0, 0 },                  { "./x", 0, 0 },
        { "a/b/c", 0, 0 },              { "a//b/./c/", 0, 0 },
        { ".", 0, 0 },                  { "...", 0, 0 },
        { "..x", 0, 0 },                { "x..", 0, 0 },
        { "..", 0, WASI_ENOTCAPABLE },  { "../", 0, WASI_ENOTCAPABLE },
        { "../x", 0, WASI_ENOTCAPABLE }, { "./../x", 0, WASI_ENOTCAPABLE },
        { ".//..//x", 0, WASI_ENOTCAPABLE },
        { "a/../../x", 0, WASI_ENOTCAPABLE },
        { "a/../x", 0, WASI_ENOTCAPABLE },  /* ".." after a name */
        { "x/..", 0, WASI_ENOTCAPABLE },
        { "../x", 1, 0 },               { "..", 1, 0 },
        { "../", 1, 0 },                { "./../x", 1, 0 },
        { "../a/b", 1, 0 },             { "../x", 7, 0 },
        { "../..", 1, WASI_ENOTCAPABLE },
        { "../../x", 2, WASI_ENOTCAPABLE },  /* its directory may move up */
        { ".././../x", 5, WASI_ENOTCAPABLE },
        { "../a/../x", 3, WASI_ENOTCAPABLE },
        { "a/../x", 3, WASI_ENOTCAPABLE },
        { "/", 0, WASI_ENOTCAPABLE },   { "/etc/passwd", 9, WASI_ENOTCAPABLE },
        { "", 3, WASI_ENOENT },
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        uint16_t e = moatW_link_text_check(cases[i].t, strlen(cases[i].t),
                                           cases[i].depth);
        if (e != cases[i].want)
            fail_msg("\"%s\" at depth %u: errno %u, expected %u",
                     cases[i].t, cases[i].depth, e, cases[i].want);
    }
    /* the text's length is what counts, not a NUL */
    assert_int_equal(moatW_link_text_check("x/../y", 1, 0), 0);
    assert_int_equal(moatW_link_text_check("../x", 2, 0), WASI_ENOTCAPABLE);
    /* the depth a resolution reports: that of the directory holding the
     * last name */
    WasiPath p;
    assert_int_equal(resolve("file", false, &p), 0);
    assert_int_equal(p.depth, 0);
    moatW_path_done(&p);
    assert_int_equal(resolve("d/e/f", false, &p), 0);
    assert_int_equal(p.depth, 2);
    moatW_path_done(&p);
    assert_int_equal(resolve("d/e/../x", false, &p), 0);
    assert_int_equal(p.depth, 1);
    moatW_path_done(&p);
    assert_int_equal(resolve("l_c1/f", true, &p), 0);   /* via d/e */
    assert_int_equal(p.depth, 2);
    moatW_path_done(&p);
    assert_int_equal(resolve("d/e/", false, &p), 0);    /* e itself */
    assert_int_equal(p.depth, 1);
    moatW_path_done(&p);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plain_paths),
        cmocka_unit_test(dots_and_trailing_slashes),
        cmocka_unit_test(escapes_are_not_capable),
        cmocka_unit_test(links_are_walked_inside),
        cmocka_unit_test(links_never_lead_out),
        cmocka_unit_test(loops_and_link_limit),
        cmocka_unit_test(bad_components),
        cmocka_unit_test(length_and_depth_limits),
        cmocka_unit_test(spliced_text_is_bounded),
        cmocka_unit_test(start_below_the_preopen),
        cmocka_unit_test(link_texts_by_depth),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
