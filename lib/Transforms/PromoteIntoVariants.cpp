//===- PromoteIntoVariants.cpp - results of into variants as out params ---===//
//
// Part of lightfuse.
//
//===----------------------------------------------------------------------===//

#include "lightfuse/Transforms/Passes.h"

#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace mlir::lf {
#define GEN_PASS_DEF_PROMOTEINTOVARIANTSPASS
#include "lightfuse/Transforms/Passes.h.inc"
} // namespace mlir::lf

using namespace mlir;

namespace {
struct PromoteIntoVariantsPass
    : lf::impl::PromoteIntoVariantsPassBase<PromoteIntoVariantsPass> {
  using Base::Base;

  void runOnOperation() override {
    // promoteBufferResultsToOutParams cannot take one buffer returned twice
    // (`return %y, %y`): such variants are dropped (their callers copy).
    SmallVector<func::FuncOp> drop;
    for (auto fn : getOperation().getOps<func::FuncOp>()) {
      if (!fn->hasAttr("lf.into_of") || fn.isDeclaration())
        continue;
      fn.walk([&](func::ReturnOp ret) {
        llvm::SmallPtrSet<Value, 4> seen;
        for (Value v : ret.getOperands())
          if (!seen.insert(v).second) {
            drop.push_back(fn);
            return WalkResult::interrupt();
          }
        return WalkResult::advance();
      });
    }
    for (func::FuncOp fn : drop)
      fn.erase();
    bufferization::BufferResultsToOutParamsOpts opts;
    opts.filterFn = [](func::FuncOp *fn) {
      return (*fn)->hasAttr("lf.into_of");
    };
    opts.modifyPublicFunctions = true;
    // A result allocated in the function is computed in the caller's buffer
    // (no allocation, no copy); any other result is copied into it.
    opts.hoistStaticAllocs = true;
    if (failed(bufferization::promoteBufferResultsToOutParams(getOperation(),
                                                              opts)))
      return signalPassFailure();
  }
};
} // namespace
