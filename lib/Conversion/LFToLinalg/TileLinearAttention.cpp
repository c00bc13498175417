//===- TileLinearAttention.cpp - Lightning Attention-2 block form ---------===//
//
// Part of lightfuse. The pass wrapper; the block lowering itself lives with
// the other lf lowerings (LFToLinalg.cpp), whose builders it shares.
//
//===----------------------------------------------------------------------===//

#include "lightfuse/Conversion/Passes.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::lf {
#define GEN_PASS_DEF_TILELINEARATTENTIONPASS
#include "lightfuse/Conversion/Passes.h.inc"
} // namespace mlir::lf

using namespace mlir;

namespace {
struct TileLinearAttentionPass
    : lf::impl::TileLinearAttentionPassBase<TileLinearAttentionPass> {
  using Base::Base;
  void runOnOperation() override {
    if (blockSize <= 0) {
      getOperation()->emitError(
          "lf-tile-linear-attention: block-size must be positive");
      return signalPassFailure();
    }
    RewritePatternSet patterns(&getContext());
    lf::populateTileLinearAttentionPatterns(patterns, blockSize, perChannel,
                                            threads);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
