/* escape.c - tries to leave the preopened directory argv[1] (WASI only:
 * natively every attempt would succeed). The driver lays out
 *     TMP/outside.txt, TMP/box/inside.txt, TMP/box/sub/,
 *     TMP/box/link-out -> /etc, TMP/box/link-up -> ../outside.txt,
 *     TMP/box/link-in -> inside.txt
 * and preopens TMP/box. Prints "denied WHAT" or "allowed WHAT" per attempt
 * (the errno goes to stderr: its name may differ between engines).
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest.h"

static const char *box;

static const char *
at(const char *rel)
{
    static char buf[2][512];
    static int  next;
    char       *b = buf[next++ % 2];

    snprintf(b, sizeof buf[0], "%s/%s", box, rel);
    return b;
}

static void
report(int rc, const char *what)
{
    printf("%s %s\n", rc < 0 ? "denied" : "allowed", what);
    if (rc < 0)
        fprintf(stderr, "%s: %s\n", what, errno_name(errno));
}

static void
try_open(const char *path, const char *what)
{
    int fd = open(path, O_RDONLY);
    report(fd, what);
    if (fd >= 0)
        close(fd);
}

int
main(int argc, char **argv)
{
    struct stat st;
    char        buf[256];

    if (argc != 2) {
        fprintf(stderr, "usage: escape PREOPENED_DIR\n");
        return 2;
    }
    box = argv[1];
    try_open(at("inside.txt"), "open inside.txt");
    try_open(at("sub/../inside.txt"), "open sub/../inside.txt");
    try_open(at("link-in"), "open link-in (-> inside.txt)");
    try_open(at("../outside.txt"), "open ../outside.txt");
    try_open(at("sub/../../outside.txt"), "open sub/../../outside.txt");
    try_open("/etc/passwd", "open /etc/passwd");
    try_open(at("link-out/passwd"), "open link-out/passwd (-> /etc)");
    try_open(at("link-up"), "open link-up (-> ../outside.txt)");
    report(stat(at(".."), &st), "stat ..");
    report(mkdir(at("../newdir"), 0755), "mkdir ../newdir");
    report(rename(at("inside.txt"), at("../stolen.txt")),
           "rename inside.txt to ../stolen.txt");
    report(link(at("inside.txt"), at("../hard.txt")),
           "link inside.txt to ../hard.txt");
    if (symlink("/etc/passwd", at("mylink")) == 0)
        try_open(at("mylink"), "open new symlink to /etc/passwd");
    else
        printf("denied open new symlink to /etc/passwd\n");
    ssize_t n = readlink(at("link-out"), buf, sizeof buf - 1);
    if (n >= 0)
        buf[n] = '\0';
    printf("readlink link-out: %s\n", n >= 0 ? buf : errno_name(errno));
    return 0;
}
