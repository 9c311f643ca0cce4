/* mobilenet.c - MobileNetV2 and MobileNetV3-Small exactly as torchvision
   builds them, from a torchvision state_dict saved as safetensors.

     mobilenet [--arch v2|v3s] [--weights FILE.safetensors] [--image FILE.ppm]
               [--runs N] [--profile]

   With no arguments it runs MobileNetV2 on the test weights and test image
   kept in tests/golden (seeded random weights, see tools/export_mobilenet.py)
   and checks its logits against PyTorch's. Weights of a real model come from
     /usr/bin/python3 tools/export_mobilenet.py --arch mobilenet_v2 --pretrained --out mnv2.safetensors
   An image is a binary PPM (P6) or PGM (P5), or raw RGB/grey pixels from
   memory (preprocess()): resized so its shorter side is 256 (bilinear),
   centre-cropped to 224 and normalised with ImageNet's mean and std, as
   torchvision's classification preset does (torchvision also antialiases
   when it shrinks; this reader does not).

   Prints the top-5 classes, the median latency of --runs runs (one
   thread), the arena's peak bytes and, with --profile, where the time goes
   by layer type. The network itself is in mobilenet_net.h. */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <math.h>
#define MLCORE_IMPLEMENTATION
#include "../mlcore.h"
#include "mobilenet_net.h"

#include "image_input.h"   /* preprocess(), load_image() */

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec; }
static int cmpd(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return (x > y) - (x < y); }

int main(int argc, char **argv) {
    const char *arch = "v2", *weights = NULL, *image = NULL;
    static float input[224 * 224 * 3];
    float *logits, *probs;
    size_t arena_size = (size_t)64 << 20, weight_bytes;
    unsigned char *mem;
    mlc_arena arena;
    void *file; size_t size;
    mlc_safetensors st;
    mn_model m;
    mn_run run;
    mn_prof prof;
    mlc_tensor x, tl, tp;
    mlc_result r;
    int i, k, runs = 21, profile = 0, golden = 0, status = 0;
    double *times, total;
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--arch") && i + 1 < argc) arch = argv[++i];
        else if (!strcmp(argv[i], "--weights") && i + 1 < argc) weights = argv[++i];
        else if (!strcmp(argv[i], "--image") && i + 1 < argc) image = argv[++i];
        else if (!strcmp(argv[i], "--runs") && i + 1 < argc) runs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--profile")) profile = 1;
        else { fprintf(stderr, "usage: %s [--arch v2|v3s] [--weights FILE] [--image FILE.ppm] [--runs N] [--profile]\n", argv[0]); return 2; }
    }
    if ((strcmp(arch, "v2") && strcmp(arch, "v3s")) || runs < 1) { fprintf(stderr, "error: --arch is v2 or v3s, --runs >= 1\n"); return 2; }
    if (!weights) weights = !strcmp(arch, "v2") ? "tests/golden/mobilenet_v2.safetensors" : "tests/golden/mobilenet_v3_small.safetensors";
    mem = (unsigned char *)malloc(arena_size);
    times = (double *)malloc(sizeof(double) * (size_t)runs);
    if (!mem || !times) return 1;
    mlc_arena_init(&arena, mem, arena_size);
    if ((r = mlc_file_load(weights, &file, &size)) != MLC_OK) { fprintf(stderr, "error: %s: %s\n", weights, mlc_result_string(r)); return 1; }
    if ((r = mlc_st_parse(&st, file, size, &arena)) != MLC_OK) { fprintf(stderr, "error: %s: %s\n", weights, mlc_result_string(r)); return 1; }
    if (mn_load(&m, &st, !strcmp(arch, "v3s") ? MN_V3_SMALL : MN_V2, &arena) != MLC_OK) {
        fprintf(stderr, "error: %s: %s\n", weights, m.err); return 1;
    }
    weight_bytes = mlc_arena_mark(&arena);
    printf("%s: %s, %d tensors, %d classes, weights packed in %zu bytes of arena\n", weights,
           m.arch == MN_V3_SMALL ? "MobileNetV3-Small" : "MobileNetV2", st.count, m.classes, weight_bytes);
    if (mn_run_init(&run, &m, 1, 224, 224, &arena) != MLC_OK) { fprintf(stderr, "error: %s\n", m.err); return 1; }
    logits = (float *)malloc(sizeof(float) * (size_t)m.classes * 2);
    if (!logits) return 1;
    probs = logits + m.classes;
    if (image) {
        if (load_image(image, input)) return 1;
    } else {
        const mlc_st_tensor *t = mlc_st_find(&st, "golden.input");
        if (!t || t->numel < 224 * 224 * 3 || !mlc__is_float_dtype(t->dtype)) {
            fprintf(stderr, "error: no --image and no golden.input [N, 224, 224, 3] in %s\n", weights); return 2;
        }
        for (i = 0; i < 224 * 224 * 3; i++) input[i] = mlc__elem_f32(t->data, t->dtype, (size_t)i);
        golden = 1;
        printf("input: golden.input[0] from the weights file (no --image given)\n");
    }
    x = mlc_tensor_4d(input, 1, 224, 224, 3);
    tl = mlc_tensor_2d(logits, 1, m.classes);
    tp = mlc_tensor_2d(probs, 1, m.classes);
    if (mn_forward(&m, &run, NULL, &x, &tl) != MLC_OK) { fprintf(stderr, "error: %s\n", m.err); return 1; }   /* warm-up */
    memset(&prof, 0, sizeof prof);
    prof.clock = now;
    for (k = 0; k < runs; k++) {
        double t0 = now();
        if (profile) run.prof = &prof;
        if (mn_forward(&m, &run, NULL, &x, &tl) != MLC_OK) { fprintf(stderr, "error: %s\n", m.err); return 1; }
        times[k] = now() - t0;
    }
    qsort(times, (size_t)runs, sizeof times[0], cmpd);
    mlc_softmax(&tp, &tl, -1);
    printf("top-5:\n");
    for (k = 0; k < 5 && k < m.classes; k++) {
        int best = -1;
        for (i = 0; i < m.classes; i++)   /* printed entries are set to -1 */
            if (probs[i] >= 0 && (best < 0 || probs[i] > probs[best])) best = i;
        printf("  class %4d  p = %.4f  logit %.4f\n", best, probs[best], logits[best]);
        probs[best] = -1.0f;
    }
    printf("latency: %.3f ms median, %.3f ms min of %d runs (batch 1, one thread)\n",
           times[runs / 2] * 1e3, times[0] * 1e3, runs);
    printf("arena: %zu bytes peak = %zu packed weights + %zu activations (%zu region, %zu conv scratch)\n",
           mlc_arena_peak(&arena), weight_bytes, run.bytes, run.act_floats * sizeof(float), run.scratch.size);
    printf("activation region %.2f MB = %.2fx the largest input+output pair of one layer (%.2f MB)\n",
           run.act_floats * 4e-6, (double)run.act_floats / (double)run.max_pair_floats, run.max_pair_floats * 4e-6);
    if (profile) {
        total = 0;
        for (k = 0; k < MN_P_N; k++) total += prof.t[k];
        printf("time by layer type (sum over %d runs):\n", runs);
        for (k = 0; k < MN_P_N; k++)
            printf("  %-38s %7.3f ms/run %5.1f%%\n", mn_prof_names[k], prof.t[k] * 1e3 / runs, 100.0 * prof.t[k] / total);
        printf("slowest convolutions (input size, kernel, stride, channels):\n");
        for (k = 0; k < 12 && k < prof.n_layers; k++) {
            int best = 0;
            for (i = 1; i < prof.n_layers; i++) if (prof.layer[i] > prof.layer[best]) best = i;
            printf("  %-40s %7.3f ms/run\n", prof.what[best], prof.layer[best] * 1e3 / runs);
            prof.layer[best] = -1.0;
        }
    }
    if (golden) {
        const mlc_st_tensor *t = mlc_st_find(&st, "golden.logits");
        if (t && t->numel >= (size_t)m.classes && mlc__is_float_dtype(t->dtype)) {
            double d = 0, s = 0;
            for (i = 0; i < m.classes; i++) {
                double ref = mlc__elem_f32(t->data, t->dtype, (size_t)i);
                if (fabs((double)logits[i] - ref) > d) d = fabs((double)logits[i] - ref);
                if (fabs(ref) > s) s = fabs(ref);
            }
            printf("vs PyTorch: max |logit diff| = %.3g, %.3g of the logits' scale %.3g (limit 1e-4): %s\n",
                   d, d / s, s, d / s <= 1e-4 ? "ok" : "FAIL");
            if (!(d / s <= 1e-4)) status = 1;
        }
    }
    free(logits); free(times);
    mlc_file_free(file);
    free(mem);
    return status;
}
