//===- Pipelines.h - the lf-optimize pipeline -------------------*- C++ -*-===//
//
// Part of lightfuse. lf-optimize: the graph rewrites of
// lib/Transforms in the order the compile drivers run them.
//
//===----------------------------------------------------------------------===//

#ifndef LIGHTFUSE_TRANSFORMS_PIPELINES_H
#define LIGHTFUSE_TRANSFORMS_PIPELINES_H

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

#include <functional>

namespace mlir::lf {

struct OptimizePipelineOptions
    : public PassPipelineOptions<OptimizePipelineOptions> {
  PassOptions::Option<bool> explain{
      *this, "explain",
      llvm::cl::desc("Emit a remark for every candidate a pass declines, "
                     "saying why"),
      llvm::cl::init(false)};
};

/// lf -> lf graph rewrites that keep semantics: canonicalization, folding of
/// reparameterized weights and inference-time affines into linears, Pre-LN
/// -> Pre-RMSNorm, residual+norm and NormAttention fusion, CSE, weight
/// preparation hoisting. Flag `lf-optimize` (`lf-optimize{explain}`).
/// `beforeHoist`, when set, adds target-specific lf rewrites right before
/// lf-hoist-weight-prep, so the weight-only computation they create (e.g. the
/// CPU kernels' packed weights) is hoisted too.
void buildOptimizePipeline(
    OpPassManager &pm, bool explain = false,
    const std::function<void(OpPassManager &)> &beforeHoist = nullptr);

} // namespace mlir::lf

#endif // LIGHTFUSE_TRANSFORMS_PIPELINES_H
