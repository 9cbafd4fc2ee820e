/* filter.c - a stdin-to-stdout filter through stdio (fread/fwrite with
 * the libc's buffering): `filter upper` maps a-z to A-Z, `filter rot13`
 * rotates ASCII letters by 13; every other byte passes unchanged.
 */
#include <stdio.h>
#include <string.h>

static unsigned char
rot13(unsigned char c)
{
    if (c >= 'a' && c <= 'z')
        return (unsigned char)('a' + (c - 'a' + 13) % 26);
    if (c >= 'A' && c <= 'Z')
        return (unsigned char)('A' + (c - 'A' + 13) % 26);
    return c;
}

static unsigned char
upper(unsigned char c)
{
    return c >= 'a' && c <= 'z' ? (unsigned char)(c - 'a' + 'A') : c;
}

int
main(int argc, char **argv)
{
    static unsigned char buf[10000];    /* not a power of two on purpose */
    unsigned char (*map)(unsigned char);
    size_t n;

    if (argc == 2 && !strcmp(argv[1], "upper"))
        map = upper;
    else if (argc == 2 && !strcmp(argv[1], "rot13"))
        map = rot13;
    else {
        fprintf(stderr, "usage: filter upper|rot13\n");
        return 2;
    }
    while ((n = fread(buf, 1, sizeof buf, stdin)) > 0) {
        for (size_t i = 0; i < n; i++)
            buf[i] = map(buf[i]);
        if (fwrite(buf, 1, n, stdout) != n) {
            perror("filter: write");
            return 1;
        }
    }
    if (ferror(stdin)) {
        perror("filter: read");
        return 1;
    }
    return fflush(stdout) != 0;
}
