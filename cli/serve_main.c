/* serve_main.c - main of `moat-serve`, the executable `moat serve` runs
 * (helper_exec.c): argv is what `moat serve` was given, after the
 * program's name. It has the CLI's module loading (cache, compiler
 * library) and serve/ with its libraries; `moat` has neither of the
 * latter, so that `moat run` does not load them.
 */
#include "cli.h"

int
main(int argc, char **argv)
{
    return moat_cmd_serve(argc, argv);
}
