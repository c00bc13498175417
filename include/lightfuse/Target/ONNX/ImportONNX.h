//===- ImportONNX.h - ONNX model -> lf function -----------------*- C++ -*-===//
//
// Part of lightfuse. Reads an ONNX model (protobuf, external data included)
// and builds one `func.func` of `lf` ops, with upstream tensor / linalg /
// arith / math where `lf` has no op. The importer maps node for node; the
// `lf-recompose` pass then recovers the fused ops (norms, SiLU, GLU) that
// exporters decompose. docs/onnx.md documents the coverage and the
// `ai.lightfuse` custom domain.
//
//===----------------------------------------------------------------------===//

#ifndef LIGHTFUSE_TARGET_ONNX_IMPORTONNX_H
#define LIGHTFUSE_TARGET_ONNX_IMPORTONNX_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/StringMap.h"

#include <string>
#include <vector>

namespace mlir {
class MLIRContext;
namespace lf {

/// The custom ONNX domain of the lf ops that have no standard ONNX form.
inline constexpr const char *kONNXDomain = "ai.lightfuse";

struct ONNXImportOptions {
  /// Initializers become `{lf.weight}` arguments after the graph inputs
  /// (default) or `dense_resource` constants inside the function (Inline).
  enum class Weights { Arguments, Inline };
  Weights weights = Weights::Arguments;
  /// Float initializers with at most this many elements (and every integer
  /// or boolean one) are constants whatever `weights` says: scalars such as
  /// eps or an exponent must be visible to the rewrites.
  int64_t inlineLimit = 16;
  /// Name of the function; empty: the graph's name made a valid symbol, or
  /// "main".
  std::string funcName;
  /// Values for symbolic dimensions (`dim_param`), by name. Unbound symbolic
  /// dimensions stay dynamic (`?`).
  llvm::StringMap<int64_t> dims;
};

/// One initializer passed as a `{lf.weight}` argument: its ONNX name, the
/// argument's type and its contents (little-endian, row-major).
struct ONNXWeight {
  std::string name;
  RankedTensorType type;
  unsigned argNumber = 0;
  std::vector<char> data;
};

struct ONNXImportResult {
  OwningOpRef<ModuleOp> module;
  std::vector<ONNXWeight> weights;
};

/// Imports the model at `path` (external data is looked up next to it).
/// Failures are reported through the context's diagnostic handler, located
/// at the offending node (`loc("node"("model.onnx":index:0))`).
FailureOr<ONNXImportResult> importONNXFile(StringRef path, MLIRContext *context,
                                           const ONNXImportOptions &options);

/// Imports a serialized ModelProto. `name` labels locations; external data
/// is looked up relative to `baseDir`.
FailureOr<ONNXImportResult> importONNXBuffer(StringRef bytes, StringRef name,
                                             StringRef baseDir,
                                             MLIRContext *context,
                                             const ONNXImportOptions &options);

} // namespace lf
} // namespace mlir

#endif // LIGHTFUSE_TARGET_ONNX_IMPORTONNX_H
