//===- Passes.h - lf graph rewrites -----------------------------*- C++ -*-===//
//
// Part of lightfuse. lf -> lf rewrites that keep semantics:
// folding of inference-time affines and weight reparameterizations, Pre-LN to
// Pre-RMSNorm, fusions into fused lf ops, weight-preparation hoisting.
//
//===----------------------------------------------------------------------===//

#ifndef LIGHTFUSE_TRANSFORMS_PASSES_H
#define LIGHTFUSE_TRANSFORMS_PASSES_H

#include "mlir/Pass/Pass.h"

namespace mlir {
class DialectRegistry;
namespace lf {

#define GEN_PASS_DECL
#define GEN_PASS_REGISTRATION
#include "lightfuse/Transforms/Passes.h.inc"

} // namespace lf
} // namespace mlir

#endif // LIGHTFUSE_TRANSFORMS_PASSES_H
