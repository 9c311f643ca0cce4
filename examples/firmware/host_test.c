/* host_test.c - the firmware example's test on a host (it may print).

   Runs the keyword-spotting CNN of kws.c two ways and checks:
     1. from the compiled-in array (kws_model[] in model_data.c, the bytes
        the firmware has in flash) and from kws.safetensors read with
        mlc_file_load: every logit and probability equal bit for bit;
     2. against PyTorch: the logits stored in the file (ref.logits) within
        1e-4 of their scale (max |logit|, at least 1), the same class for
        each reference input, and the probabilities (ref.probs) within 1e-5;
     3. the arena: kws_init's exact need (from mlc_st_parse's use and the
        library's arena_bytes functions) is what it really used, and fits
        the compile-time bound KWS_ARENA_BYTES that main.c's static arena
        has; one byte less than the need fails with MLC_ERR_NOMEM and
        reports the need; an arena too small for the tensor table fails
        the same way; a truncated or corrupt model fails with an error;
     4. kws_run allocates nothing (the arena does not move across runs);
   then times one inference (median of 301 runs after a warm-up).

       host_test [path/to/kws.safetensors]   (default: next to this file,
                                              from the repository root)
   Ends with "N passed, N failed"; exits 1 if any check failed. */
#define _POSIX_C_SOURCE 199309L
#include "kws.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const unsigned char *kws_model_bytes(size_t *size);   /* model_data.c */

#define REFS 4
#define RUNS 301

static unsigned char arena_a[KWS_ARENA_BYTES], arena_b[KWS_ARENA_BYTES];
static unsigned char arena_big[KWS_ARENA_BYTES + 4096];
static int passed, failed;

static void check(int ok, const char *what) {
    if (ok) passed++; else failed++;
    printf("%s %s\n", ok ? "ok  " : "FAIL", what);
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
static int argmax(const float *v, int n) {
    int i, best = 0;
    for (i = 1; i < n; i++) if (v[i] > v[best]) best = i;
    return best;
}

static float ref_x[REFS * KWS_IN_H * KWS_IN_W], ref_logits[REFS * KWS_CLASSES], ref_probs[REFS * KWS_CLASSES];
static float out_logits[2][REFS * KWS_CLASSES], out_probs[2][REFS * KWS_CLASSES];

/* Runs every reference input through m into out_*[k]. */
static mlc_result run_refs(const kws_model *m, int k) {
    int i;
    mlc_result r = MLC_OK;
    for (i = 0; i < REFS && r == MLC_OK; i++)
        r = kws_run(m, ref_x + i * KWS_IN_H * KWS_IN_W, out_probs[k] + i * KWS_CLASSES, out_logits[k] + i * KWS_CLASSES);
    return r;
}

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "examples/firmware/kws.safetensors";
    size_t flash_size, file_size, need = 0, used;
    const unsigned char *flash = kws_model_bytes(&flash_size);
    void *file = NULL;
    mlc_arena aa, ab;
    static kws_model ma, mb, mt;
    mlc_result r;
    char line[160];
    int i, j;

    printf("mlcore firmware example, host test (%d-bit, %s-endian, SIMD %s)\n", (int)(sizeof(void *) * 8),
           *(const unsigned char *)&(const unsigned){1} ? "little" : "big",
#if defined(MLC_NO_SIMD)
           "off"
#else
           "as the compiler flags allow"
#endif
    );

    /* 1. The compiled-in array. */
    mlc_arena_init(&aa, arena_a, sizeof arena_a);
    r = kws_init(&ma, flash, flash_size, &aa, &need);
    sprintf(line, "kws_init from the compiled-in array (%lu bytes): %s", (unsigned long)flash_size, mlc_result_string(r));
    check(r == MLC_OK, line);
    if (r != MLC_OK) goto done;
    used = mlc_arena_peak(&aa);
    printf("     arena: tensor table %lu + layers and activations %lu = %lu bytes needed, %lu used, "
           "KWS_ARENA_BYTES %lu\n", (unsigned long)ma.st_bytes, (unsigned long)kws_layers_arena_bytes(),
           (unsigned long)ma.need, (unsigned long)used, (unsigned long)KWS_ARENA_BYTES);
    /* need is an upper bound: each of the 16 allocations after the parse is
       counted with 64 bytes of alignment padding, and the parser's scratch
       (16 bytes a tensor, released when it returns) is reused by the layers */
    check(need == ma.need && used <= ma.need && ma.need - used <= 16 * 64 + KWS_ST_TENSORS * 16 + 64,
          "the reported need covers what kws_init used, with no more slack than alignment and parser scratch");
    check(ma.need <= KWS_ARENA_BYTES, "the need fits the compile-time bound KWS_ARENA_BYTES");
    {
        int shape_x[4] = { REFS, KWS_IN_H, KWS_IN_W, 1 }, shape_l[2] = { REFS, KWS_CLASSES };
        r = mlc_st_read_f32(&ma.st, "ref.input", 4, shape_x, ref_x, sizeof ref_x / sizeof(float));
        if (r == MLC_OK) r = mlc_st_read_f32(&ma.st, "ref.logits", 2, shape_l, ref_logits, sizeof ref_logits / sizeof(float));
        if (r == MLC_OK) r = mlc_st_read_f32(&ma.st, "ref.probs", 2, shape_l, ref_probs, sizeof ref_probs / sizeof(float));
        check(r == MLC_OK, "reference data (ref.input, ref.logits, ref.probs) read");
        if (r != MLC_OK) goto done;
    }
    {
        size_t before = mlc_arena_mark(&aa);
        r = run_refs(&ma, 0);
        check(r == MLC_OK && mlc_arena_mark(&aa) == before && mlc_arena_peak(&aa) == used,
              "kws_run on the 4 references, nothing taken from the arena");
    }

    /* 2. The same model from the .safetensors file. */
    r = mlc_file_load(path, &file, &file_size);
    sprintf(line, "mlc_file_load %.100s: %s", path, mlc_result_string(r));
    check(r == MLC_OK, line);
    if (r != MLC_OK) goto done;
    check(file_size == flash_size && memcmp(file, flash, flash_size) == 0,
          "the file holds the same bytes as the array (st2c round trip)");
    mlc_arena_init(&ab, arena_b, sizeof arena_b);
    r = kws_init(&mb, file, file_size, &ab, NULL);
    check(r == MLC_OK, "kws_init from the file");
    if (r == MLC_OK) r = run_refs(&mb, 1);
    check(r == MLC_OK && memcmp(out_logits[0], out_logits[1], sizeof out_logits[0]) == 0 &&
          memcmp(out_probs[0], out_probs[1], sizeof out_probs[0]) == 0,
          "array and file give bit-identical logits and probabilities");

    /* 3. PyTorch parity. */
    {
        double max_d = 0.0, scale = 1.0, max_p = 0.0;
        int same_class = 1;
        for (i = 0; i < REFS; i++) {
            for (j = 0; j < KWS_CLASSES; j++) {
                int k = i * KWS_CLASSES + j;
                double d = fabs((double)out_logits[0][k] - ref_logits[k]), p = fabs((double)out_probs[0][k] - ref_probs[k]);
                if (d > max_d || d != d) max_d = d;
                if (p > max_p || p != p) max_p = p;
                if (fabs(ref_logits[k]) > scale) scale = fabs(ref_logits[k]);
            }
            same_class &= argmax(out_probs[0] + i * KWS_CLASSES, KWS_CLASSES) == argmax(ref_logits + i * KWS_CLASSES, KWS_CLASSES);
        }
        sprintf(line, "logits vs PyTorch: max |diff| %.3g, scale %.3g, limit 1e-4 x scale", max_d, scale);
        check(max_d <= 1e-4 * scale, line);
        sprintf(line, "probabilities vs PyTorch: max |diff| %.3g, limit 1e-5", max_p);
        check(max_p <= 1e-5, line);
        check(same_class, "the same class as PyTorch for every reference input");
    }

    /* 4. Arena sizing and bad input. */
    {
        mlc_arena t;
        size_t n2 = 0;
        mlc_arena_init(&t, arena_big, ma.need - 1);
        r = kws_init(&mt, flash, flash_size, &t, &n2);
        check(r == MLC_ERR_NOMEM && n2 == ma.need && t.used == 0, "an arena 1 byte short: MLC_ERR_NOMEM, need reported, arena left as it was");
        mlc_arena_init(&t, arena_big, ma.need);
        r = kws_init(&mt, flash, flash_size, &t, NULL);
        check(r == MLC_OK, "an arena of exactly the reported need: ok");
        mlc_arena_init(&t, arena_big, 256);
        r = kws_init(&mt, flash, flash_size, &t, &n2);
        check(r == MLC_ERR_NOMEM && n2 > 256, "an arena too small for the tensor table: MLC_ERR_NOMEM");
        mlc_arena_init(&t, arena_big, sizeof arena_big);
        r = kws_init(&mt, flash, flash_size - 1, &t, NULL);
        check(r == MLC_ERR_BOUNDS || r == MLC_ERR_TRUNCATED, "a truncated model: refused");
        memcpy(arena_b, flash, flash_size < 64 ? flash_size : 64);
        arena_b[8] = '[';
        mlc_arena_init(&t, arena_big, sizeof arena_big);
        r = kws_init(&mt, arena_b, flash_size, &t, NULL);
        check(r == MLC_ERR_FORMAT || r == MLC_ERR_TRUNCATED, "a corrupt header: refused");
        check(kws_init(NULL, flash, flash_size, &t, NULL) == MLC_ERR_NULL &&
              kws_run(&ma, NULL, out_probs[1], NULL) == MLC_ERR_NULL, "NULL arguments: MLC_ERR_NULL");
    }

    /* 5. Latency of one inference. */
    {
        static double times[RUNS];
        float probs[KWS_CLASSES];
        for (i = 0; i < 20; i++) kws_run(&ma, ref_x, probs, NULL);
        for (i = 0; i < RUNS; i++) {
            double t0 = now_ms();
            kws_run(&ma, ref_x + (i % REFS) * KWS_IN_H * KWS_IN_W, probs, NULL);
            times[i] = now_ms() - t0;
        }
        qsort(times, RUNS, sizeof times[0], cmp_double);
        printf("     one inference: %.1f us (median of %d; min %.1f us); %.0f kFLOP\n", times[RUNS / 2] * 1e3, RUNS,
               times[0] * 1e3,
               2e-3 * (25.0 * 5 * 32 * (9 + 9 + 32 + 9 + 32) + 32 * KWS_CLASSES));
    }
done:
    mlc_file_free(file);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
