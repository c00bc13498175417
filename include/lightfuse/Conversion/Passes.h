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

namespace mlir {
class RewritePatternSet;
namespace lf {

#define GEN_PASS_DECL
#define GEN_PASS_REGISTRATION
#include "lightfuse/Conversion/Passes.h.inc"

/// Adds the patterns that rewrite every lf op into linalg/tensor/arith/math/
/// scf on tensors.
void populateLFToLinalgConversionPatterns(RewritePatternSet &patterns);

} // namespace lf
} // namespace mlir

#endif // LIGHTFUSE_CONVERSION_PASSES_H
