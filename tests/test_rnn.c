/* Recurrent layers (mlc_rnn_*): golden cases from PyTorch
   (tests/gen_golden_rnn.py -> golden/rnn.safetensors), the vector path
   against the scalar reference over random shapes, the step API against
   the whole sequence, and bad input.

   Tolerance. The test runs its own model in double precision (dm_run) and,
   alongside, a first-order bound E on how far any float32 evaluation of
   the same formulas can be from it, element by element, propagated through
   the steps and layers:
     - a pre-activation a = b_ih + b_hh + W_ih x + W_hh h (K = in + P + 2
       terms summed in any order, with or without fma) is off by at most
       gamma_K * S, S = the sum of the terms' magnitudes, gamma_K =
       7 sqrt(K+1) U (U = 2^-24; the probabilistic bound of Higham and Mary
       2019 that tests/test_conv.c uses), plus sum |W| e over the errors e
       already in x (the layer below) and in h (the step before);
     - sigmoid and tanh add at most 3e-7 absolute (the bound the core tests
       assert for the vector kernels; libm's is smaller), and pass on an
       error with their largest slope over [a - e, a + e];
     - each product and sum of the cell adds U times its magnitude (2U or
       3U where the vector and scalar forms round differently).
   y, hn, cn are then checked: against the golden (itself within U|y| of
   the exact value) to E + U|y|; forward against the reference and the step
   API against forward to 2E (each is within E of the exact value). The
   double model itself must match the golden to U|y| + 1e-12. */
#include <stdlib.h>
#include <float.h>
#include <limits.h>
#include "mlc_test.h"

/* (move to mlc_test.h with the other lists) */

#define U (1.0 / 16777216.0)
#define EPS_ACT 3e-7
#define MAXC 16            /* cells (layers x directions) in any test model */

/* ---- the double-precision model and its error bound ------------------------ */

typedef struct {
    mlc_rnn_params p;
    const float *w_ih[MAXC], *w_hh[MAXC], *b_ih[MAXC], *b_hh[MAXC], *w_hr[MAXC];
} dmodel;

typedef struct {   /* outputs of dm_run, all malloc'd */
    double *y, *ey, *hn, *ehn, *cn, *ecn;
    size_t ny, nh, nc;
} dresult;

static void dres_free(dresult *r) { free(r->y); free(r->ey); free(r->hn); free(r->ehn); free(r->cn); free(r->ecn); }

static double gamma_k(int k) { return 7.0 * sqrt((double)k + 1.0) * U; }
static double dsig(double a) { return 1.0 / (1.0 + exp(-a)); }
/* Largest slope of sigmoid / tanh over [a - e, a + e]. */
static double slope_sig(double a, double e) { double m = fabs(a) - e, s; if (m < 0) m = 0; s = dsig(m); return s * (1 - s); }
static double slope_tanh(double a, double e) { double m = fabs(a) - e, t; if (m < 0) m = 0; t = tanh(m); return 1 - t * t; }

/* x, y in the model's layout ([T, B, row] or [B, T, row]); h0 [L*D, B, P],
   c0 [L*D, B, H] or NULL. */
static void dm_run(const dmodel *m, int T, int B, const float *x, const float *h0, const float *c0, dresult *res) {
    const mlc_rnn_params *p = &m->p;
    int D = p->bidirectional ? 2 : 1, H = p->hidden_size, P = p->proj_size ? p->proj_size : H;
    int G = p->mode == MLC_RNN_LSTM ? 4 : p->mode == MLC_RNN_GRU ? 3 : 1, GH = G * H, out_row = D * P;
    int l, d, s, b, n, k, j;
    size_t rows = (size_t)T * B;
    double *in = NULL, *ein = NULL, *out, *eout;
    double *a = (double *)malloc(GH * sizeof(double)), *ea = (double *)malloc(GH * sizeof(double));
    double *ahn = (double *)malloc(GH * sizeof(double)), *eahn = (double *)malloc(GH * sizeof(double));
    double *sa = (double *)malloc(GH * sizeof(double));
    double *hc = (double *)malloc((size_t)B * P * sizeof(double)), *ehc = (double *)malloc((size_t)B * P * sizeof(double));
    double *cc = (double *)malloc((size_t)B * H * sizeof(double)), *ecc = (double *)malloc((size_t)B * H * sizeof(double));
    double *mv = (double *)malloc(H * sizeof(double)), *emv = (double *)malloc(H * sizeof(double));
    double *hnew = (double *)malloc((size_t)P * sizeof(double)), *ehnew = (double *)malloc((size_t)P * sizeof(double));
    memset(res, 0, sizeof *res);
    res->ny = rows * out_row; res->nh = (size_t)p->num_layers * D * B * P; res->nc = (size_t)p->num_layers * D * B * H;
    res->hn = (double *)calloc(res->nh, sizeof(double)); res->ehn = (double *)calloc(res->nh, sizeof(double));
    res->cn = (double *)calloc(res->nc, sizeof(double)); res->ecn = (double *)calloc(res->nc, sizeof(double));
    for (l = 0; l < p->num_layers; l++) {
        int in_row = l == 0 ? p->input_size : out_row;
        out = (double *)calloc(rows * out_row, sizeof(double)); eout = (double *)calloc(rows * out_row, sizeof(double));
        if (l == 0) {
            in = (double *)malloc(rows * in_row * sizeof(double)); ein = (double *)calloc(rows * in_row, sizeof(double));
            for (k = 0; k < (int)(rows * in_row); k++) in[k] = x[k];
        }
        for (d = 0; d < D; d++) {
            int ci = l * D + d;
            const float *wih = m->w_ih[ci], *whh = m->w_hh[ci], *bih = m->b_ih[ci], *bhh = m->b_hh[ci], *whr = m->w_hr[ci];
            for (k = 0; k < B * P; k++) { hc[k] = h0 ? h0[(size_t)ci * B * P + k] : 0.0; ehc[k] = 0.0; }
            for (k = 0; k < B * H; k++) { cc[k] = c0 ? c0[(size_t)ci * B * H + k] : 0.0; ecc[k] = 0.0; }
            for (s = 0; s < T; s++) {
                int t = d ? T - 1 - s : s;
                for (b = 0; b < B; b++) {
                    size_t row = p->batch_first ? (size_t)b * T + t : (size_t)t * B + b;
                    const double *xi = in + row * in_row, *exi = ein + row * in_row;
                    double *h = hc + (size_t)b * P, *eh = ehc + (size_t)b * P, *c = cc + (size_t)b * H, *ec = ecc + (size_t)b * H;
                    for (n = 0; n < GH; n++) {
                        double vx = bih ? bih[n] : 0.0, sx = bih ? fabs(bih[n]) : 0.0, px = 0.0;
                        double vh = bhh ? bhh[n] : 0.0, sh = bhh ? fabs(bhh[n]) : 0.0, ph = 0.0;
                        for (k = 0; k < in_row; k++) {
                            double w = wih[(size_t)n * in_row + k];
                            vx += w * xi[k]; sx += fabs(w * xi[k]); px += fabs(w) * exi[k];
                        }
                        for (k = 0; k < P; k++) {
                            double w = whh[(size_t)n * P + k];
                            vh += w * h[k]; sh += fabs(w * h[k]); ph += fabs(w) * eh[k];
                        }
                        if (p->mode == MLC_RNN_GRU && n >= 2 * H) {   /* x part and h part apart */
                            a[n] = vx; ea[n] = gamma_k(in_row + 1) * sx + px;
                            ahn[n] = vh; eahn[n] = gamma_k(P + 1) * sh + ph;
                        } else {
                            a[n] = vx + vh; ea[n] = gamma_k(in_row + P + 2) * (sx + sh) + px + ph;
                        }
                        sa[n] = sx + sh;
                    }
                    for (j = 0; j < H; j++) {
                        if (p->mode == MLC_RNN_LSTM) {
                            double ig = dsig(a[j]), fg = dsig(a[H + j]), gg = tanh(a[2 * H + j]), og = dsig(a[3 * H + j]);
                            double ei = slope_sig(a[j], ea[j]) * ea[j] + EPS_ACT;
                            double ef = slope_sig(a[H + j], ea[H + j]) * ea[H + j] + EPS_ACT;
                            double eg = slope_tanh(a[2 * H + j], ea[2 * H + j]) * ea[2 * H + j] + EPS_ACT;
                            double eo = slope_sig(a[3 * H + j], ea[3 * H + j]) * ea[3 * H + j] + EPS_ACT;
                            double cn = fg * c[j] + ig * gg, tc;
                            double ecn = fg * ec[j] + fabs(c[j]) * ef + ig * eg + fabs(gg) * ei + 2 * U * (fabs(fg * c[j]) + fabs(ig * gg));
                            double etc = slope_tanh(cn, ecn) * ecn + EPS_ACT;
                            tc = tanh(cn);
                            c[j] = cn; ec[j] = ecn;
                            mv[j] = og * tc;
                            emv[j] = og * etc + fabs(tc) * eo + U * fabs(mv[j]);
                        } else if (p->mode == MLC_RNN_GRU) {
                            double rg = dsig(a[j]), z = dsig(a[H + j]);
                            double er = slope_sig(a[j], ea[j]) * ea[j] + EPS_ACT;
                            double ez = slope_sig(a[H + j], ea[H + j]) * ea[H + j] + EPS_ACT;
                            double an = a[2 * H + j] + rg * ahn[2 * H + j];
                            double ean = ea[2 * H + j] + rg * eahn[2 * H + j] + fabs(ahn[2 * H + j]) * er +
                                         2 * U * (fabs(rg * ahn[2 * H + j]) + fabs(an));
                            double nn = tanh(an), en = slope_tanh(an, ean) * ean + EPS_ACT;
                            double hp = h[j];
                            mv[j] = (1 - z) * nn + z * hp;
                            emv[j] = (1 - z) * en + z * eh[j] + fabs(hp - nn) * ez +
                                     3 * U * ((1 - z) * fabs(nn) + z * fabs(hp) + z * fabs(hp - nn));
                        } else if (p->mode == MLC_RNN_TANH) {
                            mv[j] = tanh(a[j]);
                            emv[j] = slope_tanh(a[j], ea[j]) * ea[j] + EPS_ACT + U * fabs(a[j]);
                        } else {
                            mv[j] = a[j] > 0 ? a[j] : 0.0;
                            emv[j] = ea[j] + U * fabs(a[j]);
                        }
                    }
                    (void)sa;
                    if (p->proj_size) {
                        for (k = 0; k < P; k++) {
                            double v = 0, sv = 0, pe = 0;
                            for (j = 0; j < H; j++) {
                                double w = whr[(size_t)k * H + j];
                                v += w * mv[j]; sv += fabs(w * mv[j]); pe += fabs(w) * emv[j];
                            }
                            hnew[k] = v; ehnew[k] = gamma_k(H) * sv + pe;
                        }
                    } else {
                        for (k = 0; k < P; k++) { hnew[k] = mv[k]; ehnew[k] = emv[k]; }
                    }
                    for (k = 0; k < P; k++) {
                        h[k] = hnew[k]; eh[k] = ehnew[k];
                        out[row * out_row + d * P + k] = hnew[k];
                        eout[row * out_row + d * P + k] = ehnew[k];
                    }
                }
            }
            memcpy(res->hn + (size_t)ci * B * P, hc, (size_t)B * P * sizeof(double));
            memcpy(res->ehn + (size_t)ci * B * P, ehc, (size_t)B * P * sizeof(double));
            if (p->mode == MLC_RNN_LSTM) {
                memcpy(res->cn + (size_t)ci * B * H, cc, (size_t)B * H * sizeof(double));
                memcpy(res->ecn + (size_t)ci * B * H, ecc, (size_t)B * H * sizeof(double));
            }
        }
        free(in); free(ein);
        in = out; ein = eout;
    }
    res->y = in; res->ey = ein;
    free(a); free(ea); free(ahn); free(eahn); free(sa); free(hc); free(ehc); free(cc); free(ecc);
    free(mv); free(emv); free(hnew); free(ehnew);
}

/* Checks |got - want| <= k * e[i] + rel * |want[i]| + abs_tol. */
static void check_bound(const char *file, int line, const char *what, const float *got, const double *want,
                        const double *e, double k, double rel, double abs_tol, size_t n) {
    size_t i, wi = 0;
    double worst = 0.0, wd = 0.0, wt = 0.0;
    if (!got || !want) { mlct_failures++; fprintf(stderr, "  %s:%d: %s: no data\n", file, line, what); return; }
    for (i = 0; i < n; i++) {
        double g = got[i], w = want[i], t = k * e[i] + rel * fabs(w) + abs_tol, d, r;
        d = (isnan(g) || isinf(g)) ? INFINITY : fabs(g - w);
        r = d == 0.0 ? 0.0 : (t > 0.0 ? d / t : INFINITY);
        if (r > worst) { worst = r; wi = i; wd = d; wt = t; }
    }
    if (worst > 1.0) {
        mlct_failures++;
        fprintf(stderr, "  %s:%d: %s: |got - want| = %.3g > tol %.3g (%.2fx) at [%lu]: got %.9g, want %.9g\n",
                file, line, what, wd, wt, worst, (unsigned long)wi, (double)got[wi], want[wi]);
    } else if (getenv("MLCT_VERBOSE")) {
        double mt = 0.0, mw = 0.0;
        for (i = 0; i < n; i++) {
            double t = k * e[i] + rel * fabs(want[i]) + abs_tol;
            if (t > mt) mt = t;
            if (fabs(want[i]) > mw) mw = fabs(want[i]);
        }
        printf("       %-60s worst diff/tol %.3f, tol <= %.2g, |want| <= %.2g\n", what, worst, mt, mw);
    }
}
#define CHECK_BOUND(what, got, want, e, k, rel, abs_tol, n) \
    check_bound(__FILE__, __LINE__, (what), (got), (want), (e), (k), (rel), (abs_tol), (n))

static double *to_double(const float *f, size_t n) {
    double *d = (double *)malloc((n + 1) * sizeof(double)); size_t i;
    for (i = 0; i < n; i++) d[i] = f[i];
    return d;
}

/* Runs the step API over a whole sequence (unidirectional models only):
   returns y [in the model's layout] and leaves the final state in h, c. */
static void run_steps(const mlc_rnn *r, int T, int B, const float *x, float *y, float *h, float *c, int unbatched) {
    const mlc_rnn_params *p = &r->p;
    int P = r->state_size, L = p->num_layers, t, b;
    float *xs = (float *)malloc((size_t)B * p->input_size * sizeof(float)), *ys = (float *)malloc((size_t)B * P * sizeof(float));
    size_t sb = mlc_rnn_step_scratch_bytes(r, B);
    void *smem = malloc(sb + 1);
    mlc_arena scratch;
    mlc_tensor tx, ty, th, tc;
    mlc_arena_init(&scratch, smem, sb);
    if (unbatched) {
        tx = mlc_tensor_1d(xs, p->input_size); ty = mlc_tensor_1d(ys, P);
        th = mlc_tensor_2d(h, L, P); tc = mlc_tensor_2d(c, L, p->hidden_size);
    } else {
        tx = mlc_tensor_2d(xs, B, p->input_size); ty = mlc_tensor_2d(ys, B, P);
        th = mlc_tensor_3d(h, L, B, P); tc = mlc_tensor_3d(c, L, B, p->hidden_size);
    }
    for (t = 0; t < T; t++) {
        for (b = 0; b < B; b++) {
            size_t row = p->batch_first ? (size_t)b * T + t : (size_t)t * B + b;
            memcpy(xs + (size_t)b * p->input_size, x + row * p->input_size, (size_t)p->input_size * sizeof(float));
        }
        CHECK_OK(mlc_rnn_step(r, NULL, &ty, &tx, &th, p->mode == MLC_RNN_LSTM ? &tc : NULL, &scratch));
        CHECK_EQ_INT(scratch.used, 0);
        for (b = 0; b < B; b++) {
            size_t row = p->batch_first ? (size_t)b * T + t : (size_t)t * B + b;
            memcpy(y + row * P, ys + (size_t)b * P, (size_t)P * sizeof(float));
        }
    }
    free(xs); free(ys); free(smem);
}

/* One model on one input: forward (serial and through parallel_for), ref,
   the step API when unidirectional; each against the double model (and
   against the golden y/hn/cn when given). */
typedef struct {
    const char *name;
    const mlc_rnn *r;
    const dmodel *dm;
    int T, B, unbatched;
    const float *x, *h0, *c0;
    const float *gy, *ghn, *gcn;   /* golden, or NULL */
} rcase;

static void run_case(const rcase *rc) {
    const mlc_rnn *r = rc->r;
    const mlc_rnn_params *p = &r->p;
    int T = rc->T, B = rc->B, D = p->bidirectional ? 2 : 1, P = r->state_size, H = p->hidden_size, LD = p->num_layers * D;
    int lstm = p->mode == MLC_RNN_LSTM, pass;
    dresult dr;
    size_t ny = (size_t)T * B * D * P, nh = (size_t)LD * B * P, nc = (size_t)LD * B * H, i;
    float *y[3], *hn[3], *cn[3];
    size_t sb = mlc_rnn_scratch_bytes(r, T, B);
    void *smem = malloc(sb + 1);
    mlc_arena scratch;
    mlc_tensor tx, ty, th0, tc0, thn, tcn;
    mlc_ctx ctx;
    char what[200];
    CHECK(sb > 0);
    dm_run(rc->dm, T, B, rc->x, rc->h0, rc->c0, &dr);
    if (rc->gy) {   /* the double model is PyTorch's model */
        snprintf(what, sizeof what, "%s: double model vs golden y", rc->name);
        {
            double *g = to_double(rc->gy, ny), *z = (double *)calloc(ny + 1, sizeof(double));
            float *yf = (float *)malloc((ny + 1) * sizeof(float));
            for (i = 0; i < ny; i++) yf[i] = (float)dr.y[i];
            CHECK_BOUND(what, yf, g, z, 0.0, U, 1e-12, ny);
            free(g); free(z); free(yf);
        }
    }
    ctx.parallel_for = mlct_reverse_pfor; ctx.user = NULL; ctx.n_threads = 3;
    if (rc->unbatched) {
        tx = mlc_tensor_2d((float *)rc->x, T, p->input_size);
        th0 = mlc_tensor_2d((float *)rc->h0, LD, P); tc0 = mlc_tensor_2d((float *)rc->c0, LD, H);
    } else if (p->batch_first) {
        tx = mlc_tensor_3d((float *)rc->x, B, T, p->input_size);
        th0 = mlc_tensor_3d((float *)rc->h0, LD, B, P); tc0 = mlc_tensor_3d((float *)rc->c0, LD, B, H);
    } else {
        tx = mlc_tensor_3d((float *)rc->x, T, B, p->input_size);
        th0 = mlc_tensor_3d((float *)rc->h0, LD, B, P); tc0 = mlc_tensor_3d((float *)rc->c0, LD, B, H);
    }
    for (pass = 0; pass < 3; pass++) {
        /* 0 forward, 1 forward with parallel_for, 2 ref */
        const char *fn = pass == 0 ? "forward" : pass == 1 ? "forward pfor" : "ref";
        y[pass] = (float *)malloc((ny + 16) * sizeof(float));
        hn[pass] = (float *)malloc((nh + 1) * sizeof(float));
        cn[pass] = (float *)malloc((nc + 1) * sizeof(float));
        for (i = 0; i < ny + 16; i++) y[pass][i] = i < ny ? NAN : -777.0f;
        for (i = 0; i < nh; i++) hn[pass][i] = NAN;
        for (i = 0; i < nc; i++) cn[pass][i] = NAN;
        ty = tx; ty.data = y[pass]; ty.shape[ty.rank - 1] = D * P;
        thn = th0; thn.data = hn[pass]; tcn = tc0; tcn.data = cn[pass];
        mlc_arena_init(&scratch, smem, sb);   /* exactly what it asked for, any alignment */
        if (pass == 2)
            CHECK_OK(mlc_rnn_forward_ref(r, &ty, &tx, rc->h0 ? &th0 : NULL, rc->c0 ? &tc0 : NULL, &thn, lstm ? &tcn : NULL, &scratch));
        else
            CHECK_OK(mlc_rnn_forward(r, pass == 1 ? &ctx : NULL, &ty, &tx, rc->h0 ? &th0 : NULL, rc->c0 ? &tc0 : NULL,
                                     &thn, lstm ? &tcn : NULL, &scratch));
        CHECK_EQ_INT(scratch.used, 0);
        for (i = ny; i < ny + 16; i++) CHECK(y[pass][i] == -777.0f);
        snprintf(what, sizeof what, "%s %s y", rc->name, fn);
        CHECK_BOUND(what, y[pass], dr.y, dr.ey, 1.0, 0.0, 0.0, ny);
        snprintf(what, sizeof what, "%s %s hn", rc->name, fn);
        CHECK_BOUND(what, hn[pass], dr.hn, dr.ehn, 1.0, 0.0, 0.0, nh);
        if (lstm) {
            snprintf(what, sizeof what, "%s %s cn", rc->name, fn);
            CHECK_BOUND(what, cn[pass], dr.cn, dr.ecn, 1.0, 0.0, 0.0, nc);
        }
        if (rc->gy) {
            double *g = to_double(rc->gy, ny);
            snprintf(what, sizeof what, "%s %s y vs golden", rc->name, fn);
            CHECK_BOUND(what, y[pass], g, dr.ey, 1.0, U, 0.0, ny);
            free(g);
            g = to_double(rc->ghn, nh);
            snprintf(what, sizeof what, "%s %s hn vs golden", rc->name, fn);
            CHECK_BOUND(what, hn[pass], g, dr.ehn, 1.0, U, 0.0, nh);
            free(g);
            if (lstm && rc->gcn) {
                g = to_double(rc->gcn, nc);
                snprintf(what, sizeof what, "%s %s cn vs golden", rc->name, fn);
                CHECK_BOUND(what, cn[pass], g, dr.ecn, 1.0, U, 0.0, nc);
                free(g);
            }
        }
    }
    {   /* forward against the scalar reference */
        double *yr = to_double(y[2], ny), *hr = to_double(hn[2], nh), *cr = to_double(cn[2], nc);
        snprintf(what, sizeof what, "%s forward vs ref y", rc->name);
        CHECK_BOUND(what, y[0], yr, dr.ey, 2.0, 0.0, 0.0, ny);
        snprintf(what, sizeof what, "%s forward vs ref hn", rc->name);
        CHECK_BOUND(what, hn[0], hr, dr.ehn, 2.0, 0.0, 0.0, nh);
        if (lstm) {
            snprintf(what, sizeof what, "%s forward vs ref cn", rc->name);
            CHECK_BOUND(what, cn[0], cr, dr.ecn, 2.0, 0.0, 0.0, nc);
        }
        /* the split through parallel_for does not change any sum */
        CHECK(memcmp(y[0], y[1], ny * sizeof(float)) == 0);
        free(yr); free(hr); free(cr);
    }
    if (!p->bidirectional) {   /* step by step equals the whole sequence */
        float *ys = (float *)malloc((ny + 1) * sizeof(float)), *hs = (float *)malloc((nh + 1) * sizeof(float));
        float *cs = (float *)malloc((nc + 1) * sizeof(float));
        double *yf = to_double(y[0], ny), *hf = to_double(hn[0], nh), *cf = to_double(cn[0], nc);
        for (i = 0; i < nh; i++) hs[i] = rc->h0 ? rc->h0[i] : 0.0f;
        for (i = 0; i < nc; i++) cs[i] = rc->c0 ? rc->c0[i] : 0.0f;
        run_steps(r, T, B, rc->x, ys, hs, cs, rc->unbatched);
        snprintf(what, sizeof what, "%s step vs forward y", rc->name);
        CHECK_BOUND(what, ys, yf, dr.ey, 2.0, 0.0, 0.0, ny);
        snprintf(what, sizeof what, "%s step vs forward h", rc->name);
        CHECK_BOUND(what, hs, hf, dr.ehn, 2.0, 0.0, 0.0, nh);
        if (lstm) {
            snprintf(what, sizeof what, "%s step vs forward c", rc->name);
            CHECK_BOUND(what, cs, cf, dr.ecn, 2.0, 0.0, 0.0, nc);
        }
        free(ys); free(hs); free(cs); free(yf); free(hf); free(cf);
    }
    for (pass = 0; pass < 3; pass++) { free(y[pass]); free(hn[pass]); free(cn[pass]); }
    free(smem);
    dres_free(&dr);
}

/* ---- golden ------------------------------------------------------------------ */

static void name_of(char *out, size_t cap, const char *prefix, const char *base, int l, int rev) {
    snprintf(out, cap, "%s.%s_l%d%s", prefix, base, l, rev ? "_reverse" : "");
}

static void test_rnn_golden(void) {
    mlct_golden g;
    int t, n_cases = 0, modes[4] = { 0, 0, 0, 0 }, bidir = 0, given = 0, proj = 0, bfirst = 0, unb = 0, chunked = 0;
    if (!mlct_golden_open(&g, "rnn.safetensors")) return;
    for (t = 0; t < g.st.count; t++) {
        const char *pname = g.st.tensors[t].name;
        size_t plen = strlen(pname);
        char prefix[96], name[160];
        float *pv, *x, *y, *hn, *cn = NULL, *h0 = NULL, *c0 = NULL;
        float *owned[5 * MAXC];
        int n_owned = 0, l, d, D, T, B, k;
        mlc_tensor tx;
        mlc_rnn_params p;
        mlc_rnn r, r2;
        mlc_rnn_weights w[MAXC];
        dmodel dm;
        mlc_arena arena;
        void *mem;
        size_t bytes;
        rcase rc;
        if (plen < 7 || strcmp(pname + plen - 7, ".params") != 0 || plen - 7 >= sizeof prefix) continue;
        memcpy(prefix, pname, plen - 7); prefix[plen - 7] = '\0';
        n_cases++;
        pv = mlct_golden_get(&g, pname, NULL);
        snprintf(name, sizeof name, "%s.x", prefix);  x = mlct_golden_get(&g, name, &tx);
        snprintf(name, sizeof name, "%s.y", prefix);  y = mlct_golden_get(&g, name, NULL);
        snprintf(name, sizeof name, "%s.hn", prefix); hn = mlct_golden_get(&g, name, NULL);
        snprintf(name, sizeof name, "%s.cn", prefix); if (mlc_st_find(&g.st, name)) cn = mlct_golden_get(&g, name, NULL);
        snprintf(name, sizeof name, "%s.h0", prefix); if (mlc_st_find(&g.st, name)) h0 = mlct_golden_get(&g, name, NULL);
        snprintf(name, sizeof name, "%s.c0", prefix); if (mlc_st_find(&g.st, name)) c0 = mlct_golden_get(&g, name, NULL);
        if (!pv || !x || !y || !hn) { free(pv); free(x); free(y); free(hn); free(cn); free(h0); free(c0); continue; }
        p = mlc_rnn_params_make((mlc_rnn_mode)(int)pv[0], (int)pv[1], (int)pv[2], (int)pv[3], (int)pv[4]);
        p.has_bias = (int)pv[5]; p.proj_size = (int)pv[6]; p.batch_first = (int)pv[7];
        D = p.bidirectional ? 2 : 1;
        if ((int)pv[8]) { T = tx.shape[0]; B = 1; unb++; }
        else if (p.batch_first) { B = tx.shape[0]; T = tx.shape[1]; bfirst++; }
        else { T = tx.shape[0]; B = tx.shape[1]; }
        modes[p.mode & 3]++; bidir += p.bidirectional; given += h0 != NULL; proj += p.proj_size > 0; chunked += T > 32;

        bytes = mlc_rnn_arena_bytes(&p);
        CHECK(bytes > 0);
        mem = malloc(bytes + 64);
        mlc_arena_init(&arena, mlct_align64(mem), bytes);
        CHECK_OK(mlc_rnn_load(&r, &g.st, prefix, &p, &arena));
        CHECK(mlc_arena_peak(&arena) <= bytes);
        CHECK_EQ_INT(r.bad_name[0], 0);
        CHECK_EQ_INT(r.state_size, p.proj_size ? p.proj_size : p.hidden_size);

        /* the weights as float arrays: the double model, and mlc_rnn_init */
        memset(&dm, 0, sizeof dm);
        memset(w, 0, sizeof w);
        dm.p = p;
        for (l = 0; l < p.num_layers; l++) for (d = 0; d < D; d++) {
            static const char *const base[5] = { "weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr" };
            float *v[5];
            for (k = 0; k < 5; k++) {
                v[k] = NULL;
                name_of(name, sizeof name, prefix, base[k], l, d);
                if (mlc_st_find(&g.st, name)) owned[n_owned++] = v[k] = mlct_golden_get(&g, name, NULL);
            }
            k = l * D + d;
            dm.w_ih[k] = w[k].w_ih = v[0]; dm.w_hh[k] = w[k].w_hh = v[1];
            dm.b_ih[k] = w[k].b_ih = v[2]; dm.b_hh[k] = w[k].b_hh = v[3]; dm.w_hr[k] = w[k].w_hr = v[4];
        }
        rc.name = prefix; rc.r = &r; rc.dm = &dm; rc.T = T; rc.B = B; rc.unbatched = (int)pv[8];
        rc.x = x; rc.h0 = h0; rc.c0 = c0; rc.gy = y; rc.ghn = hn; rc.gcn = cn;
        run_case(&rc);
        {   /* mlc_rnn_init from the float arrays packs the same bytes */
            void *mem2 = malloc(bytes + 64);
            mlc_arena a2;
            mlc_arena_init(&a2, mlct_align64(mem2), bytes);
            CHECK_OK(mlc_rnn_init(&r2, &p, w, &a2));
            CHECK_EQ_INT(a2.used, arena.used);
            for (k = 0; k < p.num_layers * D; k++) {
                int gh = r.gates * p.hidden_size;
                CHECK(memcmp(r.cells[k].w_ih, r2.cells[k].w_ih, mlc_gemm_packed_b_floats(gh, r.cells[k].in_size) * 4) == 0);
                CHECK(memcmp(r.cells[k].w_hh, r2.cells[k].w_hh, mlc_gemm_packed_b_floats(gh, r.state_size) * 4) == 0);
                if (p.has_bias) CHECK(memcmp(r.cells[k].bias_x, r2.cells[k].bias_x, (size_t)gh * 4) == 0);
            }
            free(mem2);
        }
        for (k = 0; k < n_owned; k++) free(owned[k]);
        free(mem); free(pv); free(x); free(y); free(hn); free(cn); free(h0); free(c0);
    }
    CHECK(n_cases >= 19);
    CHECK(modes[MLC_RNN_TANH] >= 2 && modes[MLC_RNN_RELU] >= 1 && modes[MLC_RNN_LSTM] >= 8 && modes[MLC_RNN_GRU] >= 6);
    CHECK(bidir >= 6 && given >= 8 && proj >= 2 && bfirst >= 3 && unb >= 2 && chunked >= 2);
    mlct_golden_close(&g);
}

/* ---- random shapes: vector path vs reference vs the double model ------------- */


static void test_rnn_random(void) {
    mlct_rng rng;
    int it, iters = 60;
    rng.s = 777u;
    for (it = 0; it < iters; it++) {
        mlc_rnn_params p;
        mlc_rnn r;
        mlc_rnn_weights w[MAXC];
        dmodel dm;
        mlc_arena arena;
        void *mem;
        float *buf[5 * MAXC], *x, *h0 = NULL, *c0 = NULL;
        int nb = 0, l, d, D, P, G, k, T, B, unb;
        size_t bytes;
        float scale;
        rcase rc;
        char nm[64];
        p = mlc_rnn_params_make((mlc_rnn_mode)(it & 3), mlct_rnd(&rng, 1, 20), mlct_rnd(&rng, 1, 40), mlct_rnd(&rng, 1, 3), mlct_rnd(&rng, 0, 1));
        if (it % 7 == 3) p.hidden_size = 16 * mlct_rnd(&rng, 1, 3);      /* whole vectors */
        p.has_bias = it % 5 != 2;
        p.batch_first = it % 3 == 1;
        if (p.mode == MLC_RNN_LSTM && p.hidden_size > 1 && (it & 4)) p.proj_size = mlct_rnd(&rng, 1, p.hidden_size - 1);
        D = p.bidirectional ? 2 : 1;
        P = p.proj_size ? p.proj_size : p.hidden_size;
        G = p.mode == MLC_RNN_LSTM ? 4 : p.mode == MLC_RNN_GRU ? 3 : 1;
        T = it % 9 == 0 ? mlct_rnd(&rng, 33, 80) : mlct_rnd(&rng, 1, 12);
        B = mlct_rnd(&rng, 1, 4);
        unb = B == 1 && !p.batch_first && (it & 8);
        scale = 1.0f / sqrtf((float)p.hidden_size);   /* PyTorch's init range */
        memset(w, 0, sizeof w);
        memset(&dm, 0, sizeof dm);
        dm.p = p;
        for (l = 0; l < p.num_layers; l++) for (d = 0; d < D; d++) {
            int in = l == 0 ? p.input_size : D * P, gh = G * p.hidden_size;
            k = l * D + d;
            buf[nb] = (float *)malloc((size_t)gh * in * 4);
            mlct_fill(&rng, buf[nb], (size_t)gh * in, -1.0f / sqrtf((float)in), 1.0f / sqrtf((float)in));
            dm.w_ih[k] = w[k].w_ih = buf[nb++];
            buf[nb] = (float *)malloc((size_t)gh * P * 4); mlct_fill(&rng, buf[nb], (size_t)gh * P, -0.5f / P, 0.5f / P);
            dm.w_hh[k] = w[k].w_hh = buf[nb++];
            if (p.has_bias) {
                buf[nb] = (float *)malloc((size_t)gh * 4); mlct_fill(&rng, buf[nb], (size_t)gh, -scale, scale);
                dm.b_ih[k] = w[k].b_ih = buf[nb++];
                buf[nb] = (float *)malloc((size_t)gh * 4); mlct_fill(&rng, buf[nb], (size_t)gh, -scale, scale);
                dm.b_hh[k] = w[k].b_hh = buf[nb++];
            }
            if (p.proj_size) {
                float sc = 1.0f / sqrtf((float)p.hidden_size);
                buf[nb] = (float *)malloc((size_t)P * p.hidden_size * 4);
                mlct_fill(&rng, buf[nb], (size_t)P * p.hidden_size, -sc, sc);
                dm.w_hr[k] = w[k].w_hr = buf[nb++];
            }
        }
        bytes = mlc_rnn_arena_bytes(&p);
        mem = malloc(bytes);
        mlc_arena_init(&arena, mem, bytes);
        CHECK_OK(mlc_rnn_init(&r, &p, w, &arena));
        x = (float *)malloc((size_t)T * B * p.input_size * 4);
        mlct_fill(&rng, x, (size_t)T * B * p.input_size, -2.0f, 2.0f);
        if (it & 2) {
            h0 = (float *)malloc((size_t)p.num_layers * D * B * P * 4);
            mlct_fill(&rng, h0, (size_t)p.num_layers * D * B * P, -1.0f, 1.0f);
            if (p.mode == MLC_RNN_LSTM) {
                c0 = (float *)malloc((size_t)p.num_layers * D * B * p.hidden_size * 4);
                mlct_fill(&rng, c0, (size_t)p.num_layers * D * B * p.hidden_size, -1.5f, 1.5f);
            }
        }
        snprintf(nm, sizeof nm, "random #%d mode %d I%d H%d P%d L%d D%d T%d B%d%s%s", it, (int)p.mode, p.input_size,
                 p.hidden_size, P, p.num_layers, D, T, B, p.batch_first ? " bf" : "", unb ? " unbatched" : "");
        rc.name = nm; rc.r = &r; rc.dm = &dm; rc.T = T; rc.B = B; rc.unbatched = unb;
        rc.x = x; rc.h0 = h0; rc.c0 = c0; rc.gy = rc.ghn = rc.gcn = NULL;
        run_case(&rc);
        for (k = 0; k < nb; k++) free(buf[k]);
        free(mem); free(x); free(h0); free(c0);
    }
}

/* ---- a bigger model: forward splits its GEMMs through parallel_for ----------- */

static void test_rnn_parallel(void) {
    mlc_rnn_params p = mlc_rnn_params_make(MLC_RNN_LSTM, 64, 160, 1, 0);
    int G = 4, GH = G * 160, T = 40, B = 2;
    float *wih = (float *)malloc((size_t)GH * 64 * 4), *whh = (float *)malloc((size_t)GH * 160 * 4);
    float *bi = (float *)malloc(GH * 4), *bh = (float *)malloc(GH * 4), *x = (float *)malloc((size_t)T * B * 64 * 4);
    float *y1 = (float *)malloc((size_t)T * B * 160 * 4), *y2 = (float *)malloc((size_t)T * B * 160 * 4);
    mlc_rnn_weights w;
    mlc_rnn r;
    mlc_arena arena, scratch;
    size_t bytes = mlc_rnn_arena_bytes(&p), sb;
    void *mem = malloc(bytes), *smem;
    mlc_tensor tx = mlc_tensor_3d(x, T, B, 64), ty1 = mlc_tensor_3d(y1, T, B, 160), ty2 = mlc_tensor_3d(y2, T, B, 160);
    mlc_ctx ctx;
    mlct_rng rng;
    rng.s = 4242u;
    mlct_fill(&rng, wih, (size_t)GH * 64, -0.08f, 0.08f); mlct_fill(&rng, whh, (size_t)GH * 160, -0.08f, 0.08f);
    mlct_fill(&rng, bi, GH, -0.08f, 0.08f); mlct_fill(&rng, bh, GH, -0.08f, 0.08f);
    mlct_fill(&rng, x, (size_t)T * B * 64, -1, 1);
    w.w_ih = wih; w.w_hh = whh; w.b_ih = bi; w.b_hh = bh; w.w_hr = NULL;
    mlc_arena_init(&arena, mem, bytes);
    CHECK_OK(mlc_rnn_init(&r, &p, &w, &arena));
    sb = mlc_rnn_scratch_bytes(&r, T, B);
    smem = malloc(sb);
    mlc_arena_init(&scratch, smem, sb);
    ctx.parallel_for = mlct_reverse_pfor; ctx.user = NULL; ctx.n_threads = 2;
    mlct_tasks_run = 0;
    CHECK_OK(mlc_rnn_forward(&r, &ctx, &ty1, &tx, NULL, NULL, NULL, NULL, &scratch));
    CHECK(mlct_tasks_run > 1);
    CHECK_OK(mlc_rnn_forward(&r, NULL, &ty2, &tx, NULL, NULL, NULL, NULL, &scratch));
    CHECK(memcmp(y1, y2, (size_t)T * B * 160 * 4) == 0);   /* each output tile has one owner: same sums */
    free(wih); free(whh); free(bi); free(bh); free(x); free(y1); free(y2); free(mem); free(smem);
}

/* ---- bad input ------------------------------------------------------------------ */

static void test_rnn_bad_load(void) {
    mlct_golden g;
    static unsigned char mem[1 << 18];
    mlc_arena arena;
    mlc_rnn r;
    mlc_rnn_params p = mlc_rnn_params_make(MLC_RNN_LSTM, 3, 4, 1, 0), q;
    size_t used;
    if (!mlct_golden_open(&g, "rnn.safetensors")) return;
    mlc_arena_init(&arena, mem, sizeof mem);
    CHECK_ERR(mlc_rnn_load(&r, &g.st, "bad_missing", &p, &arena), MLC_ERR_NOT_FOUND);
    CHECK(strcmp(r.bad_name, "bad_missing.bias_hh_l0") == 0);
    CHECK(r.cells == NULL);
    CHECK_ERR(mlc_rnn_load(&r, &g.st, "bad_shape", &p, &arena), MLC_ERR_SHAPE);
    CHECK(strcmp(r.bad_name, "bad_shape.weight_hh_l0") == 0);
    CHECK_ERR(mlc_rnn_load(&r, &g.st, "bad_rank", &p, &arena), MLC_ERR_SHAPE);
    CHECK(strcmp(r.bad_name, "bad_rank.bias_ih_l0") == 0);
    CHECK_ERR(mlc_rnn_load(&r, &g.st, "bad_dtype", &p, &arena), MLC_ERR_DTYPE);
    CHECK(strcmp(r.bad_name, "bad_dtype.weight_ih_l0") == 0);
    CHECK_EQ_INT(arena.used, 0);   /* nothing allocated by failed loads */
    CHECK_ERR(mlc_rnn_load(&r, &g.st, "nothing_here", &p, &arena), MLC_ERR_NOT_FOUND);
    CHECK(strcmp(r.bad_name, "nothing_here.weight_ih_l0") == 0);
    /* a bare module's names (no prefix) are not in the file */
    CHECK_ERR(mlc_rnn_load(&r, &g.st, "", &p, &arena), MLC_ERR_NOT_FOUND);
    CHECK(strcmp(r.bad_name, "weight_ih_l0") == 0);
    CHECK_ERR(mlc_rnn_load(&r, &g.st, NULL, &p, &arena), MLC_ERR_NOT_FOUND);

    /* a good file with params that disagree: lstm_l2_h13_b3 is LSTM(5, 13, 2) */
    p = mlc_rnn_params_make(MLC_RNN_LSTM, 5, 13, 2, 0);
    CHECK_OK(mlc_rnn_load(&r, &g.st, "lstm_l2_h13_b3", &p, &arena));
    CHECK_EQ_INT(r.bad_name[0], 0);
    used = arena.used;
    q = p; q.input_size = 6;
    CHECK_ERR(mlc_rnn_load(&r, &g.st, "lstm_l2_h13_b3", &q, &arena), MLC_ERR_SHAPE);
    CHECK(strcmp(r.bad_name, "lstm_l2_h13_b3.weight_ih_l0") == 0);
    q = p; q.hidden_size = 12;
    CHECK_ERR(mlc_rnn_load(&r, &g.st, "lstm_l2_h13_b3", &q, &arena), MLC_ERR_SHAPE);
    CHECK(strcmp(r.bad_name, "lstm_l2_h13_b3.weight_ih_l0") == 0);
    q = p; q.num_layers = 3;
    CHECK_ERR(mlc_rnn_load(&r, &g.st, "lstm_l2_h13_b3", &q, &arena), MLC_ERR_NOT_FOUND);
    CHECK(strcmp(r.bad_name, "lstm_l2_h13_b3.weight_ih_l2") == 0);
    q = p; q.bidirectional = 1;
    CHECK_ERR(mlc_rnn_load(&r, &g.st, "lstm_l2_h13_b3", &q, &arena), MLC_ERR_NOT_FOUND);
    CHECK(strcmp(r.bad_name, "lstm_l2_h13_b3.weight_ih_l0_reverse") == 0);
    q = p; q.mode = MLC_RNN_GRU;
    CHECK_ERR(mlc_rnn_load(&r, &g.st, "lstm_l2_h13_b3", &q, &arena), MLC_ERR_SHAPE);
    CHECK(strcmp(r.bad_name, "lstm_l2_h13_b3.weight_ih_l0") == 0);
    q = p; q.has_bias = 0;
    CHECK_ERR(mlc_rnn_load(&r, &g.st, "lstm_l2_h13_b3", &q, &arena), MLC_ERR_ARG);
    CHECK(strcmp(r.bad_name, "lstm_l2_h13_b3.bias_ih_l0") == 0);
    q = p; q.proj_size = 5;
    CHECK_ERR(mlc_rnn_load(&r, &g.st, "lstm_l2_h13_b3", &q, &arena), MLC_ERR_SHAPE);   /* weight_hh is [52, 13], not [52, 5] */
    CHECK(strcmp(r.bad_name, "lstm_l2_h13_b3.weight_hh_l0") == 0);
    /* a projection the params do not know about */
    q = mlc_rnn_params_make(MLC_RNN_LSTM, 4, 16, 1, 0);
    CHECK_ERR(mlc_rnn_load(&r, &g.st, "lstm_proj_l1_h16_p5_b1", &q, &arena), MLC_ERR_SHAPE);   /* weight_hh [64, 5] */
    CHECK(strcmp(r.bad_name, "lstm_proj_l1_h16_p5_b1.weight_hh_l0") == 0);
    q.proj_size = 5;
    CHECK_OK(mlc_rnn_load(&r, &g.st, "lstm_proj_l1_h16_p5_b1", &q, &arena));
    used = arena.used;
    /* a bias the params say is absent, on a GRU */
    q = mlc_rnn_params_make(MLC_RNN_GRU, 8, 16, 1, 0); q.has_bias = 0;
    CHECK_ERR(mlc_rnn_load(&r, &g.st, "gru_l1_h16_b1", &q, &arena), MLC_ERR_ARG);
    CHECK(strcmp(r.bad_name, "gru_l1_h16_b1.bias_ih_l0") == 0);
    CHECK_EQ_INT(arena.used, used);
    /* bad params: no tensor at fault */
    q = p; q.proj_size = 13;
    CHECK_ERR(mlc_rnn_load(&r, &g.st, "lstm_l2_h13_b3", &q, &arena), MLC_ERR_ARG);
    CHECK_EQ_INT(r.bad_name[0], 0);
    q = mlc_rnn_params_make(MLC_RNN_GRU, 5, 13, 2, 0); q.proj_size = 3;
    CHECK_ERR(mlc_rnn_load(&r, &g.st, "gru_l2_h13_b3", &q, &arena), MLC_ERR_ARG);
    q = p; q.mode = (mlc_rnn_mode)7;
    CHECK_ERR(mlc_rnn_load(&r, &g.st, "lstm_l2_h13_b3", &q, &arena), MLC_ERR_ARG);
    q = p; q.num_layers = 0;
    CHECK_ERR(mlc_rnn_load(&r, &g.st, "lstm_l2_h13_b3", &q, &arena), MLC_ERR_ARG);
    q = p; q.bidirectional = 2;
    CHECK_ERR(mlc_rnn_load(&r, &g.st, "lstm_l2_h13_b3", &q, &arena), MLC_ERR_ARG);
    CHECK_ERR(mlc_rnn_load(NULL, &g.st, "x", &p, &arena), MLC_ERR_NULL);
    CHECK_ERR(mlc_rnn_load(&r, NULL, "x", &p, &arena), MLC_ERR_NULL);
    CHECK_ERR(mlc_rnn_load(&r, &g.st, "x", NULL, &arena), MLC_ERR_NULL);
    CHECK_ERR(mlc_rnn_load(&r, &g.st, "x", &p, NULL), MLC_ERR_NULL);
    /* arena too small: NOMEM, nothing kept, and arena.need says how much */
    {
        mlc_arena small;
        size_t need = mlc_rnn_arena_bytes(&p);
        mlc_arena_init(&small, mem, 1000);
        CHECK_ERR(mlc_rnn_load(&r, &g.st, "lstm_l2_h13_b3", &p, &small), MLC_ERR_NOMEM);
        CHECK_EQ_INT(small.used, 0);
        CHECK(r.cells == NULL);
        CHECK(small.need <= need);
        mlc_arena_init(&small, mem, need);
        CHECK_OK(mlc_rnn_load(&r, &g.st, "lstm_l2_h13_b3", &p, &small));
    }
    mlct_golden_close(&g);
}

static void test_rnn_bad_init(void) {
    static float wih[16 * 3], whh[16 * 4], b[16], whr[2 * 4];
    static unsigned char mem[1 << 16];
    mlc_arena arena;
    mlc_rnn r;
    mlc_rnn_weights w[2];
    mlc_rnn_params p = mlc_rnn_params_make(MLC_RNN_LSTM, 3, 4, 1, 1);
    mlc_arena_init(&arena, mem, sizeof mem);
    w[0].w_ih = wih; w[0].w_hh = whh; w[0].b_ih = b; w[0].b_hh = b; w[0].w_hr = NULL;
    w[1] = w[0]; w[1].w_hh = NULL;
    CHECK_ERR(mlc_rnn_init(&r, &p, w, &arena), MLC_ERR_NULL);
    CHECK(strcmp(r.bad_name, "weight_hh_l0_reverse") == 0);
    w[1] = w[0]; w[1].b_hh = NULL;
    CHECK_ERR(mlc_rnn_init(&r, &p, w, &arena), MLC_ERR_NULL);
    CHECK(strcmp(r.bad_name, "bias_hh_l0_reverse") == 0);
    p.has_bias = 0;   /* biases not needed (and ignored) */
    CHECK_OK(mlc_rnn_init(&r, &p, w, &arena));
    CHECK(r.cells[0].bias_x == NULL && r.cells[1].bias_x == NULL);
    p.has_bias = 1; p.proj_size = 2; w[1] = w[0];
    CHECK_ERR(mlc_rnn_init(&r, &p, w, &arena), MLC_ERR_NULL);
    CHECK(strcmp(r.bad_name, "weight_hr_l0") == 0);
    w[0].w_hr = w[1].w_hr = whr;
    /* (w_hh would be [16, 2] now: the arrays are only read as that shape) */
    CHECK_OK(mlc_rnn_init(&r, &p, w, &arena));
    CHECK_EQ_INT(r.state_size, 2);
    p.proj_size = 4;
    CHECK_ERR(mlc_rnn_init(&r, &p, w, &arena), MLC_ERR_ARG);
    p.proj_size = -1;
    CHECK_ERR(mlc_rnn_init(&r, &p, w, &arena), MLC_ERR_ARG);
    p.proj_size = 0; p.input_size = 0;
    CHECK_ERR(mlc_rnn_init(&r, &p, w, &arena), MLC_ERR_ARG);
    CHECK_EQ_INT(mlc_rnn_arena_bytes(&p), 0);
    p.input_size = 3; p.hidden_size = INT_MAX / 2;
    CHECK_ERR(mlc_rnn_init(&r, &p, w, &arena), MLC_ERR_UNSUPPORTED);
    CHECK_EQ_INT(mlc_rnn_arena_bytes(&p), 0);
    p.hidden_size = 4;
    CHECK_ERR(mlc_rnn_init(&r, &p, NULL, &arena), MLC_ERR_NULL);
    CHECK_ERR(mlc_rnn_init(&r, NULL, w, &arena), MLC_ERR_NULL);
    CHECK_ERR(mlc_rnn_init(NULL, &p, w, &arena), MLC_ERR_NULL);
    CHECK_EQ_INT(mlc_rnn_arena_bytes(NULL), 0);
}

static void test_rnn_bad_forward(void) {
    static float wih[12 * 8], whh[12 * 4], b[12], x[5 * 2 * 3], y[5 * 2 * 8 + 8], h[4 * 2 * 4], c[4 * 2 * 4];
    static unsigned char mem[1 << 16], smem[(1 << 16) + 64];
    mlc_arena arena, scratch;
    mlc_rnn r, rb, rl;
    mlc_rnn_weights w[4];
    mlc_rnn_params p = mlc_rnn_params_make(MLC_RNN_GRU, 3, 4, 2, 0);
    mlc_tensor tx = mlc_tensor_3d(x, 5, 2, 3), ty = mlc_tensor_3d(y, 5, 2, 4), th = mlc_tensor_3d(h, 2, 2, 4), t;
    mlc_tensor tc = mlc_tensor_3d(c, 2, 2, 4), xs = mlc_tensor_2d(x, 2, 3), ys = mlc_tensor_2d(y, 2, 4);
    size_t sb;
    int i;
    for (i = 0; i < 4; i++) { w[i].w_ih = wih; w[i].w_hh = whh; w[i].b_ih = b; w[i].b_hh = b; w[i].w_hr = NULL; }
    mlc_arena_init(&arena, mem, sizeof mem);
    CHECK_OK(mlc_rnn_init(&r, &p, w, &arena));
    sb = mlc_rnn_scratch_bytes(&r, 5, 2);
    CHECK(sb > 0);
    CHECK_EQ_INT(mlc_rnn_scratch_bytes(&r, 0, 2), 0);
    CHECK_EQ_INT(mlc_rnn_scratch_bytes(&r, 5, 0), 0);
    CHECK_EQ_INT(mlc_rnn_scratch_bytes(NULL, 5, 2), 0);
    mlc_arena_init(&scratch, smem, sb);
    CHECK_OK(mlc_rnn_forward(&r, NULL, &ty, &tx, &th, NULL, &th, NULL, &scratch));   /* h0 and hn may be one buffer */
    /* the size covers the worst alignment; half of it is too small */
    mlc_arena_init(&scratch, mlct_align64(smem) + 1, sb);
    CHECK_OK(mlc_rnn_forward(&r, NULL, &ty, &tx, NULL, NULL, NULL, NULL, &scratch));
    mlc_arena_init(&scratch, smem, sb / 2);
    CHECK_ERR(mlc_rnn_forward(&r, NULL, &ty, &tx, NULL, NULL, NULL, NULL, &scratch), MLC_ERR_NOMEM);
    CHECK_EQ_INT(scratch.used, 0);
    CHECK_ERR(mlc_rnn_forward_ref(&r, &ty, &tx, NULL, NULL, NULL, NULL, &scratch), MLC_ERR_NOMEM);
    mlc_arena_init(&scratch, smem, sizeof smem);
    CHECK_ERR(mlc_rnn_forward(&r, NULL, &ty, &tx, NULL, NULL, NULL, NULL, NULL), MLC_ERR_NULL);
    CHECK_ERR(mlc_rnn_forward(NULL, NULL, &ty, &tx, NULL, NULL, NULL, NULL, &scratch), MLC_ERR_NULL);
    CHECK_ERR(mlc_rnn_forward(&r, NULL, NULL, &tx, NULL, NULL, NULL, NULL, &scratch), MLC_ERR_NULL);
    CHECK_ERR(mlc_rnn_forward(&r, NULL, &ty, NULL, NULL, NULL, NULL, NULL, &scratch), MLC_ERR_NULL);
    t = tx; t.shape[2] = 4;   /* input size */
    CHECK_ERR(mlc_rnn_forward(&r, NULL, &ty, &t, NULL, NULL, NULL, NULL, &scratch), MLC_ERR_SHAPE);
    t = ty; t.shape[0] = 4;   /* T */
    CHECK_ERR(mlc_rnn_forward(&r, NULL, &t, &tx, NULL, NULL, NULL, NULL, &scratch), MLC_ERR_SHAPE);
    t = ty; t.shape[2] = 8;   /* output size */
    CHECK_ERR(mlc_rnn_forward(&r, NULL, &t, &tx, NULL, NULL, NULL, NULL, &scratch), MLC_ERR_SHAPE);
    t = mlc_tensor_4d(x, 5, 2, 3, 1);
    CHECK_ERR(mlc_rnn_forward(&r, NULL, &ty, &t, NULL, NULL, NULL, NULL, &scratch), MLC_ERR_SHAPE);
    t = th; t.shape[0] = 1;   /* L*D */
    CHECK_ERR(mlc_rnn_forward(&r, NULL, &ty, &tx, &t, NULL, NULL, NULL, &scratch), MLC_ERR_SHAPE);
    CHECK_ERR(mlc_rnn_forward(&r, NULL, &ty, &tx, NULL, NULL, &t, NULL, &scratch), MLC_ERR_SHAPE);
    t = th; t.shape[1] = 1;   /* batch */
    CHECK_ERR(mlc_rnn_forward(&r, NULL, &ty, &tx, &t, NULL, NULL, NULL, &scratch), MLC_ERR_SHAPE);
    t = mlc_tensor_2d(h, 2, 4);   /* unbatched state with batched input */
    CHECK_ERR(mlc_rnn_forward(&r, NULL, &ty, &tx, &t, NULL, NULL, NULL, &scratch), MLC_ERR_SHAPE);
    CHECK_ERR(mlc_rnn_forward(&r, NULL, &ty, &tx, NULL, &tc, NULL, NULL, &scratch), MLC_ERR_ARG);   /* c0 on a GRU */
    CHECK_ERR(mlc_rnn_forward(&r, NULL, &ty, &tx, NULL, NULL, NULL, &tc, &scratch), MLC_ERR_ARG);
    t = tx; t.dtype = MLC_F16;
    CHECK_ERR(mlc_rnn_forward(&r, NULL, &ty, &t, NULL, NULL, NULL, NULL, &scratch), MLC_ERR_DTYPE);
    t = tx; t.data = NULL;
    CHECK_ERR(mlc_rnn_forward(&r, NULL, &ty, &t, NULL, NULL, NULL, NULL, &scratch), MLC_ERR_NULL);
    {   /* an uninitialised (or failed) model */
        mlc_rnn z;
        memset(&z, 0, sizeof z);
        CHECK_ERR(mlc_rnn_forward(&z, NULL, &ty, &tx, NULL, NULL, NULL, NULL, &scratch), MLC_ERR_NULL);
        CHECK_ERR(mlc_rnn_step(&z, NULL, &ys, &xs, &th, NULL, &scratch), MLC_ERR_NULL);
        CHECK_EQ_INT(mlc_rnn_scratch_bytes(&z, 5, 2), 0);
        CHECK_EQ_INT(mlc_rnn_step_scratch_bytes(&z, 1), 0);
    }
    /* step */
    sb = mlc_rnn_step_scratch_bytes(&r, 2);
    CHECK(sb > 0);
    mlc_arena_init(&scratch, smem, sb);
    CHECK_OK(mlc_rnn_step(&r, NULL, &ys, &xs, &th, NULL, &scratch));
    CHECK_OK(mlc_rnn_step(&r, NULL, NULL, &xs, &th, NULL, &scratch));   /* y optional */
    mlc_arena_init(&scratch, mlct_align64(smem) + 1, sb);
    CHECK_OK(mlc_rnn_step(&r, NULL, &ys, &xs, &th, NULL, &scratch));
    mlc_arena_init(&scratch, smem, sb / 2);
    CHECK_ERR(mlc_rnn_step(&r, NULL, &ys, &xs, &th, NULL, &scratch), MLC_ERR_NOMEM);
    CHECK_EQ_INT(scratch.used, 0);
    mlc_arena_init(&scratch, smem, sizeof smem);
    CHECK_ERR(mlc_rnn_step(&r, NULL, &ys, &xs, &th, &tc, &scratch), MLC_ERR_ARG);   /* c on a GRU */
    CHECK_ERR(mlc_rnn_step(&r, NULL, &ys, &xs, &th, NULL, NULL), MLC_ERR_NULL);
    CHECK_ERR(mlc_rnn_step(&r, NULL, &ys, &xs, NULL, NULL, &scratch), MLC_ERR_NULL);
    CHECK_ERR(mlc_rnn_step(&r, NULL, &ys, NULL, &th, NULL, &scratch), MLC_ERR_NULL);
    t = xs; t.shape[1] = 2;
    CHECK_ERR(mlc_rnn_step(&r, NULL, &ys, &t, &th, NULL, &scratch), MLC_ERR_SHAPE);
    t = ys; t.shape[0] = 1;
    CHECK_ERR(mlc_rnn_step(&r, NULL, &t, &xs, &th, NULL, &scratch), MLC_ERR_SHAPE);
    t = th; t.shape[0] = 3;
    CHECK_ERR(mlc_rnn_step(&r, NULL, &ys, &xs, &t, NULL, &scratch), MLC_ERR_SHAPE);
    t = mlc_tensor_1d(x, 3);   /* unbatched x with a batched state */
    CHECK_ERR(mlc_rnn_step(&r, NULL, &ys, &t, &th, NULL, &scratch), MLC_ERR_SHAPE);
    /* bidirectional models cannot stream */
    p.bidirectional = 1;
    CHECK_OK(mlc_rnn_init(&rb, &p, w, &arena));
    CHECK_ERR(mlc_rnn_step(&rb, NULL, &ys, &xs, &th, NULL, &scratch), MLC_ERR_ARG);
    /* an LSTM needs c */
    p = mlc_rnn_params_make(MLC_RNN_LSTM, 3, 3, 1, 0);
    CHECK_OK(mlc_rnn_init(&rl, &p, w, &arena));
    th = mlc_tensor_3d(h, 1, 2, 3); tc = mlc_tensor_3d(c, 1, 2, 3); ys = mlc_tensor_2d(y, 2, 3);
    CHECK_ERR(mlc_rnn_step(&rl, NULL, &ys, &xs, &th, NULL, &scratch), MLC_ERR_NULL);
    CHECK_OK(mlc_rnn_step(&rl, NULL, &ys, &xs, &th, &tc, &scratch));
    t = tc; t.shape[2] = 4;
    CHECK_ERR(mlc_rnn_step(&rl, NULL, &ys, &xs, &th, &t, &scratch), MLC_ERR_SHAPE);
}

/* Non-finite input propagates as NaN, never a crash (and never a finite
   output for a NaN input). */
static void test_rnn_nan(void) {
    static float wih[12 * 2], whh[12 * 3], b[12], x[4 * 2], y[4 * 3];
    static unsigned char mem[1 << 14], smem[1 << 14];
    mlc_arena arena, scratch;
    mlc_rnn r;
    mlc_rnn_weights w;
    mlc_rnn_params p = mlc_rnn_params_make(MLC_RNN_GRU, 2, 3, 1, 0);
    mlc_tensor tx = mlc_tensor_2d(x, 4, 2), ty = mlc_tensor_2d(y, 4, 3);
    int i;
    for (i = 0; i < 24; i++) wih[i] = 0.1f;
    for (i = 0; i < 36; i++) whh[i] = 0.1f;
    for (i = 0; i < 8; i++) x[i] = 0.5f;
    x[2] = NAN;   /* step 1 */
    w.w_ih = wih; w.w_hh = whh; w.b_ih = b; w.b_hh = b; w.w_hr = NULL;
    mlc_arena_init(&arena, mem, sizeof mem);
    mlc_arena_init(&scratch, smem, sizeof smem);
    CHECK_OK(mlc_rnn_init(&r, &p, &w, &arena));
    CHECK_OK(mlc_rnn_forward(&r, NULL, &ty, &tx, NULL, NULL, NULL, NULL, &scratch));
    for (i = 0; i < 3; i++) CHECK(!isnan(y[i]));
    for (i = 3; i < 12; i++) CHECK(isnan(y[i]));
    CHECK_OK(mlc_rnn_forward_ref(&r, &ty, &tx, NULL, NULL, NULL, NULL, &scratch));
    for (i = 3; i < 12; i++) CHECK(isnan(y[i]));
}

const mlct_case mlct_rnn_cases[] = {
    MLCT_CASE(test_rnn_golden),
    MLCT_CASE(test_rnn_random),
    MLCT_CASE(test_rnn_parallel),
    MLCT_CASE(test_rnn_bad_load),
    MLCT_CASE(test_rnn_bad_init),
    MLCT_CASE(test_rnn_bad_forward),
    MLCT_CASE(test_rnn_nan),
};
const int mlct_rnn_count = (int)(sizeof mlct_rnn_cases / sizeof mlct_rnn_cases[0]);
