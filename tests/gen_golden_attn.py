#!/usr/bin/python3
"""Generates tests/golden/attn.safetensors: norms, positions, attention and
transformer layers against PyTorch (committed, so `make test` needs no Python).

    /usr/bin/python3 tests/gen_golden_attn.py     # Debian's python3-torch

Deterministic (fixed seed); written by hand in safetensors format like
tests/gen_golden.py. Every expected output is computed in float64 from the
float32 inputs and parameters (modules converted with .double()) and rounded
once to float32. Parameters PyTorch initialises to constants (LayerNorm
weight 1 / bias 0, MultiheadAttention's zero biases) are redrawn at random so
that a port that drops or swaps them cannot match.

Entries (shapes row-major; masks stored as float32 0/1 or additive floats):
  ln.x [6,37] ln.weight ln.bias ln.y (eps 1e-5); ln.y_plain (no affine)
  ln192.x [4,192] (mean ~5: checks the two-pass variance) .weight .bias .y (eps 1e-6)
  rms.x [5,64] rms.weight rms.y (eps 1e-6): x / sqrt(mean x^2 + eps) * w
  sin.table [64,20] base 10000; sin.far [4,20]: positions 10000..10003
  rope.x [9,32] (2 heads of 16, position 3 + t, base 10000): rope.y_half
      (rotate_half, GPT-NeoX / HF LLaMA), rope.y_inter (interleaved, GPT-J)
  sdpa<T>.q/.k/.v/.o/.o_causal: softmax(q k^T / sqrt(d) [+ causal]) v per
      head; sdpa197 (1 head of 64, T = S = 197), sdpa7 (2 heads of 16,
      T = S = 7), sdpa1 (T = 1, S = 9, 2 heads of 16: causal sees every key)
  mha.*   nn.MultiheadAttention(48, 4, batch_first=True) state_dict, x [2,11,48],
      y (no mask), y_causal (attn_mask triu(-inf, 1)), pad [2,11] + y_pad
      (key_padding_mask), add [11,11] + y_add (float attn_mask), add3 [8,11,11]
      + y_add3 (per batch*head mask), kv [2,7,48] + y_cross, kvpad [2,7] +
      y_cross_pad
  mhanb.* the same module with bias=False: x, y
  gqa.*   separate q/k/v/o projections (Hugging Face names q_proj, k_proj,
      v_proj, o_proj), dim 32, 4 query heads, 2 kv heads: x [1,10,32],
      y_causal, y_rope (rotate_half RoPE base 10000 on q and k, causal)
  tel_<post|pre>_<relu|gelu>.* nn.TransformerEncoderLayer(32, 4, 64, eps 1e-5,
      batch_first=True, norm_first) state_dict, x [2,9,32], y, pad [2,9] +
      y_pad (src_key_padding_mask), y_causal (src_mask triu(-inf, 1))
  llama.*  a LLaMA-style pre-norm block, Hugging Face names: input_layernorm /
      post_attention_layernorm (RMSNorm weight, eps 1e-6), self_attn.q_proj /
      k_proj / v_proj / o_proj (no biases; dim 32, 4 heads over 2 kv heads,
      rotate_half RoPE base 10000), mlp.gate_proj / up_proj / down_proj
      (SwiGLU, 32 -> 48 -> 32): x [1,10,32], y_causal
  vitblock.* torchvision's ViT EncoderBlock(3 heads, 48, mlp 96, LayerNorm
      eps 1e-6) state_dict, x [1,13,48], y
  bad_mha.*  in_proj_weight [100,48] (not 3*48)
  bad_tel.*  a TransformerEncoderLayer whose linear2 is 64 -> 30 (not 32)
"""
import functools
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_golden import OUT, tensor_entry, write_safetensors  # noqa: E402

E = []


def put(name, t):
    if isinstance(t, torch.Tensor):
        t = t.detach().to(torch.float32).numpy()
    E.append(tensor_entry(name, np.ascontiguousarray(t, dtype=np.float32)))


def randomise(module, g):
    """Redraws every parameter: weights N(0, 1/fan_in), biases U(-0.2, 0.2),
    LayerNorm weight 1 + U(-0.3, 0.3), bias U(-0.2, 0.2)."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            if p.dim() >= 2:
                p.copy_(torch.randn(p.shape, generator=g) / p.shape[-1] ** 0.5)
            elif "norm" in name or "ln" in name:
                if name.endswith("weight"):
                    p.copy_(1 + (torch.rand(p.shape, generator=g) - 0.5) * 0.6)
                else:
                    p.copy_((torch.rand(p.shape, generator=g) - 0.5) * 0.4)
            else:
                p.copy_((torch.rand(p.shape, generator=g) - 0.5) * 0.4)


def put_state(prefix, module):
    for k, v in module.state_dict().items():
        put(prefix + "." + k, v)


def causal(T):
    return torch.triu(torch.full((T, T), float("-inf"), dtype=torch.float64), 1)


def gen_norms(g):
    x = torch.randn(6, 37, generator=g) * 3 + 1
    w = 1 + torch.randn(37, generator=g) * 0.3
    b = torch.randn(37, generator=g) * 0.2
    put("ln.x", x); put("ln.weight", w); put("ln.bias", b)
    put("ln.y", F.layer_norm(x.double(), (37,), w.double(), b.double(), 1e-5))
    put("ln.y_plain", F.layer_norm(x.double(), (37,), None, None, 1e-5))
    x = torch.randn(4, 192, generator=g) + 5
    w = 1 + torch.randn(192, generator=g) * 0.3
    b = torch.randn(192, generator=g) * 0.2
    put("ln192.x", x); put("ln192.weight", w); put("ln192.bias", b)
    put("ln192.y", F.layer_norm(x.double(), (192,), w.double(), b.double(), 1e-6))
    x = torch.randn(5, 64, generator=g) * 2
    w = 1 + torch.randn(64, generator=g) * 0.3
    put("rms.x", x); put("rms.weight", w)
    xd = x.double()
    put("rms.y", xd / torch.sqrt((xd * xd).mean(-1, keepdim=True) + 1e-6) * w.double())


def sinusoid(positions, dim, base=10000.0):
    pos = torch.tensor(positions, dtype=torch.float64)[:, None]
    i2 = torch.arange(0, dim, 2, dtype=torch.float64)
    ang = pos * torch.exp(-i2 / dim * np.log(base))
    pe = torch.zeros(len(positions), dim, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(ang)
    pe[:, 1::2] = torch.cos(ang)[:, : dim // 2]
    return pe


def rope_angles(positions, dh, base=10000.0):
    pos = torch.tensor(positions, dtype=torch.float64)[:, None]
    i2 = torch.arange(0, dh, 2, dtype=torch.float64)
    return pos * base ** (-i2 / dh)          # [T, dh/2]


def rope_half(x, positions, dh):
    """x [..., T, H*dh] (float64), rotate_half convention."""
    ang = rope_angles(positions, dh)
    c, s = torch.cos(ang), torch.sin(ang)
    shp = x.shape
    xh = x.reshape(*shp[:-1], -1, dh)
    a, b = xh[..., : dh // 2], xh[..., dh // 2:]
    c = c[:, None, :]; s = s[:, None, :]
    out = torch.cat([a * c - b * s, b * c + a * s], -1)
    return out.reshape(shp)


def rope_inter(x, positions, dh):
    ang = rope_angles(positions, dh)
    c, s = torch.cos(ang)[:, None, :], torch.sin(ang)[:, None, :]
    shp = x.shape
    xh = x.reshape(*shp[:-1], -1, dh // 2, 2)
    a, b = xh[..., 0], xh[..., 1]
    out = torch.stack([a * c - b * s, b * c + a * s], -1)
    return out.reshape(shp)


def gen_positions(g):
    put("sin.table", sinusoid(list(range(64)), 20))
    put("sin.far", sinusoid([10000, 10001, 10002, 10003], 20))
    x = torch.randn(9, 32, generator=g)
    put("rope.x", x)
    pos = list(range(3, 12))
    put("rope.y_half", rope_half(x.double(), pos, 16))
    put("rope.y_inter", rope_inter(x.double(), pos, 16))


def sdpa(q, k, v, H, G, dh, mask=None):
    """q [T, H*dh], k/v [S, G*dh] float64; mask [T, S] additive or None."""
    T, S = q.shape[0], k.shape[0]
    qh = q.reshape(T, H, dh).transpose(0, 1)
    rep = H // G
    kh = k.reshape(S, G, dh).transpose(0, 1).repeat_interleave(rep, 0)
    vh = v.reshape(S, G, dh).transpose(0, 1).repeat_interleave(rep, 0)
    s = qh @ kh.transpose(1, 2) / dh ** 0.5
    if mask is not None:
        s = s + mask
    return (torch.softmax(s, -1) @ vh).transpose(0, 1).reshape(T, H * dh)


def gen_sdpa(g):
    for name, T, S, H, dh in (("sdpa197", 197, 197, 1, 64), ("sdpa7", 7, 7, 2, 16), ("sdpa1", 1, 9, 2, 16)):
        q = torch.randn(T, H * dh, generator=g)
        k = torch.randn(S, H * dh, generator=g)
        v = torch.randn(S, H * dh, generator=g)
        put(name + ".q", q); put(name + ".k", k); put(name + ".v", v)
        put(name + ".o", sdpa(q.double(), k.double(), v.double(), H, H, dh))
        # causal aligned to the end: query t sees keys j <= t + S - T
        m = torch.triu(torch.full((T, S), float("-inf"), dtype=torch.float64), 1 + S - T)
        put(name + ".o_causal", sdpa(q.double(), k.double(), v.double(), H, H, dh, m))


def gen_mha(g):
    B, T, S, D, H = 2, 11, 7, 48, 4
    m = nn.MultiheadAttention(D, H, batch_first=True)
    randomise(m, g)
    put_state("mha", m)
    md = m.double().eval()
    x = torch.randn(B, T, D, generator=g)
    kv = torch.randn(B, S, D, generator=g)
    put("mha.x", x); put("mha.kv", kv)
    xd, kvd = x.double(), kv.double()

    def run(q, k, **kw):
        return md(q, k, k, need_weights=False, **kw)[0]

    put("mha.y", run(xd, xd))
    put("mha.y_causal", run(xd, xd, attn_mask=causal(T)))
    pad = torch.zeros(B, T, dtype=torch.bool)
    pad[0, 8:] = True
    pad[1, 2] = True
    pad[1, 5] = True
    put("mha.pad", pad.float())
    put("mha.y_pad", run(xd, xd, key_padding_mask=pad))
    add = torch.randn(T, T, generator=g).double()
    add[3, 4] = float("-inf")
    put("mha.add", add)
    put("mha.y_add", run(xd, xd, attn_mask=add))
    add3 = torch.randn(B * H, T, T, generator=g).double()
    put("mha.add3", add3)
    put("mha.y_add3", run(xd, xd, attn_mask=add3))
    put("mha.y_cross", run(xd, kvd))
    kvpad = torch.zeros(B, S, dtype=torch.bool)
    kvpad[0, 0] = True
    kvpad[1, 4:] = True
    put("mha.kvpad", kvpad.float())
    put("mha.y_cross_pad", run(xd, kvd, key_padding_mask=kvpad))

    m = nn.MultiheadAttention(D, H, batch_first=True, bias=False)
    randomise(m, g)
    put_state("mhanb", m)
    x = torch.randn(B, T, D, generator=g)
    put("mhanb.x", x)
    md = m.double().eval()
    put("mhanb.y", md(x.double(), x.double(), x.double(), need_weights=False)[0])

    bad = torch.randn(100, D, generator=g)
    put("bad_mha.in_proj_weight", bad)
    put("bad_mha.out_proj.weight", torch.randn(D, D, generator=g))


def gen_gqa(g):
    D, H, G, T = 32, 4, 2, 10
    dh = D // H
    lin = {"q_proj": nn.Linear(D, D), "k_proj": nn.Linear(D, G * dh), "v_proj": nn.Linear(D, G * dh),
           "o_proj": nn.Linear(D, D)}
    for n, l in lin.items():
        randomise(l, g)
        put_state("gqa." + n, l)
    x = torch.randn(1, T, D, generator=g)
    put("gqa.x", x)
    xd = x.double()[0]
    ld = {n: l.double() for n, l in lin.items()}
    q, k, v = ld["q_proj"](xd), ld["k_proj"](xd), ld["v_proj"](xd)
    put("gqa.y_causal", ld["o_proj"](sdpa(q, k, v, H, G, dh, causal(T)))[None])
    pos = list(range(T))
    q, k = rope_half(q, pos, dh), rope_half(k, pos, dh)
    put("gqa.y_rope", ld["o_proj"](sdpa(q, k, v, H, G, dh, causal(T)))[None])


def gen_tel(g):
    B, T, D, H, FF = 2, 9, 32, 4, 64
    for nf in (False, True):
        for act in ("relu", "gelu"):
            name = "tel_%s_%s" % ("pre" if nf else "post", act)
            layer = nn.TransformerEncoderLayer(D, H, FF, dropout=0.0, activation=act, layer_norm_eps=1e-5,
                                               batch_first=True, norm_first=nf)
            randomise(layer, g)
            put_state(name, layer)
            x = torch.randn(B, T, D, generator=g)
            put(name + ".x", x)
            ld = layer.double().eval()
            xd = x.double()
            pad = torch.zeros(B, T, dtype=torch.bool)
            pad[0, 6:] = True
            pad[1, 1] = True
            put(name + ".pad", pad.float())
            # grad enabled: PyTorch's inference fast path (which zeroes padded
            # query rows) stays off, so every row is the layer's plain math
            with torch.enable_grad():
                xd.requires_grad_(True)
                put(name + ".y", ld(xd))
                put(name + ".y_pad", ld(xd, src_key_padding_mask=pad))
                put(name + ".y_causal", ld(xd, src_mask=causal(T)))
    layer = nn.TransformerEncoderLayer(D, H, FF, dropout=0.0, batch_first=True)
    sd = layer.state_dict()
    for k, v in sd.items():
        if k == "linear2.weight":
            v = torch.randn(30, FF, generator=g)
        if k == "linear2.bias":
            v = torch.randn(30, generator=g)
        put("bad_tel." + k, v)


def gen_llama(g):
    D, H, G, FF, T = 32, 4, 2, 48, 10
    dh = D // H
    shapes = {"self_attn.q_proj": (D, D), "self_attn.k_proj": (G * dh, D), "self_attn.v_proj": (G * dh, D),
              "self_attn.o_proj": (D, D), "mlp.gate_proj": (FF, D), "mlp.up_proj": (FF, D), "mlp.down_proj": (D, FF)}
    W = {}
    for n, shp in shapes.items():
        W[n] = torch.randn(shp, generator=g) / shp[1] ** 0.5
        put("llama.%s.weight" % n, W[n])
    n1 = 1 + (torch.rand(D, generator=g) - 0.5) * 0.6
    n2 = 1 + (torch.rand(D, generator=g) - 0.5) * 0.6
    put("llama.input_layernorm.weight", n1)
    put("llama.post_attention_layernorm.weight", n2)
    x = torch.randn(1, T, D, generator=g)
    put("llama.x", x)
    Wd = {n: w.double() for n, w in W.items()}

    def rms(v, w):
        return v / torch.sqrt((v * v).mean(-1, keepdim=True) + 1e-6) * w.double()

    xd = x.double()[0]
    h = rms(xd, n1)
    q, k, v = h @ Wd["self_attn.q_proj"].t(), h @ Wd["self_attn.k_proj"].t(), h @ Wd["self_attn.v_proj"].t()
    pos = list(range(T))
    q, k = rope_half(q, pos, dh), rope_half(k, pos, dh)
    xd = xd + sdpa(q, k, v, H, G, dh, causal(T)) @ Wd["self_attn.o_proj"].t()
    h = rms(xd, n2)
    xd = xd + (F.silu(h @ Wd["mlp.gate_proj"].t()) * (h @ Wd["mlp.up_proj"].t())) @ Wd["mlp.down_proj"].t()
    put("llama.y_causal", xd[None])


def gen_vitblock(g):
    from torchvision.models.vision_transformer import EncoderBlock
    blk = EncoderBlock(3, 48, 96, 0.0, 0.0, functools.partial(nn.LayerNorm, eps=1e-6))
    randomise(blk, g)
    put_state("vitblock", blk)
    x = torch.randn(1, 13, 48, generator=g)
    put("vitblock.x", x)
    with torch.enable_grad():
        xd = x.double().requires_grad_(True)
        put("vitblock.y", blk.double().eval()(xd))


def main():
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(5)
    gen_norms(g)
    gen_positions(g)
    gen_sdpa(g)
    gen_mha(g)
    gen_gqa(g)
    gen_tel(g)
    gen_vitblock(g)
    gen_llama(g)
    write_safetensors(os.path.join(OUT, "attn.safetensors"), E)


if __name__ == "__main__":
    main()
