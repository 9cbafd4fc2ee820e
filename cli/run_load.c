/* run_load.c - PROG of `moat run` as a module. A .wasm (by its magic
 * bytes, whatever its name) is compiled through the compile cache: a hit
 * loads the cached object and never loads the compiler; a miss, an
 * unusable entry or --no-cache compiles with the compiler library, and
 * the result fills the cache. .o files are verified by the runtime's
 * machine-code checker as they load, unless --no-verify trusts them (a
 * .so only runs so: docs/verify.md). Anything else is WebAssembly text,
 * translated to a binary first (files.c).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

/* PROG's bytes: a regular file within the size limit is mapped (no copy,
 * no fresh pages to fault in: a cache hit hashes the module and is done
 * with it), anything else (a pipe, /dev/stdin; or a file to refuse) is
 * read, within the limit. *is_mapped says how to release. */
static uint8_t *
get_bytes(const char *path, size_t *len, bool *is_mapped)
{
    int         fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    struct stat st;
    void       *p = MAP_FAILED;

    if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
        st.st_size > 0 && (uint64_t)st.st_size <= moat_cli_file_limit())
        p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (fd >= 0)
        close(fd);
    *is_mapped = p != MAP_FAILED;
    if (!*is_mapped)
        return moat_cli_read_file(path, len);   /* and its error message */
    *len = (size_t)st.st_size;
    return p;
}

uint64_t
moat_cli_default_compile_ms(size_t len)
{
    return 300000u + (uint64_t)len * 300000u / 1000000u;
}

uint64_t
moat_cli_default_compile_memory(size_t len)
{
    return (UINT64_C(2) << 30) + (uint64_t)len * (UINT64_C(1) << 30) /
                                     1000000u;
}

/* The compile step of `moat run`, under its caps: a compiler that runs
 * away is stopped, whatever --timeout says (that one covers running). */
int
moat_cli_compile_object(const RunOptions *o, const uint8_t *bytes,
                        size_t len, bool interruptible, uint8_t **obj,
                        size_t *objlen)
{
    const MoatCompiler  *cc = moat_cli_compiler();
    moat_compile_config *cfg = NULL;
    moat_error           err = { 0 };
    uint64_t ms = o->has_compile_timeout ? o->compile_timeout_ns / 1000000u
                                         : moat_cli_default_compile_ms(len);
    uint64_t mem = o->has_compile_memory
                       ? o->compile_memory
                       : moat_cli_default_compile_memory(len);

    if (!cc)
        return EXIT_BAD_INPUT;
    if (o->has_compile_timeout && o->compile_timeout_ns && !ms)
        ms = 1;                         /* below 1 ms: 1 ms, not none */
    moat_status st = cc->config_new(&cfg, &err);
    if (st == MOAT_OK) {
        cc->set_opt_level(cfg, o->opt_level);
        if (cc->set_interruptible)      /* else: the alarm (cmd_run.c) */
            cc->set_interruptible(cfg, interruptible);
        if (cc->set_time_limit && cc->set_memory_limit) {
            cc->set_time_limit(cfg, ms);
            cc->set_memory_limit(cfg, mem);
        }
        st = cc->compile(cfg, bytes, len, obj, objlen, &err);
    }
    cc->config_free(cfg);
    if (st != MOAT_OK) {
        moat_cli_report(o->prog, &err);
        return moat_cli_status_exit(st);
    }
    return EXIT_OK;
}

/* No cache directory can be named: say so once, then compile in memory. */
static bool
cache_dir(char *buf, size_t n)
{
    if (moat_cli_cache_dir(buf, n))
        return true;
    fprintf(stderr, "moat: warning: no cache directory (set MOAT_CACHE_DIR, "
                    "XDG_CACHE_HOME or HOME); compiling in memory\n");
    return false;
}

static int
load_wasm(moat_engine *e, const RunOptions *o, bool interruptible,
          const uint8_t *bytes, size_t len, moat_module **out)
{
    char     dir[4096];
    int      dfd = !o->no_cache && cache_dir(dir, sizeof dir)
                       ? moat_cli_cache_open(dir)
                       : -1;
    CacheKey k;

    if (dfd >= 0) {
        moat_cli_cache_key(bytes, len, o->opt_level, interruptible, &k);
        if (moat_cli_cache_load(e, dfd, dir, &k, out)) {
            close(dfd);
            return EXIT_OK;
        }
    }
    uint8_t *obj = NULL;
    size_t   objlen = 0;
    int      rc = moat_cli_compile_object(o, bytes, len, interruptible, &obj,
                                          &objlen);
    if (rc != EXIT_OK) {
        if (dfd >= 0)
            close(dfd);
        return rc;
    }
    moat_error err = { 0 };
    if (moat_module_load_object(e, obj, objlen, out, &err) != MOAT_OK) {
        moat_cli_report(o->prog, &err);
        rc = EXIT_BAD_INPUT;
    } else if (dfd >= 0) {
        moat_cli_cache_store(dfd, dir, &k, obj, objlen); /* what loads */
    }
    if (dfd >= 0)
        close(dfd);
    moat_cli_compiler()->free(obj);
    return rc;
}

int
moat_cli_load(moat_engine *e, const RunOptions *o, bool interruptible,
              moat_module **out)
{
    size_t   len;
    bool     is_mapped;
    uint8_t *bytes = get_bytes(o->prog, &len, &is_mapped);
    int      rc = EXIT_OK;

    *out = NULL;
    if (!bytes)
        return EXIT_USAGE;
    if (len >= 4 && !memcmp(bytes, "\0asm", 4)) {
        rc = load_wasm(e, o, interruptible, bytes, len, out);
    } else if (moat_cli_is_text(bytes, len)) {
        size_t   n = len;
        uint8_t *bin = moat_cli_from_text(o->prog, bytes, &n);
        rc = bin ? load_wasm(e, o, interruptible, bin, n, out)
                 : EXIT_BAD_INPUT;
        moat_cli_free_file(bin);
    } else {
        /* the bytes already read: a pipe cannot be read twice */
        moat_error err = { 0 };
        unsigned   flags = o->is_unverified ? MOAT_LOAD_TRUSTED : 0;
        if (moat_module_load_object_flags(e, bytes, len, flags, out, &err) !=
            MOAT_OK) {
            moat_cli_report(o->prog, &err);
            rc = EXIT_BAD_INPUT;
        }
    }
    if (is_mapped)
        munmap(bytes, len);
    else
        moat_cli_free_file(bytes);
    return rc;
}
