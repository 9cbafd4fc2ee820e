/* mandelbrot.c - float: escape-time iteration counts (max 500) over a
 * 600x400 grid of the Mandelbrot set, n frames zooming in a little each.
 * Checksum = total iteration count. */
#include "bench.h"

#define W 600
#define H 400
#define MAXIT 500

int64_t
run(int n)
{
    int64_t total = 0;
    double  cx = -0.743643887037151, cy = 0.131825904205330, scale = 3.0;

    for (int frame = 0; frame < n; frame++) {
        double step = scale / W;
        for (int py = 0; py < H; py++) {
            double ci = cy + (py - H / 2) * step;
            for (int px = 0; px < W; px++) {
                double cr = cx + (px - W / 2) * step;
                double zr = 0, zi = 0, zr2 = 0, zi2 = 0;
                int    it = 0;
                while (it < MAXIT && zr2 + zi2 <= 4.0) {
                    zi = 2 * zr * zi + ci;
                    zr = zr2 - zi2 + cr;
                    zr2 = zr * zr;
                    zi2 = zi * zi;
                    it++;
                }
                total += it;
            }
        }
        scale *= 0.9;
    }
    return total;
}
