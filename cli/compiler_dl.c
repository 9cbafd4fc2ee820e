/* compiler_dl.c - the compiler library, loaded with dlopen() on first use.
 * `moat` itself links no LLVM: mapping libLLVM costs a process about 16 ms,
 * which a run from the compile cache must not pay. Candidates, in order:
 * $MOAT_COMPILER_LIB (a path to the file), the directory of the running
 * executable (the build tree), the install libdir, then the dynamic
 * linker's own search (LD_LIBRARY_PATH, ld.so.cache: a tree installed with
 * DESTDIR, or moved). The name is the SONAME, libmoat-compiler.so.0. The
 * library's API is moat_compile.h; its symbols fill the MoatCompiler table.
 */
#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#ifndef MOAT_COMPILER_SONAME
#define MOAT_COMPILER_SONAME "libmoat-compiler.so.0"
#endif
#define LIB_NAME MOAT_COMPILER_SONAME

#ifndef MOAT_COMPILER_LIBDIR
#define MOAT_COMPILER_LIBDIR "/usr/local/lib"
#endif

_Static_assert(sizeof(void *) == sizeof(void (*)(void)),
               "function pointers travel through dlsym's void *");

static const struct {
    const char *name;
    size_t      off;
    bool        is_optional;
} syms[] = {
    { "moat_compile_config_new", offsetof(MoatCompiler, config_new), 0 },
    { "moat_compile_config_free", offsetof(MoatCompiler, config_free), 0 },
    { "moat_compile_config_set_opt_level",
      offsetof(MoatCompiler, set_opt_level), 0 },
    { "moat_compile_config_set_target", offsetof(MoatCompiler, set_target),
      0 },
    { "moat_compile_config_set_cpu", offsetof(MoatCompiler, set_cpu), 0 },
    { "moat_compile_config_set_output", offsetof(MoatCompiler, set_output),
      0 },
    { "moat_compile_config_set_threads", offsetof(MoatCompiler, set_threads),
      0 },
    { "moat_compile_config_set_interruptible",
      offsetof(MoatCompiler, set_interruptible), 1 },
    { "moat_compile_config_set_provable",
      offsetof(MoatCompiler, set_provable), 1 },
    { "moat_compile_config_set_time_limit",
      offsetof(MoatCompiler, set_time_limit), 1 },
    { "moat_compile_config_set_memory_limit",
      offsetof(MoatCompiler, set_memory_limit), 1 },
    { "moat_compile_config_set_strip_debug",
      offsetof(MoatCompiler, set_strip_debug), 1 },
    { "moat_compile", offsetof(MoatCompiler, compile), 0 },
    { "moat_free", offsetof(MoatCompiler, free), 0 },
    { "moat_compile_cpu_name", offsetof(MoatCompiler, cpu_name), 1 },
    /* from libLLVM, a dependency of the library: dlsym searches those */
    { "LLVMGetVersion", offsetof(MoatCompiler, llvm_version), 1 },
    { "LLVMGetDefaultTargetTriple", offsetof(MoatCompiler, llvm_triple), 1 },
    { "LLVMGetHostCPUName", offsetof(MoatCompiler, llvm_host_cpu), 1 },
    { "LLVMDisposeMessage", offsetof(MoatCompiler, llvm_dispose), 1 },
    { "moat_compile_config_set_name", offsetof(MoatCompiler, set_name), 1 },
    { "moat_compile_header", offsetof(MoatCompiler, header), 1 },
    { "moat_compile_config_set_observer",
      offsetof(MoatCompiler, set_observer), 1 },
    { "moat_compile_config_set_time_passes",
      offsetof(MoatCompiler, set_time_passes), 1 },
};

/* Why no candidate loaded: the error of the first one that exists (more
 * telling than "no such file" for the ones after it), else the last. */
typedef struct Why {
    char text[1024];
    bool is_from_existing;
} Why;

static void *
try_open(const char *path, Why *why)
{
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h && !why->is_from_existing) {
        const char *e = dlerror();
        snprintf(why->text, sizeof why->text, "%s", e ? e : path);
        why->is_from_existing = access(path, F_OK) == 0;
    }
    return h;
}

static void *
open_library(Why *why)
{
    char        path[4096];
    const char *env = getenv("MOAT_COMPILER_LIB");
    void       *h = NULL;

    if (env && env[0])
        h = try_open(env, why);
    ssize_t len = readlink("/proc/self/exe", path, sizeof path - 1);
    if (!h && len > 0) {
        path[len] = 0;
        char *slash = strrchr(path, '/');
        if (slash && (size_t)(slash + 1 - path) + sizeof LIB_NAME <=
                         sizeof path) {
            memcpy(slash + 1, LIB_NAME, sizeof LIB_NAME);
            h = try_open(path, why);
        }
    }
    if (!h)
        h = try_open(MOAT_COMPILER_LIBDIR "/" LIB_NAME, why);
    if (!h)
        h = try_open(LIB_NAME, why);    /* no slash: ld.so searches */
    return h;
}

#if defined(__SANITIZE_ADDRESS__)
/* AddressSanitizer builds: LLVM's thread-locals live in dynamic TLS once
 * the library is dlopen()ed, and LeakSanitizer (GCC 12) sometimes takes a
 * glibc 2.36 DTLS block for an older layout, scans a bogus range and dies
 * at exit ("Tracer caught signal 11"; google/sanitizers#1322). Not
 * tracking DTLS avoids it; ASAN_OPTIONS from the environment still win. */
__attribute__((visibility("default"), used)) const char *
__asan_default_options(void);

const char *
__asan_default_options(void)
{
    return "intercept_tls_get_addr=0";
}
#endif

const MoatCompiler *
moat_cli_compiler(void)
{
    char                why[1024];
    const MoatCompiler *cc = moat_cli_compiler_quiet(why, sizeof why);

    if (!cc)
        fprintf(stderr, "moat: cannot load the compiler (" LIB_NAME "): %s\n",
                why);
    return cc;
}

const MoatCompiler *
moat_cli_compiler_quiet(char *text, size_t n)
{
    static MoatCompiler api;
    static bool         is_loaded;
    Why                 why = { "", false };

    if (is_loaded)
        return &api;
    void *h = open_library(&why);
    for (size_t i = 0; h && i < sizeof syms / sizeof syms[0]; i++) {
        void *p = dlsym(h, syms[i].name);
        if (!p && !syms[i].is_optional) {
            snprintf(why.text, sizeof why.text, "no symbol %s",
                     syms[i].name);
            dlclose(h);
            h = NULL;
            break;
        }
        memcpy((char *)&api + syms[i].off, &p, sizeof p);
    }
    if (!h) {
        snprintf(text, n, "%s", why.text);
        return NULL;
    }
    is_loaded = true;                   /* kept loaded until exit */
    return &api;
}
