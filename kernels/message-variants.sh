#!/usr/bin/env bash
# Builds message.cu and message_split.cu in forms other than the shipped build's (macros of
# message.cuh and message_split.cu), for `bench` to time against the shipped PTX on the GPU machine.
# Not part of the build: each variant goes to OUTPUT_DIR/NAME/org/painn4j/ptx/ (default
# .device-message/, git-ignored), all of them packed into OUTPUT_DIR/variants.txz to travel.
#   kernels/message-variants.sh [OUTPUT_DIR]
# then, on the GPU machine, with a variant's folder ahead of the shipped PTX on the class path
# (the first resource found is loaded):
#   java -cp VARIANT_DIR:src/main/resources:classes:jars org.painn4j.cli.Main bench --profile ...
# Built for sm_90 only, as every variant concerns the Hopper kernels with F = 128.
#   A0  MESSAGE_FIXED_F_ALL_ACTIVE=0: the condition on f < F kept in the kernels with F fixed
#       (the form before entry 66 of docs/performance.md, which measured variant A, now shipped)
#   B   MESSAGE_SPLIT_BWD_F128_AT_128_REGISTERS: the split and chunked float32 backward kernels
#       with F = 128 held to 128 registers (164 and 169 otherwise); measured as AB in entry 66
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../.device-message}
mkdir -p "$out"
variants=(
  "A0 -DMESSAGE_FIXED_F_ALL_ACTIVE=0"
  "B -DMESSAGE_SPLIT_BWD_F128_AT_128_REGISTERS=1"
)
names=()
for v in "${variants[@]}"; do
  read -r name flags <<<"$v"
  names+=("$name")
  dir="$out/$name/org/painn4j/ptx"
  mkdir -p "$dir"
  for stage in message message_split; do
    # shellcheck disable=SC2086
    nvcc -std=c++17 -O3 -arch=sm_90 -ptx "$here/$stage.cu" -o "$dir/$stage.sm_90.ptx" $flags &
  done
done
wait
tar cf - -C "$out" "${names[@]}" | xz -9 > "$out/variants.txz"
ls -la "$out/variants.txz"
