/* wasi_define.c - the table of wasi_snapshot_preview1: each function's
 * name, wasm signature and C implementation, and moat_wasi_define which
 * registers all 46 in a linker as caller-aware host functions bound to a
 * moat_wasi. Signatures are the witx ones lowered to core wasm: pointers,
 * u8/u16/u32 and handles are i32, u64/s64 are i64, results are an errno
 * (i32) except for proc_exit.
 */
#include "util.h"
#include "wasi_impl.h"

typedef struct WasiFunc {
    const char    *name;
    const char    *params;      /* 'i' i32, 'I' i64 */
    bool           has_result;  /* an i32 errno */
    moat_native_fn fn;
} WasiFunc;

#define F(name, params) { #name, params, true, (moat_native_fn)moatW_##name }

static const WasiFunc funcs[] = {
    F(args_get, "ii"),
    F(args_sizes_get, "ii"),
    F(environ_get, "ii"),
    F(environ_sizes_get, "ii"),
    F(clock_res_get, "ii"),
    F(clock_time_get, "iIi"),
    F(fd_advise, "iIIi"),
    F(fd_allocate, "iII"),
    F(fd_close, "i"),
    F(fd_datasync, "i"),
    F(fd_fdstat_get, "ii"),
    F(fd_fdstat_set_flags, "ii"),
    F(fd_fdstat_set_rights, "iII"),
    F(fd_filestat_get, "ii"),
    F(fd_filestat_set_size, "iI"),
    F(fd_filestat_set_times, "iIIi"),
    F(fd_pread, "iiiIi"),
    F(fd_prestat_get, "ii"),
    F(fd_prestat_dir_name, "iii"),
    F(fd_pwrite, "iiiIi"),
    F(fd_read, "iiii"),
    F(fd_readdir, "iiiIi"),
    F(fd_renumber, "ii"),
    F(fd_seek, "iIii"),
    F(fd_sync, "i"),
    F(fd_tell, "ii"),
    F(fd_write, "iiii"),
    F(path_create_directory, "iii"),
    F(path_filestat_get, "iiiii"),
    F(path_filestat_set_times, "iiiiIIi"),
    F(path_link, "iiiiiii"),
    F(path_open, "iiiiiIIii"),
    F(path_readlink, "iiiiii"),
    F(path_remove_directory, "iii"),
    F(path_rename, "iiiiii"),
    F(path_symlink, "iiiii"),
    F(path_unlink_file, "iii"),
    F(poll_oneoff, "iiii"),
    { "proc_exit", "i", false, (moat_native_fn)moatW_proc_exit },
    F(proc_raise, "i"),
    F(sched_yield, ""),
    F(random_get, "ii"),
    F(sock_accept, "iii"),
    F(sock_recv, "iiiiii"),
    F(sock_send, "iiiii"),
    F(sock_shutdown, "ii"),
};

#undef F

_Static_assert(sizeof funcs / sizeof *funcs == 46,
               "wasi_snapshot_preview1 has 46 functions");

moat_status
moat_wasi_define(moat_linker *l, moat_wasi *w, moat_error *err)
{
    static const uint8_t result[1] = { MOAT_I32 };

    for (size_t i = 0; i < sizeof funcs / sizeof *funcs; i++) {
        const WasiFunc *f = &funcs[i];
        uint8_t         params[16];
        uint32_t        n = 0;
        for (const char *p = f->params; *p; p++)
            params[n++] = *p == 'I' ? MOAT_I64 : MOAT_I32;
        moat_status st = moat_linker_define_func_caller(
            l, "wasi_snapshot_preview1", f->name, params, n, result,
            f->has_result ? 1 : 0, f->fn, w, err);
        if (st != MOAT_OK)
            return st;
    }
    return MOAT_OK;
}
