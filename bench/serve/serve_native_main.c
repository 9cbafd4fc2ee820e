/* serve_native_main.c - `serve-native`: moat serve with bench/serve's
 * native handlers registered, for baseline (a) of bench/serve/run.sh:
 *   serve-native [moat serve options] --route /hello=native:hello ...
 * Arguments are moat serve's (argv[0] becomes "serve").
 */
#include "native_handlers.h"
#include "serve.h"

int
main(int argc, char **argv)
{
    bench_native_register();
    argv[0] = "serve";
    return serve_main(argc, argv);
}
