//===- FuseGlu.cpp - one GEMM for both projections of a GLU ---------------===//
//
// Part of lightfuse.
//
//===----------------------------------------------------------------------===//

#include "lightfuse/Transforms/Passes.h"
#include "PassDetail.h"
#include "lightfuse/Support/Remarks.h"

#include "dialects/lf/LFOps.h"

#include "mlir/IR/PatternMatch.h"

namespace mlir::lf {
#define GEN_PASS_DEF_FUSEGLUPASS
#include "lightfuse/Transforms/Passes.h.inc"
} // namespace mlir::lf

using namespace mlir;
using namespace mlir::lf;

namespace {

/// [a; b] along dim 0, as tensor.empty + two insert_slices (bufferizes in
/// place, unlike tensor.concat).
Value stack(OpBuilder &b, Location loc, Value top, Value bottom) {
  auto tTy = cast<RankedTensorType>(top.getType());
  SmallVector<int64_t> shape(tTy.getShape());
  int64_t rows = tTy.getDimSize(0);
  shape[0] = 2 * rows;
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, top);
  SmallVector<OpFoldResult> full(sizes);
  full[0] = b.getIndexAttr(2 * rows);
  Value acc = tensor::EmptyOp::create(b, loc, full, tTy.getElementType());
  SmallVector<OpFoldResult> strides(shape.size(), b.getIndexAttr(1));
  SmallVector<OpFoldResult> offs(shape.size(), b.getIndexAttr(0));
  acc = tensor::InsertSliceOp::create(b, loc, top, acc, offs, sizes, strides);
  offs[0] = b.getIndexAttr(rows);
  return tensor::InsertSliceOp::create(b, loc, bottom, acc, offs, sizes,
                                       strides);
}

struct FuseGluPass : lf::impl::FuseGluPassBase<FuseGluPass> {
  using Base::Base;

  void refuse(GluOp op, const Twine &why) {
    DeclineReporter("lf-fuse-glu", "not fused", explain)(op, why);
  }

  void runOnOperation() override {
    SmallVector<GluOp> glus;
    getOperation().walk([&](GluOp op) { glus.push_back(op); });
    for (GluOp glu : glus) {
      auto a = glu.getGate().getDefiningOp<LinearOp>();
      auto u = glu.getUp().getDefiningOp<LinearOp>();
      if (!a || !u) {
        refuse(glu, "an operand is not produced by lf.linear");
        continue;
      }
      if (a == u) {
        refuse(glu, "both operands are the same linear");
        continue;
      }
      if (a.getInput() != u.getInput()) {
        refuse(glu, "the two linears read different inputs");
        continue;
      }
      if (!a.getResult().hasOneUse() || !u.getResult().hasOneUse()) {
        refuse(glu, "a projection has users besides the gate");
        continue;
      }
      auto w1Ty = cast<RankedTensorType>(a.getWeight().getType());
      auto w2Ty = cast<RankedTensorType>(u.getWeight().getType());
      if (!w1Ty.hasStaticShape() || w1Ty != w2Ty) {
        refuse(glu, "the weights are not of one static shape");
        continue;
      }
      int64_t f = w1Ty.getDimSize(0);
      // Insert after the later of the two linears (both dominate the glu).
      OpBuilder b(glu);
      Location loc = glu.getLoc();
      Value w = stack(b, loc, a.getWeight(), u.getWeight());
      Value bias;
      if (a.getBias() || u.getBias()) {
        auto bTy = RankedTensorType::get({f}, w1Ty.getElementType());
        auto zeros = [&]() -> Value {
          return arith::ConstantOp::create(
              b, loc, bTy,
              DenseElementsAttr::get(
                  bTy, b.getFloatAttr(bTy.getElementType(), 0.0).getValue()));
        };
        bias = stack(b, loc, a.getBias() ? a.getBias() : zeros(),
                     u.getBias() ? u.getBias() : zeros());
      }
      auto gTy = cast<RankedTensorType>(glu.getType());
      SmallVector<int64_t> hShape(gTy.getShape());
      hShape.back() = 2 * f;
      auto hTy = RankedTensorType::get(hShape, gTy.getElementType());
      Value h = LinearOp::create(b, loc, hTy, a.getInput(), w, bias);
      auto half = [&](int64_t offset) -> Value {
        SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, h);
        sizes.back() = b.getIndexAttr(f);
        SmallVector<OpFoldResult> offs(sizes.size(), b.getIndexAttr(0));
        offs.back() = b.getIndexAttr(offset);
        SmallVector<OpFoldResult> strides(sizes.size(), b.getIndexAttr(1));
        return tensor::ExtractSliceOp::create(b, loc, gTy, h, offs, sizes,
                                              strides);
      };
      Value gate = half(0), up = half(f);
      glu.getGateMutable().assign(gate);
      glu.getUpMutable().assign(up);
      a.erase();
      u.erase();
      ++numFused;
    }
  }
};
} // namespace
