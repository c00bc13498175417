//===- CPULinearUkernel.cpp - f32 lf.linear as a packed GEMM call ---------===//
//
// Part of lightfuse. The weight is packed on tensors (hoistable, weight-only
// ops); the product is one call of the runtime's register-blocked kernel
// (lib/Runtime/Gemm.c) on the buffers of the input and a fresh output.
//
//===----------------------------------------------------------------------===//

#include "lightfuse/Conversion/LFToCPU/Passes.h"

#include "UkernelUtils.h"

#include "dialects/lf/LFDialect.h"
#include "dialects/lf/LFOps.h"
#include "lightfuse/Runtime/Gemm.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::lf {
#define GEN_PASS_DEF_CPULINEARUKERNELPASS
#include "lightfuse/Conversion/LFToCPU/Passes.h.inc"
} // namespace mlir::lf

using namespace mlir;
using namespace mlir::lf;
using namespace mlir::lf::ukernel;

namespace {

// The kernel's ABI (lib/Runtime/Gemm.h).
constexpr int64_t kPanel = LF_GEMM_PANEL;
constexpr llvm::StringLiteral kCallee = "lf_gemm_f32";

/// @lf_gemm_f32's type: A, the packed weights and the bias read, C written,
/// the activation and the thread count.
FunctionType gemmType(MLIRContext *ctx) {
  auto i32 = IntegerType::get(ctx, 32);
  return FunctionType::get(ctx,
                           {anyTensor(ctx, 2), anyTensor(ctx, 3),
                            anyTensor(ctx, 1), anyStrided(ctx, 2), i32, i32},
                           {});
}

constexpr llvm::StringLiteral kGluCallee = "lf_gemm_glu_f32";

/// @lf_gemm_glu_f32's type: A, the packed gate and up weights and their
/// biases read, C written, the GLU activation and the thread count.
FunctionType gemmGluType(MLIRContext *ctx) {
  auto i32 = IntegerType::get(ctx, 32);
  return FunctionType::get(
      ctx,
      {anyTensor(ctx, 2), anyTensor(ctx, 3), anyTensor(ctx, 3),
       anyTensor(ctx, 1), anyTensor(ctx, 1), anyStrided(ctx, 2), i32, i32},
      {});
}

/// W [N, K] -> [ceil(N / 64), K, 64], zero rows past N.
Value packWeight(PatternRewriter &rewriter, Location loc, Value w, int64_t n,
                 int64_t k) {
  int64_t panels = (n + kPanel - 1) / kPanel;
  int64_t padded = panels * kPanel;
  Type f32 = rewriter.getF32Type();
  if (padded != n) {
    Value zero = arith::ConstantOp::create(rewriter, loc,
                                           rewriter.getF32FloatAttr(0.0));
    // Zeros with W inserted (not tensor.pad, whose body would capture the
    // padding value: lf-hoist-weight-prep moves only self-contained ops).
    Value empty = tensor::EmptyOp::create(
        rewriter, loc, ArrayRef<int64_t>{padded, k}, f32);
    Value zeros =
        linalg::FillOp::create(rewriter, loc, zero, empty).getResult(0);
    w = tensor::InsertSliceOp::create(
        rewriter, loc, w, zeros,
        ArrayRef<OpFoldResult>{rewriter.getIndexAttr(0), rewriter.getIndexAttr(0)},
        ArrayRef<OpFoldResult>{rewriter.getIndexAttr(n), rewriter.getIndexAttr(k)},
        ArrayRef<OpFoldResult>{rewriter.getIndexAttr(1), rewriter.getIndexAttr(1)});
  }
  Value e = tensor::ExpandShapeOp::create(
      rewriter, loc, RankedTensorType::get({panels, kPanel, k}, f32), w,
      SmallVector<ReassociationIndices>{{0, 1}, {2}});
  Value init = tensor::EmptyOp::create(
      rewriter, loc, ArrayRef<int64_t>{panels, k, kPanel}, f32);
  return linalg::TransposeOp::create(rewriter, loc, e, init,
                                     ArrayRef<int64_t>{0, 2, 1})
      ->getResult(0);
}

/// Whether `v` is computed from `{lf.weight}` arguments and constants only:
/// such a linear belongs to the weight preparation lf-hoist-weight-prep
/// moves out (a call would pin it in the per-call function). Each value is
/// visited once.
bool isWeightOnly(Value v) {
  llvm::SmallPtrSet<void *, 16> seen;
  SmallVector<Value> work{v};
  while (!work.empty()) {
    Value cur = work.pop_back_val();
    if (!seen.insert(cur.getAsOpaquePointer()).second)
      continue;
    if (auto arg = dyn_cast<BlockArgument>(cur)) {
      auto fn = dyn_cast<func::FuncOp>(arg.getOwner()->getParentOp());
      if (!fn || arg.getOwner() != &fn.getBody().front() ||
          !fn.getArgAttr(arg.getArgNumber(), "lf.weight"))
        return false;
      continue;
    }
    Operation *def = cur.getDefiningOp();
    if (def->hasTrait<OpTrait::ConstantLike>())
      continue;
    if (def->getNumRegions() || def->getNumOperands() == 0)
      return false;
    llvm::append_range(work, def->getOperands());
  }
  return true;
}

/// The f32 linear with a static [N, K] weight the kernels take, or a reason.
LogicalResult checkKernelLinear(LinearOp op, PatternRewriter &rewriter) {
  auto xTy = cast<RankedTensorType>(op.getInput().getType());
  auto wTy = cast<RankedTensorType>(op.getWeight().getType());
  auto yTy = cast<RankedTensorType>(op.getResult().getType());
  auto isF32 = [](Value v) {
    return cast<RankedTensorType>(v.getType()).getElementType().isF32();
  };
  if (!isF32(op.getInput()) || !isF32(op.getWeight()) ||
      !yTy.getElementType().isF32() ||
      (op.getBias() && !isF32(op.getBias())))
    return rewriter.notifyMatchFailure(op, "not f32");
  if (!wTy.hasStaticShape() || wTy.getRank() != 2 || xTy.getRank() < 1)
    return rewriter.notifyMatchFailure(op, "weight shape not static");
  if (xTy.getShape().back() != wTy.getDimSize(1))
    return rewriter.notifyMatchFailure(op, "input K is not static");
  if (isWeightOnly(op.getInput()))
    return rewriter.notifyMatchFailure(op, "weight preparation");
  return success();
}

/// The linear's bias, or the kernels' "no bias".
Value biasOrNone(PatternRewriter &rewriter, Location loc, LinearOp op) {
  if (Value b = op.getBias())
    return b;
  return noneTensor(rewriter, loc);
}

/// Calls kernel `name` (declared with `type` if the module does not have
/// it) on `inputs`, tensors it reads, then a fresh [M, n] buffer shaped like
/// `like` that it writes, `act` and the thread count; returns that buffer
/// as a tensor of `resultType`.
Value callKernel(PatternRewriter &rewriter, Location loc, ModuleOp module,
                 StringRef name, FunctionType type, ArrayRef<Value> inputs,
                 Value like, int64_t n, int32_t act, unsigned threads,
                 Type resultType) {
  Value out = freshLike(rewriter, loc, like, n);
  func::FuncOp callee = declareCallee(rewriter, module, name, type);
  SmallVector<Value> args;
  for (Value v : inputs)
    args.push_back(calleeInput(rewriter, loc, v));
  args.push_back(rowsView(rewriter, loc, out));
  args.push_back(arith::ConstantIntOp::create(rewriter, loc, act, 32));
  args.push_back(arith::ConstantIntOp::create(
      rewriter, loc, static_cast<int64_t>(threads), 32));
  func::CallOp::create(rewriter, loc, callee, args);
  return ownedTensorAs(rewriter, loc, out, resultType);
}

/// The GLU kernel's code (LF_GEMM_GLU_*) for a gate activation.
int32_t kernelGluAct(GluActivation act) {
  switch (act) {
  case GluActivation::none:
    return LF_GEMM_GLU_NONE;
  case GluActivation::sigmoid:
    return LF_GEMM_GLU_SIGMOID;
  case GluActivation::silu:
    return LF_GEMM_GLU_SILU;
  case GluActivation::relu:
    return LF_GEMM_GLU_RELU;
  case GluActivation::gelu:
    return LF_GEMM_GLU_GELU;
  }
  llvm_unreachable("unknown GLU activation");
}

/// lf.glu of two linears of the same input (SwiGLU's gate and up
/// projections) as one call of the runtime's GLU kernel: the gate tile stays
/// in L1 until the up tile's epilogue combines them, so neither projection
/// is written out and the separate gate pass over both disappears.
struct GluToUkernel : OpRewritePattern<GluOp> {
  GluToUkernel(MLIRContext *ctx, unsigned threads, llvm::Statistic *rewritten)
      : OpRewritePattern<GluOp>(ctx, /*benefit=*/2), threads(threads),
        rewritten(rewritten) {}

  LogicalResult matchAndRewrite(GluOp op,
                                PatternRewriter &rewriter) const override {
    auto gate = op.getGate().getDefiningOp<LinearOp>();
    auto up = op.getUp().getDefiningOp<LinearOp>();
    if (!gate || !up || gate == up)
      return rewriter.notifyMatchFailure(op, "not two linears");
    if (gate.getInput() != up.getInput())
      return rewriter.notifyMatchFailure(op, "the linears' inputs differ");
    if (!gate->hasOneUse() || !up->hasOneUse())
      return rewriter.notifyMatchFailure(op, "a projection has other users");
    if (failed(checkKernelLinear(gate, rewriter)) ||
        failed(checkKernelLinear(up, rewriter)))
      return failure();
    if (gate.getWeight().getType() != up.getWeight().getType())
      return rewriter.notifyMatchFailure(op, "weights of different shapes");
    int32_t act = kernelGluAct(op.getActivation());
    auto module = op->getParentOfType<ModuleOp>();
    if (!module)
      return rewriter.notifyMatchFailure(op, "not inside a module");
    MLIRContext *ctx = getContext();
    if (!calleeAvailable(module, kGluCallee, gemmGluType(ctx)))
      return rewriter.notifyMatchFailure(op, "@lf_gemm_glu_f32 is taken");

    auto wTy = cast<RankedTensorType>(gate.getWeight().getType());
    int64_t n = wTy.getDimSize(0), k = wTy.getDimSize(1);
    Location loc = op.getLoc();
    Value x = asRows(rewriter, loc, gate.getInput());
    Value packedGate = packWeight(rewriter, loc, gate.getWeight(), n, k);
    Value packedUp = packWeight(rewriter, loc, up.getWeight(), n, k);
    Value y = callKernel(rewriter, loc, module, kGluCallee, gemmGluType(ctx),
                         {x, packedGate, packedUp,
                          biasOrNone(rewriter, loc, gate),
                          biasOrNone(rewriter, loc, up)},
                         gate.getInput(), n, act, threads, op.getType());
    rewriter.replaceOp(op, y);
    rewriter.eraseOp(gate);
    rewriter.eraseOp(up);
    if (rewritten)
      ++*rewritten;
    return success();
  }

  unsigned threads;
  llvm::Statistic *rewritten;
};

struct LinearToUkernel : OpRewritePattern<LinearOp> {
  LinearToUkernel(MLIRContext *ctx, unsigned threads,
                  llvm::Statistic *rewritten)
      : OpRewritePattern<LinearOp>(ctx), threads(threads),
        rewritten(rewritten) {}

  LogicalResult matchAndRewrite(LinearOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(checkKernelLinear(op, rewriter)))
      return failure();
    auto wTy = cast<RankedTensorType>(op.getWeight().getType());
    auto yTy = cast<RankedTensorType>(op.getResult().getType());
    auto module = op->getParentOfType<ModuleOp>();
    if (!module)
      return rewriter.notifyMatchFailure(op, "not inside a module");
    if (!calleeAvailable(module, kCallee, gemmType(getContext())))
      return rewriter.notifyMatchFailure(op, "@lf_gemm_f32 is taken");
    int64_t n = wTy.getDimSize(0), k = wTy.getDimSize(1);
    Location loc = op.getLoc();

    // A lone ReLU after the linear runs in the kernel's epilogue.
    Operation *replaced = op;
    int32_t act = LF_GEMM_IDENTITY;
    if (op->hasOneUse())
      if (auto a = dyn_cast<ActivationOp>(*op->getUsers().begin()))
        if (a.getKind() == ActivationKind::relu &&
            a.getResult().getType() == op.getResult().getType()) {
          act = LF_GEMM_RELU;
          replaced = a;
        }

    // The input as [M, K].
    Value x = asRows(rewriter, loc, op.getInput());

    Value packed = packWeight(rewriter, loc, op.getWeight(), n, k);
    Value y = callKernel(rewriter, loc, module, kCallee, gemmType(getContext()),
                         {x, packed, biasOrNone(rewriter, loc, op)},
                         op.getInput(), n, act, threads, yTy);
    rewriter.replaceOp(replaced, y);
    if (replaced != op.getOperation())
      rewriter.eraseOp(op);
    if (rewritten)
      ++*rewritten;
    return success();
  }

  unsigned threads;
  llvm::Statistic *rewritten;
};

struct CPULinearUkernelPass
    : lf::impl::CPULinearUkernelPassBase<CPULinearUkernelPass> {
  using Base::Base;
  void runOnOperation() override {
    // A module pass: the pattern declares @lf_gemm_f32 in the module.
    // Gated pairs first, while their linears are still lf.linear.
    RewritePatternSet glu(&getContext());
    glu.add<GluToUkernel>(&getContext(), threads, &numGluRewritten);
    if (failed(applyPatternsGreedily(getOperation(), std::move(glu))))
      return signalPassFailure();
    RewritePatternSet patterns(&getContext());
    patterns.add<LinearToUkernel>(&getContext(), threads, &numRewritten);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void mlir::lf::populateCPULinearUkernelPatterns(RewritePatternSet &patterns,
                                                unsigned threads) {
  patterns.add<GluToUkernel, LinearToUkernel>(patterns.getContext(), threads,
                                              /*rewritten=*/nullptr);
}
