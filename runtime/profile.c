/* profile.c - telling profilers and debuggers where guest code is
 * (docs/profiling.md): the engine's moat_profiler flags, the list of a
 * loaded module's functions and trampolines with names and sizes, and
 * perf's map file /tmp/perf-PID.map (perf's "JIT interface": one line
 * "START SIZE NAME" per piece of code, hex without 0x). The GDB JIT
 * interface is gdbjit.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime.h"

/* ---- which tools ---- */

/* "perfmap", "gdb", "none" or a comma-separated list; unknown words are
 * ignored, so that a newer word does not break an older library. */
unsigned
moatR_profilers_from_env(void)
{
    const char *s = getenv("MOAT_PROFILE");
    unsigned    flags = 0;

    if (!s || !*s)
        return MOAT_PROFILER_DEFAULT;
    while (*s) {
        size_t n = strcspn(s, ",");
        if (n == 7 && strncmp(s, "perfmap", 7) == 0)
            flags |= MOAT_PROFILER_PERFMAP;
        else if (n == 3 && strncmp(s, "gdb", 3) == 0)
            flags |= MOAT_PROFILER_GDB;
        s += n + (s[n] == ',');
    }
    return flags;
}

void
moat_engine_set_profiler(moat_engine *e, unsigned profilers)
{
    e->profilers = profilers & (MOAT_PROFILER_PERFMAP | MOAT_PROFILER_GDB);
}

/* ---- the pieces of code of a module ---- */

static int
by_addr(const void *a, const void *b)
{
    uintptr_t x = ((const CodeSym *)a)->addr, y = ((const CodeSym *)b)->addr;

    return x < y ? -1 : x > y;
}

/* A copy of s with control characters (a line break would split perf's
 * line) replaced by '?'. */
static const char *
arena_name(Arena *a, const char *s)
{
    size_t n = strlen(s);
    char  *p = moatU_arena_alloc(a, n + 1);

    if (!p)
        return NULL;
    for (size_t i = 0; i <= n; i++)
        p[i] = (i < n && (unsigned char)s[i] < 0x20) ? '?' : s[i];
    return p;
}

static const char *
func_name(const moat_module *m, uint32_t idx, Arena *a)
{
    char        buf[48];
    const char *name = moatR_func_name(m, idx, buf, sizeof buf);

    if (name == buf)                        /* none: the stable wasm form */
        snprintf(buf, sizeof buf, "wasm-function[%u]", idx);
    return arena_name(a, name);
}

static const char *
tramp_name(const moat_module *m, uint64_t t, Arena *a)
{
    const MoatDescType *ty = &m->desc->types[t];
    char                sig[160], buf[192];

    moatR_sig_text(sig, sizeof sig, ty->types, (uint32_t)ty->nparams,
                   ty->types ? ty->types + ty->nparams : NULL,
                   (uint32_t)ty->nresults);
    snprintf(buf, sizeof buf, "trampoline[%s]", sig);
    return arena_name(a, buf);
}

/* Sizes the symbol table does not give run to the next piece of code, or
 * to the end of the code span. Duplicates (equal trampolines) go. */
static void
finish_syms(const moat_module *m, CodeSyms *s)
{
    uint32_t k = 0;

    qsort(s->v, s->n, sizeof *s->v, by_addr);
    for (uint32_t i = 0; i < s->n; i++)
        if (k == 0 || s->v[k - 1].addr != s->v[i].addr)
            s->v[k++] = s->v[i];
    s->n = k;
    for (uint32_t i = 0; i < s->n; i++) {
        CodeSym  *c = &s->v[i];
        uintptr_t lo = 0, hi = 0;
        if (c->size)
            continue;
        if (i + 1 < s->n)
            c->size = s->v[i + 1].addr - c->addr;
        else if (moatR_elf_code_span(m->img, c->addr, &lo, &hi))
            c->size = hi - c->addr;
        else
            c->size = 1;
    }
}

static bool
add_sym(const moat_module *m, CodeSyms *s, const void *code,
        const char *name)
{
    if (!code || !name)
        return code == NULL;
    s->v[s->n++] = (CodeSym){ (uintptr_t)code,
                              moatR_elf_func_size(m->img, code), name };
    return true;
}

bool
moatR_code_syms(const moat_module *m, CodeSyms *s)
{
    const MoatDescriptor *d = m->desc;
    bool                  ok;

    memset(s, 0, sizeof *s);
    moatU_arena_init(&s->arena);
    for (int i = 0; i < 4; i++)
        snprintf(s->tag + 2 * i, 3, "%02x", d->hash[i]);
    s->v = moatU_arena_array(&s->arena, (size_t)(d->nfuncs + d->ntypes),
                             sizeof *s->v);
    ok = s->v != NULL;
    for (uint64_t i = d->nfunc_imports; ok && i < d->nfuncs; i++)
        ok = add_sym(m, s, d->funcs[i].code,
                     func_name(m, (uint32_t)i, &s->arena));
    for (uint64_t t = 0; ok && t < d->ntypes; t++)
        ok = !d->types[t].tramp
             || add_sym(m, s, d->types[t].tramp, tramp_name(m, t, &s->arena));
    if (!ok) {
        moatR_code_syms_fini(s);
        return false;
    }
    finish_syms(m, s);
    return true;
}

void
moatR_code_syms_fini(CodeSyms *s)
{
    moatU_arena_fini(&s->arena);
    s->v = NULL;
    s->n = 0;
}

/* ---- perf's map file ----
 * /tmp is shared: another user may have put a symlink, a FIFO or a file
 * of theirs at our path. We write only to a regular file that we own with
 * one link, never follow a symlink, and never block on opening. Mode 0600:
 * perf reads a map only as its owner or root, and nobody else needs our
 * code addresses (they would undo ASLR for this process). One file
 * per process, kept open; lines are appended (O_APPEND) in whole-line
 * writes, so that threads loading modules at once do not mix lines. */

static pthread_mutex_t map_lock = PTHREAD_MUTEX_INITIALIZER;
static int             map_fd = -1;
static pid_t           map_pid;     /* a forked child opens its own file */

static int
refuse(int fd, const char *path, const char *why)
{
    if (fd >= 0)
        close(fd);
    fprintf(stderr, "moat: not writing the perf map %s: %s\n", path, why);
    return -1;
}

static int
open_map(const char *path)
{
    int         flags = O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC
                        | O_NONBLOCK;
    int         fd = open(path, flags | O_CREAT | O_EXCL, 0600);
    bool        is_new = fd >= 0;
    struct stat st;

    if (fd < 0 && errno == EEXIST)
        fd = open(path, flags);
    if (fd < 0 && errno == ELOOP)
        return refuse(-1, path, "it is a symlink");
    if (fd < 0 && errno == ENXIO)       /* a FIFO nobody reads */
        return refuse(-1, path, "not a regular file");
    if (fd < 0)
        return refuse(-1, path, strerror(errno));
    if (fstat(fd, &st) != 0)
        return refuse(fd, path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return refuse(fd, path, "not a regular file");
    if (st.st_uid != geteuid())
        return refuse(fd, path, "owned by another user");
    if (st.st_nlink != 1)
        return refuse(fd, path, "it has other hard links");
    /* ours, left by an earlier process with our pid: its lines are stale */
    if (!is_new && ftruncate(fd, 0) != 0)
        return refuse(fd, path, strerror(errno));
    return fd;
}

static int
map_file(void)
{
    pid_t pid = getpid();
    char  path[64];

    if (map_pid == pid)
        return map_fd;
    if (map_fd >= 0)
        close(map_fd);                  /* the parent's, inherited */
    snprintf(path, sizeof path, "/tmp/perf-%ld.map", (long)pid);
    map_fd = open_map(path);
    map_pid = pid;
    return map_fd;
}

/* Whole lines, in writes of at most a buffer each. */
static void
write_map(int fd, const CodeSyms *s)
{
    char   buf[4096];
    size_t used = 0;

    for (uint32_t i = 0; i < s->n; i++) {
        const CodeSym *c = &s->v[i];
        char           line[1024];
        int            n = snprintf(line, sizeof line, "%lx %lx wasm[%s]::%s\n",
                                    (unsigned long)c->addr,
                                    (unsigned long)c->size, s->tag, c->name);
        size_t         len = n < 0 ? 0 : (size_t)n;
        if (len >= sizeof line) {       /* a very long name: cut it */
            len = sizeof line - 1;
            line[len - 1] = '\n';
        }
        if (used + len > sizeof buf) {
            moatU_write_all(fd, (const uint8_t *)buf, used);
            used = 0;
        }
        memcpy(buf + used, line, len);
        used += len;
    }
    if (used)
        moatU_write_all(fd, (const uint8_t *)buf, used);
}

static void
perfmap_add(const CodeSyms *s)
{
    pthread_mutex_lock(&map_lock);
    int fd = map_file();
    if (fd >= 0)
        write_map(fd, s);
    pthread_mutex_unlock(&map_lock);
}

/* ---- module.c's hooks ---- */

bool
moatR_profile_loaded(moat_module *m)
{
    unsigned flags = m->engine->profilers;
    CodeSyms s;
    bool     ok = true;

    if (!flags || !m->img)
        return true;
    if (!moatR_code_syms(m, &s))
        return false;
    if (flags & MOAT_PROFILER_PERFMAP)
        perfmap_add(&s);
    if (flags & MOAT_PROFILER_GDB)
        ok = moatR_gdbjit_register(m, &s);
    moatR_code_syms_fini(&s);
    return ok;
}

/* perf's map has no removal: a later module loaded at the same addresses
 * writes newer lines, which perf reads last. */
void
moatR_profile_freed(moat_module *m)
{
    moatR_gdbjit_unregister(m);
}
