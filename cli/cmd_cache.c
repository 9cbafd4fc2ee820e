/* cmd_cache.c - `moat cache dir` prints the compile cache's directory;
 * `moat cache clean` removes our entries from it: files named
 * `<64 hex digits>.o`, and temporary files `<entry>.tmp.<pid>.<random>`
 * whose filler is gone (its pid is not running, or the file is older than
 * ten minutes). Nothing else in the directory is touched.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define STALE_SECONDS 600

static int
usage(void)
{
    fprintf(stderr, "usage: moat cache dir|clean\n");
    return EXIT_USAGE;
}

/* `<64 hex>.o`, followed by rest: the length of the match or 0. */
static size_t
entry_prefix(const char *name)
{
    for (int i = 0; i < 64; i++)
        if (!name[i] || !strchr("0123456789abcdef", name[i]))
            return 0;
    return strncmp(name + 64, ".o", 2) ? 0 : 66;
}

/* A temporary file another process may still be writing. */
static bool
is_live_tmp(const char *rest, const struct stat *st)
{
    char *end;
    long  pid = strtol(rest, &end, 10);
    bool  is_dead = pid > 0 && *end == '.' &&
                   kill((pid_t)pid, 0) != 0 && errno == ESRCH;

    return !is_dead && time(NULL) - st->st_mtime < STALE_SECONDS;
}

static bool
is_ours(int dfd, const char *name, struct stat *st)
{
    size_t n = entry_prefix(name);

    if (!n || fstatat(dfd, name, st, AT_SYMLINK_NOFOLLOW) != 0 ||
        !S_ISREG(st->st_mode))
        return false;
    if (!name[n])
        return true;
    return !strncmp(name + n, ".tmp.", 5) && !is_live_tmp(name + n + 5, st);
}

static int
clean(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        if (errno == ENOENT) {
            printf("removed 0 files (0 bytes) from %s\n", dir);
            return EXIT_OK;
        }
        fprintf(stderr, "moat cache: %s: %s\n", dir, strerror(errno));
        return EXIT_BAD_INPUT;
    }
    unsigned long long nfiles = 0, nbytes = 0;
    int                rc = EXIT_OK;
    struct dirent     *ent;
    struct stat        st;
    while ((ent = readdir(d))) {
        if (!is_ours(dirfd(d), ent->d_name, &st))
            continue;
        if (unlinkat(dirfd(d), ent->d_name, 0) != 0) {
            fprintf(stderr, "moat cache: %s/%s: %s\n", dir, ent->d_name,
                    strerror(errno));
            rc = EXIT_BAD_INPUT;
            continue;
        }
        nfiles++;
        nbytes += (unsigned long long)st.st_size;
    }
    closedir(d);
    printf("removed %llu file%s (%llu bytes) from %s\n", nfiles,
           nfiles == 1 ? "" : "s", nbytes, dir);
    return rc;
}

int
moat_cmd_cache(int argc, char **argv)
{
    char dir[4096];

    if (argc != 2 || (strcmp(argv[1], "dir") && strcmp(argv[1], "clean")))
        return usage();
    if (!moat_cli_cache_dir(dir, sizeof dir)) {
        fprintf(stderr, "moat cache: no cache directory (set MOAT_CACHE_DIR, "
                        "XDG_CACHE_HOME or HOME)\n");
        return EXIT_BAD_INPUT;
    }
    if (!strcmp(argv[1], "dir")) {
        printf("%s\n", dir);
        return EXIT_OK;
    }
    return clean(dir);
}
