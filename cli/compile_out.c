/* compile_out.c - where `moat compile` puts what it made: -o FILE, -o -
 * (standard output), or without -o a name made from the input's, as cc
 * does (docs/cli.md, "moat compile"). The compiling is cmd_compile.c's.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char *
suffix(moat_output kind, bool is_shared)
{
    if (is_shared)
        return ".so";
    switch (kind) {
    case MOAT_OUTPUT_ASM:
        return ".s";
    case MOAT_OUTPUT_LLVM_IR:
        return ".ll";
    case MOAT_OUTPUT_LLVM_BC:
        return ".bc";
    default:
        return ".o";
    }
}

bool
moat_cli_default_output(const char *in, moat_output kind, bool is_shared,
                        char *buf, size_t n)
{
    const char *base = strrchr(in, '/');
    const char *ext = suffix(kind, is_shared);

    base = base ? base + 1 : in;
    size_t len = strlen(base);
    if (len > 5 && !strcmp(base + len - 5, ".wasm"))
        len -= 5;
    else if (len > 4 && !strcmp(base + len - 4, ".wat"))
        len -= 4;
    if (!strcmp(in, "-") || len == 0 || len + strlen(ext) >= n)
        return false;
    snprintf(buf, n, "%.*s%s", (int)len, base, ext);
    return true;
}

bool
moat_cli_is_text_output(moat_output kind, bool is_shared)
{
    return !is_shared &&
           (kind == MOAT_OUTPUT_ASM || kind == MOAT_OUTPUT_LLVM_IR);
}

static int
write_stdout(const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t k = write(STDOUT_FILENO, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            fprintf(stderr, "moat compile: standard output: %s\n",
                    strerror(k < 0 ? errno : EIO));
            return EXIT_BAD_INPUT;
        }
        p += k;
        n -= (size_t)k;
    }
    return EXIT_OK;
}

int
moat_cli_write_output(const char *path, const uint8_t *p, size_t n)
{
    if (!strcmp(path, "-"))
        return write_stdout(p, n);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
        perror(path);
        if (f)
            fclose(f);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

int
moat_cli_copy_to_stdout(const char *path)
{
    size_t   len;
    uint8_t *bytes = moat_cli_read_file(path, &len);

    if (!bytes)
        return EXIT_BAD_INPUT;
    int rc = write_stdout(bytes, len);
    moat_cli_free_file(bytes);
    return rc;
}
