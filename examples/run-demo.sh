#!/usr/bin/env bash
# The main job: a TransNormerLLM-style decoder (6 layers, d_model 768, 12
# heads, vocabulary 32k) exported from PyTorch, compiled by lightfuse,
# prefilled with a 512-token prompt and decoded greedily for 64 tokens,
# checked against and timed next to PyTorch eager (examples/run_decoder.py).
set -euo pipefail
BUILD_DIR="${1:-build}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PY=/usr/bin/python3
[[ -x $PY ]] || PY=python3
echo "== lightfuse demo: TransNormerLLM-style decoder, prefill + greedy decode"
exec "$PY" -W ignore "$HERE/run_decoder.py" --build "$BUILD_DIR" "${@:2}"
