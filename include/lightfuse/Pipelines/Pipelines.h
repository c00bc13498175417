//===- Pipelines.h - lightfuse pass pipelines -------------------*- C++ -*-===//
//
// Part of lightfuse. Named pipelines from lf on tensors down to the LLVM
// dialect, usable from lf-opt (`--lf-cpu-pipeline`) and from the drivers.
//
//===----------------------------------------------------------------------===//

#ifndef LIGHTFUSE_PIPELINES_PIPELINES_H
#define LIGHTFUSE_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

namespace mlir::lf {

struct CPUPipelineOptions : public PassPipelineOptions<CPUPipelineOptions> {
  PassOptions::Option<bool> emitCInterface{
      *this, "emit-c-interface",
      llvm::cl::desc("Mark public functions llvm.emit_c_interface so the JIT "
                     "and C callers get _mlir_ciface_ wrappers"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> optimize{
      *this, "optimize",
      llvm::cl::desc("Run lf-optimize (graph folding and fusion) first"),
      llvm::cl::init(true)};
  PassOptions::Option<int64_t> attentionBlock{
      *this, "attention-block",
      llvm::cl::desc("Block size of lf-tile-linear-attention (0: token "
                     "recurrence). 64 by default: with register-tiled "
                     "contractions the blocks beat the recurrence from "
                     "N = 2048 (docs/benchmarks.md); per-channel decays keep "
                     "the recurrence"),
      llvm::cl::init(64)};
  PassOptions::Option<int64_t> tileRows{
      *this, "tile-rows",
      llvm::cl::desc("Rows per tile for lf-tile-rows (0 disables tiling)"),
      llvm::cl::init(8)};
  PassOptions::Option<unsigned> threads{
      *this, "threads",
      llvm::cl::desc("Threads for the parallel loops of the generated code "
                     "(today: the (batch, head) loop of tiled linear "
                     "attention). 1: sequential, no runtime dependency; N > "
                     "1: OpenMP with N threads; 0: OpenMP with the runtime's "
                     "default (OMP_NUM_THREADS, else one per core). OpenMP "
                     "code calls libomp (the LLVM OpenMP runtime): the JIT "
                     "loads it, AOT objects link it (-lomp)"),
      llvm::cl::init(1)};
  PassOptions::Option<bool> intoVariants{
      *this, "into-variants",
      llvm::cl::desc("Give every public function with static result shapes a "
                     "destination-passing form `<fn>__into` (results as "
                     "trailing out-parameters, computed in the caller's "
                     "buffers; `<fn>` becomes a wrapper that allocates and "
                     "calls it); the JIT uses it for calls that provide "
                     "outputs (lf-into-variants)"),
      llvm::cl::init(false)};
};

/// lf (tensors) -> linalg -> fused, bufferized loops -> LLVM dialect.
void buildCPUPipeline(OpPassManager &pm, const CPUPipelineOptions &options);

/// lf (tensors) -> linalg on tensors, the first stage of the CPU pipeline.
void buildLowerToLinalgPipeline(OpPassManager &pm, int64_t tileRows = 8,
                                int64_t attentionBlock = 0,
                                unsigned threads = 1);

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
/// (host-shared buffers), one gpu.module.
void buildLowerToGPUPipeline(OpPassManager &pm, const GPUPipelineOptions &o);

/// The lowering of buildLowerToGPUPipeline with the kernels left as
/// gpu.launch and run on the host (lf-gpu-emulate), then CPU code
/// generation: the GPU path's kernels, checked numerically without a GPU.
void buildGPUEmulatedPipeline(OpPassManager &pm, const GPUPipelineOptions &o);

/// lf (tensors) -> LLVM dialect host code launching NVVM kernels serialized
/// into a gpu.binary (PTX or cubin for `chip`).
void buildGPUPipeline(OpPassManager &pm, const GPUPipelineOptions &options);

struct OptimizePipelineOptions
    : public PassPipelineOptions<OptimizePipelineOptions> {
  PassOptions::Option<bool> explain{
      *this, "explain",
      llvm::cl::desc("Emit a remark for every candidate a pass declines, "
                     "saying why"),
      llvm::cl::init(false)};
};

/// lf -> lf graph rewrites that keep semantics: canonicalization, folding of
/// inference-time affines into linears, residual+norm fusion, CSE, weight
/// preparation hoisting. Flag `lf-optimize` (`lf-optimize{explain}`).
void buildOptimizePipeline(OpPassManager &pm, bool explain = false);

/// Registers `lf-optimize`, `lf-cpu-pipeline`, `lf-lower-to-linalg-pipeline`,
/// `lf-lower-to-gpu-pipeline` and `lf-gpu-pipeline`.
void registerPipelines();

/// Registers every pass a lightfuse pipeline may name: lf's passes and
/// pipelines and the upstream passes they use. Idempotent and thread-safe.
void registerAllPasses();

} // namespace mlir::lf

#endif // LIGHTFUSE_PIPELINES_PIPELINES_H
