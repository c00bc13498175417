//===- Pipelines.h - the CPU pipeline ---------------------------*- C++ -*-===//
//
// Part of lightfuse. lf-cpu-pipeline and its stages:
// lf on tensors -> row-tiled, register-tiled linalg -> bufferized loops and
// vectors -> LLVM dialect for the host.
//
//===----------------------------------------------------------------------===//

#ifndef LIGHTFUSE_CODEGEN_CPU_PIPELINES_H
#define LIGHTFUSE_CODEGEN_CPU_PIPELINES_H

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
      llvm::cl::desc("Threads of each call: the parallel loops of the "
                     "generated code (row tiles, the (batch, head) loop of "
                     "tiled attention) and the runtime's GEMM and row-norm "
                     "kernels, all on the runtime's thread pool. 1: "
                     "sequential; N > 1: N threads; 0: the runtime's "
                     "default (LF_NUM_THREADS, OMP_NUM_THREADS, else one "
                     "per core). No libomp: objects link the runtime only"),
      llvm::cl::init(1)};
  PassOptions::Option<bool> ukernels{
      *this, "ukernels",
      llvm::cl::desc("f32 linears with static weights as calls of the "
                     "runtime's packed AVX-512 GEMM kernel "
                     "(lf-cpu-linear-ukernel); off: register-tiled linalg "
                     "contractions"),
      llvm::cl::init(true)};
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
/// Flag `lf-cpu-pipeline`.
void buildCPUPipeline(OpPassManager &pm, const CPUPipelineOptions &options);

/// lf (tensors) -> linalg on tensors with norms tiled by `tileRows` rows and
/// contractions register-tiled: the first stage of the CPU pipeline. Flag
/// `lf-lower-to-linalg-pipeline`.
void buildLowerToLinalgPipeline(OpPassManager &pm, int64_t tileRows = 8,
                                int64_t attentionBlock = 0,
                                unsigned threads = 1);

/// Adds the lf rewrites the CPU target runs before lf-hoist-weight-prep
/// (lf-cpu-linear-ukernel when `ukernels`), for buildOptimizePipeline's
/// `beforeHoist`.
void addCPUPreLowering(OpPassManager &pm, bool ukernels, unsigned threads);

/// Bufferized IR (loops, vectors, memrefs) -> LLVM dialect for the host;
/// `threads` != 1 runs parallel loops on the runtime's thread pool (through
/// OpenMP work-sharing loops that lf-convert-openmp-to-runtime outlines).
void buildCPUCodegenPipeline(OpPassManager &pm, unsigned threads = 1);

} // namespace mlir::lf

#endif // LIGHTFUSE_CODEGEN_CPU_PIPELINES_H
