/* mlcore.h - v0.1.0 - machine-learning inference in one C header
   MIT licence or public domain (your choice), see the end of this file.

   Do this:
       #define MLCORE_IMPLEMENTATION
   before you include this file in *one* C or C++ file to create the
   implementation. Every other file includes it without the define.

       #include ...
       #define MLCORE_IMPLEMENTATION
       #include "mlcore.h"

   CONTENTS (grep for the marker to jump to a section of the implementation)
       >>config   build options, libc replacements
       >>simd     the small vector layer every kernel is written against
       >>tensor   results, arena, tensors, f16/bf16 conversion
       >>act      elementwise ops, activations, softmax, vector exp/tanh
       >>gemm     packed GEMM, linear layer, parallel-for splitting
       >>io       safetensors parser, file loader

   QUICK START
       #define MLCORE_IMPLEMENTATION
       #include "mlcore.h"

       static unsigned char mem[1 << 20];          // all memory mlcore uses
       mlc_arena arena;
       mlc_arena_init(&arena, mem, sizeof mem);

       void *file; size_t size;                    // or a C array, or an mmap
       mlc_file_load("model.safetensors", &file, &size);
       mlc_safetensors st;
       if (mlc_st_parse(&st, file, size, &arena) != MLC_OK) ...;

       mlc_linear fc;                              // PyTorch nn.Linear(64, 10)
       mlc_result r = mlc_linear_load(&fc, &st, "fc", &arena);
       if (r != MLC_OK) printf("%s\n", mlc_result_string(r));

       float x[64] = {0}, y[10];
       mlc_tensor tx = mlc_tensor_2d(x, 1, 64), ty = mlc_tensor_2d(y, 1, 10);
       mlc_linear_forward(&fc, NULL, &ty, &tx, MLC_ACT_NONE, 0.0f);
       mlc_softmax(&ty, &ty, -1);

   BUILD OPTIONS (#define before including the implementation)
       MLC_STATIC          make every function static (private to one file)
       MLC_NO_SIMD         use the portable scalar kernels only
       MLC_NO_STDIO        no FILE*, no mlc_file_load (firmware)
       MLC_ASSERT(c)       replace assert() for internal invariants
       MLC_MALLOC(n)       replace malloc/free; define both or neither. Only
       MLC_FREE(p)         mlc_file_load uses them.
       MLC_EXPF, MLC_LOGF, MLC_TANHF, MLC_ERFF, MLC_SQRTF, MLC_FABSF,
       MLC_LOG1PF          replace libm (used by the scalar references)
       MLC_GEMM_KC, MLC_GEMM_NC   GEMM cache-block sizes (floats)
   SIMD is chosen from the compiler's own macros: __AVX512F__, __AVX2__ with
   __FMA__, __SSE2__, __ARM_NEON (AArch64). Build with -march=native (or the
   flags of your target) to get the widest. There is no run-time dispatch.

   MEMORY MODEL
       mlcore never allocates behind your back. You hand it an mlc_arena over
       your own buffer; loaders pack weights into it, and the high-water mark
       (mlc_arena_peak) tells firmware how big a static buffer must be. If a
       request does not fit, the call returns MLC_ERR_NOMEM and arena.need
       records the size that would have fitted. Forward passes allocate
       nothing. Tensors are plain structs over memory you own; activations are
       row-major (NHWC for images). Weight data parsed from safetensors is
       never copied: the parser points into your buffer, which must outlive
       the parsed mlc_safetensors (it need not outlive packed layers).

   THREADING
       mlcore never creates a thread. Pass an mlc_ctx with a parallel_for
       callback (your job system) and big kernels split their work through it;
       pass NULL and everything runs on the calling thread. All functions are
       reentrant; there is no global state.

   ERRORS
       Functions that can fail return mlc_result: MLC_OK (0) or a negative
       code; mlc_result_string() names it. mlcore never exits, aborts or
       prints. Corrupt or truncated files return an error, never read out of
       bounds.

   WHAT MLCORE DOES NOT DO
       No training or autograd, no GPU, no run-time CPU dispatch, no threads of
       its own, no file formats beyond safetensors (and ARPA for n-grams), no
       dynamic graph: you write the model's forward pass in C, layer by layer.
*/
#ifndef MLCORE_H
#define MLCORE_H

#include <stddef.h>
#include <stdint.h>

#define MLCORE_VERSION_MAJOR 0
#define MLCORE_VERSION_MINOR 1
#define MLCORE_VERSION_PATCH 0

#ifndef MLC_API
#  if defined(MLC_STATIC) && (defined(__GNUC__) || defined(__clang__))
#    define MLC_API static __attribute__((unused))   /* a file may use a few */
#  elif defined(MLC_STATIC)
#    define MLC_API static
#  else
#    define MLC_API extern
#  endif
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- results ------------------------------------------------------------
   Values are fixed: a new code gets a new number, none is ever renumbered. */
typedef enum mlc_result {
    MLC_OK              =   0,
    MLC_ERR_NULL        =  -1,  /* a required pointer was NULL */
    MLC_ERR_ARG         =  -2,  /* an argument is out of range */
    MLC_ERR_SHAPE       =  -3,  /* tensor shapes do not agree */
    MLC_ERR_DTYPE       =  -4,  /* dtype not supported by this operation */
    MLC_ERR_NOMEM       =  -5,  /* arena (or allocator) out of memory */
    MLC_ERR_IO          =  -6,  /* a file could not be opened or read */
    MLC_ERR_FORMAT      =  -7,  /* malformed data (bad JSON, bad dtype...) */
    MLC_ERR_TRUNCATED   =  -8,  /* data ends before it should */
    MLC_ERR_BOUNDS      =  -9,  /* offsets out of range or overlapping */
    MLC_ERR_NOT_FOUND   = -10,  /* a named tensor is not in the file */
    MLC_ERR_UNSUPPORTED = -11   /* valid input this build cannot handle */
} mlc_result;

MLC_API const char *mlc_result_string(mlc_result r);

/* ---- arena --------------------------------------------------------------
   A bump allocator over a buffer the caller owns. */
typedef struct mlc_arena {
    unsigned char *base;
    size_t size;    /* bytes in base */
    size_t used;    /* bytes handed out (including alignment padding) */
    size_t peak;    /* high-water mark of used */
    size_t need;    /* largest 'used' ever requested, even if it failed */
} mlc_arena;

MLC_API void   mlc_arena_init(mlc_arena *a, void *buffer, size_t size);
/* Returns NULL (and records a->need) when the request does not fit.
   align must be a power of two; 0 means 64. */
MLC_API void  *mlc_arena_alloc(mlc_arena *a, size_t bytes, size_t align);
MLC_API size_t mlc_arena_mark(const mlc_arena *a);
MLC_API void   mlc_arena_reset(mlc_arena *a, size_t mark);
MLC_API size_t mlc_arena_peak(const mlc_arena *a);

/* ---- tensors ------------------------------------------------------------ */
typedef enum mlc_dtype {
    MLC_F32  = 0,
    MLC_F16  = 1,
    MLC_BF16 = 2,
    MLC_I8   = 3,
    MLC_U8   = 4,
    MLC_I16  = 5,
    MLC_I32  = 6,
    MLC_I64  = 7,
    MLC_F64  = 8,
    MLC_BOOL = 9,
    MLC_U16  = 10,
    MLC_U32  = 11,
    MLC_U64  = 12,
    MLC_DTYPE_COUNT
} mlc_dtype;

#define MLC_MAX_RANK 6

/* A dense, row-major tensor over memory the caller owns. */
typedef struct mlc_tensor {
    mlc_dtype dtype;
    int rank;
    int shape[MLC_MAX_RANK];
    void *data;
} mlc_tensor;

MLC_API size_t      mlc_dtype_size(mlc_dtype t);    /* 0 for an unknown dtype */
MLC_API const char *mlc_dtype_name(mlc_dtype t);
MLC_API mlc_tensor  mlc_tensor_1d(float *data, int d0);
MLC_API mlc_tensor  mlc_tensor_2d(float *data, int d0, int d1);
MLC_API mlc_tensor  mlc_tensor_3d(float *data, int d0, int d1, int d2);
MLC_API mlc_tensor  mlc_tensor_4d(float *data, int d0, int d1, int d2, int d3);
MLC_API size_t      mlc_tensor_numel(const mlc_tensor *t);
/* Checks rank 0..MLC_MAX_RANK, positive dims and a known dtype. */
MLC_API mlc_result  mlc_tensor_check(const mlc_tensor *t);
/* Makes a tensor of the given shape with data from the arena. */
MLC_API mlc_result  mlc_tensor_alloc(mlc_tensor *t, mlc_arena *a, mlc_dtype dtype,
                                     int rank, const int *shape);

/* f16 (IEEE binary16) and bf16 conversion; float to half rounds to nearest
   even, NaN stays NaN. */
MLC_API float    mlc_f16_to_f32(uint16_t h);
MLC_API uint16_t mlc_f32_to_f16(float f);
MLC_API float    mlc_bf16_to_f32(uint16_t h);
MLC_API uint16_t mlc_f32_to_bf16(float f);

/* ---- threading ----------------------------------------------------------
   parallel_for must call fn(arg, i) once for every i in [0, n_tasks), in any
   order and on any threads, and return when all calls have returned. */
typedef void (*mlc_task_fn)(void *arg, int task);
typedef void (*mlc_parallel_for_fn)(void *user, mlc_task_fn fn, void *arg, int n_tasks);
typedef struct mlc_ctx {
    mlc_parallel_for_fn parallel_for;  /* NULL: run on the calling thread */
    void *user;                        /* passed to parallel_for */
    int n_threads;                     /* how many tasks run at once (>= 1) */
} mlc_ctx;

/* ---- activations and elementwise ops -------------------------------------
   All take float32, allow y == x (in place), and return MLC_ERR_NULL for NULL
   pointers with n > 0, MLC_ERR_ARG for an unknown activation. The vector
   kernels approximate exp, tanh and erf. Bounds asserted by tests/ (and
   the worst measured over dense sweeps on x86-64, AVX-512 and scalar):
       exp      relative error <= 4e-7 for x in [-87, 88]   (measured 1.2e-7);
                0 below -87.34 (no subnormals), inf above 88.72
       tanh     absolute error <= 3e-7                      (measured 7.7e-8),
                relative <= 5e-7 for |x| < 0.625            (measured 1.4e-7)
       sigmoid  absolute error <= 3e-7                      (measured 8.8e-8)
       erf      absolute error <= 4e-7 (GELU = x/2 (1 + erf(x/sqrt 2)))
       softplus absolute error <= 4e-7 + 1e-7 |y|           (measured 4.8e-7
                absolute at y ~ 20, i.e. 1/2 ulp)                            */
typedef enum mlc_act {
    MLC_ACT_NONE        = 0,
    MLC_ACT_RELU        = 1,
    MLC_ACT_RELU6       = 2,
    MLC_ACT_LEAKY_RELU  = 3,   /* alpha: negative slope (PyTorch default 0.01) */
    MLC_ACT_SIGMOID     = 4,
    MLC_ACT_TANH        = 5,
    MLC_ACT_GELU        = 6,   /* exact, erf form: nn.GELU() */
    MLC_ACT_GELU_TANH   = 7,   /* nn.GELU(approximate='tanh') */
    MLC_ACT_SILU        = 8,   /* x * sigmoid(x), also called swish */
    MLC_ACT_HARDSWISH   = 9,
    MLC_ACT_HARDSIGMOID = 10,
    MLC_ACT_SOFTPLUS    = 11,  /* beta 1, threshold 20, as PyTorch */
    MLC_ACT_COUNT
} mlc_act;

MLC_API const char *mlc_act_name(mlc_act act);
MLC_API mlc_result mlc_act_f32(float *y, const float *x, size_t n, mlc_act act, float alpha);
MLC_API mlc_result mlc_act_ref_f32(float *y, const float *x, size_t n, mlc_act act, float alpha);
MLC_API mlc_result mlc_exp_f32(float *y, const float *x, size_t n);
MLC_API mlc_result mlc_exp_ref_f32(float *y, const float *x, size_t n);
MLC_API mlc_result mlc_tanh_f32(float *y, const float *x, size_t n);
MLC_API mlc_result mlc_tanh_ref_f32(float *y, const float *x, size_t n);

/* y = a + b, y = a * b, y = x * scale + shift */
MLC_API mlc_result mlc_add_f32(float *y, const float *a, const float *b, size_t n);
MLC_API mlc_result mlc_add_ref_f32(float *y, const float *a, const float *b, size_t n);
MLC_API mlc_result mlc_mul_f32(float *y, const float *a, const float *b, size_t n);
MLC_API mlc_result mlc_mul_ref_f32(float *y, const float *a, const float *b, size_t n);
MLC_API mlc_result mlc_scale_f32(float *y, const float *x, float scale, float shift, size_t n);
MLC_API mlc_result mlc_scale_ref_f32(float *y, const float *x, float scale, float shift, size_t n);

/* Softmax and log-softmax over the middle axis of x viewed as [outer, n, inner]. */
MLC_API mlc_result mlc_softmax_f32(float *y, const float *x, size_t outer, size_t n, size_t inner);
MLC_API mlc_result mlc_softmax_ref_f32(float *y, const float *x, size_t outer, size_t n, size_t inner);
MLC_API mlc_result mlc_log_softmax_f32(float *y, const float *x, size_t outer, size_t n, size_t inner);
MLC_API mlc_result mlc_log_softmax_ref_f32(float *y, const float *x, size_t outer, size_t n, size_t inner);

/* Tensor forms: shapes and dtypes checked. add/mul accept b of a's shape, or
   a 1-D b whose length is a's last dimension (a per-channel op in NHWC).
   axis may be negative (-1 = last). y may alias x (or a). */
MLC_API mlc_result mlc_activate(mlc_tensor *y, const mlc_tensor *x, mlc_act act, float alpha);
MLC_API mlc_result mlc_add(mlc_tensor *y, const mlc_tensor *a, const mlc_tensor *b);
MLC_API mlc_result mlc_mul(mlc_tensor *y, const mlc_tensor *a, const mlc_tensor *b);
MLC_API mlc_result mlc_softmax(mlc_tensor *y, const mlc_tensor *x, int axis);
MLC_API mlc_result mlc_log_softmax(mlc_tensor *y, const mlc_tensor *x, int axis);

/* ---- GEMM ----------------------------------------------------------------
   C[m,n] = act(A[m,k] * B[k,n] + bias[n]); row-major with leading dims lda,
   ldc (in floats, >= k and >= n). B is packed once (mlc_gemm_pack_b_f32)
   from either PyTorch's Linear layout W[n,k] (b_is_nk = 1, so C = A W^T) or
   a plain B[k,n] (b_is_nk = 0); ldb is the leading dim of that source.
   bias may be NULL. */
MLC_API size_t     mlc_gemm_packed_b_floats(int n, int k);
MLC_API mlc_result mlc_gemm_pack_b_f32(float *packed, const float *b, int ldb, int b_is_nk,
                                       int n, int k);
MLC_API mlc_result mlc_gemm_packed_f32(const mlc_ctx *ctx, int m, int n, int k,
                                       const float *a, int lda, const float *packed_b,
                                       const float *bias, float *c, int ldc,
                                       mlc_act act, float alpha);
/* Packs B into scratch (released before returning) and runs the GEMM. */
MLC_API mlc_result mlc_gemm_f32(const mlc_ctx *ctx, int m, int n, int k,
                                const float *a, int lda, const float *b, int ldb, int b_is_nk,
                                const float *bias, float *c, int ldc,
                                mlc_act act, float alpha, mlc_arena *scratch);
/* Scalar reference: the same contract as mlc_gemm_f32, no packing. */
MLC_API mlc_result mlc_gemm_ref_f32(int m, int n, int k,
                                    const float *a, int lda, const float *b, int ldb, int b_is_nk,
                                    const float *bias, float *c, int ldc,
                                    mlc_act act, float alpha);

/* ---- safetensors ---------------------------------------------------------
   Parsed from a buffer without copying tensor data: a file read into memory,
   a memory map, or a C array compiled into firmware (tools/st2c). Tensor data
   may be unaligned; read it with mlc_st_read_f32 or pack it with a loader. */
typedef struct mlc_st_tensor {
    const char *name;              /* NUL-terminated, decoded, in the arena */
    mlc_dtype dtype;
    int rank;
    int shape[MLC_MAX_RANK];
    size_t numel;
    const unsigned char *data;     /* points into the caller's buffer */
    size_t nbytes;
} mlc_st_tensor;

typedef struct mlc_safetensors {
    const unsigned char *buffer;   /* the whole file */
    size_t size;
    const unsigned char *data;     /* start of the byte buffer after the header */
    size_t data_size;
    mlc_st_tensor *tensors;        /* sorted by name */
    int count;
} mlc_safetensors;

/* Validates everything (header length, JSON syntax, dtypes, shape vs byte
   range, bounds, overlaps, holes, duplicate names) and fills st. The tensor
   table and names come from the arena; buffer must outlive st. */
MLC_API mlc_result mlc_st_parse(mlc_safetensors *st, const void *buffer, size_t size,
                                mlc_arena *arena);
/* NULL when absent. */
MLC_API const mlc_st_tensor *mlc_st_find(const mlc_safetensors *st, const char *name);
/* Reads a tensor as float32 (from F32, F16, BF16 or F64) into dst, checking
   that it has exactly the given rank and shape (rank < 0: any shape, but
   numel must equal count). Errors: MLC_ERR_NOT_FOUND, MLC_ERR_SHAPE,
   MLC_ERR_DTYPE. */
MLC_API mlc_result mlc_st_read_f32(const mlc_safetensors *st, const char *name,
                                   int rank, const int *shape, float *dst, size_t count);

#ifndef MLC_NO_STDIO
/* Reads a whole file with MLC_MALLOC; free it with mlc_file_free. */
MLC_API mlc_result mlc_file_load(const char *path, void **data, size_t *size);
MLC_API void       mlc_file_free(void *data);
#endif

/* ---- linear layer (torch.nn.Linear) -------------------------------------- */
typedef struct mlc_linear {
    int in_features, out_features;
    float *packed_w;   /* in the arena, mlc_gemm_pack_b_f32 layout */
    float *bias;       /* in the arena, or NULL */
} mlc_linear;

/* Bytes of arena mlc_linear_init/_load use for these sizes. */
MLC_API size_t     mlc_linear_arena_bytes(int in_features, int out_features, int has_bias);
/* weight is [out, in] row-major as PyTorch stores it; bias may be NULL. */
MLC_API mlc_result mlc_linear_init(mlc_linear *l, const float *weight, const float *bias,
                                   int in_features, int out_features, mlc_arena *arena);
/* Loads "<prefix>.weight" and, if present, "<prefix>.bias". */
MLC_API mlc_result mlc_linear_load(mlc_linear *l, const mlc_safetensors *st,
                                   const char *prefix, mlc_arena *arena);
/* y = act(x W^T + b): x is [..., in] and y [..., out], same leading dims. */
MLC_API mlc_result mlc_linear_forward(const mlc_linear *l, const mlc_ctx *ctx,
                                      mlc_tensor *y, const mlc_tensor *x,
                                      mlc_act act, float alpha);

#ifdef __cplusplus
}
#endif
#endif /* MLCORE_H */

/* ========================================================================
   IMPLEMENTATION
   ======================================================================== */
#ifdef MLCORE_IMPLEMENTATION
#ifndef MLCORE_IMPLEMENTATION_DONE
#define MLCORE_IMPLEMENTATION_DONE

// >>config ---------------------------------------------------------------
#include <string.h>
#include <limits.h>
#include <math.h>

#ifndef MLC_ASSERT
#  include <assert.h>
#  define MLC_ASSERT(c) assert(c)
#endif
#if defined(MLC_MALLOC) != defined(MLC_FREE)
#  error "mlcore: define both MLC_MALLOC and MLC_FREE, or neither"
#endif
#ifndef MLC_MALLOC
#  include <stdlib.h>
#  define MLC_MALLOC(n) malloc(n)
#  define MLC_FREE(p)   free(p)
#endif
#ifndef MLC_NO_STDIO
#  include <stdio.h>
#endif
#ifndef MLC_EXPF
#  define MLC_EXPF(x)   expf(x)
#endif
#ifndef MLC_LOGF
#  define MLC_LOGF(x)   logf(x)
#endif
#ifndef MLC_LOG1PF
#  define MLC_LOG1PF(x) log1pf(x)
#endif
#ifndef MLC_TANHF
#  define MLC_TANHF(x)  tanhf(x)
#endif
#ifndef MLC_ERFF
#  define MLC_ERFF(x)   erff(x)
#endif
#ifndef MLC_SQRTF
#  define MLC_SQRTF(x)  sqrtf(x)
#endif
#ifndef MLC_FABSF
#  define MLC_FABSF(x)  fabsf(x)
#endif

#if defined(_MSC_VER)
#  define MLC__INLINE static __forceinline
#  define MLC__RESTRICT __restrict
#elif defined(__GNUC__) || defined(__clang__)
#  define MLC__INLINE static __inline__ __attribute__((always_inline))
#  define MLC__RESTRICT __restrict__
#else
#  define MLC__INLINE static
#  define MLC__RESTRICT
#endif
#define MLC__UNUSED(x) ((void)(x))
#define MLC__MIN(a, b) ((a) < (b) ? (a) : (b))
#define MLC__MAX(a, b) ((a) > (b) ? (a) : (b))

// >>simd -----------------------------------------------------------------
/* One small vector layer per ISA; every kernel below is written once against
   it. MLC__VW is the number of floats in a vector. A "mask" is whatever the
   ISA's compare returns. Tail loads/stores handle the last n < MLC__VW
   elements without touching memory past them. */
#if !defined(MLC_NO_SIMD) && defined(__AVX512F__)
#  define MLC__AVX512 1
#elif !defined(MLC_NO_SIMD) && defined(__AVX2__) && defined(__FMA__)
#  define MLC__AVX2 1
#elif !defined(MLC_NO_SIMD) && (defined(__SSE2__) || defined(_M_X64))
#  define MLC__SSE2 1
#elif !defined(MLC_NO_SIMD) && defined(__ARM_NEON) && defined(__aarch64__)
#  define MLC__NEON 1
#else
#  define MLC__SCALAR 1
#endif

#if defined(MLC__AVX512)
#include <immintrin.h>
#if defined(__GNUC__) && !defined(__clang__)
/* GCC 12's AVX-512 intrinsics self-initialise an "undefined" vector, which
   g++ reports as maybe-uninitialized once inlined; popped at the end. */
#  pragma GCC diagnostic push
#  pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#  define MLC__POP_DIAGNOSTIC 1
#endif
#define MLC__ISA "avx512"
#define MLC__VW 16
typedef __m512 mlc__vf;
typedef __m512i mlc__vi;
typedef __mmask16 mlc__vm;
MLC__INLINE mlc__vf mlc__vload(const float *p) { return _mm512_loadu_ps(p); }
MLC__INLINE void mlc__vstore(float *p, mlc__vf v) { _mm512_storeu_ps(p, v); }
MLC__INLINE mlc__vf mlc__vload_tail(const float *p, size_t n) { return _mm512_maskz_loadu_ps((__mmask16)((1u << n) - 1u), p); }
MLC__INLINE void mlc__vstore_tail(float *p, mlc__vf v, size_t n) { _mm512_mask_storeu_ps(p, (__mmask16)((1u << n) - 1u), v); }
MLC__INLINE mlc__vf mlc__vset1(float x) { return _mm512_set1_ps(x); }
MLC__INLINE mlc__vf mlc__vadd(mlc__vf a, mlc__vf b) { return _mm512_add_ps(a, b); }
MLC__INLINE mlc__vf mlc__vsub(mlc__vf a, mlc__vf b) { return _mm512_sub_ps(a, b); }
MLC__INLINE mlc__vf mlc__vmul(mlc__vf a, mlc__vf b) { return _mm512_mul_ps(a, b); }
MLC__INLINE mlc__vf mlc__vdiv(mlc__vf a, mlc__vf b) { return _mm512_div_ps(a, b); }
MLC__INLINE mlc__vf mlc__vfma(mlc__vf a, mlc__vf b, mlc__vf c) { return _mm512_fmadd_ps(a, b, c); }
MLC__INLINE mlc__vf mlc__vmax(mlc__vf a, mlc__vf b) { return _mm512_max_ps(a, b); }
MLC__INLINE mlc__vf mlc__vmin(mlc__vf a, mlc__vf b) { return _mm512_min_ps(a, b); }
MLC__INLINE mlc__vf mlc__vabs(mlc__vf a) { return _mm512_castsi512_ps(_mm512_and_epi32(_mm512_castps_si512(a), _mm512_set1_epi32(0x7fffffff))); }
MLC__INLINE mlc__vf mlc__vxor(mlc__vf a, mlc__vf b) { return _mm512_castsi512_ps(_mm512_xor_epi32(_mm512_castps_si512(a), _mm512_castps_si512(b))); }
MLC__INLINE mlc__vf mlc__vsignbits(mlc__vf a) { return _mm512_castsi512_ps(_mm512_and_epi32(_mm512_castps_si512(a), _mm512_set1_epi32((int)0x80000000u))); }
MLC__INLINE mlc__vm mlc__vlt(mlc__vf a, mlc__vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
MLC__INLINE mlc__vm mlc__visnan(mlc__vf a) { return _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q); }
MLC__INLINE mlc__vf mlc__vselect(mlc__vm m, mlc__vf t, mlc__vf f) { return _mm512_mask_blend_ps(m, f, t); }
MLC__INLINE mlc__vi mlc__vround_i(mlc__vf a) { return _mm512_cvtps_epi32(a); }
MLC__INLINE mlc__vf mlc__vi_to_f(mlc__vi a) { return _mm512_cvtepi32_ps(a); }
MLC__INLINE mlc__vf mlc__vpow2i(mlc__vi n) { return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(n, _mm512_set1_epi32(127)), 23)); }
MLC__INLINE float mlc__vsum(mlc__vf a) { return _mm512_reduce_add_ps(a); }
MLC__INLINE float mlc__vhmax(mlc__vf a) { return _mm512_reduce_max_ps(a); }

#elif defined(MLC__AVX2)
#include <immintrin.h>
#define MLC__ISA "avx2+fma"
#define MLC__VW 8
typedef __m256 mlc__vf;
typedef __m256i mlc__vi;
typedef __m256 mlc__vm;
MLC__INLINE mlc__vf mlc__vload(const float *p) { return _mm256_loadu_ps(p); }
MLC__INLINE void mlc__vstore(float *p, mlc__vf v) { _mm256_storeu_ps(p, v); }
MLC__INLINE __m256i mlc__tailmask(size_t n) { return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)); }
MLC__INLINE mlc__vf mlc__vload_tail(const float *p, size_t n) { return _mm256_maskload_ps(p, mlc__tailmask(n)); }
MLC__INLINE void mlc__vstore_tail(float *p, mlc__vf v, size_t n) { _mm256_maskstore_ps(p, mlc__tailmask(n), v); }
MLC__INLINE mlc__vf mlc__vset1(float x) { return _mm256_set1_ps(x); }
MLC__INLINE mlc__vf mlc__vadd(mlc__vf a, mlc__vf b) { return _mm256_add_ps(a, b); }
MLC__INLINE mlc__vf mlc__vsub(mlc__vf a, mlc__vf b) { return _mm256_sub_ps(a, b); }
MLC__INLINE mlc__vf mlc__vmul(mlc__vf a, mlc__vf b) { return _mm256_mul_ps(a, b); }
MLC__INLINE mlc__vf mlc__vdiv(mlc__vf a, mlc__vf b) { return _mm256_div_ps(a, b); }
MLC__INLINE mlc__vf mlc__vfma(mlc__vf a, mlc__vf b, mlc__vf c) { return _mm256_fmadd_ps(a, b, c); }
MLC__INLINE mlc__vf mlc__vmax(mlc__vf a, mlc__vf b) { return _mm256_max_ps(a, b); }
MLC__INLINE mlc__vf mlc__vmin(mlc__vf a, mlc__vf b) { return _mm256_min_ps(a, b); }
MLC__INLINE mlc__vf mlc__vabs(mlc__vf a) { return _mm256_and_ps(a, _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff))); }
MLC__INLINE mlc__vf mlc__vxor(mlc__vf a, mlc__vf b) { return _mm256_xor_ps(a, b); }
MLC__INLINE mlc__vf mlc__vsignbits(mlc__vf a) { return _mm256_and_ps(a, _mm256_castsi256_ps(_mm256_set1_epi32((int)0x80000000u))); }
MLC__INLINE mlc__vm mlc__vlt(mlc__vf a, mlc__vf b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
MLC__INLINE mlc__vm mlc__visnan(mlc__vf a) { return _mm256_cmp_ps(a, a, _CMP_UNORD_Q); }
MLC__INLINE mlc__vf mlc__vselect(mlc__vm m, mlc__vf t, mlc__vf f) { return _mm256_blendv_ps(f, t, m); }
MLC__INLINE mlc__vi mlc__vround_i(mlc__vf a) { return _mm256_cvtps_epi32(a); }
MLC__INLINE mlc__vf mlc__vi_to_f(mlc__vi a) { return _mm256_cvtepi32_ps(a); }
MLC__INLINE mlc__vf mlc__vpow2i(mlc__vi n) { return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n, _mm256_set1_epi32(127)), 23)); }
MLC__INLINE float mlc__vsum(mlc__vf a) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}
MLC__INLINE float mlc__vhmax(mlc__vf a) {
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}

#elif defined(MLC__SSE2)
#include <emmintrin.h>
#define MLC__ISA "sse2"
#define MLC__VW 4
typedef __m128 mlc__vf;
typedef __m128i mlc__vi;
typedef __m128 mlc__vm;
MLC__INLINE mlc__vf mlc__vload(const float *p) { return _mm_loadu_ps(p); }
MLC__INLINE void mlc__vstore(float *p, mlc__vf v) { _mm_storeu_ps(p, v); }
MLC__INLINE mlc__vf mlc__vload_tail(const float *p, size_t n) { float t[4] = {0, 0, 0, 0}; memcpy(t, p, n * sizeof(float)); return _mm_loadu_ps(t); }
MLC__INLINE void mlc__vstore_tail(float *p, mlc__vf v, size_t n) { float t[4]; _mm_storeu_ps(t, v); memcpy(p, t, n * sizeof(float)); }
MLC__INLINE mlc__vf mlc__vset1(float x) { return _mm_set1_ps(x); }
MLC__INLINE mlc__vf mlc__vadd(mlc__vf a, mlc__vf b) { return _mm_add_ps(a, b); }
MLC__INLINE mlc__vf mlc__vsub(mlc__vf a, mlc__vf b) { return _mm_sub_ps(a, b); }
MLC__INLINE mlc__vf mlc__vmul(mlc__vf a, mlc__vf b) { return _mm_mul_ps(a, b); }
MLC__INLINE mlc__vf mlc__vdiv(mlc__vf a, mlc__vf b) { return _mm_div_ps(a, b); }
MLC__INLINE mlc__vf mlc__vfma(mlc__vf a, mlc__vf b, mlc__vf c) { return _mm_add_ps(_mm_mul_ps(a, b), c); }
MLC__INLINE mlc__vf mlc__vmax(mlc__vf a, mlc__vf b) { return _mm_max_ps(a, b); }
MLC__INLINE mlc__vf mlc__vmin(mlc__vf a, mlc__vf b) { return _mm_min_ps(a, b); }
MLC__INLINE mlc__vf mlc__vabs(mlc__vf a) { return _mm_and_ps(a, _mm_castsi128_ps(_mm_set1_epi32(0x7fffffff))); }
MLC__INLINE mlc__vf mlc__vxor(mlc__vf a, mlc__vf b) { return _mm_xor_ps(a, b); }
MLC__INLINE mlc__vf mlc__vsignbits(mlc__vf a) { return _mm_and_ps(a, _mm_castsi128_ps(_mm_set1_epi32((int)0x80000000u))); }
MLC__INLINE mlc__vm mlc__vlt(mlc__vf a, mlc__vf b) { return _mm_cmplt_ps(a, b); }
MLC__INLINE mlc__vm mlc__visnan(mlc__vf a) { return _mm_cmpunord_ps(a, a); }
MLC__INLINE mlc__vf mlc__vselect(mlc__vm m, mlc__vf t, mlc__vf f) { return _mm_or_ps(_mm_and_ps(m, t), _mm_andnot_ps(m, f)); }
MLC__INLINE mlc__vi mlc__vround_i(mlc__vf a) { return _mm_cvtps_epi32(a); }
MLC__INLINE mlc__vf mlc__vi_to_f(mlc__vi a) { return _mm_cvtepi32_ps(a); }
MLC__INLINE mlc__vf mlc__vpow2i(mlc__vi n) { return _mm_castsi128_ps(_mm_slli_epi32(_mm_add_epi32(n, _mm_set1_epi32(127)), 23)); }
MLC__INLINE float mlc__vsum(mlc__vf a) {
    __m128 s = _mm_add_ps(a, _mm_movehl_ps(a, a));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}
MLC__INLINE float mlc__vhmax(mlc__vf a) {
    __m128 s = _mm_max_ps(a, _mm_movehl_ps(a, a));
    s = _mm_max_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}

#elif defined(MLC__NEON)
#include <arm_neon.h>
#define MLC__ISA "neon"
#define MLC__VW 4
typedef float32x4_t mlc__vf;
typedef int32x4_t mlc__vi;
typedef uint32x4_t mlc__vm;
MLC__INLINE mlc__vf mlc__vload(const float *p) { return vld1q_f32(p); }
MLC__INLINE void mlc__vstore(float *p, mlc__vf v) { vst1q_f32(p, v); }
MLC__INLINE mlc__vf mlc__vload_tail(const float *p, size_t n) { float t[4] = {0, 0, 0, 0}; memcpy(t, p, n * sizeof(float)); return vld1q_f32(t); }
MLC__INLINE void mlc__vstore_tail(float *p, mlc__vf v, size_t n) { float t[4]; vst1q_f32(t, v); memcpy(p, t, n * sizeof(float)); }
MLC__INLINE mlc__vf mlc__vset1(float x) { return vdupq_n_f32(x); }
MLC__INLINE mlc__vf mlc__vadd(mlc__vf a, mlc__vf b) { return vaddq_f32(a, b); }
MLC__INLINE mlc__vf mlc__vsub(mlc__vf a, mlc__vf b) { return vsubq_f32(a, b); }
MLC__INLINE mlc__vf mlc__vmul(mlc__vf a, mlc__vf b) { return vmulq_f32(a, b); }
MLC__INLINE mlc__vf mlc__vdiv(mlc__vf a, mlc__vf b) { return vdivq_f32(a, b); }
MLC__INLINE mlc__vf mlc__vfma(mlc__vf a, mlc__vf b, mlc__vf c) { return vfmaq_f32(c, a, b); }
MLC__INLINE mlc__vf mlc__vmax(mlc__vf a, mlc__vf b) { return vmaxq_f32(a, b); }
MLC__INLINE mlc__vf mlc__vmin(mlc__vf a, mlc__vf b) { return vminq_f32(a, b); }
MLC__INLINE mlc__vf mlc__vabs(mlc__vf a) { return vabsq_f32(a); }
MLC__INLINE mlc__vf mlc__vxor(mlc__vf a, mlc__vf b) { return vreinterpretq_f32_u32(veorq_u32(vreinterpretq_u32_f32(a), vreinterpretq_u32_f32(b))); }
MLC__INLINE mlc__vf mlc__vsignbits(mlc__vf a) { return vreinterpretq_f32_u32(vandq_u32(vreinterpretq_u32_f32(a), vdupq_n_u32(0x80000000u))); }
MLC__INLINE mlc__vm mlc__vlt(mlc__vf a, mlc__vf b) { return vcltq_f32(a, b); }
MLC__INLINE mlc__vm mlc__visnan(mlc__vf a) { return vmvnq_u32(vceqq_f32(a, a)); }
MLC__INLINE mlc__vf mlc__vselect(mlc__vm m, mlc__vf t, mlc__vf f) { return vbslq_f32(m, t, f); }
MLC__INLINE mlc__vi mlc__vround_i(mlc__vf a) { return vcvtnq_s32_f32(a); }
MLC__INLINE mlc__vf mlc__vi_to_f(mlc__vi a) { return vcvtq_f32_s32(a); }
MLC__INLINE mlc__vf mlc__vpow2i(mlc__vi n) { return vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(n, vdupq_n_s32(127)), 23)); }
MLC__INLINE float mlc__vsum(mlc__vf a) { return vaddvq_f32(a); }
MLC__INLINE float mlc__vhmax(mlc__vf a) { return vmaxvq_f32(a); }

#else /* scalar: a "vector" of one float, same code paths */
#define MLC__ISA "scalar"
#define MLC__VW 1
typedef float mlc__vf;
typedef int32_t mlc__vi;
typedef int mlc__vm;
MLC__INLINE mlc__vf mlc__vload(const float *p) { return *p; }
MLC__INLINE void mlc__vstore(float *p, mlc__vf v) { *p = v; }
MLC__INLINE mlc__vf mlc__vload_tail(const float *p, size_t n) { return n ? *p : 0.0f; }
MLC__INLINE void mlc__vstore_tail(float *p, mlc__vf v, size_t n) { if (n) *p = v; }
MLC__INLINE mlc__vf mlc__vset1(float x) { return x; }
MLC__INLINE mlc__vf mlc__vadd(mlc__vf a, mlc__vf b) { return a + b; }
MLC__INLINE mlc__vf mlc__vsub(mlc__vf a, mlc__vf b) { return a - b; }
MLC__INLINE mlc__vf mlc__vmul(mlc__vf a, mlc__vf b) { return a * b; }
MLC__INLINE mlc__vf mlc__vdiv(mlc__vf a, mlc__vf b) { return a / b; }
MLC__INLINE mlc__vf mlc__vfma(mlc__vf a, mlc__vf b, mlc__vf c) { return a * b + c; }
MLC__INLINE mlc__vf mlc__vmax(mlc__vf a, mlc__vf b) { return a > b ? a : b; }
MLC__INLINE mlc__vf mlc__vmin(mlc__vf a, mlc__vf b) { return a < b ? a : b; }
MLC__INLINE mlc__vf mlc__vabs(mlc__vf a) { return MLC_FABSF(a); }
MLC__INLINE mlc__vf mlc__vxor(mlc__vf a, mlc__vf b) { uint32_t x, y; memcpy(&x, &a, 4); memcpy(&y, &b, 4); x ^= y; memcpy(&a, &x, 4); return a; }
MLC__INLINE mlc__vf mlc__vsignbits(mlc__vf a) { uint32_t x; memcpy(&x, &a, 4); x &= 0x80000000u; memcpy(&a, &x, 4); return a; }
MLC__INLINE mlc__vm mlc__vlt(mlc__vf a, mlc__vf b) { return a < b; }
MLC__INLINE mlc__vm mlc__visnan(mlc__vf a) { return a != a; }
MLC__INLINE mlc__vf mlc__vselect(mlc__vm m, mlc__vf t, mlc__vf f) { return m ? t : f; }
MLC__INLINE mlc__vi mlc__vround_i(mlc__vf a) { return (int32_t)(a >= 0.0f ? a + 0.5f : a - 0.5f); }
MLC__INLINE mlc__vf mlc__vi_to_f(mlc__vi a) { return (float)a; }
MLC__INLINE mlc__vf mlc__vpow2i(mlc__vi n) { uint32_t u = (uint32_t)(n + 127) << 23; float f; memcpy(&f, &u, 4); return f; }
MLC__INLINE float mlc__vsum(mlc__vf a) { return a; }
MLC__INLINE float mlc__vhmax(mlc__vf a) { return a; }
#endif

/* ---- math written once against the vector layer --------------------------
   exp: x = n ln2 + r with |r| <= ln2/2 (ln2 split in two for exactness),
   e^r by a degree-6 polynomial (Cephes expf), times 2^n built in the
   exponent bits (for n = 128 as 2 * 2^127). Below ln(2^-126) = -87.34 the
   result is flushed to 0 (no subnormals); above ln(FLT_MAX) = 88.72 it is
   +inf. NaN propagates. */
MLC__INLINE mlc__vf mlc__vexp(mlc__vf x) {
    const mlc__vf hi = mlc__vset1(88.7228394f), lo = mlc__vset1(-87.3365448f);
    mlc__vf xc = mlc__vmin(mlc__vmax(x, lo), hi);
    mlc__vf fn = mlc__vi_to_f(mlc__vround_i(mlc__vmul(xc, mlc__vset1(1.44269504088896341f))));
    mlc__vf r = mlc__vfma(fn, mlc__vset1(-0.693359375f), xc);
    mlc__vf p, r2, y;
    mlc__vm top;
    r = mlc__vfma(fn, mlc__vset1(2.12194440e-4f), r);
    r2 = mlc__vmul(r, r);
    p = mlc__vset1(1.9875691500e-4f);
    p = mlc__vfma(p, r, mlc__vset1(1.3981999507e-3f));
    p = mlc__vfma(p, r, mlc__vset1(8.3334519073e-3f));
    p = mlc__vfma(p, r, mlc__vset1(4.1665795894e-2f));
    p = mlc__vfma(p, r, mlc__vset1(1.6666665459e-1f));
    p = mlc__vfma(p, r, mlc__vset1(5.0000001201e-1f));
    p = mlc__vfma(p, r2, mlc__vadd(r, mlc__vset1(1.0f)));
    top = mlc__vlt(mlc__vset1(127.5f), fn);            /* n == 128 */
    p = mlc__vselect(top, mlc__vadd(p, p), p);
    fn = mlc__vselect(top, mlc__vset1(127.0f), fn);
    y = mlc__vmul(p, mlc__vpow2i(mlc__vround_i(fn)));
    y = mlc__vselect(mlc__vlt(x, lo), mlc__vset1(0.0f), y);
    y = mlc__vselect(mlc__vlt(hi, x), mlc__vset1(INFINITY), y);
    return mlc__vselect(mlc__visnan(x), x, y);
}

/* tanh: odd polynomial (Cephes tanhf) for |x| < 0.625, else
   1 - 2 / (e^{2|x|} + 1) with the sign put back. */
MLC__INLINE mlc__vf mlc__vtanh(mlc__vf x) {
    mlc__vf ax = mlc__vabs(x), sign = mlc__vsignbits(x);
    mlc__vf z = mlc__vmul(x, x), p, big, e;
    p = mlc__vset1(-5.70498872745e-3f);
    p = mlc__vfma(p, z, mlc__vset1(2.06390887954e-2f));
    p = mlc__vfma(p, z, mlc__vset1(-5.37397155531e-2f));
    p = mlc__vfma(p, z, mlc__vset1(1.33314422036e-1f));
    p = mlc__vfma(p, z, mlc__vset1(-3.33332819422e-1f));
    p = mlc__vfma(mlc__vmul(p, z), x, x);
    e = mlc__vexp(mlc__vmul(mlc__vmin(ax, mlc__vset1(44.0f)), mlc__vset1(2.0f)));
    big = mlc__vsub(mlc__vset1(1.0f), mlc__vdiv(mlc__vset1(2.0f), mlc__vadd(e, mlc__vset1(1.0f))));
    big = mlc__vxor(big, sign);
    return mlc__vselect(mlc__vlt(ax, mlc__vset1(0.625f)), p, mlc__vselect(mlc__visnan(x), x, big));
}

/* sigmoid = 1 / (1 + e^-x); e^-x saturates to inf (-> 0) or 0 (-> 1). */
MLC__INLINE mlc__vf mlc__vsigmoid(mlc__vf x) {
    return mlc__vdiv(mlc__vset1(1.0f), mlc__vadd(mlc__vset1(1.0f), mlc__vexp(mlc__vxor(x, mlc__vset1(-0.0f)))));
}

/* erf: for |x| < 0.5 its Taylor series x * 2/sqrt(pi) * sum (-1)^n x^2n /
   (n! (2n+1)), n <= 6 (truncation < 2e-9); above it Abramowitz & Stegun
   7.1.26, erf x = 1 - t q(t) e^{-x^2}, t = 1/(1 + 0.3275911 |x|),
   |error| <= 1.5e-7. */
MLC__INLINE mlc__vf mlc__verf(mlc__vf x) {
    mlc__vf ax = mlc__vabs(x), sign = mlc__vsignbits(x);
    mlc__vf z = mlc__vmul(x, x), small, t, q, big;
    small = mlc__vset1(1.0f / 9360.0f);
    small = mlc__vfma(small, z, mlc__vset1(-1.0f / 1320.0f));
    small = mlc__vfma(small, z, mlc__vset1(1.0f / 216.0f));
    small = mlc__vfma(small, z, mlc__vset1(-1.0f / 42.0f));
    small = mlc__vfma(small, z, mlc__vset1(1.0f / 10.0f));
    small = mlc__vfma(small, z, mlc__vset1(-1.0f / 3.0f));
    small = mlc__vfma(small, z, mlc__vset1(1.0f));
    small = mlc__vmul(mlc__vmul(small, x), mlc__vset1(1.12837916709551257f));
    t = mlc__vdiv(mlc__vset1(1.0f), mlc__vfma(mlc__vset1(0.3275911f), ax, mlc__vset1(1.0f)));
    q = mlc__vset1(1.061405429f);
    q = mlc__vfma(q, t, mlc__vset1(-1.453152027f));
    q = mlc__vfma(q, t, mlc__vset1(1.421413741f));
    q = mlc__vfma(q, t, mlc__vset1(-0.284496736f));
    q = mlc__vfma(q, t, mlc__vset1(0.254829592f));
    q = mlc__vmul(q, t);
    big = mlc__vsub(mlc__vset1(1.0f), mlc__vmul(q, mlc__vexp(mlc__vxor(z, mlc__vset1(-0.0f)))));
    big = mlc__vxor(big, sign);
    return mlc__vselect(mlc__vlt(ax, mlc__vset1(0.5f)), small, mlc__vselect(mlc__visnan(x), x, big));
}

// >>tensor ---------------------------------------------------------------
MLC_API const char *mlc_result_string(mlc_result r) {
    switch (r) {
    case MLC_OK:              return "ok";
    case MLC_ERR_NULL:        return "a required pointer is NULL";
    case MLC_ERR_ARG:         return "argument out of range";
    case MLC_ERR_SHAPE:       return "tensor shapes do not agree";
    case MLC_ERR_DTYPE:       return "dtype not supported here";
    case MLC_ERR_NOMEM:       return "out of memory (arena too small)";
    case MLC_ERR_IO:          return "file could not be read";
    case MLC_ERR_FORMAT:      return "malformed data";
    case MLC_ERR_TRUNCATED:   return "data truncated";
    case MLC_ERR_BOUNDS:      return "offsets out of bounds or overlapping";
    case MLC_ERR_NOT_FOUND:   return "tensor not found";
    case MLC_ERR_UNSUPPORTED: return "not supported by this build";
    }
    return "unknown mlc_result";
}

MLC_API void mlc_arena_init(mlc_arena *a, void *buffer, size_t size) {
    a->base = (unsigned char *)buffer;
    a->size = buffer ? size : 0;
    a->used = a->peak = a->need = 0;
}

MLC_API void *mlc_arena_alloc(mlc_arena *a, size_t bytes, size_t align) {
    size_t addr, pad, end;
    if (!a) return NULL;
    if (align == 0) align = 64;
    if (align & (align - 1)) return NULL;
    addr = (size_t)((uintptr_t)a->base + a->used);
    pad = (align - (addr & (align - 1))) & (align - 1);
    if (bytes > SIZE_MAX - a->used - pad) { a->need = SIZE_MAX; return NULL; }
    end = a->used + pad + bytes;
    if (end > a->need) a->need = end;
    if (end > a->size || !a->base) return NULL;
    {
        void *p = a->base + a->used + pad;
        a->used = end;
        if (end > a->peak) a->peak = end;
        return p;
    }
}

MLC_API size_t mlc_arena_mark(const mlc_arena *a) { return a->used; }
MLC_API void   mlc_arena_reset(mlc_arena *a, size_t mark) { if (mark <= a->used) a->used = mark; }
MLC_API size_t mlc_arena_peak(const mlc_arena *a) { return a->peak; }

MLC_API size_t mlc_dtype_size(mlc_dtype t) {
    switch (t) {
    case MLC_F32: case MLC_I32: case MLC_U32: return 4;
    case MLC_F16: case MLC_BF16: case MLC_I16: case MLC_U16: return 2;
    case MLC_I8: case MLC_U8: case MLC_BOOL: return 1;
    case MLC_I64: case MLC_U64: case MLC_F64: return 8;
    case MLC_DTYPE_COUNT: break;
    }
    return 0;
}

static const char *const mlc__dtype_names[MLC_DTYPE_COUNT] = {
    "F32", "F16", "BF16", "I8", "U8", "I16", "I32", "I64", "F64", "BOOL", "U16", "U32", "U64"
};

MLC_API const char *mlc_dtype_name(mlc_dtype t) {
    return ((unsigned)t < (unsigned)MLC_DTYPE_COUNT) ? mlc__dtype_names[t] : "unknown";
}

static mlc_tensor mlc__tensor(float *data, int rank, int d0, int d1, int d2, int d3) {
    mlc_tensor t;
    memset(&t, 0, sizeof t);
    t.dtype = MLC_F32; t.rank = rank; t.data = data;
    t.shape[0] = d0; t.shape[1] = d1; t.shape[2] = d2; t.shape[3] = d3;
    return t;
}
MLC_API mlc_tensor mlc_tensor_1d(float *data, int d0) { return mlc__tensor(data, 1, d0, 0, 0, 0); }
MLC_API mlc_tensor mlc_tensor_2d(float *data, int d0, int d1) { return mlc__tensor(data, 2, d0, d1, 0, 0); }
MLC_API mlc_tensor mlc_tensor_3d(float *data, int d0, int d1, int d2) { return mlc__tensor(data, 3, d0, d1, d2, 0); }
MLC_API mlc_tensor mlc_tensor_4d(float *data, int d0, int d1, int d2, int d3) { return mlc__tensor(data, 4, d0, d1, d2, d3); }

MLC_API size_t mlc_tensor_numel(const mlc_tensor *t) {
    size_t n = 1; int i;
    if (!t || t->rank < 0 || t->rank > MLC_MAX_RANK) return 0;
    for (i = 0; i < t->rank; i++) n *= t->shape[i] > 0 ? (size_t)t->shape[i] : 0;
    return n;
}

MLC_API mlc_result mlc_tensor_check(const mlc_tensor *t) {
    size_t n = 1; int i;
    if (!t) return MLC_ERR_NULL;
    if (t->rank < 0 || t->rank > MLC_MAX_RANK) return MLC_ERR_SHAPE;
    if (mlc_dtype_size(t->dtype) == 0) return MLC_ERR_DTYPE;
    for (i = 0; i < t->rank; i++) {
        if (t->shape[i] <= 0) return MLC_ERR_SHAPE;
        if ((size_t)t->shape[i] > SIZE_MAX / mlc_dtype_size(t->dtype) / n) return MLC_ERR_SHAPE;
        n *= (size_t)t->shape[i];
    }
    if (!t->data) return MLC_ERR_NULL;
    return MLC_OK;
}

MLC_API mlc_result mlc_tensor_alloc(mlc_tensor *t, mlc_arena *a, mlc_dtype dtype, int rank, const int *shape) {
    mlc_result r; int i;
    if (!t || !a || (rank > 0 && !shape)) return MLC_ERR_NULL;
    memset(t, 0, sizeof *t);
    if (rank < 0 || rank > MLC_MAX_RANK) return MLC_ERR_SHAPE;
    t->dtype = dtype; t->rank = rank;
    for (i = 0; i < rank; i++) t->shape[i] = shape[i];
    t->data = (void *)1; /* checked below without the data pointer */
    r = mlc_tensor_check(t);
    t->data = NULL;
    if (r != MLC_OK) return r;
    t->data = mlc_arena_alloc(a, mlc_tensor_numel(t) * mlc_dtype_size(dtype), 64);
    return t->data ? MLC_OK : MLC_ERR_NOMEM;
}

static float mlc__bits_f32(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static uint32_t mlc__f32_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }

MLC_API float mlc_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, exp = (h >> 10) & 0x1fu, man = h & 0x3ffu;
    if (exp == 0x1f) return mlc__bits_f32(sign | 0x7f800000u | (man << 13));   /* inf, nan */
    if (exp == 0) {                                                              /* zero, subnormal */
        float f = (float)man * (1.0f / 16777216.0f);                             /* man * 2^-24 */
        return sign ? -f : f;
    }
    return mlc__bits_f32(sign | ((exp + 112u) << 23) | (man << 13));
}

MLC_API uint16_t mlc_f32_to_f16(float f) {
    uint32_t u = mlc__f32_bits(f), sign = (u >> 16) & 0x8000u, a = u & 0x7fffffffu;
    if (a >= 0x7f800000u) return (uint16_t)(sign | 0x7c00u | (a > 0x7f800000u ? 0x200u | ((a >> 13) & 0x3ffu) : 0u));
    if (a >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u);   /* rounds to >= 65520: inf */
    if (a < 0x38800000u) {                 /* below 2^-14: f16 subnormal or zero */
        /* a = man * 2^(e-23) with the implicit bit in man; in units of the
           subnormal step 2^-24 that is man >> -(e+1), rounded to even */
        int e = (int)(a >> 23) - 127, sh = -(e + 1);
        uint32_t man = (a & 0x7fffffu) | 0x800000u, q, rem, half;
        if (sh > 24) return (uint16_t)sign;  /* below 2^-25: rounds to 0 */
        q = man >> sh; rem = man & ((1u << sh) - 1u); half = 1u << (sh - 1);
        if (rem > half || (rem == half && (q & 1u))) q++;
        return (uint16_t)(sign | q);       /* q == 0x400 is the smallest normal */
    }
    {
        uint32_t r = a + 0xc8000fffu + ((a >> 13) & 1u);        /* rebias 127->15, round to nearest even */
        return (uint16_t)(sign | (r >> 13));
    }
}

MLC_API float mlc_bf16_to_f32(uint16_t h) { return mlc__bits_f32((uint32_t)h << 16); }

MLC_API uint16_t mlc_f32_to_bf16(float f) {
    uint32_t u = mlc__f32_bits(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40u);  /* quiet NaN */
    return (uint16_t)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

/* log(1 + u) for u in [0, 1]: w = 1 + u reduced to [sqrt(1/2), sqrt(2)),
   Cephes logf polynomial, then Goldberg's correction u / (w - 1) so small u
   keep their relative accuracy. */
MLC__INLINE mlc__vf mlc__vlog1p_unit(mlc__vf u) {
    mlc__vf w = mlc__vadd(mlc__vset1(1.0f), u), d = mlc__vsub(w, mlc__vset1(1.0f));
    mlc__vm big = mlc__vlt(mlc__vset1(1.41421356237f), w);
    mlc__vf e = mlc__vselect(big, mlc__vset1(1.0f), mlc__vset1(0.0f));
    mlc__vf x = mlc__vsub(mlc__vselect(big, mlc__vmul(w, mlc__vset1(0.5f)), w), mlc__vset1(1.0f));
    mlc__vf z = mlc__vmul(x, x), p, l;
    p = mlc__vset1(7.0376836292e-2f);
    p = mlc__vfma(p, x, mlc__vset1(-1.1514610310e-1f));
    p = mlc__vfma(p, x, mlc__vset1(1.1676998740e-1f));
    p = mlc__vfma(p, x, mlc__vset1(-1.2420140846e-1f));
    p = mlc__vfma(p, x, mlc__vset1(1.4249322787e-1f));
    p = mlc__vfma(p, x, mlc__vset1(-1.6668057665e-1f));
    p = mlc__vfma(p, x, mlc__vset1(2.0000714765e-1f));
    p = mlc__vfma(p, x, mlc__vset1(-2.4999993993e-1f));
    p = mlc__vfma(p, x, mlc__vset1(3.3333331174e-1f));
    p = mlc__vmul(mlc__vmul(p, x), z);
    p = mlc__vfma(e, mlc__vset1(-2.12194440e-4f), p);
    p = mlc__vfma(z, mlc__vset1(-0.5f), p);
    l = mlc__vfma(e, mlc__vset1(0.693359375f), mlc__vadd(x, p));
    /* d == 0 (u below half an ulp of 1): log1p(u) = u */
    return mlc__vselect(mlc__vlt(mlc__vset1(0.0f), d), mlc__vmul(l, mlc__vdiv(u, d)), u);
}

// >>act ------------------------------------------------------------------
static const char *const mlc__act_names[MLC_ACT_COUNT] = {
    "none", "relu", "relu6", "leaky_relu", "sigmoid", "tanh", "gelu", "gelu_tanh",
    "silu", "hardswish", "hardsigmoid", "softplus"
};
MLC_API const char *mlc_act_name(mlc_act act) {
    return ((unsigned)act < (unsigned)MLC_ACT_COUNT) ? mlc__act_names[act] : "unknown";
}

/* One activation on one vector: the GEMM epilogue and mlc_act_f32 share it.
   max/min take the constant first so that NaN inputs propagate on x86. */
MLC__INLINE mlc__vf mlc__vact(mlc__vf v, mlc_act act, float alpha) {
    const mlc__vf zero = mlc__vset1(0.0f), half = mlc__vset1(0.5f), one = mlc__vset1(1.0f);
    switch (act) {
    case MLC_ACT_NONE:       return v;
    case MLC_ACT_RELU:       return mlc__vmax(zero, v);
    case MLC_ACT_RELU6:      return mlc__vmin(mlc__vset1(6.0f), mlc__vmax(zero, v));
    case MLC_ACT_LEAKY_RELU: return mlc__vselect(mlc__vlt(v, zero), mlc__vmul(v, mlc__vset1(alpha)), v);
    case MLC_ACT_SIGMOID:    return mlc__vsigmoid(v);
    case MLC_ACT_TANH:       return mlc__vtanh(v);
    case MLC_ACT_GELU:
        return mlc__vmul(mlc__vmul(half, v), mlc__vadd(one, mlc__verf(mlc__vmul(v, mlc__vset1(0.70710678118654752f)))));
    case MLC_ACT_GELU_TANH: {
        mlc__vf inner = mlc__vmul(mlc__vset1(0.79788456080286536f),
                                  mlc__vfma(mlc__vmul(mlc__vset1(0.044715f), v), mlc__vmul(v, v), v));
        return mlc__vmul(mlc__vmul(half, v), mlc__vadd(one, mlc__vtanh(inner)));
    }
    case MLC_ACT_SILU:       return mlc__vmul(v, mlc__vsigmoid(v));
    case MLC_ACT_HARDSWISH:
        return mlc__vmul(v, mlc__vmul(mlc__vmin(mlc__vset1(6.0f), mlc__vmax(zero, mlc__vadd(v, mlc__vset1(3.0f)))),
                                      mlc__vset1(1.0f / 6.0f)));
    case MLC_ACT_HARDSIGMOID:
        return mlc__vmul(mlc__vmin(mlc__vset1(6.0f), mlc__vmax(zero, mlc__vadd(v, mlc__vset1(3.0f)))),
                         mlc__vset1(1.0f / 6.0f));
    case MLC_ACT_SOFTPLUS: { /* max(x,0) + log1p(e^-|x|); x itself above 20 */
        mlc__vf sp = mlc__vadd(mlc__vmax(zero, v), mlc__vlog1p_unit(mlc__vexp(mlc__vxor(mlc__vabs(v), mlc__vset1(-0.0f)))));
        return mlc__vselect(mlc__vlt(mlc__vset1(20.0f), v), v, mlc__vselect(mlc__visnan(v), v, sp));
    }
    case MLC_ACT_COUNT: break;
    }
    return v;
}

static float mlc__act_ref1(float x, mlc_act act, float alpha) {
    switch (act) {
    case MLC_ACT_NONE:        return x;
    case MLC_ACT_RELU:        return x > 0.0f ? x : (x != x ? x : 0.0f);
    case MLC_ACT_RELU6:       return x != x ? x : (x < 0.0f ? 0.0f : (x > 6.0f ? 6.0f : x));
    case MLC_ACT_LEAKY_RELU:  return x < 0.0f ? x * alpha : x;
    case MLC_ACT_SIGMOID:     return 1.0f / (1.0f + MLC_EXPF(-x));
    case MLC_ACT_TANH:        return MLC_TANHF(x);
    case MLC_ACT_GELU:        return 0.5f * x * (1.0f + MLC_ERFF(x * 0.70710678118654752f));
    case MLC_ACT_GELU_TANH:   return 0.5f * x * (1.0f + MLC_TANHF(0.79788456080286536f * (x + 0.044715f * x * x * x)));
    case MLC_ACT_SILU:        return x / (1.0f + MLC_EXPF(-x));
    case MLC_ACT_HARDSWISH:   return x != x ? x : x * (x <= -3.0f ? 0.0f : (x >= 3.0f ? 6.0f : x + 3.0f)) / 6.0f;
    case MLC_ACT_HARDSIGMOID: return x != x ? x : (x <= -3.0f ? 0.0f : (x >= 3.0f ? 1.0f : (x + 3.0f) / 6.0f));
    case MLC_ACT_SOFTPLUS:    return x > 20.0f ? x : MLC_LOG1PF(MLC_EXPF(x));
    case MLC_ACT_COUNT: break;
    }
    return x;
}

/* y[i] = EXPR(v) over n floats: full vectors, then one masked tail. */
#define MLC__MAP(y, x, n, EXPR) do {                                                    \
    size_t i_ = 0;                                                                       \
    for (; i_ + MLC__VW <= (n); i_ += MLC__VW) {                                         \
        mlc__vf v = mlc__vload((x) + i_); mlc__vstore((y) + i_, EXPR);                  \
    }                                                                                    \
    if (i_ < (n)) {                                                                      \
        mlc__vf v = mlc__vload_tail((x) + i_, (n) - i_); mlc__vstore_tail((y) + i_, EXPR, (n) - i_); \
    }                                                                                    \
} while (0)
#define MLC__MAP2(y, a, b, n, EXPR) do {                                                \
    size_t i_ = 0;                                                                       \
    for (; i_ + MLC__VW <= (n); i_ += MLC__VW) {                                         \
        mlc__vf va = mlc__vload((a) + i_), vb = mlc__vload((b) + i_); mlc__vstore((y) + i_, EXPR); \
    }                                                                                    \
    if (i_ < (n)) {                                                                      \
        mlc__vf va = mlc__vload_tail((a) + i_, (n) - i_), vb = mlc__vload_tail((b) + i_, (n) - i_); \
        mlc__vstore_tail((y) + i_, EXPR, (n) - i_);                                      \
    }                                                                                    \
} while (0)

#define MLC__CHECK_PTRS1(y, x, n) if ((n) && (!(y) || !(x))) return MLC_ERR_NULL
#define MLC__CHECK_PTRS2(y, a, b, n) if ((n) && (!(y) || !(a) || !(b))) return MLC_ERR_NULL

MLC_API mlc_result mlc_act_f32(float *y, const float *x, size_t n, mlc_act act, float alpha) {
    MLC__CHECK_PTRS1(y, x, n);
    if ((unsigned)act >= (unsigned)MLC_ACT_COUNT) return MLC_ERR_ARG;
    switch (act) {   /* the common cheap ones get their own loop */
    case MLC_ACT_NONE: if (y != x) memmove(y, x, n * sizeof(float)); break;
    case MLC_ACT_RELU: MLC__MAP(y, x, n, mlc__vmax(mlc__vset1(0.0f), v)); break;
    default:           MLC__MAP(y, x, n, mlc__vact(v, act, alpha)); break;
    }
    return MLC_OK;
}

MLC_API mlc_result mlc_act_ref_f32(float *y, const float *x, size_t n, mlc_act act, float alpha) {
    size_t i;
    MLC__CHECK_PTRS1(y, x, n);
    if ((unsigned)act >= (unsigned)MLC_ACT_COUNT) return MLC_ERR_ARG;
    for (i = 0; i < n; i++) y[i] = mlc__act_ref1(x[i], act, alpha);
    return MLC_OK;
}

MLC_API mlc_result mlc_exp_f32(float *y, const float *x, size_t n) {
    MLC__CHECK_PTRS1(y, x, n);
    MLC__MAP(y, x, n, mlc__vexp(v));
    return MLC_OK;
}
MLC_API mlc_result mlc_exp_ref_f32(float *y, const float *x, size_t n) {
    size_t i; MLC__CHECK_PTRS1(y, x, n);
    for (i = 0; i < n; i++) y[i] = MLC_EXPF(x[i]);
    return MLC_OK;
}
MLC_API mlc_result mlc_tanh_f32(float *y, const float *x, size_t n) {
    MLC__CHECK_PTRS1(y, x, n);
    MLC__MAP(y, x, n, mlc__vtanh(v));
    return MLC_OK;
}
MLC_API mlc_result mlc_tanh_ref_f32(float *y, const float *x, size_t n) {
    size_t i; MLC__CHECK_PTRS1(y, x, n);
    for (i = 0; i < n; i++) y[i] = MLC_TANHF(x[i]);
    return MLC_OK;
}

MLC_API mlc_result mlc_add_f32(float *y, const float *a, const float *b, size_t n) {
    MLC__CHECK_PTRS2(y, a, b, n);
    MLC__MAP2(y, a, b, n, mlc__vadd(va, vb));
    return MLC_OK;
}
MLC_API mlc_result mlc_add_ref_f32(float *y, const float *a, const float *b, size_t n) {
    size_t i; MLC__CHECK_PTRS2(y, a, b, n);
    for (i = 0; i < n; i++) y[i] = a[i] + b[i];
    return MLC_OK;
}
MLC_API mlc_result mlc_mul_f32(float *y, const float *a, const float *b, size_t n) {
    MLC__CHECK_PTRS2(y, a, b, n);
    MLC__MAP2(y, a, b, n, mlc__vmul(va, vb));
    return MLC_OK;
}
MLC_API mlc_result mlc_mul_ref_f32(float *y, const float *a, const float *b, size_t n) {
    size_t i; MLC__CHECK_PTRS2(y, a, b, n);
    for (i = 0; i < n; i++) y[i] = a[i] * b[i];
    return MLC_OK;
}
/* scale*x + shift is rounded once (fma) in the vector path and twice in the
   reference: they agree to 1 ulp. */
MLC_API mlc_result mlc_scale_f32(float *y, const float *x, float scale, float shift, size_t n) {
    MLC__CHECK_PTRS1(y, x, n);
    MLC__MAP(y, x, n, mlc__vfma(v, mlc__vset1(scale), mlc__vset1(shift)));
    return MLC_OK;
}
MLC_API mlc_result mlc_scale_ref_f32(float *y, const float *x, float scale, float shift, size_t n) {
    size_t i; MLC__CHECK_PTRS1(y, x, n);
    for (i = 0; i < n; i++) y[i] = x[i] * scale + shift;
    return MLC_OK;
}

/* ---- softmax over the middle axis of [outer, n, inner] --------------------
   Rows (inner == 1) run along memory; otherwise vectors run across inner. */
static void mlc__softmax_row(float *y, const float *x, size_t n, int log_form) {
    mlc__vf vmax = mlc__vset1(-INFINITY), vsum = mlc__vset1(0.0f);
    float mx, sum, off;
    size_t i = 0;
    for (; i + MLC__VW <= n; i += MLC__VW) vmax = mlc__vmax(vmax, mlc__vload(x + i));
    mx = mlc__vhmax(vmax);
    for (; i < n; i++) mx = x[i] > mx ? x[i] : mx;
    if (!log_form) {
        const mlc__vf m = mlc__vset1(mx);
        MLC__MAP(y, x, n, mlc__vexp(mlc__vsub(v, m)));
        for (i = 0; i + MLC__VW <= n; i += MLC__VW) vsum = mlc__vadd(vsum, mlc__vload(y + i));
        sum = mlc__vsum(vsum);
        for (; i < n; i++) sum += y[i];
        off = 1.0f / sum;
        MLC__MAP(y, y, n, mlc__vmul(v, mlc__vset1(off)));
    } else {
        const mlc__vf m = mlc__vset1(mx);
        for (i = 0; i + MLC__VW <= n; i += MLC__VW) vsum = mlc__vadd(vsum, mlc__vexp(mlc__vsub(mlc__vload(x + i), m)));
        if (i < n) {
            /* masked-off lanes hold 0 - mx: exp gives a value we must not add */
            float t[MLC__VW]; size_t j;
            mlc__vstore(t, mlc__vexp(mlc__vsub(mlc__vload_tail(x + i, n - i), m)));
            sum = mlc__vsum(vsum);
            for (j = 0; j < n - i; j++) sum += t[j];
        } else {
            sum = mlc__vsum(vsum);
        }
        /* (x - mx) - log(sum): rounding mx + log(sum) as one offset would
           cost half an ulp of mx on every output */
        off = MLC_LOGF(sum);
        MLC__MAP(y, x, n, mlc__vsub(mlc__vsub(v, m), mlc__vset1(off)));
    }
}

static void mlc__softmax_cols(float *y, const float *x, size_t n, size_t inner, int log_form) {
    size_t c = 0, i;
    for (; c < inner; c += MLC__VW) {
        size_t w = MLC__MIN((size_t)MLC__VW, inner - c);
        mlc__vf mx = mlc__vset1(-INFINITY), sum = mlc__vset1(0.0f), off;
        for (i = 0; i < n; i++) mx = mlc__vmax(mx, mlc__vload_tail(x + i * inner + c, w));
        for (i = 0; i < n; i++) {
            mlc__vf e = mlc__vexp(mlc__vsub(mlc__vload_tail(x + i * inner + c, w), mx));
            sum = mlc__vadd(sum, e);
            if (!log_form) mlc__vstore_tail(y + i * inner + c, e, w);
        }
        if (!log_form) {
            off = mlc__vdiv(mlc__vset1(1.0f), sum);
            for (i = 0; i < n; i++)
                mlc__vstore_tail(y + i * inner + c, mlc__vmul(mlc__vload_tail(y + i * inner + c, w), off), w);
        } else {
            float s[MLC__VW]; size_t j;
            mlc__vstore(s, sum);
            for (j = 0; j < w; j++) s[j] = MLC_LOGF(s[j]);
            off = mlc__vload_tail(s, w);
            for (i = 0; i < n; i++)
                mlc__vstore_tail(y + i * inner + c, mlc__vsub(mlc__vsub(mlc__vload_tail(x + i * inner + c, w), mx), off), w);
        }
    }
}

static mlc_result mlc__softmax(float *y, const float *x, size_t outer, size_t n, size_t inner, int log_form) {
    size_t o;
    if (!outer || !n || !inner) return MLC_OK;
    if (!y || !x) return MLC_ERR_NULL;
    for (o = 0; o < outer; o++) {
        if (inner == 1) mlc__softmax_row(y + o * n, x + o * n, n, log_form);
        else mlc__softmax_cols(y + o * n * inner, x + o * n * inner, n, inner, log_form);
    }
    return MLC_OK;
}

static mlc_result mlc__softmax_ref(float *y, const float *x, size_t outer, size_t n, size_t inner, int log_form) {
    size_t o, c, i;
    if (!outer || !n || !inner) return MLC_OK;
    if (!y || !x) return MLC_ERR_NULL;
    for (o = 0; o < outer; o++) for (c = 0; c < inner; c++) {
        const float *xs = x + o * n * inner + c;
        float *ys = y + o * n * inner + c;
        float mx = -INFINITY, sum = 0.0f;
        for (i = 0; i < n; i++) mx = xs[i * inner] > mx ? xs[i * inner] : mx;
        for (i = 0; i < n; i++) sum += MLC_EXPF(xs[i * inner] - mx);
        for (i = 0; i < n; i++)
            ys[i * inner] = log_form ? xs[i * inner] - mx - MLC_LOGF(sum) : MLC_EXPF(xs[i * inner] - mx) / sum;
    }
    return MLC_OK;
}

MLC_API mlc_result mlc_softmax_f32(float *y, const float *x, size_t outer, size_t n, size_t inner) { return mlc__softmax(y, x, outer, n, inner, 0); }
MLC_API mlc_result mlc_log_softmax_f32(float *y, const float *x, size_t outer, size_t n, size_t inner) { return mlc__softmax(y, x, outer, n, inner, 1); }
MLC_API mlc_result mlc_softmax_ref_f32(float *y, const float *x, size_t outer, size_t n, size_t inner) { return mlc__softmax_ref(y, x, outer, n, inner, 0); }
MLC_API mlc_result mlc_log_softmax_ref_f32(float *y, const float *x, size_t outer, size_t n, size_t inner) { return mlc__softmax_ref(y, x, outer, n, inner, 1); }

/* ---- tensor forms ---------------------------------------------------------- */
static mlc_result mlc__check_f32(const mlc_tensor *t) {
    mlc_result r = mlc_tensor_check(t);
    if (r != MLC_OK) return r;
    return t->dtype == MLC_F32 ? MLC_OK : MLC_ERR_DTYPE;
}
static int mlc__same_shape(const mlc_tensor *a, const mlc_tensor *b) {
    int i;
    if (a->rank != b->rank) return 0;
    for (i = 0; i < a->rank; i++) if (a->shape[i] != b->shape[i]) return 0;
    return 1;
}

MLC_API mlc_result mlc_activate(mlc_tensor *y, const mlc_tensor *x, mlc_act act, float alpha) {
    mlc_result r;
    if ((r = mlc__check_f32(x)) != MLC_OK || (r = mlc__check_f32(y)) != MLC_OK) return r;
    if (!mlc__same_shape(x, y)) return MLC_ERR_SHAPE;
    return mlc_act_f32((float *)y->data, (const float *)x->data, mlc_tensor_numel(x), act, alpha);
}

static mlc_result mlc__binary(mlc_tensor *y, const mlc_tensor *a, const mlc_tensor *b, int mul) {
    mlc_result r;
    size_t n, i, c;
    if ((r = mlc__check_f32(a)) != MLC_OK || (r = mlc__check_f32(b)) != MLC_OK ||
        (r = mlc__check_f32(y)) != MLC_OK) return r;
    if (!mlc__same_shape(a, y)) return MLC_ERR_SHAPE;
    n = mlc_tensor_numel(a);
    if (mlc__same_shape(a, b))
        return mul ? mlc_mul_f32((float *)y->data, (const float *)a->data, (const float *)b->data, n)
                   : mlc_add_f32((float *)y->data, (const float *)a->data, (const float *)b->data, n);
    if (b->rank != 1 || a->rank < 1 || b->shape[0] != a->shape[a->rank - 1]) return MLC_ERR_SHAPE;
    c = (size_t)b->shape[0];
    for (i = 0; i < n; i += c) {
        float *yr = (float *)y->data + i;
        const float *ar = (const float *)a->data + i;
        if (mul) mlc_mul_f32(yr, ar, (const float *)b->data, c);
        else     mlc_add_f32(yr, ar, (const float *)b->data, c);
    }
    return MLC_OK;
}
MLC_API mlc_result mlc_add(mlc_tensor *y, const mlc_tensor *a, const mlc_tensor *b) { return mlc__binary(y, a, b, 0); }
MLC_API mlc_result mlc_mul(mlc_tensor *y, const mlc_tensor *a, const mlc_tensor *b) { return mlc__binary(y, a, b, 1); }

static mlc_result mlc__softmax_t(mlc_tensor *y, const mlc_tensor *x, int axis, int log_form) {
    mlc_result r;
    size_t outer = 1, inner = 1;
    int i;
    if ((r = mlc__check_f32(x)) != MLC_OK || (r = mlc__check_f32(y)) != MLC_OK) return r;
    if (!mlc__same_shape(x, y)) return MLC_ERR_SHAPE;
    if (axis < 0) axis += x->rank;
    if (axis < 0 || axis >= x->rank) return MLC_ERR_ARG;
    for (i = 0; i < axis; i++) outer *= (size_t)x->shape[i];
    for (i = axis + 1; i < x->rank; i++) inner *= (size_t)x->shape[i];
    return mlc__softmax((float *)y->data, (const float *)x->data, outer, (size_t)x->shape[axis], inner, log_form);
}
MLC_API mlc_result mlc_softmax(mlc_tensor *y, const mlc_tensor *x, int axis) { return mlc__softmax_t(y, x, axis, 0); }
MLC_API mlc_result mlc_log_softmax(mlc_tensor *y, const mlc_tensor *x, int axis) { return mlc__softmax_t(y, x, axis, 1); }

// >>gemm -----------------------------------------------------------------
/* B (the weights) is packed once into panels of NR = two vectors of columns,
   each panel k rows of NR floats, zero-padded past n. Then:
     for each NC-wide block of panels              (KC x NC of B stays in L2)
       for each KC slice of K
         for each MR rows of A                     (MR x KC of A stays in L1)
           for each panel: the MR x NR micro-kernel, accumulators in
           registers, bias first and the activation after the last slice.
   A is read in place through MR row pointers: measured on AVX-512 this is as
   fast as packing A for large shapes and up to 2x faster when N is small
   (packing costs as much as the arithmetic when few panels reuse it), and it
   needs no scratch memory. MR is 8 rows (16 accumulators) for AVX-512 and
   NEON, 6 for AVX2 and SSE2 (16 registers), 4 for scalar; smaller tiles of
   4, 2 and 1 rows finish the last rows. */
#ifndef MLC_GEMM_KC
#define MLC_GEMM_KC 256
#endif
#ifndef MLC_GEMM_NC
#define MLC_GEMM_NC 1024
#endif
#define MLC__NR (2 * MLC__VW)
#if defined(MLC__AVX512) || defined(MLC__NEON)
#  define MLC__MR 8
#elif defined(MLC__SCALAR)
#  define MLC__MR 4
#else
#  define MLC__MR 6
#endif

typedef struct mlc__epi {
    int first, last;          /* first KC slice: start from bias; last: apply act */
    const float *bias;        /* at this panel's first column, or NULL */
    mlc_act act;
    float alpha;
} mlc__epi;

/* The two vectors of a row of C (or bias) with nr valid columns. */
MLC__INLINE mlc__vf mlc__ld0(const float *p, int nr) {
    return nr >= MLC__VW ? mlc__vload(p) : mlc__vload_tail(p, (size_t)nr);
}
MLC__INLINE mlc__vf mlc__ld1(const float *p, int nr) {
    return nr >= 2 * MLC__VW ? mlc__vload(p + MLC__VW)
         : nr > MLC__VW ? mlc__vload_tail(p + MLC__VW, (size_t)(nr - MLC__VW)) : mlc__vset1(0.0f);
}
MLC__INLINE void mlc__st2(float *p, int nr, mlc__vf v0, mlc__vf v1) {
    if (nr >= 2 * MLC__VW) { mlc__vstore(p, v0); mlc__vstore(p + MLC__VW, v1); }
    else if (nr > MLC__VW) { mlc__vstore(p, v0); mlc__vstore_tail(p + MLC__VW, v1, (size_t)(nr - MLC__VW)); }
    else mlc__vstore_tail(p, v0, (size_t)nr);
}

#define MLC__R2(X) X(0) X(1)
#define MLC__R4(X) MLC__R2(X) X(2) X(3)
#define MLC__R6(X) MLC__R4(X) X(4) X(5)
#define MLC__R8(X) MLC__R6(X) X(6) X(7)

/* Row i of the tile: its accumulators and its pointer into A (rows past mr
   repeat row mr-1; they are computed but never stored). */
#define MLC__K_DECL(i)  mlc__vf c##i##_0 = z0, c##i##_1 = z1; \
                        const float *a##i = a + (size_t)(i < mr ? i : mr - 1) * lda;
#define MLC__K_LOAD(i)  if (i < mr) { c##i##_0 = mlc__ld0(c + (size_t)i * ldc, nr); c##i##_1 = mlc__ld1(c + (size_t)i * ldc, nr); }
#define MLC__K_FMA(i)   { const mlc__vf av = mlc__vset1(a##i[k]); c##i##_0 = mlc__vfma(av, b0, c##i##_0); c##i##_1 = mlc__vfma(av, b1, c##i##_1); }
#define MLC__K_STORE(i) if (i < mr) { if (e->last) { c##i##_0 = mlc__vact(c##i##_0, e->act, e->alpha); \
                            c##i##_1 = mlc__vact(c##i##_1, e->act, e->alpha); } \
                        mlc__st2(c + (size_t)i * ldc, nr, c##i##_0, c##i##_1); }

/* C[mr x nr] (+)= A[mr x kc] (row stride lda) * Bpanel[kc x NR]. */
#define MLC__GEMM_KERNEL(NAME, ROWS)                                                           \
static void NAME(int kc, const float *MLC__RESTRICT a, size_t lda, const float *MLC__RESTRICT b, \
                 float *c, size_t ldc, int mr, int nr, const mlc__epi *e) {                    \
    mlc__vf z0 = mlc__vset1(0.0f), z1 = z0;                                                    \
    int k;                                                                                     \
    if (e->first && e->bias) { z0 = mlc__ld0(e->bias, nr); z1 = mlc__ld1(e->bias, nr); }       \
    {                                                                                          \
        ROWS(MLC__K_DECL)                                                                      \
        if (!e->first) { ROWS(MLC__K_LOAD) }                                                   \
        for (k = 0; k < kc; k++, b += MLC__NR) {                                               \
            const mlc__vf b0 = mlc__vload(b), b1 = mlc__vload(b + MLC__VW);                    \
            ROWS(MLC__K_FMA)                                                                   \
        }                                                                                      \
        ROWS(MLC__K_STORE)                                                                     \
    }                                                                                          \
}

MLC__GEMM_KERNEL(mlc__gemm_k2, MLC__R2)
MLC__GEMM_KERNEL(mlc__gemm_k4, MLC__R4)
#if MLC__MR == 6
MLC__GEMM_KERNEL(mlc__gemm_kmr, MLC__R6)
#elif MLC__MR == 8
MLC__GEMM_KERNEL(mlc__gemm_kmr, MLC__R8)
#endif

/* One row (matrix-vector): k unrolled by four into separate accumulators,
   since two FMA chains alone would wait on the FMA latency. */
static void mlc__gemm_k1(int kc, const float *MLC__RESTRICT a, size_t lda, const float *MLC__RESTRICT b,
                         float *c, size_t ldc, int mr, int nr, const mlc__epi *e) {
    mlc__vf s0 = mlc__vset1(0.0f), s1 = s0, t0 = s0, t1 = s0, u0 = s0, u1 = s0, w0 = s0, w1 = s0;
    int k = 0;
    MLC__UNUSED(lda); MLC__UNUSED(ldc); MLC__UNUSED(mr);
    if (e->first && e->bias) { s0 = mlc__ld0(e->bias, nr); s1 = mlc__ld1(e->bias, nr); }
    if (!e->first) { s0 = mlc__ld0(c, nr); s1 = mlc__ld1(c, nr); }
    for (; k + 4 <= kc; k += 4, b += 4 * MLC__NR) {
        s0 = mlc__vfma(mlc__vset1(a[k]), mlc__vload(b), s0);
        s1 = mlc__vfma(mlc__vset1(a[k]), mlc__vload(b + MLC__VW), s1);
        t0 = mlc__vfma(mlc__vset1(a[k + 1]), mlc__vload(b + MLC__NR), t0);
        t1 = mlc__vfma(mlc__vset1(a[k + 1]), mlc__vload(b + MLC__NR + MLC__VW), t1);
        u0 = mlc__vfma(mlc__vset1(a[k + 2]), mlc__vload(b + 2 * MLC__NR), u0);
        u1 = mlc__vfma(mlc__vset1(a[k + 2]), mlc__vload(b + 2 * MLC__NR + MLC__VW), u1);
        w0 = mlc__vfma(mlc__vset1(a[k + 3]), mlc__vload(b + 3 * MLC__NR), w0);
        w1 = mlc__vfma(mlc__vset1(a[k + 3]), mlc__vload(b + 3 * MLC__NR + MLC__VW), w1);
    }
    for (; k < kc; k++, b += MLC__NR) {
        s0 = mlc__vfma(mlc__vset1(a[k]), mlc__vload(b), s0);
        s1 = mlc__vfma(mlc__vset1(a[k]), mlc__vload(b + MLC__VW), s1);
    }
    s0 = mlc__vadd(mlc__vadd(s0, t0), mlc__vadd(u0, w0));
    s1 = mlc__vadd(mlc__vadd(s1, t1), mlc__vadd(u1, w1));
    if (e->last) { s0 = mlc__vact(s0, e->act, e->alpha); s1 = mlc__vact(s1, e->act, e->alpha); }
    mlc__st2(c, nr, s0, s1);
}

typedef void (*mlc__gemm_kernel_fn)(int, const float *, size_t, const float *, float *, size_t, int, int, const mlc__epi *);

/* The smallest tile with at least mr rows. */
static mlc__gemm_kernel_fn mlc__gemm_pick(int mr) {
    if (mr <= 1) return mlc__gemm_k1;
    if (mr <= 2) return mlc__gemm_k2;
#if MLC__MR > 4
    if (mr > 4) return mlc__gemm_kmr;
#endif
    return mlc__gemm_k4;
}

MLC_API size_t mlc_gemm_packed_b_floats(int n, int k) {
    if (n <= 0 || k <= 0) return 0;
    return (size_t)((n + MLC__NR - 1) / MLC__NR) * MLC__NR * (size_t)k;
}

/* Panel p holds columns [p*NR, p*NR+NR) of B as k rows of NR floats,
   zero-padded past n. */
MLC_API mlc_result mlc_gemm_pack_b_f32(float *packed, const float *b, int ldb, int b_is_nk, int n, int k) {
    int p, kk, j;
    if (!packed || !b) return MLC_ERR_NULL;
    if (n <= 0 || k <= 0 || ldb < (b_is_nk ? k : n)) return MLC_ERR_ARG;
    for (p = 0; p * MLC__NR < n; p++) {
        float *dst = packed + (size_t)p * MLC__NR * (size_t)k;
        int w = MLC__MIN(MLC__NR, n - p * MLC__NR);
        for (kk = 0; kk < k; kk++, dst += MLC__NR) {
            if (b_is_nk) for (j = 0; j < w; j++) dst[j] = b[(size_t)(p * MLC__NR + j) * (size_t)ldb + (size_t)kk];
            else memcpy(dst, b + (size_t)kk * (size_t)ldb + (size_t)p * MLC__NR, (size_t)w * sizeof(float));
            for (j = w; j < MLC__NR; j++) dst[j] = 0.0f;
        }
    }
    return MLC_OK;
}

typedef struct mlc__gemm_job {
    int m, n, k;
    const float *a; size_t lda;
    const float *bp;
    const float *bias;
    float *c; size_t ldc;
    mlc_act act; float alpha;
    int tiles_m, tiles_n;     /* the task grid */
} mlc__gemm_job;

/* Rows [m0, m1) x panels [p0, p1) of C. */
static void mlc__gemm_block(const mlc__gemm_job *j, int m0, int m1, int p0, int p1) {
    const int ncp = MLC__MAX(1, MLC_GEMM_NC / MLC__NR);
    int jc, pc, ir, p;
    mlc__epi e;
    e.act = j->act; e.alpha = j->alpha;
    for (jc = p0; jc < p1; jc += ncp) {
        int pe = MLC__MIN(p1, jc + ncp);
        for (pc = 0; pc < j->k; pc += MLC_GEMM_KC) {
            int kc = MLC__MIN(MLC_GEMM_KC, j->k - pc);
            e.first = pc == 0;
            e.last = pc + kc == j->k;
            for (ir = m0; ir < m1; ir += MLC__MR) {
                int mr = MLC__MIN(MLC__MR, m1 - ir);
                mlc__gemm_kernel_fn kern = mlc__gemm_pick(mr);
                const float *a = j->a + (size_t)ir * j->lda + (size_t)pc;
                for (p = jc; p < pe; p++) {
                    int col = p * MLC__NR, nr = MLC__MIN(MLC__NR, j->n - col);
                    e.bias = j->bias ? j->bias + col : NULL;
                    kern(kc, a, j->lda, j->bp + (size_t)p * MLC__NR * (size_t)j->k + (size_t)pc * MLC__NR,
                         j->c + (size_t)ir * j->ldc + (size_t)col, j->ldc, mr, nr, &e);
                }
            }
        }
    }
}

static void mlc__gemm_task(void *arg, int t) {
    const mlc__gemm_job *j = (const mlc__gemm_job *)arg;
    int panels = (j->n + MLC__NR - 1) / MLC__NR;
    int mblocks = (j->m + MLC__MR - 1) / MLC__MR;
    int ti = t / j->tiles_n, tj = t % j->tiles_n;
    int b0 = (int)((long long)mblocks * ti / j->tiles_m), b1 = (int)((long long)mblocks * (ti + 1) / j->tiles_m);
    int p0 = (int)((long long)panels * tj / j->tiles_n), p1 = (int)((long long)panels * (tj + 1) / j->tiles_n);
    if (b0 < b1 && p0 < p1) mlc__gemm_block(j, b0 * MLC__MR, MLC__MIN(j->m, b1 * MLC__MR), p0, p1);
}

static mlc_result mlc__gemm_args(int m, int n, int k, const void *a, int lda, const void *c, int ldc, mlc_act act) {
    if (!a || !c) return MLC_ERR_NULL;
    if (m <= 0 || n <= 0 || k <= 0 || lda < k || ldc < n) return MLC_ERR_ARG;
    if ((unsigned)act >= (unsigned)MLC_ACT_COUNT) return MLC_ERR_ARG;
    return MLC_OK;
}

MLC_API mlc_result mlc_gemm_packed_f32(const mlc_ctx *ctx, int m, int n, int k,
                                       const float *a, int lda, const float *packed_b,
                                       const float *bias, float *c, int ldc,
                                       mlc_act act, float alpha) {
    mlc__gemm_job j;
    mlc_result r = mlc__gemm_args(m, n, k, a, lda, c, ldc, act);
    int threads;
    if (r != MLC_OK) return r;
    if (!packed_b) return MLC_ERR_NULL;
    j.m = m; j.n = n; j.k = k; j.a = a; j.lda = (size_t)lda; j.bp = packed_b; j.bias = bias;
    j.c = c; j.ldc = (size_t)ldc; j.act = act; j.alpha = alpha;
    j.tiles_m = j.tiles_n = 1;
    threads = (ctx && ctx->parallel_for && ctx->n_threads > 1) ? ctx->n_threads : 1;
    /* below ~1 MFLOP a split costs more than it saves */
    if (threads > 1 && (double)m * n * k >= 5e5) {
        int panels = (n + MLC__NR - 1) / MLC__NR, mblocks = (m + MLC__MR - 1) / MLC__MR;
        /* split the longer side in units of blocks; both if needed */
        if (panels >= threads && panels >= mblocks) j.tiles_n = threads;
        else if (mblocks >= threads) j.tiles_m = threads;
        else { j.tiles_m = MLC__MAX(1, MLC__MIN(mblocks, threads)); j.tiles_n = MLC__MAX(1, MLC__MIN(panels, threads / j.tiles_m)); }
        ctx->parallel_for(ctx->user, mlc__gemm_task, &j, j.tiles_m * j.tiles_n);
    } else {
        mlc__gemm_task(&j, 0);
    }
    return MLC_OK;
}

MLC_API mlc_result mlc_gemm_f32(const mlc_ctx *ctx, int m, int n, int k,
                                const float *a, int lda, const float *b, int ldb, int b_is_nk,
                                const float *bias, float *c, int ldc,
                                mlc_act act, float alpha, mlc_arena *scratch) {
    mlc_result r = mlc__gemm_args(m, n, k, a, lda, c, ldc, act);
    size_t mark;
    float *bp;
    if (r != MLC_OK) return r;
    if (!b || !scratch) return MLC_ERR_NULL;
    if (ldb < (b_is_nk ? k : n)) return MLC_ERR_ARG;
    mark = mlc_arena_mark(scratch);
    bp = (float *)mlc_arena_alloc(scratch, mlc_gemm_packed_b_floats(n, k) * sizeof(float), 64);
    if (!bp) return MLC_ERR_NOMEM;
    mlc_gemm_pack_b_f32(bp, b, ldb, b_is_nk, n, k);
    r = mlc_gemm_packed_f32(ctx, m, n, k, a, lda, bp, bias, c, ldc, act, alpha);
    mlc_arena_reset(scratch, mark);
    return r;
}

MLC_API mlc_result mlc_gemm_ref_f32(int m, int n, int k,
                                    const float *a, int lda, const float *b, int ldb, int b_is_nk,
                                    const float *bias, float *c, int ldc,
                                    mlc_act act, float alpha) {
    mlc_result r = mlc__gemm_args(m, n, k, a, lda, c, ldc, act);
    int i, jj, kk;
    if (r != MLC_OK) return r;
    if (!b) return MLC_ERR_NULL;
    if (ldb < (b_is_nk ? k : n)) return MLC_ERR_ARG;
    for (i = 0; i < m; i++) for (jj = 0; jj < n; jj++) {
        float s = bias ? bias[jj] : 0.0f;
        for (kk = 0; kk < k; kk++)
            s += a[(size_t)i * (size_t)lda + (size_t)kk] *
                 (b_is_nk ? b[(size_t)jj * (size_t)ldb + (size_t)kk] : b[(size_t)kk * (size_t)ldb + (size_t)jj]);
        c[(size_t)i * (size_t)ldc + (size_t)jj] = mlc__act_ref1(s, act, alpha);
    }
    return MLC_OK;
}

// >>io -------------------------------------------------------------------
/* Little-endian reads that work on any alignment and any host. */
static uint32_t mlc__le32(const unsigned char *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static uint64_t mlc__le64(const unsigned char *p) {
    return (uint64_t)mlc__le32(p) | ((uint64_t)mlc__le32(p + 4) << 32);
}
/* Element i of a float tensor stored as dt, as float (0 for other dtypes). */
static float mlc__elem_f32(const unsigned char *p, mlc_dtype dt, size_t i) {
    switch (dt) {
    case MLC_F32:  return mlc__bits_f32(mlc__le32(p + 4 * i));
    case MLC_F16:  return mlc_f16_to_f32((uint16_t)(p[2 * i] | (p[2 * i + 1] << 8)));
    case MLC_BF16: return mlc_bf16_to_f32((uint16_t)(p[2 * i] | (p[2 * i + 1] << 8)));
    case MLC_F64: { uint64_t u = mlc__le64(p + 8 * i); double d; memcpy(&d, &u, 8); return (float)d; }
    default: return 0.0f;
    }
}
static int mlc__is_float_dtype(mlc_dtype dt) {
    return dt == MLC_F32 || dt == MLC_F16 || dt == MLC_BF16 || dt == MLC_F64;
}

/* ---- a strict JSON reader, just enough for safetensors headers ---------- */
typedef struct mlc__json { const unsigned char *p, *end; } mlc__json;

static void mlc__ws(mlc__json *j) {
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')) j->p++;
}
static int mlc__eat(mlc__json *j, unsigned char c) {
    mlc__ws(j);
    if (j->p < j->end && *j->p == c) { j->p++; return 1; }
    return 0;
}
static int mlc__hex4(const unsigned char *p, uint32_t *v) {
    int i; *v = 0;
    for (i = 0; i < 4; i++) {
        unsigned char c = p[i];
        uint32_t d = (c >= '0' && c <= '9') ? (uint32_t)(c - '0') : (c >= 'a' && c <= 'f') ? (uint32_t)(c - 'a' + 10)
                   : (c >= 'A' && c <= 'F') ? (uint32_t)(c - 'A' + 10) : 16u;
        if (d > 15) return 0;
        *v = (*v << 4) | d;
    }
    return 1;
}
/* Reads a string; writes its UTF-8 decoding to out (if not NULL) and its
   length to *len. Rejects control characters, bad escapes, lone surrogates
   and \u0000 (names are NUL-terminated). */
static mlc_result mlc__json_string(mlc__json *j, char *out, size_t *len) {
    size_t n = 0;
    if (!mlc__eat(j, '"')) return MLC_ERR_FORMAT;
    for (;;) {
        unsigned char c;
        uint32_t cp;
        if (j->p >= j->end) return MLC_ERR_FORMAT;
        c = *j->p++;
        if (c == '"') break;
        if (c < 0x20) return MLC_ERR_FORMAT;
        if (c != '\\') { if (out) out[n] = (char)c; n++; continue; }
        if (j->p >= j->end) return MLC_ERR_FORMAT;
        c = *j->p++;
        switch (c) {
        case '"': case '\\': case '/': cp = c; break;
        case 'b': cp = '\b'; break;
        case 'f': cp = '\f'; break;
        case 'n': cp = '\n'; break;
        case 'r': cp = '\r'; break;
        case 't': cp = '\t'; break;
        case 'u':
            if (j->end - j->p < 4 || !mlc__hex4(j->p, &cp)) return MLC_ERR_FORMAT;
            j->p += 4;
            if (cp >= 0xdc00 && cp <= 0xdfff) return MLC_ERR_FORMAT;
            if (cp >= 0xd800 && cp <= 0xdbff) {
                uint32_t lo;
                if (j->end - j->p < 6 || j->p[0] != '\\' || j->p[1] != 'u' || !mlc__hex4(j->p + 2, &lo) ||
                    lo < 0xdc00 || lo > 0xdfff) return MLC_ERR_FORMAT;
                j->p += 6;
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            }
            if (cp == 0) return MLC_ERR_FORMAT;
            break;
        default: return MLC_ERR_FORMAT;
        }
        if (cp < 0x80) { if (out) out[n] = (char)cp; n += 1; }
        else if (cp < 0x800) { if (out) { out[n] = (char)(0xc0 | (cp >> 6)); out[n + 1] = (char)(0x80 | (cp & 0x3f)); } n += 2; }
        else if (cp < 0x10000) { if (out) { out[n] = (char)(0xe0 | (cp >> 12)); out[n + 1] = (char)(0x80 | ((cp >> 6) & 0x3f));
                                            out[n + 2] = (char)(0x80 | (cp & 0x3f)); } n += 3; }
        else { if (out) { out[n] = (char)(0xf0 | (cp >> 18)); out[n + 1] = (char)(0x80 | ((cp >> 12) & 0x3f));
                          out[n + 2] = (char)(0x80 | ((cp >> 6) & 0x3f)); out[n + 3] = (char)(0x80 | (cp & 0x3f)); } n += 4; }
    }
    if (len) *len = n;
    return MLC_OK;
}
/* A non-negative integer without sign, fraction, exponent or leading zeros. */
static mlc_result mlc__json_uint(mlc__json *j, uint64_t *v) {
    const unsigned char *s;
    mlc__ws(j);
    s = j->p;
    *v = 0;
    while (j->p < j->end && *j->p >= '0' && *j->p <= '9') {
        uint64_t d = (uint64_t)(*j->p - '0');
        if (*v > (UINT64_MAX - d) / 10) return MLC_ERR_FORMAT;
        *v = *v * 10 + d;
        j->p++;
    }
    if (j->p == s || (j->p - s > 1 && *s == '0')) return MLC_ERR_FORMAT;
    if (j->p < j->end && (*j->p == '.' || *j->p == 'e' || *j->p == 'E')) return MLC_ERR_FORMAT;
    return MLC_OK;
}
/* Skips any JSON value (for unknown keys), nesting at most 32 deep. */
static mlc_result mlc__json_skip(mlc__json *j, int depth) {
    mlc_result r;
    mlc__ws(j);
    if (j->p >= j->end || depth > 32) return MLC_ERR_FORMAT;
    if (*j->p == '"') return mlc__json_string(j, NULL, NULL);
    if (*j->p == '{' || *j->p == '[') {
        unsigned char close = *j->p == '{' ? '}' : ']';
        int obj = *j->p == '{';
        j->p++;
        if (mlc__eat(j, close)) return MLC_OK;
        do {
            if (obj) {
                if ((r = mlc__json_string(j, NULL, NULL)) != MLC_OK) return r;
                if (!mlc__eat(j, ':')) return MLC_ERR_FORMAT;
            }
            if ((r = mlc__json_skip(j, depth + 1)) != MLC_OK) return r;
        } while (mlc__eat(j, ','));
        return mlc__eat(j, close) ? MLC_OK : MLC_ERR_FORMAT;
    }
    {   /* true, false, null, or a number */
        static const char *const words[3] = { "true", "false", "null" };
        int w;
        const unsigned char *s = j->p;
        for (w = 0; w < 3; w++) {
            size_t l = strlen(words[w]);
            if ((size_t)(j->end - j->p) >= l && memcmp(j->p, words[w], l) == 0) { j->p += l; return MLC_OK; }
        }
        if (j->p < j->end && *j->p == '-') j->p++;
        if (j->p >= j->end || *j->p < '0' || *j->p > '9') return MLC_ERR_FORMAT;
        if (*j->p == '0') j->p++; else while (j->p < j->end && *j->p >= '0' && *j->p <= '9') j->p++;
        if (j->p < j->end && *j->p == '.') {
            j->p++;
            if (j->p >= j->end || *j->p < '0' || *j->p > '9') return MLC_ERR_FORMAT;
            while (j->p < j->end && *j->p >= '0' && *j->p <= '9') j->p++;
        }
        if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
            j->p++;
            if (j->p < j->end && (*j->p == '+' || *j->p == '-')) j->p++;
            if (j->p >= j->end || *j->p < '0' || *j->p > '9') return MLC_ERR_FORMAT;
            while (j->p < j->end && *j->p >= '0' && *j->p <= '9') j->p++;
        }
        return j->p > s ? MLC_OK : MLC_ERR_FORMAT;
    }
}
/* Is the string at j->p (still encoded) exactly the plain ASCII key? */
static int mlc__json_key_is(const mlc__json *j, const char *key) {
    size_t l = strlen(key);
    return (size_t)(j->end - j->p) >= l + 2 && j->p[0] == '"' && memcmp(j->p + 1, key, l) == 0 && j->p[l + 1] == '"';
}

static mlc_result mlc__st_dtype(const char *s, size_t n, mlc_dtype *dt) {
    int i;
    for (i = 0; i < (int)MLC_DTYPE_COUNT; i++)
        if (strlen(mlc__dtype_names[i]) == n && memcmp(mlc__dtype_names[i], s, n) == 0) { *dt = (mlc_dtype)i; return MLC_OK; }
    if (n >= 3 && memcmp(s, "F8_", 3) == 0) return MLC_ERR_UNSUPPORTED;
    return MLC_ERR_FORMAT;
}

/* One tensor's info object: {"dtype": ..., "shape": [...], "data_offsets": [b, e]} */
static mlc_result mlc__st_info(mlc__json *j, mlc_st_tensor *t, uint64_t *begin, uint64_t *end) {
    int have_dtype = 0, have_shape = 0, have_off = 0;
    mlc_result r;
    if (!mlc__eat(j, '{')) return MLC_ERR_FORMAT;
    if (mlc__eat(j, '}')) return MLC_ERR_FORMAT;
    do {
        mlc__ws(j);
        if (mlc__json_key_is(j, "dtype")) {
            char s[16]; size_t n;
            mlc__json probe = *j;
            if (have_dtype++) return MLC_ERR_FORMAT;
            j->p += 7;
            if (!mlc__eat(j, ':')) return MLC_ERR_FORMAT;
            probe = *j;
            if ((r = mlc__json_string(&probe, NULL, &n)) != MLC_OK) return r;
            if (n >= sizeof s) return MLC_ERR_FORMAT;
            if ((r = mlc__json_string(j, s, &n)) != MLC_OK) return r;
            if ((r = mlc__st_dtype(s, n, &t->dtype)) != MLC_OK) return r;
        } else if (mlc__json_key_is(j, "shape")) {
            if (have_shape++) return MLC_ERR_FORMAT;
            j->p += 7;
            if (!mlc__eat(j, ':') || !mlc__eat(j, '[')) return MLC_ERR_FORMAT;
            t->rank = 0;
            if (!mlc__eat(j, ']')) {
                do {
                    uint64_t d;
                    if ((r = mlc__json_uint(j, &d)) != MLC_OK) return r;
                    if (t->rank >= MLC_MAX_RANK || d > (uint64_t)INT_MAX) return MLC_ERR_UNSUPPORTED;
                    t->shape[t->rank++] = (int)d;
                } while (mlc__eat(j, ','));
                if (!mlc__eat(j, ']')) return MLC_ERR_FORMAT;
            }
        } else if (mlc__json_key_is(j, "data_offsets")) {
            if (have_off++) return MLC_ERR_FORMAT;
            j->p += 14;
            if (!mlc__eat(j, ':') || !mlc__eat(j, '[')) return MLC_ERR_FORMAT;
            if ((r = mlc__json_uint(j, begin)) != MLC_OK) return r;
            if (!mlc__eat(j, ',')) return MLC_ERR_FORMAT;
            if ((r = mlc__json_uint(j, end)) != MLC_OK) return r;
            if (!mlc__eat(j, ']')) return MLC_ERR_FORMAT;
        } else {
            if ((r = mlc__json_string(j, NULL, NULL)) != MLC_OK) return r;
            if (!mlc__eat(j, ':')) return MLC_ERR_FORMAT;
            if ((r = mlc__json_skip(j, 0)) != MLC_OK) return r;
        }
    } while (mlc__eat(j, ','));
    if (!mlc__eat(j, '}')) return MLC_ERR_FORMAT;
    return (have_dtype && have_shape && have_off) ? MLC_OK : MLC_ERR_FORMAT;
}

typedef struct mlc__range { uint64_t begin, end; } mlc__range;
static int mlc__range_cmp(const void *a, const void *b) {
    const mlc__range *x = (const mlc__range *)a, *y = (const mlc__range *)b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end) return x->end < y->end ? -1 : 1;
    return 0;
}
static int mlc__st_name_cmp(const void *a, const void *b) {
    return strcmp(((const mlc_st_tensor *)a)->name, ((const mlc_st_tensor *)b)->name);
}

/* Walks the header object. Pass 0 validates and counts tensors and name
   bytes; pass 1 fills tensors, names and ranges (sized by pass 0). */
static mlc_result mlc__st_walk(mlc_safetensors *st, const unsigned char *hdr, size_t hlen, int pass,
                               int *count, size_t *name_bytes, char *names, mlc__range *ranges) {
    mlc__json j;
    mlc_result r;
    int n = 0, have_meta = 0;
    size_t nb = 0;
    j.p = hdr; j.end = hdr + hlen;
    if (!mlc__eat(&j, '{')) return MLC_ERR_FORMAT;
    if (!mlc__eat(&j, '}')) {
        do {
            mlc_st_tensor t;
            uint64_t begin = 0, end = 0, bytes;
            size_t len;
            int i;
            mlc__ws(&j);
            if (mlc__json_key_is(&j, "__metadata__")) {   /* {string: string} */
                if (have_meta++) return MLC_ERR_FORMAT;
                j.p += 14;
                if (!mlc__eat(&j, ':') || !mlc__eat(&j, '{')) return MLC_ERR_FORMAT;
                if (!mlc__eat(&j, '}')) {
                    do {
                        if ((r = mlc__json_string(&j, NULL, NULL)) != MLC_OK) return r;
                        if (!mlc__eat(&j, ':')) return MLC_ERR_FORMAT;
                        if ((r = mlc__json_string(&j, NULL, NULL)) != MLC_OK) return r;
                    } while (mlc__eat(&j, ','));
                    if (!mlc__eat(&j, '}')) return MLC_ERR_FORMAT;
                }
                continue;
            }
            memset(&t, 0, sizeof t);
            {
                mlc__json probe = j;
                if ((r = mlc__json_string(&probe, NULL, &len)) != MLC_OK) return r;
            }
            if (pass == 1) {
                if (n >= *count || nb + len + 1 > *name_bytes) return MLC_ERR_FORMAT; /* cannot happen */
                t.name = names + nb;
                if ((r = mlc__json_string(&j, names + nb, &len)) != MLC_OK) return r;
                names[nb + len] = '\0';
            } else if ((r = mlc__json_string(&j, NULL, &len)) != MLC_OK) return r;
            nb += len + 1;
            if (!mlc__eat(&j, ':')) return MLC_ERR_FORMAT;
            if ((r = mlc__st_info(&j, &t, &begin, &end)) != MLC_OK) return r;
            t.numel = 1;
            for (i = 0; i < t.rank; i++) t.numel *= (size_t)t.shape[i];   /* bounded below */
            bytes = mlc_dtype_size(t.dtype);
            for (i = 0; i < t.rank; i++) {
                if (t.shape[i] && bytes > UINT64_MAX / (uint64_t)t.shape[i]) return MLC_ERR_FORMAT;
                bytes *= (uint64_t)t.shape[i];
            }
            if (begin > end || end > (uint64_t)st->data_size) return MLC_ERR_BOUNDS;
            if (end - begin != bytes) return MLC_ERR_FORMAT;
            if (pass == 1) {
                t.data = st->data + (size_t)begin;
                t.nbytes = (size_t)bytes;
                st->tensors[n] = t;
                ranges[n].begin = begin; ranges[n].end = end;
            }
            if (n == INT_MAX) return MLC_ERR_UNSUPPORTED;
            n++;
        } while (mlc__eat(&j, ','));
        if (!mlc__eat(&j, '}')) return MLC_ERR_FORMAT;
    }
    mlc__ws(&j);
    if (j.p != j.end) return MLC_ERR_FORMAT;   /* only padding may follow */
    *count = n;
    *name_bytes = nb;
    return MLC_OK;
}

MLC_API mlc_result mlc_st_parse(mlc_safetensors *st, const void *buffer, size_t size, mlc_arena *arena) {
    const unsigned char *buf = (const unsigned char *)buffer;
    uint64_t hlen;
    int count = 0, i;
    size_t name_bytes = 0, mark;
    char *names;
    mlc__range *ranges;
    uint64_t pos = 0;
    mlc_result r;
    if (!st || !buffer || !arena) return MLC_ERR_NULL;
    memset(st, 0, sizeof *st);
    if (size < 8) return MLC_ERR_TRUNCATED;
    hlen = mlc__le64(buf);
    if (hlen > (uint64_t)(size - 8)) return MLC_ERR_TRUNCATED;
    if (hlen < 2) return MLC_ERR_FORMAT;
    st->buffer = buf; st->size = size;
    st->data = buf + 8 + (size_t)hlen;
    st->data_size = size - 8 - (size_t)hlen;
    if ((r = mlc__st_walk(st, buf + 8, (size_t)hlen, 0, &count, &name_bytes, NULL, NULL)) != MLC_OK) goto fail;
    mark = mlc_arena_mark(arena);
    st->tensors = (mlc_st_tensor *)mlc_arena_alloc(arena, (size_t)count * sizeof(mlc_st_tensor) + 1, 16);
    names = (char *)mlc_arena_alloc(arena, name_bytes + 1, 1);
    if (!st->tensors || !names) { mlc_arena_reset(arena, mark); r = MLC_ERR_NOMEM; goto fail; }
    {
        size_t keep = mlc_arena_mark(arena);   /* ranges are scratch, released below */
        ranges = (mlc__range *)mlc_arena_alloc(arena, (size_t)count * sizeof(mlc__range) + 1, 16);
        if (!ranges) { mlc_arena_reset(arena, mark); r = MLC_ERR_NOMEM; goto fail; }
        r = mlc__st_walk(st, buf + 8, (size_t)hlen, 1, &count, &name_bytes, names, ranges);
        if (r == MLC_OK) {
            /* the byte buffer must be covered exactly: no overlap, no hole */
            qsort(ranges, (size_t)count, sizeof *ranges, mlc__range_cmp);
            for (i = 0; i < count && r == MLC_OK; i++) {
                if (ranges[i].begin != pos) r = MLC_ERR_BOUNDS;
                pos = ranges[i].end;
            }
            if (r == MLC_OK && pos != (uint64_t)st->data_size) r = MLC_ERR_BOUNDS;
        }
        mlc_arena_reset(arena, keep);
        if (r != MLC_OK) { mlc_arena_reset(arena, mark); goto fail; }
    }
    qsort(st->tensors, (size_t)count, sizeof *st->tensors, mlc__st_name_cmp);
    for (i = 1; i < count; i++)
        if (strcmp(st->tensors[i - 1].name, st->tensors[i].name) == 0) { mlc_arena_reset(arena, mark); r = MLC_ERR_FORMAT; goto fail; }
    st->count = count;
    return MLC_OK;
fail:
    memset(st, 0, sizeof *st);
    return r;
}

MLC_API const mlc_st_tensor *mlc_st_find(const mlc_safetensors *st, const char *name) {
    int lo = 0, hi;
    if (!st || !name || !st->tensors) return NULL;
    hi = st->count - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2, c = strcmp(st->tensors[mid].name, name);
        if (c == 0) return &st->tensors[mid];
        if (c < 0) lo = mid + 1; else hi = mid - 1;
    }
    return NULL;
}

MLC_API mlc_result mlc_st_read_f32(const mlc_safetensors *st, const char *name,
                                   int rank, const int *shape, float *dst, size_t count) {
    const mlc_st_tensor *t;
    size_t i;
    if (!st || !name || (count && !dst) || (rank > 0 && !shape)) return MLC_ERR_NULL;
    if (!(t = mlc_st_find(st, name))) return MLC_ERR_NOT_FOUND;
    if (rank >= 0) {
        if (t->rank != rank) return MLC_ERR_SHAPE;
        for (i = 0; i < (size_t)rank; i++) if (t->shape[i] != shape[i]) return MLC_ERR_SHAPE;
    }
    if (t->numel != count) return MLC_ERR_SHAPE;
    if (!mlc__is_float_dtype(t->dtype)) return MLC_ERR_DTYPE;
    for (i = 0; i < count; i++) dst[i] = mlc__elem_f32(t->data, t->dtype, i);
    return MLC_OK;
}

#ifndef MLC_NO_STDIO
MLC_API mlc_result mlc_file_load(const char *path, void **data, size_t *size) {
    FILE *f;
    long len;
    unsigned char *buf;
    if (!path || !data || !size) return MLC_ERR_NULL;
    *data = NULL; *size = 0;
    if (!(f = fopen(path, "rb"))) return MLC_ERR_IO;
    /* a directory opens on some systems but cannot be read */
    if (fgetc(f) == EOF && ferror(f)) { fclose(f); return MLC_ERR_IO; }
    if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 || len == LONG_MAX ||
        (unsigned long)len >= (unsigned long)((size_t)-1 >> 1) || fseek(f, 0, SEEK_SET) != 0) { fclose(f); return MLC_ERR_IO; }
    buf = (unsigned char *)MLC_MALLOC((size_t)len + 1);
    if (!buf) { fclose(f); return MLC_ERR_NOMEM; }
    if (fread(buf, 1, (size_t)len, f) != (size_t)len) { MLC_FREE(buf); fclose(f); return MLC_ERR_IO; }
    fclose(f);
    *data = buf; *size = (size_t)len;
    return MLC_OK;
}
MLC_API void mlc_file_free(void *data) { if (data) MLC_FREE(data); }
#endif

/* ---- linear layer ---------------------------------------------------------- */
/* Packs B from any float dtype (f32 fast path) into the GEMM panel layout. */
static void mlc__pack_b(float *packed, const unsigned char *src, mlc_dtype dt, size_t ldb, int b_is_nk, int n, int k) {
    int p, kk, j;
    for (p = 0; p * MLC__NR < n; p++) {
        float *dst = packed + (size_t)p * MLC__NR * (size_t)k;
        int w = MLC__MIN(MLC__NR, n - p * MLC__NR);
        for (kk = 0; kk < k; kk++, dst += MLC__NR) {
            for (j = 0; j < w; j++) {
                size_t col = (size_t)(p * MLC__NR + j);
                dst[j] = mlc__elem_f32(src, dt, b_is_nk ? col * ldb + (size_t)kk : (size_t)kk * ldb + col);
            }
            for (j = w; j < MLC__NR; j++) dst[j] = 0.0f;
        }
    }
}

MLC_API size_t mlc_linear_arena_bytes(int in_features, int out_features, int has_bias) {
    size_t b = mlc_gemm_packed_b_floats(out_features, in_features) * sizeof(float) + 64;
    if (has_bias && out_features > 0) b += (size_t)out_features * sizeof(float) + 64;
    return b;
}

static mlc_result mlc__linear_alloc(mlc_linear *l, int in_features, int out_features, int has_bias, mlc_arena *arena) {
    size_t mark = mlc_arena_mark(arena);
    memset(l, 0, sizeof *l);
    if (in_features <= 0 || out_features <= 0) return MLC_ERR_ARG;
    l->packed_w = (float *)mlc_arena_alloc(arena, mlc_gemm_packed_b_floats(out_features, in_features) * sizeof(float), 64);
    if (has_bias) l->bias = (float *)mlc_arena_alloc(arena, (size_t)out_features * sizeof(float), 64);
    if (!l->packed_w || (has_bias && !l->bias)) { mlc_arena_reset(arena, mark); memset(l, 0, sizeof *l); return MLC_ERR_NOMEM; }
    l->in_features = in_features; l->out_features = out_features;
    return MLC_OK;
}

MLC_API mlc_result mlc_linear_init(mlc_linear *l, const float *weight, const float *bias,
                                   int in_features, int out_features, mlc_arena *arena) {
    mlc_result r;
    if (!l || !weight || !arena) return MLC_ERR_NULL;
    if ((r = mlc__linear_alloc(l, in_features, out_features, bias != NULL, arena)) != MLC_OK) return r;
    mlc_gemm_pack_b_f32(l->packed_w, weight, in_features, 1, out_features, in_features);
    if (bias) memcpy(l->bias, bias, (size_t)out_features * sizeof(float));
    return MLC_OK;
}

MLC_API mlc_result mlc_linear_load(mlc_linear *l, const mlc_safetensors *st, const char *prefix, mlc_arena *arena) {
    char name[256];
    const mlc_st_tensor *w, *b;
    size_t plen;
    mlc_result r;
    int i;
    if (!l || !st || !prefix || !arena) return MLC_ERR_NULL;
    memset(l, 0, sizeof *l);
    plen = strlen(prefix);
    if (plen + 8 > sizeof name) return MLC_ERR_ARG;
    memcpy(name, prefix, plen); memcpy(name + plen, ".weight", 8);
    if (!(w = mlc_st_find(st, name))) return MLC_ERR_NOT_FOUND;
    memcpy(name + plen, ".bias", 6);
    b = mlc_st_find(st, name);
    if (w->rank != 2 || w->shape[0] <= 0 || w->shape[1] <= 0) return MLC_ERR_SHAPE;
    if (!mlc__is_float_dtype(w->dtype) || (b && !mlc__is_float_dtype(b->dtype))) return MLC_ERR_DTYPE;
    if (b && (b->rank != 1 || b->shape[0] != w->shape[0])) return MLC_ERR_SHAPE;
    if ((r = mlc__linear_alloc(l, w->shape[1], w->shape[0], b != NULL, arena)) != MLC_OK) return r;
    mlc__pack_b(l->packed_w, w->data, w->dtype, (size_t)w->shape[1], 1, w->shape[0], w->shape[1]);
    if (b) for (i = 0; i < w->shape[0]; i++) l->bias[i] = mlc__elem_f32(b->data, b->dtype, (size_t)i);
    return MLC_OK;
}

MLC_API mlc_result mlc_linear_forward(const mlc_linear *l, const mlc_ctx *ctx, mlc_tensor *y, const mlc_tensor *x,
                                      mlc_act act, float alpha) {
    mlc_result r;
    size_t rows;
    int i;
    if (!l || !l->packed_w) return MLC_ERR_NULL;
    if ((r = mlc__check_f32(x)) != MLC_OK || (r = mlc__check_f32(y)) != MLC_OK) return r;
    if (x->rank < 1 || y->rank != x->rank) return MLC_ERR_SHAPE;
    for (i = 0; i + 1 < x->rank; i++) if (x->shape[i] != y->shape[i]) return MLC_ERR_SHAPE;
    if (x->shape[x->rank - 1] != l->in_features || y->shape[y->rank - 1] != l->out_features) return MLC_ERR_SHAPE;
    rows = mlc_tensor_numel(x) / (size_t)l->in_features;
    if (rows > (size_t)INT_MAX) return MLC_ERR_UNSUPPORTED;
    return mlc_gemm_packed_f32(ctx, (int)rows, l->out_features, l->in_features, (const float *)x->data, l->in_features,
                               l->packed_w, l->bias, (float *)y->data, l->out_features, act, alpha);
}

#ifdef MLC__POP_DIAGNOSTIC
#  pragma GCC diagnostic pop
#endif
#endif /* MLCORE_IMPLEMENTATION_DONE */
#endif /* MLCORE_IMPLEMENTATION */

/*
------------------------------------------------------------------------------
This software is available under 2 licences -- choose whichever you prefer.
------------------------------------------------------------------------------
ALTERNATIVE A - MIT License
Copyright (c) 2026 the mlcore authors
Permission is hereby granted, free of charge, to any person obtaining a copy of
this software and associated documentation files (the "Software"), to deal in
the Software without restriction, including without limitation the rights to
use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies
of the Software, and to permit persons to whom the Software is furnished to do
so, subject to the following conditions:
The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.
THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
------------------------------------------------------------------------------
ALTERNATIVE B - Public Domain (www.unlicense.org)
This is free and unencumbered software released into the public domain.
Anyone is free to copy, modify, publish, use, compile, sell, or distribute this
software, either in source code form or as a compiled binary, for any purpose,
commercial or non-commercial, and by any means.
In jurisdictions that recognize copyright laws, the author or authors of this
software dedicate any and all copyright interest in the software to the public
domain. We make this dedication for the benefit of the public at large and to
the detriment of our heirs and successors. We intend this dedication to be an
overt act of relinquishment in perpetuity of all present and future rights to
this software under copyright law.
THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN
ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION
WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
------------------------------------------------------------------------------
*/
