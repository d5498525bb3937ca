#!/usr/bin/env bash
# Machine code per kernel: assembles the committed sm_90 PTX with ptxas (as the driver would on
# Hopper) and prints each entry point's code in bytes, largest first. A kernel whose parts run
# about once per call pays for fetching its code (performance.md, entry 60: the one-kernel path
# at 605 KB stalled on instruction fetch), so this is worth watching when a change unrolls more.
#   kernels/code-size.sh [STAGE ...]      (default: every stage; e.g. kernels/code-size.sh fused dense)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ptx=$here/../src/main/resources/org/painn4j/ptx
command -v ptxas >/dev/null || { echo "code-size: ptxas not on the PATH" >&2; exit 2; }
command -v size >/dev/null || { echo "code-size: size (binutils) not on the PATH" >&2; exit 2; }
stages=("$@")
[[ ${#stages[@]} -gt 0 ]] || stages=($(ls "$ptx" | sed -n 's/\.sm_90\.ptx$//p'))
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for stage in "${stages[@]}"; do
  [[ -f $ptx/$stage.sm_90.ptx ]] || { echo "code-size: no $stage.sm_90.ptx in $ptx" >&2; exit 2; }
  ptxas -arch=sm_90 "$ptx/$stage.sm_90.ptx" -o "$tmp/$stage.cubin"
  size -A "$tmp/$stage.cubin" | awk -v stage="$stage" '$1 ~ /^\.text\./ { printf "%8d  %-14s %s\n", $2, stage, substr($1, 7) }'
done | sort -rn
