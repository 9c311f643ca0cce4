/* libFuzzer harness for the ARPA reader (mlc_ngram_read_arpa), the binary
   model reader (mlc_ngram_view_binary) and what a model they accept
   promises.

   Build and run (clang 14, libclang-rt-14-dev):
       clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
             -I. tests/fuzz_arpa.c -o fuzz_arpa -lm
       mkdir -p build/arpa_corpus
       MLCT_ARPA_CORPUS=build/arpa_corpus ./test_mlcore tests test_ngram_arpa_mutations   # seeds
       ./fuzz_arpa -max_total_time=60 -max_len=4096 build/arpa_corpus

   Each input is read three ways: with words kept (then written, read back
   and written again: the same bytes), query-only, and query-only into a
   small arena whose size comes from the input (to reach the out-of-memory
   paths). An accepted model is also written as a binary model, which must
   view and score the same. The input is also viewed as a binary model (an
   8-aligned copy): refused with a reader's error, or scored and sampled
   without a crash. Any broken promise aborts, so libFuzzer keeps the input. */
#define MLCORE_IMPLEMENTATION
#include "../mlcore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAIL(msg) do { fprintf(stderr, "fuzz_arpa: %s (line %d)\n", (msg), __LINE__); abort(); } while (0)

static char *arpa_of(const mlc_ngram *m, size_t *len) {
    char *b;
    if (mlc_ngram_write_arpa_mem(m, NULL, 0, len) != MLC_ERR_NOMEM) FAIL("size query");
    if (!(b = (char *)malloc(*len + 1))) return NULL;
    if (mlc_ngram_write_arpa_mem(m, b, *len + 1, len) != MLC_OK) FAIL("write");
    return b;
}

typedef struct { char *p; size_t n, cap; } membuf;
static int mem_write(void *user, const char *d, size_t n) {
    membuf *b = (membuf *)user;
    if (b->n + n > b->cap) {
        size_t c = b->cap ? b->cap * 2 : 4096;
        char *q;
        while (c < b->n + n) c *= 2;
        if (!(q = (char *)realloc(b->p, c))) return 1;
        b->p = q; b->cap = c;
    }
    memcpy(b->p + b->n, d, n);
    b->n += n;
    return 0;
}
static char *bin_of(const mlc_ngram *m, size_t *len) {
    membuf b = { NULL, 0, 0 };
    if (mlc_ngram_write_binary(m, 0, mem_write, &b) != MLC_OK) { free(b.p); return NULL; }
    *len = b.n;
    return b.p;
}

/* What a successful read promises. */
static void check(const mlc_ngram *m, const mlc_ngram *q) {
    mlc_ngram_state st, st2;
    mlc_ngram_ppl pp;
    uint32_t w, ctx[3];
    int n;
    if (m->order < 1 || m->order > MLC_NGRAM_MAX_ORDER) FAIL("order");
    if (m->vocab_size < 3 || m->counts[0] != m->vocab_size) FAIL("vocabulary");
    for (w = 0; w < 3; w++) {
        static const char *const sp[3] = { "<unk>", "<s>", "</s>" };
        if (strcmp(mlc_ngram_word_str(m, w), sp[w]) != 0) FAIL("special word ids");
    }
    for (w = 0; w < m->vocab_size; w++) {
        const char *s = mlc_ngram_word_str(m, w);
        if (!s || mlc_ngram_word_id(m, s, strlen(s)) != w) FAIL("word id round trip");
    }
    for (n = 0; n < m->order; n++) if (m->counts[n] != q->counts[n]) FAIL("query-only counts");
    /* every word after a few contexts: the state API equals the reference
       and the query-only model */
    mlc_ngram_state_null(&st);
    for (w = 0; w < m->vocab_size && w < 200; w++) {
        float a, b, c;
        int len;
        ctx[0] = MLC_NGRAM_BOS; ctx[1] = w % m->vocab_size; ctx[2] = (w * 7) % m->vocab_size;
        if (mlc_ngram_score(m, &st, w, &st2, &a, &len) != MLC_OK) FAIL("score");
        if (mlc_ngram_prob_ref(m, NULL, 0, w, &b) != MLC_OK || memcmp(&a, &b, 4) != 0) FAIL("state vs reference");
        if (len < 1 || len > m->order || st2.length < 0 || st2.length > m->order - 1) FAIL("lengths");
        if (mlc_ngram_prob_ref(q, ctx, 3, w, &c) != MLC_OK || mlc_ngram_prob_ref(m, ctx, 3, w, &b) != MLC_OK ||
            memcmp(&b, &c, 4) != 0) FAIL("query-only differs");
        if (a != a || b != b) FAIL("NaN score");
    }
    if (mlc_ngram_perplexity(m, "a b </s> <s>\n\nzz <unk>\n", 23, &pp) != MLC_OK || pp.tokens != 9 || pp.sentences != 3)
        FAIL("perplexity");
    {   /* written, read back, written again: the same bytes */
        size_t l1, l2, line;
        char *a1 = arpa_of(m, &l1), *a2;
        mlc_ngram r;
        if (!a1) return;
        if (mlc_ngram_read_arpa(&r, a1, l1, 0, NULL, &line) != MLC_OK) FAIL("our ARPA does not read back");
        a2 = arpa_of(&r, &l2);
        if (a2 && (l1 != l2 || memcmp(a1, a2, l1) != 0)) FAIL("write -> read -> write differs");
        free(a2);
        free(a1);
        mlc_ngram_free(&r);
    }
    {   /* as a binary model: views, scores the same, writes the same bytes */
        size_t l1 = 0, l2 = 0;
        char *b1 = bin_of(m, &l1), *b2;
        mlc_ngram v;
        mlc_ngram_ppl p2;
        if (!b1) return;
        if (mlc_ngram_view_binary(&v, b1, l1) != MLC_OK) FAIL("our binary does not view");
        if (mlc_ngram_perplexity(&v, "a b </s> <s>\n\nzz <unk>\n", 23, &p2) != MLC_OK || p2.log10_sum != pp.log10_sum)
            FAIL("binary scores differ");
        b2 = bin_of(&v, &l2);
        if (b2 && (l1 != l2 || memcmp(b1, b2, l1) != 0)) FAIL("binary -> view -> binary differs");
        free(b2);
        free(b1);
    }
}

/* The input as a binary model. */
static void try_binary(const uint8_t *data, size_t size) {
    uint64_t *buf = (uint64_t *)malloc(size ? size : 1);   /* 8-aligned, exactly sized */
    mlc_ngram v;
    mlc_result r;
    if (!buf) return;
    if (size) memcpy(buf, data, size);
    r = mlc_ngram_view_binary(&v, buf, size);
    if (r == MLC_OK) {
        mlc_ngram_ppl pp;
        uint64_t rng = 1;
        char out[128];
        size_t sz = mlc_ngram_sample_scratch_bytes(&v);
        void *scratch = sz < (1u << 20) ? malloc(sz) : NULL;
        if (mlc_ngram_perplexity(&v, "a b </s> <s>\n\nzz <unk>\n", 23, &pp) != MLC_OK) FAIL("binary perplexity");
        if (scratch) mlc_ngram_generate(&v, 1.0f, 3, &rng, 20, scratch, out, sizeof out, NULL);
        free(scratch);
        mlc_ngram_write_arpa_mem(&v, NULL, 0, &sz);
    } else if (r != MLC_ERR_FORMAT && r != MLC_ERR_TRUNCATED && r != MLC_ERR_UNSUPPORTED && r != MLC_ERR_BOUNDS) {
        FAIL("unexpected binary error code");
    }
    free(buf);
}

static size_t lines_in(const uint8_t *d, size_t n) {
    size_t i, c = 1;
    for (i = 0; i < n; i++) c += d[i] == '\n';
    return c;
}

#ifdef __cplusplus
extern "C"
#endif
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
#ifdef __cplusplus
extern "C"
#endif
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *buf = (char *)malloc(size ? size : 1);
    unsigned char *small;
    size_t line = 0, line2 = 0, small_size = (size * 13) % 4096;
    mlc_ngram m, q;
    mlc_arena a;
    mlc_result r, r2, r3;
    if (!buf) return 0;
    if (size) memcpy(buf, data, size);   /* exactly sized: ASan sees an overread */
    try_binary(data, size);
    r = mlc_ngram_read_arpa(&m, buf, size, 0, NULL, &line);
    r2 = mlc_ngram_read_arpa(&q, buf, size, 1, NULL, &line2);
    if (r != r2 || line != line2) FAIL("query-only read disagrees");
    if (r == MLC_OK) {
        if (line != 0) FAIL("line set on success");
        check(&m, &q);
        mlc_ngram_free(&m);
        mlc_ngram_free(&q);
    } else {
        if (r != MLC_ERR_FORMAT && r != MLC_ERR_TRUNCATED && r != MLC_ERR_UNSUPPORTED) FAIL("unexpected error code");
        if (line < 1 || line > lines_in(data, size) + 1) FAIL("error line out of the file");
        if (m.order != 0 || m.bytes != 0 || m.owned_) FAIL("model not cleared on error");
    }
    small = (unsigned char *)malloc(small_size ? small_size : 1);
    if (small) {
        mlc_arena_init(&a, small, small_size);
        r3 = mlc_ngram_read_arpa(&q, buf, size, 1, &a, NULL);
        if (r3 != r && r3 != MLC_ERR_NOMEM) FAIL("result depends on the arena");
        if (r3 == MLC_ERR_NOMEM && (a.need <= small_size || a.used != 0)) FAIL("NOMEM without arena.need past the size");
        if (r3 == MLC_OK && (q.owned_ || q.bytes > small_size)) FAIL("arena model");
        free(small);
    }
    free(buf);
    return 0;
}
