//===- FlowAttention.cpp - flow attention to linalg -----------------------===//
//
// Part of lightfuse. Flowformer's flow attention: causal form by
// prefix sums of the conservation terms plus linear attention, non-causal by
// column sums.
//
//===----------------------------------------------------------------------===//

#include "LoweringBuilder.h"

using namespace mlir;
using namespace mlir::lf;
using namespace mlir::lf::lowering;
using utils::IteratorType;

namespace mlir::lf::lowering {
/// Sums the f32 tensor `x` ([B, H, L] or [B, H, L, D]) along the sequence
/// dim 2. Causal: inclusive prefix sums (same shape), read through the
/// identity map. Otherwise: totals with dim 2 dropped, read through a map
/// that broadcasts them over dim 2. Returns the tensor and that map.
/// Causal prefix sums along dim 2 of an f32 [B, H, N, D] or [B, H, N]
/// tensor in linear time: the causal linear attention with q = k = 1
/// (Dk = 1) and v = x, lowered like any other (token recurrence, or blocks
/// under lf-tile-linear-attention).
static Value prefixSum(const Emitter &e, Value x) {
  MLIRContext *ctx = e.ctx();
  unsigned r = rankOf(x);
  SmallVector<OpFoldResult> oneSizes{e.dim(x, 0), e.dim(x, 1), e.dim(x, 2),
                                     e.b.getIndexAttr(1)};
  Value ones = e.filled(oneSizes, 1.0);
  Value v = x;
  if (r == 3)
    v = elementwise(e, ones, e.f32(), {{x, selectMap(4, {0, 1, 2}, ctx)}},
                    [](OpBuilder &, Location, ValueRange a) { return a[0]; });
  auto la = LinearAttentionOp::create(e.b, e.loc, v.getType(), Type(), ones,
                                      ones, v, Value(), e.b.getBoolAttr(true));
  Value o = la.getOutput();
  if (r == 4)
    return o;
  SmallVector<AffineExpr> exprs{getAffineDimExpr(0, ctx), getAffineDimExpr(1, ctx),
                                getAffineDimExpr(2, ctx),
                                getAffineConstantExpr(0, ctx)};
  return e.generic({o}, e.empty(e.sizes(x), e.f32()),
                   {AffineMap::get(3, 0, exprs, ctx), identityMap(3, ctx)},
                   SmallVector<IteratorType>(3, IteratorType::parallel),
                   [](OpBuilder &, Location, ValueRange a) { return a[0]; });
}

/// sum over the sequence (dim 2) of x: the whole sequence, or causal
/// prefix sums (linear time); with the map to read the result over x's
/// loop space.
static std::pair<Value, AffineMap> seqSum(const Emitter &e, Value x, bool causal) {
  MLIRContext *ctx = e.ctx();
  unsigned r = rankOf(x);
  if (causal)
    return {prefixSum(e, x), identityMap(r, ctx)};
  SmallVector<unsigned> noSeq;
  for (unsigned i = 0; i < r; ++i)
    if (i != 2)
      noSeq.push_back(i);
  SmallVector<bool> keep(r, true);
  keep[2] = false;
  Value tot = reduce(e, x, keep, {}, [](OpBuilder &, Location, ValueRange a) {
    return a[0];
  });
  return {tot, selectMap(r, noSeq, ctx)};
}

/// r[b,h,t] = sum_d (x[b,h,t,d] + eps) * (y + eps), y read through its map.
static Value epsDot(const Emitter &e, Value x, std::pair<Value, AffineMap> y,
             double eps) {
  SmallVector<bool> keep{true, true, true, false};
  return reduce(e, x, keep, {y}, [&](OpBuilder &b, Location l, ValueRange a) {
    Value ep = Emitter::c(b, l, eps);
    return arith::MulFOp::create(b, l, arith::AddFOp::create(b, l, a[0], ep),
                                 arith::AddFOp::create(b, l, a[1], ep));
  });
}

/// (position along dim `d`) + 1 as f32, inside a linalg body.
static Value positionPlusOne(OpBuilder &b, Location l, unsigned d) {
  Value i = arith::IndexCastOp::create(b, l, b.getI64Type(),
                                       linalg::IndexOp::create(b, l, d));
  return arith::AddFOp::create(
      b, l, arith::SIToFPOp::create(b, l, b.getF32Type(), i),
      Emitter::c(b, l, 1.0));
}

static Value lowerFlowAttention(const Emitter &e, FlowAttentionOp op) {
  MLIRContext *ctx = e.ctx();
  bool causal = op.getCausal();
  double eps = op.getEps().convertToDouble();
  Value qp = mapToF32(e, op.getQuery(), ActivationKind::sigmoid);
  Value kp = mapToF32(e, op.getKey(), ActivationKind::sigmoid);
  AffineMap id4 = identityMap(4, ctx), row4 = selectMap(4, {0, 1, 2}, ctx);
  AffineMap id3 = identityMap(3, ctx);
  // c_t = t + 1 in the causal form (prefix length), 1 otherwise.
  auto count = [&](OpBuilder &b, Location l) {
    return causal ? positionPlusOne(b, l, 2) : Emitter::c(b, l, 1.0);
  };
  auto reciprocalTimesCount = [&](Value den) {
    return elementwise(e, den, e.f32(), {{den, id3}},
                       [&](OpBuilder &b, Location l, ValueRange a) {
                         return arith::DivFOp::create(b, l, count(b, l), a[0]);
                       });
  };
  auto scaleRows = [&](Value x, Value r) {
    return elementwise(e, x, e.f32(), {{x, id4}, {r, row4}},
                       [](OpBuilder &b, Location l, ValueRange a) {
                         return arith::MulFOp::create(b, l, a[0], a[1]);
                       });
  };
  // Incoming flow of sinks and outgoing flow of sources.
  Value inflow = reciprocalTimesCount(epsDot(e, qp, seqSum(e, kp, causal), eps));
  Value outflow =
      reciprocalTimesCount(epsDot(e, kp, seqSum(e, qp, causal), eps));
  // Conserved flows.
  Value dIc = epsDot(e, qp, seqSum(e, scaleRows(kp, outflow), causal), eps);
  Value dOc = epsDot(e, kp, seqSum(e, scaleRows(qp, inflow), causal), eps);
  Value nOverM = arith::DivFOp::create(e.b, e.loc, e.dimF32(op.getQuery(), 2),
                                       e.dimF32(op.getKey(), 2));
  Value mF = e.dimF32(op.getKey(), 2);
  Value alloc = elementwise(
      e, dIc, e.f32(), {{dIc, id3}}, [&](OpBuilder &b, Location l,
                                         ValueRange a) {
        Value ic = causal
                       ? Value(arith::DivFOp::create(b, l, a[0], count(b, l)))
                       : Value(arith::MulFOp::create(b, l, a[0], nOverM));
        return sigmoidF32(b, l, ic);
      });
  // The clamp keeps exp() in [1/e, e]: no max-subtraction is needed.
  Value expOc = elementwise(
      e, dOc, e.f32(), {{dOc, id3}}, [&](OpBuilder &b, Location l,
                                         ValueRange a) {
        Value oc = arith::DivFOp::create(b, l, a[0], count(b, l));
        oc = arith::MinimumFOp::create(
            b, l, arith::MaximumFOp::create(b, l, oc, Emitter::c(b, l, -1.0)),
            Emitter::c(b, l, 1.0));
        return math::ExpOp::create(b, l, oc);
      });
  auto [expSum, expSumMap] = seqSum(e, expOc, causal);
  Value comp = elementwise(
      e, expOc, e.f32(), {{expOc, id3}, {expSum, expSumMap}},
      [&](OpBuilder &b, Location l, ValueRange a) {
        Value c = causal ? positionPlusOne(b, l, 2) : mF;
        return arith::MulFOp::create(b, l, arith::DivFOp::create(b, l, a[0], a[1]),
                                     c);
      });
  // O[t] = alloc[t] I[t] / c_t * sum_{s visible} (Qp[t].Kp[s]) comp[s] v[s].
  Value rowScale = elementwise(
      e, alloc, e.f32(), {{alloc, id3}, {inflow, id3}},
      [&](OpBuilder &b, Location l, ValueRange x) {
        Value r = arith::MulFOp::create(b, l, x[0], x[1]);
        return arith::DivFOp::create(b, l, r, count(b, l));
      });
  // The product is a linear attention (no decay, identity feature map) of
  // Qp, Kp and comp-weighted values: linear in the sequence length, causal
  // or not, never an [N, M] score matrix.
  Value v = op.getValue();
  Value vc = elementwise(
      e, v, e.f32(), {{v, id4}, {comp, row4}},
      [](OpBuilder &b, Location l, ValueRange x) {
        return arith::MulFOp::create(b, l, Emitter::toF32(b, l, x[0]), x[1]);
      });
  auto la = LinearAttentionOp::create(
      e.b, e.loc,
      RankedTensorType::get(cast<RankedTensorType>(op.getOutput().getType()).getShape(),
                            e.f32()),
      Type(), qp, kp, vc, Value(), e.b.getBoolAttr(causal));
  Value o = la.getOutput();
  Type outElem = elemType(op.getQuery());
  Value out = elementwise(e, o, outElem, {{o, id4}, {rowScale, row4}},
                          [&](OpBuilder &b, Location l, ValueRange x) {
                            return Emitter::fromF32(
                                b, l, arith::MulFOp::create(b, l, x[0], x[1]),
                                outElem);
                          });
  return tensor::CastOp::create(e.b, e.loc, op.getOutput().getType(), out);
}

} // namespace mlir::lf::lowering

void mlir::lf::populateLFToLinalgFlowAttentionPatterns(RewritePatternSet &patterns) {
  addLowering<FlowAttentionOp>(patterns, lowerFlowAttention);
}
