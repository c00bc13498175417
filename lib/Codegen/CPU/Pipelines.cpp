//===- Pipelines.cpp - the CPU pipeline -----------------------------------===//
//
// Part of lightfuse.
//
//===----------------------------------------------------------------------===//

#include "lightfuse/Codegen/CPU/Pipelines.h"

#include "lightfuse/Codegen/CPU/Passes.h"
#include "lightfuse/Codegen/Common/Passes.h"
#include "lightfuse/Codegen/Common/Pipelines.h"
#include "lightfuse/Conversion/LFToCPU/Passes.h"
#include "lightfuse/Transforms/Pipelines.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void lf::buildLowerToLinalgPipeline(OpPassManager &pm, int64_t tileRows,
                                    int64_t attentionBlock, unsigned threads) {
  buildLFToLinalgPipeline(pm, attentionBlock, threads);
  // Run each norm's reductions and epilogue on a few rows at a time.
  // With threads, row tiles are scf.forall iterations the runtime's pool
  // runs (buildCPUCodegenPipeline).
  if (tileRows > 0) {
    lf::TileRowsPassOptions rows;
    rows.tileRows = tileRows;
    rows.parallel = threads != 1;
    pm.addNestedPass<func::FuncOp>(lf::createTileRowsPass(rows));
  }
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  // Register-tiled contractions (CPU: the row-tiled pipeline).
  if (tileRows > 0) {
    pm.addNestedPass<func::FuncOp>(lf::createVectorizeContractionsPass());
    pm.addNestedPass<func::FuncOp>(lf::createVectorizeTransposesPass());
    pm.addPass(createCanonicalizerPass());
    // The accumulator tile becomes the reduction loop's carried vector.
    pm.addPass(createLoopInvariantCodeMotionPass());
    pm.addPass(createLoopInvariantSubsetHoistingPass());
    pm.addPass(createCanonicalizerPass());
  }
}

void lf::addCPUPreLowering(OpPassManager &pm, bool ukernels,
                           unsigned threads) {
  if (!ukernels)
    return;
  lf::CPULinearUkernelPassOptions o;
  o.threads = threads;
  pm.addPass(lf::createCPULinearUkernelPass(o));
  // After the linears: a norm feeding only linears becomes a kernel call.
  lf::CPUNormUkernelPassOptions n;
  n.threads = threads;
  pm.addPass(lf::createCPUNormUkernelPass(n));
}

void lf::buildCPUPipeline(OpPassManager &pm, const CPUPipelineOptions &opts) {
  if (opts.emitCInterface)
    pm.addPass(lf::createEmitCInterfacePass());
  bool ukernels = opts.ukernels;
  unsigned threads = opts.threads;
  if (opts.optimize)
    buildOptimizePipeline(pm, /*explain=*/false, [&](OpPassManager &p) {
      addCPUPreLowering(p, ukernels, threads);
    });
  else
    addCPUPreLowering(pm, ukernels, threads);
  buildLowerToLinalgPipeline(pm, opts.tileRows, opts.attentionBlock,
                             opts.threads);
  // Polynomial exp/tanh/erf/log so activation epilogues vectorize.
  pm.addPass(lf::createApproximateMathPass());

  buildBufferizationPipeline(pm, opts.intoVariants);
  buildCPUCodegenPipeline(pm, opts.threads);
}

void lf::buildCPUCodegenPipeline(OpPassManager &pm, unsigned threads) {
  // The (batch, head) foralls of the tiled attention: in sequence, or
  // parallel loops that become OpenMP work-sharing loops below, which
  // lf-convert-openmp-to-runtime then outlines onto the runtime's pool.
  bool openmp = threads != 1;
  if (openmp)
    pm.addNestedPass<func::FuncOp>(createForallToParallelLoopPass());
  else
    pm.addNestedPass<func::FuncOp>(createForallToForLoopPass());
  pm.addPass(createCanonicalizerPass());
  pm.addNestedPass<func::FuncOp>(createLoopInvariantCodeMotionPass());
  pm.addNestedPass<func::FuncOp>(lf::createLowerVectorsPass());

  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  // Whole models: one function per loop nest keeps LLVM linear. From two
  // nests on: the JIT compiles functions in parallel partitions
  // (compileHostObjects), which balance only when no function holds most of
  // the code (a layer's weight packing was one 21k-instruction function).
  {
    lf::OutlineLoopNestsPassOptions outline;
    outline.minLoops = 2;
    pm.addPass(lf::createOutlineLoopNestsPass(outline));
  }
  if (openmp) {
    ConvertSCFToOpenMPPassOptions omp;
    omp.numThreads = threads;
    pm.addPass(createConvertSCFToOpenMPPass(omp));
    // Inlines the memref.alloca_scope it wraps loop bodies in (they hold
    // no allocas), whose region could not take the multi-block loops of
    // SCF-to-CF below.
    pm.addPass(createCanonicalizerPass());
  }
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  ConvertVectorToLLVMPassOptions vecOpts;
  vecOpts.reassociateFPReductions = true;
  pm.addPass(createConvertVectorToLLVMPass(vecOpts));
  pm.addPass(createUBToLLVMConversionPass());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  FinalizeMemRefToLLVMConversionPassOptions memrefOpts;
  // Heap buffers go through the lightfuse runtime's caching allocator.
  memrefOpts.useGenericFunctions = true;
  // Aligned allocation keeps pointer provenance (no ptrtoint arithmetic), so
  // with the noalias result attribute below LLVM can prove that fresh
  // buffers do not alias the inputs and keep reductions in registers.
  memrefOpts.useAlignedAlloc = true;
  pm.addPass(createFinalizeMemRefToLLVMConversionPass(memrefOpts));
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createConvertIndexToLLVMPass());
  if (openmp)
    pm.addPass(createConvertOpenMPToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  // The loops run on the runtime's pool, with the GEMM and norm kernels.
  if (openmp)
    pm.addPass(lf::createConvertOpenMPToRuntimePass());
  pm.addPass(lf::createMarkAllocNoAliasPass());
  pm.addPass(createCanonicalizerPass());
}

