/* util_cpuid.c - the host's CPUID words, read once per process. Both the
 * contract check (runtime/contract.c: may this code run here?) and the
 * compile cache key (cli/host_id.c: which code was made for this host?)
 * read them: in a virtual machine every CPUID instruction exits to the
 * hypervisor (4-20 us each on the development VM), which is more than the
 * rest of loading a small cached module, so each is executed once.
 */
#include <pthread.h>
#include <stddef.h>
#include <string.h>

#include "util.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

static MoatCpuid      words;
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* Raw CPUID, without __get_cpuid_count's extra max-leaf query. */
static void
leaf(unsigned l, unsigned sub, unsigned max, unsigned r[4])
{
    r[0] = r[1] = r[2] = r[3] = 0;
    if (l <= max)
        __cpuid_count(l, sub, r[0], r[1], r[2], r[3]);
}

#if defined(__GLIBC__) && __has_include(<sys/platform/x86.h>)
#include <sys/platform/x86.h>

/* glibc (2.33 and later) executed CPUID for these leaves at start-up,
 * before main, and keeps the raw words (zero for leaves above the
 * highest): copying them saves four CPUIDs, about 50 us in a VM here
 * (docs/bench-hello.md). */
static void
other_leaves(void)
{
    static const struct {
        unsigned index;
        size_t   off;
    } from[] = {
        { CPUID_INDEX_1, offsetof(MoatCpuid, l1) },
        { CPUID_INDEX_7, offsetof(MoatCpuid, l7) },
        { CPUID_INDEX_7_ECX_1, offsetof(MoatCpuid, l71) },
        { CPUID_INDEX_80000001, offsetof(MoatCpuid, e1) },
    };
    for (size_t i = 0; i < sizeof from / sizeof from[0]; i++) {
        const struct cpuid_feature *f =
            __x86_get_cpuid_feature_leaf(from[i].index);
        memcpy((char *)&words + from[i].off, f->cpuid_array,
               sizeof words.l1);
    }
}
#else
static void
other_leaves(void)
{
    unsigned max = words.l0[0];
    leaf(1, 0, max, words.l1);
    leaf(7, 0, max, words.l7);
    leaf(7, 1, words.l7[0] >= 1 ? max : 0, words.l71);
    __cpuid(0x80000001u, words.e1[0], words.e1[1], words.e1[2],
            words.e1[3]);                       /* all of x86-64 has it */
}
#endif

static void
read_words(void)
{
    leaf(0, 0, UINT32_MAX, words.l0);           /* the vendor */
    other_leaves();
    if (words.l1[2] & (1u << 27)) {             /* OSXSAVE: xgetbv works */
        unsigned lo, hi;
        __asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
        words.xcr0 = (uint64_t)hi << 32 | lo;
    }
}

const MoatCpuid *
moatU_cpuid(void)
{
    pthread_once(&once, read_words);
    return &words;
}
#else
const MoatCpuid *
moatU_cpuid(void)
{
    static const MoatCpuid none;
    return &none;
}
#endif
