//===- GPURowNorms.cpp - warp-per-row norm kernels ------------------------===//
//
// Part of lightfuse.
//
//===----------------------------------------------------------------------===//

#include "lightfuse/Conversion/LFToGPU/Passes.h"
#include "PassDetail.h"

#include "KernelBuilder.h"

#include "dialects/lf/LFOps.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

namespace mlir::lf {
#define GEN_PASS_DEF_GPUROWNORMSPASS
#include "lightfuse/Conversion/LFToGPU/Passes.h.inc"
} // namespace mlir::lf

using namespace mlir;
using namespace mlir::lf;

namespace {
/// Row `row` of `x` (rank `rank`; rows are all leading dims) as a function
/// from a column index to the full index.
std::function<SmallVector<Value>(Value)> rowIndexer(OpBuilder &b, Location l, Value x,
                                                    unsigned rank, Value row) {
  SmallVector<Value> lead;
  Value rem = row;
  for (int i = static_cast<int>(rank) - 2; i >= 0; --i) {
    Value size = memref::DimOp::create(b, l, x, i);
    lead.insert(lead.begin(), arith::RemUIOp::create(b, l, rem, size));
    rem = arith::DivUIOp::create(b, l, rem, size);
  }
  return [lead](Value j) {
    SmallVector<Value> idx(lead);
    idx.push_back(j);
    return idx;
  };
}

struct GPURowNormsPass : lf::impl::GPURowNormsPassBase<GPURowNormsPass> {
  using Base::Base;

  /// What one kernel computes: y = norm(x (+ r)), sum = x + r when
  /// `residualT` is set (lf.residual_norm).
  struct RowNorm {
    Value input, residual, gain, bias;
    bool layer = false;
    double eps = 0.0, scale = 1.0;
  };

  /// RMSNorm or LayerNorm (shifted two-pass statistics, as the CPU lowering)
  /// over the last dim, one warp per row; lanes access `w` consecutive
  /// elements at a time (128-bit vector loads and stores when the row length
  /// allows). Returns the op's replacement values.
  SmallVector<Value> rewrite(Operation *op, const RowNorm &rn) {
    OpBuilder b(op);
    Location l = op->getLoc();
    auto ty = cast<RankedTensorType>(rn.input.getType());
    Type et = ty.getElementType();
    Type f32 = b.getF32Type();
    unsigned rank = ty.getRank();
    auto memTy = MemRefType::get(ty.getShape(), et);
    auto buffer = [&](Value t) { return t ? toBuffer(b, l, t) : Value(); };
    Value x = buffer(rn.input), res = buffer(rn.residual);
    Value gain = buffer(rn.gain), bias = buffer(rn.bias);
    SmallVector<Value> dyn;
    for (unsigned i = 0; i < rank; ++i)
      if (ty.isDynamicDim(i))
        dyn.push_back(memref::DimOp::create(b, l, x, i));
    Value out = memref::AllocOp::create(b, l, memTy, dyn);
    Value sumBuf = res ? memref::AllocOp::create(b, l, memTy, dyn).getResult()
                       : Value();
    // 16 bytes per lane access when the (static) row length is a multiple.
    int64_t rowLen = ty.getDimSize(rank - 1);
    int64_t w = 16 / std::max<int64_t>(1, et.getIntOrFloatBitWidth() / 8);
    if (ShapedType::isDynamic(rowLen) || rowLen % w != 0)
      w = 1;
    // Pieces both kernels share. Rows: the product of the leading dims (1
    // for a vector).
    auto rowCount = [&](OpBuilder &b) {
      Value rows = arith::ConstantIndexOp::create(b, l, 1);
      for (unsigned i = 0; i + 1 < rank; ++i)
        rows = arith::MulIOp::create(b, l, rows, memref::DimOp::create(b, l, x, i));
      return rows;
    };
    // LayerNorm's shift K: the row's first element (of the sum x + r,
    // rounded to the storage type as stored), in f32.
    auto rowShift = [&](KernelBuilder &k, function_ref<SmallVector<Value>(Value)> at) {
      auto scalar = [&](Value buf) { return k.toF32(k.load(buf, at(k.idx(0)))); };
      Value shift = scalar(x);
      if (res) {
        shift = k.toF32(k.fromF32(k.fadd(shift, scalar(res)), et));
      }
      return shift;
    };
    // rsqrt(sum / d + eps).
    auto rstd = [&](KernelBuilder &k, Value sum, Value dF) -> Value {
      return math::RsqrtOp::create(
          k.b, l, arith::AddFOp::create(k.b, l, arith::DivFOp::create(k.b, l, sum, dF),
                                        k.f(rn.eps)));
    };
    // y = c * rstd (* gain[j]) (+ bias[j]) (* scale), `param` loading a
    // gain/bias slice at column j.
    auto finish = [&](OpBuilder &nb, Value c, Value rsV, Value scaleV,
                      function_ref<Value(Value)> param) -> Value {
      Value y = arith::MulFOp::create(nb, l, c, rsV);
      if (gain)
        y = arith::MulFOp::create(nb, l, y, param(gain));
      if (bias)
        y = arith::AddFOp::create(nb, l, y, param(bias));
      if (rn.scale != 1.0)
        y = arith::MulFOp::create(nb, l, y, scaleV);
      return y;
    };
    // The kernel with lanes moving `w` elements per access.
    auto emitLaunch = [&](OpBuilder &b, int64_t w) {
      Value one = arith::ConstantIndexOp::create(b, l, 1);
      Value rows = rowCount(b);
      Value d = memref::DimOp::create(b, l, x, rank - 1);
      // One warp per row, `blockSize / 32` rows per block.
      int64_t warps = std::max<int64_t>(1, blockSize / 32);
      Value threads = arith::ConstantIndexOp::create(b, l, warps * 32);
      Value warpsV = arith::ConstantIndexOp::create(b, l, warps);
      Value blocks = arith::CeilDivUIOp::create(b, l, rows, warpsV);
      auto launch = gpu::LaunchOp::create(b, l, blocks, one, one, threads, one, one);
      OpBuilder kb = OpBuilder::atBlockBegin(&launch.getBody().front());
      KernelBuilder k{kb, l};
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
      auto at = rowIndexer(kb, l, x, rank, row);
      // Element (w == 1) or w-vector access at column j, in f32.
      VectorType vTy = VectorType::get({w}, et), vF32 = VectorType::get({w}, f32);
      Type accTy = w == 1 ? f32 : Type(vF32);
      auto load = [&](OpBuilder &nb, Location nl, Value buf,
                      ValueRange idx) -> Value {
        Value v = w == 1 ? memref::LoadOp::create(nb, nl, buf, idx).getResult()
                         : vector::LoadOp::create(nb, nl, vTy, buf, idx,
                                                  /*nontemporal=*/false,
                                                  llvm::MaybeAlign(16))
                               .getResult();
        return et.isF32() ? v : arith::ExtFOp::create(nb, nl, accTy, v);
      };
      auto store = [&](OpBuilder &nb, Location nl, Value v, Value buf,
                       ValueRange idx) {
        if (!et.isF32())
          v = arith::TruncFOp::create(nb, nl, w == 1 ? et : Type(vTy), v);
        if (w == 1)
          memref::StoreOp::create(nb, nl, v, buf, idx);
        else
          vector::StoreOp::create(nb, nl, v, buf, idx, /*nontemporal=*/false,
                                  llvm::MaybeAlign(16));
      };
      auto splat = [&](OpBuilder &nb, Location nl, Value s) -> Value {
        return w == 1 ? s : vector::BroadcastOp::create(nb, nl, vF32, s).getResult();
      };
      // The row's value at column j: x (or the rounded sum x + r, which the
      // first pass also stores).
      auto rowValue = [&](OpBuilder &nb, Location nl, Value j, bool first) {
        if (!res)
          return load(nb, nl, x, at(j));
        if (!first)
          return load(nb, nl, sumBuf, at(j));
        Value s = arith::AddFOp::create(nb, nl, load(nb, nl, x, at(j)),
                                        load(nb, nl, res, at(j)));
        store(nb, nl, s, sumBuf, at(j));
        // The norm reads the sum as stored (rounded to the storage type).
        return et.isF32() ? Value(s) : load(nb, nl, sumBuf, at(j));
      };
      Value zero = arith::ConstantOp::create(kb, l, kb.getF32FloatAttr(0.0));
      Value laneStart = arith::MulIOp::create(
          kb, l, lane, arith::ConstantIndexOp::create(kb, l, w));
      Value stride = arith::ConstantIndexOp::create(kb, l, 32 * w);
      // Warp-wide sum of f(row_j) over the row: strided per lane, then a
      // 5-step xor-shuffle butterfly (every lane ends with the total).
      auto rowSum = [&](bool first,
                        function_ref<Value(OpBuilder &, Location, Value)> f) {
        auto loop = scf::ForOp::create(
            kb, l, laneStart, d, stride, ValueRange{splat(kb, l, zero)},
            [&](OpBuilder &nb, Location nl, Value j, ValueRange acc) {
              Value v = rowValue(nb, nl, j, first);
              scf::YieldOp::create(
                  nb, nl, ValueRange{arith::AddFOp::create(nb, nl, acc[0], f(nb, nl, v))});
            });
        Value total = loop.getResult(0);
        if (w > 1)
          total = vector::ReductionOp::create(kb, l, vector::CombiningKind::ADD,
                                              total);
        return k.warpSum(total);
      };
      Value dF = arith::UIToFPOp::create(
          kb, l, f32, arith::IndexCastUIOp::create(kb, l, kb.getI64Type(), d));
      // LayerNorm: shift by the row's first element K so large-mean rows do
      // not cancel: dmu = sum(x - K) / d, x - mu = (x - K) - dmu (mu itself
      // is never formed: near 1e4 its f32 rounding alone is 5e-4),
      // var = mean(((x - K) - dmu)^2).
      Value shift, mu;
      bool first = true;
      if (rn.layer) {
        shift = rowShift(k, at);
        Value shiftV = splat(kb, l, shift);
        Value s1 = rowSum(first, [&](OpBuilder &nb, Location nl, Value v) {
          return arith::SubFOp::create(nb, nl, v, shiftV);
        });
        first = false;
        mu = arith::DivFOp::create(kb, l, s1, dF); // dmu
      }
      Value muV = mu ? splat(kb, l, mu) : Value();
      Value shiftVec = shift ? splat(kb, l, shift) : Value();
      // (x - K) - dmu.
      auto center = [&](OpBuilder &nb, Location nl, Value v) -> Value {
        return arith::SubFOp::create(nb, nl, arith::SubFOp::create(nb, nl, v, shiftVec), muV);
      };
      Value total = rowSum(first, [&](OpBuilder &nb, Location nl, Value v) -> Value {
        Value c = rn.layer ? center(nb, nl, v) : v;
        return arith::MulFOp::create(nb, nl, c, c);
      });
      Value rsV = splat(kb, l, rstd(k, total, dF));
      Value scaleV = splat(
          kb, l, arith::ConstantOp::create(kb, l, kb.getF32FloatAttr(rn.scale)));
      scf::ForOp::create(
          kb, l, laneStart, d, stride, ValueRange{},
          [&](OpBuilder &nb, Location nl, Value j, ValueRange) {
            Value v = rowValue(nb, nl, j, /*first=*/false);
            if (rn.layer)
              v = center(nb, nl, v);
            Value y = finish(nb, v, rsV, scaleV, [&](Value p) {
              return load(nb, nl, p, ValueRange{j});
            });
            store(nb, nl, y, out, at(j));
            scf::YieldOp::create(nb, nl);
          });
      kb.setInsertionPointAfter(guard);
      gpu::TerminatorOp::create(kb, l);
    };
    // One thread block per row with the row held in registers: `bt`
    // threads each keep `nvec` w-vectors, so x (and r) are read from memory
    // once and the normalized row is written from registers - memory traffic
    // is one read and one write, not one read per statistic plus the
    // output pass. Warp butterflies, then the warps' partial sums through
    // shared memory. For static rows of a multiple of 32 w-vectors, at most
    // 16 per thread (rows up to 16384 f32).
    int64_t bt = 0, nvec = 0;
    if (w > 1 && rowLen % (32 * w) == 0) {
      int64_t vecs = rowLen / w;
      bt = std::min<int64_t>(blockSize, 256);
      while (bt > 32 && vecs % bt != 0)
        bt /= 2;
      nvec = vecs / bt;
      if (vecs % bt != 0 || nvec > 16)
        bt = nvec = 0;
    }
    auto emitBlockRow = [&](OpBuilder &b) {
      Value rows = rowCount(b);
      Value one = arith::ConstantIndexOp::create(b, l, 1);
      int64_t warps = bt / 32;
      // The warps' partial sums of the two statistics in (dynamic) shared
      // memory: workgroup attributions would be taken for buffers by
      // ownership-based deallocation.
      Value smem = arith::ConstantIntOp::create(b, l, 2 * warps * 4, 32);
      auto launch = gpu::LaunchOp::create(
          b, l, rows, one, one, arith::ConstantIndexOp::create(b, l, bt), one, one, smem);
      OpBuilder kb = OpBuilder::atBlockBegin(&launch.getBody().front());
      KernelBuilder k{kb, l};
      Value dsm = dynamicSmem(k);
      Value red1 = smemView(k, dsm, 0, {warps}), red2 = smemView(k, dsm, warps, {warps});
      Value tid = launch.getThreadIds().x;
      Value lane = arith::RemUIOp::create(kb, l, tid, k.idx(32));
      Value warp = arith::DivUIOp::create(kb, l, tid, k.idx(32));
      auto at = rowIndexer(kb, l, x, rank, launch.getBlockIds().x);
      VectorType vTy = VectorType::get({w}, et), vF32 = VectorType::get({w}, f32);
      auto load = [&](Value buf, ValueRange idx) -> Value {
        Value v = vector::LoadOp::create(kb, l, vTy, buf, idx, false, llvm::MaybeAlign(16));
        return et.isF32() ? v : arith::ExtFOp::create(kb, l, vF32, v).getResult();
      };
      auto store = [&](Value v, Value buf, ValueRange idx) {
        if (!et.isF32())
          v = arith::TruncFOp::create(kb, l, vTy, v);
        vector::StoreOp::create(kb, l, v, buf, idx, false, llvm::MaybeAlign(16));
      };
      auto splatF = [&](Value sc) -> Value {
        return vector::BroadcastOp::create(kb, l, vF32, sc);
      };
      // Thread t holds columns (i * bt + t) * w .. + w - 1, i < nvec.
      SmallVector<Value> cols, vals;
      for (int64_t i = 0; i < nvec; ++i) {
        Value col = arith::MulIOp::create(
            kb, l, arith::AddIOp::create(kb, l, tid, k.idx(i * bt)), k.idx(w));
        cols.push_back(col);
        Value v = load(x, at(col));
        if (res) {
          v = arith::AddFOp::create(kb, l, v, load(res, at(col)));
          store(v, sumBuf, at(col));
          // The norm reads the sum as stored (rounded to the storage type).
          if (!et.isF32())
            v = arith::ExtFOp::create(
                kb, l, vF32, arith::TruncFOp::create(kb, l, vTy, v).getResult());
        }
        vals.push_back(v);
      }
      auto blockSum = [&](Value red, function_ref<Value(Value)> f) -> Value {
        Value part = splatF(arith::ConstantOp::create(kb, l, kb.getF32FloatAttr(0.0)));
        for (Value v : vals)
          part = arith::AddFOp::create(kb, l, part, f(v));
        Value t = k.warpSum(
            vector::ReductionOp::create(kb, l, vector::CombiningKind::ADD, part));
        auto first = scf::IfOp::create(
            kb, l, arith::CmpIOp::create(kb, l, arith::CmpIPredicate::eq, lane, k.idx(0)),
            false);
        {
          OpBuilder::InsertionGuard g(kb);
          kb.setInsertionPoint(first.thenBlock()->getTerminator());
          memref::StoreOp::create(kb, l, t, red, ValueRange{warp});
        }
        gpu::BarrierOp::create(kb, l);
        Value total = memref::LoadOp::create(kb, l, red, ValueRange{k.idx(0)});
        for (int64_t i = 1; i < warps; ++i)
          total = arith::AddFOp::create(
              kb, l, total, memref::LoadOp::create(kb, l, red, ValueRange{k.idx(i)}));
        return total;
      };
      Value dF = arith::ConstantOp::create(kb, l, kb.getF32FloatAttr(double(rowLen)));
      Value shiftV, muV;
      if (rn.layer) {
        // Shifted two-pass statistics from registers (as the warp kernel).
        shiftV = splatF(rowShift(k, at));
        Value s1 = blockSum(red1, [&](Value v) -> Value {
          return arith::SubFOp::create(kb, l, v, shiftV);
        });
        muV = splatF(arith::DivFOp::create(kb, l, s1, dF));
        for (Value &v : vals)
          v = arith::SubFOp::create(kb, l, arith::SubFOp::create(kb, l, v, shiftV), muV);
      }
      Value s2 = blockSum(red2, [&](Value v) -> Value {
        return arith::MulFOp::create(kb, l, v, v);
      });
      Value rsV = splatF(rstd(k, s2, dF));
      Value scaleV = splatF(k.f(rn.scale));
      for (int64_t i = 0; i < nvec; ++i)
        store(finish(kb, vals[i], rsV, scaleV,
                     [&](Value p) { return load(p, ValueRange{cols[i]}); }),
              out, at(cols[i]));
      gpu::TerminatorOp::create(kb, l);
    };
    if (w == 1) {
      emitLaunch(b, 1);
    } else {
      // 16-byte accesses need 16-byte aligned buffers (rows then stay
      // aligned: the row length is a multiple of 16 bytes). The runtime's
      // allocations are; a caller's pointer may not be: checked on the
      // host, with the scalar-lane kernel as the fallback.
      Value ok = arith::ConstantIntOp::create(b, l, 1, 1);
      Value c16 = arith::ConstantIndexOp::create(b, l, 16);
      Value c0i = arith::ConstantIndexOp::create(b, l, 0);
      for (Value buf : {x, res, gain, bias}) {
        if (!buf)
          continue;
        Value ptr = memref::ExtractAlignedPointerAsIndexOp::create(b, l, buf);
        Value aligned = arith::CmpIOp::create(
            b, l, arith::CmpIPredicate::eq,
            arith::RemUIOp::create(b, l, ptr, c16), c0i);
        ok = arith::AndIOp::create(b, l, ok, aligned);
      }
      auto choice = scf::IfOp::create(b, l, ok, /*withElse=*/true);
      OpBuilder tb = choice.getThenBodyBuilder();
      if (nvec)
        emitBlockRow(tb);
      else
        emitLaunch(tb, w);
      OpBuilder eb = choice.getElseBodyBuilder();
      emitLaunch(eb, 1);
    }
    if (res)
      return {toTensor(b, l, ty, sumBuf), toTensor(b, l, ty, out)};
    return {toTensor(b, l, ty, out)};
  }

  void runOnOperation() override {
    if (blockSize < 32 || blockSize > 1024 || blockSize % 32 != 0) {
      getOperation().emitError("lf-gpu-row-norms: block-size must be a "
                               "multiple of 32 (one warp per row) in [32, 1024], got ")
          << static_cast<int64_t>(blockSize);
      return signalPassFailure();
    }
    SmallVector<Operation *> ops;
    getOperation().walk([&](Operation *op) {
      if (isa<RMSNormOp, LayerNormOp, ResidualNormOp>(op))
        ops.push_back(op);
    });
    auto scaleOf = [](std::optional<APFloat> s) {
      return s ? s->convertToDouble() : 1.0;
    };
    for (Operation *op : ops) {
      RowNorm rn;
      if (auto rms = dyn_cast<RMSNormOp>(op)) {
        rn.input = rms.getInput();
        rn.gain = rms.getGain();
        rn.eps = rms.getEps().convertToDouble();
        rn.scale = scaleOf(rms.getScale());
      } else if (auto ln = dyn_cast<LayerNormOp>(op)) {
        rn.input = ln.getInput();
        rn.gain = ln.getGain();
        rn.bias = ln.getBias();
        rn.layer = true;
        rn.eps = ln.getEps().convertToDouble();
        rn.scale = scaleOf(ln.getScale());
      } else {
        auto r = cast<ResidualNormOp>(op);
        rn.input = r.getInput();
        rn.residual = r.getResidual();
        rn.gain = r.getGain();
        rn.bias = r.getBias();
        rn.layer = r.getKind() == NormKind::layer;
        rn.eps = r.getEps().convertToDouble();
        rn.scale = scaleOf(r.getScale());
      }
      SmallVector<Value> results = rewrite(op, rn);
      for (auto [old, now] : llvm::zip(op->getResults(), results))
        old.replaceAllUsesWith(now);
      op->erase();
    }
  }
};
} // namespace
