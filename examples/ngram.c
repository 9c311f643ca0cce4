/* ngram.c - n-gram language models with mlcore: train, write ARPA, score
   held-out text, generate.

   Build (from the repository root) and run:
       cc -std=c99 -O2 -march=native -o build/ngram examples/ngram.c -lm
       ./build/ngram                       # built-in corpus + name generator
       ./build/ngram train.txt [held.txt] [--order N] [--arpa out.arpa] [--bin out.bin]
                     [--char] [--prune 0,0,1] [--addk K | --stupid A]
                     [--temp T] [--topk K] [--seed S] [--sentences N]
       ./build/ngram --load model.arpa [held.txt]   # a KenLM/SRILM/IRSTLM file,
                                                    # or a binary from --bin

   With no arguments it trains a trigram model (interpolated modified
   Kneser-Ney, exactly as KenLM's lmplz) on examples/data/corpus.txt (the
   first 90 % of its lines; the rest is held out), writes build/ngram_demo.arpa
   and the binary model build/ngram_demo.bin (loaded again in a moment), prints the perplexity of the held-out lines as KenLM's `query` would,
   generates a few sentences, then trains a character-level 5-gram on
   examples/data/names.txt and invents names. */
#define MLCORE_IMPLEMENTATION
#include "../mlcore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) { return (double)clock() / CLOCKS_PER_SEC; }

/* Loads path, or examples/data/<name> from the usual places. */
static char *load(const char *path, size_t *len) {
    void *data;
    if (mlc_file_load(path, &data, len) != MLC_OK) return NULL;
    return (char *)data;
}
static char *load_data(const char *name, size_t *len) {
    static const char *const dirs[] = { "examples/data/", "data/", "../examples/data/" };
    char path[512];
    char *d;
    int i;
    for (i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s%s", dirs[i], name);
        if ((d = load(path, len)) != NULL) return d;
    }
    fprintf(stderr, "cannot find examples/data/%s (run from the repository root)\n", name);
    return NULL;
}

static void report(const mlc_ngram *m, const char *what, double seconds) {
    int n;
    uint64_t total = 0;
    printf("%s: order %d, %u word types, n-grams", what, m->order, m->vocab_size);
    for (n = 0; n < m->order; n++) { printf(" %llu", (unsigned long long)m->counts[n]); total += m->counts[n]; }
    printf("\n  %.1f ms, model %.1f KiB (%.1f bytes per n-gram), training peak %.1f KiB\n", seconds * 1e3,
           m->bytes / 1024.0, (double)m->bytes / (double)(total ? total : 1), m->train_peak_bytes / 1024.0);
    if (m->status & MLC_NGRAM_ST_FALLBACK) {
        printf("  note: Kneser-Ney discounts failed for orders");
        for (n = 0; n < m->order; n++) if (m->fallback_orders & (1u << n)) printf(" %d", n + 1);
        printf(" (too little data); used the fallback discounts, as lmplz --discount_fallback\n");
    }
}

static void perplexity(const mlc_ngram *m, const char *text, size_t len) {
    mlc_ngram_ppl p;
    if (mlc_ngram_perplexity(m, text, len, &p) != MLC_OK) return;
    printf("  held-out: %llu sentences, %llu tokens, %llu OOV\n", (unsigned long long)p.sentences,
           (unsigned long long)p.tokens, (unsigned long long)p.oovs);
    printf("  Perplexity including OOVs: %.4f\n  Perplexity excluding OOVs: %.4f\n", p.ppl, p.ppl_no_oov);
}

static void generate(const mlc_ngram *m, int count, float temp, int topk, uint64_t seed, int quote) {
    void *scratch = malloc(mlc_ngram_sample_scratch_bytes(m));
    char out[1024];
    uint64_t rng = seed;
    int i;
    if (!scratch) return;
    for (i = 0; i < count; i++) {
        mlc_result r = mlc_ngram_generate(m, temp, topk, &rng, 60, scratch, out, sizeof out, NULL);
        if (r != MLC_OK && r != MLC_ERR_NOMEM) break;
        printf(quote ? "  %s\n" : "  > %s\n", out);
    }
    free(scratch);
}

int main(int argc, char **argv) {
    mlc_ngram_params p = mlc_ngram_params_default(3);
    const char *train_path = NULL, *held_path = NULL, *arpa_path = NULL, *load_path = NULL, *bin_path = NULL;
    float temp = 0.8f;
    int topk = 0, sentences = 5, i;
    uint64_t seed = 1;
    char *text, *held = NULL;
    size_t len, held_len = 0;
    mlc_ngram m;
    mlc_result r;
    double t0;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--order") && v) { p.order = atoi(v); i++; }
        else if (!strcmp(a, "--arpa") && v) { arpa_path = v; i++; }
        else if (!strcmp(a, "--load") && v) { load_path = v; i++; }
        else if (!strcmp(a, "--bin") && v) { bin_path = v; i++; }
        else if (!strcmp(a, "--char")) p.char_mode = 1;
        else if (!strcmp(a, "--addk") && v) { p.smoothing = MLC_NGRAM_ADD_K; p.add_k = (float)atof(v); i++; }
        else if (!strcmp(a, "--stupid") && v) { p.smoothing = MLC_NGRAM_STUPID; p.stupid_alpha = (float)atof(v); i++; }
        else if (!strcmp(a, "--temp") && v) { temp = (float)atof(v); i++; }
        else if (!strcmp(a, "--topk") && v) { topk = atoi(v); i++; }
        else if (!strcmp(a, "--seed") && v) { seed = (uint64_t)strtoull(v, NULL, 10); i++; }
        else if (!strcmp(a, "--sentences") && v) { sentences = atoi(v); i++; }
        else if (!strcmp(a, "--prune") && v) {
            char *s = argv[++i];
            int k = 0;
            while (*s && k < MLC_NGRAM_MAX_ORDER) { p.prune[k++] = (uint32_t)strtoul(s, &s, 10); if (*s == ',') s++; else break; }
            for (; k < MLC_NGRAM_MAX_ORDER; k++) p.prune[k] = p.prune[k - 1];
        } else if (a[0] == '-') { fprintf(stderr, "unknown option %s\n", a); return 2; }
        else if (!train_path && !load_path) train_path = a;
        else held_path = a;
    }

    if (load_path) {   /* someone else's model */
        size_t line;
        t0 = now();
        r = mlc_ngram_read_binary_file(&m, load_path);   /* a binary model, else ARPA */
        if (r == MLC_ERR_FORMAT) r = mlc_ngram_read_arpa_file(&m, load_path, 0, NULL, &line);
        if (r != MLC_OK) { fprintf(stderr, "%s: %s at line %zu\n", load_path, mlc_result_string(r), line); return 1; }
        report(&m, load_path, now() - t0);
        if (held_path && (held = load(held_path, &held_len)) != NULL) perplexity(&m, held, held_len);
        generate(&m, sentences, temp, topk, seed, 0);
        mlc_ngram_free(&m);
        mlc_file_free(held);
        return 0;
    }

    if (train_path) {
        if (!(text = load(train_path, &len))) { fprintf(stderr, "cannot read %s\n", train_path); return 1; }
        if (held_path && !(held = load(held_path, &held_len))) { fprintf(stderr, "cannot read %s\n", held_path); return 1; }
    } else {   /* the built-in corpus: hold out the last 10 % of the lines */
        size_t lines = 0, k, cut = 0;
        if (!(text = load_data("corpus.txt", &len))) return 1;
        for (k = 0; k < len; k++) lines += text[k] == '\n';
        for (k = 0, i = 0; k < len; k++)
            if (text[k] == '\n' && ++i == (int)(lines - lines / 10)) { cut = k + 1; break; }
        held = text + cut; held_len = len - cut; len = cut;
        if (!arpa_path) arpa_path = "build/ngram_demo.arpa";
        if (!bin_path) bin_path = "build/ngram_demo.bin";
        printf("built-in corpus: examples/data/corpus.txt, %zu lines (%zu held out)\n", lines, lines / 10);
    }

    t0 = now();
    r = mlc_ngram_train(&m, text, len, &p, NULL);
    if (r != MLC_OK) { fprintf(stderr, "training: %s\n", mlc_result_string(r)); return 1; }
    report(&m, train_path ? train_path : "word trigram model", now() - t0);
    if (arpa_path) {
        r = mlc_ngram_write_arpa_file(&m, arpa_path);
        printf("  ARPA: %s (%s)\n", arpa_path, mlc_result_string(r));
    }
    if (held) perplexity(&m, held, held_len);
    if (bin_path) {   /* the query structure as a file: loads without parsing */
        mlc_ngram b;
        r = mlc_ngram_write_binary_file(&m, 1, bin_path);
        printf("  binary model (query-only): %s (%s)\n", bin_path, mlc_result_string(r));
        t0 = now();
        if (r == MLC_OK && mlc_ngram_read_binary_file(&b, bin_path) == MLC_OK) {
            printf("  read back in %.2f ms (%zu bytes)%s\n", (now() - t0) * 1e3, b.bytes, held ? "; it scores:" : "");
            if (held) perplexity(&b, held, held_len);
            mlc_ngram_free(&b);
        }
    }
    printf("  sampled at temperature %.2g%s:\n", temp, topk > 0 ? ", top-k" : "");
    generate(&m, sentences, temp, topk, seed, 0);
    mlc_ngram_free(&m);
    if (train_path) { mlc_file_free(text); mlc_file_free(held); return 0; }
    mlc_file_free(text);

    /* a character-level name generator */
    if (!(text = load_data("names.txt", &len))) return 1;
    p = mlc_ngram_params_default(5);
    p.char_mode = 1;
    t0 = now();
    if (mlc_ngram_train(&m, text, len, &p, NULL) != MLC_OK) return 1;
    report(&m, "\ncharacter 5-gram model of examples/data/names.txt", now() - t0);
    printf("  new names:\n");
    generate(&m, 12, 0.9f, 8, seed + 7, 1);
    mlc_ngram_free(&m);
    mlc_file_free(text);
    return 0;
}
