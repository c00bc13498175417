//===- MarkInputsReadOnly.cpp - inputs are read-only ----------------------===//
//
// Part of lightfuse.
//
//===----------------------------------------------------------------------===//

#include "lightfuse/Codegen/Common/Passes.h"
#include "PassDetail.h"

namespace mlir::lf {
#define GEN_PASS_DEF_MARKINPUTSREADONLYPASS
#include "lightfuse/Codegen/Common/Passes.h.inc"
} // namespace mlir::lf

using namespace mlir;

namespace {
struct MarkInputsReadOnlyPass
    : lf::impl::MarkInputsReadOnlyPassBase<MarkInputsReadOnlyPass> {
  using Base::Base;
  void runOnOperation() override {
    auto attr = BoolAttr::get(&getContext(), false);
    for (auto fn : getOperation().getOps<func::FuncOp>()) {
      if (!fn.isPublic() || fn.isExternal())
        continue;
      for (auto [i, type] : llvm::enumerate(fn.getArgumentTypes()))
        if (isa<TensorType>(type))
          fn.setArgAttr(i, bufferization::BufferizationDialect::kWritableAttrName,
                        attr);
    }
  }
};
} // namespace
