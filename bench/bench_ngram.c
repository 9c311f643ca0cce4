/* bench_ngram.c - n-gram estimation and query speed and memory, one thread.

   Build (from the repository root) and run:
       cc -std=c99 -O2 -march=native -o build/bench_ngram bench/bench_ngram.c -lm
       ./build/bench_ngram                     # synthetic corpus, orders 3 and 5
       ./build/bench_ngram --quick             # smaller, fewer runs
       ./build/bench_ngram --train a.txt --test b.txt [--orders 3,5]

   The default corpus comes from the seeded generator the tests use
   (tests/ngram_ref.py corpus(): sentences of 3..12 words, half of them
   following one of five successors of the previous word, the rest drawn
   with a Zipf-like head and a long tail) with a 40000-word vocabulary:
   600k training words, and a different 1M-token text to score (about
   2 % OOV). For each order it reports:
     train    seconds (median of 3), words/s, and peak memory: the library's
              own count (temporary + model) and the child process's peak RSS
              above what it had at fork (each run is a fork, Linux)
     model    n-grams, bytes, bytes per n-gram; the query-only model (no word
              tuples); and KenLM's probing size for the same counts, computed
              from its layout (16-byte middle and 12-byte highest-order
              entries, 12-byte vocabulary entries, all x1.5, 8 bytes per
              unigram): KenLM itself is not installable here
     query    tokens/s of mlc_ngram_perplexity over the 1M-token text (text
              parsing and vocabulary lookup included, as KenLM's `query`
              counts it; median of 5), and of the state API alone over the
              same text pre-tokenised to ids
     ARPA     write and read MB/s */
#define _GNU_SOURCE 1            /* clock_gettime, fork, wait4: before any header */
#define MLCORE_IMPLEMENTATION
#include "../mlcore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__linux__)
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#define HAVE_FORK 1
#endif

static double now(void) {
#if defined(CLOCK_MONOTONIC)
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
#else
    return (double)clock() / CLOCKS_PER_SEC;
#endif
}
static int cmp_d(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return x < y ? -1 : x > y; }
static double median(double *v, int n) { qsort(v, (size_t)n, sizeof *v, cmp_d); return v[n / 2]; }

#include "ngram_corpus.h"   /* the corpus (tests/ngram_ref.py corpus()) */

static long rss_kb(void) {
#if HAVE_FORK
    long pages = 0, rss = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) { if (fscanf(f, "%ld %ld", &pages, &rss) != 2) rss = 0; fclose(f); }
    return rss * (sysconf(_SC_PAGESIZE) / 1024);
#else
    return 0;
#endif
}

typedef struct { double seconds; long peak_kb; size_t lib_peak; } train_run;

/* One training run, in a child process when we can (for its peak RSS). */
static int sink_write(void *u, const char *d, size_t n);
/* Trains a model, or (to_arpa) writes the model's ARPA into a byte counter
   with mlc_ngram_train_arpa. */
static mlc_result train_job(const char *text, size_t len, const mlc_ngram_params *p, int to_arpa, size_t *lib_peak) {
    mlc_ngram m;
    size_t bytes = 0;
    mlc_result r = to_arpa ? mlc_ngram_train_arpa(text, len, p, sink_write, &bytes, &m) : mlc_ngram_train(&m, text, len, p, NULL);
    if (r == MLC_OK) *lib_peak = m.train_peak_bytes + m.bytes;
    mlc_ngram_free(&m);
    return r;
}
static train_run train_once(const char *text, size_t len, const mlc_ngram_params *p, int to_arpa) {
    train_run t;
    memset(&t, 0, sizeof t);
#if HAVE_FORK
    {
        int fd[2];
        pid_t pid;
        long base = rss_kb();
        if (pipe(fd) == 0 && (pid = fork()) >= 0) {
            if (pid == 0) {
                double t0 = now();
                close(fd[0]);
                if (train_job(text, len, p, to_arpa, &t.lib_peak) == MLC_OK) t.seconds = now() - t0;
                if (write(fd[1], &t, sizeof t) != (ssize_t)sizeof t) _exit(1);
                _exit(0);
            } else {
                int status;
                struct rusage ru;
                close(fd[1]);
                if (read(fd[0], &t, sizeof t) != (ssize_t)sizeof t) t.seconds = -1;
                close(fd[0]);
                if (wait4(pid, &status, 0, &ru) == pid) t.peak_kb = ru.ru_maxrss - base;
                return t;
            }
        }
    }
#endif
    {
        double t0 = now();
        if (train_job(text, len, p, to_arpa, &t.lib_peak) == MLC_OK) t.seconds = now() - t0;
    }
    return t;
}

static int sink_write(void *u, const char *d, size_t n) { (void)d; *(size_t *)u += n; return 0; }
static int copy_write(void *u, const char *d, size_t n) { memcpy(*(unsigned char **)u, d, n); *(unsigned char **)u += n; return 0; }

/* KenLM probing size for these counts (lm/search_hashed, lm/vocab). */
static double kenlm_probing_bytes(const mlc_ngram *m) {
    double b = ((double)m->counts[0] + 1) * 8 + 1.5 * (double)m->counts[0] * 12;
    int n;
    for (n = 2; n <= m->order; n++) b += 1.5 * (double)m->counts[n - 1] * (n == m->order ? 12 : 16);
    return b;
}

int main(int argc, char **argv) {
    int orders[4] = { 3, 5, 0, 0 }, n_orders = 2, quick = 0, runs, i, o;
    const char *train_path = NULL, *test_path = NULL;
    char *train, *test;
    size_t train_len, test_len;
    long train_words = 0;
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick")) quick = 1;
        else if (!strcmp(argv[i], "--train") && i + 1 < argc) train_path = argv[++i];
        else if (!strcmp(argv[i], "--test") && i + 1 < argc) test_path = argv[++i];
        else if (!strcmp(argv[i], "--orders") && i + 1 < argc) {
            char *s = argv[++i];
            n_orders = 0;
            while (*s && n_orders < 4) { orders[n_orders++] = (int)strtol(s, &s, 10); if (*s == ',') s++; else break; }
        } else { fprintf(stderr, "usage: %s [--quick] [--train FILE] [--test FILE] [--orders 3,5]\n", argv[0]); return 2; }
    }
    runs = quick ? 1 : 3;
    if (train_path) {
        void *d;
        if (mlc_file_load(train_path, &d, &train_len) != MLC_OK) { fprintf(stderr, "cannot read %s\n", train_path); return 1; }
        train = (char *)d;
    } else train = corpus(1, quick ? 100000 : 600000, 40000, &train_len);
    if (test_path) {
        void *d;
        if (mlc_file_load(test_path, &d, &test_len) != MLC_OK) { fprintf(stderr, "cannot read %s\n", test_path); return 1; }
        test = (char *)d;
    } else test = corpus(2, quick ? 200000 : 1000000 - 120000, 40800, &test_len);
    {
        const char *s = train, *e = train + train_len, *t;
        size_t l;
        while (mlc__ngram_next_word(&s, e, &t, &l)) train_words++;
    }
    printf("mlcore n-gram bench: %s, one thread\n", MLC__ISA);
    printf("training text: %s, %.1f MB, %ld words\n", train_path ? train_path : "synthetic (seed 1, V 40000)",
           train_len / 1e6, train_words);
    for (o = 0; o < n_orders; o++) {
        mlc_ngram_params p = mlc_ngram_params_default(orders[o]);
        mlc_ngram m, q;
        double ts[5], ta[5], tq[5], tsc[5], best_peak_lib = 0, arpa_peak_lib = 0, arpa_w, arpa_r, bin_w, bin_v;
        long peak_rss = 0, arpa_rss = 0;
        uint64_t total = 0;
        mlc_ngram_ppl pp;
        size_t arpa_len = 0, line;
        char *arpa;
        uint32_t *ids;
        size_t n_ids = 0;
        int n;
        for (i = 0; i < runs; i++) {
            train_run t = train_once(train, train_len, &p, 0), a = train_once(train, train_len, &p, 1);
            if (t.seconds <= 0 || a.seconds <= 0) { fprintf(stderr, "training failed\n"); return 1; }
            ts[i] = t.seconds;
            ta[i] = a.seconds;
            if (t.peak_kb > peak_rss) peak_rss = t.peak_kb;
            if (a.peak_kb > arpa_rss) arpa_rss = a.peak_kb;
            if ((double)t.lib_peak > best_peak_lib) best_peak_lib = (double)t.lib_peak;
            if ((double)a.lib_peak > arpa_peak_lib) arpa_peak_lib = (double)a.lib_peak;
        }
        if (mlc_ngram_train(&m, train, train_len, &p, NULL) != MLC_OK) return 1;
        for (n = 0; n < m.order; n++) total += m.counts[n];
        printf("\norder %d: %llu n-grams (", orders[o], (unsigned long long)total);
        for (n = 0; n < m.order; n++) printf("%s%llu", n ? " " : "", (unsigned long long)m.counts[n]);
        printf(")%s\n", m.status & MLC_NGRAM_ST_FALLBACK ? ", fallback discounts for some order" : "");
        printf("  train   %.3f s  %.2f M words/s   peak %.1f MB (library count: %.1f MB temporary + model)",
               median(ts, runs), train_words / median(ts, runs) / 1e6, peak_rss / 1024.0, best_peak_lib / 1e6);
        printf("\n  train straight to ARPA (mlc_ngram_train_arpa, no model): %.3f s  %.2f M words/s   peak %.1f MB (library: %.1f MB)\n",
               median(ta, runs), train_words / median(ta, runs) / 1e6, arpa_rss / 1024.0, arpa_peak_lib / 1e6);
        /* ARPA out and back in (query-only) */
        arpa_w = now();
        mlc_ngram_write_arpa(&m, sink_write, &arpa_len);
        arpa_w = now() - arpa_w;
        arpa = (char *)malloc(arpa_len + 1);
        if (!arpa || mlc_ngram_write_arpa_mem(&m, arpa, arpa_len + 1, &arpa_len) != MLC_OK) return 1;
        arpa_r = now();
        if (mlc_ngram_read_arpa(&q, arpa, arpa_len, 1, NULL, &line) != MLC_OK) { fprintf(stderr, "read: line %zu\n", line); return 1; }
        arpa_r = now() - arpa_r;
        printf("  model   %.1f MB = %.2f bytes/n-gram; query-only %.1f MB = %.2f bytes/n-gram; KenLM probing (computed) %.1f MB = %.2f bytes/n-gram\n",
               m.bytes / 1e6, (double)m.bytes / (double)total, q.bytes / 1e6, (double)q.bytes / (double)total,
               kenlm_probing_bytes(&m) / 1e6, kenlm_probing_bytes(&m) / (double)total);
        printf("  ARPA    %.1f MB: write %.0f MB/s, read %.0f MB/s\n", arpa_len / 1e6, arpa_len / 1e6 / arpa_w, arpa_len / 1e6 / arpa_r);
        {   /* binary model: written into memory, then viewed in place */
            size_t bin_len = 0;
            unsigned char *bin;
            mlc_ngram v;
            mlc_ngram_write_binary(&q, 1, sink_write, &bin_len);
            bin = (unsigned char *)malloc(bin_len);
            if (!bin) return 1;
            {
                unsigned char *at = bin;
                bin_w = now();
                mlc_ngram_write_binary(&q, 1, copy_write, &at);
                bin_w = now() - bin_w;
            }
            bin_v = now();
            if (mlc_ngram_view_binary(&v, bin, bin_len) != MLC_OK) { fprintf(stderr, "binary view failed\n"); return 1; }
            bin_v = now() - bin_v;
            printf("  binary  %.1f MB: write (into memory) %.1f ms, view (checks, no copy) %.2f ms\n", bin_len / 1e6,
                   bin_w * 1e3, bin_v * 1e3);
            free(bin);
        }
        /* query: text in, perplexity out */
        for (i = 0; i < (quick ? 1 : 5); i++) {
            double t0 = now();
            mlc_ngram_perplexity(&q, test, test_len, &pp);
            tq[i] = now() - t0;
        }
        /* the state API alone, on ids */
        ids = (uint32_t *)malloc(sizeof(uint32_t) * (pp.tokens + 1));
        {
            const char *s = test, *e = test + test_len;
            while (s < e) {
                const char *nl = (const char *)memchr(s, '\n', (size_t)(e - s)), *le = nl ? nl : e, *t;
                size_t l;
                while (mlc__ngram_next_word(&s, le, &t, &l)) ids[n_ids++] = mlc_ngram_word_id(&q, t, l);
                ids[n_ids++] = MLC_NGRAM_EOS;
                s = nl ? nl + 1 : e;
            }
        }
        for (i = 0; i < (quick ? 1 : 5); i++) {
            mlc_ngram_state st;
            float lp = 0.0f, sum = 0.0f;
            size_t k;
            double t0 = now();
            mlc_ngram_state_begin(&q, &st);
            for (k = 0; k < n_ids; k++) {
                mlc_ngram_score(&q, &st, ids[k], &st, &lp, NULL);
                sum += lp;
                if (ids[k] == MLC_NGRAM_EOS) mlc_ngram_state_begin(&q, &st);
            }
            tsc[i] = now() - t0;
            if (sum > 1.0f) printf("?");
        }
        printf("  query   %.2f M tokens/s (perplexity of %.1f MB text, %llu tokens, %.1f%% OOV, PPL %.2f); "
               "state API on ids %.2f M tokens/s\n",
               pp.tokens / median(tq, quick ? 1 : 5) / 1e6, test_len / 1e6, (unsigned long long)pp.tokens,
               100.0 * (double)pp.oovs / (double)pp.tokens, pp.ppl, n_ids / median(tsc, quick ? 1 : 5) / 1e6);
        free(ids);
        free(arpa);
        mlc_ngram_free(&q);
        mlc_ngram_free(&m);
    }
    free(train);
    free(test);
    return 0;
}
