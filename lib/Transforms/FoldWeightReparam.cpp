//===- FoldWeightReparam.cpp - evaluate weight reparameterizations -------===//
//
// Part of lightfuse. spec.md section 6 (sigmaReparam, Scaled Weight
// Standardization, Weight Compander) and 3.11 (LayerNorm Scaling): weights
// that are functions of other constants become constants.
//
//===----------------------------------------------------------------------===//

#include "lightfuse/Transforms/Passes.h"
#include "PassDetail.h"
#include "lightfuse/Support/Remarks.h"

#include "FoldUtils.h"
#include "dialects/lf/LFOps.h"

#include "mlir/IR/PatternMatch.h"

namespace mlir::lf {
#define GEN_PASS_DEF_FOLDWEIGHTREPARAMPASS
#include "lightfuse/Transforms/Passes.h.inc"
} // namespace mlir::lf

using namespace mlir;
using namespace mlir::lf;

namespace {

double norm2(ArrayRef<double> v) {
  double s = 0;
  for (double x : v)
    s += x * x;
  return std::sqrt(s);
}

/// y = W x (n x k times k) or W^T x.
SmallVector<double> matVec(ArrayRef<double> w, int64_t n, int64_t k,
                           ArrayRef<double> x, bool transposed) {
  SmallVector<double> y(transposed ? k : n, 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < k; ++j) {
      if (transposed)
        y[j] += w[i * k + j] * x[i];
      else
        y[i] += w[i * k + j] * x[j];
    }
  return y;
}

void scaleInPlace(SmallVector<double> &v, double s) {
  for (double &x : v)
    x *= s;
}

struct FoldWeightReparamPass
    : lf::impl::FoldWeightReparamPassBase<FoldWeightReparamPass> {
  using Base::Base;

  void refuse(Operation *op, const Twine &why) {
    DeclineReporter("lf-fold-weight-reparam", "not folded", explain, &numRefused)(op, why);
  }

  /// The spectral norm of W (n x k): the largest of power iterations on
  /// W^T W from two starts, the all-ones vector and a fixed pseudo-random
  /// one. One start alone converges to a smaller singular value when it is
  /// orthogonal to the top right singular vector (e.g. W = [[3, -3], [1, 1]]
  /// from all-ones gives sqrt(2) instead of sqrt(18)); two unrelated starts
  /// cannot both be.
  std::optional<double> spectralNorm(ArrayRef<double> w, int64_t n, int64_t k,
                                     std::string &why) {
    SmallVector<double> ones(k, 1.0 / std::sqrt(double(k)));
    SmallVector<double> mixed(k);
    uint64_t state = 0x9E3779B97F4A7C15ull;
    double mixedNorm = 0.0;
    for (double &x : mixed) {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      x = double(state >> 11) / double(1ull << 53) * 2.0 - 1.0;
      mixedNorm += x * x;
    }
    if (mixedNorm > 0.0)
      scaleInPlace(mixed, 1.0 / std::sqrt(mixedNorm));
    std::string whyOnes, whyMixed;
    std::optional<double> a = powerIteration(w, n, k, ones, whyOnes);
    std::optional<double> b = powerIteration(w, n, k, mixed, whyMixed);
    if (!a && !b) {
      why = whyOnes;
      return std::nullopt;
    }
    if (!a || !b) {
      // One start converged, the other did not: its value may be a lower
      // singular value (a stalled start), so refuse rather than guess.
      why = !a ? whyOnes : whyMixed;
      return std::nullopt;
    }
    return std::max(*a, *b);
  }

  /// Power iteration on W^T W from the unit vector `u`.
  std::optional<double> powerIteration(ArrayRef<double> w, int64_t n,
                                       int64_t k, SmallVector<double> u,
                                       std::string &why) {
    double sigma = 0.0;
    for (int64_t it = 0; it < maxIterations; ++it) {
      SmallVector<double> v = matVec(w, n, k, u, false);
      double nv = norm2(v);
      if (nv == 0.0) {
        if (it > 0)
          break;
        // The all-ones start is in W's null space: start from the column
        // of largest norm instead.
        int64_t best = 0;
        double bestNorm = -1;
        for (int64_t j = 0; j < k; ++j) {
          double s = 0;
          for (int64_t i = 0; i < n; ++i)
            s += w[i * k + j] * w[i * k + j];
          if (s > bestNorm)
            bestNorm = s, best = j;
        }
        if (bestNorm <= 0.0) {
          why = "the weight is all zeros, so sigma(W) = 0";
          return std::nullopt;
        }
        u.assign(k, 0.0);
        u[best] = 1.0;
        continue;
      }
      scaleInPlace(v, 1.0 / nv);
      u = matVec(w, n, k, v, true);
      double next = norm2(u); // ||W^T v||, v unit: increases to sigma_max
      scaleInPlace(u, 1.0 / next);
      if (it > 0 && std::fabs(next - sigma) <= tolerance * next)
        return next;
      sigma = next;
    }
    why = "the power iteration did not converge to a relative change of " +
          std::to_string(tolerance) + " within " +
          std::to_string(maxIterations) + " iterations (raise max-iterations)";
    return std::nullopt;
  }

  std::optional<SmallVector<double>> evalSigma(SigmaReparamOp op,
                                               ArrayRef<double> w,
                                               std::string &why) {
    auto ty = cast<RankedTensorType>(op.getWeight().getType());
    int64_t n = ty.getDimSize(0), k = ty.getDimSize(1);
    auto gamma = constValues(op.getGamma());
    if (!gamma) {
      why = "gamma is not a constant";
      return std::nullopt;
    }
    double sigma;
    if (Value uVal = op.getU()) {
      auto u = constValues(uVal);
      if (!u) {
        why = "u is not a constant";
        return std::nullopt;
      }
      // The evaluation-mode step of the reference, F.normalize's eps included.
      SmallVector<double> v = matVec(w, n, k, *u, false);
      scaleInPlace(v, 1.0 / std::max(norm2(v), 1e-12));
      SmallVector<double> u2 = matVec(w, n, k, v, true);
      scaleInPlace(u2, 1.0 / std::max(norm2(u2), 1e-12));
      SmallVector<double> wu = matVec(w, n, k, u2, false);
      sigma = 0;
      for (int64_t i = 0; i < n; ++i)
        sigma += v[i] * wu[i];
    } else {
      std::optional<double> s = spectralNorm(w, n, k, why);
      if (!s)
        return std::nullopt;
      sigma = *s;
    }
    if (!(sigma != 0.0) || !std::isfinite(sigma)) {
      why = "sigma(W) is " + std::to_string(sigma) +
            ", so gamma / sigma is not finite";
      return std::nullopt;
    }
    SmallVector<double> out(w);
    scaleInPlace(out, (*gamma)[0] / sigma);
    return out;
  }

  SmallVector<double> evalStandardize(WeightStandardizeOp op,
                                      ArrayRef<double> w,
                                      std::optional<SmallVector<double>> gain) {
    auto ty = cast<RankedTensorType>(op.getWeight().getType());
    int64_t rows = ty.getDimSize(0);
    int64_t fan = ty.getNumElements() / rows;
    double gamma = op.getGamma().convertToDouble();
    double eps = op.getEps().convertToDouble();
    SmallVector<double> out(w.size());
    for (int64_t o = 0; o < rows; ++o) {
      ArrayRef<double> row = w.slice(o * fan, fan);
      double mean = 0;
      for (double x : row)
        mean += x;
      mean /= fan;
      double var = 0;
      for (double x : row)
        var += (x - mean) * (x - mean);
      var /= fan;
      double f = gamma / std::sqrt(double(fan)) / std::sqrt(var + eps) *
                 (gain ? (*gain)[o] : 1.0);
      for (int64_t j = 0; j < fan; ++j)
        out[o * fan + j] = (row[j] - mean) * f;
    }
    return out;
  }

  /// Replaces a reparameterization by the constant it evaluates to.
  void foldReparam(Operation *op) {
    Value weight = op->getOperand(0);
    auto ty = cast<RankedTensorType>(weight.getType());
    auto w = constValues(weight);
    if (!w) {
      refuse(op, "the weight is not a constant: it is computed at run time "
                 "(lf-hoist-weight-prep runs it once for {lf.weight} "
                 "arguments)");
      return;
    }
    if (!ty.hasStaticShape()) {
      refuse(op, "the weight's shape is dynamic");
      return;
    }
    std::string why;
    std::optional<SmallVector<double>> vals;
    if (auto s = dyn_cast<SigmaReparamOp>(op)) {
      vals = evalSigma(s, *w, why);
    } else if (auto ws = dyn_cast<WeightStandardizeOp>(op)) {
      auto gain = constValues(ws.getGain());
      if (ws.getGain() && !gain)
        why = "the gain is not a constant";
      else
        vals = evalStandardize(ws, *w, gain);
    } else {
      auto c = cast<WeightCompandOp>(op);
      double p = c.getExponent().convertToDouble();
      vals = *w;
      for (double &x : *vals)
        x = std::copysign(std::pow(std::fabs(x), p), x);
    }
    if (!vals) {
      refuse(op, why);
      return;
    }
    DenseElementsAttr attr = roundTo(ty, *vals, allowLossy, maxRelError, why);
    if (!attr) {
      refuse(op, why);
      return;
    }
    OpBuilder b(op);
    Value c = arith::ConstantOp::create(b, op->getLoc(), ty, attr);
    op->getResult(0).replaceAllUsesWith(c);
    op->erase();
    ++numFolded;
  }

  /// param * scale as a new value: a constant when param is one (or absent,
  /// which stands for `absentValue`), else a weight-side multiply.
  Value scaledParam(OpBuilder &b, Location loc, Value param,
                    double absentValue, double scale, RankedTensorType ty,
                    std::string &why) {
    if (!param) {
      if (!ty.hasStaticShape()) {
        why = "the normalized dimension is dynamic, so no gain constant can "
              "be built";
        return {};
      }
      // A splat: no f64 copy of every element.
      return splatOf(b, loc, ty, absentValue * scale, allowLossy,
                     maxRelError, why);
    }
    if (auto c = constValues(param)) {
      if (!ty.hasStaticShape()) {
        why = "the gain's shape is dynamic";
        return {};
      }
      scaleInPlace(*c, scale);
      return constantOf(b, loc, ty, *c, allowLossy, maxRelError, why);
    }
    return arith::MulFOp::create(b, loc, param, splat(b, loc, ty, scale));
  }

  /// LayerNorm Scaling: scale * (g n + b) = (g scale) n + (b scale).
  template <typename OpTy>
  void foldScale(OpTy op) {
    std::optional<APFloat> s = op.getScale();
    if (!s)
      return;
    double scale = s->convertToDouble();
    auto xTy = cast<RankedTensorType>(op.getInput().getType());
    auto vTy = RankedTensorType::get({xTy.getDimSize(xTy.getRank() - 1)},
                                     xTy.getElementType());
    OpBuilder b(op);
    std::string why;
    SmallVector<Operation *> created;
    Value gain = scaledParam(b, op.getLoc(), op.getGain(), 1.0, scale, vTy, why);
    Value bias;
    if constexpr (!std::is_same_v<OpTy, RMSNormOp>) {
      if (gain && op.getBias())
        bias = scaledParam(b, op.getLoc(), op.getBias(), 0.0, scale, vTy, why);
      if (gain && op.getBias() && !bias) {
        gain.getDefiningOp()->erase();
        gain = {};
      }
    }
    if (!gain) {
      refuse(op, "scale " + std::to_string(scale) + " not moved into the gain: " +
                     why);
      return;
    }
    op.getGainMutable().assign(gain);
    if constexpr (!std::is_same_v<OpTy, RMSNormOp>)
      if (bias)
        op.getBiasMutable().assign(bias);
    op.removeScaleAttr();
    ++numScales;
  }

  void runOnOperation() override {
    SmallVector<Operation *> ops;
    getOperation().walk([&](Operation *op) {
      if (isa<SigmaReparamOp, WeightStandardizeOp, WeightCompandOp,
              LayerNormOp, RMSNormOp, ResidualNormOp>(op))
        ops.push_back(op);
    });
    for (Operation *op : ops) {
      if (auto ln = dyn_cast<LayerNormOp>(op))
        foldScale(ln);
      else if (auto rms = dyn_cast<RMSNormOp>(op))
        foldScale(rms);
      else if (auto rn = dyn_cast<ResidualNormOp>(op))
        foldScale(rn);
      else
        foldReparam(op);
    }
  }
};
} // namespace
