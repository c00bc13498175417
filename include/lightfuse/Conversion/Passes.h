//===- Passes.h - lightfuse conversion passes -------------------*- C++ -*-===//
//
// Part of lightfuse.
//
//===----------------------------------------------------------------------===//

#ifndef LIGHTFUSE_CONVERSION_PASSES_H
#define LIGHTFUSE_CONVERSION_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"

#include "dialects/lf/LFOps.h"

namespace mlir {
class RewritePatternSet;
namespace lf {

#define GEN_PASS_DECL
#define GEN_PASS_REGISTRATION
#include "lightfuse/Conversion/Passes.h.inc"

/// Adds the patterns that rewrite every lf op into linalg/tensor/arith/math/
/// scf on tensors.
void populateLFToLinalgConversionPatterns(RewritePatternSet &patterns);

/// Adds the pattern that lowers causal lf.linear_attention (decay per head
/// or none) to the Lightning Attention-2 block recurrence with `blockSize`
/// rows per block (lf-tile-linear-attention).
void populateTileLinearAttentionPatterns(RewritePatternSet &patterns,
                                         int64_t blockSize,
                                         bool perChannel = true,
                                         unsigned threads = 1);

/// `kind(x)` for an f32 scalar or vector `x` (the activations and feature
/// maps of the lowering), for kernels written outside linalg.
Value emitActivationF32(OpBuilder &b, Location loc, ActivationKind kind,
                        Value x);

/// The activation a linear-attention feature map applies.
ActivationKind featureMapActivation(FeatureMap fm);

/// Expands lf.norm_attention at `b`'s insertion point into
/// lf.linear_attention, the head-concatenating transpose, lf.rms_norm and
/// lf.mul; returns the value replacing its result.
Value buildNormAttentionExpansion(OpBuilder &b, NormAttentionOp op);

} // namespace lf
} // namespace mlir

#endif // LIGHTFUSE_CONVERSION_PASSES_H
