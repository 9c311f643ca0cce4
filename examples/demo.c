/* demo.c - a PyTorch model running on mlcore.h, start to finish.

   The model is a small MLP (fc1 2->64, GELU, fc2 64->64, GELU, fc3 64->3)
   that tools/train_demo.py trained to sort points of the plane into the three
   arms of a spiral. Its state_dict was saved as safetensors, together with an
   evaluation set and PyTorch's own logits for it, and tools/st2c turned the
   file into the C array in demo_model.h.

       ./demo                   run the model compiled into the program: the
                                firmware path, a C array parsed in place
       ./demo model.safetensors load that file instead (same tensor names)

   Build: gcc -std=c99 -O2 -march=native -Iexamples -o demo examples/demo.c -lm
   or just `make demo`. The program exits with 1 if mlcore's logits differ
   from PyTorch's by more than 1e-4 of their scale, or if any call fails. */
#define _POSIX_C_SOURCE 199309L   /* clock_gettime, for the timing */
#define MLCORE_IMPLEMENTATION     /* this file also compiles the library */
#include "../mlcore.h"
#include "demo_model.h"           /* demo_model[], demo_model_size */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define BATCH 4096                /* rows of the timed forward pass */
#define RUNS 21                   /* timed runs; the median is reported */
#define MAP_W 60                  /* decision map, in characters */
#define MAP_H 24
#define MAP_R 1.1f                /* the map shows [-MAP_R, MAP_R]^2 */
static const char class_symbol[] = ".o#x+*%@";

/* All the memory mlcore uses: the parsed tensor table, packed weights and
   activation buffers all come from this one arena. */
static unsigned char arena_mem[4 << 20];

/* Every mlcore call is checked: on failure, say which and why, and exit 1. */
static int fail(const char *what, mlc_result r) {
    fprintf(stderr, "error: %s: %s\n", what, mlc_result_string(r));
    return 1;
}
#define CHECK(call) do { mlc_result r_ = (call); if (r_ != MLC_OK) return fail(#call, r_); } while (0)

typedef struct mlp { mlc_linear fc1, fc2, fc3; } mlp;

/* The model's forward pass, as PyTorch's forward() writes it:
   logits = fc3(gelu(fc2(gelu(fc1(x))))) for n rows. GELU is fused into the
   GEMM of the layer before it. h1, h2 are scratch of n rows each. */
static mlc_result mlp_forward(const mlp *m, int n, const float *x, float *h1, float *h2, float *logits) {
    mlc_tensor tx = mlc_tensor_2d((float *)x, n, m->fc1.in_features);
    mlc_tensor t1 = mlc_tensor_2d(h1, n, m->fc1.out_features);
    mlc_tensor t2 = mlc_tensor_2d(h2, n, m->fc2.out_features);
    mlc_tensor ty = mlc_tensor_2d(logits, n, m->fc3.out_features);
    mlc_result r = mlc_linear_forward(&m->fc1, NULL, &t1, &tx, MLC_ACT_GELU, 0.0f);
    if (r == MLC_OK) r = mlc_linear_forward(&m->fc2, NULL, &t2, &t1, MLC_ACT_GELU, 0.0f);
    if (r == MLC_OK) r = mlc_linear_forward(&m->fc3, NULL, &ty, &t2, MLC_ACT_NONE, 0.0f);
    return r;
}

static int argmax(const float *v, int n) {
    int i, best = 0;
    for (i = 1; i < n; i++) if (v[i] > v[best]) best = i;
    return best;
}

static double now_ms(void) {
#ifdef CLOCK_MONOTONIC
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
#else
    return 1e3 * (double)clock() / CLOCKS_PER_SEC;
#endif
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    mlc_arena arena;
    mlc_safetensors st;
    mlp m;
    void *file = NULL;
    const unsigned char *bytes = demo_model;
    size_t size = demo_model_size, model_bytes;
    const mlc_st_tensor *ex;
    float *x, *h1, *h2, *y, *labels, *torch_logits;
    int n, in, hid, classes, i, j, correct = 0, torch_correct = 0;
    double max_diff = 0.0, scale = 0.0, times[RUNS], flops;
    char row[MAP_W + 1];

    /* 1. The model file: the compiled-in array, or a file named on the command line. */
    if (argc > 1) {
        mlc_result r = mlc_file_load(argv[1], &file, &size);
        if (r != MLC_OK) return fail(argv[1], r);
        bytes = (const unsigned char *)file;
    }
    printf("model: %s (%lu bytes)\n", argc > 1 ? argv[1] : "compiled-in demo_model[] from demo_model.h",
           (unsigned long)size);

    /* 2. Parse it (no copy: st points into bytes) and pack the three layers. */
    mlc_arena_init(&arena, arena_mem, sizeof arena_mem);
    CHECK(mlc_st_parse(&st, bytes, size, &arena));
    CHECK(mlc_linear_load(&m.fc1, &st, "fc1", &arena));
    CHECK(mlc_linear_load(&m.fc2, &st, "fc2", &arena));
    CHECK(mlc_linear_load(&m.fc3, &st, "fc3", &arena));
    model_bytes = mlc_arena_peak(&arena);
    in = m.fc1.in_features; hid = m.fc1.out_features; classes = m.fc3.out_features;
    printf("layers: fc1 %d->%d GELU, fc2 %d->%d GELU, fc3 %d->%d, softmax (%d tensors in the file)\n",
           in, hid, m.fc2.in_features, m.fc2.out_features, m.fc3.in_features, classes, st.count);
    if (in != 2) { fprintf(stderr, "error: fc1 takes %d inputs; this demo draws a 2-D plane\n", in); return 1; }

    /* 3. Activation buffers for BATCH rows, from the arena. */
    x  = (float *)mlc_arena_alloc(&arena, (size_t)BATCH * 2 * sizeof(float), 64);
    h1 = (float *)mlc_arena_alloc(&arena, (size_t)BATCH * hid * sizeof(float), 64);
    h2 = (float *)mlc_arena_alloc(&arena, (size_t)BATCH * m.fc2.out_features * sizeof(float), 64);
    y  = (float *)mlc_arena_alloc(&arena, (size_t)BATCH * classes * sizeof(float), 64);
    if (!x || !h1 || !h2 || !y) return fail("activation buffers", MLC_ERR_NOMEM);

    /* 4. The evaluation set: points, labels, and the logits PyTorch computed. */
    if (!(ex = mlc_st_find(&st, "eval.x"))) return fail("eval.x", MLC_ERR_NOT_FOUND);
    n = ex->shape[0];
    if (ex->rank != 2 || n < 1 || n > BATCH) return fail("eval.x", MLC_ERR_SHAPE);
    labels = (float *)mlc_arena_alloc(&arena, (size_t)n * sizeof(float), 64);
    torch_logits = (float *)mlc_arena_alloc(&arena, (size_t)n * classes * sizeof(float), 64);
    if (!labels || !torch_logits) return fail("evaluation buffers", MLC_ERR_NOMEM);
    {
        int shape_x[2], shape_l[2];
        shape_x[0] = n; shape_x[1] = 2;
        shape_l[0] = n; shape_l[1] = classes;
        CHECK(mlc_st_read_f32(&st, "eval.x", 2, shape_x, x, (size_t)n * 2));
        CHECK(mlc_st_read_f32(&st, "eval.label", 1, &n, labels, (size_t)n));
        CHECK(mlc_st_read_f32(&st, "eval.logits", 2, shape_l, torch_logits, (size_t)n * classes));
    }

    /* 5. Run it and compare with PyTorch: logits first, then softmax. */
    CHECK(mlp_forward(&m, n, x, h1, h2, y));
    for (i = 0; i < n * classes; i++) {
        double d = fabs((double)y[i] - torch_logits[i]), s = fabs((double)torch_logits[i]);
        if (d > max_diff) max_diff = d;
        if (s > scale) scale = s;
    }
    {
        mlc_tensor probs = mlc_tensor_2d(y, n, classes);
        CHECK(mlc_softmax(&probs, &probs, -1));
    }
    for (i = 0; i < n; i++) {
        correct += argmax(y + (size_t)i * classes, classes) == (int)labels[i];
        torch_correct += argmax(torch_logits + (size_t)i * classes, classes) == (int)labels[i];
    }
    printf("\nevaluation set, %d points:\n", n);
    printf("  accuracy   mlcore %.2f%%, PyTorch %.2f%%\n", 100.0 * correct / n, 100.0 * torch_correct / n);
    for (i = 0; i < 3 && i < n; i++) {
        printf("  point (%6.3f, %6.3f)  label %d  softmax [", x[2 * i], x[2 * i + 1], (int)labels[i]);
        for (j = 0; j < classes; j++) printf("%s%.4f", j ? " " : "", y[(size_t)i * classes + j]);
        printf("]\n");
    }
    if (scale < 1.0) scale = 1.0;
    printf("  max |logit - PyTorch's| = %.3g, %.3g of the logits' scale %.3g (limit 1e-4): %s\n",
           max_diff, max_diff / scale, scale, max_diff <= 1e-4 * scale ? "ok" : "FAILED");
    if (max_diff > 1e-4 * scale) return 1;

    /* 6. The decision map: one forward pass over a grid of the plane. */
    for (i = 0; i < MAP_H; i++)
        for (j = 0; j < MAP_W; j++) {
            x[2 * (i * MAP_W + j)]     = -MAP_R + 2.0f * MAP_R * ((float)j + 0.5f) / MAP_W;
            x[2 * (i * MAP_W + j) + 1] =  MAP_R - 2.0f * MAP_R * ((float)i + 0.5f) / MAP_H;
        }
    CHECK(mlp_forward(&m, MAP_W * MAP_H, x, h1, h2, y));
    printf("\ndecision map of [-%.1f, %.1f]^2:", MAP_R, MAP_R);
    for (j = 0; j < classes; j++) printf(" '%c' class %d", class_symbol[j % 8], j);
    printf("\n+");
    for (j = 0; j < MAP_W; j++) putchar('-');
    printf("+\n");
    for (i = 0; i < MAP_H; i++) {
        for (j = 0; j < MAP_W; j++) row[j] = class_symbol[argmax(y + (size_t)(i * MAP_W + j) * classes, classes) % 8];
        row[MAP_W] = '\0';
        printf("|%s|\n", row);
    }
    putchar('+');
    for (j = 0; j < MAP_W; j++) putchar('-');
    printf("+\n");

    /* 7. Speed: a BATCH-row forward pass, median of RUNS runs after a warm-up. */
    for (i = 0; i < BATCH; i++) {
        x[2 * i]     = -1.0f + 2.0f * (float)(i % 64) / 63.0f;
        x[2 * i + 1] = -1.0f + 2.0f * (float)(i / 64 % 64) / 63.0f;
    }
    CHECK(mlp_forward(&m, BATCH, x, h1, h2, y));
    for (i = 0; i < RUNS; i++) {
        double t0 = now_ms();
        CHECK(mlp_forward(&m, BATCH, x, h1, h2, y));
        times[i] = now_ms() - t0;
    }
    qsort(times, RUNS, sizeof times[0], cmp_double);
    flops = 2.0 * BATCH * ((double)in * hid + (double)m.fc2.in_features * m.fc2.out_features +
                           (double)m.fc3.in_features * classes);
    printf("\nforward pass of %d points: %.3f ms (median of %d), %.2f GFLOP/s, %.0f ns per point\n",
           BATCH, times[RUNS / 2], RUNS, flops / (times[RUNS / 2] * 1e6), times[RUNS / 2] * 1e6 / BATCH);

    /* 8. Memory: everything came from the arena. */
    printf("arena: %lu bytes for the model (tensor table and packed weights), %lu bytes peak "
           "with the %d-row buffers\n", (unsigned long)model_bytes, (unsigned long)mlc_arena_peak(&arena), BATCH);
    mlc_file_free(file);
    return 0;
}
