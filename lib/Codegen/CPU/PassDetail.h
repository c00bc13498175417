//===- PassDetail.h - dialects the CPU codegen passes use -------*- C++ -*-===//
//
// Part of lightfuse. The dialects this folder's passes build or declare as
// dependent (the generated pass bases register them), so the public Passes.h
// stays free of dialect headers. Private to lib/Codegen/CPU.
//
//===----------------------------------------------------------------------===//

#ifndef LIGHTFUSE_LIB_CODEGEN_CPU_PASSDETAIL_H
#define LIGHTFUSE_LIB_CODEGEN_CPU_PASSDETAIL_H

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/X86Vector/X86VectorDialect.h"

#endif // LIGHTFUSE_LIB_CODEGEN_CPU_PASSDETAIL_H
