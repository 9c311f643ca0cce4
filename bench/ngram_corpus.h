/* ngram_corpus.h - the seeded synthetic corpus of the n-gram benchmarks
   (bench_ngram.c, ngram_driver.c): the same text as tests/ngram_ref.py
   corpus(). Include after <stdio.h>, <stdlib.h>, <string.h>, <stdint.h>. */
typedef struct { char *p; size_t n, cap; } sbuf;
static void put(sbuf *b, const char *s, size_t n) {
    if (b->n + n + 1 > b->cap) {
        b->cap = (b->cap ? b->cap : 1 << 16) * 2 + n;
        b->p = (char *)realloc(b->p, b->cap);
        if (!b->p) { fprintf(stderr, "out of memory\n"); exit(1); }
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
}
static uint32_t xs32(uint32_t *x) { *x ^= *x << 13; *x ^= *x >> 17; *x ^= *x << 5; return *x; }
static char *corpus(uint32_t seed, long n_words, uint32_t V, size_t *len) {
    static const char *const syl[16] = { "ka", "lo", "mi", "ne", "su", "ta", "ri", "po", "ve", "du", "ga", "hi", "jo", "ze", "bu", "fa" };
    sbuf b = {0, 0, 0};
    uint32_t x = seed, prev = 0;
    long words = 0;
    while (words < n_words) {
        int L = 3 + (int)(xs32(&x) % 10), j;
        for (j = 0; j < L; j++) {
            uint32_t w, i;
            int d[16], n = 0;
            if (j > 0 && xs32(&x) % 4 < 2) w = (prev * 7 + (xs32(&x) % 5) * 13 + 1) % V;
            else {
                uint64_t a = xs32(&x) % V, bb = xs32(&x) % V, c = xs32(&x) % V;
                w = (uint32_t)(a * bb / V * c / V);
            }
            if (j) put(&b, " ", 1);
            for (i = w + 1; i; i /= 16) d[n++] = (int)(i % 16);
            while (n--) put(&b, syl[d[n]], 2);
            prev = w;
        }
        put(&b, "\n", 1);
        words += L;
    }
    b.p[b.n] = 0;
    *len = b.n;
    return b.p;
}
