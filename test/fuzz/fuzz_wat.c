/* fuzz_wat.c - libFuzzer target over the text front-end: the input as
 * WebAssembly text through moat_wasm_from_wat; a module that translates
 * is validated, and an invalid one's error mapped back to a position
 * (moat_wasm_wat_position). Checks the error contract: a failure is
 * MOAT_ERR_MALFORMED "LINE:COL: ..." or MOAT_ERR_NOMEM, *out NULL; a
 * success starts with the binary header. Built by build-fuzz.sh
 * (fuzz_wat); seeds: the spec suite's .wast files cut into modules, or any
 * .wat (docs/fuzzing.md).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "moat_compile.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    uint8_t    *bin = (uint8_t *)1;
    size_t      n = 0;
    moat_error  err = { 0 };
    unsigned    line, col;

    if (moat_wasm_from_wat(text, size, &bin, &n, &err) != MOAT_OK) {
        if (bin != NULL || (err.code != MOAT_ERR_MALFORMED &&
                            err.code != MOAT_ERR_NOMEM))
            __builtin_trap();
        if (err.code == MOAT_ERR_MALFORMED &&
            sscanf(err.msg, "%u:%u: ", &line, &col) != 2)
            __builtin_trap();
        return 0;
    }
    if (n < 8 || memcmp(bin, "\0asm\1\0\0\0", 8))
        __builtin_trap();
    if (moat_wasm_validate(bin, n, &err) != MOAT_OK) {
        uint32_t l, c;
        if (moat_wasm_wat_position(text, size, err.offset, &l, &c) !=
            MOAT_OK)
            __builtin_trap();
    }
    moatU_free(bin);           /* moat_free is libmoatc's; same allocator */
    return 0;
}
