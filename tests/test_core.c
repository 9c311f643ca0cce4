/* tests/test_core.c - the core of mlcore.h against its own contract, its
   scalar references and double-precision maths: results, arena, tensors,
   f16/bf16, activations and elementwise ops, softmax, GEMM, the parallel-for
   hook and the linear layer.

   Every expected value is computed here, from first principles or by the
   scalar reference, never pasted in. Tolerances are derived in the comments
   next to them. Buffers are malloc'd at their exact size where it matters,
   so an ASan build catches any read or write past the end. */
#include <stdlib.h>
#include <float.h>
#include <limits.h>
#include "mlc_test.h"

/* ---- helpers ------------------------------------------------------------ */

static int verbose(void) { return getenv("MLCT_VERBOSE") != NULL; }

static uint32_t f2u(float f) { uint32_t u; memcpy(&u, &f, sizeof u); return u; }
static float u2f(uint32_t u) { float f; memcpy(&f, &u, sizeof f); return f; }

static void *xmalloc(size_t bytes) {
    void *p = malloc(bytes ? bytes : 1);
    if (!p) { fprintf(stderr, "test_core: out of memory (%zu bytes)\n", bytes); exit(2); }
    return p;
}
static float *falloc(size_t n) { return (float *)xmalloc(n * sizeof(float)); }

/* A buffer whose start is 64-byte aligned plus 'offset' bytes. */
typedef struct { unsigned char *raw, *p; } abuf;
static unsigned char *abuf_make(abuf *b, size_t size, size_t offset) {
    b->raw = (unsigned char *)xmalloc(size + 64 + offset);
    b->p = b->raw + ((64 - ((uintptr_t)b->raw & 63)) & 63) + offset;
    return b->p;
}
static void abuf_free(abuf *b) { free(b->raw); b->raw = b->p = NULL; }

/* Spacing of floats at |r| (the ulp); for 0 the smallest subnormal. */
static double ulp_of(float r) {
    float a = fabsf(r);
    if (isnan(a) || isinf(a)) return 0.0;
    if (a >= FLT_MAX) return (double)a - (double)nextafterf(a, 0.0f);
    return (double)nextafterf(a, INFINITY) - (double)a;
}

static const double TWO_M24 = 5.9604644775390625e-08;  /* 2^-24 = half an ulp of 1 */

/* Equal bit patterns, or both NaN. */
static int same_float(float a, float b) {
    if (isnan(a) && isnan(b)) return 1;
    return f2u(a) == f2u(b);
}

/* ======================================================================== */
/* results and names                                                        */
/* ======================================================================== */

static void test_result_string(void) {
    static const mlc_result codes[] = {
        MLC_OK, MLC_ERR_NULL, MLC_ERR_ARG, MLC_ERR_SHAPE, MLC_ERR_DTYPE, MLC_ERR_NOMEM,
        MLC_ERR_IO, MLC_ERR_FORMAT, MLC_ERR_TRUNCATED, MLC_ERR_BOUNDS, MLC_ERR_NOT_FOUND,
        MLC_ERR_UNSUPPORTED };
    /* Out-of-list values that still fit the enum's range (C++ forbids others). */
    static const int unknown[] = { -12, -16, 1, 7, 15 };
    const int n = (int)(sizeof codes / sizeof codes[0]);
    int i, j;
    for (i = 0; i < n; i++) {
        const char *s = mlc_result_string(codes[i]);
        CHECK(s != NULL);
        if (!s) continue;
        CHECK(s[0] != '\0');
        for (j = 0; j < i; j++) {
            const char *t = mlc_result_string(codes[j]);
            if (t && strcmp(s, t) == 0) {
                mlct_failures++;
                fprintf(stderr, "  codes %d and %d share the string \"%s\"\n", (int)codes[i], (int)codes[j], s);
            }
        }
    }
    for (i = 0; i < (int)(sizeof unknown / sizeof unknown[0]); i++) {
        const char *s = mlc_result_string((mlc_result)unknown[i]);
        CHECK(s != NULL);
    }
}

static void test_act_and_dtype_names(void) {
    int i, j;
    for (i = 0; i < MLC_ACT_COUNT; i++) {
        const char *s = mlc_act_name((mlc_act)i);
        CHECK(s != NULL && s[0] != '\0');
        for (j = 0; s && j < i; j++) {
            const char *t = mlc_act_name((mlc_act)j);
            if (t && strcmp(s, t) == 0) { mlct_failures++; fprintf(stderr, "  acts %d and %d both named %s\n", i, j, s); }
        }
    }
    CHECK(mlc_act_name((mlc_act)MLC_ACT_COUNT) != NULL);
    for (i = 0; i < MLC_DTYPE_COUNT; i++) {
        const char *s = mlc_dtype_name((mlc_dtype)i);
        CHECK(s != NULL && s[0] != '\0');
        for (j = 0; s && j < i; j++) {
            const char *t = mlc_dtype_name((mlc_dtype)j);
            if (t && strcmp(s, t) == 0) { mlct_failures++; fprintf(stderr, "  dtypes %d and %d both named %s\n", i, j, s); }
        }
    }
    CHECK(mlc_dtype_name((mlc_dtype)MLC_DTYPE_COUNT) != NULL);
}

/* ======================================================================== */
/* arena                                                                    */
/* ======================================================================== */

static void test_arena_init(void) {
    mlc_arena a;
    unsigned char buf[100];
    memset(&a, 0xAB, sizeof a);
    mlc_arena_init(&a, buf, sizeof buf);
    CHECK(a.base == buf);
    CHECK_EQ_INT(a.size, sizeof buf);
    CHECK_EQ_INT(a.used, 0);
    CHECK_EQ_INT(a.peak, 0);
    CHECK_EQ_INT(a.need, 0);
    CHECK_EQ_INT(mlc_arena_mark(&a), 0);
    CHECK_EQ_INT(mlc_arena_peak(&a), 0);
}

/* Alignment is of the address (not of the offset), so the buffer starts at an
   odd address; align 0 means 64; used counts the padding. */
static void test_arena_align(void) {
    static const size_t aligns[] = { 0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 0, 8, 1, 4096 };
    abuf b;
    size_t size = 16384, i;
    unsigned char *base = abuf_make(&b, size, 1);
    unsigned char *prev_end = base;
    mlc_arena a;
    mlc_arena_init(&a, base, size);
    for (i = 0; i < sizeof aligns / sizeof aligns[0]; i++) {
        size_t want = aligns[i] ? aligns[i] : 64, bytes = 3 + i, used0 = a.used;
        unsigned char *p = (unsigned char *)mlc_arena_alloc(&a, bytes, aligns[i]);
        CHECK(p != NULL);
        if (!p) break;
        if ((uintptr_t)p % want != 0) {
            mlct_failures++;
            fprintf(stderr, "  align %zu: got address %% %zu = %zu\n", aligns[i], want, (size_t)((uintptr_t)p % want));
        }
        CHECK(p >= prev_end);                          /* no overlap with the previous block */
        CHECK((size_t)(p - prev_end) < want);           /* no more padding than needed */
        CHECK(p + bytes <= base + size);
        CHECK_EQ_INT(a.used, (size_t)(p - base) + bytes); /* used includes padding */
        CHECK(a.used > used0);
        CHECK(a.peak >= a.used);
        memset(p, 0x5A, bytes);
        prev_end = p + bytes;
    }
    abuf_free(&b);
}

/* Failing requests return NULL, leave used alone and record need. */
static void test_arena_overflow(void) {
    abuf b;
    unsigned char *base = abuf_make(&b, 256, 0);   /* 64-aligned: padding is predictable */
    mlc_arena a;
    void *p;
    size_t before;
    mlc_arena_init(&a, base, 100);
    p = mlc_arena_alloc(&a, 60, 4);
    CHECK(p == base);
    CHECK_EQ_INT(a.used, 60);
    p = mlc_arena_alloc(&a, 50, 4);                 /* 60 + 50 = 110 > 100 */
    CHECK(p == NULL);
    CHECK_EQ_INT(a.used, 60);
    CHECK_EQ_INT(a.peak, 60);
    CHECK_EQ_INT(a.need, 60 + 50);
    p = mlc_arena_alloc(&a, 40, 4);                 /* exactly fills it */
    CHECK(p == base + 60);
    CHECK_EQ_INT(a.used, 100);
    CHECK_EQ_INT(a.need, 110);                      /* need is the largest request ever */
    p = mlc_arena_alloc(&a, 1, 1);
    CHECK(p == NULL);
    CHECK_EQ_INT(a.need, 110);
    CHECK_EQ_INT(a.used, 100);

    /* padding counts toward need */
    mlc_arena_init(&a, base, 200);
    p = mlc_arena_alloc(&a, 10, 0);
    CHECK(p == base);
    p = mlc_arena_alloc(&a, 150, 64);               /* would start at 64, end at 214 */
    CHECK(p == NULL);
    CHECK_EQ_INT(a.need, 64 + 150);
    CHECK_EQ_INT(a.used, 10);
    p = mlc_arena_alloc(&a, 136, 64);               /* 64 + 136 = 200 fits exactly */
    CHECK(p == base + 64);
    CHECK_EQ_INT(a.used, 200);

    /* sizes that would wrap size_t: NULL, nothing changes, need not wrapped */
    mlc_arena_init(&a, base, 256);
    p = mlc_arena_alloc(&a, 16, 16);
    CHECK(p == base);
    before = a.used;
    {
        static const size_t huge_sub[] = { 0, 1, 8, 15, 16, 63 };
        size_t i;
        for (i = 0; i < sizeof huge_sub / sizeof huge_sub[0]; i++) {
            size_t aligns[3] = { 1, 64, 0 };
            int j;
            for (j = 0; j < 3; j++) {
                p = mlc_arena_alloc(&a, SIZE_MAX - huge_sub[i], aligns[j]);
                if (p != NULL) {
                    mlct_failures++;
                    fprintf(stderr, "  alloc(SIZE_MAX-%zu, align %zu) returned %p\n", huge_sub[i], aligns[j], p);
                }
                CHECK_EQ_INT(a.used, before);
                CHECK(a.need > a.size);             /* a wrapped sum would look small */
            }
        }
        p = mlc_arena_alloc(&a, SIZE_MAX / 2 + 1, 1);
        CHECK(p == NULL);
        CHECK(a.need > a.size);
    }
    CHECK_EQ_INT(a.peak, 16);
    p = mlc_arena_alloc(&a, 16, 16);                /* still works */
    CHECK(p == base + 16);
    abuf_free(&b);
}

static void test_arena_mark_reset_peak(void) {
    abuf b;
    unsigned char *base = abuf_make(&b, 1024, 0);
    mlc_arena a;
    size_t m;
    unsigned char *p, *q;
    mlc_arena_init(&a, base, 1024);
    p = (unsigned char *)mlc_arena_alloc(&a, 100, 1);
    CHECK(p == base);
    m = mlc_arena_mark(&a);
    CHECK_EQ_INT(m, 100);
    q = (unsigned char *)mlc_arena_alloc(&a, 200, 1);
    CHECK(q == base + 100);
    CHECK_EQ_INT(a.used, 300);
    CHECK_EQ_INT(mlc_arena_peak(&a), 300);
    mlc_arena_reset(&a, m);
    CHECK_EQ_INT(a.used, m);
    CHECK_EQ_INT(mlc_arena_peak(&a), 300);          /* high-water mark survives the reset */
    q = (unsigned char *)mlc_arena_alloc(&a, 50, 1);
    CHECK(q == base + m);                           /* the released space is reused */
    CHECK_EQ_INT(a.used, 150);
    CHECK_EQ_INT(mlc_arena_peak(&a), 300);
    q = (unsigned char *)mlc_arena_alloc(&a, 2000, 1); /* fails: no effect on peak */
    CHECK(q == NULL);
    CHECK_EQ_INT(mlc_arena_peak(&a), 300);
    CHECK_EQ_INT(a.need, 2150);
    mlc_arena_reset(&a, 0);
    CHECK_EQ_INT(a.used, 0);
    CHECK_EQ_INT(mlc_arena_peak(&a), 300);
    q = (unsigned char *)mlc_arena_alloc(&a, 400, 1);
    CHECK(q == base);
    CHECK_EQ_INT(mlc_arena_peak(&a), 400);
    CHECK_EQ_INT(a.peak, mlc_arena_peak(&a));
    abuf_free(&b);
}

/* ======================================================================== */
/* tensors                                                                  */
/* ======================================================================== */

static void test_tensor_ctors(void) {
    float buf[4];
    mlc_tensor t;
    t = mlc_tensor_1d(buf, 7);
    CHECK(t.dtype == MLC_F32); CHECK_EQ_INT(t.rank, 1); CHECK_EQ_INT(t.shape[0], 7);
    CHECK(t.data == (void *)buf); CHECK_EQ_INT(mlc_tensor_numel(&t), 7); CHECK_OK(mlc_tensor_check(&t));
    t = mlc_tensor_2d(buf, 3, 5);
    CHECK(t.dtype == MLC_F32); CHECK_EQ_INT(t.rank, 2); CHECK_EQ_INT(t.shape[0], 3); CHECK_EQ_INT(t.shape[1], 5);
    CHECK(t.data == (void *)buf); CHECK_EQ_INT(mlc_tensor_numel(&t), 3 * 5); CHECK_OK(mlc_tensor_check(&t));
    t = mlc_tensor_3d(buf + 1, 2, 9, 4);
    CHECK(t.dtype == MLC_F32); CHECK_EQ_INT(t.rank, 3);
    CHECK_EQ_INT(t.shape[0], 2); CHECK_EQ_INT(t.shape[1], 9); CHECK_EQ_INT(t.shape[2], 4);
    CHECK(t.data == (void *)(buf + 1)); CHECK_EQ_INT(mlc_tensor_numel(&t), 2 * 9 * 4); CHECK_OK(mlc_tensor_check(&t));
    t = mlc_tensor_4d(buf, 2, 3, 11, 5);
    CHECK(t.dtype == MLC_F32); CHECK_EQ_INT(t.rank, 4);
    CHECK_EQ_INT(t.shape[0], 2); CHECK_EQ_INT(t.shape[1], 3); CHECK_EQ_INT(t.shape[2], 11); CHECK_EQ_INT(t.shape[3], 5);
    CHECK_EQ_INT(mlc_tensor_numel(&t), 2 * 3 * 11 * 5); CHECK_OK(mlc_tensor_check(&t));
}

static void test_tensor_check(void) {
    mlc_tensor t;
    float buf[1];
    int r, d;
    /* rank 0 is a scalar: valid, one element (the empty product) */
    memset(&t, 0, sizeof t);
    t.dtype = MLC_F32; t.rank = 0; t.data = buf;
    CHECK_OK(mlc_tensor_check(&t));
    CHECK_EQ_INT(mlc_tensor_numel(&t), 1);
    /* every rank up to the maximum */
    for (r = 1; r <= MLC_MAX_RANK; r++) {
        size_t want = 1;
        memset(&t, 0, sizeof t);
        t.dtype = MLC_F32; t.rank = r; t.data = buf;
        for (d = 0; d < r; d++) { t.shape[d] = d + 2; want *= (size_t)(d + 2); }
        CHECK_OK(mlc_tensor_check(&t));
        CHECK_EQ_INT(mlc_tensor_numel(&t), want);
    }
    /* bad ranks (every dim positive, so only the rank is wrong) */
    t = mlc_tensor_2d(buf, 1, 1);
    for (d = 0; d < MLC_MAX_RANK; d++) t.shape[d] = 1;
    t.rank = -1; CHECK(mlc_tensor_check(&t) < 0);
    t.rank = MLC_MAX_RANK + 1; CHECK(mlc_tensor_check(&t) < 0);
    t.rank = INT_MAX; CHECK(mlc_tensor_check(&t) < 0);
    t.rank = INT_MIN; CHECK(mlc_tensor_check(&t) < 0);
    /* zero and negative dims in every position */
    for (d = 0; d < 4; d++) {
        int bad[3] = { 0, -1, INT_MIN }, k;
        for (k = 0; k < 3; k++) {
            mlc_result rr;
            t = mlc_tensor_4d(buf, 2, 3, 4, 5);
            t.shape[d] = bad[k];
            rr = mlc_tensor_check(&t);
            if (!(rr < 0)) { mlct_failures++; fprintf(stderr, "  dim %d = %d accepted\n", d, bad[k]); }
        }
    }
    /* dims beyond rank are not looked at */
    t = mlc_tensor_2d(buf, 1, 1);
    t.shape[2] = -5; t.shape[MLC_MAX_RANK - 1] = 0;
    CHECK_OK(mlc_tensor_check(&t));
    /* unknown dtype */
    t = mlc_tensor_2d(buf, 1, 1);
    t.dtype = MLC_DTYPE_COUNT; CHECK(mlc_tensor_check(&t) < 0);
    t.dtype = (mlc_dtype)15; CHECK(mlc_tensor_check(&t) < 0);
#ifndef __cplusplus
    t.dtype = (mlc_dtype)-1; CHECK(mlc_tensor_check(&t) < 0);
    t.dtype = (mlc_dtype)1000; CHECK(mlc_tensor_check(&t) < 0);
#endif
    /* every known dtype is fine */
    for (d = 0; d < MLC_DTYPE_COUNT; d++) { t.dtype = (mlc_dtype)d; CHECK_OK(mlc_tensor_check(&t)); }
    CHECK_ERR(mlc_tensor_check(NULL), MLC_ERR_NULL);
}

static void test_dtype_size(void) {
    CHECK_EQ_INT(mlc_dtype_size(MLC_F32), sizeof(float));
    CHECK_EQ_INT(mlc_dtype_size(MLC_F16), sizeof(uint16_t));
    CHECK_EQ_INT(mlc_dtype_size(MLC_BF16), sizeof(uint16_t));
    CHECK_EQ_INT(mlc_dtype_size(MLC_I8), sizeof(int8_t));
    CHECK_EQ_INT(mlc_dtype_size(MLC_U8), sizeof(uint8_t));
    CHECK_EQ_INT(mlc_dtype_size(MLC_I16), sizeof(int16_t));
    CHECK_EQ_INT(mlc_dtype_size(MLC_I32), sizeof(int32_t));
    CHECK_EQ_INT(mlc_dtype_size(MLC_I64), sizeof(int64_t));
    CHECK_EQ_INT(mlc_dtype_size(MLC_F64), sizeof(double));
    CHECK_EQ_INT(mlc_dtype_size(MLC_BOOL), sizeof(uint8_t));   /* safetensors BOOL: one byte */
    CHECK_EQ_INT(mlc_dtype_size(MLC_U16), sizeof(uint16_t));
    CHECK_EQ_INT(mlc_dtype_size(MLC_U32), sizeof(uint32_t));
    CHECK_EQ_INT(mlc_dtype_size(MLC_U64), sizeof(uint64_t));
    CHECK_EQ_INT(mlc_dtype_size(MLC_DTYPE_COUNT), 0);
    CHECK_EQ_INT(mlc_dtype_size((mlc_dtype)15), 0);
#ifndef __cplusplus
    CHECK_EQ_INT(mlc_dtype_size((mlc_dtype)-1), 0);
#endif
}

static void test_tensor_alloc(void) {
    abuf b;
    unsigned char *base = abuf_make(&b, 4096, 0);
    mlc_arena a;
    mlc_tensor t, u;
    int shape3[3] = { 3, 5, 7 };
    int shape1[1] = { 9 };
    size_t used;
    mlc_arena_init(&a, base, 4096);
    memset(&t, 0, sizeof t);
    CHECK_OK(mlc_tensor_alloc(&t, &a, MLC_F32, 3, shape3));
    CHECK(t.dtype == MLC_F32); CHECK_EQ_INT(t.rank, 3);
    CHECK_EQ_INT(t.shape[0], 3); CHECK_EQ_INT(t.shape[1], 5); CHECK_EQ_INT(t.shape[2], 7);
    CHECK(t.data != NULL);
    if (t.data) {
        unsigned char *p = (unsigned char *)t.data;
        size_t bytes = 3 * 5 * 7 * sizeof(float);
        CHECK(p >= base && p + bytes <= base + a.used);
        CHECK((uintptr_t)p % sizeof(float) == 0);
        CHECK_OK(mlc_tensor_check(&t));
        memset(p, 0x11, bytes);
        memset(&u, 0, sizeof u);
        CHECK_OK(mlc_tensor_alloc(&u, &a, MLC_F16, 1, shape1));
        CHECK(u.dtype == MLC_F16); CHECK_EQ_INT(u.rank, 1); CHECK_EQ_INT(u.shape[0], 9);
        CHECK(u.data != NULL);
        if (u.data) {
            unsigned char *q = (unsigned char *)u.data;
            CHECK(q >= p + bytes);                      /* no overlap */
            CHECK(q + 9 * sizeof(uint16_t) <= base + a.used);
            CHECK((uintptr_t)q % sizeof(uint16_t) == 0);
        }
    }
    /* rank 0: one element */
    CHECK_OK(mlc_tensor_alloc(&u, &a, MLC_F64, 0, shape1));
    CHECK_EQ_INT(u.rank, 0); CHECK(u.data != NULL);
    if (u.data) { double one = 1.0; memcpy(u.data, &one, sizeof one); }

    /* bad requests fail and take nothing from the arena */
    used = a.used;
    {
        int bad_zero[2] = { 4, 0 }, bad_neg[2] = { -4, 2 }, seven[7] = { 1, 1, 1, 1, 1, 1, 1 };
        int huge[MLC_MAX_RANK] = { INT_MAX, INT_MAX, INT_MAX, INT_MAX, INT_MAX, INT_MAX };
        int big[1] = { 4096 };
        /* products that wrap size_t to 0 exactly: 2^64 elements, or 2^62
           elements of 4 bytes (a wrapped size would "fit" any arena) */
        int wrap64[4] = { 65536, 65536, 65536, 65536 }, wrap62[4] = { 65536, 65536, 65536, 16384 };
        CHECK(mlc_tensor_alloc(&u, &a, MLC_F32, 2, bad_zero) < 0);
        CHECK(mlc_tensor_alloc(&u, &a, MLC_F32, 2, bad_neg) < 0);
        CHECK(mlc_tensor_alloc(&u, &a, MLC_F32, 7, seven) < 0);
        CHECK(mlc_tensor_alloc(&u, &a, MLC_F32, -1, seven) < 0);
        CHECK(mlc_tensor_alloc(&u, &a, MLC_DTYPE_COUNT, 1, shape1) < 0);
        /* numel * 4 overflows size_t: must not wrap into a small request */
        CHECK(mlc_tensor_alloc(&u, &a, MLC_F32, MLC_MAX_RANK, huge) < 0);
        CHECK(mlc_tensor_alloc(&u, &a, MLC_F32, 3, huge) < 0);
        CHECK(mlc_tensor_alloc(&u, &a, MLC_U8, 4, wrap64) < 0);
        CHECK(mlc_tensor_alloc(&u, &a, MLC_F32, 4, wrap62) < 0);
        CHECK(mlc_tensor_alloc(&u, &a, MLC_F64, 4, wrap62) < 0);
        CHECK_EQ_INT(a.used, used);
        CHECK_ERR(mlc_tensor_alloc(&u, &a, MLC_F32, 1, big), MLC_ERR_NOMEM);
        CHECK_EQ_INT(a.used, used);
        CHECK(a.need >= used + 4096 * sizeof(float));
        CHECK_ERR(mlc_tensor_alloc(NULL, &a, MLC_F32, 1, shape1), MLC_ERR_NULL);
        CHECK_ERR(mlc_tensor_alloc(&u, NULL, MLC_F32, 1, shape1), MLC_ERR_NULL);
        CHECK_ERR(mlc_tensor_alloc(&u, &a, MLC_F32, 1, NULL), MLC_ERR_NULL);
        CHECK_EQ_INT(a.used, used);
    }
    abuf_free(&b);
}

/* ======================================================================== */
/* f16 / bf16                                                               */
/* ======================================================================== */

/* binary16 from its definition: 1 sign, 5 exponent (bias 15), 10 fraction bits. */
static double half_value(uint16_t h) {
    int e = (h >> 10) & 31, m = h & 1023;
    double v = e == 0 ? ldexp((double)m, -24) : ldexp((double)(1024 + m), e - 25);
    return (h & 0x8000) ? -v : v;
}
static int half_is_nan(uint16_t h) { return (h & 0x7c00) == 0x7c00 && (h & 0x3ff) != 0; }
static int bf16_is_nan(uint16_t h) { return (h & 0x7f80) == 0x7f80 && (h & 0x7f) != 0; }

/* float -> binary16, round to nearest even, from first principles: scale to
   an integer number of units in the last place and let rint (round to
   nearest even in the default mode) do the rounding. */
static uint16_t ref_f32_to_f16(float f) {
    double x = fabs((double)f), q;
    uint16_t s = signbit(f) ? 0x8000 : 0;
    int e;
    if (isnan(f)) return 0x7e00;
    if (x >= 65520.0) return (uint16_t)(s | 0x7c00);         /* 65504 + half its ulp (32/2) */
    if (x < ldexp(1.0, -14)) {                              /* subnormal range: unit 2^-24 */
        q = rint(x * 16777216.0);                           /* may round up to 1024 = 2^-14 */
        return (uint16_t)(s | (uint16_t)q);
    }
    frexp(x, &e);                                           /* x = f * 2^e, f in [0.5, 1) */
    e -= 1;                                                 /* x in [2^e, 2^(e+1)) */
    q = rint(ldexp(x, 10 - e));                             /* in [1024, 2048] */
    if (q == 2048.0) { q = 1024.0; e += 1; }
    if (e + 15 >= 31) return (uint16_t)(s | 0x7c00);
    return (uint16_t)(s | (uint16_t)((e + 15) << 10) | (uint16_t)(q - 1024.0));
}

static void test_f16_all_patterns(void) {
    uint32_t h;
    int bad = 0;
    for (h = 0; h < 65536; h++) {
        uint16_t hh = (uint16_t)h, back;
        float f = mlc_f16_to_f32(hh);
        int e = (h >> 10) & 31, m = (int)(h & 1023);
        back = mlc_f32_to_f16(f);
        if (e == 31 && m != 0) {
            if (!isnan(f) || !half_is_nan(back)) {
                if (bad++ < 5) fprintf(stderr, "  f16 NaN 0x%04x -> %g -> 0x%04x\n", (unsigned)h, (double)f, (unsigned)back);
            }
            continue;
        }
        if (e == 31) {
            if (!(isinf(f) && (signbit(f) != 0) == ((h & 0x8000) != 0))) {
                if (bad++ < 5) fprintf(stderr, "  f16 inf 0x%04x -> %g\n", (unsigned)h, (double)f);
            }
        } else if ((double)f != half_value(hh) || (signbit(f) != 0) != ((h & 0x8000) != 0)) {
            if (bad++ < 5) fprintf(stderr, "  f16 0x%04x -> %.9g, expected %.9g\n", (unsigned)h, (double)f, half_value(hh));
        }
        if (back != hh) {
            if (bad++ < 5) fprintf(stderr, "  f16 round trip 0x%04x -> %.9g -> 0x%04x\n", (unsigned)h, (double)f, (unsigned)back);
        }
    }
    if (bad) { mlct_failures++; fprintf(stderr, "  %d f16 patterns wrong\n", bad); }
}

/* Every rounding boundary: the midpoint between consecutive halves goes to
   the even one, the float just below it down, just above it up. Covers
   subnormals (from 2^-25 up), every binade and overflow at 65520. */
static void test_f16_rounding_boundaries(void) {
    uint32_t h;
    int bad = 0, sign;
    for (sign = 0; sign < 2; sign++) {
        for (h = 0; h < 0x7c00; h++) {
            double lo = half_value((uint16_t)h);
            double hi = (h == 0x7bff) ? 65536.0 : half_value((uint16_t)(h + 1));
            double mid = 0.5 * (lo + hi);
            float fm = (float)mid, below, above;
            uint16_t sb = sign ? 0x8000 : 0, even = (uint16_t)((h & 1) ? h + 1 : h), got;
            if ((double)fm != mid) { bad++; continue; }   /* a midpoint needs 12 bits: exact in float */
            if (sign) fm = -fm;
            below = nextafterf(fm, 0.0f);
            above = nextafterf(fm, sign ? -INFINITY : INFINITY);
            got = mlc_f32_to_f16(fm);
            if (got != (uint16_t)(sb | even) && bad++ < 5)
                fprintf(stderr, "  f16(%.10g) = 0x%04x, expected 0x%04x (tie to even)\n", (double)fm, got, sb | even);
            got = mlc_f32_to_f16(below);
            if (got != (uint16_t)(sb | h) && bad++ < 5)
                fprintf(stderr, "  f16(%.10g) = 0x%04x, expected 0x%04x\n", (double)below, got, (unsigned)(sb | h));
            got = mlc_f32_to_f16(above);
            if (got != (uint16_t)(sb | (h + 1)) && bad++ < 5)
                fprintf(stderr, "  f16(%.10g) = 0x%04x, expected 0x%04x\n", (double)above, got, (unsigned)(sb | (h + 1)));
        }
    }
    if (bad) { mlct_failures++; fprintf(stderr, "  %d f16 rounding boundaries wrong\n", bad); }
}

static void test_f16_special_values(void) {
    const float ulp1 = ldexpf(1.0f, -10);      /* f16 spacing at 1 */
    float x;
    uint16_t h;
    int i;
    /* 1 + ulp/2 is a tie between 1 (even) and 1 + ulp (odd): stays 1 */
    x = 1.0f + ldexpf(1.0f, -11);
    CHECK(half_value(mlc_f32_to_f16(x)) == 1.0);
    /* 1 + 3ulp/2 is a tie between 1 + ulp (odd) and 1 + 2ulp (even): goes up */
    x = 1.0f + 3.0f * ldexpf(1.0f, -11);
    CHECK(half_value(mlc_f32_to_f16(x)) == 1.0 + 2.0 * ulp1);
    /* just past the tie rounds up to 1 + ulp */
    x = nextafterf(1.0f + ldexpf(1.0f, -11), 2.0f);
    CHECK(half_value(mlc_f32_to_f16(x)) == 1.0 + ulp1);
    /* rounding up that carries into the exponent: 2 - 2^-12 -> 2 */
    x = 2.0f - ldexpf(1.0f, -12);
    CHECK(half_value(mlc_f32_to_f16(x)) == 2.0);
    /* overflow: the largest half is 65504 = (2 - 2^-10) * 2^15 */
    x = (float)((2.0 - ldexp(1.0, -10)) * 32768.0);
    CHECK(half_value(mlc_f32_to_f16(x)) == (double)x);
    CHECK_EQ_INT(mlc_f32_to_f16(x + 15.0f), mlc_f32_to_f16(x));   /* 65519: below the tie */
    CHECK(isinf(mlc_f16_to_f32(mlc_f32_to_f16(x + 16.0f))));      /* 65520: tie, odd -> inf */
    CHECK(isinf(mlc_f16_to_f32(mlc_f32_to_f16(1e10f))));
    CHECK(isinf(mlc_f16_to_f32(mlc_f32_to_f16(FLT_MAX))));
    CHECK(mlc_f16_to_f32(mlc_f32_to_f16(-FLT_MAX)) == -INFINITY);
    CHECK(mlc_f16_to_f32(mlc_f32_to_f16(INFINITY)) == INFINITY);
    CHECK(mlc_f16_to_f32(mlc_f32_to_f16(-INFINITY)) == -INFINITY);
    /* subnormals: smallest 2^-24; 2^-25 is a tie with 0 -> 0; 3*2^-25 -> 2*2^-24 */
    CHECK(half_value(mlc_f32_to_f16(ldexpf(1.0f, -24))) == ldexp(1.0, -24));
    CHECK_EQ_INT(mlc_f32_to_f16(ldexpf(1.0f, -25)), 0);
    CHECK_EQ_INT(mlc_f32_to_f16(-ldexpf(1.0f, -25)), 0x8000);
    CHECK(half_value(mlc_f32_to_f16(nextafterf(ldexpf(1.0f, -25), 1.0f))) == ldexp(1.0, -24));
    CHECK(half_value(mlc_f32_to_f16(3.0f * ldexpf(1.0f, -25))) == ldexp(2.0, -24));
    CHECK(half_value(mlc_f32_to_f16(ldexpf(1.0f, -14))) == ldexp(1.0, -14));  /* smallest normal */
    /* f32 values far below: signed zero */
    CHECK_EQ_INT(mlc_f32_to_f16(1e-30f), 0);
    CHECK_EQ_INT(mlc_f32_to_f16(-1e-30f), 0x8000);
    CHECK_EQ_INT(mlc_f32_to_f16(FLT_MIN), 0);
    CHECK_EQ_INT(mlc_f32_to_f16(u2f(1)), 0);                  /* f32 subnormal */
    CHECK_EQ_INT(mlc_f32_to_f16(-0.0f), 0x8000);
    CHECK_EQ_INT(mlc_f32_to_f16(0.0f), 0);
    /* NaNs, including ones whose payload sits only in the low bits that a
       truncating conversion would drop (it would make them inf) */
    {
        static const uint32_t nans[] = { 0x7fc00000u, 0xffc00000u, 0x7f800001u, 0xff800001u,
                                         0x7f800fffu, 0x7fffffffu, 0x7fa00000u, 0x7f801000u };
        for (i = 0; i < (int)(sizeof nans / sizeof nans[0]); i++) {
            h = mlc_f32_to_f16(u2f(nans[i]));
            if (!half_is_nan(h)) { mlct_failures++; fprintf(stderr, "  f32 NaN 0x%08x -> f16 0x%04x\n", nans[i], h); }
        }
    }
}

/* Random floats over the whole exponent range against the reference above. */
static void test_f16_random(void) {
    mlct_rng rng = { 12345 };
    int i, bad = 0;
    for (i = 0; i < 200000; i++) {
        uint32_t u = mlct_u32(&rng);
        /* exponents from 2^-30 to 2^18 mostly, plus anything */
        if (i % 4 != 0) u = (u & 0x807fffffu) | ((uint32_t)(97 + (mlct_u32(&rng) % 48)) << 23);
        {
            float f = u2f(u);
            uint16_t got = mlc_f32_to_f16(f), want = ref_f32_to_f16(f);
            if (isnan(f) ? !half_is_nan(got) : got != want) {
                if (bad++ < 5) fprintf(stderr, "  f16(%.9g = 0x%08x) = 0x%04x, expected 0x%04x\n", (double)f, u, got, want);
            }
        }
    }
    if (bad) { mlct_failures++; fprintf(stderr, "  %d random f16 conversions wrong\n", bad); }
}

static void test_bf16_all_patterns(void) {
    uint32_t h;
    int bad = 0;
    for (h = 0; h < 65536; h++) {
        uint16_t hh = (uint16_t)h;
        float f = mlc_bf16_to_f32(hh);
        uint16_t back = mlc_f32_to_bf16(f);
        if (bf16_is_nan(hh)) {
            if ((!isnan(f) || !bf16_is_nan(back)) && bad++ < 5)
                fprintf(stderr, "  bf16 NaN 0x%04x -> %g -> 0x%04x\n", (unsigned)h, (double)f, back);
            continue;
        }
        /* bf16 is the top half of a float */
        if (f2u(f) != (h << 16) && bad++ < 5)
            fprintf(stderr, "  bf16 0x%04x -> 0x%08x, expected 0x%08x\n", (unsigned)h, f2u(f), h << 16);
        if (back != hh && bad++ < 5)
            fprintf(stderr, "  bf16 round trip 0x%04x -> 0x%04x\n", (unsigned)h, back);
    }
    if (bad) { mlct_failures++; fprintf(stderr, "  %d bf16 patterns wrong\n", bad); }
}

/* bf16 reference by value: the nearer of the two bf16 neighbours of x (the
   truncation and the next one up in magnitude), ties to the even one. */
static uint16_t ref_f32_to_bf16(float f) {
    uint32_t u = f2u(f);
    uint16_t t = (uint16_t)(u >> 16), up = (uint16_t)(t + 1);
    double x = fabs((double)f), vt, vu;
    if (isnan(f)) return 0x7fc0;
    if (isinf(f)) return t;
    vt = fabs((double)u2f((uint32_t)t << 16));
    vu = ((up & 0x7fff) == 0x7f80) ? ldexp(1.0, 128) : fabs((double)u2f((uint32_t)up << 16));
    if (x - vt < vu - x) return t;
    if (x - vt > vu - x) return up;
    return (t & 1) ? up : t;
}

static void test_bf16_rounding(void) {
    mlct_rng rng = { 777 };
    uint32_t h;
    int bad = 0, i, sign;
    /* every boundary: midpoint -> even, one float below -> down, above -> up */
    for (sign = 0; sign < 2; sign++) {
        for (h = 0; h < 0x7f80; h++) {
            uint32_t s = sign ? 0x80000000u : 0, hb = (uint32_t)h << 16;
            uint16_t sb = (uint16_t)(s >> 16), even = (uint16_t)((h & 1) ? h + 1 : h), got;
            got = mlc_f32_to_bf16(u2f(s | hb | 0x8000u));
            if (got != (uint16_t)(sb | even) && bad++ < 5)
                fprintf(stderr, "  bf16(0x%08x) = 0x%04x, expected 0x%04x\n", s | hb | 0x8000u, got, sb | even);
            got = mlc_f32_to_bf16(u2f(s | hb | 0x7fffu));
            if (got != (uint16_t)(sb | h) && bad++ < 5)
                fprintf(stderr, "  bf16(0x%08x) = 0x%04x, expected 0x%04x\n", s | hb | 0x7fffu, got, (unsigned)(sb | h));
            got = mlc_f32_to_bf16(u2f(s | hb | 0x8001u));
            if (got != (uint16_t)(sb | (h + 1)) && bad++ < 5)
                fprintf(stderr, "  bf16(0x%08x) = 0x%04x, expected 0x%04x\n", s | hb | 0x8001u, got, (unsigned)(sb | (h + 1)));
        }
    }
    /* random floats against the by-value reference */
    for (i = 0; i < 200000; i++) {
        float f = u2f(mlct_u32(&rng));
        uint16_t got = mlc_f32_to_bf16(f), want = ref_f32_to_bf16(f);
        if (isnan(f) ? !bf16_is_nan(got) : got != want) {
            if (bad++ < 5) fprintf(stderr, "  bf16(%.9g) = 0x%04x, expected 0x%04x\n", (double)f, got, want);
        }
    }
    if (bad) { mlct_failures++; fprintf(stderr, "  %d bf16 conversions wrong\n", bad); }
    /* hand-computed: bf16 has 8 significant bits, spacing 2^-7 at 1 */
    CHECK(mlc_bf16_to_f32(mlc_f32_to_bf16(1.0f + ldexpf(1.0f, -8))) == 1.0f);             /* tie -> even */
    CHECK(mlc_bf16_to_f32(mlc_f32_to_bf16(1.0f + 3.0f * ldexpf(1.0f, -8))) == 1.0f + ldexpf(1.0f, -6));
    CHECK(mlc_bf16_to_f32(mlc_f32_to_bf16(FLT_MAX)) == INFINITY);  /* above (2-2^-8)*2^127 */
    CHECK(mlc_bf16_to_f32(mlc_f32_to_bf16(-FLT_MAX)) == -INFINITY);
    CHECK(mlc_bf16_to_f32(mlc_f32_to_bf16(INFINITY)) == INFINITY);
    CHECK_EQ_INT(mlc_f32_to_bf16(-0.0f), 0x8000);
    CHECK_EQ_INT(mlc_f32_to_bf16(u2f(0x00008000u)), 0);           /* subnormal tie -> 0 */
    CHECK_EQ_INT(mlc_f32_to_bf16(u2f(0x00018000u)), 2);           /* subnormal tie -> even 2 */
    {
        static const uint32_t nans[] = { 0x7fc00000u, 0xffc00000u, 0x7f800001u, 0xff800001u,
                                         0x7f80ffffu, 0x7fffffffu, 0x7fff8000u, 0xffffffffu };
        for (i = 0; i < (int)(sizeof nans / sizeof nans[0]); i++) {
            uint16_t g = mlc_f32_to_bf16(u2f(nans[i]));
            if (!bf16_is_nan(g)) { mlct_failures++; fprintf(stderr, "  f32 NaN 0x%08x -> bf16 0x%04x\n", nans[i], g); }
        }
    }
}

/* ======================================================================== */
/* activations: SIMD vs scalar reference                                    */
/* ======================================================================== */

/* Lengths: every tail and body combination up to 70, and two big ones. */
static const size_t act_lengths[] = {
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24,
    25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47,
    48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70,
    1000, 4099 };
#define N_ACT_LENGTHS ((int)(sizeof act_lengths / sizeof act_lengths[0]))

/* Allowed |mlc_act_f32 - mlc_act_ref_f32| at input x, reference output r.
   u is the reference's ulp. The header states the vector kernels' errors
   against the exact function; the reference (libm) adds at most ~1 ulp of
   its own, counted in the "+ k u" terms.
   - NONE, RELU, RELU6, LEAKY_RELU: one IEEE operation (or none): exact.
   - HARDSIGMOID = clamp(x+3, 0, 6)/6: piecewise linear; x+3 rounds the same
     way everywhere, /6 and *fl(1/6) differ by at most 1 ulp: 1 ulp.
     (fma(x, 1/6, 1/2) would not do: it cancels near x = -3.)
   - HARDSWISH = x * clamp(x+3, 0, 6) / 6: piecewise quadratic; x*(c/6) and
     (x*c)/6 round twice in another order: 2 ulp.
   - SIGMOID, TANH: header abs 3e-7, plus 2 ulp for libm.
   - SILU = x * sigmoid: |x| * (3e-7 + 1.2e-7 (2 ulp of a sigmoid < 1)) + 2 ulp.
   - GELU = x/2 (1 + erf(x/sqrt2)): the header's erf bound 4e-7 times |x|/2;
     the rounding of x/sqrt2 moves erf by at most erf'(t)*t*2^-23 <=
     0.48 * 1.2e-7 and libm's erff adds ~1 ulp (6e-8): 1.2e-7 more; then 4
     ulp of the result for the final multiplies.
   - GELU_TANH = x/2 (1 + tanh(u)), u = sqrt(2/pi)(x + 0.044715 x^3): tanh's
     3e-7, plus u's ~4 roundings (rel 2.4e-7) times max |u| sech^2(u) = 0.45
     (1.1e-7), plus libm tanhf (6e-8): 5e-7 times |x|/2, + 4 ulp.
   - SOFTPLUS = log1p(exp(x)) (x > 20: x): the header states no bound. The exp
     error (rel 4e-7) moves log1p(e) by at most 4e-7 (d log1p(e) = e/(1+e) de/e);
     we allow 4e-7 + 4 ulp of the result + 1e-7 rel for the log.            */
static double act_tol(int act, float x, float r) {
    double ax = fabs((double)x), u = ulp_of(r);
    switch (act) {
    case MLC_ACT_NONE: case MLC_ACT_RELU: case MLC_ACT_RELU6: case MLC_ACT_LEAKY_RELU: return 0.0;
    case MLC_ACT_HARDSIGMOID: return u;
    case MLC_ACT_HARDSWISH: return 2.0 * u;
    case MLC_ACT_SIGMOID: return 3e-7 + 2.0 * u;
    case MLC_ACT_TANH: return 3e-7 + 2.0 * u;
    case MLC_ACT_SILU: return (3e-7 + 1.2e-7) * ax + 2.0 * u;
    case MLC_ACT_GELU: return (4e-7 + 1.2e-7) * ax * 0.5 + 4.0 * u;
    case MLC_ACT_GELU_TANH: return 5e-7 * ax * 0.5 + 4.0 * u;
    case MLC_ACT_SOFTPLUS: return 4e-7 + 4.0 * u + 1e-7 * fabs((double)r);
    default: return 0.0;
    }
}

/* Compares y to r element by element with act_tol; reports the worst. */
static int act_close(int act, const float *x, const float *y, const float *r, size_t n, const char *what) {
    size_t i, worst_i = 0;
    double worst = 0.0;
    int bad = 0;
    for (i = 0; i < n; i++) {
        double tol = act_tol(act, x[i], r[i]), d, ratio;
        if (isnan(r[i]) || isnan(y[i])) { d = (isnan(r[i]) && isnan(y[i])) ? 0.0 : INFINITY; }
        else if (isinf(r[i]) || isinf(y[i])) { d = (r[i] == y[i]) ? 0.0 : INFINITY; }
        else d = fabs((double)y[i] - (double)r[i]);
        if (d <= tol) continue;
        bad++;
        ratio = tol > 0 ? d / tol : INFINITY;
        if (ratio > worst || worst == 0.0) { worst = ratio; worst_i = i; }
    }
    if (bad) {
        mlct_failures++;
        fprintf(stderr, "  %s %s n=%zu: %d elements out of tolerance, worst x=%.9g got %.9g ref %.9g (|d| %.3g, tol %.3g)\n",
                mlc_act_name((mlc_act)act), what, n, bad, (double)x[worst_i], (double)y[worst_i], (double)r[worst_i],
                fabs((double)y[worst_i] - (double)r[worst_i]), act_tol(act, x[worst_i], r[worst_i]));
    }
    return bad;
}

/* Runs act on x[0..n) out of place (aligned and at +1 float), in place, and
   compares every form with the reference. Buffers are malloc'd at exact
   size so ASan sees overruns; a guard float checks the other end. */
static int act_all_forms(int act, float alpha, const float *src, size_t n) {
    float *xb = falloc(n + 1), *yb = falloc(n + 1), *r = falloc(n ? n : 1);
    const float guard = -1234.5f;
    int fails = 0;
    memcpy(xb, src, n * sizeof(float));
    if (mlc_act_ref_f32(r, xb, n, (mlc_act)act, alpha) != MLC_OK) { fails++; mlct_failures++; fprintf(stderr, "  ref failed\n"); }
    /* aligned (malloc) out of place; guard after */
    yb[n] = guard;
    CHECK_OK(mlc_act_f32(yb, xb, n, (mlc_act)act, alpha));
    fails += act_close(act, xb, yb, r, n, "out of place");
    if (f2u(yb[n]) != f2u(guard)) { fails++; mlct_failures++; fprintf(stderr, "  %s n=%zu wrote past the end\n", mlc_act_name((mlc_act)act), n); }
    /* in place */
    memcpy(yb, xb, n * sizeof(float));
    CHECK_OK(mlc_act_f32(yb, yb, n, (mlc_act)act, alpha));
    fails += act_close(act, xb, yb, r, n, "in place");
    /* unaligned: x+1, y+1 (the buffers end exactly at element n) */
    memmove(xb + 1, xb, n * sizeof(float));
    yb[0] = guard;
    CHECK_OK(mlc_act_f32(yb + 1, xb + 1, n, (mlc_act)act, alpha));
    fails += act_close(act, xb + 1, yb + 1, r, n, "unaligned");
    if (f2u(yb[0]) != f2u(guard)) { fails++; mlct_failures++; fprintf(stderr, "  %s n=%zu wrote before the start\n", mlc_act_name((mlc_act)act), n); }
    /* unaligned in place */
    memcpy(yb + 1, xb + 1, n * sizeof(float));
    CHECK_OK(mlc_act_f32(yb + 1, yb + 1, n, (mlc_act)act, alpha));
    fails += act_close(act, xb + 1, yb + 1, r, n, "unaligned in place");
    free(xb); free(yb); free(r);
    return fails;
}

static void test_act_vs_ref(void) {
    static const float ranges[] = { 1.0f, 10.0f, 100.0f };
    mlct_rng rng = { 4242 };
    float *x = falloc(4099);
    int act, ri, li;
    for (act = 0; act < MLC_ACT_COUNT; act++) {
        int fails = 0;
        for (ri = 0; ri < 3 && fails < 3; ri++) {
            for (li = 0; li < N_ACT_LENGTHS && fails < 3; li++) {
                size_t n = act_lengths[li];
                float alpha = (act == MLC_ACT_LEAKY_RELU && (li & 1)) ? 0.2f : 0.01f;
                mlct_fill(&rng, x, n, -ranges[ri], ranges[ri]);
                fails += act_all_forms(act, alpha, x, n);
            }
        }
    }
    free(x);
}

/* 0, -0, +-inf, NaN, huge and tiny values, at every position of a vector
   and of its tail. NaN in -> NaN out for every activation (PyTorch
   propagates NaN through all of them). For +-inf, PyTorch's value where it
   is a number; where PyTorch gives NaN (gelu, silu, hardswish at -inf: the
   product -inf * 0) we accept NaN or a zero. Finite inputs never give NaN,
   and they agree with the reference within act_tol. */
static void test_act_special_values(void) {
    static const float fin[] = { 0.0f, -0.0f, 1e30f, -1e30f, 1e-40f, -1e-40f, 1.17549435e-38f,
        88.8f, -88.8f, 20.0f, 20.0001f, 19.9999f, -3.0f, 3.0f, 6.0f, -6.0f, 1e5f, -1e5f,
        9.0f, -9.0f, 15.0f, -15.0f, 44.0f, -44.0f, 1e-7f, -1e-7f, 5e37f, -5e37f };
    /* (Not beyond FLT_MAX/6: there PyTorch's hardswish, x * relu6(x+3) / 6,
       overflows to inf, and so does the reference, while a kernel that
       scales first returns x; neither is wrong enough to test.) */
    const int nfin = (int)(sizeof fin / sizeof fin[0]);
    /* limits at +inf and -inf, PyTorch's values (NaN = "NaN or 0 accepted") */
    float pinf[MLC_ACT_COUNT], ninf[MLC_ACT_COUNT];
    size_t n = 37, i;
    float *x = falloc(n), *y = falloc(n), *r = falloc(n);
    int act, pos;
    pinf[MLC_ACT_NONE] = INFINITY;      ninf[MLC_ACT_NONE] = -INFINITY;
    pinf[MLC_ACT_RELU] = INFINITY;      ninf[MLC_ACT_RELU] = 0.0f;
    pinf[MLC_ACT_RELU6] = 6.0f;         ninf[MLC_ACT_RELU6] = 0.0f;
    pinf[MLC_ACT_LEAKY_RELU] = INFINITY; ninf[MLC_ACT_LEAKY_RELU] = -INFINITY;
    pinf[MLC_ACT_SIGMOID] = 1.0f;       ninf[MLC_ACT_SIGMOID] = 0.0f;
    pinf[MLC_ACT_TANH] = 1.0f;          ninf[MLC_ACT_TANH] = -1.0f;
    pinf[MLC_ACT_GELU] = INFINITY;      ninf[MLC_ACT_GELU] = NAN;
    pinf[MLC_ACT_GELU_TANH] = INFINITY; ninf[MLC_ACT_GELU_TANH] = NAN;
    pinf[MLC_ACT_SILU] = INFINITY;      ninf[MLC_ACT_SILU] = NAN;
    pinf[MLC_ACT_HARDSWISH] = INFINITY; ninf[MLC_ACT_HARDSWISH] = NAN;
    pinf[MLC_ACT_HARDSIGMOID] = 1.0f;   ninf[MLC_ACT_HARDSIGMOID] = 0.0f;
    pinf[MLC_ACT_SOFTPLUS] = INFINITY;  ninf[MLC_ACT_SOFTPLUS] = 0.0f;
    for (act = 0; act < MLC_ACT_COUNT; act++) {
        const float alpha = 0.01f;
        int bad = 0;
        for (pos = 0; pos < 3; pos++) {
            /* specials at a shifting offset so each lands in body and tail lanes */
            for (i = 0; i < n; i++) {
                size_t k = (i + (size_t)pos * 5) % (size_t)(nfin + 3);
                x[i] = k < (size_t)nfin ? fin[k] : (k == (size_t)nfin ? INFINITY : k == (size_t)nfin + 1 ? -INFINITY : NAN);
            }
            CHECK_OK(mlc_act_f32(y, x, n, (mlc_act)act, alpha));
            CHECK_OK(mlc_act_ref_f32(r, x, n, (mlc_act)act, alpha));
            for (i = 0; i < n; i++) {
                const char *why = NULL;
                int which;
                for (which = 0; which < 2; which++) {
                    float v = which ? r[i] : y[i];
                    if (isnan(x[i])) { if (!isnan(v)) why = "NaN in, number out"; }
                    else if (isinf(x[i])) {
                        float want = x[i] > 0 ? pinf[act] : ninf[act];
                        if (isnan(want)) { if (!(isnan(v) || v == 0.0f)) why = "wrong limit at inf"; }
                        else if (!(v == want)) why = "wrong limit at inf";
                    } else if (isnan(v)) why = "finite in, NaN out";
                    if (why) {
                        if (bad++ < 4)
                            fprintf(stderr, "  %s (%s): x=%g -> %g: %s\n", mlc_act_name((mlc_act)act),
                                    which ? "ref" : "simd", (double)x[i], (double)v, why);
                        why = NULL;
                    }
                }
                if (!isnan(x[i]) && !isinf(x[i]) && !isnan(r[i])) {
                    double d = isinf(r[i]) || isinf(y[i]) ? (r[i] == y[i] ? 0.0 : INFINITY) : fabs((double)y[i] - (double)r[i]);
                    if (!(d <= act_tol(act, x[i], r[i])) && bad++ < 4)
                        fprintf(stderr, "  %s: x=%.9g simd %.9g ref %.9g\n", mlc_act_name((mlc_act)act),
                                (double)x[i], (double)y[i], (double)r[i]);
                }
            }
        }
        if (bad) { mlct_failures++; fprintf(stderr, "  %s: %d special-value failures\n", mlc_act_name((mlc_act)act), bad); }
    }
    free(x); free(y); free(r);
}

static void test_act_errors(void) {
    float x[4] = { 1, 2, 3, 4 }, y[4];
    int act;
    for (act = 0; act < MLC_ACT_COUNT; act++) {
        CHECK_ERR(mlc_act_f32(NULL, x, 4, (mlc_act)act, 0.0f), MLC_ERR_NULL);
        CHECK_ERR(mlc_act_f32(y, NULL, 4, (mlc_act)act, 0.0f), MLC_ERR_NULL);
        CHECK_ERR(mlc_act_ref_f32(NULL, x, 4, (mlc_act)act, 0.0f), MLC_ERR_NULL);
        CHECK_OK(mlc_act_f32(NULL, NULL, 0, (mlc_act)act, 0.0f));     /* n == 0: nothing to do */
        CHECK_OK(mlc_act_ref_f32(NULL, NULL, 0, (mlc_act)act, 0.0f));
    }
    CHECK_ERR(mlc_act_f32(y, x, 4, MLC_ACT_COUNT, 0.0f), MLC_ERR_ARG);
    CHECK_ERR(mlc_act_ref_f32(y, x, 4, MLC_ACT_COUNT, 0.0f), MLC_ERR_ARG);
    CHECK_ERR(mlc_act_f32(y, x, 4, (mlc_act)15, 0.0f), MLC_ERR_ARG);
#ifndef __cplusplus
    CHECK_ERR(mlc_act_f32(y, x, 4, (mlc_act)-1, 0.0f), MLC_ERR_ARG);
    CHECK_ERR(mlc_act_f32(y, x, 4, (mlc_act)1000, 0.0f), MLC_ERR_ARG);
#endif
    CHECK_ERR(mlc_exp_f32(NULL, x, 4), MLC_ERR_NULL);
    CHECK_ERR(mlc_exp_f32(y, NULL, 4), MLC_ERR_NULL);
    CHECK_ERR(mlc_tanh_f32(NULL, x, 4), MLC_ERR_NULL);
    CHECK_ERR(mlc_tanh_f32(y, NULL, 4), MLC_ERR_NULL);
    CHECK_OK(mlc_exp_f32(NULL, NULL, 0));
    CHECK_OK(mlc_tanh_f32(NULL, NULL, 0));
}

/* exp and tanh kernels vs their references, every length, in place and unaligned. */
static void test_exp_tanh_vs_ref(void) {
    mlct_rng rng = { 99 };
    int li, which, bad = 0;
    for (which = 0; which < 2; which++) {
        for (li = 0; li < N_ACT_LENGTHS; li++) {
            size_t n = act_lengths[li], i;
            float *x = falloc(n + 1), *y = falloc(n + 1), *r = falloc(n + 1);
            /* exp on [-87, 88] where the header bounds its error; tanh on [-10, 10] */
            if (which == 0) mlct_fill(&rng, x, n + 1, -87.0f, 88.0f);
            else mlct_fill(&rng, x, n + 1, -10.0f, 10.0f);
            for (i = 0; i < 2; i++) {           /* i = 0: aligned, 1: at +1 float */
                float *xi = x + i, *yi = y + i;
                if (which == 0) { CHECK_OK(mlc_exp_f32(yi, xi, n)); CHECK_OK(mlc_exp_ref_f32(r, xi, n)); }
                else { CHECK_OK(mlc_tanh_f32(yi, xi, n)); CHECK_OK(mlc_tanh_ref_f32(r, xi, n)); }
                {
                    size_t j;
                    for (j = 0; j < n; j++) {
                        /* exp: 4e-7 relative + 1 ulp for libm; tanh: 3e-7 + 2 ulp */
                        double tol = which == 0 ? 4e-7 * fabs((double)r[j]) + ulp_of(r[j]) : 3e-7 + 2.0 * ulp_of(r[j]);
                        double d = fabs((double)yi[j] - (double)r[j]);
                        if (!(d <= tol) && bad++ < 5)
                            fprintf(stderr, "  %s(%.9g) = %.9g, ref %.9g\n", which ? "tanh" : "exp", (double)xi[j], (double)yi[j], (double)r[j]);
                    }
                }
                /* in place */
                memcpy(yi, xi, n * sizeof(float));
                if (which == 0) CHECK_OK(mlc_exp_f32(yi, yi, n)); else CHECK_OK(mlc_tanh_f32(yi, yi, n));
                {
                    size_t j;
                    for (j = 0; j < n; j++) {
                        double tol = which == 0 ? 4e-7 * fabs((double)r[j]) + ulp_of(r[j]) : 3e-7 + 2.0 * ulp_of(r[j]);
                        if (!(fabs((double)yi[j] - (double)r[j]) <= tol) && bad++ < 5)
                            fprintf(stderr, "  in place %s(%.9g) = %.9g, ref %.9g\n", which ? "tanh" : "exp", (double)xi[j], (double)yi[j], (double)r[j]);
                    }
                }
            }
            free(x); free(y); free(r);
        }
    }
    if (bad) { mlct_failures++; fprintf(stderr, "  %d exp/tanh elements out of tolerance\n", bad); }
}

/* ======================================================================== */
/* the header's stated accuracy, against double precision                   */
/* ======================================================================== */

#define SWEEP_N (1 << 19)

/* exp: relative error <= 4e-7 on [-87, 88], 0 below, inf above. */
static void test_exp_accuracy(void) {
    float *x = falloc(SWEEP_N), *y = falloc(SWEEP_N);
    mlct_rng rng = { 2024 };
    size_t i, worst_i = 0;
    double worst = 0.0;
    const double lo = -87.0, hi = 88.0;
    for (i = 0; i < SWEEP_N; i++) {
        /* a dense grid with a random offset inside each cell */
        float v = (float)(lo + (hi - lo) * ((double)i + (double)mlct_uniform(&rng, 0.0f, 1.0f)) / SWEEP_N);
        x[i] = v < (float)lo ? (float)lo : v > (float)hi ? (float)hi : v;
    }
    CHECK_OK(mlc_exp_f32(y, x, SWEEP_N));
    for (i = 0; i < SWEEP_N; i++) {
        double t = exp((double)x[i]), e = fabs((double)y[i] - t) / t;
        if (!(e <= worst)) { worst = e; worst_i = i; }
    }
    if (verbose()) printf("  exp: max relative error %.3g at x=%.9g\n", worst, (double)x[worst_i]);
    if (!(worst <= 4e-7)) {
        mlct_failures++;
        fprintf(stderr, "  exp: max relative error %.3g > 4e-7 at x=%.9g (got %.9g, exact %.9g)\n",
                worst, (double)x[worst_i], (double)y[worst_i], exp((double)x[worst_i]));
    }
    /* also the grid of exact multiples of ln2/2 and integers, where range
       reductions switch */
    {
        int k, bad = 0;
        for (k = -250; k <= 252; k++) {
            float v[3]; int j;
            v[0] = (float)(k * 0.34657359027997264);  /* ln2/2 */
            v[1] = nextafterf(v[0], -INFINITY); v[2] = nextafterf(v[0], INFINITY);
            for (j = 0; j < 3; j++) {
                float yy, xx = v[j];
                double t;
                if (xx < -87.0f || xx > 88.0f) continue;
                CHECK_OK(mlc_exp_f32(&yy, &xx, 1));
                t = exp((double)xx);
                if (!(fabs((double)yy - t) / t <= 4e-7) && bad++ < 3)
                    fprintf(stderr, "  exp(%.9g) = %.9g, exact %.9g\n", (double)xx, (double)yy, t);
            }
        }
        if (bad) mlct_failures++;
    }
    /* below and above the range */
    {
        float xs[12], ys[12];
        int j;
        xs[0] = -88.0f; xs[1] = -100.0f; xs[2] = -104.0f; xs[3] = -1000.0f; xs[4] = -FLT_MAX; xs[5] = -INFINITY;
        xs[6] = 89.0f; xs[7] = 100.0f; xs[8] = 1000.0f; xs[9] = FLT_MAX; xs[10] = INFINITY; xs[11] = NAN;
        CHECK_OK(mlc_exp_f32(ys, xs, 12));
        /* (-88: the true value 6e-39 is subnormal; anything in [0, exp(-87)] is fine) */
        CHECK(ys[0] >= 0.0f && ys[0] <= (float)exp(-87.0));
        for (j = 1; j < 6; j++) {
            if (!(ys[j] == 0.0f)) { mlct_failures++; fprintf(stderr, "  exp(%g) = %g, expected 0\n", (double)xs[j], (double)ys[j]); }
        }
        for (j = 6; j < 11; j++) {
            if (!(ys[j] == INFINITY)) { mlct_failures++; fprintf(stderr, "  exp(%g) = %g, expected inf\n", (double)xs[j], (double)ys[j]); }
        }
        CHECK(isnan(ys[11]));
        /* between 88 and 89 the true value is finite up to 88.72: not NaN, not below exp(88) */
        xs[0] = 88.5f; xs[1] = 88.72f; xs[2] = 88.8f;
        CHECK_OK(mlc_exp_f32(ys, xs, 3));
        for (j = 0; j < 3; j++) CHECK(ys[j] >= (float)exp(88.0) * (1.0f - 4e-7f));
    }
    free(x); free(y);
}

/* tanh: absolute error <= 3e-7 on [-10, 10] (and beyond), relative <= 5e-7
   near 0, which we take as |x| <= 1/2 down to the smallest subnormal; an
   exp-based formula 1 - 2/(1+e^2x) loses all its relative accuracy there. */
static void test_tanh_accuracy(void) {
    float *x = falloc(SWEEP_N), *y = falloc(SWEEP_N);
    mlct_rng rng = { 31337 };
    size_t i, worst_i = 0, worst_ri = 0;
    double worst = 0.0, worst_rel = 0.0;
    for (i = 0; i < SWEEP_N; i++)
        x[i] = (float)(-10.0 + 20.0 * ((double)i + (double)mlct_uniform(&rng, 0.0f, 1.0f)) / SWEEP_N);
    CHECK_OK(mlc_tanh_f32(y, x, SWEEP_N));
    for (i = 0; i < SWEEP_N; i++) {
        double e = fabs((double)y[i] - tanh((double)x[i]));
        if (!(e <= worst)) { worst = e; worst_i = i; }
    }
    if (verbose()) printf("  tanh: max absolute error %.3g at x=%.9g\n", worst, (double)x[worst_i]);
    if (!(worst <= 3e-7)) {
        mlct_failures++;
        fprintf(stderr, "  tanh: max absolute error %.3g > 3e-7 at x=%.9g (got %.9g, exact %.9g)\n",
                worst, (double)x[worst_i], (double)y[worst_i], tanh((double)x[worst_i]));
    }
    /* near 0: logarithmic sweep of magnitudes from 2^-149 to 2^-1, both signs */
    for (i = 0; i < SWEEP_N; i++) {
        double m = ldexp(1.0, -149) * pow(2.0, 148.0 * ((double)i / SWEEP_N));
        x[i] = (float)((i & 1) ? -m : m);
        if (x[i] == 0.0f) x[i] = u2f(1);
    }
    CHECK_OK(mlc_tanh_f32(y, x, SWEEP_N));
    for (i = 0; i < SWEEP_N; i++) {
        double t = tanh((double)x[i]), e = fabs((double)y[i] - t) / fabs(t);
        if (!(e <= worst_rel)) { worst_rel = e; worst_ri = i; }
    }
    if (verbose()) printf("  tanh: max relative error near 0 %.3g at x=%.9g\n", worst_rel, (double)x[worst_ri]);
    if (!(worst_rel <= 5e-7)) {
        mlct_failures++;
        fprintf(stderr, "  tanh: max relative error %.3g > 5e-7 at x=%.9g (got %.9g, exact %.9g)\n",
                worst_rel, (double)x[worst_ri], (double)y[worst_ri], tanh((double)x[worst_ri]));
    }
    /* saturation */
    {
        float xs[6], ys[6];
        int j;
        xs[0] = 10.0f; xs[1] = 20.0f; xs[2] = 1e30f; xs[3] = -10.0f; xs[4] = -20.0f; xs[5] = -1e30f;
        CHECK_OK(mlc_tanh_f32(ys, xs, 6));
        for (j = 0; j < 6; j++) CHECK(fabs((double)ys[j] - tanh((double)xs[j])) <= 3e-7);
        for (j = 0; j < 6; j++) CHECK(fabs((double)ys[j]) <= 1.0);
    }
    free(x); free(y);
}

/* sigmoid abs <= 3e-7; erf abs <= 4e-7, seen through GELU as 4e-7 |x|/2;
   silu = x sigmoid(x): 3e-7 |x|; gelu_tanh through tanh's 3e-7 as 3e-7
   |x|/2 plus its argument's roundings (1.1e-7, see act_tol); softplus (no
   stated bound) through exp's 4e-7 as 4e-7 absolute, plus 1e-7 relative
   for the log. Plus 2 ulp of rounding in the surrounding operations. */
static void test_sigmoid_gelu_silu_accuracy(void) {
    const size_t n = SWEEP_N / 4;
    float *x = falloc(n), *y = falloc(n);
    mlct_rng rng = { 555 };
    static const int acts[5] = { MLC_ACT_SIGMOID, MLC_ACT_GELU, MLC_ACT_SILU, MLC_ACT_GELU_TANH, MLC_ACT_SOFTPLUS };
    int a;
    for (a = 0; a < 5; a++) {
        size_t i, worst_i = 0;
        double worst = 0.0, worst_e = 0.0;
        for (i = 0; i < n; i++) x[i] = (float)(-20.0 + 40.0 * ((double)i + (double)mlct_uniform(&rng, 0.0f, 1.0f)) / n);
        CHECK_OK(mlc_act_f32(y, x, n, (mlc_act)acts[a], 0.0f));
        for (i = 0; i < n; i++) {
            double xd = (double)x[i], t, tol, e;
            if (acts[a] == MLC_ACT_SIGMOID) { t = 1.0 / (1.0 + exp(-xd)); tol = 3e-7; }
            else if (acts[a] == MLC_ACT_GELU) { t = 0.5 * xd * (1.0 + erf(xd / sqrt(2.0))); tol = (4e-7 + 6e-8) * fabs(xd) * 0.5; }
            else if (acts[a] == MLC_ACT_SILU) { t = xd / (1.0 + exp(-xd)); tol = 3e-7 * fabs(xd); }
            else if (acts[a] == MLC_ACT_GELU_TANH) {
                t = 0.5 * xd * (1.0 + tanh(sqrt(2.0 / 3.14159265358979323846) * (xd + 0.044715 * xd * xd * xd)));
                tol = (3e-7 + 1.1e-7) * fabs(xd) * 0.5;
            } else { t = xd > 20.0 ? xd : log1p(exp(xd)); tol = 4e-7 + 1e-7 * fabs(t); }
            tol += 2.0 * ulp_of((float)t);
            e = fabs((double)y[i] - t);
            if (!(e / tol <= worst)) { worst = e / tol; worst_e = e; worst_i = i; }
        }
        if (verbose()) printf("  %s: worst error %.3g (%.2f of tolerance) at x=%.9g\n", mlc_act_name((mlc_act)acts[a]), worst_e, worst, (double)x[worst_i]);
        if (!(worst <= 1.0)) {
            mlct_failures++;
            fprintf(stderr, "  %s: error %.3g at x=%.9g is %.2f times the stated bound (got %.9g)\n",
                    mlc_act_name((mlc_act)acts[a]), worst_e, (double)x[worst_i], worst, (double)y[worst_i]);
        }
    }
    free(x); free(y);
}

/* ======================================================================== */
/* add, mul, scale                                                          */
/* ======================================================================== */

static void test_elementwise(void) {
    mlct_rng rng = { 8080 };
    int li, op, bad = 0;
    for (li = 0; li < N_ACT_LENGTHS; li++) {
        size_t n = act_lengths[li], i;
        float *a = falloc(n + 1), *b = falloc(n + 1), *y = falloc(n + 1), *r = falloc(n + 1), *t = falloc(n + 1);
        float s = mlct_uniform(&rng, -3.0f, 3.0f), sh = mlct_uniform(&rng, -3.0f, 3.0f);
        mlct_fill(&rng, a, n + 1, -100.0f, 100.0f);
        mlct_fill(&rng, b, n + 1, -100.0f, 100.0f);
        if (n > 8) { a[3] = INFINITY; b[3] = -INFINITY; a[5] = NAN; b[7] = -0.0f; a[7] = 0.0f; a[8] = 1e-40f; }
        for (op = 0; op < 3; op++) {
            int form;
            if (op == 0) CHECK_OK(mlc_add_ref_f32(r, a, b, n));
            else if (op == 1) CHECK_OK(mlc_mul_ref_f32(r, a, b, n));
            else CHECK_OK(mlc_scale_ref_f32(r, a, s, sh, n));
            for (form = 0; form < 5; form++) {
                /* 0: out of place, 1: y == a, 2: y == b, 3: unaligned, 4: unaligned in place */
                const float *pa = a, *pb = b;
                float *py = y;
                if (form == 1) { memcpy(t, a, n * sizeof(float)); pa = py = t; }
                if (form == 2) { memcpy(t, b, n * sizeof(float)); pb = py = t; if (op == 2) continue; }
                if (form == 3) { memmove(t + 1, a, n * sizeof(float)); pa = t + 1; py = y + 1; }
                if (form == 4) { memmove(t + 1, a, n * sizeof(float)); pa = py = t + 1; }
                if (op == 0) CHECK_OK(mlc_add_f32(py, pa, (form >= 3) ? b : pb, n));
                else if (op == 1) CHECK_OK(mlc_mul_f32(py, pa, (form >= 3) ? b : pb, n));
                else CHECK_OK(mlc_scale_f32(py, pa, s, sh, n));
                for (i = 0; i < n; i++) {
                    /* add and mul are one IEEE operation: bit-exact. scale may be
                       x*s+b rounded twice (the reference) or once (fma). */
                    int ok = same_float(py[i], r[i]);
                    if (!ok && op == 2) ok = same_float(py[i], fmaf(a[i], s, sh));
                    if (!ok && bad++ < 5)
                        fprintf(stderr, "  op %d form %d n=%zu [%zu]: %.9g vs ref %.9g\n", op, form, n, i, (double)py[i], (double)r[i]);
                }
            }
        }
        free(a); free(b); free(y); free(r); free(t);
    }
    if (bad) { mlct_failures++; fprintf(stderr, "  %d elementwise results differ\n", bad); }
    {
        float v[4] = { 1, 2, 3, 4 }, w[4];
        CHECK_ERR(mlc_add_f32(NULL, v, v, 4), MLC_ERR_NULL);
        CHECK_ERR(mlc_add_f32(w, NULL, v, 4), MLC_ERR_NULL);
        CHECK_ERR(mlc_add_f32(w, v, NULL, 4), MLC_ERR_NULL);
        CHECK_ERR(mlc_mul_f32(NULL, v, v, 4), MLC_ERR_NULL);
        CHECK_ERR(mlc_mul_f32(w, v, NULL, 4), MLC_ERR_NULL);
        CHECK_ERR(mlc_scale_f32(NULL, v, 1.0f, 0.0f, 4), MLC_ERR_NULL);
        CHECK_ERR(mlc_scale_f32(w, NULL, 1.0f, 0.0f, 4), MLC_ERR_NULL);
        CHECK_OK(mlc_add_f32(NULL, NULL, NULL, 0));
        CHECK_OK(mlc_mul_f32(NULL, NULL, NULL, 0));
        CHECK_OK(mlc_scale_f32(NULL, NULL, 1.0f, 0.0f, 0));
    }
}

/* Tensor forms of act/add/mul: shape and dtype checks, per-channel b. */
static void test_tensor_elementwise(void) {
    mlct_rng rng = { 1717 };
    const int d0 = 3, d1 = 5, d2 = 7;
    const size_t n = (size_t)d0 * d1 * d2;
    float *a = falloc(n), *b = falloc(n), *y = falloc(n), *r = falloc(n), *c = falloc((size_t)d2);
    mlc_tensor ta, tb, ty, tc, bad;
    size_t i;
    int act;
    mlct_fill(&rng, a, n, -4.0f, 4.0f);
    mlct_fill(&rng, b, n, -4.0f, 4.0f);
    mlct_fill(&rng, c, (size_t)d2, -4.0f, 4.0f);
    ta = mlc_tensor_3d(a, d0, d1, d2); tb = mlc_tensor_3d(b, d0, d1, d2);
    ty = mlc_tensor_3d(y, d0, d1, d2); tc = mlc_tensor_1d(c, d2);
    for (act = 0; act < MLC_ACT_COUNT; act++) {
        CHECK_OK(mlc_activate(&ty, &ta, (mlc_act)act, 0.05f));
        CHECK_OK(mlc_act_ref_f32(r, a, n, (mlc_act)act, 0.05f));
        act_close(act, a, y, r, n, "tensor form");
    }
    CHECK_OK(mlc_add(&ty, &ta, &tb));
    for (i = 0; i < n; i++) if (!same_float(y[i], a[i] + b[i])) { mlct_failures++; fprintf(stderr, "  add [%zu]\n", i); break; }
    CHECK_OK(mlc_mul(&ty, &ta, &tb));
    for (i = 0; i < n; i++) if (!same_float(y[i], a[i] * b[i])) { mlct_failures++; fprintf(stderr, "  mul [%zu]\n", i); break; }
    CHECK_OK(mlc_add(&ty, &ta, &tc));      /* per channel: b is the last dimension */
    for (i = 0; i < n; i++) if (!same_float(y[i], a[i] + c[i % (size_t)d2])) { mlct_failures++; fprintf(stderr, "  add per-channel [%zu]\n", i); break; }
    CHECK_OK(mlc_mul(&ty, &ta, &tc));
    for (i = 0; i < n; i++) if (!same_float(y[i], a[i] * c[i % (size_t)d2])) { mlct_failures++; fprintf(stderr, "  mul per-channel [%zu]\n", i); break; }
    /* in place: y is a */
    memcpy(y, a, n * sizeof(float));
    CHECK_OK(mlc_add(&ty, &ty, &tc));
    for (i = 0; i < n; i++) if (!same_float(y[i], a[i] + c[i % (size_t)d2])) { mlct_failures++; fprintf(stderr, "  in-place add [%zu]\n", i); break; }
    memcpy(y, a, n * sizeof(float));
    CHECK_OK(mlc_activate(&ty, &ty, MLC_ACT_RELU, 0.0f));
    for (i = 0; i < n; i++) if (!same_float(y[i], a[i] > 0.0f ? a[i] : 0.0f) && !(a[i] == 0.0f && y[i] == 0.0f)) { mlct_failures++; fprintf(stderr, "  in-place relu [%zu]\n", i); break; }
    /* errors */
    bad = mlc_tensor_3d(y, d0, d1, d2 - 1);
    CHECK_ERR(mlc_activate(&bad, &ta, MLC_ACT_RELU, 0.0f), MLC_ERR_SHAPE);
    CHECK_ERR(mlc_add(&bad, &ta, &tb), MLC_ERR_SHAPE);
    CHECK_ERR(mlc_add(&ty, &ta, &bad), MLC_ERR_SHAPE);
    CHECK_ERR(mlc_mul(&ty, &ta, &bad), MLC_ERR_SHAPE);
    bad = mlc_tensor_1d(c, d2 - 1);        /* 1-D of the wrong length */
    CHECK_ERR(mlc_add(&ty, &ta, &bad), MLC_ERR_SHAPE);
    bad = mlc_tensor_2d(y, d0 * d1, d2);    /* same numel, other shape */
    CHECK_ERR(mlc_activate(&bad, &ta, MLC_ACT_RELU, 0.0f), MLC_ERR_SHAPE);
    CHECK_ERR(mlc_add(&bad, &ta, &tb), MLC_ERR_SHAPE);
    bad = ta; bad.dtype = MLC_F16;
    CHECK_ERR(mlc_activate(&ty, &bad, MLC_ACT_RELU, 0.0f), MLC_ERR_DTYPE);
    CHECK_ERR(mlc_add(&ty, &bad, &tb), MLC_ERR_DTYPE);
    CHECK_ERR(mlc_mul(&ty, &ta, &bad), MLC_ERR_DTYPE);
    CHECK_ERR(mlc_activate(&ty, &ta, MLC_ACT_COUNT, 0.0f), MLC_ERR_ARG);
    CHECK_ERR(mlc_activate(NULL, &ta, MLC_ACT_RELU, 0.0f), MLC_ERR_NULL);
    CHECK_ERR(mlc_activate(&ty, NULL, MLC_ACT_RELU, 0.0f), MLC_ERR_NULL);
    CHECK_ERR(mlc_add(&ty, &ta, NULL), MLC_ERR_NULL);
    CHECK_ERR(mlc_mul(NULL, &ta, &tb), MLC_ERR_NULL);
    bad = ta; bad.data = NULL;
    CHECK_ERR(mlc_activate(&ty, &bad, MLC_ACT_RELU, 0.0f), MLC_ERR_NULL);
    free(a); free(b); free(y); free(r); free(c);
}

/* ======================================================================== */
/* softmax                                                                  */
/* ======================================================================== */

/* Softmax / log-softmax in double over [outer, n, inner]. */
static void softmax_double(double *t, const float *x, size_t outer, size_t n, size_t inner, int log_form) {
    size_t o, i, j;
    for (o = 0; o < outer; o++) {
        for (j = 0; j < inner; j++) {
            double mx = -INFINITY, s = 0.0;
            for (i = 0; i < n; i++) { double v = x[(o * n + i) * inner + j]; if (v > mx) mx = v; }
            for (i = 0; i < n; i++) s += exp((double)x[(o * n + i) * inner + j] - mx);
            for (i = 0; i < n; i++) {
                double v = (double)x[(o * n + i) * inner + j] - mx;
                t[(o * n + i) * inner + j] = log_form ? v - log(s) : exp(v) / s;
            }
        }
    }
}

/* Checks y against the double softmax.
   - The sum S of n floats drifts like a random walk of roundings when it
     runs down a long sequence (the reference; a strided column when inner >
     1): we allow sum_tol(n) = 3 sqrt(n) 2^-24 relative (1e-6 at n = 30,
     1.1e-5 at n = 4099). PyTorch drifts the same way: its softmax over dim 1
     of uniform [-10,10] inputs of shape [1,1000,16] sums to 1 +- 1.8e-6,
     [1,4099,1] to 1 +- 4.3e-6.
   - Each y_i = exp(d_i) / S with d_i = x_i - max rounded to float: |d_i|
     2^-24 absolute in the exponent, i.e. relative in y_i, which no float
     softmax avoids.
   - On top, 1e-6 relative: exp's 4e-7 on the element and (as an average) on
     the sum, the division.
   So softmax: |y - t| <= (1e-6 + sum_tol(n) + |d| 2^-24) t, plus 1e-37 for
   results in the subnormal range (relative, because tiny probabilities must
   stay accurate too); each row sums to 1 within max(1e-6, sum_tol(n)).
   Log-softmax y = d - log S: |y - t| <= 1e-6 + sum_tol(n) + |d| 2^-24 +
   2 ulp(t) (the log of S carries S's relative error as absolute). */
static double softmax_sum_tol(size_t n) { return 3.0 * sqrt((double)n) * TWO_M24; }
static int softmax_check(const float *y, const double *t, const float *x, size_t outer, size_t n, size_t inner,
                         int log_form, const char *what) {
    size_t o, i, j;
    int bad = 0;
    for (o = 0; o < outer; o++) {
        for (j = 0; j < inner; j++) {
            double mx = -INFINITY, s = 0.0;
            for (i = 0; i < n; i++) if ((double)x[(o * n + i) * inner + j] > mx) mx = x[(o * n + i) * inner + j];
            for (i = 0; i < n; i++) {
                size_t at = (o * n + i) * inner + j;
                double d = mx - (double)x[at], tol, err;
                double base = 1e-6 + softmax_sum_tol(n) + (isinf(d) ? 0.0 : d) * TWO_M24 * 1.01;
                if (log_form) tol = base + 2.0 * ulp_of((float)t[at]);
                else tol = base * t[at] + 1e-37;
                err = isinf(t[at]) ? ((double)y[at] == t[at] ? 0.0 : INFINITY) : fabs((double)y[at] - t[at]);
                if (!(err <= tol) && bad++ < 3)
                    fprintf(stderr, "  %ssoftmax%s (%zu,%zu,%zu) [%zu]: %.9g vs exact %.9g (x - max = %.9g)\n",
                            log_form ? "log_" : "", what, outer, n, inner, at, (double)y[at], t[at], -d);
                s += y[at];
            }
            if (!log_form && !(fabs(s - 1.0) <= (softmax_sum_tol(n) > 1e-6 ? softmax_sum_tol(n) : 1e-6)) && bad++ < 3)
                fprintf(stderr, "  softmax%s (%zu,%zu,%zu) row (%zu,%zu) sums to 1%+.3g\n", what, outer, n, inner, o, j, s - 1.0);
        }
    }
    if (bad) mlct_failures++;
    return bad;
}

static void test_softmax_grid(void) {
    static const size_t outers[] = { 1, 2, 3 };
    static const size_t ns[] = { 1, 2, 3, 5, 8, 15, 16, 17, 33, 100, 1000, 4099 };
    static const size_t inners[] = { 1, 2, 3, 16, 17 };
    mlct_rng rng = { 606 };
    size_t oi, ni, ii;
    int lf, fails = 0;
    for (oi = 0; oi < 3; oi++) for (ni = 0; ni < sizeof ns / sizeof ns[0]; ni++) for (ii = 0; ii < 5; ii++) {
        size_t outer = outers[oi], n = ns[ni], inner = inners[ii], total = outer * n * inner;
        float *x, *y, *r, *yb;
        double *t;
        if (total > 30000 || fails > 5) continue;
        x = falloc(total); y = falloc(total); r = falloc(total); yb = falloc(total + 1);
        t = (double *)xmalloc(total * sizeof(double));
        mlct_fill(&rng, x, total, -10.0f, 10.0f);
        for (lf = 0; lf < 2; lf++) {
            if (lf == 0) { CHECK_OK(mlc_softmax_f32(y, x, outer, n, inner)); CHECK_OK(mlc_softmax_ref_f32(r, x, outer, n, inner)); }
            else { CHECK_OK(mlc_log_softmax_f32(y, x, outer, n, inner)); CHECK_OK(mlc_log_softmax_ref_f32(r, x, outer, n, inner)); }
            softmax_double(t, x, outer, n, inner, lf);
            fails += softmax_check(y, t, x, outer, n, inner, lf, "");
            fails += softmax_check(r, t, x, outer, n, inner, lf, " (ref)");
            /* in place and unaligned (ends at the end of the malloc) */
            memcpy(yb + 1, x, total * sizeof(float));
            if (lf == 0) CHECK_OK(mlc_softmax_f32(yb + 1, yb + 1, outer, n, inner));
            else CHECK_OK(mlc_log_softmax_f32(yb + 1, yb + 1, outer, n, inner));
            fails += softmax_check(yb + 1, t, x, outer, n, inner, lf, " (in place, unaligned)");
        }
        free(x); free(y); free(r); free(yb); free(t);
    }
}

/* Large magnitudes (a naive exp overflows), a -inf (an attention mask), rows
   of equal values, one-element rows. */
static void test_softmax_extremes(void) {
    const size_t n = 37;
    float x[37], y[37];
    double t[37];
    size_t i;
    int lf, variant;
    for (variant = 0; variant < 5; variant++) {
        for (i = 0; i < n; i++) {
            switch (variant) {
            case 0: x[i] = 1e4f + (float)(i % 7); break;                 /* all huge */
            case 1: x[i] = (i % 3 == 0) ? 1e4f : (i % 3 == 1) ? -1e4f : 0.0f; break;
            case 2: x[i] = -1e4f - (float)i; break;                      /* all hugely negative */
            case 3: x[i] = (i == 5 || i == 30) ? -INFINITY : (float)i * 0.25f; break;
            default: x[i] = 3.0f; break;                                 /* all equal */
            }
        }
        for (lf = 0; lf < 2; lf++) {
            if (lf == 0) CHECK_OK(mlc_softmax_f32(y, x, 1, n, 1)); else CHECK_OK(mlc_log_softmax_f32(y, x, 1, n, 1));
            softmax_double(t, x, 1, n, 1, lf);
            for (i = 0; i < n; i++) {
                if (isinf(t[i])) { if (!(y[i] == (float)t[i])) { mlct_failures++; fprintf(stderr, "  variant %d [%zu]: %g, expected %g\n", variant, i, (double)y[i], t[i]); } }
                else if (!isfinite(y[i])) { mlct_failures++; fprintf(stderr, "  variant %d [%zu]: %g not finite (lf %d)\n", variant, i, (double)y[i], lf); break; }
            }
            softmax_check(y, t, x, 1, n, 1, lf, " extreme");
            if (variant == 3 && lf == 0) CHECK(y[5] == 0.0f && y[30] == 0.0f);
        }
    }
    /* n = 1: softmax is exactly 1, log-softmax exactly 0, whatever x */
    {
        float xs[4], ys[4];
        xs[0] = -1e30f; xs[1] = 0.0f; xs[2] = 1e30f; xs[3] = 7.0f;
        CHECK_OK(mlc_softmax_f32(ys, xs, 4, 1, 1));
        for (i = 0; i < 4; i++) CHECK(ys[i] == 1.0f);
        CHECK_OK(mlc_log_softmax_f32(ys, xs, 4, 1, 1));
        for (i = 0; i < 4; i++) CHECK(ys[i] == 0.0f);
    }
    /* a NaN poisons its own row only */
    {
        float xs[6], ys[6];
        for (i = 0; i < 6; i++) xs[i] = (float)i;
        xs[1] = NAN;
        CHECK_OK(mlc_softmax_f32(ys, xs, 2, 3, 1));
        CHECK(isnan(ys[0]) && isnan(ys[1]) && isnan(ys[2]));
        CHECK(isfinite(ys[3]) && isfinite(ys[4]) && isfinite(ys[5]));
    }
    {
        float v[4];
        CHECK_ERR(mlc_softmax_f32(NULL, v, 1, 4, 1), MLC_ERR_NULL);
        CHECK_ERR(mlc_softmax_f32(v, NULL, 1, 4, 1), MLC_ERR_NULL);
        CHECK_ERR(mlc_log_softmax_f32(NULL, v, 1, 4, 1), MLC_ERR_NULL);
        CHECK_ERR(mlc_log_softmax_f32(v, NULL, 1, 4, 1), MLC_ERR_NULL);
    }
}

static void test_softmax_tensor(void) {
    mlct_rng rng = { 4711 };
    const int d0 = 2, d1 = 3, d2 = 4;
    const size_t n = 24;
    float x[24], y[24], r[24], z[24];
    uint16_t h[24];
    mlc_tensor tx, ty, tb;
    int axis, lf;
    mlct_fill(&rng, x, n, -5.0f, 5.0f);
    tx = mlc_tensor_3d(x, d0, d1, d2);
    ty = mlc_tensor_3d(y, d0, d1, d2);
    for (lf = 0; lf < 2; lf++) {
        for (axis = -3; axis <= 2; axis++) {
            int ax = axis < 0 ? axis + 3 : axis;
            size_t outer = ax == 0 ? 1 : ax == 1 ? (size_t)d0 : (size_t)(d0 * d1);
            size_t len = ax == 0 ? (size_t)d0 : ax == 1 ? (size_t)d1 : (size_t)d2;
            size_t inner = ax == 0 ? (size_t)(d1 * d2) : ax == 1 ? (size_t)d2 : 1;
            double t[24];
            if (lf == 0) { CHECK_OK(mlc_softmax(&ty, &tx, axis)); CHECK_OK(mlc_softmax_ref_f32(r, x, outer, len, inner)); }
            else { CHECK_OK(mlc_log_softmax(&ty, &tx, axis)); CHECK_OK(mlc_log_softmax_ref_f32(r, x, outer, len, inner)); }
            softmax_double(t, x, outer, len, inner, lf);
            if (softmax_check(y, t, x, outer, len, inner, lf, " tensor"))
                fprintf(stderr, "  (axis %d)\n", axis);
            /* in place */
            memcpy(z, x, sizeof z);
            tb = mlc_tensor_3d(z, d0, d1, d2);
            if (lf == 0) CHECK_OK(mlc_softmax(&tb, &tb, axis)); else CHECK_OK(mlc_log_softmax(&tb, &tb, axis));
            softmax_check(z, t, x, outer, len, inner, lf, " tensor in place");
        }
        {
            mlc_result (*f)(mlc_tensor *, const mlc_tensor *, int) = lf ? mlc_log_softmax : mlc_softmax;
            CHECK_ERR(f(&ty, &tx, 3), MLC_ERR_ARG);
            CHECK_ERR(f(&ty, &tx, -4), MLC_ERR_ARG);
            CHECK_ERR(f(&ty, &tx, INT_MIN), MLC_ERR_ARG);
            CHECK_ERR(f(&ty, &tx, INT_MAX), MLC_ERR_ARG);
            tb = mlc_tensor_3d(y, d0, d1, d2 - 1);
            CHECK_ERR(f(&tb, &tx, -1), MLC_ERR_SHAPE);
            tb = mlc_tensor_2d(y, d0 * d1, d2);          /* same numel, other shape */
            CHECK_ERR(f(&tb, &tx, -1), MLC_ERR_SHAPE);
            tb = mlc_tensor_3d(y, d1, d0, d2);
            CHECK_ERR(f(&tb, &tx, -1), MLC_ERR_SHAPE);
            tb = tx; tb.dtype = MLC_F16; tb.data = h;
            CHECK_ERR(f(&ty, &tb, -1), MLC_ERR_DTYPE);
            tb = ty; tb.dtype = MLC_BF16; tb.data = h;
            CHECK_ERR(f(&tb, &tx, -1), MLC_ERR_DTYPE);
            CHECK_ERR(f(NULL, &tx, -1), MLC_ERR_NULL);
            CHECK_ERR(f(&ty, NULL, -1), MLC_ERR_NULL);
            tb = tx; tb.data = NULL;
            CHECK_ERR(f(&ty, &tb, -1), MLC_ERR_NULL);
        }
    }
}

/* ======================================================================== */
/* GEMM                                                                     */
/* ======================================================================== */

/* Tolerance of GEMM against the scalar reference:
       max|c - c_ref| <= 1e-5 * sqrt(k) * max(1, max|c_ref|).
   Both compute k-term float dot products, in different orders (the
   reference left to right, the kernel by blocks and SIMD lanes with FMA).
   Rounding errors of a k-term sum behave like a random walk: ~ sqrt(k)
   steps of 2^-24 (6e-8) times the size of the partial sums, which for
   inputs in [-1, 1] is the size of the outputs. 1e-5 leaves a factor ~170
   over 2^-24 for unlucky constants and for the activation epilogue (tanh,
   sigmoid: 3e-7 absolute; GELU 4e-7 |x|), yet one dropped, doubled or
   misplaced product (|a b| ~ 0.25 on average) exceeds it by far: at k = 1100
   and |c| ~ 10 the tolerance is 3e-3. */
static double gemm_tol(int k, const float *cref, int m, int n, int ldc) {
    double mx = 1.0;
    int i, j;
    for (i = 0; i < m; i++) for (j = 0; j < n; j++) {
        double v = fabs((double)cref[(size_t)i * (size_t)ldc + (size_t)j]);
        if (v > mx) mx = v;
    }
    return 1e-5 * sqrt((double)k) * mx;
}

typedef struct {
    int m, n, k;
    int lda, ldb, ldc;     /* 0: tight */
    int b_is_nk, has_bias, act;
    int mode;              /* 0: mlc_gemm_f32, 1: pack + packed, 2: both */
    int offset;            /* start A, B, C at +offset floats (unaligned) */
} gemm_case;

static const float C_SENTINEL = -7777.25f;

/* The test's parallel-for: runs tasks on this thread in reverse or in an
   interleaved order, counts calls and checks that every index is run once.
   If 'c' is set (the GEMM's output, m x n with leading dim ldc), it also
   checks that the tasks split C: before each task the m x n entries are
   poisoned with a NaN pattern, afterwards every entry the task wrote is
   recorded; each entry must be written by exactly one task. (Run one after
   another, two tasks writing the same entry, or one leaving an entry to
   none, give the right numbers; on real threads they would race.) */
typedef struct {
    int calls, tasks, max_tasks, order;   /* order 0: reverse, 1: odd then even */
    int bad;                              /* indices not run exactly once */
    float *c; int m, n, ldc;              /* optional: the output to watch */
    int overlap, missing;                 /* entries written by >1 / 0 tasks */
} pf_state;
typedef struct { mlc_task_fn fn; void *arg; int *seen; pf_state *s; float *acc; unsigned char *owner; } pf_tramp;
static const uint32_t PF_POISON = 0x7fa5a5a5u;
static void pf_run(pf_tramp *t, int task) {
    pf_state *s = t->s;
    int i, j;
    t->seen[task]++;
    if (s->c) for (i = 0; i < s->m; i++) for (j = 0; j < s->n; j++) s->c[(size_t)i * s->ldc + j] = u2f(PF_POISON);
    t->fn(t->arg, task);
    if (s->c) for (i = 0; i < s->m; i++) for (j = 0; j < s->n; j++) {
        size_t at = (size_t)i * s->ldc + j, o = (size_t)i * s->n + j;
        if (f2u(s->c[at]) == PF_POISON) continue;
        if (t->owner[o] < 255) t->owner[o]++;
        t->acc[o] = s->c[at];
    }
}
static void pf_callback(void *user, mlc_task_fn fn, void *arg, int n_tasks) {
    pf_state *s = (pf_state *)user;
    pf_tramp t;
    int i, j;
    s->calls++;
    if (n_tasks < 0) { s->bad++; return; }
    if (n_tasks == 0) return;
    s->tasks += n_tasks;
    if (n_tasks > s->max_tasks) s->max_tasks = n_tasks;
    t.fn = fn; t.arg = arg; t.s = s; t.acc = NULL; t.owner = NULL;
    t.seen = (int *)calloc((size_t)n_tasks, sizeof(int));
    if (!t.seen) { s->bad++; return; }
    if (s->c) {
        t.acc = falloc((size_t)s->m * s->n);
        t.owner = (unsigned char *)calloc((size_t)s->m * s->n, 1);
        if (!t.owner) { s->bad++; free(t.seen); free(t.acc); return; }
    }
    if (s->order == 0) { for (i = n_tasks - 1; i >= 0; i--) pf_run(&t, i); }
    else { for (i = 1; i < n_tasks; i += 2) pf_run(&t, i); for (i = 0; i < n_tasks; i += 2) pf_run(&t, i); }
    for (i = 0; i < n_tasks; i++) if (t.seen[i] != 1) s->bad++;
    if (s->c) {
        for (i = 0; i < s->m; i++) for (j = 0; j < s->n; j++) {
            size_t o = (size_t)i * s->n + j;
            if (t.owner[o] > 1) s->overlap++;
            if (t.owner[o] == 0) s->missing++;
            s->c[(size_t)i * s->ldc + j] = t.acc[o];
        }
        free(t.acc); free(t.owner);
    }
    free(t.seen);
}

/* Runs one case; returns the number of failures (and counts them). */
static int gemm_run(const gemm_case *gc, mlct_rng *rng, const mlc_ctx *ctx, int report) {
    const int m = gc->m, n = gc->n, k = gc->k, off = gc->offset;
    const int lda = gc->lda ? gc->lda : k, ldc = gc->ldc ? gc->ldc : n;
    const int ldb = gc->ldb ? gc->ldb : (gc->b_is_nk ? k : n);
    const int brows = gc->b_is_nk ? n : k, bcols = gc->b_is_nk ? k : n;
    const float alpha = 0.1f;
    size_t asz = (size_t)(m - 1) * lda + k, bsz = (size_t)(brows - 1) * ldb + bcols, csz = (size_t)(m - 1) * ldc + n;
    float *ab = falloc(asz + off), *bb = falloc(bsz + off), *cb = falloc(csz + off), *cref = falloc(csz);
    float *a = ab + off, *b = bb + off, *c = cb + off, *bias = gc->has_bias ? falloc((size_t)n) : NULL;
    const float qnan = NAN;
    int i, j, fails = 0, mode;
    /* valid entries random, the gaps between rows NaN: if a kernel reads them
       into a result, the result is NaN */
    for (i = 0; i < m; i++) for (j = 0; j < lda && (size_t)i * lda + j < asz; j++)
        a[(size_t)i * lda + j] = j < k ? mlct_uniform(rng, -1.0f, 1.0f) : qnan;
    for (i = 0; i < brows; i++) for (j = 0; j < ldb && (size_t)i * ldb + j < bsz; j++)
        b[(size_t)i * ldb + j] = j < bcols ? mlct_uniform(rng, -1.0f, 1.0f) : qnan;
    if (bias) mlct_fill(rng, bias, (size_t)n, -1.0f, 1.0f);
    for (i = 0; i < (int)csz; i++) cref[i] = C_SENTINEL;
    if (mlc_gemm_ref_f32(m, n, k, a, lda, b, ldb, gc->b_is_nk, bias, cref, ldc, (mlc_act)gc->act, alpha) != MLC_OK) {
        mlct_failures++; fails++;
        fprintf(stderr, "  gemm_ref failed for m=%d n=%d k=%d\n", m, n, k);
    }
    for (mode = 0; mode < 2; mode++) {
        mlc_result r = MLC_OK;
        if (gc->mode != 2 && gc->mode != mode) continue;
        for (i = 0; i < (int)csz; i++) c[i] = C_SENTINEL;
        if (mode == 0) {
            size_t scratch = mlc_gemm_packed_b_floats(n, k) * sizeof(float) + 4096;
            abuf sb;
            unsigned char *mem = abuf_make(&sb, scratch, 0);
            mlc_arena ar;
            mlc_arena_init(&ar, mem, scratch);
            r = mlc_gemm_f32(ctx, m, n, k, a, lda, b, ldb, gc->b_is_nk, bias, c, ldc, (mlc_act)gc->act, alpha, &ar);
            if (ar.used != 0) { mlct_failures++; fails++; fprintf(stderr, "  mlc_gemm_f32 left %zu bytes of scratch in use\n", ar.used); }
            abuf_free(&sb);
        } else {
            size_t np = mlc_gemm_packed_b_floats(n, k);
            float *pb = falloc(np + (size_t)off), *p = pb + off;
            if (np < (size_t)n * (size_t)k) { mlct_failures++; fails++; fprintf(stderr, "  packed_b_floats(%d,%d) = %zu < n*k\n", n, k, np); }
            r = mlc_gemm_pack_b_f32(p, b, ldb, gc->b_is_nk, n, k);
            if (r == MLC_OK)
                r = mlc_gemm_packed_f32(ctx, m, n, k, a, lda, p, bias, c, ldc, (mlc_act)gc->act, alpha);
            free(pb);
        }
        if (r != MLC_OK) {
            mlct_failures++; fails++;
            fprintf(stderr, "  gemm (%s) m=%d n=%d k=%d returned %s\n", mode ? "packed" : "gemm_f32", m, n, k, mlc_result_string(r));
            continue;
        }
        {
            double tol = gemm_tol(k, cref, m, n, ldc), worst = 0.0;
            int wi = 0, wj = 0, gap_bad = 0;
            for (i = 0; i < m; i++) {
                for (j = 0; j < ldc && (size_t)i * ldc + j < csz; j++) {
                    size_t at = (size_t)i * ldc + j;
                    if (j >= n) { if (f2u(c[at]) != f2u(C_SENTINEL)) gap_bad++; continue; }
                    {
                        double d = isnan(c[at]) ? INFINITY : fabs((double)c[at] - (double)cref[at]);
                        if (!(d <= worst)) { worst = d; wi = i; wj = j; }
                    }
                }
            }
            if (!(worst <= tol) || gap_bad) {
                mlct_failures++; fails++;
                if (report)
                    fprintf(stderr, "  gemm (%s) m=%d n=%d k=%d lda=%d ldb=%d ldc=%d nk=%d bias=%d act=%s off=%d: "
                            "max|diff| %.3g at (%d,%d) (%.9g vs %.9g), tol %.3g; %d gap entries written\n",
                            mode ? "packed" : "gemm_f32", m, n, k, lda, ldb, ldc, gc->b_is_nk, gc->has_bias,
                            mlc_act_name((mlc_act)gc->act), off, worst, wi, wj, (double)c[(size_t)wi * ldc + wj],
                            (double)cref[(size_t)wi * ldc + wj], tol, gap_bad);
            }
        }
    }
    free(ab); free(bb); free(cb); free(cref); free(bias);
    return fails;
}

/* The grid of the brief, sampled: every (m, n) pair once with a k that
   cycles through the k list, each run with B as [n,k] and as [k,n]; bias,
   activation, padding of lda/ldb/ldc, unaligned starts and the API (packing
   inside mlc_gemm_f32 or separately) rotate across cases. */
static void test_gemm_grid(void) {
    static const int ms[] = { 1, 2, 3, 5, 13, 14, 15, 16, 17, 31, 64, 100 };
    static const int ns[] = { 1, 2, 7, 15, 16, 17, 31, 32, 33, 48, 63, 64, 65, 97, 128 };
    static const int ks[] = { 1, 2, 3, 7, 8, 16, 17, 100, 257, 600 };
    const int nm = (int)(sizeof ms / sizeof ms[0]), nn = (int)(sizeof ns / sizeof ns[0]), nk = (int)(sizeof ks / sizeof ks[0]);
    mlct_rng rng = { 1 };
    int im, in, idx = 0, fails = 0;
    for (im = 0; im < nm; im++) {
        for (in = 0; in < nn; in++) {
            int nkflag;
            for (nkflag = 0; nkflag < 2; nkflag++, idx++) {
                gemm_case gc;
                int k = ks[(im * 3 + in * 7 + nkflag * 5) % nk];
                /* keep the biggest products rarer: m*n*k above 2M only every 4th time */
                if ((double)ms[im] * ns[in] * k > 2e6 && idx % 4 != 0) k = ks[(idx % 7)];
                gc.m = ms[im]; gc.n = ns[in]; gc.k = k;
                gc.b_is_nk = nkflag;
                gc.has_bias = (idx / 2) % 2;
                gc.act = (idx / 4) % MLC_ACT_COUNT;   /* with nk = idx % 2, bias = idx / 2 % 2: all 48 */
                gc.lda = (idx % 3 == 1) ? k + 1 + idx % 5 : 0;
                gc.ldb = (idx % 4 == 2) ? (nkflag ? k : ns[in]) + 3 : 0;
                gc.ldc = (idx % 5 == 3) ? ns[in] + 2 + idx % 3 : 0;
                gc.mode = idx % 3 == 0 ? 2 : idx % 3 - 1;
                gc.offset = (idx % 7 == 4) ? 1 : 0;
                fails += gemm_run(&gc, &rng, NULL, fails < 10);
            }
        }
    }
    (void)fails;
}

/* Every activation with and without bias on one medium shape, both B layouts. */
static void test_gemm_epilogues(void) {
    mlct_rng rng = { 77 };
    int act, bias, nkflag;
    for (act = 0; act < MLC_ACT_COUNT; act++) for (bias = 0; bias < 2; bias++) for (nkflag = 0; nkflag < 2; nkflag++) {
        gemm_case gc;
        gc.m = 19; gc.n = 37; gc.k = 23 + act;
        gc.lda = 0; gc.ldb = 0; gc.ldc = 41;
        gc.b_is_nk = nkflag; gc.has_bias = bias; gc.act = act; gc.mode = 2; gc.offset = act & 1;
        gemm_run(&gc, &rng, NULL, 1);
    }
}

/* Sizes beyond the cache blocks (MLC_GEMM_KC, MLC_GEMM_NC are build options;
   k up to 1100 and n up to 1100 cross the usual choices, and the suite can be
   built with tiny blocks to cross them everywhere). */
static void test_gemm_blocks(void) {
    static const int shapes[][3] = {
        { 3, 5, 1100 }, { 17, 33, 1030 }, { 9, 97, 1025 }, { 4, 600, 300 }, { 7, 1100, 64 },
        { 33, 257, 513 }, { 100, 129, 257 }, { 1, 1031, 1031 }, { 65, 17, 1024 }, { 2, 520, 1100 } };
    mlct_rng rng = { 5 };
    int i;
    for (i = 0; i < (int)(sizeof shapes / sizeof shapes[0]); i++) {
        gemm_case gc;
        gc.m = shapes[i][0]; gc.n = shapes[i][1]; gc.k = shapes[i][2];
        gc.lda = (i & 1) ? gc.k + 5 : 0; gc.ldb = (i % 3 == 0) ? (i & 1 ? gc.k : gc.n) + 1 : 0; gc.ldc = (i & 2) ? gc.n + 3 : 0;
        gc.b_is_nk = i & 1; gc.has_bias = (i >> 1) & 1; gc.act = (i * 5) % MLC_ACT_COUNT;
        gc.mode = 2; gc.offset = (i % 4 == 3);
        gemm_run(&gc, &rng, NULL, 1);
    }
}

/* Calls with bad arguments: the error code, and C and the arena untouched. */
static void test_gemm_errors(void) {
    enum { M = 4, N = 5, K = 6 };
    float a[M * K], b[N * K], bias[N], c[M * N], p[1024];
    mlc_arena ar;
    abuf sb;
    unsigned char *mem = abuf_make(&sb, 1 << 16, 0);
    size_t np = mlc_gemm_packed_b_floats(N, K);
    int i, bad_c = 0;
    mlct_rng rng = { 3 };
    mlct_fill(&rng, a, M * K, -1, 1); mlct_fill(&rng, b, N * K, -1, 1); mlct_fill(&rng, bias, N, -1, 1);
    for (i = 0; i < M * N; i++) c[i] = C_SENTINEL;
    mlc_arena_init(&ar, mem, 1 << 16);
    CHECK(np <= 1024);
    if (np > 1024) { abuf_free(&sb); return; }
    CHECK_OK(mlc_gemm_pack_b_f32(p, b, K, 1, N, K));

#define GEMM_F32(m_, n_, k_, a_, lda_, b_, ldb_, nk_, c_, ldc_, act_, ar_) \
    mlc_gemm_f32(NULL, m_, n_, k_, a_, lda_, b_, ldb_, nk_, bias, c_, ldc_, act_, 0.0f, ar_)
#define GEMM_PK(m_, n_, k_, a_, lda_, p_, c_, ldc_, act_) \
    mlc_gemm_packed_f32(NULL, m_, n_, k_, a_, lda_, p_, bias, c_, ldc_, act_, 0.0f)
#define GEMM_REF(m_, n_, k_, a_, lda_, b_, ldb_, nk_, c_, ldc_, act_) \
    mlc_gemm_ref_f32(m_, n_, k_, a_, lda_, b_, ldb_, nk_, bias, c_, ldc_, act_, 0.0f)

    /* sizes <= 0: MLC_ERR_ARG. The header is silent on m == 0; tensors can
       never have a zero dimension (mlc_tensor_check), so we expect an empty
       GEMM to be rejected like any other non-positive size. */
    {
        static const int bad_sizes[] = { 0, -1, INT_MIN };
        int s;
        for (s = 0; s < 3; s++) {
            int v = bad_sizes[s];
            CHECK_ERR(GEMM_F32(v, N, K, a, K, b, K, 1, c, N, MLC_ACT_NONE, &ar), MLC_ERR_ARG);
            CHECK_ERR(GEMM_F32(M, v, K, a, K, b, K, 1, c, N, MLC_ACT_NONE, &ar), MLC_ERR_ARG);
            CHECK_ERR(GEMM_F32(M, N, v, a, K, b, K, 1, c, N, MLC_ACT_NONE, &ar), MLC_ERR_ARG);
            CHECK_ERR(GEMM_PK(v, N, K, a, K, p, c, N, MLC_ACT_NONE), MLC_ERR_ARG);
            CHECK_ERR(GEMM_PK(M, v, K, a, K, p, c, N, MLC_ACT_NONE), MLC_ERR_ARG);
            CHECK_ERR(GEMM_PK(M, N, v, a, K, p, c, N, MLC_ACT_NONE), MLC_ERR_ARG);
            CHECK_ERR(GEMM_REF(v, N, K, a, K, b, K, 1, c, N, MLC_ACT_NONE), MLC_ERR_ARG);
            CHECK_ERR(GEMM_REF(M, v, K, a, K, b, K, 1, c, N, MLC_ACT_NONE), MLC_ERR_ARG);
            CHECK_ERR(GEMM_REF(M, N, v, a, K, b, K, 1, c, N, MLC_ACT_NONE), MLC_ERR_ARG);
            CHECK_ERR(mlc_gemm_pack_b_f32(p, b, K, 1, v, K), MLC_ERR_ARG);
            CHECK_ERR(mlc_gemm_pack_b_f32(p, b, K, 1, N, v), MLC_ERR_ARG);
        }
    }
    /* leading dims too small */
    CHECK_ERR(GEMM_F32(M, N, K, a, K - 1, b, K, 1, c, N, MLC_ACT_NONE, &ar), MLC_ERR_ARG);
    CHECK_ERR(GEMM_F32(M, N, K, a, K, b, K - 1, 1, c, N, MLC_ACT_NONE, &ar), MLC_ERR_ARG);   /* W[n,k]: ldb >= k */
    CHECK_ERR(GEMM_F32(M, N, K, a, K, b, N - 1, 0, c, N, MLC_ACT_NONE, &ar), MLC_ERR_ARG);   /* B[k,n]: ldb >= n */
    CHECK_ERR(GEMM_F32(M, N, K, a, K, b, K, 1, c, N - 1, MLC_ACT_NONE, &ar), MLC_ERR_ARG);
    CHECK_ERR(GEMM_PK(M, N, K, a, K - 1, p, c, N, MLC_ACT_NONE), MLC_ERR_ARG);
    CHECK_ERR(GEMM_PK(M, N, K, a, K, p, c, N - 1, MLC_ACT_NONE), MLC_ERR_ARG);
    CHECK_ERR(GEMM_REF(M, N, K, a, K - 1, b, K, 1, c, N, MLC_ACT_NONE), MLC_ERR_ARG);
    CHECK_ERR(GEMM_REF(M, N, K, a, K, b, K - 1, 1, c, N, MLC_ACT_NONE), MLC_ERR_ARG);
    CHECK_ERR(GEMM_REF(M, N, K, a, K, b, N - 1, 0, c, N, MLC_ACT_NONE), MLC_ERR_ARG);
    CHECK_ERR(GEMM_REF(M, N, K, a, K, b, K, 1, c, N - 1, MLC_ACT_NONE), MLC_ERR_ARG);
    CHECK_ERR(mlc_gemm_pack_b_f32(p, b, K - 1, 1, N, K), MLC_ERR_ARG);
    CHECK_ERR(mlc_gemm_pack_b_f32(p, b, N - 1, 0, N, K), MLC_ERR_ARG);
    /* NULL pointers (bias may be NULL: that is not an error) */
    CHECK_ERR(GEMM_F32(M, N, K, NULL, K, b, K, 1, c, N, MLC_ACT_NONE, &ar), MLC_ERR_NULL);
    CHECK_ERR(GEMM_F32(M, N, K, a, K, NULL, K, 1, c, N, MLC_ACT_NONE, &ar), MLC_ERR_NULL);
    CHECK_ERR(GEMM_F32(M, N, K, a, K, b, K, 1, NULL, N, MLC_ACT_NONE, &ar), MLC_ERR_NULL);
    CHECK_ERR(GEMM_F32(M, N, K, a, K, b, K, 1, c, N, MLC_ACT_NONE, NULL), MLC_ERR_NULL);
    CHECK_ERR(GEMM_PK(M, N, K, NULL, K, p, c, N, MLC_ACT_NONE), MLC_ERR_NULL);
    CHECK_ERR(GEMM_PK(M, N, K, a, K, NULL, c, N, MLC_ACT_NONE), MLC_ERR_NULL);
    CHECK_ERR(GEMM_PK(M, N, K, a, K, p, NULL, N, MLC_ACT_NONE), MLC_ERR_NULL);
    CHECK_ERR(GEMM_REF(M, N, K, NULL, K, b, K, 1, c, N, MLC_ACT_NONE), MLC_ERR_NULL);
    CHECK_ERR(GEMM_REF(M, N, K, a, K, NULL, K, 1, c, N, MLC_ACT_NONE), MLC_ERR_NULL);
    CHECK_ERR(GEMM_REF(M, N, K, a, K, b, K, 1, NULL, N, MLC_ACT_NONE), MLC_ERR_NULL);
    CHECK_ERR(mlc_gemm_pack_b_f32(NULL, b, K, 1, N, K), MLC_ERR_NULL);
    CHECK_ERR(mlc_gemm_pack_b_f32(p, NULL, K, 1, N, K), MLC_ERR_NULL);
    /* unknown activation */
    CHECK_ERR(GEMM_F32(M, N, K, a, K, b, K, 1, c, N, MLC_ACT_COUNT, &ar), MLC_ERR_ARG);
    CHECK_ERR(GEMM_PK(M, N, K, a, K, p, c, N, MLC_ACT_COUNT), MLC_ERR_ARG);
    CHECK_ERR(GEMM_REF(M, N, K, a, K, b, K, 1, c, N, MLC_ACT_COUNT), MLC_ERR_ARG);
#ifndef __cplusplus
    CHECK_ERR(GEMM_PK(M, N, K, a, K, p, c, N, (mlc_act)-1), MLC_ERR_ARG);
#endif
    for (i = 0; i < M * N; i++) if (f2u(c[i]) != f2u(C_SENTINEL)) bad_c++;
    if (bad_c) { mlct_failures++; fprintf(stderr, "  a failing GEMM call wrote %d entries of C\n", bad_c); }
    CHECK_EQ_INT(ar.used, 0);
    CHECK_EQ_INT(ar.peak, 0);

    /* scratch too small: NOMEM, arena as it was, C untouched */
    {
        mlc_arena small;
        size_t need = np * sizeof(float), sizes[3];
        int s;
        sizes[0] = 0; sizes[1] = 16; sizes[2] = need > 4 ? need - 4 : 0;
        for (s = 0; s < 3; s++) {
            mlc_arena_init(&small, mem, sizes[s]);
            CHECK_ERR(GEMM_F32(M, N, K, a, K, b, K, 1, c, N, MLC_ACT_NONE, &small), MLC_ERR_NOMEM);
            CHECK_EQ_INT(small.used, 0);
            CHECK(small.need > small.size);
        }
        /* a part-used arena keeps its used and peak */
        mlc_arena_init(&small, mem, 64 + need / 2);
        CHECK(mlc_arena_alloc(&small, 64, 64) != NULL);
        CHECK_ERR(GEMM_F32(M, N, K, a, K, b, K, 1, c, N, MLC_ACT_NONE, &small), MLC_ERR_NOMEM);
        CHECK_EQ_INT(small.used, 64);
        CHECK_EQ_INT(small.peak, 64);
        for (i = 0; i < M * N; i++) if (f2u(c[i]) != f2u(C_SENTINEL)) bad_c++;
        if (bad_c) { mlct_failures++; fprintf(stderr, "  a GEMM that ran out of scratch wrote %d entries of C\n", bad_c); }
        /* The header says mlc_gemm_f32 packs B into scratch, so packed_b_floats
           floats (64-aligned buffer) must be enough; and it is released. */
        mlc_arena_init(&small, mem, need);
        CHECK_OK(GEMM_F32(M, N, K, a, K, b, K, 1, c, N, MLC_ACT_NONE, &small));
        CHECK_EQ_INT(small.used, 0);
        CHECK(small.peak >= (size_t)N * K * sizeof(float));
    }
#undef GEMM_F32
#undef GEMM_PK
#undef GEMM_REF
    abuf_free(&sb);
}

/* A ctx whose parallel_for runs tasks in reverse (or interleaved) on this
   thread gives bit-identical results to ctx == NULL, for any n_threads; for
   a big GEMM the hook is called and splits the work. */
static void test_gemm_parallel_for(void) {
    static const int shapes[][3] = { { 256, 256, 256 }, { 100, 300, 1100 }, { 3, 1031, 77 }, { 1, 1, 1 }, { 61, 129, 33 } };
    static const int threads[] = { 1, 2, 3, 4, 7, 64 };
    mlct_rng rng = { 8 };
    int s, t, order, tested_big = 0;
    for (s = 0; s < (int)(sizeof shapes / sizeof shapes[0]); s++) {
        const int m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
        float *a = falloc((size_t)m * k), *b = falloc((size_t)n * k), *bias = falloc((size_t)n);
        float *c0 = falloc((size_t)m * n), *c1 = falloc((size_t)m * n), *pk = falloc(mlc_gemm_packed_b_floats(n, k));
        size_t scratch_sz = mlc_gemm_packed_b_floats(n, k) * sizeof(float) + 4096;
        abuf sb;
        unsigned char *mem = abuf_make(&sb, scratch_sz, 0);
        mlc_arena ar;
        mlct_fill(&rng, a, (size_t)m * k, -1, 1); mlct_fill(&rng, b, (size_t)n * k, -1, 1); mlct_fill(&rng, bias, (size_t)n, -1, 1);
        CHECK_OK(mlc_gemm_pack_b_f32(pk, b, k, 1, n, k));
        CHECK_OK(mlc_gemm_packed_f32(NULL, m, n, k, a, k, pk, bias, c0, n, MLC_ACT_GELU, 0.0f));
        for (t = 0; t < (int)(sizeof threads / sizeof threads[0]); t++) {
            for (order = 0; order < 2; order++) {
                pf_state st;
                mlc_ctx ctx;
                /* the two big shapes: three of the combinations (1, 4 and 7
                   threads), to keep the suite quick under qemu */
                if ((double)m * n * k > 1e7 && (t + order) % 4 != 0) continue;
                memset(&st, 0, sizeof st);
                st.order = order;
                st.c = c1; st.m = m; st.n = n; st.ldc = n;
                ctx.parallel_for = pf_callback; ctx.user = &st; ctx.n_threads = threads[t];
                memset(c1, 0, (size_t)m * n * sizeof(float));
                CHECK_OK(mlc_gemm_packed_f32(&ctx, m, n, k, a, k, pk, bias, c1, n, MLC_ACT_GELU, 0.0f));
                if (memcmp(c0, c1, (size_t)m * n * sizeof(float)) != 0) {
                    mlct_failures++;
                    fprintf(stderr, "  gemm %dx%dx%d with parallel_for (n_threads %d, order %d) differs from ctx NULL by %.3g\n",
                            m, n, k, threads[t], order, mlct_max_abs_diff(c0, c1, (size_t)m * n, NULL));
                }
                CHECK_EQ_INT(st.bad, 0);
                if (st.overlap || st.missing) {
                    mlct_failures++;
                    fprintf(stderr, "  gemm %dx%dx%d, n_threads %d: %d entries of C written by several tasks, %d by none\n",
                            m, n, k, threads[t], st.overlap, st.missing);
                }
                if (s == 0 && threads[t] > 1) {
                    tested_big++;
                    /* a 256^3 GEMM is "big": the hook must be used and split the work */
                    if (st.calls < 1 || st.max_tasks < 2) {
                        mlct_failures++;
                        fprintf(stderr, "  gemm 256^3, n_threads %d: parallel_for called %d times, at most %d tasks\n",
                                threads[t], st.calls, st.max_tasks);
                    }
                }
                if (verbose() && (s == 0 || s == 1))
                    printf("  gemm %dx%dx%d n_threads %d: %d calls, %d tasks\n", m, n, k, threads[t], st.calls, st.tasks);
                /* mlc_gemm_f32 through the same hook */
                memset(&st, 0, sizeof st);
                st.order = order;
                st.c = c1; st.m = m; st.n = n; st.ldc = n;
                mlc_arena_init(&ar, mem, scratch_sz);
                memset(c1, 0, (size_t)m * n * sizeof(float));
                CHECK_OK(mlc_gemm_f32(&ctx, m, n, k, a, k, b, k, 1, bias, c1, n, MLC_ACT_GELU, 0.0f, &ar));
                if (memcmp(c0, c1, (size_t)m * n * sizeof(float)) != 0) {
                    mlct_failures++;
                    fprintf(stderr, "  mlc_gemm_f32 %dx%dx%d with parallel_for differs from the packed ctx-NULL run\n", m, n, k);
                }
                CHECK_EQ_INT(st.bad, 0);
                CHECK_EQ_INT(st.overlap, 0);
                CHECK_EQ_INT(st.missing, 0);
            }
        }
        /* a ctx without a callback runs on the calling thread */
        {
            mlc_ctx ctx;
            ctx.parallel_for = NULL; ctx.user = NULL; ctx.n_threads = 4;
            CHECK_OK(mlc_gemm_packed_f32(&ctx, m, n, k, a, k, pk, bias, c1, n, MLC_ACT_GELU, 0.0f));
            CHECK(memcmp(c0, c1, (size_t)m * n * sizeof(float)) == 0);
        }
        free(a); free(b); free(bias); free(c0); free(c1); free(pk);
        abuf_free(&sb);
    }
    CHECK(tested_big >= 2);
}

/* ======================================================================== */
/* linear layer                                                             */
/* ======================================================================== */

static void test_linear(void) {
    enum { IN = 37, OUT = 19 };
    mlct_rng rng = { 2718 };
    float *w = falloc(IN * OUT), *bias = falloc(OUT), *w_copy = falloc(IN * OUT);
    float x[2 * 3 * IN], y[2 * 3 * OUT], r[2 * 3 * OUT], y2[2 * 3 * OUT];
    abuf ab;
    unsigned char *mem;
    mlc_arena ar;
    mlc_linear l;
    mlc_tensor tx, ty, bad;
    size_t bytes, bytes_nb;
    int hb, i;
    mlct_fill(&rng, w, IN * OUT, -1, 1); mlct_fill(&rng, bias, OUT, -1, 1); mlct_fill(&rng, x, 2 * 3 * IN, -2, 2);
    memcpy(w_copy, w, IN * OUT * sizeof(float));
    bytes = mlc_linear_arena_bytes(IN, OUT, 1);
    bytes_nb = mlc_linear_arena_bytes(IN, OUT, 0);
    CHECK(bytes >= mlc_gemm_packed_b_floats(OUT, IN) * sizeof(float) + OUT * sizeof(float));
    CHECK(bytes_nb >= mlc_gemm_packed_b_floats(OUT, IN) * sizeof(float));
    CHECK(bytes_nb < bytes);
    mem = abuf_make(&ab, bytes + 256, 0);

    for (hb = 1; hb >= 0; hb--) {
        size_t want = hb ? bytes : bytes_nb, used;
        /* an arena of exactly the reported size (64-aligned start) is enough */
        mlc_arena_init(&ar, mem, want);
        memset(&l, 0, sizeof l);
        CHECK_OK(mlc_linear_init(&l, w, hb ? bias : NULL, IN, OUT, &ar));
        used = ar.used;
        /* the report may include alignment slack (up to 64 bytes per block:
           packed weights and bias), no more */
        CHECK(used <= want);
        CHECK(want - used <= (size_t)64 * (hb ? 2 : 1));
        if (verbose()) printf("  linear %dx%d bias %d: arena_bytes %zu, used %zu\n", IN, OUT, hb, want, used);
        /* the reported size holds wherever a float-aligned buffer starts */
        {
            static const size_t offs[3] = { 4, 32, 60 };
            int o;
            for (o = 0; o < 3; o++) {
                abuf ab2;
                unsigned char *mem2 = abuf_make(&ab2, want, offs[o]);
                mlc_arena ar2;
                mlc_linear l2;
                mlc_arena_init(&ar2, mem2, want);
                CHECK_OK(mlc_linear_init(&l2, w, hb ? bias : NULL, IN, OUT, &ar2));
                abuf_free(&ab2);
            }
        }
        CHECK_EQ_INT(l.in_features, IN);
        CHECK_EQ_INT(l.out_features, OUT);
        CHECK((unsigned char *)l.packed_w >= mem && (unsigned char *)l.packed_w < mem + used);
        if (hb) {
            CHECK(l.bias != NULL && l.bias != bias);
            CHECK((unsigned char *)l.bias >= mem && (unsigned char *)(l.bias + OUT) <= mem + used);
            if (l.bias) CHECK(memcmp(l.bias, bias, OUT * sizeof(float)) == 0);
        } else CHECK(l.bias == NULL);

        /* forward [2,3,IN] -> [2,3,OUT] against the reference GEMM; the
           weights must have been copied: clobber the caller's array first */
        for (i = 0; i < IN * OUT; i++) w[i] = NAN;
        {
            int act;
            for (act = 0; act < MLC_ACT_COUNT; act += 3) {
                tx = mlc_tensor_3d(x, 2, 3, IN); ty = mlc_tensor_3d(y, 2, 3, OUT);
                CHECK_OK(mlc_linear_forward(&l, NULL, &ty, &tx, (mlc_act)act, 0.05f));
                CHECK_OK(mlc_gemm_ref_f32(6, OUT, IN, x, IN, w_copy, IN, 1, hb ? bias : NULL, r, OUT, (mlc_act)act, 0.05f));
                CHECK_CLOSE(y, r, 6 * OUT, gemm_tol(IN, r, 6, OUT, OUT));
            }
        }
        /* 2-D and 1-D inputs */
        tx = mlc_tensor_2d(x, 6, IN); ty = mlc_tensor_2d(y2, 6, OUT);
        CHECK_OK(mlc_linear_forward(&l, NULL, &ty, &tx, MLC_ACT_NONE, 0.0f));
        CHECK_OK(mlc_gemm_ref_f32(6, OUT, IN, x, IN, w_copy, IN, 1, hb ? bias : NULL, r, OUT, MLC_ACT_NONE, 0.0f));
        CHECK_CLOSE(y2, r, 6 * OUT, gemm_tol(IN, r, 6, OUT, OUT));
        tx = mlc_tensor_1d(x + IN, IN); ty = mlc_tensor_1d(y2, OUT);
        CHECK_OK(mlc_linear_forward(&l, NULL, &ty, &tx, MLC_ACT_NONE, 0.0f));
        CHECK_CLOSE(y2, r + OUT, OUT, gemm_tol(IN, r + OUT, 1, OUT, OUT));
        /* with the parallel-for hook: bit-identical */
        {
            pf_state st;
            mlc_ctx ctx;
            memset(&st, 0, sizeof st);
            ctx.parallel_for = pf_callback; ctx.user = &st; ctx.n_threads = 3;
            tx = mlc_tensor_2d(x, 6, IN); ty = mlc_tensor_2d(y, 6, OUT);
            CHECK_OK(mlc_linear_forward(&l, NULL, &ty, &tx, MLC_ACT_TANH, 0.0f));
            ty = mlc_tensor_2d(y2, 6, OUT);
            CHECK_OK(mlc_linear_forward(&l, &ctx, &ty, &tx, MLC_ACT_TANH, 0.0f));
            CHECK(memcmp(y, y2, sizeof(float) * 6 * OUT) == 0);
            CHECK_EQ_INT(st.bad, 0);
        }
        /* in place is not offered (shapes differ); shape and type errors */
        tx = mlc_tensor_3d(x, 2, 3, IN);
        bad = mlc_tensor_3d(x, 2, 3, IN - 1); ty = mlc_tensor_3d(y, 2, 3, OUT);
        CHECK_ERR(mlc_linear_forward(&l, NULL, &ty, &bad, MLC_ACT_NONE, 0.0f), MLC_ERR_SHAPE);
        bad = mlc_tensor_3d(y, 2, 3, OUT + 1);
        CHECK_ERR(mlc_linear_forward(&l, NULL, &bad, &tx, MLC_ACT_NONE, 0.0f), MLC_ERR_SHAPE);
        bad = mlc_tensor_3d(y, 3, 2, OUT);
        CHECK_ERR(mlc_linear_forward(&l, NULL, &bad, &tx, MLC_ACT_NONE, 0.0f), MLC_ERR_SHAPE);
        bad = mlc_tensor_2d(y, 6, OUT);             /* leading dims flattened: not the same */
        CHECK_ERR(mlc_linear_forward(&l, NULL, &bad, &tx, MLC_ACT_NONE, 0.0f), MLC_ERR_SHAPE);
        bad = tx; bad.dtype = MLC_F16;
        CHECK_ERR(mlc_linear_forward(&l, NULL, &ty, &bad, MLC_ACT_NONE, 0.0f), MLC_ERR_DTYPE);
        bad = ty; bad.dtype = MLC_F64;
        CHECK_ERR(mlc_linear_forward(&l, NULL, &bad, &tx, MLC_ACT_NONE, 0.0f), MLC_ERR_DTYPE);
        CHECK_ERR(mlc_linear_forward(NULL, NULL, &ty, &tx, MLC_ACT_NONE, 0.0f), MLC_ERR_NULL);
        CHECK_ERR(mlc_linear_forward(&l, NULL, NULL, &tx, MLC_ACT_NONE, 0.0f), MLC_ERR_NULL);
        CHECK_ERR(mlc_linear_forward(&l, NULL, &ty, NULL, MLC_ACT_NONE, 0.0f), MLC_ERR_NULL);
        CHECK_ERR(mlc_linear_forward(&l, NULL, &ty, &tx, MLC_ACT_COUNT, 0.0f), MLC_ERR_ARG);
        memcpy(w, w_copy, IN * OUT * sizeof(float));

        /* an arena one byte short of what was used: NOMEM, nothing kept */
        mlc_arena_init(&ar, mem, used - 1);
        CHECK_ERR(mlc_linear_init(&l, w, hb ? bias : NULL, IN, OUT, &ar), MLC_ERR_NOMEM);
        CHECK_EQ_INT(ar.used, 0);
        CHECK(ar.need > ar.size);
        mlc_arena_init(&ar, mem, 16);
        CHECK_ERR(mlc_linear_init(&l, w, hb ? bias : NULL, IN, OUT, &ar), MLC_ERR_NOMEM);
        CHECK_EQ_INT(ar.used, 0);
    }
    /* bad arguments */
    mlc_arena_init(&ar, mem, bytes + 256);
    CHECK_ERR(mlc_linear_init(&l, w, bias, 0, OUT, &ar), MLC_ERR_ARG);
    CHECK_ERR(mlc_linear_init(&l, w, bias, IN, 0, &ar), MLC_ERR_ARG);
    CHECK_ERR(mlc_linear_init(&l, w, bias, -3, OUT, &ar), MLC_ERR_ARG);
    CHECK_ERR(mlc_linear_init(NULL, w, bias, IN, OUT, &ar), MLC_ERR_NULL);
    CHECK_ERR(mlc_linear_init(&l, NULL, bias, IN, OUT, &ar), MLC_ERR_NULL);
    CHECK_ERR(mlc_linear_init(&l, w, bias, IN, OUT, NULL), MLC_ERR_NULL);
    CHECK_EQ_INT(ar.used, 0);
    /* arena_bytes grows with the sizes */
    CHECK(mlc_linear_arena_bytes(IN, 2 * OUT, 1) > bytes);
    CHECK(mlc_linear_arena_bytes(2 * IN, OUT, 1) > bytes);
    free(w); free(bias); free(w_copy);
    abuf_free(&ab);
}

/* A bigger linear layer whose reported arena size is checked the same way. */
static void test_linear_sizes(void) {
    static const int sizes[][2] = { { 1, 1 }, { 1, 100 }, { 100, 1 }, { 64, 64 }, { 257, 129 }, { 768, 10 } };
    mlct_rng rng = { 11 };
    int s;
    for (s = 0; s < (int)(sizeof sizes / sizeof sizes[0]); s++) {
        const int in = sizes[s][0], out = sizes[s][1];
        float *w = falloc((size_t)in * out), *bias = falloc((size_t)out), *x = falloc((size_t)3 * in);
        float *y = falloc((size_t)3 * out), *r = falloc((size_t)3 * out);
        size_t bytes = mlc_linear_arena_bytes(in, out, 1);
        abuf ab;
        unsigned char *mem = abuf_make(&ab, bytes, 0);
        mlc_arena ar;
        mlc_linear l;
        mlc_tensor tx, ty;
        mlct_fill(&rng, w, (size_t)in * out, -1, 1); mlct_fill(&rng, bias, (size_t)out, -1, 1); mlct_fill(&rng, x, (size_t)3 * in, -1, 1);
        mlc_arena_init(&ar, mem, bytes);
        CHECK_OK(mlc_linear_init(&l, w, bias, in, out, &ar));
        CHECK(ar.used <= bytes && bytes - ar.used <= 128);
        /* the reported size also holds when the buffer starts anywhere */
        {
            abuf ab2;
            unsigned char *mem2 = abuf_make(&ab2, bytes, (size_t)(4 * s + 4));
            mlc_arena ar2;
            mlc_linear l2;
            mlc_arena_init(&ar2, mem2, bytes);
            CHECK_OK(mlc_linear_init(&l2, w, bias, in, out, &ar2));
            abuf_free(&ab2);
        }
        tx = mlc_tensor_2d(x, 3, in); ty = mlc_tensor_2d(y, 3, out);
        CHECK_OK(mlc_linear_forward(&l, NULL, &ty, &tx, MLC_ACT_RELU, 0.0f));
        CHECK_OK(mlc_gemm_ref_f32(3, out, in, x, in, w, in, 1, bias, r, out, MLC_ACT_RELU, 0.0f));
        CHECK_CLOSE(y, r, (size_t)3 * out, gemm_tol(in, r, 3, out, out));
        free(w); free(bias); free(x); free(y); free(r);
        abuf_free(&ab);
    }
}

const mlct_case mlct_core_cases[] = {
    MLCT_CASE(test_result_string),
    MLCT_CASE(test_act_and_dtype_names),
    MLCT_CASE(test_arena_init),
    MLCT_CASE(test_arena_align),
    MLCT_CASE(test_arena_overflow),
    MLCT_CASE(test_arena_mark_reset_peak),
    MLCT_CASE(test_tensor_ctors),
    MLCT_CASE(test_tensor_check),
    MLCT_CASE(test_dtype_size),
    MLCT_CASE(test_tensor_alloc),
    MLCT_CASE(test_f16_all_patterns),
    MLCT_CASE(test_f16_rounding_boundaries),
    MLCT_CASE(test_f16_special_values),
    MLCT_CASE(test_f16_random),
    MLCT_CASE(test_bf16_all_patterns),
    MLCT_CASE(test_bf16_rounding),
    MLCT_CASE(test_act_vs_ref),
    MLCT_CASE(test_act_special_values),
    MLCT_CASE(test_act_errors),
    MLCT_CASE(test_exp_tanh_vs_ref),
    MLCT_CASE(test_exp_accuracy),
    MLCT_CASE(test_tanh_accuracy),
    MLCT_CASE(test_sigmoid_gelu_silu_accuracy),
    MLCT_CASE(test_elementwise),
    MLCT_CASE(test_tensor_elementwise),
    MLCT_CASE(test_softmax_grid),
    MLCT_CASE(test_softmax_extremes),
    MLCT_CASE(test_softmax_tensor),
    MLCT_CASE(test_gemm_grid),
    MLCT_CASE(test_gemm_epilogues),
    MLCT_CASE(test_gemm_blocks),
    MLCT_CASE(test_gemm_errors),
    MLCT_CASE(test_gemm_parallel_for),
    MLCT_CASE(test_linear),
    MLCT_CASE(test_linear_sizes),
};
const int mlct_core_count = (int)(sizeof mlct_core_cases / sizeof mlct_core_cases[0]);
