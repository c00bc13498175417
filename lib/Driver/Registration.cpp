//===- Registration.cpp - dialects, passes and pipelines ------------------===//
//
// Part of lightfuse.
//
//===----------------------------------------------------------------------===//

#include "lightfuse/Driver/Registration.h"

#include "dialects/lf/LFDialect.h"
#include "lightfuse/Codegen/CPU/Passes.h"
#include "lightfuse/Codegen/CPU/Pipelines.h"
#include "lightfuse/Codegen/Common/Passes.h"
#include "lightfuse/Codegen/GPU/Passes.h"
#include "lightfuse/Codegen/GPU/Pipelines.h"
#include "lightfuse/Conversion/Passes.h"
#include "lightfuse/Transforms/Passes.h"
#include "lightfuse/Transforms/Pipelines.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVM/NVVM/Target.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Transforms/Passes.h"

#include <mutex>

using namespace mlir;

void lf::registerAllDialects(DialectRegistry &registry) {
  registry.insert<lf::LFDialect>();
  mlir::registerAllDialects(registry);
  registerAllExtensions(registry);
  lf::registerGPUExternalModels(registry);
  // Every dialect the CPU and GPU pipelines translate (builtin, LLVM, GPU,
  // NVVM) and the NVVM target that serializes kernels.
  registerAllToLLVMIRTranslations(registry);
  NVVM::registerNVVMTargetInterfaceExternalModels(registry);
}

std::unique_ptr<MLIRContext> lf::createContext() {
  DialectRegistry registry;
  lf::registerAllDialects(registry);
  auto ctx = std::make_unique<MLIRContext>(registry);
  ctx->loadAllAvailableDialects();
  return ctx;
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
    lf::registerLFTransformsPasses();
    lf::registerLFToLinalgPasses();
    lf::registerLFToGPUPasses();
    lf::registerLFToCPUPasses();
    lf::registerLFCodegenCommonPasses();
    lf::registerLFCodegenCPUPasses();
    lf::registerLFCodegenGPUPasses();
    registerPipelines();
  });
}
