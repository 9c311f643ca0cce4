/* Tests of the safetensors reader: mlc_st_parse, mlc_st_find, mlc_st_read_f32,
   and the f16/bf16 conversions it relies on.

   Files are assembled in memory by st_build() from a list of (name, dtype,
   shape, data) entries, or written by hand as JSON text for the error cases.
   Every buffer handed to the parser is copied into a malloc block of exactly
   its size, so AddressSanitizer reports any read past the end.

   Contract checked here (see mlcore.h):
     header length > remaining bytes, or fewer than 8 bytes -> MLC_ERR_TRUNCATED
     bad JSON, unknown dtype, missing field, non-integer or negative numbers,
     duplicate names, end-begin != numel*elemsize          -> MLC_ERR_FORMAT
     rank > MLC_MAX_RANK                     -> MLC_ERR_FORMAT or _UNSUPPORTED
     offsets past the data, overlaps, holes, data not all covered
                                                           -> MLC_ERR_BOUNDS
     arena too small                                       -> MLC_ERR_NOMEM

   MLCT_FUZZ_ITERS (default 20000) sets how many mutated files the mutation
   test parses. MLCT_ST_CORPUS=<dir> makes it write its seed files there
   (tests/fuzz_corpus is made that way). */
#include <stdlib.h>
#include <stdint.h>
#include "mlc_test.h"

/* ---- bytes and bits ----------------------------------------------------- */

static uint32_t f32_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static float bits_f32(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

static void put_u16(unsigned char *p, unsigned v) {
    p[0] = (unsigned char)(v & 0xFF); p[1] = (unsigned char)((v >> 8) & 0xFF);
}
static void put_u32(unsigned char *p, uint32_t v) {
    int i; for (i = 0; i < 4; i++) p[i] = (unsigned char)((v >> (8 * i)) & 0xFF);
}
static void put_u64(unsigned char *p, uint64_t v) {
    int i; for (i = 0; i < 8; i++) p[i] = (unsigned char)((v >> (8 * i)) & 0xFF);
}
static uint64_t get_u64(const unsigned char *p) {
    uint64_t v = 0; int i; for (i = 7; i >= 0; i--) v = (v << 8) | p[i]; return v;
}
static uint16_t get_u16(const unsigned char *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static uint32_t get_u32(const unsigned char *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static void put_f32(unsigned char *p, float f) { put_u32(p, f32_bits(f)); }
static void put_f64(unsigned char *p, double d) { uint64_t u; memcpy(&u, &d, 8); put_u64(p, u); }
static double get_f64(const unsigned char *p) { uint64_t u = get_u64(p); double d; memcpy(&d, &u, 8); return d; }

static void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) { fprintf(stderr, "test_st: out of memory\n"); exit(2); }
    return p;
}
/* A copy in a block of exactly n bytes (ASan sees any overread). */
static unsigned char *exact_copy(const void *src, size_t n) {
    unsigned char *p = (unsigned char *)malloc(n);
    if (!p && n) { fprintf(stderr, "test_st: out of memory\n"); exit(2); }
    if (n) memcpy(p, src, n);
    return p;
}

/* ---- independent reference conversions ------------------------------------
   Written from the IEEE definitions with double arithmetic, not with the bit
   tricks the library uses, so the two can be compared. */
static float ref_f16_to_f32(uint16_t h) {
    int s = h >> 15, e = (h >> 10) & 31, m = h & 1023;
    double v;
    if (e == 0) v = ldexp((double)m, -24);
    else if (e == 31) return m ? (float)NAN : (s ? -(float)INFINITY : (float)INFINITY);
    else v = ldexp((double)(m + 1024), e - 25);
    return (float)(s ? -v : v);
}
static float ref_bf16_to_f32(uint16_t h) { return bits_f32((uint32_t)h << 16); }
/* Round to nearest, ties to even; NaN -> a quiet NaN. */
static uint16_t ref_f32_to_f16(float f) {
    unsigned sign = signbit(f) ? 0x8000u : 0u;
    double a = fabs((double)f), m;
    int ex, e;
    if (isnan(f)) return (uint16_t)(sign | 0x7E00u);
    if (a >= 65520.0) return (uint16_t)(sign | 0x7C00u);          /* incl. inf */
    if (a < ldexp(1.0, -14)) {                                      /* subnormal */
        m = nearbyint(a * 16777216.0);                              /* units of 2^-24 */
        return (uint16_t)(sign | (unsigned)m);                      /* 1024 -> 0x0400 */
    }
    (void)frexp(a, &ex); e = ex - 1;                                /* a in [2^e, 2^e+1) */
    m = nearbyint(ldexp(a, 10 - e));                                /* [1024, 2048] */
    if (m >= 2048.0) { e++; m = 1024.0; }
    return (uint16_t)(sign | (unsigned)((e + 15) << 10) | ((unsigned)m - 1024u));
}
static uint16_t ref_f32_to_bf16(float f) {
    uint32_t u = f32_bits(f), lo = u & 0xFFFF0000u;
    double a = fabs((double)f), vlo, vhi;
    uint16_t l16 = (uint16_t)(lo >> 16);
    if (isnan(f)) return (uint16_t)((u >> 16) | 0x0040u);
    if (isinf(f)) return l16;
    vlo = fabs((double)bits_f32(lo));
    vhi = ((lo & 0x7FFFFFFFu) == 0x7F7F0000u) ? ldexp(1.0, 128) : fabs((double)bits_f32(lo + 0x10000u));
    if (a - vlo < vhi - a) return l16;
    if (a - vlo > vhi - a) return (uint16_t)(l16 + 1);
    return (l16 & 1) ? (uint16_t)(l16 + 1) : l16;
}
static int f16_is_nan(uint16_t h) { return (h & 0x7C00) == 0x7C00 && (h & 0x03FF); }
static int bf16_is_nan(uint16_t h) { return (h & 0x7F80) == 0x7F80 && (h & 0x007F); }

/* ---- a growable byte buffer ------------------------------------------------ */
typedef struct { unsigned char *p; size_t n, cap; } sbuf;

static void sb_init(sbuf *b) { b->p = NULL; b->n = 0; b->cap = 0; }
static void sb_free(sbuf *b) { free(b->p); sb_init(b); }
static void sb_reserve(sbuf *b, size_t more) {
    if (b->n + more > b->cap) {
        size_t c = b->cap ? b->cap : 256;
        unsigned char *q;
        while (c < b->n + more) c *= 2;
        q = (unsigned char *)realloc(b->p, c);
        if (!q) { fprintf(stderr, "test_st: out of memory\n"); exit(2); }
        b->p = q; b->cap = c;
    }
}
static void sb_put(sbuf *b, const void *s, size_t n) {
    sb_reserve(b, n); if (n) memcpy(b->p + b->n, s, n); b->n += n;
}
static void sb_str(sbuf *b, const char *s) { sb_put(b, s, strlen(s)); }
static void sb_num(sbuf *b, unsigned long long v) {
    char t[32]; snprintf(t, sizeof t, "%llu", v); sb_str(b, t);
}
static void sb_insert(sbuf *b, size_t pos, const void *s, size_t n) {
    if (pos > b->n) pos = b->n;
    sb_reserve(b, n);
    memmove(b->p + pos + n, b->p + pos, b->n - pos);
    memcpy(b->p + pos, s, n);
    b->n += n;
}
static void sb_erase(sbuf *b, size_t pos, size_t n) {
    if (pos >= b->n) return;
    if (n > b->n - pos) n = b->n - pos;
    memmove(b->p + pos, b->p + pos + n, b->n - pos - n);
    b->n -= n;
}

/* ---- the file builder -------------------------------------------------------- */
typedef struct {
    const char *name;   /* JSON text between the quotes: escapes allowed */
    const char *dtype;  /* as written in the file, e.g. "F32" */
    const char *shape;  /* JSON text, e.g. "[2,3]" or "[]" */
    const void *data;   /* raw little-endian bytes */
    size_t nbytes;
} st_entry;

/* Assembles a safetensors file: data laid out in entry order from offset 0,
   optional "__metadata__" object (JSON text) first or last, header padded
   with spaces until (8 + N) % align == rem (align <= 1: no padding).
   Returns a block of exactly *size bytes (free it). */
static unsigned char *st_build(const st_entry *e, int n, const char *meta, int meta_first,
                               size_t align, size_t rem, size_t *size) {
    sbuf h, out;
    size_t off = 0;
    unsigned char len8[8];
    unsigned char *r;
    int i;
    sb_init(&h); sb_init(&out);
    sb_str(&h, "{");
    if (meta && meta_first) { sb_str(&h, "\"__metadata__\":"); sb_str(&h, meta); if (n) sb_str(&h, ","); }
    for (i = 0; i < n; i++) {
        if (i) sb_str(&h, ",");
        sb_str(&h, "\""); sb_str(&h, e[i].name); sb_str(&h, "\":{\"dtype\":\"");
        sb_str(&h, e[i].dtype); sb_str(&h, "\",\"shape\":"); sb_str(&h, e[i].shape);
        sb_str(&h, ",\"data_offsets\":["); sb_num(&h, off); sb_str(&h, ",");
        off += e[i].nbytes;
        sb_num(&h, off); sb_str(&h, "]}");
    }
    if (meta && !meta_first) { if (n) sb_str(&h, ","); sb_str(&h, "\"__metadata__\":"); sb_str(&h, meta); }
    sb_str(&h, "}");
    if (align > 1) while ((8 + h.n) % align != rem) sb_str(&h, " ");
    put_u64(len8, h.n);
    sb_put(&out, len8, 8);
    sb_put(&out, h.p, h.n);
    for (i = 0; i < n; i++) sb_put(&out, e[i].data, e[i].nbytes);
    r = exact_copy(out.p, out.n);
    *size = out.n;
    sb_free(&h); sb_free(&out);
    return r;
}

/* A file with this exact header text (N = strlen(json)) and datalen bytes of
   a non-zero pattern after it. */
static unsigned char *st_raw(const char *json, size_t datalen, size_t *size) {
    size_t n = strlen(json), i;
    unsigned char *p = (unsigned char *)xmalloc(8 + n + datalen);
    put_u64(p, n);
    memcpy(p + 8, json, n);
    for (i = 0; i < datalen; i++) p[8 + n + i] = (unsigned char)(i * 37 + 11);
    *size = 8 + n + datalen;
    return p;
}

/* ---- parsing with invariant checks -------------------------------------------- */
#define ST_ARENA (1u << 16)

static int is_float_dtype(mlc_dtype d) { return d == MLC_F32 || d == MLC_F16 || d == MLC_BF16 || d == MLC_F64; }

/* The value mlc_st_read_f32 must produce for element i of t. */
static float ref_elem(const mlc_st_tensor *t, size_t i) {
    switch (t->dtype) {
    case MLC_F32:  return bits_f32(get_u32(t->data + 4 * i));
    case MLC_F16:  return ref_f16_to_f32(get_u16(t->data + 2 * i));
    case MLC_BF16: return ref_bf16_to_f32(get_u16(t->data + 2 * i));
    case MLC_F64:  return (float)get_f64(t->data + 8 * i);
    default:       return 0.0f;
    }
}

static int cmp_ptr_range(const void *a, const void *b) {
    const mlc_st_tensor *x = *(const mlc_st_tensor *const *)a, *y = *(const mlc_st_tensor *const *)b;
    if (x->data != y->data) return x->data < y->data ? -1 : 1;
    if (x->nbytes != y->nbytes) return x->nbytes < y->nbytes ? -1 : 1;
    return 0;
}

/* Checks everything a successful parse promises about st, whose source was
   buf[0..size) and whose arena is a; reads every float tensor back and
   compares it with the reference conversion. Returns the number of problems
   (each is also counted as a failed CHECK). */
static int st_invariants(const mlc_safetensors *st, const unsigned char *buf, size_t size,
                         const mlc_arena *a) {
    int before = mlct_failures, i, k;
    size_t covered = 0, hlen;
    const mlc_st_tensor **order = NULL;
    CHECK(st->buffer == buf);
    CHECK_EQ_INT(st->size, size);
    CHECK(size >= 8);
    if (mlct_failures != before || size < 8) return mlct_failures - before;
    hlen = (size_t)get_u64(buf);
    CHECK(hlen <= size - 8);
    if (mlct_failures != before) return mlct_failures - before;
    CHECK(st->data == buf + 8 + hlen);
    CHECK_EQ_INT(st->data_size, size - 8 - hlen);
    CHECK(st->count >= 0);
    CHECK(st->count == 0 || st->tensors != NULL);
    if (mlct_failures != before) return mlct_failures - before;
    if (st->count > 0) order = (const mlc_st_tensor **)xmalloc(sizeof *order * (size_t)st->count);
    for (i = 0; i < st->count; i++) {
        const mlc_st_tensor *t = &st->tensors[i];
        size_t numel = 1, es;
        int bad = 0;
        order[i] = t;
        /* name: in the arena and NUL-terminated inside it */
        CHECK(t->name != NULL);
        if (!t->name) { bad = 1; }
        else {
            const unsigned char *nm = (const unsigned char *)t->name;
            if (nm < a->base || nm >= a->base + a->size) { CHECK(!"tensor name outside the arena"); bad = 1; }
            else if (!memchr(nm, 0, (size_t)(a->base + a->size - nm))) { CHECK(!"tensor name not NUL-terminated"); bad = 1; }
        }
        CHECK((int)t->dtype >= 0 && t->dtype < MLC_DTYPE_COUNT);
        CHECK(t->rank >= 0 && t->rank <= MLC_MAX_RANK);
        if ((int)t->dtype < 0 || t->dtype >= MLC_DTYPE_COUNT || t->rank < 0 || t->rank > MLC_MAX_RANK) bad = 1;
        if (bad) continue;
        for (k = 0; k < t->rank; k++) { CHECK(t->shape[k] >= 0); numel *= (size_t)t->shape[k]; }
        es = mlc_dtype_size(t->dtype);
        CHECK(es > 0);
        CHECK_EQ_INT(t->numel, numel);
        CHECK_EQ_INT(t->nbytes, numel * es);
        CHECK(t->data >= st->data && t->data <= st->data + st->data_size);
        CHECK(t->data >= buf && t->data <= buf + size);
        if (t->data < st->data || t->data > st->data + st->data_size) continue;
        CHECK(t->nbytes <= (size_t)(st->data + st->data_size - t->data));
        covered += t->nbytes;
        /* sorted by name, no duplicates, and findable */
        if (i > 0 && st->tensors[i - 1].name) CHECK(strcmp(st->tensors[i - 1].name, t->name) < 0);
        {
            const mlc_st_tensor *f = mlc_st_find(st, t->name);
            CHECK(f != NULL);
            if (f) CHECK(strcmp(f->name, t->name) == 0);
        }
        /* read it back */
        if (mlct_failures == before) {
            float *dst = (float *)xmalloc(t->numel * sizeof(float));
            mlc_result r = mlc_st_read_f32(st, t->name, -1, NULL, dst, t->numel);
            if (is_float_dtype(t->dtype)) {
                size_t j, bad_at = 0; int mism = 0;
                CHECK_ERR(r, MLC_OK);
                if (r == MLC_OK) {
                    for (j = 0; j < t->numel; j++) {
                        float w = ref_elem(t, j);
                        if (isnan(w) ? !isnan(dst[j]) : f32_bits(w) != f32_bits(dst[j])) { mism++; bad_at = j; }
                    }
                    if (mism) { fprintf(stderr, "  tensor '%s' dtype %d: %d wrong values, e.g. [%zu] %.9g vs %.9g\n",
                                        t->name, (int)t->dtype, mism, bad_at, (double)dst[bad_at],
                                        (double)ref_elem(t, bad_at)); CHECK(mism == 0); }
                }
                CHECK_ERR(mlc_st_read_f32(st, t->name, t->rank, t->shape, dst, t->numel), MLC_OK);
            } else {
                CHECK_ERR(r, MLC_ERR_DTYPE);
            }
            free(dst);
        }
    }
    /* byte ranges: no overlap, no holes, and together exactly the data region */
    if (mlct_failures == before && st->count > 0) {
        qsort((void *)order, (size_t)st->count, sizeof *order, cmp_ptr_range);
        for (i = 1; i < st->count; i++) {
            const mlc_st_tensor *p = order[i - 1], *q = order[i];
            if (p->nbytes && q->nbytes) CHECK(p->data + p->nbytes <= q->data);
        }
        CHECK_EQ_INT(covered, st->data_size);
    } else if (mlct_failures == before) {
        CHECK_EQ_INT(st->data_size, 0);
    }
    free((void *)order);
    return mlct_failures - before;
}

static void hexdump(const unsigned char *p, size_t n) {
    size_t i;
    fprintf(stderr, "  buffer (%zu bytes): ", n);
    for (i = 0; i < n; i++) fprintf(stderr, "%02x", p[i]);
    fprintf(stderr, "\n");
}

/* Parses a copy of p[0..n) in an exactly-sized block with a fresh arena of
   arena_size bytes (also exactly sized); checks the invariants on success. */
static mlc_result parse_copy_arena(const unsigned char *p, size_t n, size_t arena_size) {
    unsigned char *buf = exact_copy(p, n);
    unsigned char *mem = (unsigned char *)xmalloc(arena_size);
    mlc_arena arena;
    mlc_safetensors st;
    mlc_result r;
    mlc_arena_init(&arena, mem, arena_size);
    memset(&st, 0, sizeof st);
    r = mlc_st_parse(&st, buf, n, &arena);
    if (r == MLC_OK && st_invariants(&st, buf, n, &arena)) hexdump(p, n);
    free(buf); free(mem);
    return r;
}
static mlc_result parse_copy(const unsigned char *p, size_t n) { return parse_copy_arena(p, n, ST_ARENA); }

/* Parses a hand-written header (+ datalen bytes) and checks the result is
   want (or want2, when different). */
static void expect_json2(const char *json, size_t datalen, mlc_result want, mlc_result want2, int line) {
    size_t size;
    unsigned char *p = st_raw(json, datalen, &size);
    mlc_result r = parse_copy(p, size);
    if (r != want && r != want2) {
        mlct_failures++;
        fprintf(stderr, "  %s:%d: header %s (+%zu data bytes) gave %s, expected %s", __FILE__, line,
                json, datalen, mlc_result_string(r), mlc_result_string(want));
        if (want2 != want) fprintf(stderr, " or %s", mlc_result_string(want2));
        fprintf(stderr, "\n");
    }
    free(p);
}
#define EXPECT_JSON(json, datalen, want) expect_json2((json), (datalen), (want), (want), __LINE__)
#define EXPECT_JSON2(json, datalen, w1, w2) expect_json2((json), (datalen), (w1), (w2), __LINE__)

/* An open, parsed file for the tests that look inside. */
typedef struct {
    unsigned char *buf; size_t size;
    unsigned char *mem; mlc_arena arena;
    mlc_safetensors st;
} st_file;

static mlc_result st_open(st_file *f, unsigned char *buf, size_t size) {  /* takes buf */
    mlc_result r;
    f->buf = buf; f->size = size;
    f->mem = (unsigned char *)xmalloc(ST_ARENA);
    mlc_arena_init(&f->arena, f->mem, ST_ARENA);
    memset(&f->st, 0, sizeof f->st);
    r = mlc_st_parse(&f->st, buf, size, &f->arena);
    if (r == MLC_OK && st_invariants(&f->st, buf, size, &f->arena)) hexdump(buf, size);
    return r;
}
static void st_close(st_file *f) { free(f->buf); free(f->mem); memset(f, 0, sizeof *f); }

/* Reads tensor name as float32 (rank < 0: any shape) and compares bit for
   bit with want[0..n) (NaN matches any NaN). */
static void check_read(const mlc_safetensors *st, const char *name, int rank, const int *shape,
                       const float *want, size_t n, int line) {
    float *got = (float *)xmalloc(n * sizeof(float));
    mlc_result r = mlc_st_read_f32(st, name, rank, shape, got, n);
    size_t i;
    if (r != MLC_OK) {
        mlct_failures++;
        fprintf(stderr, "  %s:%d: reading %s gave %s\n", __FILE__, line, name, mlc_result_string(r));
    } else {
        for (i = 0; i < n; i++) {
            int ok = isnan(want[i]) ? isnan(got[i]) != 0 : f32_bits(want[i]) == f32_bits(got[i]);
            if (!ok) {
                mlct_failures++;
                fprintf(stderr, "  %s:%d: %s[%zu] = %.9g (0x%08x), expected %.9g (0x%08x)\n", __FILE__, line,
                        name, i, (double)got[i], (unsigned)f32_bits(got[i]), (double)want[i],
                        (unsigned)f32_bits(want[i]));
                break;
            }
        }
    }
    free(got);
}
#define CHECK_READ(st, name, rank, shape, want, n) check_read((st), (name), (rank), (shape), (want), (n), __LINE__)

/* ---- f16 / bf16 conversion ---------------------------------------------------- */

static void test_st_f16_known_values(void) {
    /* float -> f16, including every rounding boundary kind */
    static const struct { float f; uint16_t h; } tab[] = {
        { 0.0f, 0x0000 }, { 1.0f, 0x3C00 }, { -2.0f, 0xC000 }, { 0.5f, 0x3800 },
        { 65504.0f, 0x7BFF },                      /* largest finite */
        { 65519.0f, 0x7BFF },                      /* below the halfway point to 65536 */
        { 65520.0f, 0x7C00 },                      /* halfway: ties to even overflows to inf */
        { 1e10f, 0x7C00 }, { -1e10f, 0xFC00 },
        { 6.103515625e-05f, 0x0400 },              /* 2^-14, smallest normal */
        { 5.9604644775390625e-08f, 0x0001 },       /* 2^-24, smallest subnormal */
        { 2.98023223876953125e-08f, 0x0000 },      /* 2^-25: tie, rounds to even 0 */
        { 8.94069671630859375e-08f, 0x0002 },      /* 3*2^-25: tie between 1 and 2 -> 2 */
        { 6.1005353927612305e-05f, 0x0400 },       /* 1023.5*2^-24: tie, up to the normal range */
        { 1.00048828125f, 0x3C00 },                /* 1 + 2^-11: tie -> even 0x3C00 */
        { 1.00146484375f, 0x3C02 },                /* 1 + 3*2^-11: tie -> even 0x3C02 */
        { 1.00048840045928955078125f, 0x3C01 },    /* 1 + 2^-11 + 2^-23: just above the tie */
        { 1e-10f, 0x0000 }, { -1e-10f, 0x8000 },
        { 0.333333343f, 0x3555 }, { 3.14159274f, 0x4248 }
    };
    static const uint32_t nans[] = { 0x7FC00000u, 0x7F800001u, 0xFF800001u, 0x7FFFFFFFu, 0xFFC00000u, 0x7F802000u };
    size_t i;
    for (i = 0; i < sizeof tab / sizeof tab[0]; i++) {
        uint16_t h = mlc_f32_to_f16(tab[i].f);
        if (h != tab[i].h) {
            mlct_failures++;
            fprintf(stderr, "  mlc_f32_to_f16(%.17g) = 0x%04x, expected 0x%04x\n", (double)tab[i].f, h, tab[i].h);
        }
        CHECK_EQ_INT(ref_f32_to_f16(tab[i].f), tab[i].h);   /* the reference agrees with the table */
    }
    CHECK_EQ_INT(mlc_f32_to_f16(-0.0f), 0x8000);
    CHECK_EQ_INT(mlc_f32_to_f16(INFINITY), 0x7C00);
    CHECK_EQ_INT(mlc_f32_to_f16(-INFINITY), 0xFC00);
    for (i = 0; i < sizeof nans / sizeof nans[0]; i++) {
        uint16_t h = mlc_f32_to_f16(bits_f32(nans[i]));
        if (!f16_is_nan(h)) {
            mlct_failures++;
            fprintf(stderr, "  mlc_f32_to_f16(NaN 0x%08x) = 0x%04x, not a NaN\n", (unsigned)nans[i], h);
        }
    }
    /* f16 -> float */
    CHECK(mlc_f16_to_f32(0x3C00) == 1.0f);
    CHECK(mlc_f16_to_f32(0xC000) == -2.0f);
    CHECK(mlc_f16_to_f32(0x7BFF) == 65504.0f);
    CHECK(mlc_f16_to_f32(0x0001) == 5.9604644775390625e-08f);
    CHECK(mlc_f16_to_f32(0x03FF) == 6.0975551605224609375e-05f);
    CHECK(mlc_f16_to_f32(0x0400) == 6.103515625e-05f);
    CHECK(mlc_f16_to_f32(0x7C00) == INFINITY);
    CHECK(mlc_f16_to_f32(0xFC00) == -INFINITY);
    CHECK(isnan(mlc_f16_to_f32(0x7E00)));
    CHECK(isnan(mlc_f16_to_f32(0x7C01)));
    CHECK(isnan(mlc_f16_to_f32(0xFFFF)));
    CHECK(mlc_f16_to_f32(0x8000) == 0.0f && signbit(mlc_f16_to_f32(0x8000)));
}

static void test_st_f16_exhaustive(void) {
    unsigned h;
    int bad_dec = 0, bad_rt = 0, bad_rnd = 0;
    mlct_rng rng;
    int i;
    /* every half -> float against the reference, and back */
    for (h = 0; h < 65536; h++) {
        float f = mlc_f16_to_f32((uint16_t)h), w = ref_f16_to_f32((uint16_t)h);
        if (isnan(w) ? !isnan(f) : f32_bits(f) != f32_bits(w)) {
            if (!bad_dec++) fprintf(stderr, "  mlc_f16_to_f32(0x%04x) = %.9g, expected %.9g\n", h, (double)f, (double)w);
        }
        if (!isnan(w)) {
            uint16_t back = mlc_f32_to_f16(w);
            if (back != h && !bad_rt++) fprintf(stderr, "  f16 0x%04x -> %.9g -> 0x%04x\n", h, (double)w, back);
        } else if (!f16_is_nan(mlc_f32_to_f16(w)) && !bad_rt++) {
            fprintf(stderr, "  f16 NaN 0x%04x does not stay NaN\n", h);
        }
    }
    /* floats at and next to every halfway point between neighbouring halves */
    for (h = 0; h < 0x7C00; h++) {
        double lo = ref_f16_to_f32((uint16_t)h), hi = h == 0x7BFF ? 65536.0 : ref_f16_to_f32((uint16_t)(h + 1));
        float mid = (float)((lo + hi) / 2), probes[4];
        int k, s;
        probes[0] = mid; probes[1] = nextafterf(mid, 0.0f); probes[2] = nextafterf(mid, INFINITY);
        probes[3] = (float)lo;
        for (k = 0; k < 4; k++) for (s = 0; s < 2; s++) {
            float f = s ? -probes[k] : probes[k];
            uint16_t got = mlc_f32_to_f16(f), want = ref_f32_to_f16(f);
            if (got != want && !bad_rnd++)
                fprintf(stderr, "  mlc_f32_to_f16(%.17g [0x%08x]) = 0x%04x, expected 0x%04x\n", (double)f,
                        (unsigned)f32_bits(f), got, want);
        }
    }
    /* random bit patterns over the whole float range */
    rng.s = 12345;
    for (i = 0; i < 100000; i++) {
        float f = bits_f32(mlct_u32(&rng));
        uint16_t got = mlc_f32_to_f16(f);
        if (isnan(f) ? !f16_is_nan(got) : got != ref_f32_to_f16(f)) {
            if (!bad_rnd++) fprintf(stderr, "  mlc_f32_to_f16(%.9g [0x%08x]) = 0x%04x, expected 0x%04x\n",
                                    (double)f, (unsigned)f32_bits(f), got, ref_f32_to_f16(f));
        }
    }
    CHECK_EQ_INT(bad_dec, 0);
    CHECK_EQ_INT(bad_rt, 0);
    CHECK_EQ_INT(bad_rnd, 0);
}

static void test_st_bf16_conversion(void) {
    static const struct { uint32_t f; uint16_t h; } tab[] = {
        { 0x3F800000u, 0x3F80 },  /* 1.0 */
        { 0x3F808000u, 0x3F80 },  /* 1 + 2^-8: tie -> even */
        { 0x3F818000u, 0x3F82 },  /* 1 + 3*2^-8: tie -> even (up) */
        { 0x3F808001u, 0x3F81 },  /* just above the tie */
        { 0x3F807FFFu, 0x3F80 },  /* just below the tie */
        { 0xC0400000u, 0xC040 },  /* -3 */
        { 0x7F7FFFFFu, 0x7F80 },  /* FLT_MAX rounds to inf */
        { 0x7F7F7FFFu, 0x7F7F },  /* below the overflow tie */
        { 0x7F800000u, 0x7F80 }, { 0xFF800000u, 0xFF80 },
        { 0x00000001u, 0x0000 },  /* tiny subnormal */
        { 0x00008000u, 0x0000 },  /* tie at zero -> even 0 */
        { 0x00018000u, 0x0002 },  /* tie -> even 2 */
        { 0x80000000u, 0x8000 }
    };
    static const uint32_t nans[] = { 0x7FC00000u, 0x7F800001u, 0xFF800001u, 0x7FFFFFFFu, 0x7F80FFFFu, 0xFFFFFFFFu };
    static const uint32_t lows[] = { 0, 1, 0x7FFF, 0x8000, 0x8001, 0xFFFF };
    size_t i;
    unsigned h;
    int bad = 0, bad_dec = 0;
    for (i = 0; i < sizeof tab / sizeof tab[0]; i++) {
        uint16_t got = mlc_f32_to_bf16(bits_f32(tab[i].f));
        if (got != tab[i].h) {
            mlct_failures++;
            fprintf(stderr, "  mlc_f32_to_bf16(0x%08x) = 0x%04x, expected 0x%04x\n", (unsigned)tab[i].f, got, tab[i].h);
        }
        CHECK_EQ_INT(ref_f32_to_bf16(bits_f32(tab[i].f)), tab[i].h);
    }
    for (i = 0; i < sizeof nans / sizeof nans[0]; i++) {
        uint16_t got = mlc_f32_to_bf16(bits_f32(nans[i]));
        if (!bf16_is_nan(got)) {
            mlct_failures++;
            fprintf(stderr, "  mlc_f32_to_bf16(NaN 0x%08x) = 0x%04x, not a NaN\n", (unsigned)nans[i], got);
        }
    }
    for (h = 0; h < 65536; h++) {
        float f = mlc_bf16_to_f32((uint16_t)h), w = ref_bf16_to_f32((uint16_t)h);
        if (isnan(w) ? !isnan(f) : f32_bits(f) != f32_bits(w)) {
            if (!bad_dec++) fprintf(stderr, "  mlc_bf16_to_f32(0x%04x) = %.9g\n", h, (double)f);
        }
        for (i = 0; i < sizeof lows / sizeof lows[0]; i++) {
            float x = bits_f32(((uint32_t)h << 16) | lows[i]);
            uint16_t got = mlc_f32_to_bf16(x);
            if (isnan(x) ? !bf16_is_nan(got) : got != ref_f32_to_bf16(x)) {
                if (!bad++) fprintf(stderr, "  mlc_f32_to_bf16(0x%08x) = 0x%04x, expected 0x%04x\n",
                                    (unsigned)f32_bits(x), got, ref_f32_to_bf16(x));
            }
        }
    }
    CHECK(mlc_bf16_to_f32(0x3F80) == 1.0f);
    CHECK(mlc_bf16_to_f32(0xFF80) == -INFINITY);
    CHECK(isnan(mlc_bf16_to_f32(0x7FC0)));
    CHECK_EQ_INT(bad_dec, 0);
    CHECK_EQ_INT(bad, 0);
}

/* ---- valid files ---------------------------------------------------------------- */

/* The values used by the float-read tests and by the fuzz seeds. */
static const float k_f32_vals[6] = { 1.0f, -2.5f, 3.25f, 1e-3f, -0.0f, 65536.0f };
static const uint16_t k_f16_vals[6] = { 0x3C00, 0xC000, 0x7BFF, 0x0001, 0x7C00, 0xFE00 };
static const uint16_t k_bf16_vals[5] = { 0x3F80, 0xC040, 0x7F80, 0x0001, 0x7FC0 };
static const double k_f64_vals[4] = { 0.1, -1e-3, 1.5, 3.0e38 };

typedef struct {
    unsigned char f32[24], f16[12], bf16[10], f64[32], i32[8], u8[3];
} mixed_data;

static void mixed_fill(mixed_data *d) {
    int i;
    for (i = 0; i < 6; i++) put_f32(d->f32 + 4 * i, k_f32_vals[i]);
    for (i = 0; i < 6; i++) put_u16(d->f16 + 2 * i, k_f16_vals[i]);
    for (i = 0; i < 5; i++) put_u16(d->bf16 + 2 * i, k_bf16_vals[i]);
    for (i = 0; i < 4; i++) put_f64(d->f64 + 8 * i, k_f64_vals[i]);
    put_u32(d->i32, 7); put_u32(d->i32 + 4, 0xFFFFFFFFu);
    d->u8[0] = 1; d->u8[1] = 2; d->u8[2] = 255;
}

/* A file with one tensor of each float dtype plus I32 and U8, in an order
   that is not sorted by name; header padded so (8+N) % align == rem. */
static unsigned char *build_mixed(const mixed_data *d, const char *meta, size_t align, size_t rem, size_t *size) {
    st_entry e[6];
    e[0].name = "w.f64";  e[0].dtype = "F64";  e[0].shape = "[2,2]";   e[0].data = d->f64;  e[0].nbytes = 32;
    e[1].name = "u8";     e[1].dtype = "U8";   e[1].shape = "[3]";     e[1].data = d->u8;   e[1].nbytes = 3;
    e[2].name = "w.f32";  e[2].dtype = "F32";  e[2].shape = "[2,3]";   e[2].data = d->f32;  e[2].nbytes = 24;
    e[3].name = "w.bf16"; e[3].dtype = "BF16"; e[3].shape = "[5]";     e[3].data = d->bf16; e[3].nbytes = 10;
    e[4].name = "a.i32";  e[4].dtype = "I32";  e[4].shape = "[1,2]";   e[4].data = d->i32;  e[4].nbytes = 8;
    e[5].name = "w.f16";  e[5].dtype = "F16";  e[5].shape = "[3,1,2]"; e[5].data = d->f16;  e[5].nbytes = 12;
    return st_build(e, 6, meta, 0, align, rem, size);
}

static void check_mixed(const mlc_safetensors *st) {
    static const char *const sorted[6] = { "a.i32", "u8", "w.bf16", "w.f16", "w.f32", "w.f64" };
    float want[6];
    int i, s23[2] = { 2, 3 }, s312[3] = { 3, 1, 2 }, s5[1] = { 5 }, s22[2] = { 2, 2 };
    int bad_shape[2] = { 3, 2 }, bad_rank[1] = { 6 };
    const mlc_st_tensor *t;
    float tmp[8];
    CHECK_EQ_INT(st->count, 6);
    if (st->count != 6) return;
    for (i = 0; i < 6; i++) CHECK(strcmp(st->tensors[i].name, sorted[i]) == 0);
    t = mlc_st_find(st, "w.f32");
    CHECK(t != NULL);
    if (t) {
        CHECK_EQ_INT(t->dtype, MLC_F32); CHECK_EQ_INT(t->rank, 2);
        CHECK_EQ_INT(t->shape[0], 2); CHECK_EQ_INT(t->shape[1], 3);
        CHECK_EQ_INT(t->numel, 6); CHECK_EQ_INT(t->nbytes, 24);
    }
    t = mlc_st_find(st, "w.f16");
    CHECK(t != NULL);
    if (t) { CHECK_EQ_INT(t->dtype, MLC_F16); CHECK_EQ_INT(t->rank, 3); CHECK_EQ_INT(t->shape[1], 1); CHECK_EQ_INT(t->nbytes, 12); }
    t = mlc_st_find(st, "u8");
    CHECK(t != NULL);
    if (t) { CHECK_EQ_INT(t->dtype, MLC_U8); CHECK_EQ_INT(t->nbytes, 3); CHECK_EQ_INT(t->data[2], 255); }
    t = mlc_st_find(st, "a.i32");
    CHECK(t != NULL);
    if (t) { CHECK_EQ_INT(t->dtype, MLC_I32); CHECK_EQ_INT(get_u32(t->data), 7); }
    CHECK(mlc_st_find(st, "w") == NULL);
    CHECK(mlc_st_find(st, "w.f32x") == NULL);
    CHECK(mlc_st_find(st, "") == NULL);
    CHECK(mlc_st_find(st, "__metadata__") == NULL);

    CHECK_READ(st, "w.f32", 2, s23, k_f32_vals, 6);
    CHECK_READ(st, "w.f32", -1, NULL, k_f32_vals, 6);
    CHECK(signbit(k_f32_vals[4]));
    for (i = 0; i < 6; i++) want[i] = ref_f16_to_f32(k_f16_vals[i]);
    CHECK(want[0] == 1.0f && want[1] == -2.0f && want[2] == 65504.0f && want[3] == 5.9604644775390625e-08f);
    CHECK(isinf(want[4]) && isnan(want[5]));
    CHECK_READ(st, "w.f16", 3, s312, want, 6);
    for (i = 0; i < 5; i++) want[i] = ref_bf16_to_f32(k_bf16_vals[i]);
    CHECK(want[0] == 1.0f && want[1] == -3.0f && isinf(want[2]) && want[3] == ldexpf(1.0f, -133) && isnan(want[4]));
    CHECK_READ(st, "w.bf16", 1, s5, want, 5);
    for (i = 0; i < 4; i++) want[i] = (float)k_f64_vals[i];
    CHECK_READ(st, "w.f64", 2, s22, want, 4);

    /* the errors of mlc_st_read_f32 */
    CHECK_ERR(mlc_st_read_f32(st, "nope", -1, NULL, tmp, 6), MLC_ERR_NOT_FOUND);
    CHECK_ERR(mlc_st_read_f32(st, "w.f3", -1, NULL, tmp, 6), MLC_ERR_NOT_FOUND);
    CHECK_ERR(mlc_st_read_f32(st, "w.f32", 2, bad_shape, tmp, 6), MLC_ERR_SHAPE);
    CHECK_ERR(mlc_st_read_f32(st, "w.f32", 1, bad_rank, tmp, 6), MLC_ERR_SHAPE);
    CHECK_ERR(mlc_st_read_f32(st, "w.f32", 3, s312, tmp, 6), MLC_ERR_SHAPE);
    CHECK_ERR(mlc_st_read_f32(st, "w.f32", -1, NULL, tmp, 5), MLC_ERR_SHAPE);
    CHECK_ERR(mlc_st_read_f32(st, "w.f32", -1, NULL, tmp, 7), MLC_ERR_SHAPE);
    CHECK_ERR(mlc_st_read_f32(st, "a.i32", -1, NULL, tmp, 2), MLC_ERR_DTYPE);
    CHECK_ERR(mlc_st_read_f32(st, "u8", -1, NULL, tmp, 3), MLC_ERR_DTYPE);
    {   /* a destination too small for the shape asked for is not OK (and not overrun) */
        float *small = (float *)xmalloc(5 * sizeof(float));
        CHECK(mlc_st_read_f32(st, "w.f32", 2, s23, small, 5) != MLC_OK);
        free(small);
    }
}

static void test_st_valid_multi(void) {
    mixed_data d;
    st_file f;
    size_t size;
    unsigned char *buf;
    mixed_fill(&d);
    buf = build_mixed(&d, NULL, 0, 0, &size);
    CHECK_OK(st_open(&f, buf, size));
    if (f.st.count) check_mixed(&f.st);
    CHECK(mlc_arena_peak(&f.arena) > 0);
    st_close(&f);
}

/* Data starting at every offset mod 8: F32, F16, F64 data unaligned. */
static void test_st_unaligned(void) {
    mixed_data d;
    size_t rem;
    int saw_unaligned = 0;
    mixed_fill(&d);
    for (rem = 0; rem < 8; rem++) {
        st_file f;
        size_t size;
        unsigned char *buf = build_mixed(&d, NULL, 8, rem, &size);
        CHECK_EQ_INT((8 + get_u64(buf)) % 8, rem);
        CHECK_OK(st_open(&f, buf, size));
        if (f.st.count == 6) {
            const mlc_st_tensor *t = mlc_st_find(&f.st, "w.f32");
            if (t && ((uintptr_t)t->data & 3) != 0) saw_unaligned = 1;
            check_mixed(&f.st);
        }
        st_close(&f);
    }
    CHECK(saw_unaligned);
}

static void test_st_metadata(void) {
    static const char *const metas[] = {
        "{\"format\":\"pt\"}",
        "{}",
        "{\"format\":\"pt\",\"note\":\"a \\\"quoted\\\" value, with {braces} and [brackets] and \\u00e9\",\"k\":\"\"}"
    };
    mixed_data d;
    int m, first;
    mixed_fill(&d);
    for (m = 0; m < 3; m++) for (first = 0; first < 2; first++) {
        st_entry e[2];
        st_file f;
        size_t size;
        unsigned char *buf;
        e[0].name = "b"; e[0].dtype = "F32"; e[0].shape = "[2]"; e[0].data = d.f32; e[0].nbytes = 8;
        e[1].name = "a"; e[1].dtype = "F16"; e[1].shape = "[2]"; e[1].data = d.f16; e[1].nbytes = 4;
        buf = st_build(e, 2, metas[m], first, 0, 0, &size);
        CHECK_OK(st_open(&f, buf, size));
        CHECK_EQ_INT(f.st.count, 2);
        CHECK(mlc_st_find(&f.st, "__metadata__") == NULL);
        if (f.st.count == 2) CHECK_READ(&f.st, "b", -1, NULL, k_f32_vals, 2);
        st_close(&f);
    }
    {   /* only metadata, no tensors */
        st_file f;
        size_t size;
        unsigned char *buf = st_build(NULL, 0, metas[0], 0, 0, 0, &size);
        CHECK_OK(st_open(&f, buf, size));
        CHECK_EQ_INT(f.st.count, 0);
        st_close(&f);
    }
}

static void test_st_empty(void) {
    st_file f;
    size_t size;
    unsigned char *buf = st_raw("{}", 0, &size);
    float x = 0;
    CHECK_EQ_INT(size, 10);
    CHECK_OK(st_open(&f, buf, size));
    CHECK_EQ_INT(f.st.count, 0);
    CHECK_EQ_INT(f.st.data_size, 0);
    CHECK(mlc_st_find(&f.st, "a") == NULL);
    CHECK_ERR(mlc_st_read_f32(&f.st, "a", -1, NULL, &x, 1), MLC_ERR_NOT_FOUND);
    st_close(&f);
    /* trailing spaces are padding, and JSON whitespace is allowed */
    buf = st_raw("{}      ", 0, &size);
    CHECK_OK(st_open(&f, buf, size)); CHECK_EQ_INT(f.st.count, 0); st_close(&f);
    buf = st_raw("{ \n\t\r}", 0, &size);
    CHECK_OK(st_open(&f, buf, size)); CHECK_EQ_INT(f.st.count, 0); st_close(&f);
}

/* Pretty-printed JSON (newlines, tabs, spaces around every token). */
static void test_st_whitespace(void) {
    static const char json[] =
        "{\n\t\"b\" : {\n\t\t\"dtype\" : \"F32\" ,\n\t\t\"shape\" : [ 1 , 2 ] ,\n"
        "\t\t\"data_offsets\" : [ 4 , 12 ]\n\t} ,\r\n \"a\":{ \"data_offsets\":[0,4], \"shape\":[], \"dtype\":\"F32\" }\n}  ";
    unsigned char *buf;
    size_t size;
    st_file f;
    float want[3] = { 1.0f, -2.5f, 3.25f };
    int s12[2] = { 1, 2 };
    buf = st_raw(json, 12, &size);
    put_f32(buf + size - 12, want[0]); put_f32(buf + size - 8, want[1]); put_f32(buf + size - 4, want[2]);
    CHECK_OK(st_open(&f, buf, size));
    CHECK_EQ_INT(f.st.count, 2);
    if (f.st.count == 2) {
        CHECK_READ(&f.st, "a", -1, NULL, want, 1);
        CHECK_READ(&f.st, "b", 2, s12, want + 1, 2);
    }
    st_close(&f);
}

/* Rank 0 (a scalar: numel 1), a zero-size tensor, and rank MLC_MAX_RANK. */
static void test_st_scalar_and_zero_size(void) {
    unsigned char data[4 + 8 + 8];
    st_entry e[4];
    st_file f;
    size_t size;
    unsigned char *buf;
    float want[2] = { -7.5f, 0.25f }, got[2];
    int s6[6] = { 1, 2, 1, 1, 1, 1 }, s0[1] = { 0 };
    put_f32(data, want[0]);
    put_f64(data + 4, 0.25);
    put_f32(data + 12, 1.0f); put_f32(data + 16, 2.0f);
    e[0].name = "scalar"; e[0].dtype = "F32"; e[0].shape = "[]";          e[0].data = data;      e[0].nbytes = 4;
    e[1].name = "empty";  e[1].dtype = "F32"; e[1].shape = "[0]";         e[1].data = data;      e[1].nbytes = 0;
    e[2].name = "d";      e[2].dtype = "F64"; e[2].shape = "[]";          e[2].data = data + 4;  e[2].nbytes = 8;
    e[3].name = "r6";     e[3].dtype = "F32"; e[3].shape = "[1,2,1,1,1,1]"; e[3].data = data + 12; e[3].nbytes = 8;
    buf = st_build(e, 4, NULL, 0, 0, 0, &size);
    CHECK_OK(st_open(&f, buf, size));
    CHECK_EQ_INT(f.st.count, 4);
    if (f.st.count == 4) {
        const mlc_st_tensor *t = mlc_st_find(&f.st, "scalar");
        CHECK(t != NULL);
        if (t) { CHECK_EQ_INT(t->rank, 0); CHECK_EQ_INT(t->numel, 1); CHECK_EQ_INT(t->nbytes, 4); }
        CHECK_READ(&f.st, "scalar", 0, s6, want, 1);     /* rank 0: shape not looked at */
        CHECK_READ(&f.st, "scalar", -1, NULL, want, 1);
        CHECK_READ(&f.st, "d", 0, s6, want + 1, 1);
        CHECK_ERR(mlc_st_read_f32(&f.st, "scalar", 1, s6, got, 1), MLC_ERR_SHAPE);
        t = mlc_st_find(&f.st, "empty");
        CHECK(t != NULL);
        if (t) { CHECK_EQ_INT(t->rank, 1); CHECK_EQ_INT(t->numel, 0); CHECK_EQ_INT(t->nbytes, 0); }
        CHECK_ERR(mlc_st_read_f32(&f.st, "empty", 1, s0, got, 0), MLC_OK);
        CHECK_ERR(mlc_st_read_f32(&f.st, "empty", -1, NULL, got, 0), MLC_OK);
        t = mlc_st_find(&f.st, "r6");
        CHECK(t != NULL);
        if (t) CHECK_EQ_INT(t->rank, 6);
        want[0] = 1.0f; want[1] = 2.0f;
        CHECK_READ(&f.st, "r6", 6, s6, want, 2);
    }
    st_close(&f);
}

/* Names with JSON escapes are decoded to UTF-8. */
static void test_st_escaped_names(void) {
    static const struct { const char *json, *decoded; } names[] = {
        { "q\\\"uote",          "q\"uote" },
        { "back\\\\slash",      "back\\slash" },
        { "caf\\u00e9",         "caf\xC3\xA9" },
        { "caf\\u00E9s",        "caf\xC3\xA9s" },
        { "euro\\u20ac",        "euro\xE2\x82\xAC" },
        { "A\\u0041\\u007f",    "AA\x7F" },
        { "sl\\/ash\\n\\t",     "sl/ash\n\t" },
        { "raw\xC3\xA9utf8",    "raw\xC3\xA9utf8" },
        { "\\\"\\\\\\u00e9",    "\"\\\xC3\xA9" },
        { "",                   "" }
    };
    enum { N = sizeof names / sizeof names[0] };
    st_entry e[N];
    unsigned char data[4 * N];
    st_file f;
    size_t size;
    unsigned char *buf;
    int i;
    for (i = 0; i < N; i++) {
        put_f32(data + 4 * i, (float)i);
        e[i].name = names[i].json; e[i].dtype = "F32"; e[i].shape = "[1]"; e[i].data = data + 4 * i; e[i].nbytes = 4;
    }
    buf = st_build(e, N, NULL, 0, 0, 0, &size);
    CHECK_OK(st_open(&f, buf, size));
    CHECK_EQ_INT(f.st.count, N);
    if (f.st.count == N) {
        for (i = 0; i < N; i++) {
            float want = (float)i;
            const mlc_st_tensor *t = mlc_st_find(&f.st, names[i].decoded);
            if (!t) { mlct_failures++; fprintf(stderr, "  name %s (json) not found decoded\n", names[i].json); continue; }
            CHECK_READ(&f.st, names[i].decoded, 1, t->shape, &want, 1);
        }
    }
    st_close(&f);
    /* A surrogate pair is either one 4-byte UTF-8 character or an error,
       never two 3-byte halves. */
    {
        const char *json = "{\"\\ud83d\\ude00\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}";
        mlc_result r;
        buf = st_raw(json, 1, &size);
        r = st_open(&f, buf, size);
        CHECK(r == MLC_OK || r == MLC_ERR_FORMAT);
        if (r == MLC_OK) {
            CHECK_EQ_INT(f.st.count, 1);
            if (f.st.count == 1) CHECK(strcmp(f.st.tensors[0].name, "\xF0\x9F\x98\x80") == 0);
        }
        st_close(&f);
    }
}

/* Every dtype the format names, with its element size. */
static void test_st_all_dtypes(void) {
    static const struct { const char *name; mlc_dtype t; size_t size; } dt[] = {
        { "F32", MLC_F32, 4 }, { "F16", MLC_F16, 2 }, { "BF16", MLC_BF16, 2 }, { "F64", MLC_F64, 8 },
        { "I8", MLC_I8, 1 }, { "U8", MLC_U8, 1 }, { "I16", MLC_I16, 2 }, { "I32", MLC_I32, 4 },
        { "I64", MLC_I64, 8 }, { "BOOL", MLC_BOOL, 1 }, { "U16", MLC_U16, 2 }, { "U32", MLC_U32, 4 },
        { "U64", MLC_U64, 8 }
    };
    enum { N = sizeof dt / sizeof dt[0] };
    st_entry e[N];
    char names[N][8];
    unsigned char data[N * 24];
    st_file f;
    size_t size, i;
    unsigned char *buf, *p = data;
    memset(data, 0, sizeof data);   /* zeros are valid in every dtype */
    for (i = 0; i < N; i++) {
        snprintf(names[i], sizeof names[i], "t%02d", (int)i);
        e[i].name = names[i]; e[i].dtype = dt[i].name; e[i].shape = "[3]"; e[i].data = p; e[i].nbytes = 3 * dt[i].size;
        p += 3 * dt[i].size;
    }
    buf = st_build(e, N, NULL, 0, 0, 0, &size);
    CHECK_OK(st_open(&f, buf, size));
    CHECK_EQ_INT(f.st.count, N);
    for (i = 0; i < (size_t)f.st.count && i < N; i++) {
        const mlc_st_tensor *t = mlc_st_find(&f.st, names[i]);
        CHECK(t != NULL);
        if (!t) continue;
        CHECK_EQ_INT(t->dtype, dt[i].t);
        CHECK_EQ_INT(t->nbytes, 3 * dt[i].size);
        CHECK_EQ_INT(mlc_dtype_size(dt[i].t), dt[i].size);
    }
    st_close(&f);
}

/* Many tensors given in scrambled order: the table is sorted and every name
   is found. */
static void test_st_many_tensors(void) {
    enum { N = 97 };
    st_entry e[N];
    char names[N][32];
    unsigned char data[N * 4];
    st_file f;
    size_t size;
    unsigned char *buf;
    int i;
    for (i = 0; i < N; i++) {
        int k = (i * 37) % N;  /* scrambled */
        snprintf(names[i], sizeof names[i], "layers.%d.weight", k);
        put_f32(data + 4 * i, (float)k);
        e[i].name = names[i]; e[i].dtype = "F32"; e[i].shape = "[1]"; e[i].data = data + 4 * i; e[i].nbytes = 4;
    }
    buf = st_build(e, N, NULL, 0, 0, 0, &size);
    CHECK_OK(st_open(&f, buf, size));
    CHECK_EQ_INT(f.st.count, N);
    for (i = 0; i < N && f.st.count == N; i++) {
        char nm[32];
        float want = (float)i;
        snprintf(nm, sizeof nm, "layers.%d.weight", i);
        CHECK_READ(&f.st, nm, -1, NULL, &want, 1);
        snprintf(nm, sizeof nm, "layers.%d.weigh", i);
        CHECK(mlc_st_find(&f.st, nm) == NULL);
    }
    st_close(&f);
}

static void test_st_null_args(void) {
    unsigned char mem[256], *buf;
    size_t size;
    mlc_arena a;
    mlc_safetensors st;
    float x[4];
    buf = st_raw("{}", 0, &size);
    mlc_arena_init(&a, mem, sizeof mem);
    CHECK_ERR(mlc_st_parse(NULL, buf, size, &a), MLC_ERR_NULL);
    CHECK_ERR(mlc_st_parse(&st, NULL, 16, &a), MLC_ERR_NULL);
    CHECK_ERR(mlc_st_parse(&st, buf, size, NULL), MLC_ERR_NULL);
    CHECK_OK(mlc_st_parse(&st, buf, size, &a));
    CHECK(mlc_st_find(&st, NULL) == NULL);
    CHECK(mlc_st_find(NULL, "a") == NULL);
    CHECK_ERR(mlc_st_read_f32(NULL, "a", -1, NULL, x, 1), MLC_ERR_NULL);
    CHECK_ERR(mlc_st_read_f32(&st, NULL, -1, NULL, x, 1), MLC_ERR_NULL);
    free(buf);
}

/* mlc_file_load: errors are MLC_ERR_IO (a directory is not a readable file,
   whatever ftell says about it) and outputs are cleared. */
static void test_st_file_load(void) {
    void *data = (void *)&data;
    size_t size = 123;
    char path[1024];
    CHECK_ERR(mlc_file_load(NULL, &data, &size), MLC_ERR_NULL);
    snprintf(path, sizeof path, "%s/no such file.safetensors", mlct_dir);
    CHECK_ERR(mlc_file_load(path, &data, &size), MLC_ERR_IO);
    CHECK(data == NULL);
    CHECK_EQ_INT(size, 0);
    data = (void *)&data; size = 123;
    CHECK_ERR(mlc_file_load(mlct_dir, &data, &size), MLC_ERR_IO);
    CHECK(data == NULL);
    if (data && data != (void *)&data) mlc_file_free(data);
    mlc_file_free(NULL);
}

/* ---- one test per error class ------------------------------------------------------ */

static void test_st_err_truncated(void) {
    unsigned char b[32];
    size_t n;
    /* fewer than 8 bytes */
    memset(b, 0, sizeof b);
    for (n = 0; n < 8; n++) CHECK_ERR(parse_copy(b, n), MLC_ERR_TRUNCATED);
    /* header length larger than what follows */
    put_u64(b, 3); memcpy(b + 8, "{}", 2);
    CHECK_ERR(parse_copy(b, 10), MLC_ERR_TRUNCATED);
    put_u64(b, 1000);
    CHECK_ERR(parse_copy(b, 10), MLC_ERR_TRUNCATED);
    put_u64(b, 1);
    CHECK_ERR(parse_copy(b, 8), MLC_ERR_TRUNCATED);
    /* lengths that wrap around when 8 is added */
    put_u64(b, UINT64_MAX);
    CHECK_ERR(parse_copy(b, 10), MLC_ERR_TRUNCATED);
    put_u64(b, UINT64_MAX - 7);
    CHECK_ERR(parse_copy(b, 10), MLC_ERR_TRUNCATED);
    put_u64(b, UINT64_MAX - 8);
    CHECK_ERR(parse_copy(b, 10), MLC_ERR_TRUNCATED);
    put_u64(b, (uint64_t)1 << 63);
    CHECK_ERR(parse_copy(b, 10), MLC_ERR_TRUNCATED);
    put_u64(b, (uint64_t)1 << 32 | 2);
    CHECK_ERR(parse_copy(b, 10), MLC_ERR_TRUNCATED);
}

/* Cutting a valid file short at every length gives an error and never reads
   past the cut: TRUNCATED while the header is incomplete, BOUNDS once only
   tensor data is missing. */
static void test_st_truncate_every_length(void) {
    mixed_data d;
    int which;
    mixed_fill(&d);
    for (which = 0; which < 2; which++) {
        size_t size, n, hend;
        unsigned char *full = build_mixed(&d, which ? "{\"format\":\"pt\"}" : NULL, which ? 8 : 0, 0, &size);
        int bad = 0;
        hend = 8 + (size_t)get_u64(full);
        CHECK_ERR(parse_copy(full, size), MLC_OK);
        for (n = 0; n < size; n++) {
            mlc_result r = parse_copy(full, n), want = n < hend ? MLC_ERR_TRUNCATED : MLC_ERR_BOUNDS;
            if (r != want && !bad++)
                fprintf(stderr, "  file %d cut to %zu of %zu bytes (header ends at %zu): %s, expected %s\n",
                        which, n, size, hend, mlc_result_string(r), mlc_result_string(want));
        }
        CHECK_EQ_INT(bad, 0);
        free(full);
    }
}

#define T1(name, dtype, shape, offs) "{\"" name "\":{\"dtype\":\"" dtype "\",\"shape\":" shape ",\"data_offsets\":" offs "}}"

static void test_st_err_json(void) {
    static const struct { const char *json; size_t data; } bad[] = {
        { "", 0 },
        { " ", 0 },
        { "{", 0 },
        { "}", 0 },
        { "[]", 0 },
        { "\"x\"", 0 },
        { "null", 0 },
        { "1", 0 },
        { "{}}", 0 },
        { "{} x", 0 },
        { "{}{}", 0 },
        { "{,}", 0 },
        { "{\"a\"}", 0 },
        { "{\"a\":}", 0 },
        { "{\"a\" {\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4 },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}", 4 },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},}", 4 },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],}}", 4 },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[1,],\"data_offsets\":[0,4]}}", 4 },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[1] \"data_offsets\":[0,4]}}", 4 },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0 4]}}", 4 },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4}}", 4 },
        { "{\"a\":{\"dtype\":F32,\"shape\":[1],\"data_offsets\":[0,4]}}", 4 },
        { "{\"a\":{\"dtype\":\"F32,\"shape\":[1],\"data_offsets\":[0,4]}}", 4 },
        { "{a:{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4 },
        { "{'a':{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4 },
        { "{\"a\\q\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4 },      /* bad escape */
        { "{\"a\\u12\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4 },     /* short \u */
        { "{\"a\\u12g4\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4 },   /* non-hex */
        { "{\"a\\", 0 },
        { "{\"a\\u00", 0 },
        { "{\"abc", 0 },
        { "{\"a\x01\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4 },      /* control char */
        { "{\"a\nb\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4 },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[01],\"data_offsets\":[0,4]}}", 4 },        /* leading zero */
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[+0,4]}}", 4 },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,0x4]}}", 4 },
        /* a tensor entry that is not an object, fields of the wrong type */
        { "{\"a\":null}", 0 },
        { "{\"a\":[]}", 0 },
        { "{\"a\":\"F32\"}", 0 },
        { "{\"a\":1}", 0 },
        { T1("a", "F32", "[1]", "[0]"), 4 },
        { T1("a", "F32", "[1]", "[0,4,4]"), 4 },
        { T1("a", "F32", "[1]", "4"), 4 },
        { T1("a", "F32", "1", "[0,4]"), 4 },
        { T1("a", "F32", "{}", "[0,4]"), 4 },
        { "{\"a\":{\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,4]}}", 4 },
        { "{\"a\":{\"dtype\":[\"F32\"],\"shape\":[1],\"data_offsets\":[0,4]}}", 4 },
        /* __metadata__ must be an object of strings */
        { "{\"__metadata__\":1}", 0 },
        { "{\"__metadata__\":\"x\"}", 0 },
        { "{\"__metadata__\":{\"a\":1}}", 0 },
        { "{\"__metadata__\":{\"a\":{}}}", 0 },
        { "{\"__metadata__\":{\"a\"}}", 0 },
        { "{\"__metadata__\":{\"a\":\"b\",}}", 0 }
    };
    size_t i;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) EXPECT_JSON(bad[i].json, bad[i].data, MLC_ERR_FORMAT);
    /* the header must be exactly the JSON value: NUL padding is not spaces */
    {
        unsigned char b[8 + 4];
        put_u64(b, 4); memcpy(b + 8, "{}\0\0", 4);
        CHECK_ERR(parse_copy(b, sizeof b), MLC_ERR_FORMAT);
    }
    /* the valid form of the entries above parses, so the errors are the edits */
    EXPECT_JSON(T1("a", "F32", "[1]", "[0,4]"), 4, MLC_OK);
    EXPECT_JSON("{\"__metadata__\":{\"a\":\"b\"}}", 0, MLC_OK);
}

static void test_st_err_dtype(void) {
    EXPECT_JSON(T1("a", "F8", "[4]", "[0,4]"), 4, MLC_ERR_FORMAT);
    EXPECT_JSON(T1("a", "f32", "[1]", "[0,4]"), 4, MLC_ERR_FORMAT);
    EXPECT_JSON(T1("a", "F32 ", "[1]", "[0,4]"), 4, MLC_ERR_FORMAT);
    EXPECT_JSON(T1("a", " F32", "[1]", "[0,4]"), 4, MLC_ERR_FORMAT);
    EXPECT_JSON(T1("a", "F3", "[1]", "[0,4]"), 4, MLC_ERR_FORMAT);
    EXPECT_JSON(T1("a", "F320", "[1]", "[0,4]"), 4, MLC_ERR_FORMAT);
    EXPECT_JSON(T1("a", "", "[1]", "[0,4]"), 4, MLC_ERR_FORMAT);
    EXPECT_JSON(T1("a", "FLOAT", "[1]", "[0,4]"), 4, MLC_ERR_FORMAT);
    EXPECT_JSON(T1("a", "F\\u0033\\u0032", "[1]", "[0,4]"), 4, MLC_OK);  /* escapes decode to F32 */
}

static void test_st_err_missing_field(void) {
    EXPECT_JSON("{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4, MLC_ERR_FORMAT);
    EXPECT_JSON("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4, MLC_ERR_FORMAT);
    EXPECT_JSON("{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4, MLC_ERR_FORMAT);
    EXPECT_JSON("{\"a\":{}}", 0, MLC_ERR_FORMAT);
    EXPECT_JSON("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offset\":[0,4]}}", 4, MLC_ERR_FORMAT);
    /* the second of two tensors lacks a field */
    EXPECT_JSON("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                "\"b\":{\"dtype\":\"F32\",\"shape\":[1]}}", 8, MLC_ERR_FORMAT);
}

static void test_st_err_non_integer(void) {
    EXPECT_JSON(T1("a", "F32", "[1.5]", "[0,4]"), 4, MLC_ERR_FORMAT);
    EXPECT_JSON(T1("a", "F32", "[1.0]", "[0,4]"), 4, MLC_ERR_FORMAT);
    EXPECT_JSON(T1("a", "F32", "[1e0]", "[0,4]"), 4, MLC_ERR_FORMAT);
    EXPECT_JSON(T1("a", "F32", "[\"1\"]", "[0,4]"), 4, MLC_ERR_FORMAT);
    EXPECT_JSON(T1("a", "F32", "[true]", "[0,4]"), 4, MLC_ERR_FORMAT);
    EXPECT_JSON(T1("a", "F32", "[null]", "[0,4]"), 4, MLC_ERR_FORMAT);
    EXPECT_JSON(T1("a", "F32", "[[1]]", "[0,4]"), 4, MLC_ERR_FORMAT);
    EXPECT_JSON(T1("a", "F32", "[1]", "[0,4.0]"), 4, MLC_ERR_FORMAT);
    EXPECT_JSON(T1("a", "F32", "[1]", "[0.0,4]"), 4, MLC_ERR_FORMAT);
    EXPECT_JSON(T1("a", "F32", "[1]", "[0,\"4\"]"), 4, MLC_ERR_FORMAT);
}

static void test_st_err_negative(void) {
    EXPECT_JSON(T1("a", "F32", "[-1]", "[0,4]"), 4, MLC_ERR_FORMAT);
    EXPECT_JSON(T1("a", "F32", "[-1,-1]", "[0,4]"), 4, MLC_ERR_FORMAT);
    EXPECT_JSON(T1("a", "F32", "[0,-1]", "[0,0]"), 0, MLC_ERR_FORMAT);
    EXPECT_JSON(T1("a", "F32", "[1]", "[-4,0]"), 4, MLC_ERR_FORMAT);
    EXPECT_JSON(T1("a", "F32", "[1]", "[0,-4]"), 4, MLC_ERR_FORMAT);
}

static void test_st_err_duplicate(void) {
    EXPECT_JSON("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, MLC_ERR_FORMAT);
    /* the same name after decoding */
    EXPECT_JSON("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                "\"\\u0061\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, MLC_ERR_FORMAT);
    EXPECT_JSON("{\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]},"
                "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12, MLC_ERR_FORMAT);
    /* two __metadata__ objects */
    EXPECT_JSON("{\"__metadata__\":{},\"__metadata__\":{}}", 0, MLC_ERR_FORMAT);
    /* a duplicated field inside one tensor */
    EXPECT_JSON("{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, MLC_ERR_FORMAT);
}

static void test_st_err_rank(void) {
    EXPECT_JSON(T1("a", "F32", "[1,1,1,1,1,1]", "[0,4]"), 4, MLC_OK);
    EXPECT_JSON2(T1("a", "F32", "[1,1,1,1,1,1,1]", "[0,4]"), 4, MLC_ERR_FORMAT, MLC_ERR_UNSUPPORTED);
    EXPECT_JSON2(T1("a", "F32", "[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]", "[0,4]"),
                 4, MLC_ERR_FORMAT, MLC_ERR_UNSUPPORTED);
}

static void test_st_err_size_mismatch(void) {
    EXPECT_JSON(T1("a", "F32", "[2]", "[0,4]"), 4, MLC_ERR_FORMAT);
    EXPECT_JSON(T1("a", "F32", "[1]", "[0,8]"), 8, MLC_ERR_FORMAT);
    EXPECT_JSON(T1("a", "F16", "[2,3]", "[0,10]"), 10, MLC_ERR_FORMAT);
    EXPECT_JSON(T1("a", "F32", "[]", "[0,8]"), 8, MLC_ERR_FORMAT);
    EXPECT_JSON(T1("a", "F32", "[]", "[0,0]"), 0, MLC_ERR_FORMAT);
    EXPECT_JSON(T1("a", "F32", "[0]", "[0,4]"), 4, MLC_ERR_FORMAT);
    EXPECT_JSON(T1("a", "F64", "[1]", "[0,4]"), 4, MLC_ERR_FORMAT);
    EXPECT_JSON(T1("a", "BOOL", "[4]", "[0,1]"), 1, MLC_ERR_FORMAT);
    /* numel * size overflows 64 bits and wraps to what the range holds:
       (2^62+1) * 4 = 2^64 + 4, and 65536^4 * 1 = 2^64 */
    EXPECT_JSON2(T1("a", "F32", "[5,5581,8681,49477,384773]", "[0,4]"), 4, MLC_ERR_FORMAT, MLC_ERR_UNSUPPORTED);
    EXPECT_JSON2(T1("a", "U8", "[65536,65536,65536,65536]", "[0,0]"), 0, MLC_ERR_FORMAT, MLC_ERR_UNSUPPORTED);
    EXPECT_JSON2(T1("a", "U8", "[65536,65536,65536,65536,1]", "[0,0]"), 0, MLC_ERR_FORMAT, MLC_ERR_UNSUPPORTED);
    /* a dimension that does not fit an int, in a zero-size tensor */
    EXPECT_JSON2(T1("a", "F32", "[0,2147483648]", "[0,0]"), 0, MLC_ERR_FORMAT, MLC_ERR_UNSUPPORTED);
    EXPECT_JSON2(T1("a", "F32", "[0,4294967297]", "[0,0]"), 0, MLC_ERR_FORMAT, MLC_ERR_UNSUPPORTED);
    EXPECT_JSON2(T1("a", "F32", "[0,18446744073709551617]", "[0,0]"), 0, MLC_ERR_FORMAT, MLC_ERR_UNSUPPORTED);
    EXPECT_JSON(T1("a", "F32", "[0,2147483647]", "[0,0]"), 0, MLC_OK);
}

static void test_st_err_bounds(void) {
    /* past the end of the data */
    EXPECT_JSON(T1("a", "F32", "[2]", "[0,8]"), 4, MLC_ERR_BOUNDS);
    EXPECT_JSON(T1("a", "F32", "[1]", "[4,8]"), 4, MLC_ERR_BOUNDS);
    EXPECT_JSON(T1("a", "F32", "[0]", "[8,8]"), 4, MLC_ERR_BOUNDS);
    EXPECT_JSON(T1("a", "F32", "[1]", "[0,4]"), 0, MLC_ERR_BOUNDS);
    /* overlapping */
    EXPECT_JSON("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, MLC_ERR_BOUNDS);
    EXPECT_JSON("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, MLC_ERR_BOUNDS);
    EXPECT_JSON("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]},"
                "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 12, MLC_ERR_BOUNDS);
    /* a hole between two tensors, and before the first */
    EXPECT_JSON("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12, MLC_ERR_BOUNDS);
    EXPECT_JSON(T1("a", "F32", "[1]", "[4,8]"), 8, MLC_ERR_BOUNDS);
    /* data left over after the last tensor */
    EXPECT_JSON(T1("a", "F32", "[1]", "[0,4]"), 8, MLC_ERR_BOUNDS);
    EXPECT_JSON(T1("a", "F32", "[1]", "[0,4]"), 5, MLC_ERR_BOUNDS);
    EXPECT_JSON("{}", 1, MLC_ERR_BOUNDS);
    EXPECT_JSON(T1("a", "F32", "[0]", "[0,0]"), 4, MLC_ERR_BOUNDS);
    /* begin after end, and offsets too large for 64 bits: an error either way */
    EXPECT_JSON2(T1("a", "F32", "[1]", "[8,4]"), 8, MLC_ERR_BOUNDS, MLC_ERR_FORMAT);
    EXPECT_JSON2(T1("a", "F32", "[1]", "[18446744073709551612,0]"), 4, MLC_ERR_BOUNDS, MLC_ERR_FORMAT);
    EXPECT_JSON2(T1("a", "F32", "[1]", "[18446744073709551615,3]"), 4, MLC_ERR_BOUNDS, MLC_ERR_FORMAT);
    EXPECT_JSON2(T1("a", "F32", "[1]", "[18446744073709551616,18446744073709551620]"), 4, MLC_ERR_BOUNDS, MLC_ERR_FORMAT);
    EXPECT_JSON2(T1("a", "F32", "[1]", "[99999999999999999999999,100000000000000000000003]"), 4, MLC_ERR_BOUNDS, MLC_ERR_FORMAT);
    EXPECT_JSON2(T1("a", "F32", "[1]", "[18446744073709551612,18446744073709551616]"), 4, MLC_ERR_BOUNDS, MLC_ERR_FORMAT);
    /* the correct layouts of the same tensors parse */
    EXPECT_JSON("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, MLC_OK);
    EXPECT_JSON("{\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, MLC_OK);
    EXPECT_JSON(T1("a", "F32", "[0]", "[0,0]"), 0, MLC_OK);
}

/* Every arena size from 0 up: NOMEM (with arena.need past the size) until
   the arena is large enough, then OK. The arena block is exactly sized, so
   a write past it is caught. (Which size first works depends on how the
   block happens to be aligned, so only "NOMEM or OK" is asserted per size.) */
static void test_st_err_nomem(void) {
    mixed_data d;
    size_t size, asz, first_ok = 0;
    unsigned char *buf;
    int bad = 0;
    mixed_fill(&d);
    buf = build_mixed(&d, "{\"format\":\"pt\"}", 0, 0, &size);
    for (asz = 0; asz < 8192; asz++) {
        unsigned char *mem = (unsigned char *)xmalloc(asz);
        mlc_arena a;
        mlc_safetensors st;
        mlc_result r;
        mlc_arena_init(&a, mem, asz);
        r = mlc_st_parse(&st, buf, size, &a);
        if (r == MLC_OK) {
            if (!first_ok) first_ok = asz ? asz : 1;
            if (st_invariants(&st, buf, size, &a)) bad++;
            CHECK(a.used <= asz);
        } else {
            if (r != MLC_ERR_NOMEM && !bad++)
                fprintf(stderr, "  arena of %zu bytes: %s, expected MLC_ERR_NOMEM\n", asz, mlc_result_string(r));
            if (a.need <= asz && !bad++) fprintf(stderr, "  arena of %zu bytes: need = %zu\n", asz, a.need);
        }
        free(mem);
        if (first_ok && asz > first_ok + 256) break;
    }
    CHECK(first_ok > 64);
    {   /* no arena memory at all */
        mlc_arena a;
        mlc_safetensors st;
        mlc_arena_init(&a, NULL, 0);
        CHECK_ERR(mlc_st_parse(&st, buf, size, &a), MLC_ERR_NOMEM);
    }
    CHECK_EQ_INT(bad, 0);
    free(buf);
}

/* ---- mutation fuzzing ----------------------------------------------------------- */

enum { N_SEEDS = 7 };

/* Valid files the mutations start from. */
static void make_seeds(unsigned char *seed[N_SEEDS], size_t seed_size[N_SEEDS]) {
    static unsigned char zeros[64];
    mixed_data d;
    st_entry e[4];
    unsigned char sc[12];
    mixed_fill(&d);
    seed[0] = build_mixed(&d, NULL, 0, 0, &seed_size[0]);
    seed[1] = build_mixed(&d, "{\"format\":\"pt\",\"k\":\"v\\\"\\u00e9\"}", 8, 3, &seed_size[1]);
    put_f32(sc, 2.5f); put_f64(sc + 4, -0.125);
    e[0].name = "s";      e[0].dtype = "F32";  e[0].shape = "[]";    e[0].data = sc;     e[0].nbytes = 4;
    e[1].name = "z";      e[1].dtype = "F16";  e[1].shape = "[0,3]"; e[1].data = sc;     e[1].nbytes = 0;
    e[2].name = "d";      e[2].dtype = "F64";  e[2].shape = "[1]";   e[2].data = sc + 4; e[2].nbytes = 8;
    e[3].name = "q\\\"\\u00e9\\\\"; e[3].dtype = "BF16"; e[3].shape = "[1,1,1,1,1,2]"; e[3].data = d.bf16; e[3].nbytes = 4;
    seed[2] = st_build(e, 4, NULL, 0, 0, 0, &seed_size[2]);
    seed[3] = st_raw("{}", 0, &seed_size[3]);
    seed[4] = st_raw("{\n  \"b\" : { \"dtype\" : \"F32\", \"shape\" : [ 2 ], \"data_offsets\" : [ 0, 8 ] },\n"
                     "  \"__metadata__\" : { \"x\" : \"y\" } }   ", 8, &seed_size[4]);
    e[0].name = "a"; e[0].dtype = "I64";  e[0].shape = "[2]";   e[0].data = zeros; e[0].nbytes = 16;
    e[1].name = "b"; e[1].dtype = "BOOL"; e[1].shape = "[3]";   e[1].data = zeros; e[1].nbytes = 3;
    e[2].name = "c"; e[2].dtype = "U16";  e[2].shape = "[1,2]"; e[2].data = zeros; e[2].nbytes = 4;
    e[3].name = "e"; e[3].dtype = "F16";  e[3].shape = "[2]";   e[3].data = d.f16; e[3].nbytes = 4;
    seed[5] = st_build(e, 4, NULL, 0, 0, 0, &seed_size[5]);
    e[0].name = "x"; e[0].dtype = "F32"; e[0].shape = "[3]"; e[0].data = d.f32; e[0].nbytes = 12;
    seed[6] = st_build(e, 1, "{}", 1, 4, 2, &seed_size[6]);
}

static size_t rnd(mlct_rng *r, size_t n) { return n ? (size_t)(mlct_u32(r) % (uint32_t)n) : 0; }

/* Where the header ends in b (clamped to the buffer). */
static size_t hdr_end(const sbuf *b) {
    uint64_t n;
    if (b->n < 8) return b->n;
    n = get_u64(b->p);
    return n > b->n - 8 ? b->n : (size_t)(8 + n);
}
static void set_hlen(sbuf *b, uint64_t n) { if (b->n >= 8) put_u64(b->p, n); }
/* Adjusts the header length by delta (usually: keeps the JSON in sync). */
static void bump_hlen(sbuf *b, long delta, mlct_rng *r) {
    if (b->n >= 8 && rnd(r, 4) != 0) set_hlen(b, get_u64(b->p) + (uint64_t)(int64_t)delta);
}

static const char *const k_tokens[] = {
    "\"", "{", "}", "[", "]", ",", ":", "\\", "\\u", "\\u00e9", "\\ud800", "\\udc00", " ", "-", "0", "1",
    "e", ".", "null", "true", "\"dtype\"", "\"shape\"", "\"data_offsets\"", "\"F32\"", "\"F16\"", "\"BF16\"",
    "\"F64\"", "\"I8\"", "\"BOOL\"", "\"U64\"", "[]", "[0]", "[1,1,1,1,1,1,1]", "[0,0]", "[0,4]", "\"__metadata__\"",
    "{}", "\"a\":{}", ",\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}", "\x01", "\xff", "\xc3\xa9"
};
static const char *const k_numbers[] = {
    "0", "1", "2", "3", "4", "7", "8", "12", "16", "-1", "-0", "1.5", "1e3", "01", "255", "256", "65535", "65536",
    "2147483647", "2147483648", "4294967295", "4294967296", "9223372036854775807", "9223372036854775808",
    "18446744073709551615", "18446744073709551616", "99999999999999999999999999"
};

/* One random edit of b. */
static void mutate_once(sbuf *b, mlct_rng *r) {
    size_t he = hdr_end(b), pos, n;
    unsigned op = (unsigned)rnd(r, 12);
    switch (op) {
    case 0:   /* flip a bit anywhere */
        if (b->n) { unsigned bit; pos = rnd(r, b->n); bit = (unsigned)rnd(r, 8); b->p[pos] ^= (unsigned char)(1u << bit); }
        break;
    case 1:   /* write a random or JSON-significant byte in the header */
        if (he > 8) {
            static const char sig[] = "{}[]\",:\\ -0123456789eE.u";
            pos = 8 + rnd(r, he - 8);
            if (rnd(r, 2)) b->p[pos] = (unsigned char)mlct_u32(r);
            else b->p[pos] = (unsigned char)sig[rnd(r, sizeof sig - 1)];
        }
        break;
    case 2:   /* insert a token into the header */
        if (he >= 8) {
            const char *t = k_tokens[rnd(r, sizeof k_tokens / sizeof k_tokens[0])];
            n = strlen(t);
            sb_insert(b, 8 + rnd(r, he - 8 + 1), t, n);
            bump_hlen(b, (long)n, r);
        }
        break;
    case 3:   /* delete bytes from the header */
        if (he > 8) {
            pos = 8 + rnd(r, he - 8);
            n = 1 + rnd(r, 8);
            if (n > he - pos) n = he - pos;
            sb_erase(b, pos, n);
            bump_hlen(b, -(long)n, r);
        }
        break;
    case 4: case 5: {  /* change a number in the JSON */
        size_t cand[64], nc = 0, i, end;
        for (i = 8; i < he && nc < 64; i++)
            if (b->p[i] >= '0' && b->p[i] <= '9' && !(b->p[i - 1] >= '0' && b->p[i - 1] <= '9')) cand[nc++] = i;
        if (!nc) break;
        pos = cand[rnd(r, nc)];
        if (op == 4) { b->p[pos] = (unsigned char)('0' + rnd(r, 10)); break; }
        for (end = pos; end < he && b->p[end] >= '0' && b->p[end] <= '9'; end++) {}
        {
            const char *t = k_numbers[rnd(r, sizeof k_numbers / sizeof k_numbers[0])];
            long delta = (long)strlen(t) - (long)(end - pos);
            sb_erase(b, pos, end - pos);
            sb_insert(b, pos, t, strlen(t));
            bump_hlen(b, delta, r);
        }
        break;
    }
    case 6: { /* change the 8-byte header length */
        uint64_t v = b->n >= 8 ? get_u64(b->p) : 0;
        switch (rnd(r, 6)) {
        case 0: v += 1 + rnd(r, 8); break;
        case 1: v -= 1 + rnd(r, 8); break;
        case 2: v = mlct_u32(r); break;
        case 3: v = (uint64_t)mlct_u32(r) << 32; v |= mlct_u32(r); break;
        case 4: v = b->n >= 8 ? b->n - 8 : 0; break;
        default: v = UINT64_MAX - rnd(r, 16); break;
        }
        set_hlen(b, v);
        break;
    }
    case 7:   /* truncate */
        if (b->n) b->n = rnd(r, b->n);
        break;
    case 8: { /* duplicate a "key":{...} entry right after itself */
        size_t starts[32], ns = 0, i, colon, close;
        for (i = 9; i + 1 < he && ns < 32; i++)
            if ((b->p[i - 1] == '{' || b->p[i - 1] == ',' || b->p[i - 1] == ' ') && b->p[i] == '"') starts[ns++] = i;
        if (!ns) break;
        pos = starts[rnd(r, ns)];
        for (colon = pos + 1; colon + 1 < he && !(b->p[colon] == ':' && b->p[colon + 1] == '{'); colon++) {}
        for (close = colon; close < he && b->p[close] != '}'; close++) {}
        if (close >= he) break;
        {
            size_t len = close + 1 - pos;
            unsigned char *tmp = (unsigned char *)xmalloc(len + 1);
            tmp[0] = ',';
            memcpy(tmp + 1, b->p + pos, len);
            sb_insert(b, close + 1, tmp, len + 1);
            free(tmp);
            bump_hlen(b, (long)(len + 1), r);
        }
        break;
    }
    case 9: { /* insert or delete bytes in the data region */
        if (rnd(r, 2) && b->n > he) { pos = he + rnd(r, b->n - he); n = 1 + rnd(r, 4); sb_erase(b, pos, n); }
        else {
            unsigned char x[4];
            put_u32(x, mlct_u32(r));
            pos = he + rnd(r, b->n - he + 1);
            n = 1 + rnd(r, 4);
            sb_insert(b, pos, x, n);
        }
        break;
    }
    case 10:  /* random bytes anywhere */
        if (b->n) { n = 1 + rnd(r, 4); while (n--) { pos = rnd(r, b->n); b->p[pos] = (unsigned char)mlct_u32(r); } }
        break;
    default: { /* swap two header bytes */
        if (he > 9) {
            size_t i = 8 + rnd(r, he - 8), j;
            j = 8 + rnd(r, he - 8);
            unsigned char t = b->p[i]; b->p[i] = b->p[j]; b->p[j] = t;
        }
        break;
    }
    }
}

static void write_corpus(const char *dir, unsigned char *seed[N_SEEDS], size_t seed_size[N_SEEDS]) {
    int i;
    for (i = 0; i < N_SEEDS; i++) {
        char path[1024];
        FILE *f;
        snprintf(path, sizeof path, "%s/seed%d.safetensors", dir, i);
        f = fopen(path, "wb");
        if (!f) { fprintf(stderr, "  cannot write %s\n", path); mlct_failures++; continue; }
        if (fwrite(seed[i], 1, seed_size[i], f) != seed_size[i]) { fprintf(stderr, "  short write %s\n", path); mlct_failures++; }
        fclose(f);
    }
}

static void test_st_fuzz_mutations(void) {
    unsigned char *seed[N_SEEDS];
    size_t seed_size[N_SEEDS];
    long iters = 20000, it, n_ok = 0, n_code[16];
    const char *env = getenv("MLCT_FUZZ_ITERS");
    unsigned char *arena_mem;
    int i, reported = 0;
    mlct_rng r;
    sbuf b;
    memset(n_code, 0, sizeof n_code);
    if (env && atol(env) > 0) iters = atol(env);
    make_seeds(seed, seed_size);
    if (getenv("MLCT_ST_CORPUS")) write_corpus(getenv("MLCT_ST_CORPUS"), seed, seed_size);
    /* the seeds themselves are valid */
    for (i = 0; i < N_SEEDS; i++) CHECK_ERR(parse_copy(seed[i], seed_size[i]), MLC_OK);
    arena_mem = (unsigned char *)xmalloc(ST_ARENA);
    sb_init(&b);
    r.s = 0x5AFE7E45u;
    for (it = 0; it < iters; it++) {
        int s = (int)(it % N_SEEDS), k, nmut, u = (int)rnd(&r, 10);
        unsigned char *buf, *mem;
        size_t asz;
        mlc_arena a;
        mlc_safetensors st;
        mlc_result res;
        int before = mlct_failures;
        nmut = u < 5 ? 1 : u < 8 ? 2 : 3 + u % 2;   /* 1 edit half the time, up to 4 */
        b.n = 0;
        sb_put(&b, seed[s], seed_size[s]);
        for (k = 0; k < nmut; k++) mutate_once(&b, &r);
        buf = exact_copy(b.p, b.n);
        /* mostly a roomy arena; sometimes one barely big enough or too small */
        if (rnd(&r, 8)) { asz = ST_ARENA; mem = arena_mem; }
        else { asz = rnd(&r, 2048); mem = (unsigned char *)xmalloc(asz); }
        mlc_arena_init(&a, mem, asz);
        memset(&st, 0, sizeof st);
        res = mlc_st_parse(&st, buf, b.n, &a);
        if (res == MLC_OK) { n_ok++; st_invariants(&st, buf, b.n, &a); }
        else if (res != MLC_ERR_FORMAT && res != MLC_ERR_TRUNCATED && res != MLC_ERR_BOUNDS &&
                 res != MLC_ERR_UNSUPPORTED && res != MLC_ERR_NOMEM) {
            fprintf(stderr, "  unexpected result %s\n", mlc_result_string(res));
            mlct_failures++;
        }
        if (res == MLC_ERR_NOMEM && asz == ST_ARENA) {
            fprintf(stderr, "  NOMEM with a %u-byte arena for a %zu-byte file\n", (unsigned)ST_ARENA, b.n);
            mlct_failures++;
        }
        n_code[-(int)res & 15]++;
        if (mlct_failures != before && reported++ < 3) {
            fprintf(stderr, "  (mutation %ld of seed %d, arena %zu)\n", it, s, asz);
            hexdump(buf, b.n);
        }
        if (mem != arena_mem) free(mem);
        free(buf);
    }
    if (getenv("MLCT_VERBOSE"))
        printf("     st fuzz: %ld files, %ld parsed, FORMAT %ld, TRUNCATED %ld, BOUNDS %ld, NOMEM %ld, UNSUPPORTED %ld\n",
               iters, n_ok, n_code[-MLC_ERR_FORMAT], n_code[-MLC_ERR_TRUNCATED], n_code[-MLC_ERR_BOUNDS],
               n_code[-MLC_ERR_NOMEM], n_code[-MLC_ERR_UNSUPPORTED]);
    /* the mutations must reach both the success path and each error class */
    CHECK(n_ok > iters / 50);
    CHECK(n_code[-MLC_ERR_FORMAT] > 0);
    CHECK(n_code[-MLC_ERR_TRUNCATED] > 0);
    CHECK(n_code[-MLC_ERR_BOUNDS] > 0);
    sb_free(&b);
    free(arena_mem);
    for (i = 0; i < N_SEEDS; i++) free(seed[i]);
}

const mlct_case mlct_st_cases[] = {
    MLCT_CASE(test_st_f16_known_values),
    MLCT_CASE(test_st_f16_exhaustive),
    MLCT_CASE(test_st_bf16_conversion),
    MLCT_CASE(test_st_valid_multi),
    MLCT_CASE(test_st_unaligned),
    MLCT_CASE(test_st_metadata),
    MLCT_CASE(test_st_empty),
    MLCT_CASE(test_st_whitespace),
    MLCT_CASE(test_st_scalar_and_zero_size),
    MLCT_CASE(test_st_escaped_names),
    MLCT_CASE(test_st_all_dtypes),
    MLCT_CASE(test_st_many_tensors),
    MLCT_CASE(test_st_null_args),
    MLCT_CASE(test_st_file_load),
    MLCT_CASE(test_st_err_truncated),
    MLCT_CASE(test_st_truncate_every_length),
    MLCT_CASE(test_st_err_json),
    MLCT_CASE(test_st_err_dtype),
    MLCT_CASE(test_st_err_missing_field),
    MLCT_CASE(test_st_err_non_integer),
    MLCT_CASE(test_st_err_negative),
    MLCT_CASE(test_st_err_duplicate),
    MLCT_CASE(test_st_err_rank),
    MLCT_CASE(test_st_err_size_mismatch),
    MLCT_CASE(test_st_err_bounds),
    MLCT_CASE(test_st_err_nomem),
    MLCT_CASE(test_st_fuzz_mutations)
};
const int mlct_st_count = (int)(sizeof mlct_st_cases / sizeof mlct_st_cases[0]);
