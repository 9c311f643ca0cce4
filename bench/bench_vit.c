/* bench_vit.c - mlcore's attention alone (the online-softmax kernel), for
   bench/bench_vit.sh (the ViT-Ti/16 latency comes from examples/vit.c).

     bench_vit T [RUNS] [HEADS] [HEAD_DIM] [causal]

   Self-attention of one sequence: q, k, v and o are [T, HEADS * HEAD_DIM]
   float32 (default 4 heads of 64), no projections, no mask (or causal),
   one thread (ctx NULL). Times mlc_attention_f32 (median of RUNS after 2
   warm-up runs), and prints
     mlcore attn T <T> heads <H> dh <d> median_ms <t> min_ms <t> gflops <g>
            scratch_bytes <s> total_bytes <b>
   where gflops counts 4 T^2 d H (q k^T and p v; half that when causal),
   scratch_bytes is the arena mlc_attention_f32 took (packed keys plus the
   score tiles: linear in T) and total_bytes adds q, k, v and o. */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#define MLCORE_IMPLEMENTATION
#include "../mlcore.h"

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec; }
static int cmpd(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return (x > y) - (x < y); }

int main(int argc, char **argv) {
    int T = argc > 1 ? atoi(argv[1]) : 1024, runs = argc > 2 ? atoi(argv[2]) : 11;
    int H = argc > 3 ? atoi(argv[3]) : 4, dh = argc > 4 ? atoi(argv[4]) : 64, causal = argc > 5 && !strcmp(argv[5], "causal");
    mlc_attn_dims d;
    mlc_attn_mask mk;
    size_t n, sb, i;
    float *q, *k, *v, *o;
    unsigned char *mem;
    mlc_arena a;
    double *t, flops;
    int r;
    unsigned s = 12345;
    if (T < 1 || runs < 1 || H < 1 || dh < 1) { fprintf(stderr, "usage: %s T [RUNS] [HEADS] [HEAD_DIM] [causal]\n", argv[0]); return 2; }
    d.batch = 1; d.q_len = d.kv_len = T; d.n_heads = d.n_kv_heads = H; d.head_dim = dh;
    memset(&mk, 0, sizeof mk);
    mk.causal = causal;
    n = (size_t)T * H * dh;
    q = (float *)malloc(n * sizeof(float)); k = (float *)malloc(n * sizeof(float));
    v = (float *)malloc(n * sizeof(float)); o = (float *)malloc(n * sizeof(float));
    sb = mlc_attention_scratch_bytes(&d, NULL);
    mem = (unsigned char *)malloc(sb);
    t = (double *)malloc((size_t)runs * sizeof(double));
    if (!q || !k || !v || !o || !mem || !t) { fprintf(stderr, "out of memory\n"); return 1; }
    for (i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u; q[i] = (float)(s >> 8) / 16777216.0f - 0.5f;
        s = s * 1664525u + 1013904223u; k[i] = (float)(s >> 8) / 16777216.0f - 0.5f;
        s = s * 1664525u + 1013904223u; v[i] = (float)(s >> 8) / 16777216.0f - 0.5f;
    }
    mlc_arena_init(&a, mem, sb);
    for (r = -2; r < runs; r++) {
        double t0 = now();
        if (mlc_attention_f32(NULL, &d, q, H * dh, k, H * dh, v, H * dh, o, H * dh, 0.0f, &mk, &a) != MLC_OK) {
            fprintf(stderr, "attention failed\n"); return 1;
        }
        if (r >= 0) t[r] = now() - t0;
    }
    qsort(t, (size_t)runs, sizeof *t, cmpd);
    flops = 4.0 * T * (double)T * dh * H * (causal ? 0.5 : 1.0);
    printf("mlcore attn T %d heads %d dh %d%s median_ms %.3f min_ms %.3f gflops %.1f scratch_bytes %zu total_bytes %zu\n",
           T, H, dh, causal ? " causal" : "", t[runs / 2] * 1e3, t[0] * 1e3, flops / t[runs / 2] * 1e-9,
           mlc_arena_peak(&a), mlc_arena_peak(&a) + 4 * n * sizeof(float));
    free(q); free(k); free(v); free(o); free(mem); free(t);
    return 0;
}
