/* limits.c - the one check behind every implementation limit (impl_limits.h):
 * a value above its limit is MOAT_ERR_LIMIT naming the limit and the
 * value. Malformed input is judged first by the callers (a count larger
 * than the bytes left is "unexpected end", as the spec tests want).
 */
#include "frontend.h"

static const struct {
    uint64_t    max;
    const char *what;
} limits[NLIMITS] = {
#define LIMIT_ROW(name, max, what) [name] = { max, what },
    MOAT_LIMIT_TABLE(LIMIT_ROW)
#undef LIMIT_ROW
};

bool
moatD_limit(Reader *r, uint64_t off, Limit l, uint64_t value)
{
    if (value <= limits[l].max)
        return true;
    if (!r->err || r->err->code != MOAT_OK)
        return false;
    return moatU_fail(r->err, off, MOAT_ERR_LIMIT, "%llu %s, more than the "
                      "limit of %llu", (unsigned long long)value,
                      limits[l].what, (unsigned long long)limits[l].max);
}
