#!/usr/bin/env bash
# Fuzzes lightfuse with libFuzzer (ASan + UBSan on all of lightfuse's code):
#   scripts/fuzz.sh [seconds=600] [jobs=1] [target=onnx]
# target: onnx      the ONNX importer (lf-fuzz-onnx; seeds: ONNX's node-test
#                   models and the suite's generated models)
#         parse | optimize | cpu | gpu
#                   MLIR text through parse+verify, + lf-optimize, + the CPU
#                   pipeline to LLVM IR, or + the GPU pipeline to PTX
#                   (lf-fuzz-mlir with LF_FUZZ_MODE; seeds: every .mlir of
#                   test/ and examples/, split at `// -----`)
# Builds build-fuzz/ (Release, clang-22, -DLF_ENABLE_FUZZERS=ON; needs
# libclang-rt-22-dev). A crash leaves crash-* (a timeout timeout-*) in
# build-fuzz/fuzz/ or build-fuzz/fuzz-mlir/MODE/; reproduce with the fuzzer
# binary and the file, e.g. LF_FUZZ_MODE=cpu build-fuzz/bin/lf-fuzz-mlir
# crash-...  Corpora persist across runs.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SECONDS_TO_RUN="${1:-600}"
JOBS="${2:-1}"
TARGET="${3:-onnx}"
B="$ROOT/build-fuzz"
# Debian's MLIR is not instrumented, lightfuse's code is: LLVM's
# BumpPtrAllocator poisons the unused part of a slab when compiled with ASan
# (our inline copies) but the library's copies never unpoison what they hand
# out, so the mix reports use-after-poison on valid storage. Manual poisoning
# off; ASan's own checks stay.
export ASAN_OPTIONS="allow_user_poisoning=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
. "$ROOT/scripts/instrumented-build.sh"
ensure_clang_rt
configure_instrumented "$B" Release -DLF_ENABLE_FUZZERS=ON
# Older build-fuzz dirs were configured before the option moved to the top.
cmake -DLF_ENABLE_FUZZERS=ON "$B" >/dev/null

case "$TARGET" in
onnx)
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
  ;;
parse | optimize | cpu | gpu)
  ninja -C "$B" lf-fuzz-mlir
  S="$B/fuzz-mlir/seeds"
  mkdir -p "$S" "$B/fuzz-mlir/$TARGET/corpus"
  if [[ -z "$(ls -A "$S")" ]]; then
    # One seed per `// -----` chunk of every .mlir file.
    find "$ROOT/test" "$ROOT/examples" -name '*.mlir' | sort | while read -r f; do
      base="$(echo "${f#$ROOT/}" | tr '/' '_')"
      awk -v out="$S/$base" 'BEGIN{n=0; f=out "." n} /^\/\/ -----/{n++; f=out "." n; next} {print > f}' "$f"
    done
  fi
  cd "$B/fuzz-mlir/$TARGET"
  # A crash stops libFuzzer; the loop starts it again on the grown corpus
  # until the time is spent, each run's full report in run-<n>.log next to
  # its crash-* file. (Constructs Debian's MLIR parser crashes on are
  # refused by lf::parseModule before parsing: docs/robustness.md.)
  end=$((SECONDS + SECONDS_TO_RUN))
  n=$(find . -maxdepth 1 -name 'run-*.log' | wc -l)
  while (( SECONDS < end )); do
    n=$((n + 1))
    LF_FUZZ_MODE="$TARGET" "$B/bin/lf-fuzz-mlir" -max_total_time=$((end - SECONDS)) \
      -jobs="$JOBS" -workers="$JOBS" -max_len=16384 -timeout=30 -rss_limit_mb=4096 \
      -print_final_stats=1 corpus "$S" > "run-$n.log" 2>&1 || true
    cat fuzz-*.log >> "run-$n.log" 2>/dev/null || true
    rm -f fuzz-*.log
    grep -a -h "stat::number_of_executed_units\|SUMMARY" "run-$n.log" | sed "s/^/run $n: /" || true
  done
  ;;
*)
  echo "fuzz.sh: target must be onnx, parse, optimize, cpu or gpu" >&2
  exit 2
  ;;
esac
