#!/usr/bin/python3
"""Generates tests/golden/rnn.safetensors: torch.nn.RNN / LSTM / GRU cases
(committed, so `make test` needs no Python).

    /usr/bin/python3 tests/gen_golden_rnn.py      # Debian's python3-torch

Deterministic (fixed seed); written by hand in safetensors format like
tests/gen_golden.py.

Per case <c> (the module's own state_dict under the prefix "<c>."):
  <c>.weight_ih_l<k>[_reverse], weight_hh_..., bias_ih_..., bias_hh_...,
  weight_hr_... (LSTM proj_size)   float32, PyTorch's own init, weight_hh
              scaled down (see gen_rnn)
  <c>.params  [9] float32: mode (0 tanh, 1 relu, 2 lstm, 3 gru), input_size,
              hidden_size, num_layers, bidirectional, bias, proj_size,
              batch_first, unbatched
  <c>.x       [T, B, I] ([B, T, I] if batch_first, [T, I] if unbatched)
  <c>.h0      [L*D, B, P] ([L*D, P] unbatched), absent: zero initial state
  <c>.c0      [L*D, B, H] (LSTM), absent: zero
  <c>.y, <c>.hn, <c>.cn   the module run in float64 on the float32 weights
              and inputs, rounded once to float32
Plus entries mlc_rnn_load must reject:
  bad_missing.*  an LSTM(3, 4) state_dict without bias_hh_l0
  bad_shape.*    an LSTM(3, 4) whose weight_hh_l0 is [16, 5]
  bad_rank.*     an LSTM(3, 4) whose bias_ih_l0 is [4, 4]
  bad_dtype.*    an LSTM(3, 4) whose weight_ih_l0 is int32
"""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_golden import OUT, tensor_entry, write_safetensors, f32  # noqa: E402

MODES = {"tanh": 0, "relu": 1, "lstm": 2, "gru": 3}

# name, mode, I, H, layers, bidirectional, bias, proj, batch_first, unbatched,
# B, T, given initial state
CASES = [
    ("rnn_tanh_l1_h16_b1",       "tanh", 5, 16, 1, False, True,  0, False, False, 1, 7, False),
    ("rnn_relu_l2_bi_h13_b3",    "relu", 6, 13, 2, True,  True,  0, False, False, 3, 5, True),
    ("rnn_tanh_nb_bf_l2_h37_b3", "tanh", 4, 37, 2, False, False, 0, True,  False, 3, 6, True),
    ("lstm_l1_h16_b1",           "lstm", 8, 16, 1, False, True,  0, False, False, 1, 9, False),
    ("lstm_l2_h13_b3",           "lstm", 5, 13, 2, False, True,  0, False, False, 3, 6, True),
    ("lstm_l2_bi_h37_b3",        "lstm", 7, 37, 2, True,  True,  0, False, False, 3, 5, True),
    ("lstm_l1_bi_h16_b1",        "lstm", 6, 16, 1, True,  True,  0, False, False, 1, 6, False),
    ("lstm_proj_l2_bi_h20_p7_b3", "lstm", 5, 20, 2, True, True,  7, False, False, 3, 5, True),
    ("lstm_proj_l1_h16_p5_b1",   "lstm", 4, 16, 1, False, True,  5, False, False, 1, 8, False),
    ("lstm_nb_bf_l2_h13_b3",     "lstm", 6, 13, 2, False, False, 0, True,  False, 3, 5, True),
    ("lstm_unb_l2_h16",          "lstm", 5, 16, 2, False, True,  0, False, True,  1, 7, True),
    ("lstm_chunk_bi_h24_b2",     "lstm", 9, 24, 1, True,  True,  0, False, False, 2, 45, True),
    ("gru_l1_h16_b1",            "gru",  8, 16, 1, False, True,  0, False, False, 1, 9, False),
    ("gru_l2_h13_b3",            "gru",  5, 13, 2, False, True,  0, False, False, 3, 6, True),
    ("gru_l2_bi_h37_b3",         "gru",  7, 37, 2, True,  True,  0, False, False, 3, 5, True),
    ("gru_l1_bi_nb_h16_b1",      "gru",  6, 16, 1, True,  False, 0, False, False, 1, 6, False),
    ("gru_bf_l1_h37_b3",         "gru",  4, 37, 1, False, True,  0, True,  False, 3, 7, True),
    ("gru_unb_l2_bi_h13",        "gru",  5, 13, 2, True,  True,  0, False, True,  1, 6, True),
    ("gru_chunk_l2_h16_b1",      "gru",  3, 16, 2, False, True,  0, True,  False, 1, 70, False),
]


def make(mode, i, h, layers, bidir, bias, proj, bf):
    kw = dict(num_layers=layers, bidirectional=bidir, bias=bias, batch_first=bf)
    if mode in ("tanh", "relu"):
        return torch.nn.RNN(i, h, nonlinearity=mode, **kw)
    if mode == "lstm":
        return torch.nn.LSTM(i, h, proj_size=proj, **kw)
    return torch.nn.GRU(i, h, **kw)


def gen_rnn():
    torch.manual_seed(5)
    entries = []
    for (name, mode, i, h, layers, bidir, bias, proj, bf, unb, b, t, given) in CASES:
        m = make(mode, i, h, layers, bidir, bias, proj, bf)
        # W_hh scaled so that its largest row sum of |w| is 1/2 (1/4 past 32
        # steps). Rounding errors then do not grow from step to step even
        # under the worst-case (all signs aligned) propagation that
        # tests/test_rnn.c bounds them with, so its tolerance stays tight.
        # With PyTorch's own init (|w| < 1/sqrt(H), row sums ~sqrt(H)/2)
        # that bound grows ~2-3x per step. The recurrent term still moves
        # each gate by ~0.1-0.5: far above the tolerance (~1e-5).
        with torch.no_grad():
            for k, v in m.named_parameters():
                if k.startswith("weight_hh"):
                    v.mul_((0.25 if t > 32 else 0.5) / v.abs().sum(dim=1).max())
        for k, v in m.state_dict().items():
            entries.append(tensor_entry(name + "." + k, v.numpy()))
        params = [MODES[mode], i, h, layers, int(bidir), int(bias), proj, int(bf), int(unb)]
        entries.append(tensor_entry(name + ".params", np.array(params, dtype=np.float32)))
        d = 2 if bidir else 1
        p = proj if proj else h
        if unb:
            x = torch.randn(t, i)
            hshape, cshape = (layers * d, p), (layers * d, h)
        else:
            x = torch.randn(b, t, i) if bf else torch.randn(t, b, i)
            hshape, cshape = (layers * d, b, p), (layers * d, b, h)
        x = x * 1.5
        entries.append(tensor_entry(name + ".x", x.numpy()))
        md = m.double()
        if given:
            h0 = torch.randn(*hshape) * 0.5
            entries.append(tensor_entry(name + ".h0", h0.numpy()))
            if mode == "lstm":
                c0 = torch.randn(*cshape)
                entries.append(tensor_entry(name + ".c0", c0.numpy()))
                y, (hn, cn) = md(x.double(), (h0.double(), c0.double()))
            else:
                y, hn = md(x.double(), h0.double())
        else:
            if mode == "lstm":
                y, (hn, cn) = md(x.double())
            else:
                y, hn = md(x.double())
        entries.append(tensor_entry(name + ".y", f32(y.detach())))
        entries.append(tensor_entry(name + ".hn", f32(hn.detach())))
        if mode == "lstm":
            entries.append(tensor_entry(name + ".cn", f32(cn.detach())))
    # state_dicts mlc_rnn_load must reject (params LSTM(3, 4), one layer)
    good = {k: v.numpy() for k, v in torch.nn.LSTM(3, 4).state_dict().items()}
    for case in ("bad_missing", "bad_shape", "bad_rank", "bad_dtype"):
        for k, v in good.items():
            if case == "bad_missing" and k == "bias_hh_l0":
                continue
            if case == "bad_shape" and k == "weight_hh_l0":
                v = np.ones((16, 5), dtype=np.float32)
            if case == "bad_rank" and k == "bias_ih_l0":
                v = np.ones((4, 4), dtype=np.float32)
            if case == "bad_dtype" and k == "weight_ih_l0":
                v = np.ones((16, 3), dtype=np.int32)
            entries.append(tensor_entry(case + "." + k, v))
    write_safetensors(os.path.join(OUT, "rnn.safetensors"), entries)


if __name__ == "__main__":
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)
    gen_rnn()
