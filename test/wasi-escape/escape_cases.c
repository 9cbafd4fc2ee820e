/* escape_cases.c - the attempts of the escape battery, one function per
 * family (the layout they run in is in escape_guest.c). Every way out must
 * fail with the errno named here: ENOTCAPABLE (NC) for anything that would
 * leave the directory, the POSIX errno where the path stays inside. The
 * controls check that what is inside still works, so a resolver that
 * refused everything would not pass. run_escape.c checks afterwards that
 * nothing outside was read, changed or created.
 */
#include <stdio.h>
#include <string.h>

#include "escape_guest.h"

#define E(x) __WASI_ERRNO_##x

void
dotdot_escapes(void)
{
    uint8_t st[64];
    char    buf[64];
    uint32_t used;

    control("read-inside", read_file(BOX, 0, "inside.txt", buf, sizeof buf));
    control("read-inside-via-sub-dotdot",
            read_file(BOX, 0, "sub/../inside.txt", buf, sizeof buf));
    expect("open-dotdot", try_open(BOX, 0, "..", DIR, 0), NC, ANY);
    expect("open-dotdot-secret", try_open(BOX, 0, "../secret", 0, R_READ), NC,
           ANY);
    expect("open-sub-dotdot-dotdot",
           try_open(BOX, 0, "sub/../../secret", 0, R_READ), NC, ANY);
    expect("open-dot-dotdot", try_open(BOX, 0, "./../secret", 0, R_READ), NC,
           ANY);
    expect("open-out-and-back-in",
           try_open(BOX, 0, "sub/../../box/inside.txt", 0, R_READ), NC, ANY);
    expect("open-dotdot-slash", try_open(BOX, 0, "../", 0, 0), NC, ANY);
    expect("create-in-parent", try_open(BOX, 0, "../created", CREAT, R_RW),
           NC, ANY);
    expect("mkdir-outside", mkdir_at(BOX, "../outside/newdir"), NC, ANY);
    expect("unlink-outside", unlink_at(BOX, "../secret"), NC, ANY);
    expect("rmdir-outside", rmdir_at(BOX, "../outside"), NC, ANY);
    expect("stat-outside", stat_at(BOX, 0, "../secret", st), NC, ANY);
    expect("settimes-outside", times_at(BOX, 0, "../secret"), NC, ANY);
    expect("readlink-outside",
           readlink_at(BOX, "../box/planted_abs", buf, sizeof buf, &used), NC,
           ANY);
    expect("symlink-outside", symlink_at("x", BOX, "../outside/l"), NC, ANY);
    expect("rmdir-preopen", rmdir_at(BOX, "."), E(INVAL), E(BUSY));
}

void
absolute_paths(void)
{
    uint8_t st[64];

    expect("open-abs-passwd", try_open(BOX, 0, "/etc/passwd", 0, R_READ), NC,
           ANY);
    expect("open-abs-root", try_open(BOX, 0, "/", DIR, 0), NC, ANY);
    expect("open-abs-own-name",
           try_open(BOX, 0, "/sandbox/inside.txt", 0, R_READ), NC, ANY);
    expect("open-abs-doubleslash", try_open(BOX, 0, "//etc/passwd", 0, 0), NC,
           ANY);
    expect("stat-abs", stat_at(BOX, FOLLOW, "/etc", st), NC, ANY);
    expect("mkdir-abs", mkdir_at(BOX, "/tmp/moat-escape-mkdir"), NC, ANY);
    expect("create-abs", try_open(BOX, 0, "/tmp/moat-escape-file", CREAT,
                                  R_RW), NC, ANY);
}

/* Links that lead out: the guest cannot make them (absolute, ".." above
 * the top or after a name; escape_links.c has the rule case by case), and
 * following the ones the host planted with the same texts (g_up -> ..,
 * g_upup -> ../.., sub/g_esc -> ../../secret, c3 -> ../secret,
 * c5 -> sub/../../secret, g_long) is refused. */
void
guest_made_links(void)
{
    char buf[64];
    uint8_t st[64];

    expect("symlink-make-abs-root", symlink_at("/", BOX, "g_root"), NC, ANY);
    expect("symlink-make-abs-file", symlink_at("/etc/passwd", BOX, "g_abs"),
           NC, ANY);
    expect("follow-refused-abs-link",
           try_open(BOX, FOLLOW, "g_root/etc/passwd", 0, R_READ), NC,
           E(NOENT));
    expect("symlink-make-up", symlink_at("..", BOX, "g_up2"), NC, ANY);
    expect("follow-up-link", try_open(BOX, 0, "g_up/secret", 0, R_READ), NC,
           ANY);
    expect("follow-up-link-dir", try_open(BOX, FOLLOW, "g_up", DIR, 0), NC,
           ANY);
    expect("nofollow-up-link-dir", try_open(BOX, 0, "g_up", DIR, 0), E(LOOP),
           E(NOTDIR));
    expect("follow-up-link-slash", try_open(BOX, 0, "g_up/", DIR, 0), NC,
           ANY);
    expect("stat-follow-up-link", stat_at(BOX, FOLLOW, "g_up", st), NC, ANY);
    expect("symlink-make-upup", symlink_at("../..", BOX, "g_upup2"), NC, ANY);
    expect("follow-upup-link",
           try_open(BOX, 0, "g_upup/etc/passwd", 0, R_READ), NC, ANY);
    expect("symlink-make-sub-esc",
           symlink_at("../../secret", BOX, "sub/g_esc2"), NC, ANY);
    expect("follow-sub-esc", try_open(BOX, FOLLOW, "sub/g_esc", 0, R_READ), NC,
           ANY);
    control("symlink-make-chain", symlink_at("c2", BOX, "c1") |
                                  symlink_at("c3", BOX, "c2"));
    expect("symlink-make-chain-end", symlink_at("../secret", BOX, "c3b"), NC,
           ANY);
    expect("follow-chain", try_open(BOX, FOLLOW, "c1", 0, R_READ), NC, ANY);
    expect("follow-chain-slash", try_open(BOX, 0, "c1/", 0, 0), NC, ANY);
    control("symlink-make-chain-dirs", symlink_at("../c5", BOX, "sub/c4"));
    expect("symlink-make-name-dotdot",
           symlink_at("sub/../../secret", BOX, "c5b"), NC, ANY);
    expect("follow-chain-dirs", try_open(BOX, FOLLOW, "sub/c4", 0, R_READ), NC,
           ANY);
    control("symlink-make-loops", symlink_at("g_loop", BOX, "g_loop") |
                                  symlink_at("g_lb", BOX, "g_la") |
                                  symlink_at("g_la", BOX, "g_lb"));
    expect("follow-self-loop", try_open(BOX, FOLLOW, "g_loop", 0, R_READ),
           E(LOOP), ANY);
    expect("walk-self-loop", try_open(BOX, 0, "g_loop/x", 0, R_READ), E(LOOP),
           ANY);
    expect("follow-two-loop", try_open(BOX, FOLLOW, "g_la", 0, R_READ),
           E(LOOP), ANY);
    expect("create-through-up-link",
           try_open(BOX, FOLLOW, "g_up/created2", CREAT, R_RW), NC, ANY);
    expect("create-trunc-through-chain",
           try_open(BOX, FOLLOW, "c1", CREAT | TRUNC, R_RW), NC, ANY);
    expect("mkdir-through-up-link", mkdir_at(BOX, "g_up/newdir"), NC, ANY);
    expect("symlink-through-up-link", symlink_at("x", BOX, "g_up/l"), NC,
           ANY);
    expect("settimes-follow-chain", times_at(BOX, FOLLOW, "c1"), NC, ANY);
    control("symlink-make-in", symlink_at("sub/inside2.txt", BOX, "g_in") |
                               symlink_at("../inside.txt", BOX,
                                          "sub/inside2.txt"));
    control("follow-in-link", read_file(BOX, FOLLOW, "g_in", buf, sizeof buf));
    control("follow-in-link-reads-inside", strcmp(buf, "hello\n") != 0);
}

void
planted_links(void)
{
    char     buf[256];
    uint8_t  st[64];
    uint32_t used = 0;

    expect("planted-abs-follow", try_open(BOX, FOLLOW, "planted_abs", 0,
                                          R_READ), NC, ANY);
    expect("planted-abs-nofollow", try_open(BOX, 0, "planted_abs", 0, R_READ),
           E(LOOP), ANY);
    expect("planted-abs-create-trunc",
           try_open(BOX, FOLLOW, "planted_abs", CREAT | TRUNC, R_RW), NC, ANY);
    expect("planted-abs-nofollow-trunc",
           try_open(BOX, 0, "planted_abs", CREAT | TRUNC, R_RW), E(LOOP),
           ANY);
    expect("planted-abs-stat-follow", stat_at(BOX, FOLLOW, "planted_abs", st),
           NC, ANY);
    control("planted-abs-stat-nofollow", stat_at(BOX, 0, "planted_abs", st));
    control("planted-abs-is-link", st[16] != __WASI_FILETYPE_SYMBOLIC_LINK);
    control("planted-abs-settimes-nofollow", times_at(BOX, 0, "planted_abs"));
    expect("planted-abs-settimes-follow", times_at(BOX, FOLLOW,
                                                   "planted_abs"), NC, ANY);
    control("planted-abs-readlink",
            readlink_at(BOX, "planted_abs", buf, sizeof buf - 1, &used));
    control("planted-abs-readlink-text", used == 0 || buf[0] != '/');
    expect("planted-rel-follow", try_open(BOX, FOLLOW, "planted_rel", 0,
                                          R_READ), NC, ANY);
    expect("planted-rel-slash", try_open(BOX, 0, "planted_rel/", 0, 0), NC,
           ANY);
    expect("planted-dir-walk", try_open(BOX, 0, "planted_dir/x", CREAT, R_RW),
           NC, ANY);
    expect("planted-dir-follow", try_open(BOX, FOLLOW, "planted_dir", DIR, 0),
           NC, ANY);
    expect("planted-dir-mkdir", mkdir_at(BOX, "planted_dir/new"), NC, ANY);
    expect("planted-dir-stat-slash", stat_at(BOX, 0, "planted_dir/", st), NC,
           ANY);
    expect("planted-dir-unlink-slash", unlink_at(BOX, "planted_dir/"), NC,
           ANY);
    expect("planted-dir-rmdir-slash", rmdir_at(BOX, "planted_dir/"), NC, ANY);
    expect("planted-root-walk",
           try_open(BOX, 0, "planted_root/etc/passwd", 0, R_READ), NC, ANY);
    expect("planted-etc-walk", try_open(BOX, 0, "planted_etc/passwd", 0,
                                        R_READ), NC, ANY);
    expect("planted-etc-stat-follow", stat_at(BOX, FOLLOW, "planted_etc", st),
           NC, ANY);
    expect("planted-sub-up-follow",
           try_open(BOX, FOLLOW, "sub/planted_up", 0, R_READ), NC, ANY);
    control("planted-sub-up-readlink",
            readlink_at(BOX, "sub/planted_up", buf, sizeof buf, &used));
    control("planted-sub-up-readlink-text",
            used != 12 || memcmp(buf, "../../secret", 12) != 0);
}

void
hard_links(void)
{
    expect("link-from-outside", link_at(BOX, 0, "../secret", BOX, "hl"), NC,
           ANY);
    expect("link-follow-planted-abs",
           link_at(BOX, FOLLOW, "planted_abs", BOX, "hl"), NC, ANY);
    expect("link-follow-planted-rel",
           link_at(BOX, FOLLOW, "planted_rel", BOX, "hl"), NC, ANY);
    expect("link-to-outside", link_at(BOX, 0, "inside.txt", BOX,
                                      "../outside/hl"), NC, ANY);
    expect("link-through-up-link", link_at(BOX, 0, "inside.txt", BOX,
                                           "g_up/hl"), NC, ANY);
    /* a new name for a link is a new link: the same rule as symlink */
    expect("link-planted-abs-link-itself",
           link_at(BOX, 0, "planted_abs", BOX, "hl_sym"), NC, ANY);
    control("link-planted-rel-link-deeper",      /* ../secret in sub */
            link_at(BOX, 0, "planted_rel", BOX, "sub/hl_sym"));
    expect("link-directory", link_at(BOX, 0, "sub", BOX, "sublink"), E(PERM),
           ANY);
}

void
renames(void)
{
    expect("rename-to-outside", rename_at(BOX, "inside.txt", BOX,
                                          "../stolen"), NC, ANY);
    expect("rename-from-outside", rename_at(BOX, "../secret", BOX, "got"), NC,
           ANY);
    expect("rename-dir-outside", rename_at(BOX, "sub", BOX, "../outside/sub"),
           NC, ANY);
    expect("rename-through-planted-dir",
           rename_at(BOX, "inside.txt", BOX, "planted_dir/stolen"), NC, ANY);
    expect("rename-planted-dir-slash",
           rename_at(BOX, "planted_dir/", BOX, "moved"), NC, ANY);
    expect("rename-preopen-itself", rename_at(BOX, ".", BOX, "renamed"),
           E(BUSY), E(INVAL));
    expect("rename-preopen-via-dotdot", rename_at(BOX, "sub/..", BOX, "x"),
           E(BUSY), E(INVAL));
    expect("rename-planted-escaping-link",
           rename_at(BOX, "c5", BOX, "sub/c5"), NC, ANY);
    control("rename-inside", rename_at(BOX, "g_loop", BOX, "sub/g_loop"));
}

/* A directory descriptor opened below the preopen is a root of its own. */
void
dir_fd_roots(void)
{
    int  sub = -1;
    char buf[64];

    control("open-sub-dir",
            open_at(BOX, 0, "sub", DIR, R_DIR, R_READ, &sub));
    expect("sub-dotdot", try_open(sub, 0, "..", DIR, 0), NC, ANY);
    expect("sub-dotdot-inside", try_open(sub, 0, "../inside.txt", 0, R_READ),
           NC, ANY);
    expect("sub-dotdot-dotdot", try_open(sub, 0, "../../secret", 0, R_READ),
           NC, ANY);
    expect("sub-planted-up", try_open(sub, FOLLOW, "planted_up", 0, R_READ),
           NC, ANY);
    expect("sub-dot-back-up", try_open(sub, 0, "./../sub", DIR, 0), NC, ANY);
    control("sub-dot", try_open(sub, 0, ".", DIR, 0));
    control("sub-create", try_open(sub, 0, "f1", CREAT, R_READ));
    control("sub-read", read_file(sub, 0, "f1", buf, sizeof buf));
    raw_close(sub);
}

void
trailing_slashes(void)
{
    uint8_t st[64];

    expect("open-file-slash", try_open(BOX, 0, "inside.txt/", 0, R_READ),
           E(NOTDIR), ANY);
    expect("unlink-file-slash", unlink_at(BOX, "inside.txt/"), E(NOTDIR),
           ANY);
    control("file-still-there", stat_at(BOX, 0, "inside.txt", st));
    expect("stat-planted-etc-slash", stat_at(BOX, 0, "planted_etc/", st), NC,
           ANY);
    expect("create-dir-slash", try_open(BOX, 0, "newfile/", CREAT, R_RW),
           E(ISDIR), ANY);
}

void
nul_bytes(void)
{
    static const char p1[] = "inside.txt\0../../secret";
    static const char p2[] = "../secret\0";
    int fd = -1;

    expect("nul-in-path", raw_open(BOX, 0, p1, sizeof p1 - 1, 0, R_READ, 0,
                                   0, &fd), E(INVAL), E(ILSEQ));
    expect("nul-only", raw_open(BOX, 0, "\0", 1, 0, R_READ, 0, 0, &fd),
           E(INVAL), E(ILSEQ));
    expect("nul-after-dotdot", raw_open(BOX, 0, p2, sizeof p2 - 1, 0, R_READ,
                                        0, 0, &fd), E(INVAL), NC);
    expect("nul-in-symlink-target",
           raw_symlink("../x\0y", 6, BOX, "g_nul", 5), E(INVAL), E(ILSEQ));
    expect("nul-in-unlink", raw_unlink(BOX, p1, sizeof p1 - 1), E(INVAL),
           E(ILSEQ));
}

void
long_paths(void)
{
    static char p[8192], t[4096];
    size_t      n = 0;

    while (n < 4200) {
        p[n++] = 'a';
        p[n++] = '/';
    }
    p[n] = '\0';
    expect("path-too-long", try_open(BOX, 0, p, 0, 0), E(NAMETOOLONG), ANY);
    memset(p, 'x', 300);
    p[300] = '\0';
    expect("component-too-long", try_open(BOX, 0, p, CREAT, R_RW),
           E(NAMETOOLONG), ANY);
    p[0] = '\0';
    for (int i = 0; i < 500; i++)
        strcat(p, "sub/../");
    strcat(p, "../secret");
    expect("many-dotdots-then-out", try_open(BOX, 0, p, 0, R_READ), NC, ANY);
    p[0] = '\0';
    for (int i = 0; i < 2000; i++)
        strcat(p, "./");
    strcat(p, "../secret");
    expect("many-dots-then-out", try_open(BOX, 0, p, 0, R_READ), NC, ANY);
    t[0] = '\0';
    for (int i = 0; i < 2000; i++)
        strcat(t, "./");
    strcat(t, "../secret");
    expect("symlink-make-long", symlink_at(t, BOX, "g_long2"), NC, ANY);
    t[4000] = '\0';                     /* "./" only */
    control("symlink-make-long-inside", symlink_at(t, BOX, "g_long_in"));
    expect("follow-long-link", try_open(BOX, FOLLOW, "g_long", 0, R_READ), NC,
           ANY);
}

void
rights(void)
{
    int      ro = -1, nopen = -1, file = -1;
    uint32_t n;
    struct { const char *p; uint32_t len; } iov = { "x", 1 };

    expect("rights-all-bits", try_open(BOX, 0, "inside.txt", 0, ~0ull), NC,
           ANY);
    expect("rights-sock-accept",
           try_open(BOX, 0, "inside.txt", 0, __WASI_RIGHTS_SOCK_ACCEPT), NC,
           ANY);
    /* sub with PATH_OPEN but no PATH_CREATE_FILE, children: FD_READ only */
    control("open-sub-readonly",
            open_at(BOX, 0, "sub", DIR, __WASI_RIGHTS_PATH_OPEN, R_READ, &ro));
    expect("ro-create", try_open(ro, 0, "f2", CREAT, R_READ), NC, ANY);
    expect("ro-write-child", try_open(ro, 0, "f1", 0, R_RW), NC, ANY);
    expect("ro-trunc", try_open(ro, 0, "f1", TRUNC, R_READ), NC, ANY);
    control("ro-read-child", try_open(ro, 0, "f1", 0, R_READ));
    expect("ro-unlink", unlink_at(ro, "f1"), NC, ANY);
    expect("ro-mkdir", mkdir_at(ro, "d"), NC, ANY);
    expect("ro-symlink", symlink_at("f1", ro, "l"), NC, ANY);
    expect("ro-rename", rename_at(ro, "f1", ro, "f3"), NC, ANY);
    expect("ro-link", link_at(ro, 0, "f1", ro, "f3"), NC, ANY);
    expect("ro-settimes", times_at(ro, 0, "f1"), NC, ANY);
    /* a directory without PATH_OPEN opens nothing */
    control("open-sub-noopen", open_at(BOX, 0, "sub", DIR,
                                       __WASI_RIGHTS_FD_READDIR, 0, &nopen));
    expect("noopen-open", try_open(nopen, 0, "f1", 0, 0), NC, ANY);
    /* a file read-only descriptor cannot write, nor serve as a directory */
    control("open-file-read", open_at(BOX, 0, "inside.txt", 0, R_READ, 0,
                                      &file));
    expect("readonly-write", raw_write(file, &iov, 1, &n), NC, E(BADF));
    expect("file-as-dir", try_open(file, 0, "x", 0, 0), E(NOTDIR), NC);
    raw_close(ro);
    raw_close(nopen);
    raw_close(file);
}
