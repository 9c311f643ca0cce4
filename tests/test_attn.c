/* Norms, positions, attention and transformer layers (mlc_norm_*,
   mlc_embedding_*, mlc_sinusoidal_*, mlc_rope_*, mlc_attention_*, mlc_mha_*,
   mlc_kv_cache_*, mlc_transformer_layer_*): golden cases from PyTorch
   (tests/gen_golden_attn.py -> golden/attn.safetensors: float64 from the
   float32 inputs, rounded once), the vector kernels against their scalar
   references, the online softmax against the naive one, KV-cache decoding
   against the full causal forward, bad input, and the whole ViT-Ti/16
   against torchvision (golden/vit_ti16.safetensors, tools/export_vit.py).

   Tolerances (U = 2^-24, gamma(n) = n U / (1 - n U), the deterministic
   bound of an n-term float32 sum or dot product):
   - LayerNorm / RMSNorm, per element: with n = dim, the mean is off by at
     most gamma(n) mean|x| and rstd relatively by (n + 8) U (the sum of
     squares, sqrt, division), so
         |y - y*| <= (n + 8) U |w| rstd (|x - mean| + mean|x|) + 2 U |y|.
   - Attention, per output element (t, h, d), from the exact scores s_j,
     weights w_j and the max m: a computed score is off by
     delta_j <= scale gamma(dh) sum_d |q_d k_jd| + U (|s_j| + |s_j - m|);
     a weight p_j = exp(s_j - m) relatively by delta_j + EXP_REL, plus
     (EXP_REL + 2U) for each of the nb = ceil(S / MLC_ATTN_BK) rescalings
     by alpha; the sum l and the sum of p v add gamma(S) each, so
         |o - o*| <= sum_j w_j |v_jd| (2 (max_j delta_j + EXP_REL
                     + nb (EXP_REL + 2U)) + 2 gamma(S)) + 2 U |o|.
     The vector exp's documented bound is EXP_REL = 4e-7 (the scalar build
     uses libm's expf through the same vector layer, within it too).
   - Layers built of several GEMMs, norms and an attention (MHA, encoder
     layers, ViT block, KV-cache decoding): max|y - y*| <= 1e-5 max|y*|.
     Each GEMM of length K <= 128 is within 7 sqrt(K+1) U ~ 80 U of its
     scale with probability > 1 - 1e-10 (Higham and Mary 2019); at most 4
     such stages plus the attention bound (< 100 U at these sizes) pass
     through maps whose gain on these well-scaled random weights is O(1)
     (LayerNorm rescales by rstd ~ 1, softmax is 1-Lipschitz in the max
     norm), so ~ 4 * 80 U + 100 U ~ 420 U = 2.5e-5 with unit gains; 1e-5
     asserts that the errors do not add up coherently (measured: 1.2e-7 ..
     4.4e-7 on x86-64; MLCT_VERBOSE=1 prints them).
   - ViT-Ti/16 logits: within 1e-4 of the logits' scale (the bar;
     12 layers of the above; measured 3.9e-6). The golden logits are
     PyTorch's own float32 run, itself 2.1e-6 of the scale from float64
     (tools/export_vit.py prints it). */
#include <stdlib.h>
#include <float.h>
#include <limits.h>
#include "mlc_test.h"

/* (move to mlc_test.h with the other lists) */

#define U (1.0 / 16777216.0)
#define EXP_REL 4e-7
#ifndef MLC_ATTN_BK
#define MLC_ATTN_BK 256
#endif
#define REL_LAYER 1e-5

static double gam(double n) { return n * U / (1.0 - n * U); }

/* ---- helpers --------------------------------------------------------------- */

/* |got - want| <= tol[i] for every i; NaN/inf must match. Prints the worst. */
#define CHECK_TOL(what, got, want, tol, n) CHECK_TOL_REL(what, got, want, tol, 0.0, n)

/* max|got - want| <= rel * max|want|. */
static void check_rel(const char *file, int line, const char *what, const float *got, const float *want, size_t n,
                      double rel) {
    size_t at;
    double d, s;
    if (!got || !want) { mlct_failures++; fprintf(stderr, "  %s:%d: %s: no data\n", file, line, what); return; }
    d = mlct_max_abs_diff(got, want, n, &at);
    s = mlct_max_abs(want, n);
    if (!(d <= rel * s)) {
        mlct_failures++;
        fprintf(stderr, "  %s:%d: %s: max|diff| = %.3g = %.3g of the scale %.3g > %.3g at [%lu]: got %.9g, want %.9g\n",
                file, line, what, d, d / s, s, rel, (unsigned long)at, (double)got[at], (double)want[at]);
    } else if (getenv("MLCT_VERBOSE")) {
        printf("       %-52s max|diff|/scale %.3g (limit %.3g)\n", what, d / s, rel);
    }
}
#define CHECK_REL(what, got, want, n, rel) check_rel(__FILE__, __LINE__, (what), (got), (want), (n), (rel))

typedef struct { unsigned char *mem; mlc_arena a; } arena_t;
static void arena_open(arena_t *a, size_t bytes) {
    a->mem = (unsigned char *)malloc(bytes);
    mlc_arena_init(&a->a, a->mem, a->mem ? bytes : 0);
}
static void arena_close(arena_t *a) { free(a->mem); a->mem = NULL; }

static unsigned char *pad_bytes(const float *f, size_t n) {
    unsigned char *p = (unsigned char *)malloc(n + 1);
    size_t i;
    for (i = 0; i < n; i++) p[i] = f[i] != 0.0f;
    return p;
}

/* ---- norms ----------------------------------------------------------------- */

static double *norm_tol(const float *x, const float *w, const float *y, size_t rows, size_t n, float eps, int rms) {
    double *tol = (double *)malloc(rows * n * sizeof(double));
    size_t r, i;
    for (r = 0; r < rows; r++) {
        const float *xr = x + r * n;
        double mean = 0, mabs = 0, var = 0, rstd;
        for (i = 0; i < n; i++) { mean += xr[i]; mabs += fabs(xr[i]); }
        mean /= (double)n; mabs /= (double)n;
        if (rms) mean = 0.0;
        for (i = 0; i < n; i++) var += (xr[i] - mean) * (xr[i] - mean);
        rstd = 1.0 / sqrt(var / (double)n + eps);
        for (i = 0; i < n; i++)
            tol[r * n + i] = (double)(n + 8) * U * (w ? fabs(w[i]) : 1.0) * rstd * (fabs(xr[i] - mean) + (rms ? 0.0 : mabs)) +
                             2 * U * fabs(y[r * n + i]) + 1e-30;
    }
    return tol;
}

static void test_attn_layernorm(void) {
    mlct_golden g;
    const char *cases[2] = { "ln", "ln192" };
    const float epss[2] = { 1e-5f, 1e-6f };
    int c;
    if (!mlct_golden_open(&g, "attn.safetensors")) return;
    for (c = 0; c < 2; c++) {
        char name[64];
        mlc_tensor tx;
        float *x, *w, *b, *y, *got, *got2;
        double *tol, *tol2;
        size_t rows, n, total, i;
        mlc_norm nm;
        arena_t ar;
        snprintf(name, sizeof name, "%s.x", cases[c]); x = mlct_golden_get(&g, name, &tx);
        snprintf(name, sizeof name, "%s.weight", cases[c]); w = mlct_golden_get(&g, name, NULL);
        snprintf(name, sizeof name, "%s.bias", cases[c]); b = mlct_golden_get(&g, name, NULL);
        snprintf(name, sizeof name, "%s.y", cases[c]); y = mlct_golden_get(&g, name, NULL);
        if (!x || !w || !b || !y) { free(x); free(w); free(b); free(y); continue; }
        rows = (size_t)tx.shape[0]; n = (size_t)tx.shape[1]; total = rows * n;
        got = (float *)malloc(total * sizeof(float)); got2 = (float *)malloc(total * sizeof(float));
        tol = norm_tol(x, w, y, rows, n, epss[c], 0);
        CHECK_OK(mlc_layernorm_f32(got, x, rows, n, w, b, epss[c]));
        CHECK_TOL(cases[c], got, y, tol, total);
        CHECK_OK(mlc_layernorm_ref_f32(got2, x, rows, n, w, b, epss[c]));
        CHECK_TOL(cases[c], got2, y, tol, total);
        tol2 = (double *)malloc(total * sizeof(double));
        for (i = 0; i < total; i++) tol2[i] = 2 * tol[i];
        CHECK_TOL("layernorm vs ref", got, got2, tol2, total);
        /* mlc_norm_load + forward, in place */
        arena_open(&ar, 1 << 16);
        CHECK_OK(mlc_norm_load(&nm, &g.st, cases[c], MLC_NORM_LAYER, epss[c], &ar.a));
        CHECK(nm.dim == (int)n && nm.bias != NULL);
        memcpy(got, x, total * sizeof(float));
        {
            mlc_tensor t = mlc_tensor_2d(got, (int)rows, (int)n);
            CHECK_OK(mlc_norm_forward(&nm, &t, &t));
        }
        CHECK_TOL("mlc_norm_forward in place", got, y, tol, total);
        if (c == 0) {   /* no affine */
            float *yp = mlct_golden_get(&g, "ln.y_plain", NULL);
            double *tp = yp ? norm_tol(x, NULL, yp, rows, n, epss[c], 0) : NULL;
            CHECK_OK(mlc_layernorm_f32(got, x, rows, n, NULL, NULL, epss[c]));
            CHECK_TOL("layernorm without affine", got, yp, tp, total);
            CHECK_OK(mlc_norm_init(&nm, MLC_NORM_LAYER, NULL, NULL, (int)n, epss[c], &ar.a));
            {
                mlc_tensor tx2 = mlc_tensor_2d(x, (int)rows, (int)n), ty = mlc_tensor_2d(got2, (int)rows, (int)n);
                CHECK_OK(mlc_norm_forward(&nm, &ty, &tx2));
            }
            CHECK_TOL("mlc_norm_init without affine", got2, yp, tp, total);
            free(yp); free(tp);
        }
        arena_close(&ar);
        free(x); free(w); free(b); free(y); free(got); free(got2); free(tol); free(tol2);
    }
    mlct_golden_close(&g);
}

static void test_attn_rmsnorm(void) {
    mlct_golden g;
    mlc_tensor tx;
    float *x, *w, *y, *got, *got2;
    double *tol;
    size_t rows, n, total, i;
    mlc_norm nm;
    arena_t ar;
    if (!mlct_golden_open(&g, "attn.safetensors")) return;
    x = mlct_golden_get(&g, "rms.x", &tx); w = mlct_golden_get(&g, "rms.weight", NULL); y = mlct_golden_get(&g, "rms.y", NULL);
    if (!x || !w || !y) { free(x); free(w); free(y); mlct_golden_close(&g); return; }
    rows = (size_t)tx.shape[0]; n = (size_t)tx.shape[1]; total = rows * n;
    got = (float *)malloc(total * sizeof(float)); got2 = (float *)malloc(total * sizeof(float));
    tol = norm_tol(x, w, y, rows, n, 1e-6f, 1);
    CHECK_OK(mlc_rmsnorm_f32(got, x, rows, n, w, 1e-6f));
    CHECK_TOL("rmsnorm", got, y, tol, total);
    CHECK_OK(mlc_rmsnorm_ref_f32(got2, x, rows, n, w, 1e-6f));
    CHECK_TOL("rmsnorm ref", got2, y, tol, total);
    arena_open(&ar, 1 << 16);
    CHECK_OK(mlc_norm_load(&nm, &g.st, "rms", MLC_NORM_RMS, 1e-6f, &ar.a));
    CHECK(nm.bias == NULL && nm.kind == MLC_NORM_RMS);
    {
        mlc_tensor t1 = mlc_tensor_2d(x, (int)rows, (int)n), t2 = mlc_tensor_2d(got, (int)rows, (int)n);
        CHECK_OK(mlc_norm_forward(&nm, &t2, &t1));
    }
    CHECK_TOL("rms mlc_norm_forward", got, y, tol, total);
    /* vector vs reference over odd widths (tails) */
    {
        mlct_rng rng = { 77 };
        static const size_t dims[] = { 1, 3, 15, 16, 17, 33, 100, 257 };
        for (i = 0; i < sizeof dims / sizeof dims[0]; i++) {
            size_t d = dims[i], k, tot = 3 * d;
            float *xx = (float *)malloc(tot * sizeof(float)), *ww = (float *)malloc(d * sizeof(float));
            float *bb = (float *)malloc(d * sizeof(float)), *a = (float *)malloc(tot * sizeof(float)), *b = (float *)malloc(tot * sizeof(float));
            double *t;
            mlct_fill(&rng, xx, tot, -3.0f, 5.0f); mlct_fill(&rng, ww, d, 0.5f, 1.5f); mlct_fill(&rng, bb, d, -0.5f, 0.5f);
            CHECK_OK(mlc_layernorm_f32(a, xx, 3, d, ww, bb, 1e-5f));
            CHECK_OK(mlc_layernorm_ref_f32(b, xx, 3, d, ww, bb, 1e-5f));
            t = norm_tol(xx, ww, b, 3, d, 1e-5f, 0);
            for (k = 0; k < tot; k++) t[k] = 2 * t[k] + 2 * U * fabs(bb[k % d]);
            CHECK_TOL("layernorm vec vs ref (odd widths)", a, b, t, tot);
            free(t);
            CHECK_OK(mlc_rmsnorm_f32(a, xx, 3, d, ww, 1e-5f));
            CHECK_OK(mlc_rmsnorm_ref_f32(b, xx, 3, d, ww, 1e-5f));
            t = norm_tol(xx, ww, b, 3, d, 1e-5f, 1);
            for (k = 0; k < tot; k++) t[k] *= 2;
            CHECK_TOL("rmsnorm vec vs ref (odd widths)", a, b, t, tot);
            free(t); free(xx); free(ww); free(bb); free(a); free(b);
        }
    }
    arena_close(&ar);
    free(x); free(w); free(y); free(got); free(got2); free(tol);
    mlct_golden_close(&g);
}

/* ---- positions --------------------------------------------------------------- */

static void test_attn_positions(void) {
    mlct_golden g;
    float *tab, *far, got[64 * 20], x[2 * 4 * 20];
    double tol[64 * 20];
    int i;
    arena_t ar;
    if (!mlct_golden_open(&g, "attn.safetensors")) return;
    tab = mlct_golden_get(&g, "sin.table", NULL);
    far = mlct_golden_get(&g, "sin.far", NULL);
    /* sin/cos of an angle reduced in double: correctly rounded libm within
       1 ulp, plus the golden's rounding */
    for (i = 0; i < 64 * 20; i++) tol[i] = 2 * U * (tab ? fabs(tab[i]) : 0) + 1e-12;
    CHECK_OK(mlc_sinusoidal_table(got, 64, 20, 10000.0f));
    CHECK_TOL("sinusoidal table", got, tab, tol, 64 * 20);
    /* add at start 10000 to a [2, 4, 20] zero tensor: both rows of the batch */
    memset(x, 0, sizeof x);
    {
        mlc_tensor t = mlc_tensor_3d(x, 2, 4, 20);
        CHECK_OK(mlc_sinusoidal_add(&t, 10000, 10000.0f));
    }
    for (i = 0; i < 80; i++) tol[i] = 2 * U * (far ? fabs(far[i]) : 0) + 1e-12;
    CHECK_TOL("sinusoidal add, positions 10000..", x, far, tol, 80);
    CHECK_TOL("sinusoidal add, second sequence", x + 80, far, tol, 80);
    /* learned: a table as an embedding; positions 60..63 fit, 61..64 do not */
    arena_open(&ar, 1 << 16);
    if (tab) {
        mlc_embedding e;
        int32_t ids[3] = { 5, 0, 63 };
        float y[3 * 20], z[4 * 20];
        mlc_tensor t = mlc_tensor_2d(z, 4, 20);
        CHECK_OK(mlc_embedding_init(&e, tab, 64, 20, &ar.a));
        CHECK_OK(mlc_embedding_lookup(&e, y, ids, 3));
        CHECK(memcmp(y, tab + 5 * 20, 20 * sizeof(float)) == 0);
        CHECK(memcmp(y + 40, tab + 63 * 20, 20 * sizeof(float)) == 0);
        ids[1] = 64;
        CHECK_ERR(mlc_embedding_lookup(&e, y, ids, 3), MLC_ERR_ARG);
        ids[1] = -1;
        CHECK_ERR(mlc_embedding_lookup(&e, y, ids, 3), MLC_ERR_ARG);
        memset(z, 0, sizeof z);
        CHECK_OK(mlc_embedding_add_positions(&e, &t, 60));
        CHECK(memcmp(z, tab + 60 * 20, 4 * 20 * sizeof(float)) == 0);
        CHECK_ERR(mlc_embedding_add_positions(&e, &t, 61), MLC_ERR_SHAPE);   /* longer than the table */
        CHECK_ERR(mlc_embedding_add_positions(&e, &t, -1), MLC_ERR_ARG);
        t.shape[1] = 19;
        CHECK_ERR(mlc_embedding_add_positions(&e, &t, 0), MLC_ERR_SHAPE);
    }
    {   /* embedding_load: [N, D] and [1, N, D] */
        mlc_embedding e;
        CHECK_OK(mlc_embedding_load(&e, &g.st, "sin.table", &ar.a));
        CHECK(e.num == 64 && e.dim == 20);
        CHECK_ERR(mlc_embedding_load(&e, &g.st, "mha.x", &ar.a), MLC_ERR_SHAPE);   /* [2,11,48] */
        CHECK(strcmp(g.st.bad_name, "mha.x") == 0);
        CHECK_OK(mlc_embedding_load(&e, &g.st, "gqa.x", &ar.a));   /* [1,10,32] */
        CHECK(e.num == 10 && e.dim == 32);
        CHECK_ERR(mlc_embedding_load(&e, &g.st, "no.such", &ar.a), MLC_ERR_NOT_FOUND);
        CHECK(strcmp(g.st.bad_name, "no.such") == 0);
    }
    CHECK_ERR(mlc_sinusoidal_table(got, 4, 0, 10000.0f), MLC_ERR_ARG);
    CHECK_ERR(mlc_sinusoidal_table(got, 4, 8, 0.0f), MLC_ERR_ARG);
    arena_close(&ar);
    free(tab); free(far);
    mlct_golden_close(&g);
}

static void test_attn_rope(void) {
    mlct_golden g;
    float *x, *yh, *yi, a[9 * 32], b[9 * 32];
    double tol[9 * 32];
    mlc_rope rh, ri;
    int i, k;
    arena_t ar;
    if (!mlct_golden_open(&g, "attn.safetensors")) return;
    x = mlct_golden_get(&g, "rope.x", NULL); yh = mlct_golden_get(&g, "rope.y_half", NULL); yi = mlct_golden_get(&g, "rope.y_inter", NULL);
    arena_open(&ar, 1 << 16);
    CHECK_OK(mlc_rope_init(&rh, 16, 20, 10000.0f, 0, &ar.a));
    CHECK_OK(mlc_rope_init(&ri, 16, 20, 10000.0f, 1, &ar.a));
    if (x && yh && yi) {
        /* x' = x_a c - x_b s: c and s within 2U (table), two products and a
           sum: 5U (|x_a| + |x_b|) bounds it; that is <= 5U * 2 max|x| */
        double mx = mlct_max_abs(x, 9 * 32);
        for (i = 0; i < 9 * 32; i++) tol[i] = 10 * U * mx;
        for (k = 0; k < 2; k++) {
            const mlc_rope *r = k ? &ri : &rh;
            const float *want = k ? yi : yh;
            memcpy(a, x, sizeof a); memcpy(b, x, sizeof b);
            CHECK_OK(mlc_rope_apply(r, a, 9, 2, 32, 3));
            CHECK_OK(mlc_rope_apply_ref(r, b, 9, 2, 32, 3));
            CHECK_TOL(k ? "rope interleaved" : "rope rotate_half", a, want, tol, 9 * 32);
            CHECK_TOL(k ? "rope interleaved ref" : "rope rotate_half ref", b, want, tol, 9 * 32);
        }
        /* rows with a leading dimension: only the heads' columns change */
        {
            float w[9 * 40];
            for (i = 0; i < 9 * 40; i++) w[i] = (float)i;
            for (i = 0; i < 9; i++) memcpy(w + i * 40, x + i * 32, 32 * sizeof(float));
            CHECK_OK(mlc_rope_apply(&rh, w, 9, 2, 40, 3));
            for (i = 0; i < 9; i++) {
                memcpy(a + i * 32, w + i * 40, 32 * sizeof(float));
                CHECK(w[i * 40 + 32] == (float)(i * 40 + 32) && w[i * 40 + 39] == (float)(i * 40 + 39));
            }
            CHECK_TOL("rope with ld 40", a, yh, tol, 9 * 32);
        }
    }
    CHECK_ERR(mlc_rope_apply(&rh, a, 9, 2, 32, 12), MLC_ERR_SHAPE);   /* 12 + 9 > 20 positions */
    CHECK_OK(mlc_rope_apply(&rh, a, 9, 2, 32, 11));
    CHECK_ERR(mlc_rope_apply(&rh, a, 9, 2, 31, 0), MLC_ERR_ARG);
    CHECK_ERR(mlc_rope_apply(&rh, a, 9, 2, 32, -1), MLC_ERR_ARG);
    CHECK_ERR(mlc_rope_init(&rh, 15, 20, 10000.0f, 0, &ar.a), MLC_ERR_ARG);
    arena_close(&ar);
    free(x); free(yh); free(yi);
    mlct_golden_close(&g);
}

/* ---- attention ------------------------------------------------------------------ */

/* The per-element bound of the header comment, in double from the inputs;
   also the exact output (into exact, may be NULL). */
static double *attn_bound(const mlc_attn_dims *d, const float *q, int ldq, const float *k, int ldk,
                          const float *v, int ldv, const float *o_want, int ldo, const mlc_attn_mask *mk) {
    size_t n = (size_t)d->batch * d->q_len * ldo, i;
    double *tol = (double *)malloc(n * sizeof(double));
    double *s = (double *)malloc((size_t)d->kv_len * sizeof(double)), *dl = (double *)malloc((size_t)d->kv_len * sizeof(double));
    double sc = 1.0 / sqrt((double)d->head_dim), nb = ceil((double)d->kv_len / MLC_ATTN_BK);
    int b, h, t, j, dd, off = d->kv_len - d->q_len;
    for (i = 0; i < n; i++) tol[i] = 0.0;
    for (b = 0; b < d->batch; b++) for (h = 0; h < d->n_heads; h++) for (t = 0; t < d->q_len; t++) {
        int g = h / (d->n_heads / d->n_kv_heads), dh = d->head_dim;
        const float *qr = q + ((size_t)b * d->q_len + t) * ldq + h * dh;
        double m = -INFINITY, sum = 0.0, dmax = 0.0;
        for (j = 0; j < d->kv_len; j++) {
            const float *kr = k + ((size_t)b * d->kv_len + j) * ldk + g * dh;
            double a = 0, aa = 0;
            int vis = 1;
            if (mk && mk->causal && j > t + off) vis = 0;
            if (mk && mk->key_padding && mk->key_padding[(size_t)b * d->kv_len + j]) vis = 0;
            for (dd = 0; dd < dh; dd++) { a += (double)qr[dd] * kr[dd]; aa += fabs((double)qr[dd] * kr[dd]); }
            s[j] = vis ? a * sc : -INFINITY;
            if (vis && mk && mk->add)
                s[j] += mk->add[(size_t)b * mk->add_batch_stride + (size_t)h * mk->add_head_stride +
                                (size_t)t * (mk->add_ld ? mk->add_ld : d->kv_len) + j];
            dl[j] = sc * gam(dh) * aa;
            if (s[j] > m) m = s[j];
        }
        for (j = 0; j < d->kv_len; j++) {   /* s becomes the weight w_j */
            if (s[j] > -INFINITY) {
                double e = dl[j] + U * (fabs(s[j]) + fabs(s[j] - m));
                if (e > dmax) dmax = e;
                s[j] = exp(s[j] - m);
            } else s[j] = 0.0;
            sum += s[j];
        }
        for (dd = 0; dd < dh; dd++) {
            double acc = 0.0, rel = 2 * (dmax + EXP_REL + nb * (EXP_REL + 2 * U)) + 2 * gam(d->kv_len);
            size_t at = ((size_t)b * d->q_len + t) * ldo + h * dh + dd;
            const float *vc = v + (size_t)b * d->kv_len * ldv + g * dh + dd;
            for (j = 0; j < d->kv_len; j++) acc += s[j] * fabs((double)vc[(size_t)j * ldv]);
            tol[at] = (sum > 0 ? acc / sum : 0.0) * rel + 2 * U * fabs((double)o_want[at]) + 1e-30;
        }
    }
    free(s); free(dl);
    return tol;
}

static void test_attn_sdpa_golden(void) {
    mlct_golden g;
    static const char *names[3] = { "sdpa197", "sdpa7", "sdpa1" };
    static const int heads[3] = { 1, 2, 2 };
    int c, cz;
    if (!mlct_golden_open(&g, "attn.safetensors")) return;
    for (c = 0; c < 3; c++) for (cz = 0; cz < 2; cz++) {
        char nm[64];
        mlc_tensor tq, tk;
        float *q, *k, *v, *want, *got, *got2;
        double *tol;
        mlc_attn_dims d;
        mlc_attn_mask mk;
        arena_t ar;
        size_t n;
        int w;
        snprintf(nm, sizeof nm, "%s.q", names[c]); q = mlct_golden_get(&g, nm, &tq);
        snprintf(nm, sizeof nm, "%s.k", names[c]); k = mlct_golden_get(&g, nm, &tk);
        snprintf(nm, sizeof nm, "%s.v", names[c]); v = mlct_golden_get(&g, nm, NULL);
        snprintf(nm, sizeof nm, "%s.%s", names[c], cz ? "o_causal" : "o"); want = mlct_golden_get(&g, nm, NULL);
        if (!q || !k || !v || !want) { free(q); free(k); free(v); free(want); continue; }
        w = tq.shape[1];
        d.batch = 1; d.q_len = tq.shape[0]; d.kv_len = tk.shape[0]; d.n_heads = d.n_kv_heads = heads[c]; d.head_dim = w / heads[c];
        memset(&mk, 0, sizeof mk);
        mk.causal = cz;
        n = (size_t)d.q_len * w;
        got = (float *)malloc(n * sizeof(float)); got2 = (float *)malloc(n * sizeof(float));
        arena_open(&ar, mlc_attention_scratch_bytes(&d, NULL));
        CHECK_OK(mlc_attention_f32(NULL, &d, q, w, k, w, v, w, got, w, 0.0f, &mk, &ar.a));
        CHECK_OK(mlc_attention_ref_f32(&d, q, w, k, w, v, w, got2, w, 0.0f, &mk));
        tol = attn_bound(&d, q, w, k, w, v, w, want, w, &mk);
        CHECK_TOL(nm, got, want, tol, n);
        CHECK_TOL("ref", got2, want, tol, n);
        arena_close(&ar);
        free(q); free(k); free(v); free(want); free(got); free(got2); free(tol);
    }
    mlct_golden_close(&g);
}

/* The online softmax against the naive reference at T = 1, 7, 197, 1024
   (several key blocks), with every mask kind (none, causal, key padding
   with a sequence that keeps one key, per-(batch, head) additive with
   -inf, causal over a KV-cache shape S > T), GQA, batches, head dims 16,
   24, 40, 64, leading dims with gaps, and a parallel_for. */
static void test_attn_online_vs_naive(void) {
    static const int Ts[4] = { 1, 7, 197, 1024 };
    mlct_rng rng = { 4242 };
    int ti, mode;
    for (ti = 0; ti < 4; ti++) for (mode = 0; mode < 6; mode++) {
        int T = Ts[ti], big = T >= 1024;
        mlc_attn_dims d;
        mlc_attn_mask mk;
        int ldq, ldk, ldv, ldo, i;
        float *q, *k, *v, *o, *o2, *add = NULL;
        unsigned char *pad = NULL;
        double *tol, *tol2;
        size_t no;
        arena_t ar;
        mlc_ctx ctx;
        char what[96];
        /* the naive reference costs O(T S dh): keep it fast (and under qemu) */
        if (big && mode > 1) continue;              /* none and causal at 1024 */
        d.batch = mode == 2 || T < 100 ? 2 : 1; d.q_len = T;
        d.kv_len = mode == 5 ? T + 9 : T;           /* mode 5: a KV cache shape, causal */
        d.head_dim = big ? 16 : (mode == 4 ? 24 : (mode == 3 ? 40 : 64));
        d.n_heads = big ? 1 : (mode == 4 ? 4 : 2); d.n_kv_heads = mode == 4 ? 2 : d.n_heads;   /* mode 4: GQA */
        ldq = d.n_heads * d.head_dim + 3; ldo = d.n_heads * d.head_dim + 5;
        ldk = d.n_kv_heads * d.head_dim + 1; ldv = d.n_kv_heads * d.head_dim + 7;
        q = (float *)malloc(sizeof(float) * d.batch * T * ldq);
        k = (float *)malloc(sizeof(float) * d.batch * d.kv_len * ldk);
        v = (float *)malloc(sizeof(float) * d.batch * d.kv_len * ldv);
        no = (size_t)d.batch * T * ldo;
        o = (float *)calloc(no, sizeof(float)); o2 = (float *)calloc(no, sizeof(float));
        mlct_fill(&rng, q, (size_t)d.batch * T * ldq, -1.5f, 1.5f);
        mlct_fill(&rng, k, (size_t)d.batch * d.kv_len * ldk, -1.5f, 1.5f);
        mlct_fill(&rng, v, (size_t)d.batch * d.kv_len * ldv, -1.0f, 1.0f);
        memset(&mk, 0, sizeof mk);
        if (mode == 1 || mode == 5) mk.causal = 1;
        if (mode == 2) {   /* padding; sequence 0 of the batch keeps only key 0 */
            pad = (unsigned char *)malloc((size_t)d.batch * d.kv_len);
            for (i = 0; i < d.batch * d.kv_len; i++) pad[i] = (unsigned char)(mlct_u32(&rng) % 3 == 0);
            if (d.batch > 1) for (i = 1; i < d.kv_len; i++) pad[i] = 1;
            if (d.batch > 1) pad[0] = 0;
            mk.key_padding = pad;
        }
        if (mode == 3) {   /* a per-(batch, head) additive mask with -inf entries */
            size_t na = (size_t)d.batch * d.n_heads * T * (d.kv_len + 2);
            add = (float *)malloc(na * sizeof(float));
            mlct_fill(&rng, add, na, -2.0f, 2.0f);
            for (i = 0; i < (int)na; i += 7) add[i] = -INFINITY;
            mk.add = add; mk.add_ld = d.kv_len + 2;
            mk.add_head_stride = (size_t)T * mk.add_ld; mk.add_batch_stride = mk.add_head_stride * d.n_heads;
        }
        ctx.parallel_for = mlct_reverse_pfor; ctx.user = NULL; ctx.n_threads = 3;
        arena_open(&ar, mlc_attention_scratch_bytes(&d, &ctx));
        mlct_tasks_run = 0;
        CHECK_OK(mlc_attention_f32(mode & 1 ? &ctx : NULL, &d, q, ldq, k, ldk, v, ldv, o, ldo, 0.0f, &mk, &ar.a));
        if (mode & 1) CHECK(mlct_tasks_run > 0 || d.batch * d.n_heads * ((T + 7) / 8) < 2);
        CHECK_OK(mlc_attention_ref_f32(&d, q, ldq, k, ldk, v, ldv, o2, ldo, 0.0f, &mk));
        tol = attn_bound(&d, q, ldq, k, ldk, v, ldv, o2, ldo, &mk);
        tol2 = (double *)malloc(no * sizeof(double));
        for (i = 0; i < (int)no; i++) tol2[i] = tol[i] + 1e-30;
        /* the leading-dimension gaps of o stay untouched (0) */
        for (i = 0; i < (int)no; i++) if (i % ldo >= d.n_heads * d.head_dim) tol2[i] = 0.0;
        snprintf(what, sizeof what, "online vs naive T=%d S=%d mode %d", T, d.kv_len, mode);
        CHECK_TOL(what, o, o2, tol2, no);
        arena_close(&ar);
        free(q); free(k); free(v); free(o); free(o2); free(add); free(pad); free(tol); free(tol2);
    }
    /* a query whose keys are all masked gets 0, both ways */
    {
        mlc_attn_dims d = { 1, 3, 4, 1, 1, 8 };
        float q[24], k[32], v[32], o[24], o2[24];
        unsigned char pad[4] = { 1, 1, 1, 1 };
        mlc_attn_mask mk;
        arena_t ar;
        int i;
        memset(&mk, 0, sizeof mk);
        mk.key_padding = pad;
        mlct_fill(&rng, q, 24, -1, 1); mlct_fill(&rng, k, 32, -1, 1); mlct_fill(&rng, v, 32, -1, 1);
        arena_open(&ar, mlc_attention_scratch_bytes(&d, NULL));
        CHECK_OK(mlc_attention_f32(NULL, &d, q, 8, k, 8, v, 8, o, 8, 0.0f, &mk, &ar.a));
        CHECK_OK(mlc_attention_ref_f32(&d, q, 8, k, 8, v, 8, o2, 8, 0.0f, &mk));
        for (i = 0; i < 24; i++) CHECK(o[i] == 0.0f && o2[i] == 0.0f);
        arena_close(&ar);
    }
}

/* Memory is linear in S: the scratch for 4 S is at most ~4x that for S. */
static void test_attn_memory_linear(void) {
    mlc_attn_dims d = { 1, 1024, 1024, 4, 4, 64 };
    size_t a = mlc_attention_scratch_bytes(&d, NULL), b;
    d.q_len = d.kv_len = 4096;
    b = mlc_attention_scratch_bytes(&d, NULL);
    CHECK(a > 0 && b <= 4 * a + 4096);
    CHECK(b < (size_t)4096 * 4096 * sizeof(float) / 4);   /* far below one T x T score matrix */
}

/* ---- multi-head attention ------------------------------------------------------- */

static void test_attn_mha_golden(void) {
    mlct_golden g;
    mlc_mha m, mnb;
    arena_t ar, sc;
    mlc_tensor tx, tkv;
    float *x, *kv, *padf, *kvpadf, *add, *add3, *xnb;
    unsigned char *pad = NULL, *kvpad = NULL;
    int c;
    if (!mlct_golden_open(&g, "attn.safetensors")) return;
    arena_open(&ar, 1 << 20);
    arena_open(&sc, 1 << 20);
    CHECK_OK(mlc_mha_load(&m, &g.st, "mha", 4, &ar.a));
    CHECK(m.dim == 48 && m.n_heads == 4 && m.head_dim == 12 && m.b_qkv != NULL);
    CHECK_OK(mlc_mha_load(&mnb, &g.st, "mhanb", 4, &ar.a));
    CHECK(mnb.b_qkv == NULL && mnb.out.bias == NULL);
    x = mlct_golden_get(&g, "mha.x", &tx); kv = mlct_golden_get(&g, "mha.kv", &tkv);
    padf = mlct_golden_get(&g, "mha.pad", NULL); kvpadf = mlct_golden_get(&g, "mha.kvpad", NULL);
    add = mlct_golden_get(&g, "mha.add", NULL); add3 = mlct_golden_get(&g, "mha.add3", NULL);
    xnb = mlct_golden_get(&g, "mhanb.x", NULL);
    if (padf) pad = pad_bytes(padf, 22);
    if (kvpadf) kvpad = pad_bytes(kvpadf, 14);
    CHECK(mlc_mha_scratch_bytes(&m, 2, 11, 11, NULL) <= sc.a.size);
    for (c = 0; x && kv && pad && kvpad && add && add3 && c < 8; c++) {
        static const char *outs[8] = { "mha.y", "mha.y_causal", "mha.y_pad", "mha.y_add", "mha.y_add3",
                                       "mha.y_cross", "mha.y_cross_pad", "mhanb.y" };
        float *want = mlct_golden_get(&g, outs[c], NULL), got[2 * 11 * 48];
        mlc_tensor ty = mlc_tensor_3d(got, 2, 11, 48), txx = tx;
        mlc_attn_mask mk;
        const mlc_tensor *kvp = NULL;
        const mlc_mha *mm = &m;
        memset(&mk, 0, sizeof mk);
        switch (c) {
        case 1: mk.causal = 1; break;
        case 2: mk.key_padding = pad; break;
        case 3: mk.add = add; break;
        case 4: mk.add = add3; mk.add_head_stride = 11 * 11; mk.add_batch_stride = 4 * 11 * 11; break;
        case 5: kvp = &tkv; break;
        case 6: kvp = &tkv; mk.key_padding = kvpad; break;
        case 7: mm = &mnb; txx.data = xnb; break;
        }
        CHECK_OK(mlc_mha_forward(mm, NULL, &ty, &txx, kvp, &mk, &sc.a));
        CHECK_REL(outs[c], got, want, 2 * 11 * 48, REL_LAYER);
        CHECK(sc.a.used == 0);
        free(want);
    }
    /* in place, [T, dim] without a batch */
    if (x) {
        float *want = mlct_golden_get(&g, "mha.y", NULL), buf[11 * 48];
        mlc_tensor t = mlc_tensor_2d(buf, 11, 48);
        memcpy(buf, x + 11 * 48, sizeof buf);
        CHECK_OK(mlc_mha_forward(&m, NULL, &t, &t, NULL, NULL, &sc.a));
        if (want) CHECK_REL("mha in place, second sequence", buf, want + 11 * 48, 11 * 48, REL_LAYER);
        free(want);
    }
    free(x); free(kv); free(padf); free(kvpadf); free(add); free(add3); free(xnb); free(pad); free(kvpad);
    arena_close(&ar); arena_close(&sc);
    mlct_golden_close(&g);
}

/* Separate q/k/v/o projections with grouped-query heads, causal, with and
   without RoPE. */
static void test_attn_gqa_golden(void) {
    mlct_golden g;
    mlc_mha m;
    mlc_rope rope;
    arena_t ar, sc;
    float *x, *want, *want2, got[10 * 32];
    mlc_tensor tx, ty;
    mlc_attn_mask mk;
    if (!mlct_golden_open(&g, "attn.safetensors")) return;
    arena_open(&ar, 1 << 18); arena_open(&sc, 1 << 18);
    CHECK_OK(mlc_mha_load_qkv(&m, &g.st, "gqa.q_proj", "gqa.k_proj", "gqa.v_proj", "gqa.o_proj", 4, 2, &ar.a));
    CHECK(m.n_kv_heads == 2 && m.head_dim == 8);
    x = mlct_golden_get(&g, "gqa.x", &tx); want = mlct_golden_get(&g, "gqa.y_causal", NULL);
    want2 = mlct_golden_get(&g, "gqa.y_rope", NULL);
    ty = tx; ty.data = got;
    memset(&mk, 0, sizeof mk);
    mk.causal = 1;
    if (x && want && want2) {
        CHECK_OK(mlc_mha_forward(&m, NULL, &ty, &tx, NULL, &mk, &sc.a));
        CHECK_REL("gqa causal", got, want, 320, REL_LAYER);
        CHECK_OK(mlc_rope_init(&rope, 8, 16, 10000.0f, 0, &ar.a));
        m.rope = &rope;
        CHECK_OK(mlc_mha_forward(&m, NULL, &ty, &tx, NULL, &mk, &sc.a));
        CHECK_REL("gqa causal rope", got, want2, 320, REL_LAYER);
        CHECK_ERR(mlc_mha_forward(&m, NULL, &ty, &tx, &tx, &mk, &sc.a), MLC_ERR_UNSUPPORTED);  /* rope + cross */
        /* the same through the KV cache: prefill 4, then one token at a time */
        {
            mlc_kv_cache c;
            int t;
            float step[10 * 32];
            CHECK_OK(mlc_kv_cache_init(&c, 1, 12, 2, 8, &ar.a));
            for (t = 0; t < 10; t += t ? 1 : 4) {
                int n = t ? 1 : 4;
                mlc_tensor xi = mlc_tensor_2d((float *)x + t * 32, n, 32), yi = mlc_tensor_2d(step + t * 32, n, 32);
                CHECK_OK(mlc_mha_forward_cached(&m, NULL, &yi, &xi, &c, 0, &sc.a));
                CHECK_OK(mlc_kv_cache_advance(&c, n));
            }
            CHECK_REL("gqa rope via KV cache", step, want2, 320, REL_LAYER);
        }
    }
    free(x); free(want); free(want2);
    arena_close(&ar); arena_close(&sc);
    mlct_golden_close(&g);
}

/* ---- transformer layers ------------------------------------------------------------ */

static void test_attn_encoder_golden(void) {
    mlct_golden g;
    static const char *cfg[4] = { "tel_post_relu", "tel_post_gelu", "tel_pre_relu", "tel_pre_gelu" };
    int c, k;
    if (!mlct_golden_open(&g, "attn.safetensors")) return;
    for (c = 0; c < 4; c++) {
        char nm[64];
        mlc_transformer_layer l;
        arena_t ar, sc;
        mlc_tensor tx;
        float *x, *padf;
        unsigned char *pad = NULL;
        mlc_ctx ctx;
        arena_open(&ar, 1 << 20);
        CHECK_OK(mlc_transformer_layer_load_torch(&l, &g.st, cfg[c], 4, c >= 2, c & 1 ? MLC_ACT_GELU : MLC_ACT_RELU,
                                                  1e-5f, &ar.a));
        arena_open(&sc, mlc_transformer_layer_scratch_bytes(&l, 2, 9, NULL));
        snprintf(nm, sizeof nm, "%s.x", cfg[c]); x = mlct_golden_get(&g, nm, &tx);
        snprintf(nm, sizeof nm, "%s.pad", cfg[c]); padf = mlct_golden_get(&g, nm, NULL);
        if (padf) pad = pad_bytes(padf, 18);
        ctx.parallel_for = mlct_reverse_pfor; ctx.user = NULL; ctx.n_threads = 2;
        for (k = 0; x && pad && k < 3; k++) {
            static const char *outs[3] = { "y", "y_pad", "y_causal" };
            float *want, got[2 * 9 * 32];
            mlc_tensor ty = tx;
            mlc_attn_mask mk;
            char what[96];
            snprintf(nm, sizeof nm, "%s.%s", cfg[c], outs[k]); want = mlct_golden_get(&g, nm, NULL);
            memset(&mk, 0, sizeof mk);
            if (k == 1) mk.key_padding = pad;
            if (k == 2) mk.causal = 1;
            memcpy(got, x, sizeof got);
            ty.data = got;
            CHECK_OK(mlc_transformer_layer_forward(&l, NULL, &ty, &ty, &mk, &sc.a));   /* in place */
            snprintf(what, sizeof what, "%s.%s", cfg[c], outs[k]);
            CHECK_REL(what, got, want, 2 * 9 * 32, REL_LAYER);
            free(want);
        }
        /* with a ctx (tasks in reverse order), scratch sized for it */
        if (x) {
            float *want = NULL, got[2 * 9 * 32];
            mlc_tensor ty = tx;
            arena_t sc2;
            snprintf(nm, sizeof nm, "%s.y", cfg[c]); want = mlct_golden_get(&g, nm, NULL);
            arena_open(&sc2, mlc_transformer_layer_scratch_bytes(&l, 2, 9, &ctx));
            ty.data = got;
            CHECK_OK(mlc_transformer_layer_forward(&l, &ctx, &ty, &tx, NULL, &sc2.a));
            CHECK_REL("encoder layer with parallel_for", got, want, 2 * 9 * 32, REL_LAYER);
            arena_close(&sc2);
            free(want);
        }
        free(x); free(padf); free(pad);
        arena_close(&ar); arena_close(&sc);
    }
    mlct_golden_close(&g);
}

static void test_attn_vitblock_golden(void) {
    mlct_golden g;
    mlc_transformer_layer l;
    arena_t ar, sc;
    mlc_tensor tx, ty;
    float *x, *want, got[13 * 48];
    if (!mlct_golden_open(&g, "attn.safetensors")) return;
    arena_open(&ar, 1 << 20);
    CHECK_OK(mlc_transformer_layer_load_vit(&l, &g.st, "vitblock", 3, &ar.a));
    CHECK(l.norm_first == 1 && l.act == MLC_ACT_GELU && l.ff_dim == 96 && l.norm1.eps == 1e-6f);
    arena_open(&sc, mlc_transformer_layer_scratch_bytes(&l, 1, 13, NULL));
    x = mlct_golden_get(&g, "vitblock.x", &tx); want = mlct_golden_get(&g, "vitblock.y", NULL);
    ty = tx; ty.data = got;
    if (x && want) {
        CHECK_OK(mlc_transformer_layer_forward(&l, NULL, &ty, &tx, NULL, &sc.a));
        CHECK_REL("vit EncoderBlock", got, want, 13 * 48, REL_LAYER);
    }
    free(x); free(want);
    arena_close(&ar); arena_close(&sc);
    mlct_golden_close(&g);
}

/* A LLaMA-style block put together by hand (RMSNorm, GQA with RoPE, SwiGLU,
   Hugging Face names, no biases), causal, against PyTorch; then the same
   through the KV cache. */
static void test_attn_llama_golden(void) {
    mlct_golden g;
    mlc_transformer_layer l;
    mlc_rope rope;
    mlc_kv_cache c;
    arena_t ar, sc;
    mlc_tensor tx, ty;
    mlc_attn_mask mk;
    float *x, *want, got[10 * 32], step[10 * 32];
    int t;
    if (!mlct_golden_open(&g, "attn.safetensors")) return;
    arena_open(&ar, 1 << 20);
    memset(&l, 0, sizeof l);
    CHECK_OK(mlc_mha_load_qkv(&l.attn, &g.st, "llama.self_attn.q_proj", "llama.self_attn.k_proj",
                              "llama.self_attn.v_proj", "llama.self_attn.o_proj", 4, 2, &ar.a));
    CHECK_OK(mlc_rope_init(&rope, 8, 16, 10000.0f, 0, &ar.a));
    l.attn.rope = &rope;
    CHECK(l.attn.b_qkv == NULL && l.attn.out.bias == NULL);
    CHECK_OK(mlc_norm_load(&l.norm1, &g.st, "llama.input_layernorm", MLC_NORM_RMS, 1e-6f, &ar.a));
    CHECK_OK(mlc_norm_load(&l.norm2, &g.st, "llama.post_attention_layernorm", MLC_NORM_RMS, 1e-6f, &ar.a));
    CHECK_OK(mlc_linear_load(&l.ff1, &g.st, "llama.mlp.gate_proj", &ar.a));
    CHECK_OK(mlc_linear_load(&l.ff3, &g.st, "llama.mlp.up_proj", &ar.a));
    CHECK_OK(mlc_linear_load(&l.ff2, &g.st, "llama.mlp.down_proj", &ar.a));
    l.gated = 1; l.act = MLC_ACT_SILU; l.norm_first = 1;
    CHECK_OK(mlc_transformer_layer_check(&l));
    CHECK(l.ff_dim == 48);
    x = mlct_golden_get(&g, "llama.x", &tx); want = mlct_golden_get(&g, "llama.y_causal", NULL);
    if (x && want && !mlct_failures) {
        arena_open(&sc, mlc_transformer_layer_scratch_bytes(&l, 1, 10, NULL) +
                        mlc_transformer_layer_cached_scratch_bytes(&l, 10, 12, NULL));
        memset(&mk, 0, sizeof mk);
        mk.causal = 1;
        ty = tx; ty.data = got;
        CHECK_OK(mlc_transformer_layer_forward(&l, NULL, &ty, &tx, &mk, &sc.a));
        CHECK_REL("llama block (RMSNorm, GQA, RoPE, SwiGLU)", got, want, 320, REL_LAYER);
        CHECK_OK(mlc_kv_cache_init(&c, 1, 12, 2, 8, &ar.a));
        for (t = 0; t < 10; t += t ? 1 : 3) {
            int n = t ? 1 : 3;
            mlc_tensor xi = mlc_tensor_2d(x + t * 32, n, 32), yi = mlc_tensor_2d(step + t * 32, n, 32);
            CHECK_OK(mlc_transformer_layer_forward_cached(&l, NULL, &yi, &xi, &c, 0, &sc.a));
            CHECK_OK(mlc_kv_cache_advance(&c, n));
        }
        CHECK_REL("llama block via the KV cache", step, want, 320, REL_LAYER);
        arena_close(&sc);
    }
    free(x); free(want);
    arena_close(&ar);
    mlct_golden_close(&g);
}

/* ---- KV cache ------------------------------------------------------------------------ */

/* A random layer: pre-norm; variant 0: LayerNorm, MHA, GELU MLP; variant 1:
   RMSNorm, GQA (4 heads over 2), RoPE, SwiGLU; variant 2: post-norm, ReLU. */
static void random_layer(mlc_transformer_layer *l, int variant, const mlc_rope *rope, mlct_rng *rng, mlc_arena *a) {
    enum { D = 32, FF = 48 };
    float w[4][D * D], b[4][D], f1[FF * D], f2[D * FF], f3[FF * D], fb[FF], nw[D], nb[D];
    int i, kv = variant == 1 ? D / 2 : D;
    float s = 1.0f / sqrtf((float)D);
    for (i = 0; i < 4; i++) { mlct_fill(rng, w[i], D * D, -s * 1.7f, s * 1.7f); mlct_fill(rng, b[i], D, -0.2f, 0.2f); }
    mlct_fill(rng, f1, FF * D, -s * 1.7f, s * 1.7f); mlct_fill(rng, f3, FF * D, -s * 1.7f, s * 1.7f);
    mlct_fill(rng, f2, D * FF, -1.7f / sqrtf((float)FF), 1.7f / sqrtf((float)FF)); mlct_fill(rng, fb, FF, -0.2f, 0.2f);
    mlct_fill(rng, nw, D, 0.7f, 1.3f); mlct_fill(rng, nb, D, -0.2f, 0.2f);
    memset(l, 0, sizeof *l);
    CHECK_OK(mlc_mha_init(&l->attn, D, 4, variant == 1 ? 2 : 4, w[0], w[1], w[2], b[0], b[1], b[2], w[3], b[3], a));
    (void)kv;
    l->attn.rope = variant == 1 ? rope : NULL;
    CHECK_OK(mlc_norm_init(&l->norm1, variant == 1 ? MLC_NORM_RMS : MLC_NORM_LAYER, nw, variant == 1 ? NULL : nb, D, 1e-5f, a));
    CHECK_OK(mlc_norm_init(&l->norm2, variant == 1 ? MLC_NORM_RMS : MLC_NORM_LAYER, nw, variant == 1 ? NULL : nb, D, 1e-5f, a));
    CHECK_OK(mlc_linear_init(&l->ff1, f1, fb, D, FF, a));
    CHECK_OK(mlc_linear_init(&l->ff2, f2, b[0], FF, D, a));
    if (variant == 1) { CHECK_OK(mlc_linear_init(&l->ff3, f3, NULL, D, FF, a)); l->gated = 1; }
    l->act = variant == 1 ? MLC_ACT_SILU : (variant == 2 ? MLC_ACT_RELU : MLC_ACT_GELU);
    l->norm_first = variant != 2;
    CHECK_OK(mlc_transformer_layer_check(l));
}

/* Two layers, T = 40 tokens: the full causal forward against a prefill of
   5 then token-by-token decoding through the cache (and a second prefill
   of 3 in the middle), for each variant. */
static void test_attn_kv_cache(void) {
    enum { D = 32, T = 40, L = 2 };
    mlct_rng rng = { 99 };
    int variant;
    for (variant = 0; variant < 3; variant++) {
        mlc_transformer_layer layers[L];
        mlc_rope rope;
        mlc_kv_cache c;
        arena_t ar, sc;
        float x[T * D], full[T * D], step[T * D], tmp[T * D];
        mlc_attn_mask mk;
        mlc_tensor t;
        int i, pos;
        char what[64];
        arena_open(&ar, 1 << 20);
        CHECK_OK(mlc_rope_init(&rope, 8, 64, 10000.0f, 0, &ar.a));
        for (i = 0; i < L; i++) random_layer(&layers[i], variant, &rope, &rng, &ar.a);
        mlct_fill(&rng, x, T * D, -1.0f, 1.0f);
        arena_open(&sc, mlc_transformer_layer_scratch_bytes(&layers[0], 1, T, NULL) +
                        mlc_transformer_layer_cached_scratch_bytes(&layers[0], T, 64, NULL));
        memset(&mk, 0, sizeof mk);
        mk.causal = 1;
        memcpy(full, x, sizeof x);
        t = mlc_tensor_2d(full, T, D);
        for (i = 0; i < L; i++) CHECK_OK(mlc_transformer_layer_forward(&layers[i], NULL, &t, &t, &mk, &sc.a));
        CHECK_OK(mlc_kv_cache_init(&c, L, 64, variant == 1 ? 2 : 4, 8, &ar.a));
        for (pos = 0; pos < T;) {
            int n = pos == 0 ? 5 : (pos == 20 ? 3 : 1);
            mlc_tensor ti = mlc_tensor_3d(tmp, 1, n, D);
            memcpy(tmp, x + pos * D, (size_t)n * D * sizeof(float));
            for (i = 0; i < L; i++) CHECK_OK(mlc_transformer_layer_forward_cached(&layers[i], NULL, &ti, &ti, &c, i, &sc.a));
            CHECK_OK(mlc_kv_cache_advance(&c, n));
            memcpy(step + pos * D, tmp, (size_t)n * D * sizeof(float));
            pos += n;
        }
        CHECK(c.len == T);
        snprintf(what, sizeof what, "KV-cache decoding == full causal (variant %d)", variant);
        CHECK_REL(what, step, full, T * D, REL_LAYER);
        /* the cache is full at 64: 25 more tokens do not fit */
        {
            float big[25 * D];
            mlc_tensor tb = mlc_tensor_2d(big, 25, D);
            memset(big, 0, sizeof big);
            CHECK_ERR(mlc_transformer_layer_forward_cached(&layers[0], NULL, &tb, &tb, &c, 0, &sc.a), MLC_ERR_SHAPE);
            CHECK_ERR(mlc_kv_cache_advance(&c, 25), MLC_ERR_SHAPE);
            CHECK_ERR(mlc_transformer_layer_forward_cached(&layers[0], NULL, &tb, &tb, &c, 2, &sc.a), MLC_ERR_ARG);
            mlc_kv_cache_reset(&c);
            CHECK(c.len == 0);
        }
        arena_close(&ar); arena_close(&sc);
    }
}

/* ---- bad input ------------------------------------------------------------------------ */

static void test_attn_bad_input(void) {
    mlct_golden g;
    arena_t ar;
    mlc_mha m;
    mlc_transformer_layer l;
    mlc_norm nm;
    float w[64 * 64], y[64], x[64];
    mlc_attn_dims d = { 1, 4, 4, 4, 4, 8 };
    if (!mlct_golden_open(&g, "attn.safetensors")) return;
    arena_open(&ar, 1 << 20);
    memset(w, 0, sizeof w); memset(x, 0, sizeof x);
    /* heads not dividing the width, kv heads not dividing heads */
    CHECK_ERR(mlc_mha_init(&m, 30, 4, 4, w, w, w, NULL, NULL, NULL, w, NULL, &ar.a), MLC_ERR_ARG);
    CHECK_ERR(mlc_mha_init(&m, 32, 4, 3, w, w, w, NULL, NULL, NULL, w, NULL, &ar.a), MLC_ERR_ARG);
    CHECK_ERR(mlc_mha_init(&m, 32, 4, 4, w, w, w, w, NULL, NULL, w, NULL, &ar.a), MLC_ERR_NULL);
    CHECK_ERR(mlc_mha_load(&m, &g.st, "mha", 5, &ar.a), MLC_ERR_ARG);   /* 48 % 5 */
    CHECK_ERR(mlc_mha_load(&m, &g.st, "mha", 0, &ar.a), MLC_ERR_ARG);
    /* missing and mis-shaped tensors name themselves */
    CHECK_ERR(mlc_mha_load(&m, &g.st, "nope", 4, &ar.a), MLC_ERR_NOT_FOUND);
    CHECK(strcmp(g.st.bad_name, "nope.in_proj_weight") == 0);
    CHECK_ERR(mlc_mha_load(&m, &g.st, "bad_mha", 4, &ar.a), MLC_ERR_SHAPE);
    CHECK(strcmp(g.st.bad_name, "bad_mha.in_proj_weight") == 0);
    CHECK_ERR(mlc_mha_load_qkv(&m, &g.st, "gqa.q_proj", "gqa.k_proj", "gqa.nope", "gqa.o_proj", 4, 2, &ar.a), MLC_ERR_NOT_FOUND);
    CHECK(strcmp(g.st.bad_name, "gqa.nope.weight") == 0);
    CHECK_ERR(mlc_mha_load_qkv(&m, &g.st, "gqa.q_proj", "gqa.k_proj", "gqa.v_proj", "gqa.o_proj", 4, 4, &ar.a), MLC_ERR_SHAPE);
    CHECK(strcmp(g.st.bad_name, "gqa.k_proj.weight") == 0);   /* 16 rows, 4 kv heads want 32 */
    CHECK_ERR(mlc_mha_load_qkv(&m, &g.st, "gqa.q_proj", "gqa.k_proj", "gqa.v_proj", "gqa.x_proj", 4, 2, &ar.a), MLC_ERR_NOT_FOUND);
    CHECK(strcmp(g.st.bad_name, "gqa.x_proj.weight") == 0);
    CHECK_ERR(mlc_transformer_layer_load_torch(&l, &g.st, "bad_tel", 4, 0, MLC_ACT_RELU, 1e-5f, &ar.a), MLC_ERR_SHAPE);
    CHECK(strcmp(g.st.bad_name, "bad_tel.linear2.weight") == 0);
    CHECK_ERR(mlc_transformer_layer_load_torch(&l, &g.st, "mha", 4, 0, MLC_ACT_RELU, 1e-5f, &ar.a), MLC_ERR_NOT_FOUND);
    CHECK(strcmp(g.st.bad_name, "mha.self_attn.in_proj_weight") == 0);
    CHECK_ERR(mlc_transformer_layer_load_vit(&l, &g.st, "tel_pre_gelu", 4, &ar.a), MLC_ERR_NOT_FOUND);
    CHECK(strcmp(g.st.bad_name, "tel_pre_gelu.self_attention.in_proj_weight") == 0);
    CHECK_ERR(mlc_transformer_layer_load_torch(&l, &g.st, "tel_pre_gelu", 3, 1, MLC_ACT_GELU, 1e-5f, &ar.a), MLC_ERR_ARG);
    CHECK_ERR(mlc_norm_load(&nm, &g.st, "nope", MLC_NORM_LAYER, 1e-5f, &ar.a), MLC_ERR_NOT_FOUND);
    CHECK(strcmp(g.st.bad_name, "nope.weight") == 0);
    CHECK_ERR(mlc_norm_load(&nm, &g.st, "ln", MLC_NORM_LAYER, -1.0f, &ar.a), MLC_ERR_ARG);
    CHECK_ERR(mlc_norm_init(&nm, MLC_NORM_RMS, w, w, 8, 1e-5f, &ar.a), MLC_ERR_ARG);   /* RMSNorm has no bias */
    CHECK_OK(mlc_norm_init(&nm, MLC_NORM_LAYER, w, w, 8, 1e-5f, &ar.a));
    {
        mlc_tensor tx = mlc_tensor_2d(x, 2, 9), ty = mlc_tensor_2d(y, 2, 9);
        CHECK_ERR(mlc_norm_forward(&nm, &ty, &tx), MLC_ERR_SHAPE);
    }
    /* attention arguments */
    {
        float q[4 * 32], o[4 * 32];
        mlc_arena small;
        unsigned char sm[256];
        memset(q, 0, sizeof q);
        CHECK_ERR(mlc_attention_f32(NULL, &d, q, 31, q, 32, q, 32, o, 32, 0.0f, NULL, &ar.a), MLC_ERR_ARG);
        CHECK_ERR(mlc_attention_f32(NULL, &d, q, 32, q, 32, q, 32, o, 31, 0.0f, NULL, &ar.a), MLC_ERR_ARG);
        CHECK_ERR(mlc_attention_f32(NULL, &d, NULL, 32, q, 32, q, 32, o, 32, 0.0f, NULL, &ar.a), MLC_ERR_NULL);
        CHECK_ERR(mlc_attention_f32(NULL, NULL, q, 32, q, 32, q, 32, o, 32, 0.0f, NULL, &ar.a), MLC_ERR_NULL);
        CHECK_ERR(mlc_attention_ref_f32(&d, q, 32, q, 32, q, 32, o, 16, 0.0f, NULL), MLC_ERR_ARG);
        d.n_kv_heads = 3;
        CHECK_ERR(mlc_attention_f32(NULL, &d, q, 32, q, 32, q, 32, o, 32, 0.0f, NULL, &ar.a), MLC_ERR_ARG);
        CHECK(mlc_attention_scratch_bytes(&d, NULL) == 0);
        d.n_kv_heads = 4; d.q_len = 0;
        CHECK_ERR(mlc_attention_f32(NULL, &d, q, 32, q, 32, q, 32, o, 32, 0.0f, NULL, &ar.a), MLC_ERR_ARG);
        d.q_len = 4;
        mlc_arena_init(&small, sm, sizeof sm);
        CHECK_ERR(mlc_attention_f32(NULL, &d, q, 32, q, 32, q, 32, o, 32, 0.0f, NULL, &small), MLC_ERR_NOMEM);
        CHECK(small.used == 0);
    }
    /* MHA and layer forward: width, rank, scratch */
    CHECK_OK(mlc_mha_load(&m, &g.st, "mha", 4, &ar.a));
    {
        float xx[2 * 11 * 48], yy[2 * 11 * 48];
        mlc_tensor tx = mlc_tensor_3d(xx, 2, 11, 48), ty = mlc_tensor_3d(yy, 2, 11, 48), bad = mlc_tensor_3d(xx, 2, 11, 47);
        mlc_tensor kv3 = mlc_tensor_3d(xx, 1, 11, 48);
        mlc_arena small;
        unsigned char sm[1024];
        memset(xx, 0, sizeof xx);
        CHECK_ERR(mlc_mha_forward(&m, NULL, &ty, &bad, NULL, NULL, &ar.a), MLC_ERR_SHAPE);
        CHECK_ERR(mlc_mha_forward(&m, NULL, &ty, &tx, &kv3, NULL, &ar.a), MLC_ERR_SHAPE);   /* batch 1 vs 2 */
        mlc_arena_init(&small, sm, sizeof sm);
        CHECK_ERR(mlc_mha_forward(&m, NULL, &ty, &tx, NULL, NULL, &small), MLC_ERR_NOMEM);
        CHECK(small.used == 0);
        memset(&l, 0, sizeof l);
        CHECK_ERR(mlc_transformer_layer_forward(&l, NULL, &ty, &tx, NULL, &ar.a), MLC_ERR_NULL);
    }
    arena_close(&ar);
    mlct_golden_close(&g);
}

/* The additive mask's row stride add_ld must be 0 (= S) or >= S: a negative
   one used to be cast to size_t and read far outside the mask (UBSan: pointer
   overflow; a segfault without sanitizers). */
static void test_attn_mask_ld(void) {
    mlc_attn_dims d = { 1, 4, 4, 2, 2, 8 };
    float q[4 * 16], o[4 * 16], add[4 * 4];
    mlc_attn_mask mk;
    arena_t sc;
    int i;
    for (i = 0; i < 4 * 16; i++) q[i] = (float)(i % 5) * 0.1f;
    memset(add, 0, sizeof add);
    memset(&mk, 0, sizeof mk);
    mk.add = add;
    arena_open(&sc, mlc_attention_scratch_bytes(&d, NULL));
    mk.add_ld = -1;
    CHECK_ERR(mlc_attention_f32(NULL, &d, q, 16, q, 16, q, 16, o, 16, 0.0f, &mk, &sc.a), MLC_ERR_ARG);
    CHECK_ERR(mlc_attention_ref_f32(&d, q, 16, q, 16, q, 16, o, 16, 0.0f, &mk), MLC_ERR_ARG);
    mk.add_ld = 3;   /* rows of the mask would overlap */
    CHECK_ERR(mlc_attention_f32(NULL, &d, q, 16, q, 16, q, 16, o, 16, 0.0f, &mk, &sc.a), MLC_ERR_ARG);
    CHECK_ERR(mlc_attention_ref_f32(&d, q, 16, q, 16, q, 16, o, 16, 0.0f, &mk), MLC_ERR_ARG);
    CHECK(sc.a.used == 0);
    mk.add_ld = 4;
    CHECK_OK(mlc_attention_f32(NULL, &d, q, 16, q, 16, q, 16, o, 16, 0.0f, &mk, &sc.a));
    CHECK_OK(mlc_attention_ref_f32(&d, q, 16, q, 16, q, 16, o, 16, 0.0f, &mk));
    mk.add_ld = 0;
    CHECK_OK(mlc_attention_f32(NULL, &d, q, 16, q, 16, q, 16, o, 16, 0.0f, &mk, &sc.a));
    arena_close(&sc);
}

/* A layer put together by hand and run without mlc_transformer_layer_check
   (dim/ff_dim left 0), or with a stale ff_dim: forward used to size its
   buffers from those fields (a 0-byte buffer that the attention then wrote
   B*T*dim floats into, MLC_ERR_ARG after the damage) while the GEMMs wrote
   what the weights say. Now it runs on a checked copy; the scratch sizes
   agree and an arena of exactly that size suffices. */
static void test_attn_layer_unchecked(void) {
    enum { D = 16, F = 32, T = 5 };
    static float w[F * F], xb[T * D], y1[T * D], y2[T * D];
    mlc_transformer_layer l, lc;
    arena_t ar, sc;
    mlc_tensor x = mlc_tensor_2d(xb, T, D), y;
    mlc_attn_mask causal;
    int i, stale;
    memset(&causal, 0, sizeof causal);
    causal.causal = 1;
    for (i = 0; i < F * F; i++) w[i] = (float)((i * 37) % 11 - 5) * 0.02f;
    for (i = 0; i < T * D; i++) xb[i] = (float)(i % 7) * 0.1f - 0.3f;
    arena_open(&ar, 1 << 18);
    memset(&l, 0, sizeof l);
    CHECK_OK(mlc_mha_init(&l.attn, D, 2, 2, w, w, w, NULL, NULL, NULL, w, NULL, &ar.a));
    CHECK_OK(mlc_linear_init(&l.ff1, w, NULL, D, F, &ar.a));
    CHECK_OK(mlc_linear_init(&l.ff2, w, NULL, F, D, &ar.a));
    CHECK_OK(mlc_norm_init(&l.norm1, MLC_NORM_LAYER, NULL, NULL, D, 1e-5f, &ar.a));
    CHECK_OK(mlc_norm_init(&l.norm2, MLC_NORM_LAYER, NULL, NULL, D, 1e-5f, &ar.a));
    l.act = MLC_ACT_RELU;
    lc = l;
    CHECK_OK(mlc_transformer_layer_check(&lc));
    CHECK_EQ_INT(mlc_transformer_layer_scratch_bytes(&l, 1, T, NULL), mlc_transformer_layer_scratch_bytes(&lc, 1, T, NULL));
    CHECK_EQ_INT(mlc_transformer_layer_cached_scratch_bytes(&l, T, 8, NULL),
                 mlc_transformer_layer_cached_scratch_bytes(&lc, T, 8, NULL));
    arena_open(&sc, mlc_transformer_layer_scratch_bytes(&lc, 1, T, NULL));
    y = mlc_tensor_2d(y2, T, D);
    CHECK_OK(mlc_transformer_layer_forward(&lc, NULL, &y, &x, &causal, &sc.a));
    for (stale = 0; stale < 2; stale++) {
        if (stale) { l.dim = D; l.ff_dim = 1; }   /* checked once, then ff1 widened */
        y = mlc_tensor_2d(y1, T, D);
        memset(y1, 0, sizeof y1);
        mlc_arena_reset(&sc.a, 0);
        CHECK_OK(mlc_transformer_layer_forward(&l, NULL, &y, &x, &causal, &sc.a));
        CHECK(memcmp(y1, y2, sizeof y1) == 0);
        CHECK_EQ_INT(l.ff_dim, stale ? 1 : 0);   /* l itself is not written */
    }
    {
        mlc_kv_cache c;
        arena_t kc;
        arena_open(&kc, mlc_kv_cache_bytes(1, 8, 2, D / 2));
        CHECK_OK(mlc_kv_cache_init(&c, 1, 8, 2, D / 2, &kc.a));
        arena_close(&sc);
        arena_open(&sc, mlc_transformer_layer_cached_scratch_bytes(&lc, T, 8, NULL));
        y = mlc_tensor_2d(y1, T, D);
        CHECK_OK(mlc_transformer_layer_forward_cached(&l, NULL, &y, &x, &c, 0, &sc.a));
        CHECK_CLOSE(y1, y2, (size_t)T * D, 1e-5);
        arena_close(&kc);
    }
    arena_close(&sc);
    arena_close(&ar);
}

/* ---- ViT-Ti/16, whole model --------------------------------------------------------------- */

/* torchvision's VisionTransformer, as examples/vit.c runs it (kept short):
   patch embedding as a GEMM over 16x16x3 patches, class token, learned
   positions, 12 encoder blocks, final LayerNorm on the class token, head. */
static void test_attn_vit_ti16(void) {
    enum { P = 16, S = 224, N = (S / P) * (S / P), T = N + 1, D = 192, L = 12, H = 3 };
    mlct_golden g;
    arena_t ar, sc;
    mlc_transformer_layer layers[L];
    mlc_embedding pos;
    mlc_norm ln;
    mlc_linear head, patch;
    const mlc_st_tensor *cw;
    float *input, *logits_ref, *wperm, *cls, *x, *patches, logits[1000];
    int i, py, px, c, kh, o;
    char name[96];
    if (!mlct_golden_open(&g, "vit_ti16.safetensors")) return;
    arena_open(&ar, (size_t)40 << 20);
    input = mlct_golden_get(&g, "golden.input", NULL);
    logits_ref = mlct_golden_get(&g, "golden.logits", NULL);
    cls = mlct_golden_get(&g, "class_token", NULL);
    cw = mlc_st_find(&g.st, "conv_proj.weight");
    CHECK(cw && cw->rank == 4 && cw->shape[0] == D && cw->shape[1] == 3 && cw->shape[2] == P);
    if (!input || !logits_ref || !cls || !cw || cw->numel != (size_t)D * 3 * P * P) {
        free(input); free(logits_ref); free(cls); arena_close(&ar); mlct_golden_close(&g); return;
    }
    /* OIHW -> [D][(kh, kw, c)] to match NHWC patches */
    wperm = (float *)malloc((size_t)D * P * P * 3 * sizeof(float));
    {
        float *w = mlct_golden_get(&g, "conv_proj.weight", NULL), *b = mlct_golden_get(&g, "conv_proj.bias", NULL);
        for (o = 0; w && o < D; o++) for (c = 0; c < 3; c++) for (kh = 0; kh < P * P; kh++)
            wperm[(size_t)o * P * P * 3 + (size_t)kh * 3 + c] = w[((size_t)o * 3 + c) * P * P + kh];
        if (w && b) CHECK_OK(mlc_linear_init(&patch, wperm, b, P * P * 3, D, &ar.a));
        free(w); free(b);
    }
    CHECK_OK(mlc_embedding_load(&pos, &g.st, "encoder.pos_embedding", &ar.a));
    for (i = 0; i < L; i++) {
        snprintf(name, sizeof name, "encoder.layers.encoder_layer_%d", i);
        CHECK_OK(mlc_transformer_layer_load_vit(&layers[i], &g.st, name, H, &ar.a));
    }
    CHECK_OK(mlc_norm_load(&ln, &g.st, "encoder.ln", MLC_NORM_LAYER, 1e-6f, &ar.a));
    CHECK_OK(mlc_linear_load(&head, &g.st, "heads.head", &ar.a));
    if (mlct_failures) { free(input); free(logits_ref); free(cls); free(wperm); arena_close(&ar); mlct_golden_close(&g); return; }
    arena_open(&sc, mlc_transformer_layer_scratch_bytes(&layers[0], 1, T, NULL));
    x = (float *)malloc((size_t)T * D * sizeof(float));
    patches = (float *)malloc((size_t)N * P * P * 3 * sizeof(float));
    for (py = 0; py < S / P; py++) for (px = 0; px < S / P; px++)
        for (kh = 0; kh < P; kh++)
            memcpy(patches + ((size_t)(py * (S / P) + px) * P + kh) * P * 3,
                   input + ((size_t)(py * P + kh) * S + px * P) * 3, P * 3 * sizeof(float));
    CHECK_OK(mlc_gemm_packed_f32(NULL, N, D, P * P * 3, patches, P * P * 3, patch.packed_w, patch.bias, x + D, D,
                                 MLC_ACT_NONE, 0.0f));
    memcpy(x, cls, D * sizeof(float));
    {
        mlc_tensor tx = mlc_tensor_3d(x, 1, T, D);
        CHECK_OK(mlc_embedding_add_positions(&pos, &tx, 0));
        for (i = 0; i < L; i++) CHECK_OK(mlc_transformer_layer_forward(&layers[i], NULL, &tx, &tx, NULL, &sc.a));
    }
    CHECK_OK(mlc_layernorm_f32(x, x, 1, D, ln.weight, ln.bias, ln.eps));
    CHECK_OK(mlc_gemm_packed_f32(NULL, 1, 1000, D, x, D, head.packed_w, head.bias, logits, 1000, MLC_ACT_NONE, 0.0f));
    CHECK_REL("ViT-Ti/16 logits vs torchvision", logits, logits_ref, 1000, 1e-4);
    free(input); free(logits_ref); free(cls); free(wperm); free(x); free(patches);
    arena_close(&ar); arena_close(&sc);
    mlct_golden_close(&g);
}

const mlct_case mlct_attn_cases[] = {
    MLCT_CASE(test_attn_layernorm),
    MLCT_CASE(test_attn_rmsnorm),
    MLCT_CASE(test_attn_positions),
    MLCT_CASE(test_attn_rope),
    MLCT_CASE(test_attn_sdpa_golden),
    MLCT_CASE(test_attn_online_vs_naive),
    MLCT_CASE(test_attn_memory_linear),
    MLCT_CASE(test_attn_mha_golden),
    MLCT_CASE(test_attn_gqa_golden),
    MLCT_CASE(test_attn_encoder_golden),
    MLCT_CASE(test_attn_vitblock_golden),
    MLCT_CASE(test_attn_llama_golden),
    MLCT_CASE(test_attn_kv_cache),
    MLCT_CASE(test_attn_bad_input),
    MLCT_CASE(test_attn_mask_ld),
    MLCT_CASE(test_attn_layer_unchecked),
    MLCT_CASE(test_attn_vit_ti16),
};
const int mlct_attn_count = (int)(sizeof mlct_attn_cases / sizeof mlct_attn_cases[0]);
