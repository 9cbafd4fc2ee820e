/* files.c - what every subcommand shares, in `moat` and in `moat-serve`
 * (which has its own main, serve_main.c): reading an input file under the
 * size limit, and the one-line error reports and exit statuses.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "moat_compile.h"     /* moat_wasm_from_wat */
#include "util.h"             /* moatU_read_file */

uint64_t
moat_cli_file_limit(void)
{
    const char *s = getenv("MOAT_TEST_FILE_LIMIT");
    char       *end;
    uint64_t    n;

    if (!s || !*s)
        return MOAT_FILE_LIMIT;
    errno = 0;
    n = strtoull(s, &end, 10);
    return errno || *end || n > MOAT_FILE_LIMIT ? MOAT_FILE_LIMIT : n;
}

uint8_t *
moat_cli_read_file(const char *path, size_t *len)
{
    uint8_t   *buf = NULL;
    moat_error err = { 0 };

    if (!moatU_read_file(path, moat_cli_file_limit(), &buf, len, &err)) {
        fprintf(stderr, "moat: %s\n", err.msg);
        return NULL;
    }
    return buf;
}

bool
moat_cli_is_text(const uint8_t *bytes, size_t len)
{
    if (len >= 4 && (!memcmp(bytes, "\0asm", 4) ||
                     !memcmp(bytes, "\177ELF", 4)))
        return false;
    /* text has no NUL byte; other binaries (a cut .wasm, a zip) go the
     * binary way, whose errors name them better ("magic header") */
    return !memchr(bytes, 0, len < 4096 ? len : 4096);
}

uint8_t *
moat_cli_from_text(const char *path, const uint8_t *text, size_t *len)
{
    uint8_t   *bin;
    size_t     n;
    moat_error err = { 0 };

    if (moat_wasm_from_wat((const char *)text, *len, &bin, &n, &err) !=
        MOAT_OK) {
        unsigned line, col;
        int      at = 0;
        /* "LINE:COL: expected ..." -> "PATH:LINE:COL: error: expected ..." */
        if (err.code == MOAT_ERR_MALFORMED &&
            sscanf(err.msg, "%u:%u: %n", &line, &col, &at) == 2 && at > 0)
            fprintf(stderr, "%s:%u:%u: error: %s\n", path, line, col,
                    err.msg + at);
        else
            moat_cli_report(path, &err);
        return NULL;
    }
    /* validated here, so that an invalid module is reported at its line
     * and column, not at an offset in a binary the user never saw */
    if (moat_wasm_validate(bin, n, &err) != MOAT_OK) {
        uint32_t line = 0, col = 0;
        moat_wasm_wat_position((const char *)text, *len, err.offset, &line,
                               &col);
        if (line == 0)
            moat_cli_report(path, &err);
        else
            fprintf(stderr, "%s:%u:%u: error: %s: %s\n", path, line, col,
                    moat_status_string(err.code), err.msg);
        moatU_free(bin);
        return NULL;
    }
    *len = n;
    return bin;
}

uint8_t *
moat_cli_read_module(const char *path, size_t *len, int *rc)
{
    uint8_t *bytes = moat_cli_read_file(path, len);

    *rc = EXIT_USAGE;
    if (!bytes || !moat_cli_is_text(bytes, *len))
        return bytes;
    uint8_t *bin = moat_cli_from_text(path, bytes, len);
    moat_cli_free_file(bytes);
    *rc = EXIT_BAD_INPUT;
    return bin;
}

int
moat_cli_status_exit(moat_status st)
{
    return st == MOAT_ERR_LIMIT ? EXIT_LIMIT : EXIT_BAD_INPUT;
}

void
moat_cli_free_file(uint8_t *bytes)
{
    moatU_free(bytes);
}

void
moat_cli_report(const char *path, const moat_error *err)
{
    const char *what = moat_status_string(err->code);
    size_t      n = strlen(what);
    /* the runtime's own messages may already open with the status's
     * words ("contract violation: ..."): say them once */
    bool        has_what = !strncmp(err->msg, what, n) && err->msg[n] == ':';
    const char *sep = has_what ? "" : ": ";

    if (has_what)
        what = "";
    if (err->offset == MOAT_NO_OFFSET)
        fprintf(stderr, "%s: error: %s%s%s\n", path, what, sep, err->msg);
    else
        fprintf(stderr, "%s:0x%llx: error: %s%s%s\n", path,
                (unsigned long long)err->offset, what, sep, err->msg);
}
