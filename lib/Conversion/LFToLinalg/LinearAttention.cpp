//===- LinearAttention.cpp - linear attention to linalg -------------------===//
//
// Part of lightfuse. lf.linear_attention as a token recurrence
// (an scf.for carrying the Dk x Dv state; the non-causal form as two
// contractions), its decode step lf.linear_attention_step, and lf.norm_attention
// through its expansion. The block form is LightningBlocks.cpp.
//
//===----------------------------------------------------------------------===//

#include "LoweringBuilder.h"
#include "lightfuse/Conversion/Common/Expansions.h"

using namespace mlir;
using namespace mlir::lf;
using namespace mlir::lf::lowering;
using utils::IteratorType;

namespace mlir::lf::lowering {
/// lambda = exp(-decay) as an f32 tensor [H, Dk] (a [H] decay is broadcast
/// over Dk), or null without decay.
static Value decayFactors(const Emitter &e, Value decay, Value keyLike,
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
static std::pair<Value, Value> recurrenceStep(const Emitter &e, Value q, Value k,
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

static SmallVector<Value> lowerLinearAttentionStep(const Emitter &e,
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
                 ArrayRef<OpFoldResult> outSizes, unsigned reductionPos,
                 Value init) {
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
static SmallVector<Value> attentionLoopResults(const Emitter &e, LinearAttentionOp op,
                                        scf::ForOp loop) {
  SmallVector<Value> results{tensor::CastOp::create(
      e.b, e.loc, op.getOutput().getType(), loop.getResult(1))};
  if (op.getReturnState())
    results.push_back(tensor::CastOp::create(
        e.b, e.loc, op.getFinalState().getType(), loop.getResult(0)));
  return results;
}

/// Extracts row `t` along dim 2 of a [B, H, N, D] tensor as [B, H, D].
static Value rowAt(const Emitter &e, Value x, Value t) {
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

static SmallVector<Value> lowerLinearAttention(const Emitter &e,
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

} // namespace mlir::lf::lowering

void mlir::lf::populateLFToLinalgLinearAttentionPatterns(RewritePatternSet &patterns) {
  addLowering<LinearAttentionOp>(patterns, lowerLinearAttention);
  addLowering<LinearAttentionStepOp>(patterns, lowerLinearAttentionStep);
  addLowering<NormAttentionOp>(patterns, [](const Emitter &e, NormAttentionOp op) {
    return buildNormAttentionExpansion(e.b, op);
  });
}
