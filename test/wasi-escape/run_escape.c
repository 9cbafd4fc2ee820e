/* run_escape.c - the escape battery's host: lays out a temporary tree with
 * a secret outside the preopened directory and links planted inside it
 * (the layout is in escape_guest.c), compiles the guest with moat_compile,
 * runs its _start with the directory preopened and stdout captured, and
 * then counts: every "ok" line of the guest passes, every "ESCAPED" or
 * "WRONG" line fails, and so does each check here that the outside was
 * neither read (atime), changed (content, mtime, link count) nor added to.
 * Prints "N passed, N failed"; exit 77 (skipped) when the guest could not
 * be built (argv[1] is then "--skip" and the reason).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "moat_compile.h"
#include "moat_wasi.h"

static const char secret_text[] = "TOPSECRET\n";

static int npassed, nfailed;
static char root[PATH_MAX];

static void
check(const char *name, bool ok, const char *detail)
{
    if (ok) {
        npassed++;
        return;
    }
    nfailed++;
    printf("FAILED %s%s%s\n", name, detail ? ": " : "", detail ? detail : "");
}

static char *
at(const char *rel)
{
    static char buf[4][PATH_MAX];
    static int  next;
    char       *b = buf[next++ % 4];

    if (snprintf(b, PATH_MAX, "%s/%s", root, rel) >= PATH_MAX)
        b[0] = '\0';                   /* no such file: checks fail */
    return b;
}

static bool
write_file(const char *rel, const char *text)
{
    FILE *f = fopen(at(rel), "w");
    bool  ok = f && fputs(text, f) >= 0;

    return (f && fclose(f) == 0) && ok;
}

/* The planted links: name (below root) and target ("@" = root/secret,
 * "#" = 2000 "./" then "../secret"). The g_* and c* ones have texts the
 * guest may no longer write itself; the battery follows them. */
static const char *const planted[][2] = {
    { "box/planted_abs", "@" },         { "box/planted_rel", "../secret" },
    { "box/planted_dir", "../outside" }, { "box/planted_root", "/" },
    { "box/planted_etc", "/etc" },      { "box/sub/planted_up", "../../secret" },
    { "box/g_up", ".." },               { "box/g_upup", "../.." },
    { "box/sub/g_esc", "../../secret" }, { "box/c3", "../secret" },
    { "box/c5", "sub/../../secret" },   { "box/g_long", "#" },
};
enum { NPLANTED = sizeof planted / sizeof planted[0] };

static const char *
target_of(int i)
{
    static char long_text[4096];

    if (strcmp(planted[i][1], "@") == 0)
        return at("secret");
    if (strcmp(planted[i][1], "#") != 0)
        return planted[i][1];
    if (!long_text[0]) {
        for (int k = 0; k < 2000; k++)
            strcat(long_text, "./");
        strcat(long_text, "../secret");
    }
    return long_text;
}

/* The secret's times are set far in the past: reading it (relatime)
 * would move atime, writing it mtime. */
static bool
lay_out(struct stat *secret)
{
    struct timespec old[2] = { { 1000000, 0 }, { 2000000, 0 } };

    snprintf(root, sizeof root, "%s/moat-escape-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(root) || !write_file("secret", secret_text) ||
        mkdir(at("outside"), 0755) != 0 || mkdir(at("box"), 0755) != 0 ||
        mkdir(at("box/sub"), 0755) != 0 ||
        !write_file("box/inside.txt", "hello\n"))
        return false;
    for (int i = 0; i < NPLANTED; i++)
        if (symlink(target_of(i), at(planted[i][0])) != 0)
            return false;
    return utimensat(AT_FDCWD, at("secret"), old, 0) == 0 &&
           stat(at("secret"), secret) == 0;
}

static bool
read_bytes(const char *path, uint8_t **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    long  n = -1;

    *out = NULL;
    if (f && fseek(f, 0, SEEK_END) == 0)
        n = ftell(f);
    if (n > 0 && fseek(f, 0, SEEK_SET) == 0)
        *out = malloc((size_t)n);
    bool ok = *out && fread(*out, 1, (size_t)n, f) == (size_t)n;
    if (f)
        fclose(f);
    *len = ok ? (size_t)n : 0;
    return ok;
}

/* Compiles and runs the guest; its stdout (malloc'd) or NULL. */
static char *
run_guest(const char *wasm_path)
{
    moat_error           err = { 0 };
    moat_compile_config *cfg = NULL;
    moat_engine         *eng = NULL;
    moat_module         *mod = NULL;
    moat_linker         *lnk = NULL;
    moat_wasi           *w = NULL;
    moat_instance       *inst = NULL;
    uint8_t             *wasm = NULL, *obj = NULL;
    size_t               nwasm, nobj;
    char                *out = NULL;
    const char          *args[] = { "escape_guest" };

    if (!read_bytes(wasm_path, &wasm, &nwasm) ||
        moat_compile_config_new(&cfg, &err) != MOAT_OK ||
        moat_compile(cfg, wasm, nwasm, &obj, &nobj, &err) != MOAT_OK ||
        moat_engine_new(&eng, &err) != MOAT_OK ||
        moat_module_load_object(eng, obj, nobj, &mod, &err) != MOAT_OK ||
        moat_linker_new(eng, &lnk, &err) != MOAT_OK ||
        moat_wasi_new(&w, &err) != MOAT_OK ||
        moat_wasi_set_args(w, 1, args, &err) != MOAT_OK ||
        moat_wasi_preopen(w, at("box"), "/sandbox", &err) != MOAT_OK ||
        moat_wasi_capture(w, 1, &err) != MOAT_OK ||
        moat_wasi_capture(w, 2, &err) != MOAT_OK ||
        moat_wasi_define(lnk, w, &err) != MOAT_OK ||
        moat_instance_new(lnk, mod, &inst, &err) != MOAT_OK) {
        printf("setup failed: %s: %s\n", moat_status_string(err.code),
               err.msg);
    } else {
        moat_status st = moat_instance_call(inst, "_start", NULL, 0, NULL, 0,
                                            &err);
        bool ok = st == MOAT_OK || (st == MOAT_ERR_EXIT && err.exit_code == 0);
        check("guest-exit", ok, ok ? NULL : err.msg);
        size_t      n = 0, nerr = 0;
        const char *text = moat_wasi_captured(w, 1, &n);
        const char *etext = moat_wasi_captured(w, 2, &nerr);
        if (nerr > 0)
            printf("guest stderr: %.*s\n", (int)nerr, etext);
        out = malloc(n + 1);
        if (out) {
            memcpy(out, text, n);
            out[n] = '\0';
        }
    }
    moat_instance_free(inst);
    moat_linker_free(lnk);
    moat_wasi_free(w);
    moat_module_free(mod);
    moat_engine_free(eng);
    moat_free(obj);
    moat_compile_config_free(cfg);
    free(wasm);
    return out;
}

/* Counts the guest's lines; failures are shown. */
static void
count_lines(char *text)
{
    int nlines = 0, ndone = -1;

    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (strncmp(line, "ok ", 3) == 0) {
            nlines++;
            npassed++;
        } else if (sscanf(line, "done %d", &ndone) == 1) {
            continue;
        } else {
            nlines++;
            nfailed++;
            printf("FAILED guest: %s\n", line);
        }
    }
    char detail[64];
    snprintf(detail, sizeof detail, "guest said done %d after %d lines",
             ndone, nlines);
    printf("guest: %d attempts and controls, %d failed\n", nlines,
           nfailed);
    check("guest-ran-to-the-end", ndone > 0 && ndone == nlines, detail);
}

static int
count_entries(const char *path)
{
    DIR *d = opendir(path);
    int  n = 0;

    if (!d)
        return -1;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

/* Nothing outside box was read, changed or created. */
static void
check_outside(const struct stat *before)
{
    struct stat now;
    char        text[64] = { 0 }, link[PATH_MAX];

    bool ok = stat(at("secret"), &now) == 0;
    check("secret-not-read", ok && now.st_atim.tv_sec ==
                                       before->st_atim.tv_sec, NULL);
    check("secret-not-modified", ok &&
          now.st_mtim.tv_sec == before->st_mtim.tv_sec &&
          now.st_size == before->st_size && now.st_ino == before->st_ino,
          NULL);
    check("secret-not-hard-linked", ok && now.st_nlink == 1, NULL);
    FILE *f = fopen(at("secret"), "r");
    if (f) {
        if (fread(text, 1, sizeof text - 1, f) == 0)
            text[0] = '\0';
        fclose(f);
    }
    check("secret-content", strcmp(text, secret_text) == 0, text);
    check("outside-dir-empty", count_entries(at("outside")) == 0, NULL);
    check("nothing-created-beside-box", count_entries(root) == 3, NULL);
    check("nothing-created-in-tmp",
          access("/tmp/moat-escape-mkdir", F_OK) != 0 &&
          access("/tmp/moat-escape-file", F_OK) != 0, NULL);
    for (int i = 0; i < NPLANTED; i++) {
        ssize_t n = readlink(at(planted[i][0]), link, sizeof link - 1);
        ok = n >= 0;
        if (ok) {
            link[n] = '\0';
            ok = strcmp(link, target_of(i)) == 0;
        }
        check("planted-link-intact", ok, planted[i][0]);
    }
}

/* Whether link text t, in a directory `depth` levels below box, stays
 * inside box read lexically. */
static bool
text_inside(const char *t, int depth)
{
    if (t[0] == '/')
        return false;
    for (const char *p = t; *p;) {
        size_t n = strcspn(p, "/");
        if (n == 2 && p[0] == '.' && p[1] == '.')
            depth--;
        else if (n > 0 && !(n == 1 && p[0] == '.'))
            depth++;
        if (depth < 0)
            return false;
        p += n + (p[n] == '/');
    }
    return true;
}

/* As a host program walking box would: every link the guest left leads
 * inside box, followed by the kernel (realpath) where it resolves, read
 * lexically where it dangles. Run with the planted links removed, so a
 * guest link that only passes through one of them dangles. */
static void
walk_links(const char *dir, int depth, const char *realbox, int *bad)
{
    DIR *d = opendir(dir);

    for (struct dirent *e; d && (e = readdir(d)) != NULL;) {
        char        p[PATH_MAX], t[PATH_MAX], real[PATH_MAX];
        struct stat st;
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name) >= PATH_MAX ||
            lstat(p, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            walk_links(p, depth + 1, realbox, bad);
            continue;
        }
        ssize_t n = S_ISLNK(st.st_mode) ? readlink(p, t, sizeof t - 1) : -1;
        if (n < 0)
            continue;
        t[n] = '\0';
        size_t nb = strlen(realbox);
        bool   ok = realpath(p, real)
                        ? strncmp(real, realbox, nb) == 0 &&
                              (real[nb] == '/' || real[nb] == '\0')
                        : text_inside(t, depth);
        if (!ok) {
            (*bad)++;
            printf("link leads out: %s -> %s\n", p + strlen(root), t);
        }
    }
    if (d)
        closedir(d);
}

static void
check_guest_links(void)
{
    char realbox[PATH_MAX];
    int  bad = 0;

    for (int i = 0; i < NPLANTED; i++)
        unlink(at(planted[i][0]));
    check("box-realpath", realpath(at("box"), realbox) != NULL, NULL);
    walk_links(at("box"), 0, realbox, &bad);
    check("guest-links-lead-inside", bad == 0, NULL);
}

int
main(int argc, char **argv)
{
    struct stat secret;

    if (argc == 3 && strcmp(argv[1], "--skip") == 0) {
        printf("skipped: %s\n0 passed, 0 failed, 1 skipped\n", argv[2]);
        return 77;
    }
    if (argc != 2) {
        fprintf(stderr, "usage: run_escape GUEST.wasm | --skip REASON\n");
        return 2;
    }
    if (!lay_out(&secret)) {
        printf("cannot lay out %s: %s\n", root, strerror(errno));
        return 1;
    }
    char *out = run_guest(argv[1]);
    check("guest-output", out != NULL, NULL);
    if (out)
        count_lines(out);
    free(out);
    check_outside(&secret);
    check_guest_links();
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0)
        printf("note: could not remove %s\n", root);
    printf("%d passed, %d failed\n", npassed, nfailed);
    return nfailed == 0 ? 0 : 1;
}
