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
       >>conv     2-D convolution (general, depthwise, pointwise), BN folding
       >>pool     pooling, upsampling, pixel/channel shuffle, concat/split
       >>convt    transposed 2-D convolution
       >>rnn      Elman RNN, LSTM, GRU: whole sequence and step by step
       >>norm     LayerNorm, RMSNorm, embeddings, sinusoidal and rotary positions
       >>attn     attention (online softmax), multi-head attention, KV cache,
                  transformer encoder block, ViT and GPT-style models
       >>ssm      selective scan (Mamba), diagonal SSM (S4D), Mamba block and LM
       >>ngram    n-gram LMs: modified Kneser-Ney as KenLM, ARPA, query, sampling

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
       MLC_ASSERT(c)       replace assert() for internal invariants (default:
                           assert, or nothing under MLC_NO_STDIO)
       MLC_MALLOC(n)       replace malloc/free; define both or neither. Only
       MLC_FREE(p)         mlc_file_load and n-gram training, ARPA reading
                           and models built without an arena use them.
       MLC_NO_MALLOC       no allocator at all (firmware): those calls return
                           MLC_ERR_NOMEM (or need an arena); nothing links
                           malloc or free
       MLC_EXPF, MLC_LOGF, MLC_TANHF, MLC_ERFF, MLC_SQRTF, MLC_FABSF,
       MLC_LOG1PF          replace libm (used by the scalar references)
       MLC_EXP, MLC_SIN, MLC_COS  double libm, for tables built at load
       MLC_GEMM_KC, MLC_GEMM_NC   GEMM cache-block sizes (floats)
       MLC_CONV_ROWS       output pixels per im2col block of a general conv
       MLC_CONVT_COL_FLOATS  scratch floats per block of a transposed conv
       MLC_RNN_CHUNK       time steps per hoisted input-projection GEMM
       MLC_ATTN_BK         keys per block of the online-softmax attention
       MLC_SSM_CHUNK, MLC_MAMBA_ROWS, MLC_SSM_PREFETCH  scan blocking
       MLC_NGRAM_MAX_ORDER highest n-gram order (default 16, at most 32)
       MLC_NGRAM_LOAD      percent of n-gram query-table slots used
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
    /* When a loader fails on a tensor (missing, wrong shape or dtype), the
       tensor's full name, else "". In the arena, MLC_ST_BAD_NAME bytes,
       truncated to fit. Loaders write it through a const st: do not load
       from one st on two threads at once if you read it. */
    char *bad_name;
} mlc_safetensors;
#define MLC_ST_BAD_NAME 160

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

/* ---- 2-D convolution (torch.nn.Conv2d), NHWC float32 ---------------------
   x is [N, H, W, Cin] and y [N, OH, OW, Cout], both row-major (channels
   contiguous). Weights come in as PyTorch stores them, OIHW
   [Cout, Cin/groups, kh, kw], and are packed once, at init/load, into what
   the chosen kernel wants:
       MLC_CONV2D_POINTWISE  1x1, stride 1, no padding (any groups): one GEMM
                             per group straight over x, no scratch
       MLC_CONV2D_DEPTHWISE  groups == in_ch == out_ch: vectorised across
                             channels, weights as [kh][kw][C], no scratch
       MLC_CONV2D_DIRECT     groups 1 and in_ch <= 3 (a network's RGB stem):
                             straight from x, eight output pixels by a
                             vector of output channels at a time, no scratch
       MLC_CONV2D_GENERAL    anything else: im2col of at most MLC_CONV_ROWS
                             output pixels of one group at a time into the
                             scratch arena, then the packed GEMM
   Bias and activation are fused into the kernels. Output size per axis:
       out = (in + pad_before + pad_after - dilation (kernel - 1) - 1) / stride + 1
   and must be >= 1 (else MLC_ERR_SHAPE). */
typedef struct mlc_conv2d_params {
    int kernel_h, kernel_w;
    int stride_h, stride_w;
    int dilation_h, dilation_w;
    int pad_top, pad_bottom, pad_left, pad_right;   /* explicit per side */
    int groups;
} mlc_conv2d_params;

typedef enum mlc_conv2d_kind {
    MLC_CONV2D_NONE      = 0,   /* not initialised */
    MLC_CONV2D_POINTWISE = 1,
    MLC_CONV2D_DEPTHWISE = 2,
    MLC_CONV2D_GENERAL   = 3,
    MLC_CONV2D_DIRECT    = 4    /* groups 1, in_ch <= 3 (an RGB stem): no im2col */
} mlc_conv2d_kind;

typedef struct mlc_conv2d {
    int in_ch, out_ch;
    mlc_conv2d_params p;
    float *w;              /* packed weights, in the arena (layout per kind) */
    float *bias;           /* [out_ch] in the arena, or NULL */
    mlc_conv2d_kind kind;
} mlc_conv2d;

/* Params of torch.nn.Conv2d(in, out, kernel, stride, padding, dilation,
   groups) with square kernel and symmetric padding. Not validated here
   (init/load/forward do that). */
MLC_API mlc_conv2d_params mlc_conv2d_params_make(int kernel, int stride, int padding,
                                                 int dilation, int groups);
/* Sets the four pads of p (kernel, stride and dilation already set) for
   padding "same" on an in_h x in_w input, as TensorFlow defines it:
   out = ceil(in / stride), total pad = max((out - 1) stride + dilation
   (kernel - 1) + 1 - in, 0), the smaller half before (top/left). For
   stride 1 this is PyTorch's padding='same'. MLC_ERR_ARG for bad params or
   sizes. */
MLC_API mlc_result mlc_conv2d_params_same(mlc_conv2d_params *p, int in_h, int in_w);

/* Bytes of arena mlc_conv2d_init/_load use for these sizes (0 for bad
   params). */
MLC_API size_t     mlc_conv2d_arena_bytes(int in_ch, int out_ch, const mlc_conv2d_params *p,
                                          int has_bias);
/* weight_oihw is [out_ch, in_ch/groups, kernel_h, kernel_w] row-major as
   PyTorch stores it; bias [out_ch] or NULL. Errors: MLC_ERR_NULL,
   MLC_ERR_ARG (kernel, stride or dilation < 1, negative pad, groups < 1 or
   not dividing both channel counts), MLC_ERR_NOMEM. */
MLC_API mlc_result mlc_conv2d_init(mlc_conv2d *c, const float *weight_oihw, const float *bias,
                                   int in_ch, int out_ch, const mlc_conv2d_params *p,
                                   mlc_arena *arena);
/* Loads "<prefix>.weight" [out, in/groups, kh, kw] (F32, F16, BF16 or F64)
   and, if present, "<prefix>.bias" [out] from a PyTorch state_dict; in_ch
   is in/groups * groups. MLC_ERR_SHAPE when the weight's rank, kernel size
   or output channels do not agree with p or the bias; MLC_ERR_NOT_FOUND,
   MLC_ERR_DTYPE, MLC_ERR_ARG, MLC_ERR_NOMEM as usual. */
MLC_API mlc_result mlc_conv2d_load(mlc_conv2d *c, const mlc_safetensors *st, const char *prefix,
                                   const mlc_conv2d_params *p, mlc_arena *arena);
/* Output height and width for an in_h x in_w input; MLC_ERR_SHAPE if < 1. */
MLC_API mlc_result mlc_conv2d_out_size(const mlc_conv2d *c, int in_h, int in_w,
                                       int *out_h, int *out_w);
/* Scratch bytes mlc_conv2d_forward needs for an in_h x in_w input (any
   batch): 0 for pointwise and depthwise; 0 also for bad sizes. */
MLC_API size_t     mlc_conv2d_scratch_bytes(const mlc_conv2d *c, int in_h, int in_w);
/* y = act(conv(x, W) + b). x [N, H, W, in_ch], y [N, OH, OW, out_ch],
   float32. scratch may be NULL when mlc_conv2d_scratch_bytes is 0; what is
   taken from it is released before returning. ctx (may be NULL) splits the
   work through its parallel_for: depthwise by output rows, pointwise
   through the GEMM, general both its im2col (by rows) and the GEMM. Errors: MLC_ERR_NULL, MLC_ERR_DTYPE,
   MLC_ERR_SHAPE (ranks, batch, channels, OH/OW), MLC_ERR_ARG (act),
   MLC_ERR_NOMEM (scratch too small), MLC_ERR_UNSUPPORTED (N*OH*OW or
   kh*kw*in_ch/groups above INT_MAX). y must not overlap x. */
MLC_API mlc_result mlc_conv2d_forward(const mlc_conv2d *c, const mlc_ctx *ctx, mlc_tensor *y,
                                      const mlc_tensor *x, mlc_act act, float alpha,
                                      mlc_arena *scratch);
/* Scalar reference: the direct seven-loop convolution, same checks and
   contract as mlc_conv2d_forward (no scratch, no threads). */
MLC_API mlc_result mlc_conv2d_ref(const mlc_conv2d *c, mlc_tensor *y, const mlc_tensor *x,
                                  mlc_act act, float alpha);

/* Loads a convolution and folds the BatchNorm2d that follows it (eval mode)
   into its weights and bias, once: with s = gamma / sqrt(running_var + eps),
   W'[o] = s[o] W[o] and b'[o] = s[o] (b[o] - running_mean[o]) + beta[o].
   Reads "<conv_prefix>.weight" (and ".bias" if present) and
   "<bn_prefix>.{weight,bias,running_mean,running_var}", each [out_ch].
   eps is the BatchNorm2d's (PyTorch default 1e-5). On error the arena is
   left as it was. Errors as mlc_conv2d_load, plus MLC_ERR_NOT_FOUND and
   MLC_ERR_SHAPE for the batch-norm tensors, MLC_ERR_ARG for eps < 0. */
MLC_API mlc_result mlc_conv2d_load_bn(mlc_conv2d *c, const mlc_safetensors *st, const char *conv_prefix,
                                      const char *bn_prefix, float eps, const mlc_conv2d_params *p,
                                      mlc_arena *arena);

/* ---- pooling, upsampling, channel ops (NHWC float32) ---------------------
   Activations are x[N,H,W,C], channels contiguous; every op reads a rank-4
   float32 tensor and writes one whose shape it checks (never infers): size y
   with the output-size helper or by hand. Results follow PyTorch's (for the
   NCHW tensor permuted to NHWC). y must not overlap x, except in
   mlc_scale_channels (y == x allowed). Each op has a scalar reference
   (_ref, same contract) that the tests run side by side with it.
   Errors: MLC_ERR_NULL (a NULL pointer or tensor data), MLC_ERR_DTYPE (not
   float32), MLC_ERR_ARG (a parameter out of range), MLC_ERR_SHAPE (shapes
   that do not agree, or an input too small for the window). Nothing is
   allocated. */

/* 2-D pooling window, as nn.MaxPool2d / nn.AvgPool2d. Set every field (or
   start from mlc_pool2d_make). PyTorch's rules apply: kernel >= 1; stride
   >= 1 (0 means stride = kernel, PyTorch's default); 0 <= pad <= kernel/2
   (symmetric: pad_h rows above and below); dilation >= 1 (0 means 1), and
   1 for average pooling; ceil_mode rounds the output size up, but the last
   window must start inside the input or the left/top padding. */
typedef struct mlc_pool2d {
    int kernel_h, kernel_w;
    int stride_h, stride_w;
    int pad_h, pad_w;
    int dilation_h, dilation_w;   /* max pooling only */
    int ceil_mode;                /* 0: floor (PyTorch's default) */
    int count_include_pad;        /* average pooling: divide by the window
                                     clipped to the padded input (1, PyTorch's
                                     default) or by the inputs it covers (0) */
} mlc_pool2d;

/* A square window: kernel, stride (0: = kernel), padding; dilation 1,
   ceil_mode 0, count_include_pad 1. */
MLC_API mlc_pool2d mlc_pool2d_make(int kernel, int stride, int padding);
/* Output height and width for an input h x w; MLC_ERR_ARG for bad
   parameters, MLC_ERR_SHAPE when the window does not fit (output < 1).
   max_pool selects the parameter rules (dilation allowed only when set). */
MLC_API mlc_result mlc_pool2d_out_size(const mlc_pool2d *p, int max_pool, int h, int w,
                                       int *out_h, int *out_w);

/* y[N,OH,OW,C] = max over each window (padding never wins; NaN propagates,
   as PyTorch). */
MLC_API mlc_result mlc_max_pool2d(const mlc_pool2d *p, mlc_tensor *y, const mlc_tensor *x);
MLC_API mlc_result mlc_max_pool2d_ref(const mlc_pool2d *p, mlc_tensor *y, const mlc_tensor *x);
/* y[N,OH,OW,C] = sum over each window / divisor (see count_include_pad). */
MLC_API mlc_result mlc_avg_pool2d(const mlc_pool2d *p, mlc_tensor *y, const mlc_tensor *x);
MLC_API mlc_result mlc_avg_pool2d_ref(const mlc_pool2d *p, mlc_tensor *y, const mlc_tensor *x);

/* nn.AdaptiveAvgPool2d: the output size is y's [N,OH,OW,C]; window i spans
   rows floor(i H / OH) .. ceil((i+1) H / OH) - 1 (columns likewise). */
MLC_API mlc_result mlc_adaptive_avg_pool2d(mlc_tensor *y, const mlc_tensor *x);
MLC_API mlc_result mlc_adaptive_avg_pool2d_ref(mlc_tensor *y, const mlc_tensor *x);
/* Mean over H and W: y is [N,1,1,C] or [N,C]. */
MLC_API mlc_result mlc_global_avg_pool2d(mlc_tensor *y, const mlc_tensor *x);
MLC_API mlc_result mlc_global_avg_pool2d_ref(mlc_tensor *y, const mlc_tensor *x);

/* F.interpolate(mode='nearest', size=(OH, OW)) with the output size taken
   from y[N,OH,OW,C]: source row = min(floor(oh * (float)H / OH), H - 1), in
   float as PyTorch computes it; any sizes, up or down. (PyTorch called with
   a non-integer scale_factor uses 1/scale_factor instead of H/OH and can
   pick different rows; pass size= to match.) */
MLC_API mlc_result mlc_upsample_nearest2d(mlc_tensor *y, const mlc_tensor *x);
MLC_API mlc_result mlc_upsample_nearest2d_ref(mlc_tensor *y, const mlc_tensor *x);
/* F.interpolate(mode='bilinear', size=(OH, OW), align_corners=...): the
   output size is y's. align_corners = 0 maps pixel centres (source
   (o + 0.5) H/OH - 0.5, clamped at 0); 1 maps corners (o (H-1)/(OH-1)). */
MLC_API mlc_result mlc_upsample_bilinear2d(mlc_tensor *y, const mlc_tensor *x, int align_corners);
MLC_API mlc_result mlc_upsample_bilinear2d_ref(mlc_tensor *y, const mlc_tensor *x, int align_corners);

/* nn.PixelShuffle(r) in NHWC: x[N,H,W,C*r*r] -> y[N,H*r,W*r,C] with
   y[n, h*r+i, w*r+j, c] = x[n, h, w, c*r*r + i*r + j] (PyTorch's channel
   order). mlc_pixel_unshuffle (nn.PixelUnshuffle) is its inverse:
   x[N,H*r,W*r,C] -> y[N,H,W,C*r*r]. r >= 1. */
MLC_API mlc_result mlc_pixel_shuffle(mlc_tensor *y, const mlc_tensor *x, int r);
MLC_API mlc_result mlc_pixel_shuffle_ref(mlc_tensor *y, const mlc_tensor *x, int r);
MLC_API mlc_result mlc_pixel_unshuffle(mlc_tensor *y, const mlc_tensor *x, int r);
MLC_API mlc_result mlc_pixel_unshuffle_ref(mlc_tensor *y, const mlc_tensor *x, int r);

/* torch.cat([a, b], dim=channels): a[N,H,W,Ca], b[N,H,W,Cb] -> y[...,Ca+Cb]. */
MLC_API mlc_result mlc_concat_channels(mlc_tensor *y, const mlc_tensor *a, const mlc_tensor *b);
MLC_API mlc_result mlc_concat_channels_ref(mlc_tensor *y, const mlc_tensor *a, const mlc_tensor *b);
/* torch.split(x, [Ca, Cb], dim=channels): x[...,Ca+Cb] -> ya[...,Ca], yb[...,Cb]. */
MLC_API mlc_result mlc_split_channels(mlc_tensor *ya, mlc_tensor *yb, const mlc_tensor *x);
MLC_API mlc_result mlc_split_channels_ref(mlc_tensor *ya, mlc_tensor *yb, const mlc_tensor *x);
/* nn.ChannelShuffle(groups) (ShuffleNet): C = groups * k, output channel
   j*groups + g is input channel g*k + j. groups >= 1 and must divide C. */
MLC_API mlc_result mlc_channel_shuffle(mlc_tensor *y, const mlc_tensor *x, int groups);
MLC_API mlc_result mlc_channel_shuffle_ref(mlc_tensor *y, const mlc_tensor *x, int groups);
/* Squeeze-and-excitation's last step: y[n,h,w,c] = x[n,h,w,c] * s[n,c]; s is
   [N,C] or [N,1,1,C] (the gates, e.g. sigmoid of an mlc_linear output).
   y may be x. */
MLC_API mlc_result mlc_scale_channels(mlc_tensor *y, const mlc_tensor *x, const mlc_tensor *s);
MLC_API mlc_result mlc_scale_channels_ref(mlc_tensor *y, const mlc_tensor *x, const mlc_tensor *s);

/* ---- transposed 2-D convolution (torch.nn.ConvTranspose2d), NHWC float32 --
   x is [N, H, W, Cin] and y [N, OH, OW, Cout], channels contiguous. Weights
   come in as PyTorch stores them, [Cin, Cout/groups, kh, kw], and are packed
   once, at init/load, into what the chosen kernel wants:
       MLC_CONVT_DEPTHWISE  groups == in_ch == out_ch: each output pixel
                            gathers its taps, vectorised across channels,
                            weights as [kh][kw][C], no scratch
       MLC_CONVT_GEMM       anything else: per group, a GEMM of at most
                            MLC_CONVT_COL_FLOATS / (kh*kw*Cout/groups) input
                            pixels x[rows, Cin/groups] times the packed
                            W[Cin/groups, kh*kw*Cout/groups] into the scratch
                            arena, then a scatter-add (col2im) of each row's
                            kh*kw taps into y, which starts as the bias
   The activation is applied to each output row once it is complete
   (depthwise: fused). Element
   y[n, oh, ow, co] = b[co] + sum of x[n, ih, iw, ci] W[ci, co, i, j] over
   oh = ih*stride_h - pad_top + i*dilation_h (and the same for ow), ci in
   co's group. Output size per axis:
       out = (in - 1) stride - pad_before - pad_after + dilation (kernel - 1)
             + output_padding + 1
   and must be >= 1 (else MLC_ERR_SHAPE). output_padding adds rows/columns
   at the bottom/right; as in PyTorch it must be < max(stride, dilation).
   PyTorch's padding=p is pad_top = pad_bottom = pad_left = pad_right = p;
   the four sides may differ (each side's pad crops that many rows or
   columns off the full output). */
typedef struct mlc_conv_transpose2d_params {
    int kernel_h, kernel_w;
    int stride_h, stride_w;
    int dilation_h, dilation_w;
    int pad_top, pad_bottom, pad_left, pad_right;   /* explicit per side */
    int out_pad_h, out_pad_w;                       /* output_padding */
    int groups;
} mlc_conv_transpose2d_params;

typedef enum mlc_conv_transpose2d_kind {
    MLC_CONVT_NONE      = 0,   /* not initialised */
    MLC_CONVT_DEPTHWISE = 1,
    MLC_CONVT_GEMM      = 2
} mlc_conv_transpose2d_kind;

typedef struct mlc_conv_transpose2d {
    int in_ch, out_ch;
    mlc_conv_transpose2d_params p;
    float *w;              /* packed weights, in the arena (layout per kind) */
    float *bias;           /* [out_ch] in the arena, or NULL */
    mlc_conv_transpose2d_kind kind;
} mlc_conv_transpose2d;

/* Params of torch.nn.ConvTranspose2d(in, out, kernel, stride, padding,
   output_padding, groups, bias, dilation) -- PyTorch's argument order --
   with a square kernel and the same values on both axes. Not validated
   here (init/load/forward do that). */
MLC_API mlc_conv_transpose2d_params mlc_conv_transpose2d_params_make(int kernel, int stride, int padding,
                                                                     int output_padding, int groups,
                                                                     int dilation);
/* Bytes of arena mlc_conv_transpose2d_init/_load use for these sizes (0
   for bad params). */
MLC_API size_t     mlc_conv_transpose2d_arena_bytes(int in_ch, int out_ch,
                                                    const mlc_conv_transpose2d_params *p, int has_bias);
/* weight_iohw is [in_ch, out_ch/groups, kernel_h, kernel_w] row-major as
   PyTorch stores it; bias [out_ch] or NULL. Errors: MLC_ERR_NULL,
   MLC_ERR_ARG (kernel, stride or dilation < 1, negative pad, output
   padding < 0 or >= max(stride, dilation), groups < 1 or not dividing both
   channel counts), MLC_ERR_UNSUPPORTED (kh*kw*out_ch/groups above
   INT_MAX), MLC_ERR_NOMEM (the arena is left as it was). */
MLC_API mlc_result mlc_conv_transpose2d_init(mlc_conv_transpose2d *c, const float *weight_iohw,
                                             const float *bias, int in_ch, int out_ch,
                                             const mlc_conv_transpose2d_params *p, mlc_arena *arena);
/* Loads "<prefix>.weight" [in, out/groups, kh, kw] (F32, F16, BF16 or F64)
   and, if present, "<prefix>.bias" [out] from a PyTorch state_dict; out_ch
   is out/groups * groups. MLC_ERR_NOT_FOUND (no weight), MLC_ERR_SHAPE
   (the weight's rank or kernel size does not agree with p, groups does not
   divide its in, or the bias is not [out]), MLC_ERR_DTYPE; st->bad_name
   then names the tensor. MLC_ERR_NULL, MLC_ERR_ARG, MLC_ERR_NOMEM as
   init. */
MLC_API mlc_result mlc_conv_transpose2d_load(mlc_conv_transpose2d *c, const mlc_safetensors *st,
                                             const char *prefix, const mlc_conv_transpose2d_params *p,
                                             mlc_arena *arena);
/* Output height and width for an in_h x in_w input; MLC_ERR_SHAPE if < 1
   or past INT_MAX. */
MLC_API mlc_result mlc_conv_transpose2d_out_size(const mlc_conv_transpose2d *c, int in_h, int in_w,
                                                 int *out_h, int *out_w);
/* Scratch bytes mlc_conv_transpose2d_forward needs for an in_h x in_w
   input (any batch): 0 for depthwise; 0 also for bad sizes. */
MLC_API size_t     mlc_conv_transpose2d_scratch_bytes(const mlc_conv_transpose2d *c, int in_h, int in_w);
/* y = act(conv_transpose(x, W) + b). x [N, H, W, in_ch], y [N, OH, OW,
   out_ch], float32. scratch may be NULL when the scratch size is 0; what
   is taken from it is released before returning. ctx (may be NULL) splits
   the work through one parallel_for call: tasks own ranges of output rows
   (the GEMM path recomputes the few input rows two ranges share; its tasks
   split the scratch between them). Errors:
   MLC_ERR_NULL, MLC_ERR_DTYPE, MLC_ERR_SHAPE (ranks, batch, channels,
   OH/OW), MLC_ERR_ARG (act), MLC_ERR_NOMEM (scratch too small),
   MLC_ERR_UNSUPPORTED (N*H*W or N*OH*OW above INT_MAX). y must not overlap
   x. */
MLC_API mlc_result mlc_conv_transpose2d_forward(const mlc_conv_transpose2d *c, const mlc_ctx *ctx,
                                                mlc_tensor *y, const mlc_tensor *x, mlc_act act,
                                                float alpha, mlc_arena *scratch);
/* Scalar reference: for each output element, the direct sum over the taps
   and input channels that reach it; same checks and contract as
   mlc_conv_transpose2d_forward (no scratch, no threads). */
MLC_API mlc_result mlc_conv_transpose2d_ref(const mlc_conv_transpose2d *c, mlc_tensor *y,
                                            const mlc_tensor *x, mlc_act act, float alpha);

/* ---- recurrent layers (torch.nn.RNN, LSTM, GRU) ---------------------------
   One type, mlc_rnn, runs the four cell kinds of PyTorch with its exact
   semantics, multi-layer and bidirectional:
       MLC_RNN_TANH, MLC_RNN_RELU  h' = act(W_ih x + b_ih + W_hh h + b_hh)
       MLC_RNN_LSTM                gates i, f, g, o (in that order);
                                   c' = f c + i g, h' = o tanh(c'), and with
                                   proj_size > 0: h' = W_hr (o tanh(c'))
       MLC_RNN_GRU                 gates r, z, n (in that order);
                                   n = tanh(W_in x + b_in + r (W_hn h + b_hn)),
                                   h' = (1 - z) n + z h
   Sizes: I = input_size, H = hidden_size, P = proj_size if > 0 else H (the
   size of h), D = 2 if bidirectional else 1, L = num_layers.
   Layout: x is [T, B, I] and y is [T, B, D*P], row-major, time first like
   PyTorch's default; batch_first = 1 makes them [B, T, I] and [B, T, D*P].
   Rank-2 x [T, I] / y [T, D*P] (unbatched) is accepted too, as B = 1.
   In y the forward direction comes first, then the reverse one. States are
   h [L*D, B, P] and (LSTM) c [L*D, B, H], index layer*D + direction, as
   PyTorch's h_n / c_n (rank 2 [L*D, P] for unbatched input).
   Weights are packed once, at init/load: W_ih (all time steps' input
   projection is one GEMM) and W_hh (each step is one small GEMM, a
   matrix-vector product for B = 1, streaming the packed W_hh) in the GEMM
   panel layout; b_ih and b_hh are added together (GRU: except b_hn).
   Build option MLC_RNN_CHUNK (default 32): how many time steps' input
   projections one GEMM computes (scratch: chunk * B * G*H floats). */
typedef enum mlc_rnn_mode {
    MLC_RNN_TANH = 0,
    MLC_RNN_RELU = 1,
    MLC_RNN_LSTM = 2,
    MLC_RNN_GRU  = 3
} mlc_rnn_mode;

typedef struct mlc_rnn_params {
    mlc_rnn_mode mode;
    int input_size, hidden_size, num_layers;
    int bidirectional;   /* 0 or 1 */
    int has_bias;        /* 1: b_ih and b_hh (PyTorch's bias=True), 0: none */
    int proj_size;       /* LSTM only; 0 = no projection */
    int batch_first;     /* 0: x [T, B, I] (PyTorch default); 1: [B, T, I] */
} mlc_rnn_params;

/* Weights of one layer and direction as PyTorch stores them (row-major):
   w_ih [G*H, in] (in = I for layer 0, else D*P), w_hh [G*H, P], b_ih and
   b_hh [G*H] (NULL when has_bias is 0), w_hr [P, H] (LSTM with proj_size
   only), G = 1, 4 or 3 gates for RNN, LSTM, GRU. */
typedef struct mlc_rnn_weights {
    const float *w_ih, *w_hh, *b_ih, *b_hh, *w_hr;
} mlc_rnn_weights;

/* One layer and direction, packed (in the arena). */
typedef struct mlc_rnn_cell {
    int in_size;         /* I for layer 0, else D*P */
    float *w_ih;         /* mlc_gemm_pack_b_f32 layout, n = G*H, k = in_size */
    float *w_hh;         /* n = G*H, k = P */
    float *w_hr;         /* n = P, k = H (LSTM with projection), else NULL */
    float *bias_x;       /* [G*H] b_ih + b_hh (GRU: b_hh of r and z only), or NULL */
    float *bias_h;       /* GRU: [H] b_hn, else NULL */
} mlc_rnn_cell;

typedef struct mlc_rnn {
    mlc_rnn_params p;
    int gates;           /* G: 1, 4 or 3 */
    int state_size;      /* P */
    mlc_rnn_cell *cells; /* [L*D], index layer*D + direction; NULL if not initialised */
    /* After a failed init/load: the PyTorch name of the tensor at fault
       (e.g. "lstm.weight_hh_l1_reverse"), else "". */
    char bad_name[128];
} mlc_rnn;

/* nn.RNN/LSTM/GRU defaults: bias on, no projection, time first. */
MLC_API mlc_rnn_params mlc_rnn_params_make(mlc_rnn_mode mode, int input_size, int hidden_size,
                                           int num_layers, int bidirectional);
/* Bytes of arena mlc_rnn_init/_load use (0 for bad params). */
MLC_API size_t     mlc_rnn_arena_bytes(const mlc_rnn_params *p);
/* From float32 arrays: w has L*D entries, index layer*D + direction.
   Errors: MLC_ERR_NULL (a required array is NULL: bad_name names it),
   MLC_ERR_ARG (sizes < 1, proj_size < 0 or >= H or set on a non-LSTM,
   unknown mode), MLC_ERR_NOMEM. */
MLC_API mlc_result mlc_rnn_init(mlc_rnn *r, const mlc_rnn_params *p, const mlc_rnn_weights *w,
                                mlc_arena *arena);
/* From a PyTorch state_dict: "<prefix>.weight_ih_l<k>[_reverse]",
   weight_hh_..., bias_ih_..., bias_hh_..., weight_hr_... (F32, F16, BF16 or
   F64); prefix "" (or NULL) for the names of a bare nn.LSTM's state_dict.
   p says what the module was built with. On error r->bad_name holds the
   tensor at fault: MLC_ERR_NOT_FOUND (missing), MLC_ERR_SHAPE (its shape
   disagrees with p), MLC_ERR_DTYPE, MLC_ERR_ARG (a bias or weight_hr
   present that p says the module does not have; or bad p), MLC_ERR_NOMEM. */
MLC_API mlc_result mlc_rnn_load(mlc_rnn *r, const mlc_safetensors *st, const char *prefix,
                                const mlc_rnn_params *p, mlc_arena *arena);

/* Scratch bytes mlc_rnn_forward (and _ref) need for seq_len steps of batch
   rows (0 for bad sizes). It is bounded in seq_len for one layer: the input
   projection runs over chunks of MLC_RNN_CHUNK steps; L > 1 adds one
   intermediate [T, B, D*P] buffer. */
MLC_API size_t     mlc_rnn_scratch_bytes(const mlc_rnn *r, int seq_len, int batch);
/* Runs the whole sequence. x [T, B, I] (or as above), y [T, B, D*P].
   h0 [L*D, B, P] and c0 [L*D, B, H] (LSTM) may be NULL: zeros. hn, cn (same
   shapes) may be NULL; they receive the final states (of each direction's
   own last step). Nothing is allocated; what is taken from scratch is
   released before returning. ctx (may be NULL) splits the GEMMs. Errors:
   MLC_ERR_NULL, MLC_ERR_DTYPE, MLC_ERR_SHAPE, MLC_ERR_ARG (c0 or cn for a
   non-LSTM), MLC_ERR_NOMEM (scratch), MLC_ERR_UNSUPPORTED (sizes past
   INT_MAX). y must not overlap x. */
MLC_API mlc_result mlc_rnn_forward(const mlc_rnn *r, const mlc_ctx *ctx, mlc_tensor *y,
                                   const mlc_tensor *x, const mlc_tensor *h0, const mlc_tensor *c0,
                                   mlc_tensor *hn, mlc_tensor *cn, mlc_arena *scratch);
/* Scalar reference: the same contract and scratch, plain loops over the
   packed weights, libm's tanh and exp, no threads. */
MLC_API mlc_result mlc_rnn_forward_ref(const mlc_rnn *r, mlc_tensor *y, const mlc_tensor *x,
                                       const mlc_tensor *h0, const mlc_tensor *c0,
                                       mlc_tensor *hn, mlc_tensor *cn, mlc_arena *scratch);

/* Streaming: one time step through all layers, the state held by the
   caller and updated in place (unidirectional only: MLC_ERR_ARG when
   bidirectional). x [B, I] (or [I] for B = 1), y [B, P] (or [P]) receives
   the last layer's new h (y may be NULL); h [L, B, P] and, for LSTM only
   (else MLC_ERR_ARG), c [L, B, H] (rank 2 [L, P] / [L, H] for B = 1) are
   the state: zero them (or copy h0, c0 in) to start a sequence. Steps
   over a sequence give mlc_rnn_forward's y and final states, up to
   rounding (the input projection is summed by another GEMM kernel). Scratch:
   mlc_rnn_step_scratch_bytes(r, B), released before returning; x, y and
   the state must not overlap each other. */
MLC_API size_t     mlc_rnn_step_scratch_bytes(const mlc_rnn *r, int batch);
MLC_API mlc_result mlc_rnn_step(const mlc_rnn *r, const mlc_ctx *ctx, mlc_tensor *y,
                                const mlc_tensor *x, mlc_tensor *h, mlc_tensor *c,
                                mlc_arena *scratch);

/* ---- normalisation (torch.nn.LayerNorm, RMSNorm) --------------------------
   Over the last axis of rows x dim floats (y may equal x):
       LayerNorm  y = (x - mean) / sqrt(var + eps) * weight + bias   (biased var)
       RMSNorm    y = x / sqrt(mean(x^2) + eps) * weight
   weight and bias may be NULL (no affine / no bias). Mean and variance are
   taken in two passes (no E[x^2] - E[x]^2 cancellation). */
MLC_API mlc_result mlc_layernorm_f32(float *y, const float *x, size_t rows, size_t dim,
                                     const float *weight, const float *bias, float eps);
MLC_API mlc_result mlc_layernorm_ref_f32(float *y, const float *x, size_t rows, size_t dim,
                                         const float *weight, const float *bias, float eps);
MLC_API mlc_result mlc_rmsnorm_f32(float *y, const float *x, size_t rows, size_t dim,
                                   const float *weight, float eps);
MLC_API mlc_result mlc_rmsnorm_ref_f32(float *y, const float *x, size_t rows, size_t dim,
                                       const float *weight, float eps);

typedef enum mlc_norm_kind {
    MLC_NORM_LAYER = 0,    /* nn.LayerNorm */
    MLC_NORM_RMS   = 1     /* nn.RMSNorm (PyTorch >= 2.4), LLaMA's RMSNorm */
} mlc_norm_kind;

typedef struct mlc_norm {
    mlc_norm_kind kind;
    int dim;
    float eps;
    float *weight;         /* [dim] in the arena, or NULL */
    float *bias;           /* [dim] in the arena, or NULL (always NULL for RMS) */
} mlc_norm;

/* weight/bias [dim] or NULL. MLC_ERR_ARG: dim < 1, eps < 0, unknown kind,
   a bias for RMSNorm. */
MLC_API mlc_result mlc_norm_init(mlc_norm *n, mlc_norm_kind kind, const float *weight,
                                 const float *bias, int dim, float eps, mlc_arena *arena);
/* Loads "<prefix>.weight" [dim] and, for LayerNorm, "<prefix>.bias" if
   present. dim comes from the weight. Errors name the tensor in
   st->bad_name. */
MLC_API mlc_result mlc_norm_load(mlc_norm *n, const mlc_safetensors *st, const char *prefix,
                                 mlc_norm_kind kind, float eps, mlc_arena *arena);
/* Over the last axis of x [..., dim]; y has x's shape and may be x. */
MLC_API mlc_result mlc_norm_forward(const mlc_norm *n, mlc_tensor *y, const mlc_tensor *x);

/* ---- embeddings and positions --------------------------------------------
   A table of num rows of dim floats: nn.Embedding (token ids -> rows) or a
   learned position table (torchvision ViT's encoder.pos_embedding, GPT-2's
   wpe). */
typedef struct mlc_embedding {
    int num, dim;
    float *table;          /* [num, dim] in the arena */
} mlc_embedding;

MLC_API mlc_result mlc_embedding_init(mlc_embedding *e, const float *table, int num, int dim,
                                      mlc_arena *arena);
/* name is the whole tensor name ("wte.weight", "encoder.pos_embedding"),
   shape [num, dim] or [1, num, dim]. Errors name it in st->bad_name. */
MLC_API mlc_result mlc_embedding_load(mlc_embedding *e, const mlc_safetensors *st, const char *name,
                                      mlc_arena *arena);
/* y[i, :] = table[ids[i], :] for i < n. MLC_ERR_ARG (and nothing written)
   if an id is outside [0, num). */
MLC_API mlc_result mlc_embedding_lookup(const mlc_embedding *e, float *y, const int32_t *ids, size_t n);
/* Learned positions: x [..., T, dim], x[..., t, :] += table[start + t, :].
   MLC_ERR_SHAPE when start + T > num (the sequence is longer than the
   table) or dim differs; MLC_ERR_ARG when start < 0. */
MLC_API mlc_result mlc_embedding_add_positions(const mlc_embedding *e, mlc_tensor *x, int start);

/* Sinusoidal positions ("Attention is all you need", the PyTorch
   tutorial's PositionalEncoding): for position p and i < dim/2,
       pe[p, 2i] = sin(p w_i),  pe[p, 2i+1] = cos(p w_i),  w_i = base^(-2i/dim)
   (base 10000 in the paper). The angle is reduced in double precision, so
   the values are accurate for any position. table is [num, dim]. */
MLC_API mlc_result mlc_sinusoidal_table(float *table, int num, int dim, float base);
/* x [..., T, dim]: x[..., t, :] += pe[start + t, :]. */
MLC_API mlc_result mlc_sinusoidal_add(mlc_tensor *x, int start, float base);

/* Rotary positions (RoPE), cos/sin tables built once for max_pos positions.
   Pairs (x_a, x_b) of a head are rotated by angle p theta_i,
   theta_i = base^(-2i/head_dim), i < head_dim/2:
       interleaved = 0  a = i, b = i + head_dim/2     (GPT-NeoX, Hugging Face
                        LLaMA/Mistral "rotate_half")
       interleaved = 1  a = 2i, b = 2i + 1           (GPT-J, Meta's LLaMA)
   x_a' = x_a cos - x_b sin,  x_b' = x_b cos + x_a sin. */
typedef struct mlc_rope {
    int head_dim, max_pos, interleaved;
    float *cos, *sin;      /* [max_pos, head_dim/2] in the arena */
} mlc_rope;

/* MLC_ERR_ARG: head_dim odd or < 2, max_pos < 1, base <= 0. */
MLC_API mlc_result mlc_rope_init(mlc_rope *r, int head_dim, int max_pos, float base, int interleaved,
                                 mlc_arena *arena);
/* Rotates in place T rows of n_heads heads of head_dim floats (row t at
   x + t * ld, head h at + h * head_dim), row t being position start + t.
   MLC_ERR_SHAPE when start + T > max_pos; MLC_ERR_ARG for ld <
   n_heads * head_dim or start < 0. */
MLC_API mlc_result mlc_rope_apply(const mlc_rope *r, float *x, int T, int n_heads, int ld, int start);
MLC_API mlc_result mlc_rope_apply_ref(const mlc_rope *r, float *x, int T, int n_heads, int ld, int start);

/* ---- scaled dot-product attention ------------------------------------------
   o = softmax(q k^T * scale + mask) v per batch b and head h, computed with
   an online softmax over blocks of keys (FlashAttention): the T x S score
   matrix is never stored; memory is linear in S (mlc_attention_scratch_bytes).
   Rows: q row (b, t) at q + (b T + t) ldq, head h at + h head_dim; k and v
   rows (b, j) at k + (b S + j) ldk, kv head g at + g head_dim; o like q.
   Grouped-query attention: head h reads kv head h / (n_heads / n_kv_heads).
   A query whose keys are all masked gets o = 0 (PyTorch gives NaN). NaN
   or infinite scores give unspecified results.
   Tolerance (tests/test_attn.c): each output is within ~2 (score error +
   exp error 4e-7) + 2 gamma(S) of sum_j w_j |v_jd| of the exact value. */
typedef struct mlc_attn_dims {
    int batch;             /* B */
    int q_len, kv_len;     /* T queries, S keys per sequence */
    int n_heads;           /* query heads */
    int n_kv_heads;        /* key/value heads, divides n_heads (= n_heads: plain MHA) */
    int head_dim;
} mlc_attn_dims;

/* All optional: zero the struct for no mask. */
typedef struct mlc_attn_mask {
    /* Causal, aligned to the end: query t sees keys j <= t + S - T. For
       T == S this is PyTorch's is_causal / a triu(-inf, 1) mask; for a KV
       cache (S - T cached keys before the T new ones) it is what decoding
       needs. (PyTorch's is_causal aligns to the start when T != S.) */
    int causal;
    /* [B, S]: nonzero = ignore key j of sequence b (PyTorch's
       key_padding_mask True). */
    const unsigned char *key_padding;
    /* Added to the scaled scores: element (b, h, t, j) at
       add[b * add_batch_stride + h * add_head_stride + t * add_ld + j].
       -INFINITY forbids. Strides 0 broadcast (a [T, S] mask: both 0);
       add_ld 0 means S. */
    const float *add;
    int add_ld;
    size_t add_head_stride, add_batch_stride;
} mlc_attn_mask;

/* Scratch bytes mlc_attention_f32 takes from the arena for these dims with
   this ctx (0 for bad dims): packed keys and values (2 B n_kv_heads S
   head_dim floats, rounded up to the vector layout) and one tile of scores
   per task (8 x MLC_ATTN_BK floats on AVX-512 and NEON, 6 on AVX2/SSE2,
   4 scalar; MLC_ATTN_BK, a build option, default 256, is the block of
   keys). Released before returning. */
MLC_API size_t     mlc_attention_scratch_bytes(const mlc_attn_dims *d, const mlc_ctx *ctx);
/* scale <= 0 means 1/sqrt(head_dim). mask may be NULL. ctx (may be NULL)
   splits the work by (batch, head, block of queries). o must not overlap q,
   k or v. Errors: MLC_ERR_NULL, MLC_ERR_ARG (dims < 1, n_kv_heads not
   dividing n_heads, a leading dimension too small, mask->add_ld neither 0
   nor >= S), MLC_ERR_NOMEM. */
MLC_API mlc_result mlc_attention_f32(const mlc_ctx *ctx, const mlc_attn_dims *d,
                                     const float *q, int ldq, const float *k, int ldk,
                                     const float *v, int ldv, float *o, int ldo,
                                     float scale, const mlc_attn_mask *mask, mlc_arena *scratch);
/* Scalar reference: the naive softmax(q k^T) v with double accumulators,
   two passes over the keys (no scratch). Same contract. */
MLC_API mlc_result mlc_attention_ref_f32(const mlc_attn_dims *d,
                                         const float *q, int ldq, const float *k, int ldk,
                                         const float *v, int ldv, float *o, int ldo,
                                         float scale, const mlc_attn_mask *mask);

/* ---- multi-head attention (torch.nn.MultiheadAttention) --------------------
   dim = n_heads * head_dim; q = x Wq^T + bq, k/v = kv Wk/Wv^T + b (n_kv_heads
   * head_dim wide each), attention, then y = att Wo^T + bo. Weights are
   packed once for the GEMM (q, k and v side by side: one GEMM for
   self-attention). rope, if set (after init/load), rotates q and k. */
typedef struct mlc_mha {
    int dim, n_heads, n_kv_heads, head_dim;
    float *w_qkv;          /* packed: columns q (dim) | k | v (kv_dim each) */
    float *b_qkv;          /* [dim + 2 kv_dim] or NULL */
    int fused;             /* 1: w_qkv is one GEMM B of dim + 2 kv_dim columns */
    mlc_linear out;
    const mlc_rope *rope;  /* NULL: no rotary positions */
} mlc_mha;

/* wq [dim, dim], wk/wv [n_kv_heads head_dim, dim], wo [dim, dim] as
   PyTorch's Linear stores them; biases may be NULL (all of q/k/v or none).
   MLC_ERR_ARG when n_heads does not divide dim or n_kv_heads n_heads. */
MLC_API mlc_result mlc_mha_init(mlc_mha *m, int dim, int n_heads, int n_kv_heads,
                                const float *wq, const float *wk, const float *wv,
                                const float *bq, const float *bk, const float *bv,
                                const float *wo, const float *bo, mlc_arena *arena);
/* nn.MultiheadAttention's state_dict: "<prefix>.in_proj_weight" [3 dim,
   dim], "<prefix>.in_proj_bias" (optional), "<prefix>.out_proj.weight",
   "<prefix>.out_proj.bias" (optional). Errors name the tensor in
   st->bad_name. */
MLC_API mlc_result mlc_mha_load(mlc_mha *m, const mlc_safetensors *st, const char *prefix,
                                int n_heads, mlc_arena *arena);
/* Separate projections "<q>.weight"/".bias" etc. (Hugging Face q_proj,
   k_proj, v_proj, o_proj); k/v may be narrower (grouped-query heads). */
MLC_API mlc_result mlc_mha_load_qkv(mlc_mha *m, const mlc_safetensors *st, const char *q,
                                    const char *k, const char *v, const char *out,
                                    int n_heads, int n_kv_heads, mlc_arena *arena);
/* Scratch bytes mlc_mha_forward needs (q/k/v and attention buffers). */
MLC_API size_t     mlc_mha_scratch_bytes(const mlc_mha *m, int batch, int q_len, int kv_len,
                                         const mlc_ctx *ctx);
/* y [B, T, dim] (or [T, dim]) = attention of x [B, T, dim] over kv [B, S,
   dim] (key and value inputs are the same tensor; NULL: self-attention,
   kv = x). mask as mlc_attention_f32. y may be x. RoPE (m->rope) only
   with self-attention (else MLC_ERR_UNSUPPORTED). */
MLC_API mlc_result mlc_mha_forward(const mlc_mha *m, const mlc_ctx *ctx, mlc_tensor *y,
                                   const mlc_tensor *x, const mlc_tensor *kv,
                                   const mlc_attn_mask *mask, mlc_arena *scratch);

/* ---- KV cache for incremental decoding ---------------------------------------
   One sequence (batch 1). For each layer the keys (after RoPE) and values of
   every position so far, stored packed as the attention kernel reads them,
   so a step packs only its new tokens. A step of T new tokens costs
   O((len + T) T), so a token costs O(len). */
typedef struct mlc_kv_cache {
    int n_layers, max_len, n_kv_heads, head_dim;
    int len;               /* positions stored (all layers) */
    size_t k_layer, v_layer;  /* floats per layer */
    float *k, *v;          /* in the arena */
} mlc_kv_cache;

MLC_API size_t     mlc_kv_cache_bytes(int n_layers, int max_len, int n_kv_heads, int head_dim);
MLC_API mlc_result mlc_kv_cache_init(mlc_kv_cache *c, int n_layers, int max_len, int n_kv_heads,
                                     int head_dim, mlc_arena *arena);
MLC_API void       mlc_kv_cache_reset(mlc_kv_cache *c);
/* Call after every layer has run a step of n tokens. MLC_ERR_SHAPE past
   max_len. */
MLC_API mlc_result mlc_kv_cache_advance(mlc_kv_cache *c, int n);
MLC_API size_t     mlc_mha_cached_scratch_bytes(const mlc_mha *m, int q_len, int max_len,
                                                const mlc_ctx *ctx);
/* Causal self-attention of x [T, dim] (or [1, T, dim]), the tokens at
   positions c->len ... c->len + T - 1: stores their keys and values in
   layer 'layer' of the cache and attends over all c->len + T positions.
   Does not advance c->len. MLC_ERR_SHAPE when c->len + T > max_len or the
   cache's heads differ from m's. y may be x. */
MLC_API mlc_result mlc_mha_forward_cached(const mlc_mha *m, const mlc_ctx *ctx, mlc_tensor *y,
                                          const mlc_tensor *x, mlc_kv_cache *c, int layer,
                                          mlc_arena *scratch);

/* ---- transformer layer (nn.TransformerEncoderLayer, ViT / GPT blocks) --------
   norm_first = 0 (post-norm, PyTorch's default):
       x = norm1(x + attn(x));  y = norm2(x + mlp(x))
   norm_first = 1 (pre-norm: ViT, GPT-2, LLaMA):
       x = x + attn(norm1(x));  y = x + mlp(norm2(x))
   mlp(x) = ff2(act(ff1(x))), or with gated = 1 (SwiGLU when act is SiLU)
   ff2(act(ff1(x)) * ff3(x)). */
typedef struct mlc_transformer_layer {
    int dim, ff_dim, norm_first, gated;
    mlc_act act;
    mlc_norm norm1, norm2;
    mlc_mha attn;
    mlc_linear ff1, ff2, ff3;   /* ff3 only when gated */
} mlc_transformer_layer;

/* nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward, activation,
   layer_norm_eps, norm_first): "<prefix>.self_attn.*", "linear1", "linear2",
   "norm1", "norm2". act is MLC_ACT_RELU or MLC_ACT_GELU. */
MLC_API mlc_result mlc_transformer_layer_load_torch(mlc_transformer_layer *l, const mlc_safetensors *st,
                                                    const char *prefix, int n_heads, int norm_first,
                                                    mlc_act act, float eps, mlc_arena *arena);
/* torchvision's ViT EncoderBlock: "<prefix>.ln_1", "self_attention",
   "ln_2", "mlp.0", "mlp.3"; pre-norm, exact GELU, LayerNorm eps 1e-6. */
MLC_API mlc_result mlc_transformer_layer_load_vit(mlc_transformer_layer *l, const mlc_safetensors *st,
                                                  const char *prefix, int n_heads, mlc_arena *arena);
/* Checks a layer put together by hand (norms, attn, ff* initialised) and
   fills dim/ff_dim. */
MLC_API mlc_result mlc_transformer_layer_check(mlc_transformer_layer *l);
MLC_API size_t     mlc_transformer_layer_scratch_bytes(const mlc_transformer_layer *l, int batch,
                                                       int seq, const mlc_ctx *ctx);
/* y = layer(x), x and y [B, T, dim] or [T, dim]; y may be x. */
MLC_API mlc_result mlc_transformer_layer_forward(const mlc_transformer_layer *l, const mlc_ctx *ctx,
                                                 mlc_tensor *y, const mlc_tensor *x,
                                                 const mlc_attn_mask *mask, mlc_arena *scratch);
MLC_API size_t     mlc_transformer_layer_cached_scratch_bytes(const mlc_transformer_layer *l,
                                                              int q_len, int max_len,
                                                              const mlc_ctx *ctx);
/* A decoder step with causal self-attention over the cache (see
   mlc_mha_forward_cached); y may be x. */
MLC_API mlc_result mlc_transformer_layer_forward_cached(const mlc_transformer_layer *l,
                                                        const mlc_ctx *ctx, mlc_tensor *y,
                                                        const mlc_tensor *x, mlc_kv_cache *c,
                                                        int layer, mlc_arena *scratch);

/* ---- state-space models: selective scan, S4D, Mamba -----------------------
   Sequences are token-major like every activation in mlcore: [L, channels],
   row l holding token l, channels contiguous. Kernels run across channels
   (one vector of channels at a time, all of a tile of states in registers)
   and through long sequences in chunks of MLC_SSM_CHUNK tokens (build
   option, default 64) whose per-token values stay in L1.

   SELECTIVE SCAN (Mamba's S6), mamba_ssm's selective_scan_ref for one batch
   element, transposed to token-major (their u is (batch, dim, L)):
       dt[l,d] = delta[l,d] + delta_bias[d], then softplus if delta_softplus
       x[d,n] <- exp(dt[l,d] A[d,n]) x[d,n] + dt[l,d] B[l,g,n] u[l,d]
       y[l,d]  = (sum_n x[d,n] C[l,g,n] + D[d] u[l,d]) * silu(z[l,d])
   where g = d / (dim / groups) is the group of channel d. Shapes:
       u, delta, z, y    [L, dim]
       A                 [dim, N]        real (Mamba: A = -exp(A_log))
       B, C              [L, groups, N]  i.e. [L, N] when groups == 1
       D, delta_bias     [dim]           each optional (NULL)
       z                 optional (NULL: no gate)
       state             [dim, N]        x: the state on entry (zeros for a
                                          new sequence) and the final state on
                                          return (selective_scan_ref's
                                          last_state); NULL: start from zeros,
                                          final state not kept (then N must be
                                          <= 256: the states live on the stack)
   Passing the state from one call to the next runs a sequence in pieces;
   mlc_ssm_step_f32 is the one-token form (recurrent inference at constant
   memory). exp, softplus and silu are the scan's own vector approximations
   (accuracy: exp(dt A) within 4e-7 + 2.4e-7 |dt A| relative, softplus
   1e-6 relative, silu 3e-7 |z| absolute; asserted by tests/test_ssm.c);
   exp saturates at 0 / inf on AVX-512 and at 1.2e-38 / 1.7e38 elsewhere.
   y must not overlap any input. Errors: MLC_ERR_NULL
   (u, delta, A, B, C or y NULL), MLC_ERR_ARG (L, dim, N or groups < 1),
   MLC_ERR_SHAPE (groups does not divide dim), MLC_ERR_UNSUPPORTED (L * dim
   or L * groups * N above the size_t range; N > 256 without a state). ctx
   (may be NULL) splits the channels over parallel_for tasks; the answer is
   the same bit for bit with or without a state, in one call or in pieces,
   on one thread or many. Stack use: about 40 KB with AVX-512, 15 KB with
   NEON (MLC_SSM_CHUNK 64). */
MLC_API mlc_result mlc_ssm_scan_f32(const mlc_ctx *ctx, int L, int dim, int N, int groups,
                                    const float *u, const float *delta, const float *A,
                                    const float *B, const float *C, const float *D,
                                    const float *z, const float *delta_bias, int delta_softplus,
                                    float *y, float *state);
/* Scalar reference: the same contract, libm exp/log1p, one token at a time
   as selective_scan_ref (no ctx). */
MLC_API mlc_result mlc_ssm_scan_ref_f32(int L, int dim, int N, int groups,
                                        const float *u, const float *delta, const float *A,
                                        const float *B, const float *C, const float *D,
                                        const float *z, const float *delta_bias, int delta_softplus,
                                        float *y, float *state);
/* One token: u, delta, z, y [dim]; B, C [groups, N]; state [dim, N] updated
   in place (required). The same as mlc_ssm_scan_f32 with L = 1. */
MLC_API mlc_result mlc_ssm_step_f32(int dim, int N, int groups,
                                    const float *u, const float *delta, const float *A,
                                    const float *B, const float *C, const float *D,
                                    const float *z, const float *delta_bias, int delta_softplus,
                                    float *y, float *state);

/* Causal depthwise 1-D convolution over [L, C] (Mamba's short conv:
   nn.Conv1d(C, C, W, groups=C, padding=W-1) keeping the first L outputs,
   i.e. causal_conv1d_fn), with an optional activation (Mamba: SiLU):
       y[l,c] = act(bias[c] + sum_{k<W} w[c,k] x[l-W+1+k, c])
   w is [C, W] as PyTorch stores conv1d.weight [C, 1, W]; bias [C] or NULL.
   Rows before 0 come from state [W-1, C] (the previous W-1 inputs, oldest
   first), or are zeros if state is NULL; a state is then updated to the
   last W-1 inputs (streaming: causal_conv1d_update). x has row stride ldx,
   y ldy (>= C); y must not overlap x or state. Errors: MLC_ERR_NULL,
   MLC_ERR_ARG (L, C < 1, W < 1 or > 16, ldx or ldy < C, bad act). */
MLC_API mlc_result mlc_ssm_conv1d_f32(int L, int C, int W, const float *x, int ldx,
                                      const float *w, const float *bias, float *state,
                                      float *y, int ldy, mlc_act act);
MLC_API mlc_result mlc_ssm_conv1d_ref_f32(int L, int C, int W, const float *x, int ldx,
                                          const float *w, const float *bias, float *state,
                                          float *y, int ldy, mlc_act act);

/* ---- S4D: a diagonal linear SSM (state-spaces/s4, models/s4/s4d.py) -------
   H channels, each with N complex modes (d_state = 2N: modes come in
   conjugate pairs, hence the 2 Re below). With dt = exp(log_dt[h]) and
   A = -exp(log_A_real) + i A_imag, zero-order hold gives
       dA = exp(dt A),   dC = C (exp(dt A) - 1) / A          (B = 1 folded in)
   and the two equivalent forms
       recurrence   x[l] = dA x[l-1] + u[l],   y[l] = 2 Re(sum_n dC x[l]) + D u[l]
       convolution  K[j] = 2 Re(sum_n dC dA^j),  y[l] = sum_{j<=l} K[j] u[l-j] + D u[l]
   (S4DKernel.forward computes K; S4D.forward applies it by FFT). u, y are
   [L, H]; the state is complex [N, H]: N*H real parts then N*H imaginary
   parts (mlc_s4d_state_floats). */
typedef struct mlc_s4d {
    int H, N;
    float *dA_re, *dA_im;     /* [N, H] exp(dt A) */
    float *dC_re, *dC_im;     /* [N, H] C (exp(dt A) - 1) / A */
    double *lam_re, *lam_im;  /* [N, H] dt A, kept in double for the kernel */
    double *w_re, *w_im;      /* [N, H] dC in double */
    float *D;                 /* [H] or NULL */
} mlc_s4d;

MLC_API size_t     mlc_s4d_arena_bytes(int H, int N, int has_D);
/* log_dt [H], log_A_real and A_imag [H, N], C [H, N, 2] (view_as_real of the
   complex C), D [H] or NULL: S4DKernel's parameters as stored. Discretises
   in double. Errors: MLC_ERR_NULL, MLC_ERR_ARG (H, N < 1), MLC_ERR_NOMEM. */
MLC_API mlc_result mlc_s4d_init(mlc_s4d *s, int H, int N, const float *log_dt,
                                const float *log_A_real, const float *A_imag, const float *C,
                                const float *D, mlc_arena *arena);
/* Loads "<prefix>.kernel.log_dt", ".kernel.log_A_real", ".kernel.A_imag",
   ".kernel.C" and, if present, "<prefix>.D" (an S4D module's state_dict).
   MLC_ERR_NOT_FOUND / MLC_ERR_SHAPE / MLC_ERR_DTYPE name the tensor in
   st->bad_name. */
MLC_API mlc_result mlc_s4d_load(mlc_s4d *s, const mlc_safetensors *st, const char *prefix,
                                mlc_arena *arena);
MLC_API size_t     mlc_s4d_state_floats(const mlc_s4d *s);
/* The convolution kernel K [L, H] (computed in double, rounded once). */
MLC_API mlc_result mlc_s4d_kernel(const mlc_s4d *s, float *K, int L);
/* y = K * u + D u, the direct causal convolution over [L, H], K [Lk, H]
   (taps past Lk are zero), D [H] or NULL. Vectorised over channels, output
   rows in register blocks of 4. y must not overlap u. */
MLC_API mlc_result mlc_s4d_conv_f32(int L, int H, const float *K, int Lk, const float *u,
                                    const float *D, float *y);
MLC_API mlc_result mlc_s4d_conv_ref_f32(int L, int H, const float *K, int Lk, const float *u,
                                        const float *D, float *y);
/* The recurrence over u, y [L, H]; state (mlc_s4d_state_floats floats) in
   and out, or NULL for zeros. L = 1 is the step. */
MLC_API mlc_result mlc_s4d_forward(const mlc_s4d *s, const float *u, float *y, int L, float *state);
MLC_API mlc_result mlc_s4d_forward_ref(const mlc_s4d *s, const float *u, float *y, int L,
                                       float *state);

/* ---- Mamba block (mamba_ssm.modules.mamba_simple.Mamba) -------------------
   The mixer, in PyTorch's names (prefix "<p>.mixer." inside a Block):
       in_proj.weight [2 di, dm] (.bias optional)   xz = in_proj(h); x, z = split
       conv1d.weight [di, 1, W], conv1d.bias [di]     x = silu(causal_conv1d(x))
       x_proj.weight [R + 2N, di]                     dt, B, C = split(x_proj(x))
       dt_proj.weight [di, R], dt_proj.bias [di]      dt = dt_proj.weight dt
       A_log [di, N], D [di]                          y = scan(x, dt, -exp(A_log), B, C,
                                                          D, z, dt_proj.bias, softplus)
       out_proj.weight [dm, di] (.bias optional)      out = out_proj(y)
   and the Block wrapper (mamba_ssm.modules.block.Block, fused_add_norm off):
   "<p>.norm.weight" [dm] (RMSNorm; with "<p>.norm.bias", LayerNorm). Mamba's
   Block returns (mixer(norm(h + r)), h + r); running the residual stream
   x = h + r instead, a Block is x <- x + mixer(norm(x)), which is what
   forward computes. Sizes (dm, di, N, W, R) come from the tensors. */
typedef struct mlc_mamba {
    int d_model, d_inner, d_state, d_conv, dt_rank;
    int has_norm;            /* 1: Block (x += mixer(norm(x))); 0: bare mixer (x = mixer(x)) */
    int norm_is_layernorm;   /* norm.bias present */
    float norm_eps;
    float *norm_w, *norm_b;  /* [dm] */
    mlc_linear in_proj, x_proj, dt_proj, out_proj;   /* dt_proj without its bias */
    float *conv_w;           /* [W, di]: conv1d.weight [di, 1, W] tap-major */
    float *conv_b;           /* [di] or NULL */
    float *dt_bias;          /* [di] */
    float *A2;               /* [N, di] = -exp(A_log) log2(e), transposed: the scan's layout */
    float *D;                /* [di] */
} mlc_mamba;

/* Streaming state of one block: conv [W-1, di] (the last conv inputs, oldest
   first: PyTorch's conv_state [di, W] without its oldest column, transposed)
   and ssm [N, di] (PyTorch's ssm_state [di, N], transposed). Both are
   token-major like the activations, channels contiguous, so a one-token
   step reads them with vector loads. */
typedef struct mlc_mamba_state {
    float *conv;
    float *ssm;
} mlc_mamba_state;

/* Loads a Block at "<prefix>.norm.*" + "<prefix>.mixer.*" if
   "<prefix>.mixer.in_proj.weight" exists, else a bare Mamba mixer at
   "<prefix>.*" (prefix "" for a Mamba module's own state_dict). norm_eps:
   the norm's eps (Mamba's norm_epsilon, default 1e-5). Errors:
   MLC_ERR_NOT_FOUND, MLC_ERR_SHAPE, MLC_ERR_DTYPE, MLC_ERR_UNSUPPORTED
   (conv1d kernel wider than 16) with the tensor's name in st->bad_name;
   MLC_ERR_ARG, MLC_ERR_NOMEM. */
MLC_API mlc_result mlc_mamba_load(mlc_mamba *m, const mlc_safetensors *st, const char *prefix,
                                  float norm_eps, mlc_arena *arena);
/* Allocates a zeroed state; mlc_mamba_state_reset zeroes it again. */
MLC_API mlc_result mlc_mamba_state_init(const mlc_mamba *m, mlc_mamba_state *s, mlc_arena *arena);
MLC_API void       mlc_mamba_state_reset(const mlc_mamba *m, mlc_mamba_state *s);
/* Scratch bytes mlc_mamba_forward needs for L tokens (rows are processed
   MLC_MAMBA_ROWS at a time, build option, default 256, so this stops
   growing past that). */
MLC_API size_t     mlc_mamba_scratch_bytes(const mlc_mamba *m, int L);
/* x [L, dm] float32, in place. state: carried in and out (NULL: zeros in,
   discarded). What is taken from scratch is released before returning.
   Errors: MLC_ERR_NULL, MLC_ERR_DTYPE, MLC_ERR_SHAPE (x not [L, dm]),
   MLC_ERR_NOMEM (scratch too small). */
MLC_API mlc_result mlc_mamba_forward(const mlc_mamba *m, const mlc_ctx *ctx, mlc_tensor *x,
                                     mlc_mamba_state *state, mlc_arena *scratch);
/* One token: x [dm] in place, state required (Mamba.step). */
MLC_API mlc_result mlc_mamba_step(const mlc_mamba *m, const mlc_ctx *ctx, float *x,
                                  mlc_mamba_state *state, mlc_arena *scratch);

/* ---- Mamba language model (mamba_ssm MambaLMHeadModel) --------------------
   "backbone.embedding.weight" [V, dm], blocks "backbone.layers.<i>" (counted
   until one is missing), "backbone.norm_f.weight" (.bias: LayerNorm) and
   "lm_head.weight" [V, dm] (absent: tied to the embedding, as Mamba ties
   them). */
typedef struct mlc_mamba_lm {
    int vocab, d_model, n_layer;
    float *embedding;           /* [V, dm] in the arena */
    mlc_mamba *layers;          /* [n_layer] in the arena */
    int norm_is_layernorm;
    float norm_eps;
    float *norm_f_w, *norm_f_b;
    mlc_linear lm_head;
} mlc_mamba_lm;

MLC_API mlc_result mlc_mamba_lm_load(mlc_mamba_lm *lm, const mlc_safetensors *st, float norm_eps,
                                     mlc_arena *arena);
/* An array of n_layer zeroed states, from the arena. */
MLC_API mlc_result mlc_mamba_lm_state_init(const mlc_mamba_lm *lm, mlc_mamba_state **states,
                                           mlc_arena *arena);
MLC_API void       mlc_mamba_lm_state_reset(const mlc_mamba_lm *lm, mlc_mamba_state *states);
MLC_API size_t     mlc_mamba_lm_scratch_bytes(const mlc_mamba_lm *lm, int L);
/* Runs tokens [L] through the model from the given states (updated) and
   writes logits [L, V]. MLC_ERR_ARG for a token outside [0, V). */
MLC_API mlc_result mlc_mamba_lm_forward(const mlc_mamba_lm *lm, const mlc_ctx *ctx, const int *tokens,
                                        int L, float *logits, mlc_mamba_state *states,
                                        mlc_arena *scratch);
/* One token in, logits [V] out, states updated in place. */
MLC_API mlc_result mlc_mamba_lm_step(const mlc_mamba_lm *lm, const mlc_ctx *ctx, int token,
                                     float *logits, mlc_mamba_state *states, mlc_arena *scratch);

/* ---- n-gram language models ----------------------------------------------
   Word (or character) n-gram models of any order 1..MLC_NGRAM_MAX_ORDER,
   chosen at run time:
     - estimation: interpolated modified Kneser-Ney computed exactly as
       KenLM's lmplz does (same adjusted counts, discounts, float32
       arithmetic, <s>/<unk> handling and ARPA output), plus add-k and
       stupid backoff; count pruning by order as lmplz --prune;
     - ARPA read (files written by KenLM, SRILM, IRSTLM) and write;
     - a compact query structure (KenLM's "probing" idea: word-id n-grams
       hashed to 64-bit keys in open-addressing tables), a streaming state
       API like KenLM's State, perplexity as KenLM's `query` prints it, and
       sampling with temperature and top-k from a seeded RNG.
   Text: each line is a sentence; words are split on space, \t, \n, \v, \f,
   \r and NUL (lmplz splits on NUL too). In character mode every UTF-8
   character of a line is a token (an invalid byte is a token of its own)
   and space, \t, \v, \f become the token "<sp>" (\r and NUL are dropped). <s>, </s> and <unk> in training text are
   skipped, as lmplz does.
   Word ids: 0 <unk>, 1 <s>, 2 </s>, then the other words in order of first
   appearance (training) or of the ARPA unigram section.
   Memory: a model is one block, from the caller's arena or (arena NULL)
   from MLC_MALLOC, released by mlc_ngram_free. Training also takes
   temporary memory from MLC_MALLOC (freed before it returns; the peak is
   reported in train_peak_bytes). Scoring, perplexity and sampling never
   allocate. Keys: like KenLM's probing model the tables keep a 64-bit hash
   of each n-gram, not its words, so an n-gram absent from the model matches
   a stored one with probability about 2^-62 per lookup. */
#ifndef MLC_NGRAM_MAX_ORDER
#define MLC_NGRAM_MAX_ORDER 16      /* build option: highest order (<= 32) */
#endif
#define MLC_NGRAM_UNK 0u
#define MLC_NGRAM_BOS 1u
#define MLC_NGRAM_EOS 2u

typedef enum mlc_ngram_smoothing {
    MLC_NGRAM_KN     = 0,   /* interpolated modified Kneser-Ney (lmplz) */
    MLC_NGRAM_ADD_K  = 1,   /* add-k on each order, unseen mass by backoff */
    MLC_NGRAM_STUPID = 2    /* stupid backoff (Brants et al. 2007): scores */
} mlc_ngram_smoothing;

/* status bits (mlc_ngram.status) */
#define MLC_NGRAM_ST_FALLBACK   1u  /* KN discounts of some order failed (t_k = 0 or
                                       D_k outside [0, k]); fallback_orders says which */
#define MLC_NGRAM_ST_UNK_ADDED  2u  /* ARPA without <unk>: added with log10 p = -100 */
#define MLC_NGRAM_ST_POS_PROB   4u  /* ARPA log10 p > 0 (IRSTLM does it): read as 0 */
#define MLC_NGRAM_ST_NOT_CLOSED 8u  /* some n-gram's context or suffix is missing:
                                       it is unreachable, as in KenLM */

typedef struct mlc_ngram_params {
    int order;                       /* 1..MLC_NGRAM_MAX_ORDER */
    mlc_ngram_smoothing smoothing;
    int char_mode;                   /* 1: characters are the tokens */
    int query_only;                  /* 1: keep no word tuples (smaller model,
                                        mlc_ngram_write_arpa unsupported) */
    float add_k;                     /* ADD_K: k > 0 (default 1) */
    float stupid_alpha;              /* STUPID: backoff factor in (0, 1] (0.4) */
    float fallback[3];               /* KN: D1, D2, D3+ substituted for an order
                                        whose discounts fail (lmplz's 0.5 1 1.5) */
    uint32_t prune[MLC_NGRAM_MAX_ORDER]; /* KN: drop n-grams of order i+1 whose raw
                                        count is <= prune[i]; prune[0] must be 0 and
                                        the values non-decreasing (lmplz --prune) */
} mlc_ngram_params;

typedef struct mlc_ngram {
    int order;
    int char_mode;
    unsigned status;                 /* MLC_NGRAM_ST_* */
    unsigned fallback_orders;        /* bit i: order i+1 used the fallback discounts */
    uint32_t vocab_size;             /* word types, <unk> <s> </s> included */
    uint64_t counts[MLC_NGRAM_MAX_ORDER];   /* n-grams of each order in the model */
    /* training (KN): per order D1, D2, D3+ and t1..t4 (n-grams with adjusted
       count 1..4, pruned ones included, as lmplz: which counts, below an
       order's top, the last n-gram in its suffix order by its raw count) */
    float discount[MLC_NGRAM_MAX_ORDER][3];
    uint64_t adjusted_hist[MLC_NGRAM_MAX_ORDER][4];
    uint64_t train_tokens;           /* words + </s> counted in training */
    uint64_t train_sentences;
    size_t bytes;                    /* the model's memory block */
    size_t train_peak_bytes;         /* peak temporary memory of mlc_ngram_train */
    /* private: */
    uint64_t seed_;
    float *uni_;                     /* [vocab_size][2] log10 p, backoff */
    unsigned char *tab_[MLC_NGRAM_MAX_ORDER];  /* order n at [n-1], n >= 2 */
    uint32_t slots_[MLC_NGRAM_MAX_ORDER];
    uint32_t *words_[MLC_NGRAM_MAX_ORDER];     /* [counts][n] or NULL, n >= 2 */
    char *strings_;                  /* words, NUL-terminated, in id order */
    uint32_t *offsets_;              /* [vocab_size + 1] into strings_ */
    unsigned char *vtab_;            /* vocabulary hash table */
    uint32_t vmask_;
    void *owned_;                    /* MLC_MALLOC block, or NULL (arena) */
} mlc_ngram;

/* Streaming state: the words of context the model can still use, most
   recent first, with their backoffs (KenLM's State). Plain data: copy it. */
typedef struct mlc_ngram_state {
    int length;
    uint32_t words[MLC_NGRAM_MAX_ORDER > 1 ? MLC_NGRAM_MAX_ORDER - 1 : 1];
    float backoff[MLC_NGRAM_MAX_ORDER > 1 ? MLC_NGRAM_MAX_ORDER - 1 : 1];
} mlc_ngram_state;

/* Perplexity as KenLM's `query` reports it: tokens = words + sentences
   (</s> is scored, <s> is not); an OOV scores p(<unk>). Each sentence's
   sum is accumulated in float32 and the corpus in double, as query does.
   Unlike query, a last line without '\n' is a full sentence. */
typedef struct mlc_ngram_ppl {
    double log10_sum;       /* sum of log10 p over all tokens */
    double log10_oov_sum;   /* the part of it from OOV words */
    uint64_t tokens, oovs, sentences;
    double ppl;             /* 10^(-log10_sum / tokens) */
    double ppl_no_oov;      /* 10^(-(log10_sum - log10_oov_sum) / (tokens - oovs)) */
} mlc_ngram_ppl;

/* order, KN, fallback 0.5 1 1.5, add_k 1, stupid_alpha 0.4, no pruning. */
MLC_API mlc_ngram_params mlc_ngram_params_default(int order);
/* Estimates a model from text[0..len). The model goes into arena (or one
   MLC_MALLOC block when arena is NULL); temporary memory from MLC_MALLOC.
   Errors: MLC_ERR_NULL, MLC_ERR_ARG (bad params), MLC_ERR_UNSUPPORTED
   (pruning with ADD_K/STUPID, over 2^32 - 1 tokens), MLC_ERR_NOMEM (then
   arena->need tells the size that fits). KN discounts that KenLM would
   refuse are replaced by params->fallback, and status/fallback_orders say
   so. */
MLC_API mlc_result mlc_ngram_train(mlc_ngram *m, const char *text, size_t len,
                                   const mlc_ngram_params *p, mlc_arena *arena);
/* Estimates as mlc_ngram_train and writes the ARPA that
   mlc_ngram_write_arpa would write for that model (the same bytes), through
   write(user, data, n), without building the model: less time and memory
   (lmplz's job). info (may be NULL) gets the model's numbers (order,
   vocab_size, counts, discounts, status, train_*) and no tables: it cannot
   be queried or written, and needs no mlc_ngram_free. Errors as
   mlc_ngram_train (p->query_only is ignored), and MLC_ERR_IO when write
   fails (what was written is then a prefix of the file). */
typedef int (*mlc_ngram_write_fn)(void *user, const char *data, size_t n);
MLC_API mlc_result mlc_ngram_train_arpa(const char *text, size_t len, const mlc_ngram_params *p,
                                        mlc_ngram_write_fn write, void *user, mlc_ngram *info);
#ifndef MLC_NO_STDIO
MLC_API mlc_result mlc_ngram_train_arpa_file(const char *text, size_t len, const mlc_ngram_params *p,
                                             const char *path, mlc_ngram *info);
#endif
/* Reads an ARPA model from buf[0..len). On error *err_line (may be NULL)
   is the 1-based line at fault (0: not a line's fault, e.g. NOMEM):
   MLC_ERR_FORMAT (missing or misplaced section, bad count line, bad or NaN
   number, wrong field count, unknown word, duplicate n-gram, line longer
   than 2 MiB, missing <s> or </s>), MLC_ERR_TRUNCATED (fewer
   n-grams than declared, no \end\), MLC_ERR_UNSUPPORTED (order above
   MLC_NGRAM_MAX_ORDER). The model is built into arena (or MLC_MALLOC when
   NULL); it does not point into buf. query_only as in the params. */
MLC_API mlc_result mlc_ngram_read_arpa(mlc_ngram *m, const char *buf, size_t len, int query_only,
                                       mlc_arena *arena, size_t *err_line);
/* Frees an MLC_MALLOC model (nothing for an arena model) and zeroes m. */
MLC_API void mlc_ngram_free(mlc_ngram *m);

/* Writes ARPA through write(user, data, n), which returns 0 on success
   (else MLC_ERR_IO). Unigrams in id order; higher orders of a trained
   model in context order (by word id from the first word: IRSTLM reads
   nothing else, lmplz's suffix order included), of a read model in the
   file's order; numbers in the shortest form that reads back to the same
   float32, backoffs on every order but the highest, as lmplz. Writing what
   was read gives the same bytes again. MLC_ERR_UNSUPPORTED for a
   query_only model (mlc_ngram_write_arpa_file then does not create or
   truncate the file). */
MLC_API mlc_result mlc_ngram_write_arpa(const mlc_ngram *m, mlc_ngram_write_fn write, void *user);
/* Into buf[0..cap): *len = the ARPA's size (also when it does not fit,
   then MLC_ERR_NOMEM; buf may be NULL with cap 0 to ask the size). */
MLC_API mlc_result mlc_ngram_write_arpa_mem(const mlc_ngram *m, char *buf, size_t cap, size_t *len);
#ifndef MLC_NO_STDIO
MLC_API mlc_result mlc_ngram_read_arpa_file(mlc_ngram *m, const char *path, int query_only,
                                            mlc_arena *arena, size_t *err_line);
MLC_API mlc_result mlc_ngram_write_arpa_file(const mlc_ngram *m, const char *path);
#endif

/* Binary models: the query structure as it is in memory (about 20 bytes
   per n-gram; with the word tuples unless query_only or the model has
   none, so that a loaded model can write ARPA again), in the writer's byte
   order. mlc_ngram_view_binary uses data[0..len) in place, copying
   nothing: data (8-byte aligned; a mapped file, a const array in flash)
   must outlive m, and mlc_ngram_free only zeroes m. It checks what queries
   depend on (sizes, word offsets, vocabulary ids, an empty slot in every
   table) in one pass over the vocabulary and the word tuples: a corrupted
   file can give wrong scores but not a crash or an endless probe.
   Errors: MLC_ERR_FORMAT (not a binary model, inconsistent numbers),
   MLC_ERR_TRUNCATED, MLC_ERR_BOUNDS (offsets or ids out of range),
   MLC_ERR_UNSUPPORTED (other byte order, newer version, order above
   MLC_NGRAM_MAX_ORDER), MLC_ERR_ARG (data not 8-byte aligned). Writing
   the model a view gives back writes the same bytes. */
MLC_API mlc_result mlc_ngram_write_binary(const mlc_ngram *m, int query_only, mlc_ngram_write_fn write, void *user);
MLC_API mlc_result mlc_ngram_view_binary(mlc_ngram *m, const void *data, size_t len);
#ifndef MLC_NO_STDIO
MLC_API mlc_result mlc_ngram_write_binary_file(const mlc_ngram *m, int query_only, const char *path);
/* Reads the file into one MLC_MALLOC block (freed by mlc_ngram_free). */
MLC_API mlc_result mlc_ngram_read_binary_file(mlc_ngram *m, const char *path);
#endif

/* Word id of word[0..len) (MLC_NGRAM_UNK when absent), and back. */
MLC_API uint32_t    mlc_ngram_word_id(const mlc_ngram *m, const char *word, size_t len);
MLC_API const char *mlc_ngram_word_str(const mlc_ngram *m, uint32_t id);   /* NULL if out of range */

/* State after <s> (a sentence start), and the empty context. */
MLC_API void mlc_ngram_state_begin(const mlc_ngram *m, mlc_ngram_state *s);
MLC_API void mlc_ngram_state_null(mlc_ngram_state *s);
/* log10 p(word | in) with backoff: the longest suffix h of the context with
   h word in the model, plus the backoffs of the longer contexts skipped;
   *out (may alias in) is the state after word. ngram_length (may be NULL)
   gets the order of the n-gram found. MLC_ERR_NULL, MLC_ERR_ARG (word id
   out of range, bad state). */
MLC_API mlc_result mlc_ngram_score(const mlc_ngram *m, const mlc_ngram_state *in, uint32_t word,
                                   mlc_ngram_state *out, float *log10p, int *ngram_length);
/* The same log10 p(word | context) computed from the ARPA definition by
   direct lookups, with context oldest word first (any length): the
   reference the state API is tested against. */
MLC_API mlc_result mlc_ngram_prob_ref(const mlc_ngram *m, const uint32_t *context, int n_context,
                                      uint32_t word, float *log10p);
/* Scores text[0..len) line by line. */
MLC_API mlc_result mlc_ngram_perplexity(const mlc_ngram *m, const char *text, size_t len,
                                        mlc_ngram_ppl *out);
/* The same, adding text's lines to *acc (zeroed or from earlier calls) and
   recomputing its perplexities: a text scored in pieces that each end at a
   line's end gives the same numbers, bit for bit, as in one call. */
MLC_API mlc_result mlc_ngram_perplexity_add(const mlc_ngram *m, const char *text, size_t len,
                                            mlc_ngram_ppl *acc);

/* Sampling. Scratch for mlc_ngram_sample/_generate: this many bytes (any
   alignment). The next word after state s is drawn from p(w | s)^(1/T)
   over every word but <s> and <unk>, renormalised, restricted to the top_k
   most likely (top_k <= 0: all); temperature 0 picks the most likely.
   *rng is the caller's 64-bit RNG state (any seed, splitmix64). */
MLC_API size_t     mlc_ngram_sample_scratch_bytes(const mlc_ngram *m);
MLC_API mlc_result mlc_ngram_sample(const mlc_ngram *m, const mlc_ngram_state *s, float temperature,
                                    int top_k, uint64_t *rng, void *scratch, uint32_t *word);
/* One sentence from <s> until </s> or max_tokens, as text into out[0..cap)
   (NUL-terminated; words joined by ' ', characters joined as they are with
   "<sp>" as ' '); *out_len (may be NULL) its length. MLC_ERR_NOMEM if it
   does not fit (out then holds what fitted). */
MLC_API mlc_result mlc_ngram_generate(const mlc_ngram *m, float temperature, int top_k, uint64_t *rng,
                                      int max_tokens, void *scratch, char *out, size_t cap,
                                      size_t *out_len);

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

#if !defined(MLC_ASSERT) && defined(MLC_NO_STDIO)
#  define MLC_ASSERT(c) ((void)0)    /* assert() would print: pulls in stdio */
#elif !defined(MLC_ASSERT)
#  include <assert.h>
#  define MLC_ASSERT(c) assert(c)
#endif
#if defined(MLC_MALLOC) != defined(MLC_FREE)
#  error "mlcore: define both MLC_MALLOC and MLC_FREE, or neither"
#endif
#include <stdlib.h>                                /* qsort; malloc, free */
#if defined(MLC_NO_MALLOC) && !defined(MLC_MALLOC)
#  define MLC_MALLOC(n) ((void)(n), (void *)0)    /* every request fails */
#  define MLC_FREE(p)   ((void)(p))
#elif !defined(MLC_MALLOC)
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
#ifndef MLC_EXP
#  define MLC_EXP(x)    exp(x)      /* double: tables built once at load */
#endif
#ifndef MLC_SIN
#  define MLC_SIN(x)    sin(x)
#endif
#ifndef MLC_COS
#  define MLC_COS(x)    cos(x)
#endif

#if defined(_MSC_VER)
#  define MLC__FORCE_INLINE static __forceinline
#  define MLC__RESTRICT __restrict
#elif defined(__GNUC__) || defined(__clang__)
#  define MLC__FORCE_INLINE static __inline__ __attribute__((always_inline))
#  define MLC__RESTRICT __restrict__
#else
#  define MLC__FORCE_INLINE static
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
/* Small helpers are force-inlined, except in size-optimised (-Os) builds of
   the scalar kernels (microcontrollers): there forcing copies the activation
   switch into every call site (the Cortex-M4F firmware example's library
   part: 193 KB forced, 17.9 KB with the compiler's choice, same speed). */
#if defined(MLC__SCALAR) && defined(__OPTIMIZE_SIZE__) && (defined(__GNUC__) || defined(__clang__))
#  define MLC__INLINE static __inline__
#else
#  define MLC__INLINE MLC__FORCE_INLINE
#endif

#if defined(MLC__AVX512)
#include <immintrin.h>
#if defined(__GNUC__) && !defined(__clang__)
/* GCC 12's AVX-512 intrinsics self-initialise an "undefined" vector, which
   g++ reports as (maybe-)uninitialized once inlined; popped at the end. */
#  pragma GCC diagnostic push
#  pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#  pragma GCC diagnostic ignored "-Wuninitialized"
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

/* Records in st->bad_name which tensor a loader failed on; returns r. */
static mlc_result mlc__st_blame(const mlc_safetensors *st, const char *name, mlc_result r) {
    if (st && st->bad_name && name) {
        size_t n = strlen(name);
        if (n > MLC_ST_BAD_NAME - 1) n = MLC_ST_BAD_NAME - 1;
        memcpy(st->bad_name, name, n);
        st->bad_name[n] = '\0';
    }
    return r;
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
    if (threads > 1 && (float)m * n * k >= 5e5f) {
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
    names = (char *)mlc_arena_alloc(arena, name_bytes + 1 + MLC_ST_BAD_NAME, 1);
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
    st->bad_name = names + name_bytes + 1;
    st->bad_name[0] = '\0';
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
    if (!(t = mlc_st_find(st, name))) return mlc__st_blame(st, name, MLC_ERR_NOT_FOUND);
    if (rank >= 0) {
        if (t->rank != rank) return mlc__st_blame(st, name, MLC_ERR_SHAPE);
        for (i = 0; i < (size_t)rank; i++) if (t->shape[i] != shape[i]) return mlc__st_blame(st, name, MLC_ERR_SHAPE);
    }
    if (t->numel != count) return mlc__st_blame(st, name, MLC_ERR_SHAPE);
    if (!mlc__is_float_dtype(t->dtype)) return mlc__st_blame(st, name, MLC_ERR_DTYPE);
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
    if (!(w = mlc_st_find(st, name))) return mlc__st_blame(st, name, MLC_ERR_NOT_FOUND);
    if (w->rank != 2 || w->shape[0] <= 0 || w->shape[1] <= 0) return mlc__st_blame(st, name, MLC_ERR_SHAPE);
    if (!mlc__is_float_dtype(w->dtype)) return mlc__st_blame(st, name, MLC_ERR_DTYPE);
    memcpy(name + plen, ".bias", 6);
    b = mlc_st_find(st, name);
    if (b && !mlc__is_float_dtype(b->dtype)) return mlc__st_blame(st, name, MLC_ERR_DTYPE);
    if (b && (b->rank != 1 || b->shape[0] != w->shape[0])) return mlc__st_blame(st, name, MLC_ERR_SHAPE);
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

// >>conv -----------------------------------------------------------------
/* NHWC 2-D convolution. Weights are packed once from PyTorch's OIHW:
     pointwise, general, per group g, the GEMM panel layout of a B with
     direct
                         n = Cout/groups columns and k = kh*kw*Cin/groups
                         rows in im2col order (kh, kw, ci), groups one after
                         the other (mlc_gemm_packed_b_floats(n, k) each)
     depthwise           [kh][kw][C]: a tap's weights for all channels are
                         contiguous, like the channels of an NHWC pixel.
   mlc__conv_wptr maps (co, ci, i, j) to its packed place; the packers and
   the scalar reference both go through it.
   MLC_CONV_ROWS (build option) is how many output pixels the general path
   turns into im2col rows at a time: scratch = rows * kh*kw*Cin/groups. */
#ifndef MLC_CONV_ROWS
#define MLC_CONV_ROWS 256
#endif

MLC_API mlc_conv2d_params mlc_conv2d_params_make(int kernel, int stride, int padding, int dilation, int groups) {
    mlc_conv2d_params p;
    p.kernel_h = p.kernel_w = kernel;
    p.stride_h = p.stride_w = stride;
    p.dilation_h = p.dilation_w = dilation;
    p.pad_top = p.pad_bottom = p.pad_left = p.pad_right = padding;
    p.groups = groups;
    return p;
}

/* Pads before/after for "same" along one axis (TensorFlow's rule). */
static void mlc__same_pad(int in, int k, int s, int d, int *before, int *after) {
    long long out = ((long long)in + s - 1) / s;
    long long total = (out - 1) * s + (long long)d * (k - 1) + 1 - in;
    if (total < 0) total = 0;
    *before = (int)(total / 2);
    *after = (int)(total - total / 2);
}

MLC_API mlc_result mlc_conv2d_params_same(mlc_conv2d_params *p, int in_h, int in_w) {
    if (!p) return MLC_ERR_NULL;
    if (p->kernel_h < 1 || p->kernel_w < 1 || p->stride_h < 1 || p->stride_w < 1 ||
        p->dilation_h < 1 || p->dilation_w < 1 || in_h < 1 || in_w < 1) return MLC_ERR_ARG;
    /* the padded extent must stay an int */
    if ((long long)p->dilation_h * (p->kernel_h - 1) + 1 > INT_MAX - (long long)in_h ||
        (long long)p->dilation_w * (p->kernel_w - 1) + 1 > INT_MAX - (long long)in_w) return MLC_ERR_ARG;
    mlc__same_pad(in_h, p->kernel_h, p->stride_h, p->dilation_h, &p->pad_top, &p->pad_bottom);
    mlc__same_pad(in_w, p->kernel_w, p->stride_w, p->dilation_w, &p->pad_left, &p->pad_right);
    return MLC_OK;
}

/* Valid params for these channel counts; K = kh*kw*cin/groups fits an int. */
static mlc_result mlc__conv_check(int in_ch, int out_ch, const mlc_conv2d_params *p) {
    if (!p) return MLC_ERR_NULL;
    if (in_ch < 1 || out_ch < 1 || p->kernel_h < 1 || p->kernel_w < 1 || p->stride_h < 1 || p->stride_w < 1 ||
        p->dilation_h < 1 || p->dilation_w < 1 || p->pad_top < 0 || p->pad_bottom < 0 || p->pad_left < 0 ||
        p->pad_right < 0 || p->groups < 1 || in_ch % p->groups || out_ch % p->groups) return MLC_ERR_ARG;
    if ((long long)p->kernel_h * p->kernel_w * (in_ch / p->groups) > INT_MAX) return MLC_ERR_UNSUPPORTED;
    /* packed weights (<= groups * (cout/groups + NR) * K floats) and the
       general path's scratch (MLC_CONV_ROWS * K floats) must fit a size_t */
    {
        float k = (float)p->kernel_h * p->kernel_w * (in_ch / p->groups);   /* float: no */
        float wf = (float)p->groups * ((float)(out_ch / p->groups) + MLC__NR) * k; /* soft double on MCUs */
        if (wf * sizeof(float) > (float)(SIZE_MAX / 2) || (float)MLC_CONV_ROWS * k * sizeof(float) > (float)(SIZE_MAX / 2))
            return MLC_ERR_UNSUPPORTED;
    }
    return MLC_OK;
}

static mlc_conv2d_kind mlc__conv_kind(int in_ch, int out_ch, const mlc_conv2d_params *p) {
    if (p->groups == in_ch && in_ch == out_ch) return MLC_CONV2D_DEPTHWISE;
    if (p->kernel_h == 1 && p->kernel_w == 1 && p->stride_h == 1 && p->stride_w == 1 &&
        !p->pad_top && !p->pad_bottom && !p->pad_left && !p->pad_right) return MLC_CONV2D_POINTWISE;
    if (p->groups == 1 && in_ch <= 3) return MLC_CONV2D_DIRECT;
    return MLC_CONV2D_GENERAL;
}

/* Floats of packed weights. */
static size_t mlc__conv_wfloats(int in_ch, int out_ch, const mlc_conv2d_params *p, mlc_conv2d_kind kind) {
    size_t taps = (size_t)p->kernel_h * (size_t)p->kernel_w;
    if (kind == MLC_CONV2D_DEPTHWISE) return taps * (size_t)in_ch;
    return (size_t)p->groups * mlc_gemm_packed_b_floats(out_ch / p->groups, (int)(taps * (size_t)(in_ch / p->groups)));
}

/* Where weight (co, ci, i, j) of OIHW (ci within its group) is packed. */
static float *mlc__conv_wptr(const mlc_conv2d *c, int co, int ci, int i, int j) {
    const mlc_conv2d_params *p = &c->p;
    if (c->kind == MLC_CONV2D_DEPTHWISE)
        return c->w + ((size_t)i * (size_t)p->kernel_w + (size_t)j) * (size_t)c->in_ch + (size_t)co;
    {
        int cig = c->in_ch / p->groups, cog = c->out_ch / p->groups;
        int g = co / cog, o = co % cog, k = p->kernel_h * p->kernel_w * cig;
        size_t kk = ((size_t)i * (size_t)p->kernel_w + (size_t)j) * (size_t)cig + (size_t)ci;
        return c->w + (size_t)g * mlc_gemm_packed_b_floats(cog, k)
                    + (size_t)(o / MLC__NR) * MLC__NR * (size_t)k + kk * MLC__NR + (size_t)(o % MLC__NR);
    }
}

MLC_API size_t mlc_conv2d_arena_bytes(int in_ch, int out_ch, const mlc_conv2d_params *p, int has_bias) {
    size_t b;
    if (mlc__conv_check(in_ch, out_ch, p) != MLC_OK) return 0;
    b = mlc__conv_wfloats(in_ch, out_ch, p, mlc__conv_kind(in_ch, out_ch, p)) * sizeof(float) + 64;
    if (has_bias) b += (size_t)out_ch * sizeof(float) + 64;
    return b;
}

/* Checks, allocates (weights zeroed: GEMM panels are zero-padded). */
static mlc_result mlc__conv_alloc(mlc_conv2d *c, int in_ch, int out_ch, const mlc_conv2d_params *p, int has_bias,
                                  mlc_arena *arena) {
    size_t mark = mlc_arena_mark(arena), nw;
    mlc_result r;
    memset(c, 0, sizeof *c);
    if ((r = mlc__conv_check(in_ch, out_ch, p)) != MLC_OK) return r;
    c->kind = mlc__conv_kind(in_ch, out_ch, p);
    nw = mlc__conv_wfloats(in_ch, out_ch, p, c->kind);
    c->w = (float *)mlc_arena_alloc(arena, nw * sizeof(float), 64);
    if (has_bias) c->bias = (float *)mlc_arena_alloc(arena, (size_t)out_ch * sizeof(float), 64);
    if (!c->w || (has_bias && !c->bias)) { mlc_arena_reset(arena, mark); memset(c, 0, sizeof *c); return MLC_ERR_NOMEM; }
    memset(c->w, 0, nw * sizeof(float));
    c->in_ch = in_ch; c->out_ch = out_ch; c->p = *p;
    return MLC_OK;
}

/* Packs OIHW weights: from native floats (src_f) or from safetensors bytes
   of a float dtype (src_b, dt). */
static void mlc__conv_pack(mlc_conv2d *c, const float *src_f, const unsigned char *src_b, mlc_dtype dt) {
    int cig = c->in_ch / c->p.groups, co, ci, i, j;
    size_t idx = 0;
    for (co = 0; co < c->out_ch; co++)
        for (ci = 0; ci < cig; ci++)
            for (i = 0; i < c->p.kernel_h; i++)
                for (j = 0; j < c->p.kernel_w; j++, idx++)
                    *mlc__conv_wptr(c, co, ci, i, j) = src_f ? src_f[idx] : mlc__elem_f32(src_b, dt, idx);
}

MLC_API mlc_result mlc_conv2d_init(mlc_conv2d *c, const float *weight_oihw, const float *bias,
                                   int in_ch, int out_ch, const mlc_conv2d_params *p, mlc_arena *arena) {
    mlc_result r;
    if (!c || !weight_oihw || !p || !arena) return MLC_ERR_NULL;
    if ((r = mlc__conv_alloc(c, in_ch, out_ch, p, bias != NULL, arena)) != MLC_OK) return r;
    mlc__conv_pack(c, weight_oihw, NULL, MLC_F32);
    if (bias) memcpy(c->bias, bias, (size_t)out_ch * sizeof(float));
    return MLC_OK;
}

MLC_API mlc_result mlc_conv2d_load(mlc_conv2d *c, const mlc_safetensors *st, const char *prefix,
                                   const mlc_conv2d_params *p, mlc_arena *arena) {
    char name[256];
    const mlc_st_tensor *w, *b;
    size_t plen;
    mlc_result r;
    int i;
    if (!c || !st || !prefix || !p || !arena) return MLC_ERR_NULL;
    memset(c, 0, sizeof *c);
    plen = strlen(prefix);
    if (plen + 8 > sizeof name) return MLC_ERR_ARG;
    memcpy(name, prefix, plen); memcpy(name + plen, ".weight", 8);
    if (!(w = mlc_st_find(st, name))) return mlc__st_blame(st, name, MLC_ERR_NOT_FOUND);
    if (p->groups < 1) return MLC_ERR_ARG;
    if (w->rank != 4 || w->shape[0] <= 0 || w->shape[1] <= 0 ||
        w->shape[2] != p->kernel_h || w->shape[3] != p->kernel_w) return mlc__st_blame(st, name, MLC_ERR_SHAPE);
    if ((long long)w->shape[1] * p->groups > INT_MAX) return mlc__st_blame(st, name, MLC_ERR_SHAPE);
    if (w->shape[0] % p->groups) return mlc__st_blame(st, name, MLC_ERR_SHAPE);
    if (!mlc__is_float_dtype(w->dtype)) return mlc__st_blame(st, name, MLC_ERR_DTYPE);
    memcpy(name + plen, ".bias", 6);
    b = mlc_st_find(st, name);
    if (b && !mlc__is_float_dtype(b->dtype)) return mlc__st_blame(st, name, MLC_ERR_DTYPE);
    if (b && (b->rank != 1 || b->shape[0] != w->shape[0])) return mlc__st_blame(st, name, MLC_ERR_SHAPE);
    if ((r = mlc__conv_alloc(c, w->shape[1] * p->groups, w->shape[0], p, b != NULL, arena)) != MLC_OK) return r;
    mlc__conv_pack(c, NULL, w->data, w->dtype);
    if (b) for (i = 0; i < w->shape[0]; i++) c->bias[i] = mlc__elem_f32(b->data, b->dtype, (size_t)i);
    return MLC_OK;
}

/* One axis: out = (in + pads - d (k-1) - 1) / s + 1, >= 1. The padded
   extent in + pads must be an int (then so is every index the kernels
   compute); else 0. */
static int mlc__conv_out1(int in, int k, int s, int d, int pb, int pa) {
    long long span = (long long)in + pb + pa - ((long long)d * (k - 1) + 1);
    if (in < 1 || span < 0 || (long long)in + pb + pa > INT_MAX) return 0;
    span = span / s + 1;
    return span > INT_MAX ? 0 : (int)span;
}

MLC_API mlc_result mlc_conv2d_out_size(const mlc_conv2d *c, int in_h, int in_w, int *out_h, int *out_w) {
    const mlc_conv2d_params *p;
    int oh, ow;
    if (!c || !out_h || !out_w) return MLC_ERR_NULL;
    p = &c->p;
    *out_h = *out_w = 0;
    if (c->kind == MLC_CONV2D_NONE || !c->w) return MLC_ERR_NULL;
    oh = mlc__conv_out1(in_h, p->kernel_h, p->stride_h, p->dilation_h, p->pad_top, p->pad_bottom);
    ow = mlc__conv_out1(in_w, p->kernel_w, p->stride_w, p->dilation_w, p->pad_left, p->pad_right);
    if (oh < 1 || ow < 1) return MLC_ERR_SHAPE;
    *out_h = oh; *out_w = ow;
    return MLC_OK;
}

/* im2col rows of the general path for an OH x OW output. */
static int mlc__conv_rows(int oh, int ow) {
    long long px = (long long)oh * ow;
    return px < MLC_CONV_ROWS ? (int)px : MLC_CONV_ROWS;
}

MLC_API size_t mlc_conv2d_scratch_bytes(const mlc_conv2d *c, int in_h, int in_w) {
    int oh, ow;
    size_t k;
    if (!c || c->kind != MLC_CONV2D_GENERAL) return 0;
    if (mlc_conv2d_out_size(c, in_h, in_w, &oh, &ow) != MLC_OK) return 0;
    k = (size_t)c->p.kernel_h * (size_t)c->p.kernel_w * (size_t)(c->in_ch / c->p.groups);
    return (size_t)mlc__conv_rows(oh, ow) * k * sizeof(float) + 64;
}

/* The checks forward and ref share; fills the sizes. */
typedef struct mlc__conv_dims { int n, h, w, oh, ow; } mlc__conv_dims;
static mlc_result mlc__conv_args(const mlc_conv2d *c, const mlc_tensor *y, const mlc_tensor *x, mlc_act act,
                                 mlc__conv_dims *d) {
    mlc_result r;
    if (!c || !c->w || c->kind == MLC_CONV2D_NONE || !x || !y) return MLC_ERR_NULL;
    if ((r = mlc__check_f32(x)) != MLC_OK || (r = mlc__check_f32(y)) != MLC_OK) return r;
    if (x->rank != 4 || y->rank != 4) return MLC_ERR_SHAPE;
    if (x->shape[3] != c->in_ch || y->shape[3] != c->out_ch || y->shape[0] != x->shape[0]) return MLC_ERR_SHAPE;
    d->n = x->shape[0]; d->h = x->shape[1]; d->w = x->shape[2];
    if ((r = mlc_conv2d_out_size(c, d->h, d->w, &d->oh, &d->ow)) != MLC_OK) return r;
    if (y->shape[1] != d->oh || y->shape[2] != d->ow) return MLC_ERR_SHAPE;
    if ((unsigned)act >= (unsigned)MLC_ACT_COUNT) return MLC_ERR_ARG;
    if ((long long)d->n * d->oh * d->ow > INT_MAX || (long long)d->n * d->h * d->w > INT_MAX) return MLC_ERR_UNSUPPORTED;
    return MLC_OK;
}

/* ---- depthwise ---------------------------------------------------------- */
typedef struct mlc__dw_job {
    const mlc_conv2d *c;
    const float *x; float *y;
    mlc__conv_dims d;
    mlc_act act; float alpha;
    int rows, tasks;          /* rows = N*OH, split evenly over tasks */
} mlc__dw_job;

/* nc floats (nc == MLC__VW: a full vector; the branch folds away). */
MLC__INLINE mlc__vf mlc__ldn(const float *p, size_t nc) { return nc == MLC__VW ? mlc__vload(p) : mlc__vload_tail(p, nc); }
MLC__INLINE void mlc__stn(float *p, mlc__vf v, size_t nc) { if (nc == MLC__VW) mlc__vstore(p, v); else mlc__vstore_tail(p, v, nc); }

/* Channels [c0, c0+nc) of one output pixel: taps [i0,i1) x [j0,j1) are the
   ones inside the image, so the loop has no checks. xp points at channel c0
   of input pixel (ih0 + i0*dh, iw0 + j0*dw). */
MLC__INLINE void mlc__dw_vec(const float *xp, const float *wp, const float *bias, float *yp, size_t nc,
                             int ni, int nj, size_t xs_i, size_t xs_j, size_t ws_i, size_t ws_j,
                             mlc_act act, float alpha) {
    mlc__vf acc = bias ? mlc__ldn(bias, nc) : mlc__vset1(0.0f);
    int i, j;
    for (i = 0; i < ni; i++, xp += xs_i, wp += ws_i) {
        const float *xq = xp, *wq = wp;
        for (j = 0; j < nj; j++, xq += xs_j, wq += ws_j) acc = mlc__vfma(mlc__ldn(xq, nc), mlc__ldn(wq, nc), acc);
    }
    mlc__stn(yp, mlc__vact(acc, act, alpha), nc);
}

/* Four output pixels side by side, every tap of each inside the image:
   a weight vector is loaded once for four FMAs (four independent chains).
   xs_px is the input step between the pixels (stride_w * C), C the output
   step. Called with constant ni = nj = 3 the loops unroll fully. */
MLC__INLINE void mlc__dw_vec4(const float *xp, const float *wp, const float *bias, float *yp, size_t nc,
                              int ni, int nj, size_t xs_i, size_t xs_j, size_t ws_i, size_t ws_j,
                              size_t xs_px, size_t C, mlc_act act, float alpha) {
    mlc__vf a0 = bias ? mlc__ldn(bias, nc) : mlc__vset1(0.0f), a1 = a0, a2 = a0, a3 = a0;
    int i, j;
    for (i = 0; i < ni; i++, xp += xs_i, wp += ws_i) {
        const float *xq = xp, *wq = wp;
        for (j = 0; j < nj; j++, xq += xs_j, wq += ws_j) {
            const mlc__vf wv = mlc__ldn(wq, nc);
            a0 = mlc__vfma(mlc__ldn(xq, nc), wv, a0);
            a1 = mlc__vfma(mlc__ldn(xq + xs_px, nc), wv, a1);
            a2 = mlc__vfma(mlc__ldn(xq + 2 * xs_px, nc), wv, a2);
            a3 = mlc__vfma(mlc__ldn(xq + 3 * xs_px, nc), wv, a3);
        }
    }
    mlc__stn(yp, mlc__vact(a0, act, alpha), nc);
    mlc__stn(yp + C, mlc__vact(a1, act, alpha), nc);
    mlc__stn(yp + 2 * C, mlc__vact(a2, act, alpha), nc);
    mlc__stn(yp + 3 * C, mlc__vact(a3, act, alpha), nc);
}

/* First and one-past-last tap index k in [0, kn) with 0 <= o + k*d < n. */
static void mlc__tap_range(int o, int d, int kn, int n, int *k0, int *k1) {
    int a = 0, b = kn;
    if (o < 0) a = (int)MLC__MIN((long long)kn, ((long long)d - 1 - o) / d);
    if (o + (long long)(kn - 1) * d >= n) b = o >= n ? 0 : (n - 1 - o) / d + 1;
    if (b < a) b = a;
    *k0 = a; *k1 = b;
}

/* Output rows [r0, r1) (row = (n, oh)). Per row: the taps rows inside the
   image are [i0, i1); output columns [owa, owb) have all kw taps inside and
   go four at a time through mlc__dw_vec4; the others (the border and the
   last few) one at a time with their own tap column range. */
static void mlc__dw_rows(const mlc__dw_job *jb, int r0, int r1) {
    const mlc_conv2d *c = jb->c;
    const mlc_conv2d_params *p = &c->p;
    const int C = c->in_ch, kh = p->kernel_h, kw = p->kernel_w, OW = jb->d.ow;
    const size_t xs_j = (size_t)p->dilation_w * (size_t)C, xs_i = (size_t)p->dilation_h * (size_t)jb->d.w * (size_t)C;
    const size_t ws_i = (size_t)kw * (size_t)C, xs_px = (size_t)p->stride_w * (size_t)C;
    const long long last = (long long)jb->d.w - 1 - (long long)(kw - 1) * p->dilation_w + p->pad_left;
    const int owa = (p->pad_left + p->stride_w - 1) / p->stride_w;
    const int owb = last < 0 ? owa : (int)MLC__MAX((long long)owa, MLC__MIN((long long)OW, last / p->stride_w + 1));
    const float *bias = c->bias;
    int r, ow;
    for (r = r0; r < r1; r++) {
        int n = r / jb->d.oh, oh = r % jb->d.oh, ih0 = oh * p->stride_h - p->pad_top, i0, i1;
        float *yrow = jb->y + (size_t)r * (size_t)OW * (size_t)C;
        const float *xrow;   /* input row of tap i0, at column 0 */
        mlc__tap_range(ih0, p->dilation_h, kh, jb->d.h, &i0, &i1);
        xrow = i1 > i0 ? jb->x + ((size_t)n * (size_t)jb->d.h + (size_t)(ih0 + i0 * p->dilation_h)) * (size_t)jb->d.w * (size_t)C
                       : jb->x;
        for (ow = 0; ow < OW;) {
            int iw0 = ow * p->stride_w - p->pad_left, j0, j1, ni = i1 - i0, nj;
            const float *xp = jb->x, *wp = c->w;   /* no taps: the bias alone */
            float *yp = yrow + (size_t)ow * (size_t)C;
            size_t c0 = 0;
            if (ni > 0 && ow >= owa && ow + 4 <= owb) {
                xp = xrow + (size_t)iw0 * (size_t)C;
                wp = c->w + (size_t)i0 * ws_i;
                if (kh == 3 && kw == 3 && ni == 3) {
                    for (; c0 + MLC__VW <= (size_t)C; c0 += MLC__VW)
                        mlc__dw_vec4(xp + c0, wp + c0, bias ? bias + c0 : NULL, yp + c0, MLC__VW, 3, 3, xs_i, xs_j,
                                     ws_i, (size_t)C, xs_px, (size_t)C, jb->act, jb->alpha);
                    if (c0 < (size_t)C)
                        mlc__dw_vec4(xp + c0, wp + c0, bias ? bias + c0 : NULL, yp + c0, (size_t)C - c0, 3, 3, xs_i,
                                     xs_j, ws_i, (size_t)C, xs_px, (size_t)C, jb->act, jb->alpha);
                } else {
                    for (; c0 + MLC__VW <= (size_t)C; c0 += MLC__VW)
                        mlc__dw_vec4(xp + c0, wp + c0, bias ? bias + c0 : NULL, yp + c0, MLC__VW, ni, kw, xs_i, xs_j,
                                     ws_i, (size_t)C, xs_px, (size_t)C, jb->act, jb->alpha);
                    if (c0 < (size_t)C)
                        mlc__dw_vec4(xp + c0, wp + c0, bias ? bias + c0 : NULL, yp + c0, (size_t)C - c0, ni, kw, xs_i,
                                     xs_j, ws_i, (size_t)C, xs_px, (size_t)C, jb->act, jb->alpha);
                }
                ow += 4;
                continue;
            }
            mlc__tap_range(iw0, p->dilation_w, kw, jb->d.w, &j0, &j1);
            nj = j1 - j0;
            if (ni > 0 && nj > 0) {
                xp = xrow + (size_t)(iw0 + j0 * p->dilation_w) * (size_t)C;
                wp = c->w + (size_t)i0 * ws_i + (size_t)j0 * (size_t)C;
            } else {
                ni = nj = 0;
            }
            for (; c0 + MLC__VW <= (size_t)C; c0 += MLC__VW)
                mlc__dw_vec(xp + c0, wp + c0, bias ? bias + c0 : NULL, yp + c0, MLC__VW, ni, nj,
                            xs_i, xs_j, ws_i, (size_t)C, jb->act, jb->alpha);
            if (c0 < (size_t)C)
                mlc__dw_vec(xp + c0, wp + c0, bias ? bias + c0 : NULL, yp + c0, (size_t)C - c0, ni,
                            nj, xs_i, xs_j, ws_i, (size_t)C, jb->act, jb->alpha);
            ow++;
        }
    }
}

static void mlc__dw_task(void *arg, int t) {
    const mlc__dw_job *jb = (const mlc__dw_job *)arg;
    int r0 = (int)((long long)jb->rows * t / jb->tasks), r1 = (int)((long long)jb->rows * (t + 1) / jb->tasks);
    mlc__dw_rows(jb, r0, r1);
}

/* ---- direct: groups 1, few input channels --------------------------------
   An RGB stem has K = kh*kw*3 taps per output, too few for im2col + GEMM
   to pay for the copy. Instead: eight output pixels of a row by one vector
   of output channels, straight from x; per tap one weight vector (from the
   GEMM panel layout: tap kk of column o at w + (o/NR) NR K + kk NR + o%NR)
   feeds eight FMAs. Pixels whose taps leave the image go one at a time
   with their own tap range. */
MLC__INLINE void mlc__direct_vec8(const float *xp, const float *wp, const float *bias, float *yp, size_t nc,
                                  int ni, int kw, int cin, size_t xs_i, size_t xs_j, size_t xs_px, size_t C,
                                  mlc_act act, float alpha) {
    mlc__vf a0 = bias ? mlc__ldn(bias, nc) : mlc__vset1(0.0f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
    int i, j, ci;
    for (i = 0; i < ni; i++, xp += xs_i) {
        const float *xq = xp;
        for (j = 0; j < kw; j++, xq += xs_j)
            for (ci = 0; ci < cin; ci++, wp += MLC__NR) {
                const mlc__vf wv = mlc__ldn(wp, nc);
                const float *xc = xq + ci;
                a0 = mlc__vfma(mlc__vset1(xc[0]), wv, a0);
                a1 = mlc__vfma(mlc__vset1(xc[xs_px]), wv, a1);
                a2 = mlc__vfma(mlc__vset1(xc[2 * xs_px]), wv, a2);
                a3 = mlc__vfma(mlc__vset1(xc[3 * xs_px]), wv, a3);
                a4 = mlc__vfma(mlc__vset1(xc[4 * xs_px]), wv, a4);
                a5 = mlc__vfma(mlc__vset1(xc[5 * xs_px]), wv, a5);
                a6 = mlc__vfma(mlc__vset1(xc[6 * xs_px]), wv, a6);
                a7 = mlc__vfma(mlc__vset1(xc[7 * xs_px]), wv, a7);
            }
    }
    mlc__stn(yp, mlc__vact(a0, act, alpha), nc);
    mlc__stn(yp + C, mlc__vact(a1, act, alpha), nc);
    mlc__stn(yp + 2 * C, mlc__vact(a2, act, alpha), nc);
    mlc__stn(yp + 3 * C, mlc__vact(a3, act, alpha), nc);
    mlc__stn(yp + 4 * C, mlc__vact(a4, act, alpha), nc);
    mlc__stn(yp + 5 * C, mlc__vact(a5, act, alpha), nc);
    mlc__stn(yp + 6 * C, mlc__vact(a6, act, alpha), nc);
    mlc__stn(yp + 7 * C, mlc__vact(a7, act, alpha), nc);
}

/* The same over two full vectors of output channels (a whole GEMM panel):
   two weight loads and eight broadcasts feed sixteen FMAs. */
MLC__INLINE void mlc__direct_vec8x2(const float *xp, const float *wp, const float *bias, float *yp,
                                    int ni, int kw, int cin, size_t xs_i, size_t xs_j, size_t xs_px, size_t C,
                                    mlc_act act, float alpha) {
    mlc__vf a0 = bias ? mlc__vload(bias) : mlc__vset1(0.0f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
    mlc__vf b0 = bias ? mlc__vload(bias + MLC__VW) : mlc__vset1(0.0f), b1 = b0, b2 = b0, b3 = b0, b4 = b0, b5 = b0, b6 = b0, b7 = b0;
    int i, j, ci;
    for (i = 0; i < ni; i++, xp += xs_i) {
        const float *xq = xp;
        for (j = 0; j < kw; j++, xq += xs_j)
            for (ci = 0; ci < cin; ci++, wp += MLC__NR) {
                const mlc__vf wv = mlc__vload(wp), wu = mlc__vload(wp + MLC__VW);
                const float *xc = xq + ci;
                mlc__vf t;
                t = mlc__vset1(xc[0]);         a0 = mlc__vfma(t, wv, a0); b0 = mlc__vfma(t, wu, b0);
                t = mlc__vset1(xc[xs_px]);     a1 = mlc__vfma(t, wv, a1); b1 = mlc__vfma(t, wu, b1);
                t = mlc__vset1(xc[2 * xs_px]); a2 = mlc__vfma(t, wv, a2); b2 = mlc__vfma(t, wu, b2);
                t = mlc__vset1(xc[3 * xs_px]); a3 = mlc__vfma(t, wv, a3); b3 = mlc__vfma(t, wu, b3);
                t = mlc__vset1(xc[4 * xs_px]); a4 = mlc__vfma(t, wv, a4); b4 = mlc__vfma(t, wu, b4);
                t = mlc__vset1(xc[5 * xs_px]); a5 = mlc__vfma(t, wv, a5); b5 = mlc__vfma(t, wu, b5);
                t = mlc__vset1(xc[6 * xs_px]); a6 = mlc__vfma(t, wv, a6); b6 = mlc__vfma(t, wu, b6);
                t = mlc__vset1(xc[7 * xs_px]); a7 = mlc__vfma(t, wv, a7); b7 = mlc__vfma(t, wu, b7);
            }
    }
#define MLC__ST2(k, a, b) mlc__vstore(yp + (k) * C, mlc__vact(a, act, alpha)); \
                          mlc__vstore(yp + (k) * C + MLC__VW, mlc__vact(b, act, alpha))
    MLC__ST2(0, a0, b0); MLC__ST2(1, a1, b1); MLC__ST2(2, a2, b2); MLC__ST2(3, a3, b3);
    MLC__ST2(4, a4, b4); MLC__ST2(5, a5, b5); MLC__ST2(6, a6, b6); MLC__ST2(7, a7, b7);
#undef MLC__ST2
}

/* One pixel, taps [i0,i1) x [j0,j1) inside the image; wp at tap (i0, 0, 0). */
MLC__INLINE void mlc__direct_vec1(const float *xp, const float *wp, const float *bias, float *yp, size_t nc,
                                  int ni, int j0, int j1, int kw, int cin, size_t xs_i, size_t xs_j,
                                  mlc_act act, float alpha) {
    mlc__vf acc = bias ? mlc__ldn(bias, nc) : mlc__vset1(0.0f);
    int i, j, ci;
    for (i = 0; i < ni; i++, xp += xs_i, wp += (size_t)kw * (size_t)cin * MLC__NR) {
        const float *xq = xp;
        for (j = j0; j < j1; j++, xq += xs_j)
            for (ci = 0; ci < cin; ci++)
                acc = mlc__vfma(mlc__vset1(xq[ci]), mlc__ldn(wp + ((size_t)j * (size_t)cin + (size_t)ci) * MLC__NR, nc), acc);
    }
    mlc__stn(yp, mlc__vact(acc, act, alpha), nc);
}

static void mlc__direct_rows(const mlc__dw_job *jb, int r0, int r1) {
    const mlc_conv2d *c = jb->c;
    const mlc_conv2d_params *p = &c->p;
    const int cin = c->in_ch, C = c->out_ch, kh = p->kernel_h, kw = p->kernel_w, OW = jb->d.ow;
    const size_t K = (size_t)kh * (size_t)kw * (size_t)cin;
    const size_t xs_j = (size_t)p->dilation_w * (size_t)cin, xs_i = (size_t)p->dilation_h * (size_t)jb->d.w * (size_t)cin;
    const size_t xs_px = (size_t)p->stride_w * (size_t)cin;
    const long long last = (long long)jb->d.w - 1 - (long long)(kw - 1) * p->dilation_w + p->pad_left;
    const int owa = (p->pad_left + p->stride_w - 1) / p->stride_w;
    const int owb = last < 0 ? owa : (int)MLC__MAX((long long)owa, MLC__MIN((long long)OW, last / p->stride_w + 1));
    int r, ow, c0, pair = 0;
    for (r = r0; r < r1; r++) {
        int n = r / jb->d.oh, oh = r % jb->d.oh, ih0 = oh * p->stride_h - p->pad_top, i0, i1, ni;
        float *yrow = jb->y + (size_t)r * (size_t)OW * (size_t)C;
        const float *xrow;   /* input row of tap i0, at column 0 */
        mlc__tap_range(ih0, p->dilation_h, kh, jb->d.h, &i0, &i1);
        ni = i1 - i0;
        xrow = ni > 0 ? jb->x + ((size_t)n * (size_t)jb->d.h + (size_t)(ih0 + i0 * p->dilation_h)) * (size_t)jb->d.w * (size_t)cin
                      : jb->x;
        for (c0 = 0; c0 < C; c0 += pair ? MLC__NR : MLC__VW) {
            size_t nc = (size_t)MLC__MIN(MLC__VW, C - c0);
            int v, nv;
            pair = c0 % MLC__NR == 0 && C - c0 >= MLC__NR;   /* a whole panel: two vectors at once */
            nv = pair ? 2 : 1;
            const float *wcol = c->w + (size_t)(c0 / MLC__NR) * MLC__NR * K + (size_t)(c0 % MLC__NR);
            const float *wrow = wcol + (size_t)i0 * (size_t)kw * (size_t)cin * MLC__NR;
            const float *bias = c->bias ? c->bias + c0 : NULL;
            for (ow = 0; ow < OW;) {
                int iw0 = ow * p->stride_w - p->pad_left, j0, j1;
                float *yp = yrow + (size_t)ow * (size_t)C + (size_t)c0;
                if (ni > 0 && ow >= owa && ow + 8 <= owb) {
                    const float *xp = xrow + (size_t)iw0 * (size_t)cin;
                    if (pair && ni == 3 && kw == 3 && cin == 3)   /* the common stem, unrolled */
                        mlc__direct_vec8x2(xp, wrow, bias, yp, 3, 3, 3, xs_i, xs_j, xs_px, (size_t)C, jb->act, jb->alpha);
                    else if (pair)
                        mlc__direct_vec8x2(xp, wrow, bias, yp, ni, kw, cin, xs_i, xs_j, xs_px, (size_t)C, jb->act, jb->alpha);
                    else if (nc == MLC__VW)
                        mlc__direct_vec8(xp, wrow, bias, yp, MLC__VW, ni, kw, cin, xs_i, xs_j, xs_px, (size_t)C, jb->act, jb->alpha);
                    else
                        mlc__direct_vec8(xp, wrow, bias, yp, nc, ni, kw, cin, xs_i, xs_j, xs_px, (size_t)C, jb->act, jb->alpha);
                    ow += 8;
                    continue;
                }
                mlc__tap_range(iw0, p->dilation_w, kw, jb->d.w, &j0, &j1);
                for (v = 0; v < nv; v++) {
                    const float *bv = bias ? bias + v * MLC__VW : NULL;
                    if (ni <= 0 || j1 <= j0)
                        mlc__direct_vec1(jb->x, wrow + v * MLC__VW, bv, yp + v * MLC__VW, nc, 0, 0, 0, kw, cin, xs_i, xs_j,
                                         jb->act, jb->alpha);
                    else
                        mlc__direct_vec1(xrow + (size_t)(iw0 + j0 * p->dilation_w) * (size_t)cin, wrow + v * MLC__VW, bv,
                                         yp + v * MLC__VW, nc, ni, j0, j1, kw, cin, xs_i, xs_j, jb->act, jb->alpha);
                }
                ow++;
            }
        }
    }
}

static void mlc__direct_task(void *arg, int t) {
    const mlc__dw_job *jb = (const mlc__dw_job *)arg;
    int r0 = (int)((long long)jb->rows * t / jb->tasks), r1 = (int)((long long)jb->rows * (t + 1) / jb->tasks);
    mlc__direct_rows(jb, r0, r1);
}

/* ---- general: im2col + GEMM -------------------------------------------- */
/* dst[0..n) = src[0..n): im2col copies are a few floats long (3 for an RGB
   stem), too short for a memcpy call to pay off. */
MLC__INLINE void mlc__copy_f32(float *dst, const float *src, size_t n) {
    size_t i = 0;
    for (; i + MLC__VW <= n; i += MLC__VW) mlc__vstore(dst + i, mlc__vload(src + i));
    if (i < n) mlc__vstore_tail(dst + i, mlc__vload_tail(src + i, n - i), n - i);
}

/* Rows [r0, r0+nr) of group g's im2col matrix (row = output pixel over the
   batch, columns (kh, kw, ci)); taps in the padding are zeros. */
static void mlc__im2col(float *col, const float *x, const mlc_conv2d *c, const mlc__conv_dims *d, int r0, int nr,
                        int g) {
    const mlc_conv2d_params *p = &c->p;
    const int cig = c->in_ch / p->groups;
    const size_t cb = (size_t)cig * sizeof(float), px = (size_t)d->oh * (size_t)d->ow;
    int rr, i, j;
    for (rr = 0; rr < nr; rr++) {
        size_t r = (size_t)(r0 + rr), n = r / px, rem = r % px;
        int oh = (int)(rem / (size_t)d->ow), ow = (int)(rem % (size_t)d->ow);
        int ih0 = oh * p->stride_h - p->pad_top, iw0 = ow * p->stride_w - p->pad_left;
        const int wide = cig == c->in_ch && p->dilation_w == 1 && iw0 >= 0 && iw0 + p->kernel_w <= d->w;
        for (i = 0; i < p->kernel_h; i++) {
            int ih = ih0 + i * p->dilation_h;
            if (ih < 0 || ih >= d->h) { memset(col, 0, cb * (size_t)p->kernel_w); col += (size_t)cig * (size_t)p->kernel_w; continue; }
            if (wide) {   /* groups 1, the kw taps side by side inside the row: one copy */
                mlc__copy_f32(col, x + ((n * (size_t)d->h + (size_t)ih) * (size_t)d->w + (size_t)iw0) * (size_t)c->in_ch,
                              (size_t)cig * (size_t)p->kernel_w);
                col += (size_t)cig * (size_t)p->kernel_w;
                continue;
            }
            for (j = 0; j < p->kernel_w; j++, col += cig) {
                int iw = iw0 + j * p->dilation_w;
                if (iw < 0 || iw >= d->w) memset(col, 0, cb);
                else mlc__copy_f32(col, x + ((n * (size_t)d->h + (size_t)ih) * (size_t)d->w + (size_t)iw) * (size_t)c->in_ch
                                          + (size_t)g * (size_t)cig, (size_t)cig);
            }
        }
    }
}

/* im2col of one row block split over parallel_for tasks. */
typedef struct mlc__im2col_job {
    float *col; const float *x; const mlc_conv2d *c; const mlc__conv_dims *d;
    int r0, nr, g, k, tasks;
} mlc__im2col_job;
static void mlc__im2col_task(void *arg, int t) {
    const mlc__im2col_job *j = (const mlc__im2col_job *)arg;
    int a = (int)((long long)j->nr * t / j->tasks), b = (int)((long long)j->nr * (t + 1) / j->tasks);
    if (b > a) mlc__im2col(j->col + (size_t)a * (size_t)j->k, j->x, j->c, j->d, j->r0 + a, b - a, j->g);
}

MLC_API mlc_result mlc_conv2d_forward(const mlc_conv2d *c, const mlc_ctx *ctx, mlc_tensor *y, const mlc_tensor *x,
                                      mlc_act act, float alpha, mlc_arena *scratch) {
    mlc__conv_dims d;
    mlc_result r = mlc__conv_args(c, y, x, act, &d);
    const float *xd;
    float *yd;
    int groups, cig, cog, k, g, m;
    size_t gstride;
    if (r != MLC_OK) return r;
    xd = (const float *)x->data; yd = (float *)y->data;
    groups = c->p.groups; cig = c->in_ch / groups; cog = c->out_ch / groups;
    k = c->p.kernel_h * c->p.kernel_w * cig;
    gstride = mlc_gemm_packed_b_floats(cog, k);
    m = d.n * d.oh * d.ow;

    if (c->kind == MLC_CONV2D_DEPTHWISE || c->kind == MLC_CONV2D_DIRECT) {
        mlc__dw_job jb;
        int dw = c->kind == MLC_CONV2D_DEPTHWISE;
        jb.c = c; jb.x = xd; jb.y = yd; jb.d = d; jb.act = act; jb.alpha = alpha;
        jb.rows = d.n * d.oh; jb.tasks = 1;
        if (ctx && ctx->parallel_for && ctx->n_threads > 1 &&
            (float)m * c->out_ch * k >= 5e5f) {
            jb.tasks = MLC__MIN(jb.rows, ctx->n_threads);
            ctx->parallel_for(ctx->user, dw ? mlc__dw_task : mlc__direct_task, &jb, jb.tasks);
        } else if (dw) {
            mlc__dw_rows(&jb, 0, jb.rows);
        } else {
            mlc__direct_rows(&jb, 0, jb.rows);
        }
        return MLC_OK;
    }
    if (c->kind == MLC_CONV2D_POINTWISE) {   /* x is already the im2col matrix */
        for (g = 0; g < groups && r == MLC_OK; g++)
            r = mlc_gemm_packed_f32(ctx, m, cog, cig, xd + (size_t)g * (size_t)cig, c->in_ch,
                                    c->w + (size_t)g * gstride, c->bias ? c->bias + (size_t)g * (size_t)cog : NULL,
                                    yd + (size_t)g * (size_t)cog, c->out_ch, act, alpha);
        return r;
    }
    {
        int rows = mlc__conv_rows(d.oh, d.ow), r0;
        size_t mark;
        float *col;
        if (!scratch) return MLC_ERR_NULL;
        mark = mlc_arena_mark(scratch);
        col = (float *)mlc_arena_alloc(scratch, (size_t)rows * (size_t)k * sizeof(float), 64);
        if (!col) return MLC_ERR_NOMEM;
        for (r0 = 0; r0 < m && r == MLC_OK; r0 += rows) {
            int nr = MLC__MIN(rows, m - r0);
            for (g = 0; g < groups && r == MLC_OK; g++) {
                if (ctx && ctx->parallel_for && ctx->n_threads > 1 && (float)nr * k >= 8192.0f) {
                    mlc__im2col_job jb;
                    jb.col = col; jb.x = xd; jb.c = c; jb.d = &d; jb.r0 = r0; jb.nr = nr; jb.g = g; jb.k = k;
                    jb.tasks = MLC__MIN(nr, ctx->n_threads);
                    ctx->parallel_for(ctx->user, mlc__im2col_task, &jb, jb.tasks);
                } else {
                    mlc__im2col(col, xd, c, &d, r0, nr, g);
                }
                r = mlc_gemm_packed_f32(ctx, nr, cog, k, col, k, c->w + (size_t)g * gstride,
                                        c->bias ? c->bias + (size_t)g * (size_t)cog : NULL,
                                        yd + (size_t)r0 * (size_t)c->out_ch + (size_t)g * (size_t)cog, c->out_ch,
                                        act, alpha);
            }
        }
        mlc_arena_reset(scratch, mark);
        return r;
    }
}

MLC_API mlc_result mlc_conv2d_ref(const mlc_conv2d *c, mlc_tensor *y, const mlc_tensor *x, mlc_act act, float alpha) {
    mlc__conv_dims d;
    mlc_result r = mlc__conv_args(c, y, x, act, &d);
    const mlc_conv2d_params *p;
    const float *xd;
    float *yd;
    int n, oh, ow, co, i, j, ci, cig, cog;
    if (r != MLC_OK) return r;
    p = &c->p;
    xd = (const float *)x->data; yd = (float *)y->data;
    cig = c->in_ch / p->groups; cog = c->out_ch / p->groups;
    for (n = 0; n < d.n; n++) for (oh = 0; oh < d.oh; oh++) for (ow = 0; ow < d.ow; ow++)
    for (co = 0; co < c->out_ch; co++) {
        float s = c->bias ? c->bias[co] : 0.0f;
        int g = co / cog;
        for (i = 0; i < p->kernel_h; i++) {
            int ih = oh * p->stride_h - p->pad_top + i * p->dilation_h;
            if (ih < 0 || ih >= d.h) continue;
            for (j = 0; j < p->kernel_w; j++) {
                int iw = ow * p->stride_w - p->pad_left + j * p->dilation_w;
                const float *xp;
                if (iw < 0 || iw >= d.w) continue;
                xp = xd + (((size_t)n * (size_t)d.h + (size_t)ih) * (size_t)d.w + (size_t)iw) * (size_t)c->in_ch
                        + (size_t)g * (size_t)cig;
                for (ci = 0; ci < cig; ci++) s += xp[ci] * *mlc__conv_wptr(c, co, ci, i, j);
            }
        }
        yd[(((size_t)n * (size_t)d.oh + (size_t)oh) * (size_t)d.ow + (size_t)ow) * (size_t)c->out_ch + (size_t)co] =
            mlc__act_ref1(s, act, alpha);
    }
    return MLC_OK;
}

/* The four BatchNorm2d vectors of one layer, checked to be [n] floats. */
static mlc_result mlc__bn_find(const mlc_safetensors *st, const char *prefix, int n, const mlc_st_tensor *t[4]) {
    static const char *const part[4] = { "weight", "bias", "running_mean", "running_var" };
    char name[256];
    size_t plen = strlen(prefix);
    int i;
    if (plen + 14 > sizeof name) return MLC_ERR_ARG;
    for (i = 0; i < 4; i++) {
        memcpy(name, prefix, plen); name[plen] = '.';
        memcpy(name + plen + 1, part[i], strlen(part[i]) + 1);
        if (!(t[i] = mlc_st_find(st, name))) return mlc__st_blame(st, name, MLC_ERR_NOT_FOUND);
        if (t[i]->rank != 1 || t[i]->shape[0] != n) return mlc__st_blame(st, name, MLC_ERR_SHAPE);
        if (!mlc__is_float_dtype(t[i]->dtype)) return mlc__st_blame(st, name, MLC_ERR_DTYPE);
    }
    return MLC_OK;
}

MLC_API mlc_result mlc_conv2d_load_bn(mlc_conv2d *c, const mlc_safetensors *st, const char *conv_prefix,
                                      const char *bn_prefix, float eps, const mlc_conv2d_params *p,
                                      mlc_arena *arena) {
    const mlc_st_tensor *bn[4];
    size_t mark;
    mlc_result r;
    int co, ci, i, j, cig;
    if (!c || !st || !conv_prefix || !bn_prefix || !p || !arena) return MLC_ERR_NULL;
    if (!(eps >= 0.0f)) return MLC_ERR_ARG;
    mark = mlc_arena_mark(arena);
    if ((r = mlc_conv2d_load(c, st, conv_prefix, p, arena)) != MLC_OK) return r;
    if ((r = mlc__bn_find(st, bn_prefix, c->out_ch, bn)) != MLC_OK) goto fail;
    if (!c->bias) {
        if (!(c->bias = (float *)mlc_arena_alloc(arena, (size_t)c->out_ch * sizeof(float), 64))) { r = MLC_ERR_NOMEM; goto fail; }
        for (co = 0; co < c->out_ch; co++) c->bias[co] = 0.0f;
    }
    cig = c->in_ch / c->p.groups;
    for (co = 0; co < c->out_ch; co++) {
        float gamma = mlc__elem_f32(bn[0]->data, bn[0]->dtype, (size_t)co);
        float beta  = mlc__elem_f32(bn[1]->data, bn[1]->dtype, (size_t)co);
        float mean  = mlc__elem_f32(bn[2]->data, bn[2]->dtype, (size_t)co);
        float var   = mlc__elem_f32(bn[3]->data, bn[3]->dtype, (size_t)co);
        float s;
        if (!(var + eps > 0.0f)) { r = MLC_ERR_FORMAT; goto fail; }   /* negative variance */
        s = gamma / MLC_SQRTF(var + eps);
        for (ci = 0; ci < cig; ci++)
            for (i = 0; i < c->p.kernel_h; i++)
                for (j = 0; j < c->p.kernel_w; j++) *mlc__conv_wptr(c, co, ci, i, j) *= s;
        c->bias[co] = (c->bias[co] - mean) * s + beta;
    }
    return MLC_OK;
fail:
    mlc_arena_reset(arena, mark);
    memset(c, 0, sizeof *c);
    return r;
}

// >>pool -----------------------------------------------------------------
/* NHWC pooling, upsampling and channel ops. Vectors run across channels (the
   contiguous axis): one output pixel at a time, MLC__VW channels at a time,
   the last partial vector masked. Sums are taken in the same order as the
   references (window rows, then columns; no fma), so the vector averages
   equal the references bit for bit; only bilinear upsampling (whose vector
   form may be contracted differently) differs, by a few ulps. */

MLC_API mlc_pool2d mlc_pool2d_make(int kernel, int stride, int padding) {
    mlc_pool2d p;
    p.kernel_h = p.kernel_w = kernel;
    p.stride_h = p.stride_w = stride;
    p.pad_h = p.pad_w = padding;
    p.dilation_h = p.dilation_w = 1;
    p.ceil_mode = 0;
    p.count_include_pad = 1;
    return p;
}

/* One dimension of PyTorch's pooling_output_shape (with its ceil_mode rule
   that the last window must start inside the input or the left padding). */
static mlc_result mlc__pool_dim(int in, int k, int s, int pad, int d, int ceil_mode, int *out) {
    long long num = (long long)in + 2LL * pad - (long long)d * (k - 1) - 1 + (ceil_mode ? s - 1 : 0), o;
    o = (num >= 0 ? num / s : -((-num + s - 1) / s)) + 1;         /* floor division */
    if (ceil_mode && o >= 1 && (o - 1) * s >= (long long)in + pad) o--;
    if (o < 1 || o > INT_MAX) return MLC_ERR_SHAPE;
    *out = (int)o;
    return MLC_OK;
}

/* Resolved window: defaults applied, parameters checked. */
typedef struct { int kh, kw, sh, sw, ph, pw, dh, dw, ceil_mode, incl; } mlc__win;

static mlc_result mlc__pool_params(const mlc_pool2d *p, int max_pool, mlc__win *w) {
    if (!p) return MLC_ERR_NULL;
    w->kh = p->kernel_h; w->kw = p->kernel_w;
    w->sh = p->stride_h ? p->stride_h : p->kernel_h;
    w->sw = p->stride_w ? p->stride_w : p->kernel_w;
    w->ph = p->pad_h; w->pw = p->pad_w;
    w->dh = p->dilation_h ? p->dilation_h : 1;
    w->dw = p->dilation_w ? p->dilation_w : 1;
    w->ceil_mode = p->ceil_mode != 0;
    w->incl = p->count_include_pad != 0;
    if (w->kh < 1 || w->kw < 1 || w->sh < 1 || w->sw < 1 || w->ph < 0 || w->pw < 0 ||
        w->ph > w->kh / 2 || w->pw > w->kw / 2 || w->dh < 1 || w->dw < 1) return MLC_ERR_ARG;
    if (!max_pool && (w->dh != 1 || w->dw != 1)) return MLC_ERR_ARG;
    return MLC_OK;
}

MLC_API mlc_result mlc_pool2d_out_size(const mlc_pool2d *p, int max_pool, int h, int w,
                                       int *out_h, int *out_w) {
    mlc__win win;
    mlc_result r;
    int oh, ow;
    if (!out_h || !out_w) return MLC_ERR_NULL;
    if ((r = mlc__pool_params(p, max_pool, &win)) != MLC_OK) return r;
    if (h < 1 || w < 1) return MLC_ERR_SHAPE;
    if ((r = mlc__pool_dim(h, win.kh, win.sh, win.ph, win.dh, win.ceil_mode, &oh)) != MLC_OK ||
        (r = mlc__pool_dim(w, win.kw, win.sw, win.pw, win.dw, win.ceil_mode, &ow)) != MLC_OK) return r;
    *out_h = oh; *out_w = ow;
    return MLC_OK;
}

/* x and y float32 rank 4 (y may also be checked against a shape). */
static mlc_result mlc__check_nhwc(const mlc_tensor *y, const mlc_tensor *x) {
    mlc_result r;
    if ((r = mlc__check_f32(x)) != MLC_OK || (r = mlc__check_f32(y)) != MLC_OK) return r;
    return (x->rank == 4 && y->rank == 4) ? MLC_OK : MLC_ERR_SHAPE;
}
static int mlc__is_shape4(const mlc_tensor *t, long long n, long long h, long long w, long long c) {
    return t->rank == 4 && t->shape[0] == n && t->shape[1] == h && t->shape[2] == w && t->shape[3] == c;
}

static mlc_result mlc__pool_setup(const mlc_pool2d *p, int max_pool, mlc_tensor *y, const mlc_tensor *x,
                                  mlc__win *w) {
    mlc_result r;
    int oh, ow;
    if ((r = mlc__check_nhwc(y, x)) != MLC_OK) return r;
    if ((r = mlc__pool_params(p, max_pool, w)) != MLC_OK) return r;
    if ((r = mlc_pool2d_out_size(p, max_pool, x->shape[1], x->shape[2], &oh, &ow)) != MLC_OK) return r;
    return mlc__is_shape4(y, x->shape[0], oh, ow, x->shape[3]) ? MLC_OK : MLC_ERR_SHAPE;
}

/* Taps t in [*t0, *t1) of a window starting at s0 (dilation d, k taps) that
   land inside [0, n). */
static void mlc__taps(long long s0, int k, int d, int n, int *t0, int *t1) {
    long long a = s0 >= 0 ? 0 : (-s0 + d - 1) / d;
    long long b = s0 >= n ? 0 : ((long long)n - s0 + d - 1) / d;
    *t0 = (int)MLC__MIN(a, (long long)k); *t1 = (int)MLC__MIN(b, (long long)k);
}

/* ---- max pooling ---------------------------------------------------------- */
/* NaN propagates as in PyTorch (val > max || isnan(val)): vmax returns its
   second operand when either is NaN (x86, scalar) or NaN (NEON), so a NaN
   input is taken, and a NaN maximum is kept by the select. */
MLC_API mlc_result mlc_max_pool2d(const mlc_pool2d *p, mlc_tensor *y, const mlc_tensor *x) {
    mlc__win w;
    mlc_result r;
    int n, oh, ow, N, H, W, OH, OW;
    size_t C, c;
    if ((r = mlc__pool_setup(p, 1, y, x, &w)) != MLC_OK) return r;
    N = x->shape[0]; H = x->shape[1]; W = x->shape[2]; C = (size_t)x->shape[3];
    OH = y->shape[1]; OW = y->shape[2];
    for (n = 0; n < N; n++) for (oh = 0; oh < OH; oh++) for (ow = 0; ow < OW; ow++) {
        const float *xn = (const float *)x->data + (size_t)n * H * W * C;
        float *yp = (float *)y->data + (((size_t)n * OH + oh) * OW + ow) * C;
        long long h0 = (long long)oh * w.sh - w.ph, w0 = (long long)ow * w.sw - w.pw;
        int i0, i1, j0, j1, i, j;
        mlc__taps(h0, w.kh, w.dh, H, &i0, &i1);
        mlc__taps(w0, w.kw, w.dw, W, &j0, &j1);
        for (c = 0; c < C; c += MLC__VW) {
            size_t cw = MLC__MIN((size_t)MLC__VW, C - c);
            mlc__vf m = mlc__vset1(-INFINITY);
            for (i = i0; i < i1; i++) for (j = j0; j < j1; j++) {
                const float *xp = xn + ((size_t)(h0 + (long long)i * w.dh) * W + (size_t)(w0 + (long long)j * w.dw)) * C + c;
                mlc__vf v = cw == MLC__VW ? mlc__vload(xp) : mlc__vload_tail(xp, cw);
                m = mlc__vselect(mlc__visnan(m), m, mlc__vmax(m, v));
            }
            if (cw == MLC__VW) mlc__vstore(yp + c, m); else mlc__vstore_tail(yp + c, m, cw);
        }
    }
    return MLC_OK;
}

MLC_API mlc_result mlc_max_pool2d_ref(const mlc_pool2d *p, mlc_tensor *y, const mlc_tensor *x) {
    mlc__win w;
    mlc_result r;
    int n, oh, ow, c, i, j, N, H, W, C, OH, OW;
    if ((r = mlc__pool_setup(p, 1, y, x, &w)) != MLC_OK) return r;
    N = x->shape[0]; H = x->shape[1]; W = x->shape[2]; C = x->shape[3];
    OH = y->shape[1]; OW = y->shape[2];
    for (n = 0; n < N; n++) for (oh = 0; oh < OH; oh++) for (ow = 0; ow < OW; ow++) for (c = 0; c < C; c++) {
        float m = -INFINITY;
        for (i = 0; i < w.kh; i++) for (j = 0; j < w.kw; j++) {
            long long ih = (long long)oh * w.sh - w.ph + (long long)i * w.dh;
            long long iw = (long long)ow * w.sw - w.pw + (long long)j * w.dw;
            float v;
            if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
            v = ((const float *)x->data)[(((size_t)n * H + ih) * W + iw) * C + c];
            if (v > m || v != v) m = v;
        }
        ((float *)y->data)[(((size_t)n * OH + oh) * OW + ow) * C + c] = m;
    }
    return MLC_OK;
}

/* ---- average pooling ------------------------------------------------------ */
/* yp[c] = (sum of x over rows [h0,h1) x columns [w0,w1) of image xn) / div. */
static void mlc__avg_window(float *yp, const float *xn, size_t W, size_t C,
                            int h0, int h1, int w0, int w1, float div) {
    const mlc__vf vd = mlc__vset1(div);
    size_t c;
    int i, j;
    for (c = 0; c < C; c += MLC__VW) {
        size_t cw = MLC__MIN((size_t)MLC__VW, C - c);
        mlc__vf s = mlc__vset1(0.0f);
        for (i = h0; i < h1; i++) for (j = w0; j < w1; j++) {
            const float *xp = xn + ((size_t)i * W + (size_t)j) * C + c;
            s = mlc__vadd(s, cw == MLC__VW ? mlc__vload(xp) : mlc__vload_tail(xp, cw));
        }
        s = mlc__vdiv(s, vd);
        if (cw == MLC__VW) mlc__vstore(yp + c, s); else mlc__vstore_tail(yp + c, s, cw);
    }
}
static void mlc__avg_window_ref(float *yp, const float *xn, size_t W, size_t C,
                                int h0, int h1, int w0, int w1, float div) {
    size_t c;
    int i, j;
    for (c = 0; c < C; c++) {
        float s = 0.0f;
        for (i = h0; i < h1; i++) for (j = w0; j < w1; j++) s += xn[((size_t)i * W + (size_t)j) * C + c];
        yp[c] = s / div;
    }
}

/* PyTorch's avg_pool2d window: clipped to the padded input for the
   count_include_pad divisor, then to the input. */
static mlc_result mlc__avg_pool(const mlc_pool2d *p, mlc_tensor *y, const mlc_tensor *x, int ref) {
    mlc__win w;
    mlc_result r;
    int n, oh, ow, N, H, W, OH, OW;
    size_t C;
    if ((r = mlc__pool_setup(p, 0, y, x, &w)) != MLC_OK) return r;
    N = x->shape[0]; H = x->shape[1]; W = x->shape[2]; C = (size_t)x->shape[3];
    OH = y->shape[1]; OW = y->shape[2];
    for (n = 0; n < N; n++) for (oh = 0; oh < OH; oh++) for (ow = 0; ow < OW; ow++) {
        const float *xn = (const float *)x->data + (size_t)n * H * W * C;
        float *yp = (float *)y->data + (((size_t)n * OH + oh) * OW + ow) * C;
        long long h0 = (long long)oh * w.sh - w.ph, w0 = (long long)ow * w.sw - w.pw;
        long long h1 = MLC__MIN(h0 + w.kh, (long long)H + w.ph), w1 = MLC__MIN(w0 + w.kw, (long long)W + w.pw);
        long long padded = (h1 - h0) * (w1 - w0), count;
        h0 = MLC__MAX(h0, 0); w0 = MLC__MAX(w0, 0);
        h1 = MLC__MIN(h1, (long long)H); w1 = MLC__MIN(w1, (long long)W);
        count = w.incl ? padded : (h1 - h0) * (w1 - w0);
        if (ref) mlc__avg_window_ref(yp, xn, (size_t)W, C, (int)h0, (int)h1, (int)w0, (int)w1, (float)count);
        else     mlc__avg_window(yp, xn, (size_t)W, C, (int)h0, (int)h1, (int)w0, (int)w1, (float)count);
    }
    return MLC_OK;
}
MLC_API mlc_result mlc_avg_pool2d(const mlc_pool2d *p, mlc_tensor *y, const mlc_tensor *x) { return mlc__avg_pool(p, y, x, 0); }
MLC_API mlc_result mlc_avg_pool2d_ref(const mlc_pool2d *p, mlc_tensor *y, const mlc_tensor *x) { return mlc__avg_pool(p, y, x, 1); }

static mlc_result mlc__adaptive_avg(mlc_tensor *y, const mlc_tensor *x, int ref) {
    mlc_result r;
    int n, oh, ow, N, H, W, OH, OW;
    size_t C;
    if ((r = mlc__check_nhwc(y, x)) != MLC_OK) return r;
    N = x->shape[0]; H = x->shape[1]; W = x->shape[2]; C = (size_t)x->shape[3];
    OH = y->shape[1]; OW = y->shape[2];
    if (y->shape[0] != N || y->shape[3] != (int)C) return MLC_ERR_SHAPE;
    for (n = 0; n < N; n++) for (oh = 0; oh < OH; oh++) for (ow = 0; ow < OW; ow++) {
        const float *xn = (const float *)x->data + (size_t)n * H * W * C;
        float *yp = (float *)y->data + (((size_t)n * OH + oh) * OW + ow) * C;
        int h0 = (int)((long long)oh * H / OH), h1 = (int)((((long long)oh + 1) * H + OH - 1) / OH);
        int w0 = (int)((long long)ow * W / OW), w1 = (int)((((long long)ow + 1) * W + OW - 1) / OW);
        float div = (float)((long long)(h1 - h0) * (w1 - w0));
        if (ref) mlc__avg_window_ref(yp, xn, (size_t)W, C, h0, h1, w0, w1, div);
        else     mlc__avg_window(yp, xn, (size_t)W, C, h0, h1, w0, w1, div);
    }
    return MLC_OK;
}
MLC_API mlc_result mlc_adaptive_avg_pool2d(mlc_tensor *y, const mlc_tensor *x) { return mlc__adaptive_avg(y, x, 0); }
MLC_API mlc_result mlc_adaptive_avg_pool2d_ref(mlc_tensor *y, const mlc_tensor *x) { return mlc__adaptive_avg(y, x, 1); }

static mlc_result mlc__global_avg(mlc_tensor *y, const mlc_tensor *x, int ref) {
    mlc_result r;
    int n, N, H, W;
    size_t C;
    if ((r = mlc__check_f32(x)) != MLC_OK || (r = mlc__check_f32(y)) != MLC_OK) return r;
    if (x->rank != 4) return MLC_ERR_SHAPE;
    N = x->shape[0]; H = x->shape[1]; W = x->shape[2]; C = (size_t)x->shape[3];
    if (!mlc__is_shape4(y, N, 1, 1, (long long)C) &&
        !(y->rank == 2 && y->shape[0] == N && y->shape[1] == (int)C)) return MLC_ERR_SHAPE;
    for (n = 0; n < N; n++) {
        const float *xn = (const float *)x->data + (size_t)n * H * W * C;
        float *yp = (float *)y->data + (size_t)n * C;
        float div = (float)((long long)H * W);
        if (ref) mlc__avg_window_ref(yp, xn, (size_t)W, C, 0, H, 0, W, div);
        else     mlc__avg_window(yp, xn, (size_t)W, C, 0, H, 0, W, div);
    }
    return MLC_OK;
}
MLC_API mlc_result mlc_global_avg_pool2d(mlc_tensor *y, const mlc_tensor *x) { return mlc__global_avg(y, x, 0); }
MLC_API mlc_result mlc_global_avg_pool2d_ref(mlc_tensor *y, const mlc_tensor *x) { return mlc__global_avg(y, x, 1); }

/* ---- upsampling ----------------------------------------------------------- */
/* PyTorch's nearest_idx, in float as it computes it. */
static int mlc__nearest_idx(int o, int in, int out) {
    float scale;
    int i;
    if (out == in) return o;
    if (out == 2 * in) return o >> 1;
    scale = (float)in / (float)out;
    i = (int)((float)o * scale);                 /* >= 0: truncation is floor */
    return MLC__MIN(i, in - 1);
}

static mlc_result mlc__nearest(mlc_tensor *y, const mlc_tensor *x, int ref) {
    mlc_result r;
    int n, oh, ow, N, H, W, OH, OW;
    size_t C, c;
    if ((r = mlc__check_nhwc(y, x)) != MLC_OK) return r;
    N = x->shape[0]; H = x->shape[1]; W = x->shape[2]; C = (size_t)x->shape[3];
    OH = y->shape[1]; OW = y->shape[2];
    if (y->shape[0] != N || y->shape[3] != (int)C) return MLC_ERR_SHAPE;
    for (n = 0; n < N; n++) for (oh = 0; oh < OH; oh++) {
        int ih = mlc__nearest_idx(oh, H, OH);
        const float *xr = (const float *)x->data + ((size_t)n * H + ih) * W * C;
        float *yr = (float *)y->data + ((size_t)n * OH + oh) * OW * C;
        for (ow = 0; ow < OW; ow++) {
            int iw = mlc__nearest_idx(ow, W, OW);
            if (ref) for (c = 0; c < C; c++) yr[(size_t)ow * C + c] = xr[(size_t)iw * C + c];
            else memcpy(yr + (size_t)ow * C, xr + (size_t)iw * C, C * sizeof(float));
        }
    }
    return MLC_OK;
}
MLC_API mlc_result mlc_upsample_nearest2d(mlc_tensor *y, const mlc_tensor *x) { return mlc__nearest(y, x, 0); }
MLC_API mlc_result mlc_upsample_nearest2d_ref(mlc_tensor *y, const mlc_tensor *x) { return mlc__nearest(y, x, 1); }

/* PyTorch's linear source index and weights (compute_indices_weights_linear,
   float arithmetic): i0, i1 = i0 + (i0 < in - 1), weights l0 = 1 - l1. */
typedef struct { int i0, i1; float l0, l1; } mlc__lin;
static mlc__lin mlc__lin_idx(int o, int in, int out, int align_corners) {
    mlc__lin t;
    float src;
    if (align_corners) {
        float scale = out > 1 ? (float)(in - 1) / (float)(out - 1) : 0.0f;
        src = scale * (float)o;
    } else {
        float scale = (float)in / (float)out;
        src = scale * ((float)o + 0.5f) - 0.5f;
        if (src < 0.0f) src = 0.0f;
    }
    t.i0 = (int)src;
    if (t.i0 > in - 1) t.i0 = in - 1;               /* not reached; guards rounding */
    t.i1 = t.i0 + (t.i0 < in - 1 ? 1 : 0);
    t.l1 = src - (float)t.i0;
    t.l1 = t.l1 < 0.0f ? 0.0f : (t.l1 > 1.0f ? 1.0f : t.l1);
    t.l0 = 1.0f - t.l1;
    return t;
}

MLC__INLINE mlc__vf mlc__vbilerp(mlc__vf a, mlc__vf b, mlc__vf d, mlc__vf e,
                                 mlc__vf w0, mlc__vf w1, mlc__vf h0, mlc__vf h1) {
    mlc__vf top = mlc__vadd(mlc__vmul(a, w0), mlc__vmul(b, w1));
    mlc__vf bot = mlc__vadd(mlc__vmul(d, w0), mlc__vmul(e, w1));
    return mlc__vadd(mlc__vmul(top, h0), mlc__vmul(bot, h1));
}

/* y = (x00 lw0 + x01 lw1) lh0 + (x10 lw0 + x11 lw1) lh1, PyTorch's order. */
static mlc_result mlc__bilinear(mlc_tensor *y, const mlc_tensor *x, int align_corners, int ref) {
    mlc_result r;
    int n, oh, ow, N, H, W, OH, OW;
    size_t C, c;
    if ((r = mlc__check_nhwc(y, x)) != MLC_OK) return r;
    N = x->shape[0]; H = x->shape[1]; W = x->shape[2]; C = (size_t)x->shape[3];
    OH = y->shape[1]; OW = y->shape[2];
    if (y->shape[0] != N || y->shape[3] != (int)C) return MLC_ERR_SHAPE;
    for (n = 0; n < N; n++) for (oh = 0; oh < OH; oh++) {
        mlc__lin lh = mlc__lin_idx(oh, H, OH, align_corners);
        const float *x0 = (const float *)x->data + ((size_t)n * H + lh.i0) * W * C;
        const float *x1 = (const float *)x->data + ((size_t)n * H + lh.i1) * W * C;
        float *yr = (float *)y->data + ((size_t)n * OH + oh) * OW * C;
        for (ow = 0; ow < OW; ow++) {
            mlc__lin lw = mlc__lin_idx(ow, W, OW, align_corners);
            const float *a = x0 + (size_t)lw.i0 * C, *b = x0 + (size_t)lw.i1 * C;
            const float *d = x1 + (size_t)lw.i0 * C, *e = x1 + (size_t)lw.i1 * C;
            float *yp = yr + (size_t)ow * C;
            if (ref) {
                for (c = 0; c < C; c++) {
                    float top = a[c] * lw.l0 + b[c] * lw.l1, bot = d[c] * lw.l0 + e[c] * lw.l1;
                    yp[c] = top * lh.l0 + bot * lh.l1;
                }
            } else {
                const mlc__vf w0 = mlc__vset1(lw.l0), w1 = mlc__vset1(lw.l1);
                const mlc__vf h0 = mlc__vset1(lh.l0), h1 = mlc__vset1(lh.l1);
                for (c = 0; c + MLC__VW <= C; c += MLC__VW)
                    mlc__vstore(yp + c, mlc__vbilerp(mlc__vload(a + c), mlc__vload(b + c), mlc__vload(d + c),
                                                     mlc__vload(e + c), w0, w1, h0, h1));
                if (c < C)
                    mlc__vstore_tail(yp + c, mlc__vbilerp(mlc__vload_tail(a + c, C - c), mlc__vload_tail(b + c, C - c),
                                                          mlc__vload_tail(d + c, C - c), mlc__vload_tail(e + c, C - c),
                                                          w0, w1, h0, h1), C - c);
            }
        }
    }
    return MLC_OK;
}
MLC_API mlc_result mlc_upsample_bilinear2d(mlc_tensor *y, const mlc_tensor *x, int align_corners) { return mlc__bilinear(y, x, align_corners, 0); }
MLC_API mlc_result mlc_upsample_bilinear2d_ref(mlc_tensor *y, const mlc_tensor *x, int align_corners) { return mlc__bilinear(y, x, align_corners, 1); }

/* ---- pixel shuffle -------------------------------------------------------- */
/* Checks x[N,H,W,C*r*r] against y[N,H*r,W*r,C] (big is the r-times larger
   image, small the one with r*r times the channels). */
static mlc_result mlc__shuffle_shapes(const mlc_tensor *big, const mlc_tensor *small, int r) {
    mlc_result res;
    if ((res = mlc__check_nhwc(big, small)) != MLC_OK) return res;
    if (r < 1) return MLC_ERR_ARG;
    return mlc__is_shape4(big, small->shape[0], (long long)small->shape[1] * r,
                          (long long)small->shape[2] * r, big->shape[3]) &&
           (long long)big->shape[3] * r * r == small->shape[3] ? MLC_OK : MLC_ERR_SHAPE;
}

/* Copies between big[n, h*r+i, w*r+j, c] and small[n, h, w, c*r*r + i*r + j];
   to_big selects the direction. The loops walk the small tensor's pixels and
   the big tensor's rows: every inner loop runs over channels. */
static mlc_result mlc__pixel_shuffle(mlc_tensor *y, const mlc_tensor *x, int r, int to_big, int ref) {
    const mlc_tensor *big = to_big ? y : x, *small = to_big ? x : y;
    mlc_result res;
    size_t N, H, W, C, R, n, h, w, i, j, c;
    if (!y || !x) return MLC_ERR_NULL;
    if ((res = mlc__shuffle_shapes(big, small, r)) != MLC_OK) return res;
    N = (size_t)small->shape[0]; H = (size_t)small->shape[1]; W = (size_t)small->shape[2];
    C = (size_t)big->shape[3]; R = (size_t)r;
    if (ref) {   /* the definition, output element by output element */
        float *yd = (float *)y->data;
        const float *xd = (const float *)x->data;
        size_t k, total = N * H * W * C * R * R;
        for (k = 0; k < total; k++) {
            size_t kk = k, cb, hb, wb, cs;
            if (to_big) {          /* k indexes big[n, hb, wb, c] */
                c = kk % C; kk /= C; wb = kk % (W * R); kk /= W * R; hb = kk % (H * R); n = kk / (H * R);
                yd[k] = xd[((n * H + hb / R) * W + wb / R) * C * R * R + c * R * R + (hb % R) * R + wb % R];
            } else {               /* k indexes small[n, h, w, cs] */
                cs = kk % (C * R * R); kk /= C * R * R; w = kk % W; kk /= W; h = kk % H; n = kk / H;
                cb = cs / (R * R); i = cs / R % R; j = cs % R;
                yd[k] = xd[((n * H * R + h * R + i) * W * R + w * R + j) * C + cb];
            }
        }
        return MLC_OK;
    }
    for (n = 0; n < N; n++) for (h = 0; h < H; h++) for (i = 0; i < R; i++) for (w = 0; w < W; w++) for (j = 0; j < R; j++) {
        float *bp = (float *)big->data + ((n * H * R + h * R + i) * W * R + w * R + j) * C;
        float *sp = (float *)small->data + ((n * H + h) * W + w) * C * R * R + i * R + j;
        if (to_big) for (c = 0; c < C; c++) bp[c] = sp[c * R * R];
        else        for (c = 0; c < C; c++) sp[c * R * R] = bp[c];
    }
    return MLC_OK;
}
MLC_API mlc_result mlc_pixel_shuffle(mlc_tensor *y, const mlc_tensor *x, int r) { return mlc__pixel_shuffle(y, x, r, 1, 0); }
MLC_API mlc_result mlc_pixel_shuffle_ref(mlc_tensor *y, const mlc_tensor *x, int r) { return mlc__pixel_shuffle(y, x, r, 1, 1); }
MLC_API mlc_result mlc_pixel_unshuffle(mlc_tensor *y, const mlc_tensor *x, int r) { return mlc__pixel_shuffle(y, x, r, 0, 0); }
MLC_API mlc_result mlc_pixel_unshuffle_ref(mlc_tensor *y, const mlc_tensor *x, int r) { return mlc__pixel_shuffle(y, x, r, 0, 1); }

/* ---- channel ops ---------------------------------------------------------- */
/* a, b, y rank 4 with the same N, H, W and y's channels = a's + b's. */
static mlc_result mlc__cat_shapes(const mlc_tensor *y, const mlc_tensor *a, const mlc_tensor *b) {
    mlc_result r;
    if ((r = mlc__check_nhwc(y, a)) != MLC_OK || (r = mlc__check_f32(b)) != MLC_OK) return r;
    if (b->rank != 4) return MLC_ERR_SHAPE;
    return mlc__is_shape4(b, a->shape[0], a->shape[1], a->shape[2], b->shape[3]) &&
           mlc__is_shape4(y, a->shape[0], a->shape[1], a->shape[2], (long long)a->shape[3] + b->shape[3])
           ? MLC_OK : MLC_ERR_SHAPE;
}

/* split = 0: y = [a | b]; split = 1: [a | b] = y (a, b written). */
static mlc_result mlc__cat(mlc_tensor *y, mlc_tensor *a, mlc_tensor *b, int split, int ref) {
    mlc_result r;
    size_t p, np, ca, cb, cy, c;
    if ((r = mlc__cat_shapes(y, a, b)) != MLC_OK) return r;
    np = (size_t)a->shape[0] * (size_t)a->shape[1] * (size_t)a->shape[2];
    ca = (size_t)a->shape[3]; cb = (size_t)b->shape[3]; cy = ca + cb;
    for (p = 0; p < np; p++) {
        float *yp = (float *)y->data + p * cy, *ap = (float *)a->data + p * ca, *bp = (float *)b->data + p * cb;
        if (ref) {
            for (c = 0; c < cy; c++) {
                float *s = c < ca ? ap + c : bp + (c - ca);
                if (split) *s = yp[c]; else yp[c] = *s;
            }
        } else if (split) {
            memcpy(ap, yp, ca * sizeof(float)); memcpy(bp, yp + ca, cb * sizeof(float));
        } else {
            memcpy(yp, ap, ca * sizeof(float)); memcpy(yp + ca, bp, cb * sizeof(float));
        }
    }
    return MLC_OK;
}
/* The const inputs are only read (split = 0 never writes a or b). */
MLC_API mlc_result mlc_concat_channels(mlc_tensor *y, const mlc_tensor *a, const mlc_tensor *b) {
    if (!a || !b) return MLC_ERR_NULL;
    return mlc__cat(y, (mlc_tensor *)a, (mlc_tensor *)b, 0, 0);
}
MLC_API mlc_result mlc_concat_channels_ref(mlc_tensor *y, const mlc_tensor *a, const mlc_tensor *b) {
    if (!a || !b) return MLC_ERR_NULL;
    return mlc__cat(y, (mlc_tensor *)a, (mlc_tensor *)b, 0, 1);
}
MLC_API mlc_result mlc_split_channels(mlc_tensor *ya, mlc_tensor *yb, const mlc_tensor *x) {
    if (!x) return MLC_ERR_NULL;
    return mlc__cat((mlc_tensor *)x, ya, yb, 1, 0);
}
MLC_API mlc_result mlc_split_channels_ref(mlc_tensor *ya, mlc_tensor *yb, const mlc_tensor *x) {
    if (!x) return MLC_ERR_NULL;
    return mlc__cat((mlc_tensor *)x, ya, yb, 1, 1);
}

static mlc_result mlc__channel_shuffle(mlc_tensor *y, const mlc_tensor *x, int groups, int ref) {
    mlc_result r;
    size_t p, np, C, G, K, g, j, c;
    if ((r = mlc__check_nhwc(y, x)) != MLC_OK) return r;
    if (groups < 1) return MLC_ERR_ARG;
    if (!mlc__same_shape(x, y) || x->shape[3] % groups != 0) return MLC_ERR_SHAPE;
    np = (size_t)x->shape[0] * (size_t)x->shape[1] * (size_t)x->shape[2];
    C = (size_t)x->shape[3]; G = (size_t)groups; K = C / G;
    for (p = 0; p < np; p++) {
        const float *xp = (const float *)x->data + p * C;
        float *yp = (float *)y->data + p * C;
        if (ref) for (c = 0; c < C; c++) yp[c] = xp[(c % G) * K + c / G];
        else for (j = 0; j < K; j++) for (g = 0; g < G; g++) yp[j * G + g] = xp[g * K + j];
    }
    return MLC_OK;
}
MLC_API mlc_result mlc_channel_shuffle(mlc_tensor *y, const mlc_tensor *x, int groups) { return mlc__channel_shuffle(y, x, groups, 0); }
MLC_API mlc_result mlc_channel_shuffle_ref(mlc_tensor *y, const mlc_tensor *x, int groups) { return mlc__channel_shuffle(y, x, groups, 1); }

static mlc_result mlc__scale_channels(mlc_tensor *y, const mlc_tensor *x, const mlc_tensor *s, int ref) {
    mlc_result r;
    size_t n, p, hw, C, c;
    if ((r = mlc__check_nhwc(y, x)) != MLC_OK || (r = mlc__check_f32(s)) != MLC_OK) return r;
    if (!mlc__same_shape(x, y)) return MLC_ERR_SHAPE;
    if (!(s->rank == 2 && s->shape[0] == x->shape[0] && s->shape[1] == x->shape[3]) &&
        !mlc__is_shape4(s, x->shape[0], 1, 1, x->shape[3])) return MLC_ERR_SHAPE;
    hw = (size_t)x->shape[1] * (size_t)x->shape[2]; C = (size_t)x->shape[3];
    for (n = 0; n < (size_t)x->shape[0]; n++) {
        const float *sn = (const float *)s->data + n * C;
        for (p = 0; p < hw; p++) {
            const float *xp = (const float *)x->data + (n * hw + p) * C;
            float *yp = (float *)y->data + (n * hw + p) * C;
            if (ref) for (c = 0; c < C; c++) yp[c] = xp[c] * sn[c];
            else MLC__MAP2(yp, xp, sn, C, mlc__vmul(va, vb));
        }
    }
    return MLC_OK;
}
MLC_API mlc_result mlc_scale_channels(mlc_tensor *y, const mlc_tensor *x, const mlc_tensor *s) { return mlc__scale_channels(y, x, s, 0); }
MLC_API mlc_result mlc_scale_channels_ref(mlc_tensor *y, const mlc_tensor *x, const mlc_tensor *s) { return mlc__scale_channels(y, x, s, 1); }

// >>convt ----------------------------------------------------------------
/* transposed 2-D convolution */
/* NHWC transposed convolution (mlc_conv_transpose2d_*). Weights are packed
   once from PyTorch's [Cin, Cout/groups, kh, kw]:
     gemm       per group g, the GEMM panel layout of a B with k = Cin/groups
                rows and n = kh*kw*Cout/groups columns in (i, j, co) order:
                row r of x_g B holds, tap after tap, the Cout/groups values
                input pixel r adds to the output pixel under tap (i, j).
                Groups one after the other (mlc_gemm_packed_b_floats(n, k)
                each).
     depthwise  [kh][kw][C], as conv2d's: a tap's weights for all channels
                are contiguous, like the channels of an NHWC pixel.
   mlc__convt_wptr maps (ci, co, i, j) to its packed place; the packers and
   the scalar reference both go through it.
   The GEMM path multiplies no zeros (unlike a convolution over the
   zero-stuffed input) and reads x in place (A of the GEMM is x with leading
   dim Cin); the scatter that follows costs kh*kw vector adds of
   Cout/groups floats per input pixel and group. Profiled on the decoder
   layer 64->32, k4 s2 p1, 56x56 (AVX-512, one thread, 1.1 ms): GEMM 80%,
   scatter 12%, bias and activation 3%. A sub-pixel (per output phase)
   method does the same multiply-adds and trades the scatter for an im2col
   gather, so it could win at most that 12-15%; not worth a second path.
   MLC_CONVT_COL_FLOATS (build option) bounds the scratch: a block is
   COL_FLOATS / (kh*kw*Cout/groups) input pixels (at least 16, at most
   H*W); 64..512-row blocks measured the same. */
#ifndef MLC_CONVT_COL_FLOATS
#define MLC_CONVT_COL_FLOATS 65536
#endif
#define MLC__CONVT_MIN_ROWS 16

MLC_API mlc_conv_transpose2d_params mlc_conv_transpose2d_params_make(int kernel, int stride, int padding,
                                                                     int output_padding, int groups, int dilation) {
    mlc_conv_transpose2d_params p;
    p.kernel_h = p.kernel_w = kernel;
    p.stride_h = p.stride_w = stride;
    p.dilation_h = p.dilation_w = dilation;
    p.pad_top = p.pad_bottom = p.pad_left = p.pad_right = padding;
    p.out_pad_h = p.out_pad_w = output_padding;
    p.groups = groups;
    return p;
}

/* Valid params for these channel counts (PyTorch's rules, output_padding <
   max(stride, dilation) included); the GEMM's n = kh*kw*Cout/groups fits
   an int and every size derived from it a size_t. */
static mlc_result mlc__convt_check(int in_ch, int out_ch, const mlc_conv_transpose2d_params *p) {
    if (!p) return MLC_ERR_NULL;
    if (in_ch < 1 || out_ch < 1 || p->kernel_h < 1 || p->kernel_w < 1 || p->stride_h < 1 || p->stride_w < 1 ||
        p->dilation_h < 1 || p->dilation_w < 1 || p->pad_top < 0 || p->pad_bottom < 0 || p->pad_left < 0 ||
        p->pad_right < 0 || p->out_pad_h < 0 || p->out_pad_w < 0 ||
        p->out_pad_h >= MLC__MAX(p->stride_h, p->dilation_h) || p->out_pad_w >= MLC__MAX(p->stride_w, p->dilation_w) ||
        p->groups < 1 || in_ch % p->groups || out_ch % p->groups) return MLC_ERR_ARG;
    {
        double n = (double)p->kernel_h * p->kernel_w * (out_ch / p->groups), k = (double)(in_ch / p->groups);
        if (n > (double)INT_MAX) return MLC_ERR_UNSUPPORTED;
        /* packed weights (<= groups * (n + NR) * k floats) and the scratch
           (<= max(COL_FLOATS, MIN_ROWS * n) floats) */
        if ((double)p->groups * (n + MLC__NR) * k * sizeof(float) > (double)(SIZE_MAX / 2) ||
            ((double)MLC__CONVT_MIN_ROWS * n + MLC_CONVT_COL_FLOATS) * sizeof(float) > (double)(SIZE_MAX / 2))
            return MLC_ERR_UNSUPPORTED;
    }
    return MLC_OK;
}

static mlc_conv_transpose2d_kind mlc__convt_kind(int in_ch, int out_ch, const mlc_conv_transpose2d_params *p) {
    return p->groups == in_ch && in_ch == out_ch ? MLC_CONVT_DEPTHWISE : MLC_CONVT_GEMM;
}

/* Columns of the GEMM path's B (and of a row of its scratch). */
static int mlc__convt_ncols(const mlc_conv_transpose2d *c) {
    return c->p.kernel_h * c->p.kernel_w * (c->out_ch / c->p.groups);
}

/* Floats of packed weights. */
static size_t mlc__convt_wfloats(int in_ch, int out_ch, const mlc_conv_transpose2d_params *p,
                                 mlc_conv_transpose2d_kind kind) {
    size_t taps = (size_t)p->kernel_h * (size_t)p->kernel_w;
    if (kind == MLC_CONVT_DEPTHWISE) return taps * (size_t)in_ch;
    return (size_t)p->groups * mlc_gemm_packed_b_floats((int)(taps * (size_t)(out_ch / p->groups)), in_ch / p->groups);
}

/* Where weight (ci, co, i, j) of [Cin, Cout/groups, kh, kw] is packed (co
   within its group). */
static float *mlc__convt_wptr(const mlc_conv_transpose2d *c, int ci, int co, int i, int j) {
    const mlc_conv_transpose2d_params *p = &c->p;
    if (c->kind == MLC_CONVT_DEPTHWISE)
        return c->w + ((size_t)i * (size_t)p->kernel_w + (size_t)j) * (size_t)c->in_ch + (size_t)ci;
    {
        int cig = c->in_ch / p->groups, cog = c->out_ch / p->groups, n = mlc__convt_ncols(c);
        int g = ci / cig, k = ci % cig;
        size_t col = ((size_t)i * (size_t)p->kernel_w + (size_t)j) * (size_t)cog + (size_t)co;
        return c->w + (size_t)g * mlc_gemm_packed_b_floats(n, cig)
                    + col / MLC__NR * MLC__NR * (size_t)cig + (size_t)k * MLC__NR + col % MLC__NR;
    }
}

MLC_API size_t mlc_conv_transpose2d_arena_bytes(int in_ch, int out_ch, const mlc_conv_transpose2d_params *p,
                                                int has_bias) {
    size_t b;
    if (mlc__convt_check(in_ch, out_ch, p) != MLC_OK) return 0;
    b = mlc__convt_wfloats(in_ch, out_ch, p, mlc__convt_kind(in_ch, out_ch, p)) * sizeof(float) + 64;
    if (has_bias) b += (size_t)out_ch * sizeof(float) + 64;
    return b;
}

/* Checks, allocates (weights zeroed: GEMM panels are zero-padded). */
static mlc_result mlc__convt_alloc(mlc_conv_transpose2d *c, int in_ch, int out_ch,
                                   const mlc_conv_transpose2d_params *p, int has_bias, mlc_arena *arena) {
    size_t mark = mlc_arena_mark(arena), nw;
    mlc_result r;
    memset(c, 0, sizeof *c);
    if ((r = mlc__convt_check(in_ch, out_ch, p)) != MLC_OK) return r;
    c->kind = mlc__convt_kind(in_ch, out_ch, p);
    nw = mlc__convt_wfloats(in_ch, out_ch, p, c->kind);
    c->w = (float *)mlc_arena_alloc(arena, nw * sizeof(float), 64);
    if (has_bias) c->bias = (float *)mlc_arena_alloc(arena, (size_t)out_ch * sizeof(float), 64);
    if (!c->w || (has_bias && !c->bias)) { mlc_arena_reset(arena, mark); memset(c, 0, sizeof *c); return MLC_ERR_NOMEM; }
    memset(c->w, 0, nw * sizeof(float));
    c->in_ch = in_ch; c->out_ch = out_ch; c->p = *p;
    return MLC_OK;
}

/* Packs [Cin, Cout/groups, kh, kw] weights: from native floats (src_f) or
   from safetensors bytes of a float dtype (src_b, dt). */
static void mlc__convt_pack(mlc_conv_transpose2d *c, const float *src_f, const unsigned char *src_b, mlc_dtype dt) {
    int cog = c->out_ch / c->p.groups, ci, co, i, j;
    size_t idx = 0;
    for (ci = 0; ci < c->in_ch; ci++)
        for (co = 0; co < cog; co++)
            for (i = 0; i < c->p.kernel_h; i++)
                for (j = 0; j < c->p.kernel_w; j++, idx++)
                    *mlc__convt_wptr(c, ci, co, i, j) = src_f ? src_f[idx] : mlc__elem_f32(src_b, dt, idx);
}

MLC_API mlc_result mlc_conv_transpose2d_init(mlc_conv_transpose2d *c, const float *weight_iohw, const float *bias,
                                             int in_ch, int out_ch, const mlc_conv_transpose2d_params *p,
                                             mlc_arena *arena) {
    mlc_result r;
    if (!c || !weight_iohw || !p || !arena) return MLC_ERR_NULL;
    if ((r = mlc__convt_alloc(c, in_ch, out_ch, p, bias != NULL, arena)) != MLC_OK) return r;
    mlc__convt_pack(c, weight_iohw, NULL, MLC_F32);
    if (bias) memcpy(c->bias, bias, (size_t)out_ch * sizeof(float));
    return MLC_OK;
}

MLC_API mlc_result mlc_conv_transpose2d_load(mlc_conv_transpose2d *c, const mlc_safetensors *st, const char *prefix,
                                             const mlc_conv_transpose2d_params *p, mlc_arena *arena) {
    char name[256];
    const mlc_st_tensor *w, *b;
    size_t plen;
    mlc_result r;
    int i, out_ch;
    if (!c || !st || !prefix || !p || !arena) return MLC_ERR_NULL;
    memset(c, 0, sizeof *c);
    plen = strlen(prefix);
    if (plen + 8 > sizeof name) return MLC_ERR_ARG;
    memcpy(name, prefix, plen); memcpy(name + plen, ".weight", 8);
    if (!(w = mlc_st_find(st, name))) return mlc__st_blame(st, name, MLC_ERR_NOT_FOUND);
    if (p->groups < 1) return MLC_ERR_ARG;
    if (w->rank != 4 || w->shape[0] <= 0 || w->shape[1] <= 0 ||
        w->shape[2] != p->kernel_h || w->shape[3] != p->kernel_w) return mlc__st_blame(st, name, MLC_ERR_SHAPE);
    if ((long long)w->shape[1] * p->groups > INT_MAX) return mlc__st_blame(st, name, MLC_ERR_SHAPE);
    if (w->shape[0] % p->groups) return mlc__st_blame(st, name, MLC_ERR_SHAPE);
    if (!mlc__is_float_dtype(w->dtype)) return mlc__st_blame(st, name, MLC_ERR_DTYPE);
    out_ch = w->shape[1] * p->groups;
    memcpy(name + plen, ".bias", 6);
    b = mlc_st_find(st, name);
    if (b && !mlc__is_float_dtype(b->dtype)) return mlc__st_blame(st, name, MLC_ERR_DTYPE);
    if (b && (b->rank != 1 || b->shape[0] != out_ch)) return mlc__st_blame(st, name, MLC_ERR_SHAPE);
    if ((r = mlc__convt_alloc(c, w->shape[0], out_ch, p, b != NULL, arena)) != MLC_OK) return r;
    mlc__convt_pack(c, NULL, w->data, w->dtype);
    if (b) for (i = 0; i < out_ch; i++) c->bias[i] = mlc__elem_f32(b->data, b->dtype, (size_t)i);
    return MLC_OK;
}

/* One axis: out = (in - 1) s - pb - pa + d (k - 1) + op + 1, >= 1. The full
   extent (in - 1) s + d (k - 1) + 1 + op must be an int (then so is every
   index the kernels compute); else 0. */
static int mlc__convt_out1(int in, int k, int s, int d, int pb, int pa, int op) {
    long long a, b, full;
    if (in < 1) return 0;
    a = (long long)(in - 1) * s;
    b = (long long)d * (k - 1);
    if (a > INT_MAX || b > INT_MAX) return 0;
    full = a + b + 1 + op;
    if (full > INT_MAX || full - pb - pa < 1) return 0;
    return (int)(full - pb - pa);
}

MLC_API mlc_result mlc_conv_transpose2d_out_size(const mlc_conv_transpose2d *c, int in_h, int in_w,
                                                 int *out_h, int *out_w) {
    const mlc_conv_transpose2d_params *p;
    int oh, ow;
    if (!c || !out_h || !out_w) return MLC_ERR_NULL;
    p = &c->p;
    *out_h = *out_w = 0;
    if (c->kind == MLC_CONVT_NONE || !c->w) return MLC_ERR_NULL;
    oh = mlc__convt_out1(in_h, p->kernel_h, p->stride_h, p->dilation_h, p->pad_top, p->pad_bottom, p->out_pad_h);
    ow = mlc__convt_out1(in_w, p->kernel_w, p->stride_w, p->dilation_w, p->pad_left, p->pad_right, p->out_pad_w);
    if (oh < 1 || ow < 1) return MLC_ERR_SHAPE;
    *out_h = oh; *out_w = ow;
    return MLC_OK;
}

/* Input pixels per GEMM block for an in_h x in_w input. */
static int mlc__convt_rows(const mlc_conv_transpose2d *c, int in_h, int in_w) {
    long long px = (long long)in_h * in_w, r = MLC_CONVT_COL_FLOATS / mlc__convt_ncols(c);
    if (r < MLC__CONVT_MIN_ROWS) r = MLC__CONVT_MIN_ROWS;
    return (int)(r < px ? r : px);
}

MLC_API size_t mlc_conv_transpose2d_scratch_bytes(const mlc_conv_transpose2d *c, int in_h, int in_w) {
    int oh, ow;
    if (!c || c->kind != MLC_CONVT_GEMM) return 0;
    if (mlc_conv_transpose2d_out_size(c, in_h, in_w, &oh, &ow) != MLC_OK) return 0;
    return (size_t)mlc__convt_rows(c, in_h, in_w) * (size_t)mlc__convt_ncols(c) * sizeof(float) + 64;
}

/* The checks forward and ref share; fills the sizes. */
typedef struct mlc__convt_dims { int n, h, w, oh, ow; } mlc__convt_dims;
static mlc_result mlc__convt_args(const mlc_conv_transpose2d *c, const mlc_tensor *y, const mlc_tensor *x,
                                  mlc_act act, mlc__convt_dims *d) {
    mlc_result r;
    if (!c || !c->w || c->kind == MLC_CONVT_NONE || !x || !y) return MLC_ERR_NULL;
    if ((r = mlc__check_f32(x)) != MLC_OK || (r = mlc__check_f32(y)) != MLC_OK) return r;
    if (x->rank != 4 || y->rank != 4) return MLC_ERR_SHAPE;
    if (x->shape[3] != c->in_ch || y->shape[3] != c->out_ch || y->shape[0] != x->shape[0]) return MLC_ERR_SHAPE;
    d->n = x->shape[0]; d->h = x->shape[1]; d->w = x->shape[2];
    if ((r = mlc_conv_transpose2d_out_size(c, d->h, d->w, &d->oh, &d->ow)) != MLC_OK) return r;
    if (y->shape[1] != d->oh || y->shape[2] != d->ow) return MLC_ERR_SHAPE;
    if ((unsigned)act >= (unsigned)MLC_ACT_COUNT) return MLC_ERR_ARG;
    if ((long long)d->n * d->oh * d->ow > INT_MAX || (long long)d->n * d->h * d->w > INT_MAX) return MLC_ERR_UNSUPPORTED;
    return MLC_OK;
}

/* Work for one forward: tasks own disjoint ranges of output rows (row q =
   (n, oh), over the batch) and write nothing else, so one parallel_for
   covers the whole layer. */
typedef struct mlc__convt_job {
    const mlc_conv_transpose2d *c;
    const float *x; float *y;
    float *col;               /* scratch: rows_t * ncols floats per task */
    mlc__convt_dims d;
    mlc_act act; float alpha;
    int rows_t;               /* input pixels per GEMM block */
    int tasks;
} mlc__convt_job;

/* y += a, n floats. */
MLC__INLINE void mlc__convt_addv(float *y, const float *a, size_t n) {
    size_t k = 0;
    for (; k + MLC__VW <= n; k += MLC__VW) mlc__vstore(y + k, mlc__vadd(mlc__vload(y + k), mlc__vload(a + k)));
    if (k < n) mlc__vstore_tail(y + k, mlc__vadd(mlc__vload_tail(y + k, n - k), mlc__vload_tail(a + k, n - k)), n - k);
}

/* col2im: adds the taps of input pixels r0 .. r0+nr-1 (group g; their GEMM
   rows in col) that land in output rows [q0, q1). */
static void mlc__convt_scatter(const mlc__convt_job *jb, const float *col, size_t r0, int nr, int g, int q0, int q1) {
    const mlc_conv_transpose2d *c = jb->c;
    const mlc_conv_transpose2d_params *p = &c->p;
    const mlc__convt_dims *d = &jb->d;
    const int cog = c->out_ch / p->groups, kw = p->kernel_w, ncols = mlc__convt_ncols(c);
    const size_t C = (size_t)c->out_ch, px = (size_t)d->h * (size_t)d->w;
    const size_t ystep = (size_t)p->dilation_w * C;
    int rr;
    for (rr = 0; rr < nr; rr++) {
        size_t r = r0 + (size_t)rr, rem = r % px;
        int n = (int)(r / px), ih = (int)(rem / (size_t)d->w), iw = (int)(rem % (size_t)d->w);
        int oh0 = ih * p->stride_h - p->pad_top, ow0 = iw * p->stride_w - p->pad_left, i0, i1, j0, j1, i, j;
        const float *crow = col + (size_t)rr * (size_t)ncols;
        long long qb = (long long)n * d->oh + oh0;   /* output row of tap 0 */
        mlc__tap_range(ow0, p->dilation_w, kw, d->ow, &j0, &j1);
        if (j0 >= j1) continue;
        mlc__tap_range(oh0, p->dilation_h, p->kernel_h, d->oh, &i0, &i1);
        for (i = i0; i < i1; i++) {
            long long q = qb + (long long)i * p->dilation_h;
            float *yp;
            const float *cp;
            if (q < q0 || q >= q1) continue;
            yp = jb->y + ((size_t)q * (size_t)d->ow + (size_t)(ow0 + j0 * p->dilation_w)) * C + (size_t)g * (size_t)cog;
            cp = crow + ((size_t)i * (size_t)kw + (size_t)j0) * (size_t)cog;
            for (j = 0; j < j1 - j0; j++) mlc__convt_addv(yp + (size_t)j * ystep, cp + (size_t)j * (size_t)cog, (size_t)cog);
        }
    }
}

/* Image-local output rows [o0, o1) of image n: start them as the bias
   (what == 0) or apply the activation (what == 1). */
static void mlc__convt_rows_op(const mlc__convt_job *jb, int n, int o0, int o1, int what) {
    const size_t C = (size_t)jb->c->out_ch, npx = (size_t)(o1 - o0) * (size_t)jb->d.ow;
    float *y = jb->y + ((size_t)n * (size_t)jb->d.oh + (size_t)o0) * (size_t)jb->d.ow * C;
    size_t i;
    if (o1 <= o0) return;
    if (what) { if (jb->act != MLC_ACT_NONE) mlc_act_f32(y, y, npx * C, jb->act, jb->alpha); }
    else if (jb->c->bias) for (i = 0; i < npx; i++) memcpy(y + i * C, jb->c->bias, C * sizeof(float));
    else memset(y, 0, npx * C * sizeof(float));
}

/* Output rows [q0, q1) by the GEMM path, col being this task's scratch. Per
   image, the input rows whose taps reach those rows go through the GEMM
   rows_t pixels at a time, each block scattered at once (while it is in
   cache). Output rows start as the bias just before the first block that
   reaches them and get the activation as soon as no later block can, so
   they are in cache for both. A task whose range starts or ends inside an
   image also computes the GEMM rows of the input rows it shares with its
   neighbour (those reach both ranges), e.g. one input row in 56 at each
   boundary for kernel 4, stride 2. */
static void mlc__convt_gemm_rows(const mlc__convt_job *jb, float *col, int q0, int q1) {
    const mlc_conv_transpose2d *c = jb->c;
    const mlc_conv_transpose2d_params *p = &c->p;
    const mlc__convt_dims *d = &jb->d;
    const int groups = p->groups, cig = c->in_ch / groups, ncols = mlc__convt_ncols(c);
    const size_t gstride = mlc_gemm_packed_b_floats(ncols, cig), W = (size_t)d->w;
    const long long reach = (long long)(p->kernel_h - 1) * p->dilation_h - p->pad_top;   /* last tap's row - ih*sh */
    int n, g;
    for (n = q0 / d->oh; n < d->n && (long long)n * d->oh < q1; n++) {
        const int oa = MLC__MAX(q0 - n * d->oh, 0), ob = MLC__MIN(q1 - n * d->oh, d->oh);
        /* input rows ih with ih*sh - pad_top + i*dh in [oa, ob) for some tap i */
        const long long lo = (long long)oa - reach;
        const int ih0 = lo > 0 ? (int)MLC__MIN((long long)d->h, (lo + p->stride_h - 1) / p->stride_h) : 0;
        const int ih1 = (int)MLC__MIN((long long)d->h, ((long long)ob - 1 + p->pad_top) / p->stride_h + 1);
        const size_t base = (size_t)n * (size_t)d->h * W, rb = base + (size_t)MLC__MAX(ih0, ih1) * W;   /* ih0 <= H */
        size_t r0;
        int init_to = oa, act_to = oa;   /* rows [oa, init_to) have the bias, [oa, act_to) are done */
        for (r0 = base + (size_t)ih0 * W; r0 < rb; r0 += (size_t)jb->rows_t) {
            const int nr = (int)MLC__MIN((size_t)jb->rows_t, rb - r0);
            const long long last = (long long)((r0 + (size_t)nr - 1 - base) / W) * p->stride_h + reach + 1;
            const long long done = (long long)((r0 + (size_t)nr - base) / W) * p->stride_h - p->pad_top;
            int to = (int)MLC__MIN((long long)ob, last);
            if (to > init_to) { mlc__convt_rows_op(jb, n, init_to, to, 0); init_to = to; }
            for (g = 0; g < groups; g++) {
                mlc_result r = mlc_gemm_packed_f32(NULL, nr, ncols, cig, jb->x + r0 * (size_t)c->in_ch + (size_t)g * (size_t)cig,
                                                   c->in_ch, c->w + (size_t)g * gstride, NULL, col, ncols, MLC_ACT_NONE, 0.0f);
                MLC_ASSERT(r == MLC_OK);
                (void)r;
                mlc__convt_scatter(jb, col, r0, nr, g, q0, q1);
            }
            to = (int)MLC__MIN((long long)ob, done);   /* no later input pixel reaches rows above */
            if (to > init_to) { mlc__convt_rows_op(jb, n, init_to, to, 0); init_to = to; }
            if (to > act_to) { mlc__convt_rows_op(jb, n, act_to, to, 1); act_to = to; }
        }
        mlc__convt_rows_op(jb, n, init_to, ob, 0);
        mlc__convt_rows_op(jb, n, act_to, ob, 1);
    }
}

/* ---- depthwise ---------------------------------------------------------- */
/* Along one axis, the taps t = *t0, *t0 + *step, ... < *t1 that reach
   output o, i.e. o + pad = in * s + t * d with 0 <= in < n; the input index
   of tap *t0 is *in0 and it goes down by *in_step per tap. */
static void mlc__convt_taps(int o, int pad, int s, int d, int k, int n,
                            int *t0, int *t1, int *step, int *in0, int *in_step) {
    long long f = (long long)o + pad, lo, hi, t;
    int a = s, b = d, first = -1;
    while (b) { int tmp = a % b; a = b; b = tmp; }   /* a = gcd(s, d) */
    *step = s / a; *in_step = d / a;
    for (t = 0; t < *step && t < k; t++) if ((f - t * d) % s == 0) { first = (int)t; break; }
    *t0 = *t1 = 0; *in0 = 0;
    if (first < 0) return;
    lo = f - (long long)(n - 1) * s;                 /* in <= n - 1: t d >= lo */
    lo = lo > 0 ? (lo + d - 1) / d : 0;
    hi = MLC__MIN((long long)k - 1, f / d);          /* in >= 0 */
    if (lo > first) t = first + (lo - first + *step - 1) / *step * *step;
    else t = first;
    if (t > hi) return;
    *t0 = (int)t; *t1 = (int)hi + 1;
    *in0 = (int)((f - t * d) / s);
}

/* Channels [c0, c0+nc) of one output pixel: ni x nj taps, each step moving
   the input by xs_* and the weights by ws_* floats. */
MLC__INLINE void mlc__convt_dw_vec(const float *xp, const float *wp, const float *bias, float *yp, size_t nc,
                                   int ni, int nj, ptrdiff_t xs_i, ptrdiff_t xs_j, ptrdiff_t ws_i, ptrdiff_t ws_j,
                                   mlc_act act, float alpha) {
    mlc__vf acc = bias ? mlc__ldn(bias, nc) : mlc__vset1(0.0f);
    int i, j;
    for (i = 0; i < ni; i++) {   /* (pointers formed only for taps that exist: the steps may be negative) */
        const float *xq = xp + i * xs_i, *wq = wp + i * ws_i;
        for (j = 0; j < nj; j++) acc = mlc__vfma(mlc__ldn(xq + j * xs_j, nc), mlc__ldn(wq + j * ws_j, nc), acc);
    }
    mlc__stn(yp, mlc__vact(acc, act, alpha), nc);
}

static void mlc__convt_dw_rows(const mlc__convt_job *jb, int q0, int q1) {
    const mlc_conv_transpose2d *c = jb->c;
    const mlc_conv_transpose2d_params *p = &c->p;
    const mlc__convt_dims *d = &jb->d;
    const size_t C = (size_t)c->in_ch;
    int q, ow;
    for (q = q0; q < q1; q++) {
        int n = q / d->oh, oh = q % d->oh, ti0, ti1, sti, ih0, ihs, ni;
        float *yp = jb->y + (size_t)q * (size_t)d->ow * C;
        mlc__convt_taps(oh, p->pad_top, p->stride_h, p->dilation_h, p->kernel_h, d->h, &ti0, &ti1, &sti, &ih0, &ihs);
        ni = ti1 > ti0 ? (ti1 - ti0 + sti - 1) / sti : 0;
        for (ow = 0; ow < d->ow; ow++, yp += C) {
            int tj0, tj1, stj, iw0, iws, nj;
            const float *xp = jb->x, *wp = c->w;   /* no taps: the bias alone */
            size_t c0 = 0;
            mlc__convt_taps(ow, p->pad_left, p->stride_w, p->dilation_w, p->kernel_w, d->w, &tj0, &tj1, &stj, &iw0, &iws);
            nj = tj1 > tj0 ? (tj1 - tj0 + stj - 1) / stj : 0;
            if (ni > 0 && nj > 0) {
                xp = jb->x + (((size_t)n * (size_t)d->h + (size_t)ih0) * (size_t)d->w + (size_t)iw0) * C;
                wp = c->w + ((size_t)ti0 * (size_t)p->kernel_w + (size_t)tj0) * C;
            }
            {
                const int a = ni > 0 && nj > 0 ? ni : 0, b = ni > 0 && nj > 0 ? nj : 0;
                const ptrdiff_t xs_i = -(ptrdiff_t)ihs * (ptrdiff_t)d->w * (ptrdiff_t)C, xs_j = -(ptrdiff_t)iws * (ptrdiff_t)C;
                const ptrdiff_t ws_i = (ptrdiff_t)sti * p->kernel_w * (ptrdiff_t)C, ws_j = (ptrdiff_t)stj * (ptrdiff_t)C;
                for (; c0 + MLC__VW <= C; c0 += MLC__VW)
                    mlc__convt_dw_vec(xp + c0, wp + c0, c->bias ? c->bias + c0 : NULL, yp + c0, MLC__VW, a, b,
                                      xs_i, xs_j, ws_i, ws_j, jb->act, jb->alpha);
                if (c0 < C)
                    mlc__convt_dw_vec(xp + c0, wp + c0, c->bias ? c->bias + c0 : NULL, yp + c0, C - c0, a, b,
                                      xs_i, xs_j, ws_i, ws_j, jb->act, jb->alpha);
            }
        }
    }
}

static void mlc__convt_task(void *arg, int t) {
    const mlc__convt_job *jb = (const mlc__convt_job *)arg;
    int rows = jb->d.n * jb->d.oh;
    int q0 = (int)((long long)rows * t / jb->tasks), q1 = (int)((long long)rows * (t + 1) / jb->tasks);
    if (q1 <= q0) return;
    if (jb->c->kind == MLC_CONVT_DEPTHWISE) mlc__convt_dw_rows(jb, q0, q1);
    else mlc__convt_gemm_rows(jb, jb->col + (size_t)t * (size_t)jb->rows_t * (size_t)mlc__convt_ncols(jb->c), q0, q1);
}

MLC_API mlc_result mlc_conv_transpose2d_forward(const mlc_conv_transpose2d *c, const mlc_ctx *ctx, mlc_tensor *y,
                                                const mlc_tensor *x, mlc_act act, float alpha, mlc_arena *scratch) {
    mlc__convt_dims d;
    mlc_result r = mlc__convt_args(c, y, x, act, &d);
    mlc__convt_job jb;
    size_t mark = 0;
    int rows, scratch_rows = 0;
    if (r != MLC_OK) return r;
    memset(&jb, 0, sizeof jb);
    jb.c = c; jb.x = (const float *)x->data; jb.y = (float *)y->data; jb.d = d; jb.act = act; jb.alpha = alpha;
    rows = d.n * d.oh;
    if (c->kind == MLC_CONVT_GEMM) {
        if (!scratch) return MLC_ERR_NULL;
        scratch_rows = mlc__convt_rows(c, d.h, d.w);
        mark = mlc_arena_mark(scratch);
        jb.col = (float *)mlc_arena_alloc(scratch, (size_t)scratch_rows * (size_t)mlc__convt_ncols(c) * sizeof(float), 64);
        if (!jb.col) return MLC_ERR_NOMEM;
    }
    jb.tasks = 1;
    /* below ~1 MFLOP a split costs more than it saves; the GEMM path's
       tasks share its scratch, each at least one row of it */
    if (ctx && ctx->parallel_for && ctx->n_threads > 1 &&
        (float)d.n * d.h * d.w * c->in_ch * c->p.kernel_h * c->p.kernel_w * (c->out_ch / c->p.groups) >= 5e5f) {
        jb.tasks = MLC__MIN(rows, ctx->n_threads);
        if (c->kind == MLC_CONVT_GEMM) jb.tasks = MLC__MIN(jb.tasks, scratch_rows);
    }
    jb.rows_t = scratch_rows / jb.tasks;
    if (jb.tasks > 1) ctx->parallel_for(ctx->user, mlc__convt_task, &jb, jb.tasks);
    else mlc__convt_task(&jb, 0);
    if (c->kind == MLC_CONVT_GEMM) mlc_arena_reset(scratch, mark);
    return MLC_OK;
}

MLC_API mlc_result mlc_conv_transpose2d_ref(const mlc_conv_transpose2d *c, mlc_tensor *y, const mlc_tensor *x,
                                            mlc_act act, float alpha) {
    mlc__convt_dims d;
    mlc_result r = mlc__convt_args(c, y, x, act, &d);
    const mlc_conv_transpose2d_params *p;
    const float *xd;
    float *yd;
    int n, oh, ow, co, i, j, ci, cig, cog;
    if (r != MLC_OK) return r;
    p = &c->p;
    xd = (const float *)x->data; yd = (float *)y->data;
    cig = c->in_ch / p->groups; cog = c->out_ch / p->groups;
    for (n = 0; n < d.n; n++) for (oh = 0; oh < d.oh; oh++) for (ow = 0; ow < d.ow; ow++)
    for (co = 0; co < c->out_ch; co++) {
        float s = c->bias ? c->bias[co] : 0.0f;
        int g = co / cog;
        for (i = 0; i < p->kernel_h; i++) {
            int th = oh + p->pad_top - i * p->dilation_h, ih = th / p->stride_h;   /* oh = ih sh - pad + i dh */
            if (th < 0 || th % p->stride_h || ih >= d.h) continue;
            for (j = 0; j < p->kernel_w; j++) {
                int tw = ow + p->pad_left - j * p->dilation_w, iw = tw / p->stride_w;
                const float *xp;
                if (tw < 0 || tw % p->stride_w || iw >= d.w) continue;
                xp = xd + (((size_t)n * (size_t)d.h + (size_t)ih) * (size_t)d.w + (size_t)iw) * (size_t)c->in_ch;
                for (ci = g * cig; ci < (g + 1) * cig; ci++) s += xp[ci] * *mlc__convt_wptr(c, ci, co % cog, i, j);
            }
        }
        yd[(((size_t)n * (size_t)d.oh + (size_t)oh) * (size_t)d.ow + (size_t)ow) * (size_t)c->out_ch + (size_t)co] =
            mlc__act_ref1(s, act, alpha);
    }
    return MLC_OK;
}

// >>rnn ------------------------------------------------------------------
/* RNN, LSTM, GRU. Per layer and direction (a "cell"), weights are packed
   once into the GEMM panel layout: W_ih with n = G*H columns and k = in
   rows, W_hh with k = P, W_hr (LSTM projection) n = P, k = H.
   The whole-sequence forward runs layer by layer (so one layer's W_hh stays
   in cache for all its steps) and, per direction:
     for each chunk of MLC_RNN_CHUNK steps: xp = x W_ih^T + bias_x, one GEMM
     per step: gh = h_prev W_hh^T (one GEMM of B rows; for B = 1 a
               matrix-vector product streaming the packed W_hh, its panels
               walked first to last and last to first on alternate steps,
               see mlc__rnn_matvec), then a fused
               pass computes the gates (vector sigmoid/tanh) and writes the
               new h straight into y (with a projection: into tmp, then one
               more GEMM into y); c stays in scratch.
   A layer's output is the next layer's input: layers write alternately to
   y and one scratch buffer so that the last one writes y. */
#ifndef MLC_RNN_CHUNK
#define MLC_RNN_CHUNK 32
#endif
#if MLC_RNN_CHUNK < 1
#  error "mlcore: MLC_RNN_CHUNK must be at least 1"
#endif

MLC_API mlc_rnn_params mlc_rnn_params_make(mlc_rnn_mode mode, int input_size, int hidden_size,
                                           int num_layers, int bidirectional) {
    mlc_rnn_params p;
    memset(&p, 0, sizeof p);
    p.mode = mode; p.input_size = input_size; p.hidden_size = hidden_size;
    p.num_layers = num_layers; p.bidirectional = bidirectional; p.has_bias = 1;
    return p;
}

static int mlc__rnn_gates(mlc_rnn_mode m) { return m == MLC_RNN_LSTM ? 4 : m == MLC_RNN_GRU ? 3 : 1; }

/* Valid params, and every size below fits an int (floats) and a size_t (bytes). */
static mlc_result mlc__rnn_check(const mlc_rnn_params *p) {
    long long g, h, ps, in_max, d;
    if (!p) return MLC_ERR_NULL;
    if ((unsigned)p->mode > (unsigned)MLC_RNN_GRU || p->input_size < 1 || p->hidden_size < 1 || p->num_layers < 1 ||
        (p->bidirectional != 0 && p->bidirectional != 1) || (p->has_bias != 0 && p->has_bias != 1) ||
        (p->batch_first != 0 && p->batch_first != 1) || p->proj_size < 0 ||
        (p->proj_size > 0 && (p->mode != MLC_RNN_LSTM || p->proj_size >= p->hidden_size))) return MLC_ERR_ARG;
    g = mlc__rnn_gates(p->mode); h = p->hidden_size; d = p->bidirectional ? 2 : 1;
    ps = p->proj_size ? p->proj_size : h;
    in_max = MLC__MAX((long long)p->input_size, d * ps);
    if (g * h + MLC__NR > INT_MAX / 4 || d * ps > INT_MAX / 4 || (long long)p->num_layers * d > INT_MAX / 4) return MLC_ERR_UNSUPPORTED;
    if (((double)g * h + MLC__NR) * (double)(in_max + ps) * (double)sizeof(float) * (double)p->num_layers * (double)d >
        (double)(SIZE_MAX / 4)) return MLC_ERR_UNSUPPORTED;
    return MLC_OK;
}

#define MLC__RNN_STATE(p) ((p)->proj_size ? (p)->proj_size : (p)->hidden_size)
#define MLC__RNN_DIRS(p)  ((p)->bidirectional ? 2 : 1)

static int mlc__rnn_in_size(const mlc_rnn_params *p, int layer) {
    return layer == 0 ? p->input_size : MLC__RNN_DIRS(p) * MLC__RNN_STATE(p);
}

MLC_API size_t mlc_rnn_arena_bytes(const mlc_rnn_params *p) {
    int l, cells, gh, ps;
    size_t b;
    if (mlc__rnn_check(p) != MLC_OK) return 0;
    cells = p->num_layers * MLC__RNN_DIRS(p);
    gh = mlc__rnn_gates(p->mode) * p->hidden_size;
    ps = MLC__RNN_STATE(p);
    b = (size_t)cells * sizeof(mlc_rnn_cell) + 64;
    for (l = 0; l < p->num_layers; l++) {
        size_t c = mlc_gemm_packed_b_floats(gh, mlc__rnn_in_size(p, l)) * sizeof(float) + 64;
        c += mlc_gemm_packed_b_floats(gh, ps) * sizeof(float) + 64;
        if (p->proj_size) c += mlc_gemm_packed_b_floats(ps, p->hidden_size) * sizeof(float) + 64;
        if (p->has_bias) c += (size_t)gh * sizeof(float) + 64;
        if (p->has_bias && p->mode == MLC_RNN_GRU) c += (size_t)p->hidden_size * sizeof(float) + 64;
        b += c * (size_t)MLC__RNN_DIRS(p);
    }
    return b;
}

/* The PyTorch name of a tensor: "<prefix>.<base>_l<layer>[_reverse]" (no
   dot for an empty prefix). 0 if it does not fit. */
static int mlc__rnn_name(char *out, size_t cap, const char *prefix, const char *base, int layer, int reverse) {
    char digits[12];
    size_t n = 0, pl = prefix ? strlen(prefix) : 0, bl = strlen(base), dl = 0, need;
    unsigned v = (unsigned)layer;
    do { digits[dl++] = (char)('0' + v % 10u); v /= 10u; } while (v);
    need = pl + (pl ? 1 : 0) + bl + 2 + dl + (reverse ? 8 : 0) + 1;
    if (need > cap) return 0;
    if (pl) { memcpy(out, prefix, pl); out[pl] = '.'; n = pl + 1; }
    memcpy(out + n, base, bl); n += bl;
    out[n++] = '_'; out[n++] = 'l';
    while (dl) out[n++] = digits[--dl];
    if (reverse) { memcpy(out + n, "_reverse", 8); n += 8; }
    out[n] = '\0';
    return 1;
}

static void mlc__rnn_set_bad(mlc_rnn *r, const char *name) {
    size_t n = strlen(name);
    if (n >= sizeof r->bad_name) n = sizeof r->bad_name - 1;
    memcpy(r->bad_name, name, n);
    r->bad_name[n] = '\0';
}

/* Allocates the cells and their buffers. */
static mlc_result mlc__rnn_alloc(mlc_rnn *r, const mlc_rnn_params *p, mlc_arena *arena) {
    size_t mark = mlc_arena_mark(arena);
    int l, d, D = MLC__RNN_DIRS(p), gh = mlc__rnn_gates(p->mode) * p->hidden_size, ps = MLC__RNN_STATE(p);
    r->cells = (mlc_rnn_cell *)mlc_arena_alloc(arena, (size_t)p->num_layers * (size_t)D * sizeof(mlc_rnn_cell), 64);
    if (!r->cells) goto nomem;
    for (l = 0; l < p->num_layers; l++) for (d = 0; d < D; d++) {
        mlc_rnn_cell *c = &r->cells[l * D + d];
        memset(c, 0, sizeof *c);
        c->in_size = mlc__rnn_in_size(p, l);
        c->w_ih = (float *)mlc_arena_alloc(arena, mlc_gemm_packed_b_floats(gh, c->in_size) * sizeof(float), 64);
        c->w_hh = (float *)mlc_arena_alloc(arena, mlc_gemm_packed_b_floats(gh, ps) * sizeof(float), 64);
        if (!c->w_ih || !c->w_hh) goto nomem;
        if (p->proj_size && !(c->w_hr = (float *)mlc_arena_alloc(arena, mlc_gemm_packed_b_floats(ps, p->hidden_size) * sizeof(float), 64)))
            goto nomem;
        if (p->has_bias && !(c->bias_x = (float *)mlc_arena_alloc(arena, (size_t)gh * sizeof(float), 64))) goto nomem;
        if (p->has_bias && p->mode == MLC_RNN_GRU &&
            !(c->bias_h = (float *)mlc_arena_alloc(arena, (size_t)p->hidden_size * sizeof(float), 64))) goto nomem;
    }
    r->p = *p;
    r->gates = mlc__rnn_gates(p->mode);
    r->state_size = ps;
    return MLC_OK;
nomem:
    mlc_arena_reset(arena, mark);
    r->cells = NULL;
    return MLC_ERR_NOMEM;
}

/* Weight [n, k] as PyTorch stores it: from floats (f) or safetensors bytes. */
static void mlc__rnn_pack(float *dst, const float *f, const mlc_st_tensor *t, int n, int k) {
    if (f) mlc_gemm_pack_b_f32(dst, f, k, 1, n, k);
    else mlc__pack_b(dst, t->data, t->dtype, (size_t)k, 1, n, k);
}

static float mlc__rnn_elem(const float *f, const mlc_st_tensor *t, size_t i) {
    return f ? f[i] : mlc__elem_f32(t->data, t->dtype, i);
}

/* bias_x = b_ih + b_hh (GRU: n rows b_ih only), bias_h = GRU's b_hn. */
static void mlc__rnn_bias(const mlc_rnn *r, mlc_rnn_cell *c, const float *bif, const mlc_st_tensor *bit,
                          const float *bhf, const mlc_st_tensor *bht) {
    int H = r->p.hidden_size, gh = r->gates * H, i;
    for (i = 0; i < gh; i++) {
        float bi = mlc__rnn_elem(bif, bit, (size_t)i), bh = mlc__rnn_elem(bhf, bht, (size_t)i);
        if (r->p.mode == MLC_RNN_GRU && i >= 2 * H) { c->bias_x[i] = bi; c->bias_h[i - 2 * H] = bh; }
        else c->bias_x[i] = bi + bh;
    }
}

MLC_API mlc_result mlc_rnn_init(mlc_rnn *r, const mlc_rnn_params *p, const mlc_rnn_weights *w, mlc_arena *arena) {
    mlc_result res;
    int l, d, D, gh, ps;
    if (!r) return MLC_ERR_NULL;
    memset(r, 0, sizeof *r);
    if (!p || !w || !arena) return MLC_ERR_NULL;
    if ((res = mlc__rnn_check(p)) != MLC_OK) return res;
    D = MLC__RNN_DIRS(p); gh = mlc__rnn_gates(p->mode) * p->hidden_size; ps = MLC__RNN_STATE(p);
    for (l = 0; l < p->num_layers; l++) for (d = 0; d < D; d++) {
        const mlc_rnn_weights *cw = &w[l * D + d];
        const char *missing = !cw->w_ih ? "weight_ih" : !cw->w_hh ? "weight_hh" : (p->has_bias && !cw->b_ih) ? "bias_ih"
                            : (p->has_bias && !cw->b_hh) ? "bias_hh" : (p->proj_size && !cw->w_hr) ? "weight_hr" : NULL;
        if (missing) {
            char name[64];
            mlc__rnn_name(name, sizeof name, "", missing, l, d);
            mlc__rnn_set_bad(r, name);
            return MLC_ERR_NULL;
        }
    }
    if ((res = mlc__rnn_alloc(r, p, arena)) != MLC_OK) return res;
    for (l = 0; l < p->num_layers; l++) for (d = 0; d < D; d++) {
        const mlc_rnn_weights *cw = &w[l * D + d];
        mlc_rnn_cell *c = &r->cells[l * D + d];
        mlc__rnn_pack(c->w_ih, cw->w_ih, NULL, gh, c->in_size);
        mlc__rnn_pack(c->w_hh, cw->w_hh, NULL, gh, ps);
        if (p->proj_size) mlc__rnn_pack(c->w_hr, cw->w_hr, NULL, ps, p->hidden_size);
        if (p->has_bias) mlc__rnn_bias(r, c, cw->b_ih, NULL, cw->b_hh, NULL);
    }
    return MLC_OK;
}

/* Finds "<prefix>.<base>_l<l>[_reverse]" and checks it: rank 2 [n, k], or
   rank 1 [n] when k == 0. want = 0: must be absent (*t = NULL). */
static mlc_result mlc__rnn_find(mlc_rnn *r, const mlc_safetensors *st, const char *prefix, const char *base,
                                int l, int d, int want, int n, int k, const mlc_st_tensor **t) {
    char name[320];
    const mlc_st_tensor *x;
    *t = NULL;
    if (!mlc__rnn_name(name, sizeof name, prefix, base, l, d)) return MLC_ERR_ARG;
    x = mlc_st_find(st, name);
    if (!want) {
        if (x) { mlc__rnn_set_bad(r, name); return MLC_ERR_ARG; }
        return MLC_OK;
    }
    if (!x) { mlc__rnn_set_bad(r, name); return MLC_ERR_NOT_FOUND; }
    if (k ? (x->rank != 2 || x->shape[0] != n || x->shape[1] != k) : (x->rank != 1 || x->shape[0] != n)) {
        mlc__rnn_set_bad(r, name); return MLC_ERR_SHAPE;
    }
    if (!mlc__is_float_dtype(x->dtype)) { mlc__rnn_set_bad(r, name); return MLC_ERR_DTYPE; }
    *t = x;
    return MLC_OK;
}

MLC_API mlc_result mlc_rnn_load(mlc_rnn *r, const mlc_safetensors *st, const char *prefix,
                                const mlc_rnn_params *p, mlc_arena *arena) {
    mlc_result res;
    int pass, l, d, D, gh, ps, H;
    if (!r) return MLC_ERR_NULL;
    memset(r, 0, sizeof *r);
    if (!st || !p || !arena) return MLC_ERR_NULL;
    if (!prefix) prefix = "";
    if (strlen(prefix) > 256) return MLC_ERR_ARG;
    if ((res = mlc__rnn_check(p)) != MLC_OK) return res;
    D = MLC__RNN_DIRS(p); H = p->hidden_size; gh = mlc__rnn_gates(p->mode) * H; ps = MLC__RNN_STATE(p);
    /* pass 0 checks every tensor before anything is allocated; pass 1 packs */
    for (pass = 0; pass < 2; pass++) {
        if (pass == 1 && (res = mlc__rnn_alloc(r, p, arena)) != MLC_OK) return res;
        for (l = 0; l < p->num_layers; l++) for (d = 0; d < D; d++) {
            const mlc_st_tensor *wih, *whh, *bih, *bhh, *whr;
            int in = mlc__rnn_in_size(p, l);
            if ((res = mlc__rnn_find(r, st, prefix, "weight_ih", l, d, 1, gh, in, &wih)) != MLC_OK ||
                (res = mlc__rnn_find(r, st, prefix, "weight_hh", l, d, 1, gh, ps, &whh)) != MLC_OK ||
                (res = mlc__rnn_find(r, st, prefix, "bias_ih", l, d, p->has_bias, gh, 0, &bih)) != MLC_OK ||
                (res = mlc__rnn_find(r, st, prefix, "bias_hh", l, d, p->has_bias, gh, 0, &bhh)) != MLC_OK ||
                (res = mlc__rnn_find(r, st, prefix, "weight_hr", l, d, p->proj_size > 0, ps, H, &whr)) != MLC_OK) {
                r->cells = NULL;   /* pass 1 cannot fail here: pass 0 saw the same tensors */
                return res;
            }
            if (pass == 1) {
                mlc_rnn_cell *c = &r->cells[l * D + d];
                mlc__rnn_pack(c->w_ih, NULL, wih, gh, in);
                mlc__rnn_pack(c->w_hh, NULL, whh, gh, ps);
                if (whr) mlc__rnn_pack(c->w_hr, NULL, whr, ps, H);
                if (p->has_bias) mlc__rnn_bias(r, c, NULL, bih, NULL, bhh);
            }
        }
    }
    return MLC_OK;
}

/* ---- shapes and scratch ---------------------------------------------------- */

/* Scratch buffers of a forward pass (the reference uses the same). */
typedef struct mlc__rnn_bufs {
    float *xp;     /* [chunk * B, G*H] input projections of a chunk of steps */
    float *gh;     /* [B, G*H] h_prev W_hh^T */
    float *c;      /* [B, H] LSTM cell state */
    float *tmp;    /* [B, H] LSTM o * tanh(c) before the projection */
    float *h0;     /* [B, P] the initial state of one cell (copied or zeros) */
    float *mid;    /* [T, B, D*P] output of the layers that do not write y, or NULL */
} mlc__rnn_bufs;

static int mlc__rnn_chunk(int T) { return T < MLC_RNN_CHUNK ? T : MLC_RNN_CHUNK; }

/* Float counts of the six buffers (0 = not needed); 0 on overflow. */
static int mlc__rnn_buf_sizes(const mlc_rnn *r, int T, int B, size_t n[6]) {
    double gh = (double)r->gates * r->p.hidden_size, ps = r->state_size, D = MLC__RNN_DIRS(&r->p);
    double v[6];
    int i;
    v[0] = (double)mlc__rnn_chunk(T) * B * gh;
    v[1] = (double)B * gh;
    v[2] = r->p.mode == MLC_RNN_LSTM ? (double)B * r->p.hidden_size : 0.0;
    v[3] = r->p.proj_size ? (double)B * r->p.hidden_size : 0.0;
    v[4] = (double)B * ps;
    v[5] = r->p.num_layers > 1 ? (double)T * B * D * ps : 0.0;
    for (i = 0; i < 6; i++) {
        if (v[i] * sizeof(float) > (double)(SIZE_MAX / 16)) return 0;
        n[i] = (size_t)v[i];
    }
    return 1;
}

MLC_API size_t mlc_rnn_scratch_bytes(const mlc_rnn *r, int seq_len, int batch) {
    size_t n[6], b = 0;
    int i;
    if (!r || !r->cells || seq_len < 1 || batch < 1) return 0;
    if (!mlc__rnn_buf_sizes(r, seq_len, batch, n)) return 0;
    for (i = 0; i < 6; i++) if (n[i]) b += n[i] * sizeof(float) + 64;
    return b;
}

static mlc_result mlc__rnn_carve(const mlc_rnn *r, int T, int B, mlc_arena *s, mlc__rnn_bufs *bf) {
    size_t n[6];
    float **dst[6];
    int i;
    dst[0] = &bf->xp; dst[1] = &bf->gh; dst[2] = &bf->c; dst[3] = &bf->tmp; dst[4] = &bf->h0; dst[5] = &bf->mid;
    memset(bf, 0, sizeof *bf);
    if (!mlc__rnn_buf_sizes(r, T, B, n)) return MLC_ERR_UNSUPPORTED;
    for (i = 0; i < 6; i++) {
        if (!n[i]) continue;
        if (!(*dst[i] = (float *)mlc_arena_alloc(s, n[i] * sizeof(float), 64))) return MLC_ERR_NOMEM;
    }
    return MLC_OK;
}

/* Checks a float32 tensor of rank `rank` and exact shape (d0, d1, d2). */
static mlc_result mlc__rnn_tshape(const mlc_tensor *t, int rank, int d0, int d1, int d2) {
    mlc_result r = mlc__check_f32(t);
    if (r != MLC_OK) return r;
    if (t->rank != rank) return MLC_ERR_SHAPE;
    if (t->shape[0] != d0 || t->shape[1] != d1 || (rank == 3 && t->shape[2] != d2)) return MLC_ERR_SHAPE;
    return MLC_OK;
}

/* A state tensor: [N, B, S] for batched input (rank 3), [N, S] unbatched. */
static mlc_result mlc__rnn_state_check(const mlc_tensor *t, int batched, int N, int B, int S) {
    return batched ? mlc__rnn_tshape(t, 3, N, B, S) : mlc__rnn_tshape(t, 2, N, S, 0);
}

/* The shape part of forward: T, B, and the state tensors. */
static mlc_result mlc__rnn_fwd_check(const mlc_rnn *r, const mlc_tensor *y, const mlc_tensor *x,
                                     const mlc_tensor *h0, const mlc_tensor *c0, const mlc_tensor *hn,
                                     const mlc_tensor *cn, int *T, int *B) {
    mlc_result res;
    int batched, LD, out, lstm;
    if (!r || !r->cells || !y || !x) return MLC_ERR_NULL;
    if ((res = mlc__check_f32(x)) != MLC_OK || (res = mlc__check_f32(y)) != MLC_OK) return res;
    if (x->rank != 2 && x->rank != 3) return MLC_ERR_SHAPE;
    batched = x->rank == 3;
    *T = batched && r->p.batch_first ? x->shape[1] : x->shape[0];
    *B = batched ? (r->p.batch_first ? x->shape[0] : x->shape[1]) : 1;
    if (x->shape[x->rank - 1] != r->p.input_size) return MLC_ERR_SHAPE;
    out = MLC__RNN_DIRS(&r->p) * r->state_size;
    if ((res = batched ? mlc__rnn_tshape(y, 3, x->shape[0], x->shape[1], out) : mlc__rnn_tshape(y, 2, *T, out, 0)) != MLC_OK)
        return res;
    LD = r->p.num_layers * MLC__RNN_DIRS(&r->p);
    lstm = r->p.mode == MLC_RNN_LSTM;
    if (!lstm && (c0 || cn)) return MLC_ERR_ARG;
    if (h0 && (res = mlc__rnn_state_check(h0, batched, LD, *B, r->state_size)) != MLC_OK) return res;
    if (hn && (res = mlc__rnn_state_check(hn, batched, LD, *B, r->state_size)) != MLC_OK) return res;
    if (c0 && (res = mlc__rnn_state_check(c0, batched, LD, *B, r->p.hidden_size)) != MLC_OK) return res;
    if (cn && (res = mlc__rnn_state_check(cn, batched, LD, *B, r->p.hidden_size)) != MLC_OK) return res;
    /* every row index and leading dimension the GEMMs see is an int */
    if ((double)*T * *B * (double)MLC__MAX(MLC__MAX(out, r->p.input_size), r->gates * r->p.hidden_size) > (double)INT_MAX)
        return MLC_ERR_UNSUPPORTED;
    return MLC_OK;
}

/* ---- the fused cell kernels -------------------------------------------------
   One row of the batch: xg = the input projection with bias_x, hg = h_prev
   W_hh^T, both [G*H] in gate order. hp = h_prev (GRU), c the cell state
   (LSTM, updated in place), out receives the new h (LSTM: o*tanh(c), before
   any projection). out may alias hp. */
MLC__INLINE mlc__vf mlc__rnn_ld(const float *p, size_t n) { return n == MLC__VW ? mlc__vload(p) : mlc__vload_tail(p, n); }
MLC__INLINE void mlc__rnn_st(float *p, mlc__vf v, size_t n) { if (n == MLC__VW) mlc__vstore(p, v); else mlc__vstore_tail(p, v, n); }

static void mlc__rnn_cell_lstm(int H, const float *xg, const float *hg, float *c, float *out) {
    int j;
    for (j = 0; j < H; j += MLC__VW) {
        size_t n = (size_t)MLC__MIN(MLC__VW, H - j);
        mlc__vf i = mlc__vsigmoid(mlc__vadd(mlc__rnn_ld(xg + j, n), mlc__rnn_ld(hg + j, n)));
        mlc__vf f = mlc__vsigmoid(mlc__vadd(mlc__rnn_ld(xg + H + j, n), mlc__rnn_ld(hg + H + j, n)));
        mlc__vf g = mlc__vtanh(mlc__vadd(mlc__rnn_ld(xg + 2 * H + j, n), mlc__rnn_ld(hg + 2 * H + j, n)));
        mlc__vf o = mlc__vsigmoid(mlc__vadd(mlc__rnn_ld(xg + 3 * H + j, n), mlc__rnn_ld(hg + 3 * H + j, n)));
        mlc__vf cv = mlc__vfma(f, mlc__rnn_ld(c + j, n), mlc__vmul(i, g));
        mlc__rnn_st(c + j, cv, n);
        mlc__rnn_st(out + j, mlc__vmul(o, mlc__vtanh(cv)), n);
    }
}

static void mlc__rnn_cell_gru(int H, const float *xg, const float *hg, const float *b_hn, const float *hp, float *out) {
    int j;
    for (j = 0; j < H; j += MLC__VW) {
        size_t n = (size_t)MLC__MIN(MLC__VW, H - j);
        mlc__vf rg = mlc__vsigmoid(mlc__vadd(mlc__rnn_ld(xg + j, n), mlc__rnn_ld(hg + j, n)));
        mlc__vf z = mlc__vsigmoid(mlc__vadd(mlc__rnn_ld(xg + H + j, n), mlc__rnn_ld(hg + H + j, n)));
        mlc__vf hn = mlc__rnn_ld(hg + 2 * H + j, n), nv, h;
        if (b_hn) hn = mlc__vadd(hn, mlc__rnn_ld(b_hn + j, n));
        nv = mlc__vtanh(mlc__vfma(rg, hn, mlc__rnn_ld(xg + 2 * H + j, n)));
        h = mlc__rnn_ld(hp + j, n);
        mlc__rnn_st(out + j, mlc__vfma(z, mlc__vsub(h, nv), nv), n);   /* (1-z) n + z h */
    }
}

static void mlc__rnn_cell_simple(int H, const float *xg, const float *hg, mlc_act act, float *out) {
    int j;
    for (j = 0; j < H; j += MLC__VW) {
        size_t n = (size_t)MLC__MIN(MLC__VW, H - j);
        mlc__rnn_st(out + j, mlc__vact(mlc__vadd(mlc__rnn_ld(xg + j, n), mlc__rnn_ld(hg + j, n)), act, 0.0f), n);
    }
}

/* The scalar twins. */
static float mlc__rnn_sig(float x) { return 1.0f / (1.0f + MLC_EXPF(-x)); }

static void mlc__rnn_cell_ref(const mlc_rnn *r, const float *xg, const float *hg, const float *b_hn,
                              const float *hp, float *c, float *out) {
    int H = r->p.hidden_size, j;
    for (j = 0; j < H; j++) {
        switch (r->p.mode) {
        case MLC_RNN_LSTM: {
            float i = mlc__rnn_sig(xg[j] + hg[j]), f = mlc__rnn_sig(xg[H + j] + hg[H + j]);
            float g = MLC_TANHF(xg[2 * H + j] + hg[2 * H + j]), o = mlc__rnn_sig(xg[3 * H + j] + hg[3 * H + j]);
            c[j] = f * c[j] + i * g;
            out[j] = o * MLC_TANHF(c[j]);
            break;
        }
        case MLC_RNN_GRU: {
            float rg = mlc__rnn_sig(xg[j] + hg[j]), z = mlc__rnn_sig(xg[H + j] + hg[H + j]);
            float n = MLC_TANHF(xg[2 * H + j] + rg * (hg[2 * H + j] + (b_hn ? b_hn[j] : 0.0f)));
            out[j] = (1.0f - z) * n + z * hp[j];
            break;
        }
        case MLC_RNN_TANH: out[j] = MLC_TANHF(xg[j] + hg[j]); break;
        case MLC_RNN_RELU: out[j] = mlc__act_ref1(xg[j] + hg[j], MLC_ACT_RELU, 0.0f); break;
        }
    }
}

static void mlc__rnn_cell(const mlc_rnn *r, const float *xg, const float *hg, const float *b_hn,
                          const float *hp, float *c, float *out) {
    int H = r->p.hidden_size;
    switch (r->p.mode) {
    case MLC_RNN_LSTM: mlc__rnn_cell_lstm(H, xg, hg, c, out); break;
    case MLC_RNN_GRU:  mlc__rnn_cell_gru(H, xg, hg, b_hn, hp, out); break;
    case MLC_RNN_TANH: mlc__rnn_cell_simple(H, xg, hg, MLC_ACT_TANH, out); break;
    case MLC_RNN_RELU: mlc__rnn_cell_simple(H, xg, hg, MLC_ACT_RELU, out); break;
    }
}

/* Element (n, k) of a weight packed with mlc_gemm_pack_b_f32 (k rows). */
static float mlc__rnn_pw(const float *w, int k_rows, int n, int k) {
    return w[(size_t)(n / MLC__NR) * MLC__NR * (size_t)k_rows + (size_t)k * MLC__NR + (size_t)(n % MLC__NR)];
}

/* y[n] = (bias ? bias[n] : 0) + sum_k W[n, k] x[k] over the packed W. */
static void mlc__rnn_matvec_ref(float *y, const float *w, const float *bias, const float *x, int n, int k) {
    int i, kk;
    for (i = 0; i < n; i++) {
        float s = bias ? bias[i] : 0.0f;
        for (kk = 0; kk < k; kk++) s += mlc__rnn_pw(w, k, i, kk) * x[kk];
        y[i] = s;
    }
}

/* y[0:n] = x[0:k] W^T for one row (B = 1) over a packed W, panel by panel
   with the GEMM's one-row kernel. backward = 1 walks the panels last to
   first: alternating the direction from one step to the next, the panels
   read last are still in cache when the next step starts (a cyclic walk
   over a W slightly bigger than the cache would miss on every line). */
static void mlc__rnn_matvec(float *y, const float *w, const float *x, int n, int k, int backward) {
    int panels = (n + MLC__NR - 1) / MLC__NR, i, pc;
    mlc__epi e;
    e.bias = NULL; e.act = MLC_ACT_NONE; e.alpha = 0.0f;
    for (i = 0; i < panels; i++) {
        int p = backward ? panels - 1 - i : i, col = p * MLC__NR, nr = MLC__MIN(MLC__NR, n - col);
        for (pc = 0; pc < k; pc += MLC_GEMM_KC) {
            int kc = MLC__MIN(MLC_GEMM_KC, k - pc);
            e.first = pc == 0; e.last = pc + kc == k;
            mlc__gemm_k1(kc, x + pc, 0, w + (size_t)p * MLC__NR * (size_t)k + (size_t)pc * MLC__NR, y + col, 0, 1, nr, &e);
        }
    }
}

/* ---- one layer, one direction ------------------------------------------------
   Sequence views: row (t, b) of a [T, B, row] (or [B, T, row]) buffer is at
   (t * ts + b * bs) * row. */
typedef struct mlc__rnn_seq {
    int T, B, ts, bs;
} mlc__rnn_seq;

MLC__INLINE size_t mlc__rnn_row(const mlc__rnn_seq *q, int t, int b) { return (size_t)t * (size_t)q->ts + (size_t)b * (size_t)q->bs; }

static mlc_result mlc__rnn_pass(const mlc_rnn *r, const mlc_ctx *ctx, const mlc_rnn_cell *cl, const mlc__rnn_seq *q,
                                const float *in, float *out, int out_row, int col, int rev,
                                const float *h0, const float *c0, float *hn, float *cn, const mlc__rnn_bufs *bf, int ref) {
    const int T = q->T, B = q->B, H = r->p.hidden_size, P = r->state_size, GH = r->gates * H, in_row = cl->in_size;
    const int CH = mlc__rnn_chunk(T), lstm = r->p.mode == MLC_RNN_LSTM;
    const int hb = q->bs * out_row;   /* stride between batch rows of out, in floats */
    int s, b, t0 = 0, tc = 0;
    mlc_result res = MLC_OK;
    /* the state before the first step */
    if (h0) memcpy(bf->h0, h0, (size_t)B * P * sizeof(float)); else memset(bf->h0, 0, (size_t)B * P * sizeof(float));
    if (lstm) { if (c0) memcpy(bf->c, c0, (size_t)B * H * sizeof(float)); else memset(bf->c, 0, (size_t)B * H * sizeof(float)); }
    for (s = 0; s < T; s++) {
        const int t = rev ? T - 1 - s : s, tp = rev ? t + 1 : t - 1;
        const float *hprev = s == 0 ? bf->h0 : out + mlc__rnn_row(q, tp, 0) * out_row + col;
        const int hprev_ld = s == 0 ? P : hb;
        float *dst = out + mlc__rnn_row(q, t, 0) * out_row + col;
        if (ref) {
            for (b = 0; b < B; b++) {
                const float *hp = hprev + (size_t)b * hprev_ld;
                float *o = lstm && r->p.proj_size ? bf->tmp : dst + (size_t)b * hb;
                mlc__rnn_matvec_ref(bf->xp, cl->w_ih, cl->bias_x, in + mlc__rnn_row(q, t, b) * in_row, GH, in_row);
                mlc__rnn_matvec_ref(bf->gh, cl->w_hh, NULL, hp, GH, P);
                mlc__rnn_cell_ref(r, bf->xp, bf->gh, cl->bias_h, hp, lstm ? bf->c + (size_t)b * H : NULL, o);
                if (lstm && r->p.proj_size) mlc__rnn_matvec_ref(dst + (size_t)b * hb, cl->w_hr, NULL, bf->tmp, P, H);
            }
            continue;
        }
        if (s % CH == 0) {   /* the input projections of the next chunk of steps */
            tc = MLC__MIN(CH, T - s);
            t0 = rev ? t - tc + 1 : t;
            if (q->bs == 1) {        /* time first: the chunk's rows are contiguous */
                res = mlc_gemm_packed_f32(ctx, tc * B, GH, in_row, in + mlc__rnn_row(q, t0, 0) * in_row, in_row,
                                          cl->w_ih, cl->bias_x, bf->xp, GH, MLC_ACT_NONE, 0.0f);
            } else {                 /* batch first: one GEMM per batch row, xp as [B, tc, GH] */
                for (b = 0; b < B && res == MLC_OK; b++)
                    res = mlc_gemm_packed_f32(ctx, tc, GH, in_row, in + mlc__rnn_row(q, t0, b) * in_row, in_row,
                                              cl->w_ih, cl->bias_x, bf->xp + (size_t)b * tc * GH, GH, MLC_ACT_NONE, 0.0f);
            }
            if (res != MLC_OK) return res;
        }
        if (s == 0 && !h0) memset(bf->gh, 0, (size_t)B * GH * sizeof(float));
        else if (B == 1 && !(ctx && ctx->parallel_for && ctx->n_threads > 1)) mlc__rnn_matvec(bf->gh, cl->w_hh, hprev, GH, P, s & 1);
        else if ((res = mlc_gemm_packed_f32(ctx, B, GH, P, hprev, hprev_ld, cl->w_hh, NULL, bf->gh, GH,
                                            MLC_ACT_NONE, 0.0f)) != MLC_OK) return res;
        for (b = 0; b < B; b++) {
            size_t xr = q->bs == 1 ? (size_t)(t - t0) * B + (size_t)b : (size_t)b * tc + (size_t)(t - t0);
            mlc__rnn_cell(r, bf->xp + xr * GH, bf->gh + (size_t)b * GH, cl->bias_h, hprev + (size_t)b * hprev_ld,
                          lstm ? bf->c + (size_t)b * H : NULL,
                          r->p.proj_size ? bf->tmp + (size_t)b * H : dst + (size_t)b * hb);
        }
        if (r->p.proj_size &&
            (res = mlc_gemm_packed_f32(ctx, B, P, H, bf->tmp, H, cl->w_hr, NULL, dst, hb, MLC_ACT_NONE, 0.0f)) != MLC_OK)
            return res;
    }
    if (hn) {
        const float *last = out + mlc__rnn_row(q, rev ? 0 : T - 1, 0) * out_row + col;
        for (b = 0; b < B; b++) memcpy(hn + (size_t)b * P, last + (size_t)b * hb, (size_t)P * sizeof(float));
    }
    if (cn && lstm) memcpy(cn, bf->c, (size_t)B * H * sizeof(float));
    return MLC_OK;
}

static mlc_result mlc__rnn_forward(const mlc_rnn *r, const mlc_ctx *ctx, mlc_tensor *y, const mlc_tensor *x,
                                   const mlc_tensor *h0, const mlc_tensor *c0, mlc_tensor *hn, mlc_tensor *cn,
                                   mlc_arena *scratch, int ref) {
    mlc_result res;
    mlc__rnn_bufs bf;
    mlc__rnn_seq q;
    size_t mark;
    int T, B, l, d, D, P, H, out_row;
    if ((res = mlc__rnn_fwd_check(r, y, x, h0, c0, hn, cn, &T, &B)) != MLC_OK) return res;
    if (!scratch) return MLC_ERR_NULL;
    D = MLC__RNN_DIRS(&r->p); P = r->state_size; H = r->p.hidden_size; out_row = D * P;
    q.T = T; q.B = B;
    if (r->p.batch_first) { q.ts = 1; q.bs = T; } else { q.ts = B; q.bs = 1; }
    mark = mlc_arena_mark(scratch);
    if ((res = mlc__rnn_carve(r, T, B, scratch, &bf)) != MLC_OK) { mlc_arena_reset(scratch, mark); return res; }
    for (l = 0; l < r->p.num_layers && res == MLC_OK; l++) {
        /* the last layer writes y, the one before it mid, and so on */
        float *out = ((r->p.num_layers - 1 - l) & 1) ? bf.mid : (float *)y->data;
        const float *in = l == 0 ? (const float *)x->data : (((r->p.num_layers - l) & 1) ? bf.mid : (const float *)y->data);
        for (d = 0; d < D && res == MLC_OK; d++) {
            size_t k = (size_t)(l * D + d);
            res = mlc__rnn_pass(r, ctx, &r->cells[k], &q, in, out, out_row, d * P, d,
                                h0 ? (const float *)h0->data + k * B * P : NULL,
                                c0 ? (const float *)c0->data + k * B * H : NULL,
                                hn ? (float *)hn->data + k * B * P : NULL,
                                cn ? (float *)cn->data + k * B * H : NULL, &bf, ref);
        }
    }
    mlc_arena_reset(scratch, mark);
    return res;
}

MLC_API mlc_result mlc_rnn_forward(const mlc_rnn *r, const mlc_ctx *ctx, mlc_tensor *y, const mlc_tensor *x,
                                   const mlc_tensor *h0, const mlc_tensor *c0, mlc_tensor *hn, mlc_tensor *cn,
                                   mlc_arena *scratch) {
    return mlc__rnn_forward(r, ctx, y, x, h0, c0, hn, cn, scratch, 0);
}

MLC_API mlc_result mlc_rnn_forward_ref(const mlc_rnn *r, mlc_tensor *y, const mlc_tensor *x,
                                       const mlc_tensor *h0, const mlc_tensor *c0, mlc_tensor *hn, mlc_tensor *cn,
                                       mlc_arena *scratch) {
    return mlc__rnn_forward(r, NULL, y, x, h0, c0, hn, cn, scratch, 1);
}

/* ---- streaming ------------------------------------------------------------- */

MLC_API size_t mlc_rnn_step_scratch_bytes(const mlc_rnn *r, int batch) {
    size_t gh;
    if (!r || !r->cells || batch < 1) return 0;
    gh = (size_t)r->gates * (size_t)r->p.hidden_size;
    if ((double)batch * (double)gh * sizeof(float) > (double)(SIZE_MAX / 16)) return 0;
    return 2 * ((size_t)batch * gh * sizeof(float) + 64) +
           (r->p.proj_size ? (size_t)batch * (size_t)r->p.hidden_size * sizeof(float) + 64 : 0);
}

MLC_API mlc_result mlc_rnn_step(const mlc_rnn *r, const mlc_ctx *ctx, mlc_tensor *y, const mlc_tensor *x,
                                mlc_tensor *h, mlc_tensor *c, mlc_arena *scratch) {
    mlc_result res;
    int batched, B, L, P, H, GH, l, b, lstm;
    size_t mark;
    float *xg, *gh, *tmp = NULL, *hs, *cs;
    if (!r || !r->cells || !x || !h) return MLC_ERR_NULL;
    if (r->p.bidirectional) return MLC_ERR_ARG;
    lstm = r->p.mode == MLC_RNN_LSTM;
    if (!lstm && c) return MLC_ERR_ARG;
    if (lstm && !c) return MLC_ERR_NULL;
    if ((res = mlc__check_f32(x)) != MLC_OK) return res;
    if (x->rank != 1 && x->rank != 2) return MLC_ERR_SHAPE;
    batched = x->rank == 2;
    B = batched ? x->shape[0] : 1;
    L = r->p.num_layers; P = r->state_size; H = r->p.hidden_size; GH = r->gates * H;
    if (x->shape[x->rank - 1] != r->p.input_size) return MLC_ERR_SHAPE;
    if (y) {
        if ((res = mlc__check_f32(y)) != MLC_OK) return res;
        if (batched ? (y->rank != 2 || y->shape[0] != B || y->shape[1] != P) : (y->rank != 1 || y->shape[0] != P))
            return MLC_ERR_SHAPE;
    }
    if ((res = mlc__rnn_state_check(h, batched, L, B, P)) != MLC_OK) return res;
    if (c && (res = mlc__rnn_state_check(c, batched, L, B, H)) != MLC_OK) return res;
    if ((double)B * (double)MLC__MAX(GH, r->p.input_size) > (double)INT_MAX) return MLC_ERR_UNSUPPORTED;
    if (!scratch) return MLC_ERR_NULL;
    mark = mlc_arena_mark(scratch);
    xg = (float *)mlc_arena_alloc(scratch, (size_t)B * GH * sizeof(float), 64);
    gh = (float *)mlc_arena_alloc(scratch, (size_t)B * GH * sizeof(float), 64);
    if (r->p.proj_size) tmp = (float *)mlc_arena_alloc(scratch, (size_t)B * H * sizeof(float), 64);
    if (!xg || !gh || (r->p.proj_size && !tmp)) { mlc_arena_reset(scratch, mark); return MLC_ERR_NOMEM; }
    hs = (float *)h->data; cs = c ? (float *)c->data : NULL;
    for (l = 0; l < L && res == MLC_OK; l++) {
        const mlc_rnn_cell *cl = &r->cells[l];
        const float *in = l == 0 ? (const float *)x->data : hs + (size_t)(l - 1) * B * P;
        float *hl = hs + (size_t)l * B * P;
        res = mlc_gemm_packed_f32(ctx, B, GH, cl->in_size, in, cl->in_size, cl->w_ih, cl->bias_x, xg, GH, MLC_ACT_NONE, 0.0f);
        if (res == MLC_OK) res = mlc_gemm_packed_f32(ctx, B, GH, P, hl, P, cl->w_hh, NULL, gh, GH, MLC_ACT_NONE, 0.0f);
        if (res != MLC_OK) break;
        for (b = 0; b < B; b++)
            mlc__rnn_cell(r, xg + (size_t)b * GH, gh + (size_t)b * GH, cl->bias_h, hl + (size_t)b * P,
                          cs ? cs + ((size_t)l * B + (size_t)b) * H : NULL, tmp ? tmp + (size_t)b * H : hl + (size_t)b * P);
        if (tmp) res = mlc_gemm_packed_f32(ctx, B, P, H, tmp, H, cl->w_hr, NULL, hl, P, MLC_ACT_NONE, 0.0f);
    }
    if (res == MLC_OK && y) memcpy(y->data, hs + (size_t)(L - 1) * B * P, (size_t)B * P * sizeof(float));
    mlc_arena_reset(scratch, mark);
    return res;
}

// >>norm -----------------------------------------------------------------
/* LayerNorm / RMSNorm over rows, token and position embeddings, sinusoidal
   and rotary positions. The sinusoidal and RoPE angles are computed and
   reduced in double precision (MLC_SIN / MLC_COS, double libm by default),
   once per table, so the float results are accurate at any position. */

/* Horizontal sum through memory (g++ 12 warns about mlc__vsum's AVX-512
   reduction inlined here). */
static float mlc__norm_hsum(mlc__vf v) {
    float t[MLC__VW], s = 0.0f;
    int i;
    mlc__vstore(t, v);
    for (i = 0; i < MLC__VW; i++) s += t[i];
    return s;
}

/* One row: vector sums (two accumulators) then a scalar tail; the mean and
   the variance in two passes. */
static void mlc__norm_row(float *y, const float *x, size_t n, const float *w, const float *b, float eps, int rms) {
    size_t i = 0;
    float mean = 0.0f, ss, rstd;
    mlc__vf s0 = mlc__vset1(0.0f), s1 = s0, vm, vr;
    if (!rms) {
        float s;
        for (; i + 2 * MLC__VW <= n; i += 2 * MLC__VW) {
            s0 = mlc__vadd(s0, mlc__vload(x + i));
            s1 = mlc__vadd(s1, mlc__vload(x + i + MLC__VW));
        }
        s = mlc__norm_hsum(mlc__vadd(s0, s1));
        for (; i < n; i++) s += x[i];
        mean = s / (float)n;
    }
    vm = mlc__vset1(mean);
    s0 = s1 = mlc__vset1(0.0f);
    for (i = 0; i + 2 * MLC__VW <= n; i += 2 * MLC__VW) {
        mlc__vf d0 = mlc__vsub(mlc__vload(x + i), vm), d1 = mlc__vsub(mlc__vload(x + i + MLC__VW), vm);
        s0 = mlc__vfma(d0, d0, s0);
        s1 = mlc__vfma(d1, d1, s1);
    }
    ss = mlc__norm_hsum(mlc__vadd(s0, s1));
    for (; i < n; i++) ss += (x[i] - mean) * (x[i] - mean);
    rstd = 1.0f / MLC_SQRTF(ss / (float)n + eps);
    vr = mlc__vset1(rstd);
    for (i = 0; i + MLC__VW <= n; i += MLC__VW) {
        mlc__vf t = mlc__vmul(mlc__vsub(mlc__vload(x + i), vm), vr);
        if (w) t = mlc__vmul(t, mlc__vload(w + i));
        if (b) t = mlc__vadd(t, mlc__vload(b + i));
        mlc__vstore(y + i, t);
    }
    for (; i < n; i++) {
        float t = (x[i] - mean) * rstd;
        if (w) t *= w[i];
        if (b) t += b[i];
        y[i] = t;
    }
}

static void mlc__norm_row_ref(float *y, const float *x, size_t n, const float *w, const float *b, float eps, int rms) {
    double mean = 0.0, ss = 0.0, rstd;
    size_t i;
    if (!rms) { for (i = 0; i < n; i++) mean += x[i]; mean /= (double)n; }
    for (i = 0; i < n; i++) ss += ((double)x[i] - mean) * ((double)x[i] - mean);
    rstd = 1.0 / sqrt(ss / (double)n + (double)eps);
    for (i = 0; i < n; i++) {
        double t = ((double)x[i] - mean) * rstd;
        if (w) t *= w[i];
        if (b) t += b[i];
        y[i] = (float)t;
    }
}

static mlc_result mlc__norm_rows(float *y, const float *x, size_t rows, size_t dim, const float *w, const float *b,
                                 float eps, int rms, int ref) {
    size_t r;
    if (rows && (!y || !x)) return MLC_ERR_NULL;
    if ((rows && !dim) || !(eps >= 0.0f)) return MLC_ERR_ARG;
    for (r = 0; r < rows; r++) {
        if (ref) mlc__norm_row_ref(y + r * dim, x + r * dim, dim, w, b, eps, rms);
        else mlc__norm_row(y + r * dim, x + r * dim, dim, w, b, eps, rms);
    }
    return MLC_OK;
}

MLC_API mlc_result mlc_layernorm_f32(float *y, const float *x, size_t rows, size_t dim,
                                     const float *weight, const float *bias, float eps) {
    return mlc__norm_rows(y, x, rows, dim, weight, bias, eps, 0, 0);
}
MLC_API mlc_result mlc_layernorm_ref_f32(float *y, const float *x, size_t rows, size_t dim,
                                         const float *weight, const float *bias, float eps) {
    return mlc__norm_rows(y, x, rows, dim, weight, bias, eps, 0, 1);
}
MLC_API mlc_result mlc_rmsnorm_f32(float *y, const float *x, size_t rows, size_t dim, const float *weight, float eps) {
    return mlc__norm_rows(y, x, rows, dim, weight, NULL, eps, 1, 0);
}
MLC_API mlc_result mlc_rmsnorm_ref_f32(float *y, const float *x, size_t rows, size_t dim, const float *weight, float eps) {
    return mlc__norm_rows(y, x, rows, dim, weight, NULL, eps, 1, 1);
}

MLC_API mlc_result mlc_norm_init(mlc_norm *n, mlc_norm_kind kind, const float *weight, const float *bias,
                                 int dim, float eps, mlc_arena *arena) {
    size_t mark;
    if (!n || !arena) return MLC_ERR_NULL;
    memset(n, 0, sizeof *n);
    if (dim < 1 || !(eps >= 0.0f) || (kind != MLC_NORM_LAYER && kind != MLC_NORM_RMS) ||
        (kind == MLC_NORM_RMS && bias)) return MLC_ERR_ARG;
    mark = mlc_arena_mark(arena);
    if (weight && !(n->weight = (float *)mlc_arena_alloc(arena, (size_t)dim * sizeof(float), 64))) return MLC_ERR_NOMEM;
    if (bias && !(n->bias = (float *)mlc_arena_alloc(arena, (size_t)dim * sizeof(float), 64))) {
        mlc_arena_reset(arena, mark); n->weight = NULL; return MLC_ERR_NOMEM;
    }
    if (weight) memcpy(n->weight, weight, (size_t)dim * sizeof(float));
    if (bias) memcpy(n->bias, bias, (size_t)dim * sizeof(float));
    n->kind = kind; n->dim = dim; n->eps = eps;
    return MLC_OK;
}

/* "<prefix><suffix>" into buf; 0 if it does not fit. */
static int mlc__attn_name(char *buf, size_t size, const char *prefix, const char *suffix) {
    size_t a = strlen(prefix), b = strlen(suffix);
    if (a + b + 1 > size) return 0;
    memcpy(buf, prefix, a); memcpy(buf + a, suffix, b + 1);
    return 1;
}

/* A 1-D float tensor of length n (n < 0: any length > 0, returned in *n). */
static mlc_result mlc__attn_vec(const mlc_safetensors *st, const char *name, int *n, const mlc_st_tensor **out) {
    const mlc_st_tensor *t = mlc_st_find(st, name);
    *out = NULL;
    if (!t) return mlc__st_blame(st, name, MLC_ERR_NOT_FOUND);
    if (t->rank != 1 || t->shape[0] < 1 || (*n >= 0 && t->shape[0] != *n)) return mlc__st_blame(st, name, MLC_ERR_SHAPE);
    if (!mlc__is_float_dtype(t->dtype)) return mlc__st_blame(st, name, MLC_ERR_DTYPE);
    *n = t->shape[0];
    *out = t;
    return MLC_OK;
}

static void mlc__attn_copy(float *dst, const mlc_st_tensor *t) {
    size_t i;
    for (i = 0; i < t->numel; i++) dst[i] = mlc__elem_f32(t->data, t->dtype, i);
}

MLC_API mlc_result mlc_norm_load(mlc_norm *n, const mlc_safetensors *st, const char *prefix,
                                 mlc_norm_kind kind, float eps, mlc_arena *arena) {
    char name[MLC_ST_BAD_NAME];
    const mlc_st_tensor *w, *b = NULL;
    int dim = -1;
    mlc_result r;
    size_t mark;
    if (!n || !st || !prefix || !arena) return MLC_ERR_NULL;
    memset(n, 0, sizeof *n);
    if (kind != MLC_NORM_LAYER && kind != MLC_NORM_RMS) return MLC_ERR_ARG;
    if (!mlc__attn_name(name, sizeof name, prefix, ".weight")) return MLC_ERR_ARG;
    if ((r = mlc__attn_vec(st, name, &dim, &w)) != MLC_OK) return r;
    mlc__attn_name(name, sizeof name, prefix, ".bias");
    if (kind == MLC_NORM_LAYER && mlc_st_find(st, name) && (r = mlc__attn_vec(st, name, &dim, &b)) != MLC_OK) return r;
    mark = mlc_arena_mark(arena);
    if ((r = mlc_norm_init(n, kind, NULL, NULL, dim, eps, arena)) != MLC_OK) return r;
    n->weight = (float *)mlc_arena_alloc(arena, (size_t)dim * sizeof(float), 64);
    if (b) n->bias = (float *)mlc_arena_alloc(arena, (size_t)dim * sizeof(float), 64);
    if (!n->weight || (b && !n->bias)) { mlc_arena_reset(arena, mark); memset(n, 0, sizeof *n); return MLC_ERR_NOMEM; }
    mlc__attn_copy(n->weight, w);
    if (b) mlc__attn_copy(n->bias, b);
    return MLC_OK;
}

MLC_API mlc_result mlc_norm_forward(const mlc_norm *n, mlc_tensor *y, const mlc_tensor *x) {
    mlc_result r;
    if (!n || !n->dim) return MLC_ERR_NULL;
    if ((r = mlc__check_f32(x)) != MLC_OK || (r = mlc__check_f32(y)) != MLC_OK) return r;
    if (x->rank < 1 || !mlc__same_shape(x, y) || x->shape[x->rank - 1] != n->dim) return MLC_ERR_SHAPE;
    return mlc__norm_rows((float *)y->data, (const float *)x->data, mlc_tensor_numel(x) / (size_t)n->dim,
                          (size_t)n->dim, n->weight, n->bias, n->eps, n->kind == MLC_NORM_RMS, 0);
}

/* ---- embeddings ------------------------------------------------------------ */
MLC_API mlc_result mlc_embedding_init(mlc_embedding *e, const float *table, int num, int dim, mlc_arena *arena) {
    if (!e || !table || !arena) return MLC_ERR_NULL;
    memset(e, 0, sizeof *e);
    if (num < 1 || dim < 1) return MLC_ERR_ARG;
    if ((double)num * dim * sizeof(float) > (double)(SIZE_MAX / 2)) return MLC_ERR_UNSUPPORTED;
    if (!(e->table = (float *)mlc_arena_alloc(arena, (size_t)num * (size_t)dim * sizeof(float), 64))) return MLC_ERR_NOMEM;
    memcpy(e->table, table, (size_t)num * (size_t)dim * sizeof(float));
    e->num = num; e->dim = dim;
    return MLC_OK;
}

MLC_API mlc_result mlc_embedding_load(mlc_embedding *e, const mlc_safetensors *st, const char *name, mlc_arena *arena) {
    const mlc_st_tensor *t;
    int num, dim;
    if (!e || !st || !name || !arena) return MLC_ERR_NULL;
    memset(e, 0, sizeof *e);
    if (!(t = mlc_st_find(st, name))) return mlc__st_blame(st, name, MLC_ERR_NOT_FOUND);
    if (t->rank == 2) { num = t->shape[0]; dim = t->shape[1]; }
    else if (t->rank == 3 && t->shape[0] == 1) { num = t->shape[1]; dim = t->shape[2]; }
    else return mlc__st_blame(st, name, MLC_ERR_SHAPE);
    if (num < 1 || dim < 1) return mlc__st_blame(st, name, MLC_ERR_SHAPE);
    if (!mlc__is_float_dtype(t->dtype)) return mlc__st_blame(st, name, MLC_ERR_DTYPE);
    if (!(e->table = (float *)mlc_arena_alloc(arena, t->numel * sizeof(float), 64))) return MLC_ERR_NOMEM;
    mlc__attn_copy(e->table, t);
    e->num = num; e->dim = dim;
    return MLC_OK;
}

MLC_API mlc_result mlc_embedding_lookup(const mlc_embedding *e, float *y, const int32_t *ids, size_t n) {
    size_t i;
    if (!e || !e->table || (n && (!y || !ids))) return MLC_ERR_NULL;
    for (i = 0; i < n; i++) if (ids[i] < 0 || ids[i] >= e->num) return MLC_ERR_ARG;
    for (i = 0; i < n; i++)
        memcpy(y + i * (size_t)e->dim, e->table + (size_t)ids[i] * (size_t)e->dim, (size_t)e->dim * sizeof(float));
    return MLC_OK;
}

/* x as [outer, T, dim]: *outer and *T from its shape. */
static mlc_result mlc__attn_seq_shape(const mlc_tensor *x, int dim, size_t *outer, int *T) {
    mlc_result r;
    int i;
    if ((r = mlc__check_f32(x)) != MLC_OK) return r;
    if (x->rank < 2 || x->shape[x->rank - 1] != dim) return MLC_ERR_SHAPE;
    *T = x->shape[x->rank - 2];
    *outer = 1;
    for (i = 0; i + 2 < x->rank; i++) *outer *= (size_t)x->shape[i];
    return MLC_OK;
}

MLC_API mlc_result mlc_embedding_add_positions(const mlc_embedding *e, mlc_tensor *x, int start) {
    size_t outer, o;
    int T;
    mlc_result r;
    if (!e || !e->table || !x) return MLC_ERR_NULL;
    if ((r = mlc__attn_seq_shape(x, e->dim, &outer, &T)) != MLC_OK) return r;
    if (start < 0) return MLC_ERR_ARG;
    if ((long long)start + T > e->num) return MLC_ERR_SHAPE;
    for (o = 0; o < outer; o++) {
        float *p = (float *)x->data + o * (size_t)T * (size_t)e->dim;
        mlc_add_f32(p, p, e->table + (size_t)start * (size_t)e->dim, (size_t)T * (size_t)e->dim);
    }
    return MLC_OK;
}

/* sin and cos of p * base^(-2i/dim), the angle reduced mod 2 pi in double. */
static void mlc__attn_sincos(double p, int i2, int dim, double log_base, float *s, float *c) {
    const double two_pi = 6.283185307179586476925;
    double a = p * exp(-(double)i2 / (double)dim * log_base);
    a -= two_pi * floor(a / two_pi);
    *s = (float)MLC_SIN(a);
    *c = (float)MLC_COS(a);
}

MLC_API mlc_result mlc_sinusoidal_table(float *table, int num, int dim, float base) {
    int p, i;
    double lb;
    if (!table) return MLC_ERR_NULL;
    if (num < 1 || dim < 1 || !(base > 0.0f)) return MLC_ERR_ARG;
    lb = log((double)base);
    for (p = 0; p < num; p++) {
        float *row = table + (size_t)p * (size_t)dim;
        for (i = 0; i < dim; i += 2) {
            float s, c;
            mlc__attn_sincos((double)p, i, dim, lb, &s, &c);
            row[i] = s;
            if (i + 1 < dim) row[i + 1] = c;
        }
    }
    return MLC_OK;
}

MLC_API mlc_result mlc_sinusoidal_add(mlc_tensor *x, int start, float base) {
    size_t outer, o;
    int T, dim, t, i;
    double lb;
    mlc_result r;
    if (!x) return MLC_ERR_NULL;
    if ((r = mlc__check_f32(x)) != MLC_OK) return r;
    if (x->rank < 2) return MLC_ERR_SHAPE;
    dim = x->shape[x->rank - 1];
    if ((r = mlc__attn_seq_shape(x, dim, &outer, &T)) != MLC_OK) return r;
    if (start < 0 || !(base > 0.0f)) return MLC_ERR_ARG;
    lb = log((double)base);
    for (t = 0; t < T; t++)
        for (i = 0; i < dim; i += 2) {
            float s, c;
            mlc__attn_sincos((double)start + t, i, dim, lb, &s, &c);
            for (o = 0; o < outer; o++) {
                float *row = (float *)x->data + (o * (size_t)T + (size_t)t) * (size_t)dim;
                row[i] += s;
                if (i + 1 < dim) row[i + 1] += c;
            }
        }
    return MLC_OK;
}

/* ---- rotary positions ---------------------------------------------------------- */
MLC_API mlc_result mlc_rope_init(mlc_rope *r, int head_dim, int max_pos, float base, int interleaved, mlc_arena *arena) {
    size_t half, mark;
    int p, i;
    double lb;
    if (!r || !arena) return MLC_ERR_NULL;
    memset(r, 0, sizeof *r);
    if (head_dim < 2 || head_dim % 2 || max_pos < 1 || !(base > 0.0f)) return MLC_ERR_ARG;
    if ((double)max_pos * head_dim * sizeof(float) > (double)(SIZE_MAX / 4)) return MLC_ERR_UNSUPPORTED;
    half = (size_t)head_dim / 2;
    mark = mlc_arena_mark(arena);
    r->cos = (float *)mlc_arena_alloc(arena, (size_t)max_pos * half * sizeof(float), 64);
    r->sin = (float *)mlc_arena_alloc(arena, (size_t)max_pos * half * sizeof(float), 64);
    if (!r->cos || !r->sin) { mlc_arena_reset(arena, mark); memset(r, 0, sizeof *r); return MLC_ERR_NOMEM; }
    lb = log((double)base);
    for (p = 0; p < max_pos; p++)
        for (i = 0; i < (int)half; i++)
            mlc__attn_sincos((double)p, 2 * i, head_dim, lb, r->sin + (size_t)p * half + i, r->cos + (size_t)p * half + i);
    r->head_dim = head_dim; r->max_pos = max_pos; r->interleaved = interleaved ? 1 : 0;
    return MLC_OK;
}

static mlc_result mlc__rope(const mlc_rope *r, float *x, int T, int n_heads, int ld, int start, int ref) {
    int t, h, i, half;
    if (!r || !r->cos) return MLC_ERR_NULL;
    if (T < 0 || n_heads < 1 || start < 0 || (long long)ld < (long long)n_heads * r->head_dim) return MLC_ERR_ARG;
    if ((long long)start + T > r->max_pos) return MLC_ERR_SHAPE;
    if (T && !x) return MLC_ERR_NULL;
    half = r->head_dim / 2;
    for (t = 0; t < T; t++) {
        const float *c = r->cos + (size_t)(start + t) * (size_t)half, *s = r->sin + (size_t)(start + t) * (size_t)half;
        for (h = 0; h < n_heads; h++) {
            float *xh = x + (size_t)t * (size_t)ld + (size_t)h * (size_t)r->head_dim;
            if (r->interleaved) {
                for (i = 0; i < half; i++) {
                    float a = xh[2 * i], b = xh[2 * i + 1];
                    xh[2 * i] = a * c[i] - b * s[i];
                    xh[2 * i + 1] = b * c[i] + a * s[i];
                }
            } else {
                float *xb = xh + half;
                i = 0;
                if (!ref)
                    for (; i + MLC__VW <= half; i += MLC__VW) {
                        mlc__vf a = mlc__vload(xh + i), b = mlc__vload(xb + i);
                        mlc__vf vc = mlc__vload(c + i), vs = mlc__vload(s + i);
                        mlc__vstore(xh + i, mlc__vsub(mlc__vmul(a, vc), mlc__vmul(b, vs)));
                        mlc__vstore(xb + i, mlc__vfma(a, vs, mlc__vmul(b, vc)));
                    }
                for (; i < half; i++) {
                    float a = xh[i], b = xb[i];
                    xh[i] = a * c[i] - b * s[i];
                    xb[i] = b * c[i] + a * s[i];
                }
            }
        }
    }
    return MLC_OK;
}
MLC_API mlc_result mlc_rope_apply(const mlc_rope *r, float *x, int T, int n_heads, int ld, int start) {
    return mlc__rope(r, x, T, n_heads, ld, start, 0);
}
MLC_API mlc_result mlc_rope_apply_ref(const mlc_rope *r, float *x, int T, int n_heads, int ld, int start) {
    return mlc__rope(r, x, T, n_heads, ld, start, 1);
}

// >>attn -----------------------------------------------------------------
/* Scaled dot-product attention with an online softmax (FlashAttention-2
   on a CPU). Keys and values are packed once per call, per (sequence, kv
   head), into the GEMM's panel layout: keys as panels of NR keys, each
   head_dim rows of NR floats; values as panels of NR columns, each S rows
   of NR floats (zero-padded, so every B load of the micro-kernel is a full
   vector; packing also avoids strided loads that alias in L1). Then for
   every block of MLC__ATTN_BQ query rows of a head:
     for each block of MLC_ATTN_BK keys (it stays in cache for the rows)
       for each tile of MR rows:
         s = q k^T           MR x BK tile, an MR x NR micro-kernel like the
                             GEMM's, q read in place
         online softmax      per row: masks, running max m and sum l,
                             p = exp(s scale - m), alpha = exp(m_old - m)
         o = alpha o + p v   the same micro-kernel, accumulating in o
     o /= l
   Only one MR x BK score tile per task exists, so memory is linear in S:
   packed keys and values (as big as k and v) plus n_tasks tiles. A KV cache
   stores its keys and values packed the same way, so decoding packs only
   the new token. */
#ifndef MLC_ATTN_BK
#define MLC_ATTN_BK 256
#endif
/* keys per block: a multiple of NR (so of the vector width) */
#define MLC__ATTN_BK (MLC_ATTN_BK < MLC__NR ? MLC__NR : MLC_ATTN_BK / MLC__NR * MLC__NR)

/* C[mr x nr] = (cs ? diag(cs) C : 0) + A[mr x kc] B[kc x nr]: A row i at
   a + i lda (rows past mr repeat row mr-1, computed, never stored), B row
   k at b + k ldb: NR floats, always readable (packed panels are padded with
   zeros), only the first vector of them when nr <= VW (the last panel of a
   sequence whose length is not a multiple of NR: half the work). */
#define MLC__AK_DECL(i)  mlc__vf c##i##_0 = z, c##i##_1 = z; \
                         const float *a##i = a + (size_t)(i < mr ? i : mr - 1) * lda;
#define MLC__AK_LOAD(i)  if (i < mr) { const mlc__vf s_ = mlc__vset1(cs[i]); \
                             c##i##_0 = mlc__vmul(s_, mlc__ld0(c + (size_t)i * ldc, nr)); \
                             c##i##_1 = mlc__vmul(s_, mlc__ld1(c + (size_t)i * ldc, nr)); }
#define MLC__AK_FMA(i)   { const mlc__vf av = mlc__vset1(a##i[k]); c##i##_0 = mlc__vfma(av, b0, c##i##_0); \
                           c##i##_1 = mlc__vfma(av, b1, c##i##_1); }
#define MLC__AK_FMA0(i)  c##i##_0 = mlc__vfma(mlc__vset1(a##i[k]), b0, c##i##_0);
#define MLC__AK_STORE(i) if (i < mr) mlc__st2(c + (size_t)i * ldc, nr, c##i##_0, c##i##_1);

#define MLC__ATTN_KERNEL(NAME, ROWS)                                                            \
static void NAME(int kc, const float *MLC__RESTRICT a, size_t lda, const float *MLC__RESTRICT b, \
                 size_t ldb, float *c, size_t ldc, int mr, int nr, const float *cs) {          \
    const mlc__vf z = mlc__vset1(0.0f);                                                        \
    int k;                                                                                     \
    ROWS(MLC__AK_DECL)                                                                         \
    if (cs) { ROWS(MLC__AK_LOAD) }                                                             \
    if (nr > MLC__VW) {                                                                        \
        for (k = 0; k < kc; k++, b += ldb) {                                                   \
            const mlc__vf b0 = mlc__vload(b), b1 = mlc__vload(b + MLC__VW);                    \
            ROWS(MLC__AK_FMA)                                                                  \
        }                                                                                      \
    } else {                                                                                   \
        for (k = 0; k < kc; k++, b += ldb) {                                                   \
            const mlc__vf b0 = mlc__vload(b);                                                  \
            ROWS(MLC__AK_FMA0)                                                                 \
        }                                                                                      \
    }                                                                                          \
    ROWS(MLC__AK_STORE)                                                                        \
}

MLC__ATTN_KERNEL(mlc__attn_k2, MLC__R2)
MLC__ATTN_KERNEL(mlc__attn_k4, MLC__R4)
#if MLC__MR == 6
MLC__ATTN_KERNEL(mlc__attn_kmr, MLC__R6)
#elif MLC__MR == 8
MLC__ATTN_KERNEL(mlc__attn_kmr, MLC__R8)
#endif

/* One row (a single query: decoding): k unrolled by four into separate
   accumulators, as the GEMM's matrix-vector kernel. */
static void mlc__attn_k1(int kc, const float *MLC__RESTRICT a, size_t lda, const float *MLC__RESTRICT b,
                         size_t ldb, float *c, size_t ldc, int mr, int nr, const float *cs) {
    mlc__vf s0 = mlc__vset1(0.0f), s1 = s0, t0 = s0, t1 = s0, u0 = s0, u1 = s0, w0 = s0, w1 = s0;
    int k = 0;
    MLC__UNUSED(lda); MLC__UNUSED(ldc); MLC__UNUSED(mr);
    for (; k + 4 <= kc; k += 4, b += 4 * ldb) {
        s0 = mlc__vfma(mlc__vset1(a[k]), mlc__vload(b), s0);
        s1 = mlc__vfma(mlc__vset1(a[k]), mlc__vload(b + MLC__VW), s1);
        t0 = mlc__vfma(mlc__vset1(a[k + 1]), mlc__vload(b + ldb), t0);
        t1 = mlc__vfma(mlc__vset1(a[k + 1]), mlc__vload(b + ldb + MLC__VW), t1);
        u0 = mlc__vfma(mlc__vset1(a[k + 2]), mlc__vload(b + 2 * ldb), u0);
        u1 = mlc__vfma(mlc__vset1(a[k + 2]), mlc__vload(b + 2 * ldb + MLC__VW), u1);
        w0 = mlc__vfma(mlc__vset1(a[k + 3]), mlc__vload(b + 3 * ldb), w0);
        w1 = mlc__vfma(mlc__vset1(a[k + 3]), mlc__vload(b + 3 * ldb + MLC__VW), w1);
    }
    for (; k < kc; k++, b += ldb) {
        s0 = mlc__vfma(mlc__vset1(a[k]), mlc__vload(b), s0);
        s1 = mlc__vfma(mlc__vset1(a[k]), mlc__vload(b + MLC__VW), s1);
    }
    s0 = mlc__vadd(mlc__vadd(s0, t0), mlc__vadd(u0, w0));
    s1 = mlc__vadd(mlc__vadd(s1, t1), mlc__vadd(u1, w1));
    if (cs) {
        const mlc__vf sc = mlc__vset1(cs[0]);
        s0 = mlc__vfma(sc, mlc__ld0(c, nr), s0);
        s1 = mlc__vfma(sc, mlc__ld1(c, nr), s1);
    }
    mlc__st2(c, nr, s0, s1);
}

typedef void (*mlc__attn_kernel_fn)(int, const float *, size_t, const float *, size_t, float *, size_t, int, int,
                                    const float *);

static mlc__attn_kernel_fn mlc__attn_pick(int mr) {
    if (mr <= 1) return mlc__attn_k1;
    if (mr <= 2) return mlc__attn_k2;
#if MLC__MR > 4
    if (mr > 4) return mlc__attn_kmr;
#endif
    return mlc__attn_k4;
}

typedef struct mlc__attn_job {
    int B, T, S, H, G, dh;
    int off;                       /* causal: query t sees keys j <= t + off */
    const float *q; size_t ldq;
    const float *kp;               /* packed keys: per (b, g) panels of NR keys x dh */
    size_t kp_head, kp_batch;      /* floats between kv heads / sequences */
    const float *vp;               /* packed values: per (b, g) panels of NR columns x keys */
    size_t vp_head, vp_batch, vp_panel;
    const float *k, *v;            /* plain keys and values (packing phase) */
    size_t ldk, ldv;
    float *o; size_t ldo;
    float scale;
    const mlc_attn_mask *mask;
    float *sbuf;                   /* n_tasks tiles of MR x BK floats */
    int n_tasks;
} mlc__attn_job;

/* Query rows per block: the tiles of a block share each block of keys
   while it is in cache (K and V of 4096 keys of 64 are 2 MB: more than L2). */
#define MLC__ATTN_BQ (8 * MLC__MR)

/* Floats of packed keys / values of one (sequence, kv head) for n keys. */
static size_t mlc__attn_kp_floats(int n, int dh) {
    return (size_t)((n + MLC__NR - 1) / MLC__NR) * MLC__NR * (size_t)dh;
}
static size_t mlc__attn_vp_floats(int n, int dh) {
    return (size_t)((dh + MLC__NR - 1) / MLC__NR) * MLC__NR * (size_t)n;
}

/* Key j of a kv head into its place: keys panel j / NR, column j % NR of
   each of the dh rows; value j into row j of each column panel. */
static void mlc__attn_put_kv(float *kp, float *vp, size_t vp_panel, int j, const float *kr, const float *vr, int dh) {
    float *kpp = kp + (size_t)(j / MLC__NR) * MLC__NR * (size_t)dh + (size_t)(j % MLC__NR);
    int d;
    for (d = 0; d < dh; d++) kpp[(size_t)d * MLC__NR] = kr[d];
    for (d = 0; d < dh; d++) vp[(size_t)(d / MLC__NR) * vp_panel + (size_t)j * MLC__NR + (size_t)(d % MLC__NR)] = vr[d];
}

/* Packs the keys and values of sequence b, kv head g (task = b G + g),
   zero past S (keys) and past dh (values). */
static void mlc__attn_pack_task(void *arg, int task) {
    const mlc__attn_job *j = (const mlc__attn_job *)arg;
    const int b = task / j->G, g = task % j->G, dh = j->dh;
    float *kp = (float *)j->kp + (size_t)b * j->kp_batch + (size_t)g * j->kp_head;
    float *vp = (float *)j->vp + (size_t)b * j->vp_batch + (size_t)g * j->vp_head;
    const float *ks = j->k + (size_t)b * (size_t)j->S * j->ldk + (size_t)g * (size_t)dh;
    const float *vs = j->v + (size_t)b * (size_t)j->S * j->ldv + (size_t)g * (size_t)dh;
    int p, d, jj, c0;
    for (p = 0; p * MLC__NR < j->S; p++) {        /* keys: panel p is [dh][NR] */
        const int w = MLC__MIN(MLC__NR, j->S - p * MLC__NR);
        const float *src = ks + (size_t)p * MLC__NR * j->ldk;
        float *dst = kp + (size_t)p * MLC__NR * (size_t)dh;
        for (d = 0; d < dh; d++, dst += MLC__NR) {
            for (jj = 0; jj < w; jj++) dst[jj] = src[(size_t)jj * j->ldk + (size_t)d];
            for (; jj < MLC__NR; jj++) dst[jj] = 0.0f;
        }
    }
    for (c0 = 0; c0 < dh; c0 += MLC__NR) {         /* values: panel c0 / NR is [S][NR] */
        const int w = MLC__MIN(MLC__NR, dh - c0);
        float *dst = vp + (size_t)(c0 / MLC__NR) * j->vp_panel;
        for (jj = 0; jj < j->S; jj++, dst += MLC__NR) {
            memcpy(dst, vs + (size_t)jj * j->ldv + (size_t)c0, (size_t)w * sizeof(float));
            for (d = w; d < MLC__NR; d++) dst[d] = 0.0f;
        }
    }
}

/* e^x for the softmax's x = s - max <= 0 (or -inf): mlc__vexp's range
   reduction and polynomial (same accuracy), without the overflow, n = 128
   and NaN cases that cannot occur here; exactly 0 below ln(FLT_MIN), so a
   masked (-inf) score weighs nothing. */
MLC__INLINE mlc__vf mlc__attn_vexp(mlc__vf x) {
    const mlc__vf lo = mlc__vset1(-87.3365448f);
    mlc__vf xc = mlc__vmax(x, lo), fn, r, r2, p;
    mlc__vi n = mlc__vround_i(mlc__vmul(xc, mlc__vset1(1.44269504088896341f)));
    fn = mlc__vi_to_f(n);
    r = mlc__vfma(fn, mlc__vset1(-0.693359375f), xc);
    r = mlc__vfma(fn, mlc__vset1(2.12194440e-4f), r);
    r2 = mlc__vmul(r, r);
    p = mlc__vset1(1.9875691500e-4f);
    p = mlc__vfma(p, r, mlc__vset1(1.3981999507e-3f));
    p = mlc__vfma(p, r, mlc__vset1(8.3334519073e-3f));
    p = mlc__vfma(p, r, mlc__vset1(4.1665795894e-2f));
    p = mlc__vfma(p, r, mlc__vset1(1.6666665459e-1f));
    p = mlc__vfma(p, r, mlc__vset1(5.0000001201e-1f));
    p = mlc__vfma(p, r2, mlc__vadd(r, mlc__vset1(1.0f)));
    return mlc__vselect(mlc__vlt(x, lo), mlc__vset1(0.0f), mlc__vmul(p, mlc__vpow2i(n)));
}

/* The online-softmax update of a tile: rows i < mr of s (nk scores each,
   keys j0 ...), for sequence b, head h, queries t0 + i. Leaves p in s,
   the rescale factor of o in alpha. */
static void mlc__attn_softmax(const mlc__attn_job *j, float *s, int mr, int nk, int b, int h, int t0, int j0,
                              float *m, float *l, float *alpha) {
    const mlc_attn_mask *mk = j->mask;
    const mlc__vf vscale = mlc__vset1(j->scale);
    const int nkv = (nk + MLC__VW - 1) / MLC__VW * MLC__VW;
    const unsigned char *pad = mk && mk->key_padding ? mk->key_padding + (size_t)b * (size_t)j->S + (size_t)j0 : NULL;
    int i, jj;
    for (i = 0; i < mr; i++) {
        float *row = s + (size_t)i * MLC__ATTN_BK;
        int t = t0 + i, valid = nk;
        float mx, mnew, muse, sum;
        mlc__vf acc;
        if (mk && mk->causal) {
            long long lim = (long long)t + j->off + 1 - j0;
            valid = lim < 0 ? 0 : (lim < nk ? (int)lim : nk);
        }
        if (mk && mk->add) {   /* scaled scores plus the mask, then plain exp */
            const float *ar = mk->add + (size_t)b * mk->add_batch_stride + (size_t)h * mk->add_head_stride +
                              (size_t)t * (size_t)(mk->add_ld ? mk->add_ld : j->S) + (size_t)j0;
            MLC__MAP2(row, row, ar, (size_t)valid, mlc__vfma(va, vscale, vb));
        }
        for (jj = valid; jj < nkv; jj++) row[jj] = -INFINITY;
        if (pad) for (jj = 0; jj < valid; jj++) if (pad[jj]) row[jj] = -INFINITY;
        acc = mlc__vset1(-INFINITY);
        for (jj = 0; jj < nkv; jj += MLC__VW) acc = mlc__vmax(acc, mlc__vload(row + jj));
        /* without an additive mask the row holds raw scores: scale > 0
           commutes with the max, and exp(s scale - max) is one fma away */
        mx = mlc__vhmax(acc) * (mk && mk->add ? 1.0f : j->scale);
        mnew = mx > m[i] ? mx : m[i];
        muse = mnew == -INFINITY ? 0.0f : mnew;
        alpha[i] = MLC_EXPF(m[i] - muse);
        {
            const mlc__vf vs = mk && mk->add ? mlc__vset1(1.0f) : vscale, vm = mlc__vset1(-muse);
            acc = mlc__vset1(0.0f);
            for (jj = 0; jj < nkv; jj += MLC__VW) {
                mlc__vf p = mlc__attn_vexp(mlc__vfma(mlc__vload(row + jj), vs, vm));
                mlc__vstore(row + jj, p);
                acc = mlc__vadd(acc, p);
            }
            sum = mlc__vsum(acc);
        }
        l[i] = l[i] * alpha[i] + sum;
        m[i] = mnew;
    }
}

/* Keys a query tile of rows t0 .. t0+mr-1 sees: [0, end). */
static int mlc__attn_end(const mlc__attn_job *j, int t0, int mr) {
    if (j->mask && j->mask->causal) {
        long long last = (long long)t0 + mr - 1 + j->off + 1;
        if (last < j->S) return last < 0 ? 0 : (int)last;
    }
    return j->S;
}

/* Query rows t0 .. t0+nq-1 (nq <= BQ) of sequence b, head h: for each
   block of keys, every tile of MR rows in turn. */
static void mlc__attn_block(const mlc__attn_job *j, float *s, int b, int h, int t0, int nq) {
    const int dh = j->dh, g = h / (j->H / j->G);
    const float *kp = j->kp + (size_t)b * j->kp_batch + (size_t)g * j->kp_head;
    const float *vp = j->vp + (size_t)b * j->vp_batch + (size_t)g * j->vp_head;
    float m[MLC__ATTN_BQ], l[MLC__ATTN_BQ], alpha[MLC__MR];
    int jend = mlc__attn_end(j, t0, nq), j0, i, p, c0, tt;
    for (i = 0; i < nq; i++) { m[i] = -INFINITY; l[i] = 0.0f; }
    for (j0 = 0; j0 < jend; j0 += MLC__ATTN_BK) {
        for (tt = 0; tt < nq; tt += MLC__MR) {
            const int mr = MLC__MIN(MLC__MR, nq - tt), te = mlc__attn_end(j, t0 + tt, mr);
            const float *q = j->q + ((size_t)b * (size_t)j->T + (size_t)(t0 + tt)) * j->ldq + (size_t)h * (size_t)dh;
            float *o = j->o + ((size_t)b * (size_t)j->T + (size_t)(t0 + tt)) * j->ldo + (size_t)h * (size_t)dh;
            mlc__attn_kernel_fn kern = mlc__attn_pick(mr);
            int nk;
            if (j0 >= te) continue;
            nk = MLC__MIN(MLC__ATTN_BK, te - j0);
            for (p = 0; p * MLC__NR < nk; p++)
                kern(dh, q, j->ldq, kp + (size_t)(j0 / MLC__NR + p) * MLC__NR * (size_t)dh, MLC__NR,
                     s + p * MLC__NR, MLC__ATTN_BK, mr, MLC__MIN(MLC__NR, nk - p * MLC__NR), NULL);
            mlc__attn_softmax(j, s, mr, nk, b, h, t0 + tt, j0, m + tt, l + tt, alpha);
            for (c0 = 0; c0 < dh; c0 += MLC__NR)
                kern(nk, s, MLC__ATTN_BK, vp + (size_t)(c0 / MLC__NR) * j->vp_panel + (size_t)j0 * MLC__NR, MLC__NR,
                     o + c0, j->ldo, mr, MLC__MIN(MLC__NR, dh - c0), j0 ? alpha : NULL);
        }
    }
    for (i = 0; i < nq; i++) {
        float *orow = j->o + ((size_t)b * (size_t)j->T + (size_t)(t0 + i)) * j->ldo + (size_t)h * (size_t)dh;
        if (l[i] > 0.0f) {
            const mlc__vf inv = mlc__vset1(1.0f / l[i]);
            MLC__MAP(orow, orow, (size_t)dh, mlc__vmul(v, inv));
        } else {   /* no visible key (or never reached: causal with T > S) */
            memset(orow, 0, (size_t)dh * sizeof(float));
        }
    }
}

static void mlc__attn_task(void *arg, int task) {
    const mlc__attn_job *j = (const mlc__attn_job *)arg;
    long long blocks = (j->T + MLC__ATTN_BQ - 1) / MLC__ATTN_BQ, items = (long long)j->B * j->H * blocks, it;
    float *s = j->sbuf + (size_t)task * MLC__MR * MLC__ATTN_BK;
    for (it = task; it < items; it += j->n_tasks) {
        int blk = (int)(it % blocks), h = (int)((it / blocks) % j->H), b = (int)(it / (blocks * j->H));
        int t0 = blk * MLC__ATTN_BQ;
        mlc__attn_block(j, s, b, h, t0, MLC__MIN(MLC__ATTN_BQ, j->T - t0));
    }
}

static int mlc__attn_threads(const mlc_ctx *ctx) {
    return (ctx && ctx->parallel_for && ctx->n_threads > 1) ? ctx->n_threads : 1;
}

static int mlc__attn_tasks(const mlc_attn_dims *d, const mlc_ctx *ctx) {
    long long items = (long long)d->batch * d->n_heads * ((d->q_len + MLC__ATTN_BQ - 1) / MLC__ATTN_BQ);
    int t = mlc__attn_threads(ctx);
    return items < t ? (int)items : t;
}

static mlc_result mlc__attn_check_dims(const mlc_attn_dims *d) {
    if (!d) return MLC_ERR_NULL;
    if (d->batch < 1 || d->q_len < 1 || d->kv_len < 1 || d->n_heads < 1 || d->n_kv_heads < 1 || d->head_dim < 1 ||
        d->n_heads % d->n_kv_heads) return MLC_ERR_ARG;
    if ((double)d->batch * ((d->q_len > d->kv_len ? d->q_len : d->kv_len) + MLC__NR) * d->n_heads *
            (d->head_dim + MLC__NR) * 2.0 * sizeof(float) > (double)(SIZE_MAX / 8) ||
        (long long)d->n_heads * d->head_dim > INT_MAX / 4) return MLC_ERR_UNSUPPORTED;
    return MLC_OK;
}

static size_t mlc__attn_tiles_bytes(int n_tasks) {
    return (size_t)n_tasks * MLC__MR * MLC__ATTN_BK * sizeof(float) + 64;
}

MLC_API size_t mlc_attention_scratch_bytes(const mlc_attn_dims *d, const mlc_ctx *ctx) {
    size_t heads;
    if (mlc__attn_check_dims(d) != MLC_OK) return 0;
    heads = (size_t)d->batch * (size_t)d->n_kv_heads;
    return heads * mlc__attn_kp_floats(d->kv_len, d->head_dim) * sizeof(float) + 64 +
           heads * mlc__attn_vp_floats(d->kv_len, d->head_dim) * sizeof(float) + 64 +
           mlc__attn_tiles_bytes(mlc__attn_tasks(d, ctx));
}

static mlc_result mlc__attn_args(const mlc_attn_dims *d, const float *q, int ldq, const float *k, int ldk,
                                 const float *v, int ldv, const float *o, int ldo) {
    mlc_result r;
    if ((r = mlc__attn_check_dims(d)) != MLC_OK) return r;
    if (!q || !k || !v || !o) return MLC_ERR_NULL;
    if (ldq < d->n_heads * d->head_dim || ldo < d->n_heads * d->head_dim ||
        ldk < d->n_kv_heads * d->head_dim || ldv < d->n_kv_heads * d->head_dim) return MLC_ERR_ARG;
    return MLC_OK;
}

/* The additive mask's row stride: 0 (= S) or at least S. */
static mlc_result mlc__attn_mask_check(const mlc_attn_dims *d, const mlc_attn_mask *mask) {
    if (mask && mask->add && mask->add_ld != 0 && mask->add_ld < d->kv_len) return MLC_ERR_ARG;
    return MLC_OK;
}

/* Runs the blocks (keys and values already packed); sbuf from scratch. */
static mlc_result mlc__attn_run(mlc__attn_job *j, const mlc_ctx *ctx, mlc_arena *scratch) {
    mlc_attn_dims d;
    size_t mark = mlc_arena_mark(scratch);
    d.batch = j->B; d.q_len = j->T; d.kv_len = j->S; d.n_heads = j->H; d.n_kv_heads = j->G; d.head_dim = j->dh;
    j->n_tasks = mlc__attn_tasks(&d, ctx);
    j->sbuf = (float *)mlc_arena_alloc(scratch, (size_t)j->n_tasks * MLC__MR * MLC__ATTN_BK * sizeof(float), 64);
    if (!j->sbuf) return MLC_ERR_NOMEM;
    if (j->n_tasks > 1) ctx->parallel_for(ctx->user, mlc__attn_task, j, j->n_tasks);
    else mlc__attn_task(j, 0);
    mlc_arena_reset(scratch, mark);
    return MLC_OK;
}

MLC_API mlc_result mlc_attention_f32(const mlc_ctx *ctx, const mlc_attn_dims *d,
                                     const float *q, int ldq, const float *k, int ldk,
                                     const float *v, int ldv, float *o, int ldo,
                                     float scale, const mlc_attn_mask *mask, mlc_arena *scratch) {
    mlc__attn_job j;
    mlc_result r = mlc__attn_args(d, q, ldq, k, ldk, v, ldv, o, ldo);
    size_t mark;
    int heads;
    if (r != MLC_OK || (r = mlc__attn_mask_check(d, mask)) != MLC_OK) return r;
    if (!scratch) return MLC_ERR_NULL;
    memset(&j, 0, sizeof j);
    j.B = d->batch; j.T = d->q_len; j.S = d->kv_len; j.H = d->n_heads; j.G = d->n_kv_heads; j.dh = d->head_dim;
    j.off = d->kv_len - d->q_len;
    j.q = q; j.ldq = (size_t)ldq; j.k = k; j.ldk = (size_t)ldk; j.v = v; j.ldv = (size_t)ldv;
    j.o = o; j.ldo = (size_t)ldo;
    j.scale = scale > 0.0f ? scale : 1.0f / MLC_SQRTF((float)d->head_dim);
    j.mask = mask;
    j.kp_head = mlc__attn_kp_floats(d->kv_len, d->head_dim);
    j.kp_batch = j.kp_head * (size_t)d->n_kv_heads;
    j.vp_head = mlc__attn_vp_floats(d->kv_len, d->head_dim);
    j.vp_batch = j.vp_head * (size_t)d->n_kv_heads;
    j.vp_panel = (size_t)MLC__NR * (size_t)d->kv_len;
    heads = d->batch * d->n_kv_heads;
    mark = mlc_arena_mark(scratch);
    j.kp = (float *)mlc_arena_alloc(scratch, j.kp_batch * (size_t)d->batch * sizeof(float), 64);
    j.vp = (float *)mlc_arena_alloc(scratch, j.vp_batch * (size_t)d->batch * sizeof(float), 64);
    if (!j.kp || !j.vp) { mlc_arena_reset(scratch, mark); return MLC_ERR_NOMEM; }
    if (mlc__attn_threads(ctx) > 1 && heads > 1)
        ctx->parallel_for(ctx->user, mlc__attn_pack_task, &j, heads);
    else {
        int t;
        for (t = 0; t < heads; t++) mlc__attn_pack_task(&j, t);
    }
    r = mlc__attn_run(&j, ctx, scratch);
    mlc_arena_reset(scratch, mark);
    return r;
}

/* Is key j of sequence b visible to query t (before the additive mask)? */
static int mlc__attn_visible(const mlc_attn_mask *mk, int b, int t, int j, int S, int off) {
    if (!mk) return 1;
    if (mk->causal && (long long)j > (long long)t + off) return 0;
    if (mk->key_padding && mk->key_padding[(size_t)b * (size_t)S + (size_t)j]) return 0;
    return 1;
}

MLC_API mlc_result mlc_attention_ref_f32(const mlc_attn_dims *d,
                                         const float *q, int ldq, const float *k, int ldk,
                                         const float *v, int ldv, float *o, int ldo,
                                         float scale, const mlc_attn_mask *mask) {
    mlc_result r = mlc__attn_args(d, q, ldq, k, ldk, v, ldv, o, ldo);
    int b, h, t, jx, c0, c, dd, off;
    double sc;
    if (r != MLC_OK || (r = mlc__attn_mask_check(d, mask)) != MLC_OK) return r;
    sc = scale > 0.0f ? (double)scale : 1.0 / sqrt((double)d->head_dim);
    off = d->kv_len - d->q_len;
    for (b = 0; b < d->batch; b++) for (h = 0; h < d->n_heads; h++) for (t = 0; t < d->q_len; t++) {
        const int dh = d->head_dim, g = h / (d->n_heads / d->n_kv_heads);
        const float *qr = q + ((size_t)b * (size_t)d->q_len + (size_t)t) * (size_t)ldq + (size_t)h * (size_t)dh;
        float *orow = o + ((size_t)b * (size_t)d->q_len + (size_t)t) * (size_t)ldo + (size_t)h * (size_t)dh;
        double mx = -INFINITY, sum = 0.0;
        int pass;
        /* pass 0: the max; pass 1: the sum; passes 2..: o, 64 columns at a time */
        for (pass = 0; pass < 2 + (dh + 63) / 64; pass++) {
            double acc[64];
            c0 = (pass - 2) * 64;
            if (pass >= 2) for (c = 0; c < 64; c++) acc[c] = 0.0;
            for (jx = 0; jx < d->kv_len; jx++) {
                const float *kr = k + ((size_t)b * (size_t)d->kv_len + (size_t)jx) * (size_t)ldk + (size_t)g * (size_t)dh;
                double s = 0.0;
                if (!mlc__attn_visible(mask, b, t, jx, d->kv_len, off)) continue;
                for (dd = 0; dd < dh; dd++) s += (double)qr[dd] * (double)kr[dd];
                s *= sc;
                if (mask && mask->add)
                    s += mask->add[(size_t)b * mask->add_batch_stride + (size_t)h * mask->add_head_stride +
                                   (size_t)t * (size_t)(mask->add_ld ? mask->add_ld : d->kv_len) + (size_t)jx];
                if (pass == 0) { if (s > mx) mx = s; continue; }
                if (mx == -INFINITY) break;
                if (pass == 1) { sum += exp(s - mx); continue; }
                {
                    const float *vr = v + ((size_t)b * (size_t)d->kv_len + (size_t)jx) * (size_t)ldv + (size_t)g * (size_t)dh;
                    double w = exp(s - mx) / sum;
                    for (c = 0; c < 64 && c0 + c < dh; c++) acc[c] += w * (double)vr[c0 + c];
                }
            }
            if (pass >= 2)
                for (c = 0; c < 64 && c0 + c < dh; c++) orow[c0 + c] = (mx == -INFINITY || !(sum > 0.0)) ? 0.0f : (float)acc[c];
        }
    }
    return MLC_OK;
}

/* ---- multi-head attention ---------------------------------------------------- */
/* Where the rows of a packed B come from: rows [first, first + n) of a
   PyTorch [out, in] matrix, given as floats or as safetensors bytes. */
typedef struct mlc__attn_seg {
    const float *f;
    const unsigned char *bytes;
    mlc_dtype dt;
    int first, n;
} mlc__attn_seg;

static float mlc__attn_seg_get(const mlc__attn_seg *s, size_t i) {
    return s->f ? s->f[i] : mlc__elem_f32(s->bytes, s->dt, i);
}

/* Packs the concatenated rows of the segments as the columns of a GEMM B
   (n = sum of the n's, k = in). */
static void mlc__attn_pack_segs(float *packed, const mlc__attn_seg *seg, int nseg, int k) {
    int n = 0, s, p, kk, jj;
    for (s = 0; s < nseg; s++) n += seg[s].n;
    for (p = 0; p * MLC__NR < n; p++) {
        float *dst = packed + (size_t)p * MLC__NR * (size_t)k;
        for (jj = 0; jj < MLC__NR; jj++) {
            int col = p * MLC__NR + jj, row = col;
            const mlc__attn_seg *sg = NULL;
            for (s = 0; s < nseg && col < n; s++) {
                if (row < seg[s].n) { sg = &seg[s]; break; }
                row -= seg[s].n;
            }
            for (kk = 0; kk < k; kk++)
                dst[(size_t)kk * MLC__NR + jj] = sg ? mlc__attn_seg_get(sg, (size_t)(sg->first + row) * (size_t)k + (size_t)kk) : 0.0f;
        }
    }
}

static void mlc__attn_bias_segs(float *dst, const mlc__attn_seg *seg, int nseg) {
    int s, i, at = 0;
    for (s = 0; s < nseg; s++)
        for (i = 0; i < seg[s].n; i++) dst[at++] = mlc__attn_seg_get(&seg[s], (size_t)(seg[s].first + i));
}

static size_t mlc__mha_wq_floats(int dim) { return mlc_gemm_packed_b_floats(dim, dim); }

/* Checks the sizes, allocates w_qkv (and b_qkv). */
static mlc_result mlc__mha_alloc(mlc_mha *m, int dim, int n_heads, int n_kv_heads, int has_bias, mlc_arena *arena) {
    size_t mark = mlc_arena_mark(arena), nw;
    int kv;
    memset(m, 0, sizeof *m);
    if (dim < 1 || n_heads < 1 || n_kv_heads < 1 || dim % n_heads || n_heads % n_kv_heads) return MLC_ERR_ARG;
    if ((double)dim * dim * 4.0 * sizeof(float) > (double)(SIZE_MAX / 4) || dim > INT_MAX / 4) return MLC_ERR_UNSUPPORTED;
    kv = dim / n_heads * n_kv_heads;
    nw = mlc__mha_wq_floats(dim) + mlc_gemm_packed_b_floats(2 * kv, dim);
    m->w_qkv = (float *)mlc_arena_alloc(arena, nw * sizeof(float), 64);
    if (has_bias) m->b_qkv = (float *)mlc_arena_alloc(arena, (size_t)(dim + 2 * kv) * sizeof(float), 64);
    if (!m->w_qkv || (has_bias && !m->b_qkv)) { mlc_arena_reset(arena, mark); memset(m, 0, sizeof *m); return MLC_ERR_NOMEM; }
    m->dim = dim; m->n_heads = n_heads; m->n_kv_heads = n_kv_heads; m->head_dim = dim / n_heads;
    /* q's panels end exactly at column dim: k|v's panels continue them */
    m->fused = dim % MLC__NR == 0;
    return MLC_OK;
}

/* seg[0] = q, seg[1] = k, seg[2] = v (weights), bseg likewise or NULL. */
static void mlc__mha_fill(mlc_mha *m, const mlc__attn_seg *seg, const mlc__attn_seg *bseg) {
    mlc__attn_pack_segs(m->w_qkv, seg, 1, m->dim);
    mlc__attn_pack_segs(m->w_qkv + mlc__mha_wq_floats(m->dim), seg + 1, 2, m->dim);
    if (bseg) mlc__attn_bias_segs(m->b_qkv, bseg, 3);
}

MLC_API mlc_result mlc_mha_init(mlc_mha *m, int dim, int n_heads, int n_kv_heads,
                                const float *wq, const float *wk, const float *wv,
                                const float *bq, const float *bk, const float *bv,
                                const float *wo, const float *bo, mlc_arena *arena) {
    mlc__attn_seg seg[3], bseg[3];
    size_t mark;
    mlc_result r;
    int has_bias = bq || bk || bv, i, kv;
    if (!m || !wq || !wk || !wv || !wo || !arena) return MLC_ERR_NULL;
    if (has_bias && (!bq || !bk || !bv)) return MLC_ERR_NULL;
    mark = mlc_arena_mark(arena);
    if ((r = mlc__mha_alloc(m, dim, n_heads, n_kv_heads, has_bias, arena)) != MLC_OK) return r;
    kv = m->head_dim * n_kv_heads;
    memset(seg, 0, sizeof seg); memset(bseg, 0, sizeof bseg);
    seg[0].f = wq; seg[1].f = wk; seg[2].f = wv;
    bseg[0].f = bq; bseg[1].f = bk; bseg[2].f = bv;
    for (i = 0; i < 3; i++) { seg[i].n = bseg[i].n = i ? kv : dim; }
    mlc__mha_fill(m, seg, has_bias ? bseg : NULL);
    if ((r = mlc_linear_init(&m->out, wo, bo, dim, dim, arena)) != MLC_OK) {
        mlc_arena_reset(arena, mark); memset(m, 0, sizeof *m); return r;
    }
    return MLC_OK;
}

/* A float matrix [rows, cols] (rows < 0: any, returned). */
static mlc_result mlc__attn_mat(const mlc_safetensors *st, const char *name, int *rows, int cols, const mlc_st_tensor **out) {
    const mlc_st_tensor *t = mlc_st_find(st, name);
    *out = NULL;
    if (!t) return mlc__st_blame(st, name, MLC_ERR_NOT_FOUND);
    if (t->rank != 2 || t->shape[0] < 1 || t->shape[1] != cols || (*rows >= 0 && t->shape[0] != *rows))
        return mlc__st_blame(st, name, MLC_ERR_SHAPE);
    if (!mlc__is_float_dtype(t->dtype)) return mlc__st_blame(st, name, MLC_ERR_DTYPE);
    *rows = t->shape[0];
    *out = t;
    return MLC_OK;
}

static void mlc__attn_seg_of(mlc__attn_seg *s, const mlc_st_tensor *t, int first, int n) {
    memset(s, 0, sizeof *s);
    if (t) { s->bytes = t->data; s->dt = t->dtype; }
    s->first = first; s->n = n;
}

/* out_proj: a Linear dim -> dim. */
static mlc_result mlc__mha_load_out(mlc_mha *m, const mlc_safetensors *st, const char *name, mlc_arena *arena) {
    char w[MLC_ST_BAD_NAME];
    mlc_result r = mlc_linear_load(&m->out, st, name, arena);
    if (r != MLC_OK) return r;
    if (m->out.in_features != m->dim || m->out.out_features != m->dim) {
        mlc__attn_name(w, sizeof w, name, ".weight");
        return mlc__st_blame(st, w, MLC_ERR_SHAPE);
    }
    return MLC_OK;
}

MLC_API mlc_result mlc_mha_load(mlc_mha *m, const mlc_safetensors *st, const char *prefix, int n_heads, mlc_arena *arena) {
    char name[MLC_ST_BAD_NAME];
    const mlc_st_tensor *w, *b = NULL;
    mlc__attn_seg seg[3], bseg[3];
    int dim, rows = -1, nb, i;
    size_t mark;
    mlc_result r;
    if (!m || !st || !prefix || !arena) return MLC_ERR_NULL;
    memset(m, 0, sizeof *m);
    if (!mlc__attn_name(name, sizeof name, prefix, ".out_proj.weight")) return MLC_ERR_ARG;
    mlc__attn_name(name, sizeof name, prefix, ".in_proj_weight");
    if (!(w = mlc_st_find(st, name))) return mlc__st_blame(st, name, MLC_ERR_NOT_FOUND);
    if (w->rank != 2) return mlc__st_blame(st, name, MLC_ERR_SHAPE);
    dim = w->shape[1];
    if ((r = mlc__attn_mat(st, name, &rows, dim, &w)) != MLC_OK) return r;
    if (dim < 1 || dim > INT_MAX / 3 || rows != 3 * dim) return mlc__st_blame(st, name, MLC_ERR_SHAPE);
    if (n_heads < 1 || dim % n_heads) return MLC_ERR_ARG;
    mlc__attn_name(name, sizeof name, prefix, ".in_proj_bias");
    nb = 3 * dim;
    if (mlc_st_find(st, name) && (r = mlc__attn_vec(st, name, &nb, &b)) != MLC_OK) return r;
    mark = mlc_arena_mark(arena);
    if ((r = mlc__mha_alloc(m, dim, n_heads, n_heads, b != NULL, arena)) != MLC_OK) return r;
    for (i = 0; i < 3; i++) { mlc__attn_seg_of(&seg[i], w, i * dim, dim); mlc__attn_seg_of(&bseg[i], b, i * dim, dim); }
    mlc__mha_fill(m, seg, b ? bseg : NULL);
    mlc__attn_name(name, sizeof name, prefix, ".out_proj");
    if ((r = mlc__mha_load_out(m, st, name, arena)) != MLC_OK) { mlc_arena_reset(arena, mark); memset(m, 0, sizeof *m); return r; }
    return MLC_OK;
}

MLC_API mlc_result mlc_mha_load_qkv(mlc_mha *m, const mlc_safetensors *st, const char *q,
                                    const char *k, const char *v, const char *out,
                                    int n_heads, int n_kv_heads, mlc_arena *arena) {
    char name[MLC_ST_BAD_NAME];
    const char *pre[3];
    const mlc_st_tensor *w[3], *b[3];
    mlc__attn_seg seg[3], bseg[3];
    int dim = -1, kv, i, nb = 0;
    size_t mark;
    mlc_result r;
    if (!m || !st || !q || !k || !v || !out || !arena) return MLC_ERR_NULL;
    memset(m, 0, sizeof *m);
    pre[0] = q; pre[1] = k; pre[2] = v;
    for (i = 0; i < 3; i++) if (!mlc__attn_name(name, sizeof name, pre[i], ".weight")) return MLC_ERR_ARG;
    mlc__attn_name(name, sizeof name, q, ".weight");
    if (!(w[0] = mlc_st_find(st, name))) return mlc__st_blame(st, name, MLC_ERR_NOT_FOUND);
    if (w[0]->rank != 2) return mlc__st_blame(st, name, MLC_ERR_SHAPE);
    dim = w[0]->shape[1];
    if (n_heads < 1 || n_kv_heads < 1 || dim % n_heads || n_heads % n_kv_heads) return MLC_ERR_ARG;
    kv = dim / n_heads * n_kv_heads;
    for (i = 0; i < 3; i++) {
        int rows = i ? kv : dim, n = rows;
        mlc__attn_name(name, sizeof name, pre[i], ".weight");
        if ((r = mlc__attn_mat(st, name, &rows, dim, &w[i])) != MLC_OK) return r;
        mlc__attn_name(name, sizeof name, pre[i], ".bias");
        b[i] = NULL;
        if (mlc_st_find(st, name)) {
            if ((r = mlc__attn_vec(st, name, &n, &b[i])) != MLC_OK) return r;
            nb++;
        }
    }
    if (nb != 0 && nb != 3) {   /* all three biases or none */
        mlc__attn_name(name, sizeof name, !b[0] ? q : !b[1] ? k : v, ".bias");
        return mlc__st_blame(st, name, MLC_ERR_NOT_FOUND);
    }
    mark = mlc_arena_mark(arena);
    if ((r = mlc__mha_alloc(m, dim, n_heads, n_kv_heads, nb == 3, arena)) != MLC_OK) return r;
    for (i = 0; i < 3; i++) { mlc__attn_seg_of(&seg[i], w[i], 0, i ? kv : dim); mlc__attn_seg_of(&bseg[i], b[i], 0, i ? kv : dim); }
    mlc__mha_fill(m, seg, nb == 3 ? bseg : NULL);
    if ((r = mlc__mha_load_out(m, st, out, arena)) != MLC_OK) { mlc_arena_reset(arena, mark); memset(m, 0, sizeof *m); return r; }
    return MLC_OK;
}

/* bytes of one arena allocation of n floats */
static size_t mlc__attn_fbytes(size_t n) { return n * sizeof(float) + 64; }

static int mlc__mha_kv(const mlc_mha *m) { return m->head_dim * m->n_kv_heads; }

static mlc_attn_dims mlc__mha_dims(const mlc_mha *m, int batch, int q_len, int kv_len) {
    mlc_attn_dims d;
    d.batch = batch; d.q_len = q_len; d.kv_len = kv_len;
    d.n_heads = m->n_heads; d.n_kv_heads = m->n_kv_heads; d.head_dim = m->head_dim;
    return d;
}

MLC_API size_t mlc_mha_scratch_bytes(const mlc_mha *m, int batch, int q_len, int kv_len, const mlc_ctx *ctx) {
    mlc_attn_dims d;
    size_t rq, rk;
    if (!m || !m->w_qkv || batch < 1 || q_len < 1 || kv_len < 1) return 0;
    d = mlc__mha_dims(m, batch, q_len, kv_len);
    rq = (size_t)batch * (size_t)q_len; rk = (size_t)batch * (size_t)kv_len;
    /* q | k | v buffer (self) or q and k|v (cross): at most both; attention output */
    return mlc__attn_fbytes(rq * (size_t)m->dim) + mlc__attn_fbytes(rk * 2 * (size_t)mlc__mha_kv(m)) +
           mlc__attn_fbytes(rq * (size_t)m->dim) + mlc_attention_scratch_bytes(&d, ctx);
}

/* x [B, T, dim] or [T, dim]: B and T. */
static mlc_result mlc__mha_bt(const mlc_tensor *x, int dim, int *B, int *T) {
    mlc_result r = mlc__check_f32(x);
    if (r != MLC_OK) return r;
    if (x->rank == 2) { *B = 1; *T = x->shape[0]; }
    else if (x->rank == 3) { *B = x->shape[0]; *T = x->shape[1]; }
    else return MLC_ERR_SHAPE;
    if (x->shape[x->rank - 1] != dim) return MLC_ERR_SHAPE;
    if ((long long)*B * *T > INT_MAX) return MLC_ERR_UNSUPPORTED;
    return MLC_OK;
}

/* q, k, v projections of x (rows of dim) into buf (rows of ld), columns
   col0 ... of the q | k | v layout: which = 0 q only, 1 k|v only, 2 all. */
static mlc_result mlc__mha_proj(const mlc_mha *m, const mlc_ctx *ctx, int rows, const float *x, float *buf, int ld,
                                int which) {
    const int dim = m->dim, kv2 = 2 * mlc__mha_kv(m);
    const float *wkv = m->w_qkv + mlc__mha_wq_floats(dim);
    mlc_result r = MLC_OK;
    if (which == 2 && m->fused)
        return mlc_gemm_packed_f32(ctx, rows, dim + kv2, dim, x, dim, m->w_qkv, m->b_qkv, buf, ld, MLC_ACT_NONE, 0.0f);
    if (which != 1) r = mlc_gemm_packed_f32(ctx, rows, dim, dim, x, dim, m->w_qkv, m->b_qkv, buf, ld, MLC_ACT_NONE, 0.0f);
    if (r == MLC_OK && which != 0)
        r = mlc_gemm_packed_f32(ctx, rows, kv2, dim, x, dim, wkv, m->b_qkv ? m->b_qkv + dim : NULL,
                                buf + (which == 2 ? dim : 0), ld, MLC_ACT_NONE, 0.0f);
    return r;
}

/* The whole MHA on raw rows: y [B T, dim] from x [B T, dim] and kv [B S,
   dim] (NULL: self). */
static mlc_result mlc__mha_run(const mlc_mha *m, const mlc_ctx *ctx, int B, int T, int S, const float *x,
                               const float *kvx, const mlc_attn_mask *mask, float *y, mlc_arena *scratch) {
    const int dim = m->dim, kv = mlc__mha_kv(m);
    size_t mark = mlc_arena_mark(scratch);
    mlc_attn_dims d = mlc__mha_dims(m, B, T, S);
    const float *q, *k, *v;
    float *qb, *kvb = NULL, *att;
    int ldq, ldkv, b;
    mlc_result r;
    if (!kvx) {
        ldq = ldkv = dim + 2 * kv;
        qb = (float *)mlc_arena_alloc(scratch, (size_t)B * (size_t)T * (size_t)ldq * sizeof(float), 64);
    } else {
        ldq = dim; ldkv = 2 * kv;
        qb = (float *)mlc_arena_alloc(scratch, (size_t)B * (size_t)T * (size_t)dim * sizeof(float), 64);
        kvb = (float *)mlc_arena_alloc(scratch, (size_t)B * (size_t)S * (size_t)ldkv * sizeof(float), 64);
    }
    att = (float *)mlc_arena_alloc(scratch, (size_t)B * (size_t)T * (size_t)dim * sizeof(float), 64);
    if (!qb || (kvx && !kvb) || !att) { mlc_arena_reset(scratch, mark); return MLC_ERR_NOMEM; }
    if (!kvx) {
        r = mlc__mha_proj(m, ctx, B * T, x, qb, ldq, 2);
        k = qb + dim;
    } else {
        r = mlc__mha_proj(m, ctx, B * T, x, qb, ldq, 0);
        if (r == MLC_OK) r = mlc__mha_proj(m, ctx, B * S, kvx, kvb, ldkv, 1);
        k = kvb;
    }
    q = qb; v = k + kv;
    if (r == MLC_OK && m->rope && kvx) r = MLC_ERR_UNSUPPORTED;   /* RoPE is for self-attention */
    if (r == MLC_OK && m->rope) {
        if (m->rope->head_dim != m->head_dim) r = MLC_ERR_SHAPE;
        for (b = 0; b < B && r == MLC_OK; b++) {
            r = mlc_rope_apply(m->rope, qb + (size_t)b * (size_t)T * (size_t)ldq, T, m->n_heads, ldq, 0);
            if (r == MLC_OK) r = mlc_rope_apply(m->rope, qb + (size_t)b * (size_t)T * (size_t)ldq + dim, T, m->n_kv_heads, ldq, 0);
        }
    }
    if (r == MLC_OK) r = mlc_attention_f32(ctx, &d, q, ldq, k, ldkv, v, ldkv, att, dim, 0.0f, mask, scratch);
    if (r == MLC_OK)
        r = mlc_gemm_packed_f32(ctx, B * T, dim, dim, att, dim, m->out.packed_w, m->out.bias, y, dim, MLC_ACT_NONE, 0.0f);
    mlc_arena_reset(scratch, mark);
    return r;
}

MLC_API mlc_result mlc_mha_forward(const mlc_mha *m, const mlc_ctx *ctx, mlc_tensor *y,
                                   const mlc_tensor *x, const mlc_tensor *kv,
                                   const mlc_attn_mask *mask, mlc_arena *scratch) {
    int B, T, S, B2;
    mlc_result r;
    if (!m || !m->w_qkv || !y || !x || !scratch) return MLC_ERR_NULL;
    if ((r = mlc__mha_bt(x, m->dim, &B, &T)) != MLC_OK) return r;
    if ((r = mlc__check_f32(y)) != MLC_OK) return r;
    if (!mlc__same_shape(x, y)) return MLC_ERR_SHAPE;
    S = T;
    if (kv) {
        if ((r = mlc__mha_bt(kv, m->dim, &B2, &S)) != MLC_OK) return r;
        if (B2 != B || kv->rank != x->rank) return MLC_ERR_SHAPE;
    }
    return mlc__mha_run(m, ctx, B, T, S, (const float *)x->data, kv ? (const float *)kv->data : NULL, mask,
                        (float *)y->data, scratch);
}

/* ---- KV cache ------------------------------------------------------------------ */
static size_t mlc__kvc_k_floats(int max_len, int n_kv_heads, int head_dim) {
    return mlc__attn_kp_floats(max_len, head_dim) * (size_t)n_kv_heads;
}

MLC_API size_t mlc_kv_cache_bytes(int n_layers, int max_len, int n_kv_heads, int head_dim) {
    if (n_layers < 1 || max_len < 1 || n_kv_heads < 1 || head_dim < 1) return 0;
    if ((double)n_layers * (max_len + MLC__NR) * n_kv_heads * (head_dim + MLC__NR) * 2.0 * sizeof(float) > (double)(SIZE_MAX / 4))
        return 0;
    return mlc__attn_fbytes(mlc__kvc_k_floats(max_len, n_kv_heads, head_dim) * (size_t)n_layers) +
           mlc__attn_fbytes(mlc__attn_vp_floats(max_len, head_dim) * (size_t)n_kv_heads * (size_t)n_layers);
}

MLC_API mlc_result mlc_kv_cache_init(mlc_kv_cache *c, int n_layers, int max_len, int n_kv_heads, int head_dim,
                                     mlc_arena *arena) {
    size_t mark;
    if (!c || !arena) return MLC_ERR_NULL;
    memset(c, 0, sizeof *c);
    if (n_layers < 1 || max_len < 1 || n_kv_heads < 1 || head_dim < 1) return MLC_ERR_ARG;
    if ((double)n_layers * (max_len + MLC__NR) * n_kv_heads * (head_dim + MLC__NR) * 2.0 * sizeof(float) > (double)(SIZE_MAX / 4))
        return MLC_ERR_UNSUPPORTED;
    c->k_layer = mlc__kvc_k_floats(max_len, n_kv_heads, head_dim);
    c->v_layer = mlc__attn_vp_floats(max_len, head_dim) * (size_t)n_kv_heads;
    mark = mlc_arena_mark(arena);
    c->k = (float *)mlc_arena_alloc(arena, c->k_layer * (size_t)n_layers * sizeof(float), 64);
    c->v = (float *)mlc_arena_alloc(arena, c->v_layer * (size_t)n_layers * sizeof(float), 64);
    if (!c->k || !c->v) { mlc_arena_reset(arena, mark); memset(c, 0, sizeof *c); return MLC_ERR_NOMEM; }
    c->n_layers = n_layers; c->max_len = max_len; c->n_kv_heads = n_kv_heads; c->head_dim = head_dim;
    mlc_kv_cache_reset(c);
    return MLC_OK;
}

MLC_API void mlc_kv_cache_reset(mlc_kv_cache *c) {
    if (!c || !c->k) return;
    c->len = 0;
    /* padding lanes (keys past len, value columns past head_dim) are read,
       never used: keep them finite */
    memset(c->k, 0, c->k_layer * (size_t)c->n_layers * sizeof(float));
    memset(c->v, 0, c->v_layer * (size_t)c->n_layers * sizeof(float));
}

MLC_API mlc_result mlc_kv_cache_advance(mlc_kv_cache *c, int n) {
    if (!c || !c->k) return MLC_ERR_NULL;
    if (n < 0) return MLC_ERR_ARG;
    if ((long long)c->len + n > c->max_len) return MLC_ERR_SHAPE;
    c->len += n;
    return MLC_OK;
}

MLC_API size_t mlc_mha_cached_scratch_bytes(const mlc_mha *m, int q_len, int max_len, const mlc_ctx *ctx) {
    mlc_attn_dims d;
    if (!m || !m->w_qkv || q_len < 1 || max_len < 1) return 0;
    d = mlc__mha_dims(m, 1, q_len, max_len);
    return mlc__attn_fbytes((size_t)q_len * (size_t)(m->dim + 2 * mlc__mha_kv(m))) +
           mlc__attn_fbytes((size_t)q_len * (size_t)m->dim) + mlc__attn_tiles_bytes(mlc__attn_tasks(&d, ctx));
}

static mlc_result mlc__mha_cached(const mlc_mha *m, const mlc_ctx *ctx, int T, const float *x, float *y,
                                  mlc_kv_cache *c, int layer, mlc_arena *scratch) {
    const int dim = m->dim, kv = mlc__mha_kv(m), ld = dim + 2 * kv, dh = m->head_dim, pos = c->len;
    size_t mark = mlc_arena_mark(scratch);
    float *qkv, *att, *kc = c->k + (size_t)layer * c->k_layer, *vc = c->v + (size_t)layer * c->v_layer;
    mlc__attn_job j;
    mlc_result r;
    int t, g;
    if (c->n_kv_heads != m->n_kv_heads || c->head_dim != dh) return MLC_ERR_SHAPE;
    if (layer < 0 || layer >= c->n_layers) return MLC_ERR_ARG;
    if ((long long)pos + T > c->max_len) return MLC_ERR_SHAPE;
    qkv = (float *)mlc_arena_alloc(scratch, (size_t)T * (size_t)ld * sizeof(float), 64);
    att = (float *)mlc_arena_alloc(scratch, (size_t)T * (size_t)dim * sizeof(float), 64);
    if (!qkv || !att) { mlc_arena_reset(scratch, mark); return MLC_ERR_NOMEM; }
    r = mlc__mha_proj(m, ctx, T, x, qkv, ld, 2);
    if (r == MLC_OK && m->rope) {
        if (m->rope->head_dim != dh) r = MLC_ERR_SHAPE;
        if (r == MLC_OK) r = mlc_rope_apply(m->rope, qkv, T, m->n_heads, ld, pos);
        if (r == MLC_OK) r = mlc_rope_apply(m->rope, qkv + dim, T, m->n_kv_heads, ld, pos);
    }
    if (r != MLC_OK) { mlc_arena_reset(scratch, mark); return r; }
    /* append the new keys and values, packed as the attention reads them */
    for (t = 0; t < T; t++) {
        const float *kr = qkv + (size_t)t * (size_t)ld + dim;
        for (g = 0; g < m->n_kv_heads; g++)
            mlc__attn_put_kv(kc + (size_t)g * mlc__attn_kp_floats(c->max_len, dh),
                             vc + (size_t)g * mlc__attn_vp_floats(c->max_len, dh), (size_t)MLC__NR * (size_t)c->max_len,
                             pos + t, kr + g * dh, kr + kv + g * dh, dh);
    }
    {
        static const mlc_attn_mask causal = { 1, NULL, NULL, 0, 0, 0 };
        memset(&j, 0, sizeof j);
        j.B = 1; j.T = T; j.S = pos + T; j.H = m->n_heads; j.G = m->n_kv_heads; j.dh = dh; j.off = pos;
        j.q = qkv; j.ldq = (size_t)ld;
        j.kp = kc; j.kp_head = mlc__attn_kp_floats(c->max_len, dh); j.kp_batch = 0;
        j.vp = vc; j.vp_head = mlc__attn_vp_floats(c->max_len, dh); j.vp_batch = 0;
        j.vp_panel = (size_t)MLC__NR * (size_t)c->max_len;
        j.o = att; j.ldo = (size_t)dim;
        j.scale = 1.0f / MLC_SQRTF((float)dh);
        j.mask = &causal;
        r = mlc__attn_run(&j, ctx, scratch);
    }
    if (r == MLC_OK)
        r = mlc_gemm_packed_f32(ctx, T, dim, dim, att, dim, m->out.packed_w, m->out.bias, y, dim, MLC_ACT_NONE, 0.0f);
    mlc_arena_reset(scratch, mark);
    return r;
}

/* x as one sequence: [T, dim] or [1, T, dim]. */
static mlc_result mlc__attn_one_seq(const mlc_tensor *x, int dim, int *T) {
    int B;
    mlc_result r = mlc__mha_bt(x, dim, &B, T);
    if (r != MLC_OK) return r;
    return B == 1 ? MLC_OK : MLC_ERR_SHAPE;
}

MLC_API mlc_result mlc_mha_forward_cached(const mlc_mha *m, const mlc_ctx *ctx, mlc_tensor *y,
                                          const mlc_tensor *x, mlc_kv_cache *c, int layer,
                                          mlc_arena *scratch) {
    int T;
    mlc_result r;
    if (!m || !m->w_qkv || !y || !x || !c || !c->k || !scratch) return MLC_ERR_NULL;
    if ((r = mlc__attn_one_seq(x, m->dim, &T)) != MLC_OK) return r;
    if ((r = mlc__check_f32(y)) != MLC_OK) return r;
    if (!mlc__same_shape(x, y)) return MLC_ERR_SHAPE;
    return mlc__mha_cached(m, ctx, T, (const float *)x->data, (float *)y->data, c, layer, scratch);
}

/* ---- transformer layer ----------------------------------------------------------- */
MLC_API mlc_result mlc_transformer_layer_check(mlc_transformer_layer *l) {
    int d;
    if (!l) return MLC_ERR_NULL;
    d = l->attn.dim;
    if (!l->attn.w_qkv || !l->ff1.packed_w || !l->ff2.packed_w || (l->gated && !l->ff3.packed_w) ||
        !l->norm1.dim || !l->norm2.dim) return MLC_ERR_NULL;
    if ((unsigned)l->act >= (unsigned)MLC_ACT_COUNT) return MLC_ERR_ARG;
    if (l->norm1.dim != d || l->norm2.dim != d || l->ff1.in_features != d || l->ff2.out_features != d ||
        l->ff2.in_features != l->ff1.out_features ||
        (l->gated && (l->ff3.in_features != d || l->ff3.out_features != l->ff1.out_features))) return MLC_ERR_SHAPE;
    l->dim = d;
    l->ff_dim = l->ff1.out_features;
    l->norm_first = l->norm_first ? 1 : 0;
    l->gated = l->gated ? 1 : 0;
    return MLC_OK;
}

/* nn.Linear "<prefix><suffix>" with the given in/out features (blamed otherwise). */
static mlc_result mlc__tl_linear(mlc_linear *lin, const mlc_safetensors *st, const char *prefix, const char *suffix,
                                 int in, int out, mlc_arena *arena) {
    char name[MLC_ST_BAD_NAME], w[MLC_ST_BAD_NAME];
    mlc_result r;
    if (!mlc__attn_name(name, sizeof name, prefix, suffix)) return MLC_ERR_ARG;
    if ((r = mlc_linear_load(lin, st, name, arena)) != MLC_OK) return r;
    if (lin->in_features != in || (out > 0 && lin->out_features != out)) {
        mlc__attn_name(w, sizeof w, name, ".weight");
        return mlc__st_blame(st, w, MLC_ERR_SHAPE);
    }
    return MLC_OK;
}

/* A LayerNorm "<prefix><suffix>" of width d (blamed otherwise). */
static mlc_result mlc__tl_norm(mlc_norm *n, const mlc_safetensors *st, const char *prefix, const char *suffix, int d,
                               float eps, mlc_arena *arena) {
    char name[MLC_ST_BAD_NAME], w[MLC_ST_BAD_NAME];
    mlc_result r;
    if (!mlc__attn_name(name, sizeof name, prefix, suffix)) return MLC_ERR_ARG;
    if ((r = mlc_norm_load(n, st, name, MLC_NORM_LAYER, eps, arena)) != MLC_OK) return r;
    if (n->dim != d) { mlc__attn_name(w, sizeof w, name, ".weight"); return mlc__st_blame(st, w, MLC_ERR_SHAPE); }
    return MLC_OK;
}

/* names: attention, ff1, ff2, norm1, norm2 (suffixes of prefix) */
static mlc_result mlc__tl_load(mlc_transformer_layer *l, const mlc_safetensors *st, const char *prefix,
                               const char *const names[5], int n_heads, int norm_first, mlc_act act, float eps,
                               mlc_arena *arena) {
    char name[MLC_ST_BAD_NAME];
    size_t mark;
    mlc_result r;
    int d;
    if (!l || !st || !prefix || !arena) return MLC_ERR_NULL;
    memset(l, 0, sizeof *l);
    if ((unsigned)act >= (unsigned)MLC_ACT_COUNT) return MLC_ERR_ARG;
    if (!mlc__attn_name(name, sizeof name, prefix, names[0])) return MLC_ERR_ARG;
    mark = mlc_arena_mark(arena);
#define MLC__TL_TRY(e) do { if ((r = (e)) != MLC_OK) { mlc_arena_reset(arena, mark); memset(l, 0, sizeof *l); return r; } } while (0)
    MLC__TL_TRY(mlc_mha_load(&l->attn, st, name, n_heads, arena));
    d = l->attn.dim;
    MLC__TL_TRY(mlc__tl_linear(&l->ff1, st, prefix, names[1], d, -1, arena));
    MLC__TL_TRY(mlc__tl_linear(&l->ff2, st, prefix, names[2], l->ff1.out_features, d, arena));
    MLC__TL_TRY(mlc__tl_norm(&l->norm1, st, prefix, names[3], d, eps, arena));
    MLC__TL_TRY(mlc__tl_norm(&l->norm2, st, prefix, names[4], d, eps, arena));
#undef MLC__TL_TRY
    l->norm_first = norm_first ? 1 : 0;
    l->act = act;
    l->dim = d;
    l->ff_dim = l->ff1.out_features;
    return MLC_OK;
}

MLC_API mlc_result mlc_transformer_layer_load_torch(mlc_transformer_layer *l, const mlc_safetensors *st,
                                                    const char *prefix, int n_heads, int norm_first,
                                                    mlc_act act, float eps, mlc_arena *arena) {
    static const char *const names[5] = { ".self_attn", ".linear1", ".linear2", ".norm1", ".norm2" };
    return mlc__tl_load(l, st, prefix, names, n_heads, norm_first, act, eps, arena);
}

MLC_API mlc_result mlc_transformer_layer_load_vit(mlc_transformer_layer *l, const mlc_safetensors *st,
                                                  const char *prefix, int n_heads, mlc_arena *arena) {
    static const char *const names[5] = { ".self_attention", ".mlp.0", ".mlp.3", ".ln_1", ".ln_2" };
    return mlc__tl_load(l, st, prefix, names, n_heads, 1, MLC_ACT_GELU, 1e-6f, arena);
}

static size_t mlc__tl_mlp_bytes(const mlc_transformer_layer *l, size_t rows) {
    return mlc__attn_fbytes(rows * (size_t)l->ff_dim) * (l->gated ? 2 : 1);
}

/* A layer that mlc_transformer_layer_check accepts, checked into *v (l is
   not written): forward and the scratch sizes run on v, so a layer whose
   dim/ff_dim were never filled in (or are stale) cannot size its buffers
   differently from what the GEMMs write. */
static mlc_result mlc__tl_valid(const mlc_transformer_layer *l, mlc_transformer_layer *v) {
    if (!l) return MLC_ERR_NULL;
    *v = *l;
    return mlc_transformer_layer_check(v);
}

MLC_API size_t mlc_transformer_layer_scratch_bytes(const mlc_transformer_layer *l, int batch, int seq,
                                                   const mlc_ctx *ctx) {
    mlc_transformer_layer v;
    size_t rows, a, b;
    if (!l || batch < 1 || seq < 1 || mlc__tl_valid(l, &v) != MLC_OK) return 0;
    l = &v;
    rows = (size_t)batch * (size_t)seq;
    a = mlc_mha_scratch_bytes(&l->attn, batch, seq, seq, ctx);
    b = mlc__tl_mlp_bytes(l, rows);
    return 2 * mlc__attn_fbytes(rows * (size_t)l->dim) + (a > b ? a : b);
}

MLC_API size_t mlc_transformer_layer_cached_scratch_bytes(const mlc_transformer_layer *l, int q_len, int max_len,
                                                          const mlc_ctx *ctx) {
    mlc_transformer_layer v;
    size_t a, b;
    if (!l || q_len < 1 || max_len < 1 || mlc__tl_valid(l, &v) != MLC_OK) return 0;
    l = &v;
    a = mlc_mha_cached_scratch_bytes(&l->attn, q_len, max_len, ctx);
    b = mlc__tl_mlp_bytes(l, (size_t)q_len);
    return 2 * mlc__attn_fbytes((size_t)q_len * (size_t)l->dim) + (a > b ? a : b);
}

/* y = mlp(x) over rows. */
static mlc_result mlc__tl_mlp(const mlc_transformer_layer *l, const mlc_ctx *ctx, int rows, const float *x, float *y,
                              mlc_arena *scratch) {
    size_t mark = mlc_arena_mark(scratch), n = (size_t)rows * (size_t)l->ff_dim;
    float *h = (float *)mlc_arena_alloc(scratch, n * sizeof(float), 64), *g = NULL;
    mlc_result r;
    if (l->gated) g = (float *)mlc_arena_alloc(scratch, n * sizeof(float), 64);
    if (!h || (l->gated && !g)) { mlc_arena_reset(scratch, mark); return MLC_ERR_NOMEM; }
    r = mlc_gemm_packed_f32(ctx, rows, l->ff_dim, l->dim, x, l->dim, l->ff1.packed_w, l->ff1.bias, h, l->ff_dim, l->act, 0.0f);
    if (r == MLC_OK && l->gated) {
        r = mlc_gemm_packed_f32(ctx, rows, l->ff_dim, l->dim, x, l->dim, l->ff3.packed_w, l->ff3.bias, g, l->ff_dim,
                                MLC_ACT_NONE, 0.0f);
        if (r == MLC_OK) r = mlc_mul_f32(h, h, g, n);
    }
    if (r == MLC_OK)
        r = mlc_gemm_packed_f32(ctx, rows, l->dim, l->ff_dim, h, l->ff_dim, l->ff2.packed_w, l->ff2.bias, y, l->dim,
                                MLC_ACT_NONE, 0.0f);
    mlc_arena_reset(scratch, mark);
    return r;
}

static mlc_result mlc__tl_run(const mlc_transformer_layer *l, const mlc_ctx *ctx, int B, int T, const float *x, float *y,
                              const mlc_attn_mask *mask, mlc_kv_cache *c, int layer, mlc_arena *scratch) {
    const size_t rows = (size_t)B * (size_t)T, n = rows * (size_t)l->dim;
    size_t mark = mlc_arena_mark(scratch);
    float *a = (float *)mlc_arena_alloc(scratch, n * sizeof(float), 64);
    float *t = (float *)mlc_arena_alloc(scratch, n * sizeof(float), 64);
    mlc_result r;
    if (!a || !t) { mlc_arena_reset(scratch, mark); return MLC_ERR_NOMEM; }
#define MLC__TL_ATTN(in, out) (c ? mlc__mha_cached(&l->attn, ctx, T, (in), (out), c, layer, scratch) \
                                 : mlc__mha_run(&l->attn, ctx, B, T, T, (in), NULL, mask, (out), scratch))
    if (l->norm_first) {
        r = mlc__norm_rows(a, x, rows, (size_t)l->dim, l->norm1.weight, l->norm1.bias, l->norm1.eps, l->norm1.kind == MLC_NORM_RMS, 0);
        if (r == MLC_OK) r = MLC__TL_ATTN(a, t);
        if (r == MLC_OK) r = mlc_add_f32(y, x, t, n);
        if (r == MLC_OK) r = mlc__norm_rows(a, y, rows, (size_t)l->dim, l->norm2.weight, l->norm2.bias, l->norm2.eps, l->norm2.kind == MLC_NORM_RMS, 0);
        if (r == MLC_OK) r = mlc__tl_mlp(l, ctx, (int)rows, a, t, scratch);
        if (r == MLC_OK) r = mlc_add_f32(y, y, t, n);
    } else {
        r = MLC__TL_ATTN(x, t);
        if (r == MLC_OK) r = mlc_add_f32(t, x, t, n);
        if (r == MLC_OK) r = mlc__norm_rows(y, t, rows, (size_t)l->dim, l->norm1.weight, l->norm1.bias, l->norm1.eps, l->norm1.kind == MLC_NORM_RMS, 0);
        if (r == MLC_OK) r = mlc__tl_mlp(l, ctx, (int)rows, y, t, scratch);
        if (r == MLC_OK) r = mlc_add_f32(t, y, t, n);
        if (r == MLC_OK) r = mlc__norm_rows(y, t, rows, (size_t)l->dim, l->norm2.weight, l->norm2.bias, l->norm2.eps, l->norm2.kind == MLC_NORM_RMS, 0);
    }
#undef MLC__TL_ATTN
    mlc_arena_reset(scratch, mark);
    return r;
}

MLC_API mlc_result mlc_transformer_layer_forward(const mlc_transformer_layer *l, const mlc_ctx *ctx,
                                                 mlc_tensor *y, const mlc_tensor *x,
                                                 const mlc_attn_mask *mask, mlc_arena *scratch) {
    mlc_transformer_layer v;
    int B, T;
    mlc_result r;
    if (!y || !x || !scratch) return MLC_ERR_NULL;
    if ((r = mlc__tl_valid(l, &v)) != MLC_OK) return r;
    if ((r = mlc__mha_bt(x, v.dim, &B, &T)) != MLC_OK) return r;
    if ((r = mlc__check_f32(y)) != MLC_OK) return r;
    if (!mlc__same_shape(x, y)) return MLC_ERR_SHAPE;
    return mlc__tl_run(&v, ctx, B, T, (const float *)x->data, (float *)y->data, mask, NULL, 0, scratch);
}

MLC_API mlc_result mlc_transformer_layer_forward_cached(const mlc_transformer_layer *l,
                                                        const mlc_ctx *ctx, mlc_tensor *y,
                                                        const mlc_tensor *x, mlc_kv_cache *c,
                                                        int layer, mlc_arena *scratch) {
    mlc_transformer_layer v;
    int T;
    mlc_result r;
    if (!y || !x || !c || !c->k || !scratch) return MLC_ERR_NULL;
    if ((r = mlc__tl_valid(l, &v)) != MLC_OK) return r;
    if ((r = mlc__attn_one_seq(x, v.dim, &T)) != MLC_OK) return r;
    if ((r = mlc__check_f32(y)) != MLC_OK) return r;
    if (!mlc__same_shape(x, y)) return MLC_ERR_SHAPE;
    if (layer < 0 || layer >= c->n_layers) return MLC_ERR_ARG;
    if ((long long)c->len + T > c->max_len) return MLC_ERR_SHAPE;
    return mlc__tl_run(&v, ctx, 1, T, (const float *)x->data, (float *)y->data, NULL, c, layer, scratch);
}

// >>ssm ------------------------------------------------------------------
/* State-space models.

   Selective scan. A "block" is one vector of MLC__VW channels of one group
   (blocks never straddle groups, so B and C are the same in every lane).
   The work per (token, channel, state) is exp(dt A), the state update and
   its share of y; per (token, channel) it is softplus(dt + bias), dt u,
   D u and the silu gate. The scan runs chunks of MLC_SSM_CHUNK tokens,
   block after block (mlc__ssm_range):
     prep    dt and dt u for the chunk's rows of the block, into a stack
             buffer (the per-row latency chain of softplus kept out of the
             main loop: fused into it, it made the loop 3x slower)
     kernel  per tile of NT states, NT state vectors in registers for the
             chunk; per row NT exps (four at a time, stage by stage, to
             keep the out-of-order window full) and 4 NT multiply-adds;
             sums over the states left in a stack buffer. NT is 16 where
             there are 32 vector registers (AVX-512, NEON, scalar), 8 with
             16 (AVX2, SSE2); a short last tile runs the 8- or 4-state
             kernel with zero-padded copies of its B and C rows.
     finish  y = (sums + D u) * silu(z), written once.
   Measured on AVX-512 (bench/bench_ssm.c) the kernel alone issues its
   10 FMA-unit instructions per 16 updates at 98% of the FMA units' rate;
   prep, finish and memory bring the whole scan to about half of that.

   The exp of dt A is computed as 2^(dt A') with A' = A log2(e) scaled once
   per tile (mlc__ssm_vexp2x4): one multiply, a rounding, a subtraction,
   five FMAs and (AVX-512) vscalefps. softplus and silu use their own
   cheaper forms (mlc__ssm_vsoftplus, mlc__ssm_vsilu). Their accuracy is
   stated where they are defined and asserted by tests/test_ssm.c. */
#ifndef MLC_SSM_CHUNK
#define MLC_SSM_CHUNK 64
#endif
#ifndef MLC_MAMBA_ROWS
#define MLC_MAMBA_ROWS 256
#endif
#if defined(MLC__AVX2) || defined(MLC__SSE2)
#  define MLC__SSM_NT 8
#else
#  define MLC__SSM_NT 16
#endif
#define MLC__SSM_MAXW 16   /* largest causal conv kernel */
/* Each block reads one cache line per row of u, delta and z and writes
   one of y, rows dim floats apart, in the passes around the main loop;
   the main loop (all arithmetic, no streams) asks for the next block's
   lines of the same rows, so they arrive while it computes
   (MLC_SSM_PREFETCH 0: off). */
#ifndef MLC_SSM_PREFETCH
#define MLC_SSM_PREFETCH 1
#endif
#if (defined(__GNUC__) || defined(__clang__)) && MLC_SSM_PREFETCH > 0
#  define MLC__SSM_PF(p) __builtin_prefetch((const void *)(p))
#else
#  define MLC__SSM_PF(p) ((void)0)
#endif

MLC__INLINE mlc__vf mlc__ssm_ld(const float *p, int w) {
    return w >= MLC__VW ? mlc__vload(p) : mlc__vload_tail(p, (size_t)w);
}
MLC__INLINE void mlc__ssm_st(float *p, mlc__vf v, int w) {
    if (w >= MLC__VW) mlc__vstore(p, v); else mlc__vstore_tail(p, v, (size_t)w);
}

/* e^x for the per-row work (softplus of dt, silu of the gate): x clamped
   to [-87.3, 88.3], n = round(x / ln 2), r = x - n ln 2 in two steps
   (Cody-Waite, so large |x| keep their accuracy), e^r by the polynomial of
   mlc__ssm_vexp2 rescaled to r (constant term 1), times 2^n. */
MLC__INLINE mlc__vf mlc__ssm_vexp(mlc__vf x) {
    mlc__vf fn, r, p;
    x = mlc__vmin(mlc__vset1(88.3762589f), mlc__vmax(mlc__vset1(-87.3365448f), x));
#if defined(MLC__AVX512)
    fn = _mm512_roundscale_ps(mlc__vmul(x, mlc__vset1(1.44269504088896341f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
#elif defined(MLC__SCALAR)
    fn = mlc__vi_to_f(mlc__vround_i(x == x ? x * 1.44269504088896341f : 0.0f));
#else
    fn = mlc__vi_to_f(mlc__vround_i(mlc__vmul(x, mlc__vset1(1.44269504088896341f))));
#endif
    r = mlc__vfma(fn, mlc__vset1(-0.693359375f), x);
    r = mlc__vfma(fn, mlc__vset1(2.12194440e-4f), r);
    p = mlc__vset1(8.290300236e-3f);
    p = mlc__vfma(p, r, mlc__vset1(4.189791065e-2f));
    p = mlc__vfma(p, r, mlc__vset1(1.666763571e-1f));
    p = mlc__vfma(p, r, mlc__vset1(4.999915025e-1f));
    p = mlc__vfma(p, r, mlc__vset1(9.999997448e-1f));
    p = mlc__vfma(p, r, mlc__vset1(1.0f));
#if defined(MLC__AVX512)
    return _mm512_scalef_ps(p, fn);
#else
    return mlc__vmul(p, mlc__vpow2i(mlc__vround_i(fn)));   /* fn in [-126, 127] */
#endif
}

/* softplus(x) = max(x, 0) + log1p(u), u = e^-|x| in (0, 1], with
   log1p(u) = u q(u), q a degree-8 minimax fit of log1p(u)/u on [0, 1]
   (relative error 3e-8; 2e-7 in float32): no division, and small u keep
   their relative accuracy. x itself above 20, as PyTorch. */
MLC__INLINE mlc__vf mlc__ssm_vsoftplus(mlc__vf x) {
    mlc__vf u = mlc__ssm_vexp(mlc__vxor(mlc__vabs(x), mlc__vset1(-0.0f))), q, sp;
    q = mlc__vset1(5.232679658e-03f);
    q = mlc__vfma(q, u, mlc__vset1(-2.950515598e-02f));
    q = mlc__vfma(q, u, mlc__vset1(7.822576910e-02f));
    q = mlc__vfma(q, u, mlc__vset1(-1.366322637e-01f));
    q = mlc__vfma(q, u, mlc__vset1(1.910599470e-01f));
    q = mlc__vfma(q, u, mlc__vset1(-2.484297752e-01f));
    q = mlc__vfma(q, u, mlc__vset1(3.331909478e-01f));
    q = mlc__vfma(q, u, mlc__vset1(-4.999949336e-01f));
    q = mlc__vfma(q, u, mlc__vset1(9.999999404e-01f));
    sp = mlc__vfma(u, q, mlc__vmax(mlc__vset1(0.0f), x));
    return mlc__vselect(mlc__vlt(mlc__vset1(20.0f), x), x, sp);
}

/* silu(z) = z / (1 + e^-z) (e^-z saturates to 2.4e38: z/that ~ 0). On
   AVX-512 the division is vrcp14ps and one Newton step (relative error
   < 2^-26 before the final rounding): a divide per row is slow enough to
   show in the scan's profile. */
MLC__INLINE mlc__vf mlc__ssm_vsilu(mlc__vf z) {
    mlc__vf d = mlc__vadd(mlc__vset1(1.0f), mlc__ssm_vexp(mlc__vxor(z, mlc__vset1(-0.0f))));
#if defined(MLC__AVX512)
    mlc__vf r = _mm512_rcp14_ps(d);
    r = mlc__vmul(r, mlc__vfma(mlc__vxor(d, mlc__vset1(-0.0f)), r, mlc__vset1(2.0f)));
    return mlc__vmul(z, r);
#else
    return mlc__vdiv(z, d);
#endif
}

/* 2^t for the scan, four vectors at a time, t = dt (A log2 e) with A
   scaled once per tile: n = round(t), f = t - n (exact), 2^f by a degree-5
   minimax polynomial on [-1/2, 1/2] with constant term exactly 1 (relative
   error 9.2e-8, 1.7e-7 measured in float32 Horner; exactly 1 at t = 0, so
   no bias where Mamba's small steps put most t and a long-memory state
   multiplies hundreds of these factors), times 2^n: vscalefps on AVX-512
   (t clamped below at -150 so -inf gives 0; scalef saturates to 0 and inf
   itself), the exponent bits elsewhere (t clamped to [-126, 127]: results
   saturate at 1.2e-38 and 1.7e38). Rounding A log2(e) and dt times it to
   float costs up to 2U |dt A| relative, as rounding dt A does in any
   float32 implementation. The clamps keep a NaN (x86 max/min return their
   second operand when one is NaN). Four independent chains side by side,
   stage by stage, keep the out-of-order window fuller than one at a time. */
MLC__INLINE void mlc__ssm_vexp2x4(mlc__vf *a, mlc__vf *b, mlc__vf *c, mlc__vf *d) {
    mlc__vf fa, fb, fc, fd, pa, pb, pc, pd;
    const mlc__vf k5 = mlc__vset1(1.326470403e-3f), k4 = mlc__vset1(9.671508335e-3f), k3 = mlc__vset1(5.550733581e-2f);
    const mlc__vf k2 = mlc__vset1(2.402224243e-1f), k1 = mlc__vset1(6.931470037e-1f), k0 = mlc__vset1(1.0f);
#if defined(MLC__AVX512)
    const mlc__vf lo = mlc__vset1(-150.0f);
    *a = mlc__vmax(lo, *a); *b = mlc__vmax(lo, *b); *c = mlc__vmax(lo, *c); *d = mlc__vmax(lo, *d);
    fa = _mm512_roundscale_ps(*a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    fb = _mm512_roundscale_ps(*b, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    fc = _mm512_roundscale_ps(*c, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    fd = _mm512_roundscale_ps(*d, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
#else
    const mlc__vf lo = mlc__vset1(-126.0f), hi = mlc__vset1(127.0f);
    *a = mlc__vmin(hi, mlc__vmax(lo, *a)); *b = mlc__vmin(hi, mlc__vmax(lo, *b));
    *c = mlc__vmin(hi, mlc__vmax(lo, *c)); *d = mlc__vmin(hi, mlc__vmax(lo, *d));
#  if defined(MLC__SCALAR)   /* (int)NaN is undefined in C */
    fa = mlc__vi_to_f(mlc__vround_i(*a == *a ? *a : 0.0f)); fb = mlc__vi_to_f(mlc__vround_i(*b == *b ? *b : 0.0f));
    fc = mlc__vi_to_f(mlc__vround_i(*c == *c ? *c : 0.0f)); fd = mlc__vi_to_f(mlc__vround_i(*d == *d ? *d : 0.0f));
#  else
    fa = mlc__vi_to_f(mlc__vround_i(*a)); fb = mlc__vi_to_f(mlc__vround_i(*b));
    fc = mlc__vi_to_f(mlc__vround_i(*c)); fd = mlc__vi_to_f(mlc__vround_i(*d));
#  endif
#endif
    *a = mlc__vsub(*a, fa); *b = mlc__vsub(*b, fb); *c = mlc__vsub(*c, fc); *d = mlc__vsub(*d, fd);
    pa = mlc__vfma(k5, *a, k4); pb = mlc__vfma(k5, *b, k4); pc = mlc__vfma(k5, *c, k4); pd = mlc__vfma(k5, *d, k4);
    pa = mlc__vfma(pa, *a, k3); pb = mlc__vfma(pb, *b, k3); pc = mlc__vfma(pc, *c, k3); pd = mlc__vfma(pd, *d, k3);
    pa = mlc__vfma(pa, *a, k2); pb = mlc__vfma(pb, *b, k2); pc = mlc__vfma(pc, *c, k2); pd = mlc__vfma(pd, *d, k2);
    pa = mlc__vfma(pa, *a, k1); pb = mlc__vfma(pb, *b, k1); pc = mlc__vfma(pc, *c, k1); pd = mlc__vfma(pd, *d, k1);
    pa = mlc__vfma(pa, *a, k0); pb = mlc__vfma(pb, *b, k0); pc = mlc__vfma(pc, *c, k0); pd = mlc__vfma(pd, *d, k0);
#if defined(MLC__AVX512)
    *a = _mm512_scalef_ps(pa, fa); *b = _mm512_scalef_ps(pb, fb); *c = _mm512_scalef_ps(pc, fc); *d = _mm512_scalef_ps(pd, fd);
#else
    *a = mlc__vmul(pa, mlc__vpow2i(mlc__vround_i(fa))); *b = mlc__vmul(pb, mlc__vpow2i(mlc__vround_i(fb)));
    *c = mlc__vmul(pc, mlc__vpow2i(mlc__vround_i(fc))); *d = mlc__vmul(pd, mlc__vpow2i(mlc__vround_i(fd)));
#endif
}

/* ---- selective scan --------------------------------------------------------- */
typedef struct mlc__ssm_job {
    int L, dim, N, groups, dpg, nblk, tasks, softplus;
    const float *u, *delta, *A, *B, *C, *D, *z, *dbias;
    size_t ldu, ldd, ldbc, ldz, ldy;   /* row strides in floats; B and C share ldbc */
    float *y, *state;                  /* state or NULL */
    size_t a_sd, a_sn, s_sd, s_sn;     /* A[d,n] = A[d a_sd + n a_sn], state likewise */
    int a_log2e;                       /* A already times log2(e) */
} mlc__ssm_job;

typedef void (*mlc__ssm_kernel_fn)(const mlc__ssm_job *j, int d0, int l0, int l1,
                                   const float *bc, const float *cc, size_t ldb, const float *dts,
                                   const float *dus, float *ys, const mlc__vf *av, mlc__vf *sv, int first);

/* The per-row work that does not depend on the state runs in passes of its
   own around the main loop, so that loop is nothing but the state updates
   and each row's latency chain (dt's softplus, the gate's sigmoid) is not
   in it: measured on AVX-512 the fused version ran 3x slower, bound by that
   chain rather than by the FMA units.
   Pre-pass: dt = softplus(delta + bias) and dt*u for the chunk's rows of
   the block, into dts/dus ([rows][MLC__VW], stack). */
static void mlc__ssm_prep(const mlc__ssm_job *j, int d0, int w, int l0, int l1, float *dts, float *dus) {
    const mlc__vf dbias = j->dbias ? mlc__ssm_ld(j->dbias + d0, w) : mlc__vset1(0.0f);
    int l;
    for (l = l0; l < l1; l++) {
        mlc__vf dt = mlc__ssm_ld(j->delta + (size_t)l * j->ldd + d0, w);
        if (j->dbias) dt = mlc__vadd(dt, dbias);
        if (j->softplus) dt = mlc__ssm_vsoftplus(dt);
        mlc__vstore(dts + (size_t)(l - l0) * MLC__VW, dt);
        mlc__vstore(dus + (size_t)(l - l0) * MLC__VW, mlc__vmul(dt, mlc__ssm_ld(j->u + (size_t)l * j->ldu + d0, w)));
    }
}

/* Post-pass, after the last tile: y = (ys + D u) * silu(z), ys the sums
   over the states that the kernel left in a stack buffer (so y is written
   once, here). */
static void mlc__ssm_finish(const mlc__ssm_job *j, int d0, int w, int l0, int l1, const float *ys) {
    const mlc__vf dskip = j->D ? mlc__ssm_ld(j->D + d0, w) : mlc__vset1(0.0f);
    int l;
    for (l = l0; l < l1; l++) {
        mlc__vf yv = mlc__vload(ys + (size_t)(l - l0) * MLC__VW);
        if (j->D) yv = mlc__vfma(mlc__ssm_ld(j->u + (size_t)l * j->ldu + d0, w), dskip, yv);
        if (j->z) yv = mlc__vmul(yv, mlc__ssm_vsilu(mlc__ssm_ld(j->z + (size_t)l * j->ldz + d0, w)));
        mlc__ssm_st(j->y + (size_t)l * j->ldy + d0, yv, w);
    }
}

/* State k of the tile: its register and its write-back; the states take
   turns over four y accumulators (four short FMA chains). */
#define MLC__SSM_DECL(k, acc) mlc__vf s##k = sv[k];
#define MLC__SSM_SAVE(k, acc) sv[k] = s##k;
#define MLC__SSM_R4(X)  X(0, y0) X(1, y1) X(2, y2) X(3, y3)
#define MLC__SSM_R8(X)  MLC__SSM_R4(X) X(4, y0) X(5, y1) X(6, y2) X(7, y3)
#define MLC__SSM_R16(X) MLC__SSM_R8(X) X(8, y0) X(9, y1) X(10, y2) X(11, y3) X(12, y0) X(13, y1) X(14, y2) X(15, y3)
/* Four states at once: the exps side by side, then the updates. */
#define MLC__SSM_UPD4(a, b, c, d) {                                                               \
        mlc__vf ea = mlc__vmul(dt, av[a]), eb = mlc__vmul(dt, av[b]);                             \
        mlc__vf ec = mlc__vmul(dt, av[c]), ed = mlc__vmul(dt, av[d]);                             \
        mlc__ssm_vexp2x4(&ea, &eb, &ec, &ed);                                                     \
        s##a = mlc__vfma(s##a, ea, mlc__vmul(du, mlc__vset1(bl[a])));                            \
        s##b = mlc__vfma(s##b, eb, mlc__vmul(du, mlc__vset1(bl[b])));                            \
        s##c = mlc__vfma(s##c, ec, mlc__vmul(du, mlc__vset1(bl[c])));                            \
        s##d = mlc__vfma(s##d, ed, mlc__vmul(du, mlc__vset1(bl[d])));                            \
        y0 = mlc__vfma(s##a, mlc__vset1(cl[a]), y0); y1 = mlc__vfma(s##b, mlc__vset1(cl[b]), y1); \
        y2 = mlc__vfma(s##c, mlc__vset1(cl[c]), y2); y3 = mlc__vfma(s##d, mlc__vset1(cl[d]), y3); }
#define MLC__SSM_G4(X)  X(0, 1, 2, 3)
#define MLC__SSM_G8(X)  MLC__SSM_G4(X) X(4, 5, 6, 7)
#define MLC__SSM_G16(X) MLC__SSM_G8(X) X(8, 9, 10, 11) X(12, 13, 14, 15)

/* Rows [l0, l1) of the block [d0, d0 + w) for one tile of NT states: av
   holds A log2(e), sv the state (in and out), bc/cc the tile's B and C at
   row l0 (rows ldb floats apart), dts/dus the rows' dt and dt*u. The sums
   over the tile's states go to ys ([rows][MLC__VW], stack); first: the
   tile starts them (else adds to them). */
#define MLC__SSM_KERNEL(NAME, NT, ROWS, GROUPS)                                                         \
static void NAME(const mlc__ssm_job *j, int d0, int l0, int l1, const float *bc,                  \
                 const float *cc, size_t ldb, const float *dts, const float *dus, float *ys,      \
                 const mlc__vf *av, mlc__vf *sv, int first) {                                     \
    const size_t pf = (MLC_SSM_PREFETCH && d0 + MLC__VW < j->dim) ? (size_t)(d0 + MLC__VW) : 0;    \
    int l;                                                                                        \
    ROWS(MLC__SSM_DECL)                                                                           \
    for (l = l0; l < l1; l++) {                                                                   \
        const float *bl = bc + (size_t)(l - l0) * ldb, *cl = cc + (size_t)(l - l0) * ldb;         \
        float *yp = ys + (size_t)(l - l0) * MLC__VW;                                              \
        const mlc__vf dt = mlc__vload(dts + (size_t)(l - l0) * MLC__VW);                          \
        const mlc__vf du = mlc__vload(dus + (size_t)(l - l0) * MLC__VW);                          \
        mlc__vf y0 = mlc__vset1(0.0f), y1 = y0, y2 = y0, y3 = y0;                                 \
        if (pf) {                                                                                 \
            MLC__SSM_PF(j->delta + (size_t)l * j->ldd + pf); MLC__SSM_PF(j->u + (size_t)l * j->ldu + pf); \
            MLC__SSM_PF(j->y + (size_t)l * j->ldy + pf);                                          \
            if (j->z) MLC__SSM_PF(j->z + (size_t)l * j->ldz + pf);                                \
        }                                                                                         \
        GROUPS(MLC__SSM_UPD4)                                                                     \
        y0 = mlc__vadd(mlc__vadd(y0, y1), mlc__vadd(y2, y3));                                     \
        if (!first) y0 = mlc__vadd(mlc__vload(yp), y0);                                           \
        mlc__vstore(yp, y0);                                                                      \
    }                                                                                             \
    ROWS(MLC__SSM_SAVE)                                                                           \
    MLC__UNUSED(j);                                                                               \
}

MLC__SSM_KERNEL(mlc__ssm_k4, 4, MLC__SSM_R4, MLC__SSM_G4)
MLC__SSM_KERNEL(mlc__ssm_k8, 8, MLC__SSM_R8, MLC__SSM_G8)
#if MLC__SSM_NT == 16
MLC__SSM_KERNEL(mlc__ssm_k16, 16, MLC__SSM_R16, MLC__SSM_G16)
#endif

/* Loads (or, with out, stores) the [nt x w] tile at channels d0.., states
   n0.. of an array whose element (d, n) is at d sd + n sn, as nt vectors;
   lanes past w and vectors past nt are zero on load. Channels contiguous
   (sd == 1, the Mamba block's own layout): vector loads; else a gather. */
static void mlc__ssm_tile(mlc__vf *v, const float *src, float *out, size_t sd, size_t sn, int d0, int w,
                          int n0, int nt, int NT) {
    float t[MLC__VW];
    int k, i;
    for (k = 0; k < NT; k++) {
        size_t o = (size_t)d0 * sd + (size_t)(n0 + k) * sn;
        if (out) {
            if (k >= nt) continue;
            if (sd == 1) { mlc__ssm_st(out + o, v[k], w); continue; }
            mlc__vstore(t, v[k]);
            for (i = 0; i < w; i++) out[o + (size_t)i * sd] = t[i];
        } else if (k >= nt || !src) {
            v[k] = mlc__vset1(0.0f);
        } else if (sd == 1) {
            v[k] = mlc__ssm_ld(src + o, w);
        } else {
            for (i = 0; i < MLC__VW; i++) t[i] = i < w ? src[o + (size_t)i * sd] : 0.0f;
            v[k] = mlc__vload(t);
        }
    }
}

/* The state tile [n0, n0 + NT) of the job: its kernel, and B, C for rows
   [l0, l1) of group g (pointers into B and C, or zero-padded copies in
   bc/cc when the tile is short). */
static mlc__ssm_kernel_fn mlc__ssm_pick(int rem, int *NT) {
#if MLC__SSM_NT == 16
    if (rem > 8) { *NT = 16; return mlc__ssm_k16; }
#endif
    if (rem > 4) { *NT = 8; return mlc__ssm_k8; }
    *NT = 4;
    return mlc__ssm_k4;
}
static void mlc__ssm_bc(const mlc__ssm_job *j, int g, int n0, int nt, int NT, int l0, int l1, float *bc, float *cc,
                        const float **bp, const float **cp, size_t *ldb) {
    int l, i;
    *bp = j->B + (size_t)l0 * j->ldbc + (size_t)g * (size_t)j->N + (size_t)n0;
    *cp = j->C + (size_t)l0 * j->ldbc + (size_t)g * (size_t)j->N + (size_t)n0;
    *ldb = j->ldbc;
    if (nt == NT) return;
    for (l = l0; l < l1; l++) {
        const float *bs = *bp + (size_t)(l - l0) * j->ldbc, *cs = *cp + (size_t)(l - l0) * j->ldbc;
        float *bd = bc + (size_t)(l - l0) * (size_t)NT, *cd = cc + (size_t)(l - l0) * (size_t)NT;
        for (i = 0; i < nt; i++) { bd[i] = bs[i]; cd[i] = cs[i]; }
        for (; i < NT; i++) bd[i] = cd[i] = 0.0f;
    }
    *bp = bc; *cp = cc; *ldb = (size_t)NT;
}
/* A's tile times log2(e), for mlc__ssm_vexp2. */
static void mlc__ssm_atile(const mlc__ssm_job *j, mlc__vf *av, int d0, int w, int n0, int nt, int NT) {
    int i;
    mlc__ssm_tile(av, j->A, NULL, j->a_sd, j->a_sn, d0, w, n0, nt, NT);
    if (!j->a_log2e)
        for (i = 0; i < NT; i++) av[i] = mlc__vmul(av[i], mlc__vset1(1.44269504088896341f));
}

/* Blocks [b0, b1) of the job (block b is the jb-th vector of group g),
   chunk by chunk: every block of the range per chunk, each block's state
   tiles loaded from and stored back to the state around each chunk. A
   chunk of rows is thus read whole, by consecutive blocks, while its pages
   are in the TLB and its lines in the caches, and the next block's lines
   are prefetched while the current one computes. The state's element
   (d, n) is at st[(d - dbase) sd + n sn]. */
static void mlc__ssm_range(const mlc__ssm_job *j, int b0, int b1, float *st, int dbase, size_t sd, size_t sn) {
    float bc[MLC_SSM_CHUNK * MLC__SSM_NT], cc[MLC_SSM_CHUNK * MLC__SSM_NT];
    mlc__vf dtv[MLC_SSM_CHUNK], duv[MLC_SSM_CHUNK], ysv[MLC_SSM_CHUNK];   /* vectors: aligned */
    mlc__vf av[MLC__SSM_NT], sv[MLC__SSM_NT];
    float *dts = (float *)dtv, *dus = (float *)duv, *ys = (float *)ysv;
    const float *bp, *cp;
    size_t ldb;
    mlc__ssm_kernel_fn k;
    int b, NT, nt, n0, l0;
    for (l0 = 0; l0 < j->L; l0 += MLC_SSM_CHUNK) {
        const int l1 = MLC__MIN(j->L, l0 + MLC_SSM_CHUNK);
        for (b = b0; b < b1; b++) {
            const int g = b / j->nblk, jb = b % j->nblk;
            const int d0 = g * j->dpg + jb * MLC__VW, w = MLC__MIN(MLC__VW, j->dpg - jb * MLC__VW);
            mlc__ssm_prep(j, d0, w, l0, l1, dts, dus);
            for (n0 = 0; n0 < j->N; n0 += nt) {
                k = mlc__ssm_pick(j->N - n0, &NT);
                nt = MLC__MIN(j->N - n0, NT);
                mlc__ssm_atile(j, av, d0, w, n0, nt, NT);
                mlc__ssm_tile(sv, st, NULL, sd, sn, d0 - dbase, w, n0, nt, NT);
                mlc__ssm_bc(j, g, n0, nt, NT, l0, l1, bc, cc, &bp, &cp, &ldb);
                k(j, d0, l0, l1, bp, cp, ldb, dts, dus, ys, av, sv, n0 == 0);
                mlc__ssm_tile(sv, NULL, st, sd, sn, d0 - dbase, w, n0, nt, NT);
            }
            mlc__ssm_finish(j, d0, w, l0, l1, ys);
        }
    }
}

/* Without a state array the states of up to MLC__SSM_LOCAL / (VW N)
   consecutive blocks live in a zeroed stack buffer, [N][their channels],
   and go through the same traversal. */
#define MLC__SSM_LOCAL (256 * MLC__VW)
static void mlc__ssm_blocks(const mlc__ssm_job *j, int b0, int b1) {
    mlc__vf lv[MLC__SSM_LOCAL / MLC__VW];
    float *local = (float *)lv;
    int b, per;
    if (j->state) { mlc__ssm_range(j, b0, b1, j->state, 0, j->s_sd, j->s_sn); return; }
    per = (int)(MLC__SSM_LOCAL / ((size_t)MLC__VW * (size_t)j->N));   /* >= 1: checked by the caller */
    for (b = b0; b < b1; b += per) {
        int e = MLC__MIN(b1, b + per);
        int dfirst = (b / j->nblk) * j->dpg + (b % j->nblk) * MLC__VW;
        int dlast = ((e - 1) / j->nblk) * j->dpg + MLC__MIN(((e - 1) % j->nblk + 1) * MLC__VW, j->dpg);
        size_t width = (size_t)(dlast - dfirst);
        memset(local, 0, width * (size_t)j->N * sizeof(float));
        mlc__ssm_range(j, b, e, local, dfirst, 1, width);
    }
}

static void mlc__ssm_task(void *arg, int t) {
    const mlc__ssm_job *j = (const mlc__ssm_job *)arg;
    long long total = (long long)j->groups * j->nblk;
    mlc__ssm_blocks(j, (int)(total * t / j->tasks), (int)(total * (t + 1) / j->tasks));
}

static mlc_result mlc__ssm_check(int L, int dim, int N, int groups, const void *u, const void *delta,
                                 const void *A, const void *B, const void *C, const void *y) {
    if (!u || !delta || !A || !B || !C || !y) return MLC_ERR_NULL;
    if (L < 1 || dim < 1 || N < 1 || groups < 1) return MLC_ERR_ARG;
    if (dim % groups) return MLC_ERR_SHAPE;
    if ((size_t)dim > SIZE_MAX / 4 / (size_t)L || (size_t)N > SIZE_MAX / 4 / (size_t)dim ||
        (size_t)groups * (size_t)N > SIZE_MAX / 4 / (size_t)L) return MLC_ERR_UNSUPPORTED;
    return MLC_OK;
}

/* The scan with row strides (Mamba passes column slices). */
static void mlc__ssm_scan(const mlc_ctx *ctx, int L, int dim, int N, int groups,
                          const float *u, size_t ldu, const float *delta, size_t ldd,
                          const float *A, size_t a_sd, size_t a_sn, int a_log2e,
                          const float *B, const float *C, size_t ldbc, const float *D,
                          const float *z, size_t ldz, const float *delta_bias, int softplus,
                          float *y, size_t ldy, float *state, size_t s_sd, size_t s_sn) {
    mlc__ssm_job j;
    int threads = (ctx && ctx->parallel_for && ctx->n_threads > 1) ? ctx->n_threads : 1;
    j.L = L; j.dim = dim; j.N = N; j.groups = groups; j.dpg = dim / groups;
    j.nblk = (j.dpg + MLC__VW - 1) / MLC__VW; j.softplus = softplus;
    j.u = u; j.delta = delta; j.A = A; j.B = B; j.C = C; j.D = D; j.z = z; j.dbias = delta_bias;
    j.ldu = ldu; j.ldd = ldd; j.ldbc = ldbc; j.ldz = ldz; j.ldy = ldy; j.y = y; j.state = state;
    j.a_sd = a_sd; j.a_sn = a_sn; j.a_log2e = a_log2e; j.s_sd = s_sd; j.s_sn = s_sn;
    j.tasks = 1;
    /* below ~64k state updates a split costs more than it saves */
    if (threads > 1 && (double)L * dim * N >= 65536.0) {
        long long total = (long long)groups * j.nblk;
        j.tasks = (int)MLC__MIN((long long)threads, total);
    }
    if (j.tasks > 1) ctx->parallel_for(ctx->user, mlc__ssm_task, &j, j.tasks);
    else mlc__ssm_blocks(&j, 0, groups * j.nblk);
}

MLC_API mlc_result mlc_ssm_scan_f32(const mlc_ctx *ctx, int L, int dim, int N, int groups,
                                    const float *u, const float *delta, const float *A,
                                    const float *B, const float *C, const float *D,
                                    const float *z, const float *delta_bias, int delta_softplus,
                                    float *y, float *state) {
    mlc_result r = mlc__ssm_check(L, dim, N, groups, u, delta, A, B, C, y);
    if (r != MLC_OK) return r;
    if (!state && N > MLC__SSM_LOCAL / MLC__VW) return MLC_ERR_UNSUPPORTED;
    mlc__ssm_scan(ctx, L, dim, N, groups, u, (size_t)dim, delta, (size_t)dim, A, (size_t)N, 1, 0, B, C,
                  (size_t)groups * (size_t)N, D, z, (size_t)dim, delta_bias, delta_softplus,
                  y, (size_t)dim, state, (size_t)N, 1);
    return MLC_OK;
}

MLC_API mlc_result mlc_ssm_step_f32(int dim, int N, int groups,
                                    const float *u, const float *delta, const float *A,
                                    const float *B, const float *C, const float *D,
                                    const float *z, const float *delta_bias, int delta_softplus,
                                    float *y, float *state) {
    if (!state) return MLC_ERR_NULL;
    return mlc_ssm_scan_f32(NULL, 1, dim, N, groups, u, delta, A, B, C, D, z, delta_bias,
                            delta_softplus, y, state);
}

/* selective_scan_ref's order of operations, one channel and one state at a
   time (dt recomputed per state: a reference, not a kernel). */
MLC_API mlc_result mlc_ssm_scan_ref_f32(int L, int dim, int N, int groups,
                                        const float *u, const float *delta, const float *A,
                                        const float *B, const float *C, const float *D,
                                        const float *z, const float *delta_bias, int delta_softplus,
                                        float *y, float *state) {
    int d, n, l, dpg;
    mlc_result r = mlc__ssm_check(L, dim, N, groups, u, delta, A, B, C, y);
    if (r != MLC_OK) return r;
    dpg = dim / groups;
    for (d = 0; d < dim; d++) {
        size_t g = (size_t)(d / dpg);
        for (n = 0; n < N; n++) {
            float x = state ? state[(size_t)d * N + n] : 0.0f, a = A[(size_t)d * N + n];
            for (l = 0; l < L; l++) {
                size_t bi = ((size_t)l * groups + g) * (size_t)N + (size_t)n;
                float dt = delta[(size_t)l * dim + d];
                if (delta_bias) dt += delta_bias[d];
                if (delta_softplus) dt = mlc__act_ref1(dt, MLC_ACT_SOFTPLUS, 0.0f);
                x = MLC_EXPF(dt * a) * x + dt * B[bi] * u[(size_t)l * dim + d];
                if (n == 0) y[(size_t)l * dim + d] = x * C[bi];
                else y[(size_t)l * dim + d] += x * C[bi];
            }
            if (state) state[(size_t)d * N + n] = x;
        }
        for (l = 0; l < L; l++) {
            float *yp = y + (size_t)l * dim + d;
            if (D) *yp += u[(size_t)l * dim + d] * D[d];
            if (z) *yp *= mlc__act_ref1(z[(size_t)l * dim + d], MLC_ACT_SILU, 0.0f);
        }
    }
    return MLC_OK;
}

/* ---- causal depthwise conv1d ------------------------------------------------- */
static mlc_result mlc__ssm_conv_check(int L, int C, int W, const float *x, int ldx, const float *w,
                                      float *y, int ldy, mlc_act act) {
    if (!x || !w || !y) return MLC_ERR_NULL;
    if (L < 1 || C < 1 || W < 1 || W > MLC__SSM_MAXW || ldx < C || ldy < C) return MLC_ERR_ARG;
    if ((unsigned)act >= (unsigned)MLC_ACT_COUNT) return MLC_ERR_ARG;
    return MLC_OK;
}

/* The state becomes the last W-1 rows of [state; x]. */
static void mlc__ssm_conv_state(int L, int C, int W, const float *x, int ldx, float *state) {
    int keep = W - 1, i;
    if (!state || keep < 1) return;
    if (L < keep) memmove(state, state + (size_t)L * C, (size_t)(keep - L) * (size_t)C * sizeof(float));
    for (i = MLC__MAX(0, keep - L); i < keep; i++)
        memcpy(state + (size_t)i * C, x + (size_t)(L - keep + i) * (size_t)ldx, (size_t)C * sizeof(float));
}

/* Weight (c, k) at w[c sc + k sk]: PyTorch's [C, W] (sc = W, sk = 1) is
   gathered per vector of channels; the Mamba block keeps it tap-major
   (sc = 1, sk = C) for vector loads. */
static void mlc__ssm_conv1d(int L, int C, int W, const float *x, int ldx, const float *w, size_t sc, size_t sk,
                            const float *bias, float *state, float *y, int ldy, mlc_act act) {
    mlc__vf wv[MLC__SSM_MAXW];
    float t[MLC__VW];
    int c0, k, i, l;
    for (c0 = 0; c0 < C; c0 += MLC__VW) {
        int cw = MLC__MIN(MLC__VW, C - c0);
        mlc__vf bv = bias ? mlc__ssm_ld(bias + c0, cw) : mlc__vset1(0.0f);
        for (k = 0; k < W; k++) {
            if (sc == 1) { wv[k] = mlc__ssm_ld(w + (size_t)k * sk + (size_t)c0, cw); continue; }
            for (i = 0; i < MLC__VW; i++) t[i] = i < cw ? w[(size_t)(c0 + i) * sc + (size_t)k * sk] : 0.0f;
            wv[k] = mlc__vload(t);
        }
        for (l = 0; l < L; l++) {
            mlc__vf acc = bv;
            if (l >= W - 1) {
                const float *xp = x + (size_t)(l - W + 1) * (size_t)ldx + c0;
                for (k = 0; k < W; k++, xp += ldx) acc = mlc__vfma(wv[k], mlc__ssm_ld(xp, cw), acc);
            } else {
                for (k = 0; k < W; k++) {
                    int row = l - W + 1 + k;
                    if (row >= 0) acc = mlc__vfma(wv[k], mlc__ssm_ld(x + (size_t)row * ldx + c0, cw), acc);
                    else if (state) acc = mlc__vfma(wv[k], mlc__ssm_ld(state + (size_t)(W - 1 + row) * C + c0, cw), acc);
                }
            }
            mlc__ssm_st(y + (size_t)l * ldy + c0, act == MLC_ACT_SILU ? mlc__ssm_vsilu(acc) : mlc__vact(acc, act, 0.0f), cw);
        }
    }
    mlc__ssm_conv_state(L, C, W, x, ldx, state);
}

MLC_API mlc_result mlc_ssm_conv1d_f32(int L, int C, int W, const float *x, int ldx,
                                      const float *w, const float *bias, float *state,
                                      float *y, int ldy, mlc_act act) {
    mlc_result r = mlc__ssm_conv_check(L, C, W, x, ldx, w, y, ldy, act);
    if (r != MLC_OK) return r;
    mlc__ssm_conv1d(L, C, W, x, ldx, w, (size_t)W, 1, bias, state, y, ldy, act);
    return MLC_OK;
}

MLC_API mlc_result mlc_ssm_conv1d_ref_f32(int L, int C, int W, const float *x, int ldx,
                                          const float *w, const float *bias, float *state,
                                          float *y, int ldy, mlc_act act) {
    int c, k, l;
    mlc_result r = mlc__ssm_conv_check(L, C, W, x, ldx, w, y, ldy, act);
    if (r != MLC_OK) return r;
    for (l = 0; l < L; l++)
        for (c = 0; c < C; c++) {
            float acc = bias ? bias[c] : 0.0f;
            for (k = 0; k < W; k++) {
                int row = l - W + 1 + k;
                float v = row >= 0 ? x[(size_t)row * ldx + c] : state ? state[(size_t)(W - 1 + row) * C + c] : 0.0f;
                acc += w[(size_t)c * W + k] * v;
            }
            y[(size_t)l * ldy + c] = mlc__act_ref1(acc, act, 0.0f);
        }
    mlc__ssm_conv_state(L, C, W, x, ldx, state);
    return MLC_OK;
}

/* ---- S4D ------------------------------------------------------------------------ */
MLC_API size_t mlc_s4d_arena_bytes(int H, int N, int has_D) {
    size_t hn;
    if (H < 1 || N < 1 || (size_t)H > SIZE_MAX / 64 / (size_t)N) return 0;
    hn = (size_t)H * (size_t)N;
    return 4 * (hn * sizeof(float) + 64) + 4 * (hn * sizeof(double) + 64) +
           (has_D ? (size_t)H * sizeof(float) + 64 : 0);
}

/* Allocates s for H, N (zeroed struct on failure). */
static mlc_result mlc__s4d_alloc(mlc_s4d *s, int H, int N, int has_D, mlc_arena *arena) {
    size_t mark = mlc_arena_mark(arena), hn;
    memset(s, 0, sizeof *s);
    if (H < 1 || N < 1 || !mlc_s4d_arena_bytes(H, N, has_D)) return MLC_ERR_ARG;
    hn = (size_t)H * (size_t)N;
    s->dA_re = (float *)mlc_arena_alloc(arena, hn * sizeof(float), 64);
    s->dA_im = (float *)mlc_arena_alloc(arena, hn * sizeof(float), 64);
    s->dC_re = (float *)mlc_arena_alloc(arena, hn * sizeof(float), 64);
    s->dC_im = (float *)mlc_arena_alloc(arena, hn * sizeof(float), 64);
    s->lam_re = (double *)mlc_arena_alloc(arena, hn * sizeof(double), 64);
    s->lam_im = (double *)mlc_arena_alloc(arena, hn * sizeof(double), 64);
    s->w_re = (double *)mlc_arena_alloc(arena, hn * sizeof(double), 64);
    s->w_im = (double *)mlc_arena_alloc(arena, hn * sizeof(double), 64);
    if (has_D) s->D = (float *)mlc_arena_alloc(arena, (size_t)H * sizeof(float), 64);
    if (!s->dA_re || !s->dA_im || !s->dC_re || !s->dC_im || !s->lam_re || !s->lam_im || !s->w_re ||
        !s->w_im || (has_D && !s->D)) {
        mlc_arena_reset(arena, mark); memset(s, 0, sizeof *s); return MLC_ERR_NOMEM;
    }
    s->H = H; s->N = N;
    return MLC_OK;
}

/* Discretises mode (h, n) from its parameters (in double). */
static void mlc__s4d_set(mlc_s4d *s, int h, int n, double log_dt, double log_a_re, double a_im,
                         double c_re, double c_im) {
    size_t i = (size_t)n * s->H + (size_t)h;
    double dt = MLC_EXP(log_dt), a_re = -MLC_EXP(log_a_re);
    double l_re = dt * a_re, l_im = dt * a_im, e = MLC_EXP(l_re);
    double da_re = e * MLC_COS(l_im), da_im = e * MLC_SIN(l_im);
    /* (dA - 1) / A, then times C */
    double nr = da_re - 1.0, ni = da_im, den = a_re * a_re + a_im * a_im;
    double q_re = (nr * a_re + ni * a_im) / den, q_im = (ni * a_re - nr * a_im) / den;
    s->lam_re[i] = l_re; s->lam_im[i] = l_im;
    s->w_re[i] = c_re * q_re - c_im * q_im;
    s->w_im[i] = c_re * q_im + c_im * q_re;
    s->dA_re[i] = (float)da_re; s->dA_im[i] = (float)da_im;
    s->dC_re[i] = (float)s->w_re[i]; s->dC_im[i] = (float)s->w_im[i];
}

MLC_API mlc_result mlc_s4d_init(mlc_s4d *s, int H, int N, const float *log_dt,
                                const float *log_A_real, const float *A_imag, const float *C,
                                const float *D, mlc_arena *arena) {
    mlc_result r;
    int h, n;
    if (!s || !log_dt || !log_A_real || !A_imag || !C || !arena) return MLC_ERR_NULL;
    if ((r = mlc__s4d_alloc(s, H, N, D != NULL, arena)) != MLC_OK) return r;
    for (h = 0; h < H; h++)
        for (n = 0; n < N; n++) {
            size_t i = (size_t)h * N + (size_t)n;
            mlc__s4d_set(s, h, n, log_dt[h], log_A_real[i], A_imag[i], C[2 * i], C[2 * i + 1]);
        }
    if (D) memcpy(s->D, D, (size_t)H * sizeof(float));
    return MLC_OK;
}

/* Finds "<a><b>" in st and checks its rank and dims (dims < 0: any) and a
   float dtype; NULL with *r set (and st->bad_name) when it fails. When
   optional, a missing tensor gives NULL with *r = MLC_OK. */
static const mlc_st_tensor *mlc__ssm_find(const mlc_safetensors *st, const char *a, const char *b, int rank,
                                          int d0, int d1, int d2, int optional, mlc_result *r) {
    char name[320];
    size_t la = strlen(a), lb = strlen(b);
    const mlc_st_tensor *t;
    int dims[3], i;
    dims[0] = d0; dims[1] = d1; dims[2] = d2;
    *r = MLC_OK;
    if (la + lb + 1 > sizeof name) { *r = MLC_ERR_ARG; return NULL; }
    memcpy(name, a, la); memcpy(name + la, b, lb + 1);
    t = mlc_st_find(st, name);
    if (!t) { if (!optional) *r = mlc__st_blame(st, name, MLC_ERR_NOT_FOUND); return NULL; }
    if (!mlc__is_float_dtype(t->dtype)) { *r = mlc__st_blame(st, name, MLC_ERR_DTYPE); return NULL; }
    if (t->rank != rank) { *r = mlc__st_blame(st, name, MLC_ERR_SHAPE); return NULL; }
    for (i = 0; i < rank && i < 3; i++)
        if (t->shape[i] < 1 || (dims[i] >= 0 && t->shape[i] != dims[i])) { *r = mlc__st_blame(st, name, MLC_ERR_SHAPE); return NULL; }
    return t;
}

MLC_API mlc_result mlc_s4d_load(mlc_s4d *s, const mlc_safetensors *st, const char *prefix, mlc_arena *arena) {
    const mlc_st_tensor *ldt, *lar, *aim, *c, *d;
    mlc_result r;
    int H, N, h, n;
    if (!s || !st || !prefix || !arena) return MLC_ERR_NULL;
    memset(s, 0, sizeof *s);
    if (!(ldt = mlc__ssm_find(st, prefix, ".kernel.log_dt", 1, -1, 0, 0, 0, &r))) return r;
    H = ldt->shape[0];
    if (!(lar = mlc__ssm_find(st, prefix, ".kernel.log_A_real", 2, H, -1, 0, 0, &r))) return r;
    N = lar->shape[1];
    if (!(aim = mlc__ssm_find(st, prefix, ".kernel.A_imag", 2, H, N, 0, 0, &r))) return r;
    if (!(c = mlc__ssm_find(st, prefix, ".kernel.C", 3, H, N, 2, 0, &r))) return r;
    d = mlc__ssm_find(st, prefix, ".D", 1, H, 0, 0, 1, &r);
    if (r != MLC_OK) return r;
    if ((r = mlc__s4d_alloc(s, H, N, d != NULL, arena)) != MLC_OK) return r;
    for (h = 0; h < H; h++)
        for (n = 0; n < N; n++) {
            size_t i = (size_t)h * N + (size_t)n;
            mlc__s4d_set(s, h, n, mlc__elem_f32(ldt->data, ldt->dtype, (size_t)h),
                         mlc__elem_f32(lar->data, lar->dtype, i), mlc__elem_f32(aim->data, aim->dtype, i),
                         mlc__elem_f32(c->data, c->dtype, 2 * i), mlc__elem_f32(c->data, c->dtype, 2 * i + 1));
        }
    if (d) for (h = 0; h < H; h++) s->D[h] = mlc__elem_f32(d->data, d->dtype, (size_t)h);
    return MLC_OK;
}

MLC_API size_t mlc_s4d_state_floats(const mlc_s4d *s) {
    return s ? 2 * (size_t)s->H * (size_t)s->N : 0;
}

/* K[l,h] = 2 Re sum_n w dA^l, the powers by repeated multiplication in
   double, 64 modes at a time summed in double. */
MLC_API mlc_result mlc_s4d_kernel(const mlc_s4d *s, float *K, int L) {
    double pr[64], pi[64], ar[64], ai[64];
    int h, n0, k, l;
    if (!s || !K || !s->w_re) return MLC_ERR_NULL;
    if (L < 1) return MLC_ERR_ARG;
    for (h = 0; h < s->H; h++)
        for (n0 = 0; n0 < s->N; n0 += 64) {
            int nk = MLC__MIN(64, s->N - n0);
            for (k = 0; k < nk; k++) {
                size_t i = (size_t)(n0 + k) * s->H + (size_t)h;
                double e = MLC_EXP(s->lam_re[i]);
                pr[k] = s->w_re[i]; pi[k] = s->w_im[i];
                ar[k] = e * MLC_COS(s->lam_im[i]); ai[k] = e * MLC_SIN(s->lam_im[i]);
            }
            for (l = 0; l < L; l++) {
                double acc = 0.0;
                float *kp = K + (size_t)l * s->H + (size_t)h;
                for (k = 0; k < nk; k++) {
                    double t = pr[k] * ar[k] - pi[k] * ai[k];
                    acc += pr[k];
                    pi[k] = pr[k] * ai[k] + pi[k] * ar[k];
                    pr[k] = t;
                }
                *kp = n0 == 0 ? (float)(2.0 * acc) : *kp + (float)(2.0 * acc);
            }
        }
    return MLC_OK;
}

static mlc_result mlc__s4d_conv_check(int L, int H, const float *K, int Lk, const float *u, const float *y) {
    if (!K || !u || !y) return MLC_ERR_NULL;
    if (L < 1 || H < 1 || Lk < 1) return MLC_ERR_ARG;
    if ((size_t)H > SIZE_MAX / 4 / (size_t)MLC__MAX(L, Lk)) return MLC_ERR_UNSUPPORTED;
    return MLC_OK;
}

MLC_API mlc_result mlc_s4d_conv_f32(int L, int H, const float *K, int Lk, const float *u,
                                    const float *D, float *y) {
    int h0, l, r, j;
    mlc_result res = mlc__s4d_conv_check(L, H, K, Lk, u, y);
    if (res != MLC_OK) return res;
    for (h0 = 0; h0 < H; h0 += MLC__VW) {
        int w = MLC__MIN(MLC__VW, H - h0);
        mlc__vf dv = D ? mlc__ssm_ld(D + h0, w) : mlc__vset1(0.0f);
        for (l = 0; l < L; l += 4) {
            int rows = MLC__MIN(4, L - l), jall = MLC__MIN(l, Lk - 1);
            mlc__vf a0 = mlc__vset1(0.0f), a1 = a0, a2 = a0, a3 = a0;
            if (rows == 4) {
                /* taps every row has: j <= l */
                for (j = 0; j <= jall; j++) {
                    const float *up = u + (size_t)(l - j) * H + h0;
                    mlc__vf kv = mlc__ssm_ld(K + (size_t)j * H + h0, w);
                    a0 = mlc__vfma(kv, mlc__ssm_ld(up, w), a0);
                    a1 = mlc__vfma(kv, mlc__ssm_ld(up + H, w), a1);
                    a2 = mlc__vfma(kv, mlc__ssm_ld(up + 2 * H, w), a2);
                    a3 = mlc__vfma(kv, mlc__ssm_ld(up + 3 * H, w), a3);
                }
            } else {
                jall = -1;
            }
            for (r = 0; r < rows; r++) {
                mlc__vf acc = r == 0 ? a0 : r == 1 ? a1 : r == 2 ? a2 : a3;
                int jmax = MLC__MIN(l + r, Lk - 1);
                float *yp = y + (size_t)(l + r) * H + h0;
                const float *ur = u + (size_t)(l + r) * H + h0;
                for (j = jall + 1; j <= jmax; j++)
                    acc = mlc__vfma(mlc__ssm_ld(K + (size_t)j * H + h0, w),
                                    mlc__ssm_ld(u + (size_t)(l + r - j) * H + h0, w), acc);
                if (D) acc = mlc__vfma(dv, mlc__ssm_ld(ur, w), acc);
                mlc__ssm_st(yp, acc, w);
            }
        }
    }
    return MLC_OK;
}

MLC_API mlc_result mlc_s4d_conv_ref_f32(int L, int H, const float *K, int Lk, const float *u,
                                        const float *D, float *y) {
    int h, l, j;
    mlc_result res = mlc__s4d_conv_check(L, H, K, Lk, u, y);
    if (res != MLC_OK) return res;
    for (l = 0; l < L; l++)
        for (h = 0; h < H; h++) {
            float acc = 0.0f;
            for (j = 0; j <= l && j < Lk; j++) acc += K[(size_t)j * H + h] * u[(size_t)(l - j) * H + h];
            if (D) acc += D[h] * u[(size_t)l * H + h];
            y[(size_t)l * H + h] = acc;
        }
    return MLC_OK;
}

static mlc_result mlc__s4d_fwd_check(const mlc_s4d *s, const float *u, const float *y, int L) {
    if (!s || !u || !y || !s->dA_re) return MLC_ERR_NULL;
    if (L < 1) return MLC_ERR_ARG;
    if ((size_t)s->H > SIZE_MAX / 4 / (size_t)L) return MLC_ERR_UNSUPPORTED;
    return MLC_OK;
}

/* Vectorised over channels, 4 modes at a time in registers; y collects
   the real parts over the mode tiles and is finished (2 y + D u) after the
   last one. */
MLC_API mlc_result mlc_s4d_forward(const mlc_s4d *s, const float *u, float *y, int L, float *state) {
    const int H = s ? s->H : 0, N = s ? s->N : 0;
    size_t hn = (size_t)H * (size_t)N;
    int h0, n0, k, l;
    mlc_result r = mlc__s4d_fwd_check(s, u, y, L);
    if (r != MLC_OK) return r;
    for (h0 = 0; h0 < H; h0 += MLC__VW) {
        int w = MLC__MIN(MLC__VW, H - h0);
        for (n0 = 0; n0 < N; n0 += 4) {
            int nk = MLC__MIN(4, N - n0);
            mlc__vf ar[4], ai[4], cr[4], ci[4], xr[4], xi[4];
            for (k = 0; k < 4; k++) {
                size_t i = (size_t)(n0 + k) * H + (size_t)h0;
                if (k < nk) {
                    ar[k] = mlc__ssm_ld(s->dA_re + i, w); ai[k] = mlc__ssm_ld(s->dA_im + i, w);
                    cr[k] = mlc__ssm_ld(s->dC_re + i, w); ci[k] = mlc__ssm_ld(s->dC_im + i, w);
                    xr[k] = state ? mlc__ssm_ld(state + i, w) : mlc__vset1(0.0f);
                    xi[k] = state ? mlc__ssm_ld(state + hn + i, w) : mlc__vset1(0.0f);
                } else {
                    ar[k] = ai[k] = cr[k] = ci[k] = xr[k] = xi[k] = mlc__vset1(0.0f);
                }
            }
            for (l = 0; l < L; l++) {
                const float *up = u + (size_t)l * H + h0;
                float *yp = y + (size_t)l * H + h0;
                mlc__vf uv = mlc__ssm_ld(up, w), acc = n0 == 0 ? mlc__vset1(0.0f) : mlc__ssm_ld(yp, w);
                for (k = 0; k < 4; k++) {
                    mlc__vf nr = mlc__vfma(ar[k], xr[k], mlc__vfma(mlc__vxor(ai[k], mlc__vset1(-0.0f)), xi[k], uv));
                    xi[k] = mlc__vfma(ar[k], xi[k], mlc__vmul(ai[k], xr[k]));
                    xr[k] = nr;
                    acc = mlc__vfma(cr[k], xr[k], acc);
                    acc = mlc__vfma(mlc__vxor(ci[k], mlc__vset1(-0.0f)), xi[k], acc);
                }
                if (n0 + 4 >= N) {
                    acc = mlc__vadd(acc, acc);
                    if (s->D) acc = mlc__vfma(mlc__ssm_ld(s->D + h0, w), uv, acc);
                }
                mlc__ssm_st(yp, acc, w);
            }
            if (state)
                for (k = 0; k < nk; k++) {
                    size_t i = (size_t)(n0 + k) * H + (size_t)h0;
                    mlc__ssm_st(state + i, xr[k], w);
                    mlc__ssm_st(state + hn + i, xi[k], w);
                }
        }
    }
    return MLC_OK;
}

MLC_API mlc_result mlc_s4d_forward_ref(const mlc_s4d *s, const float *u, float *y, int L, float *state) {
    const int H = s ? s->H : 0, N = s ? s->N : 0;
    size_t hn = (size_t)H * (size_t)N;
    int h, n, l;
    mlc_result r = mlc__s4d_fwd_check(s, u, y, L);
    if (r != MLC_OK) return r;
    for (h = 0; h < H; h++) {
        for (l = 0; l < L; l++) y[(size_t)l * H + h] = 0.0f;
        for (n = 0; n < N; n++) {
            size_t i = (size_t)n * H + (size_t)h;
            float xr = state ? state[i] : 0.0f, xi = state ? state[hn + i] : 0.0f;
            for (l = 0; l < L; l++) {
                float nr = s->dA_re[i] * xr - s->dA_im[i] * xi + u[(size_t)l * H + h];
                xi = s->dA_re[i] * xi + s->dA_im[i] * xr;
                xr = nr;
                y[(size_t)l * H + h] += s->dC_re[i] * xr - s->dC_im[i] * xi;
            }
            if (state) { state[i] = xr; state[hn + i] = xi; }
        }
        for (l = 0; l < L; l++) {
            float *yp = y + (size_t)l * H + h;
            *yp = 2.0f * *yp + (s->D ? s->D[h] * u[(size_t)l * H + h] : 0.0f);
        }
    }
    return MLC_OK;
}

/* ---- Mamba block -------------------------------------------------------------- */
/* Horizontal sum through memory (g++ 12 warns on _mm512_reduce_add_ps
   inlined here). */
static float mlc__ssm_hsum(mlc__vf v) {
    float t[MLC__VW], s = 0.0f;
    int i;
    mlc__vstore(t, v);
    for (i = 0; i < MLC__VW; i++) s += t[i];
    return s;
}

/* RMSNorm (Mamba's rms_norm_ref: x / sqrt(mean x^2 + eps) * w) or, with
   layernorm, LayerNorm ((x - mean) / sqrt(var + eps) * w + b) of one row. */
static void mlc__ssm_norm(float *y, const float *x, int n, const float *w, const float *b, int layernorm, float eps) {
    mlc__vf s1 = mlc__vset1(0.0f), s2 = s1;
    float mean = 0.0f, rstd, ms;
    int i;
    if (layernorm) {
        for (i = 0; i + MLC__VW <= n; i += MLC__VW) s1 = mlc__vadd(s1, mlc__vload(x + i));
        mean = mlc__ssm_hsum(s1);
        for (; i < n; i++) mean += x[i];
        mean /= (float)n;
    }
    for (i = 0; i + MLC__VW <= n; i += MLC__VW) {
        mlc__vf d = mlc__vsub(mlc__vload(x + i), mlc__vset1(mean));
        s2 = mlc__vfma(d, d, s2);
    }
    ms = mlc__ssm_hsum(s2);
    for (; i < n; i++) ms += (x[i] - mean) * (x[i] - mean);
    rstd = 1.0f / MLC_SQRTF(ms / (float)n + eps);
    for (i = 0; i < n; i += MLC__VW) {
        int k = MLC__MIN(MLC__VW, n - i);
        mlc__vf v = mlc__vmul(mlc__vmul(mlc__vsub(mlc__ssm_ld(x + i, k), mlc__vset1(mean)), mlc__vset1(rstd)),
                              mlc__ssm_ld(w + i, k));
        if (b) v = mlc__vadd(v, mlc__ssm_ld(b + i, k));
        mlc__ssm_st(y + i, v, k);
    }
}

/* Reads a float tensor into a new arena array. */
static float *mlc__ssm_copy(const mlc_st_tensor *t, mlc_arena *arena) {
    float *p = (float *)mlc_arena_alloc(arena, t->numel * sizeof(float) + 1, 64);
    size_t i;
    if (p) for (i = 0; i < t->numel; i++) p[i] = mlc__elem_f32(t->data, t->dtype, i);
    return p;
}

/* Builds "<a><b>" into out (size 320); 0 if too long. */
static int mlc__ssm_cat(char *out, const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    if (la + lb + 1 > 320) return 0;
    memmove(out, a, la); memmove(out + la, b, lb + 1);
    return 1;
}

/* Records "<a><b>" as the bad tensor; returns r. */
static mlc_result mlc__ssm_blame(const mlc_safetensors *st, const char *a, const char *b, mlc_result r) {
    char name[320];
    if (mlc__ssm_cat(name, a, b)) mlc__st_blame(st, name, r);
    return r;
}

/* mlc_linear_load of "<a><b>" expecting in -> out features (< 0: any). */
static mlc_result mlc__ssm_linear(mlc_linear *l, const mlc_safetensors *st, const char *a, const char *b,
                                  int in, int out, mlc_arena *arena) {
    char name[320], wname[330];
    mlc_result r;
    if (!mlc__ssm_cat(name, a, b)) return MLC_ERR_ARG;
    if ((r = mlc_linear_load(l, st, name, arena)) != MLC_OK) return r;
    if ((in >= 0 && l->in_features != in) || (out >= 0 && l->out_features != out)) {
        mlc__ssm_cat(wname, name, ".weight");
        return mlc__st_blame(st, wname, MLC_ERR_SHAPE);
    }
    return MLC_OK;
}

static mlc_result mlc__mamba_load(mlc_mamba *m, const mlc_safetensors *st, const char *prefix,
                                  float norm_eps, mlc_arena *arena) {
    char mix[320], nrm[320];
    const mlc_st_tensor *t, *cw, *cb, *alog, *dd, *nw, *nb;
    mlc_result r;
    int di, dm, i;
    /* Block or bare mixer */
    if (!mlc__ssm_cat(mix, prefix, ".mixer.in_proj.weight")) return MLC_ERR_ARG;
    m->has_norm = mlc_st_find(st, mix) != NULL;
    if (m->has_norm) { mlc__ssm_cat(mix, prefix, ".mixer."); mlc__ssm_cat(nrm, prefix, ".norm."); }
    else if (!mlc__ssm_cat(mix, prefix, prefix[0] ? "." : "")) return MLC_ERR_ARG;
    if (!(t = mlc__ssm_find(st, mix, "in_proj.weight", 2, -1, -1, 0, 0, &r))) return r;
    if (t->shape[0] % 2) return mlc__ssm_blame(st, mix, "in_proj.weight", MLC_ERR_SHAPE);
    di = t->shape[0] / 2; dm = t->shape[1];
    if (!(cw = mlc__ssm_find(st, mix, "conv1d.weight", 3, di, 1, -1, 0, &r))) return r;
    if (cw->shape[2] > MLC__SSM_MAXW) return mlc__ssm_blame(st, mix, "conv1d.weight", MLC_ERR_UNSUPPORTED);
    cb = mlc__ssm_find(st, mix, "conv1d.bias", 1, di, 0, 0, 1, &r);
    if (r != MLC_OK) return r;
    if (!(alog = mlc__ssm_find(st, mix, "A_log", 2, di, -1, 0, 0, &r))) return r;
    if (!(dd = mlc__ssm_find(st, mix, "D", 1, di, 0, 0, 0, &r))) return r;
    m->d_model = dm; m->d_inner = di; m->d_conv = cw->shape[2]; m->d_state = alog->shape[1];
    if ((r = mlc__ssm_linear(&m->in_proj, st, mix, "in_proj", dm, 2 * di, arena)) != MLC_OK) return r;
    if ((r = mlc__ssm_linear(&m->dt_proj, st, mix, "dt_proj", -1, di, arena)) != MLC_OK) return r;
    m->dt_rank = m->dt_proj.in_features;
    if (!m->dt_proj.bias) return mlc__ssm_blame(st, mix, "dt_proj.bias", MLC_ERR_NOT_FOUND);
    m->dt_bias = m->dt_proj.bias; m->dt_proj.bias = NULL;   /* applied by the scan, as delta_bias */
    if (m->d_state > (INT_MAX - m->dt_rank) / 2) return mlc__ssm_blame(st, mix, "A_log", MLC_ERR_UNSUPPORTED);
    if ((r = mlc__ssm_linear(&m->x_proj, st, mix, "x_proj", di, m->dt_rank + 2 * m->d_state, arena)) != MLC_OK) return r;
    if ((r = mlc__ssm_linear(&m->out_proj, st, mix, "out_proj", di, dm, arena)) != MLC_OK) return r;
    if (!(m->conv_w = (float *)mlc_arena_alloc(arena, cw->numel * sizeof(float), 64))) return MLC_ERR_NOMEM;
    for (i = 0; i < di; i++) {   /* [di, 1, W] -> tap-major [W][di] */
        int k;
        for (k = 0; k < m->d_conv; k++)
            m->conv_w[(size_t)k * di + (size_t)i] = mlc__elem_f32(cw->data, cw->dtype, (size_t)i * m->d_conv + (size_t)k);
    }
    if (cb && !(m->conv_b = mlc__ssm_copy(cb, arena))) return MLC_ERR_NOMEM;
    if (!(m->D = mlc__ssm_copy(dd, arena))) return MLC_ERR_NOMEM;
    /* A2[n][d] = -exp(A_log[d][n]) log2(e): what the scan's kernel multiplies
       dt by, channels contiguous; rounded as the kernel would round it */
    if (!(m->A2 = (float *)mlc_arena_alloc(arena, alog->numel * sizeof(float), 64))) return MLC_ERR_NOMEM;
    for (i = 0; i < di; i++) {
        int k;
        for (k = 0; k < m->d_state; k++) {
            float a = -MLC_EXPF(mlc__elem_f32(alog->data, alog->dtype, (size_t)i * m->d_state + (size_t)k));
            m->A2[(size_t)k * di + (size_t)i] = a * 1.44269504088896341f;
        }
    }
    m->norm_eps = norm_eps;
    if (m->has_norm) {
        if (!(nw = mlc__ssm_find(st, nrm, "weight", 1, dm, 0, 0, 0, &r))) return r;
        nb = mlc__ssm_find(st, nrm, "bias", 1, dm, 0, 0, 1, &r);
        if (r != MLC_OK) return r;
        m->norm_is_layernorm = nb != NULL;
        if (!(m->norm_w = mlc__ssm_copy(nw, arena))) return MLC_ERR_NOMEM;
        if (nb && !(m->norm_b = mlc__ssm_copy(nb, arena))) return MLC_ERR_NOMEM;
    }
    return MLC_OK;
}

MLC_API mlc_result mlc_mamba_load(mlc_mamba *m, const mlc_safetensors *st, const char *prefix,
                                  float norm_eps, mlc_arena *arena) {
    size_t mark;
    mlc_result r;
    if (!m || !st || !prefix || !arena) return MLC_ERR_NULL;
    memset(m, 0, sizeof *m);
    if (!(norm_eps >= 0.0f)) return MLC_ERR_ARG;
    mark = mlc_arena_mark(arena);
    if ((r = mlc__mamba_load(m, st, prefix, norm_eps, arena)) != MLC_OK) {
        mlc_arena_reset(arena, mark);
        memset(m, 0, sizeof *m);
    }
    return r;
}

static size_t mlc__mamba_state_floats(const mlc_mamba *m) {
    return (size_t)(m->d_conv - 1) * (size_t)m->d_inner + (size_t)m->d_inner * (size_t)m->d_state;
}

MLC_API mlc_result mlc_mamba_state_init(const mlc_mamba *m, mlc_mamba_state *s, mlc_arena *arena) {
    float *p;
    if (!m || !s || !arena) return MLC_ERR_NULL;
    memset(s, 0, sizeof *s);
    if (!m->in_proj.packed_w) return MLC_ERR_NULL;
    p = (float *)mlc_arena_alloc(arena, mlc__mamba_state_floats(m) * sizeof(float) + 1, 64);
    if (!p) return MLC_ERR_NOMEM;
    s->conv = p;
    s->ssm = p + (size_t)(m->d_conv - 1) * (size_t)m->d_inner;
    mlc_mamba_state_reset(m, s);
    return MLC_OK;
}

MLC_API void mlc_mamba_state_reset(const mlc_mamba *m, mlc_mamba_state *s) {
    if (!m || !s || !s->conv || !s->ssm) return;
    if (m->d_conv > 1) memset(s->conv, 0, (size_t)(m->d_conv - 1) * (size_t)m->d_inner * sizeof(float));
    memset(s->ssm, 0, (size_t)m->d_inner * (size_t)m->d_state * sizeof(float));
}

/* Floats of scratch per row of a chunk, and per call. */
static size_t mlc__mamba_row_floats(const mlc_mamba *m) {
    return (size_t)m->d_model + 6 * (size_t)m->d_inner + (size_t)(m->dt_rank + 2 * m->d_state);
}

MLC_API size_t mlc_mamba_scratch_bytes(const mlc_mamba *m, int L) {
    size_t rows;
    if (!m || !m->in_proj.packed_w || L < 1) return 0;
    rows = (size_t)MLC__MIN(L, MLC_MAMBA_ROWS);
    return (rows * mlc__mamba_row_floats(m) + mlc__mamba_state_floats(m)) * sizeof(float) + 10 * 64;
}

/* Rows [0, R) of x (row stride dm), through the block; state carried. */
static mlc_result mlc__mamba_rows(const mlc_mamba *m, const mlc_ctx *ctx, float *x, int R, mlc_mamba_state *s,
                                  float *nb, float *xz, float *xc, float *xdbl, float *dt, float *yy) {
    const int dm = m->d_model, di = m->d_inner, N = m->d_state, rk = m->dt_rank, nx = rk + 2 * N;
    const float *src = x;
    mlc_result r;
    int i;
    if (m->has_norm) {
        for (i = 0; i < R; i++)
            mlc__ssm_norm(nb + (size_t)i * dm, x + (size_t)i * dm, dm, m->norm_w, m->norm_b, m->norm_is_layernorm, m->norm_eps);
        src = nb;
    }
    if ((r = mlc_gemm_packed_f32(ctx, R, 2 * di, dm, src, dm, m->in_proj.packed_w, m->in_proj.bias, xz, 2 * di,
                                 MLC_ACT_NONE, 0.0f)) != MLC_OK) return r;
    mlc__ssm_conv1d(R, di, m->d_conv, xz, 2 * di, m->conv_w, 1, (size_t)di, m->conv_b, s->conv, xc, di, MLC_ACT_SILU);
    if ((r = mlc_gemm_packed_f32(ctx, R, nx, di, xc, di, m->x_proj.packed_w, m->x_proj.bias, xdbl, nx,
                                 MLC_ACT_NONE, 0.0f)) != MLC_OK) return r;
    if ((r = mlc_gemm_packed_f32(ctx, R, di, rk, xdbl, nx, m->dt_proj.packed_w, NULL, dt, di,
                                 MLC_ACT_NONE, 0.0f)) != MLC_OK) return r;
    mlc__ssm_scan(ctx, R, di, N, 1, xc, (size_t)di, dt, (size_t)di, m->A2, 1, (size_t)di, 1,
                  xdbl + rk, xdbl + rk + N, (size_t)nx, m->D, xz + di, (size_t)(2 * di), m->dt_bias, 1,
                  yy, (size_t)di, s->ssm, 1, (size_t)di);
    if ((r = mlc_gemm_packed_f32(ctx, R, dm, di, yy, di, m->out_proj.packed_w, m->out_proj.bias, nb, dm,
                                 MLC_ACT_NONE, 0.0f)) != MLC_OK) return r;
    if (m->has_norm) mlc_add_f32(x, x, nb, (size_t)R * dm);
    else memcpy(x, nb, (size_t)R * dm * sizeof(float));
    return MLC_OK;
}

static mlc_result mlc__mamba_run(const mlc_mamba *m, const mlc_ctx *ctx, float *x, int L,
                                 mlc_mamba_state *state, mlc_arena *scratch) {
    const int rows = MLC__MIN(L, MLC_MAMBA_ROWS);
    const size_t R = (size_t)rows, dm = (size_t)m->d_model, di = (size_t)m->d_inner;
    size_t mark = mlc_arena_mark(scratch);
    float *nb, *xz, *xc, *xdbl, *dt, *yy;
    mlc_mamba_state local;
    mlc_result r = MLC_OK;
    int l0;
    nb = (float *)mlc_arena_alloc(scratch, R * dm * sizeof(float), 64);
    xz = (float *)mlc_arena_alloc(scratch, R * 2 * di * sizeof(float), 64);
    xc = (float *)mlc_arena_alloc(scratch, R * di * sizeof(float), 64);
    xdbl = (float *)mlc_arena_alloc(scratch, R * (size_t)(m->dt_rank + 2 * m->d_state) * sizeof(float), 64);
    dt = (float *)mlc_arena_alloc(scratch, R * di * sizeof(float), 64);
    yy = (float *)mlc_arena_alloc(scratch, R * di * sizeof(float), 64);
    if (!state) {
        float *p = (float *)mlc_arena_alloc(scratch, mlc__mamba_state_floats(m) * sizeof(float) + 1, 64);
        local.conv = p;
        local.ssm = p ? p + (size_t)(m->d_conv - 1) * di : NULL;
        if (p) mlc_mamba_state_reset(m, &local);
        state = &local;
    }
    if (!nb || !xz || !xc || !xdbl || !dt || !yy || !state->conv) { mlc_arena_reset(scratch, mark); return MLC_ERR_NOMEM; }
    for (l0 = 0; l0 < L && r == MLC_OK; l0 += rows)
        r = mlc__mamba_rows(m, ctx, x + (size_t)l0 * dm, MLC__MIN(rows, L - l0), state, nb, xz, xc, xdbl, dt, yy);
    mlc_arena_reset(scratch, mark);
    return r;
}

MLC_API mlc_result mlc_mamba_forward(const mlc_mamba *m, const mlc_ctx *ctx, mlc_tensor *x,
                                     mlc_mamba_state *state, mlc_arena *scratch) {
    mlc_result r;
    if (!m || !x || !scratch) return MLC_ERR_NULL;
    if (!m->in_proj.packed_w) return MLC_ERR_NULL;
    if (state && (!state->conv || !state->ssm)) return MLC_ERR_NULL;
    if ((r = mlc__check_f32(x)) != MLC_OK) return r;
    if (x->rank != 2 || x->shape[1] != m->d_model) return MLC_ERR_SHAPE;
    return mlc__mamba_run(m, ctx, (float *)x->data, x->shape[0], state, scratch);
}

MLC_API mlc_result mlc_mamba_step(const mlc_mamba *m, const mlc_ctx *ctx, float *x,
                                  mlc_mamba_state *state, mlc_arena *scratch) {
    if (!m || !x || !state || !scratch || !state->conv || !state->ssm || !m->in_proj.packed_w) return MLC_ERR_NULL;
    return mlc__mamba_run(m, ctx, x, 1, state, scratch);
}

/* ---- Mamba language model ----------------------------------------------------- */
/* "backbone.layers.<i>" */
static void mlc__ssm_layer_name(char *out, int i) {
    char num[16];
    int k = 0, j;
    do { num[k++] = (char)('0' + i % 10); i /= 10; } while (i && k < 15);
    memcpy(out, "backbone.layers.", 16);
    for (j = 0; j < k; j++) out[16 + j] = num[k - 1 - j];
    out[16 + k] = '\0';
}

static mlc_result mlc__mamba_lm_load(mlc_mamba_lm *lm, const mlc_safetensors *st, float norm_eps, mlc_arena *arena) {
    char name[320];
    const mlc_st_tensor *emb, *nw, *nb, *head;
    mlc_result r;
    int i, n = 0, V, dm;
    if (!(emb = mlc__ssm_find(st, "backbone.embedding.weight", "", 2, -1, -1, 0, 0, &r))) return r;
    V = emb->shape[0]; dm = emb->shape[1];
    for (;;) {
        mlc__ssm_layer_name(name, n);
        mlc__ssm_cat(name, name, ".mixer.in_proj.weight");
        if (!mlc_st_find(st, name)) break;
        if (++n == 1 << 20) return MLC_ERR_UNSUPPORTED;
    }
    if (n == 0) return mlc__st_blame(st, "backbone.layers.0.mixer.in_proj.weight", MLC_ERR_NOT_FOUND);
    lm->vocab = V; lm->d_model = dm; lm->n_layer = n; lm->norm_eps = norm_eps;
    if (!(lm->embedding = mlc__ssm_copy(emb, arena))) return MLC_ERR_NOMEM;
    lm->layers = (mlc_mamba *)mlc_arena_alloc(arena, (size_t)n * sizeof(mlc_mamba), 16);
    if (!lm->layers) return MLC_ERR_NOMEM;
    for (i = 0; i < n; i++) {
        mlc__ssm_layer_name(name, i);
        if ((r = mlc_mamba_load(&lm->layers[i], st, name, norm_eps, arena)) != MLC_OK) return r;
        if (lm->layers[i].d_model != dm) {
            mlc__ssm_cat(name, name, ".mixer.in_proj.weight");
            return mlc__st_blame(st, name, MLC_ERR_SHAPE);
        }
    }
    if (!(nw = mlc__ssm_find(st, "backbone.norm_f.weight", "", 1, dm, 0, 0, 0, &r))) return r;
    nb = mlc__ssm_find(st, "backbone.norm_f.bias", "", 1, dm, 0, 0, 1, &r);
    if (r != MLC_OK) return r;
    lm->norm_is_layernorm = nb != NULL;
    if (!(lm->norm_f_w = mlc__ssm_copy(nw, arena))) return MLC_ERR_NOMEM;
    if (nb && !(lm->norm_f_b = mlc__ssm_copy(nb, arena))) return MLC_ERR_NOMEM;
    head = mlc_st_find(st, "lm_head.weight");
    if (head) return mlc__ssm_linear(&lm->lm_head, st, "lm_head", "", dm, V, arena);
    return mlc_linear_init(&lm->lm_head, lm->embedding, NULL, dm, V, arena);
}

MLC_API mlc_result mlc_mamba_lm_load(mlc_mamba_lm *lm, const mlc_safetensors *st, float norm_eps,
                                     mlc_arena *arena) {
    size_t mark;
    mlc_result r;
    if (!lm || !st || !arena) return MLC_ERR_NULL;
    memset(lm, 0, sizeof *lm);
    if (!(norm_eps >= 0.0f)) return MLC_ERR_ARG;
    mark = mlc_arena_mark(arena);
    if ((r = mlc__mamba_lm_load(lm, st, norm_eps, arena)) != MLC_OK) {
        mlc_arena_reset(arena, mark);
        memset(lm, 0, sizeof *lm);
    }
    return r;
}

MLC_API mlc_result mlc_mamba_lm_state_init(const mlc_mamba_lm *lm, mlc_mamba_state **states, mlc_arena *arena) {
    size_t mark;
    mlc_mamba_state *s;
    mlc_result r;
    int i;
    if (!lm || !states || !arena) return MLC_ERR_NULL;
    *states = NULL;
    if (!lm->layers) return MLC_ERR_NULL;
    mark = mlc_arena_mark(arena);
    s = (mlc_mamba_state *)mlc_arena_alloc(arena, (size_t)lm->n_layer * sizeof(mlc_mamba_state), 16);
    if (!s) return MLC_ERR_NOMEM;
    for (i = 0; i < lm->n_layer; i++)
        if ((r = mlc_mamba_state_init(&lm->layers[i], &s[i], arena)) != MLC_OK) { mlc_arena_reset(arena, mark); return r; }
    *states = s;
    return MLC_OK;
}

MLC_API void mlc_mamba_lm_state_reset(const mlc_mamba_lm *lm, mlc_mamba_state *states) {
    int i;
    if (!lm || !states || !lm->layers) return;
    for (i = 0; i < lm->n_layer; i++) mlc_mamba_state_reset(&lm->layers[i], &states[i]);
}

MLC_API size_t mlc_mamba_lm_scratch_bytes(const mlc_mamba_lm *lm, int L) {
    size_t most = 0, b;
    int i, rows;
    if (!lm || !lm->layers || L < 1) return 0;
    rows = MLC__MIN(L, MLC_MAMBA_ROWS);
    for (i = 0; i < lm->n_layer; i++)
        if ((b = mlc_mamba_scratch_bytes(&lm->layers[i], rows)) > most) most = b;
    return most + (size_t)rows * (size_t)lm->d_model * sizeof(float) + 64;
}

MLC_API mlc_result mlc_mamba_lm_forward(const mlc_mamba_lm *lm, const mlc_ctx *ctx, const int *tokens,
                                        int L, float *logits, mlc_mamba_state *states,
                                        mlc_arena *scratch) {
    const int rows = MLC__MIN(L, MLC_MAMBA_ROWS);
    const size_t dm = lm ? (size_t)lm->d_model : 0;
    size_t mark;
    float *x;
    mlc_result r = MLC_OK;
    int l0, i, k;
    if (!lm || !tokens || !logits || !states || !scratch) return MLC_ERR_NULL;
    if (!lm->layers) return MLC_ERR_NULL;
    if (L < 1) return MLC_ERR_ARG;
    for (i = 0; i < L; i++) if (tokens[i] < 0 || tokens[i] >= lm->vocab) return MLC_ERR_ARG;
    for (i = 0; i < lm->n_layer; i++) if (!states[i].conv || !states[i].ssm) return MLC_ERR_NULL;
    mark = mlc_arena_mark(scratch);
    x = (float *)mlc_arena_alloc(scratch, (size_t)rows * dm * sizeof(float), 64);
    if (!x) return MLC_ERR_NOMEM;
    for (l0 = 0; l0 < L && r == MLC_OK; l0 += rows) {
        int R = MLC__MIN(rows, L - l0);
        for (k = 0; k < R; k++)
            memcpy(x + (size_t)k * dm, lm->embedding + (size_t)tokens[l0 + k] * dm, dm * sizeof(float));
        for (i = 0; i < lm->n_layer && r == MLC_OK; i++)
            r = mlc__mamba_run(&lm->layers[i], ctx, x, R, &states[i], scratch);
        if (r != MLC_OK) break;
        for (k = 0; k < R; k++)
            mlc__ssm_norm(x + (size_t)k * dm, x + (size_t)k * dm, (int)dm, lm->norm_f_w, lm->norm_f_b,
                          lm->norm_is_layernorm, lm->norm_eps);
        r = mlc_gemm_packed_f32(ctx, R, lm->vocab, (int)dm, x, (int)dm, lm->lm_head.packed_w, lm->lm_head.bias,
                                logits + (size_t)l0 * (size_t)lm->vocab, lm->vocab, MLC_ACT_NONE, 0.0f);
    }
    mlc_arena_reset(scratch, mark);
    return r;
}

MLC_API mlc_result mlc_mamba_lm_step(const mlc_mamba_lm *lm, const mlc_ctx *ctx, int token,
                                     float *logits, mlc_mamba_state *states, mlc_arena *scratch) {
    return mlc_mamba_lm_forward(lm, ctx, &token, 1, logits, states, scratch);
}

// >>ngram ----------------------------------------------------------------
/* N-gram language models.

   Query structure (KenLM's "probing" idea, made smaller):
     unigrams   [vocab][2] floats indexed by word id: log10 p, backoff
     order n>=2 one open-addressing table per order of 16-byte slots
                {key u64, log10 p f32, backoff f32}; the highest order has
                no backoff: 12-byte slots {key u64, log10 p f32}
     vocabulary the words, NUL-terminated, in id order, and a hash table
                (power of two, 16-byte slots {first 8 bytes u64, id u32,
                len u32}: a word of up to 8 bytes is verified in the slot)
     words      optional: each n-gram's word ids, for writing ARPA
   An n-gram w1..wn is hashed backwards from its last word,
       k = f(seed ^ (wn+1) C1), then k = f(k ^ (w(j)+1) C2) for j = n-1..1
   (f = murmur3's 64-bit finaliser, 0 mapped to 1: 0 marks an empty slot),
   so a query extends the key by one context word per order, and a text's
   keys can be made (and their slots prefetched) a few tokens ahead. A table
   of count n-grams has count * 100 / MLC_NGRAM_LOAD + 1 slots (any size,
   not a power of two); a key's home slot is (key_hi32 * slots) >> 32, so
   homes grow with the key. Slots are kept sorted by key along each run
   (Robin Hood insertion with ties broken by key, circular), so a lookup
   walks from the home slot and stops at the key, an empty slot, or a
   larger key: about 3 slots (48 bytes) for a hit or a miss at the default
   80 % load. KenLM uses 1.5 slots per n-gram of 16 (12) bytes: 24 (18)
   bytes per n-gram; we use 20 (15).
   Flags ride in sign bits, as in KenLM: a stored log10 p with the sign bit
   set means "some longer n-gram ends with this one" (else the search for a
   longer match stops: it cannot succeed); a backoff of -0.0 means "not a
   context of any longer n-gram" (the state then drops it). True values are
   -|p| and the backoff with its zero sign cleared.

   Training (mlc_ngram_train): the text becomes a stream of word ids (<s>
   w1 .. wk </s> per line); the text positions are sorted by the n-gram
   starting there, one stable counting sort per order (mlc__ngram_count),
   which gives each order's distinct n-grams in ARPA order with their raw
   counts and the indices of their context and suffix: no hash tables, no
   lookups. Then lmplz's steps in float32 (see mlc__ngram_kn), each array
   freed as soon as it is used up; the model block is allocated last.
   Temporary memory: 12 bytes per n-gram and 16 per token at the peak (the
   end of counting): 20-24 bytes per n-gram in all for the 5- and 3-gram
   models of a 600k-word text. */
#ifndef MLC_NGRAM_LOAD
#define MLC_NGRAM_LOAD 80           /* percent of query-table slots used (50..95) */
#endif
#ifndef MLC_LOG10F
#define MLC_LOG10F(x) log10f(x)
#endif
#define MLC__NGRAM_MAX_LINE (1u << 21)   /* longest ARPA line read: 2 MiB */
#define MLC__NGRAM_C1 0x9E3779B97F4A7C15ull
#define MLC__NGRAM_C2 0xD6E8FEB86659FD93ull
#define MLC__NGRAM_NONE 0xFFFFFFFFu

#if defined(__GNUC__) || defined(__clang__)
#  define MLC__NGRAM_PREFETCH(p) __builtin_prefetch((const void *)(p))
#else
#  define MLC__NGRAM_PREFETCH(p) ((void)(p))
#endif

/* ---- keys ------------------------------------------------------------------ */
MLC__INLINE uint64_t mlc__ngram_fmix(uint64_t k) {
    k ^= k >> 33; k *= 0xff51afd7ed558ccdull;
    k ^= k >> 33; k *= 0xc4ceb9fe1a85ec53ull;
    k ^= k >> 33;
    return k;
}
MLC__INLINE uint64_t mlc__ngram_k1(uint64_t seed, uint32_t w) {
    uint64_t k = mlc__ngram_fmix(seed ^ (((uint64_t)w + 1u) * MLC__NGRAM_C1));
    return k ? k : 1u;
}
MLC__INLINE uint64_t mlc__ngram_kx(uint64_t k, uint32_t w) {
    k = mlc__ngram_fmix(k ^ (((uint64_t)w + 1u) * MLC__NGRAM_C2));
    return k ? k : 1u;
}
/* Key of w[0..n) (oldest first). */
static uint64_t mlc__ngram_key(uint64_t seed, const uint32_t *w, int n) {
    uint64_t k = mlc__ngram_k1(seed, w[n - 1]);
    int j;
    for (j = n - 2; j >= 0; j--) k = mlc__ngram_kx(k, w[j]);
    return k;
}
MLC__INLINE uint32_t mlc__ngram_home(uint64_t key, uint32_t slots) {
    return (uint32_t)(((key >> 32) * (uint64_t)slots) >> 32);
}
#if (defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__) || \
    defined(_M_X64) || defined(_M_IX86) || defined(_M_ARM64)
#define MLC__NGRAM_LE 1
#endif
/* s[0..n) (n < 8) as an integer, byte i at bits 8i; bytes up to end may be read */
MLC__INLINE uint64_t mlc__ngram_tail8(const unsigned char *s, size_t n, const unsigned char *end) {
    uint64_t v = 0;
    size_t i;
#ifdef MLC__NGRAM_LE
    if (end >= s && (size_t)(end - s) >= 8) { memcpy(&v, s, 8); return v & (((uint64_t)1 << (8 * n)) - 1); }
#else
    (void)end;
#endif
    for (i = 0; i < n; i++) v |= (uint64_t)s[i] << (8 * i);
    return v;
}
/* Hash of the word s[0..n), and *head = its first 8 bytes (the first
   8-byte chunk, or the short word as by mlc__ngram_tail8): what the
   vocabulary table stores to verify a match without reading the strings. */
MLC__INLINE uint64_t mlc__ngram_whash(const unsigned char *s, size_t n, const unsigned char *end, uint64_t *head) {
    uint64_t h = 0x243F6A8885A308D3ull ^ ((uint64_t)n * MLC__NGRAM_C1), v;
    size_t r = n;
    if (n >= 8) memcpy(head, s, 8);
    while (r >= 8) {
        memcpy(&v, s, 8);
        h = (h ^ v) * 0x9FB21C651E98DF25ull;
        h ^= h >> 29;
        s += 8; r -= 8;
    }
    v = mlc__ngram_tail8(s, r, end);
    if (n < 8) *head = v;
    return mlc__ngram_fmix(h ^ v ^ ((uint64_t)r << 59));
}

/* ---- query tables -----------------------------------------------------------
   A slot: key u64 at 0, log10 p f32 at 8, backoff f32 at 12 (not in the
   highest order's 12-byte slots). */
MLC__INLINE size_t mlc__ngram_stride(const mlc_ngram *m, int n) { return n == m->order ? 12u : 16u; }

MLC__INLINE const unsigned char *mlc__ngram_find(const unsigned char *tab, uint32_t slots, size_t stride,
                                                uint64_t key) {
    uint32_t i = mlc__ngram_home(key, slots);
    int wrapped = 0;
    for (;;) {
        const unsigned char *p = tab + (size_t)i * stride;
        uint64_t k;
        memcpy(&k, p, 8);
        if (k == key) return p;
        if (k - 1u >= key) {             /* empty slot, or a larger key */
            if (k == 0) return NULL;
            /* a larger key that wrapped around from the table's end: go on */
            if (wrapped || mlc__ngram_home(k, slots) <= i) return NULL;
        }
        if (++i == slots) { i = 0; wrapped = 1; }
    }
}

/* Inserts key with its 4 or 8 bytes of values; 1 if the key is there. */
static int mlc__ngram_insert(unsigned char *tab, uint32_t slots, size_t stride, uint64_t key,
                             float prob, float backoff) {
    unsigned char cur[16], tmp[16];
    uint32_t i = mlc__ngram_home(key, slots), d = 0;
    memcpy(cur, &key, 8); memcpy(cur + 8, &prob, 4); memcpy(cur + 12, &backoff, 4);
    for (;;) {
        unsigned char *p = tab + (size_t)i * stride;
        uint64_t k, ck;
        uint32_t hk, dk;
        memcpy(&k, p, 8);
        memcpy(&ck, cur, 8);
        if (k == 0) { memcpy(p, cur, stride); return 0; }
        if (k == ck) return 1;
        hk = mlc__ngram_home(k, slots);
        dk = i >= hk ? i - hk : i + slots - hk;
        if (dk < d || (dk == d && k > ck)) {   /* keep runs sorted by (home, key) */
            memcpy(tmp, p, stride); memcpy(p, cur, stride); memcpy(cur, tmp, stride);
            d = dk;
        }
        if (++i == slots) i = 0;
        d++;
    }
}

MLC__INLINE uint32_t mlc__ngram_fbits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
MLC__INLINE float mlc__ngram_bitsf(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
/* a stored backoff says "context of a longer n-gram" unless it is -0.0 */
MLC__INLINE int mlc__ngram_extends(float b) { return mlc__ngram_fbits(b) != 0x80000000u; }
MLC__INLINE float mlc__ngram_true_bo(float b) { return b == 0.0f ? 0.0f : b; }
MLC__INLINE float mlc__ngram_true_p(float p) { return -MLC_FABSF(p); }

/* Slot of n-gram w[0..n) (n >= 2) or NULL. */
static unsigned char *mlc__ngram_slot(const mlc_ngram *m, const uint32_t *w, int n) {
    return (unsigned char *)mlc__ngram_find(m->tab_[n - 1], m->slots_[n - 1], mlc__ngram_stride(m, n),
                                            mlc__ngram_key(m->seed_, w, n));
}
/* Pointers to the stored log10 p and backoff of w[0..n) (n >= 1); 0 if absent. */
static int mlc__ngram_vals(const mlc_ngram *m, const uint32_t *w, int n, float **prob, float **bo) {
    unsigned char *s;
    if (n == 1) {
        if (w[0] >= m->vocab_size) return 0;
        *prob = m->uni_ + 2 * (size_t)w[0]; *bo = *prob + 1;
        return 1;
    }
    if (!(s = mlc__ngram_slot(m, w, n))) return 0;
    *prob = (float *)(void *)(s + 8);
    *bo = n < m->order ? (float *)(void *)(s + 12) : NULL;
    return 1;
}

/* After n-gram w[0..n) (n >= 2) is in: flag its suffix as extended to the
   left and its context as extended to the right (for n > 2 found by their
   keys ksuf and kctx). */
static void mlc__ngram_mark(mlc_ngram *m, const uint32_t *w, int n, uint64_t ksuf, uint64_t kctx) {
    unsigned char *s, *c;
    float *p, *b;
    uint32_t u;
    if (n == 2) {
        s = w[1] < m->vocab_size ? (unsigned char *)(m->uni_ + 2 * (size_t)w[1]) : NULL;
        c = w[0] < m->vocab_size ? (unsigned char *)(m->uni_ + 2 * (size_t)w[0]) : NULL;
    } else {
        size_t st = mlc__ngram_stride(m, n - 1);
        s = (unsigned char *)mlc__ngram_find(m->tab_[n - 2], m->slots_[n - 2], st, ksuf);
        c = (unsigned char *)mlc__ngram_find(m->tab_[n - 2], m->slots_[n - 2], st, kctx);
        if (s) s += 8;
        if (c) c += 8;
    }
    if (s) { p = (float *)(void *)s; memcpy(&u, p, 4); u |= 0x80000000u; memcpy(p, &u, 4); }
    else m->status |= MLC_NGRAM_ST_NOT_CLOSED;
    if (c) { b = (float *)(void *)(c + 4); if (mlc__ngram_fbits(*b) == 0x80000000u) *b = 0.0f; }
    else m->status |= MLC_NGRAM_ST_NOT_CLOSED;
}

/* Stored form of a true (log10 p, backoff): p > -0 without the flag, a zero
   backoff as -0.0 (flags set later by mlc__ngram_mark). */
MLC__INLINE float mlc__ngram_store_p(float p) { return MLC_FABSF(p); }
MLC__INLINE float mlc__ngram_store_bo(float b) { return b == 0.0f ? -0.0f : b; }

/* ---- numbers ----------------------------------------------------------------
   Decimal to float32 correctly rounded when the significand has at most 19
   digits of which the value fits 2^53 and the exponent is within 10^+-22
   (every number an ARPA writer prints): one exact double operation, then
   the residual from fma() decides the rare double-rounding ties.
   Otherwise a double approximation (within an ulp). Locale-independent. */
static const double mlc__ngram_p10[23] = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22 };

/* q = the correctly rounded m * 10^e (|e| <= 22, m exact) and the sign of
   the rounding error (true value - q). */
static double mlc__ngram_scale10(double m, int e, int *side) {
    double q, r;
    if (e >= 0) { q = m * mlc__ngram_p10[e]; r = fma(m, mlc__ngram_p10[e], -q); }
    else { q = m / mlc__ngram_p10[-e]; r = fma(-q, mlc__ngram_p10[-e], m); }
    *side = r > 0 ? 1 : r < 0 ? -1 : 0;
    return q;
}
/* Rounds q >= 0 (with the sign of its error) to float. */
static float mlc__ngram_to_float(double q, int side) {
    float f = (float)q;
    uint32_t u;
    double lo, hi;
    if ((double)f == q || side == 0 || q > 3.4028234663852886e38) return f;
    memcpy(&u, &f, 4);
    if ((double)f < q) { lo = f; u++; memcpy(&f, &u, 4); hi = f; }      /* the float neighbours of q */
    else { hi = f; u--; memcpy(&f, &u, 4); lo = f; }
    if (q != lo + (hi - lo) * 0.5) return (float)q;  /* not a tie: q's side is the true side */
    return side > 0 ? (float)hi : (float)lo;
}

/* Parses s[0..n) entirely as a number; 0 on success. */
static int mlc__ngram_parse_float(const char *s, size_t n, float *out) {
    const char *e = s + n;
    int neg = 0, digits = 0, any = 0, dropped = 0, side;
    long exp10 = 0;
    uint64_t mant = 0;
    double q;
    if (s < e && (*s == '+' || *s == '-')) neg = *s++ == '-';
    if (s == e) return 1;
    if ((e - s == 3 || e - s == 8) && (s[0] | 32) == 'i' && (s[1] | 32) == 'n' && (s[2] | 32) == 'f') {
        if (e - s == 8) {
            static const char rest[] = "inity";
            int i;
            for (i = 0; i < 5; i++) if ((s[3 + i] | 32) != rest[i]) return 1;
        }
        *out = neg ? -HUGE_VALF : HUGE_VALF;
        return 0;
    }
    if (e - s == 3 && (s[0] | 32) == 'n' && (s[1] | 32) == 'a' && (s[2] | 32) == 'n') { *out = NAN; return 0; }
    for (; s < e && *s >= '0' && *s <= '9'; s++) {
        any = 1;
        if (mant == 0 && *s == '0') continue;
        if (digits < 19) { mant = mant * 10u + (uint64_t)(*s - '0'); digits++; }
        else { exp10++; if (*s != '0') dropped = 1; }
    }
    if (s < e && *s == '.') {
        for (s++; s < e && *s >= '0' && *s <= '9'; s++) {
            any = 1;
            if (mant == 0 && *s == '0') { exp10--; continue; }
            if (digits < 19) { mant = mant * 10u + (uint64_t)(*s - '0'); digits++; exp10--; }
            else if (*s != '0') dropped = 1;
        }
    }
    if (!any) return 1;
    if (s < e && (*s == 'e' || *s == 'E')) {
        int eneg = 0, edig = 0;
        long ev = 0;
        s++;
        if (s < e && (*s == '+' || *s == '-')) eneg = *s++ == '-';
        for (; s < e && *s >= '0' && *s <= '9'; s++) { edig = 1; if (ev < 100000) ev = ev * 10 + (*s - '0'); }
        if (!edig) return 1;
        exp10 += eneg ? -ev : ev;
    }
    if (s != e) return 1;
    if (mant == 0) { *out = neg ? -0.0f : 0.0f; return 0; }
    if (!dropped && mant < ((uint64_t)1 << 53) && exp10 >= -22 && exp10 <= 22) {
        q = mlc__ngram_scale10((double)mant, (int)exp10, &side);
        *out = mlc__ngram_to_float(q, side);
    } else {
        long k = exp10;
        q = (double)mant;
        if (k > 400) k = 400;
        if (k < -400) k = -400;
        while (k > 22) { q *= 1e22; k -= 22; }
        while (k < -22) { q /= 1e22; k += 22; }
        q = k >= 0 ? q * mlc__ngram_p10[k] : q / mlc__ngram_p10[-k];
        *out = (float)q;
    }
    if (neg) *out = -*out;
    return 0;
}

/* 1 if a p-digit decimal reads back as ax (10^E <= ax < 10^(E+1)): *r, *k
   with ax ~ r 10^-k; the nearest decimal is tried first, then its
   neighbours (the rounding interval of a power of two is lopsided). */
static int mlc__ngram_digits_ok(double ax, int E, int p, uint64_t *r_out, int *k_out) {
    int side, c, k = p - 1 - E;
    double q, fl, frac;
    uint64_t r, cand[3];
    if (k >= -22 && k <= 22) q = mlc__ngram_scale10(ax, k, &side);
    else { q = ax * pow(10.0, (double)k); side = 0; }
    fl = floor(q); frac = q - fl;
    r = (uint64_t)fl;
    if (frac > 0.5 || (frac == 0.5 && (side > 0 || (side == 0 && (r & 1u))))) r++;
    cand[0] = r; cand[1] = r - 1; cand[2] = r + 1;
    for (c = 0; c < 3; c++) {
        float back;
        if (cand[c] == 0) continue;
        if (k >= -22 && k <= 22) {
            int side2;
            double q2 = mlc__ngram_scale10((double)cand[c], -k, &side2);
            back = mlc__ngram_to_float(q2, side2);
        } else back = (float)((double)cand[c] * pow(10.0, (double)-k));
        if (back == (float)ax) { *r_out = cand[c]; *k_out = k; return 1; }
    }
    return 0;
}

/* The same answer as mlc__ngram_digits_ok in plain double arithmetic: the
   candidates against the float's rounding interval (lo, hi) scaled by
   10^k, each product within a relative 2^-53; -1 (undecided: ask
   mlc__ngram_digits_ok) when q is near a rounding tie or a candidate near
   the interval's ends. */
static int mlc__ngram_digits_fast(double ax, int E, int p, double lo, double hi, uint64_t *r_out, int *k_out) {
    int c, k = p - 1 - E;
    double s, q, L, H, fl, frac, tol;
    uint64_t r, cand[3];
    if (k < -22 || k > 22) return -1;
    s = mlc__ngram_p10[k < 0 ? -k : k];
    if (k >= 0) { q = ax * s; L = lo * s; H = hi * s; }
    else { q = ax / s; L = lo / s; H = hi / s; }
    fl = floor(q); frac = q - fl;
    if (frac > 0.4999 && frac < 0.5001) return -1;
    r = (uint64_t)fl + (frac > 0.5);
    cand[0] = r; cand[1] = r - 1; cand[2] = r + 1;
    tol = H * 1e-15;
    for (c = 0; c < 3; c++) {
        double d = (double)cand[c];
        if (cand[c] == 0) continue;
        if (fabs(d - L) <= tol || fabs(d - H) <= tol) return -1;
        if (d > L && d < H) { *r_out = cand[c]; *k_out = k; return 1; }
    }
    return 0;
}
MLC__INLINE int mlc__ngram_digits(double ax, int E, int p, double lo, double hi, uint64_t *r, int *k) {
    int ok = mlc__ngram_digits_fast(ax, E, p, lo, hi, r, k);
    return ok >= 0 ? ok : mlc__ngram_digits_ok(ax, E, p, r, k);
}

/* Writes x in the shortest form that reads back to the same float32,
   formatted as KenLM's (double-conversion's ToShortestSingle with
   ECMAScript layout: plain decimals for 1e-6 <= |x| < 1e21, else d.ddde-n),
   zero as "0". Returns the length: at most MLC__NGRAM_FMAX (22 for
   -123456789000000000000, 21 digits). p digits reading back implies p + 1
   do, so the shortest p is where a downward walk stops. */
#define MLC__NGRAM_FMAX 24
static size_t mlc__ngram_fmt_float(char *out, float x) {
    char dig[24];
    int E, e, nd, i, k = 0;
    size_t o = 0;
    uint64_t r = 0;
    double ax, lo, hi;
    if (x != x) { memcpy(out, "nan", 3); return 3; }
    if (x == 0.0f) { out[0] = '0'; return 1; }
    if (x < 0) out[o++] = '-';
    ax = MLC_FABSF(x);
    if (ax > 3.4028234663852886e38) { memcpy(out + o, "inf", 3); return o + 3; }
    /* E = floor(log10 ax), exactly where 10^-E is exact: from the binary
       exponent (right or one too low for a normal float), then corrected */
    {
        uint32_t u = mlc__ngram_fbits((float)ax), e2 = (u >> 23) & 0xFFu;
        E = e2 ? (int)floor(((double)e2 - 127.0) * 0.30102999566398120) : -99;
        if (E < -21 || E > 21) E = (int)floor(log10(ax));
        lo = 0.5 * (ax + (double)mlc__ngram_bitsf(u - 1u));   /* halfway to the neighbours: */
        hi = 0.5 * (ax + (double)mlc__ngram_bitsf(u + 1u));   /* the rounding interval, exact */
    }
    if (E >= -22 && E <= 22) {
        int side;
        double q = mlc__ngram_scale10(ax, -E, &side);
        if (q < 1.0 || (q == 1.0 && side < 0)) E--;
        else if (q > 10.0 || (q == 10.0 && side >= 0)) E++;
    }
    /* most float32 values need 8 digits, most others 7: try 8, then walk
       down while a shorter form still reads back (9 always does) */
    if (mlc__ngram_digits(ax, E, 8, lo, hi, &r, &k)) {
        uint64_t r2;
        int k2, p = 7;
        while (p >= 1 && mlc__ngram_digits(ax, E, p, lo, hi, &r2, &k2)) { r = r2; k = k2; p--; }
    } else if (!mlc__ngram_digits(ax, E, 9, lo, hi, &r, &k)) { r = 0; k = 0; }   /* cannot happen */
    {   /* value = r 10^-k: its digits, and the exponent of the first */
        uint64_t t = r;
        char rev[24];
        int n = 0;
        do { rev[n++] = (char)('0' + (int)(t % 10u)); t /= 10u; } while (t);
        for (i = 0; i < n; i++) dig[i] = rev[n - 1 - i];
        nd = n;
        e = n - 1 - k;
        while (nd > 1 && dig[nd - 1] == '0') nd--;
    }
    if (e >= -6 && e < 21) {   /* double-conversion: plain for exponents -6..20 */
        if (e < 0) {
            out[o++] = '0'; out[o++] = '.';
            for (i = -1; i > e; i--) out[o++] = '0';
            for (i = 0; i < nd; i++) out[o++] = dig[i];
        } else {
            for (i = 0; i <= e || i < nd; i++) {
                if (i == e + 1) out[o++] = '.';
                out[o++] = i < nd ? dig[i] : '0';
            }
        }
    } else {
        out[o++] = dig[0];
        if (nd > 1) { out[o++] = '.'; for (i = 1; i < nd; i++) out[o++] = dig[i]; }
        out[o++] = 'e';
        if (e < 0) { out[o++] = '-'; e = -e; }
        if (e >= 10) out[o++] = (char)('0' + e / 10);
        out[o++] = (char)('0' + e % 10);
    }
    return o;
}

static size_t mlc__ngram_fmt_u64(char *out, uint64_t v) {
    char rev[24];
    size_t n = 0, i;
    do { rev[n++] = (char)('0' + (int)(v % 10u)); v /= 10u; } while (v);
    for (i = 0; i < n; i++) out[i] = rev[n - 1 - i];
    return n;
}

/* ---- temporary memory (training) --------------------------------------------
   MLC_MALLOC with a byte count in front, so the peak can be reported. */
typedef struct mlc__ngram_mem { size_t cur, peak; } mlc__ngram_mem;

static void *mlc__ngram_tmp(mlc__ngram_mem *mm, size_t n) {
    unsigned char *p;
    if (n > SIZE_MAX - 64) return NULL;
    p = (unsigned char *)MLC_MALLOC(n + 16);
    if (!p) return NULL;
    memcpy(p, &n, sizeof n);
    mm->cur += n;
    if (mm->cur > mm->peak) mm->peak = mm->cur;
    return p + 16;
}
static void mlc__ngram_tmpfree(mlc__ngram_mem *mm, void *q) {
    size_t n;
    if (!q) return;
    memcpy(&n, (unsigned char *)q - 16, sizeof n);
    mm->cur -= n;
    MLC_FREE((unsigned char *)q - 16);
}
/* n * size, or 0 on overflow */
static size_t mlc__ngram_mulsz(size_t n, size_t size) { return size && n > SIZE_MAX / size ? 0 : n * size; }
static void *mlc__ngram_tmpn(mlc__ngram_mem *mm, size_t n, size_t size) {
    size_t b = mlc__ngram_mulsz(n ? n : 1, size);
    return b ? mlc__ngram_tmp(mm, b) : NULL;
}

/* A growable byte vector. */
typedef struct mlc__ngram_vec { unsigned char *p; size_t n, cap; } mlc__ngram_vec;
static int mlc__ngram_vec_reserve(mlc__ngram_mem *mm, mlc__ngram_vec *v, size_t more) {
    size_t cap;
    unsigned char *q;
    if (more <= v->cap - v->n) return 0;
    if (more > SIZE_MAX / 4 - v->n) return 1;
    cap = v->cap ? v->cap : 4096;
    while (cap - v->n < more) cap *= 2;
    if (!(q = (unsigned char *)mlc__ngram_tmp(mm, cap))) return 1;
    if (v->n) memcpy(q, v->p, v->n);
    mlc__ngram_tmpfree(mm, v->p);
    v->p = q; v->cap = cap;
    return 0;
}

/* ---- tokens -------------------------------------------------------------- */
/* blanks: space, \t \n \v \f \r, and NUL as lmplz */
MLC__INLINE int mlc__ngram_isws(unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r') || c == 0; }

/* Next word of [*p, e) into tok/len; 0 at the end. */
MLC__INLINE int mlc__ngram_next_word(const char **p, const char *e, const char **tok, size_t *len) {
    const char *s = *p;
    while (s < e && mlc__ngram_isws((unsigned char)*s)) s++;
    if (s == e) { *p = s; return 0; }
    *tok = s;
    while (s < e && !mlc__ngram_isws((unsigned char)*s)) s++;
    *len = (size_t)(s - *tok);
    *p = s;
    return 1;
}
/* Next character (UTF-8 sequence, or one invalid byte); blanks are "<sp>",
   \r and NUL are skipped. */
static int mlc__ngram_next_char(const char **p, const char *e, const char **tok, size_t *len) {
    const unsigned char *s = (const unsigned char *)*p, *end = (const unsigned char *)e;
    size_t n = 1, i;
    unsigned c;
    while (s < end && (*s == '\r' || *s == '\n' || *s == 0)) s++;
    if (s >= end) { *p = (const char *)s; return 0; }
    c = *s;
    if (c == ' ' || c == '\t' || c == '\v' || c == '\f') {
        *tok = "<sp>"; *len = 4; *p = (const char *)(s + 1);
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) n = 2;
    else if (c >= 0xE0 && c <= 0xEF) n = 3;
    else if (c >= 0xF0 && c <= 0xF4) n = 4;
    if (n > 1) {
        if ((size_t)(end - s) < n) n = 1;
        else for (i = 1; i < n; i++) if ((s[i] & 0xC0) != 0x80) { n = 1; break; }
    }
    *tok = (const char *)s; *len = n; *p = (const char *)(s + n);
    return 1;
}
MLC__INLINE int mlc__ngram_next_tok(int char_mode, const char **p, const char *e, const char **tok, size_t *len) {
    return char_mode ? mlc__ngram_next_char(p, e, tok, len) : mlc__ngram_next_word(p, e, tok, len);
}

/* ---- vocabulary hash tables ---------------------------------------------------
   Power of two, linear probing, 16-byte slots {head u64, id u32, len u32}
   (head: the word's first 8 bytes, so a word of up to 8 bytes is verified
   without reading the strings); id 0xFFFFFFFF = empty. */
MLC__INLINE uint32_t mlc__ngram_vfind(const unsigned char *tab, uint32_t mask, const char *strings,
                                      const uint32_t *offsets, const char *w, size_t len, uint64_t h, uint64_t head) {
    uint32_t i = (uint32_t)h & mask;
    for (;;) {
        const unsigned char *p = tab + (size_t)i * 16;
        uint64_t hd;
        uint32_t id, l;
        memcpy(&id, p + 8, 4);
        if (id == MLC__NGRAM_NONE) return MLC__NGRAM_NONE;
        memcpy(&hd, p, 8);
        memcpy(&l, p + 12, 4);
        if (hd == head && l == len && (len <= 8 || memcmp(strings + offsets[id] + 8, w + 8, len - 8) == 0)) return id;
        i = (i + 1) & mask;
    }
}
static void mlc__ngram_vput(unsigned char *tab, uint32_t mask, uint64_t h, uint64_t head, uint32_t id, uint32_t len) {
    uint32_t i = (uint32_t)h & mask, e;
    for (;;) {
        unsigned char *p = tab + (size_t)i * 16;
        memcpy(&e, p + 8, 4);
        if (e == MLC__NGRAM_NONE) { memcpy(p, &head, 8); memcpy(p + 8, &id, 4); memcpy(p + 12, &len, 4); return; }
        i = (i + 1) & mask;
    }
}
/* Id of w[0..len) in m (bytes up to end readable), or MLC__NGRAM_NONE. */
MLC__INLINE uint32_t mlc__ngram_vid(const mlc_ngram *m, const char *w, size_t len, const char *end) {
    uint64_t head = 0, h = mlc__ngram_whash((const unsigned char *)w, len, (const unsigned char *)end, &head);
    return mlc__ngram_vfind(m->vtab_, m->vmask_, m->strings_, m->offsets_, w, len, h, head);
}
/* Adds id's word to m's table. */
static void mlc__ngram_vadd(mlc_ngram *m, uint32_t id, const char *w, size_t len, const char *end) {
    uint64_t head = 0, h = mlc__ngram_whash((const unsigned char *)w, len, (const unsigned char *)end, &head);
    mlc__ngram_vput(m->vtab_, m->vmask_, h, head, id, (uint32_t)len);
}
static void mlc__ngram_vclear(unsigned char *tab, size_t slots) {
    size_t i;
    uint32_t none = MLC__NGRAM_NONE;
    memset(tab, 0, slots * 16);
    for (i = 0; i < slots; i++) memcpy(tab + i * 16 + 8, &none, 4);
}
static uint32_t mlc__ngram_vslots(uint32_t v) {
    uint32_t s = 8;
    while (s < 2u * v && s < 0x80000000u) s *= 2;
    return s;
}

MLC_API uint32_t mlc_ngram_word_id(const mlc_ngram *m, const char *word, size_t len) {
    uint32_t id;
    if (!m || !m->vtab_ || (!word && len)) return MLC_NGRAM_UNK;
    if (!word) word = "";
    id = mlc__ngram_vid(m, word, len, word + len);
    return id == MLC__NGRAM_NONE ? MLC_NGRAM_UNK : id;
}
MLC_API const char *mlc_ngram_word_str(const mlc_ngram *m, uint32_t id) {
    if (!m || !m->strings_ || id >= m->vocab_size) return NULL;
    return m->strings_ + m->offsets_[id];
}

/* ---- the model's memory block ---------------------------------------------------
   Set m->order, vocab_size and counts first. */
typedef struct mlc__ngram_layout {
    size_t strings, offsets, vtab, uni, tab[MLC_NGRAM_MAX_ORDER], words[MLC_NGRAM_MAX_ORDER], total;
} mlc__ngram_layout;

static int mlc__ngram_addsz(size_t *total, size_t bytes, size_t *at) {
    size_t t = (*total + 63u) & ~(size_t)63u;
    if (t < *total || bytes > SIZE_MAX - t - 64) return 1;
    *at = t;
    *total = t + bytes;
    return 0;
}
/* Slots per order from MLC_NGRAM_LOAD, or (given_slots) as in m->slots_. */
static mlc_result mlc__ngram_plan(mlc__ngram_layout *L, mlc_ngram *m, size_t string_bytes, int keep_words,
                                  int given_slots) {
    size_t t = 0, b;
    int n, bad = 0;
    uint32_t vs;
    memset(L, 0, sizeof *L);
    if (m->vocab_size >= 0x7FFFFFF0u) return MLC_ERR_UNSUPPORTED;
    vs = mlc__ngram_vslots(m->vocab_size);
    m->vmask_ = vs - 1;
    bad |= mlc__ngram_addsz(&t, string_bytes ? string_bytes : 1, &L->strings);
    bad |= mlc__ngram_addsz(&t, ((size_t)m->vocab_size + 1) * 4, &L->offsets);
    bad |= mlc__ngram_addsz(&t, (size_t)vs * 16, &L->vtab);
    bad |= mlc__ngram_addsz(&t, (size_t)m->vocab_size * 8, &L->uni);
    for (n = 2; n <= m->order; n++) {
        uint64_t c = m->counts[n - 1], slots = given_slots ? m->slots_[n - 1] : c * 100u / MLC_NGRAM_LOAD + 1u;
        if (c > 0xFFFFFFFFull || slots > 0xFFFFFFFFull || slots <= c) return MLC_ERR_UNSUPPORTED;
        m->slots_[n - 1] = (uint32_t)slots;
        if (!(b = mlc__ngram_mulsz((size_t)slots, n == m->order ? 12 : 16))) return MLC_ERR_UNSUPPORTED;
        bad |= mlc__ngram_addsz(&t, b, &L->tab[n - 1]);
        if (keep_words) {
            if (!(b = mlc__ngram_mulsz((size_t)c ? (size_t)c : 1, (size_t)n * 4))) return MLC_ERR_UNSUPPORTED;
            bad |= mlc__ngram_addsz(&t, b, &L->words[n - 1]);
        }
    }
    if (bad) return MLC_ERR_UNSUPPORTED;
    L->total = t;
    return MLC_OK;
}
/* Takes the block (arena or MLC_MALLOC), sets the pointers, clears tables. */
static mlc_result mlc__ngram_alloc_block(mlc_ngram *m, const mlc__ngram_layout *L, int keep_words, mlc_arena *arena) {
    unsigned char *base;
    int n;
    if (arena) {
        base = (unsigned char *)mlc_arena_alloc(arena, L->total, 64);
        if (!base) return MLC_ERR_NOMEM;
    } else {
        if (L->total > SIZE_MAX - 64) return MLC_ERR_NOMEM;
        m->owned_ = MLC_MALLOC(L->total + 64);
        if (!m->owned_) return MLC_ERR_NOMEM;
        base = (unsigned char *)m->owned_;
        base += (64u - (size_t)((uintptr_t)base & 63u)) & 63u;
    }
    m->bytes = L->total;
    m->strings_ = (char *)(base + L->strings);
    m->offsets_ = (uint32_t *)(void *)(base + L->offsets);
    m->vtab_ = base + L->vtab;
    mlc__ngram_vclear(m->vtab_, (size_t)m->vmask_ + 1);
    m->uni_ = (float *)(void *)(base + L->uni);
    for (n = 2; n <= m->order; n++) {
        m->tab_[n - 1] = base + L->tab[n - 1];
        memset(m->tab_[n - 1], 0, (size_t)m->slots_[n - 1] * mlc__ngram_stride(m, n));
        m->words_[n - 1] = keep_words ? (uint32_t *)(void *)(base + L->words[n - 1]) : NULL;
    }
    return MLC_OK;
}

MLC_API void mlc_ngram_free(mlc_ngram *m) {
    if (!m) return;
    if (m->owned_) MLC_FREE(m->owned_);
    memset(m, 0, sizeof *m);
}

MLC_API mlc_ngram_params mlc_ngram_params_default(int order) {
    mlc_ngram_params p;
    memset(&p, 0, sizeof p);
    p.order = order;
    p.smoothing = MLC_NGRAM_KN;
    p.add_k = 1.0f;
    p.stupid_alpha = 0.4f;
    p.fallback[0] = 0.5f; p.fallback[1] = 1.0f; p.fallback[2] = 1.5f;
    return p;
}

/* ---- training: vocabulary, token stream, counting -------------------------------- */
typedef struct mlc__ngram_tv {
    mlc__ngram_vec str, off;   /* strings (NUL-terminated); u32 offsets */
    unsigned char *tab;        /* 16-byte slots as the model's vocabulary table */
    uint32_t mask, n;
} mlc__ngram_tv;

/* Id of w[0..len) (bytes up to end readable), added if new;
   MLC__NGRAM_NONE when out of memory. */
static uint32_t mlc__ngram_tv_id(mlc__ngram_mem *mm, mlc__ngram_tv *v, const char *w, size_t len, const char *end) {
    uint64_t head = 0, h = mlc__ngram_whash((const unsigned char *)w, len, (const unsigned char *)end, &head);
    uint32_t id, off;
    if (v->tab) {
        id = mlc__ngram_vfind(v->tab, v->mask, (const char *)v->str.p, (const uint32_t *)(void *)v->off.p, w, len, h, head);
        if (id != MLC__NGRAM_NONE) return id;
    }
    if (v->n >= 0x7FFFFFF0u || len > 0xFFFFu) return MLC__NGRAM_NONE;
    if (!v->tab || 2u * (v->n + 1u) > v->mask + 1u) {   /* grow (or make) the table */
        uint32_t slots = v->tab ? 2u * (v->mask + 1u) : 1024u, i;
        unsigned char *t = (unsigned char *)mlc__ngram_tmpn(mm, slots, 16);
        const uint32_t *offs = (const uint32_t *)(void *)v->off.p;
        if (!t) return MLC__NGRAM_NONE;
        mlc__ngram_vclear(t, slots);
        for (i = 0; i < v->n; i++) {
            const unsigned char *ws = v->str.p + offs[i];
            uint32_t l = (i + 1 < v->n ? offs[i + 1] : (uint32_t)v->str.n) - offs[i] - 1u;
            uint64_t hd = 0, hh = mlc__ngram_whash(ws, l, v->str.p + v->str.n, &hd);
            mlc__ngram_vput(t, slots - 1, hh, hd, i, l);
        }
        mlc__ngram_tmpfree(mm, v->tab);
        v->tab = t; v->mask = slots - 1;
    }
    if (mlc__ngram_vec_reserve(mm, &v->str, len + 1) || mlc__ngram_vec_reserve(mm, &v->off, 4)) return MLC__NGRAM_NONE;
    off = (uint32_t)v->str.n;
    if (v->str.n + len + 1 > 0xFFFFFFFFu) return MLC__NGRAM_NONE;
    memcpy(v->str.p + v->str.n, w, len);
    v->str.p[v->str.n + len] = 0;
    v->str.n += len + 1;
    memcpy(v->off.p + v->off.n, &off, 4);
    v->off.n += 4;
    id = v->n++;
    mlc__ngram_vput(v->tab, v->mask, h, head, id, (uint32_t)len);
    return id;
}

/* One order's n-grams during estimation, in dense arrays sorted by their
   words (word ids, first word first: the order ARPA files list them in),
   so an order's n-grams with the same context are neighbours and ctx does
   not decrease. Order 1 is indexed by word id (no last, ctx, suf). The
   words of an n-gram are its context's words and last (mlc__ngram_words).
   Arrays are freed as soon as the next steps do not need them; the model
   build and the ARPA writer get last, ctx, lp, lb (NULL: all 0), fl and
   pruned. */
typedef struct mlc__ngram_ord {
    size_t count;
    uint32_t *ctx, *suf;        /* index of the context (first n-1 words) and of the suffix (last n-1) in order n-1 */
    uint32_t *last;             /* last word (made from suf when suf goes: mlc__ngram_last) */
    uint32_t *raw;              /* raw counts; KN turns them into adjusted counts in place */
    uint32_t *den;              /* as a context: sum of counts (0: not a context) */
    float *gamma, *prob;        /* as a context: gamma; interpolated p (linear) */
    float *lp, *lb;             /* output: log10 p and backoff (in prob's and gamma's memory) */
    unsigned char *fl;          /* 1: a kept longer n-gram ends with it; 2: one starts with it */
    unsigned char *pruned;      /* or NULL */
} mlc__ngram_ord;

/* The first word of n-gram i of order n (down its contexts). */
MLC__INLINE size_t mlc__ngram_first(const mlc__ngram_ord *o, int n, size_t i) {
    int k;
    for (k = n - 1; k > 0; k--) i = o[k].ctx[i];
    return i;
}
/* The words w[0..n) of n-gram i of order n. */
MLC__INLINE void mlc__ngram_words(const mlc__ngram_ord *o, int n, size_t i, uint32_t *w) {
    int k;
    for (k = n - 1; k > 0; k--) { w[k] = o[k].last[i]; i = o[k].ctx[i]; }
    w[0] = (uint32_t)i;
}

/* Order n's last words from its suffixes (order n - 1's last words made). */
static int mlc__ngram_last(mlc__ngram_mem *mm, mlc__ngram_ord *o, int n) {
    mlc__ngram_ord *d = &o[n - 1];
    size_t i;
    if (!(d->last = (uint32_t *)mlc__ngram_tmpn(mm, d->count, 4))) return 1;
    for (i = 0; i < d->count; i++) d->last[i] = n == 2 ? d->suf[i] : o[n - 2].last[d->suf[i]];
    return 0;
}

/* Counting by sorting, no hash tables. S holds the text positions of the
   n-grams of order n sorted by their words; order n + 1's positions are
   q = p - 1 for each p in S whose word is not <s> (an n-gram may start
   with <s> but not hold one further in), and one stable counting sort by
   the word at q puts them in order. Runs of equal n-grams are then the
   distinct n-grams (raw count = run length); rank[q] is the index of the
   n-gram at q in its order, so equal runs are found by comparing the word
   at q and the rank of the shorter n-gram at q + 1, and the context and
   suffix of an n-gram are the shorter ranks at q and q + 1. Order 1's
   rank is the word itself. Memory: 4 bytes per token for the text, the
   two sort arrays and two ranks, besides the results. */
static int mlc__ngram_count(mlc__ngram_mem *mm, mlc__ngram_ord *o, int N, const uint32_t *tk, size_t ntok, uint32_t V) {
    uint32_t *hist = (uint32_t *)mlc__ngram_tmpn(mm, (size_t)V + 1, 4), *S = NULL, *T = NULL, *rank = NULL, *own = NULL;
    const uint32_t *prev = tk;   /* ranks of order n - 1 (own from order 2 on) */
    size_t L = ntok, i, j;
    int n, err = 1;
    if (!hist || !(S = (uint32_t *)mlc__ngram_tmpn(mm, ntok, 4))) goto done;
    memset(hist, 0, ((size_t)V + 1) * 4);   /* order 1: every position, by its word */
    for (i = 0; i < ntok; i++) hist[tk[i]]++;
    for (i = 0, j = 0; i <= V; i++) { size_t c = hist[i]; hist[i] = (uint32_t)j; j += c; }
    for (i = 0; i < ntok; i++) S[hist[tk[i]]++] = (uint32_t)i;
    for (n = 2; n <= N; n++) {
        mlc__ngram_ord *d = &o[n - 1];
        size_t cnt = 0, g;
        memset(hist, 0, ((size_t)V + 1) * 4);
        for (i = 0, j = 0; i < L; i++) {
            uint32_t p = S[i];
            if (p && tk[p] != MLC_NGRAM_BOS) { hist[tk[p - 1]]++; j++; }
        }
        if (!(T = (uint32_t *)mlc__ngram_tmpn(mm, j, 4))) goto done;
        for (i = 0, g = 0; i <= V; i++) { size_t c = hist[i]; hist[i] = (uint32_t)g; g += c; }
        for (i = 0; i < L; i++) {
            uint32_t p = S[i];
            if (p && tk[p] != MLC_NGRAM_BOS) T[hist[tk[p - 1]]++] = p - 1u;
        }
        mlc__ngram_tmpfree(mm, S);
        S = T; T = NULL; L = j;
        for (i = 0; i < L; i++)
            cnt += !i || tk[S[i]] != tk[S[i - 1]] || prev[S[i] + 1] != prev[S[i - 1] + 1];
        d->count = cnt;
        d->ctx = (uint32_t *)mlc__ngram_tmpn(mm, cnt, 4);
        d->suf = (uint32_t *)mlc__ngram_tmpn(mm, cnt, 4);
        d->raw = (uint32_t *)mlc__ngram_tmpn(mm, cnt, 4);
        if (n < N) rank = (uint32_t *)mlc__ngram_tmpn(mm, ntok, 4);
        if (!d->ctx || !d->suf || !d->raw || (n < N && !rank)) goto done;
        for (i = 0, g = (size_t)-1; i < L; i++) {
            uint32_t q = S[i];
            if (!i || tk[q] != tk[S[i - 1]] || prev[q + 1] != prev[S[i - 1] + 1]) {
                g++;
                d->ctx[g] = prev[q];
                d->suf[g] = prev[q + 1];
                d->raw[g] = 0;
            }
            d->raw[g]++;
            if (rank) rank[q] = (uint32_t)g;
        }
        mlc__ngram_tmpfree(mm, own);
        prev = own = rank; rank = NULL;
    }
    err = 0;
done:
    mlc__ngram_tmpfree(mm, own); mlc__ngram_tmpfree(mm, rank); mlc__ngram_tmpfree(mm, S); mlc__ngram_tmpfree(mm, T); mlc__ngram_tmpfree(mm, hist);
    return err;
}

/* Frees what the model build does not need. */
static void mlc__ngram_shed(mlc__ngram_mem *mm, mlc__ngram_ord *o, int N) {
    int n;
    for (n = 0; n < N; n++) {
        mlc__ngram_ord *d = &o[n];
        mlc__ngram_tmpfree(mm, d->raw); mlc__ngram_tmpfree(mm, d->suf); mlc__ngram_tmpfree(mm, d->den);
        d->raw = d->suf = d->den = NULL;
    }
}

/* float32 arithmetic, one rounding per operation as KenLM's. A product
   leaves through a volatile: gcc in its GNU modes (-ffp-contract=fast,
   the default) would otherwise narrow the double casts away and fuse the
   product with the next add into an fma, one rounding fewer. */
MLC__INLINE float mlc__ngram_fadd(float a, float b) { return (float)((double)a + (double)b); }
MLC__INLINE float mlc__ngram_fsub(float a, float b) { return (float)((double)a - (double)b); }
MLC__INLINE float mlc__ngram_fmul(float a, float b) { volatile float p = (float)((double)a * (double)b); return p; }
MLC__INLINE float mlc__ngram_fdiv(float a, float b) { return (float)((double)a / (double)b); }

/* Shared first step: the extension flags of the kept n-grams. */
static int mlc__ngram_links(mlc__ngram_mem *mm, mlc__ngram_ord *o, int N) {
    int n;
    size_t i;
    for (n = 1; n <= N; n++) {
        if (!(o[n - 1].fl = (unsigned char *)mlc__ngram_tmpn(mm, o[n - 1].count, 1))) return 1;
        memset(o[n - 1].fl, 0, o[n - 1].count);
    }
    for (n = 2; n <= N; n++) {
        mlc__ngram_ord *d = &o[n - 1];
        for (i = 0; i < d->count; i++) {
            if (d->pruned && d->pruned[i]) continue;
            o[n - 2].fl[d->suf[i]] |= 1;
            o[n - 2].fl[d->ctx[i]] |= 2;
        }
    }
    return 0;
}

/* 5 for one order: log10 p (at most 0; -inf for a pruned n-gram, unused)
   in prob's memory, backoff log10 gamma in gamma's where the n-gram is a
   context and does not end in </s> or <unk> (else 0); den goes. */
static void mlc__ngram_kn_final(mlc__ngram_mem *mm, mlc__ngram_ord *d, int n) {
    size_t i;
    for (i = 0; i < d->count; i++) {
        float lp = MLC_LOG10F(d->prob[i]);
        d->prob[i] = lp < 0.0f ? lp : 0.0f;
    }
    if (d->gamma) for (i = 0; i < d->count; i++) {
        uint32_t last = n == 1 ? (uint32_t)i : d->last[i];
        d->gamma[i] = d->den[i] && last != MLC_NGRAM_EOS && last != MLC_NGRAM_UNK ? MLC_LOG10F(d->gamma[i]) : 0.0f;
    }
    d->lp = d->prob; d->lb = d->gamma;
    d->prob = d->gamma = NULL;
    mlc__ngram_tmpfree(mm, d->den);
    d->den = NULL;
}

/* Interpolated modified Kneser-Ney, lmplz's steps:
   1 adjusted counts a: raw at the top order and for n-grams starting with
     <s>, else the number of distinct words to the left; a(<s>) = a(<unk>) = 0
   2 per order t_k = #{a = k}, Y = t1/(t1 + 2 t2), D_k = k - (k+1) Y t_{k+1}/t_k
     (k = 1, 2, 3+); an order whose t1..t3 has a 0 or whose D_k falls outside
     [0, k] takes the fallback discounts
   3 per context c: gamma(c) = (D1 N1(c) + D2 N2(c) + D3 N3+(c) + pruned
     mass) / sum_w a(c w), N_k counting the kept continuations
   4 p(w | c) = (a(c w) - D(a)) / sum_w a(c w) + gamma(c) p(w | c'), down to
     the unigrams where p(w) = (a(w) - D) / sum a + gamma / V', V' = types
     but <s>; p(<unk>) = gamma / V', p(<s>) = 1
   5 log10 p (at most 0) and backoff log10 gamma(c) where c is a context and
     does not end in </s> or <unk> (else 0)
   All of it in float32 with KenLM's operation order. */
static int mlc__ngram_kn(mlc__ngram_mem *mm, mlc__ngram_ord *o, int N, uint32_t V, const mlc_ngram_params *p,
                         mlc_ngram *m) {
    float D[MLC_NGRAM_MAX_ORDER][4];
    size_t tail[MLC_NGRAM_MAX_ORDER];
    uint32_t tail_raw[MLC_NGRAM_MAX_ORDER];
    int tails = 0;
    uint64_t den0 = 0, cnt0[3] = {0, 0, 0};
    float gamma0, uniform;
    int n, k;
    size_t i;
    /* pruning goes by raw counts */
    for (n = 2; n <= N; n++) {
        mlc__ngram_ord *d = &o[n - 1];
        if (!p->prune[n - 1]) continue;
        if (!(d->pruned = (unsigned char *)mlc__ngram_tmpn(mm, d->count, 1))) return 1;
        for (i = 0; i < d->count; i++) d->pruned[i] = d->raw[i] <= p->prune[n - 1];
    }
    if (mlc__ngram_links(mm, o, N)) return 1;
    /* lmplz's statistics (step 2) take the last n-gram of each lower order
       in its suffix order (by the last word first) with its raw count, not
       its adjusted count: the suffixes of its greatest N-gram (<s>-padded)
       are still open when its stream ends and go out with their running
       raw counts. The adjusted counts themselves are not affected. Those
       suffixes are the greatest word (the text's last new one), then each
       time the left extension with the greatest first word, up to one that
       starts with <s> or order N - 1; their raw counts, before step 1: */
    for (n = 1; n < N; n++) {
        size_t g = n == 1 ? (size_t)V - 1u : MLC__NGRAM_NONE, f = 0, best = 0;
        if (n > 1) for (i = 0; i < o[n - 1].count; i++) {
            if (o[n - 1].suf[i] != tail[n - 2]) continue;
            f = mlc__ngram_first(o, n, i);
            if (g == MLC__NGRAM_NONE || f > best) { g = i; best = f; }
        }
        if (g == MLC__NGRAM_NONE) break;   /* cannot happen: a word before every non-<s> start */
        tail[n - 1] = g;
        tail_raw[n - 1] = o[n - 1].raw[g];
        tails = n;
        if (n > 1 && best == MLC_NGRAM_BOS) break;
    }
    /* 1: raw counts become adjusted counts, in place */
    for (n = 1; n < N; n++) {
        mlc__ngram_ord *d = &o[n - 1];
        for (i = 0; i < d->count; i++) if (mlc__ngram_first(o, n, i) != MLC_NGRAM_BOS) d->raw[i] = 0;
    }
    for (n = 2; n <= N; n++)   /* one more distinct word to the left */
        for (i = 0; i < o[n - 1].count; i++) o[n - 2].raw[o[n - 1].suf[i]]++;
    /* 2 */
    for (n = 1; n <= N; n++) {
        mlc__ngram_ord *d = &o[n - 1];
        uint64_t t[5] = {0, 0, 0, 0, 0};
        int bad = 0;
        for (i = 0; i < d->count; i++) if (d->raw[i] >= 1 && d->raw[i] <= 4) t[d->raw[i]]++;
        if (n <= tails) {   /* lmplz's count for the open suffix */
            uint32_t a = d->raw[tail[n - 1]], r = tail_raw[n - 1];
            if (a >= 1 && a <= 4) t[a]--;
            if (r >= 1 && r <= 4) t[r]++;
        }
        for (k = 0; k < 4; k++) m->adjusted_hist[n - 1][k] = t[k + 1];
        D[n - 1][0] = 0.0f;
        if (!t[1] || !t[2] || !t[3]) bad = 1;
        else {
            float y = mlc__ngram_fdiv((float)t[1], (float)((double)t[1] + 2.0 * (double)t[2]));
            for (k = 1; k <= 3; k++) {
                float q = mlc__ngram_fdiv(mlc__ngram_fmul(mlc__ngram_fmul((float)(k + 1), y), (float)t[k + 1]), (float)t[k]);
                D[n - 1][k] = mlc__ngram_fsub((float)k, q);
                if (!(D[n - 1][k] >= 0.0f && D[n - 1][k] <= (float)k)) bad = 1;
            }
        }
        if (bad) {
            for (k = 1; k <= 3; k++) D[n - 1][k] = p->fallback[k - 1];
            m->status |= MLC_NGRAM_ST_FALLBACK;
            m->fallback_orders |= 1u << (n - 1);
        }
        for (k = 0; k < 3; k++) m->discount[n - 1][k] = D[n - 1][k + 1];
    }
    /* 3, 4 and 5 order by order: gamma of order n - 1 as contexts, p of
       order n, then order n - 1 is final (log10) */
    for (i = 0; i < o[0].count; i++) {
        uint32_t a = o[0].raw[i];
        den0 += a;
        if (a) cnt0[(a < 3 ? a : 3) - 1]++;
    }
    {
        float g = 0.0f;
        for (k = 1; k <= 3; k++) g = mlc__ngram_fadd(g, mlc__ngram_fmul(D[0][k], (float)cnt0[k - 1]));
        gamma0 = mlc__ngram_fdiv(g, (float)den0);
    }
    uniform = (float)(1.0 / (double)(float)(V - 1u));
    for (n = 1; n <= N; n++) {
        mlc__ngram_ord *d = &o[n - 1], *c = n > 1 ? &o[n - 2] : NULL;
        if (c) {   /* 3: the n-grams of a context are neighbours */
            c->den = (uint32_t *)mlc__ngram_tmpn(mm, c->count, 4);
            c->gamma = (float *)mlc__ngram_tmpn(mm, c->count, 4);
            if (!c->den || !c->gamma) return 1;
            memset(c->den, 0, c->count * 4);
            memset(c->gamma, 0, c->count * 4);
            for (i = 0; i < d->count;) {
                uint32_t x = d->ctx[i], den = 0, pm = 0, cnt[3] = {0, 0, 0};
                float g = 0.0f;
                for (; i < d->count && d->ctx[i] == x; i++) {
                    uint32_t a = d->raw[i];
                    den += a;
                    if (d->pruned && d->pruned[i]) pm += a;
                    else if (a) cnt[(a < 3 ? a : 3) - 1]++;
                }
                c->den[x] = den;
                if (!den) continue;
                for (k = 1; k <= 3; k++) g = mlc__ngram_fadd(g, mlc__ngram_fmul(D[n - 1][k], (float)cnt[k - 1]));
                if (d->pruned) g = mlc__ngram_fadd(g, (float)pm);
                c->gamma[x] = mlc__ngram_fdiv(g, (float)den);
            }
        }
        /* 4 */
        if (!(d->prob = (float *)mlc__ngram_tmpn(mm, d->count, 4))) return 1;
        for (i = 0; i < d->count; i++) {
            uint32_t a = d->raw[i];
            float pr;
            if (d->pruned && d->pruned[i]) { d->prob[i] = 0.0f; continue; }
            if (n == 1) {
                if (i == MLC_NGRAM_BOS) pr = 1.0f;
                else {
                    float u = i == MLC_NGRAM_UNK ? 0.0f
                            : mlc__ngram_fdiv(mlc__ngram_fsub((float)a, D[0][a < 3 ? a : 3]), (float)den0);
                    pr = mlc__ngram_fadd(u, mlc__ngram_fmul(gamma0, uniform));
                }
            } else {
                uint32_t x = d->ctx[i];
                float u = mlc__ngram_fdiv(mlc__ngram_fsub((float)a, D[n - 1][a < 3 ? a : 3]), (float)c->den[x]);
                pr = mlc__ngram_fadd(u, mlc__ngram_fmul(c->gamma[x], c->prob[d->suf[i]]));
            }
            d->prob[i] = pr;
        }
        if (n > 1 && mlc__ngram_last(mm, o, n)) return 1;
        mlc__ngram_tmpfree(mm, d->raw); mlc__ngram_tmpfree(mm, d->suf);
        d->raw = d->suf = NULL;
        if (c) mlc__ngram_kn_final(mm, c, n - 1);
    }
    mlc__ngram_kn_final(mm, &o[N - 1], N);
    return 0;
}


/* Add-k and stupid backoff from raw counts (double precision).
   ADD_K: p(w) = (c(w) + k) / (T + k V') for every type but <s>; for a seen
   context c, p(w | c) = (c(c w) + k) / (c(c .) + k V') for the words seen
   after c, and the rest of the mass, k (V' - s(c)) / (c(c .) + k V'), goes
   to the unseen words in proportion to p(w | c'): backoff
   alpha(c) = that mass / (1 - sum over the seen w of p(w | c')).
   STUPID: p(w | c) = c(c w) / c(c .), p(w) = c(w) / T (<unk>: 1 / T), every
   context's backoff log10 alpha. */
static int mlc__ngram_simple(mlc__ngram_mem *mm, mlc__ngram_ord *o, int N, uint32_t V, const mlc_ngram_params *p) {
    double T = 0.0, k = p->add_k, Vp = (double)(V - 1u);
    int n, add = p->smoothing == MLC_NGRAM_ADD_K;
    size_t i;
    if (mlc__ngram_links(mm, o, N)) return 1;
    for (n = 2; n <= N; n++) if (mlc__ngram_last(mm, o, n)) return 1;
    for (i = 0; i < o[0].count; i++) if (i != MLC_NGRAM_BOS) T += o[0].raw[i];
    for (n = 1; n <= N; n++) {
        mlc__ngram_ord *d = &o[n - 1];
        d->prob = (float *)mlc__ngram_tmpn(mm, d->count, 4);
        d->lp = (float *)mlc__ngram_tmpn(mm, d->count, 4);
        if (n < N) d->lb = (float *)mlc__ngram_tmpn(mm, d->count, 4);
        if (!d->prob || !d->lp || (n < N && !d->lb)) return 1;
        if (d->lb) memset(d->lb, 0, d->count * 4);
    }
    for (i = 0; i < o[0].count; i++) {
        double pr;
        if (i == MLC_NGRAM_BOS) pr = 1.0;
        else if (add) pr = ((double)o[0].raw[i] + k) / (T + k * Vp);
        else pr = (o[0].raw[i] ? (double)o[0].raw[i] : 1.0) / T;
        o[0].prob[i] = (float)pr;
        o[0].lp[i] = (float)log10(pr);
        if (o[0].lp[i] > 0.0f) o[0].lp[i] = 0.0f;
    }
    for (n = 2; n <= N; n++) {
        mlc__ngram_ord *d = &o[n - 1], *c = &o[n - 2];
        uint32_t *seen = (uint32_t *)mlc__ngram_tmpn(mm, c->count, 4);
        double *plow = (double *)mlc__ngram_tmpn(mm, c->count, 8);
        c->den = (uint32_t *)mlc__ngram_tmpn(mm, c->count, 4);
        if (!seen || !plow || !c->den) { mlc__ngram_tmpfree(mm, seen); mlc__ngram_tmpfree(mm, plow); return 1; }
        memset(seen, 0, c->count * 4);
        memset(plow, 0, c->count * 8);
        memset(c->den, 0, c->count * 4);
        for (i = 0; i < d->count; i++) {
            uint32_t x = d->ctx[i];
            c->den[x] += d->raw[i];
            seen[x]++;
            plow[x] += (double)c->prob[d->suf[i]];
        }
        for (i = 0; i < d->count; i++) {
            uint32_t x = d->ctx[i];
            double pr = add ? ((double)d->raw[i] + k) / ((double)c->den[x] + k * Vp) : (double)d->raw[i] / (double)c->den[x];
            d->prob[i] = (float)pr;
            d->lp[i] = (float)log10(pr);
            if (d->lp[i] > 0.0f) d->lp[i] = 0.0f;
        }
        for (i = 0; i < c->count; i++) {
            uint32_t last = n == 2 ? (uint32_t)i : c->last[i];
            double alpha = 1.0;
            if (!c->den[i] || last == MLC_NGRAM_EOS || last == MLC_NGRAM_UNK) continue;
            if (add) {
                double left = k * (Vp - (double)seen[i]) / ((double)c->den[i] + k * Vp), lowleft = 1.0 - plow[i];
                if (left > 0.0 && lowleft > 1e-12) alpha = left / lowleft;
            } else alpha = p->stupid_alpha;
            c->lb[i] = (float)log10(alpha);
        }
        mlc__ngram_tmpfree(mm, seen);
        mlc__ngram_tmpfree(mm, plow);
        mlc__ngram_tmpfree(mm, c->prob);
        c->prob = NULL;
    }
    mlc__ngram_tmpfree(mm, o[N - 1].prob);
    o[N - 1].prob = NULL;
    mlc__ngram_shed(mm, o, N);
    return 0;
}

/* The number of kept (not pruned) n-grams of an order. */
static size_t mlc__ngram_kept(const mlc__ngram_ord *d) {
    size_t i, kept = 0;
    for (i = 0; i < d->count; i++) kept += !(d->pruned && d->pruned[i]);
    return kept;
}

/* Fills the model's vocabulary table from strings_/offsets_. */
static void mlc__ngram_fill_vocab(mlc_ngram *m) {
    uint32_t id;
    for (id = 0; id < m->vocab_size; id++) {
        uint32_t len = m->offsets_[id + 1] - m->offsets_[id] - 1u;
        mlc__ngram_vadd(m, id, m->strings_ + m->offsets_[id], len, m->strings_ + m->offsets_[m->vocab_size]);
    }
}

/* Stored log10 p and backoff with the extension flags in their sign bits. */
MLC__INLINE float mlc__ngram_flag_p(float lp, unsigned fl) { return (fl & 1u) ? -MLC_FABSF(lp) : MLC_FABSF(lp); }
MLC__INLINE float mlc__ngram_flag_bo(float lb, unsigned fl) { return lb != 0.0f ? lb : (fl & 2u) ? 0.0f : -0.0f; }

/* The model from estimates: block, vocabulary, unigrams, then each order's
   kept n-grams (context order) into its table; if two n-grams of an order
   share a 64-bit key (p ~ count^2 / 2^65) the tables are rebuilt with
   another seed. */
static mlc_result mlc__ngram_build(mlc_ngram *m, const mlc__ngram_ord *o, const mlc__ngram_tv *tv, int keep,
                                   mlc_arena *arena) {
    mlc__ngram_layout L;
    mlc_result r;
    int N = m->order, n, attempt;
    size_t i;
    m->counts[0] = m->vocab_size;
    for (n = 2; n <= N; n++) m->counts[n - 1] = mlc__ngram_kept(&o[n - 1]);
    if ((r = mlc__ngram_plan(&L, m, tv->str.n, keep, 0)) != MLC_OK) return r;
    if ((r = mlc__ngram_alloc_block(m, &L, keep, arena)) != MLC_OK) return r;
    memcpy(m->strings_, tv->str.p, tv->str.n);
    memcpy(m->offsets_, tv->off.p, (size_t)m->vocab_size * 4);
    m->offsets_[m->vocab_size] = (uint32_t)tv->str.n;
    mlc__ngram_fill_vocab(m);
    for (i = 0; i < m->vocab_size; i++) {
        m->uni_[2 * i] = mlc__ngram_flag_p(o[0].lp[i], o[0].fl[i]);
        m->uni_[2 * i + 1] = mlc__ngram_flag_bo(o[0].lb ? o[0].lb[i] : 0.0f, o[0].fl[i]);
    }
    for (attempt = 0; attempt < 16; attempt++) {
        int dup = 0;
        m->seed_ = attempt ? mlc__ngram_fmix(0x5EEDull + (uint64_t)attempt) : 0;
        for (n = 2; n <= N && !dup; n++) {
            /* the kept n-grams in order (context order), each one's words
               and key made 8 n-grams early and its home slot prefetched */
            const mlc__ngram_ord *d = &o[n - 1];
            size_t stride = mlc__ngram_stride(m, n), cnt = m->counts[n - 1], put = 0, got = 0, x = 0;
            uint32_t wr[16][MLC_NGRAM_MAX_ORDER], xr[16];
            uint64_t kr[16];
            if (attempt) memset(m->tab_[n - 1], 0, (size_t)m->slots_[n - 1] * stride);
            while (got < cnt && !dup) {
                if (put < cnt && put <= got + 8) {
                    while (d->pruned && d->pruned[x]) x++;
                    mlc__ngram_words(o, n, x, wr[put & 15]);
                    xr[put & 15] = (uint32_t)x++;
                    kr[put & 15] = mlc__ngram_key(m->seed_, wr[put & 15], n);
                    MLC__NGRAM_PREFETCH(m->tab_[n - 1] + (size_t)mlc__ngram_home(kr[put & 15], m->slots_[n - 1]) * stride);
                    put++;
                    continue;
                }
                i = xr[got & 15];
                dup = mlc__ngram_insert(m->tab_[n - 1], m->slots_[n - 1], stride, kr[got & 15],
                                        mlc__ngram_flag_p(d->lp[i], d->fl[i]),
                                        mlc__ngram_flag_bo(d->lb ? d->lb[i] : 0.0f, d->fl[i]));
                if (keep && !attempt) memcpy(m->words_[n - 1] + got * (size_t)n, wr[got & 15], (size_t)n * 4);
                got++;
            }
        }
        if (!dup) break;
    }
    return attempt == 16 ? MLC_ERR_UNSUPPORTED : MLC_OK;
}

static mlc_result mlc__ngram_check_params(const mlc_ngram_params *p) {
    int n;
    if (p->order < 1 || p->order > MLC_NGRAM_MAX_ORDER || MLC_NGRAM_MAX_ORDER > 32) return MLC_ERR_ARG;
    if (p->smoothing != MLC_NGRAM_KN && p->smoothing != MLC_NGRAM_ADD_K && p->smoothing != MLC_NGRAM_STUPID) return MLC_ERR_ARG;
    if (p->char_mode != 0 && p->char_mode != 1) return MLC_ERR_ARG;
    if (p->smoothing == MLC_NGRAM_ADD_K && !(p->add_k > 0.0f && p->add_k < 1e30f)) return MLC_ERR_ARG;
    if (p->smoothing == MLC_NGRAM_STUPID && !(p->stupid_alpha > 0.0f && p->stupid_alpha <= 1.0f)) return MLC_ERR_ARG;
    for (n = 0; n < 3; n++) if (!(p->fallback[n] >= 0.0f && p->fallback[n] <= (float)(n + 1))) return MLC_ERR_ARG;
    if (p->prune[0]) return MLC_ERR_ARG;
    for (n = 1; n < p->order; n++) {
        if (p->prune[n] < p->prune[n - 1]) return MLC_ERR_ARG;
        if (p->prune[n] && p->smoothing != MLC_NGRAM_KN) return MLC_ERR_UNSUPPORTED;
    }
    return MLC_OK;
}

/* The trained model's ARPA straight from the estimates (after ARPA writing). */
struct mlc__ngram_out;
static mlc_result mlc__ngram_emit(mlc_ngram *m, mlc__ngram_mem *mm, const mlc__ngram_ord *o, const mlc__ngram_tv *tv,
                                  struct mlc__ngram_out *out);

/* Training into a model (out NULL) or, without building one, into ARPA
   through out (m then gets the numbers, no tables). */
static mlc_result mlc__ngram_train(mlc_ngram *m, const char *text, size_t len, const mlc_ngram_params *p,
                                   mlc_arena *arena, struct mlc__ngram_out *out) {
    mlc__ngram_mem mm = {0, 0};
    mlc__ngram_tv tv;
    mlc__ngram_vec toks;
    mlc__ngram_ord ord[MLC_NGRAM_MAX_ORDER];
    mlc_result r = MLC_OK;
    size_t mark = arena ? mlc_arena_mark(arena) : 0, i, ntok;
    uint32_t *tk;
    int N, n, cm;
    const char *s, *end;
    if (!m || !p || (!text && len)) return MLC_ERR_NULL;
    memset(m, 0, sizeof *m);
    if ((r = mlc__ngram_check_params(p)) != MLC_OK) return r;
    N = p->order; cm = p->char_mode;
    memset(&tv, 0, sizeof tv); memset(&toks, 0, sizeof toks);
    memset(ord, 0, sizeof ord);
    m->order = N; m->char_mode = cm;
    /* vocabulary and the token stream: <s> w1 .. wk </s> per line */
    {
        static const char *const sp[3] = { "<unk>", "<s>", "</s>" };
        uint32_t k;
        for (k = 0; k < 3; k++) {
            size_t l = strlen(sp[k]);
            if (mlc__ngram_tv_id(&mm, &tv, sp[k], l, sp[k] + l) != k) { r = MLC_ERR_NOMEM; goto done; }
        }
    }
    for (s = text, end = text + len; s < end;) {
        const char *nl = (const char *)memchr(s, '\n', (size_t)(end - s)), *le = nl ? nl : end, *tok;
        size_t tl;
        uint32_t id = MLC_NGRAM_BOS;
        if (mlc__ngram_vec_reserve(&mm, &toks, 4)) { r = MLC_ERR_NOMEM; goto done; }
        memcpy(toks.p + toks.n, &id, 4); toks.n += 4;
        while (mlc__ngram_next_tok(cm, &s, le, &tok, &tl)) {
            id = mlc__ngram_tv_id(&mm, &tv, tok, tl, tok >= text && tok < end ? end : tok + tl);
            if (id == MLC__NGRAM_NONE) { r = tl > 0xFFFFu ? MLC_ERR_UNSUPPORTED : MLC_ERR_NOMEM; goto done; }
            if (id <= MLC_NGRAM_EOS) continue;   /* <unk> <s> </s> in the text: skipped, as lmplz */
            if (mlc__ngram_vec_reserve(&mm, &toks, 4)) { r = MLC_ERR_NOMEM; goto done; }
            memcpy(toks.p + toks.n, &id, 4); toks.n += 4;
        }
        id = MLC_NGRAM_EOS;
        if (mlc__ngram_vec_reserve(&mm, &toks, 4)) { r = MLC_ERR_NOMEM; goto done; }
        memcpy(toks.p + toks.n, &id, 4); toks.n += 4;
        m->train_sentences++;
        s = nl ? nl + 1 : end;
    }
    if (!m->train_sentences) { r = MLC_ERR_ARG; goto done; }
    ntok = toks.n / 4;
    if (ntok >= 0xFFFFFFF0u) { r = MLC_ERR_UNSUPPORTED; goto done; }
    m->train_tokens = ntok - m->train_sentences;
    m->vocab_size = tv.n;
    tk = (uint32_t *)(void *)toks.p;
    /* counting: unigrams, then the longer orders */
    ord[0].count = tv.n;
    if (!(ord[0].raw = (uint32_t *)mlc__ngram_tmpn(&mm, tv.n, 4))) { r = MLC_ERR_NOMEM; goto done; }
    memset(ord[0].raw, 0, (size_t)tv.n * 4);
    for (i = 0; i < ntok; i++) if (tk[i] != MLC_NGRAM_BOS) ord[0].raw[tk[i]]++;
    if (mlc__ngram_count(&mm, ord, N, tk, ntok, tv.n)) { r = MLC_ERR_NOMEM; goto done; }
    mlc__ngram_tmpfree(&mm, toks.p); toks.p = NULL;
    /* estimation */
    if (p->smoothing == MLC_NGRAM_KN ? mlc__ngram_kn(&mm, ord, N, tv.n, p, m) : mlc__ngram_simple(&mm, ord, N, tv.n, p)) {
        r = MLC_ERR_NOMEM; goto done;
    }
    r = out ? mlc__ngram_emit(m, &mm, ord, &tv, out) : mlc__ngram_build(m, ord, &tv, !p->query_only, arena);
done:
    mlc__ngram_tmpfree(&mm, toks.p);
    mlc__ngram_tmpfree(&mm, tv.str.p); mlc__ngram_tmpfree(&mm, tv.off.p); mlc__ngram_tmpfree(&mm, tv.tab);
    for (n = 0; n < MLC_NGRAM_MAX_ORDER; n++) {
        mlc__ngram_ord *d = &ord[n];
        mlc__ngram_tmpfree(&mm, d->last); mlc__ngram_tmpfree(&mm, d->raw);
        mlc__ngram_tmpfree(&mm, d->suf); mlc__ngram_tmpfree(&mm, d->ctx); mlc__ngram_tmpfree(&mm, d->den);
        mlc__ngram_tmpfree(&mm, d->gamma); mlc__ngram_tmpfree(&mm, d->prob); mlc__ngram_tmpfree(&mm, d->lp);
        mlc__ngram_tmpfree(&mm, d->lb); mlc__ngram_tmpfree(&mm, d->fl); mlc__ngram_tmpfree(&mm, d->pruned);
    }
    if (r != MLC_OK) {
        size_t need = arena ? arena->need : 0;
        if (m->owned_) MLC_FREE(m->owned_);
        memset(m, 0, sizeof *m);
        if (arena) { mlc_arena_reset(arena, mark); arena->need = need; }
    } else m->train_peak_bytes = mm.peak;
    return r;
}

MLC_API mlc_result mlc_ngram_train(mlc_ngram *m, const char *text, size_t len, const mlc_ngram_params *p,
                                   mlc_arena *arena) {
    return mlc__ngram_train(m, text, len, p, arena, NULL);
}

/* ---- ARPA reading ----------------------------------------------------------------
   Two passes over the buffer: the first checks the layout (headers,
   sections, the unigrams' fields) and counts each section's lines (nothing
   is allocated for a count the file does not back up), the second parses
   the numbers, looks the words up and builds the model. If either fails,
   a full check (every field and number, in file order) runs so that the
   error reported is the file's first. */
typedef struct mlc__ngram_lines { const char *p, *end; size_t line; } mlc__ngram_lines;

static int mlc__ngram_line(mlc__ngram_lines *L, const char **ls, const char **le) {
    const char *s = L->p, *nl;
    if (s >= L->end) return 0;
    nl = (const char *)memchr(s, '\n', (size_t)(L->end - s));
    *ls = s; *le = nl ? nl : L->end;
    L->p = nl ? nl + 1 : L->end;
    L->line++;
    if (*le > *ls && (*le)[-1] == '\r') (*le)--;
    return 1;
}
static void mlc__ngram_trim(const char **s, const char **e) {
    while (*s < *e && mlc__ngram_isws((unsigned char)**s)) (*s)++;
    while (*e > *s && mlc__ngram_isws((unsigned char)(*e)[-1])) (*e)--;
}
static int mlc__ngram_is(const char *s, const char *e, const char *lit) {
    size_t n = strlen(lit);
    mlc__ngram_trim(&s, &e);
    return (size_t)(e - s) == n && memcmp(s, lit, n) == 0;
}
/* digits -> u64 (no overflow); 0 on success */
static int mlc__ngram_uint(const char **s, const char *e, uint64_t *v) {
    const char *p = *s;
    uint64_t x = 0;
    if (p == e || *p < '0' || *p > '9') return 1;
    for (; p < e && *p >= '0' && *p <= '9'; p++) {
        if (x > (UINT64_MAX - 9u) / 10u) return 1;
        x = x * 10u + (uint64_t)(*p - '0');
    }
    *s = p; *v = x;
    return 0;
}
/* "\N-grams:" -> N, else 0 */
static int mlc__ngram_section(const char *s, const char *e) {
    uint64_t n;
    mlc__ngram_trim(&s, &e);
    if (e - s < 9 || *s != '\\') return 0;
    s++;
    if (mlc__ngram_uint(&s, e, &n) || n == 0 || n > 1000) return 0;
    return (size_t)(e - s) == 7 && memcmp(s, "-grams:", 7) == 0 ? (int)n : 0;
}
/* Splits a line into at most maxf fields; returns the count (maxf + 1 if more). */
static int mlc__ngram_fields(const char *s, const char *e, const char **f, size_t *fl, int maxf) {
    int n = 0;
    const char *t;
    size_t l;
    while (mlc__ngram_next_word(&s, e, &t, &l)) {
        if (n == maxf) return maxf + 1;
        f[n] = t; fl[n] = l; n++;
    }
    return n;
}

typedef struct mlc__ngram_arpa {
    int order, have[3];
    uint64_t counts[MLC_NGRAM_MAX_ORDER];
    const char *sect[MLC_NGRAM_MAX_ORDER];   /* first byte after each section header */
    size_t sect_line[MLC_NGRAM_MAX_ORDER];   /* that header's line number */
    size_t string_bytes;
    const char *end;                         /* end of the buffer */
} mlc__ngram_arpa;

static const char *const mlc__ngram_special[3] = { "<unk>", "<s>", "</s>" };

/* One n-gram line of order n: 0 or an error; words at f[1..n]. */
static mlc_result mlc__ngram_arpa_entry(const char *s, const char *e, int n, int top, const char **f, size_t *fl,
                                        float *prob, float *bo) {
    int nf = mlc__ngram_fields(s, e, f, fl, MLC_NGRAM_MAX_ORDER + 2);
    if (nf != n + 1 && nf != n + 2) return MLC_ERR_FORMAT;
    if (!prob) return MLC_OK;   /* the fields only */
    if (mlc__ngram_parse_float(f[0], fl[0], prob) || *prob != *prob || *prob > 3e38f) return MLC_ERR_FORMAT;
    *bo = 0.0f;
    if (nf == n + 2) {
        float b;
        if (mlc__ngram_parse_float(f[n + 1], fl[n + 1], &b) || b != b || b > 3e38f) return MLC_ERR_FORMAT;
        if (!top) *bo = b;
    }
    return MLC_OK;
}

static mlc_result mlc__ngram_arpa_scan(const char *buf, size_t len, mlc__ngram_arpa *A, size_t *line, int full) {
    mlc__ngram_lines L;
    const char *s, *e, *f[MLC_NGRAM_MAX_ORDER + 2];
    size_t fl[MLC_NGRAM_MAX_ORDER + 2];
    int n, k;
    memset(A, 0, sizeof *A);
    L.p = buf; L.end = buf + len; L.line = 0;
    A->end = buf + len;
    for (;;) {   /* anything before \data\ */
        if (!mlc__ngram_line(&L, &s, &e)) { *line = L.line + 1; return MLC_ERR_FORMAT; }
        if ((size_t)(e - s) > MLC__NGRAM_MAX_LINE) { *line = L.line; return MLC_ERR_FORMAT; }
        if (mlc__ngram_is(s, e, "\\data\\")) break;
    }
    for (;;) {   /* ngram N=C lines */
        uint64_t o, c;
        if (!mlc__ngram_line(&L, &s, &e)) { *line = L.line + 1; return MLC_ERR_TRUNCATED; }
        *line = L.line;
        if ((size_t)(e - s) > MLC__NGRAM_MAX_LINE) return MLC_ERR_FORMAT;
        mlc__ngram_trim(&s, &e);
        if (s == e) continue;
        if (mlc__ngram_section(s, e) == 1 && A->order) break;
        if (e - s < 6 || memcmp(s, "ngram", 5) != 0 || !mlc__ngram_isws((unsigned char)s[5])) return MLC_ERR_FORMAT;
        s += 5;
        mlc__ngram_trim(&s, &e);
        if (mlc__ngram_uint(&s, e, &o)) return MLC_ERR_FORMAT;
        mlc__ngram_trim(&s, &e);
        if (s == e || *s++ != '=') return MLC_ERR_FORMAT;
        mlc__ngram_trim(&s, &e);
        if (mlc__ngram_uint(&s, e, &c) || s != e) return MLC_ERR_FORMAT;
        if (o != (uint64_t)A->order + 1) return MLC_ERR_FORMAT;
        if (o > MLC_NGRAM_MAX_ORDER) return MLC_ERR_UNSUPPORTED;
        if (c > 0xFFFFFFF0ull || (o == 1 && c == 0)) return MLC_ERR_FORMAT;
        A->counts[A->order++] = c;
    }
    for (n = 1; n <= A->order; n++) {
        uint64_t seen = 0;
        if (n > 1) {   /* the header of section n, after blank lines */
            for (;;) {
                if (!mlc__ngram_line(&L, &s, &e)) { *line = L.line + 1; return MLC_ERR_TRUNCATED; }
                *line = L.line;
                if ((size_t)(e - s) > MLC__NGRAM_MAX_LINE) return MLC_ERR_FORMAT;
                mlc__ngram_trim(&s, &e);
                if (s == e) continue;
                if (mlc__ngram_section(s, e) != n) return MLC_ERR_FORMAT;
                break;
            }
        }
        A->sect[n - 1] = L.p;
        A->sect_line[n - 1] = L.line;
        for (;;) {
            const char *ls, *le;
            float pr, bo;
            if (!mlc__ngram_line(&L, &ls, &le)) {
                *line = L.line + 1;
                return MLC_ERR_TRUNCATED;
            }
            *line = L.line;
            if ((size_t)(le - ls) > MLC__NGRAM_MAX_LINE) return MLC_ERR_FORMAT;
            s = ls; e = le;
            mlc__ngram_trim(&s, &e);
            if (s == e) continue;
            if (*s == '\\') {   /* a header or \end\: the section is over */
                if (seen < A->counts[n - 1]) return MLC_ERR_TRUNCATED;
                L.p = ls; L.line--;          /* read it again */
                break;
            }
            if (seen == A->counts[n - 1]) return MLC_ERR_FORMAT;   /* more n-grams than declared */
            if ((full || n == 1) && mlc__ngram_arpa_entry(s, e, n, n == A->order, f, fl, full ? &pr : NULL, &bo) != MLC_OK)
                return MLC_ERR_FORMAT;
            if (n == 1) {
                for (k = 0; k < 3; k++)
                    if (fl[1] == strlen(mlc__ngram_special[k]) && memcmp(f[1], mlc__ngram_special[k], fl[1]) == 0) A->have[k] = 1;
                A->string_bytes += fl[1] + 1;
            }
            seen++;
        }
    }
    for (;;) {
        if (!mlc__ngram_line(&L, &s, &e)) { *line = L.line + 1; return MLC_ERR_TRUNCATED; }
        *line = L.line;
        mlc__ngram_trim(&s, &e);
        if (s == e) continue;
        if (mlc__ngram_is(s, e, "\\end\\")) break;
        return MLC_ERR_FORMAT;
    }
    if (!A->have[1] || !A->have[2]) { *line = A->sect_line[0]; return MLC_ERR_FORMAT; }
    if (!A->have[0]) A->string_bytes += 6;
    *line = 0;
    return MLC_OK;
}

/* N-grams of order n >= 2 are read MLC__NGRAM_RBATCH lines at a time: the
   words looked up and the table slots prefetched, then inserted in file
   order, so the slots' cache misses overlap. */
#define MLC__NGRAM_RBATCH 16
typedef struct mlc__ngram_pending {
    uint64_t key, ksuf, kctx;   /* the n-gram's, its suffix's and its context's (n > 2) */
    float pr, bo;
    size_t line;
    uint32_t ids[MLC_NGRAM_MAX_ORDER];
} mlc__ngram_pending;
/* Inserts B[0..nb), the n-grams first..first+nb-1 of order n. */
static mlc_result mlc__ngram_arpa_flush(mlc_ngram *m, const mlc__ngram_pending *B, int nb, int n, int keep,
                                        uint64_t first, size_t *line) {
    size_t stride = mlc__ngram_stride(m, n);
    int b;
    for (b = 0; b < nb; b++) {
        if (mlc__ngram_insert(m->tab_[n - 1], m->slots_[n - 1], stride, B[b].key, mlc__ngram_store_p(B[b].pr),
                              mlc__ngram_store_bo(B[b].bo))) {
            *line = B[b].line;
            return MLC_ERR_FORMAT;   /* duplicate n-gram */
        }
        mlc__ngram_mark(m, B[b].ids, n, B[b].ksuf, B[b].kctx);
        if (keep) memcpy(m->words_[n - 1] + (first + (uint64_t)b) * (uint64_t)n, B[b].ids, (size_t)n * 4);
    }
    return MLC_OK;
}

static mlc_result mlc__ngram_arpa_build(mlc_ngram *m, const mlc__ngram_arpa *A, int keep, mlc_arena *arena,
                                        size_t *line) {
    static const uint32_t so[3] = {0, 6, 10};
    mlc__ngram_pending B[MLC__NGRAM_RBATCH];
    int nb = 0;
    mlc__ngram_layout L;
    mlc__ngram_lines it;
    mlc_result r;
    const char *f[MLC_NGRAM_MAX_ORDER + 2];
    size_t fl[MLC_NGRAM_MAX_ORDER + 2], off = 15;
    uint32_t next = 3, k;
    int n, seen[3] = {0, 0, 0};
    uint64_t j;
    m->order = A->order;
    m->vocab_size = (uint32_t)A->counts[0] + (A->have[0] ? 0u : 1u);
    for (n = 1; n <= A->order; n++) m->counts[n - 1] = A->counts[n - 1];
    m->counts[0] = m->vocab_size;
    if ((r = mlc__ngram_plan(&L, m, A->string_bytes, keep, 0)) != MLC_OK) return r;
    if ((r = mlc__ngram_alloc_block(m, &L, keep, arena)) != MLC_OK) return r;
    memcpy(m->strings_, "<unk>\0<s>\0</s>", 15);
    for (k = 0; k < 3; k++) {
        uint32_t l = (uint32_t)strlen(mlc__ngram_special[k]);
        m->offsets_[k] = so[k];
        mlc__ngram_vadd(m, k, mlc__ngram_special[k], l, mlc__ngram_special[k] + l);
    }
    if (!A->have[0]) {
        m->uni_[0] = mlc__ngram_store_p(-100.0f); m->uni_[1] = mlc__ngram_store_bo(0.0f);
        m->status |= MLC_NGRAM_ST_UNK_ADDED;
    }
    for (n = 1; n <= A->order; n++) {
        size_t stride = n > 1 ? mlc__ngram_stride(m, n) : 0;
        it.p = A->sect[n - 1]; it.end = A->end; it.line = A->sect_line[n - 1];
        for (j = 0; j < A->counts[n - 1];) {
            const char *s, *e;
            float pr, bo;
            int i;
            if (!mlc__ngram_line(&it, &s, &e)) return MLC_ERR_TRUNCATED;   /* the scan saw it */
            *line = it.line;
            mlc__ngram_trim(&s, &e);
            if (s == e) continue;
            if (mlc__ngram_arpa_entry(s, e, n, n == A->order, f, fl, &pr, &bo) != MLC_OK) return MLC_ERR_FORMAT;
            if (pr > 0.0f) { pr = 0.0f; m->status |= MLC_NGRAM_ST_POS_PROB; }
            if (n == 1) {
                uint32_t id = mlc__ngram_vid(m, f[1], fl[1], A->end);
                if (id < 3) {
                    if (seen[id]++) return MLC_ERR_FORMAT;   /* duplicate unigram */
                } else if (id != MLC__NGRAM_NONE) return MLC_ERR_FORMAT;
                else {
                    id = next++;
                    m->offsets_[id] = (uint32_t)off;
                    memcpy(m->strings_ + off, f[1], fl[1]);
                    m->strings_[off + fl[1]] = 0;
                    off += fl[1] + 1;
                    mlc__ngram_vadd(m, id, f[1], fl[1], A->end);
                }
                m->uni_[2 * (size_t)id] = mlc__ngram_store_p(pr);
                m->uni_[2 * (size_t)id + 1] = mlc__ngram_store_bo(bo);
            } else {   /* into the batch; its slots prefetched */
                mlc__ngram_pending *q = &B[nb];
                for (i = 0; i < n; i++) {
                    q->ids[i] = mlc__ngram_vid(m, f[1 + i], fl[1 + i], A->end);
                    if (q->ids[i] == MLC__NGRAM_NONE) {   /* not a unigram: the lines before it first */
                        if ((r = mlc__ngram_arpa_flush(m, B, nb, n, keep, j - nb, line)) != MLC_OK) return r;
                        *line = it.line;
                        return MLC_ERR_FORMAT;
                    }
                }
                if (n > 2) {   /* the suffix's key is a step of the n-gram's (words last to first) */
                    size_t st2 = mlc__ngram_stride(m, n - 1);
                    q->ksuf = mlc__ngram_key(m->seed_, q->ids + 1, n - 1);
                    q->key = mlc__ngram_kx(q->ksuf, q->ids[0]);
                    q->kctx = mlc__ngram_key(m->seed_, q->ids, n - 1);
                    MLC__NGRAM_PREFETCH(m->tab_[n - 2] + (size_t)mlc__ngram_home(q->ksuf, m->slots_[n - 2]) * st2);
                    MLC__NGRAM_PREFETCH(m->tab_[n - 2] + (size_t)mlc__ngram_home(q->kctx, m->slots_[n - 2]) * st2);
                } else {
                    q->key = mlc__ngram_key(m->seed_, q->ids, n);
                    q->ksuf = q->kctx = 0;
                }
                q->pr = pr; q->bo = bo; q->line = it.line;
                MLC__NGRAM_PREFETCH(m->tab_[n - 1] + (size_t)mlc__ngram_home(q->key, m->slots_[n - 1]) * stride);
                if (++nb == MLC__NGRAM_RBATCH) {
                    if ((r = mlc__ngram_arpa_flush(m, B, nb, n, keep, j + 1 - nb, line)) != MLC_OK) return r;
                    nb = 0;
                }
            }
            j++;
        }
        if (nb && (r = mlc__ngram_arpa_flush(m, B, nb, n, keep, j - nb, line)) != MLC_OK) return r;
        nb = 0;
        if (n == 1) m->offsets_[m->vocab_size] = (uint32_t)off;
    }
    *line = 0;
    return MLC_OK;
}

MLC_API mlc_result mlc_ngram_read_arpa(mlc_ngram *m, const char *buf, size_t len, int query_only,
                                       mlc_arena *arena, size_t *err_line) {
    mlc__ngram_arpa A;
    size_t line = 0, mark = arena ? mlc_arena_mark(arena) : 0;
    mlc_result r;
    if (err_line) *err_line = 0;
    if (!m || (!buf && len)) return MLC_ERR_NULL;
    memset(m, 0, sizeof *m);
    if (!buf) buf = "";
    r = mlc__ngram_arpa_scan(buf, len, &A, &line, 0);
    if (r == MLC_OK && (A.string_bytes > 0xFFFFFFF0u || A.counts[0] > 0x7FFFFFF0u)) { r = MLC_ERR_UNSUPPORTED; line = 0; }
    if (r == MLC_OK) r = mlc__ngram_arpa_build(m, &A, !query_only, arena, &line);
    if (r != MLC_OK) {
        size_t need = arena ? arena->need : 0, fline = 0;
        mlc_result fr = mlc__ngram_arpa_scan(buf, len, &A, &fline, 1);   /* the file's first error */
        if (fr != MLC_OK) { r = fr; line = fline; }
        if (r == MLC_ERR_NOMEM || r == MLC_ERR_UNSUPPORTED) line = r == MLC_ERR_NOMEM ? 0 : line;
        if (m->owned_) MLC_FREE(m->owned_);
        memset(m, 0, sizeof *m);
        if (arena) { mlc_arena_reset(arena, mark); arena->need = need; }
        if (err_line) *err_line = line;
    }
    return r;
}

#ifndef MLC_NO_STDIO
MLC_API mlc_result mlc_ngram_read_arpa_file(mlc_ngram *m, const char *path, int query_only,
                                            mlc_arena *arena, size_t *err_line) {
    void *data;
    size_t size;
    mlc_result r;
    if (err_line) *err_line = 0;
    if (!m || !path) return MLC_ERR_NULL;
    memset(m, 0, sizeof *m);
    if ((r = mlc_file_load(path, &data, &size)) != MLC_OK) return r;
    r = mlc_ngram_read_arpa(m, (const char *)data, size, query_only, arena, err_line);
    mlc_file_free(data);
    return r;
}
#endif

/* ---- ARPA writing ---------------------------------------------------------------- */
typedef struct mlc__ngram_out {
    mlc_ngram_write_fn fn;
    void *user;
    size_t n;
    int err;
    char buf[4096];
} mlc__ngram_out;

static void mlc__ngram_flush(mlc__ngram_out *o) {
    if (!o->err && o->n && o->fn(o->user, o->buf, o->n)) o->err = 1;
    o->n = 0;
}
static void mlc__ngram_put(mlc__ngram_out *o, const char *s, size_t n) {
    if (o->err) return;
    if (n > sizeof o->buf - o->n) {
        mlc__ngram_flush(o);
        if (n >= sizeof o->buf) { if (!o->err && o->fn(o->user, s, n)) o->err = 1; return; }
    }
    memcpy(o->buf + o->n, s, n);
    o->n += n;
}
static void mlc__ngram_putf(mlc__ngram_out *o, float x) { char t[32]; mlc__ngram_put(o, t, mlc__ngram_fmt_float(t, x)); }
static void mlc__ngram_putu(mlc__ngram_out *o, uint64_t x) { char t[32]; mlc__ngram_put(o, t, mlc__ngram_fmt_u64(t, x)); }
/* \data\ and the counts; one n-gram's line (n >= 1; the backoff column on
   every order but the highest); the \end\. */
static void mlc__ngram_arpa_head(mlc__ngram_out *o, int N, const uint64_t *counts) {
    int n;
    mlc__ngram_put(o, "\\data\\\n", 7);
    for (n = 1; n <= N; n++) {
        mlc__ngram_put(o, "ngram ", 6); mlc__ngram_putu(o, (uint64_t)n);
        mlc__ngram_put(o, "=", 1); mlc__ngram_putu(o, counts[n - 1]); mlc__ngram_put(o, "\n", 1);
    }
}
static void mlc__ngram_arpa_section(mlc__ngram_out *o, int n) {
    mlc__ngram_put(o, "\n\\", 2); mlc__ngram_putu(o, (uint64_t)n); mlc__ngram_put(o, "-grams:\n", 8);
}
static void mlc__ngram_arpa_gram(mlc__ngram_out *o, const char *strings, const uint32_t *offsets, const uint32_t *w,
                                 int n, int N, float p, float b) {
    size_t need = 2u * MLC__NGRAM_FMAX + (size_t)n + 2u;   /* two numbers, separators, newline */
    int i;
    char *d;
    for (i = 0; i < n; i++) need += offsets[w[i] + 1] - offsets[w[i]] - 1u;
    if (o->err) return;
    if (need > sizeof o->buf - o->n) mlc__ngram_flush(o);
    if (need <= sizeof o->buf - o->n) {   /* the line straight into the buffer */
        d = o->buf + o->n;
        d += mlc__ngram_fmt_float(d, p);
        for (i = 0; i < n; i++) {
            uint32_t l = offsets[w[i] + 1] - offsets[w[i]] - 1u;
            *d++ = i ? ' ' : '\t';
            memcpy(d, strings + offsets[w[i]], l);
            d += l;
        }
        if (n < N) { *d++ = '\t'; d += mlc__ngram_fmt_float(d, b); }
        *d++ = '\n';
        o->n = (size_t)(d - o->buf);
        return;
    }
    mlc__ngram_putf(o, p);   /* a line longer than the buffer */
    for (i = 0; i < n; i++) {
        mlc__ngram_put(o, i ? " " : "\t", 1);
        mlc__ngram_put(o, strings + offsets[w[i]], offsets[w[i] + 1] - offsets[w[i]] - 1u);
    }
    if (n < N) { mlc__ngram_put(o, "\t", 1); mlc__ngram_putf(o, b); }
    mlc__ngram_put(o, "\n", 1);
}

/* Can m be written (before anything is, e.g. a file opened)? */
static mlc_result mlc__ngram_writable(const mlc_ngram *m) {
    int n;
    if (!m) return MLC_ERR_NULL;
    if (!m->uni_ || m->order < 1 || m->order > MLC_NGRAM_MAX_ORDER) return MLC_ERR_ARG;
    for (n = 2; n <= m->order; n++) if (!m->words_[n - 1]) return MLC_ERR_UNSUPPORTED;
    return MLC_OK;
}

MLC_API mlc_result mlc_ngram_write_arpa(const mlc_ngram *m, mlc_ngram_write_fn write, void *user) {
    mlc__ngram_out *o, ob;
    mlc_result r;
    int n, N;
    uint64_t j;
    if (!m || !write) return MLC_ERR_NULL;
    if ((r = mlc__ngram_writable(m)) != MLC_OK) return r;
    N = m->order;
    o = &ob;
    o->fn = write; o->user = user; o->n = 0; o->err = 0;
    mlc__ngram_arpa_head(o, N, m->counts);
    for (n = 1; n <= N && !o->err; n++) {
        const uint32_t *w = m->words_[n - 1];
        uint64_t cnt = m->counts[n - 1], ring[16];
        size_t stride = mlc__ngram_stride(m, n);
        mlc__ngram_arpa_section(o, n);
        for (j = 0; n > 1 && j < cnt && j < 8; j++) ring[j] = mlc__ngram_key(m->seed_, w + j * (uint64_t)n, n);
        for (j = 0; j < cnt && !o->err; j++) {
            float p, b = 0.0f;
            if (n == 1) {
                uint32_t id = (uint32_t)j;
                p = m->uni_[2 * j]; b = m->uni_[2 * j + 1];
                mlc__ngram_arpa_gram(o, m->strings_, m->offsets_, &id, 1, N, mlc__ngram_true_p(p), mlc__ngram_true_bo(b));
            } else {   /* the n-grams' slots are looked up 8 ahead, their cache misses overlapped */
                const unsigned char *s;
                if (j + 8 < cnt) {
                    uint64_t k8 = mlc__ngram_key(m->seed_, w + (j + 8) * (uint64_t)n, n);
                    ring[(j + 8) & 15] = k8;
                    MLC__NGRAM_PREFETCH(m->tab_[n - 1] + (size_t)mlc__ngram_home(k8, m->slots_[n - 1]) * stride);
                }
                s = mlc__ngram_find(m->tab_[n - 1], m->slots_[n - 1], stride, ring[j & 15]);
                if (!s) return MLC_ERR_ARG;   /* a corrupted model */
                memcpy(&p, s + 8, 4);
                if (n < N) memcpy(&b, s + 12, 4);
                mlc__ngram_arpa_gram(o, m->strings_, m->offsets_, w + j * (uint64_t)n, n, N, mlc__ngram_true_p(p),
                                     mlc__ngram_true_bo(b));
            }
        }
    }
    mlc__ngram_put(o, "\n\\end\\\n", 7);
    mlc__ngram_flush(o);
    return o->err ? MLC_ERR_IO : MLC_OK;
}

/* The ARPA mlc_ngram_write_arpa writes for the model mlc__ngram_build would
   make from these estimates (same order of n-grams, same values), straight
   from the estimates: one order sorted at a time. */
static mlc_result mlc__ngram_emit(mlc_ngram *m, mlc__ngram_mem *mm, const mlc__ngram_ord *o, const mlc__ngram_tv *tv,
                                  struct mlc__ngram_out *out) {
    int N = m->order, n;
    uint32_t V = m->vocab_size, *off = (uint32_t *)mlc__ngram_tmpn(mm, (size_t)V + 1, 4), w[MLC_NGRAM_MAX_ORDER];
    size_t i;
    if (!off) return MLC_ERR_NOMEM;
    memcpy(off, tv->off.p, (size_t)V * 4);
    off[V] = (uint32_t)tv->str.n;
    m->counts[0] = V;
    for (n = 2; n <= N; n++) m->counts[n - 1] = mlc__ngram_kept(&o[n - 1]);
    mlc__ngram_arpa_head(out, N, m->counts);
    for (n = 1; n <= N && !out->err; n++) {
        const mlc__ngram_ord *d = &o[n - 1];
        mlc__ngram_arpa_section(out, n);
        for (i = 0; i < d->count; i++) {
            if (d->pruned && d->pruned[i]) continue;
            mlc__ngram_words(o, n, i, w);
            mlc__ngram_arpa_gram(out, (const char *)tv->str.p, off, w, n, N,
                                 mlc__ngram_true_p(mlc__ngram_flag_p(d->lp[i], d->fl[i])),
                                 mlc__ngram_true_bo(mlc__ngram_flag_bo(d->lb ? d->lb[i] : 0.0f, d->fl[i])));
        }
    }
    mlc__ngram_tmpfree(mm, off);
    mlc__ngram_put(out, "\n\\end\\\n", 7);
    mlc__ngram_flush(out);
    return out->err ? MLC_ERR_IO : MLC_OK;
}

MLC_API mlc_result mlc_ngram_train_arpa(const char *text, size_t len, const mlc_ngram_params *p,
                                        mlc_ngram_write_fn write, void *user, mlc_ngram *info) {
    mlc__ngram_out ob;
    mlc_ngram t;
    mlc_result r;
    if (info) memset(info, 0, sizeof *info);
    if (!write) return MLC_ERR_NULL;
    ob.fn = write; ob.user = user; ob.n = 0; ob.err = 0;
    r = mlc__ngram_train(&t, text, len, p, NULL, &ob);
    if (r == MLC_OK && info) *info = t;
    return r;
}

#ifndef MLC_NO_STDIO
static int mlc__ngram_filewrite(void *user, const char *data, size_t n);
MLC_API mlc_result mlc_ngram_train_arpa_file(const char *text, size_t len, const mlc_ngram_params *p,
                                             const char *path, mlc_ngram *info) {
    FILE *f;
    mlc_result r;
    if (info) memset(info, 0, sizeof *info);
    if (!path || !p || (!text && len)) return MLC_ERR_NULL;
    if ((r = mlc__ngram_check_params(p)) != MLC_OK) return r;
    if (!(f = fopen(path, "wb"))) return MLC_ERR_IO;
    r = mlc_ngram_train_arpa(text, len, p, mlc__ngram_filewrite, f, info);
    if (fclose(f) != 0 && r == MLC_OK) r = MLC_ERR_IO;
    return r;
}
#endif

typedef struct mlc__ngram_membuf { char *buf; size_t cap, len; } mlc__ngram_membuf;
static int mlc__ngram_memwrite(void *user, const char *data, size_t n) {
    mlc__ngram_membuf *b = (mlc__ngram_membuf *)user;
    if (b->buf && b->len < b->cap) memcpy(b->buf + b->len, data, MLC__MIN(n, b->cap - b->len));
    b->len += n;
    return 0;
}
MLC_API mlc_result mlc_ngram_write_arpa_mem(const mlc_ngram *m, char *buf, size_t cap, size_t *len) {
    mlc__ngram_membuf b;
    mlc_result r;
    if (!len || (!buf && cap)) return MLC_ERR_NULL;
    b.buf = buf; b.cap = cap; b.len = 0;
    r = mlc_ngram_write_arpa(m, mlc__ngram_memwrite, &b);
    *len = b.len;
    if (r == MLC_OK && b.len > cap) r = MLC_ERR_NOMEM;
    return r;
}

#ifndef MLC_NO_STDIO
static int mlc__ngram_filewrite(void *user, const char *data, size_t n) {
    return fwrite(data, 1, n, (FILE *)user) != n;
}
MLC_API mlc_result mlc_ngram_write_arpa_file(const mlc_ngram *m, const char *path) {
    FILE *f;
    mlc_result r;
    if (!m || !path) return MLC_ERR_NULL;
    /* refuse before fopen truncates the file (it may be the one m was read from) */
    if ((r = mlc__ngram_writable(m)) != MLC_OK) return r;
    if (!(f = fopen(path, "wb"))) return MLC_ERR_IO;
    r = mlc_ngram_write_arpa(m, mlc__ngram_filewrite, f);
    if (fclose(f) != 0 && r == MLC_OK) r = MLC_ERR_IO;
    return r;
}
#endif

/* ---- binary models ------------------------------------------------------------
   The query structure as it is in memory, so that a model is used in place:
   a 64-byte header, order records of 64 bytes, then the block (at a
   multiple of 64) laid out by mlc__ngram_plan from the header's numbers.
     header  "mlcngram" u32 version, u32 0x01020304 (byte order), u32 order,
             u32 char_mode, u32 status, u32 fallback_orders, u32 vocab_size,
             u32 has_words, u64 string_bytes, u64 seed, u64 block bytes
     order n u64 count, u32 slots (0 for n = 1), f32 discounts[3], u32 0,
             u64 adjusted_hist[4]
   Numbers in the writer's byte order and float format; a reader of the
   other byte order says MLC_ERR_UNSUPPORTED. */
#define MLC__NGRAM_BIN_VERSION 1u
#define MLC__NGRAM_BIN_HEAD 64u
#define MLC__NGRAM_BIN_ORDER 64u

MLC__INLINE size_t mlc__ngram_bin_start(int order) {
    return (MLC__NGRAM_BIN_HEAD + (size_t)order * MLC__NGRAM_BIN_ORDER + 63u) & ~(size_t)63u;
}
static void mlc__ngram_put32(unsigned char *p, uint32_t v) { memcpy(p, &v, 4); }
static void mlc__ngram_put64(unsigned char *p, uint64_t v) { memcpy(p, &v, 8); }
static uint32_t mlc__ngram_get32(const unsigned char *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t mlc__ngram_get64(const unsigned char *p) { uint64_t v; memcpy(&v, p, 8); return v; }

MLC_API mlc_result mlc_ngram_write_binary(const mlc_ngram *m, int query_only, mlc_ngram_write_fn write, void *user) {
    static const unsigned char zeros[64] = { 0 };
    unsigned char head[MLC__NGRAM_BIN_HEAD + MLC__NGRAM_BIN_ORDER];
    mlc__ngram_layout L;
    mlc_ngram t;
    int n, keep;
    size_t at, i;
    if (!m || !write) return MLC_ERR_NULL;
    if (!m->uni_ || !m->offsets_ || m->order < 1 || m->order > MLC_NGRAM_MAX_ORDER) return MLC_ERR_ARG;
    keep = !query_only;
    for (n = 2; n <= m->order; n++) if (!m->words_[n - 1]) keep = 0;
    t = *m;   /* the plan sets vmask_ and the slots again: same values */
    if (mlc__ngram_plan(&L, &t, m->offsets_[m->vocab_size], keep, 1) != MLC_OK) return MLC_ERR_ARG;
    memset(head, 0, sizeof head);
    memcpy(head, "mlcngram", 8);
    mlc__ngram_put32(head + 8, MLC__NGRAM_BIN_VERSION);
    mlc__ngram_put32(head + 12, 0x01020304u);
    mlc__ngram_put32(head + 16, (uint32_t)m->order);
    mlc__ngram_put32(head + 20, (uint32_t)m->char_mode);
    mlc__ngram_put32(head + 24, (uint32_t)m->status);
    mlc__ngram_put32(head + 28, (uint32_t)m->fallback_orders);
    mlc__ngram_put32(head + 32, m->vocab_size);
    mlc__ngram_put32(head + 36, (uint32_t)keep);
    mlc__ngram_put64(head + 40, m->offsets_[m->vocab_size]);
    mlc__ngram_put64(head + 48, m->seed_);
    mlc__ngram_put64(head + 56, L.total);
    if (write(user, (const char *)head, MLC__NGRAM_BIN_HEAD)) return MLC_ERR_IO;
    for (n = 1; n <= m->order; n++) {
        unsigned char *o = head + MLC__NGRAM_BIN_HEAD;
        memset(o, 0, MLC__NGRAM_BIN_ORDER);
        mlc__ngram_put64(o, m->counts[n - 1]);
        mlc__ngram_put32(o + 8, n > 1 ? m->slots_[n - 1] : 0u);
        for (i = 0; i < 3; i++) memcpy(o + 12 + 4 * i, &m->discount[n - 1][i], 4);
        for (i = 0; i < 4; i++) mlc__ngram_put64(o + 32 + 8 * i, m->adjusted_hist[n - 1][i]);
        if (write(user, (const char *)o, MLC__NGRAM_BIN_ORDER)) return MLC_ERR_IO;
    }
    at = MLC__NGRAM_BIN_HEAD + (size_t)m->order * MLC__NGRAM_BIN_ORDER;
    {   /* the sections in block order, zeros between them */
        const void *src[3 + 2 * MLC_NGRAM_MAX_ORDER];
        size_t off[3 + 2 * MLC_NGRAM_MAX_ORDER + 1], len[3 + 2 * MLC_NGRAM_MAX_ORDER + 1];
        size_t base = mlc__ngram_bin_start(m->order), k = 0, j;
        src[k] = m->strings_; off[k] = L.strings; len[k++] = m->offsets_[m->vocab_size];
        src[k] = m->offsets_; off[k] = L.offsets; len[k++] = ((size_t)m->vocab_size + 1) * 4;
        src[k] = m->vtab_;    off[k] = L.vtab;    len[k++] = ((size_t)m->vmask_ + 1) * 16;
        src[k] = m->uni_;     off[k] = L.uni;     len[k++] = (size_t)m->vocab_size * 8;
        for (n = 2; n <= m->order; n++) {
            src[k] = m->tab_[n - 1]; off[k] = L.tab[n - 1];
            len[k++] = (size_t)m->slots_[n - 1] * mlc__ngram_stride(m, n);
            if (keep) { src[k] = m->words_[n - 1]; off[k] = L.words[n - 1]; len[k++] = (size_t)m->counts[n - 1] * (size_t)n * 4; }
        }
        off[k] = L.total; len[k] = 0;
        for (j = 0; j <= k; j++) {
            size_t to = base + off[j];
            while (at < to) {
                size_t z = MLC__MIN(to - at, sizeof zeros);
                if (write(user, (const char *)zeros, z)) return MLC_ERR_IO;
                at += z;
            }
            if (len[j] && write(user, (const char *)src[j], len[j])) return MLC_ERR_IO;
            at += len[j];
        }
    }
    return MLC_OK;
}

/* Checks a block laid out by L (sizes already checked) so that every query
   stays inside it and ends: word offsets and lengths, vocabulary ids, an
   empty slot in every table, word ids of the n-grams. */
static mlc_result mlc__ngram_bin_check(const mlc_ngram *m, size_t string_bytes) {
    uint32_t V = m->vocab_size, i, empty = 0;
    size_t vs = (size_t)m->vmask_ + 1, s;
    int n;
    if (m->offsets_[0] != 0 || m->offsets_[V] > string_bytes) return MLC_ERR_BOUNDS;
    for (i = 0; i < V; i++) {
        uint32_t a = m->offsets_[i], b = m->offsets_[i + 1];
        if (b <= a || b > m->offsets_[V] || m->strings_[b - 1] != 0) return MLC_ERR_BOUNDS;
    }
    for (s = 0; s < vs; s++) {
        const unsigned char *p = m->vtab_ + s * 16;
        uint32_t id = mlc__ngram_get32(p + 8);
        if (id == MLC__NGRAM_NONE) { empty = 1; continue; }
        if (id >= V || mlc__ngram_get32(p + 12) != m->offsets_[id + 1] - m->offsets_[id] - 1u) return MLC_ERR_BOUNDS;
    }
    if (!empty) return MLC_ERR_FORMAT;
    for (n = 2; n <= m->order; n++) {
        size_t stride = mlc__ngram_stride(m, n), slots = m->slots_[n - 1], e = 0;
        const uint32_t *w = m->words_[n - 1];
        while (e < slots && mlc__ngram_get64(m->tab_[n - 1] + e * stride) != 0) e++;
        if (e == slots) return MLC_ERR_FORMAT;
        if (w) for (s = 0; s < (size_t)m->counts[n - 1] * (size_t)n; s++) if (w[s] >= V) return MLC_ERR_BOUNDS;
    }
    return MLC_OK;
}

MLC_API mlc_result mlc_ngram_view_binary(mlc_ngram *m, const void *data, size_t len) {
    const unsigned char *p = (const unsigned char *)data, *base;
    mlc__ngram_layout L;
    uint64_t string_bytes, total;
    uint32_t version;
    size_t start;
    int n, keep;
    mlc_result r;
    if (!m || (!data && len)) return MLC_ERR_NULL;
    memset(m, 0, sizeof *m);
    if ((uintptr_t)p & 7u) return MLC_ERR_ARG;
    if (len < MLC__NGRAM_BIN_HEAD) return len >= 8 && !memcmp(p, "mlcngram", 8) ? MLC_ERR_TRUNCATED : MLC_ERR_FORMAT;
    if (memcmp(p, "mlcngram", 8)) return MLC_ERR_FORMAT;
    version = mlc__ngram_get32(p + 8);
    if (mlc__ngram_get32(p + 12) != 0x01020304u)
        return mlc__ngram_get32(p + 12) == 0x04030201u ? MLC_ERR_UNSUPPORTED : MLC_ERR_FORMAT;
    if (version != MLC__NGRAM_BIN_VERSION) return MLC_ERR_UNSUPPORTED;
    n = (int)mlc__ngram_get32(p + 16);
    if (mlc__ngram_get32(p + 16) < 1u || mlc__ngram_get32(p + 16) > 32u) return MLC_ERR_FORMAT;
    if (n > MLC_NGRAM_MAX_ORDER) return MLC_ERR_UNSUPPORTED;
    m->order = n;
    m->char_mode = mlc__ngram_get32(p + 20) != 0;
    m->status = mlc__ngram_get32(p + 24);
    m->fallback_orders = mlc__ngram_get32(p + 28);
    m->vocab_size = mlc__ngram_get32(p + 32);
    if (mlc__ngram_get32(p + 36) > 1u) return MLC_ERR_FORMAT;   /* has_words: 0 or 1 */
    keep = (int)mlc__ngram_get32(p + 36);
    string_bytes = mlc__ngram_get64(p + 40);
    m->seed_ = mlc__ngram_get64(p + 48);
    total = mlc__ngram_get64(p + 56);
    start = mlc__ngram_bin_start(m->order);
    if (len < start) { r = MLC_ERR_TRUNCATED; goto fail; }
    r = MLC_ERR_FORMAT;
    if (m->vocab_size < 3 || string_bytes > 0xFFFFFFF0u) goto fail;
    for (n = 1; n <= m->order; n++) {
        const unsigned char *o = p + MLC__NGRAM_BIN_HEAD + (size_t)(n - 1) * MLC__NGRAM_BIN_ORDER;
        int i;
        m->counts[n - 1] = mlc__ngram_get64(o);
        m->slots_[n - 1] = n > 1 ? mlc__ngram_get32(o + 8) : 0u;
        for (i = 0; i < 3; i++) memcpy(&m->discount[n - 1][i], o + 12 + 4 * i, 4);
        for (i = 0; i < 4; i++) m->adjusted_hist[n - 1][i] = mlc__ngram_get64(o + 32 + 8 * i);
    }
    if (m->counts[0] != m->vocab_size) goto fail;
    if (mlc__ngram_plan(&L, m, (size_t)string_bytes, keep, 1) != MLC_OK || L.total != total) goto fail;
    if (len - start < L.total) { r = MLC_ERR_TRUNCATED; goto fail; }
    if (len - start > L.total) goto fail;
    base = p + start;
    m->bytes = L.total;
    m->strings_ = (char *)(uintptr_t)(base + L.strings);
    m->offsets_ = (uint32_t *)(uintptr_t)(base + L.offsets);
    m->vtab_ = (unsigned char *)(uintptr_t)(base + L.vtab);
    m->uni_ = (float *)(uintptr_t)(base + L.uni);
    for (n = 2; n <= m->order; n++) {
        m->tab_[n - 1] = (unsigned char *)(uintptr_t)(base + L.tab[n - 1]);
        m->words_[n - 1] = keep ? (uint32_t *)(uintptr_t)(base + L.words[n - 1]) : NULL;
    }
    if ((r = mlc__ngram_bin_check(m, (size_t)string_bytes)) == MLC_OK) return MLC_OK;
fail:
    memset(m, 0, sizeof *m);
    return r;
}

#ifndef MLC_NO_STDIO
MLC_API mlc_result mlc_ngram_write_binary_file(const mlc_ngram *m, int query_only, const char *path) {
    FILE *f;
    mlc_result r;
    if (!m || !path) return MLC_ERR_NULL;
    if (!m->uni_ || !m->offsets_) return MLC_ERR_ARG;
    if (!(f = fopen(path, "wb"))) return MLC_ERR_IO;
    r = mlc_ngram_write_binary(m, query_only, mlc__ngram_filewrite, f);
    if (fclose(f) != 0 && r == MLC_OK) r = MLC_ERR_IO;
    return r;
}
MLC_API mlc_result mlc_ngram_read_binary_file(mlc_ngram *m, const char *path) {
    void *data;
    size_t size;
    mlc_result r;
    if (!m || !path) return MLC_ERR_NULL;
    memset(m, 0, sizeof *m);
    if ((r = mlc_file_load(path, &data, &size)) != MLC_OK) return r;
    if ((r = mlc_ngram_view_binary(m, data, size)) != MLC_OK) { mlc_file_free(data); return r; }
    m->owned_ = data;
    return MLC_OK;
}
#endif

/* ---- queries ------------------------------------------------------------------ */
MLC_API void mlc_ngram_state_null(mlc_ngram_state *s) { if (s) s->length = 0; }
MLC_API void mlc_ngram_state_begin(const mlc_ngram *m, mlc_ngram_state *s) {
    if (!s) return;
    s->length = 0;
    if (!m || !m->uni_ || m->order < 2 || m->vocab_size <= MLC_NGRAM_BOS) return;
    s->words[0] = MLC_NGRAM_BOS;
    s->backoff[0] = m->uni_[2 * MLC_NGRAM_BOS + 1];
    s->length = mlc__ngram_extends(s->backoff[0]) ? 1 : 0;
    s->backoff[0] = mlc__ngram_true_bo(s->backoff[0]);
}

/* The state API's core (KenLM's FullScore): walk up the orders from the
   unigram while the context word extends the match; add the backoffs of
   the longer contexts; the new state keeps the longest matched n-gram that
   is a context of something longer. in may alias out. pre (or NULL): the
   keys of (in->words[j] .. in->words[0] w) at pre[j], computed ahead. */
MLC__INLINE float mlc__ngram_score_core(const mlc_ngram *m, const mlc_ngram_state *in, uint32_t w,
                                        mlc_ngram_state *out, int *ngram_length, const uint64_t *pre) {
    const float *u = m->uni_ + 2 * (size_t)w;
    float p, bo[MLC_NGRAM_MAX_ORDER], pf;
    uint64_t key = pre ? 0 : mlc__ngram_k1(m->seed_, w);
    int ctx = in->length, matched = 1, keep, j, N = m->order, left;
    pf = u[0];
    p = mlc__ngram_true_p(pf);
    left = mlc__ngram_fbits(pf) >= 0x80000000u;
    bo[0] = u[1];
    keep = mlc__ngram_extends(bo[0]) ? 1 : 0;
    for (j = 0; j < ctx && left; j++) {
        int n = j + 2;
        const unsigned char *s;
        key = pre ? pre[j] : mlc__ngram_kx(key, in->words[j]);
        s = mlc__ngram_find(m->tab_[n - 1], m->slots_[n - 1], mlc__ngram_stride(m, n), key);
        if (!s) break;
        memcpy(&pf, s + 8, 4);
        p = mlc__ngram_true_p(pf);
        matched = n;
        if (n == N) break;
        left = mlc__ngram_fbits(pf) >= 0x80000000u;
        memcpy(&bo[n - 1], s + 12, 4);
        if (mlc__ngram_extends(bo[n - 1])) keep = n;
    }
    for (j = matched - 1; j < ctx; j++) p += in->backoff[j];
    if (keep > N - 1) keep = N - 1;
    for (j = keep - 1; j >= 1; j--) out->words[j] = in->words[j - 1];
    if (keep) out->words[0] = w;
    for (j = 0; j < keep; j++) out->backoff[j] = mlc__ngram_true_bo(bo[j]);
    out->length = keep;
    if (ngram_length) *ngram_length = matched;
    return p + 0.0f;
}
static float mlc__ngram_score1(const mlc_ngram *m, const mlc_ngram_state *in, uint32_t w, mlc_ngram_state *out,
                               int *ngram_length) {
    return mlc__ngram_score_core(m, in, w, out, ngram_length, NULL);
}

MLC_API mlc_result mlc_ngram_score(const mlc_ngram *m, const mlc_ngram_state *in, uint32_t word,
                                   mlc_ngram_state *out, float *log10p, int *ngram_length) {
    if (!m || !in || !out || !log10p) return MLC_ERR_NULL;
    if (!m->uni_ || word >= m->vocab_size || in->length < 0 || in->length > m->order - 1) return MLC_ERR_ARG;
    *log10p = mlc__ngram_score1(m, in, word, out, ngram_length);
    return MLC_OK;
}

MLC_API mlc_result mlc_ngram_prob_ref(const mlc_ngram *m, const uint32_t *context, int n_context,
                                      uint32_t word, float *log10p) {
    uint32_t w[MLC_NGRAM_MAX_ORDER];
    float *pp, *bp, p = 0.0f;
    int j, h, matched = -1;
    if (!m || !log10p || (!context && n_context > 0)) return MLC_ERR_NULL;
    if (!m->uni_ || word >= m->vocab_size || n_context < 0) return MLC_ERR_ARG;
    for (j = 0; j < n_context; j++) if (context[j] >= m->vocab_size) return MLC_ERR_ARG;
    h = n_context < m->order - 1 ? n_context : m->order - 1;   /* usable context */
    for (j = h; j >= 0; j--) {   /* the longest h' with h' word in the model */
        if (j) memcpy(w, context + n_context - j, (size_t)j * 4);
        w[j] = word;
        if (mlc__ngram_vals(m, w, j + 1, &pp, &bp)) { p = mlc__ngram_true_p(*pp); matched = j; break; }
    }
    MLC_ASSERT(matched >= 0);
    for (j = matched + 1; j <= h; j++) {   /* the skipped contexts' backoffs */
        if (mlc__ngram_vals(m, context + n_context - j, j, &pp, &bp)) p += mlc__ngram_true_bo(*bp);
    }
    *log10p = p + 0.0f;
    return MLC_OK;
}

/* Perplexity works a batch of tokens at a time: first their ids (the
   vocabulary lookups do not depend on each other and overlap), then the
   scores, with the keys of the token MLC__NGRAM_AHEAD places on computed
   early and its table slots prefetched, so the tables' cache misses
   overlap too. seq holds the usable history (<s> or the last words of the
   previous batch) in front of the batch. */
#define MLC__NGRAM_BATCH 128
#define MLC__NGRAM_AHEAD 4
MLC__INLINE uint32_t mlc__ngram_lookup(const mlc_ngram *m, const char *tok, size_t tl, const char *text, const char *end) {
    uint32_t id = mlc__ngram_vid(m, tok, tl, tok >= text && tok < end ? end : tok + tl);
    return id == MLC__NGRAM_NONE ? MLC_NGRAM_UNK : id;
}
/* keys of the n-grams ending at seq[i] with up to h words of history, and
   prefetches of their home slots */
MLC__INLINE void mlc__ngram_keys_ahead(const mlc_ngram *m, const uint32_t *seq, int i, int h, uint64_t *keys) {
    uint64_t k = mlc__ngram_k1(m->seed_, seq[i]);
    int j;
    MLC__NGRAM_PREFETCH(m->uni_ + 2 * (size_t)seq[i]);
    for (j = 0; j < h; j++) {
        int n = j + 2;
        k = mlc__ngram_kx(k, seq[i - 1 - j]);
        keys[j] = k;
        MLC__NGRAM_PREFETCH(m->tab_[n - 1] + (size_t)mlc__ngram_home(k, m->slots_[n - 1]) * mlc__ngram_stride(m, n));
    }
}

MLC_API mlc_result mlc_ngram_perplexity(const mlc_ngram *m, const char *text, size_t len, mlc_ngram_ppl *out) {
    if (out) memset(out, 0, sizeof *out);
    return mlc_ngram_perplexity_add(m, text, len, out);
}
MLC_API mlc_result mlc_ngram_perplexity_add(const mlc_ngram *m, const char *text, size_t len, mlc_ngram_ppl *out) {
    const char *s, *end;
    uint32_t seq[MLC_NGRAM_MAX_ORDER + MLC__NGRAM_BATCH + 1];
    uint64_t keys[MLC__NGRAM_AHEAD + 1][MLC_NGRAM_MAX_ORDER];
    int N1;
    if (!m || !out || (!text && len)) return MLC_ERR_NULL;
    if (!m->uni_ || m->order < 1) return MLC_ERR_ARG;
    N1 = m->order - 1;
    for (s = text, end = text + len; s < end;) {
        const char *nl = (const char *)memchr(s, '\n', (size_t)(end - s)), *le = nl ? nl : end, *tok;
        size_t tl;
        float total = 0.0f;
        int h = 1, done = 0, avail = 1;   /* history in seq; words of the sentence so far + <s> */
        mlc_ngram_state st;
        mlc_ngram_state_begin(m, &st);
        seq[0] = MLC_NGRAM_BOS;
        while (!done) {
            int n = h, i;
            while (n < h + MLC__NGRAM_BATCH && mlc__ngram_next_tok(m->char_mode, &s, le, &tok, &tl))
                seq[n++] = mlc__ngram_lookup(m, tok, tl, text, end);
            if (n < h + MLC__NGRAM_BATCH) { seq[n++] = MLC_NGRAM_EOS; done = 1; }
            for (i = h; i < n && i < h + MLC__NGRAM_AHEAD; i++) {
                int hh = avail + (i - h);
                mlc__ngram_keys_ahead(m, seq, i, hh < N1 ? hh : N1, keys[i % (MLC__NGRAM_AHEAD + 1)]);
            }
            for (i = h; i < n; i++) {
                uint32_t id = seq[i];
                float lp;
                if (i + MLC__NGRAM_AHEAD < n) {
                    int hh = avail + (i + MLC__NGRAM_AHEAD - h);
                    mlc__ngram_keys_ahead(m, seq, i + MLC__NGRAM_AHEAD, hh < N1 ? hh : N1,
                                          keys[(i + MLC__NGRAM_AHEAD) % (MLC__NGRAM_AHEAD + 1)]);
                }
                lp = mlc__ngram_score_core(m, &st, id, &st, NULL, keys[i % (MLC__NGRAM_AHEAD + 1)]);
                if (id == MLC_NGRAM_UNK) { out->oovs++; out->log10_oov_sum += lp; }
                total += lp;
                out->tokens++;
            }
            if (!done) {   /* keep the last words as the next batch's history */
                int keep = N1 < n ? N1 : n;
                memmove(seq, seq + n - keep, (size_t)keep * 4);
                avail += n - h;
                h = keep;
            }
        }
        out->sentences++;
        out->log10_sum += total;
        s = nl ? nl + 1 : end;
    }
    out->ppl = out->tokens ? pow(10.0, -out->log10_sum / (double)out->tokens) : 0.0;
    out->ppl_no_oov = out->tokens > out->oovs
                    ? pow(10.0, -(out->log10_sum - out->log10_oov_sum) / (double)(out->tokens - out->oovs)) : 0.0;
    return MLC_OK;
}

/* ---- sampling -------------------------------------------------------------------- */
static uint64_t mlc__ngram_rand(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

MLC_API size_t mlc_ngram_sample_scratch_bytes(const mlc_ngram *m) {
    if (!m) return 0;
    return (size_t)m->vocab_size * (sizeof(double) + sizeof(uint32_t)) + 16;
}

/* sift-down in a min-heap of ids keyed by x */
static void mlc__ngram_sift(uint32_t *hp, int n, int i, const double *x) {
    for (;;) {
        int l = 2 * i + 1, r = l + 1, s = i;
        uint32_t t;
        if (l < n && (x[hp[l]] < x[hp[s]] || (x[hp[l]] == x[hp[s]] && hp[l] > hp[s]))) s = l;
        if (r < n && (x[hp[r]] < x[hp[s]] || (x[hp[r]] == x[hp[s]] && hp[r] > hp[s]))) s = r;
        if (s == i) return;
        t = hp[i]; hp[i] = hp[s]; hp[s] = t;
        i = s;
    }
}

MLC_API mlc_result mlc_ngram_sample(const mlc_ngram *m, const mlc_ngram_state *s, float temperature,
                                    int top_k, uint64_t *rng, void *scratch, uint32_t *word) {
    double *x, mx = -HUGE_VAL, sum = 0.0, u;
    uint32_t *ids, w, V, nc = 0, i, best = MLC_NGRAM_EOS;
    mlc_ngram_state tmp;
    unsigned char *sb = (unsigned char *)scratch;
    if (!m || !s || !rng || !scratch || !word) return MLC_ERR_NULL;
    if (!m->uni_ || s->length < 0 || s->length > m->order - 1 || m->vocab_size <= MLC_NGRAM_EOS ||
        !(temperature >= 0.0f) || temperature > 1e30f) return MLC_ERR_ARG;
    V = m->vocab_size;
    sb += (8u - (size_t)((uintptr_t)sb & 7u)) & 7u;
    x = (double *)(void *)sb;
    ids = (uint32_t *)(void *)(x + V);
    for (w = 0; w < V; w++) {   /* log10 p of every candidate */
        if (w == MLC_NGRAM_UNK || w == MLC_NGRAM_BOS) { x[w] = -HUGE_VAL; continue; }
        x[w] = (double)mlc__ngram_score1(m, s, w, &tmp, NULL);
        if (x[w] > mx || (x[w] == mx && w < best)) { mx = x[w]; best = w; }
    }
    if (temperature == 0.0f || top_k == 1) { *word = best; return MLC_OK; }
    for (w = 0; w < V; w++) if (w != MLC_NGRAM_UNK && w != MLC_NGRAM_BOS) ids[nc++] = w;
    if (top_k > 0 && (uint32_t)top_k < nc) {   /* keep the k largest: a min-heap */
        int k = top_k, j;
        for (j = k / 2 - 1; j >= 0; j--) mlc__ngram_sift(ids, k, j, x);
        for (i = (uint32_t)k; i < nc; i++) {
            uint32_t c = ids[i];
            if (x[c] > x[ids[0]] || (x[c] == x[ids[0]] && c < ids[0])) { ids[0] = c; mlc__ngram_sift(ids, k, 0, x); }
        }
        nc = (uint32_t)k;
        /* back to id order so the draw does not depend on the heap's layout */
        for (i = 1; i < nc; i++) {
            uint32_t c = ids[i], j2 = i;
            while (j2 > 0 && ids[j2 - 1] > c) { ids[j2] = ids[j2 - 1]; j2--; }
            ids[j2] = c;
        }
    }
    for (i = 0; i < nc; i++) {   /* p^(1/T), relative to the best */
        double v = exp((x[ids[i]] - mx) * 2.302585092994046 / (double)temperature);
        x[ids[i]] = v;
        sum += v;
    }
    u = (double)(mlc__ngram_rand(rng) >> 11) * (1.0 / 9007199254740992.0) * sum;
    for (i = 0; i + 1 < nc; i++) {
        u -= x[ids[i]];
        if (u < 0.0) break;
    }
    *word = ids[i];
    return MLC_OK;
}

MLC_API mlc_result mlc_ngram_generate(const mlc_ngram *m, float temperature, int top_k, uint64_t *rng,
                                      int max_tokens, void *scratch, char *out, size_t cap, size_t *out_len) {
    mlc_ngram_state st;
    size_t len = 0;
    int t;
    mlc_result r = MLC_OK;
    if (out_len) *out_len = 0;
    if (!m || !rng || !scratch || !out) return MLC_ERR_NULL;
    if (cap == 0 || max_tokens < 0) return MLC_ERR_ARG;
    out[0] = 0;
    mlc_ngram_state_begin(m, &st);
    for (t = 0; t < max_tokens; t++) {
        uint32_t w;
        const char *ws;
        size_t wl;
        float lp;
        if ((r = mlc_ngram_sample(m, &st, temperature, top_k, rng, scratch, &w)) != MLC_OK) return r;
        if (w == MLC_NGRAM_EOS) break;
        ws = m->strings_ + m->offsets_[w];
        wl = m->offsets_[w + 1] - m->offsets_[w] - 1u;
        if (m->char_mode && wl == 4 && memcmp(ws, "<sp>", 4) == 0) { ws = " "; wl = 1; }
        if (!m->char_mode && len) {
            if (len + 1 >= cap) { r = MLC_ERR_NOMEM; break; }
            out[len++] = ' ';
        }
        if (len + wl >= cap) { r = MLC_ERR_NOMEM; break; }
        memcpy(out + len, ws, wl);
        len += wl;
        lp = mlc__ngram_score1(m, &st, w, &st, NULL);
        (void)lp;
    }
    out[len] = 0;
    if (out_len) *out_len = len;
    return r;
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
