/* guest.h - helpers shared by the test programs of test/wasi-programs,
 * which are built twice from the same source: for wasm32-wasi (run by
 * `moat run`) and natively (the reference). Output must not depend on
 * which libc runs them, so errors print as errno names, never strerror()
 * text (glibc and wasi-libc word them differently).
 */
#ifndef MOAT_TEST_GUEST_H
#define MOAT_TEST_GUEST_H

#include <errno.h>
#include <stdio.h>
#include <string.h>

static inline const char *
errno_name(int e)
{
    static const struct {
        int         e;
        const char *name;
    } names[] = {
        { 0, "OK" },           { ENOENT, "ENOENT" },
        { EEXIST, "EEXIST" },  { ENOTDIR, "ENOTDIR" },
        { EISDIR, "EISDIR" },  { ENOTEMPTY, "ENOTEMPTY" },
        { EBADF, "EBADF" },    { EACCES, "EACCES" },
        { EPERM, "EPERM" },    { EINVAL, "EINVAL" },
        { ELOOP, "ELOOP" },    { EXDEV, "EXDEV" },
        { ENAMETOOLONG, "ENAMETOOLONG" },
#ifdef ENOTCAPABLE              /* WASI only: a path outside a preopen */
        { ENOTCAPABLE, "ENOTCAPABLE" },
#endif
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].e == e)
            return names[i].name;
    static char other[32];
    snprintf(other, sizeof other, "errno %d", e);
    return other;
}

#endif
