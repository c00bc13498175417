# -*- Python -*-
# lit configuration of the lightfuse test suite.

import os
import shutil
import subprocess

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "LIGHTFUSE"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".c", ".py", ".test"]
# Tests may name the C API library directly (Python package, C programs).
config.environment["LIGHTFUSE_LIB_DIR"] = config.lightfuse_lib_dir
# Every test compiles afresh (the JIT's on-disk object cache is off), except
# where a test turns it on with its own LF_CACHE_DIR.
config.environment["LF_CACHE"] = "0"
config.excludes = ["CMakeLists.txt", "README.md", "lit.cfg.py", "lit.site.cfg.py",
                   "Inputs"]

config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.lightfuse_obj_root, "test")

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%lf_src_root", config.lightfuse_src_root))
config.substitutions.append(("%lf_obj_root", config.lightfuse_obj_root))
config.substitutions.append(("%lf_lib_dir", config.lightfuse_lib_dir))

llvm_config.with_system_environment(["HOME", "INCLUDE", "LIB", "TMP", "TEMP"])
llvm_config.use_default_substitutions()

llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.lightfuse_tools_dir, append_path=True)

tool_dirs = [config.lightfuse_tools_dir, config.llvm_tools_dir]
tools = ["lf-opt", "lf-run", "lf-compile", "lf-capi-test", "lf-import-onnx"]
# lf-fuzz-mlir is built when clang's libFuzzer runtime is there: `REQUIRES: libfuzzer`.
if os.path.exists(os.path.join(config.lightfuse_tools_dir, "lf-fuzz-mlir")):
    tools.append("lf-fuzz-mlir")
    config.available_features.add("libfuzzer")
llvm_config.add_tool_substitutions(tools, tool_dirs)

# A C compiler for the AOT tests.
cc = shutil.which("clang-22") or shutil.which("cc")
if cc:
    # scripts/sanitize.sh: C programs link the instrumented runtime.
    cc_flags = os.environ.get("LF_SANITIZE_CFLAGS", "")
    config.substitutions.append(("%cc", f"{cc} {cc_flags}".strip()))

# The interpreter that sees Debian's numpy/torch (python3 on PATH may not).
python = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else shutil.which("python3")
# build/ort-venv (./build.sh test makes it) is that interpreter plus
# onnxruntime, for the importer's reference checks.
ort_python = os.path.join(config.lightfuse_obj_root, "ort-venv", "bin", "python")
if os.path.exists(ort_python):
    python = ort_python
# scripts/sanitize.sh: Python loads the ASan-instrumented C API, so the ASan
# runtime must come first.
asan_preload = os.environ.get("LF_ASAN_PRELOAD")
if asan_preload:
    config.substitutions.append(("%PYTHON", f"env LD_PRELOAD={asan_preload} {python}"))
    for var in ["ASAN_OPTIONS", "UBSAN_OPTIONS", "LF_SANITIZE_CFLAGS"]:
        if var in os.environ:
            config.environment[var] = os.environ[var]
else:
    config.substitutions.append(("%PYTHON", python))
try:
    subprocess.run([python, "-c", "import numpy"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    config.available_features.add("numpy")
except Exception:
    pass
for feature, module in [("torch", "torch"), ("onnx", "onnx"), ("onnxruntime", "onnxruntime")]:
    try:
        subprocess.run([python, "-c", "import " + module], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        config.available_features.add(feature)
    except Exception:
        pass
if os.path.isdir("/usr/share/libonnx-testdata/data/node"):
    config.available_features.add("onnx-testdata")

# The CUDA toolkit's assembler validates the PTX the NVPTX path emits. Tests
# that need it say `REQUIRES: ptxas`; lit reports them UNSUPPORTED without it.
ptxas = shutil.which("ptxas") or next(
    (p for p in [os.path.join(os.environ.get("CUDA_HOME", "/nonexistent"), "bin", "ptxas"),
                 "/usr/local/cuda/bin/ptxas"] if os.path.exists(p)), None)
if ptxas:
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", ptxas))
    config.environment["CUDA_HOME"] = os.path.dirname(os.path.dirname(ptxas))

# A usable CUDA device (driver + GPU): GPU execution tests need it and are
# UNSUPPORTED (skipped, with lit's message) elsewhere.
try:
    probe = subprocess.run([os.path.join(config.lightfuse_tools_dir, "lf-run"), "--cuda-probe"],
                           capture_output=True, text=True, timeout=60)
    if probe.returncode == 0:
        config.available_features.add("cuda-device")
except Exception:
    pass
