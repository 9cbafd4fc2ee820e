/* wc.c - counts lines, words and bytes of standard input like `wc`
 * (a word is a run of bytes that are not isspace() in the C locale),
 * reading with read(2) in 64 KiB blocks: fd_read on a pipe under Moat.
 * Prints "LINES WORDS BYTES".
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

int
main(void)
{
    static unsigned char buf[65536];
    long long            lines = 0, words = 0, bytes = 0;
    int                  in_word = 0;

    for (;;) {
        ssize_t n = read(0, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            perror("wc: read");
            return 1;
        }
        if (n == 0)
            break;
        for (ssize_t i = 0; i < n; i++) {
            int space = isspace(buf[i]);
            lines += buf[i] == '\n';
            words += !space && !in_word;
            in_word = !space;
        }
        bytes += n;
    }
    printf("%lld %lld %lld\n", lines, words, bytes);
    return 0;
}
