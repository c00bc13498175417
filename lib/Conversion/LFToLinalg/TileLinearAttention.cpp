//===- TileLinearAttention.cpp - Lightning Attention-2 block form ---------===//
//
// Part of lightfuse. The pass wrapper; the block lowering itself is
// LightningBlocks.cpp, which shares the lowering's builders.
//
//===----------------------------------------------------------------------===//

#include "lightfuse/Conversion/LFToLinalg/LFToLinalg.h"
#include "lightfuse/Conversion/LFToLinalg/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/SCF/Transforms/Patterns.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::lf {
#define GEN_PASS_DEF_TILELINEARATTENTIONPASS
#include "lightfuse/Conversion/LFToLinalg/Passes.h.inc"
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
      return signalPassFailure();
    // Peel the last (partial) block off every block loop: the main loop's
    // blocks are then exactly block-size rows, so their temporaries have
    // static shapes (allocated once, out of the loop, after bufferization)
    // and the contraction tiles need no remainder code.
    SmallVector<scf::ForOp> loops;
    getOperation()->walk([&](scf::ForOp f) {
      if (f->hasAttr("lf.attention_blocks"))
        loops.push_back(f);
    });
    IRRewriter rewriter(&getContext());
    for (scf::ForOp f : loops) {
      f->removeAttr("lf.attention_blocks");
      rewriter.setInsertionPoint(f);
      scf::ForOp partial;
      (void)scf::peelForLoopAndSimplifyBounds(rewriter, f, partial);
    }
    // min(B, n - i0) with n a multiple of B (static) also folds to B.
    RewritePatternSet simplify(&getContext());
    scf::populateSCFForLoopCanonicalizationPatterns(simplify);
    if (failed(applyPatternsGreedily(getOperation(), std::move(simplify))))
      signalPassFailure();
  }
};
} // namespace
