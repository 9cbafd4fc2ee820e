/* future.c - names the WebAssembly 3.0 feature an encoding belongs to
 * (future.def), for the decoder's error messages: "illegal opcode 0x12:
 * return_call (tail calls, WebAssembly 3.0) is not supported yet" says
 * what a user can do about it; "illegal opcode 0x12" does not.
 */
#include "frontend.h"

typedef struct FutureOp {
    uint8_t     prefix;
    uint32_t    first, last;
    const char *text, *feature;
} FutureOp;

static const FutureOp future_ops[] = {
#define FUTURE_OP(prefix, first, last, text, feature) \
    { prefix, first, last, text, feature },
#include "future.def"
#undef FUTURE_OP
};

typedef struct FutureByte {
    FutureKind  kind;
    uint8_t     byte;
    const char *text, *feature;
} FutureByte;

static const FutureByte future_bytes[] = {
#define FUTURE_BYTE(kind, byte, text, feature) \
    { FUTURE_##kind, byte, text, feature },
#include "future.def"
#undef FUTURE_BYTE
};

bool
moatD_future_op(uint8_t prefix, uint32_t code, const char **text,
                const char **feature)
{
    for (size_t i = 0; i < sizeof future_ops / sizeof *future_ops; i++) {
        const FutureOp *f = &future_ops[i];
        if (f->prefix == prefix && code >= f->first && code <= f->last) {
            *text = code == f->first ? f->text : NULL;
            *feature = f->feature;
            return true;
        }
    }
    return false;
}

const char *
moatD_future_byte(FutureKind kind, uint8_t byte, const char **text)
{
    for (size_t i = 0; i < sizeof future_bytes / sizeof *future_bytes; i++)
        if (future_bytes[i].kind == kind && future_bytes[i].byte == byte) {
            *text = future_bytes[i].text;
            return future_bytes[i].feature;
        }
    return NULL;
}

/* Limits flags past 2.0's 0 and 1 that Moat does not take: bit 2, 64-bit
 * indices (memory64, table64); bit 1, shared, on a table (moatD_limits
 * takes shared memories). */
const char *
moatD_future_limits(uint8_t flag)
{
    if (flag > 7)
        return NULL;
    if (flag & 4)
        return "64-bit indices (memory64)";
    if (flag & 2)
        return "a shared table (threads)";
    return NULL;
}
