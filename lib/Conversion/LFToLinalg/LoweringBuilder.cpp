//===- LoweringBuilder.cpp - shared builders of the lf lowering -----------===//
//
// Part of lightfuse.
//
//===----------------------------------------------------------------------===//

#include "LoweringBuilder.h"

using namespace mlir;
using namespace mlir::lf;

namespace mlir::lf::lowering {

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


AffineMap scalarMap(Value t, unsigned rank, MLIRContext *ctx) {
  if (rankOf(t) == 0)
    return AffineMap::get(rank, 0, {}, ctx);
  return AffineMap::get(rank, 0, {getAffineConstantExpr(0, ctx)}, ctx);
}

Value mapToF32(const Emitter &e, Value x, ActivationKind kind) {
  unsigned r = rankOf(x);
  return elementwise(e, x, e.f32(), {{x, identityMap(r, e.ctx())}},
                     [&](OpBuilder &b, Location l, ValueRange a) {
                       return emitActivationF32(b, l, kind,
                                                Emitter::toF32(b, l, a[0]));
                     });
}

} // namespace mlir::lf::lowering
