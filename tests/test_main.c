/* Test runner: runs every case of every test file and ends with
   "N passed, N failed". Usage: test_mlcore [dir-holding-golden/] [filter] */
#include <stdlib.h>
#include "mlc_test.h"

int mlct_failures;
const char *mlct_dir = "tests";

double mlct_max_abs_diff(const float *a, const float *b, size_t n, size_t *at) {
    double worst = 0.0; size_t i, w = 0;
    for (i = 0; i < n; i++) {
        double d;
        if (isnan(a[i]) || isnan(b[i])) d = (isnan(a[i]) && isnan(b[i])) ? 0.0 : INFINITY;
        else if (isinf(a[i]) || isinf(b[i])) d = (a[i] == b[i]) ? 0.0 : INFINITY;
        else d = fabs((double)a[i] - (double)b[i]);
        if (d > worst) { worst = d; w = i; }
    }
    if (at) *at = w;
    return worst;
}

double mlct_max_abs(const float *a, size_t n) {
    double m = 1e-30; size_t i;
    for (i = 0; i < n; i++) if (fabs((double)a[i]) > m) m = fabs((double)a[i]);
    return m;
}

uint32_t mlct_u32(mlct_rng *r) {
    uint32_t x = r->s ? r->s : 2463534242u;
    x ^= x << 13; x ^= x >> 17; x ^= x << 5;
    return r->s = x;
}
float mlct_uniform(mlct_rng *r, float lo, float hi) {
    return lo + (hi - lo) * (float)((mlct_u32(r) >> 8) * (1.0 / 16777216.0));
}
void mlct_fill(mlct_rng *r, float *x, size_t n, float lo, float hi) {
    size_t i; for (i = 0; i < n; i++) x[i] = mlct_uniform(r, lo, hi);
}

int mlct_rnd(mlct_rng *r, int lo, int hi) { return lo + (int)(mlct_u32(r) % (uint32_t)(hi - lo + 1)); }

unsigned char *mlct_align64(void *p) {
    return (unsigned char *)p + ((64 - ((size_t)(uintptr_t)p & 63)) & 63);
}

int mlct_tasks_run;
void mlct_reverse_pfor(void *user, mlc_task_fn fn, void *arg, int n_tasks) {
    int i;
    (void)user;
    for (i = n_tasks - 1; i >= 0; i--) { fn(arg, i); mlct_tasks_run++; }
}

void mlct_check_tol(const char *file, int line, const char *what, const float *got, const float *want,
                    const double *tol, double rel, size_t n) {
    size_t i, wi = 0;
    double worst = 0.0, wd = 0.0, wt = 0.0;
    if (!got || !want || !tol) { mlct_failures++; fprintf(stderr, "  %s:%d: %s: no data\n", file, line, what); return; }
    for (i = 0; i < n; i++) {
        double g = got[i], w = want[i], d, t = tol[i] + rel * fabs(w), r;
        if (isnan(w) || isinf(w) || isnan(g) || isinf(g)) d = (g == w) ? 0.0 : INFINITY;
        else d = fabs(g - w);
        r = d == 0.0 ? 0.0 : (t > 0.0 ? d / t : INFINITY);
        if (r > worst) { worst = r; wi = i; wd = d; wt = t; }
    }
    if (worst > 1.0) {
        mlct_failures++;
        fprintf(stderr, "  %s:%d: %s: |got - want| = %.3g > tol %.3g (%.2fx) at [%lu]: got %.9g, want %.9g\n",
                file, line, what, wd, wt, worst, (unsigned long)wi, (double)got[wi], (double)want[wi]);
    } else if (getenv("MLCT_VERBOSE")) {
        printf("       %-60s worst diff/tol %.3f\n", what, worst);
    }
}

int mlct_golden_open(mlct_golden *g, const char *file) {
    char path[1024];
    size_t mem = 1 << 20;
    mlc_result r;
    memset(g, 0, sizeof *g);
    snprintf(path, sizeof path, "%s/golden/%s", mlct_dir, file);
    r = mlc_file_load(path, &g->file, &g->size);
    if (r != MLC_OK) { fprintf(stderr, "  cannot load %s: %s\n", path, mlc_result_string(r)); mlct_failures++; return 0; }
    g->mem = (unsigned char *)malloc(mem);
    mlc_arena_init(&g->arena, g->mem, mem);
    r = mlc_st_parse(&g->st, g->file, g->size, &g->arena);
    if (r != MLC_OK) { fprintf(stderr, "  cannot parse %s: %s\n", path, mlc_result_string(r)); mlct_failures++;
        mlct_golden_close(g); return 0; }
    return 1;
}
void mlct_golden_close(mlct_golden *g) { mlc_file_free(g->file); free(g->mem); memset(g, 0, sizeof *g); }

float *mlct_golden_get(mlct_golden *g, const char *name, mlc_tensor *shape_out) {
    const mlc_st_tensor *t = mlc_st_find(&g->st, name);
    float *x; mlc_result r;
    if (!t) { fprintf(stderr, "  golden tensor %s missing\n", name); mlct_failures++; return NULL; }
    x = (float *)malloc(t->numel * sizeof(float) + 64);
    r = mlc_st_read_f32(&g->st, name, -1, NULL, x, t->numel);
    if (r != MLC_OK) { fprintf(stderr, "  golden %s: %s\n", name, mlc_result_string(r)); mlct_failures++; free(x); return NULL; }
    if (shape_out) {
        int i; memset(shape_out, 0, sizeof *shape_out);
        shape_out->dtype = MLC_F32; shape_out->rank = t->rank; shape_out->data = x;
        for (i = 0; i < t->rank; i++) shape_out->shape[i] = t->shape[i];
    }
    return x;
}

static int run_list(const mlct_case *cases, int n, const char *filter, int *passed, int *failed) {
    int i;
    for (i = 0; i < n; i++) {
        if (filter && !strstr(cases[i].name, filter)) continue;
        mlct_failures = 0;
        cases[i].fn();
        if (mlct_failures) { (*failed)++; printf("FAIL %s (%d checks)\n", cases[i].name, mlct_failures); }
        else { (*passed)++; if (getenv("MLCT_VERBOSE")) printf("ok   %s\n", cases[i].name); }
        fflush(stdout);
    }
    return 0;
}

int main(int argc, char **argv) {
    int passed = 0, failed = 0;
    const char *filter = argc > 2 ? argv[2] : NULL;
    if (argc > 1) mlct_dir = argv[1];
    run_list(mlct_core_cases, mlct_core_count, filter, &passed, &failed);
    run_list(mlct_golden_cases, mlct_golden_count, filter, &passed, &failed);
    run_list(mlct_st_cases, mlct_st_count, filter, &passed, &failed);
    run_list(mlct_conv_cases, mlct_conv_count, filter, &passed, &failed);
    run_list(mlct_pool_cases, mlct_pool_count, filter, &passed, &failed);
    run_list(mlct_mobilenet_cases, mlct_mobilenet_count, filter, &passed, &failed);
    run_list(mlct_convt_cases, mlct_convt_count, filter, &passed, &failed);
    run_list(mlct_rnn_cases, mlct_rnn_count, filter, &passed, &failed);
    run_list(mlct_attn_cases, mlct_attn_count, filter, &passed, &failed);
    run_list(mlct_ssm_cases, mlct_ssm_count, filter, &passed, &failed);
    run_list(mlct_ngram_cases, mlct_ngram_count, filter, &passed, &failed);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
