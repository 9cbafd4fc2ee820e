/* allow.c - the runtime's symbol allow-list as the checker reads it: the
 * names compiled code may reference outside its object. Today the list
 * lives in runtime/symbols.c (moatR_resolve_symbol, which the loader
 * uses), so the checker asks that function and never holds a copy that
 * could drift; when the list moves into runtime/abi.h (issue 11 item 5)
 * only this file changes. Which helpers never return is the checker's
 * own knowledge of abi.h (moatR_trap: "does not return on a trap").
 */
#include <string.h>

#include "elfload.h"        /* moatR_resolve_symbol */
#include "verify.h"

bool
moatK_symbol_allowed(const char *name)
{
    return name && moatR_resolve_symbol(name) != NULL;
}

bool
moatK_symbol_noreturn(const char *name)
{
    return name && strcmp(name, "moatR_trap") == 0;
}
