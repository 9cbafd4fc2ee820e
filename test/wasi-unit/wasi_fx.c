/* wasi_fx.c - the WASI unit tests' fixture (see wasi_fx.h): compiles the
 * guest with the compiler library, instantiates it with moat_wasi_define,
 * and moves values in and out of guest memory (little-endian).
 */
#include "guest_fx.h"
#include "wasi_fx.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "moat_compile.h"

static uint8_t *obj;
static size_t   objlen;

int
fx_compile(const char *path)
{
    obj = moatT_compile_file(path, 1, &objlen);
    return 0;
}

void
fx_uncompile(void)
{
    moat_free(obj);
    obj = NULL;
}

int
fx_group_setup(void **state)
{
    (void)state;
    return fx_compile(WASI_WASM);
}

int
fx_group_teardown(void **state)
{
    (void)state;
    fx_uncompile();
    return 0;
}

void
fx_new(Fx *fx)
{
    moat_error err = { 0 };

    memset(fx, 0, sizeof *fx);
    assert_int_equal(moat_wasi_new(&fx->w, &err), MOAT_OK);
}

void
fx_load(Fx *fx)
{
    moat_error err = { 0 };

    assert_int_equal(moat_module_load_object(fx->e, obj, objlen, &fx->m,
                                             &err), MOAT_OK);
}

void
fx_start(Fx *fx)
{
    moat_error err = { 0 };

    assert_int_equal(moat_engine_new(&fx->e, &err), MOAT_OK);
    fx_load(fx);
    assert_int_equal(moat_linker_new(fx->e, &fx->l, &err), MOAT_OK);
    assert_int_equal(moat_wasi_define(fx->l, fx->w, &err), MOAT_OK);
    if (moat_instance_new(fx->l, fx->m, &fx->inst, &err) != MOAT_OK)
        fail_msg("instantiation failed: %s", err.msg);
}

void
fx_free(Fx *fx)
{
    moat_instance_free(fx->inst);
    moat_linker_free(fx->l);
    moat_module_free(fx->m);
    moat_engine_free(fx->e);
    moat_wasi_free(fx->w);
    memset(fx, 0, sizeof *fx);
}

uint32_t
fx_call(Fx *fx, const char *name, const char *sig, ...)
{
    moat_val   args[16], res = { 0 };
    moat_error err = { 0 };
    size_t     n = 0;
    va_list    ap;

    va_start(ap, sig);
    for (; sig[n]; n++) {
        uint64_t v = va_arg(ap, uint64_t);
        args[n].type = sig[n] == 'I' ? MOAT_I64 : MOAT_I32;
        if (sig[n] == 'I')
            args[n].of.i64 = v;
        else
            args[n].of.i32 = (uint32_t)v;
    }
    va_end(ap);
    moat_status st = moat_instance_call(fx->inst, name, args, n, &res, 1,
                                        &err);
    if (st != MOAT_OK)
        fail_msg("%s: status %d: %s", name, (int)st, err.msg);
    return res.of.i32;
}

moat_status
fx_call_status(Fx *fx, const char *name, uint32_t arg, moat_error *err)
{
    moat_val a = { .type = MOAT_I32 };

    a.of.i32 = arg;
    memset(err, 0, sizeof *err);
    return moat_instance_call(fx->inst, name, &a, 1, NULL, 0, err);
}

void
fx_write(Fx *fx, uint32_t at, const void *p, size_t n)
{
    moat_error err = { 0 };
    assert_int_equal(moat_instance_memory_write(fx->inst, at, p, n, &err),
                     MOAT_OK);
}

void
fx_read(Fx *fx, uint32_t at, void *p, size_t n)
{
    moat_error err = { 0 };
    assert_int_equal(moat_instance_memory_read(fx->inst, at, p, n, &err),
                     MOAT_OK);
}

void
fx_put32(Fx *fx, uint32_t at, uint32_t v)
{
    uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
                     (uint8_t)(v >> 24) };
    fx_write(fx, at, b, 4);
}

uint32_t
fx_get32(Fx *fx, uint32_t at)
{
    uint8_t b[4];
    fx_read(fx, at, b, 4);
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
           (uint32_t)b[3] << 24;
}

uint64_t
fx_get64(Fx *fx, uint32_t at)
{
    return (uint64_t)fx_get32(fx, at) | (uint64_t)fx_get32(fx, at + 4) << 32;
}

void
fx_iovec(Fx *fx, uint32_t at, uint32_t buf, uint32_t len)
{
    fx_put32(fx, at, buf);
    fx_put32(fx, at + 4, len);
}

void
fx_tmpdir(char *buf, size_t n)
{
    const char *t = getenv("TMPDIR");
    snprintf(buf, n, "%s/moat-wasi-XXXXXX", t && *t ? t : "/tmp");
    assert_non_null(mkdtemp(buf));
}

int
fx_temp_file(const char *text, int extra)
{
    char path[256];
    fx_tmpdir(path, sizeof path - 8);
    strcat(path, "/f");
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | extra, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    unlink(path);
    *strrchr(path, '/') = '\0';
    rmdir(path);
    return fd;
}

void
fx_rmtree(const char *path)
{
    DIR *d = opendir(path);
    if (d) {
        struct dirent *de;
        while ((de = readdir(d))) {
            if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                continue;
            char sub[4096];
            snprintf(sub, sizeof sub, "%s/%s", path, de->d_name);
            struct stat st;
            if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
                fx_rmtree(sub);
            else
                unlink(sub);
        }
        closedir(d);
    }
    rmdir(path);
}
