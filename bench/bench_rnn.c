/* bench_rnn.c - mlcore LSTM and GRU latency, one thread.

   Two measurements:
     seq   the whole-sequence forward, mlc_rnn_forward: 2 layers, input 128,
           hidden 256, 100 steps, batch 1, zero initial state, y and the
           final states (hn, and cn for the LSTM) written. The shape of
           bench/rnn_peers.py, which times ONNX Runtime and PyTorch on the
           same models in the same run and calls this program for mlcore.
     step  the streaming API, mlc_rnn_step: one LSTM layer, input = hidden
           = 64, 256, 1024, batch 1; the time of one step.
   mlcore runs on the calling thread (ctx = NULL). Times are medians of
   runs after warm-up, with clock_gettime(CLOCK_MONOTONIC); weights and
   data stay in cache between runs where they fit (the steady state of a
   model run over and over).

   Build (from the repository root):
       gcc -std=c99 -O2 -march=native -o build/bench_rnn bench/bench_rnn.c -lm
   Run:
       ./build/bench_rnn                    seq (random weights) and step
       ./build/bench_rnn --seq FILE         seq on the models in FILE (made by
                                            bench/rnn_peers.py: "lstm." and
                                            "gru." state_dicts, input "x",
                                            PyTorch's outputs "lstm.y",
                                            "gru.y"), checked against them
       ./build/bench_rnn --seq-only | --step-only    one of the two
       --runs N                             timed runs per model (default 51)
   Output lines (parsed by rnn_peers.py):
       seq lstm ms 2.345 min 2.301 maxdiff 1.1e-07     (median and fastest run)
       step lstm hidden 256 us 5.67 min 5.50 (W_ih + W_hh 2.00 MB)
   Exit status 1 if a call fails or mlcore's y differs from PyTorch's by more
   than 1e-4 (relative to max |y|). */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <time.h>

#define MLCORE_IMPLEMENTATION
#include "../mlcore.h"

#define T_STEPS 100
#define IN 128
#define HID 256
#define LAYERS 2

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}
static double median(double *v, int n) { qsort(v, (size_t)n, sizeof *v, cmp_d); return v[n / 2]; }

static unsigned rng_state = 12345u;
static float frand(float lo, float hi) {
    rng_state = rng_state * 1664525u + 1013904223u;
    return lo + (hi - lo) * (float)(rng_state >> 8) * (1.0f / 16777216.0f);
}

static int fail(const char *what, mlc_result r) {
    fprintf(stderr, "bench_rnn: %s: %s\n", what, mlc_result_string(r));
    return 1;
}

/* Random weights with PyTorch's init range, for a model without a file. */
static mlc_result init_random(mlc_rnn *r, const mlc_rnn_params *p, mlc_arena *arena) {
    int G = p->mode == MLC_RNN_LSTM ? 4 : p->mode == MLC_RNN_GRU ? 3 : 1, GH = G * p->hidden_size, l;
    float s = 1.0f / sqrtf((float)p->hidden_size);
    mlc_rnn_weights w[8];
    float *bufs[32];
    int nb = 0, i, k;
    mlc_result res;
    memset(w, 0, sizeof w);
    for (l = 0; l < p->num_layers; l++) {
        int in = l == 0 ? p->input_size : p->hidden_size;
        size_t n[4];
        n[0] = (size_t)GH * in; n[1] = (size_t)GH * p->hidden_size; n[2] = n[3] = (size_t)GH;
        for (k = 0; k < 4; k++) {
            bufs[nb] = (float *)malloc(n[k] * sizeof(float));
            if (!bufs[nb]) return MLC_ERR_NOMEM;
            for (i = 0; i < (int)n[k]; i++) bufs[nb][i] = frand(-s, s);
            nb++;
        }
        w[l].w_ih = bufs[nb - 4]; w[l].w_hh = bufs[nb - 3]; w[l].b_ih = bufs[nb - 2]; w[l].b_hh = bufs[nb - 1];
        w[l].w_hr = NULL;
    }
    res = mlc_rnn_init(r, p, w, arena);
    for (i = 0; i < nb; i++) free(bufs[i]);
    return res;
}

/* ---- seq ------------------------------------------------------------------ */
static int bench_seq(const char *file, int runs) {
    static const char *const names[2] = { "lstm", "gru" };
    void *data = NULL;
    size_t size = 0;
    mlc_safetensors st;
    mlc_arena arena, scratch;
    size_t mem_size = 64u << 20;
    unsigned char *mem = (unsigned char *)malloc(mem_size), *smem;
    float *x = (float *)malloc(T_STEPS * IN * sizeof(float)), *y = (float *)malloc(T_STEPS * HID * sizeof(float));
    float *want = (float *)malloc(T_STEPS * HID * sizeof(float));
    float hn[LAYERS * HID], cn[LAYERS * HID];
    double *times = (double *)malloc((size_t)runs * sizeof(double));
    int m, i;
    mlc_result r;
    if (!mem || !x || !y || !want || !times) return fail("malloc", MLC_ERR_NOMEM);
    mlc_arena_init(&arena, mem, mem_size);
    if (file) {
        if ((r = mlc_file_load(file, &data, &size)) != MLC_OK) return fail(file, r);
        if ((r = mlc_st_parse(&st, data, size, &arena)) != MLC_OK) return fail("mlc_st_parse", r);
        if ((r = mlc_st_read_f32(&st, "x", -1, NULL, x, T_STEPS * IN)) != MLC_OK) return fail("x", r);
    } else {
        for (i = 0; i < T_STEPS * IN; i++) x[i] = frand(-1.0f, 1.0f);
    }
    for (m = 0; m < 2; m++) {
        mlc_rnn_params p = mlc_rnn_params_make(m == 0 ? MLC_RNN_LSTM : MLC_RNN_GRU, IN, HID, LAYERS, 0);
        mlc_rnn rnn;
        mlc_tensor tx = mlc_tensor_3d(x, T_STEPS, 1, IN), ty = mlc_tensor_3d(y, T_STEPS, 1, HID);
        mlc_tensor thn = mlc_tensor_3d(hn, LAYERS, 1, HID), tcn = mlc_tensor_3d(cn, LAYERS, 1, HID);
        double maxdiff = 0.0, scale = 1e-30;
        size_t sb, mark = mlc_arena_mark(&arena);
        if (file) {
            char name[32];
            r = mlc_rnn_load(&rnn, &st, names[m], &p, &arena);
            if (r != MLC_OK) { fprintf(stderr, "bench_rnn: %s\n", rnn.bad_name); return fail("mlc_rnn_load", r); }
            sprintf(name, "%s.y", names[m]);
            if ((r = mlc_st_read_f32(&st, name, -1, NULL, want, T_STEPS * HID)) != MLC_OK) return fail(name, r);
        } else if ((r = init_random(&rnn, &p, &arena)) != MLC_OK) return fail("init", r);
        sb = mlc_rnn_scratch_bytes(&rnn, T_STEPS, 1);
        smem = (unsigned char *)mlc_arena_alloc(&arena, sb, 64);
        if (!smem) return fail("scratch", MLC_ERR_NOMEM);
        mlc_arena_init(&scratch, smem, sb);
        for (i = 0; i < 5; i++) {   /* warm-up */
            r = mlc_rnn_forward(&rnn, NULL, &ty, &tx, NULL, NULL, &thn, m == 0 ? &tcn : NULL, &scratch);
            if (r != MLC_OK) return fail("mlc_rnn_forward", r);
        }
        if (file) {
            for (i = 0; i < T_STEPS * HID; i++) {
                double d = fabs((double)y[i] - (double)want[i]);
                if (!(d <= maxdiff)) maxdiff = d;   /* NaN counts */
                if (fabs((double)want[i]) > scale) scale = fabs((double)want[i]);
            }
        }
        for (i = 0; i < runs; i++) {
            double t0 = now_s();
            mlc_rnn_forward(&rnn, NULL, &ty, &tx, NULL, NULL, &thn, m == 0 ? &tcn : NULL, &scratch);
            times[i] = now_s() - t0;
        }
        {
            double med = median(times, runs);   /* sorts times: times[0] is the fastest */
            printf("seq %s ms %.4f min %.4f maxdiff %.3g\n", names[m], 1e3 * med, 1e3 * times[0], file ? maxdiff / scale : 0.0);
        }
        fflush(stdout);
        if (file && !(maxdiff / scale <= 1e-4)) { fprintf(stderr, "bench_rnn: %s: WRONG ANSWER vs PyTorch\n", names[m]); return 1; }
        mlc_arena_reset(&arena, mark);
    }
    if (data) mlc_file_free(data);
    free(mem); free(x); free(y); free(want); free(times);
    return 0;
}

/* ---- step ------------------------------------------------------------------- */
static int bench_step(void) {
    static const int hs[3] = { 64, 256, 1024 };
    int k;
    for (k = 0; k < 3; k++) {
        int H = hs[k], i, s, steps = H >= 1024 ? 20 : H >= 256 ? 200 : 1000, samples = 21;
        mlc_rnn_params p = mlc_rnn_params_make(MLC_RNN_LSTM, H, H, 1, 0);
        size_t bytes = mlc_rnn_arena_bytes(&p), sb;
        unsigned char *mem = (unsigned char *)malloc(bytes), *smem;
        float *x = (float *)malloc((size_t)H * sizeof(float)), *h = (float *)calloc((size_t)H, sizeof(float));
        float *c = (float *)calloc((size_t)H, sizeof(float));
        double times[21];
        mlc_arena arena, scratch;
        mlc_rnn rnn;
        mlc_tensor tx = mlc_tensor_1d(x, H), th = mlc_tensor_2d(h, 1, H), tc = mlc_tensor_2d(c, 1, H);
        mlc_result r;
        if (!mem || !x || !h || !c) return fail("malloc", MLC_ERR_NOMEM);
        mlc_arena_init(&arena, mem, bytes);
        if ((r = init_random(&rnn, &p, &arena)) != MLC_OK) return fail("init", r);
        sb = mlc_rnn_step_scratch_bytes(&rnn, 1);
        smem = (unsigned char *)malloc(sb);
        mlc_arena_init(&scratch, smem, sb);
        for (i = 0; i < H; i++) x[i] = frand(-1.0f, 1.0f);
        for (i = 0; i < 3 * steps; i++)   /* warm-up */
            if ((r = mlc_rnn_step(&rnn, NULL, NULL, &tx, &th, &tc, &scratch)) != MLC_OK) return fail("mlc_rnn_step", r);
        for (s = 0; s < samples; s++) {
            double t0 = now_s();
            for (i = 0; i < steps; i++) mlc_rnn_step(&rnn, NULL, NULL, &tx, &th, &tc, &scratch);
            times[s] = (now_s() - t0) / steps;
        }
        {
            double med = median(times, samples);
            printf("step lstm hidden %d us %.3f min %.3f  (W_ih + W_hh %.2f MB)\n", H, 1e6 * med, 1e6 * times[0],
                   (double)(8.0 * H * H * 4) / (1 << 20));
        }
        fflush(stdout);
        free(mem); free(smem); free(x); free(h); free(c);
    }
    return 0;
}

int main(int argc, char **argv) {
    const char *file = NULL;
    int runs = 51, do_seq = 1, do_step = 1, i;
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--seq") == 0 && i + 1 < argc) { file = argv[++i]; do_step = 0; }
        else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) runs = atoi(argv[++i]);
        else if (strcmp(argv[i], "--seq-only") == 0) do_step = 0;
        else if (strcmp(argv[i], "--step-only") == 0) do_seq = 0;
        else { fprintf(stderr, "usage: %s [--seq FILE] [--runs N] [--seq-only | --step-only]\n", argv[0]); return 2; }
    }
    if (runs < 1) runs = 1;
    printf("mlcore %s, one thread; LSTM/GRU %d layers, input %d, hidden %d, %d steps, batch 1\n",
           MLC__ISA, LAYERS, IN, HID, T_STEPS);
    if (do_seq && bench_seq(file, runs)) return 1;
    if (do_step && bench_step()) return 1;
    return 0;
}
