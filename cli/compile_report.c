/* compile_report.c - what `moat compile` shows while and after it
 * compiles: a progress line on standard error when that is a terminal and
 * the compilation takes over a second (redrawn in place, erased at the
 * end), and with --time-report a table of the phases (the compiler
 * library's observer events, moat_compile.h) per partition, with wall and
 * CPU seconds.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "compile_report.h"

enum {
    PROGRESS_AFTER_MS = 1000,       /* quiet for compilations shorter */
    PROGRESS_EVERY_MS = 200,
};

static double
now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The observer (called with the library's lock held, one at a time). */
static void
observe(void *user, const moat_compile_event *ev)
{
    CompileReport *r = user;

    pthread_mutex_lock(&r->lock);
    r->done = ev->funcs_done;
    r->total = ev->funcs_total;
    snprintf(r->last, sizeof r->last, "%s", ev->phase);
    if (r->nev < COMPILE_REPORT_MAX) {
        ReportEvent *e = &r->ev[r->nev++];
        snprintf(e->phase, sizeof e->phase, "%s", ev->phase);
        e->partition = ev->partition;
        e->wall = ev->seconds;
        e->cpu = ev->cpu_seconds;
    }
    pthread_mutex_unlock(&r->lock);
}

/* The phase under way after the last one reported (in some partition). */
static const char *
next_phase(const char *last)
{
    static const char *const order[][2] = {
        { "", "decode" }, { "decode", "lower" }, { "lower", "lower" },
        { "descriptor", "lower" }, { "verify", "optimise" },
        { "optimise", "codegen" }, { "codegen", "codegen" },
    };
    for (size_t i = 0; i < sizeof order / sizeof *order; i++)
        if (!strcmp(last, order[i][0]))
            return order[i][1];
    return last;
}

static void
draw(CompileReport *r)
{
    pthread_mutex_lock(&r->lock);
    char line[160];
    int  n = snprintf(line, sizeof line, "\rmoat compile: %u/%u functions, "
                      "%s, %.1f s\033[K", r->done, r->total,
                      next_phase(r->last), now() - r->start);
    pthread_mutex_unlock(&r->lock);
    if (n > 0 && write(STDERR_FILENO, line, (size_t)n) < 0)
        return;
    r->is_drawn = true;
}

/* The delay before the line shows: MOAT_PROGRESS_DELAY_MS (tests set 0),
 * else a second. */
static double
delay(void)
{
    const char *s = getenv("MOAT_PROGRESS_DELAY_MS");
    char       *end = "";
    long        ms = s && *s ? strtol(s, &end, 10) : -1;
    if (ms < 0 || *end)
        ms = PROGRESS_AFTER_MS;
    return (double)ms / 1000.0;
}

static void *
progress_thread(void *arg)
{
    CompileReport  *r = arg;
    struct timespec wait = { 0, PROGRESS_EVERY_MS * 1000000L };
    double          after = delay();

    for (;;) {
        /* drawn before is_over is looked at: with no delay it shows at
         * least once, however quick the compilation */
        if (now() - r->start >= after)
            draw(r);
        pthread_mutex_lock(&r->lock);
        bool is_over = r->is_over;
        pthread_mutex_unlock(&r->lock);
        if (is_over)
            return NULL;
        nanosleep(&wait, NULL);
    }
}

void
moat_cli_report_begin(CompileReport *r, const MoatCompiler *cc,
                      moat_compile_config *cfg, bool is_time_report)
{
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->lock, NULL);
    r->start = now();
    r->is_time_report = is_time_report;
    if (!cc->set_observer)
        return;
    if (is_time_report && cc->set_time_passes)
        cc->set_time_passes(cfg, 1);
    r->is_progress = isatty(STDERR_FILENO) == 1;
    if (!is_time_report && !r->is_progress)
        return;
    cc->set_observer(cfg, observe, r);
    if (r->is_progress &&
        pthread_create(&r->thread, NULL, progress_thread, r) != 0)
        r->is_progress = false;
}

static void
print_table(const CompileReport *r, double total)
{
    static const char *const phases[] = {
        "decode", "lower", "descriptor", "verify", "optimise", "codegen",
        "merge",
    };
    int nparts = 0;

    fprintf(stderr, "moat compile: time report (seconds; cpu = the "
                    "thread's CPU time)\n  %-11s %5s %9s %9s\n", "phase",
            "part", "wall", "cpu");
    for (int i = 0; i < r->nev; i++) {
        const ReportEvent *e = &r->ev[i];
        if (e->partition >= nparts)
            nparts = e->partition + 1;
        char part[16] = "-";
        if (e->partition >= 0)
            snprintf(part, sizeof part, "%d", e->partition);
        fprintf(stderr, "  %-11s %5s %9.3f %9.3f\n", e->phase, part,
                e->wall, e->cpu);
    }
    fprintf(stderr, "  by phase, cpu seconds over %d partition%s:\n",
            nparts, nparts == 1 ? "" : "s");
    for (size_t k = 0; k < sizeof phases / sizeof *phases; k++) {
        double cpu = 0;
        for (int i = 0; i < r->nev; i++)
            if (!strcmp(r->ev[i].phase, phases[k]))
                cpu += r->ev[i].cpu;
        fprintf(stderr, "  %-11s %9.3f\n", phases[k], cpu);
    }
    fprintf(stderr, "  %-11s %9.3f wall\n", "total", total);
}

void
moat_cli_report_end(CompileReport *r)
{
    double total = now() - r->start;

    if (r->is_progress) {
        pthread_mutex_lock(&r->lock);
        r->is_over = true;
        pthread_mutex_unlock(&r->lock);
        pthread_join(r->thread, NULL);
        if (r->is_drawn) {          /* erase the line */
            static const char clear[] = "\r\033[K";
            if (write(STDERR_FILENO, clear, sizeof clear - 1) < 0)
                r->is_drawn = false;
        }
    }
    if (r->is_time_report && r->nev)
        print_table(r, total);
    else if (r->is_time_report)
        fprintf(stderr, "moat compile: no time report: the compiler "
                        "library is older, or a compile cap ran it in a "
                        "child process\n");
    pthread_mutex_destroy(&r->lock);
}
