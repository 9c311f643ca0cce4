/* mobilenet_net.h - MobileNetV2 and MobileNetV3-Small exactly as torchvision
   builds them (torchvision.models.mobilenet_v2(), mobilenet_v3_small()),
   from mlcore layers, loading a torchvision state_dict saved as safetensors.
   Shared by examples/mobilenet.c, tests/test_mobilenet.c and
   bench/bench_mobilenet.c. Include it after mlcore.h (and <stdio.h>).

       mn_model m;
       mn_load(&m, &st, MN_V2, &arena);            // packs weights, folds BN
       mn_run run;
       mn_run_init(&run, &m, 1, 224, 224, &arena); // all activation memory
       mn_forward(&m, &run, NULL, &x, &logits);    // x [1,224,224,3] NHWC

   Memory: activations live in one region used from both ends. A block's
   output goes to the end its input is not on, so a layer's input and output
   never overlap and everything dead is reused at once; the region is sized
   by a dry run of the same walk. Its size is the largest sum of live
   activations (for these nets: the largest input + output of one layer,
   plus the residual input where a block keeps it). */

typedef enum { MN_V2 = 0, MN_V3_SMALL = 1 } mn_arch;

typedef struct {
    int in_ch, kernel, exp_ch, out_ch, se, stride;
    mlc_act act;
} mn_block_cfg;

typedef struct {
    mn_block_cfg cfg;
    int has_expand, residual, se_ch;
    mlc_conv2d expand, dw, project, se_fc1, se_fc2;
} mn_block;

typedef struct {
    mn_arch arch;
    float bn_eps;
    mlc_conv2d stem, last;
    mlc_act stem_act, last_act;
    int n_blocks;
    mn_block blocks[17];
    mlc_linear fc1, fc2;        /* V2: fc1 only (classifier.1); V3: classifier.0, .3 */
    int classes;
    char err[256];              /* what failed, when a call returns an error */
} mn_model;

/* Where time goes, by layer type (filled by mn_forward when run.prof is set). */
enum { MN_P_STEM, MN_P_EXPAND, MN_P_DW, MN_P_SE, MN_P_PROJECT, MN_P_HEAD, MN_P_N };
static const char *const mn_prof_names[MN_P_N] = {
    "stem conv 3x3 s2 (direct)", "expand conv 1x1 (GEMM)", "depthwise conv",
    "squeeze-excitation", "project conv 1x1 (GEMM) + residual", "last conv 1x1, pool, classifier" };
#define MN_MAX_LAYERS 64
typedef struct {
    double (*clock)(void);
    double t[MN_P_N];                  /* seconds by layer type */
    double layer[MN_MAX_LAYERS];       /* seconds by conv, in network order */
    char what[MN_MAX_LAYERS][48];      /* "features.3 expand 56x56 24->144" */
    int n_layers;
} mn_prof;

typedef struct {
    int n, h, w;
    float *act;                 /* the two-ended activation region */
    size_t act_floats;
    float *pool, *se1, *se2, *feat, *hidden;   /* small per-image vectors */
    mlc_arena scratch;          /* conv scratch (im2col of the stem) */
    size_t bytes;               /* everything mn_run_init took from the arena */
    size_t max_pair_floats;     /* largest input + output of a single layer */
    mn_prof *prof;              /* optional */
} mn_run;

/* ---- the two architectures, as torchvision defines them ------------------ */

/* torchvision mobilenetv2.py: (t, c, n, s) = (1,16,1,1) (6,24,2,2) (6,32,3,2)
   (6,64,4,2) (6,96,3,1) (6,160,3,2) (6,320,1,1), stem 32, last 1280 */
static int mn_v2_blocks(mn_block_cfg *b) {
    static const int tcns[7][4] = { {1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2},
                                    {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1} };
    int i, j, n = 0, in = 32;
    for (i = 0; i < 7; i++)
        for (j = 0; j < tcns[i][2]; j++, n++) {
            b[n].in_ch = in; b[n].kernel = 3; b[n].exp_ch = in * tcns[i][0]; b[n].out_ch = tcns[i][1];
            b[n].se = 0; b[n].stride = j == 0 ? tcns[i][3] : 1; b[n].act = MLC_ACT_RELU6;
            in = tcns[i][1];
        }
    return n;
}

/* torchvision mobilenetv3.py, "mobilenet_v3_small" bneck_conf rows:
   input, kernel, expanded, out, use_se, hardswish, stride; stem 16, last 576 */
static int mn_v3s_blocks(mn_block_cfg *b) {
    static const int rows[11][7] = {
        {16, 3, 16, 16, 1, 0, 2}, {16, 3, 72, 24, 0, 0, 2}, {24, 3, 88, 24, 0, 0, 1},
        {24, 5, 96, 40, 1, 1, 2}, {40, 5, 240, 40, 1, 1, 1}, {40, 5, 240, 40, 1, 1, 1},
        {40, 5, 120, 48, 1, 1, 1}, {48, 5, 144, 48, 1, 1, 1}, {48, 5, 288, 96, 1, 1, 2},
        {96, 5, 576, 96, 1, 1, 1}, {96, 5, 576, 96, 1, 1, 1} };
    int i;
    for (i = 0; i < 11; i++) {
        b[i].in_ch = rows[i][0]; b[i].kernel = rows[i][1]; b[i].exp_ch = rows[i][2];
        b[i].out_ch = rows[i][3]; b[i].se = rows[i][4];
        b[i].act = rows[i][5] ? MLC_ACT_HARDSWISH : MLC_ACT_RELU; b[i].stride = rows[i][6];
    }
    return 11;
}

/* torchvision's _make_divisible(v, 8) */
static int mn_make_divisible(int v) {
    int n = (v + 4) / 8 * 8;
    if (n < 8) n = 8;
    if (n < 0.9 * v) n += 8;
    return n;
}

/* ---- loading ----------------------------------------------------------------- */
#define MN_TRY(expr) do { mlc_result r_ = (expr); if (r_ != MLC_OK) return r_; } while (0)


/* Records what failed in m->err: the tensor st->bad_name names, else what. */
static mlc_result mn_fail(mn_model *m, const mlc_safetensors *st, const char *what, mlc_result r) {
    const char *name = st->bad_name && st->bad_name[0] ? st->bad_name : what;
    snprintf(m->err, sizeof m->err, "%s: %s", name, mlc_result_string(r));
    return r;
}

/* The loaded conv must have the channels the architecture says. */
static mlc_result mn_expect(mn_model *m, const mlc_conv2d *c, const char *prefix, int in_ch, int out_ch) {
    if (c->in_ch == in_ch && c->out_ch == out_ch) return MLC_OK;
    snprintf(m->err, sizeof m->err, "%s.weight: %d -> %d channels, the architecture needs %d -> %d",
             prefix, c->in_ch, c->out_ch, in_ch, out_ch);
    return MLC_ERR_SHAPE;
}

/* "<conv>.weight" must be [out_ch, in_ch/groups, kernel, kernel], checked
   before the load so that the error names the conv, not the batch norm
   after it that no longer agrees. */
static mlc_result mn_check_weight(mn_model *m, const mlc_safetensors *st, const char *conv, int in_ch, int out_ch,
                                  int groups, int kernel) {
    char name[160];
    const mlc_st_tensor *t;
    snprintf(name, sizeof name, "%s.weight", conv);
    if (!(t = mlc_st_find(st, name))) return mn_fail(m, st, name, MLC_ERR_NOT_FOUND);
    if (t->rank != 4 || t->shape[0] != out_ch || t->shape[1] != in_ch / groups || t->shape[2] != kernel ||
        t->shape[3] != kernel) {
        snprintf(m->err, sizeof m->err, "%s: shape [%d, %d, %d, %d], the architecture needs [%d, %d, %d, %d]", name,
                 t->shape[0], t->rank > 1 ? t->shape[1] : 0, t->rank > 2 ? t->shape[2] : 0, t->rank > 3 ? t->shape[3] : 0,
                 out_ch, in_ch / groups, kernel, kernel);
        return MLC_ERR_SHAPE;
    }
    return MLC_OK;
}

/* Conv2dNormActivation "<prefix>.0" conv + "<prefix>.1" batch norm, folded. */
static mlc_result mn_load_cbn(mn_model *m, mlc_conv2d *c, const mlc_safetensors *st, const char *prefix,
                              int kernel, int stride, int groups, int in_ch, int out_ch, mlc_arena *a) {
    char conv[128], bn[128];
    mlc_conv2d_params p = mlc_conv2d_params_make(kernel, stride, (kernel - 1) / 2, 1, groups);
    mlc_result r;
    snprintf(conv, sizeof conv, "%s.0", prefix);
    snprintf(bn, sizeof bn, "%s.1", prefix);
    MN_TRY(mn_check_weight(m, st, conv, in_ch, out_ch, groups, kernel));
    if ((r = mlc_conv2d_load_bn(c, st, conv, bn, m->bn_eps, &p, a)) != MLC_OK) return mn_fail(m, st, conv, r);
    return mn_expect(m, c, conv, in_ch, out_ch);
}

/* Loads and packs every weight. On error m->err names the tensor. */
static mlc_result mn_load(mn_model *m, const mlc_safetensors *st, mn_arch arch, mlc_arena *a) {
    mn_block_cfg cfg[17];
    char name[128], name2[128];
    int i, v3 = arch == MN_V3_SMALL, stem_ch = v3 ? 16 : 32, last_ch;
    mlc_result r;
    memset(m, 0, sizeof *m);
    if (!st || !a) return MLC_ERR_NULL;
    if (st->bad_name) st->bad_name[0] = '\0';
    m->arch = arch;
    m->bn_eps = v3 ? 0.001f : 1e-5f;
    m->n_blocks = v3 ? mn_v3s_blocks(cfg) : mn_v2_blocks(cfg);
    m->stem_act = m->last_act = v3 ? MLC_ACT_HARDSWISH : MLC_ACT_RELU6;
    MN_TRY(mn_load_cbn(m, &m->stem, st, "features.0", 3, 2, 1, 3, stem_ch, a));
    for (i = 0; i < m->n_blocks; i++) {
        mn_block *b = &m->blocks[i];
        const mn_block_cfg *c = &cfg[i];
        int l = 0;   /* index of the next sub-module in the block's Sequential */
        const char *seq = v3 ? "block" : "conv";
        b->cfg = *c;
        b->has_expand = c->exp_ch != c->in_ch;
        b->residual = c->stride == 1 && c->in_ch == c->out_ch;
        if (b->has_expand) {
            snprintf(name, sizeof name, "features.%d.%s.%d", i + 1, seq, l++);
            MN_TRY(mn_load_cbn(m, &b->expand, st, name, 1, 1, 1, c->in_ch, c->exp_ch, a));
        }
        snprintf(name, sizeof name, "features.%d.%s.%d", i + 1, seq, l++);
        MN_TRY(mn_load_cbn(m, &b->dw, st, name, c->kernel, c->stride, c->exp_ch, c->exp_ch, c->exp_ch, a));
        if (c->se) {
            mlc_conv2d_params p1 = mlc_conv2d_params_make(1, 1, 0, 1, 1);
            b->se_ch = mn_make_divisible(c->exp_ch / 4);
            snprintf(name, sizeof name, "features.%d.%s.%d.fc1", i + 1, seq, l);
            if ((r = mlc_conv2d_load(&b->se_fc1, st, name, &p1, a)) != MLC_OK) return mn_fail(m, st, name, r);
            MN_TRY(mn_expect(m, &b->se_fc1, name, c->exp_ch, b->se_ch));
            snprintf(name, sizeof name, "features.%d.%s.%d.fc2", i + 1, seq, l++);
            if ((r = mlc_conv2d_load(&b->se_fc2, st, name, &p1, a)) != MLC_OK) return mn_fail(m, st, name, r);
            MN_TRY(mn_expect(m, &b->se_fc2, name, b->se_ch, c->exp_ch));
        }
        snprintf(name, sizeof name, "features.%d.%s.%d", i + 1, seq, l);
        if (v3) {   /* Conv2dNormActivation without activation */
            MN_TRY(mn_load_cbn(m, &b->project, st, name, 1, 1, 1, c->exp_ch, c->out_ch, a));
        } else {    /* a bare Conv2d then BatchNorm2d */
            mlc_conv2d_params p1 = mlc_conv2d_params_make(1, 1, 0, 1, 1);
            snprintf(name2, sizeof name2, "features.%d.conv.%d", i + 1, l + 1);
            MN_TRY(mn_check_weight(m, st, name, c->exp_ch, c->out_ch, 1, 1));
            if ((r = mlc_conv2d_load_bn(&b->project, st, name, name2, m->bn_eps, &p1, a)) != MLC_OK)
                return mn_fail(m, st, name, r);
            MN_TRY(mn_expect(m, &b->project, name, c->exp_ch, c->out_ch));
        }
    }
    snprintf(name, sizeof name, "features.%d", m->n_blocks + 1);
    last_ch = v3 ? 576 : 1280;
    MN_TRY(mn_load_cbn(m, &m->last, st, name, 1, 1, 1, cfg[m->n_blocks - 1].out_ch, last_ch, a));
    if (v3) {
        if ((r = mlc_linear_load(&m->fc1, st, "classifier.0", a)) != MLC_OK) return mn_fail(m, st, "classifier.0", r);
        if ((r = mlc_linear_load(&m->fc2, st, "classifier.3", a)) != MLC_OK) return mn_fail(m, st, "classifier.3", r);
        if (m->fc1.in_features != last_ch || m->fc1.out_features != 1024 || m->fc2.in_features != 1024) {
            snprintf(m->err, sizeof m->err, "classifier.0/3.weight: [%d, %d] and [%d, %d], the architecture needs [1024, %d] and [classes, 1024]",
                     m->fc1.out_features, m->fc1.in_features, m->fc2.out_features, m->fc2.in_features, last_ch);
            return MLC_ERR_SHAPE;
        }
        m->classes = m->fc2.out_features;
    } else {
        if ((r = mlc_linear_load(&m->fc1, st, "classifier.1", a)) != MLC_OK) return mn_fail(m, st, "classifier.1", r);
        if (m->fc1.in_features != last_ch) {
            snprintf(m->err, sizeof m->err, "classifier.1.weight: %d inputs, the architecture needs %d",
                     m->fc1.in_features, last_ch);
            return MLC_ERR_SHAPE;
        }
        m->classes = m->fc1.out_features;
    }
    return MLC_OK;
}

/* ---- the walk: planning (dry) and running ------------------------------------
   A place is an end of the region and an offset from that end. */
typedef struct { int hi; size_t off; } mn_place;

static float *mn_ptr(const mn_run *run, mn_place p, size_t floats) {
    return p.hi ? run->act + run->act_floats - p.off - floats : run->act + p.off;
}

/* Extent of the region in use while a, b and c (sizes na, nb, nc; size 0 =
   unused) are live. */
static size_t mn_extent(mn_place a, size_t na, mn_place b, size_t nb, mn_place c, size_t nc) {
    size_t lo = 0, hi = 0, e;
    e = a.off + na; if (na) { if (a.hi) hi = e > hi ? e : hi; else lo = e > lo ? e : lo; }
    e = b.off + nb; if (nb) { if (b.hi) hi = e > hi ? e : hi; else lo = e > lo ? e : lo; }
    e = c.off + nc; if (nc) { if (c.hi) hi = e > hi ? e : hi; else lo = e > lo ? e : lo; }
    return lo + hi;
}

typedef struct {
    const mn_model *m;
    mn_run *run;
    const mlc_ctx *ctx;
    int dry, layer;
    size_t need, pair, scratch;   /* dry: region floats, largest pair, scratch bytes */
} mn_walker;

/* One conv: x (at px or caller memory when xin != NULL) -> y at py. Tracks
   (dry) or checks the region extent given the live tensors. */
static mlc_result mn_conv(mn_walker *w, const mlc_conv2d *c, int *h, int *wd, mn_place px, const float *xin,
                          mn_place py, mn_place keep, size_t nkeep, mlc_act act, int prof) {
    int n = w->run->n, oh, ow;
    size_t nx = (size_t)n * *h * *wd * c->in_ch, ny, ext, sc;
    double t0 = 0.0;
    mlc_result r = mlc_conv2d_out_size(c, *h, *wd, &oh, &ow);
    if (r != MLC_OK) return r;
    ny = (size_t)n * oh * ow * c->out_ch;
    ext = mn_extent(px, xin ? 0 : nx, py, ny, keep, nkeep);
    if (w->dry) {
        if (ext > w->need) w->need = ext;
        if (nx + ny > w->pair) w->pair = nx + ny;
        if ((sc = mlc_conv2d_scratch_bytes(c, *h, *wd)) > w->scratch) w->scratch = sc;
    } else {
        mlc_tensor x = mlc_tensor_4d(xin ? (float *)xin : mn_ptr(w->run, px, nx), n, *h, *wd, c->in_ch);
        mlc_tensor y = mlc_tensor_4d(mn_ptr(w->run, py, ny), n, oh, ow, c->out_ch);
        mn_prof *pr = w->run->prof;
        if (ext > w->run->act_floats) return MLC_ERR_NOMEM;
        if (pr) t0 = pr->clock();
        MN_TRY(mlc_conv2d_forward(c, w->ctx, &y, &x, act, 0.0f, &w->run->scratch));
        if (pr) {
            double dt = pr->clock() - t0;
            static const char *const kind[MN_P_N] = { "stem", "expand", "depthwise", "se", "project", "last" };
            pr->t[prof] += dt;
            if (w->layer < MN_MAX_LAYERS) {
                pr->layer[w->layer] += dt;
                snprintf(pr->what[w->layer], sizeof pr->what[0], "%-9s %dx%d k%d s%d %d->%d", kind[prof], *h, *wd,
                         c->p.kernel_h, c->p.stride_h, c->in_ch, c->out_ch);
                if (w->layer >= pr->n_layers) pr->n_layers = w->layer + 1;
            }
        }
        w->layer++;
    }
    *h = oh; *wd = ow;
    return MLC_OK;
}

/* Squeeze-and-excitation on t [n, h, w, exp] in place. */
static mlc_result mn_se(mn_walker *w, const mn_block *b, float *t, int h, int wd) {
    int n = w->run->n, e = b->cfg.exp_ch;
    mn_run *run = w->run;
    mlc_tensor x = mlc_tensor_4d(t, n, h, wd, e);
    mlc_tensor p = mlc_tensor_4d(run->pool, n, 1, 1, e);
    mlc_tensor s1 = mlc_tensor_4d(run->se1, n, 1, 1, b->se_ch), s2 = mlc_tensor_4d(run->se2, n, 1, 1, e);
    mlc_tensor s = mlc_tensor_2d(run->se2, n, e);
    double t0 = run->prof ? run->prof->clock() : 0.0;
    MN_TRY(mlc_global_avg_pool2d(&p, &x));
    MN_TRY(mlc_conv2d_forward(&b->se_fc1, w->ctx, &s1, &p, MLC_ACT_RELU, 0.0f, NULL));
    MN_TRY(mlc_conv2d_forward(&b->se_fc2, w->ctx, &s2, &s1, MLC_ACT_HARDSIGMOID, 0.0f, NULL));
    MN_TRY(mlc_scale_channels(&x, &x, &s));
    if (run->prof) run->prof->t[MN_P_SE] += run->prof->clock() - t0;
    return MLC_OK;
}

static mlc_result mn_walk(mn_walker *w, const float *x, float *logits) {
    const mn_model *m = w->m;
    mn_run *run = w->run;
    int n = run->n, h = run->h, wd = run->w, i;
    mn_place cur, none = { 0, 0 };
    double t0 = 0.0;
    cur.hi = 0; cur.off = 0;
    MN_TRY(mn_conv(w, &m->stem, &h, &wd, none, x, cur, none, 0, m->stem_act, MN_P_STEM));
    for (i = 0; i < m->n_blocks; i++) {
        const mn_block *b = &m->blocks[i];
        size_t ncur = (size_t)n * h * wd * b->cfg.in_ch, keep = b->residual ? ncur : 0;
        mn_place other = { !cur.hi, 0 }, t1 = cur, t2, t3;
        int h1 = h, w1 = wd;
        if (b->has_expand) {           /* cur -> t1 on the other end */
            t1 = other;
            MN_TRY(mn_conv(w, &b->expand, &h1, &w1, cur, NULL, t1, none, 0, b->cfg.act, MN_P_EXPAND));
        }
        /* depthwise t1 -> t2: on cur's end (after cur if the residual keeps
           it), or the other end when t1 is cur itself */
        if (b->has_expand) { t2.hi = cur.hi; t2.off = keep ? cur.off + keep : 0; }
        else { t2 = other; }
        {
            int h2 = h1, w2 = w1;
            MN_TRY(mn_conv(w, &b->dw, &h2, &w2, t1, NULL, t2, cur, keep, b->cfg.act, MN_P_DW));
            if (b->cfg.se && !w->dry)
                MN_TRY(mn_se(w, b, mn_ptr(run, t2, (size_t)n * h2 * w2 * b->cfg.exp_ch), h2, w2));
            /* project t2 -> t3 on the end t2 is not on, after cur if kept there */
            t3.hi = !t2.hi;
            t3.off = (keep && cur.hi == t3.hi) ? cur.off + keep : 0;
            MN_TRY(mn_conv(w, &b->project, &h2, &w2, t2, NULL, t3, cur, keep, MLC_ACT_NONE, MN_P_PROJECT));
            if (b->residual && !w->dry) {
                size_t no = (size_t)n * h2 * w2 * b->cfg.out_ch;
                mlc_tensor y = mlc_tensor_4d(mn_ptr(run, t3, no), n, h2, w2, b->cfg.out_ch);
                mlc_tensor r = mlc_tensor_4d(mn_ptr(run, cur, ncur), n, h, wd, b->cfg.in_ch);
                if (run->prof) t0 = run->prof->clock();
                MN_TRY(mlc_add(&y, &y, &r));
                if (run->prof) run->prof->t[MN_P_PROJECT] += run->prof->clock() - t0;
            }
            h = h2; wd = w2;
        }
        cur = t3;
    }
    {
        mn_place out = { !cur.hi, 0 };
        int c = m->last.out_ch;
        MN_TRY(mn_conv(w, &m->last, &h, &wd, cur, NULL, out, none, 0, m->last_act, MN_P_HEAD));
        if (!w->dry) {
            mlc_tensor t = mlc_tensor_4d(mn_ptr(run, out, (size_t)n * h * wd * c), n, h, wd, c);
            mlc_tensor pooled = mlc_tensor_4d(run->feat, n, 1, 1, c), f = mlc_tensor_2d(run->feat, n, c);
            mlc_tensor y = mlc_tensor_2d(logits, n, m->classes);
            if (run->prof) t0 = run->prof->clock();
            MN_TRY(mlc_global_avg_pool2d(&pooled, &t));
            if (m->arch == MN_V3_SMALL) {
                mlc_tensor hd = mlc_tensor_2d(run->hidden, n, m->fc1.out_features);
                MN_TRY(mlc_linear_forward(&m->fc1, w->ctx, &hd, &f, MLC_ACT_HARDSWISH, 0.0f));
                MN_TRY(mlc_linear_forward(&m->fc2, w->ctx, &y, &hd, MLC_ACT_NONE, 0.0f));
            } else {
                MN_TRY(mlc_linear_forward(&m->fc1, w->ctx, &y, &f, MLC_ACT_NONE, 0.0f));
            }
            if (run->prof) run->prof->t[MN_P_HEAD] += run->prof->clock() - t0;
        }
    }
    return MLC_OK;
}

/* Plans and allocates every activation buffer for n x h x w inputs. */
static mlc_result mn_run_init(mn_run *run, mn_model *m, int n, int h, int w, mlc_arena *a) {
    mn_walker wk;
    size_t mark = mlc_arena_mark(a), small;
    void *sm;
    mlc_result r;
    memset(run, 0, sizeof *run);
    if (n < 1 || h < 1 || w < 1) { snprintf(m->err, sizeof m->err, "input %dx%dx%d: sizes must be >= 1", n, h, w); return MLC_ERR_SHAPE; }
    run->n = n; run->h = h; run->w = w;
    memset(&wk, 0, sizeof wk);
    wk.m = m; wk.run = run; wk.dry = 1;
    if ((r = mn_walk(&wk, NULL, NULL)) != MLC_OK) {
        snprintf(m->err, sizeof m->err, "input %dx%d: too small for the network (%s)", h, w, mlc_result_string(r));
        return r;
    }
    small = (size_t)n * (1024 * 3 + 1280 + 1024);   /* SE vectors, pooled features, hidden */
    run->act_floats = wk.need;
    run->max_pair_floats = wk.pair;
    run->act = (float *)mlc_arena_alloc(a, wk.need * sizeof(float), 64);
    run->pool = (float *)mlc_arena_alloc(a, small * sizeof(float), 64);
    sm = mlc_arena_alloc(a, wk.scratch + 64, 64);
    if (!run->act || !run->pool || !sm) {
        mlc_arena_reset(a, mark);
        snprintf(m->err, sizeof m->err, "arena too small for the activations: %zu bytes more needed", a->need - a->size);
        return MLC_ERR_NOMEM;
    }
    run->se1 = run->pool + (size_t)n * 1024;
    run->se2 = run->se1 + (size_t)n * 1024;
    run->feat = run->se2 + (size_t)n * 1024;
    run->hidden = run->feat + (size_t)n * 1280;
    mlc_arena_init(&run->scratch, sm, wk.scratch + 64);
    run->bytes = mlc_arena_mark(a) - mark;
    return MLC_OK;
}

/* logits [n, classes] from x [n, h, w, 3] (NHWC, normalised), n, h, w as
   given to mn_run_init. */
static mlc_result mn_forward(mn_model *m, mn_run *run, const mlc_ctx *ctx, const mlc_tensor *x, mlc_tensor *logits) {
    mn_walker wk;
    mlc_result r;
    if (!x || !logits || !x->data || !logits->data) return MLC_ERR_NULL;
    if (x->dtype != MLC_F32 || x->rank != 4 || x->shape[0] != run->n || x->shape[1] != run->h ||
        x->shape[2] != run->w || x->shape[3] != 3) {
        snprintf(m->err, sizeof m->err, "input must be float32 [%d, %d, %d, 3] (NHWC, as planned by mn_run_init)",
                 run->n, run->h, run->w);
        return MLC_ERR_SHAPE;
    }
    if (logits->dtype != MLC_F32 || logits->rank != 2 || logits->shape[0] != run->n || logits->shape[1] != m->classes) {
        snprintf(m->err, sizeof m->err, "logits must be float32 [%d, %d]", run->n, m->classes);
        return MLC_ERR_SHAPE;
    }
    memset(&wk, 0, sizeof wk);
    wk.m = m; wk.run = run; wk.ctx = ctx;
    if ((r = mn_walk(&wk, (const float *)x->data, (float *)logits->data)) != MLC_OK)
        snprintf(m->err, sizeof m->err, "forward: %s", mlc_result_string(r));
    return r;
}
