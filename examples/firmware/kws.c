/* kws.c - loads and runs the keyword-spotting CNN (see kws.h). No stdio, no
   malloc: this file and mlcore_impl.c are the "library part" the firmware
   check inspects with nm. */
#include "kws.h"

#include <string.h>

static mlc_conv2d_params kws__p(int kernel, int stride, int pad, int groups) {
    return mlc_conv2d_params_make(kernel, stride, pad, 1, groups);
}

size_t kws_layers_arena_bytes(void) {
    mlc_conv2d_params p1 = kws__p(3, 2, 1, 1), pd = kws__p(3, 1, 1, KWS_CH), pp = kws__p(1, 1, 0, 1);
    size_t act = (size_t)KWS_OUT_H * KWS_OUT_W * KWS_CH * sizeof(float) + 64;
    return mlc_conv2d_arena_bytes(1, KWS_CH, &p1, 1)
         + 2 * mlc_conv2d_arena_bytes(KWS_CH, KWS_CH, &pd, 1)
         + 2 * mlc_conv2d_arena_bytes(KWS_CH, KWS_CH, &pp, 1)
         + mlc_linear_arena_bytes(KWS_CH, KWS_CLASSES, 1)
         + 2 * act
         + (KWS_CH * sizeof(float) + 64) + (KWS_CLASSES * sizeof(float) + 64);
}

mlc_result kws_init(kws_model *m, const void *bytes, size_t size, mlc_arena *arena, size_t *need) {
    mlc_conv2d_params p1 = kws__p(3, 2, 1, 1), pd = kws__p(3, 1, 1, KWS_CH), pp = kws__p(1, 1, 0, 1);
    size_t start;
    mlc_result r;
    if (need) *need = 0;
    if (!m || !bytes || !arena) return MLC_ERR_NULL;
    memset(m, 0, sizeof *m);
    start = mlc_arena_mark(arena);

    /* 1. The tensor table. If it does not fit, arena->need says what would
       have: report that plus everything else. */
    r = mlc_st_parse(&m->st, bytes, size, arena);
    if (r == MLC_ERR_NOMEM && need) *need = arena->need - start + kws_layers_arena_bytes();
    if (r != MLC_OK) return r;
    m->st_bytes = mlc_arena_peak(arena) - start;

    /* 2. The exact need, from the library's own size functions, checked
       before anything is loaded. */
    m->need = m->st_bytes + kws_layers_arena_bytes();
    if (need) *need = m->need;
    if (m->need > arena->size - start) { mlc_arena_reset(arena, start); return MLC_ERR_NOMEM; }

    /* 3. The layers, BatchNorm folded into each convolution. */
    if ((r = mlc_conv2d_load_bn(&m->conv1, &m->st, "conv1", "bn1", KWS_BN_EPS, &p1, arena)) != MLC_OK ||
        (r = mlc_conv2d_load_bn(&m->dw1, &m->st, "dw1", "bn2", KWS_BN_EPS, &pd, arena)) != MLC_OK ||
        (r = mlc_conv2d_load_bn(&m->pw1, &m->st, "pw1", "bn3", KWS_BN_EPS, &pp, arena)) != MLC_OK ||
        (r = mlc_conv2d_load_bn(&m->dw2, &m->st, "dw2", "bn4", KWS_BN_EPS, &pd, arena)) != MLC_OK ||
        (r = mlc_conv2d_load_bn(&m->pw2, &m->st, "pw2", "bn5", KWS_BN_EPS, &pp, arena)) != MLC_OK ||
        (r = mlc_linear_load(&m->fc, &m->st, "fc", arena)) != MLC_OK)
        goto fail;
    if (m->conv1.in_ch != 1 || m->fc.in_features != KWS_CH || m->fc.out_features != KWS_CLASSES) {
        r = MLC_ERR_SHAPE; goto fail;
    }
    /* none of these kernels (direct, depthwise, pointwise) needs scratch */
    if (mlc_conv2d_scratch_bytes(&m->conv1, KWS_IN_H, KWS_IN_W) ||
        mlc_conv2d_scratch_bytes(&m->dw1, KWS_OUT_H, KWS_OUT_W) ||
        mlc_conv2d_scratch_bytes(&m->pw1, KWS_OUT_H, KWS_OUT_W)) { r = MLC_ERR_UNSUPPORTED; goto fail; }

    /* 4. The activation buffers. */
    m->a = (float *)mlc_arena_alloc(arena, (size_t)KWS_OUT_H * KWS_OUT_W * KWS_CH * sizeof(float), 64);
    m->b = (float *)mlc_arena_alloc(arena, (size_t)KWS_OUT_H * KWS_OUT_W * KWS_CH * sizeof(float), 64);
    m->pooled = (float *)mlc_arena_alloc(arena, KWS_CH * sizeof(float), 64);
    m->logits = (float *)mlc_arena_alloc(arena, KWS_CLASSES * sizeof(float), 64);
    if (!m->a || !m->b || !m->pooled || !m->logits) { r = MLC_ERR_NOMEM; goto fail; }
    return MLC_OK;
fail:
    mlc_arena_reset(arena, start);
    return r;
}

mlc_result kws_run(const kws_model *m, const float *x, float *probs, float *logits) {
    mlc_tensor tx, ta, tb, tp, tl;
    mlc_result r;
    if (!m || !m->a || !x || !probs) return MLC_ERR_NULL;
    tx = mlc_tensor_4d((float *)x, 1, KWS_IN_H, KWS_IN_W, 1);
    ta = mlc_tensor_4d(m->a, 1, KWS_OUT_H, KWS_OUT_W, KWS_CH);
    tb = mlc_tensor_4d(m->b, 1, KWS_OUT_H, KWS_OUT_W, KWS_CH);
    tp = mlc_tensor_2d(m->pooled, 1, KWS_CH);
    tl = mlc_tensor_2d(m->logits, 1, KWS_CLASSES);
    if ((r = mlc_conv2d_forward(&m->conv1, NULL, &ta, &tx, MLC_ACT_RELU, 0.0f, NULL)) != MLC_OK ||
        (r = mlc_conv2d_forward(&m->dw1, NULL, &tb, &ta, MLC_ACT_RELU, 0.0f, NULL)) != MLC_OK ||
        (r = mlc_conv2d_forward(&m->pw1, NULL, &ta, &tb, MLC_ACT_RELU, 0.0f, NULL)) != MLC_OK ||
        (r = mlc_conv2d_forward(&m->dw2, NULL, &tb, &ta, MLC_ACT_RELU, 0.0f, NULL)) != MLC_OK ||
        (r = mlc_conv2d_forward(&m->pw2, NULL, &ta, &tb, MLC_ACT_RELU, 0.0f, NULL)) != MLC_OK ||
        (r = mlc_global_avg_pool2d(&tp, &ta)) != MLC_OK ||
        (r = mlc_linear_forward(&m->fc, NULL, &tl, &tp, MLC_ACT_NONE, 0.0f)) != MLC_OK)
        return r;
    if (logits) memcpy(logits, m->logits, KWS_CLASSES * sizeof(float));
    return mlc_softmax_f32(probs, m->logits, 1, KWS_CLASSES, 1);
}
