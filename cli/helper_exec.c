/* helper_exec.c - `moat serve` and `moat verify` in `moat`: replace the
 * process with `moat-serve` (serve_main.c) or `moat-verify`
 * (verify_main.c), their own executables, by execv. The server's
 * libraries (libmicrohttpd and through it GnuTLS, libgcrypt, p11-kit;
 * libsystemd; inih) stay out of `moat`: loading and relocating them, and
 * their constructors, tripled the page faults of every `moat run`
 * (docs/bench-hello.md); the checker's decoder (Zydis) is one library
 * more. The process keeps its pid, so signals, socket activation
 * ($LISTEN_PID) and the exit status are the helper's.
 *
 * Where the helper is, first found of: the directory of the running
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
/* dir/rel/name into buf; false when it does not fit */
static bool
join(char *buf, size_t n, const char *dir, const char *rel, const char *name)
{
    int len = snprintf(buf, n, "%s%s%s/%s", dir, rel[0] ? "/" : "", rel,
                       name);
    return len > 0 && (size_t)len < n;
}

/* argv for the helper: its name, then what the command got after its
 * own */
static void
try_exec(const char *path, const char *name, int argc, char **argv,
         int *err)
{
    char **args = calloc((size_t)argc + 1, sizeof *args);

    if (!args) {
        *err = ENOMEM;
        return;
    }
    args[0] = (char *)name;
    for (int i = 1; i < argc; i++)
        args[i] = argv[i];
    execv(path, args);
    /* the first candidate that exists says best why none ran */
    if (*err == ENOENT || *err == 0)
        *err = errno;
    free(args);
}

static int
exec_helper(const char *name, const char *what, int argc, char **argv)
{
    char    exe[4096], path[4096 + 64];
    int     err = 0;
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);

    if (len > 0) {
        exe[len] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = 0;
            if (join(path, sizeof path, exe, "", name))
                try_exec(path, name, argc, argv, &err);
            if (MOAT_SERVE_REL[0] && join(path, sizeof path, exe,
                                          MOAT_SERVE_REL, name))
                try_exec(path, name, argc, argv, &err);
        }
    }
    if (join(path, sizeof path, MOAT_SERVE_DIR, "", name))
        try_exec(path, name, argc, argv, &err);
    fprintf(stderr, "moat: cannot run the %s (%s, beside moat or in "
                    MOAT_SERVE_DIR "): %s\n", what, name, strerror(err));
    return EXIT_BAD_INPUT;
}

int
moat_cmd_serve(int argc, char **argv)
{
    return exec_helper("moat-serve", "server", argc, argv);
}

int
moat_cmd_verify_exec(int argc, char **argv)
{
    return exec_helper("moat-verify", "checker", argc, argv);
}
