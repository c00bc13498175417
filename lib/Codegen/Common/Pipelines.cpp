//===- Pipelines.cpp - stages both targets share --------------------------===//
//
// Part of lightfuse.
//
//===----------------------------------------------------------------------===//

#include "lightfuse/Codegen/Common/Pipelines.h"

#include "lightfuse/Codegen/Common/Passes.h"
#include "lightfuse/Conversion/LFToLinalg/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void lf::buildLFToLinalgPipeline(OpPassManager &pm, int64_t attentionBlock,
                                 unsigned threads) {
  if (attentionBlock > 0) {
    // Per-channel decays keep the token recurrence: their block scores
    // (an exp per term) are slower on the CPU today.
    lf::TileLinearAttentionPassOptions tile;
    tile.blockSize = attentionBlock;
    tile.perChannel = false;
    tile.threads = threads;
    pm.addNestedPass<func::FuncOp>(lf::createTileLinearAttentionPass(tile));
  }
  pm.addNestedPass<func::FuncOp>(lf::createConvertLFToLinalgPass());
  // Weight-side arithmetic emitted by the folding passes (arith/math on
  // tensors) becomes linalg too.
  pm.addNestedPass<func::FuncOp>(createConvertElementwiseToLinalgPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  // Merge producer/consumer elementwise generics so intermediate tensors of
  // a norm's epilogue are not materialized.
  pm.addNestedPass<func::FuncOp>(lf::createFuseElementwisePass());
  pm.addPass(createCanonicalizerPass());
}

void lf::buildBufferizationPipeline(OpPassManager &pm, bool intoVariants) {
  bufferization::OneShotBufferizePassOptions buf;
  buf.bufferizeFunctionBoundaries = true;
  // Recurrences whose new state reads several elements of the old one
  // (lf.diag_ssm's complex state) yield fresh buffers.
  buf.allowReturnAllocsFromLoops = true;
  buf.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  // Inputs belong to the caller: in-place updates of an argument get a copy.
  pm.addPass(lf::createMarkInputsReadOnlyPass());
  // {lf.weight} / {lf.name} have been read; LLVM IR has no place for them.
  pm.addPass(lf::createDropFrontendAttrsPass());
  pm.addPass(bufferization::createOneShotBufferizePass(buf));
  // The runtime kernels' `bufferization.access` argument attributes have been
  // read (LLVM IR translation would warn about each).
  {
    lf::DropFrontendAttrsPassOptions drop;
    drop.prefixes = {"bufferization."};
    pm.addPass(lf::createDropFrontendAttrsPass(drop));
  }
  pm.addPass(createCanonicalizerPass());
  // Static-shaped temporaries allocated in loops (the Lightning blocks'
  // tiles) move out of them: one allocation per call instead of per block.
  pm.addNestedPass<func::FuncOp>(bufferization::createBufferLoopHoistingPass());
  // Before deallocation, as upstream orders buffer-results-to-out-params.
  if (intoVariants)
    pm.addPass(lf::createIntoVariantsPass());
  bufferization::BufferDeallocationPipelineOptions dealloc;
  bufferization::buildBufferDeallocationPipeline(pm, dealloc);
  pm.addPass(createConvertBufferizationToMemRefPass());
}

