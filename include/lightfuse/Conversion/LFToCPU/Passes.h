//===- Passes.h - lf to CPU micro-kernels -----------------------*- C++ -*-===//
//
// Part of lightfuse. lf ops as calls of the runtime's CPU micro-kernels
// (lib/Runtime/Gemm.c), IREE's ukernel approach.
//
//===----------------------------------------------------------------------===//

#ifndef LIGHTFUSE_CONVERSION_LFTOCPU_PASSES_H
#define LIGHTFUSE_CONVERSION_LFTOCPU_PASSES_H

#include "mlir/Pass/Pass.h"

namespace mlir {
class RewritePatternSet;
namespace lf {

#define GEN_PASS_DECL
#define GEN_PASS_REGISTRATION
#include "lightfuse/Conversion/LFToCPU/Passes.h.inc"

/// The lf.linear -> packed weight + @lf_gemm_f32 call pattern.
void populateCPULinearUkernelPatterns(RewritePatternSet &patterns,
                                      unsigned threads);

} // namespace lf
} // namespace mlir

#endif // LIGHTFUSE_CONVERSION_LFTOCPU_PASSES_H
