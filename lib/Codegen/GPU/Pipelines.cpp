//===- Pipelines.cpp - the GPU pipelines ----------------------------------===//
//
// Part of lightfuse.
//
//===----------------------------------------------------------------------===//

#include "lightfuse/Codegen/GPU/Pipelines.h"

#include "lightfuse/Codegen/CPU/Pipelines.h"
#include "lightfuse/Codegen/Common/Passes.h"
#include "lightfuse/Codegen/Common/Pipelines.h"
#include "lightfuse/Codegen/GPU/Passes.h"
#include "lightfuse/Conversion/LFToGPU/Passes.h"
#include "lightfuse/Transforms/Pipelines.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/Pipelines/Passes.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

/// `forEmulation`: buffers stay memref.alloc and kernels stay gpu.launch
/// (not outlined), for lf-gpu-emulate.
static void addLowerToGPU(OpPassManager &pm, const lf::GPUPipelineOptions &opts,
                          bool forEmulation) {
  using namespace lf;
  if (opts.emitCInterface)
    pm.addPass(lf::createEmitCInterfacePass());
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
  buildLFToLinalgPipeline(pm);
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  buildBufferizationPipeline(pm);
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
  buildCPUCodegenPipeline(pm, /*threads=*/1);
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

