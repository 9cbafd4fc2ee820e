/* lower_ctrl.c - structured control flow to LLVM basic blocks (spec 4.4.8).
 * Values that flow along branches meet in phis: block and if results at
 * the continuation, loop parameters at the loop header. Code after br,
 * return or unreachable is dead until the enclosing else/end: it is
 * skipped, and only its control nesting is tracked (func.c).
 */
#include <stdlib.h>
#include <string.h>

#include "lower.h"

static const uint8_t single_type[256] = {
    [T_I32] = T_I32, [T_I64] = T_I64, [T_F32] = T_F32, [T_F64] = T_F64,
    [T_V128] = T_V128, [T_FUNCREF] = T_FUNCREF, [T_EXTERNREF] = T_EXTERNREF,
};

static void
blocktype(Lower *L, const Insn *in, LCtrl *c)
{
    c->params = c->results = NULL;
    c->nparams = c->nresults = 0;
    if (in->bt_kind == BT_VALTYPE) {
        c->results = &single_type[in->a];
        c->nresults = 1;
    } else if (in->bt_kind == BT_TYPEIDX) {
        const FuncType *ft = &L->m->types[in->a];
        c->params = ft->types;
        c->nparams = ft->nparams;
        c->results = ft->types + ft->nparams;
        c->nresults = ft->nresults;
    }
}

static LCtrl *
push_ctrl(Lower *L)
{
    if (L->ncs == L->capcs) {
        uint32_t cap = L->capcs ? L->capcs * 2 : 32;
        LCtrl   *p = moatU_realloc(L->cs, cap * sizeof *p);
        if (!p)
            abort();
        L->cs = p;
        L->capcs = cap;
    }
    LCtrl *c = &L->cs[L->ncs++];
    *c = (LCtrl){ 0 };
    return c;
}

static LLVMBasicBlockRef
new_block(Lower *L, const char *name)
{
    return LLVMAppendBasicBlockInContext(L->llctx, L->fn, name);
}

/* Phis for types at the start of bb, in the scratch arena. */
static LLVMValueRef *
make_phis(Lower *L, LLVMBasicBlockRef bb, const uint8_t *types, uint32_t n)
{
    LLVMBasicBlockRef here = LLVMGetInsertBlock(L->b);
    LLVMValueRef     *phis = moatU_arena_alloc(&L->scratch,
                                               (n ? n : 1) * sizeof *phis);
    if (!phis)
        abort();
    LLVMPositionBuilderAtEnd(L->b, bb);
    for (uint32_t i = 0; i < n; i++)
        phis[i] = LLVMBuildPhi(L->b, moatL_type(L, types[i]), "");
    LLVMPositionBuilderAtEnd(L->b, here);
    return phis;
}

/* Marks the rest of the current block dead: later code goes to a fresh
 * block that nothing reaches (func.c terminates it). */
static void
go_dead(Lower *L)
{
    L->is_dead = true;
    LLVMPositionBuilderAtEnd(L->b, new_block(L, "dead"));
}

/* Where a branch to frame c goes: the loop header with the loop's params,
 * or the continuation with the results. */
static LLVMBasicBlockRef
label_dest(LCtrl *c)
{
    return c->op == OP_LOOP ? c->header : c->cont;
}

/* Adds the top n values of the stack to phis, from the current block (one
 * entry per edge, as LLVM wants for switches with repeated targets). */
static void
add_values(Lower *L, LLVMValueRef *phis, uint32_t n)
{
    LLVMBasicBlockRef from = LLVMGetInsertBlock(L->b);
    for (uint32_t i = 0; i < n; i++) {
        LLVMValueRef v = moatL_vpeek(L, n - 1 - i);
        LLVMAddIncoming(phis[i], &v, &from, 1);
    }
}

static void
add_incoming(Lower *L, LCtrl *c)
{
    if (c->op == OP_LOOP)
        add_values(L, c->header_phis, c->nparams);
    else
        add_values(L, c->cont_phis, c->nresults);
}

static LCtrl *
label(Lower *L, uint32_t depth)
{
    assert(depth < L->ncs);
    return &L->cs[L->ncs - 1 - depth];
}

void
moatL_ctrl_init(Lower *L)
{
    const FuncType *ft = &L->m->types[L->m->funcs[L->func].type_idx];
    LCtrl          *c = push_ctrl(L);

    c->op = OP_BLOCK;
    c->results = ft->types + ft->nparams;
    c->nresults = ft->nresults;
    c->height = 0;
    c->cont = new_block(L, "return");
    c->cont_phis = make_phis(L, c->cont, c->results, c->nresults);
}

static void
push_dead_frame(Lower *L, int op)
{
    LCtrl *c = push_ctrl(L);
    c->op = op;
    c->is_dead = true;
}

void
moatL_block(Lower *L, const Insn *in)
{
    if (L->is_dead) {
        push_dead_frame(L, in->op);
        return;
    }
    LCtrl *c = push_ctrl(L);
    c->op = OP_BLOCK;
    blocktype(L, in, c);
    c->height = L->nvs - c->nparams;
    c->cont = new_block(L, "block.end");
    c->cont_phis = make_phis(L, c->cont, c->results, c->nresults);
}

void
moatL_loop(Lower *L, const Insn *in)
{
    if (L->is_dead) {
        push_dead_frame(L, in->op);
        return;
    }
    LCtrl *c = push_ctrl(L);
    c->op = OP_LOOP;
    blocktype(L, in, c);
    c->height = L->nvs - c->nparams;
    c->header = new_block(L, "loop");
    c->cont = new_block(L, "loop.end");
    c->header_phis = make_phis(L, c->header, c->params, c->nparams);
    c->cont_phis = make_phis(L, c->cont, c->results, c->nresults);
    add_incoming(L, c);
    LLVMBuildBr(L->b, c->header);
    LLVMPositionBuilderAtEnd(L->b, c->header);
    if (L->is_interruptible)    /* after the phis: every iteration */
        moatL_epoch_check(L);
    L->nvs = c->height;
    for (uint32_t i = 0; i < c->nparams; i++)
        moatL_vpush(L, c->header_phis[i]);
}

void
moatL_if(Lower *L, const Insn *in)
{
    if (L->is_dead) {
        push_dead_frame(L, in->op);
        return;
    }
    LLVMValueRef cond = moatL_vpop(L);
    LCtrl       *c = push_ctrl(L);
    c->op = OP_IF;
    blocktype(L, in, c);
    c->height = L->nvs - c->nparams;
    c->cont = new_block(L, "if.end");
    c->cont_phis = make_phis(L, c->cont, c->results, c->nresults);
    LLVMBasicBlockRef then_bb = new_block(L, "if.then");
    c->else_bb = new_block(L, "if.else");
    c->if_params = moatU_arena_alloc(&L->scratch, (c->nparams + 1) *
                                                  sizeof *c->if_params);
    if (!c->if_params)
        abort();
    for (uint32_t i = 0; i < c->nparams; i++)
        c->if_params[i] = moatL_vpeek(L, c->nparams - 1 - i);
    LLVMValueRef nz = LLVMBuildICmp(L->b, LLVMIntNE, cond,
                                    moatL_const_i32(L, 0), "if.cond");
    LLVMBuildCondBr(L->b, nz, then_bb, c->else_bb);
    LLVMPositionBuilderAtEnd(L->b, then_bb);
}

/* Leaves the current arm: its results flow to the continuation. */
static void
fall_to_cont(Lower *L, LCtrl *c)
{
    if (L->is_dead)
        return;
    add_values(L, c->cont_phis, c->nresults);
    LLVMBuildBr(L->b, c->cont);
}

void
moatL_else(Lower *L, const Insn *in)
{
    LCtrl *c = label(L, 0);
    (void)in;
    if (c->is_dead)
        return;                 /* the whole if is dead */
    fall_to_cont(L, c);
    c->has_else = true;
    L->nvs = c->height;
    for (uint32_t i = 0; i < c->nparams; i++)
        moatL_vpush(L, c->if_params[i]);
    LLVMPositionBuilderAtEnd(L->b, c->else_bb);
    L->is_dead = false;
}

static bool
has_predecessors(LLVMBasicBlockRef bb)
{
    return LLVMGetFirstUse(LLVMBasicBlockAsValue(bb)) != NULL;
}

void
moatL_end(Lower *L, const Insn *in)
{
    LCtrl c = *label(L, 0);
    (void)in;
    L->ncs--;
    if (c.is_dead)
        return;                 /* entered dead, stays dead */
    fall_to_cont(L, &c);
    if (c.op == OP_IF && !c.has_else) {
        /* the missing else passes the params through as results */
        LLVMPositionBuilderAtEnd(L->b, c.else_bb);
        L->nvs = c.height;
        for (uint32_t i = 0; i < c.nparams; i++)
            moatL_vpush(L, c.if_params[i]);
        L->is_dead = false;
        fall_to_cont(L, &c);
    }
    L->nvs = c.height;
    if (!has_predecessors(c.cont)) {
        /* nothing reaches past the end: the phis have no inputs */
        for (uint32_t i = 0; i < c.nresults; i++)
            LLVMInstructionEraseFromParent(c.cont_phis[i]);
        LLVMPositionBuilderAtEnd(L->b, c.cont);
        L->is_dead = true;
        return;
    }
    LLVMPositionBuilderAtEnd(L->b, c.cont);
    L->is_dead = false;
    for (uint32_t i = 0; i < c.nresults; i++)
        moatL_vpush(L, c.cont_phis[i]);
}

void
moatL_br(Lower *L, const Insn *in)
{
    LCtrl *c = label(L, in->a);
    add_incoming(L, c);
    LLVMBuildBr(L->b, label_dest(c));
    go_dead(L);
}

void
moatL_br_if(Lower *L, const Insn *in)
{
    LLVMValueRef      cond = moatL_vpop(L);
    LCtrl            *c = label(L, in->a);
    LLVMBasicBlockRef next = new_block(L, "br_if.else");
    LLVMValueRef      nz = LLVMBuildICmp(L->b, LLVMIntNE, cond,
                                         moatL_const_i32(L, 0), "");
    add_incoming(L, c);
    LLVMBuildCondBr(L->b, nz, label_dest(c), next);
    LLVMPositionBuilderAtEnd(L->b, next);
}

/* A br_table longer than this goes through a lookup table (below). */
enum { BR_TABLE_DIRECT = 64 };

/* A long br_table: a constant array maps the index to a dense id of its
 * distinct targets, then a switch over those. A switch case per entry
 * would add an incoming value per entry to the target's phis (LLVM wants
 * one per edge), and 65,520 entries over 5,000 blocks made the phis and
 * the switch lowering quadratic (docs/bench-compile-adversarial.md). */
static void
br_table_dense(Lower *L, const Insn *in, LLVMValueRef idx)
{
    uint32_t  n = in->b;
    uint32_t *lab = moatU_arena_alloc(&L->scratch, (n + 1) * sizeof *lab);
    uint32_t *id_of = moatU_arena_alloc(&L->scratch, L->ncs * sizeof *id_of);
    uint32_t *depth_of = moatU_arena_alloc(&L->scratch,
                                           L->ncs * sizeof *depth_of);
    LLVMValueRef *ids = moatU_arena_alloc(&L->scratch, (n + 1) * sizeof *ids);
    Reader        tr = *L->r;
    uint32_t      nids = 0;

    if (!lab || !id_of || !depth_of || !ids)
        abort();
    memset(id_of, 0xff, L->ncs * sizeof *id_of);
    tr.p = in->targets;
    for (uint32_t i = 0; i < n; i++)
        moatD_u32(&tr, &lab[i]);      /* decoded once already */
    lab[n] = in->a;                   /* the default, for idx >= n */
    for (uint32_t i = 0; i <= n; i++) {
        if (id_of[lab[i]] == UINT32_MAX) {
            depth_of[nids] = lab[i];
            id_of[lab[i]] = nids++;
        }
        ids[i] = moatL_const_i32(L, id_of[lab[i]]);
    }
    LLVMTypeRef  at = LLVMArrayType2(L->i32, (uint64_t)n + 1);
    LLVMValueRef g = LLVMAddGlobal(L->mod, at, "br_table");
    LLVMSetInitializer(g, LLVMConstArray2(L->i32, ids, (uint64_t)n + 1));
    LLVMSetGlobalConstant(g, true);
    LLVMSetLinkage(g, LLVMPrivateLinkage);
    LLVMSetUnnamedAddress(g, LLVMGlobalUnnamedAddr);

    LLVMValueRef in_range = LLVMBuildICmp(L->b, LLVMIntULT, idx,
                                          moatL_const_i32(L, n), "");
    LLVMValueRef i = LLVMBuildSelect(L->b, in_range, idx,
                                     moatL_const_i32(L, n), "");
    LLVMValueRef gep[2] = { moatL_const_i32(L, 0), i };
    LLVMValueRef id = LLVMBuildLoad2(L->b, L->i32,
                                     LLVMBuildInBoundsGEP2(L->b, at, g, gep,
                                                           2, ""),
                                     "br_table.id");
    LCtrl       *def = label(L, in->a);
    add_incoming(L, def);
    LLVMValueRef sw = LLVMBuildSwitch(L->b, id, label_dest(def), nids);
    for (uint32_t k = 0; k < nids; k++) {
        if (depth_of[k] == in->a)
            continue;                   /* the switch's default */
        LCtrl *c = label(L, depth_of[k]);
        add_incoming(L, c);
        LLVMAddCase(sw, moatL_const_i32(L, k), label_dest(c));
    }
}

void
moatL_br_table(Lower *L, const Insn *in)
{
    LLVMValueRef idx = moatL_vpop(L);
    LCtrl       *def = label(L, in->a);
    Reader       tr = *L->r;
    LLVMValueRef sw;

    if (in->b > BR_TABLE_DIRECT) {
        br_table_dense(L, in, idx);
        go_dead(L);
        return;
    }
    add_incoming(L, def);
    sw = LLVMBuildSwitch(L->b, idx, label_dest(def), in->b);
    tr.p = in->targets;
    for (uint32_t i = 0; i < in->b; i++) {
        uint32_t l = 0;
        moatD_u32(&tr, &l);     /* decoded once already: cannot fail */
        LCtrl *c = label(L, l);
        add_incoming(L, c);
        LLVMAddCase(sw, moatL_const_i32(L, i), label_dest(c));
    }
    go_dead(L);
}

void
moatL_return(Lower *L, const Insn *in)
{
    LCtrl *fn = &L->cs[0];
    (void)in;
    add_values(L, fn->cont_phis, fn->nresults);
    LLVMBuildBr(L->b, fn->cont);
    go_dead(L);
}

void
moatL_unreachable(Lower *L, const Insn *in)
{
    (void)in;
    moatL_trap(L, MOAT_ABI_TRAP_UNREACHABLE);
    L->is_dead = true;
}

void
moatL_nop(Lower *L, const Insn *in)
{
    (void)L;
    (void)in;
}

/* Loads are volatile (moatL_keep_load), so a dropped one still traps. */
void
moatL_drop(Lower *L, const Insn *in)
{
    (void)in;
    moatL_vpop_arith(L, NULL);        /* nothing sees its bits: no NaN mark */
}

void
moatL_select(Lower *L, const Insn *in)
{
    LLVMValueRef cond = moatL_vpop(L), b = moatL_vpop(L), a = moatL_vpop(L);
    LLVMValueRef nz = LLVMBuildICmp(L->b, LLVMIntNE, cond,
                                    moatL_const_i32(L, 0), "");
    moatL_vpush(L, LLVMBuildSelect(L->b, nz, a, b, moatD_op_text(in->op)));
}
