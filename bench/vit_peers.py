#!/usr/bin/python3
"""PyTorch side of bench/bench_vit.sh.

    /usr/bin/python3 bench/vit_peers.py vit WEIGHTS OUT.onnx RUNS
        torchvision VisionTransformer in the ViT-Ti/16 configuration with the
        weights mlcore runs (tests/golden/vit_ti16.safetensors, read here with
        numpy), exported to OUT.onnx for ONNX Runtime; times PyTorch itself and
        checks its logits against the file's golden.logits. Prints
        "pytorch vit median_ms <t> min_ms <t>".
    /usr/bin/python3 bench/vit_peers.py attn T RUNS OUT.onnx [HEADS] [HEAD_DIM]
        attention alone, the naive way: softmax(q k^T / sqrt(d)) v on
        [1, HEADS, T, HEAD_DIM] float32 (default 4 x 64), exported to OUT.onnx
        too. Prints "pytorch attn T <T> median_ms <t> min_ms <t> gflops <g>
        peak_extra_bytes <b>" (peak RSS growth of the first forward, before
        the export and the timed runs: mostly the T x T score and probability
        matrices).

One thread, eval, no_grad, 5 (vit) or 2 (attn) warm-up runs."""
import json
import resource
import struct
import sys
import time

import numpy as np
import torch
from torchvision.models.vision_transformer import VisionTransformer

DT = {"F32": np.float32, "F16": np.float16, "F64": np.float64}


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    base, out = 8 + n, {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        arr = np.frombuffer(raw[base + a:base + b], dtype=DT[info["dtype"]]).reshape(info["shape"])
        out[name] = torch.from_numpy(arr.astype(np.float32))
    return out


def timeit(fn, runs, warm):
    for _ in range(warm):
        fn()
    t = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        t.append(time.perf_counter() - t0)
    t.sort()
    return t[len(t) // 2], t[0]


def vit(weights, onnx_path, runs):
    model = VisionTransformer(image_size=224, patch_size=16, num_layers=12, num_heads=3, hidden_dim=192, mlp_dim=768)
    sd = read_safetensors(weights)
    model.load_state_dict({k: v for k, v in sd.items() if not k.startswith("golden.")})
    model.eval()
    x = sd["golden.input"].permute(0, 3, 1, 2).contiguous()
    with torch.no_grad():
        d = (model(x) - sd["golden.logits"]).abs().max().item()
        if d > 1e-4 * sd["golden.logits"].abs().max().item():
            sys.exit("pytorch logits differ from golden.logits by %g" % d)
        torch.onnx.export(model, x, onnx_path, input_names=["input"], output_names=["logits"], opset_version=14)
        med, mn = timeit(lambda: model(x), runs, 5)
    print("pytorch vit median_ms %.3f min_ms %.3f" % (med * 1e3, mn * 1e3))


class Naive(torch.nn.Module):
    def forward(self, q, k, v):
        s = torch.matmul(q, k.transpose(-1, -2)) * (1.0 / q.shape[-1] ** 0.5)
        return torch.matmul(torch.softmax(s, -1), v)


def attn(T, runs, onnx_path, H, dh):
    g = torch.Generator().manual_seed(1)
    q, k, v = (torch.rand(1, H, T, dh, generator=g) - 0.5 for _ in range(3))
    m = Naive().eval()
    with torch.no_grad():
        # the first forward, before anything else has raised the high-water mark
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        m(q, k, v)
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        torch.onnx.export(m, (q, k, v), onnx_path, input_names=["q", "k", "v"], output_names=["o"], opset_version=14)
        med, mn = timeit(lambda: m(q, k, v), runs, 2)
    flops = 4.0 * T * T * dh * H
    print("pytorch attn T %d median_ms %.3f min_ms %.3f gflops %.1f peak_extra_bytes %d"
          % (T, med * 1e3, mn * 1e3, flops / med * 1e-9, (after - before) * 1024))


def main():
    torch.set_num_threads(1)
    if sys.argv[1] == "vit":
        vit(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        H = int(sys.argv[5]) if len(sys.argv) > 5 else 4
        dh = int(sys.argv[6]) if len(sys.argv) > 6 else 64
        attn(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], H, dh)


if __name__ == "__main__":
    main()
