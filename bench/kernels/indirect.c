/* indirect.c - calls: a toy interpreter that applies 16 small operations
 * through a table of function pointers (call_indirect in wasm), 1M calls
 * per unit of n. The table is filled at run time, so nothing is
 * devirtualised. Checksum = the final accumulator. */
#include "bench.h"

#define PROG 4096u

typedef uint32_t (*Op)(uint32_t acc, uint32_t x);

static uint32_t op0(uint32_t a, uint32_t x) { return a + x; }
static uint32_t op1(uint32_t a, uint32_t x) { return a - x; }
static uint32_t op2(uint32_t a, uint32_t x) { return a ^ x; }
static uint32_t op3(uint32_t a, uint32_t x) { return a * (x | 1); }
static uint32_t op4(uint32_t a, uint32_t x) { return a << (x & 7) | a >> 25; }
static uint32_t op5(uint32_t a, uint32_t x) { return a >> (x & 7); }
static uint32_t op6(uint32_t a, uint32_t x) { return (a | x) + 0x9e3779b9u; }
static uint32_t op7(uint32_t a, uint32_t x) { return (a & x) ^ (a >> 3); }
static uint32_t op8(uint32_t a, uint32_t x) { return a + (x << 3); }
static uint32_t op9(uint32_t a, uint32_t x) { return a > x ? a - x : x - a; }
static uint32_t opa(uint32_t a, uint32_t x) { return a / ((x & 15) + 1); }
static uint32_t opb(uint32_t a, uint32_t x) { return a % ((x & 255) + 7) + a; }
static uint32_t opc(uint32_t a, uint32_t x) { return ~a + x; }
static uint32_t opd(uint32_t a, uint32_t x) { return a * 5 + (x >> 2); }
static uint32_t ope(uint32_t a, uint32_t x) { return (a ^ (a >> 16)) + x; }
static uint32_t opf(uint32_t a, uint32_t x) { return a - (x ^ 0x5bd1e995u); }

static Op       table[16];
static uint8_t  prog[PROG];
static uint32_t data[PROG];

int64_t
run(int n)
{
    static const Op init[16] = { op0, op1, op2, op3, op4, op5, op6, op7,
                                 op8, op9, opa, opb, opc, opd, ope, opf };
    uint64_t seed = 31337;
    uint32_t acc = 1;

    for (int i = 0; i < 16; i++)
        table[i] = init[(i * 5 + (int)(seed & 3)) & 15];
    for (uint32_t i = 0; i < PROG; i++) {
        uint64_t r = bench_rand(&seed);
        prog[i] = (uint8_t)(r & 15);
        data[i] = (uint32_t)(r >> 32);
    }
    uint32_t steps = (uint32_t)n * 1000000u;
    for (uint32_t i = 0; i < steps; i++) {
        uint32_t pc = i & (PROG - 1);
        acc = table[prog[pc]](acc, data[pc]);
    }
    return acc;
}
