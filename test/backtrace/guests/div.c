/* div.c - an integer division by zero in a function of its own (not
 * inlined by clang; moat's LLVM may inline it at -O2). */
__attribute__((noinline)) int
divide(int a, int b)
{
    return a / b;
}

int
main(int argc, char **argv)
{
    (void)argv;
    return divide(10, argc - 1);        /* argc is 1 */
}
