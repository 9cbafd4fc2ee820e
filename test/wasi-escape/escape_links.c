/* escape_links.c - the texts of the symbolic links a guest makes. The
 * guest never follows a link out (the resolver refuses), but host programs
 * that walk the directory later do, with the kernel: so a link's text must
 * stay inside wherever the guest can move it. At most one leading ".."
 * and only below the top (a directory at depth >= 1 stays at depth >= 1
 * whatever is renamed), no ".." after a name (that name may be a link
 * leading elsewhere), and the same rule when rename or link gives a link a
 * new place. run_escape.c then checks, as a host program, that every link
 * the guest left resolves inside the box.
 */
#include <stdio.h>
#include <string.h>

#include "escape_guest.h"

#define E(x) __WASI_ERRNO_##x

/* Texts at the top of the preopen (depth 0): no ".." at all. */
static void
texts_at_the_top(void)
{
    static const char *const refused[] = {
        "..", "../", "..//", "../x", "./../x", ".//../x", "../inside.txt",
        "a/../../x", "a/../x", "x/..", "sub/../inside.txt", "./x/../..",
    };
    char what[64], name[32];

    for (unsigned i = 0; i < sizeof refused / sizeof *refused; i++) {
        snprintf(what, sizeof what, "top-text %s", refused[i]);
        snprintf(name, sizeof name, "top_refused_%u", i);
        expect(what, symlink_at(refused[i], BOX, name), NC, ANY);
    }
    control("top-name", symlink_at("inside.txt", BOX, "top_a"));
    control("top-dot-name", symlink_at("./inside.txt", BOX, "top_b"));
    control("top-dot", symlink_at(".", BOX, "top_c"));
    control("top-slashes", symlink_at("sub//x/./y/", BOX, "top_d"));
    control("top-dots-in-names", symlink_at("...", BOX, "top_e") |
                                 symlink_at("..x/.y", BOX, "top_f"));
    expect("top-via-sub-dotdot", symlink_at("../x", BOX, "sub/../top_g"),
           NC, ANY);                    /* the link lands at the top */
}

/* One level down (sub/): one leading ".." is fine, more is not. */
static void
texts_one_down(void)
{
    char buf[64];

    control("sub-up-file", symlink_at("../inside.txt", BOX, "sub/s_a"));
    control("sub-dot-up", symlink_at("./../inside.txt", BOX, "sub/s_b"));
    control("sub-up", symlink_at("..", BOX, "sub/s_c"));
    control("sub-up-slash", symlink_at("../", BOX, "sub/s_d"));
    control("sub-up-then-names", symlink_at("../sub/x/y", BOX, "sub/s_e"));
    control("sub-plain", symlink_at("x/y", BOX, "sub/s_k"));
    expect("sub-up-up", symlink_at("../..", BOX, "sub/s_f"), NC, ANY);
    expect("sub-up-up-secret", symlink_at("../../secret", BOX, "sub/s_g"),
           NC, ANY);
    expect("sub-up-dot-up", symlink_at(".././..", BOX, "sub/s_h"), NC, ANY);
    expect("sub-name-then-up", symlink_at("../sub/../x", BOX, "sub/s_i"), NC,
           ANY);
    expect("sub-abs", symlink_at("/sandbox/inside.txt", BOX, "sub/s_j"), NC,
           ANY);
    control("sub-up-follow", read_file(BOX, FOLLOW, "sub/s_a", buf,
                                       sizeof buf));
    control("sub-up-follow-reads-inside", strcmp(buf, "hello\n") != 0);
    /* two levels down, still one ".." at most: the directory could be
     * moved up to depth 1 */
    control("mkdir-sub-d2", mkdir_at(BOX, "sub/d2"));
    control("d2-up", symlink_at("../x", BOX, "sub/d2/l"));
    expect("d2-up-up", symlink_at("../../inside.txt", BOX, "sub/d2/l2"), NC,
           ANY);
    control("rename-d2-up", rename_at(BOX, "sub/d2", BOX, "d2"));
}

/* A link moved by rename or given a new name by link: checked where it
 * lands, as if made there. */
static void
moving_links(void)
{
    int sub = -1;

    control("mkdir-sub-deeper", mkdir_at(BOX, "sub/deeper"));
    expect("rename-up-link-to-top", rename_at(BOX, "sub/s_a", BOX, "m_a"),
           NC, ANY);
    expect("link-up-link-to-top", link_at(BOX, 0, "sub/s_a", BOX, "m_b"), NC,
           ANY);
    control("rename-up-link-deeper",
            rename_at(BOX, "sub/s_b", BOX, "sub/deeper/m_c"));
    control("link-up-link-beside", link_at(BOX, 0, "sub/s_c", BOX, "d2/m_d"));
    expect("rename-up-names-link-to-top",
           rename_at(BOX, "sub/s_e", BOX, "m_e"), NC, ANY);
    control("rename-plain-link-to-top", rename_at(BOX, "sub/s_k", BOX,
                                                  "m_e"));
    expect("rename-up-link-over-file",
           rename_at(BOX, "sub/s_d", BOX, "inside.txt"), NC, ANY);
    /* a directory descriptor is a root of its own: depth counts from it */
    control("open-sub-dir", open_at(BOX, 0, "sub", DIR,
                                    __WASI_RIGHTS_PATH_SYMLINK |
                                    __WASI_RIGHTS_PATH_RENAME_SOURCE |
                                    __WASI_RIGHTS_PATH_RENAME_TARGET, 0,
                                    &sub));
    expect("subfd-up", symlink_at("../inside.txt", sub, "m_f"), NC, ANY);
    control("subfd-up-deeper", symlink_at("../x", sub, "deeper/m_g"));
    expect("subfd-rename-to-its-top",
           rename_at(sub, "deeper/m_g", sub, "m_g"), NC, ANY);
    expect("subfd-rename-to-box-top",
           rename_at(sub, "deeper/m_g", BOX, "m_g"), NC, ANY);
    raw_close(sub);
}

void
link_texts(void)
{
    texts_at_the_top();
    texts_one_down();
    moving_links();
}
