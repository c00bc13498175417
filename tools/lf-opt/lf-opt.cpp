//===- lf-opt.cpp - lightfuse's mlir-opt ----------------------------------===//
//
// Part of lightfuse. Parses, verifies, transforms and prints IR that mixes the
// `lf` dialect with the upstream dialects the project's pipelines use.
//
//===----------------------------------------------------------------------===//

#include "dialects/lf/LFDialect.h"
#include "lightfuse/Conversion/Passes.h"
#include "lightfuse/Pipelines/Pipelines.h"
#include "lightfuse/Transforms/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Target/LLVM/NVVM/Target.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/PrettyStackTrace.h"

int main(int argc, char **argv) {
  llvm::setBugReportMsg("lightfuse: lf-opt crashed. Please file an issue with "
                        "the input and the command line; "
                        "--mlir-pass-pipeline-crash-reproducer=FILE helps.\n");
  // lf's passes and pipelines, and the upstream passes they use, so each
  // stage can be run by hand.
  mlir::lf::registerAllPasses();

  mlir::DialectRegistry registry;
  registry.insert<mlir::lf::LFDialect>();
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  mlir::lf::registerExternalModels(registry);
  // gpu-module-to-binary (in lf-gpu-pipeline) translates kernels to LLVM IR
  // and serializes them with the NVVM target.
  mlir::registerAllToLLVMIRTranslations(registry);
  mlir::NVVM::registerNVVMTargetInterfaceExternalModels(registry);

  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "lightfuse optimizer driver\n", registry));
}
