//===- Passes.h - lf to GPU kernels -----------------------------*- C++ -*-===//
//
// Part of lightfuse. lf ops as hand-written gpu.launch
// kernels: row norms, tiled GEMM with fused epilogues, Lightning Attention.
//
//===----------------------------------------------------------------------===//

#ifndef LIGHTFUSE_CONVERSION_LFTOGPU_PASSES_H
#define LIGHTFUSE_CONVERSION_LFTOGPU_PASSES_H

#include "mlir/Pass/Pass.h"

namespace mlir {
class DialectRegistry;
namespace lf {

#define GEN_PASS_DECL
#define GEN_PASS_REGISTRATION
#include "lightfuse/Conversion/LFToGPU/Passes.h.inc"

} // namespace lf
} // namespace mlir

#endif // LIGHTFUSE_CONVERSION_LFTOGPU_PASSES_H
