//===- QuadraticAttention.cpp - quadratic attention to linalg -------------===//
//
// Part of lightfuse. Sigmoid and softplus attention: the N x N
// score matrix as a contraction of queries with keys laid out as columns, the
// pointwise map and mask, then the weighted sum of values.
//
//===----------------------------------------------------------------------===//

#include "LoweringBuilder.h"

using namespace mlir;
using namespace mlir::lf;
using namespace mlir::lf::lowering;
using utils::IteratorType;

namespace mlir::lf::lowering {
/// scores[b, h, t, s] = scale * q[t] . k[s], f32.
/// x[b, h, s, d] -> [b, h, d, s]: keys as columns, so q . k^T reads rows of
/// contiguous s per d (the layout the register-tiled kernel broadcasts
/// against) instead of gathering one element per key.
Value keysAsColumns(const Emitter &e, Value k) {
  MLIRContext *ctx = e.ctx();
  return e.generic({k},
                   e.empty({e.dim(k, 0), e.dim(k, 1), e.dim(k, 3), e.dim(k, 2)},
                           elemType(k)),
                   {selectMap(4, {0, 1, 3, 2}, ctx), identityMap(4, ctx)},
                   SmallVector<IteratorType>(4, IteratorType::parallel),
                   [](OpBuilder &, Location, ValueRange a) { return a[0]; });
}

static Value attentionScores(const Emitter &e, Value q, Value k, double scale) {
  MLIRContext *ctx = e.ctx();
  SmallVector<OpFoldResult> sizes{e.dim(q, 0), e.dim(q, 1), e.dim(q, 2),
                                  e.dim(k, 2)};
  // loops (b, h, t, s, d)
  Value dot = contractBH(e, q, {0, 1, 2, 4}, keysAsColumns(e, k),
                        {0, 1, 4, 3}, sizes, 3);
  return elementwise(e, dot, e.f32(), {{dot, identityMap(4, ctx)}},
                     [&](OpBuilder &b, Location l, ValueRange a) {
                       return arith::MulFOp::create(b, l, a[0],
                                                    Emitter::c(b, l, scale));
                     });
}

/// True (i1) when key s is visible from query t inside a 4-loop body over
/// (b, h, t, s).
Value visible(OpBuilder &b, Location l, bool causal, unsigned tDim,
              unsigned sDim) {
  if (!causal)
    return arith::ConstantIntOp::create(b, l, 1, 1);
  Value t = linalg::IndexOp::create(b, l, tDim);
  Value s = linalg::IndexOp::create(b, l, sDim);
  return arith::CmpIOp::create(b, l, arith::CmpIPredicate::ule, s, t);
}

/// O[b,h,t,e] = sum_s A[b,h,t,s] v[s,e] / (norm[b,h,t] when given); A is
/// already masked. Returns the storage-typed output.
static Value weightedValues(const Emitter &e, Value a, Value v, Value norm,
                     double normEps, Type outElem, Type outTy) {
  MLIRContext *ctx = e.ctx();
  SmallVector<OpFoldResult> sizes{e.dim(a, 0), e.dim(a, 1), e.dim(a, 2),
                                  e.dim(v, 3)};
  // loops (b, h, t, e, s)
  Value acc = contractBH(e, a, {0, 1, 2, 4}, v, {0, 1, 4, 3}, sizes, 3);
  SmallVector<std::pair<Value, AffineMap>> ins{{acc, identityMap(4, ctx)}};
  if (norm)
    ins.push_back({norm, selectMap(4, {0, 1, 2}, ctx)});
  Value o = elementwise(e, acc, outElem, ins,
                        [&](OpBuilder &b, Location l, ValueRange x) {
                          Value r = x[0];
                          if (norm)
                            r = arith::DivFOp::create(
                                b, l, r,
                                arith::AddFOp::create(
                                    b, l, x[1], Emitter::c(b, l, normEps)));
                          return Emitter::fromF32(b, l, r, outElem);
                        });
  return tensor::CastOp::create(e.b, e.loc, outTy, o);
}

static Value rowSums(const Emitter &e, Value a) {
  SmallVector<bool> keep{true, true, true, false};
  return reduce(e, a, keep, {}, [](OpBuilder &, Location, ValueRange x) {
    return x[0];
  });
}

static double defaultScale(std::optional<APFloat> scale, Value q) {
  if (scale)
    return scale->convertToDouble();
  int64_t d = cast<RankedTensorType>(q.getType()).getDimSize(3);
  return ShapedType::isDynamic(d) ? 0.0 : 1.0 / std::sqrt(double(d));
}

/// 1/sqrt(Dk) as an f32 value, from the static size or tensor.dim.
static Value scaleValue(const Emitter &e, std::optional<APFloat> scale, Value q) {
  double s = defaultScale(scale, q);
  if (s != 0.0)
    return e.cst(s);
  return math::RsqrtOp::create(e.b, e.loc, e.dimF32(q, 3));
}

static Value lowerSigmoidAttention(const Emitter &e, SigmoidAttentionOp op) {
  Value scale = scaleValue(e, op.getScale(), op.getQuery());
  Value sc = attentionScores(e, op.getQuery(), op.getKey(), 1.0);
  bool causal = op.getCausal();
  Value a = elementwise(e, sc, e.f32(), {{sc, identityMap(4, e.ctx())}},
                        [&](OpBuilder &b, Location l, ValueRange x) {
                          Value s = sigmoidF32(
                              b, l, arith::MulFOp::create(b, l, x[0], scale));
                          return arith::SelectOp::create(
                              b, l, visible(b, l, causal, 2, 3), s,
                              Emitter::c(b, l, 0.0));
                        });
  Value norm = op.getNormalize() ? rowSums(e, a) : Value();
  return weightedValues(e, a, op.getValue(), norm, 1e-8,
                        elemType(op.getQuery()), op.getOutput().getType());
}

static Value lowerSoftplusAttention(const Emitter &e, SoftplusAttentionOp op) {
  Value scale = scaleValue(e, op.getScale(), op.getQuery());
  Value sc = attentionScores(e, op.getQuery(), op.getKey(), 1.0);
  bool causal = op.getCausal();
  std::optional<int64_t> trainLen = op.getTrainLength();
  double p = op.getReweightPower().convertToDouble();
  Value mKeys = e.dimF32(op.getKey(), 2);
  Value a = elementwise(
      e, sc, e.f32(), {{sc, identityMap(4, e.ctx())}},
      [&](OpBuilder &b, Location l, ValueRange x) {
        Value z = arith::MulFOp::create(b, l, x[0], scale);
        if (trainLen) {
          // c(n_t) = log(n_t) / log(train_length); n_t = t + 1 when causal.
          Value n = mKeys;
          if (causal) {
            Value t = arith::IndexCastOp::create(
                b, l, b.getI64Type(), linalg::IndexOp::create(b, l, 2));
            n = arith::AddFOp::create(
                b, l, arith::SIToFPOp::create(b, l, b.getF32Type(), t),
                Emitter::c(b, l, 1.0));
          }
          Value cN = arith::MulFOp::create(
              b, l, math::LogOp::create(b, l, n),
              Emitter::c(b, l, 1.0 / std::log(double(*trainLen))));
          z = arith::MulFOp::create(b, l, z, cN);
        }
        Value s = softplusF32(b, l, z);
        if (p != 1.0)
          s = math::PowFOp::create(b, l, s, Emitter::c(b, l, p));
        return arith::SelectOp::create(b, l, visible(b, l, causal, 2, 3), s,
                                       Emitter::c(b, l, 0.0));
      });
  return weightedValues(e, a, op.getValue(), rowSums(e, a), 0.0,
                        elemType(op.getQuery()), op.getOutput().getType());
}

} // namespace mlir::lf::lowering

void mlir::lf::populateLFToLinalgQuadraticAttentionPatterns(RewritePatternSet &patterns) {
  addLowering<SigmoidAttentionOp>(patterns, lowerSigmoidAttention);
  addLowering<SoftplusAttentionOp>(patterns, lowerSoftplusAttention);
}
