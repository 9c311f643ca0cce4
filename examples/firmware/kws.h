/* kws.h - the keyword-spotting CNN of examples/firmware, on mlcore.h.

   The model (trained by train_kws.py on synthetic data; see README.md):
       x [1, 49, 10, 1]  NHWC, 49 frames of 10 MFCC-like coefficients
       conv1  3x3 stride 2 pad 1, 1 -> 32, BN folded, ReLU   -> [1, 25, 5, 32]
       dw1    3x3 depthwise pad 1, BN folded, ReLU           -> [1, 25, 5, 32]
       pw1    1x1 32 -> 32, BN folded, ReLU                  -> [1, 25, 5, 32]
       dw2    3x3 depthwise pad 1, BN folded, ReLU           -> [1, 25, 5, 32]
       pw2    1x1 32 -> 32, BN folded, ReLU                  -> [1, 25, 5, 32]
       global average pool                                   -> [1, 32]
       fc     32 -> 10, softmax                              -> [1, 10]

   No stdio, no malloc: everything comes from the caller's arena. */
#ifndef KWS_H
#define KWS_H

#include "../../mlcore.h"

#define KWS_IN_H     49
#define KWS_IN_W     10
#define KWS_CH       32
#define KWS_OUT_H    25      /* (49 + 2 - 3) / 2 + 1 */
#define KWS_OUT_W     5      /* (10 + 2 - 3) / 2 + 1 */
#define KWS_CLASSES  10
#define KWS_BN_EPS   1e-5f   /* nn.BatchNorm2d's default */

/* ---- the static arena, sized at compile time ------------------------------
   KWS_ARENA_BYTES is an upper bound, for every build of mlcore (any SIMD
   width), of what kws_init takes from the arena. It adds up the same terms
   kws_arena_need() gets at run time from the library's own functions:

   1. mlc_st_parse: the tensor table (count * sizeof(mlc_st_tensor), 16-byte
      aligned), the decoded names (each + NUL), MLC_ST_BAD_NAME bytes for the
      failing-tensor name, and scratch of 16 bytes per tensor (two uint64_t
      offsets) released before it returns but counted in the peak. The file
      has KWS_ST_TENSORS tensors whose names are at most KWS_ST_NAME_MAX
      bytes with their NUL (bn1.running_mean is 17).
   2. mlc_conv2d_arena_bytes / mlc_linear_arena_bytes for each layer: packed
      weights (+ 64 for alignment) and bias (+ 64; load_bn adds a bias to
      the bias-free convolutions). Depthwise weights are 9 * C floats; GEMM
      weights (direct conv1, pointwise, fc) are packed in panels of NR
      output columns, zero-padded: NR = 2 x the vector width, 2 (scalar)
      to 32 (AVX-512), so a bound rounds the output count up to 32.
   3. The activations: two ping-pong [25, 5, 32] buffers, the pooled [32]
      vector and the [10] logits, each + 64 for alignment.
   None of the layers needs forward scratch (mlc_conv2d_scratch_bytes is 0
   for direct, depthwise and pointwise convolutions; kws_init checks it).
   kws_init computes the exact need before it loads a layer and returns
   MLC_ERR_NOMEM (with the need) if the arena is smaller. */
#define KWS_ST_TENSORS   31
#define KWS_ST_NAME_MAX  24
#define KWS__UP32(n)     ((((n) + 31) / 32) * 32)
#define KWS__F(n)        ((size_t)(n) * sizeof(float) + 64)
#define KWS_ST_BYTES     (KWS_ST_TENSORS * (sizeof(mlc_st_tensor) + KWS_ST_NAME_MAX + 16) \
                          + MLC_ST_BAD_NAME + 3 * 64)
#define KWS_WEIGHT_BYTES (KWS__F(KWS__UP32(KWS_CH) * 9) + KWS__F(KWS_CH)        /* conv1 */ \
                        + 2 * (KWS__F(9 * KWS_CH) + KWS__F(KWS_CH))                /* dw1, dw2 */ \
                        + 2 * (KWS__F(KWS__UP32(KWS_CH) * KWS_CH) + KWS__F(KWS_CH))/* pw1, pw2 */ \
                        + KWS__F(KWS__UP32(KWS_CLASSES) * KWS_CH) + KWS__F(KWS_CLASSES)) /* fc */
#define KWS_ACT_BYTES    (2 * KWS__F(KWS_OUT_H * KWS_OUT_W * KWS_CH) + KWS__F(KWS_CH) + KWS__F(KWS_CLASSES))
#define KWS_ARENA_BYTES  (KWS_ST_BYTES + KWS_WEIGHT_BYTES + KWS_ACT_BYTES)

typedef struct kws_model {
    mlc_safetensors st;          /* points into the model bytes (flash) */
    mlc_conv2d conv1, dw1, pw1, dw2, pw2;
    mlc_linear fc;
    float *a, *b;                /* [25, 5, 32] ping-pong activations */
    float *pooled, *logits;      /* [32], [10] */
    size_t st_bytes;             /* arena taken by mlc_st_parse */
    size_t need;                 /* arena kws_init needs in all (exact) */
} kws_model;

/* Arena bytes the layers and activations need (terms 2 and 3 above), from
   mlc_conv2d_arena_bytes and mlc_linear_arena_bytes. */
size_t kws_layers_arena_bytes(void);

/* Parses the safetensors bytes in place (no copy: they must outlive m),
   checks the arena is big enough for the rest, then loads and packs every
   layer (BatchNorm folded) and takes the activation buffers. On
   MLC_ERR_NOMEM, *need (if not NULL) is the arena size that would do
   (a lower bound when even the tensor table did not fit: the parser's
   scratch is not counted then). On any error the arena is left as it was. */
mlc_result kws_init(kws_model *m, const void *bytes, size_t size, mlc_arena *arena, size_t *need);

/* One inference: x is [49 * 10] (NHWC [1, 49, 10, 1]); probs gets the 10
   softmax probabilities, logits (may be NULL) the 10 raw logits. Allocates
   nothing. */
mlc_result kws_run(const kws_model *m, const float *x, float *probs, float *logits);

#endif
