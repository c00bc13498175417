//===- OutlineLoopNests.cpp - top-level loop nests into their own funcs ---===//
//
// Part of lightfuse. Keeps LLVM's per-function work linear in the size of a
// whole model (see the pass description).
//
//===----------------------------------------------------------------------===//

#include "lightfuse/Codegen/Common/Passes.h"
#include "PassDetail.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::lf {
#define GEN_PASS_DEF_OUTLINELOOPNESTSPASS
#include "lightfuse/Codegen/Common/Passes.h.inc"
} // namespace mlir::lf

using namespace mlir;

namespace {

bool isLoopNest(Operation *op) {
  return isa<scf::ForOp, scf::ParallelOp, scf::ForallOp>(op);
}

struct OutlineLoopNestsPass
    : lf::impl::OutlineLoopNestsPassBase<OutlineLoopNestsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    SmallVector<func::FuncOp> fns(module.getOps<func::FuncOp>());
    for (func::FuncOp fn : fns) {
      if (fn.isExternal() || !fn.getBody().hasOneBlock())
        continue;
      SmallVector<Operation *> nests;
      for (Operation &op : fn.getBody().front())
        if (isLoopNest(&op)) {
          unsigned n = 0;
          op.walk([&](Operation *) { ++n; });
          if (n >= minOps)
            nests.push_back(&op);
        }
      if (nests.size() < minLoops)
        continue;
      unsigned index = 0;
      for (Operation *nest : nests)
        outline(fn, nest, index++, symbols);
    }
  }

  void outline(func::FuncOp parent, Operation *nest, unsigned index,
               SymbolTable &symbols) {
    MLIRContext *ctx = &getContext();
    // Values from above: constants are cloned, the rest become arguments.
    llvm::SetVector<Value> above;
    for (Region &r : nest->getRegions())
      getUsedValuesDefinedAbove(r, above);
    for (Value v : nest->getOperands())
      above.insert(v);
    SmallVector<Value> args;
    SmallVector<Operation *> constants;
    for (Value v : above) {
      Operation *def = v.getDefiningOp();
      if (def && def->hasTrait<OpTrait::ConstantLike>() &&
          def->getNumRegions() == 0)
        constants.push_back(def);
      else
        args.push_back(v);
    }
    OpBuilder b(ctx);
    b.setInsertionPoint(parent);
    auto type = FunctionType::get(ctx, ValueRange(args).getTypes(),
                                  nest->getResultTypes());
    std::string name =
        (parent.getName() + "_loop" + std::to_string(index)).str();
    auto fn = func::FuncOp::create(b, nest->getLoc(), name, type);
    fn.setPrivate();
    fn->setAttr("passthrough",
                ArrayAttr::get(ctx, {StringAttr::get(ctx, "noinline")}));
    symbols.insert(fn); // uniquifies the name if taken
    Block *entry = fn.addEntryBlock();
    b.setInsertionPointToStart(entry);
    IRMapping map;
    for (auto [v, a] : llvm::zip(args, entry->getArguments()))
      map.map(v, a);
    for (Operation *c : constants)
      b.clone(*c, map);
    Operation *clone = b.clone(*nest, map);
    func::ReturnOp::create(b, nest->getLoc(), clone->getResults());
    // The call in its place.
    b.setInsertionPoint(nest);
    auto call = func::CallOp::create(b, nest->getLoc(), fn, args);
    nest->replaceAllUsesWith(call.getResults());
    nest->erase();
  }
};

} // namespace
