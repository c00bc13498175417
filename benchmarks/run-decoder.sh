#!/usr/bin/env bash
# The decoder benchmark (benchmarks/decoder_bench.py): prefill and decode of
# examples/transnormer_decoder.py, lightfuse vs PyTorch 2.x eager and
# torch.compile, 1 and 2 threads, and decode latency after 1k/8k/32k tokens.
# Uses build/peers-venv (benchmarks/run-peers.sh creates it) when present,
# else Debian's PyTorch 1.13 (no torch.compile). Writes
# build/decoder-benchmarks.md. Extra arguments go to decoder_bench.py.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$ROOT/build.sh" build >/dev/null
PY=/usr/bin/python3
[[ -x "$ROOT/build/peers-venv/bin/python" ]] && PY="$ROOT/build/peers-venv/bin/python"
. "$ROOT/benchmarks/bench-env.sh"
{
  bench_machine
  PYTHONPATH="$ROOT/python" "$PY" -W ignore "$ROOT/benchmarks/decoder_bench.py" "$@"
} | tee "$ROOT/build/decoder-benchmarks.md"
