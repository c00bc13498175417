//===- lf-opt.cpp - lightfuse's mlir-opt ----------------------------------===//
//
// Part of lightfuse. Parses, verifies, transforms and prints IR that mixes the
// `lf` dialect with the upstream dialects the project's pipelines use.
//
//===----------------------------------------------------------------------===//

#include "lightfuse/Driver/Registration.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "llvm/Support/PrettyStackTrace.h"

int main(int argc, char **argv) {
  llvm::setBugReportMsg("lightfuse: lf-opt crashed. Please file an issue with "
                        "the input and the command line; "
                        "--mlir-pass-pipeline-crash-reproducer=FILE helps.\n");
  // lf's passes and pipelines, and the upstream passes they use, so each
  // stage can be run by hand.
  mlir::lf::registerAllPasses();
  mlir::DialectRegistry registry;
  mlir::lf::registerAllDialects(registry);
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "lightfuse optimizer driver\n", registry));
}
