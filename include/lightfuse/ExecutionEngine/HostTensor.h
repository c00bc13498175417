//===- HostTensor.h - dense host tensors and .npy files ---------*- C++ -*-===//
//
// Part of lightfuse. Row-major host tensors of the element types lf supports,
// conversions between them, and reading/writing NumPy .npy files.
//
//===----------------------------------------------------------------------===//

#ifndef LIGHTFUSE_EXECUTIONENGINE_HOSTTENSOR_H
#define LIGHTFUSE_EXECUTIONENGINE_HOSTTENSOR_H

#include "lightfuse/Driver/Signature.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mlir::lf {

float halfToFloat(uint16_t h);
uint16_t floatToHalf(float f);
float bf16ToFloat(uint16_t h);
uint16_t floatToBF16(float f);

/// A dense, row-major tensor owning its bytes.
struct HostTensor {
  DType dtype = DType::f32;
  std::vector<int64_t> shape;
  std::vector<uint8_t> data;

  int64_t numElements() const;
  /// Element `i` (row-major) widened to float.
  float at(int64_t i) const;
  /// Writes element `i` from a float (rounded to nearest even).
  void set(int64_t i, float v);
  /// A copy converted to `to`.
  HostTensor convertTo(DType to) const;
  /// "f32[8x256]"
  std::string describe() const;

  static HostTensor zeros(DType dtype, std::vector<int64_t> shape);
};

/// Reads a little-endian, C-order .npy file of float32 or float16. Returns
/// std::nullopt and sets `error` on failure.
std::optional<HostTensor> readNpy(llvm::StringRef path, std::string &error);

/// Writes `t` as .npy; bf16 tensors are written as float32 (NumPy has no
/// bfloat16). Returns false and sets `error` on failure.
bool writeNpy(llvm::StringRef path, const HostTensor &t, std::string &error);

} // namespace mlir::lf

#endif // LIGHTFUSE_EXECUTIONENGINE_HOSTTENSOR_H
