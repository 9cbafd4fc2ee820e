/* run_report.c - how a `moat run` call ended, as an exit status and at
 * most one line on stderr (docs/cli.md, "exit status"):
 *   returned            0
 *   proc_exit(code)     code; codes above 255 exit 255, so that none can
 *                       pass for another (POSIX keeps only 8 bits:
 *                       exit(256) would look like success)
 *   trap                `moat: trap: WORDING in function NAME`, 134
 *                       (with --invoke: `trap: WORDING`, as it always was)
 *   --timeout expired   `moat: trap: interrupted (timeout after T) in
 *                       function NAME`, 124
 *   anything else       `PROG: error: STATUS: MESSAGE`, 1
 * A trap's line is followed by its backtrace, one wasm frame a line
 * (docs/backtraces.md):
 *     #0 divide(int, int) (inlined into main) [wasm 0x1c6]
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

#define IN_FUNCTION " in function "

/* " in function NAME" for err, or "" when the function is not known.
 * The runtime writes it at the end of err->msg when it knows the name;
 * else err->func names the function. */
static const char *
where(moat_instance *inst, const moat_error *err, char *buf, size_t n)
{
    const char *in = strstr(err->msg, IN_FUNCTION);
    char        name[64];

    if (in)
        return in;
    if (err->func == MOAT_NO_FUNC || !inst)
        return "";
    snprintf(buf, n, IN_FUNCTION "%s",
             moat_instance_func_name(inst, err->func, name, sizeof name));
    return buf;
}

static void
print_trap(moat_instance *inst, const RunOptions *o, const moat_error *err)
{
    char        buf[300];
    const char *at = where(inst, err, buf, sizeof buf);
    /* the wording: the runtime's message up to the function, if any */
    int         n = (int)(at[0] && strstr(err->msg, at) == at
                              ? (size_t)(at - err->msg)
                              : strlen(err->msg));

    if (err->trap == MOAT_TRAP_INTERRUPTED && o->timeout_ns)
        fprintf(stderr, "moat: trap: interrupted (timeout after %s)%s\n",
                o->timeout_text, at);
    else if (o->invoke)         /* the format scripts parse (test/diff) */
        fprintf(stderr, "trap: %s\n", moat_trap_string(err->trap));
    else if (n > 0)
        fprintf(stderr, "moat: trap: %.*s%s\n", n, err->msg, at);
    else
        fprintf(stderr, "moat: trap: %s%s\n", moat_trap_string(err->trap),
                at);
}

/* "  #I NAME[ (inlined into OUTER)] [wasm 0xOFF]" per frame. */
/* " at FILE:LINE:COL" of a source location, or nothing if unknown. */
static void
print_loc(const moat_source_loc *l)
{
    if (!l->file)
        return;
    fprintf(stderr, " at %s", l->file);
    if (l->line)
        fprintf(stderr, ":%u", l->line);
    if (l->line && l->column)
        fprintf(stderr, ":%u", l->column);
}

enum { MAX_SOURCE_FRAMES = 16 };

/* One wasm frame: when the module carries DWARF (clang -g), first the
 * source-level frames clang inlined into it, each a line of its own (as
 * addr2line -i), then the frame itself with its file:line. */
static uint32_t
print_frame(const moat_error *err, uint32_t i, uint32_t no)
{
    const moat_frame *f = &err->frames[i];
    moat_source_loc   loc[MAX_SOURCE_FRAMES];
    char              name[256], outer[256];
    size_t            n = f->offset == MOAT_NO_OFFSET ? 0
                        : moat_module_source_locs(f->module, f->offset, loc,
                                                  MAX_SOURCE_FRAMES);

    if (n > MAX_SOURCE_FRAMES)
        n = MAX_SOURCE_FRAMES;
    for (size_t k = 0; k + 1 < n; k++) {
        fprintf(stderr, "  #%u %s (inlined into %s) [wasm 0x%llx]", no++,
                loc[k].function ? loc[k].function : "??",
                loc[k + 1].function ? loc[k + 1].function : "??",
                (unsigned long long)f->offset);
        print_loc(&loc[k]);
        fputc('\n', stderr);
    }
    fprintf(stderr, "  #%u %s", no++, moat_frame_name(f, name, sizeof name));
    if (f->inlined && i + 1 < err->nframes)
        fprintf(stderr, " (inlined into %s)",
                moat_frame_name(&err->frames[i + 1], outer, sizeof outer));
    if (f->offset != MOAT_NO_OFFSET)
        fprintf(stderr, " [wasm 0x%llx]", (unsigned long long)f->offset);
    if (n)
        print_loc(&loc[n - 1]);
    fputc('\n', stderr);
    return no;
}

static void
print_backtrace(const moat_error *err)
{
    uint32_t no = 0;

    for (uint32_t i = 0; i < err->nframes; i++)
        no = print_frame(err, i, no);
    if (err->nframes_dropped)
        fprintf(stderr, "  ... %u more frame%s\n", err->nframes_dropped,
                err->nframes_dropped == 1 ? "" : "s");
}

int
moat_cli_outcome(moat_instance *inst, const RunOptions *o, moat_status st,
                 const moat_error *err)
{
    switch (st) {
    case MOAT_OK:
        return EXIT_OK;
    case MOAT_ERR_EXIT:
        return err->exit_code > 255 ? 255 : (int)err->exit_code;
    case MOAT_ERR_TRAP:
        print_trap(inst, o, err);
        if (!o->invoke)         /* --invoke keeps its one line */
            print_backtrace(err);
        return err->trap == MOAT_TRAP_INTERRUPTED && o->timeout_ns
                   ? EXIT_TIMEOUT
                   : EXIT_TRAP;
    case MOAT_ERR_LIMIT:
        if (o->max_memory_text && strstr(err->msg, "memory")) {
            fprintf(stderr, "%s: error: %s: %s (--max-memory %s)\n",
                    o->prog, moat_status_string(st), err->msg,
                    o->max_memory_text);
            return EXIT_BAD_INPUT;
        }
        moat_cli_report(o->prog, err);
        return EXIT_BAD_INPUT;
    default:
        moat_cli_report(o->prog, err);
        return EXIT_BAD_INPUT;
    }
}
