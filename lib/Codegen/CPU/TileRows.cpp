//===- TileRows.cpp - tile row-parallel linalg graphs and fuse producers --===//
//
// Part of lightfuse.
//
//===----------------------------------------------------------------------===//

#include "lightfuse/Codegen/CPU/Passes.h"
#include "PassDetail.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/IR/Dominance.h"
#include "mlir/Transforms/CSE.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/TilingInterface.h"

namespace mlir::lf {
#define GEN_PASS_DEF_TILEROWSPASS
#include "lightfuse/Codegen/CPU/Passes.h.inc"
} // namespace mlir::lf

using namespace mlir;

namespace {

/// A value leaves the linalg graph when some user is not a linalg op or a
/// slice or dim query (e.g. func.return, scf.yield).
bool escapes(Value v) {
  for (Operation *user : v.getUsers())
    if (!isa<linalg::LinalgOp, tensor::ExtractSliceOp, tensor::DimOp>(user))
      return true;
  return false;
}

/// Roots: linalg ops with an outer parallel loop, at least 2 loops, whose
/// results escape (so no other linalg op would fuse them as a producer).
bool isRoot(linalg::LinalgOp op) {
  if (op.getNumLoops() < 2 || !op.hasPureTensorSemantics())
    return false;
  if (op.getIteratorTypesArray().front() != utils::IteratorType::parallel)
    return false;
  return llvm::any_of(op->getResults(), escapes);
}

/// All-parallel generics with one result whose body never reads the output
/// value compute the same thing whatever their init is.
bool isPureElementwise(linalg::GenericOp op) {
  return op.getNumResults() == 1 && op.getNumDpsInits() == 1 &&
         op.getNumParallelLoops() == op.getNumLoops() &&
         op.getRegionOutputArgs().front().use_empty();
}

/// Tile-and-fuse recomputes a producer once per consumer slice; the copy
/// the loop yields writes into the loop's result while the others write
/// into temporaries. Replace later copies by the first (same block, same
/// inputs and body, init ignored), so temporaries and their traffic vanish.
void dedupeElementwiseTiles(Operation *root, RewriterBase &rewriter) {
  SmallVector<linalg::GenericOp> candidates;
  root->walk([&](linalg::GenericOp op) {
    if (isPureElementwise(op))
      candidates.push_back(op);
  });
  llvm::DenseSet<Operation *> erased;
  for (size_t i = 0; i < candidates.size(); ++i) {
    linalg::GenericOp a = candidates[i];
    if (erased.contains(a))
      continue;
    for (size_t j = i + 1; j < candidates.size(); ++j) {
      linalg::GenericOp b = candidates[j];
      if (erased.contains(b) || a->getBlock() != b->getBlock() ||
          a.getResult(0).getType() != b.getResult(0).getType())
        continue;
      Value aOut = a.getDpsInits()[0], bOut = b.getDpsInits()[0];
      llvm::DenseMap<Value, Value> equiv; // block arguments and results
      bool same = OperationEquivalence::isEquivalentTo(
          a, b,
          [&](Value l, Value r) {
            return success(l == r || (l == aOut && r == bOut) ||
                           equiv.lookup(l) == r);
          },
          [&](Value l, Value r) { equiv[l] = r; },
          OperationEquivalence::IgnoreLocations);
      if (!same)
        continue;
      // `a` precedes `b` in the block (walk order), so it dominates b's uses.
      rewriter.replaceOp(b, a.getResult(0));
      erased.insert(b);
    }
  }
}

struct TileRowsPass : lf::impl::TileRowsPassBase<TileRowsPass> {
  using Base::Base;

  void runOnOperation() override {
    if (tileRows <= 0) {
      getOperation().emitError("lf-tile-rows: tile-rows must be positive");
      return signalPassFailure();
    }
    SmallVector<linalg::LinalgOp> roots;
    getOperation().walk([&](linalg::LinalgOp op) {
      // Only top-level graphs: ops already inside loops (e.g. the linear
      // attention recurrence) are left alone.
      if (isa<func::FuncOp>(op->getParentOp()) && isRoot(op))
        roots.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    // Size queries the tiling leaves on untiled originals are resolved to
    // their operands' sizes; the greedy driver then erases dead originals.
    RewritePatternSet cleanupPatterns(&getContext());
    memref::populateResolveRankedShapedTypeResultDimsPatterns(cleanupPatterns);
    FrozenRewritePatternSet cleanup(std::move(cleanupPatterns));
    llvm::DenseSet<Operation *> live;
    for (linalg::LinalgOp root : roots)
      live.insert(root);
    // Forget ops the cleanup erases, so later roots are not used after free.
    struct Listener : RewriterBase::Listener {
      llvm::DenseSet<Operation *> &live;
      explicit Listener(llvm::DenseSet<Operation *> &live) : live(live) {}
      void notifyOperationErased(Operation *op) override { live.erase(op); }
    } listener(live);
    rewriter.setListener(&listener);
    for (linalg::LinalgOp root : llvm::reverse(roots)) {
      // A root that an earlier root's loop fused and yields has no users
      // left (the loop computes it) and was erased by the cleanup.
      if (!live.contains(root.getOperation()))
        continue;
      SmallVector<OpFoldResult> sizes(root.getNumLoops(),
                                      rewriter.getIndexAttr(0));
      sizes[0] = rewriter.getIndexAttr(tileRows);
      scf::SCFTilingOptions tiling;
      tiling.setTileSizes(sizes);
      if (parallel)
        tiling.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
      scf::SCFTileAndFuseOptions options;
      options.setTilingOptions(tiling);
      // Fuse every producer; a producer the function also returns is
      // yielded by the loop, once (its other fused copies are recomputed
      // per tile and merged by CSE).
      llvm::DenseSet<Value> yielded;
      // A producer read twice in the tile (a residual stream feeding both
      // the add and the norm of `s = s + norm(s)`) is fused once per read,
      // and its own producers again per copy: unbounded, a chain of n such
      // layers makes 2^n copies (5 layers took over a minute to compile).
      // A root fuses at most kMaxFused producer copies (a norm with its
      // prologue needs about ten; CSE merges the copies); past that, reads
      // use the untiled values.
      constexpr unsigned kMaxFused = 64;
      unsigned fused = 0;
      options.setFusionControlFn(
          [&](tensor::ExtractSliceOp slice, OpResult producer,
              bool isDestination)
              -> std::optional<scf::SCFTileAndFuseOptions::ControlFnResult> {
            // A producer whose slice does not move with the loop (all
            // offsets constant, e.g. a transposed weight) is loop-invariant:
            // fusing it would recompute it on every tile.
            if (llvm::all_of(slice.getMixedOffsets(), [](OpFoldResult o) {
                  return isa<Attribute>(o);
                }))
              return std::nullopt;
            if (fused >= kMaxFused)
              return std::nullopt;
            ++fused;
            scf::SCFTileAndFuseOptions::ControlFnResult r;
            r.yieldProducerReplacement = !isDestination &&
                                         escapes(producer) &&
                                         yielded.insert(producer).second;
            return r;
          });
      rewriter.setInsertionPoint(root);
      FailureOr<scf::SCFTileAndFuseResult> res =
          scf::tileConsumerAndFuseProducersUsingSCF(
              rewriter, cast<TilingInterface>(root.getOperation()), options);
      if (failed(res))
        continue; // not tileable this way: leave it as it is
      ++numTiled;
      numFused += res->fusedProducers.size();
      // Redirect uses after the loop to its results. Uses before it belong
      // to the untiled originals (and size computations), which then die.
      Operation *loop = res->loops.front().getOperation();
      for (auto [orig, repl] : res->replacements)
        rewriter.replaceUsesWithIf(orig, repl, [&](OpOperand &use) {
          Operation *anc =
              loop->getBlock()->findAncestorOpInBlock(*use.getOwner());
          return anc && loop->isBeforeInBlock(anc);
        });
      if (root->use_empty())
        rewriter.eraseOp(root);
      (void)applyPatternsGreedily(
          getOperation(), cleanup,
          GreedyRewriteConfig().setListener(&listener));
    }
    rewriter.setListener(nullptr);
    // Fused copies read their inputs through separate slices: merge those
    // first so equal computations become recognizable.
    DominanceInfo dom(getOperation());
    eliminateCommonSubExpressions(rewriter, dom, getOperation());
    dedupeElementwiseTiles(getOperation(), rewriter);
  }
};
} // namespace
