//===- LFOps.h - lf dialect operations --------------------------*- C++ -*-===//
//
// Part of lightfuse. Declares the ops generated from LFOps.td.
//
//===----------------------------------------------------------------------===//

#ifndef LIGHTFUSE_DIALECTS_LF_LFOPS_H
#define LIGHTFUSE_DIALECTS_LF_LFOPS_H

#include "dialects/lf/LFDialect.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#define GET_OP_CLASSES
#include "dialects/lf/LFOps.h.inc"

#endif // LIGHTFUSE_DIALECTS_LF_LFOPS_H
