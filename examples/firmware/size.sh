#!/bin/sh
# size.sh - flash and RAM of the Cortex-M4F firmware build, split into the
# mlcore library, the model weights, the example's own code and the C runtime.
#
#   sh examples/firmware/size.sh            build (arm-none-eabi-gcc, -Os) and report
#   sh examples/firmware/size.sh DIR        report on DIR/fw.elf + DIR/fw.map
#                                           (as tests/firmware_check.sh builds them)
#
# Flash is text + rodata (+ the .data initialisers); RAM is data + bss, which
# holds the static arena, plus the stack the linker script reserves. The
# split comes from the linker map: every input section that made it into the
# image (after --gc-sections) is charged to the object it came from:
#   mlcore library   mlcore_impl.o (mlcore.h's implementation, MLC_NO_STDIO)
#   model weights    model_data.o's .rodata.kws_model: the safetensors bytes
#                    (JSON header, the weights, and the self-test data,
#                    itemised below from the tensor table in kws_model.h)
#   example code     kws.c (load + forward), main.c (self-test), startup_cm.c
#   C runtime        newlib-nano libc/libm and libgcc (memcpy, qsort, expf...)
cd "$(dirname "$0")/../.." || exit 1
FW=examples/firmware
D=${1:-}
if [ -z "$D" ]; then
    command -v arm-none-eabi-gcc > /dev/null 2>&1 || {
        echo "size.sh: arm-none-eabi-gcc not found (Debian: gcc-arm-none-eabi libnewlib-arm-none-eabi)"; exit 1; }
    D=build/firmware/size
    mkdir -p $D
    F="-mthumb -mcpu=cortex-m4 -mfpu=fpv4-sp-d16 -mfloat-abi=hard"
    C="-std=c99 -Os -Wall -Wextra -Wpedantic -DMLC_NO_STDIO -DMLC_NO_MALLOC -ffunction-sections -fdata-sections"
    for f in mlcore_impl kws model_data main startup_cm; do
        arm-none-eabi-gcc $F $C -c $FW/$f.c -o $D/$f.o || exit 1
    done
    arm-none-eabi-gcc $F --specs=nano.specs --specs=nosys.specs -nostartfiles -T $FW/cortex_m.ld \
        -Wl,--gc-sections -Wl,-Map=$D/fw.map -o $D/fw.elf \
        $D/main.o $D/kws.o $D/model_data.o $D/startup_cm.o $D/mlcore_impl.o -lm || exit 1
fi
[ -f $D/fw.map ] && [ -f $D/fw.elf ] || { echo "size.sh: no $D/fw.map or $D/fw.elf"; exit 1; }

# The tensor table st2c wrote into kws_model.h: header bytes, weights, self-test data.
MODEL=$(awk '
    /^ *[A-Za-z0-9_.]+ +(F32|F16|BF16|F64) +\[.*\] +at byte [0-9]+/ {
        n = 1; s = $0; sub(/^[^[]*\[/, "", s); sub(/\].*/, "", s)
        k = split(s, dims, ",")
        for (i = 1; i <= k; i++) n *= dims[i] + 0
        sz = ($2 == "F32") ? 4 : ($2 == "F64") ? 8 : 2
        off = $NF + 0
        if (first == "" || off < first) first = off
        if ($1 ~ /^ref\./) ref += n * sz; else { w += n * sz; nw += n }
    }
    END { printf "%d %d %d %d", first, w, nw, ref }' $FW/kws_model.h)
set -- $MODEL
HDR=$1 WBYTES=$2 WCOUNT=$3 REFBYTES=$4

awk -v hdr="$HDR" -v wbytes="$WBYTES" -v wcount="$WCOUNT" -v refbytes="$REFBYTES" '
function hex(s,   i, v) {          # "0x1a4" -> 420 (mawk has no strtonum)
    s = tolower(s); sub(/^0x/, "", s); v = 0
    for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
    return v
}
function add(sec, size, file,   grp, kind) {
    size = hex(size)
    if (size == 0) return
    if (sec ~ /^\.(text|rodata|vectors|ARM\.exidx|glue|vfp11|v4_bx|iplt|rel)/) kind = "flash"
    else if (sec ~ /^\.data/) kind = "data"
    else if (sec ~ /^\.bss|^COMMON/) kind = "bss"
    else return
    if (file ~ /mlcore_impl\.o$/) grp = "lib"
    else if (file ~ /model_data\.o$/ && sec == ".rodata.kws_model") grp = "model"
    else if (file ~ /(kws|main|startup_cm|model_data)\.o$/) grp = "app"
    else grp = "rt"
    if (sec == ".bss.arena_mem") grp = "arena"
    if (sec ~ /^\.bss\.selftest_/) grp = "selftest"
    if (kind == "flash") flash[grp] += size
    if (kind == "data") { flash[grp] += size; ram[grp] += size }
    if (kind == "bss") ram[grp] += size
}
/^Linker script and memory map/ { on = 1; next }
!on { next }
/^ \*fill\*/ { next }
/^ [.A-Za-z_]/ {
    pend = ""
    if (NF >= 4 && $2 ~ /^0x/ && $3 ~ /^0x/) add($1, $3, $4)
    else if (NF == 1) pend = $1
    next
}
pend != "" && /^ +0x[0-9a-f]+ +0x[0-9a-f]+ +[^ ]/ { add(pend, $2, $3); pend = ""; next }
/^[.A-Za-z]/ && $2 ~ /^0x/ && $3 ~ /^0x/ {    # an output section: its total, padding included
    if ($1 == ".stack") stack = hex($3)
    else if ($1 == ".text" || $1 == ".ARM.exidx") out_flash += hex($3)
    else if ($1 == ".data") { out_flash += hex($3); out_ram += hex($3) }
    else if ($1 == ".bss") out_ram += hex($3)
}
{ pend = "" }
END {
    tf = flash["lib"] + flash["model"] + flash["app"] + flash["rt"]
    tr = ram["lib"] + ram["model"] + ram["app"] + ram["rt"] + ram["arena"] + ram["selftest"]
    printf "Cortex-M4F firmware (-Os, newlib-nano, --gc-sections): bytes in the linked image\n"
    printf "  %-44s %9s %9s\n", "", "flash", "RAM"
    printf "  %-44s %9d %9d\n", "mlcore library code + constants", flash["lib"], ram["lib"]
    printf "  %-44s %9d %9s\n", "model (the safetensors array, in flash)", flash["model"], "-"
    printf "  %-44s %9s\n", sprintf("    %d weight/BN values (F32)", wcount), wbytes
    printf "  %-44s %9s\n", "    JSON header", hdr
    printf "  %-44s %9s\n", "    self-test data (ref.*)", refbytes
    printf "  %-44s %9d %9d\n", "example code (kws.c, main.c, startup)", flash["app"], ram["app"]
    printf "  %-44s %9d %9d\n", "C runtime (newlib-nano libc/libm, libgcc)", flash["rt"], ram["rt"]
    printf "  %-44s %9s %9d\n", "arena (static, KWS_ARENA_BYTES)", "-", ram["arena"]
    printf "  %-44s %9s %9d\n", "self-test buffers (main.c)", "-", ram["selftest"]
    printf "  %-44s %9d %9d\n", "alignment padding", out_flash - tf, out_ram - tr
    printf "  %-44s %9d %9d\n", "total (RAM without the stack)", out_flash, out_ram
    if (stack) printf "  %-44s %9s %9d\n", "stack reserved by cortex_m.ld", "-", stack
}' $D/fw.map

if command -v arm-none-eabi-size > /dev/null 2>&1; then
    echo "arm-none-eabi-size:"; arm-none-eabi-size $D/fw.elf | sed 's/^/  /'
fi
