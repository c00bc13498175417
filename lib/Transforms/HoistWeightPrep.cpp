//===- HoistWeightPrep.cpp - weights-only computation into _prepare -------===//
//
// Part of lightfuse.
//
//===----------------------------------------------------------------------===//

#include "lightfuse/Transforms/Passes.h"
#include "PassDetail.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/RegionUtils.h"

#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::lf {
#define GEN_PASS_DEF_HOISTWEIGHTPREPPASS
#include "lightfuse/Transforms/Passes.h.inc"
} // namespace mlir::lf

using namespace mlir;

namespace {
constexpr llvm::StringLiteral kWeightAttr = "lf.weight";

/// Constants and pure ops without operands: cheap to recreate.
bool isFree(Operation &op) {
  return op.hasTrait<OpTrait::ConstantLike>() ||
         (op.getNumOperands() == 0 && op.getNumRegions() == 0);
}

/// Whether a region of `op` uses a value defined outside `op`.
bool capturesValues(Operation &op) {
  if (op.getNumRegions() == 0)
    return false;
  llvm::SetVector<Value> above;
  getUsedValuesDefinedAbove(op.getRegions(), above);
  return !above.empty();
}

struct HoistWeightPrepPass
    : lf::impl::HoistWeightPrepPassBase<HoistWeightPrepPass> {
  using Base::Base;

  void hoist(func::FuncOp fn, SymbolTable &symbols) {
    Block &body = fn.getBody().front();
    llvm::DenseSet<Value> weightDerived;
    SmallVector<unsigned> weightArgs;
    for (BlockArgument arg : body.getArguments())
      if (fn.getArgAttr(arg.getArgNumber(), kWeightAttr)) {
        weightDerived.insert(arg);
        weightArgs.push_back(arg.getArgNumber());
      }
    if (weightArgs.empty())
      return;
    // Ops computed from weights and constants only (pure, no regions).
    SmallVector<Operation *> prepOps;
    for (Operation &op : body.without_terminator()) {
      // Ops with regions qualify when their bodies use only their own
      // values (linalg bodies, tensor.pad's yield).
      if (!isPure(&op) || op.getNumResults() == 0 || capturesValues(op) ||
          llvm::any_of(op.getResultTypes(),
                       [](Type t) { return isa<BaseMemRefType>(t); }))
        continue;
      // Constants and operand-free ops (tensor.empty) are cloned where the
      // prepared computation needs them, never returned.
      if (isFree(op)) {
        for (Value r : op.getResults())
          weightDerived.insert(r);
        continue;
      }
      if (!llvm::all_of(op.getOperands(), [&](Value v) {
            return weightDerived.contains(v);
          }))
        continue;
      // A cast that only forgets static sizes (a kernel call's operand) costs
      // nothing and stays with its user: returning it would hand
      // @<fn>_prepared a less static value than the one computed.
      if (auto c = dyn_cast<tensor::CastOp>(op);
          c && !tensor::preservesStaticInformation(c.getSource().getType(),
                                                   c.getType()))
        continue;
      prepOps.push_back(&op);
      for (Value r : op.getResults())
        weightDerived.insert(r);
    }
    // Prepared values: results of those ops read by anything else.
    llvm::DenseSet<Operation *> prepSet(prepOps.begin(), prepOps.end());
    SmallVector<Value> prepared;
    for (Operation *op : prepOps)
      for (Value r : op->getResults())
        if (llvm::any_of(r.getUsers(), [&](Operation *u) {
              return !prepSet.contains(u) && !isFree(*u);
            }))
          prepared.push_back(r);
    if (prepared.empty())
      return;

    OpBuilder b(fn);
    b.setInsertionPointAfter(fn);
    Location loc = fn.getLoc();
    // @fn_prepare(weights) -> prepared
    SmallVector<Type> wTypes;
    for (unsigned i : weightArgs)
      wTypes.push_back(fn.getArgumentTypes()[i]);
    SmallVector<Type> pTypes;
    for (Value v : prepared)
      pTypes.push_back(v.getType());
    auto prep = func::FuncOp::create(b, loc, (fn.getName() + "_prepare").str(),
                                     b.getFunctionType(wTypes, pTypes));
    {
      Block *entry = prep.addEntryBlock();
      OpBuilder pb = OpBuilder::atBlockEnd(entry);
      IRMapping map;
      for (auto [i, argNo] : llvm::enumerate(weightArgs))
        map.map(body.getArgument(argNo), entry->getArgument(i));
      for (Operation &op : body.without_terminator())
        if (prepSet.contains(&op) ||
            (isFree(op) &&
             llvm::any_of(op.getUsers(), [&](Operation *u) {
               return prepSet.contains(u);
             })))
          pb.clone(op, map);
      SmallVector<Value> rets;
      for (Value v : prepared)
        rets.push_back(map.lookup(v));
      func::ReturnOp::create(pb, loc, rets);
    }
    // @fn_prepared(args..., prepared...) : fn with prepared values as inputs.
    SmallVector<Type> allTypes(fn.getArgumentTypes());
    allTypes.append(pTypes);
    auto run = cast<func::FuncOp>(b.clone(*fn));
    run.setName((fn.getName() + "_prepared").str());
    Block &rb = run.getBody().front();
    IRMapping orig; // fn values -> run values, by position
    auto fnIt = body.begin();
    for (Operation &op : rb) {
      for (auto [a, c] : llvm::zip(fnIt->getResults(), op.getResults()))
        orig.map(a, c);
      ++fnIt;
    }
    SmallVector<Value> newArgs;
    for (Value v : prepared)
      newArgs.push_back(rb.addArgument(v.getType(), loc));
    for (auto [v, arg] : llvm::zip(prepared, newArgs))
      orig.lookup(v).replaceAllUsesWith(arg);
    run.setType(b.getFunctionType(allTypes, fn.getResultTypes()));
    // The recomputation is now dead: erase it, last first.
    // (Collected first: erasing through a reverse iterator would read the
    // erased op.)
    SmallVector<Operation *> ops;
    for (Operation &op : rb)
      ops.push_back(&op);
    for (Operation *op : llvm::reverse(ops))
      if (op->use_empty() && isPure(op) &&
          !op->hasTrait<OpTrait::IsTerminator>())
        op->erase();
    symbols.insert(prep);
    symbols.insert(run);
    // @fn becomes @fn_prepared(args, @fn_prepare(weights)): the same values,
    // and the body is compiled once instead of twice.
    {
      Operation *term = body.getTerminator();
      OpBuilder fb(term);
      SmallVector<Value> weights;
      for (unsigned i : weightArgs)
        weights.push_back(body.getArgument(i));
      auto p = func::CallOp::create(fb, loc, prep, weights);
      SmallVector<Value> runArgs(body.getArguments().begin(),
                                 body.getArguments().end());
      runArgs.append(p.getResults().begin(), p.getResults().end());
      auto r = func::CallOp::create(fb, loc, run, runArgs);
      term->setOperands(r.getResults());
      SmallVector<Operation *> dead;
      for (Operation &op : body.without_terminator())
        if (&op != p.getOperation() && &op != r.getOperation())
          dead.push_back(&op);
      for (Operation *op : llvm::reverse(dead))
        op->erase();
    }
    numHoisted += prepared.size();
  }

  void runOnOperation() override {
    SymbolTable symbols(getOperation());
    SmallVector<func::FuncOp> fns;
    for (auto fn : getOperation().getOps<func::FuncOp>())
      if (fn.isPublic() && !fn.isExternal())
        fns.push_back(fn);
    for (func::FuncOp fn : fns) {
      std::string a = (fn.getName() + "_prepare").str();
      if (symbols.lookup(a) || symbols.lookup(a + "d")) {
        fn.emitWarning() << "lf-hoist-weight-prep: @" << a
                         << " already exists; not hoisting";
        continue;
      }
      hoist(fn, symbols);
    }
  }
};
} // namespace
