#!/usr/bin/env bash
# The main job: check the example model graph with lf-opt, then compile it
# for the CPU, run it and compare it with the numpy reference.
set -euo pipefail
BUILD_DIR="${1:-build}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
EX="$HERE/prenorm_block.mlir"
PY=/usr/bin/python3
[[ -x $PY ]] || PY=python3

echo "== lightfuse demo: $EX"
echo "-- the graph, canonicalized by lf-opt:"
"$BUILD_DIR/bin/lf-opt" "$EX" --canonicalize --cse
exec "$PY" "$HERE/prenorm_block.py" "$BUILD_DIR/bin/lf-run"
