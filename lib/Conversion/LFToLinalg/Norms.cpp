//===- Norms.cpp - norm family to linalg ----------------------------------===//
//
// Part of lightfuse. LayerNorm, RMSNorm, CRMSNorm, residual+norm,
// BatchNorm / Unified Norm / PowerNorm inference forms, EvoNorm B0/S0 and
// channel affines: row statistics as f32 reductions (LayerNorm's shifted by the
// first element of each row), then one elementwise epilogue.
//
//===----------------------------------------------------------------------===//

#include "LoweringBuilder.h"

using namespace mlir;
using namespace mlir::lf;
using namespace mlir::lf::lowering;
using utils::IteratorType;

namespace mlir::lf::lowering {
SmallVector<bool> rowKeep(unsigned rank) {
  SmallVector<bool> keep(rank, true);
  keep.back() = false;
  return keep;
}

/// Applies y = t * gain + bias (then * scale) to an f32 value inside a body.
struct AffineTail {
  Value gain, bias;           // tensors, may be null
  std::optional<double> scale; // scalar multiplier
};

/// Builds y[...] = finish(x, rowStats..., gain, bias) over x's loop space.
/// `rowStats` are f32 tensors over x's leading dims; gain/bias index the
/// last dim.
static Value rowNormOutput(const Emitter &e, Value x, ArrayRef<Value> rowStats,
                    const AffineTail &tail,
                    function_ref<Value(OpBuilder &, Location, Value xF32,
                                       ValueRange stats)>
                        normalize) {
  unsigned r = rankOf(x);
  MLIRContext *ctx = e.ctx();
  AffineMap rowMap = keepMap(rowKeep(r), ctx);
  AffineMap lastMap = selectMap(r, {r - 1}, ctx);
  SmallVector<std::pair<Value, AffineMap>> ins{{x, identityMap(r, ctx)}};
  for (Value s : rowStats)
    ins.push_back({s, rowMap});
  if (tail.gain)
    ins.push_back({tail.gain, lastMap});
  if (tail.bias)
    ins.push_back({tail.bias, lastMap});
  Type et = elemType(x);
  return elementwise(
      e, x, et, ins, [&](OpBuilder &b, Location l, ValueRange a) {
        Value v = normalize(b, l, Emitter::toF32(b, l, a[0]),
                            a.slice(1, rowStats.size()));
        unsigned i = 1 + rowStats.size();
        if (tail.gain)
          v = arith::MulFOp::create(b, l, v, Emitter::toF32(b, l, a[i++]));
        if (tail.bias)
          v = arith::AddFOp::create(b, l, v, Emitter::toF32(b, l, a[i++]));
        if (tail.scale)
          v = arith::MulFOp::create(b, l, v, Emitter::c(b, l, *tail.scale));
        return Emitter::fromF32(b, l, v, et);
      });
}

std::optional<double> optScale(std::optional<APFloat> s) {
  if (!s)
    return std::nullopt;
  return s->convertToDouble();
}

/// rsqrt(stat * invD + eps) per row: one square root per row, not per
/// element, so the epilogue is a multiply.
Value rowRsqrt(const Emitter &e, Value stat, Value invD, double eps) {
  return elementwise(e, stat, e.f32(),
                     {{stat, identityMap(rankOf(stat), e.ctx())}},
                     [&](OpBuilder &b, Location l, ValueRange a) {
                       Value ms = arith::MulFOp::create(b, l, a[0], invD);
                       return math::RsqrtOp::create(
                           b, l,
                           arith::AddFOp::create(b, l, ms,
                                                 Emitter::c(b, l, eps)));
                     });
}

/// The first element of every row of `x`, as an f32 tensor over the rows.
/// A generic reading x[..., 0] (not a tensor slice), so that row tiling can
/// fuse it together with the rest of the norm.
static Value rowFirst(const Emitter &e, Value x) {
  unsigned r = rankOf(x);
  SmallVector<AffineExpr> exprs;
  for (unsigned i = 0; i + 1 < r; ++i)
    exprs.push_back(getAffineDimExpr(i, e.ctx()));
  exprs.push_back(getAffineConstantExpr(0, e.ctx()));
  AffineMap in = AffineMap::get(r - 1, 0, exprs, e.ctx());
  SmallVector<OpFoldResult> rows(e.sizes(x));
  rows.pop_back();
  return e.generic({x}, e.empty(rows, e.f32()),
                   {in, identityMap(r - 1, e.ctx())},
                   SmallVector<IteratorType>(r - 1, IteratorType::parallel),
                   [](OpBuilder &b, Location l, ValueRange a) {
                     return Emitter::toF32(b, l, a[0]);
                   });
}

/// LayerNorm's row statistics: {shift K, sum(x - K), rsqrt(var + eps)}, all
/// f32 over the rows; the mean is K + sum * invD.
SmallVector<Value> layerNormStats(const Emitter &e, Value x, Value invD,
                                  double eps) {
  unsigned r = rankOf(x);
  // Shifted two-pass statistics: with K = the row's first element, x - K is
  // exact for rows whose values are close to each other (large mean, small
  // spread), so neither the mean nor the variance cancels catastrophically.
  // Never E[x^2] - mu^2.
  AffineMap rowMap = keepMap(rowKeep(r), e.ctx());
  Value shift = rowFirst(e, x);
  Value sum = reduce(e, x, rowKeep(r), {{shift, rowMap}},
                     [](OpBuilder &b, Location l, ValueRange a) {
                       return arith::SubFOp::create(
                           b, l, Emitter::toF32(b, l, a[0]), a[1]);
                     });
  Value sq = reduce(e, x, rowKeep(r), {{shift, rowMap}, {sum, rowMap}},
                    [&](OpBuilder &b, Location l, ValueRange a) {
                      Value mu = arith::MulFOp::create(b, l, a[2], invD);
                      Value d = arith::SubFOp::create(
                          b, l,
                          arith::SubFOp::create(
                              b, l, Emitter::toF32(b, l, a[0]), a[1]),
                          mu);
                      return arith::MulFOp::create(b, l, d, d);
                    });
  return {shift, sum, rowRsqrt(e, sq, invD, eps)};
}

/// (x - K) - sum * invD: the centred value, inside a body.
Value centred(OpBuilder &b, Location l, Value xf, Value shift, Value sum,
              Value invD) {
  Value mu = arith::MulFOp::create(b, l, sum, invD);
  return arith::SubFOp::create(b, l, arith::SubFOp::create(b, l, xf, shift),
                               mu);
}

Value layerNorm(const Emitter &e, Value x, Value gain, Value bias, double eps,
                std::optional<double> scale) {
  unsigned r = rankOf(x);
  Value invD = arith::DivFOp::create(e.b, e.loc, e.cst(1.0), e.dimF32(x, r - 1));
  SmallVector<Value> st = layerNormStats(e, x, invD, eps);
  return rowNormOutput(
      e, x, st, {gain, bias, scale},
      [&](OpBuilder &b, Location l, Value xf, ValueRange st) {
        return arith::MulFOp::create(
            b, l, centred(b, l, xf, st[0], st[1], invD), st[2]);
      });
}

Value sumOfSquares(const Emitter &e, Value x, ArrayRef<bool> keep) {
  return reduce(e, x, keep, {}, [](OpBuilder &b, Location l, ValueRange a) {
    Value v = Emitter::toF32(b, l, a[0]);
    return arith::MulFOp::create(b, l, v, v);
  });
}

Value rmsNorm(const Emitter &e, Value x, Value gain, double eps,
              std::optional<double> scale) {
  unsigned r = rankOf(x);
  Value invD = arith::DivFOp::create(e.b, e.loc, e.cst(1.0), e.dimF32(x, r - 1));
  Value rs = rowRsqrt(e, sumOfSquares(e, x, rowKeep(r)), invD, eps);
  return rowNormOutput(
      e, x, {rs}, {gain, Value(), scale},
      [&](OpBuilder &b, Location l, Value xf, ValueRange st) {
        return arith::MulFOp::create(b, l, xf, st[0]);
      });
}

static Value lowerLayerNorm(const Emitter &e, LayerNormOp op) {
  return layerNorm(e, op.getInput(), op.getGain(), op.getBias(),
                   op.getEps().convertToDouble(), optScale(op.getScale()));
}

static Value lowerRMSNorm(const Emitter &e, RMSNormOp op) {
  return rmsNorm(e, op.getInput(), op.getGain(), op.getEps().convertToDouble(),
                 optScale(op.getScale()));
}

static Value lowerCRMSNorm(const Emitter &e, CRMSNormOp op) {
  Value x = op.getInput();
  unsigned r = rankOf(x);
  double eps = op.getEps().convertToDouble();
  // d = stored width + 1.
  Value invD = arith::DivFOp::create(
      e.b, e.loc, e.cst(1.0),
      arith::AddFOp::create(e.b, e.loc, e.dimF32(x, r - 1), e.cst(1.0)));
  Value ss = sumOfSquares(e, x, rowKeep(r));
  Value s = reduce(e, x, rowKeep(r), {},
                   [](OpBuilder &b, Location l, ValueRange a) {
                     return Emitter::toF32(b, l, a[0]);
                   });
  return rowNormOutput(
      e, x, {ss, s}, {op.getGain(), Value(), std::nullopt},
      [&](OpBuilder &b, Location l, Value xf, ValueRange st) {
        Value tot = arith::AddFOp::create(
            b, l, st[0], arith::MulFOp::create(b, l, st[1], st[1]));
        Value ms = arith::MulFOp::create(b, l, tot, invD);
        Value rs = math::RsqrtOp::create(
            b, l, arith::AddFOp::create(b, l, ms, Emitter::c(b, l, eps)));
        return arith::MulFOp::create(b, l, xf, rs);
      });
}

/// y = x * scale[c] + shift[c] along `axis`, with f32 or storage-typed
/// per-channel tensors (either may be null).
static Value applyChannelAffine(const Emitter &e, Value x, int64_t axis, Value scale,
                         Value shift) {
  unsigned r = rankOf(x);
  AffineMap cm = selectMap(r, {static_cast<unsigned>(axis)}, e.ctx());
  SmallVector<std::pair<Value, AffineMap>> ins{{x, identityMap(r, e.ctx())}};
  if (scale)
    ins.push_back({scale, cm});
  if (shift)
    ins.push_back({shift, cm});
  Type et = elemType(x);
  return elementwise(e, x, et, ins,
                     [&](OpBuilder &b, Location l, ValueRange a) {
                       Value v = Emitter::toF32(b, l, a[0]);
                       unsigned i = 1;
                       if (scale)
                         v = arith::MulFOp::create(
                             b, l, v, Emitter::toF32(b, l, a[i++]));
                       if (shift)
                         v = arith::AddFOp::create(
                             b, l, v, Emitter::toF32(b, l, a[i++]));
                       return Emitter::fromF32(b, l, v, et);
                     });
}

int64_t normAxis(int64_t axis, unsigned rank) {
  return axis < 0 ? axis + rank : axis;
}

/// Per-channel f32 tensor computed elementwise from [C] operands (some may
/// be null; the body gets f32 values, or null for absent operands).
static Value channelVector(const Emitter &e, ArrayRef<Value> params,
                    function_ref<Value(OpBuilder &, Location,
                                       ArrayRef<Value>)>
                        body) {
  Value like;
  for (Value p : params)
    if (p && !like)
      like = p;
  SmallVector<std::pair<Value, AffineMap>> ins;
  for (Value p : params)
    if (p)
      ins.push_back({p, identityMap(1, e.ctx())});
  return elementwise(e, like, e.f32(), ins,
                     [&](OpBuilder &b, Location l, ValueRange a) {
                       SmallVector<Value> vals;
                       unsigned i = 0;
                       for (Value p : params)
                         vals.push_back(p ? Emitter::toF32(b, l, a[i++])
                                          : Value());
                       return body(b, l, vals);
                     });
}

static Value lowerBatchNorm(const Emitter &e, BatchNormOp op) {
  double eps = op.getEps().convertToDouble();
  Value gain = op.getGain(), bias = op.getBias();
  // a = gain * rsqrt(var + eps); c = bias - a * mean.
  Value a = channelVector(
      e, {op.getRunningVar(), gain}, [&](OpBuilder &b, Location l,
                                         ArrayRef<Value> v) {
        Value rs = math::RsqrtOp::create(
            b, l, arith::AddFOp::create(b, l, v[0], Emitter::c(b, l, eps)));
        return v[1] ? arith::MulFOp::create(b, l, rs, v[1]).getResult() : rs;
      });
  // y = (x - mean) * a + bias, centred first: a * x + (bias - a * mean)
  // loses the digits of x's spread when the running mean is large against it
  // (1.2e-4 relative at mean 1e4 x std).
  Value x = op.getInput();
  unsigned r = rankOf(x);
  AffineMap cm = selectMap(
      r, {static_cast<unsigned>(normAxis(op.getAxis(), r))}, e.ctx());
  SmallVector<std::pair<Value, AffineMap>> ins{
      {x, identityMap(r, e.ctx())}, {op.getRunningMean(), cm}, {a, cm}};
  if (bias)
    ins.push_back({bias, cm});
  Type et = elemType(x);
  return elementwise(e, x, et, ins,
                     [&](OpBuilder &b, Location l, ValueRange v) {
                       Value d = arith::SubFOp::create(
                           b, l, Emitter::toF32(b, l, v[0]),
                           Emitter::toF32(b, l, v[1]));
                       Value y = arith::MulFOp::create(b, l, d, v[2]);
                       if (bias)
                         y = arith::AddFOp::create(b, l, y,
                                                   Emitter::toF32(b, l, v[3]));
                       return Emitter::fromF32(b, l, y, et);
                     });
}

/// gain * rsqrt(qm + eps), the per-channel scale of UN and PN's stage 2.
/// gain * rsqrt(qm + eps) per channel; either operand may be absent (qm:
/// no rsqrt factor, gain: 1), not both.
static Value qmScale(const Emitter &e, Value qm, Value gain, double eps) {
  return channelVector(e, {qm, gain},
                       [&](OpBuilder &b, Location l, ArrayRef<Value> v) {
                         if (!v[0])
                           return v[1];
                         Value rs = math::RsqrtOp::create(
                             b, l,
                             arith::AddFOp::create(b, l, v[0],
                                                   Emitter::c(b, l, eps)));
                         return v[1] ? arith::MulFOp::create(b, l, rs, v[1])
                                           .getResult()
                                     : rs;
                       });
}

static Value lowerUnifiedNorm(const Emitter &e, UnifiedNormOp op) {
  Value a = qmScale(e, op.getRunningQm(), op.getGain(),
                    op.getEps().convertToDouble());
  return applyChannelAffine(e, op.getInput(),
                            normAxis(op.getAxis(), rankOf(op.getInput())), a,
                            op.getBias());
}

/// Splits dim `axis` of `x` into [groups, C / groups].
static Value splitGroups(const Emitter &e, Value x, int64_t axis, int64_t groups) {
  auto ty = cast<RankedTensorType>(x.getType());
  SmallVector<int64_t> shape;
  SmallVector<OpFoldResult> outSizes;
  SmallVector<ReassociationIndices> reassoc;
  for (int64_t i = 0, r = ty.getRank(); i < r; ++i) {
    int64_t base = shape.size();
    if (i != axis) {
      shape.push_back(ty.getDimSize(i));
      outSizes.push_back(e.dim(x, i));
      reassoc.push_back({base});
      continue;
    }
    int64_t c = ty.getDimSize(i);
    shape.push_back(groups);
    shape.push_back(ShapedType::isDynamic(c) ? ShapedType::kDynamic
                                             : c / groups);
    outSizes.push_back(e.b.getIndexAttr(groups));
    OpFoldResult cs = e.dim(x, i);
    if (auto attr = dyn_cast<Attribute>(cs)) {
      outSizes.push_back(
          e.b.getIndexAttr(cast<IntegerAttr>(attr).getInt() / groups));
    } else {
      Value g = arith::ConstantIndexOp::create(e.b, e.loc, groups);
      outSizes.push_back(
          arith::DivUIOp::create(e.b, e.loc, cast<Value>(cs), g).getResult());
    }
    reassoc.push_back({base, base + 1});
  }
  auto outTy = RankedTensorType::get(shape, ty.getElementType());
  return tensor::ExpandShapeOp::create(e.b, e.loc, outTy, x, reassoc, outSizes);
}

static Value mergeGroups(const Emitter &e, Value y, Type origTy, int64_t axis) {
  unsigned r = rankOf(y);
  SmallVector<ReassociationIndices> reassoc;
  for (unsigned i = 0; i < r; ++i) {
    if (static_cast<int64_t>(i) == axis) {
      reassoc.push_back({i, i + 1});
      ++i;
    } else {
      reassoc.push_back({i});
    }
  }
  return tensor::CollapseShapeOp::create(e.b, e.loc, origTy, y, reassoc);
}

static Value lowerPowerNorm(const Emitter &e, PowerNormOp op) {
  Value x = op.getInput();
  unsigned r = rankOf(x);
  int64_t axis = normAxis(op.getAxis(), r);
  int64_t groups = op.getGroups();
  double geps = op.getGroupEps().convertToDouble();
  // Stage 1: grouped SRMSNorm along the channel axis.
  Value xg = splitGroups(e, x, axis, groups);
  unsigned rg = r + 1;
  SmallVector<bool> keep(rg, true);
  keep[axis + 1] = false;
  Value invCg =
      arith::DivFOp::create(e.b, e.loc, e.cst(1.0), e.dimF32(xg, axis + 1));
  Value ss = sumOfSquares(e, xg, keep);
  // Stage 2 in the same elementwise pass: * a[c] + bias[c]; absent
  // running_qm and gain make a = 1.
  Value a = (op.getRunningQm() || op.getGain())
                ? qmScale(e, op.getRunningQm(), op.getGain(),
                          op.getEps().convertToDouble())
                : Value();
  Value bias = op.getBias();
  // Per-channel vectors are split like the channel axis.
  Value ag = a ? splitGroups(e, a, 0, groups) : Value();
  Value bg = bias ? splitGroups(e, bias, 0, groups) : Value();
  AffineMap chMap = selectMap(rg, {static_cast<unsigned>(axis),
                                   static_cast<unsigned>(axis + 1)},
                              e.ctx());
  SmallVector<std::pair<Value, AffineMap>> ins{
      {xg, identityMap(rg, e.ctx())}, {ss, keepMap(keep, e.ctx())}};
  if (ag)
    ins.push_back({ag, chMap});
  if (bg)
    ins.push_back({bg, chMap});
  Type et = elemType(x);
  Value yg = elementwise(
      e, xg, et, ins, [&](OpBuilder &b, Location l, ValueRange v) {
        Value xf = Emitter::toF32(b, l, v[0]);
        Value ms = arith::MulFOp::create(b, l, v[1], invCg);
        Value rs = math::RsqrtOp::create(
            b, l, arith::AddFOp::create(b, l, ms, Emitter::c(b, l, geps)));
        Value y = arith::MulFOp::create(b, l, xf, rs);
        unsigned i = 2;
        if (ag)
          y = arith::MulFOp::create(b, l, y, v[i++]);
        if (bg)
          y = arith::AddFOp::create(b, l, y, Emitter::toF32(b, l, v[i++]));
        return Emitter::fromF32(b, l, y, et);
      });
  return mergeGroups(e, yg, x.getType(), axis);
}

/// Mean and biased variance of `x` over the dims whose keep flag is false
/// (two passes), as f32 tensors over the kept dims.
ShiftedMeanVar meanVar(const Emitter &e, Value x, ArrayRef<bool> keep) {
  MLIRContext *ctx = e.ctx();
  Value count = e.cst(1.0);
  for (auto [i, k] : llvm::enumerate(keep))
    if (!k)
      count = arith::MulFOp::create(e.b, e.loc, count, e.dimF32(x, i));
  Value inv = arith::DivFOp::create(e.b, e.loc, e.cst(1.0), count);
  // K[kept...] = x[kept..., 0 at every reduced dim].
  unsigned numKept = llvm::count(keep, true);
  SmallVector<AffineExpr> firstExprs;
  unsigned kd = 0;
  for (bool k : keep)
    firstExprs.push_back(k ? getAffineDimExpr(kd++, ctx)
                           : getAffineConstantExpr(0, ctx));
  Value shift = e.generic(
      {x}, e.empty(keptSizes(e, x, keep), e.f32()),
      {AffineMap::get(numKept, 0, firstExprs, ctx),
       identityMap(numKept, ctx)},
      SmallVector<IteratorType>(numKept, IteratorType::parallel),
      [](OpBuilder &b, Location l, ValueRange a) {
        return Emitter::toF32(b, l, a[0]);
      });
  AffineMap km = keepMap(keep, ctx);
  Value sum = reduce(e, x, keep, {{shift, km}},
                     [](OpBuilder &b, Location l, ValueRange a) {
                       return arith::SubFOp::create(
                           b, l, Emitter::toF32(b, l, a[0]), a[1]);
                     });
  Value offset = elementwise(e, sum, e.f32(),
                             {{sum, identityMap(rankOf(sum), ctx)}},
                             [&](OpBuilder &b, Location l, ValueRange a) {
                               return arith::MulFOp::create(b, l, a[0], inv);
                             });
  Value sq = reduce(e, x, keep, {{shift, km}, {offset, km}},
                    [](OpBuilder &b, Location l, ValueRange a) {
                      Value d = arith::SubFOp::create(
                          b, l,
                          arith::SubFOp::create(
                              b, l, Emitter::toF32(b, l, a[0]), a[1]),
                          a[2]);
                      return arith::MulFOp::create(b, l, d, d);
                    });
  Value var = elementwise(e, sq, e.f32(),
                          {{sq, identityMap(rankOf(sq), ctx)}},
                          [&](OpBuilder &b, Location l, ValueRange a) {
                            return arith::MulFOp::create(b, l, a[0], inv);
                          });
  return {shift, offset, var};
}

static Value lowerEvoNormB0(const Emitter &e, EvoNormB0Op op) {
  Value x = op.getInput();
  unsigned r = rankOf(x);
  unsigned axis = normAxis(op.getAxis(), r);
  double eps = op.getEps().convertToDouble();
  SmallVector<bool> keep(r, false);
  keep[0] = keep[axis] = true;
  Value ivar = meanVar(e, x, keep).var; // [N, C]
  AffineMap nc = selectMap(r, {0u, axis}, e.ctx());
  AffineMap cm = selectMap(r, {axis}, e.ctx());
  Type et = elemType(x);
  return elementwise(
      e, x, et,
      {{x, identityMap(r, e.ctx())},
       {ivar, nc},
       {op.getV(), cm},
       {op.getGain(), cm},
       {op.getBias(), cm},
       {op.getRunningVar(), cm}},
      [&](OpBuilder &b, Location l, ValueRange a) {
        auto f = [&](Value v) { return Emitter::toF32(b, l, v); };
        Value xf = f(a[0]);
        Value epsC = Emitter::c(b, l, eps);
        Value instStd =
            math::SqrtOp::create(b, l, arith::AddFOp::create(b, l, a[1], epsC));
        Value batchStd = math::SqrtOp::create(
            b, l, arith::AddFOp::create(b, l, f(a[5]), epsC));
        Value right = arith::AddFOp::create(
            b, l, arith::MulFOp::create(b, l, f(a[2]), xf), instStd);
        Value den = arith::MaximumFOp::create(b, l, batchStd, right);
        Value y = arith::AddFOp::create(
            b, l,
            arith::MulFOp::create(b, l, arith::DivFOp::create(b, l, xf, den),
                                  f(a[3])),
            f(a[4]));
        return Emitter::fromF32(b, l, y, et);
      });
}

static Value lowerEvoNormS0(const Emitter &e, EvoNormS0Op op) {
  Value x = op.getInput();
  unsigned r = rankOf(x);
  unsigned axis = normAxis(op.getAxis(), r);
  int64_t groups = op.getEffectiveGroups();
  double eps = op.getEps().convertToDouble();
  Value xg = splitGroups(e, x, axis, groups);
  unsigned rg = r + 1;
  // Statistics per (n, group): keep dim 0 and the group dim.
  SmallVector<bool> keep(rg, false);
  keep[0] = keep[axis] = true;
  Value var = meanVar(e, xg, keep).var; // [N, G]
  AffineMap ng = selectMap(rg, {0u, axis}, e.ctx());
  AffineMap ch = selectMap(rg, {axis, axis + 1}, e.ctx());
  Value vg = splitGroups(e, op.getV(), 0, groups);
  Value gg = splitGroups(e, op.getGain(), 0, groups);
  Value bg = splitGroups(e, op.getBias(), 0, groups);
  Type et = elemType(x);
  Value yg = elementwise(
      e, xg, et,
      {{xg, identityMap(rg, e.ctx())}, {var, ng}, {vg, ch}, {gg, ch}, {bg, ch}},
      [&](OpBuilder &b, Location l, ValueRange a) {
        auto f = [&](Value v) { return Emitter::toF32(b, l, v); };
        Value xf = f(a[0]);
        Value rs = math::RsqrtOp::create(
            b, l, arith::AddFOp::create(b, l, a[1], Emitter::c(b, l, eps)));
        Value num = arith::MulFOp::create(
            b, l, xf,
            sigmoidF32(b, l, arith::MulFOp::create(b, l, f(a[2]), xf)));
        Value y = arith::AddFOp::create(
            b, l,
            arith::MulFOp::create(b, l, arith::MulFOp::create(b, l, num, rs),
                                  f(a[3])),
            f(a[4]));
        return Emitter::fromF32(b, l, y, et);
      });
  return mergeGroups(e, yg, x.getType(), axis);
}

//===----------------------------------------------------------------------===//

static SmallVector<Value> lowerResidualNorm(const Emitter &e, ResidualNormOp op) {
  Value sum = lowerBinary<arith::AddFOp>(e, op.getInput(), op.getResidual());
  double eps = op.getEps().convertToDouble();
  Value y = op.getKind() == NormKind::layer
                ? layerNorm(e, sum, op.getGain(), op.getBias(), eps,
                            optScale(op.getScale()))
                : rmsNorm(e, sum, op.getGain(), eps, optScale(op.getScale()));
  return {sum, y};
}

} // namespace mlir::lf::lowering

void mlir::lf::populateLFToLinalgNormPatterns(RewritePatternSet &patterns) {
  addLowering<LayerNormOp>(patterns, lowerLayerNorm);
  addLowering<RMSNormOp>(patterns, lowerRMSNorm);
  addLowering<CRMSNormOp>(patterns, lowerCRMSNorm);
  addLowering<ResidualNormOp>(patterns, lowerResidualNorm);
  addLowering<BatchNormOp>(patterns, lowerBatchNorm);
  addLowering<UnifiedNormOp>(patterns, lowerUnifiedNorm);
  addLowering<PowerNormOp>(patterns, lowerPowerNorm);
  addLowering<EvoNormB0Op>(patterns, lowerEvoNormB0);
  addLowering<EvoNormS0Op>(patterns, lowerEvoNormS0);
  addLowering<ChannelAffineOp>(
      patterns, [](const Emitter &e, ChannelAffineOp op) {
        return applyChannelAffine(e, op.getInput(),
                                  normAxis(op.getAxis(), rankOf(op.getInput())),
                                  op.getScale(), op.getShift());
      });
}
