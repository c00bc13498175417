//===- CPUNormUkernel.cpp - f32 row norms as a runtime kernel call --------===//
//
// Part of lightfuse. lf.rms_norm / lf.layer_norm / lf.residual_norm whose
// normalized result feeds no elementwise op become one call of the runtime's
// row-norm kernel (lib/Runtime/RowNorm.c) on the input (and residual) as
// [rows, d] and fresh outputs (the residual sum only when it is read).
//
//===----------------------------------------------------------------------===//

#include "lightfuse/Conversion/LFToCPU/Passes.h"

#include "UkernelUtils.h"
#include "dialects/lf/LFDialect.h"
#include "dialects/lf/LFOps.h"
#include "lightfuse/Runtime/RowNorm.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::lf {
#define GEN_PASS_DEF_CPUNORMUKERNELPASS
#include "lightfuse/Conversion/LFToCPU/Passes.h.inc"
} // namespace mlir::lf

using namespace mlir;
using namespace mlir::lf;
using namespace mlir::lf::ukernel;

namespace {

constexpr llvm::StringLiteral kCallee = "lf_row_norm_f32";
constexpr llvm::StringLiteral kResidualCallee = "lf_residual_norm_f32";

bool isF32(Value v) {
  return !v || cast<RankedTensorType>(v.getType()).getElementType().isF32();
}

/// Users the row tiles would not fuse anyway: contractions, returns, calls
/// (a linear already turned into the GEMM kernel's call reads the norm
/// through a tensor.cast), casts, reshapes, size queries (that call sizes its
/// output from its input's dims).
/// An elementwise consumer (lf's or upstream's) is fused into the norm's
/// row tiles by lf-tile-rows, which a call would prevent.
bool feedsNoElementwise(Value result) {
  for (Operation *user : result.getUsers()) {
    if (isa<func::ReturnOp, func::CallOp, LinearOp, NormLinearOp,
            tensor::ExpandShapeOp, tensor::CollapseShapeOp, tensor::DimOp>(
            user))
      continue;
    if (auto cast = dyn_cast<tensor::CastOp>(user);
        cast && feedsNoElementwise(cast.getResult()))
      continue;
    return false;
  }
  return true;
}

/// The operands of one kernel call: the norm's parameters as the callee
/// takes them.
struct NormCall {
  Value input, residual, gain, bias;
  bool layer;
  float eps, scale;
};

/// Replaces `op` (whose results are `sum`, when a residual is added, and
/// `result`) by a call of the row-norm kernel.
LogicalResult rewriteAsCall(PatternRewriter &rewriter, Operation *op,
                            const NormCall &c, Value sum, Value result,
                            unsigned threads) {
  auto xTy = cast<RankedTensorType>(c.input.getType());
  if (!isF32(c.input) || !isF32(c.residual) || !isF32(c.gain) || !isF32(c.bias))
    return rewriter.notifyMatchFailure(op, "not f32");
  int64_t d = xTy.getRank() ? xTy.getShape().back() : ShapedType::kDynamic;
  if (ShapedType::isDynamic(d) || d == 0)
    return rewriter.notifyMatchFailure(op, "normalized size not static");
  if (!feedsNoElementwise(result))
    return rewriter.notifyMatchFailure(op, "an elementwise user fuses");
  MLIRContext *ctx = rewriter.getContext();
  // (x, [residual,] gain, bias, [sum,] y, eps, scale, kind, threads): inputs
  // as tensors the call reads, outputs as buffers it writes.
  Type i32 = rewriter.getI32Type(), f32 = rewriter.getF32Type();
  SmallVector<Type> argTypes{anyTensor(ctx, 2)};
  if (c.residual)
    argTypes.push_back(anyTensor(ctx, 2));
  argTypes.append({anyTensor(ctx, 1), anyTensor(ctx, 1)});
  if (c.residual)
    argTypes.push_back(anyStrided(ctx, 2));
  argTypes.append({anyStrided(ctx, 2), f32, f32, i32, i32});
  auto calleeType = FunctionType::get(ctx, argTypes, {});
  StringRef name = c.residual ? kResidualCallee : kCallee;
  auto module = op->getParentOfType<ModuleOp>();
  if (!module || !calleeAvailable(module, name, calleeType))
    return rewriter.notifyMatchFailure(op, "the kernel's symbol is taken");
  Location loc = op->getLoc();

  Value gain = c.gain ? c.gain : noneTensor(rewriter, loc);
  Value b = c.bias ? c.bias : noneTensor(rewriter, loc);
  Value out = freshLike(rewriter, loc, c.input, d);
  // The sum is written only when something reads it.
  Value sumOut;
  if (c.residual && sum && !sum.use_empty())
    sumOut = freshLike(rewriter, loc, c.input, d);
  SmallVector<Value> args{calleeInput(rewriter, loc, asRows(rewriter, loc, c.input))};
  if (c.residual)
    args.push_back(calleeInput(rewriter, loc, asRows(rewriter, loc, c.residual)));
  args.append({calleeInput(rewriter, loc, gain), calleeInput(rewriter, loc, b)});
  if (c.residual) {
    // The sum is an output: a buffer the kernel writes, or none ([0, d]).
    args.push_back(rowsView(rewriter, loc,
                            sumOut ? sumOut
                                   : memref::AllocaOp::create(
                                         rewriter, loc,
                                         MemRefType::get({0, d}, rewriter.getF32Type()))));
  }
  auto f32c = [&](float v) {
    return arith::ConstantOp::create(rewriter, loc, rewriter.getF32FloatAttr(v));
  };
  args.append({rowsView(rewriter, loc, out), f32c(c.eps), f32c(c.scale),
               arith::ConstantIntOp::create(
                   rewriter, loc, c.layer ? LF_ROW_NORM_LAYER : LF_ROW_NORM_RMS, 32),
               arith::ConstantIntOp::create(rewriter, loc,
                                            static_cast<int64_t>(threads), 32)});
  func::FuncOp callee = declareCallee(rewriter, module, name, calleeType);
  func::CallOp::create(rewriter, loc, callee, args);
  SmallVector<Value> replacements;
  // An unread sum is replaced by the input, which has its type.
  if (sum)
    replacements.push_back(
        sumOut ? ownedTensorAs(rewriter, loc, sumOut, sum.getType()) : c.input);
  replacements.push_back(ownedTensorAs(rewriter, loc, out, result.getType()));
  rewriter.replaceOp(op, replacements);
  return success();
}

template <typename OpTy>
struct NormToUkernel : OpRewritePattern<OpTy> {
  NormToUkernel(MLIRContext *ctx, unsigned threads, llvm::Statistic *rewritten)
      : OpRewritePattern<OpTy>(ctx), threads(threads), rewritten(rewritten) {}

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    NormCall c;
    c.input = op.getInput();
    c.gain = op.getGain();
    c.eps = op.getEps().convertToFloat();
    c.scale = op.getScale() ? op.getScale()->convertToFloat() : 1.0f;
    Value sum;
    if constexpr (std::is_same_v<OpTy, ResidualNormOp>) {
      c.residual = op.getResidual();
      c.bias = op.getBias();
      c.layer = op.getKind() == NormKind::layer;
      sum = op.getSum();
    } else if constexpr (std::is_same_v<OpTy, LayerNormOp>) {
      c.bias = op.getBias();
      c.layer = true;
    } else {
      c.layer = false;
    }
    if (failed(rewriteAsCall(rewriter, op, c, sum, op.getResult(), threads)))
      return failure();
    if (rewritten)
      ++*rewritten;
    return success();
  }

  unsigned threads;
  llvm::Statistic *rewritten;
};

struct CPUNormUkernelPass
    : lf::impl::CPUNormUkernelPassBase<CPUNormUkernelPass> {
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<NormToUkernel<RMSNormOp>, NormToUkernel<LayerNormOp>,
                 NormToUkernel<ResidualNormOp>>(
        &getContext(), threads, &numRewritten);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
