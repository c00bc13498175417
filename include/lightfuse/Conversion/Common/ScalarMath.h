//===- ScalarMath.h - f32 scalar math shared by the lowerings ---*- C++ -*-===//
//
// Part of lightfuse. The activations and feature maps of lf ops as arith/math
// on f32 scalars or vectors: used inside linalg bodies (LFToLinalg) and inside
// hand-written GPU kernels (LFToGPU), so both compute the same function.
//
//===----------------------------------------------------------------------===//

#ifndef LIGHTFUSE_CONVERSION_COMMON_SCALARMATH_H
#define LIGHTFUSE_CONVERSION_COMMON_SCALARMATH_H

#include "dialects/lf/LFOps.h"

#include "mlir/IR/Builders.h"

namespace mlir::lf {

/// An f32 scalar constant.
Value constF32(OpBuilder &b, Location loc, double v);

/// 1 / (1 + exp(-x)); exactly 0 (never NaN) for very negative x.
Value sigmoidF32(OpBuilder &b, Location loc, Value x);

/// max(x, 0) + log1p(exp(-|x|)), stable for large |x|.
Value softplusF32(OpBuilder &b, Location loc, Value x);

/// `kind(x)` for an f32 scalar or vector `x`.
Value emitActivationF32(OpBuilder &b, Location loc, ActivationKind kind,
                        Value x);

/// GLU activations and feature maps share their names with ActivationKind
/// (GLU's `none` is the identity).
template <typename EnumT>
ActivationKind asActivation(EnumT kind) {
  return symbolizeActivationKind(stringifyEnum(kind))
      .value_or(ActivationKind::identity);
}

/// The activation a linear-attention feature map applies.
inline ActivationKind featureMapActivation(FeatureMap fm) {
  return asActivation(fm);
}

} // namespace mlir::lf

#endif // LIGHTFUSE_CONVERSION_COMMON_SCALARMATH_H
