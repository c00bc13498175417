#!/usr/bin/env bash
# The issue-5 attention benchmarks (benchmarks/attention_bench.py): prints a
# Markdown table, also written to build/attention-benchmarks.md.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$ROOT/build.sh" build lf-bench >/dev/null
. "$ROOT/benchmarks/bench-env.sh"
{
  bench_machine
  bench_torch1
  echo
  PYTHONPATH="$ROOT/python" /usr/bin/python3 "$ROOT/benchmarks/attention_bench.py"
} | tee "$ROOT/build/attention-benchmarks.md"
