/* serve_exec.c - `moat serve` in `moat`: replaces the process with
 * `moat-serve`, the server's own executable (serve_main.c), by execv.
 * The server's libraries (libmicrohttpd and through it GnuTLS, libgcrypt,
 * p11-kit; libsystemd; inih) stay out of `moat`: loading and relocating
 * them, and their constructors, tripled the page faults of every
 * `moat run` (docs/bench-hello.md). The process keeps its pid, so signals,
 * socket activation ($LISTEN_PID) and the exit status are the server's.
 *
 * Where moat-serve is, first found of: the directory of the running
 * `moat` (the build tree keeps both at its top); MOAT_SERVE_REL from that
 * directory (bindir to libexecdir/moat, so a tree installed with DESTDIR
 * or moved works); MOAT_SERVE_DIR, the configured libexecdir/moat.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#ifndef MOAT_SERVE_DIR
#define MOAT_SERVE_DIR "/usr/local/libexec/moat"
#endif
#ifndef MOAT_SERVE_REL
#define MOAT_SERVE_REL "../libexec/moat"
#endif
#define SERVE_NAME "moat-serve"

/* dir/rel/moat-serve into buf; false when it does not fit */
static bool
join(char *buf, size_t n, const char *dir, const char *rel)
{
    int len = snprintf(buf, n, "%s%s%s/" SERVE_NAME, dir, rel[0] ? "/" : "",
                       rel);
    return len > 0 && (size_t)len < n;
}

/* argv for moat-serve: its name, then what `serve` got after its own */
static void
try_exec(const char *path, int argc, char **argv, int *err)
{
    char **args = calloc((size_t)argc + 1, sizeof *args);

    if (!args) {
        *err = ENOMEM;
        return;
    }
    args[0] = (char *)SERVE_NAME;
    for (int i = 1; i < argc; i++)
        args[i] = argv[i];
    execv(path, args);
    /* the first candidate that exists says best why none ran */
    if (*err == ENOENT || *err == 0)
        *err = errno;
    free(args);
}

int
moat_cmd_serve(int argc, char **argv)
{
    char    exe[4096], path[4096 + 64];
    int     err = 0;
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);

    if (len > 0) {
        exe[len] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = 0;
            if (join(path, sizeof path, exe, ""))
                try_exec(path, argc, argv, &err);
            if (MOAT_SERVE_REL[0] && join(path, sizeof path, exe,
                                          MOAT_SERVE_REL))
                try_exec(path, argc, argv, &err);
        }
    }
    if (join(path, sizeof path, MOAT_SERVE_DIR, ""))
        try_exec(path, argc, argv, &err);
    fprintf(stderr, "moat: cannot run the server (" SERVE_NAME ", beside "
                    "moat or in " MOAT_SERVE_DIR "): %s\n", strerror(err));
    return EXIT_BAD_INPUT;
}
