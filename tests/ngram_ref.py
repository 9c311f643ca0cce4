#!/usr/bin/env python3
"""Independent reference for mlcore's n-gram module (pure Python, no numpy).

Written from the definitions -- Chen & Goodman's interpolated modified
Kneser-Ney as KenLM's lmplz computes it (adjusted counts, the per-order
discounts D_k = k - (k+1) Y t_{k+1} / t_k, interpolation down to a uniform
distribution over every type but <s>, <s> with log10 p = 0, float32
arithmetic in lmplz's order of operations), count pruning, add-k with
backoff, stupid backoff, and scoring / perplexity as KenLM's `query` does it
(per-sentence float32 sums) -- with dictionaries of word tuples, not by
translating the C code.

Usage:
  ngram_ref.py golden               writes tests/golden/ngram_ref.safetensors
  ngram_ref.py compare TEXT ARPA N  [--char] [--prune a,b,..] [--smooth kn|addk:K|stupid:A]
                                    estimates from TEXT and compares every
                                    n-gram of ARPA (as written by mlcore)
  ngram_ref.py corpus SEED WORDS V  prints the synthetic corpus the tests use
"""
import json
import math
import os
import struct
import sys

UNK, BOS, EOS = b"<unk>", b"<s>", b"</s>"
_F = struct.Struct("<f")


def f32(x):
    """Round a Python float (double) to float32, as a C float store does."""
    return _F.unpack(_F.pack(x))[0]


def log10f(x):
    return f32(math.log10(x)) if x > 0 else float("-inf")


# ---- text --------------------------------------------------------------------------
WS = b" \t\n\v\f\r\0"


def lines_of(text):
    if not text:
        return []
    ls = text.split(b"\n")
    if text.endswith(b"\n"):
        ls.pop()
    return ls


def utf8_chars(line):
    out, i = [], 0
    while i < len(line):
        c = line[i]
        if c in (13, 10, 0):
            i += 1
            continue
        if c in (32, 9, 11, 12):
            out.append(b"<sp>")
            i += 1
            continue
        n = 1
        if 0xC2 <= c <= 0xDF:
            n = 2
        elif 0xE0 <= c <= 0xEF:
            n = 3
        elif 0xF0 <= c <= 0xF4:
            n = 4
        if n > 1 and (i + n > len(line) or any((b & 0xC0) != 0x80 for b in line[i + 1:i + n])):
            n = 1
        out.append(line[i:i + n])
        i += n
    return out


def tokens_of(line, char_mode):
    if char_mode:
        return utf8_chars(line)
    out, cur = [], bytearray()
    for c in line:
        if c in WS:
            if cur:
                out.append(bytes(cur))
                cur = bytearray()
        else:
            cur.append(c)
    if cur:
        out.append(bytes(cur))
    return out


class Vocab:
    def __init__(self):
        self.words = [UNK, BOS, EOS]
        self.ids = {w: i for i, w in enumerate(self.words)}

    def get(self, w):
        if w not in self.ids:
            self.ids[w] = len(self.words)
            self.words.append(w)
        return self.ids[w]


def sentences_of(text, char_mode, vocab):
    out = []
    for line in lines_of(text):
        ids = []
        for t in tokens_of(line, char_mode):
            i = vocab.get(t)
            if i > 2:          # <unk> <s> </s> in the corpus are skipped, as lmplz
                ids.append(i)
        out.append(ids)
    return out


# ---- counts -------------------------------------------------------------------------
def raw_counts(sents, order):
    """raw[n][tuple] over the text padded as <s> w1 .. wk </s>."""
    raw = [None] + [dict() for _ in range(order)]
    bos, eos = 1, 2
    for s in sents:
        seq = [bos] + s + [eos]
        for i in range(1, len(seq)):
            for n in range(1, min(order, i + 1) + 1):
                g = tuple(seq[i - n + 1:i + 1])
                raw[n][g] = raw[n].get(g, 0) + 1
    return raw


# ---- modified Kneser-Ney --------------------------------------------------------------
def kneser_ney(sents, V, order, prune=None, fallback=(0.5, 1.0, 1.5)):
    prune = list(prune or [0] * order)
    raw = raw_counts(sents, order)
    for w in (0, 1):                      # <unk> and <s> are unigrams of count 0
        raw[1].setdefault((w,), 0)
    # adjusted counts
    adj = [None] + [dict() for _ in range(order)]
    for n in range(1, order + 1):
        for g, c in raw[n].items():
            if n == order or g[0] == 1:
                adj[n][g] = c
            else:
                adj[n][g] = 0
    for n in range(2, order + 1):
        for g in raw[n]:
            s = g[1:]
            if s[0] != 1:
                adj[n - 1][s] += 1       # one more distinct word to the left
    pruned = [None] + [set() for _ in range(order)]
    for n in range(2, order + 1):
        if prune[n - 1] > 0:
            pruned[n] = {g for g, c in raw[n].items() if c <= prune[n - 1]}
    # lmplz's statistics count the greatest n-gram of each lower order in
    # suffix order (compared from the last word back) with its raw count,
    # not its adjusted count: the suffixes of the greatest <s>-padded
    # N-gram, up to the first that starts with <s>
    tail = []
    if order > 1:
        g = (max(w for (w,), c in raw[1].items() if c > 0),)
        tail.append(g)
        for n in range(2, order):
            if g[0] == 1:
                break
            g = max((x for x in raw[n] if x[1:] == g), key=lambda x: x[0])
            tail.append(g)
    # discounts
    D, fell, hist = [None], 0, []
    for n in range(1, order + 1):
        t = [0] * 5
        for a in adj[n].values():
            if 1 <= a <= 4:
                t[a] += 1
        if n <= len(tail):
            for c, step in ((adj[n][tail[n - 1]], -1), (raw[n][tail[n - 1]], 1)):
                if 1 <= c <= 4:
                    t[c] += step
        hist.append(t[1:])
        ok = t[1] and t[2] and t[3]
        d = [0.0, 0.0, 0.0, 0.0]
        if ok:
            y = f32(f32(t[1]) / f32(t[1] + 2.0 * t[2]))
            for k in (1, 2, 3):
                q = f32(f32(f32(f32(k + 1) * y) * f32(t[k + 1])) / f32(t[k]))
                d[k] = f32(f32(k) - q)
                if not (0.0 <= d[k] <= k):
                    ok = False
        if not ok:
            d = [0.0] + [f32(x) for x in fallback]
            fell |= 1 << (n - 1)
        D.append(d)
    # gamma of every context (order n-1) from its order-n extensions
    gamma = [dict() for _ in range(order + 1)]   # gamma[n-1][ctx]
    den_of = [dict() for _ in range(order + 1)]
    for n in range(1, order + 1):
        groups = {}
        for g, a in adj[n].items():
            groups.setdefault(g[:-1], []).append((g, a))
        for ctx, items in groups.items():
            den = sum(a for _, a in items)
            cnt = [0, 0, 0, 0]
            pm = 0
            for g, a in items:
                if g in pruned[n]:
                    pm += a
                elif a > 0:
                    cnt[min(a, 3)] += 1
            gm = 0.0
            for k in (1, 2, 3):
                gm = f32(gm + f32(D[n][k] * f32(cnt[k])))
            if pm:
                gm = f32(gm + f32(pm))
            gamma[n - 1][ctx] = f32(gm / f32(den))
            den_of[n - 1][ctx] = den
    # interpolated probabilities
    uniform = f32(1.0 / f32(V - 1))
    prob = [None] + [dict() for _ in range(order)]
    g0 = gamma[0][()]
    for w in range(V):
        g = (w,)
        if w == 1:
            prob[1][g] = 1.0
            continue
        a = adj[1].get(g, 0)
        u = 0.0 if w == 0 else f32(f32(f32(a) - D[1][min(a, 3)]) / f32(den_of[0][()]))
        prob[1][g] = f32(u + f32(g0 * uniform))
    for n in range(2, order + 1):
        for g, a in adj[n].items():
            if g in pruned[n]:
                continue
            ctx = g[:-1]
            u = f32(f32(f32(a) - D[n][min(a, 3)]) / f32(den_of[n - 1][ctx]))
            prob[n][g] = f32(u + f32(gamma[n - 1][ctx] * prob[n - 1][g[1:]]))
    model = [None] + [dict() for _ in range(order)]
    for n in range(1, order + 1):
        for g, p in prob[n].items():
            lp = min(0.0, log10f(p))
            bo = 0.0
            if n < order and g in gamma[n] and g[-1] not in (0, 2):
                bo = log10f(gamma[n][g])
            model[n][g] = (lp, bo)
    info = {"disc": [D[n][1:] for n in range(1, order + 1)], "fallback": fell, "hist": hist}
    return model, info


# ---- add-k and stupid backoff -----------------------------------------------------------
def simple_model(sents, V, order, kind, k=1.0, alpha=0.4):
    raw = raw_counts(sents, order)
    T = float(sum(c for g, c in raw[1].items() if g[0] != 1))
    Vp = float(V - 1)
    model = [None] + [dict() for _ in range(order)]
    lin = [None] + [dict() for _ in range(order)]
    for w in range(V):
        c = raw[1].get((w,), 0)
        if w == 1:
            p = 1.0
        elif kind == "addk":
            p = (c + k) / (T + k * Vp)
        else:
            p = (c if c else 1) / T
        lin[1][(w,)] = f32(p)
        model[1][(w,)] = [min(0.0, f32(math.log10(p))), 0.0]
    for n in range(2, order + 1):
        groups = {}
        for g, c in raw[n].items():
            groups.setdefault(g[:-1], []).append((g, c))
        for ctx, items in groups.items():
            den = float(sum(c for _, c in items))
            low = 0.0
            for g, c in items:
                p = (c + k) / (den + k * Vp) if kind == "addk" else c / den
                lin[n][g] = f32(p)
                model[n][g] = [min(0.0, f32(math.log10(p))), 0.0]
                low += lin[n - 1][g[1:]]
            if ctx[-1] in (0, 2):
                continue
            if kind == "addk":
                left = k * (Vp - len(items)) / (den + k * Vp)
                a = left / (1.0 - low) if left > 0 and 1.0 - low > 1e-12 else 1.0
            else:
                a = alpha
            model[n - 1][ctx][1] = f32(math.log10(a))
    for n in range(1, order + 1):
        for g in model[n]:
            model[n][g] = tuple(model[n][g])
    return model, {"disc": [[0.0, 0.0, 0.0]] * order, "fallback": 0, "hist": [[0] * 4] * order}


# ---- scoring (the ARPA definition) and KenLM query's perplexity ----------------------------
def score(model, order, hist, w):
    h = hist[-(order - 1):] if order > 1 else []
    for j in range(len(h), -1, -1):
        g = tuple(h[len(h) - j:]) + (w,)
        if g in model[j + 1]:
            p, matched = model[j + 1][g][0], j
            break
    for i in range(matched + 1, len(h) + 1):
        c = tuple(h[len(h) - i:])
        if c in model[i]:
            p = f32(p + model[i][c][1])
    return p


def perplexity(model, order, vocab_ids, text, char_mode):
    total, oov_sum, tokens, oovs = 0.0, 0.0, 0, 0
    for line in lines_of(text):
        hist, s = [1], 0.0
        for t in tokens_of(line, char_mode):
            w = vocab_ids.get(t, 0)
            lp = score(model, order, hist, w)
            if w == 0:
                oovs += 1
                oov_sum += lp
            s = f32(s + lp)
            tokens += 1
            hist.append(w)
        s = f32(s + score(model, order, hist, 2))
        tokens += 1
        total += s
    ppl = 10.0 ** (-total / tokens)
    ppl2 = 10.0 ** (-(total - oov_sum) / (tokens - oovs))
    return [total, oov_sum, float(tokens), float(oovs), ppl, ppl2]


# ---- the synthetic corpus (tests/test_ngram.c generates the same bytes) -----------------
SYL = ["ka", "lo", "mi", "ne", "su", "ta", "ri", "po", "ve", "du", "ga", "hi", "jo", "ze", "bu", "fa"]


def word_name(i):
    i += 1
    s = ""
    while i:
        s = SYL[i % 16] + s
        i //= 16
    return s


def corpus(seed, n_words, V):
    """Sentences of 3..12 words; half the words follow one of five successors
    of the previous word, the others are drawn as a*b*c/V^2 (a Zipf-like
    head and a long tail), a, b, c uniform in [0, V)."""
    x = seed & 0xFFFFFFFF

    def r():
        nonlocal x
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        return x

    out, words, prev = [], 0, 0
    while words < n_words:
        L = 3 + r() % 10
        sent = []
        for j in range(L):
            if j > 0 and r() % 4 < 2:
                w = (prev * 7 + (r() % 5) * 13 + 1) % V
            else:
                a = r() % V
                b = r() % V
                c = r() % V
                w = a * b // V * c // V
            sent.append(word_name(w))
            prev = w
        out.append(" ".join(sent))
        words += L
    return ("\n".join(out) + "\n").encode()


# ---- output -----------------------------------------------------------------------------
def canonical(model, order):
    """n-grams per order as mlcore writes them: unigrams by id, others by
    word id from the first word (context order)."""
    return [None] + [sorted(model[n]) for n in range(1, order + 1)]


def tuple_check(grams):
    s = 0
    for j, g in enumerate(grams):
        h = 0
        for i, w in enumerate(g):
            h += (w + 1) * (i + 1) * 7919
        s = (s + (j + 1) * h) % (1 << 50)
    return float(s)


def write_safetensors(path, tensors):
    header, blobs, off = {}, [], 0
    for name, (dtype, vals) in tensors.items():
        fmt = "<%d%s" % (len(vals), "f" if dtype == "F32" else "d")
        b = struct.pack(fmt, *vals)
        header[name] = {"dtype": dtype, "shape": [len(vals)], "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def add_model(tensors, name, model, info, order, ppl=None):
    can = canonical(model, order)
    counts = [float(len(can[n])) for n in range(1, order + 1)]
    tensors[name + ".counts"] = ("F64", counts)
    tensors[name + ".disc"] = ("F64", [d for row in info["disc"] for d in row])
    tensors[name + ".hist"] = ("F64", [float(t) for row in info["hist"] for t in row])
    tensors[name + ".fallback"] = ("F64", [float(info["fallback"])])
    tensors[name + ".check"] = ("F64", [tuple_check(can[n]) for n in range(1, order + 1)])
    for n in range(1, order + 1):
        tensors["%s.o%d.p" % (name, n)] = ("F32", [model[n][g][0] for g in can[n]])
        if n < order:
            tensors["%s.o%d.b" % (name, n)] = ("F32", [model[n][g][1] for g in can[n]])
    if ppl is not None:
        tensors[name + ".ppl"] = ("F64", ppl)


def build(text, order, char_mode=False, kind="kn", prune=None, k=1.0, alpha=0.4):
    vocab = Vocab()
    sents = sentences_of(text, char_mode, vocab)
    V = len(vocab.words)
    if kind == "kn":
        model, info = kneser_ney(sents, V, order, prune)
    else:
        model, info = simple_model(sents, V, order, kind, k, alpha)
    return vocab, model, info


def golden(root):
    tensors = {}
    here = os.path.dirname(os.path.abspath(__file__))
    big = corpus(1, 100000, 3000)
    held = corpus(2, 5000, 3300)                 # words 3000..3299 never seen: OOVs
    v, m, info = build(big, 3)
    add_model(tensors, "kn3", m, info, 3, perplexity(m, 3, v.ids, held, False))
    small = corpus(3, 20000, 500)
    v, m, info = build(small, 5, prune=[0, 0, 1, 1, 1])
    add_model(tensors, "kn5p", m, info, 5, perplexity(m, 5, v.ids, corpus(4, 2000, 520), False))
    tiny = corpus(5, 5000, 300)
    hold_t = corpus(6, 1000, 320)
    for name, kind in (("addk3", "addk"), ("stupid3", "stupid")):
        v, m, info = build(tiny, 3, kind=kind, k=0.5, alpha=0.4)
        add_model(tensors, name, m, info, 3, perplexity(m, 3, v.ids, hold_t, False))
    v, m, info = build(tiny, 1)
    add_model(tensors, "kn1", m, info, 1, perplexity(m, 1, v.ids, hold_t, False))
    v, m, info = build(tiny, 7)                  # high orders: discounts fall back
    add_model(tensors, "kn7", m, info, 7, perplexity(m, 7, v.ids, hold_t, False))
    with open(os.path.join(here, "..", "examples", "data", "names.txt"), "rb") as f:
        names = f.read()
    v, m, info = build(names, 5, char_mode=True)
    add_model(tensors, "char5", m, info, 5, perplexity(m, 5, v.ids, b"Aldwin\nZyx\nMarta\n", True))
    out = os.path.join(root, "golden", "ngram_ref.safetensors")
    write_safetensors(out, tensors)
    print("wrote", out, os.path.getsize(out), "bytes")


def read_arpa(path):
    model, order, n = {}, 0, 0
    with open(path, "rb") as f:
        for line in f:
            line = line.rstrip(b"\r\n")
            if line.startswith(b"ngram "):
                order = max(order, int(line[6:].split(b"=")[0]))
            elif line.startswith(b"\\") and line.endswith(b"-grams:"):
                n = int(line[1:-7])
            elif n and line and not line.startswith(b"\\"):
                f_ = line.split()
                p, ws = float(f_[0]), tuple(f_[1:1 + n])
                b = float(f_[1 + n]) if len(f_) > n + 1 else 0.0
                model[ws] = (p, b)
    return model, order


def compare(argv):
    text_path, arpa_path, order = argv[0], argv[1], int(argv[2])
    char_mode = "--char" in argv
    kind, prune, k, alpha = "kn", None, 1.0, 0.4
    for i, a in enumerate(argv):
        if a == "--prune":
            prune = [int(x) for x in argv[i + 1].split(",")]
        if a == "--smooth":
            s = argv[i + 1]
            kind = s.split(":")[0]
            if kind == "addk":
                k = float(s.split(":")[1])
            if kind == "stupid":
                alpha = float(s.split(":")[1])
    with open(text_path, "rb") as f:
        text = f.read()
    v, m, info = build(text, order, char_mode, kind, prune, k, alpha)
    got, o2 = read_arpa(arpa_path)
    worst, n_ref = 0.0, 0
    for n in range(1, order + 1):
        for g, (p, b) in m[n].items():
            key = tuple(v.words[w] for w in g)
            n_ref += 1
            if key not in got:
                print("missing", key)
                return 1
            gp, gb = got[key]
            worst = max(worst, abs(gp - p), abs(gb - b))
    print("n-grams: reference %d, ARPA %d; max |difference| %.3g; discounts %s; fallback orders %#x"
          % (n_ref, len(got), worst, info["disc"], info["fallback"]))
    return 0 if n_ref == len(got) and worst <= 1e-6 else 1


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "golden":
        golden(os.path.dirname(os.path.abspath(__file__)))
    elif len(sys.argv) > 1 and sys.argv[1] == "compare":
        sys.exit(compare(sys.argv[2:]))
    elif len(sys.argv) > 1 and sys.argv[1] == "corpus":
        sys.stdout.buffer.write(corpus(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])))
    else:
        print(__doc__)
