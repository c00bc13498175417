//===- ScalarMath.cpp - f32 scalar math shared by the lowerings -----------===//
//
// Part of lightfuse.
//
//===----------------------------------------------------------------------===//

#include "lightfuse/Conversion/Common/ScalarMath.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <cmath>

using namespace mlir;

Value mlir::lf::constF32(OpBuilder &b, Location l, double v) {
  return arith::ConstantOp::create(b, l, b.getF32FloatAttr(v));
}

Value mlir::lf::sigmoidF32(OpBuilder &b, Location l, Value x) {
  // 1 / (1 + exp(-x)): exp(-x) overflows to +inf for very negative x, which
  // gives exactly 0, never NaN.
  Value one = constF32(b, l, 1.0);
  Value ex = math::ExpOp::create(b, l, arith::NegFOp::create(b, l, x));
  return arith::DivFOp::create(b, l, one, arith::AddFOp::create(b, l, one, ex));
}

Value mlir::lf::softplusF32(OpBuilder &b, Location l, Value x) {
  // max(x, 0) + log1p(exp(-|x|))
  Value zero = constF32(b, l, 0.0);
  Value ax = math::AbsFOp::create(b, l, x);
  Value t = math::Log1pOp::create(
      b, l, math::ExpOp::create(b, l, arith::NegFOp::create(b, l, ax)));
  return arith::AddFOp::create(b, l, arith::MaximumFOp::create(b, l, x, zero),
                               t);
}

Value mlir::lf::emitActivationF32(OpBuilder &b, Location l, ActivationKind kind, Value x) {
  auto mul = [&](Value p, Value q) { return arith::MulFOp::create(b, l, p, q); };
  auto add = [&](Value p, Value q) { return arith::AddFOp::create(b, l, p, q); };
  auto c = [&](double v) { return constF32(b, l, v); };
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

