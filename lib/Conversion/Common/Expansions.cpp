//===- Expansions.cpp - lf ops expanded into other lf ops -----------------===//
//
// Part of lightfuse.
//
//===----------------------------------------------------------------------===//

#include "lightfuse/Conversion/Common/Expansions.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::lf;

Value mlir::lf::buildNormAttentionExpansion(OpBuilder &b, NormAttentionOp op) {
  Location l = op.getLoc();
  auto dim = [&](Value t, int64_t d) {
    return tensor::getMixedSize(b, l, t, d);
  };
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
  SmallVector<OpFoldResult> tm{dim(o, 0), dim(o, 2), dim(o, 1),
                               dim(o, 3)};
  Value init = tensor::EmptyOp::create(b, l, tm, qTy.getElementType());
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
