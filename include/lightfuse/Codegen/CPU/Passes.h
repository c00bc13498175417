//===- Passes.h - CPU codegen passes ----------------------------*- C++ -*-===//
//
// Part of lightfuse. Row tiling, register-tiled contractions
// and transposes, polynomial math, vector lowering and LLVM-level hints for
// x86-64 hosts.
//
//===----------------------------------------------------------------------===//

#ifndef LIGHTFUSE_CODEGEN_CPU_PASSES_H
#define LIGHTFUSE_CODEGEN_CPU_PASSES_H

#include "mlir/Pass/Pass.h"

namespace mlir {
class DialectRegistry;
namespace lf {

#define GEN_PASS_DECL
#define GEN_PASS_REGISTRATION
#include "lightfuse/Codegen/CPU/Passes.h.inc"

} // namespace lf
} // namespace mlir

#endif // LIGHTFUSE_CODEGEN_CPU_PASSES_H
