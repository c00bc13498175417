//===- Pipelines.h - the GPU pipelines --------------------------*- C++ -*-===//
//
// Part of lightfuse. lf-gpu-pipeline and its stages: lf
// on tensors -> dedicated and generic kernels (gpu.launch_func of gpu.func) ->
// host LLVM code launching NVVM kernels embedded as PTX or cubin; and the
// emulated form that runs the kernels on the host.
//
//===----------------------------------------------------------------------===//

#ifndef LIGHTFUSE_CODEGEN_GPU_PIPELINES_H
#define LIGHTFUSE_CODEGEN_GPU_PIPELINES_H

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

namespace mlir::lf {

struct GPUPipelineOptions : public PassPipelineOptions<GPUPipelineOptions> {
  PassOptions::Option<std::string> chip{
      *this, "chip", llvm::cl::desc("NVIDIA architecture (sm_80, sm_90, ...)"),
      llvm::cl::init("sm_80")};
  PassOptions::Option<std::string> features{
      *this, "features",
      llvm::cl::desc("PTX ISA feature string (+ptx80 covers sm_80 and sm_90)"),
      llvm::cl::init("+ptx80")};
  PassOptions::Option<std::string> format{
      *this, "format",
      llvm::cl::desc("Embedded kernel image: isa (PTX, JIT-compiled by the "
                     "driver) or bin (cubin, needs ptxas at compile time)"),
      llvm::cl::init("isa")};
  PassOptions::Option<bool> emitCInterface{
      *this, "emit-c-interface",
      llvm::cl::desc("Emit _mlir_ciface_ wrappers for public functions"),
      llvm::cl::init(false)};
  PassOptions::Option<bool> optimize{
      *this, "optimize",
      llvm::cl::desc("Run lf-optimize (graph folding and fusion) first"),
      llvm::cl::init(true)};
  PassOptions::Option<int64_t> blockSize{
      *this, "block-size",
      llvm::cl::desc("Threads per block of the generic kernels"),
      llvm::cl::init(128)};
  PassOptions::Option<bool> rowKernels{
      *this, "row-kernels",
      llvm::cl::desc("RMSNorm, LayerNorm and residual+norm as one warp per "
                     "row with shuffle reductions (lf-gpu-row-norms)"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> attentionKernels{
      *this, "attention-kernels",
      llvm::cl::desc("Causal linear attention as the Lightning kernel and "
                     "the decode step as its own kernel "
                     "(lf-gpu-linear-attention)"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> explain{
      *this, "explain",
      llvm::cl::desc("Emit a remark for each op a kernel pass leaves to the "
                     "generic GPU lowering (and each declined lf-optimize "
                     "rewrite), saying why"),
      llvm::cl::init(false)};
  PassOptions::Option<bool> gemmKernels{
      *this, "gemm-kernels",
      llvm::cl::desc("lf.linear as the tiled GEMM kernel with the bias, "
                     "activation or GLU gate in its epilogue (lf-gpu-linear)"),
      llvm::cl::init(true)};
};

/// lf (tensors) -> gpu.launch_func of outlined gpu.func kernels on memrefs
/// (host-shared buffers), one gpu.module. Flag `lf-lower-to-gpu-pipeline`.
void buildLowerToGPUPipeline(OpPassManager &pm, const GPUPipelineOptions &o);

/// The lowering of buildLowerToGPUPipeline with the kernels left as
/// gpu.launch and run on the host (lf-gpu-emulate), then CPU code
/// generation: the GPU path's kernels, checked numerically without a GPU.
/// Flag `lf-gpu-emulated-pipeline`.
void buildGPUEmulatedPipeline(OpPassManager &pm, const GPUPipelineOptions &o);

/// lf (tensors) -> LLVM dialect host code launching NVVM kernels serialized
/// into a gpu.binary (PTX or cubin for `chip`). Flag `lf-gpu-pipeline`.
void buildGPUPipeline(OpPassManager &pm, const GPUPipelineOptions &options);

} // namespace mlir::lf

#endif // LIGHTFUSE_CODEGEN_GPU_PIPELINES_H
