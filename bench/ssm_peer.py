#!/usr/bin/python3
"""PyTorch side of bench/bench_ssm.c (which runs it through popen in the same
run; it can also be run by hand). One intra-op thread, float32.

    /usr/bin/python3 bench/ssm_peer.py --scan L D N [--reps R]
    /usr/bin/python3 bench/ssm_peer.py --step MODEL.safetensors [--tokens T]

--scan times selective_scan_ref (mamba_ssm/ops/selective_scan_interface.py,
  re-written in tests/gen_golden_ssm.py because mamba_ssm needs CUDA) on one
  sequence in its own (batch, dim, L) layout with D, z, delta_bias,
  delta_softplus and return_last_state, as Mamba calls it; prints
  "scan_ms <median>".
--step loads a MambaLMHeadModel state_dict (the tiny model of
  examples/mamba_lm.c) into the reference Mamba modules and times the
  reference's recurrent decoding, Mamba.step() per layer plus the embedding,
  norms and tied LM head, one token at a time; prints "step_us <median>".
Inputs are random (fixed seed) in the ranges Mamba produces; the numbers
are medians over the repetitions, after one warm-up, of the thread's CPU
time (time.thread_time), as bench_ssm.c measures mlcore.
"""
import argparse
import json
import math
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
from gen_golden_ssm import Block, RMSNorm, selective_scan_ref  # noqa: E402

torch.set_num_threads(1)
torch.set_grad_enabled(False)


def read_safetensors(path):
    with open(path, "rb") as f:
        buf = f.read()
    n = struct.unpack("<Q", buf[:8])[0]
    header = json.loads(buf[8:8 + n])
    out = {}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        assert v["dtype"] == "F32", (k, v["dtype"])
        b, e = v["data_offsets"]
        out[k] = torch.from_numpy(np.frombuffer(buf, np.float32, (e - b) // 4, 8 + n + b).copy()).reshape(v["shape"])
    return out


def bench_scan(L, D, N, reps):
    g = torch.Generator().manual_seed(0)
    u = torch.randn(1, D, L, generator=g)
    delta = torch.randn(1, D, L, generator=g) * 0.5
    z = torch.randn(1, D, L, generator=g)
    A = -torch.exp(torch.rand(D, N, generator=g) * math.log(16.0))
    B = torch.randn(1, N, L, generator=g)
    C = torch.randn(1, N, L, generator=g)
    Dk = torch.randn(D, generator=g)
    dtb = torch.log(torch.expm1(torch.exp(torch.rand(D, generator=g) * (math.log(0.1) - math.log(1e-3)) + math.log(1e-3))))
    times = []
    for r in range(reps + 1):
        t = time.thread_time()
        selective_scan_ref(u, delta, A, B, C, Dk, z, dtb, True, True)
        t = time.thread_time() - t
        if r:
            times.append(t)
    print("scan_ms %.3f" % (1e3 * float(np.median(times))), flush=True)


def bench_step(path, tokens):
    sd = read_safetensors(path)
    V, dm = sd["backbone.embedding.weight"].shape
    n_layer = 0
    while "backbone.layers.%d.mixer.in_proj.weight" % n_layer in sd:
        n_layer += 1
    layers = []
    for i in range(n_layer):
        p = "backbone.layers.%d." % i
        di = sd[p + "mixer.in_proj.weight"].shape[0] // 2
        N = sd[p + "mixer.A_log"].shape[1]
        W = sd[p + "mixer.conv1d.weight"].shape[2]
        R = sd[p + "mixer.dt_proj.weight"].shape[1]
        blk = Block(dm, RMSNorm(dm, dtype=torch.float32), d_state=N, d_conv=W, expand=di // dm, dt_rank=R,
                    dtype=torch.float32)
        blk.load_state_dict({k[len(p):]: v for k, v in sd.items() if k.startswith(p)})
        layers.append(blk)
    norm_f = RMSNorm(dm, dtype=torch.float32)
    norm_f.weight.copy_(sd["backbone.norm_f.weight"])
    emb = sd["backbone.embedding.weight"]
    head = sd.get("lm_head.weight", emb)
    states = [(torch.zeros(1, b.mixer.d_inner, b.mixer.d_conv), torch.zeros(1, b.mixer.d_inner, b.mixer.d_state))
              for b in layers]
    tok = 84
    times = []
    for r in range(tokens + 10):
        t = time.thread_time()
        h = emb[tok][None, None]
        res = None
        for b, (cs, ss) in zip(layers, states):
            res = h if res is None else h + res
            h, _, _ = b.mixer.step(b.norm(res), cs, ss)
        logits = norm_f(h + res)[0, 0] @ head.t()
        tok = int(torch.argmax(logits))
        t = time.thread_time() - t
        if r >= 10:
            times.append(t)
    print("step_us %.3f" % (1e6 * float(np.median(times))), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scan", nargs=3, type=int, metavar=("L", "D", "N"))
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--step", metavar="MODEL")
    ap.add_argument("--tokens", type=int, default=200)
    a = ap.parse_args()
    print("torch %s, threads %d" % (torch.__version__, torch.get_num_threads()), flush=True)
    if a.scan:
        bench_scan(*a.scan, a.reps)
    if a.step:
        bench_step(a.step, a.tokens)


if __name__ == "__main__":
    main()
