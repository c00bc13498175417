//===- Signature.h - the host ABI of compiled lf functions ------*- C++ -*-===//
//
// Part of lightfuse. What a caller must know of each public function of a
// compiled module: element types and shapes of its tensors, the equal-size
// requirements between dynamic dims of its inputs, and (once JIT-compiled)
// its entry points. Read off the tensor-level functions after lf-optimize.
//
//===----------------------------------------------------------------------===//

#ifndef LIGHTFUSE_DRIVER_SIGNATURE_H
#define LIGHTFUSE_DRIVER_SIGNATURE_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace mlir {
class ModuleOp;
} // namespace mlir

namespace mlir::lf {

/// Element types of the tensors lf functions take and return.
enum class DType { f32, f16, bf16, i64, i32 };

/// Size in bytes of one element.
size_t dtypeSize(DType t);
/// "f32", "f16", "bf16".
const char *dtypeName(DType t);

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

/// The signatures of `module`'s public functions, in order. Emits an error
/// on the offending function and returns false when an argument or result
/// is not a ranked tensor of f32, f16 or bf16.
bool collectSignatures(ModuleOp module, std::vector<FunctionSignature> &out);

} // namespace mlir::lf

#endif // LIGHTFUSE_DRIVER_SIGNATURE_H
