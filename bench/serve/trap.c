/* trap.c - a handler that traps (wasm `unreachable`) before writing
 * anything: bench/serve/soak.sh sends it 1% of its requests; the server
 * answers 500 and goes on. */
int
main(void)
{
    __builtin_trap();
}
