//===- Pipelines.cpp - lightfuse pass pipelines ---------------------------===//
//
// Part of lightfuse.
//
//===----------------------------------------------------------------------===//

#include "lightfuse/Pipelines/Pipelines.h"

#include "lightfuse/Conversion/Passes.h"
#include "lightfuse/Transforms/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Conversion/VectorToSCF/VectorToSCF.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/Pipelines/Passes.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/Dialect/X86Vector/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

#include <mutex>

using namespace mlir;

namespace {
/// Marks every public function with llvm.emit_c_interface.
struct EmitCInterfacePass
    : PassWrapper<EmitCInterfacePass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(EmitCInterfacePass)
  StringRef getArgument() const override { return "lf-emit-c-interface"; }
  void runOnOperation() override {
    for (auto fn : getOperation().getOps<func::FuncOp>())
      if (fn.isPublic() && !fn.isExternal())
        fn->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(),
                    UnitAttr::get(&getContext()));
  }
};
/// Marks the runtime allocation functions' results `noalias` (they return
/// fresh memory, as malloc does), so LLVM needs no runtime alias checks
/// between new buffers and the inputs before vectorizing.
struct MarkAllocNoAliasPass
    : PassWrapper<MarkAllocNoAliasPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(MarkAllocNoAliasPass)
  StringRef getArgument() const override { return "lf-mark-alloc-noalias"; }
  void runOnOperation() override {
    for (auto fn : getOperation().getOps<LLVM::LLVMFuncOp>())
      if (fn.getName() == "_mlir_memref_to_llvm_aligned_alloc" ||
          fn.getName() == "_mlir_memref_to_llvm_alloc")
        fn.setResultAttr(0, LLVM::LLVMDialect::getNoAliasAttrName(),
                         UnitAttr::get(&getContext()));
  }
};
/// After bufferization: lowers the vectorized contractions to outer-product
/// FMAs and the remaining vector ops to 1-D FMAs, loads and stores for
/// convert-vector-to-llvm.
struct LowerVectorsPass
    : PassWrapper<LowerVectorsPass, OperationPass<func::FuncOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(LowerVectorsPass)
  StringRef getArgument() const override { return "lf-lower-vectors"; }
  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<vector::VectorDialect, memref::MemRefDialect>();
  }
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

void lf::buildLowerToLinalgPipeline(OpPassManager &pm, int64_t tileRows,
                                    int64_t attentionBlock, unsigned threads) {
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
  // Run each norm's reductions and epilogue on a few rows at a time.
  if (tileRows > 0)
    pm.addNestedPass<func::FuncOp>(
        lf::createTileRowsPass(lf::TileRowsPassOptions{tileRows}));
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

void lf::buildOptimizePipeline(OpPassManager &pm, bool explain) {
  pm.addPass(createCanonicalizerPass());
  // Reparameterized weights and depth factors become constants first, so
  // the folds below see constant weights and gains.
  lf::FoldWeightReparamPassOptions reparam;
  reparam.explain = explain;
  pm.addNestedPass<func::FuncOp>(lf::createFoldWeightReparamPass(reparam));
  lf::FoldNormIntoLinearPassOptions fold;
  fold.explain = explain;
  pm.addNestedPass<func::FuncOp>(lf::createFoldNormIntoLinearPass(fold));
  // Pre-LN -> Pre-RMSNorm where the stream's writers are linears or
  // constants. Streams that start at a function argument stay: recentring
  // the input costs a pass over it, which one or two saved mean reductions
  // do not repay (run the pass with center-inputs to do it anyway).
  lf::LayerNormToRMSNormPassOptions rms;
  rms.explain = explain;
  rms.centerInputs = false;
  pm.addNestedPass<func::FuncOp>(lf::createLayerNormToRMSNormPass(rms));
  // After folding, so norms have already handed their gains to linears.
  pm.addNestedPass<func::FuncOp>(lf::createFuseResidualNormPass());
  // NormAttention's norm and gate into the attention (7-18% faster at
  // N = 8192, H = 8, d = 64: docs/benchmarks.md).
  lf::FuseNormAttentionPassOptions na;
  na.explain = explain;
  pm.addNestedPass<func::FuncOp>(lf::createFuseNormAttentionPass(na));
  // lf-fuse-norm-linear and lf-fuse-glu are not here: measured no faster
  // (norm+linear, within noise) or slower (GLU: a weight copy per call) with
  // today's micro-kernel (docs/benchmarks.md, "Fusion").
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  // Weight-side arithmetic of functions with {lf.weight} arguments moves to
  // <fn>_prepare / <fn>_prepared.
  pm.addPass(lf::createHoistWeightPrepPass());
}

/// Tensors to memrefs for both targets: one-shot bufferization across
/// function boundaries (identity layouts), then deallocation of every
/// temporary; results returned to the caller stay owned by it.
static void addBufferization(OpPassManager &pm, bool intoVariants = false) {
  bufferization::OneShotBufferizePassOptions buf;
  buf.bufferizeFunctionBoundaries = true;
  // Recurrences whose new state reads several elements of the old one
  // (lf.diag_ssm's complex state) yield fresh buffers.
  buf.allowReturnAllocsFromLoops = true;
  buf.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(buf));
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

static void addCPUCodegen(OpPassManager &pm, unsigned threads);

void lf::buildCPUPipeline(OpPassManager &pm, const CPUPipelineOptions &opts) {
  if (opts.emitCInterface)
    pm.addPass(std::make_unique<EmitCInterfacePass>());
  if (opts.optimize)
    buildOptimizePipeline(pm);
  buildLowerToLinalgPipeline(pm, opts.tileRows, opts.attentionBlock,
                             opts.threads);
  // Polynomial exp/tanh/erf/log so activation epilogues vectorize.
  pm.addPass(lf::createApproximateMathPass());

  addBufferization(pm, opts.intoVariants);
  addCPUCodegen(pm, opts.threads);
}

/// Bufferized IR (loops, vectors, memrefs) -> LLVM dialect for the host.
static void addCPUCodegen(OpPassManager &pm, unsigned threads) {
  // The (batch, head) foralls of the tiled attention: in sequence, or
  // parallel loops that become OpenMP work-sharing loops below.
  bool openmp = threads != 1;
  if (openmp)
    pm.addNestedPass<func::FuncOp>(createForallToParallelLoopPass());
  else
    pm.addNestedPass<func::FuncOp>(createForallToForLoopPass());
  pm.addPass(createCanonicalizerPass());
  pm.addNestedPass<func::FuncOp>(createLoopInvariantCodeMotionPass());
  pm.addNestedPass<func::FuncOp>(std::make_unique<LowerVectorsPass>());

  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
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
  pm.addPass(std::make_unique<MarkAllocNoAliasPass>());
  pm.addPass(createCanonicalizerPass());
}

/// `forEmulation`: buffers stay memref.alloc and kernels stay gpu.launch
/// (not outlined), for lf-gpu-emulate.
static void addLowerToGPU(OpPassManager &pm, const lf::GPUPipelineOptions &opts,
                          bool forEmulation) {
  using namespace lf;
  if (opts.emitCInterface)
    pm.addPass(std::make_unique<EmitCInterfacePass>());
  if (opts.optimize)
    buildOptimizePipeline(pm, opts.explain);
  // Attention first: lf.norm_attention's expansion yields an lf.rms_norm
  // for the row kernels.
  if (opts.attentionKernels) {
    lf::GPULinearAttentionPassOptions la;
    la.explain = opts.explain;
    pm.addNestedPass<func::FuncOp>(lf::createGPULinearAttentionPass(la));
  }
  if (opts.gemmKernels) {
    lf::GPULinearPassOptions gl;
    gl.explain = opts.explain;
    pm.addNestedPass<func::FuncOp>(lf::createGPULinearPass(gl));
  }
  if (opts.rowKernels)
    pm.addNestedPass<func::FuncOp>(lf::createGPURowNormsPass());
  // No row tiling: on the GPU every generic becomes its own kernel.
  buildLowerToLinalgPipeline(pm, /*tileRows=*/0, /*attentionBlock=*/0);
  addBufferization(pm);
  // Tiled attention (when lf-tile-linear-attention ran first): heads in
  // sequence on the host, each block's products as kernels.
  pm.addNestedPass<func::FuncOp>(createForallToForLoopPass());
  if (!forEmulation)
    pm.addNestedPass<func::FuncOp>(lf::createGPUSharedAllocsPass());
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToParallelLoopsPass());
  pm.addPass(createCanonicalizerPass());
  pm.addNestedPass<func::FuncOp>(lf::createGPUTileParallelLoopsPass(
      lf::GPUTileParallelLoopsPassOptions{opts.blockSize}));
  pm.addNestedPass<func::FuncOp>(createGpuMapParallelLoopsPass());
  pm.addNestedPass<func::FuncOp>(createConvertParallelLoopToGpuPass());
  if (forEmulation)
    return;
  pm.addPass(createGpuKernelOutliningPass());
  pm.addPass(lf::createGPUMergeModulesPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createCanonicalizerPass());
}

void lf::buildLowerToGPUPipeline(OpPassManager &pm,
                                 const GPUPipelineOptions &opts) {
  addLowerToGPU(pm, opts, /*forEmulation=*/false);
}

void lf::buildGPUEmulatedPipeline(OpPassManager &pm,
                                  const GPUPipelineOptions &opts) {
  addLowerToGPU(pm, opts, /*forEmulation=*/true);
  pm.addNestedPass<func::FuncOp>(lf::createGPUEmulatePass());
  pm.addPass(createCanonicalizerPass());
  addCPUCodegen(pm, /*threads=*/1);
}

void lf::buildGPUPipeline(OpPassManager &pm, const GPUPipelineOptions &opts) {
  buildLowerToGPUPipeline(pm, opts);
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  gpu::GPUToNVVMPipelineOptions nvvm;
  nvvm.cubinChip = opts.chip;
  nvvm.cubinFeatures = opts.features;
  nvvm.cubinFormat = opts.format;
  nvvm.optLevel = 3;
  gpu::buildLowerToNVVMPassPipeline(pm, nvvm);
}

void lf::registerPipelines() {
  PassPipelineRegistration<OptimizePipelineOptions>(
      "lf-optimize",
      "Semantics-preserving lf graph rewrites (folding, fusion, weight "
      "preparation); {explain} says why each declined candidate was declined",
      [](OpPassManager &pm, const OptimizePipelineOptions &o) {
        buildOptimizePipeline(pm, o.explain);
      });
  PassPipelineRegistration<CPUPipelineOptions>(
      "lf-cpu-pipeline",
      "Lower lf on tensors to the LLVM dialect for the host CPU",
      buildCPUPipeline);
  PassPipelineRegistration<GPUPipelineOptions>(
      "lf-gpu-pipeline",
      "Lower lf on tensors to host LLVM code launching NVPTX kernels "
      "(embedded as PTX or cubin)",
      buildGPUPipeline);
  PassPipelineRegistration<GPUPipelineOptions>(
      "lf-lower-to-gpu-pipeline",
      "Lower lf on tensors to gpu.launch_func and outlined gpu.func kernels "
      "(the first stage of lf-gpu-pipeline)",
      buildLowerToGPUPipeline);
  PassPipelineRegistration<GPUPipelineOptions>(
      "lf-gpu-emulated-pipeline",
      "The GPU lowering (kernels, generic kernels mapped to blocks and "
      "threads) with every gpu.launch run on the host by lf-gpu-emulate: "
      "checks the GPU path numerically without a GPU",
      buildGPUEmulatedPipeline);
  PassPipelineRegistration<>(
      "lf-lower-to-linalg-pipeline",
      "Lower lf to fused linalg on tensors (the first stage of the CPU "
      "pipeline)",
      [](OpPassManager &pm) { buildLowerToLinalgPipeline(pm); });
}

void lf::registerAllPasses() {
  static std::once_flag once;
  std::call_once(once, [] {
    registerTransformsPasses();
    registerConversionPasses();
    registerLinalgPasses();
    bufferization::registerBufferizationPasses();
    memref::registerMemRefPasses();
    lf::registerLFConversionPasses();
    lf::registerLFTransformsPasses();
    registerPipelines();
  });
}
