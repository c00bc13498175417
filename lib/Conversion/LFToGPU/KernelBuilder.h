//===- KernelBuilder.h - helpers for hand-written GPU kernels ---*- C++ -*-===//
//
// Part of lightfuse.
//
// Index/f32 arithmetic, strided thread loops and sums for the kernels that
// lightfuse writes directly as gpu.launch bodies (lf-gpu-linear-attention,
// lf-gpu-linear), plus the tensor <-> buffer boundary they share.
//
//===----------------------------------------------------------------------===//

#ifndef LIGHTFUSE_LIB_CONVERSION_LFTOGPU_KERNELBUILDER_H
#define LIGHTFUSE_LIB_CONVERSION_LFTOGPU_KERNELBUILDER_H

#include "lightfuse/Support/Remarks.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

namespace mlir::lf {

/// Small helpers for writing kernel bodies.
struct KernelBuilder {
  OpBuilder &b;
  Location l;
  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, l, v); }
  Value f(double v) { return arith::ConstantOp::create(b, l, b.getF32FloatAttr(v)); }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, l, x, y); }
  Value sub(Value x, Value y) { return arith::SubIOp::create(b, l, x, y); }
  Value mul(Value x, Value y) { return arith::MulIOp::create(b, l, x, y); }
  Value div(Value x, Value y) { return arith::DivUIOp::create(b, l, x, y); }
  Value rem(Value x, Value y) { return arith::RemUIOp::create(b, l, x, y); }
  Value lt(Value x, Value y) {
    return arith::CmpIOp::create(b, l, arith::CmpIPredicate::ult, x, y);
  }
  Value fadd(Value x, Value y) { return arith::AddFOp::create(b, l, x, y); }
  Value fmul(Value x, Value y) { return arith::MulFOp::create(b, l, x, y); }
  Value toF32(Value v) {
    return v.getType().isF32() ? v
                               : arith::ExtFOp::create(b, l, b.getF32Type(), v).getResult();
  }
  Value fromF32(Value v, Type t) {
    return t.isF32() ? v : arith::TruncFOp::create(b, l, t, v).getResult();
  }
  Value load(Value m, ValueRange i) { return memref::LoadOp::create(b, l, m, i); }
  void store(Value v, Value m, ValueRange i) { memref::StoreOp::create(b, l, v, m, i); }
  void barrier() { gpu::BarrierOp::create(b, l); }
  /// The sum of the f32 `v` over the 32 lanes of a warp, in every lane: a
  /// 5-step xor-shuffle butterfly (all lanes must execute it).
  Value warpSum(Value v) {
    Value width = arith::ConstantIntOp::create(b, l, 32, 32);
    for (int off = 16; off >= 1; off /= 2) {
      Value o = arith::ConstantIntOp::create(b, l, off, 32);
      auto sh = gpu::ShuffleOp::create(b, l, v, o, width, gpu::ShuffleMode::XOR);
      v = arith::AddFOp::create(b, l, v, sh.getShuffleResult());
    }
    return v;
  }
  /// for (i = start; i < end; i += step) body(i)
  void loop(Value start, Value end, Value step, function_ref<void(Value)> body) {
    auto f = scf::ForOp::create(b, l, start, end, step);
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPoint(f.getBody()->getTerminator());
    body(f.getInductionVar());
  }
  /// Loop-carried values over i in [start, end) by `step` (default 1):
  /// sums in f32 starting from `init`.
  SmallVector<Value> sum(Value start, Value end, ValueRange init,
                         function_ref<SmallVector<Value>(Value, ValueRange)> body,
                         Value step = Value()) {
    auto f = scf::ForOp::create(b, l, start, end, step ? step : idx(1), init);
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(f.getBody());
    scf::YieldOp::create(b, l, body(f.getInductionVar(), f.getRegionIterArgs()));
    return SmallVector<Value>(f.getResults());
  }
  /// `cond ? then() : 0` for an f32 value.
  Value ifElseZero(Value cond, function_ref<Value()> then) {
    auto i = scf::IfOp::create(b, l, TypeRange{b.getF32Type()}, cond, true);
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(i.thenBlock());
    scf::YieldOp::create(b, l, then());
    b.setInsertionPointToStart(i.elseBlock());
    scf::YieldOp::create(b, l, f(0.0));
    return i.getResult(0);
  }
};

/// A kernel pass leaving `op` to the generic lowering: with `explain`, a
/// remark "<pass>: <why>" on the op. Always failure().
inline LogicalResult declineKernel(bool explain, StringRef pass, Operation *op,
                                   const Twine &why) {
  DeclineReporter(pass, /*verdict=*/"", explain)(op, why);
  return failure();
}

/// The tensor `t` as a read-only buffer (identity layout).
inline Value toBuffer(OpBuilder &b, Location l, Value t) {
  auto ty = cast<RankedTensorType>(t.getType());
  return bufferization::ToBufferOp::create(
      b, l, MemRefType::get(ty.getShape(), ty.getElementType()), t,
      b.getUnitAttr());
}

/// The buffer a kernel wrote, as the tensor replacing an op's result.
inline Value toTensor(OpBuilder &b, Location l, Type ty, Value buf) {
  return bufferization::ToTensorOp::create(b, l, ty, buf, b.getUnitAttr(),
                                           b.getUnitAttr());
}

/// A typed view of `shape` f32 elements at float offset `off` of the
/// dynamic shared memory `dsm` (memref<?xi8, workgroup>).
inline Value smemView(KernelBuilder &k, Value dsm, int64_t off, ArrayRef<int64_t> shape) {
  auto wg = gpu::AddressSpaceAttr::get(k.b.getContext(),
                                       gpu::AddressSpace::Workgroup);
  auto ty = MemRefType::get(shape, k.b.getF32Type(),
                            MemRefLayoutAttrInterface(), wg);
  return memref::ViewOp::create(k.b, k.l, ty, dsm, k.idx(off * 4),
                                ValueRange{});
}

/// The block's dynamic shared memory as bytes.
inline Value dynamicSmem(KernelBuilder &k) {
  auto wg = gpu::AddressSpaceAttr::get(k.b.getContext(),
                                       gpu::AddressSpace::Workgroup);
  return gpu::DynamicSharedMemoryOp::create(
      k.b, k.l,
      MemRefType::get({ShapedType::kDynamic}, k.b.getI8Type(),
                      MemRefLayoutAttrInterface(), wg));
}

} // namespace mlir::lf

#endif // LIGHTFUSE_LIB_CONVERSION_LFTOGPU_KERNELBUILDER_H
