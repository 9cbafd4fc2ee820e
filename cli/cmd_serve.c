/* cmd_serve.c - `moat serve`: the server is serve/'s; the CLI gives it
 * its module loader, which compiles .wasm routes through the compile
 * cache with interruption checks (the routes' deadlines need them), as
 * `moat run` does.
 */
#include <string.h>

#include "cli.h"
#include "serve.h"

static int
load_route_module(moat_engine *e, const char *path, int opt_level,
                  moat_module **out)
{
    RunOptions o;

    memset(&o, 0, sizeof o);
    o.prog = path;
    o.opt_level = opt_level;
    return moat_cli_load(e, &o, true, out) == EXIT_OK ? 0 : 1;
}

int
moat_cmd_serve(int argc, char **argv)
{
    serve_set_loader(load_route_module);
    return serve_main(argc, argv);
}
