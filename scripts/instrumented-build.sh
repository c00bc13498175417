# Sourced by scripts/fuzz.sh and scripts/sanitize.sh: clang's sanitizer and
# fuzzer runtimes, and a clang-22 build directory with extra CMake flags.

# Installs libclang-rt-22-dev (libFuzzer, ASan, UBSan runtimes) if missing.
ensure_clang_rt() {
  dpkg-query -W -f='${Status}' libclang-rt-22-dev 2>/dev/null | grep -q "install ok installed" && return 0
  local sudo=()
  [[ $(id -u) -ne 0 ]] && sudo=(sudo)
  "${sudo[@]}" apt-get install -y -qq libclang-rt-22-dev >/dev/null
}

# configure_instrumented DIR BUILD_TYPE CMAKE_FLAG...: configures DIR once.
configure_instrumented() {
  local dir="$1" type="$2"
  shift 2
  [[ -f "$dir/build.ninja" ]] && return 0
  cmake -G Ninja -S "$ROOT" -B "$dir" -DCMAKE_BUILD_TYPE="$type" \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 -DLLVM_USE_LINKER=lld \
    -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit "$@" >/dev/null
}
