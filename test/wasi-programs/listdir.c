/* listdir.c - lists the tree under argv[1] (under Moat a preopened
 * directory) with opendir/readdir, sorted by name, depth first: "d PATH/"
 * for a directory, "f PATH SIZE" for a file, "l PATH -> TARGET" for a
 * symbolic link, paths relative to the root. Each directory is read twice
 * (rewinddir between) and both reads must agree, which exercises
 * fd_readdir's cookies on directories larger than one buffer.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest.h"

static long nfiles, ndirs, nbytes;
static int  nfail;

static int
by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every name in d but "." and "..", sorted; *n is the count. */
static char **
read_names(DIR *d, size_t *n)
{
    char         **v = NULL;
    size_t         cap = 0;
    struct dirent *e;

    *n = 0;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 64;
            v = realloc(v, cap * sizeof *v);
            if (!v)
                exit(3);
        }
        v[(*n)++] = strdup(e->d_name);
    }
    if (*n > 1)                 /* v is NULL for an empty directory */
        qsort(v, *n, sizeof *v, by_name);
    return v;
}

static void
free_names(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static void
walk(const char *root, const char *rel)
{
    char   path[1024];
    size_t n, n2;

    snprintf(path, sizeof path, "%s%s%s", root, *rel ? "/" : "", rel);
    DIR *d = opendir(path);
    if (!d) {
        printf("FAIL opendir %s: %s\n", *rel ? rel : ".", errno_name(errno));
        nfail++;
        return;
    }
    char **names = read_names(d, &n);
    rewinddir(d);
    char **again = read_names(d, &n2);
    closedir(d);
    int same = n == n2;
    for (size_t i = 0; same && i < n; i++)
        same = !strcmp(names[i], again[i]);
    if (!same) {
        printf("FAIL %s: %zu names, %zu after rewinddir\n", rel, n, n2);
        nfail++;
    }
    for (size_t i = 0; i < n; i++) {
        char sub[1024], full[1100];
        struct stat st;
        snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "", names[i]);
        snprintf(full, sizeof full, "%s/%s", root, sub);
        if (lstat(full, &st) != 0) {
            printf("FAIL lstat %s: %s\n", sub, errno_name(errno));
            nfail++;
        } else if (S_ISDIR(st.st_mode)) {
            printf("d %s/\n", sub);
            ndirs++;
            walk(root, sub);
        } else if (S_ISLNK(st.st_mode)) {
            char    target[512];
            ssize_t len = readlink(full, target, sizeof target - 1);
            target[len < 0 ? 0 : len] = '\0';
            printf("l %s -> %s\n", sub, target);
        } else {
            printf("f %s %ld\n", sub, (long)st.st_size);
            nfiles++;
            nbytes += (long)st.st_size;
        }
    }
    free_names(names, n);
    free_names(again, n2);
}

int
main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: listdir DIR\n");
        return 2;
    }
    walk(argv[1], "");
    printf("%ld directories, %ld files, %ld bytes\n", ndirs, nfiles, nbytes);
    return nfail != 0;
}
