/* gpt.c - a small decoder-only causal language model (GPT-2 / nanoGPT
   shape) generating text byte by byte with mlcore's KV cache.

     gpt [--weights FILE.safetensors --heads N] [--prompt TEXT] [--tokens N]
         [--temperature T] [--seed S]

   With no arguments it builds a built-in model: 256 byte tokens, 4 layers,
   width 128, 4 heads, 256 positions, seeded random weights (so the text it
   writes is noise: what is shown is the machinery, and it is checked). It
   feeds the prompt in one step (prefill), then one token per step, each
   step attending over the cache: O(position) per token. At the end it
   reruns the whole sequence without the cache (one causal forward, O(T^2))
   and checks that every step's logits match (exit 1 if they are off by
   more than 1e-4 of their scale).

   --weights loads a nanoGPT checkpoint saved as safetensors, in nanoGPT's
   own names and nn.Linear layouts:
     transformer.wte.weight [vocab, dim]   transformer.wpe.weight [ctx, dim]
     transformer.h.<i>.ln_1 / .ln_2        .weight/.bias (LayerNorm, eps 1e-5)
     transformer.h.<i>.attn.c_attn         .weight [3 dim, dim] (q|k|v), .bias
     transformer.h.<i>.attn.c_proj         .weight [dim, dim], .bias
     transformer.h.<i>.mlp.c_fc / c_proj   .weight, .bias (GELU between)
     transformer.ln_f                      .weight/.bias
     lm_head.weight [vocab, dim]           (optional: tied to wte)
   Tokens are bytes (vocab 256, e.g. nanoGPT's shakespeare_char with its
   own vocabulary mapped to bytes is not handled here).

   Each block is an mlc_transformer_layer (pre-norm, causal MHA, GELU MLP);
   the cache is an mlc_kv_cache; everything lives in one arena. */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <math.h>
#define MLCORE_IMPLEMENTATION
#include "../mlcore.h"

#define MAX_LAYERS 48

typedef struct {
    int vocab, ctx, dim, layers, heads;
    mlc_embedding wte, wpe;
    mlc_transformer_layer layer[MAX_LAYERS];
    mlc_norm ln_f;
    mlc_linear head;
} gpt;

/* ---- the built-in model: seeded random weights ------------------------------- */
static unsigned rng_state = 1;
static float urand(void) { rng_state = rng_state * 1664525u + 1013904223u; return (float)(rng_state >> 8) / 16777216.0f; }
static float nrand(void) { float s = 0; int i; for (i = 0; i < 12; i++) s += urand(); return s - 6.0f; }  /* ~N(0,1) */
static float *randn(size_t n, float std, float mean) {
    float *p = (float *)malloc(n * sizeof(float));
    size_t i;
    if (p) for (i = 0; i < n; i++) p[i] = mean + std * nrand();
    return p;
}

static mlc_result builtin(gpt *m, mlc_arena *a) {
    const int V = 256, C = 256, D = 128, L = 4, H = 4, F = 4 * D;
    float *wte = randn((size_t)V * D, 0.15f, 0.0f), *wpe = randn((size_t)C * D, 0.2f, 0.0f);
    mlc_result r;
    int i;
    if (!wte || !wpe) return MLC_ERR_NOMEM;
    m->vocab = V; m->ctx = C; m->dim = D; m->layers = L; m->heads = H;
    r = mlc_embedding_init(&m->wte, wte, V, D, a);
    if (r == MLC_OK) r = mlc_embedding_init(&m->wpe, wpe, C, D, a);
    if (r == MLC_OK) r = mlc_linear_init(&m->head, wte, NULL, D, V, a);   /* tied, as GPT-2 */
    for (i = 0; i < L && r == MLC_OK; i++) {
        mlc_transformer_layer *l = &m->layer[i];
        float s = 1.0f / sqrtf((float)D);
        float *w = randn((size_t)3 * D * D, s, 0.0f), *b = randn((size_t)3 * D, 0.05f, 0.0f);
        float *wo = randn((size_t)D * D, s, 0.0f), *bo = randn((size_t)D, 0.05f, 0.0f);
        float *f1 = randn((size_t)F * D, s, 0.0f), *b1 = randn((size_t)F, 0.05f, 0.0f);
        float *f2 = randn((size_t)D * F, 1.0f / sqrtf((float)F), 0.0f), *b2 = randn((size_t)D, 0.05f, 0.0f);
        float *g = randn((size_t)D, 0.1f, 1.0f), *beta = randn((size_t)D, 0.1f, 0.0f);
        if (!w || !b || !wo || !bo || !f1 || !b1 || !f2 || !b2 || !g || !beta) r = MLC_ERR_NOMEM;
        memset(l, 0, sizeof *l);
        if (r == MLC_OK) r = mlc_mha_init(&l->attn, D, H, H, w, w + D * D, w + 2 * D * D, b, b + D, b + 2 * D, wo, bo, a);
        if (r == MLC_OK) r = mlc_norm_init(&l->norm1, MLC_NORM_LAYER, g, beta, D, 1e-5f, a);
        if (r == MLC_OK) r = mlc_norm_init(&l->norm2, MLC_NORM_LAYER, g, beta, D, 1e-5f, a);
        if (r == MLC_OK) r = mlc_linear_init(&l->ff1, f1, b1, D, F, a);
        if (r == MLC_OK) r = mlc_linear_init(&l->ff2, f2, b2, F, D, a);
        l->norm_first = 1; l->act = MLC_ACT_GELU;
        if (r == MLC_OK) r = mlc_transformer_layer_check(l);
        free(w); free(b); free(wo); free(bo); free(f1); free(b1); free(f2); free(b2); free(g); free(beta);
    }
    if (r == MLC_OK) {
        float *g = randn((size_t)D, 0.1f, 1.0f), *beta = randn((size_t)D, 0.1f, 0.0f);
        r = g && beta ? mlc_norm_init(&m->ln_f, MLC_NORM_LAYER, g, beta, D, 1e-5f, a) : MLC_ERR_NOMEM;
        free(g); free(beta);
    }
    free(wte); free(wpe);
    return r;
}

/* ---- a nanoGPT checkpoint ---------------------------------------------------- */
#define TRY(expr, what) do { mlc_result r_ = (expr); if (r_ != MLC_OK) { \
    fprintf(stderr, "error: %s: %s%s%s\n", what, mlc_result_string(r_), \
            st->bad_name && st->bad_name[0] ? " at tensor " : "", st->bad_name ? st->bad_name : ""); return r_; } } while (0)

static float *read_all(const mlc_safetensors *st, const char *name, size_t n) {
    float *p = (float *)malloc(n * sizeof(float));
    if (p && mlc_st_read_f32(st, name, -1, NULL, p, n) != MLC_OK) { free(p); p = NULL; }
    return p;
}

static mlc_result load_nanogpt(gpt *m, const mlc_safetensors *st, int heads, mlc_arena *a) {
    char name[128], pre[96];
    int i, D;
    TRY(mlc_embedding_load(&m->wte, st, "transformer.wte.weight", a), "transformer.wte.weight");
    TRY(mlc_embedding_load(&m->wpe, st, "transformer.wpe.weight", a), "transformer.wpe.weight");
    m->vocab = m->wte.num; m->dim = D = m->wte.dim; m->ctx = m->wpe.num;
    m->heads = heads > 0 ? heads : (D % 64 == 0 ? D / 64 : 1);
    if (m->wpe.dim != D) { fprintf(stderr, "error: wpe width %d != wte width %d\n", m->wpe.dim, D); return MLC_ERR_SHAPE; }
    if (m->vocab > 256) { fprintf(stderr, "error: this example's tokens are bytes; the model has %d\n", m->vocab); return MLC_ERR_UNSUPPORTED; }
    for (i = 0; i < MAX_LAYERS; i++) {
        mlc_transformer_layer *l = &m->layer[i];
        float *w, *b, *wo, *bo;
        mlc_result r;
        snprintf(pre, sizeof pre, "transformer.h.%d", i);
        snprintf(name, sizeof name, "%s.ln_1.weight", pre);
        if (!mlc_st_find(st, name)) break;
        memset(l, 0, sizeof *l);
        snprintf(name, sizeof name, "%s.attn.c_attn.weight", pre); w = read_all(st, name, (size_t)3 * D * D);
        snprintf(name, sizeof name, "%s.attn.c_attn.bias", pre); b = mlc_st_find(st, name) ? read_all(st, name, (size_t)3 * D) : NULL;
        snprintf(name, sizeof name, "%s.attn.c_proj.weight", pre); wo = read_all(st, name, (size_t)D * D);
        snprintf(name, sizeof name, "%s.attn.c_proj.bias", pre); bo = mlc_st_find(st, name) ? read_all(st, name, (size_t)D) : NULL;
        r = w && wo ? mlc_mha_init(&l->attn, D, m->heads, m->heads, w, w + (size_t)D * D, w + (size_t)2 * D * D,
                                   b, b ? b + D : NULL, b ? b + 2 * D : NULL, wo, bo, a) : MLC_ERR_SHAPE;
        free(w); free(b); free(wo); free(bo);
        snprintf(name, sizeof name, "%s.attn", pre);
        TRY(r, name);
        snprintf(name, sizeof name, "%s.ln_1", pre); TRY(mlc_norm_load(&l->norm1, st, name, MLC_NORM_LAYER, 1e-5f, a), name);
        snprintf(name, sizeof name, "%s.ln_2", pre); TRY(mlc_norm_load(&l->norm2, st, name, MLC_NORM_LAYER, 1e-5f, a), name);
        snprintf(name, sizeof name, "%s.mlp.c_fc", pre); TRY(mlc_linear_load(&l->ff1, st, name, a), name);
        snprintf(name, sizeof name, "%s.mlp.c_proj", pre); TRY(mlc_linear_load(&l->ff2, st, name, a), name);
        l->norm_first = 1; l->act = MLC_ACT_GELU;
        TRY(mlc_transformer_layer_check(l), pre);
    }
    m->layers = i;
    if (!m->layers) { fprintf(stderr, "error: no transformer.h.0 in the file\n"); return MLC_ERR_NOT_FOUND; }
    TRY(mlc_norm_load(&m->ln_f, st, "transformer.ln_f", MLC_NORM_LAYER, 1e-5f, a), "transformer.ln_f");
    if (mlc_st_find(st, "lm_head.weight")) TRY(mlc_linear_load(&m->head, st, "lm_head", a), "lm_head");
    else TRY(mlc_linear_init(&m->head, m->wte.table, NULL, D, m->vocab, a), "lm_head (tied)");
    if (m->head.in_features != D || m->head.out_features != m->vocab) { fprintf(stderr, "error: lm_head shape\n"); return MLC_ERR_SHAPE; }
    return MLC_OK;
}
#undef TRY

/* ---- forward -------------------------------------------------------------------- */
/* x [T, dim] = wte[ids] + wpe[pos ...] */
static mlc_result embed(const gpt *m, float *x, const int32_t *ids, int T, int pos) {
    mlc_tensor t = mlc_tensor_2d(x, T, m->dim);
    mlc_result r = mlc_embedding_lookup(&m->wte, x, ids, (size_t)T);
    return r == MLC_OK ? mlc_embedding_add_positions(&m->wpe, &t, pos) : r;
}

/* logits [rows, vocab] of the last 'rows' rows of x [T, dim] */
static mlc_result head(const gpt *m, float *x, int T, int rows, float *logits) {
    float *last = x + (size_t)(T - rows) * m->dim;
    mlc_result r = mlc_layernorm_f32(last, last, (size_t)rows, (size_t)m->dim, m->ln_f.weight, m->ln_f.bias, m->ln_f.eps);
    return r == MLC_OK ? mlc_gemm_packed_f32(NULL, rows, m->vocab, m->dim, last, m->dim, m->head.packed_w, m->head.bias,
                                             logits, m->vocab, MLC_ACT_NONE, 0.0f) : r;
}

/* T new tokens at the cache's position: logits of the last one. */
static mlc_result step(const gpt *m, mlc_kv_cache *c, const int32_t *ids, int T, float *x, float *logits, mlc_arena *sc) {
    mlc_tensor t = mlc_tensor_2d(x, T, m->dim);
    mlc_result r = embed(m, x, ids, T, c->len);
    int i;
    for (i = 0; i < m->layers && r == MLC_OK; i++) r = mlc_transformer_layer_forward_cached(&m->layer[i], NULL, &t, &t, c, i, sc);
    if (r == MLC_OK) r = mlc_kv_cache_advance(c, T);
    return r == MLC_OK ? head(m, x, T, 1, logits) : r;
}

/* The whole sequence at once, causal mask, no cache: logits of every position. */
static mlc_result full(const gpt *m, const int32_t *ids, int T, float *x, float *logits, mlc_arena *sc) {
    mlc_tensor t = mlc_tensor_2d(x, T, m->dim);
    mlc_attn_mask mk;
    mlc_result r = embed(m, x, ids, T, 0);
    int i;
    memset(&mk, 0, sizeof mk);
    mk.causal = 1;
    for (i = 0; i < m->layers && r == MLC_OK; i++) r = mlc_transformer_layer_forward(&m->layer[i], NULL, &t, &t, &mk, sc);
    return r == MLC_OK ? head(m, x, T, T, logits) : r;
}

static int sample(const float *logits, int n, float temperature) {
    int i, best = 0;
    double s = 0, u, acc = 0, mx;
    for (i = 1; i < n; i++) if (logits[i] > logits[best]) best = i;
    if (temperature <= 0.0f) return best;
    mx = logits[best];
    for (i = 0; i < n; i++) s += exp((logits[i] - mx) / temperature);
    u = urand() * s;
    for (i = 0; i < n; i++) { acc += exp((logits[i] - mx) / temperature); if (acc >= u) return i; }
    return best;
}

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec; }

int main(int argc, char **argv) {
    const char *weights = NULL, *prompt = "The quick brown fox";
    int heads = 0, n_new = 100, i, T, P, status = 0;
    unsigned seed = 1;
    float temperature = 0.8f;
    size_t arena_size = (size_t)64 << 20;
    unsigned char *mem, *smem;
    mlc_arena arena, sc;
    void *file = NULL; size_t size;
    mlc_safetensors st;
    gpt m;
    mlc_kv_cache cache;
    int32_t *ids;
    float *x, *logits, *steps, *all;
    double t0, t_prefill, t_decode;
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--weights") && i + 1 < argc) weights = argv[++i];
        else if (!strcmp(argv[i], "--heads") && i + 1 < argc) heads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--prompt") && i + 1 < argc) prompt = argv[++i];
        else if (!strcmp(argv[i], "--tokens") && i + 1 < argc) n_new = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--temperature") && i + 1 < argc) temperature = (float)atof(argv[++i]);
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc) seed = (unsigned)strtoul(argv[++i], NULL, 10);
        else { fprintf(stderr, "usage: %s [--weights FILE --heads N] [--prompt TEXT] [--tokens N] [--temperature T] [--seed S]\n", argv[0]); return 2; }
    }
    memset(&m, 0, sizeof m);
    P = (int)strlen(prompt);
    if (P < 1 || n_new < 1) { fprintf(stderr, "error: empty prompt or --tokens < 1\n"); return 2; }
    if (weights) {
        size_t numel = 0;
        unsigned char *pm = (unsigned char *)malloc(1 << 20);
        mlc_arena pa;
        if (!pm || mlc_file_load(weights, &file, &size) != MLC_OK) { fprintf(stderr, "error: cannot read %s\n", weights); return 1; }
        mlc_arena_init(&pa, pm, 1 << 20);
        if ((status = mlc_st_parse(&st, file, size, &pa)) != MLC_OK) { fprintf(stderr, "error: %s: %s\n", weights, mlc_result_string((mlc_result)status)); return 1; }
        {   /* weights widened to float32 (plus panel padding), and the cache:
                   2 * layers * positions * width floats */
            const mlc_st_tensor *wpe = mlc_st_find(&st, "transformer.wpe.weight");
            size_t layers = 0;
            for (i = 0; i < st.count; i++) {
                size_t n = strlen(st.tensors[i].name);
                numel += st.tensors[i].numel;
                if (n > 12 && !strcmp(st.tensors[i].name + n - 12, ".ln_1.weight")) layers++;
            }
            arena_size = numel * sizeof(float) * 5 / 4 + ((size_t)16 << 20) +
                         (wpe ? 2 * layers * wpe->numel * sizeof(float) * 5 / 4 : 0);
        }
        mem = (unsigned char *)malloc(arena_size);
        if (!mem) return 1;
        mlc_arena_init(&arena, mem, arena_size);
        if (load_nanogpt(&m, &st, heads, &arena) != MLC_OK) return 1;
        printf("%s: nanoGPT, %d layers, width %d, %d heads, %d positions, vocab %d\n", weights, m.layers, m.dim, m.heads, m.ctx, m.vocab);
    } else {
        mem = (unsigned char *)malloc(arena_size);
        if (!mem) return 1;
        mlc_arena_init(&arena, mem, arena_size);
        if (builtin(&m, &arena) != MLC_OK) { fprintf(stderr, "error: cannot build the built-in model\n"); return 1; }
        printf("built-in model (seeded random weights: the text is noise): %d layers, width %d, %d heads, %d positions, byte tokens\n",
               m.layers, m.dim, m.heads, m.ctx);
    }
    rng_state = seed;
    T = P + n_new;
    if (T > m.ctx) { n_new = m.ctx - P; T = m.ctx; if (n_new < 1) { fprintf(stderr, "error: the prompt fills the context\n"); return 2; } }
    if (mlc_kv_cache_init(&cache, m.layers, m.ctx, m.heads, m.dim / m.heads, &arena) != MLC_OK) { fprintf(stderr, "error: arena too small for the cache\n"); return 1; }
    {
        size_t s1 = mlc_transformer_layer_cached_scratch_bytes(&m.layer[0], P, m.ctx, NULL);
        size_t s2 = mlc_transformer_layer_scratch_bytes(&m.layer[0], 1, T, NULL);
        size_t s = (s1 > s2 ? s1 : s2) + 64;
        smem = (unsigned char *)malloc(s);
        if (!smem) return 1;
        mlc_arena_init(&sc, smem, s);
    }
    ids = (int32_t *)malloc((size_t)T * sizeof(int32_t));
    x = (float *)malloc((size_t)T * m.dim * sizeof(float));
    logits = (float *)malloc((size_t)m.vocab * sizeof(float));
    steps = (float *)malloc((size_t)T * m.vocab * sizeof(float));   /* logits of each step */
    all = (float *)malloc((size_t)T * m.vocab * sizeof(float));
    if (!ids || !x || !logits || !steps || !all) return 1;
    for (i = 0; i < P; i++) ids[i] = (int32_t)(unsigned char)prompt[i] % m.vocab;

    /* prefill the prompt in one step, then one token per step */
    t0 = now();
    if (step(&m, &cache, ids, P, x, steps + (size_t)(P - 1) * m.vocab, &sc) != MLC_OK) { fprintf(stderr, "error: prefill\n"); return 1; }
    t_prefill = now() - t0;
    printf("%s", prompt);
    t0 = now();
    for (i = P; i < T; i++) {
        ids[i] = sample(steps + (size_t)(i - 1) * m.vocab, m.vocab, temperature);
        putchar(ids[i] >= 32 && ids[i] < 127 ? ids[i] : '.');
        if (i + 1 < T && step(&m, &cache, ids + i, 1, x, steps + (size_t)i * m.vocab, &sc) != MLC_OK) { fprintf(stderr, "\nerror: step\n"); return 1; }
    }
    t_decode = now() - t0;
    printf("\n\nprefill: %d tokens in %.3f ms; decode: %d tokens, %.3f ms/token (KV cache, one thread)\n",
           P, t_prefill * 1e3, T - P - 1, (T - P - 1) > 0 ? t_decode * 1e3 / (T - P - 1) : 0.0);

    /* check: the same sequence in one causal forward, no cache */
    t0 = now();
    if (full(&m, ids, T - 1, x, all, &sc) != MLC_OK) { fprintf(stderr, "error: full forward\n"); return 1; }
    {
        double d = 0, s = 0;
        size_t k, from = (size_t)(P - 1) * m.vocab, to = (size_t)(T - 1) * m.vocab;
        for (k = from; k < to; k++) {
            if (fabs((double)steps[k] - all[k]) > d) d = fabs((double)steps[k] - all[k]);
            if (fabs((double)all[k]) > s) s = fabs((double)all[k]);
        }
        printf("full causal forward of the %d tokens without the cache: %.3f ms; logits of every step vs it: "
               "max diff %.3g = %.3g of the scale %.3g (limit 1e-4): %s\n", T - 1, (now() - t0) * 1e3, d, d / s, s,
               d <= 1e-4 * s ? "ok" : "FAIL");
        if (!(d <= 1e-4 * s)) status = 1;
    }
    printf("arena: %zu bytes (weights and the cache: %zu), scratch peak %zu bytes\n", mlc_arena_peak(&arena),
           mlc_kv_cache_bytes(m.layers, m.ctx, m.heads, m.dim / m.heads), mlc_arena_peak(&sc));
    free(ids); free(x); free(logits); free(steps); free(all); free(smem); free(mem);
    if (file) mlc_file_free(file);
    return status;
}
