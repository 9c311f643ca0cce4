#!/usr/bin/python3
"""Trains the character-level GRU language model that examples/stream_rnn.c
runs token by token, and writes it out.

    /usr/bin/python3 tools/train_charlm.py      (from the repository root)

The text it learns is this repository's own documentation (README.md,
bench/README.md, tools/README.md and the top comment of mlcore.h, read when
the script runs; characters outside printable ASCII become spaces), so the
model writes mlcore-flavoured English. Nothing is downloaded. Seeded, one
thread: a rerun on the same text and machine writes the same bytes.

Model (PyTorch):  embed = nn.Embedding(V, 32)
                  gru   = nn.GRU(32, 128, num_layers=2)
                  head  = nn.Linear(128, V)
logits_t = head(gru(embed(token_t), state)). Trained with Adam on random
96-character windows of the first 90% of the text; the last 10% is held out,
and the weights with the lowest held-out loss (checked every 100 steps) are
kept: the corpus is small and a longer run only memorises it.

Output: examples/charlm_gru.safetensors (float32, ~0.7 MB), written by hand
(8-byte little-endian header length, JSON header padded with spaces, raw
little-endian tensors back to back):
    embed.weight [V, 32], gru.weight_ih_l0 ... gru.bias_hh_l1, head.weight
    [V, 128], head.bias [V]      the state_dict under PyTorch's own names
    vocab        [V] I32         the byte value of each token
    eval.tokens  [N] I32         N = 200 held-out characters
    eval.logits  [N, V] F32      PyTorch's logits for them, from a zero state
                                 (the example checks its own against these)
    __metadata__ torch_version, held-out loss (nats/char), corpus size
"""
import hashlib
import json
import math
import os
import re
import struct
import time

import numpy as np
import torch
import torch.nn as nn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "examples", "charlm_gru.safetensors")
SEED = 7
EMB, HID, LAYERS = 32, 128, 2
SEQ, BATCH, STEPS, LR = 96, 32, 1200, 3e-3
EVAL_EVERY = 100
N_EVAL = 200


def corpus():
    parts = []
    for f in ("README.md", "bench/README.md", "tools/README.md"):
        with open(os.path.join(ROOT, f), encoding="utf-8") as fh:
            parts.append(fh.read())
    with open(os.path.join(ROOT, "mlcore.h"), encoding="utf-8") as fh:
        head = fh.read()
    parts.append(head[head.index("/*") + 2:head.index("*/")])
    text = "\n".join(parts)
    text = "".join(c if (" " <= c <= "~" or c == "\n") else " " for c in text)
    return re.sub(r"[ ]{3,}", "  ", text)


class CharLM(nn.Module):
    def __init__(self, vocab):
        super().__init__()
        self.embed = nn.Embedding(vocab, EMB)
        self.gru = nn.GRU(EMB, HID, num_layers=LAYERS)
        self.head = nn.Linear(HID, vocab)

    def forward(self, tokens, state=None):   # tokens [T, B]
        y, state = self.gru(self.embed(tokens), state)
        return self.head(y), state


def write_safetensors(path, entries, meta):
    header = {"__metadata__": meta}
    off = 0
    for name, dt, arr in entries:
        b = arr.astype(arr.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": dt, "shape": list(arr.shape), "data_offsets": [off, off + len(b)]}
        off += len(b)
    js = json.dumps(header, separators=(",", ":")).encode()
    js += b" " * (-len(js) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(js)))
        f.write(js)
        for _, _, arr in entries:
            f.write(arr.astype(arr.dtype.newbyteorder("<")).tobytes())
    return 8 + len(js) + off


def main():
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    text = corpus()
    chars = sorted(set(text))
    idx = {c: i for i, c in enumerate(chars)}
    data = torch.tensor([idx[c] for c in text], dtype=torch.int64)
    split = int(len(data) * 0.9)
    train, held = data[:split], data[split:]
    V = len(chars)
    print("corpus %d chars, vocab %d, train %d, held out %d" % (len(text), V, split, len(held)))
    model = CharLM(V)
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, STEPS)
    lossf = nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(SEED)
    t0 = time.time()
    best, best_loss, best_step = None, float("inf"), -1

    def held_out_loss():
        model.eval()
        with torch.no_grad():
            logits, _ = model(held[:-1].unsqueeze(1))
            loss = lossf(logits.reshape(-1, V), held[1:]).item()
        model.train()
        return loss

    for step in range(STEPS):
        starts = torch.randint(0, len(train) - SEQ - 1, (BATCH,), generator=gen)
        batch = torch.stack([train[s:s + SEQ + 1] for s in starts], dim=1)   # [SEQ+1, B]
        logits, _ = model(batch[:-1])
        loss = lossf(logits.reshape(-1, V), batch[1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        if (step + 1) % EVAL_EVERY == 0 or step == STEPS - 1:
            hl = held_out_loss()
            if hl < best_loss:   # early stopping: keep the weights that generalise best
                best_loss, best_step = hl, step + 1
                best = {k: v.clone() for k, v in model.state_dict().items()}
            print("step %4d  train loss %.3f  held-out %.3f  (%.0f s)" % (step + 1, loss.item(), hl, time.time() - t0),
                  flush=True)
    model.load_state_dict(best)
    model.eval()
    held_loss = held_out_loss()
    print("kept the weights of step %d" % best_step)
    with torch.no_grad():
        ev = held[:N_EVAL]
        ev_logits, _ = model(ev.unsqueeze(1))
    print("held-out loss %.3f nats/char (uniform would be %.3f)" % (held_loss, math.log(V)))
    entries = []
    for k, v in model.state_dict().items():
        entries.append((k, "F32", v.numpy().astype(np.float32)))
    entries.append(("vocab", "I32", np.array([ord(c) for c in chars], dtype=np.int32)))
    entries.append(("eval.tokens", "I32", ev.numpy().astype(np.int32)))
    entries.append(("eval.logits", "F32", ev_logits.squeeze(1).numpy().astype(np.float32)))
    meta = {"torch_version": torch.__version__, "held_out_loss": "%.4f" % held_loss,
            "corpus_chars": str(len(text)), "steps": str(best_step),
            "corpus_sha256": hashlib.sha256(text.encode()).hexdigest(),
            "model": "Embedding(%d,%d) GRU(%d,%d,layers=%d) Linear(%d,%d)" % (V, EMB, EMB, HID, LAYERS, HID, V)}
    n = write_safetensors(OUT, entries, meta)
    print("wrote %s (%d bytes)" % (os.path.relpath(OUT, ROOT), n))


if __name__ == "__main__":
    main()
