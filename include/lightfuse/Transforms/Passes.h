//===- Passes.h - lightfuse transformation passes ---------------*- C++ -*-===//
//
// Part of lightfuse.
//
//===----------------------------------------------------------------------===//

#ifndef LIGHTFUSE_TRANSFORMS_PASSES_H
#define LIGHTFUSE_TRANSFORMS_PASSES_H

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/X86Vector/X86VectorDialect.h"
#include "mlir/Pass/Pass.h"

#include "dialects/lf/LFDialect.h"

namespace mlir::lf {

#define GEN_PASS_DECL
#define GEN_PASS_REGISTRATION
#include "lightfuse/Transforms/Passes.h.inc"

/// Interfaces lightfuse attaches to upstream ops (gpu.barrier's memory
/// effects, so kernels with barriers go through buffer deallocation).
void registerExternalModels(DialectRegistry &registry);

} // namespace mlir::lf

#endif // LIGHTFUSE_TRANSFORMS_PASSES_H
