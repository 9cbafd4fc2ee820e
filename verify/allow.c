/* allow.c - the runtime's symbol allow-list as the checker reads it: the
 * names compiled code may reference outside its object. The list lives in
 * the runtime (runtime/symbols.c, moatR_resolve_symbol, which the loader
 * uses), so the checker asks that function and never holds a copy that
 * could drift: directly when linked with the runtime (allow_static.c),
 * through the call's callback in libmoat-verify.so (entry.c). Which
 * helpers never return is the checker's own knowledge of abi.h
 * (moatR_trap: "does not return on a trap").
 */
#include <string.h>

#include "verify.h"

bool
moatK_symbol_allowed(const char *name)
{
    return name && moatK_allow_resolve(name);
}

bool
moatK_symbol_noreturn(const char *name)
{
    return name && strcmp(name, "moatR_trap") == 0;
}
