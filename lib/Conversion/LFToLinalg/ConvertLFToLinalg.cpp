//===- ConvertLFToLinalg.cpp - lower lf ops to linalg on tensors ----------===//
//
// Part of lightfuse. The pass and the populate function gathering every op
// family (Norms.cpp, LinearAndGates.cpp, LinearAttention.cpp,
// QuadraticAttention.cpp, FlowAttention.cpp, PositionalEncoding.cpp,
// StateSpace.cpp, WeightReparams.cpp; LightningBlocks.cpp is the separate
// lf-tile-linear-attention).
//
//===----------------------------------------------------------------------===//

#include "lightfuse/Conversion/LFToLinalg/LFToLinalg.h"
#include "lightfuse/Conversion/LFToLinalg/Passes.h"

#include "dialects/lf/LFDialect.h"
#include "dialects/lf/LFOps.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/DialectConversion.h"

namespace mlir::lf {
#define GEN_PASS_DEF_CONVERTLFTOLINALGPASS
#include "lightfuse/Conversion/LFToLinalg/Passes.h.inc"
} // namespace mlir::lf

using namespace mlir;
using namespace mlir::lf;

namespace {
struct ConvertLFToLinalgPass
    : lf::impl::ConvertLFToLinalgPassBase<ConvertLFToLinalgPass> {
  using Base::Base;
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    // Ops whose run-time form does not exist get a diagnostic, not a
    // "failed to legalize".
    WalkResult unsupported = getOperation()->walk([](SigmaReparamOp op) {
      if (op.getU())
        return WalkResult::advance();
      // The weight may well be constant: then the fold did not run (the
      // graph skipped lf-optimize) or declined, and saying so is the fix.
      if (matchPattern(op.getWeight(), m_Constant()))
        op.emitOpError(
            "without `u` was not folded: its spectral norm is computed at "
            "compile time by lf-fold-weight-reparam (part of lf-optimize), "
            "which did not run or declined it (lf-optimize{explain} says "
            "why); compile without --no-optimize, or pass the stored "
            "power-iteration vector as u(...) to compute it at run time");
      else
        op.emitOpError(
            "without `u` needs a constant weight: its spectral norm is "
            "computed at compile time by lf-fold-weight-reparam (part of "
            "lf-optimize); pass the stored power-iteration vector as u(...) "
            "to compute it at run time");
      return WalkResult::interrupt();
    });
    if (unsupported.wasInterrupted())
      return signalPassFailure();
    RewritePatternSet patterns(ctx);
    populateLFToLinalgConversionPatterns(patterns);
    ConversionTarget target(*ctx);
    target.addIllegalDialect<LFDialect>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace

void mlir::lf::populateLFToLinalgConversionPatterns(
    RewritePatternSet &patterns) {
  populateLFToLinalgNormPatterns(patterns);
  populateLFToLinalgLinearAndGatesPatterns(patterns);
  populateLFToLinalgLinearAttentionPatterns(patterns);
  populateLFToLinalgQuadraticAttentionPatterns(patterns);
  populateLFToLinalgFlowAttentionPatterns(patterns);
  populateLFToLinalgPositionalEncodingPatterns(patterns);
  populateLFToLinalgStateSpacePatterns(patterns);
  populateLFToLinalgWeightReparamPatterns(patterns);
}
