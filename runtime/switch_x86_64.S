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
 *   switches away when the run is done). rbp = 0 and an undefined return
 *   address end the frame chain for debuggers and unwinders.
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
moatR_fiber_start:
    .cfi_startproc
    .cfi_undefined rip
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
