/* backtrace.c - the wasm frames of a trap (docs/backtraces.md). When a
 * trap ends a call, the chain of frame pointers that compiled code keeps
 * is walked from the trap out to the entry of the call, on the wasm
 * stack, before that stack is left: only return addresses are taken then
 * (the fault handler does it too). When the error is filled in, each
 * address becomes its wasm frames (inlined ones included) through the
 * DWARF of its module (backtrace_dw.c). Names are demangled here with
 * libiberty; source lines of the module's own DWARF are not ours.
 */
#include <libiberty/demangle.h>
#include <string.h>
#include <unwind.h>

#include "runtime.h"

enum {
    WALK_LIMIT = 1 << 20,       /* frames: more than an 8 MiB stack holds
                                 * (16 bytes each at least) */
};

/* The code span last found: frames of one module are mostly in one span,
 * and the registry's lock per frame would cost more than the walk (a
 * deep recursion is tens of thousands of frames). */
typedef struct Code {
    uintptr_t lo, hi;
} Code;

static bool
is_code(Code *c, uintptr_t pc)
{
    return (pc >= c->lo && pc < c->hi) || moatR_code_span(pc, &c->lo, &c->hi);
}

static void
record(Activation *a, uintptr_t pc)
{
    if (a->npcs < MOAT_MAX_FRAMES)
        a->pcs[a->npcs++] = pc;
    else
        a->ndropped++;
}

/* Each frame of compiled code (frame-pointer=all) starts with the
 * caller's rbp at [rbp] and the return address at [rbp + 8]; the walk
 * ends at the first return address outside compiled code (the entry of
 * the call: a trampoline's caller, or host code that called back in).
 * Every read is of a word inside this run's stack, [guard_hi, stack_hi),
 * and the chain must climb, so a bad chain ends the walk and never
 * faults. */
void
moatR_backtrace_walk(Activation *a, uintptr_t pc, uintptr_t fp, bool is_ret)
{
    const ThreadState *ts = &moatR_tls;
    uintptr_t          lo = ts->guard_hi, hi = ts->stack_hi;
    Code               c = { 0, 0 };

    a->npcs = a->ndropped = 0;
    a->is_pc0_exact = false;
    if (pc && is_code(&c, pc)) {
        record(a, pc);
        a->is_pc0_exact = !is_ret;
    }
    for (uint32_t i = 0; i < WALK_LIMIT && ts->fiber; i++) {
        if (fp < lo || hi < 16 || fp > hi - 16 || (fp & 7))
            break;
        const uintptr_t *f = (const uintptr_t *)fp;
        uintptr_t        next = f[0], ret = f[1];
        if (!is_code(&c, ret))
            break;              /* out of the sandbox: the entry */
        record(a, ret);
        if (next <= fp)
            break;
        fp = next;
    }
}

typedef struct Found {
    uintptr_t pc, fp;
} Found;

enum { DWARF_REG_RBP = 6 };     /* x86-64 psABI, DWARF register numbers */

static _Unwind_Reason_Code
find_compiled(struct _Unwind_Context *uc, void *arg)
{
    Found    *f = arg;
    uintptr_t ip = (uintptr_t)_Unwind_GetIP(uc), lo, hi;

    if (!ip || !moatR_code_span(ip, &lo, &hi))
        return _URC_NO_REASON;
    f->pc = ip;
    f->fp = (uintptr_t)_Unwind_GetGR(uc, DWARF_REG_RBP);
    return _URC_END_OF_STACK;           /* found: stop */
}

/* Host code between the trap and compiled code may use rbp for anything
 * (and stale frames of earlier calls lie further up the stack), so the
 * way back to compiled code is found with the unwind tables host code
 * has (libgcc's unwinder, .eh_frame): the first frame in compiled code,
 * with rbp as it was there. Compiled code has no unwind tables we
 * register, so the unwinder stops there at the latest. */
void
moatR_backtrace_host(uintptr_t *pc, uintptr_t *fp)
{
    Found f = { 0, 0 };

    _Unwind_Backtrace(find_compiled, &f);
    *pc = f.pc;
    *fp = f.fp;
}

/* The frames of one code address: from the DWARF, else the function
 * holding it (no offset), else none (a trampoline). */
static size_t
frames_at(uintptr_t at, moat_frame *out, size_t max)
{
    const moat_module *m = moatR_code_module(at);

    if (!m)
        return 0;
    int r = moatR_dw_frames(m->img, at, out, max);
    size_t n = r > 0 ? (size_t)r : 0;
    if (r < 0) {
        uint32_t f = moatR_module_func_at(m, at);
        if (f == MOAT_NO_FUNC)
            return 0;
        out[0] = (moat_frame){ NULL, f, 0, MOAT_NO_OFFSET };
        n = 1;
    }
    for (size_t i = 0; i < n; i++)
        out[i].module = m;
    return n;
}

void
moatR_backtrace_fill(const Activation *a, moat_error *err)
{
    uint32_t k = 0, dropped = a->ndropped;

    for (uint32_t i = 0; i < a->npcs; i++) {
        moat_frame fr[MOAT_MAX_FRAMES];
        /* a return address is past its call: look at the call itself */
        uintptr_t  at = i == 0 && a->is_pc0_exact ? a->pcs[i]
                                                  : a->pcs[i] - 1;
        size_t     n = frames_at(at, fr, MOAT_MAX_FRAMES);
        for (size_t j = 0; j < n; j++) {
            if (k < MOAT_MAX_FRAMES)
                err->frames[k++] = fr[j];
            else
                dropped++;
        }
    }
    err->nframes = k;
    err->nframes_dropped = dropped;
    err->func = k ? err->frames[0].func : MOAT_NO_FUNC;
}

/* ---- names ---- */

typedef struct Out {
    char  *buf;
    size_t n, len;
} Out;

static void
put(const char *s, size_t len, void *opaque)
{
    Out *o = opaque;

    while (len-- && o->len + 1 < o->n)
        o->buf[o->len++] = *s++;
    o->buf[o->len] = 0;
}

/* Rust first: a legacy Rust symbol is also a valid Itanium one (the
 * order of libiberty's own cplus_demangle). The callback forms allocate
 * nothing for the output. */
const char *
moat_demangle(const char *sym, char *buf, size_t n)
{
    Out o = { buf, n, 0 };

    if (!sym || !buf || n == 0)
        return NULL;
    buf[0] = 0;
    if (rust_demangle_callback(sym, DMGL_PARAMS | DMGL_ANSI, put, &o))
        return buf;
    o.len = 0;
    buf[0] = 0;
    if (cplus_demangle_v3_callback(sym, DMGL_PARAMS | DMGL_ANSI, put, &o))
        return buf;
    return NULL;
}

const char *
moat_frame_name(const moat_frame *f, char *buf, size_t n)
{
    char        idx[16], dem[512];
    const char *name = "?";

    if (!buf || n == 0)
        return buf;
    if (f && f->module && f->func != MOAT_NO_FUNC) {
        name = moatR_func_name(f->module, f->func, idx, sizeof idx);
        const char *d = moat_demangle(name, dem, sizeof dem);
        name = d ? d : name;
    }
    moatU_printable(buf, n, name);
    return buf;
}
