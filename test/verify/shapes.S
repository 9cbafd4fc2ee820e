/* shapes.S - hand-assembled objects for rules table and saved
 * (test_saved.c): the shapes LLVM gives honest code at -O2/-O3 that the
 * table rule used to reject, and, with -DBREAK=N, one defect each.
 *
 *   f_zx      the index's upper half cleared by a 32-bit write in an
 *             earlier block; the window after the loop head compares only
 *             its low half (`cmp $3, %edx`).       BREAK=1: a 64-bit write
 *   f_keep    the table's address kept in rbx across a call of g, the
 *             jump after a branch target (table_base.c's analysis).
 *   f_win     the same with the call inside the window (table.c).
 *   g         pushes and pops rbx, a realigned frame (`and $-32, %rsp`,
 *             restored through rbp), `push $0`, a store to its frame.
 *                                                  BREAK=2: g clobbers rbx
 *                                                  after restoring it
 *                                                  BREAK=3: g returns with
 *                                                  rsp 8 bytes off
 *                                                  BREAK=4: g overwrites
 *                                                  its saved rbx slot
 *   h         calls a runtime helper (C ABI: keeps rbx) with the table in
 *             rbx.                                 BREAK=5: in r11 (the
 *                                                  helper may change it)
 *                                                  BREAK=6: g returns with
 *                                                  `ret $8`
 *   t_trap    always traps (ends in `call moatR_trap`).
 *   f_end     ends in `call t_trap` (-O3 infers t_trap never returns).
 *                                                  BREAK=7: t_trap may
 *                                                  return
 *   f_trapblk the table in r14; a block that overwrites r14 ends in
 *             `call moatR_trap` and does not fall into the next block.
 *                                                  BREAK=8: it calls a
 *                                                  helper that returns
 *   f_range   an index no compare bounds, at most 3 by its arithmetic in
 *             an earlier block (atan2's quadrant: shr $63, shr $31, lea).
 *                                                  BREAK=9: shr $62 (5)
 *   f_spill   an index cleared, spilled 64 bits wide to rbp - 8, loaded
 *             twice in the window (compared, then used).
 *                                                  BREAK=10: spilled
 *                                                  from a 64-bit write
 *   f_two     jump 1 computes its target in r9, where jump 2 finds its
 *             table (reloaded on the way from jump 1's targets): jump 2
 *             is proven only if jump 1 leads to its own entries.
 *                                                  BREAK=11: not reloaded
 *   f_spill's spill also survives a call of g (it keeps rbp; the spill
 *             is above sp).                        BREAK=14: the spill
 *                                                  below sp (g's frame)
 *                                                  BREAK=16: overwritten
 *                                                  through lea -8(%rbp)
 *   s_trunc   a 32-bit value computed from an sp-derived one, used as a
 *             heap index in a store: not a frame store (rule saved keeps
 *             the saved rbx).                      BREAK=13: 64 bits wide
 *   f_late    jump 2's table targets the start of jump 1's sequence, which
 *             is known only once jump 2 is proven: jump 1's window then
 *             starts there (proven again).         BREAK=15: it targets
 *                                                  jump 1's sequence past
 *                                                  its check
 *   f_copy    the index is a copy of the register compared, made in an
 *             earlier block (quickjs -O3: `mov %r12d, %edi` ... `cmp $3,
 *             %r12d; ja` ... `movslq (%r9,%rdi,4)`).
 *                                                  BREAK=17: the copy
 *                                                  changed after it
 *   f_join    a switch on a value set to 0..3 by several predecessors.
 *                                                  BREAK=12: one sets 4
 *                                                  (the table is last in
 *                                                  .rodata)
 */
#ifndef BREAK
#define BREAK 0
#endif

    .text

    .globl  f_zx
    .type   f_zx, @function
f_zx:
#if BREAK == 1
    mov     %rsi, %rdx              /* 64-bit: the upper half unknown */
#else
    mov     %esi, %edx              /* zero-extends */
#endif
    xor     %eax, %eax
.Lzx_loop:                          /* a branch target: the window */
    cmp     $3, %edx                /* starts here */
    ja      .Lzx_def
    lea     .Ltab_zx(%rip), %rcx
    movslq  (%rcx,%rdx,4), %rsi
    add     %rcx, %rsi
    jmp     *%rsi
.Lzx_0:
    inc     %eax
    jmp     .Lzx_def
.Lzx_1:
    add     $2, %eax
    jmp     .Lzx_loop
.Lzx_2:
.Lzx_3:
    add     $3, %eax
.Lzx_def:
    ret
    .size   f_zx, . - f_zx

    .globl  f_keep
    .type   f_keep, @function
f_keep:
    push    %rbx
    push    %r12
    push    %rax                    /* align */
    mov     %esi, %r12d
    lea     .Ltab_keep(%rip), %rbx  /* kept across the calls */
    call    g
.Lkeep_loop:
    cmp     $2, %r12d
    ja      .Lkeep_out
    mov     %r12d, %eax
    movslq  (%rbx,%rax,4), %rax
    add     %rbx, %rax
    jmp     *%rax
.Lkeep_0:
    call    g
    dec     %r12d
    jmp     .Lkeep_loop
.Lkeep_1:
.Lkeep_2:
    xor     %r12d, %r12d
    jmp     .Lkeep_loop
.Lkeep_out:
    pop     %rax
    pop     %r12
    pop     %rbx
    ret
    .size   f_keep, . - f_keep

    .globl  f_win
    .type   f_win, @function
f_win:
    push    %rbx
    push    %r12
    push    %rax
    mov     %esi, %r12d
    lea     .Ltab_win(%rip), %rbx
    call    g                       /* in the window */
    cmp     $1, %r12d
    ja      .Lwin_out
    mov     %r12d, %eax
    movslq  (%rbx,%rax,4), %rax
    add     %rbx, %rax
    jmp     *%rax
.Lwin_0:
.Lwin_1:
    xor     %r12d, %r12d
.Lwin_out:
    pop     %rax
    pop     %r12
    pop     %rbx
    ret
    .size   f_win, . - f_win

    .globl  g
    .type   g, @function
g:
    push    %rbp
    mov     %rsp, %rbp
    push    %rbx
    and     $-32, %rsp              /* a realigned frame */
    sub     $64, %rsp
    push    $0
    pop     %rax
    mov     $1, %ebx
#if BREAK == 4
    mov     %rax, -8(%rbp)          /* over the saved rbx */
#endif
    mov     %rax, (%rsp)
    vmovdqa %ymm0, 32(%rsp)
    lea     -8(%rbp), %rsp
    pop     %rbx
    pop     %rbp
#if BREAK == 2
    xor     %ebx, %ebx
#elif BREAK == 3
    add     $8, %rsp
#endif
#if BREAK == 6
    ret     $8
#else
    ret
#endif
    .size   g, . - g

    .globl  h
    .type   h, @function
h:
    push    %rbx
    push    %r12
    push    %rax
    mov     %esi, %r12d
#if BREAK == 5
#define TAB %r11
#else
#define TAB %rbx
#endif
    lea     .Ltab_h(%rip), TAB
    call    moatR_memory_grow
.Lh_loop:
    cmp     $1, %r12d
    ja      .Lh_out
    mov     %r12d, %eax
    movslq  (TAB,%rax,4), %rax
    add     TAB, %rax
    jmp     *%rax
.Lh_0:
.Lh_1:
    dec     %r12d
    jmp     .Lh_loop
.Lh_out:
    pop     %rax
    pop     %r12
    pop     %rbx
    ret
    .size   h, . - h

    .globl  t_trap
    .type   t_trap, @function
t_trap:
    push    %rax
#if BREAK == 7
    test    %esi, %esi
    jne     .Lt_ret
#endif
    mov     $9, %esi
    call    moatR_trap
#if BREAK == 7
.Lt_ret:
    pop     %rax
    ret
#endif
    .size   t_trap, . - t_trap

    .globl  f_end
    .type   f_end, @function
f_end:
    push    %rax
    test    %esi, %esi
    je      .Lend_trap
    pop     %rax
    ret
.Lend_trap:
    call    t_trap
    .size   f_end, . - f_end

    .globl  f_trapblk
    .type   f_trapblk, @function
f_trapblk:
    push    %r14
    push    %r12
    push    %rax
    mov     %esi, %r12d
    lea     .Ltab_tb(%rip), %r14
    test    %edi, %edi
    jne     .Ltb_loop
    mov     %rdi, %r14              /* not the table any more */
#if BREAK == 8
    call    moatR_memory_grow
#else
    call    moatR_trap
#endif
.Ltb_loop:                          /* reached from above only by jne */
    cmp     $1, %r12d
    ja      .Ltb_out
    mov     %r12d, %eax
    movslq  (%r14,%rax,4), %rax
    add     %r14, %rax
    jmp     *%rax
.Ltb_0:
.Ltb_1:
    dec     %r12d
    jmp     .Ltb_loop
.Ltb_out:
    pop     %rax
    pop     %r12
    pop     %r14
    ret
    .size   f_trapblk, . - f_trapblk

    .globl  f_range
    .type   f_range, @function
f_range:
#if BREAK == 9
    shr     $62, %rsi
#else
    shr     $63, %rsi
#endif
    shr     $31, %edx
    lea     (%rsi,%rdx,2), %esi
    mov     %esi, %ecx
    test    %edi, %edi
    jne     .Lr_win
    xor     %eax, %eax
    ret
.Lr_win:
    lea     .Ltab_r(%rip), %rax
    movslq  (%rax,%rcx,4), %rcx
    add     %rax, %rcx
    jmp     *%rcx
.Lr_0:
.Lr_1:
.Lr_2:
.Lr_3:
    ret
    .size   f_range, . - f_range

    .globl  f_spill
    .type   f_spill, @function
f_spill:
    push    %rbp
    mov     %rsp, %rbp
    sub     $16, %rsp
#if BREAK == 10
    mov     %rsi, %rax
#else
    mov     %esi, %eax
#endif
#if BREAK == 14
#define SPILL -24(%rbp)
#else
#define SPILL -8(%rbp)
#endif
    mov     %rax, SPILL
#if BREAK == 16
    lea     -8(%rbp), %rax
    mov     %rsi, (%rax)            /* the spill, 64 bits of rsi */
#endif
    mov     %edi, -12(%rbp)
    call    g
    mov     -12(%rbp), %edi
    test    %edi, %edi
    jne     .Ls_win
    jmp     .Ls_out
.Ls_win:
    mov     SPILL, %rcx
    cmp     $2, %ecx
    ja      .Ls_out
    mov     SPILL, %rcx
    lea     .Ltab_s(%rip), %rdx
    movslq  (%rdx,%rcx,4), %rcx
    add     %rdx, %rcx
    jmp     *%rcx
.Ls_0:
.Ls_1:
.Ls_2:
.Ls_out:
    add     $16, %rsp
    pop     %rbp
    ret
    .size   f_spill, . - f_spill

    .globl  s_trunc
    .type   s_trunc, @function
s_trunc:
    push    %rbx
    mov     %rdi, %rbx
    lea     -0x10(%rsp), %rsi       /* the stack check's shape */
#if BREAK == 13
    add     %rdx, %rsi
    mov     %rsi, %r9
#else
    add     %edx, %esi
    mov     %esi, %r9d
#endif
    mov     %rax, (%rbx,%r9,1)
    pop     %rbx
    ret
    .size   s_trunc, . - s_trunc

    .globl  f_two
    .type   f_two, @function
f_two:
    lea     .Ltab_t1(%rip), %r8
    lea     .Ltab_t2(%rip), %r9
    mov     %esi, %eax
.Lt_j1:
    cmp     $1, %eax
    ja      .Lt_out
    movslq  (%r8,%rax,4), %r9       /* jump 1's target in r9 */
    add     %r8, %r9
    jmp     *%r9
.Lt_1a:
#if BREAK != 11
    lea     .Ltab_t2(%rip), %r9
#endif
    mov     %edi, %eax
    and     $1, %eax
    jmp     .Lt_j2
.Lt_1b:
    jmp     .Lt_out
.Lt_j2:
    movslq  (%r9,%rax,4), %rdx
    add     %r9, %rdx
    jmp     *%rdx
.Lt_2a:
    xor     %eax, %eax
    jmp     .Lt_j1
.Lt_2b:
.Lt_out:
    ret
    .size   f_two, . - f_two

    .globl  f_late
    .type   f_late, @function
f_late:
    mov     %esi, %eax
.Ll_w1:                             /* jump 2's entry 0 */
    cmp     $1, %eax
    ja      .Ll_out
    lea     .Ltab_l1(%rip), %rcx
.Ll_in:                             /* past the check */
    movslq  (%rcx,%rax,4), %rcx
    lea     .Ltab_l1(%rip), %rdx
    add     %rdx, %rcx
    jmp     *%rcx
.Ll_1a:
.Ll_1b:
    mov     %edi, %eax
    and     $1, %eax
    xor     %edi, %edi
    lea     .Ltab_l2(%rip), %rdx
    movslq  (%rdx,%rax,4), %rsi     /* rax stays the index */
    add     %rdx, %rsi
    jmp     *%rsi
.Ll_out:
    ret
    .size   f_late, . - f_late

    .globl  f_copy
    .type   f_copy, @function
f_copy:
    mov     %esi, %r10d
    and     $15, %r10d
    mov     %r10d, %edi             /* the copy */
    test    %edx, %edx
    je      .Lc_out
#if BREAK == 17
    add     $4, %edi
#endif
    cmp     $3, %r10d
    ja      .Lc_out
    test    %ecx, %ecx              /* a block of its own */
    jne     .Lc_win
    ret
.Lc_win:
    lea     .Ltab_c(%rip), %r9
    movslq  (%r9,%rdi,4), %rax
    add     %r9, %rax
    jmp     *%rax
.Lc_0:
.Lc_1:
.Lc_2:
.Lc_3:
.Lc_out:
    ret
    .size   f_copy, . - f_copy

    .globl  f_join
    .type   f_join, @function
f_join:
    cmp     $1, %esi
    je      .Lj_a
    cmp     $2, %esi
    je      .Lj_b
    mov     $3, %eax
    jmp     .Lj_sw
.Lj_a:
    mov     $1, %eax
    jmp     .Lj_sw
.Lj_b:
#if BREAK == 12
    mov     $4, %eax
#else
    mov     $2, %eax
#endif
.Lj_sw:
    lea     .Ltab_j(%rip), %rcx
    movslq  (%rcx,%rax,4), %rax
    add     %rcx, %rax
    jmp     *%rax
.Lj_0:
.Lj_1:
.Lj_2:
.Lj_3:
    ret
    .size   f_join, . - f_join

    .section .rodata
    .p2align 2
.Ltab_zx:
    .long   .Lzx_0 - .Ltab_zx
    .long   .Lzx_1 - .Ltab_zx
    .long   .Lzx_2 - .Ltab_zx
    .long   .Lzx_3 - .Ltab_zx
.Ltab_keep:
    .long   .Lkeep_0 - .Ltab_keep
    .long   .Lkeep_1 - .Ltab_keep
    .long   .Lkeep_2 - .Ltab_keep
.Ltab_win:
    .long   .Lwin_0 - .Ltab_win
    .long   .Lwin_1 - .Ltab_win
.Ltab_h:
    .long   .Lh_0 - .Ltab_h
    .long   .Lh_1 - .Ltab_h
.Ltab_tb:
    .long   .Ltb_0 - .Ltab_tb
    .long   .Ltb_1 - .Ltab_tb
.Ltab_r:
    .long   .Lr_0 - .Ltab_r
    .long   .Lr_1 - .Ltab_r
    .long   .Lr_2 - .Ltab_r
    .long   .Lr_3 - .Ltab_r
.Ltab_s:
    .long   .Ls_0 - .Ltab_s
    .long   .Ls_1 - .Ltab_s
    .long   .Ls_2 - .Ltab_s
.Ltab_t1:
    .long   .Lt_1a - .Ltab_t1
    .long   .Lt_1b - .Ltab_t1
.Ltab_t2:
    .long   .Lt_2a - .Ltab_t2
    .long   .Lt_2b - .Ltab_t2
.Ltab_l1:
    .long   .Ll_1a - .Ltab_l1
    .long   .Ll_1b - .Ltab_l1
.Ltab_l2:
#if BREAK == 15
    .long   .Ll_in - .Ltab_l2
#else
    .long   .Ll_w1 - .Ltab_l2
#endif
    .long   .Ll_out - .Ltab_l2
.Ltab_c:
    .long   .Lc_0 - .Ltab_c
    .long   .Lc_1 - .Ltab_c
    .long   .Lc_2 - .Ltab_c
    .long   .Lc_3 - .Ltab_c
.Ltab_j:
    .long   .Lj_0 - .Ltab_j
    .long   .Lj_1 - .Ltab_j
    .long   .Lj_2 - .Ltab_j
    .long   .Lj_3 - .Ltab_j

    .section .note.GNU-stack, "", @progbits
