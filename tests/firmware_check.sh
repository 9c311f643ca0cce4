#!/bin/sh
# Firmware and portability checks (issue 8). Builds mlcore.h and the
# keyword-spotting example of examples/firmware/ for every target whose
# compiler is installed, and skips (saying so) the others:
#   cm4      arm-none-eabi-gcc -mcpu=cortex-m4 -mfpu=fpv4-sp-d16 -mfloat-abi=hard
#   cm7      arm-none-eabi-gcc -mcpu=cortex-m7 -mfpu=fpv5-d16 -mfloat-abi=hard
#   cm55     arm-none-eabi-gcc -mcpu=cortex-m55 -mfpu=auto -mfloat-abi=hard (MVE)
#   rv32imf  riscv64-unknown-elf-gcc -march=rv32imf -mabi=ilp32f (picolibc), also linked
#   rv64gc   riscv64-unknown-elf-gcc, else riscv64-linux-gnu-gcc, -march=rv64gc
#   x86_32   gcc -m32 (gcc-multilib), else i686-linux-gnu-gcc
# Each target: the library part (mlcore_impl.c, kws.c) compiled with -Os,
# -DMLC_NO_STDIO, no MLC_MALLOC, -Wall -Wextra -Wpedantic -Werror; then nm
# shows that those objects reference no printf/FILE/fopen/malloc/free (nor
# puts, stdout, abort, exit, assert). Cortex-M targets are also linked with
# newlib-nano's nosys specs into a bootable image (startup_cm.c, cortex_m.ld),
# the image is checked for the same symbols, and if qemu-system-arm is there
# it boots on the matching Arm board (MPS2 AN386 = M4, AN500 = M7, MPS3
# AN547 = M55) and must pass its self-test against PyTorch's logits.
# The host test (examples/firmware/host_test.c: compiled-in array vs file,
# bit for bit, and PyTorch parity) runs natively (SIMD and MLC_NO_SIMD), on
# 32-bit x86, and on big-endian s390x under qemu-s390x when available.
# Prints one line per check and ends with "N passed, N failed".
cd "$(dirname "$0")/.." || exit 1
B=build/firmware
FW=examples/firmware
mkdir -p $B
passed=0; failed=0; skipped=0
LIBFLAGS="-std=c99 -Os -Wall -Wextra -Wpedantic -Werror -DMLC_NO_STDIO -DMLC_NO_MALLOC -ffunction-sections -fdata-sections"
HOSTSRC="$FW/host_test.c $FW/kws.c $FW/model_data.c $FW/mlcore_impl.c"
# Undefined symbols the library part must not have.
FORBIDDEN='printf|scanf|puts|putchar|fputc|fputs|fopen|fclose|fread|fwrite|fseek|ftell|fflush|fgetc|stdout|stderr|stdin|FILE|malloc|calloc|realloc|abort|__assert|^_*free(_r)?$|^_*exit$'

have() { command -v "$1" > /dev/null 2>&1; }
pass() { passed=$((passed + 1)); echo "ok   $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }
skip() { skipped=$((skipped + 1)); echo "skip $*"; }
# check NAME LOG CMD...: pass if CMD succeeds and prints no warning
check() {
    c_name=$1; c_log=$2; shift 2
    if "$@" > "$c_log" 2>&1 && ! grep -q "warning:" "$c_log"; then pass "$c_name"; return 0; fi
    fail "$c_name: $*"; sed -n 1,25p "$c_log" | sed 's/^/     /'; return 1
}
# nm_clean NAME NM FILE...: no forbidden undefined (or, for an image, defined) symbols
nm_clean() {
    n_name=$1; n_tool=$2; shift 2
    bad=$("$n_tool" "$@" 2>/dev/null | awk '{print $NF}' | grep -E "$FORBIDDEN" | sort -u | tr '\n' ' ')
    if [ -z "$bad" ]; then pass "$n_name"; else fail "$n_name: $bad"; fi
}

# ---- library part, per target ---------------------------------------------
# lib_target NAME CC "FLAGS" NM: builds mlcore_impl.o and kws.o in $B/NAME
lib_target() {
    name=$1; cc=$2; flags=$3; nmtool=$4; d=$B/$name
    mkdir -p $d
    if check "$name: library part builds (-Os, MLC_NO_STDIO, -Werror)" $d/build.log \
        sh -c "$cc $flags $LIBFLAGS -c $FW/mlcore_impl.c -o $d/mlcore_impl.o && $cc $flags $LIBFLAGS -c $FW/kws.c -o $d/kws.o"; then
        nm_clean "$name: no printf/FILE/fopen/malloc/free in the library objects" "$nmtool" -u $d/mlcore_impl.o $d/kws.o
        return 0
    fi
    return 1
}

# cortex_m NAME "FLAGS" QEMU_MACHINE
cortex_m() {
    name=$1; flags="-mthumb $2"; machine=$3; d=$B/$name
    lib_target $name arm-none-eabi-gcc "$flags" arm-none-eabi-nm || return
    LD="arm-none-eabi-gcc $flags --specs=nano.specs --specs=nosys.specs -nostartfiles -T $FW/cortex_m.ld -Wl,--gc-sections"
    if check "$name: firmware links (newlib-nano, nosys specs, static arena)" $d/link.log sh -c "
        arm-none-eabi-gcc $flags $LIBFLAGS -c $FW/main.c -o $d/main.o &&
        arm-none-eabi-gcc $flags $LIBFLAGS -c $FW/model_data.c -o $d/model_data.o &&
        arm-none-eabi-gcc $flags $LIBFLAGS -c $FW/startup_cm.c -o $d/startup_cm.o &&
        $LD -Wl,-Map=$d/fw.map -o $d/fw.elf $d/main.o $d/kws.o $d/model_data.o $d/startup_cm.o $d/mlcore_impl.o -lm"; then
        nm_clean "$name: the linked image has no printf/FILE/malloc/free" arm-none-eabi-nm $d/fw.elf
    fi
    if ! have qemu-system-arm; then skip "$name: boot under qemu-system-arm (not installed: qemu-system-arm)"; return; fi
    if check "$name: semihosting build links" $d/link_sh.log sh -c "
        arm-none-eabi-gcc $flags $LIBFLAGS -DKWS_SEMIHOSTING -c $FW/main.c -o $d/main_sh.o &&
        $LD -o $d/fw_sh.elf $d/main_sh.o $d/kws.o $d/model_data.o $d/startup_cm.o $d/mlcore_impl.o -lm"; then
        timeout 120 qemu-system-arm -M $machine -nographic -monitor none -serial none -semihosting \
            -kernel $d/fw_sh.elf < /dev/null > $d/qemu.log 2>&1
        rc=$?
        if [ $rc = 0 ] && grep -q "self-test passed" $d/qemu.log; then
            pass "$name: boots on qemu $machine, self-test vs PyTorch passed ($(grep 'arena need' $d/qemu.log | sed 's/^kws: //'))"
        else
            fail "$name: qemu $machine exit $rc"; sed -n 1,20p $d/qemu.log | sed 's/^/     /'
        fi
    fi
}

if have arm-none-eabi-gcc; then
    cortex_m cm4 "-mcpu=cortex-m4 -mfpu=fpv4-sp-d16 -mfloat-abi=hard" mps2-an386
    cortex_m cm7 "-mcpu=cortex-m7 -mfpu=fpv5-d16 -mfloat-abi=hard" mps2-an500
    cortex_m cm55 "-mcpu=cortex-m55 -mfpu=auto -mfloat-abi=hard" mps3-an547
else
    skip "cm4, cm7, cm55 (not installed: gcc-arm-none-eabi libnewlib-arm-none-eabi)"
fi

if have riscv64-unknown-elf-gcc; then
    RVSPECS=""
    riscv64-unknown-elf-gcc --specs=picolibc.specs -E -x c /dev/null > /dev/null 2>&1 && RVSPECS="--specs=picolibc.specs"
    if lib_target rv32imf riscv64-unknown-elf-gcc "$RVSPECS -march=rv32imf -mabi=ilp32f" riscv64-unknown-elf-nm &&
        [ -n "$RVSPECS" ]; then
        # picolibc's crt0 and linker script; 512 KiB flash, 128 KiB RAM
        RV="riscv64-unknown-elf-gcc $RVSPECS -march=rv32imf -mabi=ilp32f"
        d=$B/rv32imf
        if check "rv32imf: firmware links (picolibc, static arena)" $d/link.log sh -c "
            $RV $LIBFLAGS -c $FW/main.c -o $d/main.o && $RV $LIBFLAGS -c $FW/model_data.c -o $d/model_data.o &&
            $RV -Wl,--gc-sections -Wl,--defsym=__flash=0x20000000 -Wl,--defsym=__flash_size=0x80000 \
                -Wl,--defsym=__ram=0x80000000 -Wl,--defsym=__ram_size=0x20000 -o $d/fw.elf \
                $d/main.o $d/model_data.o $d/kws.o $d/mlcore_impl.o -lm"; then
            nm_clean "rv32imf: the linked image has no printf/FILE/malloc/free" riscv64-unknown-elf-nm $d/fw.elf
        fi
    fi
    lib_target rv64gc riscv64-unknown-elf-gcc "$RVSPECS -march=rv64gc -mabi=lp64d" riscv64-unknown-elf-nm
elif have riscv64-linux-gnu-gcc; then
    skip "rv32imf (needs riscv64-unknown-elf-gcc: gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf)"
    lib_target rv64gc riscv64-linux-gnu-gcc "-march=rv64gc -mabi=lp64d" riscv64-linux-gnu-nm
else
    skip "rv32imf, rv64gc (not installed: gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf)"
fi

X86_32=""
if echo 'int main(void){return 0;}' | gcc -m32 -x c -o $B/m32_probe - > /dev/null 2>&1; then X86_32="gcc -m32"
elif have i686-linux-gnu-gcc; then X86_32="i686-linux-gnu-gcc"; fi
if [ -n "$X86_32" ]; then
    set -- $X86_32
    lib_target x86_32 "$1" "${2:-}" nm
else
    skip "x86_32 (not installed: gcc-i686-linux-gnu, or gcc-multilib)"
fi

# ---- the host test ----------------------------------------------------------
# host NAME RUNNER CC FLAGS...: build host_test, run it from the repository root
host() {
    name=$1; runner=$2; shift 2
    if check "host $name: builds" $B/host_$name.build.log "$@" -std=c99 -Wall -Wextra -Wpedantic -Werror \
        -o $B/host_$name $HOSTSRC -lm; then
        $runner $B/host_$name > $B/host_$name.log 2>&1
        rc=$?
        line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' $B/host_$name.log | tail -1)
        lat=$(grep 'one inference' $B/host_$name.log | sed 's/^ *//')
        if [ $rc = 0 ] && [ -n "$line" ] && [ "${line#* passed, }" = "0 failed" ]; then
            [ -n "$runner" ] && lat="$lat, under $runner"
            pass "host $name: array vs file bit-exact, PyTorch parity, arena checks ($line; $lat)"
        else
            fail "host $name: exit $rc"; grep -E '^FAIL|^ ' $B/host_$name.log | head -20 | sed 's/^/     /'
        fi
    fi
}
host native "" gcc -O2 -march=native
host scalar "" gcc -O2 -DMLC_NO_SIMD
if [ -n "$X86_32" ]; then
    set -- $X86_32
    # run natively if this kernel runs 32-bit x86 binaries, else under qemu-i386
    echo 'int main(void){return 0;}' | "$@" -static -x c -o $B/x86_32_run - > /dev/null 2>&1
    if $B/x86_32_run > /dev/null 2>&1; then host x86_32 "" "$@" -O2 -static
    elif have qemu-i386; then host x86_32 qemu-i386 "$@" -O2 -static
    else skip "host x86_32: this kernel cannot run 32-bit binaries and qemu-i386 is missing (qemu-user)"; fi
fi
if have s390x-linux-gnu-gcc && have qemu-s390x; then
    host s390x_big_endian qemu-s390x s390x-linux-gnu-gcc -O2 -static
else
    skip "host s390x (big-endian): not installed: gcc-s390x-linux-gnu libc6-dev-s390x-cross qemu-user"
fi

# ---- the size report ----------------------------------------------------------
if [ -f $B/cm4/fw.map ]; then
    if sh $FW/size.sh $B/cm4 > $B/size.log 2>&1; then
        pass "cm4: size report"; sed 's/^/     /' $B/size.log
    else
        fail "cm4: size report"; sed -n 1,20p $B/size.log | sed 's/^/     /'
    fi
fi

[ $skipped != 0 ] && echo "($skipped checks skipped: compiler or emulator not installed)"
echo "$passed passed, $failed failed"
[ $failed = 0 ]
