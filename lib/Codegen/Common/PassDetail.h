//===- PassDetail.h - dialects the target-independent codegen passes use -*- C++ -*-===//
//
// Part of lightfuse. The dialects this folder's passes build or declare as
// dependent (the generated pass bases register them), so the public Passes.h
// stays free of dialect headers. Private to lib/Codegen/Common.
//
//===----------------------------------------------------------------------===//

#ifndef LIGHTFUSE_LIB_CODEGEN_COMMON_PASSDETAIL_H
#define LIGHTFUSE_LIB_CODEGEN_COMMON_PASSDETAIL_H

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

#endif // LIGHTFUSE_LIB_CODEGEN_COMMON_PASSDETAIL_H
