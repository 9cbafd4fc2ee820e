/* util_error.c - error recording (first error wins), status names and the
 * library version string.
 */
#include <stdarg.h>
#include <stdio.h>

#include "util.h"

bool
moatU_fail(moat_error *err, uint64_t off, moat_status code,
           const char *fmt, ...)
{
    if (!err || err->code != MOAT_OK)
        return false;
    err->code = code;
    err->trap = MOAT_TRAP_NONE;
    err->offset = off;
    err->exit_code = 0;
    err->func = MOAT_NO_FUNC;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return false;
}

bool
moatU_failed(const moat_error *err)
{
    return err && err->code != MOAT_OK;
}

const char *
moat_status_string(moat_status s)
{
    static const char *const names[] = {
        [MOAT_OK] = "ok",
        [MOAT_ERR_MALFORMED] = "malformed module",
        [MOAT_ERR_INVALID] = "invalid module",
        [MOAT_ERR_CONTRACT] = "contract violation",
        [MOAT_ERR_LINK] = "link error",
        [MOAT_ERR_NOMEM] = "out of memory",
        [MOAT_ERR_LIMIT] = "implementation limit exceeded",
        [MOAT_ERR_IO] = "i/o error",
        [MOAT_ERR_TRAP] = "trap",
        [MOAT_ERR_EXIT] = "exit",
        [MOAT_YIELDED] = "yielded",
    };
    if ((unsigned)s < sizeof names / sizeof names[0] && names[s])
        return names[s];
    return "unknown status";
}

const char *
moat_version(void)
{
#define STR2(x) #x
#define STR(x) STR2(x)
    return STR(MOAT_VERSION_MAJOR) "." STR(MOAT_VERSION_MINOR);
}
