//===- Passes.h - lf to linalg passes ---------------------------*- C++ -*-===//
//
// Part of lightfuse. convert-lf-to-linalg and
// lf-tile-linear-attention.
//
//===----------------------------------------------------------------------===//

#ifndef LIGHTFUSE_CONVERSION_LFTOLINALG_PASSES_H
#define LIGHTFUSE_CONVERSION_LFTOLINALG_PASSES_H

#include "mlir/Pass/Pass.h"

namespace mlir {
class DialectRegistry;
namespace lf {

#define GEN_PASS_DECL
#define GEN_PASS_REGISTRATION
#include "lightfuse/Conversion/LFToLinalg/Passes.h.inc"

} // namespace lf
} // namespace mlir

#endif // LIGHTFUSE_CONVERSION_LFTOLINALG_PASSES_H
