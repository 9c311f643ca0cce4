#!/bin/sh
# MobileNetV2 and MobileNetV3-Small, batch 1, 224x224, float32, one thread:
# mlcore (examples/mobilenet.c) against ONNX Runtime (npm onnxruntime-node,
# one intra-op thread, graph optimisation on) and PyTorch (Debian, one
# thread), all on the same weights, in the same run. The three take turns
# for ROUNDS rounds (the machine is shared and noisy); each round reports the
# median of RUNS inferences, and the table shows the median over rounds.
#   sh bench/bench_mobilenet.sh [ROUNDS] [RUNS]
# Needs /usr/bin/python3 with torch + torchvision, node, and
# onnxruntime-node (installed into build/ort with --ignore-scripts if absent).
cd "$(dirname "$0")/.." || exit 1
ROUNDS=${1:-5}; RUNS=${2:-51}
B=build/bench_mobilenet; mkdir -p $B
ORT=${ORT_DIR:-build/ort}
if [ ! -d "$ORT/node_modules/onnxruntime-node" ]; then
    mkdir -p "$ORT" && (cd "$ORT" && npm install --ignore-scripts --no-audit --no-fund onnxruntime-node > npm.log 2>&1) ||
        { echo "cannot install onnxruntime-node (see $ORT/npm.log)"; exit 1; }
fi
cc -O2 -march=native -std=c99 -o $B/mobilenet examples/mobilenet.c -lm || exit 1
med() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
printf "%-20s %10s %10s %10s %12s %12s\n" model mlcore_ms ort_ms torch_ms ort/mlcore torch/mlcore
for arch in v2 v3s; do
    [ $arch = v2 ] && w=tests/golden/mobilenet_v2.safetensors || w=tests/golden/mobilenet_v3_small.safetensors
    : > $B/$arch.ours; : > $B/$arch.ort; : > $B/$arch.torch
    r=0
    while [ $r -lt "$ROUNDS" ]; do
        $B/mobilenet --arch $arch --runs "$RUNS" | awk '/^latency/ {print $2}' >> $B/$arch.ours
        /usr/bin/python3 bench/mobilenet_peers.py $arch $w $B/$arch.onnx "$RUNS" 2>/dev/null | awk '{print $4}' >> $B/$arch.torch
        NODE_PATH=$ORT/node_modules node bench/mobilenet_ort.js $B/$arch.onnx "$RUNS" | awk '{print $4}' >> $B/$arch.ort
        r=$((r + 1))
    done
    o=$(med < $B/$arch.ours); e=$(med < $B/$arch.ort); t=$(med < $B/$arch.torch)
    printf "%-20s %10s %10s %10s %12s %12s\n" "mobilenet_$arch" "$o" "$e" "$t" \
        "$(echo "$e $o" | awk '{printf "%.2fx", $1/$2}')" "$(echo "$t $o" | awk '{printf "%.2fx", $1/$2}')"
done
echo "(ratios > 1: mlcore is faster; rounds: $ROUNDS, runs per round: $RUNS)"
