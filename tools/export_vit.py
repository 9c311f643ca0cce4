#!/usr/bin/python3
"""Exports a torchvision VisionTransformer as safetensors, with optional golden
test data for a C port (examples/vit.c, tests/test_attn.c).

    /usr/bin/python3 tools/export_vit.py --arch vit_ti_16 \\
        --out tests/golden/vit_ti16.safetensors --seed 1 --dtype f16 --golden

Options:
  --arch vit_ti_16|vit_b_16
                      vit_ti_16: VisionTransformer(image_size=224, patch_size=16,
                      num_layers=12, num_heads=3, hidden_dim=192, mlp_dim=768)
                      (ViT-Ti/16 of DeiT; torchvision has no builder for it);
                      vit_b_16: torchvision.models.vit_b_16 (12 layers, 12 heads,
                      768, mlp 3072)
  --out FILE          the .safetensors file to write
  --seed N            seed of the random weights (default 1)
  --pretrained        vit_b_16 only: torchvision's ImageNet weights
                      (ViT_B_16_Weights.DEFAULT) instead of random ones; exits
                      with 1 if they cannot be loaded (no network, no cache)
  --dtype f32|f16     dtype of the stored weights (default f32)
  --golden            also store golden.input / golden.logits (one image)
  --onnx FILE         also export the model (float32, the stored weights) to
                      ONNX for the benchmark's ONNX Runtime peer

Random weights (nothing is downloaded). torchvision's own init leaves the
class token at 0, every LayerNorm at the identity, the attention's biases at 0
and the head at 0 -- a port that dropped any of them would still match. Here
every parameter is redrawn from one torch.Generator seeded with --seed, in
named_parameters() order:
  conv_proj.weight         N(0, sqrt(1 / fan_in))     conv_proj.bias U(-0.1, 0.1)
  class_token              N(0, 0.5)                  encoder.pos_embedding N(0, 0.5)
  Linear / in_proj weights N(0, sqrt(1 / fan_in))     their biases U(-0.1, 0.1)
  LayerNorm weight         U(0.7, 1.3)                LayerNorm bias U(-0.2, 0.2)
  heads.head               as a Linear, then calibrated:
calibrate() runs the 2 test images of tools/export_mobilenet.py and its 6
calibration images through the model and centres and scales the head so the
logits have mean 0 per class and std 1 over those 8 images (otherwise the
image-independent part of the class token decides the top class).

File layout as tools/export_mobilenet.py writes it (by hand; golden F32
tensors first, then the weights in state_dict() order, PyTorch's names and
layouts: conv_proj OIHW, Linear [out, in], in_proj_weight [3 D, D]).
With --dtype f16 the golden logits come from a model whose weights were
rounded through .half().float(), so a port that widens F16 at load must
match them to float32 accuracy.

Golden data (--golden), F32:
  golden.input    [1, 224, 224, 3] NHWC, ImageNet-normalised: image 0 of
                  tools/export_mobilenet.py's test_images() (seeded stripes)
  golden.logits   [1, 1000] PyTorch's output (eval, float32, one thread)
__metadata__: arch, seed, dtype, pretrained, init, torch_version,
torchvision_version.
"""
import argparse
import os
import sys

import torch
import torch.nn as nn
import torchvision
from torchvision.models.vision_transformer import VisionTransformer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export_mobilenet import (calibration_images, round_to_f16, st_entry,  # noqa: E402
                              test_images, write_safetensors)


def build(arch, pretrained):
    if arch == "vit_ti_16":
        if pretrained:
            sys.exit("error: torchvision has no pretrained ViT-Ti/16")
        return VisionTransformer(image_size=224, patch_size=16, num_layers=12, num_heads=3,
                                 hidden_dim=192, mlp_dim=768)
    if not pretrained:
        return torchvision.models.vit_b_16()
    try:
        return torchvision.models.vit_b_16(weights=torchvision.models.ViT_B_16_Weights.DEFAULT)
    except Exception as e:   # no network, no cache
        print(f"error: could not load torchvision's pretrained vit_b_16 weights: {e}", file=sys.stderr)
        sys.exit(1)


def random_init(model, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name in ("class_token", "encoder.pos_embedding"):
                p.copy_(torch.randn(p.shape, generator=g) * 0.5)
            elif ".ln" in name or name.startswith("encoder.ln"):
                lo, hi = (0.7, 1.3) if name.endswith("weight") else (-0.2, 0.2)
                p.copy_(torch.rand(p.shape, generator=g) * (hi - lo) + lo)
            elif p.dim() >= 2:
                fan_in = p[0].numel()
                p.copy_(torch.randn(p.shape, generator=g) * (1.0 / fan_in) ** 0.5)
            else:
                p.copy_(torch.rand(p.shape, generator=g) * 0.2 - 0.1)


def calibrate(model, x_nhwc):
    """Centres and scales the head so the logits are N(0, 1)-ish over x."""
    seen = {}
    head = model.heads.head
    h = head.register_forward_pre_hook(lambda _m, inp: seen.__setitem__("f", inp[0].clone()))
    with torch.no_grad():
        model(x_nhwc.permute(0, 3, 1, 2).contiguous())
        f = seen["f"]
        centred = (f - f.mean(dim=0)) @ head.weight.t()
        head.weight.mul_(1.0 / centred.std().item())
        head.bias.sub_(head.weight @ f.mean(dim=0))
    h.remove()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--arch", choices=["vit_ti_16", "vit_b_16"], default="vit_ti_16")
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--pretrained", action="store_true")
    ap.add_argument("--dtype", choices=["f32", "f16"], default="f32")
    ap.add_argument("--golden", action="store_true")
    ap.add_argument("--onnx")
    args = ap.parse_args()

    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(args.seed)
    model = build(args.arch, args.pretrained).eval()
    imgs = test_images(224)
    if not args.pretrained:
        random_init(model, args.seed)
        calibrate(model, torch.cat([imgs, calibration_images(224)]))
    if args.dtype == "f16":
        round_to_f16(model)

    x = imgs[0:1].contiguous()
    with torch.no_grad():
        logits = model(x.permute(0, 3, 1, 2).contiguous())
        all_logits = model(imgs.permute(0, 3, 1, 2).contiguous())
        ref64 = model.double()(x.double().permute(0, 3, 1, 2).contiguous())
        model.float()
    d = (logits.double() - ref64).abs().max().item() / ref64.abs().max().item()
    top = all_logits.argmax(dim=1).tolist()
    print(f"{args.arch}: {sum(p.numel() for p in model.parameters())} parameters, weights {args.dtype.upper()}")
    print(f"logits: max |logit| {logits.abs().max().item():.4f}, std {logits.std().item():.4f}; "
          f"top-1 of the two test images {top}; PyTorch float32 vs float64: {d:.2e} of the scale")
    if not args.pretrained and (logits.std().item() < 0.1 or len(set(top)) < 2):
        sys.exit("error: degenerate logits (tiny spread or the same top class for both images)")

    entries = []
    if args.golden:
        entries.append(st_entry("golden.input", x))
        entries.append(st_entry("golden.logits", logits))
    for name, t in model.state_dict().items():
        entries.append(st_entry(name, t.half() if args.dtype == "f16" else t.float()))
    meta = {"arch": args.arch, "seed": str(args.seed), "dtype": args.dtype.upper(),
            "pretrained": "1" if args.pretrained else "0",
            "init": "pretrained" if args.pretrained else "random+calibrated head",
            "torch_version": torch.__version__, "torchvision_version": torchvision.__version__}
    write_safetensors(args.out, entries, meta)
    print(f"wrote {args.out} ({os.path.getsize(args.out)} bytes, {len(entries)} tensors)")
    if args.onnx:
        torch.onnx.export(model, torch.zeros(1, 3, 224, 224), args.onnx, input_names=["input"],
                          output_names=["logits"], opset_version=14)
        print(f"wrote {args.onnx} ({os.path.getsize(args.onnx)} bytes)")


if __name__ == "__main__":
    main()
