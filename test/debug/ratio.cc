// ratio.cc - C++ guest for test_source_locs.c (libc++, -fno-exceptions):
// calc::Ratio::per is inlined into calc::average at -O2; the lines marked
// "@NAME" are found by grepping this file.
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace calc {

struct Ratio {
    int num;

    int
    per(int d) const
    {
        return num / d;                                 // @CXX_INNER
    }
};

__attribute__((noinline)) int
average(const std::vector<int> &v)
{
    Ratio r{ 0 };
    for (int x : v)
        r.num += x;
    return r.per(static_cast<int>(v.size()));           // @CXX_CALL
}

} // namespace calc

int
main(int argc, char **argv)
{
    std::vector<int> v;
    for (int i = 1; i < argc; i++)
        v.push_back(std::atoi(argv[i]));
    std::printf("%d\n", calc::average(v));
    return 0;
}
