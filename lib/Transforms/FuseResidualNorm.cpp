//===- FuseResidualNorm.cpp - residual add + norm into one op -------------===//
//
// Part of lightfuse.
//
//===----------------------------------------------------------------------===//

#include "lightfuse/Transforms/Passes.h"
#include "PassDetail.h"

#include "dialects/lf/LFOps.h"

#include "mlir/IR/PatternMatch.h"

namespace mlir::lf {
#define GEN_PASS_DEF_FUSERESIDUALNORMPASS
#include "lightfuse/Transforms/Passes.h.inc"
} // namespace mlir::lf

using namespace mlir;
using namespace mlir::lf;

namespace {
struct FuseResidualNormPass
    : lf::impl::FuseResidualNormPassBase<FuseResidualNormPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<Operation *> norms;
    getOperation().walk([&](Operation *op) {
      if (isa<LayerNormOp, RMSNormOp>(op))
        norms.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (Operation *norm : norms) {
      Value in = norm->getOperand(0);
      auto add = in.getDefiningOp<AddOp>();
      // A norm that does not read an add is not a candidate (every
      // add + norm pair fuses, so there is nothing to explain).
      if (!add)
        continue;
      // Right before the norm: the add, its operands and the norm's
      // parameters all dominate that point.
      rewriter.setInsertionPoint(norm);
      auto kind = [&](NormKind k) {
        return NormKindAttr::get(&getContext(), k);
      };
      ResidualNormOp fused;
      if (auto ln = dyn_cast<LayerNormOp>(norm))
        fused = ResidualNormOp::create(
            rewriter, norm->getLoc(), add.getType(), add.getType(),
            kind(NormKind::layer), add.getLhs(), add.getRhs(), ln.getGain(),
            ln.getBias(), ln.getEpsAttr(), ln.getScaleAttr());
      else {
        auto rms = cast<RMSNormOp>(norm);
        fused = ResidualNormOp::create(
            rewriter, norm->getLoc(), add.getType(), add.getType(),
            kind(NormKind::rms), add.getLhs(), add.getRhs(), rms.getGain(), Value(),
            rms.getEpsAttr(), rms.getScaleAttr());
      }
      rewriter.replaceOp(norm, fused.getResult());
      // Other users of the sum read the fused op's sum when it dominates
      // them; users before the norm keep the add.
      rewriter.replaceUsesWithIf(add.getResult(), fused.getSum(),
                                 [&](OpOperand &use) {
                                   return fused->isBeforeInBlock(
                                       use.getOwner());
                                 });
      if (add->use_empty())
        rewriter.eraseOp(add);
      ++numFused;
    }
  }
};
} // namespace
