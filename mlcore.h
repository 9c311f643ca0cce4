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
       >>conv     2-D convolution (general, depthwise, pointwise), BN folding
       >>pool     pooling, upsampling, pixel/channel shuffle, concat/split
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
       MLC_CONV_ROWS       output pixels per im2col block of a general conv
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
        double k = (double)p->kernel_h * p->kernel_w * (in_ch / p->groups);
        double wf = (double)p->groups * ((double)(out_ch / p->groups) + MLC__NR) * k;
        if (wf * sizeof(float) > (double)(SIZE_MAX / 2) || (double)MLC_CONV_ROWS * k * sizeof(float) > (double)(SIZE_MAX / 2))
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
            (double)m * c->out_ch * k >= 5e5) {
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
                if (ctx && ctx->parallel_for && ctx->n_threads > 1 && (double)nr * k >= 8192.0) {
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
