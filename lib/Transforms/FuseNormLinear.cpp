//===- FuseNormLinear.cpp - norm in the prologue of its linears -----------===//
//
// Part of lightfuse.
//
//===----------------------------------------------------------------------===//

#include "lightfuse/Transforms/Passes.h"
#include "PassDetail.h"
#include "lightfuse/Support/Remarks.h"

#include "dialects/lf/LFOps.h"

namespace mlir::lf {
#define GEN_PASS_DEF_FUSENORMLINEARPASS
#include "lightfuse/Transforms/Passes.h.inc"
} // namespace mlir::lf

using namespace mlir;
using namespace mlir::lf;

namespace {
struct FuseNormLinearPass
    : lf::impl::FuseNormLinearPassBase<FuseNormLinearPass> {
  using Base::Base;

  void refuse(Operation *op, const Twine &why) {
    DeclineReporter("lf-fuse-norm-linear", "not fused", explain, &numRefused)(op, why);
  }

  void fuse(Operation *norm, NormKind kind, Value input, FloatAttr eps,
            bool hasAffine) {
    Value y = norm->getResult(0);
    if (y.use_empty())
      return;
    if (hasAffine) {
      refuse(norm, "it still applies a gain, bias or scale (lf-fold-norm-into-"
                   "linear folds them into the linears first; see its remarks)");
      return;
    }
    for (OpOperand &use : y.getUses()) {
      auto lin = dyn_cast<LinearOp>(use.getOwner());
      if (!lin || use.getOperandNumber() != 0) {
        refuse(norm, "its result is also used by '" +
                         use.getOwner()->getName().getStringRef() +
                         "', which needs the normalized tensor");
        return;
      }
    }
    SmallVector<LinearOp> users;
    for (Operation *u : y.getUsers())
      users.push_back(cast<LinearOp>(u));
    for (LinearOp lin : users) {
      OpBuilder b(lin);
      auto nl = NormLinearOp::create(
          b, lin.getLoc(), lin.getType(), NormKindAttr::get(b.getContext(), kind),
          input, lin.getWeight(), lin.getBias(), eps);
      lin.getResult().replaceAllUsesWith(nl.getResult());
      lin.erase();
      ++numFused;
    }
    norm->erase();
  }

  void runOnOperation() override {
    SmallVector<Operation *> norms;
    getOperation().walk([&](Operation *op) {
      if (isa<LayerNormOp, RMSNormOp>(op))
        norms.push_back(op);
    });
    for (Operation *op : norms) {
      if (auto ln = dyn_cast<LayerNormOp>(op))
        fuse(op, NormKind::layer, ln.getInput(), ln.getEpsAttr(),
             ln.getGain() || ln.getBias() || ln.getScale());
      else if (auto rms = dyn_cast<RMSNormOp>(op))
        fuse(op, NormKind::rms, rms.getInput(), rms.getEpsAttr(),
             rms.getGain() || rms.getScale());
    }
  }
};
} // namespace
