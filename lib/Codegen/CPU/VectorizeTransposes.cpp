//===- VectorizeTransposes.cpp - register-blocked minor transposes --------===//
//
// Part of lightfuse.
//
//===----------------------------------------------------------------------===//

#include "lightfuse/Codegen/CPU/Passes.h"
#include "PassDetail.h"

#include "TilingUtils.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::lf {
#define GEN_PASS_DEF_VECTORIZETRANSPOSESPASS
#include "lightfuse/Codegen/CPU/Passes.h.inc"
} // namespace mlir::lf

using namespace mlir;

namespace {

/// A generic that copies its one input to its output with the two innermost
/// dimensions swapped (e.g. the keys laid out as columns for q . k^T).
bool isMinorTranspose(linalg::GenericOp op) {
  if (op.getNumDpsInputs() != 1 || op.getNumDpsInits() != 1 ||
      !op.hasPureTensorSemantics() ||
      op.getNumParallelLoops() != op.getNumLoops() || op.getNumLoops() < 2)
    return false;
  Block &body = op.getRegion().front();
  auto yield = dyn_cast<linalg::YieldOp>(body.getTerminator());
  if (!yield || body.getOperations().size() != 1 ||
      yield.getOperand(0) != body.getArgument(0))
    return false;
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  unsigned n = op.getNumLoops();
  if (!maps[1].isIdentity())
    return false;
  SmallVector<unsigned> perm;
  for (unsigned d = 0; d < n; ++d)
    perm.push_back(d);
  std::swap(perm[n - 2], perm[n - 1]);
  return maps[0] == AffineMap::getPermutationMap(perm, op.getContext());
}

struct VectorizeTransposesPass
    : lf::impl::VectorizeTransposesPassBase<VectorizeTransposesPass> {
  using Base::Base;

  void runOnOperation() override {
    if (tile <= 0) {
      emitError(getOperation().getLoc(),
                "lf-vectorize-transposes: tile must be positive");
      return signalPassFailure();
    }
    SmallVector<linalg::GenericOp> targets;
    getOperation().walk([&](linalg::GenericOp op) {
      if (isMinorTranspose(op))
        targets.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    SmallVector<Operation *> tiles;
    for (linalg::GenericOp op : targets) {
      unsigned n = op.getNumLoops();
      SmallVector<OpFoldResult> sizes(n, rewriter.getIndexAttr(1));
      sizes[n - 2] = sizes[n - 1] = rewriter.getIndexAttr(tile);
      scf::SCFTilingOptions opts;
      opts.setTileSizes(sizes);
      rewriter.setInsertionPoint(op);
      FailureOr<scf::SCFTilingResult> res = scf::tileUsingSCF(
          rewriter, cast<TilingInterface>(op.getOperation()), opts);
      if (failed(res))
        continue;
      rewriter.replaceOp(op, res->replacements);
      ++numTiled;
      llvm::append_range(tiles, res->tiledOps);
      // Peel the two tile loops: the main iterations get full tiles.
      lf::peelTileLoops(rewriter, res->loops);
    }
    // Fold the peeled main loops' tile sizes to constants, then vectorize
    // every block whose shape became static and full.
    if (failed(lf::canonicalizeAll(getOperation())))
      return signalPassFailure();
    SmallVector<linalg::GenericOp> full;
    getOperation().walk([&](linalg::GenericOp g) {
      if (!isMinorTranspose(g))
        return;
      SmallVector<int64_t> r = g.getStaticLoopRanges();
      unsigned n = r.size();
      bool ok = r[n - 2] == tile && r[n - 1] == tile;
      for (unsigned d = 0; d + 2 < n; ++d)
        ok &= r[d] == 1;
      if (ok)
        full.push_back(g);
    });
    for (linalg::GenericOp g : full) {
      rewriter.setInsertionPoint(g);
      FailureOr<linalg::VectorizationResult> v =
          linalg::vectorize(rewriter, g);
      if (failed(v))
        continue;
      rewriter.replaceOp(g, v->replacements);
      ++numVectorized;
    }
  }
};
} // namespace
