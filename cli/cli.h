/* cli.h - the `moat` command-line tool: one file per subcommand, and for
 * `moat run` one file per job (options, loading, cache, WASI, reporting).
 * The executable links the runtime and the front-end only; the compiler
 * is reached through compiler_dl.c.
 */
#ifndef MOAT_CLI_H
#define MOAT_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "moat.h"
#include "moat_compile.h"
#include "moat_wasi.h"
#include "units.h"

/* Exit statuses shared by every subcommand (docs/cli.md). A trap exits
 * like SIGABRT would (128 + 6); a timeout like timeout(1). */
enum {
    EXIT_OK = 0,
    EXIT_BAD_INPUT = 1,         /* a file or module we cannot use */
    EXIT_USAGE = 2,             /* bad command line */
    EXIT_LIMIT = 3,             /* beyond an implementation limit, or the
                                 * compilation passed its time or memory
                                 * cap (docs/limits.md) */
    EXIT_TIMEOUT = 124,         /* moat run --timeout expired */
    EXIT_TRAP = 134             /* the guest trapped */
};

/* The exit status for a failed moat_status: EXIT_LIMIT for
 * MOAT_ERR_LIMIT, else EXIT_BAD_INPUT (files.c). */
int moat_cli_status_exit(moat_status st);

/* files.c: reads a whole file of at most moat_cli_file_limit() bytes
 * (runtime/util_io.c: directories and devices are refused, a pipe is read
 * to that limit); prints `moat: PATH: reason` on failure. The buffer is
 * the caller's (moat_cli_free_file). */
uint8_t *moat_cli_read_file(const char *path, size_t *len);
void     moat_cli_free_file(uint8_t *bytes);
/* files.c: a module file may be WebAssembly text: whatever starts with
 * neither "\0asm" nor "\177ELF" (an artifact) and has no NUL byte in
 * its first 4 KiB is text. from_text
 * translates and validates it (frontend/wat.c): the binary
 * (moat_cli_free_file; *len updated), or NULL after printing
 * `PATH:LINE:COL: error: ...` (exit status EXIT_BAD_INPUT).
 * read_module = read_file, then from_text for text; NULL: *rc is the exit
 * status (EXIT_USAGE: unreadable, EXIT_BAD_INPUT: bad text). */
bool     moat_cli_is_text(const uint8_t *bytes, size_t len);
uint8_t *moat_cli_from_text(const char *path, const uint8_t *text,
                            size_t *len);
uint8_t *moat_cli_read_module(const char *path, size_t *len, int *rc);
/* MOAT_FILE_LIMIT, or the smaller $MOAT_TEST_FILE_LIMIT (bytes; for tests,
 * which cannot write a gigabyte). */
uint64_t moat_cli_file_limit(void);
/* Prints `PATH:0xOFF: error: STATUS: MESSAGE` on stderr. */
void moat_cli_report(const char *path, const moat_error *err);

int moat_cmd_validate(int argc, char **argv);
int moat_cmd_wast(int argc, char **argv);

/* wast_exec.c: the runtime of `moat wast` (cmd_wast.c). */
typedef struct WastInst {
    char          *name;        /* "$id" of the module command, or NULL */
    moat_module   *mod;
    moat_instance *inst;        /* NULL when instantiation failed */
} WastInst;

typedef struct WastRun {
    const struct MoatCompiler *cc;
    moat_compile_config *cfg;
    moat_engine   *engine;
    moat_linker   *linker;      /* spectest and registered instances */
    size_t         current;     /* inst[current - 1]: the last module
                                 * instantiated; 0: none yet */
    WastInst      *inst;
    size_t         n, cap;
} WastRun;

bool moat_wast_begin(WastRun *x, char *why, size_t n);
void moat_wast_end(WastRun *x);
/* Compiles, loads and instantiates wasm; the instance becomes the current
 * one (and name's, when given) on success. */
moat_status moat_wast_instantiate(WastRun *x, const uint8_t *wasm,
                                  size_t len, const char *name,
                                  moat_error *err);
/* The instance named name ("$id"), or the current one (name NULL). */
const WastInst *moat_wast_find(WastRun *x, const char *name);
bool moat_wast_register(WastRun *x, const char *as, const char *name,
                        char *why, size_t n);
int moat_cmd_inspect(int argc, char **argv);
int moat_cmd_compile(int argc, char **argv);
int moat_cmd_run(int argc, char **argv);
int moat_cmd_cache(int argc, char **argv);
int moat_cmd_serve(int argc, char **argv);
/* `moat verify` execs moat-verify (helper_exec.c), which runs
 * moat_cmd_verify (cmd_verify.c) */
int moat_cmd_verify_exec(int argc, char **argv);
int moat_cmd_verify(int argc, char **argv);

/* values.c: command-line values of `moat run --invoke`. */
bool moat_cli_parse_value(const char *s, uint8_t type, moat_val *out);
void moat_cli_print_value(const moat_val *v);
const char *moat_cli_type_name(uint8_t type);

/* compile_out.c: the output of `moat compile`. The default name for
 * input `in` (its file name, .wasm replaced by .o, .so, .s, .ll or .bc,
 * in the current directory) in buf; false for `-` or when none fits. */
bool moat_cli_default_output(const char *in, moat_output kind,
                             bool is_shared, char *buf, size_t n);
bool moat_cli_is_text_output(moat_output kind, bool is_shared);
/* Writes n bytes to path, or to standard output for "-"; EXIT_OK or a
 * status after printing why. */
int  moat_cli_write_output(const char *path, const uint8_t *p, size_t n);
/* The file at path, copied to standard output. */
int  moat_cli_copy_to_stdout(const char *path);

/* compiler_dl.c: the compiler library (libmoat-compiler.so), loaded on
 * first use. Members are its moat_compile.h functions; set_interruptible
 * is NULL when the library predates it. */
typedef struct MoatCompiler {
    moat_status (*config_new)(moat_compile_config **out, moat_error *err);
    void        (*config_free)(moat_compile_config *c);
    void        (*set_opt_level)(moat_compile_config *c, int level);
    moat_status (*set_target)(moat_compile_config *c, const char *triple);
    moat_status (*set_cpu)(moat_compile_config *c, const char *cpu);
    void        (*set_output)(moat_compile_config *c, moat_output kind);
    void        (*set_threads)(moat_compile_config *c, int n);
    void        (*set_interruptible)(moat_compile_config *c, int on);
    void        (*set_provable)(moat_compile_config *c, int on);
    void        (*set_time_limit)(moat_compile_config *c, uint64_t ms);
    void        (*set_memory_limit)(moat_compile_config *c, uint64_t bytes);
    void        (*set_strip_debug)(moat_compile_config *c, int on);
    moat_status (*compile)(const moat_compile_config *c,
                           const uint8_t *bytes, size_t len, uint8_t **out,
                           size_t *out_len, moat_error *err);
    void        (*free)(void *p);
    const char *(*cpu_name)(size_t i);      /* NULL in older libraries */
    /* LLVM's own C API, reached through the library (for --version) */
    void        (*llvm_version)(unsigned *major, unsigned *minor,
                                unsigned *patch);
    char       *(*llvm_triple)(void);
    char       *(*llvm_host_cpu)(void);
    void        (*llvm_dispose)(char *msg);
    /* optional: plugins (--name, --header) */
    moat_status (*set_name)(moat_compile_config *c, const char *name);
    moat_status (*header)(const moat_compile_config *c, const uint8_t *bytes,
                          size_t len, const char *prefix, char **out,
                          size_t *out_len, moat_error *err);
    /* optional: progress and --time-report */
    void        (*set_observer)(moat_compile_config *c,
                                moat_compile_observer fn, void *user);
    void        (*set_time_passes)(moat_compile_config *c, int on);
} MoatCompiler;

/* The loaded compiler (static storage), or NULL after printing
 * `moat: cannot load the compiler (libmoat-compiler.so): REASON`. */
const MoatCompiler *moat_cli_compiler(void);
/* The same without printing: why in buf. */
const MoatCompiler *moat_cli_compiler_quiet(char *why, size_t n);

/* run_options.c: `moat run [OPTIONS] PROG [ARGS...]`. */
typedef struct RunOptions {
    const char  *prog;          /* PROG as given: also the guest's argv[0] */
    char       **args;          /* what follows PROG, untouched */
    int          nargs;
    const char  *invoke;        /* --invoke NAME, or NULL: run _start */
    const char **dirs;          /* --dir values, "HOST[::GUEST]" */
    int          ndirs;
    const char **envs;          /* --env values, "NAME=VALUE" */
    int          nenvs;
    bool         inherit_env;
    uint64_t     timeout_ns;    /* 0: none */
    const char  *timeout_text;  /* as given, for messages */
    uint64_t     max_memory;    /* 0: none */
    const char  *max_memory_text;
    uint64_t     stack_size;    /* 0: the runtime's default */
    int          opt_level;     /* -O0..-O3 of the compile step */
    /* --compile-timeout / --compile-memory: caps on the compile step;
     * 0 with is_set: none; not set: the defaults (run_load.c) */
    uint64_t     compile_timeout_ns, compile_memory;
    bool         has_compile_timeout, has_compile_memory;
    bool         no_cache;
    bool         is_unverified;     /* --no-verify: .o/.so trusted */
    bool         has_profile;   /* --profile given: profilers replace the
                                 * engine's default */
    unsigned     profilers;     /* moat_profiler flags */
    bool         is_help;       /* --help: usage printed, nothing to run */
} RunOptions;

/* Fills o from argv (argv[0] is "run"); EXIT_OK, or EXIT_USAGE after
 * printing why. Free o's arrays with moat_cli_run_options_free. */
int  moat_cli_run_options(int argc, char **argv, RunOptions *o);
void moat_cli_run_options_free(RunOptions *o);
void moat_cli_run_usage(FILE *f);

/* run_load.c: PROG as a module. A .wasm goes through the compile cache
 * (or is compiled in memory); .o and .so are loaded as they are. EXIT_OK
 * with *out the caller's, or the exit status after printing why. */
int moat_cli_load(moat_engine *e, const RunOptions *o, bool interruptible,
                  moat_module **out);
/* Compiles wasm bytes to an object with the compiler library; EXIT_OK
 * with *obj (free with the library's free) or a status after printing. */
int moat_cli_compile_object(const RunOptions *o, const uint8_t *bytes,
                            size_t len, bool interruptible, uint8_t **obj,
                            size_t *objlen);
/* The default compile caps of `moat run` for a module of len bytes:
 * 300 s + 300 s per MB, 2 GiB + 1 GiB per MB (docs/cli.md). */
uint64_t moat_cli_default_compile_ms(size_t len);
uint64_t moat_cli_default_compile_memory(size_t len);

/* cache_tag.c: the tag that marks a cache entry as verified by this
 * user's moat (HMAC under the cache directory's key). */
#define MOAT_CLI_TAG_LEN 40u
/* The trailer to append to obj (tag + magic); false when the key cannot
 * be read or made (the entry is then stored untagged). */
bool   moat_cli_cache_tag(int dfd, const uint8_t *obj, size_t len,
                          uint8_t trailer[MOAT_CLI_TAG_LEN]);
/* The object's length within entry[0..len) (the trailer, if any, cut
 * off); *is_verified when the trailer's tag is this user's for it. */
size_t moat_cli_cache_untag(int dfd, const uint8_t *entry, size_t len,
                            bool *is_verified);

/* cache.c: the compile cache (docs/cli.md, "compile cache"). */
typedef struct CacheKey {
    uint8_t module_hash[32];    /* SHA-256 of the module bytes */
    char    hex[65];            /* the entry's name, without ".o" */
} CacheKey;

/* The cache directory (not created): $MOAT_CACHE_DIR, else
 * $XDG_CACHE_HOME/moat, else $HOME/.cache/moat. false when none can be
 * named or it does not fit in n bytes. */
bool moat_cli_cache_dir(char *buf, size_t n);
void moat_cli_cache_key(const uint8_t *bytes, size_t len, int opt_level,
                        bool interruptible, CacheKey *k);
/* The cache directory, created (0700) when missing, as an open
 * descriptor (close it), or -1 after a one-line warning: it cannot be made
 * or opened, or it is not to be trusted (not owned by the effective user,
 * or writable by group or others). */
int  moat_cli_cache_open(const char *dir);
/* A hit: the entry of dfd (dir names it in messages), loaded and checked,
 * in *out. false on a miss; an entry that is there but unusable or not to
 * be trusted (not a regular file owned by us and writable only by us)
 * gives a one-line warning too. */
bool moat_cli_cache_load(moat_engine *e, int dfd, const char *dir,
                         const CacheKey *k, moat_module **out);
/* Writes the entry (0600) atomically; warns once on failure. */
void moat_cli_cache_store(int dfd, const char *dir, const CacheKey *k,
                          const uint8_t *obj, size_t len);

/* host_id.c: what the compiler's host-default target depends on (CPU
 * vendor, model and features), found without LLVM; static storage. */
const char *moat_cli_host_id(void);

/* run_wasi.c: the guest's system from the options (argv, environment,
 * preopened directories), defined in l. EXIT_OK with *out the caller's
 * (moat_wasi_free after the instance), or a status after printing. */
int moat_cli_wasi_setup(const RunOptions *o, moat_linker *l,
                        moat_wasi **out);

/* run_invoke.c: `--invoke NAME`: call one export with typed values. */
int moat_cli_invoke(moat_instance *inst, const moat_module *m,
                    const RunOptions *o);

/* run_report.c: the exit status for how a call ended, after printing the
 * trap line `moat: trap: WORDING in function NAME` when it trapped. */
int  moat_cli_outcome(moat_instance *inst, const RunOptions *o,
                      moat_status st, const moat_error *err);

/* run_timeout.c: the process-wide --timeout alarm. When it fires, it
 * prints `moat: trap: interrupted (timeout after TEXT) WHERE` and ends the
 * process with EXIT_TIMEOUT. */
void moat_cli_arm_alarm(uint64_t ns, const char *text, const char *where);
/* Stops it once the guest is done: tearing down must not count. */
void moat_cli_disarm_alarm(void);

#endif
