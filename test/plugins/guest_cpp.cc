// guest_cpp.cc - a C++ plugin (clang++-19 --target=wasm32-wasi
// -mexec-model=reactor -fno-exceptions, Debian's libc++ for wasm32): the
// standard library, a static object's constructor run by _initialize.
#include <numeric>
#include <string>
#include <vector>

static std::string label = "total";     // constructed by _initialize

extern "C" __attribute__((export_name("total"))) int
total(int n)
{
    std::vector<int> v(static_cast<size_t>(n));
    std::iota(v.begin(), v.end(), 1);
    return std::accumulate(v.begin(), v.end(), 0);
}

extern "C" __attribute__((export_name("label_length"))) int
label_length()
{
    return static_cast<int>(label.size());
}
