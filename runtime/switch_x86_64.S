/* switch_x86_64.S - the context switch between a host stack and instance
 * stacks (x86-64 System V), symmetric so that a run can yield and be
 * resumed later from another frame or thread (fiber.c says when).
 *
 * void moatR_fiber_switch(void **save, void *to)
 *   pushes what the ABI says a callee keeps (rbx, rbp, r12-r15, the
 *   MXCSR control bits and the x87 control word), stores rsp in *save,
 *   loads rsp = to and pops the same set saved there: it "returns" into
 *   whoever saved `to`. Everything else is caller-saved, so the C caller
 *   has spilled it already.
 *
 * void moatR_fiber_start(void)
 *   the first return address of a fresh stack (fiber.c builds the frame
 *   moatR_fiber_switch pops): calls r12(r13), which never returns (it
 *   switches away when the run is done). rbp = 0 ends the frame-pointer
 *   chain. Its unwind rule leads debuggers and DWARF unwinders (gdb's bt,
 *   perf --call-graph=dwarf) on to the host stack that entered the run:
 *   r13 still holds the Fiber, whose ret_sp (FIBER_RET_SP bytes in,
 *   asserted in fiber.c) is where moatR_fiber_switch left the entering
 *   frame: the control words, r15, r14, r13, r12, rbx, rbp, then the
 *   return address into moatR_fiber_enter. So the caller's CFA is
 *   ret_sp + 64 and each register lies below it.
 *
 * A trap does not come back through here: it siglongjmps from the
 * instance stack to the activation that entered it (stack.c).
 */
    .text
    .globl  moatR_fiber_switch
    .hidden moatR_fiber_switch
    .type   moatR_fiber_switch, @function
    .p2align 4
moatR_fiber_switch:
    .cfi_startproc
#ifdef __CET__
    endbr64
#endif
    pushq   %rbp
    .cfi_adjust_cfa_offset 8
    pushq   %rbx
    .cfi_adjust_cfa_offset 8
    pushq   %r12
    .cfi_adjust_cfa_offset 8
    pushq   %r13
    .cfi_adjust_cfa_offset 8
    pushq   %r14
    .cfi_adjust_cfa_offset 8
    pushq   %r15
    .cfi_adjust_cfa_offset 8
    subq    $8, %rsp
    .cfi_adjust_cfa_offset 8
    stmxcsr (%rsp)
    fnstcw  4(%rsp)
    movq    %rsp, (%rdi)
    movq    %rsi, %rsp
    ldmxcsr (%rsp)
    fldcw   4(%rsp)
    addq    $8, %rsp
    popq    %r15
    popq    %r14
    popq    %r13
    popq    %r12
    popq    %rbx
    popq    %rbp
    ret
    .cfi_endproc
    .size   moatR_fiber_switch, .-moatR_fiber_switch

    .globl  moatR_fiber_start
    .hidden moatR_fiber_start
    .type   moatR_fiber_start, @function
    .p2align 4
#define FIBER_RET_SP 8
moatR_fiber_start:
    .cfi_startproc
    /* DW_CFA_def_cfa_expression, 5 bytes: DW_OP_breg13 FIBER_RET_SP,
     * DW_OP_deref, DW_OP_plus_uconst 64 */
    .cfi_escape 0x0f, 0x05, 0x7d, FIBER_RET_SP, 0x06, 0x23, 0x40
    .cfi_offset 16, -8          /* the return address (DWARF column 16) */
    .cfi_offset %rbp, -16
    .cfi_offset %rbx, -24
    .cfi_offset %r12, -32
    .cfi_offset %r13, -40
    .cfi_offset %r14, -48
    .cfi_offset %r15, -56
#ifdef __CET__
    endbr64
#endif
    xorl    %ebp, %ebp
    movq    %r13, %rdi
    callq   *%r12
    ud2
    .cfi_endproc
    .size   moatR_fiber_start, .-moatR_fiber_start

    .section .note.GNU-stack, "", @progbits
