//===- VectorizeContractions.cpp - register-tiled contractions ------------===//
//
// Part of lightfuse.
//
//===----------------------------------------------------------------------===//

#include "lightfuse/Codegen/CPU/Passes.h"
#include "PassDetail.h"

#include "TilingUtils.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::lf {
#define GEN_PASS_DEF_VECTORIZECONTRACTIONSPASS
#include "lightfuse/Codegen/CPU/Passes.h.inc"
} // namespace mlir::lf

using namespace mlir;

namespace {

/// The loop dimension an affine result expression is, or -1.
int64_t dimOf(AffineExpr e) {
  if (auto d = dyn_cast<AffineDimExpr>(e))
    return d.getPosition();
  return -1;
}

struct VectorizeContractionsPass
    : lf::impl::VectorizeContractionsPassBase<VectorizeContractionsPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<linalg::GenericOp> targets;
    getOperation().walk([&](linalg::GenericOp op) {
      if (op.getNumReductionLoops() == 1 && op.getNumDpsInputs() == 2 &&
          op.getNumDpsInits() == 1 && op.hasPureTensorSemantics() &&
          linalg::isaContractionOpInterface(op))
        targets.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::GenericOp op : targets)
      tileAndPeel(rewriter, op);
    // Fold the peeled main loops' tile sizes to constants.
    MLIRContext *ctx = &getContext();
    if (failed(lf::canonicalizeAll(getOperation())))
      return signalPassFailure();
    // Vectorize the full tiles; remainder tiles stay scalar.
    SmallVector<linalg::GenericOp> tiles;
    getOperation().walk([&](linalg::GenericOp g) {
      if (g->hasAttr(kTileAttr))
        tiles.push_back(g);
    });
    // Zero-initializing fills fused into the output tiles: vectorized, the
    // tile's first read of its accumulator folds to the filled constant and
    // the later full overwrite drops the fill's store, so the output is never
    // memset.
    SmallVector<linalg::FillOp> fills;
    getOperation().walk([&](linalg::FillOp f) {
      if (f->hasAttr(kFillAttr))
        fills.push_back(f);
    });
    for (linalg::FillOp f : fills) {
      f->removeAttr(kFillAttr);
      auto ty = dyn_cast<RankedTensorType>(f.getResult(0).getType());
      if (!ty || !ty.hasStaticShape())
        continue;
      rewriter.setInsertionPoint(f);
      FailureOr<linalg::VectorizationResult> v = linalg::vectorize(rewriter, f);
      if (succeeded(v))
        rewriter.replaceOp(f, v->replacements);
    }
    for (linalg::GenericOp g : tiles) {
      auto dims = g->getAttrOfType<DenseI64ArrayAttr>(kTileAttr).asArrayRef();
      g->removeAttr(kTileAttr);
      SmallVector<int64_t> ranges = g.getStaticLoopRanges();
      if (llvm::any_of(ranges, ShapedType::isDynamic) ||
          ranges[dims[0]] != tileM || ranges[dims[1]] != tileN ||
          ranges[dims[2]] != tileK)
        continue;
      rewriter.setInsertionPoint(g);
      FailureOr<linalg::VectorizationResult> v = linalg::vectorize(
          rewriter, g, /*inputVectorSizes=*/{}, /*scalableDims=*/{},
          /*vectorizeNDExtract=*/false, /*flatten1DDepthwiseConv=*/false,
          /*assumeDynamicDimsMatchVecSizes=*/false,
          /*createNamedContraction=*/true);
      if (failed(v))
        continue;
      rewriter.replaceOp(g, v->replacements);
      ++numVectorized;
    }
    // multi_reduction(mul(broadcast a, broadcast b)) -> vector.contract.
    RewritePatternSet contract(ctx);
    vector::populateVectorReductionToContractPatterns(contract);
    // Broadcasts folded into transfer_read maps become explicit, so the
    // contraction absorbs them into its indexing maps.
    vector::populateVectorTransferPermutationMapLoweringPatterns(contract);
    vector::MultiDimReductionOp::getCanonicalizationPatterns(contract, ctx);
    if (failed(applyPatternsGreedily(getOperation(), std::move(contract))))
      return signalPassFailure();
  }

  static constexpr llvm::StringLiteral kTileAttr = "lf.vector_tile";
  static constexpr llvm::StringLiteral kFillAttr = "lf.vector_fill";

  void tileAndPeel(IRRewriter &rewriter, linalg::GenericOp op) {
    unsigned n = op.getNumLoops();
    AffineMap outMap = op.getIndexingMapsArray().back();
    if (outMap.getNumResults() < 2)
      return;
    int64_t jDim = dimOf(outMap.getResults().back());
    int64_t iDim = dimOf(outMap.getResults()[outMap.getNumResults() - 2]);
    int64_t rDim = -1;
    for (auto [d, it] : llvm::enumerate(op.getIteratorTypesArray()))
      if (it == utils::IteratorType::reduction)
        rDim = d;
    if (jDim < 0 || iDim < 0 || rDim < 0)
      return;
    SmallVector<int64_t> sizes(n, 1);
    sizes[iDim] = tileM;
    sizes[jDim] = tileN;
    sizes[rDim] = tileK;
    // Parallel loops in their order, the reduction innermost.
    SmallVector<int64_t> interchange;
    for (unsigned d = 0; d < n; ++d)
      if (static_cast<int64_t>(d) != rDim)
        interchange.push_back(d);
    interchange.push_back(rDim);

    auto toAttrs = [&](ArrayRef<int64_t> v) {
      SmallVector<OpFoldResult> r;
      for (int64_t s : v)
        r.push_back(rewriter.getIndexAttr(s));
      return r;
    };
    SmallVector<LoopLikeOpInterface> loops;
    Operation *tiled = nullptr;
    rewriter.setInsertionPoint(op);
    if (op.getDpsInitOperand(0)->get().getDefiningOp<linalg::FillOp>()) {
      // A filled accumulator: tile the parallel dims first with the fill
      // fused into each output tile, then the reduction of each tile (a
      // fill cannot be fused into a reduction loop).
      SmallVector<int64_t> par(sizes);
      par[rDim] = 0;
      scf::SCFTilingOptions o1;
      o1.setTileSizes(toAttrs(par));
      scf::SCFTileAndFuseOptions fo;
      fo.setTilingOptions(o1);
      fo.setFusionControlFn(
          [](tensor::ExtractSliceOp, OpResult producer, bool)
              -> std::optional<scf::SCFTileAndFuseOptions::ControlFnResult> {
            if (isa<linalg::FillOp>(producer.getOwner()))
              return scf::SCFTileAndFuseOptions::ControlFnResult{};
            return std::nullopt;
          });
      FailureOr<scf::SCFTileAndFuseResult> r1 =
          scf::tileConsumerAndFuseProducersUsingSCF(
              rewriter, cast<TilingInterface>(op.getOperation()), fo);
      if (failed(r1))
        return;
      for (OpResult res : op->getResults())
        if (Value rep = r1->replacements.lookup(res))
          rewriter.replaceAllUsesWith(res, rep);
      rewriter.eraseOp(op);
      Operation *tiledOp = r1->tiledAndFusedOps.front();
      for (Operation *f : r1->tiledAndFusedOps)
        if (isa<linalg::FillOp>(f))
          f->setAttr(kFillAttr, rewriter.getUnitAttr());
      llvm::append_range(loops, r1->loops);
      SmallVector<int64_t> red(n, 0);
      red[rDim] = tileK;
      scf::SCFTilingOptions o2;
      o2.setTileSizes(toAttrs(red));
      rewriter.setInsertionPoint(tiledOp);
      FailureOr<scf::SCFTilingResult> r2 = scf::tileUsingSCF(
          rewriter, cast<TilingInterface>(tiledOp), o2);
      if (failed(r2))
        return;
      rewriter.replaceOp(tiledOp, r2->replacements);
      tiled = r2->tiledOps.front();
      llvm::append_range(loops, r2->loops);
    } else {
      scf::SCFTilingOptions opts;
      opts.setTileSizes(toAttrs(sizes));
      opts.setInterchange(interchange);
      FailureOr<scf::SCFTilingResult> res = scf::tileUsingSCF(
          rewriter, cast<TilingInterface>(op.getOperation()), opts);
      if (failed(res))
        return;
      rewriter.replaceOp(op, res->replacements);
      tiled = res->tiledOps.front();
      llvm::append_range(loops, res->loops);
    }
    ++numTiled;
    tiled->setAttr(kTileAttr, rewriter.getDenseI64ArrayAttr({iDim, jDim, rDim}));
    // Peel every tile loop whose step does not divide its extent: the main
    // loop then has full, static tiles.
    lf::peelTileLoops(rewriter, loops);
  }
};
} // namespace
