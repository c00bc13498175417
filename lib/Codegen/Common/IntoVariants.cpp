//===- IntoVariants.cpp - destination-passing entry points ----------------===//
//
// Part of lightfuse.
//
//===----------------------------------------------------------------------===//

#include "lightfuse/Codegen/Common/Passes.h"
#include "PassDetail.h"

#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir::lf {
#define GEN_PASS_DEF_INTOVARIANTSPASS
#include "lightfuse/Codegen/Common/Passes.h.inc"
} // namespace mlir::lf

using namespace mlir;

namespace {
constexpr llvm::StringLiteral kIntoOf = "lf.into_of";

/// A public function whose results are statically shaped buffers, each
/// returned once (upstream's promotion cannot split a buffer returned twice).
bool qualifies(func::FuncOp fn) {
  if (fn.isDeclaration() || !fn.isPublic() || fn->hasAttr(kIntoOf) ||
      fn.getNumResults() == 0)
    return false;
  if (!llvm::all_of(fn.getResultTypes(), [](Type t) {
        auto mt = dyn_cast<MemRefType>(t);
        return mt && mt.hasStaticShape() && mt.getLayout().isIdentity();
      }))
    return false;
  WalkResult dup = fn.walk([](func::ReturnOp ret) {
    llvm::SmallPtrSet<Value, 4> seen;
    for (Value v : ret.getOperands())
      if (!seen.insert(v).second)
        return WalkResult::interrupt();
    return WalkResult::advance();
  });
  return !dup.wasInterrupted();
}

struct IntoVariantsPass : lf::impl::IntoVariantsPassBase<IntoVariantsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    SmallVector<std::pair<func::FuncOp, func::FuncOp>> pairs;
    for (auto fn : llvm::make_early_inc_range(module.getOps<func::FuncOp>())) {
      std::string name = (fn.getSymName() + "__into").str();
      if (!qualifies(fn) || symbols.lookup(name))
        continue;
      func::FuncOp into = fn.clone();
      into.setSymName(name);
      into->setAttr(kIntoOf, StringAttr::get(&getContext(), fn.getSymName()));
      symbols.insert(into);
      pairs.push_back({fn, into});
    }
    bufferization::BufferResultsToOutParamsOpts opts;
    opts.filterFn = [](func::FuncOp *fn) { return (*fn)->hasAttr(kIntoOf); };
    opts.modifyPublicFunctions = true;
    // A result allocated in the function is computed in the caller's buffer
    // (no allocation, no copy); any other result is copied into it.
    opts.hoistStaticAllocs = true;
    if (failed(bufferization::promoteBufferResultsToOutParams(module, opts)))
      return signalPassFailure();
    // The original becomes a wrapper that allocates the results and calls
    // the variant, so the body is compiled once.
    for (auto [fn, into] : pairs) {
      fn.eraseBody();
      Block *entry = fn.addEntryBlock();
      OpBuilder b = OpBuilder::atBlockBegin(entry);
      Location loc = fn.getLoc();
      SmallVector<Value> operands(entry->getArguments());
      SmallVector<Value> results;
      for (Type t : fn.getResultTypes()) {
        Value buf = memref::AllocOp::create(b, loc, cast<MemRefType>(t),
                                            b.getI64IntegerAttr(64));
        results.push_back(buf);
        operands.push_back(buf);
      }
      auto call = func::CallOp::create(b, loc, into, operands);
      call.setNoInline(true);
      func::ReturnOp::create(b, loc, results);
      ++numAdded;
    }
  }
};
} // namespace
