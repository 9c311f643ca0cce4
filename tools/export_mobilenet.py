#!/usr/bin/python3
"""Exports a torchvision MobileNet (v2 or v3-small) as safetensors, with
optional golden test data for a C port.

    /usr/bin/python3 tools/export_mobilenet.py --arch mobilenet_v2 \\
        --out tests/golden/mobilenet_v2.safetensors --seed 1 --dtype f16 --golden \\
        --structure tools/mobilenet_structure.txt

Options:
  --arch mobilenet_v2|mobilenet_v3_small
  --out FILE          the .safetensors file to write
  --seed N            seed of the random weights (default 1)
  --pretrained        use torchvision's ImageNet weights (weights=DEFAULT) instead;
                      if they cannot be loaded (no network, no cache) the
                      script says so and exits with 1
  --dtype f32|f16     dtype of the stored weights (default f32)
  --golden            also store golden.input, golden.logits, golden.features.<i>
  --image-size N      side of the square golden images (default 224)
  --structure FILE    write a one-line-per-layer description of BOTH
                      architectures (tools/mobilenet_structure.txt); may be
                      used without --out
  --raw-init          skip the calibration step below (for comparison only:
                      the logit checks then only warn)

Random weights (the default; nothing is downloaded). torchvision's own init
leaves every BatchNorm at the identity (weight 1, bias 0, mean 0, var 1) and
the classifier near zero, so a port that mixes up BN terms, eps or the
classifier would still match. Here every parameter and buffer is redrawn from
one torch.Generator seeded with --seed, visiting modules in named_modules()
order (random_init):
  Conv2d weight   N(0, std = sqrt(2 / fan_in)), fan_in = in/groups * kh * kw
  Conv2d bias     U(-0.1, 0.1)    (only the SE fc1/fc2 convs have one)
  BN weight       U(0.5, 1.5)     BN bias          U(-0.2, 0.2)
  BN running_mean U(-0.2, 0.2)    BN running_var   U(0.5, 1.5)
  Linear weight   N(0, std = sqrt(1 / fan_in))   Linear bias U(-0.1, 0.1)
num_batches_tracked (int64, unused in eval) is NOT written to the file.

Those draws alone do not give a usable test network: an eval-mode BN with
running_var ~ 1 does not normalise conv outputs whose real variance is much
larger, so activations grow through the depth (per-stage std up to 7 in v2,
42 in v3-small with seed 1), ReLU6 saturates, and the logits hardly depend on
the input (the same top class for every image, in both archs). So
calibrate() then does a data-dependent init in one forward pass over 8
images (the 2 golden images + 6 calibration images, see
calibration_images()): each BN's running_mean/var draws are read as relative
to the mean mu and variance v that the BN actually receives,
    running_mean = mu + draw * sqrt(v),  running_var = v * draw,
and the classifier's last Linear is centred and scaled so the logits have
mean 0 per class and std 1 over those 8 images. Activations then stay O(1)
(per-stage std 0.5 to 2.2) and the top class depends on the image.

File layout (written by hand, no safetensors package): 8-byte little-endian
header length, JSON header padded with spaces to a multiple of 8, then the
tensors' little-endian bytes back to back with no holes. The golden F32
tensors come first and the weights after them, in state_dict() order, so
every F32 tensor starts 4-byte aligned even when the weights are F16. Weight
names and layouts are PyTorch's own (conv OIHW, linear [out, in]).

With --dtype f16 every weight/buffer is stored as F16, and the golden outputs
are computed in float32 by a model whose weights were first rounded through
.half().float(); a C port that widens F16 to F32 at load must therefore
match the golden data to float32 accuracy.

Golden data (--golden), all F32:
  golden.input        [2, S, S, 3] NHWC, already normalised with the ImageNet
                      mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225).
                      Pixels in [0, 1] before normalising: image 0 is smooth
                      sinusoidal stripes per channel, image 1 a radial ripple
                      with a soft diagonal ramp; both get N(0, 0.05) noise from
                      a generator seeded with 1234 (independent of --seed, so
                      both files share the images) and are clamped to [0, 1].
  golden.logits       [2, 1000] PyTorch's output (eval mode, float32, input =
                      golden.input permuted to NCHW)
  golden.features.<i> [1, H, W, C] NHWC output of model.features[i] for image 0
                      only: i = 0, 1, 2, 18 (v2) or 0, 1, 4, 12 (v3-small)
__metadata__: arch, seed, dtype, pretrained ("0"/"1"), init ("random+calibrated",
"random" with --raw-init, or "pretrained"), image_size, torch_version,
torchvision_version, golden_features.

Runs single-threaded and deterministic: a rerun on the same machine and
torch version writes identical bytes.
"""
import argparse
import json
import os
import struct
import sys

import torch
import torch.nn as nn
import torchvision

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
IMAGE_SEED = 1234
CALIB_SEED = 4321
FEATURES = {"mobilenet_v2": [0, 1, 2, 18], "mobilenet_v3_small": [0, 1, 4, 12]}
WEIGHTS = {"mobilenet_v2": "MobileNet_V2_Weights", "mobilenet_v3_small": "MobileNet_V3_Small_Weights"}


def build(arch, pretrained):
    ctor = getattr(torchvision.models, arch)
    if not pretrained:
        return ctor()
    try:
        weights = getattr(torchvision.models, WEIGHTS[arch]).DEFAULT
        return ctor(weights=weights)
    except Exception as e:   # no network, no cache, old torchvision...
        print(f"error: could not load torchvision's pretrained {arch} weights: {e}", file=sys.stderr)
        sys.exit(1)


def random_init(model, seed):
    """Redraws every parameter and buffer (see the module docstring)."""
    g = torch.Generator().manual_seed(seed)
    done = set()

    def normal_(t, std):
        t.copy_(torch.randn(t.shape, generator=g) * std)

    def uniform_(t, lo, hi):
        t.copy_(torch.rand(t.shape, generator=g) * (hi - lo) + lo)

    with torch.no_grad():
        for name, m in model.named_modules():
            p = name + "." if name else ""
            if isinstance(m, nn.Conv2d):
                fan_in = m.weight.shape[1] * m.weight.shape[2] * m.weight.shape[3]
                normal_(m.weight, (2.0 / fan_in) ** 0.5)
                done.add(p + "weight")
                if m.bias is not None:
                    uniform_(m.bias, -0.1, 0.1)
                    done.add(p + "bias")
            elif isinstance(m, nn.BatchNorm2d):
                uniform_(m.weight, 0.5, 1.5)
                uniform_(m.bias, -0.2, 0.2)
                uniform_(m.running_mean, -0.2, 0.2)
                uniform_(m.running_var, 0.5, 1.5)
                done.update(p + s for s in ("weight", "bias", "running_mean", "running_var"))
            elif isinstance(m, nn.Linear):
                normal_(m.weight, (1.0 / m.weight.shape[1]) ** 0.5)
                done.add(p + "weight")
                if m.bias is not None:
                    uniform_(m.bias, -0.1, 0.1)
                    done.add(p + "bias")
    missed = [k for k in model.state_dict() if k not in done and not k.endswith("num_batches_tracked")]
    if missed:
        sys.exit(f"error: random_init does not cover: {', '.join(missed)}")


def calibration_images(size):
    """[6, size, size, 3] NHWC: smooth random colour fields (seeded N(0, 1.5^2)
    grids of 4, 8, 16 and 32 cells per side, bilinearly upsampled, squashed by a
    sigmoid, plus N(0, 0.05) noise, clamped to [0, 1]), ImageNet-normalised.
    Used only to calibrate the BatchNorm statistics; not stored."""
    g = torch.Generator().manual_seed(CALIB_SEED)
    out = []
    for k in range(6):
        cells = (4, 8, 16, 32)[k % 4]
        low = torch.randn(1, 3, cells, cells, generator=g) * 1.5
        im = torch.sigmoid(nn.functional.interpolate(low, size=(size, size), mode="bilinear",
                                                     align_corners=False))[0].permute(1, 2, 0)
        out.append((im + 0.05 * torch.randn(im.shape, generator=g)).clamp(0.0, 1.0))
    return normalise(torch.stack(out))


def calibrate(model, x_nhwc):
    """Makes the random network well-scaled on real inputs (data-dependent init).

    random_init() drew running_mean ~ U(-0.2, 0.2) and running_var ~ U(0.5, 1.5).
    Here they are read as relative to what each BatchNorm actually receives on
    the batch x (mean mu and variance v per channel, over N, H, W):
        running_mean = mu + running_mean * sqrt(v)
        running_var  = v * running_var          (v floored at 1e-4)
    so every BN output is roughly N(bias, weight^2) and activations stay O(1)
    through the depth. BN weight and bias keep their draws. The last Linear of
    the classifier (weight W, bias b, input f) is then centred and scaled:
        W = s * W,  b = b - W @ mean_batch(f)
    with s chosen so that the logits have std 1 over the batch; without this the
    image-independent part of the pooled features decides the top class.
    All in one forward pass: pre-hooks set each BN's statistics just before it runs."""
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    last = [m for m in model.classifier if isinstance(m, nn.Linear)][-1]
    seen = {}

    def bn_hook(bn, inp):
        v = inp[0].var(dim=(0, 2, 3), unbiased=False).clamp_min(1e-4)
        mu = inp[0].mean(dim=(0, 2, 3))
        bn.running_mean.copy_(mu + bn.running_mean * v.sqrt())
        bn.running_var.copy_(v * bn.running_var)

    hooks = [b.register_forward_pre_hook(bn_hook) for b in bns]
    hooks.append(last.register_forward_pre_hook(lambda _m, inp: seen.__setitem__("f", inp[0].clone())))
    with torch.no_grad():
        model(x_nhwc.permute(0, 3, 1, 2).contiguous())
        f = seen["f"]
        centred = (f - f.mean(dim=0)) @ last.weight.t()
        last.weight.mul_(1.0 / centred.std().item())
        last.bias.sub_(last.weight @ f.mean(dim=0))
    for h in hooks:
        h.remove()


def round_to_f16(model):
    """Rounds every float parameter/buffer through float16 in place."""
    with torch.no_grad():
        for t in list(model.parameters()) + list(model.buffers()):
            if t.is_floating_point():
                t.copy_(t.half().float())


def test_images(size):
    """[2, size, size, 3] NHWC float32, ImageNet-normalised (see docstring)."""
    g = torch.Generator().manual_seed(IMAGE_SEED)
    lin = torch.linspace(0.0, 1.0, size)
    y, x = torch.meshgrid(lin, lin, indexing="ij")
    two_pi = 2.0 * torch.pi
    img0 = torch.stack([0.5 + 0.4 * torch.sin(two_pi * (3.0 * x + 1.0 * y)),
                        0.5 + 0.4 * torch.sin(two_pi * (2.0 * y) + 1.0),
                        0.5 + 0.4 * torch.cos(two_pi * (1.5 * x - 2.5 * y))], dim=-1)
    r = torch.sqrt((x - 0.4) ** 2 + (y - 0.6) ** 2)
    ramp = 0.5 * (x + y)
    img1 = torch.stack([0.5 + 0.35 * torch.cos(two_pi * 6.0 * r) * (1.0 - ramp) + 0.1,
                        0.2 + 0.6 * ramp,
                        0.5 + 0.45 * torch.sin(two_pi * 4.0 * r + 2.0 * x)], dim=-1)
    imgs = torch.stack([img0, img1])
    imgs = (imgs + 0.05 * torch.randn(imgs.shape, generator=g)).clamp(0.0, 1.0)
    return normalise(imgs)


def normalise(imgs):
    """NHWC pixels in [0, 1] -> ImageNet-normalised float32."""
    mean = torch.tensor(IMAGENET_MEAN)
    std = torch.tensor(IMAGENET_STD)
    return ((imgs - mean) / std).float().contiguous()


def run_golden(model, arch, x_nhwc):
    feats, hooks, stds = {}, [], []
    for stage in model.features:
        hooks.append(stage.register_forward_hook(lambda _m, _i, out: stds.append(out.std().item())))
    for i in FEATURES[arch]:
        def hook(_m, _inp, out, i=i):
            feats[i] = out[0:1].permute(0, 2, 3, 1).contiguous().clone()   # image 0, NHWC
        hooks.append(model.features[i].register_forward_hook(hook))
    with torch.no_grad():
        logits = model(x_nhwc.permute(0, 3, 1, 2).contiguous())
    for h in hooks:
        h.remove()
    print("std of each features[i] output: " + " ".join(f"{v:.2f}" for v in stds))
    return logits, feats


def check_logits(logits, fatal):
    stds = logits.std(dim=1)
    top = logits.argmax(dim=1)
    print(f"logits: max |logit| {logits.abs().max().item():.4f}, "
          f"std across classes per image {[round(s, 4) for s in stds.tolist()]}, "
          f"mean |logit| {logits.abs().mean().item():.4f}")
    for n in range(logits.shape[0]):
        v, i = logits[n].topk(5)
        print(f"  image {n} top-5: " + ", ".join(f"{c}:{s:.4f}" for c, s in zip(i.tolist(), v.tolist())))
    bad = []
    if (stds <= 0.1).any():
        bad.append("std of the logits across classes <= 0.1")
    if len(set(top.tolist())) < logits.shape[0]:
        bad.append("the top class is the same for every image")
    for b in bad:
        print(("error: " if fatal else "warning: ") + "degenerate logits: " + b, file=sys.stderr)
    if bad and fatal:
        sys.exit(1)


def st_entry(name, t):
    dtypes = {torch.float32: "F32", torch.float16: "F16", torch.int64: "I64"}
    t = t.detach().cpu().contiguous()
    arr = t.numpy()
    return name, dtypes[t.dtype], list(t.shape), arr.astype(arr.dtype.newbyteorder("<")).tobytes()


def write_safetensors(path, entries, metadata):
    header, offset = {}, 0
    for name, dt, shape, data in entries:
        assert name not in header, name
        header[name] = {"dtype": dt, "shape": shape, "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
    header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for e in entries:
            f.write(e[3])


# ---------------------------------------------------------------- structure

def act_name(m):
    for cls in (nn.ReLU6, nn.ReLU, nn.Hardswish, nn.Hardsigmoid, nn.SiLU):
        if isinstance(m, cls):
            return cls.__name__
    return None


def pair(v):
    return str(v[0]) if v[0] == v[1] else f"{v[0]}x{v[1]}"


def shp(t):
    return "[" + ",".join(str(d) for d in t.shape) + "]"


def nhwc(shape):
    return "[" + ",".join(str(d) for d in (shape[2], shape[3], shape[1])) + "]" if len(shape) == 4 \
        else "[" + ",".join(str(d) for d in shape[1:]) + "]"


def describe(arch, size):
    """One line per layer, for a C port: see the header of the written file."""
    model = getattr(torchvision.models, arch)().eval()
    outs = {}
    hooks = [m.register_forward_hook(lambda m, i, o, n=n: outs.__setitem__(n, tuple(o.shape)))
             for n, m in model.named_modules() if n]
    with torch.no_grad():
        model(torch.zeros(1, 3, size, size))
    for h in hooks:
        h.remove()

    lines = [f"== {arch} (torchvision {torchvision.__version__}), input [1,{size},{size},3] NHWC"]
    bn_eps = {m.eps for m in model.modules() if isinstance(m, nn.BatchNorm2d)}
    lines.append(f"BatchNorm eps = {', '.join(str(e) for e in sorted(bn_eps))}")

    def leaves(prefix, mod):
        """Depth-first list of (name, module) with SE blocks kept whole."""
        out = []
        for n, c in mod.named_children():
            full = f"{prefix}.{n}" if prefix else n
            if type(c).__name__ == "SqueezeExcitation" or not list(c.children()):
                out.append((full, c))
            else:
                if type(c).__name__ == "InvertedResidual":
                    out.append((full, c))     # header line, then its layers
                out.extend(leaves(full, c))
        return out

    items = leaves("", model)
    i, pooled = 0, False
    while i < len(items):
        name, m = items[i]
        kind = type(m).__name__
        if name.startswith("classifier") and not pooled:
            pooled = True
            if not hasattr(model, "avgpool"):   # MobileNetV2 pools in forward(), not in a module
                lines.append(f"(forward) global average pool over H,W + flatten -> [{outs['features'][1]}]")
        if kind == "InvertedResidual":
            res = getattr(m, "use_res_connect", False)
            lines.append(f"{name} InvertedResidual{', residual: out = x + block(x)' if res else ''}")
        elif isinstance(m, nn.Conv2d):
            c = m
            desc = (f"{name} conv {c.in_channels}->{c.out_channels} k{pair(c.kernel_size)} "
                    f"s{pair(c.stride)} p{pair(c.padding)} g{c.groups} d{pair(c.dilation)} w{shp(c.weight)}"
                    f"{' dw' if c.groups == c.in_channels and c.groups > 1 else ''}")
            if c.bias is not None:
                desc += f" b{shp(c.bias)}"
            last = name
            if i + 1 < len(items) and isinstance(items[i + 1][1], nn.BatchNorm2d):
                i += 1
                bn_name, bn = items[i]
                desc += f" | bn {bn_name}"
                last = bn_name
            act = act_name(items[i + 1][1]) if i + 1 < len(items) else None
            if act:
                i += 1
                last = items[i][0]
            desc += f" | {act or 'linear'} -> {nhwc(outs[last])}"
            lines.append(desc)
        elif kind == "SqueezeExcitation":
            desc = (f"{name} SE: s = mean_HW(x); fc1 w{shp(m.fc1.weight)} b | {act_name(m.activation)}; "
                    f"fc2 w{shp(m.fc2.weight)} b | {act_name(m.scale_activation)}; x * s -> {nhwc(outs[name])}")
            lines.append(desc)
        elif isinstance(m, nn.Linear):
            desc = f"{name} linear {m.in_features}->{m.out_features} w{shp(m.weight)} b{shp(m.bias)}"
            act = act_name(items[i + 1][1]) if i + 1 < len(items) else None
            if act:
                i += 1
            desc += f" | {act or 'linear'} -> [{m.out_features}]"
            lines.append(desc)
        elif isinstance(m, nn.Dropout):
            lines.append(f"{name} dropout (identity in eval)")
        elif isinstance(m, nn.AdaptiveAvgPool2d):
            lines.append(f"{name} global average pool over H,W + flatten -> [{outs[name][1]}]")
        elif act_name(m):
            lines.append(f"{name} {act_name(m)}")
        else:
            lines.append(f"{name} {kind}")
        i += 1
    return lines


def write_structure(path, size):
    lines = ["# MobileNet structure as torchvision builds it; written by tools/export_mobilenet.py --structure.",
             "# One line per layer; <name> is the state_dict prefix. Shapes after '->' are one image, NHWC.",
             "# conv: in->out channels, k=kernel, s=stride, p=zero padding (each side), g=groups, d=dilation,",
             "#   w = <name>.weight (OIHW), b = <name>.bias (only SE fc1/fc2 have one), dw = depthwise.",
             "# bn <bnname>: <bnname>.weight/.bias/.running_mean/.running_var [C], eval mode:",
             "#   y = (x - running_mean) / sqrt(running_var + eps) * weight + bias.",
             "# ReLU6(x) = min(max(x,0),6); Hardsigmoid(x) = ReLU6(x+3)/6; Hardswish(x) = x*ReLU6(x+3)/6;",
             "#   linear = no activation. SE: s = mean over H,W of x, two 1x1 convs with bias, out = x * s",
             "#   (s broadcast over H,W). InvertedResidual heads the layers under it; with a residual, its",
             "#   input is added to the output of its last bn. linear (classifier): y = x @ w.T + b.",
             ""]
    for arch in ("mobilenet_v2", "mobilenet_v3_small"):
        lines += describe(arch, size) + [""]
    with open(path, "w") as f:
        f.write("\n".join(lines))
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--arch", choices=sorted(FEATURES), default="mobilenet_v2")
    ap.add_argument("--out")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--pretrained", action="store_true")
    ap.add_argument("--dtype", choices=["f32", "f16"], default="f32")
    ap.add_argument("--golden", action="store_true")
    ap.add_argument("--image-size", type=int, default=224)
    ap.add_argument("--structure")
    ap.add_argument("--raw-init", action="store_true",
                    help="skip calibrate(): the plain random draws (degenerate; for comparison)")
    args = ap.parse_args()
    if not args.out and not args.structure:
        ap.error("nothing to do: give --out and/or --structure")

    torch.set_num_threads(1)          # same summation order, same bytes, every run
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(args.seed)

    if args.structure:
        write_structure(args.structure, args.image_size)
    if not args.out:
        return

    model = build(args.arch, args.pretrained).eval()
    x = test_images(args.image_size)
    if not args.pretrained:
        random_init(model, args.seed)
        if not args.raw_init:
            calibrate(model, torch.cat([x, calibration_images(args.image_size)]))
    if args.dtype == "f16":
        round_to_f16(model)           # the golden run sees exactly the stored weights

    logits, feats = run_golden(model, args.arch, x)
    print(f"{args.arch}: {sum(p.numel() for p in model.parameters())} parameters, "
          f"{'pretrained' if args.pretrained else f'random (seed {args.seed})'}, weights {args.dtype.upper()}")
    check_logits(logits, fatal=not (args.pretrained or args.raw_init))

    entries = []
    if args.golden:
        entries.append(st_entry("golden.input", x))
        entries.append(st_entry("golden.logits", logits))
        for i in FEATURES[args.arch]:
            entries.append(st_entry(f"golden.features.{i}", feats[i]))
            print(f"  golden.features.{i} {list(feats[i].shape)} max |x| {feats[i].abs().max().item():.4f}")
    for name, t in model.state_dict().items():
        if name.endswith("num_batches_tracked"):
            continue
        t = t.half() if args.dtype == "f16" else t.float()
        entries.append(st_entry(name, t))
    init = "pretrained" if args.pretrained else ("random" if args.raw_init else "random+calibrated")
    metadata = {"arch": args.arch, "seed": str(args.seed), "dtype": args.dtype.upper(),
                "pretrained": "1" if args.pretrained else "0", "init": init, "image_size": str(args.image_size),
                "torch_version": torch.__version__, "torchvision_version": torchvision.__version__}
    if args.golden:
        metadata["golden_features"] = ",".join(str(i) for i in FEATURES[args.arch])
    write_safetensors(args.out, entries, metadata)
    print(f"wrote {args.out} ({os.path.getsize(args.out)} bytes, {len(entries)} tensors)")


if __name__ == "__main__":
    main()
