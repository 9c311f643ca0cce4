/* 2-D convolution (mlc_conv2d_*): golden cases from PyTorch
   (tests/gen_golden_conv.py -> golden/conv.safetensors), the vector kernels
   against the scalar reference over random shapes, and bad input.

   Tolerance, per element, as the linear golden test (tests/test_golden.c):
   y = b + sum over the K = kh*kw*Cin/groups taps of x*w, summed in float32
   in any order, with or without fma, is off from the exact value by at most
   gamma * s, s = |b| + sum |x w| (over the taps inside the image), with the
   probabilistic bound of Higham and Mary (2019) gamma = 7 sqrt(K+1) U
   (U = 2^-24; fails with probability < 2 exp(-49/2) = 5e-11 per rounding).
   The golden adds its own rounding, U |y|. A fused act: its Lipschitz
   constant times that, plus its own error (relu, relu6: exact; hardswish:
   5U |y| as in test_golden.c). Forward against reference: both are within
   gamma * s of the exact value, so 2 gamma s. */
#include <stdlib.h>
#include <float.h>
#include <limits.h>
#include "mlc_test.h"


#define U (1.0 / 16777216.0)

/* ---- helpers --------------------------------------------------------------- */

typedef struct { int n, h, w, cin, cout, oh, ow; } cdims;

/* s = |b| + sum |x w| per output element, x NHWC, w OIHW. */
static double *abs_sums(const float *x, const float *w, const float *b, const cdims *d, const mlc_conv2d_params *p) {
    size_t total = (size_t)d->n * d->oh * d->ow * d->cout;
    double *s = (double *)malloc(total * sizeof(double));
    int cig = d->cin / p->groups, cog = d->cout / p->groups;
    int n, oh, ow, co, i, j, ci;
    size_t at = 0;
    for (n = 0; n < d->n; n++) for (oh = 0; oh < d->oh; oh++) for (ow = 0; ow < d->ow; ow++)
    for (co = 0; co < d->cout; co++, at++) {
        double a = b ? fabs((double)b[co]) : 0.0;
        int g = co / cog;
        for (i = 0; i < p->kernel_h; i++) {
            int ih = oh * p->stride_h - p->pad_top + i * p->dilation_h;
            if (ih < 0 || ih >= d->h) continue;
            for (j = 0; j < p->kernel_w; j++) {
                int iw = ow * p->stride_w - p->pad_left + j * p->dilation_w;
                if (iw < 0 || iw >= d->w) continue;
                for (ci = 0; ci < cig; ci++)
                    a += fabs((double)x[(((size_t)n * d->h + ih) * d->w + iw) * d->cin + g * cig + ci] *
                              (double)w[(((size_t)co * cig + ci) * p->kernel_h + i) * p->kernel_w + j]);
            }
        }
        s[at] = a;
    }
    return s;
}


static mlc_conv2d_params params_of(const float *v) {
    mlc_conv2d_params p;
    p.kernel_h = (int)v[0]; p.kernel_w = (int)v[1]; p.stride_h = (int)v[2]; p.stride_w = (int)v[3];
    p.dilation_h = (int)v[4]; p.dilation_w = (int)v[5];
    p.pad_top = (int)v[6]; p.pad_bottom = (int)v[7]; p.pad_left = (int)v[8]; p.pad_right = (int)v[9];
    p.groups = (int)v[10];
    return p;
}

/* ---- golden ---------------------------------------------------------------- */

typedef struct { const char *suffix; mlc_act act; double lip, rel; } fused_act;
static const fused_act FUSED[] = {
    { "relu", MLC_ACT_RELU, 1.0, 0.0 },
    { "relu6", MLC_ACT_RELU6, 1.0, 0.0 },
    /* x (x+3)/6: 4.5U relative with the golden's rounding, say 5U; slope <= 1.5 */
    { "hardswish", MLC_ACT_HARDSWISH, 1.5, 5 * U },
};
#define N_FUSED ((int)(sizeof FUSED / sizeof FUSED[0]))

/* mlc_conv2d_load + forward (serial and through parallel_for) + ref, plain
   and with each fused act the golden has; mlc_conv2d_init from float32
   arrays. */
static void test_conv_golden(void) {
    mlct_golden g;
    int t, n_cases = 0, kinds[5] = { 0, 0, 0, 0, 0 };
    if (!mlct_golden_open(&g, "conv.safetensors")) return;
    for (t = 0; t < g.st.count; t++) {
        const char *pname = g.st.tensors[t].name;
        size_t plen = strlen(pname);
        char prefix[96], name[128], what[160];
        float *pv, *x, *y, *w, *b = NULL, *got;
        mlc_tensor tx, ty, tw, tgot;
        mlc_conv2d_params p;
        mlc_conv2d c;
        mlc_arena arena, scratch;
        void *mem, *smem;
        size_t bytes, sbytes, total, i;
        double *s, *tol, *tol_act, gamma;
        cdims d;
        mlc_ctx ctx;
        int a, pass, oh, ow;
        if (plen < 7 || strcmp(pname + plen - 7, ".params") != 0 || plen - 7 >= sizeof prefix) continue;
        memcpy(prefix, pname, plen - 7); prefix[plen - 7] = '\0';
        n_cases++;
        pv = mlct_golden_get(&g, pname, NULL);
        snprintf(name, sizeof name, "%s.x", prefix);      x = mlct_golden_get(&g, name, &tx);
        snprintf(name, sizeof name, "%s.y", prefix);      y = mlct_golden_get(&g, name, &ty);
        snprintf(name, sizeof name, "%s.weight", prefix); w = mlct_golden_get(&g, name, &tw);
        snprintf(name, sizeof name, "%s.bias", prefix);
        if (mlc_st_find(&g.st, name)) b = mlct_golden_get(&g, name, NULL);
        if (!pv || !x || !y || !w || tx.rank != 4 || ty.rank != 4) { free(pv); free(x); free(y); free(w); free(b); continue; }
        p = params_of(pv);
        d.n = tx.shape[0]; d.h = tx.shape[1]; d.w = tx.shape[2]; d.cin = tx.shape[3];
        d.oh = ty.shape[1]; d.ow = ty.shape[2]; d.cout = ty.shape[3];
        total = mlc_tensor_numel(&ty);
        got = (float *)malloc(total * sizeof(float));
        tgot = ty; tgot.data = got;

        bytes = mlc_conv2d_arena_bytes(d.cin, d.cout, &p, b != NULL);
        CHECK(bytes > 0);
        mem = malloc(bytes + 64);
        mlc_arena_init(&arena, mlct_align64(mem), bytes);
        CHECK_OK(mlc_conv2d_load(&c, &g.st, prefix, &p, &arena));
        CHECK(mlc_arena_peak(&arena) <= bytes);
        CHECK_EQ_INT(c.in_ch, d.cin);
        CHECK_EQ_INT(c.out_ch, d.cout);
        CHECK_EQ_INT(c.bias != NULL, b != NULL);
        if ((unsigned)c.kind < 5) kinds[c.kind]++;
        /* the kernels the case names promise */
        if (strncmp(prefix, "dw", 2) == 0 && strcmp(prefix, "dw_mult2") != 0) CHECK_EQ_INT(c.kind, MLC_CONV2D_DEPTHWISE);
        if (strcmp(prefix, "pw_1x1") == 0 || strcmp(prefix, "pw_1x1_g2") == 0) CHECK_EQ_INT(c.kind, MLC_CONV2D_POINTWISE);
        if (strncmp(prefix, "c", 1) == 0 || strcmp(prefix, "dw_mult2") == 0 || strncmp(prefix, "stem", 4) == 0)
            CHECK_EQ_INT(c.kind, p.groups == 1 && d.cin <= 3 ? MLC_CONV2D_DIRECT : MLC_CONV2D_GENERAL);
        CHECK_OK(mlc_conv2d_out_size(&c, d.h, d.w, &oh, &ow));
        CHECK_EQ_INT(oh, d.oh);
        CHECK_EQ_INT(ow, d.ow);

        sbytes = mlc_conv2d_scratch_bytes(&c, d.h, d.w);
        CHECK((sbytes == 0) == (c.kind != MLC_CONV2D_GENERAL));
        smem = malloc(sbytes + 1);
        mlc_arena_init(&scratch, smem, sbytes);   /* exactly what it asked for (any alignment) */

        s = abs_sums(x, w, b, &d, &p);
        tol = (double *)malloc(total * sizeof(double));
        tol_act = (double *)malloc(total * sizeof(double));
        gamma = 7.0 * sqrt((double)p.kernel_h * p.kernel_w * (d.cin / p.groups) + 1.0) * U;
        for (i = 0; i < total; i++) tol[i] = gamma * s[i] + U * fabs((double)y[i]);
        ctx.parallel_for = mlct_reverse_pfor; ctx.user = NULL; ctx.n_threads = 3;

        for (pass = 0; pass < 4; pass++) {
            /* 0: forward, 1: forward with parallel_for, 2: ref, 3: init + forward */
            const char *fn = pass == 0 ? "forward" : pass == 1 ? "forward parallel_for" : pass == 2 ? "ref" : "init+forward";
            if (pass == 3) {
                mlc_arena_init(&arena, mlct_align64(mem), bytes);
                CHECK_OK(mlc_conv2d_init(&c, w, b, d.cin, d.cout, &p, &arena));
            }
            for (a = -1; a < N_FUSED; a++) {
                const fused_act *fa = a >= 0 ? &FUSED[a] : NULL;
                float *want = y;
                mlc_act act = fa ? fa->act : MLC_ACT_NONE;
                if (fa) {
                    snprintf(name, sizeof name, "%s.y_%s", prefix, fa->suffix);
                    if (!mlc_st_find(&g.st, name)) continue;
                    want = mlct_golden_get(&g, name, NULL);
                    if (!want) continue;
                    for (i = 0; i < total; i++) tol_act[i] = fa->lip * tol[i];
                }
                for (i = 0; i < total; i++) got[i] = NAN;   /* every element must be written */
                mlct_tasks_run = 0;
                if (pass == 2) CHECK_OK(mlc_conv2d_ref(&c, &tgot, &tx, act, 0.0f));
                else CHECK_OK(mlc_conv2d_forward(&c, pass == 1 ? &ctx : NULL, &tgot, &tx, act, 0.0f, &scratch));
                CHECK_EQ_INT(scratch.used, 0);
                snprintf(what, sizeof what, "conv %s %s %s", fn, prefix, fa ? fa->suffix : "");
                CHECK_TOL_REL(what, got, want, fa ? tol_act : tol, fa ? fa->rel : 0.0, total);
                if (want != y) free(want);
            }
        }
        free(tol_act); free(tol); free(s); free(smem); free(mem); free(got);
        free(pv); free(x); free(y); free(w); free(b);
    }
    CHECK(n_cases >= 21);
    CHECK(kinds[MLC_CONV2D_POINTWISE] >= 2 && kinds[MLC_CONV2D_DEPTHWISE] >= 6 && kinds[MLC_CONV2D_GENERAL] >= 10 &&
          kinds[MLC_CONV2D_DIRECT] >= 3);
    mlct_golden_close(&g);
}

/* ---- vector kernels against the reference, random shapes ------------------ */


static void test_conv_random(void) {
    static const mlc_act acts[4] = { MLC_ACT_NONE, MLC_ACT_RELU, MLC_ACT_RELU6, MLC_ACT_LEAKY_RELU };
    mlct_rng rng;
    int it, tested = 0, kinds[5] = { 0, 0, 0, 0, 0 };
    const int iters = 600;
    rng.s = 12345u;
    for (it = 0; it < iters; it++) {
        mlc_conv2d_params p;
        mlc_conv2d c;
        mlc_arena arena, scratch;
        cdims d;
        int shape_kind = mlct_rnd(&rng, 0, 3), oh, ow, gsel;
        size_t nx, nw, ny, i, bytes, sbytes;
        float *x, *w, *b, *y1, *y2;
        double *s, *tol, gamma;
        void *mem, *smem;
        mlc_tensor tx, ty1, ty2;
        mlc_ctx ctx;
        mlc_act act = acts[it & 3];
        mlc_result r;
        d.n = mlct_rnd(&rng, 1, 2); d.h = mlct_rnd(&rng, 1, 13); d.w = mlct_rnd(&rng, 1, 13);
        d.cin = mlct_rnd(&rng, 1, 37);
        p.kernel_h = mlct_rnd(&rng, 1, 5); p.kernel_w = mlct_rnd(&rng, 1, 5);
        p.stride_h = mlct_rnd(&rng, 1, 3); p.stride_w = mlct_rnd(&rng, 1, 3);
        p.dilation_h = mlct_rnd(&rng, 1, 2); p.dilation_w = mlct_rnd(&rng, 1, 2);
        p.pad_top = mlct_rnd(&rng, 0, 3); p.pad_bottom = mlct_rnd(&rng, 0, 3);
        p.pad_left = mlct_rnd(&rng, 0, 3); p.pad_right = mlct_rnd(&rng, 0, 3);
        gsel = mlct_rnd(&rng, 0, 2);
        if (shape_kind == 0) {          /* depthwise, often 3x3 */
            if (it & 4) { p.kernel_h = p.kernel_w = 3; p.dilation_h = p.dilation_w = 1; }
            d.cout = d.cin; p.groups = d.cin;
        } else if (shape_kind == 1) {   /* pointwise */
            p.kernel_h = p.kernel_w = 1; p.stride_h = p.stride_w = 1;
            p.pad_top = p.pad_bottom = p.pad_left = p.pad_right = 0;
            p.groups = gsel == 2 && d.cin % 2 == 0 ? 2 : 1;
            d.cout = mlct_rnd(&rng, 1, 20) * p.groups;
        } else {                        /* general, groups 1, 2 or Cin */
            p.groups = gsel == 0 ? 1 : gsel == 1 ? (d.cin % 2 == 0 ? 2 : 1) : d.cin;
            d.cout = mlct_rnd(&rng, 1, 6) * p.groups;
            if (p.groups > 1 && d.cout > 64) d.cout = p.groups;
            if (it % 5 == 3) {          /* a stem: direct kernel, whole and partial channel panels */
                d.cin = mlct_rnd(&rng, 1, 3); p.groups = 1; d.cout = mlct_rnd(&rng, 1, 70);
                d.w = mlct_rnd(&rng, 1, 40);
            }
        }
        nw = (size_t)d.cout * (d.cin / p.groups) * p.kernel_h * p.kernel_w;
        w = (float *)malloc(nw * sizeof(float));
        b = (float *)malloc((size_t)d.cout * sizeof(float));
        mlct_fill(&rng, w, nw, -1.0f, 1.0f);
        mlct_fill(&rng, b, (size_t)d.cout, -1.0f, 1.0f);
        bytes = mlc_conv2d_arena_bytes(d.cin, d.cout, &p, 1);
        mem = malloc(bytes);
        mlc_arena_init(&arena, mem, bytes);
        CHECK_OK(mlc_conv2d_init(&c, w, (it % 5) ? b : NULL, d.cin, d.cout, &p, &arena));
        r = mlc_conv2d_out_size(&c, d.h, d.w, &oh, &ow);
        if (r != MLC_OK) {   /* the kernel does not fit: SHAPE, and forward agrees */
            float dummy[4] = { 0, 0, 0, 0 };
            CHECK_ERR(r, MLC_ERR_SHAPE);
            tx = mlc_tensor_4d(dummy, 1, d.h, d.w, d.cin);
            ty1 = mlc_tensor_4d(dummy, 1, 1, 1, d.cout);
            nx = (size_t)d.h * d.w * d.cin;
            x = (float *)calloc(nx, sizeof(float)); tx.data = x;
            y1 = (float *)calloc((size_t)d.cout, sizeof(float)); ty1.data = y1;
            CHECK_ERR(mlc_conv2d_forward(&c, NULL, &ty1, &tx, MLC_ACT_NONE, 0.0f, NULL), MLC_ERR_SHAPE);
            CHECK_ERR(mlc_conv2d_ref(&c, &ty1, &tx, MLC_ACT_NONE, 0.0f), MLC_ERR_SHAPE);
            CHECK_EQ_INT(mlc_conv2d_scratch_bytes(&c, d.h, d.w), 0);
            free(x); free(y1); free(w); free(b); free(mem);
            continue;
        }
        d.oh = oh; d.ow = ow;
        if ((unsigned)c.kind < 5) kinds[c.kind]++;
        tested++;
        nx = (size_t)d.n * d.h * d.w * d.cin;
        ny = (size_t)d.n * oh * ow * d.cout;
        x = (float *)malloc(nx * sizeof(float));
        y1 = (float *)malloc((ny + 16) * sizeof(float));
        y2 = (float *)malloc(ny * sizeof(float));
        mlct_fill(&rng, x, nx, -2.0f, 2.0f);
        for (i = 0; i < ny + 16; i++) y1[i] = NAN;
        for (i = ny; i < ny + 16; i++) y1[i] = -777.0f;   /* past the end: must stay */
        tx = mlc_tensor_4d(x, d.n, d.h, d.w, d.cin);
        ty1 = mlc_tensor_4d(y1, d.n, oh, ow, d.cout);
        ty2 = mlc_tensor_4d(y2, d.n, oh, ow, d.cout);
        sbytes = mlc_conv2d_scratch_bytes(&c, d.h, d.w);
        smem = malloc(sbytes + 1);
        mlc_arena_init(&scratch, smem, sbytes);
        ctx.parallel_for = mlct_reverse_pfor; ctx.user = NULL; ctx.n_threads = 1 + (it % 4);
        CHECK_OK(mlc_conv2d_forward(&c, (it & 1) ? &ctx : NULL, &ty1, &tx, act, 0.1f, &scratch));
        CHECK_EQ_INT(scratch.used, 0);
        CHECK_OK(mlc_conv2d_ref(&c, &ty2, &tx, act, 0.1f));
        for (i = ny; i < ny + 16; i++) CHECK(y1[i] == -777.0f);
        s = abs_sums(x, w, (it % 5) ? b : NULL, &d, &p);
        tol = (double *)malloc(ny * sizeof(double));
        gamma = 7.0 * sqrt((double)p.kernel_h * p.kernel_w * (d.cin / p.groups) + 1.0) * U;
        /* leaky relu: y*alpha rounds once in each (and 0.1f is the same for both): 2U |y| */
        for (i = 0; i < ny; i++) tol[i] = 2.0 * gamma * s[i];
        {
            char what[200];
            snprintf(what, sizeof what, "random #%d kind %d N%d %dx%dx%d -> %d k%dx%d s%d,%d d%d,%d p%d,%d,%d,%d g%d",
                     it, (int)c.kind, d.n, d.h, d.w, d.cin, d.cout, p.kernel_h, p.kernel_w, p.stride_h, p.stride_w,
                     p.dilation_h, p.dilation_w, p.pad_top, p.pad_bottom, p.pad_left, p.pad_right, p.groups);
            CHECK_TOL_REL(what, y1, y2, tol, act == MLC_ACT_LEAKY_RELU ? 2 * U : 0.0, ny);
        }
        free(tol); free(s); free(smem); free(x); free(y1); free(y2); free(w); free(b); free(mem);
    }
    CHECK(tested > iters / 2);
    CHECK(kinds[MLC_CONV2D_POINTWISE] > 50 && kinds[MLC_CONV2D_DEPTHWISE] > 50 && kinds[MLC_CONV2D_GENERAL] > 50 &&
          kinds[MLC_CONV2D_DIRECT] > 50);
    if (getenv("MLCT_VERBOSE")) printf("       random: %d tested, kinds pw %d dw %d gen %d direct %d\n", tested,
                                       kinds[1], kinds[2], kinds[3], kinds[4]);
}

/* Large enough that forward splits its work through parallel_for. */
static void test_conv_parallel_split(void) {
    static const int kinds_c[3][4] = { /* cin, cout, k, groups */
        { 128, 128, 3, 128 }, { 64, 96, 1, 1 }, { 16, 32, 3, 1 } };
    int kk;
    for (kk = 0; kk < 3; kk++) {
        mlc_conv2d_params p = mlc_conv2d_params_make(kinds_c[kk][2], 1, kinds_c[kk][2] / 2, 1, kinds_c[kk][3]);
        int cin = kinds_c[kk][0], cout = kinds_c[kk][1], h = 24, wd = 24;
        size_t nw = (size_t)cout * (cin / p.groups) * p.kernel_h * p.kernel_w, nx = (size_t)h * wd * cin,
               ny = (size_t)h * wd * cout, i, bytes = mlc_conv2d_arena_bytes(cin, cout, &p, 1), sbytes;
        float *w = (float *)malloc(nw * sizeof(float)), *b = (float *)malloc(cout * sizeof(float));
        float *x = (float *)malloc(nx * sizeof(float)), *y1 = (float *)malloc(ny * sizeof(float)),
              *y2 = (float *)malloc(ny * sizeof(float));
        void *mem = malloc(bytes), *smem;
        mlc_arena arena, scratch;
        mlc_conv2d c;
        mlc_ctx ctx;
        mlc_tensor tx = mlc_tensor_4d(x, 1, h, wd, cin), ty1 = mlc_tensor_4d(y1, 1, h, wd, cout),
                   ty2 = mlc_tensor_4d(y2, 1, h, wd, cout);
        double *s, *tol, gamma;
        cdims d;
        mlct_rng rng;
        rng.s = 99u + (uint32_t)kk;
        mlct_fill(&rng, w, nw, -1, 1); mlct_fill(&rng, b, (size_t)cout, -1, 1); mlct_fill(&rng, x, nx, -1, 1);
        mlc_arena_init(&arena, mem, bytes);
        CHECK_OK(mlc_conv2d_init(&c, w, b, cin, cout, &p, &arena));
        sbytes = mlc_conv2d_scratch_bytes(&c, h, wd);
        smem = malloc(sbytes + 1);
        mlc_arena_init(&scratch, smem, sbytes);
        ctx.parallel_for = mlct_reverse_pfor; ctx.user = NULL; ctx.n_threads = 4;
        mlct_tasks_run = 0;
        CHECK_OK(mlc_conv2d_forward(&c, &ctx, &ty1, &tx, MLC_ACT_RELU6, 0.0f, &scratch));
        CHECK(mlct_tasks_run > 1);
        CHECK_OK(mlc_conv2d_ref(&c, &ty2, &tx, MLC_ACT_RELU6, 0.0f));
        d.n = 1; d.h = h; d.w = wd; d.cin = cin; d.cout = cout; d.oh = h; d.ow = wd;
        s = abs_sums(x, w, b, &d, &p);
        tol = (double *)malloc(ny * sizeof(double));
        gamma = 7.0 * sqrt((double)p.kernel_h * p.kernel_w * (cin / p.groups) + 1.0) * U;
        for (i = 0; i < ny; i++) tol[i] = 2.0 * gamma * s[i];
        CHECK_TOL_REL("parallel split vs ref", y1, y2, tol, 0.0, ny);
        free(tol); free(s); free(smem); free(mem); free(w); free(b); free(x); free(y1); free(y2);
    }
}

/* ---- params helpers ---------------------------------------------------------- */

static void test_conv_params(void) {
    mlc_conv2d_params p = mlc_conv2d_params_make(3, 2, 1, 1, 4);
    int in, k, s, dl;
    CHECK(p.kernel_h == 3 && p.kernel_w == 3 && p.stride_h == 2 && p.stride_w == 2 && p.dilation_h == 1 &&
          p.dilation_w == 1 && p.pad_top == 1 && p.pad_bottom == 1 && p.pad_left == 1 && p.pad_right == 1 && p.groups == 4);
    /* "same": out = ceil(in / stride) on both axes, extra pad after (TF);
       stride 1 gives PyTorch's padding='same' (total dilation (k-1)). */
    for (in = 1; in <= 12; in++) for (k = 1; k <= 7; k++) for (s = 1; s <= 3; s++) for (dl = 1; dl <= 2; dl++) {
        mlc_conv2d c;
        int oh, ow;
        memset(&c, 0, sizeof c);
        c.p = mlc_conv2d_params_make(k, s, 0, dl, 1);
        c.p.kernel_w = k == 7 ? 1 : k;   /* a non-square case too */
        CHECK_OK(mlc_conv2d_params_same(&c.p, in, in + 1));
        CHECK(c.p.pad_bottom - c.p.pad_top == 0 || c.p.pad_bottom - c.p.pad_top == 1);
        CHECK(c.p.pad_right - c.p.pad_left == 0 || c.p.pad_right - c.p.pad_left == 1);
        if (s == 1) {
            CHECK_EQ_INT(c.p.pad_top + c.p.pad_bottom, dl * (k - 1));
            CHECK_EQ_INT(c.p.pad_top, dl * (k - 1) / 2);
        }
        c.kind = MLC_CONV2D_GENERAL; c.w = (float *)&c;   /* out_size only looks at params */
        c.in_ch = c.out_ch = 1;
        CHECK_OK(mlc_conv2d_out_size(&c, in, in + 1, &oh, &ow));
        CHECK_EQ_INT(oh, (in + s - 1) / s);
        CHECK_EQ_INT(ow, (in + 1 + s - 1) / s);
    }
    p = mlc_conv2d_params_make(0, 1, 0, 1, 1);
    CHECK_ERR(mlc_conv2d_params_same(&p, 5, 5), MLC_ERR_ARG);
    p = mlc_conv2d_params_make(3, 0, 0, 1, 1);
    CHECK_ERR(mlc_conv2d_params_same(&p, 5, 5), MLC_ERR_ARG);
    p = mlc_conv2d_params_make(3, 1, 0, 1, 1);
    CHECK_ERR(mlc_conv2d_params_same(&p, 0, 5), MLC_ERR_ARG);
    CHECK_ERR(mlc_conv2d_params_same(NULL, 5, 5), MLC_ERR_NULL);
}

/* ---- bad input --------------------------------------------------------------- */

static void test_conv_bad(void) {
    static unsigned char mem[1 << 16];
    static float w[4 * 4 * 3 * 3], xb[2 * 6 * 6 * 4 + 8], yb[2 * 6 * 6 * 8 + 8];
    mlct_golden g;
    mlc_arena arena, scratch;
    mlc_conv2d c;
    mlc_conv2d_params p = mlc_conv2d_params_make(3, 1, 1, 1, 1), q;
    mlc_tensor x, y;
    size_t bytes, i;
    unsigned char smem[16384];
    for (i = 0; i < sizeof w / sizeof w[0]; i++) w[i] = 0.01f * (float)i;
    mlc_arena_init(&arena, mem, sizeof mem);

    /* init */
    CHECK_ERR(mlc_conv2d_init(NULL, w, NULL, 4, 4, &p, &arena), MLC_ERR_NULL);
    CHECK_ERR(mlc_conv2d_init(&c, NULL, NULL, 4, 4, &p, &arena), MLC_ERR_NULL);
    CHECK_ERR(mlc_conv2d_init(&c, w, NULL, 4, 4, NULL, &arena), MLC_ERR_NULL);
    CHECK_ERR(mlc_conv2d_init(&c, w, NULL, 4, 4, &p, NULL), MLC_ERR_NULL);
    q = p; q.kernel_h = 0;   CHECK_ERR(mlc_conv2d_init(&c, w, NULL, 4, 4, &q, &arena), MLC_ERR_ARG);
    q = p; q.kernel_w = -1;  CHECK_ERR(mlc_conv2d_init(&c, w, NULL, 4, 4, &q, &arena), MLC_ERR_ARG);
    q = p; q.stride_w = 0;   CHECK_ERR(mlc_conv2d_init(&c, w, NULL, 4, 4, &q, &arena), MLC_ERR_ARG);
    q = p; q.dilation_h = 0; CHECK_ERR(mlc_conv2d_init(&c, w, NULL, 4, 4, &q, &arena), MLC_ERR_ARG);
    q = p; q.pad_right = -1; CHECK_ERR(mlc_conv2d_init(&c, w, NULL, 4, 4, &q, &arena), MLC_ERR_ARG);
    q = p; q.groups = 0;     CHECK_ERR(mlc_conv2d_init(&c, w, NULL, 4, 4, &q, &arena), MLC_ERR_ARG);
    q = p; q.groups = 3;     CHECK_ERR(mlc_conv2d_init(&c, w, NULL, 6, 4, &q, &arena), MLC_ERR_ARG);  /* !| out */
    q = p; q.groups = 2;     CHECK_ERR(mlc_conv2d_init(&c, w, NULL, 3, 4, &q, &arena), MLC_ERR_ARG);  /* !| in */
    CHECK_ERR(mlc_conv2d_init(&c, w, NULL, 0, 4, &p, &arena), MLC_ERR_ARG);
    CHECK_ERR(mlc_conv2d_init(&c, w, NULL, 4, 0, &p, &arena), MLC_ERR_ARG);
    CHECK_EQ_INT(arena.used, 0);   /* failures take nothing */
    CHECK_EQ_INT(mlc_conv2d_arena_bytes(3, 4, &q, 1), 0);   /* groups 2 does not divide 3 */
    /* arena too small: NOMEM, need says what would have fitted */
    bytes = mlc_conv2d_arena_bytes(4, 4, &p, 1);
    mlc_arena_init(&arena, mlct_align64(mem), bytes / 2);
    CHECK_ERR(mlc_conv2d_init(&c, w, w, 4, 4, &p, &arena), MLC_ERR_NOMEM);
    CHECK(arena.need > bytes / 2);
    CHECK_EQ_INT(arena.used, 0);
    mlc_arena_init(&arena, mlct_align64(mem), bytes);
    CHECK_OK(mlc_conv2d_init(&c, w, w, 4, 4, &p, &arena));
    CHECK_EQ_INT(c.kind, MLC_CONV2D_GENERAL);

    /* forward: x [2,6,6,4] -> y [2,6,6,4] */
    x = mlc_tensor_4d(xb, 2, 6, 6, 4);
    y = mlc_tensor_4d(yb, 2, 6, 6, 4);
    mlc_arena_init(&scratch, smem, sizeof smem);
    CHECK_OK(mlc_conv2d_forward(&c, NULL, &y, &x, MLC_ACT_NONE, 0.0f, &scratch));
    CHECK_OK(mlc_conv2d_ref(&c, &y, &x, MLC_ACT_NONE, 0.0f));
    CHECK_ERR(mlc_conv2d_forward(NULL, NULL, &y, &x, MLC_ACT_NONE, 0.0f, &scratch), MLC_ERR_NULL);
    CHECK_ERR(mlc_conv2d_forward(&c, NULL, NULL, &x, MLC_ACT_NONE, 0.0f, &scratch), MLC_ERR_NULL);
    CHECK_ERR(mlc_conv2d_forward(&c, NULL, &y, NULL, MLC_ACT_NONE, 0.0f, &scratch), MLC_ERR_NULL);
    CHECK_ERR(mlc_conv2d_forward(&c, NULL, &y, &x, MLC_ACT_NONE, 0.0f, NULL), MLC_ERR_NULL);  /* general needs scratch */
    CHECK_ERR(mlc_conv2d_ref(NULL, &y, &x, MLC_ACT_NONE, 0.0f), MLC_ERR_NULL);
    {
        mlc_conv2d z;
        memset(&z, 0, sizeof z);   /* never initialised */
        CHECK_ERR(mlc_conv2d_forward(&z, NULL, &y, &x, MLC_ACT_NONE, 0.0f, &scratch), MLC_ERR_NULL);
        CHECK_ERR(mlc_conv2d_ref(&z, &y, &x, MLC_ACT_NONE, 0.0f), MLC_ERR_NULL);
    }
    {
        mlc_tensor t = x; t.data = NULL;
        CHECK_ERR(mlc_conv2d_forward(&c, NULL, &y, &t, MLC_ACT_NONE, 0.0f, &scratch), MLC_ERR_NULL);
    }
    {
        mlc_tensor t = mlc_tensor_3d(xb, 6, 6, 4);   /* rank 3 */
        CHECK_ERR(mlc_conv2d_forward(&c, NULL, &y, &t, MLC_ACT_NONE, 0.0f, &scratch), MLC_ERR_SHAPE);
        CHECK_ERR(mlc_conv2d_ref(&c, &y, &t, MLC_ACT_NONE, 0.0f), MLC_ERR_SHAPE);
        t = mlc_tensor_4d(xb, 2, 6, 6, 3);           /* Cin wrong */
        CHECK_ERR(mlc_conv2d_forward(&c, NULL, &y, &t, MLC_ACT_NONE, 0.0f, &scratch), MLC_ERR_SHAPE);
        t = mlc_tensor_4d(yb, 2, 6, 6, 5);           /* Cout wrong */
        CHECK_ERR(mlc_conv2d_forward(&c, NULL, &t, &x, MLC_ACT_NONE, 0.0f, &scratch), MLC_ERR_SHAPE);
        t = mlc_tensor_4d(yb, 1, 6, 6, 4);           /* batch differs */
        CHECK_ERR(mlc_conv2d_forward(&c, NULL, &t, &x, MLC_ACT_NONE, 0.0f, &scratch), MLC_ERR_SHAPE);
        t = mlc_tensor_4d(yb, 2, 5, 6, 4);           /* OH wrong */
        CHECK_ERR(mlc_conv2d_forward(&c, NULL, &t, &x, MLC_ACT_NONE, 0.0f, &scratch), MLC_ERR_SHAPE);
        t = mlc_tensor_4d(yb, 2, 6, 7, 4);           /* OW wrong */
        CHECK_ERR(mlc_conv2d_forward(&c, NULL, &t, &x, MLC_ACT_NONE, 0.0f, &scratch), MLC_ERR_SHAPE);
        t = x; t.dtype = MLC_F16;
        CHECK_ERR(mlc_conv2d_forward(&c, NULL, &y, &t, MLC_ACT_NONE, 0.0f, &scratch), MLC_ERR_DTYPE);
        t = y; t.dtype = MLC_BF16;
        CHECK_ERR(mlc_conv2d_forward(&c, NULL, &t, &x, MLC_ACT_NONE, 0.0f, &scratch), MLC_ERR_DTYPE);
        CHECK_ERR(mlc_conv2d_forward(&c, NULL, &y, &x, MLC_ACT_COUNT, 0.0f, &scratch), MLC_ERR_ARG);
        CHECK_ERR(mlc_conv2d_ref(&c, &y, &x, (mlc_act)-1, 0.0f), MLC_ERR_ARG);
    }
    {   /* kernel bigger than the padded input: no output */
        mlc_conv2d big;
        mlc_conv2d_params pb = mlc_conv2d_params_make(5, 1, 0, 2, 1);   /* effective 9 */
        mlc_tensor tx = mlc_tensor_4d(xb, 1, 8, 9, 1), ty = mlc_tensor_4d(yb, 1, 1, 1, 1);
        int oh = -1, ow = -1;
        mlc_arena_init(&arena, mlct_align64(mem), sizeof mem - 64);
        CHECK_OK(mlc_conv2d_init(&big, w, NULL, 1, 1, &pb, &arena));
        CHECK_ERR(mlc_conv2d_out_size(&big, 8, 9, &oh, &ow), MLC_ERR_SHAPE);
        CHECK_OK(mlc_conv2d_out_size(&big, 9, 9, &oh, &ow));
        CHECK(oh == 1 && ow == 1);
        CHECK_ERR(mlc_conv2d_forward(&big, NULL, &ty, &tx, MLC_ACT_NONE, 0.0f, &scratch), MLC_ERR_SHAPE);
        CHECK_EQ_INT(mlc_conv2d_scratch_bytes(&big, 8, 9), 0);
        CHECK_ERR(mlc_conv2d_out_size(&big, 0, 9, &oh, &ow), MLC_ERR_SHAPE);
        CHECK_ERR(mlc_conv2d_out_size(&big, 9, 9, NULL, &ow), MLC_ERR_NULL);
    }
    {   /* sizes past what an int index holds */
        mlc_conv2d huge;
        mlc_conv2d_params ph = mlc_conv2d_params_make(1, 1, 0, 1, 1);
        int oh = -1, ow = -1;
        mlc_arena_init(&arena, mlct_align64(mem), sizeof mem - 64);
        ph.kernel_h = ph.kernel_w = 65536;   /* K = 2^32 */
        CHECK_ERR(mlc_conv2d_init(&huge, w, NULL, 1, 1, &ph, &arena), MLC_ERR_UNSUPPORTED);
        CHECK_EQ_INT(mlc_conv2d_arena_bytes(1, 1, &ph, 0), 0);
        ph = mlc_conv2d_params_make(3, 1, 0, 1, 1);
        ph.pad_top = INT_MAX - 3;            /* in + pads overflows an int */
        CHECK_OK(mlc_conv2d_init(&huge, w, NULL, 1, 1, &ph, &arena));
        CHECK_ERR(mlc_conv2d_out_size(&huge, 5, 5, &oh, &ow), MLC_ERR_SHAPE);
        CHECK(oh == 0 && ow == 0);
        CHECK_EQ_INT(mlc_conv2d_scratch_bytes(&huge, 5, 5), 0);
    }
    {   /* scratch in use before the call: forward returns it to that mark */
        size_t need = mlc_conv2d_scratch_bytes(&c, 6, 6);
        mlc_arena_init(&scratch, smem, sizeof smem);
        CHECK(mlc_arena_alloc(&scratch, 100, 1) != NULL);
        CHECK(sizeof smem >= need + 100);
        CHECK_OK(mlc_conv2d_forward(&c, NULL, &y, &x, MLC_ACT_NONE, 0.0f, &scratch));
        CHECK_EQ_INT(scratch.used, 100);
        CHECK(scratch.peak > 100);
    }
    {   /* scratch too small: NOMEM, scratch left as it was */
        size_t need = mlc_conv2d_scratch_bytes(&c, 6, 6);
        CHECK(need > 0);
        mlc_arena_init(&scratch, smem, need - 65);
        CHECK_ERR(mlc_conv2d_forward(&c, NULL, &y, &x, MLC_ACT_NONE, 0.0f, &scratch), MLC_ERR_NOMEM);
        CHECK_EQ_INT(scratch.used, 0);
        CHECK(scratch.need > need - 65);
    }
    {   /* pointwise and depthwise need no scratch */
        mlc_conv2d pw, dw;
        mlc_conv2d_params pp = mlc_conv2d_params_make(1, 1, 0, 1, 1), pd = mlc_conv2d_params_make(3, 2, 1, 1, 4);
        mlc_tensor ty = mlc_tensor_4d(yb, 2, 6, 6, 8), tyd = mlc_tensor_4d(yb, 2, 3, 3, 4);
        mlc_arena_init(&arena, mlct_align64(mem), sizeof mem - 64);
        CHECK_OK(mlc_conv2d_init(&pw, w, NULL, 4, 8, &pp, &arena));
        CHECK_OK(mlc_conv2d_init(&dw, w, NULL, 4, 4, &pd, &arena));
        CHECK_EQ_INT(pw.kind, MLC_CONV2D_POINTWISE);
        CHECK_EQ_INT(dw.kind, MLC_CONV2D_DEPTHWISE);
        CHECK_EQ_INT(mlc_conv2d_scratch_bytes(&pw, 6, 6), 0);
        CHECK_EQ_INT(mlc_conv2d_scratch_bytes(&dw, 6, 6), 0);
        CHECK_OK(mlc_conv2d_forward(&pw, NULL, &ty, &x, MLC_ACT_NONE, 0.0f, NULL));
        CHECK_OK(mlc_conv2d_forward(&dw, NULL, &tyd, &x, MLC_ACT_NONE, 0.0f, NULL));
    }

    /* load */
    if (!mlct_golden_open(&g, "conv.safetensors")) return;
    mlc_arena_init(&arena, mem, sizeof mem);
    q = mlc_conv2d_params_make(3, 1, 1, 1, 1);
    CHECK_ERR(mlc_conv2d_load(&c, &g.st, "missing", &q, &arena), MLC_ERR_NOT_FOUND);
    CHECK_ERR(mlc_conv2d_load(&c, &g.st, "c3_s1_p", &q, &arena), MLC_ERR_NOT_FOUND);   /* a prefix of a name */
    CHECK_ERR(mlc_conv2d_load(&c, &g.st, "bad_rank", &q, &arena), MLC_ERR_SHAPE);     /* [4,3,9] */
    CHECK_ERR(mlc_conv2d_load(&c, &g.st, "bad_kernel", &q, &arena), MLC_ERR_SHAPE);   /* 3x5 vs 3x3 */
    CHECK_ERR(mlc_conv2d_load(&c, &g.st, "bad_bias", &q, &arena), MLC_ERR_SHAPE);     /* bias [5] for 4 */
    CHECK_ERR(mlc_conv2d_load(&c, &g.st, "bad_dtype", &q, &arena), MLC_ERR_DTYPE);    /* I32 */
    CHECK_ERR(mlc_conv2d_load(NULL, &g.st, "c3_s1_p1", &q, &arena), MLC_ERR_NULL);
    CHECK_ERR(mlc_conv2d_load(&c, NULL, "c3_s1_p1", &q, &arena), MLC_ERR_NULL);
    CHECK_ERR(mlc_conv2d_load(&c, &g.st, NULL, &q, &arena), MLC_ERR_NULL);
    CHECK_ERR(mlc_conv2d_load(&c, &g.st, "c3_s1_p1", NULL, &arena), MLC_ERR_NULL);
    CHECK_ERR(mlc_conv2d_load(&c, &g.st, "c3_s1_p1", &q, NULL), MLC_ERR_NULL);
    q.kernel_w = 5;          /* weight is 3x3 */
    CHECK_ERR(mlc_conv2d_load(&c, &g.st, "c3_s1_p1", &q, &arena), MLC_ERR_SHAPE);
    q.kernel_w = 3; q.groups = 2;   /* c3_s1_p1 has 7 output channels: 2 does not divide */
    CHECK_ERR(mlc_conv2d_load(&c, &g.st, "c3_s1_p1", &q, &arena), MLC_ERR_SHAPE);
    q.groups = 0;
    CHECK_ERR(mlc_conv2d_load(&c, &g.st, "c3_s1_p1", &q, &arena), MLC_ERR_ARG);
    q.groups = 1; q.stride_h = 0;
    CHECK_ERR(mlc_conv2d_load(&c, &g.st, "c3_s1_p1", &q, &arena), MLC_ERR_ARG);
    CHECK_EQ_INT(arena.used, 0);
    q.stride_h = 1;
    CHECK_OK(mlc_conv2d_load(&c, &g.st, "c3_s1_p1", &q, &arena));
    CHECK_EQ_INT(c.in_ch, 5);
    CHECK_EQ_INT(c.out_ch, 7);
    mlct_golden_close(&g);
}

const mlct_case mlct_conv_cases[] = {
    MLCT_CASE(test_conv_golden),
    MLCT_CASE(test_conv_random),
    MLCT_CASE(test_conv_parallel_split),
    MLCT_CASE(test_conv_params),
    MLCT_CASE(test_conv_bad),
};
const int mlct_conv_count = (int)(sizeof mlct_conv_cases / sizeof mlct_conv_cases[0]);
