/* host_id.c - names the host CPU for the compile cache key without LLVM.
 * The compiler's default target is the host's CPU name and features, which
 * LLVM derives from CPUID; we use the CPUID leaves that carry nearly all of
 * them (vendor, family, model, stepping, the feature words of leaves 1, 7
 * and 0x80000001, the OS's XSAVE state), so two hosts with equal ids get
 * equal code. Fields that differ between cores of one machine (leaf 1 EBX:
 * APIC id) are left out. The runtime's contract check at load time stays
 * the safety net for anything missed (a refused entry is recompiled).
 */
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "cli.h"
#include "util.h"              /* moatU_cpuid */

#if defined(__x86_64__) || defined(__i386__)
/* The words the runtime's contract check reads too (util_cpuid.c): one
 * CPUID per leaf per process, shared. */
static void
cpu_id(char *buf, size_t n)
{
    const MoatCpuid *c = moatU_cpuid();
    char             vendor[13];

    memcpy(vendor, &c->l0[1], 4);
    memcpy(vendor + 4, &c->l0[3], 4);
    memcpy(vendor + 8, &c->l0[2], 4);
    vendor[12] = 0;
    snprintf(buf, n, "x86 %s %x %x.%x %x.%x.%x %x.%x %x.%x %llx", vendor,
             c->l1[0], c->l1[2], c->l1[3], c->l7[1], c->l7[2], c->l7[3],
             c->l71[0], c->l71[3], c->e1[2], c->e1[3],
             (unsigned long long)c->xcr0);
}
#else
static void
cpu_id(char *buf, size_t n)
{
    struct utsname u;

    snprintf(buf, n, "%s", uname(&u) == 0 ? u.machine : "unknown");
}
#endif

const char *
moat_cli_host_id(void)
{
    static char id[256];

    if (!id[0])
        cpu_id(id, sizeof id);
    return id;
}
