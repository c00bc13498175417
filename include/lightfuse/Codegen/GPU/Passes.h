//===- Passes.h - GPU codegen passes ----------------------------*- C++ -*-===//
//
// Part of lightfuse. Mapping loops to blocks and threads,
// shared memory, kernel-module merging, and the host emulation of kernels.
//
//===----------------------------------------------------------------------===//

#ifndef LIGHTFUSE_CODEGEN_GPU_PASSES_H
#define LIGHTFUSE_CODEGEN_GPU_PASSES_H

#include "mlir/Pass/Pass.h"

namespace mlir {
class DialectRegistry;
namespace lf {

#define GEN_PASS_DECL
#define GEN_PASS_REGISTRATION
#include "lightfuse/Codegen/GPU/Passes.h.inc"

/// Interfaces lightfuse attaches to upstream GPU ops (gpu.barrier's memory
/// effects, so kernels with barriers go through buffer deallocation).
void registerGPUExternalModels(DialectRegistry &registry);

} // namespace lf
} // namespace mlir

#endif // LIGHTFUSE_CODEGEN_GPU_PASSES_H
