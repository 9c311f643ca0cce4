#!/usr/bin/python3
"""Trains the keyword-spotting CNN that examples/firmware/ runs, and writes it.

    /usr/bin/python3 examples/firmware/train_kws.py      (from the repository root)

The data is SYNTHETIC, made here from a seed (nothing is downloaded): no
audio, no real MFCCs. Each example is a 49 x 10 "MFCC-like" feature map (49
frames of 10 coefficients, the input size of the usual 1 s / 20 ms-hop
keyword-spotting front end). There are 10 classes:

    class 0      "silence": background noise only
    class 1..9   a "keyword": three "phonemes" in a fixed order, each a fixed
                 10-coefficient spectral vector drawn once from a shared
                 inventory of 8, held for 4..8 frames, with smooth 1-frame
                 transitions, a random start time, a random gain in
                 [0.7, 1.3] and Gaussian noise. Words share phonemes and
                 differ in their order, so the net must see time patterns,
                 not just which vectors occur.

The model is a depthwise-separable CNN in the style of the DS-CNN keyword
spotters (NCHW in PyTorch; the C side runs it NHWC, which for one input
channel is the same memory):

    conv1  Conv2d(1, 32, 3, stride 2, padding 1) + BatchNorm2d + ReLU  49x10 -> 25x5
    dw1    Conv2d(32, 32, 3, padding 1, groups 32) + BatchNorm2d + ReLU
    pw1    Conv2d(32, 32, 1) + BatchNorm2d + ReLU
    dw2    Conv2d(32, 32, 3, padding 1, groups 32) + BatchNorm2d + ReLU
    pw2    Conv2d(32, 32, 1) + BatchNorm2d + ReLU
    mean over the 25x5 positions (global average pool)
    fc     Linear(32, 10), then softmax

The convolutions have no bias (BatchNorm follows); mlc_conv2d_load_bn folds
each BatchNorm into its convolution at load. Outputs:

    examples/firmware/kws.safetensors   the state_dict under PyTorch's names
        (num_batches_tracked left out: unused in eval), plus the reference
        data the C side checks against:
          ref.input  [4, 49, 10, 1] NHWC   four evaluation examples
          ref.label  [4]                   their classes (as F32)
          ref.logits [4, 10]               PyTorch's logits (eval mode, float32)
          ref.probs  [4, 10]               PyTorch's softmax of them
        and __metadata__ (accuracy, torch version, a description).
    examples/firmware/kws_model.h       the same bytes as a C array
        (kws_model[], kws_model_size), made by tools/st2c.c, compiled here
        with $CC (default cc).

The file is written by hand (no safetensors package): an 8-byte
little-endian header length, a JSON header padded with spaces to a multiple
of 8, then each tensor's raw little-endian bytes, back to back, sorted by
name. Everything is seeded and runs on one thread: a rerun on the same
machine and torch version writes identical bytes.
"""
import json
import os
import struct
import subprocess
import sys
import tempfile
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT_ST = os.path.join(HERE, "kws.safetensors")
OUT_H = os.path.join(HERE, "kws_model.h")
SEED = 2024
FRAMES, COEFFS = 49, 10
CLASSES = 10
PHONEMES = 8
N_TRAIN, N_EVAL, N_REF = 6000, 1000, 4
CH = 32


def make_vocabulary(gen):
    """The phoneme inventory and each keyword's three phonemes (distinct ordered triples)."""
    inventory = torch.randn(PHONEMES, COEFFS, generator=gen) * 1.2
    inventory[:, 0] = 2.0 + torch.rand(PHONEMES, generator=gen)   # c0 ~ energy: high in speech
    words, seen = [], set()
    while len(words) < CLASSES - 1:
        w = tuple(torch.randperm(PHONEMES, generator=gen)[:3].tolist())
        if w not in seen:
            seen.add(w)
            words.append(w)
    return inventory, words


def make_set(n, inventory, words, gen):
    """n examples [n, 1, 49, 10] (NCHW) and their labels, classes balanced."""
    x = torch.randn(n, FRAMES, COEFFS, generator=gen) * 0.5          # background noise
    x[:, :, 0] -= 1.0                                                 # low energy
    y = torch.arange(n) % CLASSES
    for i in range(n):
        c = int(y[i])
        if c == 0:
            continue
        lens = torch.randint(4, 9, (3,), generator=gen).tolist()
        total = sum(lens)
        start = int(torch.randint(0, FRAMES - total + 1, (1,), generator=gen))
        gain = 0.7 + 0.6 * float(torch.rand(1, generator=gen))
        t = start
        for k, ph in enumerate(words[c - 1]):
            seg = inventory[ph] * gain
            x[i, t:t + lens[k]] += seg
            if k > 0:                     # a one-frame glide from the previous phoneme
                x[i, t] = x[i, t] - 0.5 * seg + 0.5 * inventory[words[c - 1][k - 1]] * gain
            t += lens[k]
    perm = torch.randperm(n, generator=gen)
    return x[perm].unsqueeze(1).contiguous(), y[perm].contiguous()


class KWS(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, CH, 3, stride=2, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(CH)
        self.dw1 = nn.Conv2d(CH, CH, 3, padding=1, groups=CH, bias=False)
        self.bn2 = nn.BatchNorm2d(CH)
        self.pw1 = nn.Conv2d(CH, CH, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(CH)
        self.dw2 = nn.Conv2d(CH, CH, 3, padding=1, groups=CH, bias=False)
        self.bn4 = nn.BatchNorm2d(CH)
        self.pw2 = nn.Conv2d(CH, CH, 1, bias=False)
        self.bn5 = nn.BatchNorm2d(CH)
        self.fc = nn.Linear(CH, CLASSES)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.dw1(x)))
        x = F.relu(self.bn3(self.pw1(x)))
        x = F.relu(self.bn4(self.dw2(x)))
        x = F.relu(self.bn5(self.pw2(x)))
        return self.fc(x.mean(dim=(2, 3)))


def accuracy(logits, labels):
    return (logits.argmax(dim=1) == labels).float().mean().item()


def save_safetensors(path, tensors, metadata):
    """tensors: {name: float32 tensor}; metadata: {str: str}."""
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous()
        assert t.dtype == torch.float32, name
        arr = t.numpy()
        data = arr.astype(arr.dtype.newbyteorder("<")).tobytes()   # little-endian on any host
        header[name] = {"dtype": "F32", "shape": list(t.shape),
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
        subprocess.run([exe, OUT_ST, OUT_H, "kws_model"], check=True)


def main():
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    gen = torch.Generator().manual_seed(SEED)
    inventory, words = make_vocabulary(gen)
    x_train, y_train = make_set(N_TRAIN, inventory, words, gen)
    x_eval, y_eval = make_set(N_EVAL, inventory, words, gen)

    model = KWS()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    loss_fn = nn.CrossEntropyLoss()
    start = time.time()
    order = torch.Generator().manual_seed(SEED + 1)
    for epoch in range(1, 31):
        model.train()
        perm = torch.randperm(N_TRAIN, generator=order)
        for b in range(0, N_TRAIN, 100):
            idx = perm[b:b + 100]
            opt.zero_grad()
            loss = loss_fn(model(x_train[idx]), y_train[idx])
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            eval_acc = accuracy(model(x_eval), y_eval)
        if eval_acc >= 0.97:
            break
    with torch.no_grad():
        train_acc = accuracy(model(x_train), y_train)
        logits = model(x_eval)
    eval_acc = accuracy(logits, y_eval)
    print(f"trained {epoch} epochs in {time.time() - start:.1f} s: train accuracy {train_acc:.4f}, "
          f"eval accuracy {eval_acc:.4f} ({CLASSES} classes, chance {1.0 / CLASSES:.2f})")
    if eval_acc < 0.90:
        sys.exit("error: the model did not reach 90% accuracy on the evaluation set")

    # Reference examples: the first N_REF evaluation examples of distinct classes.
    picks, seen = [], set()
    for i in range(N_EVAL):
        c = int(y_eval[i])
        if c not in seen:
            seen.add(c)
            picks.append(i)
        if len(picks) == N_REF:
            break
    ref_x = x_eval[picks]                                   # [R, 1, 49, 10]
    with torch.no_grad():
        ref_logits = model(ref_x)
    tensors = {k: v for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
    params = sum(v.numel() for v in tensors.values())
    tensors["ref.input"] = ref_x.permute(0, 2, 3, 1).contiguous()   # NHWC [R, 49, 10, 1]
    tensors["ref.label"] = y_eval[picks].float()
    tensors["ref.logits"] = ref_logits
    tensors["ref.probs"] = torch.softmax(ref_logits, dim=1)
    save_safetensors(OUT_ST, tensors, {
        "torch_accuracy": f"{eval_acc:.4f}",
        "torch_version": torch.__version__,
        "data": "synthetic 49x10 MFCC-like features made by train_kws.py (seed %d)" % SEED,
        "model": "DS-CNN KWS: conv3x3/2 1->32, 2 x (dw3x3 + pw1x1 32), BN+ReLU, global avg pool, fc 32->10",
    })
    print(f"{params} weight and BN values; wrote {os.path.relpath(OUT_ST, ROOT)} "
          f"({os.path.getsize(OUT_ST)} bytes)")
    print("reference labels", [int(v) for v in y_eval[picks]],
          "predicted", ref_logits.argmax(dim=1).tolist())
    run_st2c()
    print(f"wrote {os.path.relpath(OUT_H, ROOT)}")


if __name__ == "__main__":
    main()
