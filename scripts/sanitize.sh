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
if ! dpkg-query -W -f='${Status}' libclang-rt-22-dev 2>/dev/null | grep -q "install ok installed"; then
  sudo=(); [[ $(id -u) -ne 0 ]] && sudo=(sudo)
  "${sudo[@]}" apt-get install -y -qq libclang-rt-22-dev >/dev/null
fi
if [[ ! -f "$B/build.ninja" ]]; then
  cmake -G Ninja -S "$ROOT" -B "$B" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 -DLLVM_USE_LINKER=lld \
    -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit -DLF_SANITIZE=address,undefined >/dev/null
fi
ninja -C "$B"
ASAN_RT="$(clang-22 -print-file-name=libclang_rt.asan-x86_64.so)"
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LF_ASAN_PRELOAD="$ASAN_RT"
export LF_SANITIZE_CFLAGS="-fsanitize=address,undefined -shared-libsan -Wl,-rpath,$(dirname "$ASAN_RT")"
# The ort venv is the plain build's; lit finds it through the object root.
[[ -e "$B/ort-venv" || ! -d "$ROOT/build/ort-venv" ]] || ln -s "$ROOT/build/ort-venv" "$B/ort-venv"
/usr/lib/llvm-22/bin/lit "$B/test" "$@"
