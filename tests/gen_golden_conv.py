#!/usr/bin/python3
"""Generates tests/golden/conv.safetensors: 2-D convolution cases against
torch.nn.functional.conv2d (committed, so `make test` needs no Python).

    /usr/bin/python3 tests/gen_golden_conv.py     # Debian's python3-torch

Deterministic (fixed seed); written by hand in safetensors format like
tests/gen_golden.py (8-byte little-endian header length, JSON header padded
with spaces to a multiple of 8, contiguous data in header order).

Per case <c>:
  <c>.weight  [O, I/groups, kh, kw] float32, PyTorch's own Conv2d init
  <c>.bias    [O] float32 (absent for the no-bias cases)
  <c>.params  [11] float32: kh kw sh sw dh dw pad_top pad_bottom pad_left
              pad_right groups (asymmetric pads are applied with F.pad
              before a conv with padding 0, as TF-style "same" does)
  <c>.x       [N, H, W, Cin]  the input, NHWC (torch computes in NCHW)
  <c>.y       [N, OH, OW, Cout] conv2d in float64 from the float32 inputs,
              rounded once to float32
  <c>.y_<act> the same through relu6 / hardswish / relu (fused-act checks)
Plus bad_* entries mlc_conv2d_load must reject.
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_golden import OUT, tensor_entry, write_safetensors, f32  # noqa: E402

ACTS = {"relu6": F.relu6, "hardswish": F.hardswish, "relu": F.relu}

# name, N, Cin, H, W, Cout, (kh, kw), (sh, sw), (top, bottom, left, right),
# (dh, dw), groups, bias, acts, input scale
CASES = [
    ("pw_1x1",       2, 19,  7,  9, 24, (1, 1), (1, 1), (0, 0, 0, 0), (1, 1), 1,  True,  ["relu6"], 2),
    ("pw_1x1_g2",    1, 12,  5,  6, 10, (1, 1), (1, 1), (0, 0, 0, 0), (1, 1), 2,  False, [], 2),
    ("pw_1x1_s2",    1, 10,  9,  9, 12, (1, 1), (2, 2), (0, 0, 0, 0), (1, 1), 1,  True,  [], 2),
    ("c3_s1_p1",     2,  5, 11, 13,  7, (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 1,  True,  ["hardswish"], 2),
    ("c3_s2_p1",     1,  8, 15, 10, 16, (3, 3), (2, 2), (1, 1, 1, 1), (1, 1), 1,  False, ["relu6"], 2),
    ("c3_valid",     1,  4,  8,  7,  9, (3, 3), (1, 1), (0, 0, 0, 0), (1, 1), 1,  True,  [], 2),
    ("c5_s2_p2",     2,  3, 13, 17,  6, (5, 5), (2, 2), (2, 2, 2, 2), (1, 1), 1,  True,  [], 2),
    ("c3_dil2",      1,  6, 12, 11,  5, (3, 3), (1, 1), (2, 2, 2, 2), (2, 2), 1,  True,  ["relu"], 2),
    ("c3_g2",        2,  8,  9,  7, 12, (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 2,  True,  ["relu6"], 2),
    ("c3_g4_s2",     1, 16, 10, 10,  8, (3, 3), (2, 2), (1, 1, 1, 1), (1, 1), 4,  False, [], 2),
    ("c1x5_s12",     1,  5,  6, 14,  7, (1, 5), (1, 2), (0, 0, 2, 2), (1, 1), 1,  True,  [], 2),
    ("c3_big",       2,  8, 20, 20, 16, (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 1,  True,  ["hardswish"], 2),
    ("dw3_s1",       2, 24,  9, 11, 24, (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 24, True,  ["relu6"], 2),
    ("dw3_s2",       1, 35, 14, 13, 35, (3, 3), (2, 2), (1, 1, 1, 1), (1, 1), 35, True,  ["hardswish"], 2),
    ("dw5_s1",       1, 17, 10,  9, 17, (5, 5), (1, 1), (2, 2, 2, 2), (1, 1), 17, False, [], 2),
    ("dw5_s2",       2, 40, 11, 12, 40, (5, 5), (2, 2), (2, 2, 2, 2), (1, 1), 40, True,  ["relu6"], 2),
    ("dw3_dil2",     1,  9,  8,  9,  9, (3, 3), (1, 1), (2, 2, 2, 2), (2, 2), 9,  True,  [], 2),
    ("dw_mult2",     1,  6,  8,  7, 12, (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 6,  True,  [], 2),
    ("asym_s2",      1,  4, 10,  9,  6, (3, 3), (2, 2), (0, 1, 1, 0), (1, 1), 1,  True,  [], 2),
    ("dw3_asym_s2",  1, 20, 12, 11, 20, (3, 3), (2, 2), (0, 1, 0, 1), (1, 1), 20, True,  ["relu6"], 2),
    ("stem7_s2",     1,  3, 32, 29, 16, (7, 7), (2, 2), (3, 3, 3, 3), (1, 1), 1,  True,  ["relu"], 2),
    ("stem3_s2",     1,  3, 33, 31, 40, (3, 3), (2, 2), (1, 1, 1, 1), (1, 1), 1,  True,  ["relu6"], 2),
    ("stem2_dil2",   2,  2, 19, 23, 32, (3, 3), (1, 2), (2, 1, 2, 0), (2, 2), 1,  False, ["hardswish"], 2),
]


def gen_conv():
    torch.manual_seed(11)
    entries = []
    for (name, n, cin, h, w, cout, k, s, pad, dil, groups, bias, acts, scale) in CASES:
        layer = torch.nn.Conv2d(cin, cout, k, stride=s, padding=0, dilation=dil,
                                groups=groups, bias=bias)
        x = (torch.randn(n, cin, h, w) * scale).float()
        sd = layer.state_dict()
        wt = sd["weight"]
        entries.append(tensor_entry(name + ".weight", wt.numpy()))
        b = None
        if bias:
            entries.append(tensor_entry(name + ".bias", sd["bias"].numpy()))
            b = sd["bias"].double()
        params = [k[0], k[1], s[0], s[1], dil[0], dil[1], pad[0], pad[1], pad[2], pad[3], groups]
        entries.append(tensor_entry(name + ".params", np.array(params, dtype=np.float32)))
        xd = F.pad(x.double(), (pad[2], pad[3], pad[0], pad[1]))   # left, right, top, bottom
        y = F.conv2d(xd, wt.double(), b, stride=s, padding=0, dilation=dil, groups=groups)
        # the same output through torch's own padding when it is symmetric
        if pad[0] == pad[1] and pad[2] == pad[3]:
            y2 = F.conv2d(x.double(), wt.double(), b, stride=s, padding=(pad[0], pad[2]),
                          dilation=dil, groups=groups)
            assert torch.allclose(y, y2, rtol=0, atol=1e-12), name
        nhwc = lambda t: t.permute(0, 2, 3, 1).contiguous()   # noqa: E731
        entries.append(tensor_entry(name + ".x", nhwc(x).numpy()))
        entries.append(tensor_entry(name + ".y", f32(nhwc(y))))
        for a in acts:
            entries.append(tensor_entry(name + ".y_" + a, f32(nhwc(ACTS[a](y)))))
    # Entries mlc_conv2d_load must reject (with params k3 s1 p1 g1).
    entries.append(tensor_entry("bad_rank.weight", np.ones((4, 3, 9), dtype=np.float32)))
    entries.append(tensor_entry("bad_kernel.weight", np.ones((4, 3, 3, 5), dtype=np.float32)))
    entries.append(tensor_entry("bad_bias.weight", np.ones((4, 3, 3, 3), dtype=np.float32)))
    entries.append(tensor_entry("bad_bias.bias", np.ones(5, dtype=np.float32)))
    entries.append(tensor_entry("bad_dtype.weight", np.ones((4, 3, 3, 3), dtype=np.int32)))
    write_safetensors(os.path.join(OUT, "conv.safetensors"), entries)


if __name__ == "__main__":
    torch.use_deterministic_algorithms(True)
    os.makedirs(OUT, exist_ok=True)
    gen_conv()
