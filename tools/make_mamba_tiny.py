#!/usr/bin/python3
"""Trains the tiny character-level Mamba language model that
examples/mamba_lm.c runs, and writes examples/mamba_tiny.safetensors.

    /usr/bin/python3 tools/make_mamba_tiny.py [--steps 150] [--out PATH]

The model is mamba_ssm's MambaLMHeadModel in miniature (the pure-PyTorch
Mamba / Block / RMSNorm of tests/gen_golden_ssm.py, which follow the public
state-spaces/mamba code): bytes 0..127 as tokens (V = 128), d_model 64,
2 layers, d_state 16, expand 2 (d_inner 128), d_conv 4, dt_rank 4, RMSNorm,
embedding tied to the LM head. About 70k parameters, stored as float32 in
PyTorch's state_dict names (no lm_head.weight: tied), ~280 KB.

It trains for a fixed number of steps (default 150 steps of 48 sequences
of 48 bytes, about a minute on one thread of an idle machine) on the short
text below, written for this purpose, so it mostly learns to spell and to
continue phrases of that text. Deterministic (fixed seeds, one thread).
"""
import argparse
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
import gen_golden_ssm  # noqa: E402
from gen_golden_ssm import Block, RMSNorm  # noqa: E402
from gen_golden import tensor_entry, write_safetensors  # noqa: E402

torch.set_grad_enabled(True)   # gen_golden_ssm turns it off

TEXT = """\
The lighthouse keeper kept a small notebook by the lamp. Every night he wrote
down the wind, the sea and the ships that passed. He did not write long
sentences. He wrote what he saw, and then he slept.

The wind came from the west and the sea was grey. Two ships passed before
midnight. One was a fishing boat with a green light. The other was a ferry,
late as always, with every window bright.

The keeper liked the ferry. He could not hear the people on it, but he could
see them move behind the windows, small and warm, like seeds in a lamp. He
wondered where they were going and whether they were happy to go there.

In the morning he climbed the stairs again. There were one hundred and twelve
steps. He counted them every day, because counting kept his mind quiet. At the
top he cleaned the glass, trimmed the wick and looked out at the water.

A machine does not need to remember everything. It needs to remember enough.
The keeper remembered the last few ships, the shape of the last storm and the
sound of the last wind. The rest he let go, a little every hour, the way the
tide lets go of the sand.

When the storm came in the autumn, the keeper was ready. He had oil for the
lamp, bread for the week and a dry coat on the hook. The waves climbed the
rocks and fell back. The light turned and turned. No ship was lost that night.

The sea does not keep a record. The sea only keeps the present, and the
present holds a little of everything that came before. A wave is the sum of
every wind that pushed it, each one fading as it travels. The keeper knew
this without the words for it. He knew that a small state, kept well, is
enough to follow a long story.

In the spring a child came to visit. She asked why the light had to turn.
The keeper said that a light that does not move looks like a star, and a
sailor cannot trust a star near the rocks. A turning light says: here is the
shore, here is the danger, here is the way home.

She asked how he knew the number of steps. He said he counted them. She
counted them too, on the way up and on the way down, and she got one hundred
and twelve both times, and she was pleased.

The keeper wrote in his notebook: wind from the south, sea calm, one visitor.
Then he trimmed the wick, cleaned the glass and watched the ferry pass, late
as always, with every window bright.
"""


def scan_for_training(u, delta, A, B, C, D=None, z=None, delta_bias=None, delta_softplus=False,
                      return_last_state=False):
    """selective_scan_ref's math (real A, B and C (b n l)), arranged for
    autograd: the per-token slices come from unbind, whose backward is one
    stack, where selective_scan_ref's indexing makes a full-size gradient per
    token (quadratic in L). Used only to train; the golden files use the
    reference itself."""
    if delta_bias is not None:
        delta = delta + delta_bias[..., None]
    if delta_softplus:
        delta = F.softplus(delta)
    dA = torch.exp(torch.einsum('bdl,dn->bldn', delta, A))
    dBu = torch.einsum('bdl,bnl,bdl->bldn', delta, B, u)
    x, ys = 0.0, []
    for a, b, c in zip(dA.unbind(1), dBu.unbind(1), C.unbind(2)):
        x = a * x + b
        ys.append(torch.einsum('bdn,bn->bd', x, c))
    y = torch.stack(ys, dim=2)
    out = y if D is None else y + u * D[:, None]
    if z is not None:
        out = out * F.silu(z)
    return (out, x) if return_last_state else out


class TinyMambaLM(torch.nn.Module):
    def __init__(self, vocab=128, d_model=64, n_layer=2, d_state=16):
        super().__init__()
        self.embedding = torch.nn.Embedding(vocab, d_model)
        torch.nn.init.normal_(self.embedding.weight, std=0.02)
        self.layers = torch.nn.ModuleList(
            [Block(d_model, RMSNorm(d_model, dtype=torch.float32), d_state=d_state, dtype=torch.float32)
             for _ in range(n_layer)])
        self.norm_f = RMSNorm(d_model, dtype=torch.float32)
        for layer in self.layers:   # GPT-2 style rescale of the residual projections
            torch.nn.init.kaiming_uniform_(layer.mixer.out_proj.weight, a=math.sqrt(5))
            with torch.no_grad():
                layer.mixer.out_proj.weight /= math.sqrt(n_layer)

    def forward(self, tokens):
        h = self.embedding(tokens)
        res = None
        for layer in self.layers:
            h, res, _, _ = layer(h, res)
        h = self.norm_f(h + res)
        return h @ self.embedding.weight.t()


def state_dict_entries(model):
    out = [tensor_entry("backbone.embedding.weight", model.embedding.weight.detach().numpy().astype(np.float32))]
    for i, layer in enumerate(model.layers):
        for k, v in layer.state_dict().items():
            out.append(tensor_entry("backbone.layers.%d.%s" % (i, k), v.detach().numpy().astype(np.float32)))
    out.append(tensor_entry("backbone.norm_f.weight", model.norm_f.weight.detach().numpy().astype(np.float32)))
    return out


def sample(model, prompt, n, temperature=0.7, seed=1):
    g = torch.Generator().manual_seed(seed)
    toks = list(prompt.encode("ascii"))
    with torch.no_grad():
        for _ in range(n):
            logits = model(torch.tensor([toks[-96:]]))[0, -1] / temperature
            toks.append(int(torch.multinomial(F.softmax(logits, -1), 1, generator=g)))
    return bytes(toks).decode("ascii", "replace")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=150)
    ap.add_argument("--out", default=os.path.join(HERE, "..", "examples", "mamba_tiny.safetensors"))
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    gen_golden_ssm.selective_scan_ref = scan_for_training   # Mamba.forward looks it up at call time
    data = torch.tensor(list(TEXT.encode("ascii")), dtype=torch.long)
    model = TinyMambaLM()
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.01)
    seq, batch = 48, 48
    gen = torch.Generator().manual_seed(1)
    t0, step, avg = time.time(), 0, None
    while step < args.steps:
        starts = torch.randint(0, len(data) - seq - 1, (batch,), generator=gen)
        x = torch.stack([data[s:s + seq] for s in starts])
        y = torch.stack([data[s + 1:s + seq + 1] for s in starts])
        lr = 3e-3 * min(1.0, (step + 1) / 50)
        for grp in opt.param_groups:
            grp["lr"] = lr
        loss = F.cross_entropy(model(x).reshape(-1, 128), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        avg = loss.item() if avg is None else 0.95 * avg + 0.05 * loss.item()
        step += 1
        if step % 50 == 0:
            print("step %4d  %.1f s  loss %.3f" % (step, time.time() - t0, avg), flush=True)
    print("trained %d steps (%d tokens) in %.1f s, final loss %.3f" % (step, step * batch * seq, time.time() - t0, avg))
    print("sample:", repr(sample(model, "The keeper ", 120)))
    write_safetensors(os.path.abspath(args.out), state_dict_entries(model))


if __name__ == "__main__":
    main()
