#!/usr/bin/env bash
# lightfuse driver: installs what is missing, builds what is stale, then runs
# the requested job.
#
#   ./build.sh demo     compile the example model graph and run it (main job)
#   ./build.sh test     build and run the whole test suite (what CI runs)
#   ./build.sh build    configure and build only
#   ./build.sh docs     regenerate the ODS reference docs into docs/generated/
#   ./build.sh deps     install missing Debian packages only
#   ./benchmarks/run.sh the CPU benchmark table (adds python3-torch, libdnnl-dev)
#
# Environment: BUILD_DIR (default build), BUILD_TYPE (default Release),
# LF_SKIP_DEPS=1 to skip the package check.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
BUILD_TYPE="${BUILD_TYPE:-Release}"
LLVM_PREFIX=/usr/lib/llvm-22

# Debian packages the build and the tests need. Benchmarks add their own.
CORE_PKGS=(cmake ninja-build ccache clang-22 lld-22 llvm-22-dev llvm-22-tools
           libmlir-22-dev mlir-22-tools libomp-22-dev python3-numpy
           libonnx-dev libprotobuf-dev libonnx-testdata python3-onnx python3-torch
           libclang-rt-22-dev)
# OpenBLAS gives PyTorch an optimized BLAS (Debian's default is netlib's).
BENCH_PKGS=(python3-torch libdnnl-dev libopenblas0-pthread)

log() { printf '[build.sh] %s\n' "$*" >&2; }

install_pkgs() {
  [[ "${LF_SKIP_DEPS:-0}" == 1 ]] && return 0
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
      || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return 0
  log "installing missing packages: ${missing[*]}"
  local sudo=()
  [[ $(id -u) -ne 0 ]] && sudo=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq >/dev/null || true
  local aptlog
  aptlog=$(mktemp)
  if ! "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$aptlog" 2>&1; then
    cat "$aptlog" >&2
    rm -f "$aptlog"
    log "package installation failed"
    exit 1
  fi
  rm -f "$aptlog"
}

# ONNX Runtime for the importer's reference checks: a small venv that sees
# Debian's numpy, onnx and torch (the tests that need it are UNSUPPORTED
# where PyPI cannot be reached).
ort_venv() {
  local v="$BUILD_DIR/ort-venv"
  [[ -x "$v/bin/python" ]] && "$v/bin/python" -c "import onnxruntime" 2>/dev/null && return 0
  log "creating $v (onnxruntime from PyPI)"
  { /usr/bin/python3 -m venv --system-site-packages "$v" &&
    "$v/bin/pip" install -q "onnxruntime==1.19.2"; } >/dev/null 2>&1 ||
    log "onnxruntime unavailable: its comparisons will be UNSUPPORTED"
}

configure() {
  if [[ -f "$BUILD_DIR/build.ninja" ]]; then return 0; fi
  log "configuring $BUILD_DIR ($BUILD_TYPE)"
  local launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache
                                            -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  cmake -G Ninja -S "$ROOT" -B "$BUILD_DIR" \
    -DCMAKE_BUILD_TYPE="$BUILD_TYPE" \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DLLVM_USE_LINKER=lld \
    -DLLVM_EXTERNAL_LIT="$LLVM_PREFIX/bin/lit" \
    "${launcher[@]}" >/dev/null
}

build() {
  install_pkgs "${CORE_PKGS[@]}"
  configure
  ninja -C "$BUILD_DIR" "$@"
}

cmd="${1:-}"
shift || true
case "$cmd" in
  deps) install_pkgs "${CORE_PKGS[@]}" ;;
  deps-bench) install_pkgs "${BENCH_PKGS[@]}" ;;
  build) build "$@" ;;
  test)
    build
    ort_venv
    # ODS descriptions must stay valid markdown-producing tablegen input.
    ninja -C "$BUILD_DIR" mlir-doc >/dev/null
    if ! diff -rq "$BUILD_DIR/docs/LF" "$ROOT/docs/generated" >/dev/null; then
      log "docs/generated/ is stale: run ./build.sh docs and commit the result"
      exit 1
    fi
    ninja -C "$BUILD_DIR" check-lf
    ;;
  docs)
    build mlir-doc
    mkdir -p "$ROOT/docs/generated"
    cp "$BUILD_DIR"/docs/LF/*.md "$ROOT/docs/generated/"
    log "docs written to docs/generated/"
    ;;
  demo)
    build
    exec "$ROOT/examples/run-demo.sh" "$BUILD_DIR"
    ;;
  *)
    sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
