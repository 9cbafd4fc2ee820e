/* allow_static.c - the allow-list when the checker is linked with the
 * runtime (moat-verify, the tests): ask the runtime's own resolver. The
 * checker loaded by libmoat (libmoat-verify.so) is given it with each
 * call instead (entry.c).
 */
#include "elfload.h"        /* moatR_resolve_symbol */
#include "verify.h"

bool
moatK_allow_resolve(const char *name)
{
    return moatR_resolve_symbol(name) != NULL;
}
