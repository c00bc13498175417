//===- lf-fuzz-onnx.cpp - libFuzzer target of the ONNX importer -----------===//
//
// Part of lightfuse. Feeds arbitrary bytes to importONNXBuffer: every input
// must either import into a module that verifies or fail with a diagnostic;
// a crash, a sanitizer report, a hang or an imported module that does not
// verify is a bug. Built with -DLF_ENABLE_FUZZERS=ON (clang's libFuzzer,
// ASan and UBSan on the importer); run by scripts/fuzz.sh, whose seeds are
// ONNX's node-test models.
//
//===----------------------------------------------------------------------===//

#include "lightfuse/Driver/Registration.h"
#include "lightfuse/Target/ONNX/ImportONNX.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"

#include <cstdint>
#include <cstdlib>
#include <memory>

using namespace mlir;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // A context per 256 inputs: cheap enough, and bounded growth of its
  // uniqued attributes and types.
  static std::unique_ptr<MLIRContext> context;
  static unsigned uses = 0;
  if (!context || ++uses % 256 == 0)
    context = lf::createContext();
  // Diagnostics are expected; keep them off stderr.
  ScopedDiagnosticHandler quiet(context.get(), [](Diagnostic &) {
    return success();
  });
  lf::ONNXImportOptions opts;
  auto imported = lf::importONNXBuffer(
      StringRef(reinterpret_cast<const char *>(data), size), "fuzz.onnx",
      "/nonexistent", context.get(), opts);
  if (succeeded(imported) && failed(verify(imported->module.get())))
    std::abort(); // the importer built invalid IR without saying so
  return 0;
}
