/* procstat.h - what the scale benchmarks read about the process: resident
 * memory (VmRSS of /proc/self/status) and the number of mappings (lines
 * of /proc/self/maps, which vm.max_map_count limits). Header-only.
 */
#ifndef MOAT_BENCH_PROCSTAT_H
#define MOAT_BENCH_PROCSTAT_H

#include <stdio.h>
#include <string.h>

static inline long
proc_rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char  line[256];
    long  kib = -1;

    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            sscanf(line + 6, "%ld", &kib);
    if (f)
        fclose(f);
    return kib;
}

static inline long
proc_maps(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    long  n = 0;
    int   c;

    while (f && (c = getc(f)) != EOF)
        n += c == '\n';
    if (f)
        fclose(f);
    return n;
}

#endif
