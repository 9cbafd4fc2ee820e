/* config.c - moat_compile_config: the options of a compilation
 * (moat_compile.h); compile.c reads them.
 */
#include <string.h>

#include <llvm-c/Support.h>

#include "emit.h"
#include "header.h"

moat_status
moat_compile_config_new(moat_compile_config **out, moat_error *err)
{
    moat_compile_config *c = moatU_calloc(1, sizeof *c);
    *out = NULL;
    if (!c)
        return moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_NOMEM,
                          "out of memory"), MOAT_ERR_NOMEM;
    c->opt_level = 2;
    *out = c;
    return MOAT_OK;
}

void
moat_compile_config_free(moat_compile_config *c)
{
    if (!c)
        return;
    moatU_free(c->triple);
    moatU_free(c->cpu);
    moatU_free(c->name);
    moatU_free(c);
}

void
moat_compile_config_set_opt_level(moat_compile_config *c, int level)
{
    c->opt_level = level < 0 ? 0 : level > 3 ? 3 : level;
}

static moat_status
set_string(char **slot, const char *s)
{
    char *copy = NULL;
    if (s) {
        size_t n = strlen(s) + 1;
        if (!(copy = moatU_alloc(n)))
            return MOAT_ERR_NOMEM;
        memcpy(copy, s, n);
    }
    moatU_free(*slot);
    *slot = copy;
    return MOAT_OK;
}

/* A value LLVM would not take is kept all the same, so that moat_compile
 * fails with the message (these setters have no moat_error) rather than
 * quietly compiling for something else. */
moat_status
moat_compile_config_set_target(moat_compile_config *c, const char *triple)
{
    moat_status st = set_string(&c->triple, triple);
    if (st == MOAT_OK && !moatL_check_triple(triple, NULL))
        st = MOAT_ERR_OPTION;
    return st;
}

moat_status
moat_compile_config_set_cpu(moat_compile_config *c, const char *cpu)
{
    moat_status st = set_string(&c->cpu, cpu);
    if (st == MOAT_OK && !moatL_check_cpu(cpu, NULL))
        st = MOAT_ERR_OPTION;
    return st;
}

moat_status
moat_compile_config_set_name(moat_compile_config *c, const char *name)
{
    if (name && (strlen(name) > MOAT_PLUGIN_NAME_MAX ||
                 !moatL_is_c_ident(name, strlen(name))))
        return MOAT_ERR_INVALID;
    return set_string(&c->name, name);
}

void
moat_compile_config_set_output(moat_compile_config *c, moat_output kind)
{
    c->output = kind;
}

void
moat_compile_config_set_threads(moat_compile_config *c, int n)
{
    c->threads = n < 0 ? 0 : n;
}

void
moat_compile_config_set_interruptible(moat_compile_config *c, int on)
{
    c->is_interruptible = on != 0;
}

void
moat_compile_config_set_provable(moat_compile_config *c, int on)
{
    c->is_provable = on != 0;
}

void
moat_compile_config_set_strip_debug(moat_compile_config *c, int on)
{
    c->is_debug_stripped = on != 0;
}

void
moat_compile_config_set_time_limit(moat_compile_config *c, uint64_t ms)
{
    c->time_limit_ms = ms;
}

void
moat_compile_config_set_memory_limit(moat_compile_config *c, uint64_t bytes)
{
    c->mem_limit = bytes;
}

void
moat_free(void *p)
{
    moatU_free(p);
}

void
moat_compile_config_set_observer(moat_compile_config *c,
                                 moat_compile_observer fn, void *user)
{
    c->observer = fn;
    c->observer_user = user;
}

static pthread_once_t time_passes_once = PTHREAD_ONCE_INIT;

static void
time_passes_on(void)
{
    const char *const argv[] = { "moat", "-time-passes" };
    LLVMParseCommandLineOptions(2, argv, NULL);
}

void
moat_compile_config_set_time_passes(moat_compile_config *c, int on)
{
    (void)c;
    if (on)
        pthread_once(&time_passes_once, time_passes_on);
}
