//===- WeightReparams.cpp - weight reparameterizations to linalg ----------===//
//
// Part of lightfuse. Run-time forms of the weight ops that
// lf-optimize usually folds: lf.recenter, lf.sigma_reparam (with a stored
// power-iteration vector), lf.weight_standardize and lf.weight_compand.
//
//===----------------------------------------------------------------------===//

#include "LoweringBuilder.h"

using namespace mlir;
using namespace mlir::lf;
using namespace mlir::lf::lowering;
using utils::IteratorType;

namespace mlir::lf::lowering {
/// y = x - mean(x, axis), with the mean taken around K = x[.., 0, ..]:
/// y = (x - K) - sum(x - K) / d. For values close to each other (a stream
/// or a bias with a large common offset) x - K is exact, so the result has
/// no leftover offset, which an RMSNorm reading it would not remove.
static Value lowerRecenter(const Emitter &e, RecenterOp op) {
  Value x = op.getInput();
  unsigned r = rankOf(x);
  unsigned axis = normAxis(op.getAxis(), r);
  MLIRContext *ctx = e.ctx();
  SmallVector<bool> keep(r, true);
  keep[axis] = false;
  SmallVector<AffineExpr> firstExprs;
  for (unsigned i = 0, j = 0; i < r; ++i)
    firstExprs.push_back(i == axis ? getAffineConstantExpr(0, ctx)
                                   : getAffineDimExpr(j++, ctx));
  AffineMap firstMap = AffineMap::get(r - 1, 0, firstExprs, ctx);
  Value shift = e.generic(
      {x}, e.empty(keptSizes(e, x, keep), e.f32()),
      {firstMap, identityMap(r - 1, ctx)},
      SmallVector<IteratorType>(r - 1, IteratorType::parallel),
      [](OpBuilder &b, Location l, ValueRange a) {
        return Emitter::toF32(b, l, a[0]);
      });
  AffineMap km = keepMap(keep, ctx);
  Value inv = arith::DivFOp::create(e.b, e.loc, e.cst(1.0), e.dimF32(x, axis));
  Value sum = reduce(e, x, keep, {{shift, km}},
                     [](OpBuilder &b, Location l, ValueRange a) {
                       return arith::SubFOp::create(
                           b, l, Emitter::toF32(b, l, a[0]), a[1]);
                     });
  Type et = elemType(x);
  return elementwise(e, x, et,
                     {{x, identityMap(r, ctx)}, {shift, km}, {sum, km}},
                     [&](OpBuilder &b, Location l, ValueRange a) {
                       return Emitter::fromF32(
                           b, l,
                           centred(b, l, Emitter::toF32(b, l, a[0]), a[1],
                                   a[2], inv),
                           et);
                     });
}


/// x / max(||x||, 1e-12) for an f32 vector (torch.nn.functional.normalize).
static Value normalizeVector(const Emitter &e, Value v) {
  Value ss = reduce(e, v, {false}, {},
                    [](OpBuilder &b, Location l, ValueRange a) {
                      return arith::MulFOp::create(b, l, a[0], a[0]);
                    });
  return elementwise(
      e, v, e.f32(),
      {{v, identityMap(1, e.ctx())}, {ss, AffineMap::get(1, 0, {}, e.ctx())}},
      [](OpBuilder &b, Location l, ValueRange a) {
        Value n = math::SqrtOp::create(b, l, a[1]);
        n = arith::MaximumFOp::create(b, l, n, Emitter::c(b, l, 1e-12));
        return arith::DivFOp::create(b, l, a[0], n);
      });
}

/// sum_k W[n, k] * u[k] (transposed = false) or sum_n W[n, k] * u[n].
static Value matVec(const Emitter &e, Value w, Value u, bool transposed) {
  SmallVector<bool> keep{!transposed, transposed};
  AffineMap um = selectMap(2, {transposed ? 0u : 1u}, e.ctx());
  return reduce(e, w, keep, {{u, um}},
                [](OpBuilder &b, Location l, ValueRange a) {
                  return arith::MulFOp::create(b, l, Emitter::toF32(b, l, a[0]),
                                               Emitter::toF32(b, l, a[1]));
                });
}

/// Evaluation-mode sigmaReparam: one power-iteration step from the stored
/// `u`, which is not updated. (Without `u` the pass refuses earlier.)
static Value lowerSigmaReparam(const Emitter &e, SigmaReparamOp op) {
  Value w = op.getWeight();
  MLIRContext *ctx = e.ctx();
  Value v = normalizeVector(e, matVec(e, w, op.getU(), false));
  Value u2 = normalizeVector(e, matVec(e, w, v, true));
  Value wu2 = matVec(e, w, u2, false);
  Value sigma = reduce(e, v, {false}, {{wu2, identityMap(1, ctx)}},
                       [](OpBuilder &b, Location l, ValueRange a) {
                         return arith::MulFOp::create(b, l, a[0], a[1]);
                       });
  Type et = elemType(w);
  return elementwise(
      e, w, et,
      {{w, identityMap(2, ctx)},
       {op.getGamma(), scalarMap(op.getGamma(), 2, ctx)},
       {sigma, AffineMap::get(2, 0, {}, ctx)}},
      [&](OpBuilder &b, Location l, ValueRange a) {
        Value f = arith::DivFOp::create(b, l, Emitter::toF32(b, l, a[1]), a[2]);
        Value y = arith::MulFOp::create(b, l, Emitter::toF32(b, l, a[0]), f);
        return Emitter::fromF32(b, l, y, et);
      });
}

static Value lowerWeightStandardize(const Emitter &e, WeightStandardizeOp op) {
  Value w = op.getWeight(), gain = op.getGain();
  unsigned r = rankOf(w);
  MLIRContext *ctx = e.ctx();
  SmallVector<bool> keep(r, false);
  keep[0] = true;
  ShiftedMeanVar st = meanVar(e, w, keep);
  Value fanIn = e.cst(1.0);
  for (unsigned i = 1; i < r; ++i)
    fanIn = arith::MulFOp::create(e.b, e.loc, fanIn, e.dimF32(w, i));
  Value factor = arith::DivFOp::create(
      e.b, e.loc, e.cst(op.getGamma().convertToDouble()),
      math::SqrtOp::create(e.b, e.loc, fanIn));
  double eps = op.getEps().convertToDouble();
  AffineMap om = selectMap(r, {0}, ctx);
  SmallVector<std::pair<Value, AffineMap>> ins{
      {w, identityMap(r, ctx)}, {st.shift, om}, {st.offset, om}, {st.var, om}};
  if (gain)
    ins.push_back({gain, om});
  Type et = elemType(w);
  return elementwise(
      e, w, et, ins, [&](OpBuilder &b, Location l, ValueRange a) {
        Value c = arith::SubFOp::create(
            b, l, arith::SubFOp::create(b, l, Emitter::toF32(b, l, a[0]), a[1]),
            a[2]);
        Value rs = math::RsqrtOp::create(
            b, l, arith::AddFOp::create(b, l, a[3], Emitter::c(b, l, eps)));
        Value y = arith::MulFOp::create(
            b, l, arith::MulFOp::create(b, l, c, rs), factor);
        if (gain)
          y = arith::MulFOp::create(b, l, y, Emitter::toF32(b, l, a[4]));
        return Emitter::fromF32(b, l, y, et);
      });
}

static Value lowerWeightCompand(const Emitter &e, WeightCompandOp op) {
  Value w = op.getWeight();
  double p = op.getExponent().convertToDouble();
  Type et = elemType(w);
  return elementwise(
      e, w, et, {{w, identityMap(rankOf(w), e.ctx())}},
      [&](OpBuilder &b, Location l, ValueRange a) {
        Value x = Emitter::toF32(b, l, a[0]);
        Value ax = math::AbsFOp::create(b, l, x);
        // |x|^p = exp(p * log|x|); 0 maps to 0 (log 0 = -inf, exp = 0).
        Value m = math::ExpOp::create(
            b, l,
            arith::MulFOp::create(b, l, Emitter::c(b, l, p),
                                  math::LogOp::create(b, l, ax)));
        return Emitter::fromF32(b, l, math::CopySignOp::create(b, l, m, x), et);
      });
}

} // namespace mlir::lf::lowering

void mlir::lf::populateLFToLinalgWeightReparamPatterns(RewritePatternSet &patterns) {
  addLowering<RecenterOp>(patterns, lowerRecenter);
  addLowering<SigmaReparamOp>(patterns, lowerSigmaReparam);
  addLowering<WeightStandardizeOp>(patterns, lowerWeightStandardize);
  addLowering<WeightCompandOp>(patterns, lowerWeightCompand);
}
