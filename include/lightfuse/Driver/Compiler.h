//===- Compiler.h - the one compile sequence of lightfuse -------*- C++ -*-===//
//
// Part of lightfuse. What every entry point (lf-compile, the JIT behind
// lf-run, the C API and Python) runs to turn an lf module into code:
// validate the options, lf-optimize (on its own: it may add <fn>_prepare
// functions), read the function signatures, lower for the target (or a
// caller's pipeline) and emit host code or GPU kernel images.
//
//===----------------------------------------------------------------------===//

#ifndef LIGHTFUSE_DRIVER_COMPILER_H
#define LIGHTFUSE_DRIVER_COMPILER_H

#include "lightfuse/Driver/Signature.h"

#include "mlir/Support/LogicalResult.h"

#include <functional>
#include <string>
#include <vector>

namespace llvm {
class raw_pwrite_stream;
class TargetMachine;
} // namespace llvm

namespace mlir {
class ModuleOp;
class PassManager;

namespace lf {

struct CompileOptions {
  /// "cpu" (the host) or "nvptx" (NVIDIA GPU through the CUDA driver).
  std::string target = "cpu";
  /// nvptx: the GPU architecture the PTX is generated for (sm_80, sm_90a...).
  std::string chip = "sm_80";
  /// cpu: the target CPU of emitted objects (empty: the host).
  std::string cpu;
  /// LLVM optimization level (0-3). 2 by default: the hot loops are
  /// MLIR-vectorized or in the runtime's kernels, and -O3 measured no faster
  /// while compiling slower (docs/benchmarks.md, "JIT optimization level").
  unsigned optLevel = 2;
  /// Run lf-optimize (graph folding) before lowering.
  bool optimize = true;
  /// Emit a remark for each rewrite lf-optimize declines and, for nvptx, each
  /// op a kernel pass leaves to the generic GPU kernels.
  bool explain = false;
  /// A textual pass pipeline replacing the default target pipeline, e.g.
  /// "builtin.module(lf-cpu-pipeline)". Empty: the default.
  std::string pipeline;
  /// When set, writes the IR after each pass into this directory.
  std::string dumpDir;
  /// cpu: threads of the generated code's parallel loops (the
  /// lf-cpu-pipeline option `threads`): 1 sequential, N > 1 N threads of
  /// the runtime's pool, 0 the runtime's default (LF_NUM_THREADS,
  /// OMP_NUM_THREADS, else one per core).
  unsigned threads = 1;
  /// cpu, default pipeline: give the functions with static result shapes a
  /// destination-passing entry (lf-into-variants), which invokeInto uses
  /// when the caller provides the outputs (results computed in place).
  bool intoVariants = false;
  /// cpu: f32 linears as calls of the runtime's packed GEMM kernel
  /// (lf-cpu-linear-ukernel); off: register-tiled linalg contractions.
  bool ukernels = true;
  /// nvptx: the dedicated kernels (lf-gpu-row-norms, lf-gpu-linear-attention,
  /// lf-gpu-linear); off, those ops use the generic kernels.
  bool rowKernels = true;
  bool attentionKernels = true;
  bool gemmKernels = true;
};

/// How far lowerModule goes.
enum class CompileStage {
  /// lf lowered to linalg on tensors (the CPU pipeline's first stage).
  Linalg,
  /// nvptx: gpu.launch_func and outlined gpu.func kernels on memrefs.
  GPUKernels,
  /// The LLVM dialect (with embedded kernel images for nvptx), ready for
  /// translation to LLVM IR.
  LLVM,
};

/// Checks the options before any pass or LLVM code runs: a known target, an
/// NVIDIA architecture name for nvptx, an optimization level of 0-3.
/// Returns an empty string when valid, else the message.
std::string validateCompileOptions(const CompileOptions &options);

/// Hooks the tools use to configure pass managers (command-line
/// instrumentation) and to take the remarks of lf-optimize apart.
struct CompileHooks {
  /// Called on each pass manager before it runs.
  std::function<LogicalResult(PassManager &)> configure;
  /// Called after lf-optimize succeeded.
  std::function<void()> afterOptimize;
};

/// Compiles `module` in place to `stage`: lf-optimize (when
/// options.optimize), the signatures of its public functions (into
/// `signatures`), then the target pipeline or options.pipeline. Diagnostics
/// go to the context's handler; on failure `error` holds a one-line summary.
LogicalResult lowerModule(ModuleOp module, const CompileOptions &options,
                          CompileStage stage,
                          std::vector<FunctionSignature> &signatures,
                          std::string &error,
                          const CompileHooks &hooks = {});

/// The kernel image (PTX or cubin) of a module lowered for nvptx, or empty
/// when it launches no kernel.
std::string extractKernelImage(ModuleOp module);

/// What emitHostCode writes.
enum class HostOutput { LLVMIR, Assembly, Object };

/// Translates a module lowered to the LLVM dialect to LLVM IR, optimizes it
/// at options.optLevel for the host (or options.cpu) and writes `kind` to
/// `os`. Only the _mlir_ciface_ entry points stay exported.
LogicalResult emitHostCode(ModuleOp module, const CompileOptions &options,
                           HostOutput kind, llvm::raw_pwrite_stream &os,
                           std::string &error);

/// What the JIT loads: a module lowered to the LLVM dialect for the CPU,
/// translated to LLVM IR with a packed `_mlir_<fn>(void **args)` wrapper of
/// each `_mlir_ciface_<fn>` entry point (the ExecutionEngine convention),
/// optimized at options.optLevel and compiled for the host into relocatable
/// objects. LLVM's share of a compile is most of it (a TransNormerLLM layer:
/// ~90%), so the module is split by function (llvm::SplitModule, balanced by
/// size; lf-outline-loop-nests leaves one function per loop nest) into up
/// to `threads` partitions (0: one per core) that are optimized and compiled
/// in parallel, each in its own LLVMContext. Cross-partition calls are plain
/// external calls; the outlined nests are noinline anyway.
LogicalResult compileHostObjects(ModuleOp module, const CompileOptions &options,
                                 unsigned threads,
                                 std::vector<std::string> &objects,
                                 std::string &error);

} // namespace lf
} // namespace mlir

#endif // LIGHTFUSE_DRIVER_COMPILER_H
