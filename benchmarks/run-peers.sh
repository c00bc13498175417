#!/usr/bin/env bash
# lightfuse against the PyPI peers (PyTorch 2.x eager, torch.compile, ONNX
# Runtime, IREE) and oneDNN (Debian's libdnnl-dev, through
# benchmarks/onednn_peers.cpp) on the layer_bench.py workloads, 1 and 2
# threads. Creates build/peers-venv on first use (torch's wheel pulls ~6 GB
# of CUDA libraries; torch.compile needs g++). Writes build/peers-table.md,
# build/peers-benchmarks.md and the plot build/peers-plot.svg (peer time /
# lightfuse time per workload).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/build/peers-venv"
"$ROOT/build.sh" build >/dev/null
# oneDNN (libdnnl-dev) as a peer: benchmarks/onednn_peers.cpp.
"$ROOT/build.sh" deps-bench
cmake "$ROOT/build" >/dev/null
ninja -C "$ROOT/build" onednn-peers >/dev/null || echo "onednn-peers not built: no oneDNN column" >&2
if [[ ! -x "$VENV/bin/iree-compile" || ! -d "$VENV/lib" ]] || ! "$VENV/bin/python" -c "import torch, onnxruntime, onnx, iree.runtime" 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip
  "$VENV/bin/pip" install -q numpy onnx onnxruntime iree-base-compiler iree-base-runtime torch
fi
. "$ROOT/benchmarks/bench-env.sh"
{
  bench_machine
  echo
  PYTHONPATH="$ROOT/python" "$VENV/bin/python" "$ROOT/benchmarks/peers_bench.py" "$ROOT/build/peers-table.md" "$ROOT/build/peers-plot.svg"
} | tee "$ROOT/build/peers-benchmarks.md"
