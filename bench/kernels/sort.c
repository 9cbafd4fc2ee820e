/* sort.c - memory: quicksort (median of three, insertion sort below 16
 * elements, recursion on the smaller side) of 1M random u32, n times.
 * Checksum = sum of sorted[i] * i over a sample, plus a sortedness check. */
#include "bench.h"

#define LEN (1u << 20)

static uint32_t a[LEN];

static void
insertion(uint32_t *v, int32_t n)
{
    for (int32_t i = 1; i < n; i++) {
        uint32_t x = v[i];
        int32_t  j = i - 1;
        while (j >= 0 && v[j] > x) {
            v[j + 1] = v[j];
            j--;
        }
        v[j + 1] = x;
    }
}

static inline void
swap(uint32_t *x, uint32_t *y)
{
    uint32_t t = *x;
    *x = *y;
    *y = t;
}

static void
quicksort(uint32_t *v, int32_t n)
{
    while (n > 16) {
        int32_t m = n / 2;
        if (v[m] < v[0]) swap(&v[m], &v[0]);
        if (v[n - 1] < v[0]) swap(&v[n - 1], &v[0]);
        if (v[n - 1] < v[m]) swap(&v[n - 1], &v[m]);
        uint32_t pivot = v[m];
        int32_t  i = 0, j = n - 1;
        for (;;) {
            while (v[i] < pivot) i++;
            while (v[j] > pivot) j--;
            if (i >= j)
                break;
            swap(&v[i], &v[j]);
            i++;
            j--;
        }
        int32_t left = j + 1;             /* [0, left) <= pivot <= rest */
        if (left < n - left) {
            quicksort(v, left);
            v += left;
            n -= left;
        } else {
            quicksort(v + left, n - left);
            n = left;
        }
    }
    insertion(v, n);
}

int64_t
run(int n)
{
    uint64_t seed = 2024;
    int64_t  total = 0;

    for (int pass = 0; pass < n; pass++) {
        for (uint32_t i = 0; i < LEN; i++)
            a[i] = (uint32_t)(bench_rand(&seed) >> 32);
        quicksort(a, LEN);
        uint32_t bad = 0;
        for (uint32_t i = 1; i < LEN; i++)
            bad += a[i - 1] > a[i];
        for (uint32_t i = 0; i < LEN; i += 1021)
            total += (int64_t)a[i] * i;
        total += (int64_t)bad << 40;
    }
    return total;
}
