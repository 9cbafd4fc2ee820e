/* target.c - which target triples and CPUs the compiler accepts, checked
 * before LLVM sees them: LLVM reports an unknown CPU with a warning and
 * then, on x86-64, aborts the process ("64-bit code requested on a
 * subtarget that doesn't support it"), and the lowering reads the x86-64
 * stack pointer, so any other architecture ends in an LLVM fatal error
 * too. The CPU names come from llc at build time (cpus.sh).
 */
#include <string.h>

#include <llvm-c/Target.h>

#include "emit.h"

typedef struct Cpu {
    const char *name;
    bool        is_64bit;       /* can run x86-64 code */
} Cpu;

static const Cpu cpus[] = {
#include "cpus.inc"
};

enum { NCPUS = sizeof cpus / sizeof cpus[0] };

const char *
moat_compile_cpu_name(size_t i)
{
    if (i == 0)
        return "native";
    for (size_t k = 0; k < NCPUS; k++)
        if (cpus[k].is_64bit && --i == 0)
            return cpus[k].name;
    return NULL;
}

bool
moatL_check_cpu(const char *cpu, moat_error *err)
{
    if (!cpu || !strcmp(cpu, "native"))
        return true;
    for (size_t k = 0; k < NCPUS; k++) {
        if (strcmp(cpus[k].name, cpu) != 0)
            continue;
        if (cpus[k].is_64bit)
            return true;
        return moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_OPTION,
                          "CPU '%s' cannot run x86-64 code (-mcpu=help "
                          "lists the CPUs)", cpu);
    }
    return moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_OPTION,
                      "unknown CPU '%.64s': not an x86-64 CPU LLVM knows "
                      "(-mcpu=help lists them; native is this host's)",
                      cpu);
}

/* The i-th '-' separated component of a normalised triple, in out. */
static void
component(const char *t, int i, char *out, size_t cap)
{
    for (; i > 0 && t; i--)
        if ((t = strchr(t, '-')))
            t++;
    size_t n = t ? strcspn(t, "-") : 0;
    if (n >= cap)
        n = cap - 1;
    memcpy(out, t ? t : "", n);
    out[n] = 0;
}

static bool
is_one_of(const char *s, const char *const *set)
{
    for (; *set; set++)
        if (!strcmp(s, *set))
            return true;
    return false;
}

/* x86_64 with an ELF object for Linux or no OS: what runtime/ loads. */
static bool
is_supported(const char *norm)
{
    static const char *const arch[] = { "x86_64", "amd64", "x86-64", NULL };
    static const char *const os[] = { "linux", "unknown", "none", "", NULL };
    static const char *const env[] = { "gnu", "musl", "elf", "unknown", "",
                                       NULL };
    char a[32], o[32], e[32];

    component(norm, 0, a, sizeof a);
    component(norm, 2, o, sizeof o);
    component(norm, 3, e, sizeof e);
    return is_one_of(a, arch) && is_one_of(o, os) && is_one_of(e, env);
}

bool
moatL_check_triple(const char *triple, moat_error *err)
{
    LLVMTargetRef target;
    char         *msg = NULL;

    if (!triple)
        return true;
    moatL_init_targets();
    if (!*triple || LLVMGetTargetFromTriple(triple, &target, &msg)) {
        LLVMDisposeMessage(msg);
        return moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_OPTION,
                          "unknown target '%.64s': LLVM has no such target "
                          "(Moat compiles for x86_64-linux-gnu)", triple);
    }
    char *norm = LLVMNormalizeTargetTriple(triple);
    bool  ok = is_supported(norm);
    LLVMDisposeMessage(norm);
    return ok || moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_OPTION,
                            "target '%.64s' is not supported: Moat "
                            "compiles for x86_64 Linux (ELF) only, e.g. "
                            "x86_64-linux-gnu", triple);
}
