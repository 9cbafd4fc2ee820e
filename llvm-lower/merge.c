/* merge.c - merges the objects of a partitioned compilation into one
 * relocatable object with LLVM's linker (ld.lld -r, Debian's lld-NN of the
 * LLVM the compiler is built with), so that `moat compile` still writes a
 * single ordinary .o. Temporary files
 * live in $TMPDIR (or /tmp) and are removed whatever happens.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <llvm/Config/llvm-config.h>

#include "emit.h"

/* The tools of the LLVM we are built with (-Dllvm_version), by Debian's
 * versioned names. */
#define STR2(x) #x
#define STR(x) STR2(x)
#define LLVM_MAJOR_STR STR(LLVM_VERSION_MAJOR)

enum { MAX_OBJS = MOATL_MAX_PARTS, PATH_LEN = 512 };

static bool
read_file(const char *path, uint8_t **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (!f || fstat(fileno(f), &st) != 0 || st.st_size <= 0) {
        if (f)
            fclose(f);
        return false;
    }
    *len = (size_t)st.st_size;
    *out = moatU_alloc(*len);
    bool ok = *out && fread(*out, 1, *len, f) == *len;
    fclose(f);
    if (!ok) {
        moatU_free(*out);
        *out = NULL;
    }
    return ok;
}

/* Runs the first of the two tools found (our LLVM's, then the default). */
static bool
run_tool(const char *const names[2], char **argv)
{
    for (size_t i = 0; i < 2; i++) {
        pid_t pid = fork();
        if (pid < 0)
            return false;
        if (pid == 0) {
            argv[0] = (char *)names[i];
            execvp(names[i], argv);
            _exit(127);
        }
        int st = 0;
        if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st))
            return false;
        if (WEXITSTATUS(st) == 0)
            return true;
        if (WEXITSTATUS(st) != 127)
            return false;           /* found, and it failed */
    }
    return false;
}

static const char *const linkers[] = { "ld.lld-" LLVM_MAJOR_STR, "ld.lld" };
static const char *const objcopies[] = { "llvm-objcopy-" LLVM_MAJOR_STR,
                                         "llvm-objcopy" };

bool
moatL_merge_objects(const uint8_t *const *objs, const size_t *lens, int n,
                    bool localize, uint8_t **out, size_t *len,
                    moat_error *err)
{
    const char *tmp = getenv("TMPDIR");
    if (n > MAX_OBJS)
        return moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_LIMIT,
                          "cannot merge %d partitions (at most %d)", n,
                          MAX_OBJS);
    char        dir[PATH_LEN - 64], paths[MAX_OBJS + 1][PATH_LEN];
    char       *argv[MAX_OBJS + 6];
    int         made = 0, argc = 1;
    bool        ok;

    snprintf(dir, sizeof dir, "%s/moat-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir))
        return moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_IO,
                          "cannot create a temporary folder: %s",
                          strerror(errno));
    ok = true;
    for (int k = 0; ok && k < n; k++) {
        snprintf(paths[k], PATH_LEN, "%s/part%d.o", dir, k);
        int fd = open(paths[k], O_WRONLY | O_CREAT | O_EXCL, 0600);
        ok = fd >= 0 && moatU_write_all(fd, objs[k], lens[k]);
        if (fd >= 0)
            close(fd), made++;
    }
    snprintf(paths[MAX_OBJS], PATH_LEN, "%s/merged.o", dir);
    argv[argc++] = "-r";
    argv[argc++] = "-o";
    argv[argc++] = paths[MAX_OBJS];
    for (int k = 0; k < n && k < MAX_OBJS; k++)
        argv[argc++] = paths[k];
    argv[argc] = NULL;
    if (ok && !run_tool(linkers, argv))
        ok = moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_IO, "merging the "
                        "partitions failed: is ld.lld (lld-" LLVM_MAJOR_STR
                        ") installed?");
    char *oc_argv[] = { NULL, "--localize-hidden", paths[MAX_OBJS], NULL };
    if (ok && localize && !run_tool(objcopies, oc_argv))
        ok = moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_IO, "making the "
                        "partitions' symbols local failed: is llvm-objcopy "
                        "(llvm-" LLVM_MAJOR_STR ") installed?");
    if (ok && !read_file(paths[MAX_OBJS], out, len))
        ok = moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_IO,
                        "cannot read the merged object");
    else if (!ok && !moatU_failed(err))
        moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_IO,
                   "cannot write temporary objects in %s", dir);
    for (int k = 0; k < made; k++)
        unlink(paths[k]);
    unlink(paths[MAX_OBJS]);
    rmdir(dir);
    return ok;
}
