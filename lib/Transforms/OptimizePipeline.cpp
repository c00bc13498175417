//===- OptimizePipeline.cpp - the lf-optimize pipeline --------------------===//
//
// Part of lightfuse.
//
//===----------------------------------------------------------------------===//

#include "lightfuse/Transforms/Pipelines.h"
#include "lightfuse/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void lf::buildOptimizePipeline(
    OpPassManager &pm, bool explain,
    const std::function<void(OpPassManager &)> &beforeHoist) {
  pm.addPass(createCanonicalizerPass());
  // Imported graphs: decomposed norms, SiLU, GELU, GLUs and bias adds back
  // into lf ops, so every rewrite below sees them.
  lf::RecomposePassOptions recompose;
  recompose.explain = explain;
  pm.addNestedPass<func::FuncOp>(lf::createRecomposePass(recompose));
  // Reparameterized weights and depth factors become constants first, so
  // the folds below see constant weights and gains.
  lf::FoldWeightReparamPassOptions reparam;
  reparam.explain = explain;
  pm.addNestedPass<func::FuncOp>(lf::createFoldWeightReparamPass(reparam));
  lf::FoldNormIntoLinearPassOptions fold;
  fold.explain = explain;
  pm.addNestedPass<func::FuncOp>(lf::createFoldNormIntoLinearPass(fold));
  // Pre-LN -> Pre-RMSNorm where the stream's writers are linears or
  // constants. Streams that start at a function argument stay: recentring
  // the input costs a pass over it, which one or two saved mean reductions
  // do not repay (run the pass with center-inputs to do it anyway).
  lf::LayerNormToRMSNormPassOptions rms;
  rms.explain = explain;
  rms.centerInputs = false;
  pm.addNestedPass<func::FuncOp>(lf::createLayerNormToRMSNormPass(rms));
  // After folding, so norms have already handed their gains to linears.
  pm.addNestedPass<func::FuncOp>(lf::createFuseResidualNormPass());
  // NormAttention's norm and gate into the attention (7-18% faster at
  // N = 8192, H = 8, d = 64: docs/benchmarks.md).
  lf::FuseNormAttentionPassOptions na;
  na.explain = explain;
  pm.addNestedPass<func::FuncOp>(lf::createFuseNormAttentionPass(na));
  // lf-fuse-norm-linear and lf-fuse-glu are not here: measured no faster
  // (norm+linear, within noise) or slower (GLU: a weight copy per call) with
  // today's micro-kernel (docs/benchmarks.md, "Fusion").
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  // Weight-side arithmetic of functions with {lf.weight} arguments moves to
  // <fn>_prepare / <fn>_prepared.
  if (beforeHoist)
    beforeHoist(pm);
  pm.addPass(lf::createHoistWeightPrepPass());
}

