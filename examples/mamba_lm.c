/* mamba_lm.c - a tiny character-level Mamba language model, run by mlcore.

   Loads a mamba_ssm MambaLMHeadModel state_dict from safetensors (the
   default, examples/mamba_tiny.safetensors, is ~70k parameters trained for a
   minute on a page of text by tools/make_mamba_tiny.py), feeds the prompt
   through the whole-sequence path (mlc_mamba_lm_forward), then generates
   token by token with the step API (mlc_mamba_lm_step): each step costs the
   same time and memory however long the text gets, because all the model
   remembers is a fixed-size state per layer.

   Build and run from the repository root:
       gcc -std=c99 -O2 -march=native -o build/mamba_lm examples/mamba_lm.c -lm
       ./build/mamba_lm                                   # built-in defaults
       ./build/mamba_lm [model] [prompt] [tokens] [temperature] [seed]
   Tokens are bytes (vocabulary 128, ASCII). temperature 0 is greedy. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MLCORE_IMPLEMENTATION
#include "../mlcore.h"

static unsigned long long rng = 88172645463325252ull;
static double uniform01(void) {            /* xorshift64 */
    rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
    return (double)(rng >> 11) * (1.0 / 9007199254740992.0);
}

/* Samples a token from logits / temperature (greedy when temperature <= 0). */
static int sample(const float *logits, int V, float temperature) {
    double mx = -1e30, sum = 0.0, r;
    int i, best = 0;
    for (i = 0; i < V; i++) if (logits[i] > mx) { mx = logits[i]; best = i; }
    if (temperature <= 0.0f) return best;
    for (i = 0; i < V; i++) sum += exp((logits[i] - mx) / temperature);
    r = uniform01() * sum;
    for (i = 0; i < V; i++) {
        r -= exp((logits[i] - mx) / temperature);
        if (r <= 0.0) return i;
    }
    return best;
}

int main(int argc, char **argv) {
    static const char *defaults[] = { "examples/mamba_tiny.safetensors", "mamba_tiny.safetensors",
                                      "../examples/mamba_tiny.safetensors" };
    const char *path = argc > 1 ? argv[1] : NULL;
    const char *prompt = argc > 2 ? argv[2] : "The keeper ";
    int n_gen = argc > 3 ? atoi(argv[3]) : 300;
    float temperature = argc > 4 ? (float)atof(argv[4]) : 0.7f;
    size_t arena_size = 16u << 20, i;
    void *file = NULL;
    size_t size = 0;
    unsigned char *mem;
    mlc_arena arena, scratch;
    mlc_safetensors st;
    mlc_mamba_lm lm;
    mlc_mamba_state *states;
    mlc_result r;
    int *tokens, n_prompt = (int)strlen(prompt), t, next;
    float *logits;
    clock_t c0;
    double step_s;
    if (argc > 5) rng ^= (unsigned long long)strtoul(argv[5], NULL, 10) * 0x9E3779B97F4A7C15ull;

    if (path) r = mlc_file_load(path, &file, &size);
    else for (i = 0, r = MLC_ERR_IO; i < sizeof defaults / sizeof *defaults && r != MLC_OK; i++)
        r = mlc_file_load(path = defaults[i], &file, &size);
    if (r != MLC_OK) { fprintf(stderr, "cannot load %s: %s\n", path, mlc_result_string(r)); return 1; }

    /* one arena for the parsed header, the packed weights and the states;
       a second one for scratch, sized by the library */
    mem = (unsigned char *)malloc(arena_size);
    if (!mem) return 1;
    mlc_arena_init(&arena, mem, arena_size);
    if ((r = mlc_st_parse(&st, file, size, &arena)) != MLC_OK ||
        (r = mlc_mamba_lm_load(&lm, &st, 1e-5f, &arena)) != MLC_OK ||
        (r = mlc_mamba_lm_state_init(&lm, &states, &arena)) != MLC_OK) {
        fprintf(stderr, "%s: %s%s%s\n", path, mlc_result_string(r), st.bad_name && st.bad_name[0] ? ": " : "",
                st.bad_name ? st.bad_name : "");
        return 1;
    }
    {
        size_t need = mlc_mamba_lm_scratch_bytes(&lm, n_prompt > 0 ? n_prompt : 1);
        unsigned char *smem = (unsigned char *)malloc(need);
        if (!smem) return 1;
        mlc_arena_init(&scratch, smem, need);
    }
    printf("model   : %s, vocab %d, d_model %d, %d layers (d_inner %d, d_state %d, d_conv %d, dt_rank %d)\n",
           path, lm.vocab, lm.d_model, lm.n_layer, lm.layers[0].d_inner, lm.layers[0].d_state,
           lm.layers[0].d_conv, lm.layers[0].dt_rank);
    printf("memory  : %zu bytes of arena (weights packed + states), %zu bytes of scratch\n",
           mlc_arena_peak(&arena), scratch.size);

    tokens = (int *)malloc((size_t)(n_prompt > 0 ? n_prompt : 1) * sizeof(int));
    logits = (float *)malloc((size_t)(n_prompt > 0 ? n_prompt : 1) * (size_t)lm.vocab * sizeof(float));
    if (!tokens || !logits) return 1;
    for (t = 0; t < n_prompt; t++) tokens[t] = (unsigned char)prompt[t] < lm.vocab ? (unsigned char)prompt[t] : ' ';
    if (n_prompt == 0) { tokens[0] = '\n'; n_prompt = 1; }

    /* the prompt in one call, then one token at a time */
    printf("\n%.*s", n_prompt, prompt);
    if ((r = mlc_mamba_lm_forward(&lm, NULL, tokens, n_prompt, logits, states, &scratch)) != MLC_OK) {
        fprintf(stderr, "forward: %s\n", mlc_result_string(r)); return 1;
    }
    next = sample(logits + (size_t)(n_prompt - 1) * lm.vocab, lm.vocab, temperature);
    c0 = clock();
    for (t = 0; t < n_gen; t++) {
        putchar(next >= 32 || next == '\n' ? next : '?');
        if ((r = mlc_mamba_lm_step(&lm, NULL, next, logits, states, &scratch)) != MLC_OK) {
            fprintf(stderr, "\nstep: %s\n", mlc_result_string(r)); return 1;
        }
        next = sample(logits, lm.vocab, temperature);
    }
    step_s = (double)(clock() - c0) / CLOCKS_PER_SEC;
    printf("\n\n%d tokens generated with mlc_mamba_lm_step: %.1f us per token (sampling and printing included),"
           " temperature %.2f\n", n_gen, n_gen ? 1e6 * step_s / n_gen : 0.0, (double)temperature);
    free(tokens); free(logits); free(scratch.base); free(mem); mlc_file_free(file);
    return 0;
}
