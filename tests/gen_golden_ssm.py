#!/usr/bin/python3
"""Generates tests/golden/ssm.safetensors: the state-space-model cases of
tests/test_ssm.c against a pure-PyTorch implementation of the public
references (committed, so `make test` needs no Python):

    /usr/bin/python3 tests/gen_golden_ssm.py     # Debian's python3-torch

mamba_ssm itself needs CUDA to import, so the references are re-written
here, following state-spaces/mamba:
  selective_scan_ref   mamba_ssm/ops/selective_scan_interface.py (the pure
                       PyTorch reference of the CUDA kernel), einops
                       rearrange/repeat spelled out with torch ops
  Mamba                mamba_ssm/modules/mamba_simple.py, the slow path of
                       forward() (nn.Conv1d + selective_scan_ref, no
                       causal_conv1d) and step(); parameter names as there
  Block                mamba_ssm/modules/block.py, fused_add_norm=False
  RMSNorm              mamba_ssm/ops/triton/layer_norm.py rms_norm_ref
  MambaLMHeadModel     mamba_ssm/models/mixer_seq_simple.py (tied lm_head)
and S4DKernel / S4D.forward from state-spaces/s4 models/s4/s4d.py.
Everything is evaluated in float64 from float32 (or float16) inputs and
rounded once to float32. Inputs are stored token-major ([L, dim]), as
mlcore takes them; the references run in their own (batch, dim, L) layout.

Deterministic (fixed seeds); written with tests/gen_golden.py's writer.

Scan case s.<c> (L, dim, N, groups, options):
  .u .delta .z [L, dim]  .A [dim, N]  .B .C [L, groups, N]  .D .delta_bias [dim]
  .flags [2] = (delta_softplus, groups)   .y [L, dim]   .last_state [dim, N]
  (.D, .z, .delta_bias absent when the case does not use them)
Mamba block cases m.<c>: a Block state_dict under "m.<c>.blk." (norm +
  mixer), .x [L, dm] input, .y [L, dm] = x + mixer(norm(x)) (the residual
  stream), .y32 the same computed by the reference in float32 (the test's
  tolerance is a multiple of that float32 implementation's own error),
  .conv_state [W-1, di], .ssm_state [di, N] after the sequence (and the
  float32 reference's, .conv_state32, .ssm_state32).
LM case: a MambaLMHeadModel state_dict at the top level ("backbone.*", no
  lm_head.weight: tied), lm.tokens [L] (token ids as F32), lm.logits [L, V], lm.logits32.
S4D case s4d.: an S4D module's state_dict (s4d.kernel.log_dt, .log_A_real,
  .A_imag, .C, s4d.D), s4d.u [L, H], s4d.K [L, H], s4d.y [L, H] (FFT
  convolution + D u, as S4D.forward before its activation).
Bad loader inputs bad.<c>.*: a small Block with one tensor missing,
  mis-shaped or of a wrong dtype.
"""
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_golden import OUT, tensor_entry, write_safetensors  # noqa: E402

torch.set_grad_enabled(False)


# ---- selective_scan_ref (mamba_ssm/ops/selective_scan_interface.py) ----------
def selective_scan_ref(u, delta, A, B, C, D=None, z=None, delta_bias=None, delta_softplus=False,
                       return_last_state=False):
    """u: (b d l), delta: (b d l), A: (d n), B, C: (b n l) or (b g n l), D: (d),
    z: (b d l), delta_bias: (d). Real A only. Computes in the inputs' dtype
    (the public version casts to float32; here everything is float64)."""
    if delta_bias is not None:
        delta = delta + delta_bias[..., None]
    if delta_softplus:
        delta = F.softplus(delta)
    batch, dim, dstate = u.shape[0], A.shape[0], A.shape[1]
    x = A.new_zeros((batch, dim, dstate))
    ys = []
    deltaA = torch.exp(torch.einsum('bdl,dn->bdln', delta, A))
    if B.dim() == 3:
        deltaB_u = torch.einsum('bdl,bnl,bdl->bdln', delta, B, u)
    else:
        B = B.repeat_interleave(dim // B.shape[1], dim=1)        # "B G N L -> B (G H) N L"
        deltaB_u = torch.einsum('bdl,bdnl,bdl->bdln', delta, B, u)
    if C.dim() == 4:
        C = C.repeat_interleave(dim // C.shape[1], dim=1)
    last_state = None
    for i in range(u.shape[2]):
        x = deltaA[:, :, i] * x + deltaB_u[:, :, i]
        if C.dim() == 3:
            y = torch.einsum('bdn,bn->bd', x, C[:, :, i])
        else:
            y = torch.einsum('bdn,bdn->bd', x, C[:, :, :, i])
        if i == u.shape[2] - 1:
            last_state = x
        ys.append(y)
    y = torch.stack(ys, dim=2)  # (batch dim L)
    out = y if D is None else y + u * D[:, None]
    if z is not None:
        out = out * F.silu(z)
    return out if not return_last_state else (out, last_state)


# ---- Mamba (mamba_ssm/modules/mamba_simple.py), slow path ----------------------
class Mamba(torch.nn.Module):
    def __init__(self, d_model, d_state=16, d_conv=4, expand=2, dt_rank="auto", dt_min=0.001,
                 dt_max=0.1, dt_init_floor=1e-4, conv_bias=True, bias=False, dtype=torch.float64):
        super().__init__()
        self.d_model, self.d_state, self.d_conv = d_model, d_state, d_conv
        self.d_inner = int(expand * d_model)
        self.dt_rank = math.ceil(d_model / 16) if dt_rank == "auto" else dt_rank
        kw = {"dtype": dtype}
        self.in_proj = torch.nn.Linear(d_model, self.d_inner * 2, bias=bias, **kw)
        self.conv1d = torch.nn.Conv1d(self.d_inner, self.d_inner, bias=conv_bias, kernel_size=d_conv,
                                      groups=self.d_inner, padding=d_conv - 1, **kw)
        self.x_proj = torch.nn.Linear(self.d_inner, self.dt_rank + d_state * 2, bias=False, **kw)
        self.dt_proj = torch.nn.Linear(self.dt_rank, self.d_inner, bias=True, **kw)
        dt_init_std = self.dt_rank ** -0.5
        torch.nn.init.uniform_(self.dt_proj.weight, -dt_init_std, dt_init_std)
        dt = torch.exp(torch.rand(self.d_inner, **kw) * (math.log(dt_max) - math.log(dt_min))
                       + math.log(dt_min)).clamp(min=dt_init_floor)
        with torch.no_grad():
            self.dt_proj.bias.copy_(dt + torch.log(-torch.expm1(-dt)))   # inverse softplus
        A = torch.arange(1, d_state + 1, **kw).repeat(self.d_inner, 1)
        self.A_log = torch.nn.Parameter(torch.log(A))
        self.D = torch.nn.Parameter(torch.ones(self.d_inner, **kw))
        self.out_proj = torch.nn.Linear(self.d_inner, d_model, bias=bias, **kw)

    def forward(self, hidden_states):
        """hidden_states (B, L, D) -> (out, conv_state (B, di, W), ssm_state (B, di, N))."""
        batch, seqlen, dim = hidden_states.shape
        xz = (self.in_proj.weight @ hidden_states.reshape(-1, dim).t()).reshape(-1, batch, seqlen).permute(1, 0, 2)
        if self.in_proj.bias is not None:
            xz = xz + self.in_proj.bias[:, None]
        A = -torch.exp(self.A_log)
        x, z = xz.chunk(2, dim=1)
        conv_state = F.pad(x, (self.d_conv - x.shape[-1], 0))
        x = F.silu(self.conv1d(x)[..., :seqlen])
        x_dbl = self.x_proj(x.permute(0, 2, 1).reshape(-1, self.d_inner))
        dt, B, C = torch.split(x_dbl, [self.dt_rank, self.d_state, self.d_state], dim=-1)
        dt = (self.dt_proj.weight @ dt.t()).reshape(-1, batch, seqlen).permute(1, 0, 2)
        B = B.reshape(batch, seqlen, -1).permute(0, 2, 1).contiguous()
        C = C.reshape(batch, seqlen, -1).permute(0, 2, 1).contiguous()
        y, last_state = selective_scan_ref(x, dt, A, B, C, self.D, z=z, delta_bias=self.dt_proj.bias,
                                           delta_softplus=True, return_last_state=True)
        out = self.out_proj(y.permute(0, 2, 1))
        return out, conv_state, last_state

    def step(self, hidden_states, conv_state, ssm_state):
        xz = self.in_proj(hidden_states.squeeze(1))
        x, z = xz.chunk(2, dim=-1)
        conv_state.copy_(torch.roll(conv_state, shifts=-1, dims=-1))
        conv_state[:, :, -1] = x
        x = torch.sum(conv_state * self.conv1d.weight[:, 0, :], dim=-1)
        if self.conv1d.bias is not None:
            x = x + self.conv1d.bias
        x = F.silu(x)
        x_db = self.x_proj(x)
        dt, B, C = torch.split(x_db, [self.dt_rank, self.d_state, self.d_state], dim=-1)
        dt = F.linear(dt, self.dt_proj.weight)
        A = -torch.exp(self.A_log)
        dt = F.softplus(dt + self.dt_proj.bias)
        dA = torch.exp(torch.einsum("bd,dn->bdn", dt, A))
        dB = torch.einsum("bd,bn->bdn", dt, B)
        ssm_state.copy_(ssm_state * dA + x[:, :, None] * dB)
        y = torch.einsum("bdn,bn->bd", ssm_state, C)
        y = y + self.D * x
        y = y * F.silu(z)
        return self.out_proj(y).unsqueeze(1), conv_state, ssm_state


class RMSNorm(torch.nn.Module):
    def __init__(self, d, eps=1e-5, dtype=torch.float64):
        super().__init__()
        self.eps = eps
        self.weight = torch.nn.Parameter(torch.ones(d, dtype=dtype))

    def forward(self, x):
        rstd = 1 / torch.sqrt(x.square().mean(dim=-1, keepdim=True) + self.eps)
        return x * rstd * self.weight


class Block(torch.nn.Module):
    def __init__(self, dim, norm, **mixer_kw):
        super().__init__()
        self.norm = norm
        self.mixer = Mamba(dim, **mixer_kw)

    def forward(self, hidden_states, residual=None):
        residual = (hidden_states + residual) if residual is not None else hidden_states
        hidden_states = self.norm(residual)
        out, cs, ss = self.mixer(hidden_states)
        return out, residual, cs, ss


def randomize(module, gen, scale=0.3):
    """Moves every parameter away from its init (so ones/zeros are not special)."""
    for name, p in module.named_parameters():
        p.add_(torch.randn(p.shape, generator=gen, dtype=p.dtype) * scale * (p.abs().mean() + 0.1))


def to32(module):
    m32 = pickle_copy(module)
    return m32.to(torch.float32)


def pickle_copy(module):
    import copy
    return copy.deepcopy(module)


def f32(t):
    return t.detach().to(torch.float32).contiguous().numpy()


def f16(t):
    return t.detach().to(torch.float16).contiguous().numpy()


def sd_entries(prefix, module):
    return [tensor_entry(prefix + k, f32(v)) for k, v in module.state_dict().items()]


# ---- scan cases ----------------------------------------------------------------
def gen_scan(entries):
    g = torch.Generator().manual_seed(6)
    # name, L, dim, N, groups, D, z, delta_bias, softplus, half-precision inputs
    cases = [
        ("L1_all",      1, 20, 16, 1, 1, 1, 1, 1, 0),
        ("L1_none",     1,  7,  3, 1, 0, 0, 0, 0, 0),
        ("L17_none",   17, 37, 16, 1, 0, 0, 0, 0, 0),
        ("L17_D",      17, 37, 16, 1, 1, 0, 0, 0, 0),
        ("L17_z",      17, 37, 16, 1, 0, 1, 0, 0, 0),
        ("L17_bias",   17, 37, 16, 1, 0, 0, 1, 0, 0),
        ("L17_sp",     17, 37, 16, 1, 0, 0, 0, 1, 0),
        ("L17_all",    17, 37, 16, 1, 1, 1, 1, 1, 0),
        ("L17_g2_all", 17, 36, 16, 2, 1, 1, 1, 1, 0),
        ("L17_N5_all", 17, 19,  5, 1, 1, 1, 1, 1, 0),
        ("L17_N40",    17, 21, 40, 1, 1, 0, 1, 1, 0),
        ("L1024_all", 1024, 20, 16, 1, 1, 1, 1, 1, 1),
        ("L1024_g2",  1024, 12,  8, 2, 0, 0, 0, 1, 1),
    ]
    for name, L, dim, N, G, hasD, hasz, hasb, sp, half in cases:
        rnd = lambda *s: torch.randn(*s, generator=g, dtype=torch.float64)
        uni = lambda lo, hi, *s: lo + (hi - lo) * torch.rand(*s, generator=g, dtype=torch.float64)
        u = rnd(L, dim)
        if sp:
            # raw dt around 0, bias sets softplus(dt + bias) in [0.001, 0.1] (Mamba's dt init)
            delta = rnd(L, dim) * 0.5
            dtb = torch.log(torch.expm1(uni(math.log(1e-3), math.log(1e-1), dim).exp())) if hasb else None
        else:
            delta = uni(0.0, 0.3, L, dim)
            dtb = uni(0.0, 0.05, dim) if hasb else None
        A = -torch.exp(uni(0.0, math.log(16.0), dim, N))
        B = rnd(L, G, N)
        C = rnd(L, G, N)
        D = rnd(dim) if hasD else None
        z = rnd(L, dim) if hasz else None
        q = (lambda t: t.to(torch.float16).to(torch.float64)) if half else \
            (lambda t: t.to(torch.float32).to(torch.float64))
        u, delta, A, B, C = q(u), q(delta), q(A), q(B), q(C)
        D = q(D) if D is not None else None
        z = q(z) if z is not None else None
        dtb = q(dtb) if dtb is not None else None
        Bt = B.permute(1, 2, 0)[None] if G > 1 else B[:, 0, :].t()[None]   # (1, G, N, L) or (1, N, L)
        Ct = C.permute(1, 2, 0)[None] if G > 1 else C[:, 0, :].t()[None]
        y, last = selective_scan_ref(u.t()[None], delta.t()[None], A, Bt, Ct, D,
                                     z.t()[None] if z is not None else None, dtb, bool(sp), True)
        p = "s.%s." % name
        cast = f16 if half else f32
        entries += [tensor_entry(p + "u", cast(u)), tensor_entry(p + "delta", cast(delta)),
                    tensor_entry(p + "A", f32(A)), tensor_entry(p + "B", cast(B)), tensor_entry(p + "C", cast(C)),
                    tensor_entry(p + "flags", np.array([sp, G], dtype=np.float32)),
                    tensor_entry(p + "y", f32(y[0].t())), tensor_entry(p + "last_state", f32(last[0]))]
        if D is not None: entries.append(tensor_entry(p + "D", f32(D)))
        if z is not None: entries.append(tensor_entry(p + "z", cast(z)))
        if dtb is not None: entries.append(tensor_entry(p + "delta_bias", f32(dtb)))


# ---- Mamba block cases ---------------------------------------------------------
def make_block(gen, dm, layernorm=False, **kw):
    torch.manual_seed(int(torch.randint(0, 1 << 30, (1,), generator=gen)))
    norm = torch.nn.LayerNorm(dm, eps=1e-5, dtype=torch.float64) if layernorm else RMSNorm(dm)
    blk = Block(dm, norm, **kw)
    randomize(blk, gen, 0.2)
    # keep A_log, dt_proj.bias in Mamba's ranges after the nudge
    blk.mixer.dt_proj.bias.copy_(blk.mixer.dt_proj.bias.clamp(-7.0, -2.0))
    return blk


def round_params(module):
    """Rounds every parameter to float32 (what the file stores)."""
    for p in module.parameters():
        p.copy_(p.to(torch.float32).to(torch.float64))


def block_case(entries, gen, name, L, dm, layernorm=False, **kw):
    blk = make_block(gen, dm, layernorm, **kw)
    round_params(blk)
    x = (torch.randn(1, L, dm, generator=gen, dtype=torch.float64)).to(torch.float32).to(torch.float64)
    out, resid, cs, ss = blk(x)
    y = resid + out
    b32 = to32(blk)
    out32, resid32, cs32, ss32 = b32(x.to(torch.float32))
    y32 = resid32 + out32
    # the reference's own check: step() token by token equals forward()
    mix = blk.mixer
    conv_state = torch.zeros(1, mix.d_inner, mix.d_conv, dtype=torch.float64)
    ssm_state = torch.zeros(1, mix.d_inner, mix.d_state, dtype=torch.float64)
    for t in range(min(L, 40)):
        o, _, _ = mix.step(blk.norm(x[:, t:t + 1]), conv_state, ssm_state)
        assert torch.allclose(o[0, 0], out[0, t], rtol=1e-9, atol=1e-12), (name, t)
    p = "m.%s." % name
    entries += sd_entries(p + "blk.", blk)
    entries += [tensor_entry(p + "x", f32(x[0])), tensor_entry(p + "y", f32(y[0])),
                tensor_entry(p + "y32", f32(y32[0])),
                tensor_entry(p + "conv_state", f32(cs[0, :, 1:].t())), tensor_entry(p + "ssm_state", f32(ss[0])),
                tensor_entry(p + "conv_state32", f32(cs32[0, :, 1:].t())), tensor_entry(p + "ssm_state32", f32(ss32[0]))]


# ---- LM --------------------------------------------------------------------------
def gen_lm(entries, gen):
    V, dm, n_layer, L = 13, 16, 2, 17
    blocks = [make_block(gen, dm, d_state=8) for _ in range(n_layer)]
    emb = torch.randn(V, dm, generator=gen, dtype=torch.float64) * 0.5
    norm_f = RMSNorm(dm)
    norm_f.weight.copy_(1 + 0.2 * torch.randn(dm, generator=gen, dtype=torch.float64))
    for b in blocks: round_params(b)
    emb = emb.to(torch.float32).to(torch.float64)
    round_params(norm_f)
    tokens = torch.randint(0, V, (L,), generator=gen)

    def run(dtype):
        h = emb.to(dtype)[tokens][None]
        res = None
        for b in blocks:
            bb = b if dtype == torch.float64 else to32(b)
            h, res, _, _ = bb(h, res)
        nf = norm_f if dtype == torch.float64 else to32(norm_f)
        h = nf(h + res)
        return h @ emb.to(dtype).t()           # tied lm_head
    logits, logits32 = run(torch.float64), run(torch.float32)
    entries.append(tensor_entry("backbone.embedding.weight", f32(emb)))
    for i, b in enumerate(blocks):
        entries += sd_entries("backbone.layers.%d." % i, b)
    entries.append(tensor_entry("backbone.norm_f.weight", f32(norm_f.weight)))
    entries += [tensor_entry("lm.tokens", tokens.to(torch.float32).numpy()),
                tensor_entry("lm.logits", f32(logits[0])), tensor_entry("lm.logits32", f32(logits32[0]))]


# ---- S4D (state-spaces/s4 models/s4/s4d.py) ------------------------------------
def gen_s4d(entries, gen):
    H, N2, L = 6, 8, 1024
    log_dt = torch.rand(H, generator=gen, dtype=torch.float64) * (math.log(0.1) - math.log(0.001)) + math.log(0.001)
    C = torch.randn(H, N2, 2, generator=gen, dtype=torch.float64) * 0.5
    log_A_real = torch.log(0.5 * torch.ones(H, N2, dtype=torch.float64)) + 0.3 * torch.randn(H, N2, generator=gen, dtype=torch.float64)
    A_imag = math.pi * torch.arange(N2, dtype=torch.float64).repeat(H, 1) + 0.1 * torch.randn(H, N2, generator=gen, dtype=torch.float64)
    D = torch.randn(H, generator=gen, dtype=torch.float64)
    q = lambda t: t.to(torch.float32).to(torch.float64)
    log_dt, C, log_A_real, A_imag, D = q(log_dt), q(C), q(log_A_real), q(A_imag), q(D)
    # S4DKernel.forward
    dt = torch.exp(log_dt)
    Cc = torch.view_as_complex(C)
    A = -torch.exp(log_A_real) + 1j * A_imag
    dtA = A * dt[:, None]
    K = dtA[:, :, None] * torch.arange(L, dtype=torch.float64)
    Cc = Cc * (torch.exp(dtA) - 1.) / A
    K = 2 * torch.einsum('hn, hnl -> hl', Cc, torch.exp(K)).real
    # S4D.forward up to (and without) the activation: FFT convolution + D u
    u = q(torch.randn(1, H, L, generator=gen, dtype=torch.float64))
    k_f = torch.fft.rfft(K, n=2 * L)
    u_f = torch.fft.rfft(u, n=2 * L)
    y = torch.fft.irfft(u_f * k_f, n=2 * L)[..., :L] + u * D[:, None]
    entries += [tensor_entry("s4d.kernel.log_dt", f32(log_dt)), tensor_entry("s4d.kernel.C", f32(C)),
                tensor_entry("s4d.kernel.log_A_real", f32(log_A_real)), tensor_entry("s4d.kernel.A_imag", f32(A_imag)),
                tensor_entry("s4d.D", f32(D)), tensor_entry("s4d.u", f32(u[0].t())),
                tensor_entry("s4d.K", f32(K.t())), tensor_entry("s4d.y", f32(y[0].t()))]


# ---- bad loader inputs ------------------------------------------------------------
def gen_bad(entries, gen):
    blk = make_block(gen, 8, d_state=4)
    sd = {k: f32(v) for k, v in blk.state_dict().items()}
    def put(case, drop=None, replace=None):
        for k, v in sd.items():
            if k == drop: continue
            if replace and k in replace: v = replace[k]
            entries.append(tensor_entry("bad.%s.%s" % (case, k), v))
    put("ok")
    put("no_D", drop="mixer.D")
    put("no_dtbias", drop="mixer.dt_proj.bias")
    put("xproj_shape", replace={"mixer.x_proj.weight": np.zeros((5, 16), np.float32)})
    put("alog_shape", replace={"mixer.A_log": np.zeros((15, 4), np.float32)})
    put("conv_shape", replace={"mixer.conv1d.weight": np.zeros((16, 2, 4), np.float32)})
    put("norm_shape", replace={"norm.weight": np.zeros((9,), np.float32)})
    put("dtype", replace={"mixer.conv1d.weight": np.zeros((16, 1, 4), np.int32)})
    put("inproj_odd", replace={"mixer.in_proj.weight": np.zeros((31, 8), np.float32)})


def main():
    gen = torch.Generator().manual_seed(66)
    entries = []
    gen_scan(entries)
    block_case(entries, gen, "b17", 17, 24)                      # dm 24, di 48, N 16, W 4, R 2
    block_case(entries, gen, "b1024", 1024, 16, d_state=8)       # long sequence
    block_case(entries, gen, "ln", 9, 16, layernorm=True, d_state=4, d_conv=3, bias=True)
    gen_lm(entries, gen)
    gen_s4d(entries, gen)
    gen_bad(entries, gen)
    os.makedirs(OUT, exist_ok=True)
    write_safetensors(os.path.join(OUT, "ssm.safetensors"), entries)


if __name__ == "__main__":
    main()
