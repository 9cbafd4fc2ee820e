/* cmd_validate.c - `moat validate FILE.wasm|FILE.wat`: silent and exit 0
 * when the module is valid; one line `FILE:0xOFF: error: ...` (text:
 * `FILE:LINE:COL: error: ...`) and exit 1 when not.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

int
moat_cmd_validate(int argc, char **argv)
{
    if (argc != 2 || argv[1][0] == '-') {
        fprintf(stderr, "usage: moat validate FILE.wasm|FILE.wat\n");
        return EXIT_USAGE;
    }
    size_t   len;
    int      rc;
    uint8_t *bytes = moat_cli_read_module(argv[1], &len, &rc);
    if (!bytes)
        return rc;
    moat_error  err = { 0 };
    moat_status st = moat_wasm_validate(bytes, len, &err);
    moat_cli_free_file(bytes);
    if (st != MOAT_OK) {
        moat_cli_report(argv[1], &err);
        return moat_cli_status_exit(st);
    }
    return EXIT_OK;
}
