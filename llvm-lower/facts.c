/* facts.c - what the lowering wants to know about a function body before
 * it lowers it, in one decoding pass: whether it calls or loops (the
 * epoch entry check, lower_epoch.c; the stack check, lower_stack.c), the
 * widest call it makes (the frame's call areas, lower_call.c), and its
 * weight (huge functions, partition.c). The body was validated before.
 */
#include "lower.h"

/* What an instruction costs LLVM, in IR instructions: 1, but a call
 * moves each parameter and result (a 2-byte call of a 1,000-param,
 * 1,000-result function is some 2,000 loads and stores), and a return
 * each result. Arity is where a few bytes become much IR. */
static uint64_t
weight(const Module *m, const FuncType *own, const Insn *in,
       const FuncType *callee)
{
    if (callee)
        return 1 + (uint64_t)callee->nparams + callee->nresults;
    if (in->op == OP_RETURN)
        return 1 + (uint64_t)own->nresults;
    (void)m;
    return 1;
}

/* Instructions that end a run of straight-line code (about a basic
 * block of the lowered function). */
static bool
ends_run(int op)
{
    switch (op) {
    case OP_BLOCK: case OP_LOOP: case OP_IF: case OP_ELSE: case OP_END:
    case OP_BR: case OP_BR_IF: case OP_BR_TABLE: case OP_RETURN:
    case OP_UNREACHABLE:
        return true;
    default:
        return false;
    }
}

FuncFacts
moatL_func_facts(const Module *m, const Func *f)
{
    moat_error      err = { 0 };
    Reader          r = moatD_reader(m->bytes, m->len, &err);
    Insn            in = { 0 };
    const FuncType *own = &m->types[f->type_idx];
    FuncFacts       x = { 0 };
    uint64_t        run = 0;

    r.p = f->code;
    r.end = f->code + f->code_len;
    while (r.p < r.end) {
        bool ok = moatD_insn(&r, &in);
        assert(ok);             /* validated before */
        (void)ok;
        const FuncType *callee =
            in.op == OP_CALL ? &m->types[m->funcs[in.a].type_idx]
            : in.op == OP_CALL_INDIRECT ? &m->types[in.a]
                                        : NULL;
        if (callee) {
            x.has_call = true;
            if (callee->nparams > MOAT_WIDE_PARAMS &&
                callee->nparams > x.max_wide_params)
                x.max_wide_params = callee->nparams;
            if (callee->nresults >= 2 && callee->nresults > x.max_results)
                x.max_results = callee->nresults;
        }
        x.has_loop |= in.op == OP_LOOP;
        uint64_t w = weight(m, own, &in, callee);
        x.weight += w;
        run = ends_run(in.op) ? 0 : run + w;
        if (run > x.longest_run)
            x.longest_run = run;
    }
    return x;
}
