#!/usr/bin/env bash
# The issue-5 attention benchmarks (benchmarks/attention_bench.py): prints a
# Markdown table, also written to build/attention-benchmarks.md.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$ROOT/build.sh" build lf-bench >/dev/null
unset OPENBLAS_CORETYPE   # PyTorch with OpenBLAS's AVX-512 kernels
# PyTorch's OpenMP workers must not spin while lightfuse runs.
export OMP_WAIT_POLICY=PASSIVE
export GLIBC_TUNABLES=glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=68719476736
{
  echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; $(date -u +%Y-%m-%d)"
  echo "PyTorch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)') eager, BLAS: $(readlink -f /etc/alternatives/libblas.so.3-x86_64-linux-gnu 2>/dev/null || echo unknown) (OPENBLAS_CORETYPE unset)"
  echo
  PYTHONPATH="$ROOT/python" /usr/bin/python3 "$ROOT/benchmarks/attention_bench.py"
} | tee "$ROOT/build/attention-benchmarks.md"
