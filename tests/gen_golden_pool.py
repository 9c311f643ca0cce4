#!/usr/bin/python3
"""Generates tests/golden/pool.safetensors: PyTorch goldens for mlcore's NHWC
pooling, upsampling and channel ops (committed, so `make test` needs no
Python).

    /usr/bin/python3 tests/gen_golden_pool.py      # Debian's python3-torch

Inputs are made in NCHW (PyTorch's layout), run through torch, and both the
input and the output are stored permuted to NHWC, the layout mlcore takes.
Arithmetic ops (average pooling, bilinear) run in float64 on the float32
inputs and are rounded once to float32, so a golden value is within half an
ulp of the exact result; the copying ops (max pooling, nearest, shuffles)
run in float32 and are exact. Deterministic (fixed seed); written by hand in
safetensors format like tests/gen_golden.py.

Tensors (all F32, NHWC):
  x5 [2,7,9,5], x20 [2,7,9,20]     pooling / upsampling inputs
  <case>.p                         the case's integer parameters (see below)
  <case>.y                         the expected output
  maxpool_<i>   .p = kernel, stride, pad, dilation, ceil_mode  (input x5)
  avgpool_<i>   .p = kernel, stride, pad, ceil_mode, count_include_pad
  maxpool20_<i>, avgpool20_<i>     the same on x20
  adaptive_<i>  .p = out_h, out_w  (input x5; adaptive20_<i> on x20)
  global.y [2,1,1,5], global20.y   (mean over H, W)
  nearest_<i>   .p = out_h, out_w  (F.interpolate(size=...), input x5)
  bilinear_<i>  .p = out_h, out_w, align_corners (input x5; bilinear20_<i> on x20)
  ps.x [2,3,5,12] -> ps.y [2,6,10,3]      pixel_shuffle(2)
  pu.x [2,6,10,3] -> pu.y [2,3,5,12]      pixel_unshuffle(2)
  cs.x [2,3,4,12] -> cs<g>.y              ChannelShuffle(g), g = 2, 3
  cat.a [2,3,4,5], cat.b [2,3,4,7] -> cat.y [2,3,4,12]   torch.cat(dim=1)
  se.x [2,3,4,20], se.s [2,20] -> se.y    x * s[:, :, None, None]
"""
import itertools
import json
import os
import struct

import numpy as np
import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden")


def write_safetensors(path, entries):
    header = {"__metadata__": {"format": "pt"}}
    offset = 0
    for name, dt, shape, data in entries:
        assert name not in header, name
        header[name] = {"dtype": dt, "shape": shape,
                        "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
    js = json.dumps(header, separators=(",", ":")).encode("utf-8")
    js += b" " * (-len(js) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(js)))
        f.write(js)
        for _, _, _, data in entries:
            f.write(data)
    size = 8 + len(js) + offset
    print("%-22s %3d tensors %8d bytes" % (os.path.basename(path), len(entries), size))
    assert size < 400 * 1024


entries = []


def put(name, a):
    a = np.ascontiguousarray(a, dtype="<f4")
    entries.append((name, "F32", list(a.shape), a.tobytes()))


def nhwc(t):
    """NCHW torch tensor -> NHWC float32 numpy array (one rounding from f64)."""
    return t.permute(0, 2, 3, 1).to(torch.float32).contiguous().numpy()


def main():
    g = torch.Generator().manual_seed(7)
    inputs = {}
    for c in (5, 20):
        x = (torch.rand(2, c, 7, 9, generator=g) * 4 - 2).to(torch.float32)
        inputs[c] = x
        put("x%d" % c, nhwc(x))

    # max pooling: kernel 2/3, stride 1/2, pad 0/1, dilation 1/2, ceil both
    i = 0
    for k, s, p, d, cm in itertools.product((2, 3), (1, 2), (0, 1), (1, 2), (0, 1)):
        y = F.max_pool2d(inputs[5], k, s, p, d, ceil_mode=bool(cm))
        put("maxpool_%d.p" % i, np.array([k, s, p, d, cm]))
        put("maxpool_%d.y" % i, nhwc(y))
        i += 1
    # average pooling: kernel 2/3, stride 1/2, pad 0/1, ceil both, count_include_pad both
    i = 0
    for k, s, p, cm, inc in itertools.product((2, 3), (1, 2), (0, 1), (0, 1), (0, 1)):
        y = F.avg_pool2d(inputs[5].double(), k, s, p, ceil_mode=bool(cm), count_include_pad=bool(inc))
        put("avgpool_%d.p" % i, np.array([k, s, p, cm, inc]))
        put("avgpool_%d.y" % i, nhwc(y))
        i += 1
    # wider channels (full vectors plus a tail), a few windows
    for i, (k, s, p, d, cm) in enumerate([(3, 2, 1, 1, 0), (3, 2, 1, 2, 1), (2, 2, 0, 1, 1)]):
        put("maxpool20_%d.p" % i, np.array([k, s, p, d, cm]))
        put("maxpool20_%d.y" % i, nhwc(F.max_pool2d(inputs[20], k, s, p, d, ceil_mode=bool(cm))))
    for i, (k, s, p, cm, inc) in enumerate([(3, 2, 1, 0, 1), (3, 2, 1, 1, 0), (2, 1, 1, 1, 1)]):
        put("avgpool20_%d.p" % i, np.array([k, s, p, cm, inc]))
        put("avgpool20_%d.y" % i, nhwc(F.avg_pool2d(inputs[20].double(), k, s, p, ceil_mode=bool(cm),
                                                    count_include_pad=bool(inc))))

    # adaptive and global average pooling
    for i, (oh, ow) in enumerate([(3, 4), (1, 1), (5, 7), (7, 9)]):
        put("adaptive_%d.p" % i, np.array([oh, ow]))
        put("adaptive_%d.y" % i, nhwc(F.adaptive_avg_pool2d(inputs[5].double(), (oh, ow))))
    for i, (oh, ow) in enumerate([(3, 4), (1, 1)]):
        put("adaptive20_%d.p" % i, np.array([oh, ow]))
        put("adaptive20_%d.y" % i, nhwc(F.adaptive_avg_pool2d(inputs[20].double(), (oh, ow))))
    put("global.y", nhwc(inputs[5].double().mean(dim=(2, 3), keepdim=True)))
    put("global20.y", nhwc(inputs[20].double().mean(dim=(2, 3), keepdim=True)))

    # upsampling: scale 2, odd sizes up, down, identity rows
    sizes = [(14, 18), (10, 13), (4, 5), (7, 20), (15, 11)]
    for i, (oh, ow) in enumerate(sizes):
        put("nearest_%d.p" % i, np.array([oh, ow]))
        put("nearest_%d.y" % i, nhwc(F.interpolate(inputs[5], size=(oh, ow), mode="nearest")))
    i = 0
    for (oh, ow), ac in itertools.product(sizes + [(1, 1)], (0, 1)):
        put("bilinear_%d.p" % i, np.array([oh, ow, ac]))
        put("bilinear_%d.y" % i, nhwc(F.interpolate(inputs[5].double(), size=(oh, ow), mode="bilinear",
                                                    align_corners=bool(ac))))
        i += 1
    for i, ((oh, ow), ac) in enumerate([((14, 18), 0), ((10, 13), 1)]):
        put("bilinear20_%d.p" % i, np.array([oh, ow, ac]))
        put("bilinear20_%d.y" % i, nhwc(F.interpolate(inputs[20].double(), size=(oh, ow), mode="bilinear",
                                                      align_corners=bool(ac))))

    # pixel shuffle / unshuffle, r = 2
    x = torch.rand(2, 12, 3, 5, generator=g) * 2 - 1
    put("ps.x", nhwc(x))
    put("ps.y", nhwc(F.pixel_shuffle(x, 2)))
    x = torch.rand(2, 3, 6, 10, generator=g) * 2 - 1
    put("pu.x", nhwc(x))
    put("pu.y", nhwc(F.pixel_unshuffle(x, 2)))
    # channel shuffle
    x = torch.rand(2, 12, 3, 4, generator=g) * 2 - 1
    put("cs.x", nhwc(x))
    for groups in (2, 3):
        put("cs%d.y" % groups, nhwc(torch.nn.ChannelShuffle(groups)(x)))

    # concat / split along channels, squeeze-and-excitation scaling
    a = torch.rand(2, 5, 3, 4, generator=g) * 2 - 1
    b = torch.rand(2, 7, 3, 4, generator=g) * 2 - 1
    put("cat.a", nhwc(a))
    put("cat.b", nhwc(b))
    put("cat.y", nhwc(torch.cat([a, b], dim=1)))
    x = torch.rand(2, 20, 3, 4, generator=g) * 4 - 2
    gate = torch.sigmoid(torch.rand(2, 20, generator=g) * 4 - 2)
    put("se.x", nhwc(x))
    put("se.s", gate.numpy())
    put("se.y", nhwc(x.double() * gate.double()[:, :, None, None]))

    os.makedirs(OUT, exist_ok=True)
    write_safetensors(os.path.join(OUT, "pool.safetensors"), entries)


if __name__ == "__main__":
    main()
