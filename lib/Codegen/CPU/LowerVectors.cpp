//===- LowerVectors.cpp - vector ops to 1-D FMAs, loads and stores --------===//
//
// Part of lightfuse.
//
//===----------------------------------------------------------------------===//

#include "lightfuse/Codegen/CPU/Passes.h"
#include "PassDetail.h"

#include "mlir/Conversion/VectorToSCF/VectorToSCF.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/Dialect/X86Vector/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::lf {
#define GEN_PASS_DEF_LOWERVECTORSPASS
#include "lightfuse/Codegen/CPU/Passes.h.inc"
} // namespace mlir::lf

using namespace mlir;

namespace {
struct LowerVectorsPass : lf::impl::LowerVectorsPassBase<LowerVectorsPass> {
  using Base::Base;
  void runOnOperation() override {
    // The accumulator tiles are already loop-carried vectors
    // (loop-invariant-subset-hoisting on tensors, before bufferization).
    func::FuncOp fn = getOperation();
    MLIRContext *ctx = &getContext();
    // Contractions first, to outer products of 1-D vectors (FMAs), before
    // the generic lowerings could turn them into horizontal reductions.
    RewritePatternSet contract(ctx);
    vector::populateVectorContractLoweringPatterns(
        contract, vector::VectorContractLowering::OuterProduct);
    vector::populateVectorTransferPermutationMapLoweringPatterns(contract);
    if (failed(applyPatternsGreedily(fn, std::move(contract))))
      return signalPassFailure();
    RewritePatternSet patterns(ctx);
    vector::populateVectorOuterProductLoweringPatterns(patterns);
    vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
    // 8x8 f32 transposes (lf-vectorize-transposes) as AVX2 shuffles and
    // blends (the blends are inline asm: the JIT initializes the native asm
    // parser).
    x86vector::avx2::populateSpecializedTransposeLoweringPatterns(
        patterns, x86vector::avx2::LoweringOptions().setTransposeOptions(
                      x86vector::avx2::TransposeLoweringOptions().lower8x8xf32()));
    vector::populateVectorTransposeLoweringPatterns(
        patterns, vector::VectorTransposeLowering::Shuffle1D);
    vector::populateVectorMultiReductionLoweringPatterns(
        patterns, vector::VectorMultiReductionLowering::InnerParallel);
    vector::populateVectorBroadcastLoweringPatterns(patterns);
    vector::populateVectorShapeCastLoweringPatterns(patterns);
    // n-D transfers -> unrolled 1-D transfers -> loads and stores.
    populateVectorToSCFConversionPatterns(
        patterns, VectorTransferToSCFOptions().enableFullUnroll());
    vector::populateVectorTransferLoweringPatterns(patterns, /*maxRank=*/1);
    vector::TransferReadOp::getCanonicalizationPatterns(patterns, ctx);
    vector::TransferWriteOp::getCanonicalizationPatterns(patterns, ctx);
    if (failed(applyPatternsGreedily(fn, std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
