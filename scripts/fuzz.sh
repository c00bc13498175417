#!/usr/bin/env bash
# Fuzzes the ONNX importer with libFuzzer (ASan + UBSan on the importer):
#   scripts/fuzz.sh [seconds=600] [jobs=1]
# Builds build-fuzz/ (Release, clang-22, -DLF_ENABLE_FUZZERS=ON; needs
# libclang-rt-22-dev), seeds the corpus with ONNX's node-test models
# (libonnx-testdata) and the test suite's generated models, and runs
# lf-fuzz-onnx. A crash leaves crash-* in build-fuzz/fuzz/ (reproduce with
# build-fuzz/bin/lf-fuzz-onnx crash-...); the corpus persists across runs.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SECONDS_TO_RUN="${1:-600}"
JOBS="${2:-1}"
B="$ROOT/build-fuzz"
. "$ROOT/scripts/instrumented-build.sh"
ensure_clang_rt
configure_instrumented "$B" Release -DLF_ENABLE_FUZZERS=ON
ninja -C "$B" lf-fuzz-onnx
mkdir -p "$B/fuzz/corpus" "$B/fuzz/seeds"
if [[ -z "$(ls -A "$B/fuzz/seeds")" ]]; then
  i=0
  for m in /usr/share/libonnx-testdata/data/node/*/model.onnx; do
    cp "$m" "$B/fuzz/seeds/node$((i++)).onnx"
  done
  find "$ROOT/build/test" -name '*.onnx' -size -2M -exec cp {} "$B/fuzz/seeds/" \; 2>/dev/null || true
fi
cd "$B/fuzz"
exec "$B/bin/lf-fuzz-onnx" -max_total_time="$SECONDS_TO_RUN" -jobs="$JOBS" -workers="$JOBS" \
  -max_len=65536 -timeout=20 -rss_limit_mb=4096 -print_final_stats=1 corpus seeds
