/* Transposed 2-D convolution (mlc_conv_transpose2d_*): golden cases from
   PyTorch (tests/gen_golden_convt.py -> golden/convt.safetensors), the
   vector kernels against the scalar reference over random shapes, and bad
   input.

   Tolerance, per element, as in tests/test_conv.c: y = b + the sum of the
   products x*w of the taps that reach the element, at most K = kh*kw*Cin/
   groups of them, summed in float32 in any order (the GEMM path sums each
   tap's Cin/groups products, then adds the taps one after the other onto
   the bias; the reference sums everything onto the bias in tap order), with
   or without fma, is off from the exact value by at most gamma * s,
   s = |b| + sum |x w| over those taps, with the probabilistic bound of
   Higham and Mary (2019) gamma = 7 sqrt(K+1) U (U = 2^-24; fails with
   probability < 2 exp(-49/2) = 5e-11 per rounding). The golden adds its own
   rounding, U |y|. A fused relu is 1-Lipschitz and exact. Forward against
   reference: both are within gamma * s of the exact value, so 2 gamma s
   (plus 2U |y| for leaky relu, whose y*alpha rounds once in each). */
#include <stdlib.h>
#include <float.h>
#include <limits.h>
#include "mlc_test.h"

/* (move to mlc_test.h with the other lists) */

#define U (1.0 / 16777216.0)

/* ---- helpers --------------------------------------------------------------- */

typedef struct { int n, h, w, cin, cout, oh, ow; } tdims;

/* s = |b| + sum |x w| per output element, x NHWC, w [Cin, Cout/groups, kh, kw];
   straight from the definition oh = ih sh - pad_top + i dh (scatter form,
   unlike the library's reference, which gathers). */
static double *abs_sums(const float *x, const float *w, const float *b, const tdims *d,
                        const mlc_conv_transpose2d_params *p) {
    size_t total = (size_t)d->n * d->oh * d->ow * d->cout, at;
    double *s = (double *)malloc(total * sizeof(double));
    int cig = d->cin / p->groups, cog = d->cout / p->groups;
    int n, ih, iw, ci, co, i, j;
    for (at = 0; at < total; at++) s[at] = b ? fabs((double)b[at % (size_t)d->cout]) : 0.0;
    for (n = 0; n < d->n; n++) for (ih = 0; ih < d->h; ih++) for (iw = 0; iw < d->w; iw++)
    for (ci = 0; ci < d->cin; ci++) {
        double xv = fabs((double)x[(((size_t)n * d->h + ih) * d->w + iw) * d->cin + ci]);
        int g = ci / cig;
        for (i = 0; i < p->kernel_h; i++) {
            int oh = ih * p->stride_h - p->pad_top + i * p->dilation_h;
            if (oh < 0 || oh >= d->oh) continue;
            for (j = 0; j < p->kernel_w; j++) {
                int ow = iw * p->stride_w - p->pad_left + j * p->dilation_w;
                if (ow < 0 || ow >= d->ow) continue;
                for (co = 0; co < cog; co++)
                    s[(((size_t)n * d->oh + oh) * d->ow + ow) * d->cout + g * cog + co] +=
                        xv * fabs((double)w[(((size_t)ci * cog + co) * p->kernel_h + i) * p->kernel_w + j]);
            }
        }
    }
    return s;
}


static mlc_conv_transpose2d_params params_of(const float *v) {
    mlc_conv_transpose2d_params p;
    p.kernel_h = (int)v[0]; p.kernel_w = (int)v[1]; p.stride_h = (int)v[2]; p.stride_w = (int)v[3];
    p.dilation_h = (int)v[4]; p.dilation_w = (int)v[5];
    p.pad_top = (int)v[6]; p.pad_bottom = (int)v[7]; p.pad_left = (int)v[8]; p.pad_right = (int)v[9];
    p.out_pad_h = (int)v[10]; p.out_pad_w = (int)v[11]; p.groups = (int)v[12];
    return p;
}

static double gamma_of(const mlc_conv_transpose2d_params *p, int cin) {
    return 7.0 * sqrt((double)p->kernel_h * p->kernel_w * (cin / p->groups) + 1.0) * U;
}

/* ---- golden ---------------------------------------------------------------- */

/* mlc_conv_transpose2d_load + forward (serial and through parallel_for) +
   ref, plain and with relu where the golden has it; init from the float32
   arrays. */
static void test_convt_golden(void) {
    mlct_golden g;
    int t, n_cases = 0, kinds[3] = { 0, 0, 0 }, multi_block = 0;
    if (!mlct_golden_open(&g, "convt.safetensors")) return;
    for (t = 0; t < g.st.count; t++) {
        const char *pname = g.st.tensors[t].name;
        size_t plen = strlen(pname);
        char prefix[96], name[128], what[160];
        float *pv, *x, *y, *w, *b = NULL, *got, *y_relu = NULL;
        mlc_tensor tx, ty, tw, tgot;
        mlc_conv_transpose2d_params p;
        mlc_conv_transpose2d c;
        mlc_arena arena, scratch;
        void *mem, *smem;
        size_t bytes, sbytes, total, i;
        double *s, *tol, gamma;
        tdims d;
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
        snprintf(name, sizeof name, "%s.y_relu", prefix);
        if (mlc_st_find(&g.st, name)) y_relu = mlct_golden_get(&g, name, NULL);
        if (!pv || !x || !y || !w || tx.rank != 4 || ty.rank != 4) {
            CHECK(0);
            free(pv); free(x); free(y); free(w); free(b); free(y_relu);
            continue;
        }
        p = params_of(pv);
        d.n = tx.shape[0]; d.h = tx.shape[1]; d.w = tx.shape[2]; d.cin = tx.shape[3];
        d.oh = ty.shape[1]; d.ow = ty.shape[2]; d.cout = ty.shape[3];
        total = mlc_tensor_numel(&ty);
        got = (float *)malloc(total * sizeof(float));
        tgot = ty; tgot.data = got;

        bytes = mlc_conv_transpose2d_arena_bytes(d.cin, d.cout, &p, b != NULL);
        CHECK(bytes > 0);
        mem = malloc(bytes + 64);
        mlc_arena_init(&arena, mlct_align64(mem), bytes);
        CHECK_OK(mlc_conv_transpose2d_load(&c, &g.st, prefix, &p, &arena));
        CHECK(mlc_arena_peak(&arena) <= bytes);
        CHECK_EQ_INT(c.in_ch, d.cin);
        CHECK_EQ_INT(c.out_ch, d.cout);
        CHECK_EQ_INT(c.bias != NULL, b != NULL);
        kinds[c.kind == MLC_CONVT_DEPTHWISE ? 1 : c.kind == MLC_CONVT_GEMM ? 2 : 0]++;
        if (strncmp(prefix, "dw", 2) == 0 && strcmp(prefix, "dw_mult2") != 0) CHECK_EQ_INT(c.kind, MLC_CONVT_DEPTHWISE);
        else CHECK_EQ_INT(c.kind, MLC_CONVT_GEMM);
        CHECK_OK(mlc_conv_transpose2d_out_size(&c, d.h, d.w, &oh, &ow));
        CHECK_EQ_INT(oh, d.oh);
        CHECK_EQ_INT(ow, d.ow);

        sbytes = mlc_conv_transpose2d_scratch_bytes(&c, d.h, d.w);
        CHECK((sbytes == 0) == (c.kind == MLC_CONVT_DEPTHWISE));
        /* fewer than H*W rows of scratch: the input goes in several blocks */
        if (sbytes && sbytes < (size_t)d.h * d.w * p.kernel_h * p.kernel_w * (d.cout / p.groups) * sizeof(float))
            multi_block++;
        smem = malloc(sbytes + 1);
        mlc_arena_init(&scratch, smem, sbytes);   /* exactly what it asked for (any alignment) */

        s = abs_sums(x, w, b, &d, &p);
        tol = (double *)malloc(total * sizeof(double));
        gamma = gamma_of(&p, d.cin);
        for (i = 0; i < total; i++) tol[i] = gamma * s[i] + U * fabs((double)y[i]);
        ctx.parallel_for = mlct_reverse_pfor; ctx.user = NULL; ctx.n_threads = 3;

        for (pass = 0; pass < 4; pass++) {
            /* 0: forward, 1: forward with parallel_for, 2: ref, 3: init + forward */
            const char *fn = pass == 0 ? "forward" : pass == 1 ? "forward parallel_for" : pass == 2 ? "ref" : "init+forward";
            if (pass == 3) {
                mlc_arena_init(&arena, mlct_align64(mem), bytes);
                CHECK_OK(mlc_conv_transpose2d_init(&c, w, b, d.cin, d.cout, &p, &arena));
            }
            for (a = 0; a < 2; a++) {
                mlc_act act = a ? MLC_ACT_RELU : MLC_ACT_NONE;
                float *want = a ? y_relu : y;
                if (!want) continue;
                for (i = 0; i < total; i++) got[i] = NAN;   /* every element must be written */
                if (pass == 2) CHECK_OK(mlc_conv_transpose2d_ref(&c, &tgot, &tx, act, 0.0f));
                else CHECK_OK(mlc_conv_transpose2d_forward(&c, pass == 1 ? &ctx : NULL, &tgot, &tx, act, 0.0f, &scratch));
                CHECK_EQ_INT(scratch.used, 0);
                snprintf(what, sizeof what, "convt %s %s%s", fn, prefix, a ? " relu" : "");
                CHECK_TOL_REL(what, got, want, tol, 0.0, total);
            }
        }
        free(tol); free(s); free(smem); free(mem); free(got);
        free(pv); free(x); free(y); free(w); free(b); free(y_relu);
    }
    CHECK(n_cases >= 23);
    CHECK(kinds[1] >= 4 && kinds[2] >= 18 && kinds[0] == 0);
    CHECK(multi_block >= 1);
    mlct_golden_close(&g);
}

/* ---- vector kernels against the reference, random shapes ------------------ */


/* Forward (serial or through parallel_for) against ref on random x, w, b;
   returns 1 when the shape had an output and was compared. */
static int convt_vs_ref(mlct_rng *rng, int nb, int h, int wd, int cin, int cout, const mlc_conv_transpose2d_params *p,
                        int has_bias, mlc_act act, const mlc_ctx *ctx, const char *tag, int *kind) {
    mlc_conv_transpose2d c;
    mlc_arena arena, scratch;
    tdims d;
    int oh, ow;
    size_t nx, nw, ny, i, bytes, sbytes;
    float *x, *w, *b, *y1, *y2;
    double *s, *tol, gamma;
    void *mem, *smem;
    mlc_tensor tx, ty1, ty2;
    mlc_result r;
    nw = (size_t)cin * (cout / p->groups) * p->kernel_h * p->kernel_w;
    w = (float *)malloc(nw * sizeof(float));
    b = (float *)malloc((size_t)cout * sizeof(float));
    mlct_fill(rng, w, nw, -1.0f, 1.0f);
    mlct_fill(rng, b, (size_t)cout, -1.0f, 1.0f);
    bytes = mlc_conv_transpose2d_arena_bytes(cin, cout, p, 1);
    CHECK(bytes > 0);
    mem = malloc(bytes);
    mlc_arena_init(&arena, mem, bytes);
    CHECK_OK(mlc_conv_transpose2d_init(&c, w, has_bias ? b : NULL, cin, cout, p, &arena));
    *kind = (int)c.kind;
    r = mlc_conv_transpose2d_out_size(&c, h, wd, &oh, &ow);
    if (r != MLC_OK) {   /* pads crop everything: SHAPE, and forward agrees */
        float dummy[4] = { 0, 0, 0, 0 };
        CHECK_ERR(r, MLC_ERR_SHAPE);
        x = (float *)calloc((size_t)h * wd * cin, sizeof(float));
        y1 = (float *)calloc((size_t)cout, sizeof(float));
        tx = mlc_tensor_4d(dummy, 1, h, wd, cin); tx.data = x;
        ty1 = mlc_tensor_4d(y1, 1, 1, 1, cout);
        CHECK_ERR(mlc_conv_transpose2d_forward(&c, NULL, &ty1, &tx, MLC_ACT_NONE, 0.0f, NULL), MLC_ERR_SHAPE);
        CHECK_ERR(mlc_conv_transpose2d_ref(&c, &ty1, &tx, MLC_ACT_NONE, 0.0f), MLC_ERR_SHAPE);
        CHECK_EQ_INT(mlc_conv_transpose2d_scratch_bytes(&c, h, wd), 0);
        free(x); free(y1); free(w); free(b); free(mem);
        return 0;
    }
    d.n = nb; d.h = h; d.w = wd; d.cin = cin; d.cout = cout; d.oh = oh; d.ow = ow;
    nx = (size_t)nb * h * wd * cin;
    ny = (size_t)nb * oh * ow * cout;
    x = (float *)malloc(nx * sizeof(float));
    y1 = (float *)malloc((ny + 16) * sizeof(float));
    y2 = (float *)malloc(ny * sizeof(float));
    mlct_fill(rng, x, nx, -2.0f, 2.0f);
    for (i = 0; i < ny; i++) y1[i] = NAN;
    for (i = ny; i < ny + 16; i++) y1[i] = -777.0f;   /* past the end: must stay */
    tx = mlc_tensor_4d(x, nb, h, wd, cin);
    ty1 = mlc_tensor_4d(y1, nb, oh, ow, cout);
    ty2 = mlc_tensor_4d(y2, nb, oh, ow, cout);
    sbytes = mlc_conv_transpose2d_scratch_bytes(&c, h, wd);
    smem = malloc(sbytes + 1);
    mlc_arena_init(&scratch, smem, sbytes);
    CHECK_OK(mlc_conv_transpose2d_forward(&c, ctx, &ty1, &tx, act, 0.1f, &scratch));
    CHECK_EQ_INT(scratch.used, 0);
    CHECK_OK(mlc_conv_transpose2d_ref(&c, &ty2, &tx, act, 0.1f));
    for (i = ny; i < ny + 16; i++) CHECK(y1[i] == -777.0f);
    s = abs_sums(x, w, has_bias ? b : NULL, &d, p);
    tol = (double *)malloc(ny * sizeof(double));
    gamma = gamma_of(p, cin);
    for (i = 0; i < ny; i++) tol[i] = 2.0 * gamma * s[i];
    {
        char what[240];
        snprintf(what, sizeof what, "%s kind %d N%d %dx%dx%d -> %d k%dx%d s%d,%d d%d,%d p%d,%d,%d,%d op%d,%d g%d",
                 tag, (int)c.kind, nb, h, wd, cin, cout, p->kernel_h, p->kernel_w, p->stride_h, p->stride_w,
                 p->dilation_h, p->dilation_w, p->pad_top, p->pad_bottom, p->pad_left, p->pad_right,
                 p->out_pad_h, p->out_pad_w, p->groups);
        CHECK_TOL_REL(what, y1, y2, tol, act == MLC_ACT_LEAKY_RELU ? 2 * U : 0.0, ny);
    }
    free(tol); free(s); free(smem); free(x); free(y1); free(y2); free(w); free(b); free(mem);
    return 1;
}

static void test_convt_random(void) {
    static const mlc_act acts[4] = { MLC_ACT_NONE, MLC_ACT_RELU, MLC_ACT_RELU6, MLC_ACT_LEAKY_RELU };
    mlct_rng rng;
    int it, tested = 0, kinds[3] = { 0, 0, 0 };
    const int iters = 400;
    rng.s = 4242u;
    for (it = 0; it < iters; it++) {
        mlc_conv_transpose2d_params p;
        mlc_ctx ctx;
        int nb = mlct_rnd(&rng, 1, 2), h = mlct_rnd(&rng, 1, 9), wd = mlct_rnd(&rng, 1, 9), cin = mlct_rnd(&rng, 1, 37), cout;
        int shape_kind = mlct_rnd(&rng, 0, 2), gsel = mlct_rnd(&rng, 0, 2), kind = 0;
        char tag[32];
        p.kernel_h = mlct_rnd(&rng, 1, 5); p.kernel_w = mlct_rnd(&rng, 1, 5);
        p.stride_h = mlct_rnd(&rng, 1, 3); p.stride_w = mlct_rnd(&rng, 1, 3);
        p.dilation_h = mlct_rnd(&rng, 1, 2); p.dilation_w = mlct_rnd(&rng, 1, 2);
        p.pad_top = mlct_rnd(&rng, 0, 3); p.pad_bottom = mlct_rnd(&rng, 0, 3);
        p.pad_left = mlct_rnd(&rng, 0, 3); p.pad_right = mlct_rnd(&rng, 0, 3);
        p.out_pad_h = mlct_rnd(&rng, 0, (p.stride_h > p.dilation_h ? p.stride_h : p.dilation_h) - 1);
        p.out_pad_w = mlct_rnd(&rng, 0, (p.stride_w > p.dilation_w ? p.stride_w : p.dilation_w) - 1);
        if (shape_kind == 0) {          /* depthwise */
            cout = cin; p.groups = cin;
        } else {                        /* gemm, groups 1, 2 or Cin (multiplier 1..3) */
            p.groups = gsel == 0 ? 1 : gsel == 1 ? (cin % 2 == 0 ? 2 : 1) : cin;
            cout = mlct_rnd(&rng, 1, gsel == 2 ? 3 : 24) * p.groups;
            if (p.groups == cin && cout == cin) cout = 2 * cin;
        }
        ctx.parallel_for = mlct_reverse_pfor; ctx.user = NULL; ctx.n_threads = 1 + (it % 4);
        snprintf(tag, sizeof tag, "random #%d", it);
        tested += convt_vs_ref(&rng, nb, h, wd, cin, cout, &p, it % 5 != 0, acts[it & 3], (it & 1) ? &ctx : NULL,
                               tag, &kind);
        kinds[kind == MLC_CONVT_DEPTHWISE ? 1 : kind == MLC_CONVT_GEMM ? 2 : 0]++;
    }
    CHECK(tested > iters * 3 / 4);
    CHECK(kinds[1] > 80 && kinds[2] > 200 && kinds[0] == 0);
    if (getenv("MLCT_VERBOSE")) printf("       random: %d tested, dw %d gemm %d\n", tested, kinds[1], kinds[2]);
}

/* Wide GEMM rows (kh*kw*Cout/groups columns) so that the input goes in
   several blocks, some crossing from one image of the batch to the next,
   some short; and shapes big enough (>= 5e5 multiply-adds) that forward
   splits its output rows over parallel_for tasks, their ranges starting and
   ending inside images and across them. */
static void test_convt_blocks_parallel(void) {
    static const int cfg[][10] = {   /* n, h, w, cin, cout, k, s, pad, op, groups */
        { 2, 7, 9, 3, 64, 5, 2, 2, 1, 1 },     /* n = 1600: 40 rows a block, 63 px an image */
        { 3, 5, 5, 4, 96, 4, 2, 1, 0, 2 },     /* groups 2, n = 768: 85 rows */
        { 1, 24, 24, 32, 16, 4, 2, 1, 0, 1 },  /* the decoder layer, smaller */
        { 1, 40, 40, 48, 48, 3, 2, 1, 1, 48 }, /* depthwise */
    };
    int k, it, split = 0;
    mlct_rng rng;
    rng.s = 777u;
    for (k = 0; k < (int)(sizeof cfg / sizeof cfg[0]); k++) {
        const int *v = cfg[k];
        mlc_conv_transpose2d_params p = mlc_conv_transpose2d_params_make(v[5], v[6], v[7], v[8], v[9], 1);
        mlc_ctx ctx;
        int kind;
        ctx.parallel_for = mlct_reverse_pfor; ctx.user = NULL; ctx.n_threads = 4;
        CHECK_EQ_INT(convt_vs_ref(&rng, v[0], v[1], v[2], v[3], v[4], &p, 1, MLC_ACT_NONE, NULL, "blocks", &kind), 1);
        mlct_tasks_run = 0;
        CHECK_EQ_INT(convt_vs_ref(&rng, v[0], v[1], v[2], v[3], v[4], &p, k & 1, MLC_ACT_RELU6, &ctx, "parallel", &kind), 1);
        if (k != 1) CHECK(mlct_tasks_run > 1);
    }
    for (it = 0; it < 12; it++) {   /* random, through 2..5 tasks */
        mlc_conv_transpose2d_params p;
        mlc_ctx ctx;
        int nb = mlct_rnd(&rng, 1, 3), h = mlct_rnd(&rng, 5, 12), wd = mlct_rnd(&rng, 5, 12), cin, cout, kind;
        char tag[32];
        p.kernel_h = mlct_rnd(&rng, 1, 5); p.kernel_w = mlct_rnd(&rng, 2, 5);
        p.stride_h = mlct_rnd(&rng, 1, 3); p.stride_w = mlct_rnd(&rng, 1, 3);
        p.dilation_h = mlct_rnd(&rng, 1, 2); p.dilation_w = mlct_rnd(&rng, 1, 2);
        p.pad_top = mlct_rnd(&rng, 0, 2); p.pad_bottom = mlct_rnd(&rng, 0, 2);
        p.pad_left = mlct_rnd(&rng, 0, 2); p.pad_right = mlct_rnd(&rng, 0, 2);
        p.out_pad_h = mlct_rnd(&rng, 0, (p.stride_h > p.dilation_h ? p.stride_h : p.dilation_h) - 1);
        p.out_pad_w = mlct_rnd(&rng, 0, (p.stride_w > p.dilation_w ? p.stride_w : p.dilation_w) - 1);
        if (it % 4 == 3) { cin = cout = p.groups = mlct_rnd(&rng, 400, 600); }   /* depthwise */
        else {
            p.groups = 1 << mlct_rnd(&rng, 0, 2);
            cin = p.groups * mlct_rnd(&rng, 12, 32); cout = p.groups * mlct_rnd(&rng, 12, 32);
        }
        ctx.parallel_for = mlct_reverse_pfor; ctx.user = NULL; ctx.n_threads = 2 + it % 4;
        snprintf(tag, sizeof tag, "parallel random #%d", it);
        mlct_tasks_run = 0;
        if (convt_vs_ref(&rng, nb, h, wd, cin, cout, &p, it & 1, MLC_ACT_RELU, &ctx, tag, &kind)) split += mlct_tasks_run > 1;
    }
    CHECK(split >= 7);
    if (getenv("MLCT_VERBOSE")) printf("       parallel random: %d of 12 split\n", split);
}

/* ---- params and sizes ------------------------------------------------------- */

static void test_convt_params(void) {
    mlc_conv_transpose2d_params p = mlc_conv_transpose2d_params_make(4, 2, 1, 1, 3, 2), q;
    mlc_conv_transpose2d c;
    int in, k, s, dl, pad, op, oh, ow;
    unsigned char mem[4096];
    mlc_arena arena;
    float w[64];
    CHECK(p.kernel_h == 4 && p.kernel_w == 4 && p.stride_h == 2 && p.stride_w == 2 && p.pad_top == 1 &&
          p.pad_bottom == 1 && p.pad_left == 1 && p.pad_right == 1 && p.out_pad_h == 1 && p.out_pad_w == 1 &&
          p.groups == 3 && p.dilation_h == 2 && p.dilation_w == 2);
    /* output size: PyTorch's formula, and >= 1 else SHAPE */
    memset(w, 0, sizeof w);
    for (in = 1; in <= 6; in++) for (k = 1; k <= 4; k++) for (s = 1; s <= 3; s++) for (dl = 1; dl <= 2; dl++)
    for (pad = 0; pad <= 3; pad++) for (op = 0; op < (s > dl ? s : dl); op++) {
        long long want = (long long)(in - 1) * s - 2 * pad + (long long)dl * (k - 1) + op + 1;
        p = mlc_conv_transpose2d_params_make(k, s, pad, op, 1, dl);
        p.pad_right = pad + 1;   /* one side more */
        mlc_arena_init(&arena, mem, sizeof mem);
        CHECK_OK(mlc_conv_transpose2d_init(&c, w, NULL, 1, 1, &p, &arena));
        if (want < 1) {
            CHECK_ERR(mlc_conv_transpose2d_out_size(&c, in, in + 1, &oh, &ow), MLC_ERR_SHAPE);
            CHECK(oh == 0 && ow == 0);
        } else {
            CHECK_OK(mlc_conv_transpose2d_out_size(&c, in, in + 1, &oh, &ow));
            CHECK_EQ_INT(oh, want);
            CHECK_EQ_INT(ow, want + s - 1);   /* one more input column, one more pad */
        }
    }
    /* output_padding < max(stride, dilation), as PyTorch */
    mlc_arena_init(&arena, mem, sizeof mem);
    p = mlc_conv_transpose2d_params_make(3, 2, 1, 1, 1, 1);
    CHECK_OK(mlc_conv_transpose2d_init(&c, w, NULL, 1, 1, &p, &arena));
    p.out_pad_h = 2;  CHECK_ERR(mlc_conv_transpose2d_init(&c, w, NULL, 1, 1, &p, &arena), MLC_ERR_ARG);
    p = mlc_conv_transpose2d_params_make(3, 1, 1, 1, 1, 1);   /* stride 1, dilation 1: op must be 0 */
    CHECK_ERR(mlc_conv_transpose2d_init(&c, w, NULL, 1, 1, &p, &arena), MLC_ERR_ARG);
    p.dilation_w = 2; p.out_pad_h = 0;                          /* op_w 1 < dilation 2 */
    CHECK_OK(mlc_conv_transpose2d_init(&c, w, NULL, 1, 1, &p, &arena));
    q = p; q.out_pad_w = -1; CHECK_ERR(mlc_conv_transpose2d_init(&c, w, NULL, 1, 1, &q, &arena), MLC_ERR_ARG);
    q = p; q.out_pad_w = 2;  CHECK_ERR(mlc_conv_transpose2d_init(&c, w, NULL, 1, 1, &q, &arena), MLC_ERR_ARG);
    CHECK_EQ_INT(mlc_conv_transpose2d_arena_bytes(1, 1, &q, 0), 0);
}

/* ---- bad input --------------------------------------------------------------- */

static void test_convt_bad(void) {
    static unsigned char mem[1 << 16];
    static float w[4 * 4 * 3 * 3], xb[2 * 6 * 6 * 4 + 8], yb[2 * 12 * 12 * 8 + 8];
    mlct_golden g;
    mlc_arena arena, scratch;
    mlc_conv_transpose2d c;
    mlc_conv_transpose2d_params p = mlc_conv_transpose2d_params_make(3, 2, 1, 1, 1, 1), q;
    mlc_tensor x, y;
    size_t bytes, i;
    unsigned char smem[32768];
    for (i = 0; i < sizeof w / sizeof w[0]; i++) w[i] = 0.01f * (float)i;
    mlc_arena_init(&arena, mem, sizeof mem);

    /* init */
    CHECK_ERR(mlc_conv_transpose2d_init(NULL, w, NULL, 4, 4, &p, &arena), MLC_ERR_NULL);
    CHECK_ERR(mlc_conv_transpose2d_init(&c, NULL, NULL, 4, 4, &p, &arena), MLC_ERR_NULL);
    CHECK_ERR(mlc_conv_transpose2d_init(&c, w, NULL, 4, 4, NULL, &arena), MLC_ERR_NULL);
    CHECK_ERR(mlc_conv_transpose2d_init(&c, w, NULL, 4, 4, &p, NULL), MLC_ERR_NULL);
    q = p; q.kernel_h = 0;   CHECK_ERR(mlc_conv_transpose2d_init(&c, w, NULL, 4, 4, &q, &arena), MLC_ERR_ARG);
    q = p; q.kernel_w = -1;  CHECK_ERR(mlc_conv_transpose2d_init(&c, w, NULL, 4, 4, &q, &arena), MLC_ERR_ARG);
    q = p; q.stride_w = 0;   CHECK_ERR(mlc_conv_transpose2d_init(&c, w, NULL, 4, 4, &q, &arena), MLC_ERR_ARG);
    q = p; q.dilation_h = 0; CHECK_ERR(mlc_conv_transpose2d_init(&c, w, NULL, 4, 4, &q, &arena), MLC_ERR_ARG);
    q = p; q.pad_right = -1; CHECK_ERR(mlc_conv_transpose2d_init(&c, w, NULL, 4, 4, &q, &arena), MLC_ERR_ARG);
    q = p; q.pad_top = -2;   CHECK_ERR(mlc_conv_transpose2d_init(&c, w, NULL, 4, 4, &q, &arena), MLC_ERR_ARG);
    q = p; q.out_pad_h = 2;  CHECK_ERR(mlc_conv_transpose2d_init(&c, w, NULL, 4, 4, &q, &arena), MLC_ERR_ARG);
    q = p; q.groups = 0;     CHECK_ERR(mlc_conv_transpose2d_init(&c, w, NULL, 4, 4, &q, &arena), MLC_ERR_ARG);
    q = p; q.groups = 3;     CHECK_ERR(mlc_conv_transpose2d_init(&c, w, NULL, 6, 4, &q, &arena), MLC_ERR_ARG);  /* !| out */
    q = p; q.groups = 2;     CHECK_ERR(mlc_conv_transpose2d_init(&c, w, NULL, 3, 4, &q, &arena), MLC_ERR_ARG);  /* !| in */
    CHECK_ERR(mlc_conv_transpose2d_init(&c, w, NULL, 0, 4, &p, &arena), MLC_ERR_ARG);
    CHECK_ERR(mlc_conv_transpose2d_init(&c, w, NULL, 4, 0, &p, &arena), MLC_ERR_ARG);
    CHECK_EQ_INT(arena.used, 0);   /* failures take nothing */
    CHECK_EQ_INT(mlc_conv_transpose2d_arena_bytes(3, 4, &q, 1), 0);   /* groups 2 does not divide 3 */
    CHECK_EQ_INT(mlc_conv_transpose2d_arena_bytes(4, 4, NULL, 1), 0);
    {   /* kh*kw*Cout/groups past INT_MAX */
        mlc_conv_transpose2d_params ph = mlc_conv_transpose2d_params_make(1, 1, 0, 0, 1, 1);
        ph.kernel_h = ph.kernel_w = 65536;
        CHECK_ERR(mlc_conv_transpose2d_init(&c, w, NULL, 1, 1, &ph, &arena), MLC_ERR_UNSUPPORTED);
        CHECK_EQ_INT(mlc_conv_transpose2d_arena_bytes(1, 1, &ph, 0), 0);
    }
    /* arena too small: NOMEM, need says what would have fitted, nothing taken */
    bytes = mlc_conv_transpose2d_arena_bytes(4, 4, &p, 1);
    mlc_arena_init(&arena, mlct_align64(mem), bytes / 2);
    CHECK_ERR(mlc_conv_transpose2d_init(&c, w, w, 4, 4, &p, &arena), MLC_ERR_NOMEM);
    CHECK(arena.need > bytes / 2);
    CHECK_EQ_INT(arena.used, 0);
    CHECK(c.w == NULL && c.kind == MLC_CONVT_NONE);
    mlc_arena_init(&arena, mlct_align64(mem), bytes);
    CHECK_OK(mlc_conv_transpose2d_init(&c, w, w, 4, 4, &p, &arena));
    CHECK_EQ_INT(c.kind, MLC_CONVT_GEMM);

    /* forward: x [2,6,6,4] -> y [2,12,12,4] (k3 s2 p1 op1) */
    x = mlc_tensor_4d(xb, 2, 6, 6, 4);
    y = mlc_tensor_4d(yb, 2, 12, 12, 4);
    mlc_arena_init(&scratch, smem, sizeof smem);
    CHECK_OK(mlc_conv_transpose2d_forward(&c, NULL, &y, &x, MLC_ACT_NONE, 0.0f, &scratch));
    CHECK_OK(mlc_conv_transpose2d_ref(&c, &y, &x, MLC_ACT_NONE, 0.0f));
    CHECK_ERR(mlc_conv_transpose2d_forward(NULL, NULL, &y, &x, MLC_ACT_NONE, 0.0f, &scratch), MLC_ERR_NULL);
    CHECK_ERR(mlc_conv_transpose2d_forward(&c, NULL, NULL, &x, MLC_ACT_NONE, 0.0f, &scratch), MLC_ERR_NULL);
    CHECK_ERR(mlc_conv_transpose2d_forward(&c, NULL, &y, NULL, MLC_ACT_NONE, 0.0f, &scratch), MLC_ERR_NULL);
    CHECK_ERR(mlc_conv_transpose2d_forward(&c, NULL, &y, &x, MLC_ACT_NONE, 0.0f, NULL), MLC_ERR_NULL);  /* gemm needs scratch */
    CHECK_ERR(mlc_conv_transpose2d_ref(NULL, &y, &x, MLC_ACT_NONE, 0.0f), MLC_ERR_NULL);
    CHECK_ERR(mlc_conv_transpose2d_ref(&c, NULL, &x, MLC_ACT_NONE, 0.0f), MLC_ERR_NULL);
    {
        mlc_conv_transpose2d z;
        int oh, ow;
        memset(&z, 0, sizeof z);   /* never initialised */
        CHECK_ERR(mlc_conv_transpose2d_forward(&z, NULL, &y, &x, MLC_ACT_NONE, 0.0f, &scratch), MLC_ERR_NULL);
        CHECK_ERR(mlc_conv_transpose2d_ref(&z, &y, &x, MLC_ACT_NONE, 0.0f), MLC_ERR_NULL);
        CHECK_ERR(mlc_conv_transpose2d_out_size(&z, 6, 6, &oh, &ow), MLC_ERR_NULL);
        CHECK_EQ_INT(mlc_conv_transpose2d_scratch_bytes(&z, 6, 6), 0);
        CHECK_EQ_INT(mlc_conv_transpose2d_scratch_bytes(NULL, 6, 6), 0);
        CHECK_ERR(mlc_conv_transpose2d_out_size(&c, 6, 6, NULL, &ow), MLC_ERR_NULL);
        CHECK_ERR(mlc_conv_transpose2d_out_size(&c, 0, 6, &oh, &ow), MLC_ERR_SHAPE);
        CHECK_OK(mlc_conv_transpose2d_out_size(&c, 6, 7, &oh, &ow));
        CHECK(oh == 12 && ow == 14);
    }
    {
        mlc_tensor t = x; t.data = NULL;
        CHECK_ERR(mlc_conv_transpose2d_forward(&c, NULL, &y, &t, MLC_ACT_NONE, 0.0f, &scratch), MLC_ERR_NULL);
        t = y; t.data = NULL;
        CHECK_ERR(mlc_conv_transpose2d_forward(&c, NULL, &t, &x, MLC_ACT_NONE, 0.0f, &scratch), MLC_ERR_NULL);
    }
    {
        mlc_tensor t = mlc_tensor_3d(xb, 6, 6, 4);   /* rank 3 */
        CHECK_ERR(mlc_conv_transpose2d_forward(&c, NULL, &y, &t, MLC_ACT_NONE, 0.0f, &scratch), MLC_ERR_SHAPE);
        CHECK_ERR(mlc_conv_transpose2d_ref(&c, &y, &t, MLC_ACT_NONE, 0.0f), MLC_ERR_SHAPE);
        t = mlc_tensor_4d(xb, 2, 6, 6, 3);           /* Cin wrong */
        CHECK_ERR(mlc_conv_transpose2d_forward(&c, NULL, &y, &t, MLC_ACT_NONE, 0.0f, &scratch), MLC_ERR_SHAPE);
        t = mlc_tensor_4d(yb, 2, 12, 12, 5);         /* Cout wrong */
        CHECK_ERR(mlc_conv_transpose2d_forward(&c, NULL, &t, &x, MLC_ACT_NONE, 0.0f, &scratch), MLC_ERR_SHAPE);
        t = mlc_tensor_4d(yb, 1, 12, 12, 4);         /* batch differs */
        CHECK_ERR(mlc_conv_transpose2d_forward(&c, NULL, &t, &x, MLC_ACT_NONE, 0.0f, &scratch), MLC_ERR_SHAPE);
        t = mlc_tensor_4d(yb, 2, 11, 12, 4);         /* OH wrong (as without output_padding) */
        CHECK_ERR(mlc_conv_transpose2d_forward(&c, NULL, &t, &x, MLC_ACT_NONE, 0.0f, &scratch), MLC_ERR_SHAPE);
        CHECK_ERR(mlc_conv_transpose2d_ref(&c, &t, &x, MLC_ACT_NONE, 0.0f), MLC_ERR_SHAPE);
        t = mlc_tensor_4d(yb, 2, 12, 13, 4);         /* OW wrong */
        CHECK_ERR(mlc_conv_transpose2d_forward(&c, NULL, &t, &x, MLC_ACT_NONE, 0.0f, &scratch), MLC_ERR_SHAPE);
        t = mlc_tensor_4d(yb, 2, 12, 12, 0);         /* a zero dim */
        CHECK_ERR(mlc_conv_transpose2d_forward(&c, NULL, &t, &x, MLC_ACT_NONE, 0.0f, &scratch), MLC_ERR_SHAPE);
        t = x; t.dtype = MLC_F16;
        CHECK_ERR(mlc_conv_transpose2d_forward(&c, NULL, &y, &t, MLC_ACT_NONE, 0.0f, &scratch), MLC_ERR_DTYPE);
        t = y; t.dtype = MLC_BF16;
        CHECK_ERR(mlc_conv_transpose2d_forward(&c, NULL, &t, &x, MLC_ACT_NONE, 0.0f, &scratch), MLC_ERR_DTYPE);
        CHECK_ERR(mlc_conv_transpose2d_ref(&c, &t, &x, MLC_ACT_NONE, 0.0f), MLC_ERR_DTYPE);
        CHECK_ERR(mlc_conv_transpose2d_forward(&c, NULL, &y, &x, MLC_ACT_COUNT, 0.0f, &scratch), MLC_ERR_ARG);
        CHECK_ERR(mlc_conv_transpose2d_ref(&c, &y, &x, (mlc_act)-1, 0.0f), MLC_ERR_ARG);
    }
    {   /* pads larger than the full output: no output */
        mlc_conv_transpose2d big;
        mlc_conv_transpose2d_params pb = mlc_conv_transpose2d_params_make(3, 1, 0, 0, 1, 1);
        mlc_tensor tx = mlc_tensor_4d(xb, 1, 2, 2, 1), ty = mlc_tensor_4d(yb, 1, 1, 1, 1);
        int oh = -1, ow = -1;
        pb.pad_top = 2; pb.pad_bottom = 2;   /* full 4 rows, 4 cropped */
        mlc_arena_init(&arena, mlct_align64(mem), sizeof mem - 64);
        CHECK_OK(mlc_conv_transpose2d_init(&big, w, NULL, 1, 1, &pb, &arena));
        CHECK_ERR(mlc_conv_transpose2d_out_size(&big, 2, 2, &oh, &ow), MLC_ERR_SHAPE);
        CHECK_OK(mlc_conv_transpose2d_out_size(&big, 3, 2, &oh, &ow));
        CHECK(oh == 1 && ow == 4);
        CHECK_ERR(mlc_conv_transpose2d_forward(&big, NULL, &ty, &tx, MLC_ACT_NONE, 0.0f, &scratch), MLC_ERR_SHAPE);
        CHECK_EQ_INT(mlc_conv_transpose2d_scratch_bytes(&big, 2, 2), 0);
    }
    {   /* sizes past what an int index holds */
        mlc_conv_transpose2d huge;
        mlc_conv_transpose2d_params ph = mlc_conv_transpose2d_params_make(3, 1, 0, 0, 1, 1);
        int oh = -1, ow = -1;
        mlc_arena_init(&arena, mlct_align64(mem), sizeof mem - 64);
        ph.stride_h = 1 << 20;                /* (in - 1) * stride past INT_MAX */
        CHECK_OK(mlc_conv_transpose2d_init(&huge, w, NULL, 1, 1, &ph, &arena));
        CHECK_ERR(mlc_conv_transpose2d_out_size(&huge, 4096, 5, &oh, &ow), MLC_ERR_SHAPE);
        CHECK(oh == 0 && ow == 0);
        CHECK_OK(mlc_conv_transpose2d_out_size(&huge, 2, 5, &oh, &ow));
        CHECK(oh == (1 << 20) + 3 && ow == 7);
        ph = mlc_conv_transpose2d_params_make(3, 1, 0, 0, 1, 1);
        ph.dilation_w = INT_MAX / 2;          /* full extent d (k-1) + 1 + (in-1) s past INT_MAX */
        CHECK_OK(mlc_conv_transpose2d_init(&huge, w, NULL, 1, 1, &ph, &arena));
        CHECK_ERR(mlc_conv_transpose2d_out_size(&huge, 5, 5, &oh, &ow), MLC_ERR_SHAPE);
        CHECK_EQ_INT(mlc_conv_transpose2d_scratch_bytes(&huge, 5, 5), 0);
    }
    {   /* scratch in use before the call: forward returns it to that mark */
        size_t need = mlc_conv_transpose2d_scratch_bytes(&c, 6, 6);
        mlc_arena_init(&scratch, smem, sizeof smem);
        CHECK(mlc_arena_alloc(&scratch, 100, 1) != NULL);
        CHECK(sizeof smem >= need + 100);
        CHECK_OK(mlc_conv_transpose2d_forward(&c, NULL, &y, &x, MLC_ACT_NONE, 0.0f, &scratch));
        CHECK_EQ_INT(scratch.used, 100);
        CHECK(scratch.peak > 100);
    }
    {   /* scratch too small: NOMEM, scratch left as it was, y untouched */
        size_t need = mlc_conv_transpose2d_scratch_bytes(&c, 6, 6);
        CHECK(need > 0);
        for (i = 0; i < 2 * 12 * 12 * 4; i++) yb[i] = 5.0f;
        mlc_arena_init(&scratch, smem, need - 65);
        CHECK_ERR(mlc_conv_transpose2d_forward(&c, NULL, &y, &x, MLC_ACT_NONE, 0.0f, &scratch), MLC_ERR_NOMEM);
        CHECK_EQ_INT(scratch.used, 0);
        CHECK(scratch.need > need - 65);
        CHECK(yb[0] == 5.0f && yb[2 * 12 * 12 * 4 - 1] == 5.0f);
    }
    {   /* depthwise needs no scratch */
        mlc_conv_transpose2d dw;
        mlc_conv_transpose2d_params pd = mlc_conv_transpose2d_params_make(3, 2, 1, 1, 4, 1);
        mlc_arena_init(&arena, mlct_align64(mem), sizeof mem - 64);
        CHECK_OK(mlc_conv_transpose2d_init(&dw, w, NULL, 4, 4, &pd, &arena));
        CHECK_EQ_INT(dw.kind, MLC_CONVT_DEPTHWISE);
        CHECK_EQ_INT(mlc_conv_transpose2d_scratch_bytes(&dw, 6, 6), 0);
        CHECK_OK(mlc_conv_transpose2d_forward(&dw, NULL, &y, &x, MLC_ACT_NONE, 0.0f, NULL));
    }

    /* load: the missing or mis-shaped tensor is named in st.bad_name */
    if (!mlct_golden_open(&g, "convt.safetensors")) return;
    mlc_arena_init(&arena, mem, sizeof mem);
    q = mlc_conv_transpose2d_params_make(3, 2, 1, 1, 1, 1);
#define LOAD_ERR(prefix, code, blamed) do { \
        g.st.bad_name[0] = '\0'; \
        CHECK_ERR(mlc_conv_transpose2d_load(&c, &g.st, prefix, &q, &arena), code); \
        if (strcmp(g.st.bad_name, blamed) != 0) { mlct_failures++; \
            fprintf(stderr, "  %s:%d: bad_name \"%s\", expected \"%s\"\n", __FILE__, __LINE__, g.st.bad_name, blamed); } \
    } while (0)
    LOAD_ERR("missing", MLC_ERR_NOT_FOUND, "missing.weight");
    LOAD_ERR("k3_s2_p1_op", MLC_ERR_NOT_FOUND, "k3_s2_p1_op.weight");        /* a prefix of a name */
    LOAD_ERR("bad_rank", MLC_ERR_SHAPE, "bad_rank.weight");                  /* [4,3,9] */
    LOAD_ERR("bad_kernel", MLC_ERR_SHAPE, "bad_kernel.weight");              /* 3x5 vs 3x3 */
    LOAD_ERR("bad_bias", MLC_ERR_SHAPE, "bad_bias.bias");                    /* bias [4] (in) for out 3 */
    LOAD_ERR("bad_dtype", MLC_ERR_DTYPE, "bad_dtype.weight");                /* I32 */
    LOAD_ERR("bad_bdtype", MLC_ERR_DTYPE, "bad_bdtype.bias");                /* I32 bias */
    q.groups = 2;
    LOAD_ERR("bad_groups", MLC_ERR_SHAPE, "bad_groups.weight");              /* in 5, groups 2 */
    q.groups = 1;
    CHECK_ERR(mlc_conv_transpose2d_load(NULL, &g.st, "k3_s2_p1_op1", &q, &arena), MLC_ERR_NULL);
    CHECK_ERR(mlc_conv_transpose2d_load(&c, NULL, "k3_s2_p1_op1", &q, &arena), MLC_ERR_NULL);
    CHECK_ERR(mlc_conv_transpose2d_load(&c, &g.st, NULL, &q, &arena), MLC_ERR_NULL);
    CHECK_ERR(mlc_conv_transpose2d_load(&c, &g.st, "k3_s2_p1_op1", NULL, &arena), MLC_ERR_NULL);
    CHECK_ERR(mlc_conv_transpose2d_load(&c, &g.st, "k3_s2_p1_op1", &q, NULL), MLC_ERR_NULL);
    q.kernel_w = 5;          /* weight is 3x3 */
    LOAD_ERR("k3_s2_p1_op1", MLC_ERR_SHAPE, "k3_s2_p1_op1.weight");
    q.kernel_w = 3; q.groups = 3;   /* in 8: 3 does not divide */
    LOAD_ERR("k3_s2_p1_op1", MLC_ERR_SHAPE, "k3_s2_p1_op1.weight");
    q.groups = 0;
    CHECK_ERR(mlc_conv_transpose2d_load(&c, &g.st, "k3_s2_p1_op1", &q, &arena), MLC_ERR_ARG);
    q.groups = 1; q.out_pad_h = 2;  /* >= stride */
    CHECK_ERR(mlc_conv_transpose2d_load(&c, &g.st, "k3_s2_p1_op1", &q, &arena), MLC_ERR_ARG);
    q.out_pad_h = 1; q.stride_h = 0;
    CHECK_ERR(mlc_conv_transpose2d_load(&c, &g.st, "k3_s2_p1_op1", &q, &arena), MLC_ERR_ARG);
    CHECK_EQ_INT(arena.used, 0);
    q.stride_h = 2;
    {   /* arena too small for the packed weights: NOMEM, arena as it was */
        mlc_arena small;
        mlc_arena_init(&small, mem, 256);
        CHECK_ERR(mlc_conv_transpose2d_load(&c, &g.st, "k3_s2_p1_op1", &q, &small), MLC_ERR_NOMEM);
        CHECK_EQ_INT(small.used, 0);
    }
    CHECK_OK(mlc_conv_transpose2d_load(&c, &g.st, "k3_s2_p1_op1", &q, &arena));
    CHECK_EQ_INT(c.in_ch, 8);
    CHECK_EQ_INT(c.out_ch, 6);
    CHECK(c.bias != NULL);
#undef LOAD_ERR
    mlct_golden_close(&g);
}

const mlct_case mlct_convt_cases[] = {
    MLCT_CASE(test_convt_golden),
    MLCT_CASE(test_convt_random),
    MLCT_CASE(test_convt_blocks_parallel),
    MLCT_CASE(test_convt_params),
    MLCT_CASE(test_convt_bad),
};
const int mlct_convt_count = (int)(sizeof mlct_convt_cases / sizeof mlct_convt_cases[0]);
