#!/usr/bin/env bash
# Whole-layer CPU benchmark (benchmarks/layer_bench.py): lightfuse vs PyTorch
# eager on linears, the SwiGLU MLP, a Pre-RMSNorm SwiGLU block and the
# TransNormerLLM layer, 1 and 2 threads, outputs checked against float64
# first. Prints a Markdown table, also written to build/layer-benchmarks.md.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$ROOT/build.sh" deps-bench
"$ROOT/build.sh" build lf-bench >/dev/null
. "$ROOT/benchmarks/bench-env.sh"
{
  bench_machine
  bench_torch1
  echo
  PYTHONPATH="$ROOT/python" /usr/bin/python3 "$ROOT/benchmarks/layer_bench.py" "$ROOT/build/layer-table.md"
} | tee "$ROOT/build/layer-benchmarks.md"
