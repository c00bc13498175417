//===- GPUMergeModules.cpp - one gpu.module per compiled module -----------===//
//
// Part of lightfuse.
//
//===----------------------------------------------------------------------===//

#include "lightfuse/Codegen/GPU/Passes.h"
#include "PassDetail.h"

#include "mlir/IR/SymbolTable.h"

namespace mlir::lf {
#define GEN_PASS_DEF_GPUMERGEMODULESPASS
#include "lightfuse/Codegen/GPU/Passes.h.inc"
} // namespace mlir::lf

using namespace mlir;

namespace {
struct GPUMergeModulesPass
    : lf::impl::GPUMergeModulesPassBase<GPUMergeModulesPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<gpu::GPUModuleOp> gms(module.getOps<gpu::GPUModuleOp>());
    if (gms.size() < 2)
      return;
    gpu::GPUModuleOp into = gms.front();
    SymbolTable table(into);
    StringAttr intoName = into.getSymNameAttr();
    for (gpu::GPUModuleOp gm : llvm::drop_begin(gms)) {
      // Outlining names every kernel after its function, so the same name
      // appears in several modules: rename on collision (to the module's
      // own unique name, or that with a suffix).
      StringAttr from = gm.getSymNameAttr();
      llvm::StringMap<StringAttr> renamed;
      for (Operation &op :
           llvm::make_early_inc_range(gm.getBody()->getOperations())) {
        if (op.hasTrait<OpTrait::IsTerminator>())
          continue;
        auto sym = dyn_cast<SymbolOpInterface>(op);
        StringAttr oldName = sym ? sym.getNameAttr() : StringAttr();
        op.moveBefore(into.getBody(), into.getBody()->end());
        if (!sym)
          continue;
        if (table.lookup(oldName)) {
          std::string base = from.str(), name = base;
          for (int i = 0; table.lookup(name); ++i)
            name = base + "_" + std::to_string(i);
          sym.setName(StringAttr::get(&getContext(), name));
        }
        table.insert(&op);
        renamed[oldName.getValue()] = sym.getNameAttr();
      }
      module.walk([&](gpu::LaunchFuncOp launch) {
        if (launch.getKernelModuleName() != from)
          return;
        auto it = renamed.find(launch.getKernelName().getValue());
        if (it == renamed.end())
          return;
        launch.setKernelAttr(SymbolRefAttr::get(
            intoName, {FlatSymbolRefAttr::get(it->second)}));
      });
      gm.erase();
    }
  }
};
} // namespace
