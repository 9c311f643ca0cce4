/* ---- 2-D convolution (torch.nn.Conv2d), NHWC float32 ---------------------
   x is [N, H, W, Cin] and y [N, OH, OW, Cout], both row-major (channels
   contiguous). Weights come in as PyTorch stores them, OIHW
   [Cout, Cin/groups, kh, kw], and are packed once, at init/load, into what
   the chosen kernel wants:
       MLC_CONV2D_POINTWISE  1x1, stride 1, no padding (any groups): one GEMM
                             per group straight over x, no scratch
       MLC_CONV2D_DEPTHWISE  groups == in_ch == out_ch: vectorised across
                             channels, weights as [kh][kw][C], no scratch
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
    MLC_CONV2D_GENERAL   = 3
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
   work through its parallel_for. Errors: MLC_ERR_NULL, MLC_ERR_DTYPE,
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
