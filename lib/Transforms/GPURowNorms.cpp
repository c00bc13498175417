//===- GPURowNorms.cpp - block-per-row RMSNorm kernels --------------------===//
//
// Part of lightfuse.
//
//===----------------------------------------------------------------------===//

#include "lightfuse/Transforms/Passes.h"

#include "dialects/lf/LFOps.h"

#include "mlir/Dialect/Math/IR/Math.h"

namespace mlir::lf {
#define GEN_PASS_DEF_GPUROWNORMSPASS
#include "lightfuse/Transforms/Passes.h.inc"
} // namespace mlir::lf

using namespace mlir;
using namespace mlir::lf;

namespace {
struct GPURowNormsPass : lf::impl::GPURowNormsPassBase<GPURowNormsPass> {
  using Base::Base;

  static Value toF32(OpBuilder &b, Location l, Value v) {
    return v.getType().isF32() ? v
                               : arith::ExtFOp::create(b, l, b.getF32Type(), v);
  }

  /// RMSNorm (bias null, layer false) or LayerNorm (shifted two-pass
  /// statistics, as the CPU lowering) over the last dim, one warp per row.
  void rewrite(Operation *op, Value input, Value gainT, Value biasT, bool layer,
               double eps, double scale) {
    OpBuilder b(op);
    Location l = op->getLoc();
    auto ty = cast<RankedTensorType>(input.getType());
    Type et = ty.getElementType();
    unsigned rank = ty.getRank();
    auto memTy = MemRefType::get(ty.getShape(), et);
    Value x = bufferization::ToBufferOp::create(b, l, memTy, input,
                                                b.getUnitAttr());
    SmallVector<Value> dyn;
    for (unsigned i = 0; i < rank; ++i)
      if (ty.isDynamicDim(i))
        dyn.push_back(memref::DimOp::create(b, l, x, i));
    Value out = memref::AllocOp::create(b, l, memTy, dyn);
    auto vecBuf = [&](Value t) -> Value {
      if (!t)
        return Value();
      return bufferization::ToBufferOp::create(
          b, l, MemRefType::get(cast<RankedTensorType>(t.getType()).getShape(), et),
          t, b.getUnitAttr());
    };
    Value gain = vecBuf(gainT), bias = vecBuf(biasT);
    // Rows: the product of the leading dims (1 for a vector).
    Value one = arith::ConstantIndexOp::create(b, l, 1);
    Value rows = one;
    for (unsigned i = 0; i + 1 < rank; ++i)
      rows = arith::MulIOp::create(b, l, rows, memref::DimOp::create(b, l, x, i));
    Value d = memref::DimOp::create(b, l, x, rank - 1);
    // One warp per row, `blockSize / 32` rows per block.
    int64_t warps = std::max<int64_t>(1, blockSize / 32);
    Value threads = arith::ConstantIndexOp::create(b, l, warps * 32);
    Value warpsV = arith::ConstantIndexOp::create(b, l, warps);
    Value blocks = arith::CeilDivUIOp::create(b, l, rows, warpsV);
    auto launch = gpu::LaunchOp::create(b, l, blocks, one, one, threads, one, one);
    OpBuilder kb = OpBuilder::atBlockBegin(&launch.getBody().front());
    Value tid = launch.getThreadIds().x;
    Value c32 = arith::ConstantIndexOp::create(kb, l, 32);
    Value lane = arith::RemUIOp::create(kb, l, tid, c32);
    Value row = arith::AddIOp::create(
        kb, l, arith::MulIOp::create(kb, l, launch.getBlockIds().x, warpsV),
        arith::DivUIOp::create(kb, l, tid, c32));
    // Whole warps past the last row do nothing (the shuffles below need every
    // lane of a warp, and the condition is uniform per warp).
    Value inRange = arith::CmpIOp::create(kb, l, arith::CmpIPredicate::ult, row, rows);
    auto guard = scf::IfOp::create(kb, l, inRange, /*withElse=*/false);
    kb.setInsertionPointToStart(&guard.getThenRegion().front());
    // Multi-index of the row in the leading dims.
    SmallVector<Value> lead;
    Value rem = row;
    for (int i = static_cast<int>(rank) - 2; i >= 0; --i) {
      Value size = memref::DimOp::create(kb, l, x, i);
      lead.insert(lead.begin(), arith::RemUIOp::create(kb, l, rem, size));
      rem = arith::DivUIOp::create(kb, l, rem, size);
    }
    auto at = [&](Value j) {
      SmallVector<Value> idx(lead);
      idx.push_back(j);
      return idx;
    };
    Value zero = arith::ConstantOp::create(kb, l, kb.getF32FloatAttr(0.0));
    Value c0 = arith::ConstantIndexOp::create(kb, l, 0);
    // Warp-wide sum of f(x_j) over the row: strided per lane, then a 5-step
    // xor-shuffle butterfly (every lane ends with the total).
    auto rowSum = [&](function_ref<Value(OpBuilder &, Location, Value)> f) {
      auto loop = scf::ForOp::create(
          kb, l, lane, d, c32, ValueRange{zero},
          [&](OpBuilder &nb, Location nl, Value j, ValueRange acc) {
            Value v = toF32(nb, nl, memref::LoadOp::create(nb, nl, x, at(j)));
            scf::YieldOp::create(
                nb, nl, ValueRange{arith::AddFOp::create(nb, nl, acc[0], f(nb, nl, v))});
          });
      Value total = loop.getResult(0);
      Value width = arith::ConstantIntOp::create(kb, l, 32, 32);
      for (int off = 16; off >= 1; off /= 2) {
        Value o = arith::ConstantIntOp::create(kb, l, off, 32);
        auto sh = gpu::ShuffleOp::create(kb, l, total, o, width,
                                         gpu::ShuffleMode::XOR);
        total = arith::AddFOp::create(kb, l, total, sh.getShuffleResult());
      }
      return total;
    };
    Value dF = arith::UIToFPOp::create(
        kb, l, kb.getF32Type(),
        arith::IndexCastUIOp::create(kb, l, kb.getI64Type(), d));
    // LayerNorm: shift by the row's first element so large-mean rows do not
    // cancel; mu = K + sum(x - K) / d, var = mean((x - mu)^2).
    Value shift, mu;
    if (layer) {
      shift = toF32(kb, l, memref::LoadOp::create(kb, l, x, at(c0)));
      Value s1 = rowSum([&](OpBuilder &nb, Location nl, Value v) {
        return arith::SubFOp::create(nb, nl, v, shift);
      });
      mu = arith::AddFOp::create(kb, l, shift,
                                 arith::DivFOp::create(kb, l, s1, dF));
    }
    Value total = rowSum([&](OpBuilder &nb, Location nl, Value v) -> Value {
      Value c = layer ? Value(arith::SubFOp::create(nb, nl, v, mu)) : v;
      return arith::MulFOp::create(nb, nl, c, c);
    });
    Value ms = arith::DivFOp::create(kb, l, total, dF);
    Value rs = math::RsqrtOp::create(
        kb, l, arith::AddFOp::create(
                   kb, l, ms, arith::ConstantOp::create(kb, l, kb.getF32FloatAttr(eps))));
    Value scaleV = arith::ConstantOp::create(kb, l, kb.getF32FloatAttr(scale));
    scf::ForOp::create(
        kb, l, lane, d, c32, ValueRange{},
        [&](OpBuilder &nb, Location nl, Value j, ValueRange) {
          Value v = toF32(nb, nl, memref::LoadOp::create(nb, nl, x, at(j)));
          if (layer)
            v = arith::SubFOp::create(nb, nl, v, mu);
          Value y = arith::MulFOp::create(nb, nl, v, rs);
          if (gain)
            y = arith::MulFOp::create(
                nb, nl, y,
                toF32(nb, nl, memref::LoadOp::create(nb, nl, gain, ValueRange{j})));
          if (bias)
            y = arith::AddFOp::create(
                nb, nl, y,
                toF32(nb, nl, memref::LoadOp::create(nb, nl, bias, ValueRange{j})));
          if (scale != 1.0)
            y = arith::MulFOp::create(nb, nl, y, scaleV);
          if (!et.isF32())
            y = arith::TruncFOp::create(nb, nl, et, y);
          memref::StoreOp::create(nb, nl, y, out, at(j));
          scf::YieldOp::create(nb, nl);
        });
    kb.setInsertionPointAfter(guard);
    gpu::TerminatorOp::create(kb, l);
    b.setInsertionPointAfter(launch);
    Value res = bufferization::ToTensorOp::create(b, l, ty, out, b.getUnitAttr(),
                                                  b.getUnitAttr());
    op->getResult(0).replaceAllUsesWith(res);
    op->erase();
  }

  void runOnOperation() override {
    SmallVector<Operation *> ops;
    getOperation().walk([&](Operation *op) {
      if (isa<RMSNormOp, LayerNormOp>(op))
        ops.push_back(op);
    });
    for (Operation *op : ops) {
      if (auto rms = dyn_cast<RMSNormOp>(op))
        rewrite(op, rms.getInput(), rms.getGain(), Value(), /*layer=*/false,
                rms.getEps().convertToDouble(),
                rms.getScale() ? rms.getScale()->convertToDouble() : 1.0);
      else if (auto ln = dyn_cast<LayerNormOp>(op))
        rewrite(op, ln.getInput(), ln.getGain(), ln.getBias(), /*layer=*/true,
                ln.getEps().convertToDouble(),
                ln.getScale() ? ln.getScale()->convertToDouble() : 1.0);
    }
  }
};
} // namespace
