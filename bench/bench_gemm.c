/* bench_gemm.c - mlcore float32 GEMM against OpenBLAS, one thread, same run.

   What is timed, for both libraries, is the same work:
       C[M,N] = A[M,K] * W[N,K]^T          (beta 0, no bias, no activation)
   i.e. a torch.nn.Linear(K, N) forward over M rows, W in PyTorch's [out, in]
   layout.
     mlcore:   mlc_gemm_packed_f32(NULL, M, N, K, A, K, Wp, NULL, C, N, NONE, 0)
               where Wp was packed once, before timing, by mlc_gemm_pack_b_f32
               (what mlc_linear_init/_load do at load time). Packing is not timed.
     OpenBLAS: cblas_sgemm(RowMajor, NoTrans, Trans, M, N, K, 1, A, K, W, K, 0, C, N)
               and, for M = 1 only, also cblas_sgemv(RowMajor, NoTrans, N, K, 1, W, K,
               x, 1, 0, y, 1), the call a BLAS user makes for a matrix-vector product.
   Before any timing, both outputs are compared (and a few entries against a
   double-precision dot product); a shape whose answers disagree by more than
   1e-4 relative to the output's scale (max |C|) is reported and not timed, and
   the program exits 1.

   Build (from the repository root):
       gcc -std=c99 -O2 -march=native -Wall -Wextra -o bench/bench_gemm \
           bench/bench_gemm.c -lopenblas -lm
   Run:
       OPENBLAS_NUM_THREADS=1 ./bench/bench_gemm                    # 27 shapes, ~15 s
       OPENBLAS_NUM_THREADS=1 ./bench/bench_gemm --quick            # smoke test, ~1 s
       OPENBLAS_NUM_THREADS=1 ./bench/bench_gemm --shape 197,2304,768   # one shape (M,N,K)
   On AVX-512 CPUs newer than OpenBLAS 0.3.21 knows, add OPENBLAS_CORETYPE=SkylakeX
   to measure OpenBLAS's AVX-512 kernels (the program prints a NOTE when needed).
   See bench/README.md for how to read the table. */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <time.h>
#include <stdint.h>
#include <unistd.h>
#if defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__))
#include <immintrin.h>
#endif

#define MLCORE_IMPLEMENTATION
#include "../mlcore.h"

/* ---- OpenBLAS, declared here so the build does not depend on which cblas.h
   Debian's alternatives system points at. Enum values are the CBLAS standard
   ones; OpenBLAS in Debian's libopenblas-dev uses 32-bit int indices. */
extern void openblas_set_num_threads(int);
extern int openblas_get_num_threads(void);
extern char *openblas_get_config(void);
extern char *openblas_get_corename(void);
extern void cblas_sgemm(int order, int transa, int transb, int m, int n, int k,
                        float alpha, const float *a, int lda, const float *b, int ldb,
                        float beta, float *c, int ldc);
extern void cblas_sgemv(int order, int trans, int m, int n, float alpha, const float *a, int lda,
                        const float *x, int incx, float beta, float *y, int incy);
enum { CBLAS_ROW_MAJOR = 101, CBLAS_NO_TRANS = 111, CBLAS_TRANS = 112 };

/* ---- what mlcore was compiled for: the same macros its >>simd section tests */
#if defined(MLC_NO_SIMD)
#  define BENCH_MLC_ISA "scalar (MLC_NO_SIMD)"
#elif defined(__AVX512F__)
#  define BENCH_MLC_ISA "AVX-512F (__AVX512F__)"
#elif defined(__AVX2__) && defined(__FMA__)
#  define BENCH_MLC_ISA "AVX2+FMA (__AVX2__, __FMA__)"
#elif defined(__SSE2__)
#  define BENCH_MLC_ISA "SSE2 (__SSE2__)"
#elif defined(__ARM_NEON) && defined(__aarch64__)
#  define BENCH_MLC_ISA "NEON (__ARM_NEON)"
#else
#  define BENCH_MLC_ISA "scalar (no SIMD macro)"
#endif

#if defined(__clang__) || defined(__INTEL_LLVM_COMPILER)
#  define BENCH_CC __VERSION__
#elif defined(__GNUC__)
#  define BENCH_CC "gcc " __VERSION__
#else
#  define BENCH_CC "unknown"
#endif

#define REL_TOL 1e-4

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
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

/* 64-byte aligned allocation without posix_memalign/aligned_alloc (C99). */
static void *alloc64(size_t bytes) {
    unsigned char *raw = (unsigned char *)malloc(bytes + 64 + sizeof(void *));
    uintptr_t p;
    if (!raw) { fprintf(stderr, "out of memory (%zu bytes)\n", bytes); exit(2); }
    p = ((uintptr_t)(raw + sizeof(void *)) + 63) & ~(uintptr_t)63;
    ((void **)p)[-1] = raw;
    return (void *)p;
}
static void free64(void *p) { if (p) free(((void **)p)[-1]); }

static uint32_t rng_state = 0x12345678u;
static float frand(void) {  /* uniform in [-1, 1) */
    uint32_t x = rng_state;
    x ^= x << 13; x ^= x >> 17; x ^= x << 5;
    rng_state = x;
    return (float)((x >> 8) * (2.0 / 16777216.0) - 1.0);
}

/* ---- single-core FMA peak -------------------------------------------------
   A loop of independent vector FMAs (acc = acc * m + c, one dependency chain
   per accumulator) with more accumulators than latency x ports needs, so the
   FMA units never wait. Values converge to c / (1 - m) = 1: no overflow, no
   denormals. */
#if defined(__AVX512F__)
#  define HAVE_PEAK512 1
static float peak_kernel512(long iters) {
    const __m512 m = _mm512_set1_ps(0.999f), c = _mm512_set1_ps(0.001f);
    __m512 a0 = _mm512_set1_ps(0.0f), a1 = _mm512_set1_ps(0.1f), a2 = _mm512_set1_ps(0.2f),
           a3 = _mm512_set1_ps(0.3f), a4 = _mm512_set1_ps(0.4f), a5 = _mm512_set1_ps(0.5f),
           a6 = _mm512_set1_ps(0.6f), a7 = _mm512_set1_ps(0.7f), a8 = _mm512_set1_ps(0.8f),
           a9 = _mm512_set1_ps(0.9f), a10 = _mm512_set1_ps(1.0f), a11 = _mm512_set1_ps(1.1f),
           a12 = _mm512_set1_ps(1.2f), a13 = _mm512_set1_ps(1.3f), a14 = _mm512_set1_ps(1.4f),
           a15 = _mm512_set1_ps(1.5f);
    long i;
    for (i = 0; i < iters; i++) {
        a0 = _mm512_fmadd_ps(a0, m, c);   a1 = _mm512_fmadd_ps(a1, m, c);
        a2 = _mm512_fmadd_ps(a2, m, c);   a3 = _mm512_fmadd_ps(a3, m, c);
        a4 = _mm512_fmadd_ps(a4, m, c);   a5 = _mm512_fmadd_ps(a5, m, c);
        a6 = _mm512_fmadd_ps(a6, m, c);   a7 = _mm512_fmadd_ps(a7, m, c);
        a8 = _mm512_fmadd_ps(a8, m, c);   a9 = _mm512_fmadd_ps(a9, m, c);
        a10 = _mm512_fmadd_ps(a10, m, c); a11 = _mm512_fmadd_ps(a11, m, c);
        a12 = _mm512_fmadd_ps(a12, m, c); a13 = _mm512_fmadd_ps(a13, m, c);
        a14 = _mm512_fmadd_ps(a14, m, c); a15 = _mm512_fmadd_ps(a15, m, c);
    }
    a0 = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)),
                       _mm512_add_ps(_mm512_add_ps(a4, a5), _mm512_add_ps(a6, a7)));
    a8 = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a8, a9), _mm512_add_ps(a10, a11)),
                       _mm512_add_ps(_mm512_add_ps(a12, a13), _mm512_add_ps(a14, a15)));
    return _mm512_reduce_add_ps(_mm512_add_ps(a0, a8));
}
#endif
#if defined(__AVX2__) && defined(__FMA__)
#  define HAVE_PEAK256 1
static float peak_kernel256(long iters) {
    const __m256 m = _mm256_set1_ps(0.999f), c = _mm256_set1_ps(0.001f);
    __m256 a0 = _mm256_set1_ps(0.0f), a1 = _mm256_set1_ps(0.1f), a2 = _mm256_set1_ps(0.2f),
           a3 = _mm256_set1_ps(0.3f), a4 = _mm256_set1_ps(0.4f), a5 = _mm256_set1_ps(0.5f),
           a6 = _mm256_set1_ps(0.6f), a7 = _mm256_set1_ps(0.7f), a8 = _mm256_set1_ps(0.8f),
           a9 = _mm256_set1_ps(0.9f), a10 = _mm256_set1_ps(1.0f), a11 = _mm256_set1_ps(1.1f);
    float out[8];
    long i;
    int j;
    for (i = 0; i < iters; i++) {
        a0 = _mm256_fmadd_ps(a0, m, c);   a1 = _mm256_fmadd_ps(a1, m, c);
        a2 = _mm256_fmadd_ps(a2, m, c);   a3 = _mm256_fmadd_ps(a3, m, c);
        a4 = _mm256_fmadd_ps(a4, m, c);   a5 = _mm256_fmadd_ps(a5, m, c);
        a6 = _mm256_fmadd_ps(a6, m, c);   a7 = _mm256_fmadd_ps(a7, m, c);
        a8 = _mm256_fmadd_ps(a8, m, c);   a9 = _mm256_fmadd_ps(a9, m, c);
        a10 = _mm256_fmadd_ps(a10, m, c); a11 = _mm256_fmadd_ps(a11, m, c);
    }
    a0 = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
                       _mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7)));
    a8 = _mm256_add_ps(_mm256_add_ps(a8, a9), _mm256_add_ps(a10, a11));
    _mm256_storeu_ps(out, _mm256_add_ps(a0, a8));
    for (j = 1; j < 8; j++) out[0] += out[j];
    return out[0];
}
#endif

#if defined(HAVE_PEAK512) || defined(HAVE_PEAK256)
/* Median GFLOP/s over `runs` runs of ~run_s seconds each of kernel, which does
   iters x flops_per_iter FLOPs. */
static double measure_peak(float (*kernel)(long), double flops_per_iter, int runs, double run_s) {
    volatile float sink = 0.0f;
    double t, samples[32];
    long iters = 100000;
    int r;
    /* calibrate: grow until one run takes >= 10 ms, then scale to run_s */
    for (;;) {
        t = now_s(); sink += kernel(iters); t = now_s() - t;
        if (t >= 0.01) break;
        iters *= 4;
    }
    iters = (long)((double)iters * run_s / t) + 1;
    if (runs > 32) runs = 32;
    for (r = 0; r < runs; r++) {
        t = now_s(); sink += kernel(iters); t = now_s() - t;
        samples[r] = flops_per_iter * (double)iters / t * 1e-9;
    }
    (void)sink;
    return median(samples, runs);
}
#endif

/* ---- shapes ---------------------------------------------------------------- */
typedef struct { const char *label; int m, n, k; } shape;

static const shape default_shapes[] = {
    { "square 64",            64,   64,   64 },
    { "square 128",          128,  128,  128 },
    { "square 256",          256,  256,  256 },
    { "square 384",          384,  384,  384 },
    { "square 512",          512,  512,  512 },
    { "square 768",          768,  768,  768 },
    { "square 1024",        1024, 1024, 1024 },
    /* MobileNetV2 pointwise (1x1) convs as GEMM: M = H*W, K = Cin, N = Cout */
    { "mnv2 112x112 16->96", 12544,  96,   16 },
    { "mnv2 56x56 24->144",   3136, 144,   24 },
    { "mnv2 56x56 144->24",   3136,  24,  144 },
    { "mnv2 28x28 32->192",    784, 192,   32 },
    { "mnv2 28x28 192->32",    784,  32,  192 },
    { "mnv2 14x14 384->64",    196,  64,  384 },
    { "mnv2 14x14 64->384",    196, 384,   64 },
    { "mnv2 14x14 576->96",    196,  96,  576 },
    { "mnv2 7x7 960->160",      49, 160,  960 },
    { "mnv2 7x7 320->1280",     49, 1280, 320 },
    { "mnv2 classifier",         1, 1000, 1280 },
    /* ViT-B/16 at 224x224: 197 tokens, width 768 */
    { "vit-b16 qkv",           197, 2304,  768 },
    { "vit-b16 attn proj",     197,  768,  768 },
    { "vit-b16 mlp fc1",       197, 3072,  768 },
    { "vit-b16 mlp fc2",       197,  768, 3072 },
    /* LSTM gate projections (4 gates): hidden 256 and 512, one step, batch 1 and 32 */
    { "lstm256 b1",              1, 1024,  256 },
    { "lstm256 b32",            32, 1024,  256 },
    { "lstm512 b1",              1, 2048,  512 },
    { "lstm512 b32",            32, 2048,  512 },
    /* matrix-vector, weights far larger than cache: memory bound */
    { "matvec 4096",             1, 4096, 4096 },
};

static const shape quick_shapes[] = {
    { "square 64",            64,   64,   64 },
    { "square 256",          256,  256,  256 },
    { "square 512",          512,  512,  512 },
    { "mnv2 56x56 144->24",   3136,  24,  144 },
    { "mnv2 classifier",         1, 1000, 1280 },
    { "vit-b16 attn proj",     197,  768,  768 },
    { "lstm256 b32",            32, 1024,  256 },
};

/* ---- the calls being compared ---------------------------------------------- */
typedef struct {
    int m, n, k;
    const float *a, *w, *wp;
    float *c;
} problem;

static mlc_result run_mlcore(const problem *p) {
    return mlc_gemm_packed_f32(NULL, p->m, p->n, p->k, p->a, p->k, p->wp,
                               NULL, p->c, p->n, MLC_ACT_NONE, 0.0f);
}
static void run_openblas(const problem *p) {
    cblas_sgemm(CBLAS_ROW_MAJOR, CBLAS_NO_TRANS, CBLAS_TRANS, p->m, p->n, p->k,
                1.0f, p->a, p->k, p->w, p->k, 0.0f, p->c, p->n);
}

/* For M = 1 a BLAS user would call the matrix-vector routine instead:
   y[N] = W[N,K] x[K]. Timed as an extra peer for M = 1 shapes only. */
static void run_openblas_gemv(const problem *p) {
    cblas_sgemv(CBLAS_ROW_MAJOR, CBLAS_NO_TRANS, p->n, p->k, 1.0f, p->w, p->k, p->a, 1,
                0.0f, p->c, 1);
}

enum { LIB_MLCORE = 0, LIB_SGEMM = 1, LIB_SGEMV = 2 };

static void call(const problem *p, int lib) {
    if (lib == LIB_MLCORE) {
        mlc_result r = run_mlcore(p);
        if (r != MLC_OK) {
            fprintf(stderr, "mlc_gemm_packed_f32(%d,%d,%d) returned %s\n",
                    p->m, p->n, p->k, mlc_result_string(r));
            exit(1);
        }
    } else if (lib == LIB_SGEMM) {
        run_openblas(p);
    } else {
        run_openblas_gemv(p);
    }
}

/* Median seconds per call. One warm-up call, an estimate from a second one,
   then samples of `inner` back-to-back calls each (so tiny shapes are not
   timer-bound), about target_s seconds in all and at least 3 samples. */
static double time_lib(const problem *p, int lib, double target_s, int *calls_out) {
    double samples[64], t, per_sample = target_s / 11.0;
    int ns, inner, s, i;
    call(p, lib);
    t = now_s(); call(p, lib); t = now_s() - t;
    if (t <= 0.0) t = 1e-9;
    if (t >= per_sample) {
        inner = 1;
        ns = (int)(target_s / t);
        if (ns < 3) ns = 3;
        if (ns > 11) ns = 11;
    } else {
        inner = (int)(per_sample / t);
        ns = 11;
    }
    for (s = 0; s < ns; s++) {
        t = now_s();
        for (i = 0; i < inner; i++) call(p, lib);
        samples[s] = (now_s() - t) / inner;
    }
    if (calls_out) *calls_out = ns * inner;
    return median(samples, ns);
}

/* max |x - y| over n, with NaN/inf on either side counting as infinite */
static double max_abs_diff(const float *x, const float *y, size_t n) {
    double worst = 0.0, d;
    size_t i;
    for (i = 0; i < n; i++) {
        d = fabs((double)x[i] - (double)y[i]);
        if (!(d <= worst)) worst = isfinite(d) ? d : INFINITY;  /* NaN -> inf */
    }
    return worst;
}
static double max_abs(const float *x, size_t n) {
    double m = 0.0; size_t i;
    for (i = 0; i < n; i++) if (fabs((double)x[i]) > m) m = fabs((double)x[i]);
    return m > 0.0 ? m : 1.0;
}

typedef struct {
    double mlc_s, ob_s, rel_mlc_ob, rel_ref;
    double gv_s, rel_gv;   /* M = 1 only: OpenBLAS sgemv */
    double m1_best_s;      /* M = 1 only: min(sgemm, sgemv) time */
    int ok;
} result;

static result bench_shape(const shape *sh, double target_s) {
    const int m = sh->m, n = sh->n, k = sh->k;
    const size_t na = (size_t)m * k, nw = (size_t)n * k, nc = (size_t)m * n;
    float *a = (float *)alloc64(na * sizeof(float));
    float *w = (float *)alloc64(nw * sizeof(float));
    float *wp = (float *)alloc64(mlc_gemm_packed_b_floats(n, k) * sizeof(float));
    float *c_mlc = (float *)alloc64(nc * sizeof(float));
    float *c_ob = (float *)alloc64(nc * sizeof(float));
    float *c_gv = (float *)alloc64(nc * sizeof(float));
    problem pm, po, pg;
    result res;
    size_t i;
    double scale, ref_worst = 0.0;
    mlc_result r;

    memset(&res, 0, sizeof res);
    for (i = 0; i < na; i++) a[i] = frand();
    for (i = 0; i < nw; i++) w[i] = frand();
    r = mlc_gemm_pack_b_f32(wp, w, k, 1, n, k);
    if (r != MLC_OK) {
        fprintf(stderr, "mlc_gemm_pack_b_f32(n=%d, k=%d) returned %s\n", n, k, mlc_result_string(r));
        exit(1);
    }
    pm.m = po.m = m; pm.n = po.n = n; pm.k = po.k = k;
    pm.a = po.a = a; pm.w = po.w = w; pm.wp = po.wp = wp;
    pm.c = c_mlc; po.c = c_ob;
    pg = po; pg.c = c_gv;

    /* correctness first: poison the outputs so an unwritten element shows */
    for (i = 0; i < nc; i++) { c_mlc[i] = NAN; c_ob[i] = NAN; }
    call(&pm, LIB_MLCORE);
    call(&po, LIB_SGEMM);
    scale = max_abs(c_ob, nc);
    res.rel_mlc_ob = max_abs_diff(c_mlc, c_ob, nc) / scale;
    /* and a few entries of OpenBLAS's answer against a double dot product,
       so a misuse of either call cannot pass by agreeing with the other */
    for (i = 0; i < 64; i++) {
        int row = (int)(((uint64_t)i * 2654435761u) % (uint64_t)m);
        int col = (int)(((uint64_t)i * 40503u + 7) % (uint64_t)n);
        double ref = 0.0, d;
        int kk;
        for (kk = 0; kk < k; kk++) ref += (double)a[(size_t)row * k + kk] * (double)w[(size_t)col * k + kk];
        d = fabs(ref - (double)c_ob[(size_t)row * n + col]);
        if (!(d <= ref_worst)) ref_worst = isfinite(d) ? d : INFINITY;
    }
    res.rel_ref = ref_worst / scale;
    res.ok = res.rel_mlc_ob <= REL_TOL && res.rel_ref <= REL_TOL;
    if (m == 1) {
        for (i = 0; i < nc; i++) c_gv[i] = NAN;
        call(&pg, LIB_SGEMV);
        res.rel_gv = max_abs_diff(c_gv, c_ob, nc) / scale;
        res.ok = res.ok && res.rel_gv <= REL_TOL;
    }

    if (res.ok) {
        res.mlc_s = time_lib(&pm, LIB_MLCORE, target_s, NULL);
        res.ob_s = time_lib(&po, LIB_SGEMM, target_s, NULL);
        if (m == 1) {
            res.gv_s = time_lib(&pg, LIB_SGEMV, target_s, NULL);
            res.m1_best_s = res.gv_s < res.ob_s ? res.gv_s : res.ob_s;
        }
    }
    free64(a); free64(w); free64(wp); free64(c_mlc); free64(c_ob); free64(c_gv);
    return res;
}

/* milliseconds, fixed point unless too small to show that way */
static const char *fmt_ms(char *buf, size_t cap, double s) {
    double ms = s * 1e3;
    snprintf(buf, cap, ms >= 0.001 ? "%.4f" : "%.2e", ms);
    return buf;
}

/* CPU-seconds the whole machine has spent busy since boot (Linux /proc/stat),
   to tell whether other processes ran during the benchmark. 0 if unknown. */
static int proc_busy_s(double *out) {
    FILE *f = fopen("/proc/stat", "r");
    unsigned long long v[8] = {0};
    long hz = sysconf(_SC_CLK_TCK);
    int got;
    if (!f) return 0;
    got = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu",
                 &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
    fclose(f);
    if (got < 7 || hz <= 0) return 0;
    /* user nice system [idle iowait] irq softirq steal */
    *out = (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / (double)hz;
    return 1;
}

static void cpu_name(char *out, size_t cap) {
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];
    snprintf(out, cap, "unknown");
    if (!f) return;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) == 0) {
            char *p = strchr(line, ':');
            if (p) {
                size_t len;
                p++;
                while (*p == ' ' || *p == '\t') p++;
                len = strlen(p);
                while (len && (p[len - 1] == '\n' || p[len - 1] == ' ')) p[--len] = 0;
                snprintf(out, cap, "%s", p);
            }
            break;
        }
    }
    fclose(f);
}

static void usage(const char *argv0) {
    fprintf(stderr,
        "usage: %s [--quick] [--shape M,N,K]... [--time SECONDS] [--no-peak]\n"
        "  --quick         a few shapes, short timings (smoke test)\n"
        "  --shape M,N,K   run only this shape (repeatable); C[M,N] = A[M,K] W[N,K]^T\n"
        "  --time S        target seconds per shape per library (default 0.2, quick 0.05)\n"
        "  --no-peak       skip the FMA peak measurement\n"
        "Set OPENBLAS_NUM_THREADS=1 too; the program also calls openblas_set_num_threads(1).\n",
        argv0);
}

int main(int argc, char **argv) {
    shape custom[64];
    int n_custom = 0, quick = 0, do_peak = 1, i, n_shapes, n_bad = 0, n_timed = 0;
    double target_s = -1.0, peak, log_ratio_sum = 0.0, t_start = now_s();
    const shape *shapes;
    char cpu[256];
    const char *env_threads = getenv("OPENBLAS_NUM_THREADS");
    int worst_i = -1, best_i = -1;
    double worst_ratio = 1e300, best_ratio = -1.0, log_best_sum = 0.0;
    result results[128];
    double busy0 = -1.0, busy1;
    clock_t cpu0;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) quick = 1;
        else if (strcmp(argv[i], "--no-peak") == 0) do_peak = 0;
        else if (strcmp(argv[i], "--time") == 0 && i + 1 < argc) {
            target_s = atof(argv[++i]);
            if (!(target_s > 0.0)) { usage(argv[0]); return 2; }
        } else if (strcmp(argv[i], "--shape") == 0 && i + 1 < argc) {
            int m, n, k;
            char extra;
            if (sscanf(argv[++i], "%d,%d,%d%c", &m, &n, &k, &extra) != 3 || m <= 0 || n <= 0 || k <= 0
                || n_custom >= 64) {
                fprintf(stderr, "bad --shape '%s' (want M,N,K, positive)\n", argv[i]);
                return 2;
            }
            custom[n_custom].label = "custom";
            custom[n_custom].m = m; custom[n_custom].n = n; custom[n_custom].k = k;
            n_custom++;
        } else { usage(argv[0]); return (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) ? 0 : 2; }
    }
    if (target_s <= 0.0) target_s = quick ? 0.05 : 0.2;
    if (n_custom) { shapes = custom; n_shapes = n_custom; }
    else if (quick) { shapes = quick_shapes; n_shapes = (int)(sizeof quick_shapes / sizeof *quick_shapes); }
    else { shapes = default_shapes; n_shapes = (int)(sizeof default_shapes / sizeof *default_shapes); }

    openblas_set_num_threads(1);
    cpu_name(cpu, sizeof cpu);

    printf("mlcore GEMM benchmark: float32, one thread, mlcore %d.%d.%d vs OpenBLAS in the same run\n",
           MLCORE_VERSION_MAJOR, MLCORE_VERSION_MINOR, MLCORE_VERSION_PATCH);
    printf("  cpu       : %s\n", cpu);
    if (proc_busy_s(&busy0)) {
        /* Other work on the machine (or on an SMT sibling of this core) skews
           every number. The main thread sleeps 0.25 s: CPU time this process
           uses meanwhile is OpenBLAS's worker threads spinning. */
        double b1, dt = 0.25, self;
        struct timespec ts;
        clock_t c0 = clock();
        ts.tv_sec = 0; ts.tv_nsec = 250000000L;
        nanosleep(&ts, NULL);
        self = (double)(clock() - c0) / CLOCKS_PER_SEC;
        if (proc_busy_s(&b1)) {
            double others = b1 - busy0 - self;
            if (others < 0.0) others = 0.0;
            printf("  idle check: in 0.25 s before starting, other processes used %.0f%% of a CPU%s\n",
                   100.0 * others / dt, others / dt > 0.1 ? " (NOT idle)" : "");
            if (self / dt > 0.1)
                printf("              and OpenBLAS's own idle worker threads %.0f%%: set OPENBLAS_NUM_THREADS=1\n",
                       100.0 * self / dt);
        }
    }
    busy0 = -1.0;
    proc_busy_s(&busy0);
    cpu0 = clock();
    printf("  compiler  : %s\n", BENCH_CC);
#ifdef MLC__ISA   /* the implementation's own name for the vector layer it chose */
    printf("  mlcore ISA: %s (mlcore's MLC__ISA; compiler macros say %s)\n", MLC__ISA, BENCH_MLC_ISA);
#else
    printf("  mlcore ISA: %s\n", BENCH_MLC_ISA);
#endif
    printf("  OpenBLAS  : core %s, threads %d (OPENBLAS_NUM_THREADS=%s), config: %s\n",
           openblas_get_corename(), openblas_get_num_threads(),
           env_threads ? env_threads : "unset", openblas_get_config());
#if defined(__AVX512F__)
    {   /* OpenBLAS picks its kernels at load time from cpuid; a release older
           than the CPU may fall back to AVX2 kernels on an AVX-512 machine */
        char core[64];
        const char *cn = openblas_get_corename();
        size_t j;
        snprintf(core, sizeof core, "%s", cn ? cn : "");
        for (j = 0; core[j]; j++) if (core[j] >= 'A' && core[j] <= 'Z') core[j] = (char)(core[j] + 32);
        if (!strstr(core, "skylakex") && !strstr(core, "cooperlake") && !strstr(core, "sapphire"))
            printf("  NOTE      : this CPU has AVX-512 but OpenBLAS chose its '%s' kernels; for its\n"
                   "              AVX-512 kernels (a stronger peer) rerun with OPENBLAS_CORETYPE=SkylakeX\n",
                   cn ? cn : "?");
    }
#endif
    printf("  work timed: C[M,N] = A[M,K] * W[N,K]^T, beta 0, NO bias, no activation, for both.\n"
           "              mlcore mlc_gemm_packed_f32 (ctx NULL, bias NULL) with W packed before timing\n"
           "              (as mlc_linear_init does; packing not timed); OpenBLAS cblas_sgemm(RowMajor,\n"
           "              NoTrans, Trans). Median of >= 3 samples, ~%.2f s per shape per library.\n",
           target_s);
    fflush(stdout);

    peak = 0.0;
    if (do_peak) {
        int runs = quick ? 3 : 7;
        double run_s = quick ? 0.02 : 0.05;
        (void)runs; (void)run_s;
#if defined(HAVE_PEAK512)
        peak = measure_peak(peak_kernel512, 2.0 * 16 * 16, runs, run_s);
        printf("  FMA peak  : %.1f GFLOP/s single core, AVX-512 (_mm512_fmadd_ps, 16 independent\n"
               "              accumulators, median of %d runs); %%peak below is against this\n", peak, runs);
#endif
#if defined(HAVE_PEAK256)
        {
            double p256 = measure_peak(peak_kernel256, 2.0 * 12 * 8, runs, run_s);
            if (peak == 0.0) {
                peak = p256;
                printf("  FMA peak  : %.1f GFLOP/s single core, AVX2 (_mm256_fmadd_ps, 12 independent\n"
                       "              accumulators, median of %d runs); %%peak below is against this\n", peak, runs);
            } else {
                printf("              (AVX2 FMA peak, for reference: %.1f GFLOP/s)\n", p256);
            }
        }
#endif
        if (peak == 0.0) printf("  FMA peak  : n/a (built without AVX-512F or AVX2+FMA)\n");
    } else {
        printf("  FMA peak  : skipped (--no-peak)\n");
    }
    printf("  ratio = mlcore GFLOP/s / OpenBLAS GFLOP/s (> 1: mlcore faster); %%peak = mlcore vs FMA peak;\n"
           "  reldiff = max|C_mlcore - C_openblas| / max|C_openblas| (must be <= %.0e)\n\n", REL_TOL);

    printf("%-22s %6s %5s %5s | %9s %8s | %9s %8s | %6s %6s | %8s\n",
           "shape", "M", "N", "K", "mlc ms", "mlc GF/s", "oblas ms", "ob GF/s", "ratio", "%peak", "reldiff");
    printf("%-22s-%6s-%5s-%5s-+-%9s-%8s-+-%9s-%8s-+-%6s-%6s-+-%8s\n",
           "----------------------", "------", "-----", "-----", "---------", "--------",
           "---------", "--------", "------", "------", "--------");
    fflush(stdout);

    for (i = 0; i < n_shapes; i++) {
        const shape *sh = &shapes[i];
        double flop = 2.0 * sh->m * sh->n * (double)sh->k;
        result r = bench_shape(sh, target_s);
        if (i < 128) results[i] = r;
        if (!r.ok) {
            n_bad++;
            printf("%-22s %6d %5d %5d | WRONG ANSWER, not timed: reldiff mlcore/OpenBLAS %.3g, "
                   "OpenBLAS/double-ref %.3g, sgemv/sgemm %.3g (tolerance %.0e)\n",
                   sh->label, sh->m, sh->n, sh->k, r.rel_mlc_ob, r.rel_ref, r.rel_gv, REL_TOL);
        } else {
            double gm = flop / r.mlc_s * 1e-9, go = flop / r.ob_s * 1e-9, ratio = gm / go;
            char pk[16], t1[32], t2[32];
            if (peak > 0.0) snprintf(pk, sizeof pk, "%5.1f%%", 100.0 * gm / peak);
            else snprintf(pk, sizeof pk, "%6s", "n/a");
            printf("%-22s %6d %5d %5d | %9s %8.2f | %9s %8.2f | %6.2f %6s | %8.1e\n",
                   sh->label, sh->m, sh->n, sh->k, fmt_ms(t1, sizeof t1, r.mlc_s), gm,
                   fmt_ms(t2, sizeof t2, r.ob_s), go, ratio, pk,
                   r.rel_mlc_ob);
            n_timed++;
            log_ratio_sum += log(ratio);
            /* against OpenBLAS's faster call for this shape (sgemv for M = 1) */
            log_best_sum += log((r.m1_best_s > 0.0 ? r.m1_best_s : r.ob_s) / r.mlc_s);
            if (ratio < worst_ratio) { worst_ratio = ratio; worst_i = i; }
            if (ratio > best_ratio) { best_ratio = ratio; best_i = i; }
        }
        fflush(stdout);
    }

    /* M = 1 rows are weight-streaming bound: show the bandwidth they reach */
    {
        int header = 0;
        char t1[32];
        for (i = 0; i < n_shapes && i < 128; i++) {
            const shape *sh = &shapes[i];
            double bytes = 4.0 * sh->n * (double)sh->k;
            if (sh->m != 1 || !results[i].ok) continue;
            if (!header) {
                printf("\nM = 1 rows read every weight once per call (W = N*K*4 bytes), so the weight-read\n"
                       "bandwidth is the measure. OpenBLAS sgemv (y = W x, what a BLAS user calls for M = 1)\n"
                       "is timed as well; 'vs sgemv' = mlcore GB/s / sgemv GB/s (> 1: mlcore faster):\n");
                header = 1;
            }
            printf("  %-20s W %6.2f MB | mlcore %6.1f GB/s | sgemm %6.1f GB/s | sgemv %6.1f GB/s "
                   "%9s ms | vs sgemv %5.2f\n", sh->label, bytes / 1e6,
                   bytes / results[i].mlc_s * 1e-9, bytes / results[i].ob_s * 1e-9,
                   bytes / results[i].gv_s * 1e-9, fmt_ms(t1, sizeof t1, results[i].gv_s),
                   results[i].gv_s / results[i].mlc_s);
        }
    }

    printf("\n");
    if (n_timed) {
        printf("geometric mean ratio mlcore/OpenBLAS over %d shapes: %.2f (sgemm everywhere), "
               "%.2f (sgemv for M = 1)\n", n_timed, exp(log_ratio_sum / n_timed),
               exp(log_best_sum / n_timed));
        printf("vs OpenBLAS sgemm, slowest: %s %dx%dx%d (%.2f); fastest: %s %dx%dx%d (%.2f)\n",
               shapes[worst_i].label, shapes[worst_i].m, shapes[worst_i].n, shapes[worst_i].k, worst_ratio,
               shapes[best_i].label, shapes[best_i].m, shapes[best_i].n, shapes[best_i].k, best_ratio);
    }
    if (n_bad) printf("%d shape(s) gave a WRONG ANSWER (see above): exit status 1\n", n_bad);
    printf("total run time %.1f s\n", now_s() - t_start);
    if (busy0 >= 0.0 && proc_busy_s(&busy1)) {
        double mine = (double)(clock() - cpu0) / CLOCKS_PER_SEC;
        double others = busy1 - busy0 - mine, span = now_s() - t_start;
        if (others < 0.0) others = 0.0;
        printf("other processes used %.1f CPU-s during the run (%.0f%% of one CPU)%s\n", others,
               100.0 * others / span, others / span > 0.1 ? ": numbers may be disturbed, rerun when idle" : "");
    }
    return n_bad ? 1 : 0;
}
