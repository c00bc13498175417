//===- AddIntoVariants.cpp - destination-passing copies of entry points ---===//
//
// Part of lightfuse.
//
//===----------------------------------------------------------------------===//

#include "lightfuse/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir::lf {
#define GEN_PASS_DEF_ADDINTOVARIANTSPASS
#include "lightfuse/Transforms/Passes.h.inc"
} // namespace mlir::lf

using namespace mlir;

namespace {
struct AddIntoVariantsPass
    : lf::impl::AddIntoVariantsPassBase<AddIntoVariantsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    SmallVector<func::FuncOp> entries;
    for (auto fn : module.getOps<func::FuncOp>()) {
      if (fn.isDeclaration() || !fn.isPublic() || fn->hasAttr(kIntoOf) ||
          fn.getNumResults() == 0)
        continue;
      bool staticResults = llvm::all_of(fn.getResultTypes(), [](Type t) {
        auto rt = dyn_cast<RankedTensorType>(t);
        return rt && rt.hasStaticShape();
      });
      if (staticResults)
        entries.push_back(fn);
    }
    for (func::FuncOp fn : entries) {
      std::string name = (fn.getSymName() + "__into").str();
      if (symbols.lookup(name))
        continue;
      auto clone = fn.clone();
      clone.setSymName(name);
      clone->setAttr(kIntoOf, StringAttr::get(&getContext(), fn.getSymName()));
      symbols.insert(clone);
      ++numAdded;
    }
  }
  static constexpr llvm::StringLiteral kIntoOf = "lf.into_of";
};
} // namespace
