#!/usr/bin/env bash
# Compiles every kernels/*.cu to PTX, committed under src/main/resources/org/painn4j/ptx/ so that
# users need no CUDA toolkit:
#   <stage>.compute_80.ptx   portable: Ampere and newer, JIT-compiled by the driver at load
#   <stage>.sm_90.ptx        Hopper (H100/H200), chosen at run time for compute capability ≥ 9.0:
#                            every kernel there starts with the grid-dependency wait of
#                            programmatic dependent launch (common.cuh, painn_grid_dependency), and
#                            some stages have more Hopper-only code (`__CUDA_ARCH__ >= 900`)
# nvcc 13.0 writes PTX ISA 9.0, which needs an NVIDIA driver ≥ 580.
#   kernels/build-ptx.sh [OUTPUT_DIR]      (default: the resources folder above)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../src/main/resources/org/painn4j/ptx}
mkdir -p "$out"
command -v nvcc >/dev/null || { echo "build-ptx: nvcc not on the PATH" >&2; exit 2; }
for cu in "$here"/*.cu; do
  stage=$(basename "$cu" .cu)
  for arch in compute_80 sm_90; do
    nvcc -std=c++17 -O3 -arch="$arch" -ptx "$cu" -o "$out/$stage.$arch.ptx"
  done
done
echo "build-ptx: $(ls "$out"/*.ptx | wc -l) PTX files in $out"
