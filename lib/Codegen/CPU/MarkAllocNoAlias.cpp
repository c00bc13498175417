//===- MarkAllocNoAlias.cpp - fresh allocations do not alias --------------===//
//
// Part of lightfuse.
//
//===----------------------------------------------------------------------===//

#include "lightfuse/Codegen/CPU/Passes.h"
#include "PassDetail.h"

namespace mlir::lf {
#define GEN_PASS_DEF_MARKALLOCNOALIASPASS
#include "lightfuse/Codegen/CPU/Passes.h.inc"
} // namespace mlir::lf

using namespace mlir;

namespace {
struct MarkAllocNoAliasPass
    : lf::impl::MarkAllocNoAliasPassBase<MarkAllocNoAliasPass> {
  using Base::Base;
  void runOnOperation() override {
    for (auto fn : getOperation().getOps<LLVM::LLVMFuncOp>())
      if (fn.getName() == "_mlir_memref_to_llvm_aligned_alloc" ||
          fn.getName() == "_mlir_memref_to_llvm_alloc")
        fn.setResultAttr(0, LLVM::LLVMDialect::getNoAliasAttrName(),
                         UnitAttr::get(&getContext()));
  }
};
} // namespace
