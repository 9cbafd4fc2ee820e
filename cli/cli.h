/* cli.h - the `moat` command-line tool: one file per subcommand. */
#ifndef MOAT_CLI_H
#define MOAT_CLI_H

#include <stddef.h>
#include <stdint.h>

#include <stdbool.h>

#include "moat_compile.h"

/* Exit codes shared by every subcommand; a trap exits like SIGABRT. */
enum { EXIT_OK = 0, EXIT_BAD_INPUT = 1, EXIT_USAGE = 2, EXIT_TRAP = 134 };

/* main.c: reads a whole file; prints `moat: PATH: reason` on failure. The
 * buffer is the caller's (free()). */
uint8_t *moat_cli_read_file(const char *path, size_t *len);
/* Prints `PATH:0xOFF: error: STATUS: MESSAGE` on stderr. */
void moat_cli_report(const char *path, const moat_error *err);

int moat_cmd_validate(int argc, char **argv);
int moat_cmd_inspect(int argc, char **argv);
int moat_cmd_compile(int argc, char **argv);
int moat_cmd_run(int argc, char **argv);

/* values.c: command-line values of `moat run --invoke`. */
bool moat_cli_parse_value(const char *s, uint8_t type, moat_val *out);
void moat_cli_print_value(const moat_val *v);
const char *moat_cli_type_name(uint8_t type);

#endif
