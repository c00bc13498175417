//===- FoldNormIntoLinear.cpp - fold per-channel affines into linears -----===//
//
// Part of lightfuse. spec.md section 2: F2 folds a per-channel affine into the
// linear before it, F1 into the linears after it.
//
//===----------------------------------------------------------------------===//

#include "lightfuse/Transforms/Passes.h"
#include "PassDetail.h"
#include "lightfuse/Support/Remarks.h"

#include "dialects/lf/LFOps.h"
#include "FoldUtils.h"

#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

#include <cmath>

namespace mlir::lf {
#define GEN_PASS_DEF_FOLDNORMINTOLINEARPASS
#include "lightfuse/Transforms/Passes.h.inc"
} // namespace mlir::lf

using namespace mlir;
using namespace mlir::lf;

namespace {

/// A per-channel affine y = a * x + c along the last axis, as constants
/// (when every parameter is constant) and as builders of tensor values.
struct ChannelAffine {
  Operation *op = nullptr;
  Value input;          // what the affine reads
  bool isNorm = false;  // layer_norm / rms_norm: only the affine tail folds
  int64_t channels = 0; // C (static)
  std::optional<SmallVector<double>> a, c; // c empty vector = zero shift
  std::function<Value(OpBuilder &, Location)> buildA, buildC; // C may be null
};

/// Describes `op` as a channel affine, or explains why it is not one.
FailureOr<ChannelAffine> describe(Operation *op, std::string &why) {
  ChannelAffine ca;
  ca.op = op;
  auto lastAxis = [&](Value input, int64_t axis) -> bool {
    int64_t rank = cast<RankedTensorType>(input.getType()).getRank();
    if ((axis < 0 ? axis + rank : axis) != rank - 1) {
      why = "the channel axis " + std::to_string(axis) +
            " is not the last (contracted) axis";
      return false;
    }
    return true;
  };
  auto channelCount = [&](Value input) -> bool {
    auto ty = cast<RankedTensorType>(input.getType());
    ca.channels = ty.getDimSize(ty.getRank() - 1);
    if (ShapedType::isDynamic(ca.channels)) {
      why = "the channel count is dynamic";
      return false;
    }
    return true;
  };
  // rsqrt(v + eps) * gain, elementwise on constants.
  auto scaleOf = [](const SmallVector<double> &v, double eps,
                    const std::optional<SmallVector<double>> &gain,
                    bool gainPresent) -> std::optional<SmallVector<double>> {
    if (gainPresent && !gain)
      return std::nullopt;
    SmallVector<double> a(v.size());
    for (size_t i = 0; i < v.size(); ++i)
      a[i] = (gainPresent ? (*gain)[i] : 1.0) / std::sqrt(v[i] + eps);
    return a;
  };

  if (auto aff = dyn_cast<ChannelAffineOp>(op)) {
    if (!lastAxis(aff.getInput(), aff.getAxis()) || !channelCount(aff.getInput()))
      return failure();
    ca.input = aff.getInput();
    ca.a = constValues(aff.getScale());
    ca.c = constValues(aff.getShift());
    Value s = aff.getScale(), t = aff.getShift();
    ca.buildA = [s](OpBuilder &, Location) { return s; };
    ca.buildC = [t](OpBuilder &, Location) { return t; };
    return ca;
  }
  // gain * rsqrt(stat + eps) and bias - a * mean, for BN and UN.
  auto statAffine = [&](Value input, Value stat, Value mean, Value gain,
                        Value bias, double eps) -> ChannelAffine & {
    ca.input = input;
    auto statC = constValues(stat);
    auto gainC = constValues(gain);
    auto meanC = constValues(mean);
    auto biasC = constValues(bias);
    if (statC)
      ca.a = scaleOf(*statC, eps, gainC, bool(gain));
    if (ca.a && (!mean || meanC) && (!bias || biasC)) {
      SmallVector<double> c(ca.channels, 0.0);
      for (int64_t i = 0; i < ca.channels; ++i)
        c[i] = (bias ? (*biasC)[i] : 0.0) - (mean ? (*ca.a)[i] * (*meanC)[i] : 0.0);
      ca.c = c;
    }
    auto ty = cast<RankedTensorType>(stat.getType());
    ca.buildA = [=](OpBuilder &b, Location loc) -> Value {
      Value v = arith::AddFOp::create(b, loc, stat, splat(b, loc, ty, eps));
      Value r = math::RsqrtOp::create(b, loc, v);
      return gain ? arith::MulFOp::create(b, loc, r, gain).getResult() : r;
    };
    ca.buildC = [=](OpBuilder &b, Location loc) -> Value {
      if (!mean)
        return bias;
      Value am = arith::MulFOp::create(b, loc, ca.buildA(b, loc), mean);
      if (!bias)
        return arith::NegFOp::create(b, loc, am);
      return arith::SubFOp::create(b, loc, bias, am);
    };
    return ca;
  };
  if (auto bn = dyn_cast<BatchNormOp>(op)) {
    if (!lastAxis(bn.getInput(), bn.getAxis()) || !channelCount(bn.getInput()))
      return failure();
    statAffine(bn.getInput(), bn.getRunningVar(), bn.getRunningMean(),
               bn.getGain(), bn.getBias(), bn.getEps().convertToDouble());
    return ca;
  }
  if (auto pn = dyn_cast<PowerNormOp>(op)) {
    // Stage 2 is the affine; stage 1 (group scaling) stays.
    if (!pn.getRunningQm() && !pn.getGain() && !pn.getBias()) {
      why = "it has no gain, bias or scale to fold";
      return failure();
    }
    if (!lastAxis(pn.getInput(), pn.getAxis()) || !channelCount(pn.getInput()))
      return failure();
    Value stat = pn.getRunningQm();
    if (stat) {
      statAffine(pn.getInput(), stat, Value(), pn.getGain(), pn.getBias(),
                 pn.getEps().convertToDouble());
    } else {
      // gain and bias only.
      ca.input = pn.getInput();
      auto gainC = constValues(pn.getGain());
      auto biasC = constValues(pn.getBias());
      if (!pn.getGain() || gainC)
        ca.a = pn.getGain() ? *gainC : SmallVector<double>(ca.channels, 1.0);
      if (!pn.getBias() || biasC)
        ca.c = pn.getBias() ? *biasC : SmallVector<double>(ca.channels, 0.0);
      auto ty = RankedTensorType::get({ca.channels}, elemTy(pn.getInput()));
      Value gain = pn.getGain(), bias = pn.getBias();
      ca.buildA = [=](OpBuilder &b, Location loc) -> Value {
        return gain ? gain : splat(b, loc, ty, 1.0);
      };
      ca.buildC = [=](OpBuilder &, Location) { return bias; };
    }
    ca.isNorm = true;
    return ca;
  }
  if (auto un = dyn_cast<UnifiedNormOp>(op)) {
    if (!lastAxis(un.getInput(), un.getAxis()) || !channelCount(un.getInput()))
      return failure();
    statAffine(un.getInput(), un.getRunningQm(), Value(), un.getGain(),
               un.getBias(), un.getEps().convertToDouble());
    return ca;
  }
  // Norm tails: a = gain * scale, c = bias * scale.
  auto normTail = [&](Value input, Value gain, Value bias,
                      std::optional<APFloat> scaleAttr) -> LogicalResult {
    if (!gain && !bias && !scaleAttr) {
      why = "it has no gain, bias or scale to fold";
      return failure();
    }
    if (!channelCount(input))
      return failure();
    ca.isNorm = true;
    ca.input = input;
    double scale = scaleAttr ? scaleAttr->convertToDouble() : 1.0;
    auto gainC = constValues(gain);
    auto biasC = constValues(bias);
    if (!gain || gainC) {
      SmallVector<double> a(ca.channels, scale);
      for (int64_t i = 0; gain && i < ca.channels; ++i)
        a[i] = (*gainC)[i] * scale;
      ca.a = a;
    }
    if (!bias || biasC) {
      SmallVector<double> c(ca.channels, 0.0);
      for (int64_t i = 0; bias && i < ca.channels; ++i)
        c[i] = (*biasC)[i] * scale;
      ca.c = c;
    }
    auto ty = RankedTensorType::get({ca.channels}, elemTy(input));
    ca.buildA = [=](OpBuilder &b, Location loc) -> Value {
      if (!gain)
        return splat(b, loc, ty, scale);
      if (scale == 1.0)
        return gain;
      return arith::MulFOp::create(b, loc, gain, splat(b, loc, ty, scale));
    };
    ca.buildC = [=](OpBuilder &b, Location loc) -> Value {
      if (!bias || scale == 1.0)
        return bias;
      return arith::MulFOp::create(b, loc, bias, splat(b, loc, ty, scale));
    };
    return success();
  };
  if (auto ln = dyn_cast<LayerNormOp>(op)) {
    if (failed(normTail(ln.getInput(), ln.getGain(), ln.getBias(), ln.getScale())))
      return failure();
    return ca;
  }
  if (auto rms = dyn_cast<RMSNormOp>(op)) {
    if (failed(normTail(rms.getInput(), rms.getGain(), Value(), rms.getScale())))
      return failure();
    return ca;
  }
  why = "not a per-channel affine";
  return failure();
}

struct FoldNormIntoLinearPass
    : lf::impl::FoldNormIntoLinearPassBase<FoldNormIntoLinearPass> {
  using Base::Base;

  void refuse(Operation *op, const Twine &why) {
    DeclineReporter("lf-fold-norm-into-linear", "not folded", explain, &numRefused)(op, why);
  }

  /// F2: fold into the linear producing the affine's input.
  bool foldPreceding(const ChannelAffine &ca, std::string &why) {
    auto lin = ca.input.getDefiningOp<LinearOp>();
    if (ca.isNorm) {
      why = "a normalization's own statistics sit between it and the "
            "preceding linear";
      return false;
    }
    if (!lin) {
      why = "its input is not produced by lf.linear";
      return false;
    }
    if (!lin.getResult().hasOneUse()) {
      why = "the preceding linear's output has other users";
      return false;
    }
    OpBuilder b(ca.op);
    Location loc = ca.op->getLoc();
    Value w = lin.getWeight(), bias = lin.getBias();
    auto wTy = cast<RankedTensorType>(w.getType());
    auto wC = constValues(w);
    auto bC = constValues(bias);
    Value newW, newB;
    if (ca.a && ca.c && wC && (!bias || bC) && wTy.hasStaticShape()) {
      int64_t n = wTy.getDimSize(0), k = wTy.getDimSize(1);
      SmallVector<double> w2(n * k), b2(n);
      for (int64_t i = 0; i < n; ++i) {
        for (int64_t j = 0; j < k; ++j)
          w2[i * k + j] = (*ca.a)[i] * (*wC)[i * k + j];
        b2[i] = (*ca.a)[i] * (bias ? (*bC)[i] : 0.0) + (*ca.c)[i];
      }
      auto bTy = RankedTensorType::get({n}, wTy.getElementType());
      DenseElementsAttr wA = roundTo(wTy, w2, allowLossy, maxRelError, why);
      DenseElementsAttr bA =
          wA ? roundTo(bTy, b2, allowLossy, maxRelError, why) : nullptr;
      if (!wA || !bA)
        return false;
      newW = arith::ConstantOp::create(b, loc, wTy, wA);
      newB = arith::ConstantOp::create(b, loc, bTy, bA);
    } else {
      // Weight-side arithmetic as ops (hoistable: it reads weights only),
      // at the affine: its parameters may be defined after the linear.
      Value a = ca.buildA(b, loc), c = ca.buildC(b, loc);
      auto vTy = RankedTensorType::get({ca.channels}, wTy.getElementType());
      newW = ChannelAffineOp::create(b, loc, w, a, splat(b, loc, vTy, 0.0),
                                     /*axis=*/0);
      newB = bias ? arith::MulFOp::create(b, loc, a, bias).getResult() : Value();
      if (c)
        newB = newB ? arith::AddFOp::create(b, loc, newB, c).getResult() : c;
    }
    b.setInsertionPoint(ca.op);
    Value y = LinearOp::create(b, loc, ca.op->getResult(0).getType(),
                               lin.getInput(), newW, newB);
    ca.op->getResult(0).replaceAllUsesWith(y);
    ca.op->erase();
    lin.erase();
    ++numFoldedPreceding;
    return true;
  }

  /// F1: fold into every linear consuming the affine's result.
  bool foldFollowing(const ChannelAffine &ca, std::string &why) {
    Value out = ca.op->getResult(0);
    SmallVector<LinearOp> users;
    for (OpOperand &use : out.getUses()) {
      auto lin = dyn_cast<LinearOp>(use.getOwner());
      if (!lin || use.getOperandNumber() != 0) {
        why = "its result is also used by '" +
              use.getOwner()->getName().getStringRef().str() +
              "', which would observe the difference";
        return false;
      }
      users.push_back(lin);
    }
    if (users.empty()) {
      why = "its result is not used by any lf.linear";
      return false;
    }
    // Compute every fold first: refuse all or nothing.
    SmallVector<std::pair<Value, Value>> newParams;
    OpBuilder b(ca.op);
    Location loc = ca.op->getLoc();
    SmallVector<Operation *> created;
    auto rollback = [&] {
      for (Operation *op : llvm::reverse(created))
        op->erase();
    };
    for (LinearOp lin : users) {
      Value w = lin.getWeight(), bias = lin.getBias();
      auto wTy = cast<RankedTensorType>(w.getType());
      auto wC = constValues(w);
      auto bC = constValues(bias);
      b.setInsertionPoint(lin);
      if (ca.a && ca.c && wC && (!bias || bC) && wTy.hasStaticShape()) {
        int64_t n = wTy.getDimSize(0), k = wTy.getDimSize(1);
        SmallVector<double> w2(n * k), b2(n);
        for (int64_t i = 0; i < n; ++i) {
          double acc = bias ? (*bC)[i] : 0.0;
          for (int64_t j = 0; j < k; ++j) {
            w2[i * k + j] = (*wC)[i * k + j] * (*ca.a)[j];
            acc += (*wC)[i * k + j] * (*ca.c)[j];
          }
          b2[i] = acc;
        }
        auto bTy = RankedTensorType::get({n}, wTy.getElementType());
        DenseElementsAttr wA = roundTo(wTy, w2, allowLossy, maxRelError, why);
        DenseElementsAttr bA =
            wA ? roundTo(bTy, b2, allowLossy, maxRelError, why) : nullptr;
        if (!wA || !bA) {
          rollback();
          return false;
        }
        auto wOp = arith::ConstantOp::create(b, loc, wTy, wA);
        auto bOp = arith::ConstantOp::create(b, loc, bTy, bA);
        created.append({wOp, bOp});
        newParams.push_back({wOp, bOp});
        continue;
      }
      Value a = ca.buildA(b, loc), c = ca.buildC(b, loc);
      auto vTy = RankedTensorType::get({ca.channels}, wTy.getElementType());
      Value newW = ChannelAffineOp::create(b, loc, w, a,
                                           splat(b, loc, vTy, 0.0),
                                           /*axis=*/1);
      Value newB = bias;
      if (c) {
        auto nTy = RankedTensorType::get({wTy.getDimSize(0)},
                                         wTy.getElementType());
        newB = LinearOp::create(b, loc, nTy, c, w, bias);
      }
      newParams.push_back({newW, newB});
    }
    // The value the linears read now: the affine's input, or the norm
    // without its affine tail.
    Value src = ca.input;
    if (ca.isNorm) {
      b.setInsertionPoint(ca.op);
      if (auto ln = dyn_cast<LayerNormOp>(ca.op))
        src = LayerNormOp::create(b, loc, ln.getType(), ln.getInput(), Value(),
                                  Value(), ln.getEpsAttr(), FloatAttr());
      else if (auto rms = dyn_cast<RMSNormOp>(ca.op))
        src = RMSNormOp::create(b, loc, rms.getType(), rms.getInput(), Value(),
                                rms.getEpsAttr(), FloatAttr());
      else if (auto pn = dyn_cast<PowerNormOp>(ca.op))
        src = PowerNormOp::create(b, loc, pn.getType(), pn.getInput(), Value(),
                                  Value(), Value(), pn.getGroupsAttr(),
                                  pn.getEpsAttr(), pn.getGroupEpsAttr(),
                                  pn.getAxisAttr());
    }
    for (auto [lin, p] : llvm::zip(users, newParams)) {
      b.setInsertionPoint(lin);
      Value y = LinearOp::create(b, lin.getLoc(), lin.getType(), src, p.first,
                                 p.second);
      lin.getResult().replaceAllUsesWith(y);
      lin.erase();
    }
    ca.op->erase();
    ++numFoldedFollowing;
    return true;
  }

  void runOnOperation() override {
    SmallVector<Operation *> candidates;
    getOperation().walk([&](Operation *op) {
      if (isa<ChannelAffineOp, BatchNormOp, UnifiedNormOp, PowerNormOp,
              LayerNormOp, RMSNormOp>(op))
        candidates.push_back(op);
    });
    for (Operation *op : candidates) {
      std::string why;
      FailureOr<ChannelAffine> ca = describe(op, why);
      if (failed(ca)) {
        // A norm without an affine tail is not a candidate at all.
        if (!isa<LayerNormOp, RMSNormOp, PowerNormOp>(op) ||
            why != "it has no gain, bias or scale to fold")
          refuse(op, why);
        continue;
      }
      std::string whyPre, whyPost;
      if (foldPreceding(*ca, whyPre) || foldFollowing(*ca, whyPost))
        continue;
      refuse(op, ca->isNorm ? whyPost
                            : "into the preceding linear: " + whyPre +
                                  "; into the following linears: " + whyPost);
    }
  }
};
} // namespace
