#!/usr/bin/env bash
# Builds dense.cu with other tile shapes for the large GEMM driver (dense.cuh's GEMM_BIG_*), for
# GemmVariantProbe to time against the shipped shape (variant A) on the GPU machine. Not part of
# the build: the PTX goes to OUTPUT_DIR (default .device-gemm/, git-ignored), gzipped to travel.
#   kernels/gemm-variants.sh [OUTPUT_DIR]
# then, on the GPU machine, from OUTPUT_DIR after gunzip:
#   java org.painn4j.gpu.GemmVariantProbe A:128:64:128:dense.A.ptx B:128:128:256:dense.B.ptx ...
# Each variant: NAME  BM BN THREADS TM TN K_BYTES STAGES (float64 must tile too: BK = K_BYTES / 8).
# Built for sm_90, as the shipped dense.sm_90.ptx: the tiles' products take Hopper's mma shapes
# there (dense.cuh, MmaTiles), and THREADS / 32 warps share each tile.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../.device-gemm}
mkdir -p "$out"
variants=(
  "A 128 64 128 8 8 64 3"    # the shipped shape
  "B 128 128 256 8 8 64 2"
  "D 64 128 128 8 8 64 3"
  "G 128 64 128 8 8 64 2"
)
for v in "${variants[@]}"; do
  read -r name bm bn threads tm tn kb stages <<<"$v"
  nvcc -std=c++17 -O3 -arch=sm_90 -ptx "$here/dense.cu" -o "$out/dense.$name.ptx" \
    -DGEMM_BIG_M="$bm" -DGEMM_BIG_N="$bn" -DGEMM_BIG_THREADS="$threads" -DGEMM_BIG_TM="$tm" \
    -DGEMM_BIG_TN="$tn" -DGEMM_BIG_K_BYTES="$kb" -DGEMM_BIG_STAGES="$stages" &
done
wait
gzip -f "$out"/dense.*.ptx
ls -la "$out"
