//===- LightningBlocks.cpp - Lightning Attention blocks -------------------===//
//
// Part of lightfuse. Causal linear attention computed block-wise
// (Lightning Attention-2): within a block the masked, decayed product of
// queries and keys; across blocks a Dk x Dv state carried and decayed. One
// scf.forall over (batch, head[, value slice]); the token-major form feeds
// lf.norm_attention's norm and gate.
//
//===----------------------------------------------------------------------===//

#include "LoweringBuilder.h"

using namespace mlir;
using namespace mlir::lf;
using namespace mlir::lf::lowering;
using utils::IteratorType;

namespace mlir::lf::lowering {

/// Lightning Attention-2 (spec.md 5.5), in the convention whose final state is
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
namespace {

//===----------------------------------------------------------------------===//
// Scalar helpers inside linalg bodies.
//===----------------------------------------------------------------------===//

SmallVector<IteratorType> allParallel(unsigned rank) {
  return SmallVector<IteratorType>(rank, IteratorType::parallel);
}

/// linalg.index `d` as an f32 scalar.
Value indexF32(OpBuilder &nb, Location l, unsigned d) {
  Value i = arith::IndexCastOp::create(nb, l, nb.getI64Type(),
                                       linalg::IndexOp::create(nb, l, d));
  return arith::SIToFPOp::create(nb, l, nb.getF32Type(), i);
}

/// exp(-rate * steps).
Value decayPow(OpBuilder &nb, Location l, Value rate, Value steps) {
  return math::ExpOp::create(
      nb, l, arith::NegFOp::create(nb, l, arith::MulFOp::create(nb, l, rate, steps)));
}

/// a[0] * a[1] as a body.
Value multiplyBody(OpBuilder &bb, Location bl, ValueRange a) {
  return arith::MulFOp::create(bb, bl, a[0], a[1]);
}

/// Rows [off, off + len) of a [1, 1, N(, D)] slice.
Value blockRows(const Emitter &e, Value x, OpFoldResult off, OpFoldResult len) {
  OpBuilder &nb = e.b;
  unsigned r = rankOf(x);
  SmallVector<OpFoldResult> offs(r, nb.getIndexAttr(0)),
      sz{nb.getIndexAttr(1), nb.getIndexAttr(1), len};
  offs[2] = off;
  if (r == 4)
    sz.push_back(e.dim(x, 3));
  return tensor::ExtractSliceOp::create(
      nb, e.loc, x, offs, sz, SmallVector<OpFoldResult>(r, nb.getIndexAttr(1)));
}

//===----------------------------------------------------------------------===//
// The Lightning lowering, step by step.
//===----------------------------------------------------------------------===//

/// What is fixed for one call: the feature-mapped inputs, the decay tables
/// and the sizes of the outputs.
struct LightningPlan {
  Value q, k, v, decay;
  int64_t B;
  bool perChannel, tokenMajor, wantState;
  int64_t splits;
  Type f32, outElem;
  // pw[0, h, j (, c)] = lambda^j, rpw = lambda^(B - 1 - j), mask (per head).
  Value pw, rpw, mask;
  SmallVector<OpFoldResult> oSizes, sSizes;
  int64_t chunkTy, nTy;
  OpFoldResult dvC;
};

/// What one (batch, head[, value slice]) iteration reads and writes.
struct HeadSlices {
  Value qh, kh, vh, pwH, rpwH, maskH, decayH;
  // The output rows [1, 1, N, Dv] (token-major: a view of out[b, :, h, :]),
  // and the sums of squares [1, 1, N] in token-major mode.
  Value oh, ssh;
  AffineMap rowTableMap;
};

/// The rows of one block: [i0, i0 + m) of q, k and v.
struct BlockRows {
  Value i0, m, qb, kb, vb;
  SmallVector<OpFoldResult> obSizes;
};

/// Step 1: the decay tables, built once per call, before the forall. Rank 3
/// [1, Hd, len], or 4 [1, H, len, Dk] per channel; Hd is 1 without decay.
void buildDecayTables(const Emitter &e, LightningPlan &p) {
  MLIRContext *ctx = e.ctx();
  OpBuilder &b = e.b;
  OpFoldResult one = b.getIndexAttr(1);
  Value decay = p.decay;
  int64_t B = p.B;
  OpFoldResult hd = decay ? e.dim(decay, 0) : one;
  auto powTable = [&](int64_t len, bool reversed) -> Value {
    SmallVector<OpFoldResult> sz{one, hd, b.getIndexAttr(len)};
    if (p.perChannel)
      sz.push_back(e.dim(decay, 1));
    unsigned r = sz.size();
    SmallVector<Value> ins;
    SmallVector<AffineMap> maps;
    if (decay) {
      ins.push_back(decay);
      maps.push_back(p.perChannel ? selectMap(4, {1, 3}, ctx)
                                  : selectMap(3, {1}, ctx));
    }
    maps.push_back(identityMap(r, ctx));
    return e.generic(ins, e.empty(sz, p.f32), maps, allParallel(r),
                     [&](OpBuilder &nb, Location bl, ValueRange a) -> Value {
                       if (!decay)
                         return Emitter::c(nb, bl, 1.0);
                       Value j = indexF32(nb, bl, 2);
                       Value steps =
                           reversed ? arith::SubFOp::create(
                                          nb, bl, Emitter::c(nb, bl, B - 1), j)
                                          .getResult()
                                    : j;
                       return decayPow(nb, bl, a[0], steps);
                     });
  };
  p.pw = powTable(B + 1, /*reversed=*/false);
  p.rpw = powTable(B, /*reversed=*/true);
  if (p.perChannel)
    return;
  SmallVector<Value> ins;
  SmallVector<AffineMap> maps;
  if (decay) {
    ins.push_back(decay);
    maps.push_back(selectMap(4, {1}, ctx));
  }
  maps.push_back(identityMap(4, ctx));
  p.mask = e.generic(
      ins, e.empty({one, hd, b.getIndexAttr(B), b.getIndexAttr(B)}, p.f32),
      maps, allParallel(4), [&](OpBuilder &nb, Location bl, ValueRange a) {
        Value w = decay ? decayPow(nb, bl, a[0],
                                   arith::SubFOp::create(nb, bl,
                                                         indexF32(nb, bl, 2),
                                                         indexF32(nb, bl, 3)))
                        : Emitter::c(nb, bl, 1.0);
        return arith::SelectOp::create(nb, bl, visible(nb, bl, true, 2, 3), w,
                                       Emitter::c(nb, bl, 0.0));
      });
}

/// Step 3a, per channel: scores[t, s] = sum_c q[t, c] k[s, c]
/// exp(-r[c] (t - s)) for s <= t (loops (b, h, t, s, c)), then times V.
Value intraBlockPerChannel(const Emitter &ie, const HeadSlices &h,
                           const BlockRows &r, Value acc) {
  MLIRContext *ctx = ie.ctx();
  SmallVector<OpFoldResult> scSizes{ie.b.getIndexAttr(1), ie.b.getIndexAttr(1),
                                    r.m, r.m};
  Value masked = ie.generic(
      {r.qb, r.kb, h.decayH}, ie.filled(scSizes, 0.0),
      {selectMap(5, {0, 1, 2, 4}, ctx), selectMap(5, {0, 1, 3, 4}, ctx),
       selectMap(5, {1, 4}, ctx), selectMap(5, {0, 1, 2, 3}, ctx)},
      {IteratorType::parallel, IteratorType::parallel, IteratorType::parallel,
       IteratorType::parallel, IteratorType::reduction},
      [&](OpBuilder &bb, Location bl, ValueRange a) {
        Value t = indexF32(bb, bl, 2), sv = indexF32(bb, bl, 3);
        Value p = arith::MulFOp::create(
            bb, bl, arith::MulFOp::create(bb, bl, a[0], a[1]),
            decayPow(bb, bl, a[2], arith::SubFOp::create(bb, bl, t, sv)));
        Value add = Emitter::accumulate(bb, bl, a[3], p);
        return arith::SelectOp::create(bb, bl, visible(bb, bl, true, 2, 3),
                                       add, a[3]);
      });
  return contractBH(ie, masked, {0, 1, 2, 4}, r.vb, {0, 1, 4, 3}, r.obSizes, 3,
                    acc);
}

/// Step 3a, per head or no decay: the decayed causal mask times the scores,
/// then times V. Split at h = min(m, B/2): keys [0, h) against every row,
/// keys [h, m) against rows [h, m) only; the quarter of the scores with
/// t < h <= s is masked to zero and never computed. The mask is Toeplitz, so
/// both parts read its top-left corner.
Value intraBlockCausalSplit(const Emitter &ie, const LightningPlan &p,
                            const HeadSlices &h, const BlockRows &r,
                            Value acc) {
  OpBuilder &nb = ie.b;
  Location l = ie.loc;
  OpFoldResult one = nb.getIndexAttr(1), zero = nb.getIndexAttr(0);
  SmallVector<OpFoldResult> strides4(4, one);
  AffineMap id4 = identityMap(4, ie.ctx());
  auto part = [&](Value qRows, Value kRows, Value vRows, Value init,
                  OpFoldResult t, OpFoldResult sN) -> Value {
    SmallVector<OpFoldResult> sz{one, one, t, sN};
    Value scores = contractBH(ie, qRows, {0, 1, 2, 4}, keysAsColumns(ie, kRows),
                              {0, 1, 4, 3}, sz, 3);
    Value maskB = tensor::ExtractSliceOp::create(
        nb, l, h.maskH, SmallVector<OpFoldResult>(4, zero), sz, strides4);
    // In place on the scores.
    Value masked = ie.generic({maskB}, scores, {id4, id4}, allParallel(4),
                              [](OpBuilder &bb, Location bl, ValueRange a) {
                                return arith::MulFOp::create(bb, bl, a[1], a[0]);
                              });
    SmallVector<OpFoldResult> osz{one, one, t, ie.dim(vRows, 3)};
    return contractBH(ie, masked, {0, 1, 2, 4}, vRows, {0, 1, 4, 3}, osz, 3,
                      init);
  };
  // Blocks of one row: nothing to split.
  if (p.B < 2)
    return part(r.qb, r.kb, r.vb, acc, r.m, r.m);
  Value half = arith::MinSIOp::create(
      nb, l, r.m, arith::ConstantIndexOp::create(nb, l, p.B / 2));
  Value m2 = arith::SubIOp::create(nb, l, r.m, half);
  acc = part(r.qb, blockRows(ie, r.kb, zero, half),
             blockRows(ie, r.vb, zero, half), acc, r.m, half);
  SmallVector<OpFoldResult> lowOffs{zero, zero, half, zero},
      lowSizes{one, one, m2, ie.dim(r.vb, 3)};
  Value low =
      tensor::ExtractSliceOp::create(nb, l, acc, lowOffs, lowSizes, strides4);
  low = part(blockRows(ie, r.qb, half, m2), blockRows(ie, r.kb, half, m2),
             blockRows(ie, r.vb, half, m2), low, m2, m2);
  return tensor::InsertSliceOp::create(nb, l, low, acc, lowOffs, lowSizes,
                                       strides4);
}

/// Step 3b: acc += (q[t] lambda^(t+1)) S, the decay on q's rows (per head)
/// or on q's channels (per channel).
Value interBlock(const Emitter &ie, const LightningPlan &p, const HeadSlices &h,
                 const BlockRows &r, Value state, Value acc) {
  AffineMap id4 = identityMap(4, ie.ctx());
  Value qDec = blockRows(ie, h.pwH, ie.b.getIndexAttr(1), r.m);
  Value qIn = elementwise(ie, r.qb, p.f32,
                          {{r.qb, id4}, {qDec, h.rowTableMap}}, multiplyBody);
  return contractBH(ie, qIn, {0, 1, 2, 4}, state, {0, 1, 4, 3}, r.obSizes, 3,
                    acc);
}

/// Step 3c: S' = lambda^m S + sum_c lambda^(m-1-c) k_c^T v_c, with
/// lambda^(m-1-c) = rpw[B - m + c] and lambda^m = pw[m] ([1, 1] per head,
/// [1, 1, Dk] per channel on the state's row c).
Value updateState(const Emitter &ie, const LightningPlan &p,
                  const HeadSlices &h, const BlockRows &r, Value state) {
  OpBuilder &nb = ie.b;
  Location l = ie.loc;
  MLIRContext *ctx = ie.ctx();
  OpFoldResult one = nb.getIndexAttr(1), zero = nb.getIndexAttr(0);
  AffineMap id4 = identityMap(4, ctx);
  Value bMinusM = arith::SubIOp::create(
      nb, l, arith::ConstantIndexOp::create(nb, l, p.B), r.m);
  Value kDec = blockRows(ie, h.rpwH, bMinusM, r.m);
  Value kd = elementwise(ie, r.kb, p.f32, {{r.kb, id4}, {kDec, h.rowTableMap}},
                         multiplyBody);
  Value powM;
  AffineMap powMMap;
  if (p.perChannel) {
    auto ty = RankedTensorType::get(
        {1, 1, cast<RankedTensorType>(h.pwH.getType()).getDimSize(3)}, p.f32);
    powM = tensor::ExtractSliceOp::create(
        nb, l, ty, h.pwH, SmallVector<OpFoldResult>{zero, zero, r.m, zero},
        SmallVector<OpFoldResult>{one, one, one, ie.dim(h.pwH, 3)},
        SmallVector<OpFoldResult>(4, one));
    powMMap = selectMap(4, {0, 1, 2}, ctx);
  } else {
    auto ty = RankedTensorType::get({1, 1}, p.f32);
    powM = tensor::ExtractSliceOp::create(
        nb, l, ty, h.pwH, SmallVector<OpFoldResult>{zero, zero, r.m},
        SmallVector<OpFoldResult>{one, one, one},
        SmallVector<OpFoldResult>(3, one));
    powMMap = selectMap(4, {0, 1}, ctx);
  }
  Value scaled = ie.generic({powM}, state, {powMMap, id4}, allParallel(4),
                            [](OpBuilder &bb, Location bl, ValueRange a) {
                              return arith::MulFOp::create(bb, bl, a[1], a[0]);
                            });
  return contractBH(ie, kd, {0, 1, 4, 2}, r.vb, {0, 1, 4, 3}, ie.sizes(state),
                    2, scaled);
}

/// Step 3d (token-major): the sums of squares of the block's output rows
/// into rows [i0, i0 + m) of `ss`; the norm over all heads combines them
/// after the forall.
Value blockSumSquares(const Emitter &ie, const BlockRows &r, Value ob,
                      Value ss) {
  OpBuilder &nb = ie.b;
  Location l = ie.loc;
  OpFoldResult one = nb.getIndexAttr(1), zero = nb.getIndexAttr(0);
  SmallVector<OpFoldResult> offs{zero, zero, r.i0}, sz{one, one, r.m};
  Value dst = tensor::ExtractSliceOp::create(
      nb, l, ss, offs, sz, SmallVector<OpFoldResult>(3, one));
  Value zeroed = linalg::FillOp::create(nb, l, ie.cst(0.0), dst).getResult(0);
  Value sq = ie.generic(
      {ob}, zeroed,
      {identityMap(4, ie.ctx()), selectMap(4, {0, 1, 2}, ie.ctx())},
      {IteratorType::parallel, IteratorType::parallel, IteratorType::parallel,
       IteratorType::reduction},
      [](OpBuilder &bb, Location bl, ValueRange a) {
        return Emitter::accumulate(bb, bl, a[1],
                                   arith::MulFOp::create(bb, bl, a[0], a[0]));
      });
  return tensor::InsertSliceOp::create(nb, l, sq, ss, offs, sz,
                                       SmallVector<OpFoldResult>(3, one));
}

/// Step 3: one block of m = min(B, n - i0) rows at i0, with the loop's
/// carried {state, output rows[, sums of squares]}; returns their updates.
SmallVector<Value> emitBlock(const Emitter &ie, const LightningPlan &p,
                             const HeadSlices &h, Value n, Value i0,
                             ValueRange iter) {
  OpBuilder &nb = ie.b;
  Location l = ie.loc;
  MLIRContext *c = nb.getContext();
  OpFoldResult one = nb.getIndexAttr(1), zero = nb.getIndexAttr(0);
  SmallVector<OpFoldResult> strides4(4, one);
  // m = min(B, n - i0), as affine.min so that peeling the last block
  // (lf-tile-linear-attention) makes it the constant B.
  AffineMap minMap = AffineMap::get(
      1, 1,
      {getAffineConstantExpr(p.B, c),
       getAffineSymbolExpr(0, c) - getAffineDimExpr(0, c)},
      c);
  BlockRows r;
  r.i0 = i0;
  r.m = affine::AffineMinOp::create(nb, l, minMap, ValueRange{i0, n});
  r.qb = blockRows(ie, h.qh, i0, r.m);
  r.kb = blockRows(ie, h.kh, i0, r.m);
  r.vb = blockRows(ie, h.vh, i0, r.m);
  r.obSizes = {one, one, r.m, ie.dim(r.vb, 3)};
  // The output block accumulates in the output itself when it is f32, else
  // in an f32 temporary converted at the end.
  Value acc;
  if (p.outElem.isF32()) {
    Value dst = tensor::ExtractSliceOp::create(
        nb, l, iter[1], SmallVector<OpFoldResult>{zero, zero, i0, zero},
        r.obSizes, strides4);
    acc = linalg::FillOp::create(nb, l, ie.cst(0.0), dst).getResult(0);
  } else {
    acc = ie.filled(r.obSizes, 0.0);
  }
  acc = p.perChannel ? intraBlockPerChannel(ie, h, r, acc)
                     : intraBlockCausalSplit(ie, p, h, r, acc);
  acc = interBlock(ie, p, h, r, iter[0], acc);
  Value ob = acc;
  if (!p.outElem.isF32())
    ob = elementwise(ie, acc, p.outElem, {{acc, identityMap(4, c)}},
                     [&](OpBuilder &bb, Location bl, ValueRange a) {
                       return Emitter::fromF32(bb, bl, a[0], p.outElem);
                     });
  Value out = tensor::InsertSliceOp::create(
      nb, l, ob, iter[1], SmallVector<OpFoldResult>{zero, zero, i0, zero},
      r.obSizes, strides4);
  SmallVector<Value> yields{updateState(ie, p, h, r, iter[0]), out};
  if (p.tokenMajor)
    yields.push_back(blockSumSquares(ie, r, ob, iter[2]));
  return yields;
}

} // namespace

static BlockedAttention lowerBlockedCore(const Emitter &e, Value query,
                                         Value key, Value v, Value decay,
                                         ActivationKind fm, int64_t blockSize,
                                         bool wantState, bool tokenMajor,
                                         int64_t splits = 1) {
  MLIRContext *ctx = e.ctx();
  OpBuilder &b = e.b;
  Location loc = e.loc;
  LightningPlan p;
  p.q = mapToF32(e, query, fm);
  p.k = mapToF32(e, key, fm);
  p.v = v;
  p.decay = decay;
  p.B = blockSize;
  p.perChannel =
      decay && cast<RankedTensorType>(decay.getType()).getRank() == 2;
  p.tokenMajor = tokenMajor;
  p.wantState = wantState;
  p.splits = splits;
  p.f32 = e.f32();
  p.outElem = tokenMajor ? p.f32 : elemType(query);
  Value q = p.q, k = p.k;
  Type f32 = p.f32;
  OpFoldResult one = b.getIndexAttr(1), zero = b.getIndexAttr(0);
  AffineMap id4 = identityMap(4, ctx);

  // Step 1: tables.
  buildDecayTables(e, p);

  // Step 2: the forall over (batch, head[, value slice]) and its outputs.
  p.oSizes = {e.dim(q, 0), e.dim(q, 1), e.dim(q, 2), e.dim(v, 3)};
  p.sSizes = {e.dim(q, 0), e.dim(q, 1), e.dim(k, 3), e.dim(v, 3)};
  const SmallVector<OpFoldResult> &oSizes = p.oSizes;
  SmallVector<OpFoldResult> tmSizes{oSizes[0], oSizes[2], oSizes[1],
                                    oSizes[3]};
  SmallVector<Value> shared{
      e.empty(tokenMajor ? tmSizes : oSizes, p.outElem)};
  // Value-column splits: `splits` slices of Dv / splits value columns per
  // (batch, head), each its own iteration (the scores are recomputed per
  // slice), so B * H < threads still fills the threads.
  auto dvTy = cast<RankedTensorType>(v.getType()).getDimSize(3);
  p.chunkTy = splits > 1 ? dvTy / splits : dvTy;
  p.dvC = splits > 1 ? OpFoldResult(b.getIndexAttr(p.chunkTy)) : oSizes[3];
  p.nTy = cast<RankedTensorType>(q.getType()).getDimSize(2);
  OpFoldResult ssLen = oSizes[1];
  if (tokenMajor && splits > 1)
    ssLen = arith::MulIOp::create(
                b, loc, getValueOrCreateConstantIndexOp(b, loc, oSizes[1]),
                arith::ConstantIndexOp::create(b, loc, splits))
                .getResult();
  if (tokenMajor)
    shared.push_back(e.empty({oSizes[0], oSizes[2], ssLen}, f32));
  if (wantState)
    shared.push_back(e.empty(p.sSizes, f32));
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
                   b, loc, ci, arith::ConstantIndexOp::create(b, loc, p.chunkTy))
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
    HeadSlices h;
    h.qh = headOf(q);
    h.kh = headOf(k);
    h.vh = tensor::ExtractSliceOp::create(
        b, loc, v, SmallVector<OpFoldResult>{bi, hi, zero, colOff},
        SmallVector<OpFoldResult>{one, one, e.dim(v, 2), p.dvC}, strides4);
    h.pwH = tableOf(p.pw);
    h.rpwH = tableOf(p.rpw);
    h.maskH = p.mask ? tableOf(p.mask) : Value();
    if (p.perChannel)
      h.decayH = tensor::ExtractSliceOp::create(
          b, loc, decay, SmallVector<OpFoldResult>{hi, zero},
          SmallVector<OpFoldResult>{one, e.dim(decay, 1)},
          SmallVector<OpFoldResult>(2, one));
    // Maps of a [b, h, x, c] loop space onto a table slice of m rows: per
    // channel the slice is [1, 1, m, Dk], per head [1, 1, m].
    h.rowTableMap = p.perChannel ? id4 : selectMap(4, {0, 1, 2}, ctx);
    Value outArg = forall.getRegionIterArgs()[0];
    Value stateArg = forall.getRegionIterArgs().back();
    // This head's output rows as [1, 1, N, Dv]; token-major: the strided
    // [N, Dv] column of heads out[b, :, h, :], and its sums of squares.
    Value ssArg;
    SmallVector<OpFoldResult> tmOffs{bi, zero, hi, colOff},
        tmHeadSizes{one, oSizes[2], one, p.dvC};
    SmallVector<OpFoldResult> ssOffs{bi, zero, ssIdx},
        ssHeadSizes{one, oSizes[2], one};
    SmallVector<OpFoldResult> hmOffs{bi, hi, zero, colOff},
        hmSizes{one, one, oSizes[2], p.dvC};
    if (tokenMajor) {
      ssArg = forall.getRegionIterArgs()[1];
      Value cols = tensor::ExtractSliceOp::create(
          b, loc, RankedTensorType::get({p.nTy, p.chunkTy}, f32), outArg,
          tmOffs, tmHeadSizes, strides4);
      h.oh = tensor::ExpandShapeOp::create(
          b, loc, RankedTensorType::get({1, 1, p.nTy, p.chunkTy}, f32), cols,
          SmallVector<ReassociationIndices>{{0, 1, 2}, {3}},
          SmallVector<OpFoldResult>{one, one, oSizes[2], p.dvC});
      Value ssCol = tensor::ExtractSliceOp::create(
          b, loc, RankedTensorType::get({p.nTy}, f32), ssArg, ssOffs,
          ssHeadSizes, SmallVector<OpFoldResult>(3, one));
      h.ssh = tensor::ExpandShapeOp::create(
          b, loc, RankedTensorType::get({1, 1, p.nTy}, f32), ssCol,
          SmallVector<ReassociationIndices>{{0, 1, 2}},
          SmallVector<OpFoldResult>{one, one, oSizes[2]});
    } else {
      h.oh = tensor::ExtractSliceOp::create(b, loc, outArg, hmOffs, hmSizes,
                                            strides4);
    }

    // Step 3: the loop over blocks.
    SmallVector<OpFoldResult> shSizes{one, one, p.sSizes[2], p.dvC};
    Value state0 = e.filled(shSizes, 0.0);
    Value n = tensor::DimOp::create(b, loc, q, 2);
    Value lb = arith::ConstantIndexOp::create(b, loc, 0);
    Value step = arith::ConstantIndexOp::create(b, loc, p.B);
    SmallVector<Value> inits{state0, h.oh};
    if (tokenMajor)
      inits.push_back(h.ssh);
    auto loop = scf::ForOp::create(
        b, loc, lb, n, step, inits,
        [&](OpBuilder &nb, Location l, Value i0, ValueRange iter) {
          scf::YieldOp::create(nb, l,
                               emitBlock(Emitter{nb, l}, p, h, n, i0, iter));
        });
    // Peeled by lf-tile-linear-attention: full blocks get static shapes.
    loop->setAttr("lf.attention_blocks", b.getUnitAttr());

    // Step 4: the head's results into the shared outputs.
    Value cols, ssCol;
    if (tokenMajor) {
      cols = tensor::CollapseShapeOp::create(
          b, loc, RankedTensorType::get({p.nTy, p.chunkTy}, f32),
          loop.getResult(1), SmallVector<ReassociationIndices>{{0, 1, 2}, {3}});
      ssCol = tensor::CollapseShapeOp::create(
          b, loc, RankedTensorType::get({p.nTy}, f32), loop.getResult(2),
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
static int64_t valueSplits(Value q, Value v, unsigned threads) {
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

static SmallVector<Value> lowerLinearAttentionBlocked(const Emitter &e,
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
static Value lowerNormAttentionBlocked(const Emitter &e, NormAttentionOp op,
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

} // namespace mlir::lf::lowering

void mlir::lf::populateTileLinearAttentionPatterns(RewritePatternSet &patterns,
                                                   int64_t blockSize,
                                                   bool perChannel,
                                                   unsigned threads) {
  patterns.add<TileAttention<LinearAttentionOp>, TileAttention<NormAttentionOp>>(
      patterns.getContext(), blockSize, perChannel, threads);
}
