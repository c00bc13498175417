//===- GPUTileParallelLoops.cpp - blocks x threads for scf.parallel -------===//
//
// Part of lightfuse.
//
//===----------------------------------------------------------------------===//

#include "lightfuse/Codegen/GPU/Passes.h"
#include "PassDetail.h"

#include "mlir/Dialect/SCF/Transforms/Transforms.h"

namespace mlir::lf {
#define GEN_PASS_DEF_GPUTILEPARALLELLOOPSPASS
#include "lightfuse/Codegen/GPU/Passes.h.inc"
} // namespace mlir::lf

using namespace mlir;

namespace {
struct GPUTileParallelLoopsPass
    : lf::impl::GPUTileParallelLoopsPassBase<GPUTileParallelLoopsPass> {
  using Base::Base;
  void runOnOperation() override {
    SmallVector<scf::ParallelOp> outer;
    getOperation().walk([&](scf::ParallelOp op) {
      if (!op->getParentOfType<scf::ParallelOp>())
        outer.push_back(op);
    });
    for (scf::ParallelOp op : outer) {
      SmallVector<int64_t> sizes(op.getNumLoops(), 1);
      sizes.back() = blockSize;
      // Constant inner bounds with an in-bounds guard: the thread count of
      // a launch must not depend on the block.
      scf::tileParallelLoop(op, sizes, /*noMinMaxBounds=*/true);
    }
  }
};
} // namespace
