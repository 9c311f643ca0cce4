/* ngram_driver.c - command-line side of bench/kenlm_compare.sh: the same
   jobs KenLM's lmplz and query do, one process each, so both tools are timed
   and their peak RSS read the same way (/usr/bin/time around the process).

   Build (from the repository root):
       cc -std=c99 -O2 -march=native -Wall -Wextra -Wpedantic \
          -o build/ngram_driver bench/ngram_driver.c -lm

   Commands:
       ngram_driver corpus TRAIN.txt TEST.txt
           writes bench_ngram's synthetic texts (tests/ngram_ref.py corpus():
           600k training words with a 40000-word vocabulary, seed 1, and the
           1M-token test text, seed 2)
       ngram_driver train ORDER TEXT OUT.arpa
           reads TEXT, trains interpolated modified Kneser-Ney (fallback
           discounts 0.5 1 1.5, as lmplz --discount_fallback) and writes the
           ARPA with mlc_ngram_train_arpa_file (lmplz's job: no query
           structure is built); prints the n-gram counts and the times
       ngram_driver build_binary MODEL.arpa OUT.bin
           reads the ARPA query-only and writes it as an mlcore binary model
           (KenLM's build_binary step); prints the seconds of each part.
           Every input file is mapped (mmap, pages read at once, as KenLM
           maps its binary: POPULATE_OR_READ).
       ngram_driver ppl MODEL TEXT
           reads the model (ARPA query-only, or a binary model mapped with
           mmap and used in place), then streams TEXT in 1 MiB pieces and
           scores it with
           mlc_ngram_perplexity; prints the four summary lines of KenLM's
           `query` (same format), then model load seconds, seconds and
           tokens/s for reading + scoring TEXT, the model's bytes and the
           resident set (kB) after scoring, TEXT still held */
#define _GNU_SOURCE 1
#define MLCORE_IMPLEMENTATION
#include "../mlcore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

#include "ngram_corpus.h"   /* the corpus, as bench_ngram.c */

static int write_file(const char *path, const char *data, size_t len) {
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(data, 1, len, f) == len;
    if (f && fclose(f) != 0) ok = 0;
    if (!ok) fprintf(stderr, "cannot write %s\n", path);
    return ok;
}

/* Resident set now, kB (0 where /proc is missing). */
static long rss_kb(void) {
    long pages = 0, rss = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &rss) != 2) rss = 0;
        fclose(f);
    }
    return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

#ifndef MAP_POPULATE
#define MAP_POPULATE 0
#endif
/* A whole file mapped read-only, pages read at once (as KenLM reads its
   inputs); NULL on failure (*len = 0 for an empty file). */
static const char *load(const char *path, size_t *len) {
    struct stat st;
    void *p;
    int fd = open(path, O_RDONLY);
    *len = 0;
    if (fd < 0 || fstat(fd, &st) != 0) { fprintf(stderr, "cannot read %s\n", path); if (fd >= 0) close(fd); return NULL; }
    if (st.st_size == 0) { close(fd); return ""; }
    p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    close(fd);
    if (p == MAP_FAILED) { fprintf(stderr, "cannot map %s\n", path); return NULL; }
    *len = (size_t)st.st_size;
    return (const char *)p;
}

/* The shortest %g form that reads back to v (as KenLM prints doubles). */
static void print_shortest(double v) {
    char buf[64];
    int prec;
    for (prec = 1; prec < 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (strtod(buf, NULL) == v && !strchr(buf, 'e')) break;
    }
    if (prec == 17) snprintf(buf, sizeof buf, "%.17g", v);
    fputs(buf, stdout);
}

static int usage(const char *argv0) {
    fprintf(stderr, "usage: %s corpus TRAIN.txt TEST.txt\n"
                    "       %s train ORDER TEXT OUT.arpa\n"
                    "       %s build_binary MODEL.arpa OUT.bin\n"
                    "       %s ppl MODEL TEXT\n", argv0, argv0, argv0, argv0);
    return 2;
}

int main(int argc, char **argv) {
    if (argc == 4 && !strcmp(argv[1], "corpus")) {
        size_t n1, n2;
        char *a = corpus(1, 600000, 40000, &n1), *b = corpus(2, 1000000 - 120000, 40800, &n2);
        int ok = write_file(argv[2], a, n1) && write_file(argv[3], b, n2);
        free(a);
        free(b);
        return ok ? 0 : 1;
    }
    if (argc == 5 && !strcmp(argv[1], "train")) {
        mlc_ngram_params p = mlc_ngram_params_default(atoi(argv[2]));
        mlc_ngram m;
        size_t len;
        double t0 = now(), t1, t2;
        const char *text = load(argv[3], &len);
        int n;
        if (!text) return 1;
        t1 = now();
        if (mlc_ngram_train_arpa_file(text, len, &p, argv[4], &m) != MLC_OK) { fprintf(stderr, "training failed\n"); return 1; }
        t2 = now();
        printf("counts");
        for (n = 0; n < m.order; n++) printf(" %llu", (unsigned long long)m.counts[n]);
        printf("\nfallback_orders 0x%x\n", m.fallback_orders);
        printf("train_write_seconds %.6f\ntotal_seconds %.6f\ntrain_peak_bytes %zu\n", t2 - t1, now() - t0,
               m.train_peak_bytes);
        return 0;
    }
    if (argc == 4 && !strcmp(argv[1], "ppl")) {
        mlc_ngram q;
        mlc_ngram_ppl pp;
        size_t line = 0, model_len = 0;
        double t0 = now(), t1, t2;
        const char *model = getenv("NGRAM_READ") ? NULL : load(argv[2], &model_len);
        char *text;
        mlc_result r;
        if (getenv("NGRAM_READ")) r = mlc_ngram_read_binary_file(&q, argv[2]);   /* a copy, not a view */
        else if (!model) r = MLC_ERR_IO;
        else if (model_len >= 8 && !memcmp(model, "mlcngram", 8)) r = mlc_ngram_view_binary(&q, model, model_len);
        else r = mlc_ngram_read_arpa(&q, model, model_len, 1, NULL, &line);
        if (r != MLC_OK) { fprintf(stderr, "cannot read %s (line %zu)\n", argv[2], line); return 1; }
        t1 = now();
        {   /* TEXT streamed in 1 MiB pieces that end at a line's end, as query reads stdin */
            FILE *f = fopen(argv[3], "rb");
            size_t cap = 1u << 20, have = 0, got;
            if (!f || !(text = (char *)malloc(cap))) { fprintf(stderr, "cannot read %s\n", argv[3]); return 1; }
            memset(&pp, 0, sizeof pp);
            do {
                size_t use;
                got = fread(text + have, 1, cap - have, f);
                have += got;
                for (use = have; got && use > 0 && text[use - 1] != '\n'; use--) {}
                if (!use) use = have;   /* no line end: a line longer than the piece, or the end */
                if (mlc_ngram_perplexity_add(&q, text, use, &pp) != MLC_OK) { fprintf(stderr, "perplexity failed\n"); return 1; }
                memmove(text, text + use, have - use);
                have -= use;
            } while (got || have);
            fclose(f);
        }
        t2 = now();
        printf("Perplexity including OOVs:\t");
        print_shortest(pp.ppl);
        printf("\nPerplexity excluding OOVs:\t");
        print_shortest(pp.ppl_no_oov);
        printf("\nOOVs:\t%llu\nTokens:\t%llu\n", (unsigned long long)pp.oovs, (unsigned long long)pp.tokens);
        printf("load_seconds %.6f\nquery_seconds %.6f\ntokens_per_second %.0f\nmodel_bytes %zu\nrss_kb_after_query %ld\n",
               t1 - t0, t2 - t1, (double)pp.tokens / (t2 - t1), q.bytes, rss_kb());
        free(text);
        mlc_ngram_free(&q);
        if (model_len) munmap((void *)(uintptr_t)model, model_len);
        return 0;
    }
    if (argc == 4 && !strcmp(argv[1], "build_binary")) {
        mlc_ngram q;
        size_t line = 0;
        double t0 = now(), t1, t2;
        size_t len;
        const char *arpa = load(argv[2], &len);
        if (!arpa || mlc_ngram_read_arpa(&q, arpa, len, 1, NULL, &line) != MLC_OK) {
            fprintf(stderr, "cannot read %s (line %zu)\n", argv[2], line);
            return 1;
        }
        t1 = now();
        if (mlc_ngram_write_binary_file(&q, 1, argv[3]) != MLC_OK) { fprintf(stderr, "cannot write %s\n", argv[3]); return 1; }
        t2 = now();
        printf("read_arpa_seconds %.6f\nwrite_binary_seconds %.6f\nmodel_bytes %zu\n", t1 - t0, t2 - t1, q.bytes);
        mlc_ngram_free(&q);
        return 0;
    }
    return usage(argv[0]);
}
