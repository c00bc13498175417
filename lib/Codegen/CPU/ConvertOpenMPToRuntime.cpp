//===- ConvertOpenMPToRuntime.cpp - parallel loops on the runtime's pool --===//
//
// Part of lightfuse. Outlines each `omp.parallel { omp.wsloop {
// omp.loop_nest } }` region of the LLVM-dialect module into a function over
// a chunk of the linearized iteration space and calls the runtime's
// lfParallelRange with it, so generated loops and the GEMM / norm kernels
// share one thread pool (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "lightfuse/Codegen/CPU/Passes.h"
#include "PassDetail.h"

#include "mlir/Dialect/LLVMIR/FunctionCallUtils.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::lf {
#define GEN_PASS_DEF_CONVERTOPENMPTORUNTIMEPASS
#include "lightfuse/Codegen/CPU/Passes.h.inc"
} // namespace mlir::lf

using namespace mlir;

namespace {

constexpr llvm::StringLiteral kRangeFn = "lfParallelRange";

/// A value the outlined function can rebuild instead of reading it from the
/// context: an `llvm.mlir.constant` (or any operand-free constant-like op).
bool isRematerializable(Value v) {
  Operation *def = v.getDefiningOp();
  return def && def->getNumOperands() == 0 && def->getNumRegions() == 0 &&
         def->hasTrait<OpTrait::ConstantLike>();
}

/// The block the context struct is allocated in: the entry of the closest
/// enclosing function or loop body (one slot per caller iteration, so a
/// region nested in another outlined loop gets a slot per chunk once that
/// one is outlined and the alloca hoisted).
Block *allocaBlock(Operation *op) {
  for (Region *r = op->getParentRegion(); r; r = r->getParentRegion()) {
    Operation *owner = r->getParentOp();
    if (isa<LLVM::LLVMFuncOp, omp::LoopNestOp>(owner))
      return &r->front();
  }
  return nullptr;
}

struct ConvertOpenMPToRuntimePass
    : lf::impl::ConvertOpenMPToRuntimePassBase<ConvertOpenMPToRuntimePass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<omp::ParallelOp> regions;
    // Post-order: a region nested in another is outlined first, its call
    // then part of the outer region's body.
    module.walk([&](omp::ParallelOp op) { regions.push_back(op); });
    SymbolTable symbols(module);
    unsigned counter = 0;
    for (omp::ParallelOp op : regions)
      if (failed(outline(op, symbols, counter)))
        return signalPassFailure();
  }

  LogicalResult outline(omp::ParallelOp par, SymbolTable &symbols,
                        unsigned &counter);
};

/// The runtime's entry point, declared once.
LLVM::LLVMFuncOp getOrDeclareRange(ModuleOp module, SymbolTable &symbols,
                                   Location loc) {
  MLIRContext *ctx = module.getContext();
  auto ptr = LLVM::LLVMPointerType::get(ctx);
  auto type = LLVM::LLVMFunctionType::get(
      LLVM::LLVMVoidType::get(ctx),
      {IntegerType::get(ctx, 32), IntegerType::get(ctx, 64), ptr, ptr});
  if (auto fn = symbols.lookup<LLVM::LLVMFuncOp>(kRangeFn))
    return fn.getFunctionType() == type ? fn : nullptr;
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  auto fn = LLVM::LLVMFuncOp::create(b, loc, kRangeFn, type);
  symbols.insert(fn);
  return fn;
}

LogicalResult ConvertOpenMPToRuntimePass::outline(omp::ParallelOp par,
                                                  SymbolTable &symbols,
                                                  unsigned &counter) {
  Location loc = par.getLoc();
  MLIRContext *ctx = &getContext();
  auto fail = [&](const Twine &why) {
    return par.emitError("lf-convert-openmp-to-runtime: ") << why;
  };

  // The shape convert-scf-to-openmp emits: a parallel region holding one
  // work-sharing loop nest and no clauses but num_threads.
  if (!par.getReductionVars().empty() || !par.getPrivateVars().empty() ||
      par.getIfExpr() || !par.getAllocateVars().empty())
    return fail("parallel regions with reduction, private, allocate or if "
                "clauses are not supported");
  if (!par.getRegion().hasOneBlock())
    return fail("expected a single-block parallel region");
  Block &parBody = par.getRegion().front();
  auto wsloops = parBody.getOps<omp::WsloopOp>();
  if (!llvm::hasSingleElement(wsloops))
    return fail("expected exactly one omp.wsloop in the parallel region");
  omp::WsloopOp ws = *wsloops.begin();
  if (ws->getNumOperands() != 0 || ws.getOrdered())
    return fail("work-sharing loops with clauses (reduction, private, "
                "linear, schedule chunk, ordered) are not supported");
  auto nest = dyn_cast<omp::LoopNestOp>(ws.getWrappedLoop());
  if (!nest)
    return fail("expected an omp.loop_nest inside omp.wsloop");
  Block &nestEntry = nest.getRegion().front();
  for (Operation &op : parBody)
    if (&op != ws && !isa<omp::TerminatorOp>(op) && !isMemoryEffectFree(&op))
      return fail("the parallel region runs operations with side effects "
                  "outside its loop");
  if (nestEntry.getNumArguments() == 0)
    return fail("expected a loop nest with induction variables");
  for (BlockArgument iv : nestEntry.getArguments())
    if (!iv.getType().isInteger(64))
      return fail("expected i64 induction variables (run after "
                  "convert-openmp-to-llvm)");
  auto parentFn = par->getParentOfType<LLVM::LLVMFuncOp>();
  Block *slotBlock = allocaBlock(par);
  if (!parentFn || !slotBlock)
    return fail("expected the parallel region inside an llvm.func");
  // Bounds must be computable before the region (the iteration count is
  // the runtime call's argument).
  auto definedOutside = [&](Value v) {
    return isRematerializable(v) ||
           !par->isAncestor(v.getParentBlock()->getParentOp());
  };
  for (Value v : nest.getOperands())
    if (!definedOutside(v))
      return fail("loop bounds computed inside the parallel region are not "
                  "supported");
  // Regions nested in the loop were outlined first (post-order); any other
  // OpenMP operation left in it has no runtime counterpart.
  WalkResult nested = nest.getRegion().walk([&](Operation *op) {
    if (!isa<omp::YieldOp>(op) && op->getDialect() &&
        op->getDialect()->getNamespace() == "omp")
      return WalkResult::interrupt();
    return WalkResult::advance();
  });
  if (nested.wasInterrupted())
    return fail("the loop body holds OpenMP operations other than parallel "
                "regions");
  Value threadsValue = par.getNumThreads();
  if (threadsValue && !isa<IntegerType>(threadsValue.getType()))
    return fail("num_threads must be an integer");

  // What the loop uses from outside: read from the context struct, except
  // constants, which the outlined function rebuilds.
  llvm::SetVector<Value> used;
  getUsedValuesDefinedAbove(par.getRegion(), used);
  SmallVector<Value> captures;
  for (Value v : used)
    if (!isRematerializable(v))
      captures.push_back(v);

  ModuleOp module = getOperation();
  LLVM::LLVMFuncOp rangeFn = getOrDeclareRange(module, symbols, loc);
  if (!rangeFn)
    return fail(Twine("the module declares ") + kRangeFn +
                " with a type other than the runtime's (i32, i64, ptr, ptr)");

  auto i64 = IntegerType::get(ctx, 64);
  auto i32 = IntegerType::get(ctx, 32);
  auto ptr = LLVM::LLVMPointerType::get(ctx);
  SmallVector<Type> fieldTypes;
  for (Value v : captures)
    fieldTypes.push_back(v.getType());
  unsigned rank = nestEntry.getNumArguments();
  // The trip counts of dimensions 1.. follow the captures (the outermost one
  // only bounds the linearized range, which the runtime splits).
  fieldTypes.append(rank - 1, i64);
  auto ctxType = LLVM::LLVMStructType::getLiteral(ctx, fieldTypes);

  // --- the outlined function ------------------------------------------------
  OpBuilder mb(ctx);
  mb.setInsertionPointAfter(parentFn);
  std::string name;
  do
    name = (parentFn.getName() + "_par" + Twine(counter++)).str();
  while (symbols.lookup(name));
  auto fnType = LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(ctx),
                                            {ptr, i64, i64});
  auto fn = LLVM::LLVMFuncOp::create(mb, loc, name, fnType,
                                     LLVM::Linkage::Internal);
  symbols.insert(fn);
  Block *entry = fn.addEntryBlock(mb);
  Value ctxArg = entry->getArgument(0), begin = entry->getArgument(1),
        end = entry->getArgument(2);
  OpBuilder b = OpBuilder::atBlockEnd(entry);
  IRMapping map;
  auto field = [&](OpBuilder &bb, Value base, unsigned i) {
    return LLVM::GEPOp::create(bb, loc, ptr, ctxType, base,
                               ArrayRef<LLVM::GEPArg>{0, (int32_t)i});
  };
  for (auto [i, v] : llvm::enumerate(captures))
    map.map(v, LLVM::LoadOp::create(b, loc, v.getType(), field(b, ctxArg, i)));
  SmallVector<Value> trips(rank);
  for (unsigned d = 1; d < rank; ++d)
    trips[d] = LLVM::LoadOp::create(b, loc, i64,
                                    field(b, ctxArg, captures.size() + d - 1));
  for (Value v : used)
    if (isRematerializable(v))
      map.map(v, b.clone(*v.getDefiningOp())->getResult(0));
  // The region's own operations around the loop (side-effect free) once per
  // chunk.
  for (Operation &op : parBody)
    if (&op != ws && !isa<omp::TerminatorOp>(op))
      b.clone(op, map);

  // entry -> header(lin) -> [delinearize -> body ... -> latch] -> exit
  Block *header = &fn.getBody().emplaceBlock();
  Value lin = header->addArgument(i64, loc);
  Block *delin = &fn.getBody().emplaceBlock();
  Block *latch = &fn.getBody().emplaceBlock();
  Block *exit = &fn.getBody().emplaceBlock();
  LLVM::BrOp::create(b, loc, ValueRange{begin}, header);
  b.setInsertionPointToEnd(header);
  Value more = LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::slt, lin, end);
  LLVM::CondBrOp::create(b, loc, more, delin, exit);

  b.setInsertionPointToEnd(delin);
  Value rest = lin;
  SmallVector<Value> ivs(rank);
  for (int d = rank - 1; d >= 0; --d) {
    Value idx = rest;
    if (d > 0) {
      idx = LLVM::SRemOp::create(b, loc, rest, trips[d]);
      rest = LLVM::SDivOp::create(b, loc, rest, trips[d]);
    }
    Value lb = map.lookupOrDefault(nest.getLoopLowerBounds()[d]);
    Value step = map.lookupOrDefault(nest.getLoopSteps()[d]);
    ivs[d] = LLVM::AddOp::create(b, loc, lb,
                                 LLVM::MulOp::create(b, loc, idx, step));
  }
  for (unsigned d = 0; d < rank; ++d)
    map.map(nestEntry.getArgument(d), ivs[d]);
  nest.getRegion().cloneInto(&fn.getBody(), Region::iterator(latch), map);
  LLVM::BrOp::create(b, loc, ValueRange{}, map.lookup(&nestEntry));

  b.setInsertionPointToEnd(latch);
  Value one = LLVM::ConstantOp::create(b, loc, i64, b.getI64IntegerAttr(1));
  LLVM::BrOp::create(b, loc, ValueRange{LLVM::AddOp::create(b, loc, lin, one)},
                     header);
  b.setInsertionPointToEnd(exit);
  LLVM::ReturnOp::create(b, loc, ValueRange{});

  // omp.yield ends an iteration; constant-size allocas move to the entry.
  SmallVector<Operation *> yields;
  SmallVector<LLVM::AllocaOp> allocas;
  fn.walk([&](Operation *op) {
    if (isa<omp::YieldOp>(op))
      yields.push_back(op);
    else if (auto a = dyn_cast<LLVM::AllocaOp>(op))
      if (a->getBlock() != entry && isRematerializable(a.getArraySize()))
        allocas.push_back(a);
  });
  for (Operation *y : yields) {
    OpBuilder yb(y);
    LLVM::BrOp::create(yb, y->getLoc(), ValueRange{}, latch);
    y->erase();
  }
  for (LLVM::AllocaOp a : allocas) {
    OpBuilder ab(entry, entry->begin());
    Operation *size = ab.clone(*a.getArraySize().getDefiningOp());
    a->moveAfter(size);
    a.getArraySizeMutable().assign(size->getResult(0));
  }

  // --- the call site ---------------------------------------------------------
  OpBuilder cb(par);
  Value zero = LLVM::ConstantOp::create(cb, loc, i64, cb.getI64IntegerAttr(0));
  Value c1 = LLVM::ConstantOp::create(cb, loc, i64, cb.getI64IntegerAttr(1));
  Value total = c1;
  SmallVector<Value> tripValues;
  // Constant bounds defined inside the region are rebuilt before the call.
  auto outside = [&](Value v) -> Value {
    if (v.getDefiningOp() && par->isAncestor(v.getDefiningOp()))
      return cb.clone(*v.getDefiningOp())->getResult(0);
    return v;
  };
  for (unsigned d = 0; d < rank; ++d) {
    Value lb = outside(nest.getLoopLowerBounds()[d]);
    Value ub = outside(nest.getLoopUpperBounds()[d]);
    Value step = outside(nest.getLoopSteps()[d]);
    if (nest.getLoopInclusive())
      ub = LLVM::AddOp::create(cb, loc, ub, c1);
    // ceil((ub - lb) / step), 0 when ub <= lb (steps are positive).
    Value span = LLVM::SubOp::create(cb, loc, ub, lb);
    Value num = LLVM::AddOp::create(
        cb, loc, span, LLVM::SubOp::create(cb, loc, step, c1));
    Value trip = LLVM::SDivOp::create(cb, loc, num, step);
    Value pos = LLVM::ICmpOp::create(cb, loc, LLVM::ICmpPredicate::sgt, span,
                                     zero);
    trip = LLVM::SelectOp::create(cb, loc, pos, trip, zero);
    tripValues.push_back(trip);
    total = LLVM::MulOp::create(cb, loc, total, trip);
  }
  Value slot;
  {
    OpBuilder sb(slotBlock, slotBlock->begin());
    Value n1 = LLVM::ConstantOp::create(sb, loc, i64, sb.getI64IntegerAttr(1));
    slot = LLVM::AllocaOp::create(sb, loc, ptr, ctxType, n1);
  }
  for (auto [i, v] : llvm::enumerate(captures))
    LLVM::StoreOp::create(cb, loc, v, field(cb, slot, i));
  for (unsigned d = 1; d < rank; ++d)
    LLVM::StoreOp::create(cb, loc, tripValues[d],
                          field(cb, slot, captures.size() + d - 1));
  Value threads = threadsValue;
  if (!threads)
    threads = LLVM::ConstantOp::create(cb, loc, i32, cb.getI32IntegerAttr(0));
  else if (threads.getType() != i32)
    threads = cast<IntegerType>(threads.getType()).getWidth() > 32
                  ? LLVM::TruncOp::create(cb, loc, i32, threads).getResult()
                  : LLVM::SExtOp::create(cb, loc, i32, threads).getResult();
  Value fnAddr = LLVM::AddressOfOp::create(cb, loc, ptr, fn.getName());
  LLVM::CallOp::create(cb, loc, rangeFn,
                       ValueRange{threads, total, fnAddr, slot});
  par.erase();
  ++numOutlined;
  return success();
}

} // namespace
