//===- GPUSharedAllocs.cpp - buffers as host-shared GPU memory ------------===//
//
// Part of lightfuse.
//
//===----------------------------------------------------------------------===//

#include "lightfuse/Codegen/GPU/Passes.h"
#include "PassDetail.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace mlir::lf {
#define GEN_PASS_DEF_GPUSHAREDALLOCSPASS
#include "lightfuse/Codegen/GPU/Passes.h.inc"
} // namespace mlir::lf

using namespace mlir;

namespace {
struct GPUSharedAllocsPass
    : lf::impl::GPUSharedAllocsPassBase<GPUSharedAllocsPass> {
  void runOnOperation() override {
    SmallVector<memref::AllocOp> allocs;
    getOperation().walk([&](memref::AllocOp op) { allocs.push_back(op); });
    for (memref::AllocOp op : allocs) {
      OpBuilder b(op);
      auto g = gpu::AllocOp::create(
          b, op.getLoc(), op.getType(), /*asyncToken=*/Type(),
          /*asyncDependencies=*/ValueRange(), op.getDynamicSizes(),
          op.getSymbolOperands(), /*hostShared=*/true);
      op.getResult().replaceAllUsesWith(g.getMemref());
      op.erase();
    }
    SmallVector<memref::DeallocOp> deallocs;
    getOperation().walk([&](memref::DeallocOp op) { deallocs.push_back(op); });
    for (memref::DeallocOp op : deallocs) {
      if (!op.getMemref().getDefiningOp<gpu::AllocOp>())
        continue;
      // The asynchronous form, which gpu-to-llvm lowers (to mgpuMemFree on
      // a stream), followed by a wait.
      OpBuilder b(op);
      Location loc = op.getLoc();
      auto tokTy = gpu::AsyncTokenType::get(&getContext());
      Value start = gpu::WaitOp::create(b, loc, tokTy, ValueRange()).getAsyncToken();
      auto d = gpu::DeallocOp::create(b, loc, tokTy, ValueRange{start},
                                      op.getMemref());
      gpu::WaitOp::create(b, loc, Type(), ValueRange{d.getAsyncToken()});
      op.erase();
    }
  }
};
} // namespace
