/* vit.c - torchvision's VisionTransformer (ViT-Ti/16, ViT-B/16) from a
   torchvision state_dict saved as safetensors.

     vit [--arch ti|b] [--weights FILE.safetensors] [--image FILE.ppm] [--runs N]
         [--full-last]

   With no arguments it runs ViT-Ti/16 on the test weights and test image
   kept in tests/golden (seeded random weights, see tools/export_vit.py) and
   checks its logits against PyTorch's (exit 1 if they are off by more than
   1e-4 of the logits' scale). Weights of a real model come from
     /usr/bin/python3 tools/export_vit.py --arch vit_b_16 --pretrained --out vitb16.safetensors
   An image is a binary PPM (P6) or PGM (P5): resized so its shorter side is
   256 (bilinear), centre-cropped to 224 and normalised with ImageNet's mean
   and std, as torchvision's classification preset does (torchvision also
   antialiases when it shrinks; this reader does not).

   The model, as torchvision's vision_transformer.py computes it:
     conv_proj     16x16 stride-16 convolution = one GEMM over the 196
                   patches (each 16*16*3 pixels, NHWC order; the OIHW weight
                   is permuted to match at load)
     class token   prepended: 197 tokens
     positions     + encoder.pos_embedding (learned)
     encoder       12 pre-norm blocks (LayerNorm eps 1e-6, multi-head
                   self-attention, MLP with exact GELU), then encoder.ln
     head          heads.head on the class token
   The last block's output is only needed at the class token, so it runs
   its attention for that one query (over all 197 keys and values) and its
   MLP on that one row: the same numbers, 1/13 less work (--full-last runs
   it on all 197 tokens, as PyTorch and ONNX Runtime do).
   Weights are packed once at load; all activations live in one arena sized
   before the first image. */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <math.h>
#define MLCORE_IMPLEMENTATION
#include "../mlcore.h"

#define MAX_LAYERS 32

typedef struct {
    const char *name;
    int hidden, layers, heads, mlp;
} vit_cfg;

static const vit_cfg CFGS[2] = {
    { "ViT-Ti/16", 192, 12, 3, 768 },
    { "ViT-B/16", 768, 12, 12, 3072 },
};

typedef struct {
    vit_cfg cfg;
    int patch, image, grid, tokens, classes;
    mlc_linear patch_proj;          /* [16*16*3 -> hidden], columns in (kh, kw, c) order */
    float *class_token;             /* [hidden] */
    mlc_embedding pos;              /* [tokens, hidden] */
    mlc_transformer_layer layer[MAX_LAYERS];
    mlc_norm ln;
    mlc_linear head;
} vit;

typedef struct {
    float *patches;                 /* [grid^2, patch^2 * 3] */
    float *x;                       /* [tokens, hidden] */
    float *cls, *cls_ln, *att;      /* last block, class token only */
    unsigned char *scratch_mem;
    mlc_arena scratch;
} vit_buffers;

#define TRY(expr, what) do { mlc_result r_ = (expr); if (r_ != MLC_OK) { \
    fprintf(stderr, "error: %s: %s%s%s\n", what, mlc_result_string(r_), \
            st->bad_name && st->bad_name[0] ? " at tensor " : "", st->bad_name ? st->bad_name : ""); return r_; } } while (0)

static mlc_result vit_load(vit *m, const mlc_safetensors *st, const vit_cfg *cfg, mlc_arena *a) {
    const mlc_st_tensor *w = mlc_st_find(st, "conv_proj.weight");
    float *tmp, *perm;
    char name[96];
    int o, c, k, i, P;
    memset(m, 0, sizeof *m);
    m->cfg = *cfg;
    if (!w) TRY(MLC_ERR_NOT_FOUND, "conv_proj.weight");
    if (w->rank != 4 || w->shape[0] != cfg->hidden || w->shape[1] != 3 || w->shape[2] != w->shape[3]) {
        fprintf(stderr, "error: conv_proj.weight is not [%d, 3, P, P]: wrong --arch for this file?\n", cfg->hidden);
        return MLC_ERR_SHAPE;
    }
    P = m->patch = w->shape[2];
    /* OIHW -> [O][(kh, kw, c)]: a patch of an NHWC image is 16 rows of 16*3 floats */
    tmp = (float *)malloc(w->numel * sizeof(float));
    perm = (float *)malloc(w->numel * sizeof(float));
    if (!tmp || !perm) { free(tmp); free(perm); return MLC_ERR_NOMEM; }
    {
        mlc_result r = mlc_st_read_f32(st, "conv_proj.weight", -1, NULL, tmp, w->numel);
        if (r == MLC_OK) {
            float *bias = (float *)malloc((size_t)cfg->hidden * sizeof(float));
            for (o = 0; o < cfg->hidden; o++) for (c = 0; c < 3; c++) for (k = 0; k < P * P; k++)
                perm[(size_t)o * P * P * 3 + (size_t)k * 3 + c] = tmp[((size_t)o * 3 + c) * P * P + k];
            r = bias ? mlc_st_read_f32(st, "conv_proj.bias", 1, &cfg->hidden, bias, (size_t)cfg->hidden) : MLC_ERR_NOMEM;
            if (r == MLC_OK) r = mlc_linear_init(&m->patch_proj, perm, bias, P * P * 3, cfg->hidden, a);
            free(bias);
        }
        free(tmp); free(perm);
        TRY(r, "conv_proj");
    }
    m->class_token = (float *)mlc_arena_alloc(a, (size_t)cfg->hidden * sizeof(float), 64);
    if (!m->class_token) return MLC_ERR_NOMEM;
    TRY(mlc_st_read_f32(st, "class_token", -1, NULL, m->class_token, (size_t)cfg->hidden), "class_token");
    TRY(mlc_embedding_load(&m->pos, st, "encoder.pos_embedding", a), "encoder.pos_embedding");
    m->tokens = m->pos.num;
    m->grid = (int)(sqrt((double)(m->tokens - 1)) + 0.5);
    m->image = m->grid * P;
    if (m->grid * m->grid + 1 != m->tokens || m->pos.dim != cfg->hidden) {
        fprintf(stderr, "error: encoder.pos_embedding [1, %d, %d] does not fit a square grid of patches\n", m->tokens, m->pos.dim);
        return MLC_ERR_SHAPE;
    }
    for (i = 0; i < cfg->layers; i++) {
        snprintf(name, sizeof name, "encoder.layers.encoder_layer_%d", i);
        TRY(mlc_transformer_layer_load_vit(&m->layer[i], st, name, cfg->heads, a), name);
        if (m->layer[i].ff_dim != cfg->mlp) { fprintf(stderr, "error: %s: MLP width %d, expected %d\n", name, m->layer[i].ff_dim, cfg->mlp); return MLC_ERR_SHAPE; }
    }
    snprintf(name, sizeof name, "encoder.layers.encoder_layer_%d.ln_1.weight", cfg->layers);
    if (mlc_st_find(st, name)) { fprintf(stderr, "error: the file has more than %d encoder layers\n", cfg->layers); return MLC_ERR_SHAPE; }
    TRY(mlc_norm_load(&m->ln, st, "encoder.ln", MLC_NORM_LAYER, 1e-6f, a), "encoder.ln");
    TRY(mlc_linear_load(&m->head, st, "heads.head", a), "heads.head");
    m->classes = m->head.out_features;
    return MLC_OK;
}
#undef TRY

static mlc_result vit_buffers_init(vit_buffers *b, const vit *m) {
    const int D = m->cfg.hidden, T = m->tokens;
    size_t s1 = mlc_transformer_layer_scratch_bytes(&m->layer[0], 1, T, NULL);
    size_t s2 = mlc_mha_scratch_bytes(&m->layer[0].attn, 1, 1, T, NULL) +
                mlc_transformer_layer_scratch_bytes(&m->layer[0], 1, 1, NULL);
    size_t sc = (s1 > s2 ? s1 : s2) + (size_t)T * D * sizeof(float) + 256;
    memset(b, 0, sizeof *b);
    b->patches = (float *)malloc((size_t)(T - 1) * m->patch * m->patch * 3 * sizeof(float));
    b->x = (float *)malloc((size_t)T * D * sizeof(float));
    b->cls = (float *)malloc((size_t)D * sizeof(float));
    b->cls_ln = (float *)malloc((size_t)D * sizeof(float));
    b->att = (float *)malloc((size_t)D * sizeof(float));
    b->scratch_mem = (unsigned char *)malloc(sc);
    if (!b->patches || !b->x || !b->cls || !b->cls_ln || !b->att || !b->scratch_mem) return MLC_ERR_NOMEM;
    mlc_arena_init(&b->scratch, b->scratch_mem, sc);
    return MLC_OK;
}

static void vit_buffers_free(vit_buffers *b) {
    free(b->patches); free(b->x); free(b->cls); free(b->cls_ln); free(b->att); free(b->scratch_mem);
}

/* The last block for the class token only: attention of token 0 over all
   tokens, then the MLP on that row (pre-norm, as every ViT block). */
static mlc_result last_block_cls(const mlc_transformer_layer *l, const mlc_ctx *ctx, vit_buffers *b, int T,
                                 float *out) {
    const int D = l->dim;
    size_t mark = mlc_arena_mark(&b->scratch);
    float *xn = (float *)mlc_arena_alloc(&b->scratch, (size_t)T * D * sizeof(float), 64);
    mlc_tensor q, kv, y, one_in, one_out;
    mlc_result r;
    if (!xn) return MLC_ERR_NOMEM;
    r = mlc_layernorm_f32(xn, b->x, (size_t)T, (size_t)D, l->norm1.weight, l->norm1.bias, l->norm1.eps);
    q = mlc_tensor_3d(xn, 1, 1, D);
    kv = mlc_tensor_3d(xn, 1, T, D);
    y = mlc_tensor_3d(b->att, 1, 1, D);
    if (r == MLC_OK) r = mlc_mha_forward(&l->attn, ctx, &y, &q, &kv, NULL, &b->scratch);
    mlc_arena_reset(&b->scratch, mark);
    if (r == MLC_OK) r = mlc_add_f32(b->cls, b->x, b->att, (size_t)D);          /* x0 + attn */
    /* then x + mlp(ln_2(x)) on that one row */
    if (r == MLC_OK) r = mlc_layernorm_f32(b->cls_ln, b->cls, 1, (size_t)D, l->norm2.weight, l->norm2.bias, l->norm2.eps);
    one_in = mlc_tensor_2d(b->cls_ln, 1, D);
    one_out = mlc_tensor_2d(b->att, 1, D);
    if (r == MLC_OK) {
        float *h = (float *)mlc_arena_alloc(&b->scratch, (size_t)l->ff_dim * sizeof(float), 64);
        mlc_tensor th = mlc_tensor_2d(h, 1, l->ff_dim);
        if (!h) return MLC_ERR_NOMEM;
        r = mlc_linear_forward(&l->ff1, ctx, &th, &one_in, l->act, 0.0f);
        if (r == MLC_OK) r = mlc_linear_forward(&l->ff2, ctx, &one_out, &th, MLC_ACT_NONE, 0.0f);
        mlc_arena_reset(&b->scratch, mark);
    }
    if (r == MLC_OK) r = mlc_add_f32(out, b->cls, b->att, (size_t)D);
    return r;
}

/* logits [classes] from img [image, image, 3] (NHWC, normalised). */
static mlc_result vit_forward(const vit *m, const mlc_ctx *ctx, vit_buffers *b, const float *img, float *logits,
                              int full_last) {
    const int D = m->cfg.hidden, T = m->tokens, P = m->patch, G = m->grid, K = P * P * 3;
    int py, px, kh, i;
    mlc_tensor tx = mlc_tensor_3d(b->x, 1, T, D);
    mlc_result r;
    for (py = 0; py < G; py++) for (px = 0; px < G; px++)
        for (kh = 0; kh < P; kh++)
            memcpy(b->patches + ((size_t)(py * G + px) * P + kh) * P * 3,
                   img + ((size_t)(py * P + kh) * m->image + (size_t)px * P) * 3, (size_t)P * 3 * sizeof(float));
    r = mlc_gemm_packed_f32(ctx, T - 1, D, K, b->patches, K, m->patch_proj.packed_w, m->patch_proj.bias,
                            b->x + D, D, MLC_ACT_NONE, 0.0f);
    if (r != MLC_OK) return r;
    memcpy(b->x, m->class_token, (size_t)D * sizeof(float));
    if ((r = mlc_embedding_add_positions(&m->pos, &tx, 0)) != MLC_OK) return r;
    for (i = 0; i + 1 < m->cfg.layers + full_last; i++)
        if ((r = mlc_transformer_layer_forward(&m->layer[i], ctx, &tx, &tx, NULL, &b->scratch)) != MLC_OK) return r;
    if (full_last) memcpy(b->cls, b->x, (size_t)D * sizeof(float));
    else if ((r = last_block_cls(&m->layer[m->cfg.layers - 1], ctx, b, T, b->cls)) != MLC_OK) return r;
    if ((r = mlc_layernorm_f32(b->cls_ln, b->cls, 1, (size_t)D, m->ln.weight, m->ln.bias, m->ln.eps)) != MLC_OK) return r;
    return mlc_gemm_packed_f32(ctx, 1, m->classes, D, b->cls_ln, D, m->head.packed_w, m->head.bias, logits, m->classes,
                               MLC_ACT_NONE, 0.0f);
}

#include "image_input.h"   /* load_image(), as examples/mobilenet.c */

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec; }
static int cmpd(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return (x > y) - (x < y); }

int main(int argc, char **argv) {
    const char *arch = "ti", *weights = NULL, *image = NULL;
    static float input[224 * 224 * 3];
    float *logits, *probs;
    size_t arena_size, numel = 0;
    unsigned char *mem;
    mlc_arena arena, parse;
    unsigned char *parse_mem;
    void *file; size_t size;
    mlc_safetensors st;
    vit m;
    vit_buffers b;
    int i, k, golden = 0, status = 0, runs = 21, full_last = 0;
    double *times;
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--arch") && i + 1 < argc) arch = argv[++i];
        else if (!strcmp(argv[i], "--weights") && i + 1 < argc) weights = argv[++i];
        else if (!strcmp(argv[i], "--image") && i + 1 < argc) image = argv[++i];
        else if (!strcmp(argv[i], "--runs") && i + 1 < argc) runs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--full-last")) full_last = 1;
        else { fprintf(stderr, "usage: %s [--arch ti|b] [--weights FILE] [--image FILE.ppm] [--runs N] [--full-last]\n", argv[0]); return 2; }
    }
    if (strcmp(arch, "ti") && strcmp(arch, "b")) { fprintf(stderr, "error: --arch is ti or b\n"); return 2; }
    if (runs < 1 || runs > 10000) { fprintf(stderr, "error: --runs is 1..10000\n"); return 2; }
    if (!weights) {
        if (strcmp(arch, "ti")) { fprintf(stderr, "error: --arch b needs --weights (tools/export_vit.py --arch vit_b_16)\n"); return 2; }
        weights = "tests/golden/vit_ti16.safetensors";
    }
    if (mlc_file_load(weights, &file, &size) != MLC_OK) { fprintf(stderr, "error: cannot read %s\n", weights); return 1; }
    parse_mem = (unsigned char *)malloc(1 << 20);
    if (!parse_mem) return 1;
    mlc_arena_init(&parse, parse_mem, 1 << 20);
    if ((status = mlc_st_parse(&st, file, size, &parse)) != MLC_OK) {
        fprintf(stderr, "error: %s: %s\n", weights, mlc_result_string((mlc_result)status)); return 1;
    }
    /* packed float32 weights: every tensor widened, plus GEMM panel padding */
    for (i = 0; i < st.count; i++) numel += st.tensors[i].numel;
    arena_size = numel * sizeof(float) + numel / 8 * sizeof(float) + ((size_t)4 << 20);
    mem = (unsigned char *)malloc(arena_size);
    if (!mem) { fprintf(stderr, "error: out of memory\n"); return 1; }
    mlc_arena_init(&arena, mem, arena_size);
    if (vit_load(&m, &st, &CFGS[strcmp(arch, "ti") ? 1 : 0], &arena) != MLC_OK) return 1;
    printf("%s: %s, %d tensors, %d tokens of %d, weights packed in %zu bytes of arena\n", weights, m.cfg.name,
           st.count, m.tokens, m.cfg.hidden, mlc_arena_peak(&arena));
    if (m.image != 224) { fprintf(stderr, "error: this example reads 224x224 images (model: %d)\n", m.image); return 1; }
    if (vit_buffers_init(&b, &m) != MLC_OK) { fprintf(stderr, "error: out of memory\n"); return 1; }
    logits = (float *)malloc((size_t)m.classes * sizeof(float));
    probs = (float *)malloc((size_t)m.classes * sizeof(float));
    times = (double *)malloc((size_t)runs * sizeof(double));
    if (!logits || !probs || !times) return 1;
    if (image) {
        if (load_image(image, input)) return 1;
    } else {
        if (mlc_st_read_f32(&st, "golden.input", -1, NULL, input, 224 * 224 * 3) != MLC_OK) {
            fprintf(stderr, "error: no --image and no golden.input [1,224,224,3] in %s\n", weights); return 2;
        }
        golden = 1;
        printf("input: golden.input from the weights file (no --image given)\n");
    }
    if (vit_forward(&m, NULL, &b, input, logits, full_last) != MLC_OK) { fprintf(stderr, "error: forward failed\n"); return 1; }  /* warm-up */
    for (k = 0; k < runs; k++) {
        double t0 = now();
        if (vit_forward(&m, NULL, &b, input, logits, full_last) != MLC_OK) return 1;
        times[k] = now() - t0;
    }
    qsort(times, (size_t)runs, sizeof times[0], cmpd);
    {
        mlc_tensor tl = mlc_tensor_2d(logits, 1, m.classes), tp = mlc_tensor_2d(probs, 1, m.classes);
        mlc_softmax(&tp, &tl, -1);
    }
    printf("top-5:\n");
    for (k = 0; k < 5 && k < m.classes; k++) {
        int best = -1;
        for (i = 0; i < m.classes; i++)   /* printed entries are set to -1 */
            if (probs[i] >= 0 && (best < 0 || probs[i] > probs[best])) best = i;
        printf("  class %4d  p = %.4f  logit %.4f\n", best, probs[best], logits[best]);
        probs[best] = -1.0f;
    }
    printf("latency: %.2f ms (median of %d, one thread; min %.2f ms)%s\n", times[runs / 2] * 1e3, runs, times[0] * 1e3,
           full_last ? " with the last block on every token" : "");
    printf("arena: %zu bytes of packed weights; activations %zu bytes (scratch peak %zu)\n", mlc_arena_peak(&arena),
           (size_t)((m.tokens - 1) * m.patch * m.patch * 3 + m.tokens * m.cfg.hidden) * sizeof(float) + b.scratch.size,
           mlc_arena_peak(&b.scratch));
    if (golden) {
        const mlc_st_tensor *t = mlc_st_find(&st, "golden.logits");
        if (t && t->numel == (size_t)m.classes) {
            float *ref = (float *)malloc(sizeof(float) * (size_t)m.classes);
            double d = 0, s = 0;
            if (!ref || mlc_st_read_f32(&st, "golden.logits", -1, NULL, ref, (size_t)m.classes) != MLC_OK) return 1;
            for (i = 0; i < m.classes; i++) {
                if (fabs((double)logits[i] - ref[i]) > d) d = fabs((double)logits[i] - ref[i]);
                if (fabs((double)ref[i]) > s) s = fabs((double)ref[i]);
            }
            printf("vs PyTorch: max |logit diff| = %.3g, %.3g of the logits' scale %.3g (limit 1e-4): %s\n",
                   d, d / s, s, d / s <= 1e-4 ? "ok" : "FAIL");
            if (!(d / s <= 1e-4)) status = 1;
            free(ref);
        }
    }
    vit_buffers_free(&b);
    free(logits); free(probs); free(times);
    mlc_file_free(file);
    free(mem); free(parse_mem);
    return status;
}
