//===- TilingUtils.h - shared steps of the register-tiling passes ---------===//
//
// Part of lightfuse. Used by lf-vectorize-contractions and
// lf-vectorize-transposes.
//
//===----------------------------------------------------------------------===//

#ifndef LIGHTFUSE_LIB_TRANSFORMS_TILINGUTILS_H
#define LIGHTFUSE_LIB_TRANSFORMS_TILINGUTILS_H

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Interfaces/LoopLikeInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::lf {

/// Peels every scf.for tile loop whose step does not divide its extent, so
/// the main loop iterates over full tiles only.
inline void peelTileLoops(RewriterBase &rewriter,
                          ArrayRef<LoopLikeOpInterface> loops) {
  for (LoopLikeOpInterface loop : loops) {
    auto forOp = dyn_cast<scf::ForOp>(loop.getOperation());
    if (!forOp)
      continue;
    scf::ForOp partial;
    (void)scf::peelForLoopAndSimplifyBounds(rewriter, forOp, partial);
  }
}

/// Runs every loaded dialect's and registered op's canonicalization
/// patterns on `root` (folds the peeled loops' tile sizes to constants, so
/// full tiles get static shapes).
inline LogicalResult canonicalizeAll(Operation *root) {
  MLIRContext *ctx = root->getContext();
  RewritePatternSet patterns(ctx);
  for (Dialect *d : ctx->getLoadedDialects())
    d->getCanonicalizationPatterns(patterns);
  for (RegisteredOperationName op : ctx->getRegisteredOperations())
    op.getCanonicalizationPatterns(patterns, ctx);
  return applyPatternsGreedily(root, std::move(patterns));
}

} // namespace mlir::lf

#endif // LIGHTFUSE_LIB_TRANSFORMS_TILINGUTILS_H
