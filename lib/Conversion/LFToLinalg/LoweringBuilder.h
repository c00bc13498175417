//===- LoweringBuilder.h - shared builders of the lf lowering ---*- C++ -*-===//
//
// Part of lightfuse. What every op family of convert-lf-to-linalg shares: a
// small kit for building linalg.generic ops on tensors (Emitter, affine maps,
// reductions and elementwise generics), the pattern that wraps a lowering
// function, and the row statistics and contractions more than one family
// reuses. Private to lib/Conversion/LFToLinalg.
//
//===----------------------------------------------------------------------===//

#ifndef LIGHTFUSE_LIB_CONVERSION_LFTOLINALG_LOWERINGBUILDER_H
#define LIGHTFUSE_LIB_CONVERSION_LFTOLINALG_LOWERINGBUILDER_H

#include "lightfuse/Conversion/Common/ScalarMath.h"
#include "lightfuse/Conversion/LFToLinalg/LFToLinalg.h"

#include "dialects/lf/LFOps.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/PatternMatch.h"

#include <optional>

namespace mlir::lf::lowering {

using utils::IteratorType;

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

AffineMap identityMap(unsigned rank, MLIRContext *ctx);
/// A map from `rank` loops to the listed dims.
AffineMap selectMap(unsigned rank, ArrayRef<unsigned> dims, MLIRContext *ctx);
/// A map from `rank` loops to every dim whose `keep` flag is set.
AffineMap keepMap(ArrayRef<bool> keep, MLIRContext *ctx);
/// A map from `rank` loops to the single element of a `[]` or `[1]` tensor.
AffineMap scalarMap(Value t, unsigned rank, MLIRContext *ctx);
/// parallel for kept dims, reduction for the others.
SmallVector<IteratorType> iterators(ArrayRef<bool> keep);
/// The sizes of `t`'s kept dims.
SmallVector<OpFoldResult> keptSizes(const Emitter &e, Value t,
                                    ArrayRef<bool> keep);

/// Sums f(x, extras...) over the dims of `x` whose `keep` flag is false, in
/// f32. `extras` are read through their own maps over x's loop space.
Value reduce(const Emitter &e, Value x, ArrayRef<bool> keep,
             ArrayRef<std::pair<Value, AffineMap>> extras, BodyFn term);

/// An elementwise generic over the loop space of `like`, producing a tensor
/// of `like`'s shape and `elemTy`.
Value elementwise(const Emitter &e, Value like, Type elemTy,
                  ArrayRef<std::pair<Value, AffineMap>> inputs, BodyFn body);

Type elemType(Value v);
unsigned rankOf(Value v);

/// `kind(x)` elementwise as an f32 tensor (attention feature maps).
Value mapToF32(const Emitter &e, Value x, ActivationKind kind);

/// lhs (op) rhs elementwise, computed in f32, stored in lhs's type.
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

//===----------------------------------------------------------------------===//
// Row statistics (Norms.cpp), shared with norm_linear and the weight ops.
//===----------------------------------------------------------------------===//

/// keep-flags that reduce only the last dim.
SmallVector<bool> rowKeep(unsigned rank);
std::optional<double> optScale(std::optional<APFloat> s);
/// rsqrt(stat * invD + eps) per row, as an f32 tensor.
Value rowRsqrt(const Emitter &e, Value stat, Value invD, double eps);
/// LayerNorm's shifted statistics {K, sum(x - K), rstd} as f32 tensors over
/// the rows (K = the row's first element); the mean is K + sum * invD.
SmallVector<Value> layerNormStats(const Emitter &e, Value x, Value invD,
                                  double eps);
/// (x - K) - sum * invD: the centred value, inside a body.
Value centred(OpBuilder &b, Location l, Value xf, Value shift, Value sum,
              Value invD);
Value layerNorm(const Emitter &e, Value x, Value gain, Value bias, double eps,
                std::optional<double> scale);
Value sumOfSquares(const Emitter &e, Value x, ArrayRef<bool> keep);
Value rmsNorm(const Emitter &e, Value x, Value gain, double eps,
              std::optional<double> scale);
/// A possibly negative axis attribute as a dim index.
int64_t normAxis(int64_t axis, unsigned rank);
/// Shifted statistics of `x` over the dims whose keep flag is false, as f32
/// tensors over the kept dims: the shift K (the first element of each
/// reduced slice), the mean of x - K, and the biased variance. x - K is
/// exact for values close to each other, so the statistics keep their digits
/// when |mean| is large against the spread; the centred value is
/// (x - shift) - offset.
struct ShiftedMeanVar {
  Value shift, offset, var;
};
ShiftedMeanVar meanVar(const Emitter &e, Value x, ArrayRef<bool> keep);

//===----------------------------------------------------------------------===//
// Contractions shared by the attention families.
//===----------------------------------------------------------------------===//

/// W [N, K] -> W^T [K, N] (LinearAndGates.cpp): N contiguous outputs per k
/// for the register-tiled micro-kernel.
Value transposedWeight(const Emitter &e, Value w);

/// A batched (b, h) contraction (LinearAttention.cpp): out[b, h, i, j] =
/// sum_k lhs[lhsDims] * rhs[rhsDims] with the reduction loop at
/// `reductionPos` of (b, h, i, j, k); accumulates into `init` when given.
Value contractBH(const Emitter &e, Value lhs, ArrayRef<unsigned> lhsDims,
                 Value rhs, ArrayRef<unsigned> rhsDims,
                 ArrayRef<OpFoldResult> outSizes, unsigned reductionPos = 4,
                 Value init = Value());

/// x[b, h, s, d] -> [b, h, d, s] (QuadraticAttention.cpp).
Value keysAsColumns(const Emitter &e, Value k);

/// True (i1) when key s is visible from query t inside a 4-loop body over
/// (b, h, t, s) (QuadraticAttention.cpp).
Value visible(OpBuilder &b, Location l, bool causal, unsigned tDim,
              unsigned sDim);

//===----------------------------------------------------------------------===//
// Patterns
//===----------------------------------------------------------------------===//

/// Wraps a lowering function as a rewrite pattern. The result may carry
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

} // namespace mlir::lf::lowering

#endif // LIGHTFUSE_LIB_CONVERSION_LFTOLINALG_LOWERINGBUILDER_H
