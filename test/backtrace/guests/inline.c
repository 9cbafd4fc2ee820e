/* inline.c - built at clang -O0, helper stays a wasm function of its own;
 * moat's LLVM inlines it into main at -O2, and the backtrace must still
 * show it, marked inlined. */
static int
helper(int x)
{
    return 100 % x;
}

int
main(int argc, char **argv)
{
    (void)argv;
    return helper(argc - 1);
}
