#!/usr/bin/env bash
# Builds build-asan/ with AddressSanitizer and UndefinedBehaviorSanitizer on
# lightfuse's own code (compiler passes, importer, C API, runtime, tools) and
# runs the lit suite against it. Python tests load the instrumented C API
# through LD_PRELOAD of clang's ASan runtime; leak checking is off (MLIR's
# and Python's process-lifetime allocations are not leaks).
#   scripts/sanitize.sh [lit args...]      e.g. scripts/sanitize.sh -q
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
B="$ROOT/build-asan"
. "$ROOT/scripts/instrumented-build.sh"
ensure_clang_rt
configure_instrumented "$B" RelWithDebInfo -DLF_SANITIZE=address,undefined
ninja -C "$B"
ASAN_RT="$(clang-22 -print-file-name=libclang_rt.asan-x86_64.so)"
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LF_ASAN_PRELOAD="$ASAN_RT"
export LF_SANITIZE_CFLAGS="-fsanitize=address,undefined -shared-libsan -Wl,-rpath,$(dirname "$ASAN_RT")"
# The ort venv is the plain build's; lit finds it through the object root.
[[ -e "$B/ort-venv" || ! -d "$ROOT/build/ort-venv" ]] || ln -s "$ROOT/build/ort-venv" "$B/ort-venv"
/usr/lib/llvm-22/bin/lit "$B/test" "$@"
