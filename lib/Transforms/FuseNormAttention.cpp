//===- FuseNormAttention.cpp - NormAttention + gate as one op -------------===//
//
// Part of lightfuse.
//
//===----------------------------------------------------------------------===//

#include "lightfuse/Transforms/Passes.h"
#include "PassDetail.h"
#include "lightfuse/Support/Remarks.h"

#include "dialects/lf/LFOps.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace mlir::lf {
#define GEN_PASS_DEF_FUSENORMATTENTIONPASS
#include "lightfuse/Transforms/Passes.h.inc"
} // namespace mlir::lf

using namespace mlir;
using namespace mlir::lf;

namespace {
struct FuseNormAttentionPass
    : lf::impl::FuseNormAttentionPassBase<FuseNormAttentionPass> {
  using Base::Base;

  void refuse(Operation *op, const Twine &why) {
    DeclineReporter("lf-fuse-norm-attention", "not fused", explain, &numRefused)(op, why);
  }

  /// `norm` is an lf.rms_norm read by one lf.mul; returns whether the chain
  /// attention -> transpose -> collapse -> norm -> mul was replaced.
  void tryFuse(RMSNormOp norm) {
    if (!norm->hasOneUse())
      return;
    auto mul = dyn_cast<MulOp>(*norm->getUsers().begin());
    if (!mul)
      return;
    auto collapse = norm.getInput().getDefiningOp<tensor::CollapseShapeOp>();
    if (!collapse)
      return;
    auto transpose = collapse.getSrc().getDefiningOp<linalg::TransposeOp>();
    if (!transpose)
      return;
    auto attn =
        transpose.getInput().getDefiningOp<LinearAttentionOp>();
    if (!attn)
      return;
    // From here on the shape is NormAttention's: say why it is declined.
    if (!attn.getCausal() || attn.getReturnState()) {
      refuse(norm, "the attention is non-causal or also returns its state");
      return;
    }
    if (!attn.getOutput().hasOneUse() || !transpose->getResult(0).hasOneUse() ||
        !collapse->hasOneUse()) {
      refuse(norm, "the per-head attention output or its token-major form "
                   "has other users, which need it materialized");
      return;
    }
    if (transpose.getPermutation() != ArrayRef<int64_t>{0, 2, 1, 3}) {
      refuse(norm, "the transpose does not move the heads next to the "
                   "channels ([B, H, N, Dv] -> [B, N, H, Dv])");
      return;
    }
    SmallVector<ReassociationIndices> re = collapse.getReassociationIndices();
    bool rows2 = re == SmallVector<ReassociationIndices>{{0, 1}, {2, 3}};
    bool rows3 = re == SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}};
    if (!rows2 && !rows3) {
      refuse(norm, "the reshape does not concatenate the heads of each token "
                   "(expected [B*N, H*Dv] or [B, N, H*Dv])");
      return;
    }
    if (norm.getScale()) {
      refuse(norm, "the norm has a scale");
      return;
    }
    Value gate = mul.getLhs() == norm.getResult() ? mul.getRhs() : mul.getLhs();
    if (gate == norm.getResult() || gate.getType() != norm.getType()) {
      refuse(norm, "the product is not an elementwise gate of the same shape");
      return;
    }
    OpBuilder b(mul);
    Location loc = mul.getLoc();
    Value q = attn.getQuery();
    auto qTy = cast<RankedTensorType>(q.getType());
    auto outTy = cast<RankedTensorType>(norm.getType());
    int64_t channels = outTy.getDimSize(outTy.getRank() - 1);
    auto tm = RankedTensorType::get(
        {qTy.getDimSize(0), qTy.getDimSize(2), channels}, qTy.getElementType());
    Value u3 = gate;
    if (rows2) {
      auto dimOf = [&](Value t, int64_t d) -> OpFoldResult {
        return tensor::getMixedSize(b, loc, t, d);
      };
      u3 = tensor::ExpandShapeOp::create(
          b, loc, tm, gate, SmallVector<ReassociationIndices>{{0, 1}, {2}},
          SmallVector<OpFoldResult>{dimOf(q, 0), dimOf(q, 2),
                                    dimOf(gate, 1)});
    }
    Value y = NormAttentionOp::create(
        b, loc, tm, q, attn.getKey(), attn.getValue(), u3, attn.getDecay(),
        norm.getGain(), norm.getEpsAttr(), attn.getFeatureMapAttr());
    if (rows2)
      y = tensor::CollapseShapeOp::create(
          b, loc, outTy, y, SmallVector<ReassociationIndices>{{0, 1}, {2}});
    else if (y.getType() != outTy)
      y = tensor::CastOp::create(b, loc, outTy, y);
    mul.getResult().replaceAllUsesWith(y);
    mul.erase();
    norm.erase();
    collapse.erase();
    transpose.erase();
    attn.erase();
    ++numFused;
  }

  void runOnOperation() override {
    SmallVector<RMSNormOp> norms;
    getOperation().walk([&](RMSNormOp op) { norms.push_back(op); });
    for (RMSNormOp op : norms)
      tryFuse(op);
  }
};
} // namespace
