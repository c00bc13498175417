//===- GPULinear.cpp - tiled GEMM kernels with fused epilogues ------------===//
//
// Part of lightfuse.
//
// lf.linear as a shared-memory tiled SIMT GEMM (64x64 output tiles, K in
// steps of 16, 4x4 outputs per thread), with the bias and a following
// lf.activation in its epilogue; lf.glu of two lf.linear of the same input
// as one kernel accumulating both projections and writing act(gate) * up
// (the projections never reach memory). lf.norm_linear (rms or layer) is
// the same kernel with the row statistics computed in its prologue (one warp
// per row, shuffle reductions), the centring applied as x is staged and rstd
// in the epilogue.
//
//===----------------------------------------------------------------------===//

#include "lightfuse/Conversion/LFToGPU/Passes.h"
#include "PassDetail.h"

#include "KernelBuilder.h"

#include "lightfuse/Conversion/Common/Expansions.h"
#include "lightfuse/Conversion/Common/ScalarMath.h"

#include "dialects/lf/LFOps.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

namespace mlir::lf {
#define GEN_PASS_DEF_GPULINEARPASS
#include "lightfuse/Conversion/LFToGPU/Passes.h.inc"
} // namespace mlir::lf

using namespace mlir;
using namespace mlir::lf;

namespace {

constexpr int64_t kTile = 64;   // output rows and columns per thread block
constexpr int64_t kStep = 16;   // K per shared-memory stage
constexpr int64_t kThreads = 256;
constexpr int64_t kPad = kTile + 4; // shared row stride (floats, 16-byte rows)

/// One projection x W^T (+ b), optionally of norm(x) (lf.norm_linear).
struct Proj {
  Operation *op = nullptr;
  Value x, w, bias;
  std::optional<NormKind> norm;
  double eps = 0.0;

  static std::optional<Proj> of(Value v) {
    Proj p;
    if (auto l = v.getDefiningOp<LinearOp>()) {
      p = {l, l.getInput(), l.getWeight(), l.getBias(), std::nullopt, 0.0};
      return p;
    }
    if (auto n = v.getDefiningOp<NormLinearOp>()) {
      p = {n, n.getInput(), n.getWeight(), n.getBias(), n.getKind(),
           n.getEps().convertToDouble()};
      return p;
    }
    return std::nullopt;
  }
};

/// One kernel: y = epilogue(p1 [, p2]) with p2 the GLU's up projection.
/// Holds ops, not values: an earlier kernel may replace this one's input.
struct Gemm {
  Operation *first, *second;
  ActivationKind act = ActivationKind::identity;
  Operation *root; // the op whose result the kernel replaces
};

struct GPULinearPass : lf::impl::GPULinearPassBase<GPULinearPass> {
  using Base::Base;

  LogicalResult decline(Operation *op, const Twine &why) {
    return declineKernel(explain, getArgument(), op, why);
  }

  LogicalResult check(const Proj &p) {
    auto xTy = cast<RankedTensorType>(p.x.getType());
    if (xTy.getRank() < 2)
      return decline(p.op, "a rank-1 input keeps the generic lowering");
    if (p.bias && cast<RankedTensorType>(p.bias.getType()).getRank() != 1)
      return decline(p.op, "a bias that is not [N] keeps the generic lowering");
    return success();
  }

  void rewrite(Gemm g) {
    Operation *root = g.root;
    OpBuilder b(root);
    Location l = root->getLoc();
    KernelBuilder h{b, l};
    const Proj a = *Proj::of(g.first->getResult(0));
    std::optional<Proj> second;
    if (g.second)
      second = Proj::of(g.second->getResult(0));
    auto xTy = cast<RankedTensorType>(a.x.getType());
    auto yTy = cast<RankedTensorType>(root->getResult(0).getType());
    unsigned r = xTy.getRank();
    Value x = toBuffer(b, l, a.x);
    Value w1 = toBuffer(b, l, a.w);
    Value b1 = a.bias ? toBuffer(b, l, a.bias) : Value();
    Value w2, b2;
    if (second) {
      w2 = toBuffer(b, l, second->w);
      if (second->bias)
        b2 = toBuffer(b, l, second->bias);
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
    // + the tile rows' shift, mean and rstd for a norm.
    int64_t statsOff = operands * kStep * kPad;
    int64_t smemBytes = (statsOff + (a.norm ? 3 * kTile : 0)) * 4;
    Value smem = arith::ConstantIntOp::create(b, l, smemBytes, 32);
    auto launch = gpu::LaunchOp::create(b, l, gx, gy, h.idx(1), h.idx(kThreads),
                                        h.idx(1), h.idx(1), smem);
    OpBuilder kb = OpBuilder::atBlockBegin(&launch.getBody().front());
    KernelBuilder k{kb, l};
    Value tid = launch.getThreadIds().x;
    Value c16 = k.idx(16);
    Value tx = k.rem(tid, c16), ty = k.div(tid, c16);
    Value n0 = k.mul(launch.getBlockIds().x, tileV);
    Value m0 = k.mul(launch.getBlockIds().y, tileV);
    Value dsm = dynamicSmem(k);
    // Stages stored k-major ([kStep][tile + 4]): thread (tx, ty) owns rows
    // 4 ty .. 4 ty + 3 and columns 4 tx .. 4 tx + 3, read per k as one
    // 16-byte vector each (ld.shared.v4: 2 loads per 16 FMAs; the x reads
    // are broadcasts, the W reads contiguous).
    Value xs = smemView(k, dsm, 0, {kStep, kPad});
    Value ws1 = smemView(k, dsm, kStep * kPad, {kStep, kPad});
    Value ws2 = g.second ? smemView(k, dsm, 2 * kStep * kPad, {kStep, kPad}) : Value();
    Value shiftS, muS, rstdS;
    if (a.norm) {
      shiftS = smemView(k, dsm, statsOff, {kTile});
      muS = smemView(k, dsm, statsOff + kTile, {kTile});
      rstdS = smemView(k, dsm, statsOff + 2 * kTile, {kTile});
      rowStats(k, tid, x2, m, m0, kDim, *a.norm, a.eps, shiftS, muS, rstdS);
      k.barrier();
    }
    int64_t nAcc = g.second ? 32 : 16;
    SmallVector<Value> zero(nAcc, k.f(0.0));
    Value stepV = k.idx(kStep);
    // Loads a tile x stage of `src` rows [r0, r0 + 64) into `dst` (k-major),
    // zero past the ends; consecutive threads read consecutive k.
    // `shift`, `dmu`: LayerNorm's (x - K) - dmu, applied as x is staged.
    auto stage = [&](Value src, Value rows, Value r0, Value k0, Value dst, Value shift,
                     Value dmu) {
      k.loop(tid, k.idx(kTile * kStep), k.idx(kThreads), [&](Value idx) {
        Value rr = k.div(idx, stepV), cc = k.rem(idx, stepV);
        Value row = k.add(r0, rr), col = k.add(k0, cc);
        Value in = arith::AndIOp::create(kb, l, k.lt(row, rows), k.lt(col, kDim));
        Value v = k.ifElseZero(in, [&] {
          Value e = k.toF32(k.load(src, {row, col}));
          if (!shift)
            return e;
          Value c = arith::SubFOp::create(kb, l, e, k.load(shift, {rr}));
          return arith::SubFOp::create(kb, l, c, k.load(dmu, {rr})).getResult();
        });
        k.store(v, dst, {cc, rr});
      });
    };
    auto mainLoop = scf::ForOp::create(kb, l, k.idx(0), kDim, stepV, zero);
    {
      OpBuilder::InsertionGuard guard(kb);
      kb.setInsertionPointToStart(mainLoop.getBody());
      Value k0 = mainLoop.getInductionVar();
      bool center = a.norm == NormKind::layer;
      stage(x2, m, m0, k0, xs, center ? shiftS : Value(), center ? muS : Value());
      stage(w1, n, n0, k0, ws1, Value(), Value());
      if (g.second)
        stage(w2, n, n0, k0, ws2, Value(), Value());
      k.barrier();
      // The 16 k steps of a stage, unrolled (the backend keeps a loop with
      // 32 carried accumulators rolled).
      auto step = [&](Value kk, ValueRange a) {
        SmallVector<Value> xa, wa, wb, next;
        auto quad = [&](Value buf, Value t, SmallVectorImpl<Value> &dst) {
          Value v = vector::LoadOp::create(kb, l, VectorType::get({4}, kb.getF32Type()), buf,
                                           ValueRange{kk, k.mul(t, k.idx(4))},
                                           /*nontemporal=*/false, llvm::MaybeAlign(16));
          for (int64_t e = 0; e < 4; ++e)
            dst.push_back(vector::ExtractOp::create(kb, l, v, ArrayRef<int64_t>{e}));
        };
        quad(xs, ty, xa);
        quad(ws1, tx, wa);
        if (g.second)
          quad(ws2, tx, wb);
        for (int64_t i = 0; i < 4; ++i)
          for (int64_t j = 0; j < 4; ++j)
            next.push_back(math::FmaOp::create(kb, l, xa[i], wa[j], a[i * 4 + j]));
        if (g.second)
          for (int64_t i = 0; i < 4; ++i)
            for (int64_t j = 0; j < 4; ++j)
              next.push_back(
                  math::FmaOp::create(kb, l, xa[i], wb[j], a[16 + i * 4 + j]));
        return next;
      };
      SmallVector<Value> acc(mainLoop.getRegionIterArgs());
      for (int64_t kk = 0; kk < kStep; ++kk)
        acc = step(k.idx(kk), acc);
      k.barrier();
      scf::YieldOp::create(kb, l, acc);
    }
    Type et = yTy.getElementType();
    for (int64_t i = 0; i < 4; ++i)
      for (int64_t j = 0; j < 4; ++j) {
        Value row = k.add(m0, k.add(k.mul(ty, k.idx(4)), k.idx(i)));
        Value col = k.add(n0, k.add(k.mul(tx, k.idx(4)), k.idx(j)));
        Value in = arith::AndIOp::create(kb, l, k.lt(row, m), k.lt(col, n));
        auto st = scf::IfOp::create(kb, l, in, false);
        OpBuilder::InsertionGuard guard(kb);
        kb.setInsertionPoint(st.thenBlock()->getTerminator());
        Value rs = a.norm ? k.load(rstdS, {k.sub(row, m0)}) : Value();
        Value v = mainLoop.getResult(i * 4 + j);
        if (rs)
          v = k.fmul(v, rs);
        if (b1)
          v = k.fadd(v, k.toF32(k.load(b1, {col})));
        v = emitActivationF32(kb, l, g.act, v);
        if (g.second) {
          Value u = mainLoop.getResult(16 + i * 4 + j);
          if (rs)
            u = k.fmul(u, rs);
          if (b2)
            u = k.fadd(u, k.toF32(k.load(b2, {col})));
          v = k.fmul(v, u);
        }
        k.store(k.fromF32(v, et), y2, {row, col});
      }
    gpu::TerminatorOp::create(kb, l);
    root->getResult(0).replaceAllUsesWith(toTensor(b, l, yTy, out));
    root->erase();
    for (Operation *p : {g.second, g.first})
      if (p && p != root && p->use_empty())
        p->erase();
  }

  /// LayerNorm's shift K (the row's first element) and dmu = mean(x - K),
  /// and rstd, of the tile's rows [m0, m0 + 64) into shared memory (mu is
  /// never formed: x - mu = (x - K) - dmu keeps large-mean rows exact):
  /// warp w takes rows w, w + 8, ...; lanes stride over the row, 5-step xor
  /// shuffles combine them. Rows past the end get zeros (their loops run no
  /// iterations).
  void rowStats(KernelBuilder &k, Value tid, Value x, Value m, Value m0, Value kDim,
                NormKind kind, double eps, Value shiftS, Value muS, Value rstdS) {
    OpBuilder &kb = k.b;
    Location l = k.l;
    Value lane = k.rem(tid, k.idx(32)), warp = k.div(tid, k.idx(32));
    int64_t warps = kThreads / 32;
    k.loop(k.idx(0), k.idx(kTile / warps), k.idx(1), [&](Value it) {
      Value rr = k.add(k.mul(it, k.idx(warps)), warp);
      Value row = k.add(m0, rr);
      Value in = k.lt(row, m);
      Value end = arith::SelectOp::create(kb, l, in, kDim, k.idx(0));
      auto warpSum = [&](function_ref<Value(Value)> f) {
        Value s = k.sum(lane, end, {k.f(0.0)}, [&](Value c, ValueRange a) {
          return SmallVector<Value>{k.fadd(a[0], f(k.toF32(k.load(x, {row, c}))))};
        }, k.idx(32))[0];
        return k.warpSum(s);
      };
      Value kF = arith::UIToFPOp::create(
          kb, l, kb.getF32Type(),
          arith::IndexCastUIOp::create(kb, l, kb.getI64Type(), kDim));
      Value shift = k.f(0.0), mu = k.f(0.0);
      if (kind == NormKind::layer) {
        shift = k.ifElseZero(in, [&] { return k.toF32(k.load(x, {row, k.idx(0)})); });
        Value s1 = warpSum([&](Value v) { return arith::SubFOp::create(kb, l, v, shift); });
        mu = arith::DivFOp::create(kb, l, s1, kF);
      }
      Value s2 = warpSum([&](Value v) {
        if (kind != NormKind::layer)
          return k.fmul(v, v);
        Value c = arith::SubFOp::create(kb, l, arith::SubFOp::create(kb, l, v, shift), mu);
        return k.fmul(c, c);
      });
      Value rstd = math::RsqrtOp::create(
          kb, l, k.fadd(arith::DivFOp::create(kb, l, s2, kF), k.f(eps)));
      rstd = arith::SelectOp::create(kb, l, in, rstd, k.f(0.0));
      auto first = scf::IfOp::create(kb, l, k.lt(lane, k.idx(1)), false);
      OpBuilder::InsertionGuard g(kb);
      kb.setInsertionPoint(first.thenBlock()->getTerminator());
      k.store(shift, shiftS, {rr});
      k.store(mu, muS, {rr});
      k.store(rstd, rstdS, {rr});
    });
  }

  void runOnOperation() override {
    SmallVector<Gemm> gemms;
    DenseSet<Operation *> taken;
    getOperation().walk([&](GluOp glu) {
      std::optional<Proj> gate = Proj::of(glu.getGate()), up = Proj::of(glu.getUp());
      if (!gate || !up || gate->op == up->op || gate->x != up->x ||
          !gate->op->hasOneUse() || !up->op->hasOneUse() ||
          gate->w.getType() != up->w.getType() || gate->norm != up->norm ||
          gate->eps != up->eps) {
        (void)decline(glu, "not act(x W1^T) * (x W2^T) of one input: the "
                           "projections are separate kernels");
        return;
      }
      if (failed(check(*gate)) || failed(check(*up)))
        return;
      Gemm g{gate->op, up->op, ActivationKind::identity, glu};
      g.act = symbolizeActivationKind(stringifyEnum(glu.getActivation()))
                  .value_or(ActivationKind::identity);
      gemms.push_back(g);
      taken.insert(gate->op);
      taken.insert(up->op);
    });
    getOperation().walk([&](Operation *op) {
      if (!isa<LinearOp, NormLinearOp>(op) || taken.contains(op))
        return;
      std::optional<Proj> p = Proj::of(op->getResult(0));
      if (failed(check(*p)))
        return;
      Gemm g{op, nullptr, ActivationKind::identity, op};
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
