#!/usr/bin/env bash
# Whole-layer CPU benchmark (benchmarks/layer_bench.py): lightfuse vs PyTorch
# eager on linears, the SwiGLU MLP, a Pre-RMSNorm SwiGLU block and the
# TransNormerLLM layer, 1 and 2 threads, outputs checked against float64
# first. Prints a Markdown table, also written to build/layer-benchmarks.md.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$ROOT/build.sh" deps-bench
"$ROOT/build.sh" build lf-bench >/dev/null
unset OPENBLAS_CORETYPE   # PyTorch with OpenBLAS's AVX-512 kernels
# PyTorch's OpenMP workers must not spin while lightfuse runs.
export OMP_WAIT_POLICY=PASSIVE
# malloc keeps freed memory instead of returning it to the kernel, so neither
# side pays first-touch page faults (~12 us per 4 KiB page here) per call.
export GLIBC_TUNABLES=glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=68719476736
{
  echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; $(date -u +%Y-%m-%d)"
  echo "PyTorch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)') eager, BLAS: $(readlink -f /etc/alternatives/libblas.so.3-x86_64-linux-gnu 2>/dev/null || echo unknown) (OPENBLAS_CORETYPE unset)"
  echo
  PYTHONPATH="$ROOT/python" /usr/bin/python3 "$ROOT/benchmarks/layer_bench.py" "$ROOT/build/layer-table.md"
} | tee "$ROOT/build/layer-benchmarks.md"
