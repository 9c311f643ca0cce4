/* stream_rnn.c - a character-level GRU language model, one token at a time.

   The way a game loop, a chat box or a sensor interrupt uses a recurrent
   model: the state lives in the caller's memory, and each new token advances
   it by one step with mlc_rnn_step, no allocation, no re-reading of the
   past. The model (tools/train_charlm.py) is

       embed = nn.Embedding(V, 32); gru = nn.GRU(32, 128, num_layers=2);
       head  = nn.Linear(128, V)

   trained on this repository's documentation, so it writes mlcore-flavoured
   English. Its state_dict, its vocabulary and PyTorch's logits for 200
   held-out characters are in examples/charlm_gru.safetensors.

       ./stream_rnn                         built-in defaults: the model file
                                            above, prompt "mlcore ", 400
                                            characters at temperature 0.7
       ./stream_rnn MODEL [PROMPT [N [TEMPERATURE [SEED]]]]

   It first feeds PyTorch's 200 held-out characters through the step API and
   checks its logits against PyTorch's (exit 1 if they differ by more than
   1e-4 of their scale), then primes the state with the prompt and samples
   N characters, each fed back as the next input, printing them as they come.

   Build (from the repository root):
       gcc -std=c99 -O2 -march=native -o stream_rnn examples/stream_rnn.c -lm */
#define _POSIX_C_SOURCE 199309L   /* clock_gettime */
#define MLCORE_IMPLEMENTATION
#include "../mlcore.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEFAULT_MODEL "examples/charlm_gru.safetensors"
#define MAX_VOCAB 256

static unsigned char arena_mem[2 << 20];   /* packed weights + the tensor table */
static unsigned char scratch_mem[64 << 10];

static int fail(const char *what, mlc_result r) {
    fprintf(stderr, "error: %s: %s\n", what, mlc_result_string(r));
    return 1;
}
#define CHECK(call) do { mlc_result r_ = (call); if (r_ != MLC_OK) return fail(#call, r_); } while (0)

typedef struct charlm {
    int vocab, emb, hidden, layers;
    float *embed;            /* [V, E], copied out of the file */
    mlc_rnn gru;
    mlc_linear head;
    int byte_of[MAX_VOCAB];  /* token -> byte */
    int token_of[256];       /* byte -> token, -1 if not in the vocabulary */
} charlm;

/* The caller-held state of one stream: h [layers, hidden]. A GRU has no c. */
typedef struct stream {
    float *h;
    float x[64], y[256], logits[MAX_VOCAB];
} stream;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static mlc_result read_i32(const mlc_safetensors *st, const char *name, int *dst, int n) {
    const mlc_st_tensor *t = mlc_st_find(st, name);
    int i;
    if (!t) return MLC_ERR_NOT_FOUND;
    if (t->dtype != MLC_I32 || t->rank != 1 || t->shape[0] != n) return MLC_ERR_SHAPE;
    for (i = 0; i < n; i++) {
        const unsigned char *p = t->data + 4 * i;
        dst[i] = (int)((uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24));
    }
    return MLC_OK;
}

static int load(charlm *m, const mlc_safetensors *st, mlc_arena *arena) {
    const mlc_st_tensor *e = mlc_st_find(st, "embed.weight"), *w = mlc_st_find(st, "gru.weight_hh_l0");
    mlc_rnn_params p;
    mlc_result r;
    char name[64];
    int i;
    if (!e || !w || e->rank != 2 || w->rank != 2) return fail("embed.weight / gru.weight_hh_l0", MLC_ERR_NOT_FOUND);
    m->vocab = e->shape[0]; m->emb = e->shape[1]; m->hidden = w->shape[1];
    for (m->layers = 0; m->layers < 16; m->layers++) {   /* how many layers the file has */
        sprintf(name, "gru.weight_ih_l%d", m->layers);
        if (!mlc_st_find(st, name)) break;
    }
    if (m->vocab > MAX_VOCAB || m->emb > 64 || m->hidden > 256) return fail("model too big for this example", MLC_ERR_UNSUPPORTED);
    m->embed = (float *)mlc_arena_alloc(arena, (size_t)m->vocab * m->emb * sizeof(float), 64);
    if (!m->embed) return fail("embed", MLC_ERR_NOMEM);
    CHECK(mlc_st_read_f32(st, "embed.weight", 2, e->shape, m->embed, (size_t)m->vocab * m->emb));
    p = mlc_rnn_params_make(MLC_RNN_GRU, m->emb, m->hidden, m->layers, 0);
    r = mlc_rnn_load(&m->gru, st, "gru", &p, arena);
    if (r != MLC_OK) { fprintf(stderr, "error: tensor %s\n", m->gru.bad_name); return fail("mlc_rnn_load", r); }
    CHECK(mlc_linear_load(&m->head, st, "head", arena));
    if (m->head.in_features != m->hidden || m->head.out_features != m->vocab) return fail("head", MLC_ERR_SHAPE);
    CHECK(read_i32(st, "vocab", m->byte_of, m->vocab));
    for (i = 0; i < 256; i++) m->token_of[i] = -1;
    for (i = 0; i < m->vocab; i++) if (m->byte_of[i] >= 0 && m->byte_of[i] < 256) m->token_of[m->byte_of[i]] = i;
    return 0;
}

/* Feeds one token: embedding row -> all GRU layers (state updated in place)
   -> logits. No allocation; the scratch arena is released by each call. */
static mlc_result step(const charlm *m, stream *s, int token, mlc_arena *scratch) {
    mlc_tensor tx = mlc_tensor_1d(s->x, m->emb), ty = mlc_tensor_1d(s->y, m->hidden);
    mlc_tensor th = mlc_tensor_2d(s->h, m->layers, m->hidden), tl = mlc_tensor_1d(s->logits, m->vocab);
    mlc_result r;
    memcpy(s->x, m->embed + (size_t)token * m->emb, (size_t)m->emb * sizeof(float));
    if ((r = mlc_rnn_step(&m->gru, NULL, &ty, &tx, &th, NULL, scratch)) != MLC_OK) return r;
    return mlc_linear_forward(&m->head, NULL, &tl, &ty, MLC_ACT_NONE, 0.0f);
}

/* Samples from softmax(logits / temperature) (argmax at temperature 0). */
static int sample(float *logits, int n, float temperature, uint32_t *rng) {
    int i, best = 0;
    float u, acc = 0.0f;
    for (i = 1; i < n; i++) if (logits[i] > logits[best]) best = i;
    if (temperature <= 0.0f) return best;
    for (i = 0; i < n; i++) logits[i] /= temperature;
    mlc_softmax_f32(logits, logits, 1, (size_t)n, 1);
    *rng ^= *rng << 13; *rng ^= *rng >> 17; *rng ^= *rng << 5;
    u = (float)(*rng >> 8) * (1.0f / 16777216.0f);
    for (i = 0; i < n; i++) { acc += logits[i]; if (u < acc) return i; }
    return best;
}

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : DEFAULT_MODEL;
    const char *prompt = argc > 2 ? argv[2] : "mlcore ";
    int n_gen = argc > 3 ? atoi(argv[3]) : 400;
    float temperature = argc > 4 ? (float)atof(argv[4]) : 0.7f;
    uint32_t rng = argc > 5 ? (uint32_t)strtoul(argv[5], NULL, 10) | 1u : 2463534242u;
    void *file;
    size_t size, i;
    mlc_safetensors st;
    mlc_arena arena, scratch;
    charlm m;
    stream s;
    mlc_result r;
    float h[16 * 256];
    int tok, n_eval, k;
    double t0, t_steps = 0.0;
    long steps = 0;

    mlc_arena_init(&arena, arena_mem, sizeof arena_mem);
    r = mlc_file_load(path, &file, &size);
    if (r != MLC_OK) {
        fprintf(stderr, "error: cannot read %s (%s); run from the repository root or give the model's path\n",
                path, mlc_result_string(r));
        return 1;
    }
    CHECK(mlc_st_parse(&st, file, size, &arena));
    memset(&m, 0, sizeof m);
    if (load(&m, &st, &arena)) return 1;
    mlc_arena_init(&scratch, scratch_mem, sizeof scratch_mem);
    if (mlc_rnn_step_scratch_bytes(&m.gru, 1) > sizeof scratch_mem) return fail("scratch", MLC_ERR_NOMEM);
    printf("model %s: vocab %d, embedding %d, GRU %d x %d, %lu bytes of arena\n", path, m.vocab, m.emb,
           m.layers, m.hidden, (unsigned long)mlc_arena_peak(&arena));

    s.h = h;
    {   /* 1. PyTorch's held-out logits, token by token from a zero state */
        const mlc_st_tensor *et = mlc_st_find(&st, "eval.tokens");
        int *toks;
        float *want;
        double maxdiff = 0.0, scale = 1e-30;
        if (et && et->rank == 1) {
            n_eval = et->shape[0];
            toks = (int *)malloc((size_t)n_eval * sizeof(int));
            want = (float *)malloc((size_t)n_eval * m.vocab * sizeof(float));
            if (!toks || !want) return fail("malloc", MLC_ERR_NOMEM);
            CHECK(read_i32(&st, "eval.tokens", toks, n_eval));
            CHECK(mlc_st_read_f32(&st, "eval.logits", -1, NULL, want, (size_t)n_eval * m.vocab));
            memset(h, 0, sizeof h);
            for (k = 0; k < n_eval; k++) {
                if (toks[k] < 0 || toks[k] >= m.vocab) return fail("eval.tokens", MLC_ERR_ARG);
                CHECK(step(&m, &s, toks[k], &scratch));
                for (i = 0; i < (size_t)m.vocab; i++) {
                    double d = fabs((double)s.logits[i] - (double)want[(size_t)k * m.vocab + i]);
                    if (!(d <= maxdiff)) maxdiff = d;
                    if (fabs((double)want[(size_t)k * m.vocab + i]) > scale) scale = fabs((double)want[(size_t)k * m.vocab + i]);
                }
            }
            printf("check: %d held-out characters, max |logit - PyTorch's| = %.2g (%.2g of their scale)\n",
                   n_eval, maxdiff, maxdiff / scale);
            free(toks); free(want);
            if (!(maxdiff / scale <= 1e-4)) { fprintf(stderr, "error: logits differ from PyTorch's\n"); return 1; }
        }
    }

    /* 2. prime with the prompt, then generate: each sample is the next input */
    memset(h, 0, sizeof h);
    printf("\n%s", prompt);
    tok = 0;
    for (k = 0; prompt[k]; k++) {
        tok = m.token_of[(unsigned char)prompt[k]];
        if (tok < 0) tok = m.token_of[' '] >= 0 ? m.token_of[' '] : 0;
        t0 = now_s();
        CHECK(step(&m, &s, tok, &scratch));
        t_steps += now_s() - t0; steps++;
    }
    for (k = 0; k < n_gen; k++) {
        tok = sample(s.logits, m.vocab, temperature, &rng);
        putchar(m.byte_of[tok]);
        fflush(stdout);
        t0 = now_s();
        CHECK(step(&m, &s, tok, &scratch));
        t_steps += now_s() - t0; steps++;
    }
    printf("\n\n%ld steps, %.1f us per character (GRU step + head), arena %lu bytes, scratch %lu bytes\n", steps,
           1e6 * t_steps / (double)(steps ? steps : 1), (unsigned long)mlc_arena_peak(&arena),
           (unsigned long)mlc_arena_peak(&scratch));
    mlc_file_free(file);
    return 0;
}
