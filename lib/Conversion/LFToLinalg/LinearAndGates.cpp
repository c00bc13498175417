//===- LinearAndGates.cpp - linears, elementwise ops and gates to linalg --===//
//
// Part of lightfuse. lf.linear (a contraction with the bias
// and activation as its epilogue), lf.norm_linear (the affine-free norm applied
// as rows are read), lf.add / lf.mul with broadcasting, lf.activation, lf.glu.
//
//===----------------------------------------------------------------------===//

#include "LoweringBuilder.h"

using namespace mlir;
using namespace mlir::lf;
using namespace mlir::lf::lowering;
using utils::IteratorType;

namespace mlir::lf::lowering {
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

namespace {
/// The loop space (leading..., n, k) of x [..., K] @ W^T for a rank-r x:
/// which loops index x, the leading (row) dims and the output, the output's
/// sizes and the iterator types.
struct LinearLoops {
  unsigned numLoops;
  SmallVector<unsigned> xDims, rowDims, outDims;
  SmallVector<OpFoldResult> outSizes;
  SmallVector<IteratorType> iterators;

  LinearLoops(const Emitter &e, Value x, Value w) {
    unsigned r = rankOf(x);
    numLoops = r + 1;
    for (unsigned i = 0; i + 1 < r; ++i) {
      xDims.push_back(i);
      rowDims.push_back(i);
      outDims.push_back(i);
      outSizes.push_back(e.dim(x, i));
    }
    xDims.push_back(r);       // k
    outDims.push_back(r - 1); // n
    outSizes.push_back(e.dim(w, 0));
    iterators.assign(r, IteratorType::parallel);
    iterators.push_back(IteratorType::reduction);
  }
};
} // namespace

static Value lowerLinear(const Emitter &e, LinearOp op) {
  Value x = op.getInput(), w = op.getWeight(), bias = op.getBias();
  unsigned r = rankOf(x);
  MLIRContext *ctx = e.ctx();
  LinearLoops lp(e, x, w);
  unsigned nl = lp.numLoops;
  Value wt = transposedWeight(e, w);
  Value acc = e.generic(
      {x, wt}, e.filled(lp.outSizes, 0.0),
      {selectMap(nl, lp.xDims, ctx), selectMap(nl, {r, r - 1}, ctx),
       selectMap(nl, lp.outDims, ctx)},
      lp.iterators, [](OpBuilder &b, Location l, ValueRange a) {
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


static Value lowerActivation(const Emitter &e, ActivationOp op) {
  Value x = op.getInput();
  Type et = elemType(x);
  return elementwise(e, x, et, {{x, identityMap(rankOf(x), e.ctx())}},
                     [&](OpBuilder &b, Location l, ValueRange a) {
                       return Emitter::fromF32(
                           b, l,
                           emitActivationF32(b, l, op.getKind(),
                                         Emitter::toF32(b, l, a[0])),
                           et);
                     });
}

static Value lowerGlu(const Emitter &e, GluOp op) {
  Value g = op.getGate(), u = op.getUp();
  unsigned r = rankOf(g);
  Type et = elemType(g);
  AffineMap id = identityMap(r, e.ctx());
  ActivationKind kind = asActivation(op.getActivation());
  return elementwise(e, g, et, {{g, id}, {u, id}},
                     [&](OpBuilder &b, Location l, ValueRange a) {
                       Value act = emitActivationF32(b, l, kind,
                                                 Emitter::toF32(b, l, a[0]));
                       return Emitter::fromF32(
                           b, l,
                           arith::MulFOp::create(b, l, act,
                                                 Emitter::toF32(b, l, a[1])),
                           et);
                     });
}


/// x @ W^T + bias with the affine-free norm applied as rows are loaded.
static Value lowerNormLinear(const Emitter &e, NormLinearOp op) {
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
  LinearLoops lp(e, x, w);
  unsigned nl = lp.numLoops;
  SmallVector<Value> ins{x, transposedWeight(e, w)};
  SmallVector<AffineMap> maps{selectMap(nl, lp.xDims, ctx),
                              selectMap(nl, {r, r - 1}, ctx)};
  if (layer) {
    ins.append({st[0], st[1]});
    maps.append(
        {selectMap(nl, lp.rowDims, ctx), selectMap(nl, lp.rowDims, ctx)});
  }
  maps.push_back(selectMap(nl, lp.outDims, ctx));
  Value acc = e.generic(
      ins, e.filled(lp.outSizes, 0.0), maps, lp.iterators,
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


} // namespace mlir::lf::lowering

void mlir::lf::populateLFToLinalgLinearAndGatesPatterns(RewritePatternSet &patterns) {
  addLowering<LinearOp>(patterns, lowerLinear);
  addLowering<NormLinearOp>(patterns, lowerNormLinear);
  addLowering<AddOp>(patterns, [](const Emitter &e, AddOp op) {
    return lowerBinary<arith::AddFOp>(e, op.getLhs(), op.getRhs());
  });
  addLowering<MulOp>(patterns, [](const Emitter &e, MulOp op) {
    return lowerBinary<arith::MulFOp>(e, op.getLhs(), op.getRhs());
  });
  addLowering<ActivationOp>(patterns, lowerActivation);
  addLowering<GluOp>(patterns, lowerGlu);
}
