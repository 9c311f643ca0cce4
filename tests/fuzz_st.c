/* libFuzzer harness for the safetensors parser (mlc_st_parse, mlc_st_find,
   mlc_st_read_f32).

   Build and run (clang 14, libclang-rt-14-dev):
       clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
             -I. tests/fuzz_st.c -o fuzz_st -lm
       ./fuzz_st -max_total_time=60 -max_len=4096 tests/fuzz_corpus

   Seeds in tests/fuzz_corpus are written by the unit tests:
       MLCT_ST_CORPUS=tests/fuzz_corpus ./test_mlcore tests test_st_fuzz

   Each input is parsed twice: with a roomy arena, and with a small arena whose
   size comes from the input length (to reach the out-of-memory paths). Any
   broken promise of a successful parse (see check()) aborts, so libFuzzer
   records the input as a crash. */
#define MLCORE_IMPLEMENTATION
#include "../mlcore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#define FAIL(msg) do { fprintf(stderr, "fuzz_st: %s (line %d)\n", (msg), __LINE__); abort(); } while (0)

static int cmp_range(const void *a, const void *b) {
    const mlc_st_tensor *x = *(const mlc_st_tensor *const *)a, *y = *(const mlc_st_tensor *const *)b;
    if (x->data != y->data) return x->data < y->data ? -1 : 1;
    return x->nbytes < y->nbytes ? -1 : x->nbytes > y->nbytes;
}

static uint64_t get_u64(const unsigned char *p) {
    uint64_t v = 0; int i; for (i = 7; i >= 0; i--) v = (v << 8) | p[i]; return v;
}

static float ref_elem(const mlc_st_tensor *t, size_t i) {
    const unsigned char *p = t->data;
    switch (t->dtype) {
    case MLC_F32: { uint32_t u = (uint32_t)p[4*i] | (uint32_t)p[4*i+1] << 8 | (uint32_t)p[4*i+2] << 16 | (uint32_t)p[4*i+3] << 24;
                    float f; memcpy(&f, &u, 4); return f; }
    case MLC_F16:  return mlc_f16_to_f32((uint16_t)(p[2*i] | p[2*i+1] << 8));
    case MLC_BF16: { uint32_t u = ((uint32_t)p[2*i] | (uint32_t)p[2*i+1] << 8) << 16; float f; memcpy(&f, &u, 4); return f; }
    case MLC_F64: { uint64_t u = get_u64(p + 8*i); double d; memcpy(&d, &u, 8); return (float)d; }
    default: return 0.0f;
    }
}

/* Everything a successful parse of buf[0..size) promises. */
static void check(const mlc_safetensors *st, const unsigned char *buf, size_t size, const mlc_arena *a) {
    const mlc_st_tensor **order;
    size_t covered = 0, hlen;
    int i, k;
    if (st->buffer != buf || st->size != size || size < 8) FAIL("buffer/size");
    hlen = (size_t)get_u64(buf);
    if (hlen > size - 8) FAIL("header length accepted past the end");
    if (st->data != buf + 8 + hlen || st->data_size != size - 8 - hlen) FAIL("data region");
    if (st->count < 0 || (st->count > 0 && !st->tensors)) FAIL("count/tensors");
    order = (const mlc_st_tensor **)malloc(sizeof *order * (size_t)(st->count + 1));
    if (!order) return;
    for (i = 0; i < st->count; i++) {
        const mlc_st_tensor *t = &st->tensors[i];
        const unsigned char *nm = (const unsigned char *)t->name;
        size_t numel = 1, es, j;
        order[i] = t;
        if (!nm || nm < a->base || nm >= a->base + a->size) FAIL("name outside the arena");
        if (!memchr(nm, 0, (size_t)(a->base + a->size - nm))) FAIL("name not NUL-terminated");
        if ((int)t->dtype < 0 || t->dtype >= MLC_DTYPE_COUNT) FAIL("dtype");
        if (t->rank < 0 || t->rank > MLC_MAX_RANK) FAIL("rank");
        for (k = 0; k < t->rank; k++) { if (t->shape[k] < 0) FAIL("negative dim"); numel *= (size_t)t->shape[k]; }
        es = mlc_dtype_size(t->dtype);
        if (!es || t->numel != numel || t->nbytes != numel * es) FAIL("numel/nbytes");
        if (t->data < st->data || t->data > st->data + st->data_size ||
            t->nbytes > (size_t)(st->data + st->data_size - t->data)) FAIL("tensor data outside the data region");
        covered += t->nbytes;
        if (i > 0 && strcmp(st->tensors[i - 1].name, t->name) >= 0) FAIL("names not sorted / duplicate");
        if (mlc_st_find(st, t->name) != t) FAIL("mlc_st_find does not find a tensor");
        {
            float *dst = (float *)malloc(numel * sizeof(float) + 1);
            mlc_result r;
            if (!dst) continue;
            r = mlc_st_read_f32(st, t->name, -1, NULL, dst, numel);
            if (t->dtype == MLC_F32 || t->dtype == MLC_F16 || t->dtype == MLC_BF16 || t->dtype == MLC_F64) {
                if (r != MLC_OK) FAIL("float tensor not readable");
                for (j = 0; j < numel; j++) {
                    float w = ref_elem(t, j);
                    if (isnan(w) ? !isnan(dst[j]) : memcmp(&w, &dst[j], 4) != 0) FAIL("wrong value read");
                }
                if (mlc_st_read_f32(st, t->name, t->rank, t->shape, dst, numel) != MLC_OK) FAIL("read with own shape");
                if (numel > 0 && mlc_st_read_f32(st, t->name, -1, NULL, dst, numel - 1) != MLC_ERR_SHAPE) FAIL("count check");
            } else if (r != MLC_ERR_DTYPE) FAIL("non-float dtype read");
            free(dst);
        }
    }
    if (st->count > 0) {
        qsort((void *)order, (size_t)st->count, sizeof *order, cmp_range);
        for (i = 1; i < st->count; i++)
            if (order[i - 1]->nbytes && order[i]->nbytes && order[i - 1]->data + order[i - 1]->nbytes > order[i]->data)
                FAIL("overlapping tensors");
    }
    if (covered != st->data_size) FAIL("data region not exactly covered");
    free((void *)order);
}

#ifdef __cplusplus
extern "C"
#endif
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
#ifdef __cplusplus
extern "C"
#endif
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static unsigned char big[1 << 16];
    unsigned char *buf = (unsigned char *)malloc(size ? size : 1), *small;
    size_t small_size = (size * 7) % 1024;
    mlc_arena a;
    mlc_safetensors st;
    mlc_result r, r2;
    if (!buf) return 0;
    if (size) memcpy(buf, data, size);   /* an exactly sized copy */

    mlc_arena_init(&a, big, sizeof big);
    r = mlc_st_parse(&st, buf, size, &a);
    if (r == MLC_OK) check(&st, buf, size, &a);
    else if (r != MLC_ERR_FORMAT && r != MLC_ERR_TRUNCATED && r != MLC_ERR_BOUNDS && r != MLC_ERR_UNSUPPORTED)
        FAIL("unexpected error code");

    small = (unsigned char *)malloc(small_size ? small_size : 1);
    if (small) {
        mlc_arena_init(&a, small, small_size);
        r2 = mlc_st_parse(&st, buf, size, &a);
        if (r2 == MLC_OK) check(&st, buf, size, &a);
        if (r2 != r && r2 != MLC_ERR_NOMEM) FAIL("result depends on the arena size");
        if (r2 == MLC_ERR_NOMEM && a.need <= small_size) FAIL("NOMEM without arena.need past the size");
        free(small);
    }
    free(buf);
    return 0;
}
