//===- JitModule.h - compile lf modules and run them in-process -*- C++ -*-===//
//
// Part of lightfuse. Parses an lf module, lowers it through the compile
// driver (lightfuse/Driver/Compiler.h: the CPU pipeline, or the NVPTX one with
// kernels embedded for the CUDA driver) and JIT-compiles the host code with
// MLIR's ExecutionEngine; then invokes its public functions on host tensors.
// Shared by lf-run, the C API and (through it) Python.
//
//===----------------------------------------------------------------------===//

#ifndef LIGHTFUSE_EXECUTIONENGINE_JITMODULE_H
#define LIGHTFUSE_EXECUTIONENGINE_JITMODULE_H

#include "lightfuse/Driver/Compiler.h"
#include "lightfuse/Driver/Signature.h"
#include "lightfuse/ExecutionEngine/HostTensor.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <memory>
#include <string>
#include <vector>

namespace llvm::orc {
class LLJIT;
} // namespace llvm::orc

namespace mlir {
class ExecutionEngine;
class MLIRContext;
class ModuleOp;
} // namespace mlir

namespace mlir::lf {

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
  /// Set instead of `engine` for CPU code, compiled in parallel by
  /// compileHostObjects or loaded from the object cache.
  std::unique_ptr<llvm::orc::LLJIT> objectJit;
  bool loadCached(const std::string &dir, const std::string &key);
  /// Loads `objects` into a fresh ORC JIT and resolves the packed entry
  /// points of `sigs` into `fns`; false with `why` on failure.
  bool loadObjects(llvm::ArrayRef<llvm::StringRef> objects,
                   std::vector<FunctionSignature> sigs, std::string &why);
  std::vector<FunctionSignature> fns;
  std::string remarkText;
};

} // namespace mlir::lf

#endif // LIGHTFUSE_EXECUTIONENGINE_JITMODULE_H
