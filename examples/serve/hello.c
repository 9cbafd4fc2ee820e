/* hello.c - the example handler of `moat serve` (docs/serve.md): a WAGI
 * program is a CGI program built for wasm32-wasi. It gets the request in
 * its environment (REQUEST_METHOD, QUERY_STRING, HTTP_* headers...), its
 * arguments (the query's words) and stdin (the body), and prints CGI
 * headers, a blank line and the body on stdout.
 *   clang-19 --target=wasm32-wasi -O2 hello.c -o hello.wasm
 *   moat serve --route /hello=hello.wasm
 *   curl 'http://127.0.0.1:8080/hello?Ada'   ->  Hello, Ada
 * Without a query word it answers "Hello, world" (what bench/serve
 * measures, built natively too as the CGI baseline under lighttpd).
 */
#include <stdio.h>
#include <string.h>

int
main(int argc, char **argv)
{
    const char *name = "world";

    /* argv[0] is the route; a query "?Ada" is argv[1] */
    if (argc > 1 && argv[1][0] != '\0' && strlen(argv[1]) <= 64)
        name = argv[1];
    printf("Content-Type: text/plain\n\nHello, %s\n", name);
    return 0;
}
