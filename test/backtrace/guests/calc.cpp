// calc.cpp - a C++ guest: a trap in a member function and a template,
// whose names the backtrace shows demangled.
namespace ns {
struct Calc {
    __attribute__((noinline)) static int div(int a, int b) { return a / b; }
};

template <typename T>
__attribute__((noinline)) T
twice(T a, T b)
{
    return Calc::div(a, b) * 2;
}
} // namespace ns

int
main(int argc, char **argv)
{
    (void)argv;
    return ns::twice<int>(10, argc - 1);
}
