/* compile_report.h - the progress line and --time-report of `moat
 * compile` (compile_report.c). */
#ifndef MOAT_CLI_COMPILE_REPORT_H
#define MOAT_CLI_COMPILE_REPORT_H

#include <pthread.h>
#include <stdbool.h>

#include "cli.h"

enum { COMPILE_REPORT_MAX = 128 };  /* events kept for the table */

typedef struct ReportEvent {
    char   phase[16];
    int    partition;
    double wall, cpu;
} ReportEvent;

typedef struct CompileReport {
    pthread_mutex_t lock;
    pthread_t       thread;         /* redraws the progress line */
    double          start;
    bool            is_time_report, is_progress, is_drawn, is_over;
    uint32_t        done, total;    /* functions compiled / defined */
    char            last[16];       /* the last phase finished */
    ReportEvent     ev[COMPILE_REPORT_MAX];
    int             nev;
} CompileReport;

/* Before moat_compile: sets cfg's observer when there is something to
 * show (stderr a terminal, or is_time_report), and starts the progress
 * line's thread. */
void moat_cli_report_begin(CompileReport *r, const MoatCompiler *cc,
                           moat_compile_config *cfg, bool is_time_report);
/* After: erases the progress line, prints the time report. */
void moat_cli_report_end(CompileReport *r);

#endif
