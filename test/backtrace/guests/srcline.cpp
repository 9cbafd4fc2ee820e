// A C++ program built with -g that divides by zero two calls deep: the
// trap report must name every frame demangled, with the source line
// marked here (run-srclines.sh greps the markers).
#include <cstdio>

namespace calc {
struct Ratio {
    int num;
    __attribute__((noinline)) int per(int d) const
    {
        return num / d; // @per
    }
};

static int
scale(const Ratio &r, int d)
{
    return r.per(d) * 2; // @scale
}
} // namespace calc

int
main(int argc, char **argv)
{
    (void)argv;
    calc::Ratio r{argc * 10};
    int         d = argc > 5 ? 3 : 0;
    std::printf("%d\n", calc::scale(r, d)); // @main
    return 0;
}
