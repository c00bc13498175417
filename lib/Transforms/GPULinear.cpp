//===- GPULinear.cpp - tiled GEMM kernels with fused epilogues ------------===//
//
// Part of lightfuse.
//
// lf.linear as a shared-memory tiled SIMT GEMM (64x64 output tiles, K in
// steps of 16, 4x4 outputs per thread), with the bias and a following
// lf.activation in its epilogue; lf.glu of two lf.linear of the same input
// as one kernel accumulating both projections and writing act(gate) * up
// (the projections never reach memory).
//
//===----------------------------------------------------------------------===//

#include "lightfuse/Transforms/Passes.h"

#include "GPUKernelBuilder.h"

#include "lightfuse/Conversion/Passes.h"

#include "dialects/lf/LFOps.h"

#include "mlir/Dialect/Math/IR/Math.h"

namespace mlir::lf {
#define GEN_PASS_DEF_GPULINEARPASS
#include "lightfuse/Transforms/Passes.h.inc"
} // namespace mlir::lf

using namespace mlir;
using namespace mlir::lf;

namespace {

constexpr int64_t kTile = 64;   // output rows and columns per thread block
constexpr int64_t kStep = 16;   // K per shared-memory stage
constexpr int64_t kThreads = 256;
constexpr int64_t kPad = kTile + 1; // shared row stride (floats)

/// One kernel: y = epilogue(x W1^T (+ b1) [, x W2^T (+ b2)]).
struct Gemm {
  LinearOp first, second; // second: the GLU's up projection
  ActivationKind act = ActivationKind::identity;
  Operation *root;        // the op whose result the kernel replaces
};

struct GPULinearPass : lf::impl::GPULinearPassBase<GPULinearPass> {
  using Base::Base;

  LogicalResult decline(Operation *op, const Twine &why) {
    if (explain)
      op->emitRemark("lf-gpu-linear: ") << why;
    return failure();
  }

  LogicalResult check(LinearOp op) {
    auto xTy = cast<RankedTensorType>(op.getInput().getType());
    if (xTy.getRank() < 2)
      return decline(op, "a rank-1 input keeps the generic lowering");
    if (op.getBias() && cast<RankedTensorType>(op.getBias().getType()).getRank() != 1)
      return decline(op, "a bias that is not [N] keeps the generic lowering");
    return success();
  }

  void rewrite(Gemm g) {
    Operation *root = g.root;
    OpBuilder b(root);
    Location l = root->getLoc();
    KB h{b, l};
    LinearOp a = g.first;
    auto xTy = cast<RankedTensorType>(a.getInput().getType());
    auto yTy = cast<RankedTensorType>(root->getResult(0).getType());
    unsigned r = xTy.getRank();
    Value x = toBuffer(b, l, a.getInput());
    Value w1 = toBuffer(b, l, a.getWeight());
    Value b1 = a.getBias() ? toBuffer(b, l, a.getBias()) : Value();
    Value w2, b2;
    if (g.second) {
      w2 = toBuffer(b, l, g.second.getWeight());
      if (g.second.getBias())
        b2 = toBuffer(b, l, g.second.getBias());
    }
    SmallVector<Value> dyn;
    for (unsigned i = 0; i < r; ++i)
      if (yTy.isDynamicDim(i))
        dyn.push_back(memref::DimOp::create(b, l, i + 1 < r ? x : w1, i + 1 < r ? i : 0));
    Value out = memref::AllocOp::create(
        b, l, MemRefType::get(yTy.getShape(), yTy.getElementType()), dyn);
    // [..., K] -> [M, K], [..., N] -> [M, N].
    SmallVector<ReassociationIndices> re(2);
    for (unsigned i = 0; i + 1 < r; ++i)
      re[0].push_back(i);
    re[1].push_back(r - 1);
    Value x2 = r == 2 ? x : memref::CollapseShapeOp::create(b, l, x, re).getResult();
    Value y2 = r == 2 ? out : memref::CollapseShapeOp::create(b, l, out, re).getResult();
    Value m = memref::DimOp::create(b, l, x2, 0);
    Value kDim = memref::DimOp::create(b, l, x2, 1);
    Value n = memref::DimOp::create(b, l, w1, 0);
    Value tileV = h.idx(kTile);
    Value gx = arith::CeilDivUIOp::create(b, l, n, tileV);
    Value gy = arith::CeilDivUIOp::create(b, l, m, tileV);
    int64_t operands = g.second ? 3 : 2;
    int64_t smemBytes = operands * kStep * kPad * 4;
    Value smem = arith::ConstantIntOp::create(b, l, smemBytes, 32);
    auto launch = gpu::LaunchOp::create(b, l, gx, gy, h.idx(1), h.idx(kThreads),
                                        h.idx(1), h.idx(1), smem);
    OpBuilder kb = OpBuilder::atBlockBegin(&launch.getBody().front());
    KB k{kb, l};
    Value tid = launch.getThreadIds().x;
    Value c16 = k.idx(16);
    Value tx = k.rem(tid, c16), ty = k.div(tid, c16);
    Value n0 = k.mul(launch.getBlockIds().x, tileV);
    Value m0 = k.mul(launch.getBlockIds().y, tileV);
    Value dsm = dynamicSmem(k);
    // Stages stored k-major ([kStep][tile + 1]) so the 4x4 register tiles
    // read rows ty + 16 i and columns tx + 16 j without bank conflicts.
    Value xs = smemView(k, dsm, 0, {kStep, kPad});
    Value ws1 = smemView(k, dsm, kStep * kPad, {kStep, kPad});
    Value ws2 = g.second ? smemView(k, dsm, 2 * kStep * kPad, {kStep, kPad}) : Value();
    int64_t nAcc = g.second ? 32 : 16;
    SmallVector<Value> zero(nAcc, k.f(0.0));
    Value stepV = k.idx(kStep);
    // Loads a tile x stage of `src` rows [r0, r0 + 64) into `dst` (k-major),
    // zero past the ends; consecutive threads read consecutive k.
    auto stage = [&](Value src, Value rows, Value r0, Value k0, Value dst) {
      k.loop(tid, k.idx(kTile * kStep), k.idx(kThreads), [&](Value idx) {
        Value rr = k.div(idx, stepV), cc = k.rem(idx, stepV);
        Value row = k.add(r0, rr), col = k.add(k0, cc);
        Value in = arith::AndIOp::create(kb, l, k.lt(row, rows), k.lt(col, kDim));
        Value v = k.ifElseZero(in, [&] { return k.toF32(k.load(src, {row, col})); });
        k.store(v, dst, {cc, rr});
      });
    };
    auto mainLoop = scf::ForOp::create(kb, l, k.idx(0), kDim, stepV, zero);
    {
      OpBuilder::InsertionGuard guard(kb);
      kb.setInsertionPointToStart(mainLoop.getBody());
      Value k0 = mainLoop.getInductionVar();
      stage(x2, m, m0, k0, xs);
      stage(w1, n, n0, k0, ws1);
      if (g.second)
        stage(w2, n, n0, k0, ws2);
      k.barrier();
      SmallVector<Value> acc = k.sum(k.idx(0), stepV, mainLoop.getRegionIterArgs(),
                                     [&](Value kk, ValueRange a) {
        SmallVector<Value> xa, wa, wb, next;
        for (int64_t i = 0; i < 4; ++i) {
          xa.push_back(k.load(xs, {kk, k.add(ty, k.idx(16 * i))}));
          wa.push_back(k.load(ws1, {kk, k.add(tx, k.idx(16 * i))}));
          if (g.second)
            wb.push_back(k.load(ws2, {kk, k.add(tx, k.idx(16 * i))}));
        }
        for (int64_t i = 0; i < 4; ++i)
          for (int64_t j = 0; j < 4; ++j)
            next.push_back(math::FmaOp::create(kb, l, xa[i], wa[j], a[i * 4 + j]));
        if (g.second)
          for (int64_t i = 0; i < 4; ++i)
            for (int64_t j = 0; j < 4; ++j)
              next.push_back(
                  math::FmaOp::create(kb, l, xa[i], wb[j], a[16 + i * 4 + j]));
        return next;
      });
      k.barrier();
      scf::YieldOp::create(kb, l, acc);
    }
    Type et = yTy.getElementType();
    for (int64_t i = 0; i < 4; ++i)
      for (int64_t j = 0; j < 4; ++j) {
        Value row = k.add(m0, k.add(ty, k.idx(16 * i)));
        Value col = k.add(n0, k.add(tx, k.idx(16 * j)));
        Value in = arith::AndIOp::create(kb, l, k.lt(row, m), k.lt(col, n));
        auto st = scf::IfOp::create(kb, l, in, false);
        OpBuilder::InsertionGuard guard(kb);
        kb.setInsertionPoint(st.thenBlock()->getTerminator());
        Value v = mainLoop.getResult(i * 4 + j);
        if (b1)
          v = k.fadd(v, k.toF32(k.load(b1, {col})));
        v = emitActivationF32(kb, l, g.act, v);
        if (g.second) {
          Value u = mainLoop.getResult(16 + i * 4 + j);
          if (b2)
            u = k.fadd(u, k.toF32(k.load(b2, {col})));
          v = k.fmul(v, u);
        }
        k.store(k.fromF32(v, et), y2, {row, col});
      }
    gpu::TerminatorOp::create(kb, l);
    root->getResult(0).replaceAllUsesWith(toTensor(b, l, yTy, out));
    root->erase();
    if (g.second && g.second->use_empty())
      g.second->erase();
    if (a != root && a->use_empty())
      a->erase();
  }

  void runOnOperation() override {
    SmallVector<Gemm> gemms;
    DenseSet<Operation *> taken;
    getOperation().walk([&](GluOp glu) {
      auto gate = glu.getGate().getDefiningOp<LinearOp>();
      auto up = glu.getUp().getDefiningOp<LinearOp>();
      if (!gate || !up || gate == up || gate.getInput() != up.getInput() ||
          !gate->hasOneUse() || !up->hasOneUse() ||
          gate.getWeight().getType() != up.getWeight().getType()) {
        (void)decline(glu, "not act(x W1^T) * (x W2^T) of one input: the "
                           "projections are separate kernels");
        return;
      }
      if (failed(check(gate)) || failed(check(up)))
        return;
      Gemm g{gate, up, ActivationKind::identity, glu};
      g.act = symbolizeActivationKind(stringifyEnum(glu.getActivation()))
                  .value_or(ActivationKind::identity);
      gemms.push_back(g);
      taken.insert(gate);
      taken.insert(up);
    });
    getOperation().walk([&](LinearOp op) {
      if (taken.contains(op) || failed(check(op)))
        return;
      Gemm g{op, LinearOp(), ActivationKind::identity, op};
      if (op->hasOneUse())
        if (auto act = dyn_cast<ActivationOp>(*op->user_begin())) {
          g.act = act.getKind();
          g.root = act;
        }
      gemms.push_back(g);
    });
    for (Gemm &g : gemms)
      rewrite(g);
  }
};
} // namespace
