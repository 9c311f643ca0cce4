/* bench_convt.c - transposed convolution, one thread: a decoder layer
   ConvTranspose2d(64, 32, kernel 4, stride 2, padding 1) + ReLU,
   56x56 -> 112x112, batch 1, float32 (NHWC).
       cc -std=c99 -O2 -march=native -o build/bench_convt bench/bench_convt.c -lm
       ./build/bench_convt [RUNS]
   Prints the median and fastest of RUNS forwards (default 51) after two
   warm-up runs, and GFLOP/s counting 2 * H * W * Cin * Cout * kh * kw.
   The same layer in PyTorch: /usr/bin/python3 tests/gen_golden_convt.py --bench */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#define MLCORE_IMPLEMENTATION
#include "../mlcore.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    enum { H = 56, W = 56, CI = 64, CO = 32, K = 4 };
    int runs = argc > 1 ? atoi(argv[1]) : 51, i;
    mlc_conv_transpose2d_params p = mlc_conv_transpose2d_params_make(K, 2, 1, 0, 1, 1);
    size_t nw = (size_t)CI * CO * K * K, ab = mlc_conv_transpose2d_arena_bytes(CI, CO, &p, 1), sb;
    float *w = (float *)malloc(nw * sizeof(float)), *b = (float *)malloc(CO * sizeof(float));
    float *x = (float *)malloc((size_t)H * W * CI * sizeof(float));
    float *y = (float *)malloc((size_t)4 * H * W * CO * sizeof(float));
    double *t;
    void *mem = malloc(ab), *smem;
    unsigned s = 5u;
    mlc_tensor tx = mlc_tensor_4d(x, 1, H, W, CI), ty = mlc_tensor_4d(y, 1, 2 * H, 2 * W, CO);
    mlc_arena arena, scratch;
    mlc_conv_transpose2d c;
    mlc_result r;
    if (runs < 1 || !w || !b || !x || !y || !mem) { fprintf(stderr, "bad RUNS or out of memory\n"); return 1; }
    for (i = 0; i < (int)nw; i++) { s = s * 1664525u + 1013904223u; w[i] = (float)(s >> 8) / 16777216.0f * 0.2f - 0.1f; }
    for (i = 0; i < CO; i++) b[i] = 0.01f * (float)(i % 7);
    for (i = 0; i < H * W * CI; i++) { s = s * 1664525u + 1013904223u; x[i] = (float)(s >> 8) / 8388608.0f - 1.0f; }
    mlc_arena_init(&arena, mem, ab);
    r = mlc_conv_transpose2d_init(&c, w, b, CI, CO, &p, &arena);
    if (r != MLC_OK) { fprintf(stderr, "init: %s\n", mlc_result_string(r)); return 1; }
    sb = mlc_conv_transpose2d_scratch_bytes(&c, H, W);
    smem = malloc(sb);
    t = (double *)malloc((size_t)runs * sizeof(double));
    if (!smem || !t) { fprintf(stderr, "out of memory\n"); return 1; }
    mlc_arena_init(&scratch, smem, sb);
    for (i = -2; i < runs; i++) {
        double t0 = now();
        r = mlc_conv_transpose2d_forward(&c, NULL, &ty, &tx, MLC_ACT_RELU, 0.0f, &scratch);
        if (r != MLC_OK) { fprintf(stderr, "forward: %s\n", mlc_result_string(r)); return 1; }
        if (i >= 0) t[i] = now() - t0;
    }
    qsort(t, (size_t)runs, sizeof t[0], cmp_double);
    printf("convT %d->%d k%d s2 p1 + relu, %dx%d -> %dx%d, one thread (%s): median %.3f ms (fastest %.3f), "
           "%.1f GFLOP/s, scratch %lu B\n", CI, CO, K, H, W, 2 * H, 2 * W, MLC__ISA, t[runs / 2] * 1e3, t[0] * 1e3,
           2.0 * H * W * CI * CO * K * K / t[runs / 2] * 1e-9, (unsigned long)sb);
    free(t); free(smem); free(mem); free(w); free(b); free(x); free(y);
    return 0;
}
