/* compile_in_process.c - a host that compiles a .wasm itself, with the
 * in-process compiler (moat_compile.h, libmoat-compiler), and runs it:
 * what `moat compile` + host.c do through a file. Build against an
 * installed Moat with `cc compile_in_process.c $(pkg-config --cflags
 * --libs moat-compiler)`; run: compile_in_process plugin.wasm N, which
 * prints sum_to(N) of examples/plugin.wat.
 */
#include <stdio.h>
#include <stdlib.h>

#include "moat.h"
#include "moat_compile.h"

/* plugin.wat's import env.log_number: (i32) -> (), host_ctx first. */
static void
log_number(void *ctx, uint32_t n)
{
    (void)ctx;
    printf("guest says: %u\n", n);
}

static uint8_t *
read_file(const char *path, size_t *len)
{
    FILE    *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    long     n = -1;

    if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) != 0 || !(buf = malloc((size_t)n + 1)) ||
        fread(buf, 1, (size_t)n, f) != (size_t)n) {
        perror(path);
        free(buf);
        buf = NULL;
    }
    if (f)
        fclose(f);
    *len = (size_t)(n > 0 ? n : 0);
    return buf;
}

/* wasm bytes -> native object (owned by the compiler: moat_free) ->
 * module; the module keeps what it needs of the object. */
static moat_status
compile_and_load(moat_engine *e, const uint8_t *wasm, size_t len,
                 moat_module **m, moat_error *err)
{
    moat_compile_config *cfg = NULL;
    uint8_t             *obj = NULL;
    size_t               objlen = 0;
    moat_status          st = moat_compile_config_new(&cfg, err);

    if (st == MOAT_OK)
        st = moat_compile(cfg, wasm, len, &obj, &objlen, err);
    if (st == MOAT_OK)
        st = moat_module_load_object(e, obj, objlen, m, err);
    moat_free(obj);
    moat_compile_config_free(cfg);
    return st;
}

int
main(int argc, char **argv)
{
    static const uint8_t i32[] = { MOAT_I32 };
    moat_engine   *e = NULL;
    moat_module   *m = NULL;
    moat_linker   *l = NULL;
    moat_instance *inst = NULL;
    moat_error     err = { 0 };
    size_t         len = 0;
    uint8_t       *wasm = argc == 3 ? read_file(argv[1], &len) : NULL;
    moat_val       arg = { .type = MOAT_I32 }, res;

    if (argc != 3)
        return fprintf(stderr, "usage: compile_in_process FILE.wasm N\n"), 2;
    if (!wasm)
        return 1;
    arg.of.i32 = (uint32_t)strtoul(argv[2], NULL, 10);
    moat_status st = moat_engine_new(&e, &err);
    if (st == MOAT_OK)
        st = compile_and_load(e, wasm, len, &m, &err);
    if (st == MOAT_OK)
        st = moat_linker_new(e, &l, &err);
    if (st == MOAT_OK)
        st = moat_linker_define_func(l, "env", "log_number", i32, 1, NULL, 0,
                                     (moat_native_fn)log_number, NULL, &err);
    if (st == MOAT_OK)
        st = moat_instance_new(l, m, &inst, &err);
    if (st == MOAT_OK)
        st = moat_instance_call(inst, "sum_to", &arg, 1, &res, 1, &err);
    if (st == MOAT_OK)
        printf("sum_to(%u) = %llu\n", arg.of.i32,
               (unsigned long long)res.of.i64);
    else
        fprintf(stderr, "compile_in_process: %s: %s\n",
                moat_status_string(st), err.msg);
    moat_instance_free(inst);
    moat_linker_free(l);
    moat_module_free(m);
    moat_engine_free(e);
    free(wasm);
    return st == MOAT_OK ? 0 : 1;
}
