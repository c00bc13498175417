//===- LayerNormToRMSNorm.cpp - Pre-LN -> Pre-RMSNorm ----------------------===//
//
// Part of lightfuse. spec.md section 3.4: recentre every writer of a residual
// stream whose readers are all LayerNorms, then those LayerNorms are
// RMSNorms.
//
//===----------------------------------------------------------------------===//

#include "lightfuse/Transforms/Passes.h"
#include "PassDetail.h"
#include "lightfuse/Support/Remarks.h"

#include "FoldUtils.h"
#include "ResidualStream.h"
#include "dialects/lf/LFOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace mlir::lf {
#define GEN_PASS_DEF_LAYERNORMTORMSNORMPASS
#include "lightfuse/Transforms/Passes.h.inc"
} // namespace mlir::lf

using namespace mlir;
using namespace mlir::lf;

namespace {

bool isLayerNormReader(OpOperand &use) {
  Operation *op = use.getOwner();
  if (auto ln = dyn_cast<LayerNormOp>(op))
    return use.get() == ln.getInput();
  if (auto rn = dyn_cast<ResidualNormOp>(op))
    return rn.getKind() == NormKind::layer &&
           (use.get() == rn.getInput() || use.get() == rn.getResidual());
  return false;
}

struct LayerNormToRMSNormPass
    : lf::impl::LayerNormToRMSNormPassBase<LayerNormToRMSNormPass> {
  using Base::Base;

  /// Whether `v` can be made zero-mean along its last axis.
  bool leafOk(Value v, std::string &why) {
    if (auto arg = dyn_cast<BlockArgument>(v)) {
      if (!centerInputs) {
        why = "the stream starts at " + describeValue(v) +
              ", whose mean is unknown (center-inputs is off)";
        return false;
      }
      return true;
    }
    Operation *def = v.getDefiningOp();
    if (isa<LinearOp>(def))
      return true;
    if (auto rc = dyn_cast<RecenterOp>(def)) {
      int64_t rank = cast<RankedTensorType>(v.getType()).getRank();
      int64_t axis = static_cast<int64_t>(rc.getAxis());
      if (axis == -1 || axis == rank - 1)
        return true;
    }
    if (constValues(v) && cast<RankedTensorType>(v.getType()).hasStaticShape())
      return true;
    if (isa<LayerNormOp, RMSNormOp, ResidualNormOp>(def)) {
      // A norm of a residual sum is Post-LN; a norm of a sublayer's output
      // added to the stream is Peri-LN's output norm.
      Value in = def->getOperand(0);
      bool postLN = isa<ResidualNormOp>(def) ||
                    (in.getDefiningOp() && isa<AddOp>(in.getDefiningOp()));
      why = "the stream is the output of '" + def->getName().getStringRef().str() +
            (postLN ? "' (a Post-LN placement: the norm of the residual sum)"
                    : "' (a Peri-LN placement: the norm of a sublayer's "
                      "output)") +
            ": it is not zero-mean";
      return false;
    }
    why = "the stream is written by '" + def->getName().getStringRef().str() +
          "', which cannot be recentred (only linears, constants and "
          "function inputs can; fold a per-channel LayerScale into the "
          "linear before it first)";
    return false;
  }

  /// Makes the writer `v` zero-mean; false (IR unchanged) on failure.
  bool recentreWriter(Value v, std::string &why) {
    auto ty = cast<RankedTensorType>(v.getType());
    if (auto arg = dyn_cast<BlockArgument>(v)) {
      OpBuilder b = OpBuilder::atBlockBegin(arg.getOwner());
      auto rc = RecenterOp::create(b, arg.getLoc(), arg, b.getI64IntegerAttr(-1));
      arg.replaceAllUsesExcept(rc, rc);
      return true;
    }
    Operation *def = v.getDefiningOp();
    if (isa<RecenterOp>(def))
      return true;
    OpBuilder b(def);
    if (auto lin = dyn_cast<LinearOp>(def)) {
      Value w = lin.getWeight(), bias = lin.getBias();
      auto wTy = cast<RankedTensorType>(w.getType());
      auto wC = constValues(w);
      auto bC = constValues(bias);
      Value nw, nb;
      if (wC && wTy.hasStaticShape() && (!bias || bC)) {
        int64_t n = wTy.getDimSize(0), k = wTy.getDimSize(1);
        recentre(*wC, Lines::columns(n, k));
        nw = constantOf(b, lin.getLoc(), wTy, *wC, false, 1e-2, why);
        if (nw && bias) {
          recentre(*bC, Lines::rows(1, n));
          nb = constantOf(b, lin.getLoc(),
                          cast<RankedTensorType>(bias.getType()), *bC, false,
                          1e-2, why);
          if (!nb) {
            nw.getDefiningOp()->erase();
            return false;
          }
        }
        if (!nw)
          return false;
      } else {
        nw = RecenterOp::create(b, lin.getLoc(), w, b.getI64IntegerAttr(0));
        if (bias)
          nb = RecenterOp::create(b, lin.getLoc(), bias, b.getI64IntegerAttr(-1));
      }
      auto nl = LinearOp::create(b, lin.getLoc(), lin.getType(),
                                 lin.getInput(), nw, nb);
      lin.getResult().replaceAllUsesWith(nl.getResult());
      lin.erase();
      return true;
    }
    // A dense constant: recentre its rows.
    auto c = constValues(v);
    int64_t d = ty.getDimSize(ty.getRank() - 1);
    recentre(*c, Lines::rows(ty.getNumElements() / d, d));
    Value nc = constantOf(b, def->getLoc(), ty, *c, false, 1e-2, why);
    if (!nc)
      return false;
    v.replaceAllUsesWith(nc);
    if (def->use_empty())
      def->erase();
    return true;
  }

  /// y * 1 + shift after the norm, for a LayerNorm's bias (times its scale).
  Value addBias(OpBuilder &b, Location loc, Value y, Value bias,
                std::optional<APFloat> scale) {
    auto bTy = cast<RankedTensorType>(bias.getType());
    Value shift = bias;
    if (scale)
      shift = arith::MulFOp::create(b, loc, bias,
                                    splat(b, loc, bTy, scale->convertToDouble()));
    return ChannelAffineOp::create(b, loc, y, splat(b, loc, bTy, 1.0), shift,
                                   b.getI64IntegerAttr(-1));
  }

  void rewriteReader(Operation *op) {
    OpBuilder b(op);
    Location loc = op->getLoc();
    if (auto ln = dyn_cast<LayerNormOp>(op)) {
      Value y = RMSNormOp::create(b, loc, ln.getType(), ln.getInput(),
                                  ln.getGain(), ln.getEpsAttr(),
                                  ln.getBias() ? FloatAttr() : ln.getScaleAttr());
      if (ln.getBias()) {
        // (n g + b) s = (n g) s + b s: keep the scale on both terms.
        if (auto s = ln.getScale())
          y = ChannelAffineOp::create(
              b, loc, y, splat(b, loc, cast<RankedTensorType>(ln.getBias().getType()),
                               s->convertToDouble()),
              arith::MulFOp::create(
                  b, loc, ln.getBias(),
                  splat(b, loc, cast<RankedTensorType>(ln.getBias().getType()),
                        s->convertToDouble())),
              b.getI64IntegerAttr(-1));
        else
          y = addBias(b, loc, y, ln.getBias(), std::nullopt);
      }
      ln.getResult().replaceAllUsesWith(y);
      ln.erase();
      return;
    }
    auto rn = cast<ResidualNormOp>(op);
    auto nr = ResidualNormOp::create(
        b, loc, rn.getSum().getType(), rn.getResult().getType(),
        NormKindAttr::get(b.getContext(), NormKind::rms),
        rn.getInput(), rn.getResidual(), rn.getGain(), Value(), rn.getEpsAttr(),
        rn.getScaleAttr());
    Value y = nr.getResult();
    if (rn.getBias())
      y = addBias(b, loc, y, rn.getBias(), rn.getScale());
    rn.getSum().replaceAllUsesWith(nr.getSum());
    rn.getResult().replaceAllUsesWith(y);
    rn.erase();
  }

  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    SmallVector<Value> seeds;
    fn.walk([&](Operation *op) {
      if (auto ln = dyn_cast<LayerNormOp>(op))
        seeds.push_back(ln.getInput());
      else if (auto rn = dyn_cast<ResidualNormOp>(op);
               rn && rn.getKind() == NormKind::layer)
        seeds.push_back(rn.getInput());
    });
    DenseSet<Value> seen;
    for (Value seed : seeds) {
      if (seen.contains(seed))
        continue;
      ResidualStream s = growResidualStream(
          seed, isLayerNormReader,
          [&](Value v, std::string &why) { return leafOk(v, why); });
      seen.insert(s.values.begin(), s.values.end());
      // A bias with a dynamic width cannot get its ones vector.
      for (Operation *r : s.readers) {
        Value bias = isa<LayerNormOp>(r) ? cast<LayerNormOp>(r).getBias()
                                         : cast<ResidualNormOp>(r).getBias();
        if (bias && !cast<RankedTensorType>(bias.getType()).hasStaticShape() &&
            !s.blame) {
          s.blame = r;
          s.why = "its bias has a dynamic width";
        }
      }
      if (s.blame) {
        refuse(s, s.why);
        continue;
      }
      // Writers first (all or nothing), then the readers.
      std::string why;
      SmallVector<Value> leaves(s.leaves.begin(), s.leaves.end());
      bool ok = true;
      for (Value leaf : leaves) {
        if (!recentreWriter(leaf, why)) {
          ok = false;
          break;
        }
        ++numWriters;
      }
      if (!ok) {
        // Only constants can fail (the numerics guard), and they are
        // checked before anything is replaced for that writer; earlier
        // writers are already recentred, which keeps semantics since
        // LayerNorms are mean-invariant.
        refuse(s, "a recentred constant fails the numerics guard: " + why);
        continue;
      }
      for (Operation *r : s.readers) {
        rewriteReader(r);
        ++numNorms;
      }
    }
  }

  void refuse(const ResidualStream &s, const std::string &why) {
    Operation *first = s.readers.empty() ? s.blame : s.readers.front();
    auto d = DeclineReporter("lf-layernorm-to-rmsnorm",
                             "this stream keeps its LayerNorms", explain,
                             &numRefused)(first, why);
    if (d && s.blame && s.blame != first)
      d->attachNote(s.blame->getLoc()) << "here";
  }
};
} // namespace
