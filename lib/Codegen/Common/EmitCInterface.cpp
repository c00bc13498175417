//===- EmitCInterface.cpp - C interface wrappers for public functions -----===//
//
// Part of lightfuse.
//
//===----------------------------------------------------------------------===//

#include "lightfuse/Codegen/Common/Passes.h"
#include "PassDetail.h"

namespace mlir::lf {
#define GEN_PASS_DEF_EMITCINTERFACEPASS
#include "lightfuse/Codegen/Common/Passes.h.inc"
} // namespace mlir::lf

using namespace mlir;

namespace {
struct EmitCInterfacePass
    : lf::impl::EmitCInterfacePassBase<EmitCInterfacePass> {
  using Base::Base;
  void runOnOperation() override {
    for (auto fn : getOperation().getOps<func::FuncOp>())
      if (fn.isPublic() && !fn.isExternal())
        fn->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(),
                    UnitAttr::get(&getContext()));
  }
};
} // namespace
