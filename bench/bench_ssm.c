/* bench_ssm.c - mlcore's selective scan and Mamba step, one thread, float32,
   against the machine's own limits and against PyTorch in the same run.

   1. Limits: the single-core FMA peak (independent vector FMAs, as
      bench_gemm.c measures it) and memory bandwidth (a streaming read and
      a STREAM-style triad over 3 x 128 MB arrays, far past the caches).
   2. The selective scan at L = 4096, dim = 1536, N = 16 (Mamba-130m's
      d_inner and d_state over a 4k context), with everything Mamba passes:
      D skip, z gate, delta_bias, softplus. Reported: time, state updates
      per second, GFLOP/s at 7 flops per update (dt*A, exp, *B, a*x + b,
      y += x*C: the exp counted as one), bytes moved (u, delta, z read, y
      written, + B, C) per second, and the fraction of the FMA peak, of the
      bandwidth, and of the instruction floor: on AVX-512 the kernel issues
      10 instructions per 16 updates on the FMA/multiply units (dt*A', the
      exp's 5 polynomial FMAs and vscalefps, du*B, the state FMA, the y
      FMA), so at the measured FMA issue rate (peak / 32 flops) the scan
      cannot beat updates / 16 * 10 instruction slots.
      Then PyTorch's selective_scan_ref on the same shape (bench/ssm_peer.py,
      popen'd, torch.set_num_threads(1)).
   3. Step latency of the whole tiny Mamba LM (examples/mamba_tiny.safetensors)
      per token, mlc_mamba_lm_step against the reference Mamba.step() loop in
      PyTorch.

   Times are the benchmark thread's CPU time (CLOCK_THREAD_CPUTIME_ID; the
   peer uses time.thread_time), medians of several runs: see now_s().

   Build and run from the repository root:
       gcc -std=c99 -O2 -march=native -Wall -Wextra -o build/bench_ssm bench/bench_ssm.c -lm
       ./build/bench_ssm                 # all of it (PyTorch's scan takes ~1 min)
       ./build/bench_ssm --no-peer       # mlcore only
       ./build/bench_ssm --quick         # smaller scan (L = 1024), short runs
   Options: --L n --D n --N n (scan shape), --model PATH, --python PATH. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <time.h>
#include <stdint.h>
#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#define MLCORE_IMPLEMENTATION
#include "../mlcore.h"

/* The thread's CPU time, not wall time: on a shared machine other jobs take
   the core for part of the wall time, which says nothing about the code.
   A stalled thread (waiting on memory) is still running, so memory time
   is counted. On an idle machine the two agree. */
static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}
static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return (n & 1) ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}
static void *alloc64(size_t bytes) {
    unsigned char *raw = (unsigned char *)malloc(bytes + 64 + sizeof(void *));
    uintptr_t p;
    if (!raw) { fprintf(stderr, "out of memory (%zu bytes)\n", bytes); exit(2); }
    p = ((uintptr_t)(raw + sizeof(void *)) + 63) & ~(uintptr_t)63;
    ((void **)p)[-1] = raw;
    return (void *)p;
}
static void free64(void *p) { if (p) free(((void **)p)[-1]); }
static uint32_t rng_state = 0x9e3779b9u;
static float frand(void) {   /* uniform in [0, 1) */
    uint32_t x = rng_state;
    x ^= x << 13; x ^= x >> 17; x ^= x << 5;
    rng_state = x;
    return (float)((x >> 8) * (1.0 / 16777216.0));
}
static float nrand(void) {   /* roughly N(0, 1) */
    return (frand() + frand() + frand() + frand() - 2.0f) * 1.7320508f;
}

/* ---- FMA peak (as bench_gemm.c) ------------------------------------------- */
#if defined(__AVX512F__)
static float peak_kernel(long iters) {
    const __m512 m = _mm512_set1_ps(0.999f), c = _mm512_set1_ps(0.001f);
    __m512 a[16];
    float out[16], s = 0.0f;
    long i;
    int k;
    for (k = 0; k < 16; k++) a[k] = _mm512_set1_ps(0.1f * (float)k);
    for (i = 0; i < iters; i++) {
        a[0] = _mm512_fmadd_ps(a[0], m, c);   a[1] = _mm512_fmadd_ps(a[1], m, c);
        a[2] = _mm512_fmadd_ps(a[2], m, c);   a[3] = _mm512_fmadd_ps(a[3], m, c);
        a[4] = _mm512_fmadd_ps(a[4], m, c);   a[5] = _mm512_fmadd_ps(a[5], m, c);
        a[6] = _mm512_fmadd_ps(a[6], m, c);   a[7] = _mm512_fmadd_ps(a[7], m, c);
        a[8] = _mm512_fmadd_ps(a[8], m, c);   a[9] = _mm512_fmadd_ps(a[9], m, c);
        a[10] = _mm512_fmadd_ps(a[10], m, c); a[11] = _mm512_fmadd_ps(a[11], m, c);
        a[12] = _mm512_fmadd_ps(a[12], m, c); a[13] = _mm512_fmadd_ps(a[13], m, c);
        a[14] = _mm512_fmadd_ps(a[14], m, c); a[15] = _mm512_fmadd_ps(a[15], m, c);
    }
    for (k = 0; k < 16; k++) { _mm512_storeu_ps(out, a[k]); s += out[0]; }
    return s;
}
static double measure_peak(int runs, double run_s) {
    volatile float sink = 0.0f;
    double t, samples[16];
    long iters = 100000;
    int r;
    for (;;) {
        t = now_s(); sink += peak_kernel(iters); t = now_s() - t;
        if (t >= 0.01) break;
        iters *= 4;
    }
    iters = (long)((double)iters * run_s / t) + 1;
    for (r = 0; r < runs; r++) {
        t = now_s(); sink += peak_kernel(iters); t = now_s() - t;
        samples[r] = 2.0 * 16 * 16 * (double)iters / t * 1e-9;
    }
    (void)sink;
    return median(samples, runs);
}
#endif

/* ---- memory bandwidth --------------------------------------------------------
   Written with mlcore's own vector layer (4 independent accumulators), so it
   is as wide as the scan's loads. */
static double read_kernel(const float *a, size_t n) {
    mlc__vf s0 = mlc__vset1(0.0f), s1 = s0, s2 = s0, s3 = s0;
    size_t i;
    for (i = 0; i + 4 * MLC__VW <= n; i += 4 * MLC__VW) {
        s0 = mlc__vadd(s0, mlc__vload(a + i));
        s1 = mlc__vadd(s1, mlc__vload(a + i + MLC__VW));
        s2 = mlc__vadd(s2, mlc__vload(a + i + 2 * MLC__VW));
        s3 = mlc__vadd(s3, mlc__vload(a + i + 3 * MLC__VW));
    }
    return (double)mlc__vsum(mlc__vadd(mlc__vadd(s0, s1), mlc__vadd(s2, s3)));
}
static void triad_kernel(float *a, const float *b, const float *c, size_t n) {
    const mlc__vf s = mlc__vset1(1.5f);
    size_t i;
    for (i = 0; i + MLC__VW <= n; i += MLC__VW) mlc__vstore(a + i, mlc__vfma(s, mlc__vload(c + i), mlc__vload(b + i)));
}
static void measure_bw(int runs, double *read_gbs, double *triad_gbs) {
    const size_t n = (size_t)32 << 20;   /* 128 MB per array */
    float *a = (float *)alloc64(n * 4), *b = (float *)alloc64(n * 4), *c = (float *)alloc64(n * 4);
    double rs[16], ts[16], t;
    volatile double sink = 0.0;
    size_t i;
    int r;
    for (i = 0; i < n; i++) { a[i] = 0.0f; b[i] = 1.0f; c[i] = 2.0f; }
    sink += read_kernel(b, n);
    for (r = 0; r < runs; r++) {
        t = now_s(); sink += read_kernel(b, n); t = now_s() - t;
        rs[r] = (double)n * 4 / t * 1e-9;
        t = now_s(); triad_kernel(a, b, c, n); t = now_s() - t;
        ts[r] = 3.0 * (double)n * 4 / t * 1e-9;
        sink += a[r];
    }
    (void)sink;
    *read_gbs = median(rs, runs); *triad_gbs = median(ts, runs);
    free64(a); free64(b); free64(c);
}

/* ---- the PyTorch peer ------------------------------------------------------------ */
static double run_peer(const char *python, const char *args, const char *key) {
    char cmd[1024], line[256];
    FILE *p;
    double v = -1.0;
    snprintf(cmd, sizeof cmd, "%s bench/ssm_peer.py %s 2>&1", python, args);
    p = popen(cmd, "r");
    if (!p) return -1.0;
    while (fgets(line, sizeof line, p)) {
        size_t k = strlen(key);
        if (strncmp(line, key, k) == 0 && line[k] == ' ') v = atof(line + k + 1);
        else if (strncmp(line, "torch ", 6) != 0) fprintf(stderr, "  [peer] %s", line);
    }
    pclose(p);
    return v;
}

static void load_avg(char *out, size_t n) {
    FILE *f = fopen("/proc/loadavg", "r");
    out[0] = '\0';
    if (f) { if (!fgets(out, (int)n, f)) out[0] = '\0'; fclose(f); }
    out[strcspn(out, "\n")] = '\0';
}

int main(int argc, char **argv) {
    int L = 4096, D = 1536, N = 16, quick = 0, peer = 1, runs, i;
    const char *model = "examples/mamba_tiny.safetensors", *python = "/usr/bin/python3";
    double peak = 0.0, bw_read, bw_triad, t, samples[32], t_scan, t_fma, t_bw, t_instr;
    double updates, flops, bytes;
    char la[128];
    float *u, *dl, *z, *y, *A, *B, *C, *Dk, *db, *st;
    size_t nld, k;
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick")) { quick = 1; L = 1024; }
        else if (!strcmp(argv[i], "--no-peer")) peer = 0;
        else if (!strcmp(argv[i], "--L") && i + 1 < argc) L = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--D") && i + 1 < argc) D = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--N") && i + 1 < argc) N = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--model") && i + 1 < argc) model = argv[++i];
        else if (!strcmp(argv[i], "--python") && i + 1 < argc) python = argv[++i];
        else { fprintf(stderr, "usage: %s [--quick] [--no-peer] [--L n] [--D n] [--N n] [--model path] [--python path]\n", argv[0]); return 2; }
    }
    runs = quick ? 3 : 7;
    load_avg(la, sizeof la);
    printf("mlcore selective scan + Mamba step benchmark, one thread, float32\n");
    printf("  mlcore ISA : %s (MLC__VW = %d floats)\n", MLC__ISA, MLC__VW);
    printf("  load avg   : %s (times below are thread CPU time, so other jobs do not count)\n", la);
#if defined(__AVX512F__)
    peak = measure_peak(runs, quick ? 0.02 : 0.05);
    printf("  FMA peak   : %.1f GFLOP/s (16 independent _mm512_fmadd_ps chains, median of %d)\n", peak, runs);
#else
    printf("  FMA peak   : n/a (built without AVX-512)\n");
#endif
    measure_bw(runs, &bw_read, &bw_triad);
    printf("  memory     : read %.1f GB/s, triad %.1f GB/s (3 x 128 MB, STREAM counting, median of %d)\n",
           bw_read, bw_triad, runs);

    /* ---- the scan ---- */
    nld = (size_t)L * (size_t)D;
    u = (float *)alloc64(nld * 4); dl = (float *)alloc64(nld * 4); z = (float *)alloc64(nld * 4); y = (float *)alloc64(nld * 4);
    A = (float *)alloc64((size_t)D * N * 4); B = (float *)alloc64((size_t)L * N * 4); C = (float *)alloc64((size_t)L * N * 4);
    Dk = (float *)alloc64((size_t)D * 4); db = (float *)alloc64((size_t)D * 4);
    st = (float *)alloc64((size_t)D * N * 4);
    for (k = 0; k < nld; k++) { u[k] = nrand(); dl[k] = 0.5f * nrand(); z[k] = nrand(); y[k] = 0.0f; }
    for (k = 0; k < (size_t)D * N; k++) A[k] = -expf(frand() * logf(16.0f));
    for (k = 0; k < (size_t)L * N; k++) { B[k] = nrand(); C[k] = nrand(); }
    for (k = 0; k < (size_t)D; k++) {   /* softplus(bias) in [1e-3, 1e-1], Mamba's dt init */
        float dt = expf(logf(1e-3f) + frand() * (logf(1e-1f) - logf(1e-3f)));
        Dk[k] = nrand(); db[k] = logf(expm1f(dt));
    }
    memset(st, 0, (size_t)D * N * 4);
    mlc_ssm_scan_f32(NULL, L, D, N, 1, u, dl, A, B, C, Dk, z, db, 1, y, st);   /* warm-up */
    for (i = 0; i < runs; i++) {
        memset(st, 0, (size_t)D * N * 4);   /* a new sequence; the final state is returned */
        t = now_s();
        mlc_ssm_scan_f32(NULL, L, D, N, 1, u, dl, A, B, C, Dk, z, db, 1, y, st);
        samples[i] = now_s() - t;
    }
    t_scan = median(samples, runs);
    updates = (double)L * D * N;
    flops = 7.0 * updates;
    bytes = 4.0 * ((double)nld * 4 + 2.0 * L * N + D * (3.0 + 2.0 * N));   /* + A, D, bias, state in/out */
    t_fma = peak > 0 ? flops / (peak * 1e9) : 0.0;
    t_bw = bytes / (bw_triad * 1e9);
    t_instr = peak > 0 ? updates / 16 * 10 / (peak / 32 * 1e9) : 0.0;
    printf("\nselective scan, L %d, dim %d, N %d, groups 1, with D, z, delta_bias, softplus and the final state\n"
           "(Mamba's call, return_last_state=True)\n", L, D, N);
    printf("  mlcore     : %9.2f ms  %6.2f G updates/s  %6.1f GFLOP/s  %6.1f GB/s   (median of %d)\n",
           t_scan * 1e3, updates / t_scan * 1e-9, flops / t_scan * 1e-9, bytes / t_scan * 1e-9, runs);
    if (peak > 0)
        printf("  vs FMA peak: %5.1f%%  (7 flops/update: compute floor %.2f ms)\n", 100.0 * t_fma / t_scan, t_fma * 1e3);
    printf("  vs memory  : %5.1f%%  (%.0f MB moved at the triad rate: floor %.2f ms)\n", 100.0 * t_bw / t_scan, bytes / 1e6, t_bw * 1e3);
    if (peak > 0) {
        printf("  vs instr.  : %5.1f%%  (10 FMA-unit instructions per 16 updates at the peak issue rate: floor %.2f ms)\n",
               100.0 * t_instr / t_scan, t_instr * 1e3);
        printf("  bound      : %s (the largest floor)\n",
               t_instr >= t_bw ? "compute: the FMA units, 6 of the 10 instructions being the exp" : "memory bandwidth");
    }
    if (peer) {
        char args[128];
        double ms;
        snprintf(args, sizeof args, "--scan %d %d %d --reps %d", L, D, N, quick ? 1 : 2);
        ms = run_peer(python, args, "scan_ms");
        if (ms > 0)
            printf("  PyTorch    : %9.2f ms  selective_scan_ref, one thread, same shape and options  ->  mlcore %.0fx faster\n",
                   ms, ms / (t_scan * 1e3));
        else printf("  PyTorch    : not run (%s bench/ssm_peer.py failed)\n", python);
    }
    free64(u); free64(dl); free64(z); free64(y); free64(A); free64(B); free64(C); free64(Dk); free64(db); free64(st);

    /* ---- Mamba LM step latency ---- */
    {
        void *file = NULL;
        size_t size = 0, amem = 32u << 20;
        unsigned char *mem;
        mlc_arena arena, scratch;
        mlc_safetensors st;
        mlc_mamba_lm lm;
        mlc_mamba_state *states;
        float *logits;
        mlc_result r;
        int tok = 'T', s, n_tok = quick ? 200 : 1000, best;
        double per[32];
        if ((r = mlc_file_load(model, &file, &size)) != MLC_OK) {
            printf("\nMamba step: %s not loaded (%s)\n", model, mlc_result_string(r));
            return 0;
        }
        mem = (unsigned char *)malloc(amem);
        mlc_arena_init(&arena, mem, amem / 2);
        mlc_arena_init(&scratch, mem + amem / 2, amem / 2);
        if ((r = mlc_st_parse(&st, file, size, &arena)) != MLC_OK || (r = mlc_mamba_lm_load(&lm, &st, 1e-5f, &arena)) != MLC_OK ||
            (r = mlc_mamba_lm_state_init(&lm, &states, &arena)) != MLC_OK) {
            printf("\nMamba step: %s: %s %s\n", model, mlc_result_string(r), st.bad_name ? st.bad_name : "");
            return 1;
        }
        logits = (float *)malloc((size_t)lm.vocab * sizeof(float));
        for (s = 0; s < 100; s++) {   /* warm-up, greedy decoding */
            mlc_mamba_lm_step(&lm, NULL, tok, logits, states, &scratch);
            for (best = 0, i = 1; i < lm.vocab; i++) if (logits[i] > logits[best]) best = i;
            tok = best;
        }
        for (i = 0; i < runs; i++) {
            t = now_s();
            for (s = 0; s < n_tok; s++) {
                mlc_mamba_lm_step(&lm, NULL, tok, logits, states, &scratch);
                tok = (int)(logits[0] > logits[1]) + 'a';   /* cheap data dependency */
            }
            per[i] = (now_s() - t) / n_tok;
        }
        printf("\nMamba LM step (%s: vocab %d, d_model %d, %d layers, d_inner %d, d_state %d)\n", model, lm.vocab,
               lm.d_model, lm.n_layer, lm.layers[0].d_inner, lm.layers[0].d_state);
        printf("  mlcore     : %9.2f us per token (mlc_mamba_lm_step, median of %d x %d tokens)\n",
               median(per, runs) * 1e6, runs, n_tok);
        if (peer) {
            char args[512];
            double us;
            snprintf(args, sizeof args, "--step %s --tokens %d", model, quick ? 50 : 300);
            us = run_peer(python, args, "step_us");
            if (us > 0)
                printf("  PyTorch    : %9.2f us per token (reference Mamba.step per layer + norms + head)  ->  mlcore %.0fx faster\n",
                       us, us / (median(per, runs) * 1e6));
        }
        load_avg(la, sizeof la);
        printf("\n  load avg at the end: %s\n", la);
        free(logits); free(mem); mlc_file_free(file);
    }
    return 0;
}
