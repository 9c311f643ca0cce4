/* n-gram language models (mlc_ngram_*).

   - Hand-computed models: every discount, probability and backoff of a
     5-sentence bigram corpus worked out by hand (comments below), the
     fallback path, add-k and stupid backoff.
   - Against tests/ngram_ref.py, an independent estimator (pure Python,
     dictionaries, float32 emulated): golden/ngram_ref.safetensors holds
     every n-gram's log10 p and backoff of 7 models, among them an order-3
     model of a 100k-word corpus that both sides generate from the same
     seeded xorshift32. Tolerance 1e-6 on log10 values: both sides compute
     lmplz's float32 operations in the same order; they differ only where
     glibc's log10f and Python's correctly rounded log10 disagree by an ulp
     (<= 4.8e-7 for |x| < 8); perplexity sums within 1e-3 (5000+ such
     values), token counts exactly.
   - Against KenLM: lmplz's ARPA for two small texts, line for line.
   - The state API against mlc_ngram_prob_ref (the ARPA definition by direct
     lookups): bit-identical.
   - ARPA: write -> read -> write byte-stable; files in KenLM, SRILM and
     IRSTLM styles; every kind of malformed file with its line number; a
     mutation test (MLCT_FUZZ_ITERS buffers, default 6000) that must run
     clean under ASan+UBSan.
   - Sampling: frequencies of 20000 draws within 5 sigma, temperature 0 and
     top-k, seeded reproducibility. */
#include <stdlib.h>
#include <float.h>
#include "mlc_test.h"

/* ---- helpers ---------------------------------------------------------------- */
static void *xmalloc(size_t n) { void *p = malloc(n ? n : 1); if (!p) { fprintf(stderr, "out of memory\n"); exit(2); } return p; }

typedef struct { char *p; size_t n, cap; } sbuf;
static void sb_put(sbuf *b, const char *s, size_t n) {
    if (b->n + n + 1 > b->cap) {
        size_t c = b->cap ? b->cap : 1024;
        while (c < b->n + n + 1) c *= 2;
        b->p = (char *)realloc(b->p, c);
        if (!b->p) exit(2);
        b->cap = c;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}
static void sb_str(sbuf *b, const char *s) { sb_put(b, s, strlen(s)); }

/* The synthetic corpus of tests/ngram_ref.py corpus(): same bytes. */
static uint32_t xs32(uint32_t *x) { *x ^= *x << 13; *x ^= *x >> 17; *x ^= *x << 5; return *x; }
static const char *const syl[16] = { "ka", "lo", "mi", "ne", "su", "ta", "ri", "po", "ve", "du", "ga", "hi", "jo", "ze", "bu", "fa" };
static void word_name(sbuf *b, uint32_t i) {
    int d[16], n = 0;
    i += 1;
    while (i) { d[n++] = (int)(i % 16); i /= 16; }
    while (n--) sb_str(b, syl[d[n]]);
}
static char *make_corpus(uint32_t seed, int n_words, uint32_t V, size_t *len) {
    sbuf b = {0, 0, 0};
    uint32_t x = seed, prev = 0;
    int words = 0, first = 1;
    while (words < n_words) {
        int L = 3 + (int)(xs32(&x) % 10), j;
        if (!first) sb_str(&b, "\n");
        first = 0;
        for (j = 0; j < L; j++) {
            uint32_t w;
            if (j > 0 && xs32(&x) % 4 < 2) w = (prev * 7 + (xs32(&x) % 5) * 13 + 1) % V;
            else {
                uint64_t a = xs32(&x) % V, bb = xs32(&x) % V, c = xs32(&x) % V;
                w = (uint32_t)(a * bb / V * c / V);
            }
            if (j) sb_str(&b, " ");
            word_name(&b, w);
            prev = w;
        }
        words += L;
    }
    sb_str(&b, "\n");
    *len = b.n;
    return b.p;
}

static char *arpa_of(const mlc_ngram *m, size_t *len) {
    char *buf;
    CHECK_ERR(mlc_ngram_write_arpa_mem(m, NULL, 0, len), MLC_ERR_NOMEM);
    buf = (char *)xmalloc(*len + 1);
    CHECK_OK(mlc_ngram_write_arpa_mem(m, buf, *len + 1, len));
    buf[*len] = 0;
    return buf;
}

/* An ARPA as mlcore writes it, parsed with strtof: per order, in file order. */
typedef struct { int n; const char *words; size_t wlen; float p, b; } tgram;
typedef struct { char *text; tgram *g; int count; int start[MLC_NGRAM_MAX_ORDER + 2]; } tarpa;
static void tarpa_parse(tarpa *a, const mlc_ngram *m) {
    size_t len;
    char *s, *line;
    int n = 0, cap = 1024;
    a->text = arpa_of(m, &len);
    a->g = (tgram *)xmalloc(sizeof(tgram) * (size_t)cap);
    a->count = 0;
    memset(a->start, 0, sizeof a->start);
    for (s = a->text; *s; ) {
        char *nl = strchr(s, '\n');
        line = s;
        if (nl) *nl = 0;
        s = nl ? nl + 1 : s + strlen(s);
        if (line[0] == '\\' && strstr(line, "-grams:")) { n = atoi(line + 1); a->start[n] = a->count; continue; }
        if (!n || !line[0] || line[0] == '\\') continue;
        if (a->count == cap) { cap *= 2; a->g = (tgram *)realloc(a->g, sizeof(tgram) * (size_t)cap); }
        {
            tgram *g = &a->g[a->count++];
            char *t1 = strchr(line, '\t'), *t2;
            g->n = n;
            g->p = strtof(line, NULL);
            g->words = t1 + 1;
            t2 = strchr(t1 + 1, '\t');
            g->wlen = t2 ? (size_t)(t2 - t1 - 1) : strlen(t1 + 1);
            g->b = t2 ? strtof(t2 + 1, NULL) : 0.0f;
        }
    }
    a->start[n + 1] = a->count;
}
static void tarpa_free(tarpa *a) { free(a->text); free(a->g); }
static const tgram *tarpa_find(const tarpa *a, const char *words) {
    int i;
    for (i = 0; i < a->count; i++)
        if (a->g[i].wlen == strlen(words) && memcmp(a->g[i].words, words, a->g[i].wlen) == 0) return &a->g[i];
    return NULL;
}

/* checks |got - want| <= tol */
#define CHECK_NEAR(got, want, tol) do { double g_ = (double)(got), w_ = (double)(want); \
    if (!(fabs(g_ - w_) <= (tol))) { mlct_failures++; fprintf(stderr, "  %s:%d: %s = %.9g, expected %.9g (tol %.2g)\n", \
    __FILE__, __LINE__, #got, g_, w_, (double)(tol)); } } while (0)

static void check_gram(const tarpa *a, const char *words, double p, double bo, int line) {
    const tgram *g = tarpa_find(a, words);
    if (!g) { mlct_failures++; fprintf(stderr, "  line %d: n-gram '%s' missing\n", line, words); return; }
    if (!(fabs(g->p - log10(p)) <= 1e-6) || !(fabs(g->b - (bo > 0 ? log10(bo) : 0.0)) <= 1e-6)) {
        mlct_failures++;
        fprintf(stderr, "  line %d: '%s' log10 p %.9g bo %.9g, expected %.9g %.9g\n", line, words, g->p, g->b,
                log10(p), bo > 0 ? log10(bo) : 0.0);
    }
}

static mlc_ngram train_text(const char *text, int order, mlc_ngram_smoothing sm) {
    mlc_ngram m;
    mlc_ngram_params p = mlc_ngram_params_default(order);
    p.smoothing = sm;
    CHECK_OK(mlc_ngram_train(&m, text, strlen(text), &p, NULL));
    return m;
}

static float score_sentence(const mlc_ngram *m, const char *const *words, int n) {
    mlc_ngram_state st;
    float lp, total = 0.0f;
    int i;
    mlc_ngram_state_begin(m, &st);
    for (i = 0; i <= n; i++) {
        uint32_t id = i < n ? mlc_ngram_word_id(m, words[i], strlen(words[i])) : MLC_NGRAM_EOS;
        CHECK_OK(mlc_ngram_score(m, &st, id, &st, &lp, NULL));
        total += lp;
    }
    return total;
}

/* ---- hand-computed models -------------------------------------------------------
   Corpus (order 2):  a b / a b / a c / b c / d b
   ids: <unk> 0, <s> 1, </s> 2, a 3, b 4, c 5, d 6; V' = 6 (all but <s>).
   Bigrams (top order: adjusted = raw): <s> a 3, a b 2, b </s> 3, a c 1,
     c </s> 2, <s> b 1, b c 1, <s> d 1, d b 1.
     t1 = 5, t2 = 2, t3 = 2, t4 = 0; Y = 5/9;
     D1 = 1 - 2 Y 2/5 = 5/9, D2 = 2 - 3 Y 2/2 = 1/3, D3+ = 3 - 4 Y 0/2 = 3.
   Unigram adjusted counts (distinct left words): a {<s>} 1, b {a <s> d} 3,
     c {a b} 2, d {<s>} 1, </s> {b c} 2, <s> 0, <unk> 0; sum 9.
     t1 = 2, t2 = 2, t3 = 1, t4 = 0; Y = 1/3;
     D1 = 1 - 2 Y 2/2 = 1/3, D2 = 2 - 3 Y 1/2 = 3/2, D3+ = 3.
   gamma() = (D1 2 + D2 2 + D3 1) / 9 = 20/27; uniform 1/6.
   p(a) = p(d) = (1 - 1/3)/9 + g/6,  p(b) = (3 - 3)/9 + g/6,
   p(c) = p(</s>) = (2 - 3/2)/9 + g/6,  p(<unk>) = g/6,  p(<s>) = 1.
   Contexts: <s> {a 3, b 1, d 1}: gamma = (D1 2 + D3 1)/5
             a {b 2, c 1}: (D1 + D2)/3;  b {</s> 3, c 1}: (D1 + D3)/4
             c {</s> 2}: D2/2;  d {b 1}: D1/1;  </s>, <unk>: no backoff. */
static void test_ngram_hand_kn(void) {
    const char *text = "a b\na b\na c\nb c\nd b\n";
    mlc_ngram m = train_text(text, 2, MLC_NGRAM_KN);
    double D1 = 1.0 / 3, D2 = 1.5, D3 = 3.0, E1 = 5.0 / 9, E2 = 1.0 / 3, E3 = 3.0;
    double g0 = (D1 * 2 + D2 * 2 + D3) / 9, u = 1.0 / 6;
    double pa = (1 - D1) / 9 + g0 * u, pb = (3 - D3) / 9 + g0 * u, pc = (2 - D2) / 9 + g0 * u;
    double gs = (E1 * 2 + E3) / 5, ga = (E1 + E2) / 3, gb = (E1 + E3) / 4, gc = E2 / 2, gd = E1;
    tarpa a;
    if (!m.order) return;
    CHECK_EQ_INT(m.status, 0);
    CHECK_EQ_INT(m.vocab_size, 7);
    CHECK_EQ_INT(m.counts[0], 7);
    CHECK_EQ_INT(m.counts[1], 9);
    CHECK_EQ_INT(m.adjusted_hist[0][0], 2); CHECK_EQ_INT(m.adjusted_hist[0][1], 2);
    CHECK_EQ_INT(m.adjusted_hist[0][2], 1); CHECK_EQ_INT(m.adjusted_hist[0][3], 0);
    CHECK_EQ_INT(m.adjusted_hist[1][0], 5); CHECK_EQ_INT(m.adjusted_hist[1][1], 2);
    CHECK_EQ_INT(m.adjusted_hist[1][2], 2); CHECK_EQ_INT(m.adjusted_hist[1][3], 0);
    CHECK_NEAR(m.discount[0][0], D1, 1e-7); CHECK_NEAR(m.discount[0][1], D2, 1e-7); CHECK_NEAR(m.discount[0][2], D3, 1e-7);
    CHECK_NEAR(m.discount[1][0], E1, 1e-7); CHECK_NEAR(m.discount[1][1], E2, 2e-7); CHECK_NEAR(m.discount[1][2], E3, 1e-7);
    CHECK_EQ_INT(m.train_tokens, 15); CHECK_EQ_INT(m.train_sentences, 5);   /* words + </s> */
    tarpa_parse(&a, &m);
    check_gram(&a, "<unk>", g0 * u, 0, __LINE__);
    check_gram(&a, "<s>", 1.0, gs, __LINE__);
    check_gram(&a, "</s>", pc, 0, __LINE__);
    check_gram(&a, "a", pa, ga, __LINE__);
    check_gram(&a, "b", pb, gb, __LINE__);
    check_gram(&a, "c", pc, gc, __LINE__);
    check_gram(&a, "d", pa, gd, __LINE__);
    check_gram(&a, "<s> a", (3 - E3) / 5 + gs * pa, 0, __LINE__);
    check_gram(&a, "<s> b", (1 - E1) / 5 + gs * pb, 0, __LINE__);
    check_gram(&a, "<s> d", (1 - E1) / 5 + gs * pa, 0, __LINE__);
    check_gram(&a, "a b", (2 - E2) / 3 + ga * pb, 0, __LINE__);
    check_gram(&a, "a c", (1 - E1) / 3 + ga * pc, 0, __LINE__);
    check_gram(&a, "b </s>", (3 - E3) / 4 + gb * pc, 0, __LINE__);
    check_gram(&a, "b c", (1 - E1) / 4 + gb * pc, 0, __LINE__);
    check_gram(&a, "c </s>", (2 - E2) / 2 + gc * pc, 0, __LINE__);
    check_gram(&a, "d b", (1 - E1) / 1 + gd * pb, 0, __LINE__);
    CHECK_EQ_INT(a.count, 16);
    /* the unigram distribution sums to 1 over everything but <s> */
    CHECK_NEAR(pa * 2 + pb + pc * 2 + g0 * u, 1.0, 1e-12);
    {   /* queries: "a b" seen; "c e" with e out of the vocabulary */
        const char *s1[2] = { "a", "b" }, *s2[2] = { "c", "e" };
        double want1 = log10(gs * pa) + log10((2 - E2) / 3 + ga * pb) + log10((3 - E3) / 4 + gb * pc);
        double want2 = (log10(gs) + log10(pc)) + (log10(gc) + log10(g0 * u)) + log10(pc);
        mlc_ngram_ppl pp;
        CHECK_NEAR(score_sentence(&m, s1, 2), want1, 3e-6);
        CHECK_NEAR(score_sentence(&m, s2, 2), want2, 3e-6);
        CHECK_OK(mlc_ngram_perplexity(&m, "a b\nc e\n", 8, &pp));
        CHECK_EQ_INT(pp.tokens, 6); CHECK_EQ_INT(pp.oovs, 1); CHECK_EQ_INT(pp.sentences, 2);
        CHECK_NEAR(pp.log10_sum, want1 + want2, 5e-6);
        CHECK_NEAR(pp.log10_oov_sum, log10(gc) + log10(g0 * u), 2e-6);
        CHECK_NEAR(pp.ppl, pow(10.0, -(want1 + want2) / 6), 1e-4);
        CHECK_NEAR(pp.ppl_no_oov, pow(10.0, -(want1 + want2 - log10(gc) - log10(g0 * u)) / 5), 1e-4);
    }
    tarpa_free(&a);
    mlc_ngram_free(&m);
}

/* "a b": every count is 1, so t2 = 0 at both orders and KenLM would stop;
   we take the fallback D = 0.5 1 1.5 and say so. Unigrams a, b, </s> have
   adjusted count 1: gamma() = 0.5 * 3 / 3, p(w) = 0.5/3 + 0.5/4 for those
   and p(<unk>) = 0.5/4 (V' = 4); each bigram: (1 - 0.5)/1 + 0.5 p(w). */
static void test_ngram_hand_fallback(void) {
    mlc_ngram m = train_text("a b\n", 2, MLC_NGRAM_KN);
    double pw = 0.5 / 3 + 0.5 / 4;
    tarpa a;
    if (!m.order) return;
    CHECK(m.status & MLC_NGRAM_ST_FALLBACK);
    CHECK_EQ_INT(m.fallback_orders, 3);
    CHECK_NEAR(m.discount[0][0], 0.5, 0); CHECK_NEAR(m.discount[1][1], 1.0, 0); CHECK_NEAR(m.discount[1][2], 1.5, 0);
    tarpa_parse(&a, &m);
    check_gram(&a, "<unk>", 0.125, 0, __LINE__);
    check_gram(&a, "<s>", 1.0, 0.5, __LINE__);
    check_gram(&a, "a", pw, 0.5, __LINE__);
    check_gram(&a, "b", pw, 0.5, __LINE__);
    check_gram(&a, "</s>", pw, 0, __LINE__);
    check_gram(&a, "<s> a", 0.5 + 0.5 * pw, 0, __LINE__);
    check_gram(&a, "a b", 0.5 + 0.5 * pw, 0, __LINE__);
    check_gram(&a, "b </s>", 0.5 + 0.5 * pw, 0, __LINE__);
    tarpa_free(&a);
    mlc_ngram_free(&m);
    {   /* the fallback is the caller's */
        mlc_ngram_params p = mlc_ngram_params_default(2);
        p.fallback[0] = 0.25f; p.fallback[1] = 0.75f; p.fallback[2] = 1.25f;
        CHECK_OK(mlc_ngram_train(&m, "a b\n", 4, &p, NULL));
        CHECK_NEAR(m.discount[1][0], 0.25, 0);
        tarpa_parse(&a, &m);
        check_gram(&a, "a", 0.75 / 3 + 0.25 / 4, 0.25, __LINE__);
        tarpa_free(&a);
        mlc_ngram_free(&m);
    }
}

/* add-k (k = 1), order 2, "a b / a a": counts a 3, b 1, </s> 2, T = 6,
   V' = 4 (<unk> </s> a b): p(w) = (c + 1)/(6 + 4).
   Context a: continuations b 1, a 1, </s> 1 (den 3, s = 3): p = 2/(3 + 4);
   the rest 1 (4 - 3)/7 goes to <unk> by backoff: alpha(a) = (1/7) / (1 -
   p(b) - p(a) - p(</s>)) = (1/7) / (1/10). Context <s> {a 2}: p = 3/6,
   alpha = (3/6) / (1 - p(a)); context b {</s> 1}: p = 2/5, alpha = (3/5) /
   (1 - p(</s>)).
   Stupid: p(w | c) = c(c w)/c(c .), p(w) = c(w)/6, backoff log10 0.4. */
static void test_ngram_hand_addk_stupid(void) {
    const char *text = "a b\na a\n";
    mlc_ngram m;
    mlc_ngram_params p = mlc_ngram_params_default(2);
    tarpa a;
    p.smoothing = MLC_NGRAM_ADD_K;
    CHECK_OK(mlc_ngram_train(&m, text, strlen(text), &p, NULL));
    if (!m.order) return;
    tarpa_parse(&a, &m);
    check_gram(&a, "<unk>", 1.0 / 10, 0, __LINE__);
    check_gram(&a, "a", 4.0 / 10, (1.0 / 7) / (1 - 0.2 - 0.4 - 0.3), __LINE__);
    check_gram(&a, "b", 2.0 / 10, (3.0 / 5) / (1 - 0.3), __LINE__);
    check_gram(&a, "</s>", 3.0 / 10, 0, __LINE__);
    check_gram(&a, "<s>", 1.0, (3.0 / 6) / (1 - 0.4), __LINE__);
    check_gram(&a, "<s> a", 3.0 / 6, 0, __LINE__);
    check_gram(&a, "a b", 2.0 / 7, 0, __LINE__);
    check_gram(&a, "a a", 2.0 / 7, 0, __LINE__);
    check_gram(&a, "a </s>", 2.0 / 7, 0, __LINE__);
    check_gram(&a, "b </s>", 2.0 / 5, 0, __LINE__);
    tarpa_free(&a);
    {   /* an unseen bigram after a: alpha(a) p(<unk>) */
        float lp;
        uint32_t ctx = mlc_ngram_word_id(&m, "a", 1);
        CHECK_OK(mlc_ngram_prob_ref(&m, &ctx, 1, MLC_NGRAM_UNK, &lp));
        CHECK_NEAR(lp, log10((1.0 / 7) / 0.1 * 0.1), 1e-6);
    }
    mlc_ngram_free(&m);
    p.smoothing = MLC_NGRAM_STUPID;
    CHECK_OK(mlc_ngram_train(&m, text, strlen(text), &p, NULL));
    tarpa_parse(&a, &m);
    check_gram(&a, "a", 3.0 / 6, 0.4, __LINE__);
    check_gram(&a, "<unk>", 1.0 / 6, 0, __LINE__);
    check_gram(&a, "<s>", 1.0, 0.4, __LINE__);
    check_gram(&a, "<s> a", 1.0, 0, __LINE__);
    check_gram(&a, "a b", 1.0 / 3, 0, __LINE__);
    check_gram(&a, "a </s>", 1.0 / 3, 0, __LINE__);
    tarpa_free(&a);
    mlc_ngram_free(&m);
}

/* ---- against the independent reference (tests/ngram_ref.py) ------------------------ */
static const mlc_st_tensor *gt(mlct_golden *g, const char *name) {
    const mlc_st_tensor *t = mlc_st_find(&g->st, name);
    if (!t) { mlct_failures++; fprintf(stderr, "  golden tensor %s missing\n", name); }
    return t;
}
static double gf64(mlct_golden *g, const char *cfg, const char *what, size_t i) {
    char name[64];
    const mlc_st_tensor *t;
    double d = 0.0;
    snprintf(name, sizeof name, "%s.%s", cfg, what);
    if (!(t = gt(g, name)) || t->dtype != MLC_F64 || i >= t->numel) { mlct_failures++; return 0.0; }
    memcpy(&d, t->data + 8 * i, 8);
    return d;
}

/* Compares every n-gram of m (written, parsed back with strtof) with the
   reference: same n-grams in the same order (the tuple checksum), log10 p
   and backoff within tol; discounts, t_k, fallback orders; perplexity. */
static void compare_golden(mlct_golden *g, const char *cfg, const mlc_ngram *m, const char *held, size_t held_len) {
    tarpa a;
    int n, bad = 0;
    double worst = 0.0;
    char name[64];
    tarpa_parse(&a, m);
    CHECK_EQ_INT(m->fallback_orders, (long long)gf64(g, cfg, "fallback", 0));
    for (n = 1; n <= m->order; n++) {
        int i, k, cnt = a.start[n + 1] - a.start[n];
        uint64_t check = 0;
        float *wp, *wb = NULL;
        CHECK_EQ_INT(cnt, (long long)gf64(g, cfg, "counts", (size_t)n - 1));
        CHECK_EQ_INT(m->counts[n - 1], cnt);
        for (k = 0; k < 3; k++) CHECK_NEAR(m->discount[n - 1][k], gf64(g, cfg, "disc", (size_t)(n - 1) * 3 + (size_t)k), 0);
        for (k = 0; k < 4; k++) CHECK_EQ_INT(m->adjusted_hist[n - 1][k], (long long)gf64(g, cfg, "hist", (size_t)(n - 1) * 4 + (size_t)k));
        snprintf(name, sizeof name, "%s.o%d.p", cfg, n);
        wp = mlct_golden_get(g, name, NULL);
        if (n < m->order) { snprintf(name, sizeof name, "%s.o%d.b", cfg, n); wb = mlct_golden_get(g, name, NULL); }
        if (!wp || (n < m->order && !wb) || cnt != (int)gf64(g, cfg, "counts", (size_t)n - 1)) { free(wp); free(wb); bad = 1; continue; }
        for (i = 0; i < cnt; i++) {
            const tgram *t = &a.g[a.start[n] + i];
            const char *s = t->words, *e = t->words + t->wlen;
            uint64_t h = 0;
            int pos = 0;
            double d;
            while (s < e) {   /* word ids for the checksum */
                const char *sp = s;
                while (sp < e && *sp != ' ') sp++;
                h += ((uint64_t)mlc_ngram_word_id(m, s, (size_t)(sp - s)) + 1u) * (uint64_t)(pos + 1) * 7919u;
                pos++;
                s = sp < e ? sp + 1 : sp;
            }
            check = (check + (uint64_t)(i + 1) * h) % ((uint64_t)1 << 50);
            d = fabs((double)t->p - (double)wp[i]);
            if (wb && fabs((double)t->b - (double)wb[i]) > d) d = fabs((double)t->b - (double)wb[i]);
            if (d > worst) worst = d;
            if (!(d <= 1e-6) && bad++ < 5)
                fprintf(stderr, "  %s order %d #%d '%.*s': %.9g %.9g, reference %.9g %.9g\n", cfg, n, i, (int)t->wlen,
                        t->words, t->p, t->b, wp[i], wb ? wb[i] : 0.0f);
        }
        CHECK_EQ_INT(check, (long long)gf64(g, cfg, "check", (size_t)n - 1));
        free(wp); free(wb);
    }
    if (bad) { mlct_failures++; fprintf(stderr, "  %s: %d n-grams off the reference\n", cfg, bad); }
    if (getenv("MLCT_VERBOSE")) printf("       %s: %d n-grams, max |log10 difference| %.3g\n", cfg, a.count, worst);
    if (held) {
        mlc_ngram_ppl pp;
        CHECK_OK(mlc_ngram_perplexity(m, held, held_len, &pp));
        CHECK_NEAR(pp.log10_sum, gf64(g, cfg, "ppl", 0), 1e-3);
        CHECK_NEAR(pp.log10_oov_sum, gf64(g, cfg, "ppl", 1), 1e-3);
        CHECK_EQ_INT(pp.tokens, (long long)gf64(g, cfg, "ppl", 2));
        CHECK_EQ_INT(pp.oovs, (long long)gf64(g, cfg, "ppl", 3));
        CHECK_NEAR(pp.ppl / gf64(g, cfg, "ppl", 4), 1.0, 1e-6);
        CHECK_NEAR(pp.ppl_no_oov / gf64(g, cfg, "ppl", 5), 1.0, 1e-6);
    }
    tarpa_free(&a);
}

static mlc_ngram train_golden(const char *text, size_t len, int order, mlc_ngram_smoothing sm, int char_mode,
                              const uint32_t *prune) {
    mlc_ngram m;
    mlc_ngram_params p = mlc_ngram_params_default(order);
    int i;
    p.smoothing = sm; p.char_mode = char_mode;
    p.add_k = 0.5f; p.stupid_alpha = 0.4f;
    for (i = 0; prune && i < order; i++) p.prune[i] = prune[i];
    CHECK_OK(mlc_ngram_train(&m, text, len, &p, NULL));
    return m;
}

/* order 3 on 100k words (vocabulary 3000): 150k n-grams, all compared */
static void test_ngram_golden_kn3(void) {
    mlct_golden g;
    size_t len, hl;
    char *text = make_corpus(1, 100000, 3000, &len), *held = make_corpus(2, 5000, 3300, &hl);
    mlc_ngram m;
    if (mlct_golden_open(&g, "ngram_ref.safetensors")) {
        m = train_golden(text, len, 3, MLC_NGRAM_KN, 0, NULL);
        CHECK(m.train_tokens >= 100000);
        compare_golden(&g, "kn3", &m, held, hl);
        mlc_ngram_free(&m);
        mlct_golden_close(&g);
    }
    free(text); free(held);
}

/* pruning (order 5, thresholds 0 0 1 1 1), add-k, stupid backoff, an order-1
   and an order-7 model (discounts fall back above order 3), characters */
static void test_ngram_golden_small(void) {
    static const uint32_t prune[5] = { 0, 0, 1, 1, 1 };
    mlct_golden g;
    size_t l1, l2, l3, l4, nl;
    char *c3 = make_corpus(3, 20000, 500, &l1), *h3 = make_corpus(4, 2000, 520, &l2);
    char *c5 = make_corpus(5, 5000, 300, &l3), *h5 = make_corpus(6, 1000, 320, &l4), *names = NULL;
    char path[512];
    void *f;
    mlc_ngram m;
    if (mlct_golden_open(&g, "ngram_ref.safetensors")) {
        m = train_golden(c3, l1, 5, MLC_NGRAM_KN, 0, prune); compare_golden(&g, "kn5p", &m, h3, l2); mlc_ngram_free(&m);
        m = train_golden(c5, l3, 3, MLC_NGRAM_ADD_K, 0, NULL); compare_golden(&g, "addk3", &m, h5, l4); mlc_ngram_free(&m);
        m = train_golden(c5, l3, 3, MLC_NGRAM_STUPID, 0, NULL); compare_golden(&g, "stupid3", &m, h5, l4); mlc_ngram_free(&m);
        m = train_golden(c5, l3, 1, MLC_NGRAM_KN, 0, NULL); compare_golden(&g, "kn1", &m, h5, l4); mlc_ngram_free(&m);
        m = train_golden(c5, l3, 7, MLC_NGRAM_KN, 0, NULL); compare_golden(&g, "kn7", &m, h5, l4);
        CHECK(m.status & MLC_NGRAM_ST_FALLBACK);
        mlc_ngram_free(&m);
        snprintf(path, sizeof path, "%s/../examples/data/names.txt", mlct_dir);
        if (mlc_file_load(path, &f, &nl) == MLC_OK) {
            names = (char *)f;
            m = train_golden(names, nl, 5, MLC_NGRAM_KN, 1, NULL);
            compare_golden(&g, "char5", &m, "Aldwin\nZyx\nMarta\n", 17);
            mlc_ngram_free(&m);
            mlc_file_free(f);
        } else { mlct_failures++; fprintf(stderr, "  %s missing\n", path); }
        mlct_golden_close(&g);
    }
    free(c3); free(h3); free(c5); free(h5);
}

/* ---- the state API against the ARPA definition ------------------------------------- */
static void test_ngram_state(void) {
    size_t len, i;
    char *text = make_corpus(11, 20000, 800, &len);
    const char *pos = text, *end;
    mlc_ngram m;
    mlc_ngram_params p = mlc_ngram_params_default(4);
    mlct_rng r;
    uint32_t ctx[64];
    int n_ctx = 0, mismatches = 0, lens[5] = {0, 0, 0, 0, 0};
    mlc_ngram_state st, st2;
    CHECK_OK(mlc_ngram_train(&m, text, len, &p, NULL));
    if (!m.order) { free(text); return; }
    end = text + len;
    r.s = 12345;
    mlc_ngram_state_begin(&m, &st);
    CHECK_EQ_INT(st.length, 1);
    CHECK_EQ_INT(st.words[0], MLC_NGRAM_BOS);
    ctx[n_ctx++] = MLC_NGRAM_BOS;
    for (i = 0; i < 30000; i++) {
        /* the training text (long matches), a random word now and then, an
           <unk>, a sentence end */
        uint32_t u = mlct_u32(&r), w;
        float a, b;
        int nl;
        while (pos < end && *pos == ' ') pos++;
        if (pos >= end) pos = text;
        if (*pos == '\n') { w = MLC_NGRAM_EOS; pos++; }
        else {
            const char *e = pos;
            while (e < end && *e != ' ' && *e != '\n') e++;
            w = mlc_ngram_word_id(&m, pos, (size_t)(e - pos));
            pos = e;
        }
        if (u % 10 == 0) w = 3u + (uint32_t)(mlct_u32(&r) % (m.vocab_size - 3));
        else if (u % 97 == 1) w = MLC_NGRAM_UNK;
        CHECK_OK(mlc_ngram_score(&m, &st, w, &st2, &a, &nl));
        CHECK_OK(mlc_ngram_prob_ref(&m, ctx, n_ctx, w, &b));
        if (memcmp(&a, &b, 4) != 0 && mismatches++ < 5)
            fprintf(stderr, "  step %zu word %u: state %.9g, reference %.9g\n", i, w, a, b);
        if (nl >= 1 && nl <= 4) lens[nl]++;
        CHECK(st2.length <= 3 && st2.length >= 0);
        {   /* in place gives the same */
            mlc_ngram_state s3 = st;
            float c;
            CHECK_OK(mlc_ngram_score(&m, &s3, w, &s3, &c, NULL));
            CHECK(memcmp(&a, &c, 4) == 0 && s3.length == st2.length);
        }
        st = st2;
        if (n_ctx == 64) { memmove(ctx, ctx + 32, 32 * 4); n_ctx = 32; }
        ctx[n_ctx++] = w;
        if (w == MLC_NGRAM_EOS) { mlc_ngram_state_begin(&m, &st); n_ctx = 0; ctx[n_ctx++] = MLC_NGRAM_BOS; }
    }
    free(text);
    CHECK_EQ_INT(mismatches, 0);
    CHECK(lens[1] > 0 && lens[2] > 0 && lens[3] > 0 && lens[4] > 0);   /* every order was reached */
    /* the null state scores a unigram */
    {
        float a, b;
        uint32_t w = 5;
        mlc_ngram_state_null(&st);
        CHECK_OK(mlc_ngram_score(&m, &st, w, &st2, &a, NULL));
        CHECK_OK(mlc_ngram_prob_ref(&m, NULL, 0, w, &b));
        CHECK(memcmp(&a, &b, 4) == 0);
    }
    /* bad input */
    {
        float a;
        st.length = 4;
        CHECK_ERR(mlc_ngram_score(&m, &st, 3, &st2, &a, NULL), MLC_ERR_ARG);
        st.length = -1;
        CHECK_ERR(mlc_ngram_score(&m, &st, 3, &st2, &a, NULL), MLC_ERR_ARG);
        mlc_ngram_state_null(&st);
        CHECK_ERR(mlc_ngram_score(&m, &st, m.vocab_size, &st2, &a, NULL), MLC_ERR_ARG);
        CHECK_ERR(mlc_ngram_score(NULL, &st, 3, &st2, &a, NULL), MLC_ERR_NULL);
        CHECK_ERR(mlc_ngram_score(&m, &st, 3, &st2, NULL, NULL), MLC_ERR_NULL);
        CHECK_ERR(mlc_ngram_prob_ref(&m, ctx, 1, m.vocab_size, &a), MLC_ERR_ARG);
        ctx[0] = m.vocab_size;
        CHECK_ERR(mlc_ngram_prob_ref(&m, ctx, 1, 3, &a), MLC_ERR_ARG);
        CHECK_ERR(mlc_ngram_prob_ref(&m, NULL, 2, 3, &a), MLC_ERR_NULL);
    }
    mlc_ngram_free(&m);
}

/* Lines, empty lines, a last line without '\n', \r\n, OOV counting. */
static void test_ngram_perplexity_rules(void) {
    mlc_ngram m = train_text("a b\na b\na c\nb c\nd b\n", 2, MLC_NGRAM_KN);
    mlc_ngram_ppl p1, p2, p3;
    const char *s1[2] = { "a", "b" };
    float one = 0.0f, empty;
    const char *none[1] = { NULL };
    if (!m.order) return;
    one = score_sentence(&m, s1, 2);
    empty = score_sentence(&m, none, 0);
    CHECK_OK(mlc_ngram_perplexity(&m, "a b\n\n", 5, &p1));
    CHECK_EQ_INT(p1.sentences, 2); CHECK_EQ_INT(p1.tokens, 4); CHECK_EQ_INT(p1.oovs, 0);
    CHECK_NEAR(p1.log10_sum, (double)one + (double)empty, 1e-6);
    CHECK_OK(mlc_ngram_perplexity(&m, "a b", 3, &p2));           /* no final newline: still a sentence */
    CHECK_EQ_INT(p2.sentences, 1); CHECK_EQ_INT(p2.tokens, 3);
    CHECK_NEAR(p2.log10_sum, one, 1e-6);
    CHECK_OK(mlc_ngram_perplexity(&m, " a\tb \r\n", 7, &p3));    /* blanks and \r\n */
    CHECK_EQ_INT(p3.tokens, 3);
    CHECK_NEAR(p3.log10_sum, one, 1e-6);
    CHECK_OK(mlc_ngram_perplexity(&m, "zz yy\n", 6, &p3));
    CHECK_EQ_INT(p3.oovs, 2); CHECK_EQ_INT(p3.tokens, 3);
    CHECK_NEAR(p3.ppl_no_oov, pow(10.0, -(p3.log10_sum - p3.log10_oov_sum)), 1e-9);
    CHECK_OK(mlc_ngram_perplexity(&m, "", 0, &p3));
    CHECK_EQ_INT(p3.tokens, 0);
    CHECK_ERR(mlc_ngram_perplexity(&m, NULL, 3, &p3), MLC_ERR_NULL);
    CHECK_ERR(mlc_ngram_perplexity(NULL, "a", 1, &p3), MLC_ERR_NULL);
    mlc_ngram_free(&m);
}

/* ---- ARPA ---------------------------------------------------------------------------- */
static void roundtrip(const mlc_ngram *m, const char *what) {
    size_t l1, l2, line;
    char *a1 = arpa_of(m, &l1), *a2;
    mlc_ngram r, q;
    mlc_result res = mlc_ngram_read_arpa(&r, a1, l1, 0, NULL, &line);
    if (res != MLC_OK) { mlct_failures++; fprintf(stderr, "  %s: reading our ARPA: %s at line %zu\n", what, mlc_result_string(res), line); free(a1); return; }
    a2 = arpa_of(&r, &l2);
    if (l1 != l2 || memcmp(a1, a2, l1) != 0) { mlct_failures++; fprintf(stderr, "  %s: write -> read -> write differs\n", what); }
    CHECK_EQ_INT(r.vocab_size, m->vocab_size);
    CHECK_OK(mlc_ngram_read_arpa(&q, a1, l1, 1, NULL, NULL));   /* query-only: same scores, smaller */
    CHECK(q.bytes < r.bytes || m->order == 1);
    CHECK_ERR(mlc_ngram_write_arpa_mem(&q, NULL, 0, &l2), m->order > 1 ? MLC_ERR_UNSUPPORTED : MLC_ERR_NOMEM);
    {
        mlct_rng rr;
        int i, j, bad = 0;
        rr.s = 99;
        for (i = 0; i < 2000; i++) {
            uint32_t ctx[8], w = mlct_u32(&rr) % m->vocab_size;
            float a, b, c;
            int n = (int)(mlct_u32(&rr) % 5);
            for (j = 0; j < n; j++) ctx[j] = mlct_u32(&rr) % m->vocab_size;
            mlc_ngram_prob_ref(m, ctx, n, w, &a);
            mlc_ngram_prob_ref(&r, ctx, n, w, &b);
            mlc_ngram_prob_ref(&q, ctx, n, w, &c);
            bad += memcmp(&a, &b, 4) != 0 || memcmp(&a, &c, 4) != 0;
        }
        CHECK_EQ_INT(bad, 0);
    }
    mlc_ngram_free(&r); mlc_ngram_free(&q);
    free(a1); free(a2);
}

static void test_ngram_arpa_roundtrip(void) {
    size_t len;
    char *text = make_corpus(21, 8000, 400, &len);
    static const uint32_t prune[4] = { 0, 1, 1, 2 };
    mlc_ngram m;
    m = train_golden(text, len, 4, MLC_NGRAM_KN, 0, NULL); roundtrip(&m, "kn4"); mlc_ngram_free(&m);
    m = train_golden(text, len, 4, MLC_NGRAM_KN, 0, prune); roundtrip(&m, "kn4 pruned"); mlc_ngram_free(&m);
    m = train_golden(text, len, 3, MLC_NGRAM_STUPID, 0, NULL); roundtrip(&m, "stupid"); mlc_ngram_free(&m);
    m = train_golden(text, len, 1, MLC_NGRAM_KN, 0, NULL); roundtrip(&m, "kn1"); mlc_ngram_free(&m);
    m = train_golden("h\xc3\xa9llo w\xc3\xb6rld\nhi there\n\xff\xfe bytes\n", 30, 6, MLC_NGRAM_KN, 1, NULL);
    roundtrip(&m, "char6");
    CHECK(mlc_ngram_word_id(&m, "\xc3\xa9", 2) > 2);   /* one UTF-8 character, one token */
    CHECK(mlc_ngram_word_id(&m, "<sp>", 4) > 2);
    CHECK(mlc_ngram_word_id(&m, "\xff", 1) > 2);
    mlc_ngram_free(&m);
    free(text);
    {   /* a buffer too small: the size needed, what fitted */
        char small[64];
        size_t need, l2;
        m = train_text("a b\n", 2, MLC_NGRAM_KN);
        CHECK_ERR(mlc_ngram_write_arpa_mem(&m, small, sizeof small, &need), MLC_ERR_NOMEM);
        CHECK(need > sizeof small);
        {
            char *full = arpa_of(&m, &l2);
            CHECK_EQ_INT(l2, need);
            CHECK(memcmp(full, small, sizeof small) == 0);
            free(full);
        }
        CHECK_ERR(mlc_ngram_write_arpa_mem(&m, NULL, 5, &need), MLC_ERR_NULL);
        mlc_ngram_free(&m);
    }
}

/* ARPA as other tools write it. */
static const char srilm_arpa[] =
    "\n\\data\\\n"
    "ngram 1=6\n"
    "ngram 2=5\n"
    "ngram 3=2\n"
    "\n"
    "\\1-grams:\n"
    "-0.7781513\t</s>\n"
    "-99\t<s>\t-0.30103\n"
    "-0.60206\ta\t-0.1760913\n"
    "-1.0\tb\t-0.2218487\n"
    "-1.30103\tc\n"
    "-2\t<unk>\n"
    "\n"
    "\\2-grams:\n"
    "-0.30103\t<s> a\t-0.05\n"
    "-0.4771213\ta b\t-0.1\n"
    "-0.1249387\tb </s>\n"
    "-0.69897\ta c\n"
    "-0.39794\tb c\n"
    "\n"
    "\\3-grams:\n"
    "-0.09691\t<s> a b\n"
    "-0.20412\ta b c\n"
    "\n"
    "\\end\\\n";

/* IRSTLM's layout (tlm -lm=msb ... -o): padded counts, no <unk>, <s> with a
   probability, a positive log10 p as IRSTLM sometimes writes, \r\n. */
static const char irstlm_arpa[] =
    "\r\n\\data\\\r\n"
    "ngram  1=       4\r\n"
    "ngram  2=       3\r\n"
    "\r\n\r\n"
    "\\1-grams:\r\n"
    "-0.60206\t<s>\t-0.30103\r\n"
    "-0.30103\tx\t-0.1\r\n"
    "-0.47712\ty\r\n"
    "0.0000001\t</s>\r\n"
    "\r\n"
    "\\2-grams:\r\n"
    "-0.1\t<s> x\r\n"
    "-0.2\tx y\r\n"
    "-0.3\ty </s>\r\n"
    "\\end\\\r\n";

static void test_ngram_arpa_foreign(void) {
    mlc_ngram m;
    size_t line = 7;
    float lp;
    uint32_t a, b, c, ctx[3];
    CHECK_OK(mlc_ngram_read_arpa(&m, srilm_arpa, sizeof srilm_arpa - 1, 0, NULL, &line));
    CHECK_EQ_INT(line, 0);
    if (m.order == 3) {
        CHECK_EQ_INT(m.status, 0);
        CHECK_EQ_INT(m.vocab_size, 6);
        a = mlc_ngram_word_id(&m, "a", 1); b = mlc_ngram_word_id(&m, "b", 1); c = mlc_ngram_word_id(&m, "c", 1);
        CHECK(a == 3 && b == 4 && c == 5);   /* <unk> <s> </s> first, then the file's order */
        ctx[0] = MLC_NGRAM_BOS; ctx[1] = a;
        CHECK_OK(mlc_ngram_prob_ref(&m, ctx, 2, b, &lp)); CHECK_NEAR(lp, -0.09691, 1e-6);          /* found */
        ctx[0] = a; ctx[1] = b;
        CHECK_OK(mlc_ngram_prob_ref(&m, ctx, 2, MLC_NGRAM_EOS, &lp)); CHECK_NEAR(lp, -0.1 - 0.1249387, 1e-6);
        ctx[0] = MLC_NGRAM_BOS; ctx[1] = a;
        CHECK_OK(mlc_ngram_prob_ref(&m, ctx, 2, c, &lp)); CHECK_NEAR(lp, -0.05 - 0.69897, 1e-6);
        ctx[0] = b; ctx[1] = c;   /* neither context is there: p(c) */
        CHECK_OK(mlc_ngram_prob_ref(&m, ctx, 2, c, &lp)); CHECK_NEAR(lp, -1.30103, 1e-6);
        CHECK_OK(mlc_ngram_prob_ref(&m, ctx, 1, a, &lp)); CHECK_NEAR(lp, -0.2218487 - 0.60206, 1e-6);
        {
            mlc_ngram_ppl pp;   /* <s> a b c </s>: -0.30103, -0.09691, -0.20412, (c: bo(b c) 0) p(</s>) */
            CHECK_OK(mlc_ngram_perplexity(&m, "a b c\n", 6, &pp));
            CHECK_NEAR(pp.log10_sum, -0.30103 - 0.09691 - 0.20412 - 0.7781513, 2e-6);
        }
        roundtrip(&m, "srilm");
        mlc_ngram_free(&m);
    }
    CHECK_OK(mlc_ngram_read_arpa(&m, irstlm_arpa, sizeof irstlm_arpa - 1, 0, NULL, &line));
    if (m.order == 2) {
        CHECK(m.status & MLC_NGRAM_ST_UNK_ADDED);
        CHECK(m.status & MLC_NGRAM_ST_POS_PROB);
        CHECK_EQ_INT(m.vocab_size, 5);
        CHECK_OK(mlc_ngram_prob_ref(&m, NULL, 0, MLC_NGRAM_UNK, &lp)); CHECK_NEAR(lp, -100, 0);
        CHECK_OK(mlc_ngram_prob_ref(&m, NULL, 0, MLC_NGRAM_EOS, &lp)); CHECK_NEAR(lp, 0, 0);
        a = mlc_ngram_word_id(&m, "x", 1);
        CHECK_OK(mlc_ngram_prob_ref(&m, &a, 1, MLC_NGRAM_EOS, &lp)); CHECK_NEAR(lp, -0.1, 1e-7);
        mlc_ngram_free(&m);
    }
    /* a model whose trigram has no bigram context: read, flagged */
    {
        static const char open_arpa[] = "\\data\\\nngram 1=4\nngram 2=1\nngram 3=1\n\n\\1-grams:\n-1 <s>\n-1 </s>\n-1 a\n-1 b\n"
                                        "\n\\2-grams:\n-1 a b\n\n\\3-grams:\n-0.5 <s> a b\n\n\\end\\\n";
        CHECK_OK(mlc_ngram_read_arpa(&m, open_arpa, sizeof open_arpa - 1, 0, NULL, NULL));
        CHECK(m.status & MLC_NGRAM_ST_NOT_CLOSED);
        mlc_ngram_free(&m);
    }
}

/* Base for the error cases (line numbers in the comments):
    1 \data\   2 ngram 1=4   3 ngram 2=2   4   5 \1-grams:   6 <unk>   7 <s>
    8 </s>   9 a   10   11 \2-grams:   12 <s> a   13 a </s>   14   15 \end\ */
static const char base_arpa[] =
    "\\data\\\nngram 1=4\nngram 2=2\n\n\\1-grams:\n-1.0\t<unk>\n-99\t<s>\t-0.5\n-0.5\t</s>\n-0.7\ta\t-0.3\n\n"
    "\\2-grams:\n-0.2\t<s> a\n-0.1\ta </s>\n\n\\end\\\n";

/* base with line `line` (1-based) replaced by `with` (NULL: deleted) */
static char *edit_line(int line, const char *with) {
    sbuf b = {0, 0, 0};
    const char *s = base_arpa;
    int i = 1;
    while (*s) {
        const char *nl = strchr(s, '\n');
        size_t n = nl ? (size_t)(nl - s + 1) : strlen(s);
        if (i == line) { if (with) { sb_str(&b, with); sb_str(&b, "\n"); } }
        else sb_put(&b, s, n);
        s += n; i++;
    }
    if (!b.p) sb_str(&b, "");
    return b.p;
}

static void expect_arpa(const char *text, size_t len, mlc_result code, size_t line, int at) {
    mlc_ngram m;
    size_t got = 12345;
    mlc_result r = mlc_ngram_read_arpa(&m, text, len, 0, NULL, &got);
    if (r != code || got != line) {
        mlct_failures++;
        fprintf(stderr, "  case at line %d: %s at line %zu, expected %s at line %zu\n", at, mlc_result_string(r), got,
                mlc_result_string(code), line);
    }
    if (r == MLC_OK) mlc_ngram_free(&m);
    else CHECK(m.order == 0 && m.bytes == 0);
}
#define EXPECT_EDIT(ln, with, code, eline) do { char *t_ = edit_line(ln, with); \
    expect_arpa(t_, strlen(t_), code, eline, __LINE__); free(t_); } while (0)

static void test_ngram_arpa_errors(void) {
    char *t;
    size_t n;
    expect_arpa(base_arpa, sizeof base_arpa - 1, MLC_OK, 0, __LINE__);
    expect_arpa("", 0, MLC_ERR_FORMAT, 1, __LINE__);
    expect_arpa("hello\n", 6, MLC_ERR_FORMAT, 2, __LINE__);                 /* no \data\ */
    expect_arpa("\\data\\\n", 7, MLC_ERR_TRUNCATED, 2, __LINE__);
    EXPECT_EDIT(2, "ngram 1=x", MLC_ERR_FORMAT, 2);
    EXPECT_EDIT(2, "ngram 1=4 x", MLC_ERR_FORMAT, 2);
    EXPECT_EDIT(2, "ngrams 1=4", MLC_ERR_FORMAT, 2);
    EXPECT_EDIT(3, "ngram 3=2", MLC_ERR_FORMAT, 3);                         /* orders not 1, 2, ... */
    EXPECT_EDIT(2, "ngram 1=0", MLC_ERR_FORMAT, 2);
    EXPECT_EDIT(2, "ngram 1=99999999999999999999999", MLC_ERR_FORMAT, 2);
    EXPECT_EDIT(2, "ngram 1=5", MLC_ERR_TRUNCATED, 11);                     /* fewer n-grams than declared */
    EXPECT_EDIT(2, "ngram 1=3", MLC_ERR_FORMAT, 9);                         /* more */
    EXPECT_EDIT(3, "ngram 2=3", MLC_ERR_TRUNCATED, 15);
    EXPECT_EDIT(6, "-1.0x\t<unk>", MLC_ERR_FORMAT, 6);                      /* bad numbers */
    EXPECT_EDIT(6, "-\t<unk>", MLC_ERR_FORMAT, 6);
    EXPECT_EDIT(6, "1e\t<unk>", MLC_ERR_FORMAT, 6);
    EXPECT_EDIT(8, "nan\t</s>", MLC_ERR_FORMAT, 8);
    EXPECT_EDIT(8, "-nan\t</s>", MLC_ERR_FORMAT, 8);
    EXPECT_EDIT(8, "inf\t</s>", MLC_ERR_FORMAT, 8);
    EXPECT_EDIT(9, "-0.7\ta\tNaN", MLC_ERR_FORMAT, 9);
    EXPECT_EDIT(9, "-0.7\ta\tinfinity", MLC_ERR_FORMAT, 9);
    EXPECT_EDIT(9, "-0.7\ta\t-0.3\t1", MLC_ERR_FORMAT, 9);                  /* field counts */
    EXPECT_EDIT(9, "-0.7", MLC_ERR_FORMAT, 9);
    EXPECT_EDIT(12, "-0.2\t<s> a a a", MLC_ERR_FORMAT, 12);
    EXPECT_EDIT(12, "-0.2\t<s>", MLC_ERR_FORMAT, 12);
    EXPECT_EDIT(12, "-0.2\t<s> zz", MLC_ERR_FORMAT, 12);                    /* not a unigram */
    EXPECT_EDIT(13, "-0.1\t<s> a", MLC_ERR_FORMAT, 13);                     /* duplicates */
    EXPECT_EDIT(9, "-0.7\t</s>", MLC_ERR_FORMAT, 9);
    EXPECT_EDIT(7, "-99\tb\t-0.5", MLC_ERR_FORMAT, 5);                      /* <s> missing: the unigram section */
    EXPECT_EDIT(11, "\\3-grams:", MLC_ERR_FORMAT, 11);                      /* sections */
    EXPECT_EDIT(5, "\\2-grams:", MLC_ERR_FORMAT, 5);
    EXPECT_EDIT(15, "\\end", MLC_ERR_FORMAT, 15);
    EXPECT_EDIT(15, NULL, MLC_ERR_TRUNCATED, 15);                            /* no \end\ */
    EXPECT_EDIT(14, "garbage", MLC_ERR_FORMAT, 14);
    EXPECT_EDIT(10, "", MLC_OK, 0);                                           /* blank lines, comments */
    EXPECT_EDIT(1, "# a comment\nsome tool's preamble\n\\data\\", MLC_OK, 0);
    EXPECT_EDIT(15, "\\end\\\ntrailing text is ignored", MLC_OK, 0);
    EXPECT_EDIT(6, "-1.0  \t <unk> ", MLC_OK, 0);
    EXPECT_EDIT(6, NULL, MLC_ERR_TRUNCATED, 10);                              /* <unk> missing: count short */
    {   /* two defects: the first in file order is reported (a later one is found
           first by the fast first pass, or the model cannot be allocated) */
        static const char badnum_noend[] = "\\data\\\nngram 1=4\nngram 2=2\n\n\\1-grams:\n-1.0\t<unk>\n-99\t<s>\t-0.5\n"
            "-0.5\t</s>\n-0.7\ta\t-0.3\n\n\\2-grams:\n-0.2x\t<s> a\n-0.1\ta </s>\n\n";
        static const char fields_short[] = "\\data\\\nngram 1=4\nngram 2=3\n\n\\1-grams:\n-1.0\t<unk>\n-99\t<s>\t-0.5\n"
            "-0.5\t</s>\n-0.7\ta\t-0.3\n\n\\2-grams:\n-0.2\t<s>\n-0.1\ta </s>\n\n\\end\\\n";
        static const char uni_noend[] = "\\data\\\nngram 1=4\nngram 2=2\n\n\\1-grams:\n-1.0x\t<unk>\n-99\t<s>\t-0.5\n"
            "-0.5\t</s>\n-0.7\ta\t-0.3\n\n\\2-grams:\n-0.2\t<s> a\n-0.1\ta </s>\n\n";
        static const char dup_unknown[] = "\\data\\\nngram 1=4\nngram 2=3\n\n\\1-grams:\n-1.0\t<unk>\n-99\t<s>\t-0.5\n"
            "-0.5\t</s>\n-0.7\ta\t-0.3\n\n\\2-grams:\n-0.2\t<s> a\n-0.1\t<s> a\n-0.1\t<s> zz\n\n\\end\\\n";
        char *bad = edit_line(12, "-0.2x\t<s> a");
        unsigned char small[256];
        mlc_arena ar;
        mlc_ngram m;
        size_t line = 0;
        expect_arpa(badnum_noend, sizeof badnum_noend - 1, MLC_ERR_FORMAT, 12, __LINE__);
        expect_arpa(fields_short, sizeof fields_short - 1, MLC_ERR_FORMAT, 12, __LINE__);
        expect_arpa(uni_noend, sizeof uni_noend - 1, MLC_ERR_FORMAT, 6, __LINE__);
        expect_arpa(dup_unknown, sizeof dup_unknown - 1, MLC_ERR_FORMAT, 13, __LINE__);
        mlc_arena_init(&ar, small, sizeof small);   /* too small for the model */
        CHECK_ERR(mlc_ngram_read_arpa(&m, bad, strlen(bad), 0, &ar, &line), MLC_ERR_FORMAT);
        CHECK_EQ_INT(line, 12);
        CHECK(ar.used == 0);
        free(bad);
    }
    {   /* missing <s> with no bigram using it: the unigram section's line */
        static const char nos[] = "\\data\\\nngram 1=2\n\n\\1-grams:\n-1 a\n-1 </s>\n\n\\end\\\n";
        expect_arpa(nos, sizeof nos - 1, MLC_ERR_FORMAT, 4, __LINE__);
    }
    /* truncated anywhere: never OK, never a crash */
    for (n = 0; n < sizeof base_arpa - 2; n++) {
        mlc_ngram m;
        size_t line;
        mlc_result r = mlc_ngram_read_arpa(&m, base_arpa, n, 0, NULL, &line);
        if (r == MLC_OK) { mlct_failures++; fprintf(stderr, "  truncated at %zu read as OK\n", n); mlc_ngram_free(&m); }
        CHECK(r == MLC_ERR_TRUNCATED || r == MLC_ERR_FORMAT);
        CHECK(line >= 1 && line <= 16);
    }
    /* an overlong line */
    {
        sbuf b = {0, 0, 0};
        size_t i;
        sb_str(&b, "\\data\\\nngram 1=3\n\n\\1-grams:\n-1 <s>\n-1 </s>\n-1 ");
        for (i = 0; i < (1u << 21) + 10; i++) sb_put(&b, "x", 1);
        sb_str(&b, "\n\n\\end\\\n");
        expect_arpa(b.p, b.n, MLC_ERR_FORMAT, 7, __LINE__);
        free(b.p);
    }
    /* order above MLC_NGRAM_MAX_ORDER */
    {
        sbuf b = {0, 0, 0};
        int i;
        char l[64];
        sb_str(&b, "\\data\\\n");
        for (i = 1; i <= MLC_NGRAM_MAX_ORDER + 1; i++) { snprintf(l, sizeof l, "ngram %d=1\n", i); sb_str(&b, l); }
        expect_arpa(b.p, b.n, MLC_ERR_UNSUPPORTED, (size_t)MLC_NGRAM_MAX_ORDER + 2, __LINE__);
        free(b.p);
    }
    t = edit_line(0, NULL);
    CHECK_ERR(mlc_ngram_read_arpa(NULL, t, strlen(t), 0, NULL, NULL), MLC_ERR_NULL);
    CHECK_ERR(mlc_ngram_read_arpa((mlc_ngram *)(void *)t, NULL, 5, 0, NULL, NULL), MLC_ERR_NULL);
    free(t);
}

/* ---- mutation test of the ARPA reader --------------------------------------------------
   Random edits of valid files (byte changes, deletions, duplicated or swapped
   lines, truncation, numbers replaced by nan / huge / empty): the reader
   returns OK or FORMAT / TRUNCATED / UNSUPPORTED with a line in the file;
   a model it accepts scores text and writes an ARPA that reads back and
   writes the same bytes; into a small arena it gives the same answer or
   NOMEM with arena.need past the size (NOMEM also for a file whose fault
   only the second pass sees: an unknown word, a duplicate). */
static size_t count_lines(const char *s, size_t n) {
    size_t i, c = 1;
    for (i = 0; i < n; i++) c += s[i] == '\n';
    return c;
}
static void mutate(sbuf *b, mlct_rng *r) {
    static const char chars[] = "\n\t \\-.e0123456789a<>=#+s/";
    static const char *const words[] = { "nan", "-inf", "1e99999", "", "\\end\\", "\\2-grams:", "ngram 3=1", "\\data\\",
                                         "<s>", "</s>", "99999999999999999999", "-0", "x y z", "\r" };
    uint32_t u = mlct_u32(r) % 8, at = b->n ? mlct_u32(r) % (uint32_t)b->n : 0;
    if (u == 0 && b->n) b->p[at] = chars[mlct_u32(r) % (sizeof chars - 1)];
    else if (u == 1 && b->n) b->p[at] = (char)(mlct_u32(r) & 0xFF);
    else if (u == 2 && b->n) {   /* delete a range */
        size_t len = 1 + mlct_u32(r) % 20;
        if (len > b->n - at) len = b->n - at;
        memmove(b->p + at, b->p + at + len, b->n - at - len);
        b->n -= len;
    } else if (u == 3) {         /* insert a word */
        const char *w = words[mlct_u32(r) % (sizeof words / sizeof words[0])];
        size_t len = strlen(w);
        sbuf t = {0, 0, 0};
        sb_put(&t, b->p, at); sb_put(&t, w, len); sb_put(&t, b->p + at, b->n - at);
        free(b->p); *b = t;
    } else if (u == 4) {         /* duplicate a line */
        size_t s = at, e;
        sbuf t = {0, 0, 0};
        while (s > 0 && b->p[s - 1] != '\n') s--;
        for (e = s; e < b->n && b->p[e] != '\n'; e++) {}
        if (e < b->n) e++;
        sb_put(&t, b->p, e); sb_put(&t, b->p + s, e - s); sb_put(&t, b->p + e, b->n - e);
        free(b->p); *b = t;
    } else if (u == 5) b->n = at;   /* truncate */
    else if (u == 6 && b->n) {   /* a digit run longer */
        sbuf t = {0, 0, 0};
        sb_put(&t, b->p, at); sb_str(&t, "000000000000000000000000001"); sb_put(&t, b->p + at, b->n - at);
        free(b->p); *b = t;
    } else if (b->n) {           /* swap two lines' starts */
        uint32_t at2 = mlct_u32(r) % (uint32_t)b->n;
        char c = b->p[at];
        b->p[at] = b->p[at2]; b->p[at2] = c;
    }
}

static void test_ngram_arpa_mutations(void) {
    const char *seeds[3];
    size_t seed_len[3], len;
    char *trained;
    long iters = 6000, it, n_ok = 0, n_err = 0;
    const char *env = getenv("MLCT_FUZZ_ITERS");
    unsigned char *amem = (unsigned char *)xmalloc(1 << 16);
    mlct_rng r;
    mlc_ngram m = train_text("the cat sat\nthe dog sat on the mat\na cat\n", 3, MLC_NGRAM_KN);
    if (env && atol(env) > 0) iters = atol(env);
    trained = arpa_of(&m, &len);
    mlc_ngram_free(&m);
    seeds[0] = base_arpa; seed_len[0] = sizeof base_arpa - 1;
    seeds[1] = srilm_arpa; seed_len[1] = sizeof srilm_arpa - 1;
    seeds[2] = trained; seed_len[2] = len;
    if (getenv("MLCT_ARPA_CORPUS")) {   /* seeds for tests/fuzz_arpa.c */
        int k;
        for (k = 0; k < 3; k++) {
            char path[1024];
            FILE *f;
            snprintf(path, sizeof path, "%s/seed%d.arpa", getenv("MLCT_ARPA_CORPUS"), k);
            if ((f = fopen(path, "wb")) != NULL) { fwrite(seeds[k], 1, seed_len[k], f); fclose(f); }
        }
    }
    r.s = 0xA59A1234u;
    for (it = 0; it < iters; it++) {
        sbuf b = {0, 0, 0};
        int s = (int)(it % 3), k, u = (int)(mlct_u32(&r) % 8), nm = u < 5 ? 1 : u < 7 ? 2 : 3;
        char *exact;
        size_t line = 0, lines;
        mlc_result res, res2;
        mlc_arena a;
        sb_put(&b, seeds[s], seed_len[s]);
        for (k = 0; k < nm; k++) mutate(&b, &r);
        exact = (char *)xmalloc(b.n);           /* exactly sized: ASan sees any overread */
        memcpy(exact, b.p, b.n);
        lines = count_lines(b.p, b.n);
        res = mlc_ngram_read_arpa(&m, exact, b.n, (int)(it & 1), NULL, &line);
        if (res == MLC_OK) {
            mlc_ngram_ppl pp;
            n_ok++;
            CHECK_OK(mlc_ngram_perplexity(&m, "a b the cat </s>\n<s> zz\n\n", 25, &pp));
            CHECK(pp.tokens == 10 && !(pp.log10_sum != pp.log10_sum));
            if (!(it & 1)) {   /* it writes, and what it writes reads back the same */
                size_t l1, l2;
                char *w1 = arpa_of(&m, &l1), *w2;
                mlc_ngram m2;
                res2 = mlc_ngram_read_arpa(&m2, w1, l1, 0, NULL, &line);
                if (res2 != MLC_OK) { mlct_failures++; fprintf(stderr, "  mutation %ld: rewrite unreadable (%s, line %zu)\n", it, mlc_result_string(res2), line); }
                else {
                    w2 = arpa_of(&m2, &l2);
                    if (l1 != l2 || memcmp(w1, w2, l1)) { mlct_failures++; fprintf(stderr, "  mutation %ld: rewrite not stable\n", it); }
                    free(w2);
                    mlc_ngram_free(&m2);
                }
                free(w1);
            }
            mlc_ngram_free(&m);
        } else {
            n_err++;
            if (res != MLC_ERR_FORMAT && res != MLC_ERR_TRUNCATED && res != MLC_ERR_UNSUPPORTED) {
                mlct_failures++; fprintf(stderr, "  mutation %ld: %s\n", it, mlc_result_string(res));
            }
            if (line < 1 || line > lines + 1) { mlct_failures++; fprintf(stderr, "  mutation %ld: line %zu of %zu\n", it, line, lines); }
        }
        {   /* the same into a small arena */
            size_t asz = (size_t)(mlct_u32(&r) % (1 << 16));
            mlc_ngram m3;
            mlc_arena_init(&a, amem, asz);
            res2 = mlc_ngram_read_arpa(&m3, exact, b.n, 1, &a, NULL);
            /* a small arena may run out before pass 2 sees an unknown word or a duplicate */
            if (res2 != res && res2 != MLC_ERR_NOMEM) {
                mlct_failures++; fprintf(stderr, "  mutation %ld: %s in an arena, %s with malloc\n", it, mlc_result_string(res2), mlc_result_string(res));
            }
            if (res2 == MLC_ERR_NOMEM) CHECK(a.need > asz && a.used == 0);
            if (res2 == MLC_OK) CHECK(m3.owned_ == NULL && m3.bytes <= asz);
        }
        free(exact);
        free(b.p);
    }
    CHECK(n_ok > iters / 40 && n_err > iters / 4);   /* both paths were exercised */
    if (getenv("MLCT_VERBOSE")) printf("       %ld mutations: %ld read, %ld refused\n", iters, n_ok, n_err);
    free(trained);
    free(amem);
}

/* ---- numbers: ARPA values read exactly, written in the shortest form ---------------- */
static void test_ngram_numbers(void) {
    sbuf b = {0, 0, 0};
    int i, k, count = 3000, bad = 0;
    float *v = (float *)xmalloc(sizeof(float) * (size_t)count);
    mlct_rng r;
    char l[128];
    mlc_ngram m;
    size_t len;
    char *out, *s;
    static const float fixed[] = { -0.30103f, -1e-7f, -0.000001f, -1.5e-10f, -123456789.0f, -100.0f, -99.0f,
                                   -3.4028235e38f, -1.1754944e-38f, -1.4e-45f, -0.1f, -7.0f, -1e21f, -1e20f,
                                   -0.5f, -2.5f, -1e-6f, -9.999999e-7f, -33554432.0f, -16777217.0f };
    static const char *const want[] = { "-0.30103", "-1e-7", "-0.000001", "-1.5e-10", "-123456790", "-100", "-99",
                                        "-3.4028235e38", "-1.1754944e-38", "-1e-45", "-0.1", "-7", "-1e21",
                                        "-100000000000000000000", "-0.5", "-2.5", "-0.000001", "-9.999999e-7",
                                        "-33554432", "-16777216" };
    r.s = 777;
    sb_str(&b, "\\data\\\nngram 1=3003\n\n\\1-grams:\n-1 <unk>\n-1 <s>\n-1 </s>\n");
    for (i = 0; i < count; i++) {
        uint32_t u = mlct_u32(&r);
        float f;
        if (i < (int)(sizeof fixed / sizeof fixed[0])) f = fixed[i];
        else if (i % 3 == 0) { u = (u & 0x807FFFFFu) | ((100u + u % 60u) << 23) | 0x80000000u; memcpy(&f, &u, 4); }
        else f = -(float)(mlct_uniform(&r, 0.0f, 8.0f));
        v[i] = f;
        /* written three ways: shortest-ish %.9g, %.7f (IRSTLM-like), %e */
        if (i % 3 == 0) snprintf(l, sizeof l, "%.9g\tw%d\n", (double)f, i);
        else if (i % 3 == 1) snprintf(l, sizeof l, "%.17g\tw%d\n", (double)f, i);
        else snprintf(l, sizeof l, "%.8e\tw%d\n", (double)f, i);
        sb_str(&b, l);
    }
    sb_str(&b, "\n\\end\\\n");
    CHECK_OK(mlc_ngram_read_arpa(&m, b.p, b.n, 0, NULL, NULL));
    if (!m.order) { free(b.p); free(v); return; }
    for (i = 0; i < count; i++) {   /* read exactly as strtof does */
        float lp;
        snprintf(l, sizeof l, "w%d", i);
        CHECK_OK(mlc_ngram_prob_ref(&m, NULL, 0, mlc_ngram_word_id(&m, l, strlen(l)), &lp));
        if (memcmp(&lp, &v[i], 4) != 0 && bad++ < 5) fprintf(stderr, "  read %.9g as %.9g\n", (double)v[i], (double)lp);
    }
    out = arpa_of(&m, &len);
    s = strstr(out, "\\1-grams:\n");
    for (k = 0; s && k < 4; k++) { s = strchr(s, '\n'); if (s) s++; }   /* to w0's line */
    for (i = 0; s && i < count; i++) {   /* written: reads back, and no shorter form would */
        char num[64], *tab = strchr(s, '\t');
        const char *c;
        float f;
        int sig = 0, kmin;
        if (!tab || tab - s >= (long)sizeof num) { s = NULL; break; }
        memcpy(num, s, (size_t)(tab - s)); num[tab - s] = 0;
        f = strtof(num, NULL);
        if (memcmp(&f, &v[i], 4) != 0 && bad++ < 5) fprintf(stderr, "  wrote %.9g as %s\n", (double)v[i], num);
        for (kmin = 1; kmin < 9; kmin++) {
            char t[64];
            snprintf(t, sizeof t, "%.*e", kmin - 1, (double)v[i]);
            if (strtof(t, NULL) == v[i]) break;
        }
        {   /* significant digits written */
            char d[64];
            int nd = 0, j0 = 0;
            for (c = num; *c && *c != 'e'; c++) if (*c >= '0' && *c <= '9') d[nd++] = *c;
            while (j0 < nd && d[j0] == '0') j0++;
            while (nd > j0 && d[nd - 1] == '0') nd--;
            sig = nd - j0;
        }
        if (sig > kmin && bad++ < 5) fprintf(stderr, "  wrote %s: %d digits, %d suffice\n", num, sig, kmin);
        if (i < (int)(sizeof want / sizeof want[0]) && strcmp(num, want[i]) != 0 && bad++ < 5)
            fprintf(stderr, "  wrote %s, expected %s (double-conversion's shortest)\n", num, want[i]);
        s = strchr(s, '\n');
        if (s) s++;
    }
    CHECK(s != NULL);
    CHECK_EQ_INT(bad, 0);
    free(out);
    mlc_ngram_free(&m);
    free(b.p);
    free(v);
    {   /* the longest numbers (22 characters: -123456780000000000000) on
           lines written past the 4 KB output buffer's end: byte-stable */
        sbuf a = {0, 0, 0};
        size_t l1, l2;
        char *o1, *o2;
        mlc_ngram m1, m2;
        sb_str(&a, "\\data\\\nngram 1=300\nngram 2=1\n\n\\1-grams:\n-1\t<unk>\n0\t<s>\t-1.2345678e20\n-1\t</s>\n");
        for (i = 3; i < 300; i++) {
            snprintf(l, sizeof l, "-1.2345678e20\tw%d%.*s\t-1.2345678e20\n", i, i % 7, "xxxxxxx");
            sb_str(&a, l);
        }
        sb_str(&a, "\n\\2-grams:\n-1\t<s> w7\n\n\\end\\\n");
        CHECK_OK(mlc_ngram_read_arpa(&m1, a.p, a.n, 0, NULL, NULL));
        if (m1.order) {
            o1 = arpa_of(&m1, &l1);
            CHECK(strstr(o1, "-123456780000000000000\tw294\t-123456780000000000000\n") != NULL);
            CHECK_OK(mlc_ngram_read_arpa(&m2, o1, l1, 0, NULL, NULL));
            if (m2.order) {
                o2 = arpa_of(&m2, &l2);
                CHECK(l1 == l2 && memcmp(o1, o2, l1) == 0);
                free(o2);
                mlc_ngram_free(&m2);
            }
            free(o1);
            mlc_ngram_free(&m1);
        }
        free(a.p);
    }
}

/* ---- sampling -------------------------------------------------------------------------
   A unigram model p(</s>) = 1/8, a 1/2, b 1/4, c 1/8 (and <unk>, never
   drawn): 20000 draws per setting, each frequency within 5 sigma of its
   probability: p, p^(1/T) renormalised for T = 2, the top 2 for top_k = 2. */
static const char unigram_arpa[] =
    "\\data\\\nngram 1=6\n\n\\1-grams:\n-0.90309 </s>\n0 <s>\n-0.30103 a\n-0.60206 b\n-0.90309 c\n-1 <unk>\n\n\\end\\\n";

static void test_ngram_sampling(void) {
    mlc_ngram m;
    mlc_ngram_state st;
    void *scratch;
    uint64_t rng = 1;
    int t, i, k;
    uint32_t w;
    CHECK_OK(mlc_ngram_read_arpa(&m, unigram_arpa, sizeof unigram_arpa - 1, 0, NULL, NULL));
    if (!m.order) return;
    scratch = xmalloc(mlc_ngram_sample_scratch_bytes(&m));
    mlc_ngram_state_null(&st);
    for (t = 0; t < 3; t++) {
        static const float temp[3] = { 1.0f, 2.0f, 1.0f };
        static const int topk[3] = { 0, 0, 2 };
        double p[6] = {0, 0, 0, 0, 0, 0}, sum = 0, cnt[6] = {0, 0, 0, 0, 0, 0};
        double base[6] = { 0, 0, 0.125, 0.5, 0.25, 0.125 };
        int n = 20000;
        for (i = 2; i < 6; i++) {
            if (topk[t] == 2 && i != 3 && i != 4) continue;
            p[i] = pow(base[i], 1.0 / temp[t]);
            sum += p[i];
        }
        for (i = 0; i < 6; i++) p[i] /= sum;
        for (k = 0; k < n; k++) {
            CHECK_OK(mlc_ngram_sample(&m, &st, temp[t], topk[t], &rng, scratch, &w));
            if (w < 6) cnt[w]++;
        }
        CHECK(cnt[0] == 0 && cnt[1] == 0);   /* never <unk> or <s> */
        for (i = 2; i < 6; i++) {
            double sd = sqrt(n * p[i] * (1 - p[i]));
            if (!(fabs(cnt[i] - n * p[i]) <= 5 * sd + 1e-9)) {
                mlct_failures++;
                fprintf(stderr, "  T %g top_k %d: word %d drawn %g times, expected %g +- %g\n", temp[t], topk[t], i, cnt[i], n * p[i], sd);
            }
        }
    }
    /* temperature 0 and top_k 1: the most likely word (a) */
    CHECK_OK(mlc_ngram_sample(&m, &st, 0.0f, 0, &rng, scratch, &w)); CHECK_EQ_INT(w, 3);
    CHECK_OK(mlc_ngram_sample(&m, &st, 1.0f, 1, &rng, scratch, &w)); CHECK_EQ_INT(w, 3);
    CHECK_ERR(mlc_ngram_sample(&m, &st, -1.0f, 0, &rng, scratch, &w), MLC_ERR_ARG);
    CHECK_ERR(mlc_ngram_sample(&m, &st, 1.0f, 0, NULL, scratch, &w), MLC_ERR_NULL);
    CHECK_ERR(mlc_ngram_sample(&m, &st, 1.0f, 0, &rng, NULL, &w), MLC_ERR_NULL);
    free(scratch);
    mlc_ngram_free(&m);
    {   /* the same seed, the same sentences; generate fills and terminates */
        size_t len;
        char *text = make_corpus(31, 5000, 200, &len), a[512], b[512];
        uint64_t r1 = 42, r2 = 42, r3 = 43;
        size_t la, lb;
        int same = 1, differs = 0;
        m = train_golden(text, len, 3, MLC_NGRAM_KN, 0, NULL);
        scratch = xmalloc(mlc_ngram_sample_scratch_bytes(&m));
        for (k = 0; k < 5; k++) {
            CHECK_OK(mlc_ngram_generate(&m, 1.0f, 0, &r1, 100, scratch, a, sizeof a, &la));
            CHECK_OK(mlc_ngram_generate(&m, 1.0f, 0, &r2, 100, scratch, b, sizeof b, &lb));
            same &= la == lb && strcmp(a, b) == 0;
            CHECK(la == strlen(a) && la > 0);
            CHECK_OK(mlc_ngram_generate(&m, 1.0f, 0, &r3, 100, scratch, b, sizeof b, &lb));
            differs |= strcmp(a, b) != 0;
        }
        CHECK(same);
        CHECK(differs);
        CHECK_ERR(mlc_ngram_generate(&m, 1.0f, 0, &r1, 200, scratch, a, 4, &la), MLC_ERR_NOMEM);
        CHECK(la < 4 && a[la] == 0);
        CHECK_OK(mlc_ngram_generate(&m, 1.0f, 0, &r1, 0, scratch, a, sizeof a, &la));
        CHECK_EQ_INT(la, 0);
        CHECK_ERR(mlc_ngram_generate(&m, 1.0f, 0, &r1, 10, scratch, a, 0, &la), MLC_ERR_ARG);
        free(scratch);
        free(text);
        mlc_ngram_free(&m);
    }
}

/* Character names: what comes out is made of the training characters. */
static void test_ngram_char_names(void) {
    char path[512], out[128];
    void *f;
    size_t n, len;
    mlc_ngram m;
    mlc_ngram_params p = mlc_ngram_params_default(5);
    void *scratch;
    uint64_t rng = 2024;
    int k, ok = 1, novel = 0;
    p.char_mode = 1;
    snprintf(path, sizeof path, "%s/../examples/data/names.txt", mlct_dir);
    if (mlc_file_load(path, &f, &n) != MLC_OK) { mlct_failures++; fprintf(stderr, "  %s missing\n", path); return; }
    {   /* with a NUL at the end for strstr */
        char *z = (char *)xmalloc(n + 1);
        memcpy(z, f, n); z[n] = 0;
        mlc_file_free(f);
        f = z;
    }
    CHECK_OK(mlc_ngram_train(&m, (const char *)f, n, &p, NULL));
    scratch = xmalloc(mlc_ngram_sample_scratch_bytes(&m));
    for (k = 0; k < 20 && m.order; k++) {
        size_t i;
        char key[130];
        CHECK_OK(mlc_ngram_generate(&m, 0.8f, 0, &rng, 30, scratch, out, sizeof out, &len));
        for (i = 0; i < len; i++) ok &= memchr(f, out[i], n) != NULL && out[i] != '\n';
        snprintf(key, sizeof key, "\n%s\n", out);
        novel += strstr((const char *)f, key) == NULL;
    }
    CHECK(ok);
    CHECK(novel > 0);
    free(scratch);
    free(f);
    mlc_ngram_free(&m);
    {   /* blanks in character mode are "<sp>" and come back as ' ' */
        char o[64];
        size_t ol;
        uint64_t r = 5;
        m = train_golden("ab ab\n", 6, 4, MLC_NGRAM_KN, 1, NULL);
        CHECK_EQ_INT(m.vocab_size, 6);
        scratch = xmalloc(mlc_ngram_sample_scratch_bytes(&m));
        CHECK_OK(mlc_ngram_generate(&m, 0.0f, 0, &r, 20, scratch, o, sizeof o, &ol));
        CHECK(strcmp(o, "ab ab") == 0);
        free(scratch);
        mlc_ngram_free(&m);
    }
}

/* mlc_ngram_write_arpa_file on a model it cannot write (query_only, or
   zeroed) used to fopen(path, "wb") first and then fail: the file, often the
   very ARPA the query-only model was read from, was left truncated to 0
   bytes. It must be refused before the file is touched. */
static void test_ngram_write_file_refused(void) {
#ifndef MLC_NO_STDIO
    static const char path[] = "mlct_ngram_write_refused.arpa";
    mlc_ngram m, q;
    mlc_ngram_params p = mlc_ngram_params_default(3);
    const char *t = "a b c\nb c d\n";
    char *arpa, back[4096];
    size_t len, n;
    FILE *f;
    CHECK_OK(mlc_ngram_train(&m, t, strlen(t), &p, NULL));
    arpa = arpa_of(&m, &len);
    CHECK(len < sizeof back);
    CHECK_OK(mlc_ngram_write_arpa_file(&m, path));
    CHECK_OK(mlc_ngram_read_arpa_file(&q, path, 1, NULL, NULL));   /* query_only */
    CHECK_ERR(mlc_ngram_write_arpa_file(&q, path), MLC_ERR_UNSUPPORTED);
    mlc_ngram_free(&q);
    CHECK_ERR(mlc_ngram_write_arpa_file(&q, path), MLC_ERR_ARG);   /* zeroed by free */
    f = fopen(path, "rb");
    CHECK(f != NULL);
    if (f) {
        n = fread(back, 1, sizeof back, f);
        fclose(f);
        CHECK_EQ_INT(n, len);
        CHECK(n == len && memcmp(back, arpa, len) == 0);
    }
    remove(path);
    free(arpa);
    mlc_ngram_free(&m);
#endif
}

/* ---- binary models ------------------------------------------------------------------ */
static int sb_write(void *user, const char *data, size_t n) { sb_put((sbuf *)user, data, n); return 0; }
static unsigned char *bin_of(const mlc_ngram *m, int query_only, size_t *len) {
    sbuf b = {0, 0, 0};
    unsigned char *out;
    CHECK_OK(mlc_ngram_write_binary(m, query_only, sb_write, &b));
    *len = b.n;
    out = (unsigned char *)xmalloc(b.n);   /* exactly sized (malloc: 8-aligned) */
    memcpy(out, b.p, b.n);
    free(b.p);
    return out;
}
/* m, the model viewed in its binary and the query-only one score the same
   (bit for bit), write the same ARPA, and the view writes the same binary. */
static void binary_same(const mlc_ngram *m, const char *text, size_t tlen, const char *what) {
    size_t l1, l2, lq, la, lb;
    unsigned char *b1 = bin_of(m, 0, &l1), *b2, *bq = bin_of(m, 1, &lq);
    mlc_ngram v, q;
    mlc_ngram_ppl p0, p1, p2;
    int ok = 1;
    CHECK_OK(mlc_ngram_view_binary(&v, b1, l1));
    CHECK_OK(mlc_ngram_view_binary(&q, bq, lq));
    CHECK(v.owned_ == NULL && v.bytes <= m->bytes && v.order == m->order);
    CHECK(q.bytes < v.bytes || m->order == 1);
    b2 = bin_of(&v, 0, &l2);
    if (l1 != l2 || memcmp(b1, b2, l1)) { ok = 0; fprintf(stderr, "  %s: binary of the view differs\n", what); }
    CHECK_OK(mlc_ngram_perplexity(m, text, tlen, &p0));
    CHECK_OK(mlc_ngram_perplexity(&v, text, tlen, &p1));
    CHECK_OK(mlc_ngram_perplexity(&q, text, tlen, &p2));
    {   /* the text in pieces that end at a line's end: the same numbers */
        size_t at = 0, piece = 1;
        mlc_ngram_ppl p3;
        memset(&p3, 0, sizeof p3);
        while (at < tlen) {
            size_t e = at + piece < tlen ? at + piece : tlen;
            while (e < tlen && text[e - 1] != '\n') e++;
            CHECK_OK(mlc_ngram_perplexity_add(&v, text + at, e - at, &p3));
            at = e;
            piece = piece * 3 + 7;
        }
        if (memcmp(&p3, &p0, sizeof p0)) { ok = 0; fprintf(stderr, "  %s: perplexity in pieces differs\n", what); }
        CHECK_ERR(mlc_ngram_perplexity_add(&v, text, tlen, NULL), MLC_ERR_NULL);
    }
    if (p0.log10_sum != p1.log10_sum || p0.log10_sum != p2.log10_sum || p0.oovs != p2.oovs || p0.tokens != p2.tokens) {
        ok = 0; fprintf(stderr, "  %s: perplexity sums %.17g %.17g %.17g\n", what, p0.log10_sum, p1.log10_sum, p2.log10_sum);
    }
    if (m->order == 1 || m->words_[1]) {   /* it can write ARPA */
        char *a = arpa_of(m, &la), *b = arpa_of(&v, &lb);
        if (la != lb || memcmp(a, b, la)) { ok = 0; fprintf(stderr, "  %s: ARPA of the view differs\n", what); }
        free(a); free(b);
    }
    if (m->order > 1) CHECK_ERR(mlc_ngram_write_arpa_mem(&q, NULL, 0, &la), MLC_ERR_UNSUPPORTED);
    if (!ok) mlct_failures++;
    CHECK(v.vocab_size == m->vocab_size && v.char_mode == m->char_mode && v.status == m->status &&
          v.fallback_orders == m->fallback_orders && !memcmp(v.counts, m->counts, sizeof v.counts) &&
          !memcmp(v.discount, m->discount, sizeof v.discount) && !memcmp(v.adjusted_hist, m->adjusted_hist, sizeof v.adjusted_hist));
    mlc_ngram_free(&v);
    CHECK(v.uni_ == NULL);
    free(b1); free(b2); free(bq);
}

static void test_ngram_binary(void) {
    size_t len, l, i;
    char *text = make_corpus(23, 8000, 400, &len);
    static const uint32_t prune[4] = { 0, 1, 1, 2 };
    mlc_ngram m;
    unsigned char *b, *c;
    m = train_golden(text, len, 4, MLC_NGRAM_KN, 0, NULL); binary_same(&m, text, len, "kn4"); mlc_ngram_free(&m);
    m = train_golden(text, len, 4, MLC_NGRAM_KN, 0, prune); binary_same(&m, text, len, "kn4 pruned"); mlc_ngram_free(&m);
    m = train_golden(text, len, 3, MLC_NGRAM_STUPID, 0, NULL); binary_same(&m, text, len, "stupid"); mlc_ngram_free(&m);
    m = train_golden(text, len, 1, MLC_NGRAM_KN, 0, NULL); binary_same(&m, text, len, "kn1"); mlc_ngram_free(&m);
    m = train_golden(text, len, 6, MLC_NGRAM_KN, 1, NULL); binary_same(&m, text, len, "char6"); mlc_ngram_free(&m);
    CHECK_OK(mlc_ngram_read_arpa(&m, srilm_arpa, sizeof srilm_arpa - 1, 0, NULL, NULL));
    binary_same(&m, "a b c\nb a\nz\n", 12, "srilm");
    mlc_ngram_free(&m);

    /* errors: each field that the reader checks, broken on its own */
    m = train_golden(text, len, 3, MLC_NGRAM_KN, 0, NULL);
    b = bin_of(&m, 0, &l);
    c = (unsigned char *)xmalloc(l + 8);
    {
        mlc_ngram v;
        uint32_t u32;
        uint64_t u64;
        size_t start = 64 + 3 * 64, strings_at = start;   /* the strings are the block's first section */
        size_t offsets_at = start + ((m.offsets_[m.vocab_size] + 63u) & ~(size_t)63u);
        size_t vtab_at = offsets_at + ((((size_t)m.vocab_size + 1) * 4 + 63u) & ~(size_t)63u);
        CHECK_ERR(mlc_ngram_view_binary(NULL, b, l), MLC_ERR_NULL);
        CHECK_ERR(mlc_ngram_view_binary(&v, NULL, l), MLC_ERR_NULL);
        CHECK_ERR(mlc_ngram_view_binary(&v, NULL, 0), MLC_ERR_FORMAT);
        memcpy(c + 1, b, l);
        CHECK_ERR(mlc_ngram_view_binary(&v, c + 1, l), MLC_ERR_ARG);            /* not 8-aligned */
        CHECK(v.uni_ == NULL);
        memcpy(c, b, l);
        CHECK_OK(mlc_ngram_view_binary(&v, c, l));
        CHECK_ERR(mlc_ngram_view_binary(&v, srilm_arpa, 64), MLC_ERR_FORMAT);  /* ARPA text (may be unaligned: 8 first) */
#define BIN_CASE(edit, want) do { memcpy(c, b, l); edit; CHECK_ERR(mlc_ngram_view_binary(&v, c, l), want); CHECK(v.uni_ == NULL); } while (0)
        BIN_CASE(c[0] = 'M', MLC_ERR_FORMAT);                                      /* magic */
        BIN_CASE(u32 = 2; memcpy(c + 8, &u32, 4), MLC_ERR_UNSUPPORTED);             /* newer version */
        BIN_CASE(u32 = 0x04030201u; memcpy(c + 12, &u32, 4), MLC_ERR_UNSUPPORTED);  /* other byte order */
        BIN_CASE(u32 = 0x01020305u; memcpy(c + 12, &u32, 4), MLC_ERR_FORMAT);
        BIN_CASE(u32 = 0; memcpy(c + 16, &u32, 4), MLC_ERR_FORMAT);                 /* order 0 */
        BIN_CASE(u32 = 33; memcpy(c + 16, &u32, 4), MLC_ERR_FORMAT);
        BIN_CASE(u32 = 2; memcpy(c + 16, &u32, 4), MLC_ERR_FORMAT);                 /* order and sizes disagree */
        BIN_CASE(u32 = 5; memcpy(c + 36, &u32, 4), MLC_ERR_FORMAT);                 /* has_words */
        BIN_CASE(u32 = m.vocab_size + 1; memcpy(c + 32, &u32, 4), MLC_ERR_FORMAT);  /* vocab != unigram count */
        BIN_CASE(u64 = 1u << 20; memcpy(c + 56, &u64, 8), MLC_ERR_FORMAT);          /* block size */
        BIN_CASE(u32 = m.slots_[2] + 1; memcpy(c + 64 + 2 * 64 + 8, &u32, 4), MLC_ERR_FORMAT);   /* slots */
        BIN_CASE(u32 = (uint32_t)m.counts[2]; memcpy(c + 64 + 2 * 64 + 8, &u32, 4), MLC_ERR_FORMAT); /* no empty slot possible */
        BIN_CASE(u32 = 1; memcpy(c + offsets_at, &u32, 4), MLC_ERR_BOUNDS);         /* offsets[0] */
        BIN_CASE(u32 = m.offsets_[3]; memcpy(c + offsets_at + 8, &u32, 4), MLC_ERR_BOUNDS);   /* empty word */
        BIN_CASE(c[strings_at + m.offsets_[4] - 1] = 'x', MLC_ERR_BOUNDS);          /* word without NUL */
        {   /* a vocabulary slot with an id out of range, or the wrong length */
            size_t s;
            for (s = 0; s < (size_t)m.vmask_ + 1; s++) { memcpy(&u32, b + vtab_at + s * 16 + 8, 4); if (u32 != 0xFFFFFFFFu) break; }
            BIN_CASE(u32 = m.vocab_size; memcpy(c + vtab_at + s * 16 + 8, &u32, 4), MLC_ERR_BOUNDS);
            BIN_CASE(c[vtab_at + s * 16 + 12] ^= 1, MLC_ERR_BOUNDS);
        }
        {   /* the highest order's table full (no empty slot), a word id out of range */
            size_t at3 = start + (size_t)((unsigned char *)m.tab_[2] - (unsigned char *)m.strings_), s;
            size_t atw = start + (size_t)((unsigned char *)m.words_[2] - (unsigned char *)m.strings_);
            memcpy(c, b, l);
            for (s = 0; s < m.slots_[2]; s++) if (!memcmp(c + at3 + s * 12, "\0\0\0\0\0\0\0\0", 8)) c[at3 + s * 12] = 1;
            CHECK_ERR(mlc_ngram_view_binary(&v, c, l), MLC_ERR_FORMAT);
            BIN_CASE(u32 = m.vocab_size; memcpy(c + atw + 4, &u32, 4), MLC_ERR_BOUNDS);
        }
        for (i = 0; i < l; i += 1 + i / 3) {   /* every shorter file is refused */
            mlc_result r = mlc_ngram_view_binary(&v, b, i);
            if (r != (i < 8 ? MLC_ERR_FORMAT : MLC_ERR_TRUNCATED)) { mlct_failures++; fprintf(stderr, "  %zu bytes: %s\n", i, mlc_result_string(r)); break; }
        }
        memcpy(c, b, l); c[l] = 0;
        CHECK_ERR(mlc_ngram_view_binary(&v, c, l + 1), MLC_ERR_FORMAT);           /* trailing bytes */
        CHECK_ERR(mlc_ngram_write_binary(NULL, 0, sb_write, NULL), MLC_ERR_NULL);
        CHECK_ERR(mlc_ngram_write_binary(&m, 0, NULL, NULL), MLC_ERR_NULL);
        mlc_ngram_free(&v);
        CHECK_ERR(mlc_ngram_write_binary(&v, 0, sb_write, NULL), MLC_ERR_ARG);    /* zeroed */
#undef BIN_CASE
    }
    {   /* random byte changes: refused with a reader's error, or read and usable */
        mlct_rng r;
        long it, iters = 3000, n_ok = 0;
        unsigned char scratch[1 << 14];
        r.s = 0xB1A5u;
        for (it = 0; it < iters; it++) {
            mlc_ngram v;
            mlc_result res;
            int k, nm = 1 + (int)(mlct_u32(&r) % 4);
            memcpy(c, b, l);
            for (k = 0; k < nm; k++) {
                size_t at = mlct_u32(&r) % 3 ? mlct_u32(&r) % 512 : mlct_u32(&r) % l;   /* the header most often */
                c[at] = (unsigned char)(mlct_u32(&r) % 4 ? mlct_u32(&r) : c[at] ^ (1u << (mlct_u32(&r) % 8)));
            }
            res = mlc_ngram_view_binary(&v, c, l);
            if (res == MLC_OK) {
                mlc_ngram_ppl pp;
                uint64_t rng = (uint64_t)it;
                char out[256];
                size_t sz;
                n_ok++;
                CHECK_OK(mlc_ngram_perplexity(&v, text, 4000, &pp));
                if (mlc_ngram_sample_scratch_bytes(&v) <= sizeof scratch)
                    mlc_ngram_generate(&v, 1.0f, 0, &rng, 30, scratch, out, sizeof out, NULL);
                mlc_ngram_write_arpa_mem(&v, NULL, 0, &sz);
            } else if (res != MLC_ERR_FORMAT && res != MLC_ERR_BOUNDS && res != MLC_ERR_UNSUPPORTED && res != MLC_ERR_TRUNCATED) {
                mlct_failures++; fprintf(stderr, "  change %ld: %s\n", it, mlc_result_string(res));
            }
        }
        CHECK(n_ok > iters / 10 && n_ok < iters);   /* both paths were exercised */
        if (getenv("MLCT_VERBOSE")) printf("       %ld binary changes: %ld read, %ld refused\n", iters, n_ok, iters - n_ok);
    }
#ifndef MLC_NO_STDIO
    {   /* files */
        static const char path[] = "mlct_ngram_binary.bin";
        mlc_ngram v;
        FILE *f;
        CHECK_OK(mlc_ngram_write_binary_file(&m, 1, path));
        CHECK_OK(mlc_ngram_read_binary_file(&v, path));
        CHECK(v.owned_ != NULL && v.words_[2] == NULL && v.counts[2] == m.counts[2]);
        mlc_ngram_free(&v);
        if ((f = fopen(path, "wb")) != NULL) { fwrite(b, 1, l / 2, f); fclose(f); }
        CHECK_ERR(mlc_ngram_read_binary_file(&v, path), MLC_ERR_TRUNCATED);
        remove(path);
        CHECK_ERR(mlc_ngram_read_binary_file(&v, path), MLC_ERR_IO);
    }
#endif
    free(b); free(c);
    mlc_ngram_free(&m);
    free(text);
}

/* ---- training straight to ARPA --------------------------------------------------------- */
typedef struct { sbuf b; size_t fail_at; } failbuf;
static int fail_write(void *user, const char *data, size_t n) {
    failbuf *f = (failbuf *)user;
    if (f->b.n + n > f->fail_at) return 1;
    sb_put(&f->b, data, n);
    return 0;
}
static void train_arpa_same(const char *text, size_t len, int order, mlc_ngram_smoothing sm, int char_mode,
                            const uint32_t *prune, const char *what) {
    mlc_ngram_params p = mlc_ngram_params_default(order);
    mlc_ngram m, info;
    sbuf b = {0, 0, 0};
    size_t la;
    char *a;
    p.smoothing = sm; p.char_mode = char_mode;
    if (prune) memcpy(p.prune, prune, sizeof(uint32_t) * (size_t)order);
    CHECK_OK(mlc_ngram_train(&m, text, len, &p, NULL));
    a = arpa_of(&m, &la);
    CHECK_OK(mlc_ngram_train_arpa(text, len, &p, sb_write, &b, &info));
    if (b.n != la || memcmp(a, b.p, la)) { mlct_failures++; fprintf(stderr, "  %s: ARPA differs from the model's\n", what); }
    CHECK(info.uni_ == NULL && info.tab_[1] == NULL && info.owned_ == NULL && info.bytes == 0);
    CHECK(info.order == m.order && info.vocab_size == m.vocab_size && info.status == m.status &&
          info.fallback_orders == m.fallback_orders && info.train_tokens == m.train_tokens &&
          info.train_sentences == m.train_sentences && !memcmp(info.counts, m.counts, sizeof m.counts) &&
          !memcmp(info.discount, m.discount, sizeof m.discount) &&
          !memcmp(info.adjusted_hist, m.adjusted_hist, sizeof m.adjusted_hist));
    CHECK(info.train_peak_bytes > 0 && info.train_peak_bytes <= m.train_peak_bytes);
    {
        mlc_ngram_state st;
        float lp;
        size_t l;
        mlc_ngram_state_null(&st);
        CHECK_ERR(mlc_ngram_score(&info, &st, 3, &st, &lp, NULL), MLC_ERR_ARG);   /* numbers only */
        CHECK_ERR(mlc_ngram_write_arpa_mem(&info, NULL, 0, &l), MLC_ERR_ARG);
    }
    free(a); free(b.p);
    mlc_ngram_free(&m);
}

static void test_ngram_train_arpa(void) {
    size_t len;
    char *text = make_corpus(29, 8000, 400, &len);
    static const uint32_t prune[5] = { 0, 1, 1, 2, 2 };
    mlc_ngram_params p = mlc_ngram_params_default(3);
    mlc_ngram info;
    train_arpa_same(text, len, 5, MLC_NGRAM_KN, 0, NULL, "kn5");
    train_arpa_same(text, len, 5, MLC_NGRAM_KN, 0, prune, "kn5 pruned");
    train_arpa_same(text, len, 3, MLC_NGRAM_ADD_K, 0, NULL, "add-k");
    train_arpa_same(text, len, 3, MLC_NGRAM_STUPID, 0, NULL, "stupid");
    train_arpa_same(text, len, 1, MLC_NGRAM_KN, 0, NULL, "kn1");
    train_arpa_same(text, len, 6, MLC_NGRAM_KN, 1, NULL, "char6");
    train_arpa_same("a b\n", 4, 3, MLC_NGRAM_KN, 0, NULL, "tiny (fallback)");
    {   /* lines longer than the writer's 4 KB buffer: a 5000-byte word */
        char *t = (char *)xmalloc(5020), *want = (char *)xmalloc(5010), *a;
        size_t la;
        mlc_ngram m;
        memset(t, 'x', 5000); memcpy(t + 5000, " a b\na b\n", 10);
        train_arpa_same(t, 5010, 3, MLC_NGRAM_KN, 0, NULL, "long word");
        CHECK_OK(mlc_ngram_train(&m, t, 5010, &p, NULL));
        a = arpa_of(&m, &la);
        want[0] = '\t'; memset(want + 1, 'x', 5000); memcpy(want + 5001, " a\t", 4); want[5005] = 0;
        CHECK(strstr(a, want) != NULL);   /* the bigram, whole, then its backoff */
        roundtrip(&m, "long word");
        free(a); free(t); free(want);
        mlc_ngram_free(&m);
    }
    {   /* the writer fails part way: MLC_ERR_IO, what was written a prefix, info zeroed */
        failbuf f;
        sbuf full = {0, 0, 0};
        CHECK_OK(mlc_ngram_train_arpa(text, len, &p, sb_write, &full, NULL));
        memset(&f, 0, sizeof f);
        f.fail_at = full.n / 2;
        info.order = 7;
        CHECK_ERR(mlc_ngram_train_arpa(text, len, &p, fail_write, &f, &info), MLC_ERR_IO);
        CHECK(info.order == 0 && f.b.n <= full.n / 2 && f.b.n > 0 && memcmp(f.b.p, full.p, f.b.n) == 0);
        free(f.b.p); free(full.p);
    }
    CHECK_ERR(mlc_ngram_train_arpa(text, len, &p, NULL, NULL, &info), MLC_ERR_NULL);
    CHECK_ERR(mlc_ngram_train_arpa(NULL, 5, &p, sb_write, NULL, &info), MLC_ERR_NULL);
    CHECK_ERR(mlc_ngram_train_arpa(text, len, NULL, sb_write, NULL, &info), MLC_ERR_NULL);
    p.order = 0;
    CHECK_ERR(mlc_ngram_train_arpa(text, len, &p, sb_write, NULL, &info), MLC_ERR_ARG);
    p.order = 3;
    CHECK_ERR(mlc_ngram_train_arpa("\n\n", 0, &p, sb_write, NULL, &info), MLC_ERR_ARG);   /* no sentence */
#ifndef MLC_NO_STDIO
    {
        static const char path[] = "mlct_ngram_train.arpa";
        mlc_ngram q;
        mlc_ngram_ppl a, b;
        mlc_ngram_train(&info, text, len, &p, NULL);
        CHECK_OK(mlc_ngram_train_arpa_file(text, len, &p, path, NULL));
        CHECK_OK(mlc_ngram_read_arpa_file(&q, path, 1, NULL, NULL));
        CHECK_OK(mlc_ngram_perplexity(&info, text, len, &a));
        CHECK_OK(mlc_ngram_perplexity(&q, text, len, &b));
        CHECK(a.log10_sum == b.log10_sum && a.tokens == b.tokens);
        mlc_ngram_free(&q); mlc_ngram_free(&info);
        p.order = 0;
        CHECK_ERR(mlc_ngram_train_arpa_file(text, len, &p, path, NULL), MLC_ERR_ARG);
        remove(path);
        p.order = 3;
        CHECK_ERR(mlc_ngram_train_arpa_file(text, len, &p, "no-such-dir/x.arpa", NULL), MLC_ERR_IO);
    }
#endif
    free(text);
}

/* ---- against KenLM's own output ------------------------------------------------------
   golden/kenlm_six.5.arpa and golden/kenlm_corpus50.3.arpa were written by
   KenLM's lmplz (-o 5 and -o 3, --discount_fallback; built from kpu/kenlm)
   from the six sentences below and from the first 50 lines of
   examples/data/corpus.txt. mlcore's ARPA must hold the same lines byte for
   byte (the n-grams of an order come in another order). The six sentences
   make lmplz count the last unigram in its suffix order ("rain": raw count
   2, adjusted count 1) with its raw count in the discount statistics; on
   both texts a multiply-add fused into an fma changes printed values. */
static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }
static char **sorted_lines(char *s, size_t *n) {   /* cuts s at its newlines */
    size_t cap = 1, i = 0;
    char *c, **v;
    for (c = s; *c; c++) cap += *c == '\n';
    v = (char **)xmalloc(cap * sizeof *v);
    for (c = s; *c;) {
        char *nl = strchr(c, '\n');
        v[i++] = c;
        if (!nl) break;
        *nl = 0;
        c = nl + 1;
    }
    qsort(v, i, sizeof *v, cmp_str);
    *n = i;
    return v;
}
static void kenlm_case(const char *text, size_t len, int order, const char *golden) {
    char path[512], *want;
    void *f;
    size_t nf, na, nb, i;
    char **a, **b;
    sbuf got = {0, 0, 0};
    mlc_ngram_params p = mlc_ngram_params_default(order);
    snprintf(path, sizeof path, "%s/golden/%s", mlct_dir, golden);
    if (mlc_file_load(path, &f, &nf) != MLC_OK) { mlct_failures++; fprintf(stderr, "  %s missing\n", path); return; }
    want = (char *)xmalloc(nf + 1);
    memcpy(want, f, nf); want[nf] = 0;
    mlc_file_free(f);
    CHECK_OK(mlc_ngram_train_arpa(text, len, &p, sb_write, &got, NULL));
    if (got.p) {
        a = sorted_lines(want, &na);
        b = sorted_lines(got.p, &nb);
        CHECK_EQ_INT(nb, na);
        for (i = 0; i < na && i < nb && !strcmp(a[i], b[i]); i++) {}
        if (i < na || i < nb) {
            mlct_failures++;
            fprintf(stderr, "  %s: first difference (sorted lines) KenLM '%s', mlcore '%s'\n", golden,
                    i < na ? a[i] : "", i < nb ? b[i] : "");
        }
        free(a); free(b);
    }
    free(want); free(got.p);
}
static void test_ngram_kenlm(void) {
    static const char six[] =
        "one autumn petra sang by the church .\n"
        "the old innkeeper cleaned a kind knife to the barn .\n"
        "the miller buys the goat in spring .\n"
        "the fox looked around in the cellar in the morning .\n"
        "the priest mends a quiet blanket after the rain .\n"
        "after the rain the miller looked around by the barn .\n";
    char path[512];
    void *f;
    size_t n, len = 0;
    int lines = 0;
    kenlm_case(six, sizeof six - 1, 5, "kenlm_six.5.arpa");
    snprintf(path, sizeof path, "%s/../examples/data/corpus.txt", mlct_dir);
    if (mlc_file_load(path, &f, &n) != MLC_OK) { mlct_failures++; fprintf(stderr, "  %s missing\n", path); return; }
    while (len < n && lines < 50) lines += ((const char *)f)[len++] == '\n';
    kenlm_case((const char *)f, len, 3, "kenlm_corpus50.3.arpa");
    mlc_file_free(f);
}

static void test_ngram_bad_args(void) {
    mlc_ngram m;
    mlc_ngram_params p = mlc_ngram_params_default(3);
    const char *t = "a b c\n";
    CHECK_ERR(mlc_ngram_train(NULL, t, 6, &p, NULL), MLC_ERR_NULL);
    CHECK_ERR(mlc_ngram_train(&m, NULL, 6, &p, NULL), MLC_ERR_NULL);
    CHECK_ERR(mlc_ngram_train(&m, t, 6, NULL, NULL), MLC_ERR_NULL);
    CHECK_ERR(mlc_ngram_train(&m, t, 0, &p, NULL), MLC_ERR_ARG);              /* no sentence */
    p.order = 0; CHECK_ERR(mlc_ngram_train(&m, t, 6, &p, NULL), MLC_ERR_ARG);
    p.order = MLC_NGRAM_MAX_ORDER + 1; CHECK_ERR(mlc_ngram_train(&m, t, 6, &p, NULL), MLC_ERR_ARG);
    p = mlc_ngram_params_default(3); p.prune[0] = 1; CHECK_ERR(mlc_ngram_train(&m, t, 6, &p, NULL), MLC_ERR_ARG);
    p = mlc_ngram_params_default(3); p.prune[1] = 2; p.prune[2] = 1; CHECK_ERR(mlc_ngram_train(&m, t, 6, &p, NULL), MLC_ERR_ARG);
    p = mlc_ngram_params_default(3); p.prune[2] = 1; p.smoothing = MLC_NGRAM_STUPID;
    CHECK_ERR(mlc_ngram_train(&m, t, 6, &p, NULL), MLC_ERR_UNSUPPORTED);
    p = mlc_ngram_params_default(3); p.smoothing = MLC_NGRAM_ADD_K; p.add_k = 0; CHECK_ERR(mlc_ngram_train(&m, t, 6, &p, NULL), MLC_ERR_ARG);
    p = mlc_ngram_params_default(3); p.smoothing = MLC_NGRAM_STUPID; p.stupid_alpha = 1.5f; CHECK_ERR(mlc_ngram_train(&m, t, 6, &p, NULL), MLC_ERR_ARG);
    p = mlc_ngram_params_default(3); p.smoothing = (mlc_ngram_smoothing)7; CHECK_ERR(mlc_ngram_train(&m, t, 6, &p, NULL), MLC_ERR_ARG);
    p = mlc_ngram_params_default(3); p.fallback[1] = -1; CHECK_ERR(mlc_ngram_train(&m, t, 6, &p, NULL), MLC_ERR_ARG);
    p = mlc_ngram_params_default(3); p.char_mode = 2; CHECK_ERR(mlc_ngram_train(&m, t, 6, &p, NULL), MLC_ERR_ARG);
    CHECK(m.order == 0 && m.bytes == 0);
    /* a model left zeroed by a failure is refused, not crashed on */
    {
        mlc_ngram_state st;
        float lp;
        mlc_ngram_ppl pp;
        size_t l;
        mlc_ngram_state_begin(&m, &st);
        CHECK_EQ_INT(st.length, 0);
        CHECK_ERR(mlc_ngram_score(&m, &st, 0, &st, &lp, NULL), MLC_ERR_ARG);
        CHECK_ERR(mlc_ngram_perplexity(&m, "a", 1, &pp), MLC_ERR_ARG);
        CHECK_ERR(mlc_ngram_write_arpa_mem(&m, NULL, 0, &l), MLC_ERR_ARG);
        CHECK(mlc_ngram_word_id(&m, "a", 1) == MLC_NGRAM_UNK && mlc_ngram_word_str(&m, 0) == NULL);
        mlc_ngram_free(&m);
        mlc_ngram_free(NULL);
    }
    /* specials in the text are skipped, as lmplz does */
    m = train_text("<s> a </s> <unk> b\n", 2, MLC_NGRAM_KN);
    CHECK_EQ_INT(m.vocab_size, 5);
    CHECK_EQ_INT(m.train_tokens, 3);
    CHECK(strcmp(mlc_ngram_word_str(&m, 3), "a") == 0 && mlc_ngram_word_str(&m, 5) == NULL);
    mlc_ngram_free(&m);
    /* any order up to MLC_NGRAM_MAX_ORDER */
    p = mlc_ngram_params_default(MLC_NGRAM_MAX_ORDER);
    CHECK_OK(mlc_ngram_train(&m, "a b c d e f g h i j k l m n o p q r s t u v w x y z\n", 52, &p, NULL));
    CHECK_EQ_INT(m.counts[MLC_NGRAM_MAX_ORDER - 1], 27 + 1 - MLC_NGRAM_MAX_ORDER + 1);
    roundtrip(&m, "max order");
    mlc_ngram_free(&m);
}

/* The model in the caller's arena: too small gives NOMEM and arena.need;
   that much works and scores as the MLC_MALLOC model. */
static void test_ngram_arena(void) {
    size_t len, need, i;
    char *text = make_corpus(41, 3000, 150, &len), *arpa;
    mlc_ngram m, ma, mr;
    mlc_ngram_params p = mlc_ngram_params_default(3);
    unsigned char *buf = (unsigned char *)xmalloc(1000);
    mlc_arena a;
    CHECK_OK(mlc_ngram_train(&m, text, len, &p, NULL));
    CHECK(m.bytes > 0 && m.train_peak_bytes >= 4 * (m.train_tokens + m.train_sentences));   /* the token ids at least */
    mlc_arena_init(&a, buf, 1000);
    CHECK_ERR(mlc_ngram_train(&ma, text, len, &p, &a), MLC_ERR_NOMEM);
    CHECK(a.used == 0 && a.need > 1000);
    need = a.need;
    free(buf);
    buf = (unsigned char *)xmalloc(need + 64);
    mlc_arena_init(&a, buf, need + 64);
    CHECK_OK(mlc_ngram_train(&ma, text, len, &p, &a));
    CHECK(ma.owned_ == NULL && ma.bytes == m.bytes);
    arpa = arpa_of(&m, &len);
    mlc_arena_reset(&a, 0);
    CHECK_OK(mlc_ngram_read_arpa(&mr, arpa, len, 1, &a, NULL));   /* query-only fits in the same */
    for (i = 0; i < 500 && ma.order; i++) {
        uint32_t ctx[2];
        float x, y;
        ctx[0] = (uint32_t)(i * 7) % m.vocab_size; ctx[1] = (uint32_t)(i * 13) % m.vocab_size;
        mlc_ngram_prob_ref(&m, ctx, 2, (uint32_t)i % m.vocab_size, &x);
        mlc_ngram_prob_ref(&mr, ctx, 2, (uint32_t)i % m.vocab_size, &y);
        CHECK(memcmp(&x, &y, 4) == 0);
    }
    mlc_ngram_free(&mr);   /* nothing to free: arena */
    mlc_ngram_free(&m);
    free(arpa);
    free(buf);
    free(text);
}

const mlct_case mlct_ngram_cases[] = {
    MLCT_CASE(test_ngram_hand_kn),
    MLCT_CASE(test_ngram_hand_fallback),
    MLCT_CASE(test_ngram_hand_addk_stupid),
    MLCT_CASE(test_ngram_golden_kn3),
    MLCT_CASE(test_ngram_golden_small),
    MLCT_CASE(test_ngram_kenlm),
    MLCT_CASE(test_ngram_state),
    MLCT_CASE(test_ngram_perplexity_rules),
    MLCT_CASE(test_ngram_arpa_roundtrip),
    MLCT_CASE(test_ngram_arpa_foreign),
    MLCT_CASE(test_ngram_arpa_errors),
    MLCT_CASE(test_ngram_arpa_mutations),
    MLCT_CASE(test_ngram_numbers),
    MLCT_CASE(test_ngram_sampling),
    MLCT_CASE(test_ngram_char_names),
    MLCT_CASE(test_ngram_bad_args),
    MLCT_CASE(test_ngram_write_file_refused),
    MLCT_CASE(test_ngram_arena),
    MLCT_CASE(test_ngram_binary),
    MLCT_CASE(test_ngram_train_arpa),
};
const int mlct_ngram_count = (int)(sizeof mlct_ngram_cases / sizeof mlct_ngram_cases[0]);
