//===- GPUEmulate.cpp - run gpu.launch kernels on the host ----------------===//
//
// Part of lightfuse.
//
// Replaces each gpu.launch by host loops with the same semantics, so that
// hand-written kernels (lf-gpu-row-norms, lf-gpu-linear-attention,
// lf-gpu-linear) are checked
// numerically on machines without a GPU. Blocks run one after the other;
// within a block the body is cut at every synchronization point (gpu.barrier,
// gpu.shuffle, or a region op containing one) into segments, and each segment
// runs as a loop over all threads of the block. Per-thread values that cross
// a cut are kept in one slot per thread (or recomputed, for pure ops); loops
// and ifs that contain a cut are executed once at block level (their bounds
// and conditions must be the same for every thread of the block; a
// condition that differs between threads - warp-uniform - guards each
// segment of its region instead).
//
//===----------------------------------------------------------------------===//

#include "lightfuse/Codegen/GPU/Passes.h"
#include "PassDetail.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/RegionUtils.h"

namespace mlir::lf {
#define GEN_PASS_DEF_GPUEMULATEPASS
#include "lightfuse/Codegen/GPU/Passes.h.inc"
} // namespace mlir::lf

using namespace mlir;

namespace {

/// A gpu address space dropped from memref types: host buffers replace
/// workgroup memory.
Type stripGpuSpace(Type t) {
  auto m = dyn_cast<MemRefType>(t);
  if (!m || !isa_and_nonnull<gpu::AddressSpaceAttr>(m.getMemorySpace()))
    return t;
  return MemRefType::get(m.getShape(), m.getElementType(), m.getLayout());
}

/// Host buffers aligned for any vector a slot may hold (a vector<8xf32>
/// element is loaded with its natural 32-byte alignment) and for the
/// kernels' 16-byte shared-memory accesses.
IntegerAttr kAlign(OpBuilder &b) { return b.getI64IntegerAttr(64); }

bool isSpillable(Type t) {
  if (auto v = dyn_cast<VectorType>(t))
    return !v.isScalable() && v.getRank() == 1;
  return t.isIntOrIndexOrFloat();
}

class Emulator {
public:
  explicit Emulator(gpu::LaunchOp launch) : launch(launch), loc(launch.getLoc()) {}

  LogicalResult run() {
    if (!launch.getAsyncDependencies().empty() || launch.getAsyncToken())
      return launch.emitOpError("lf-gpu-emulate: asynchronous launches are not supported");
    if (launch.hasClusterSize())
      return launch.emitOpError("lf-gpu-emulate: clusters are not supported");
    if (!launch.getPrivateAttributions().empty())
      return launch.emitOpError("lf-gpu-emulate: private attributions are not supported");
    launch.getBody().walk([&](Operation *op) {
      if (isa<gpu::BarrierOp, gpu::ShuffleOp>(op))
        for (Operation *p = op; p && p != launch; p = p->getParentOp())
          syncOps.insert(p);
    });
    OpBuilder b(launch);
    Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
    Value c1 = arith::ConstantIndexOp::create(b, loc, 1);
    gpu::KernelDim3 bs = launch.getBlockSizeOperandValues();
    gpu::KernelDim3 gs = launch.getGridSizeOperandValues();
    bdim = {bs.x, bs.y, bs.z};
    nThreads = arith::MulIOp::create(b, loc, arith::MulIOp::create(b, loc, bs.x, bs.y), bs.z);
    IRMapping uni;
    gpu::KernelDim3 bsArgs = launch.getBlockSize(), gsArgs = launch.getGridSize();
    uni.map(bsArgs.x, bs.x);
    uni.map(bsArgs.y, bs.y);
    uni.map(bsArgs.z, bs.z);
    uni.map(gsArgs.x, gs.x);
    uni.map(gsArgs.y, gs.y);
    uni.map(gsArgs.z, gs.z);
    gpu::KernelDim3 tids = launch.getThreadIds();
    tidArgs = {tids.x, tids.y, tids.z};
    for (BlockArgument a : launch.getWorkgroupAttributions()) {
      auto ty = cast<MemRefType>(stripGpuSpace(a.getType()));
      if (!ty.hasStaticShape())
        return launch.emitOpError("lf-gpu-emulate: dynamic workgroup attribution");
      uni.map(a, alloc(b, ty, {}));
    }
    // Every gpu.dynamic_shared_memory aliases one host buffer.
    Value dynSmem;
    WalkResult wr = launch.getBody().walk([&](gpu::DynamicSharedMemoryOp op) {
      if (!dynSmem) {
        if (!launch.getDynamicSharedMemorySize())
          return WalkResult::interrupt();
        Value bytes = arith::IndexCastOp::create(
            b, loc, b.getIndexType(), launch.getDynamicSharedMemorySize());
        dynSmem = alloc(b, cast<MemRefType>(stripGpuSpace(op.getType())), bytes);
      }
      uni.map(op.getResult(), dynSmem);
      return WalkResult::advance();
    });
    if (wr.wasInterrupted())
      return launch.emitOpError("lf-gpu-emulate: gpu.dynamic_shared_memory without a size");
    // Blocks, sequentially.
    auto lz = scf::ForOp::create(b, loc, c0, gs.z, c1);
    OpBuilder zb = OpBuilder::atBlockTerminator(lz.getBody());
    auto ly = scf::ForOp::create(zb, loc, c0, gs.y, c1);
    OpBuilder yb = OpBuilder::atBlockTerminator(ly.getBody());
    auto lx = scf::ForOp::create(yb, loc, c0, gs.x, c1);
    OpBuilder xb = OpBuilder::atBlockTerminator(lx.getBody());
    gpu::KernelDim3 bids = launch.getBlockIds();
    uni.map(bids.x, lx.getInductionVar());
    uni.map(bids.y, ly.getInductionVar());
    uni.map(bids.z, lz.getInductionVar());
    blockIvs = {lx.getInductionVar(), ly.getInductionVar(), lz.getInductionVar()};
    gridDims = {gs.x, gs.y, gs.z};
    if (failed(emitBlock(launch.getBody().front(), xb, uni, {}, {})))
      return failure();
    // Host buffers stand for workgroup memory: drop gpu address spaces.
    lz.walk([](Operation *op) {
      for (Value r : op->getResults())
        r.setType(stripGpuSpace(r.getType()));
      for (Region &reg : op->getRegions())
        for (Block &blk : reg)
          for (BlockArgument a : blk.getArguments())
            a.setType(stripGpuSpace(a.getType()));
    });
    // Everything the emulation allocated is freed when the launch completes
    // (also inside host loops, and after buffer deallocation has run).
    OpBuilder after(launch);
    for (Value m : allocated)
      memref::DeallocOp::create(after, loc, m);
    launch.erase();
    return success();
  }

private:
  /// A per-thread condition guarding a segment (`negate`: its else region).
  struct Guard {
    Value cond;
    bool negate;
  };

  gpu::LaunchOp launch;
  Location loc;
  OpBuilder allocB{launch};
  Value nThreads;
  SmallVector<Value, 3> bdim, tidArgs, blockIvs, gridDims;
  DenseSet<Operation *> syncOps;
  /// Launch-body value -> memref<nThreads x type>, one slot per thread.
  DenseMap<Value, Value> spills;
  DenseMap<Value, bool> recomputable;
  /// Host buffers of slots and shared memory, freed after the launch.
  SmallVector<Value> allocated;

  Value alloc(OpBuilder &b, MemRefType ty, Value size) {
    Value m = memref::AllocOp::create(b, loc, ty, size ? ValueRange{size} : ValueRange{},
                                      kAlign(b));
    allocated.push_back(m);
    return m;
  }
  /// The thread index of the segment being emitted.
  Value curT;

  bool inKernel(Value v) {
    return launch.getBody().isAncestor(v.getParentRegion());
  }

  Value spillSlot(Type t) {
    auto ty = MemRefType::get({ShapedType::kDynamic}, t);
    // Slots are allocated as the cuts are found, before all the loops.
    allocB.setInsertionPointAfter(nThreads.getDefiningOp());
    return alloc(allocB, ty, nThreads);
  }

  /// Maps gpu.thread_id/block_id/block_dim/grid_dim ops.
  std::optional<Value> idOp(Operation *op, IRMapping &local) {
    auto pick = [](ArrayRef<Value> v, gpu::Dimension d) {
      return v[static_cast<unsigned>(d)];
    };
    if (auto o = dyn_cast<gpu::ThreadIdOp>(op))
      return local.lookupOrNull(pick(tidArgs, o.getDimension()));
    if (auto o = dyn_cast<gpu::BlockIdOp>(op))
      return pick(blockIvs, o.getDimension());
    if (auto o = dyn_cast<gpu::BlockDimOp>(op))
      return pick(bdim, o.getDimension());
    if (auto o = dyn_cast<gpu::GridDimOp>(op))
      return pick(gridDims, o.getDimension());
    return std::nullopt;
  }

  /// The host value of kernel value `v` in the current context: mapped,
  /// loaded from its per-thread slot (`perThread`), or recomputed from its
  /// pure defining op. Null when impossible (e.g. a thread id at block
  /// level).
  Value materialize(Value v, OpBuilder &b, IRMapping &local, bool perThread) {
    if (!inKernel(v))
      return v;
    if (Value m = local.lookupOrNull(v))
      return m;
    if (perThread) {
      auto it = spills.find(v);
      if (it != spills.end()) {
        Value r = memref::LoadOp::create(b, loc, it->second, ValueRange{curT});
        local.map(v, r);
        return r;
      }
    }
    Operation *def = v.getDefiningOp();
    if (!def)
      return {};
    if (std::optional<Value> id = idOp(def, local)) {
      if (*id)
        local.map(v, *id);
      return *id;
    }
    if (def->getNumRegions() || !isMemoryEffectFree(def))
      return {};
    for (Value o : def->getOperands())
      if (!materialize(o, b, local, perThread))
        return {};
    Operation *c = b.clone(*def, local);
    return c->getResult(cast<OpResult>(v).getResultNumber());
  }

  /// Whether `v` is a pure function of thread/block ids, launch sizes,
  /// block-level loop counters and values from outside the launch (then it
  /// is recomputed where needed instead of kept in a slot).
  bool isRecomputable(Value v) {
    if (!inKernel(v))
      return true;
    auto it = recomputable.find(v);
    if (it != recomputable.end())
      return it->second;
    bool r = false;
    if (auto a = dyn_cast<BlockArgument>(v)) {
      Operation *owner = a.getOwner()->getParentOp();
      if (owner == launch.getOperation())
        r = true;
      else if (auto f = dyn_cast<scf::ForOp>(owner))
        r = syncOps.contains(owner) && a == f.getInductionVar();
    } else {
      Operation *def = v.getDefiningOp();
      r = def->getNumRegions() == 0 && isMemoryEffectFree(def) &&
          llvm::all_of(def->getOperands(), [&](Value o) { return isRecomputable(o); });
    }
    recomputable[v] = r;
    return r;
  }

  /// Makes `v` (defined in the segment `seg`) available to later segments:
  /// a slot for values of scalar/vector type, else (pure view-like ops) the
  /// same for the operands it is recomputed from.
  LogicalResult keepAcross(Value v, const DenseSet<Operation *> &seg,
                           SetVector<Value> &stores) {
    if (spills.count(v) || stores.contains(v))
      return success();
    Operation *def = v.getDefiningOp();
    if (isRecomputable(v))
      return success();
    if (def && def->getNumRegions() == 0 && isMemoryEffectFree(def) &&
        !isSpillable(v.getType())) {
      for (Value o : def->getOperands()) {
        Operation *od = o.getDefiningOp();
        if (od && seg.contains(od) && failed(keepAcross(o, seg, stores)))
          return failure();
      }
      return success();
    }
    if (!isSpillable(v.getType()))
      return emitError(v.getLoc(), "lf-gpu-emulate: a value of type ")
             << v.getType() << " lives across a barrier";
    stores.insert(v);
    return success();
  }

  /// A loop over the block's threads running `body(builder, mapping)` for
  /// the threads that pass `guards`.
  LogicalResult threadLoop(OpBuilder &b, IRMapping &uni, ArrayRef<Guard> guards,
                           function_ref<LogicalResult(OpBuilder &, IRMapping &)> body) {
    Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
    Value c1 = arith::ConstantIndexOp::create(b, loc, 1);
    auto loop = scf::ForOp::create(b, loc, c0, nThreads, c1);
    OpBuilder tb = OpBuilder::atBlockTerminator(loop.getBody());
    Value t = loop.getInductionVar();
    curT = t;
    IRMapping local = uni;
    Value tx = arith::RemUIOp::create(tb, loc, t, bdim[0]);
    Value rest = arith::DivUIOp::create(tb, loc, t, bdim[0]);
    local.map(tidArgs[0], tx);
    local.map(tidArgs[1], arith::RemUIOp::create(tb, loc, rest, bdim[1]));
    local.map(tidArgs[2], arith::DivUIOp::create(tb, loc, rest, bdim[1]));
    for (const Guard &g : guards) {
      Value c = materialize(g.cond, tb, local, /*perThread=*/true);
      if (!c)
        return emitError(g.cond.getLoc(), "lf-gpu-emulate: cannot recompute a condition");
      if (g.negate)
        c = arith::XOrIOp::create(tb, loc, c, arith::ConstantIntOp::create(tb, loc, 1, 1));
      auto ifOp = scf::IfOp::create(tb, loc, c, /*withElse=*/false);
      tb.setInsertionPoint(ifOp.thenBlock()->getTerminator());
    }
    return body(tb, local);
  }

  /// One segment: `ops` (no synchronization inside) for every thread, then
  /// the values later segments need into their slots, then `onEnd` (the
  /// enclosing loop's yield).
  LogicalResult emitSegment(ArrayRef<Operation *> ops, OpBuilder &b, IRMapping &uni,
                            ArrayRef<Guard> guards,
                            function_ref<LogicalResult(OpBuilder &, IRMapping &)> onEnd) {
    if (ops.empty() && !onEnd)
      return success();
    DenseSet<Operation *> seg(ops.begin(), ops.end());
    SetVector<Value> stores;
    for (Operation *op : ops)
      for (Value r : op->getResults())
        for (OpOperand &use : r.getUses()) {
          Operation *user = op->getBlock()->findAncestorOpInBlock(*use.getOwner());
          if (!user || !seg.contains(user))
            if (failed(keepAcross(r, seg, stores)))
              return failure();
        }
    for (Value v : stores)
      spills[v] = spillSlot(v.getType());
    return threadLoop(b, uni, guards, [&](OpBuilder &tb, IRMapping &local) -> LogicalResult {
      for (Operation *op : ops) {
        if (op->getNumResults() && llvm::all_of(op->getResults(), [&](Value r) {
              return local.contains(r);
            }))
          continue; // gpu.dynamic_shared_memory
        if (std::optional<Value> id = idOp(op, local)) {
          local.map(op->getResult(0), *id);
          continue;
        }
        SetVector<Value> used;
        used.insert(op->operand_begin(), op->operand_end());
        getUsedValuesDefinedAbove(op->getRegions(), used);
        for (Value v : used)
          if (!materialize(v, tb, local, /*perThread=*/true))
            return op->emitError("lf-gpu-emulate: operand cannot be recomputed after a barrier");
        tb.clone(*op, local);
      }
      for (Value v : stores)
        memref::StoreOp::create(tb, loc, local.lookup(v), spills[v], ValueRange{curT});
      return onEnd ? onEnd(tb, local) : success();
    });
  }

  LogicalResult emitShuffle(gpu::ShuffleOp sh, OpBuilder &b, IRMapping &uni,
                            ArrayRef<Guard> guards) {
    Type t = sh.getValue().getType();
    Value src = spillSlot(t);
    // Every thread publishes its value, ...
    if (failed(threadLoop(b, uni, guards, [&](OpBuilder &tb, IRMapping &local) -> LogicalResult {
          Value v = materialize(sh.getValue(), tb, local, true);
          if (!v)
            return sh.emitError("lf-gpu-emulate: shuffled value cannot be recomputed");
          memref::StoreOp::create(tb, loc, v, src, ValueRange{curT});
          return success();
        })))
      return failure();
    Value res = spillSlot(t), valid = spillSlot(b.getI1Type());
    spills[sh.getShuffleResult()] = res;
    spills[sh.getValid()] = valid;
    // ... then reads its source lane's (a 32-lane warp).
    return threadLoop(b, uni, guards, [&](OpBuilder &tb, IRMapping &local) -> LogicalResult {
      Value off = materialize(sh.getOffset(), tb, local, true);
      Value width = materialize(sh.getWidth(), tb, local, true);
      if (!off || !width)
        return sh.emitError("lf-gpu-emulate: shuffle offset/width cannot be recomputed");
      Type i32 = tb.getI32Type();
      Value t32 = arith::IndexCastOp::create(tb, loc, i32, curT);
      Value c32 = arith::ConstantIntOp::create(tb, loc, 32, 32);
      Value lane = arith::RemUIOp::create(tb, loc, t32, c32);
      Value srcLane;
      switch (sh.getMode()) {
      case gpu::ShuffleMode::XOR:
        srcLane = arith::XOrIOp::create(tb, loc, lane, off);
        break;
      case gpu::ShuffleMode::DOWN:
        srcLane = arith::AddIOp::create(tb, loc, lane, off);
        break;
      case gpu::ShuffleMode::UP:
        srcLane = arith::SubIOp::create(tb, loc, lane, off);
        break;
      case gpu::ShuffleMode::IDX:
        srcLane = off;
        break;
      }
      Value ok = arith::CmpIOp::create(tb, loc, arith::CmpIPredicate::ult, srcLane, width);
      Value srcT = arith::AddIOp::create(tb, loc, arith::SubIOp::create(tb, loc, t32, lane),
                                         srcLane);
      Value srcIdx = arith::IndexCastOp::create(tb, loc, tb.getIndexType(), srcT);
      ok = arith::AndIOp::create(
          tb, loc, ok,
          arith::CmpIOp::create(tb, loc, arith::CmpIPredicate::ult, srcIdx, nThreads));
      Value from = arith::SelectOp::create(tb, loc, ok, srcIdx, curT);
      Value v = memref::LoadOp::create(tb, loc, src, ValueRange{from});
      memref::StoreOp::create(tb, loc, v, res, ValueRange{curT});
      memref::StoreOp::create(tb, loc, ok, valid, ValueRange{curT});
      return success();
    });
  }

  /// Emits the ops of `block` (a region of the launch with synchronization
  /// inside); `onEnd` handles its terminator (scf.yield of a loop).
  LogicalResult emitBlock(Block &block, OpBuilder &b, IRMapping &uni,
                          SmallVector<Guard> guards,
                          function_ref<LogicalResult(OpBuilder &, IRMapping &)> onEnd) {
    SmallVector<Operation *> seg;
    for (Operation &op : block.without_terminator()) {
      if (!syncOps.contains(&op)) {
        seg.push_back(&op);
        continue;
      }
      if (failed(emitSegment(seg, b, uni, guards, {})))
        return failure();
      seg.clear();
      if (isa<gpu::BarrierOp>(op))
        continue;
      if (auto sh = dyn_cast<gpu::ShuffleOp>(op)) {
        if (failed(emitShuffle(sh, b, uni, guards)))
          return failure();
        continue;
      }
      if (auto f = dyn_cast<scf::ForOp>(op)) {
        if (failed(emitFor(f, b, uni, guards)))
          return failure();
        continue;
      }
      if (auto i = dyn_cast<scf::IfOp>(op)) {
        if (failed(emitIf(i, b, uni, guards)))
          return failure();
        continue;
      }
      return op.emitOpError("lf-gpu-emulate: synchronization inside this op is not supported");
    }
    return emitSegment(seg, b, uni, guards, onEnd);
  }

  LogicalResult emitFor(scf::ForOp f, OpBuilder &b, IRMapping &uni, ArrayRef<Guard> guards) {
    IRMapping bounds = uni;
    Value lb = materialize(f.getLowerBound(), b, bounds, false);
    Value ub = materialize(f.getUpperBound(), b, bounds, false);
    Value st = materialize(f.getStep(), b, bounds, false);
    if (!lb || !ub || !st)
      return f.emitOpError("lf-gpu-emulate: a loop with a barrier inside needs the same "
                           "bounds in every thread of a block");
    SmallVector<Value> slots;
    for (Value r : f.getResults()) {
      slots.push_back(spillSlot(r.getType()));
    }
    if (!slots.empty() &&
        failed(threadLoop(b, uni, guards, [&](OpBuilder &tb, IRMapping &local) -> LogicalResult {
          for (auto [init, slot] : llvm::zip(f.getInitArgs(), slots)) {
            Value v = materialize(init, tb, local, true);
            if (!v)
              return f.emitOpError("lf-gpu-emulate: loop init cannot be recomputed");
            memref::StoreOp::create(tb, loc, v, slot, ValueRange{curT});
          }
          return success();
        })))
      return failure();
    auto loop = scf::ForOp::create(b, loc, lb, ub, st);
    OpBuilder lbld = OpBuilder::atBlockTerminator(loop.getBody());
    IRMapping inner = uni;
    inner.map(f.getInductionVar(), loop.getInductionVar());
    for (auto [arg, res, slot] : llvm::zip(f.getRegionIterArgs(), f.getResults(), slots)) {
      spills[arg] = slot;
      spills[res] = slot;
    }
    auto yield = cast<scf::YieldOp>(f.getBody()->getTerminator());
    auto onEnd = [&](OpBuilder &tb, IRMapping &local) -> LogicalResult {
      SmallVector<Value> vals;
      for (Value y : yield.getOperands()) {
        Value v = materialize(y, tb, local, true);
        if (!v)
          return yield.emitOpError("lf-gpu-emulate: yielded value cannot be recomputed");
        vals.push_back(v);
      }
      for (auto [v, slot] : llvm::zip(vals, slots))
        memref::StoreOp::create(tb, loc, v, slot, ValueRange{curT});
      return success();
    };
    SmallVector<Guard> g(guards);
    if (slots.empty())
      return emitBlock(*f.getBody(), lbld, inner, g, {});
    return emitBlock(*f.getBody(), lbld, inner, g, onEnd);
  }

  LogicalResult emitIf(scf::IfOp i, OpBuilder &b, IRMapping &uni, ArrayRef<Guard> guards) {
    if (i.getNumResults())
      return i.emitOpError("lf-gpu-emulate: an scf.if with results and a barrier inside");
    IRMapping condMap = uni;
    if (Value c = materialize(i.getCondition(), b, condMap, false)) {
      // The same branch for the whole block.
      auto ifOp = scf::IfOp::create(b, loc, c, !i.getElseRegion().empty());
      OpBuilder tb = OpBuilder::atBlockTerminator(ifOp.thenBlock());
      if (failed(emitBlock(*i.thenBlock(), tb, uni, SmallVector<Guard>(guards), {})))
        return failure();
      if (i.elseBlock()) {
        OpBuilder eb = OpBuilder::atBlockTerminator(ifOp.elseBlock());
        return emitBlock(*i.elseBlock(), eb, uni, SmallVector<Guard>(guards), {});
      }
      return success();
    }
    // A per-thread condition (uniform per warp for shuffles, per block for
    // barriers - as on the GPU): guard every segment of each branch.
    SmallVector<Guard> g(guards);
    g.push_back({i.getCondition(), false});
    if (failed(emitBlock(*i.thenBlock(), b, uni, g, {})))
      return failure();
    if (i.elseBlock()) {
      g.back().negate = true;
      return emitBlock(*i.elseBlock(), b, uni, g, {});
    }
    return success();
  }
};

struct GPUEmulatePass : lf::impl::GPUEmulatePassBase<GPUEmulatePass> {
  void runOnOperation() override {
    SmallVector<gpu::LaunchOp> launches;
    getOperation().walk([&](gpu::LaunchOp op) { launches.push_back(op); });
    for (gpu::LaunchOp l : launches)
      if (failed(Emulator(l).run()))
        return signalPassFailure();
  }
};
} // namespace
