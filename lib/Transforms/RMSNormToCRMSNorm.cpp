//===- RMSNormToCRMSNorm.cpp - compressed zero-mean residual streams ------===//
//
// Part of lightfuse. spec.md section 3.5.
//
//===----------------------------------------------------------------------===//

#include "lightfuse/Transforms/Passes.h"
#include "PassDetail.h"
#include "lightfuse/Support/Remarks.h"

#include "FoldUtils.h"
#include "ResidualStream.h"
#include "dialects/lf/LFOps.h"

namespace mlir::lf {
#define GEN_PASS_DEF_RMSNORMTOCRMSNORMPASS
#include "lightfuse/Transforms/Passes.h.inc"
} // namespace mlir::lf

using namespace mlir;
using namespace mlir::lf;

namespace {

bool isRMSReader(OpOperand &use) {
  auto rms = dyn_cast<RMSNormOp>(use.getOwner());
  return rms && use.get() == rms.getInput();
}

struct RMSNormToCRMSNormPass
    : lf::impl::RMSNormToCRMSNormPassBase<RMSNormToCRMSNormPass> {
  using Base::Base;

  bool leafOk(Value v, std::string &why) {
    if (auto rc = v.getDefiningOp<RecenterOp>()) {
      int64_t rank = cast<RankedTensorType>(v.getType()).getRank();
      int64_t axis = static_cast<int64_t>(rc.getAxis());
      if (axis == -1 || axis == rank - 1)
        return true;
    }
    if (auto lin = v.getDefiningOp<LinearOp>()) {
      auto wTy = cast<RankedTensorType>(lin.getWeight().getType());
      auto w = constValues(lin.getWeight());
      if (!w || !wTy.hasStaticShape()) {
        why = "a writer linear's weight is not a constant, so its zero mean "
              "cannot be checked";
        return false;
      }
      // Column means (over the output axis) must vanish.
      int64_t n = wTy.getDimSize(0), k = wTy.getDimSize(1);
      if (!zeroMean(*w, Lines::columns(n, k), tolerance)) {
        why = "a writer linear's output is not zero-mean (run "
              "lf-layernorm-to-rmsnorm first)";
        return false;
      }
      if (Value b = lin.getBias()) {
        auto bc = constValues(b);
        if (!bc || !zeroMean(*bc, Lines::rows(1, n), tolerance)) {
          why = "a writer linear's bias is not a zero-mean constant";
          return false;
        }
      }
      return true;
    }
    auto ty = cast<RankedTensorType>(v.getType());
    if (auto c = constValues(v); c && ty.hasStaticShape()) {
      int64_t d = ty.getDimSize(ty.getRank() - 1);
      if (zeroMean(*c, Lines::rows(ty.getNumElements() / d, d), tolerance))
        return true;
      why = "a constant writer is not zero-mean";
      return false;
    }
    why = "the stream is written by " + describeValue(v) +
          ", which is not provably zero-mean";
    return false;
  }

  /// The absorbed weight of a reader linear: W' = W diag(gain * scale),
  /// W_c[:, i] = W'[:, i] - W'[:, d-1]; computed in f64 and rounded under
  /// the numerics guard (null when it refuses, with `why`).
  DenseElementsAttr readerWeight(RMSNormOp rms, LinearOp lin, std::string &why) {
    auto wTy = cast<RankedTensorType>(lin.getWeight().getType());
    int64_t rows = wTy.getDimSize(0), d = wTy.getDimSize(1);
    SmallVector<double> g(d, rms.getScale() ? rms.getScale()->convertToDouble()
                                            : 1.0);
    if (auto gc = constValues(rms.getGain()))
      for (int64_t i = 0; i < d; ++i)
        g[i] *= (*gc)[i];
    auto w = *constValues(lin.getWeight());
    SmallVector<double> wc(rows * (d - 1));
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t i = 0; i + 1 < d; ++i)
        wc[r * (d - 1) + i] = w[r * d + i] * g[i] - w[r * d + d - 1] * g[d - 1];
    return roundTo(RankedTensorType::get({rows, d - 1}, wTy.getElementType()),
                   wc, /*allowLossy=*/false, 1e-2, why);
  }

  /// Checks every reader (constant gain, only constant-weight linears
  /// after it) and computes the readers' absorbed weights into `weights`;
  /// on failure sets `at` and `why`.
  bool readersOk(const ResidualStream &s, DenseMap<Operation *, DenseElementsAttr> &weights,
                 std::string &why, Operation *&at) {
    for (Operation *r : s.readers) {
      auto rms = cast<RMSNormOp>(r);
      at = r;
      if (rms.getGain() && !constValues(rms.getGain())) {
        why = "a reading RMSNorm's gain is not a constant";
        return false;
      }
      for (OpOperand &use : rms.getResult().getUses()) {
        auto lin = dyn_cast<LinearOp>(use.getOwner());
        if (!lin || use.getOperandNumber() != 0) {
          why = "the normalized value is read by '" +
                use.getOwner()->getName().getStringRef().str() +
                "', which needs all d channels";
          return false;
        }
        if (!constValues(lin.getWeight()) ||
            !cast<RankedTensorType>(lin.getWeight().getType()).hasStaticShape()) {
          why = "a reader linear's weight is not a constant";
          return false;
        }
        DenseElementsAttr wc = readerWeight(rms, lin, why);
        if (!wc) {
          why = "a reader linear's absorbed weight fails the numerics guard: " + why;
          return false;
        }
        weights[lin] = wc;
      }
    }
    at = nullptr;
    return true;
  }

  RankedTensorType compressedType(Type t) {
    auto ty = cast<RankedTensorType>(t);
    SmallVector<int64_t> shape(ty.getShape());
    shape.back() -= 1;
    return RankedTensorType::get(shape, ty.getElementType());
  }

  /// x[..., 0:d-1] of a tensor value.
  Value sliceLast(OpBuilder &b, Location loc, Value x) {
    auto ty = cast<RankedTensorType>(x.getType());
    unsigned r = ty.getRank();
    SmallVector<OpFoldResult> offs(r, b.getIndexAttr(0));
    SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, x);
    sizes.back() = b.getIndexAttr(ty.getDimSize(r - 1) - 1);
    return tensor::ExtractSliceOp::create(b, loc, compressedType(ty), x, offs,
                                          sizes,
                                          SmallVector<OpFoldResult>(r, b.getIndexAttr(1)));
  }

  /// A constant of values already stored in `ty` (slices of existing
  /// constants): rounding is exact.
  Value constant(OpBuilder &b, Location loc, RankedTensorType ty,
                 ArrayRef<double> vals) {
    std::string why;
    return constantOf(b, loc, ty, vals, /*allowLossy=*/true, 1.0, why);
  }

  Value compress(Value v, DenseMap<Value, Value> &done) {
    if (Value c = done.lookup(v))
      return c;
    Value out;
    Operation *def = v.getDefiningOp();
    OpBuilder b(def->getContext());
    b.setInsertionPointAfter(def);
    Location loc = def->getLoc();
    if (auto add = dyn_cast<AddOp>(def)) {
      Value l = compress(add.getLhs(), done), r = compress(add.getRhs(), done);
      b.setInsertionPointAfter(def);
      out = AddOp::create(b, loc, compressedType(v.getType()), l, r);
    } else if (auto lin = dyn_cast<LinearOp>(def)) {
      auto wTy = cast<RankedTensorType>(lin.getWeight().getType());
      int64_t n = wTy.getDimSize(0), k = wTy.getDimSize(1);
      auto w = *constValues(lin.getWeight());
      SmallVector<double> wc(w.begin(), w.begin() + (n - 1) * k);
      Value nw = constant(b, loc, RankedTensorType::get({n - 1, k}, wTy.getElementType()), wc);
      Value nb;
      if (Value bias = lin.getBias()) {
        auto bc = *constValues(bias);
        bc.pop_back();
        nb = constant(b, loc, RankedTensorType::get({n - 1}, wTy.getElementType()), bc);
      }
      out = LinearOp::create(b, loc, compressedType(v.getType()), lin.getInput(),
                             nw, nb);
    } else if (isa<RecenterOp>(def)) {
      out = sliceLast(b, loc, v);
    } else {
      auto ty = cast<RankedTensorType>(v.getType());
      auto c = *constValues(v);
      int64_t d = ty.getDimSize(ty.getRank() - 1);
      SmallVector<double> kept;
      for (size_t i = 0; i < c.size(); ++i)
        if (static_cast<int64_t>(i % d) != d - 1)
          kept.push_back(c[i]);
      out = constant(b, loc, compressedType(ty), kept);
    }
    done[v] = out;
    return out;
  }

  void rewriteReader(RMSNormOp rms, Value z,
                     const DenseMap<Operation *, DenseElementsAttr> &weights) {
    OpBuilder b(rms);
    Location loc = rms.getLoc();
    auto zTy = cast<RankedTensorType>(z.getType());
    Value n = CRMSNormOp::create(b, loc, zTy, z, Value(), rms.getEpsAttr());
    SmallVector<LinearOp> users;
    for (Operation *u : rms.getResult().getUsers())
      users.push_back(cast<LinearOp>(u));
    for (LinearOp lin : users) {
      b.setInsertionPoint(lin);
      DenseElementsAttr wc = weights.lookup(lin);
      Value nw = arith::ConstantOp::create(b, lin.getLoc(), wc.getType(), wc);
      Value y = LinearOp::create(b, lin.getLoc(), lin.getType(), n, nw,
                                 lin.getBias());
      lin.getResult().replaceAllUsesWith(y);
      lin.erase();
    }
    rms.erase();
  }

  void runOnOperation() override {
    SmallVector<Value> seeds;
    getOperation().walk([&](RMSNormOp op) { seeds.push_back(op.getInput()); });
    DenseSet<Value> seen;
    for (Value seed : seeds) {
      if (seen.contains(seed))
        continue;
      ResidualStream s = growResidualStream(
          seed, isRMSReader,
          [&](Value v, std::string &why) { return leafOk(v, why); });
      seen.insert(s.values.begin(), s.values.end());
      std::string why = s.why;
      Operation *at = s.blame;
      auto ty = cast<RankedTensorType>(seed.getType());
      if (!at && ShapedType::isDynamic(ty.getShape().back())) {
        at = seed.getDefiningOp() ? seed.getDefiningOp() : getOperation();
        why = "the stream's width is dynamic";
      }
      if (!at && ty.getShape().back() < 2) {
        at = getOperation();
        why = "the stream has fewer than 2 channels";
      }
      DenseMap<Operation *, DenseElementsAttr> weights;
      if (!at)
        readersOk(s, weights, why, at);
      if (!at) {
        DenseMap<Value, Value> done;
        SmallVector<std::pair<RMSNormOp, Value>> readers;
        for (Operation *r : s.readers) {
          auto rms = cast<RMSNormOp>(r);
          readers.push_back({rms, compress(rms.getInput(), done)});
        }
        for (auto [rms, z] : readers)
          rewriteReader(rms, z, weights);
        // The full-width stream is dead now: erase it, users first. (Ops
        // are collected up front: values of erased ops must not be touched.)
        llvm::SetVector<Operation *> dead;
        for (Value v : s.values)
          if (Operation *d = v.getDefiningOp(); d && !isa<RecenterOp>(d))
            dead.insert(d);
        bool changed = true;
        while (changed) {
          changed = false;
          for (Operation *d : llvm::make_early_inc_range(dead))
            if (d->use_empty()) {
              dead.remove(d);
              d->erase();
              changed = true;
            }
        }
        ++numStreams;
        continue;
      }
      Operation *first = s.readers.empty() ? at : s.readers.front();
      auto d = DeclineReporter("lf-rmsnorm-to-crmsnorm", "stream not compressed",
                               explain, &numRefused)(first, why);
      if (d && at != first)
        d->attachNote(at->getLoc()) << "here";
    }
  }
};
} // namespace
