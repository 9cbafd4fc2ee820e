/* table_shapes.S - hand-assembled jump tables of the shapes LLVM gave the
 * real-world programs at -O2/-O3 that rule table rejected (quickjs, sql.js,
 * sqlite3-O2.wasm, resvg; docs/verify.md), for test_table_shapes.c; with
 * -DBREAK=N one defect each, which must stay rejected. In each, a branch
 * target (`.L*w`) starts the jump's window after the fact it needs, so the
 * proof must come from table_base.c's analysis, not from the window.
 *
 *   c_low    the index is the zero-extended low half of a register whose
 *            upper half is not known, compared 32 bits wide
 *            (`mov %r10d, %edi` ... `cmp $3, %r10d`: quickjs wasm_f850).
 *                                       BREAK=1: another register compared
 *   c_spill  compared through one copy, indexed with a reload of the spill
 *            (`mov -8(%rbp), %r8; cmp $3, %r8d` ... `mov -8(%rbp), %rdx`:
 *            sqlite3-O2.wasm wasm_f1607).
 *                                       BREAK=2: reloaded from another slot
 *   c_slot   a 4-byte frame slot compared, the index loaded from an 8-byte
 *            slot the same value was spilled to (`cmpl $3, -4(%rbp)` ...
 *            `mov -16(%rbp), %rax`: quickjs wasm_f1053).
 *                                       BREAK=3: cmpl $4 (one too large)
 *   c_arg    a loop whose back edge reloads the compared value from a
 *            stack argument and the index from its spill (`mov 16(%rbp),
 *            %r11d` ... `mov -16(%rbp), %r10`: quickjs wasm_f258).
 *                                       BREAK=4: the index reloaded from
 *                                       another stack argument
 *   c_tcopy  the table address kept in rbx across a call (`mov %r8, %rbx;
 *            call; mov %rbx, %r8`: sql.js wasm_f311).
 *                                       BREAK=5: kept in r11, which the
 *                                       call may change
 *   c_w16    a 16-bit compare, then `movzwl` of the index (resvg
 *            wasm_f582).                BREAK=6: movzwl of another register
 *   c_w8     an 8-bit compare in an earlier block, joined with a smaller
 *            value (the join must not widen 2 to 3: resvg wasm_f66).
 *                                       BREAK=7: cmp $3 (one too large)
 *   c_noret  the index in r8 across a call of a function of the object
 *            that never returns (c_die), which LLVM gives r8 another value
 *            before (resvg -O3 wasm_f438).
 *                                       BREAK=8: c_die may return
 *   c_push   a spill across stack arguments pushed for a call (quickjs -O3
 *            wasm_f1053).               BREAK=9: the spill where a push
 *                                       writes
 *                                       BREAK=18: the spill's address
 *                                       pushed as a stack argument
 *   c_chain  jump 2's window starts at a target of jump 1, its index a
 *            spill at most 3 compared with 255 in the window: proven only
 *            once jump 1's targets are known (a round that has not reached
 *            the window must not make the jump's 256-entry table final).
 *                                       BREAK=10: the spill at most 7
 *   c_ne     not equal: at most 6 (`cmp $6, %cl; ja`), then `cmp $6, %ecx;
 *            jne` before a table of 6 entries (resvg wasm_f66).
 *                                       BREAK=11: je (it is 6 there)
 *   c_fit    an 8-bit compare in the window of a value known to fit in 8
 *            bits, indexed 32 bits wide (resvg wasm_f66).
 *                                       BREAK=12: not known to fit
 *   c_deep   a chain of six jumps, each reached only from the targets of
 *            the one before, each index a spill compared with 255 in its
 *            window (the guess grows by one jump a round: more rounds
 *            than the four there were).     BREAK=13: the last spill
 *                                       at most 7
 *   c_store  a spill at most 3 reloaded after a call in the jump's window
 *            (the callee writes below sp only).
 *                                       BREAK=14: the window stores 9 over
 *                                       the spill first
 *                                       BREAK=15: the spill's address is
 *                                       passed to the callee
 *            (main's checker at 59c4673 accepted both: its window took
 *            what held at the window's start for what a load reads later)
 *
 *   c_je     in the window, `cmp $4, %ecx; je` of a value at most 4 before
 *            a table of 4 entries (resvg -O3 wasm_f66).
 *                                       BREAK=16: jne (it is 4 there)
 *
 *   c_many   the index's spill is the 33rd of a frame with many live spills
 *            (resvg -O3 wasm_f18: table_range.c kept 16, then 24).
 *                                       BREAK=17: spilled unbounded
 *
 * Each table is followed by another function's, so a bound one too large
 * reads an entry that is not an instruction of the function.
 */
#ifndef BREAK
#define BREAK 0
#endif

    .text

/* a callee that keeps rbx, rbp, r12-r15 (rule saved) */
    .globl  c_g
    .type   c_g, @function
c_g:
    ret
    .size   c_g, . - c_g

    .globl  c_low
    .type   c_low, @function
c_low:
    mov     %rsi, %r10              /* 64-bit: the upper half unknown */
    mov     %rdx, %r11
    mov     %r10d, %edi             /* the low half, zero-extended */
    test    %ecx, %ecx
    jne     .Llow_w
.Llow_w:
#if BREAK == 1
    cmp     $3, %r11d
#else
    cmp     $3, %r10d
#endif
    ja      .Llow_out
    lea     .Ltab_low(%rip), %r9
    movslq  (%r9,%rdi,4), %rax
    add     %r9, %rax
    jmp     *%rax
.Llow_0:
.Llow_1:
.Llow_2:
.Llow_3:
.Llow_out:
    ret
    .size   c_low, . - c_low

    .globl  c_spill
    .type   c_spill, @function
c_spill:
    push    %rbp
    mov     %rsp, %rbp
    sub     $16, %rsp
    mov     %esi, %eax
    mov     %rax, -8(%rbp)          /* at most 2^32 - 1 */
    mov     %rdx, -16(%rbp)
    mov     -8(%rbp), %r8
    cmp     $3, %r8d
    ja      .Lsp_out
    test    %ecx, %ecx
    jne     .Lsp_w
.Lsp_w:
#if BREAK == 2
    mov     -16(%rbp), %rdx
#else
    mov     -8(%rbp), %rdx
#endif
    lea     .Ltab_sp(%rip), %r9
    movslq  (%r9,%rdx,4), %rax
    add     %r9, %rax
    jmp     *%rax
.Lsp_0:
.Lsp_1:
.Lsp_2:
.Lsp_3:
.Lsp_out:
    leave
    ret
    .size   c_spill, . - c_spill

    .globl  c_slot
    .type   c_slot, @function
c_slot:
    push    %rbp
    mov     %rsp, %rbp
    sub     $16, %rsp
    mov     %esi, -4(%rbp)
    mov     -4(%rbp), %edx
    mov     %edx, %eax
    mov     %rax, -16(%rbp)         /* the same value, 8 bytes */
    test    %ecx, %ecx
    jne     .Lsl_w
.Lsl_w:
#if BREAK == 3
    cmpl    $4, -4(%rbp)
#else
    cmpl    $3, -4(%rbp)
#endif
    ja      .Lsl_out
    mov     -16(%rbp), %rax
    lea     .Ltab_sl(%rip), %r9
    movslq  (%r9,%rax,4), %rax
    add     %r9, %rax
    jmp     *%rax
.Lsl_0:
.Lsl_1:
.Lsl_2:
.Lsl_3:
.Lsl_out:
    leave
    ret
    .size   c_slot, . - c_slot

    .globl  c_arg
    .type   c_arg, @function
c_arg:
    push    %rbp
    mov     %rsp, %rbp
    push    %rbx
    push    %rax
    mov     16(%rbp), %r11d         /* a stack argument */
    mov     %r11d, %r10d
    mov     %r10, -16(%rbp)
    lea     .Ltab_arg(%rip), %rbx
.Larg_loop:
    cmp     $3, %r11d
    ja      .Larg_out
    movslq  (%rbx,%r10,4), %rax
    add     %rbx, %rax
    jmp     *%rax
.Larg_0:
    dec     %ecx
    je      .Larg_out
    mov     16(%rbp), %r11d
#if BREAK == 4
    mov     24(%rbp), %r10
#else
    mov     -16(%rbp), %r10
#endif
    jmp     .Larg_loop
.Larg_1:
.Larg_2:
.Larg_3:
.Larg_out:
    pop     %rax
    pop     %rbx
    pop     %rbp
    ret
    .size   c_arg, . - c_arg

    .globl  c_tcopy
    .type   c_tcopy, @function
c_tcopy:
    push    %rbx
    lea     .Ltab_tc(%rip), %r8
.Ltc_loop:
    movzbl  %sil, %edx
    cmp     $3, %edx
    ja      .Ltc_out
    movslq  (%r8,%rdx,4), %rax
    add     %r8, %rax
    jmp     *%rax
.Ltc_0:
#if BREAK == 5
    mov     %r8, %r11
    call    c_g
    mov     %r11, %r8
#else
    mov     %r8, %rbx
    call    c_g
    mov     %rbx, %r8
#endif
    inc     %esi
    jmp     .Ltc_loop
.Ltc_1:
.Ltc_2:
.Ltc_3:
.Ltc_out:
    pop     %rbx
    ret
    .size   c_tcopy, . - c_tcopy

    .globl  c_w16
    .type   c_w16, @function
c_w16:
    mov     %si, %cx
    cmp     $3, %cx
    ja      .Lw16_out
#if BREAK == 6
    movzwl  %dx, %ecx
#else
    movzwl  %cx, %ecx
#endif
    lea     .Ltab_w16(%rip), %r8
    movslq  (%r8,%rcx,4), %rcx
    add     %r8, %rcx
    jmp     *%rcx
.Lw16_0:
.Lw16_1:
.Lw16_2:
.Lw16_3:
.Lw16_out:
    ret
    .size   c_w16, . - c_w16

    .globl  c_w8
    .type   c_w8, @function
c_w8:
    movzbl  %sil, %ecx              /* at most 0xff */
#if BREAK == 7
    cmp     $3, %cl
#else
    cmp     $2, %cl                 /* and now at most 2 */
#endif
    ja      .Lw8_out
    test    %edx, %edx
    je      .Lw8_j
    xor     %ecx, %ecx              /* 0 on this edge */
.Lw8_j:                             /* the join: at most 2, not 3 */
    test    %r8d, %r8d
    jne     .Lw8_w
.Lw8_w:
    lea     .Ltab_w8(%rip), %r9
    movslq  (%r9,%rcx,4), %rax
    add     %r9, %rax
    jmp     *%rax
.Lw8_0:
.Lw8_1:
.Lw8_2:
.Lw8_out:
    ret
    .size   c_w8, . - c_w8

/* never returns (its last instruction calls one that never returns) */
    .globl  c_die
    .type   c_die, @function
c_die:
    push    %rax
#if BREAK == 8
    test    %esi, %esi
    jne     .Ldie_ret
#endif
    mov     $1, %esi
    call    moatR_trap
#if BREAK == 8
.Ldie_ret:
    pop     %rax
    ret
#endif
    .size   c_die, . - c_die

    .globl  c_noret
    .type   c_noret, @function
c_noret:
    push    %rax
    mov     %esi, %r8d
    and     $3, %r8d
    test    %edx, %edx
    jne     .Lnr_w
    mov     $0x12345678, %r8d       /* what c_die gets, not the index */
    call    c_die
.Lnr_w:                             /* reached from jne only */
    lea     .Ltab_nr(%rip), %r9
    movslq  (%r9,%r8,4), %rax
    add     %r9, %rax
    jmp     *%rax
.Lnr_0:
.Lnr_1:
.Lnr_2:
.Lnr_3:
    pop     %rax
    ret
    .size   c_noret, . - c_noret

    .globl  c_push
    .type   c_push, @function
c_push:
    push    %rbp
    mov     %rsp, %rbp
    sub     $16, %rsp
    mov     %esi, %eax
    and     $3, %eax
#if BREAK == 9
    mov     %eax, -24(%rbp)         /* where the first push writes */
#else
    mov     %eax, -4(%rbp)
#endif
    push    $2                      /* stack arguments */
#if BREAK == 18
    lea     -4(%rbp), %rdx
#endif
    push    %rdx
    call    c_g
    add     $16, %rsp
    test    %ecx, %ecx
    jne     .Lpu_w
.Lpu_w:
#if BREAK == 9
    mov     -24(%rbp), %eax
#else
    mov     -4(%rbp), %eax
#endif
    lea     .Ltab_pu(%rip), %r9
    movslq  (%r9,%rax,4), %rax
    add     %r9, %rax
    jmp     *%rax
.Lpu_0:
.Lpu_1:
.Lpu_2:
.Lpu_3:
    leave
    ret
    .size   c_push, . - c_push

    .globl  c_chain
    .type   c_chain, @function
c_chain:
    push    %rbp
    mov     %rsp, %rbp
    sub     $16, %rsp
    mov     %esi, %eax
#if BREAK == 10
    and     $7, %eax
#else
    and     $3, %eax
#endif
    mov     %eax, -4(%rbp)          /* at most 3 */
    mov     %edx, %eax
    and     $1, %eax
    lea     .Ltab_ch1(%rip), %r9    /* jump 1: proven by its window */
    movslq  (%r9,%rax,4), %rax
    add     %r9, %rax
    jmp     *%rax
.Lch_w:                             /* jump 1's entry 0: jump 2's window */
    mov     -4(%rbp), %eax
    cmp     $255, %eax
    ja      .Lch_out
    lea     .Ltab_ch2(%rip), %r9
    movslq  (%r9,%rax,4), %rax
    add     %r9, %rax
    jmp     *%rax
.Lch_0:
.Lch_1:
.Lch_2:
.Lch_3:
.Lch_out:
    leave
    ret
    .size   c_chain, . - c_chain


    .globl  c_ne
    .type   c_ne, @function
c_ne:
    movzbl  %sil, %ecx
    cmp     $6, %cl
    ja      .Lne_out
    test    %edx, %edx
    jne     .Lne_t
.Lne_t:
    cmp     $6, %ecx
#if BREAK == 11
    je      .Lne_w
#else
    jne     .Lne_w
#endif
    ret
.Lne_w:                             /* at most 5 */
    lea     .Ltab_ne(%rip), %r9
    movslq  (%r9,%rcx,4), %rax
    add     %r9, %rax
    jmp     *%rax
.Lne_0:
.Lne_1:
.Lne_2:
.Lne_3:
.Lne_4:
.Lne_5:
.Lne_out:
    ret
    .size   c_ne, . - c_ne

    .globl  c_fit
    .type   c_fit, @function
c_fit:
#if BREAK == 12
    mov     %rsi, %rcx
#else
    movzbl  %sil, %ecx              /* fits in 8 bits */
#endif
    test    %edx, %edx
    jne     .Lfit_w
.Lfit_w:
    cmp     $3, %cl                 /* so this saw all of it */
    ja      .Lfit_out
    lea     .Ltab_fit(%rip), %r9
    movslq  (%r9,%rcx,4), %rax
    add     %r9, %rax
    jmp     *%rax
.Lfit_0:
.Lfit_1:
.Lfit_2:
.Lfit_3:
.Lfit_out:
    ret
    .size   c_fit, . - c_fit

/* link K: entry 0 of jump K - 1's table leads here; a spill at most 3
 * compared with 255 (its window alone gives a table of 256) */
#define LINK(K, TAB)                                                        \
.Ldp_w##K:                                                                  \
    mov     -4(%rbp), %eax;                                                 \
    cmp     $255, %eax;                                                     \
    ja      .Ldp_out;                                                       \
    lea     TAB(%rip), %r9;                                                 \
    movslq  (%r9,%rax,4), %rax;                                             \
    add     %r9, %rax;                                                      \
    jmp     *%rax;

    .globl  c_deep
    .type   c_deep, @function
c_deep:
    push    %rbp
    mov     %rsp, %rbp
    sub     $16, %rsp
    mov     %esi, %eax
    and     $3, %eax
    mov     %eax, -4(%rbp)
    mov     %edx, %eax
    and     $1, %eax
    lea     .Ltab_dp0(%rip), %r9    /* jump 0: proven by its window */
    movslq  (%r9,%rax,4), %rax
    add     %r9, %rax
    jmp     *%rax
    LINK(1, .Ltab_dp1)
    LINK(2, .Ltab_dp2)
    LINK(3, .Ltab_dp3)
    LINK(4, .Ltab_dp4)
    LINK(5, .Ltab_dp5)
.Ldp_w6:
#if BREAK == 13
    movl    $7, -4(%rbp)
#endif
    LINK(7, .Ltab_dp6)
.Ldp_out:
    leave
    ret
    .size   c_deep, . - c_deep


    .globl  c_store
    .type   c_store, @function
c_store:
    push    %rbp
    mov     %rsp, %rbp
    sub     $16, %rsp
    mov     %esi, %eax
    and     $3, %eax
    mov     %eax, -4(%rbp)          /* at most 3 */
    test    %edx, %edx
    jne     .Lst_w
.Lst_w:
#if BREAK == 14
    movl    $9, -4(%rbp)
#endif
#if BREAK == 15
    lea     -4(%rbp), %rdi
#endif
    call    c_g
    mov     -4(%rbp), %eax
    lea     .Ltab_st(%rip), %r9
    movslq  (%r9,%rax,4), %rax
    add     %r9, %rax
    jmp     *%rax
.Lst_0:
.Lst_1:
.Lst_2:
.Lst_3:
    leave
    ret
    .size   c_store, . - c_store


    .globl  c_je
    .type   c_je, @function
c_je:
    movzbl  %sil, %ecx
    cmp     $4, %cl
    ja      .Lje_out
    test    %edx, %edx
    jne     .Lje_w
.Lje_w:
    cmp     $4, %ecx
#if BREAK == 16
    jne     .Lje_out
#else
    je      .Lje_out
#endif
    lea     .Ltab_je(%rip), %r9
    movslq  (%r9,%rcx,4), %rax
    add     %r9, %rax
    jmp     *%rax
.Lje_0:
.Lje_1:
.Lje_2:
.Lje_3:
.Lje_out:
    ret
    .size   c_je, . - c_je


    .globl  c_many
    .type   c_many, @function
c_many:
    push    %rbp
    mov     %rsp, %rbp
    sub     $272, %rsp
    mov     %rdx, -8(%rbp)
    mov     %rdx, -16(%rbp)
    mov     %rdx, -24(%rbp)
    mov     %rdx, -32(%rbp)
    mov     %rdx, -40(%rbp)
    mov     %rdx, -48(%rbp)
    mov     %rdx, -56(%rbp)
    mov     %rdx, -64(%rbp)
    mov     %rdx, -72(%rbp)
    mov     %rdx, -80(%rbp)
    mov     %rdx, -88(%rbp)
    mov     %rdx, -96(%rbp)
    mov     %rdx, -104(%rbp)
    mov     %rdx, -112(%rbp)
    mov     %rdx, -120(%rbp)
    mov     %rdx, -128(%rbp)
    mov     %rdx, -136(%rbp)
    mov     %rdx, -144(%rbp)
    mov     %rdx, -152(%rbp)
    mov     %rdx, -160(%rbp)
    mov     %rdx, -168(%rbp)
    mov     %rdx, -176(%rbp)
    mov     %rdx, -184(%rbp)
    mov     %rdx, -192(%rbp)
    mov     %rdx, -200(%rbp)
    mov     %rdx, -208(%rbp)
    mov     %rdx, -216(%rbp)
    mov     %rdx, -224(%rbp)
    mov     %rdx, -232(%rbp)
    mov     %rdx, -240(%rbp)
    mov     %rdx, -248(%rbp)
    mov     %rdx, -256(%rbp)
#if BREAK == 17
    mov     %rsi, %rax
#else
    mov     %esi, %eax
    and     $3, %eax
#endif
    mov     %rax, -264(%rbp)        /* the 33rd spill */
    test    %ecx, %ecx
    jne     .Lmany_w
.Lmany_w:
    mov     -264(%rbp), %rax
    lea     .Ltab_many(%rip), %r9
    movslq  (%r9,%rax,4), %rax
    add     %r9, %rax
    jmp     *%rax
.Lmany_0:
.Lmany_1:
.Lmany_2:
.Lmany_3:
    leave
    ret
    .size   c_many, . - c_many

    .section .rodata
    .p2align 2
.Ltab_low:
    .long   .Llow_0 - .Ltab_low
    .long   .Llow_1 - .Ltab_low
    .long   .Llow_2 - .Ltab_low
    .long   .Llow_3 - .Ltab_low
.Ltab_sp:
    .long   .Lsp_0 - .Ltab_sp
    .long   .Lsp_1 - .Ltab_sp
    .long   .Lsp_2 - .Ltab_sp
    .long   .Lsp_3 - .Ltab_sp
.Ltab_sl:
    .long   .Lsl_0 - .Ltab_sl
    .long   .Lsl_1 - .Ltab_sl
    .long   .Lsl_2 - .Ltab_sl
    .long   .Lsl_3 - .Ltab_sl
.Ltab_arg:
    .long   .Larg_0 - .Ltab_arg
    .long   .Larg_1 - .Ltab_arg
    .long   .Larg_2 - .Ltab_arg
    .long   .Larg_3 - .Ltab_arg
.Ltab_tc:
    .long   .Ltc_0 - .Ltab_tc
    .long   .Ltc_1 - .Ltab_tc
    .long   .Ltc_2 - .Ltab_tc
    .long   .Ltc_3 - .Ltab_tc
.Ltab_w16:
    .long   .Lw16_0 - .Ltab_w16
    .long   .Lw16_1 - .Ltab_w16
    .long   .Lw16_2 - .Ltab_w16
    .long   .Lw16_3 - .Ltab_w16
.Ltab_w8:
    .long   .Lw8_0 - .Ltab_w8
    .long   .Lw8_1 - .Ltab_w8
    .long   .Lw8_2 - .Ltab_w8
.Ltab_nr:
    .long   .Lnr_0 - .Ltab_nr
    .long   .Lnr_1 - .Ltab_nr
    .long   .Lnr_2 - .Ltab_nr
    .long   .Lnr_3 - .Ltab_nr
.Ltab_pu:
    .long   .Lpu_0 - .Ltab_pu
    .long   .Lpu_1 - .Ltab_pu
    .long   .Lpu_2 - .Ltab_pu
    .long   .Lpu_3 - .Ltab_pu
.Ltab_ch1:
    .long   .Lch_w - .Ltab_ch1
    .long   .Lch_out - .Ltab_ch1
.Ltab_ch2:
    .long   .Lch_0 - .Ltab_ch2
    .long   .Lch_1 - .Ltab_ch2
    .long   .Lch_2 - .Ltab_ch2
    .long   .Lch_3 - .Ltab_ch2
.Ltab_ne:
    .long   .Lne_0 - .Ltab_ne
    .long   .Lne_1 - .Ltab_ne
    .long   .Lne_2 - .Ltab_ne
    .long   .Lne_3 - .Ltab_ne
    .long   .Lne_4 - .Ltab_ne
    .long   .Lne_5 - .Ltab_ne
.Ltab_fit:
    .long   .Lfit_0 - .Ltab_fit
    .long   .Lfit_1 - .Ltab_fit
    .long   .Lfit_2 - .Ltab_fit
    .long   .Lfit_3 - .Ltab_fit
.Ltab_dp0:
    .long   .Ldp_w1 - .Ltab_dp0
    .long   .Ldp_out - .Ltab_dp0
.Ltab_dp1:
    .long   .Ldp_w2 - .Ltab_dp1
    .long   .Ldp_out - .Ltab_dp1
    .long   .Ldp_out - .Ltab_dp1
    .long   .Ldp_out - .Ltab_dp1
.Ltab_dp2:
    .long   .Ldp_w3 - .Ltab_dp2
    .long   .Ldp_out - .Ltab_dp2
    .long   .Ldp_out - .Ltab_dp2
    .long   .Ldp_out - .Ltab_dp2
.Ltab_dp3:
    .long   .Ldp_w4 - .Ltab_dp3
    .long   .Ldp_out - .Ltab_dp3
    .long   .Ldp_out - .Ltab_dp3
    .long   .Ldp_out - .Ltab_dp3
.Ltab_dp4:
    .long   .Ldp_w5 - .Ltab_dp4
    .long   .Ldp_out - .Ltab_dp4
    .long   .Ldp_out - .Ltab_dp4
    .long   .Ldp_out - .Ltab_dp4
.Ltab_dp5:
    .long   .Ldp_w6 - .Ltab_dp5
    .long   .Ldp_out - .Ltab_dp5
    .long   .Ldp_out - .Ltab_dp5
    .long   .Ldp_out - .Ltab_dp5
.Ltab_dp6:
    .long   .Ldp_out - .Ltab_dp6
    .long   .Ldp_out - .Ltab_dp6
    .long   .Ldp_out - .Ltab_dp6
    .long   .Ldp_out - .Ltab_dp6
.Ltab_st:
    .long   .Lst_0 - .Ltab_st
    .long   .Lst_1 - .Ltab_st
    .long   .Lst_2 - .Ltab_st
    .long   .Lst_3 - .Ltab_st
.Ltab_je:
    .long   .Lje_0 - .Ltab_je
    .long   .Lje_1 - .Ltab_je
    .long   .Lje_2 - .Ltab_je
    .long   .Lje_3 - .Ltab_je
.Ltab_many:
    .long   .Lmany_0 - .Ltab_many
    .long   .Lmany_1 - .Ltab_many
    .long   .Lmany_2 - .Ltab_many
    .long   .Lmany_3 - .Ltab_many
.Ltab_end:                          /* not an instruction of any function */
    .long   .Ltab_end - .Ltab_low
    .long   .Ltab_end - .Ltab_low
    .long   .Ltab_end - .Ltab_low
    .long   .Ltab_end - .Ltab_low

    .section .note.GNU-stack, "", @progbits
