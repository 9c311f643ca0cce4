/* Golden tests: mlcore's public API, and its scalar references, against
   outputs computed by PyTorch (tests/gen_golden.py: float64 from the float32
   inputs, rounded once to float32, so a golden value is within half an ulp of
   the exact result).

   Tolerances are stated per op next to each table entry or check, in units
   of U = 2^-24, the float32 unit roundoff (half an ulp at 1: any correctly
   rounded float32 operation has relative error <= U). Every bound includes
   the golden's own rounding (U relative). The vector kernels' bounds come
   from the error bounds the header documents (exp relative 4e-7, tanh and
   sigmoid absolute 3e-7, erf absolute 4e-7); the scalar references call libm
   (expf, tanhf, erff, log1pf, logf), taken to be within 2 ulp (relative
   4U), which glibc's table of known maximum errors meets. Values that fall
   below FLT_MIN (subnormal) may be flushed to 0: the vector exp flushes
   below ln(FLT_MIN), as documented.

   MLCT_VERBOSE=1 prints the worst diff/tolerance ratio of every check. */
#include <stdlib.h>
#include <float.h>
#include "mlc_test.h"

#define U (1.0 / 16777216.0)       /* 2^-24 */
#define EXP_REL 4e-7               /* documented: vector exp, relative  */
#define TANH_ABS 3e-7              /* documented: vector tanh, absolute */
#define TANH_REL 5e-7              /* documented: vector tanh, relative near 0 */
#define SIGMOID_ABS 3e-7           /* documented: vector sigmoid, absolute */
#define ERF_ABS 4e-7               /* documented: vector erf, absolute  */
#define LIBM_REL (4 * U)           /* libm float functions: 2 ulp <= 4U relative */

/* ---- checking ------------------------------------------------------------ */

/* The tolerance of one element: abs + rel * |want| + xk * |x| (x: the op's
   input, for errors that scale with it), plus extra[i] where given. */
typedef struct { double abs, rel, xk; } tol_t;

/* Checks every element against its tolerance. A NaN or infinite want must be
   matched exactly. On failure prints the worst element (largest diff/tol). */
static void check_bound(const char *file, int line, const char *what, const float *got,
                        const float *want, const float *x, const double *extra, size_t n, tol_t t) {
    size_t i, wi = 0;
    double worst = 0.0, wd = 0.0, wt = 0.0;
    if (!got || !want) { mlct_failures++; fprintf(stderr, "  %s:%d: %s: no data\n", file, line, what); return; }
    for (i = 0; i < n; i++) {
        double g = got[i], w = want[i], d, tol, r;
        tol = t.abs + t.rel * fabs(w) + (x ? t.xk * fabs((double)x[i]) : 0.0) + (extra ? extra[i] : 0.0);
        if (isnan(w) || isinf(w) || isnan(g) || isinf(g))
            d = (g == w || (isnan(g) && isnan(w))) ? 0.0 : INFINITY;
        else
            d = fabs(g - w);
        r = d == 0.0 ? 0.0 : (tol > 0.0 ? d / tol : INFINITY);
        if (r > worst) { worst = r; wi = i; wd = d; wt = tol; }
    }
    if (worst > 1.0) {
        mlct_failures++;
        fprintf(stderr, "  %s:%d: %s: |got - want| = %.3g > tol %.3g (%.2fx) at [%lu]:", file, line, what,
                wd, wt, worst, (unsigned long)wi);
        if (x) fprintf(stderr, " x %.9g,", (double)x[wi]);
        fprintf(stderr, " got %.9g, want %.9g\n", (double)got[wi], (double)want[wi]);
    } else if (getenv("MLCT_VERBOSE")) {
        printf("       %-46s worst diff/tol %.3f\n", what, worst);
    }
}
#define CHECK_BOUND(what, got, want, x, extra, n, tol) \
    check_bound(__FILE__, __LINE__, (what), (got), (want), (x), (extra), (n), (tol))

static float *get(mlct_golden *g, const char *name, mlc_tensor *t) {
    return mlct_golden_get(g, name, t);
}

static float *alloc_floats(size_t n) { return (float *)malloc((n ? n : 1) * sizeof(float)); }

/* ---- activations --------------------------------------------------------- */

typedef struct {
    const char *golden;   /* tensor name in act.safetensors */
    const char *fused;    /* suffix in linear.safetensors (<case>.y_<fused>), or NULL */
    mlc_act act;
    float alpha;
    tol_t vec;            /* mlc_act_f32 (and the GEMM epilogue, which shares it) */
    tol_t ref;            /* mlc_act_ref_f32 */
    double lip;           /* Lipschitz constant: how much an input error can grow */
} act_case;

static const act_case ACTS[] = {
    /* Exact: the result is x, 0 or 6. */
    { "relu", "relu", MLC_ACT_RELU, 0.0f, { 0, 0, 0 }, { 0, 0, 0 }, 1.0 },
    { "relu6", "relu6", MLC_ACT_RELU6, 0.0f, { 0, 0, 0 }, { 0, 0, 0 }, 1.0 },
    /* x * alpha rounded once (U); alpha as float differs from 0.01 / 0.2 by
       2.2e-8 / 1.5e-8 relative (< 0.4U); golden U: 2.4U, say 3U. */
    { "leaky_relu_0.01", NULL, MLC_ACT_LEAKY_RELU, 0.01f, { 0, 3 * U, 0 }, { 0, 3 * U, 0 }, 1.0 },
    { "leaky_relu_0.2", "leaky_relu", MLC_ACT_LEAKY_RELU, 0.2f, { 0, 3 * U, 0 }, { 0, 3 * U, 0 }, 1.0 },
    /* Vector: the documented 3e-7 absolute plus the golden's rounding (U).
       Reference 1/(1+expf(-x)): expf 4U makes 1+e off by <= 4U + U relative,
       the division U, the golden U: 7U relative. */
    { "sigmoid", "sigmoid", MLC_ACT_SIGMOID, 0.0f, { SIGMOID_ABS + U, 0, 0 }, { FLT_MIN, 7 * U, 0 }, 0.25 },
    /* Vector: documented 3e-7 absolute + golden U (the relative bound near 0
       is checked separately in test_golden_tanh). Reference: tanhf 4U + U. */
    { "tanh", "tanh", MLC_ACT_TANH, 0.0f, { TANH_ABS + U, 0, 0 }, { 0, 5 * U, 0 }, 1.0 },
    /* y = 0.5x (1 + erf(x/sqrt2)). The bracket's absolute error: erf 4e-7
       (documented; reference erff 4U), the rounded argument x/sqrt2 moves erf
       by at most max(erf'(t) t) U = 0.48U, 1+erf rounds by U: times 0.5|x|
       gives xk = 0.5 (4e-7 + 1.5U) vector, 0.5 (4U + 1.5U) reference. The
       product rounds once (0.5x is exact) and the golden once: rel 2U. */
    { "gelu", "gelu", MLC_ACT_GELU, 0.0f, { 0, 2 * U, 0.5 * (ERF_ABS + 1.5 * U) },
      { FLT_MIN, 2 * U, 0.5 * (LIBM_REL + 1.5 * U) }, 1.13 },
    /* y = 0.5x (1 + tanh(u)), u = c (x + 0.044715 x^3): u is off by <= 4.5U
       relative (four roundings plus the constants), which moves tanh by
       max(sech^2(u) u) 4.5U = 2U; 1+tanh rounds by U. Bracket: tanh's
       3e-7 (reference 4U) + 3U, times 0.5|x|; rel 2U as for gelu. */
    { "gelu_tanh", "gelu_tanh", MLC_ACT_GELU_TANH, 0.0f, { 0, 2 * U, 0.5 * (TANH_ABS + 3 * U) },
      { FLT_MIN, 2 * U, 0.5 * (LIBM_REL + 3 * U) }, 1.13 },
    /* Vector x * sigmoid(x): sigmoid's 3e-7 times |x|, the product and the
       golden rel 2U. Reference x/(1+expf(-x)): 7U relative as sigmoid. */
    { "silu", "silu", MLC_ACT_SILU, 0.0f, { 0, 2 * U, SIGMOID_ABS }, { FLT_MIN, 7 * U, 0 }, 1.1 },
    /* x (x+3) / 6 (or * (1/6.0f), whose rounding is 0.5U): at most three
       roundings, the constant and the golden: 4.5U relative, say 5U. */
    { "hardswish", "hardswish", MLC_ACT_HARDSWISH, 0.0f, { 0, 5 * U, 0 }, { 0, 5 * U, 0 }, 1.5 },
    /* (x+3) / 6: two roundings, the constant and the golden: 3.5U, say 4U. */
    { "hardsigmoid", "hardsigmoid", MLC_ACT_HARDSIGMOID, 0.0f, { 0, 4 * U, 0 }, { 0, 4 * U, 0 }, 1.0 / 6.0 },
    /* log1p(e^x) (or max(x,0) + log1p(e^-|x|)): an exp error of r relative
       moves the result by r e/(1+e) <= r y absolute, so relative r: 4e-7
       vector, 4U reference. Then log1p (2 ulp: 4U; the vector log1p's bound
       is not documented, Cephes' logf polynomial is ~1 ulp), the final add U,
       the golden U. Results below FLT_MIN may be 0 (exp is flushed). */
    { "softplus", "softplus", MLC_ACT_SOFTPLUS, 0.0f, { FLT_MIN, EXP_REL + 6 * U, 0 },
      { FLT_MIN, LIBM_REL + 6 * U, 0 }, 1.0 },
};
#define N_ACTS ((int)(sizeof ACTS / sizeof ACTS[0]))

static void test_golden_act(void) {
    mlct_golden g;
    mlc_tensor tx;
    float *x, *y;
    size_t n;
    int a;
    if (!mlct_golden_open(&g, "act.safetensors")) return;
    x = get(&g, "x", &tx);
    if (!x) { mlct_golden_close(&g); return; }
    n = mlc_tensor_numel(&tx);
    CHECK(n > 4000);
    y = alloc_floats(n);
    for (a = 0; a < N_ACTS; a++) {
        const act_case *c = &ACTS[a];
        float *want = get(&g, c->golden, NULL);
        char what[96];
        if (!want) continue;
        snprintf(what, sizeof what, "mlc_act_f32 %s", c->golden);
        CHECK_OK(mlc_act_f32(y, x, n, c->act, c->alpha));
        CHECK_BOUND(what, y, want, x, NULL, n, c->vec);
        snprintf(what, sizeof what, "mlc_act_ref_f32 %s", c->golden);
        CHECK_OK(mlc_act_ref_f32(y, x, n, c->act, c->alpha));
        CHECK_BOUND(what, y, want, x, NULL, n, c->ref);
        free(want);
    }
    free(y); free(x);
    mlct_golden_close(&g);
}

/* The tensor form, in place and out of place, on shapes of rank 1 and 4. */
static void test_golden_act_tensor(void) {
    mlct_golden g;
    mlc_tensor tx;
    float *x, *buf;
    size_t n, m;
    int a;
    if (!mlct_golden_open(&g, "act.safetensors")) return;
    x = get(&g, "x", &tx);
    if (!x) { mlct_golden_close(&g); return; }
    n = mlc_tensor_numel(&tx);
    m = n / 30;   /* a [2,3,5,m] view of the first 30m elements */
    buf = alloc_floats(n);
    for (a = 0; a < N_ACTS; a++) {
        const act_case *c = &ACTS[a];
        float *want = get(&g, c->golden, NULL);
        mlc_tensor t1, t4x, t4y;
        char what[96];
        if (!want) continue;
        memcpy(buf, x, n * sizeof(float));
        t1 = mlc_tensor_1d(buf, (int)n);
        CHECK_OK(mlc_activate(&t1, &t1, c->act, c->alpha));
        snprintf(what, sizeof what, "mlc_activate in place %s", c->golden);
        CHECK_BOUND(what, buf, want, x, NULL, n, c->vec);

        memset(buf, 0, n * sizeof(float));
        t4x = mlc_tensor_4d(x, 2, 3, 5, (int)m);
        t4y = mlc_tensor_4d(buf, 2, 3, 5, (int)m);
        CHECK_OK(mlc_activate(&t4y, &t4x, c->act, c->alpha));
        snprintf(what, sizeof what, "mlc_activate [2,3,5,%d] %s", (int)m, c->golden);
        CHECK_BOUND(what, buf, want, x, NULL, 30 * m, c->vec);
        free(want);
    }
    free(buf); free(x);
    mlct_golden_close(&g);
}

/* Every length 1..49 (vector tails for widths 4, 8, 16) at odd offsets
   (misaligned), with sentinels either side that must stay untouched. */
static void test_golden_act_tails(void) {
    const float sentinel = 12345.0f;
    mlct_golden g;
    mlc_tensor tx;
    float *x, *y;
    size_t n;
    int a;
    if (!mlct_golden_open(&g, "act.safetensors")) return;
    x = get(&g, "x", &tx);
    if (!x) { mlct_golden_close(&g); return; }
    n = mlc_tensor_numel(&tx);
    y = alloc_floats(n);
    for (a = 0; a < N_ACTS; a++) {
        const act_case *c = &ACTS[a];
        float *want = get(&g, c->golden, NULL);
        size_t len;
        char what[96];
        if (!want) continue;
        for (len = 1; len < 50; len++) {
            size_t off = 1 + 2 * ((len * 997) % 1900), i;   /* odd, spread over the sweep */
            for (i = off - 1; i <= off + len; i++) y[i] = sentinel;
            CHECK_OK(mlc_act_f32(y + off, x + off, len, c->act, c->alpha));
            snprintf(what, sizeof what, "mlc_act_f32 %s len %d", c->golden, (int)len);
            CHECK_BOUND(what, y + off, want + off, x + off, NULL, len, c->vec);
            CHECK(y[off - 1] == sentinel);
            CHECK(y[off + len] == sentinel);
        }
        free(want);
    }
    free(y); free(x);
    mlct_golden_close(&g);
}

/* mlc_tanh_f32 / _ref_f32, including the documented relative bound near 0:
   it is checked where it is tighter than the absolute one, |tanh x| < 0.6
   (5e-7 * 0.6 = 3e-7), plus the golden's U. */
static void test_golden_tanh(void) {
    const tol_t vabs = { TANH_ABS + U, 0, 0 }, vrel = { 0, TANH_REL + U, 0 }, ref = { 0, 5 * U, 0 };
    mlct_golden g;
    mlc_tensor tx;
    float *x, *want, *y, *sx, *sy, *sw;
    size_t n, i, k = 0;
    if (!mlct_golden_open(&g, "act.safetensors")) return;
    x = get(&g, "x", &tx);
    want = get(&g, "tanh", NULL);
    if (!x || !want) { free(x); free(want); mlct_golden_close(&g); return; }
    n = mlc_tensor_numel(&tx);
    y = alloc_floats(n); sx = alloc_floats(n); sy = alloc_floats(n); sw = alloc_floats(n);
    CHECK_OK(mlc_tanh_f32(y, x, n));
    CHECK_BOUND("mlc_tanh_f32 absolute", y, want, x, NULL, n, vabs);
    for (i = 0; i < n; i++)
        if (fabs(want[i]) < 0.6) { sx[k] = x[i]; sy[k] = y[i]; sw[k] = want[i]; k++; }
    CHECK(k > 100);
    CHECK_BOUND("mlc_tanh_f32 relative, |y| < 0.6", sy, sw, sx, NULL, k, vrel);
    CHECK_OK(mlc_tanh_ref_f32(y, x, n));
    CHECK_BOUND("mlc_tanh_ref_f32", y, want, x, NULL, n, ref);
    free(y); free(sx); free(sy); free(sw); free(x); free(want);
    mlct_golden_close(&g);
}

/* exp on [-87, 88]: documented 4e-7 relative (+ golden U); the reference's
   expf 4U + U. Outside the range: 0 below (true values there are
   subnormal, so |diff| < FLT_MIN), +inf above, exactly. */
static void test_golden_exp(void) {
    const tol_t vec = { 0, EXP_REL + U, 0 }, ref = { 0, 5 * U, 0 }, out = { FLT_MIN, 0, 0 };
    mlct_golden g;
    mlc_tensor tx, to;
    float *x, *want, *xo, *wo, *y;
    size_t n, no, len;
    if (!mlct_golden_open(&g, "act.safetensors")) return;
    x = get(&g, "exp_x", &tx);
    want = get(&g, "exp", NULL);
    xo = get(&g, "exp_x_out", &to);
    wo = get(&g, "exp_out", NULL);
    if (x && want && xo && wo) {
        n = mlc_tensor_numel(&tx);
        no = mlc_tensor_numel(&to);
        y = alloc_floats(n);
        CHECK_OK(mlc_exp_f32(y, x, n));
        CHECK_BOUND("mlc_exp_f32 [-87, 88]", y, want, x, NULL, n, vec);
        CHECK_OK(mlc_exp_ref_f32(y, x, n));
        CHECK_BOUND("mlc_exp_ref_f32 [-87, 88]", y, want, x, NULL, n, ref);
        for (len = 1; len < 40; len++) {   /* tails, misaligned */
            CHECK_OK(mlc_exp_f32(y + 3, x + 3 * len, len));
            CHECK_BOUND("mlc_exp_f32 tail", y + 3, want + 3 * len, x + 3 * len, NULL, len, vec);
        }
        CHECK_OK(mlc_exp_f32(y, xo, no));
        CHECK_BOUND("mlc_exp_f32 out of range", y, wo, xo, NULL, no, out);
        CHECK_OK(mlc_exp_ref_f32(y, xo, no));
        CHECK_BOUND("mlc_exp_ref_f32 out of range", y, wo, xo, NULL, no, out);
        free(y);
    }
    free(x); free(want); free(xo); free(wo);
    mlct_golden_close(&g);
}

/* ---- softmax ------------------------------------------------------------- */

/* Softmax over an axis of length n, with the exp's relative error exp_rel.
   e_j = exp(d_j), d_j = x_j - max rounded (U |d_j|, so e_j is off by
   |d_j| U relative). The sum S: exp_rel, plus the weighted mean of |d_j| U
   (weights e_j; at most about ln n), plus the summation: 2 sqrt(n) U, the
   usual probabilistic (random-walk) estimate for n additions, not the
   worst case n U.
   softmax p_i = e_i / S: exp_rel + |d_i| U (as absolute: p |d| U <= U/e)
   + rel(S) + 2U (reciprocal and product, or a division) + golden U. */
static double sum_rel(size_t n, double exp_rel) {
    return exp_rel + (1.0 + log((double)n) + 2.0 * sqrt((double)n)) * U;
}
static tol_t softmax_tol(size_t n, double exp_rel) {
    tol_t t;
    t.abs = 0.5 * U;
    t.rel = exp_rel + sum_rel(n, exp_rel) + 3 * U;
    t.xk = 0;
    return t;
}
/* log-softmax y_i = d_i - log S: rel(S) absolute, log's 2 ulp of log S
   (<= ln n, so 4U ln n), then d_i's rounding U |d_i| <= U |y_i|, the
   subtraction U |y_i| and the golden U |y_i|: 3U relative. */
static tol_t log_softmax_tol(size_t n, double exp_rel) {
    tol_t t;
    t.abs = sum_rel(n, exp_rel) + LIBM_REL * log((double)n);
    t.rel = 3 * U;
    t.xk = 0;
    return t;
}

#define N_SOFTMAX_INPUTS 6

static void test_golden_softmax(void) {
    mlct_golden g;
    int i, axis, lg;
    if (!mlct_golden_open(&g, "softmax.safetensors")) return;
    for (i = 0; i < N_SOFTMAX_INPUTS; i++) {
        char name[64];
        mlc_tensor tx, ty, tb;
        float *x, *y, *buf;
        size_t numel;
        snprintf(name, sizeof name, "x%d", i);
        x = get(&g, name, &tx);
        if (!x) continue;
        numel = mlc_tensor_numel(&tx);
        y = alloc_floats(numel); buf = alloc_floats(numel);
        ty = tx; ty.data = y;
        tb = tx; tb.data = buf;
        for (axis = 0; axis < tx.rank; axis++) {
            size_t outer = 1, inner = 1, n = (size_t)tx.shape[axis];
            int d;
            for (d = 0; d < axis; d++) outer *= (size_t)tx.shape[d];
            for (d = axis + 1; d < tx.rank; d++) inner *= (size_t)tx.shape[d];
            for (lg = 0; lg < 2; lg++) {
                const char *op = lg ? "log_softmax" : "softmax";
                tol_t vec = lg ? log_softmax_tol(n, EXP_REL) : softmax_tol(n, EXP_REL);
                tol_t ref = lg ? log_softmax_tol(n, LIBM_REL) : softmax_tol(n, LIBM_REL);
                char what[96];
                float *want;
                snprintf(name, sizeof name, "%s_x%d_axis%d", op, i, axis);
                want = get(&g, name, NULL);
                if (!want) continue;

                memset(y, 0, numel * sizeof(float));
                CHECK_OK(lg ? mlc_log_softmax(&ty, &tx, axis) : mlc_softmax(&ty, &tx, axis));
                snprintf(what, sizeof what, "mlc_%s x%d axis %d", op, i, axis);
                CHECK_BOUND(what, y, want, NULL, NULL, numel, vec);

                memset(y, 0, numel * sizeof(float));
                CHECK_OK(lg ? mlc_log_softmax(&ty, &tx, axis - tx.rank) : mlc_softmax(&ty, &tx, axis - tx.rank));
                snprintf(what, sizeof what, "mlc_%s x%d axis %d", op, i, axis - tx.rank);
                CHECK_BOUND(what, y, want, NULL, NULL, numel, vec);

                memcpy(buf, x, numel * sizeof(float));
                CHECK_OK(lg ? mlc_log_softmax(&tb, &tb, axis) : mlc_softmax(&tb, &tb, axis));
                snprintf(what, sizeof what, "mlc_%s x%d axis %d in place", op, i, axis);
                CHECK_BOUND(what, buf, want, NULL, NULL, numel, vec);

                memset(y, 0, numel * sizeof(float));
                CHECK_OK(lg ? mlc_log_softmax_f32(y, x, outer, n, inner) : mlc_softmax_f32(y, x, outer, n, inner));
                snprintf(what, sizeof what, "mlc_%s_f32 x%d axis %d", op, i, axis);
                CHECK_BOUND(what, y, want, NULL, NULL, numel, vec);

                memset(y, 0, numel * sizeof(float));
                CHECK_OK(lg ? mlc_log_softmax_ref_f32(y, x, outer, n, inner)
                            : mlc_softmax_ref_f32(y, x, outer, n, inner));
                snprintf(what, sizeof what, "mlc_%s_ref_f32 x%d axis %d", op, i, axis);
                CHECK_BOUND(what, y, want, NULL, NULL, numel, ref);
                free(want);
            }
        }
        free(x); free(y); free(buf);
    }
    mlct_golden_close(&g);
}

/* ---- linear -------------------------------------------------------------- */

static const char *const LINEAR_CASES[] = {
    "fc_1x64x10", "fc_1x1000x37", "fc_7x13x29", "fc_17x31x97", "fc_64x128x256",
    "fc_3x5x1", "fc_33x257x65", "fc_2x5x48x24", "fc_f16_5x40x12", "fc_bf16_4x24x8",
};
#define N_LINEAR ((int)(sizeof LINEAR_CASES / sizeof LINEAR_CASES[0]))

/* A case as float32: x [m,k] (leading dims flattened), W [n,k], bias or
   NULL, y [m,n], and the shapes of x and y as stored. */
typedef struct {
    mlc_tensor tx, ty;
    float *x, *w, *b, *y;
    int m, k, n;
} lin_case;

static int lin_get(mlct_golden *g, const char *prefix, lin_case *c) {
    char name[96];
    mlc_tensor tw;
    memset(c, 0, sizeof *c);
    snprintf(name, sizeof name, "%s.x", prefix);      c->x = get(g, name, &c->tx);
    snprintf(name, sizeof name, "%s.y", prefix);      c->y = get(g, name, &c->ty);
    snprintf(name, sizeof name, "%s.weight", prefix); c->w = get(g, name, &tw);
    snprintf(name, sizeof name, "%s.bias", prefix);
    if (mlc_st_find(&g->st, name)) c->b = get(g, name, NULL);
    if (!c->x || !c->y || !c->w) return 0;
    c->k = tw.shape[1];
    c->n = tw.shape[0];
    c->m = (int)(mlc_tensor_numel(&c->tx) / (size_t)c->k);
    return 1;
}
static void lin_free(lin_case *c) { free(c->x); free(c->w); free(c->b); free(c->y); }

/* y_ij = sum_k x_ik w_jk + b_j in float32 (any order, with or without fma)
   is off by at most gamma * s_ij, s_ij = sum_k |x_ik w_jk| + |b_j|. The
   worst case is gamma = (k+1) U; we use the probabilistic bound of Higham
   and Mary (2019), gamma = lambda sqrt(k+1) U, which fails with probability
   below 2 exp(-lambda^2/2) per rounding: lambda = 7 gives 5e-11, over the
   ~3e6 roundings of all cases 1.4e-4. Plus the golden's U |y|. */
static double *lin_tol(const lin_case *c) {
    double *t = (double *)malloc((size_t)c->m * (size_t)c->n * sizeof(double));
    double gamma = 7.0 * sqrt((double)c->k + 1.0) * U;
    int i, j, kk;
    for (i = 0; i < c->m; i++) for (j = 0; j < c->n; j++) {
        double s = c->b ? fabs((double)c->b[j]) : 0.0;
        for (kk = 0; kk < c->k; kk++) s += fabs((double)c->x[(size_t)i * c->k + kk] * c->w[(size_t)j * c->k + kk]);
        t[(size_t)i * c->n + j] = gamma * s + U * fabs((double)c->y[(size_t)i * c->n + j]);
    }
    return t;
}

/* A parallel_for that runs the tasks in reverse order on this thread, to
   check the split covers everything exactly once. */
static int tasks_run;
static void reverse_parallel_for(void *user, mlc_task_fn fn, void *arg, int n_tasks) {
    int i;
    (void)user;
    for (i = n_tasks - 1; i >= 0; i--) { fn(arg, i); tasks_run++; }
}

static unsigned char *aligned64(void *p) {
    return (unsigned char *)p + ((64 - ((size_t)(uintptr_t)p & 63)) & 63);
}

/* mlc_linear_load + mlc_linear_forward (plain, and with each fused act the
   golden has), serial and through a parallel_for; mlc_linear_init. A fused
   act adds to the linear tolerance: its input error grows by at most its
   Lipschitz constant, plus the act's own bound (ACTS[].vec, with the
   pre-activation y as its input). */
static void test_golden_linear(void) {
    mlct_golden g;
    int ci, a;
    if (!mlct_golden_open(&g, "linear.safetensors")) return;
    for (ci = 0; ci < N_LINEAR; ci++) {
        const char *prefix = LINEAR_CASES[ci];
        lin_case c;
        mlc_linear l;
        mlc_arena arena;
        mlc_ctx ctx;
        size_t bytes;
        void *mem;
        double *tol, *tol_act;
        float *y;
        size_t mn, i;
        int n_fused = 0;
        char what[128], name[96];
        const tol_t none = { 0, 0, 0 };
        if (!lin_get(&g, prefix, &c)) { lin_free(&c); continue; }
        mn = (size_t)c.m * (size_t)c.n;
        bytes = mlc_linear_arena_bytes(c.k, c.n, c.b != NULL);
        mem = malloc(bytes + 64);
        mlc_arena_init(&arena, aligned64(mem), bytes);
        y = alloc_floats(mn);
        tol = lin_tol(&c);
        tol_act = (double *)malloc(mn * sizeof(double));
        ctx.parallel_for = reverse_parallel_for; ctx.user = NULL; ctx.n_threads = 3;

        CHECK_OK(mlc_linear_load(&l, &g.st, prefix, &arena));
        CHECK(mlc_arena_peak(&arena) <= bytes);
        CHECK_EQ_INT(l.in_features, c.k);
        CHECK_EQ_INT(l.out_features, c.n);
        CHECK_EQ_INT(l.bias != NULL, c.b != NULL);
        {
            mlc_tensor ty = c.ty;
            ty.data = y;
            memset(y, 0, mn * sizeof(float));
            CHECK_OK(mlc_linear_forward(&l, NULL, &ty, &c.tx, MLC_ACT_NONE, 0.0f));
            snprintf(what, sizeof what, "mlc_linear_forward %s", prefix);
            CHECK_BOUND(what, y, c.y, NULL, tol, mn, none);

            memset(y, 0, mn * sizeof(float));
            tasks_run = 0;
            CHECK_OK(mlc_linear_forward(&l, &ctx, &ty, &c.tx, MLC_ACT_NONE, 0.0f));
            snprintf(what, sizeof what, "mlc_linear_forward %s parallel_for", prefix);
            CHECK_BOUND(what, y, c.y, NULL, tol, mn, none);
            /* 2^21 multiply-adds is "big" (the header: big kernels split their
               work through parallel_for); else the split went untested. */
            if ((double)c.m * c.n * c.k >= 2097152.0) CHECK(tasks_run > 1);

            for (a = 0; a < N_ACTS; a++) {
                const act_case *ac = &ACTS[a];
                float *want;
                if (!ac->fused) continue;
                snprintf(name, sizeof name, "%s.y_%s", prefix, ac->fused);
                if (!mlc_st_find(&g.st, name)) continue;
                want = get(&g, name, NULL);
                if (!want) continue;
                n_fused++;
                for (i = 0; i < mn; i++) tol_act[i] = ac->lip * tol[i];
                memset(y, 0, mn * sizeof(float));
                CHECK_OK(mlc_linear_forward(&l, NULL, &ty, &c.tx, ac->act, ac->alpha));
                snprintf(what, sizeof what, "mlc_linear_forward %s + %s", prefix, ac->fused);
                CHECK_BOUND(what, y, want, c.y, tol_act, mn, ac->vec);
                memset(y, 0, mn * sizeof(float));
                CHECK_OK(mlc_linear_forward(&l, &ctx, &ty, &c.tx, ac->act, ac->alpha));
                snprintf(what, sizeof what, "mlc_linear_forward %s + %s parallel_for", prefix, ac->fused);
                CHECK_BOUND(what, y, want, c.y, tol_act, mn, ac->vec);
                free(want);
            }
            CHECK(n_fused >= 1);

            /* mlc_linear_init from float32 arrays: the same layer. */
            mlc_arena_init(&arena, aligned64(mem), bytes);
            CHECK_OK(mlc_linear_init(&l, c.w, c.b, c.k, c.n, &arena));
            memset(y, 0, mn * sizeof(float));
            CHECK_OK(mlc_linear_forward(&l, NULL, &ty, &c.tx, MLC_ACT_NONE, 0.0f));
            snprintf(what, sizeof what, "mlc_linear_init %s", prefix);
            CHECK_BOUND(what, y, c.y, NULL, tol, mn, none);
        }
        free(tol_act); free(tol); free(y); free(mem);
        lin_free(&c);
    }
    mlct_golden_close(&g);
}

/* The GEMM entry points on the same data: mlc_gemm_f32 and mlc_gemm_ref_f32
   with W as PyTorch stores it (b_is_nk = 1, tight strides) and transposed
   (b_is_nk = 0) with padded strides whose gaps must stay untouched; the
   fused act is checked as in test_golden_linear (ref: ACTS[].ref). */
static void test_golden_gemm(void) {
    const float sentinel = -777.0f;
    mlct_golden g;
    int ci, a;
    if (!mlct_golden_open(&g, "linear.safetensors")) return;
    for (ci = 0; ci < N_LINEAR; ci++) {
        const char *prefix = LINEAR_CASES[ci];
        lin_case c;
        mlc_arena scratch;
        void *smem;
        double *tol, *tol_act;
        float *wt, *xs, *cs, *y;
        int lda, ldb, ldc, i, j, pass;
        size_t mn;
        char what[128], name[96];
        const tol_t none = { 0, 0, 0 };
        if (!lin_get(&g, prefix, &c)) { lin_free(&c); continue; }
        mn = (size_t)c.m * (size_t)c.n;
        lda = c.k + 3; ldb = c.n + 2; ldc = c.n + 5;
        wt = alloc_floats((size_t)c.k * ldb);
        xs = alloc_floats((size_t)c.m * lda);
        cs = alloc_floats((size_t)c.m * ldc);
        y = alloc_floats(mn);
        for (i = 0; i < c.k; i++) for (j = 0; j < c.n; j++) wt[(size_t)i * ldb + j] = c.w[(size_t)j * c.k + i];
        for (i = 0; i < c.m; i++) memcpy(xs + (size_t)i * lda, c.x + (size_t)i * c.k, (size_t)c.k * sizeof(float));
        smem = malloc(mlc_gemm_packed_b_floats(c.n, c.k) * sizeof(float) + 4096);
        mlc_arena_init(&scratch, smem, mlc_gemm_packed_b_floats(c.n, c.k) * sizeof(float) + 4096);
        tol = lin_tol(&c);
        tol_act = (double *)malloc(mn * sizeof(double));

        for (pass = 0; pass < 2; pass++) {   /* 0: mlc_gemm_f32, 1: mlc_gemm_ref_f32 */
            const char *fn = pass ? "mlc_gemm_ref_f32" : "mlc_gemm_f32";
            for (a = -1; a < N_ACTS; a++) {
                const act_case *ac = a >= 0 ? &ACTS[a] : NULL;
                mlc_act act = ac ? ac->act : MLC_ACT_NONE;
                float alpha = ac ? ac->alpha : 0.0f;
                float *want = c.y;
                tol_t at = none;
                if (ac) {
                    if (!ac->fused) continue;
                    snprintf(name, sizeof name, "%s.y_%s", prefix, ac->fused);
                    if (!mlc_st_find(&g.st, name)) continue;
                    want = get(&g, name, NULL);
                    if (!want) continue;
                    at = pass ? ac->ref : ac->vec;
                    for (i = 0; i < (int)mn; i++) tol_act[i] = ac->lip * tol[i];
                }
                /* b_is_nk = 1, tight */
                memset(y, 0, mn * sizeof(float));
                CHECK_OK(pass ? mlc_gemm_ref_f32(c.m, c.n, c.k, c.x, c.k, c.w, c.k, 1, c.b, y, c.n, act, alpha)
                              : mlc_gemm_f32(NULL, c.m, c.n, c.k, c.x, c.k, c.w, c.k, 1, c.b, y, c.n, act, alpha, &scratch));
                snprintf(what, sizeof what, "%s %s nk %s", fn, prefix, ac ? ac->fused : "");
                CHECK_BOUND(what, y, want, ac ? c.y : NULL, ac ? tol_act : tol, mn, at);
                /* b_is_nk = 0, strided */
                for (i = 0; i < c.m * ldc; i++) cs[i] = sentinel;
                CHECK_OK(pass ? mlc_gemm_ref_f32(c.m, c.n, c.k, xs, lda, wt, ldb, 0, c.b, cs, ldc, act, alpha)
                              : mlc_gemm_f32(NULL, c.m, c.n, c.k, xs, lda, wt, ldb, 0, c.b, cs, ldc, act, alpha, &scratch));
                for (i = 0; i < c.m; i++) {
                    memcpy(y + (size_t)i * c.n, cs + (size_t)i * ldc, (size_t)c.n * sizeof(float));
                    for (j = c.n; j < ldc; j++) CHECK(cs[(size_t)i * ldc + j] == sentinel);
                }
                snprintf(what, sizeof what, "%s %s kn strided %s", fn, prefix, ac ? ac->fused : "");
                CHECK_BOUND(what, y, want, ac ? c.y : NULL, ac ? tol_act : tol, mn, at);
                if (want != c.y) free(want);
            }
        }
        CHECK_EQ_INT(scratch.used, 0);   /* scratch is released */
        free(tol_act); free(tol); free(smem); free(wt); free(xs); free(cs); free(y);
        lin_free(&c);
    }
    mlct_golden_close(&g);
}

/* ---- bad input through the public API, on golden data --------------------- */

static void test_golden_bad_linear(void) {
    static unsigned char mem[1 << 16];
    mlct_golden g;
    mlc_arena arena;
    mlc_linear l;
    lin_case c;
    float *buf;
    size_t bytes;
    if (!mlct_golden_open(&g, "linear.safetensors")) return;
    mlc_arena_init(&arena, mem, sizeof mem);
    CHECK_ERR(mlc_linear_load(&l, &g.st, "missing", &arena), MLC_ERR_NOT_FOUND);
    CHECK_ERR(mlc_linear_load(&l, &g.st, "fc_7x13x2", &arena), MLC_ERR_NOT_FOUND);  /* a prefix of a name */
    CHECK_ERR(mlc_linear_load(&l, &g.st, "bad_rank", &arena), MLC_ERR_SHAPE);      /* weight [6] */
    CHECK_ERR(mlc_linear_load(&l, &g.st, "bad_bias", &arena), MLC_ERR_SHAPE);      /* [4,3] with bias [5] */
    CHECK_ERR(mlc_linear_load(&l, &g.st, "bad_dtype", &arena), MLC_ERR_DTYPE);     /* I32 weight */
    CHECK_ERR(mlc_linear_load(NULL, &g.st, "fc_7x13x29", &arena), MLC_ERR_NULL);
    CHECK_ERR(mlc_linear_load(&l, &g.st, NULL, &arena), MLC_ERR_NULL);

    /* Arena too small: NOMEM, and need says how much would have fitted. */
    bytes = mlc_linear_arena_bytes(13, 29, 0);
    mlc_arena_init(&arena, aligned64(mem), bytes / 2);
    CHECK_ERR(mlc_linear_load(&l, &g.st, "fc_7x13x29", &arena), MLC_ERR_NOMEM);
    CHECK(arena.need > bytes / 2);
    mlc_arena_init(&arena, aligned64(mem), bytes);
    CHECK_OK(mlc_linear_load(&l, &g.st, "fc_7x13x29", &arena));

    if (lin_get(&g, "fc_7x13x29", &c)) {   /* x [7,13] -> y [7,29] */
        mlc_tensor x = c.tx, y = c.ty;
        buf = alloc_floats(8 * 30);
        y.data = buf;
        CHECK_OK(mlc_linear_forward(&l, NULL, &y, &x, MLC_ACT_NONE, 0.0f));
        x = mlc_tensor_2d(c.x, 7, 12);           /* in_features wrong */
        CHECK_ERR(mlc_linear_forward(&l, NULL, &y, &x, MLC_ACT_NONE, 0.0f), MLC_ERR_SHAPE);
        x = c.tx; y = mlc_tensor_2d(buf, 7, 30); /* out_features wrong */
        CHECK_ERR(mlc_linear_forward(&l, NULL, &y, &x, MLC_ACT_NONE, 0.0f), MLC_ERR_SHAPE);
        y = mlc_tensor_2d(buf, 6, 29);           /* leading dims differ */
        CHECK_ERR(mlc_linear_forward(&l, NULL, &y, &x, MLC_ACT_NONE, 0.0f), MLC_ERR_SHAPE);
        y = mlc_tensor_3d(buf, 1, 7, 29);        /* ranks differ */
        CHECK_ERR(mlc_linear_forward(&l, NULL, &y, &x, MLC_ACT_NONE, 0.0f), MLC_ERR_SHAPE);
        y = c.ty; y.data = buf; x.dtype = MLC_F16;
        CHECK_ERR(mlc_linear_forward(&l, NULL, &y, &x, MLC_ACT_NONE, 0.0f), MLC_ERR_DTYPE);
        x = c.tx;
        CHECK_ERR(mlc_linear_forward(&l, NULL, &y, &x, MLC_ACT_COUNT, 0.0f), MLC_ERR_ARG);
        CHECK_ERR(mlc_linear_forward(&l, NULL, NULL, &x, MLC_ACT_NONE, 0.0f), MLC_ERR_NULL);
        CHECK_ERR(mlc_linear_forward(NULL, NULL, &y, &x, MLC_ACT_NONE, 0.0f), MLC_ERR_NULL);
        free(buf);
    }
    lin_free(&c);
    mlct_golden_close(&g);
}

static void test_golden_bad_softmax_act(void) {
    mlct_golden g;
    mlc_tensor tx, ty;
    float *x, *y;
    if (!mlct_golden_open(&g, "softmax.safetensors")) return;
    x = get(&g, "x0", &tx);   /* [3,5,7] */
    if (x) {
        y = alloc_floats(mlc_tensor_numel(&tx));
        ty = tx; ty.data = y;
        CHECK_ERR(mlc_softmax(&ty, &tx, 3), MLC_ERR_ARG);
        CHECK_ERR(mlc_softmax(&ty, &tx, -4), MLC_ERR_ARG);
        CHECK_ERR(mlc_log_softmax(&ty, &tx, 3), MLC_ERR_ARG);
        CHECK_ERR(mlc_log_softmax(&ty, &tx, -4), MLC_ERR_ARG);
        CHECK_ERR(mlc_softmax(NULL, &tx, 0), MLC_ERR_NULL);
        ty = mlc_tensor_3d(y, 3, 7, 5);          /* same numel, other shape */
        CHECK_ERR(mlc_softmax(&ty, &tx, 0), MLC_ERR_SHAPE);
        CHECK_ERR(mlc_log_softmax(&ty, &tx, 0), MLC_ERR_SHAPE);
        CHECK_ERR(mlc_activate(&ty, &tx, MLC_ACT_RELU, 0.0f), MLC_ERR_SHAPE);
        ty = tx; ty.data = y; ty.dtype = MLC_F16;
        CHECK_ERR(mlc_softmax(&ty, &tx, 0), MLC_ERR_DTYPE);
        CHECK_ERR(mlc_activate(&ty, &tx, MLC_ACT_RELU, 0.0f), MLC_ERR_DTYPE);
        ty.dtype = MLC_F32;
        CHECK_ERR(mlc_activate(&ty, &tx, MLC_ACT_COUNT, 0.0f), MLC_ERR_ARG);
        CHECK_ERR(mlc_activate(&ty, &tx, (mlc_act)-1, 0.0f), MLC_ERR_ARG);
        CHECK_ERR(mlc_act_f32(y, x, 105, MLC_ACT_COUNT, 0.0f), MLC_ERR_ARG);
        CHECK_ERR(mlc_act_f32(NULL, x, 105, MLC_ACT_RELU, 0.0f), MLC_ERR_NULL);
        CHECK_ERR(mlc_act_f32(y, NULL, 105, MLC_ACT_GELU, 0.0f), MLC_ERR_NULL);
        CHECK_OK(mlc_act_f32(NULL, NULL, 0, MLC_ACT_RELU, 0.0f));   /* n == 0: nothing to do */
        CHECK_ERR(mlc_exp_f32(NULL, x, 105), MLC_ERR_NULL);
        free(y);
    }
    free(x);
    mlct_golden_close(&g);
}

const mlct_case mlct_golden_cases[] = {
    MLCT_CASE(test_golden_act),
    MLCT_CASE(test_golden_act_tensor),
    MLCT_CASE(test_golden_act_tails),
    MLCT_CASE(test_golden_tanh),
    MLCT_CASE(test_golden_exp),
    MLCT_CASE(test_golden_softmax),
    MLCT_CASE(test_golden_linear),
    MLCT_CASE(test_golden_gemm),
    MLCT_CASE(test_golden_bad_linear),
    MLCT_CASE(test_golden_bad_softmax_act),
};
const int mlct_golden_count = (int)(sizeof mlct_golden_cases / sizeof mlct_golden_cases[0]);
