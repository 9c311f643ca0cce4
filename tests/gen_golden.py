#!/usr/bin/python3
"""Generates the PyTorch golden files under tests/golden/ (committed, so
`make test` needs no Python).

    /usr/bin/python3 tests/gen_golden.py          # Debian's python3-torch

Deterministic: fixed seeds, and the files are written by hand in safetensors
format (no safetensors package): an 8-byte little-endian header length, a
JSON header padded with spaces to a multiple of 8, then the raw little-endian
tensor data laid out contiguously in header order.

Expected outputs are computed in float64 from the float32 inputs and rounded
once to float32, so a golden value is within half an ulp of the exact result.

Files:
  act.safetensors      activation sweeps: x, <act> for each activation,
                       exp_x / exp (range [-87, 88]), exp_x_out / exp_out
  softmax.safetensors  x<i> and softmax_x<i>_axis<a>, log_softmax_x<i>_axis<a>
  linear.safetensors   nn.Linear state_dicts <case>.weight/.bias, input <case>.x,
                       outputs <case>.y and <case>.y_<act>; bad_* entries that
                       mlc_linear_load must reject
"""
import json
import os
import struct

import numpy as np
import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden")


def tensor_entry(name, a):
    """(name, safetensors dtype, shape, little-endian bytes) for a numpy array."""
    dt = {np.dtype(np.float32): "F32", np.dtype(np.float16): "F16",
          np.dtype(np.int32): "I32"}[a.dtype]
    return (name, dt, list(a.shape), a.astype(a.dtype.newbyteorder("<")).tobytes())


def bf16_entry(name, t):
    """A torch float tensor stored as BF16 (rounded to nearest even by torch)."""
    bits = t.to(torch.bfloat16).view(torch.int16).numpy().astype("<i2")
    return (name, "BF16", list(t.shape), bits.tobytes())


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
    print("%-22s %3d tensors %8d bytes" % (os.path.basename(path), len(entries),
                                          8 + len(js) + offset))


def f32(t):
    """float64 torch tensor -> float32 numpy array (one rounding)."""
    return t.to(torch.float32).numpy()


def gen_act():
    rng = np.random.default_rng(1)
    sweep = np.linspace(-20.0, 20.0, 4001)              # step 0.01
    special = [0.0, -0.0, 1e-8, -1e-8, 1e-4, -1e-4, 0.5, -0.5, 1.0, -1.0,
               3.0, -3.0, 6.0, -6.0, 20.0, -20.0, 30.0, -30.0,
               88.0, -88.0, 100.0, -100.0]
    x = np.concatenate([sweep, special, rng.uniform(-10, 10, 512)]).astype(np.float32)
    # The float32 neighbours of every kink: relu6 at 6, hardswish and
    # hardsigmoid at -3 and 3, softplus's threshold at 20.
    # Zero's neighbours are taken as tiny normal numbers, not subnormals.
    near = [1e-30, -1e-30, 1e-20, -1e-20, 1e-12, -1e-12]
    for k in [6.0, -3.0, 3.0, 20.0]:
        v = np.float32(k)
        for _ in range(3):
            v = np.nextafter(v, np.float32(np.inf), dtype=np.float32)
            near.append(v)
        v = np.float32(k)
        for _ in range(3):
            v = np.nextafter(v, np.float32(-np.inf), dtype=np.float32)
            near.append(v)
    x = np.concatenate([x, np.array(near, dtype=np.float32)])

    xd = torch.from_numpy(x).double()
    outs = [
        ("relu", F.relu(xd)),
        ("relu6", F.relu6(xd)),
        ("leaky_relu_0.01", F.leaky_relu(xd, 0.01)),
        ("leaky_relu_0.2", F.leaky_relu(xd, 0.2)),
        ("sigmoid", torch.sigmoid(xd)),
        ("tanh", torch.tanh(xd)),
        ("gelu", F.gelu(xd)),
        ("gelu_tanh", F.gelu(xd, approximate="tanh")),
        ("silu", F.silu(xd)),
        ("hardswish", F.hardswish(xd)),
        ("hardsigmoid", F.hardsigmoid(xd)),
        ("softplus", F.softplus(xd, beta=1, threshold=20)),
    ]
    entries = [tensor_entry("x", x)]
    entries += [tensor_entry(name, f32(y)) for name, y in outs]

    ex = np.linspace(-87.0, 88.0, 3501).astype(np.float32)  # step 0.05
    ex = np.concatenate([ex, rng.uniform(-87, 88, 499).astype(np.float32)])
    entries.append(tensor_entry("exp_x", ex))
    entries.append(tensor_entry("exp", f32(torch.exp(torch.from_numpy(ex).double()))))
    # Outside the documented range: 0 below, inf above (torch float32 agrees).
    eo = np.array([-np.inf, -1000, -200, -100, -90, 89, 90, 100, 1000, np.inf],
                  dtype=np.float32)
    entries.append(tensor_entry("exp_x_out", eo))
    entries.append(tensor_entry("exp_out", torch.exp(torch.from_numpy(eo)).numpy()))
    write_safetensors(os.path.join(OUT, "act.safetensors"), entries)


def gen_softmax():
    g = torch.Generator().manual_seed(2)
    xs = []
    xs.append(torch.randn(3, 5, 7, generator=g))                      # x0: plain
    x1 = torch.randn(2, 4, 6, 5, generator=g) * 10                    # x1: wide spread,
    x1[1] += 80                                                       #   half offset +80
    xs.append(x1)
    xs.append(torch.randn(1, 1000, generator=g) * 10 + 80)            # x2: long row, +80
    xs.append(torch.randn(7, 1, generator=g) * 30)                    # x3: axis of length 1
    x4 = torch.randn(5, 33, generator=g)                              # x4: rows of
    x4[0] *= 0.01                                                     #   nearly equal,
    x4[1] *= 10                                                       #   wide,
    x4[2] = x4[2] * 5 + 80                                            #   offset +80,
    x4[3] = x4[3] * 5 - 80                                            #   offset -80,
    x4[4] *= 100                                                      #   exp underflows
    xs.append(x4)
    xs.append(torch.randn(2, 3, 64, generator=g) * 4)                 # x5: long inner dim

    entries = []
    for i, x in enumerate(xs):
        x = x.float()
        entries.append(tensor_entry("x%d" % i, x.numpy()))
        xd = x.double()
        for a in range(x.dim()):
            entries.append(tensor_entry("softmax_x%d_axis%d" % (i, a),
                                        f32(torch.softmax(xd, dim=a))))
            entries.append(tensor_entry("log_softmax_x%d_axis%d" % (i, a),
                                        f32(torch.log_softmax(xd, dim=a))))
    write_safetensors(os.path.join(OUT, "softmax.safetensors"), entries)


# Activation name in the file -> function on float64 tensors. Leaky ReLU uses
# slope 0.2 in the fused cases.
ACTS = {
    "relu": F.relu, "relu6": F.relu6,
    "leaky_relu": lambda t: F.leaky_relu(t, 0.2),
    "sigmoid": torch.sigmoid, "tanh": torch.tanh,
    "gelu": F.gelu, "gelu_tanh": lambda t: F.gelu(t, approximate="tanh"),
    "silu": F.silu, "hardswish": F.hardswish, "hardsigmoid": F.hardsigmoid,
    "softplus": lambda t: F.softplus(t, beta=1, threshold=20),
}

# (name, input shape, out_features, bias, fused acts, weight dtype, input scale)
LINEAR_CASES = [
    ("fc_1x64x10",     (1, 64),      10,  True,  ["relu"],                "F32", 1),
    ("fc_1x1000x37",   (1, 1000),    37,  True,  ["gelu"],                "F32", 3),
    ("fc_7x13x29",     (7, 13),      29,  False, ["silu"],                "F32", 3),
    ("fc_17x31x97",    (17, 31),     97,  True,  ["hardswish", "relu6"],  "F32", 4),
    ("fc_64x128x256",  (64, 128),    256, True,  ["gelu_tanh"],           "F32", 3),
    ("fc_3x5x1",       (3, 5),       1,   False, ["sigmoid"],             "F32", 3),
    ("fc_33x257x65",   (33, 257),    65,  True,  ["tanh", "leaky_relu"],  "F32", 3),
    ("fc_2x5x48x24",   (2, 5, 48),   24,  True,  ["hardsigmoid", "softplus"], "F32", 4),
    ("fc_f16_5x40x12", (5, 40),      12,  True,  ["relu"],                "F16", 2),
    ("fc_bf16_4x24x8", (4, 24),      8,   False, ["gelu"],                "BF16", 2),
]


def gen_linear():
    torch.manual_seed(3)
    entries = []
    for name, xshape, n, bias, acts, wdt, scale in LINEAR_CASES:
        k = xshape[-1]
        layer = torch.nn.Linear(k, n, bias=bias)      # PyTorch's own init
        x = (torch.randn(*xshape) * scale).float()
        sd = layer.state_dict()
        if wdt == "F16":
            w16 = sd["weight"].half()
            entries.append(tensor_entry(name + ".weight", w16.numpy()))
            w = w16.double()
            if bias:
                b16 = sd["bias"].half()
                entries.append(tensor_entry(name + ".bias", b16.numpy()))
                b = b16.double()
        elif wdt == "BF16":
            entries.append(bf16_entry(name + ".weight", sd["weight"]))
            w = sd["weight"].to(torch.bfloat16).double()
            if bias:
                entries.append(bf16_entry(name + ".bias", sd["bias"]))
                b = sd["bias"].to(torch.bfloat16).double()
        else:
            entries.append(tensor_entry(name + ".weight", sd["weight"].numpy()))
            w = sd["weight"].double()
            if bias:
                entries.append(tensor_entry(name + ".bias", sd["bias"].numpy()))
                b = sd["bias"].double()
        y = F.linear(x.double(), w, b if bias else None)
        entries.append(tensor_entry(name + ".x", x.numpy()))
        entries.append(tensor_entry(name + ".y", f32(y)))
        for a in acts:
            entries.append(tensor_entry(name + ".y_" + a, f32(ACTS[a](y))))
    # Entries mlc_linear_load must reject.
    entries.append(tensor_entry("bad_rank.weight", np.ones(6, dtype=np.float32)))
    entries.append(tensor_entry("bad_bias.weight", np.ones((4, 3), dtype=np.float32)))
    entries.append(tensor_entry("bad_bias.bias", np.ones(5, dtype=np.float32)))
    entries.append(tensor_entry("bad_dtype.weight", np.ones((2, 3), dtype=np.int32)))
    write_safetensors(os.path.join(OUT, "linear.safetensors"), entries)


if __name__ == "__main__":
    torch.use_deterministic_algorithms(True)
    os.makedirs(OUT, exist_ok=True)
    gen_act()
    gen_softmax()
    gen_linear()
