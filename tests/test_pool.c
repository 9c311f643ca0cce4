/* NHWC pooling, upsampling and channel ops: the public API and its scalar
   references against PyTorch (tests/gen_golden_pool.py), the vector path
   against the reference on random shapes (channel counts 1..40 cover whole
   vectors and every tail length of every ISA), and bad input.

   Tolerances, in units of U = 2^-24 (float32 unit roundoff), M = max|x|:
   - exact: max pooling, nearest, pixel (un)shuffle, channel shuffle,
     concat/split (copies: nothing is rounded) and scale_channels (one
     rounded product in both paths, the same one).
   - average pooling of a window of m inputs: the float sum of m terms is off
     by at most (m-1) U sum|x_i| <= (m-1) U m M; divided by the divisor
     (>= m, PyTorch's rule) that is <= (m-1) U M; the division and the
     golden's own rounding add 2U |y|. So abs (m-1) U M, rel 2U. The vector
     path adds the same numbers in the same order (no products to contract)
     and equals the reference exactly.
   - bilinear: the weights are computed in float from a source coordinate
     scale * (o + 1/2) - 1/2 (or scale * o), off from the exact coordinate
     by <= (2 in + 1) U (scale rounded, one product, one subtraction) per
     axis, and a weight error d moves the output by d |x1 - x0| <= 2 M d;
     PyTorch's float64 golden computes the coordinate in double. The two
     levels of a*l0 + b*l1 round at most 4 times: 4U M; the golden U |y|.
     So abs M U (2 (2 H + 1) + 2 (2 W + 1) + 4), rel U. Vector against
     reference: the same weights, each side within 4U M of the exact blend of
     those weights (a compiler may contract either into fma): 8U M. */
#include <stdlib.h>
#include <limits.h>
#include "mlc_test.h"

#define U (1.0 / 16777216.0)

/* Every element within abs + rel |want| (NaN must match NaN). */
static void check_tol(const char *file, int line, const char *what, const float *got, const float *want,
                      size_t n, double abs_tol, double rel_tol) {
    size_t i, wi = 0;
    double worst = 0.0, wd = 0.0, wt = 0.0;
    if (!got || !want) { mlct_failures++; fprintf(stderr, "  %s:%d: %s: no data\n", file, line, what); return; }
    for (i = 0; i < n; i++) {
        double g = got[i], w = want[i], d, tol = abs_tol + rel_tol * fabs(w), r;
        if (isnan(g) || isnan(w) || isinf(g) || isinf(w)) d = (g == w || (isnan(g) && isnan(w))) ? 0.0 : INFINITY;
        else d = fabs(g - w);
        r = d == 0.0 ? 0.0 : (tol > 0.0 ? d / tol : INFINITY);
        if (r > worst) { worst = r; wi = i; wd = d; wt = tol; }
    }
    if (worst > 1.0) {
        mlct_failures++;
        fprintf(stderr, "  %s:%d: %s: |got - want| = %.3g > tol %.3g at [%lu]: got %.9g, want %.9g\n",
                file, line, what, wd, wt, (unsigned long)wi, (double)got[wi], (double)want[wi]);
    } else if (getenv("MLCT_VERBOSE")) {
        printf("       %-46s worst diff/tol %.3f\n", what, worst);
    }
}
#define CHECK_TOL(what, got, want, n, a, r) check_tol(__FILE__, __LINE__, (what), (got), (want), (n), (a), (r))
#define CHECK_EXACT(what, got, want, n) check_tol(__FILE__, __LINE__, (what), (got), (want), (n), 0.0, 0.0)

static float *alloc_floats(size_t n) { return (float *)malloc((n ? n : 1) * sizeof(float)); }

/* An output tensor shaped like `like` (rank and dims), fresh data filled with
   a poison value so unwritten elements show. */
static mlc_tensor out_like(const mlc_tensor *like) {
    mlc_tensor t = *like;
    size_t i, n = mlc_tensor_numel(like);
    float *d = alloc_floats(n);
    for (i = 0; i < n; i++) d[i] = 1234.5f;
    t.data = d;
    return t;
}

static int has(mlct_golden *g, const char *name) { return mlc_st_find(&g->st, name) != NULL; }

/* Integer parameters <case>.p (stored as float32, small integers: exact). */
static int get_params(mlct_golden *g, const char *cs, int *p, int n) {
    char name[64];
    mlc_tensor t;
    float *f;
    int i;
    snprintf(name, sizeof name, "%s.p", cs);
    f = mlct_golden_get(g, name, &t);
    if (!f) return 0;
    CHECK_EQ_INT(mlc_tensor_numel(&t), n);
    for (i = 0; i < n && i < (int)mlc_tensor_numel(&t); i++) p[i] = (int)f[i];
    free(f);
    return 1;
}

typedef mlc_result (*pool_fn)(const mlc_pool2d *, mlc_tensor *, const mlc_tensor *);

/* ---- pooling -------------------------------------------------------------- */

/* Runs every <prefix>_<i> case on input xname; returns how many ran. */
static int golden_pools(mlct_golden *g, const char *prefix, const char *xname, int max_pool) {
    mlc_tensor tx;
    float *x = mlct_golden_get(g, xname, &tx);
    double M;
    int i, ran = 0;
    if (!x) return 0;
    M = mlct_max_abs(x, mlc_tensor_numel(&tx));
    for (i = 0;; i++) {
        char cs[64], name[80], what[160];
        int prm[5], v, oh = 0, ow = 0;
        mlc_pool2d p;
        mlc_tensor twant;
        float *want;
        snprintf(cs, sizeof cs, "%s_%d", prefix, i);
        snprintf(name, sizeof name, "%s.y", cs);
        if (!has(g, name)) break;
        if (!get_params(g, cs, prm, 5)) break;
        want = mlct_golden_get(g, name, &twant);
        if (!want) break;
        p = mlc_pool2d_make(prm[0], prm[1], prm[2]);
        if (max_pool) { p.dilation_h = p.dilation_w = prm[3]; p.ceil_mode = prm[4]; }
        else          { p.ceil_mode = prm[3]; p.count_include_pad = prm[4]; }
        CHECK_OK(mlc_pool2d_out_size(&p, max_pool, tx.shape[1], tx.shape[2], &oh, &ow));
        CHECK_EQ_INT(oh, twant.shape[1]);
        CHECK_EQ_INT(ow, twant.shape[2]);
        for (v = 0; v < 2; v++) {
            mlc_tensor ty = out_like(&twant);
            pool_fn fn = max_pool ? (v ? mlc_max_pool2d_ref : mlc_max_pool2d)
                                  : (v ? mlc_avg_pool2d_ref : mlc_avg_pool2d);
            snprintf(what, sizeof what, "%s%s %s k%d s%d p%d %s%d %s%d", max_pool ? "max" : "avg",
                     v ? "_ref" : "", xname, prm[0], prm[1], prm[2], max_pool ? "d" : "ceil", prm[3],
                     max_pool ? "ceil" : "incl", prm[4]);
            CHECK_OK(fn(&p, &ty, &tx));
            if (max_pool) CHECK_EXACT(what, (float *)ty.data, want, mlc_tensor_numel(&twant));
            else {
                double m = (double)prm[0] * prm[0];
                CHECK_TOL(what, (float *)ty.data, want, mlc_tensor_numel(&twant), (m - 1) * U * M, 2 * U);
            }
            free(ty.data);
        }
        free(want);
        ran++;
    }
    free(x);
    return ran;
}

static void test_pool_golden_max(void) {
    mlct_golden g;
    if (!mlct_golden_open(&g, "pool.safetensors")) return;
    CHECK_EQ_INT(golden_pools(&g, "maxpool", "x5", 1), 32);
    CHECK_EQ_INT(golden_pools(&g, "maxpool20", "x20", 1), 3);
    mlct_golden_close(&g);
}

static void test_pool_golden_avg(void) {
    mlct_golden g;
    if (!mlct_golden_open(&g, "pool.safetensors")) return;
    CHECK_EQ_INT(golden_pools(&g, "avgpool", "x5", 0), 32);
    CHECK_EQ_INT(golden_pools(&g, "avgpool20", "x20", 0), 3);
    mlct_golden_close(&g);
}

static void test_pool_golden_adaptive(void) {
    mlct_golden g;
    int set, ran[2] = { 0, 0 };
    if (!mlct_golden_open(&g, "pool.safetensors")) return;
    for (set = 0; set < 2; set++) {
        const char *xname = set ? "x20" : "x5", *prefix = set ? "adaptive20" : "adaptive";
        mlc_tensor tx;
        float *x = mlct_golden_get(&g, xname, &tx);
        double M;
        int i, v;
        if (!x) continue;
        M = mlct_max_abs(x, mlc_tensor_numel(&tx));
        for (i = 0;; i++) {
            char cs[64], name[80], what[128];
            int prm[2];
            mlc_tensor tw;
            float *want;
            double m;
            snprintf(cs, sizeof cs, "%s_%d", prefix, i);
            snprintf(name, sizeof name, "%s.y", cs);
            if (!has(&g, name) || !get_params(&g, cs, prm, 2)) break;
            want = mlct_golden_get(&g, name, &tw);
            if (!want) break;
            CHECK_EQ_INT(tw.shape[1], prm[0]);
            /* largest window: ceil(H/OH) + 1 rows by ceil(W/OW) + 1 columns */
            m = (double)((tx.shape[1] + prm[0] - 1) / prm[0] + 1) * ((tx.shape[2] + prm[1] - 1) / prm[1] + 1);
            for (v = 0; v < 2; v++) {
                mlc_tensor ty = out_like(&tw);
                CHECK_OK(v ? mlc_adaptive_avg_pool2d_ref(&ty, &tx) : mlc_adaptive_avg_pool2d(&ty, &tx));
                snprintf(what, sizeof what, "adaptive_avg%s %s -> %dx%d", v ? "_ref" : "", xname, prm[0], prm[1]);
                CHECK_TOL(what, (float *)ty.data, want, mlc_tensor_numel(&tw), (m - 1) * U * M, 2 * U);
                free(ty.data);
            }
            free(want);
            ran[set]++;
        }
        /* global average pooling: y as [N,1,1,C] and as [N,C] */
        {
            mlc_tensor tw, ty, t2;
            float *want = mlct_golden_get(&g, set ? "global20.y" : "global.y", &tw);
            double m = (double)tx.shape[1] * tx.shape[2];
            char what[96];
            if (want) {
                for (v = 0; v < 4; v++) {
                    ty = out_like(&tw);
                    t2 = mlc_tensor_2d((float *)ty.data, tw.shape[0], tw.shape[3]);
                    if (v & 2) CHECK_OK(v & 1 ? mlc_global_avg_pool2d_ref(&t2, &tx) : mlc_global_avg_pool2d(&t2, &tx));
                    else       CHECK_OK(v & 1 ? mlc_global_avg_pool2d_ref(&ty, &tx) : mlc_global_avg_pool2d(&ty, &tx));
                    snprintf(what, sizeof what, "global_avg%s %s%s", v & 1 ? "_ref" : "", xname, v & 2 ? " [N,C]" : "");
                    CHECK_TOL(what, (float *)ty.data, want, mlc_tensor_numel(&tw), (m - 1) * U * M, 2 * U);
                    free(ty.data);
                }
                free(want);
            }
        }
        free(x);
    }
    CHECK_EQ_INT(ran[0], 4);
    CHECK_EQ_INT(ran[1], 2);
    mlct_golden_close(&g);
}

/* ---- upsampling ----------------------------------------------------------- */

static void test_pool_golden_upsample(void) {
    mlct_golden g;
    int set, nearest_ran = 0, bilinear_ran[2] = { 0, 0 };
    if (!mlct_golden_open(&g, "pool.safetensors")) return;
    for (set = 0; set < 3; set++) {   /* nearest on x5, bilinear on x5, bilinear on x20 */
        const char *xname = set == 2 ? "x20" : "x5";
        const char *prefix = set == 0 ? "nearest" : (set == 1 ? "bilinear" : "bilinear20");
        mlc_tensor tx;
        float *x = mlct_golden_get(&g, xname, &tx);
        double M;
        int i, v;
        if (!x) continue;
        M = mlct_max_abs(x, mlc_tensor_numel(&tx));
        for (i = 0;; i++) {
            char cs[64], name[80], what[128];
            int prm[3] = { 0, 0, 0 };
            mlc_tensor tw;
            float *want;
            snprintf(cs, sizeof cs, "%s_%d", prefix, i);
            snprintf(name, sizeof name, "%s.y", cs);
            if (!has(&g, name) || !get_params(&g, cs, prm, set ? 3 : 2)) break;
            want = mlct_golden_get(&g, name, &tw);
            if (!want) break;
            CHECK_EQ_INT(tw.shape[1], prm[0]);
            CHECK_EQ_INT(tw.shape[2], prm[1]);
            for (v = 0; v < 2; v++) {
                mlc_tensor ty = out_like(&tw);
                size_t n = mlc_tensor_numel(&tw);
                if (set == 0) {
                    CHECK_OK(v ? mlc_upsample_nearest2d_ref(&ty, &tx) : mlc_upsample_nearest2d(&ty, &tx));
                    snprintf(what, sizeof what, "nearest%s %s -> %dx%d", v ? "_ref" : "", xname, prm[0], prm[1]);
                    CHECK_EXACT(what, (float *)ty.data, want, n);
                } else {
                    double tol = M * U * (2.0 * (2 * tx.shape[1] + 1) + 2.0 * (2 * tx.shape[2] + 1) + 4);
                    CHECK_OK(v ? mlc_upsample_bilinear2d_ref(&ty, &tx, prm[2]) : mlc_upsample_bilinear2d(&ty, &tx, prm[2]));
                    snprintf(what, sizeof what, "bilinear%s %s -> %dx%d align %d", v ? "_ref" : "", xname,
                             prm[0], prm[1], prm[2]);
                    CHECK_TOL(what, (float *)ty.data, want, n, tol, U);
                }
                free(ty.data);
            }
            free(want);
            if (set == 0) nearest_ran++; else bilinear_ran[set - 1]++;
        }
        free(x);
    }
    CHECK_EQ_INT(nearest_ran, 5);
    CHECK_EQ_INT(bilinear_ran[0], 12);
    CHECK_EQ_INT(bilinear_ran[1], 2);
    mlct_golden_close(&g);
}

/* ---- shuffles ------------------------------------------------------------- */

typedef mlc_result (*shuffle_fn)(mlc_tensor *, const mlc_tensor *, int);

static void golden_shuffle(mlct_golden *g, const char *xname, const char *yname, shuffle_fn fn,
                           shuffle_fn ref, int arg, const char *what) {
    mlc_tensor tx, tw;
    float *x = mlct_golden_get(g, xname, &tx), *want = mlct_golden_get(g, yname, &tw);
    int v;
    if (x && want) for (v = 0; v < 2; v++) {
        mlc_tensor ty = out_like(&tw);
        char w2[96];
        CHECK_OK((v ? ref : fn)(&ty, &tx, arg));
        snprintf(w2, sizeof w2, "%s%s", what, v ? "_ref" : "");
        CHECK_EXACT(w2, (float *)ty.data, want, mlc_tensor_numel(&tw));
        free(ty.data);
    }
    free(x); free(want);
}

static void test_pool_golden_shuffle(void) {
    mlct_golden g;
    if (!mlct_golden_open(&g, "pool.safetensors")) return;
    golden_shuffle(&g, "ps.x", "ps.y", mlc_pixel_shuffle, mlc_pixel_shuffle_ref, 2, "pixel_shuffle r2");
    golden_shuffle(&g, "pu.x", "pu.y", mlc_pixel_unshuffle, mlc_pixel_unshuffle_ref, 2, "pixel_unshuffle r2");
    golden_shuffle(&g, "cs.x", "cs2.y", mlc_channel_shuffle, mlc_channel_shuffle_ref, 2, "channel_shuffle g2");
    golden_shuffle(&g, "cs.x", "cs3.y", mlc_channel_shuffle, mlc_channel_shuffle_ref, 3, "channel_shuffle g3");
    mlct_golden_close(&g);
}

static void test_pool_golden_cat_se(void) {
    mlct_golden g;
    mlc_tensor ta, tb, tc, tx, ts, tw;
    float *a, *b, *cat, *x, *s, *want;
    int v;
    if (!mlct_golden_open(&g, "pool.safetensors")) return;
    a = mlct_golden_get(&g, "cat.a", &ta); b = mlct_golden_get(&g, "cat.b", &tb);
    cat = mlct_golden_get(&g, "cat.y", &tc);
    if (a && b && cat) for (v = 0; v < 2; v++) {
        mlc_tensor ty = out_like(&tc), ya = out_like(&ta), yb = out_like(&tb);
        CHECK_OK(v ? mlc_concat_channels_ref(&ty, &ta, &tb) : mlc_concat_channels(&ty, &ta, &tb));
        CHECK_EXACT(v ? "concat_channels_ref" : "concat_channels", (float *)ty.data, cat, mlc_tensor_numel(&tc));
        CHECK_OK(v ? mlc_split_channels_ref(&ya, &yb, &tc) : mlc_split_channels(&ya, &yb, &tc));
        CHECK_EXACT(v ? "split_channels_ref a" : "split_channels a", (float *)ya.data, a, mlc_tensor_numel(&ta));
        CHECK_EXACT(v ? "split_channels_ref b" : "split_channels b", (float *)yb.data, b, mlc_tensor_numel(&tb));
        free(ty.data); free(ya.data); free(yb.data);
    }
    x = mlct_golden_get(&g, "se.x", &tx); s = mlct_golden_get(&g, "se.s", &ts);
    want = mlct_golden_get(&g, "se.y", &tw);
    /* exact: one product, correctly rounded on both sides */
    if (x && s && want) for (v = 0; v < 2; v++) {
        mlc_tensor ty = out_like(&tw);
        CHECK_OK(v ? mlc_scale_channels_ref(&ty, &tx, &ts) : mlc_scale_channels(&ty, &tx, &ts));
        CHECK_EXACT(v ? "scale_channels_ref" : "scale_channels", (float *)ty.data, want, mlc_tensor_numel(&tw));
        free(ty.data);
    }
    free(a); free(b); free(cat); free(x); free(s); free(want);
    mlct_golden_close(&g);
}

/* ---- vector path against the reference, random shapes --------------------- */

static mlc_tensor rand_nhwc(mlct_rng *r, int n, int h, int w, int c) {
    mlc_tensor t = mlc_tensor_4d(alloc_floats((size_t)n * h * w * c), n, h, w, c);
    mlct_fill(r, (float *)t.data, mlc_tensor_numel(&t), -3.0f, 3.0f);
    return t;
}
static mlc_tensor new4(int n, int h, int w, int c) {
    mlc_tensor t = mlc_tensor_4d(alloc_floats((size_t)n * h * w * c), n, h, w, c);
    size_t i;
    for (i = 0; i < mlc_tensor_numel(&t); i++) ((float *)t.data)[i] = 1234.5f;
    return t;
}
static void vs_ref(const char *what, int c, const mlc_tensor *a, const mlc_tensor *b, double tol) {
    char w2[128];
    snprintf(w2, sizeof w2, "%s C=%d vs ref", what, c);
    CHECK_EQ_INT(mlc_tensor_numel(a), mlc_tensor_numel(b));
    CHECK_TOL(w2, (const float *)a->data, (const float *)b->data, mlc_tensor_numel(a), tol, 0.0);
}

static void test_pool_simd_vs_ref(void) {
    mlct_rng rng;
    int C, it;
    rng.s = 12345u;
    for (C = 1; C <= 40; C++) for (it = 0; it < 3; it++) {
        int N = 1 + (int)(mlct_u32(&rng) % 2), H = 1 + (int)(mlct_u32(&rng) % 9), W = 1 + (int)(mlct_u32(&rng) % 9);
        mlc_tensor x = rand_nhwc(&rng, N, H, W, C), y1, y2;
        mlc_pool2d p = mlc_pool2d_make(1 + (int)(mlct_u32(&rng) % 3), 1 + (int)(mlct_u32(&rng) % 3), 0);
        int oh, ow, mp, OH, OW, g;
        p.pad_h = (int)(mlct_u32(&rng) % (unsigned)(p.kernel_h / 2 + 1)); p.pad_w = p.pad_h;
        p.ceil_mode = (int)(mlct_u32(&rng) % 2);
        p.count_include_pad = (int)(mlct_u32(&rng) % 2);
        if (it == 1) ((float *)x.data)[mlct_u32(&rng) % mlc_tensor_numel(&x)] = NAN;  /* NaN propagation */
        for (mp = 0; mp < 2; mp++) {
            if (mp) p.dilation_h = p.dilation_w = 1 + (int)(mlct_u32(&rng) % 2);
            else p.dilation_h = p.dilation_w = 1;
            if (mlc_pool2d_out_size(&p, mp, H, W, &oh, &ow) != MLC_OK) continue;
            y1 = new4(N, oh, ow, C); y2 = new4(N, oh, ow, C);
            CHECK_OK(mp ? mlc_max_pool2d(&p, &y1, &x) : mlc_avg_pool2d(&p, &y1, &x));
            CHECK_OK(mp ? mlc_max_pool2d_ref(&p, &y2, &x) : mlc_avg_pool2d_ref(&p, &y2, &x));
            vs_ref(mp ? "max_pool2d" : "avg_pool2d", C, &y1, &y2, 0.0);
            free(y1.data); free(y2.data);
        }
        if (it == 1) { free(x.data); continue; }   /* no NaN past here: tolerances below are finite */
        OH = 1 + (int)(mlct_u32(&rng) % 12); OW = 1 + (int)(mlct_u32(&rng) % 12);
        y1 = new4(N, OH, OW, C); y2 = new4(N, OH, OW, C);
        CHECK_OK(mlc_adaptive_avg_pool2d(&y1, &x)); CHECK_OK(mlc_adaptive_avg_pool2d_ref(&y2, &x));
        vs_ref("adaptive_avg_pool2d", C, &y1, &y2, 0.0);
        CHECK_OK(mlc_upsample_nearest2d(&y1, &x)); CHECK_OK(mlc_upsample_nearest2d_ref(&y2, &x));
        vs_ref("upsample_nearest2d", C, &y1, &y2, 0.0);
        /* 8U M, M = 3: see the top comment; it = 2 is align_corners (any nonzero) */
        CHECK_OK(mlc_upsample_bilinear2d(&y1, &x, it)); CHECK_OK(mlc_upsample_bilinear2d_ref(&y2, &x, it));
        vs_ref("upsample_bilinear2d", C, &y1, &y2, 8 * U * 3.0);
        free(y1.data); free(y2.data);
        y1 = new4(N, 1, 1, C); y2 = new4(N, 1, 1, C);
        CHECK_OK(mlc_global_avg_pool2d(&y1, &x)); CHECK_OK(mlc_global_avg_pool2d_ref(&y2, &x));
        vs_ref("global_avg_pool2d", C, &y1, &y2, 0.0);
        {   /* scale_channels, also in place */
            mlc_tensor s = mlc_tensor_2d((float *)y1.data, N, C), y3 = new4(N, H, W, C), y4 = new4(N, H, W, C);
            CHECK_OK(mlc_scale_channels(&y3, &x, &s)); CHECK_OK(mlc_scale_channels_ref(&y4, &x, &s));
            vs_ref("scale_channels", C, &y3, &y4, 0.0);
            memcpy(y3.data, x.data, mlc_tensor_numel(&x) * sizeof(float));
            CHECK_OK(mlc_scale_channels(&y3, &y3, &y2));  /* s as [N,1,1,C] */
            vs_ref("scale_channels in place", C, &y3, &y4, 0.0);
            free(y3.data); free(y4.data);
        }
        free(y1.data); free(y2.data);
        for (g = 1; g <= C; g++) if (C % g == 0) {
            y1 = new4(N, H, W, C); y2 = new4(N, H, W, C);
            CHECK_OK(mlc_channel_shuffle(&y1, &x, g)); CHECK_OK(mlc_channel_shuffle_ref(&y2, &x, g));
            vs_ref("channel_shuffle", C, &y1, &y2, 0.0);
            free(y1.data); free(y2.data);
        }
        {   /* concat then split round trip, against the reference */
            int ca = 1 + (int)(mlct_u32(&rng) % (unsigned)C);
            mlc_tensor b = rand_nhwc(&rng, N, H, W, ca), ya = new4(N, H, W, C + ca), yb = new4(N, H, W, C + ca);
            mlc_tensor s1 = new4(N, H, W, C), s2 = new4(N, H, W, ca);
            CHECK_OK(mlc_concat_channels(&ya, &x, &b)); CHECK_OK(mlc_concat_channels_ref(&yb, &x, &b));
            vs_ref("concat_channels", C, &ya, &yb, 0.0);
            CHECK_OK(mlc_split_channels(&s1, &s2, &ya));
            vs_ref("split_channels a", C, &s1, &x, 0.0);
            vs_ref("split_channels b", C, &s2, &b, 0.0);
            CHECK_OK(mlc_split_channels_ref(&s1, &s2, &yb));
            vs_ref("split_channels_ref a", C, &s1, &x, 0.0);
            vs_ref("split_channels_ref b", C, &s2, &b, 0.0);
            free(b.data); free(ya.data); free(yb.data); free(s1.data); free(s2.data);
        }
        {   /* pixel shuffle r = 1..3 and back */
            int r = 1 + it % 3, cs = C;
            mlc_tensor big = new4(N, H * r, W * r, cs), big2 = new4(N, H * r, W * r, cs);
            mlc_tensor small = rand_nhwc(&rng, N, H, W, cs * r * r), back = new4(N, H, W, cs * r * r);
            CHECK_OK(mlc_pixel_shuffle(&big, &small, r)); CHECK_OK(mlc_pixel_shuffle_ref(&big2, &small, r));
            vs_ref("pixel_shuffle", C, &big, &big2, 0.0);
            CHECK_OK(mlc_pixel_unshuffle(&back, &big, r));
            vs_ref("pixel_unshuffle(pixel_shuffle)", C, &back, &small, 0.0);
            CHECK_OK(mlc_pixel_unshuffle_ref(&back, &big, r));
            vs_ref("pixel_unshuffle_ref(pixel_shuffle)", C, &back, &small, 0.0);
            free(big.data); free(big2.data); free(small.data); free(back.data);
        }
        free(x.data);
    }
}

/* A NaN in a window gives NaN, wherever it falls in the window. */
static void test_pool_max_nan(void) {
    float x[3 * 3 * 20], y[20], y2[20];
    mlc_tensor tx = mlc_tensor_4d(x, 1, 3, 3, 20), ty = mlc_tensor_4d(y, 1, 1, 1, 20), ty2 = mlc_tensor_4d(y2, 1, 1, 1, 20);
    mlc_pool2d p = mlc_pool2d_make(3, 1, 0);
    int pos, c;
    for (pos = 0; pos < 9; pos++) {
        for (c = 0; c < 3 * 3 * 20; c++) x[c] = (float)(c % 7) - 3.0f;
        for (c = 0; c < 20; c += 3) x[pos * 20 + c] = NAN;
        CHECK_OK(mlc_max_pool2d(&p, &ty, &tx));
        CHECK_OK(mlc_max_pool2d_ref(&p, &ty2, &tx));
        for (c = 0; c < 20; c++) {
            CHECK((c % 3 == 0) == (y[c] != y[c]));
            CHECK((c % 3 == 0) == (y2[c] != y2[c]));
        }
    }
}

/* ---- bad input ------------------------------------------------------------ */

static void test_pool_errors(void) {
    float xb[2 * 5 * 5 * 4], yb[2 * 10 * 10 * 4], sb[64];
    mlc_tensor x = mlc_tensor_4d(xb, 2, 5, 5, 4), y = mlc_tensor_4d(yb, 2, 2, 2, 4), t;
    mlc_tensor s = mlc_tensor_2d(sb, 2, 4);
    mlc_pool2d p = mlc_pool2d_make(2, 0, 0), q;
    int oh, ow;
    memset(xb, 0, sizeof xb); memset(sb, 0, sizeof sb);
    /* the good call, then one thing wrong at a time */
    CHECK_OK(mlc_max_pool2d(&p, &y, &x));
    CHECK_OK(mlc_avg_pool2d(&p, &y, &x));
    CHECK_OK(mlc_pool2d_out_size(&p, 1, 5, 5, &oh, &ow));
    CHECK_EQ_INT(oh, 2); CHECK_EQ_INT(ow, 2);
    /* NULL */
    CHECK_ERR(mlc_max_pool2d(NULL, &y, &x), MLC_ERR_NULL);
    CHECK_ERR(mlc_max_pool2d(&p, NULL, &x), MLC_ERR_NULL);
    CHECK_ERR(mlc_avg_pool2d(&p, &y, NULL), MLC_ERR_NULL);
    CHECK_ERR(mlc_avg_pool2d_ref(NULL, &y, &x), MLC_ERR_NULL);
    CHECK_ERR(mlc_pool2d_out_size(NULL, 1, 5, 5, &oh, &ow), MLC_ERR_NULL);
    CHECK_ERR(mlc_pool2d_out_size(&p, 1, 5, 5, NULL, &ow), MLC_ERR_NULL);
    t = x; t.data = NULL;
    CHECK_ERR(mlc_max_pool2d_ref(&p, &y, &t), MLC_ERR_NULL);
    CHECK_ERR(mlc_global_avg_pool2d(NULL, &x), MLC_ERR_NULL);
    CHECK_ERR(mlc_adaptive_avg_pool2d(&y, NULL), MLC_ERR_NULL);
    CHECK_ERR(mlc_upsample_nearest2d(NULL, &x), MLC_ERR_NULL);
    CHECK_ERR(mlc_upsample_bilinear2d(&y, NULL, 0), MLC_ERR_NULL);
    CHECK_ERR(mlc_pixel_shuffle(NULL, &x, 2), MLC_ERR_NULL);
    CHECK_ERR(mlc_pixel_unshuffle_ref(&y, NULL, 2), MLC_ERR_NULL);
    CHECK_ERR(mlc_channel_shuffle(&y, NULL, 2), MLC_ERR_NULL);
    CHECK_ERR(mlc_concat_channels(&y, &x, NULL), MLC_ERR_NULL);
    CHECK_ERR(mlc_concat_channels_ref(NULL, &x, &x), MLC_ERR_NULL);
    CHECK_ERR(mlc_split_channels(&y, NULL, &x), MLC_ERR_NULL);
    CHECK_ERR(mlc_split_channels_ref(&y, &y, NULL), MLC_ERR_NULL);
    CHECK_ERR(mlc_scale_channels(&x, &x, NULL), MLC_ERR_NULL);
    CHECK_ERR(mlc_scale_channels_ref(&x, &x, NULL), MLC_ERR_NULL);
    /* dtype */
    t = x; t.dtype = MLC_F16;
    CHECK_ERR(mlc_max_pool2d(&p, &y, &t), MLC_ERR_DTYPE);
    CHECK_ERR(mlc_avg_pool2d(&p, &t, &x), MLC_ERR_DTYPE);
    CHECK_ERR(mlc_global_avg_pool2d(&y, &t), MLC_ERR_DTYPE);
    CHECK_ERR(mlc_upsample_nearest2d(&y, &t), MLC_ERR_DTYPE);
    CHECK_ERR(mlc_upsample_bilinear2d_ref(&t, &x, 1), MLC_ERR_DTYPE);
    CHECK_ERR(mlc_channel_shuffle(&t, &x, 2), MLC_ERR_DTYPE);
    CHECK_ERR(mlc_pixel_shuffle(&y, &t, 1), MLC_ERR_DTYPE);
    CHECK_ERR(mlc_scale_channels(&x, &x, &t), MLC_ERR_DTYPE);
    CHECK_ERR(mlc_concat_channels(&y, &x, &t), MLC_ERR_DTYPE);
    /* parameters */
    q = p; q.kernel_h = 0;         CHECK_ERR(mlc_max_pool2d(&q, &y, &x), MLC_ERR_ARG);
    q = p; q.kernel_w = -1;        CHECK_ERR(mlc_avg_pool2d_ref(&q, &y, &x), MLC_ERR_ARG);
    q = p; q.stride_h = -1;        CHECK_ERR(mlc_max_pool2d(&q, &y, &x), MLC_ERR_ARG);
    q = p; q.pad_w = 2;            CHECK_ERR(mlc_max_pool2d(&q, &y, &x), MLC_ERR_ARG);   /* > kernel/2 */
    q = p; q.pad_h = -1;           CHECK_ERR(mlc_avg_pool2d(&q, &y, &x), MLC_ERR_ARG);
    q = p; q.dilation_h = -2;      CHECK_ERR(mlc_max_pool2d(&q, &y, &x), MLC_ERR_ARG);
    q = p; q.dilation_w = 2;       CHECK_ERR(mlc_avg_pool2d(&q, &y, &x), MLC_ERR_ARG);   /* avg: no dilation */
    CHECK_ERR(mlc_pool2d_out_size(&q, 0, 5, 5, &oh, &ow), MLC_ERR_ARG);
    CHECK_ERR(mlc_channel_shuffle(&x, &x, 0), MLC_ERR_ARG);
    CHECK_ERR(mlc_pixel_shuffle(&x, &x, 0), MLC_ERR_ARG);
    CHECK_ERR(mlc_pixel_unshuffle(&x, &x, -2), MLC_ERR_ARG);
    /* shapes */
    q = mlc_pool2d_make(7, 1, 0);
    CHECK_ERR(mlc_max_pool2d(&q, &y, &x), MLC_ERR_SHAPE);             /* window larger than the input */
    CHECK_ERR(mlc_pool2d_out_size(&q, 1, 5, 5, &oh, &ow), MLC_ERR_SHAPE);
    CHECK_ERR(mlc_pool2d_out_size(&p, 1, 0, 5, &oh, &ow), MLC_ERR_SHAPE);
    t = mlc_tensor_4d(yb, 2, 2, 3, 4);
    CHECK_ERR(mlc_max_pool2d(&p, &t, &x), MLC_ERR_SHAPE);             /* wrong output width */
    t = mlc_tensor_4d(yb, 2, 2, 2, 3);
    CHECK_ERR(mlc_avg_pool2d(&p, &t, &x), MLC_ERR_SHAPE);             /* wrong channels */
    t = mlc_tensor_4d(yb, 1, 2, 2, 4);
    CHECK_ERR(mlc_max_pool2d_ref(&p, &t, &x), MLC_ERR_SHAPE);         /* wrong batch */
    t = mlc_tensor_3d(yb, 2, 4, 4);
    CHECK_ERR(mlc_max_pool2d(&p, &y, &t), MLC_ERR_SHAPE);             /* rank 3 input */
    CHECK_ERR(mlc_adaptive_avg_pool2d(&t, &x), MLC_ERR_SHAPE);
    t = mlc_tensor_4d(yb, 2, 1, 1, 5);
    CHECK_ERR(mlc_global_avg_pool2d(&t, &x), MLC_ERR_SHAPE);
    t = mlc_tensor_2d(yb, 2, 5);
    CHECK_ERR(mlc_global_avg_pool2d_ref(&t, &x), MLC_ERR_SHAPE);
    t = mlc_tensor_4d(yb, 2, 1, 2, 4);
    CHECK_ERR(mlc_global_avg_pool2d(&t, &x), MLC_ERR_SHAPE);
    t = mlc_tensor_4d(yb, 3, 10, 10, 4);
    CHECK_ERR(mlc_upsample_nearest2d(&t, &x), MLC_ERR_SHAPE);
    t = mlc_tensor_4d(yb, 2, 10, 10, 2);
    CHECK_ERR(mlc_upsample_bilinear2d(&t, &x, 0), MLC_ERR_SHAPE);
    t = mlc_tensor_4d(yb, 2, 10, 10, 1);
    CHECK_OK(mlc_pixel_shuffle(&t, &x, 2));
    CHECK_ERR(mlc_pixel_shuffle(&t, &x, 3), MLC_ERR_SHAPE);
    t = mlc_tensor_4d(yb, 2, 10, 9, 1);
    CHECK_ERR(mlc_pixel_shuffle_ref(&t, &x, 2), MLC_ERR_SHAPE);
    t = mlc_tensor_4d(yb, 2, 2, 2, 25);
    CHECK_ERR(mlc_pixel_unshuffle(&t, &x, 2), MLC_ERR_SHAPE);         /* 5x5 is not a multiple of 2 */
    CHECK_ERR(mlc_channel_shuffle(&y, &x, 2), MLC_ERR_SHAPE);         /* y not x's shape */
    t = mlc_tensor_4d(yb, 2, 5, 5, 4);
    CHECK_ERR(mlc_channel_shuffle(&t, &x, 3), MLC_ERR_SHAPE);         /* 3 does not divide 4 */
    CHECK_OK(mlc_channel_shuffle(&t, &x, 4));
    t = mlc_tensor_4d(yb, 2, 5, 5, 7);
    CHECK_ERR(mlc_concat_channels(&t, &x, &x), MLC_ERR_SHAPE);        /* 4 + 4 != 7 */
    CHECK_ERR(mlc_split_channels(&x, &x, &t), MLC_ERR_SHAPE);
    t = mlc_tensor_4d(yb, 2, 5, 5, 8);
    CHECK_OK(mlc_concat_channels(&t, &x, &x));
    {
        mlc_tensor a = mlc_tensor_4d(xb, 2, 5, 4, 4);
        CHECK_ERR(mlc_concat_channels(&t, &x, &a), MLC_ERR_SHAPE);    /* different widths */
    }
    t = mlc_tensor_2d(sb, 2, 5);
    CHECK_ERR(mlc_scale_channels(&x, &x, &t), MLC_ERR_SHAPE);
    t = mlc_tensor_2d(sb, 1, 4);
    CHECK_ERR(mlc_scale_channels_ref(&x, &x, &t), MLC_ERR_SHAPE);
    t = mlc_tensor_4d(yb, 2, 5, 5, 5);
    CHECK_ERR(mlc_scale_channels(&t, &x, &s), MLC_ERR_SHAPE);
    CHECK_OK(mlc_scale_channels(&x, &x, &s));
}

/* PyTorch's ceil_mode rule and padding in the output size. */
static void test_pool_out_size(void) {
    mlc_pool2d p = mlc_pool2d_make(2, 2, 0);
    int oh = 0, ow = 0;
    p.ceil_mode = 1;
    CHECK_OK(mlc_pool2d_out_size(&p, 1, 5, 4, &oh, &ow));   /* ceil(3/2)+1 = 3, (4-2)/2+1 = 2 */
    CHECK_EQ_INT(oh, 3); CHECK_EQ_INT(ow, 2);
    p = mlc_pool2d_make(3, 2, 1); p.ceil_mode = 1;
    CHECK_OK(mlc_pool2d_out_size(&p, 1, 6, 5, &oh, &ow));
    CHECK_EQ_INT(oh, 4);  /* (4-1)*2 = 6 < 6 + 1: kept */
    CHECK_EQ_INT(ow, 3);  /* 5+2-3 = 4: 4/2+1 = 3, (3-1)*2 = 4 < 6 */
    p = mlc_pool2d_make(2, 2, 1); p.ceil_mode = 1;
    CHECK_OK(mlc_pool2d_out_size(&p, 1, 4, 4, &oh, &ow));
    CHECK_EQ_INT(oh, 3);  /* 4+2-2 = 4, ceil(4/2)+1 = 3; (3-1)*2 = 4 < 5: kept */
    p = mlc_pool2d_make(3, 3, 1); p.ceil_mode = 1;
    CHECK_OK(mlc_pool2d_out_size(&p, 1, 4, 4, &oh, &ow));
    CHECK_EQ_INT(oh, 2);  /* 4+2-3 = 3, ceil(3/3)+1 = 2; (2-1)*3 = 3 < 5 */
    p = mlc_pool2d_make(2, 3, 1); p.ceil_mode = 1;
    CHECK_OK(mlc_pool2d_out_size(&p, 1, 4, 4, &oh, &ow));
    CHECK_EQ_INT(oh, 2);  /* 4+2-2 = 4, ceil(4/3)+1 = 3; (3-1)*3 = 6 >= 5: dropped */
    p = mlc_pool2d_make(3, 2, 0); p.ceil_mode = 1;
    CHECK_OK(mlc_pool2d_out_size(&p, 1, 2, 2, &oh, &ow));
    CHECK_EQ_INT(oh, 1);  /* PyTorch: a window larger than a 2x2 input, ceil mode: 1 */
    p.ceil_mode = 0;
    CHECK_ERR(mlc_pool2d_out_size(&p, 1, 2, 2, &oh, &ow), MLC_ERR_SHAPE);
}

/* Extreme parameters: no overflow (UBSan watches), an answer or an error. */
static void test_pool_extreme_params(void) {
    float xb[2 * 3 * 4 * 5], yb[2 * 3 * 4 * 5], y2[2 * 3 * 4 * 5];
    mlc_tensor x = mlc_tensor_4d(xb, 2, 3, 4, 5), y, t2;
    mlc_pool2d p = mlc_pool2d_make(1, 1, 0);
    mlct_rng rng;
    int oh, ow;
    rng.s = 99u;
    mlct_fill(&rng, xb, 2 * 3 * 4 * 5, -1.0f, 1.0f);
    p.dilation_h = p.dilation_w = INT_MAX;       /* kernel 1: dilation never used */
    y = mlc_tensor_4d(yb, 2, 3, 4, 5); t2 = mlc_tensor_4d(y2, 2, 3, 4, 5);
    CHECK_OK(mlc_max_pool2d(&p, &y, &x));
    CHECK_OK(mlc_max_pool2d_ref(&p, &t2, &x));
    CHECK_EXACT("max_pool k1 dilation INT_MAX", yb, xb, 2 * 3 * 4 * 5);
    CHECK_EXACT("max_pool_ref k1 dilation INT_MAX", y2, xb, 2 * 3 * 4 * 5);
    p = mlc_pool2d_make(2, 1, 0); p.dilation_h = INT_MAX;
    CHECK_ERR(mlc_pool2d_out_size(&p, 1, 3, 4, &oh, &ow), MLC_ERR_SHAPE);
    CHECK_ERR(mlc_max_pool2d(&p, &y, &x), MLC_ERR_SHAPE);
    p = mlc_pool2d_make(3, INT_MAX, 1); p.ceil_mode = 1;   /* one window */
    CHECK_OK(mlc_pool2d_out_size(&p, 0, 3, 4, &oh, &ow));
    CHECK_EQ_INT(oh, 1); CHECK_EQ_INT(ow, 1);
    y = mlc_tensor_4d(yb, 2, 1, 1, 5); t2 = mlc_tensor_4d(y2, 2, 1, 1, 5);
    CHECK_OK(mlc_avg_pool2d(&p, &y, &x));
    CHECK_OK(mlc_avg_pool2d_ref(&p, &t2, &x));
    CHECK_EXACT("avg_pool stride INT_MAX vs ref", yb, y2, 2 * 5);
    CHECK_OK(mlc_max_pool2d(&p, &y, &x));
    p = mlc_pool2d_make(INT_MAX, 1, 0);
    CHECK_ERR(mlc_max_pool2d(&p, &y, &x), MLC_ERR_SHAPE);
    p.pad_h = p.pad_w = INT_MAX / 2;             /* allowed (<= kernel/2); the output is too big for y */
    CHECK_ERR(mlc_avg_pool2d(&p, &y, &x), MLC_ERR_SHAPE);
    y = mlc_tensor_4d(yb, 2, 3, 4, 5);           /* every window covers the whole image */
    CHECK_OK(mlc_max_pool2d(&p, &y, &x));
    {
        int n, i, c, ok = 1;
        for (n = 0; n < 2; n++) for (c = 0; c < 5; c++) {
            float m = -INFINITY;
            for (i = 0; i < 12; i++) m = xb[(n * 12 + i) * 5 + c] > m ? xb[(n * 12 + i) * 5 + c] : m;
            for (i = 0; i < 12; i++) ok &= yb[(n * 12 + i) * 5 + c] == m;
        }
        CHECK(ok);
    }
    CHECK_OK(mlc_avg_pool2d_ref(&p, &y, &x));
    CHECK(fabsf(yb[0]) < 1e-15f);                /* divided by ~2^61 */
    CHECK_ERR(mlc_pixel_shuffle(&x, &x, INT_MAX), MLC_ERR_SHAPE);
    CHECK_ERR(mlc_channel_shuffle(&x, &x, INT_MAX), MLC_ERR_SHAPE);
}

const mlct_case mlct_pool_cases[] = {
    MLCT_CASE(test_pool_golden_max),
    MLCT_CASE(test_pool_golden_avg),
    MLCT_CASE(test_pool_golden_adaptive),
    MLCT_CASE(test_pool_golden_upsample),
    MLCT_CASE(test_pool_golden_shuffle),
    MLCT_CASE(test_pool_golden_cat_se),
    MLCT_CASE(test_pool_simd_vs_ref),
    MLCT_CASE(test_pool_max_nan),
    MLCT_CASE(test_pool_errors),
    MLCT_CASE(test_pool_out_size),
    MLCT_CASE(test_pool_extreme_params),
};
const int mlct_pool_count = (int)(sizeof mlct_pool_cases / sizeof mlct_pool_cases[0]);
