/* units.h - the units of the command line (units.c), shared by cli/ and
 * serve/. Included by cli.h.
 */
#ifndef MOAT_CLI_UNITS_H
#define MOAT_CLI_UNITS_H

#include <stdbool.h>
#include <stdint.h>

/* "500ms", "2s", "1.5m", "1h", "3" (seconds) -> nanoseconds, > 0. */
bool moat_cli_parse_duration(const char *s, uint64_t *ns);
/* "4096", "64K", "16M", "1G" (also KiB/MiB/GiB, any case) -> bytes. */
bool moat_cli_parse_size(const char *s, uint64_t *bytes);

#endif
