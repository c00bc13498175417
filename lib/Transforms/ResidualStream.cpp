//===- ResidualStream.cpp - residual-stream analysis ----------------------===//
//
// Part of lightfuse.
//
//===----------------------------------------------------------------------===//

#include "ResidualStream.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

using namespace mlir;
using namespace mlir::lf;

std::string mlir::lf::describeValue(Value v) {
  if (auto arg = dyn_cast<BlockArgument>(v))
    return "function argument #" + std::to_string(arg.getArgNumber());
  return "the result of '" +
         v.getDefiningOp()->getName().getStringRef().str() + "'";
}

ResidualStream mlir::lf::growResidualStream(
    Value seed, const std::function<bool(OpOperand &)> &isReader,
    const std::function<bool(Value, std::string &)> &leafOk) {
  ResidualStream s;
  SmallVector<Value> work{seed};
  auto fail = [&](Operation *op, std::string why) {
    if (!s.blame) {
      s.blame = op;
      s.why = std::move(why);
    }
  };
  while (!work.empty()) {
    Value v = work.pop_back_val();
    if (!s.values.insert(v))
      continue;
    for (OpOperand &use : v.getUses()) {
      Operation *owner = use.getOwner();
      if (isReader(use)) {
        s.readers.insert(owner);
        if (auto rn = dyn_cast<ResidualNormOp>(owner))
          work.append({rn.getInput(), rn.getResidual(), rn.getSum()});
        continue;
      }
      if (auto add = dyn_cast<AddOp>(owner)) {
        work.append({add.getLhs(), add.getRhs(), add.getResult()});
        continue;
      }
      if (isa<func::ReturnOp>(owner))
        fail(owner, "the stream is returned (" + describeValue(v) +
                        "), so the caller would see it recentred");
      else
        fail(owner, "'" + owner->getName().getStringRef().str() +
                        "' reads the stream directly (" + describeValue(v) +
                        ") and would see the difference");
    }
    if (auto add = v.getDefiningOp<AddOp>()) {
      work.append({add.getLhs(), add.getRhs()});
      continue;
    }
    if (auto rn = v.getDefiningOp<ResidualNormOp>(); rn && v == rn.getSum()) {
      work.append({rn.getInput(), rn.getResidual()});
      continue;
    }
    std::string why;
    if (!leafOk(v, why)) {
      Operation *at = v.getDefiningOp();
      if (!at)
        at = cast<BlockArgument>(v).getOwner()->getParentOp();
      fail(at, why);
      continue;
    }
    s.leaves.insert(v);
  }
  return s;
}
