//===- lf-opt.cpp - lightfuse's mlir-opt ----------------------------------===//
//
// Part of lightfuse. Parses, verifies, transforms and prints IR that mixes the
// `lf` dialect with the upstream dialects the project's pipelines use.
//
//===----------------------------------------------------------------------===//

#include "dialects/lf/LFDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/PrettyStackTrace.h"
#include "llvm/Support/raw_ostream.h"

int main(int argc, char **argv) {
  llvm::setBugReportMsg("lightfuse: lf-opt crashed. Please file an issue with "
                        "the input and the command line; "
                        "--mlir-pass-pipeline-crash-reproducer=FILE helps.\n");
  mlir::registerTransformsPasses();

  mlir::DialectRegistry registry;
  registry.insert<mlir::lf::LFDialect, mlir::arith::ArithDialect,
                  mlir::func::FuncDialect, mlir::tensor::TensorDialect>();

  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "lightfuse optimizer driver\n", registry));
}
