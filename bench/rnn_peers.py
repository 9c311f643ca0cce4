#!/usr/bin/python3
"""bench/rnn_peers.py - LSTM and GRU latency: mlcore vs ONNX Runtime vs
PyTorch, one thread each, in the same run.

    /usr/bin/python3 bench/rnn_peers.py [--rounds 3] [--runs 51] [--bin build/bench_rnn]

The models: torch.nn.LSTM(128, 256, num_layers=2) and torch.nn.GRU(128,
256, num_layers=2), seeded (torch.manual_seed(0)), input x [100, 1, 128]
(100 steps, batch 1), zero initial state. The script
  1. writes their state_dicts, x and PyTorch's outputs to
     build/bench_rnn/rnn_models.safetensors (what mlcore loads) and exports
     the same modules with torch.onnx.export (opset 14: ONNX's own LSTM and
     GRU operators) to build/bench_rnn/{lstm,gru}.onnx;
  2. builds build/bench_rnn (gcc -O2 -march=native) unless --bin is given;
  3. runs, in each round and for each model: PyTorch (torch.set_num_threads(1),
     inference_mode), then mlcore (bench_rnn --seq, ctx = NULL: the calling
     thread), then ONNX Runtime (node bench/rnn_ort.js: onnxruntime-node,
     intraOpNumThreads 1, interOpNumThreads 1, graphOptimizationLevel 'all').
     Each reports the median of --runs timed runs after warm-up; every one
     first checks its output against PyTorch's (max |diff| / max |y| <= 1e-4)
     and refuses to time a wrong answer.
  4. prints each library's median over the rounds and the ratios
     (peer time / mlcore time: above 1, mlcore is faster).
All three compute y [100, 1, 256] and the final states.

onnxruntime-node is looked up in NODE_PATH, else build/ort/node_modules (where
bench/bench_mobilenet.sh and bench_vit.sh install it).
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
from gen_golden import tensor_entry, write_safetensors  # noqa: E402

T, B, IN, HID, LAYERS = 100, 1, 128, 256, 2


class Wrap(torch.nn.Module):
    """Returns the outputs as a flat tuple, for torch.onnx.export."""

    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, x):
        y, st = self.m(x)
        return (y,) + (tuple(st) if isinstance(st, tuple) else (st,))


def make_models(out):
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(IN, HID, num_layers=LAYERS).eval()
    gru = torch.nn.GRU(IN, HID, num_layers=LAYERS).eval()
    x = torch.randn(T, B, IN)
    entries = [tensor_entry("x", x.numpy())]
    ys = {}
    with torch.no_grad():
        for name, m in (("lstm", lstm), ("gru", gru)):
            for k, v in m.state_dict().items():
                entries.append(tensor_entry(name + "." + k, v.numpy()))
            y = m(x)[0]
            ys[name] = y
            entries.append(tensor_entry(name + ".y", y.numpy()))
            names = ["y", "hn", "cn"] if name == "lstm" else ["y", "hn"]
            torch.onnx.export(Wrap(m), (x,), os.path.join(out, name + ".onnx"), input_names=["x"],
                              output_names=names, opset_version=14)
            y.numpy().astype("<f4").tofile(os.path.join(out, name + "_y.bin"))
    x.numpy().astype("<f4").tofile(os.path.join(out, "x.bin"))
    write_safetensors(os.path.join(out, "rnn_models.safetensors"), entries)
    return {"lstm": lstm, "gru": gru}, x, ys


def time_torch(m, x, want, runs):
    with torch.inference_mode():
        y = m(x)[0]
        d = (y - want).abs().max().item() / want.abs().max().item()
        if not d <= 1e-4:
            raise SystemExit("PyTorch disagrees with itself?")
        for _ in range(5):
            m(x)
        ts = []
        for _ in range(runs):
            t0 = time.perf_counter()
            m(x)
            ts.append(time.perf_counter() - t0)
    return 1e3 * statistics.median(ts), 1e3 * min(ts)


def run(cmd, env=None):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    if p.returncode != 0:
        raise SystemExit("%s failed (%d):\n%s%s" % (" ".join(cmd), p.returncode, p.stdout, p.stderr))
    return p.stdout


def parse(out, kind):
    """{'lstm': (median ms, min ms), ...} from lines '<kind> <model> ms <t> min <t> ...'."""
    res = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) >= 6 and f[0] == kind and f[2] == "ms" and f[4] == "min":
            res[f[1]] = (float(f[3]), float(f[5]))
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--runs", type=int, default=51)
    ap.add_argument("--bin", default=None, help="a built bench_rnn (default: build it)")
    a = ap.parse_args()
    out = os.path.join(ROOT, "build", "bench_rnn.d")
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    models, x, ys = make_models(out)
    exe = a.bin
    if not exe:
        exe = os.path.join(ROOT, "build", "bench_rnn")
        run(["gcc", "-std=c99", "-O2", "-march=native", "-Wall", "-Wextra", "-o", exe,
             os.path.join(ROOT, "bench", "bench_rnn.c"), "-lm"])
    env = dict(os.environ)
    if "NODE_PATH" not in env:
        env["NODE_PATH"] = os.path.join(ROOT, "build", "ort", "node_modules")
    st = os.path.join(out, "rnn_models.safetensors")
    res = {"mlcore": {"lstm": [], "gru": []}, "ort": {"lstm": [], "gru": []}, "torch": {"lstm": [], "gru": []}}
    for rnd in range(a.rounds):
        for name in ("lstm", "gru"):
            res["torch"][name].append(time_torch(models[name], x, ys[name], a.runs))
        r = parse(run([exe, "--seq", st, "--runs", str(a.runs)]), "seq")
        for name in ("lstm", "gru"):
            res["mlcore"][name].append(r[name])
        r = parse(run(["node", os.path.join(ROOT, "bench", "rnn_ort.js"), out, str(a.runs)], env), "ort")
        for name in ("lstm", "gru"):
            res["ort"][name].append(r[name])
        print("round %d: " % (rnd + 1) + "  ".join(
            "%s %s %.3f" % (lib, name, res[lib][name][-1][0]) for name in ("lstm", "gru")
            for lib in ("mlcore", "ort", "torch")), flush=True)
    print()
    print("%d layers, input %d, hidden %d, %d steps, batch %d, float32, one thread; ms: median of the %d rounds'"
          " medians of %d runs (in brackets: the fastest run of all)" % (LAYERS, IN, HID, T, B, a.rounds, a.runs))
    print("model |        mlcore ms |           ORT ms |       PyTorch ms | ORT/mlcore | PyTorch/mlcore")
    for name in ("lstm", "gru"):
        med = [statistics.median(r[0] for r in res[lib][name]) for lib in ("mlcore", "ort", "torch")]
        fast = [min(r[1] for r in res[lib][name]) for lib in ("mlcore", "ort", "torch")]
        print("%-5s | %s | %8.2fx | %12.2fx" % (
            name.upper(), " | ".join("%7.3f (%6.3f)" % (m, f) for m, f in zip(med, fast)),
            med[1] / med[0], med[2] / med[0]))
    with open("/proc/loadavg") as f:
        print("load average at the end: %s (2 = both cores busy)" % " ".join(f.read().split()[:3]))
    print("(torch %s, onnxruntime-node from %s)" % (torch.__version__, env["NODE_PATH"]))


if __name__ == "__main__":
    main()
