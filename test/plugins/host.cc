#include "host.c"  // the same host, compiled as C++17
