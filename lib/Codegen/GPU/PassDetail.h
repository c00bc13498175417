//===- PassDetail.h - dialects the GPU codegen passes use -------*- C++ -*-===//
//
// Part of lightfuse. The dialects this folder's passes build or declare as
// dependent (the generated pass bases register them), so the public Passes.h
// stays free of dialect headers. Private to lib/Codegen/GPU.
//
//===----------------------------------------------------------------------===//

#ifndef LIGHTFUSE_LIB_CODEGEN_GPU_PASSDETAIL_H
#define LIGHTFUSE_LIB_CODEGEN_GPU_PASSDETAIL_H

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Math/IR/Math.h"

#endif // LIGHTFUSE_LIB_CODEGEN_GPU_PASSDETAIL_H
