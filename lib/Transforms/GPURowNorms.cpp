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

  void rewrite(RMSNormOp op) {
    OpBuilder b(op);
    Location l = op.getLoc();
    auto ty = cast<RankedTensorType>(op.getInput().getType());
    Type et = ty.getElementType();
    unsigned rank = ty.getRank();
    auto memTy = MemRefType::get(ty.getShape(), et);
    Value x = bufferization::ToBufferOp::create(b, l, memTy, op.getInput(),
                                                b.getUnitAttr());
    SmallVector<Value> dyn;
    for (unsigned i = 0; i < rank; ++i)
      if (ty.isDynamicDim(i))
        dyn.push_back(memref::DimOp::create(b, l, x, i));
    Value out = memref::AllocOp::create(b, l, memTy, dyn);
    Value gain;
    if (Value g = op.getGain())
      gain = bufferization::ToBufferOp::create(
          b, l, MemRefType::get(cast<RankedTensorType>(g.getType()).getShape(), et),
          g, b.getUnitAttr());
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
    double eps = op.getEps().convertToDouble();
    double scale = op.getScale() ? op.getScale()->convertToDouble() : 1.0;
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
    auto sum = scf::ForOp::create(
        kb, l, lane, d, c32, ValueRange{zero},
        [&](OpBuilder &nb, Location nl, Value j, ValueRange acc) {
          Value v = toF32(nb, nl, memref::LoadOp::create(nb, nl, x, at(j)));
          Value a = arith::AddFOp::create(nb, nl, acc[0],
                                          arith::MulFOp::create(nb, nl, v, v));
          scf::YieldOp::create(nb, nl, a);
        });
    // Butterfly all-reduce over the warp.
    Value total = sum.getResult(0);
    Value width = arith::ConstantIntOp::create(kb, l, 32, 32);
    for (int off = 16; off >= 1; off /= 2) {
      Value o = arith::ConstantIntOp::create(kb, l, off, 32);
      auto sh = gpu::ShuffleOp::create(kb, l, total, o, width,
                                       gpu::ShuffleMode::XOR);
      total = arith::AddFOp::create(kb, l, total, sh.getShuffleResult());
    }
    Value dF = arith::UIToFPOp::create(
        kb, l, kb.getF32Type(),
        arith::IndexCastUIOp::create(kb, l, kb.getI64Type(), d));
    Value ms = arith::DivFOp::create(kb, l, total, dF);
    Value rs = math::RsqrtOp::create(
        kb, l, arith::AddFOp::create(
                   kb, l, ms, arith::ConstantOp::create(kb, l, kb.getF32FloatAttr(eps))));
    if (scale != 1.0)
      rs = arith::MulFOp::create(
          kb, l, rs, arith::ConstantOp::create(kb, l, kb.getF32FloatAttr(scale)));
    scf::ForOp::create(
        kb, l, lane, d, c32, ValueRange{},
        [&](OpBuilder &nb, Location nl, Value j, ValueRange) {
          Value v = toF32(nb, nl, memref::LoadOp::create(nb, nl, x, at(j)));
          Value y = arith::MulFOp::create(nb, nl, v, rs);
          if (gain)
            y = arith::MulFOp::create(
                nb, nl, y,
                toF32(nb, nl, memref::LoadOp::create(nb, nl, gain, ValueRange{j})));
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
    op.getResult().replaceAllUsesWith(res);
    op.erase();
  }

  void runOnOperation() override {
    SmallVector<RMSNormOp> ops;
    getOperation().walk([&](RMSNormOp op) { ops.push_back(op); });
    for (RMSNormOp op : ops)
      rewrite(op);
  }
};
} // namespace
