//===- Pipelines.h - stages both targets share ------------------*- C++ -*-===//
//
// Part of lightfuse. The stages of the CPU and GPU
// pipelines that do not depend on the target.
//
//===----------------------------------------------------------------------===//

#ifndef LIGHTFUSE_CODEGEN_COMMON_PIPELINES_H
#define LIGHTFUSE_CODEGEN_COMMON_PIPELINES_H

#include "mlir/Pass/PassManager.h"

namespace mlir::lf {

/// lf (tensors) -> fused linalg on tensors: Lightning tiling of causal linear
/// attention when `attentionBlock` > 0 (`threads` sizes its value splits),
/// convert-lf-to-linalg, elementwise arith/math -> linalg, and fusion of
/// elementwise producer/consumer generics.
void buildLFToLinalgPipeline(OpPassManager &pm, int64_t attentionBlock = 0,
                             unsigned threads = 1);

/// Tensors -> memrefs: one-shot bufferization across function boundaries
/// (identity layouts), hoisting of loop-invariant temporaries, optional
/// destination-passing variants (lf-into-variants), deallocation of every
/// temporary; results returned to the caller stay owned by it.
void buildBufferizationPipeline(OpPassManager &pm, bool intoVariants = false);

} // namespace mlir::lf

#endif // LIGHTFUSE_CODEGEN_COMMON_PIPELINES_H
