//===- ApproximateMath.cpp - vectorizable polynomial math -----------------===//
//
// Part of lightfuse.
//
//===----------------------------------------------------------------------===//

#include "lightfuse/Codegen/CPU/Passes.h"
#include "PassDetail.h"

#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::lf {
#define GEN_PASS_DEF_APPROXIMATEMATHPASS
#include "lightfuse/Codegen/CPU/Passes.h.inc"
} // namespace mlir::lf

using namespace mlir;

namespace {
struct ApproximateMathPass
    : lf::impl::ApproximateMathPassBase<ApproximateMathPass> {
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    MathPolynomialApproximationOptions options;
    options.enableAvx2 = enableAvx2;
    populateMathPolynomialApproximationPatterns(patterns, options);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
