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
. "$ROOT/benchmarks/bench-env.sh"
export LF_CACHE=0          # "first call" includes compilation
out="$BUILD_DIR/benchmarks.txt"
: > "$out"
for t in 1 2; do
  OMP_NUM_THREADS=$t "$BUILD_DIR/bin/lf-bench" "$t" | tee -a "$out" >&2
  OMP_NUM_THREADS=$t /usr/bin/python3 "$ROOT/benchmarks/torch_bench.py" "$t" "${LF_BENCH_OPS:-}" | tee -a "$out" >&2
done
blas=$(/usr/bin/python3 -c "import numpy" 2>/dev/null; readlink -f /etc/alternatives/libblas.so.3-x86_64-linux-gnu 2>/dev/null || echo unknown)
{
  bench_machine
  echo "PyTorch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)') eager, BLAS: $blas (OPENBLAS_CORETYPE unset); oneDNN $(dpkg-query -W -f='${Version}' libdnnl-dev 2>/dev/null)"
  echo
  /usr/bin/python3 "$ROOT/benchmarks/report.py" < "$out"
} | tee "$BUILD_DIR/benchmarks.md"
