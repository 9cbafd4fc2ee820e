/* verify_dl.c - the machine-code checker, as the runtime uses it: every
 * artifact that is not marked trusted is verified before any of its code
 * can run (docs/verify.md, "Where verification runs"). The checker lives
 * in its own library, libmoat-verify.so, loaded with dlopen() on the first
 * verification (runtime/verify_iface.h says why). Candidates, in order:
 * $MOAT_VERIFY_LIB (ignored in set-id programs), the directory of the
 * object that holds this code (libmoat.so, or the program libmoat is
 * linked into: the build tree keeps the library beside both), the install
 * libdir, then the dynamic linker's own search.
 */
#include <dlfcn.h>
#include <elf.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "elfload.h"        /* moatR_resolve_symbol: the allow-list */
#include "runtime.h"
#include "util.h"
#include "verify_iface.h"

#ifndef MOAT_VERIFY_SONAME
#define MOAT_VERIFY_SONAME "libmoat-verify.so.0"
#endif
#ifndef MOAT_LIBDIR
#define MOAT_LIBDIR "/usr/local/lib"
#endif

static pthread_once_t  once = PTHREAD_ONCE_INIT;
static MoatVerifyEntry entry;
static char            why[512];     /* why no candidate loaded */
static bool            why_is_from_existing;

/* Opens path; keeps the failure of the first file that exists (more
 * telling than "no such file" for the candidates after it), else the
 * last. */
static bool
try_open(const char *path)
{
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);

    if (!h) {
        const char *e = dlerror();
        if (!why_is_from_existing) {
            snprintf(why, sizeof why, "%s", e ? e : path);
            why_is_from_existing = access(path, F_OK) == 0;
        }
        return false;
    }
    entry = (MoatVerifyEntry)(uintptr_t)dlsym(h, MOAT_VERIFY_ENTRY);
    if (!entry) {
        snprintf(why, sizeof why, "%s has no %s: another version of Moat",
                 path, MOAT_VERIFY_ENTRY);
        dlclose(h);
        return false;
    }
    return true;
}

/* The library in the directory of file (a path with a slash). */
static bool
try_beside(const char *file)
{
    const char *slash = file ? strrchr(file, '/') : NULL;
    char        path[4096];

    if (!slash)
        return false;
    int n = snprintf(path, sizeof path, "%.*s/%s", (int)(slash - file), file,
                     MOAT_VERIFY_SONAME);
    return n > 0 && (size_t)n < sizeof path && try_open(path);
}

/* Beside the object this code is in: libmoat.so, or the program libmoat
 * is linked into (for which dladdr may give only argv[0]: then the
 * kernel's name of the executable). */
static bool
try_beside_self(void)
{
    Dl_info info;
    char    exe[4096];

    if (dladdr((void *)(uintptr_t)&try_beside_self, &info) &&
        try_beside(info.dli_fname))
        return true;
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return false;
    exe[n] = 0;
    return try_beside(exe);
}

/* A program with no dynamic loader (cc -static: no PT_INTERP) cannot
 * dlopen a library that needs the shared C library: glibc would map a
 * second one, which crashes. */
static bool
is_static_program(void)
{
    const Elf64_Phdr *ph = (const Elf64_Phdr *)getauxval(AT_PHDR);
    unsigned long     n = getauxval(AT_PHNUM);

    for (unsigned long i = 0; ph && i < n; i++)
        if (ph[i].p_type == PT_INTERP)
            return false;
    return ph != NULL;
}

static void
load(void)
{
    const char *env = secure_getenv("MOAT_VERIFY_LIB");

    if (is_static_program()) {
        snprintf(why, sizeof why, "this program is linked statically, and "
                 "a static program cannot load a shared library");
        return;
    }
    if (env && *env) {
        try_open(env);              /* named: no other candidate */
        return;
    }
    if (try_beside_self() || try_open(MOAT_LIBDIR "/" MOAT_VERIFY_SONAME))
        return;
    try_open(MOAT_VERIFY_SONAME);
}

static const void *
resolve(const char *name)
{
    return moatR_resolve_symbol(name);
}

bool
moatR_verify(const uint8_t *bytes, size_t len, moat_error *err)
{
    pthread_once(&once, load);
    if (!entry)
        return moatU_fail(err, 0, MOAT_ERR_VERIFY, "cannot verify the "
                          "artifact's machine code: the checker library %s "
                          "cannot be loaded (%s); install it, name it with "
                          "MOAT_VERIFY_LIB, or load the artifact as trusted "
                          "if you compiled it yourself", MOAT_VERIFY_SONAME,
                          why[0] ? why : "not found");
    MoatVerifyCall c = { .bytes = bytes, .len = len, .resolve = resolve };
    if (!entry(&c) || c.nviol)
        return moatU_fail(err, 0, MOAT_ERR_VERIFY, "machine code rejected "
                          "by the checker: %" PRIu64 " violation%s, the "
                          "first %s", c.nviol, c.nviol == 1 ? "" : "s",
                          c.first[0] ? c.first : "(not recorded)");
    return true;
}

moat_status
moat_artifact_verify(const uint8_t *bytes, size_t len, moat_error *err)
{
    moat_error ee = { 0 };

    moatR_verify(bytes, len, &ee);
    return moatR_report(err, &ee);
}
