//===- PassDetail.h - dialects the lf graph rewrites passes use -*- C++ -*-===//
//
// Part of lightfuse. The dialects this folder's passes build or declare as
// dependent (the generated pass bases register them), so the public Passes.h
// stays free of dialect headers. Private to lib/Transforms.
//
//===----------------------------------------------------------------------===//

#ifndef LIGHTFUSE_LIB_TRANSFORMS_PASSDETAIL_H
#define LIGHTFUSE_LIB_TRANSFORMS_PASSDETAIL_H

#include "dialects/lf/LFDialect.h"
#include "dialects/lf/LFOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#endif // LIGHTFUSE_LIB_TRANSFORMS_PASSDETAIL_H
