#!/usr/bin/env bash
# kenlm_compare.sh - mlcore's n-gram module against KenLM, side by side.
#
#   KENLM_BIN=/path/to/kenlm/bin bench/kenlm_compare.sh
#
# KENLM_BIN must hold lmplz, query and build_binary (built from kpu/kenlm;
# nothing of KenLM is in this repository).  Optional environment:
#   WORK=/tmp/kenlm_compare   scratch directory (texts, ARPA files, binaries)
#   RUNS=5                    timing repetitions (each alternates the tools)
#   ORDERS="3 5"              orders to compare
#   MEM=2G                    lmplz -S
#   MEM_SMALL=100M            lmplz -S of a second timed lmplz run (lmplz's RSS
#                             follows -S; at 100M it is close to its minimum)
#   CC=cc
#
# What it does, on bench_ngram's synthetic text (600k training words, the
# 1M-token test text) and on examples/data/corpus.txt (first 5400 lines to
# train, last 600 to score):
#   1. exactness: lmplz -o N --discount_fallback and mlcore (driver `train`)
#      on the same text; the \data\ counts, the set of n-grams and every
#      log10 p / backoff are compared (max abs difference; the files differ
#      only in the order of the n-grams within an order); KenLM's `query` on
#      the ARPA and on a build_binary probing file against
#      mlc_ngram_perplexity (driver `ppl`) on mlcore's ARPA and on its
#      binary model: the four summary lines must be identical.
#   2. speed and memory, RUNS times, alternating KenLM and mlcore (see the
#      notes printed under the table): estimation (text in, ARPA out) wall
#      time and peak RSS of the whole process (/usr/bin/time; lmplz's CPU
#      time too, it is multi-threaded); ARPA -> binary; query throughput as
#      process on the full text minus process on its first line (both map
#      a binary, so the load cancels) and peak RSS; bytes per n-gram.
# Medians are printed.  Exit status 1 if any exactness check fails.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
: "${KENLM_BIN:?set KENLM_BIN to the directory with lmplz, query and build_binary}"
WORK=${WORK:-/tmp/kenlm_compare}
RUNS=${RUNS:-5}
ORDERS=${ORDERS:-"3 5"}
MEM=${MEM:-2G}
MEM_SMALL=${MEM_SMALL:-100M}
CC=${CC:-cc}
for t in lmplz query build_binary; do
  [ -x "$KENLM_BIN/$t" ] || { echo "missing $KENLM_BIN/$t" >&2; exit 2; }
done
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (Debian package: time)" >&2; exit 2; }
command -v python3 >/dev/null || { echo "needs python3" >&2; exit 2; }
mkdir -p "$WORK/tmp"
drv=$WORK/ngram_driver
$CC -std=c99 -O2 -march=native -Wall -Wextra -Wpedantic -o "$drv" "$here/bench/ngram_driver.c" -lm || exit 2

"$drv" corpus "$WORK/train.txt" "$WORK/test.txt" || exit 2
head -n 5400 "$here/examples/data/corpus.txt" > "$WORK/small_train.txt"
tail -n 600 "$here/examples/data/corpus.txt" > "$WORK/small_test.txt"
head -n 1 "$WORK/test.txt" > "$WORK/test1.txt"

compare_arpa() {  # kenlm.arpa mlcore.arpa -> one line; status 1 on mismatch
python3 - "$1" "$2" <<'EOF'
import sys
def load(path):
    counts, grams, order, section = [], {}, 0, None
    with open(path, encoding='utf-8', errors='surrogateescape') as f:
        for line in f:
            line = line.rstrip('\n')
            if not line: continue
            if line == '\\data\\': section = 'data'; continue
            if line == '\\end\\': section = None; continue
            if line.startswith('\\') and line.endswith('-grams:'):
                order, section = int(line[1:-7]), 'grams'; continue
            if section == 'data' and line.startswith('ngram '):
                counts.append(int(line.split('=')[1])); continue
            if section == 'grams':
                f_ = line.split('\t')
                grams[(order, f_[1])] = (float(f_[0]), float(f_[2]) if len(f_) > 2 else 0.0, f_[0], f_[2] if len(f_) > 2 else '0')
    return counts, grams
ca, ga = load(sys.argv[1]); cb, gb = load(sys.argv[2])
ok = ca == cb and set(ga) == set(gb)
dp = db = 0.0; text = 0; worst = None
for k in set(ga) & set(gb):
    a, b = ga[k], gb[k]
    if abs(a[0] - b[0]) > dp: dp, worst = abs(a[0] - b[0]), (k, a[2], b[2])
    if abs(a[1] - b[1]) > db: db = abs(a[1] - b[1]); worst = worst or (k, a[3], b[3])
    text += (a[2] != b[2]) + (float(a[3]) != float(b[3]))
print('counts %s %s; n-grams %s (%d); max|dlog10p| %.3g max|dbackoff| %.3g; printed values differing: %d%s'
      % (' '.join(map(str, ca)), 'same' if ca == cb else 'DIFFER vs ' + ' '.join(map(str, cb)),
         'same' if set(ga) == set(gb) else 'DIFFER (%d only KenLM, %d only mlcore)' % (len(set(ga) - set(gb)), len(set(gb) - set(ga))),
         len(ga), dp, db, text, '' if worst is None else '; worst %r' % (worst,)))
sys.exit(0 if ok and dp == 0 and db == 0 else 1)
EOF
}

status=0
check() {  # name train test order
  local name=$1 tr=$2 te=$3 n=$4 k=$WORK/$1.k$4 m=$WORK/$1.m$4
  "$KENLM_BIN/lmplz" -o "$n" --discount_fallback -S "$MEM" -T "$WORK/tmp/" --text "$tr" --arpa "$k.arpa" 2> "$k.lmplz.log" || { echo "lmplz failed" >&2; status=1; return; }
  "$drv" train "$n" "$tr" "$m.arpa" > "$m.train.log" || { echo "mlcore training failed" >&2; status=1; return; }
  "$KENLM_BIN/build_binary" probing "$k.arpa" "$k.probing" > /dev/null 2>&1 || { echo "build_binary failed" >&2; status=1; return; }
  printf '%-6s order %s  ARPA: ' "$name" "$n"
  compare_arpa "$k.arpa" "$m.arpa" || status=1
  "$KENLM_BIN/query" -v summary "$k.arpa" < "$te" > "$k.q_arpa" 2>/dev/null
  "$KENLM_BIN/query" -v summary "$k.probing" < "$te" > "$k.q_bin" 2>/dev/null
  "$drv" build_binary "$m.arpa" "$m.bin" > /dev/null || { echo "mlcore build_binary failed" >&2; status=1; return; }
  "$drv" ppl "$m.arpa" "$te" | head -n 4 > "$m.q"
  "$drv" ppl "$m.bin" "$te" | head -n 4 > "$m.qb"
  if cmp -s "$k.q_arpa" "$m.q" && cmp -s "$k.q_bin" "$m.q" && cmp -s "$m.qb" "$m.q"; then
    printf '              query (ARPA and probing) = mlc_ngram_perplexity (ARPA and binary): %s\n' "$(tr '\n\t' '; ' < "$m.q")"
  else
    status=1
    printf '              query MISMATCH\n  KenLM ARPA:    %s\n  KenLM probing: %s\n  mlcore:        %s\n' \
      "$(tr '\n\t' '; ' < "$k.q_arpa")" "$(tr '\n\t' '; ' < "$k.q_bin")" "$(tr '\n\t' '; ' < "$m.q")"
  fi
}

echo "== exactness ($(date -u +%F), load average $(cut -d' ' -f1-3 /proc/loadavg))"
for n in $ORDERS; do check synth "$WORK/train.txt" "$WORK/test.txt" "$n"; done
for n in $ORDERS; do check small "$WORK/small_train.txt" "$WORK/small_test.txt" "$n"; done

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }
# Runs a command; $WORK/time.out gets: wall seconds (bash clock, us), user s, sys s, peak RSS kB.
tm() {
  local t0=$EPOCHREALTIME t1 rest
  /usr/bin/time -f '%U %S %M' -o "$WORK/time.raw" "$@"
  t1=$EPOCHREALTIME
  read -r rest < "$WORK/time.raw"
  echo "$t0 $t1 $rest" | awk '{ printf "%.6f %s %s %s\n", $2 - $1, $3, $4, $5 }' > "$WORK/time.out"
}

echo
echo "== speed and memory: synthetic text, $RUNS runs each alternating, medians (load average $(cut -d' ' -f1-3 /proc/loadavg))"
tokens=$(awk '{ n += NF + 1 } END { print n }' "$WORK/test.txt")
tokens1=$(awk '{ n += NF + 1 } END { print n }' "$WORK/test1.txt")
for n in $ORDERS; do
  k=$WORK/synth.k$n m=$WORK/synth.m$n
  for f in kt kc kr st sc sr mt mr qf q1 qr pf p1 pr pi bk bm; do : > "$WORK/r.$f"; done
  for i in $(seq "$RUNS"); do
    tm "$KENLM_BIN/lmplz" -o "$n" --discount_fallback -S "$MEM" -T "$WORK/tmp/" --text "$WORK/train.txt" --arpa "$WORK/t.k.arpa" 2>/dev/null
    read -r w u s r < "$WORK/time.out"; echo "$w" >> "$WORK/r.kt"; echo "$u $s" | awk '{ print $1 + $2 }' >> "$WORK/r.kc"; echo "$r" >> "$WORK/r.kr"
    tm "$KENLM_BIN/lmplz" -o "$n" --discount_fallback -S "$MEM_SMALL" -T "$WORK/tmp/" --text "$WORK/train.txt" --arpa "$WORK/t.k.arpa" 2>/dev/null
    read -r w u s r < "$WORK/time.out"; echo "$w" >> "$WORK/r.st"; echo "$u $s" | awk '{ print $1 + $2 }' >> "$WORK/r.sc"; echo "$r" >> "$WORK/r.sr"
    tm "$drv" train "$n" "$WORK/train.txt" "$WORK/t.m.arpa" > /dev/null
    read -r w u s r < "$WORK/time.out"; echo "$w" >> "$WORK/r.mt"; echo "$r" >> "$WORK/r.mr"
    tm "$KENLM_BIN/build_binary" probing "$k.arpa" "$WORK/t.k.probing" > /dev/null 2>&1
    read -r w u s r < "$WORK/time.out"; echo "$w" >> "$WORK/r.bk"
    tm "$drv" build_binary "$m.arpa" "$WORK/t.m.bin" > /dev/null
    read -r w u s r < "$WORK/time.out"; echo "$w" >> "$WORK/r.bm"
    tm "$KENLM_BIN/query" -v summary "$k.probing" < "$WORK/test.txt" > /dev/null 2>&1
    read -r w u s r < "$WORK/time.out"; echo "$w" >> "$WORK/r.qf"; echo "$r" >> "$WORK/r.qr"
    tm "$drv" ppl "$m.bin" "$WORK/test.txt" > "$WORK/p.out"
    read -r w u s r < "$WORK/time.out"; echo "$w" >> "$WORK/r.pf"; echo "$r" >> "$WORK/r.pr"
    awk '/^query_seconds/ { print $2 }' "$WORK/p.out" >> "$WORK/r.pi"
    tm "$KENLM_BIN/query" -v summary "$k.probing" < "$WORK/test1.txt" > /dev/null 2>&1
    read -r w u s r < "$WORK/time.out"; echo "$w" >> "$WORK/r.q1"
    tm "$drv" ppl "$m.bin" "$WORK/test1.txt" > /dev/null
    read -r w u s r < "$WORK/time.out"; echo "$w" >> "$WORK/r.p1"
  done
  for f in kt kc kr st sc sr mt mr qf q1 qr pf p1 pr pi bk bm; do eval "$f=\$(median < \"\$WORK/r.$f\")"; done
  kbytes=$(stat -c %s "$k.probing"); mbytes=$(stat -c %s "$m.bin")
  ngrams=$(awk -F= '/^ngram / { s += $2 } END { print s }' "$k.arpa")
  awk -v n="$n" -v kt="$kt" -v kc="$kc" -v kr="$kr" -v st="$st" -v sc="$sc" -v sr="$sr" -v mt="$mt" -v mr="$mr" \
      -v msm="$MEM_SMALL" -v msz="$MEM" -v bk="$bk" -v bm="$bm" \
      -v qf="$qf" -v q1="$q1" -v qr="$qr" -v pf="$pf" -v p1="$p1" -v pr="$pr" -v pi="$pi" \
      -v tok="$tokens" -v tok1="$tokens1" -v kb="$kbytes" -v mb="$mbytes" -v ng="$ngrams" 'BEGIN {
    dq = qf - q1; dp = pf - p1
    printf "order %s, %d n-grams\n", n, ng
    printf "  estimation, text in, ARPA out: lmplz -S %s %.2f s (CPU %.2f s) %.1f MB | lmplz -S %s %.2f s (CPU %.2f s) %.1f MB | mlcore %.2f s %.1f MB\n",
      msz, kt, kc, kr / 1024, msm, st, sc, sr / 1024, mt, mr / 1024
    printf "  ARPA -> binary: build_binary probing %.2f s | mlcore %.2f s;  bytes per n-gram: probing %.1f | mlcore %.1f\n", bk, bm, kb / ng, mb / ng
    printf "  query, tokens/s (process minus process): KenLM probing %.2f M | mlcore binary %.2f M (in-process %.2f M)\n",
      (dq > 0 ? (tok - tok1) / dq / 1e6 : 0), (dp > 0 ? (tok - tok1) / dp / 1e6 : 0), tok / pi / 1e6
    printf "  query process: peak RSS %.1f MB | %.1f MB; on one line (model load) %.3f s | %.3f s\n", qr / 1024, pr / 1024, q1, p1 }'
done
echo "estimation: whole process (read the text, estimate, write the ARPA); lmplz CPU = user + sys (it is multi-threaded);"
echo "  RSS = peak; mlcore's includes the 4.8 MB training text, mapped.  mlcore: mlc_ngram_train_arpa_file."
echo "query: tokens / (process on the full test text - process on its first line), so the model load cancels; both map"
echo "  their binary file (KenLM: probing, populated; mlcore: mlc_ngram_view_binary on an mmap, MAP_POPULATE) and"
echo "  stream the text (query: stdin; the driver: 1 MiB pieces through mlc_ngram_perplexity_add)."
exit $status
