//===- StateSpace.cpp - state-space models to linalg ----------------------===//
//
// Part of lightfuse. lf.diag_ssm (S4D): the convolution kernel
// of the diagonal SSM and the recurrent form.
//
//===----------------------------------------------------------------------===//

#include "LoweringBuilder.h"

using namespace mlir;
using namespace mlir::lf;
using namespace mlir::lf::lowering;
using utils::IteratorType;

namespace mlir::lf::lowering {
/// The discretized mode (h, n) of an S4D layer, as f32 scalars.
struct SSMMode {
  Value dAr, dAi; // dA
  Value lr, li;   // log dA
  Value dBr, dBi; // dB
};

static SSMMode ssmMode(OpBuilder &b, Location l, SSMDiscretization disc, Value logDt,
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
static SmallVector<Value> ssmTensors(const Emitter &e, DiagSSMOp op,
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

static SmallVector<Value> lowerDiagSSM(const Emitter &e, DiagSSMOp op) {
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
  // With a state both forms run the recurrence (spec.md 8: same function).
  if (op.getForm() == SSMForm::kernel && !op.getState()) {
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
    return {finish(y)};
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
  Value x0 = e.filled(sSizes, 0.0), x0r = x0, x0i = x0;
  if (Value st = op.getState()) {
    // The caller's [B, H, N, 2] state: its real and imaginary planes.
    auto plane = [&](int64_t c) {
      AffineMap m = AffineMap::get(
          3, 0, {getAffineDimExpr(0, ctx), getAffineDimExpr(1, ctx),
                 getAffineDimExpr(2, ctx), getAffineConstantExpr(c, ctx)},
          ctx);
      return elementwise(e, x0, e.f32(), {{st, m}},
                         [](OpBuilder &, Location, ValueRange a) { return a[0]; });
    };
    x0r = plane(0);
    x0i = plane(1);
  }
  Value y0 = e.empty(e.sizes(u), e.f32());
  Value lb = arith::ConstantIndexOp::create(e.b, e.loc, 0);
  Value ub = tensor::DimOp::create(e.b, e.loc, u, 2);
  Value step = arith::ConstantIndexOp::create(e.b, e.loc, 1);
  AffineMap s3 = identityMap(3, ctx), hn3 = selectMap(3, {1, 2}, ctx);
  auto loop = scf::ForOp::create(
      e.b, e.loc, lb, ub, step, ValueRange{x0r, x0i, y0},
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
  Value y = finish(loop.getResult(2));
  if (!op.getState())
    return {y};
  // The state after the last step, planes back into [B, H, N, 2].
  SmallVector<OpFoldResult> stSizes(sSizes);
  stSizes.push_back(e.b.getIndexAttr(2));
  AffineMap bhn4 = selectMap(4, {0, 1, 2}, ctx);
  Value next = e.generic(
      {loop.getResult(0), loop.getResult(1)}, e.empty(stSizes, e.f32()),
      {bhn4, bhn4, identityMap(4, ctx)},
      SmallVector<IteratorType>(4, IteratorType::parallel),
      [&](OpBuilder &b, Location l, ValueRange a) {
        Value c = linalg::IndexOp::create(b, l, 3);
        Value isRe = arith::CmpIOp::create(
            b, l, arith::CmpIPredicate::eq, c,
            arith::ConstantIndexOp::create(b, l, 0));
        return arith::SelectOp::create(b, l, isRe, a[0], a[1]);
      });
  return {y, next};
}

} // namespace mlir::lf::lowering

void mlir::lf::populateLFToLinalgStateSpacePatterns(RewritePatternSet &patterns) {
  addLowering<DiagSSMOp>(patterns, lowerDiagSSM);
}
