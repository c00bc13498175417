//===- GPUBarrierEffects.cpp - memory effects of gpu.barrier --------------===//
//
// Part of lightfuse.
//
// gpu.barrier declares no memory effects upstream, so passes that must know
// every op's effects (ownership-based buffer deallocation) reject kernels
// written with barriers before bufferization (lf-gpu-linear-attention). A
// barrier orders the block's memory accesses: it reads and writes memory.
//
//===----------------------------------------------------------------------===//

#include "lightfuse/Codegen/GPU/Passes.h"
#include "PassDetail.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

using namespace mlir;

namespace {
struct BarrierEffects
    : public MemoryEffectOpInterface::ExternalModel<BarrierEffects,
                                                    gpu::BarrierOp> {
  void getEffects(Operation *op,
                  SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>>
                      &effects) const {
    effects.emplace_back(MemoryEffects::Read::get());
    effects.emplace_back(MemoryEffects::Write::get());
  }
};
} // namespace

void mlir::lf::registerGPUExternalModels(DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *ctx, gpu::GPUDialect *) {
    gpu::BarrierOp::attachInterface<BarrierEffects>(*ctx);
  });
}
