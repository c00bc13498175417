//===- Expansions.h - lf ops expanded into other lf ops ---------*- C++ -*-===//
//
// Part of lightfuse. Fused lf ops that a target without a dedicated lowering
// expands back into the ops they fuse (both the linalg lowering and the GPU
// kernel conversions use these).
//
//===----------------------------------------------------------------------===//

#ifndef LIGHTFUSE_CONVERSION_COMMON_EXPANSIONS_H
#define LIGHTFUSE_CONVERSION_COMMON_EXPANSIONS_H

#include "dialects/lf/LFOps.h"

#include "mlir/IR/Builders.h"

namespace mlir::lf {

/// Expands lf.norm_attention at `b`'s insertion point into
/// lf.linear_attention, the head-concatenating transpose (linalg.transpose +
/// tensor.collapse_shape), lf.rms_norm and lf.mul; returns the value
/// replacing its result.
Value buildNormAttentionExpansion(OpBuilder &b, NormAttentionOp op);

} // namespace mlir::lf

#endif // LIGHTFUSE_CONVERSION_COMMON_EXPANSIONS_H
