//===- lf-opt.cpp - lightfuse's mlir-opt ----------------------------------===//
//
// Part of lightfuse. Parses, verifies, transforms and prints IR that mixes the
// `lf` dialect with the upstream dialects the project's pipelines use.
//
//===----------------------------------------------------------------------===//

#include "lightfuse/Driver/Parse.h"
#include "lightfuse/Driver/Registration.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/PrettyStackTrace.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

int main(int argc, char **argv) {
  llvm::setBugReportMsg("lightfuse: lf-opt crashed. Please file an issue with "
                        "the input and the command line; "
                        "--mlir-pass-pipeline-crash-reproducer=FILE helps.\n");
  // lf's passes and pipelines, and the upstream passes they use, so each
  // stage can be run by hand.
  mlir::lf::registerAllPasses();
  mlir::DialectRegistry registry;
  mlir::lf::registerAllDialects(registry);
  auto [input, output] = mlir::registerAndParseCLIOptions(
      argc, argv, "lightfuse optimizer driver\n", registry);
  // The checks of lf::parseModule (nesting that would exhaust the parser's
  // stack, constructs MLIR 22's parser crashes on) before MlirOptMain parses. A file is read twice (inputs are small next to compile time);
  // stdin is read once and handed to MlirOptMain as a buffer.
  std::string error;
  auto file = mlir::openInputFile(input, &error);
  if (!file) {
    llvm::errs() << error << "\n";
    return 1;
  }
  llvm::StringRef text = file->getBuffer();
  std::string why;
  size_t at = mlir::lf::findUnparsable(text, why);
  if (at != llvm::StringRef::npos) {
    llvm::SourceMgr sm;
    llvm::SMLoc loc = llvm::SMLoc::getFromPointer(text.data() + at);
    sm.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
    sm.PrintMessage(llvm::errs(), loc, llvm::SourceMgr::DK_Error, why);
    return 1;
  }
  mlir::MlirOptMainConfig config = mlir::MlirOptMainConfig::createFromCLOptions();
  if (input != "-" || config.shouldShowDialects() || config.shouldListPasses())
    return mlir::asMainReturnCode(
        mlir::MlirOptMain(argc, argv, input, output, registry));
  auto out = mlir::openOutputFile(output, &error);
  if (!out) {
    llvm::errs() << error << "\n";
    return 1;
  }
  if (failed(mlir::MlirOptMain(out->os(), std::move(file), registry, config)))
    return 1;
  out->keep();
  return 0;
}
