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

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

/* Raw CPUID, without __get_cpuid_count's extra max-leaf query: in a
 * virtual machine every CPUID traps to the hypervisor (about 20 us here),
 * and a cache hit has about 0.5 ms to spare in all. */
static void
leaf(unsigned l, unsigned sub, unsigned max, unsigned r[4])
{
    r[0] = r[1] = r[2] = r[3] = 0;
    if (l <= max)
        __cpuid_count(l, sub, r[0], r[1], r[2], r[3]);
}

static void
cpu_id(char *buf, size_t n)
{
    unsigned v[4], l1[4], l7[4], l71[4], e1[4];
    unsigned long long xcr0 = 0;

    leaf(0, 0, 0, v);
    leaf(1, 0, v[0], l1);
    leaf(7, 0, v[0], l7);
    leaf(7, 1, l7[0] >= 1 ? v[0] : 0, l71);
    __cpuid(0x80000001u, e1[0], e1[1], e1[2], e1[3]);  /* all of x86-64 */
    if (l1[2] & (1u << 27)) {           /* OSXSAVE: xgetbv is available */
        unsigned lo, hi;
        __asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
        xcr0 = (unsigned long long)hi << 32 | lo;
    }
    char vendor[13];
    memcpy(vendor, &v[1], 4);
    memcpy(vendor + 4, &v[3], 4);
    memcpy(vendor + 8, &v[2], 4);
    vendor[12] = 0;
    snprintf(buf, n, "x86 %s %x %x.%x %x.%x.%x %x.%x %x.%x %llx", vendor,
             l1[0], l1[2], l1[3], l7[1], l7[2], l7[3], l71[0], l71[3],
             e1[2], e1[3], xcr0);
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
