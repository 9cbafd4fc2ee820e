/* loops.S - loop bodies for the memory rule (test_loops.c), written over
 * the body of an honest function of loops.wat at -O2 (after its stack
 * check, before its trap call): rdi is ctx, which is the heap base (the
 * module's memory is its own); rsi, rdx hold unknown values; each body
 * ends with `pop %rbp; ret` (the prologue pushed rbp). ok_* must be
 * proven; bad_* must be rejected by the memory rule.
 */
    .text

/* a heap pointer walking up by 4 to a bound in a register: only the
 * access (no fault: below 2^32) bounds it */
    .globl  ok_up
    .type   ok_up, @function
ok_up:
    mov     %esi, %eax
    lea     (%rdi,%rax), %rcx
    mov     %edx, %edx
    lea     (%rdi,%rdx), %rdx
1:  mov     (%rcx), %r8d
    add     $4, %rcx
    cmp     %rdx, %rcx
    jb      1b
    pop     %rbp
    ret
    .size   ok_up, . - ok_up

/* the same, a stride of 2 GiB (past the guard: the walk's head may be
 * 2^32 - 1 + 2^31, and the access there passes the reservation) */
    .globl  bad_stride
    .type   bad_stride, @function
bad_stride:
    mov     %esi, %eax
    lea     (%rdi,%rax), %rcx
    mov     %edx, %edx
    lea     (%rdi,%rdx), %rdx
    mov     $0x80000000, %r9d
1:  mov     (%rcx), %r8d
    add     %r9, %rcx
    cmp     %rdx, %rcx
    jb      1b
    pop     %rbp
    ret
    .size   bad_stride, . - bad_stride

/* the access on one path around the loop only */
    .globl  bad_path
    .type   bad_path, @function
bad_path:
    mov     %esi, %eax
    lea     (%rdi,%rax), %rcx
    mov     %edx, %edx
    lea     (%rdi,%rdx), %rdx
1:  test    %r8d, %r8d
    je      2f
    mov     (%rcx), %r8d
2:  add     $4, %rcx
    cmp     %rdx, %rcx
    jb      1b
    pop     %rbp
    ret
    .size   bad_path, . - bad_path

/* a walk downwards with no lower bound (below the heap is the context
 * area, mapped) */
    .globl  bad_down
    .type   bad_down, @function
bad_down:
    mov     %esi, %eax
    lea     (%rdi,%rax), %rcx
    lea     (%rdi), %rdx
1:  mov     (%rcx), %r8d
    sub     $4, %rcx
    cmp     %rdx, %rcx
    ja      1b
    pop     %rbp
    ret
    .size   bad_down, . - bad_down

/* a load in the loop, the walk's pointer used after it */
    .globl  ok_after
    .type   ok_after, @function
ok_after:
    mov     %esi, %eax
    lea     (%rdi,%rax), %rcx
    mov     %edx, %edx
    lea     (%rdi,%rdx), %rdx
1:  mov     (%rcx), %r8d
    add     $4, %rcx
    cmp     %rdx, %rcx
    jb      1b
    mov     (%rcx), %eax
    pop     %rbp
    ret
    .size   ok_after, . - ok_after

/* the same with the loop's access a prefetch (it never faults: it says
 * nothing of the pointer) */
    .globl  bad_prefetch
    .type   bad_prefetch, @function
bad_prefetch:
    mov     %esi, %eax
    lea     (%rdi,%rax), %rcx
    mov     %edx, %edx
    lea     (%rdi,%rdx), %rdx
1:  prefetcht0 (%rcx)
    add     $4, %rcx
    cmp     %rdx, %rcx
    jb      1b
    mov     (%rcx), %eax
    pop     %rbp
    ret
    .size   bad_prefetch, . - bad_prefetch

/* a 64-bit induction variable, scaled by 4, to a bound in a register */
    .globl  ok_iv64
    .type   ok_iv64, @function
ok_iv64:
    xor     %eax, %eax
1:  mov     0x1000(%rdi,%rax,4), %r8d
    inc     %rax
    cmp     %rdx, %rax
    jne     1b
    pop     %rbp
    ret
    .size   ok_iv64, . - ok_iv64

/* a 64-bit index with no bound */
    .globl  bad_iv64
    .type   bad_iv64, @function
bad_iv64:
    mov     %rsi, %rax
1:  mov     0x1000(%rdi,%rax,4), %r8d
    inc     %rax
    cmp     %rdx, %rax
    jne     1b
    pop     %rbp
    ret
    .size   bad_iv64, . - bad_iv64

/* scaled indices bounded by and, shr, movzx, a counted loop, bextr, a
 * cmov min */
    .globl  ok_scaled
    .type   ok_scaled, @function
ok_scaled:
    mov     %esi, %eax
    and     $0xff, %eax
    incl    0x1000(%rdi,%rax,4)
    mov     %esi, %eax
    shr     $4, %eax
    mov     0x1000(%rdi,%rax,8), %r8
    movzwl  %si, %eax
    movzwl  0x1000(%rdi,%rax,2), %r8d
    xor     %eax, %eax
1:  movsd   %xmm0, 0x40(%rdi,%rax,8)
    inc     %rax
    cmp     $0x100, %rax
    jne     1b
    mov     $0x202, %r9d            /* bextr: 2 bits from bit 2 */
    bextr   %r9d, %esi, %eax
    incl    0x1000(%rdi,%rax,4)
    mov     %esi, %eax              /* min(eax, 0xa2), as LLVM writes it */
    mov     $0xa2, %ecx
    cmp     $0xa2, %eax
    cmovb   %eax, %ecx
    incl    0x1000(%rdi,%rcx,4)
    pop     %rbp
    ret
    .size   ok_scaled, . - ok_scaled

/* the min made a max: cmovae moves the large values */
    .globl  bad_cmov
    .type   bad_cmov, @function
bad_cmov:
    mov     %esi, %eax
    mov     $0xa2, %ecx
    cmp     $0xa2, %eax
    cmovae  %eax, %ecx
    incl    0x1000(%rdi,%rcx,4)
    pop     %rbp
    ret
    .size   bad_cmov, . - bad_cmov

/* the and dropped: an index below 2^32, times 4 */
    .globl  bad_scaled
    .type   bad_scaled, @function
bad_scaled:
    mov     %esi, %eax
    incl    0x1000(%rdi,%rax,4)
    pop     %rbp
    ret
    .size   bad_scaled, . - bad_scaled

/* a row pointer (outer loop, by 0x800) and a column index (inner,
 * counted): their sum is bounded by the inner access (a pair) */
    .globl  ok_nested
    .type   ok_nested, @function
ok_nested:
    lea     0x1000(%rdi), %rcx
    mov     %edx, %edx
1:  xor     %eax, %eax
2:  movsd   %xmm0, -0x800(%rcx,%rax,8)
    inc     %rax
    cmp     $0x100, %rax
    jne     2b
    add     $0x800, %rcx
    dec     %rdx
    jne     1b
    pop     %rbp
    ret
    .size   ok_nested, . - ok_nested

/* bt with a register bit offset: it reads the byte at (rdi) + rax / 8,
 * up to 256 MiB away, not (rdi) */
    .globl  bad_bt
    .type   bad_bt, @function
bad_bt:
    mov     %rsi, %rax
    bt      %rax, 0x10(%rdi)
    setc    %al
    movzbl  %al, %eax
    pop     %rbp
    ret
    .size   bad_bt, . - bad_bt

/* a call of a function of the object that never returns (loops.wat's
 * trap, wasm_f4: test_loops.c writes the call's rel32 over the marker
 * "NORT"), then a block another path reaches with ctx in rdi: the call
 * does not fall into it */
    .globl  ok_noret
    .type   ok_noret, @function
ok_noret:
    test    %esi, %esi
    jne     1f
    .byte   0xe8                    /* call (ctx in rdi; rdi is gone */
    .ascii  "NORT"                  /* after it, had it returned) */
1:  mov     0x10(%rdi), %eax
    pop     %rbp
    ret
    .size   ok_noret, . - ok_noret

/* the same calling a function that returns (hist, wasm_f2: marker
 * "RETS"): rdi is unknown after it on that path */
    .globl  bad_noret
    .type   bad_noret, @function
bad_noret:
    test    %esi, %esi
    jne     1f
    .byte   0xe8
    .ascii  "RETS"
1:  mov     0x10(%rdi), %eax
    pop     %rbp
    ret
    .size   bad_noret, . - bad_noret

/* integer shapes LLVM bounds indices with: a counter from -N up to 0; a
 * bin index (lower bounds from compares, 32-bit lea, shr, lzcnt of a
 * value never 0, add, adc, sub); movsx then a sign test; and + jne, then
 * tzcnt of the value known not 0; or with a constant; setcc */
    .globl  ok_arith
    .type   ok_arith, @function
ok_arith:
    mov     $-0x400, %rcx           /* up to 0 by 4 */
1:  mov     0x1400(%rdi,%rcx,1), %r8d
    add     $4, %rcx
    jne     1b
    cmp     $0xec, %esi             /* above 0xec, below 0xffffed */
    jbe     2f
    cmp     $0xffffed, %esi
    jae     2f
    lea     0x13(%rsi), %eax
    shr     $8, %eax                /* [1, 0xffff] */
    mov     $6, %ecx
    xor     %r9d, %r9d
    lzcnt   %eax, %eax              /* [0, 31] (bsr too) */
    add     %eax, %eax
    bt      %ecx, %edx
    adc     $0x3e, %r9d
    sub     %eax, %r9d              /* [0, 63] */
    mov     0x1000(%rdi,%r9,4), %r8d
2:  movsbq  (%rdi), %rax
    test    %rax, %rax
    js      3f
    movzbl  0x1000(%rdi,%rax,1), %r8d
3:  mov     %esi, %eax
    and     %edx, %eax
    je      4f
    tzcnt   %eax, %eax
    mov     0x1000(%rdi,%rax,4), %r8d
4:  movzbl  %sil, %eax
    or      $0x100, %eax
    mov     0x1000(%rdi,%rax,4), %r8d
    xor     %eax, %eax
    cmp     %edx, %esi
    setb    %al
    mov     0x1000(%rdi,%rax,8), %r8
    pop     %rbp
    ret
    .size   ok_arith, . - ok_arith

/* the counter from below the heap: -0x2000 + 0x1000 is in the context
 * area */
    .globl  bad_sint
    .type   bad_sint, @function
bad_sint:
    mov     $-0x2000, %rcx
1:  mov     0x1000(%rdi,%rcx,1), %r8d
    add     $4, %rcx
    jne     1b
    pop     %rbp
    ret
    .size   bad_sint, . - bad_sint

/* tzcnt of a value that may be 0 (no jne): a bsf leaves it undefined */
    .globl  bad_tzcnt
    .type   bad_tzcnt, @function
bad_tzcnt:
    mov     %esi, %eax
    and     %edx, %eax
    tzcnt   %eax, %eax
    mov     0x1000(%rdi,%rax,4), %r8d
    pop     %rbp
    ret
    .size   bad_tzcnt, . - bad_tzcnt
