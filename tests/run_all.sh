#!/bin/sh
# Builds the test suite in every flavour this machine can build and run,
# runs each, and ends with the totals: "N passed, N failed".
#   native  -march=native (AVX-512 here) with -ffp-contract=fast, gcc's
#           default in its GNU modes (a*b + c may become an fma)
#   scalar  -DMLC_NO_SIMD
#   avx2    -mavx2 -mfma                       sse2    x86-64 baseline
#   cxx     the header compiled as C++11       asan    clang ASan+UBSan
#   neon    aarch64 cross build under qemu-aarch64
# Every build must be free of warnings (-Wall -Wextra -Wpedantic): the
# flavours' own builds, plus the header alone with the compilers and options
# the flavours do not cover. Then the firmware and portability checks.
# Two lanes run side by side (the flavours; the rest), each check writing its
# counts to $B/results, so the suite takes about half the time on two cores.
cd "$(dirname "$0")/.." || exit 1
B=build/test
R=$B/results
rm -rf $R; mkdir -p $R
SRC="tests/test_main.c tests/test_core.c tests/test_golden.c tests/test_st.c tests/test_conv.c tests/test_pool.c tests/test_mobilenet.c tests/test_convt.c tests/test_rnn.c tests/test_attn.c tests/test_ssm.c tests/test_ngram.c tests/impl.c"
WARN="-Wall -Wextra -Wpedantic"

result() { echo "$2 $3" > $R/$1; }   # NAME PASSED FAILED
skip() { echo "$1" > $R/$2.skipped; } # WHAT NAME
count() { # $1 = name, $2 = log file
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$2" | tail -1)
    if [ -z "$line" ]; then
        echo "[$1] no result line (crashed?)"; tail -20 "$2"; result $1 0 1; return
    fi
    p=${line%% passed*}; f=${line#*passed, }; f=${f%% failed*}
    result $1 $p $f
    echo "[$1] $line"
    [ "$f" != 0 ] && grep -E '^FAIL|^  ' "$2" | head -40
}
check() { # $1 = name, rest = command; one pass or fail
    name=$1; shift
    if "$@" > $B/$name.log 2>&1 && ! grep -q "warning:" $B/$name.log; then
        result $name 1 0
    else
        result $name 0 1; echo "[$name] FAILED: $*"; head -30 $B/$name.log
    fi
}
have() { command -v "$1" > /dev/null 2>&1; }
cpu_has() { grep -q "$1" /proc/cpuinfo 2>/dev/null; }

# ---- lane 1: the suite in each flavour (a warning in its build fails it) ----
run() { # $1 = name, $2 = runner prefix (or ""), rest = compile command
    name=$1; runner=$2; shift 2
    if ! "$@" -o $B/$name $SRC -lm > $B/$name.build.log 2>&1 || grep -q "warning:" $B/$name.build.log; then
        echo "[$name] BUILD FAILED (or warned)"; head -30 $B/$name.build.log; result $name.build 0 1; return
    fi
    $runner $B/$name tests > $B/$name.log 2>&1
    count $name $B/$name.log
}
flavours() {
    GCC="gcc -std=c99 -O2 -g $WARN"
    run native "" $GCC -march=native -ffp-contract=fast
    cpu_has avx2 && run avx2 "" $GCC -mavx2 -mfma
    run sse2 "" $GCC -msse2
    run scalar "" $GCC -DMLC_NO_SIMD
    run cxx "" g++ -x c++ -std=c++11 -O2 -g $WARN -march=native
    if have clang && echo 'int main(void){return 0;}' | clang -x c -fsanitize=address,undefined -o $B/san_probe - 2>/dev/null; then
        MLCT_FUZZ_ITERS=${MLCT_FUZZ_ITERS_SAN:-5000} run asan "" clang -std=c99 -O1 -g -march=native $WARN \
            -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
        MLCT_FUZZ_ITERS=${MLCT_FUZZ_ITERS_SAN:-5000} run asan_scalar "" clang -std=c99 -O1 -g -DMLC_NO_SIMD $WARN \
            -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
    else
        skip "asan(clang+libclang-rt)" asan
    fi
    if have aarch64-linux-gnu-gcc && have qemu-aarch64; then
        MLCT_FUZZ_ITERS=${MLCT_FUZZ_ITERS_QEMU:-3000} run neon qemu-aarch64 aarch64-linux-gnu-gcc -std=c99 -O2 -static $WARN
    else
        skip "neon(gcc-aarch64-linux-gnu+qemu-user)" neon
    fi
}

# ---- lane 2: warnings the flavours do not cover, st2c, firmware -------------
others() {
    # the header's implementation alone, at -O2 (some warnings need the optimiser)
    for combo in "clang -std=c99|-march=native" "clang -std=c99|-mavx2 -mfma" "clang -std=c99|-DMLC_NO_SIMD" \
                 "clang++ -x c++ -std=c++11|-march=native" "clang++ -x c++ -std=c++11|-DMLC_NO_SIMD" \
                 "g++ -x c++ -std=c++11|-mavx2 -mfma" "g++ -x c++ -std=c++11|-msse2" "g++ -x c++ -std=c++11|-DMLC_NO_SIMD" \
                 "gcc -std=c99|-DMLC_STATIC" "clang -std=c99|-DMLC_STATIC" "g++ -x c++ -std=c++11|-DMLC_STATIC" \
                 "gcc -std=c99|-DMLC_NO_STDIO -DMLC_NO_MALLOC" "clang -std=c99|-DMLC_NO_STDIO -DMLC_NO_MALLOC" \
                 "g++ -x c++ -std=c++11|-DMLC_NO_STDIO -DMLC_NO_MALLOC"; do
        cc=${combo%%|*}; opt=${combo#*|}
        set -- $cc; have $1 || { skip "$1" "warn_$1"; continue; }
        tag=$(echo "warn_$cc$opt" | tr -c 'a-zA-Z0-9_' '_')
        check $tag $cc -O2 $opt $WARN -Werror -c tests/impl.c -o $B/$tag.o
    done

    # tools/st2c reproduces the committed firmware array and refuses a corrupt file
    if gcc -std=c99 -O2 $WARN -Werror -o $B/st2c tools/st2c.c -lm > $B/st2c.build.log 2>&1; then
        result st2c_build 1 0
        check st2c_roundtrip sh -c "$B/st2c examples/demo_model.safetensors $B/demo_model.h demo_model && cmp $B/demo_model.h examples/demo_model.h"
        head -c 1000 examples/demo_model.safetensors > $B/truncated.safetensors
        check st2c_rejects_corrupt sh -c "! $B/st2c $B/truncated.safetensors $B/bad.h bad && test ! -e $B/bad.h"
    else
        result st2c_build 0 1; echo "[st2c] BUILD FAILED"; head -30 $B/st2c.build.log
    fi

    # firmware and portability: Cortex-M, RISC-V, 32-bit x86, big-endian s390x
    # (each target skipped, and named, when its compiler is missing)
    sh tests/firmware_check.sh > $B/firmware.log 2>&1
    count firmware $B/firmware.log
    n=$(grep -c '^skip' $B/firmware.log)
    [ "$n" != 0 ] && skip "firmware($n checks, see $B/firmware.log)" firmware
}

others > $B/lane2.out 2>&1 &
lane2=$!
flavours
wait $lane2
cat $B/lane2.out

skipped=$(cat $R/*.skipped 2>/dev/null | sort -u | tr '\n' ' ')
[ -n "$skipped" ] && echo "skipped (not installed): $skipped"
cat $R/* 2>/dev/null | grep -E '^[0-9]+ [0-9]+$' | awk '{p += $1; f += $2} END {print p + 0 " passed, " f + 0 " failed"; exit f != 0}'
