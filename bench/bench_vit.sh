#!/bin/sh
# ViT-Ti/16 (batch 1, 224x224) and attention alone (T = 256, 1024, 4096,
# 4 heads of 64), float32, one thread: mlcore (examples/vit.c and
# bench/bench_vit.c) against ONNX Runtime (npm onnxruntime-node, one
# intra-op thread, graph optimisation 'all') and PyTorch (Debian, one
# thread), on the same weights / inputs, in the same run. The three take
# turns for ROUNDS rounds (the machine is shared and noisy); each round
# reports the median of RUNS inferences, the table shows the median over
# rounds.
#   sh bench/bench_vit.sh [ROUNDS] [RUNS]
# Needs /usr/bin/python3 with torch + torchvision, node, and
# onnxruntime-node (installed into build/ort with --ignore-scripts if absent).
cd "$(dirname "$0")/.." || exit 1
ROUNDS=${1:-5}; RUNS=${2:-31}
B=build/bench_vit; mkdir -p $B
ORT=${ORT_DIR:-build/ort}
if [ ! -d "$ORT/node_modules/onnxruntime-node" ]; then
    mkdir -p "$ORT" && (cd "$ORT" && npm install --ignore-scripts --no-audit --no-fund onnxruntime-node > npm.log 2>&1) ||
        { echo "cannot install onnxruntime-node (see $ORT/npm.log)"; exit 1; }
fi
cc -O2 -march=native -std=c99 -o $B/vit examples/vit.c -lm || exit 1
cc -O2 -march=native -std=c99 -o $B/bench_vit bench/bench_vit.c -lm || exit 1
med() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ratio() { echo "$1 $2" | awk '{printf "%.2fx", $1/$2}'; }
W=tests/golden/vit_ti16.safetensors

echo "== ViT-Ti/16, batch 1, 224x224, one thread (ms, median over $ROUNDS rounds of median-of-$RUNS)"
: > $B/vit.ours; : > $B/vit.full; : > $B/vit.ort; : > $B/vit.torch
r=0
while [ $r -lt "$ROUNDS" ]; do
    $B/vit --runs "$RUNS" | awk '/^latency/ {print $2}' >> $B/vit.ours
    $B/vit --runs "$RUNS" --full-last | awk '/^latency/ {print $2}' >> $B/vit.full
    /usr/bin/python3 bench/vit_peers.py vit $W $B/vit.onnx "$RUNS" 2>/dev/null | awk '/^pytorch/ {print $4}' >> $B/vit.torch
    NODE_PATH=$ORT/node_modules node bench/vit_ort.js $B/vit.onnx "$RUNS" input:1x3x224x224 | awk '{print $4}' >> $B/vit.ort
    r=$((r + 1))
done
o=$(med < $B/vit.ours); e=$(med < $B/vit.ort); t=$(med < $B/vit.torch)
printf "%-12s %10s %10s %10s %12s %12s\n" model mlcore_ms ort_ms torch_ms ort/mlcore torch/mlcore
printf "%-12s %10s %10s %10s %12s %12s\n" vit_ti16 "$o" "$e" "$t" "$(ratio $e $o)" "$(ratio $t $o)"
f=$(med < $B/vit.full)
printf "%-12s %10s %10s %10s %12s %12s   (--full-last: the last block on all 197 tokens, as the peers)\n" \
    vit_ti16 "$f" "$e" "$t" "$(ratio $e $f)" "$(ratio $t $f)"
echo "   per round (mlcore | --full-last | ort | torch): $(tr '\n' ' ' < $B/vit.ours)| $(tr '\n' ' ' < $B/vit.full)|" \
     "$(tr '\n' ' ' < $B/vit.ort)| $(tr '\n' ' ' < $B/vit.torch)"
rr() { paste "$1" "$2" | awk '{print $1/$2}' | med | awk '{printf "%.2fx", $1}'; }
echo "   median of the per-round ratios (each round's runs are seconds apart, so less exposed to load swings):" \
     "ort/mlcore $(rr $B/vit.ort $B/vit.ours), torch/mlcore $(rr $B/vit.torch $B/vit.ours)," \
     "ort/mlcore --full-last $(rr $B/vit.ort $B/vit.full)"
$B/vit --runs 3 | grep -E "^vs PyTorch"

echo
echo "== attention alone: softmax(q k^T / 8) v, 4 heads of 64, one sequence of T, one thread"
echo "   mlcore: online softmax (mlc_attention_f32); ORT and PyTorch: the naive graph (matmul, softmax, matmul)"
printf "%-6s %10s %8s %10s %8s %10s %8s %14s %14s\n" T mlcore_ms GF/s ort_ms GF/s torch_ms GF/s mlcore_bytes torch_extra_b
for T in 256 1024 4096; do
    runs=$RUNS; [ $T -ge 4096 ] && runs=5
    : > $B/a.ours; : > $B/a.ort; : > $B/a.torch; : > $B/a.mem; : > $B/a.tmem
    r=0
    while [ $r -lt "$ROUNDS" ]; do
        $B/bench_vit $T $runs > $B/a.line
        awk '{print $10}' $B/a.line >> $B/a.ours; awk '{print $18}' $B/a.line >> $B/a.mem
        /usr/bin/python3 bench/vit_peers.py attn $T $runs $B/attn$T.onnx 2>/dev/null > $B/a.tline
        awk '{print $6}' $B/a.tline >> $B/a.torch; awk '{print $12}' $B/a.tline >> $B/a.tmem
        NODE_PATH=$ORT/node_modules node bench/vit_ort.js $B/attn$T.onnx $runs q:1x4x${T}x64 k:1x4x${T}x64 v:1x4x${T}x64 |
            awk '{print $4}' >> $B/a.ort
        r=$((r + 1))
    done
    o=$(med < $B/a.ours); e=$(med < $B/a.ort); t=$(med < $B/a.torch)
    gf() { echo "$1" | awk -v T=$T '{printf "%.1f", 4.0*T*T*64*4/($1*1e-3)*1e-9}'; }
    printf "%-6s %10s %8s %10s %8s %10s %8s %14s %14s\n" $T "$o" "$(gf $o)" "$e" "$(gf $e)" "$t" "$(gf $t)" \
        "$(med < $B/a.mem)" "$(med < $B/a.tmem)"
done
echo "(ratios > 1: mlcore is faster; mlcore_bytes: arena scratch + q, k, v, o; torch_extra_b: peak RSS growth while timing)"
