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
  // MLIR's parser recurses per nesting level: refuse input nested deeper
  // than lightfuse's other entry points accept before it can exhaust the
  // stack. A file is read twice (inputs are small next to compile time);
  // stdin is read once and handed to MlirOptMain as a buffer.
  std::string error;
  auto file = mlir::openInputFile(input, &error);
  if (!file) {
    llvm::errs() << error << "\n";
    return 1;
  }
  llvm::StringRef text = file->getBuffer();
  size_t at = mlir::lf::findExcessiveNesting(text);
  std::string why = "nesting deeper than " +
                    std::to_string(mlir::lf::kMaxNestingDepth) +
                    " levels of brackets; lightfuse does not parse it (the "
                    "parser would exhaust its stack)";
  if (at == llvm::StringRef::npos) {
    at = mlir::lf::findKnownParserCrash(text);
    why = "MLIR 22's parser crashes on this construct (an index dense array, "
          "or a permutation/dimensions list that is not plain integers); "
          "lightfuse does not parse it";
  }
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
