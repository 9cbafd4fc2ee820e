/* switch_x86_64.S - entering the wasm stack (x86-64 System V).
 *
 * void moatR_stack_call(void *stack_top, void (*fn)(void *), void *arg)
 * saves rbp, moves rsp to stack_top (16-aligned), calls fn(arg) there and
 * comes back. rbp stays the frame base throughout, so debuggers and
 * frame-pointer unwinders walk from wasm frames into the host's. A trap
 * does not return here: it siglongjmps to the activation (stack.c).
 */
    .text
    .globl  moatR_stack_call
    .hidden moatR_stack_call
    .type   moatR_stack_call, @function
    .p2align 4
moatR_stack_call:
    .cfi_startproc
#ifdef __CET__
    endbr64
#endif
    pushq   %rbp
    .cfi_def_cfa_offset 16
    .cfi_offset %rbp, -16
    movq    %rsp, %rbp
    .cfi_def_cfa_register %rbp
    movq    %rdi, %rsp
    movq    %rdx, %rdi
    callq   *%rsi
    movq    %rbp, %rsp
    popq    %rbp
    .cfi_def_cfa %rsp, 8
    ret
    .cfi_endproc
    .size   moatR_stack_call, .-moatR_stack_call

    .section .note.GNU-stack, "", @progbits
