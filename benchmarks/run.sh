#!/usr/bin/env bash
# One command for the CPU benchmarks: builds lf-bench, runs lightfuse, a
# same-shape copy, oneDNN and PyTorch eager with 1 and 2 threads, and prints
# a Markdown table (also written to build/benchmarks.md).
#   LF_BENCH_OPS=layer_norm,rms_norm ./benchmarks/run.sh    # a subset
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
"$ROOT/build.sh" build lf-bench >/dev/null
"$ROOT/build.sh" deps-bench
# PyTorch gets a fair allocator (no mmap/munmap per large tensor) and
# OpenBLAS's AVX-512 kernels (OPENBLAS_CORETYPE unset).
export GLIBC_TUNABLES=glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=68719476736
export LF_CACHE=0          # "first call" includes compilation
export OMP_WAIT_POLICY=PASSIVE
unset OPENBLAS_CORETYPE
out="$BUILD_DIR/benchmarks.txt"
: > "$out"
for t in 1 2; do
  OMP_NUM_THREADS=$t "$BUILD_DIR/bin/lf-bench" "$t" | tee -a "$out" >&2
  OMP_NUM_THREADS=$t /usr/bin/python3 "$ROOT/benchmarks/torch_bench.py" "$t" "${LF_BENCH_OPS:-}" | tee -a "$out" >&2
done
blas=$(/usr/bin/python3 -c "import numpy" 2>/dev/null; readlink -f /etc/alternatives/libblas.so.3-x86_64-linux-gnu 2>/dev/null || echo unknown)
{
  echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; $(date -u +%Y-%m-%d)"
  echo "PyTorch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)') eager, BLAS: $blas (OPENBLAS_CORETYPE unset); oneDNN $(dpkg-query -W -f='${Version}' libdnnl-dev 2>/dev/null)"
  echo
  /usr/bin/python3 "$ROOT/benchmarks/report.py" < "$out"
} | tee "$BUILD_DIR/benchmarks.md"
