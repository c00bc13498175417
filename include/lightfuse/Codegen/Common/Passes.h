//===- Passes.h - target-independent codegen passes -------------*- C++ -*-===//
//
// Part of lightfuse. Passes on linalg, bufferized IR and
// function signatures that both the CPU and the GPU pipelines use.
//
//===----------------------------------------------------------------------===//

#ifndef LIGHTFUSE_CODEGEN_COMMON_PASSES_H
#define LIGHTFUSE_CODEGEN_COMMON_PASSES_H

#include "mlir/Pass/Pass.h"

namespace mlir {
class DialectRegistry;
namespace lf {

#define GEN_PASS_DECL
#define GEN_PASS_REGISTRATION
#include "lightfuse/Codegen/Common/Passes.h.inc"

} // namespace lf
} // namespace mlir

#endif // LIGHTFUSE_CODEGEN_COMMON_PASSES_H
