/* State-space models (>>ssm): the selective scan against the pure-PyTorch
   selective_scan_ref (tests/gen_golden_ssm.py -> golden/ssm.safetensors)
   for L = 1, 17, 1024 with and without each optional input; the vector scan
   against mlc_ssm_scan_ref_f32; step by step against whole sequences; the
   causal conv1d; S4D's kernel, convolution and recurrence against each other
   and against PyTorch; the Mamba block and a tiny Mamba LM against the
   PyTorch Mamba; loaders and arguments against bad input.

   Tolerances.
   Scan: a first-order error bound computed per output, in double, from the
   inputs (scan_bound below). For one state, x[l] = a x[l-1] + b with
   a = exp(dt A), b = dt B u. A float32 implementation gets a with relative
   error ea = e_exp + |dt A| (e_dt + 2U) (exp's own error; dt A log2(e)
   rounded twice; dt's error amplified by |dt A|) and b with eb = e_dt + 2U, and rounds the
   update once or twice, so its error obeys
       E[l] = a E[l-1] + (ea + 2U) a |x[l-1]| + (eb + 2U) |b|
   (a <= 1 here, so errors decay). y sums N of these: sum |C| E plus the
   summation error (N+2) U sum |x C| (+ |D u|); the gate adds the silu error
   (|z| e_sig + 4U |silu z|) |y| and a last rounding. e_dt = U (the bias
   add) + e_sp (softplus, relative). The constants are the accuracy of the
   kernels' elementwise functions and are asserted by their own tests here:
   e_exp = 4e-7 (the scan's exp, measured in test_ssm_exp_softplus),
   e_sp = 1e-6 relative (its softplus, same test), e_sig = 3e-7 absolute
   (the vector sigmoid, asserted by tests/test_core.c). The bound is scaled
   by 1.25 for the dropped second-order terms. Golden values are the exact
   (float64) result rounded once: +U |y|. Vector vs reference: both are
   within their bound of the exact result, so the sum of the two.
   Mamba block and LM: 4x the error of the same PyTorch reference run in
   float32 (stored as .y32 / .logits32), i.e. "as accurate as PyTorch's own
   float32, within a factor 4", plus 16 U max|y| (torch32_tol).
   S4D: kernel (double inside, rounded once) 2U |K| + 1e-9; convolution
   (L-term float32 sums) the deterministic bound (j+2) U sum |K u|;
   recurrence the same E recurrence as the scan with complex a = dA. */
#include <stdlib.h>
#include <float.h>
#include "mlc_test.h"

#define U (1.0 / 16777216.0)
#define E_EXP 4e-7
#define E_SP 1e-6
#define E_SIG 3e-7

/* ---- helpers --------------------------------------------------------------- */
static double softplus_d(double x) { return x > 20.0 ? x : log1p(exp(x)); }
static double silu_d(double x) { return x / (1.0 + exp(-x)); }

/* Exact y [L, dim] (double) and an error bound for a float32 implementation,
   for y and (if sbound) the final state. state0: initial state or NULL. */
static void scan_bound(int L, int dim, int N, int G, const float *u, const float *delta, const float *A,
                       const float *B, const float *C, const float *D, const float *z, const float *db, int sp,
                       const float *state0, double *yex, double *ybound, double *sex, double *sbound) {
    double *acc = (double *)calloc((size_t)L, sizeof(double)), *err = (double *)calloc((size_t)L, sizeof(double));
    double *sab = (double *)calloc((size_t)L, sizeof(double));
    int d, n, l, dpg = dim / G;
    for (d = 0; d < dim; d++) {
        int g = d / dpg;
        memset(acc, 0, (size_t)L * sizeof(double)); memset(err, 0, (size_t)L * sizeof(double));
        memset(sab, 0, (size_t)L * sizeof(double));
        for (n = 0; n < N; n++) {
            double x = state0 ? state0[(size_t)d * N + n] : 0.0, E = 0.0, a_ = A[(size_t)d * N + n];
            for (l = 0; l < L; l++) {
                size_t bi = ((size_t)l * G + g) * N + n;
                double dt = delta[(size_t)l * dim + d], edt = 0.0, a, b, ea, eb, c = C[bi];
                if (db) { dt += db[d]; edt += U; }
                if (sp) { dt = softplus_d(dt); edt += E_SP; }
                a = exp(dt * a_); b = dt * B[bi] * u[(size_t)l * dim + d];
                ea = E_EXP + fabs(dt * a_) * (edt + 2 * U);
                eb = edt + 2 * U;
                E = a * E + (ea + 2 * U) * a * fabs(x) + (eb + 2 * U) * fabs(b);
                x = a * x + b;
                acc[l] += x * c; sab[l] += fabs(x * c); err[l] += fabs(c) * E;
            }
            if (sex) sex[(size_t)d * N + n] = x;
            if (sbound) sbound[(size_t)d * N + n] = 1.25 * E + 1e-30;
        }
        for (l = 0; l < L; l++) {
            double uu = u[(size_t)l * dim + d], yp = acc[l], e = err[l] + (N + 2) * U * sab[l], y;
            if (D) { yp += D[d] * uu; e += (N + 2) * U * fabs(D[d] * uu); }
            y = yp;
            if (z) {
                double zz = z[(size_t)l * dim + d], s = silu_d(zz);
                y = yp * s;
                e = e * fabs(s) + fabs(yp) * (fabs(zz) * E_SIG + 4 * U * fabs(s)) + U * fabs(y);
            }
            yex[(size_t)l * dim + d] = y;
            ybound[(size_t)l * dim + d] = 1.25 * e + 1e-30;
        }
    }
    free(acc); free(err); free(sab);
}

/* |got - want| <= k * bound + extra_rel * |want| everywhere (NaN fails). */
static void check_bound(const char *file, int line, const char *what, const float *got, const double *want,
                        const double *bound, double k, double extra_rel, size_t n) {
    size_t i, wi = 0;
    double worst = 0.0;
    for (i = 0; i < n; i++) {
        double d = fabs((double)got[i] - want[i]), t = k * bound[i] + extra_rel * fabs(want[i]);
        double r = d != d ? INFINITY : d / t;
        if (r > worst) { worst = r; wi = i; }
    }
    if (worst > 1.0) {
        mlct_failures++;
        fprintf(stderr, "  %s:%d: %s: |got - want| = %.3g > tol %.3g (%.2fx) at [%lu]: got %.9g, want %.9g\n",
                file, line, what, fabs((double)got[wi] - want[wi]), k * bound[wi] + extra_rel * fabs(want[wi]),
                worst, (unsigned long)wi, (double)got[wi], want[wi]);
    } else if (getenv("MLCT_VERBOSE")) {
        printf("       %-52s worst diff/tol %.3f\n", what, worst);
    }
}
#define CHECK_BOUND(what, got, want, bound, k, rel, n) \
    check_bound(__FILE__, __LINE__, (what), (got), (want), (bound), (k), (rel), (n))

static double *to_double(const float *x, size_t n) {
    double *d = (double *)malloc(n * sizeof(double) + 8);
    size_t i;
    for (i = 0; i < n; i++) d[i] = x[i];
    return d;
}

static float *fdup(const float *x, size_t n) {
    float *p = (float *)malloc(n * sizeof(float) + 64);
    memcpy(p, x, n * sizeof(float));
    return p;
}

/* A golden tensor or NULL when absent (no failure counted). */
static float *golden_opt(mlct_golden *g, const char *name) {
    return mlc_st_find(&g->st, name) ? mlct_golden_get(g, name, NULL) : NULL;
}

static const char *cat(char *buf, const char *a, const char *b) {
    strcpy(buf, a); strcat(buf, b);
    return buf;
}

/* ---- scan against golden --------------------------------------------------- */
static const char *const scan_cases[] = {
    "L1_all", "L1_none", "L17_none", "L17_D", "L17_z", "L17_bias", "L17_sp", "L17_all",
    "L17_g2_all", "L17_N5_all", "L17_N40", "L1024_all", "L1024_g2"
};

static void test_ssm_scan_golden(void) {
    mlct_golden g;
    size_t c;
    if (!mlct_golden_open(&g, "ssm.safetensors")) return;
    for (c = 0; c < sizeof scan_cases / sizeof *scan_cases; c++) {
        char p[64], nm[96], what[128];
        mlc_tensor tu, tA;
        float *u, *delta, *A, *B, *C, *D, *z, *db, *flags, *yg, *sg, *y, *y2, *s, *s2;
        double *yex, *yb, *sex, *sb;
        int L, dim, N, G, sp;
        size_t ny, ns;
        strcpy(p, "s."); strcat(p, scan_cases[c]); strcat(p, ".");
        u = mlct_golden_get(&g, cat(nm, p, "u"), &tu);
        A = mlct_golden_get(&g, cat(nm, p, "A"), &tA);
        delta = mlct_golden_get(&g, cat(nm, p, "delta"), NULL);
        B = mlct_golden_get(&g, cat(nm, p, "B"), NULL);
        C = mlct_golden_get(&g, cat(nm, p, "C"), NULL);
        flags = mlct_golden_get(&g, cat(nm, p, "flags"), NULL);
        yg = mlct_golden_get(&g, cat(nm, p, "y"), NULL);
        sg = mlct_golden_get(&g, cat(nm, p, "last_state"), NULL);
        D = golden_opt(&g, cat(nm, p, "D"));
        z = golden_opt(&g, cat(nm, p, "z"));
        db = golden_opt(&g, cat(nm, p, "delta_bias"));
        if (!u || !A || !delta || !B || !C || !flags || !yg || !sg) { mlct_failures++; continue; }
        L = tu.shape[0]; dim = tu.shape[1]; N = tA.shape[1]; sp = flags[0] != 0.0f; G = (int)flags[1];
        ny = (size_t)L * dim; ns = (size_t)dim * N;
        y = (float *)malloc(ny * sizeof(float)); y2 = (float *)malloc(ny * sizeof(float));
        s = (float *)calloc(ns, sizeof(float)); s2 = (float *)calloc(ns, sizeof(float));
        yex = (double *)malloc(ny * sizeof(double)); yb = (double *)malloc(ny * sizeof(double));
        sex = (double *)malloc(ns * sizeof(double)); sb = (double *)malloc(ns * sizeof(double));
        scan_bound(L, dim, N, G, u, delta, A, B, C, D, z, db, sp, NULL, yex, yb, sex, sb);
        {   /* the golden is the exact value rounded once */
            double *ygd = to_double(yg, ny), *sgd = to_double(sg, ns);
            CHECK_OK(mlc_ssm_scan_f32(NULL, L, dim, N, G, u, delta, A, B, C, D, z, db, sp, y, s));
            snprintf(what, sizeof what, "%s y", scan_cases[c]);
            CHECK_BOUND(what, y, ygd, yb, 1.0, U, ny);
            snprintf(what, sizeof what, "%s last_state", scan_cases[c]);
            CHECK_BOUND(what, s, sgd, sb, 1.0, U, ns);
            CHECK_OK(mlc_ssm_scan_ref_f32(L, dim, N, G, u, delta, A, B, C, D, z, db, sp, y2, s2));
            snprintf(what, sizeof what, "%s ref y", scan_cases[c]);
            CHECK_BOUND(what, y2, ygd, yb, 1.0, U, ny);
            snprintf(what, sizeof what, "%s ref last_state", scan_cases[c]);
            CHECK_BOUND(what, s2, sgd, sb, 1.0, U, ns);
            /* without a state: the same y, bit for bit */
            CHECK_OK(mlc_ssm_scan_f32(NULL, L, dim, N, G, u, delta, A, B, C, D, z, db, sp, y2, NULL));
            CHECK(memcmp(y, y2, ny * sizeof(float)) == 0);
            free(ygd); free(sgd);
        }
        free(u); free(A); free(delta); free(B); free(C); free(flags); free(yg); free(sg);
        free(D); free(z); free(db); free(y); free(y2); free(s); free(s2); free(yex); free(yb); free(sex); free(sb);
    }
    mlct_golden_close(&g);
}

/* ---- random cases: vector vs reference, step vs whole, pieces ---------------- */
typedef struct {
    int L, dim, N, G, sp;
    float *u, *delta, *A, *B, *C, *D, *z, *db, *s0;
} scase;

static void scase_make(scase *c, mlct_rng *r, int L, int dim, int N, int G, int opts) {
    size_t i, ny = (size_t)L * dim;
    memset(c, 0, sizeof *c);
    c->L = L; c->dim = dim; c->N = N; c->G = G; c->sp = (opts & 8) != 0;
    c->u = (float *)malloc(ny * sizeof(float)); mlct_fill(r, c->u, ny, -2.0f, 2.0f);
    c->delta = (float *)malloc(ny * sizeof(float));
    if (c->sp) mlct_fill(r, c->delta, ny, -1.0f, 1.0f); else mlct_fill(r, c->delta, ny, 0.0f, 0.3f);
    c->A = (float *)malloc((size_t)dim * N * sizeof(float));
    for (i = 0; i < (size_t)dim * N; i++) c->A[i] = -expf(mlct_uniform(r, 0.0f, 2.77f));
    c->B = (float *)malloc((size_t)L * G * N * sizeof(float)); mlct_fill(r, c->B, (size_t)L * G * N, -1.5f, 1.5f);
    c->C = (float *)malloc((size_t)L * G * N * sizeof(float)); mlct_fill(r, c->C, (size_t)L * G * N, -1.5f, 1.5f);
    if (opts & 1) { c->D = (float *)malloc((size_t)dim * sizeof(float)); mlct_fill(r, c->D, (size_t)dim, -1.0f, 1.0f); }
    if (opts & 2) { c->z = (float *)malloc(ny * sizeof(float)); mlct_fill(r, c->z, ny, -3.0f, 3.0f); }
    if (opts & 4) {
        c->db = (float *)malloc((size_t)dim * sizeof(float));
        mlct_fill(r, c->db, (size_t)dim, c->sp ? -6.0f : 0.0f, c->sp ? -2.0f : 0.05f);
    }
    if (opts & 16) { c->s0 = (float *)malloc((size_t)dim * N * sizeof(float)); mlct_fill(r, c->s0, (size_t)dim * N, -1.0f, 1.0f); }
}
static void scase_free(scase *c) {
    free(c->u); free(c->delta); free(c->A); free(c->B); free(c->C); free(c->D); free(c->z); free(c->db); free(c->s0);
}

static void test_ssm_scan_vs_ref(void) {
    /* L, dim, N, G: tails (dim % VW), tiles (N 3, 5, 8, 16, 21, 40), groups */
    static const int shapes[][4] = {
        { 1, 1, 1, 1 }, { 1, 33, 16, 1 }, { 1, 12, 5, 3 }, { 17, 7, 3, 1 }, { 17, 40, 16, 2 },
        { 17, 24, 21, 4 }, { 17, 5, 40, 1 }, { 17, 64, 8, 1 }, { 300, 19, 16, 1 }, { 1024, 24, 16, 1 },
        { 1024, 10, 4, 2 }
    };
    mlct_rng r = { 2024 };
    size_t si;
    for (si = 0; si < sizeof shapes / sizeof *shapes; si++) {
        int opts;
        for (opts = 0; opts < 32; opts += (shapes[si][0] >= 300 ? 31 : 5)) {
            scase c;
            char what[96];
            size_t ny, ns;
            float *y, *y2, *s, *s2;
            double *yex, *yb, *sex, *sb;
            int o = shapes[si][0] >= 300 ? (opts ? 31 : 0) : opts;
            scase_make(&c, &r, shapes[si][0], shapes[si][1], shapes[si][2], shapes[si][3], o);
            ny = (size_t)c.L * c.dim; ns = (size_t)c.dim * c.N;
            y = (float *)malloc(ny * sizeof(float)); y2 = (float *)malloc(ny * sizeof(float));
            s = (float *)calloc(ns, sizeof(float)); s2 = (float *)calloc(ns, sizeof(float));
            if (c.s0) { memcpy(s, c.s0, ns * sizeof(float)); memcpy(s2, c.s0, ns * sizeof(float)); }
            yex = (double *)malloc(ny * sizeof(double)); yb = (double *)malloc(ny * sizeof(double));
            sex = (double *)malloc(ns * sizeof(double)); sb = (double *)malloc(ns * sizeof(double));
            scan_bound(c.L, c.dim, c.N, c.G, c.u, c.delta, c.A, c.B, c.C, c.D, c.z, c.db, c.sp, c.s0, yex, yb, sex, sb);
            CHECK_OK(mlc_ssm_scan_f32(NULL, c.L, c.dim, c.N, c.G, c.u, c.delta, c.A, c.B, c.C, c.D, c.z, c.db, c.sp, y, s));
            CHECK_OK(mlc_ssm_scan_ref_f32(c.L, c.dim, c.N, c.G, c.u, c.delta, c.A, c.B, c.C, c.D, c.z, c.db, c.sp, y2, s2));
            snprintf(what, sizeof what, "L%d dim%d N%d G%d opts%d: vec vs exact", c.L, c.dim, c.N, c.G, o);
            CHECK_BOUND(what, y, yex, yb, 1.0, 0.0, ny);
            snprintf(what, sizeof what, "L%d dim%d N%d G%d opts%d: ref vs exact", c.L, c.dim, c.N, c.G, o);
            CHECK_BOUND(what, y2, yex, yb, 1.0, 0.0, ny);
            {   /* vector vs reference: the sum of both bounds */
                double *y2d = to_double(y2, ny), *s2d = to_double(s2, ns);
                snprintf(what, sizeof what, "L%d dim%d N%d G%d opts%d: vec vs ref", c.L, c.dim, c.N, c.G, o);
                CHECK_BOUND(what, y, y2d, yb, 2.0, 0.0, ny);
                snprintf(what, sizeof what, "L%d dim%d N%d G%d opts%d: state vec vs ref", c.L, c.dim, c.N, c.G, o);
                CHECK_BOUND(what, s, s2d, sb, 2.0, 0.0, ns);
                free(y2d); free(s2d);
            }
            scase_free(&c);
            free(y); free(y2); free(s); free(s2); free(yex); free(yb); free(sex); free(sb);
        }
    }
}

/* Token by token (mlc_ssm_step_f32), and in uneven pieces carrying the
   state, both equal the whole sequence bit for bit: the kernel does the
   same operations in the same order for each (token, channel, state). */
static void test_ssm_step_equals_scan(void) {
    mlct_rng r = { 77 };
    static const int shapes[][4] = { { 17, 37, 16, 1 }, { 40, 36, 5, 2 }, { 300, 20, 16, 1 } };
    size_t si;
    for (si = 0; si < sizeof shapes / sizeof *shapes; si++) {
        scase c;
        size_t ny, ns, gn;
        float *y, *y2, *s, *s2;
        int l, cuts[4], k;
        scase_make(&c, &r, shapes[si][0], shapes[si][1], shapes[si][2], shapes[si][3], 31);
        ny = (size_t)c.L * c.dim; ns = (size_t)c.dim * c.N; gn = (size_t)c.G * c.N;
        y = (float *)malloc(ny * sizeof(float)); y2 = (float *)malloc(ny * sizeof(float));
        s = fdup(c.s0, ns); s2 = fdup(c.s0, ns);
        CHECK_OK(mlc_ssm_scan_f32(NULL, c.L, c.dim, c.N, c.G, c.u, c.delta, c.A, c.B, c.C, c.D, c.z, c.db, c.sp, y, s));
        for (l = 0; l < c.L; l++) {
            size_t o = (size_t)l * c.dim;
            CHECK_OK(mlc_ssm_step_f32(c.dim, c.N, c.G, c.u + o, c.delta + o, c.A, c.B + l * gn, c.C + l * gn,
                                      c.D, c.z + o, c.db, c.sp, y2 + o, s2));
        }
        CHECK(memcmp(y, y2, ny * sizeof(float)) == 0);
        CHECK(memcmp(s, s2, ns * sizeof(float)) == 0);
        /* pieces: [0, a) [a, b) [b, L) */
        cuts[0] = 0; cuts[1] = c.L / 3; cuts[2] = c.L / 3 + 1 + c.L / 4; cuts[3] = c.L;
        memcpy(s2, c.s0, ns * sizeof(float));
        memset(y2, 0, ny * sizeof(float));
        for (k = 0; k < 3; k++) {
            int a = cuts[k], n = cuts[k + 1] - cuts[k];
            size_t o = (size_t)a * c.dim;
            CHECK_OK(mlc_ssm_scan_f32(NULL, n, c.dim, c.N, c.G, c.u + o, c.delta + o, c.A, c.B + a * gn, c.C + a * gn,
                                      c.D, c.z + o, c.db, c.sp, y2 + o, s2));
        }
        CHECK(memcmp(y, y2, ny * sizeof(float)) == 0);
        CHECK(memcmp(s, s2, ns * sizeof(float)) == 0);
        scase_free(&c); free(y); free(y2); free(s); free(s2);
    }
}

/* The scan's exp and softplus, read through the public scan:
   L = 1, N = 1, state 1, B = 0, C = 1: y = exp(delta A) with A = 1;
   state 0, A = 0, B = u = C = 1, softplus on: y = softplus(delta). */
static void test_ssm_exp_softplus(void) {
    enum { M = 20000 };
    float *x = (float *)malloc(M * sizeof(float)), *y = (float *)malloc(M * sizeof(float));
    float *one = (float *)malloc(M * sizeof(float)), *zero = (float *)calloc(M, sizeof(float));
    float *st = (float *)malloc(M * sizeof(float));
    double worst = 0.0, wsp = 0.0;
    int i;
    for (i = 0; i < M; i++) { x[i] = -87.0f + 175.0f * (float)i / (M - 1); one[i] = 1.0f; st[i] = 1.0f; }
    /* dim = M channels, N = 1, one group: A [M, 1] = 1, B = 0, C = 1 */
    CHECK_OK(mlc_ssm_scan_f32(NULL, 1, M, 1, 1, zero, x, one, zero, one, NULL, NULL, NULL, 0, y, st));
    for (i = 0; i < M; i++) {   /* relative to the bound E_EXP + 2U |x| */
        double e = exp((double)x[i]), rel = fabs(y[i] - e) / e / (E_EXP + 2 * U * fabs(x[i]));
        if (rel > worst) worst = rel;
    }
    if (getenv("MLCT_VERBOSE")) printf("       scan exp: worst error / (4e-7 + 2U|x|) = %.3g over [-87, 88]\n", worst);
    CHECK(worst <= 1.0);
    for (i = 0; i < M; i++) { x[i] = -20.0f + 50.0f * (float)i / (M - 1); st[i] = 0.0f; }
    /* A = 0: exp(0) = 1, x = dt * 1 * 1, y = x * 1 */
    CHECK_OK(mlc_ssm_scan_f32(NULL, 1, M, 1, 1, one, x, zero, one, one, NULL, NULL, NULL, 1, y, st));
    for (i = 0; i < M; i++) {
        double e = softplus_d(x[i]), rel = fabs(y[i] - e) / e;
        if (rel > wsp) wsp = rel;
    }
    if (getenv("MLCT_VERBOSE")) printf("       scan softplus: worst relative error %.3g over [-20, 30]\n", wsp);
    CHECK(wsp <= E_SP);
    /* the gate: delta = 1, A = 0, B = u = C = 1, z: y = silu(z), within
       |z| e_sig + 4U |silu z| (what the bounds above assume) */
    for (i = 0; i < M; i++) { x[i] = -30.0f + 60.0f * (float)i / (M - 1); st[i] = 0.0f; }
    CHECK_OK(mlc_ssm_scan_f32(NULL, 1, M, 1, 1, one, one, zero, one, one, NULL, x, NULL, 0, y, st));
    for (i = 0, worst = 0.0; i < M; i++) {
        double e = silu_d(x[i]), r = fabs(y[i] - e) / (fabs(x[i]) * E_SIG + 4 * U * fabs(e));
        if (r > worst) worst = r;
    }
    if (getenv("MLCT_VERBOSE")) printf("       scan silu gate: worst error / bound %.3g over [-30, 30]\n", worst);
    CHECK(worst <= 1.0);
    free(x); free(y); free(one); free(zero); free(st);
}

/* Split over parallel_for tasks: the same answer bit for bit. */
static void test_ssm_scan_threads(void) {
    mlct_rng r = { 5 };
    mlc_ctx ctx;
    scase c;
    size_t ny, ns;
    float *y, *y2, *s, *s2;
    ctx.parallel_for = mlct_reverse_pfor; ctx.user = NULL; ctx.n_threads = 3;
    scase_make(&c, &r, 200, 72, 16, 2, 31);
    ny = (size_t)c.L * c.dim; ns = (size_t)c.dim * c.N;
    y = (float *)malloc(ny * sizeof(float)); y2 = (float *)malloc(ny * sizeof(float));
    s = fdup(c.s0, ns); s2 = fdup(c.s0, ns);
    mlct_tasks_run = 0;
    CHECK_OK(mlc_ssm_scan_f32(&ctx, c.L, c.dim, c.N, c.G, c.u, c.delta, c.A, c.B, c.C, c.D, c.z, c.db, c.sp, y, s));
    CHECK(mlct_tasks_run == 3);
    CHECK_OK(mlc_ssm_scan_f32(NULL, c.L, c.dim, c.N, c.G, c.u, c.delta, c.A, c.B, c.C, c.D, c.z, c.db, c.sp, y2, s2));
    CHECK(memcmp(y, y2, ny * sizeof(float)) == 0);
    CHECK(memcmp(s, s2, ns * sizeof(float)) == 0);
    scase_free(&c); free(y); free(y2); free(s); free(s2);
}

static void test_ssm_scan_bad_args(void) {
    float u[8] = {0}, d[8] = {0}, A[8] = {0}, B[8] = {0}, C[8] = {0}, y[8], st[8] = {0};
    CHECK_ERR(mlc_ssm_scan_f32(NULL, 1, 2, 2, 1, NULL, d, A, B, C, NULL, NULL, NULL, 0, y, NULL), MLC_ERR_NULL);
    CHECK_ERR(mlc_ssm_scan_f32(NULL, 1, 2, 2, 1, u, NULL, A, B, C, NULL, NULL, NULL, 0, y, NULL), MLC_ERR_NULL);
    CHECK_ERR(mlc_ssm_scan_f32(NULL, 1, 2, 2, 1, u, d, NULL, B, C, NULL, NULL, NULL, 0, y, NULL), MLC_ERR_NULL);
    CHECK_ERR(mlc_ssm_scan_f32(NULL, 1, 2, 2, 1, u, d, A, NULL, C, NULL, NULL, NULL, 0, y, NULL), MLC_ERR_NULL);
    CHECK_ERR(mlc_ssm_scan_f32(NULL, 1, 2, 2, 1, u, d, A, B, NULL, NULL, NULL, NULL, 0, y, NULL), MLC_ERR_NULL);
    CHECK_ERR(mlc_ssm_scan_f32(NULL, 1, 2, 2, 1, u, d, A, B, C, NULL, NULL, NULL, 0, NULL, NULL), MLC_ERR_NULL);
    CHECK_ERR(mlc_ssm_scan_f32(NULL, 0, 2, 2, 1, u, d, A, B, C, NULL, NULL, NULL, 0, y, NULL), MLC_ERR_ARG);
    CHECK_ERR(mlc_ssm_scan_f32(NULL, 1, 0, 2, 1, u, d, A, B, C, NULL, NULL, NULL, 0, y, NULL), MLC_ERR_ARG);
    CHECK_ERR(mlc_ssm_scan_f32(NULL, 1, 2, 0, 1, u, d, A, B, C, NULL, NULL, NULL, 0, y, NULL), MLC_ERR_ARG);
    CHECK_ERR(mlc_ssm_scan_f32(NULL, 1, 2, 2, 0, u, d, A, B, C, NULL, NULL, NULL, 0, y, NULL), MLC_ERR_ARG);
    CHECK_ERR(mlc_ssm_scan_f32(NULL, 1, 3, 2, 2, u, d, A, B, C, NULL, NULL, NULL, 0, y, NULL), MLC_ERR_SHAPE);
    CHECK_ERR(mlc_ssm_scan_ref_f32(1, 3, 2, 2, u, d, A, B, C, NULL, NULL, NULL, 0, y, NULL), MLC_ERR_SHAPE);
    CHECK_ERR(mlc_ssm_scan_ref_f32(-1, 2, 2, 1, u, d, A, B, C, NULL, NULL, NULL, 0, y, NULL), MLC_ERR_ARG);
    CHECK_ERR(mlc_ssm_step_f32(2, 2, 1, u, d, A, B, C, NULL, NULL, NULL, 0, y, NULL), MLC_ERR_NULL);
    CHECK_ERR(mlc_ssm_step_f32(3, 2, 2, u, d, A, B, C, NULL, NULL, NULL, 0, y, st), MLC_ERR_SHAPE);
    CHECK_OK(mlc_ssm_step_f32(2, 2, 1, u, d, A, B, C, NULL, NULL, NULL, 0, y, st));
    {   /* N > 256: needs a state to keep the states in */
        float *big = (float *)calloc(4 * 300, sizeof(float));
        CHECK_ERR(mlc_ssm_scan_f32(NULL, 1, 1, 300, 1, big, big, big, big, big, NULL, NULL, NULL, 0, y, NULL),
                  MLC_ERR_UNSUPPORTED);
        CHECK_OK(mlc_ssm_scan_f32(NULL, 1, 1, 300, 1, big, big, big, big + 300, big + 600, NULL, NULL, NULL, 0, y,
                                  big + 900));
        CHECK_OK(mlc_ssm_scan_f32(NULL, 1, 1, 256, 1, big, big, big, big + 300, big + 600, NULL, NULL, NULL, 0, y, NULL));
        free(big);
    }
}

/* ---- causal conv1d ------------------------------------------------------------ */
static void test_ssm_conv1d(void) {
    static const int shapes[][3] = { { 1, 5, 4 }, { 17, 37, 4 }, { 3, 16, 4 }, { 40, 20, 1 }, { 9, 33, 3 }, { 64, 48, 7 } };
    mlct_rng r = { 31 };
    size_t si;
    for (si = 0; si < sizeof shapes / sizeof *shapes; si++) {
        int L = shapes[si][0], C = shapes[si][1], W = shapes[si][2], ldx = 2 * C + 3, act, l, k;
        float *x = (float *)malloc((size_t)L * ldx * sizeof(float)), *w = (float *)malloc((size_t)C * W * sizeof(float));
        float *b = (float *)malloc((size_t)C * sizeof(float)), *y = (float *)malloc((size_t)L * C * sizeof(float));
        float *y2 = (float *)malloc((size_t)L * C * sizeof(float)), *st = (float *)malloc((size_t)(W + 1) * C * sizeof(float));
        float *st2 = (float *)malloc((size_t)(W + 1) * C * sizeof(float)), *st0 = (float *)malloc((size_t)(W + 1) * C * sizeof(float));
        double *tol = (double *)malloc((size_t)L * C * sizeof(double));
        mlct_fill(&r, x, (size_t)L * ldx, -2.0f, 2.0f); mlct_fill(&r, w, (size_t)C * W, -1.0f, 1.0f);
        mlct_fill(&r, b, (size_t)C, -1.0f, 1.0f); mlct_fill(&r, st0, (size_t)(W + 1) * C, -2.0f, 2.0f);
        for (act = 0; act < 2; act++) {
            mlc_act a = act ? MLC_ACT_SILU : MLC_ACT_NONE;
            int withb;
            for (withb = 0; withb < 2; withb++) {
                double *y2d;
                memcpy(st, st0, (size_t)(W - 1) * C * sizeof(float) + sizeof(float));
                memcpy(st2, st0, (size_t)(W - 1) * C * sizeof(float) + sizeof(float));
                CHECK_OK(mlc_ssm_conv1d_f32(L, C, W, x, ldx, w, withb ? b : NULL, st, y, C, a));
                CHECK_OK(mlc_ssm_conv1d_ref_f32(L, C, W, x, ldx, w, withb ? b : NULL, st2, y2, C, a));
                /* W-term sums in float32 either order: 2 (W+1) U sum |w x| (+ |b|);
                   silu: its own error, |pre| e_sig + 4U|y| */
                for (l = 0; l < L; l++) {
                    int c;
                    for (c = 0; c < C; c++) {
                        double s = withb ? fabs(b[c]) : 0.0, pre = withb ? b[c] : 0.0;
                        for (k = 0; k < W; k++) {
                            int row = l - W + 1 + k;
                            double v = row >= 0 ? x[(size_t)row * ldx + c] : st0[(size_t)(W - 1 + row) * C + c];
                            s += fabs(w[(size_t)c * W + k] * v); pre += w[(size_t)c * W + k] * v;
                        }
                        tol[(size_t)l * C + c] = 2.0 * (W + 1) * U * s + (act ? 2 * (fabs(pre) * E_SIG + 4 * U * fabs(y2[(size_t)l * C + c])) : 0.0) + 1e-30;
                    }
                }
                y2d = to_double(y2, (size_t)L * C);
                CHECK_BOUND("conv1d vec vs ref", y, y2d, tol, 1.0, 0.0, (size_t)L * C);
                free(y2d);
                CHECK(memcmp(st, st2, (size_t)(W - 1) * C * sizeof(float)) == 0);
            }
        }
        /* streaming: token by token with the state equals the whole sequence */
        memcpy(st, st0, (size_t)(W + 1) * C * sizeof(float));
        memcpy(st2, st0, (size_t)(W + 1) * C * sizeof(float));
        CHECK_OK(mlc_ssm_conv1d_f32(L, C, W, x, ldx, w, b, st, y, C, MLC_ACT_SILU));
        for (l = 0; l < L; l++)
            CHECK_OK(mlc_ssm_conv1d_f32(1, C, W, x + (size_t)l * ldx, ldx, w, b, st2, y2 + (size_t)l * C, C, MLC_ACT_SILU));
        CHECK(memcmp(y, y2, (size_t)L * C * sizeof(float)) == 0);
        if (W > 1) CHECK(memcmp(st, st2, (size_t)(W - 1) * C * sizeof(float)) == 0);
        free(x); free(w); free(b); free(y); free(y2); free(st); free(st2); free(st0); free(tol);
    }
    {
        float x[4] = {0}, w[4] = {0}, y[4];
        CHECK_ERR(mlc_ssm_conv1d_f32(1, 1, 1, NULL, 1, w, NULL, NULL, y, 1, MLC_ACT_NONE), MLC_ERR_NULL);
        CHECK_ERR(mlc_ssm_conv1d_f32(1, 1, 0, x, 1, w, NULL, NULL, y, 1, MLC_ACT_NONE), MLC_ERR_ARG);
        CHECK_ERR(mlc_ssm_conv1d_f32(1, 1, 17, x, 1, w, NULL, NULL, y, 1, MLC_ACT_NONE), MLC_ERR_ARG);
        CHECK_ERR(mlc_ssm_conv1d_f32(1, 2, 1, x, 1, w, NULL, NULL, y, 2, MLC_ACT_NONE), MLC_ERR_ARG);
        CHECK_ERR(mlc_ssm_conv1d_f32(1, 1, 1, x, 1, w, NULL, NULL, y, 1, MLC_ACT_COUNT), MLC_ERR_ARG);
        CHECK_ERR(mlc_ssm_conv1d_ref_f32(0, 1, 1, x, 1, w, NULL, NULL, y, 1, MLC_ACT_NONE), MLC_ERR_ARG);
    }
}

/* ---- S4D ----------------------------------------------------------------------- */
static void test_ssm_s4d(void) {
    mlct_golden g;
    static unsigned char mem[1 << 16];
    mlc_arena arena;
    mlc_s4d s;
    mlc_tensor tu;
    float *u, *Kg, *yg, *K, *y, *y2, *st, *st2;
    double *Kd, *yd, *tk, *ty, *ty2;
    int L, H, N, l, h, j, n;
    size_t n_all;
    if (!mlct_golden_open(&g, "ssm.safetensors")) return;
    mlc_arena_init(&arena, mem, sizeof mem);
    CHECK_OK(mlc_s4d_load(&s, &g.st, "s4d", &arena));
    u = mlct_golden_get(&g, "s4d.u", &tu);
    Kg = mlct_golden_get(&g, "s4d.K", NULL);
    yg = mlct_golden_get(&g, "s4d.y", NULL);
    if (!u || !Kg || !yg || !s.dA_re) { mlct_golden_close(&g); return; }
    L = tu.shape[0]; H = tu.shape[1]; N = s.N;
    CHECK(H == s.H && N == 8 && s.D != NULL);
    n_all = (size_t)L * H;
    K = (float *)malloc(n_all * sizeof(float)); y = (float *)malloc(n_all * sizeof(float));
    y2 = (float *)malloc(n_all * sizeof(float));
    st = (float *)calloc(mlc_s4d_state_floats(&s), sizeof(float)); st2 = (float *)calloc(mlc_s4d_state_floats(&s), sizeof(float));
    tk = (double *)malloc(n_all * sizeof(double)); ty = (double *)malloc(n_all * sizeof(double));
    ty2 = (double *)malloc(n_all * sizeof(double));
    Kd = to_double(Kg, n_all); yd = to_double(yg, n_all);
    /* kernel: double inside, rounded once (+ the golden's rounding) */
    CHECK_OK(mlc_s4d_kernel(&s, K, L));
    for (l = 0; l < (int)n_all; l++) tk[l] = 2 * U * fabs(Kd[l]) + 1e-9;
    CHECK_BOUND("s4d kernel vs S4DKernel", K, Kd, tk, 1.0, 0.0, n_all);
    /* convolution with our kernel vs S4D's FFT convolution: (j+2) U |K u|
       per term, the kernel's rounding U |K| |u|, D u, the golden's U |y| */
    for (l = 0; l < L; l++)
        for (h = 0; h < H; h++) {
            double a = 0.0;
            for (j = 0; j <= l; j++) a += (j + 3) * U * fabs((double)Kg[(size_t)j * H + h] * u[(size_t)(l - j) * H + h]);
            ty[(size_t)l * H + h] = a + 2 * U * fabs((double)s.D[h] * u[(size_t)l * H + h]) + U * fabs(yd[(size_t)l * H + h]) + 1e-30;
        }
    CHECK_OK(mlc_s4d_conv_f32(L, H, K, L, u, s.D, y));
    CHECK_BOUND("s4d conv vs FFT conv", y, yd, ty, 1.0, 0.0, n_all);
    CHECK_OK(mlc_s4d_conv_ref_f32(L, H, K, L, u, s.D, y2));
    CHECK_BOUND("s4d conv_ref vs FFT conv", y2, yd, ty, 1.0, 0.0, n_all);
    /* recurrence: per mode E[l] = |dA| E[l-1] + 8U (|dA| X[l-1] + |u|), X the
       same recurrence on magnitudes; y: 2 sum (|dC| E + 2U |dC| X), summed
       over 2N terms: + 2N U 2 sum |dC| X; D u; golden U|y|. */
    for (h = 0; h < H; h++) {
        for (l = 0; l < L; l++) ty2[(size_t)l * H + h] = 0.0;
        for (n = 0; n < N; n++) {
            size_t i = (size_t)n * H + h;
            double ad = hypot(s.dA_re[i], s.dA_im[i]), cd = hypot(s.dC_re[i], s.dC_im[i]), X = 0.0, E = 0.0;
            for (l = 0; l < L; l++) {
                double ua = fabs((double)u[(size_t)l * H + h]);
                E = ad * E + 8 * U * (ad * X + ua);
                X = ad * X + ua;
                ty2[(size_t)l * H + h] += 2 * (cd * E + 2 * U * cd * X) + 4.0 * N * U * cd * X;
            }
        }
        for (l = 0; l < L; l++)
            ty2[(size_t)l * H + h] += 2 * U * fabs((double)s.D[h] * u[(size_t)l * H + h]) + U * fabs(yd[(size_t)l * H + h]) + 1e-30;
    }
    CHECK_OK(mlc_s4d_forward(&s, u, y, L, st));
    CHECK_BOUND("s4d recurrence vs FFT conv", y, yd, ty2, 1.0, 0.0, n_all);
    CHECK_OK(mlc_s4d_forward_ref(&s, u, y2, L, st2));
    CHECK_BOUND("s4d recurrence ref vs FFT conv", y2, yd, ty2, 1.0, 0.0, n_all);
    {   /* vector vs scalar recurrence; conv form vs recurrence form */
        double *y2d = to_double(y2, n_all), *s2d = to_double(st2, mlc_s4d_state_floats(&s));
        CHECK_BOUND("s4d recurrence vec vs ref", y, y2d, ty2, 2.0, 0.0, n_all);
        free(y2d); free(s2d);
        CHECK_OK(mlc_s4d_conv_f32(L, H, K, L, u, s.D, y2));
        y2d = to_double(y2, n_all);
        for (l = 0; l < (int)n_all; l++) ty[l] += ty2[l];
        CHECK_BOUND("s4d conv form vs recurrence form", y, y2d, ty, 1.0, 0.0, n_all);
        free(y2d);
    }
    {   /* step by step (L = 1 with the state) equals the whole sequence */
        memset(st2, 0, mlc_s4d_state_floats(&s) * sizeof(float));
        for (l = 0; l < L; l++) CHECK_OK(mlc_s4d_forward(&s, u + (size_t)l * H, y2 + (size_t)l * H, 1, st2));
        CHECK(memcmp(y, y2, n_all * sizeof(float)) == 0);
        CHECK(memcmp(st, st2, mlc_s4d_state_floats(&s) * sizeof(float)) == 0);
    }
    /* a short kernel (taps past Lk are zero) against the reference */
    CHECK_OK(mlc_s4d_conv_f32(37, H, K, 5, u, NULL, y));
    CHECK_OK(mlc_s4d_conv_ref_f32(37, H, K, 5, u, NULL, y2));
    CHECK_CLOSE(y, y2, (size_t)37 * H, 1e-5);
    /* bad input */
    CHECK_ERR(mlc_s4d_kernel(&s, K, 0), MLC_ERR_ARG);
    CHECK_ERR(mlc_s4d_conv_f32(L, H, NULL, L, u, NULL, y), MLC_ERR_NULL);
    CHECK_ERR(mlc_s4d_conv_f32(L, H, K, 0, u, NULL, y), MLC_ERR_ARG);
    CHECK_ERR(mlc_s4d_forward(&s, u, y, 0, NULL), MLC_ERR_ARG);
    CHECK_ERR(mlc_s4d_forward(NULL, u, y, 1, NULL), MLC_ERR_NULL);
    CHECK_ERR(mlc_s4d_load(&s, &g.st, "nope", &arena), MLC_ERR_NOT_FOUND);
    CHECK(strcmp(g.st.bad_name, "nope.kernel.log_dt") == 0);
    CHECK_ERR(mlc_s4d_load(&s, &g.st, "s", &arena), MLC_ERR_NOT_FOUND);
    {
        float ldt[2] = { -3.0f, -2.0f }, lar[2] = { -0.7f, -0.7f }, aim[2] = { 0.0f, 3.1f }, c[4] = { 1, 0, 0, 1 };
        CHECK_OK(mlc_s4d_init(&s, 2, 1, ldt, lar, aim, c, NULL, &arena));
        CHECK_ERR(mlc_s4d_init(&s, 0, 1, ldt, lar, aim, c, NULL, &arena), MLC_ERR_ARG);
        CHECK_ERR(mlc_s4d_init(&s, 2, 1, NULL, lar, aim, c, NULL, &arena), MLC_ERR_NULL);
    }
    free(u); free(Kg); free(yg); free(K); free(y); free(y2); free(st); free(st2);
    free(Kd); free(yd); free(tk); free(ty); free(ty2);
    mlct_golden_close(&g);
}

/* ---- Mamba block ---------------------------------------------------------------- */
static unsigned char mamba_mem[4 << 20];

/* 4x the float32 reference's error, plus 16 U of the output's scale: the
   scan's exp may be off by 4e-7 = 7U where PyTorch's libm exp is within
   1U (this matters where the float32 reference is nearly exact, e.g. for
   the SSM state), plus the golden's rounding. */
static double torch32_tol(const float *y32, const float *y, size_t n) {
    double e = mlct_max_abs_diff(y32, y, n, NULL);
    return 4.0 * e + 16 * U * mlct_max_abs(y, n);
}

/* The block's ssm state [N, di] as PyTorch's ssm_state [di, N]. */
static void ssm_to_torch(const mlc_mamba *m, const float *s, float *out) {
    int d, n;
    for (d = 0; d < m->d_inner; d++)
        for (n = 0; n < m->d_state; n++) out[(size_t)d * m->d_state + n] = s[(size_t)n * m->d_inner + d];
}

static void mamba_case(mlct_golden *g, const char *name, int di_expect, int ln) {
    char p[64], nm[128];
    mlc_arena arena, scratch;
    mlc_mamba m;
    mlc_mamba_state st, st2;
    mlc_tensor tx, t;
    float *x, *yg, *y32, *csg, *ssg, *cs32, *ss32, *y, *y2, *sst = NULL;
    double tol, tolc = 0.0, tols = 0.0;
    size_t nc = 0, ns = 0;
    int L, dm, l, split;
    size_t n;
    mlc_arena_init(&arena, mamba_mem, sizeof mamba_mem / 2);
    mlc_arena_init(&scratch, mamba_mem + sizeof mamba_mem / 2, sizeof mamba_mem / 2);
    snprintf(p, sizeof p, "m.%s.", name);
    CHECK_OK(mlc_mamba_load(&m, &g->st, cat(nm, p, "blk"), 1e-5f, &arena));
    x = mlct_golden_get(g, cat(nm, p, "x"), &tx);
    yg = mlct_golden_get(g, cat(nm, p, "y"), NULL);
    y32 = mlct_golden_get(g, cat(nm, p, "y32"), NULL);
    csg = mlct_golden_get(g, cat(nm, p, "conv_state"), NULL);
    ssg = mlct_golden_get(g, cat(nm, p, "ssm_state"), NULL);
    cs32 = mlct_golden_get(g, cat(nm, p, "conv_state32"), NULL);
    ss32 = mlct_golden_get(g, cat(nm, p, "ssm_state32"), NULL);
    if (!x || !yg || !y32 || !csg || !ssg || !cs32 || !ss32 || !m.in_proj.packed_w) {
        free(x); free(yg); free(y32); free(csg); free(ssg); free(cs32); free(ss32); return;
    }
    nc = (size_t)(m.d_conv - 1) * m.d_inner; ns = (size_t)m.d_inner * m.d_state;
    sst = (float *)malloc(ns * sizeof(float));
    tolc = torch32_tol(cs32, csg, nc); tols = torch32_tol(ss32, ssg, ns);
    CHECK_EQ_INT(m.d_inner, di_expect);
    CHECK_EQ_INT(m.has_norm, 1);
    CHECK_EQ_INT(m.norm_is_layernorm, ln);
    L = tx.shape[0]; dm = tx.shape[1]; n = (size_t)L * dm;
    CHECK_EQ_INT(dm, m.d_model);
    tol = torch32_tol(y32, yg, n);
    if (getenv("MLCT_VERBOSE")) printf("       mamba %s: tol %.3g (max|y| %.3g)\n", name, tol, mlct_max_abs(yg, n));
    CHECK_OK(mlc_mamba_state_init(&m, &st, &arena));
    CHECK_OK(mlc_mamba_state_init(&m, &st2, &arena));
    y = fdup(x, n); y2 = fdup(x, n);
    t = mlc_tensor_2d(y, L, dm);
    CHECK(mlc_mamba_scratch_bytes(&m, L) <= scratch.size);
    CHECK_OK(mlc_mamba_forward(&m, NULL, &t, &st, &scratch));
    CHECK(mlc_arena_peak(&scratch) <= mlc_mamba_scratch_bytes(&m, L));
    CHECK_CLOSE(y, yg, n, tol);
    CHECK_CLOSE(st.conv, csg, nc, tolc);
    ssm_to_torch(&m, st.ssm, sst);
    CHECK_CLOSE(sst, ssg, ns, tols);
    /* whole sequence without a state: the same output */
    memcpy(y2, x, n * sizeof(float));
    t = mlc_tensor_2d(y2, L, dm);
    CHECK_OK(mlc_mamba_forward(&m, NULL, &t, NULL, &scratch));
    CHECK(memcmp(y, y2, n * sizeof(float)) == 0);
    /* a prefix, then token by token with mlc_mamba_step */
    split = L / 2;
    memcpy(y2, x, n * sizeof(float));
    t = mlc_tensor_2d(y2, split, dm);
    if (split > 0) CHECK_OK(mlc_mamba_forward(&m, NULL, &t, &st2, &scratch));
    for (l = split; l < L; l++) CHECK_OK(mlc_mamba_step(&m, NULL, y2 + (size_t)l * dm, &st2, &scratch));
    CHECK_CLOSE(y2, yg, n, tol);
    ssm_to_torch(&m, st2.ssm, sst);
    CHECK_CLOSE(sst, ssg, ns, tols);
    CHECK_CLOSE(st2.conv, csg, nc, tolc);
    free(x); free(yg); free(y32); free(csg); free(ssg); free(cs32); free(ss32); free(y); free(y2); free(sst);
}

static void test_ssm_mamba_golden(void) {
    mlct_golden g;
    if (!mlct_golden_open(&g, "ssm.safetensors")) return;
    mamba_case(&g, "b17", 48, 0);
    mamba_case(&g, "b1024", 32, 0);
    mamba_case(&g, "ln", 32, 1);
    mlct_golden_close(&g);
}

/* The mixer alone (a Mamba module's state_dict, no Block): loaded from the
   same tensors under "<block>.mixer", its output on RMSNorm(x) must be the
   Block's output minus the residual x. */
static void test_ssm_mamba_bare_mixer(void) {
    mlct_golden g;
    mlc_arena arena, scratch;
    mlc_mamba m;
    mlc_tensor tx, t;
    float *x, *yg, *y32, *nw, *h, *want, *want32;
    int L, dm, l, i;
    if (!mlct_golden_open(&g, "ssm.safetensors")) return;
    mlc_arena_init(&arena, mamba_mem, sizeof mamba_mem / 2);
    mlc_arena_init(&scratch, mamba_mem + sizeof mamba_mem / 2, sizeof mamba_mem / 2);
    CHECK_OK(mlc_mamba_load(&m, &g.st, "m.b17.blk.mixer", 1e-5f, &arena));
    CHECK_EQ_INT(m.has_norm, 0);
    x = mlct_golden_get(&g, "m.b17.x", &tx);
    yg = mlct_golden_get(&g, "m.b17.y", NULL);
    y32 = mlct_golden_get(&g, "m.b17.y32", NULL);
    nw = mlct_golden_get(&g, "m.b17.blk.norm.weight", NULL);
    if (!x || !yg || !y32 || !nw || !m.in_proj.packed_w) { free(x); free(yg); free(y32); free(nw); mlct_golden_close(&g); return; }
    L = tx.shape[0]; dm = tx.shape[1];
    h = (float *)malloc((size_t)L * dm * sizeof(float));
    want = (float *)malloc((size_t)L * dm * sizeof(float));
    want32 = (float *)malloc((size_t)L * dm * sizeof(float));
    for (l = 0; l < L; l++) {   /* RMSNorm in double, rounded once */
        double ms = 0.0;
        for (i = 0; i < dm; i++) ms += (double)x[l * dm + i] * x[l * dm + i];
        ms = 1.0 / sqrt(ms / dm + 1e-5);
        for (i = 0; i < dm; i++) {
            h[l * dm + i] = (float)(x[l * dm + i] * ms * nw[i]);
            want[l * dm + i] = (float)((double)yg[l * dm + i] - x[l * dm + i]);
            want32[l * dm + i] = (float)((double)y32[l * dm + i] - x[l * dm + i]);
        }
    }
    t = mlc_tensor_2d(h, L, dm);
    CHECK_OK(mlc_mamba_forward(&m, NULL, &t, NULL, &scratch));
    /* + the rounding of want (y - x) and of the normalised input */
    CHECK_CLOSE(h, want, (size_t)L * dm, torch32_tol(want32, want, (size_t)L * dm) + 4 * U * mlct_max_abs(yg, (size_t)L * dm));
    free(x); free(yg); free(y32); free(nw); free(h); free(want); free(want32);
    mlct_golden_close(&g);
}

static void test_ssm_mamba_lm_golden(void) {
    mlct_golden g;
    mlc_arena arena, scratch;
    mlc_mamba_lm lm;
    mlc_mamba_state *st = NULL;
    mlc_tensor tt;
    float *tokf, *lg, *l32, *logits, *lstep;
    int tokens[64], L, V, i;
    double tol;
    if (!mlct_golden_open(&g, "ssm.safetensors")) return;
    mlc_arena_init(&arena, mamba_mem, sizeof mamba_mem / 2);
    mlc_arena_init(&scratch, mamba_mem + sizeof mamba_mem / 2, sizeof mamba_mem / 2);
    CHECK_OK(mlc_mamba_lm_load(&lm, &g.st, 1e-5f, &arena));
    tokf = mlct_golden_get(&g, "lm.tokens", &tt);
    lg = mlct_golden_get(&g, "lm.logits", NULL);
    l32 = mlct_golden_get(&g, "lm.logits32", NULL);
    if (!tokf || !lg || !l32 || !lm.layers) { free(tokf); free(lg); free(l32); mlct_golden_close(&g); return; }
    L = tt.shape[0]; V = lm.vocab;
    CHECK_EQ_INT(V, 13); CHECK_EQ_INT(lm.n_layer, 2); CHECK_EQ_INT(lm.d_model, 16);
    for (i = 0; i < L; i++) tokens[i] = (int)tokf[i];
    tol = torch32_tol(l32, lg, (size_t)L * V);
    logits = (float *)malloc((size_t)L * V * sizeof(float)); lstep = (float *)malloc((size_t)L * V * sizeof(float));
    CHECK_OK(mlc_mamba_lm_state_init(&lm, &st, &arena));
    CHECK(mlc_mamba_lm_scratch_bytes(&lm, L) <= scratch.size);
    CHECK_OK(mlc_mamba_lm_forward(&lm, NULL, tokens, L, logits, st, &scratch));
    CHECK_CLOSE(logits, lg, (size_t)L * V, tol);
    mlc_mamba_lm_state_reset(&lm, st);
    for (i = 0; i < L; i++) CHECK_OK(mlc_mamba_lm_step(&lm, NULL, tokens[i], lstep + (size_t)i * V, st, &scratch));
    CHECK_CLOSE(lstep, lg, (size_t)L * V, tol);
    tokens[0] = V;
    CHECK_ERR(mlc_mamba_lm_forward(&lm, NULL, tokens, 1, logits, st, &scratch), MLC_ERR_ARG);
    CHECK_ERR(mlc_mamba_lm_step(&lm, NULL, -1, logits, st, &scratch), MLC_ERR_ARG);
    CHECK_ERR(mlc_mamba_lm_step(&lm, NULL, 0, logits, NULL, &scratch), MLC_ERR_NULL);
    CHECK_ERR(mlc_mamba_lm_load(&lm, &g.st, -1.0f, &arena), MLC_ERR_ARG);
    CHECK_ERR(mlc_mamba_lm_load(&lm, NULL, 1e-5f, &arena), MLC_ERR_NULL);
    free(tokf); free(lg); free(l32); free(logits); free(lstep);
    mlct_golden_close(&g);
}

/* A conv1d kernel wider than the scan supports (16 taps) is refused with
   MLC_ERR_UNSUPPORTED and named, as mlc_mamba_load's comment says. */
static void test_ssm_mamba_wide_conv(void) {
    static const char hdr[] =
        "{\"w.in_proj.weight\":{\"dtype\":\"F32\",\"shape\":[4,2],\"data_offsets\":[0,32]},"
        "\"w.conv1d.weight\":{\"dtype\":\"F32\",\"shape\":[2,1,17],\"data_offsets\":[32,168]}}";
    static unsigned char file[8 + 256 + 168], amem[1 << 14];
    size_t hl = sizeof hdr - 1, i;
    mlc_safetensors st;
    mlc_arena arena;
    mlc_mamba m;
    while (hl % 8) hl++;
    memset(file, 0, sizeof file);
    for (i = 0; i < 8; i++) file[i] = (unsigned char)(hl >> (8 * i));
    memset(file + 8, ' ', hl);
    memcpy(file + 8, hdr, sizeof hdr - 1);
    mlc_arena_init(&arena, amem, sizeof amem);
    CHECK_OK(mlc_st_parse(&st, file, 8 + hl + 168, &arena));
    CHECK_ERR(mlc_mamba_load(&m, &st, "w", 1e-5f, &arena), MLC_ERR_UNSUPPORTED);
    CHECK(strcmp(st.bad_name, "w.conv1d.weight") == 0);
    CHECK(m.in_proj.packed_w == NULL);
}

/* Loader errors name the tensor; forward checks shapes. */
static void test_ssm_mamba_bad(void) {
    static const struct { const char *c; mlc_result r; const char *bad; } cases[] = {
        { "no_D",        MLC_ERR_NOT_FOUND, "bad.no_D.mixer.D" },
        { "no_dtbias",   MLC_ERR_NOT_FOUND, "bad.no_dtbias.mixer.dt_proj.bias" },
        { "xproj_shape", MLC_ERR_SHAPE,     "bad.xproj_shape.mixer.x_proj.weight" },
        { "alog_shape",  MLC_ERR_SHAPE,     "bad.alog_shape.mixer.A_log" },
        { "conv_shape",  MLC_ERR_SHAPE,     "bad.conv_shape.mixer.conv1d.weight" },
        { "norm_shape",  MLC_ERR_SHAPE,     "bad.norm_shape.norm.weight" },
        { "dtype",       MLC_ERR_DTYPE,     "bad.dtype.mixer.conv1d.weight" },
        { "inproj_odd",  MLC_ERR_SHAPE,     "bad.inproj_odd.mixer.in_proj.weight" },
        { "missing",     MLC_ERR_NOT_FOUND, "bad.missing.in_proj.weight" },
    };
    mlct_golden g;
    mlc_arena arena, scratch;
    mlc_mamba m;
    mlc_mamba_state st;
    mlc_tensor t;
    float x[8 * 3] = {0};
    size_t i;
    if (!mlct_golden_open(&g, "ssm.safetensors")) return;
    mlc_arena_init(&arena, mamba_mem, sizeof mamba_mem / 2);
    mlc_arena_init(&scratch, mamba_mem + sizeof mamba_mem / 2, 64);
    for (i = 0; i < sizeof cases / sizeof *cases; i++) {
        char prefix[64];
        size_t before = arena.used;
        snprintf(prefix, sizeof prefix, "bad.%s", cases[i].c);
        g.st.bad_name[0] = '\0';
        CHECK_ERR(mlc_mamba_load(&m, &g.st, prefix, 1e-5f, &arena), cases[i].r);
        if (strcmp(g.st.bad_name, cases[i].bad) != 0) {
            mlct_failures++;
            fprintf(stderr, "  %s: bad_name '%s', expected '%s'\n", cases[i].c, g.st.bad_name, cases[i].bad);
        }
        CHECK(arena.used == before);          /* released on failure */
        CHECK(m.in_proj.packed_w == NULL);
    }
    CHECK_OK(mlc_mamba_load(&m, &g.st, "bad.ok", 1e-5f, &arena));
    CHECK_EQ_INT(m.d_model, 8); CHECK_EQ_INT(m.d_inner, 16); CHECK_EQ_INT(m.d_state, 4);
    CHECK_ERR(mlc_mamba_load(&m, &g.st, "bad.ok", -1.0f, &arena), MLC_ERR_ARG);
    CHECK_ERR(mlc_mamba_load(NULL, &g.st, "bad.ok", 1e-5f, &arena), MLC_ERR_NULL);
    CHECK_OK(mlc_mamba_load(&m, &g.st, "bad.ok", 1e-5f, &arena));
    CHECK_OK(mlc_mamba_state_init(&m, &st, &arena));
    t = mlc_tensor_2d(x, 3, 7);
    CHECK_ERR(mlc_mamba_forward(&m, NULL, &t, &st, &scratch), MLC_ERR_SHAPE);
    t = mlc_tensor_3d(x, 1, 3, 8);
    CHECK_ERR(mlc_mamba_forward(&m, NULL, &t, &st, &scratch), MLC_ERR_SHAPE);
    t = mlc_tensor_2d(x, 3, 8);
    CHECK_ERR(mlc_mamba_forward(&m, NULL, &t, &st, &scratch), MLC_ERR_NOMEM);   /* 64-byte scratch */
    t.dtype = MLC_F16;
    CHECK_ERR(mlc_mamba_forward(&m, NULL, &t, &st, &scratch), MLC_ERR_DTYPE);
    CHECK_ERR(mlc_mamba_step(&m, NULL, x, NULL, &scratch), MLC_ERR_NULL);
    mlct_golden_close(&g);
}

const mlct_case mlct_ssm_cases[] = {
    MLCT_CASE(test_ssm_exp_softplus),
    MLCT_CASE(test_ssm_scan_golden),
    MLCT_CASE(test_ssm_scan_vs_ref),
    MLCT_CASE(test_ssm_step_equals_scan),
    MLCT_CASE(test_ssm_scan_threads),
    MLCT_CASE(test_ssm_scan_bad_args),
    MLCT_CASE(test_ssm_conv1d),
    MLCT_CASE(test_ssm_s4d),
    MLCT_CASE(test_ssm_mamba_golden),
    MLCT_CASE(test_ssm_mamba_bare_mixer),
    MLCT_CASE(test_ssm_mamba_lm_golden),
    MLCT_CASE(test_ssm_mamba_bad),
    MLCT_CASE(test_ssm_mamba_wide_conv),
};
const int mlct_ssm_count = (int)(sizeof mlct_ssm_cases / sizeof mlct_ssm_cases[0]);
