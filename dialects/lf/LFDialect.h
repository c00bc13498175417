//===- LFDialect.h - lf dialect declaration ---------------------*- C++ -*-===//
//
// Part of lightfuse. Declares the `lf` dialect, its enums and attributes.
//
//===----------------------------------------------------------------------===//

#ifndef LIGHTFUSE_DIALECTS_LF_LFDIALECT_H
#define LIGHTFUSE_DIALECTS_LF_LFDIALECT_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/DialectImplementation.h"

#include "dialects/lf/LFDialect.h.inc"
#include "dialects/lf/LFEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/lf/LFAttrs.h.inc"

#endif // LIGHTFUSE_DIALECTS_LF_LFDIALECT_H
