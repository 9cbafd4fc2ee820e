/* fx_bad.c - compiled to an object that test_elf.c must refuse to load:
 * it calls puts, which no allow-list grants. */
int puts(const char *s);

int
fx_hello(void)
{
    return puts("hello");
}
