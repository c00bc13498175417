//===- FuseElementwise.cpp - elementwise fusion without recomputation -----===//
//
// Part of lightfuse.
//
//===----------------------------------------------------------------------===//

#include "lightfuse/Codegen/Common/Passes.h"
#include "PassDetail.h"

#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/SmallBitVector.h"

namespace mlir::lf {
#define GEN_PASS_DEF_FUSEELEMENTWISEPASS
#include "lightfuse/Codegen/Common/Passes.h.inc"
} // namespace mlir::lf

using namespace mlir;

namespace {
struct FuseElementwisePass
    : lf::impl::FuseElementwisePassBase<FuseElementwisePass> {
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    linalg::ControlFusionFn control = [](OpOperand *fused) {
      Operation *producer = fused->get().getDefiningOp();
      auto consumer = dyn_cast<linalg::LinalgOp>(fused->getOwner());
      if (!producer || !producer->hasOneUse() || !consumer)
        return false;
      // Contractions stay pure multiply-adds: lf-vectorize-contractions
      // register-tiles them, and a fused prologue (a decay mask with its
      // exp) would be recomputed per tile and block the micro-kernel.
      if (linalg::isaContractionOpInterface(consumer))
        return false;
      // Fuse when each producer element is computed once per use that LLVM
      // cannot hoist: the consumer's loops that do not index the operand
      // (it is broadcast along them) must all be inner to the ones that do,
      // so the fused computation is loop-invariant there. A contraction's
      // input (m, k) in loops (m, n, k) is broadcast along n, outside k:
      // fusing would recompute it per output column.
      AffineMap map = consumer.getMatchingIndexingMap(fused);
      if (!map.isProjectedPermutation())
        return false;
      llvm::SmallBitVector used(map.getNumDims());
      for (AffineExpr e : map.getResults())
        used.set(cast<AffineDimExpr>(e).getPosition());
      int lastUsed = used.find_last();
      for (unsigned d = 0; d < map.getNumDims(); ++d)
        if (!used.test(d) && static_cast<int>(d) < lastUsed)
          return false;
      return true;
    };
    linalg::populateElementwiseOpsFusionPatterns(patterns, control);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
