#!/usr/bin/python3
"""Trains the tiny model that examples/demo.c runs, and writes it out.

    /usr/bin/python3 tools/train_demo.py        (from the repository root)

A 2-64-64-3 MLP with GELU learns to tell apart the three arms of a synthetic
2-D spiral (made here, nothing is downloaded). Everything is seeded, so a rerun
on the same machine writes the same bytes. Outputs:

    examples/demo_model.safetensors   fc1..fc3 exactly as model.state_dict()
                                      names them, plus an evaluation set:
                                      eval.x [256,2], eval.label [256] (F32),
                                      eval.logits [256,3] (PyTorch's output),
                                      and __metadata__ {"torch_accuracy": ...}
    examples/demo_model.h             the same bytes as a C array, made by
                                      tools/st2c.c (compiled here with $CC)

The safetensors file is written by hand (no safetensors package): an 8-byte
little-endian header length, a JSON header padded with spaces to a multiple
of 8, then every tensor's raw little-endian bytes, back to back.
"""
import json
import math
import os
import struct
import subprocess
import sys
import tempfile
import time

import torch
import torch.nn as nn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_ST = os.path.join(ROOT, "examples", "demo_model.safetensors")
OUT_H = os.path.join(ROOT, "examples", "demo_model.h")
SEED = 1234
N_TRAIN_PER_CLASS = 400
N_EVAL = 256
CLASSES = 3


def spiral(n_per_class, gen, noise=0.2):
    """Three interleaved spiral arms, about 1.6 turns each, in the unit disc:
    arm c is r*(sin t, cos t) with r uniform in [0,1), t = 2*pi*c/3 + 10r + noise."""
    xs, ys = [], []
    for c in range(CLASSES):
        r = torch.rand(n_per_class, generator=gen)
        t = c * (2.0 * math.pi / 3.0) + r * 10.0 + torch.randn(n_per_class, generator=gen) * noise
        xs.append(torch.stack([r * torch.sin(t), r * torch.cos(t)], dim=1))
        ys.append(torch.full((n_per_class,), c, dtype=torch.int64))
    x, y = torch.cat(xs), torch.cat(ys)
    perm = torch.randperm(x.shape[0], generator=gen)
    return x[perm], y[perm]


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(2, 64)
        self.fc2 = nn.Linear(64, 64)
        self.fc3 = nn.Linear(64, CLASSES)
        self.act = nn.GELU()          # exact (erf) GELU: MLC_ACT_GELU in C

    def forward(self, x):
        return self.fc3(self.act(self.fc2(self.act(self.fc1(x)))))


def accuracy(logits, labels):
    return (logits.argmax(dim=1) == labels).float().mean().item()


def save_safetensors(path, tensors, metadata):
    """tensors: {name: float32 or int64 tensor}; metadata: {str: str}."""
    dtypes = {torch.float32: "F32", torch.int64: "I64"}
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous()
        arr = t.numpy()
        data = arr.astype(arr.dtype.newbyteorder("<")).tobytes()   # little-endian on any host
        header[name] = {"dtype": dtypes[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def run_st2c():
    cc = os.environ.get("CC", "cc")
    with tempfile.TemporaryDirectory() as tmp:
        exe = os.path.join(tmp, "st2c")
        subprocess.run([cc, "-std=c99", "-O2", "-o", exe, os.path.join(ROOT, "tools", "st2c.c"), "-lm"], check=True)
        subprocess.run([exe, OUT_ST, OUT_H, "demo_model"], check=True)


def main():
    torch.manual_seed(SEED)
    torch.set_num_threads(1)          # same summation order, same bytes, every run
    torch.use_deterministic_algorithms(True)
    gen = torch.Generator().manual_seed(SEED)
    x_train, y_train = spiral(N_TRAIN_PER_CLASS, gen)
    x_eval, y_eval = spiral(math.ceil(N_EVAL / CLASSES), gen)
    x_eval, y_eval = x_eval[:N_EVAL].contiguous(), y_eval[:N_EVAL].contiguous()

    model = MLP()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    loss_fn = nn.CrossEntropyLoss()
    start = time.time()
    for step in range(1, 5001):      # full batch; stops as soon as it is good
        opt.zero_grad()
        loss = loss_fn(model(x_train), y_train)
        loss.backward()
        opt.step()
        if step % 50 == 0:
            with torch.no_grad():
                train_acc = accuracy(model(x_train), y_train)
                eval_acc = accuracy(model(x_eval), y_eval)
            if train_acc > 0.97 and eval_acc > 0.95:
                break
    model.eval()
    with torch.no_grad():
        logits = model(x_eval)
    eval_acc = accuracy(logits, y_eval)
    print(f"trained {step} steps in {time.time() - start:.1f} s: loss {loss.item():.4f}, "
          f"train accuracy {train_acc:.4f}, eval accuracy {eval_acc:.4f}")
    if eval_acc <= 0.95:
        sys.exit("error: the model did not reach 95% accuracy on the evaluation set")

    tensors = dict(model.state_dict())   # fc1.weight, fc1.bias, ... as PyTorch names them
    tensors["eval.x"] = x_eval
    tensors["eval.label"] = y_eval.float()
    tensors["eval.logits"] = logits
    save_safetensors(OUT_ST, tensors, {"torch_accuracy": f"{eval_acc:.4f}",
                                       "torch_version": torch.__version__,
                                       "model": "2-64-64-3 MLP, GELU, 3-class spiral"})
    print(f"wrote {os.path.relpath(OUT_ST, ROOT)} ({os.path.getsize(OUT_ST)} bytes)")
    run_st2c()


if __name__ == "__main__":
    main()
