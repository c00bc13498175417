#!/usr/bin/env bash
# The main job: take the example model graph, check it with lf-opt and (once
# the CPU lowering exists) compile and run it against the numpy reference.
set -euo pipefail
BUILD_DIR="${1:-build}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OPT="$BUILD_DIR/bin/lf-opt"
EX="$HERE/prenorm_block.mlir"

echo "== lightfuse demo: $EX"
echo "-- parse, verify and canonicalize with lf-opt:"
"$OPT" "$EX" --canonicalize --cse
n_ops=$("$OPT" "$EX" --mlir-print-op-generic | grep -c '"lf\.' || true)
echo "-- ok: $n_ops lf ops verified"
