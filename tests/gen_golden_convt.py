#!/usr/bin/python3
"""Generates tests/golden/convt.safetensors: transposed 2-D convolution cases
against torch.nn.functional.conv_transpose2d (committed, so `make test`
needs no Python).

    /usr/bin/python3 tests/gen_golden_convt.py     # Debian's python3-torch

Deterministic (fixed seed); written with the helpers of tests/gen_golden.py.

Per case <c>:
  <c>.weight  [I, O/groups, kh, kw] PyTorch's own ConvTranspose2d init,
              float32 (float16 for the w16 case: weight and bias)
  <c>.bias    [O] (absent for the no-bias cases)
  <c>.params  [13] float32: kh kw sh sw dh dw pad_top pad_bottom pad_left
              pad_right out_pad_h out_pad_w groups
  <c>.x       [N, H, W, Cin]  the input, NHWC (torch computes in NCHW)
  <c>.y       [N, OH, OW, Cout] in float64 from the float32 inputs, rounded
              once to float32
  <c>.y_relu  relu of that, for the cases that fuse it
Per-side padding is applied as PyTorch defines padding and output_padding:
the full (padding 0) transposed convolution, output_padding zero rows and
columns appended at the bottom and right, then pad_top/bottom/left/right
cropped off; for symmetric pads that is checked against torch's own
padding=, output_padding= arguments.
Plus bad_* entries mlc_conv_transpose2d_load must reject.

    /usr/bin/python3 tests/gen_golden_convt.py --bench
times instead the layer test_convt_timing times (MLCT_BENCH=1): PyTorch's
ConvTranspose2d(64, 32, 4, stride 2, padding 1) + relu on 1x64x56x56, one
thread, median of 21 runs (CPU time), NCHW and channels_last.
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_golden import OUT, tensor_entry, write_safetensors, f32  # noqa: E402

# name, N, Cin, H, W, Cout, (kh, kw), (sh, sw), (top, bottom, left, right),
# (out_pad_h, out_pad_w), (dh, dw), groups, bias, relu
CASES = [
    ("k1_s1",         2,  5,  7,  9,  6, (1, 1), (1, 1), (0, 0, 0, 0), (0, 0), (1, 1), 1,  True,  False),
    ("k2_s2",         1,  6,  5,  7,  4, (2, 2), (2, 2), (0, 0, 0, 0), (0, 0), (1, 1), 1,  True,  True),
    ("k3_s1_p1",      2,  5,  9,  7,  7, (3, 3), (1, 1), (1, 1, 1, 1), (0, 0), (1, 1), 1,  False, False),
    ("k3_s2_p1_op1",  1,  8,  7,  9,  6, (3, 3), (2, 2), (1, 1, 1, 1), (1, 1), (1, 1), 1,  True,  True),
    ("k4_s2_p1",      2,  8,  9, 11,  8, (4, 4), (2, 2), (1, 1, 1, 1), (0, 0), (1, 1), 1,  True,  True),
    ("k5_s3_p2_op",   1,  4,  5,  7,  5, (5, 5), (3, 3), (2, 2, 2, 2), (2, 1), (1, 1), 1,  True,  False),
    ("k3_s3",         1,  3,  6,  5,  4, (3, 3), (3, 3), (0, 0, 0, 0), (0, 0), (1, 1), 1,  True,  False),
    ("k2_s3_gaps",    1,  4,  5,  3,  6, (2, 2), (3, 3), (0, 0, 0, 0), (2, 2), (1, 1), 1,  True,  False),
    ("k3_dil2",       1,  6,  7,  8,  5, (3, 3), (1, 1), (2, 2, 2, 2), (0, 0), (2, 2), 1,  True,  True),
    ("k3_s2_dil2_op", 1,  5,  6,  5,  4, (3, 3), (2, 2), (1, 1, 1, 1), (1, 1), (2, 2), 1,  True,  False),
    ("k3_s1_dil2_op", 1,  4,  5,  6,  3, (3, 3), (1, 1), (0, 0, 0, 0), (1, 1), (2, 2), 1,  False, False),
    ("k3_g2",         2,  8,  7,  5,  6, (3, 3), (2, 2), (1, 1, 1, 1), (1, 1), (1, 1), 2,  True,  True),
    ("k4_g4_s2",      1,  8,  6,  6, 12, (4, 4), (2, 2), (1, 1, 1, 1), (0, 0), (1, 1), 4,  False, False),
    ("dw3_s2",        1, 12,  7,  9, 12, (3, 3), (2, 2), (1, 1, 1, 1), (1, 1), (1, 1), 12, True,  True),
    ("dw4_s2",        2, 20,  5,  7, 20, (4, 4), (2, 2), (1, 1, 1, 1), (0, 0), (1, 1), 20, True,  False),
    ("dw5_s3_dil2",   1, 17,  5,  5, 17, (5, 5), (3, 3), (2, 2, 2, 2), (2, 1), (2, 2), 17, False, False),
    ("dw3_asym_op",   1, 16,  6,  7, 16, (3, 3), (2, 2), (1, 0, 0, 1), (1, 1), (1, 1), 16, True,  True),
    ("dw_mult2",      1,  6,  6,  5, 12, (3, 3), (2, 2), (1, 1, 1, 1), (0, 0), (1, 1), 6,  True,  False),
    ("asym_s2_op",    1,  5,  7,  6,  4, (3, 3), (2, 2), (0, 1, 2, 0), (1, 0), (1, 1), 1,  True,  False),
    ("asym_k4",       2,  4,  5,  7,  6, (4, 4), (2, 2), (2, 0, 1, 2), (0, 1), (1, 1), 1,  False, True),
    ("k2x4_s12",      1,  5,  6,  5,  7, (2, 4), (1, 2), (0, 1, 1, 1), (0, 1), (1, 1), 1,  True,  False),
    # n = 5*5*64 GEMM columns: 40 input pixels per block, so 63 take two
    ("k5_s2_blocks",  1,  4,  7,  9, 64, (5, 5), (2, 2), (2, 2, 2, 2), (1, 1), (1, 1), 1,  True,  False),
    ("w16",           1,  6,  5,  6,  8, (3, 3), (2, 2), (1, 1, 1, 1), (1, 1), (1, 1), 2,  True,  False),
]


def reference(x, w, b, s, pad, op, dil, groups):
    """conv_transpose2d with per-side pads, in float64."""
    full = F.conv_transpose2d(x, w, None, stride=s, padding=0, output_padding=0,
                              groups=groups, dilation=dil)
    full = F.pad(full, (0, op[1], 0, op[0]))            # output_padding: bottom/right
    fh, fw = full.shape[2], full.shape[3]
    y = full[:, :, pad[0]:fh - pad[1], pad[2]:fw - pad[3]]
    if b is not None:
        y = y + b.view(1, -1, 1, 1)
    return y


def gen_convt():
    torch.manual_seed(23)
    entries = []
    for (name, n, cin, h, w, cout, k, s, pad, op, dil, groups, bias, relu) in CASES:
        layer = torch.nn.ConvTranspose2d(cin, cout, k, stride=s, padding=0, groups=groups,
                                         bias=bias, dilation=dil)
        x = (torch.randn(n, cin, h, w) * 2).float()
        sd = layer.state_dict()
        wt, bt = sd["weight"], sd["bias"] if bias else None
        if name == "w16":   # stored as F16: the golden uses the rounded values
            wt, bt = wt.half().float(), bt.half().float()
            entries.append(tensor_entry(name + ".weight", wt.half().numpy()))
            entries.append(tensor_entry(name + ".bias", bt.half().numpy()))
        else:
            entries.append(tensor_entry(name + ".weight", wt.numpy()))
            if bias:
                entries.append(tensor_entry(name + ".bias", bt.numpy()))
        assert list(wt.shape) == [cin, cout // groups, k[0], k[1]]
        params = [k[0], k[1], s[0], s[1], dil[0], dil[1], pad[0], pad[1], pad[2], pad[3],
                  op[0], op[1], groups]
        entries.append(tensor_entry(name + ".params", np.array(params, dtype=np.float32)))
        bd = bt.double() if bt is not None else None
        y = reference(x.double(), wt.double(), bd, s, pad, op, dil, groups)
        exp_h = (h - 1) * s[0] - pad[0] - pad[1] + dil[0] * (k[0] - 1) + op[0] + 1
        exp_w = (w - 1) * s[1] - pad[2] - pad[3] + dil[1] * (k[1] - 1) + op[1] + 1
        assert y.shape == (n, cout, exp_h, exp_w), (name, y.shape)
        if pad[0] == pad[1] and pad[2] == pad[3]:
            y2 = F.conv_transpose2d(x.double(), wt.double(), bd, stride=s, padding=(pad[0], pad[2]),
                                    output_padding=op, groups=groups, dilation=dil)
            assert torch.allclose(y, y2, rtol=0, atol=1e-12), name
        nhwc = lambda t: t.permute(0, 2, 3, 1).contiguous()   # noqa: E731
        entries.append(tensor_entry(name + ".x", nhwc(x).numpy()))
        entries.append(tensor_entry(name + ".y", f32(nhwc(y))))
        if relu:
            entries.append(tensor_entry(name + ".y_relu", f32(nhwc(F.relu(y)))))
    # Entries mlc_conv_transpose2d_load must reject (params k3 s2 p1 op1 g1;
    # weight [in 4, out 3, 3, 3]).
    entries.append(tensor_entry("bad_rank.weight", np.ones((4, 3, 9), dtype=np.float32)))
    entries.append(tensor_entry("bad_kernel.weight", np.ones((4, 3, 3, 5), dtype=np.float32)))
    entries.append(tensor_entry("bad_bias.weight", np.ones((4, 3, 3, 3), dtype=np.float32)))
    entries.append(tensor_entry("bad_bias.bias", np.ones(4, dtype=np.float32)))    # [in], not [out]
    entries.append(tensor_entry("bad_dtype.weight", np.ones((4, 3, 3, 3), dtype=np.int32)))
    entries.append(tensor_entry("bad_bdtype.weight", np.ones((4, 3, 3, 3), dtype=np.float32)))
    entries.append(tensor_entry("bad_bdtype.bias", np.ones(3, dtype=np.int32)))
    entries.append(tensor_entry("bad_groups.weight", np.ones((5, 3, 3, 3), dtype=np.float32)))  # 5 % 2
    write_safetensors(os.path.join(OUT, "convt.safetensors"), entries)


def bench():
    import time
    torch.set_num_threads(1)
    m = torch.nn.ConvTranspose2d(64, 32, 4, stride=2, padding=1).eval()
    for fmt in (torch.contiguous_format, torch.channels_last):
        x = torch.randn(1, 64, 56, 56).contiguous(memory_format=fmt)
        mm = m.to(memory_format=fmt)
        ts = []
        with torch.no_grad():
            for i in range(23):
                t0 = time.process_time()   # CPU time, as the C side's clock()
                torch.relu_(mm(x))
                if i >= 2:
                    ts.append(time.process_time() - t0)
        ts.sort()
        print("torch %s %s: median %.3f ms, %.1f GFLOP/s" % (torch.__version__, fmt, ts[10] * 1e3,
              2.0 * 56 * 56 * 64 * 32 * 16 / ts[10] * 1e-9))


if __name__ == "__main__":
    if "--bench" in sys.argv:
        bench()
        sys.exit(0)
    torch.use_deterministic_algorithms(True)
    os.makedirs(OUT, exist_ok=True)
    gen_convt()
