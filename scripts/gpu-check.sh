#!/usr/bin/env bash
# The device check of the NVPTX backend (issue 6): builds the check
# executables (GPU and CPU versions of RMSNorm, LayerNorm, residual+LayerNorm,
# SwiGLU and Lightning Attention, compiled by lf-compile), runs them on the GPU
# against the CPU result, and benchmarks them against PyTorch eager and
# torch.compile on the same GPU. Prints a Markdown table, also written to
# $OUT/gpu-check.md when OUT is set. Meant to finish within 8 minutes.
#
#   scripts/gpu-check.sh            prepare (if this machine can build) + run
#   scripts/gpu-check.sh prepare    only build .gpucheck/ (no GPU needed)
#   scripts/gpu-check.sh run        only run a prepared .gpucheck/
#
# A GPU machine without LLVM 22 (the lent device machines) runs a .gpucheck/
# prepared elsewhere and carried along: the executables need only libc and
# the driver's libcuda.so.1.
set -euo pipefail
cd "$(dirname "$0")/.."
step="${1:-all}"
PY=python3
if [[ "$step" == prepare || "$step" == all ]]; then
  if [[ -x /usr/lib/llvm-22/bin/FileCheck ]] || command -v apt-get >/dev/null; then
    ./build.sh build
    /usr/bin/python3 scripts/gpu_check.py prepare
  elif [[ "$step" == prepare ]]; then
    echo "gpu-check: cannot build here (no LLVM 22)" >&2; exit 1
  else
    echo "gpu-check: no LLVM 22 here; using the carried .gpucheck/" >&2
  fi
fi
if [[ "$step" == run || "$step" == all ]]; then
  [[ -d .gpucheck ]] || { echo "gpu-check: run 'scripts/gpu-check.sh prepare' first" >&2; exit 1; }
  timeout 480 $PY scripts/gpu_check.py run
fi
