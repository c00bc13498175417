//===- Registration.h - dialects, passes and pipelines ----------*- C++ -*-===//
//
// Part of lightfuse. One registration used by every tool, the JIT and the C
// API: the lf dialect with the upstream dialects, extensions, interfaces and
// LLVM IR translations its pipelines use, and every lf and upstream pass and
// pipeline a textual pipeline may name.
//
//===----------------------------------------------------------------------===//

#ifndef LIGHTFUSE_DRIVER_REGISTRATION_H
#define LIGHTFUSE_DRIVER_REGISTRATION_H

#include <memory>

namespace mlir {
class DialectRegistry;
class MLIRContext;
namespace lf {

/// lf, every upstream dialect and extension, lightfuse's external models,
/// the LLVM IR translations and the NVVM target interface.
void registerAllDialects(DialectRegistry &registry);

/// A context with registerAllDialects loaded.
std::unique_ptr<MLIRContext> createContext();

/// Registers `lf-optimize`, `lf-cpu-pipeline`, `lf-lower-to-linalg-pipeline`,
/// `lf-lower-to-gpu-pipeline`, `lf-gpu-emulated-pipeline` and
/// `lf-gpu-pipeline`.
void registerPipelines();

/// Registers every pass a lightfuse pipeline may name: lf's passes
/// (Transforms, Conversion, Codegen) and pipelines and the upstream passes
/// they use. Idempotent and thread-safe.
void registerAllPasses();

} // namespace lf
} // namespace mlir

#endif // LIGHTFUSE_DRIVER_REGISTRATION_H
