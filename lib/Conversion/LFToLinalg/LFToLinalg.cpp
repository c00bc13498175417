//===- LFToLinalg.cpp - lower lf ops to linalg on tensors -----------------===//
//
// Part of lightfuse. Every lf op becomes linalg.generic reductions and
// elementwise ops on tensors (f32 accumulation, one rounding to the storage
// type at the end), plus an scf.for recurrence for causal linear attention.
//
//===----------------------------------------------------------------------===//

#include "lightfuse/Conversion/Passes.h"

#include "dialects/lf/LFOps.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/Transforms/DialectConversion.h"

#include <cmath>

namespace mlir::lf {
#define GEN_PASS_DEF_CONVERTLFTOLINALGPASS
#include "lightfuse/Conversion/Passes.h.inc"
} // namespace mlir::lf

using namespace mlir;
using namespace mlir::lf;
using utils::IteratorType;

namespace {

//===----------------------------------------------------------------------===//
// A small kit for building linalg.generic ops on tensors.
//===----------------------------------------------------------------------===//

using BodyFn = function_ref<Value(OpBuilder &, Location, ValueRange)>;

struct Emitter {
  OpBuilder &b;
  Location loc;

  MLIRContext *ctx() const { return b.getContext(); }
  Type f32() const { return b.getF32Type(); }

  Value cst(double v) const {
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
  }

  /// The size of dimension `d` of tensor `t` as an OpFoldResult.
  OpFoldResult dim(Value t, int64_t d) const {
    return tensor::getMixedSize(b, loc, t, d);
  }

  SmallVector<OpFoldResult> sizes(Value t) const {
    return tensor::getMixedSizes(b, loc, t);
  }

  /// Dimension `d` of `t` as an f32 scalar (a constant when static).
  Value dimF32(Value t, int64_t d) const {
    OpFoldResult s = dim(t, d);
    if (auto attr = dyn_cast<Attribute>(s))
      return cst(static_cast<double>(cast<IntegerAttr>(attr).getInt()));
    Value i = arith::IndexCastOp::create(b, loc, b.getI64Type(), cast<Value>(s));
    return arith::SIToFPOp::create(b, loc, f32(), i);
  }

  Value empty(ArrayRef<OpFoldResult> shape, Type elemTy) const {
    return tensor::EmptyOp::create(b, loc, shape, elemTy);
  }

  Value filled(ArrayRef<OpFoldResult> shape, double v) const {
    Value e = empty(shape, f32());
    return linalg::FillOp::create(b, loc, cst(v), e).getResult(0);
  }

  /// A single-result linalg.generic. `maps` holds one map per input followed
  /// by the output map; the number of loops is the maps' dimension count.
  Value generic(ValueRange inputs, Value init, ArrayRef<AffineMap> maps,
                ArrayRef<IteratorType> iters, BodyFn body) const {
    auto op = linalg::GenericOp::create(
        b, loc, TypeRange{init.getType()}, inputs, ValueRange{init}, maps,
        iters, [&](OpBuilder &nb, Location nloc, ValueRange args) {
          Value r = body(nb, nloc, args);
          linalg::YieldOp::create(nb, nloc, r);
        });
    return op.getResult(0);
  }

  // Scalar helpers usable inside bodies (they take the body's builder).
  static Value toF32(OpBuilder &nb, Location l, Value v) {
    if (v.getType().isF32())
      return v;
    return arith::ExtFOp::create(nb, l, nb.getF32Type(), v);
  }
  static Value fromF32(OpBuilder &nb, Location l, Value v, Type t) {
    if (t.isF32())
      return v;
    return arith::TruncFOp::create(nb, l, t, v);
  }
  static Value c(OpBuilder &nb, Location l, double v) {
    return arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(v));
  }
  /// acc + term for a reduction. Marked `reassoc` so the backend may split
  /// the sum into vector lanes (a tree order, which is no less accurate than
  /// the sequential one); `contract` allows FMA.
  static Value accumulate(OpBuilder &nb, Location l, Value acc, Value term) {
    auto fm = arith::FastMathFlags::reassoc | arith::FastMathFlags::contract;
    return arith::AddFOp::create(nb, l, acc, term, fm);
  }
};

AffineMap identityMap(unsigned rank, MLIRContext *ctx) {
  return AffineMap::getMultiDimIdentityMap(rank, ctx);
}

/// A map from `rank` loops to the listed dims.
AffineMap selectMap(unsigned rank, ArrayRef<unsigned> dims, MLIRContext *ctx) {
  SmallVector<AffineExpr> exprs;
  for (unsigned d : dims)
    exprs.push_back(getAffineDimExpr(d, ctx));
  return AffineMap::get(rank, 0, exprs, ctx);
}

/// A map from `rank` loops to every dim whose `keep` flag is set.
AffineMap keepMap(ArrayRef<bool> keep, MLIRContext *ctx) {
  SmallVector<unsigned> dims;
  for (auto [i, k] : llvm::enumerate(keep))
    if (k)
      dims.push_back(i);
  return selectMap(keep.size(), dims, ctx);
}

SmallVector<IteratorType> iterators(ArrayRef<bool> keep) {
  SmallVector<IteratorType> it;
  for (bool k : keep)
    it.push_back(k ? IteratorType::parallel : IteratorType::reduction);
  return it;
}

SmallVector<OpFoldResult> keptSizes(const Emitter &e, Value t,
                                    ArrayRef<bool> keep) {
  SmallVector<OpFoldResult> s;
  for (auto [i, k] : llvm::enumerate(keep))
    if (k)
      s.push_back(e.dim(t, i));
  return s;
}

/// Sums f(x, extras...) over the dims of `x` whose `keep` flag is false, in
/// f32. `extras` are read through their own maps over x's loop space.
Value reduce(const Emitter &e, Value x, ArrayRef<bool> keep,
             ArrayRef<std::pair<Value, AffineMap>> extras, BodyFn term) {
  unsigned rank = cast<RankedTensorType>(x.getType()).getRank();
  SmallVector<Value> ins{x};
  SmallVector<AffineMap> maps{identityMap(rank, e.ctx())};
  for (auto [v, m] : extras) {
    ins.push_back(v);
    maps.push_back(m);
  }
  maps.push_back(keepMap(keep, e.ctx()));
  Value init = e.filled(keptSizes(e, x, keep), 0.0);
  return e.generic(ins, init, maps, iterators(keep),
                   [&](OpBuilder &nb, Location l, ValueRange args) {
                     Value t = term(nb, l, args.drop_back());
                     return Emitter::accumulate(nb, l, args.back(), t);
                   });
}

/// An elementwise generic over the loop space of `like`, producing a tensor
/// of `like`'s shape and `elemTy`.
Value elementwise(const Emitter &e, Value like, Type elemTy,
                  ArrayRef<std::pair<Value, AffineMap>> inputs, BodyFn body) {
  unsigned rank = cast<RankedTensorType>(like.getType()).getRank();
  SmallVector<Value> ins;
  SmallVector<AffineMap> maps;
  for (auto [v, m] : inputs) {
    ins.push_back(v);
    maps.push_back(m);
  }
  maps.push_back(identityMap(rank, e.ctx()));
  Value init = e.empty(e.sizes(like), elemTy);
  return e.generic(ins, init, maps,
                   SmallVector<IteratorType>(rank, IteratorType::parallel),
                   [&](OpBuilder &nb, Location l, ValueRange args) {
                     return body(nb, l, args.drop_back());
                   });
}

Type elemType(Value v) {
  return cast<RankedTensorType>(v.getType()).getElementType();
}
unsigned rankOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getRank();
}

//===----------------------------------------------------------------------===//
// Scalar math (f32)
//===----------------------------------------------------------------------===//

Value sigmoidF32(OpBuilder &b, Location l, Value x) {
  // 1 / (1 + exp(-x)): exp(-x) overflows to +inf for very negative x, which
  // gives exactly 0, never NaN.
  Value one = Emitter::c(b, l, 1.0);
  Value ex = math::ExpOp::create(b, l, arith::NegFOp::create(b, l, x));
  return arith::DivFOp::create(b, l, one, arith::AddFOp::create(b, l, one, ex));
}

Value softplusF32(OpBuilder &b, Location l, Value x) {
  // max(x, 0) + log1p(exp(-|x|))
  Value zero = Emitter::c(b, l, 0.0);
  Value ax = math::AbsFOp::create(b, l, x);
  Value t = math::Log1pOp::create(
      b, l, math::ExpOp::create(b, l, arith::NegFOp::create(b, l, ax)));
  return arith::AddFOp::create(b, l, arith::MaximumFOp::create(b, l, x, zero),
                               t);
}

Value activationF32(OpBuilder &b, Location l, ActivationKind kind, Value x) {
  auto mul = [&](Value p, Value q) { return arith::MulFOp::create(b, l, p, q); };
  auto add = [&](Value p, Value q) { return arith::AddFOp::create(b, l, p, q); };
  auto c = [&](double v) { return Emitter::c(b, l, v); };
  switch (kind) {
  case ActivationKind::identity:
    return x;
  case ActivationKind::relu:
    return arith::MaximumFOp::create(b, l, x, c(0.0));
  case ActivationKind::gelu: {
    Value erf = math::ErfOp::create(b, l, mul(x, c(M_SQRT1_2)));
    return mul(mul(c(0.5), x), add(c(1.0), erf));
  }
  case ActivationKind::gelu_tanh: {
    Value x3 = mul(mul(x, x), x);
    Value inner = mul(c(std::sqrt(2.0 / M_PI)), add(x, mul(c(0.044715), x3)));
    return mul(mul(c(0.5), x), add(c(1.0), math::TanhOp::create(b, l, inner)));
  }
  case ActivationKind::silu:
    return mul(x, sigmoidF32(b, l, x));
  case ActivationKind::sigmoid:
    return sigmoidF32(b, l, x);
  case ActivationKind::softplus:
    return softplusF32(b, l, x);
  case ActivationKind::elu_plus_one: {
    Value pos = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, x, c(0));
    return arith::SelectOp::create(b, l, pos, add(x, c(1.0)),
                                   math::ExpOp::create(b, l, x));
  }
  }
  llvm_unreachable("unknown activation");
}

/// GLU activations and feature maps share their names with ActivationKind
/// (GLU's `none` is the identity).
template <typename EnumT>
ActivationKind asActivation(EnumT kind) {
  return symbolizeActivationKind(stringifyEnum(kind))
      .value_or(ActivationKind::identity);
}

/// `kind(x)` elementwise as an f32 tensor (used for attention features).
Value mapToF32(const Emitter &e, Value x, ActivationKind kind) {
  unsigned r = rankOf(x);
  return elementwise(e, x, e.f32(), {{x, identityMap(r, e.ctx())}},
                     [&](OpBuilder &b, Location l, ValueRange a) {
                       return activationF32(b, l, kind,
                                            Emitter::toF32(b, l, a[0]));
                     });
}

//===----------------------------------------------------------------------===//
// Normalization
//===----------------------------------------------------------------------===//

/// keep-flags that reduce only the last dim.
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
Value rowNormOutput(const Emitter &e, Value x, ArrayRef<Value> rowStats,
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
Value rowFirst(const Emitter &e, Value x) {
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

Value lowerLayerNorm(const Emitter &e, LayerNormOp op) {
  return layerNorm(e, op.getInput(), op.getGain(), op.getBias(),
                   op.getEps().convertToDouble(), optScale(op.getScale()));
}

Value lowerRMSNorm(const Emitter &e, RMSNormOp op) {
  return rmsNorm(e, op.getInput(), op.getGain(), op.getEps().convertToDouble(),
                 optScale(op.getScale()));
}

Value lowerCRMSNorm(const Emitter &e, CRMSNormOp op) {
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
Value applyChannelAffine(const Emitter &e, Value x, int64_t axis, Value scale,
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
Value channelVector(const Emitter &e, ArrayRef<Value> params,
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

Value lowerBatchNorm(const Emitter &e, BatchNormOp op) {
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
  Value c = channelVector(
      e, {op.getRunningMean(), a, bias},
      [&](OpBuilder &b, Location l, ArrayRef<Value> v) {
        Value t = arith::NegFOp::create(b, l,
                                        arith::MulFOp::create(b, l, v[1], v[0]));
        return v[2] ? arith::AddFOp::create(b, l, t, v[2]).getResult() : t;
      });
  return applyChannelAffine(e, op.getInput(),
                            normAxis(op.getAxis(), rankOf(op.getInput())), a,
                            c);
}

/// gain * rsqrt(qm + eps), the per-channel scale of UN and PN's stage 2.
/// gain * rsqrt(qm + eps) per channel; either operand may be absent (qm:
/// no rsqrt factor, gain: 1), not both.
Value qmScale(const Emitter &e, Value qm, Value gain, double eps) {
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

Value lowerUnifiedNorm(const Emitter &e, UnifiedNormOp op) {
  Value a = qmScale(e, op.getRunningQm(), op.getGain(),
                    op.getEps().convertToDouble());
  return applyChannelAffine(e, op.getInput(),
                            normAxis(op.getAxis(), rankOf(op.getInput())), a,
                            op.getBias());
}

/// Splits dim `axis` of `x` into [groups, C / groups].
Value splitGroups(const Emitter &e, Value x, int64_t axis, int64_t groups) {
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

Value mergeGroups(const Emitter &e, Value y, Type origTy, int64_t axis) {
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

Value lowerPowerNorm(const Emitter &e, PowerNormOp op) {
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
std::pair<Value, Value> meanVar(const Emitter &e, Value x,
                                ArrayRef<bool> keep) {
  Value count = e.cst(1.0);
  for (auto [i, k] : llvm::enumerate(keep))
    if (!k)
      count = arith::MulFOp::create(e.b, e.loc, count, e.dimF32(x, i));
  Value inv = arith::DivFOp::create(e.b, e.loc, e.cst(1.0), count);
  Value sum = reduce(e, x, keep, {}, [](OpBuilder &b, Location l, ValueRange a) {
    return Emitter::toF32(b, l, a[0]);
  });
  Value mean = elementwise(e, sum, e.f32(),
                           {{sum, identityMap(rankOf(sum), e.ctx())}},
                           [&](OpBuilder &b, Location l, ValueRange a) {
                             return arith::MulFOp::create(b, l, a[0], inv);
                           });
  Value sq = reduce(e, x, keep, {{mean, keepMap(keep, e.ctx())}},
                    [](OpBuilder &b, Location l, ValueRange a) {
                      Value d = arith::SubFOp::create(
                          b, l, Emitter::toF32(b, l, a[0]), a[1]);
                      return arith::MulFOp::create(b, l, d, d);
                    });
  Value var = elementwise(e, sq, e.f32(),
                          {{sq, identityMap(rankOf(sq), e.ctx())}},
                          [&](OpBuilder &b, Location l, ValueRange a) {
                            return arith::MulFOp::create(b, l, a[0], inv);
                          });
  return {mean, var};
}

Value lowerEvoNormB0(const Emitter &e, EvoNormB0Op op) {
  Value x = op.getInput();
  unsigned r = rankOf(x);
  unsigned axis = normAxis(op.getAxis(), r);
  double eps = op.getEps().convertToDouble();
  SmallVector<bool> keep(r, false);
  keep[0] = keep[axis] = true;
  Value ivar = meanVar(e, x, keep).second; // [N, C]
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

Value lowerEvoNormS0(const Emitter &e, EvoNormS0Op op) {
  Value x = op.getInput();
  unsigned r = rankOf(x);
  unsigned axis = normAxis(op.getAxis(), r);
  int64_t groups = op.getGroups();
  double eps = op.getEps().convertToDouble();
  Value xg = splitGroups(e, x, axis, groups);
  unsigned rg = r + 1;
  // Statistics per (n, group): keep dim 0 and the group dim.
  SmallVector<bool> keep(rg, false);
  keep[0] = keep[axis] = true;
  Value var = meanVar(e, xg, keep).second; // [N, G]
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
// Linear, elementwise and gates
//===----------------------------------------------------------------------===//

/// W^T of a [N, K] weight, as [K, N]: the contraction then reads rows of
/// N contiguous outputs per k, which is what the register-tiled micro
/// kernel (lf-vectorize-contractions) broadcasts against. Weights-only, so
/// lf-hoist-weight-prep moves it out of the per-call function for
/// {lf.weight} arguments.
Value transposedWeight(const Emitter &e, Value w) {
  MLIRContext *ctx = e.ctx();
  return e.generic({w}, e.empty({e.dim(w, 1), e.dim(w, 0)}, elemType(w)),
                   {selectMap(2, {1, 0}, ctx), identityMap(2, ctx)},
                   {IteratorType::parallel, IteratorType::parallel},
                   [](OpBuilder &, Location, ValueRange a) { return a[0]; });
}

Value lowerLinear(const Emitter &e, LinearOp op) {
  Value x = op.getInput(), w = op.getWeight(), bias = op.getBias();
  unsigned r = rankOf(x);
  MLIRContext *ctx = e.ctx();
  // Loops: (leading..., n, k).
  unsigned nl = r + 1;
  SmallVector<unsigned> xDims, outDims;
  for (unsigned i = 0; i + 1 < r; ++i) {
    xDims.push_back(i);
    outDims.push_back(i);
  }
  xDims.push_back(r);       // k
  outDims.push_back(r - 1); // n
  SmallVector<OpFoldResult> outSizes;
  for (unsigned i = 0; i + 1 < r; ++i)
    outSizes.push_back(e.dim(x, i));
  outSizes.push_back(e.dim(w, 0));
  SmallVector<IteratorType> it(r, IteratorType::parallel);
  it.push_back(IteratorType::reduction);
  Value wt = transposedWeight(e, w);
  Value acc = e.generic(
      {x, wt}, e.filled(outSizes, 0.0),
      {selectMap(nl, xDims, ctx), selectMap(nl, {r, r - 1}, ctx),
       selectMap(nl, outDims, ctx)},
      it, [](OpBuilder &b, Location l, ValueRange a) {
        Value p = arith::MulFOp::create(b, l, Emitter::toF32(b, l, a[0]),
                                        Emitter::toF32(b, l, a[1]));
        return Emitter::accumulate(b, l, a[2], p);
      });
  Type et = elemType(x);
  SmallVector<std::pair<Value, AffineMap>> ins{{acc, identityMap(r, ctx)}};
  if (bias)
    ins.push_back({bias, selectMap(r, {r - 1}, ctx)});
  return elementwise(e, acc, et, ins,
                     [&](OpBuilder &b, Location l, ValueRange a) {
                       Value v = a[0];
                       if (bias)
                         v = arith::AddFOp::create(
                             b, l, v, Emitter::toF32(b, l, a[1]));
                       return Emitter::fromF32(b, l, v, et);
                     });
}

template <typename BinOp>
Value lowerBinary(const Emitter &e, Value lhs, Value rhs) {
  unsigned r = rankOf(lhs);
  Type et = elemType(lhs);
  AffineMap id = identityMap(r, e.ctx());
  return elementwise(e, lhs, et, {{lhs, id}, {rhs, id}},
                     [&](OpBuilder &b, Location l, ValueRange a) {
                       Value v = BinOp::create(b, l, Emitter::toF32(b, l, a[0]),
                                               Emitter::toF32(b, l, a[1]));
                       return Emitter::fromF32(b, l, v, et);
                     });
}

Value lowerActivation(const Emitter &e, ActivationOp op) {
  Value x = op.getInput();
  Type et = elemType(x);
  return elementwise(e, x, et, {{x, identityMap(rankOf(x), e.ctx())}},
                     [&](OpBuilder &b, Location l, ValueRange a) {
                       return Emitter::fromF32(
                           b, l,
                           activationF32(b, l, op.getKind(),
                                         Emitter::toF32(b, l, a[0])),
                           et);
                     });
}

Value lowerGlu(const Emitter &e, GluOp op) {
  Value g = op.getGate(), u = op.getUp();
  unsigned r = rankOf(g);
  Type et = elemType(g);
  AffineMap id = identityMap(r, e.ctx());
  ActivationKind kind = asActivation(op.getActivation());
  return elementwise(e, g, et, {{g, id}, {u, id}},
                     [&](OpBuilder &b, Location l, ValueRange a) {
                       Value act = activationF32(b, l, kind,
                                                 Emitter::toF32(b, l, a[0]));
                       return Emitter::fromF32(
                           b, l,
                           arith::MulFOp::create(b, l, act,
                                                 Emitter::toF32(b, l, a[1])),
                           et);
                     });
}

//===----------------------------------------------------------------------===//
// Linear attention
//===----------------------------------------------------------------------===//

/// lambda = exp(-decay) as an f32 tensor [H, Dk] (a [H] decay is broadcast
/// over Dk), or null without decay.
Value decayFactors(const Emitter &e, Value decay, Value keyLike,
                   int64_t headDim, int64_t dkDim) {
  if (!decay)
    return Value();
  MLIRContext *ctx = e.ctx();
  SmallVector<OpFoldResult> shape{e.dim(keyLike, headDim),
                                  e.dim(keyLike, dkDim)};
  AffineMap in = rankOf(decay) == 1 ? selectMap(2, {0}, ctx)
                                    : identityMap(2, ctx);
  return e.generic({decay}, e.empty(shape, e.f32()),
                   {in, identityMap(2, ctx)},
                   {IteratorType::parallel, IteratorType::parallel},
                   [](OpBuilder &b, Location l, ValueRange a) {
                     return math::ExpOp::create(
                         b, l, arith::NegFOp::create(b, l, a[0]));
                   });
}

/// One recurrence step on f32 operands: q, k [B, H, Dk], v [B, H, Dv] (any
/// float type; q and k already feature-mapped), state [B, H, Dk, Dv] f32.
/// Returns (o [B, H, Dv] in `outElem`, new state).
std::pair<Value, Value> recurrenceStep(const Emitter &e, Value q, Value k,
                                       Value v, Value state, Value lambda,
                                       Type outElem) {
  MLIRContext *ctx = e.ctx();
  // S' = lambda[h, i] * S + k[i] v[j]         loops (b, h, i, j)
  // The state is the generic's init, so the update bufferizes in place.
  SmallVector<Value> ins{k, v};
  SmallVector<AffineMap> maps{selectMap(4, {0, 1, 2}, ctx),
                              selectMap(4, {0, 1, 3}, ctx)};
  if (lambda) {
    ins.push_back(lambda);
    maps.push_back(selectMap(4, {1, 2}, ctx));
  }
  maps.push_back(identityMap(4, ctx));
  Value newState = e.generic(
      ins, state, maps, SmallVector<IteratorType>(4, IteratorType::parallel),
      [&](OpBuilder &b, Location l, ValueRange a) {
        Value s = a.back();
        if (lambda)
          s = arith::MulFOp::create(b, l, s, a[2]);
        Value kv = arith::MulFOp::create(b, l, Emitter::toF32(b, l, a[0]),
                                         Emitter::toF32(b, l, a[1]));
        return arith::AddFOp::create(b, l, s, kv);
      });
  // o[b, h, j] = sum_i q[b, h, i] S'[b, h, i, j]      loops (b, h, j, i)
  SmallVector<OpFoldResult> oShape{e.dim(v, 0), e.dim(v, 1), e.dim(v, 2)};
  Value acc = e.generic(
      {q, newState}, e.filled(oShape, 0.0),
      {selectMap(4, {0, 1, 3}, ctx), selectMap(4, {0, 1, 3, 2}, ctx),
       selectMap(4, {0, 1, 2}, ctx)},
      {IteratorType::parallel, IteratorType::parallel, IteratorType::parallel,
       IteratorType::reduction},
      [](OpBuilder &b, Location l, ValueRange a) {
        Value p = arith::MulFOp::create(b, l, Emitter::toF32(b, l, a[0]), a[1]);
        return Emitter::accumulate(b, l, a[2], p);
      });
  if (outElem.isF32())
    return {acc, newState};
  Value o = elementwise(e, acc, outElem, {{acc, identityMap(3, ctx)}},
                        [&](OpBuilder &b, Location l, ValueRange a) {
                          return Emitter::fromF32(b, l, a[0], outElem);
                        });
  return {o, newState};
}

SmallVector<Value> lowerLinearAttentionStep(const Emitter &e,
                                            LinearAttentionStepOp op) {
  ActivationKind fm = asActivation(op.getFeatureMap());
  Value q = mapToF32(e, op.getQuery(), fm);
  Value k = mapToF32(e, op.getKey(), fm);
  Value lambda = decayFactors(e, op.getDecay(), op.getKey(), 1, 2);
  auto [o, s] = recurrenceStep(e, q, k, op.getValue(), op.getState(), lambda,
                               elemType(op.getQuery()));
  return {o, s};
}

/// A batched contraction over loops (b, h, i, j, r):
/// out[b, h, i, j] = sum_r lhs[lhsDims] * rhs[rhsDims], in f32, where
/// lhsDims/rhsDims list which loops index each operand.
/// out[b, h, i, j] = sum_k lhs * rhs, with lhsDims/rhsDims naming the
/// logical loops (b, h, i, j, k) each operand reads. `reductionPos` places the
/// k loop in the nest: 4 (innermost) suits dot products of contiguous rows
/// (q . k); 3, (b, h, i, k, j), makes j innermost so rhs rows and output rows
/// stream contiguously (A @ V); 2, (b, h, k, i, j), accumulates outer
/// products into a small output (K^T V) while lhs and rhs are read row by
/// row once. With the wrong order a long k strides through memory per output
/// element and falls out of cache.
Value contractBH(const Emitter &e, Value lhs, ArrayRef<unsigned> lhsDims,
                 Value rhs, ArrayRef<unsigned> rhsDims,
                 ArrayRef<OpFoldResult> outSizes, unsigned reductionPos = 4,
                 Value init = Value()) {
  MLIRContext *ctx = e.ctx();
  auto phys = [&](unsigned d) -> unsigned {
    if (d == 4)
      return reductionPos;
    return d < reductionPos ? d : d + 1;
  };
  auto remap = [&](ArrayRef<unsigned> dims) {
    SmallVector<unsigned> out;
    for (unsigned d : dims)
      out.push_back(phys(d));
    return out;
  };
  SmallVector<IteratorType> it(5, IteratorType::parallel);
  it[reductionPos] = IteratorType::reduction;
  return e.generic(
      {lhs, rhs}, init ? init : e.filled(outSizes, 0.0),
      {selectMap(5, remap(lhsDims), ctx), selectMap(5, remap(rhsDims), ctx),
       selectMap(5, remap({0, 1, 2, 3}), ctx)},
      it,
      [](OpBuilder &b, Location l, ValueRange a) {
        Value p = arith::MulFOp::create(b, l, Emitter::toF32(b, l, a[0]),
                                        Emitter::toF32(b, l, a[1]));
        return Emitter::accumulate(b, l, a[2], p);
      });
}

/// The results of a linear attention lowered to a loop carrying (state,
/// output): the output, and the final state when the op returns it.
SmallVector<Value> attentionLoopResults(const Emitter &e, LinearAttentionOp op,
                                        scf::ForOp loop) {
  SmallVector<Value> results{tensor::CastOp::create(
      e.b, e.loc, op.getOutput().getType(), loop.getResult(1))};
  if (op.getReturnState())
    results.push_back(tensor::CastOp::create(
        e.b, e.loc, op.getFinalState().getType(), loop.getResult(0)));
  return results;
}

/// Extracts row `t` along dim 2 of a [B, H, N, D] tensor as [B, H, D].
Value rowAt(const Emitter &e, Value x, Value t) {
  auto ty = cast<RankedTensorType>(x.getType());
  OpFoldResult one = e.b.getIndexAttr(1), zero = e.b.getIndexAttr(0);
  SmallVector<OpFoldResult> offs{zero, zero, t, zero};
  SmallVector<OpFoldResult> sizes{e.dim(x, 0), e.dim(x, 1), one, e.dim(x, 3)};
  SmallVector<OpFoldResult> strides(4, one);
  auto outTy = RankedTensorType::get(
      {ty.getDimSize(0), ty.getDimSize(1), ty.getDimSize(3)},
      ty.getElementType());
  return tensor::ExtractSliceOp::create(e.b, e.loc, outTy, x, offs, sizes,
                                        strides);
}

SmallVector<Value> lowerLinearAttention(const Emitter &e,
                                        LinearAttentionOp op) {
  MLIRContext *ctx = e.ctx();
  ActivationKind fm = asActivation(op.getFeatureMap());
  Value q = mapToF32(e, op.getQuery(), fm);
  Value k = mapToF32(e, op.getKey(), fm);
  Value v = op.getValue();
  Type outElem = elemType(op.getQuery());
  auto outTy = cast<RankedTensorType>(op.getOutput().getType());
  SmallVector<OpFoldResult> oSizes{e.dim(q, 0), e.dim(q, 1), e.dim(q, 2),
                                   e.dim(v, 3)};
  if (!op.getCausal()) {
    // O = phi(Q) (phi(K)^T V): KV[b,h,i,j] = sum_s k[s,i] v[s,j].
    SmallVector<OpFoldResult> kvSizes{e.dim(q, 0), e.dim(q, 1), e.dim(k, 3),
                                      e.dim(v, 3)};
    // loops (b, h, i, j, s)
    Value kv = contractBH(e, k, {0, 1, 4, 2}, v, {0, 1, 4, 3}, kvSizes, 2);
    // loops (b, h, t, j, i)
    Value acc = contractBH(e, q, {0, 1, 2, 4}, kv, {0, 1, 4, 3}, oSizes, 3);
    Value o = elementwise(e, acc, outElem, {{acc, identityMap(4, ctx)}},
                          [&](OpBuilder &b, Location l, ValueRange a) {
                            return Emitter::fromF32(b, l, a[0], outElem);
                          });
    return {tensor::CastOp::create(e.b, e.loc, outTy, o).getResult()};
  }
  // Causal: the token recurrence S_t = lambda S_{t-1} + k_t^T v_t,
  // o_t = q_t S_t, carried by an scf.for over tokens.
  Value lambda = decayFactors(e, op.getDecay(), op.getKey(), 1, 3);
  SmallVector<OpFoldResult> sSizes{e.dim(q, 0), e.dim(q, 1), e.dim(k, 3),
                                   e.dim(v, 3)};
  Value state0 = e.filled(sSizes, 0.0);
  Value out0 = e.empty(oSizes, outElem);
  Value lb = arith::ConstantIndexOp::create(e.b, e.loc, 0);
  Value ub = tensor::DimOp::create(e.b, e.loc, q, 2);
  Value step = arith::ConstantIndexOp::create(e.b, e.loc, 1);
  auto loop = scf::ForOp::create(
      e.b, e.loc, lb, ub, step, ValueRange{state0, out0},
      [&](OpBuilder &nb, Location l, Value t, ValueRange iter) {
        Emitter ie{nb, l};
        auto [o, s] = recurrenceStep(ie, rowAt(ie, q, t), rowAt(ie, k, t),
                                     rowAt(ie, v, t), iter[0], lambda, outElem);
        OpFoldResult one = nb.getIndexAttr(1), zero = nb.getIndexAttr(0);
        SmallVector<OpFoldResult> offs{zero, zero, t, zero};
        SmallVector<OpFoldResult> sizes{ie.dim(o, 0), ie.dim(o, 1), one,
                                        ie.dim(o, 2)};
        Value out = tensor::InsertSliceOp::create(
            nb, l, o, iter[1], offs, sizes, SmallVector<OpFoldResult>(4, one));
        scf::YieldOp::create(nb, l, ValueRange{s, out});
      });
  return attentionLoopResults(e, op, loop);
}

//===----------------------------------------------------------------------===//
// Quadratic attention (sigmoid, softplus)
//===----------------------------------------------------------------------===//

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

Value attentionScores(const Emitter &e, Value q, Value k, double scale) {
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

/// Lightning Attention-2 (OPS.md 5.5), in the convention whose final state is
/// the decode state: per block of m <= B rows starting at i0, with S the
/// state after token i0 - 1 and lambda = exp(-rate):
///   O[a]   = sum_{c <= a} lambda^(a-c) (q_a . k_c) v_c     intra-block
///          + lambda^(a+1) q_a S                             inter-block
///   S'     = lambda^m S + sum_c lambda^(m-1-c) k_c^T v_c
/// Decay per head ([H]), per head and key channel ([H, Dk]) or none; causal
/// only.
///
/// Structure: one scf.forall over (batch, head), so a head's state, block
/// temporaries and output block stay in cache and the heads can run on
/// different threads; inside it the loop over blocks. Every power of lambda
/// comes from tables built once per call, before the forall:
///   pw[0, h, j (, c)]  = lambda^j            0 <= j <= B
///   rpw[0, h, j (, c)] = lambda^(B - 1 - j)  0 <= j < B
///   mask[0, h, t, s]   = lambda^(t - s) if s <= t else 0   (not per channel)
/// so only exp(-rate * k) with 0 <= k <= B is ever evaluated, and a tail
/// block of m < B rows reads pw[1 .. m], rpw[B - m .. B - 1], pw[m] and the
/// top-left m x m corner of the mask. Without decay the tables hold ones
/// (exact). The output block accumulates in place in the output (f32): the
/// intra-block product, then the inter-block product on top of it; the
/// state is rescaled in place and the block's k^T v accumulated on top.
///
/// Token-major mode (`lf.norm_attention`): the output is f32 [B, N, H, Dv]
/// (heads concatenated per token, each head's block written in place with
/// row stride H * Dv) and a third result holds the per-head sums of squares
/// of the output rows, f32 [B, N, H].
struct BlockedAttention {
  Value output, state, sumSquares;
};
BlockedAttention lowerBlockedCore(const Emitter &e, Value query, Value key,
                                  Value v, Value decay, ActivationKind fm,
                                  int64_t blockSize, bool wantState,
                                  bool tokenMajor, int64_t splits = 1) {
  MLIRContext *ctx = e.ctx();
  OpBuilder &b = e.b;
  Location loc = e.loc;
  Value q = mapToF32(e, query, fm);
  Value k = mapToF32(e, key, fm);
  Type f32 = e.f32();
  Type outElem = tokenMajor ? f32 : elemType(query);
  bool perChannel =
      decay && cast<RankedTensorType>(decay.getType()).getRank() == 2;
  const int64_t B = blockSize;
  OpFoldResult one = b.getIndexAttr(1), zero = b.getIndexAttr(0);
  AffineMap id4 = identityMap(4, ctx);
  auto par = [](unsigned r) {
    return SmallVector<IteratorType>(r, IteratorType::parallel);
  };
  auto idxF = [](OpBuilder &nb, Location bl, unsigned d) -> Value {
    Value i = arith::IndexCastOp::create(nb, bl, nb.getI64Type(),
                                         linalg::IndexOp::create(nb, bl, d));
    return arith::SIToFPOp::create(nb, bl, nb.getF32Type(), i);
  };
  // exp(-rate * steps).
  auto decayPow = [](OpBuilder &nb, Location bl, Value rate,
                     Value steps) -> Value {
    return math::ExpOp::create(
        nb, bl,
        arith::NegFOp::create(nb, bl, arith::MulFOp::create(nb, bl, rate, steps)));
  };

  // The tables (see above); rank 3 [1, Hd, len], or 4 [1, H, len, Dk] per
  // channel. Hd is 1 without decay.
  OpFoldResult hd = decay ? e.dim(decay, 0) : one;
  auto powTable = [&](int64_t len, bool reversed) -> Value {
    SmallVector<OpFoldResult> sz{one, hd, b.getIndexAttr(len)};
    if (perChannel)
      sz.push_back(e.dim(decay, 1));
    unsigned r = sz.size();
    SmallVector<Value> ins;
    SmallVector<AffineMap> maps;
    if (decay) {
      ins.push_back(decay);
      maps.push_back(perChannel ? selectMap(4, {1, 3}, ctx)
                                : selectMap(3, {1}, ctx));
    }
    maps.push_back(identityMap(r, ctx));
    return e.generic(ins, e.empty(sz, f32), maps, par(r),
                     [&](OpBuilder &nb, Location bl, ValueRange a) -> Value {
                       if (!decay)
                         return Emitter::c(nb, bl, 1.0);
                       Value j = idxF(nb, bl, 2);
                       Value steps =
                           reversed ? arith::SubFOp::create(
                                          nb, bl, Emitter::c(nb, bl, B - 1), j)
                                          .getResult()
                                    : j;
                       return decayPow(nb, bl, a[0], steps);
                     });
  };
  Value pw = powTable(B + 1, /*reversed=*/false);
  Value rpw = powTable(B, /*reversed=*/true);
  Value mask;
  if (!perChannel) {
    SmallVector<Value> ins;
    SmallVector<AffineMap> maps;
    if (decay) {
      ins.push_back(decay);
      maps.push_back(selectMap(4, {1}, ctx));
    }
    maps.push_back(id4);
    mask = e.generic(
        ins, e.empty({one, hd, b.getIndexAttr(B), b.getIndexAttr(B)}, f32),
        maps, par(4), [&](OpBuilder &nb, Location bl, ValueRange a) {
          Value w = decay ? decayPow(nb, bl, a[0],
                                     arith::SubFOp::create(nb, bl,
                                                           idxF(nb, bl, 2),
                                                           idxF(nb, bl, 3)))
                          : Emitter::c(nb, bl, 1.0);
          return arith::SelectOp::create(nb, bl, visible(nb, bl, true, 2, 3),
                                         w, Emitter::c(nb, bl, 0.0));
        });
  }

  SmallVector<OpFoldResult> oSizes{e.dim(q, 0), e.dim(q, 1), e.dim(q, 2),
                                   e.dim(v, 3)};
  SmallVector<OpFoldResult> sSizes{e.dim(q, 0), e.dim(q, 1), e.dim(k, 3),
                                   e.dim(v, 3)};
  SmallVector<OpFoldResult> tmSizes{oSizes[0], oSizes[2], oSizes[1],
                                    oSizes[3]};
  SmallVector<Value> shared{
      e.empty(tokenMajor ? tmSizes : oSizes, outElem)};
  // Value-column splits: `splits` slices of Dv / splits value columns per
  // (batch, head), each its own iteration (the scores are recomputed per
  // slice), so B * H < threads still fills the threads.
  auto dvTy = cast<RankedTensorType>(v.getType()).getDimSize(3);
  int64_t chunkTy = splits > 1 ? dvTy / splits : dvTy;
  OpFoldResult dvC = splits > 1 ? OpFoldResult(b.getIndexAttr(chunkTy))
                                : oSizes[3];
  OpFoldResult ssLen = oSizes[1];
  if (tokenMajor && splits > 1)
    ssLen = arith::MulIOp::create(
                b, loc, getValueOrCreateConstantIndexOp(b, loc, oSizes[1]),
                arith::ConstantIndexOp::create(b, loc, splits))
                .getResult();
  if (tokenMajor)
    shared.push_back(e.empty({oSizes[0], oSizes[2], ssLen}, f32));
  if (wantState)
    shared.push_back(e.empty(sSizes, f32));
  SmallVector<OpFoldResult> ubs{oSizes[0], oSizes[1]};
  if (splits > 1)
    ubs.push_back(b.getIndexAttr(splits));
  auto forall = scf::ForallOp::create(b, loc, ubs, shared, std::nullopt);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(forall.getTerminator());
    Value bi = forall.getInductionVar(0), hi = forall.getInductionVar(1);
    SmallVector<OpFoldResult> strides4(4, one);
    // First value column of this iteration and its sums-of-squares slot.
    OpFoldResult colOff = zero, ssIdx = hi;
    if (splits > 1) {
      Value ci = forall.getInductionVar(2);
      colOff = arith::MulIOp::create(
                   b, loc, ci, arith::ConstantIndexOp::create(b, loc, chunkTy))
                   .getResult();
      ssIdx = arith::AddIOp::create(
                  b, loc,
                  arith::MulIOp::create(
                      b, loc, hi, arith::ConstantIndexOp::create(b, loc, splits)),
                  ci)
                  .getResult();
    }
    // x[bi, hi] as [1, 1, d2, d3].
    auto headOf = [&](Value x) -> Value {
      return tensor::ExtractSliceOp::create(
          b, loc, x, SmallVector<OpFoldResult>{bi, hi, zero, zero},
          SmallVector<OpFoldResult>{one, one, e.dim(x, 2), e.dim(x, 3)},
          strides4);
    };
    // Row h of a table (row 0 without decay).
    OpFoldResult th = decay ? OpFoldResult(hi) : zero;
    auto tableOf = [&](Value t) -> Value {
      unsigned r = rankOf(t);
      SmallVector<OpFoldResult> offs(r, zero), sz{one, one, e.dim(t, 2)};
      offs[1] = th;
      if (r == 4)
        sz.push_back(e.dim(t, 3));
      return tensor::ExtractSliceOp::create(b, loc, t, offs, sz,
                                            SmallVector<OpFoldResult>(r, one));
    };
    Value qh = headOf(q), kh = headOf(k);
    Value vh = tensor::ExtractSliceOp::create(
        b, loc, v, SmallVector<OpFoldResult>{bi, hi, zero, colOff},
        SmallVector<OpFoldResult>{one, one, e.dim(v, 2), dvC}, strides4);
    Value pwH = tableOf(pw), rpwH = tableOf(rpw);
    Value maskH = mask ? tableOf(mask) : Value();
    Value decayH;
    if (perChannel)
      decayH = tensor::ExtractSliceOp::create(
          b, loc, decay, SmallVector<OpFoldResult>{hi, zero},
          SmallVector<OpFoldResult>{one, e.dim(decay, 1)},
          SmallVector<OpFoldResult>(2, one));
    Value outArg = forall.getRegionIterArgs()[0];
    Value stateArg = forall.getRegionIterArgs().back();
    // This head's output rows as [1, 1, N, Dv]; token-major: the strided
    // [N, Dv] column of heads out[b, :, h, :], and its sums of squares.
    Value oh, ssh, ssArg;
    SmallVector<OpFoldResult> tmOffs{bi, zero, hi, colOff},
        tmHeadSizes{one, oSizes[2], one, dvC};
    SmallVector<OpFoldResult> ssOffs{bi, zero, ssIdx},
        ssHeadSizes{one, oSizes[2], one};
    SmallVector<OpFoldResult> hmOffs{bi, hi, zero, colOff},
        hmSizes{one, one, oSizes[2], dvC};
    auto nTy = cast<RankedTensorType>(q.getType()).getDimSize(2);
    if (tokenMajor) {
      ssArg = forall.getRegionIterArgs()[1];
      Value cols = tensor::ExtractSliceOp::create(
          b, loc, RankedTensorType::get({nTy, chunkTy}, f32), outArg, tmOffs,
          tmHeadSizes, strides4);
      oh = tensor::ExpandShapeOp::create(
          b, loc, RankedTensorType::get({1, 1, nTy, chunkTy}, f32), cols,
          SmallVector<ReassociationIndices>{{0, 1, 2}, {3}},
          SmallVector<OpFoldResult>{one, one, oSizes[2], dvC});
      Value ssCol = tensor::ExtractSliceOp::create(
          b, loc, RankedTensorType::get({nTy}, f32), ssArg, ssOffs,
          ssHeadSizes, SmallVector<OpFoldResult>(3, one));
      ssh = tensor::ExpandShapeOp::create(
          b, loc, RankedTensorType::get({1, 1, nTy}, f32), ssCol,
          SmallVector<ReassociationIndices>{{0, 1, 2}},
          SmallVector<OpFoldResult>{one, one, oSizes[2]});
    } else {
      oh = tensor::ExtractSliceOp::create(b, loc, outArg, hmOffs, hmSizes,
                                          strides4);
    }
    SmallVector<OpFoldResult> shSizes{one, one, sSizes[2], dvC};
    Value state0 = e.filled(shSizes, 0.0);
    Value n = tensor::DimOp::create(b, loc, q, 2);
    Value lb = arith::ConstantIndexOp::create(b, loc, 0);
    Value step = arith::ConstantIndexOp::create(b, loc, B);
    // Maps of a [b, h, x, c] loop space onto a table slice of m rows: per
    // channel the slice is [1, 1, m, Dk], per head [1, 1, m].
    AffineMap rowTableMap = perChannel ? id4 : selectMap(4, {0, 1, 2}, ctx);
    SmallVector<Value> inits{state0, oh};
    if (tokenMajor)
      inits.push_back(ssh);
    auto loop = scf::ForOp::create(
        b, loc, lb, n, step, inits,
        [&](OpBuilder &nb, Location l, Value i0, ValueRange iter) {
          Emitter ie{nb, l};
          // m = min(B, n - i0), as affine.min so that peeling the last
          // block (lf-tile-linear-attention) makes it the constant B.
          MLIRContext *c = nb.getContext();
          AffineMap minMap = AffineMap::get(
              1, 1,
              {getAffineConstantExpr(B, c),
               getAffineSymbolExpr(0, c) - getAffineDimExpr(0, c)},
              c);
          Value m = affine::AffineMinOp::create(nb, l, minMap, ValueRange{i0, n});
          auto rows = [&](Value x, OpFoldResult off, OpFoldResult len) -> Value {
            unsigned r = rankOf(x);
            SmallVector<OpFoldResult> offs(r, nb.getIndexAttr(0)),
                sz{nb.getIndexAttr(1), nb.getIndexAttr(1), len};
            offs[2] = off;
            if (r == 4)
              sz.push_back(ie.dim(x, 3));
            return tensor::ExtractSliceOp::create(
                nb, l, x, offs, sz, SmallVector<OpFoldResult>(r, one));
          };
          Value qb = rows(qh, i0, m), kb = rows(kh, i0, m), vb = rows(vh, i0, m);
          SmallVector<OpFoldResult> scSizes{one, one, m, m};
          SmallVector<OpFoldResult> obSizes{one, one, m, ie.dim(vb, 3)};
          // The output block accumulates in the output itself when it is
          // f32, else in an f32 temporary converted at the end.
          Value acc;
          if (outElem.isF32()) {
            Value dst = tensor::ExtractSliceOp::create(
                nb, l, iter[1], SmallVector<OpFoldResult>{zero, zero, i0, zero},
                obSizes, strides4);
            acc = linalg::FillOp::create(nb, l, ie.cst(0.0), dst).getResult(0);
          } else {
            acc = ie.filled(obSizes, 0.0);
          }
          // Intra-block: masked, decayed scores, then times V.
          if (perChannel) {
            // scores[t, s] = sum_c q[t, c] k[s, c] exp(-r[c] (t - s)), s <= t:
            // loops (b, h, t, s, c).
            Value masked = ie.generic(
                {qb, kb, decayH}, ie.filled(scSizes, 0.0),
                {selectMap(5, {0, 1, 2, 4}, ctx),
                 selectMap(5, {0, 1, 3, 4}, ctx), selectMap(5, {1, 4}, ctx),
                 selectMap(5, {0, 1, 2, 3}, ctx)},
                {IteratorType::parallel, IteratorType::parallel,
                 IteratorType::parallel, IteratorType::parallel,
                 IteratorType::reduction},
                [&](OpBuilder &bb, Location bl, ValueRange a) {
                  Value t = idxF(bb, bl, 2), sv = idxF(bb, bl, 3);
                  Value p = arith::MulFOp::create(
                      bb, bl, arith::MulFOp::create(bb, bl, a[0], a[1]),
                      decayPow(bb, bl, a[2],
                               arith::SubFOp::create(bb, bl, t, sv)));
                  Value add = Emitter::accumulate(bb, bl, a[3], p);
                  return arith::SelectOp::create(
                      bb, bl, visible(bb, bl, true, 2, 3), add, a[3]);
                });
            acc = contractBH(ie, masked, {0, 1, 2, 4}, vb, {0, 1, 4, 3},
                             obSizes, 3, acc);
          } else {
            // Causal split at h = min(m, B/2): keys [0, h) against every
            // row, keys [h, m) against rows [h, m) only; the quarter of the
            // scores with t < h <= s is masked to zero and never computed.
            // The mask is Toeplitz, so both parts read its top-left corner.
            Value h = arith::MinSIOp::create(
                nb, l, m, arith::ConstantIndexOp::create(nb, l, B / 2));
            Value m2 = arith::SubIOp::create(nb, l, m, h);
            auto part = [&](Value qRows, Value kRows, Value vRows, Value init,
                            OpFoldResult t, OpFoldResult sN) -> Value {
              SmallVector<OpFoldResult> sz{one, one, t, sN};
              Value scores = contractBH(ie, qRows, {0, 1, 2, 4},
                                        keysAsColumns(ie, kRows), {0, 1, 4, 3},
                                        sz, 3);
              Value maskB = tensor::ExtractSliceOp::create(
                  nb, l, maskH, SmallVector<OpFoldResult>(4, zero), sz,
                  strides4);
              // In place on the scores.
              Value masked = ie.generic(
                  {maskB}, scores, {id4, id4}, par(4),
                  [](OpBuilder &bb, Location bl, ValueRange a) {
                    return arith::MulFOp::create(bb, bl, a[1], a[0]);
                  });
              SmallVector<OpFoldResult> osz{one, one, t, ie.dim(vRows, 3)};
              return contractBH(ie, masked, {0, 1, 2, 4}, vRows, {0, 1, 4, 3},
                                osz, 3, init);
            };
            if (B < 2) {
              // Blocks of one row: nothing to split.
              acc = part(qb, kb, vb, acc, m, m);
            } else {
            acc = part(qb, rows(kb, zero, h), rows(vb, zero, h), acc, m, h);
            SmallVector<OpFoldResult> lowOffs{zero, zero, h, zero},
                lowSizes{one, one, m2, ie.dim(vb, 3)};
            Value low = tensor::ExtractSliceOp::create(nb, l, acc, lowOffs,
                                                       lowSizes, strides4);
            low = part(rows(qb, h, m2), rows(kb, h, m2), rows(vb, h, m2), low,
                       m2, m2);
            acc = tensor::InsertSliceOp::create(nb, l, low, acc, lowOffs,
                                                lowSizes, strides4);
            }
          }
          // Inter-block: (q[t] lambda^(t+1)) S, the decay on q's rows (per
          // head) or on q's channels (per channel).
          Value qDec = rows(pwH, one, m);
          Value qIn = elementwise(ie, qb, f32, {{qb, id4}, {qDec, rowTableMap}},
                                  [](OpBuilder &bb, Location bl, ValueRange a) {
                                    return arith::MulFOp::create(bb, bl, a[0],
                                                                 a[1]);
                                  });
          acc = contractBH(ie, qIn, {0, 1, 2, 4}, iter[0], {0, 1, 4, 3},
                           obSizes, 3, acc);
          Value ob = acc;
          if (!outElem.isF32())
            ob = elementwise(ie, acc, outElem, {{acc, id4}},
                             [&](OpBuilder &bb, Location bl, ValueRange a) {
                               return Emitter::fromF32(bb, bl, a[0], outElem);
                             });
          Value out = tensor::InsertSliceOp::create(
              nb, l, ob, iter[1],
              SmallVector<OpFoldResult>{zero, zero, i0, zero}, obSizes,
              strides4);
          // State: S' = lambda^m S + sum_c lambda^(m-1-c) k_c^T v_c, with
          // lambda^(m-1-c) = rpw[B - m + c].
          Value bMinusM = arith::SubIOp::create(nb, l, step, m);
          Value kDec = rows(rpwH, bMinusM, m);
          Value kd = elementwise(ie, kb, f32, {{kb, id4}, {kDec, rowTableMap}},
                                 [](OpBuilder &bb, Location bl, ValueRange a) {
                                   return arith::MulFOp::create(bb, bl, a[0],
                                                                a[1]);
                                 });
          // lambda^m = pw[m]: [1, 1] per head, [1, 1, Dk] per channel (on
          // the state's row c).
          Value powM;
          AffineMap powMMap;
          if (perChannel) {
            auto ty = RankedTensorType::get(
                {1, 1, cast<RankedTensorType>(pwH.getType()).getDimSize(3)},
                f32);
            powM = tensor::ExtractSliceOp::create(
                nb, l, ty, pwH, SmallVector<OpFoldResult>{zero, zero, m, zero},
                SmallVector<OpFoldResult>{one, one, one, ie.dim(pwH, 3)},
                strides4);
            powMMap = selectMap(4, {0, 1, 2}, ctx);
          } else {
            auto ty = RankedTensorType::get({1, 1}, f32);
            powM = tensor::ExtractSliceOp::create(
                nb, l, ty, pwH, SmallVector<OpFoldResult>{zero, zero, m},
                SmallVector<OpFoldResult>{one, one, one},
                SmallVector<OpFoldResult>(3, one));
            powMMap = selectMap(4, {0, 1}, ctx);
          }
          Value scaled = ie.generic({powM}, iter[0], {powMMap, id4}, par(4),
                                    [](OpBuilder &bb, Location bl, ValueRange a) {
                                      return arith::MulFOp::create(bb, bl, a[1],
                                                                   a[0]);
                                    });
          Value newState = contractBH(ie, kd, {0, 1, 4, 2}, vb, {0, 1, 4, 3},
                                      ie.sizes(iter[0]), 2, scaled);
          SmallVector<Value> yields{newState, out};
          if (tokenMajor) {
            // Sums of squares of the block's output rows (the norm over all
            // heads combines them after the forall).
            SmallVector<OpFoldResult> offs{zero, zero, i0}, sz{one, one, m};
            Value dst = tensor::ExtractSliceOp::create(
                nb, l, iter[2], offs, sz, SmallVector<OpFoldResult>(3, one));
            Value zeroed =
                linalg::FillOp::create(nb, l, ie.cst(0.0), dst).getResult(0);
            Value sq = ie.generic(
                {ob}, zeroed, {id4, selectMap(4, {0, 1, 2}, ctx)},
                {IteratorType::parallel, IteratorType::parallel,
                 IteratorType::parallel, IteratorType::reduction},
                [](OpBuilder &bb, Location bl, ValueRange a) {
                  return Emitter::accumulate(
                      bb, bl, a[1], arith::MulFOp::create(bb, bl, a[0], a[0]));
                });
            yields.push_back(tensor::InsertSliceOp::create(
                nb, l, sq, iter[2], offs, sz,
                SmallVector<OpFoldResult>(3, one)));
          }
          scf::YieldOp::create(nb, l, yields);
        });
    // Peeled by lf-tile-linear-attention: full blocks get static shapes.
    loop->setAttr("lf.attention_blocks", b.getUnitAttr());
    Value cols, ssCol;
    if (tokenMajor) {
      cols = tensor::CollapseShapeOp::create(
          b, loc, RankedTensorType::get({nTy, chunkTy}, f32), loop.getResult(1),
          SmallVector<ReassociationIndices>{{0, 1, 2}, {3}});
      ssCol = tensor::CollapseShapeOp::create(
          b, loc, RankedTensorType::get({nTy}, f32), loop.getResult(2),
          SmallVector<ReassociationIndices>{{0, 1, 2}});
    }
    b.setInsertionPointToStart(forall.getTerminator().getBody());
    if (tokenMajor) {
      tensor::ParallelInsertSliceOp::create(b, loc, cols, outArg, tmOffs,
                                            tmHeadSizes, strides4);
      tensor::ParallelInsertSliceOp::create(b, loc, ssCol, ssArg, ssOffs,
                                            ssHeadSizes,
                                            SmallVector<OpFoldResult>(3, one));
    } else {
      tensor::ParallelInsertSliceOp::create(b, loc, loop.getResult(1), outArg,
                                            hmOffs, hmSizes, strides4);
    }
    if (wantState)
      tensor::ParallelInsertSliceOp::create(
          b, loc, loop.getResult(0), stateArg,
          SmallVector<OpFoldResult>{bi, hi, zero, colOff}, shSizes, strides4);
  }
  BlockedAttention r;
  r.output = forall.getResult(0);
  if (tokenMajor)
    r.sumSquares = forall.getResult(1);
  if (wantState)
    r.state = forall->getResults().back();
  return r;
}

/// Value-column slices per (batch, head) so that `threads` threads have
/// work when B * H is smaller (static shapes only; >= 8 columns a slice).
int64_t valueSplits(Value q, Value v, unsigned threads) {
  auto qt = cast<RankedTensorType>(q.getType());
  int64_t dv = cast<RankedTensorType>(v.getType()).getDimSize(3);
  if (threads <= 1 || qt.isDynamicDim(0) || qt.isDynamicDim(1) ||
      ShapedType::isDynamic(dv))
    return 1;
  int64_t bh = qt.getDimSize(0) * qt.getDimSize(1);
  if (bh == 0 || bh >= static_cast<int64_t>(threads))
    return 1;
  for (int64_t s = (threads + bh - 1) / bh; s > 1; --s)
    if (dv % s == 0 && dv / s >= 8)
      return s;
  return 1;
}

SmallVector<Value> lowerLinearAttentionBlocked(const Emitter &e,
                                               LinearAttentionOp op,
                                               int64_t blockSize,
                                               unsigned threads) {
  bool wantState = static_cast<bool>(op.getReturnState());
  BlockedAttention r = lowerBlockedCore(
      e, op.getQuery(), op.getKey(), op.getValue(), op.getDecay(),
      asActivation(op.getFeatureMap()), blockSize, wantState,
      /*tokenMajor=*/false, valueSplits(op.getQuery(), op.getValue(), threads));
  SmallVector<Value> results{tensor::CastOp::create(
      e.b, e.loc, op.getOutput().getType(), r.output)};
  if (wantState)
    results.push_back(tensor::CastOp::create(
        e.b, e.loc, op.getFinalState().getType(), r.state));
  return results;
}

/// lf.norm_attention through the token-major Lightning blocks: the rows of
/// every head land in place in [B, N, H, Dv] together with their sums of
/// squares, then one pass reads them and the gate once:
///   y[b, t, h, e] = u * o * rsqrt(sum_h ss[b, t, h] / (H Dv) + eps) (* gain)
Value lowerNormAttentionBlocked(const Emitter &e, NormAttentionOp op,
                                int64_t blockSize, unsigned threads) {
  MLIRContext *ctx = e.ctx();
  Value v = op.getValue();
  BlockedAttention r = lowerBlockedCore(
      e, op.getQuery(), op.getKey(), v, op.getDecay(),
      asActivation(op.getFeatureMap()), blockSize, /*wantState=*/false,
      /*tokenMajor=*/true, valueSplits(op.getQuery(), v, threads));
  Type outElem = elemType(op.getQuery());
  OpFoldResult bS = e.dim(r.output, 0), nS = e.dim(r.output, 1),
               hS = e.dim(r.output, 2), dvS = e.dim(r.output, 3);
  // rs[b, t] = rsqrt(sum_h ss / (H Dv) + eps)
  Value total = e.generic(
      {r.sumSquares}, e.filled({bS, nS}, 0.0),
      {identityMap(3, ctx), selectMap(3, {0, 1}, ctx)},
      {IteratorType::parallel, IteratorType::parallel, IteratorType::reduction},
      [](OpBuilder &bb, Location bl, ValueRange a) {
        return Emitter::accumulate(bb, bl, a[1], a[0]);
      });
  Value channels = arith::MulFOp::create(e.b, e.loc, e.dimF32(r.output, 2),
                                         e.dimF32(r.output, 3));
  Value eps = e.cst(op.getEps().convertToDouble());
  Value rs = elementwise(
      e, total, e.f32(), {{total, identityMap(2, ctx)}},
      [&](OpBuilder &bb, Location bl, ValueRange a) {
        return math::RsqrtOp::create(
            bb, bl,
            arith::AddFOp::create(
                bb, bl, arith::DivFOp::create(bb, bl, a[0], channels), eps));
      });
  auto u = cast<RankedTensorType>(op.getGate().getType());
  auto oTy = cast<RankedTensorType>(r.output.getType());
  Value u4 = tensor::ExpandShapeOp::create(
      e.b, e.loc,
      RankedTensorType::get({u.getDimSize(0), u.getDimSize(1),
                             oTy.getDimSize(2), oTy.getDimSize(3)},
                            u.getElementType()),
      op.getGate(), SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}},
      SmallVector<OpFoldResult>{bS, nS, hS, dvS});
  AffineMap id4 = identityMap(4, ctx);
  SmallVector<std::pair<Value, AffineMap>> ins{
      {r.output, id4}, {u4, id4}, {rs, selectMap(4, {0, 1}, ctx)}};
  if (Value g = op.getGain()) {
    auto gTy = cast<RankedTensorType>(g.getType());
    Value g2 = tensor::ExpandShapeOp::create(
        e.b, e.loc,
        RankedTensorType::get({oTy.getDimSize(2), oTy.getDimSize(3)},
                              gTy.getElementType()),
        g, SmallVector<ReassociationIndices>{{0, 1}},
        SmallVector<OpFoldResult>{hS, dvS});
    ins.push_back({g2, selectMap(4, {2, 3}, ctx)});
  }
  bool gain = static_cast<bool>(op.getGain());
  Value y4 = elementwise(
      e, r.output, outElem, ins, [&](OpBuilder &bb, Location bl, ValueRange a) {
        Value y = arith::MulFOp::create(
            bb, bl, arith::MulFOp::create(bb, bl, a[0], a[2]),
            Emitter::toF32(bb, bl, a[1]));
        if (gain)
          y = arith::MulFOp::create(bb, bl, y, Emitter::toF32(bb, bl, a[3]));
        return Emitter::fromF32(bb, bl, y, outElem);
      });
  Value y = tensor::CollapseShapeOp::create(
      e.b, e.loc, y4, SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}});
  return tensor::CastOp::create(e.b, e.loc, op.getOutput().getType(), y);
}

/// lf.norm_attention by expansion: lf.linear_attention, the heads
/// concatenated per token, lf.rms_norm over them, times the gate.
Value expandNormAttention(const Emitter &e, NormAttentionOp op) {
  OpBuilder &b = e.b;
  Location l = e.loc;
  auto qTy = cast<RankedTensorType>(op.getQuery().getType());
  auto vTy = cast<RankedTensorType>(op.getValue().getType());
  auto la = LinearAttentionOp::create(
      b, l, TypeRange{RankedTensorType::get(
                {qTy.getDimSize(0), qTy.getDimSize(1), qTy.getDimSize(2),
                 vTy.getDimSize(3)},
                qTy.getElementType())},
      op.getQuery(), op.getKey(), op.getValue(), op.getDecay(),
      /*causal=*/true, op.getFeatureMap(), /*return_state=*/false);
  Value o = la.getOutput();
  SmallVector<OpFoldResult> tm{e.dim(o, 0), e.dim(o, 2), e.dim(o, 1),
                               e.dim(o, 3)};
  Value init = e.empty(tm, qTy.getElementType());
  Value t = linalg::TransposeOp::create(b, l, o, init,
                                        ArrayRef<int64_t>{0, 2, 1, 3})
                ->getResult(0);
  Value c = tensor::CollapseShapeOp::create(
      b, l, t, SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}});
  Value n = RMSNormOp::create(b, l, c.getType(), c, op.getGain(),
                              op.getEpsAttr(), FloatAttr())
                .getResult();
  Value y = MulOp::create(b, l, n.getType(), op.getGate(), n).getResult();
  return tensor::CastOp::create(b, l, op.getOutput().getType(), y);
}

/// O[b,h,t,e] = sum_s A[b,h,t,s] v[s,e] / (norm[b,h,t] when given); A is
/// already masked. Returns the storage-typed output.
Value weightedValues(const Emitter &e, Value a, Value v, Value norm,
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

Value rowSums(const Emitter &e, Value a) {
  SmallVector<bool> keep{true, true, true, false};
  return reduce(e, a, keep, {}, [](OpBuilder &, Location, ValueRange x) {
    return x[0];
  });
}

double defaultScale(std::optional<APFloat> scale, Value q) {
  if (scale)
    return scale->convertToDouble();
  int64_t d = cast<RankedTensorType>(q.getType()).getDimSize(3);
  return ShapedType::isDynamic(d) ? 0.0 : 1.0 / std::sqrt(double(d));
}

/// 1/sqrt(Dk) as an f32 value, from the static size or tensor.dim.
Value scaleValue(const Emitter &e, std::optional<APFloat> scale, Value q) {
  double s = defaultScale(scale, q);
  if (s != 0.0)
    return e.cst(s);
  return math::RsqrtOp::create(e.b, e.loc, e.dimF32(q, 3));
}

Value lowerSigmoidAttention(const Emitter &e, SigmoidAttentionOp op) {
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

Value lowerSoftplusAttention(const Emitter &e, SoftplusAttentionOp op) {
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

//===----------------------------------------------------------------------===//
// Flow attention (quadratic-time reference lowering)
//===----------------------------------------------------------------------===//

/// Sums the f32 tensor `x` ([B, H, L] or [B, H, L, D]) along the sequence
/// dim 2. Causal: inclusive prefix sums (same shape), read through the
/// identity map. Otherwise: totals with dim 2 dropped, read through a map
/// that broadcasts them over dim 2. Returns the tensor and that map.
/// Causal prefix sums along dim 2 of an f32 [B, H, N, D] or [B, H, N]
/// tensor in linear time: the causal linear attention with q = k = 1
/// (Dk = 1) and v = x, lowered like any other (token recurrence, or blocks
/// under lf-tile-linear-attention).
Value prefixSum(const Emitter &e, Value x) {
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
std::pair<Value, AffineMap> seqSum(const Emitter &e, Value x, bool causal) {
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
Value epsDot(const Emitter &e, Value x, std::pair<Value, AffineMap> y,
             double eps) {
  SmallVector<bool> keep{true, true, true, false};
  return reduce(e, x, keep, {y}, [&](OpBuilder &b, Location l, ValueRange a) {
    Value ep = Emitter::c(b, l, eps);
    return arith::MulFOp::create(b, l, arith::AddFOp::create(b, l, a[0], ep),
                                 arith::AddFOp::create(b, l, a[1], ep));
  });
}

/// (position along dim `d`) + 1 as f32, inside a linalg body.
Value positionPlusOne(OpBuilder &b, Location l, unsigned d) {
  Value i = arith::IndexCastOp::create(b, l, b.getI64Type(),
                                       linalg::IndexOp::create(b, l, d));
  return arith::AddFOp::create(
      b, l, arith::SIToFPOp::create(b, l, b.getF32Type(), i),
      Emitter::c(b, l, 1.0));
}

Value lowerFlowAttention(const Emitter &e, FlowAttentionOp op) {
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

/// A map from `rank` loops to the single element of a `[]` or `[1]` tensor.
AffineMap scalarMap(Value t, unsigned rank, MLIRContext *ctx) {
  if (rankOf(t) == 0)
    return AffineMap::get(rank, 0, {}, ctx);
  return AffineMap::get(rank, 0, {getAffineConstantExpr(0, ctx)}, ctx);
}

/// LRPE: [x cos(theta p), x sin(theta p)], the angle in f64 mod 2 pi.
Value lowerLRPE(const Emitter &e, LRPEOp op) {
  MLIRContext *ctx = e.ctx();
  Value x = op.getInput(), theta = op.getTheta(), off = op.getOffset();
  Type et = elemType(x);
  AffineMap id4 = identityMap(4, ctx), th = selectMap(4, {1, 3}, ctx);
  auto half = [&](bool sine) {
    SmallVector<std::pair<Value, AffineMap>> ins{{x, id4}, {theta, th}};
    if (off)
      ins.push_back({off, scalarMap(off, 4, ctx)});
    return elementwise(
        e, x, et, ins, [&](OpBuilder &b, Location l, ValueRange a) {
          Value n = arith::IndexCastOp::create(b, l, b.getI64Type(),
                                               linalg::IndexOp::create(b, l, 2));
          Value p = arith::SIToFPOp::create(b, l, b.getF64Type(), n);
          if (off)
            p = arith::AddFOp::create(
                b, l, p, arith::ExtFOp::create(b, l, b.getF64Type(), a[2]));
          Value ang = arith::MulFOp::create(
              b, l, arith::ExtFOp::create(b, l, b.getF64Type(), a[1]), p);
          Value twoPi = arith::ConstantOp::create(
              b, l, b.getF64FloatAttr(6.283185307179586));
          // ang - 2 pi floor(ang / 2 pi) (no frem: NVVM has none).
          Value turns = math::FloorOp::create(
              b, l, arith::DivFOp::create(b, l, ang, twoPi));
          ang = arith::SubFOp::create(b, l, ang,
                                      arith::MulFOp::create(b, l, turns, twoPi));
          Value a32 = arith::TruncFOp::create(b, l, b.getF32Type(), ang);
          Value trig = sine ? Value(math::SinOp::create(b, l, a32))
                            : Value(math::CosOp::create(b, l, a32));
          return Emitter::fromF32(
              b, l, arith::MulFOp::create(b, l, Emitter::toF32(b, l, a[0]), trig),
              et);
        });
  };
  Value c = half(false), sn = half(true);
  SmallVector<OpFoldResult> outSizes = e.sizes(x);
  OpFoldResult dh = outSizes[3];
  Value dhV = getValueOrCreateConstantIndexOp(e.b, e.loc, dh);
  outSizes[3] = arith::MulIOp::create(
                    e.b, e.loc, dhV, arith::ConstantIndexOp::create(e.b, e.loc, 2))
                    .getResult();
  Value out = e.empty(outSizes, et);
  OpFoldResult zero = e.b.getIndexAttr(0), one = e.b.getIndexAttr(1);
  SmallVector<OpFoldResult> ones(4, one);
  SmallVector<OpFoldResult> sizes = e.sizes(x);
  out = tensor::InsertSliceOp::create(e.b, e.loc, c, out,
                                      SmallVector<OpFoldResult>(4, zero), sizes,
                                      ones);
  out = tensor::InsertSliceOp::create(
      e.b, e.loc, sn, out, SmallVector<OpFoldResult>{zero, zero, zero, dh},
      sizes, ones);
  return tensor::CastOp::create(e.b, e.loc, op.getResult().getType(), out);
}

//===----------------------------------------------------------------------===//
// S4D (lf.diag_ssm)
//===----------------------------------------------------------------------===//

/// The discretized mode (h, n) of an S4D layer, as f32 scalars.
struct SSMMode {
  Value dAr, dAi; // dA
  Value lr, li;   // log dA
  Value dBr, dBi; // dB
};

SSMMode ssmMode(OpBuilder &b, Location l, SSMDiscretization disc, Value logDt,
                Value logAr, Value ai) {
  auto c = [&](double v) { return Emitter::c(b, l, v); };
  auto mul = [&](Value x, Value y) { return arith::MulFOp::create(b, l, x, y); };
  auto add = [&](Value x, Value y) { return arith::AddFOp::create(b, l, x, y); };
  auto sub = [&](Value x, Value y) { return arith::SubFOp::create(b, l, x, y); };
  auto div = [&](Value x, Value y) { return arith::DivFOp::create(b, l, x, y); };
  Value dt = math::ExpOp::create(b, l, logDt);
  Value ar = arith::NegFOp::create(b, l, math::ExpOp::create(b, l, logAr));
  Value zr = mul(dt, ar), zi = mul(dt, ai);
  SSMMode m;
  if (disc == SSMDiscretization::zoh) {
    Value mag = math::ExpOp::create(b, l, zr);
    m.dAr = mul(mag, math::CosOp::create(b, l, zi));
    m.dAi = mul(mag, math::SinOp::create(b, l, zi));
    m.lr = zr;
    m.li = zi;
    // dB = (dA - 1) / A.
    Value nr = sub(m.dAr, c(1.0)), ni = m.dAi;
    Value den = add(mul(ar, ar), mul(ai, ai));
    m.dBr = div(add(mul(nr, ar), mul(ni, ai)), den);
    m.dBi = div(sub(mul(ni, ar), mul(nr, ai)), den);
    return m;
  }
  // Bilinear: w = 1 - z/2; dA = (1 + z/2) / w; dB = dt / w.
  Value wr = sub(c(1.0), mul(zr, c(0.5))), wi = mul(zi, c(-0.5));
  Value pr = add(c(1.0), mul(zr, c(0.5))), pi = mul(zi, c(0.5));
  Value den = add(mul(wr, wr), mul(wi, wi));
  m.dAr = div(add(mul(pr, wr), mul(pi, wi)), den);
  m.dAi = div(sub(mul(pi, wr), mul(pr, wi)), den);
  m.dBr = div(mul(dt, wr), den);
  m.dBi = div(arith::NegFOp::create(b, l, mul(dt, wi)), den);
  m.lr = mul(c(0.5), math::LogOp::create(b, l, add(mul(m.dAr, m.dAr),
                                                    mul(m.dAi, m.dAi))));
  m.li = math::Atan2Op::create(b, l, m.dAi, m.dAr);
  return m;
}

/// One [H, N] tensor per requested component of the discretized modes.
SmallVector<Value> ssmTensors(const Emitter &e, DiagSSMOp op,
                              ArrayRef<std::function<Value(OpBuilder &, Location,
                                                           const SSMMode &,
                                                           ValueRange)>>
                                  parts) {
  MLIRContext *ctx = e.ctx();
  Value lar = op.getLogAReal();
  AffineMap id = identityMap(2, ctx), hMap = selectMap(2, {0}, ctx);
  SmallVector<Value> out;
  for (auto &part : parts)
    out.push_back(elementwise(
        e, lar, e.f32(),
        {{op.getLogDt(), hMap}, {lar, id}, {op.getAImag(), id},
         {op.getCReal(), id}, {op.getCImag(), id}},
        [&](OpBuilder &b, Location l, ValueRange a) {
          SSMMode m = ssmMode(b, l, op.getDiscretization(), a[0], a[1], a[2]);
          return part(b, l, m, a.drop_front(3));
        }));
  return out;
}

Value lowerDiagSSM(const Emitter &e, DiagSSMOp op) {
  MLIRContext *ctx = e.ctx();
  Value u = op.getInput(), skip = op.getSkip();
  Type et = elemType(u);
  auto mul = [](OpBuilder &b, Location l, Value x, Value y) -> Value {
    return arith::MulFOp::create(b, l, x, y);
  };
  AffineMap id3 = identityMap(3, ctx), h3 = selectMap(3, {1}, ctx);
  auto finish = [&](Value y) {
    SmallVector<std::pair<Value, AffineMap>> ins{{y, id3}, {u, id3}};
    if (skip)
      ins.push_back({skip, h3});
    return elementwise(e, y, et, ins,
                       [&](OpBuilder &b, Location l, ValueRange a) {
                         Value r = a[0];
                         if (skip)
                           r = arith::AddFOp::create(
                               b, l, r, mul(b, l, a[2], Emitter::toF32(b, l, a[1])));
                         return Emitter::fromF32(b, l, r, et);
                       });
  };
  if (op.getForm() == SSMForm::kernel) {
    // C dB and log dA per mode.
    auto parts = ssmTensors(
        e, op,
        {[&](OpBuilder &b, Location l, const SSMMode &m, ValueRange c) {
           return arith::SubFOp::create(b, l, mul(b, l, c[0], m.dBr),
                                        mul(b, l, c[1], m.dBi));
         },
         [&](OpBuilder &b, Location l, const SSMMode &m, ValueRange c) {
           return arith::AddFOp::create(b, l, mul(b, l, c[0], m.dBi),
                                        mul(b, l, c[1], m.dBr));
         },
         [](OpBuilder &, Location, const SSMMode &m, ValueRange) { return m.lr; },
         [](OpBuilder &, Location, const SSMMode &m, ValueRange) { return m.li; }});
    // K[h, l] = 2 sum_n exp(l lr) (cb_r cos(l li) - cb_i sin(l li)):
    // loops (h, l, n).
    AffineMap hn = selectMap(3, {0, 2}, ctx);
    Value kernel = e.generic(
        {parts[0], parts[1], parts[2], parts[3]},
        e.filled({e.dim(u, 1), e.dim(u, 2)}, 0.0),
        {hn, hn, hn, hn, selectMap(3, {0, 1}, ctx)},
        {IteratorType::parallel, IteratorType::parallel, IteratorType::reduction},
        [&](OpBuilder &b, Location l, ValueRange a) {
          Value li = linalg::IndexOp::create(b, l, 1);
          Value lf = arith::SIToFPOp::create(
              b, l, b.getF32Type(),
              arith::IndexCastOp::create(b, l, b.getI64Type(), li));
          Value mag = math::ExpOp::create(b, l, mul(b, l, lf, a[2]));
          Value ang = mul(b, l, lf, a[3]);
          Value re = arith::SubFOp::create(
              b, l, mul(b, l, a[0], math::CosOp::create(b, l, ang)),
              mul(b, l, a[1], math::SinOp::create(b, l, ang)));
          Value term = mul(b, l, Emitter::c(b, l, 2.0), mul(b, l, mag, re));
          return Emitter::accumulate(b, l, a[4], term);
        });
    // y[b, h, t] = sum_{s <= t} K[h, t - s] u[b, h, s]: loops (b, h, t, s).
    Value y = e.generic(
        {u}, e.filled(e.sizes(u), 0.0),
        {selectMap(4, {0, 1, 3}, ctx), selectMap(4, {0, 1, 2}, ctx)},
        {IteratorType::parallel, IteratorType::parallel, IteratorType::parallel,
         IteratorType::reduction},
        [&](OpBuilder &b, Location l, ValueRange a) {
          Value h = linalg::IndexOp::create(b, l, 1);
          Value t = linalg::IndexOp::create(b, l, 2);
          Value sIdx = linalg::IndexOp::create(b, l, 3);
          Value vis = arith::CmpIOp::create(b, l, arith::CmpIPredicate::ule,
                                            sIdx, t);
          Value zeroI = arith::ConstantIndexOp::create(b, l, 0);
          Value lag = arith::SelectOp::create(
              b, l, vis, arith::SubIOp::create(b, l, t, sIdx), zeroI);
          Value kv = tensor::ExtractOp::create(b, l, kernel, ValueRange{h, lag});
          Value p = mul(b, l, kv, Emitter::toF32(b, l, a[0]));
          Value add = Emitter::accumulate(b, l, a[1], p);
          return arith::SelectOp::create(b, l, vis, add, a[1]);
        });
    return finish(y);
  }
  // Recurrent: complex state [B, H, N] carried over t.
  auto parts = ssmTensors(
      e, op,
      {[](OpBuilder &, Location, const SSMMode &m, ValueRange) { return m.dAr; },
       [](OpBuilder &, Location, const SSMMode &m, ValueRange) { return m.dAi; },
       [](OpBuilder &, Location, const SSMMode &m, ValueRange) { return m.dBr; },
       [](OpBuilder &, Location, const SSMMode &m, ValueRange) { return m.dBi; }});
  Value cr = op.getCReal(), ci = op.getCImag();
  SmallVector<OpFoldResult> sSizes{e.dim(u, 0), e.dim(u, 1),
                                   e.dim(op.getLogAReal(), 1)};
  Value x0 = e.filled(sSizes, 0.0);
  Value y0 = e.empty(e.sizes(u), e.f32());
  Value lb = arith::ConstantIndexOp::create(e.b, e.loc, 0);
  Value ub = tensor::DimOp::create(e.b, e.loc, u, 2);
  Value step = arith::ConstantIndexOp::create(e.b, e.loc, 1);
  AffineMap s3 = identityMap(3, ctx), hn3 = selectMap(3, {1, 2}, ctx);
  auto loop = scf::ForOp::create(
      e.b, e.loc, lb, ub, step, ValueRange{x0, x0, y0},
      [&](OpBuilder &nb, Location l, Value t, ValueRange it) {
        Emitter ie{nb, l};
        OpFoldResult one = nb.getIndexAttr(1), zero = nb.getIndexAttr(0);
        // u[:, :, t] and y[:, :, t] as [B, H, 1] slices: no rank reduction,
        // which is ambiguous when B or H is 1 as well.
        auto colTy = RankedTensorType::get(
            {cast<RankedTensorType>(u.getType()).getDimSize(0),
             cast<RankedTensorType>(u.getType()).getDimSize(1), 1},
            et);
        SmallVector<OpFoldResult> offs{zero, zero, t};
        SmallVector<OpFoldResult> colSizes{ie.dim(u, 0), ie.dim(u, 1), one};
        Value ut = tensor::ExtractSliceOp::create(
            nb, l, colTy, u, offs, colSizes, SmallVector<OpFoldResult>(3, one));
        AffineMap col3 = AffineMap::get(
            3, 0, {getAffineDimExpr(0, ctx), getAffineDimExpr(1, ctx),
                   getAffineConstantExpr(0, ctx)},
            ctx);
        SmallVector<std::pair<Value, AffineMap>> ins{
            {it[0], s3}, {it[1], s3}, {parts[0], hn3}, {parts[1], hn3},
            {parts[2], hn3}, {parts[3], hn3}, {ut, col3}};
        // x' = dA x + dB u (complex).
        Value xr = elementwise(
            ie, it[0], ie.f32(), ins, [&](OpBuilder &b, Location ll, ValueRange a) {
              Value uf = Emitter::toF32(b, ll, a[6]);
              Value r = arith::SubFOp::create(b, ll, mul(b, ll, a[2], a[0]),
                                              mul(b, ll, a[3], a[1]));
              return arith::AddFOp::create(b, ll, r, mul(b, ll, a[4], uf));
            });
        Value xi = elementwise(
            ie, it[1], ie.f32(), ins, [&](OpBuilder &b, Location ll, ValueRange a) {
              Value uf = Emitter::toF32(b, ll, a[6]);
              Value r = arith::AddFOp::create(b, ll, mul(b, ll, a[2], a[1]),
                                              mul(b, ll, a[3], a[0]));
              return arith::AddFOp::create(b, ll, r, mul(b, ll, a[5], uf));
            });
        // y_t[b, h, 0] = 2 sum_n (C_r x_r - C_i x_i): loops (b, h, 0, n).
        AffineMap x4 = selectMap(4, {0, 1, 3}, ctx), c4 = selectMap(4, {1, 3}, ctx);
        Value yt = ie.generic(
            {xr, xi, cr, ci},
            ie.filled(SmallVector<OpFoldResult>{ie.dim(u, 0), ie.dim(u, 1), one},
                      0.0),
            {x4, x4, c4, c4, selectMap(4, {0, 1, 2}, ctx)},
            {IteratorType::parallel, IteratorType::parallel,
             IteratorType::parallel, IteratorType::reduction},
            [&](OpBuilder &b, Location ll, ValueRange a) {
              Value r = arith::SubFOp::create(b, ll, mul(b, ll, a[2], a[0]),
                                              mul(b, ll, a[3], a[1]));
              return Emitter::accumulate(
                  b, ll, a[4], mul(b, ll, Emitter::c(b, ll, 2.0), r));
            });
        Value ys = tensor::InsertSliceOp::create(
            nb, l, yt, it[2], offs, colSizes, SmallVector<OpFoldResult>(3, one));
        scf::YieldOp::create(nb, l, ValueRange{xr, xi, ys});
      });
  return finish(loop.getResult(2));
}

/// x @ W^T + bias with the affine-free norm applied as rows are loaded.
Value lowerNormLinear(const Emitter &e, NormLinearOp op) {
  Value x = op.getInput(), w = op.getWeight(), bias = op.getBias();
  unsigned r = rankOf(x);
  MLIRContext *ctx = e.ctx();
  double eps = op.getEps().convertToDouble();
  bool layer = op.getKind() == NormKind::layer;
  Value invD = arith::DivFOp::create(e.b, e.loc, e.cst(1.0), e.dimF32(x, r - 1));
  SmallVector<Value> st =
      layer ? layerNormStats(e, x, invD, eps)
            : SmallVector<Value>{rowRsqrt(e, sumOfSquares(e, x, rowKeep(r)),
                                          invD, eps)};
  // Loops: (leading..., n, k).
  unsigned nl = r + 1;
  SmallVector<unsigned> xDims, outDims, rowDims;
  for (unsigned i = 0; i + 1 < r; ++i) {
    xDims.push_back(i);
    outDims.push_back(i);
    rowDims.push_back(i);
  }
  xDims.push_back(r);
  outDims.push_back(r - 1);
  SmallVector<OpFoldResult> outSizes;
  for (unsigned i = 0; i + 1 < r; ++i)
    outSizes.push_back(e.dim(x, i));
  outSizes.push_back(e.dim(w, 0));
  SmallVector<IteratorType> it(r, IteratorType::parallel);
  it.push_back(IteratorType::reduction);
  SmallVector<Value> ins{x, transposedWeight(e, w)};
  SmallVector<AffineMap> maps{selectMap(nl, xDims, ctx),
                              selectMap(nl, {r, r - 1}, ctx)};
  if (layer) {
    ins.append({st[0], st[1]});
    maps.append({selectMap(nl, rowDims, ctx), selectMap(nl, rowDims, ctx)});
  }
  maps.push_back(selectMap(nl, outDims, ctx));
  Value acc = e.generic(
      ins, e.filled(outSizes, 0.0), maps, it,
      [&](OpBuilder &b, Location l, ValueRange a) {
        Value xv = Emitter::toF32(b, l, a[0]);
        if (layer)
          xv = centred(b, l, xv, a[2], a[3], invD);
        Value p = arith::MulFOp::create(b, l, xv, Emitter::toF32(b, l, a[1]));
        return Emitter::accumulate(b, l, a.back(), p);
      });
  Type et = elemType(x);
  Value rs = st.back();
  SmallVector<std::pair<Value, AffineMap>> epi{
      {acc, identityMap(r, ctx)}, {rs, keepMap(rowKeep(r), ctx)}};
  if (bias)
    epi.push_back({bias, selectMap(r, {r - 1}, ctx)});
  return elementwise(e, acc, et, epi,
                     [&](OpBuilder &b, Location l, ValueRange a) {
                       Value v = arith::MulFOp::create(b, l, a[0], a[1]);
                       if (bias)
                         v = arith::AddFOp::create(
                             b, l, v, Emitter::toF32(b, l, a[2]));
                       return Emitter::fromF32(b, l, v, et);
                     });
}

/// y = x - mean(x, axis), with the mean taken around K = x[.., 0, ..]:
/// y = (x - K) - sum(x - K) / d. For values close to each other (a stream
/// or a bias with a large common offset) x - K is exact, so the result has
/// no leftover offset, which an RMSNorm reading it would not remove.
Value lowerRecenter(const Emitter &e, RecenterOp op) {
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
Value normalizeVector(const Emitter &e, Value v) {
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
Value matVec(const Emitter &e, Value w, Value u, bool transposed) {
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
Value lowerSigmaReparam(const Emitter &e, SigmaReparamOp op) {
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

Value lowerWeightStandardize(const Emitter &e, WeightStandardizeOp op) {
  Value w = op.getWeight(), gain = op.getGain();
  unsigned r = rankOf(w);
  MLIRContext *ctx = e.ctx();
  SmallVector<bool> keep(r, false);
  keep[0] = true;
  auto [mean, var] = meanVar(e, w, keep);
  Value fanIn = e.cst(1.0);
  for (unsigned i = 1; i < r; ++i)
    fanIn = arith::MulFOp::create(e.b, e.loc, fanIn, e.dimF32(w, i));
  Value factor = arith::DivFOp::create(
      e.b, e.loc, e.cst(op.getGamma().convertToDouble()),
      math::SqrtOp::create(e.b, e.loc, fanIn));
  double eps = op.getEps().convertToDouble();
  AffineMap om = selectMap(r, {0}, ctx);
  SmallVector<std::pair<Value, AffineMap>> ins{
      {w, identityMap(r, ctx)}, {mean, om}, {var, om}};
  if (gain)
    ins.push_back({gain, om});
  Type et = elemType(w);
  return elementwise(
      e, w, et, ins, [&](OpBuilder &b, Location l, ValueRange a) {
        Value c = arith::SubFOp::create(b, l, Emitter::toF32(b, l, a[0]), a[1]);
        Value rs = math::RsqrtOp::create(
            b, l, arith::AddFOp::create(b, l, a[2], Emitter::c(b, l, eps)));
        Value y = arith::MulFOp::create(
            b, l, arith::MulFOp::create(b, l, c, rs), factor);
        if (gain)
          y = arith::MulFOp::create(b, l, y, Emitter::toF32(b, l, a[3]));
        return Emitter::fromF32(b, l, y, et);
      });
}

Value lowerWeightCompand(const Emitter &e, WeightCompandOp op) {
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

SmallVector<Value> lowerResidualNorm(const Emitter &e, ResidualNormOp op) {
  Value sum = lowerBinary<arith::AddFOp>(e, op.getInput(), op.getResidual());
  double eps = op.getEps().convertToDouble();
  Value y = op.getKind() == NormKind::layer
                ? layerNorm(e, sum, op.getGain(), op.getBias(), eps,
                            optScale(op.getScale()))
                : rmsNorm(e, sum, op.getGain(), eps, optScale(op.getScale()));
  return {sum, y};
}

//===----------------------------------------------------------------------===//
// Patterns
//===----------------------------------------------------------------------===//

/// Wraps a lowering function as a conversion pattern. The result may carry
/// more static information than the op's declared type; cast back to it.
template <typename OpTy, typename Fn>
struct LowerOp : OpRewritePattern<OpTy> {
  LowerOp(MLIRContext *ctx, Fn fn) : OpRewritePattern<OpTy>(ctx), fn(fn) {}

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    Emitter e{rewriter, op.getLoc()};
    SmallVector<Value> results;
    if constexpr (std::is_same_v<decltype(fn(e, op)), SmallVector<Value>>)
      results = fn(e, op);
    else
      results.push_back(fn(e, op));
    for (auto [r, old] : llvm::zip(results, op->getResults()))
      if (r.getType() != old.getType())
        r = tensor::CastOp::create(rewriter, op.getLoc(), old.getType(), r);
    rewriter.replaceOp(op, results);
    return success();
  }
  Fn fn;
};

template <typename OpTy, typename Fn>
void addLowering(RewritePatternSet &patterns, Fn fn) {
  patterns.add(std::make_unique<LowerOp<OpTy, Fn>>(patterns.getContext(), fn));
}

struct ConvertLFToLinalgPass
    : lf::impl::ConvertLFToLinalgPassBase<ConvertLFToLinalgPass> {
  using Base::Base;
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    // Ops whose run-time form does not exist get a diagnostic, not a
    // "failed to legalize".
    WalkResult unsupported = getOperation()->walk([](SigmaReparamOp op) {
      if (op.getU())
        return WalkResult::advance();
      op.emitOpError("without `u` needs a constant weight: its spectral norm is "
                     "computed at compile time by lf-fold-weight-reparam "
                     "(part of lf-optimize); pass the stored power-iteration "
                     "vector as u(...) to compute it at run time");
      return WalkResult::interrupt();
    });
    if (unsupported.wasInterrupted())
      return signalPassFailure();
    RewritePatternSet patterns(ctx);
    populateLFToLinalgConversionPatterns(patterns);
    ConversionTarget target(*ctx);
    target.addIllegalDialect<LFDialect>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

namespace {
/// Rewrites a causal lf.linear_attention (or lf.norm_attention, always
/// causal) into the block recurrence; per-channel decays only when
/// `perChannel`.
template <typename OpTy>
struct TileAttention : OpRewritePattern<OpTy> {
  TileAttention(MLIRContext *ctx, int64_t blockSize, bool perChannel,
                unsigned threads)
      : OpRewritePattern<OpTy>(ctx), blockSize(blockSize),
        perChannel(perChannel), threads(threads) {}
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    if constexpr (std::is_same_v<OpTy, LinearAttentionOp>)
      if (!op.getCausal())
        return rewriter.notifyMatchFailure(op, "non-causal: already linear");
    if (!perChannel && op.getDecay() &&
        cast<RankedTensorType>(op.getDecay().getType()).getRank() != 1)
      return rewriter.notifyMatchFailure(
          op, "per-channel decay: keeps the token recurrence");
    Emitter e{rewriter, op.getLoc()};
    if constexpr (std::is_same_v<OpTy, LinearAttentionOp>)
      rewriter.replaceOp(op,
                         lowerLinearAttentionBlocked(e, op, blockSize, threads));
    else
      rewriter.replaceOp(op,
                         lowerNormAttentionBlocked(e, op, blockSize, threads));
    return success();
  }
  int64_t blockSize;
  bool perChannel;
  unsigned threads;
};
} // namespace

void mlir::lf::populateTileLinearAttentionPatterns(RewritePatternSet &patterns,
                                                   int64_t blockSize,
                                                   bool perChannel,
                                                   unsigned threads) {
  patterns.add<TileAttention<LinearAttentionOp>, TileAttention<NormAttentionOp>>(
      patterns.getContext(), blockSize, perChannel, threads);
}

void mlir::lf::populateLFToLinalgConversionPatterns(
    RewritePatternSet &patterns) {
  addLowering<LayerNormOp>(patterns, lowerLayerNorm);
  addLowering<RMSNormOp>(patterns, lowerRMSNorm);
  addLowering<CRMSNormOp>(patterns, lowerCRMSNorm);
  addLowering<ResidualNormOp>(patterns, lowerResidualNorm);
  addLowering<BatchNormOp>(patterns, lowerBatchNorm);
  addLowering<UnifiedNormOp>(patterns, lowerUnifiedNorm);
  addLowering<PowerNormOp>(patterns, lowerPowerNorm);
  addLowering<EvoNormB0Op>(patterns, lowerEvoNormB0);
  addLowering<EvoNormS0Op>(patterns, lowerEvoNormS0);
  addLowering<ChannelAffineOp>(patterns, [](const Emitter &e,
                                            ChannelAffineOp op) {
    return applyChannelAffine(e, op.getInput(),
                              normAxis(op.getAxis(), rankOf(op.getInput())),
                              op.getScale(), op.getShift());
  });
  addLowering<LinearOp>(patterns, lowerLinear);
  addLowering<NormLinearOp>(patterns, lowerNormLinear);
  addLowering<DiagSSMOp>(patterns, lowerDiagSSM);
  addLowering<LRPEOp>(patterns, lowerLRPE);
  addLowering<RecenterOp>(patterns, lowerRecenter);
  addLowering<SigmaReparamOp>(patterns, lowerSigmaReparam);
  addLowering<WeightStandardizeOp>(patterns, lowerWeightStandardize);
  addLowering<WeightCompandOp>(patterns, lowerWeightCompand);
  addLowering<AddOp>(patterns, [](const Emitter &e, AddOp op) {
    return lowerBinary<arith::AddFOp>(e, op.getLhs(), op.getRhs());
  });
  addLowering<MulOp>(patterns, [](const Emitter &e, MulOp op) {
    return lowerBinary<arith::MulFOp>(e, op.getLhs(), op.getRhs());
  });
  addLowering<ActivationOp>(patterns, lowerActivation);
  addLowering<GluOp>(patterns, lowerGlu);
  addLowering<LinearAttentionOp>(patterns, lowerLinearAttention);
  addLowering<NormAttentionOp>(patterns, expandNormAttention);
  addLowering<LinearAttentionStepOp>(patterns, lowerLinearAttentionStep);
  addLowering<SigmoidAttentionOp>(patterns, lowerSigmoidAttention);
  addLowering<SoftplusAttentionOp>(patterns, lowerSoftplusAttention);
  addLowering<FlowAttentionOp>(patterns, lowerFlowAttention);
}

Value mlir::lf::emitActivationF32(OpBuilder &b, Location loc,
                                  ActivationKind kind, Value x) {
  return activationF32(b, loc, kind, x);
}

ActivationKind mlir::lf::featureMapActivation(FeatureMap fm) {
  return asActivation(fm);
}

Value mlir::lf::buildNormAttentionExpansion(OpBuilder &b, NormAttentionOp op) {
  return ::expandNormAttention(Emitter{b, op.getLoc()}, op);
}
