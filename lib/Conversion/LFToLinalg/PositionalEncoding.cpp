//===- PositionalEncoding.cpp - positional encodings to linalg ------------===//
//
// Part of lightfuse. LRPE (lf.lrpe): [x cos(theta p),
// x sin(theta p)] with the angle reduced in f64.
//
//===----------------------------------------------------------------------===//

#include "LoweringBuilder.h"

using namespace mlir;
using namespace mlir::lf;
using namespace mlir::lf::lowering;
using utils::IteratorType;

namespace mlir::lf::lowering {
/// LRPE: [x cos(theta p), x sin(theta p)], the angle in f64 mod 2 pi.
static Value lowerLRPE(const Emitter &e, LRPEOp op) {
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

} // namespace mlir::lf::lowering

void mlir::lf::populateLFToLinalgPositionalEncodingPatterns(RewritePatternSet &patterns) {
  addLowering<LRPEOp>(patterns, lowerLRPE);
}
