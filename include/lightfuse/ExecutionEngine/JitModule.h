//===- JitModule.h - compile lf modules and run them on the CPU -*- C++ -*-===//
//
// Part of lightfuse. Parses an lf module, lowers it with the CPU pipeline and
// JIT-compiles it with MLIR's ExecutionEngine; then invokes its public
// functions on host tensors. Shared by lf-run and the C API.
//
//===----------------------------------------------------------------------===//

#ifndef LIGHTFUSE_EXECUTIONENGINE_JITMODULE_H
#define LIGHTFUSE_EXECUTIONENGINE_JITMODULE_H

#include "lightfuse/ExecutionEngine/HostTensor.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <memory>
#include <string>
#include <vector>

namespace mlir {
class ExecutionEngine;
class MLIRContext;
class ModuleOp;
} // namespace mlir

namespace mlir::lf {

/// A tensor argument or result type: element type and shape, with -1 for a
/// dynamic dimension.
struct TensorSpec {
  DType dtype = DType::f32;
  std::vector<int64_t> shape;
  std::string str() const; // "f32[?x256]"
};

/// Two input dimensions an lf op requires to be equal; checked at every call
/// when either is dynamic (a mismatch would read out of bounds).
struct DimConstraint {
  unsigned inputA, dimA, inputB, dimB;
  std::string op; // "lf.layer_norm at file:line:col", for the message
};

struct FunctionSignature {
  std::string name;
  std::vector<TensorSpec> inputs, results;
  std::vector<DimConstraint> constraints;
  /// The packed `_mlir_ciface_` entry point, resolved once at compile time.
  void (*packed)(void **) = nullptr;
  /// The packed destination-passing variant `<name>__into` (inputs, then
  /// one descriptor per result), when compiled (CompileOptions::intoVariants).
  void (*packedInto)(void **) = nullptr;
  /// Compiled for the GPU (target nvptx): inputs are staged into managed
  /// memory, results live there.
  bool gpu = false;
};

/// A caller-owned input: element type, shape, strides in elements (empty:
/// row-major contiguous) and data.
struct TensorRef {
  DType dtype = DType::f32;
  llvm::ArrayRef<int64_t> shape;
  llvm::ArrayRef<int64_t> strides;
  const void *data = nullptr;
};

/// A result buffer allocated by compiled code: row-major unless `strides`
/// says otherwise. Release it with JitModule::release.
struct ResultBuffer {
  DType dtype = DType::f32;
  std::vector<int64_t> shape, strides;
  void *data = nullptr;       // first element
  void *allocation = nullptr; // what to free
  bool gpu = false;            // allocation is CUDA managed memory
};

/// The signatures of `module`'s public functions, in order. Emits an error
/// on the offending function and returns false when an argument or result
/// is not a ranked tensor of f32, f16 or bf16.
bool collectSignatures(ModuleOp module, std::vector<FunctionSignature> &out);

struct CompileOptions {
  /// "cpu" (the host) or "nvptx" (NVIDIA GPU through the CUDA driver).
  std::string target = "cpu";
  /// nvptx: the GPU architecture the PTX is generated for.
  std::string chip = "sm_80";
  /// LLVM optimization level for the JIT (0-3).
  unsigned optLevel = 3;
  /// Run lf-optimize (graph folding) before lowering.
  bool optimize = true;
  /// Collect lf-optimize's remarks on declined rewrites (see remarks()).
  bool explain = false;
  /// A textual pass pipeline replacing the default `lf-cpu-pipeline`, e.g.
  /// "builtin.module(lf-cpu-pipeline)". Empty: the default.
  std::string pipeline;
  /// When set, writes the IR after each stage into this directory.
  std::string dumpDir;
  /// cpu: threads of the generated code's parallel loops (the
  /// lf-cpu-pipeline option `threads`): 1 sequential, N > 1 OpenMP with N
  /// threads, 0 OpenMP with the runtime's default. OpenMP code needs libomp,
  /// which the JIT loads (an error names it when it is missing).
  unsigned threads = 1;
  /// cpu, default pipeline: give the functions with static result shapes a
  /// destination-passing entry (lf-into-variants), which invokeInto uses
  /// when the caller provides the outputs (results computed in place).
  bool intoVariants = false;
};

class JitModule {
public:
  ~JitModule();

  /// Compiles `source` (MLIR text; `bufferName` names it in diagnostics).
  /// Returns null and fills `error` with located diagnostics on failure.
  static std::unique_ptr<JitModule> compile(llvm::StringRef source,
                                            llvm::StringRef bufferName,
                                            const CompileOptions &options,
                                            std::string &error);

  /// Parses and verifies `source` without compiling it, in a context of
  /// the caller's (see createContext). Returns false with located
  /// diagnostics in `error`.
  static bool verifySource(MLIRContext &context, llvm::StringRef source,
                           llvm::StringRef bufferName, std::string &error);

  /// A context with every dialect and translation lf modules may use.
  static std::unique_ptr<MLIRContext> createContext();

  const std::vector<FunctionSignature> &functions() const { return fns; }

  /// With CompileOptions::explain: every remark of the optimization passes
  /// (one "file:line:col: remark: ..." block per declined candidate).
  const std::string &remarks() const { return remarkText; }
  const FunctionSignature *lookup(llvm::StringRef name) const;

  /// Runs `name` on `inputs`, which must match its signature (element type,
  /// rank, static dimensions). Appends one freshly allocated tensor per
  /// result to `outputs`. Safe to call concurrently.
  bool invoke(llvm::StringRef name, llvm::ArrayRef<const HostTensor *> inputs,
              std::vector<HostTensor> &outputs, std::string &error) const;

  /// Runs `sig` (one of functions()) on caller-owned inputs without copying
  /// contiguous ones; appends the results as buffers the caller releases.
  /// Safe to call concurrently.
  /// `sig` must come from a live JitModule.
  static bool invokeRaw(const FunctionSignature &sig,
                        llvm::ArrayRef<TensorRef> inputs,
                        std::vector<ResultBuffer> &results,
                        std::string &error);
  /// As invokeRaw, but with caller-owned outputs of the result types. When
  /// the function has a destination-passing variant and every output is
  /// contiguous, of the exact static result type and disjoint from the
  /// inputs, the results are computed in place (`results` stays empty);
  /// otherwise this is invokeRaw (then copyOut into the outputs).
  static bool invokeInto(const FunctionSignature &sig,
                         llvm::ArrayRef<TensorRef> inputs,
                         llvm::ArrayRef<TensorRef> outputs,
                         std::vector<ResultBuffer> &results,
                         std::string &error);

private:
  static bool invokeImpl(const FunctionSignature &sig, void (*entry)(void **),
                         llvm::ArrayRef<TensorRef> inputs,
                         llvm::ArrayRef<TensorRef> outputs,
                         std::vector<ResultBuffer> &results,
                         std::string &error);

public:

  /// Copies a result into a caller buffer of the same dtype and shape
  /// (`dst.strides` empty: row-major).
  static void copyOut(const ResultBuffer &src, const TensorRef &dst);

  /// Returns a result's memory to the runtime's allocator.
  static void release(ResultBuffer &buffer);

private:
  JitModule();
  std::unique_ptr<MLIRContext> context;
  std::unique_ptr<ExecutionEngine> engine;
  std::vector<FunctionSignature> fns;
  std::string remarkText;
};

} // namespace mlir::lf

#endif // LIGHTFUSE_EXECUTIONENGINE_JITMODULE_H
