/* verify_main.c - `moat-verify`, which `moat verify` execs
 * (cli/helper_exec.c): the checker and its decoder library (Zydis) stay
 * out of `moat`, which maps every library it links at each start
 * (docs/bench-hello.md).
 */
#include "cli.h"

int
main(int argc, char **argv)
{
    return moat_cmd_verify(argc, argv);
}
