/* bench_threads: mlcore's parallel-for hook with real threads.
   mlcore creates no threads; this file shows the smallest job system a user
   could hand it (one pthread per extra task, joined before returning) and
   measures the GEMM split against ctx == NULL on the same shapes, checking
   the two answers are bit-identical (each output tile has one owner).
   Build: cc -std=c99 -O2 -march=native -pthread bench/bench_threads.c -lm
   Run:   ./a.out [threads]   (default 2) */
#define _POSIX_C_SOURCE 199309L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#define MLCORE_IMPLEMENTATION
#include "../mlcore.h"

typedef struct { mlc_task_fn fn; void *arg; int task; } job;
static void *run_job(void *p) { job *j = (job *)p; j->fn(j->arg, j->task); return NULL; }

/* parallel_for: tasks 1..n-1 on new threads, task 0 on the caller. */
static void pthread_parallel_for(void *user, mlc_task_fn fn, void *arg, int n) {
    pthread_t th[64];
    job jobs[64];
    int i, started = 0;
    (void)user;
    for (i = 1; i < n && i < 64; i++) {
        jobs[i].fn = fn; jobs[i].arg = arg; jobs[i].task = i;
        if (pthread_create(&th[i], NULL, run_job, &jobs[i]) != 0) break;
        started = i;
    }
    fn(arg, 0);
    for (i = started + 1; i < n; i++) fn(arg, i);   /* tasks a thread could not take */
    for (i = 1; i <= started; i++) pthread_join(th[i], NULL);
}

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec; }
static int cmp(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return (x > y) - (x < y); }

static double time_gemm(const mlc_ctx *ctx, int m, int n, int k, const float *a, const float *wp, float *c) {
    double t[15];
    int r;
    for (r = 0; r < 15; r++) {
        double t0 = now();
        int reps = 0;
        do { mlc_gemm_packed_f32(ctx, m, n, k, a, k, wp, NULL, c, n, MLC_ACT_NONE, 0.0f); reps++; } while (now() - t0 < 0.02);
        t[r] = (now() - t0) / reps;
    }
    qsort(t, 15, sizeof t[0], cmp);
    return t[7];
}

int main(int argc, char **argv) {
    static const int shapes[][3] = { {512, 512, 512}, {1024, 1024, 1024}, {197, 3072, 768}, {3136, 24, 144}, {32, 2048, 512} };
    int threads = argc > 1 ? atoi(argv[1]) : 2, s, bad = 0;
    mlc_ctx ctx;
    if (threads < 1 || threads > 64) { fprintf(stderr, "threads must be 1..64\n"); return 2; }
    ctx.parallel_for = pthread_parallel_for; ctx.user = NULL; ctx.n_threads = threads;
    printf("mlcore GEMM through parallel_for, %d threads (one pthread per extra task) vs ctx NULL; medians\n", threads);
    printf("%6s %6s %6s | %10s %10s | %8s | %s\n", "M", "N", "K", "1 thr ms", "N thr ms", "speedup", "identical");
    for (s = 0; s < (int)(sizeof shapes / sizeof shapes[0]); s++) {
        int m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
        size_t i;
        float *a = (float *)malloc(sizeof(float) * (size_t)m * k), *w = (float *)malloc(sizeof(float) * (size_t)n * k);
        float *wp = (float *)malloc(sizeof(float) * mlc_gemm_packed_b_floats(n, k));
        float *c1 = (float *)malloc(sizeof(float) * (size_t)m * n), *c2 = (float *)malloc(sizeof(float) * (size_t)m * n);
        double t1, t2;
        int same;
        for (i = 0; i < (size_t)m * k; i++) a[i] = (float)((i * 2654435761u) % 1000) / 1000.0f - 0.5f;
        for (i = 0; i < (size_t)n * k; i++) w[i] = (float)((i * 40503u) % 1000) / 1000.0f - 0.5f;
        mlc_gemm_pack_b_f32(wp, w, k, 1, n, k);
        t1 = time_gemm(NULL, m, n, k, a, wp, c1);
        t2 = time_gemm(&ctx, m, n, k, a, wp, c2);
        same = memcmp(c1, c2, sizeof(float) * (size_t)m * n) == 0;
        bad += !same;
        printf("%6d %6d %6d | %10.3f %10.3f | %7.2fx | %s\n", m, n, k, t1 * 1e3, t2 * 1e3, t1 / t2, same ? "yes" : "NO");
        free(a); free(w); free(wp); free(c1); free(c2);
    }
    return bad ? 1 : 0;
}
