//===- CPUNormUkernel.cpp - f32 row norms as a runtime kernel call --------===//
//
// Part of lightfuse. lf.rms_norm / lf.layer_norm whose result feeds no
// elementwise op become one call of the runtime's row-norm kernel
// (lib/Runtime/RowNorm.c) on the input as [rows, d] and a fresh output.
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

bool isF32(Value v) {
  return !v || cast<RankedTensorType>(v.getType()).getElementType().isF32();
}

/// Users the row tiles would not fuse anyway: contractions, returns,
/// reshapes, size queries (a linear's kernel call sizes its output from its
/// input's dims).
/// An elementwise consumer (lf's or upstream's) is fused into the norm's
/// row tiles by lf-tile-rows, which a call would prevent.
bool feedsNoElementwise(Value result) {
  for (Operation *user : result.getUsers()) {
    if (isa<func::ReturnOp, LinearOp, NormLinearOp, tensor::ExpandShapeOp,
            tensor::CollapseShapeOp, tensor::DimOp>(user))
      continue;
    return false;
  }
  return true;
}

template <typename OpTy>
struct NormToUkernel : OpRewritePattern<OpTy> {
  NormToUkernel(MLIRContext *ctx, unsigned threads, llvm::Statistic *rewritten)
      : OpRewritePattern<OpTy>(ctx), threads(threads), rewritten(rewritten) {}

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    constexpr bool layer = std::is_same_v<OpTy, LayerNormOp>;
    Value bias;
    if constexpr (layer)
      bias = op.getBias();
    auto xTy = cast<RankedTensorType>(op.getInput().getType());
    if (!isF32(op.getInput()) || !isF32(op.getGain()) || !isF32(bias))
      return rewriter.notifyMatchFailure(op, "not f32");
    int64_t d = xTy.getRank() ? xTy.getShape().back() : ShapedType::kDynamic;
    if (ShapedType::isDynamic(d) || d == 0)
      return rewriter.notifyMatchFailure(op, "normalized size not static");
    if (!feedsNoElementwise(op.getResult()))
      return rewriter.notifyMatchFailure(op, "an elementwise user fuses");
    auto module = op->template getParentOfType<ModuleOp>();
    if (!module || !calleeAvailable(module, kCallee))
      return rewriter.notifyMatchFailure(op, "@lf_row_norm_f32 is taken");
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();

    Value x = asRows(rewriter, loc, op.getInput());
    auto none = [&]() -> Value {
      return tensor::EmptyOp::create(rewriter, loc, ArrayRef<int64_t>{0},
                                     rewriter.getF32Type());
    };
    Value gain = op.getGain() ? op.getGain() : none();
    Value b = bias ? bias : none();
    Value out = freshLike(rewriter, loc, op.getInput(), d);
    Type i32 = rewriter.getI32Type(), f32 = rewriter.getF32Type();
    func::FuncOp callee = declareCallee(
        rewriter, module, kCallee,
        FunctionType::get(ctx,
                          {anyStrided(ctx, 2), anyStrided(ctx, 1),
                           anyStrided(ctx, 1), anyStrided(ctx, 2), f32, f32,
                           i32, i32},
                          {}));
    float scale = op.getScale() ? op.getScale()->convertToFloat() : 1.0f;
    auto f32c = [&](float v) {
      return arith::ConstantOp::create(rewriter, loc, rewriter.getF32FloatAttr(v));
    };
    func::CallOp::create(
        rewriter, loc, callee,
        ValueRange{calleeBuffer(rewriter, loc, x),
                   calleeBuffer(rewriter, loc, gain),
                   calleeBuffer(rewriter, loc, b),
                   rowsView(rewriter, loc, out),
                   f32c(op.getEps().convertToFloat()), f32c(scale),
                   arith::ConstantIntOp::create(
                       rewriter, loc, layer ? LF_ROW_NORM_LAYER : LF_ROW_NORM_RMS, 32),
                   arith::ConstantIntOp::create(
                       rewriter, loc, static_cast<int64_t>(threads), 32)});
    Value y = ownedTensor(rewriter, loc, out);
    if (y.getType() != op.getResult().getType())
      y = tensor::CastOp::create(rewriter, loc, op.getResult().getType(), y);
    rewriter.replaceOp(op, y);
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
    patterns.add<NormToUkernel<RMSNormOp>, NormToUkernel<LayerNormOp>>(
        &getContext(), threads, &numRewritten);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
