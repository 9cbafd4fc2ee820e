/* compile.c - the in-process compiler (moat_compile.h), as `moat compile`
 * uses it: compile IN.wasm to a native object for this host's CPU under a
 * time and a memory cap, write it to OUT.o and load it back to check it.
 * Run: compile IN.wasm OUT.o [CPU]. An unknown CPU is MOAT_ERR_OPTION
 * (exit 2), never an abort. compile_wasm is quoted in docs/embedding.md.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "moat.h"
#include "moat_compile.h"

/* wasm (len bytes) to a native object in *obj (free it with moat_free). */
static moat_status
compile_wasm(const uint8_t *wasm, size_t len, const char *cpu, uint8_t **obj,
             size_t *objlen, moat_error *err)
{
    moat_compile_config *cfg = NULL;
    moat_status          st = moat_compile_config_new(&cfg, err);

    if (st == MOAT_OK) {
        moat_compile_config_set_opt_level(cfg, 2);
        /* the compiler runs in a child process killed at either cap */
        moat_compile_config_set_time_limit(cfg, 60 * 1000);     /* ms */
        moat_compile_config_set_memory_limit(cfg, 2ull << 30);  /* bytes */
        /* "native" (the default) or e.g. "x86-64-v3"; a bad name is kept
         * and moat_compile fails with MOAT_ERR_OPTION and the message */
        moat_compile_config_set_cpu(cfg, cpu);
        st = moat_compile(cfg, wasm, len, obj, objlen, err);
    }
    moat_compile_config_free(cfg);
    return st;
}

static uint8_t *
read_file(const char *path, size_t *len)
{
    FILE    *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    long     n = -1;

    if (f && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
        fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) &&
        fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    if (!buf)
        perror(path);
    if (f)
        fclose(f);
    *len = n > 0 ? (size_t)n : 0;
    return buf;
}

int
main(int argc, char **argv)
{
    moat_error   err = { 0 };
    moat_engine *e = NULL;
    moat_module *m = NULL;
    uint8_t     *obj = NULL, *wasm;
    size_t       len, objlen = 0;
    moat_status  st;

    if (argc < 3 || argc > 4)
        return fprintf(stderr, "usage: compile IN.wasm OUT.o [CPU]\n"), 2;
    if (!(wasm = read_file(argv[1], &len)))
        return 2;
    st = compile_wasm(wasm, len, argc > 3 ? argv[3] : "native", &obj,
                      &objlen, &err);
    free(wasm);
    if (st != MOAT_OK) {
        fprintf(stderr, "compile: %s: %s\n", moat_status_string(st),
                err.msg);
        return st == MOAT_ERR_OPTION ? 2 : 1;
    }
    FILE *f = fopen(argv[2], "wb");
    bool  is_written = f && fwrite(obj, 1, objlen, f) == objlen;
    if (f && fclose(f) != 0)
        is_written = false;
    if (!is_written)
        return perror(argv[2]), moat_free(obj), 1;
    /* what a host does with it: load (the runtime checks the contract,
     * the host CPU's features included) */
    if (moat_engine_new(&e, &err) == MOAT_OK)
        st = moat_module_load_object(e, obj, objlen, &m, &err);
    int rc = m ? 0 : 1;
    if (m)
        printf("%s: %zu bytes, %zu exports\n", argv[2], objlen,
               moat_module_export_count(m));
    else
        fprintf(stderr, "compile: load: %s\n", err.msg);
    moat_module_free(m);
    moat_engine_free(e);
    moat_free(obj);
    return rc;
}
