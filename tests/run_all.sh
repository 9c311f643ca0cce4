#!/bin/sh
# Builds the test suite in every flavour this machine can build and run,
# runs each, and ends with the totals: "N passed, N failed".
#   native  -march=native (AVX-512 here)      scalar  -DMLC_NO_SIMD
#   avx2    -mavx2 -mfma                       sse2    x86-64 baseline
#   cxx     the header compiled as C++11       asan    clang ASan+UBSan
#   neon    aarch64 cross build under qemu-aarch64
# Each header build is also checked for zero warnings with gcc, clang, g++.
cd "$(dirname "$0")/.." || exit 1
B=build/test
mkdir -p $B
SRC="tests/test_main.c tests/test_core.c tests/test_golden.c tests/test_st.c tests/test_conv.c tests/test_pool.c tests/test_mobilenet.c tests/impl.c"
WARN="-Wall -Wextra -Wpedantic"
passed=0; failed=0; skipped=""

count() { # $1 = name, $2 = log file
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$2" | tail -1)
    if [ -z "$line" ]; then
        echo "[$1] no result line (crashed?)"; tail -20 "$2"; failed=$((failed + 1)); return
    fi
    p=${line%% passed*}; f=${line#*passed, }; f=${f%% failed*}
    passed=$((passed + p)); failed=$((failed + f))
    echo "[$1] $line"
    [ "$f" != 0 ] && grep -E '^FAIL|^  ' "$2" | head -40
}
check() { # $1 = name, rest = command; one pass or fail
    name=$1; shift
    if "$@" > $B/$name.log 2>&1 && ! grep -q "warning:" $B/$name.log; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1)); echo "[$name] FAILED: $*"; head -30 $B/$name.log
    fi
}
have() { command -v "$1" > /dev/null 2>&1; }
cpu_has() { grep -q "$1" /proc/cpuinfo 2>/dev/null; }

# 1. zero warnings from every compiler, every SIMD path, C and C++
for cc in "gcc -std=c99" "clang -std=c99" "g++ -x c++ -std=c++11" "clang++ -x c++ -std=c++11"; do
    set -- $cc; have $1 || { skipped="$skipped $1"; continue; }
    for simd in "-march=native" "-mavx2 -mfma" "-msse2" "-DMLC_NO_SIMD" "-DMLC_STATIC" "-DMLC_NO_STDIO"; do
        tag=$(echo "warn_$cc$simd" | tr -c 'a-zA-Z0-9_' '_')
        check $tag $cc -O2 $simd $WARN -Werror -c tests/impl.c -o $B/warn.o
    done
done
if have aarch64-linux-gnu-gcc; then
    check warn_aarch64 aarch64-linux-gnu-gcc -std=c99 -O2 $WARN -Werror -c tests/impl.c -o $B/warn.o
fi

# 2. tools/st2c reproduces the committed firmware array and refuses a corrupt file
if gcc -std=c99 -O2 $WARN -Werror -o $B/st2c tools/st2c.c -lm > $B/st2c.build.log 2>&1; then
    passed=$((passed + 1))
    check st2c_roundtrip sh -c "$B/st2c examples/demo_model.safetensors $B/demo_model.h demo_model && cmp $B/demo_model.h examples/demo_model.h"
    head -c 1000 examples/demo_model.safetensors > $B/truncated.safetensors
    check st2c_rejects_corrupt sh -c "! $B/st2c $B/truncated.safetensors $B/bad.h bad && test ! -e $B/bad.h"
else
    failed=$((failed + 1)); echo "[st2c] BUILD FAILED"; head -30 $B/st2c.build.log
fi

# 3. the suite in each flavour
run() { # $1 = name, $2 = runner prefix (or ""), rest = compile command
    name=$1; runner=$2; shift 2
    if ! "$@" -o $B/$name $SRC -lm > $B/$name.build.log 2>&1; then
        echo "[$name] BUILD FAILED"; head -30 $B/$name.build.log; failed=$((failed + 1)); return
    fi
    $runner $B/$name tests > $B/$name.log 2>&1
    count $name $B/$name.log
}
GCC="gcc -std=c99 -O2 -g $WARN"
run native "" $GCC -march=native
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
    skipped="$skipped asan(clang+libclang-rt)"
fi
if have aarch64-linux-gnu-gcc && have qemu-aarch64; then
    MLCT_FUZZ_ITERS=${MLCT_FUZZ_ITERS_QEMU:-3000} run neon qemu-aarch64 aarch64-linux-gnu-gcc -std=c99 -O2 -static $WARN
else
    skipped="$skipped neon(gcc-aarch64-linux-gnu+qemu-user)"
fi
[ -n "$skipped" ] && echo "skipped (not installed):$skipped"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
