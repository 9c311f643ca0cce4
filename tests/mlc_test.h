/* Tiny test harness shared by the files under tests/.
   A test is a function `static void name(void)`; checks record failures and
   the runner prints one line per failing test and a final
   "N passed, N failed" line. */
#ifndef MLC_TEST_H
#define MLC_TEST_H

#include <stdio.h>
#include <math.h>
#include <string.h>
#include "../mlcore.h"

extern int mlct_failures;   /* failed checks in the current test */
extern const char *mlct_dir; /* directory holding golden/ (argv[1] or "tests") */

#define CHECK(cond) do { if (!(cond)) { mlct_failures++; \
    fprintf(stderr, "  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); } } while (0)
#define CHECK_EQ_INT(a, b) do { long long a_ = (long long)(a), b_ = (long long)(b); \
    if (a_ != b_) { mlct_failures++; fprintf(stderr, "  %s:%d: %s == %lld, expected %s == %lld\n", \
    __FILE__, __LINE__, #a, a_, #b, b_); } } while (0)
#define CHECK_OK(expr) do { mlc_result r_ = (expr); if (r_ != MLC_OK) { mlct_failures++; \
    fprintf(stderr, "  %s:%d: %s returned %s\n", __FILE__, __LINE__, #expr, mlc_result_string(r_)); } } while (0)
#define CHECK_ERR(expr, code) do { mlc_result r_ = (expr); if (r_ != (code)) { mlct_failures++; \
    fprintf(stderr, "  %s:%d: %s returned %s, expected %s\n", __FILE__, __LINE__, #expr, \
    mlc_result_string(r_), mlc_result_string(code)); } } while (0)

/* Largest |a-b| over n floats, and its index through *at (may be NULL).
   A NaN on either side counts as an infinite difference unless both are NaN. */
double mlct_max_abs_diff(const float *a, const float *b, size_t n, size_t *at);
/* Largest |x| over n floats (at least 1e-30). */
double mlct_max_abs(const float *a, size_t n);
/* Checks max|a-b| <= tol and reports the worst element when it is not. */
#define CHECK_CLOSE(a, b, n, tol) do { size_t at_; double d_ = mlct_max_abs_diff((a), (b), (n), &at_); \
    if (!(d_ <= (tol))) { mlct_failures++; fprintf(stderr, \
    "  %s:%d: max|%s - %s| = %.3g at [%zu] (%.9g vs %.9g) > tol %.3g\n", __FILE__, __LINE__, \
    #a, #b, d_, at_, (double)(a)[at_], (double)(b)[at_], (double)(tol)); } } while (0)

/* Deterministic pseudo-random numbers (xorshift32), uniform in [lo, hi). */
typedef struct { uint32_t s; } mlct_rng;
float mlct_uniform(mlct_rng *r, float lo, float hi);
uint32_t mlct_u32(mlct_rng *r);
void mlct_fill(mlct_rng *r, float *x, size_t n, float lo, float hi);
int mlct_rnd(mlct_rng *r, int lo, int hi);                 /* uniform in [lo, hi] */
unsigned char *mlct_align64(void *p);                      /* p rounded up to 64 bytes */
/* a parallel_for that runs the tasks in reverse order, counting them */
extern int mlct_tasks_run;
void mlct_reverse_pfor(void *user, mlc_task_fn fn, void *arg, int n_tasks);
/* |got - want| <= tol[i] + rel * |want| everywhere (NaN/inf must match);
   prints the worst element */
void mlct_check_tol(const char *file, int line, const char *what, const float *got, const float *want,
                    const double *tol, double rel, size_t n);
#define CHECK_TOL_REL(what, got, want, tol, rel, n) \
    mlct_check_tol(__FILE__, __LINE__, (what), (got), (want), (tol), (rel), (n))

/* Loads tests/golden/<file> into memory (malloc) and parses it. Returns 0 on
   failure (and counts a failure). */
typedef struct {
    void *file; size_t size;
    unsigned char *mem; mlc_arena arena;
    mlc_safetensors st;
} mlct_golden;
int  mlct_golden_open(mlct_golden *g, const char *file);
void mlct_golden_close(mlct_golden *g);
/* A golden tensor as float32 (malloc'd, caller frees) and its shape. */
float *mlct_golden_get(mlct_golden *g, const char *name, mlc_tensor *shape_out);

typedef void (*mlct_fn)(void);
typedef struct { const char *name; mlct_fn fn; } mlct_case;
#define MLCT_CASE(f) { #f, f }

/* Each test file defines one list: */
extern const mlct_case mlct_core_cases[];     extern const int mlct_core_count;
extern const mlct_case mlct_golden_cases[];   extern const int mlct_golden_count;
extern const mlct_case mlct_st_cases[];       extern const int mlct_st_count;
extern const mlct_case mlct_conv_cases[];     extern const int mlct_conv_count;
extern const mlct_case mlct_pool_cases[];     extern const int mlct_pool_count;
extern const mlct_case mlct_mobilenet_cases[]; extern const int mlct_mobilenet_count;
extern const mlct_case mlct_convt_cases[]; extern const int mlct_convt_count;
extern const mlct_case mlct_rnn_cases[]; extern const int mlct_rnn_count;
extern const mlct_case mlct_attn_cases[]; extern const int mlct_attn_count;
extern const mlct_case mlct_ssm_cases[]; extern const int mlct_ssm_count;
extern const mlct_case mlct_ngram_cases[]; extern const int mlct_ngram_count;

#endif
