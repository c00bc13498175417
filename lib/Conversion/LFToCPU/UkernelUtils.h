//===- UkernelUtils.h - calls of the runtime's kernels ----------*- C++ -*-===//
//
// Part of lightfuse. Internal to lib/Conversion/LFToCPU: what the ukernel
// patterns share to call a kernel of lib/Runtime through MLIR's C interface
// on buffers of tensors.
//
//===----------------------------------------------------------------------===//

#ifndef LIGHTFUSE_LIB_CONVERSION_LFTOCPU_UKERNELUTILS_H
#define LIGHTFUSE_LIB_CONVERSION_LFTOCPU_UKERNELUTILS_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::lf::ukernel {

/// memref<?x...xf32, strided<[?, ...], offset: ?>>: the callee's operand
/// types, which every buffer is cast to.
inline MemRefType anyStrided(MLIRContext *ctx, unsigned rank) {
  SmallVector<int64_t> shape(rank, ShapedType::kDynamic);
  SmallVector<int64_t> strides(rank, ShapedType::kDynamic);
  auto layout = StridedLayoutAttr::get(ctx, ShapedType::kDynamic, strides);
  return MemRefType::get(shape, Float32Type::get(ctx), layout);
}

/// Whether `name` is free for the kernel's declaration of `type`, or
/// already declared so by a pattern (an external function of that type with
/// the C interface attribute). A symbol of the user's own with that name
/// keeps the linalg lowering.
inline bool calleeAvailable(ModuleOp module, StringRef name, FunctionType type) {
  Operation *existing = module.lookupSymbol(name);
  if (!existing)
    return true;
  auto fn = dyn_cast<func::FuncOp>(existing);
  return fn && fn.isExternal() && fn.getFunctionType() == type &&
         fn->hasAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName());
}

/// tensor<?x...xf32>: the callee's type for an input, which every input
/// tensor is cast to.
inline RankedTensorType anyTensor(MLIRContext *ctx, unsigned rank) {
  return RankedTensorType::get(SmallVector<int64_t>(rank, ShapedType::kDynamic),
                               Float32Type::get(ctx));
}

/// The declaration of @name with `type`, added to the module once. Its
/// tensor arguments (the kernel's inputs) are marked
/// `bufferization.access = "read"`: One-Shot Bufferize then sees each call
/// read its inputs where it stands and never writes them, and turns them
/// into identity-layout memrefs with the same C-interface descriptor as the
/// strided ones the runtime declares.
inline func::FuncOp declareCallee(PatternRewriter &rewriter, ModuleOp module,
                                  StringRef name, FunctionType type) {
  if (auto fn = module.lookupSymbol<func::FuncOp>(name))
    return fn;
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPointToStart(module.getBody());
  auto fn = func::FuncOp::create(rewriter, module.getLoc(), name, type);
  fn.setPrivate();
  fn->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(),
              rewriter.getUnitAttr());
  for (auto [i, argType] : llvm::enumerate(type.getInputs()))
    if (isa<TensorType>(argType))
      fn.setArgAttr(i, bufferization::BufferizationDialect::kBufferAccessAttrName,
                    rewriter.getStringAttr("read"));
  return fn;
}

/// Input tensor `t` as the callee takes it (all sizes dynamic).
///
/// Inputs stay tensors up to bufferization on purpose: a
/// `bufferization.to_buffer` per input is Pure, so CSE merges two of the
/// same tensor and a later call then reads the buffer through the first
/// one's memref, a use the tensor analysis does not see; an op between the
/// two that updates the tensor's buffer in place (the analysis thinks it
/// dead) made the second call read clobbered data.
inline Value calleeInput(PatternRewriter &rewriter, Location loc, Value t) {
  auto ty = cast<RankedTensorType>(t.getType());
  auto want = anyTensor(rewriter.getContext(), ty.getRank());
  if (ty == want)
    return t;
  return tensor::CastOp::create(rewriter, loc, want, t);
}

/// `x` of rank >= 1 as [rows, last]: rank 1 gains a leading unit dimension,
/// rank > 2 collapses the leading ones.
inline Value asRows(PatternRewriter &rewriter, Location loc, Value x) {
  auto ty = cast<RankedTensorType>(x.getType());
  unsigned rank = ty.getRank();
  if (rank == 1)
    return tensor::ExpandShapeOp::create(
        rewriter, loc,
        RankedTensorType::get({1, ty.getDimSize(0)}, ty.getElementType()), x,
        SmallVector<ReassociationIndices>{{0, 1}});
  if (rank == 2)
    return x;
  ReassociationIndices lead;
  for (unsigned d = 0; d + 1 < rank; ++d)
    lead.push_back(d);
  return tensor::CollapseShapeOp::create(
      rewriter, loc, x, SmallVector<ReassociationIndices>{lead, {rank - 1}});
}

/// A fresh 64-byte aligned f32 buffer with the leading dimensions of `like`
/// and `cols` last, for a kernel to write through rowsView. (Allocating the
/// result's own shape avoids expanding a [rows, cols] buffer afterwards:
/// MLIR 22's expand-strided-metadata crashes on a memref.expand_shape with
/// two dynamic output sizes.)
inline Value freshLike(PatternRewriter &rewriter, Location loc, Value like,
                       int64_t cols) {
  auto ty = cast<RankedTensorType>(like.getType());
  SmallVector<int64_t> shape(ty.getShape());
  shape.back() = cols;
  SmallVector<Value> dynSizes;
  for (unsigned d = 0; d + 1 < shape.size(); ++d)
    if (ShapedType::isDynamic(shape[d]))
      dynSizes.push_back(tensor::DimOp::create(rewriter, loc, like, d));
  return memref::AllocOp::create(
      rewriter, loc, MemRefType::get(shape, rewriter.getF32Type()), dynSizes,
      rewriter.getI64IntegerAttr(64));
}

/// `buf` (identity layout, rank >= 1) as [rows, cols], cast to the callee's
/// strided type.
inline Value rowsView(PatternRewriter &rewriter, Location loc, Value buf) {
  auto ty = cast<MemRefType>(buf.getType());
  unsigned rank = ty.getRank();
  Value v = buf;
  if (rank == 1) {
    v = memref::ExpandShapeOp::create(
        rewriter, loc, MemRefType::get({1, ty.getDimSize(0)}, ty.getElementType()),
        buf, SmallVector<ReassociationIndices>{{0, 1}});
  } else if (rank > 2) {
    ReassociationIndices lead;
    for (unsigned d = 0; d + 1 < rank; ++d)
      lead.push_back(d);
    v = memref::CollapseShapeOp::create(
        rewriter, loc, buf, SmallVector<ReassociationIndices>{lead, {rank - 1}});
  }
  return memref::CastOp::create(rewriter, loc,
                                anyStrided(rewriter.getContext(), 2), v);
}

/// The tensor owning `buffer` once the kernel has written it (created after
/// the call: nothing writes a buffer behind its restrict tensor).
inline Value ownedTensor(PatternRewriter &rewriter, Location loc, Value buffer) {
  auto ty = cast<MemRefType>(buffer.getType());
  return bufferization::ToTensorOp::create(
      rewriter, loc, RankedTensorType::get(ty.getShape(), ty.getElementType()),
      buffer, rewriter.getUnitAttr(), rewriter.getUnitAttr());
}

/// ownedTensor of `buffer`, cast to `type` when its sizes are less static.
inline Value ownedTensorAs(PatternRewriter &rewriter, Location loc,
                           Value buffer, Type type) {
  Value t = ownedTensor(rewriter, loc, buffer);
  return t.getType() == type ? t
                             : tensor::CastOp::create(rewriter, loc, type, t);
}

/// An empty f32 tensor<0xf32>, the kernels' "no gain / no bias": a
/// constant, which bufferizes to a global (a tensor.empty became an aligned
/// malloc and free of zero bytes on every call).
inline Value noneTensor(PatternRewriter &rewriter, Location loc) {
  auto type = RankedTensorType::get({0}, rewriter.getF32Type());
  return arith::ConstantOp::create(
      rewriter, loc, type, DenseElementsAttr::get(type, ArrayRef<float>{}));
}

} // namespace mlir::lf::ukernel

#endif // LIGHTFUSE_LIB_CONVERSION_LFTOCPU_UKERNELUTILS_H
