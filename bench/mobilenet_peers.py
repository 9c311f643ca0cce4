#!/usr/bin/python3
"""PyTorch side of bench/bench_mobilenet.sh: builds torchvision's
mobilenet_v2 / mobilenet_v3_small, loads the same weights mlcore runs
(tests/golden/mobilenet_*.safetensors, read here with numpy), exports the
model to ONNX for ONNX Runtime, and times PyTorch itself.

    /usr/bin/python3 bench/mobilenet_peers.py v2|v3s WEIGHTS OUT.onnx RUNS

Prints "pytorch <arch> median_ms <t> min_ms <t>" (one thread, batch 1,
224x224, eval, no_grad, after 5 warm-up runs)."""
import json
import struct
import sys
import time

import numpy as np
import torch
import torchvision

DT = {"F32": np.float32, "F16": np.float16, "BF16": None, "F64": np.float64, "I64": np.int64}


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        arr = np.frombuffer(raw[base + a:base + b], dtype=DT[info["dtype"]]).reshape(info["shape"])
        out[name] = torch.from_numpy(arr.astype(np.float32) if arr.dtype != np.int64 else arr.copy())
    return out


def main():
    arch, weights, onnx_path, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    torch.set_num_threads(1)
    model = torchvision.models.mobilenet_v2() if arch == "v2" else torchvision.models.mobilenet_v3_small()
    sd = {k: v for k, v in read_safetensors(weights).items() if not k.startswith("golden.")}
    missing, unexpected = model.load_state_dict(sd, strict=False)
    missing = [k for k in missing if not k.endswith("num_batches_tracked")]
    if missing or unexpected:
        sys.exit("state_dict mismatch: missing %s unexpected %s" % (missing[:3], unexpected[:3]))
    model.eval()
    x = torch.rand(1, 3, 224, 224)
    with torch.no_grad():
        torch.onnx.export(model, x, onnx_path, input_names=["input"], output_names=["logits"], opset_version=13)
        for _ in range(5):
            model(x)
        t = []
        for _ in range(runs):
            t0 = time.perf_counter()
            model(x)
            t.append(time.perf_counter() - t0)
    t.sort()
    print("pytorch %s median_ms %.3f min_ms %.3f" % (arch, t[len(t) // 2] * 1e3, t[0] * 1e3))


if __name__ == "__main__":
    main()
